"""The in-memory SQLite database the datasets live in: the Python functions
every connection registers for translated SoQL (soql_upper, soql_dow,
soql_within_circle, soql_rowid, ...), format_number, a readers/writer lock and
Database (a shared-cache database and its pool of connections).  Separate from
Dataset: it knows no dataset's schema, and the request log makes its own
Database with it.
"""

import contextlib
import datetime
import decimal
import math
import os
import queue
import sqlite3
import threading

import soql_literals
from row_ids import encode_row_id, row_version

# ---------------------------------------------------------------------------
# Database: one shared in-memory SQLite database, a pool of connections and a
# readers/writer lock (SQLite shared cache gives table-level locking only).

_DB_COUNTER = [0]


def _py_upper(s):
    return s.upper() if isinstance(s, str) else s


def _py_lower(s):
    return s.lower() if isinstance(s, str) else s


def _py_starts_with(a, b):
    if a is None or b is None:
        return None
    return 1 if a.startswith(b) else 0


def _py_contains(a, b):
    if a is None or b is None:
        return None
    return 1 if b in a else 0


def _date_of(s):
    """The date of a stored timestamp's text, or None (NULL or not a date)."""
    if s is None:
        return None
    try:
        return datetime.date(int(s[0:4]), int(s[5:7]), int(s[8:10]))
    except ValueError:
        return None


def _py_dow(s):
    d = _date_of(s)
    return None if d is None else (d.weekday() + 1) % 7   # 0 = Sunday, as in the API


def _py_woy(s):
    d = _date_of(s)
    return None if d is None else d.isocalendar()[1]


def _py_numtext(v):
    if v is None:
        return None
    return format_number(v)


def _lenient(parse):
    """A SQLite conversion function: parse(str(v)), NULL for NULL or a value it refuses."""
    def convert(v):
        if v is None:
            return None
        try:
            return parse(str(v))
        except ValueError:
            return None
    return convert


def _py_numcmp(a, b):
    """-1, 0 or 1 comparing two numbers as exact decimals; NULL when either is NULL."""
    if a is None or b is None:
        return None
    x, y = soql_literals.exact_number(a), soql_literals.exact_number(b)
    return (x > y) - (x < y)


class _DecimalSum:
    """sum() as the portal adds numbers: exact decimals (SQLite's SUM of REALs rounds). The
    translator uses it only for the value a query outputs, as text."""

    def __init__(self):
        self.total = None

    def step(self, v):
        if v is not None:
            x = soql_literals.exact_number(v)
            self.total = x if self.total is None else self.total + x

    def finalize(self):
        if self.total is None:
            return None
        if self.total == self.total.to_integral_value():
            return str(int(self.total))
        return format(self.total.normalize(), "f")


class _MoneySum(_DecimalSum):
    """sum() of money as the portal's PostgreSQL adds numeric: exact, with the largest scale
    of the values added (1250.00 + 0.99 = 1250.99, 10.50 + 0.50 = 11.00). Like soql_decsum,
    for the value a query outputs, as text."""

    def finalize(self):
        return None if self.total is None else format(self.total, "f")


class _MoneyAvg(_MoneySum):
    """avg() of money as PostgreSQL's avg of numeric: the exact sum divided by the count, to
    16 decimal places at least (PostgreSQL's select_div_scale), more if the values have more."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def step(self, v):
        super().step(v)
        if v is not None:
            self.n += 1

    def finalize(self):
        if self.total is None:
            return None
        with decimal.localcontext() as ctx:
            ctx.prec = 40
            q = self.total / self.n
        return format(q.quantize(decimal.Decimal(1).scaleb(-max(16, -self.total.as_tuple().exponent))), "f")


class _MoneyMax:
    """max() of money: the value with its own digits, as numeric keeps its scale (SQLite's
    max of the NUMERIC column would give 1250 for 1250.00). The first of equal values wins."""
    sign = 1

    def __init__(self):
        self.best = None

    def step(self, v):
        if v is not None:
            x = soql_literals.exact_number(v)
            if self.best is None or (x - self.best) * self.sign > 0:
                self.best = x

    def finalize(self):
        return None if self.best is None else format(self.best, "f")


class _MoneyMin(_MoneyMax):
    """min() of money, as max()."""
    sign = -1


class _FloatSum:
    """sum() of doubles as the portal's PostgreSQL adds double precision: in binary floating
    point, each value added to the total in turn (0.1 + 0.2 = 0.30000000000000004). SQLite's
    own sum() compensates the rounding from 3.43 on (Kahan-Babuska-Neumaier)."""

    def __init__(self):
        self.total = None
        self.n = 0

    def step(self, v):
        if v is not None:
            self.total = float(v) if self.total is None else self.total + float(v)
            self.n += 1

    def finalize(self):
        return self.total


class _FloatAvg(_FloatSum):
    """avg() of doubles: the floating-point sum divided by the count, as PostgreSQL's."""

    def finalize(self):
        return None if self.total is None else self.total / self.n


