-- Every Socrata field type the Chicago datasets lack, end to end, from the synthetic typs-test
-- dataset (test/soda_server/types_dataset.py): money, percent, url, phone, email, html, date
-- (a fixed timestamp), point, location, line, multipolygon, photo, document, blob.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
RESET client_min_messages;
CREATE SERVER typ09_srv FOREIGN DATA WRAPPER socrata_fdw
  OPTIONS (base_url 'http://127.0.0.1:25480');
CREATE SCHEMA typ09;
CREATE SCHEMA typ09_csv;
SET TimeZone = 'UTC';

-- The types the metadata names, as IMPORT maps them.
IMPORT FOREIGN SCHEMA "typs-test" FROM SERVER typ09_srv INTO typ09;
ALTER FOREIGN TABLE typ09.types__test_ RENAME TO t;
\d typ09.t

-- Full scans: the default format (auto: JSON, the dataset has nested types), then CSV forced
-- on a copy of the table (nested types then hold their CSV text, as the README says).
\x on
SELECT * FROM typ09.t ORDER BY label;
IMPORT FOREIGN SCHEMA "typs-test" FROM SERVER typ09_srv INTO typ09_csv;
ALTER FOREIGN TABLE typ09_csv.types__test_ OPTIONS (ADD response_format 'csv');
ALTER FOREIGN TABLE typ09_csv.types__test_ SET SCHEMA typ09;
ALTER FOREIGN TABLE typ09.types__test_ RENAME TO t_csv;
SELECT * FROM typ09.t_csv ORDER BY label;
\x off
-- The scalar columns read the same either way.
SELECT label, j.price, j.budget, j.share, j.contact_email, j.notes_html, j.opened
FROM typ09.t j JOIN typ09.t_csv c USING (label)
WHERE (j.price, j.budget, j.share, j.contact_email, j.notes_html, j.opened)
      IS DISTINCT FROM (c.price, c.budget, c.share, c.contact_email, c.notes_html, c.opened);
-- Which format each scan asked for: auto reads JSON when a column is nested.
EXPLAIN (VERBOSE, COSTS OFF) SELECT label, price, share FROM typ09.t;
EXPLAIN (VERBOSE, COSTS OFF) SELECT label, homepage FROM typ09.t;

-- money: compared with a number, in a list, a range, sorted, grouped and aggregated remotely;
-- each result checked against the same query computed locally over the fetched rows.
CREATE VIEW typ09.l AS SELECT * FROM typ09.t OFFSET 0;
EXPLAIN (VERBOSE, COSTS OFF) SELECT label, price FROM typ09.t WHERE price > 100;
SELECT label, price FROM typ09.t WHERE price > 100 ORDER BY label;
SELECT (SELECT array_agg(label ORDER BY label) FROM typ09.t WHERE price > 100)
     = (SELECT array_agg(label ORDER BY label) FROM typ09.l WHERE price > 100) AS same;
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM typ09.t WHERE price IN (0.99, 1250);
SELECT label FROM typ09.t WHERE price IN (0.99, 1250) ORDER BY label;
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM typ09.t WHERE price BETWEEN -50 AND 0.99;
SELECT label, price FROM typ09.t WHERE price BETWEEN -50 AND 0.99 ORDER BY label;
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM typ09.t WHERE price <> 1250 OR price IS NULL;
SELECT label FROM typ09.t WHERE price <> 1250 OR price IS NULL ORDER BY label;
SELECT (SELECT array_agg(label ORDER BY label) FROM typ09.t WHERE price <> 1250 OR price IS NULL)
     = (SELECT array_agg(label ORDER BY label) FROM typ09.l WHERE price <> 1250 OR price IS NULL) AS same;
