#!/usr/bin/env bash
# Sizing on PostgreSQL (docs/scaling.md "Sizing the database"): database bytes, WAL bytes and rows per stored event,
# read from the database a bench run fills, over a window after the first issues exist.
# usage: bench/pg-sizing.sh SERVER_DIR POSTGRES_URL [single|batch]
#   SERVER_DIR   a published Kestrel (dotnet publish src/Kestrel -c Release -o DIR)
#   POSTGRES_URL a PostgreSQL server the bench may make and drop databases on, e.g. postgres://kestrel@127.0.0.1:5432/postgres
set -euo pipefail
server=$1; url=$2; mode=${3:-single}
cd "$(dirname "$0")/.."
dotnet build bench/Kestrel.Bench -c Release -v quiet > /dev/null
psql_url() { python3 -c "import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path='/'+sys.argv[2]).geturl())" "$url" "$1"; }
dotnet bench/Kestrel.Bench/bin/Release/net10.0/Kestrel.Bench.dll "$mode" --server "$server" --seconds 75 --warmup 3 --settle 1 \
  --database-url "$url" > /dev/null 2>&1 &
bench=$!
sleep 40 # a bench tool, not a test: let the first issues be made before the window opens
db=$(psql "$(psql_url postgres)" -At -c "SELECT datname FROM pg_database WHERE datname LIKE 'kestrel_bench_%' ORDER BY oid DESC LIMIT 1")
sample() { psql "$(psql_url "$db")" -At -c "SELECT (SELECT count(*) FROM events), pg_database_size(current_database()),
  pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, (SELECT count(*) FROM issue_tags), (SELECT count(*) FROM issues)"; }
before=$(sample); sleep 25; after=$(sample)
python3 - "$before" "$after" <<'PY'
import sys
a = [int(x) for x in sys.argv[1].split('|')]; b = [int(x) for x in sys.argv[2].split('|')]
n = b[0] - a[0]
print(f"events stored in the window: {n} (issues {a[4]} -> {b[4]})")
print(f"database bytes per event: {(b[1] - a[1]) / n:,.0f}")
print(f"WAL bytes per event: {(b[2] - a[2]) / n:,.0f}")
print(f"new issue_tags rows per event: {(b[3] - a[3]) / n:.2f}")
PY
wait "$bench"
