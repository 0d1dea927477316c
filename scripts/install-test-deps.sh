#!/usr/bin/env bash
# Installs what the tests need beyond the .NET SDK. Safe to run again: it installs only what is missing.
set -euo pipefail

missing=()
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)

# Web UI tests (tests/Kestrel.Tests/Web): Playwright drives Debian's Chromium at this path; Playwright's
# own browser download is never used. Its driver (node) ships inside the Microsoft.Playwright NuGet package.
[ -x /usr/bin/chromium ] || missing+=(chromium)

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
