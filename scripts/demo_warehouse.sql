-- The warehouse part of `make demo` (psql script; :soda_url is the local SODA server).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION chicago_crime CASCADE;
ALTER SERVER chicago_data_portal OPTIONS (SET base_url :'soda_url');
RESET client_min_messages;

\echo 'First sync: a full load of the crimes dataset, reference tables and views.'
SELECT status, rows_fetched, inserted, updated, deleted, unchanged, watermark_after, duration,
       views_refreshed FROM crime_sync();
\echo 'Second sync: only what changed since the watermark (nothing, here).'
SELECT status, rows_fetched, inserted, updated, deleted, unchanged, watermark_after, duration,
       views_refreshed FROM crime_sync();
SELECT count(*) AS incidents, min(occurred_at) AS first, max(occurred_at) AS last FROM crime.incidents;

\echo 'Is crime going up or down? (last 12 months of data vs the 12 before, fitted monthly slope)'
SELECT primary_type, last_12_months, previous_12_months, change_pct, slope_per_month, direction
FROM crime.crime_rate_trend ORDER BY is_total DESC, last_12_months DESC LIMIT 6;
\echo 'Monthly trend, all types (last 6 months in the data):'
SELECT month, incidents, arrests FROM crime.monthly_trend
WHERE is_total ORDER BY month DESC LIMIT 6;
\echo 'Theft hot spots, most recent year with at least 10 blocks:'
SELECT year, rank, block, thefts FROM crime.theft_hotspots
WHERE year = (SELECT max(year) FROM crime.theft_hotspots GROUP BY year HAVING count(*) >= 10
              ORDER BY 1 DESC LIMIT 1)
ORDER BY rank, block LIMIT 10;
\echo 'Safest community areas late at night (22:00-04:00):'
SELECT safety_rank, community_area_name, late_night_incidents, late_night_pct
FROM crime.late_night_safety ORDER BY safety_rank, community_area LIMIT 5;
\echo 'Arrest rates by type, 2016-2019:'
SELECT primary_type, sum(incidents) AS incidents, sum(arrests) AS arrests,
       round(sum(arrests)::numeric / nullif(sum(incidents), 0), 3) AS arrest_rate
FROM crime.arrest_rates WHERE year BETWEEN 2016 AND 2019 AND NOT is_total
GROUP BY primary_type ORDER BY incidents DESC LIMIT 8;
\echo 'Holidays vs the average for the same weekday (busiest first):'
SELECT year, holiday, holiday_date, incidents, weekday_average, ratio
FROM crime.holiday_crime WHERE incidents > 0 ORDER BY ratio DESC NULLS LAST, holiday_date LIMIT 6;
\echo 'Police districts (most incidents first):'
SELECT area, name, phone, incidents, arrests, arrest_rate
FROM crime.district_summary WHERE level = 'district' ORDER BY incidents DESC, area LIMIT 6;
\echo 'Scheduling: SELECT crime_schedule();  -- every 15 minutes with pg_cron'
