"""What the server serves: the column types (dataTypeName -> SoQL type), Column
and SysColumn (a dataset's user and system columns, with the SQL that reads
them), and the definitions of the four Chicago datasets, of the synthetic wide,
doubles and types ones (wide_dataset, doubles_dataset, types_dataset) and of the
request-log dataset (their columns and the portal's metadata).  Plain data,
apart from the Dataset machinery so that it can be read, and checked against the
portal's metadata, on its own.
"""

import doubles_dataset
import types_dataset
import wide_dataset

# ---------------------------------------------------------------------------
# Column types

# dataTypeName (metadata) -> SoQL type (X-SODA2-Types)
SOQL_TYPE = {
    "number": "number",
    # a binary floating-point number (PostgreSQL's double precision on the portal)
    "double": "double",
    "text": "text",
    "url": "url",
    # the types below only typs-test has (types_dataset); the Chicago phone and email
    # columns are plain text on the portal
    "money": "money",
    "percent": "number",
    "phone": "phone",
    "email": "text",
    "html": "text",
    "date": "fixed_timestamp",
    "calendar_date": "floating_timestamp",
    "checkbox": "boolean",
    "point": "point",
    "location": "location",
    "line": "line",
    "multipolygon": "multipolygon",
    "photo": "photo",
    "document": "document",
    "blob": "blob",
}

SYSTEM_TYPES = {":id": "row_identifier", ":created_at": "fixed_timestamp",
                ":updated_at": "fixed_timestamp", ":version": "row_version"}


class Column:
    __slots__ = ("field", "name", "datatype", "description", "position", "id", "soql_type",
                 "sql", "out_sql", "lat_sql", "lon_sql", "index", "render", "fmt", "table_column_id")

    def __init__(self, field, name, datatype, description=None, render=None, fmt=None):
        self.field = field
        self.name = name
        self.datatype = datatype
        self.description = description
        self.render = render or datatype
        self.fmt = fmt or {}
        self.soql_type = SOQL_TYPE[datatype]
        self.lat_sql = None
        self.lon_sql = None

    def bind(self, index, position, colid):
        self.index = index
        self.position = position
        self.id = colid
        self.table_column_id = colid - 178_000_000 if colid > 178_000_000 else colid + 1000
        self.sql = "c_%d" % index
        self.out_sql = self.sql
        if self.soql_type in ("number", "money"):
            # the exact decimal text, read back from the pre-serialized row
            self.out_sql = "json_extract(CAST(_json AS TEXT), '$.\"%s\"')" % self.field
        if self.soql_type in ("point", "location"):
            self.lat_sql = "la_%d" % index
            self.lon_sql = "lo_%d" % index


class SysColumn:
    __slots__ = ("field", "soql_type", "sql", "out_sql", "lat_sql", "lon_sql")

    def __init__(self, field, soql_type, sql, out_sql):
        self.field = field
        self.soql_type = soql_type
        self.sql = sql
        self.out_sql = out_sql
        self.lat_sql = None
        self.lon_sql = None


# ---------------------------------------------------------------------------
# Dataset definitions (metadata from the portal where known)

