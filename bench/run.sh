#!/usr/bin/env bash
# The benchmark of issue 5 (docs/benchmark.md): socrata_fdw/chicago_crime against the usual
# alternatives, on generated crimes data served by the local SODA server.
#   bench/run.sh [--sizes 100000,1000000] [--quick] [--page-size 10000] [--gzip]
#                [--backfill-window '1 year']
# Uses its own cluster and SODA server (RUN_DIR=.run/bench, ports 25433/25481 unless set in the
# environment), so a running `make demo`/`make test` set-up is left alone; stops both on exit.
# Generated data is cached in bench/out/ (git-ignored); the report goes to
# bench/out/report-<date>.txt. Expects the extensions installed (`make bench` does that).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
export RUN_DIR=${BENCH_RUN_DIR:-$REPO/.run/bench}
export PGPORT=${BENCH_PGPORT:-25433}
export SODA_PORT=${BENCH_SODA_PORT:-25481}
unset PGHOST_DIR
export PGDATABASE=chicago
source "$REPO/scripts/env.sh"
export PGHOST

sizes=100000,1000000
page_size=10000
gzip=()
window="1 year"
while [[ $# -gt 0 ]]; do
    case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --quick) sizes=20000; shift ;;
    --page-size) page_size=$2; shift 2 ;;
    --gzip) gzip=(--gzip); shift ;;
    --backfill-window) window=$2; shift 2 ;;
    -h|--help) sed -n 2,10p "$0"; exit 0 ;;
    *) echo "usage: $0 [--sizes N,N...] [--quick] [--page-size P] [--gzip] [--backfill-window INTERVAL]" >&2; exit 2 ;;
    esac
done

"$REPO/scripts/install-deps.sh" --bench
for f in socrata_fdw.control chicago_crime.control; do
    [[ -f $(pg_config --sharedir)/extension/$f ]] || { echo "bench: $f not installed; run make bench (or make install)" >&2; exit 1; }
done

OUT=$REPO/bench/out
mkdir -p "$OUT"
cleanup() {
    "$REPO/scripts/soda.sh" stop >/dev/null 2>&1 || true
    "$REPO/scripts/cluster.sh" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stamp=$(date +%Y%m%d-%H%M%S)
results=()
IFS=, read -ra size_list <<<"$sizes"
for n in "${size_list[@]}"; do
    data=$OUT/crimes-$n.csv.gz
    if [[ ! -s $data ]]; then
        echo "bench: generating $n rows into $data"
        "$PYTHON" "$REPO/test/soda_server/generate.py" --rows "$n" --out "$data.tmp.csv.gz"
        mv "$data.tmp.csv.gz" "$data"
    fi
    echo "bench: === $n rows"
    "$REPO/scripts/soda.sh" start --crimes "$data"
    "$REPO/scripts/cluster.sh" start
    "$PYTHON" "$REPO/bench/bench.py" measure --rows "$n" --out "$OUT/results-$n-$stamp.json" \
        --page-size "$page_size" --backfill-window "$window" "${gzip[@]}"
    results+=("$OUT/results-$n-$stamp.json")
    cleanup
done

machine="$(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p')), $(free -g | awk '/^Mem:/ {print $2}') GB RAM, $(. /etc/os-release; echo "$PRETTY_NAME"), PostgreSQL $("$PG_BINDIR/postgres" -V | awk '{print $3}')"
"$PYTHON" "$REPO/bench/bench.py" report "${results[@]}" --machine "$machine" \
    --write "$OUT/report-$stamp.txt"
echo "bench: report written to bench/out/report-$stamp.txt"

# Keyset vs offset paging, and the bytes an aggregate pushdown saves (issue 3), at the first size.
"$REPO/bench/paging_and_aggregates.sh" "${sizes%%,*}"
