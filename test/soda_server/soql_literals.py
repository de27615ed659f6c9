"""SoQL literal coercion: timestamps and numbers written as text -> the forms
stored in SQLite (floating / fixed timestamp text, int or float), and the text
forms of booleans.  Separate from the translator because the dataset side uses
the same rules without it: wire value normalisation, the SQLite conversion
functions, the fast CSV loader and the control API's ?at= time.
"""

import datetime
import decimal
import re

# ---------------------------------------------------------------------------
# Literal coercion helpers

_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$")


def parse_timestamp(s):
    """-> (naive datetime, tz offset minutes or None).  Raises ValueError."""
    m = _TS_RE.match(s.strip())
    if not m:
        raise ValueError("not a timestamp: %r" % s)
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    micro = 0
    if frac:
        micro = int((frac + "000000")[:6])
    dt = datetime.datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), micro)
    off = None
    if tz:
        if tz == "Z":
            off = 0
        else:
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            off = sign * (int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0))
    return dt, off


def floating_literal(s):
    """Normalise a text literal to the stored floating timestamp form."""
    dt, _off = parse_timestamp(s)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d" % (dt.microsecond // 1000)


def fixed_literal(s):
    """Normalise a text literal to the stored fixed (UTC, Z) timestamp form."""
    dt, off = parse_timestamp(s)
    if off:
        dt = dt - datetime.timedelta(minutes=off)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d" % (dt.microsecond // 1000) + "Z"


def number_value(text):
    """Python value for a numeric literal/string (int when integral)."""
    t = text.strip()
    if re.match(r"^[+-]?\d+$", t):
        i = int(t)
        # SQLite's INTEGER holds 64 bits; a bigger integral literal compares as a double.
        if -(1 << 63) <= i < (1 << 63):
            return i
    v = float(t)
    if v != v or v in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return v


def beyond_double(text):
    """True when a number literal holds more than the 15 significant digits a double keeps
    exactly (an integer only past 64 bits): compared as a double it could equal a stored value
    it differs from. The translator compares such literals as decimals (soql_numcmp)."""
    t = text.strip()
    if re.match(r"^[+-]?\d+$", t) and -(1 << 63) <= int(t) < (1 << 63):
        return False
    try:
        d = decimal.Decimal(t)
    except decimal.InvalidOperation:
        return False
    return d.is_finite() and len(d.normalize().as_tuple().digits) > 15


def exact_number(v):
    """A stored number (int, or a float read from at most 15 digits) or a literal's text as the
    decimal it was written as."""
    if isinstance(v, float):
        return decimal.Decimal(repr(v))
    return decimal.Decimal(v)


BOOL_TEXT = {"true": 1, "false": 0}
