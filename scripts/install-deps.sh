#!/usr/bin/env bash
# Installs the Debian packages connsync needs to build and test, when they are missing.
# Used by `make demo`, `make test` and .ci/run. Safe to run again: it installs nothing when all are present.
set -euo pipefail

# What the code links or the tests run, nothing else:
#   libgit2-dev      desired state read from git commits (ConnSyncGit; CLibGit2 compiles against its
#                    headers and opens libgit2.so with dlopen on first use)
#   libyaml-dev      YAML read through libyaml's event API (ConnSyncConfig, systemLibrary CLibYAML)
#   libsqlite3-dev   the embedded state store (GRDB links the system SQLite)
#   pkg-config       how SwiftPM finds libyaml and SQLite
#   git              tests build real repositories (and git http-backend serves them)
#   postgresql       the PostgreSQL state store's tests (scripts/test-postgres.sh)
#   python3-jsonschema  the JSON Schema test validates examples/ against schemas/
#   age              the age tests make their encrypted files and keys with the real age and age-keygen
# HTTP is connsync's own client on SwiftNIO: no libcurl.
packages=(libgit2-dev libyaml-dev libsqlite3-dev pkg-config git postgresql python3-jsonschema age)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
