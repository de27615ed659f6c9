"""Self-tests of the local SODA test server.

    cd test/soda_server && /usr/bin/python3 -m unittest -v test_soda_server
    (or from the repo root: /usr/bin/python3 -m unittest discover -s test/soda_server)

Starts the server on free loopback ports (bundled data/), checks paging, every
supported SoQL construct against an independent Python oracle over the same
CSV, type semantics, error bodies, every fault kind, the control API and the
request log.
"""

import csv
import decimal
import gzip
import http.client
import io
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

import dataset_defs  # noqa: E402
import dataset_registry  # noqa: E402
import faults  # noqa: E402
import datasets  # noqa: E402
import row_ids  # noqa: E402
import soql  # noqa: E402
import soql_errors  # noqa: E402
import soql_literals  # noqa: E402
import soql_output_names  # noqa: E402
import soql_parser  # noqa: E402
import sqlite_db  # noqa: E402
import wire_values  # noqa: E402

PY = "/usr/bin/python3"
SERVER = os.path.join(HERE, "soda_server.py")
DATA = os.path.join(REPO, "data")
CRIMES = "ijzp-q8t2"
DOUBLES = "dbls-test"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class ServerProc:
    def __init__(self, *args):
        self.port = free_port()
        self.tmp = tempfile.mkdtemp(prefix="soda_test_")
        self.pidfile = os.path.join(self.tmp, "server.pid")
        self.logfile = os.path.join(self.tmp, "requests.log")
        self.proc = subprocess.Popen(
            [PY, SERVER, "--port", str(self.port), "--pidfile", self.pidfile, "--log", self.logfile] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        seen = []
        while True:
            line = self.proc.stdout.readline()
            seen.append(line)
            if "ready" in line or not line:
                break
        if "ready" not in line:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("server did not start: %s" % "".join(seen))
        self.ready_line = line

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


SRV = None
ORACLE = None


def setUpModule():
    global SRV, ORACLE
    # Python's own 64k request-line limit: test_execution_error_before_headers_is_a_400 needs
    # a 50 kB pattern (RequestLineTests checks the default, nginx's 8k).
    SRV = ServerProc("--chunk-rows", "5000", "--window-rows", "7000", "--max-request-line", "0")
    with gzip.open(os.path.join(DATA, "crimes.csv.gz"), "rt", newline="") as f:
        ORACLE = list(csv.DictReader(f))


def tearDownModule():
    if SRV:
        SRV.stop()


def request(path, params=None, headers=None, method="GET", body=None, port=None, timeout=30):
    """-> (status, headers dict (lower-case), body bytes)"""
    url = path
    if params:
        url += "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    c = http.client.HTTPConnection("127.0.0.1", port or SRV.port, timeout=timeout)
    try:
        c.request(method, url, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def rows(path, params=None, **kw):
    st, h, b = request(path, params, **kw)
    assert st == 200, (st, b[:500])
    return json.loads(b)


def res(params, ds=CRIMES):
    return rows("/resource/%s.json" % ds, params)


def count(where):
    return int(res({"$select": "count(*)", "$where": where})[0]["count"])


def o_count(pred):
    return sum(1 for r in ORACLE if pred(r))


def num(s):
    return float(s) if s != "" else None


# ---------------------------------------------------------------------------
# Units (no server needed)


def load_both_ways(dataset_id, csv_path):
    """The stored rows of a dataset loaded from csv_path by the fast loader, then by the generic
    one."""
    db = sqlite_db.Database()
    out = []
    for slow in (False, True):
        ds = datasets.Dataset(db, dataset_id, dataset_defs.DEFS[dataset_id])
        ds.load_csv(csv_path, slow=slow)
        with db.reader() as c:
            out.append(c.execute("SELECT * FROM %s ORDER BY _sid" % ds.table).fetchall())
    return out


class UnitTests(unittest.TestCase):
    def test_synthetic_names(self):
        cases = {
            "count(*)": "count", "count(id)": "count_id", "COUNT(*)": "count",
            "date_trunc_ym(date)": "date_trunc_ym_date", "max(date)": "max_date", "min(year)": "min_year",
            "count(date_trunc_ym(date))": "count_date_trunc_ym_date",
            "min(date_extract_m(date))": "min_date_extract_m_date", "year + 1": "year_1",
            "sum(x_coordinate)": "sum_x_coordinate", "avg(ward)": "avg_ward", "upper(block)": "upper_block",
            "year - 1": "year_1", "-year": "year", "date_extract_hh(date)": "date_extract_hh_date",
        }
        for text, want in cases.items():
            _d, items = soql_parser.Parser(text).select_list()
            self.assertEqual(soql_output_names.synthetic_name(items[0][1]), want, text)

    def test_selective_timestamp_ranges_use_their_index(self):
        # an incremental sync's `updated_on >= <yesterday>` ordered by :id: through the index
        # (SQLite alone would walk the whole table), same rows; a broad range keeps its plan
        import http_handler
        reg = dataset_registry.Registry(DATA, log=lambda *a: None)
        reg.load_all()
        ds = reg.get(CRIMES)
        handler = http_handler.Handler
        with ds.db.reader() as conn:
            top = conn.execute("SELECT max(%s) FROM %s" % (ds.columns_by_field["updated_on"].sql, ds.table)).fetchone()[0]
        for where, forced in (("updated_on >= '%s'" % top, True), ("year = 2015", False)):
            params = {"$select": "id,:id", "$where": where, "$order": ":id", "$limit": "100"}
            plan = soql.compile_query(ds, params, (), row_ids.decode_row_id, ds.label)
            sql = handler.prefer_index(ds, plan.sql, plan.params)
            self.assertEqual("INDEXED BY" in sql, forced, sql)
            with ds.db.reader() as conn:
                self.assertEqual(conn.execute(sql, plan.params).fetchall(),
                                 conn.execute(plan.sql, plan.params).fetchall())

    def test_row_ids_order_preserving_and_reversible(self):
        import random
        rnd = random.Random(7)
        sids = sorted(set([0, 1, 2, 879, 983, 13999999, 2 ** 37] + [rnd.randrange(0, 2 ** 36) for _ in range(2000)]))
        ids = [row_ids.encode_row_id(s) for s in sids]
        self.assertEqual(ids, sorted(ids))
        for s, i in zip(sids, ids):
            self.assertRegex(i, r"^row-[2-9a-z]{4}\.[2-9a-z]{4}_[2-9a-z]{4}$")
            self.assertEqual(row_ids.decode_row_id(i), s)
        self.assertIsNone(row_ids.decode_row_id("row-zzzz.zzzz_zzzz"))
        self.assertIsNone(row_ids.decode_row_id("nonsense"))
        self.assertEqual(row_ids.decode_row_id(""), -1)

    def test_tokenizer_and_parser(self):
        p = soql_parser.Parser("a = 'it''s' AND NOT (b IS NOT NULL) OR c NOT IN (1, 2.5, -3) AND d NOT BETWEEN 1 AND 2")
        e = p.whole_expr()
        self.assertEqual(e.kind, "or")
        self.assertEqual(e.a.b.kind, "not")
        self.assertEqual(e.a.a.b[1].b, "it's")
        for bad in ("a = ", "a = 'x", "(a = 1", "a == 1", "a IN ()", "and", "a BETWEEN 1", "1 +"):
            with self.assertRaises(soql_errors.ParseError, msg=bad):
                soql_parser.Parser(bad).whole_expr()

    def test_timestamp_literals(self):
        for lit in ("2024-01-01", "2024-01-01T00:00:00", "2024-01-01T00:00:00.000", "2024-01-01 00:00:00",
                    "2024-01-01T00:00:00.000000"):
            self.assertEqual(soql_literals.floating_literal(lit), "2024-01-01T00:00:00.000")
        self.assertEqual(soql_literals.fixed_literal("2024-01-01T01:30:00+01:30"), "2024-01-01T00:00:00.000Z")
        with self.assertRaises(ValueError):
            soql_literals.floating_literal("yesterday")

    def test_parallel_gzip_is_one_valid_member(self):
        import http_handler
        parts = [os.urandom(300) * 300, b"", b"[", memoryview(b'{"a":"b"}\n,' * 5000), b"]\n"]
        z = b"".join(http_handler.parallel_gzip(iter(parts), 1))
        d = zlib.decompressobj(31)
        self.assertEqual(d.decompress(z), b"".join(bytes(p) for p in parts))
        self.assertTrue(d.eof)
        self.assertEqual(d.unused_data, b"")

    def test_fast_loader_matches_generic_path(self):
        tricky = [
            ["1", "JA1", "2020-01-02T03:04:05.000", '010XX W "Q" ST, #2', "0820", "THEFT", "$500 AND UNDER",
             "STREET", "true", "false", "0511", "005", "17", "23", "06", "1178292", "1838387", "2020",
             "2020-01-09T03:04:05.000", "41.711840612", "-87.622651588"],
            ["2", "", "2020-01-02 03:04", "line\nbreak", "", "ÜNICODE ✓", 'q"uote', "tab\there\x01", "TRUE", "0",
             "", "", "", "", "", "", "", "2020", "", "", "-87.6"],
            ["3", "", "2021-05-06T07:08:09.5", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "41.",
             "-87.5"],
        ]
        header = ["id", "case_number", "date", "block", "iucr", "primary_type", "description", "location_description",
                  "arrest", "domestic", "beat", "district", "ward", "community_area", "fbi_code", "x_coordinate",
                  "y_coordinate", "year", "updated_on", "latitude", "longitude"]
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "crimes.csv")
            with open(p, "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(header)
                w.writerows(tricky)
            out = load_both_ways(CRIMES, p)
            self.assertEqual(out[0], out[1])
            j = [json.loads(r[5]) for r in out[0]]
            self.assertEqual(j[0]["block"], '010XX W "Q" ST, #2')
            self.assertEqual(j[1]["block"], "line\nbreak")
            self.assertEqual(j[1]["date"], "2020-01-02T03:04:00.000")
            self.assertNotIn("location", j[1])           # no latitude: no point
            self.assertEqual(j[2]["location"]["coordinates"], [-87.5, 41.0])
            self.assertEqual(j[2]["date"], "2021-05-06T07:08:09.500")
            # CSV lines parse back to the same cells
            rec = next(csv.reader([out[0][1][6].decode()]))
            self.assertEqual(rec[3], "line\nbreak")
            self.assertEqual(rec[6], 'q"uote')


# ---------------------------------------------------------------------------
# Wire format, paging


class WireTests(unittest.TestCase):
    def test_headers_and_body_format(self):
        st, h, b = request("/resource/%s.json" % CRIMES, {"$limit": 3})
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], "application/json;charset=utf-8")
        fields = json.loads(h["x-soda2-fields"])
        types = json.loads(h["x-soda2-types"])
        self.assertEqual(fields[:3], ["id", "case_number", "date"])
        self.assertEqual(dict(zip(fields, types))["arrest"], "boolean")
        self.assertEqual(dict(zip(fields, types))["location"], "point")
        self.assertEqual(dict(zip(fields, types))["date"], "floating_timestamp")
        for k in ("last-modified", "etag", "x-socrata-requestid", "content-length"):
            self.assertIn(k, h)
        self.assertTrue(b.startswith(b'[{"id":"879"'))
        self.assertTrue(b.endswith(b"}]\n"))
        self.assertEqual(b.count(b"\n,{"), 2)
        r = json.loads(b)
        self.assertEqual(r[0]["id"], "879")
        self.assertIs(r[0]["arrest"], True)
        self.assertEqual(r[0]["location"], {"type": "Point", "coordinates": [-87.65661039, 41.76766456]})
        self.assertNotIn("case_number", r[0])        # missing values are omitted
        self.assertEqual(list(r[0])[:3], ["id", "date", "primary_type"])   # dataset column order

    def test_default_limit_offset_and_zero(self):
        self.assertEqual(len(res({})), 1000)
        self.assertEqual(res({"$limit": 0}), [])
        a = res({"$order": ":id", "$limit": 10})
        b = res({"$order": ":id", "$limit": 5, "$offset": 5})
        self.assertEqual(a[5:], b)
        st, _h, body = request("/resource/%s.json" % CRIMES, {"$limit": "-1"})
        self.assertEqual(st, 400)
        self.assertEqual(json.loads(body)["code"], "query.compiler.malformed")

    def test_keyset_paging_no_loss_no_repeat(self):
        total = int(res({"$select": "count(*)"})[0]["count"])
        self.assertEqual(total, len(ORACLE))
        seen = []
        last = None
        while True:
            p = {"$select": ":id,id", "$order": ":id", "$limit": 7000}
            if last:
                p["$where"] = ":id > '%s'" % last
            page = res(p)
            if not page:
                break
            seen += [r["id"] for r in page]
            ids = [r[":id"] for r in page]
            self.assertEqual(ids, sorted(ids))
            last = ids[-1]
        self.assertEqual(len(seen), total)
        self.assertEqual(len(set(seen)), total)
        self.assertEqual(set(seen), {r["id"] for r in ORACLE})

    def test_offset_paging_with_order_is_stable(self):
        a = res({"$select": "id", "$order": "primary_type", "$limit": 300})
        b = res({"$select": "id", "$order": "primary_type", "$limit": 150})
        c = res({"$select": "id", "$order": "primary_type", "$limit": 150, "$offset": 150})
        self.assertEqual(a, b + c)

    def test_system_fields(self):
        r = res({"$select": ":*,*", "$limit": 2})
        self.assertEqual(list(r[0])[:4], [":id", ":created_at", ":updated_at", ":version"])
        self.assertRegex(r[0][":id"], r"^row-[2-9a-z]{4}\.[2-9a-z]{4}_[2-9a-z]{4}$")
        self.assertRegex(r[0][":updated_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(r[0][":updated_at"], r[0]["updated_on"] + "Z")
        r2 = res({"$select": ":id, :updated_at, id", "$limit": 2})
        self.assertEqual([x[":id"] for x in r2], [x[":id"] for x in r])
        self.assertEqual(res({"$limit": 1})[0].get(":id"), None)   # only when asked for
        st, h, b = request("/resource/%s.csv" % CRIMES, {"$select": ":*,*", "$limit": 2})
        lines = b.decode().splitlines()
        self.assertTrue(lines[0].startswith('":id",":created_at",":updated_at",":version","id",'))
        self.assertTrue(lines[1].startswith('"%s",' % r[0][":id"]))

    def test_all_columns_with_system_fields_spliced(self):
        st, h, b = request("/resource/%s.json" % CRIMES, {"$limit": 1})
        fields = json.loads(h["x-soda2-fields"])
        base = res({"$select": ":*,*", "$order": ":id", "$limit": 300})
        for sel in (fields + [":id"], [":id"] + fields, fields + [":updated_at", ":id"],
                    [":version"] + fields + [":created_at"]):
            st, h, b = request("/resource/%s.json" % CRIMES, {"$select": ",".join(sel), "$order": ":id", "$limit": 300})
            self.assertEqual(json.loads(h["x-soda2-fields"]), sel)
            got = json.loads(b)
            for g, w in zip(got, base):
                self.assertEqual(g, {k: v for k, v in w.items() if k in sel})
                self.assertEqual(list(g), [k for k in sel if k in w])
            st, h, b = request("/resource/%s.csv" % CRIMES, {"$select": ",".join(sel), "$order": ":id", "$limit": 3})
            recs = list(csv.reader(b.decode().splitlines()))
            self.assertEqual(recs[0], sel)
            for k in sel:
                if k.startswith(":"):
                    self.assertEqual(dict(zip(recs[0], recs[1]))[k], base[0][k])
            self.assertEqual(dict(zip(recs[0], recs[1]))["id"], base[0]["id"])

    def test_column_subsets_cut_from_stored_rows(self):
        # subsets in dataset order take the json_remove path; a permutation the generic one
        for sel in ("id,date,primary_type,:id", "case_number,block,location,:id", "id,latitude",
                    "id,arrest,domestic,year,location", "date,id,:id", "id,ward + 0", ":id,id,block"):
            r = res({"$select": sel, "$order": ":id", "$limit": 2000})
            full = res({"$select": ":*,*", "$order": ":id", "$limit": 2000})
            names = [x.strip() for x in sel.split(",")]
            for g, w in zip(r, full):
                if "ward + 0" in sel:
                    self.assertEqual(g.get("ward_0"), w.get("ward"))
                    continue
                self.assertEqual(g, {k: w[k] for k in names if k in w}, sel)
                self.assertEqual(list(g), [k for k in names if k in w], sel)

    def test_star_selections_come_first(self):
        # The portal's parser takes the system star, then the user star, then expressions:
        # ":id,*" is a 400 (clients have met it live), "*,:id" is how to ask for both.
        path = "/resource/%s.json" % CRIMES
        for sel, words in ((":id,*", "Star selections must come at the start of the select-list"),
                           ("id, *", "Star selections must come at the start of the select-list"),
                           ("*, :*", "System column star selections must come before user column star selections"),
                           (":*, :*", "System column star selections must come before user column star selections")):
            st, h, b = request(path, {"$select": sel, "$limit": 1})
            self.assertEqual(st, 400, sel)
            body = json.loads(b)
            self.assertEqual(body["code"], "query.compiler.malformed", sel)
            self.assertIn(words, body["message"], sel)
        for sel in ("*,:id", ":*,*", "*"):
            st, h, b = request(path, {"$select": sel, "$order": ":id", "$limit": 1})
            self.assertEqual(st, 200, (sel, b))
        row = json.loads(request(path, {"$select": "*,:id", "$order": ":id", "$limit": 1})[2])[0]
        self.assertIn(":id", row)
        self.assertIn("primary_type", row)

    def test_wide_dataset_subsets_and_star(self):
        # wide-cols has 455 fields: a subset leaves over 127 to remove (SQLite's limit on a
        # function's arguments), and `*` sends them all
        path = "/resource/wide-cols.json"
        full = json.loads(request(path, {"$select": "*,:id", "$order": ":id", "$limit": 200})[2])
        self.assertEqual(len(full), 200)
        self.assertEqual(len(full[88]), 5 + 5 * 90 + 1)   # permit 89: 90 contacts, :id
        for sel in (["id", "contact_90_name", ":id"], ["contact_1_name", "contact_45_zipcode"]):
            st, h, b = request(path, {"$select": ",".join(sel), "$order": ":id", "$limit": 200})
            self.assertEqual(st, 200, b)
            for g, w in zip(json.loads(b), full):
                self.assertEqual(g, {k: w[k] for k in sel if k in w})

    def test_soda2_field_headers_are_left_out_when_too_large(self):
        # soda-fountain sends X-SODA2-Fields/-Types only while together they stay under 5,000
        # characters, and a deprecation warning either way (the rest of wide-cols' 456 fields
        # would take about 12 kB).
        st, h, b = request("/resource/wide-cols.json", {"$select": "*,:id", "$limit": 1})
        self.assertEqual(st, 200)
        self.assertNotIn("x-soda2-fields", h)
        self.assertNotIn("x-soda2-types", h)
        self.assertIn("suppressed for being too large", h["x-soda2-warning"])
        st, h, b = request("/resource/%s.json" % CRIMES, {"$limit": 1})
        self.assertIn("x-soda2-fields", h)
        self.assertTrue(h["x-soda2-warning"].startswith("X-SODA2-Fields and X-SODA2-Types are deprecated."))

    def test_csv(self):
        st, h, b = request("/resource/%s.csv" % CRIMES, {"$limit": 5, "$where": "block IS NOT NULL"})
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("text/csv"))
        recs = list(csv.reader(b.decode().splitlines()))
        self.assertEqual(recs[0], json.loads(h["x-soda2-fields"]))
        first = res({"$limit": 5, "$where": "block IS NOT NULL"})
        for rec, obj in zip(recs[1:], first):
            d = dict(zip(recs[0], rec))
            self.assertEqual(d["id"], obj["id"])
            self.assertEqual(d["block"], obj["block"])
            self.assertEqual(d["arrest"], "true" if obj.get("arrest") else "false")
            self.assertEqual(d["case_number"], obj.get("case_number", ""))
        st, h, b = request("/resource/%s.csv" % CRIMES, {"$select": "primary_type, count(*) AS n",
                                                         "$group": "primary_type", "$order": "n DESC", "$limit": 2})
        self.assertEqual(b.decode().splitlines()[0], '"primary_type","n"')
        self.assertRegex(b.decode().splitlines()[1], r'^"[A-Z ]+","[0-9]+"$')

    def test_csv_quotes_every_cell_but_nulls(self):
        # as Socrata's CsvExporter: a non-null cell is always quoted, a null is empty
        import wire_values
        for fmt_select in ({"$limit": 300}, {"$select": ":*,*", "$limit": 300},
                           {"$select": "id,block,ward,:id", "$limit": 300},
                           {"$select": "ward, count(*)", "$group": "ward", "$limit": 300}):
            b = request("/resource/%s.csv" % CRIMES, fmt_select)[2]
            nulls = 0
            for line in b.splitlines():
                for cell in wire_values.raw_csv_cells(line):
                    nulls += cell == b""
                    self.assertTrue(cell == b"" or (cell[:1] == b'"' and cell[-1:] == b'"'), (fmt_select, line))
            if "$group" not in fmt_select:
                self.assertGreater(nulls, 0, fmt_select)

    def test_accept_header_can_override_the_extension(self):
        q = {"$select": "id", "$order": "id", "$limit": 2}
        path = "/resource/%s.csv" % CRIMES
        for accept, ctype in ((None, "text/csv"), ("*/*", "text/csv"), ("text/*", "text/csv"),
                              ("text/csv, application/json;q=0.5", "text/csv"),
                              ("application/json", "application/json"),
                              ("text/csv;q=0, application/json", "application/json")):
            st, h, b = request(path, q, headers={"Accept": accept} if accept else None)
            self.assertEqual((st, h["content-type"].split(";")[0]), (200, ctype), accept)
            if ctype == "application/json":
                self.assertEqual(json.loads(b), res(q), accept)
        st, h, b = request("/resource/%s.json" % CRIMES, q, headers={"Accept": "text/csv"})
        self.assertEqual((st, b.decode().splitlines()[0]), (200, '"id"'))
        st, h, b = request(path, q, headers={"Accept": "image/png"})
        self.assertEqual(st, 406)
        self.assertEqual(json.loads(b)["code"], "not_acceptable")
        # Error bodies are JSON whatever was asked.
        st, h, b = request(path, {"$where": "nosuchcolumn = 1"}, headers={"Accept": "text/csv"})
        self.assertEqual(st, 400)
        self.assertIn("no-such-column", json.loads(b)["errorCode"])

    def test_csv_subset_of_a_lone_null_cell_is_empty(self):
        # A row with a quoted cell ("CTA ""L"" PLATFORM") is cut through the slow path; a lone
        # null cell kept from it must stay empty: "" would read as the empty string.
        where = {"$where": "id = 19823"}
        st, h, b = request("/resource/%s.csv" % CRIMES, dict(where, **{"$select": "location_description"}))
        self.assertEqual(b.decode(), '"location_description"\n"CTA ""L"" PLATFORM"\n')
        st, h, b = request("/resource/%s.csv" % CRIMES, dict(where, **{"$select": "community_area"}))
        self.assertEqual(b.decode(), '"community_area"\n\n')
        for select, line in (("community_area,:id", ',"row-'),
                             ("iucr,location_description", ',"CTA ""L"" PLATFORM"')):
            st, h, b = request("/resource/%s.csv" % CRIMES, dict(where, **{"$select": select}))
            self.assertTrue(b.decode().splitlines()[1].startswith(line), (select, b))

    def test_csv_column_subsets_match_full_rows(self):
        # subsets in dataset order are built in SQLite (csv_subset_expr); every cell must read
        # as the same cell of the full row, quoting included (block and descriptions have commas)
        full = request("/resource/%s.csv" % CRIMES, {"$select": ":*,*", "$order": ":id", "$limit": 5000})[2]
        full = list(csv.DictReader(io.StringIO(full.decode())))
        for sel in ("id,case_number,date,block,iucr,primary_type,description,location_description,arrest,"
                    "domestic,beat,district,ward,community_area,fbi_code,x_coordinate,y_coordinate,year,"
                    "updated_on,latitude,longitude,:id", "block,description,:id", "arrest,latitude",
                    "location_description,arrest,:id", "id,case_number,date"):
            st, h, b = request("/resource/%s.csv" % CRIMES, {"$select": sel, "$order": ":id", "$limit": 5000})
            self.assertEqual(st, 200, b[:300])
            names = sel.split(",")
            recs = list(csv.reader(io.StringIO(b.decode())))
            self.assertEqual(recs[0], names)
            self.assertEqual(len(recs) - 1, len(full))
            for rec, w in zip(recs[1:], full):
                self.assertEqual(rec, [w[n] for n in names], sel)
        self.assertTrue(any('"' in w["location_description"] for w in full),
                        "the sample has a quoted cell (CTA \"L\" PLATFORM)")
        # a cell with a line break (a police station's address) stays quoted when cut
        full = request("/resource/z8bn-74gv.csv", {"$select": ":*,*", "$order": ":id"})[2]
        full = list(csv.DictReader(io.StringIO(full.decode())))
        self.assertTrue(any("\n" in w["address"] for w in full))
        b = request("/resource/z8bn-74gv.csv", {"$select": "district,address,:id", "$order": ":id"})[2]
        self.assertEqual(list(csv.reader(io.StringIO(b.decode())))[1:],
                         [[w["district"], w["address"], w[":id"]] for w in full])

    def test_gzip(self):
        st, h, b = request("/resource/%s.json" % CRIMES, {"$limit": 50}, headers={"Accept-Encoding": "gzip"})
        self.assertEqual(h.get("content-encoding"), "gzip")
        plain = request("/resource/%s.json" % CRIMES, {"$limit": 50})[2]
        self.assertEqual(gzip.decompress(b), plain)
        # streamed (chunked) and gzipped
        st, h, b = request("/resource/%s.json" % CRIMES, {"$limit": 12000}, headers={"Accept-Encoding": "gzip"})
        self.assertEqual(h.get("transfer-encoding"), "chunked")
        self.assertEqual(len(json.loads(gzip.decompress(b))), 12000)

    def test_chunked_streaming_matches(self):
        st, h, b = request("/resource/%s.json" % CRIMES, {"$limit": 11000, "$order": ":id"})
        self.assertEqual(h.get("transfer-encoding"), "chunked")
        self.assertTrue(b.endswith(b"}]\n"))
        r = json.loads(b)
        self.assertEqual(len(r), 11000)
        self.assertEqual([x["id"] for x in r[:5]], [x["id"] for x in res({"$limit": 5})])

    def test_big_results_in_windows(self):
        ids = [r["id"] for r in res({"$select": "id", "$order": ":id", "$limit": 100000})]
        for fmt in ("json", "csv"):
            for params in ({"$limit": 100000}, {"$limit": 20000, "$offset": 3000},
                           {"$select": "*, :id", "$limit": 14000, "$offset": 1},
                           {"$limit": 30000, "$where": "id > 0", "$order": ":id"}):
                st, h, b = request("/resource/%s.%s" % (CRIMES, fmt), params)
                self.assertEqual(st, 200)
                if fmt == "json":
                    got = [r["id"] for r in json.loads(b)]
                else:
                    recs = list(csv.reader(io.StringIO(b.decode(), newline="")))
                    got = [dict(zip(recs[0], r))["id"] for r in recs[1:]]
                off = params.get("$offset", 0)
                self.assertEqual(got, ids[off:off + params["$limit"]], (fmt, params))
        st, h, b = request("/resource/%s.json" % CRIMES, {"$limit": 50000, "$where": "id < 0"})
        self.assertEqual(b, b"[]\n")

    def test_etag_304(self):
        st, h, b = request("/resource/%s.json" % CRIMES, {"$limit": 2})
        st2, h2, b2 = request("/resource/%s.json" % CRIMES, {"$limit": 2}, headers={"If-None-Match": h["etag"]})
        self.assertEqual(st2, 304)
        self.assertEqual((h2["etag"], h2["content-length"]), (h["etag"], "0"))

    def test_head(self):
        st, h, b = request("/resource/%s.json" % CRIMES, {"$limit": 2}, method="HEAD")
        self.assertEqual(st, 200)
        # http.client reads no body after HEAD: the headers must announce the GET's.
        st_get, h_get, b_get = request("/resource/%s.json" % CRIMES, {"$limit": 2})
        self.assertEqual(int(h["content-length"]), len(b_get))
        self.assertEqual(h["etag"], h_get["etag"])

    def test_metadata(self):
        m = rows("/api/views/%s.json" % CRIMES)
        self.assertEqual(m["id"], CRIMES)
        cols = {c["fieldName"]: c for c in m["columns"]}
        self.assertEqual(cols["id"]["dataTypeName"], "number")
        self.assertEqual(cols["date"]["dataTypeName"], "calendar_date")
        self.assertEqual(cols["arrest"]["dataTypeName"], "checkbox")
        self.assertEqual(cols["location"]["dataTypeName"], "point")
        self.assertEqual(cols["primary_type"]["name"], "Primary Type")
        for k in ("name", "description", "attribution", "category", "rowsUpdatedAt"):
            self.assertIn(k, m)
        self.assertIsInstance(m["rowsUpdatedAt"], int)
        self.assertEqual([c["position"] for c in m["columns"]], list(range(1, len(m["columns"]) + 1)))
        st, h, b = request("/api/views/zzzz-zzzz.json")
        self.assertEqual(st, 404)
        self.assertTrue(json.loads(b)["error"])
        ps = rows("/api/views/z8bn-74gv.json")
        self.assertEqual({c["fieldName"]: c["dataTypeName"] for c in ps["columns"]}["location"], "location")
        wd = rows("/api/views/htai-wnw4")
        self.assertEqual({c["fieldName"]: c["dataTypeName"] for c in wd["columns"]}["ward"], "text")
        self.assertEqual(rows("/api/views/reqs-logs.json")["id"], "reqs-logs")

    def test_url_field(self):
        # the stations' website is a url field: an object in JSON, its url in CSV; SoQL
        # compares and orders it by the url and has no LIKE for it
        site = "http://home.chicagopolice.org/community/districts/1st-district-central/"
        ps = rows("/api/views/z8bn-74gv.json")
        self.assertEqual({c["fieldName"]: c["dataTypeName"] for c in ps["columns"]}["website"], "url")
        st, h, b = request("/resource/z8bn-74gv.json", {"$select": "district,website", "$where": "district = '1'"})
        self.assertEqual(json.loads(b), [{"district": "1", "website": {"url": site}}])
        self.assertEqual(json.loads(h["x-soda2-types"]), ["text", "url"])
        self.assertEqual(res({"district": "1"}, "z8bn-74gv")[0]["website"], {"url": site})
        b = request("/resource/z8bn-74gv.csv", {"$select": "website", "$where": "district = '1'"})[2]
        self.assertEqual(b.decode(), '"website"\n"%s"\n' % site)
        self.assertEqual(res({"$select": "district", "$where": "website = '%s'" % site}, "z8bn-74gv"),
                         [{"district": "1"}])
        self.assertEqual(len(res({"$where": "website > 'http://home.chicagopolice.org/d'"}, "z8bn-74gv")), 0)
        st, h, b = request("/resource/z8bn-74gv.json", {"$where": "website LIKE '%central%'"})
        self.assertEqual(st, 400)
        self.assertIn("type-mismatch", json.loads(b)["errorCode"])

    def test_other_datasets(self):
        st = res({"$where": "district = '1'"}, "z8bn-74gv")
        self.assertEqual(st[0]["district_name"], "Central")
        loc = st[0]["location"]
        self.assertEqual(sorted(loc), ["human_address", "latitude", "longitude"])
        self.assertEqual(json.loads(loc["human_address"]), {"address": "", "city": "", "state": "", "zip": ""})
        # in CSV, as soda-fountain's LocationRep: "address\ncity, state zip" (here all empty),
        # then the coordinates on a line of their own
        want = "\n,  \n(41.8583725929, -87.627356171)"
        for q in ({"$select": "location"}, {"$select": "*"}, {"$select": "location, count(*)", "$group": "location"}):
            b = request("/resource/z8bn-74gv.csv", dict(q, **{"$where": "district = '1'"}))[2]
            recs = list(csv.DictReader(io.StringIO(b.decode())))
            self.assertEqual(recs[0]["location"], want, q)
        self.assertEqual(len(res({}, "htai-wnw4")), 50)
        iucr = res({"iucr": "0110"}, "c7ck-438e")
        self.assertEqual(iucr, [{"iucr": "0110", "primary_description": "HOMICIDE",
                                 "secondary_description": "FIRST DEGREE MURDER", "index_code": "I", "active": True}])
        self.assertEqual(len(res({"$where": "active = false"}, "c7ck-438e")), 8)

    def test_concurrent_requests(self):
        errors = []

        def worker(i):
            try:
                for _ in range(3):
                    r = res({"$select": "count(*)", "$where": "year = %d" % (2001 + i)})
                    want = o_count(lambda x: x["year"] == str(2001 + i))
                    if int(r[0]["count"]) != want:
                        errors.append((i, r, want))
            except Exception as e:
                errors.append(e)
        ths = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        self.assertEqual(errors, [])


# ---------------------------------------------------------------------------
# Streaming: big results go out batch by batch as the cursor yields them


_LOCAL = []


def local_registry():
    """The bundled data loaded in this process (to render results without the server)."""
    if not _LOCAL:
        reg = dataset_registry.Registry(DATA, log=lambda *a: None)
        reg.load_all()
        _LOCAL.append(reg)
    return _LOCAL[0]


def local_crimes():
    return local_registry().get(CRIMES)


def render(fmt, params, batch=10 ** 9, window=10 ** 9, need_rows=False):
    """-> (body, Rendered) of a query run in process: batches of `batch` rows, a query per
    `window` rows; need_rows: the generic path (rows fetched whole, serialized in Python)."""
    import http_handler
    h = object.__new__(http_handler.Handler)     # no request: run_query needs none
    h.BATCH, h.WINDOW = batch, window
    r = h.run_query(local_crimes(), {k: str(v) for k, v in params.items()}, [], fmt, need_rows)
    try:
        return r.body(), r
    finally:
        r.close()


class StreamTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ds = local_crimes()
        with ds.db.reader() as c:
            ups = sorted(r[0] for r in c.execute("SELECT %s FROM %s WHERE %s IS NOT NULL" % (
                (ds.columns_by_field["updated_on"].sql, ds.table, ds.columns_by_field["updated_on"].sql))))
        # selective enough for prefer_index to force the updated_on index (< 5% of the rows)
        cls.recent = "updated_on >= '%s'" % ups[-1500]
        cls.mid_id = res({"$select": ":id", "$where": cls.recent, "$order": ":id", "$offset": 200,
                          "$limit": 1})[0][":id"]
        sel = ",".join(ds.user_fields[:-1]) + ",:id"     # the FDW's CSV page: every column but location
        cls.queries = [
            {"$limit": 2500},
            {"$select": "*,:id", "$limit": 2500},
            {"$select": "*,:id", "$limit": 2500, "$offset": 3},
            {"$select": "id,date,block,:id", "$order": ":id", "$limit": 2500},
            {"$select": sel, "$where": cls.recent, "$order": ":id", "$limit": 1200},
            {"$select": sel, "$where": "%s AND :id > '%s'" % (cls.recent, cls.mid_id), "$order": ":id",
             "$limit": 1200},
            {"$select": "id,block,:id", "$where": cls.recent, "$order": ":id DESC", "$limit": 700, "$offset": 5},
            {"$where": cls.recent, "$limit": 5000},
        ]

    def test_batches_render_as_the_whole_result(self):
        # batches of 100 rows, windows of 250: the same bytes as the result in one piece, and as
        # the generic path (rows serialized one by one in Python), in both formats
        for fmt in ("json", "csv"):
            for p in self.queries:
                streamed, r = render(fmt, p, batch=100, window=250)
                self.assertIsNone(r.count, (fmt, p))              # went out in batches
                whole, r1 = render(fmt, p)
                self.assertIsNotNone(r1.count)
                self.assertGreater(r1.count, 100)
                self.assertEqual(streamed, whole, (fmt, p))
                self.assertEqual(streamed, render(fmt, p, need_rows=True)[0], (fmt, p))
        # a result that fits in the first batch keeps its count (Content-Length when small)
        body, r = render("json", {"$select": "id,:id", "$where": self.recent, "$limit": 100}, batch=100)
        self.assertEqual((r.count, len(json.loads(body))), (100, 100))
        body, r = render("csv", {"$where": "id < 0", "$limit": 5000}, batch=100)
        self.assertEqual(r.count, 0)
        self.assertEqual(body.count(b"\n"), 1)

    def test_keyset_page_sorts_keys_only(self):
        # forced through the updated_on index and ordered by :id alone: only the keys are sorted
        # (subquery), the rows are then read by key in order; the same rows as unforced
        import http_handler
        ds = local_crimes()
        for where, order, rewritten in ((self.recent, ":id", True), (self.recent, ":id DESC", True),
                                        (self.recent + " AND :id > '%s'" % self.mid_id, ":id", True),
                                        (self.recent, None, True), (self.recent, "date", False)):
            p = {"$select": "id,block,:id", "$where": where, "$limit": "300", "$offset": "2"}
            if order:
                p["$order"] = order
            plan = soql.compile_query(ds, p, (), row_ids.decode_row_id, ds.label)
            sql = http_handler.Handler.prefer_index(ds, plan.sql, plan.params)
            self.assertIn("INDEXED BY", sql)
            self.assertEqual("WHERE _sid IN (SELECT _sid FROM" in sql, rewritten, sql)
            with ds.db.reader() as conn:
                got = conn.execute(sql, plan.params).fetchall()
                self.assertEqual(len(got), 300)
                self.assertEqual(got, conn.execute(plan.sql, plan.params).fetchall(), p)
                steps = conn.execute("EXPLAIN QUERY PLAN " + sql, plan.params).fetchall()
            if rewritten:   # no sort of whole rows: the only temp B-tree is the subquery's
                self.assertEqual([s for s in steps if "TEMP B-TREE" in s[3] and s[1] == 0], [], steps)

    def test_reader_held_while_streaming_only(self):
        import http_handler
        ds = local_crimes()
        h = object.__new__(http_handler.Handler)
        h.BATCH, h.WINDOW = 100, 1000
        for consume in (0, 3, None):     # closed unsent (HEAD, 304), mid-body, read to the end
            r = h.run_query(ds, {"$limit": "2500"}, [], "json")
            self.assertIsNone(r.count)
            if consume is None:
                self.assertEqual(len(json.loads(r.body())), 2500)
            else:
                list(itertools.islice(r.segments(), consume))
            self.assertEqual(ds.db.lock._readers, 1 if consume is not None else 0)
            r.close()
            self.assertEqual(ds.db.lock._readers, 0)
            with ds.db.writer() as c:    # no statement left active on a pooled connection
                c.execute("UPDATE %s SET _vc = _vc WHERE _sid = (SELECT min(_sid) FROM %s)" % (ds.table, ds.table))

    def test_wire_bodies_and_headers(self):
        # the server (--chunk-rows 5000): more rows than one batch (1,000) go chunked as they are
        # read, whatever --chunk-rows says; the bytes are those of the whole result
        for fmt in ("json", "csv"):
            for p in self.queries:
                st, h, b = request("/resource/%s.%s" % (CRIMES, fmt), p)
                self.assertEqual(st, 200, b[:300])
                whole, r = render(fmt, p, need_rows=True)
                self.assertEqual(b, whole, (fmt, p))
                want = ("chunked", None) if r.count > 1000 else (None, str(len(b)))
                self.assertEqual((h.get("transfer-encoding"), h.get("content-length")), want, (fmt, p))
        for p in ({"$limit": 1000}, {"$limit": 10}, {"$where": "id < 0"},
                  {"$select": "id,:id", "$where": self.recent, "$order": ":id", "$limit": 999}):
            st, h, b = request("/resource/%s.csv" % CRIMES, p)
            self.assertNotIn("transfer-encoding", h, p)
            self.assertEqual(int(h["content-length"]), len(b))
            self.assertEqual(b, render("csv", p, need_rows=True)[0], p)
        # faulted bodies are built whole: Content-Length, even for big results
        st, h, b = request("/fault/malformed=1/resource/%s.csv" % CRIMES, {"$limit": 3000})
        self.assertEqual((st, h.get("transfer-encoding"), int(h["content-length"])), (200, None, len(b)))
        whole = render("csv", {"$limit": 3000})[0]
        self.assertEqual(b, whole[:len(whole) // 2] + b'"broken"x,\n')
        # HEAD of a streamed result: headers only, and the connection's next request is served
        c = http.client.HTTPConnection("127.0.0.1", SRV.port, timeout=10)
        try:
            c.request("HEAD", "/resource/%s.json?$limit=3000" % CRIMES)
            r = c.getresponse()
            self.assertEqual((r.status, r.getheader("Transfer-Encoding"), r.read()), (200, "chunked", b""))
            c.request("GET", "/resource/%s.json?$limit=3000" % CRIMES)
            self.assertEqual(len(json.loads(c.getresponse().read())), 3000)
        finally:
            c.close()

    def test_execution_error_before_headers_is_a_400(self):
        # SQLite refuses a LIKE pattern over 50,000 bytes when the statement runs, not before.
        where = "block LIKE '%s'" % ("a" * 50001)
        for fmt, sel in (("json", "*"), ("csv", "id,block,:id"), ("json", "*,:id")):
            st, h, b = request("/resource/%s.%s" % (CRIMES, fmt),
                               {"$select": sel, "$where": where, "$limit": 5000})
            self.assertEqual(st, 400, b[:300])
            e = json.loads(b)
            self.assertEqual(e["code"], "query.execution.failed")
            self.assertIn("too complex", e["message"])
            self.assertEqual(int(h["content-length"]), len(b))

    def test_error_after_headers_cuts_the_body_short(self):
        # a query failing after its first batch went out: no last chunk, the connection closes
        import contextlib
        import faults
        import http_handler
        import request_log
        import soda_server
        import sqlite3

        class Failing(http_handler.Handler):
            def cut_csv_rows(self, rows, *args):
                if rows[0][0] > self.server.fail_after:
                    raise sqlite3.OperationalError("interrupted")
                return http_handler.Handler.cut_csv_rows(rows, *args)

        srv = soda_server.Server(("127.0.0.1", 0), Failing)
        srv.cfg = soda_server.parse_args([])
        srv.registry = local_registry()
        srv.faults = faults.Registry()
        srv.reqlog = request_log.RequestLog(None, "column")
        th = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        th.start()
        try:
            params = {"$select": "id,block,:id", "$order": ":id", "$limit": 5000}
            whole = render("csv", params)[0]
            srv.fail_after = whole.splitlines()[2500].split(b",")[-1].strip(b'"').decode()    # fails from the 4th batch on
            # raw: the client must see the body end (EOF) without its last chunk, nothing after it
            sock = socket.create_connection(srv.server_address[:2], timeout=5)
            sock.sendall(("GET /resource/%s.csv?%s HTTP/1.1\r\nHost: x\r\n\r\n"
                          % (CRIMES, urllib.parse.urlencode(params))).encode())
            raw = b""
            with contextlib.redirect_stderr(io.StringIO()) as err:
                while True:
                    data = sock.recv(1 << 16)
                    if not data:
                        break
                    raw += data
            sock.close()
            head, _sep, rest = raw.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 200 "), head)
            self.assertIn(b"\r\nTransfer-Encoding: chunked", head)
            body, pos = b"", 0
            while pos < len(rest):
                eol = rest.index(b"\r\n", pos)
                n = int(rest[pos:eol], 16)
                self.assertNotEqual(n, 0, "the last chunk was sent")
                body += rest[eol + 2:eol + 2 + n]
                self.assertEqual(rest[eol + 2 + n:eol + 4 + n], b"\r\n")
                pos = eol + 4 + n
            self.assertTrue(whole.startswith(body))
            self.assertGreater(len(body), 1000)
            self.assertLess(len(body), len(whole))
            self.assertIn("interrupted", err.getvalue())
            self.assertEqual(local_crimes().db.lock._readers, 0)
            srv.fail_after = "~"
            st, h, b = request("/resource/%s.csv" % CRIMES, params, port=srv.server_address[1])
            self.assertEqual((st, b), (200, whole))
        finally:
            srv.shutdown()
            srv.server_close()


# ---------------------------------------------------------------------------
# SoQL semantics against the oracle


class SoQLTests(unittest.TestCase):
    def test_comparisons_numeric(self):
        self.assertEqual(count("ward > 9"), o_count(lambda r: r["ward"] != "" and int(r["ward"]) > 9))
        self.assertEqual(count("ward >= 10 AND ward <= 20"),
                         o_count(lambda r: r["ward"] != "" and 10 <= int(r["ward"]) <= 20))
        self.assertEqual(count("ward < 5"), o_count(lambda r: r["ward"] != "" and int(r["ward"]) < 5))
        self.assertEqual(count("ward = 17"), o_count(lambda r: r["ward"] == "17"))
        self.assertEqual(count("ward = '17'"), count("ward = 17"))
        self.assertEqual(count("ward != 17"), o_count(lambda r: r["ward"] not in ("", "17")))
        self.assertEqual(count("ward <> 17"), count("ward != 17"))
        self.assertEqual(count("latitude > 41.9"), o_count(lambda r: r["latitude"] != "" and float(r["latitude"]) > 41.9))
        self.assertEqual(count("x_coordinate * 2 > 2300000"),
                         o_count(lambda r: r["x_coordinate"] != "" and float(r["x_coordinate"]) * 2 > 2300000))
        self.assertEqual(count("ward / 2 = 8.5"), o_count(lambda r: r["ward"] == "17"))
        self.assertEqual(count("ward + 1 = 18 AND ward - 1 = 16"), o_count(lambda r: r["ward"] == "17"))
        # Integers past 64 bits are numbers like any other (SQLite's INTEGER would refuse them).
        big = "1" + "0" * 300
        self.assertEqual(count("x_coordinate > " + big), 0)
        self.assertEqual(count("x_coordinate < " + big), o_count(lambda r: r["x_coordinate"] != ""))
        self.assertEqual(count("ward NOT IN (-%s, 17)" % big), count("ward != 17"))

    def test_decimals_beyond_a_double(self):
        # A literal one unit in the 22nd digit above a stored latitude: as a double it would
        # equal the stored value; the portal compares exact decimals.
        lat = next(r["latitude"] for r in ORACLE if r["latitude"] != "")
        above = lat + "0" * (22 - len(lat.replace(".", "").lstrip("0"))) + "1"
        exact = decimal.Decimal(lat)
        at_most = o_count(lambda r: r["latitude"] != "" and decimal.Decimal(r["latitude"]) <= exact)
        self.assertGreater(at_most, 0)
        self.assertEqual(count("latitude = %s" % above), 0)
        self.assertEqual(count("latitude = '%s'" % above), 0)
        self.assertEqual(count("latitude < %s" % above), at_most)
        self.assertEqual(count("%s > latitude" % above), at_most)
        self.assertEqual(count("latitude != %s" % above), o_count(lambda r: r["latitude"] != ""))
        self.assertEqual(count("latitude IN (%s)" % above), 0)
        self.assertEqual(count("latitude NOT IN (%s, %s)" % (above, lat)),
                         o_count(lambda r: r["latitude"] != "" and decimal.Decimal(r["latitude"]) != exact))
        self.assertEqual(count("latitude BETWEEN %s AND 90" % above),
                         o_count(lambda r: r["latitude"] != "" and decimal.Decimal(r["latitude"]) > exact))
        self.assertEqual(count("latitude NOT BETWEEN %s AND 90" % above), at_most)

    def test_text_semantics(self):
        self.assertEqual(count("primary_type = 'THEFT'"), o_count(lambda r: r["primary_type"] == "THEFT"))
        self.assertEqual(count("primary_type = 'theft'"), 0)   # case-sensitive
        self.assertEqual(count("primary_type > 'THEFT'"), o_count(lambda r: r["primary_type"] > "THEFT"))
        self.assertEqual(count("beat < '0200'"), o_count(lambda r: r["beat"] != "" and r["beat"] < "0200"))
        self.assertEqual(count("primary_type LIKE 'THE%'"), o_count(lambda r: r["primary_type"].startswith("THE")))
        self.assertEqual(count("primary_type LIKE 'the%'"), 0)
        self.assertEqual(count("primary_type NOT LIKE '%T%'"), o_count(lambda r: "T" not in r["primary_type"]))
        self.assertEqual(count("beat LIKE '05_1'"),
                         o_count(lambda r: len(r["beat"]) == 4 and r["beat"][:2] == "05" and r["beat"][3] == "1"))
        self.assertEqual(count("upper(lower(primary_type)) = primary_type"), len(ORACLE))
        self.assertEqual(count("lower(primary_type) = 'theft'"), o_count(lambda r: r["primary_type"] == "THEFT"))
        self.assertEqual(count("starts_with(description, 'AGG')"), o_count(lambda r: r["description"].startswith("AGG")))
        self.assertEqual(count("description = 'it''s'"), 0)

    def test_dates(self):
        want = o_count(lambda r: "2023-01-01" <= r["date"][:10] < "2023-07-01")
        for lo in ("'2023-01-01'", "'2023-01-01T00:00:00'", "'2023-01-01T00:00:00.000'"):
            self.assertEqual(count("date >= %s AND date < '2023-07-01'" % lo), want, lo)
        self.assertEqual(count("date BETWEEN '2023-01-01' AND '2023-06-30T23:59:59.999'"), want)
        self.assertEqual(count("date NOT BETWEEN '2023-01-01' AND '2023-06-30T23:59:59.999'"), len(ORACLE) - want)
        self.assertEqual(count("updated_on > date"), o_count(lambda r: r["updated_on"] > r["date"]))
        self.assertEqual(count(":updated_at >= '2018-02-10T15:50:01Z'"),
                         o_count(lambda r: r["updated_on"] >= "2018-02-10T15:50:01.000"))
        self.assertEqual(count("date_extract_y(date) = 2014"), o_count(lambda r: r["date"][:4] == "2014"))
        self.assertEqual(count("date_extract_m(date) = 2"), o_count(lambda r: r["date"][5:7] == "02"))
        self.assertEqual(count("date_extract_hh(date) = 0"), o_count(lambda r: r["date"][11:13] == "00"))
        import datetime
        self.assertEqual(count("date_extract_dow(date) = 0"),
                         o_count(lambda r: datetime.date.fromisoformat(r["date"][:10]).weekday() == 6))
        self.assertEqual(count("date_trunc_y(date) = '2014-01-01'"), o_count(lambda r: r["date"][:4] == "2014"))
        self.assertEqual(count("date_trunc_ym(date) = '2014-03-01T00:00:00'"), o_count(lambda r: r["date"][:7] == "2014-03"))
        self.assertEqual(count("date_trunc_ymd(date) = '2014-03-05'"), o_count(lambda r: r["date"][:10] == "2014-03-05"))

    def test_booleans_nulls_in(self):
        self.assertEqual(count("arrest = true"), o_count(lambda r: r["arrest"] == "true"))
        self.assertEqual(count("arrest"), count("arrest = true"))
        self.assertEqual(count("NOT arrest"), o_count(lambda r: r["arrest"] == "false"))
        self.assertEqual(count("arrest = 'true'"), count("arrest = true"))
        self.assertEqual(count("arrest AND domestic"), o_count(lambda r: r["arrest"] == r["domestic"] == "true"))
        self.assertEqual(count("ward IS NULL"), o_count(lambda r: r["ward"] == ""))
        self.assertEqual(count("ward IS NOT NULL"), o_count(lambda r: r["ward"] != ""))
        self.assertEqual(count("location IS NULL"), o_count(lambda r: r["latitude"] == "" or r["longitude"] == ""))
        self.assertEqual(count("ward IN (1, 2, 3)"), o_count(lambda r: r["ward"] in ("1", "2", "3")))
        self.assertEqual(count("ward NOT IN (1, 2, 3)"), o_count(lambda r: r["ward"] not in ("", "1", "2", "3")))
        self.assertEqual(count("primary_type IN ('THEFT', 'BATTERY')"),
                         o_count(lambda r: r["primary_type"] in ("THEFT", "BATTERY")))
        self.assertEqual(count("(ward = 1 OR ward = 2) AND NOT (arrest = true)"),
                         o_count(lambda r: r["ward"] in ("1", "2") and r["arrest"] == "false"))
        self.assertEqual(count("ward BETWEEN 5 AND 7"), o_count(lambda r: r["ward"] in ("5", "6", "7")))
        self.assertEqual(count("ward = null"), 0)

    def test_simple_filters(self):
        r = res({"primary_type": "HOMICIDE", "arrest": "true", "$limit": 5000})
        self.assertEqual(len(r), o_count(lambda r: r["primary_type"] == "HOMICIDE" and r["arrest"] == "true"))
        r = res({"ward": "17", "$select": "count(*)"})
        self.assertEqual(int(r[0]["count"]), o_count(lambda r: r["ward"] == "17"))
        st, h, b = request("/resource/%s.json" % CRIMES, {"nosuchfield": "1"})
        self.assertEqual(st, 400)

    def test_select_expressions_and_output_types(self):
        r = res({"$select": "id, ward, ward + 1, upper(block) AS ub, starts_with(primary_type, 'THE') AS t, arrest, "
                            "date_trunc_ym(date), date_extract_y(date), location",
                 "$where": "id = 879"})[0]
        self.assertEqual(r["id"], "879")
        self.assertEqual(r["ward"], "17")
        self.assertEqual(r["ward_1"], "18")
        self.assertNotIn("ub", r)               # null omitted
        self.assertIs(r["t"], False)
        self.assertIs(r["arrest"], True)
        self.assertEqual(r["date_trunc_ym_date"], "2001-06-01T00:00:00.000")
        self.assertEqual(r["date_extract_y_date"], "2001")
        self.assertEqual(r["location"]["type"], "Point")
        st, h, b = request("/resource/%s.json" % CRIMES, {"$select": "id, ward + 1, arrest", "$limit": 1})
        self.assertEqual(json.loads(h["x-soda2-fields"]), ["id", "ward_1", "arrest"])
        self.assertEqual(json.loads(h["x-soda2-types"]), ["number", "number", "boolean"])
        # exact decimal text of numbers is preserved
        r = res({"$select": "latitude", "$where": "id = 879"})[0]
        self.assertEqual(r["latitude"], "41.76766456")

    def test_aggregates(self):
        r = res({"$select": "count(*), count(ward), sum(ward), avg(ward), min(date), max(date), min(primary_type), "
                            "max(year)"})[0]
        wards = [int(x["ward"]) for x in ORACLE if x["ward"]]
        self.assertEqual(r["count"], str(len(ORACLE)))
        self.assertEqual(r["count_ward"], str(len(wards)))
        self.assertEqual(r["sum_ward"], str(sum(wards)))
        self.assertAlmostEqual(float(r["avg_ward"]), sum(wards) / len(wards), places=9)
        self.assertEqual(r["min_date"], min(x["date"] for x in ORACLE))
        self.assertEqual(r["max_date"], max(x["date"] for x in ORACLE))
        self.assertEqual(r["min_primary_type"], min(x["primary_type"] for x in ORACLE))
        self.assertEqual(r["max_year"], max(x["year"] for x in ORACLE))
        # Sums of decimals are exact, as the portal adds them; grouped sums too, and a HAVING on
        # one still compares it as a number.
        lats = [decimal.Decimal(x["latitude"]) for x in ORACLE if x["latitude"]]
        r = res({"$select": "sum(latitude), sum(latitude) AS again"})[0]
        self.assertEqual(decimal.Decimal(r["sum_latitude"]), sum(lats))
        self.assertEqual(r["again"], r["sum_latitude"])
        r = res({"$select": "arrest, sum(latitude)", "$group": "arrest", "$having": "sum(latitude) > 1",
                 "$order": "arrest"})
        self.assertEqual([decimal.Decimal(x["sum_latitude"]) for x in r],
                         [sum(decimal.Decimal(x["latitude"]) for x in ORACLE if x["latitude"] and x["arrest"] == a)
                          for a in ("false", "true")])
        st, h, b = request("/resource/%s.json" % CRIMES, {"$select": "count(*), max(date)"})
        self.assertEqual(json.loads(h["x-soda2-fields"]), ["count", "max_date"])
        self.assertEqual(json.loads(h["x-soda2-types"]), ["number", "floating_timestamp"])

    def test_group_having_order(self):
        r = res({"$select": "primary_type, count(*) AS n", "$group": "primary_type", "$having": "count(*) > 1000",
                 "$order": "n DESC, primary_type"})
        import collections
        cnt = collections.Counter(x["primary_type"] for x in ORACLE)
        want = sorted(((k, v) for k, v in cnt.items() if v > 1000), key=lambda kv: (-kv[1], kv[0]))
        self.assertEqual([(x["primary_type"], int(x["n"])) for x in r], want)
        r = res({"$select": "date_trunc_y(date) AS y, count(id)", "$group": "y", "$order": "y"})
        ycnt = collections.Counter(x["date"][:4] for x in ORACLE)
        self.assertEqual([(x["y"][:4], int(x["count_id"])) for x in r], sorted(ycnt.items()))
        r = res({"$select": "date_trunc_ym(date), count(*)", "$group": "date_trunc_ym(date)",
                 "$order": "date_trunc_ym(date) DESC", "$limit": 1})
        self.assertEqual(list(r[0]), ["date_trunc_ym_date", "count"])
        r = res({"$select": "district, arrest, count(*)", "$group": "district, arrest", "$order": "district, arrest",
                 "$where": "district IN ('001', '002')"})
        self.assertEqual(len(r), 4)
        self.assertEqual(int(r[0]["count"]),
                         o_count(lambda x: x["district"] == "001" and x["arrest"] == "false"))
        r = res({"$select": "ward, count(*) AS n", "$group": "ward", "$having": "n > 2000", "$order": "ward"})
        self.assertTrue(all(int(x["n"]) > 2000 for x in r))

    def test_order_multiple_keys_and_nulls(self):
        # Few enough rows that the page holds null wards and others (the bundled data has 10,850
        # null wards).
        r = res({"$select": "id, ward, year", "$order": "ward DESC, year ASC, id DESC",
                 "$where": "year = 2001", "$limit": 10000})
        keys = [(x.get("ward"), x["year"], x["id"]) for x in r]
        nulls = [k for k in keys if k[0] is None]
        self.assertTrue(nulls and len(nulls) < len(keys), len(nulls))
        self.assertTrue(keys[:len(nulls)] == nulls)      # DESC: nulls first (as the API's Postgres)
        self.assertEqual(nulls, sorted(nulls, key=lambda k: (int(k[1]), -int(k[2]))))
        rest = keys[len(nulls):]
        self.assertEqual(rest, sorted(rest, key=lambda k: (-int(k[0]), int(k[1]), -int(k[2]))))
        self.assertGreater(len({k[0] for k in rest}), 1)
        r = res({"$select": "id, ward", "$order": "ward", "$where": "year = 2001", "$limit": 10000})
        self.assertIsNone(r[-1].get("ward"))             # ASC: nulls last
        r = res({"$select": "id", "$order": "primary_type DESC, :id", "$limit": 3})
        self.assertEqual(len(r), 3)

    def test_q_and_query_params(self):
        self.assertEqual(len(res({"$q": "homicide", "$limit": 50000})),
                         o_count(lambda r: any("homicide" in v.lower() for k, v in r.items()
                                               if k in ("case_number", "block", "iucr", "primary_type", "description",
                                                        "location_description", "beat", "district", "community_area",
                                                        "fbi_code"))))
        r = res({"$query": "SELECT primary_type, count(*) AS n WHERE year = 2014 GROUP BY primary_type "
                           "ORDER BY n DESC LIMIT 2"})
        self.assertEqual(len(r), 2)
        self.assertEqual(list(r[0]), ["primary_type", "n"])

    def test_distinct(self):
        r = res({"$select": "DISTINCT district", "$limit": 100})
        self.assertEqual(len(r), len({x["district"] for x in ORACLE}))

    def test_errors(self):
        st, h, b = request("/resource/%s.json" % CRIMES, {"$where": "year = "})
        self.assertEqual(st, 400)
        e = json.loads(b)
        self.assertEqual(e["code"], "query.compiler.malformed")
        self.assertIs(e["error"], True)
        self.assertIn("could not parse SoQL query", e["message"])
        self.assertIn("where year =", e["data"]["query"])
        st, h, b = request("/resource/%s.json" % CRIMES, {"$select": "nosuch"})
        self.assertEqual(st, 400)
        e = json.loads(b)
        self.assertEqual(e["errorCode"], "query.soql.no-such-column")
        self.assertEqual(e["data"]["column"], "nosuch")
        self.assertIn("No such column: nosuch", e["message"])
        st, h, b = request("/resource/%s.json" % CRIMES, {"$where": "beat = 511"})
        self.assertEqual((st, json.loads(b)["errorCode"]), (400, "query.soql.type-mismatch"))
        st, h, b = request("/resource/%s.json" % CRIMES, {"$where": "date > 'yesterday'"})
        self.assertEqual((st, json.loads(b)["errorCode"]), (400, "query.soql.type-mismatch"))
        st, h, b = request("/resource/%s.json" % CRIMES, {"$select": "nofunc(id)"})
        self.assertEqual((st, json.loads(b)["errorCode"]), (400, "query.soql.no-such-function"))
        st, h, b = request("/resource/%s.json" % CRIMES, {"$select": "primary_type, count(*)"})
        self.assertEqual((st, json.loads(b)["errorCode"]), (400, "query.soql.column-not-in-group-bys"))
        st, h, b = request("/resource/%s.json" % CRIMES, {"$where": "count(*) > 1"})
        self.assertEqual(st, 400)
        st, h, b = request("/resource/%s.json" % CRIMES, {"$bogus": "1"})
        self.assertEqual(st, 400)
        st, h, b = request("/resource/abcd-1234.json")
        self.assertEqual(st, 404)
        self.assertEqual(json.loads(b), {"code": "dataset.missing", "error": True, "message": "Not found",
                                         "data": {"id": "abcd-1234"}})


# ---------------------------------------------------------------------------
# The double type (dbls-test)


class DoubleTests(unittest.TestCase):
    def mismatch(self, params):
        st, h, b = request("/resource/%s.json" % DOUBLES, params)
        self.assertEqual((st, json.loads(b)["errorCode"]), (400, "query.soql.type-mismatch"), params)

    def test_metadata_and_headers_say_double(self):
        m = rows("/api/views/%s.json" % DOUBLES)
        self.assertEqual(m["name"], "Doubles (test)")
        self.assertEqual({c["fieldName"]: c["dataTypeName"] for c in m["columns"]},
                         {"label": "text", "amount": "double", "exact": "number"})
        st, h, b = request("/resource/%s.json" % DOUBLES, {"$limit": 1})
        self.assertEqual(json.loads(h["x-soda2-types"]), ["text", "double", "number"])

    def test_a_double_is_a_json_number_and_csv_text(self):
        # soda-fountain's JsonColumnRep.DoubleRep writes a JNumber, NumberRep a string; in CSV
        # both are their text, quoted as every cell
        st, h, b = request("/resource/%s.json" % DOUBLES)
        self.assertIn(b'{"label":"one tenth","amount":0.1,"exact":"0.1"}', b)
        self.assertIn(b'{"label":"nothing"}', b)
        r = json.loads(b)
        self.assertEqual([x.get("amount") for x in r], [0.1, 0.2, 2.5, None, 1000.25])
        self.assertEqual([x.get("exact") for x in r], ["0.1", "0.2", "2.5", None, "1000.25"])
        st, h, b = request("/resource/%s.csv" % DOUBLES)
        self.assertEqual(b.decode().splitlines(), [
            '"label","amount","exact"', '"one tenth","0.1","0.1"', '"one fifth","0.2","0.2"',
            '"two and a half","2.5","2.5"', '"nothing",,', '"a thousand and a quarter","1000.25","1000.25"'])
        # the same from rows built per value ($select out of column order)
        st, h, b = request("/resource/%s.json" % DOUBLES, {"$select": "exact, amount", "$limit": 1})
        self.assertEqual(b, b'[{"exact":"0.1","amount":0.1}]\n')
        st, h, b = request("/resource/%s.csv" % DOUBLES, {"$select": "exact, amount", "$limit": 1})
        self.assertEqual(b, b'"exact","amount"\n"0.1","0.1"\n')

    def test_sum_of_doubles_is_floating_point(self):
        # the portal adds double precision as PostgreSQL does, a number as an exact decimal
        q = {"$select": "sum(amount), sum(exact)", "$where": "amount < 1"}
        st, h, b = request("/resource/%s.json" % DOUBLES, q)
        self.assertEqual(b, b'[{"sum_amount":0.30000000000000004,"sum_exact":"0.3"}]\n')
        self.assertEqual(json.loads(h["x-soda2-types"]), ["double", "number"])
        b = request("/resource/%s.csv" % DOUBLES, q)[2]
        self.assertEqual(b, b'"sum_amount","sum_exact"\n"0.30000000000000004","0.3"\n')
        r = res({"$select": "sum(amount), avg(amount), min(amount), max(amount), count(amount)"}, DOUBLES)
        self.assertEqual(r, [{"sum_amount": 0.1 + 0.2 + 2.5 + 1000.25, "avg_amount": (0.1 + 0.2 + 2.5 + 1000.25) / 4,
                              "min_amount": 0.1, "max_amount": 1000.25, "count_amount": "4"}])

    def test_a_double_compared_with_a_number_field_is_a_type_mismatch(self):
        # as text with :id: SoQL has no implicit conversion between the two types, and a text
        # literal can only become a number, never a double
        for where in ("amount = exact", "exact < amount", "amount in (exact)", "amount = '0.1'",
                      "amount + exact > 0"):
            self.mismatch({"$where": where})
        self.mismatch({"$select": "amount % 2"})      # PostgreSQL has no % of double precision

    def test_a_double_compared_with_a_number_literal(self):
        # the literal is cast to double (soql-reference: number to double)
        def labels(where):
            return [x["label"] for x in res({"$select": "label", "$where": where}, DOUBLES)]

        self.assertEqual(labels("amount > 0.15"), ["one fifth", "two and a half", "a thousand and a quarter"])
        self.assertEqual(labels("amount = 0.1"), ["one tenth"])
        self.assertEqual(labels("0.2 >= amount"), ["one tenth", "one fifth"])
        self.assertEqual(labels("amount in (0.2, 2.5)"), ["one fifth", "two and a half"])
        self.assertEqual(labels("amount between 2 and 1001"), ["two and a half", "a thousand and a quarter"])
        self.assertEqual(labels("amount + 0.2 = 0.30000000000000004"), ["one tenth"])
        self.assertEqual(labels("exact::double = amount"), ["one tenth", "one fifth", "two and a half",
                                                           "a thousand and a quarter"])
        self.assertEqual(res({"$select": "amount", "$order": "amount DESC", "$limit": 2}, DOUBLES),
                         [{}, {"amount": 1000.25}])     # nulls first descending

    def test_double_text_is_javas(self):
        # Double.toString: plain from 10^-3 to 10^7, scientific outside, always a fraction
        for v, want in ((0.1, "0.1"), (3.0, "3.0"), (-2.5, "-2.5"), (0.0, "0.0"), (0.001, "0.001"),
                        (123456.789, "123456.789"), (9999999.0, "9999999.0"), (1e7, "1.0E7"),
                        (12345678.9, "1.23456789E7"), (1.5e-4, "1.5E-4"), (1e21, "1.0E21"),
                        (0.30000000000000004, "0.30000000000000004")):
            self.assertEqual(wire_values.double_text(v), want)

    def test_fast_loader_matches_generic_path(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "doubles.csv")
            with open(p, "w", encoding="utf-8") as f:
                f.write("label,amount,exact\nzero,0,0\nminus zero,-0.0,0\ntiny,1e-5,0.00001\nnone,,\n")
            out = load_both_ways(DOUBLES, p)
            self.assertEqual(out[0], out[1])
            self.assertEqual([r[5] for r in out[0]], [b'{"label":"zero","amount":0.0,"exact":"0"}',
                                                      b'{"label":"minus zero","amount":-0.0,"exact":"0"}',
                                                      b'{"label":"tiny","amount":1.0E-5,"exact":"0.00001"}',
                                                      b'{"label":"none"}'])


# ---------------------------------------------------------------------------
# The other Socrata types (typs-test)

TYPES = "typs-test"


class TypesTests(unittest.TestCase):
    def mismatch(self, params):
        st, h, b = request("/resource/%s.json" % TYPES, params)
        self.assertEqual((st, json.loads(b)["errorCode"]), (400, "query.soql.type-mismatch"), params)

    def labels(self, where):
        return [x["label"] for x in res({"$select": "label", "$where": where}, TYPES)]

    def test_metadata_and_headers(self):
        m = rows("/api/views/%s.json" % TYPES)
        self.assertEqual({c["fieldName"]: (c["dataTypeName"], c["renderTypeName"]) for c in m["columns"]}["price"],
                         ("money", "money"))
        self.assertEqual([c["dataTypeName"] for c in m["columns"]],
                         ["text", "money", "number", "percent", "url", "phone", "email", "html", "date",
                          "point", "location", "line", "multipolygon", "photo", "document", "blob"])
        st, h, b = request("/resource/%s.json" % TYPES, {"$limit": 1})
        self.assertEqual(json.loads(h["x-soda2-types"]),
                         ["text", "money", "number", "number", "url", "phone", "text", "text", "fixed_timestamp",
                          "point", "location", "line", "multipolygon", "photo", "document", "blob"])

    def test_json_wire_forms(self):
        r = {x["label"]: x for x in rows("/resource/%s.json" % TYPES)}
        a = r["alpha"]
        self.assertEqual((a["price"], a["share"], a["opened"]), ("1250.00", "12.5", "2024-03-10T08:30:00.000Z"))
        self.assertEqual(a["homepage"], {"url": "https://www.chicago.gov/city/en/depts/bacp.html",
                                         "description": "Business Affairs"})
        self.assertEqual(a["phone"], {"phone_number": "312-744-4006", "phone_type": "Work"})
        self.assertEqual(a["route"], {"type": "LineString", "coordinates": [[-87.6318, 41.8837], [-87.6298, 41.8781]]})
        self.assertEqual(a["area"]["type"], "MultiPolygon")
        self.assertEqual(a["attachment"], {"file_id": "7b1d8c2e-0001", "content_type": "application/pdf",
                                           "filename": "annual report.pdf"})
        self.assertEqual((a["photo"], a["blob"]), ("3f2c1a9e-photo-alpha.jpg", "a0b1c2d3e4f5"))
        self.assertEqual(r["charlie"]["homepage"], {"description": "No website yet"})
        self.assertEqual(r["charlie"]["phone"], {"phone_type": "Cell"})
        self.assertEqual(r["delta"], {"label": "delta"})
        self.assertEqual(r["bravo"]["share"], "0.0000005")          # JSON: toPlainString

    def test_csv_wire_forms(self):
        st, h, b = request("/resource/%s.csv" % TYPES)
        r = {x["label"]: x for x in csv.DictReader(io.StringIO(b.decode()))}
        self.assertEqual(r["alpha"]["homepage"], "Business Affairs (https://www.chicago.gov/city/en/depts/bacp.html)")
        self.assertEqual(r["alpha"]["phone"], "Work: 312-744-4006")
        self.assertEqual(r["alpha"]["route"], "LINESTRING (-87.6318 41.8837, -87.6298 41.8781)")
        self.assertEqual(r["alpha"]["attachment"],
                         "7b1d8c2e-0001?filename=annual+report.pdf&content_type=application%2Fpdf")
        self.assertEqual(r["bravo"]["share"], "5E-7")                # CSV: BigDecimal.toString
        self.assertEqual(r["charlie"]["homepage"], "No website yet")
        self.assertEqual(r["charlie"]["phone"], "Cell")
        self.assertTrue(r["bravo"]["area"].startswith("MULTIPOLYGON (((-87.7 41.9, "))
        self.assertIn(b'"delta",,,,,,,,,,,,,,,\n', b)
        # the same from rows built per value ($select out of column order)
        st, h, b = request("/resource/%s.csv" % TYPES, {"$select": "phone, homepage, price", "$limit": 1})
        self.assertEqual(b, b'"phone","homepage","price"\n"Work: 312-744-4006",'
                            b'"Business Affairs (https://www.chicago.gov/city/en/depts/bacp.html)","1250.00"\n')
        st, h, b = request("/resource/%s.json" % TYPES, {"$select": "price, homepage", "$limit": 1})
        self.assertEqual(json.loads(b), [{"price": "1250.00", "homepage": {
            "url": "https://www.chicago.gov/city/en/depts/bacp.html", "description": "Business Affairs"}}])

    def test_money_compares_with_number_literals_not_number_fields(self):
        self.assertEqual(self.labels("price > 100"), ["alpha", "echo", "foxtrot"])
        self.assertEqual(self.labels("price > '100'"), ["alpha", "echo", "foxtrot"])
        self.assertEqual(self.labels("price in (0.99, 1250)"), ["alpha", "bravo", "echo"])
        self.assertEqual(self.labels("price between -50 and 0.99"), ["bravo", "charlie", "golf"])
        self.assertEqual(self.labels("price + 1 > 2"), ["alpha", "echo", "foxtrot"])
        for where in ("price = budget", "budget < price", "price in (budget)", "price = 'abc'",
                      "price + budget > 0", "phone = 'Work: 312-744-4006'", "blob = '00'", "route > 'x'"):
            self.mismatch({"$where": where})

    def test_money_aggregates_are_exact(self):
        q = {"$select": "sum(price), min(price), max(price), count(price)"}
        st, h, b = request("/resource/%s.json" % TYPES, q)
        self.assertEqual(json.loads(b), [{"sum_price": "100002458.88", "min_price": "-42.10",
                                          "max_price": "99999999.99", "count_price": "6"}])
        self.assertEqual(json.loads(h["x-soda2-types"]), ["money", "money", "money", "number"])
        r = res({"$select": "price, sum(price)", "$group": "price", "$where": "price > 100"}, TYPES)
        self.assertEqual(r, [{"price": "1250.00", "sum_price": "2500.00"},
                             {"price": "99999999.99", "sum_price": "99999999.99"}])

    def test_fixed_timestamp_compares_as_utc(self):
        self.assertEqual(self.labels("opened >= '2024-03-10T08:30:00'"), ["alpha", "charlie", "golf"])
        self.assertEqual(self.labels("opened >= '2024-03-10T09:30:00+01:00'"), ["alpha", "charlie", "golf"])
        self.mismatch({"$where": "opened > 5"})


# ---------------------------------------------------------------------------
# Faults


class FaultTests(unittest.TestCase):
    def f(self, spec, params=None, **kw):
        return request("/fault/%s/resource/%s.json" % (spec, CRIMES), params or {"$limit": 5}, **kw)

    def test_status_times_retry_after(self):
        spec = "status=429,retry_after=1,times=2,tag=a"
        s1, h1, b1 = self.f(spec)
        s2, _h, _b = self.f(spec)
        s3, _h, b3 = self.f(spec)
        self.assertEqual((s1, s2, s3), (429, 429, 200))
        self.assertEqual(h1["retry-after"], "1")
        self.assertEqual(json.loads(b1)["errorCode"], "too-many-requests")
        self.assertEqual(len(json.loads(b3)), 5)

    def test_after(self):
        spec = "status=500,after=2,tag=b"
        self.assertEqual([self.f(spec)[0] for _ in range(4)], [200, 200, 500, 500])

    def test_202_and_503_and_views(self):
        st, h, b = self.f("status=202,times=1,tag=c")
        self.assertEqual(st, 202)
        st, h, b = self.f("status=503,tag=c")
        self.assertEqual(st, 503)
        self.assertTrue(h["content-type"].startswith("text/html"))
        st, h, b = request("/fault/status=500,tag=c/api/views/%s.json" % CRIMES)
        self.assertEqual(st, 500)
        # A 404 is worded as each API words a real miss.
        st, h, b = request("/fault/status=404,tag=c/api/views/%s.json" % CRIMES)
        self.assertEqual((st, json.loads(b)["code"]), (404, "not_found"))
        self.assertEqual(json.loads(b), json.loads(request("/api/views/abcd-1234.json")[2].replace(
            b"abcd-1234", CRIMES.encode())))
        st, h, b = self.f("status=404,tag=c")
        self.assertEqual((st, json.loads(b)["code"]), (404, "dataset.missing"))
        st, h, b = self.f("status=400,tag=c")
        self.assertEqual(json.loads(b)["code"], "query.compiler.malformed")
        # The portal's query time limit: soda-fountain's envelope, errorCode request-timeout.
        st, h, b = self.f("status=408,tag=c")
        self.assertEqual((st, json.loads(b)["errorCode"]), (408, "request-timeout"))

    def test_view_id_replaces_the_metadata_id(self):
        st, h, b = request("/fault/view_id=abcd-1234,tag=v/api/views/%s.json" % CRIMES)
        self.assertEqual((st, json.loads(b)["id"]), (200, "abcd-1234"))
        plain = json.loads(request("/api/views/%s.json" % CRIMES)[2])
        self.assertEqual(dict(json.loads(b), id=CRIMES), plain)
        # Rows are not affected.
        st, h, b = self.f("view_id=abcd-1234,tag=v")
        self.assertEqual(st, 200)

    def test_message_rewords_the_error(self):
        # A portal (or its proxy) answering in another language: the spec is percent-decoded.
        st, h, b = self.f("status=403,message=Acc%C3%A8s%20refus%C3%A9,tag=m")
        self.assertEqual(st, 403)
        self.assertEqual(json.loads(b)["message"], "Acc\u00e8s refus\u00e9")
        st, h, b = self.f("status=503,message=Dienst%20nicht%20verf%C3%BCgbar,tag=m")
        self.assertIn("<title>503 Dienst nicht verf\u00fcgbar</title>", b.decode())

    def test_a_stall_the_client_leaves_is_logged_when_it_leaves(self):
        # Not 30 s later, in the middle of whatever the client went on to do (a test reading the
        # request log would count it).
        seq = json.loads(request("/_control/seq")[2])["seq"]
        c = http.client.HTTPConnection("127.0.0.1", SRV.port, timeout=10)
        c.request("GET", "/fault/stall=30,tag=leave/resource/%s.json?$limit=5" % CRIMES)
        c.getresponse().read(10)
        started = time.time()
        c.close()
        logged = []
        while not logged and time.time() - started < 10:
            time.sleep(0.1)
            logged = [e for e in json.loads(request("/_control/log", {"since": seq})[2])
                      if e.get("fault") == "stall=30,tag=leave"]
        self.assertEqual(len(logged), 1)
        self.assertLess(time.time() - started, 5)

    def test_replay(self):
        # Every faulted request is answered with what the first faulted one asked for.
        spec = "replay=1,after=1,tag=r"
        plain = json.loads(self.f(spec, {"$limit": 2, "$order": ":id"})[2])
        first = json.loads(self.f(spec, {"$limit": 2, "$order": ":id", "$offset": 2})[2])
        later = json.loads(self.f(spec, {"$limit": 3, "$where": "false"})[2])
        self.assertNotEqual(first, plain)   # request 0 is not faulted (after=1)
        self.assertEqual(later, first)
        self.assertEqual(len(later), 2)

    def test_dropped_and_added_shift_the_offset(self):
        # Rows deleted (added) ahead of an offset move every later row back (on).
        ids = [r[":id"] for r in json.loads(self.f("tag=s", {"$limit": 8, "$order": ":id",
                                                            "$select": ":id"})[2])]
        def page(spec):
            body = self.f(spec, {"$limit": 2, "$offset": 3, "$order": ":id", "$select": ":id"})[2]
            return [r[":id"] for r in json.loads(body)]
        self.assertEqual(page("tag=s"), ids[3:5])
        self.assertEqual(page("dropped=2,tag=s"), ids[5:7])
        self.assertEqual(page("added=2,tag=s"), ids[1:3])
        self.assertEqual(page("added=9,tag=s"), ids[0:2])
        # A keyset page (no $offset) is not moved.
        body = self.f("dropped=2,tag=s", {"$limit": 2, "$order": ":id", "$select": ":id"})[2]
        self.assertEqual([r[":id"] for r in json.loads(body)], ids[0:2])

    def test_truncate(self):
        c = http.client.HTTPConnection("127.0.0.1", SRV.port, timeout=10)
        c.request("GET", "/fault/truncate=1/resource/%s.json?$limit=20" % CRIMES)
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        with self.assertRaises(http.client.IncompleteRead):
            r.read()
        c.close()

    def test_unframed(self):
        """unframed: no Content-Length, no chunks, the body ends where the connection closes;
        with truncate, it is cut at a line end (a CSV body that looks whole)."""
        params = {"$limit": 20, "$order": ":id", "$select": "id,:id"}
        whole = request("/resource/%s.csv" % CRIMES, params)[2]
        for spec, gz in (("unframed=1", False), ("unframed=1,tag=gz", True)):
            st, h, b = request("/fault/%s/resource/%s.csv" % (spec, CRIMES), params,
                               headers={"Accept-Encoding": "gzip"} if gz else None)
            self.assertEqual(st, 200)
            self.assertNotIn("content-length", h)
            self.assertNotIn("transfer-encoding", h)
            self.assertEqual(h.get("connection"), "close")
            self.assertEqual(gzip.decompress(b) if gz else b, whole)
        st, h, b = request("/fault/unframed=1,truncate=1/resource/%s.csv" % CRIMES, params)
        self.assertNotIn("content-length", h)
        self.assertTrue(b.endswith(b"\n"))
        self.assertTrue(whole.startswith(b))
        lines = b.count(b"\n")
        self.assertTrue(2 <= lines <= 11, lines)     # the header and about half the records
        self.assertEqual(faults.cut_at_line_end(b"a,b\n1,2\n"), b"a,b\n")
        self.assertEqual(faults.cut_at_line_end(b"a,b"), b"a,b")

    def test_malformed(self):
        st, h, b = self.f("malformed=1")
        self.assertEqual(st, 200)
        with self.assertRaises(ValueError):
            json.loads(b)
        for limit in (5, 6, 7, 8):    # the cut lands in different places
            st, h, b = request("/fault/malformed=1/resource/%s.csv" % CRIMES, {"$limit": limit})
            with self.assertRaises(csv.Error):
                list(csv.reader(io.StringIO(b.decode()), strict=True))

    def test_wrongtype(self):
        r = json.loads(self.f("wrongtype=year")[2])
        self.assertEqual(r[0]["year"], "twenty")
        self.assertEqual(r[1]["year"], "2001")
        r = json.loads(self.f("wrongtype=date,row=2")[2])
        self.assertEqual(r[2]["date"], "not a date")
        r = json.loads(self.f("wrongtype=arrest")[2])
        self.assertEqual(r[0]["arrest"], "maybe")
        st, h, b = request("/fault/wrongtype=location/resource/z8bn-74gv.json", {"$limit": 1})
        self.assertEqual(json.loads(b)[0]["location"]["type"], "LineString")
        st, h, b = request("/fault/wrongtype=year/resource/%s.csv" % CRIMES, {"$limit": 2})
        recs = list(csv.reader(b.decode().splitlines()))
        self.assertEqual(dict(zip(recs[0], recs[1]))["year"], "twenty")

    def test_delay_stall_slow(self):
        t = time.time()
        st, h, b = self.f("delay=0.4,tag=d")
        self.assertGreaterEqual(time.time() - t, 0.35)
        self.assertEqual(len(json.loads(b)), 5)
        t = time.time()
        st, h, b = self.f("stall=0.5,tag=d")
        self.assertGreaterEqual(time.time() - t, 0.45)
        self.assertEqual(len(json.loads(b)), 5)
        t = time.time()
        st, h, b = self.f("slow=8000,tag=d", {"$limit": 20})
        self.assertGreater(len(b), 4000)
        self.assertGreaterEqual(time.time() - t, 0.8 * len(b) / 8000)
        self.assertEqual(len(json.loads(b)), 20)
        # a stall longer than the client's patience: the client times out mid-body
        c = http.client.HTTPConnection("127.0.0.1", SRV.port, timeout=0.5)
        c.request("GET", "/fault/stall=30,tag=e/resource/%s.json?$limit=5" % CRIMES)
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        with self.assertRaises((socket.timeout, TimeoutError)):
            r.read()
        c.close()

    def test_bad_spec(self):
        st, h, b = request("/fault/nonsense=1/resource/%s.json" % CRIMES)
        self.assertEqual(st, 400)


# ---------------------------------------------------------------------------
# Control API and request log


class ControlTests(unittest.TestCase):
    def post(self, path, obj=None, params=None):
        body = json.dumps(obj).encode() if obj is not None else b""
        st, h, b = request(path, params, method="POST", body=body, headers={"Content-Type": "application/json"})
        return st, json.loads(b)

    def test_sums_of_integers_in_sqlite_of_decimals_exactly(self):
        # SQLite adds integers exactly and fast (the sync's sum(id) per month over millions of
        # rows); a field holding any non-integral value is added as exact decimals in Python.
        import dataset_registry as registry
        reg = registry.Registry(DATA, log=lambda *a: None)
        reg.load_all()
        ds = reg.get(CRIMES)

        def sum_plan(field):
            return soql.compile_query(ds, {"$select": "sum(%s)" % field}, (), row_ids.decode_row_id,
                                      ds.label)

        def sum_sql(field):
            return sum_plan(field).sql
        self.assertNotIn("soql_decsum", sum_sql("ward"))
        self.assertIn("soql_decsum", sum_sql("latitude"))
        self.assertIn("soql_decsum", sum_sql("ward + 0"))
        one = next(x for x in ORACLE if x["ward"])
        ds.upsert([{"id": one["id"], "ward": "0.25"}])
        self.assertIn("soql_decsum", sum_sql("ward"))
        wards = [int(x["ward"]) for x in ORACLE if x["ward"]]
        with ds.db.reader() as conn:
            plan = sum_plan("ward")
            got = conn.execute(plan.sql, plan.params).fetchone()[0]
        self.assertEqual(decimal.Decimal(got), sum(wards) - int(one["ward"]) + decimal.Decimal("0.25"))

    def test_clone_upsert_delete(self):
        st, r = self.post("/_control/datasets/%s/clone" % CRIMES, params={"to": "tst1-crm1"})
        self.assertEqual((st, r["rows"]), (200, len(ORACLE)))
        meta = rows("/api/views/tst1-crm1.json")
        self.assertEqual(meta["id"], "tst1-crm1")
        first = res({"$select": ":*,*", "$order": ":id", "$limit": 2}, "tst1-crm1")
        last = res({"$select": ":id", "$order": ":id DESC", "$limit": 1}, "tst1-crm1")[0][":id"]
        # update an existing row: keeps :id, changes :updated_at, merges fields
        st, r = self.post("/_control/datasets/tst1-crm1/upsert",
                          [{"id": first[0]["id"], "primary_type": "CHANGED", "ward": None,
                            "updated_on": "2030-01-01T00:00:00"},
                           {"id": "99999999", "date": "2030-01-01T10:00:00.000", "primary_type": "NEW",
                            "arrest": True, "latitude": "41.9", "longitude": "-87.7", "year": 2030}],
                          params={"at": "2030-01-02T00:00:00Z"})
        self.assertEqual((r["Rows Updated"], r["Rows Created"]), (1, 1))
        u = res({"$select": ":*,*", "id": first[0]["id"]}, "tst1-crm1")[0]
        self.assertEqual(u[":id"], first[0][":id"])
        self.assertEqual(u[":created_at"], first[0][":created_at"])
        self.assertEqual(u[":updated_at"], "2030-01-02T00:00:00.000Z")
        self.assertNotEqual(u[":version"], first[0][":version"])
        self.assertEqual(u["primary_type"], "CHANGED")
        self.assertEqual(u["updated_on"], "2030-01-01T00:00:00.000")
        self.assertNotIn("ward", u)
        self.assertEqual(u["description"], first[0]["description"])
        n = res({"$select": ":*,*", "id": "99999999"}, "tst1-crm1")[0]
        self.assertGreater(n[":id"], last)                       # new rows come last in :id order
        self.assertEqual(n["location"], {"type": "Point", "coordinates": [-87.7, 41.9]})
        self.assertEqual(res({"$where": ":updated_at > '2030-01-01'", "$select": "count(*)"}, "tst1-crm1")[0]["count"],
                         "2")
        self.assertEqual(res({"$select": "count(*)", "id": "99999999"})[0]["count"], "0")   # original untouched
        # bad values are refused
        st, r = self.post("/_control/datasets/tst1-crm1/upsert", [{"id": "5", "year": "twenty"}])
        self.assertEqual(st, 400)
        # delete
        st, r = self.post("/_control/datasets/tst1-crm1/delete", {"ids": ["99999999", first[1]["id"]]})
        self.assertEqual(r["Rows Deleted"], 2)
        self.assertEqual(res({"$select": "count(*)"}, "tst1-crm1")[0]["count"], str(len(ORACLE) - 1))
        # metadata follows the data
        self.assertGreaterEqual(rows("/api/views/tst1-crm1.json")["rowsUpdatedAt"], 1893542400)
        st, r = self.post("/_control/datasets/tst1-crm1/drop")
        self.assertEqual(request("/resource/tst1-crm1.json")[0], 404)

    def test_clone_with_other_metadata(self):
        # name and description may be replaced (non-ASCII metadata for the import tests)
        st, r = self.post("/_control/datasets/%s/clone" % "z8bn-74gv",
                          params={"to": "tst2-nam1", "name": "Comisar\u00edas \u2018A\u2019",
                                  "description": "\u00c9t\u00e9"})
        self.assertEqual(st, 200)
        meta = rows("/api/views/tst2-nam1.json")
        self.assertEqual((meta["name"], meta["description"]), ("Comisar\u00edas \u2018A\u2019", "\u00c9t\u00e9"))
        self.assertEqual(rows("/api/views/z8bn-74gv.json")["name"], "Police Stations")
        self.post("/_control/datasets/tst2-nam1/drop")

    def test_log_and_reqs_logs_dataset(self):
        seq0 = rows("/_control/seq")["seq"]
        request("/resource/z8bn-74gv.json", {"$select": "district", "$where": "district = '1'", "$limit": "3"},
                headers={"X-App-Token": "secret-token-value"})
        request("/resource/c7ck-438e.csv", {"$order": "iucr", "$$app_token": "other-secret"})
        log = rows("/_control/log", {"since": seq0})
        self.assertEqual(len(log), 2)
        a, b = log
        self.assertEqual(a["seq"], seq0 + 1)
        self.assertEqual(a["dataset"], "z8bn-74gv")
        self.assertEqual(a["params"]["$where"], "district = '1'")
        self.assertEqual(a["params"]["$select"], "district")
        self.assertIs(a["token_present"], True)
        self.assertEqual(a["status"], 200)
        self.assertGreater(a["bytes"], 0)
        self.assertNotIn("secret", json.dumps(log))
        self.assertIs(b["token_present"], True)
        self.assertEqual(rows("/_control/log", {"since": seq0, "dataset": "c7ck-438e"})[0]["seq"], seq0 + 2)
        with open(SRV.logfile) as f:
            lines = [json.loads(x) for x in f if x.strip()]
        self.assertEqual(lines[-1]["seq"], seq0 + 2)
        with open(SRV.logfile) as f:
            self.assertNotIn("secret", f.read())
        # the log as a dataset; queries to it are not logged
        r = res({"$select": "seq, dataset, `where`, status, token_present", "$where": "seq > %d" % seq0,
                 "$order": "seq"}, "reqs-logs")
        self.assertEqual([x["dataset"] for x in r], ["z8bn-74gv", "c7ck-438e"])
        self.assertEqual(r[0]["where"], "district = '1'")
        self.assertEqual(r[0]["status"], "200")
        self.assertIs(r[0]["token_present"], True)
        self.assertEqual(rows("/_control/seq")["seq"], seq0 + 2)
        r2 = res({"$select": "seq, where, select", "$where": "seq > %d AND where IS NOT NULL" % seq0}, "reqs-logs")
        self.assertEqual(r2, [{"seq": str(seq0 + 1), "where": "district = '1'", "select": "district"}])
        st, h, b = request("/resource/reqs-logs.json", {"$limit": 1})
        self.assertIn("seq", json.loads(h["x-soda2-fields"]))

    def test_reset_restores(self):
        st, r = self.post("/_control/datasets/z8bn-74gv/upsert", [{"district": "1", "district_name": "Changed"}])
        self.assertEqual(res({"district": "1"}, "z8bn-74gv")[0]["district_name"], "Changed")
        st, r = self.post("/_control/reset")
        self.assertEqual(st, 200)
        self.assertEqual(res({"district": "1"}, "z8bn-74gv")[0]["district_name"], "Central")


def small_data_dir(d):
    for name in ("police_stations.csv", "iucr_codes.csv"):
        with open(os.path.join(DATA, name), "rb") as s, open(os.path.join(d, name), "wb") as t:
            t.write(s.read())


class RequestLineTests(unittest.TestCase):
    def test_a_request_line_over_8k_is_refused_like_nginx(self):
        with tempfile.TemporaryDirectory() as d:
            small_data_dir(d)
            srv = ServerProc("--data-dir", d)
            try:
                # "GET " + target + " HTTP/1.1\r\n" is the request line: 8192 bytes pass.
                path = "/resource/z8bn-74gv.json?$select=district&$where="
                fill = 8192 - len("GET  HTTP/1.1\r\n") - len(path)
                longest = path + "%20" * (fill // 3) + "1" * (fill % 3)
                self.assertEqual(len("GET %s HTTP/1.1\r\n" % longest), 8192)
                st, h, b = request(longest, port=srv.port)
                self.assertNotEqual(st, 414, b[:200])
                st, h, b = request(longest + "1", port=srv.port)
                self.assertEqual(st, 414)
                self.assertEqual(h["content-type"], "text/html")
                self.assertEqual(h["connection"], "close")
                self.assertIn(b"<title>414 Request-URI Too Large</title>", b)
                # The server goes on serving.
                self.assertEqual(request("/resource/z8bn-74gv.json", port=srv.port)[0], 200)
            finally:
                srv.stop()


class TokenAndSignalTests(unittest.TestCase):
    def test_require_token_and_sigterm(self):
        with tempfile.TemporaryDirectory() as d:
            small_data_dir(d)
            srv = ServerProc("--data-dir", d, "--require-token", "good-token")
            try:
                st, h, b = request("/resource/z8bn-74gv.json", port=srv.port)
                self.assertEqual(st, 403)
                self.assertEqual(json.loads(b), {"message": "You must be logged in to access this resource",
                                                 "error": True})
                st, h, b = request("/resource/z8bn-74gv.json", headers={"X-App-Token": "bad"}, port=srv.port)
                self.assertEqual(st, 403)
                self.assertEqual(json.loads(b)["message"], "Invalid app_token specified")
                st, h, b = request("/resource/z8bn-74gv.json", headers={"X-App-Token": "good-token"}, port=srv.port)
                self.assertEqual(st, 200)
                st, h, b = request("/resource/z8bn-74gv.json", {"$$app_token": "good-token"}, port=srv.port)
                self.assertEqual(st, 200)
                st, h, b = request("/api/views/z8bn-74gv.json", port=srv.port)
                self.assertEqual(st, 403)
                self.assertTrue(os.path.exists(srv.pidfile))
            finally:
                t = time.time()
                srv.stop()
            self.assertEqual(srv.proc.returncode, 0)
            self.assertLess(time.time() - t, 5)
            self.assertFalse(os.path.exists(srv.pidfile))


if __name__ == "__main__":
    unittest.main()
