-- chicago_crime: every analyst view's figures equal figures computed independently, with plain SQL,
-- from the bundled source files (data/*.csv), after a sync of the bundled data.
--
-- Runs in a database of its own, against the local SODA server ($SODA_URL, by default
-- http://127.0.0.1:25480), which serves the same files. Run from the repository root.
\set test_db warehouse_views_test
\ir warehouse/setup.psql

-- The source rows, straight from the files the SODA server serves.
CREATE TEMP TABLE src (
    id bigint, case_number text, date timestamp, block text, iucr text, primary_type text,
    description text, location_description text, arrest boolean, domestic boolean, beat text,
    district text, ward integer, community_area text, fbi_code text, x_coordinate numeric,
    y_coordinate numeric, year integer, updated_on timestamp, latitude double precision,
    longitude double precision);
\copy src FROM PROGRAM 'gzip -dc data/crimes.csv.gz' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE src_stations (
    district text, district_name text, address text, city text, state text, zip text, website text,
    phone text, fax text, tty text, x_coordinate numeric, y_coordinate numeric, latitude float8,
    longitude float8, location text);
\copy src_stations FROM 'data/police_stations.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE src_wards (
    ward integer, alderman text, address text, city text, state text, zipcode text, ward_phone text,
    ward_fax text, email text, website text, location text, city_hall_address text,
    city_hall_city text, city_hall_state text, city_hall_zipcode text, city_hall_phone text,
    photo_link text);
\copy src_wards FROM 'data/ward_offices.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE src_areas (community_area integer, name text);
\copy src_areas FROM 'data/community_areas.csv' WITH (FORMAT csv, HEADER true)

SELECT plan(37);

SELECT is(status, 'succeeded', 'the bundled data is synced') FROM crime_sync();
SELECT is((SELECT count(*) FROM crime.incidents), (SELECT count(*) FROM src), 'all of it');

-- Links keep their address whether the portal sends a url field's {"url": ...} object (the
-- stations' website) or text (the wards' links, on this server)
SELECT set_eq($$SELECT district, website FROM crime.police_stations$$,
              $$SELECT district, website FROM src_stations$$,
              'police_stations.website: the url of the portal''s url object');
SELECT set_eq($$SELECT ward, website, photo_link FROM crime.wards$$,
              $$SELECT ward, website, photo_link FROM src_wards$$,
              'wards.website and photo_link: the text as sent');

-------------------------------------------------------------------------------------------------
-- monthly_type_counts (read by monthly_trend, crime_rate_trend, arrest_rates)
-------------------------------------------------------------------------------------------------
SELECT set_eq(
    $$SELECT month, primary_type, incidents, arrests FROM crime.monthly_type_counts$$,
    $$SELECT date_trunc('month', date)::date, coalesce(primary_type, '(UNKNOWN)'),
             count(*) AS incidents, count(*) FILTER (WHERE arrest) AS arrests
      FROM src GROUP BY 1, 2$$,
    'monthly_type_counts: incidents and arrests per month and type, the months and types with incidents');

-------------------------------------------------------------------------------------------------
-- monthly_trend
-------------------------------------------------------------------------------------------------
SELECT set_eq(
    $$SELECT month, primary_type, is_total, incidents, arrests FROM crime.monthly_trend WHERE incidents > 0$$,
    $$SELECT date_trunc('month', date)::date AS month, primary_type, false AS is_total,
             count(*) AS incidents, count(*) FILTER (WHERE arrest) AS arrests
      FROM src GROUP BY 1, 2
      UNION ALL
      SELECT date_trunc('month', date)::date, 'ALL', true, count(*), count(*) FILTER (WHERE arrest)
      FROM src GROUP BY 1$$,
    'monthly_trend: incidents and arrests per month, per type and in total');
SELECT is((SELECT count(*) FROM crime.monthly_trend),
          (SELECT (count(DISTINCT primary_type) + 1)
                  * ((extract(year FROM max(date)) - extract(year FROM min(date))) * 12
                     + extract(month FROM max(date)) - extract(month FROM min(date)) + 1)
           FROM src)::bigint,
          'monthly_trend: every series has every month, zeros included');

-------------------------------------------------------------------------------------------------
-- theft_hotspots
-------------------------------------------------------------------------------------------------
SELECT set_eq(
    $$SELECT year, rank, block, thefts FROM crime.theft_hotspots$$,
    $$WITH blocks AS (
          SELECT extract(year FROM date)::integer AS year, block, count(*) AS thefts
          FROM src WHERE primary_type = 'THEFT' AND block IS NOT NULL GROUP BY 1, 2),
      ranked AS (
          SELECT b.*, (SELECT count(*) FROM blocks o WHERE o.year = b.year AND o.thefts > b.thefts) AS better
          FROM blocks b)
      SELECT year, better::integer + 1 AS rank, block, thefts FROM ranked WHERE better < 10$$,
    'theft_hotspots: the blocks with fewer than 10 blocks ahead of them, per year');

-------------------------------------------------------------------------------------------------
-- crime_rate_trend: least squares written out, x = 1..24 over the 24 months before the month of
-- the latest incident
-------------------------------------------------------------------------------------------------
SELECT set_eq(
    $$SELECT primary_type, is_total, period_start, period_end, last_12_months, previous_12_months,
             change_pct, slope_per_month, direction
      FROM crime.crime_rate_trend$$,
    $$WITH anchor AS (SELECT date_trunc('month', max(date)) AS period_end FROM src),
      recent AS (
          SELECT s.primary_type,
                 (extract(year FROM s.date) * 12 + extract(month FROM s.date))
                 - (extract(year FROM a.period_end) * 12 + extract(month FROM a.period_end)) + 25 AS x
          FROM src s, anchor a
          WHERE s.date >= a.period_end - interval '24 months' AND s.date < a.period_end),
      sums AS (
          SELECT primary_type, false AS is_total,
                 count(*) FILTER (WHERE x > 12) AS last12, count(*) FILTER (WHERE x <= 12) AS prev12,
                 sum(x) AS sxy
          FROM recent GROUP BY primary_type
          UNION ALL
          SELECT 'ALL', true, count(*) FILTER (WHERE x > 12), count(*) FILTER (WHERE x <= 12), sum(x)
          FROM recent)
      SELECT primary_type, is_total, (a.period_end - interval '12 months')::date AS period_start,
             a.period_end::date AS period_end, last12, prev12,
             round(100.0 * (last12 - prev12) / nullif(prev12, 0), 1) AS change_pct,
             -- slope = (n*Sxy - Sx*Sy) / (n*Sxx - Sx^2) with n = 24, Sx = 300, Sxx = 4900
             round((24 * sxy - 300 * (last12 + prev12)) / 27600.0, 3) AS slope,
             CASE WHEN prev12 = 0 THEN CASE WHEN last12 > 0 THEN 'up' ELSE 'flat' END
                  WHEN (last12 - prev12) * 100.0 / prev12 > 5 THEN 'up'
                  WHEN (last12 - prev12) * 100.0 / prev12 < -5 THEN 'down'
                  ELSE 'flat' END AS direction
      FROM sums, anchor a$$,
    'crime_rate_trend: last 12 months vs the 12 before, fitted slope and direction, per type and overall');

-- A type with the same count in each of the 24 months: R² is undefined (0/0), and the column
-- promises NULL (PostgreSQL's regr_r2 gives 1 for a horizontal line). No bundled type is
-- constant, so one is added to the tally for the length of a transaction.
BEGIN;
INSERT INTO crime.tally_type_month (month, primary_type, incidents, arrests, id_sum)
SELECT m::date, 'TEST: 3 EVERY MONTH', 3, 0, 0
FROM (SELECT max(month)::timestamp AS period_end FROM crime.tally_type_month) AS b,
     generate_series(b.period_end - interval '24 months', b.period_end - interval '1 month', interval '1 month') AS m;
REFRESH MATERIALIZED VIEW crime.crime_rate_trend;
SELECT slope_per_month AS constant_slope, coalesce(slope_r2::text, 'NULL') AS constant_r2,
       last_12_months AS constant_last_12
FROM crime.crime_rate_trend WHERE primary_type = 'TEST: 3 EVERY MONTH' \gset
ROLLBACK;
SELECT is(:'constant_last_12' || ' ' || :'constant_slope' || ' ' || :'constant_r2', '36 0.000 NULL',
          'crime_rate_trend: constant monthly counts have slope 0 and no R² (NULL, not 1)');

-------------------------------------------------------------------------------------------------
-- late_night_safety
-------------------------------------------------------------------------------------------------
SELECT set_eq(
    $$SELECT community_area, late_night_incidents, incidents, safety_rank FROM crime.late_night_safety$$,
    $$WITH counts AS (
          SELECT a.community_area,
                 count(s.id) FILTER (WHERE extract(hour FROM s.date) >= 22 OR extract(hour FROM s.date) < 4) AS late,
                 count(s.id) AS total
          FROM src_areas a LEFT JOIN src s ON s.community_area::integer = a.community_area
          GROUP BY a.community_area)
      SELECT c.community_area, c.late, c.total,
             1 + (SELECT count(*) FROM counts o WHERE o.late < c.late)::integer AS rank
      FROM counts c$$,
    'late_night_safety: incidents from 22:00 to 04:00 per community area, ranked safest first');
SELECT is((SELECT count(*) FROM crime.late_night_safety), 77::bigint, 'late_night_safety: all 77 areas');
SELECT is((SELECT community_area_name FROM crime.late_night_safety WHERE safety_rank = 1 ORDER BY community_area LIMIT 1),
          (SELECT name FROM crime.community_areas WHERE community_area =
              (SELECT community_area FROM crime.late_night_safety WHERE safety_rank = 1 ORDER BY community_area LIMIT 1)),
          'late_night_safety: areas carry their names');

-------------------------------------------------------------------------------------------------
-- arrest_rates
-------------------------------------------------------------------------------------------------
SELECT set_eq(
    $$SELECT primary_type, is_total, year, incidents, arrests, arrest_rate FROM crime.arrest_rates$$,
    $$SELECT primary_type, false AS is_total, extract(year FROM date)::integer AS year,
             count(*) AS incidents, count(*) FILTER (WHERE arrest) AS arrests,
             round(sum(arrest::integer)::numeric / count(*), 4) AS arrest_rate
      FROM src GROUP BY 1, 3
      UNION ALL
      SELECT 'ALL', true, extract(year FROM date)::integer, count(*), count(*) FILTER (WHERE arrest),
             round(sum(arrest::integer)::numeric / count(*), 4)
      FROM src GROUP BY 3$$,
    'arrest_rates: incidents, arrests and rate per type and year, and in total');
SELECT is((SELECT round(sum(arrests)::numeric / sum(incidents), 4) FROM crime.arrest_rates
           WHERE year BETWEEN 2016 AND 2019 AND primary_type = 'NARCOTICS'),
          (SELECT round(avg(arrest::integer), 4) FROM src
           WHERE primary_type = 'NARCOTICS' AND date >= '2016-01-01' AND date < '2020-01-01'),
          'arrest_rates: a range of years is one WHERE away');

-------------------------------------------------------------------------------------------------
-- holiday_crime
-------------------------------------------------------------------------------------------------
SELECT set_eq(
    $$SELECT year, holiday, holiday_date, incidents, weekday_average, ratio, baseline_days FROM crime.holiday_crime$$,
    $$WITH span AS (SELECT min(date)::date AS first_day, max(date)::date AS last_day FROM src),
      per_day AS (SELECT date::date AS day, count(*) AS n FROM src GROUP BY 1),
      ordinary AS (
          SELECT g::date AS day, coalesce(p.n, 0) AS n
          FROM span, generate_series(span.first_day, span.last_day, interval '1 day') AS g
          LEFT JOIN per_day p ON p.day = g::date
          WHERE g::date NOT IN (SELECT holiday_date FROM crime.holidays)
            AND g::date NOT IN (SELECT observed_date FROM crime.holidays))
      SELECT h.year, h.holiday, h.holiday_date,
             coalesce((SELECT n FROM per_day WHERE day = h.holiday_date), 0) AS incidents,
             round(b.total::numeric / b.days, 2) AS average,
             round(coalesce((SELECT n FROM per_day WHERE day = h.holiday_date), 0) / (b.total::numeric / b.days), 2) AS ratio,
             b.days
      FROM crime.holidays h, span,
           LATERAL (SELECT sum(o.n) AS total, count(*) AS days FROM ordinary o
                    WHERE extract(year FROM o.day) = h.year
                      AND extract(isodow FROM o.day) = extract(isodow FROM h.holiday_date)) AS b
      WHERE h.holiday_date BETWEEN span.first_day AND span.last_day$$,
    'holiday_crime: incidents on each holiday vs the average ordinary day of the same weekday that year');
SELECT is((SELECT incidents FROM crime.holiday_crime WHERE holiday_date = '2021-12-25'),
          (SELECT count(*) FROM src WHERE date >= '2021-12-25' AND date < '2021-12-26'),
          'holiday_crime: Christmas 2021 counted on the day itself');
SELECT is((SELECT weekday FROM crime.holiday_crime WHERE holiday_date = '2021-12-25'), 'Saturday',
          'holiday_crime: with its weekday');

-- Data that ends on 2021-12-31: New Year's Day 2022 is a Saturday, observed on Friday 2021-12-31,
-- which is no ordinary Friday even though 2022 is not (yet) among the data's years. The Fridays
-- of 2021 (53) less New Year's Day, Juneteenth observed (06-18), Christmas observed (12-24) and
-- New Year's Day 2022 observed (12-31), per the OPM calendar: 49. As the sync leaves it for such
-- data (tally_day and holidays up to 2021), for the length of a transaction.
BEGIN;
DELETE FROM crime.tally_day WHERE day > '2021-12-31';
DELETE FROM crime.holidays WHERE year > 2021;
REFRESH MATERIALIZED VIEW crime.holiday_crime;
SELECT baseline_days AS fridays_2021, weekday_average AS fridays_2021_average
FROM crime.holiday_crime WHERE holiday_date = '2021-01-01' \gset
ROLLBACK;
SELECT is(:'fridays_2021' || ' ' || :'fridays_2021_average',
          (SELECT count(*) || ' ' || round(avg(coalesce(n, 0)), 2)
           FROM generate_series('2021-01-01'::timestamp, '2021-12-31', interval '1 day') AS g
           LEFT JOIN (SELECT date::date AS day, count(*) AS n FROM src GROUP BY 1) AS p ON p.day = g::date
           WHERE extract(isodow FROM g) = 5
             AND g::date NOT IN ('2021-01-01', '2021-06-18', '2021-12-24', '2021-12-31')),
          'holiday_crime: data ending 2021-12-31 leaves that Friday (New Year''s Day 2022 observed) out of the baseline');

-------------------------------------------------------------------------------------------------
-- district_summary
-------------------------------------------------------------------------------------------------
SELECT set_eq(
    $$SELECT area, name, phone, incidents, arrests, arrest_rate FROM crime.district_summary WHERE level = 'district'$$,
    $$SELECT coalesce(d.area, s.district::integer) AS area, coalesce(s.district_name, 'District ' || d.area) AS name,
             s.phone, coalesce(d.n, 0) AS incidents, coalesce(d.arrests, 0) AS arrests,
             round(d.arrests::numeric / d.n, 4) AS arrest_rate
      FROM (SELECT district::integer AS area, count(*) AS n, sum(arrest::integer) AS arrests
            FROM src WHERE district IS NOT NULL GROUP BY 1) AS d
      FULL JOIN (SELECT * FROM src_stations WHERE district <> 'Headquarters') AS s ON s.district::integer = d.area$$,
    'district_summary: incidents and arrests per police district, with its station');
SELECT is((SELECT address FROM crime.district_summary WHERE level = 'district' AND area = 12),
          (SELECT btrim(address, E' \n') FROM src_stations WHERE district = '12'),
          'district_summary: station addresses are trimmed');
SELECT set_eq(
    $$SELECT area, alderman, phone, incidents, arrests, arrest_rate FROM crime.district_summary WHERE level = 'ward'$$,
    $$SELECT coalesce(w.area, o.ward) AS area, o.alderman, o.ward_phone,
             coalesce(w.n, 0) AS incidents, coalesce(w.arrests, 0) AS arrests,
             round(w.arrests::numeric / w.n, 4) AS arrest_rate
      FROM (SELECT ward AS area, count(*) AS n, sum(arrest::integer) AS arrests
            FROM src WHERE ward IS NOT NULL GROUP BY 1) AS w
      FULL JOIN src_wards o ON o.ward = w.area$$,
    'district_summary: incidents and arrests per ward, with its office');
SELECT is((SELECT sum(incidents) FROM crime.district_summary WHERE level = 'district'),
          (SELECT count(*) FROM src WHERE district IS NOT NULL)::numeric,
          'district_summary: every incident with a district is counted once');
SELECT is((SELECT sum(incidents) FROM crime.district_summary WHERE level = 'ward'),
          (SELECT count(*) FROM src WHERE ward IS NOT NULL)::numeric,
          'district_summary: every incident with a ward is counted once, those without one nowhere');
-- The docs promise that a view grouping by a column that may be missing says so in its comment:
-- 18% of the bundled incidents have no ward, 1% no district.
SELECT ok(obj_description('crime.district_summary'::regclass, 'pg_class')
              ~ 'without a district are not counted.*without a ward',
          'district_summary: its comment says that incidents without a district or ward are not counted');

-------------------------------------------------------------------------------------------------
-- One incident the portal dates in the future (a data error, 2099) is counted, but moves no
-- view's time frame past the present: the trend's periods, the zero-filled months and the
-- holidays' baseline days end where they did. For the length of a transaction.
-------------------------------------------------------------------------------------------------
-- (Each view's rows as one text, captured with \gset: the transaction rolls back.)
SELECT coalesce(string_agg(t::text, '; ' ORDER BY t::text), 'no rows') AS before_trend FROM crime.crime_rate_trend t \gset
SELECT coalesce(string_agg(t::text, '; ' ORDER BY t::text), 'no rows') AS before_holidays FROM crime.holiday_crime t \gset
SELECT max(month) AS last_trend_month FROM crime.monthly_trend \gset
BEGIN;
INSERT INTO crime.tally_type_month VALUES ('2099-01-01', 'THEFT', 1, 0, 99999999);
INSERT INTO crime.tally_day VALUES ('2099-01-01', 1);
REFRESH MATERIALIZED VIEW crime.crime_rate_trend;
REFRESH MATERIALIZED VIEW crime.monthly_trend;
REFRESH MATERIALIZED VIEW crime.holiday_crime;
SELECT coalesce(string_agg(t::text, '; ' ORDER BY t::text), 'no rows') AS future_trend FROM crime.crime_rate_trend t \gset
SELECT coalesce(string_agg(t::text, '; ' ORDER BY t::text), 'no rows') AS future_holidays FROM crime.holiday_crime t \gset
SELECT coalesce(string_agg(format('%s %s %s', month, primary_type, incidents), '; '
                          ORDER BY month, primary_type), 'no rows') AS future_months
FROM crime.monthly_trend WHERE month > :'last_trend_month' \gset
ROLLBACK;
SELECT is(:'future_trend'::text, :'before_trend',
          'crime_rate_trend: an incident dated 2099 does not move the periods');
SELECT is(:'future_months'::text, '2099-01-01 ALL 1; 2099-01-01 THEFT 1',
          'monthly_trend: the 2099 incident is shown in its month, with no months of zeros up to it');
SELECT is(:'future_holidays'::text, :'before_holidays',
          'holiday_crime: an incident dated 2099 adds no holidays and changes no baseline');

-- Dated tomorrow: within the current month on most days (not on a month's last, where this
-- checks the 2099 case again), so comparing by month would take this month as the latest.
BEGIN;
SELECT (crime.portal_time(now()) + interval '1 day')::date AS tomorrow \gset
INSERT INTO crime.tally_type_month VALUES (date_trunc('month', :'tomorrow'::timestamp), 'THEFT', 1, 0, 99999998);
INSERT INTO crime.tally_day VALUES (:'tomorrow', 1);
REFRESH MATERIALIZED VIEW crime.crime_rate_trend;
SELECT coalesce(string_agg(t::text, '; ' ORDER BY t::text), 'no rows') AS tomorrow_trend FROM crime.crime_rate_trend t \gset
ROLLBACK;
SELECT is(:'tomorrow_trend'::text, :'before_trend',
          'crime_rate_trend: an incident dated tomorrow does not move the periods either');

-- Once the present passes such a date, the three views change with no change to the counts:
-- crime.refresh_views() refreshes them when a day or month of the tallies lies between the
-- present of its last call (crime.views_state) and this one. Here the last call is moved back
-- three days and yesterday gets an incident. Within a transaction, rolled back.
BEGIN;
SELECT (crime.portal_time(now()) - interval '1 day')::date AS yesterday \gset
INSERT INTO crime.tally_day VALUES (:'yesterday', 1)
ON CONFLICT (day) DO UPDATE SET incidents = crime.tally_day.incidents + 1;
SELECT is(crime.refresh_views('{}'), '{}',
          'refresh_views: no date of the data lies between its last call and now, so nothing is refreshed');
UPDATE crime.views_state SET present = crime.portal_time(now()) - interval '3 days';
SELECT is(crime.refresh_views('{}'),
          '{crime.arrest_rates,crime.crime_rate_trend,crime.holiday_crime,crime.monthly_trend}',
          'refresh_views: a day of the data between its last call and now refreshes the views that leave out future dates (and arrest_rates, which reads the same tally)');
SELECT is((SELECT present FROM crime.views_state), crime.portal_time(now()),
          'and records the present they now show');
SELECT is(crime.refresh_views('{}'), '{}', 'so the next call refreshes nothing');
-- The first of the current month passed, though no day of the data did (an incident dated
-- later this month): monthly_trend, which compares months, gets the month's row.
UPDATE crime.views_state
SET present = date_trunc('month', crime.portal_time(now())) - interval '1 day';
INSERT INTO crime.tally_type_month
VALUES (date_trunc('month', crime.portal_time(now())), 'THEFT', 1, 0, 99999997);
SELECT is(crime.refresh_views('{}'),
          '{crime.arrest_rates,crime.crime_rate_trend,crime.holiday_crime,crime.monthly_trend}',
          'refresh_views: so does a month of the data that began between its last call and now');
DELETE FROM crime.views_state;
SELECT ok(crime.refresh_views('{}') @> '{crime.holiday_crime}',
          'refresh_views: with no present recorded (as after a restore), the three views are refreshed');
ROLLBACK;

-------------------------------------------------------------------------------------------------
-- The session's time zone does not change what a refresh computes, even where daylight saving
-- starts at midnight (Havana) or a day was skipped (Apia skipped 2011-12-30)
-------------------------------------------------------------------------------------------------
CREATE TEMP TABLE utc_trend AS SELECT * FROM crime.monthly_trend;
CREATE TEMP TABLE utc_holidays AS SELECT * FROM crime.holiday_crime;
SET TimeZone = 'America/Havana';
SELECT crime.refresh_views(ARRAY['crime.tally_type_month'::regclass, 'crime.tally_day'::regclass])
    IS NOT NULL AS refreshed \gset
SELECT set_eq($$SELECT * FROM crime.monthly_trend$$, $$SELECT * FROM utc_trend$$,
              'monthly_trend refreshed in Havana time equals the UTC refresh');
SET TimeZone = 'Pacific/Apia';
SELECT crime.refresh_views(ARRAY['crime.tally_type_month'::regclass, 'crime.tally_day'::regclass])
    IS NOT NULL AS refreshed \gset
SELECT set_eq($$SELECT * FROM crime.holiday_crime$$, $$SELECT * FROM utc_holidays$$,
              'holiday_crime refreshed in Apia time equals the UTC refresh');
RESET TimeZone;

SELECT * FROM finish();

\c :origin_db
DROP DATABASE :"test_db";
