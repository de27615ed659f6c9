"""Fault injection for the local SODA test server.

A request sent to  /fault/<spec>/resource/...  (or /fault/<spec>/api/views/...)
is served as usual and then damaged according to <spec>: comma-separated
key=value pairs, e.g.  status=429,retry_after=1,times=2.

Each distinct spec string has its own request counter (0, 1, 2, ...).  Request
number n of a spec is faulted when  after <= n < after + times  (times
defaults to unlimited), so concurrent tests using different spec strings never
see each other's faults.  Add a tag=<anything> pair to make a spec unique.
"""

import json
import threading

from wire_values import csv_cell, raw_csv_cells

INT_KEYS = {"status", "after", "times", "truncate", "malformed", "row", "replay", "dropped", "added",
            "unframed", "maintenance"}
FLOAT_KEYS = {"retry_after", "stall", "slow", "delay"}
STR_KEYS = {"wrongtype", "tag", "id", "message", "view_id"}
ALL_KEYS = INT_KEYS | FLOAT_KEYS | STR_KEYS


class SpecError(ValueError):
    pass


def parse_spec(spec):
    out = {}
    if not spec:
        raise SpecError("empty fault spec")
    for part in spec.split(","):
        if not part:
            continue
        if "=" not in part:
            raise SpecError("fault spec item %r is not key=value" % part)
        k, v = part.split("=", 1)
        k = k.strip().lower()
        v = v.strip()
        if k not in ALL_KEYS:
            raise SpecError("unknown fault key %r (known: %s)" % (k, ", ".join(sorted(ALL_KEYS))))
        try:
            if k in INT_KEYS:
                out[k] = int(v)
            elif k in FLOAT_KEYS:
                out[k] = float(v)
            else:
                out[k] = v
        except ValueError:
            raise SpecError("bad value for fault key %r: %r" % (k, v))
        if k in INT_KEYS | FLOAT_KEYS and out[k] < 0:
            raise SpecError("fault key %r must not be negative" % k)
    if "status" in out and not (100 <= out["status"] <= 599):
        raise SpecError("status must be an HTTP status code")
    if "slow" in out and out["slow"] <= 0:
        raise SpecError("slow must be > 0 bytes per second")
    return out


class Registry:
    def __init__(self):
        self.lock = threading.Lock()
        self.counters = {}
        self.replayed = {}   # spec text -> the query its first faulted request asked

    def hit(self, spec_text, spec):
        """Count this request; return (index, active)."""
        with self.lock:
            n = self.counters.get(spec_text, 0)
            self.counters[spec_text] = n + 1
        after = spec.get("after", 0)
        times = spec.get("times")
        active = n >= after and (times is None or n < after + times)
        return n, active

    def replay(self, spec_text, query):
        """For replay=1: the query of this spec's first faulted request, whatever `query` is
        (a cache in front of the portal that keys on the path alone)."""
        with self.lock:
            return self.replayed.setdefault(spec_text, query)

    def reset(self):
        with self.lock:
            self.counters.clear()
            self.replayed.clear()

    def snapshot(self):
        with self.lock:
            return dict(self.counters)


def shifted_offset(spec, params):
    """For dropped=N / added=N: the $offset of a request as if N rows before that position had
    been deleted from (or added to) the dataset since the paging began."""
    if "$offset" not in params or not ("dropped" in spec or "added" in spec):
        return params
    try:
        offset = int(params["$offset"])
    except ValueError:
        return params   # the query's own error
    shifted = dict(params)
    shifted["$offset"] = str(max(0, offset + spec.get("dropped", 0) - spec.get("added", 0)))
    return shifted


# ---------------------------------------------------------------------------
# Error bodies for injected statuses (shapes of the real API where known)