# The portal's own description of the dataset (its metadata, as in ../shared/data/wire_format).
CRIMES_DESCRIPTION = (
    "This dataset reflects reported incidents of crime (with the exception of murders where data "
    "exists for each victim) that occurred in the City of Chicago from 2001 to present, minus the "
    "most recent seven days. Data is extracted from the Chicago Police Department's CLEAR (Citizen "
    "Law Enforcement Analysis and Reporting) system. In order to protect the privacy of crime "
    "victims, addresses are shown at the block level only and specific locations are not identified. "
    "Should you have questions about this dataset, you may contact the Research & Development "
    "Division of the Chicago Police Department at 312.745.6071 or RDAnalysis@chicagopolice.org.  "
    "Disclaimer: These crimes may be based upon preliminary information supplied to the Police "
    "Department by the reporting parties that have not been verified. The preliminary crime "
    "classifications may be changed at a later date based upon additional investigation and there is "
    "always the possibility of mechanical or human error. Therefore, the Chicago Police Department "
    "does not guarantee (either expressed or implied) the accuracy, completeness, timeliness, or "
    "correct sequencing of the information and the information should not be used for comparison "
    "purposes over time. The Chicago Police Department will not be responsible for any error or "
    "omission, or for the use of, or the results obtained from the use of this information. All data "
    "visualizations on maps should be considered approximate and attempts to derive specific "
    "addresses are strictly prohibited. The Chicago Police Department is not responsible for the "
    "content of any off-site pages that are referenced by or that reference this web page other than "
    "an official City of Chicago or Chicago Police Department web page. The user specifically "
    "acknowledges that the Chicago Police Department is not responsible for any defamatory, "
    "offensive, misleading, or illegal conduct of other users, links, or third parties and that the "
    "risk of injury from the foregoing rests entirely with the user.  The unauthorized use of the "
    "words \"Chicago Police Department,\" \"Chicago Police,\" or any colorable imitation of these words "
    "or the unauthorized use of the Chicago Police Department logo is unlawful. This web page does "
    "not, in any way, authorize such use. Data are updated daily. The dataset contains more than "
    "65,000 records/rows of data and cannot be viewed in full in Microsoft Excel. Therefore, when "
    "downloading the file, select CSV from the Export menu. Open the file in an ASCII text editor, "
    "such as Wordpad, to view and search. To access a list of Chicago Police Department - Illinois "
    "Uniform Crime Reporting (IUCR) codes, go to http://data.cityofchicago.org/Public-Safety/Chicago-"
    "Police-Department-Illinois-Uniform-Crime-R/c7ck-438e")


def _crimes_columns():
    C = Column
    nofmt = {"precisionStyle": "standard", "noCommas": "true", "align": "right"}
    return [
        C("id", "ID", "number", "Unique identifier for the record.", fmt=nofmt),
        C("case_number", "Case Number", "text",
          "The Chicago Police Department RD Number (Records Division Number), which is unique to the incident."),
        C("date", "Date", "calendar_date",
          "Date when the incident occurred. this is sometimes a best estimate.",
          fmt={"align": "left", "view": "date_time"}),
        C("block", "Block", "text",
          "The partially redacted address where the incident occurred, placing it on the same block as the actual address."),
        C("iucr", "IUCR", "text",
          "The Illinois Unifrom Crime Reporting code. This is directly linked to the Primary Type and Description."),
        C("primary_type", "Primary Type", "text", "The primary description of the IUCR code."),
        C("description", "Description", "text",
          "The secondary description of the IUCR code, a subcategory of the primary description."),
        C("location_description", "Location Description", "text",
          "Description of the location where the incident occurred."),
        C("arrest", "Arrest", "checkbox", "Indicates whether an arrest was made."),
        C("domestic", "Domestic", "checkbox",
          "Indicates whether the incident was domestic-related as defined by the Illinois Domestic Violence Act."),
        C("beat", "Beat", "text",
          "Indicates the beat where the incident occurred. A beat is the smallest police geographic area."),
        C("district", "District", "text", "Indicates the police district where the incident occurred."),
        C("ward", "Ward", "number", "The ward (City Council district) where the incident occurred."),
        C("community_area", "Community Area", "text",
          "Indicates the community area where the incident occurred. Chicago has 77 community areas."),
        C("fbi_code", "FBI Code", "text",
          "Indicates the crime classification as outlined in the FBI's National Incident-Based Reporting System (NIBRS)."),
        C("x_coordinate", "X Coordinate", "number",
          "The x coordinate of the location where the incident occurred in State Plane Illinois East NAD 1983 projection.",
          fmt=nofmt),
        C("y_coordinate", "Y Coordinate", "number",
          "The y coordinate of the location where the incident occurred in State Plane Illinois East NAD 1983 projection.",
          fmt=nofmt),
        C("year", "Year", "number", "Year the incident occurred.", fmt=nofmt),
        C("updated_on", "Updated On", "calendar_date", "Date and time the record was last updated."),
        C("latitude", "Latitude", "number",
          "The latitude of the location where the incident occurred. This location is shifted from the actual location for partial redaction but falls on the same block."),
        C("longitude", "Longitude", "number",
          "The longitude of the location where the incident occurred. This location is shifted from the actual location for partial redaction but falls on the same block."),
        C("location", "Location", "point",
          "The location where the incident occurred in a format that allows for creation of maps and other geographic operations on this data portal."),
    ]


