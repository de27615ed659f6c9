"""SoQL (Socrata Query Language) tokenizer, recursive-descent parser and
translator to SQLite SQL, for the local SODA test server.

Only what the server needs: the SODA 2.1 query parameters ($select, $where,
$order, $group, $having, $q, simple filters) over one dataset.  Every literal
is passed to SQLite as a bound parameter; identifiers are resolved against
the dataset schema and mapped to fixed internal column names, so no user text
is ever pasted into SQL.

Type semantics follow the real API: number columns compare numerically, text
compares case-sensitively by code point (SQLite BINARY collation), calendar
dates compare as timestamps (literals are normalised to the stored form),
checkboxes are booleans.  Output names of unaliased expressions follow the
API's implicit alias rule (count(*) -> count, count(id) -> count_id,
date_trunc_ym(date) -> date_trunc_ym_date, max(date) -> max_date).
"""

import datetime
import re

# ---------------------------------------------------------------------------
# Errors


class SoQLError(Exception):
    """Base class.  kind selects the error envelope the server sends."""

    kind = "malformed"
    code = "query.compiler.malformed"

    def __init__(self, message, position=None, data=None):
        super().__init__(message)
        self.message = message
        self.position = position
        self.data = data or {}


class ParseError(SoQLError):
    kind = "malformed"
    code = "query.compiler.malformed"


class NoSuchColumn(SoQLError):
    kind = "analysis"
    code = "query.soql.no-such-column"


class TypeMismatch(SoQLError):
    kind = "analysis"
    code = "query.soql.type-mismatch"


class NoSuchFunction(SoQLError):
    kind = "analysis"
    code = "query.soql.no-such-function"


class NotInGroupBy(SoQLError):
    kind = "analysis"
    code = "query.soql.column-not-in-group-bys"


class AggregateInUngrouped(SoQLError):
    kind = "analysis"
    code = "query.soql.aggregate-in-ungrouped-context"


class DuplicateAlias(SoQLError):
    kind = "analysis"
    code = "query.soql.duplicate-alias"


class BadParameter(SoQLError):
    kind = "malformed"
    code = "query.compiler.malformed"


# ---------------------------------------------------------------------------
# Tokenizer

_IDENT_START = re.compile(r"[A-Za-z_]")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SYSIDENT = re.compile(r":@?[A-Za-z_][A-Za-z0-9_@]*")
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_OPERATORS = ("::", "<=", ">=", "<>", "!=", "||", "=", "<", ">", "+", "-", "*", "/", "%", "(", ")", ",", ".")


class Token:
    __slots__ = ("kind", "value", "pos", "text")

    def __init__(self, kind, value, pos, text=None):
        self.kind = kind      # ident, sysident, string, number, op, eof
        self.value = value
        self.pos = pos
        self.text = text if text is not None else value

    def __repr__(self):
        return "Token(%s,%r,%d)" % (self.kind, self.value, self.pos)

    def is_kw(self, *words):
        return self.kind == "ident" and self.value.lower() in words

    def is_op(self, *ops):
        return self.kind == "op" and self.value in ops


def tokenize(text):
    toks = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c == "'" or c == '"':
            quote = c
            j = i + 1
            buf = []
            while True:
                if j >= n:
                    raise ParseError("Unterminated string literal", i)
                ch = text[j]
                if ch == quote:
                    if j + 1 < n and text[j + 1] == quote:
                        buf.append(quote)
                        j += 2
                        continue
                    j += 1
                    break
                buf.append(ch)
                j += 1
            toks.append(Token("string", "".join(buf), i, text[i:j]))
            i = j
            continue
        if c == "`":
            j = text.find("`", i + 1)
            if j < 0:
                raise ParseError("Unterminated quoted identifier", i)
            toks.append(Token("ident", text[i + 1:j], i, text[i:j + 1]))
            toks[-1].kind = "qident"
            i = j + 1
            continue
        if c == ":":
            if text.startswith("::", i):
                toks.append(Token("op", "::", i))
                i += 2
                continue
            m = _SYSIDENT.match(text, i)
            if m and text.startswith(":*", i) is False:
                toks.append(Token("sysident", m.group(0), i))
                i = m.end()
                continue
            if text.startswith(":*", i):
                toks.append(Token("op", ":*", i))
                i += 2
                continue
            raise ParseError("Unexpected character ':'", i)
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUMBER.match(text, i)
            toks.append(Token("number", m.group(0), i))
            i = m.end()
            continue
        if _IDENT_START.match(c):
            m = _IDENT.match(text, i)
            toks.append(Token("ident", m.group(0), i))
            i = m.end()
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                toks.append(Token("op", op, i))
                i += len(op)
                break
        else:
            raise ParseError("Unexpected character %r" % c, i)
    toks.append(Token("eof", None, n, ""))
    return toks


# ---------------------------------------------------------------------------
# AST


class Node:
    """kind: col, lit, func, op, not, and, or, isnull, in, between, like, cast, star."""

    __slots__ = ("kind", "a", "b", "c", "d", "pos")

    def __init__(self, kind, a=None, b=None, c=None, d=None, pos=0):
        self.kind = kind
        self.a = a
        self.b = b
        self.c = c
        self.d = d
        self.pos = pos

    def key(self):
        """Structural identity (for group-by matching)."""
        if self.kind == "col":
            return ("col", self.a)
        if self.kind == "lit":
            return ("lit", self.a, self.b)
        if self.kind == "star":
            return ("star",)
        parts = [self.kind]
        for f in (self.a, self.b, self.c, self.d):
            if isinstance(f, Node):
                parts.append(f.key())
            elif isinstance(f, list):
                parts.append(tuple(x.key() if isinstance(x, Node) else x for x in f))
            else:
                parts.append(f)
        return tuple(parts)

    def __repr__(self):
        return "Node(%s)" % (self.key(),)


KEYWORDS = {"and", "or", "not", "is", "null", "in", "between", "like", "true", "false",
            "as", "asc", "desc", "distinct"}
