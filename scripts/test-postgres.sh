#!/usr/bin/env bash
# Starts Debian's PostgreSQL cluster on loopback (no systemd needed) and makes sure the test
# role and database exist. Prints the URL the tests use (CONNSYNC_TEST_POSTGRES_URL).
set -euo pipefail
# Everything but the final URL goes to stderr: pg_ctl prints notes such as "Removed stale pid
# file." on stdout, and callers capture stdout as the URL.
exec 3>&1 1>&2

version=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
if [ -z "$version" ]; then
  echo "test-postgres: PostgreSQL is not installed (run scripts/install-deps.sh)" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$version main$"; then
  $sudo pg_createcluster "$version" main >/dev/null 3>&-
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  $sudo pg_ctlcluster "$version" main start 3>&-
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
for _ in $(seq 1 50); do
  pg_isready -h 127.0.0.1 -p "$port" -q && break
  sleep 0.2
done
if [ -n "$sudo" ]; then as_postgres() { sudo -u postgres "$@"; }; else as_postgres() { su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; }; fi
as_postgres psql -q -p "$port" -tAc "SELECT 1 FROM pg_roles WHERE rolname='connsync'" | grep -q 1 ||
  as_postgres psql -q -p "$port" -c "CREATE ROLE connsync LOGIN PASSWORD 'connsync-test' CREATEDB"
as_postgres psql -q -p "$port" -tAc "SELECT 1 FROM pg_database WHERE datname='connsync_test'" | grep -q 1 ||
  as_postgres psql -q -p "$port" -c "CREATE DATABASE connsync_test OWNER connsync"
echo "postgres://connsync:connsync-test@127.0.0.1:$port/connsync_test" >&3
