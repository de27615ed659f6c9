#!/usr/bin/python3
"""Local SODA 2.1 (Socrata Open Data API) test server for the socrata_fdw project.

Serves City of Chicago datasets (crimes ijzp-q8t2, police stations z8bn-74gv,
ward offices htai-wnw4, IUCR codes c7ck-438e) from CSV files, faithfully to the
real API's wire formats, errors, headers and paging, plus fault injection
(/fault/<spec>/...), a control API (/_control/...) and a request log that is
itself a dataset (reqs-logs).  Loopback only; Python standard library only.

    /usr/bin/python3 test/soda_server/soda_server.py --port 25480

See docs/soda-test-server.md.
"""

import argparse
import base64
import csv
import email.utils
import hashlib
import http.server
import io
import itertools
import json
import os
import re
import signal
import socket
import socketserver
import sqlite3
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import datasets  # noqa: E402
import faults  # noqa: E402
import soql  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
encode_str = datasets.encode_str
_4X4 = re.compile(r"^[a-z0-9]{4}-[a-z0-9]{4}$")

STOP = threading.Event()


def http_date(epoch):
    return email.utils.formatdate(epoch, usegmt=True)


def now_fixed():
    return datasets._now_fixed()


# ---------------------------------------------------------------------------
# Request log (in memory, optional JSON-lines file, and the reqs-logs dataset)