# Clause keywords can never start an expression, so in operand position they are
# read as column names (lenient: the real API wants `where` etc. backquoted).
CLAUSE_WORDS = {"select", "where", "order", "group", "having", "limit", "offset", "by", "search",
                "nulls", "first", "last"}


class Parser:
    def __init__(self, text):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    # -- helpers
    def peek(self, k=0):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self):
        t = self.toks[self.i]
        if self.i < len(self.toks) - 1:
            self.i += 1
        return t

    def error(self, msg=None, tok=None):
        tok = tok or self.peek()
        if msg is None:
            if tok.kind == "eof":
                msg = "Unexpected end of input"
            else:
                msg = "Unexpected token %s" % (tok.text,)
        raise ParseError(msg, tok.pos)

    def expect_op(self, op):
        t = self.peek()
        if not t.is_op(op):
            self.error("Expected `%s' but got %s" % (op, t.text or "end of input"))
        return self.next()

    def at_end(self):
        return self.peek().kind == "eof"

    def expect_end(self):
        if not self.at_end():
            self.error()

    # -- grammar
    def expr(self):
        return self.or_expr()

    def or_expr(self):
        left = self.and_expr()
        while self.peek().is_kw("or"):
            t = self.next()
            right = self.and_expr()
            left = Node("or", left, right, pos=t.pos)
        return left

    def and_expr(self):
        left = self.not_expr()
        while self.peek().is_kw("and"):
            t = self.next()
            right = self.not_expr()
            left = Node("and", left, right, pos=t.pos)
        return left

    def not_expr(self):
        if self.peek().is_kw("not"):
            t = self.next()
            return Node("not", self.not_expr(), pos=t.pos)
        return self.comparison()

    def comparison(self):
        left = self.additive()
        t = self.peek()
        if t.is_op("=", "!=", "<>", "<", "<=", ">", ">="):
            self.next()
            right = self.additive()
            op = "!=" if t.value == "<>" else t.value
            return Node("op", op, [left, right], pos=t.pos)
        if t.is_kw("is"):
            self.next()
            neg = False
            if self.peek().is_kw("not"):
                self.next()
                neg = True
            if not self.peek().is_kw("null"):
                self.error("Expected NULL after IS")
            self.next()
            return Node("isnull", left, neg, pos=t.pos)
        neg = False
        if t.is_kw("not") and self.peek(1).is_kw("in", "between", "like"):
            self.next()
            neg = True
            t = self.peek()
        if t.is_kw("in"):
            self.next()
            self.expect_op("(")
            items = [self.expr()]
            while self.peek().is_op(","):
                self.next()
                items.append(self.expr())
            self.expect_op(")")
            return Node("in", left, items, neg, pos=t.pos)
        if t.is_kw("between"):
            self.next()
            lo = self.additive()
            if not self.peek().is_kw("and"):
                self.error("Expected AND in BETWEEN")
            self.next()
            hi = self.additive()
            return Node("between", left, lo, hi, neg, pos=t.pos)
        if t.is_kw("like"):
            self.next()
            pat = self.additive()
            return Node("like", left, pat, None, neg, pos=t.pos)
        if neg:
            self.error()
        return left

    def additive(self):
        left = self.multiplicative()
        while self.peek().is_op("+", "-", "||"):
            t = self.next()
            right = self.multiplicative()
            left = Node("op", t.value, [left, right], pos=t.pos)
        return left

    def multiplicative(self):
        left = self.unary()
        while self.peek().is_op("*", "/", "%"):
            t = self.next()
            right = self.unary()
            left = Node("op", t.value, [left, right], pos=t.pos)
        return left

    def unary(self):
        t = self.peek()
        if t.is_op("-", "+"):
            self.next()
            operand = self.unary()
            if t.value == "-" and operand.kind == "lit" and operand.a == "number":
                return Node("lit", "number", "-" + operand.b, pos=t.pos)
            if t.value == "+":
                return operand
            return Node("op", "neg", [operand], pos=t.pos)
        return self.postfix()

    def postfix(self):
        e = self.primary()
        while self.peek().is_op("::"):
            t = self.next()
            tt = self.next()
            if tt.kind != "ident":
                self.error("Expected a type name after ::", tt)
            e = Node("cast", e, tt.value.lower(), pos=t.pos)
        return e

    def primary(self):
        t = self.peek()
        if t.kind == "number":
            self.next()
            return Node("lit", "number", t.value, pos=t.pos)
        if t.kind == "string":
            self.next()
            return Node("lit", "text", t.value, pos=t.pos)
        if t.kind == "sysident":
            self.next()
            return Node("col", t.value.lower(), pos=t.pos)
        if t.kind == "qident":
            self.next()
            return Node("col", t.value.lower(), pos=t.pos)
        if t.is_op("("):
            self.next()
            e = self.expr()
            self.expect_op(")")
            return e
        if t.kind == "ident":
            low = t.value.lower()
            if low in ("true", "false"):
                self.next()
                return Node("lit", "boolean", low == "true", pos=t.pos)
            if low == "null":
                self.next()
                return Node("lit", "null", None, pos=t.pos)
            if self.peek(1).is_op("("):
                self.next()
                self.next()
                args = []
                distinct = False
                if self.peek().is_op("*"):
                    self.next()
                    args.append(Node("star", pos=self.peek().pos))
                elif not self.peek().is_op(")"):
                    if self.peek().is_kw("distinct"):
                        self.next()
                        distinct = True
                    args.append(self.expr())
                    while self.peek().is_op(","):
                        self.next()
                        args.append(self.expr())
                self.expect_op(")")
                return Node("func", low, args, distinct, pos=t.pos)
            if low in KEYWORDS:
                self.error()
            self.next()
            return Node("col", low, pos=t.pos)
        self.error()

    # -- clause parsers
    def alias_name(self):
        t = self.next()
        if t.kind == "sysident":
            return t.value.lower()
        if t.kind in ("ident", "qident"):
            return t.value.lower() if t.kind == "ident" else t.value
        self.error("Expected an alias after AS", t)

    def select_list(self):
        """[(kind, expr, alias)] where kind is 'expr', 'star' or 'sysstar'."""
        items = []
        distinct = False
        if self.peek().is_kw("distinct"):
            self.next()
            distinct = True
        while True:
            t = self.peek()
            if t.is_op("*"):
                self.next()
                items.append(("star", None, None))
            elif t.is_op(":*"):
                self.next()
                items.append(("sysstar", None, None))
            else:
                start = self.peek().pos
                e = self.expr()
                alias = None
                if self.peek().is_kw("as"):
                    self.next()
                    alias = self.alias_name()
                items.append(("expr", e, alias))
                _ = start
            if self.peek().is_op(","):
                self.next()
                continue
            break
        self.expect_end()
        return distinct, items

    def order_list(self):
        items = []
        while True:
            e = self.expr()
            desc = False
            if self.peek().is_kw("asc"):
                self.next()
            elif self.peek().is_kw("desc"):
                self.next()
                desc = True
            nulls = None
            if self.peek().is_kw("nulls"):
                self.next()
                t = self.next()
                if not t.is_kw("first", "last"):
                    self.error("Expected FIRST or LAST", t)
                nulls = t.value.lower()
            items.append((e, desc, nulls))
            if self.peek().is_op(","):
                self.next()
                continue
            break
        self.expect_end()
        return items

    def expr_list(self):
        items = [self.expr()]
        while self.peek().is_op(","):
            self.next()
            items.append(self.expr())
        self.expect_end()
        return items

    def whole_expr(self):
        e = self.expr()
        self.expect_end()
        return e


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
        return int(t)
    v = float(t)
    if v != v or v in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return v


