#!/usr/bin/env bash
# Installs what bench/Kestrel.Bench needs beyond the .NET SDK: wrk, for its `wrk` mode. Safe to run again:
# it installs only what is missing. The tests do not need it.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)

source scripts/install-debian-packages.sh
install_debian_packages install-bench-deps ${missing[@]+"${missing[@]}"}
