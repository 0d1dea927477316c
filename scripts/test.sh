#!/usr/bin/env bash
# Runs every test: installs test dependencies if missing, builds everything, runs the test project.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
# The whole solution, so the benchmark program keeps compiling too.
dotnet build Kestrel.slnx -c Release
dotnet test tests/Kestrel.Tests/Kestrel.Tests.csproj -c Release --no-build "$@"
