"""A synthetic dataset, `typs-test`, with one field of each Socrata type the Chicago datasets
lack, for tests of a client against every wire form a portal may send: money, percent, url (with
and without a description), phone, email, html, date (a fixed timestamp), point, location, line,
multipolygon, photo, document and blob, next to a number and a text field. No portal dataset is
behind it; its 7 rows (one of them null in every field but its label) are the same every time.

How the portal writes each type, read from its source (soda-fountain's JsonColumnRep and
CsvColumnRep, soql-reference's SoQLType) and documentation (dev.socrata.com/docs/datatypes):

| dataTypeName | SoQL type (X-SODA2-Types) | JSON | CSV |
|---|---|---|---|
| money | money | a string, the decimal as stored ("1250.00"; ClientMoneyRep: plain unless its scale passes 20) | BigDecimal.toString ("1250.00"; "5E-7" for 0.0000005) |
| percent | number | a string, as a number | as a number |
| url | url | {"url":...,"description":...}, a missing part left out | "description (url)", or the one part there is |
| phone | phone | {"phone_number":...,"phone_type":...}, a missing part left out | "Type: number", or the one part there is |
| email, html | text | a string | the text |
| date | fixed_timestamp | "2024-03-10T08:30:00.000Z" (UTC, milliseconds) | the same |
| point, line, multipolygon | point, line, multipolygon | GeoJSON (JtsCodecs.geoCodec) | WKT ("LINESTRING (x y, x y)") |
| location | location | {"latitude":"..","longitude":"..","human_address":"{...}"} | "address\\ncity, state zip\\n(lat, lon)" |
| photo, blob | photo, blob | a string (the file's id) | the id |
| document | document | {"file_id":...,"content_type":...,"filename":...} | "id?filename=...&content_type=..." (URL-encoded) |

SoQL's rules for them (soql-reference's SoQLTypeClasses, SoQLTypeInfo, SoQLFunctions): money is
ordered and numeric-like (=, <, ..., IN, BETWEEN, ORDER BY, min, max, sum, avg; + and - with
money, * and / with a number); a number literal converts to money (`price > 100`) and so does a
text literal holding a number (`price > '100'`, as the documentation writes it); a money field and
a number field are two types (`price = budget` is a type mismatch). A fixed timestamp compares
with a text literal (read as UTC without a zone). A url compares and sorts by its url here. Phone,
photo, blob, document, line and multipolygon have no order; the portal has equality for most of
them (with a literal read as that type), which this server does not model: comparing one with a
literal is a type mismatch here, stricter than the portal, so a client that sends one is caught.

The server knows these types as it knows the Chicago ones: the translator has the money rules
(soql_translate), the $select serializers the wire forms (query_runner, with wire_values' writers)
and the SQLite connections money's exact aggregates (sqlite_db). The rows themselves are stored
and serialized by TypesDataset (dataset_registry builds it for this dataset) without the shared
loaders.
"""

import csv
import decimal
import json
import os
import tempfile

import soql_literals
import wire_values
from row_ids import encode_row_id

DATASET_ID = "typs-test"

