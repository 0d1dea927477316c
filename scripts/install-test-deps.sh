#!/usr/bin/env bash
# Installs what the tests need beyond the .NET SDK. Safe to run again: it installs only what is missing.
set -euo pipefail

missing=()
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)

# --- MCP (issue 6): the official TypeScript MCP client for tests/Kestrel.Tests/Mcp, with the machine's Node.js ---
mcp_client="$(dirname "$0")/../tests/clients/mcp-typescript"
if [ "$mcp_client/package-lock.json" -nt "$mcp_client/node_modules/.package-lock.json" ]; then
  echo "install-test-deps: installing the TypeScript MCP client (npm ci)"
  (cd "$mcp_client" && npm ci --no-audit --no-fund --loglevel=error)
fi
# --- end MCP ---

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