def _py_within_box(lat, lon, nw_lat, nw_lon, se_lat, se_lon):
    if lat is None or lon is None or None in (nw_lat, nw_lon, se_lat, se_lon):
        return None
    return 1 if (se_lat <= lat <= nw_lat and nw_lon <= lon <= se_lon) else 0


def _py_within_circle(lat, lon, clat, clon, radius):
    if lat is None or lon is None or None in (clat, clon, radius):
        return None
    r = 6371008.8
    p1, p2 = math.radians(lat), math.radians(clat)
    dp = p2 - p1
    dl = math.radians(clon - lon)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 1 if 2 * r * math.asin(min(1.0, math.sqrt(a))) <= radius else 0


def format_number(v):
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return format(decimal.Decimal(repr(v)), "f")
    return str(v)


def _setup_connection(conn):
    conn.execute("PRAGMA case_sensitive_like = ON")
    det = {"deterministic": True}
    conn.create_function("soql_upper", 1, _py_upper, **det)
    conn.create_function("soql_lower", 1, _py_lower, **det)
    conn.create_function("soql_starts_with", 2, _py_starts_with, **det)
    conn.create_function("soql_contains", 2, _py_contains, **det)
    conn.create_function("soql_dow", 1, _py_dow, **det)
    conn.create_function("soql_woy", 1, _py_woy, **det)
    conn.create_function("soql_numtext", 1, _py_numtext, **det)
    conn.create_function("soql_tonumber", 1, _lenient(soql_literals.number_value), **det)
    conn.create_function("soql_tofloating", 1, _lenient(soql_literals.floating_literal), **det)
    conn.create_function("soql_tofixed", 1, _lenient(soql_literals.fixed_literal), **det)
    conn.create_function("soql_numcmp", 2, _py_numcmp, **det)
    conn.create_aggregate("soql_decsum", 1, _DecimalSum)
    conn.create_aggregate("soql_floatsum", 1, _FloatSum)
    conn.create_aggregate("soql_floatavg", 1, _FloatAvg)
    conn.create_aggregate("soql_moneysum", 1, _MoneySum)
    conn.create_aggregate("soql_moneyavg", 1, _MoneyAvg)
    conn.create_aggregate("soql_moneymax", 1, _MoneyMax)
    conn.create_aggregate("soql_moneymin", 1, _MoneyMin)
    conn.create_function("soql_within_box", 6, _py_within_box, **det)
    conn.create_function("soql_within_circle", 5, _py_within_circle, **det)
    conn.create_function("soql_rowid", 1, encode_row_id, **det)
    conn.create_function("soql_rowversion", 2, row_version, **det)


class RWLock:
    def __init__(self):
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0

    @contextlib.contextmanager
    def read(self):
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def write(self):
        with self._cond:
            self._waiting_writers += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class Database:
    """In-memory SQLite database shared by a pool of connections."""

    def __init__(self, shared=True, page_size=16384):
        _DB_COUNTER[0] += 1
        self.shared = shared
        if shared:
            self.uri = "file:soda_%d_%d?mode=memory&cache=shared" % (os.getpid(), _DB_COUNTER[0])
        else:
            self.uri = ":memory:"
        self.lock = RWLock()
        self._pool = queue.LifoQueue()
        self._keeper = self._connect()   # keeps the shared in-memory database alive
        # big pages: a pre-serialized row (~1 KB) then fits in its page instead of an
        # overflow chain, which makes reading pages of rows several times faster
        self._keeper.execute("PRAGMA page_size = %d" % page_size)
        self._keeper.execute("VACUUM")
        if not shared:
            self._mutex = threading.Lock()

    def _connect(self):
        if self.shared:
            conn = sqlite3.connect(self.uri, uri=True, check_same_thread=False, isolation_level=None)
        else:
            conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        _setup_connection(conn)
        return conn

    @contextlib.contextmanager
    def reader(self):
        if not self.shared:
            with self._mutex:
                yield self._keeper
            return
        with self.lock.read():
            try:
                conn = self._pool.get_nowait()
            except queue.Empty:
                conn = self._connect()
            try:
                yield conn
            finally:
                self._pool.put(conn)

    @contextlib.contextmanager
    def writer(self):
        if not self.shared:
            with self._mutex:
                yield self._keeper
            return
        with self.lock.write():
            yield self._keeper
