-- Scanning: every type conversion, NULLs, and paging with no row lost or repeated.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
RESET client_min_messages;
-- EXPLAIN ANALYZE lines about the Socrata requests, without byte counts (which depend on
-- the server's formatting) and timings.
CREATE OR REPLACE FUNCTION socrata_explain(query text) RETURNS SETOF text LANGUAGE plpgsql AS $f$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
        IF line !~ 'bytes received' THEN
            RETURN NEXT line;
        END IF;
    END LOOP;
END $f$;
CREATE SERVER scan_portal FOREIGN DATA WRAPPER socrata_fdw
    OPTIONS (base_url 'http://127.0.0.1:25480', retry_delay '10', max_retry_delay '50');

CREATE FOREIGN TABLE crimes (
    id bigint, case_number text, date timestamp, block text, iucr text, primary_type text,
    description text, location_description text, arrest boolean, domestic boolean,
    beat text, district text, ward int, community_area int, fbi_code text,
    x_coordinate numeric, y_coordinate numeric, year smallint, updated_on timestamp,
    latitude float8, longitude float8, location jsonb
) SERVER scan_portal OPTIONS (dataset 'ijzp-q8t2');

-- A row with every field present, and one with most missing (NULLs).
SELECT * FROM crimes WHERE id = 21737;
SELECT * FROM crimes WHERE id = 983;
SELECT pg_typeof(id), pg_typeof(date), pg_typeof(arrest), pg_typeof(ward), pg_typeof(x_coordinate),
       pg_typeof(latitude), pg_typeof(location)
FROM crimes WHERE id = 21737;

-- The same field under other names and types: column_name, point, text, numeric, varchar.
CREATE FOREIGN TABLE crime_shapes (
    crime_id bigint OPTIONS (column_name 'id'),
    spot point OPTIONS (column_name 'location'),
    spot_json text OPTIONS (column_name 'location'),
    lat numeric OPTIONS (column_name 'latitude'),
    kind varchar(40) OPTIONS (column_name 'primary_type'),
    arrested text OPTIONS (column_name 'arrest'),
    occurred date OPTIONS (column_name 'date'),
    occurred_tz timestamptz OPTIONS (column_name 'date')
) SERVER scan_portal OPTIONS (dataset 'ijzp-q8t2');
SET TimeZone = 'America/Chicago';
SELECT * FROM crime_shapes WHERE crime_id IN (21737, 983) ORDER BY crime_id;
RESET TimeZone;

-- Paging: 60,000 rows in pages of 7,000 (9 pages) give the same rows as one page of 60,000.
ALTER FOREIGN TABLE crimes OPTIONS (ADD page_size '7000');
CREATE TEMP TABLE paged AS SELECT id, updated_on FROM crimes;
SELECT socrata_explain('SELECT id FROM crimes');
ALTER FOREIGN TABLE crimes OPTIONS (SET page_size '60000');
CREATE TEMP TABLE whole AS SELECT id, updated_on FROM crimes;
SELECT count(*) AS rows, count(DISTINCT id) AS distinct_ids FROM paged;
SELECT count(*) AS rows_only_in_one
FROM ((TABLE paged EXCEPT ALL TABLE whole) UNION ALL (TABLE whole EXCEPT ALL TABLE paged)) d;
SELECT socrata_explain('SELECT count(*) FROM crimes WHERE year = 2023');

-- A value that does not fit the column type names the column, the value and the row.
CREATE FOREIGN TABLE crimes_narrow (id bigint, ward smallint, beat int, district int,
    block int) SERVER scan_portal OPTIONS (dataset 'ijzp-q8t2');
-- (ward + 0: evaluated here, so every ward is converted; a bare IS NOT NULL is counted remotely.)
SELECT count(*) FROM crimes_narrow WHERE ward + 0 IS NOT NULL;
SELECT id, block FROM crimes_narrow WHERE block IS NOT NULL LIMIT 1;
-- The type's own detail is kept, after the row; a domain's CHECK gets a hint of its own.
CREATE DOMAIN three_chars AS text CHECK (length(VALUE) = 3);
CREATE FOREIGN TABLE crimes_strict (id bigint, x_coordinate numeric(3,0), beat three_chars)
    SERVER scan_portal OPTIONS (dataset 'ijzp-q8t2');
SELECT x_coordinate FROM crimes_strict WHERE x_coordinate IS NOT NULL LIMIT 1;
SELECT beat FROM crimes_strict WHERE id = 879;
DROP FOREIGN TABLE crimes_strict;
DROP DOMAIN three_chars;
-- A domain's NOT NULL holds as well: a value the portal leaves out is checked as a NULL.
CREATE DOMAIN known_text AS text NOT NULL;
CREATE FOREIGN TABLE crimes_known (id bigint, ward known_text)
    SERVER scan_portal OPTIONS (dataset 'ijzp-q8t2');
SELECT id FROM crimes_known WHERE ward IS NULL LIMIT 1;
DROP FOREIGN TABLE crimes_known;
DROP DOMAIN known_text;
-- The value is quoted as untrusted text: cut on a character boundary (a two-byte character
-- straddles byte 200 of the first value) and control characters escaped (the second).
\! curl -s -X POST 'http://127.0.0.1:25480/_control/datasets/z8bn-74gv/clone?to=snip-zips' > /dev/null
\! printf '[{"district":"98","zip":"%s\\u00e9z"},{"district":"99","zip":"6060\\u0007\\n"}]' "$(head -c 199 /dev/zero | tr '\0' x)" | curl -s -X POST -H 'Content-Type: application/json' --data-binary @- http://127.0.0.1:25480/_control/datasets/snip-zips/upsert > /dev/null
CREATE FOREIGN TABLE snip_zips (district text, zip int) SERVER scan_portal
    OPTIONS (dataset 'snip-zips');
SELECT zip FROM snip_zips WHERE district = '98';
SELECT zip FROM snip_zips WHERE district = '99';
-- A value that echoes the app token is quoted with the token masked, in the message and in
-- the input function's words in the detail.
\! curl -s -X POST -H 'Content-Type: application/json' --data-binary '[{"district":"97","zip":"zip TOKEN-in-the-data-42 here"}]' http://127.0.0.1:25480/_control/datasets/snip-zips/upsert > /dev/null
CREATE USER MAPPING FOR CURRENT_USER SERVER scan_portal OPTIONS (app_token 'TOKEN-in-the-data-42');
SELECT zip FROM snip_zips WHERE district = '97';
-- jsonb's input function adds a context line quoting the text around what it refused (here a
-- \u0000, which jsonb cannot hold): masked too. json keeps the value as it came.
\! curl -s -X POST -H 'Content-Type: application/json' --data-binary '[{"district":"94","location":{"latitude":"41.8","longitude":"-87.6","human_address":"TOKEN-in-the-data-42 \u0000"}}]' http://127.0.0.1:25480/_control/datasets/snip-zips/upsert > /dev/null
CREATE FOREIGN TABLE snip_locations (district text, location jsonb, location_as_sent json
    OPTIONS (column_name 'location')) SERVER scan_portal OPTIONS (dataset 'snip-zips');
