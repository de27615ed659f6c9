"""Running a query for the handler: compile the SoQL, pick the SQL (the
pre-serialized rows, cut or spliced, or rows built per value by the $select
serializers below), read the rows from SQLite, in batches for big results, and
return them as a Rendered result, or raise a SodaError.  A mixin of the
handler's (QueryRunner), separate because it needs nothing of the request: the
self-tests run it without one.
"""

import itertools
import json
import sqlite3

import row_ids
import soql
import soql_errors
import sqlite_db
import wire_values
from responses import Rendered, SodaError, pretty
from wire_values import encode_str

# ---------------------------------------------------------------------------
# Output serializers for $select results


def _json_ser(t):
    if t == "number":
        return lambda v: '"' + sqlite_db.format_number(v) + '"'
    if t == "money":
        # a column's or an aggregate's decimal text, or the number of an arithmetic expression
        return lambda v: '"' + (wire_values.decimal_json_text(v) if isinstance(v, str)
                                else sqlite_db.format_number(v)) + '"'
    if t == "double":
        return wire_values.double_text       # a JSON number
    if t == "boolean":
        return lambda v: "true" if v else "false"
    if t in ("point", "location", "line", "multipolygon", "phone", "document"):
        return lambda v: v                   # stored as their JSON
    if t == "text":
        return lambda v: encode_str(v if isinstance(v, str) else sqlite_db.format_number(v))
    if t == "url":
        return _url_json
    return lambda v: encode_str(str(v))


def _url_json(v):
    """A stored url: its url (the Chicago links have no description), or its JSON object
    (typs-test's, some with a description)."""
    return v if v.startswith("{") else wire_values.url_json(v)


def _wkt(v):
    """A stored geometry (its GeoJSON) or location (its JSON) -> its CSV text."""
    try:
        o = json.loads(v)
        if "coordinates" in o:
            return wire_values.wkt(o["type"], o["coordinates"])
        return wire_values.location_csv_text((o["latitude"], o["longitude"], o.get("human_address")))
    except Exception:
        return str(v)


def _csv_text_of_json(to_text, *keys):
    """A serializer of a value stored as its JSON object: the object's parts (None for a
    missing one), in the order of keys, -> to_text -> the CSV cell."""
    def ser(v):
        o = json.loads(v)
        return wire_values.csv_cell(to_text(*[o.get(k) for k in keys]))
    return ser


def _csv_ser(t):
    if t == "number":
        return lambda v: '"' + sqlite_db.format_number(v) + '"'
    if t == "money":
        return lambda v: '"' + (wire_values.decimal_csv_text(v) if isinstance(v, str)
                                else sqlite_db.format_number(v)) + '"'
    if t == "double":
        return lambda v: '"' + wire_values.double_text(v) + '"'
    if t == "boolean":
        return lambda v: '"true"' if v else '"false"'
    if t in ("point", "location", "line", "multipolygon"):
        return lambda v: wire_values.csv_cell(_wkt(v))
    if t == "phone":
        return _csv_text_of_json(wire_values.phone_csv_text, "phone_number", "phone_type")
    if t == "document":
        return _csv_text_of_json(wire_values.document_csv_text, "file_id", "content_type", "filename")
    if t == "url":
        # stored as its url or its JSON object (see _url_json)
        of_json = _csv_text_of_json(wire_values.url_csv_text, "url", "description")
        return lambda v: of_json(v) if v.startswith("{") else wire_values.csv_cell(v)
    return lambda v: wire_values.csv_cell(v if isinstance(v, str) else sqlite_db.format_number(v))


