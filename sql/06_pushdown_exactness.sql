-- Pushdown gives the answer Postgres would, in the corners a randomized differential test
-- (test/fuzz/pushdown_fuzz.py) found wrong: each case compares the foreign table with a local
-- copy, and shows what was sent (or that it stayed local).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS socrata_fdw;
RESET client_min_messages;
CREATE SERVER exact06 FOREIGN DATA WRAPPER socrata_fdw
  OPTIONS (base_url 'http://127.0.0.1:25480', text_code_point_order 'true');
CREATE FOREIGN TABLE ecrimes (
    id bigint, date timestamp, block text, beat text, ward int, fbi_code text,
    updated_on timestamp, latitude float8,
    lat_n2 numeric(8,2) OPTIONS (column_name 'latitude'),
    lon_f4 real OPTIONS (column_name 'longitude'),
    ward_f float8 OPTIONS (column_name 'ward')
) SERVER exact06 OPTIONS (dataset 'ijzp-q8t2');
CREATE FOREIGN TABLE request_log06 (seq bigint, dataset text, "where" text)
    SERVER exact06 OPTIONS (dataset 'reqs-logs');
CREATE TEMP TABLE lcrimes06 AS SELECT * FROM ecrimes;
CREATE FUNCTION same06(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    differences bigint;
    remote_rows bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM (((%s) EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL (%s))) d',
        q, replace(q, 'ecrimes', 'lcrimes06'), replace(q, 'ecrimes', 'lcrimes06'), q)
        INTO differences;
    EXECUTE format('SELECT count(*) FROM (%s) r', q) INTO remote_rows;
    RETURN format('%s rows, %s differences', remote_rows, differences);
END $$;

-- The bytes 0x01-0x03 in a text constant are text (they once marked runtime values in the
-- planned $where: the first query sent fbi_code = '26', the second failed on "stoul").
SELECT same06($q$SELECT id FROM ecrimes WHERE ward = (SELECT 26) OR fbi_code = E'\x010\x02'$q$);
SELECT same06($q$SELECT id FROM ecrimes WHERE beat = E'\x01'$q$);

-- A type modifier or real rounds the portal's value: such columns stay local (they once
-- filtered, sorted and grouped the unrounded value: 0 rows instead of 1,657 for the first).
EXPLAIN (COSTS OFF) SELECT id FROM ecrimes WHERE lat_n2 = 41.80 AND lon_f4 < -87.65661;
SELECT same06($q$SELECT id FROM ecrimes WHERE lat_n2 = 41.80$q$);
SELECT same06($q$SELECT id FROM ecrimes WHERE lon_f4 < -87.65661$q$);
SELECT same06($q$SELECT lat_n2, count(*) FROM ecrimes GROUP BY lat_n2$q$);
SELECT same06($q$SELECT min(lat_n2), sum(lat_n2), count(DISTINCT lon_f4) FROM ecrimes$q$);
SELECT (SELECT array_agg(id) FROM (SELECT id FROM ecrimes ORDER BY lat_n2, id LIMIT 3) a)
     = (SELECT array_agg(id) FROM (SELECT id FROM lcrimes06 ORDER BY lat_n2, id LIMIT 3) b)
    AS same_first_three;

-- Float constants are sent with the digits that read back as the same double, whatever
-- extra_float_digits says (-15 once sent ward >= 1e+01 for 13).
SET extra_float_digits = -15;
EXPLAIN (COSTS OFF) SELECT id FROM ecrimes WHERE ward_f >= 13 AND latitude >= 41.76766456000001;
SELECT same06($q$SELECT id FROM ecrimes WHERE ward_f >= 13$q$);
SELECT same06($q$SELECT id FROM ecrimes WHERE latitude >= 41.76766456000001$q$);
RESET extra_float_digits;

