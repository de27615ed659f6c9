#!/usr/bin/env bash
# The demo: a throwaway cluster and the local SODA server on the bundled Chicago data, a foreign
# table over the crimes dataset, then the warehouse: crime_sync() and the analysts' answers.
# Leaves both running so you can explore; `make stop` stops them.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$REPO_ROOT"

scripts/cluster.sh start
scripts/soda.sh start
PSQL=("$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -d "$PGDATABASE" -P pager=off)

# Headings in bold on a terminal only: no escape codes in CI logs or files.
bold='' plain=''
[[ -t 1 ]] && bold=$'\033[1m' plain=$'\033[0m'
section() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

section "1. socrata_fdw: the crimes dataset (ijzp-q8t2) as a foreign table"
"${PSQL[@]}" -v soda_url="$SODA_URL" <<'SQL'
CREATE EXTENSION socrata_fdw;
CREATE SERVER demo_portal FOREIGN DATA WRAPPER socrata_fdw OPTIONS (base_url :'soda_url');
CREATE FOREIGN TABLE demo_crimes (
    id bigint, case_number text, date timestamp, block text, iucr text, primary_type text,
    description text, location_description text, arrest boolean, domestic boolean,
    beat text, district text, ward int, community_area int, fbi_code text,
    x_coordinate numeric, y_coordinate numeric, year int, updated_on timestamp,
    latitude float8, longitude float8, location jsonb
) SERVER demo_portal OPTIONS (dataset 'ijzp-q8t2');
\echo 'Five real rows, fetched live from the SODA API:'
SELECT id, date, primary_type, description, block, arrest, district
FROM demo_crimes WHERE year = 2023 AND primary_type = 'THEFT' ORDER BY date DESC LIMIT 5;
\echo 'Counts by type (the WHERE and GROUP BY run as SoQL where pushdown applies):'
SELECT primary_type, count(*) AS incidents FROM demo_crimes
GROUP BY primary_type ORDER BY incidents DESC LIMIT 8;
SELECT count(*) AS rows_in_dataset, min(date) AS first, max(date) AS last FROM demo_crimes;
EXPLAIN (COSTS OFF) SELECT id, date FROM demo_crimes WHERE primary_type = 'HOMICIDE' AND year >= 2020;
SQL

section "2. chicago_crime: the warehouse, synced with crime_sync()"
"${PSQL[@]}" -v soda_url="$SODA_URL" -f scripts/demo_warehouse.sql

cat <<EOF

== Against the real portal
The same objects work against data.cityofchicago.org (or any Socrata portal):
    ALTER SERVER chicago_data_portal OPTIONS (SET base_url 'https://data.cityofchicago.org');
    CREATE USER MAPPING FOR CURRENT_USER SERVER chicago_data_portal
        OPTIONS (app_token 'your-app-token');   -- free from the portal; avoids throttling
    SELECT * FROM crime_sync();

The cluster and the SODA server are still running. Explore with:
    psql -h $(printf %q "$PGHOST") -p $PGPORT -U postgres $(printf %q "$PGDATABASE")
Stop them with: make stop
EOF