-- A literal with more digits than a double holds: money is an exact decimal on both sides.
SELECT label FROM typ09.t WHERE price > 0.98999999999999999999 AND price < 0.99000000000000000001;
-- A number field is another type: price = budget is never sent (the portal refuses it).
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM typ09.t WHERE price = budget;
SELECT label, price, budget FROM typ09.t WHERE price = budget ORDER BY label;
-- Sorted remotely: nulls last ascending, first descending, on both sides. The rows come in the
-- portal's order (the prices only: two rows tie); the same query over the local rows agrees.
EXPLAIN (VERBOSE, COSTS OFF) SELECT label, price FROM typ09.t ORDER BY price DESC LIMIT 3;
SELECT price FROM typ09.t ORDER BY price DESC LIMIT 3;
EXPLAIN (VERBOSE, COSTS OFF) SELECT label, price FROM typ09.t ORDER BY price LIMIT 4;
SELECT (SELECT array_agg(price) FROM (SELECT price FROM typ09.t ORDER BY price DESC LIMIT 3) s)
     = (SELECT array_agg(price) FROM (SELECT price FROM typ09.l ORDER BY price DESC LIMIT 3) s)
       AS same_descending,
       (SELECT array_agg(price) FROM (SELECT price FROM typ09.t ORDER BY price LIMIT 4) s)
     = (SELECT array_agg(price) FROM (SELECT price FROM typ09.l ORDER BY price LIMIT 4) s)
       AS same_ascending;