-- timestamptz against a timestamp column stays a local filter: around a daylight-saving
-- change no floating timestamp answers the same (sent as it was, 2 rows instead of 0 for the
-- first, 0 instead of 1 for the second). The portal gets a wider condition instead, on the
-- least and greatest local times the instant has in the session's zone near it ($1, $2: the
-- scan computes them when it starts), so that only the rows near the answer travel.
-- localtimestamp, a timestamp, is pushed as it is.
SET TimeZone = 'America/Chicago';
EXPLAIN (COSTS OFF) SELECT id FROM ecrimes WHERE date = '2009-11-01 01:00:00-05'::timestamptz;
SELECT same06($q$SELECT id FROM ecrimes WHERE date = '2009-11-01 01:00:00-05'::timestamptz$q$);
SELECT same06($q$SELECT id FROM ecrimes WHERE updated_on = '2023-03-12 03:40:00-05'::timestamptz$q$);
EXPLAIN (COSTS OFF) SELECT id FROM ecrimes WHERE date > localtimestamp - interval '30 years';
EXPLAIN (COSTS OFF) SELECT id FROM ecrimes WHERE now() - interval '30 years' < date;
RESET TimeZone;

-- Socrata's timestamps hold milliseconds: a finer constant is compared as the portal's values
-- compare with it (it was sent with its microseconds: 14 rows instead of 0 for the first).
EXPLAIN (COSTS OFF) SELECT id FROM ecrimes WHERE date = '2001-01-01 00:00:00.0005';
SELECT same06($q$SELECT id FROM ecrimes WHERE date = '2001-01-01 00:00:00.0005'$q$);
EXPLAIN (COSTS OFF) SELECT id FROM ecrimes WHERE date >= '2015-01-01 00:00:00.0005';
SELECT same06($q$SELECT id FROM ecrimes WHERE date >= '2015-01-01 00:00:00.0005'$q$);
SELECT same06($q$SELECT id FROM ecrimes WHERE '2015-01-01 00:00:00.0005' > date$q$);
-- In a list, such a value equals no row: it is left out, and the rest of the list is sent.
EXPLAIN (COSTS OFF) SELECT id FROM ecrimes
WHERE date IN ('2001-01-01 00:00:00', '2001-01-01 00:00:00.0005', 'infinity');
SELECT same06($q$SELECT id FROM ecrimes
WHERE date IN ('2001-01-01 00:00:00', '2001-01-01 00:00:00.0005', 'infinity')$q$);
EXPLAIN (COSTS OFF) SELECT id FROM ecrimes
WHERE date NOT IN ('2001-01-01 00:00:00.0005', '10000-01-01');
SELECT same06($q$SELECT id FROM ecrimes
WHERE date NOT IN ('2001-01-01 00:00:00.0005', '10000-01-01')$q$);

-- Runtime values SoQL cannot write (infinite, before year 1, after 9999, finer than a
-- millisecond) are compared the same way when the scan starts; they once raised errors.
SELECT max(seq) AS mark FROM request_log06 \gset
SELECT count(*) FROM ecrimes WHERE date < (SELECT 'infinity'::timestamp);
SELECT count(*) FROM ecrimes WHERE date < localtimestamp + interval '8000 years';
SET plan_cache_mode = force_generic_plan;
PREPARE before06(timestamp) AS SELECT count(*) FROM ecrimes WHERE date < $1;
PREPARE not_at06(timestamp) AS SELECT count(*) FROM ecrimes WHERE NOT (date = $1);
EXECUTE before06('infinity');
EXECUTE before06('-infinity');
EXECUTE before06('0044-03-15 BC');
EXECUTE before06('2015-01-01 00:00:00.0005');
EXECUTE not_at06('infinity');
SELECT count(*) FROM lcrimes06 WHERE date < '2015-01-01 00:00:00.0005';
SELECT count(*) FROM lcrimes06 WHERE date IS NOT NULL;
RESET plan_cache_mode;
SELECT "where" FROM request_log06 WHERE seq > :mark AND dataset = 'ijzp-q8t2' ORDER BY seq;