# label, price (money), budget (number), share (percent), homepage (url: (url, description)),
# phone ((number, type)), contact_email, notes_html, opened (date), spot (point: lon, lat),
# site (location: lat, lon, address), route (line), area (multipolygon), photo, attachment
# (document: (file_id, content_type, filename)), blob
_ADDR = {"address": "121 N LaSalle St", "city": "Chicago", "state": "IL", "zip": "60602"}
ROWS = (
    dict(label="alpha", price="1250.00", budget="1300", share="12.5",
         homepage=("https://www.chicago.gov/city/en/depts/bacp.html", "Business Affairs"),
         phone=("312-744-4006", "Work"), contact_email="bacp@example.org",
         notes_html="<p>Open <b>daily</b></p>", opened="2024-03-10T08:30:00.000Z",
         spot=("-87.6318", "41.8837"), site=("41.8837", "-87.6318", _ADDR),
         route=[["-87.6318", "41.8837"], ["-87.6298", "41.8781"]],
         area=[[[["-87.64", "41.88"], ["-87.62", "41.88"], ["-87.62", "41.89"], ["-87.64", "41.88"]]]],
         photo="3f2c1a9e-photo-alpha.jpg",
         attachment=("7b1d8c2e-0001", "application/pdf", "annual report.pdf"),
         blob="a0b1c2d3e4f5"),
    dict(label="bravo", price="0.99", budget="1.5", share="0.0000005",
         homepage=("https://data.cityofchicago.org/", None),
         phone=("(312) 555-0100", None), contact_email="bravo@example.org",
         notes_html='<a href="https://example.org/?a=1&b=2">Say "hi"</a>, then\nleave',
         opened="2023-12-31T23:59:59.999Z",
         spot=("-87.7", "41.95"), site=("41.95", "-87.7", None),
         route=[["-87.7", "41.95"], ["-87.71", "41.96"], ["-87.72", "41.95"]],
         area=[[[["-87.7", "41.9"], ["-87.6", "41.9"], ["-87.6", "42.0"], ["-87.7", "41.9"]]],
               [[["-87.5", "41.7"], ["-87.4", "41.7"], ["-87.4", "41.8"], ["-87.5", "41.7"]]]],
         photo="photo-bravo", attachment=("7b1d8c2e-0002", None, None), blob="ffff"),
    dict(label="charlie", price="-42.10", budget="-40", share="100",
         homepage=(None, "No website yet"), phone=(None, "Cell"),
         contact_email="CHARLIE@EXAMPLE.ORG", notes_html="plain, no markup",
         opened="2024-03-10T14:30:00.000Z", spot=("0", "0"), site=("0", "0", None),
         route=[["0", "0"], ["1", "1"]],
         area=[[[["0", "0"], ["1", "0"], ["1", "1"], ["0", "0"]]]],
         photo=None, attachment=("7b1d8c2e-0003", "text/csv", None), blob=None),
    dict(label="delta"),
    dict(label="echo", price="1250.00", budget="1250", share="0",
         homepage=("http://example.org/echo", None), phone=("312 555 0199", "Home"),
         contact_email="echo@example.org", opened="2001-01-01T00:00:00.000Z",
         photo="photo-echo", blob="00"),
    dict(label="foxtrot", price="99999999.99", budget="100000000", share="-3.25",
         contact_email=None, opened="2024-02-29T12:00:00.000Z", blob=None),
    dict(label="golf", price="0.00", budget="0", share="33.333333333333333333",
         homepage=("https://example.org/golf?x=1,2", "Golf, \"the\" course"),
         phone=("312-555-0111", "Fax"), notes_html="\u00e9t\u00e9 \u2014 caf\u00e9",
         opened="2024-03-10T08:30:00.000Z"),
)


def columns():
    from dataset_defs import Column as C  # here: dataset_defs imports this module
    money_fmt = {"precisionStyle": "standard", "align": "right", "noCommas": "false"}
    return [
        C("label", "Label", "text", "The row's name."),
        C("price", "Price", "money", "A money field (SoQL money).", fmt=money_fmt),
        C("budget", "Budget", "number", "A number field, to compare with price."),
        C("share", "Share", "percent", "A percent field (SoQL number).", fmt={"view": "percent_bar_and_text"}),
        C("homepage", "Homepage", "url", "A url field, some with a description."),
        C("phone", "Phone", "phone", "A phone field (number and type)."),
        C("contact_email", "Contact Email", "email", "An email field (SoQL text)."),
        C("notes_html", "Notes", "html", "An html field (SoQL text)."),
        C("opened", "Opened", "date", "A date field (SoQL fixed_timestamp, UTC)."),
        C("spot", "Spot", "point", "A point."),
        C("site", "Site", "location", "A legacy location."),
        C("route", "Route", "line", "A line."),
        C("area", "Area", "multipolygon", "A multipolygon."),
        C("photo", "Photo", "photo", "A photo (its file id)."),
        C("attachment", "Attachment", "document", "A document."),
        C("blob", "Blob", "blob", "A blob (its id)."),
    ]


# ---------------------------------------------------------------------------
# Wire forms of ROWS' values (the types' own forms are wire_values')


def _geojson(kind, coords):
    def num(t):
        return format(decimal.Decimal(t), "f") if "." in t or "e" in t.lower() else t

    def walk(c):
        if isinstance(c, list) and c and isinstance(c[0], str):
            return "[" + ",".join(num(x) for x in c) + "]"
        return "[" + ",".join(walk(x) for x in c) + "]"
    return '{"type":"%s","coordinates":%s}' % (kind, walk(coords))


def _location(v):
    """ROWS' (lat, lon, address or None) -> the server's location value (lat, lon, human
    address as JSON text, its parts empty when there is no address)."""
    lat, lon, addr = v
    return lat, lon, json.dumps(addr) if addr else wire_values.EMPTY_HUMAN_ADDRESS


_GEOMETRY = {"point": "Point", "line": "LineString", "multipolygon": "MultiPolygon"}


def json_value(soql_type, v):
    """A value of ROWS -> its JSON text."""
    if soql_type in ("money", "number"):
        return '"' + wire_values.decimal_json_text(v) + '"'
    if soql_type in ("text", "fixed_timestamp", "photo", "blob"):
        return wire_values.encode_str(v)
    if soql_type == "url":
        return wire_values.url_json(*v)
    if soql_type == "phone":
        return wire_values.phone_json(*v)
    if soql_type == "document":
        return wire_values.document_json(*v)
    if soql_type in _GEOMETRY:
        return _geojson(_GEOMETRY[soql_type], list(v))
    if soql_type == "location":
        return '{"latitude":%s,"longitude":%s,"human_address":%s}' % tuple(
            wire_values.encode_str(x) for x in _location(v))
    raise ValueError(soql_type)


