"""Runs the Node.js driver suite (tests/node, `node --test`) against the
shared server."""

import os
import shutil
import subprocess

import pytest

NODE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "node"))


def test_node_driver_suite(server_addr):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (scripts/install-deps --test)")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "cassandra-driver")):
        pytest.fail("cassandra-driver is not installed: cd tests/node && npm install --no-audit --no-fund")
    env = dict(os.environ)
    env["RINGDB_HOST"], env["RINGDB_PORT"] = server_addr[0], str(server_addr[1])
    p = subprocess.run([node, "--test", "--test-reporter=spec"], cwd=NODE_DIR, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    out = p.stdout.decode("utf-8", "replace")
    assert p.returncode == 0, "node --test exited %d:\n%s" % (p.returncode, out)