BOOL_TEXT = {"true": 1, "false": 0}

# ---------------------------------------------------------------------------
# Translation

AGGREGATES = {"count", "sum", "avg", "min", "max"}
ORDERABLE = {"number", "text", "floating_timestamp", "fixed_timestamp", "boolean",
             "row_identifier", "row_version"}

DATE_TRUNC = {
    "date_trunc_y": (4, "-01-01T00:00:00.000"),
    "date_trunc_ym": (7, "-01T00:00:00.000"),
    "date_trunc_ymd": (10, "T00:00:00.000"),
}
DATE_EXTRACT = {
    "date_extract_y": (1, 4),
    "date_extract_m": (6, 2),
    "date_extract_d": (9, 2),
    "date_extract_hh": (12, 2),
    "date_extract_mm": (15, 2),
    "date_extract_ss": (18, 2),
}


class Expr:
    """A translated expression: SQL text, its parameters, its SoQL type."""

    __slots__ = ("sql", "params", "type", "agg", "out_sql", "out_params", "lit")

    def __init__(self, sql, params, typ, agg=False, out_sql=None, out_params=None, lit=None):
        self.sql = sql
        self.params = params
        self.type = typ
        self.agg = agg
        self.out_sql = out_sql
        self.out_params = out_params
        self.lit = lit      # for literals: (kind, value) before coercion

    def output(self):
        if self.out_sql is not None:
            return self.out_sql, self.out_params
        return self.sql, self.params


