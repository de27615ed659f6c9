-- Requests stay short enough to send: nginx, in front of many portals, answers 414 to a request
-- line over 8 kB, and so does the test server. A scan that reads every column of a very wide
-- dataset asks for `*` instead of naming them; an aggregate or a sort too long to send is left
-- to Postgres. (Long WHERE conditions: 05_pushdown.) The test server's wide-cols dataset is
-- synthetic: 455 columns (5, then the name, address and type of 90 contacts), 200 rows; permit
-- n has n % 90 + 1 contacts.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
RESET client_min_messages;
CREATE SERVER wide FOREIGN DATA WRAPPER socrata_fdw
  OPTIONS (base_url 'http://127.0.0.1:25480', text_code_point_order 'true');
CREATE SCHEMA wide;
IMPORT FOREIGN SCHEMA "wide-cols" FROM SERVER wide INTO wide;
SELECT count(*) AS columns FROM information_schema.columns
 WHERE table_schema = 'wide' AND table_name = 'wide_test_dataset';
CREATE FOREIGN TABLE request_log (seq bigint, dataset text, "select" text, status int)
    SERVER wide OPTIONS (dataset 'reqs-logs');
CREATE FUNCTION last_select() RETURNS text LANGUAGE sql AS
$$ SELECT "select" || ' (HTTP ' || status || ')' FROM request_log
    WHERE dataset = 'wide-cols' ORDER BY seq DESC LIMIT 1 $$;

-- Every column, named, would take 8.5 kB of the URL: the scan asks for `*,:id` (every field, then
-- its paging key, which `*` leaves out; the portal refuses a `*` after other items) and finds the
-- columns in the rows by name, from CSV (the default for these types) and from JSON.
EXPLAIN (COSTS OFF) SELECT * FROM wide.wide_test_dataset;
CREATE FUNCTION wide_totals() RETURNS TABLE (rows bigint, with_90_contacts bigint,
    cost numeric, contact_names bigint, first_row text) LANGUAGE sql AS $$
    SELECT count(*), count(contact_90_name), sum(reported_cost),
           sum((SELECT count(*) FROM jsonb_each(to_jsonb(t))
                 WHERE key LIKE 'contact\_%\_name' AND value <> 'null')),
           min(left(t::text, 120)) FILTER (WHERE id = 1)
      FROM wide.wide_test_dataset t $$;
SELECT * FROM wide_totals();
SELECT last_select();
ALTER FOREIGN TABLE wide.wide_test_dataset OPTIONS (ADD response_format 'json');
SELECT * FROM wide_totals();
SELECT last_select();
-- What the rule gives: 200 permits, 2 with 90 contacts, and this many contact names.
SELECT sum(i % 90 + 1) AS contact_names FROM generate_series(1, 200) i;
-- A few columns are still named, and only they come.
EXPLAIN (COSTS OFF)
SELECT id, contact_90_name FROM wide.wide_test_dataset WHERE contact_90_name IS NOT NULL;
SELECT id, contact_90_name FROM wide.wide_test_dataset WHERE contact_90_name IS NOT NULL;
-- A pushed LIMIT reads every column the same way (it once named them all: HTTP 414).
EXPLAIN (COSTS OFF) SELECT * FROM wide.wide_test_dataset LIMIT 3;
SELECT id, permit_, contact_1_name, length(s::text) AS row_text
  FROM (SELECT * FROM wide.wide_test_dataset LIMIT 3) s ORDER BY id;
SELECT last_select();
-- ANALYZE samples every column the same way.
ANALYZE wide.wide_test_dataset;
SELECT last_select();
SELECT count(*) AS columns_with_statistics FROM pg_stats WHERE schemaname = 'wide';

-- Aggregates and sorts: pushed down while their $select, $group and $order fit in 3 kB (the
-- sort's $order in 1 kB); beyond, Postgres computes them over the scanned rows. Plans are
-- shown without their keys, and with the $select cut, for brevity.
-- The first n contact columns: the 90 names, then the types.
CREATE FUNCTION contact_columns(n int, suffix text DEFAULT '') RETURNS text LANGUAGE sql AS
$$ SELECT string_agg(column_name || suffix, ', ' ORDER BY field, i)
     FROM (SELECT format('contact_%s_%s', i, field) AS column_name, field, i
             FROM unnest(ARRAY['name', 'type']) field, generate_series(1, 90) i
            ORDER BY field, i LIMIT n) c $$;
CREATE FUNCTION plan_summary(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        IF line !~ 'Key:' THEN
            RETURN NEXT regexp_replace(line, '(\$(select|group|order)=[^&]{30})[^&]*', '\1...', 'g');
        END IF;
    END LOOP;
END $$;
CREATE FUNCTION result_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    EXECUTE q INTO result;
    RETURN result;
END $$;
-- 20 grouping keys are sent, 80 are not: with a WHERE of 3.8 kB (an IN list of 650 ids), they
-- would make a request line of over 9 kB. Both give the 200 permits (contact 1 differs in each).
SELECT 'id IN (' || string_agg(i::text, ', ') || ')' AS ids FROM generate_series(1, 650) i \gset
SELECT plan_summary(format('SELECT %s, count(*) FROM wide.wide_test_dataset GROUP BY %s',
                           contact_columns(20), contact_columns(20)));
SELECT plan_summary(format('SELECT %s, count(*) FROM wide.wide_test_dataset GROUP BY %s',
                           contact_columns(80), contact_columns(80)));
SELECT n AS keys, result_of(format(
           'SELECT count(*) FROM (SELECT %s, count(*) FROM wide.wide_test_dataset WHERE %s GROUP BY %s) g',
           contact_columns(n), :'ids', contact_columns(n))) AS groups
  FROM unnest(ARRAY[20, 80]) n;
SELECT last_select() LIKE 'contact_1_name,contact_2_name,%,:id (HTTP 200)' AS scanned_locally;
-- The same for ORDER BY: 20 keys are sent, 120 are not (text sorts the same way on both sides
-- in the C collation).
SELECT plan_summary(format('SELECT id FROM wide.wide_test_dataset ORDER BY %s',
                           contact_columns(20, ' COLLATE "C"')));
SELECT plan_summary(format('SELECT id FROM wide.wide_test_dataset ORDER BY %s',
                           contact_columns(120, ' COLLATE "C"')));
SELECT n AS keys, result_of(format(
           'SELECT array_agg(id) FROM (SELECT id FROM wide.wide_test_dataset WHERE %s ORDER BY %s, id LIMIT 5) s',
           :'ids', contact_columns(n, ' COLLATE "C"'))) AS first_ids
  FROM unnest(ARRAY[20, 120]) n;

DROP SCHEMA wide CASCADE;
DROP SERVER wide CASCADE;
DROP FUNCTION last_select(), wide_totals(), contact_columns(int, text), plan_summary(text),
    result_of(text);
