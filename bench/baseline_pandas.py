#!/usr/bin/python3
"""Baseline (a) of the benchmark: the Python job socrata_fdw/chicago_crime replace.

Pages through the SODA JSON API with `requests` (keyset paging on :id, one page per request, the
same page size as the FDW run), builds a pandas DataFrame per page, renames/drops/casts the columns
to crime.incidents' names and types, and upserts each page with psycopg2's execute_values
(INSERT ... ON CONFLICT (id) DO UPDATE), committing per page.

    /usr/bin/python3 bench/baseline_pandas.py --base-url http://127.0.0.1:25481 \
        --dsn "host=... port=... dbname=chicago user=postgres" --table bench_a --page-size 50000

Prints one JSON line: rows, pages, bytes (response bodies as received, before decompression),
seconds, backend pid and the backend's VmHWM (read at the end of the same session).
"""

import argparse
import json
import sys
import time

import pandas as pd
import psycopg2
import psycopg2.extras
import requests

FIELDS = ["id", "case_number", "date", "block", "iucr", "primary_type", "description",
          "location_description", "arrest", "domestic", "beat", "district", "ward",
          "community_area", "fbi_code", "x_coordinate", "y_coordinate", "year", "updated_on",
          "latitude", "longitude"]
RENAME = {"date": "occurred_at", "updated_on": "updated_at"}
COLUMNS = [RENAME.get(f, f) for f in FIELDS]


def to_frame(page):
    df = pd.DataFrame.from_records(page)
    for f in FIELDS:                       # sparse rows: a field absent from a whole page
        if f not in df.columns:
            df[f] = None
    df = df[FIELDS].rename(columns=RENAME)  # drops location, :id
    for c in ("id", "district", "ward", "community_area", "year"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("Int64")
    for c in ("latitude", "longitude"):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    for c in ("occurred_at", "updated_at"):
        df[c] = pd.to_datetime(df[c], format="%Y-%m-%dT%H:%M:%S.%f", errors="coerce")
    for c in ("arrest", "domestic"):
        df[c] = df[c].astype("boolean")
    # x/y stay strings: numeric in Postgres, exact
    df = df.astype(object).where(df.notna(), None)
    return df


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--dataset", default="ijzp-q8t2")
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--table", default="bench_a")
    ap.add_argument("--page-size", type=int, default=50000)
    ap.add_argument("--gzip", action="store_true", help="accept gzip (requests' default); off: identity")
    args = ap.parse_args()

    t0 = time.time()
    conn = psycopg2.connect(args.dsn)
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    session = requests.Session()
    if not args.gzip:
        session.headers["Accept-Encoding"] = "identity"
    url = "%s/resource/%s.json" % (args.base_url, args.dataset)
    select = ",".join(FIELDS + [":id"])
    sql = ("INSERT INTO %s (%s) VALUES %%s ON CONFLICT (id) DO UPDATE SET %s" % (
        args.table, ", ".join(COLUMNS),
        ", ".join("%s = EXCLUDED.%s" % (c, c) for c in COLUMNS if c != "id")))
    last = None
    rows = pages = nbytes = 0
    while True:
        params = {"$select": select, "$order": ":id", "$limit": str(args.page_size)}
        if last is not None:
            params["$where"] = ":id > '%s'" % last
        r = session.get(url, params=params, timeout=600, stream=True)
        raw = r.raw.read(decode_content=False)
        nbytes += len(raw)
        r.raise_for_status()
        if r.headers.get("Content-Encoding") == "gzip":
            import zlib
            raw = zlib.decompress(raw, 31)
        page = json.loads(raw)
        pages += 1
        if not page:
            break
        last = page[-1][":id"]
        df = to_frame(page)
        psycopg2.extras.execute_values(cur, sql, list(df.itertuples(index=False, name=None)), page_size=1000)
        conn.commit()
        rows += len(page)
        if len(page) < args.page_size:
            break
    seconds = time.time() - t0
    cur.execute("SELECT pg_read_file('/proc/' || pg_backend_pid() || '/status')")
    status = cur.fetchone()[0]
    hwm = next((int(l.split()[1]) for l in status.splitlines() if l.startswith("VmHWM:")), None)
    conn.close()
    import resource
    print(json.dumps({"rows": rows, "pages": pages, "bytes": nbytes, "seconds": seconds, "pid": pid,
                      "vmhwm_kb": hwm,
                      "client_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
