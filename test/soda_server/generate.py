#!/usr/bin/python3
"""Generate a large, realistic crimes file (ijzp-q8t2 columns) for benchmarks.

    /usr/bin/python3 test/soda_server/generate.py --rows 1000000 --out /tmp/crimes_1m.csv.gz \
        [--source DIR] [--seed 42]

Rows are variations of real records from the source crimes file (default
../shared/data if present, else the repo's data/):

* year: drawn with the portal's approximate published yearly totals (2001 ~486k
  ... 2020 ~212k ...), the last year cut at the source's latest date;
* month: the source's seasonal shape, robustly (per month, the median share
  over the source's well-covered years, so the samples' one-month spikes do not
  count); day: uniform within the month; time of day: drawn from the source's
  own times (so the hourly shape, including the :00 spikes, is the real one);
* every other column comes from one real "template" record of the same year
  (neighbouring years when the source is thin there), so the joint
  distributions of primary_type/description/iucr/fbi_code, location
  description, arrest/domestic, beat/district/ward/community area and the
  sparsity of the source are kept;
* coordinates are jittered a little (~60 m; x/y moved consistently);
* ids are new and unique (20,000,001 upwards, ascending with the date, as on
  the portal); case numbers keep the template's letter prefix with a new
  number; year follows the date; updated_on follows SOURCES.md: the
  2018-02-10 15:50:01 republication instant for earlier dates, date + 7 days
  after.

The output is deterministic for a given source, --rows and --seed.
"""

import argparse
import collections
import csv
import datetime
import gzip
import itertools
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))

# Approximate yearly totals of ijzp-q8t2 as published on the portal.
YEAR_TOTALS = {
    2001: 485900, 2002: 486800, 2003: 475900, 2004: 469400, 2005: 453700, 2006: 448100,
    2007: 437000, 2008: 427100, 2009: 392800, 2010: 370500, 2011: 351900, 2012: 336200,
    2013: 307400, 2014: 275700, 2015: 264700, 2016: 269700, 2017: 268900, 2018: 268800,
    2019: 261200, 2020: 212100, 2021: 208700, 2022: 239000, 2023: 262500, 2024: 257500,
    2025: 235000, 2026: 230000,
}
REPUBLISHED = "2018-02-10T15:50:01.000"


def default_source():
    shared = os.path.abspath(os.path.join(REPO, "..", "shared", "data"))
    if os.path.exists(os.path.join(shared, "crimes.csv")):
        return shared
    return os.path.join(REPO, "data")


def open_crimes(src):
    for name in ("crimes.csv", "crimes.csv.gz"):
        p = os.path.join(src, name)
        if os.path.exists(p):
            return (gzip.open if name.endswith(".gz") else open)(p, "rt", newline="", encoding="utf-8")
    raise SystemExit("no crimes.csv[.gz] in %s" % src)


