#!/usr/bin/env bash
# Every test, in one run: GoogleTest (pure C++), the C++ fuzz harnesses over their seeds
# (test/fuzz/core/), the SODA test server's self-tests, pg_regress (sql/ + expected/), a
# randomized differential test of pushdown (test/fuzz/), pgTAP (test/pgtap/*.sql via pg_prove)
# and a crash-recovery check (test/crash_recovery.sh), against a fresh throwaway cluster and the
# local SODA server on the bundled data. Exits non-zero on any failure.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO_ROOT"

passed=0 failed=0 failures=()
suite() {
    local name=$1; shift
    echo "=== $name"
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}
cleanup() { scripts/soda.sh stop >/dev/null 2>&1; scripts/cluster.sh stop >/dev/null 2>&1; }
trap cleanup EXIT
# Ctrl-C ends the run (the EXIT trap then stops the cluster and the server), rather than killing
# the suite that runs and going on with the next ones against a stopped server.
trap 'exit 130' INT
trap 'exit 143' TERM

regress() {
    make --no-print-directory installcheck && return 0
    [[ -f regression.diffs ]] && head -c 20000 regression.diffs
    return 1
}
# A fixed sample of random queries, each run on a foreign table and on a local copy of its
# rows: results must not depend on pushdown. In a database of its own (it leaves tables).
# The second run reads JSON pages where the first reads CSV (row scans of response_format
# 'auto'), so both decoders meet the same queries. A third of the first run's foreign queries
# meet a transient server fault (truncated body, 503, 429, 202), which must not change them.
pushdown_fuzz() {
    PGOPTIONS='-c client_min_messages=warning' psql -X -q \
        -c 'DROP DATABASE IF EXISTS pushdown_fuzz' -c 'CREATE DATABASE pushdown_fuzz' || return 1
    PGDATABASE=pushdown_fuzz "$PYTHON" test/fuzz/pushdown_fuzz.py --seed 1 --count 120 \
        --faults 0.33 --soda-url "$SODA_URL" || return 1
    PGDATABASE=pushdown_fuzz "$PYTHON" test/fuzz/pushdown_fuzz.py --seed 1 --count 60 \
        --soda-url "$SODA_URL" --response-format json
}
pgtap() {
    local files=(test/pgtap/*.sql)
    [[ -e ${files[0]} ]] || { echo "no pgTAP tests"; return 1; }
    pg_prove -d "$PGDATABASE" --failures "${files[@]}"
}

suite "unit (GoogleTest)" make --no-print-directory unit
# The fuzz harnesses' seed corpora, each input once, under AddressSanitizer and UBSan (g++):
# keeps the harnesses building and their findings fixed (test/fuzz/core/README.md).
suite "C++ fuzz seeds (ASan/UBSan)" test/fuzz/core/run.sh smoke
suite "SODA test server self-tests" "$PYTHON" -m unittest discover -s test/soda_server -p 'test_*.py'
# With page checksums: every page read back from disk is verified, those crime.bulk_insert
# writes straight to the file included.
CLUSTER_INITDB_OPTIONS=--data-checksums scripts/cluster.sh start || exit 1
scripts/soda.sh start || exit 1
suite "pg_regress" regress
suite "pushdown fuzz" pushdown_fuzz
suite "pgTAP" pgtap
# Last: it crashes and restarts the cluster.
suite "crash recovery" test/crash_recovery.sh

echo
[[ $failed -gt 0 ]] && echo "failed suites: ${failures[*]}"
echo "suites: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
