# shellcheck shell=bash
# Sourced by the bench scripts that run on a throwaway cluster and SODA server of their own, after
# they export RUN_DIR, PGPORT and SODA_PORT:
#   source bench/own_setup.sh N
# serves N rows of generated crimes (bench/out/crimes-N.csv.gz, generated if missing) and starts
# a fresh cluster (database chicago), both stopped when the script exits. Sets REPO and DATA,
# and everything scripts/env.sh sets.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
unset PGHOST_DIR
export PGDATABASE=chicago
source "$REPO/scripts/env.sh"
DATA=$REPO/bench/out/crimes-$1.csv.gz
mkdir -p "$REPO/bench/out"
[[ -f $DATA ]] || "$PYTHON" "$REPO/test/soda_server/generate.py" --rows "$1" --out "$DATA"
trap '"$REPO/scripts/soda.sh" stop >/dev/null 2>&1; "$REPO/scripts/cluster.sh" stop >/dev/null 2>&1' EXIT
"$REPO/scripts/soda.sh" start --crimes "$DATA" >/dev/null
"$REPO/scripts/cluster.sh" start >/dev/null