class RequestLog:
    def __init__(self, path, key_order):
        self.lock = threading.Lock()
        self.seq = 0
        self.entries = []
        self.file = open(path, "a", encoding="utf-8") if path else None
        self.db = datasets.Database(shared=False)
        self.dataset = datasets.Dataset(self.db, datasets.REQLOG_ID, datasets.REQLOG_DEF, key_order)
        self.dataset.create_indexes()

    def add(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.entries.append(entry)
            if self.file:
                self.file.write(json.dumps(entry, sort_keys=False) + "\n")
                self.file.flush()
            p = entry.get("params") or {}
            vals = {
                "seq": str(entry["seq"]),
                "requested_at": entry["time"][:23],
                "method": entry["method"],
                "path": entry["path"],
                "dataset": entry.get("dataset"),
                "fault": entry.get("fault"),
                "select": p.get("$select"),
                "where": p.get("$where"),
                "order": p.get("$order"),
                "group": p.get("$group"),
                "having": p.get("$having"),
                "q": p.get("$q"),
                "limit": p.get("$limit"),
                "offset": p.get("$offset"),
                "query": entry.get("query"),
                "status": str(entry["status"]),
                "bytes": str(entry["bytes"]),
                "gzip": bool(entry.get("gzip")),
                "token_present": bool(entry.get("token_present")),
            }
            vals = {k: v for k, v in vals.items() if v is not None and v != ""}
            self.dataset.append(entry["seq"], vals, entry["time"])

    def since(self, seq, dataset=None, limit=None):
        with self.lock:
            out = [e for e in self.entries if e["seq"] > seq and (dataset is None or e.get("dataset") == dataset)]
        if limit is not None:
            out = out[:limit]
        return out

    def current(self):
        with self.lock:
            return self.seq


# ---------------------------------------------------------------------------
# Output serializers for $select results


def _json_ser(t):
    if t == "number":
        return lambda v: '"' + datasets.format_number(v) + '"'
    if t == "boolean":
        return lambda v: "true" if v else "false"
    if t in ("point", "location"):
        return lambda v: v
    if t == "text":
        return lambda v: encode_str(v if isinstance(v, str) else datasets.format_number(v))
    return lambda v: encode_str(str(v))


def _wkt(v):
    try:
        o = json.loads(v)
        if "coordinates" in o:
            return "POINT (%s %s)" % tuple(o["coordinates"])
        return "(%s, %s)" % (o["latitude"], o["longitude"])
    except Exception:
        return str(v)


def _csv_ser(t):
    if t == "number":
        return datasets.format_number
    if t == "boolean":
        return lambda v: "true" if v else "false"
    if t in ("point", "location"):
        return lambda v: datasets.csv_cell(_wkt(v))
    return lambda v: datasets.csv_cell(v if isinstance(v, str) else datasets.format_number(v))


class Rendered:
    """A successful query result ready to send: a list of serialized rows, one blob of
    joined rows (fast path), or batches of joined rows still being read (big results)."""

    def __init__(self, fmt, fields, types, rows, head=b"", blob=None, count=None, windows=None, source=None):
        self.fmt = fmt          # json | csv
        self.fields = fields
        self.types = types
        self.rows = rows        # list of bytes, one per row (None with a blob)
        self.head = head        # csv header line
        self.blob = blob        # rows joined (json: by "\n,"), without the [ ] framing
        self.windows = windows  # or an iterator of (row count, blob) for big results
        self.source = source    # the generator reading those (holds a reader connection)
        self.count = len(rows) if rows is not None else count   # None: not known yet

    def close(self):
        """Let the query behind unsent batches go (its cursor and reader connection)."""
        if self.source is not None:
            self.source.close()

    def segments(self, per=2000, piece=1 << 20):
        if self.windows is not None:
            if self.fmt == "csv":
                yield self.head
            started = False
            for n, blob in self.windows:
                if not n:
                    continue
                if self.fmt == "json":
                    yield b"\n," if started else b"["
                started = True
                mv = memoryview(blob)
                for i in range(0, len(mv), piece):
                    yield mv[i:i + piece]
            if self.fmt == "json":
                yield b"]\n" if started else b"[]\n"
            return
        if self.rows is None:
            if self.fmt == "json":
                if not self.count:
                    yield b"[]\n"
                    return
                yield b"["
            else:
                yield self.head
            mv = memoryview(self.blob)
            for i in range(0, len(mv), piece):
                yield mv[i:i + piece]
            if self.fmt == "json":
                yield b"]\n"
            return
        rows = self.rows
        if self.fmt == "json":
            if not rows:
                yield b"[]\n"
                return
            first = True
            for i in range(0, len(rows), per):
                part = b"\n,".join(rows[i:i + per])
                if first:
                    yield b"[" + part
                    first = False
                else:
                    yield b"\n," + part
            yield b"]\n"
        else:
            yield self.head
            for i in range(0, len(rows), per):
                yield b"".join(rows[i:i + per])

    def body(self):
        if self.windows is not None:
            return b"".join(bytes(s) for s in self.segments())
        if self.rows is None:
            if self.fmt == "json":
                return b"[" + self.blob + b"]\n" if self.count else b"[]\n"
            return self.head + self.blob
        rows = self.rows
        if self.fmt == "json":
            if not rows:
                return b"[]\n"
            return b"[" + b"\n,".join(rows) + b"]\n"
        return self.head + b"".join(rows)


# ---------------------------------------------------------------------------
# HTTP handler


class SodaError(Exception):
    def __init__(self, status, body, content_type="application/json;charset=utf-8", headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or []


def pretty(obj):
    return (json.dumps(obj, indent=2, separators=(",", " : "), ensure_ascii=False) + "\n").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    rbufsize = 64 * 1024

    def version_string(self):
        return "nginx"

    # silence default logging
    def log_message(self, fmt, *args):
        if self.server.cfg.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self.dispatch("GET")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    # -- plumbing
    def dispatch(self, method):
        self.t0 = time.time()
        self.req_id = uuid.uuid4().hex
        self.sent_bytes = 0
        self.used_gzip = False
        self.log_entry = None
        try:
            url = urllib.parse.urlsplit(self.path)
            path = url.path
            if path.startswith("/_control/") or path == "/_control":
                return self.control(method, path, url.query)
            self.handle_api(method, path, url.query)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True
            self.finish_log(None)
        except Exception:
            traceback.print_exc()
            try:
                self.send_simple(500, pretty({"code": "internal_error", "error": True,
                                              "message": "Internal error"}))
            except Exception:
                self.close_connection = True

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def base_headers(self):
        return [("Access-Control-Allow-Origin", "*"), ("X-Socrata-RequestId", self.req_id)]

    def start(self, status, headers):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()

    def write(self, data):
        if data:
            self.wfile.write(data)
            self.sent_bytes += len(data)

    def send_simple(self, status, body, content_type="application/json;charset=utf-8", extra=None, method=None):
        headers = [("Content-Type", content_type)] + self.base_headers() + list(extra or [])
        headers.append(("Content-Length", str(len(body))))
        self.start(status, headers)
        self.last_status = status
        head = (method or self.command) == "HEAD"
        self.finish_log(status, 0 if head else len(body))
        if not head:
            self.write(body)
        return status

    def wants_gzip(self):
        if not self.server.cfg.gzip:
            return False
        ae = self.headers.get("Accept-Encoding") or ""
        for part in ae.split(","):
            token = part.strip().split(";")[0].strip().lower()
            if token in ("gzip", "x-gzip"):
                q = 1.0
                if ";" in part:
                    try:
                        q = float(part.split("q=")[1])
                    except Exception:
                        q = 1.0
                return q > 0
        return False

    # -- logging
    def begin_log(self, method, path, dataset, fault_text, params, token_present, query):
        self.log_entry = {
            "seq": None,
            "time": now_fixed(),
            "method": method,
            "path": path,
            "dataset": dataset,
            "fault": fault_text,
            "params": params,
            "query": query,
            "token_present": token_present,
        }

    def finish_log(self, status, nbytes=None):
        """Record the request.  Called just before the last bytes go out, so the
        entry is visible to /_control/log by the time the client has the response."""
        e = self.log_entry
        if e is None:
            return
        self.log_entry = None
        e["status"] = status if status is not None else getattr(self, "last_status", 0)
        e["bytes"] = self.sent_bytes if nbytes is None else nbytes
        e["gzip"] = self.used_gzip
        e["duration_ms"] = int((time.time() - self.t0) * 1000)
        self.server.reqlog.add(e)

    # -- API
    def handle_api(self, method, path, query):
        srv = self.server
        cfg = srv.cfg
        fault_text = None
        spec = None
        fault_active = False
        orig_path = path
        if path.startswith("/fault/"):
            rest = path[len("/fault/"):]
            fault_text, _sep, remainder = rest.partition("/")
            fault_text = urllib.parse.unquote(fault_text)
            path = "/" + remainder
            try:
                spec = faults.parse_spec(fault_text)
            except faults.SpecError as e:
                return self.send_simple(400, pretty({"error": True, "message": "bad fault spec: %s" % e}))
            _n, fault_active = srv.faults.hit(fault_text, spec)
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        token = self.headers.get("X-App-Token")
        params = {}
        filters = []
        for k, v in pairs:
            if k == "$$app_token":
                token = v
            elif k.startswith("$$"):
                continue
            elif k.startswith("$"):
                params[k] = v
            else:
                filters.append((k, v))
        log_params = dict(params)
        for k, v in filters:
            log_params[k] = v
        clean_query = "&".join(urllib.parse.quote(k, safe="$:") + "=" + urllib.parse.quote(v, safe="")
                               for k, v in pairs if k != "$$app_token")

        # route
        kind = None
        dsid = None
        fmt = "json"
        if path.startswith("/resource/"):
            kind = "resource"
            name = path[len("/resource/"):]
            if "." in name:
                dsid, fmt = name.rsplit(".", 1)
            else:
                dsid = name
        elif path.startswith("/api/views/"):
            kind = "views"
            name = path[len("/api/views/"):]
            dsid = name[:-5] if name.endswith(".json") else name
        is_reqlog = dsid == datasets.REQLOG_ID
        if not is_reqlog:
            self.begin_log(method, orig_path, dsid, fault_text, log_params, bool(token), clean_query)

        try:
            if fault_active and spec.get("delay"):
                self.sleep(spec["delay"])
            if kind is None:
                raise SodaError(404, pretty({"code": "not_found", "error": True, "message": "Not found"}))
            if method not in ("GET", "HEAD"):
                raise SodaError(405, pretty({"code": "method_not_allowed", "error": True,
                                             "message": "Method not allowed"}), headers=[("Allow", "GET, HEAD")])
            if cfg.require_token is not None:
                if not token:
                    raise SodaError(403, (json.dumps({"message": "You must be logged in to access this resource",
                                                      "error": True}) + "\n").encode())
                if token != cfg.require_token:
                    raise SodaError(403, pretty({"code": "permission_denied", "error": True,
                                                 "message": "Invalid app_token specified"}))
            if fault_active and spec.get("status") and spec["status"] != 200:
                st = spec["status"]
                reason = self.responses.get(st, ("Error",))[0]
                ctype, body = faults.error_body(st, reason, dsid, soql.soql_text(dsid or "", params))
                extra = []
                if spec.get("retry_after") is not None:
                    ra = spec["retry_after"]
                    extra.append(("Retry-After", str(int(ra)) if float(ra).is_integer() else str(ra)))
                raise SodaError(st, body, ctype, extra)
            ds = srv.reqlog.dataset if is_reqlog else srv.registry.get(dsid)
            if kind == "views":
                if ds is None:
                    raise SodaError(404, pretty({"code": "not_found", "error": True,
                                                 "message": "Cannot find view with id %s" % dsid}))
                body = pretty(ds.metadata())
                return self.send_payload(method, 200, "application/json; charset=utf-8", [body], spec if fault_active else None,
                                         extra=[("Last-Modified", http_date(ds.rows_updated_at))])
            if ds is None:
                raise SodaError(404, pretty({"code": "dataset.missing", "error": True, "message": "Not found",
                                             "data": {"id": dsid}}))
            if fmt not in ("json", "csv"):
                raise SodaError(400, pretty({"code": "query.execution.unsupported-format", "error": True,
                                             "message": "Unsupported format: %s" % fmt}))
            for k in params:
                if k not in soql.KNOWN_PARAMS:
                    raise SodaError(400, pretty({"code": "query.compiler.malformed", "error": True,
                                                 "message": "Unrecognized arguments [%s]" % k,
                                                 "data": {"query": soql.soql_text(dsid, params)}}))
            rendered = self.run_query(ds, params, filters, fmt,
                                      need_rows=bool(fault_active and spec.get("wrongtype")))
            try:
                self.send_result(method, ds, rendered, query, spec if fault_active else None)
            finally:
                rendered.close()    # HEAD, 304, a client gone mid-body: the reader goes back now
        except SodaError as e:
            headers = e.headers
            self.send_payload(method, e.status, e.content_type, [e.body], spec if fault_active else None,
                              extra=headers, error=True)
        finally:
            if not is_reqlog:
                self.finish_log(getattr(self, "last_status", None))

    def sleep(self, seconds):
        end = time.time() + seconds
        while not STOP.is_set():
            left = end - time.time()
            if left <= 0:
                return
            STOP.wait(min(left, 0.2))

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
        ("csv", "full_sys", (), (":id",)): "substr(_csv, 1, length(_csv) - 1) || ',' || _rid || char(10)",
        ("csv", "full_sys", (":id",), ()): "_rid || ',' || _csv",
    }

    WINDOW = 100000
    BATCH = 1000

    def run_query(self, ds, params, filters, fmt, need_rows=False):
        try:
            plan = soql.compile_query(ds, params, filters, datasets.decode_row_id, ds.label)
        except soql.SoQLError as e:
            raise SodaError(400, self.soql_error_body(e, ds, params))
        sql = self.prefer_index(ds, plan.sql, plan.params)
        if fmt == "csv" and plan.mode in ("full", "full_sys"):
            sql = sql.replace("_json FROM", "_csv FROM", 1)
        head = b""
        if fmt == "csv":
            head = (",".join(datasets.csv_cell(f) for f in plan.fields) + "\n").encode()
        pre, post = plan.sys_list if plan.mode == "full_sys" else ((), ())
        concat = self.CONCAT_EXPR.get((fmt, plan.mode, tuple(pre), tuple(post)))
        if plan.json_subset and fmt == "json" and not plan.json_subset[1] and plan.json_subset[2] in ([], [":id"]):
            drop, _pre, post = plan.json_subset
            concat = "CAST(_json AS TEXT)"
            if drop:
                concat = "json_remove(%s, %s)" % (concat, ", ".join("'$.\"%s\"'" % f for f in drop))
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
        A line without a quote splits on commas (C speed); one with quotes goes through the
        csv module, which splits and re-quotes it."""
        prefix = cells == list(range(len(cells)))
        out = []
        for rid, line in rows:
            if b'"' not in line:
                if prefix:
                    kept = line[:-1].rsplit(b",", ncols - len(cells))[0] if len(cells) < ncols else line[:-1]
                else:
                    parts = line[:-1].split(b",")
                    kept = b",".join([parts[i] for i in cells])
            else:
                rec = next(csv.reader([line.decode()]))
                buf = io.StringIO()
                # (the writer quotes a cell holding its line terminator, so keep "\n" there)
                csv.writer(buf, lineterminator="\n").writerow([rec[i] for i in cells])
                kept = buf.getvalue()[:-1].encode()
            out.append(kept + b"," + rid.encode() + b"\n" if with_id else kept + b"\n")
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
            return [r[5][:-1] + b"," + r[0].encode() + b"\n" for r in rows]
        rv = datasets.row_version
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
                parts = [vals[i].encode() for i in ipre] + [line] + [vals[i].encode() for i in ipost]
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

    def etag(self, ds, query, gz):
        h = hashlib.sha1(("%s|%d|%s" % (ds.id, ds.data_version, query)).encode()).digest()
        tag = base64.urlsafe_b64encode(h).decode().rstrip("=")
        return '"%s%s"' % (tag, "--gzip" if gz else "")

    def send_result(self, method, ds, rendered, query, spec):
        cfg = self.server.cfg
        gz = self.wants_gzip()
        ctype = "application/json;charset=utf-8" if rendered.fmt == "json" else "text/csv; charset=utf-8"
        lm = http_date(ds.rows_updated_at)
        etag = self.etag(ds, query + "|" + rendered.fmt, gz)
        extra = [
            ("X-SODA2-Fields", json.dumps(rendered.fields, separators=(",", ":"))),
            ("X-SODA2-Types", json.dumps(rendered.types, separators=(",", ":"))),
            ("X-SODA2-Data-Out-Of-Date", "false"),
            ("X-SODA2-Truth-Last-Modified", lm),
            ("X-SODA2-Secondary-Last-Modified", lm),
            ("Last-Modified", lm),
            ("ETag", etag),
        ]
        inm = self.headers.get("If-None-Match")
        if inm and inm.strip() == etag and not spec:
            headers = self.base_headers() + [("ETag", etag), ("Last-Modified", lm), ("Content-Length", "0")]
            self.start(304, headers)
            self.last_status = 304
            self.finish_log(304, 0)
            return
        if spec and spec.get("wrongtype") and rendered.rows:
            self.apply_wrongtype(ds, rendered, spec)
        stream = (not spec or not any(spec.get(k) for k in ("truncate", "malformed", "stall", "slow"))) and (
            self.request_version != "HTTP/1.0") and (
            cfg.chunked == "always" or (cfg.chunked == "auto" and (rendered.count is None
                                                                   or rendered.count > cfg.chunk_rows)))
        if stream:
            return self.send_streamed(method, 200, ctype, rendered.segments(), gz, extra)
        return self.send_payload(method, 200, ctype, [rendered.body()], spec, extra=extra, gz=gz)

    def apply_wrongtype(self, ds, rendered, spec):
        field = spec["wrongtype"]
        k = min(spec.get("row", 0), len(rendered.rows) - 1)
        col = ds.columns_by_field.get(field)
        if field in rendered.fields:
            t = rendered.types[rendered.fields.index(field)]
        else:
            t = col.soql_type if col is not None else "text"
        if rendered.fmt == "json":
            rendered.rows[k] = faults.wrong_json_row(rendered.rows[k], field, t)
        else:
            rendered.rows[k] = faults.wrong_csv_row(rendered.rows[k], rendered.fields, field, t)

    def send_streamed(self, method, status, ctype, segments, gz, extra):
        headers = [("Content-Type", ctype)] + self.base_headers() + list(extra)
        headers += [("Vary", "Accept-Encoding"), ("Age", "0"), ("X-Socrata-Region", "local")]
        if gz:
            headers.append(("Content-Encoding", "gzip"))
            self.used_gzip = True
        headers.append(("Transfer-Encoding", "chunked"))
        self.start(status, headers)
        self.last_status = status
        if method == "HEAD":
            return
        if gz:
            segments = parallel_gzip(segments, self.server.cfg.gzip_level)
        pending = []
        pending_len = 0
        flush_at = 16 * 1024    # the first rows go as soon as there are some, then 256 KB chunks
        try:
            for data in segments:
                if data:
                    pending.append(data)
                    pending_len += len(data)
                if pending_len >= flush_at:
                    self.send_chunk(pending, pending_len)
                    pending = []
                    pending_len = 0
                    flush_at = 256 * 1024
        except (sqlite3.Error, OverflowError, ValueError):
            # the query failed after the headers went out: a real server can only cut the
            # body short (no last chunk), which the client sees as a broken response
            sys.stderr.write("query failed mid-body, response cut short: %s\n" % traceback.format_exc(limit=1))
            self.close_connection = True
            self.finish_log(status, self.sent_bytes)
            return
        self.finish_log(status, self.sent_bytes + pending_len)
        if pending_len:
            self.send_chunk(pending, pending_len)
        self.sendv([b"0\r\n\r\n"])

    def send_chunk(self, parts, n):
        self.sendv([b"%x\r\n" % n] + parts + [b"\r\n"])
        self.sent_bytes += n

    def sendv(self, bufs):
        """Gather-write (one sendmsg per call, no joining copies), finishing partial sends."""
        sock = self.connection
        total = sum(len(b) for b in bufs)
        sent = sock.sendmsg(bufs)
        if sent < total:
            rest = b"".join(bytes(b) for b in bufs)[sent:]
            sock.sendall(rest)

    def send_payload(self, method, status, ctype, parts, spec, extra=(), error=False, gz=None):
        """Send a complete body with Content-Length, applying body faults."""
        body = parts[0] if len(parts) == 1 else b"".join(parts)
        if spec and spec.get("malformed") and not error and status == 200:
            body = faults.malform_json(body) if ctype.startswith("application/json") else faults.malform_csv(body)
        if gz is None:
            gz = self.wants_gzip()
        headers = [("Content-Type", ctype)] + self.base_headers() + list(extra)
        headers += [("Vary", "Accept-Encoding"), ("Age", "0"), ("X-Socrata-Region", "local")]
        if gz and body:
            body = zlib.compress(body, self.server.cfg.gzip_level, 31) if sys.version_info >= (3, 11) else \
                _gzip(body, self.server.cfg.gzip_level)
            headers.append(("Content-Encoding", "gzip"))
            self.used_gzip = True
        headers.append(("Content-Length", str(len(body))))
        self.start(status, headers)
        self.last_status = status
        if method == "HEAD":
            self.finish_log(status, 0)
            return
        if spec and spec.get("truncate") and not error:
            self.finish_log(status, len(body) // 2)
            self.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            return
        if spec and spec.get("stall") and not error:
            first = body[:max(1, len(body) // 2)]
            self.write(first)
            self.sleep(spec["stall"])
            if STOP.is_set():
                self.close_connection = True
                return
            body = body[len(first):]
        self.finish_log(status, len(body) + self.sent_bytes)
        if spec and spec.get("slow") and not error:
            rate = float(spec["slow"])
            step = max(1, int(rate / 20))
            for i in range(0, len(body), step):
                piece = body[i:i + step]
                self.write(piece)
                self.sleep(len(piece) / rate)
                if STOP.is_set():
                    self.close_connection = True
                    return
            return
        self.write(body)

    # -- control API
    def control(self, method, path, query):
        srv = self.server
        q = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        parts = [p for p in path.split("/") if p][1:]   # drop "_control"

        def ok(obj, status=200):
            return self.send_simple(status, (json.dumps(obj, indent=1) + "\n").encode())

        def fail(status, msg):
            return self.send_simple(status, (json.dumps({"error": True, "message": msg}) + "\n").encode())

        try:
            if parts == ["health"] or parts == []:
                return ok({"ok": True, "seq": srv.reqlog.current()})
            if parts == ["seq"] and method == "GET":
                return ok({"seq": srv.reqlog.current()})
            if parts == ["log"] and method == "GET":
                since = int(q.get("since", "0") or 0)
                limit = int(q["limit"]) if q.get("limit") else None
                return ok(srv.reqlog.since(since, q.get("dataset") or None, limit))
            if parts == ["reset"] and method == "POST":
                self.read_body()
                t0 = time.time()
                srv.registry.load_all()
                srv.faults.reset()
                return ok({"ok": True, "seconds": round(time.time() - t0, 3), "datasets": self.dataset_list()})
            if parts == ["faults"] and method == "GET":
                return ok(srv.faults.snapshot())
            if parts == ["faults", "reset"] and method == "POST":
                self.read_body()
                srv.faults.reset()
                return ok({"ok": True})
            if parts == ["datasets"] and method == "GET":
                return ok(self.dataset_list())
            if len(parts) == 3 and parts[0] == "datasets" and method == "POST":
                dsid, action = parts[1], parts[2]
                body = self.read_body()
                ds = srv.registry.get(dsid)
                if ds is None:
                    return fail(404, "no such dataset: %s" % dsid)
                if action == "clone":
                    to = q.get("to", "")
                    if not _4X4.match(to):
                        return fail(400, "clone needs ?to=<new 4x4 id> (like abcd-1234)")
                    if to == datasets.REQLOG_ID:
                        return fail(400, "reserved id")
                    new = srv.registry.clone(dsid, to)
                    return ok({"ok": True, "id": to, "rows": new.rows})
                if action in ("upsert", "delete"):
                    try:
                        payload = json.loads(body or b"null")
                    except ValueError as e:
                        return fail(400, "body is not JSON: %s" % e)
                    try:
                        if action == "upsert":
                            at = q.get("at")
                            if at:
                                at = soql.fixed_literal(at)
                            res = ds.upsert(payload, at)
                        else:
                            if not isinstance(payload, dict) or not isinstance(payload.get("ids"), list):
                                return fail(400, 'body must be {"ids": [...]}')
                            res = ds.delete(payload["ids"])
                    except (datasets.BadValue, ValueError) as e:
                        return fail(400, str(e))
                    return ok(res)
                if action == "drop":
                    srv.registry.remove(dsid)
                    return ok({"ok": True})
                return fail(404, "unknown dataset action: %s" % action)
            return fail(404, "unknown control endpoint: %s %s" % (method, path))
        except (ValueError, KeyError) as e:
            return fail(400, str(e))

    def dataset_list(self):
        reg = self.server.registry
        with reg.lock:
            items = list(reg.datasets.values())
        out = [{"id": d.id, "name": d.d["name"], "rows": d.rows, "rowsUpdatedAt": d.rows_updated_at} for d in items]
        lg = self.server.reqlog.dataset
        out.append({"id": lg.id, "name": lg.d["name"], "rows": lg.rows, "rowsUpdatedAt": lg.rows_updated_at})
        return out


_GZ_POOL = None


def _deflate_piece(data, level):
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)


def parallel_gzip(segments, level, workers=None):
    """gzip a stream of byte segments as one gzip member, compressing the segments
    in parallel (zlib releases the GIL): each is deflated on its own and ends on a
    byte boundary (sync flush), as pigz does; CRC32 and size are chained in order."""
    import concurrent.futures
    import struct
    global _GZ_POOL
    if _GZ_POOL is None:
        _GZ_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=workers or max(2, os.cpu_count() or 2),
                                                         thread_name_prefix="gzip")
    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
    crc = 0
    size = 0
    inflight = []
    for seg in segments:
        crc = zlib.crc32(seg, crc)
        size += len(seg)
        inflight.append(_GZ_POOL.submit(_deflate_piece, seg, level))
        while len(inflight) > 4:
            yield inflight.pop(0).result()
    for f in inflight:
        yield f.result()
    yield b"\x03\x00" + struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)


def _gzip(body, level):
    c = zlib.compressobj(level, zlib.DEFLATED, 31)
    return c.compress(body) + c.flush()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port


# ---------------------------------------------------------------------------
# main


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Local SODA 2.1 test server (loopback only).")
    ap.add_argument("--port", type=int, default=25480)
    ap.add_argument("--host", default="127.0.0.1", help="loopback address to bind (127.0.0.1 or ::1)")
    ap.add_argument("--data-dir", help="directory with crimes.csv[.gz], police_stations.csv, ... "
                                       "(default: the repo's data/, or ../shared/data with --full)")
    ap.add_argument("--full", action="store_true", help="use ../shared/data (the full real files) if present")
    ap.add_argument("--crimes", "--big-crimes", dest="crimes", help="crimes file (csv or csv.gz) overriding the data dir's")
    ap.add_argument("--log", help="append one JSON line per request to this file")
    ap.add_argument("--pidfile", help="write the server pid here once listening")
    ap.add_argument("--require-token", help="answer 403 unless this app token is sent (X-App-Token or $$app_token)")
    ap.add_argument("--no-gzip", dest="gzip", action="store_false", help="never gzip responses")
    ap.add_argument("--gzip-level", type=int, default=1, help="zlib level for gzip responses (default 1)")
    ap.add_argument("--chunked", choices=("auto", "always", "never"), default="auto",
                    help="Transfer-Encoding: chunked for results (auto: when more than --chunk-rows rows)")
    ap.add_argument("--chunk-rows", type=int, default=10000)
    ap.add_argument("--window-rows", type=int, default=100000,
                    help="fast-path results are read this many rows per query (the reader lock is let go between)")
    ap.add_argument("--key-order", choices=("column", "sorted"), default="column",
                    help="key order of full rows: dataset column order (as the real API) or sorted")
    ap.add_argument("--load-workers", type=int, default=2,
                    help="processes building rows of big files at start-up (0 or 1: none)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        ap.error("the test server binds loopback only (127.0.0.1 or ::1)")
    if args.host == "localhost":
        args.host = "127.0.0.1"
    return args


def resolve_data_dir(args):
    if args.data_dir:
        return os.path.abspath(args.data_dir)
    shared = os.path.abspath(os.path.join(REPO_ROOT, "..", "shared", "data"))
    if args.full and os.path.isdir(shared):
        return shared
    return os.path.join(REPO_ROOT, "data")


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    data_dir = resolve_data_dir(args)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    t0 = time.time()
    registry = datasets.Registry(data_dir, args.crimes, args.key_order, log=log, workers=args.load_workers)
    registry.load_all()
    registry.workers = 0        # later reloads (/_control/reset) run in a threaded process: no fork
    load_s = time.time() - t0

    if args.host == "::1":
        class Srv6(Server):
            address_family = socket.AF_INET6
        srv = Srv6((args.host, args.port), Handler)
    else:
        srv = Server((args.host, args.port), Handler)
    srv.cfg = args
    Handler.WINDOW = max(1, args.window_rows)
    srv.registry = registry
    srv.faults = faults.Registry()
    srv.reqlog = RequestLog(args.log, args.key_order)

    stop_evt = threading.Event()

    def on_signal(signum, frame):
        STOP.set()
        stop_evt.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    th = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    th.start()
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    counts = " ".join("%s=%d" % (d.id, d.rows) for d in registry.datasets.values())
    print("ready: http://%s:%d %s (loaded in %.1fs from %s)" % (
        args.host, srv.server_address[1], counts, load_s, args.crimes or data_dir), flush=True)
    while not stop_evt.wait(1.0):
        pass
    srv.shutdown()
    srv.server_close()
    if args.pidfile:
        try:
            os.unlink(args.pidfile)
        except OSError:
            pass
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
