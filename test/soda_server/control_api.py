"""The control API (/_control/...): health and request-log sequence, the request
log, reloading the datasets, fault counters, and cloning, upserting into,
deleting from and dropping datasets.  A mixin of the handler's (ControlApi),
separate because it is the test harness's side door, not the SODA API.
"""

import json
import re
import time
import urllib.parse

import dataset_defs
import soql_literals
import wire_values

_4X4 = re.compile(r"^[a-z0-9]{4}-[a-z0-9]{4}$")


class ControlApi:
    """The handler's /_control/ methods (mixed into http_handler.Handler, whose server,
    send_simple and read_body they use)."""

    # -- control API
    def control(self, method, path, query):
        srv = self.server
        q = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        parts = [p for p in path.split("/") if p][1:]   # drop "_control"

        def ok(obj, status=200):
            return self.send_simple(status, (json.dumps(obj, indent=1) + "\n").encode())

        def fail(status, msg):
            return self.send_simple(status, (json.dumps({"error": True, "message": msg}) + "\n").encode())

        try:
            if parts == ["health"] or parts == []:
                return ok({"ok": True, "seq": srv.reqlog.current()})
            if parts == ["seq"] and method == "GET":
                return ok({"seq": srv.reqlog.current()})
            if parts == ["log"] and method == "GET":
                since = int(q.get("since", "0") or 0)
                limit = int(q["limit"]) if q.get("limit") else None
                return ok(srv.reqlog.since(since, q.get("dataset") or None, limit))
            if parts == ["reset"] and method == "POST":
                self.read_body()
                t0 = time.time()
                srv.registry.load_all()
                srv.faults.reset()
                return ok({"ok": True, "seconds": round(time.time() - t0, 3), "datasets": self.dataset_list()})
            if parts == ["faults"] and method == "GET":
                return ok(srv.faults.snapshot())
            if parts == ["faults", "reset"] and method == "POST":
                self.read_body()
                srv.faults.reset()
                return ok({"ok": True})
            if parts == ["datasets"] and method == "GET":
                return ok(self.dataset_list())
            if len(parts) == 3 and parts[0] == "datasets" and method == "POST":
                dsid, action = parts[1], parts[2]
                body = self.read_body()
                ds = srv.registry.get(dsid)
                if ds is None:
                    return fail(404, "no such dataset: %s" % dsid)
                if action == "clone":
                    to = q.get("to", "")
                    if not _4X4.match(to):
                        return fail(400, "clone needs ?to=<new 4x4 id> (like abcd-1234)")
                    if to == dataset_defs.REQLOG_ID:
                        return fail(400, "reserved id")
                    metadata = {k: q[k] for k in ("name", "description") if k in q}
                    new = srv.registry.clone(dsid, to, metadata)
                    return ok({"ok": True, "id": to, "rows": new.rows})
                if action in ("upsert", "delete"):
                    try:
                        payload = json.loads(body or b"null")
                    except ValueError as e:
                        return fail(400, "body is not JSON: %s" % e)
                    try:
                        if action == "upsert":
                            at = q.get("at")
                            if at:
                                at = soql_literals.fixed_literal(at)
                            res = ds.upsert(payload, at)
                        else:
                            if not isinstance(payload, dict) or not isinstance(payload.get("ids"), list):
                                return fail(400, 'body must be {"ids": [...]}')
                            res = ds.delete(payload["ids"])
                    except (wire_values.BadValue, ValueError) as e:
                        return fail(400, str(e))
                    return ok(res)
                if action == "drop":
                    srv.registry.remove(dsid)
                    return ok({"ok": True})
                return fail(404, "unknown dataset action: %s" % action)
            return fail(404, "unknown control endpoint: %s %s" % (method, path))
        except (ValueError, KeyError) as e:
            return fail(400, str(e))

    def dataset_list(self):
        reg = self.server.registry
        with reg.lock:
            items = list(reg.datasets.values())
        out = [{"id": d.id, "name": d.d["name"], "rows": d.rows, "rowsUpdatedAt": d.rows_updated_at} for d in items]
        lg = self.server.reqlog.dataset
        out.append({"id": lg.id, "name": lg.d["name"], "rows": lg.rows, "rowsUpdatedAt": lg.rows_updated_at})
        return out
