"""Row identifiers (:id, row-xxxx.xxxx_xxxx) and row versions (:version,
rv-xxxx.xxxx_xxxx), encoded from a row's internal sid.  Separate because they
depend on nothing and are used by the SQL functions, Dataset, the fast loader
and the server (decoding a :id literal in a query).
"""

import re

# ---------------------------------------------------------------------------
# Row identifiers: order preserving, obfuscated-looking, reversible.

_QUAD = "23456789abcdefghijkmnpqrstuvwxyz"
_QUAD_INDEX = {c: i for i, c in enumerate(_QUAD)}
_ID_OFFSET = 0x0B5E7A3C00000000
_ID_SHIFT = 20
_ID_RE = re.compile(r"^row-([2-9a-z]{4})\.([2-9a-z]{4})_([2-9a-z]{4})$")


def _jitter(sid):
    return ((sid * 2654435761) ^ (sid >> 7) * 40503) & ((1 << _ID_SHIFT) - 1)


_PAIR = [a + b for a in _QUAD for b in _QUAD]


def _quad12(v):
    p = _PAIR
    return (p[(v >> 50) & 1023] + p[(v >> 40) & 1023] + p[(v >> 30) & 1023]
            + p[(v >> 20) & 1023] + p[(v >> 10) & 1023] + p[v & 1023])


def encode_row_id(sid):
    """sid (int >= 0, < 2**38) -> 'row-xxxx.xxxx_xxxx' (lexicographic order == sid order)."""
    q = _quad12(_ID_OFFSET + ((sid << _ID_SHIFT) | _jitter(sid)))
    return "row-%s.%s_%s" % (q[0:4], q[4:8], q[8:12])


def decode_row_id(text):
    """Inverse of encode_row_id; None when text is not one of ours.

    '' decodes to -1 (before every row), so $where=:id > '' starts a keyset scan."""
    if text == "":
        return -1
    m = _ID_RE.match(text)
    if not m:
        return None
    v = 0
    for ch in "".join(m.groups()):
        v = v * 32 + _QUAD_INDEX.get(ch, 0)
    v -= _ID_OFFSET
    if v < 0:
        return None
    sid = v >> _ID_SHIFT
    if (v & ((1 << _ID_SHIFT) - 1)) != _jitter(sid):
        return None
    return sid


def row_version(sid, counter):
    v = ((sid * 0x9E3779B97F4A7C15) ^ (counter * 0xC2B2AE3D27D4EB4F) ^ 0x5DEECE66D) & ((1 << 64) - 1)
    v = (v ^ (v >> 29)) * 0xBF58476D1CE4E5B9 & ((1 << 64) - 1)
    q = _quad12(v >> 4)
    return "rv-%s.%s_%s" % (q[0:4], q[4:8], q[8:12])