class QueryRunner:
    """The handler's query methods (mixed into http_handler.Handler).  They use nothing of
    the request's; WINDOW, set on Handler by main, overrides the default below."""

    # SQL that yields a whole serialized row with :id spliced in (json/csv, :id before/after)
    CONCAT_EXPR = {
        ("json", "full", (), ()): "_json",
        ("csv", "full", (), ()): "_csv",
        ("json", "full_sys", (), (":id",)):
            "CASE WHEN _json = x'7b7d' THEN '{\":id\":\"' || _rid || '\"}' "
            "ELSE substr(_json, 1, length(_json) - 1) || ',\":id\":\"' || _rid || '\"}' END",
        ("json", "full_sys", (":id",), ()):
            "CASE WHEN _json = x'7b7d' THEN '{\":id\":\"' || _rid || '\"}' "
            "ELSE '{\":id\":\"' || _rid || '\",' || substr(_json, 2) END",
        ("csv", "full_sys", (), (":id",)): "substr(_csv, 1, length(_csv) - 1) || ',\"' || _rid || '\"' || char(10)",
        ("csv", "full_sys", (":id",), ()): "'\"' || _rid || '\",' || _csv",
    }

    WINDOW = 100000
    BATCH = 1000

    def run_query(self, ds, params, filters, fmt, need_rows=False):
        try:
            plan = soql.compile_query(ds, params, filters, row_ids.decode_row_id, ds.label)
        except soql_errors.SoQLError as e:
            raise SodaError(400, self.soql_error_body(e, ds, params))
        sql = self.prefer_index(ds, plan.sql, plan.params)
        if fmt == "csv" and plan.mode in ("full", "full_sys"):
            sql = sql.replace("_json FROM", "_csv FROM", 1)
        head = b""
        if fmt == "csv":
            head = (",".join(wire_values.csv_cell(f) for f in plan.fields) + "\n").encode()
        pre, post = plan.sys_list if plan.mode == "full_sys" else ((), ())
        concat = self.CONCAT_EXPR.get((fmt, plan.mode, tuple(pre), tuple(post)))
        if plan.json_subset and fmt == "json" and not plan.json_subset[1] and plan.json_subset[2] in ([], [":id"]):
            drop, _pre, post = plan.json_subset
            concat = "CAST(_json AS TEXT)"
            # SQLite takes at most 127 arguments per function call (SQLITE_MAX_FUNCTION_ARG):
            # a wide dataset's fields are removed 100 at a time
            for at in range(0, len(drop), 100):
                concat = "json_remove(%s, %s)" % (
                    concat, ", ".join("'$.\"%s\"'" % f for f in drop[at:at + 100]))
            if post:
                concat = "json_set(%s, '$.\":id\"', _rid)" % concat
        csv_cut = None
        if plan.json_subset and fmt == "csv" and not plan.json_subset[1] and plan.json_subset[2] in ([], [":id"]):
            # a subset of the stored CSV rows' cells, cut in Python (the FDW's CSV pages)
            pos = {c.field: i for i, c in enumerate(ds.out_columns)}
            csv_cut = ([pos[f] for f in plan.fields if f != ":id"], bool(plan.json_subset[2]))
            concat = "_csv"
        if concat and not need_rows:
            # fast path: the page's pre-serialized rows come through a cursor BATCH rows at a
            # time and each batch goes out as soon as it is joined, as a cursor-backed server
            # streams (the first bytes leave after one batch, not after the whole page)
            cut = sql.index(" FROM %s" % ds.table)
            if csv_cut:
                row_sql = "SELECT _rid, _csv" + sql[cut:]
                ncols = len(ds.out_columns)

                def join(rows):
                    return self.cut_csv_rows(rows, *csv_cut, ncols)
            else:
                row_sql = "SELECT CAST(%s AS BLOB)%s" % (concat, sql[cut:])
                sep = b"\n," if fmt == "json" else b""

                def join(rows):
                    return sep.join([r[0] for r in rows])
            limit, offset = plan.params[-2], plan.params[-1]
            base = plan.params[:-2]
            batch = min(self.BATCH, self.WINDOW)

            def batches():
                # one query per window of WINDOW rows: the reader (whose lock holds writers
                # off) is let go between windows, as before streaming
                done = 0
                while done < limit:
                    take = min(self.WINDOW, limit - done)
                    got = 0
                    with ds.db.reader() as conn:
                        cur = conn.execute(row_sql, base + [take, offset + done])
                        try:
                            while True:
                                rows = cur.fetchmany(batch)
                                if not rows:
                                    break
                                got += len(rows)
                                yield len(rows), join(rows)
                        finally:
                            cur.close()     # reset the statement before the connection goes back to the pool
                    if got < take:
                        return
                    done += got

            # the first batch before any header: an error executing the query is still a 400
            gen = batches()
            try:
                first = next(gen, None)
            except (sqlite3.Error, OverflowError, ValueError) as e:
                raise SodaError(400, pretty({"code": "query.execution.failed", "error": True,
                                             "message": "Query failed: %s" % e,
                                             "data": {"query": soql.soql_text(ds.id, params)}}))
            n, blob = first or (0, b"")
            if n < batch or n >= limit:
                # the whole result came in the first batch: its count is known (Content-Length if small)
                gen.close()
                return Rendered(fmt, plan.fields, plan.types, None, head, blob, n)

            return Rendered(fmt, plan.fields, plan.types, None, head,
                            windows=itertools.chain([first], gen), source=gen)
        try:
            with ds.db.reader() as conn:
                rows = conn.execute(sql, plan.params).fetchall()
        except (sqlite3.Error, OverflowError, ValueError) as e:
            raise SodaError(400, pretty({"code": "query.execution.failed", "error": True,
                                         "message": "Query failed: %s" % e,
                                         "data": {"query": soql.soql_text(ds.id, params)}}))
        fields = plan.fields
        types = plan.types
        if plan.mode == "full":
            out = [r[0] for r in rows]
        elif plan.mode == "full_sys":
            out = self.splice_system(plan.sys_list, rows, fmt)
        else:
            out = self.serialize_rows(rows, fields, types, fmt)
        return Rendered(fmt, fields, types, out, head)

    @staticmethod
    def prefer_index(ds, sql, params):
        """SQLite keeps no statistics on ranges (no STAT4), so for `updated_on >= <yesterday>`
        ordered by :id it walks the whole table in :id order. A real server uses its index when
        few rows match: probe each timestamp index with the WHERE, and force the first one
        through which fewer than 5% of the rows (at least 1,000) match.

        Ordered by :id alone (keyset paging), SQLite would then sort whole rows (their stored
        JSON and CSV) before the first comes out: sort only the keys in a subquery, and fetch
        the page's rows by key, in key order (the IN list is walked in order)."""
        if " WHERE " not in sql or " GROUP BY " in sql or "?" in sql[:sql.index(" FROM ")]:
            return sql
        start = sql.index(" WHERE ") + len(" WHERE ")
        end = sql.find(" ORDER BY ", start)
        where = sql[start:end if end >= 0 else sql.index(" LIMIT ", start)]
        cap = max(1000, ds.rows // 20)
        for c in ds.columns:
            if c.soql_type != "floating_timestamp" or c.sql + " " not in where:
                continue
            index = "%s_i%d" % (ds.table, c.index)
            probe = "SELECT count(*) FROM (SELECT 1 FROM %s INDEXED BY %s WHERE %s LIMIT ?)" % (ds.table, index, where)
            try:
                with ds.db.reader() as conn:
                    n = conn.execute(probe, params[:-2] + [cap]).fetchone()[0]
            except sqlite3.Error:
                continue    # the WHERE cannot use this index ("no query solution")
            if n >= cap:
                continue
            order = sql[end:sql.index(" LIMIT ", end)] if end >= 0 else ""
            if order in (" ORDER BY _sid", " ORDER BY _sid ASC", " ORDER BY _sid DESC"):
                keys = "SELECT _sid FROM %s INDEXED BY %s WHERE %s%s LIMIT ? OFFSET ?" % (ds.table, index, where, order)
                return "%s FROM %s WHERE _sid IN (%s)%s" % (sql[:sql.index(" FROM ")], ds.table, keys, order)
            return sql.replace(" FROM %s WHERE " % ds.table, " FROM %s INDEXED BY %s WHERE " % (ds.table, index), 1)
        return sql

    @staticmethod
    def cut_csv_rows(rows, cells, with_id, ncols):
        """Pre-serialized CSV rows (rid, line) -> the chosen cells (and :id) as one blob.
        A line whose only commas are its cells' separators splits on commas (C speed); one
        with a comma in a cell is split into its cells as written, quotes and all. (The csv
        module's writer, used before, wrote a lone empty cell as "", which a reader takes for
        the empty string, not a null.)"""
        prefix = cells == list(range(len(cells)))
        out = []
        for rid, line in rows:
            if line.count(b",") == ncols - 1:
                if prefix:
                    kept = line[:-1].rsplit(b",", ncols - len(cells))[0] if len(cells) < ncols else line[:-1]
                else:
                    parts = line[:-1].split(b",")
                    kept = b",".join([parts[i] for i in cells])
            else:
                raw = wire_values.raw_csv_cells(line[:-1])
                kept = b",".join([raw[i] for i in cells])
            out.append(kept + b',"' + rid.encode() + b'"\n' if with_id else kept + b"\n")
        return b"".join(out)

    def splice_system(self, sys_lists, rows, fmt):
        """Put the requested system fields in front of / behind pre-serialized rows.

        rows: (_rid, _created, _updated, _vc, _sid, _json or _csv)."""
        pre, post = sys_lists
        if fmt == "json":
            if not pre and post == [":id"]:
                # the FDW's keyset-paging hot path ($select=<every column>,:id)
                return [(r[5][:-1] + b',":id":"' if r[5] != b"{}" else b'{":id":"') + r[0].encode() + b'"}'
                        for r in rows]
            if pre == [":id"] and not post:
                return [b'{":id":"' + r[0].encode() + (b'"}' if r[5] == b"{}" else b'",' + r[5][1:]) for r in rows]
        elif not pre and post == [":id"]:
            return [r[5][:-1] + b',"' + r[0].encode() + b'"\n' for r in rows]
        rv = row_ids.row_version
        pos = {":id": 0, ":created_at": 1, ":updated_at": 2, ":version": 3}
        ipre = [pos[f] for f in pre]
        ipost = [pos[f] for f in post]
        need_version = 3 in ipre or 3 in ipost
        out = []
        if fmt == "json":
            kpre = ['"%s":"' % f for f in pre]
            kpost = ['"%s":"' % f for f in post]
            for r in rows:
                vals = (r[0], r[1], r[2], rv(r[4], r[3]) if need_version else None)
                body = r[5][1:-1]
                parts = [(k + vals[i] + '"').encode() for k, i in zip(kpre, ipre)]
                if body:
                    parts.append(body)
                parts += [(k + vals[i] + '"').encode() for k, i in zip(kpost, ipost)]
                out.append(b"{" + b",".join(parts) + b"}")
        else:
            for r in rows:
                vals = (r[0], r[1], r[2], rv(r[4], r[3]) if need_version else None)
                line = r[5][:-1]
                parts = ([b'"' + vals[i].encode() + b'"' for i in ipre] + [line]
                         + [b'"' + vals[i].encode() + b'"' for i in ipost])
                out.append(b",".join(parts) + b"\n")
        return out

    def serialize_rows(self, rows, fields, types, fmt):
        if fmt == "json":
            keys = [encode_str(f) + ":" for f in fields]
            sers = [_json_ser(t) for t in types]
            n = len(fields)
            out = []
            for r in rows:
                parts = [keys[i] + sers[i](r[i]) for i in range(n) if r[i] is not None]
                out.append(("{" + ",".join(parts) + "}").encode())
            return out
        sers = [_csv_ser(t) for t in types]
        n = len(fields)
        out = []
        for r in rows:
            out.append((",".join("" if r[i] is None else sers[i](r[i]) for i in range(n)) + "\n").encode())
        return out

    def soql_error_body(self, e, ds, params):
        if e.kind == "analysis":
            body = {"message": "Query coordinator error: %s; %s" % (e.code, e.message),
                    "errorCode": e.code, "data": e.data}
            return (json.dumps(body, separators=(",", ":"), ensure_ascii=False)).encode()
        q = soql.soql_text(ds.id, params)
        body = {"code": e.code, "error": True,
                "message": "Error, could not parse SoQL query \"%s\": %s" % (q, e.message),
                "data": {"query": q}}
        if e.position is not None:
            body["data"]["position"] = {"row": 1, "column": e.position + 1}
        return pretty(body)