NGINX_HTML = ("<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n"
              "<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


def resource_not_found(dataset_id):
    """A /resource request for a dataset that does not exist: the body of its 404."""
    return {"code": "dataset.missing", "error": True, "message": "Not found", "data": {"id": dataset_id or ""}}


def views_not_found(dataset_id):
    """An /api/views request for a view that does not exist: the body of its 404."""
    return {"code": "not_found", "error": True, "message": "Cannot find view with id %s" % (dataset_id or "")}


def error_body(status, reason, dataset_id=None, query=None, message=None, views=False):
    """-> (content_type, body bytes) for an injected (or real) error status.

    views: the request was for /api/views, whose 404 is worded as the views API words it.

    message: replaces the JSON body's "message" (or the HTML page's reason), as a portal or a proxy
    in front of it that answers in another language would word it."""
    if status in (502, 503, 504):
        return "text/html", NGINX_HTML.format(code=status, reason=message or reason).encode()
    if status == 400:
        body = {"code": "query.compiler.malformed", "error": True,
                "message": "Error, could not parse SoQL query \"%s\"" % (query or ""),
                "data": {"query": query or ""}}
    elif status == 401:
        body = {"code": "authentication_required", "error": True,
                "message": "You must be logged in to access this resource"}
    elif status == 403:
        body = {"code": "permission_denied", "error": True, "message": "Invalid app_token specified"}
    elif status == 404 and views:
        body = views_not_found(dataset_id)
    elif status == 404:
        body = resource_not_found(dataset_id)
    elif status == 408:
        # The portal's own query time limit: soda-fountain's RequestTimedOut (responses.scala),
        # in its envelope (SodaUtils.response).
        body = {"message": "Request timed out", "errorCode": "request-timeout",
                "data": {"customTimeout": None}}
    elif status == 429:
        # soda-fountain's TooManyRequests, in the same envelope.
        body = {"message": "Too many requests", "errorCode": "too-many-requests", "data": {}}
    elif status == 202:
        body = {"code": "processing", "error": False,
                "message": "Request is being processed; retry it later to get the result"}
    elif status == 500:
        body = {"code": "internal_error", "error": True, "message": "Internal error"}
    else:
        body = {"code": "error", "error": status >= 400, "message": reason}
    if message:
        body["message"] = message
    return "application/json;charset=utf-8", (json.dumps(body, indent=2, separators=(",", " : ")) + "\n").encode()


# ---------------------------------------------------------------------------
# Body damage


# What a load balancer or CDN in front of a portal may serve, with status 200, while the portal
# is down for maintenance.
MAINTENANCE_PAGE = (b"<html>\n<head><title>Down for maintenance</title></head>\n"
                    b"<body>Service temporarily unavailable. Please try again later.</body>\n"
                    b"</html>\n")


def malform_json(body):
    """Cut a row in the middle and close the array badly."""
    text = body
    if len(text) <= 4:
        return b'[{"'
    cut = len(text) // 2
    # move the cut inside a value if possible
    q = text.find(b'":"', cut)
    if 0 < q < len(text) - 8:
        cut = q + 5
    return text[:cut] + b'\n]'


def malform_csv(body):
    """The body cut at half, then a quoted cell with text after its closing quote: malformed
    wherever the cut lands (inside a quoted cell, the first quote closes it; after one, the
    two quotes read as one escaped)."""
    if not body:
        return b'"'
    cut = max(1, len(body) // 2)
    return body[:cut] + b'"broken"x,\n'


def cut_at_line_end(body):
    """The body up to the last line end at or before its half, but never before its first line
    end (a CSV header line): a CSV body that looks whole, missing its later records."""
    first = body.find(b"\n") + 1
    if first == 0:
        return body
    cut = body.rfind(b"\n", 0, len(body) // 2 + 1) + 1
    return body[:max(first, cut)]


def invalid_value(soql_type):
    if soql_type in ("number", "double"):
        return "twenty"     # a double may come as a string too, but one holding a number
    if soql_type in ("floating_timestamp", "fixed_timestamp"):
        return "not a date"
    if soql_type == "boolean":
        return "maybe"
    if soql_type in ("point", "location"):
        # An object of another shape, as a mistyped geometry would come.
        return {"type": "LineString", "coordinates": [[-87.6, 41.8], [-87.7, 41.9]]}
    return 12345       # text: a JSON number instead of a string


def wrong_json_row(row_bytes, field, soql_type):
    obj = json.loads(row_bytes)
    obj[field] = invalid_value(soql_type)
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def wrong_csv_row(row_bytes, fields, field, soql_type):
    """The row with the field's cell holding a value of the wrong type; the other cells
    (a null's empty one included) as they were."""
    if field not in fields:
        return row_bytes
    cells = raw_csv_cells(row_bytes[:-1] if row_bytes.endswith(b"\n") else row_bytes)
    value = invalid_value(soql_type)
    text = json.dumps(value, separators=(",", ":")) if isinstance(value, dict) else str(value)
    cells[fields.index(field)] = csv_cell(text).encode()
    return b",".join(cells) + b"\n"