class Translator:
    """Translates parsed SoQL over one dataset schema.

    schema: object with .columns_by_field (field -> Column) where Column has
    .field, .soql_type (number, text, floating_timestamp, boolean, point,
    location), .sql (numeric/comparison column), .out_sql (output column),
    and .lat_sql/.lon_sql for geo columns.  System columns are included.
    """

    def __init__(self, schema, dataset_label="alpha.1", decode_row_id=None):
        self.schema = schema
        self.dataset_label = dataset_label
        self.decode_row_id = decode_row_id
        self.aliases = {}   # alias -> Node (from $select)

    # -- errors
    def no_such_column(self, name, pos, clause_text):
        line = clause_text or ""
        data = {"column": name, "dataset": self.dataset_label,
                "position": {"row": 1, "column": pos + 1,
                             "line": line + "\n" + " " * pos + "^"}}
        return NoSuchColumn("No such column: %s" % name, pos, data)

    def mismatch(self, what, typ, pos=0):
        return TypeMismatch("Type mismatch for %s, is %s" % (what, typ), pos,
                            {"dataset": self.dataset_label, "name": what, "type": typ,
                             "position": {"row": 1, "column": pos + 1}})

    # -- main entry
    def tr(self, e, ctx):
        """ctx: dict(clause=text, alias_first=bool, allow_agg=bool)."""
        k = e.kind
        if k == "col":
            return self.column(e, ctx)
        if k == "lit":
            return self.literal(e)
        if k == "func":
            return self.function(e, ctx)
        if k == "op":
            return self.operator(e, ctx)
        if k in ("and", "or"):
            a = self.boolean(self.tr(e.a, ctx), e.a, k.upper())
            b = self.boolean(self.tr(e.b, ctx), e.b, k.upper())
            return Expr("(%s %s %s)" % (a.sql, k.upper(), b.sql), a.params + b.params,
                        "boolean", a.agg or b.agg)
        if k == "not":
            a = self.boolean(self.tr(e.a, ctx), e.a, "NOT")
            return Expr("(NOT %s)" % a.sql, a.params, "boolean", a.agg)
        if k == "isnull":
            a = self.tr(e.a, ctx)
            sql = "(%s IS %sNULL)" % (a.sql, "NOT " if e.b else "")
            return Expr(sql, a.params, "boolean", a.agg)
        if k == "in":
            a = self.tr(e.a, ctx)
            items = [self.coerce_to(self.tr(x, ctx), a.type, "in", x.pos) for x in e.b]
            a = self.coerce_to(a, items[0].type if items else a.type, "in", e.pos)
            for it in items:
                self.check_same(a, it, "in", e.pos)
            sql = "(%s %sIN (%s))" % (a.sql, "NOT " if e.c else "", ", ".join(i.sql for i in items))
            params = list(a.params)
            for it in items:
                params += it.params
            return Expr(sql, params, "boolean", a.agg or any(i.agg for i in items))
        if k == "between":
            a = self.tr(e.a, ctx)
            lo = self.coerce_to(self.tr(e.b, ctx), a.type, "between", e.pos)
            hi = self.coerce_to(self.tr(e.c, ctx), a.type, "between", e.pos)
            a = self.coerce_to(a, lo.type, "between", e.pos)
            self.check_same(a, lo, "between", e.pos)
            self.check_same(a, hi, "between", e.pos)
            self.check_orderable(a, "between", e.pos)
            sql = "(%s %sBETWEEN %s AND %s)" % (a.sql, "NOT " if e.d else "", lo.sql, hi.sql)
            return Expr(sql, a.params + lo.params + hi.params, "boolean", a.agg or lo.agg or hi.agg)
        if k == "like":
            a = self.tr(e.a, ctx)
            p = self.tr(e.b, ctx)
            if a.type not in ("text", "null"):
                raise self.mismatch("like", a.type, e.pos)
            if p.type not in ("text", "null"):
                raise self.mismatch("like", p.type, e.pos)
            sql = "(%s %sLIKE %s)" % (a.sql, "NOT " if e.d else "", p.sql)
            return Expr(sql, a.params + p.params, "boolean", a.agg or p.agg)
        if k == "cast":
            return self.cast(e, ctx)
        if k == "star":
            raise ParseError("Unexpected *", e.pos)
        raise ParseError("Unsupported expression", e.pos)

    def boolean(self, x, node, what):
        if x.type == "text" and x.lit is not None and x.lit[1].lower() in BOOL_TEXT:
            return Expr("?", [BOOL_TEXT[x.lit[1].lower()]], "boolean")
        if x.type not in ("boolean", "null"):
            raise self.mismatch(what.lower(), x.type, node.pos)
        return x

    def column(self, e, ctx):
        name = e.a
        alias_first = ctx.get("alias_first")
        col = self.schema.columns_by_field.get(name)
        if alias_first and name in self.aliases and not ctx.get("in_alias"):
            target = self.aliases[name]
            if not (target.kind == "col" and target.a == name):
                sub = dict(ctx, in_alias=True)
                return self.tr(target, sub)
        if col is None:
            if name in self.aliases and not ctx.get("in_alias"):
                target = self.aliases[name]
                sub = dict(ctx, in_alias=True)
                x = self.tr(target, sub)
                if x.agg and not ctx.get("allow_agg"):
                    raise AggregateInUngrouped("Aggregate function in an ungrouped context: %s" % name, e.pos)
                return x
            raise self.no_such_column(name, e.pos, ctx.get("clause"))
        return Expr(col.sql, [], col.soql_type, False, col.out_sql, [])

    def literal(self, e):
        kind, val = e.a, e.b
        if kind == "number":
            try:
                v = number_value(val)
            except ValueError:
                raise ParseError("Bad number literal %s" % val, e.pos)
            return Expr("?", [v], "number", out_sql="?", out_params=[val], lit=("number", val))
        if kind == "text":
            return Expr("?", [val], "text", lit=("text", val))
        if kind == "boolean":
            return Expr("?", [1 if val else 0], "boolean", lit=("boolean", val))
        return Expr("NULL", [], "null", lit=("null", None))

    def coerce_to(self, x, typ, what, pos):
        """Implicitly convert a text literal to the other operand's type."""
        if x.lit is None or x.lit[0] != "text" or typ in ("text", "null", None):
            return x
        s = x.lit[1]
        try:
            if typ == "number":
                return Expr("?", [number_value(s)], "number", out_sql="?", out_params=[s.strip()])
            if typ == "floating_timestamp":
                return Expr("?", [floating_literal(s)], typ)
            if typ == "fixed_timestamp":
                return Expr("?", [fixed_literal(s)], typ)
            if typ == "boolean":
                if s.lower() in BOOL_TEXT:
                    return Expr("?", [BOOL_TEXT[s.lower()]], typ)
                raise ValueError(s)
            if typ == "row_identifier":
                sid = self.decode_row_id(s) if self.decode_row_id else None
                if sid is None:
                    raise ValueError(s)
                return Expr("?", [sid], typ)
            if typ == "row_version":
                return Expr("?", [s], typ)
        except ValueError:
            raise TypeMismatch("Cannot convert '%s' to %s" % (s, typ), pos,
                               {"dataset": self.dataset_label, "value": s, "type": typ})
        return x

    def check_same(self, a, b, what, pos):
        if a.type == "null" or b.type == "null":
            return
        if a.type != b.type:
            raise self.mismatch("op$" + what if len(what) <= 2 else what, b.type, pos)

    def check_orderable(self, a, what, pos):
        if a.type not in ORDERABLE and a.type != "null":
            raise self.mismatch(what, a.type, pos)

    def operator(self, e, ctx):
        op = e.a
        if op == "neg":
            a = self.tr(e.b[0], ctx)
            if a.type not in ("number", "null"):
                raise self.mismatch("op$-", a.type, e.pos)
            return Expr("(-%s)" % a.sql, a.params, "number", a.agg)
        a = self.tr(e.b[0], ctx)
        b = self.tr(e.b[1], ctx)
        if op in ("=", "!=", "<", "<=", ">", ">="):
            b = self.coerce_to(b, a.type, op, e.pos)
            a = self.coerce_to(a, b.type, op, e.pos)
            self.check_same(a, b, op, e.pos)
            if op not in ("=", "!="):
                self.check_orderable(a, "op$" + op, e.pos)
            elif a.type in ("point", "location"):
                raise self.mismatch("op$" + op, a.type, e.pos)
            return Expr("(%s %s %s)" % (a.sql, op, b.sql), a.params + b.params, "boolean", a.agg or b.agg)
        if op == "||":
            for x in (a, b):
                if x.type not in ("text", "null", "number"):
                    raise self.mismatch("op$||", x.type, e.pos)
            ao = self.text_of(a)
            bo = self.text_of(b)
            return Expr("(%s || %s)" % (ao[0], bo[0]), ao[1] + bo[1], "text", a.agg or b.agg)
        # arithmetic
        b = self.coerce_to(b, "number", op, e.pos)
        a = self.coerce_to(a, "number", op, e.pos)
        for x in (a, b):
            if x.type not in ("number", "null"):
                raise self.mismatch("op$" + op, x.type, e.pos)
        if op == "/":
            sql = "(CAST(%s AS REAL) / %s)" % (a.sql, b.sql)
        else:
            sql = "(%s %s %s)" % (a.sql, op, b.sql)
        return Expr(sql, a.params + b.params, "number", a.agg or b.agg)

    def text_of(self, x):
        if x.type == "number":
            sql, params = x.output()
            return ("soql_numtext(%s)" % sql, params)
        return (x.sql, x.params)

    def cast(self, e, ctx):
        a = self.tr(e.a, ctx)
        t = e.b
        if t in ("text",):
            if a.type == "number":
                sql, params = a.output()
                return Expr("soql_numtext(%s)" % sql, params, "text", a.agg)
            if a.type == "boolean":
                return Expr("(CASE %s WHEN 1 THEN 'true' WHEN 0 THEN 'false' END)" % a.sql, a.params, "text", a.agg)
            if a.type in ("point", "location"):
                raise self.mismatch("::text", a.type, e.pos)
            return Expr(a.sql, a.params, "text", a.agg)
        if t == "number":
            if a.lit is not None and a.lit[0] == "text":
                return self.coerce_to(a, "number", "::number", e.pos)
            if a.type == "text":
                return Expr("soql_tonumber(%s)" % a.sql, a.params, "number", a.agg)
            if a.type in ("number", "null"):
                return a
            raise self.mismatch("::number", a.type, e.pos)
        if t in ("floating_timestamp", "fixed_timestamp"):
            if a.lit is not None and a.lit[0] == "text":
                return self.coerce_to(a, t, "::" + t, e.pos)
            if a.type == "text":
                fn = "soql_tofloating" if t == "floating_timestamp" else "soql_tofixed"
                return Expr("%s(%s)" % (fn, a.sql), a.params, t, a.agg)
            if a.type == t:
                return a
            raise self.mismatch("::" + t, a.type, e.pos)
        if t in ("boolean", "checkbox"):
            if a.lit is not None and a.lit[0] == "text":
                return self.coerce_to(a, "boolean", "::boolean", e.pos)
            if a.type == "boolean":
                return a
            raise self.mismatch("::boolean", a.type, e.pos)
        raise NoSuchFunction("No such function '::%s'" % t, e.pos, {"function": "::" + t})

    def function(self, e, ctx):
        name = e.a
        args = e.b
        n = len(args)
        if name in AGGREGATES:
            if not ctx.get("allow_agg"):
                raise AggregateInUngrouped("Aggregate function in an ungrouped context: %s" % name, e.pos)
            if n != 1:
                raise NoSuchFunction("No such function '%s'; arity=%d" % (name, n), e.pos,
                                     {"function": name, "arity": n})
            inner_ctx = dict(ctx, allow_agg=False)
            if args[0].kind == "star":
                if name != "count":
                    raise ParseError("Unexpected *", args[0].pos)
                return Expr("count(*)", [], "number", True)
            a = self.tr(args[0], inner_ctx)
            distinct = "DISTINCT " if e.c else ""
            if name == "count":
                return Expr("count(%s%s)" % (distinct, a.sql), a.params, "number", True)
            if name in ("sum", "avg"):
                if a.type not in ("number", "null"):
                    raise self.mismatch(name, a.type, e.pos)
                return Expr("%s(%s%s)" % (name, distinct, a.sql), a.params, "number", True)
            self.check_orderable(a, name, e.pos)
            return Expr("%s(%s)" % (name, a.sql), a.params, a.type, True)
        targs = [self.tr(x, ctx) for x in args]
        agg = any(x.agg for x in targs)

        def need(count):
            if n != count:
                raise NoSuchFunction("No such function '%s'; arity=%d" % (name, n), e.pos,
                                     {"function": name, "arity": n})

        def want(i, *types):
            x = targs[i]
            if x.type not in types and x.type != "null":
                raise self.mismatch(name, x.type, args[i].pos)

        if name in ("upper", "lower"):
            need(1)
            want(0, "text")
            return Expr("soql_%s(%s)" % (name, targs[0].sql), targs[0].params, "text", agg)
        if name in ("starts_with", "contains"):
            need(2)
            want(0, "text")
            want(1, "text")
            fn = "soql_starts_with" if name == "starts_with" else "soql_contains"
            return Expr("%s(%s, %s)" % (fn, targs[0].sql, targs[1].sql),
                        targs[0].params + targs[1].params, "boolean", agg)
        if name == "length":
            need(1)
            want(0, "text")
            return Expr("length(%s)" % targs[0].sql, targs[0].params, "number", agg)
        if name in DATE_TRUNC:
            need(1)
            x = targs[0]
            if x.lit is not None and x.lit[0] == "text":
                x = self.coerce_to(x, "floating_timestamp", name, e.pos)
            want(0, "floating_timestamp", "fixed_timestamp") if x is targs[0] else None
            ln, suffix = DATE_TRUNC[name]
            if x.type == "fixed_timestamp":
                suffix = suffix + "Z"
            return Expr("(substr(%s, 1, %d) || '%s')" % (x.sql, ln, suffix), x.params,
                        x.type if x.type != "null" else "floating_timestamp", agg)
        if name in DATE_EXTRACT or name in ("date_extract_dow", "date_extract_woy"):
            need(1)
            x = targs[0]
            if x.lit is not None and x.lit[0] == "text":
                x = self.coerce_to(x, "floating_timestamp", name, e.pos)
            elif x.type not in ("floating_timestamp", "fixed_timestamp", "null"):
                raise self.mismatch(name, x.type, args[0].pos)
            if name == "date_extract_dow":
                return Expr("soql_dow(%s)" % x.sql, x.params, "number", agg)
            if name == "date_extract_woy":
                return Expr("soql_woy(%s)" % x.sql, x.params, "number", agg)
            start, ln = DATE_EXTRACT[name]
            return Expr("CAST(substr(%s, %d, %d) AS INTEGER)" % (x.sql, start, ln), x.params, "number", agg)
        if name == "coalesce":
            if n < 1:
                need(1)
            typ = next((x.type for x in targs if x.type != "null"), "null")
            xs = [self.coerce_to(x, typ, name, e.pos) for x in targs]
            for x in xs:
                self.check_same(xs[0] if xs[0].type != "null" else x, x, name, e.pos)
            outs = [x.output() for x in xs]
            params = []
            for _s, p in outs:
                params += p
            sql = "coalesce(%s)" % ", ".join(s for s, _p in outs)
            return Expr(sql, params, typ, agg)
        if name == "case":
            if n < 2 or n % 2:
                raise NoSuchFunction("No such function '%s'; arity=%d" % (name, n), e.pos,
                                     {"function": name, "arity": n})
            conds = targs[0::2]
            vals = targs[1::2]
            typ = next((x.type for x in vals if x.type != "null"), "null")
            parts = []
            params = []
            for c, v in zip(conds, vals):
                c = self.boolean(c, e, "case")
                v = self.coerce_to(v, typ, name, e.pos)
                self.check_same(Expr("", [], typ), v, name, e.pos)
                vs, vp = v.output()
                parts.append("WHEN %s THEN %s" % (c.sql, vs))
                params += c.params + vp
            return Expr("(CASE %s END)" % " ".join(parts), params, typ, agg)
        if name in ("within_box", "within_circle"):
            geo = targs[0]
            if geo.type not in ("point", "location"):
                raise self.mismatch(name, geo.type, args[0].pos)
            col = self.schema.columns_by_field.get(args[0].a) if args[0].kind == "col" else None
            if col is None or not getattr(col, "lat_sql", None):
                raise self.mismatch(name, geo.type, args[0].pos)
            nums = [self.coerce_to(x, "number", name, e.pos) for x in targs[1:]]
            for i, x in enumerate(nums):
                if x.type != "number":
                    raise self.mismatch(name, x.type, args[i + 1].pos)
            params = []
            for x in nums:
                params += x.params
            if name == "within_box":
                need(5)
                sql = "soql_within_box(%s, %s, %s, %s, %s, %s)" % (
                    col.lat_sql, col.lon_sql, nums[0].sql, nums[1].sql, nums[2].sql, nums[3].sql)
            else:
                need(4)
                sql = "soql_within_circle(%s, %s, %s, %s, %s)" % (
                    col.lat_sql, col.lon_sql, nums[0].sql, nums[1].sql, nums[2].sql)
            return Expr(sql, params, "boolean", agg)
        raise NoSuchFunction("No such function '%s'; arity=%d" % (name, n), e.pos,
                             {"function": name, "arity": n})


