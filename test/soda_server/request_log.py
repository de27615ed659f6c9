"""The request log: each request (but those to the log itself) as one entry, kept
in memory for /_control/log, appended to the --log JSON-lines file if any, and
added as a row to the reqs-logs dataset, which is queried like any other.
Separate from the handler, which only hands it finished entries.
"""

import json
import threading

import dataset_defs
import datasets
import sqlite_db

# ---------------------------------------------------------------------------
# Request log (in memory, optional JSON-lines file, and the reqs-logs dataset)


class RequestLog:
    def __init__(self, path, key_order):
        self.lock = threading.Lock()
        self.seq = 0
        self.entries = []
        self.file = open(path, "a", encoding="utf-8") if path else None
        self.db = sqlite_db.Database(shared=False)
        self.dataset = datasets.Dataset(self.db, dataset_defs.REQLOG_ID, dataset_defs.REQLOG_DEF, key_order)
        self.dataset.create_indexes()

    def add(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.entries.append(entry)
            if self.file:
                self.file.write(json.dumps(entry, sort_keys=False) + "\n")
                self.file.flush()
            p = entry.get("params") or {}
            vals = {
                "seq": str(entry["seq"]),
                "requested_at": entry["time"][:23],
                "method": entry["method"],
                "path": entry["path"],
                "dataset": entry.get("dataset"),
                "fault": entry.get("fault"),
                "select": p.get("$select"),
                "where": p.get("$where"),
                "order": p.get("$order"),
                "group": p.get("$group"),
                "having": p.get("$having"),
                "q": p.get("$q"),
                "limit": p.get("$limit"),
                "offset": p.get("$offset"),
                "query": entry.get("query"),
                "status": str(entry["status"]),
                "bytes": str(entry["bytes"]),
                "gzip": bool(entry.get("gzip")),
                "token_present": bool(entry.get("token_present")),
            }
            vals = {k: v for k, v in vals.items() if v is not None and v != ""}
            self.dataset.append(entry["seq"], vals, entry["time"])

    def since(self, seq, dataset=None, limit=None):
        with self.lock:
            out = [e for e in self.entries if e["seq"] > seq and (dataset is None or e.get("dataset") == dataset)]
        if limit is not None:
            out = out[:limit]
        return out

    def current(self):
        with self.lock:
            return self.seq