-- Aggregates: sum, min and max of money are exact decimals with their own digits.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT sum(price), min(price), max(price), count(price), count(*) FROM typ09.t;
SELECT sum(price), min(price), max(price), count(price), count(*) FROM typ09.t;
SELECT sum(price), min(price), max(price), count(price), count(*) FROM typ09.l;
EXPLAIN (VERBOSE, COSTS OFF) SELECT price, count(*), sum(price) FROM typ09.t GROUP BY price;
SELECT price, count(*), sum(price) FROM typ09.t GROUP BY price ORDER BY price;
SELECT price, count(*), sum(price) FROM typ09.l GROUP BY price ORDER BY price;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT sum(price), sum(budget) FROM typ09.t WHERE price >= 0 GROUP BY (price > 1000);
SELECT price > 1000 AS big, sum(price), sum(budget) FROM typ09.t WHERE price >= 0 GROUP BY 1 ORDER BY 1;
SELECT price > 1000 AS big, sum(price), sum(budget) FROM typ09.l WHERE price >= 0 GROUP BY 1 ORDER BY 1;
-- avg is computed locally (a numeric's digits could differ on the portal).
EXPLAIN (VERBOSE, COSTS OFF) SELECT avg(price) FROM typ09.t;
SELECT avg(price) FROM typ09.t;

-- Percent is a SoQL number, email and html are SoQL text, date a fixed timestamp (an instant):
-- their conditions, sorts and aggregates are sent, and answer as the local ones would.
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM typ09.t WHERE share > 1;
SELECT label, share FROM typ09.t WHERE share > 1 ORDER BY share;
SELECT label FROM typ09.t WHERE share + 0 > 1 ORDER BY share; -- the same, filtered locally
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM typ09.t WHERE opened >= '2024-03-10 08:30:00+00';
SELECT label, opened FROM typ09.t WHERE opened >= '2024-03-10 08:30:00+00' ORDER BY opened, label;
EXPLAIN (VERBOSE, COSTS OFF) SELECT max(opened), min(opened), count(opened) FROM typ09.t;
SELECT max(opened), min(opened), count(opened) FROM typ09.t;
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM typ09.t WHERE contact_email = 'bravo@example.org';
SELECT label FROM typ09.t WHERE contact_email = 'bravo@example.org';
SELECT label FROM typ09.t WHERE lower(contact_email) LIKE 'charlie@%';
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM typ09.t WHERE notes_html LIKE '%"hi"%';
SELECT label FROM typ09.t WHERE notes_html LIKE '%"hi"%';

-- An instant is sent in UTC, whatever the session's TimeZone: 03:30 CDT is 08:30 UTC.
SET TimeZone = 'America/Chicago';
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM typ09.t WHERE opened >= '2024-03-10 03:30:00';
SELECT label, opened FROM typ09.t WHERE opened >= '2024-03-10 03:30:00' ORDER BY opened, label;
-- Sorted by the portal, the NULL last as here.
EXPLAIN (VERBOSE, COSTS OFF) SELECT label, opened FROM typ09.t ORDER BY opened;
SELECT label, opened FROM typ09.t ORDER BY opened, label;
RESET TimeZone;
SET TimeZone = 'UTC';
-- Past the millisecond the portal holds: no value lies between 23:59:59.999 and the next one.
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT label FROM typ09.t WHERE opened > '2023-12-31 23:59:59.9995+00';
SELECT label FROM typ09.t WHERE opened > '2023-12-31 23:59:59.9995+00' ORDER BY label;
SELECT label FROM typ09.t WHERE opened <= '2023-12-31 23:59:59.9995+00' ORDER BY label;
-- Instants SoQL cannot write (infinite, past 9999, before year 1) are sent as the comparison
-- they amount to against the portal's values: every non-null value, or none.
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM typ09.t WHERE opened < '10000-01-01 00:00:00+00';
SELECT count(*) FROM typ09.t WHERE opened < '10000-01-01 00:00:00+00';
SELECT count(*) FROM typ09.t WHERE opened > '0044-03-15 00:00:00+00 BC';
SELECT count(*) FROM typ09.t WHERE opened = '-infinity';
SELECT count(*) FROM typ09.t WHERE opened < (SELECT 'infinity'::timestamptz);
-- A value known when the scan starts is sent too (now() is a timestamptz)...
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM typ09.t WHERE opened < now() - interval '1 day';
SELECT count(*) FROM typ09.t WHERE opened < now() - interval '1 day';
-- ... and so is a timestamp or a date, as the instant Postgres reads it as in the TimeZone of
-- the execution: the scan converts it when it starts ($1), so a plan prepared in one zone
-- answers in another as Postgres does. (They stayed local filters.)
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT label FROM typ09.t WHERE opened >= '2024-03-10 08:30:00'::timestamp;
SELECT label FROM typ09.t WHERE opened >= '2024-03-10 08:30:00'::timestamp ORDER BY label;
-- 02:30 on 10 March 2024 does not exist in Chicago: Postgres reads it as 08:30 UTC, when two
-- rows were opened, and 02:31 as 08:31. Midnight of 1 January 2024 is 06:00 UTC there, 15:00
-- UTC the day before in Tokyo (a row was opened at 23:59:59.999 UTC). A count is pushed with
-- the converted value too. Each answer is compared with typ09.l (local filters).
SET plan_cache_mode = force_generic_plan;
PREPARE since09(timestamp) AS SELECT array_agg(label ORDER BY label) FROM typ09.t WHERE opened >= $1;
PREPARE count_since09(date) AS SELECT count(*) FROM typ09.t WHERE $1 <= opened;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE count_since09('2024-01-01');
SET TimeZone = 'America/Chicago';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE since09('2024-03-10 02:30:00');
EXECUTE since09('2024-03-10 02:30:00');
SELECT array_agg(label ORDER BY label) FROM typ09.l WHERE opened >= '2024-03-10 02:30:00'::timestamp;
EXECUTE since09('2024-03-10 02:31:00');
SELECT array_agg(label ORDER BY label) FROM typ09.l WHERE opened >= '2024-03-10 02:31:00'::timestamp;
EXECUTE count_since09('2024-01-01');
SELECT count(*) FROM typ09.l WHERE '2024-01-01'::date <= opened;
SET TimeZone = 'Asia/Tokyo';
EXECUTE since09('2024-03-10 12:00:00');
SELECT array_agg(label ORDER BY label) FROM typ09.l WHERE opened >= '2024-03-10 12:00:00'::timestamp;
EXECUTE count_since09('2024-01-01');
SELECT count(*) FROM typ09.l WHERE '2024-01-01'::date <= opened;
-- Read on in a TimeZone that converts its values otherwise, such a scan refuses its next row;
-- one that has returned its last one (the count) ends as usual. The same zone under another
-- name (Japan) converts them alike: that scan goes on.
BEGIN;
DECLARE rows09 CURSOR FOR SELECT label FROM typ09.t WHERE opened >= '2024-01-01'::date;
DECLARE count09 CURSOR FOR SELECT count(*) FROM typ09.t WHERE opened >= '2024-01-01'::date;
FETCH 1 FROM rows09;
FETCH 1 FROM count09;
SET LOCAL TimeZone = 'Japan';
FETCH 1 FROM rows09;
SET LOCAL TimeZone = 'UTC';
FETCH 1 FROM count09;
FETCH 1 FROM rows09;
ROLLBACK;
EXECUTE count_since09('infinity');
EXECUTE count_since09('-infinity');
SELECT count(opened) FROM typ09.l;
RESET TimeZone;
RESET plan_cache_mode;
-- A fixed timestamp's text as the portal writes it ("...Z") reads as timestamptz_in reads it.
CREATE FOREIGN TABLE typ09.o (label text, opened timestamptz,
  opened_txt text OPTIONS (column_name 'opened'))
  SERVER typ09_srv OPTIONS (dataset 'typs-test');
SELECT label, opened, opened_txt FROM typ09.o
WHERE opened IS DISTINCT FROM opened_txt::timestamptz;
SELECT count(opened) FROM typ09.o;
-- The system fields :created_at and :updated_at are fixed timestamps too.
CREATE FOREIGN TABLE typ09.crimes (id bigint, updated_on timestamp,
  updated_at timestamptz OPTIONS (column_name ':updated_at'))
  SERVER typ09_srv OPTIONS (dataset 'ijzp-q8t2');
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT count(*) FROM typ09.crimes WHERE updated_at >= '2018-02-10 15:50:01+00';
SELECT count(*) FROM typ09.crimes WHERE updated_at >= '2018-02-10 15:50:01+00'
  AND updated_at < '2018-02-10 15:50:02+00';
SELECT count(*) FROM typ09.crimes WHERE updated_on = '2018-02-10 15:50:01';
CREATE FOREIGN TABLE typ09.crimes_txt (updated_at timestamptz OPTIONS (column_name ':updated_at'),
  updated_at_txt text OPTIONS (column_name ':updated_at'))
  SERVER typ09_srv OPTIONS (dataset 'ijzp-q8t2');
SELECT count(*) AS rows, count(*) FILTER (
         WHERE updated_at IS DISTINCT FROM updated_at_txt::timestamptz) AS differing
FROM typ09.crimes_txt;
-- Nested values read as the JSON the portal sends.
SELECT label, homepage->>'url' AS url, homepage->>'description' AS description,
       phone->>'phone_type' AS phone_type, phone->>'phone_number' AS phone_number
FROM typ09.t ORDER BY label;
SELECT label, spot->'coordinates' AS spot, jsonb_array_length(route->'coordinates') AS route_points,
       jsonb_array_length(area->'coordinates') AS polygons, site->>'latitude' AS site_lat,
       (site->>'human_address')::jsonb->>'city' AS site_city
FROM typ09.t ORDER BY label;
-- A point as the portal writes it, {"type":"Point","coordinates":[x,y]}, is built as jsonb
-- without a second parse (row_converter.cpp); the value is the one jsonb_in reads from the same
-- text, each coordinate's scale included. A json column keeps the text as sent.
CREATE FOREIGN TABLE typ09.points (id text, location jsonb,
  location_json json OPTIONS (column_name 'location'))
  SERVER typ09_srv OPTIONS (dataset 'ijzp-q8t2');
SELECT count(location) > 1000 AS many_points, count(*) FILTER (
         WHERE location::text IS DISTINCT FROM location_json::jsonb::text
            OR location IS DISTINCT FROM location_json::jsonb) AS differing
FROM typ09.points;
-- Byte for byte, too: the stored tuples hold the same bytes for both (pageinspect splits them).
CREATE EXTENSION pageinspect;
CREATE TABLE typ09.point_bytes (built jsonb, parsed jsonb);
INSERT INTO typ09.point_bytes
  SELECT location, location_json::jsonb FROM typ09.points WHERE location IS NOT NULL;
SELECT count(*) > 1000 AS many_points, count(*) FILTER (WHERE a[1] IS DISTINCT FROM a[2]) AS differing
FROM (SELECT tuple_data_split('typ09.point_bytes'::regclass, t_data, t_infomask, t_infomask2, t_bits) AS a
      FROM generate_series(0, pg_relation_size('typ09.point_bytes')
                              / current_setting('block_size')::int - 1) AS page,
           heap_page_items(get_raw_page('typ09.point_bytes', page::int))) AS tuples;
DROP TABLE typ09.point_bytes;
-- An integer field into a numeric column is laid out in place as well (numeric_layout.hpp):
-- the same bytes as numeric_in's from the text, for every row (the unit tests cover zeros,
-- trailing zero digits and the extremes, which the data has none of).
CREATE FOREIGN TABLE typ09.integers (x numeric OPTIONS (column_name 'x_coordinate'),
  x_text text OPTIONS (column_name 'x_coordinate'), ward numeric, ward_text text OPTIONS (column_name 'ward'))
  SERVER typ09_srv OPTIONS (dataset 'ijzp-q8t2');
