#!/usr/bin/env bash
# Two measurements behind design choices of socrata_fdw, printed (not asserted):
#  1. keyset paging ($where=:id > last) vs offset paging ($offset=K): time of the first page and
#     of one page deep in a dataset of N rows, with plain curl against the local SODA server;
#  2. bytes received for `SELECT primary_type, count(*) ... GROUP BY 1` with the aggregate pushed
#     down vs. computed locally (HAVING count(*) >= 0 keeps it local), over N rows.
#   bench/paging_and_aggregates.sh [N]     (default 100000; uses bench/out/crimes-N.csv.gz)
# Own cluster and server (.run/bench-paging, ports 25434/25482; BENCH_PAGING_RUN_DIR,
# BENCH_PAGING_PGPORT and BENCH_PAGING_SODA_PORT override them), stopped on exit.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-100000}
export RUN_DIR=${BENCH_PAGING_RUN_DIR:-$REPO/.run/bench-paging}
export PGPORT=${BENCH_PAGING_PGPORT:-25434}
export SODA_PORT=${BENCH_PAGING_SODA_PORT:-25482}
source "$REPO/bench/own_setup.sh" "$N"

PAGE=10000
FIELDS='id,case_number,date,block,primary_type,description,arrest,district,year,updated_on,:id'
url() { echo "$SODA_URL/resource/ijzp-q8t2.json?\$select=$FIELDS&\$order=:id&\$limit=$PAGE$1"; }
seconds() { curl -s -o /dev/null -w '%{time_total}' "$1"; }

echo "== paging over $N rows, pages of $PAGE"
# The :id of the row just before the last page, for a keyset request at the same depth.
deep=$((N - PAGE))
last_id=$(curl -s "$SODA_URL/resource/ijzp-q8t2.json?\$select=:id&\$order=:id&\$limit=1&\$offset=$((deep - 1))" |
          "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[0][":id"])')
printf '%-44s %8s s\n' "first page" "$(seconds "$(url '')")"
printf '%-44s %8s s\n' "page at offset $deep (\$offset)" "$(seconds "$(url "&\$offset=$deep")")"
printf '%-44s %8s s\n' "page at offset $deep (keyset \$where=:id >)" \
    "$(seconds "$(url "&\$where=:id%20%3E%20%27$last_id%27")")"

echo "== aggregate pushdown over $N rows"
"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$PGDATABASE" -v url="$SODA_URL" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION socrata_fdw;
CREATE SERVER s FOREIGN DATA WRAPPER socrata_fdw OPTIONS (base_url :'url', use_gzip 'false');
CREATE FOREIGN TABLE crimes (id bigint, primary_type text) SERVER s OPTIONS (dataset 'ijzp-q8t2');
CREATE FUNCTION bytes(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE line text; total bigint := 0;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF) ' || q LOOP
        IF line ~ 'Socrata bytes received' THEN
            total := total + substring(line FROM '(\d+)\s*$')::bigint;
        END IF;
    END LOOP;
    RETURN total;
END $$;
SELECT pushed AS pushed_bytes, local AS unpushed_bytes,
       round(100.0 * pushed / local, 3) AS pushed_pct
FROM (SELECT bytes('SELECT primary_type, count(*) FROM crimes GROUP BY 1') AS pushed,
             bytes('SELECT primary_type, count(*) FROM crimes GROUP BY 1 HAVING count(*) >= 0') AS local) b;
SQL
