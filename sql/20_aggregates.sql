-- Aggregate pushdown: count/sum/min/max with GROUP BY columns and date_trunc month/year.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
RESET client_min_messages;
CREATE SERVER agg20_srv FOREIGN DATA WRAPPER socrata_fdw
  OPTIONS (base_url 'http://127.0.0.1:25480', text_code_point_order 'true');
CREATE FOREIGN TABLE agg20_crimes (id bigint, case_number text, date timestamp, block text,
  iucr text, primary_type text, description text, location_description text, arrest boolean,
  domestic boolean, beat text, district text, ward int, community_area int, fbi_code text,
  x_coordinate numeric, y_coordinate numeric, year int, updated_on timestamp,
  latitude float8, longitude float8, location jsonb)
  SERVER agg20_srv OPTIONS (dataset 'ijzp-q8t2');
CREATE FOREIGN TABLE agg20_log (seq bigint, dataset text, "select" text, "where" text,
  "group" text, "order" text, "limit" text, "offset" text, status int, bytes bigint)
  SERVER agg20_srv OPTIONS (dataset 'reqs-logs');
CREATE TABLE agg20_local AS SELECT * FROM agg20_crimes;
SELECT count(*) FROM agg20_local;
SELECT coalesce(max(seq), 0) AS before FROM agg20_log \gset

-- Grouped by a column.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT primary_type, count(*), count(ward), sum(ward), min(date), max(x_coordinate)
FROM agg20_crimes GROUP BY 1;
SELECT primary_type, count(*), count(ward), sum(ward), min(date), max(x_coordinate)
FROM agg20_crimes GROUP BY 1 ORDER BY 1 LIMIT 5;
-- Same results as Postgres computing them over a local copy (both directions).
(SELECT primary_type, count(*), count(ward), sum(ward), min(date), max(date),
        min(x_coordinate), max(latitude), sum(x_coordinate) FROM agg20_crimes GROUP BY 1
 EXCEPT
 SELECT primary_type, count(*), count(ward), sum(ward), min(date), max(date),
        min(x_coordinate), max(latitude), sum(x_coordinate) FROM agg20_local GROUP BY 1)
UNION ALL
(SELECT primary_type, count(*), count(ward), sum(ward), min(date), max(date),
        min(x_coordinate), max(latitude), sum(x_coordinate) FROM agg20_local GROUP BY 1
 EXCEPT
 SELECT primary_type, count(*), count(ward), sum(ward), min(date), max(date),
        min(x_coordinate), max(latitude), sum(x_coordinate) FROM agg20_crimes GROUP BY 1);

-- Not through a cast that costs nothing but changes the meaning: bpchar groups 'A' with 'A ',
-- oid orders -1 last. Both stay local.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT beat::bpchar, count(*) FROM agg20_crimes GROUP BY 1;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT max(ward::oid) FROM agg20_crimes;

-- date_trunc('month'|'year') groups, with a pushed WHERE and an expression over count(*).
EXPLAIN (VERBOSE, COSTS OFF)
SELECT date_trunc('month', date) AS month, arrest, count(*) + 1
FROM agg20_crimes WHERE primary_type = 'THEFT' GROUP BY 1, 2;
SELECT count(*) AS differences FROM (
  (SELECT date_trunc('month', date), arrest, count(*) + 1 FROM agg20_crimes
   WHERE primary_type = 'THEFT' GROUP BY 1, 2
   EXCEPT SELECT date_trunc('month', date), arrest, count(*) + 1 FROM agg20_local
   WHERE primary_type = 'THEFT' GROUP BY 1, 2)
  UNION ALL
  (SELECT date_trunc('month', date), arrest, count(*) + 1 FROM agg20_local
   WHERE primary_type = 'THEFT' GROUP BY 1, 2
   EXCEPT SELECT date_trunc('month', date), arrest, count(*) + 1 FROM agg20_crimes
   WHERE primary_type = 'THEFT' GROUP BY 1, 2)) d;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT date_trunc('year', date), count(*) FROM agg20_crimes GROUP BY 1;
SELECT date_trunc('year', date), count(*) FROM agg20_crimes GROUP BY 1 ORDER BY 1;
SELECT date_trunc('year', date), count(*) FROM agg20_local GROUP BY 1 ORDER BY 1;

-- Ungrouped aggregates, also over no rows at all (count 0, the others NULL).
EXPLAIN (VERBOSE, COSTS OFF)
SELECT count(*), sum(ward), min(date) FROM agg20_crimes WHERE year = 1900;
SELECT count(*), sum(ward), min(date) FROM agg20_crimes WHERE year = 1900;
SELECT count(*), sum(ward), min(date), max(updated_on) FROM agg20_crimes;
SELECT count(*), sum(ward), min(date), max(updated_on) FROM agg20_local;

