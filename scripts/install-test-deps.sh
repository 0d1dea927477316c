#!/usr/bin/env bash
# Installs what the tests need beyond the .NET SDK. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# --- Debian packages -------------------------------------------------------------------------
missing=()
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

# Web UI tests (tests/Kestrel.Tests/Web): Playwright drives Debian's Chromium at this path; Playwright's
# own browser download is never used. Its driver (node) ships inside the Microsoft.Playwright NuGet package.
[ -x /usr/bin/chromium ] || missing+=(chromium)

# Alert e-mail tests (tests/Kestrel.Tests/Alerts): a real SMTP server, run by the tests as
# /usr/bin/python3 -m aiosmtpd (Debian's python packages belong to Debian's python).
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)

# PostgreSQL tests (PRODUCT.md §13): Debian's server, which the tests run as a private cluster of their own
# (initdb + pg_ctl on a free loopback port, tests/Kestrel.Tests/Support/PostgresCluster.cs). Debian's own cluster is not used.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)

# Several nodes behind a load balancer (tests/Kestrel.Tests/Scale): Debian's nginx, run by the tests from a generated
# config on loopback ports (tests/Kestrel.Tests/Support/Nginx.cs). Debian's own nginx service is not started.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)

source scripts/install-debian-packages.sh
install_debian_packages install-test-deps ${missing[@]+"${missing[@]}"}

# --- npm packages of the test clients ----------------------------------------------------------
# Each directory has a committed lockfile; `npm ci` runs only when node_modules was not installed
# from that exact lockfile (the stamp holds the lockfile's hash).
for dir in tests/clients/sentry-node tests/clients/mcp-typescript tests/clients/sourcemaps; do
  stamp="$dir/node_modules/.kestrel-lock-sha256"
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    echo "install-test-deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
done
