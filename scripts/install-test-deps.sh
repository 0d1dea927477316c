#!/usr/bin/env bash
# Installs what the tests need beyond the .NET SDK. Safe to run again: it installs only what is missing.
set -euo pipefail

# --- Source maps (issue 4): esbuild, @sentry/node, sentry-cli 3.x and 2.x for tests/Kestrel.Tests/SourceMaps.
# npm ci only when node_modules does not match the committed lockfile (a stamp copy of it says so).
# The sentry-cli and esbuild binaries come in optional-dependency packages: no install scripts run.
sourcemap_clients="$(cd "$(dirname "$0")/.." && pwd)/tests/clients/sourcemaps"
if ! command -v npm >/dev/null 2>&1; then
  echo "install-test-deps: installing nodejs and npm"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
fi
if ! cmp -s "$sourcemap_clients/package-lock.json" "$sourcemap_clients/node_modules/.kestrel-lock-stamp"; then
  echo "install-test-deps: npm ci in tests/clients/sourcemaps"
  (cd "$sourcemap_clients" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  cp "$sourcemap_clients/package-lock.json" "$sourcemap_clients/node_modules/.kestrel-lock-stamp"
fi
# --- end of source maps

missing=()
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  apt_get() { apt-get "$@"; }
elif command -v sudo >/dev/null 2>&1; then
  apt_get() { sudo apt-get "$@"; }
else
  echo "install-test-deps: please install these Debian packages as root: ${missing[*]}" >&2
  exit 1
fi

echo "install-test-deps: installing ${missing[*]}"
apt_get update -qq
DEBIAN_FRONTEND=noninteractive apt_get install -y -qq --no-install-recommends "${missing[@]}"
