#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs, only those missing (idempotent, no TTY).
#   scripts/install-deps.sh          build + test + demo packages (psycopg2: the pushdown fuzzer)
#   scripts/install-deps.sh --bench  also the benchmark baselines' Python packages and valgrind
#   scripts/install-deps.sh --fuzz   also clang and its libFuzzer runtime (`make fuzz`)
set -euo pipefail

packages=(
    build-essential pkg-config curl ca-certificates python3 python3-psycopg2
    postgresql-15 postgresql-server-dev-15 postgresql-15-cron postgresql-15-pgtap
    libtap-parser-sourcehandler-pgtap-perl
    libcurl4-openssl-dev nlohmann-json3-dev libgtest-dev
)
case "${1:-}" in
    --bench) packages+=(python3-pandas python3-requests valgrind) ;;
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
esac

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
