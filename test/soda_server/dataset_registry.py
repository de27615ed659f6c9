"""The set of datasets the server serves (Registry): loads every defined dataset
from the data directory into one shared Database, swaps the whole set in at
once on a reload, and clones and removes datasets for the control API.
Separate from datasets.py, whose Dataset is one dataset; the request log's
dataset is not in the registry.
"""

import os
import tempfile
import threading

from dataset_defs import DEFS
from datasets import Dataset
from sqlite_db import Database

# ---------------------------------------------------------------------------
# Registry of datasets


def find_file(data_dir, base):
    for ext in (".csv", ".csv.gz"):
        p = os.path.join(data_dir, base + ext)
        if os.path.exists(p):
            return p
    return None


class Registry:
    def __init__(self, data_dir, crimes_file=None, key_order="column", log=print, workers=0):
        self.workers = workers
        self.data_dir = data_dir
        self.crimes_file = crimes_file
        self.key_order = key_order
        self.log = log
        self.db = Database(shared=True)
        self.lock = threading.Lock()
        self.datasets = {}

    def load_all(self):
        new = {}
        timings = {}
        for dsid, d in DEFS.items():
            if d.get("generate"):
                # rows made by the server itself (wide_dataset), through a temporary file
                with tempfile.TemporaryDirectory(prefix="soda-") as tmp:
                    ds = d.get("dataset_class", Dataset)(self.db, dsid, d, self.key_order)
                    timings[dsid] = ds.load_csv(d["generate"](tmp))
                new[dsid] = ds
                continue
            path = self.crimes_file if (dsid == "ijzp-q8t2" and self.crimes_file) else find_file(self.data_dir, d["file"])
            if path is None:
                self.log("warning: no data file for %s (%s) in %s" % (dsid, d["file"], self.data_dir))
                continue
            ds = Dataset(self.db, dsid, d, self.key_order)
            size = os.path.getsize(path) * (5 if path.endswith(".gz") else 1)
            timings[dsid] = ds.load_csv(path, workers=self.workers if size > 20_000_000 else 0)
            new[dsid] = ds
        with self.lock:
            old = self.datasets
            self.datasets = new
        for ds in old.values():
            ds.drop()
        return timings

    def get(self, dsid):
        with self.lock:
            return self.datasets.get(dsid)

    def clone(self, src_id, new_id, metadata=None):
        """A copy of src_id under new_id; `metadata` replaces some of the definition's fields
        (name, description), e.g. to give a test metadata that is not ASCII."""
        src = self.get(src_id)
        if src is None:
            raise KeyError(src_id)
        ds = src.d.get("dataset_class", Dataset)(self.db, new_id, dict(src.d, **(metadata or {})),
                                                 self.key_order)
        ds.copy_from(src)
        with self.lock:
            old = self.datasets.get(new_id)
            self.datasets[new_id] = ds
        if old is not None:
            old.drop()
        return ds

    def remove(self, dsid):
        with self.lock:
            ds = self.datasets.pop(dsid, None)
        if ds is not None:
            ds.drop()
        return ds is not None
