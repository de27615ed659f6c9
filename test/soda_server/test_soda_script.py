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


if __name__ == "__main__":
    unittest.main()