def contains_agg(e):
    if e is None or not isinstance(e, Node):
        return False
    if e.kind == "func" and e.a in AGGREGATES:
        return True
    for f in (e.a, e.b, e.c, e.d):
        if isinstance(f, Node) and contains_agg(f):
            return True
        if isinstance(f, list) and any(isinstance(x, Node) and contains_agg(x) for x in f):
            return True
    return False


def check_grouped(e, group_keys, aliases, what, seen=None):
    """Raise NotInGroupBy if e uses a column outside an aggregate that is not grouped."""
    if e.key() in group_keys:
        return
    if e.kind == "lit" or e.kind == "star":
        return
    if e.kind == "func" and e.a in AGGREGATES:
        return
    if e.kind == "col":
        seen = seen or set()
        if e.a in aliases and e.a not in seen:
            tgt = aliases[e.a]
            if not (tgt.kind == "col" and tgt.a == e.a):
                seen.add(e.a)
                return check_grouped(tgt, group_keys, aliases, what, seen)
        raise NotInGroupBy("Column not in group by: %s" % e.a, e.pos, {"column": e.a, "clause": what})
    for f in (e.a, e.b, e.c, e.d):
        if isinstance(f, Node):
            check_grouped(f, group_keys, aliases, what, seen)
        elif isinstance(f, list):
            for x in f:
                if isinstance(x, Node):
                    check_grouped(x, group_keys, aliases, what, seen)


