"""Crash safety on a private server.

With --set commitlog_sync=batch (fsync before the answer), CYCLES times:
start (restart on the same data dir), run a writer with many prepared
writes in flight (distinct keys, known values), kill -9 the server after a
random delay, start it again and check that

  - every acknowledged write is there, with its exact values;
  - nothing unacknowledged is half applied: a multi-cell INSERT row is
    either complete or absent, and so is a single-partition batch of 3 rows.

At the end every earlier cycle is checked again (data survives several
crashes and replays). One extra cycle runs with --smp 2, and one in
periodic mode (the default) ends with a clean SIGTERM, after which
everything acknowledged before it must be there.

RINGDB_CRASH_SEED=N replays a run's random delays.
"""

import os
import random
import signal
import threading
import time

from cassandra.cluster import EXEC_PROFILE_DEFAULT, ExecutionProfile
from cassandra.policies import WhiteListRoundRobinPolicy
from cassandra.query import BatchStatement, BatchType

CYCLES = 20
IN_FLIGHT = 24
BATCH = ["--set", "commitlog_sync=batch"]
KS = "crash_ks"


def a_of(i):
    return i * 3 - 7


def b_of(i):
    return "b-%d-%s" % (i, "x" * (i % 17))


def c_of(i):
    return bytes([i % 256]) * (1 + i % 50)


def connect(make_cluster, proc):
    profiles = {EXEC_PROFILE_DEFAULT: ExecutionProfile(
        load_balancing_policy=WhiteListRoundRobinPolicy([proc.host]), request_timeout=10)}
    cluster = make_cluster(host=proc.host, port=proc.port, protocol_version=4, execution_profiles=profiles)
    return cluster, cluster.connect()


def create_schema(session):
    session.execute("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}" % KS)
    # rows: one partition per cycle, one multi-cell row per write
    session.execute("CREATE TABLE IF NOT EXISTS %s.rows (cycle int, i int, a int, b text, c blob, "
                    "PRIMARY KEY (cycle, i))" % KS)
    # batches: one partition per write, 3 rows written by one batch
    session.execute("CREATE TABLE IF NOT EXISTS %s.batches (k bigint, j int, v text, PRIMARY KEY (k, j))" % KS)


def batch_key(cycle, i):
    return cycle * 1000000 + i


class Writer:
    """Keeps IN_FLIGHT writes going until stop(); remembers which were
    sent and which were acknowledged."""

    def __init__(self, session, cycle):
        self.session = session
        self.cycle = cycle
        self.ins = session.prepare("INSERT INTO %s.rows (cycle, i, a, b, c) VALUES (?, ?, ?, ?, ?)" % KS)
        self.bins = session.prepare("INSERT INTO %s.batches (k, j, v) VALUES (?, ?, ?)" % KS)
        self.slots = threading.Semaphore(IN_FLIGHT)
        self.lock = threading.Lock()
        self.sent_rows, self.acked_rows = set(), set()
        self.sent_batches, self.acked_batches = set(), set()
        self.errors = 0
        self.stopped = threading.Event()

    def _done(self, kind, i, ok):
        with self.lock:
            if ok:
                (self.acked_rows if kind == "row" else self.acked_batches).add(i)
            else:
                self.errors += 1
        self.slots.release()

    def run(self, max_writes=1000000):
        i = 0
        while not self.stopped.is_set() and i < max_writes:
            if not self.slots.acquire(timeout=0.5):
                continue
            i += 1
            try:
                if i % 2:
                    self.sent_rows.add(i)
                    f = self.session.execute_async(self.ins, (self.cycle, i, a_of(i), b_of(i), c_of(i)))
                    kind = "row"
                else:
                    k = batch_key(self.cycle, i)
                    self.sent_batches.add(i)
                    b = BatchStatement(batch_type=BatchType.UNLOGGED)
                    for j in range(3):
                        b.add(self.bins, (k, j, "%d/%d" % (k, j)))
                    f = self.session.execute_async(b)
                    kind = "batch"
            except Exception:
                self.slots.release()
                with self.lock:
                    self.errors += 1
                continue
            f.add_callbacks(lambda _r, kind=kind, i=i: self._done(kind, i, True),
                            lambda _e, kind=kind, i=i: self._done(kind, i, False))
        return i

    def drain(self, timeout=30):
        deadline = time.monotonic() + timeout
        for _ in range(IN_FLIGHT):
            left = deadline - time.monotonic()
            assert left > 0 and self.slots.acquire(timeout=left), "writes still pending after the kill"


