"""ringdb-stress, the load generator: a short write into a fresh keyspace
whose rows the driver then counts, a read of those rows without errors,
cassandra-stress's output blocks, bad arguments (usage, exit 2) and a node
that is not there (one line, exit 1).

The binary is build/test/ringdb-stress (RINGDB_STRESS_BIN overrides); it
talks to the shared server of conftest.py.
"""

import os
import re
import subprocess

import pytest

from ringdb_testlib import REPO_ROOT, SANITIZER_MARKERS, free_port

STRESS = os.environ.get("RINGDB_STRESS_BIN") or os.path.join(REPO_ROOT, "build", "test",
                                                             "ringdb-stress")


@pytest.fixture(scope="module")
def stress_bin():
    if not os.path.exists(STRESS):
        pytest.skip("%s not built (make build/test/ringdb-stress)" % STRESS)
    return STRESS


def run(stress_bin, *args, timeout=60):
    p = subprocess.run([stress_bin] + list(args), capture_output=True, text=True,
                       timeout=timeout)
    for m in SANITIZER_MARKERS:
        assert m not in p.stderr, p.stderr
    return p


def summary(stdout):
    """The 'Results:' block as {label: first number}."""
    assert "\nResults:\n" in stdout, stdout
    out = {}
    for line in stdout.split("\nResults:\n", 1)[1].splitlines():
        m = re.match(r"^(.*?)\s*:\s*([0-9][0-9,.:]*)", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def test_write_then_read(stress_bin, server_addr, session, keyspace_name):
    ks = keyspace_name()
    host, port = server_addr
    common = ["-node", host, "-port", "native=%d" % port, "-schema", "keyspace=%s" % ks,
              "replication(factor=1)", "-rate", "threads=16", "-conns", "2"]
    try:
        p = run(stress_bin, "write", "n=2000", "cl=ONE", "-col", "size=FIXED(100)", *common)
        assert p.returncode == 0, p.stdout + p.stderr
        lines = p.stdout.splitlines()
        assert lines[0] == ("Running WRITE with 16 requests in flight on 2 connection(s) "
                            "for 2000 operations")
        header = [l for l in lines if l.startswith("type,")]
        assert len(header) == 1
        assert [c.strip() for c in header[0].split(",")] == [
            "type", "total ops", "op/s", "mean", "med", ".95", ".99", ".999", "max", "time",
            "errors"]
        progress = [l for l in lines if l.startswith("total,")]
        assert progress and int(progress[-1].split(",")[1]) == 2000
        s = summary(p.stdout)
        assert s["Total operations"] == "2,000"
        assert s["Total errors"] == "0"
        for label in ("Op rate", "Latency mean", "Latency median", "Latency 95th percentile",
                      "Latency 99th percentile", "Latency 99.9th percentile", "Latency max",
                      "Total operation time"):
            assert label in s, p.stdout

        # the node stores exactly the 2000 rows, in cassandra-stress's schema
        assert session.execute("SELECT count(*) FROM %s.standard1" % ks).one()[0] == 2000
        cols = {r.column_name: r.type for r in session.execute(
            "SELECT column_name, type FROM system_schema.columns "
            "WHERE keyspace_name = %s AND table_name = 'standard1'", (ks,))}
        assert cols == {"key": "blob", "C0": "blob", "C1": "blob", "C2": "blob", "C3": "blob",
                        "C4": "blob"}
        row = session.execute('SELECT key, "C0", "C4" FROM %s.standard1 LIMIT 1' % ks).one()
        assert len(row[0]) == 10 and len(row[1]) == 100 and len(row[2]) == 100

        # reading the same population finds every row
        p = run(stress_bin, "read", "n=2000", "-pop", "seq=1..2000", *common)
        assert p.returncode == 0, p.stdout + p.stderr
        s = summary(p.stdout)
        assert s["Total operations"] == "2,000" and s["Total errors"] == "0", p.stdout
        assert p.stderr == ""

        # keys that were never written are read errors, as in cassandra-stress
        p = run(stress_bin, "read", "n=50", "-pop", "dist=UNIFORM(5000..6000)", *common)
        assert p.returncode == 0
        assert summary(p.stdout)["Total errors"] == "50"
        assert "no row found" in p.stderr
    finally:
        session.execute("DROP KEYSPACE IF EXISTS %s" % ks)


def test_bad_arguments_exit_2(stress_bin):
    for argv in (["bogus"], ["write", "n=abc"], ["write", "-rate", "threads=0"],
                 ["write", "-pop", "seq=5..1"], ["read", "-frobnicate"], []):
        p = run(stress_bin, *argv)
        assert p.returncode == 2, (argv, p.stdout, p.stderr)
        assert p.stderr.startswith("ringdb-stress: error: "), p.stderr
        assert "Usage: ringdb-stress COMMAND" in p.stderr
        assert p.stdout == ""
    p = run(stress_bin, "help")
    assert p.returncode == 0 and p.stdout.startswith("Usage: ringdb-stress COMMAND")


def test_node_down_exits_1(stress_bin):
    port = free_port()
    p = run(stress_bin, "write", "n=10", "-node", "127.0.0.1", "-port", "native=%d" % port)
    assert p.returncode == 1
    assert p.stdout == ""
    assert p.stderr == ("ringdb-stress: error: cannot connect to 127.0.0.1:%d: "
                        "Connection refused\n" % port), p.stderr