CREATE TABLE typ09.number_bytes (built numeric, parsed numeric);
INSERT INTO typ09.number_bytes
  SELECT x, x_text::numeric FROM typ09.integers UNION ALL
  SELECT ward, ward_text::numeric FROM typ09.integers;
SELECT count(*) FILTER (WHERE a[1] IS NOT NULL) > 1000 AS many_numbers,
       count(*) FILTER (WHERE a[1] IS DISTINCT FROM a[2]) AS differing
FROM (SELECT tuple_data_split('typ09.number_bytes'::regclass, t_data, t_infomask, t_infomask2, t_bits) AS a
      FROM generate_series(0, pg_relation_size('typ09.number_bytes')
                              / current_setting('block_size')::int - 1) AS page,
           heap_page_items(get_raw_page('typ09.number_bytes', page::int))) AS tuples;
DROP TABLE typ09.number_bytes;
DROP FOREIGN TABLE typ09.integers;
DROP EXTENSION pageinspect;
CREATE FOREIGN TABLE typ09.spots (label text, spot jsonb,
  spot_json json OPTIONS (column_name 'spot'))
  SERVER typ09_srv OPTIONS (dataset 'typs-test');
SELECT label, spot_json, spot IS NOT DISTINCT FROM spot_json::jsonb
         AND spot::text IS NOT DISTINCT FROM spot_json::jsonb::text AS same
