-- Joins with local tables: a parameterized scan sends the join condition with each outer row's
-- value (a nested loop, one request per distinct key behind a Memoize), when the planner finds
-- that cheaper than one scan of the whole dataset; the results equal a local copy's.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
RESET client_min_messages;
CREATE SERVER join26_srv FOREIGN DATA WRAPPER socrata_fdw
    OPTIONS (base_url 'http://127.0.0.1:25480');
CREATE FOREIGN TABLE join26_crimes (id bigint, block text, primary_type text, ward int,
    date timestamp, latitude float8) SERVER join26_srv OPTIONS (dataset 'ijzp-q8t2');
CREATE FOREIGN TABLE join26_log (seq bigint, dataset text, "where" text)
    SERVER join26_srv OPTIONS (dataset 'reqs-logs');
CREATE TEMP TABLE join26_local AS SELECT * FROM join26_crimes;

-- A few keys of interest: two crimes (one twice), a block with three crimes, a NULL, and an
-- id the portal does not have.
CREATE TEMP TABLE picks (id bigint, block text, at timestamp);
INSERT INTO picks
SELECT id, block, date FROM join26_local WHERE id IN (879, 1001)
UNION ALL (SELECT NULL, block, NULL FROM join26_local GROUP BY block HAVING count(*) = 3
           ORDER BY block LIMIT 1)
UNION ALL SELECT 879, NULL, NULL
UNION ALL SELECT NULL, NULL, NULL
UNION ALL SELECT 123456789, 'NO SUCH BLOCK', '1999-01-01';
ANALYZE picks;

-- Both sides of a query: the foreign table, and the same query over the local copy.
CREATE FUNCTION join26_same(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    local_q text := replace(q, 'join26_crimes', 'join26_local');
    differences bigint;
    remote_rows bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM (((%s) EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL (%s))) d',
        q, local_q, local_q, q) INTO differences;
    EXECUTE format('SELECT count(*) FROM (%s) r', q) INTO remote_rows;
    RETURN format('%s rows, %s differences', remote_rows, differences);
END $$;

-- An equality join (an equivalence class): one request per distinct key, none for NULL.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT p.id, c.primary_type FROM picks p JOIN join26_crimes c USING (id);
SELECT max(seq) AS mark FROM join26_log \gset
SELECT p.id, c.primary_type, c.ward FROM picks p JOIN join26_crimes c USING (id) ORDER BY 1;
SELECT "where" FROM join26_log WHERE seq > :mark AND dataset = 'ijzp-q8t2' ORDER BY seq;
SELECT join26_same($q$SELECT p.id, c.primary_type FROM picks p JOIN join26_crimes c USING (id)$q$);
-- Under EXPLAIN ANALYZE too, the scan run once per key shows $1: each loop sent its own value, and
-- the last one would stand for all of them, beside counters that add up every loop.
CREATE FUNCTION pg_temp.join26_analyzed(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
        IF line ~ 'Foreign Scan|Socrata (query|pages)' THEN
            RETURN NEXT line;
        END IF;
    END LOOP;
END $$;
SELECT * FROM pg_temp.join26_analyzed($q$SELECT p.id, c.primary_type FROM picks p JOIN join26_crimes c USING (id)$q$);

-- Outer joins, with a condition on the foreign side sent as well.
EXPLAIN (COSTS OFF)
SELECT p.id, c.ward FROM picks p LEFT JOIN join26_crimes c ON c.id = p.id AND c.ward > 10;
SELECT join26_same($q$SELECT p.id, c.ward FROM picks p
    LEFT JOIN join26_crimes c ON c.id = p.id AND c.ward > 10$q$);
-- A semi-join, a text key with several matching rows, and a timestamp key.
SELECT join26_same($q$SELECT c.id FROM join26_crimes c WHERE c.id IN (SELECT id FROM picks)$q$);
EXPLAIN (COSTS OFF)
SELECT c.id FROM picks p JOIN join26_crimes c ON c.block = p.block;
SELECT join26_same($q$SELECT c.id, p.block FROM picks p JOIN join26_crimes c ON c.block = p.block$q$);
SELECT join26_same($q$SELECT c.id FROM picks p JOIN join26_crimes c ON c.date = p.at$q$);
-- With a parameter of a generic plan beside the outer value.
SET plan_cache_mode = force_generic_plan;
PREPARE join26_wards(int) AS
    SELECT p.id, c.ward FROM picks p JOIN join26_crimes c USING (id) WHERE c.ward > $1;
EXPLAIN (COSTS OFF) EXECUTE join26_wards(0);
EXECUTE join26_wards(0);
EXECUTE join26_wards(100);
-- A NULL compared by a whole condition matches nothing: no request (nor for the NULL key above).
SELECT max(seq) AS mark FROM join26_log \gset
EXECUTE join26_wards(NULL);
SELECT count(*) AS requests FROM join26_log WHERE seq > :mark AND dataset = 'ijzp-q8t2';
-- An aggregate still has its row, pushed down or not (upper() keeps the second one local).
PREPARE join26_count(int) AS SELECT count(*) FROM join26_crimes WHERE ward = $1;
PREPARE join26_count_local(int) AS
    SELECT count(*), max(upper(block)) FROM join26_crimes WHERE ward = $1;
EXPLAIN (COSTS OFF) EXECUTE join26_count(NULL);
EXPLAIN (COSTS OFF) EXECUTE join26_count_local(NULL);
EXECUTE join26_count(NULL);
EXECUTE join26_count_local(NULL);
DEALLOCATE join26_count;
DEALLOCATE join26_count_local;
-- A scan rescanned with the same request each time (the generic plan's parameter; the lateral
-- reference is checked locally) shows under EXPLAIN ANALYZE the request it sent.
PREPARE join26_same_key(bigint) AS
    SELECT p.id, c.primary_type FROM picks p
    CROSS JOIN LATERAL (SELECT * FROM join26_crimes c
                        WHERE c.id = $1 AND length(c.primary_type) > length(p.block) - 100
                        OFFSET 0) c;
SELECT * FROM pg_temp.join26_analyzed('EXECUTE join26_same_key(879)');
DEALLOCATE join26_same_key;
RESET plan_cache_mode;
DEALLOCATE join26_wards;

-- A key computed from the outer row is sent too; a float key is not (a runtime value could be
-- NaN), nor one computed from both sides.
EXPLAIN (COSTS OFF)
SELECT c.id FROM picks p JOIN join26_crimes c ON c.id = p.id + 1;
SELECT join26_same($q$SELECT c.id, p.id FROM picks p JOIN join26_crimes c ON c.id = p.id + 122$q$);
EXPLAIN (COSTS OFF)
SELECT c.id FROM picks p JOIN join26_crimes c ON c.latitude = p.id::float8;
EXPLAIN (COSTS OFF)
SELECT c.id FROM picks p JOIN join26_crimes c ON c.id = p.id + c.ward;

-- Many outer rows: one scan of the dataset, not a request per row.
CREATE TEMP TABLE many AS SELECT id FROM join26_local LIMIT 5000;
ANALYZE many;
SELECT max(seq) AS mark FROM join26_log \gset
SELECT count(*) FROM many m JOIN join26_crimes c USING (id);
-- (60,000 rows: a scan takes 6 pages of 10,000 and an empty one, a sorted one a few more; a
-- request per row would be 5,000.)
SELECT count(*) < 50 AS one_scan FROM join26_log WHERE seq > :mark AND dataset = 'ijzp-q8t2';
SELECT join26_same($q$SELECT c.id FROM many m JOIN join26_crimes c USING (id)$q$);
