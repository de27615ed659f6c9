-- Warehouse tables: crime.incidents and the reference tables

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
    'One row per crime reported to the Chicago Police Department, copied from the portal (dataset ijzp-q8t2) by crime_sync() and crime_backfill(). In the bundled test data about 93% of the records lack case_number, iucr, fbi_code, coordinates or community_area, and 82% block: missing values are NULL';
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
    'US federal holidays (5 U.S.C. 6103) for every year from the first to the last of crime.incidents, computed by crime.us_federal_holidays() and refreshed by every sync';
COMMENT ON COLUMN crime.holidays.year IS 'Year of the holiday';
COMMENT ON COLUMN crime.holidays.holiday IS 'Official name of the holiday';
COMMENT ON COLUMN crime.holidays.holiday_date IS 'The day of the holiday itself (e.g. December 25)';
COMMENT ON COLUMN crime.holidays.observed_date IS 'The day off for federal employees: the preceding Friday when the holiday falls on a Saturday, the following Monday when on a Sunday (may fall in the previous year for New Year''s Day)';