def decimals(s):
    return len(s) - s.index(".") - 1 if "." in s else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--out", required=True, help="output .csv.gz (or .csv)")
    ap.add_argument("--source", default=None)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--first-id", type=int, default=20000001)
    args = ap.parse_args(argv)
    t0 = time.time()
    src = args.source or default_source()
    rnd = random.Random(args.seed)

    with open_crimes(src) as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [r for r in reader if r]
    H = {h: i for i, h in enumerate(header)}
    iD, iCase, iDate, iYear, iUpd = H["id"], H["case_number"], H["date"], H["year"], H["updated_on"]
    iLat, iLon, iX, iY = H["latitude"], H["longitude"], H["x_coordinate"], H["y_coordinate"]

    by_year = collections.defaultdict(list)
    for idx, r in enumerate(rows):
        by_year[int(r[iDate][:4])].append(idx)
    end = max(r[iDate] for r in rows)
    end_year = int(end[:4])
    first_year = 2001
    years = list(range(first_year, end_year + 1))

    # template pools: same year, widened with neighbouring years when thin
    pools = {}
    for y in years:
        pool = list(by_year.get(y, []))
        d = 1
        while len(pool) < 1000 and d <= 5:
            pool += by_year.get(y - d, []) + by_year.get(y + d, [])
            d += 1
        pools[y] = pool or list(range(len(rows)))

    weights = []
    for y in years:
        w = YEAR_TOTALS.get(y, 250000)
        if y == end_year:
            doy = datetime.date(int(end[:4]), int(end[5:7]), int(end[8:10])).timetuple().tm_yday
            w = w * doy / 365.0
        weights.append(w)
    cum = list(itertools.accumulate(weights))

    per_year_month = collections.defaultdict(lambda: [0] * 12)
    for r in rows:
        per_year_month[int(r[iDate][:4])][int(r[iDate][5:7]) - 1] += 1
    shares = [[c / sum(v) for c in v] for v in per_year_month.values() if sum(v) >= 3000]
    if shares:
        month_w = [sorted(col)[len(col) // 2] for col in zip(*shares)]
    else:
        month_w = [1.0] * 12
    times = [r[iDate][11:] for r in rows]               # "HH:MM:SS.000"

    def days_in(y, m):
        return (datetime.date(y + (m == 12), m % 12 + 1, 1) - datetime.timedelta(days=1)).day

    n = args.rows
    ys = rnd.choices(years, cum_weights=cum, k=n)
    ms = rnd.choices(range(1, 13), weights=month_w, k=n)
    tms = rnd.choices(times, k=n)
    gen = []
    for k in range(n):
        y = ys[k]
        m = ms[k]
        d = "%d-%02d-%02dT%s" % (y, m, 1 + int(rnd.random() * days_in(y, m)), tms[k])
        while d > end:
            m = rnd.choices(range(1, 13), weights=month_w)[0]
            d = "%d-%02d-%02dT%s" % (y, m, 1 + int(rnd.random() * days_in(y, m)), rnd.choice(times))
        pool = pools[y]
        gen.append((d, pool[int(rnd.random() * len(pool))]))
    gen.sort()

    case_counters = {}
    out_raw = gzip.open(args.out, "wt", newline="", encoding="utf-8", compresslevel=3) \
        if args.out.endswith(".gz") else open(args.out, "w", newline="", encoding="utf-8")
    gauss = rnd.gauss
    with out_raw as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(header)
        batch = []
        for rank, (d, tidx) in enumerate(gen):
            r = list(rows[tidx])
            r[iD] = str(args.first_id + rank)
            r[iDate] = d
            r[iYear] = d[:4]
            if r[iCase]:
                prefix = r[iCase][:2] if r[iCase][:2].isalpha() else r[iCase][:1]
                c = case_counters.get(prefix, 0) + 1
                case_counters[prefix] = c
                r[iCase] = "%s%06d" % (prefix, (c * 7919 + 104729) % 1000000)
            if d < REPUBLISHED:
                r[iUpd] = REPUBLISHED
            else:
                dt = datetime.datetime.strptime(d[:19], "%Y-%m-%dT%H:%M:%S") + datetime.timedelta(days=7)
                r[iUpd] = dt.strftime("%Y-%m-%dT%H:%M:%S") + d[19:]
            lat, lon = r[iLat], r[iLon]
            if lat and lon:
                dlat = gauss(0.0, 0.0006)
                dlon = gauss(0.0, 0.0008)
                r[iLat] = "%.*f" % (max(decimals(lat), 6), float(lat) + dlat)
                r[iLon] = "%.*f" % (max(decimals(lon), 6), float(lon) + dlon)
                if r[iX] and r[iY]:
                    r[iX] = str(int(round(float(r[iX]) + dlon * 272300)))
                    r[iY] = str(int(round(float(r[iY]) + dlat * 364200)))
            elif r[iX] and r[iY]:
                r[iX] = str(int(round(float(r[iX]) + gauss(0.0, 200))))
                r[iY] = str(int(round(float(r[iY]) + gauss(0.0, 200))))
            batch.append(r)
            if len(batch) >= 50000:
                w.writerows(batch)
                batch = []
        w.writerows(batch)
    print("generated %d rows into %s in %.1fs (source %s, %d template rows, dates %s .. %s)" % (
        n, args.out, time.time() - t0, src, len(rows), gen[0][0] if gen else "-", gen[-1][0] if gen else "-"),
        file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
