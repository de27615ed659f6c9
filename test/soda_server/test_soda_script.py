"""Self-tests of scripts/soda.sh, which starts and stops the test server for make test, make demo
and the bench.

    /usr/bin/python3 -m unittest discover -s test/soda_server -p 'test_soda_script.py'

Each test runs the script with a run directory and a port of its own, on the bundled data (which
takes a second or two to load), and checks that no server process is left behind.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from test_soda_server import REPO, free_port  # noqa: E402

SCRIPT = os.path.join(REPO, "scripts", "soda.sh")


def server_pids(port):
    """The pids of test servers started on `port`."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if any(a.endswith(b"soda_server.py") for a in args) and str(port).encode() in args:
            pids.append(int(entry))
    return pids


class SodaScriptTests(unittest.TestCase):
    def setUp(self):
        self.run_dir = tempfile.mkdtemp(prefix="soda_script_test_")
        self.port = free_port()
        self.env = dict(os.environ, RUN_DIR=self.run_dir, SODA_PORT=str(self.port))

    def tearDown(self):
        subprocess.run(["bash", SCRIPT, "stop"], env=self.env, capture_output=True)
        for pid in server_pids(self.port):
            os.kill(pid, 9)
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def soda(self, *args, **env):
        return subprocess.run(["bash", SCRIPT] + list(args), env=dict(self.env, **env), text=True,
                              capture_output=True, timeout=120)

    def assert_no_server_left(self):
        deadline = time.time() + 5
        while server_pids(self.port) and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(server_pids(self.port), [], "a test server is still running")

    def test_start_then_stop(self):
        r = self.soda("start")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("soda: ready: http://127.0.0.1:%d" % self.port, r.stdout)
        self.assertEqual(len(server_pids(self.port)), 1)
        self.assertEqual(self.soda("stop").returncode, 0)
        self.assert_no_server_left()

    def test_a_server_not_ready_in_time_is_stopped(self):
        # The bundled data takes over a second to load.
        r = self.soda("start", SODA_START_TIMEOUT="0.3")
        self.assertEqual(r.returncode, 1)
        self.assertIn("soda: server not ready after 0.3 s (SODA_START_TIMEOUT); stopped it", r.stderr)
        self.assert_no_server_left()

    def test_stop_ends_a_server_still_loading(self):
        # What the bench's clean-up does when a start fails or is interrupted: the server, still
        # loading, must not outlive it (one with 8 million rows held 8 GB).
        start = subprocess.Popen(["bash", SCRIPT, "start"], env=self.env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.time() + 5
            while not server_pids(self.port) and time.time() < deadline:
                time.sleep(0.05)
            self.assertTrue(server_pids(self.port), "the server never started")
            self.assertEqual(self.soda("stop").returncode, 0)
            out, err = start.communicate(timeout=30)
        finally:
            if start.poll() is None:
                start.kill()
                start.wait()
        self.assertEqual(start.returncode, 1, out + err)
        self.assertIn("soda: server failed to start", err)
        self.assert_no_server_left()

    def test_a_port_in_use_fails_the_start(self):
        # Once read as ready ("Address already in use" contains "ready"), so that make test went
        # on against whatever held the port.
        import socket
        holder = socket.socket()
        holder.bind(("127.0.0.1", self.port))
        holder.listen(1)
        try:
            r = self.soda("start")
        finally:
            holder.close()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertNotIn("soda: ready", r.stdout)
        self.assertIn("port %d is taken" % self.port, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.run_dir, "soda", "server.pid")))
        self.assert_no_server_left()

    def test_stop_kills_only_a_test_server(self):
        # A pid file left behind (a server killed with -9) may name a pid since reused.
        other = subprocess.Popen(["sleep", "60"])
        try:
            os.makedirs(os.path.join(self.run_dir, "soda"))
            with open(os.path.join(self.run_dir, "soda", "server.pid"), "w") as f:
                f.write("%d\n" % other.pid)
            self.assertEqual(self.soda("stop").returncode, 0)
            self.assertIsNone(other.poll(), "stop killed a process that is not a test server")
            self.assertFalse(os.path.exists(os.path.join(self.run_dir, "soda", "server.pid")))
        finally:
            other.kill()
            other.wait()

    def test_stop_leaves_another_set_ups_server(self):
        # A stale pid file may name a pid that another set-up's test server now has.
        other_dir = tempfile.mkdtemp(prefix="soda_script_other_")
        other_port = free_port()
        other_env = dict(self.env, RUN_DIR=other_dir, SODA_PORT=str(other_port))
        try:
            r = subprocess.run(["bash", SCRIPT, "start"], env=other_env, text=True,
                               capture_output=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            [other_pid] = server_pids(other_port)
            os.makedirs(os.path.join(self.run_dir, "soda"))
            with open(os.path.join(self.run_dir, "soda", "server.pid"), "w") as f:
                f.write("%d\n" % other_pid)
            self.assertEqual(self.soda("stop").returncode, 0)
            self.assertEqual(server_pids(other_port), [other_pid], "stop killed another set-up's server")
        finally:
            subprocess.run(["bash", SCRIPT, "stop"], env=other_env, capture_output=True)
            shutil.rmtree(other_dir, ignore_errors=True)

    def test_stop_ends_a_server_whose_run_directory_was_deleted(self):
        # rm -rf .run (git clean -fdx) under a running demo: no pid file is left to stop it by.
        r = self.soda("start")
        self.assertEqual(r.returncode, 0, r.stderr)
        shutil.rmtree(self.run_dir)
        self.assertEqual(self.soda("stop").returncode, 0)
        self.assert_no_server_left()


if __name__ == "__main__":
    unittest.main()
