#!/usr/bin/env bash
# Runs every test: installs test dependencies if missing, builds everything, then runs the test project twice: on
# SQLite (every test), then on PostgreSQL (KESTREL_TEST_ENGINE=postgres: every test but those marked SQLite-only or
# choosing their engines themselves; see tests/Kestrel.Tests/Support/Engines.cs). The tests start and stop their own
# PostgreSQL. With arguments (say --filter ...), one run on the engine of KESTREL_TEST_ENGINE (default sqlite).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
# The whole solution, so the benchmark program keeps compiling too.
dotnet build Kestrel.slnx -c Release
tests=(dotnet test tests/Kestrel.Tests/Kestrel.Tests.csproj -c Release --no-build)
if [ "$#" -gt 0 ]; then
  exec "${tests[@]}" "$@"
fi
echo "== Tests on SQLite =="
sqlite=0
KESTREL_TEST_ENGINE=sqlite "${tests[@]}" || sqlite=$?
echo "== Tests on PostgreSQL =="
postgres=0
KESTREL_TEST_ENGINE=postgres "${tests[@]}" --filter "Engine!=sqlite&Engine!=both" || postgres=$?
echo "SQLite run: exit $sqlite; PostgreSQL run: exit $postgres"
[ "$sqlite" -eq 0 ] && [ "$postgres" -eq 0 ]
