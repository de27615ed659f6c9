"""Values on the wire: normalising a CSV cell or an upsert's JSON value to the
canonical Python value of its column type (BadValue when it is not one), and
serializing canonical values back to their JSON and CSV text.  Separate from
Dataset because the loaders, the upserts and the server's output all share
these rules.
"""

import decimal
import json
import math
import re
import urllib.parse

import soql_literals

encode_str = json.encoder.encode_basestring  # C accelerated, keeps non-ASCII as UTF-8

EMPTY_HUMAN_ADDRESS = '{"address": "", "city": "", "state": "", "zip": ""}'

NUM_RE = re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$")

# ---------------------------------------------------------------------------
# Wire value normalisation (CSV cells and upsert JSON values)


class BadValue(ValueError):
    pass


def norm_floating(v):
    if not isinstance(v, str):
        raise BadValue("expected a timestamp string")
    return soql_literals.floating_literal(v)


def norm_number(v):
    if isinstance(v, bool):
        raise BadValue("expected a number")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise BadValue("expected a finite number")
        return repr(v)
    if isinstance(v, str):
        t = v.strip()
        if NUM_RE.match(t):
            return t
        try:
            f = float(t)
        except ValueError:
            raise BadValue("expected a number, got %r" % v)
        if not math.isfinite(f):
            raise BadValue("expected a finite number")
        return t
    raise BadValue("expected a number")


