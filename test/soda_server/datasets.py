"""Datasets of the local SODA test server: the Dataset class (one dataset's table
in the in-memory SQLite database, loading CSV files into it with every row
pre-serialized in its JSON and CSV wire forms, upserts and deletes, metadata)
and the helpers that build rows chunk by chunk, in this process or in forked
workers.

The pieces it is made of have their own modules: dataset_defs (column types,
the datasets served), row_ids (:id and :version), wire_values (normalising and
serializing values), sqlite_db (the database, its SQL functions and lock) and
fast_loader (the generated CSV loader); dataset_registry holds the set of
datasets the server serves.
"""

import collections
import csv
import datetime
import gzip
import itertools
import json
import time
import zlib

import soql_literals
from dataset_defs import DEFS, REQLOG_DEF, SYSTEM_TYPES, SysColumn
from fast_loader import make_fast_loader
from row_ids import encode_row_id
from wire_values import BadValue, csv_value, json_value, norm_location, norm_point, normalise

# ---------------------------------------------------------------------------
# Dataset


def now_fixed():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


def fixed_to_epoch(s):
    dt = datetime.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return int(dt.timestamp())


class Dataset:
    _table_counter = [0]

    def __init__(self, db, dataset_id, d, key_order="column"):
        self.db = db
        self.id = dataset_id
        self.d = d
        self.key_order = key_order
        self.columns = d["columns"]()
        first = d.get("first_col_id", 1000)
        for i, c in enumerate(self.columns):
            c.bind(i, i + 1, first + i)
        self.columns_by_field = {c.field: c for c in self.columns}
        sysc = [SysColumn(":id", "row_identifier", "_sid", "_rid"),
                SysColumn(":created_at", "fixed_timestamp", "_created", "_created"),
                SysColumn(":updated_at", "fixed_timestamp", "_updated", "_updated"),
                SysColumn(":version", "row_version", "soql_rowversion(_sid, _vc)", "soql_rowversion(_sid, _vc)")]
        for s in sysc:
            self.columns_by_field[s.field] = s
        if key_order == "sorted":
            self.out_columns = sorted(self.columns, key=lambda c: c.field)
        else:
            self.out_columns = list(self.columns)
        self.user_fields = [c.field for c in self.out_columns]
        self.sys_fields = (sorted(SYSTEM_TYPES) if key_order == "sorted"
                           else [":id", ":created_at", ":updated_at", ":version"])
        Dataset._table_counter[0] += 1
        self.table = "d_%d" % Dataset._table_counter[0]
        self.key_col = self.columns_by_field[d["key"]]
        self.int_key = d.get("int_key", False)
        self.point = d.get("point")
        self.rows = 0
        self.max_sid = 0
        self.rows_updated_at = d.get("createdAt", 0)
        self.data_version = 0
        # Number fields holding a non-integral value: sum() adds those as exact decimals, in
        # Python; integers SQLite adds exactly, and far faster (the sync's sum(id) per month).
        self.real_number_fields = set()
        self.version_counter = 0
        self.label = "alpha.%d" % (zlib.crc32(dataset_id.encode()) % 900000 + 100000)
        if db is not None:
            self.create_table()

    # -- schema
    def column_ddl(self, c):
        """The SQLite columns that store column c (a subclass adds the types it stores
        otherwise)."""
        if c.soql_type == "number":
            return ["%s NUMERIC" % c.sql]   # int or float values
        if c.soql_type == "double":
            return ["%s REAL" % c.sql]
        if c.soql_type == "boolean":
            return ["%s INTEGER" % c.sql]
        if c.soql_type in ("point", "location"):
            return ["%s TEXT" % c.sql, "%s REAL" % c.lat_sql, "%s REAL" % c.lon_sql]
        return ["%s TEXT" % c.sql]

    def create_table(self):
        cols = ["_sid INTEGER PRIMARY KEY", "_rid TEXT NOT NULL", "_created TEXT NOT NULL",
                "_updated TEXT NOT NULL", "_vc INTEGER NOT NULL", "_json BLOB NOT NULL", "_csv BLOB NOT NULL"]
        for c in self.columns:
            cols += self.column_ddl(c)
        self.ddl_cols = cols
        with self.db.writer() as conn:
            conn.execute("DROP TABLE IF EXISTS %s" % self.table)
            conn.execute("CREATE TABLE %s (%s)" % (self.table, ", ".join(cols)))
        self.insert_sql = None

    def create_indexes(self):
        with self.db.writer() as conn:
            conn.execute("CREATE INDEX IF NOT EXISTS %s_key ON %s (%s)" % (self.table, self.table, self.key_col.sql))
            conn.execute("CREATE INDEX IF NOT EXISTS %s_upd ON %s (_updated)" % (self.table, self.table))
            for c in self.columns:
                if c.soql_type == "floating_timestamp":
                    conn.execute("CREATE INDEX IF NOT EXISTS %s_i%d ON %s (%s)" % (
                        self.table, c.index, self.table, c.sql))

    # -- serialization of one row
    def build(self, sid, vals, created, updated, vc):
        """vals: dict field -> canonical value (None or absent = null).  -> DB tuple."""
        jparts = []
        cparts = []
        for c in self.out_columns:
            v = vals.get(c.field)
            if v is None:
                cparts.append("")
                continue
            jparts.append('"%s":%s' % (c.field, json_value(c, v)))
            cparts.append(csv_value(c, v))
        js = ("{" + ",".join(jparts) + "}").encode()
        cs = (",".join(cparts) + "\n").encode()
        row = [sid, encode_row_id(sid), created, updated, vc, js, cs]
        for c in self.columns:
            v = vals.get(c.field)
            t = c.soql_type
            if t == "number":
                nv = None if v is None else soql_literals.number_value(v)
                if isinstance(nv, float):
                    self.real_number_fields.add(c.field)
                row.append(nv)
            elif t == "double":
                row.append(v)       # its float already
            elif t == "boolean":
                row.append(None if v is None else (1 if v else 0))
            elif t == "point":
                if v is None:
                    row += [None, None, None]
                else:
                    row += [json_value(c, v), float(v[1]), float(v[0])]
            elif t == "location":
                if v is None:
                    row += [None, None, None]
                else:
                    row += [json_value(c, v), float(v[0]), float(v[1])]
            else:
                row.append(v)
        return row

    def _insert_sql(self, replace=False):
        n = 7
        for c in self.columns:
            n += {"point": 3, "location": 3}.get(c.soql_type, 1)
        return "INSERT %sINTO %s VALUES (%s)" % ("OR REPLACE " if replace else "", self.table, ",".join("?" * n))

    def derive(self, vals):
        """Derived columns: the crimes point from longitude/latitude."""
        if self.point:
            pf, lonf, latf = self.point
            lon = vals.get(lonf)
            lat = vals.get(latf)
            if lon is not None and lat is not None:
                vals[pf] = (lon, lat)
            elif pf not in vals or vals.get(pf) is None:
                vals[pf] = None
        return vals

    # -- loading
    def load_csv(self, path, slow=False, workers=0):
        """Load a CSV (or .csv.gz) file whose header holds field names.

        Two equivalent paths (the self-tests compare them): a generated
        Python function per dataset (default), and the generic
        normalise()+build() used by upserts (slow=True)."""
        t0 = time.time()
        opener = gzip.open if path.endswith(".gz") else open
        max_upd = ""
        sql = self._insert_sql()
        mode = "slow" if slow else "fast"
        with opener(path, "rt", newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader)]
            if self.key_col.field not in header:
                raise BadValue("%s: no %s column in the header" % (path, self.key_col.field))
            spec = (self.id, self.key_order, tuple(header), mode == "slow", path)
            with self.db.writer() as conn:
                conn.execute("BEGIN")
                try:
                    if workers and workers > 1 and mode == "fast":
                        self._load_forked(conn, sql, f, spec, workers)
                    else:
                        ordinal = 0
                        for recs in _chunks(reader, 20000):
                            rows, mu = build_chunk((spec, ordinal, recs), self)
                            ordinal += len(recs)
                            max_upd = max(max_upd, mu)
                            conn.executemany(sql, rows)
                    conn.execute("COMMIT")
                except Exception:
                    conn.execute("ROLLBACK")
                    raise
                self.rows = conn.execute("SELECT count(*) FROM %s" % self.table).fetchone()[0]
                self.max_sid = conn.execute("SELECT coalesce(max(_sid), 0) FROM %s" % self.table).fetchone()[0]
                mu = conn.execute("SELECT max(_updated) FROM %s" % self.table).fetchone()[0]
                max_upd = max(max_upd, mu or "")
        if max_upd:
            self.rows_updated_at = fixed_to_epoch(max_upd)
        self.note_real_number_fields()
        self.create_indexes()
        self.data_version += 1
        return time.time() - t0

    def note_real_number_fields(self):
        """Finds the number fields with a non-integral value (the rows were built by forked
        loaders, whose notes are lost): one scan at start-up."""
        cols = [c for c in self.columns if c.soql_type == "number"]
        if not cols:
            return
        with self.db.reader() as conn:
            flags = conn.execute("SELECT %s FROM %s" % (
                ", ".join("max(typeof(%s) = 'real')" % c.sql for c in cols), self.table)).fetchone()
        self.real_number_fields.update(c.field for c, f in zip(cols, flags) if f)

    def _load_forked(self, conn, sql, f, spec, workers):
        """Build rows in forked worker processes while this one inserts.

        Only for the server's start-up (before any thread exists: fork is
        then safe); the children touch nothing but the CSV text they get."""
        import multiprocessing
        global _FORK_DATASET
        _FORK_DATASET = self
        ctx = multiprocessing.get_context("fork")
        pending = collections.deque()
        with ctx.Pool(workers) as pool:
            ordinal = 0
            for lines in _line_chunks(f, 20000):
                pending.append(pool.apply_async(_forked_build, (spec, ordinal, lines)))
                ordinal += len(lines)
                while len(pending) > 2 * workers:
                    conn.executemany(sql, pending.popleft().get())
            while pending:
                conn.executemany(sql, pending.popleft().get())
        _FORK_DATASET = None

    def copy_from(self, other):
        with self.db.writer() as conn:
            conn.execute("INSERT INTO %s SELECT * FROM %s" % (self.table, other.table))
        self.rows = other.rows
        self.max_sid = other.max_sid
        self.rows_updated_at = other.rows_updated_at
        self.version_counter = other.version_counter
        self.real_number_fields = set(other.real_number_fields)
        self.create_indexes()
        self.data_version += 1

    def drop(self):
        with self.db.writer() as conn:
            conn.execute("DROP TABLE IF EXISTS %s" % self.table)

    # -- reading one stored row back to canonical values
    def _row_values(self, conn, sid):
        cols = []
        for c in self.columns:
            cols.append(c.out_sql if c.soql_type == "number" else c.sql)
        r = conn.execute("SELECT _created, _vc, %s FROM %s WHERE _sid = ?" % (", ".join(cols), self.table),
                         (sid,)).fetchone()
        if r is None:
            return None
        vals = {}
        for c, v in zip(self.columns, r[2:]):
            if v is None:
                continue
            t = c.soql_type
            if t == "boolean":
                vals[c.field] = bool(v)
            elif t == "point":
                vals[c.field] = norm_point(json.loads(v))
            elif t == "location":
                vals[c.field] = norm_location(json.loads(v))
            else:
                vals[c.field] = v
        return r[0], vals

    def append(self, sid, vals, stamp):
        """Insert one new row (used by the request-log dataset)."""
        row = self.build(sid, vals, stamp, stamp, 0)
        with self.db.writer() as conn:
            conn.execute(self._insert_sql(replace=True), row)
        self.rows += 1
        self.max_sid = max(self.max_sid, sid)
        self.rows_updated_at = fixed_to_epoch(stamp)
        self.data_version += 1

    def key_value(self, raw):
        v = normalise(self.key_col, raw)
        if v is None:
            raise BadValue("row identifier %s is missing" % self.key_col.field)
        return v

    def _find_sid(self, conn, key):
        kv = soql_literals.number_value(key) if self.key_col.soql_type == "number" else key
        r = conn.execute("SELECT _sid FROM %s WHERE %s = ?" % (self.table, self.key_col.sql), (kv,)).fetchone()
        return r[0] if r else None

    def upsert(self, objs, at=None):
        """Socrata upsert semantics: fields present replace, absent ones are kept,
        null clears; ':deleted': true deletes.  Returns a Socrata-like result."""
        if not isinstance(objs, list):
            raise BadValue("body must be a JSON array of row objects")
        created_n = updated_n = deleted_n = 0
        stamp = at or now_fixed()
        sql = self._insert_sql(replace=True)
        with self.db.writer() as conn:
            conn.execute("BEGIN")
            try:
                for obj in objs:
                    if not isinstance(obj, dict):
                        raise BadValue("each row must be a JSON object")
                    key = self.key_value(obj.get(self.key_col.field))
                    sid = self._find_sid(conn, key)
                    if obj.get(":deleted") is True:
                        if sid is not None:
                            conn.execute("DELETE FROM %s WHERE _sid = ?" % self.table, (sid,))
                            deleted_n += 1
                        continue
                    if sid is not None:
                        created, vals = self._row_values(conn, sid)
                        updated_n += 1
                    else:
                        created, vals = stamp, {}
                        self.max_sid += 1
                        sid = self.max_sid
                        created_n += 1
                    explicit_point = False
                    for k, v in obj.items():
                        if k.startswith(":"):
                            continue
                        c = self.columns_by_field.get(k)
                        if c is None or isinstance(c, SysColumn):
                            raise BadValue("no such column: %s" % k)
                        try:
                            vals[k] = normalise(c, v)
                        except BadValue as e:
                            raise BadValue("%s: %s" % (k, e))
                        if self.point and k == self.point[0]:
                            explicit_point = True
                    if self.point and not explicit_point:
                        self.derive(vals)
                    elif self.point and explicit_point and vals.get(self.point[0]) is None:
                        self.derive(vals)
                    self.version_counter += 1
                    conn.execute(sql, self.build(sid, vals, created, stamp, self.version_counter))
                conn.execute("COMMIT")
            except Exception:
                conn.execute("ROLLBACK")
                raise
            self.rows = conn.execute("SELECT count(*) FROM %s" % self.table).fetchone()[0]
        self.rows_updated_at = max(self.rows_updated_at, fixed_to_epoch(stamp))
        self.data_version += 1
        return {"By RowIdentifier": updated_n + deleted_n, "Rows Updated": updated_n, "Rows Deleted": deleted_n,
                "Rows Created": created_n, "Errors": 0, "By SID": 0}

    def delete(self, ids):
        n = 0
        with self.db.writer() as conn:
            conn.execute("BEGIN")
            for raw in ids:
                key = self.key_value(raw)
                sid = self._find_sid(conn, key)
                if sid is not None:
                    conn.execute("DELETE FROM %s WHERE _sid = ?" % self.table, (sid,))
                    n += 1
            conn.execute("COMMIT")
            self.rows = conn.execute("SELECT count(*) FROM %s" % self.table).fetchone()[0]
        self.rows_updated_at = max(self.rows_updated_at, int(time.time()))
        self.data_version += 1
        return {"Rows Deleted": n, "Rows Not Found": len(ids) - n}

    # -- metadata (/api/views/<id>.json)
    def metadata(self):
        d = self.d
        cols = []
        for c in self.columns:
            cd = {"id": c.id, "name": c.name, "dataTypeName": c.datatype}
            if c.description:
                cd["description"] = c.description
            cd.update({"fieldName": c.field, "position": c.position, "renderTypeName": c.render,
                       "tableColumnId": c.table_column_id, "format": dict(c.fmt)})
            cols.append(cd)
        owner = {"id": "scy9-9wg4", "displayName": "cocadmin", "screenName": "cocadmin", "type": "interactive"}
        return {
            "id": self.id,
            "name": d["name"],
            "assetType": "dataset",
            "attribution": d.get("attribution"),
            "attributionLink": d.get("attributionLink"),
            "averageRating": 0,
            "category": d.get("category"),
            "createdAt": d.get("createdAt"),
            "description": d.get("description"),
            "displayType": "table",
            "downloadCount": 0,
            "hideFromCatalog": False,
            "hideFromDataJson": False,
            "newBackend": True,
            "numberOfComments": 0,
            "oid": 1000 + self.key_col.id % 100000,
            "provenance": "official",
            "publicationAppendEnabled": False,
            "publicationDate": d.get("publicationDate"),
            "publicationGroup": 2000 + self.key_col.id % 100000,
            "publicationStage": "published",
            "rowClass": "",
            "rowIdentifierColumnId": self.key_col.id,
            "rowsUpdatedAt": self.rows_updated_at,
            "rowsUpdatedBy": "scy9-9wg4",
            "tableId": 3000 + self.key_col.id % 100000,
            "totalTimesRated": 0,
            "viewCount": 0,
            "viewLastModified": max(self.rows_updated_at, d.get("publicationDate") or 0),
            "viewType": "tabular",
            "columns": cols,
            "grants": [{"inherited": False, "type": "viewer", "flags": ["public"]}],
            "metadata": {"rowIdentifier": self.key_col.id, "availableDisplayTypes": ["table", "fatrow", "page"]},
            "owner": owner,
            "query": {},
            "rights": ["read"],
            "tableAuthor": owner,
            "tags": d.get("tags", []),
            "flags": ["default", "restorable", "restorePossibleForType"],
        }