FROM typ09.spots ORDER BY label;
SELECT label, photo #>> '{}' AS photo, attachment->>'file_id' AS file_id,
       attachment->>'filename' AS filename, blob #>> '{}' AS blob
FROM typ09.t ORDER BY label;
-- Filters on nested values stay local.
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM typ09.t WHERE homepage->>'url' LIKE 'https:%';
SELECT label FROM typ09.t WHERE homepage->>'url' LIKE 'https:%' ORDER BY label;
SELECT label FROM typ09.t WHERE phone IS NULL ORDER BY label;

-- Columns declared otherwise than IMPORT would: a url or phone as text takes the JSON text,
-- a point as a point, a date as a timestamp (the portal's UTC instant), money as float8 or
-- bigint.
CREATE FOREIGN TABLE typ09.u (
  label text, price float8, price_txt text OPTIONS (column_name 'price'),
  homepage text, phone text, spot point, opened timestamp, photo text)
  SERVER typ09_srv OPTIONS (dataset 'typs-test');
SELECT * FROM typ09.u ORDER BY label;
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM typ09.u WHERE price > 0.99;
SELECT label FROM typ09.u WHERE price > 0.99 ORDER BY label;
-- A text column on a money field: never compared remotely.
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM typ09.u WHERE price_txt = '0.99';
SELECT label FROM typ09.u WHERE price_txt = '0.99';

DROP SCHEMA typ09 CASCADE;
DROP SCHEMA typ09_csv;
DROP SERVER typ09_srv;
