#!/usr/bin/python3
"""Regenerate the repo's bundled sample data (data/) from ../shared/data.

    /usr/bin/python3 test/soda_server/make_sample.py [--source DIR] [--out DIR] [--rows 60000]

crimes.csv.gz: a deterministic, year-stratified sample of crimes.csv.
  * Every year gets a quota: max(min(rows_in_year, 300), its proportional
    share), then the quotas are scaled (largest remainder) so they sum to
    exactly --rows.  Thin years (2016-2018, 2024, 2026) are thus kept visible.
  * Within a year the rows kept are those with the smallest
    sha1("ijzp-q8t2:" + id) -- a fixed hash, so the sample never changes for
    the same input.
  * Rows keep the source file's order (ascending id); the file is written
    with gzip mtime 0 so it is byte-for-byte reproducible.
The small files (police_stations, ward_offices, community_areas, iucr_codes)
are copied unchanged.
"""

import argparse
import collections
import csv
import gzip
import hashlib
import io
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SMALL = ("police_stations.csv", "ward_offices.csv", "community_areas.csv", "iucr_codes.csv")
MIN_PER_YEAR = 300


def row_hash(rid):
    return hashlib.sha1(("ijzp-q8t2:" + rid).encode()).digest()


def quotas(counts, total):
    base = {y: max(min(n, MIN_PER_YEAR), n * total / sum(counts.values())) for y, n in counts.items()}
    scale = total / sum(base.values())
    exact = {y: min(counts[y], b * scale) for y, b in base.items()}
    q = {y: int(v) for y, v in exact.items()}
    short = total - sum(q.values())
    order = sorted(exact, key=lambda y: (-(exact[y] - q[y]), y))
    i = 0
    while short > 0:
        y = order[i % len(order)]
        if q[y] < counts[y]:
            q[y] += 1
            short -= 1
        i += 1
    return q


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", default=os.path.join(REPO, "..", "shared", "data"))
    ap.add_argument("--out", default=os.path.join(REPO, "data"))
    ap.add_argument("--rows", type=int, default=60000)
    args = ap.parse_args()
    src = os.path.abspath(args.source)
    os.makedirs(args.out, exist_ok=True)

    with open(os.path.join(src, "crimes.csv"), newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    yi = header.index("year")
    ii = header.index("id")
    by_year = collections.defaultdict(list)
    for idx, r in enumerate(rows):
        by_year[r[yi]].append(idx)
    q = quotas({y: len(v) for y, v in by_year.items()}, args.rows)
    keep = set()
    for y, idxs in by_year.items():
        idxs = sorted(idxs, key=lambda i: row_hash(rows[i][ii]))
        keep.update(idxs[:q[y]])
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for idx, r in enumerate(rows):
        if idx in keep:
            w.writerow(r)
    dest = os.path.join(args.out, "crimes.csv.gz")
    with open(dest, "wb") as raw:
        with gzip.GzipFile(filename="crimes.csv", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(out.getvalue().encode("utf-8"))
    for name in SMALL:
        shutil.copyfile(os.path.join(src, name), os.path.join(args.out, name))
    print("wrote %s: %d rows; per year: %s" % (dest, len(keep), " ".join("%s:%d" % kv for kv in sorted(q.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