# ---------------------------------------------------------------------------
# Whole-query compilation

SYSTEM_FIELDS = (":id", ":created_at", ":updated_at", ":version")
NOT_NULL_SQL = {"_sid", "_rid", "_created", "_updated"}
KNOWN_PARAMS = {"$select", "$where", "$order", "$group", "$having", "$limit", "$offset", "$q", "$query"}


class Plan:
    __slots__ = ("sql", "params", "mode", "fields", "types", "count_only", "sys_list", "json_subset")

    def __init__(self):
        self.sql = None
        self.params = []
        self.mode = "select"      # full | full_sys | select
        self.fields = []
        self.types = []
        self.sys_list = []
        self.json_subset = None   # (user fields to drop, system fields before, after)


def soql_text(dataset_id, p):
    """Reconstruct a SoQL query from the parameters (for error bodies)."""
    parts = ["select " + (p.get("$select") or "*")]
    parts.append("from #" + dataset_id)
    if p.get("$where"):
        parts.append("where " + p["$where"])
    if p.get("$group"):
        parts.append("group by " + p["$group"])
    if p.get("$having"):
        parts.append("having " + p["$having"])
    if p.get("$order"):
        parts.append("order by " + p["$order"])
    if p.get("$limit"):
        parts.append("limit " + p["$limit"])
    if p.get("$offset"):
        parts.append("offset " + p["$offset"])
    return " ".join(parts)


