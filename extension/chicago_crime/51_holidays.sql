-- Holidays: US federal holidays computed by rule

CREATE FUNCTION crime.us_federal_holidays(from_year integer, to_year integer)
RETURNS TABLE (year integer, holiday text, holiday_date date, observed_date date)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 3
SET standard_conforming_strings = on
AS $$
BEGIN
    IF from_year < 1971 THEN
        RAISE EXCEPTION 'US federal holidays are computed from 1971 on, not from %', from_year
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The Monday holiday rules of the Uniform Monday Holiday Act apply from 1971.';
    END IF;
    RETURN QUERY
    WITH rules (holiday, month, day, weekday, nth, first_year, last_year) AS (
        -- day: fixed day of the month; otherwise the nth (-1: last) weekday (0 = Sunday) of the month
        VALUES ('New Year''s Day',                      1,  1,    NULL, NULL, 1971, NULL),
               ('Birthday of Martin Luther King, Jr.',  1,  NULL, 1,    3,    1986, NULL),
               ('Washington''s Birthday',               2,  NULL, 1,    3,    1971, NULL),
               ('Memorial Day',                         5,  NULL, 1,    -1,   1971, NULL),
               ('Juneteenth National Independence Day', 6,  19,   NULL, NULL, 2021, NULL),
               ('Independence Day',                     7,  4,    NULL, NULL, 1971, NULL),
               ('Labor Day',                            9,  NULL, 1,    1,    1971, NULL),
               ('Columbus Day',                         10, NULL, 1,    2,    1971, NULL),
               ('Veterans Day',                         10, NULL, 1,    4,    1971, 1977),
               ('Veterans Day',                         11, 11,   NULL, NULL, 1978, NULL),
               ('Thanksgiving Day',                     11, NULL, 4,    4,    1971, NULL),
               ('Christmas Day',                        12, 25,   NULL, NULL, 1971, NULL)
    ),
    days AS (
        SELECT y AS year, r.holiday,
               CASE
                   WHEN r.day IS NOT NULL THEN pg_catalog.make_date(y, r.month, r.day)
                   WHEN r.nth > 0 THEN
                       first_day + (r.weekday - extract(dow FROM first_day)::integer + 7) % 7
                                 + 7 * (r.nth - 1)
                   ELSE
                       last_day - (extract(dow FROM last_day)::integer - r.weekday + 7) % 7
               END AS holiday_date
        FROM pg_catalog.generate_series(from_year, to_year) AS y
        CROSS JOIN rules r
        CROSS JOIN LATERAL (
            SELECT pg_catalog.make_date(y, r.month, 1) AS first_day,
                   (pg_catalog.make_date(y, r.month, 1) + interval '1 month' - interval '1 day')::date AS last_day
        ) AS month_bounds
        WHERE y >= r.first_year AND (r.last_year IS NULL OR y <= r.last_year)
    )
    SELECT d.year, d.holiday, d.holiday_date,
           CASE extract(isodow FROM d.holiday_date)
               WHEN 6 THEN d.holiday_date - 1
               WHEN 7 THEN d.holiday_date + 1
               ELSE d.holiday_date
           END
    FROM days d
    ORDER BY d.holiday_date;
END
$$;
COMMENT ON FUNCTION crime.us_federal_holidays(integer, integer) IS
    'US federal holidays (5 U.S.C. 6103) from from_year to to_year (from 1971), computed by rule: fixed dates, nth or last weekday of a month, Martin Luther King Jr. Day from 1986, Juneteenth from 2021, Veterans Day on the 4th Monday of October 1971-1977; observed_date moves a Saturday holiday to Friday and a Sunday holiday to Monday. Inauguration Day (Washington D.C. area only) is not included';