SELECT location FROM snip_locations WHERE district = '94';
SELECT strpos(location_as_sent::text, '\u0000') > 0 AS escape_kept
FROM snip_locations WHERE district = '94';
-- An input function that refuses a value under another class than data exceptions (tsvector's
-- syntax error) keeps its words and SQLSTATE, masked all the same.
\! curl -s -X POST -H 'Content-Type: application/json' --data-binary '[{"district":"93","zip":"x '"'"'TOKEN-in-the-data-42"}]' http://127.0.0.1:25480/_control/datasets/snip-zips/upsert > /dev/null
CREATE FOREIGN TABLE snip_words (district text, zip tsvector) SERVER scan_portal
    OPTIONS (dataset 'snip-zips');
SELECT zip FROM snip_words WHERE district = '93';
-- What the user wrote is shown as written, even a piece of the token next to a cut mark:
-- masking "the-" there told a user who cannot read the mapping that their guess was in its
-- token, four bytes at a time.
EXPLAIN (VERBOSE, COSTS OFF) SELECT zip FROM snip_zips WHERE district = '...zzzz...the-...qqqq...';
DROP USER MAPPING FOR CURRENT_USER SERVER scan_portal;
\! curl -s -X POST http://127.0.0.1:25480/_control/datasets/snip-zips/drop > /dev/null
-- A column may read the row identifier, which also keys the pages (selected once).
CREATE FOREIGN TABLE crimes_rowid (id bigint, row_id text OPTIONS (column_name ':id'))
    SERVER scan_portal OPTIONS (dataset 'ijzp-q8t2', page_size '25000');
SELECT count(*), count(DISTINCT row_id), count(DISTINCT id) FROM crimes_rowid;
SELECT row_id FROM crimes_rowid WHERE id = 879;
-- The same with ORDER BY and LIMIT pushed down, where the scan fills a tuple of the plan's own
-- (its columns were once unnamed: column ""); offset pages carry the :id too, which names the row.
SELECT id, block FROM crimes_narrow WHERE block IS NOT NULL ORDER BY id DESC LIMIT 1 OFFSET 2;

