#!/usr/bin/env bash
# Installs the Debian packages connsync needs to build and test, when they are missing.
# Used by `make demo`, `make test` and .ci/run. Safe to run again: it installs nothing when all are present.
set -euo pipefail

packages=(libgit2-dev libcurl4-openssl-dev libyaml-dev libsqlite3-dev pkg-config git postgresql python3-jsonschema)
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