def _stations_columns():
    C = Column
    return [
        C("district", "DISTRICT", "text"),
        C("district_name", "DISTRICT NAME", "text"),
        C("address", "ADDRESS", "text"),
        C("city", "CITY", "text"),
        C("state", "STATE", "text"),
        C("zip", "ZIP", "text"),
        # a url field on the portal (its metadata: test/unit/fixtures/rows_json_z8bn-74gv.json)
        C("website", "WEBSITE", "url"),
        C("phone", "PHONE", "text"),
        C("fax", "FAX", "text"),
        C("tty", "TTY", "text"),
        C("x_coordinate", "X COORDINATE", "number"),
        C("y_coordinate", "Y COORDINATE", "number"),
        C("latitude", "LATITUDE", "number"),
        C("longitude", "LONGITUDE", "number"),
        C("location", "LOCATION", "location"),
    ]


def _wards_columns():
    C = Column
    return [
        C("ward", "WARD", "text", render="number"),
        C("alderman", "ALDERMAN", "text"),
        C("address", "ADDRESS", "text"),
        C("city", "CITY", "text"),
        C("state", "STATE", "text"),
        C("zipcode", "ZIPCODE", "text"),
        C("ward_phone", "WARD PHONE", "text"),
        C("ward_fax", "WARD FAX", "text"),
        C("email", "EMAIL", "text"),
        C("website", "WEBSITE", "text"),
        C("location", "LOCATION", "location"),
        C("city_hall_address", "CITY HALL ADDRESS", "text"),
        C("city_hall_city", "CITY HALL CITY", "text"),
        C("city_hall_state", "CITY HALL STATE", "text"),
        C("city_hall_zipcode", "CITY HALL ZIPCODE", "text", render="number"),
        C("city_hall_phone", "CITY HALL PHONE", "text"),
        C("photo_link", "PHOTO LINK", "text"),
    ]


def _iucr_columns():
    C = Column
    return [
        C("iucr", "IUCR", "text"),
        C("primary_description", "PRIMARY DESCRIPTION", "text"),
        C("secondary_description", "SECONDARY DESCRIPTION", "text"),
        C("index_code", "INDEX CODE", "text"),
        C("active", "ACTIVE", "checkbox"),
    ]


def _reqlog_columns():
    C = Column
    return [
        C("seq", "Seq", "number", "Sequence number of the request (increasing)."),
        C("requested_at", "Requested At", "calendar_date", "When the request arrived (UTC)."),
        C("method", "Method", "text"),
        C("path", "Path", "text", "Request path without the query string (includes any /fault/<spec> prefix)."),
        C("dataset", "Dataset", "text", "4x4 id of the dataset the request addressed."),
        C("fault", "Fault", "text", "Fault spec of the request, if sent through /fault/<spec>/."),
        C("select", "Select", "text"),
        C("where", "Where", "text"),
        C("order", "Order", "text"),
        C("group", "Group", "text"),
        C("having", "Having", "text"),
        C("q", "Q", "text"),
        C("limit", "Limit", "text"),
        C("offset", "Offset", "text"),
        C("query", "Query", "text", "The raw query string, app token removed."),
        C("status", "Status", "number"),
        C("bytes", "Bytes", "number", "Body bytes sent on the wire."),
        C("gzip", "Gzip", "checkbox"),
        C("token_present", "Token Present", "checkbox"),
    ]