-- Response format: a row scan asks for CSV when every field it reads is a scalar (text,
-- number, checkbox, floating timestamp), which reads the same as JSON in about half the bytes;
-- JSON when one is nested (the location point), or when response_format says so.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, date, arrest, x_coordinate FROM crimes;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, location FROM crimes;
CREATE FOREIGN TABLE crimes_json (
    id bigint, case_number text, date timestamp, block text, iucr text, primary_type text,
    description text, location_description text, arrest boolean, domestic boolean,
    beat text, district text, ward int, community_area int, fbi_code text,
    x_coordinate numeric, y_coordinate numeric, year smallint, updated_on timestamp,
    latitude float8, longitude float8
) SERVER scan_portal OPTIONS (dataset 'ijzp-q8t2', response_format 'json');
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, date FROM crimes_json;
-- Every value of every row is the same either way (quoted cells and NULLs included).
CREATE TEMP TABLE from_csv AS
    SELECT id, case_number, date, block, iucr, primary_type, description, location_description,
           arrest, domestic, beat, district, ward, community_area, fbi_code, x_coordinate,
           y_coordinate, year, updated_on, latitude, longitude FROM crimes;
CREATE TEMP TABLE from_json AS SELECT * FROM crimes_json;
SELECT (SELECT count(*) FROM from_csv) AS rows,
       (SELECT count(*) FROM from_csv WHERE location_description LIKE '%"%') AS with_quotes,
       (SELECT count(*) FROM ((TABLE from_csv EXCEPT ALL TABLE from_json)
                              UNION ALL (TABLE from_json EXCEPT ALL TABLE from_csv)) d) AS rows_differing;
-- The fast paths (integral numerics, float8) give exactly what the input functions give:
-- the same value and the same text (scale included) for every bundled row.
CREATE FOREIGN TABLE crimes_text (id bigint, x_coordinate text, y_coordinate text,
    latitude text, longitude text) SERVER scan_portal OPTIONS (dataset 'ijzp-q8t2');
SELECT count(*) AS rows_compared,
       count(t.x_coordinate) AS with_coordinates,
       count(*) FILTER (WHERE t.x_coordinate::numeric::text IS DISTINCT FROM c.x_coordinate::text
                           OR t.y_coordinate::numeric::text IS DISTINCT FROM c.y_coordinate::text
                           OR t.latitude::float8 IS DISTINCT FROM c.latitude
                           OR t.longitude::float8 IS DISTINCT FROM c.longitude) AS differing
FROM crimes_text t JOIN from_csv c USING (id);
-- A json or jsonb column takes a value as JSON has it (a checkbox is a boolean, CSV's text would
-- be "false"): a scan that reads one asks for JSON, so the value does not depend on what else
-- the query reads. A domain over jsonb or point reads as its base type does.
CREATE DOMAIN json_doc AS jsonb;
CREATE DOMAIN map_point AS point;
CREATE FOREIGN TABLE crimes_as_json (id bigint, arrest jsonb, ward json_doc, block json_doc,
    spot map_point OPTIONS (column_name 'location'), location jsonb)
    SERVER scan_portal OPTIONS (dataset 'ijzp-q8t2');
EXPLAIN (VERBOSE, COSTS OFF) SELECT arrest FROM crimes_as_json;
SELECT jsonb_typeof(arrest) AS arrest, count(*) FROM crimes_as_json GROUP BY 1 ORDER BY 1;
SELECT jsonb_typeof(arrest) AS arrest, count(*) FROM crimes_as_json
WHERE location IS NULL OR location IS NOT NULL GROUP BY 1 ORDER BY 1;
SELECT jsonb_typeof(ward) AS ward, jsonb_typeof(block) AS block, count(*)
FROM crimes_as_json GROUP BY 1, 2 ORDER BY 1, 2;
SELECT id, spot FROM crimes_as_json WHERE spot IS NOT NULL ORDER BY id LIMIT 2;
-- Socrata reads field names case-folded, '-' as '_': a column_name spelled otherwise than the
-- metadata is sent and read under the metadata's spelling, which the response names it by.
CREATE FOREIGN TABLE stations_spelled (d text OPTIONS (column_name 'DISTRICT'),
    name text OPTIONS (column_name 'District-Name')) SERVER scan_portal OPTIONS (dataset 'z8bn-74gv');
EXPLAIN (VERBOSE, COSTS OFF) SELECT d, name FROM stations_spelled WHERE d = '1';
SELECT d, name FROM stations_spelled WHERE d IN ('1', '2') ORDER BY d;
SELECT count(*) AS rows, count(d) AS with_district FROM (SELECT d FROM stations_spelled OFFSET 0) s;
-- response_format 'csv' on the server forces CSV even for the point, which then arrives as
-- its CSV text (WKT) in a JSON string; a bad value is refused.
ALTER SERVER scan_portal OPTIONS (ADD response_format 'csv');
SELECT id, location FROM crimes WHERE location IS NOT NULL LIMIT 1;
ALTER SERVER scan_portal OPTIONS (SET response_format 'JSON');

DROP SERVER scan_portal CASCADE;
