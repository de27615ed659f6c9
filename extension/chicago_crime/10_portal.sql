-- The portal and its datasets: the foreign server and foreign tables

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
    website       jsonb,
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
COMMENT ON COLUMN crime.portal_police_stations.website IS 'Web page of the district as the portal sends it: a url field''s {"url": ...} object (a text field''s string if the portal ever changes its type); crime.police_stations keeps the address';
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
    website           jsonb,
    location          jsonb,
    city_hall_address text,
    city_hall_city    text,
    city_hall_state   text,
    city_hall_zipcode text,
    city_hall_phone   text,
    photo_link        jsonb
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
COMMENT ON COLUMN crime.portal_ward_offices.website IS 'Web site of the ward as the portal sends it (a string, or a url field''s {"url": ...} object); crime.wards keeps the address';
COMMENT ON COLUMN crime.portal_ward_offices.location IS 'Location of the ward office as the portal sends it (JSON)';
COMMENT ON COLUMN crime.portal_ward_offices.city_hall_address IS 'Address of the alderperson''s City Hall office';
COMMENT ON COLUMN crime.portal_ward_offices.city_hall_city IS 'City of the City Hall office';
COMMENT ON COLUMN crime.portal_ward_offices.city_hall_state IS 'State of the City Hall office';
COMMENT ON COLUMN crime.portal_ward_offices.city_hall_zipcode IS 'ZIP code of the City Hall office';
COMMENT ON COLUMN crime.portal_ward_offices.city_hall_phone IS 'Phone number(s) of the City Hall office';
COMMENT ON COLUMN crime.portal_ward_offices.photo_link IS 'Link to the alderperson''s photo as the portal sends it (a string, or a url field''s {"url": ...} object); crime.wards keeps the address';