-- Parameters (generic plan) are sent as literals when the scan starts.
PREPARE agg20_q(text) AS
  SELECT count(*), max(date) FROM agg20_crimes WHERE primary_type = $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE agg20_q('THEFT');
EXECUTE agg20_q('THEFT');
EXECUTE agg20_q('ARSON');
RESET plan_cache_mode;
DEALLOCATE agg20_q;
SELECT count(*), max(date) FROM agg20_local WHERE primary_type IN ('THEFT', 'ARSON')
GROUP BY primary_type ORDER BY 1 DESC;

-- Not pushed: HAVING, avg/sum of floats (digits depend on the order of addition), text
-- min/max without C collation,
-- a WHERE clause Postgres must evaluate.
EXPLAIN (COSTS OFF)
SELECT primary_type, count(*) FROM agg20_crimes GROUP BY 1 HAVING count(*) > 10;
EXPLAIN (COSTS OFF) SELECT avg(latitude) FROM agg20_crimes;
EXPLAIN (COSTS OFF) SELECT sum(latitude) FROM agg20_crimes;
EXPLAIN (COSTS OFF) SELECT min(block) FROM agg20_crimes;
EXPLAIN (VERBOSE, COSTS OFF) SELECT min(block COLLATE "C") FROM agg20_crimes;
EXPLAIN (COSTS OFF)
SELECT primary_type, count(*) FROM agg20_crimes WHERE lower(block) = 'x' GROUP BY 1;

-- The requests that reached the server.
-- (distinct: the server is shared, and other sessions may send a plain count(*) meanwhile)
SELECT DISTINCT "select", "where", "group", "order", "limit", "offset", status
FROM agg20_log
WHERE seq > :before AND dataset = 'ijzp-q8t2' AND strpos("select", ' AS a') > 0
  AND "select" <> 'count(*) AS a1'
ORDER BY 1, 2;

-- Bytes: the pushed aggregate against the rows Postgres would otherwise aggregate itself.
CREATE FUNCTION agg20_bytes(query text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE line text; total bigint := 0;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
    IF line ~ 'Socrata bytes received' THEN
      total := total + substring(line from '(\d+)\s*$')::bigint;
    END IF;
  END LOOP;
  RETURN total;
END $$;
-- (Exact byte counts depend on the server's formatting; the ratio is what matters.)
SELECT pushed < 2000 AS pushed_under_2kb, unpushed > 500000 AS unpushed_over_500kb,
       pushed * 100 < unpushed AS under_one_percent FROM (
  SELECT agg20_bytes('SELECT primary_type, count(*) FROM agg20_crimes GROUP BY 1') AS pushed,
         agg20_bytes('SELECT primary_type, count(*) FROM agg20_crimes
                      GROUP BY 1 HAVING count(*) >= 0') AS unpushed) b;

-- avg of an integer column: pushed as sum and count, divided as Postgres's avg divides, so the
-- digits are Postgres's own; avg over no rows is NULL. Sorting by it stays local.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT primary_type, avg(ward), avg(year), count(*) FROM agg20_crimes GROUP BY 1;
SELECT primary_type, avg(ward), avg(id) FROM agg20_crimes GROUP BY 1 ORDER BY 1 LIMIT 3;
SELECT count(*) AS differences FROM (
  (SELECT primary_type, avg(ward), avg(year), avg(id) FROM agg20_crimes GROUP BY 1
   EXCEPT ALL SELECT primary_type, avg(ward), avg(year), avg(id) FROM agg20_local GROUP BY 1)
  UNION ALL
  (SELECT primary_type, avg(ward), avg(year), avg(id) FROM agg20_local GROUP BY 1
   EXCEPT ALL SELECT primary_type, avg(ward), avg(year), avg(id) FROM agg20_crimes GROUP BY 1)) d;
SELECT avg(ward) AS no_rows FROM agg20_crimes WHERE year = 1900;
EXPLAIN (COSTS OFF)
SELECT primary_type, avg(ward) FROM agg20_crimes GROUP BY 1 ORDER BY 2 DESC LIMIT 3;
SELECT primary_type, avg(ward) FROM agg20_crimes GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3;
SELECT primary_type, avg(ward) FROM agg20_local GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3;

DROP FUNCTION agg20_bytes(text);
DROP TABLE agg20_local;
DROP SERVER agg20_srv CASCADE;