-- The wider condition holds wherever the comparison does, in any zone: comparisons of a
-- timestamptz with `date` near changes of offset in 2001-2026 (the data's years), at the six
-- values of the data closest to one and half an hour either side, foreign against local, among
-- the rows within `spread` of the value (so that each reads a few days, not half the data).
-- Lord Howe moves by 30 minutes; Apia skipped 30 December 2011 (-10 to +14 hours); the POSIX
-- zone moves by 300 hours (Postgres accepts offsets of up to 167 hours). Each returns the
-- comparisons that differ: none. (The local side has no index: Postgres's own B-tree search
-- with these cross-type operators misses rows around a skipped hour, where the conversion of
-- local times to instants goes back; `same` is the operator's answer, row by row.)
CREATE FUNCTION widened_mismatches06(zone text, spread interval) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    near timestamp;
    bound timestamptz;
    op text;
    comparison text;
    remote bigint;
    here bigint;
BEGIN
    PERFORM set_config('TimeZone', zone, true);
    FOR near IN
        WITH days AS (
            SELECT d FROM generate_series('2001-01-01'::timestamptz, '2027-01-01', '1 day') d
            WHERE extract(timezone FROM d) <> extract(timezone FROM d + interval '1 day')),
        changes AS (
            SELECT h::timestamp AS after, (h - interval '1 second')::timestamp AS before
            FROM days, generate_series(0, 24) s, LATERAL (SELECT d + s * interval '1 hour') x(h)
            WHERE extract(timezone FROM h) <> extract(timezone FROM h - interval '1 hour'))
        SELECT l.date FROM changes c, generate_series(-2, 1) k, lcrimes06 l
        WHERE l.date::date = c.after::date + k -- a hash join, not 60,000 rows per change
          AND l.date BETWEEN least(c.before, c.after) - interval '3 hours'
                         AND greatest(c.before, c.after) + interval '3 hours'
        GROUP BY l.date
        ORDER BY min(least(abs(extract(epoch FROM l.date - c.before)),
                           abs(extract(epoch FROM l.date - c.after)))), l.date
        LIMIT 6
    LOOP
        CREATE TEMP TABLE around06 AS
            SELECT date FROM lcrimes06 WHERE date BETWEEN near - spread AND near + spread;
        FOR shift IN -1..1 LOOP
            bound := near::timestamptz + shift * interval '30 minutes';
            FOREACH op IN ARRAY ARRAY['<', '<=', '>', '>=', '='] LOOP
                comparison := format('date %s to_timestamp(%s) AND date BETWEEN %L AND %L',
                    op, extract(epoch FROM bound), near - spread, near + spread);
                EXECUTE 'SELECT count(*) FROM ecrimes WHERE ' || comparison INTO remote;
                EXECUTE 'SELECT count(*) FROM around06 WHERE ' || comparison INTO here;
                IF remote <> here THEN
                    RETURN NEXT format('%s: %s rows, %s locally', comparison, remote, here);
                END IF;
            END LOOP;
        END LOOP;
        DROP TABLE around06;
    END LOOP;
END $$;
BEGIN;
SELECT widened_mismatches06('America/Chicago', '1 day');
SELECT widened_mismatches06('Australia/Lord_Howe', '1 day');
SELECT widened_mismatches06('Pacific/Apia', '2 days');
SELECT widened_mismatches06('FOO-150BAR+150,M3.2.0,M11.1.0', '14 days');
ROLLBACK;

-- What was sent: the bound in the zone of the execution, not of the plan. In Chicago, 01:00
-- CST (07:00 UTC, in the repeated hour: two rows at 01:00, which Postgres reads as CST) is sent
-- as between 01:00 and 02:00 local time, the offsets near it being -6 and -5 hours; in UTC,
-- as exactly 07:00 (no row). A NULL sends nothing; an infinite instant is an infinite bound.
SELECT max(seq) AS mark FROM request_log06 \gset
SET plan_cache_mode = force_generic_plan;
PREPARE at06(timestamptz) AS SELECT count(*) FROM ecrimes WHERE date = $1;
PREPARE after06(timestamptz) AS SELECT count(*) FROM ecrimes WHERE date >= $1;
SET TimeZone = 'America/Chicago';
EXECUTE at06('2009-11-01 01:00:00-06');
SELECT count(*) FROM lcrimes06 WHERE date = '2009-11-01 01:00:00-06'::timestamptz;
SET TimeZone = 'UTC';
EXECUTE at06('2009-11-01 01:00:00-06');
SELECT count(*) FROM lcrimes06 WHERE date = '2009-11-01 01:00:00-06'::timestamptz;
EXECUTE at06(NULL);
EXECUTE after06('-infinity');
EXECUTE after06('infinity');
SELECT count(*) FROM lcrimes06 WHERE date IS NOT NULL;
RESET TimeZone;
RESET plan_cache_mode;
SELECT "where" FROM request_log06 WHERE seq > :mark AND dataset = 'ijzp-q8t2' ORDER BY seq;

-- Postgres compares each row in the TimeZone of the moment it reads it; the portal filtered
-- them with bounds of the zone the scan started in. A cursor read on after SET TimeZone would
-- mix both: it is refused, until the cursor is opened again, unless the new zone gives the
-- same bounds (US/Central is America/Chicago under another name).
BEGIN;
SET LOCAL TimeZone = 'America/Chicago';
DECLARE zone06 CURSOR FOR SELECT id FROM ecrimes WHERE date >= '2020-01-01 00:00:00-06'::timestamptz;
FETCH 1 FROM zone06;
SET LOCAL TimeZone = 'US/Central';
FETCH 1 FROM zone06;
SET LOCAL TimeZone = 'UTC';
FETCH 1 FROM zone06;
ROLLBACK;

-- The same for a value the zone computes, not converts: current_date is one day in Pago Pago
-- (UTC-11) and the next in Kiritimati (UTC+14), whenever the test runs.
BEGIN;
SET LOCAL TimeZone = 'Pacific/Pago_Pago';
DECLARE today06 CURSOR FOR SELECT id FROM ecrimes WHERE date < current_date::timestamp;
FETCH 1 FROM today06;
SET LOCAL TimeZone = 'Pacific/Kiritimati';
FETCH 1 FROM today06;
ROLLBACK;
-- A value that moves for another reason (statement_timestamp(), at each FETCH) reads on in the
-- same zone under another name: the zone does not change it.
BEGIN;
SET LOCAL TimeZone = 'UTC';
DECLARE stamp06 CURSOR FOR SELECT id FROM ecrimes WHERE updated_on < statement_timestamp()::timestamp;
FETCH 1 FROM stamp06;
SET LOCAL TimeZone = 'Etc/UTC';
FETCH 1 FROM stamp06;
ROLLBACK;
-- A value the zone computes as text is compared as text: to_char(now(), 'TZ') is SST in Pago
-- Pago and +14 in Kiritimati.
BEGIN;
SET LOCAL TimeZone = 'Pacific/Pago_Pago';
DECLARE abbrev06 CURSOR FOR SELECT id FROM ecrimes WHERE beat <> to_char(now(), 'TZ');
FETCH 1 FROM abbrev06;
SET LOCAL TimeZone = 'Pacific/Kiritimati';
FETCH 1 FROM abbrev06;
ROLLBACK;
-- A clause that takes a runtime value and then stays local after all (an OR whose other arm
-- cannot be sent) gives the value back: the next runtime value is $2 of the request. (The
-- first is a smallint, sent as any integer.) The count is the local copy's.
SET plan_cache_mode = force_generic_plan;
PREPARE half_sent06(smallint, bigint, text) AS
    SELECT count(*) FROM ecrimes WHERE ward = $1 AND (id = $2 OR block ~ 'X') AND beat = $3;
EXPLAIN (COSTS OFF) EXECUTE half_sent06(17::smallint, 879, '0733');
EXECUTE half_sent06(17::smallint, 879, '0733');
RESET plan_cache_mode;
SELECT count(*) FROM lcrimes06 WHERE ward = 17 AND (id = 879 OR block ~ 'X') AND beat = '0733';

-- Nondeterministic collations: LIKE stays local (and Postgres refuses it, as without the
-- wrapper), and grouping under one stays local (it once grouped case-sensitively remotely).
CREATE COLLATION ci06 (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
SELECT count(*) FROM ecrimes WHERE block COLLATE ci06 LIKE '%Ave';
SELECT (SELECT count(*) FROM (SELECT block COLLATE ci06, count(*) FROM ecrimes GROUP BY 1) g)
     = (SELECT count(*) FROM (SELECT block COLLATE ci06, count(*) FROM lcrimes06 GROUP BY 1) g)
    AS same_groups;
EXPLAIN (COSTS OFF) SELECT block COLLATE ci06, count(*) FROM ecrimes GROUP BY 1;
-- Two implicit collations in conflict: Postgres cannot compare, and says so, with or without
-- the wrapper (the comparison was once pushed and answered 1).
CREATE FOREIGN TABLE ecrimes_ci (block text COLLATE ci06) SERVER exact06 OPTIONS (dataset 'ijzp-q8t2');
SELECT count(*) FROM ecrimes_ci WHERE block = ANY (ARRAY['004XX S HOMAN AVE'::name]::text[]);
SELECT count(*) FROM ecrimes_ci WHERE block = ('004XX S HOMAN AVE'::name)::text;
