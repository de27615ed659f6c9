#!/usr/bin/python3
"""The measurements of bench/run.sh (see docs/benchmark.md).

    bench.py measure --rows N --out results-N.json   (cluster + SODA server already running,
                                                      per scripts/env.sh's environment)
    bench.py report results-*.json [--write FILE]    table + issue 5 targets

Every database measurement runs in a fresh session (a new backend), so that the backend's VmHWM,
read at the end of the same session through pg_read_file('/proc/<pid>/status'), belongs to that
measurement alone. A thread also samples the backend's RssAnon (private memory) every 20 ms:
VmHWM includes the shared buffers the backend touched, RssAnon does not.
Bytes transferred are the response bytes the SODA server logged (its request log) during the
measurement.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DATASET = "ijzp-q8t2"
FIELDS = ["id", "case_number", "date", "block", "iucr", "primary_type", "description",
          "location_description", "arrest", "domestic", "beat", "district", "ward",
          "community_area", "fbi_code", "x_coordinate", "y_coordinate", "year", "updated_on",
          "latitude", "longitude", "location"]
# What crime_sync() reads: every field but the location point, so its pages come as CSV.
SYNC_FIELDS = FIELDS[:-1]
INC_COLS = ["id", "case_number", "occurred_at", "block", "iucr", "primary_type", "description",
            "location_description", "arrest", "domestic", "beat", "district", "ward",
            "community_area", "fbi_code", "x_coordinate", "y_coordinate", "year", "updated_at",
            "latitude", "longitude"]

PARALLEL_SORT_LOAD = "crime_sync() full, 64MB sorts"
INCREMENTAL_AGAIN = "crime_sync() incr. 1%, again"
SODA_URL = os.environ.get("SODA_URL", "http://127.0.0.1:25481")
REQLOG = os.path.join(os.environ.get("RUN_DIR", os.path.join(REPO, ".run", "bench")), "soda", "requests.log")


TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    """CPU seconds of a process and its waited-for children (utime+stime+cutime+cstime)."""
    if not pid:
        return None
    try:
        with open("/proc/%d/stat" % pid) as f:
            v = f.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in v[11:15]) / TICK
    except (OSError, IndexError, ValueError):
        return None


def minor_faults(pid):
    """Minor page faults of a process so far (/proc/PID/stat field 10): each is a 4 kB page of
    memory mapped into the process for the first time, shared buffers included."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[7])
    except (OSError, IndexError, ValueError):
        return None