def csv_text(soql_type, v):
    """A value of ROWS -> its CSV cell's text (unquoted)."""
    if soql_type in ("money", "number"):
        return wire_values.decimal_csv_text(v)
    if soql_type in ("text", "fixed_timestamp", "photo", "blob"):
        return v
    if soql_type == "url":
        return wire_values.url_csv_text(*v)
    if soql_type == "phone":
        return wire_values.phone_csv_text(*v)
    if soql_type == "document":
        return wire_values.document_csv_text(*v)
    if soql_type in _GEOMETRY:
        return wire_values.wkt(_GEOMETRY[soql_type], list(v))
    if soql_type == "location":
        return wire_values.location_csv_text(_location(v))
    raise ValueError(soql_type)


def write_csv(directory):
    """The registry's `generate` hook: the rows are built from ROWS by TypesDataset, so the file
    only names the fields."""
    fd, path = tempfile.mkstemp(prefix="typs-test-", suffix=".csv", dir=directory)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerow([c.field for c in columns()])
    return path


# ---------------------------------------------------------------------------
# The dataset


def _dataset_class():
    from datasets import Dataset

    class TypesDataset(Dataset):
        """Stores ROWS with the wire forms above. SQLite columns: money and number as NUMERIC
        (with the exact text read back from the stored JSON for output: Column's out_sql), a
        fixed timestamp as its text, a url as its url (what it compares by) with its JSON
        object in a second column for $select output, phone, document and the geometries as
        their JSON, photo and blob as their id."""

        def create_table(self):
            for c in self.columns:
                if c.soql_type == "url":
                    c.out_sql = "u_%d" % c.index
            super().create_table()

        def column_ddl(self, c):
            if c.soql_type == "money":
                return ["%s NUMERIC" % c.sql]
            if c.soql_type == "url":
                return ["%s TEXT" % c.sql, "u_%d TEXT" % c.index]
            return super().column_ddl(c)

        def build(self, sid, vals, created, updated, vc):
            jparts, cparts = [], []
            for c in self.out_columns:
                v = vals.get(c.field)
                if v is None:
                    cparts.append("")
                    continue
                jparts.append('"%s":%s' % (c.field, json_value(c.soql_type, v)))
                cparts.append(wire_values.csv_cell(csv_text(c.soql_type, v)))
            row = [sid, encode_row_id(sid), created, updated, vc,
                   ("{" + ",".join(jparts) + "}").encode(), (",".join(cparts) + "\n").encode()]
            for c in self.columns:
                v = vals.get(c.field)
                t = c.soql_type
                if t in ("number", "money"):
                    nv = None if v is None else soql_literals.number_value(v)
                    if isinstance(nv, float) and t == "number":
                        self.real_number_fields.add(c.field)
                    row.append(nv)
                elif t == "point":
                    row += [None, None, None] if v is None else [json_value(t, v), float(v[1]), float(v[0])]
                elif t == "location":
                    row += [None, None, None] if v is None else [json_value(t, v), float(v[0]), float(v[1])]
                elif t == "url":
                    row += [None, None] if v is None else [v[0], wire_values.url_json(*v)]
                elif v is None or t in ("text", "fixed_timestamp", "photo", "blob"):
                    row.append(v)
                else:
                    row.append(json_value(t, v))
            return row

        def _insert_sql(self, replace=False):
            n = 7 + sum({"point": 3, "location": 3, "url": 2}.get(c.soql_type, 1) for c in self.columns)
            return "INSERT %sINTO %s VALUES (%s)" % ("OR REPLACE " if replace else "", self.table,
                                                      ",".join("?" * n))

        def load_csv(self, path, slow=False, workers=0):
            stamp = self.d.get("fixed_updated", "2020-01-01T00:00:00.000Z")
            rows = [self.build(i, r, stamp, stamp, 0) for i, r in enumerate(ROWS, 1)]
            with self.db.writer() as conn:
                conn.executemany(self._insert_sql(), rows)
            self.rows = len(rows)
            self.max_sid = len(rows)
            from datasets import fixed_to_epoch
            self.rows_updated_at = fixed_to_epoch(stamp)
            self.create_indexes()
            self.data_version += 1
            return 0.0

        def upsert(self, objs, at=None):
            raise ValueError("typs-test takes no upserts")

    return TypesDataset


def dataset_class(*args, **kw):
    """The registry builds the dataset with this (a Dataset subclass, made on first use:
    datasets imports dataset_defs, which imports this module)."""
    return _dataset_class()(*args, **kw)
