-- Analyst views
--
-- Materialized, refreshed by crime_sync() and crime_backfill() (CONCURRENTLY: readers are never
-- blocked), each with a unique index. They are created WITH NO DATA: until the first load (and
-- after a restore from pg_dump, which recreates them empty) querying one raises "has not been
-- populated", and the next sync or backfill populates them. Conventions: a year is the year of occurred_at; a missing
-- primary type is labelled '(UNKNOWN)'; per-type views carry total rows with primary_type 'ALL'
-- and is_total = true; "recent" means relative to the latest occurred_at in the data, never now(),
-- so that the figures mean the same whenever the data was last synced. A materialized view keeps
-- no row order (a concurrent refresh rewrites rows in place): ORDER BY the rank or time column.
--
-- The views read the tallies (see crime.tally_type_month), never crime.incidents: a refresh
-- summarises thousands of counts, not millions of rows. monthly_trend, crime_rate_trend and
-- arrest_rates read the counts per month and type; their totals are sums of the per-type counts.

-- A plain view: the tally already is the table of counts, and is always current.
CREATE VIEW crime.monthly_type_counts AS
SELECT t.month, t.primary_type, t.incidents, t.arrests
FROM crime.tally_type_month t;

COMMENT ON VIEW crime.monthly_type_counts IS
    'Incidents and arrests per month and primary type, only the months and types with incidents (crime.tally_type_month, kept up to date by every sync; empty before the first load)';
COMMENT ON COLUMN crime.monthly_type_counts.month IS 'First day of the month of occurrence';
COMMENT ON COLUMN crime.monthly_type_counts.primary_type IS 'Primary type, ''(UNKNOWN)'' when missing';
COMMENT ON COLUMN crime.monthly_type_counts.incidents IS 'Incidents that occurred in the month';
COMMENT ON COLUMN crime.monthly_type_counts.arrests IS 'Of those, incidents with an arrest';

CREATE MATERIALIZED VIEW crime.monthly_trend AS
WITH counts AS (
    SELECT m.month, m.primary_type, false AS is_total, m.incidents, m.arrests
    FROM crime.tally_type_month m
    UNION ALL
    SELECT m.month, 'ALL', true, sum(m.incidents)::bigint, sum(m.arrests)::bigint
    FROM crime.tally_type_month m
    GROUP BY m.month
),
months AS (
    -- Over timestamp, not timestamptz (which a date would pick): the session's time zone must
    -- not move the months (a midnight daylight-saving change would skip the last one).
    -- The last month is the latest not after the present: one incident the portal dates in the
    -- future (a data error, e.g. 2099) is shown in its month but adds no months of zeros.
    SELECT m::date AS month
    FROM (SELECT min(c.month)::timestamp AS first_month,
                 max(c.month) FILTER (WHERE c.month <= crime.portal_time(now()))::timestamp AS last_month
          FROM counts c) AS b,
         generate_series(b.first_month, b.last_month, interval '1 month') AS m
),
series AS (
    SELECT DISTINCT c.primary_type, c.is_total FROM counts c
)
SELECT c.month, c.primary_type, c.is_total, c.incidents, c.arrests
FROM counts c
UNION ALL
-- every other month of every series, with zeros
SELECT g.month, g.primary_type, g.is_total, 0, 0
FROM (SELECT m.month, s.primary_type, s.is_total FROM months m CROSS JOIN series s
      EXCEPT
      SELECT c.month, c.primary_type, c.is_total FROM counts c) AS g
WITH NO DATA;

CREATE UNIQUE INDEX monthly_trend_key ON crime.monthly_trend (month, primary_type, is_total);
COMMENT ON MATERIALIZED VIEW crime.monthly_trend IS
    'Incidents and arrests per month, overall (primary_type ''ALL'', is_total) and per primary type; every month from the first to the last month of the data is present for every series (0 when none), ready to plot; months after the present (an incident dated in the future, a data error) appear only where they hold incidents';
COMMENT ON COLUMN crime.monthly_trend.month IS 'First day of the month of occurrence';
COMMENT ON COLUMN crime.monthly_trend.primary_type IS 'Primary type, or ''ALL'' on the total rows';
COMMENT ON COLUMN crime.monthly_trend.is_total IS 'True on the rows that total every primary type';
COMMENT ON COLUMN crime.monthly_trend.incidents IS 'Incidents that occurred in the month';
COMMENT ON COLUMN crime.monthly_trend.arrests IS 'Of those, incidents with an arrest';

