"""A synthetic dataset with a `double` field, `dbls-test`, for the rules a client must keep
for Socrata's double type (no Chicago dataset has one): the portal adds doubles in binary
floating point (sum(amount) of 0.1 and 0.2 is 0.30000000000000004, where the same values in a
`number` field add up to 0.3), and SoQL refuses to compare a double with a number field (a
400 query.soql.type-mismatch). `amount` (double) and `exact` (number) hold the same values;
each is written in the shortest digits, which are also the text Java's Double.toString gives
them (so the JSON and CSV here are what soda-fountain writes).
"""

import csv
import os
import tempfile

# label, amount (double), exact (number); None = null
ROWS = (
    ("one tenth", "0.1", "0.1"),
    ("one fifth", "0.2", "0.2"),
    ("two and a half", "2.5", "2.5"),
    ("nothing", None, None),
    ("a thousand and a quarter", "1000.25", "1000.25"),
)


def columns():
    from dataset_defs import Column as C  # here: dataset_defs imports this module
    return [
        C("label", "Label", "text", "What the row's values are."),
        C("amount", "Amount", "double", "The value as a double (binary floating point)."),
        C("exact", "Exact", "number", "The same value as a number (an exact decimal)."),
    ]


def write_csv(directory):
    """Writes the rows as a CSV file in `directory` (field names in the header, an empty cell
    for a null) and returns its path."""
    fd, path = tempfile.mkstemp(prefix="dbls-test-", suffix=".csv", dir=directory)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow([c.field for c in columns()])
        for row in ROWS:
            out.writerow(["" if v is None else v for v in row])
    return path