def _chunks(it, n):
    it = iter(it)
    while True:
        out = list(itertools.islice(it, n))
        if not out:
            return
        yield out


_WORKER_CACHE = {}
_FORK_DATASET = None


def _line_chunks(f, n):
    """Raw CSV record texts, n at a time (a record may span lines inside quotes)."""
    out = []
    buf = None
    for line in f:
        if buf is not None:
            buf += line
            if buf.count('"') % 2 == 0:
                out.append(buf)
                buf = None
        elif line.count('"') % 2:
            buf = line
            continue
        else:
            out.append(line)
        if len(out) >= n:
            yield out
            out = []
    if buf is not None:
        out.append(buf)
    if out:
        yield out


def _forked_build(spec, ordinal, lines):
    rows, _mu = build_chunk((spec, ordinal, list(csv.reader(lines))), _FORK_DATASET)
    return rows


def build_chunk(task, ds=None):
    """CSV records (lists of cells) -> DB rows (Python paths).  -> (rows, max :updated_at)"""
    spec, ordinal, records = task
    dsid, key_order, header, slow, path = spec
    if ds is None:
        ds = _WORKER_CACHE.get((dsid, key_order))
        if ds is None:
            ds = Dataset(None, dsid, DEFS.get(dsid) or REQLOG_DEF, key_order)
            _WORKER_CACHE[(dsid, key_order)] = ds
    cache_key = ("loader", ds.id, ds.key_order, header)
    fast = None
    if not slow:
        fast = _WORKER_CACHE.get(cache_key)
        if fast is None:
            fast = make_fast_loader(ds, header)
            _WORKER_CACHE[cache_key] = fast
    cols = [ds.columns_by_field.get(h) for h in header]
    derived_point = ds.point[0] if ds.point else None
    key_index = header.index(ds.key_col.field)
    upd_index = header.index("updated_on") if (ds.id == "ijzp-q8t2" and "updated_on" in header) else None
    default_ts = ds.d.get("fixed_updated", "2020-01-01T00:00:00.000Z")
    int_key = ds.int_key
    rows = []
    max_upd = ""
    if fast is not None:
        try:
            return [fast(rec, o, default_ts) for o, rec in enumerate(records, ordinal + 1)], ""
        except (ValueError, IndexError, KeyError):
            pass   # find the culprit below for a useful message
    for rec in records:
        if not rec:
            continue
        ordinal += 1
        try:
            sid = int(rec[key_index]) if int_key else ordinal
            ts = default_ts
            if upd_index is not None:
                u = rec[upd_index]
                if u:
                    ts = _fast_floating(u) + "Z"
            if ts > max_upd:
                max_upd = ts
            if fast is not None:
                rows.append(fast(rec, ordinal, default_ts))
            else:
                vals = {}
                for c, cell in zip(cols, rec):
                    if c is None or cell == "" or c.field == derived_point:
                        continue
                    vals[c.field] = normalise(c, cell)
                ds.derive(vals)
                rows.append(ds.build(sid, vals, ts, ts, 0))
        except (ValueError, IndexError) as e:
            raise BadValue("%s record %d: %s" % (path, ordinal, e))
    return rows, max_upd


def _fast_floating(cell):
    if len(cell) == 23 and cell[10] == "T" and cell[19] == ".":
        return cell
    return soql_literals.floating_literal(cell)
