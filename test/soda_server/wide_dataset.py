"""A synthetic wide dataset, `wide-cols`, for the limits on a request's length: a scan that
reads every column of a dataset of 455 columns would send a $select of 8.5 kB, more than nginx
takes in a request line. There is no portal dataset behind it. Its shape follows one common on
Socrata portals, only wider: Chicago's Building Permits (ydr8-5enu) has over a hundred columns,
most of them the names and addresses of up to fifteen contacts; this one has 90 contacts. Its
200 rows are generated, the same every time; permit n has n % 90 + 1 contacts.
"""

import csv
import os
import tempfile

CONTACTS = 90
CONTACT_FIELDS = ("type", "name", "city", "state", "zipcode")
ROWS = 200


def columns():
    from dataset_defs import Column as C  # here: dataset_defs imports this module
    cols = [
        C("id", "ID", "number"),
        C("permit_", "PERMIT#", "text"),
        C("issue_date", "ISSUE_DATE", "calendar_date"),
        C("reported_cost", "REPORTED_COST", "number"),
        C("work_description", "WORK DESCRIPTION", "text"),
    ]
    for n in range(1, CONTACTS + 1):
        for f in CONTACT_FIELDS:
            cols.append(C("contact_%d_%s" % (n, f), "CONTACT_%d_%s" % (n, f.upper()), "text"))
    return cols


def _row(i):
    row = {
        "id": str(i),
        "permit_": "W%06d" % (100000 + i),
        "issue_date": "2024-%02d-%02dT00:00:00.000" % (1 + i % 12, 1 + i % 28),
        "reported_cost": str(i * 1000),
        "work_description": "RENOVATION NUMBER %d" % i,
    }
    for n in range(1, i % CONTACTS + 2):
        row["contact_%d_type" % n] = "CONTRACTOR-GENERAL CONTRACTOR" if n == 1 else "OWNER"
        row["contact_%d_name" % n] = "CONTACT %d OF PERMIT %d" % (n, i)
        row["contact_%d_city" % n] = "CHICAGO"
        row["contact_%d_state" % n] = "IL"
        row["contact_%d_zipcode" % n] = str(60600 + n)
    return row


def write_csv(directory):
    """Writes the rows as a CSV file in `directory` (field names in the header, an empty cell
    for a missing value) and returns its path."""
    fields = [c.field for c in columns()]
    fd, path = tempfile.mkstemp(prefix="wide-cols-", suffix=".csv", dir=directory)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(fields)
        for i in range(1, ROWS + 1):
            row = _row(i)
            out.writerow([row.get(name, "") for name in fields])
    return path
