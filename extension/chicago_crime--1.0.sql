/* chicago_crime 1.0: a Chicago crimes warehouse kept current from the City of Chicago data portal.
 *
 * Layout
 *   - server chicago_data_portal (socrata_fdw) and, in schema crime, foreign tables over the portal's
 *     crimes, police stations and ward offices datasets;
 *   - crime.incidents (one row per crime) and the reference tables police_stations, wards,
 *     community_areas and holidays;
 *   - bookkeeping: crime.sync_state (the watermark), crime.sync_runs (one row per run),
 *     crime.backfill_state (progress of crime_backfill());
 *   - the entry points crime_sync(), crime_backfill(), crime_schedule() and crime_unschedule() in the
 *     extension's schema (public, see chicago_crime.control), so that they are callable with the
 *     default search_path; everything else lives in schema crime;
 *   - materialized views for analysts, each with a unique index so that they can be refreshed
 *     CONCURRENTLY.
 * docs/warehouse.md explains the design: watermark and overlap, deletion detection, failure
 * recording, locking, scheduling and the view definitions.
 *
 * Functions that may run inside a procedure that commits (crime_backfill) cannot carry a SET
 * search_path clause, so every reference in this file is schema-qualified.
 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION chicago_crime CASCADE" to load this file. \quit

CREATE SCHEMA crime;
COMMENT ON SCHEMA crime IS
    'chicago_crime warehouse: Chicago crimes from the city data portal, reference data and analyst views';

-------------------------------------------------------------------------------------------------
-- The portal and its datasets
-------------------------------------------------------------------------------------------------

CREATE SERVER chicago_data_portal FOREIGN DATA WRAPPER socrata_fdw
    OPTIONS (base_url 'https://data.cityofchicago.org');
COMMENT ON SERVER chicago_data_portal IS
    'City of Chicago data portal (Socrata). Repoint with ALTER SERVER chicago_data_portal OPTIONS (SET base_url ''...''); add an app token with CREATE USER MAPPING FOR ... SERVER chicago_data_portal OPTIONS (app_token ''...'')';

-- Foreign tables mirror the datasets: SODA field names and the portal's own types (a SODA "text"
-- column stays text even when it holds digits), so that pushed-down comparisons mean what they
-- mean on the portal. The warehouse tables below convert to analyst-friendly types.

CREATE FOREIGN TABLE crime.portal_crimes (
    id                   bigint,
    case_number          text,
    date                 timestamp,
    block                text,
    iucr                 text,
    primary_type         text,
    description          text,
    location_description text,
    arrest               boolean,
    domestic             boolean,
    beat                 text,
    district             text,
    ward                 integer,
    community_area       text,
    fbi_code             text,
    x_coordinate         numeric,
    y_coordinate         numeric,
    year                 integer,
    updated_on           timestamp,
    latitude             double precision,
    longitude            double precision,
    location             jsonb
) SERVER chicago_data_portal OPTIONS (dataset 'ijzp-q8t2');

COMMENT ON FOREIGN TABLE crime.portal_crimes IS
    'Live view of the portal dataset ijzp-q8t2 "Crimes - 2001 to Present" (one row per crime reported to the Chicago Police Department); crime_sync() copies it into crime.incidents';
COMMENT ON COLUMN crime.portal_crimes.id IS 'Unique identifier of the record (CPD)';
COMMENT ON COLUMN crime.portal_crimes.case_number IS 'CPD Records Division number, unique to the incident';
COMMENT ON COLUMN crime.portal_crimes.date IS 'Date and time when the incident occurred (sometimes a best estimate), Chicago local time';
COMMENT ON COLUMN crime.portal_crimes.block IS 'Partially redacted address: the block where the incident occurred';
COMMENT ON COLUMN crime.portal_crimes.iucr IS 'Illinois Uniform Crime Reporting code (4 characters)';
COMMENT ON COLUMN crime.portal_crimes.primary_type IS 'Primary description of the IUCR code';
COMMENT ON COLUMN crime.portal_crimes.description IS 'Secondary description of the IUCR code';
COMMENT ON COLUMN crime.portal_crimes.location_description IS 'Description of the location where the incident occurred';
COMMENT ON COLUMN crime.portal_crimes.arrest IS 'Whether an arrest was made';
COMMENT ON COLUMN crime.portal_crimes.domestic IS 'Whether the incident was domestic-related (Illinois Domestic Violence Act)';
COMMENT ON COLUMN crime.portal_crimes.beat IS 'Police beat where the incident occurred (4 characters, e.g. 0511)';
COMMENT ON COLUMN crime.portal_crimes.district IS 'Police district where the incident occurred (3 characters, e.g. 005)';
COMMENT ON COLUMN crime.portal_crimes.ward IS 'City Council ward where the incident occurred';
COMMENT ON COLUMN crime.portal_crimes.community_area IS 'Community area where the incident occurred (a number 1-77, published as text)';
COMMENT ON COLUMN crime.portal_crimes.fbi_code IS 'FBI National Incident-Based Reporting System crime classification';
COMMENT ON COLUMN crime.portal_crimes.x_coordinate IS 'X coordinate, State Plane Illinois East NAD 1983 projection (shifted from the exact location for privacy)';
COMMENT ON COLUMN crime.portal_crimes.y_coordinate IS 'Y coordinate, State Plane Illinois East NAD 1983 projection (shifted from the exact location for privacy)';
COMMENT ON COLUMN crime.portal_crimes.year IS 'Year the incident occurred';
COMMENT ON COLUMN crime.portal_crimes.updated_on IS 'Date and time the record was last updated at the source; the sync watermark follows it';
COMMENT ON COLUMN crime.portal_crimes.latitude IS 'Latitude of the (shifted) location';
COMMENT ON COLUMN crime.portal_crimes.longitude IS 'Longitude of the (shifted) location';
COMMENT ON COLUMN crime.portal_crimes.location IS 'The (shifted) location as GeoJSON point, built by the portal from longitude and latitude';

CREATE FOREIGN TABLE crime.portal_police_stations (
    district      text,
    district_name text,
    address       text,
    city          text,
    state         text,
    zip           text,
    website       text,
    phone         text,
    fax           text,
    tty           text,
    x_coordinate  numeric,
    y_coordinate  numeric,
    latitude      double precision,
    longitude     double precision
) SERVER chicago_data_portal OPTIONS (dataset 'z8bn-74gv');

COMMENT ON FOREIGN TABLE crime.portal_police_stations IS
    'Live view of the portal dataset z8bn-74gv "Police Stations": headquarters and one station per police district; crime_sync() copies it into crime.police_stations';
COMMENT ON COLUMN crime.portal_police_stations.district IS 'Police district number, or ''Headquarters''';
COMMENT ON COLUMN crime.portal_police_stations.district_name IS 'Name of the district (e.g. Near North)';
COMMENT ON COLUMN crime.portal_police_stations.address IS 'Street address of the station';
COMMENT ON COLUMN crime.portal_police_stations.city IS 'City of the station';
COMMENT ON COLUMN crime.portal_police_stations.state IS 'State of the station';
COMMENT ON COLUMN crime.portal_police_stations.zip IS 'ZIP code of the station';
COMMENT ON COLUMN crime.portal_police_stations.website IS 'Web page of the district';
COMMENT ON COLUMN crime.portal_police_stations.phone IS 'Phone number of the station';
COMMENT ON COLUMN crime.portal_police_stations.fax IS 'Fax number of the station';
COMMENT ON COLUMN crime.portal_police_stations.tty IS 'TTY number of the station';
COMMENT ON COLUMN crime.portal_police_stations.x_coordinate IS 'X coordinate, State Plane Illinois East NAD 1983 projection';
COMMENT ON COLUMN crime.portal_police_stations.y_coordinate IS 'Y coordinate, State Plane Illinois East NAD 1983 projection';
COMMENT ON COLUMN crime.portal_police_stations.latitude IS 'Latitude of the station';
COMMENT ON COLUMN crime.portal_police_stations.longitude IS 'Longitude of the station';

CREATE FOREIGN TABLE crime.portal_ward_offices (
    ward              text,
    alderman          text,
    address           text,
    city              text,
    state             text,
    zipcode           text,
    ward_phone        text,
    ward_fax          text,
    email             text,
    website           text,
    location          jsonb,
    city_hall_address text,
    city_hall_city    text,
    city_hall_state   text,
    city_hall_zipcode text,
    city_hall_phone   text,
    photo_link        text
) SERVER chicago_data_portal OPTIONS (dataset 'htai-wnw4');

COMMENT ON FOREIGN TABLE crime.portal_ward_offices IS
    'Live view of the portal dataset htai-wnw4 "Ward Offices": the office of each of the 50 City Council wards; crime_sync() copies it into crime.wards';
COMMENT ON COLUMN crime.portal_ward_offices.ward IS 'Ward number (1-50)';
COMMENT ON COLUMN crime.portal_ward_offices.alderman IS 'Alderperson of the ward (Last, First)';
COMMENT ON COLUMN crime.portal_ward_offices.address IS 'Street address of the ward office';
COMMENT ON COLUMN crime.portal_ward_offices.city IS 'City of the ward office';
COMMENT ON COLUMN crime.portal_ward_offices.state IS 'State of the ward office';
COMMENT ON COLUMN crime.portal_ward_offices.zipcode IS 'ZIP code of the ward office';
COMMENT ON COLUMN crime.portal_ward_offices.ward_phone IS 'Phone number of the ward office';
COMMENT ON COLUMN crime.portal_ward_offices.ward_fax IS 'Fax number of the ward office';
COMMENT ON COLUMN crime.portal_ward_offices.email IS 'E-mail address of the ward office';
COMMENT ON COLUMN crime.portal_ward_offices.website IS 'Web site of the ward';
COMMENT ON COLUMN crime.portal_ward_offices.location IS 'Location of the ward office as the portal sends it (JSON)';
COMMENT ON COLUMN crime.portal_ward_offices.city_hall_address IS 'Address of the alderperson''s City Hall office';
COMMENT ON COLUMN crime.portal_ward_offices.city_hall_city IS 'City of the City Hall office';
COMMENT ON COLUMN crime.portal_ward_offices.city_hall_state IS 'State of the City Hall office';
COMMENT ON COLUMN crime.portal_ward_offices.city_hall_zipcode IS 'ZIP code of the City Hall office';
COMMENT ON COLUMN crime.portal_ward_offices.city_hall_phone IS 'Phone number(s) of the City Hall office';
COMMENT ON COLUMN crime.portal_ward_offices.photo_link IS 'Link to the alderperson''s photo';

-------------------------------------------------------------------------------------------------
-- Warehouse tables
-------------------------------------------------------------------------------------------------

CREATE TABLE crime.incidents (
    id                   bigint PRIMARY KEY,
    case_number          text,
    occurred_at          timestamp NOT NULL,
    block                text,
    iucr                 text,
    primary_type         text,
    description          text,
    location_description text,
    arrest               boolean,
    domestic             boolean,
    beat                 text,
    district             integer,
    ward                 integer,
    community_area       integer,
    fbi_code             text,
    x_coordinate         numeric,
    y_coordinate         numeric,
    year                 integer,
    updated_at           timestamp,
    latitude             double precision,
    longitude            double precision,
    synced_at            timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 90);
-- Indexes serve the sync (per-month comparison and re-sync by occurred_at) and the usual analyst
-- filters (a period, a crime type over a period); the views scan the whole table anyway, so more
-- indexes would only slow bulk loads down. updated_at is deliberately not indexed: every update
-- from the portal changes it, and with no index on a changed column (and the room fillfactor 90
-- leaves) an update is a HOT update, written in place without touching any index.
CREATE INDEX incidents_occurred_at_idx ON crime.incidents (occurred_at);
CREATE INDEX incidents_primary_type_occurred_at_idx ON crime.incidents (primary_type, occurred_at);

COMMENT ON TABLE crime.incidents IS
    'One row per crime reported to the Chicago Police Department, copied from the portal (dataset ijzp-q8t2) by crime_sync() and crime_backfill(). About 80% of the records lack case_number, iucr, fbi_code, block, coordinates or community_area in the bundled test data: missing values are NULL';
COMMENT ON COLUMN crime.incidents.id IS 'Unique identifier of the record (CPD); the portal''s id';
COMMENT ON COLUMN crime.incidents.case_number IS 'CPD Records Division number, unique to the incident';
COMMENT ON COLUMN crime.incidents.occurred_at IS 'When the incident occurred (sometimes a best estimate), Chicago local time; the portal''s date';
COMMENT ON COLUMN crime.incidents.block IS 'Partially redacted address: the block where the incident occurred';
COMMENT ON COLUMN crime.incidents.iucr IS 'Illinois Uniform Crime Reporting code (4 characters)';
COMMENT ON COLUMN crime.incidents.primary_type IS 'Primary description of the IUCR code, e.g. THEFT';
COMMENT ON COLUMN crime.incidents.description IS 'Secondary description of the IUCR code';
COMMENT ON COLUMN crime.incidents.location_description IS 'Description of the location, e.g. STREET, RESIDENCE';
COMMENT ON COLUMN crime.incidents.arrest IS 'Whether an arrest was made';
COMMENT ON COLUMN crime.incidents.domestic IS 'Whether the incident was domestic-related (Illinois Domestic Violence Act)';
COMMENT ON COLUMN crime.incidents.beat IS 'Police beat, the smallest police geographic area (4 characters as published, e.g. 0511)';
COMMENT ON COLUMN crime.incidents.district IS 'Police district number (the portal publishes it zero-padded, e.g. 005); joins crime.police_stations.district_number';
COMMENT ON COLUMN crime.incidents.ward IS 'City Council ward (1-50); joins crime.wards.ward';
COMMENT ON COLUMN crime.incidents.community_area IS 'Community area (1-77); joins crime.community_areas.community_area';
COMMENT ON COLUMN crime.incidents.fbi_code IS 'FBI National Incident-Based Reporting System crime classification';
COMMENT ON COLUMN crime.incidents.x_coordinate IS 'X coordinate, State Plane Illinois East NAD 1983 (shifted from the exact location for privacy)';
COMMENT ON COLUMN crime.incidents.y_coordinate IS 'Y coordinate, State Plane Illinois East NAD 1983 (shifted from the exact location for privacy)';
COMMENT ON COLUMN crime.incidents.year IS 'Year the incident occurred, as published';
COMMENT ON COLUMN crime.incidents.updated_at IS 'When the record was last updated at the source (the portal''s updated_on); the sync watermark follows it';
COMMENT ON COLUMN crime.incidents.latitude IS 'Latitude of the (shifted) location';
COMMENT ON COLUMN crime.incidents.longitude IS 'Longitude of the (shifted) location';
COMMENT ON COLUMN crime.incidents.synced_at IS 'When the warehouse last wrote this row (a sync leaves unchanged rows alone, so this is when the row last changed here)';

CREATE TABLE crime.police_stations (
    district        text PRIMARY KEY,
    district_number integer UNIQUE
        GENERATED ALWAYS AS (CASE WHEN district ~ '^[0-9]+$' THEN district::integer END) STORED,
    district_name   text,
    address         text,
    city            text,
    state           text,
    zip             text,
    website         text,
    phone           text,
    fax             text,
    tty             text,
    x_coordinate    numeric,
    y_coordinate    numeric,
    latitude        double precision,
    longitude       double precision
);
COMMENT ON TABLE crime.police_stations IS
    'Police headquarters and the station of each police district, from the portal (dataset z8bn-74gv); refreshed by every sync';
COMMENT ON COLUMN crime.police_stations.district IS 'District as published: a number, or ''Headquarters''';
COMMENT ON COLUMN crime.police_stations.district_number IS 'Police district number (NULL for headquarters); joins crime.incidents.district';
COMMENT ON COLUMN crime.police_stations.district_name IS 'Name of the district, e.g. Near North';
COMMENT ON COLUMN crime.police_stations.address IS 'Street address of the station';
COMMENT ON COLUMN crime.police_stations.city IS 'City of the station';
COMMENT ON COLUMN crime.police_stations.state IS 'State of the station';
COMMENT ON COLUMN crime.police_stations.zip IS 'ZIP code of the station';
COMMENT ON COLUMN crime.police_stations.website IS 'Web page of the district';
COMMENT ON COLUMN crime.police_stations.phone IS 'Phone number of the station';
COMMENT ON COLUMN crime.police_stations.fax IS 'Fax number of the station';
COMMENT ON COLUMN crime.police_stations.tty IS 'TTY number of the station';
COMMENT ON COLUMN crime.police_stations.x_coordinate IS 'X coordinate, State Plane Illinois East NAD 1983';
COMMENT ON COLUMN crime.police_stations.y_coordinate IS 'Y coordinate, State Plane Illinois East NAD 1983';
COMMENT ON COLUMN crime.police_stations.latitude IS 'Latitude of the station';
COMMENT ON COLUMN crime.police_stations.longitude IS 'Longitude of the station';

CREATE TABLE crime.wards (
    ward              integer PRIMARY KEY,
    alderman          text,
    address           text,
    city              text,
    state             text,
    zipcode           text,
    ward_phone        text,
    ward_fax          text,
    email             text,
    website           text,
    latitude          double precision,
    longitude         double precision,
    city_hall_address text,
    city_hall_city    text,
    city_hall_state   text,
    city_hall_zipcode text,
    city_hall_phone   text,
    photo_link        text
);
COMMENT ON TABLE crime.wards IS
    'The 50 City Council wards and their ward offices, from the portal (dataset htai-wnw4); refreshed by every sync';
COMMENT ON COLUMN crime.wards.ward IS 'Ward number (1-50); joins crime.incidents.ward';
COMMENT ON COLUMN crime.wards.alderman IS 'Alderperson of the ward (Last, First)';
COMMENT ON COLUMN crime.wards.address IS 'Street address of the ward office';
COMMENT ON COLUMN crime.wards.city IS 'City of the ward office';
COMMENT ON COLUMN crime.wards.state IS 'State of the ward office';
COMMENT ON COLUMN crime.wards.zipcode IS 'ZIP code of the ward office';
COMMENT ON COLUMN crime.wards.ward_phone IS 'Phone number of the ward office';
COMMENT ON COLUMN crime.wards.ward_fax IS 'Fax number of the ward office';
COMMENT ON COLUMN crime.wards.email IS 'E-mail address of the ward office';
COMMENT ON COLUMN crime.wards.website IS 'Web site of the ward';
COMMENT ON COLUMN crime.wards.latitude IS 'Latitude of the ward office';
COMMENT ON COLUMN crime.wards.longitude IS 'Longitude of the ward office';
COMMENT ON COLUMN crime.wards.city_hall_address IS 'Address of the alderperson''s City Hall office';
COMMENT ON COLUMN crime.wards.city_hall_city IS 'City of the City Hall office';
COMMENT ON COLUMN crime.wards.city_hall_state IS 'State of the City Hall office';
COMMENT ON COLUMN crime.wards.city_hall_zipcode IS 'ZIP code of the City Hall office';
COMMENT ON COLUMN crime.wards.city_hall_phone IS 'Phone number(s) of the City Hall office';
COMMENT ON COLUMN crime.wards.photo_link IS 'Link to the alderperson''s photo';

CREATE TABLE crime.community_areas (
    community_area integer PRIMARY KEY CHECK (community_area BETWEEN 1 AND 77),
    name           text NOT NULL UNIQUE
);
COMMENT ON TABLE crime.community_areas IS
    'The 77 official community areas of Chicago, shipped with the extension (they change about once a generation)';
COMMENT ON COLUMN crime.community_areas.community_area IS 'Community area number (1-77); joins crime.incidents.community_area';
COMMENT ON COLUMN crime.community_areas.name IS 'Official name of the community area';

-- From data/community_areas.csv, with two names restored to their official spelling
-- (23 Humboldt Park, 73 Washington Heights).
INSERT INTO crime.community_areas (community_area, name) VALUES
    (1, 'Rogers Park'), (2, 'West Ridge'), (3, 'Uptown'), (4, 'Lincoln Square'),
    (5, 'North Center'), (6, 'Lake View'), (7, 'Lincoln Park'), (8, 'Near North Side'),
    (9, 'Edison Park'), (10, 'Norwood Park'), (11, 'Jefferson Park'), (12, 'Forest Glen'),
    (13, 'North Park'), (14, 'Albany Park'), (15, 'Portage Park'), (16, 'Irving Park'),
    (17, 'Dunning'), (18, 'Montclare'), (19, 'Belmont Cragin'), (20, 'Hermosa'),
    (21, 'Avondale'), (22, 'Logan Square'), (23, 'Humboldt Park'), (24, 'West Town'),
    (25, 'Austin'), (26, 'West Garfield Park'), (27, 'East Garfield Park'), (28, 'Near West Side'),
    (29, 'North Lawndale'), (30, 'South Lawndale'), (31, 'Lower West Side'), (32, 'Loop'),
    (33, 'Near South Side'), (34, 'Armour Square'), (35, 'Douglas'), (36, 'Oakland'),
    (37, 'Fuller Park'), (38, 'Grand Boulevard'), (39, 'Kenwood'), (40, 'Washington Park'),
    (41, 'Hyde Park'), (42, 'Woodlawn'), (43, 'South Shore'), (44, 'Chatham'),
    (45, 'Avalon Park'), (46, 'South Chicago'), (47, 'Burnside'), (48, 'Calumet Heights'),
    (49, 'Roseland'), (50, 'Pullman'), (51, 'South Deering'), (52, 'East Side'),
    (53, 'West Pullman'), (54, 'Riverdale'), (55, 'Hegewisch'), (56, 'Garfield Ridge'),
    (57, 'Archer Heights'), (58, 'Brighton Park'), (59, 'McKinley Park'), (60, 'Bridgeport'),
    (61, 'New City'), (62, 'West Elsdon'), (63, 'Gage Park'), (64, 'Clearing'),
    (65, 'West Lawn'), (66, 'Chicago Lawn'), (67, 'West Englewood'), (68, 'Englewood'),
    (69, 'Greater Grand Crossing'), (70, 'Ashburn'), (71, 'Auburn Gresham'), (72, 'Beverly'),
    (73, 'Washington Heights'), (74, 'Mount Greenwood'), (75, 'Morgan Park'), (76, 'O''Hare'),
    (77, 'Edgewater');

CREATE TABLE crime.holidays (
    year          integer NOT NULL,
    holiday       text NOT NULL,
    holiday_date  date NOT NULL UNIQUE,
    observed_date date NOT NULL,
    PRIMARY KEY (year, holiday)
);
COMMENT ON TABLE crime.holidays IS
    'US federal holidays (5 U.S.C. 6103) for every year present in crime.incidents, computed by crime.us_federal_holidays() and refreshed by every sync';
COMMENT ON COLUMN crime.holidays.year IS 'Year of the holiday';
COMMENT ON COLUMN crime.holidays.holiday IS 'Official name of the holiday';
COMMENT ON COLUMN crime.holidays.holiday_date IS 'The day of the holiday itself (e.g. December 25)';
COMMENT ON COLUMN crime.holidays.observed_date IS 'The day off for federal employees: the preceding Friday when the holiday falls on a Saturday, the following Monday when on a Sunday (may fall in the previous year for New Year''s Day)';

-------------------------------------------------------------------------------------------------
-- Bookkeeping
-------------------------------------------------------------------------------------------------

CREATE TABLE crime.sync_runs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('sync', 'backfill')),
    status           text NOT NULL DEFAULT 'running'
                     CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    started_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at      timestamptz,
    duration         interval GENERATED ALWAYS AS (finished_at - started_at) STORED,
    rows_fetched     bigint NOT NULL DEFAULT 0,
    inserted         bigint NOT NULL DEFAULT 0,
    updated          bigint NOT NULL DEFAULT 0,
    deleted          bigint NOT NULL DEFAULT 0,
    unchanged        bigint NOT NULL DEFAULT 0,
    months_resynced  integer NOT NULL DEFAULT 0,
    full_check       boolean NOT NULL DEFAULT false,
    watermark_before timestamp,
    watermark_after  timestamp,
    views_refreshed  text[] NOT NULL DEFAULT '{}',
    details          jsonb,
    error            text,
    error_sqlstate   text,
    error_detail     text,
    CHECK ((status IN ('running', 'succeeded')) = (error IS NULL) OR status = 'interrupted')
);
CREATE INDEX sync_runs_started_at_idx ON crime.sync_runs (started_at);
COMMENT ON TABLE crime.sync_runs IS
    'One row per crime_sync() or crime_backfill() run: when, outcome, counts, watermark and error. A failed run applied nothing: its counts are 0';
COMMENT ON COLUMN crime.sync_runs.id IS 'Run number';
COMMENT ON COLUMN crime.sync_runs.kind IS 'sync (crime_sync) or backfill (crime_backfill)';
COMMENT ON COLUMN crime.sync_runs.status IS 'running; succeeded; failed (error recorded, nothing applied); cancelled (a backfill stopped by a cancel or timeout, resumable); interrupted (a backfill whose session ended without recording an outcome, resumable)';
COMMENT ON COLUMN crime.sync_runs.started_at IS 'When the run started';
COMMENT ON COLUMN crime.sync_runs.finished_at IS 'When the run ended (NULL while running)';
COMMENT ON COLUMN crime.sync_runs.duration IS 'finished_at - started_at';
COMMENT ON COLUMN crime.sync_runs.rows_fetched IS 'Rows read from the portal (a row read both by the incremental pass and by a month re-sync counts twice)';
COMMENT ON COLUMN crime.sync_runs.inserted IS 'Rows added to crime.incidents';
COMMENT ON COLUMN crime.sync_runs.updated IS 'Rows of crime.incidents changed in place because the source row differed';
COMMENT ON COLUMN crime.sync_runs.deleted IS 'Rows removed from crime.incidents because the portal no longer has them';
COMMENT ON COLUMN crime.sync_runs.unchanged IS 'Rows fetched that were already identical in the warehouse (not rewritten)';
COMMENT ON COLUMN crime.sync_runs.months_resynced IS 'Months whose row counts or id sums differed between portal and warehouse and were re-synced (deletion detection)';
COMMENT ON COLUMN crime.sync_runs.full_check IS 'Whether the run compared every month with the portal (because the totals differed, or because no run had within chicago_crime.full_check_interval) or loaded the whole table (first load)';
COMMENT ON COLUMN crime.sync_runs.watermark_before IS 'Sync watermark (portal updated_on) when the run started';
COMMENT ON COLUMN crime.sync_runs.watermark_after IS 'Sync watermark when the run ended (equal to watermark_before unless the run succeeded)';
COMMENT ON COLUMN crime.sync_runs.views_refreshed IS 'Materialized views the run refreshed (only those that depend on data that changed)';
COMMENT ON COLUMN crime.sync_runs.details IS 'Kind-specific details, e.g. the range, window and windows done of a backfill';
COMMENT ON COLUMN crime.sync_runs.error IS 'Error message of a failed or cancelled run';
COMMENT ON COLUMN crime.sync_runs.error_sqlstate IS 'SQLSTATE of the error';
COMMENT ON COLUMN crime.sync_runs.error_detail IS 'Detail, hint and context of the error';

CREATE TABLE crime.sync_state (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    watermark  timestamp,
    run_id     bigint REFERENCES crime.sync_runs (id),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE crime.sync_state IS
    'The sync watermark (at most one row; none before the first successful load). Only a committed run moves it';
COMMENT ON COLUMN crime.sync_state.singleton IS 'Always true: the table holds at most one row';
COMMENT ON COLUMN crime.sync_state.watermark IS 'Greatest portal updated_on the warehouse has fully taken in; the next sync fetches rows updated at or after watermark - chicago_crime.sync_overlap';
COMMENT ON COLUMN crime.sync_state.run_id IS 'The run that set the watermark';
COMMENT ON COLUMN crime.sync_state.updated_at IS 'When the watermark was set';

CREATE TABLE crime.backfill_state (
    singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    status           text NOT NULL CHECK (status IN ('running', 'done')),
    run_id           bigint NOT NULL REFERENCES crime.sync_runs (id),
    range_start      timestamp NOT NULL,
    range_end        timestamp NOT NULL,
    window_length    interval NOT NULL,
    next_start       timestamp NOT NULL,
    source_watermark timestamp,
    windows_done     integer NOT NULL DEFAULT 0,
    rows_fetched     bigint NOT NULL DEFAULT 0,
    started_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (range_start < range_end AND next_start BETWEEN range_start AND range_end)
);
COMMENT ON TABLE crime.backfill_state IS
    'Progress of crime_backfill() (at most one row), committed with each window so that an interrupted backfill resumes where it stopped';
COMMENT ON COLUMN crime.backfill_state.singleton IS 'Always true: the table holds at most one row';
COMMENT ON COLUMN crime.backfill_state.status IS 'running (in progress, or interrupted and resumable) or done';
COMMENT ON COLUMN crime.backfill_state.run_id IS 'The crime.sync_runs row of the latest call working on this backfill';
COMMENT ON COLUMN crime.backfill_state.range_start IS 'Start of the backfilled range of occurrence dates (inclusive)';
COMMENT ON COLUMN crime.backfill_state.range_end IS 'End of the backfilled range of occurrence dates (exclusive)';
COMMENT ON COLUMN crime.backfill_state.window_length IS 'Length of one window (one transaction)';
COMMENT ON COLUMN crime.backfill_state.next_start IS 'Start of the next window to load; windows before it are committed';
COMMENT ON COLUMN crime.backfill_state.source_watermark IS 'Greatest portal updated_on when the backfill started: the sync watermark once it is done, so that crime_sync() picks up every change made during the backfill';
COMMENT ON COLUMN crime.backfill_state.windows_done IS 'Windows committed so far';
COMMENT ON COLUMN crime.backfill_state.rows_fetched IS 'Rows read from the portal so far';
COMMENT ON COLUMN crime.backfill_state.started_at IS 'When this backfill was first started';
COMMENT ON COLUMN crime.backfill_state.updated_at IS 'When the last window was committed';

-- Tallies: running counts under the analyst views. The views summarise the whole table, and
-- recomputing them from millions of incidents after every sync of a few hundred changed rows
-- would read the whole table each time. Instead crime.merge_incidents() adjusts these counts in
-- the same statement that changes the incidents: a changed row's old version is subtracted and
-- its new version added, a deleted row only subtracted, a new one only added; a count that
-- reaches zero is removed. The views read the tallies (thousands of rows, not millions), and
-- crime.refresh_views() refreshes only the views over a tally that changed. They stay exact as
-- long as crime.incidents is written only by crime_sync() and crime_backfill(); after changing
-- it by hand, SELECT crime.rebuild_tallies() recounts them.
CREATE TABLE crime.tally_type_month (
    month        date NOT NULL,
    primary_type text NOT NULL,
    incidents    bigint NOT NULL,
    arrests      bigint NOT NULL,
    id_sum       numeric NOT NULL,
    PRIMARY KEY (month, primary_type)
);
COMMENT ON TABLE crime.tally_type_month IS
    'Incidents and arrests per month of occurrence and primary type (''(UNKNOWN)'' when missing), kept up to date by crime.merge_incidents(); read by crime.monthly_type_counts';
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

-- pg_dump: these tables hold data rather than definitions.
SELECT pg_catalog.pg_extension_config_dump('crime.incidents', '');
SELECT pg_catalog.pg_extension_config_dump('crime.police_stations', '');
SELECT pg_catalog.pg_extension_config_dump('crime.wards', '');
SELECT pg_catalog.pg_extension_config_dump('crime.holidays', '');
SELECT pg_catalog.pg_extension_config_dump('crime.sync_runs', '');
SELECT pg_catalog.pg_extension_config_dump('crime.sync_runs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('crime.sync_state', '');
SELECT pg_catalog.pg_extension_config_dump('crime.backfill_state', '');
SELECT pg_catalog.pg_extension_config_dump('crime.tally_type_month', '');
SELECT pg_catalog.pg_extension_config_dump('crime.tally_theft_block_year', '');
SELECT pg_catalog.pg_extension_config_dump('crime.tally_community_area', '');
SELECT pg_catalog.pg_extension_config_dump('crime.tally_day', '');
SELECT pg_catalog.pg_extension_config_dump('crime.tally_district_ward', '');

-------------------------------------------------------------------------------------------------
-- Internals
-------------------------------------------------------------------------------------------------

CREATE FUNCTION crime.setting(name text, default_value text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce(nullif(pg_catalog.current_setting('chicago_crime.' || name, true), ''), default_value);
COMMENT ON FUNCTION crime.setting(text, text) IS
    'Value of the configuration parameter chicago_crime.<name> (SET, ALTER DATABASE ... SET, postgresql.conf), or default_value when unset';

CREATE FUNCTION crime.sync_lock_key()
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 427121274213;  -- 'crime' in ASCII
COMMENT ON FUNCTION crime.sync_lock_key() IS
    'Advisory lock key that serializes crime_sync() and crime_backfill() within a database (427121274213, ''crime'' in ASCII: pg_locks shows classid 99, objid 1919511909, objsubid 1)';

CREATE FUNCTION crime.sync_lock_holder()
RETURNS integer
LANGUAGE sql
BEGIN ATOMIC
    SELECT l.pid
    FROM pg_catalog.pg_locks l
    WHERE l.locktype = 'advisory'
      AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
      AND l.classid = (crime.sync_lock_key() >> 32)::oid
      AND l.objid = (crime.sync_lock_key() & 4294967295)::oid
      AND l.objsubid = 1
      AND l.granted
    LIMIT 1;
END;
COMMENT ON FUNCTION crime.sync_lock_holder() IS
    'PID of the backend that holds the warehouse''s advisory lock (a sync or backfill running in this database), or NULL';

CREATE FUNCTION crime.take_sync_lock(session_level boolean)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF session_level THEN
        -- This session may still hold the lock if an earlier call ended in an error that even
        -- its error handler could not handle: keep it rather than stack a second hold.
        IF crime.sync_lock_holder() = pg_catalog.pg_backend_pid()
           OR pg_catalog.pg_try_advisory_lock(crime.sync_lock_key()) THEN
            RETURN;
        END IF;
    ELSIF pg_catalog.pg_try_advisory_xact_lock(crime.sync_lock_key()) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'a chicago_crime sync or backfill is already running in database "%"',
                    pg_catalog.current_database()
        USING ERRCODE = 'lock_not_available',
              DETAIL = format('Backend PID %s holds the warehouse''s advisory lock.',
                              coalesce(crime.sync_lock_holder()::text, '?')),
              HINT = 'Wait for it to finish and try again; runs in progress show in crime.sync_runs and pg_stat_activity.';
END
$$;
COMMENT ON FUNCTION crime.take_sync_lock(boolean) IS
    'Takes the warehouse''s advisory lock (transaction-level for crime_sync, session-level for crime_backfill, which commits as it goes) or raises "already running" (SQLSTATE 55P03) naming the holder';

CREATE FUNCTION crime.release_sync_lock()
RETURNS void
LANGUAGE sql
BEGIN ATOMIC
    SELECT pg_catalog.pg_advisory_unlock(crime.sync_lock_key());
END;
COMMENT ON FUNCTION crime.release_sync_lock() IS
    'Releases the session-level advisory lock taken by crime_backfill()';

-- Holidays ------------------------------------------------------------------------------------

CREATE FUNCTION crime.us_federal_holidays(from_year integer, to_year integer)
RETURNS TABLE (year integer, holiday text, holiday_date date, observed_date date)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
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

-- Loading -------------------------------------------------------------------------------------

CREATE FUNCTION crime.bulk_insert(target regclass, query text)
RETURNS bigint
LANGUAGE C STRICT
AS '$libdir/socrata_fdw', 'socrata_bulk_insert';
COMMENT ON FUNCTION crime.bulk_insert(regclass, text) IS
    'Inserts the rows of query (one SELECT) into table target the way COPY FROM writes them: through a small ring of shared buffers, so a large load neither evicts the buffer cache nor makes the loading backend touch all of it. When the transaction holds target''s ACCESS EXCLUSIVE lock and target has no index (and is permanent and not logically logged), the pages skip the buffer cache altogether: filled in the backend''s memory, WAL-logged whole and appended to the file, as CREATE INDEX writes its pages. Columns are matched by name (others get their defaults) and must have the table''s exact types; privileges, NOT NULL, CHECK, unique and index maintenance are as with INSERT. Refuses tables with triggers or foreign keys, INSERT rules, row-level security or generated columns (use INSERT ... SELECT), values for GENERATED ALWAYS identity columns, and read-only transactions (except for temporary tables). Returns the number of rows inserted';

CREATE FUNCTION crime.query_rows(query text, row_type anyelement)
RETURNS SETOF anyelement
LANGUAGE plpgsql
AS $$
BEGIN
    -- RETURN QUERY may run its query with parallel workers (PostgreSQL 14 and later).
    RETURN QUERY EXECUTE query;
END
$$;
COMMENT ON FUNCTION crime.query_rows(text, anyelement) IS
    'The rows of query, as row_type (pass NULL::type): lets INSERT ... SELECT * FROM crime.query_rows(...) compute its rows with parallel workers';

CREATE FUNCTION crime.tally_definitions()
RETURNS TABLE (tally regclass, item name, counts text, add_to_existing text, total name, impossible text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- Each tally: a name for its WITH item, the query of its counts (a sum of "sign" per group, in
-- the tally's column order, groups whose sums are all zero left out) over a relation named
-- "changes" (sign, id, occurred_at, primary_type, arrest, block, community_area, district, ward),
-- the ON CONFLICT clause that adds such counts to the stored ones, the count that is zero when
-- a group has no incident left, and what no row t of the tally may satisfy.
BEGIN ATOMIC
VALUES
    ('crime.tally_type_month'::regclass, 'type_month'::name,
     $q$SELECT pg_catalog.date_trunc('month', c.occurred_at)::date, coalesce(c.primary_type, '(UNKNOWN)'),
               sum(c.sign), coalesce(sum(c.sign) FILTER (WHERE c.arrest), 0), sum(c.sign * c.id)
        FROM changes c
        GROUP BY 1, 2
        HAVING sum(c.sign) <> 0 OR sum(c.sign) FILTER (WHERE c.arrest) <> 0 OR sum(c.sign * c.id) <> 0$q$,
     $q$ON CONFLICT (month, primary_type) DO UPDATE
        SET incidents = t.incidents + EXCLUDED.incidents, arrests = t.arrests + EXCLUDED.arrests,
            id_sum = t.id_sum + EXCLUDED.id_sum$q$,
     'incidents', 't.incidents < 0 OR t.arrests NOT BETWEEN 0 AND t.incidents'),
    ('crime.tally_theft_block_year', 'theft_block_year',
     $q$SELECT pg_catalog.date_part('year', c.occurred_at)::integer, c.block, sum(c.sign)
        FROM changes c
        WHERE c.primary_type = 'THEFT' AND c.block IS NOT NULL
        GROUP BY 1, 2
        HAVING sum(c.sign) <> 0$q$,
     $q$ON CONFLICT (year, block) DO UPDATE SET thefts = t.thefts + EXCLUDED.thefts$q$,
     'thefts', 't.thefts < 0'),
    ('crime.tally_community_area', 'community_area',
     $q$SELECT c.community_area,
               coalesce(sum(c.sign) FILTER (WHERE c.occurred_at::time >= '22:00' OR c.occurred_at::time < '04:00'), 0),
               sum(c.sign)
        FROM changes c
        WHERE c.community_area IS NOT NULL
        GROUP BY 1
        HAVING sum(c.sign) <> 0
            OR sum(c.sign) FILTER (WHERE c.occurred_at::time >= '22:00' OR c.occurred_at::time < '04:00') <> 0$q$,
     $q$ON CONFLICT (community_area) DO UPDATE
        SET late_night_incidents = t.late_night_incidents + EXCLUDED.late_night_incidents,
            incidents = t.incidents + EXCLUDED.incidents$q$,
     'incidents', 't.incidents < 0 OR t.late_night_incidents NOT BETWEEN 0 AND t.incidents'),
    ('crime.tally_day', 'day',
     $q$SELECT c.occurred_at::date, sum(c.sign)
        FROM changes c
        GROUP BY 1
        HAVING sum(c.sign) <> 0$q$,
     $q$ON CONFLICT (day) DO UPDATE SET incidents = t.incidents + EXCLUDED.incidents$q$,
     'incidents', 't.incidents < 0'),
    ('crime.tally_district_ward', 'district_ward',
     $q$SELECT c.district, c.ward, sum(c.sign), coalesce(sum(c.sign) FILTER (WHERE c.arrest), 0)
        FROM changes c
        GROUP BY 1, 2
        HAVING sum(c.sign) <> 0 OR sum(c.sign) FILTER (WHERE c.arrest) <> 0$q$,
     $q$ON CONFLICT (district, ward) DO UPDATE
        SET incidents = t.incidents + EXCLUDED.incidents, arrests = t.arrests + EXCLUDED.arrests$q$,
     'incidents', 't.incidents < 0 OR t.arrests NOT BETWEEN 0 AND t.incidents');
END;
COMMENT ON FUNCTION crime.tally_definitions() IS
    'What each tally counts, as queries over the row versions in "changes", and what makes its rows empty or impossible; read by crime.tally_statement(), crime.prune_tallies() and crime.rebuild_tallies()';

CREATE FUNCTION crime.tally_statement(leading_items text, final_select text, add boolean)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
-- One statement, so that the incidents and their tallies change together: leading_items are
-- WITH items that end with one named "changes" (see crime.tally_definitions()), sign +1 for a
-- row version that comes in, -1 for one that goes, and each tally gets the sums of its groups.
-- Without add, the tallies are left alone ("changes" is then never read). final_select may read
-- changed_tallies.tallies, the tallies written.
RETURN 'WITH ' || leading_items || CASE WHEN add THEN
    (SELECT string_agg(format(', %I AS (INSERT INTO %s AS t %s %s RETURNING 1)',
                              d.item, d.tally, d.counts, d.add_to_existing), E'\n')
            || format(', changed_tallies AS (SELECT ARRAY(SELECT v.tally FROM (VALUES %s) AS v (tally, changed)
                                                         WHERE v.changed) AS tallies) ',
                      string_agg(format('(%L::regclass, EXISTS (SELECT FROM %I))', d.tally, d.item), ', '))
     FROM crime.tally_definitions() d)
ELSE ', changed_tallies AS (SELECT ''{}''::regclass[] AS tallies) ' END || final_select;
COMMENT ON FUNCTION crime.tally_statement(text, text, boolean) IS
    'Builds the statement that applies the row versions of a WITH item named "changes" to the tallies (see crime.tally_definitions()); used by crime.merge_incidents()';

CREATE FUNCTION crime.prune_tallies()
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    d          record;
    impossible boolean;
BEGIN
    FOR d IN SELECT * FROM crime.tally_definitions() LOOP
        EXECUTE format('DELETE FROM %s t WHERE t.%I = 0', d.tally, d.total);
        -- Not CHECK constraints: ON CONFLICT checks them on the proposed row, which holds a
        -- change (often negative), before it adds it to the count.
        EXECUTE format('SELECT EXISTS (SELECT FROM %s t WHERE %s)', d.tally, d.impossible) INTO impossible;
        IF impossible THEN
            RAISE EXCEPTION 'the tallies no longer match crime.incidents: a count went below zero'
                USING ERRCODE = 'data_exception',
                      DETAIL = format('%s has a row where %s.', d.tally, d.impossible),
                      HINT = 'crime.incidents was changed other than by crime_sync() or crime_backfill(). Run SELECT crime.rebuild_tallies(); then sync again.';
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION crime.prune_tallies() IS
    'Removes the tallies'' groups whose count went down to zero, so that the views list only groups with incidents, and fails if a count went below zero (the tallies then no longer match crime.incidents)';

CREATE FUNCTION crime.rebuild_tallies()
RETURNS regclass[]
LANGUAGE plpgsql
SET jit = off -- see refresh_views
-- Each tally reads the whole table: sequentially, through a 256 KB ring of buffers, never by an
-- index or bitmap scan, which would bring the table into the shared buffer cache page by page
-- (right after a first load, with no statistics yet, THEFT looks rare enough for a bitmap scan
-- of crime.incidents_primary_type_occurred_at_idx).
SET enable_indexscan = off
SET enable_bitmapscan = off
AS $$
DECLARE
    d       record;
    tallies regclass[] := '{}';
BEGIN
    FOR d IN SELECT * FROM crime.tally_definitions() LOOP
        -- DELETE, not TRUNCATE, which would block the views' readers until commit.
        EXECUTE format('DELETE FROM %s', d.tally);
        -- The counts come through crime.query_rows() so that they can be computed by parallel
        -- workers, which an INSERT ... SELECT never uses.
        EXECUTE format('INSERT INTO %s SELECT * FROM crime.query_rows(%L, NULL::%s)', d.tally,
                       'WITH changes AS (SELECT 1 AS sign, i.* FROM crime.incidents i) ' || d.counts,
                       d.tally);
        tallies := tallies || d.tally;
    END LOOP;
    RETURN tallies;
END
$$;
COMMENT ON FUNCTION crime.rebuild_tallies() IS
    'Recounts every tally from crime.incidents (the first load does; needed by hand only after changing crime.incidents other than through crime_sync() or crime_backfill()); returns the tallies, for crime.refresh_views()';

CREATE FUNCTION crime.merge_incidents(
    updated_since   timestamp DEFAULT NULL,
    occurred_from   timestamp DEFAULT NULL,
    occurred_before timestamp DEFAULT NULL,
    delete_missing  boolean DEFAULT false,
    keep_tallies    boolean DEFAULT true,
    OUT fetched bigint,
    OUT inserted bigint,
    OUT updated bigint,
    OUT deleted bigint,
    OUT max_updated_at timestamp,
    OUT tallies regclass[])
LANGUAGE plpgsql
SET jit = off -- see refresh_views
AS $$
DECLARE
    predicates text[] := '{}';
    where_clause text;
    portal_query text;
    portal_summary text;
    index_defs text[];
    index_names text[];
    index_def text;
    primary_key_name name;
    primary_key_def text;
    -- The portal's rows as crime.incidents' columns, and those columns, shared by every path.
    portal_rows CONSTANT text := 'SELECT c.id, c.case_number, c.date AS occurred_at, c.block,
        c.iucr, c.primary_type, c.description, c.location_description, c.arrest, c.domestic,
        c.beat, c.district::integer AS district, c.ward,
        c.community_area::integer AS community_area, c.fbi_code, c.x_coordinate,
        c.y_coordinate, c.year, c.updated_on AS updated_at, c.latitude, c.longitude
        FROM crime.portal_crimes AS c';
    incident_columns CONSTANT text := 'id, case_number, occurred_at, block, iucr, primary_type,
        description, location_description, arrest, domestic, beat, district, ward,
        community_area, fbi_code, x_coordinate, y_coordinate, year, updated_at, latitude,
        longitude';
    -- The upsert's SET list and its "row differs" test, shared by both upserts.
    update_set CONSTANT text := 'case_number = EXCLUDED.case_number, occurred_at = EXCLUDED.occurred_at,
        block = EXCLUDED.block, iucr = EXCLUDED.iucr, primary_type = EXCLUDED.primary_type,
        description = EXCLUDED.description, location_description = EXCLUDED.location_description,
        arrest = EXCLUDED.arrest, domestic = EXCLUDED.domestic, beat = EXCLUDED.beat,
        district = EXCLUDED.district, ward = EXCLUDED.ward,
        community_area = EXCLUDED.community_area, fbi_code = EXCLUDED.fbi_code,
        x_coordinate = EXCLUDED.x_coordinate, y_coordinate = EXCLUDED.y_coordinate,
        year = EXCLUDED.year, updated_at = EXCLUDED.updated_at,
        latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
        synced_at = EXCLUDED.synced_at';
    -- The columns the tallies count (the id too: crime.tally_type_month sums the ids, a
    -- fingerprint for finding deletions), and the "changes" WITH items that feed them (see
    -- crime.tally_statement): the new versions of upserted rows, the old versions they replace
    -- (the statement's snapshot still sees those), and removed rows.
    tally_columns CONSTANT text := 'id, occurred_at, primary_type, arrest, block, community_area, district, ward';
    -- Those columns qualified by i (crime.incidents): RETURNING, and the rows of a range just loaded.
    tally_columns_of_i CONSTANT text := regexp_replace(tally_columns, '(\w+)', 'i.\1', 'g');
    -- The old versions are looked up by primary key, one per upserted row: a subquery with LIMIT
    -- is never turned into a join, which the planner, expecting many more rows from the portal
    -- than an incremental pass brings, would make a hash join over the whole table.
    old_version CONSTANT text := '(SELECT o.* FROM crime.incidents o WHERE o.id = u.id LIMIT 1) AS o';
    -- A new row counts in (+1); an updated one counts its old version out (-1) and its new one
    -- in (+1), unless none of the counted columns changed, when the two would cancel out in
    -- every tally (most of the portal's updates). Each old version is looked up once, and both
    -- versions come out of that one joined row (VALUES), so no intermediate result is stored
    -- (a "pairs" item did, and cost 1.7 MB more at 10,000 rows). The text ends inside
    -- "changes", so that a caller can add more row versions before closing it.
    upserted_changes CONSTANT text := format('changes AS (
            SELECT v.* FROM upserted u
            LEFT JOIN LATERAL (SELECT %1$s FROM crime.incidents o WHERE o.id = u.id LIMIT 1) AS o ON true
            CROSS JOIN LATERAL (VALUES (1, %2$s), (-1, %1$s)) AS v (sign, %3$s)
            WHERE (o.id IS NULL OR (%2$s) IS DISTINCT FROM (%1$s)) AND (v.sign = 1 OR o.id IS NOT NULL)',
        regexp_replace(tally_columns, '(\w+)', 'o.\1', 'g'),
        regexp_replace(tally_columns, '(\w+)', 'u.\1', 'g'),
        tally_columns);
    changed_test CONSTANT text := '(i.case_number, i.occurred_at, i.block, i.iucr, i.primary_type,
        i.description, i.location_description, i.arrest, i.domestic, i.beat, i.district, i.ward,
        i.community_area, i.fbi_code, i.x_coordinate, i.y_coordinate, i.year,
        i.updated_at, i.latitude, i.longitude)
      IS DISTINCT FROM
      (EXCLUDED.case_number, EXCLUDED.occurred_at, EXCLUDED.block, EXCLUDED.iucr,
       EXCLUDED.primary_type, EXCLUDED.description, EXCLUDED.location_description,
       EXCLUDED.arrest, EXCLUDED.domestic, EXCLUDED.beat, EXCLUDED.district,
       EXCLUDED.ward, EXCLUDED.community_area, EXCLUDED.fbi_code,
       EXCLUDED.x_coordinate, EXCLUDED.y_coordinate, EXCLUDED.year,
       EXCLUDED.updated_at, EXCLUDED.latitude, EXCLUDED.longitude)';
BEGIN
    IF delete_missing AND (occurred_from IS NULL OR occurred_before IS NULL) THEN
        RAISE EXCEPTION 'delete_missing needs both occurred_from and occurred_before'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Only the predicates that apply, with parameters, so that the wrapper can push them down.
    -- As literals, not parameters: crime.bulk_insert takes the query as text.
    IF updated_since IS NOT NULL THEN
        predicates := predicates || format('c.updated_on >= %L::timestamp', updated_since);
    END IF;
    IF occurred_from IS NOT NULL THEN
        predicates := predicates || format('c.date >= %L::timestamp', occurred_from);
    END IF;
    IF occurred_before IS NOT NULL THEN
        predicates := predicates || format('c.date < %L::timestamp', occurred_before);
    END IF;

    where_clause := coalesce(nullif(array_to_string(predicates, ' AND '), ''), 'true');
    -- The portal's rows this call reads, as crime.incidents' columns; and their number and
    -- newest updated_on, which the wrapper pushes down as one aggregate request.
    portal_query := format('%s WHERE %s', portal_rows, where_clause);
    portal_summary := format('SELECT count(*), max(c.updated_on) FROM crime.portal_crimes AS c WHERE %s',
                             where_clause);

    IF NOT delete_missing THEN
        -- The bulk path (first load, incremental sync): one streaming pass from the portal into
        -- the table, with no sort or materialisation in between. What was fetched is counted
        -- by the pushed-down aggregate first, so the watermark never passes a row that arrives
        -- at the portal while this runs.
        EXECUTE portal_summary INTO fetched, max_updated_at;
        inserted := 0;
        updated := 0;
        deleted := 0;
        tallies := '{}';
        IF fetched = 0 THEN
            RETURN;
        END IF;

        IF NOT EXISTS (SELECT FROM crime.incidents) THEN
            -- Into an empty table (the first load) nothing can conflict: a bulk insert
            -- replaces the upsert, and every index, the primary key included, is built once
            -- at the end, which is several times cheaper than
            -- maintaining it row by row. The table is empty, so holding its lock until commit
            -- blocks nobody's data. The primary key stays if a foreign key depends on it.
            SELECT array_agg(pg_catalog.pg_get_indexdef(x.indexrelid)),
                   array_agg(x.indexrelid::regclass::text)
            INTO index_defs, index_names
            FROM pg_catalog.pg_index x
            WHERE x.indrelid = 'crime.incidents'::regclass AND NOT x.indisprimary;
            SELECT k.conname, pg_catalog.pg_get_constraintdef(k.oid)
            INTO primary_key_name, primary_key_def
            FROM pg_catalog.pg_constraint k
            WHERE k.conrelid = 'crime.incidents'::regclass AND k.contype = 'p'
              AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint f
                              WHERE f.contype = 'f' AND f.confrelid = k.conrelid);
            IF index_names IS NOT NULL THEN
                EXECUTE 'DROP INDEX ' || array_to_string(index_names, ', ');
            END IF;
            IF primary_key_name IS NOT NULL THEN
                EXECUTE format('ALTER TABLE crime.incidents DROP CONSTRAINT %I', primary_key_name);
            END IF;

            -- Not INSERT's write path, which would pass the whole table through the shared
            -- buffer cache: with the lock the DROPs took and no index left, crime.bulk_insert
            -- writes the pages straight to the file (with a primary key kept, through COPY's
            -- ring of buffers).
            inserted := crime.bulk_insert('crime.incidents', portal_query);

            IF primary_key_name IS NOT NULL THEN
                BEGIN
                    EXECUTE format('ALTER TABLE crime.incidents ADD CONSTRAINT %I %s',
                                   primary_key_name, primary_key_def);
                EXCEPTION WHEN unique_violation THEN
                    -- What the upsert would have refused too: one id sent twice in one pass.
                    GET STACKED DIAGNOSTICS index_def = PG_EXCEPTION_DETAIL;
                    RAISE EXCEPTION 'the portal sent the same crime id more than once in one pass'
                        USING ERRCODE = 'unique_violation', DETAIL = index_def,
                              HINT = 'Nothing was loaded; run crime_sync() again.';
                END;
            END IF;
            IF index_defs IS NOT NULL THEN
                FOREACH index_def IN ARRAY index_defs LOOP
                    EXECUTE index_def;
                END LOOP;
            END IF;
            tallies := CASE WHEN keep_tallies THEN crime.rebuild_tallies() ELSE '{}' END;
            fetched := greatest(fetched, inserted);
            RETURN;
        END IF;

        -- xmax is 0 on a freshly inserted row and set on a row updated by ON CONFLICT.
        EXECUTE crime.tally_statement(
            format($sql$
            upserted AS (
                INSERT INTO crime.incidents AS i (%s)
                %s
                ON CONFLICT (id) DO UPDATE SET %s
                WHERE %s
                RETURNING i.xmax = 0 AS was_inserted, %s
            ),
            %s)
            $sql$, incident_columns, portal_query, update_set, changed_test,
                   tally_columns_of_i, upserted_changes),
            $sql$
            SELECT count(*) FILTER (WHERE was_inserted), count(*) FILTER (WHERE NOT was_inserted),
                   (SELECT t.tallies FROM changed_tallies t)
            FROM upserted
            $sql$, keep_tallies)
        INTO inserted, updated, tallies;
        IF cardinality(tallies) > 0 THEN
            PERFORM crime.prune_tallies();
        END IF;

        -- Rows that changed at the portal between the count and the upsert.
        fetched := greatest(fetched, inserted + updated);
        RETURN;
    END IF;

    -- A range with no local rows (a backfill's window, the first time) has nothing to compare or
    -- delete: its rows go in through crime.bulk_insert as in a first load, the indexes kept. An
    -- id the table already has (a crime whose date moved into this range) or that the portal
    -- sends twice fails it with a unique violation; the block's subtransaction then undoes it
    -- and the general re-sync below runs instead.
    IF NOT EXISTS (SELECT FROM crime.incidents i
                   WHERE i.occurred_at >= occurred_from AND i.occurred_at < occurred_before) THEN
        BEGIN
            EXECUTE portal_summary INTO fetched, max_updated_at;
            inserted := crime.bulk_insert('crime.incidents', portal_query);
            -- Every row of the range is new: count them all in.
            tallies := '{}';
            IF keep_tallies THEN
                EXECUTE crime.tally_statement(
                    format('changes AS (SELECT 1 AS sign, %s FROM crime.incidents i
                                        WHERE i.occurred_at >= $1 AND i.occurred_at < $2)',
                           tally_columns_of_i),
                    'SELECT t.tallies FROM changed_tallies t', true)
                INTO tallies
                USING occurred_from, occurred_before;
            END IF;
            fetched := greatest(fetched, inserted);
            updated := 0;
            deleted := 0;
            RETURN;
        EXCEPTION WHEN unique_violation THEN
            NULL;
        END;
    END IF;

    -- A range re-sync that also finds deletions (one month at a time, so small): one statement,
    -- so one snapshot. The final SELECT sees crime.incidents as it was before the INSERT and
    -- DELETE in the WITH clause, so an upserted id found there was an update, one not found an
    -- insert.
    EXECUTE crime.tally_statement(
        format($sql$
        source AS MATERIALIZED (
            SELECT DISTINCT ON (r.id) r.*
            FROM (%s) AS r
            ORDER BY r.id, r.updated_at DESC NULLS LAST
        ),
        upserted AS (
            INSERT INTO crime.incidents AS i (%s)
            SELECT %s FROM source
            ON CONFLICT (id) DO UPDATE SET %s
            WHERE %s
            RETURNING %s
        ),
        removed AS (
            DELETE FROM crime.incidents AS i
            WHERE i.occurred_at >= $1 AND i.occurred_at < $2
              AND NOT EXISTS (SELECT FROM source s WHERE s.id = i.id)
            RETURNING %s
        ),
        %s
            UNION ALL
            SELECT -1, %s FROM removed r
        )
        $sql$,
        portal_query, incident_columns, incident_columns, update_set, changed_test,
        tally_columns_of_i,
        tally_columns_of_i,
        upserted_changes,
        regexp_replace(tally_columns, '(\w+)', 'r.\1', 'g')),
        $sql$
        SELECT (SELECT count(*) FROM source),
               count(*) FILTER (WHERE o.id IS NULL),
               count(o.id),
               (SELECT count(*) FROM removed),
               (SELECT max(s.updated_at) FROM source s),
               (SELECT t.tallies FROM changed_tallies t)
        FROM upserted u
        LEFT JOIN LATERAL $sql$ || old_version || ' ON true', keep_tallies)
    INTO fetched, inserted, updated, deleted, max_updated_at, tallies
    USING occurred_from, occurred_before;
    IF cardinality(tallies) > 0 THEN
        PERFORM crime.prune_tallies();
    END IF;
END
$$;
COMMENT ON FUNCTION crime.merge_incidents(timestamp, timestamp, timestamp, boolean, boolean) IS
    'Upserts the portal''s crimes updated at or after updated_since and/or occurring in [occurred_from, occurred_before) into crime.incidents by id, rewriting only rows that differ; with delete_missing, also deletes the range''s local rows that the portal no longer has. Adjusts the tallies in the same statement (unless keep_tallies is false: crime_backfill() recounts them at its end). Returns rows fetched, inserted, updated, deleted, the greatest updated_on fetched and the tallies that changed';

CREATE FUNCTION crime.portal_matches_warehouse()
RETURNS boolean
LANGUAGE sql
SET jit = off -- see refresh_views
BEGIN ATOMIC
    -- One aggregate request to the portal (socrata_fdw pushes it down as
    -- $select=count(*),sum(id)), and crime.tally_type_month locally.
    SELECT p.n = w.n AND p.id_sum IS NOT DISTINCT FROM w.id_sum
    FROM (SELECT count(*) AS n, sum(c.id) AS id_sum FROM crime.portal_crimes c) AS p,
         (SELECT coalesce(sum(t.incidents), 0) AS n, sum(t.id_sum) AS id_sum
          FROM crime.tally_type_month t) AS w;
END;
COMMENT ON FUNCTION crime.portal_matches_warehouse() IS
    'Whether the portal has as many crimes as crime.incidents, with the same sum of ids: one aggregate request to the portal, and the tally locally. crime_sync() calls it after its incremental pass and compares month by month (crime.months_out_of_sync()) only when it is false';

CREATE FUNCTION crime.months_out_of_sync()
RETURNS TABLE (month timestamp, portal_rows bigint, warehouse_rows bigint,
               portal_id_sum numeric, warehouse_id_sum numeric)
LANGUAGE sql
SET jit = off -- see refresh_views
BEGIN ATOMIC
    WITH portal AS (
        -- socrata_fdw pushes this aggregate down as $group=date_trunc_ym(date)
        SELECT pg_catalog.date_trunc('month', c.date) AS month, count(*) AS n, sum(c.id) AS id_sum
        FROM crime.portal_crimes c
        GROUP BY 1
    ),
    warehouse AS (
        -- The tally has crime.incidents' counts and id sums per month, without reading the table.
        SELECT t.month::timestamp AS month, sum(t.incidents) AS n, sum(t.id_sum) AS id_sum
        FROM crime.tally_type_month t
        GROUP BY 1
    )
    SELECT coalesce(p.month, w.month), p.n, w.n, p.id_sum, w.id_sum
    FROM portal p
    FULL JOIN warehouse w ON w.month = p.month
    WHERE (p.n, p.id_sum) IS DISTINCT FROM (w.n, w.id_sum) AND coalesce(p.month, w.month) IS NOT NULL
    ORDER BY 1;
END;
COMMENT ON FUNCTION crime.months_out_of_sync() IS
    'Months (of occurrence) whose number of crimes or sum of their ids differs between the portal and crime.incidents: one aggregate query to the portal (pushed down by socrata_fdw), and crime.tally_type_month locally; crime_sync() re-syncs these months to find deletions';

CREATE FUNCTION crime.replace_if_changed(target regclass, source_rows jsonb)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    columns text;
    differs boolean;
BEGIN
    -- Every stored column except generated ones, in table order.
    SELECT string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
    INTO columns
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';

    EXECUTE format($sql$
        SELECT EXISTS (
            (SELECT %1$s FROM pg_catalog.jsonb_populate_recordset(NULL::%2$s, $1)
             EXCEPT ALL
             SELECT %1$s FROM %2$s)
            UNION ALL
            (SELECT %1$s FROM %2$s
             EXCEPT ALL
             SELECT %1$s FROM pg_catalog.jsonb_populate_recordset(NULL::%2$s, $1)))
        $sql$, columns, target)
    INTO differs
    USING coalesce(source_rows, '[]');

    IF differs THEN
        EXECUTE format('DELETE FROM %s', target);
        EXECUTE format('INSERT INTO %2$s (%1$s) SELECT %1$s FROM pg_catalog.jsonb_populate_recordset(NULL::%2$s, $1)',
                       columns, target)
        USING coalesce(source_rows, '[]');
    END IF;
    RETURN differs;
END
$$;
COMMENT ON FUNCTION crime.replace_if_changed(regclass, jsonb) IS
    'Makes a small reference table hold exactly source_rows (a JSON array of objects keyed by column name): compares the two row sets and, only if they differ, replaces the table''s contents. Returns whether it changed anything';

CREATE FUNCTION crime.refresh_reference_data()
RETURNS regclass[]
LANGUAGE plpgsql
AS $$
DECLARE
    changed    regclass[] := '{}';
    rows       jsonb;
    first_year integer;
    last_year  integer;
BEGIN
    -- Police stations and ward offices: a few dozen rows each, read whole. An empty answer is not
    -- trusted to mean that every station or office is gone.
    SELECT jsonb_agg(to_jsonb(p)) INTO rows FROM crime.portal_police_stations p;
    IF rows IS NULL THEN
        RAISE WARNING 'the police stations dataset returned no rows: crime.police_stations is left as it is';
    ELSIF crime.replace_if_changed('crime.police_stations', rows) THEN
        changed := changed || 'crime.police_stations'::regclass;
    END IF;

    -- The office location comes as a location object {"latitude": ..., "longitude": ...} or as a
    -- GeoJSON point {"coordinates": [lon, lat]}.
    SELECT jsonb_agg(to_jsonb(o) - 'location'
                     || jsonb_build_object(
                            'latitude', coalesce(o.location -> 'latitude', o.location -> 'coordinates' -> 1),
                            'longitude', coalesce(o.location -> 'longitude', o.location -> 'coordinates' -> 0)))
    INTO rows
    FROM crime.portal_ward_offices o;
    IF rows IS NULL THEN
        RAISE WARNING 'the ward offices dataset returned no rows: crime.wards is left as it is';
    ELSIF crime.replace_if_changed('crime.wards', rows) THEN
        changed := changed || 'crime.wards'::regclass;
    END IF;

    -- Holidays cover the years of the data (the rules start in 1971).
    SELECT extract(year FROM min(i.occurred_at))::integer, extract(year FROM max(i.occurred_at))::integer
    INTO first_year, last_year
    FROM crime.incidents i;
    SELECT jsonb_agg(to_jsonb(h)) INTO rows
    FROM crime.us_federal_holidays(greatest(first_year, 1971), last_year) h;
    IF crime.replace_if_changed('crime.holidays', rows) THEN
        changed := changed || 'crime.holidays'::regclass;
    END IF;
    RETURN changed;
END
$$;
COMMENT ON FUNCTION crime.refresh_reference_data() IS
    'Brings crime.police_stations and crime.wards in line with the portal and crime.holidays in line with the years of crime.incidents, rewriting a table only when it differs; returns the tables it changed';

CREATE FUNCTION crime.refresh_views(changed regclass[])
RETURNS text[]
LANGUAGE plpgsql
-- No JIT: compiling the views' aggregations saves little here, and loading LLVM maps some
-- 50 MB of libraries into the backend.
SET jit = off
-- The views summarise the whole table or large parts of it: they read it sequentially, through
-- a 256 KB ring of buffers, never by index or bitmap scan, which use the shared buffer cache
-- page by page. So a refresh neither evicts the analysts' cache nor maps it all into the
-- backend, whatever the statistics say (right after a first load there are none yet, and a
-- common crime type looks rare).
SET enable_indexscan = off
SET enable_bitmapscan = off
AS $$
DECLARE
    v         record;
    refreshed text[] := '{}';
BEGIN
    -- The extension's materialized views that read one of the changed tables, or a view refreshed
    -- here, or were never populated, found through the dependencies of their rewrite rules. A view
    -- comes after the views it reads (depth: the longest chain of the extension's views below it).
    FOR v IN
        WITH RECURSIVE views AS (
            SELECT c.oid, c.relname, c.relispopulated
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_depend e
              ON e.classid = 'pg_catalog.pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e'
             AND e.refclassid = 'pg_catalog.pg_extension'::regclass
             AND e.refobjid = (SELECT x.oid FROM pg_catalog.pg_extension x WHERE x.extname = 'chicago_crime')
            WHERE c.relkind = 'm'
        ),
        reads AS (
            SELECT DISTINCT w.oid AS view, d.refobjid AS source
            FROM views w
            JOIN pg_catalog.pg_rewrite r ON r.ev_class = w.oid
            JOIN pg_catalog.pg_depend d
              ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
             AND d.refclassid = 'pg_catalog.pg_class'::regclass
            WHERE d.refobjid <> w.oid
        ),
        stale AS (
            SELECT w.oid
            FROM views w
            WHERE NOT w.relispopulated
               OR EXISTS (SELECT FROM reads r WHERE r.view = w.oid AND r.source = ANY (changed))
            UNION
            SELECT r.view FROM reads r JOIN stale s ON s.oid = r.source
        ),
        depth AS (
            SELECT w.oid, 0 AS depth FROM views w
            UNION ALL
            SELECT r.view, d.depth + 1 FROM depth d JOIN reads r ON r.source = d.oid
        )
        SELECT w.oid::regclass AS view, w.relispopulated AS populated
        FROM views w
        WHERE w.oid IN (SELECT s.oid FROM stale s)
        ORDER BY (SELECT max(d.depth) FROM depth d WHERE d.oid = w.oid), w.relname
    LOOP
        -- CONCURRENTLY keeps the view readable during the refresh; it needs a populated view.
        EXECUTE format('REFRESH MATERIALIZED VIEW %s %s',
                       CASE WHEN v.populated THEN 'CONCURRENTLY' ELSE '' END, v.view);
        refreshed := refreshed || v.view::text;
    END LOOP;
    RETURN refreshed;
END
$$;
COMMENT ON FUNCTION crime.refresh_views(regclass[]) IS
    'Refreshes (CONCURRENTLY when populated) the extension''s materialized views that depend on any of the given tables or on a view it refreshes, and any that were never populated, each once and after the views it reads; returns their names in the order refreshed';

CREATE FUNCTION crime.record_run_error(
    run_id bigint, sqlstate text, message text, detail text, hint text, context text)
RETURNS crime.sync_runs
LANGUAGE sql
BEGIN ATOMIC
    UPDATE crime.sync_runs r
    SET status = CASE WHEN record_run_error.sqlstate = '57014' THEN 'cancelled' ELSE 'failed' END,
        finished_at = pg_catalog.clock_timestamp(),
        watermark_after = r.watermark_before,
        error = record_run_error.message,
        error_sqlstate = record_run_error.sqlstate,
        -- GET STACKED DIAGNOSTICS gives empty strings for absent items. Of the context, only the
        -- call stack is kept: "SQL statement" lines would repeat whole statements.
        error_detail = nullif(concat_ws(E'\n', 'DETAIL: ' || nullif(detail, ''), 'HINT: ' || nullif(hint, ''),
                                        'CONTEXT: ' || nullif(array_to_string(ARRAY(
                                            SELECT l FROM regexp_split_to_table(context, E'\n') AS l
                                            WHERE l ~ '^(PL/pgSQL|SQL) function'), E'\n'), '')), '')
    WHERE r.id = record_run_error.run_id
    RETURNING r.*;
END;
COMMENT ON FUNCTION crime.record_run_error(bigint, text, text, text, text, text) IS
    'Marks a run failed (or cancelled, for SQLSTATE 57014) with its error; the caller has already rolled the run''s work back';

-------------------------------------------------------------------------------------------------
-- Entry points
-------------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.crime_sync()
RETURNS crime.sync_runs
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run            crime.sync_runs;
    watermark      timestamp;
    overlap        interval;
    detect_deletes boolean;
    check_interval interval;
    first_load     boolean;
    merged         record;
    month          record;
    changed        regclass[] := '{}';
    err_state      text;
    err_message    text;
    err_detail     text;
    err_hint       text;
    err_context    text;
BEGIN
    PERFORM crime.take_sync_lock(false);
    IF EXISTS (SELECT FROM crime.backfill_state b WHERE b.status = 'running') THEN
        RAISE EXCEPTION 'crime_sync() cannot run while a backfill is unfinished'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Resume the backfill with CALL crime_backfill(); crime_sync() continues incrementally once it is done.';
    END IF;

    SELECT s.watermark INTO watermark FROM crime.sync_state s;
    INSERT INTO crime.sync_runs (kind, watermark_before, watermark_after)
    VALUES ('sync', watermark, watermark)
    RETURNING * INTO run;

    -- All the work happens in this block, a subtransaction: if anything fails, every change it
    -- made (rows, reference data, views, watermark) is rolled back, and the failure is recorded
    -- in crime.sync_runs by the handler, in the caller's transaction.
    BEGIN
        overlap := crime.setting('sync_overlap', '1 day')::interval;
        detect_deletes := crime.setting('detect_deletes', 'on')::boolean;
        check_interval := crime.setting('full_check_interval', '1 day')::interval;
        IF overlap < interval '0' THEN
            RAISE EXCEPTION 'chicago_crime.sync_overlap must not be negative, not %', overlap
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF check_interval < interval '0' THEN
            RAISE EXCEPTION 'chicago_crime.full_check_interval must not be negative, not %', check_interval
                USING ERRCODE = 'invalid_parameter_value';
        END IF;

        -- Rows changed since the watermark (everything on the first run).
        first_load := NOT EXISTS (SELECT FROM crime.incidents);
        merged := crime.merge_incidents(updated_since => watermark - overlap);
        changed := merged.tallies;
        run.rows_fetched := merged.fetched;
        run.inserted := merged.inserted;
        run.updated := merged.updated;
        run.unchanged := merged.fetched - merged.inserted - merged.updated;
        run.watermark_after := greatest(watermark, merged.max_updated_at);

        -- Deletions: the portal gives no tombstones, so compare the number of rows and the sum
        -- of their ids per month, and re-sync the months that differ. The month-by-month request
        -- groups the whole dataset at the portal: most runs ask for the totals only, in one small
        -- request, and compare the months when the totals differ. The totals cannot see changes
        -- that leave them as they are (a crime moved to another month without a newer
        -- updated_on, differences that cancel out: docs/warehouse.md, "Deletions"), so the
        -- months are compared anyway when no run has in chicago_crime.full_check_interval. After
        -- a load into an empty table every local row was read in this run, so there is nothing
        -- to find yet (a row deleted at the portal while the load ran is found by the next run).
        run.full_check := first_load;
        IF detect_deletes AND NOT first_load THEN
            run.full_check := NOT EXISTS (
                SELECT FROM crime.sync_runs r
                WHERE r.kind = 'sync' AND r.status = 'succeeded' AND r.full_check
                  AND r.started_at > run.started_at - check_interval);
            IF NOT run.full_check THEN
                run.full_check := NOT crime.portal_matches_warehouse();
            END IF;
        END IF;
        IF run.full_check AND NOT first_load THEN
            FOR month IN SELECT * FROM crime.months_out_of_sync() LOOP
                merged := crime.merge_incidents(occurred_from => month.month,
                                                occurred_before => month.month + interval '1 month',
                                                delete_missing => true);
                run.rows_fetched := run.rows_fetched + merged.fetched;
                run.inserted := run.inserted + merged.inserted;
                run.updated := run.updated + merged.updated;
                run.deleted := run.deleted + merged.deleted;
                run.unchanged := run.unchanged + merged.fetched - merged.inserted - merged.updated;
                run.months_resynced := run.months_resynced + 1;
                changed := changed || merged.tallies;
            END LOOP;
        END IF;

        changed := changed || crime.refresh_reference_data();
        run.views_refreshed := crime.refresh_views(changed);

        IF run.watermark_after IS DISTINCT FROM watermark THEN
            INSERT INTO crime.sync_state AS s (watermark, run_id, updated_at)
            VALUES (run.watermark_after, run.id, now())
            ON CONFLICT (singleton) DO UPDATE
            SET watermark = EXCLUDED.watermark, run_id = EXCLUDED.run_id, updated_at = EXCLUDED.updated_at;
        END IF;

        UPDATE crime.sync_runs r
        SET status = 'succeeded', finished_at = clock_timestamp(),
            rows_fetched = run.rows_fetched, inserted = run.inserted, updated = run.updated,
            deleted = run.deleted, unchanged = run.unchanged, months_resynced = run.months_resynced,
            full_check = run.full_check, watermark_after = run.watermark_after,
            views_refreshed = run.views_refreshed
        WHERE r.id = run.id
        RETURNING r.* INTO run;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE, err_message = MESSAGE_TEXT,
                                err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT,
                                err_context = PG_EXCEPTION_CONTEXT;
        run := crime.record_run_error(run.id, err_state, err_message, err_detail, err_hint, err_context);
        err_hint := format('The failure is recorded in crime.sync_runs (id %s); the next run retries from the same watermark.', run.id);
        IF err_detail = '' THEN
            RAISE WARNING 'crime_sync() failed and changed nothing: %', err_message USING HINT = err_hint;
        ELSE
            RAISE WARNING 'crime_sync() failed and changed nothing: %', err_message
                USING DETAIL = err_detail, HINT = err_hint;
        END IF;
    END;
    RETURN run;
END
$$;
COMMENT ON FUNCTION @extschema@.crime_sync() IS
    'Brings the warehouse up to date with the portal and returns the run''s crime.sync_runs row. First run: full load; later runs: rows with updated_on >= watermark - chicago_crime.sync_overlap (default 1 day), upserted by id (unchanged rows are not rewritten), then deletions found by comparing per-month counts (chicago_crime.detect_deletes, default on), reference tables, and the materialized views that depend on what changed (CONCURRENTLY). All or nothing: on failure it changes nothing, records the error in crime.sync_runs, raises a WARNING and returns the failed run (status = ''failed''); CALL crime.run_scheduled_sync() turns that into an error. Raises SQLSTATE 55P03 when another sync or backfill is running';

CREATE PROCEDURE crime.run_scheduled_sync()
LANGUAGE plpgsql
AS $$
DECLARE
    run crime.sync_runs;
BEGIN
    run := @extschema@.crime_sync();
    -- Keep the run's record, failure included, before reporting the failure as an error.
    COMMIT;
    IF run.status <> 'succeeded' THEN
        RAISE EXCEPTION 'crime_sync() run % failed: %', run.id, run.error
            USING ERRCODE = coalesce(run.error_sqlstate, 'XX000'),
                  DETAIL = coalesce(run.error_detail, ''),
                  HINT = 'The warehouse is unchanged; the failure is recorded in crime.sync_runs.';
    END IF;
END
$$;
COMMENT ON PROCEDURE crime.run_scheduled_sync() IS
    'What the pg_cron job runs: crime_sync(), commit (so that the run and a failure are recorded), then raise an error if the run failed, so that cron.job_run_details shows it as failed. Call it outside a transaction block';

CREATE PROCEDURE @extschema@.crime_backfill(
    start_date    timestamp DEFAULT NULL,
    end_date      timestamp DEFAULT NULL,
    window_length interval DEFAULT NULL,
    restart       boolean DEFAULT false)
LANGUAGE plpgsql
AS $$
DECLARE
    state        crime.backfill_state;
    run          crime.sync_runs;
    portal       record;
    watermark    timestamp;
    merged       record;
    window_start timestamp;
    window_end   timestamp;
    started      timestamptz;
    seconds      numeric;
    changed      regclass[];
    err_state    text;
    err_message  text;
    err_detail   text;
    err_hint     text;
    err_context  text;
BEGIN
    -- Fails at once ("invalid transaction termination") when called inside a transaction block
    -- or from a function, where the per-window commits below are impossible.
    COMMIT;
    -- A session-level lock: it must outlive the commits. Every error path below releases it.
    PERFORM crime.take_sync_lock(true);

    BEGIN
        SELECT * INTO state FROM crime.backfill_state;
        SELECT s.watermark INTO watermark FROM crime.sync_state s;
        IF state.status = 'running' AND NOT restart THEN
            IF start_date <> state.range_start OR end_date <> state.range_end THEN
                RAISE EXCEPTION 'an unfinished backfill of [%, %) is waiting to be resumed',
                                state.range_start, state.range_end
                    USING ERRCODE = 'object_not_in_prerequisite_state',
                          HINT = 'Call crime_backfill() without start_date and end_date to resume it, or with restart => true to start over.';
            END IF;
            -- A previous call that is still "running" ended without recording an outcome (its
            -- session died): the lock we hold proves it is not running any more.
            UPDATE crime.sync_runs r SET status = 'interrupted', finished_at = state.updated_at
            WHERE r.id = state.run_id AND r.status = 'running';
            INSERT INTO crime.sync_runs (kind, watermark_before, watermark_after, details)
            VALUES ('backfill', watermark, watermark,
                    jsonb_build_object('range_start', state.range_start, 'range_end', state.range_end,
                                       'window_length', coalesce(window_length, state.window_length),
                                       'resumed_at', state.next_start))
            RETURNING * INTO run;
            UPDATE crime.backfill_state b
            SET run_id = run.id, window_length = coalesce(crime_backfill.window_length, b.window_length)
            RETURNING * INTO state;
            RAISE NOTICE 'crime_backfill: resuming the backfill of [%, %) at %',
                         state.range_start, state.range_end, state.next_start;
        ELSE
            window_length := coalesce(window_length, interval '7 days');
            IF window_length <= interval '0' THEN
                RAISE EXCEPTION 'window_length must be positive, not %', window_length
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF state.status = 'running' THEN
                UPDATE crime.sync_runs r SET status = 'interrupted', finished_at = state.updated_at
                WHERE r.id = state.run_id AND r.status = 'running';
            END IF;
            -- The portal's range and current watermark, in one aggregate query (pushed down).
            SELECT min(c.date) AS first_date, max(c.date) AS last_date, max(c.updated_on) AS watermark
            INTO portal
            FROM crime.portal_crimes c;
            start_date := coalesce(start_date, date_trunc('week', portal.first_date));
            end_date := coalesce(end_date, date_trunc('day', portal.last_date) + interval '1 day');
            IF start_date IS NULL OR end_date IS NULL THEN
                RAISE NOTICE 'crime_backfill: the portal has no crimes, nothing to do';
                PERFORM crime.release_sync_lock();
                RETURN;
            END IF;
            IF start_date >= end_date THEN
                RAISE EXCEPTION 'crime_backfill: start_date (%) must be before end_date (%)', start_date, end_date
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            INSERT INTO crime.sync_runs (kind, watermark_before, watermark_after, details)
            VALUES ('backfill', watermark, watermark,
                    jsonb_build_object('range_start', start_date, 'range_end', end_date,
                                       'window_length', window_length))
            RETURNING * INTO run;
            INSERT INTO crime.backfill_state AS b
                   (status, run_id, range_start, range_end, window_length, next_start, source_watermark)
            VALUES ('running', run.id, start_date, end_date, window_length, start_date, portal.watermark)
            ON CONFLICT (singleton) DO UPDATE
            SET status = EXCLUDED.status, run_id = EXCLUDED.run_id, range_start = EXCLUDED.range_start,
                range_end = EXCLUDED.range_end, window_length = EXCLUDED.window_length,
                next_start = EXCLUDED.next_start, source_watermark = EXCLUDED.source_watermark,
                windows_done = 0, rows_fetched = 0, started_at = now(), updated_at = now()
            RETURNING * INTO state;
        END IF;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM crime.release_sync_lock();
        RAISE;
    END;
    COMMIT;

    -- One transaction per step: each window, then the hand-over to crime_sync(). A window's rows
    -- and the progress that skips it commit together, so a resumed backfill neither repeats nor
    -- misses a window.
    LOOP
        BEGIN
            IF state.next_start < state.range_end THEN
                window_start := state.next_start;
                window_end := least(window_start + state.window_length, state.range_end);
                started := clock_timestamp();
                -- The tallies are recounted once, at the end (a backfill is also the way to
                -- repair crime.incidents after changes by hand, which the tallies do not know of).
                merged := crime.merge_incidents(occurred_from => window_start,
                                                occurred_before => window_end,
                                                delete_missing => true,
                                                keep_tallies => false);
                UPDATE crime.backfill_state b
                SET next_start = window_end, windows_done = b.windows_done + 1,
                    rows_fetched = b.rows_fetched + merged.fetched, updated_at = clock_timestamp()
                RETURNING * INTO state;
                UPDATE crime.sync_runs r
                SET rows_fetched = r.rows_fetched + merged.fetched, inserted = r.inserted + merged.inserted,
                    updated = r.updated + merged.updated, deleted = r.deleted + merged.deleted,
                    unchanged = r.unchanged + merged.fetched - merged.inserted - merged.updated,
                    details = r.details || jsonb_build_object('windows_done', state.windows_done,
                                                              'next_start', state.next_start)
                WHERE r.id = run.id;
            ELSE
                -- The hand-over. The watermark is the portal's greatest updated_on from before the
                -- first window, so the next sync re-reads everything changed during the backfill.
                -- An existing watermark (a backfill of a range into a warehouse that already
                -- syncs) is kept.
                IF NOT EXISTS (SELECT FROM crime.sync_state s WHERE s.watermark IS NOT NULL)
                   AND state.source_watermark IS NOT NULL THEN
                    INSERT INTO crime.sync_state AS s (watermark, run_id, updated_at)
                    VALUES (state.source_watermark, run.id, now())
                    ON CONFLICT (singleton) DO UPDATE
                    SET watermark = EXCLUDED.watermark, run_id = EXCLUDED.run_id,
                        updated_at = EXCLUDED.updated_at;
                END IF;
                changed := crime.rebuild_tallies() || crime.refresh_reference_data();
                run.views_refreshed := crime.refresh_views(changed);
                UPDATE crime.backfill_state SET status = 'done', updated_at = clock_timestamp();
                UPDATE crime.sync_runs r
                SET status = 'succeeded', finished_at = clock_timestamp(),
                    watermark_after = (SELECT s.watermark FROM crime.sync_state s),
                    views_refreshed = run.views_refreshed
                WHERE r.id = run.id
                RETURNING r.* INTO run;
            END IF;
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            -- Record the failure (or cancel) for good, release the lock, then let it propagate.
            GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE, err_message = MESSAGE_TEXT,
                                    err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT,
                                    err_context = PG_EXCEPTION_CONTEXT;
            PERFORM crime.record_run_error(run.id, err_state, err_message, err_detail, err_hint, err_context);
            COMMIT;
            PERFORM crime.release_sync_lock();
            RAISE;
        END;
        COMMIT;
        EXIT WHEN run.status = 'succeeded';
        seconds := extract(epoch FROM clock_timestamp() - started);
        RAISE NOTICE 'crime_backfill: [%, %): % rows (% new, % updated, % deleted) in % s, % rows/s',
                     window_start, window_end, merged.fetched, merged.inserted,
                     merged.updated, merged.deleted, round(seconds, 2),
                     CASE WHEN seconds > 0 THEN round(merged.fetched / seconds) END;
    END LOOP;
    PERFORM crime.release_sync_lock();
    RAISE NOTICE 'crime_backfill: done, [%, %) in % windows; crime_sync() continues from watermark %',
                 state.range_start, state.range_end, state.windows_done, run.watermark_after;
END
$$;
COMMENT ON PROCEDURE @extschema@.crime_backfill(timestamp, timestamp, interval, boolean) IS
    'First load of crime.incidents in windows of occurrence date [start_date, end_date) (default: the portal''s whole range, from the Monday of its first week), window_length each (default 1 week), committing after each window with a NOTICE (window, rows, rows/s). Resumable: after a crash, cancel or timeout, CALL crime_backfill() again (without start_date/end_date) continues with the first uncommitted window; restart => true starts over. Each window is made equal to the portal (upsert by id, delete what the portal no longer has), so windows are never duplicated nor skipped. At the end it sets the sync watermark (if none is set yet) to the portal''s greatest updated_on from before the first window, refreshes reference data and views; crime_sync() then continues incrementally. Call it outside a transaction block';

CREATE FUNCTION @extschema@.crime_schedule(cron text DEFAULT '*/15 * * * *')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cron_database text := current_setting('cron.database_name', true);
    job_id        bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        IF cron_database IS NULL THEN
            RAISE EXCEPTION 'crime_schedule() needs pg_cron, which is not installed'
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Add pg_cron to shared_preload_libraries, restart PostgreSQL, then CREATE EXTENSION pg_cron in the database named by cron.database_name.';
        END IF;
        RAISE EXCEPTION 'crime_schedule() needs pg_cron, which is not installed in database "%"', current_database()
            USING ERRCODE = 'feature_not_supported',
                  HINT = format('pg_cron lives in database %I (cron.database_name). Install it there with CREATE EXTENSION pg_cron if needed, then schedule this database''s sync from there: SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                                cron_database, 'crime_sync', crime_schedule.cron, 'CALL crime.run_scheduled_sync()', current_database());
    END IF;
    -- Dynamic SQL: pg_cron is optional, nothing here may depend on it.
    EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, $4)'
    INTO job_id
    USING 'crime_sync', crime_schedule.cron, 'CALL crime.run_scheduled_sync()', current_database();
    RETURN job_id;