CREATE MATERIALIZED VIEW crime.theft_hotspots AS
SELECT r.year, r.rank, r.block, r.thefts
FROM (SELECT t.year, t.block, t.thefts,
             rank() OVER (PARTITION BY t.year ORDER BY t.thefts DESC)::integer AS rank
      FROM crime.tally_theft_block_year t) AS r
WHERE r.rank <= 10
WITH NO DATA;

CREATE UNIQUE INDEX theft_hotspots_key ON crime.theft_hotspots (year, block);
COMMENT ON MATERIALIZED VIEW crime.theft_hotspots IS
    'Top 10 blocks for THEFT per year. Blocks tied with the 10th share its rank and are all listed, so a year may have more than 10 rows; thefts without a block (most of the bundled data) are left out';
COMMENT ON COLUMN crime.theft_hotspots.year IS 'Year of occurrence';
COMMENT ON COLUMN crime.theft_hotspots.rank IS 'Rank within the year by thefts, 1 = most (ties share a rank)';
COMMENT ON COLUMN crime.theft_hotspots.block IS 'Block (partially redacted address), e.g. 001XX N STATE ST';
COMMENT ON COLUMN crime.theft_hotspots.thefts IS 'Thefts on the block in the year';

CREATE MATERIALIZED VIEW crime.crime_rate_trend AS
WITH bounds AS (
    -- The month of the latest incident is usually incomplete: the periods end before it. An
    -- incident dated after the present (a data error, e.g. 2099) is not the latest: it would
    -- move both periods past all the data. Compared by day, as holiday_crime does: one dated
    -- later in the current month would otherwise make that month the latest. (date_trunc over
    -- timestamp: the session's time zone must not move the month.)
    SELECT date_trunc('month', max(d.day)::timestamp) AS period_end FROM crime.tally_day d
    WHERE d.day <= crime.portal_time(now())
),
months AS (
    SELECT m AS month, row_number() OVER (ORDER BY m) AS month_no
    FROM bounds b,
         generate_series(b.period_end - interval '24 months', b.period_end - interval '1 month',
                         interval '1 month') AS m
),
by_type AS (
    SELECT m.month::timestamp AS month, m.primary_type, m.incidents
    FROM crime.tally_type_month m, bounds b
    WHERE m.month >= b.period_end - interval '24 months'
      AND m.month < b.period_end
),
counts AS (
    SELECT t.month, t.primary_type, false AS is_total, t.incidents
    FROM by_type t
    UNION ALL
    SELECT t.month, 'ALL', true, sum(t.incidents)::bigint
    FROM by_type t
    GROUP BY t.month
),
series AS (
    SELECT s.primary_type, s.is_total, m.month_no, coalesce(c.incidents, 0) AS incidents
    FROM (SELECT DISTINCT c.primary_type, c.is_total FROM counts c) AS s
    CROSS JOIN months m
    LEFT JOIN counts c ON c.month = m.month AND c.primary_type = s.primary_type AND c.is_total = s.is_total
),
figures AS (
    SELECT s.primary_type, s.is_total,
           sum(s.incidents) FILTER (WHERE s.month_no > 12)::bigint AS last_12_months,
           sum(s.incidents) FILTER (WHERE s.month_no <= 12)::bigint AS previous_12_months,
           regr_slope(s.incidents, s.month_no) AS slope,
           -- R² is 0/0, undefined, when the 24 counts are all the same, and the column says NULL
           -- then; PostgreSQL's regr_r2 returns 1 for a horizontal line, which would present a
           -- type with the same count every month as a perfectly steady trend.
           CASE WHEN min(s.incidents) <> max(s.incidents) THEN regr_r2(s.incidents, s.month_no) END AS r2
    FROM series s
    GROUP BY s.primary_type, s.is_total
)
SELECT f.primary_type, f.is_total,
       (b.period_end - interval '12 months')::date AS period_start,
       b.period_end::date AS period_end,
       f.last_12_months,
       f.previous_12_months,
       f.last_12_months - f.previous_12_months AS change,
       round(100.0 * (f.last_12_months - f.previous_12_months) / nullif(f.previous_12_months, 0), 1) AS change_pct,
       round(f.slope::numeric, 3) AS slope_per_month,
       round(f.r2::numeric, 3) AS slope_r2,
       CASE
           WHEN f.previous_12_months = 0 THEN CASE WHEN f.last_12_months > 0 THEN 'up' ELSE 'flat' END
           WHEN f.last_12_months > 1.05 * f.previous_12_months THEN 'up'
           WHEN f.last_12_months < 0.95 * f.previous_12_months THEN 'down'
           ELSE 'flat'
       END AS direction
FROM figures f
CROSS JOIN bounds b
WITH NO DATA;

CREATE UNIQUE INDEX crime_rate_trend_key ON crime.crime_rate_trend (primary_type, is_total);
COMMENT ON MATERIALIZED VIEW crime.crime_rate_trend IS
    'Is crime going up or down? Per primary type and overall (''ALL''): incidents in the last 12 complete months of the data vs the 12 months before, and the least-squares slope of the monthly counts over those 24 months. Relative to the latest occurred_at in the data, not to now(): the month holding the latest incident is treated as incomplete and left out (incidents dated after the present, a data error, do not count as the latest). Types with no incident in the 24 months are absent';
COMMENT ON COLUMN crime.crime_rate_trend.primary_type IS 'Primary type, or ''ALL'' on the total row';
COMMENT ON COLUMN crime.crime_rate_trend.is_total IS 'True on the row that totals every primary type';
COMMENT ON COLUMN crime.crime_rate_trend.period_start IS 'First day of the last 12 months; the previous 12 months end the day before';
COMMENT ON COLUMN crime.crime_rate_trend.period_end IS 'End (exclusive) of the last 12 months: the first day of the month of the latest incident';
COMMENT ON COLUMN crime.crime_rate_trend.last_12_months IS 'Incidents in [period_start, period_end)';
COMMENT ON COLUMN crime.crime_rate_trend.previous_12_months IS 'Incidents in the 12 months before period_start';
COMMENT ON COLUMN crime.crime_rate_trend.change IS 'last_12_months - previous_12_months';
COMMENT ON COLUMN crime.crime_rate_trend.change_pct IS 'Change in percent of previous_12_months (NULL when that is 0)';
COMMENT ON COLUMN crime.crime_rate_trend.slope_per_month IS 'Fitted trend (regr_slope) of the 24 monthly counts: incidents per month gained (or lost, when negative) each month';
COMMENT ON COLUMN crime.crime_rate_trend.slope_r2 IS 'Coefficient of determination of that fit (regr_r2): near 1 a steady trend, near 0 noise; NULL when the counts are constant';
COMMENT ON COLUMN crime.crime_rate_trend.direction IS '''up'' or ''down'' when the last 12 months differ from the previous 12 by more than 5%, otherwise ''flat''';

CREATE MATERIALIZED VIEW crime.late_night_safety AS
SELECT a.community_area, a.community_area_name, a.late_night_incidents, a.incidents,
       round(100.0 * a.late_night_incidents / nullif(a.incidents, 0), 1) AS late_night_pct,
       rank() OVER (ORDER BY a.late_night_incidents)::integer AS safety_rank
FROM (SELECT ca.community_area, ca.name AS community_area_name,
             coalesce(n.late_night_incidents, 0) AS late_night_incidents,
             coalesce(n.incidents, 0) AS incidents
      FROM crime.community_areas ca
      LEFT JOIN crime.tally_community_area n ON n.community_area = ca.community_area) AS a
WITH NO DATA;

CREATE UNIQUE INDEX late_night_safety_key ON crime.late_night_safety (community_area);
COMMENT ON MATERIALIZED VIEW crime.late_night_safety IS
    'Incidents between 22:00 and 04:00 (local time, 04:00 excluded) per community area, all 77 areas, ranked by safety_rank (1 = fewest). Incidents without a community area (most of the bundled data) are not counted; counts are not adjusted for population';
COMMENT ON COLUMN crime.late_night_safety.community_area IS 'Community area number (1-77)';
COMMENT ON COLUMN crime.late_night_safety.community_area_name IS 'Community area name';
COMMENT ON COLUMN crime.late_night_safety.late_night_incidents IS 'Incidents that occurred between 22:00 and 04:00';
COMMENT ON COLUMN crime.late_night_safety.incidents IS 'All incidents in the area, at any hour';
COMMENT ON COLUMN crime.late_night_safety.late_night_pct IS 'late_night_incidents in percent of incidents (NULL when the area has none)';
COMMENT ON COLUMN crime.late_night_safety.safety_rank IS 'Rank by late_night_incidents, 1 = safest (ties share a rank)';

CREATE MATERIALIZED VIEW crime.arrest_rates AS
WITH by_type AS (
    SELECT m.primary_type, extract(year FROM m.month)::integer AS year,
           sum(m.incidents)::bigint AS incidents, sum(m.arrests)::bigint AS arrests
    FROM crime.tally_type_month m
    GROUP BY 1, 2
),
counts AS (
    SELECT t.primary_type, false AS is_total, t.year, t.incidents, t.arrests
    FROM by_type t
    UNION ALL
    SELECT 'ALL', true, t.year, sum(t.incidents)::bigint, sum(t.arrests)::bigint
    FROM by_type t
    GROUP BY t.year
)
SELECT c.primary_type, c.is_total, c.year, c.incidents, c.arrests,
       round(c.arrests::numeric / c.incidents, 4) AS arrest_rate
FROM counts c
WITH NO DATA;

CREATE UNIQUE INDEX arrest_rates_key ON crime.arrest_rates (primary_type, is_total, year);
COMMENT ON MATERIALIZED VIEW crime.arrest_rates IS
    'Incidents, arrests and arrest rate per primary type (and overall, ''ALL'') and year. For a range of years sum the counts: SELECT primary_type, sum(arrests)::numeric / sum(incidents) FROM crime.arrest_rates WHERE year BETWEEN 2016 AND 2019 GROUP BY 1';
COMMENT ON COLUMN crime.arrest_rates.primary_type IS 'Primary type, or ''ALL'' on the total rows';
COMMENT ON COLUMN crime.arrest_rates.is_total IS 'True on the rows that total every primary type';
COMMENT ON COLUMN crime.arrest_rates.year IS 'Year of occurrence';
COMMENT ON COLUMN crime.arrest_rates.incidents IS 'Incidents';
COMMENT ON COLUMN crime.arrest_rates.arrests IS 'Incidents with an arrest';
COMMENT ON COLUMN crime.arrest_rates.arrest_rate IS 'arrests / incidents, a fraction between 0 and 1';

CREATE MATERIALIZED VIEW crime.holiday_crime AS
WITH bounds AS (
    -- Up to the latest day not after the present: an incident dated in the future (a data
    -- error) would otherwise count every day up to it as an ordinary day without incidents.
    SELECT min(d.day) AS first_day,
           max(d.day) FILTER (WHERE d.day <= crime.portal_time(now())) AS last_day
    FROM crime.tally_day d
),
holiday_days AS (
    SELECT h.holiday_date AS day FROM crime.holidays h
    UNION
    SELECT h.observed_date FROM crime.holidays h
    UNION
    -- crime.holidays covers the years of the data only, but a New Year's Day on a Saturday is
    -- observed on December 31 of the year before: when the data ends in such a December, that
    -- Friday is no ordinary day either. (greatest: as crime.refresh_reference_data(), never ask
    -- for a year before 1971, which the function refuses.)
    SELECT f.observed_date
    FROM bounds b,
         crime.us_federal_holidays(greatest(extract(year FROM b.last_day)::integer + 1, 1971),
                                   extract(year FROM b.last_day)::integer + 1) AS f
),
ordinary_days AS (
    SELECT d::date AS day   -- over timestamp, as in monthly_trend: the time zone must not matter
    FROM bounds b,
         generate_series(b.first_day::timestamp, b.last_day::timestamp, interval '1 day') AS d
    WHERE NOT EXISTS (SELECT FROM holiday_days hd WHERE hd.day = d::date)
),
baseline AS (
    SELECT extract(year FROM o.day)::integer AS year, extract(isodow FROM o.day)::integer AS isodow,
           avg(coalesce(dl.incidents, 0)) AS average, count(*) AS days
    FROM ordinary_days o
    LEFT JOIN crime.tally_day dl ON dl.day = o.day
    GROUP BY 1, 2
)
SELECT h.year, h.holiday, h.holiday_date,
       to_char(h.holiday_date, 'FMDay') AS weekday,
       coalesce(dl.incidents, 0) AS incidents,
       round(bl.average, 2) AS weekday_average,
       round(coalesce(dl.incidents, 0) / nullif(bl.average, 0), 2) AS ratio,
       bl.days AS baseline_days
FROM crime.holidays h
JOIN bounds b ON h.holiday_date BETWEEN b.first_day AND b.last_day
LEFT JOIN crime.tally_day dl ON dl.day = h.holiday_date
LEFT JOIN baseline bl ON bl.year = h.year AND bl.isodow = extract(isodow FROM h.holiday_date)
WITH NO DATA;

CREATE UNIQUE INDEX holiday_crime_key ON crime.holiday_crime (year, holiday);
COMMENT ON MATERIALIZED VIEW crime.holiday_crime IS
    'Incidents on each US federal holiday (the day itself, e.g. December 25, not the observed day off) vs the average of the same weekday in that year over ordinary days (not a holiday nor an observed holiday), within the date range of the data (up to the present: incidents dated in the future, a data error, do not extend it)';
COMMENT ON COLUMN crime.holiday_crime.year IS 'Year';
COMMENT ON COLUMN crime.holiday_crime.holiday IS 'Official name of the holiday';
COMMENT ON COLUMN crime.holiday_crime.holiday_date IS 'Date of the holiday';
COMMENT ON COLUMN crime.holiday_crime.weekday IS 'Day of the week of the holiday';
COMMENT ON COLUMN crime.holiday_crime.incidents IS 'Incidents that occurred on the holiday';
COMMENT ON COLUMN crime.holiday_crime.weekday_average IS 'Average incidents per ordinary day of the same weekday in the same year';
COMMENT ON COLUMN crime.holiday_crime.ratio IS 'incidents / weekday_average: above 1 busier than an ordinary such weekday (NULL when the average is 0)';
COMMENT ON COLUMN crime.holiday_crime.baseline_days IS 'Number of ordinary days the average is taken over';

CREATE MATERIALIZED VIEW crime.district_summary AS
-- Both levels from crime.tally_district_ward (a district and a ward pair up in a few hundred ways).
WITH by_district AS (
    SELECT c.district AS area, sum(c.incidents)::bigint AS incidents, sum(c.arrests)::bigint AS arrests
    FROM crime.tally_district_ward c
    WHERE c.district IS NOT NULL
    GROUP BY 1
),
by_ward AS (
    SELECT c.ward AS area, sum(c.incidents)::bigint AS incidents, sum(c.arrests)::bigint AS arrests
    FROM crime.tally_district_ward c
    WHERE c.ward IS NOT NULL
    GROUP BY 1
),
areas AS (
    SELECT 'district' AS level, coalesce(d.area, s.district_number) AS area,
           coalesce(s.district_name, 'District ' || coalesce(d.area, s.district_number)) AS name,
           NULL::text AS alderman,
           btrim(s.address, E' \t\r\n') AS address, s.phone,
           coalesce(d.incidents, 0) AS incidents, coalesce(d.arrests, 0) AS arrests
    FROM by_district d
    FULL JOIN (SELECT * FROM crime.police_stations WHERE district_number IS NOT NULL) AS s
           ON s.district_number = d.area
    UNION ALL
    SELECT 'ward', coalesce(w.area, o.ward),
           'Ward ' || coalesce(w.area, o.ward),
           o.alderman,
           btrim(o.address, E' \t\r\n'), o.ward_phone,
           coalesce(w.incidents, 0), coalesce(w.arrests, 0)
    FROM by_ward w
    FULL JOIN crime.wards o ON o.ward = w.area
)
SELECT a.level, a.area, a.name, a.alderman, a.address, a.phone, a.incidents, a.arrests,
       round(a.arrests::numeric / nullif(a.incidents, 0), 4) AS arrest_rate
FROM areas a
WITH NO DATA;

CREATE UNIQUE INDEX district_summary_key ON crime.district_summary (level, area);
COMMENT ON MATERIALIZED VIEW crime.district_summary IS
    'Incidents, arrests and arrest rate per police district (level ''district'', with its station''s name, address and phone) and per City Council ward (level ''ward'', with its ward office''s alderperson, address and phone). Filter on level; areas without incidents or without a station/office appear too. Incidents without a district are not counted at the district level, nor those without a ward at the ward level: a level''s incidents can sum to fewer than crime.incidents holds';
COMMENT ON COLUMN crime.district_summary.level IS '''district'' (police district) or ''ward'' (City Council ward)';
COMMENT ON COLUMN crime.district_summary.area IS 'Police district number or ward number';
COMMENT ON COLUMN crime.district_summary.name IS 'District name (from the police station, e.g. Near North) or ''Ward <n>''';
COMMENT ON COLUMN crime.district_summary.alderman IS 'Alderperson of the ward (NULL for districts)';
COMMENT ON COLUMN crime.district_summary.address IS 'Address of the police station or of the ward office';
COMMENT ON COLUMN crime.district_summary.phone IS 'Phone number of the police station or of the ward office';
COMMENT ON COLUMN crime.district_summary.incidents IS 'Incidents in the area (incidents without a district or ward are in no area of that level)';
COMMENT ON COLUMN crime.district_summary.arrests IS 'Of those, incidents with an arrest';
COMMENT ON COLUMN crime.district_summary.arrest_rate IS 'arrests / incidents, a fraction between 0 and 1 (NULL without incidents)';
