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

This module compiles a whole query (compile_query -> Plan: the SQL, its
parameters, the output names and types, and the fast paths the server can
take).  The parts it uses have their own modules: soql_errors, soql_parser
(tokenizer, AST, parser), soql_output_names (the implicit alias rule),
soql_literals (literal coercion) and soql_translate (expressions -> SQL).
"""

import re

from soql_errors import BadParameter, DuplicateAlias, ParseError
from soql_output_names import synthetic_name
from soql_parser import Node, Parser, tokenize
from soql_translate import Translator, check_grouped, contains_agg

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
