"""What handling a request produces to send: a Rendered query result (rows
already serialized, a blob, or batches still being read) or a SodaError (an
error answer: status, body, headers), and pretty(), the API's layout of JSON
bodies.  Shared by the handler, which sends them, and the query runner, which
makes them.
"""

import json


class SodaError(Exception):
    def __init__(self, status, body, content_type="application/json;charset=utf-8", headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or []


def pretty(obj):
    return (json.dumps(obj, indent=2, separators=(",", " : "), ensure_ascii=False) + "\n").encode()


class Rendered:
    """A successful query result ready to send: a list of serialized rows, one blob of
    joined rows (fast path), or batches of joined rows still being read (big results)."""

    def __init__(self, fmt, fields, types, rows, head=b"", blob=None, count=None, windows=None, source=None):
        self.fmt = fmt          # json | csv
        self.fields = fields
        self.types = types
        self.rows = rows        # list of bytes, one per row (None with a blob)
        self.head = head        # csv header line
        self.blob = blob        # rows joined (json: by "\n,"), without the [ ] framing
        self.windows = windows  # or an iterator of (row count, blob) for big results
        self.source = source    # the generator reading those (holds a reader connection)
        self.count = len(rows) if rows is not None else count   # None: not known yet

    def close(self):
        """Let the query behind unsent batches go (its cursor and reader connection)."""
        if self.source is not None:
            self.source.close()

    def segments(self, per=2000, piece=1 << 20):
        if self.windows is not None:
            if self.fmt == "csv":
                yield self.head
            started = False
            for n, blob in self.windows:
                if not n:
                    continue
                if self.fmt == "json":
                    yield b"\n," if started else b"["
                started = True
                mv = memoryview(blob)
                for i in range(0, len(mv), piece):
                    yield mv[i:i + piece]
            if self.fmt == "json":
                yield b"]\n" if started else b"[]\n"
            return
        if self.rows is None:
            if self.fmt == "json":
                if not self.count:
                    yield b"[]\n"
                    return
                yield b"["
            else:
                yield self.head
            mv = memoryview(self.blob)
            for i in range(0, len(mv), piece):
                yield mv[i:i + piece]
            if self.fmt == "json":
                yield b"]\n"
            return
        rows = self.rows
        if self.fmt == "json":
            if not rows:
                yield b"[]\n"
                return
            first = True
            for i in range(0, len(rows), per):
                part = b"\n,".join(rows[i:i + per])
                if first:
                    yield b"[" + part
                    first = False
                else:
                    yield b"\n," + part
            yield b"]\n"
        else:
            yield self.head
            for i in range(0, len(rows), per):
                yield b"".join(rows[i:i + per])

    def body(self):
        if self.windows is not None:
            return b"".join(bytes(s) for s in self.segments())
        if self.rows is None:
            if self.fmt == "json":
                return b"[" + self.blob + b"]\n" if self.count else b"[]\n"
            return self.head + self.blob
        rows = self.rows
        if self.fmt == "json":
            if not rows:
                return b"[]\n"
            return b"[" + b"\n,".join(rows) + b"]\n"
        return self.head + b"".join(rows)
