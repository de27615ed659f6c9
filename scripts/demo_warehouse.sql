-- The warehouse part of `make demo` (psql script; :soda_url is the local SODA server).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION chicago_crime CASCADE;
ALTER SERVER chicago_data_portal OPTIONS (SET base_url :'soda_url');
RESET client_min_messages;

\echo 'First sync: a full load of the crimes dataset, reference tables and views.'
SELECT * FROM crime_sync();
\echo 'Second sync: only what changed since the watermark (nothing, here).'
SELECT * FROM crime_sync();
SELECT count(*) AS incidents, min(occurred_at) AS first, max(occurred_at) AS last FROM crime.incidents;

\echo 'Is crime going up or down?'
SELECT * FROM crime.crime_rate_trend LIMIT 6;
\echo 'Monthly trend (last months in the data):'
SELECT * FROM crime.monthly_trend ORDER BY 1 DESC LIMIT 6;
\echo 'Theft hot spots, most recent year with data:'
SELECT * FROM crime.theft_hotspots
WHERE year = (SELECT max(year) FROM crime.theft_hotspots) ORDER BY 2 LIMIT 5;
\echo 'Safest community areas late at night (22:00-04:00):'
SELECT * FROM crime.late_night_safety LIMIT 5;
\echo 'Arrest rates, 2016-2019:'
SELECT * FROM crime.arrest_rates WHERE year BETWEEN 2016 AND 2019 LIMIT 8;
\echo 'Holidays vs the same weekday:'
SELECT * FROM crime.holiday_crime LIMIT 6;
\echo 'Police districts:'
SELECT * FROM crime.district_summary LIMIT 6;
\echo 'Scheduling: SELECT crime_schedule();  -- every 15 minutes with pg_cron'
