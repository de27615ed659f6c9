"""Translation of parsed SoQL expressions to SQLite SQL over one dataset's
schema: Translator (column resolution, types and their implicit conversions,
operators, casts, functions, aggregates; every literal a bound parameter) and
the checks that an aggregate query groups every column it uses.  Separate from
the parser (which knows no schema) and from the compilation of a whole query
(soql.py), which runs a Translator over each clause.
"""

import decimal

from soql_errors import AggregateInUngrouped, NoSuchColumn, NoSuchFunction, NotInGroupBy, ParseError, TypeMismatch
from soql_literals import BOOL_TEXT, beyond_double, fixed_literal, floating_literal, number_value
from soql_parser import Node

# ---------------------------------------------------------------------------
# Translation

AGGREGATES = {"count", "sum", "avg", "min", "max"}
ORDERABLE = {"number", "double", "money", "text", "floating_timestamp", "fixed_timestamp", "boolean",
             "row_identifier", "row_version", "url"}

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
    .field, .soql_type (dataset_defs.SOQL_TYPE's: number, double, money, text,
    floating_timestamp, boolean, point, location, ...), .sql (numeric/comparison
    column), .out_sql (output column), and .lat_sql/.lon_sql for geo columns.
    System columns are included.
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
            if any(self.decimal_literal(x) for x in [a] + items):
                # a IN (x, y) is a = x OR a = y, NULLs included.
                parts = [self.comparison(a, "=", it) for it in items]
                sql = "(%s(%s))" % ("NOT " if e.c else "", " OR ".join(p[0] for p in parts))
                params = [v for p in parts for v in p[1]]
            else:
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
            if any(self.decimal_literal(x) for x in (a, lo, hi)):
                (s1, p1), (s2, p2) = self.comparison(a, ">=", lo), self.comparison(a, "<=", hi)
                sql, params = "(%s(%s AND %s))" % ("NOT " if e.d else "", s1, s2), p1 + p2
            else:
                sql = "(%s %sBETWEEN %s AND %s)" % (a.sql, "NOT " if e.d else "", lo.sql, hi.sql)
                params = a.params + lo.params + hi.params
            return Expr(sql, params, "boolean", a.agg or lo.agg or hi.agg)
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
        """Implicitly convert a text literal to the other operand's type, or a number literal
        to a double (the portal casts it: soql-reference's number to double) or to money (so
        does a text literal holding a number: `price > '100'`, as the portal's documentation
        writes it). Nothing else becomes a double or money (a text literal to a double, a number
        field): the type check then refuses it."""
        if typ == "double" and x.lit is not None and x.lit[0] == "number":
            return Expr("?", [float(x.lit[1])], "double")
        if typ == "money" and x.lit is not None and x.lit[0] in ("number", "text"):
            return self.money_literal(x.lit[1].strip(), pos)
        if x.lit is None or x.lit[0] != "text" or typ in ("text", "null", None):
            return x
        s = x.lit[1]
        try:
            if typ == "number":
                return Expr("?", [number_value(s)], "number", out_sql="?", out_params=[s.strip()],
                            lit=("number", s.strip()))
            if typ == "floating_timestamp":
                return Expr("?", [floating_literal(s)], typ)
            if typ == "fixed_timestamp":
                return Expr("?", [fixed_literal(s)], typ)
            if typ == "url":
                # the portal reads a url literal as JSON, a URI or an <a> tag; here as the url
                return Expr("?", [s], typ)
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

    def money_literal(self, s, pos):
        """A literal's text -> money: compared as its number, output as its text (which must
        then read as a decimal too)."""
        try:
            decimal.Decimal(s)
            v = number_value(s)
        except (ValueError, decimal.InvalidOperation):
            raise TypeMismatch("Cannot convert '%s' to money" % s, pos,
                               {"dataset": self.dataset_label, "value": s, "type": "money"})
        return Expr("?", [v], "money", out_sql="?", out_params=[s], lit=("number", s))

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
            if a.type not in ("number", "double", "money", "null"):
                raise self.mismatch("op$-", a.type, e.pos)
            return Expr("(-%s)" % a.sql, a.params, "number" if a.type == "null" else a.type, a.agg)
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
            sql, params = self.comparison(a, op, b)
            return Expr(sql, params, "boolean", a.agg or b.agg)
        if op == "||":
            for x in (a, b):
                if x.type not in ("text", "null", "number"):
                    raise self.mismatch("op$||", x.type, e.pos)
            ao = self.text_of(a)
            bo = self.text_of(b)
            return Expr("(%s || %s)" % (ao[0], bo[0]), ao[1] + bo[1], "text", a.agg or b.agg)
        # arithmetic
        if "money" in (a.type, b.type):
            return self.money_arithmetic(op, a, b, e.pos)
        if "double" in (a.type, b.type):
            return self.double_arithmetic(op, a, b, e.pos)
        b = self.coerce_to(b, "number", op, e.pos)
        a = self.coerce_to(a, "number", op, e.pos)
        for x in (a, b):
            if x.type not in ("number", "null"):
                raise self.mismatch("op$" + op, x.type, e.pos)
        return self.decimal_arithmetic(op, a, b, "number")

    @staticmethod
    def decimal_arithmetic(op, a, b, typ):
        """a op b of numbers or money; / in floating point (SQLite divides integers as
        integers: 7 / 2 is 3 there)."""
        if op == "/":
            sql = "(CAST(%s AS REAL) / %s)" % (a.sql, b.sql)
        else:
            sql = "(%s %s %s)" % (a.sql, op, b.sql)
        return Expr(sql, a.params + b.params, typ, a.agg or b.agg)

    def money_arithmetic(self, op, a, b, pos):
        """a op b where one is money, as soql-reference's money operators: + and - of two moneys
        (a number or text literal read as money; a number field is refused), * of money and a
        number (either side), / of money by a number; no %."""
        if op in ("+", "-"):
            a, b = self.coerce_to(a, "money", op, pos), self.coerce_to(b, "money", op, pos)
            for x in (a, b):
                if x.type not in ("money", "null"):
                    raise self.mismatch("op$" + op, x.type, pos)
        elif op in ("*", "/"):
            if a.type != "money" and op == "*":
                a, b = b, a
            if a.type != "money" or b.type not in ("number", "null"):
                raise self.mismatch("op$" + op, b.type if a.type == "money" else a.type, pos)
        else:
            raise self.mismatch("op$" + op, "money", pos)
        return self.decimal_arithmetic(op, a, b, "money")

    def double_arithmetic(self, op, a, b, pos):
        """a op b where one is a double: the other must be one too, or a number literal (cast);
        a text literal is not converted (it could only be a number). No %: PostgreSQL has no
        modulo of double precision, so the portal fails such a query."""
        a, b = self.coerce_to(a, "double", op, pos), self.coerce_to(b, "double", op, pos)
        for x in (a, b):
            if x.type not in ("double", "null") or op == "%":
                raise self.mismatch("op$" + op, x.type, pos)
        return Expr("(%s %s %s)" % (a.sql, op, b.sql), a.params + b.params, "double", a.agg or b.agg)

    @staticmethod
    def decimal_literal(x):
        """The text of a number literal a double cannot hold exactly, else None."""
        if x.type == "number" and x.lit is not None and x.lit[0] == "number" and beyond_double(x.lit[1]):
            return x.lit[1]
        return None

    def comparison(self, a, op, b):
        """-> (sql, params) of a op b; a number literal past a double's digits is compared as
        an exact decimal, as the portal compares numbers (SQLite would round it)."""
        da, db = self.decimal_literal(a), self.decimal_literal(b)
        if da is None and db is None:
            return "(%s %s %s)" % (a.sql, op, b.sql), a.params + b.params
        # The literal goes in as its text, which soql_numcmp reads as the decimal written.
        (sa, pa), (sb, pb) = [(x.sql, x.params) if d is None else ("?", [d])
                              for x, d in ((a, da), (b, db))]
        return "(soql_numcmp(%s, %s) %s 0)" % (sa, sb, "<>" if op == "!=" else op), pa + pb

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
            if a.type in ("point", "location", "double"):
                # a double's text (PostgreSQL's float8 output) is not modelled here
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
        if t == "double":
            return self.cast_to_double(a, e)
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

    def cast_to_double(self, a, e):
        """::double takes a number (a text literal as the number it holds), as soql-reference's
        only cast to double does."""
        if a.lit is not None and a.lit[0] == "text":
            a = self.coerce_to(a, "number", "::double", e.pos)
        if a.lit is not None and a.lit[0] == "number":
            return self.coerce_to(a, "double", "::double", e.pos)
        if a.type == "number":
            return Expr("CAST(%s AS REAL)" % a.sql, a.params, "double", a.agg)
        if a.type in ("double", "null"):
            return Expr(a.sql, a.params, "double", a.agg)
        raise self.mismatch("::double", a.type, e.pos)

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
            if a.type == "money":
                # compared and sorted by SQLite's aggregate; output by soql_money<name>, which
                # keeps the decimals' digits as the portal's numeric does (SQLite's, over the
                # NUMERIC column, would give 1250 for 1250.00 and add in floating point)
                exact, exact_params = a.output()
                return Expr("%s(%s%s)" % (name, distinct, a.sql), a.params, "money", True,
                            out_sql="soql_money%s(%s%s)" % (name, distinct, exact), out_params=exact_params)
            if name in ("sum", "avg") and a.type == "double":
                # added in floating point, one value after another, as PostgreSQL's sum and avg
                # of double precision (SQLite's own may compensate the rounding, from 3.43 on)
                return Expr("soql_float%s(%s%s)" % (name, distinct, a.sql), a.params, "double", True)
            if name in ("sum", "avg"):
                if a.type not in ("number", "null"):
                    raise self.mismatch(name, a.type, e.pos)
                sql = "%s(%s%s)" % (name, distinct, a.sql)
                # Output an exact sum (SQLite's is exact over integers only); compare and sort by
                # SQLite's (a double's rounding apart, the same order).
                integers = (args[0].kind == "col" and args[0].a not in self.aliases
                            and args[0].a in self.schema.columns_by_field
                            and args[0].a not in getattr(self.schema, "real_number_fields", ()))
                out = "soql_decsum(%s%s)" % (distinct, a.sql) if name == "sum" and not integers else None
                return Expr(sql, a.params, "number", True, out_sql=out, out_params=a.params if out else None)
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