DEFS = {
    "ijzp-q8t2": dict(
        name="Crimes - 2001 to Present", file="crimes", columns=_crimes_columns, key="id",
        int_key=True, point=("location", "longitude", "latitude"),
        description=CRIMES_DESCRIPTION, attribution="Chicago Police Department",
        attributionLink="http://www.chicagopolice.org", category="Public Safety",
        createdAt=1308165908, publicationDate=1424378962, tags=["crime", "police"],
        first_col_id=203618251),
    "z8bn-74gv": dict(
        name="Police Stations", file="police_stations", columns=_stations_columns, key="district",
        legacy_location="location",
        description="Chicago Police district station locations and contact information.",
        attribution="Chicago Police Department", attributionLink="http://www.chicagopolice.org",
        category="Public Safety", createdAt=1293052023, publicationDate=1302998589,
        tags=["facilities", "gis"], fixed_updated="2016-10-31T15:46:07.000Z", first_col_id=2616478),
    "htai-wnw4": dict(
        name="Ward Offices", file="ward_offices", columns=_wards_columns, key="ward",
        legacy_location="location",
        description="List of alderman, office address, phone number, and website for all 50 Chicago wards.",
        attribution="City of Chicago", attributionLink="http://www.cityofchicago.org",
        category="Facilities & Geographic Boundaries", createdAt=1292979052, publicationDate=1437071712,
        tags=["ward", "gis", "facilities"], fixed_updated="2023-05-22T17:48:21.000Z", first_col_id=2462101),
    "c7ck-438e": dict(
        name="Chicago Police Department - Illinois Uniform Crime Reporting (IUCR) Codes",
        file="iucr_codes", columns=_iucr_columns, key="iucr",
        description="Illinois Uniform Crime Reporting (IUCR) codes are four digit codes that law enforcement "
                    "agencies use to classify criminal incidents when taking individual reports. These codes "
                    "are also used to aggregate types of cases for statistical purposes.",
        attribution="Chicago Police Department", attributionLink="http://www.chicagopolice.org",
        category="Public Safety", createdAt=1301335052, publicationDate=1403542286,
        tags=["crime", "police", "iucr"], fixed_updated="2024-01-12T16:34:05.000Z", first_col_id=3225401),
}

# Synthetic, for tests of long requests: its rows are made by the server (generate), not read.
DEFS["wide-cols"] = dict(
    name="Wide Test Dataset", file=None, generate=wide_dataset.write_csv,
    columns=wide_dataset.columns, key="id", int_key=True,
    description="Synthetic: 455 columns, 200 generated rows, for tests of long requests "
                "(not a portal dataset).",
    attribution="soda test server", attributionLink="", category="Test",
    createdAt=1700000000, publicationDate=1700000000, tags=["test"],
    fixed_updated="2024-12-31T00:00:00.000Z", first_col_id=9200001)

# Synthetic, for the double type (which no Chicago dataset has): 5 rows made by the server.
DEFS["dbls-test"] = dict(
    name="Doubles (test)", file=None, generate=doubles_dataset.write_csv,
    columns=doubles_dataset.columns, key="label",
    description="Synthetic: a double field and a number field holding the same values, for "
                "tests of the double type (not a portal dataset).",
    attribution="soda test server", attributionLink="", category="Test",
    createdAt=1700000000, publicationDate=1700000000, tags=["test"],
    fixed_updated="2024-12-31T00:00:00.000Z", first_col_id=9300001)

# Synthetic, for the types no Chicago dataset has (money, percent, url with a description, phone,
# email, html, date, line, multipolygon, photo, document, blob): 7 rows made by the server.
DEFS[types_dataset.DATASET_ID] = dict(
    name="Types (test)", file=None, generate=types_dataset.write_csv,
    dataset_class=types_dataset.dataset_class,
    columns=types_dataset.columns, key="label",
    description="Synthetic: one field of each Socrata type the Chicago datasets lack, in the "
                "portal's wire forms (not a portal dataset).",
    attribution="soda test server", attributionLink="", category="Test",
    createdAt=1700000000, publicationDate=1700000000, tags=["test"],
    fixed_updated="2024-12-31T00:00:00.000Z", first_col_id=9400001)

REQLOG_ID = "reqs-logs"
REQLOG_DEF = dict(
    name="SODA test server request log", file=None, columns=_reqlog_columns, key="seq", int_key=True,
    description="Requests received by the local SODA test server (requests to this dataset are not logged).",
    attribution="soda test server", attributionLink="", category="Test", createdAt=1700000000,
    publicationDate=1700000000, tags=["test"], first_col_id=9100001)
