#!/usr/bin/env bash
# Runs every test: installs test dependencies if missing, then builds and runs the test project.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
dotnet test tests/Kestrel.Tests/Kestrel.Tests.csproj -c Release "$@"
