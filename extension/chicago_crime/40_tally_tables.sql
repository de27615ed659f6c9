-- Tallies: running counts under the analyst views. The views summarise the whole table, and
-- recomputing them from millions of incidents after every sync of a few hundred changed rows
-- would read the whole table each time. Instead crime.merge_incidents() adjusts these counts in
-- the same statement that changes the incidents: a changed row's old version is subtracted and
-- its new version added, a deleted row only subtracted, a new one only added; a count that
-- reaches zero is removed. The views read the tallies (thousands of rows, not millions), and
-- crime.refresh_views() refreshes only the views over a tally that changed. They stay exact as
-- long as crime.incidents is written only by crime_sync() and crime_backfill(); after changing
-- it by hand, SELECT crime.refresh_views(crime.rebuild_tallies()) recounts them and refreshes
-- the views.
CREATE TABLE crime.tally_type_month (
    month        date NOT NULL,
    primary_type text NOT NULL,
    incidents    bigint NOT NULL,
    arrests      bigint NOT NULL,
    id_sum       numeric NOT NULL,
    PRIMARY KEY (month, primary_type)
);
COMMENT ON TABLE crime.tally_type_month IS
    'Incidents and arrests per month of occurrence and primary type (''(UNKNOWN)'' when missing), kept up to date by crime.merge_incidents(); read by crime.monthly_type_counts, crime.monthly_trend, crime.crime_rate_trend, crime.arrest_rates and the deletion check';
COMMENT ON COLUMN crime.tally_type_month.month IS 'First day of the month of occurrence';
COMMENT ON COLUMN crime.tally_type_month.primary_type IS 'Primary type, ''(UNKNOWN)'' when missing';
COMMENT ON COLUMN crime.tally_type_month.incidents IS 'Incidents that occurred in the month';
COMMENT ON COLUMN crime.tally_type_month.arrests IS 'Of those, incidents with an arrest';
COMMENT ON COLUMN crime.tally_type_month.id_sum IS 'Sum of those incidents'' ids: with their number, a fingerprint of which crimes the month holds, compared with the portal''s to find deletions (crime.months_out_of_sync())';

CREATE TABLE crime.tally_theft_block_year (
    year   integer NOT NULL,
    block  text NOT NULL,
    thefts bigint NOT NULL,
    PRIMARY KEY (year, block)
);
COMMENT ON TABLE crime.tally_theft_block_year IS
    'THEFT incidents per block and year of occurrence (those with a block), kept up to date by crime.merge_incidents(); read by crime.theft_hotspots';
COMMENT ON COLUMN crime.tally_theft_block_year.year IS 'Year of occurrence';
COMMENT ON COLUMN crime.tally_theft_block_year.block IS 'Block of the thefts';
COMMENT ON COLUMN crime.tally_theft_block_year.thefts IS 'THEFT incidents on the block in the year';

CREATE TABLE crime.tally_community_area (
    community_area       integer PRIMARY KEY,
    late_night_incidents bigint NOT NULL,
    incidents            bigint NOT NULL
);
COMMENT ON TABLE crime.tally_community_area IS
    'Incidents per community area (those with one), and of those the ones between 22:00 and 04:00, kept up to date by crime.merge_incidents(); read by crime.late_night_safety';
COMMENT ON COLUMN crime.tally_community_area.community_area IS 'Community area number (1-77)';
COMMENT ON COLUMN crime.tally_community_area.late_night_incidents IS 'Incidents between 22:00 and 04:00 (04:00 excluded)';
COMMENT ON COLUMN crime.tally_community_area.incidents IS 'Incidents in the area, at any hour';

CREATE TABLE crime.tally_day (
    day       date PRIMARY KEY,
    incidents bigint NOT NULL
);
COMMENT ON TABLE crime.tally_day IS
    'Incidents per day of occurrence, kept up to date by crime.merge_incidents(); read by crime.holiday_crime';
COMMENT ON COLUMN crime.tally_day.day IS 'Day of occurrence';
COMMENT ON COLUMN crime.tally_day.incidents IS 'Incidents that occurred on the day';

CREATE TABLE crime.tally_district_ward (
    district  integer,
    ward      integer,
    incidents bigint NOT NULL,
    arrests   bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (district, ward)
);
COMMENT ON TABLE crime.tally_district_ward IS
    'Incidents and arrests per police district and ward (either may be NULL), kept up to date by crime.merge_incidents(); read by crime.district_summary';
COMMENT ON COLUMN crime.tally_district_ward.district IS 'Police district number, NULL when missing';
COMMENT ON COLUMN crime.tally_district_ward.ward IS 'Ward number, NULL when missing';
COMMENT ON COLUMN crime.tally_district_ward.incidents IS 'Incidents with this district and ward';
COMMENT ON COLUMN crime.tally_district_ward.arrests IS 'Of those, incidents with an arrest';
