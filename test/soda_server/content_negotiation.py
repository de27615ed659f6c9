"""Which format a /resource request is answered in: its extension, unless the Accept header
rules that out.

Socrata's HTTP layer (socrata-http's content negotiation, read from its source; not stated in
the API documentation) takes the extension's type only when the Accept header gives it some
weight; otherwise it answers in the first type the header accepts, or 406 when it accepts none.
So a .csv path asked with "Accept: application/json" is answered in JSON. Error bodies are JSON
whatever the header says, as the portal's are.
"""

MEDIA_TYPES = {"json": "application/json", "csv": "text/csv"}


def _ranges(accept):
    """-> [(media range, q)] in header order."""
    out = []
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        out.append((fields[0].lower(), q))
    return out


def _weight(media_type, ranges):
    """The q the header gives media_type: from its most specific matching range; 0 if none."""
    major = media_type.split("/")[0]
    best = None  # (specificity, q)
    for rng, q in ranges:
        if rng == media_type:
            spec = 2
        elif rng == major + "/*":
            spec = 1
        elif rng == "*/*":
            spec = 0
        else:
            continue
        if best is None or spec > best[0]:
            best = (spec, q)
    return best[1] if best else 0.0


def chosen_format(extension_format, accept):
    """-> 'json' or 'csv' to answer in, or None (406): the extension's format when the Accept
    header is absent or accepts it, else the format the header weighs most (JSON on a tie)."""
    if not accept or not accept.strip():
        return extension_format
    ranges = _ranges(accept)
    if _weight(MEDIA_TYPES[extension_format], ranges) > 0:
        return extension_format
    weights = [(_weight(MEDIA_TYPES[f], ranges), f) for f in ("json", "csv")]
    best_q = max(q for q, _ in weights)
    if best_q <= 0:
        return None
    return next(f for q, f in weights if q == best_q)