def server_pid():
    try:
        with open(os.path.join(os.path.dirname(REQLOG), "server.pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


class ServerCPU:
    def __init__(self):
        self.pid = server_pid()
        self.t0 = cpu_s(self.pid)

    def done(self):
        t = cpu_s(self.pid)
        return None if t is None or self.t0 is None else t - self.t0


def children_cpu():
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def conninfo_value(v):
    """A libpq connection-string value, quoted: the socket directory is under the repository,
    whose path may hold a space."""
    return "'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'"


def dsn(db=None):
    return "host=%s port=%s dbname=%s user=postgres" % (
        conninfo_value(os.environ["PGHOST"]), conninfo_value(os.environ["PGPORT"]),
        conninfo_value(db or os.environ.get("PGDATABASE", "chicago")))


# --------------------------------------------------------------------------------------------
# SODA request log: bytes sent between two points


class ServerBytes:
    def __init__(self):
        self.pos = os.path.getsize(REQLOG) if os.path.exists(REQLOG) else 0

    def done(self):
        n = reqs = 0
        time.sleep(0.05)  # the server logs after the last write
        with open(REQLOG, "rb") as f:
            f.seek(self.pos)
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if e.get("dataset") == DATASET:
                    n += int(e.get("bytes") or 0)
                    reqs += 1
        return n, reqs


# --------------------------------------------------------------------------------------------
# A backend's memory


class Sampler(threading.Thread):
    """Peak RssAnon of a process, sampled every 20 ms; the pid may be found later (pid_fn)."""

    def __init__(self, pid=None, pid_fn=None):
        super().__init__(daemon=True)
        self.pid = pid
        self.pid_fn = pid_fn
        self.peak_anon = 0
        self.last_cpu = None
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            if self.pid is None and self.pid_fn:
                try:
                    self.pid = self.pid_fn()
                except Exception:
                    pass
            if self.pid:
                try:
                    with open("/proc/%d/status" % self.pid) as f:
                        for line in f:
                            if line.startswith("RssAnon:"):
                                self.peak_anon = max(self.peak_anon, int(line.split()[1]))
                    c = cpu_s(self.pid)
                    if c is not None:
                        self.last_cpu = c
                except OSError:
                    pass
            self.stop.wait(0.02)

    def finish(self):
        self.stop.set()
        self.join()
        return self.peak_anon


def vmhwm_kb(cur):
    cur.execute("SELECT pg_read_file('/proc/' || pg_backend_pid() || '/status')")
    for line in cur.fetchone()[0].splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


class Session:
    """A fresh backend for one measurement: time what runs inside `with`, then VmHWM."""

    def __init__(self, db=None, autocommit=True):
        self.conn = psycopg2.connect(dsn(db))
        self.conn.autocommit = autocommit
        self.cur = self.conn.cursor()
        self.cur.execute("SELECT pg_backend_pid()")
        self.pid = self.cur.fetchone()[0]

    def __enter__(self):
        self.bytes = ServerBytes()
        self.srv_cpu = ServerCPU()
        self.pg_cpu0 = cpu_s(self.pid)
        self.faults0 = minor_faults(self.pid)
        self.sampler = Sampler(self.pid)
        self.sampler.start()
        self.t0 = time.time()
        return self

    def __exit__(self, *exc):
        self.seconds = time.time() - self.t0
        self.peak_anon_kb = self.sampler.finish()
        if exc[0] is not None:
            return False
        self.nbytes, self.nreqs = self.bytes.done()
        self.server_cpu = self.srv_cpu.done()
        c = cpu_s(self.pid)
        self.pg_cpu = None if c is None or self.pg_cpu0 is None else c - self.pg_cpu0
        f = minor_faults(self.pid)
        self.faults = None if f is None or self.faults0 is None else f - self.faults0
        if not self.conn.autocommit:
            self.conn.rollback()
        self.hwm_kb = vmhwm_kb(self.cur)
        self.conn.close()
        return False

    def result(self, name, rows, **extra):
        r = {"name": name, "rows": rows, "seconds": self.seconds, "bytes": self.nbytes,
             "requests": self.nreqs, "vmhwm_kb": self.hwm_kb, "peak_anon_kb": self.peak_anon_kb,
             "server_cpu": self.server_cpu, "pg_cpu": self.pg_cpu, "minor_faults": self.faults}
        r.update(extra)
        log("%-28s %8d rows %8.2f s %9.0f rows/s  VmHWM %.1f MB  RssAnon peak %.1f MB" % (
            name, rows, self.seconds, rows / self.seconds if self.seconds else 0,
            (self.hwm_kb or 0) / 1024, self.peak_anon_kb / 1024))
        return r


def timed_value(sql, db=None):
    """Runs a query of one value in a fresh backend, measured: -> (the value, the Session)."""
    with Session(db) as s:
        s.cur.execute(sql)
        value = s.cur.fetchone()[0]
    return value, s


# The scans, and the curl pulls they are compared with, are short, and on a shared VM one run
# can land on a busy second: each is run this many times and its fastest run is reported (the
# largest VmHWM and private memory of its runs, so memory is never flattered).
SCAN_RUNS = 3


def best_of(runs, measure):
    """Runs measure() `runs` times; the fastest result, with every run's time under "runs"."""
    results = [measure() for _ in range(runs)]
    best = dict(min(results, key=lambda r: r["seconds"]))
    best["runs"] = [r["seconds"] for r in results]
    for key in ("vmhwm_kb", "peak_anon_kb"):
        values = [r[key] for r in results if r.get(key) is not None]
        if values:
            best[key] = max(values)
    return best


def psql_admin(sql, db=None):
    conn = psycopg2.connect(dsn(db))
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(sql)
    out = cur.fetchall() if cur.description else None
    conn.close()
    return out


def setup_db(db, page_size, use_gzip):
    psql_admin("CREATE EXTENSION IF NOT EXISTS chicago_crime CASCADE", db)
    psql_admin("ALTER SERVER chicago_data_portal OPTIONS (SET base_url '%s', ADD page_size '%d', "
               "ADD use_gzip '%s')" % (SODA_URL, page_size, "true" if use_gzip else "false"), db)


def fresh_database(db, args):
    """A new database in the bench cluster, with the extensions set up as for the main one."""
    psql_admin("DROP DATABASE IF EXISTS %s" % db)
    psql_admin("CREATE DATABASE %s" % db)
    setup_db(db, args.page_size, args.gzip)


# --------------------------------------------------------------------------------------------
# Server check: plain curl


def curl_keyset(page_size, gzip, fmt="json", fields=FIELDS, name=None):
    """All rows through the FDW's keyset pages, one curl per page (a new connection each, as a
    shell script would); the last row's :id read back with a tiny parser."""
    base = "%s/resource/%s.%s" % (SODA_URL, DATASET, fmt)
    select = ",".join(fields + [":id"])
    out = os.path.join(HERE, "out", "curl-page." + fmt)
    # JSON: the :id keys; CSV: the last cell of each record, quoted (":id" values start with "row-")
    marker = b'":id":"' if fmt == "json" else b',"row-'
    skip = 7 if fmt == "json" else 2
    stop = b'"'
    last = None
    rows = 0
    urls = []
    t0 = time.time()
    sb = ServerBytes()
    sc = ServerCPU()
    cc = children_cpu()
    while True:
        q = [("$select", select), ("$order", ":id"), ("$limit", str(page_size))]
        if last is not None:
            q.append(("$where", ":id > '%s'" % last))
        url = base + "?" + urllib.parse.urlencode(q, safe="$:,")
        urls.append(url)
        cmd = ["curl", "-sf", "-o", out, url] + (["--compressed"] if gzip else [])
        subprocess.run(cmd, check=True)
        with open(out, "rb") as f:
            body = f.read()
        # tiny parser: count rows by their :id, take the last one
        n = body.count(marker)
        rows += n
        if n == 0:
            break
        k = body.rfind(marker) + skip
        last = body[k:body.index(stop, k)].decode()
        if n < page_size:
            break
    seconds = time.time() - t0
    nbytes, reqs = sb.done()
    os.unlink(out)
    name = name or "curl JSON keyset"
    return {"name": name + (" gzip" if gzip else ""), "rows": rows, "seconds": seconds,
            "bytes": nbytes, "requests": reqs, "vmhwm_kb": None, "peak_anon_kb": None,
            "server_cpu": sc.done(), "client_cpu": children_cpu() - cc, "urls": urls}


def curl_pages_one_process(keyset, gzip):
    """The same pages as a keyset pull (its URLs, known from that pass), fetched by one curl
    process over one kept-alive connection, bodies thrown away: the fastest a plain HTTP client
    pulls them, with no process per page and no parsing. The scan target is judged on this."""
    config = os.path.join(HERE, "out", "curl-pages.cfg")
    with open(config, "w") as f:
        for url in keyset["urls"]:
            f.write('url = "%s"\noutput = "/dev/null"\n' % url.replace("\\", "\\\\").replace('"', '\\"'))
    sb = ServerBytes()
    sc = ServerCPU()
    cc = children_cpu()
    t0 = time.time()
    subprocess.run(["curl", "-sf", "-K", config] + (["--compressed"] if gzip else []), check=True)
    seconds = time.time() - t0
    nbytes, reqs = sb.done()
    os.unlink(config)
    name = keyset["name"].replace("keyset", "pages, one process")
    return {"name": name, "rows": keyset["rows"], "seconds": seconds, "bytes": nbytes,
            "requests": reqs, "vmhwm_kb": None, "peak_anon_kb": None,
            "server_cpu": sc.done(), "client_cpu": children_cpu() - cc}


def curl_csv(n):
    url = "%s/resource/%s.csv?$limit=%d&$order=:id" % (SODA_URL, DATASET, n)
    sb = ServerBytes()
    sc = ServerCPU()
    cc = children_cpu()
    t0 = time.time()
    subprocess.run(["curl", "-sf", "-o", "/dev/null", "-w", "%{size_download}", url],
                   check=True, capture_output=True, text=True)
    seconds = time.time() - t0
    nbytes, reqs = sb.done()
    return {"name": "curl CSV (as baseline b)", "rows": n, "seconds": seconds, "bytes": nbytes,
            "requests": reqs, "vmhwm_kb": None, "peak_anon_kb": None,
            "server_cpu": sc.done(), "client_cpu": children_cpu() - cc}


# --------------------------------------------------------------------------------------------
# Measurements


def explain_check():
    rows = psql_admin("EXPLAIN (VERBOSE) SELECT count(*) FROM crime.portal_crimes c WHERE c IS NULL")
    text = "\n".join(r[0] for r in rows)
    m = re.search(r"Socrata query: (.*)", text)
    q = m.group(1) if m else ""
    sel = re.search(r"\$select=([^&]*)", q)
    got = sel.group(1).split(",") if sel else []
    missing = [f for f in FIELDS if f not in got]
    if missing or "Aggregate" not in text:
        raise SystemExit("full-row scan does not request every column (missing %s):\n%s" % (missing, text))
    return q


def sync_with_breakdown(name, n_expected):
    """SELECT * FROM crime_sync() in one transaction with track_functions = all, so that
    pg_stat_xact_user_functions splits its time: merge_incidents (fetch + upsert),
    portal_matches_warehouse and months_out_of_sync (deletion check), refresh_reference_data,
    refresh_views."""
    with Session(autocommit=False) as s:
        s.cur.execute("SET LOCAL track_functions = 'all'")
        s.cur.execute("SELECT status, rows_fetched, inserted, updated, unchanged, deleted, "
                      "extract(epoch FROM duration)::float8, views_refreshed, error FROM crime_sync()")
        run = s.cur.fetchone()
        s.cur.execute("SELECT funcname, calls, total_time FROM pg_stat_xact_user_functions "
                      "WHERE schemaname = 'crime'")
        funcs = {f: (c, t / 1000.0) for f, c, t in s.cur.fetchall()}
        s.conn.commit()
        s.conn.autocommit = True
    if run[0] != "succeeded":
        raise SystemExit("%s: crime_sync() %s: %s" % (name, run[0], run[8]))
    parts = {k: funcs.get(k, (0, 0.0))[1] for k in
             ("merge_incidents", "portal_matches_warehouse", "months_out_of_sync", "refresh_reference_data",
              "refresh_views")}
    return s.result(name, run[1], run={"fetched": run[1], "inserted": run[2], "updated": run[3],
                                       "unchanged": run[4], "deleted": run[5], "duration_s": run[6],
                                       "views_refreshed": run[7]}, parts=parts)


def staging_b_sql(n):
    url = "%s/resource/%s.csv?$limit=%d&$order=:id" % (SODA_URL, DATASET, n)
    cols = ",\n    ".join("%s text" % f for f in FIELDS)
    conv = ("id::bigint, case_number, date::timestamp, block, iucr, primary_type, description, "
            "location_description, arrest::boolean, domestic::boolean, beat, district::integer, "
            "ward::integer, community_area::integer, fbi_code, x_coordinate::numeric, "
            "y_coordinate::numeric, year::integer, updated_on::timestamp, latitude::float8, "
            "longitude::float8")
    upd = ", ".join("%s = EXCLUDED.%s" % (c, c) for c in INC_COLS[1:])
    return [
        "CREATE TEMP TABLE staging (\n    %s\n)" % cols,
        "COPY staging FROM PROGRAM 'curl -sf ''%s''' WITH (FORMAT csv, HEADER true)" % url,
        "INSERT INTO bench_b (%s)\nSELECT %s FROM staging\nON CONFLICT (id) DO UPDATE SET %s" % (
            ", ".join(INC_COLS), conv, upd),
        "DROP TABLE staging",
    ]


# Every column crime_sync() reads, each converted, nothing returned.
SYNC_SCAN = ("SELECT count(*) FROM (SELECT %s FROM crime.portal_crimes OFFSET 0) AS x WHERE x IS NULL"
             % ", ".join(SYNC_FIELDS))


def explain_sync_scan():
    text = "\n".join(r[0] for r in psql_admin("EXPLAIN (VERBOSE) " + SYNC_SCAN))
    m = re.search(r"Socrata request: (\S*)", text)
    if not m or ".csv?" not in m.group(1):
        raise SystemExit("the scan of crime_sync()'s columns does not ask for CSV:\n" + text)
    return m.group(1)


def shmem_thp():
    """-> the kernel's transparent-huge-page policy for shared memory (the bracketed word of
    /sys/kernel/mm/transparent_hugepage/shmem_enabled), or "unknown"."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/shmem_enabled") as f:
            m = re.search(r"\[(\w+)\]", f.read())
    except OSError:
        m = None
    return m.group(1) if m else "unknown"


def measure(args):
    n = args.rows
    res = {"rows": n, "page_size": args.page_size, "use_gzip": args.gzip,
           "backfill_window": args.backfill_window, "measurements": [], "notes": [],
           "huge_pages": psql_admin("SHOW huge_pages")[0][0], "shmem_thp": shmem_thp(),
           "shared_buffers": psql_admin("SHOW shared_buffers")[0][0]}
    M = res["measurements"]

    def count(table, db=None):
        return psql_admin("SELECT count(*) FROM %s" % table, db)[0][0]

    setup_db(None, args.page_size, args.gzip)

    # 1. server check
    log("server check (plain curl)")
    def pull(keyset):
        """The keyset pull, then the same pages by one curl process; the URLs are not kept."""
        M.append(keyset)
        log("%-28s %8d rows %8.2f s" % (M[-1]["name"], M[-1]["rows"], M[-1]["seconds"]))
        M.append(best_of(SCAN_RUNS, lambda: curl_pages_one_process(keyset, args.gzip)))
        log("%-28s %8d rows %8.2f s" % (M[-1]["name"], M[-1]["rows"], M[-1]["seconds"]))
        keyset.pop("urls")

    pull(best_of(SCAN_RUNS, lambda: curl_keyset(args.page_size, args.gzip)))
    if args.gzip is False:
        M.append(curl_keyset(args.page_size, True))
        M[-1].pop("urls")
        log("%-28s %8d rows %8.2f s" % (M[-1]["name"], M[-1]["rows"], M[-1]["seconds"]))
    pull(best_of(SCAN_RUNS, lambda: curl_keyset(args.page_size, args.gzip, "csv", SYNC_FIELDS,
                                                "curl CSV keyset (sync)")))
    M.append(curl_csv(n))
    log("%-28s %8d rows %8.2f s" % (M[-1]["name"], M[-1]["rows"], M[-1]["seconds"]))

    # 2. foreign table scans
    def scan(name, query):
        got, s = timed_value(query)
        assert got == 0, (name, got)
        return s.result(name, n)

    res["scan_query"] = explain_check()
    M.append(best_of(SCAN_RUNS, lambda: scan(
        "FDW full-row scan", "SELECT count(*) FROM crime.portal_crimes c WHERE c IS NULL")))
    res["sync_scan_request"] = explain_sync_scan()
    M.append(best_of(SCAN_RUNS, lambda: scan("FDW scan, sync columns", SYNC_SCAN)))
    got, s = timed_value("SELECT count(*) FROM crime.portal_crimes")
    assert got == n, (got, n)
    M.append(s.result("FDW count(*) (pushed down)", n))

    # 3. full load with crime_sync()
    r = sync_with_breakdown("crime_sync() full load", n)
    assert count("crime.incidents") == n
    M.append(r)

    # 3b. the same full load with chicago_crime.index_build_memory = -1, in a fresh database: its
    #     index builds sort in maintenance_work_mem (PostgreSQL's default 64 MB, each build in
    #     parallel) instead of the default 4 MB: the memory/speed trade-off of that setting,
    #     measured in the same run. Not a default, so not judged by the memory targets.
    fresh_database("chicago_parallelsort", args)
    s = Session("chicago_parallelsort")
    s.cur.execute("SET chicago_crime.index_build_memory = '-1'")
    s.cur.execute("SHOW maintenance_work_mem")
    sort_memory = s.cur.fetchone()[0]
    if sort_memory != "64MB":
        raise SystemExit("the 64 MB sorts variant runs with maintenance_work_mem %s" % sort_memory)
    with s:
        s.cur.execute("SELECT status, error FROM crime_sync()")
        status, error = s.cur.fetchone()
    if status != "succeeded":
        raise SystemExit("crime_sync() with 64 MB sorts %s: %s" % (status, error))
    got = count("crime.incidents", "chicago_parallelsort")
    assert got == n, (got, n)
    M.append(s.result(PARALLEL_SORT_LOAD, n))
    psql_admin("DROP DATABASE chicago_parallelsort")

    # 4. full load with crime_backfill() in a fresh database
    fresh_database("chicago_backfill", args)
    with Session("chicago_backfill") as s:
        s.cur.execute("CALL crime_backfill(window_length => %s::interval)", (args.backfill_window,))
    got = count("crime.incidents", "chicago_backfill")
    assert got == n, (got, n)
    windows = psql_admin("SELECT windows_done FROM crime.backfill_state", "chicago_backfill")[0][0]
    M.append(s.result("crime_backfill() full load", n, windows=windows))
    res["notes"].append("crime_backfill(window_length => '%s'): %d windows" % (args.backfill_window, windows))
    psql_admin("DROP DATABASE chicago_backfill")

    # 5. baseline (a): requests + pandas + psycopg2
    psql_admin("DROP TABLE IF EXISTS bench_a; CREATE TABLE bench_a (LIKE crime.incidents INCLUDING ALL) WITH (fillfactor = 90)")
    app = "bench-baseline-a-%d" % os.getpid()

    def find_pid():
        r = psql_admin("SELECT pid FROM pg_stat_activity WHERE application_name = '%s'" % app)
        return r[0][0] if r else None

    sampler = Sampler(pid_fn=find_pid)
    sampler.start()
    sb = ServerBytes()
    sc = ServerCPU()
    cc = children_cpu()
    env = dict(os.environ, PGAPPNAME=app)
    cmd = ["/usr/bin/python3", os.path.join(HERE, "baseline_pandas.py"), "--base-url", SODA_URL,
           "--dsn", dsn(), "--table", "bench_a", "--page-size", str(args.page_size)]
    if args.gzip:
        cmd.append("--gzip")
    t0 = time.time()
    p = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    seconds = time.time() - t0
    peak = sampler.finish()
    a = json.loads(p.stdout.strip().splitlines()[-1])
    nbytes, reqs = sb.done()
    assert count("bench_a") == n
    M.append({"name": "baseline (a) pandas", "rows": a["rows"], "seconds": seconds, "bytes": nbytes,
              "requests": reqs, "vmhwm_kb": a["vmhwm_kb"], "peak_anon_kb": peak,
              "client_maxrss_kb": a["client_maxrss_kb"], "server_cpu": sc.done(),
              "client_cpu": children_cpu() - cc, "pg_cpu": sampler.last_cpu})
    log("%-28s %8d rows %8.2f s (client max RSS %.0f MB)" % (M[-1]["name"], a["rows"], seconds,
                                                             a["client_maxrss_kb"] / 1024))
    psql_admin("DROP TABLE bench_a")

    # 6. baseline (b): COPY FROM PROGRAM curl + INSERT ... ON CONFLICT
    psql_admin("DROP TABLE IF EXISTS bench_b; CREATE TABLE bench_b (LIKE crime.incidents INCLUDING ALL) WITH (fillfactor = 90)")
    steps = []
    with Session() as s:
        for sql in staging_b_sql(n):
            t = time.time()
            s.cur.execute(sql)
            steps.append(time.time() - t)
    assert count("bench_b") == n
    M.append(s.result("baseline (b) COPY+INSERT", n, parts={"copy": steps[1], "insert": steps[2]}))
    res["baseline_b_sql"] = staging_b_sql(n)
    psql_admin("DROP TABLE bench_b")

    # 7. incremental: 1% of the rows change at the server, then crime_sync(). The first sync after
    # the load finds none of the table in shared buffers (the load wrote its pages straight to
    # the file) and, in this just-started cluster, most buffers never used by any process: each
    # one costs page faults that zero and map fresh memory. 8. the same rows change again and a
    # second sync (a new backend, as each pg_cron run is) finds their pages cached.
    k = max(1, n // 100)
    ids = [r[0] for r in psql_admin("SELECT id FROM crime.incidents WHERE id %% 100 = 7 ORDER BY id LIMIT %d" % k)]
    for name, flip in (("crime_sync() incremental 1%", 0), (INCREMENTAL_AGAIN, 1)):
        wm = psql_admin("SELECT max(updated_at) FROM crime.incidents")[0][0]
        new_upd = (wm + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000")
        t0 = time.time()
        for i in range(0, len(ids), 2000):
            body = json.dumps([{"id": str(x), "updated_on": new_upd, "arrest": (x + flip) % 2 == 0}
                               for x in ids[i:i + 2000]]).encode()
            req = urllib.request.Request("%s/_control/datasets/%s/upsert" % (SODA_URL, DATASET), data=body,
                                         method="POST", headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=600) as resp:
                out = json.loads(resp.read())
                assert out["Rows Updated"] == len(ids[i:i + 2000]), out
        res["notes"].append("%s: changed %d rows at the server (updated_on := %s, arrest set) in %.1f s" % (
            name, len(ids), new_upd, time.time() - t0))
        r = sync_with_breakdown(name, k)
        if r["run"]["updated"] < len(ids):
            raise SystemExit("%s updated %d rows, expected %d" % (name, r["run"]["updated"], len(ids)))
        M.append(r)

    # 9. What each sync's deletion check costs (the totals) against the full check that runs when
    # they differ or once per chicago_crime.full_check_interval (every month compared).
    matches, totals = timed_value("SELECT crime.portal_matches_warehouse()")
    differing, months = timed_value("SELECT count(month) FROM crime.months_out_of_sync()")
    res["notes"].append("deletion check: the totals (crime.portal_matches_warehouse(), %s) %.3f s; "
                        "the full check's month-by-month comparison (crime.months_out_of_sync(), "
                        "%d months differ) %.3f s" % ("equal" if matches else "different", totals.seconds,
                                                      differing, months.seconds))

    with open(args.out, "w") as f:
        json.dump(res, f, indent=1, default=str)


# --------------------------------------------------------------------------------------------
# Report


def shared_page_touch_us(mb=64):
    """-> (us per 4 kB page on a process's first write to shared memory that another process
    already uses, the same for a first read, us per page once mapped). A new backend pays the
    first for every page of the shared buffers it touches (two per 8 kB buffer); on a virtual
    machine it can be many times the cost of the work done on the page, and 2 MB huge pages avoid
    most of it. A read fault maps up to 16 pages at once (the kernel's fault-around), a write
    fault one, so what a first read still costs per page is not the guest's page fault."""
    import mmap
    size = mb << 20
    pages = range(0, size, 4096)
    shm = mmap.mmap(-1, size)       # MAP_SHARED | MAP_ANONYMOUS, as PostgreSQL's main segment
    for i in pages:                 # allocated by this (the "postmaster") process
        shm[i] = 1

    def in_new_process(write):
        """A "backend": one pass over every page, then the same pass again; -> both seconds."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            times = []
            for _ in range(2):
                t0 = time.perf_counter()
                if write:
                    for i in pages:
                        shm[i] = 2
                else:
                    for i in pages:
                        shm[i]
                times.append(time.perf_counter() - t0)
            os.write(w, json.dumps(times).encode())
            os._exit(0)
        os.close(w)
        with os.fdopen(r) as f:
            times = json.loads(f.read())
        os.waitpid(pid, 0)
        return times

    first_write, again = in_new_process(write=True)
    first_read, _ = in_new_process(write=False)
    shm.close()
    n = len(pages)
    return 1e6 * first_write / n, 1e6 * first_read / n, 1e6 * again / n


def fmt_s(v):
    return "-" if v is None else "%.1f" % v


def fmt_mb(kb):
    return "-" if kb is None else "%.1f" % (kb / 1024.0)


def report(args):
    results = []
    for p in args.files:
        with open(p) as f:
            results.append(json.load(f))
    results.sort(key=lambda r: r["rows"])
    L = []
    L.append("socrata_fdw / chicago_crime benchmark, %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"))
    L.append("machine: %s" % args.machine)
    L.append("CPU s: srv = SODA server process, pg = the measurement's backend (with its COPY PROGRAM child), "
             "cli = curl / the pandas job")
    for res in results:
        n = res["rows"]
        M = {m["name"]: m for m in res["measurements"]}
        b = M["baseline (b) COPY+INSERT"]
        b_rps = b["rows"] / b["seconds"]
        L.append("")
        L.append("== %d rows  (server option page_size %d, use_gzip %s; crime_backfill window %s; huge_pages %s; "
                 "shmem THP %s; shared_buffers %s)" % (n, res["page_size"], "true" if res["use_gzip"] else "false",
                                                      res["backfill_window"], res.get("huge_pages", "try"),
                                                      res.get("shmem_thp", "unknown"),
                                                      res.get("shared_buffers", "256MB")))
        L.append("%-30s %9s %9s %10s %8s %8s %9s %9s %7s %7s %7s" % (
            "measurement", "rows", "seconds", "rows/s", "MB/s", "x (b)", "VmHWM MB", "anon MB",
            "srv CPU", "pg CPU", "cli CPU"))
        for m in res["measurements"]:
            rps = m["rows"] / m["seconds"] if m["seconds"] else 0
            L.append("%-30s %9d %9.2f %10.0f %8.2f %8.2f %9s %9s %7s %7s %7s" % (
                m["name"], m["rows"], m["seconds"], rps, m["bytes"] / 1e6 / m["seconds"] if m["seconds"] else 0,
                rps / b_rps, fmt_mb(m.get("vmhwm_kb")), fmt_mb(m.get("peak_anon_kb")),
                fmt_s(m.get("server_cpu")), fmt_s(m.get("pg_cpu")), fmt_s(m.get("client_cpu"))))
        for name in ("crime_sync() full load", "crime_sync() incremental 1%", INCREMENTAL_AGAIN):
            if name not in M:
                continue
            m = M[name]
            p = m["parts"]
            L.append("  %s: merge_incidents (fetch+upsert) %.2f s, deletion check %.2f s, reference data %.2f s, "
                     "view refresh %.2f s; fetched %d, inserted %d, updated %d, unchanged %d" % (
                         name, p["merge_incidents"], p.get("portal_matches_warehouse", 0.0) + p["months_out_of_sync"],
                         p["refresh_reference_data"],
                         p["refresh_views"], m["run"]["fetched"], m["run"]["inserted"], m["run"]["updated"],
                         m["run"]["unchanged"]) + (
                         "" if m.get("minor_faults") is None else "; %d minor page faults" % m["minor_faults"]))
        L.append("  baseline (b): COPY %.2f s, INSERT ... ON CONFLICT %.2f s" % (b["parts"]["copy"], b["parts"]["insert"]))
        for note in res["notes"]:
            L.append("  " + note)
    # targets
    big = results[-1]
    Mb = {m["name"]: m for m in big["measurements"]}

    def rps(m):
        return m["rows"] / m["seconds"]

    L.append("")
    L.append("== targets of issue 5 (at %d rows%s)" % (
        big["rows"], "" if len(results) < 2 else ", growth %d -> %d rows" % (results[0]["rows"], big["rows"])))
    T = []
    full, a, b = Mb["crime_sync() full load"], Mb["baseline (a) pandas"], Mb["baseline (b) COPY+INSERT"]
    T.append(("full load crime_sync() >= 1.0x baseline (b) rows/s", rps(full) / rps(b) >= 1.0,
              "%.0f vs %.0f rows/s = %.2fx" % (rps(full), rps(b), rps(full) / rps(b))))
    T.append(("full load crime_sync() >= 10x baseline (a) rows/s", rps(full) / rps(a) >= 10.0,
              "%.0f vs %.0f rows/s = %.2fx" % (rps(full), rps(a), rps(full) / rps(a))))
    inc = Mb["crime_sync() incremental 1%"]
    mi = inc["parts"]["merge_incidents"]
    again = ""
    if INCREMENTAL_AGAIN in Mb:
        ma = Mb[INCREMENTAL_AGAIN]["parts"]["merge_incidents"]
        again = "; the same rows changed again, pages cached: %.2f s = %.1f%%" % (ma, 100 * ma / full["seconds"])
    T.append(("incremental 1%: fetch+upsert < 5% of full-load time", mi < 0.05 * full["seconds"],
              "%.2f s = %.1f%% of %.2f s (view refresh %.2f s reported apart; whole call %.2f s)%s" % (
                  mi, 100 * mi / full["seconds"], full["seconds"], inc["parts"]["refresh_views"], inc["seconds"],
                  again)))
    gz = " gzip" if big["use_gzip"] else ""
    pairs = [(Mb["FDW full-row scan"], Mb["curl JSON pages, one process" + gz],
              Mb["curl JSON keyset" + gz], "JSON")]
    if "FDW scan, sync columns" in Mb:
        pairs.append((Mb["FDW scan, sync columns"], Mb["curl CSV pages, one process (sync)" + gz],
                      Mb["curl CSV keyset (sync)" + gz], "CSV"))
    T.append(("foreign-table full scan >= 70% of plain curl rows/s",
              all(rps(scan) >= 0.7 * rps(curl) for scan, curl, _k, _f in pairs),
              "; ".join("%s: %.0f vs %.0f rows/s = %.0f%% (vs a curl per page: %.0f%%)" % (
                  scan["name"] + " (" + f + ")", rps(scan), rps(curl), 100 * rps(scan) / rps(curl),
                  100 * rps(scan) / rps(keyset))
                        for scan, curl, keyset, f in pairs) +
              " (curl on the same keyset pages, same encoding, by one process over one connection)"))
    fdw = ["FDW full-row scan", "FDW scan, sync columns", "crime_sync() full load",
           "crime_backfill() full load", "crime_sync() incremental 1%", INCREMENTAL_AGAIN]
    fdw = [k for k in fdw if k in Mb]
    worst = max(Mb[k]["vmhwm_kb"] for k in fdw)
    T.append(("backend VmHWM < 64 MB (FDW measurements)", worst < 64 * 1024,
              ", ".join("%s %s" % (k, fmt_mb(Mb[k]["vmhwm_kb"])) for k in fdw)))
    if len(results) >= 2:
        Ms = {m["name"]: m for m in results[0]["measurements"]}
        growth = [(k, Mb[k]["vmhwm_kb"] / Ms[k]["vmhwm_kb"]) for k in fdw]
        T.append(("backend VmHWM within 10%% between %d and %d rows" % (results[0]["rows"], big["rows"]),
                  all(g <= 1.10 for _k, g in growth),
                  ", ".join("%s %+.0f%%" % (k, 100 * (g - 1)) for k, g in growth)))
        ratio = big["rows"] / results[0]["rows"]
        lim = 1.1 * ratio
        tgrowth = [(k, Mb[k]["seconds"] / Ms[k]["seconds"]) for k in
                   ("crime_sync() full load", "crime_backfill() full load", "FDW full-row scan")]
        T.append(("cost linear: %d rows take <= %.0fx the %d-row time" % (big["rows"], lim, results[0]["rows"]),
                  all(g <= lim for _k, g in tgrowth),
                  ", ".join("%s %.1fx" % (k, g) for k, g in tgrowth)))
    for name, ok, detail in T:
        L.append("%-4s %s: %s" % ("PASS" if ok else "FAIL", name, detail))
    # not a target of the issue: VmHWM counts the shared buffers a backend touched (up to
    # shared_buffers = 256MB in the bench cluster), so also show private memory
    shown = fdw + [k for k in (PARALLEL_SORT_LOAD,) if k in Mb]
    L.append("INFO backend private memory (peak RssAnon): " + ", ".join(
        "%s %s" % (k, fmt_mb(Mb[k]["peak_anon_kb"])) for k in shown) + (
        "" if len(results) < 2 else "; at %d rows: " % results[0]["rows"] + ", ".join(
            "%s %s" % (k, fmt_mb(Ms[k]["peak_anon_kb"])) for k in shown if k in Ms)))
    if PARALLEL_SORT_LOAD in Mb:
        par = Mb[PARALLEL_SORT_LOAD]
        L.append("INFO chicago_crime.index_build_memory = -1 (the first load's index builds in maintenance_work_mem, "
                 "64MB, in parallel): %.2f s = %.2fx the default's time, VmHWM %s MB%s (default: %s MB%s)" % (
                     par["seconds"], par["seconds"] / full["seconds"], fmt_mb(par["vmhwm_kb"]),
                     "" if len(results) < 2 or PARALLEL_SORT_LOAD not in Ms else
                     ", %+.0f%% from %d rows" % (100 * (par["vmhwm_kb"] / Ms[PARALLEL_SORT_LOAD]["vmhwm_kb"] - 1),
                                                 results[0]["rows"]),
                     fmt_mb(full["vmhwm_kb"]),
                     "" if len(results) < 2 else
                     ", %+.0f%%" % (100 * (full["vmhwm_kb"] / Ms["crime_sync() full load"]["vmhwm_kb"] - 1))))
    sc = [(k, Mb[k].get("server_cpu"), Mb[k].get("pg_cpu")) for k in
          ("curl JSON keyset", "FDW full-row scan", "curl CSV keyset (sync)", "FDW scan, sync columns",
           "crime_sync() full load", "baseline (b) COPY+INSERT") if k in Mb]
    if all(v is not None for _k, v, _p in sc):
        L.append("INFO SODA server CPU s / backend CPU s / wall s: " + ", ".join(
            "%s %.1f / %s / %.1f" % (k, v, fmt_s(pc), Mb[k]["seconds"]) for k, v, pc in sc))
    first_write, first_read, again = shared_page_touch_us()
    L.append("INFO this machine: a process's first write to a 4 kB page of shared memory another process "
             "already uses costs %.1f us, its first read %.1f us (the kernel maps 16 pages per read fault), "
             "%.2f us once mapped; a new backend pays it for each page of the shared buffers it touches, "
             "two per 8 kB buffer (huge pages: one per 2 MB)" % (first_write, first_read, again))
    L.append("")
    L.append("VmHWM is the backend's peak resident set, shared buffers it touched included; 'anon MB' is its "
             "peak RssAnon (private memory), sampled every 20 ms. MB/s = bytes the SODA server sent / s.")
    L.append("The FDW scans and the curl pulls they are compared with (curl JSON/CSV keyset: a curl per "
             "page; pages, one process: the same URLs by one curl over one connection, the reference of "
             "the scan target) are the fastest of %d runs each (memory: the largest of the runs); "
             "everything else is one run." % SCAN_RUNS)
    text = "\n".join(L) + "\n"
    sys.stdout.write(text)
    if args.write:
        with open(args.write, "w") as f:
            f.write(text)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--rows", type=int, required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--page-size", type=int, default=10000)
    m.add_argument("--gzip", action="store_true")
    m.add_argument("--backfill-window", default="1 year")
    r = sub.add_parser("report")
    r.add_argument("files", nargs="+")
    r.add_argument("--write")
    r.add_argument("--machine", default="")
    args = ap.parse_args()
    if args.cmd == "measure":
        measure(args)
    else:
        report(args)


if __name__ == "__main__":
    main()
