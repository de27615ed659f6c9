#!/usr/bin/python3
"""Local SODA 2.1 (Socrata Open Data API) test server for the socrata_fdw project.

Serves City of Chicago datasets (crimes ijzp-q8t2, police stations z8bn-74gv,
ward offices htai-wnw4, IUCR codes c7ck-438e) from CSV files, faithfully to the
real API's wire formats, errors, headers and paging, plus fault injection
(/fault/<spec>/...), a control API (/_control/...) and a request log that is
itself a dataset (reqs-logs).  Loopback only; Python standard library only.

The server is split by concern: http_handler (the handler: routing and
sending), query_runner (running queries), control_api (/_control/),
responses (results and errors to send), request_log, and the datasets and
SoQL modules it serves with.  This script holds Server and main.

    /usr/bin/python3 test/soda_server/soda_server.py --port 25480

See docs/soda-test-server.md.
"""

import argparse
import http.server
import os
import signal
import socket
import socketserver
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import dataset_registry  # noqa: E402
import faults  # noqa: E402
from http_handler import STOP, Handler  # noqa: E402
from request_log import RequestLog  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


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
    ap.add_argument("--max-request-line", type=int, default=8192,
                    help="answer 414 (as nginx does) for a longer request line; 0: Python's 64k limit")
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
    registry = dataset_registry.Registry(data_dir, args.crimes, args.key_order, log=log, workers=args.load_workers)
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
