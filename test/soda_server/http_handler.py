"""The HTTP request handler of the SODA API: plumbing, the request log entry,
routing of /resource/ and /api/views/ (fault specs, app tokens, parameters),
and sending results and errors (Content-Length or chunked, gzip, the body
faults), with the gzip helpers; STOP, set by main on SIGTERM/SIGINT, cuts the
fault pauses short.  Running queries (query_runner) and the control API
(control_api) are mixins of their own; Server and main are in soda_server.py.
"""

import base64
import email.utils
import hashlib
import http.server
import json
import os
import select
import socket
import sqlite3
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
import zlib

import content_negotiation
import dataset_defs
import datasets
import faults
import soql
from control_api import ControlApi
from query_runner import QueryRunner
from responses import SodaError, pretty

STOP = threading.Event()

# What nginx (in front of Socrata) answers for a request line longer than one of its header
# buffers (large_client_header_buffers, 8k by default), before the API sees the request.
NGINX_414_BODY = (b"<html>\r\n<head><title>414 Request-URI Too Large</title></head>\r\n<body>\r\n"
                  b"<center><h1>414 Request-URI Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n"
                  b"</body>\r\n</html>\r\n")


def http_date(epoch):
    return email.utils.formatdate(epoch, usegmt=True)


# ---------------------------------------------------------------------------
# HTTP handler



# soda-fountain's rule (Exporter.scala): the two headers only while together they stay under
# 5,000 characters (its front end limits headers to 6 kB), with a deprecation warning either way.
SODA2_HEADERS_LIMIT = 5000
SODA2_DEPRECATED = ("X-SODA2-Fields and X-SODA2-Types are deprecated.  "
                    "Use the c-json output format if you require this information.")
SODA2_SUPPRESSED = ("X-SODA2-Fields and X-SODA2-Types are deprecated and have been suppressed for "
                    "being too large.  Use the c-json output format if you require this information.")


def soda2_field_headers(fields, types):
    fields_json = json.dumps(fields, separators=(",", ":"))
    types_json = json.dumps(types, separators=(",", ":"))
    if len(fields_json) + len(types_json) < SODA2_HEADERS_LIMIT:
        return [("X-SODA2-Fields", fields_json), ("X-SODA2-Types", types_json),
                ("X-SODA2-Warning", SODA2_DEPRECATED)]
    return [("X-SODA2-Warning", SODA2_SUPPRESSED)]

class Handler(QueryRunner, ControlApi, http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    rbufsize = 64 * 1024

    def version_string(self):
        return "nginx"

    def parse_request(self):
        limit = self.server.cfg.max_request_line
        if limit and len(self.raw_requestline) > limit:
            # Refused like nginx: HTML, connection closed, nothing logged by the API.
            self.requestline = "(request line of %d bytes)" % len(self.raw_requestline)
            self.request_version = "HTTP/1.1"
            self.command = "GET"
            self.close_connection = True
            self.send_response(414)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(NGINX_414_BODY)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(NGINX_414_BODY)
            return False
        return super().parse_request()

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
            "time": datasets.now_fixed(),
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
        if fault_active and spec.get("replay"):
            params, filters = srv.faults.replay(fault_text, (params, filters))
        if fault_active:
            params = faults.shifted_offset(spec, params)
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
        is_reqlog = dsid == dataset_defs.REQLOG_ID
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
                ctype, body = faults.error_body(st, reason, dsid, soql.soql_text(dsid or "", params),
                                               spec.get("message"), views=kind == "views")
                extra = []
                if spec.get("retry_after") is not None:
                    ra = spec["retry_after"]
                    extra.append(("Retry-After", str(int(ra)) if float(ra).is_integer() else str(ra)))
                raise SodaError(st, body, ctype, extra)
            ds = srv.reqlog.dataset if is_reqlog else srv.registry.get(dsid)
            if kind == "views":
                if ds is None:
                    raise SodaError(404, pretty(faults.views_not_found(dsid)))
                metadata = ds.metadata()
                if fault_active and spec.get("view_id"):
                    # A portal answering an old id (or a proxy rewriting it) with another one.
                    metadata = dict(metadata, id=spec["view_id"])
                body = pretty(metadata)
                return self.send_payload(method, 200, "application/json; charset=utf-8", [body], spec if fault_active else None,
                                         extra=[("Last-Modified", http_date(ds.rows_updated_at))])
            if ds is None:
                raise SodaError(404, pretty(faults.resource_not_found(dsid)))
            if fmt not in ("json", "csv"):
                raise SodaError(400, pretty({"code": "query.execution.unsupported-format", "error": True,
                                             "message": "Unsupported format: %s" % fmt}))
            fmt = content_negotiation.chosen_format(fmt, self.headers.get("Accept"))
            if fmt is None:
                raise SodaError(406, pretty({"code": "not_acceptable", "error": True,
                                             "message": "No acceptable representation for %s" %
                                                        self.headers.get("Accept")}))
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

    def sleep_unless_client_leaves(self, seconds):
        """Sleeps like sleep(); returns True early if the client closed the connection (a stall
        it gave up on), so that the request is logged then, not when the pause would have ended,
        in the middle of whatever the client does next."""
        end = time.time() + seconds
        while not STOP.is_set():
            left = end - time.time()
            if left <= 0:
                return False
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.2))
            if readable:
                try:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        return True
                except OSError:
                    return True
                STOP.wait(min(left, 0.2))  # bytes of a next request: keep pausing
        return False

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
        extra = soda2_field_headers(rendered.fields, rendered.types) + [
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
        stream = (not spec or not any(spec.get(k) for k in ("truncate", "malformed", "stall", "slow",
                                                            "unframed", "maintenance"))) and (
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

    def close_after_body(self):
        """End the response by closing the connection: the client reads to its end."""
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass

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
        if spec and spec.get("maintenance") and not error and status == 200:
            body, ctype = faults.MAINTENANCE_PAGE, "text/html; charset=utf-8"
        # Ended only by closing the connection (no Content-Length, no chunks), as an HTTP/1.0
        # proxy sends a body; with truncate, cut at a line end, where a CSV body looks whole.
        unframed = bool(spec and spec.get("unframed")) and not error
        if unframed and spec.get("truncate"):
            body = faults.cut_at_line_end(body)
        if gz is None:
            gz = self.wants_gzip()
        headers = [("Content-Type", ctype)] + self.base_headers() + list(extra)
        headers += [("Vary", "Accept-Encoding"), ("Age", "0"), ("X-Socrata-Region", "local")]
        if gz and body:
            body = zlib.compress(body, self.server.cfg.gzip_level, 31) if sys.version_info >= (3, 11) else \
                _gzip(body, self.server.cfg.gzip_level)
            headers.append(("Content-Encoding", "gzip"))
            self.used_gzip = True
        headers.append(("Connection", "close") if unframed else ("Content-Length", str(len(body))))
        self.start(status, headers)
        self.last_status = status
        if method == "HEAD":
            self.finish_log(status, 0)
            return
        if unframed:
            self.finish_log(status, len(body))
            self.write(body)
            self.close_after_body()
            return
        if spec and spec.get("truncate") and not error:
            self.finish_log(status, len(body) // 2)
            self.write(body[:len(body) // 2])
            self.close_after_body()
            return
        if spec and spec.get("stall") and not error:
            first = body[:max(1, len(body) // 2)]
            self.write(first)
            if self.sleep_unless_client_leaves(spec["stall"]):
                self.finish_log(status, self.sent_bytes)
                self.close_connection = True
                return
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
