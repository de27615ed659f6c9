#!/usr/bin/env bash
# The benchmark of issue 5 (docs/benchmark.md): socrata_fdw/chicago_crime against the usual
# alternatives, on generated crimes data served by the local SODA server.
#   bench/run.sh [--sizes 100000,1000000] [--quick] [--page-size 10000] [--gzip]
#                [--backfill-window '1 year'] [--huge-pages | --shmem-thp] [--shared-buffers 256MB]
# Uses its own cluster and SODA server (.run/bench, ports 25433/25481; BENCH_RUN_DIR,
# BENCH_PGPORT and BENCH_SODA_PORT override them, PGPORT and RUN_DIR do not), so a running `make demo`/`make test` set-up is left alone; stops both on exit.
# Generated data is cached in bench/out/ (git-ignored); the report goes to
# bench/out/report-<date>.txt. Expects the extensions installed (`make bench` does that).
# The cluster's shared memory is in ordinary 4 kB pages (huge_pages = off). --huge-pages reserves
# 2 MB pages for it (root: vm.nr_hugepages, given back on exit) and sets huge_pages = on, as a
# production server would be configured (docs/benchmark.md, "Huge pages"). --shmem-thp leaves
# huge_pages off and has the kernel back shared memory with transparent huge pages instead (root:
# /sys/kernel/mm/transparent_hugepage/shmem_enabled = within_size, put back on exit), which
# reserves nothing (docs/benchmark.md, "Transparent huge pages for shared memory").
# --shared-buffers sets the cluster's shared_buffers (scripts/cluster.sh's 256MB otherwise), to see
# how the loads' speed and VmHWM depend on it (docs/benchmark.md, "Size of shared_buffers").
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
huge_pages=off
shmem_thp=
shared_buffers=
while [[ $# -gt 0 ]]; do
    case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --quick) sizes=20000; shift ;;
    --page-size) page_size=$2; shift 2 ;;
    --gzip) gzip=(--gzip); shift ;;
    --backfill-window) window=$2; shift 2 ;;
    --huge-pages) huge_pages=on; shift ;;
    --shmem-thp) shmem_thp=within_size; shift ;;
    --shared-buffers) shared_buffers=$2; shift 2 ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
    *) echo "usage: $0 [--sizes N,N...] [--quick] [--page-size P] [--gzip] [--backfill-window INTERVAL] [--huge-pages | --shmem-thp] [--shared-buffers SIZE]" >&2; exit 2 ;;
    esac
done
if [[ $huge_pages == on && -n $shmem_thp ]]; then
    echo "bench: --huge-pages and --shmem-thp are two ways to the same end; pick one" >&2
    exit 2
fi

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
# Kernel settings the run changed, as "file=value before", written back on exit.
changed_settings=()
restore_kernel_settings() {
    local setting
    for setting in "${changed_settings[@]}"; do
        echo "${setting#*=}" >"${setting%%=*}" || true
    done
}
trap 'cleanup; restore_kernel_settings' EXIT
trap 'exit 130' INT TERM

export CLUSTER_CONF="huge_pages = $huge_pages"
if [[ -n $shared_buffers ]]; then
    # After cluster.sh's own line, so this one wins.
    CLUSTER_CONF+=$'\n'"shared_buffers = '$shared_buffers'"
fi
if [[ $huge_pages == on ]]; then
    # shared_buffers (256 MB) and the rest of the cluster's shared memory, with a margin.
    page_kb=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
    before=$(cat /proc/sys/vm/nr_hugepages)
    want=$((before + (360 * 1024 + page_kb - 1) / page_kb))
    if ! echo "$want" 2>/dev/null >/proc/sys/vm/nr_hugepages; then
        echo "bench: --huge-pages: cannot write /proc/sys/vm/nr_hugepages (run as root)" >&2
        exit 1
    fi
    changed_settings+=("/proc/sys/vm/nr_hugepages=$before")
    got=$(cat /proc/sys/vm/nr_hugepages)
    if ((got < want)); then
        echo "bench: --huge-pages: the kernel reserved $got of $want huge pages (memory too fragmented?)" >&2
        exit 1
    fi
    echo "bench: reserved $((got - before)) huge pages of $page_kb kB for the cluster"
fi
if [[ -n $shmem_thp ]]; then
    thp_shmem=/sys/kernel/mm/transparent_hugepage/shmem_enabled
    # The setting reads like "always [never] ...": the bracketed word is the current one.
    before=$(sed -n 's/.*\[\([a-z_]*\)\].*/\1/p' "$thp_shmem" 2>/dev/null || true)
    if [[ -z $before ]] || ! echo "$shmem_thp" 2>/dev/null >"$thp_shmem"; then
        echo "bench: --shmem-thp: cannot write $thp_shmem (run as root, on a kernel with shmem THP)" >&2
        exit 1
    fi
    changed_settings+=("$thp_shmem=$before")
    echo "bench: shared memory in transparent huge pages (shmem_enabled $before -> $shmem_thp)"
fi

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
