"""The ringdb command: flags, configuration errors, start-up failures,
graceful shutdown. Each test runs the binary itself (no shared server)."""
import os
import signal
import socket
import subprocess
import time

import pytest

from ringdb_testlib import ServerProcess, default_binary, free_port

pytestmark = pytest.mark.skipif(os.environ.get("RINGDB_HOST") is not None,
                                reason="runs the ringdb binary itself")


def run(args, timeout=20):
    return subprocess.run([default_binary()] + args, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def one_error_line(proc):
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("ringdb: error: "), lines[0]
    return lines[0]


def test_help_and_version():
    h = run(["--help"])
    assert h.returncode == 0
    for flag in ("--config", "--address", "--port", "--data-dir", "--smp", "--set", "--version"):
        assert flag in h.stdout
    v = run(["--version"])
    assert v.returncode == 0 and v.stdout.startswith("ringdb ")


def test_unknown_flag_and_missing_value():
    p = run(["--bogus"])
    assert p.returncode == 2
    assert "unknown option '--bogus'" in one_error_line(p)
    p = run(["--port"])
    assert p.returncode == 2
    assert "needs a value" in one_error_line(p)


@pytest.mark.parametrize("args, fragment", [
    (["--port", "0"], "native_transport_port"),
    (["--port", "70000"], "native_transport_port"),
    (["--port", "abc"], "native_transport_port"),
    (["--smp", "-1"], "smp"),
    (["--address", "not-an-ip"], "address"),
    (["--set", "num_tokens=0"], "num_tokens"),
    (["--set", "no_equals_sign"], "KEY=VALUE"),
    (["--set", "commitlog_sync=sometimes"], "commitlog_sync"),
])
def test_bad_values(tmp_path, args, fragment):
    p = run(args + ["--data-dir", str(tmp_path / "d")])
    assert p.returncode != 0
    assert fragment in one_error_line(p)


def test_bad_yaml(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("cluster_name: [unclosed\nnum_tokens: 4\n")
    p = run(["--config", str(cfg), "--data-dir", str(tmp_path / "d")])
    assert p.returncode != 0
    assert "bad.yaml" in one_error_line(p)
    p = run(["--config", str(tmp_path / "missing.yaml")])
    assert p.returncode != 0
    assert "missing.yaml" in one_error_line(p)


def test_busy_port(tmp_path):
    port = free_port()
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", port))
    blocker.listen(1)
    try:
        p = run(["--port", str(port), "--data-dir", str(tmp_path / "d"), "--smp", "1"])
        assert p.returncode != 0
        line = one_error_line(p)
        assert str(port) in line and "in use" in line.lower()
    finally:
        blocker.close()


def test_unusable_data_dir(tmp_path):
    f = tmp_path / "a_file"
    f.write_text("not a directory")
    p = run(["--port", str(free_port()), "--data-dir", str(f), "--smp", "1"])
    assert p.returncode != 0
    assert "a_file" in one_error_line(p)


def test_config_file_and_overrides(tmp_path):
    port = free_port()
    cfg = tmp_path / "ringdb.yaml"
    cfg.write_text("cluster_name: 'From Yaml'\nnum_tokens: 4\nnative_transport_port: 1\n")
    srv = ServerProcess(str(tmp_path / "d"), str(tmp_path / "log"), port=port, smp=1,
                        extra_args=["--config", str(cfg), "--set", "num_tokens=8"])
    srv.start()
    try:
        from cassandra.cluster import Cluster
        from cassandra.policies import WhiteListRoundRobinPolicy
        c = Cluster(["127.0.0.1"], port=port,
                    load_balancing_policy=WhiteListRoundRobinPolicy(["127.0.0.1"]))
        try:
            row = c.connect().execute("SELECT cluster_name, tokens FROM system.local").one()
            assert row.cluster_name == "From Yaml"
            assert len(row.tokens) == 8  # --set wins over the file; --port over the file's port
        finally:
            c.shutdown()
    finally:
        assert srv.stop() == 0


def test_cluster_name_mismatch_refuses_to_start(tmp_path):
    d = str(tmp_path / "d")
    srv = ServerProcess(d, str(tmp_path / "log1"), port=free_port(), smp=1)
    srv.start()
    assert srv.stop() == 0
    p = run(["--data-dir", d, "--port", str(free_port()), "--set", "cluster_name=Other"])
    assert p.returncode != 0
    assert "cluster name" in one_error_line(p).lower()


def test_sigint_and_sigterm_exit_zero(tmp_path):
    for sig in (signal.SIGINT, signal.SIGTERM):
        port = free_port()
        proc = subprocess.Popen([default_binary(), "--port", str(port), "--data-dir",
                                 str(tmp_path / ("d%d" % sig)), "--smp", "2"],
                                stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        deadline = time.time() + 30
        seen = ""
        while time.time() < deadline and "ringdb ready" not in seen:
            seen += proc.stderr.readline()
        assert "ringdb ready" in seen
        proc.send_signal(sig)
        rest = proc.stderr.read()
        assert proc.wait(timeout=30) == 0, rest
        assert "ERROR" not in rest and "Sanitizer" not in rest, rest