def _nonneg_int(name, text, default):
    if text is None or text == "":
        return default
    t = text.strip()
    if not re.match(r"^\d+$", t):
        raise BadParameter("Invalid %s: %s" % (name, text), 0)
    return int(t)


def _split_query(text):
    """$query: SELECT ... [WHERE ...] [GROUP BY ...] [HAVING ...] [ORDER BY ...] [LIMIT n] [OFFSET n].

    Split at top-level clause keywords (outside strings/parentheses)."""
    toks = tokenize(text)
    marks = []
    depth = 0
    for idx, t in enumerate(toks):
        if t.is_op("("):
            depth += 1
        elif t.is_op(")"):
            depth -= 1
        elif depth == 0 and t.kind == "ident":
            low = t.value.lower()
            nxt = toks[idx + 1] if idx + 1 < len(toks) else None
            if low in ("select", "where", "having", "limit", "offset"):
                marks.append((low, t.pos, t.pos + len(t.value)))
            elif low in ("group", "order") and nxt is not None and nxt.is_kw("by"):
                marks.append((low, t.pos, nxt.pos + 2))
    if not marks or marks[0][0] != "select":
        raise ParseError("Expected SELECT", 0)
    out = {}
    for i, (kw, start, body_start) in enumerate(marks):
        end = marks[i + 1][1] if i + 1 < len(marks) else len(text)
        key = "$" + kw
        if key in out:
            raise ParseError("Repeated %s clause" % kw.upper(), start)
        out[key] = text[body_start:end].strip()
    return out


