"""The output names the API gives unaliased $select expressions (count(*) ->
count, count(id) -> count_id, date_trunc_ym(date) -> date_trunc_ym_date,
max(date) -> max_date), reproduced character by character.  A rule of its own,
used only when compile_query names the output columns; it reads Node trees but
needs nothing else from the parser.
"""

import re

# ---------------------------------------------------------------------------
# Implicit output names (the API's synthetic alias rule)

_GOOD = re.compile(r"[A-Za-z0-9_$\-]")


def _idents_and_literals(e):
    k = e.kind
    if k == "col":
        return [e.a]
    if k == "lit":
        if e.a == "text":
            return ["'" + e.b.replace("'", "''") + "'"]
        if e.a == "boolean":
            return ["TRUE" if e.b else "FALSE"]
        if e.a == "null":
            return ["null"]
        return [e.b]
    if k == "star":
        return []
    if k == "func":
        if len(e.b) == 1 and e.b[0].kind == "star":
            return [e.a]
        out = [e.a]
        for x in e.b:
            out += _idents_and_literals(x)
        return out
    if k == "op":
        if e.a == "neg":
            return _idents_and_literals(e.b[0])
        if e.a == "-":
            return _idents_and_literals(e.b[0]) + _idents_and_literals(e.b[1])
        return _idents_and_literals(e.b[0]) + [e.a] + _idents_and_literals(e.b[1])
    if k == "not":
        return ["NOT"] + _idents_and_literals(e.a)
    if k in ("and", "or"):
        return _idents_and_literals(e.a) + [k.upper()] + _idents_and_literals(e.b)
    if k == "isnull":
        return _idents_and_literals(e.a) + (["is", "not", "null"] if e.b else ["is", "null"])
    if k == "between":
        out = _idents_and_literals(e.a) + (["not", "between"] if e.d else ["between"])
        return out + _idents_and_literals(e.b) + ["and"] + _idents_and_literals(e.c)
    if k == "in":
        out = ["#not_in" if e.c else "#in"] + _idents_and_literals(e.a)
        for x in e.b:
            out += _idents_and_literals(x)
        return out
    if k == "like":
        out = ["#not_like" if e.d else "#like"]
        return out + _idents_and_literals(e.a) + _idents_and_literals(e.b)
    if k == "cast":
        return _idents_and_literals(e.a) + [e.b]
    return []


def synthetic_name(e):
    """The identifier the API derives for an unaliased expression."""
    SYN = None  # marker for a synthetic underscore
    seq = ["^"]
    parts = _idents_and_literals(e)
    for n, p in enumerate(parts):
        if n:
            seq.append(SYN)
        for ch in p:
            seq.append(ch if _GOOD.match(ch) else SYN)
    seq.append("$end")
    # collapse runs of synthetic underscores
    collapsed = []
    for x in seq:
        if x is SYN and collapsed and collapsed[-1] is SYN:
            continue
        collapsed.append(x)

    def boundary(x):
        return x in ("_", "-", "^", "$end")

    out = []
    last_boundary = False
    for idx, x in enumerate(collapsed):
        if last_boundary and x is SYN:
            continue
        if x is SYN and idx + 1 < len(collapsed) and boundary(collapsed[idx + 1]):
            continue
        last_boundary = boundary(x)
        out.append(x)
    s = "".join("_" if x is SYN else x for x in out[1:-1])
    if not s:
        return "_"
    if not (s[0].isalpha() or s[0] in "_$-"):
        s = "_" + s
    return s