def norm_double(v):
    """A double's value: a JSON number, or a string holding one (soda-fountain's
    JsonColumnRep.DoubleRep takes both) -> float. NaN and the infinities, which the portal
    also takes (as strings), are refused: SQLite's REAL would turn NaN into a NULL."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise BadValue("expected a number")
    try:
        f = float(v.strip() if isinstance(v, str) else v)
    except (ValueError, OverflowError):
        raise BadValue("expected a number, got %r" % v)
    if not math.isfinite(f):
        raise BadValue("expected a finite number")
    return f


def norm_bool(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        t = v.strip().lower()
        if t in ("true", "t", "1", "y", "yes"):
            return True
        if t in ("false", "f", "0", "n", "no"):
            return False
    if isinstance(v, int):
        return bool(v)
    raise BadValue("expected a boolean")


def _json_number_text(s):
    if NUM_RE.match(s):
        return s
    return repr(float(s))


_PAREN_LOC = re.compile(r"^\s*\(?\s*(-?[0-9.]+)\s*,\s*(-?[0-9.]+)\s*\)?\s*$")
_WKT_POINT = re.compile(r"^\s*POINT\s*\(\s*(-?[0-9.eE+-]+)\s+(-?[0-9.eE+-]+)\s*\)\s*$", re.I)


def norm_point(v):
    """-> (lon_text, lat_text)"""
    if isinstance(v, dict):
        coords = v.get("coordinates")
        if isinstance(coords, list) and len(coords) == 2:
            return (norm_number(coords[0]), norm_number(coords[1]))
        if "latitude" in v and "longitude" in v:
            return (norm_number(v["longitude"]), norm_number(v["latitude"]))
    if isinstance(v, str):
        m = _WKT_POINT.match(v)
        if m:
            return (norm_number(m.group(1)), norm_number(m.group(2)))
    raise BadValue("expected a GeoJSON point")


def norm_location(v):
    """-> (lat_text, lon_text, human_address_json_text)"""
    if isinstance(v, dict):
        lat = v.get("latitude")
        lon = v.get("longitude")
        human = v.get("human_address", EMPTY_HUMAN_ADDRESS)
        if isinstance(human, dict):
            human = json.dumps(human)
        if lat is None or lon is None:
            raise BadValue("location needs latitude and longitude")
        return (norm_number(lat), norm_number(lon), human if isinstance(human, str) else EMPTY_HUMAN_ADDRESS)
    if isinstance(v, str):
        m = _PAREN_LOC.match(v)
        if m:
            return (norm_number(m.group(1)), norm_number(m.group(2)), EMPTY_HUMAN_ADDRESS)
    raise BadValue("expected a location")


def normalise(col, v):
    """Wire value (JSON value or CSV text) -> canonical python value, None for null."""
    if v is None:
        return None
    if isinstance(v, str) and v == "" and col.soql_type != "text":
        return None
    t = col.soql_type
    if t == "text":
        if isinstance(v, (dict, list)):
            if isinstance(v, dict) and "url" in v:
                return str(v["url"])
            raise BadValue("expected text")
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v) if v != "" else None
    if t == "number":
        return norm_number(v)
    if t == "double":
        return norm_double(v)
    if t == "floating_timestamp":
        try:
            return norm_floating(v)
        except ValueError as e:
            raise BadValue(str(e))
    if t == "boolean":
        return norm_bool(v)
    if t == "point":
        return norm_point(v)
    if t == "location":
        return norm_location(v)
    if t == "url":
        # kept as its url: the Chicago links have no description
        if isinstance(v, dict):
            u = v.get("url")
            if u is not None and not isinstance(u, str):
                raise BadValue("expected a url")
            return u or None
        if isinstance(v, str):
            return v
        raise BadValue("expected a url")
    raise BadValue("unsupported type")


# ---------------------------------------------------------------------------
# Serialization


def double_text(v):
    """A double's text as soda-fountain writes it, in JSON (an unquoted number) and CSV alike:
    Java's Double.toString, plain from 10^-3 up to 10^7 ("0.1", "1000.25", "3.0") and in
    Java's scientific form outside ("1.0E7", "1.5E-4"), with the shortest digits that read
    back as the same double (Python's repr's; so does Java from JDK 19, older ones sometimes
    wrote a digit more)."""
    if v == 0:
        return "-0.0" if math.copysign(1.0, v) < 0 else "0.0"
    sign, digits, exp = decimal.Decimal(repr(float(v))).normalize().as_tuple()
    digits = "".join(map(str, digits))
    point = len(digits) + exp          # digits before the decimal point
    if -3 <= point - 1 < 7:
        if point <= 0:
            text = "0." + "0" * -point + digits
        elif point >= len(digits):
            text = digits + "0" * (point - len(digits)) + ".0"
        else:
            text = digits[:point] + "." + digits[point:]
    else:
        text = "%s.%sE%d" % (digits[0], digits[1:] or "0", point - 1)
    return "-" + text if sign else text


def json_value(col, v):
    t = col.soql_type
    if t == "text":
        return encode_str(v)
    if t == "url":
        return url_json(v)
    if t == "number" or t == "floating_timestamp":
        return '"' + v + '"'
    if t == "double":
        return double_text(v)       # a JSON number, where a number is a string
    if t == "boolean":
        return "true" if v else "false"
    if t == "point":
        return '{"type":"Point","coordinates":[%s,%s]}' % (_json_number_text(v[0]), _json_number_text(v[1]))
    if t == "location":
        return '{"latitude":%s,"longitude":%s,"human_address":%s}' % (
            encode_str(v[0]), encode_str(v[1]), encode_str(v[2]))
    raise ValueError(t)


def csv_cell(s):
    """A value's CSV cell as Socrata writes every non-null cell, the header's included: in
    double quotes, a quote doubled (soda-fountain's CsvExporter.writeCell).  A null is an
    empty cell without quotes, so "" stays the empty string."""
    return '"' + s.replace('"', '""') + '"'


_RAW_CSV_CELL = re.compile(rb'"(?:[^"]|"")*"|[^,"\n]*')


def raw_csv_cells(line):
    """A CSV line (without its line end) -> its cells as written, quoted ones with their quotes."""
    cells, pos, end = [], 0, len(line)
    while True:
        m = _RAW_CSV_CELL.match(line, pos)
        cells.append(m.group())
        pos = m.end() + 1       # past the comma
        if pos > end:
            return cells


def _json_object(pairs):
    """An object of the string parts that are there (the portal leaves a missing one out)."""
    return "{" + ",".join('"%s":%s' % (k, encode_str(v)) for k, v in pairs if v is not None) + "}"


def url_json(url, description=None):
    """A url value as the portal's JSON writes it: an object whose missing parts are left out
    (the Chicago links have no description; some of typs-test's have no url)."""
    return _json_object((("url", url), ("description", description)))


def url_csv_text(url, description):
    """A url's CSV text (soda-fountain's CsvColumnRep): "description (url)", or the one part there is."""
    if url is not None and description is not None:
        return "%s (%s)" % (description, url)
    return url if url is not None else description


def phone_json(number, phone_type):
    """A phone as the portal's JSON writes it (soda-fountain's JsonColumnRep), missing parts left out."""
    return _json_object((("phone_number", number), ("phone_type", phone_type)))


def phone_csv_text(number, phone_type):
    """A phone's CSV text (soda-fountain's CsvColumnRep): "Type: number", or the one part there is."""
    return ": ".join(x for x in (phone_type, number) if x is not None)


def document_json(file_id, content_type, filename):
    """A document as the portal's JSON writes it (soda-fountain's JsonColumnRep), missing parts
    left out."""
    return _json_object((("file_id", file_id), ("content_type", content_type), ("filename", filename)))


def document_csv_text(file_id, content_type, filename):
    """A document's CSV text (soda-fountain's CsvColumnRep): its file id, then the filename and
    content type as a URL-encoded query ("id?filename=a+b.pdf&content_type=application%2Fpdf")."""
    query = [(k, v) for k, v in (("filename", filename), ("content_type", content_type)) if v is not None]
    return file_id + ("?" + urllib.parse.urlencode(query) if query else "")


def decimal_json_text(text):
    """A money's (or typs-test's number's) JSON text, soda-fountain's ClientNumberRep and
    ClientMoneyRep.decimalToString: toPlainString unless the scale passes 20 (then toString)."""
    d = decimal.Decimal(text)
    if abs(d.as_tuple().exponent) > 20:
        return str(d)
    return format(d, "f")


def decimal_csv_text(text):
    """A money's (or typs-test's number's) CSV text, CsvColumnRep.NumberRep and MoneyRep:
    BigDecimal.toString, scientific when the exponent is positive or the adjusted exponent
    below -6 (Python's Decimal.__str__ has the same rule)."""
    return str(decimal.Decimal(text))


def wkt(kind, coords):
    """A geometry's CSV text (JtsCodecs' WKT), from its GeoJSON type and coordinates (numbers
    or their text): "LINESTRING (x y, x y)"."""
    def pt(p):
        return " ".join(str(x) for x in p)
    if kind == "Point":
        return "POINT (%s)" % pt(coords)
    if kind == "LineString":
        return "LINESTRING (%s)" % ", ".join(pt(p) for p in coords)
    if kind == "MultiPolygon":
        return "MULTIPOLYGON (%s)" % ", ".join(
            "(%s)" % ", ".join("(%s)" % ", ".join(pt(p) for p in ring) for ring in poly) for poly in coords)
    raise ValueError(kind)


def csv_value(col, v):
    t = col.soql_type
    if t in ("text", "url"):
        return csv_cell(v)    # a url without a description is its url
    if t == "number" or t == "floating_timestamp":
        return '"' + v + '"'
    if t == "double":
        return '"' + double_text(v) + '"'
    if t == "boolean":
        return '"true"' if v else '"false"'
    if t == "point":
        return '"POINT (%s %s)"' % (v[0], v[1])
    if t == "location":
        return csv_cell(location_csv_text(v))
    raise ValueError(t)


def location_csv_text(v):
    """A location's CSV text as soda-fountain's CsvColumnRep.LocationRep writes it: the human
    address's parts as "address\ncity, state zip" (each part with its separator when present,
    empty ones included), then "(lat, lon)", on a new line if an address came first."""
    lat, lon, human = v
    try:
        parts = json.loads(human) if human else None
    except ValueError:
        parts = None
    text = ""
    if isinstance(parts, dict):
        for key, sep in (("address", "\n"), ("city", ", "), ("state", " "), ("zip", "")):
            if isinstance(parts.get(key), str):
                text += parts[key] + sep
    if lat is not None and lon is not None:
        text += ("\n" if text else "") + "(%s, %s)" % (lat, lon)
    return text