def verify(session, cycle, sent_rows, acked_rows, sent_batches, acked_batches):
    """Acknowledged writes are all there; nothing is half applied."""
    got = {}
    for r in session.execute("SELECT i, a, b, c FROM %s.rows WHERE cycle = %d" % (KS, cycle)):
        got[r.i] = (r.a, r.b, r.c)
    missing = sorted(acked_rows - set(got))
    assert not missing, "cycle %d: %d acknowledged rows lost, e.g. %r" % (cycle, len(missing), missing[:10])
    for i, vals in got.items():
        assert i in sent_rows, "cycle %d: row %d was never written" % (cycle, i)
        assert vals == (a_of(i), b_of(i), c_of(i)), "cycle %d: row %d half applied or wrong: %r" % (cycle, i, vals)
    sel = session.prepare("SELECT j, v FROM %s.batches WHERE k = ?" % KS)
    futures = [(i, session.execute_async(sel, (batch_key(cycle, i),))) for i in sorted(sent_batches)]
    for i, f in futures:
        k = batch_key(cycle, i)
        rows = [tuple(r) for r in f.result()]
        if i in acked_batches:
            assert rows == [(j, "%d/%d" % (k, j)) for j in range(3)], "cycle %d: batch %d lost/torn: %r" % (
                cycle, i, rows)
        else:
            assert rows in ([], [(j, "%d/%d" % (k, j)) for j in range(3)]), \
                "cycle %d: unacknowledged batch %d half applied: %r" % (cycle, i, rows)
    return len(got)


def crash_cycle(make_cluster, proc, cycle, rng, history):
    cluster, session = connect(make_cluster, proc)
    if cycle == 0:
        create_schema(session)
    w = Writer(session, cycle)
    delay = rng.uniform(0.05, 0.4)
    pid = proc.proc.pid
    timer = threading.Timer(delay, lambda: (os.kill(pid, signal.SIGKILL), w.stopped.set()))
    timer.start()
    try:
        w.run()
        w.drain()
    finally:
        timer.cancel()
        cluster.shutdown()
    proc.kill()  # reap the killed process
    assert proc.returncode == -signal.SIGKILL, "cycle %d: server exited on its own (%s)\n%s" % (
        cycle, proc.returncode, proc.log_tail(40))
    history.append((cycle, w.sent_rows, w.acked_rows, w.sent_batches, w.acked_batches))
    proc.start(timeout=30)
    cluster, session = connect(make_cluster, proc)
    try:
        verify(session, cycle, w.sent_rows, w.acked_rows, w.sent_batches, w.acked_batches)
    finally:
        cluster.shutdown()
    return len(w.acked_rows) + len(w.acked_batches)


def test_kill9_batch_commitlog(private_server, make_cluster):
    seed = int(os.environ.get("RINGDB_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    proc = private_server(extra_args=BATCH, smp=1)
    history = []
    acked_total = 0
    started = time.monotonic()
    for cycle in range(CYCLES):
        acked_total += crash_cycle(make_cluster, proc, cycle, rng, history)
    # one more with two shards
    proc.stop()
    proc.smp = 2
    proc.start()
    acked_total += crash_cycle(make_cluster, proc, CYCLES, rng, history)
    # everything from every cycle is still there
    cluster, session = connect(make_cluster, proc)
    try:
        for cycle, sent_rows, acked_rows, sent_batches, acked_batches in history:
            verify(session, cycle, sent_rows, acked_rows, sent_batches, acked_batches)
    finally:
        cluster.shutdown()
    print("crash: seed %d, %d cycles, %d acknowledged writes, %.1f s"
          % (seed, len(history), acked_total, time.monotonic() - started))
    assert acked_total > 0, "no write was ever acknowledged (seed %d)" % seed


def test_sigterm_periodic_commitlog(private_server, make_cluster):
    proc = private_server(extra_args=["--set", "commitlog_sync=periodic"])
    cluster, session = connect(make_cluster, proc)
    try:
        create_schema(session)
        w = Writer(session, 0)
        w.run(max_writes=3000)
        w.drain()
        assert w.errors == 0 and len(w.acked_rows) + len(w.acked_batches) == 3000
    finally:
        cluster.shutdown()
    assert proc.stop() == 0
    proc.check_clean_exit()
    proc.start()
    cluster, session = connect(make_cluster, proc)
    try:
        n = verify(session, 0, w.sent_rows, w.acked_rows, w.sent_batches, w.acked_batches)
        assert n == len(w.acked_rows) == 1500
    finally:
        cluster.shutdown()