END
$$;
COMMENT ON FUNCTION @extschema@.crime_schedule(text) IS
    'Creates or replaces the pg_cron job "crime_sync" that runs CALL crime.run_scheduled_sync() (crime_sync(), failing the job when the sync fails) in this database on the given cron schedule (default every 15 minutes; pg_cron 1.4 reads schedules in GMT) as the current user; returns the job id. Raises a clear error when pg_cron is not installed in this database';

CREATE FUNCTION @extschema@.crime_unschedule()
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job_id bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'crime_unschedule() needs pg_cron, which is not installed in database "%"', current_database()
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Jobs for this database are managed from the database named by cron.database_name, with cron.unschedule(''crime_sync'').';
    END IF;
    EXECUTE 'SELECT jobid FROM cron.job WHERE jobname = $1 AND username = current_user AND database = $2'
    INTO job_id
    USING 'crime_sync', current_database();
    IF job_id IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT cron.unschedule($1)' USING job_id;
    RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.crime_unschedule() IS
    'Removes the pg_cron job "crime_sync" of this database and the current user; returns false when there was none. Raises a clear error when pg_cron is not installed in this database';

-- The entry points change the warehouse: only its owner (and whom the owner grants) may run them.
REVOKE ALL ON FUNCTION @extschema@.crime_sync() FROM PUBLIC;
REVOKE ALL ON PROCEDURE @extschema@.crime_backfill(timestamp, timestamp, interval, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.crime_schedule(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.crime_unschedule() FROM PUBLIC;
REVOKE ALL ON PROCEDURE crime.run_scheduled_sync() FROM PUBLIC;

-------------------------------------------------------------------------------------------------
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
-------------------------------------------------------------------------------------------------

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
    SELECT m::date AS month
    FROM (SELECT min(c.month) AS first_month, max(c.month) AS last_month FROM counts c) AS b,
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
    'Incidents and arrests per month, overall (primary_type ''ALL'', is_total) and per primary type; every month from the first to the last month of the data is present for every series (0 when none), ready to plot';
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
    -- The month of the latest incident is usually incomplete: the periods end before it.
    SELECT max(m.month)::timestamp AS period_end FROM crime.tally_type_month m
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
           regr_r2(s.incidents, s.month_no) AS r2
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
    'Is crime going up or down? Per primary type and overall (''ALL''): incidents in the last 12 complete months of the data vs the 12 months before, and the least-squares slope of the monthly counts over those 24 months. Relative to the latest occurred_at in the data, not to now(): the month holding the latest incident is treated as incomplete and left out. Types with no incident in the 24 months are absent';
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
    'Incidents between 22:00 and 04:00 (local time, 04:00 excluded) per community area, all 77 areas, safest (fewest) first. Incidents without a community area (most of the bundled data) are not counted; counts are not adjusted for population';
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
    SELECT min(d.day) AS first_day, max(d.day) AS last_day
    FROM crime.tally_day d
),
holiday_days AS (
    SELECT h.holiday_date AS day FROM crime.holidays h
    UNION
    SELECT h.observed_date FROM crime.holidays h
),
ordinary_days AS (
    SELECT d::date AS day
    FROM bounds b, generate_series(b.first_day, b.last_day, interval '1 day') AS d
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
    'Incidents on each US federal holiday (the day itself, e.g. December 25, not the observed day off) vs the average of the same weekday in that year over ordinary days (not a holiday nor an observed holiday), within the date range of the data';
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
    'Incidents, arrests and arrest rate per police district (level ''district'', with its station''s name, address and phone) and per City Council ward (level ''ward'', with its ward office''s alderperson, address and phone). Filter on level; areas without incidents or without a station/office appear too';
COMMENT ON COLUMN crime.district_summary.level IS '''district'' (police district) or ''ward'' (City Council ward)';
COMMENT ON COLUMN crime.district_summary.area IS 'Police district number or ward number';
COMMENT ON COLUMN crime.district_summary.name IS 'District name (from the police station, e.g. Near North) or ''Ward <n>''';
COMMENT ON COLUMN crime.district_summary.alderman IS 'Alderperson of the ward (NULL for districts)';
COMMENT ON COLUMN crime.district_summary.address IS 'Address of the police station or of the ward office';
COMMENT ON COLUMN crime.district_summary.phone IS 'Phone number of the police station or of the ward office';
COMMENT ON COLUMN crime.district_summary.incidents IS 'Incidents in the area';
COMMENT ON COLUMN crime.district_summary.arrests IS 'Of those, incidents with an arrest';
COMMENT ON COLUMN crime.district_summary.arrest_rate IS 'arrests / incidents, a fraction between 0 and 1 (NULL without incidents)';
