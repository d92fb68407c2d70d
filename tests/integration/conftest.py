"""pytest fixtures: ONE ringdb server for the whole session, driver clusters,
per-test keyspaces, raw protocol connections, and private servers.

Run:  cd tests/integration && /usr/bin/python3 -m pytest -q -p no:cacheprovider .

Environment:
  RINGDB_BIN         server binary (default: <repo>/build/test/ringdb)
  RINGDB_HOST/PORT   use an already running server (ringdb or Apache Cassandra)
                     instead of starting one; must be a loopback address.
                     Tests that need a private server are then skipped.
  RINGDB_KEEP_LOGS=1 keep the temp dir with server logs and data after the run

Fixtures (see tests/README.md):
  ringdb_server   session: .host .port .external .log_path .process (ServerProcess or None)
  server_addr     session: (host, port)
  cluster         session: a cassandra.cluster.Cluster, protocol negotiated
  session         session: cluster.connect() (no keyspace; do not USE on it)
  make_cluster    function: factory(**Cluster kwargs) -> Cluster, shut down after the test
  unique_keyspace function: name of a fresh SimpleStrategy RF 1 keyspace, dropped after
  keyspace_name   function: factory() -> a fresh unique name (nothing created)
  raw             function: factory(version=4, startup=True) -> RawConnection, closed after
  private_server  function: factory(extra_args=(), data_dir=None) -> started ServerProcess,
                  stopped (and checked: exit 0, no sanitizer report) after the test
"""

import ipaddress
import itertools
import logging
import os
import re
import shutil
import tempfile

import pytest

from ringdb_testlib import ServerError, ServerProcess, free_port, raw_connect

logging.getLogger("cassandra").setLevel(logging.INFO)

_ks_counter = itertools.count(1)


def _loopback_only(host):
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = host == "localhost"
    if not ok:
        raise pytest.UsageError("RINGDB_HOST=%r: the tests only ever talk to loopback "
                                "addresses (127.0.0.0/8, ::1)" % host)


class RunningServer:
    def __init__(self, host, port, process=None, workdir=None):
        self.host = host
        self.port = port
        self.process = process
        self.workdir = workdir
        self.external = process is None

    @property
    def log_path(self):
        return self.process.log_path if self.process else None


@pytest.fixture(scope="session")
def ringdb_server():
    host = os.environ.get("RINGDB_HOST")
    if host:
        _loopback_only(host)
        yield RunningServer(host, int(os.environ.get("RINGDB_PORT", "9042")))
        return
    workdir = tempfile.mkdtemp(prefix="ringdb-it-")
    proc = ServerProcess(data_dir=os.path.join(workdir, "data"),
                         log_path=os.path.join(workdir, "ringdb.log"), smp=2)
    error = None
    try:
        proc.start(timeout=30)
    except ServerError as e:
        proc.kill()
        error = str(e)
    if error:
        pytest.fail("could not start the shared ringdb server: %s" % error, pytrace=False)
    server = RunningServer(proc.host, proc.port, proc, workdir)
    yield server
    proc.stop(timeout=30)
    try:
        proc.check_clean_exit()
    except ServerError as e:
        print("\nshared server log kept in %s" % workdir)
        pytest.fail("shared ringdb server: %s" % e, pytrace=False)
    if not os.environ.get("RINGDB_KEEP_LOGS"):
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print("\nshared server log and data kept in %s" % workdir)


@pytest.fixture(scope="session")
def server_addr(ringdb_server):
    return ringdb_server.host, ringdb_server.port


def new_cluster(host, port, **kwargs):
    """A Cluster that can only ever route requests to `host`."""
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import WhiteListRoundRobinPolicy

    profiles = kwargs.pop("execution_profiles", None)
    if profiles is None:
        profiles = {EXEC_PROFILE_DEFAULT: ExecutionProfile(
            load_balancing_policy=WhiteListRoundRobinPolicy([host]), request_timeout=30)}
    kwargs.setdefault("connect_timeout", 10)
    kwargs.setdefault("control_connection_timeout", 10)
    return Cluster([host], port=port, execution_profiles=profiles, **kwargs)


@pytest.fixture(scope="session")
def cluster(server_addr):
    c = new_cluster(*server_addr)
    yield c
    c.shutdown()


@pytest.fixture(scope="session")
def session(cluster):
    return cluster.connect()


@pytest.fixture
def make_cluster(server_addr):
    made = []

    def make(host=None, port=None, **kwargs):
        c = new_cluster(host or server_addr[0], port or server_addr[1], **kwargs)
        made.append(c)
        return c

    yield make
    for c in made:
        c.shutdown()


def _sanitise(name):
    s = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    return re.sub(r"_+", "_", s) or "t"


@pytest.fixture
def keyspace_name(request):
    """Factory of names ks_<testname>_<counter>, at most 48 characters."""
    base = _sanitise(request.node.name)
    if base.startswith("test_"):
        base = base[5:]

    def make():
        suffix = "_%d" % next(_ks_counter)
        return ("ks_" + base)[:48 - len(suffix)] + suffix

    return make


@pytest.fixture
def unique_keyspace(session, keyspace_name):
    name = keyspace_name()
    session.execute("CREATE KEYSPACE %s WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}" % name)
    yield name
    try:
        session.execute("DROP KEYSPACE IF EXISTS %s" % name)
    except Exception as e:  # never hide the test's own failure
        print("dropping keyspace %s failed: %r" % (name, e))


@pytest.fixture
def raw(server_addr):
    conns = []

    def connect(version=4, startup=True, timeout=10.0, host=None, port=None):
        c = raw_connect(host or server_addr[0], port or server_addr[1],
                        version=version, startup=startup, timeout=timeout)
        conns.append(c)
        return c

    yield connect
    for c in conns:
        c.close()


@pytest.fixture
def private_server(ringdb_server, tmp_path):
    """Factory for servers of this test alone (restart tests, special config)."""
    if ringdb_server.external:
        pytest.skip("needs to start its own ringdb (RINGDB_HOST is set)")
    started = []

    def start(extra_args=(), data_dir=None, smp=2, port=None):
        n = len(started)
        proc = ServerProcess(data_dir=data_dir or str(tmp_path / ("data%d" % n)),
                             log_path=str(tmp_path / ("ringdb%d.log" % n)),
                             port=port or free_port(), smp=smp, extra_args=extra_args)
        started.append(proc)
        error = None
        try:
            proc.start(timeout=30)
        except ServerError as e:
            error = str(e)
        if error:
            pytest.fail("private ringdb did not start: %s" % error, pytrace=False)
        return proc

    yield start
    errors = []
    for proc in started:
        if proc.proc is not None:
            proc.stop(timeout=30)
        try:
            proc.check_clean_exit()
        except ServerError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("private ringdb: " + "\n".join(errors), pytrace=False)


@pytest.fixture
def driver_log():
    """Records of logger "cassandra" at WARNING and above during the test."""
    records = []

    class H(logging.Handler):
        def emit(self, record):
            records.append(record)

    h = H(level=logging.WARNING)
    logger = logging.getLogger("cassandra")
    logger.addHandler(h)
    yield records
    logger.removeHandler(h)


def pytest_report_header(config):
    host = os.environ.get("RINGDB_HOST")
    if host:
        return "ringdb: using running server %s:%s" % (host, os.environ.get("RINGDB_PORT", "9042"))
    return "ringdb: binary %s" % (os.environ.get("RINGDB_BIN") or "build/test/ringdb")