def compile_query(schema, params, filters=(), decode_row_id=None, dataset_label="alpha.1"):
    """schema: see Translator; plus .user_fields (output order), .table.

    params: dict of $-parameters (raw text).  filters: [(field, value)].
    Returns a Plan.  Raises SoQLError subclasses."""
    if params.get("$query"):
        q = _split_query(params["$query"])
        params = dict(params)
        del params["$query"]
        for k, v in q.items():
            params[k] = v
    tr = Translator(schema, dataset_label, decode_row_id)
    plan = Plan()
    sel_text = params.get("$select")
    if sel_text is None or sel_text.strip() == "":
        sel_text = "*"
    distinct, items = Parser(sel_text).select_list()

    # expand stars, assign aliases
    expanded = []   # (alias, node, explicit)
    for kind, node, alias in items:
        if kind == "star":
            for f in schema.user_fields:
                expanded.append((f, Node("col", f), False))
        elif kind == "sysstar":
            for f in getattr(schema, "sys_fields", SYSTEM_FIELDS):
                expanded.append((f, Node("col", f), False))
        else:
            if alias is None and node.kind == "col":
                alias = node.a
            expanded.append((alias, node, alias is not None))
    used = set()
    named = []
    for alias, node, _explicit in expanded:
        if alias is not None:
            if alias in used:
                raise DuplicateAlias("Duplicate alias: %s" % alias, node.pos, {"alias": alias})
            used.add(alias)
    for alias, node, explicit in expanded:
        if alias is None:
            base = synthetic_name(node)
            cand = base
            if cand in used or cand in schema.columns_by_field:
                prefix = base if base.endswith(("_", "-")) else base + "_"
                i = 1
                while prefix + str(i) in used or prefix + str(i) in schema.columns_by_field:
                    i += 1
                cand = prefix + str(i)
            alias = cand
            used.add(alias)
        named.append((alias, node))
    tr.aliases = {a: n for a, n in named}

    where_nodes = []
    if params.get("$where"):
        where_nodes.append((params["$where"], Parser(params["$where"]).whole_expr()))
    group_nodes = Parser(params["$group"]).expr_list() if params.get("$group") else []
    # a group-by item naming a select alias stands for the aliased expression
    group_nodes = [tr.aliases[g.a] if (g.kind == "col" and g.a in tr.aliases
                                       and not (tr.aliases[g.a].kind == "col" and tr.aliases[g.a].a == g.a))
                   else g for g in group_nodes]
    having_node = Parser(params["$having"]).whole_expr() if params.get("$having") else None
    order_items = Parser(params["$order"]).order_list() if params.get("$order") else []

    aggregate = bool(group_nodes) or having_node is not None or any(contains_agg(n) for _a, n in named)
    if aggregate:
        keys = {g.key() for g in group_nodes}
        for alias, node in named:
            check_grouped(node, keys, {}, "select")
        for node, _d, _n in order_items:
            check_grouped(node, keys, tr.aliases, "order")
        if having_node is not None:
            check_grouped(having_node, keys, tr.aliases, "having")

    limit = _nonneg_int("$limit", params.get("$limit"), 1000)
    offset = _nonneg_int("$offset", params.get("$offset"), 0)

    sql_params = []
    conds = []
    for text, node in where_nodes:
        x = tr.tr(node, {"clause": text, "allow_agg": False})
        x = tr.boolean(x, node, "where")
        conds.append(x.sql)
        sql_params += x.params
    for field, value in filters:
        col = schema.columns_by_field.get(field)
        if col is None or field.startswith(":") and field not in SYSTEM_FIELDS:
            raise tr.no_such_column(field, 0, field)
        node = Node("op", "=", [Node("col", field), Node("lit", "text", value)])
        x = tr.tr(node, {"clause": "%s = '%s'" % (field, value), "allow_agg": False})
        conds.append(x.sql)
        sql_params += x.params
    if params.get("$q"):
        words = [w for w in re.split(r"\s+", params["$q"].strip()) if w]
        text_cols = [c for c in schema.columns if c.soql_type == "text"]
        for w in words:
            if not text_cols:
                conds.append("0")
                continue
            ors = []
            for c in text_cols:
                ors.append("instr(lower(%s), ?) > 0" % c.sql)
                sql_params.append(w.lower())
            conds.append("(" + " OR ".join(ors) + ")")

    # Fast paths: "*" or every user column in dataset order, optionally with system
    # fields before and/or after: the pre-serialized rows are sent as they are, the
    # system fields spliced in front of / behind them.
    sys_fields = list(getattr(schema, "sys_fields", SYSTEM_FIELDS))
    full = False
    sys_pre, sys_post = [], []
    if not distinct and not aggregate:
        seq = []
        ok = True
        for kind, node, alias in items:
            if kind == "star":
                seq.append(("star", None))
            elif kind == "sysstar":
                seq += [("sys", f) for f in sys_fields]
            elif kind == "expr" and node.kind == "col" and alias in (None, node.a):
                if node.a in SYSTEM_FIELDS:
                    seq.append(("sys", node.a))
                elif node.a in schema.user_fields:
                    seq.append(("user", node.a))
                else:
                    ok = False
            else:
                ok = False
        if ok:
            i = 0
            while i < len(seq) and seq[i][0] == "sys":
                i += 1
            j = len(seq)
            while j > i and seq[j - 1][0] == "sys":
                j -= 1
            middle = seq[i:j]
            if middle == [("star", None)] or (all(k == "user" for k, _n in middle)
                                              and [n for _k, n in middle] == list(schema.user_fields)):
                sys_pre = [n for _k, n in seq[:i]]
                sys_post = [n for _k, n in seq[j:]]
                full = len(set(sys_pre + sys_post)) == len(sys_pre + sys_post)
    # a subset of the user columns in dataset order (system fields at the ends): the
    # JSON rows can be cut from the pre-serialized ones (json_remove in SQLite)
    if not full and not distinct and not aggregate and all(
            k == "expr" and n.kind == "col" and a in (None, n.a) for k, n, a in items):
        names = [n.a for _k, n, _a in items]
        pos = {f: i for i, f in enumerate(schema.user_fields)}
        i = 0
        while i < len(names) and names[i] in SYSTEM_FIELDS:
            i += 1
        j = len(names)
        while j > i and names[j - 1] in SYSTEM_FIELDS:
            j -= 1
        mid = names[i:j]
        idx = [pos.get(f, -1) for f in mid]
        if mid and all(x >= 0 for x in idx) and idx == sorted(set(idx)) and len(set(names)) == len(names):
            keep = set(mid)
            plan.json_subset = ([f for f in schema.user_fields if f not in keep], names[:i], names[j:])
    select_sql = []
    select_params = []
    if full:
        plan.sys_list = (sys_pre, sys_post)
        plan.mode = "full_sys" if (sys_pre or sys_post) else "full"
        if plan.mode == "full_sys":
            want = set(sys_pre + sys_post)
            # fixed positions, NULL where a value is not needed (cheaper to fetch)
            cols = ["_rid" if ":id" in want else "NULL",
                    "_created" if ":created_at" in want else "NULL",
                    "_updated" if ":updated_at" in want else "NULL",
                    "_vc" if ":version" in want else "NULL",
                    "_sid" if ":version" in want else "NULL",
                    "_json"]
        else:
            cols = ["_json"]
        select_sql = cols
        named = ([(f, Node("col", f)) for f in sys_pre] + [(f, Node("col", f)) for f in schema.user_fields]
                 + [(f, Node("col", f)) for f in sys_post])
    for alias, node in named:
        x = tr.tr(node, {"clause": sel_text, "allow_agg": aggregate})
        plan.fields.append(alias)
        plan.types.append(x.type if x.type != "null" else "text")
        if not full:
            s, p = x.output()
            select_sql.append(s)
            select_params += p

    group_sql = []
    group_params = []
    for g in group_nodes:
        x = tr.tr(g, {"clause": params["$group"], "alias_first": True, "allow_agg": False})
        s, p = x.sql, x.params
        group_sql.append(s)
        group_params += p
    having_sql = None
    having_params = []
    if having_node is not None:
        x = tr.tr(having_node, {"clause": params["$having"], "alias_first": True, "allow_agg": True})
        x = tr.boolean(x, having_node, "having")
        having_sql = x.sql
        having_params = x.params
    order_sql = []
    order_params = []
    for node, desc, nulls in order_items:
        x = tr.tr(node, {"clause": params["$order"], "alias_first": True, "allow_agg": aggregate})
        if x.type in ("point", "location"):
            raise tr.mismatch("order by", x.type, node.pos)
        s = x.sql
        if nulls is None:
            nulls = "first" if desc else "last"
        piece = "%s %s" % (s, "DESC" if desc else "ASC")
        if s not in NOT_NULL_SQL:
            piece += " NULLS " + nulls.upper()
        order_sql.append(piece)
        order_params += x.params
    if distinct:
        n = len(select_sql)
        order_sql += ["%d" % (i + 1) for i in range(n)]
    elif aggregate:
        for s in group_sql:
            order_sql.append(s)
            order_params += []
        if group_sql:
            # group expressions may carry parameters: repeat them
            order_params += group_params
    elif "_sid ASC" not in order_sql and "_sid DESC" not in order_sql:
        order_sql.append("_sid")

    sql = "SELECT %s%s FROM %s" % ("DISTINCT " if distinct else "", ", ".join(select_sql), schema.table)
    allp = list(select_params)
    if conds:
        sql += " WHERE " + " AND ".join(conds)
        allp += sql_params
    if group_sql:
        sql += " GROUP BY " + ", ".join(group_sql)
        allp += group_params
    if having_sql:
        sql += " HAVING " + having_sql
        allp += having_params
    if order_sql:
        sql += " ORDER BY " + ", ".join(order_sql)
        allp += order_params
    sql += " LIMIT ? OFFSET ?"
    allp += [limit, offset]
    plan.sql = sql
    plan.params = allp
    return plan
