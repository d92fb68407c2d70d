"""Paging: 10,000+ rows in narrow partitions (many partitions, full scan in
token order) and in one wide partition, page sizes 1, 7, 100, 5000 —
every row exactly once, in order; resuming from a saved paging_state on
another session; writes between pages (after the cursor: seen, before it:
not, never twice); paging with LIMIT, PER PARTITION LIMIT and ORDER BY DESC.

Pages are driven by hand (execute(..., paging_state=...)) rather than by
iterating a ResultSet: python-driver 3.25 stops iterating at an empty page
that still carries a paging state, which would hide server bugs. A last
empty page without a paging state is allowed (Cassandra returns one when
the rows end exactly on a page boundary).

The two big tables are loaded once per module into a keyspace of this
module and only read by the tests; tests that write make their own keyspace.
"""

import os
import struct

import pytest
from cassandra.murmur3 import murmur3
from cassandra.query import BatchStatement, BatchType, SimpleStatement

NARROW = 10007   # partitions of one row each
WIDE = 10003     # rows of one partition
MODES = ["unprepared", "prepared"]


def token(k):
    return murmur3(struct.pack(">i", k))


def pages(session, stmt, params=None, paging_state=None):
    """[(rows, paging_state)] of every page, driven explicitly."""
    out = []
    while True:
        rs = session.execute(stmt, params, paging_state=paging_state)
        rows = [tuple(r) for r in rs.current_rows]
        paging_state = rs.paging_state
        out.append((rows, paging_state))
        if paging_state is None:
            return out
        assert len(out) < 100000, "runaway paging"


def check_pages(result, page_size):
    """Every page but the last is full; the last has 1..page_size rows (or
    is empty when the previous one ended the data exactly)."""
    sizes = [len(rows) for rows, _ in result]
    assert all(n == page_size for n in sizes[:-1]), sizes[:20]
    assert sizes[-1] <= page_size
    if sizes[-1] == 0 and len(sizes) > 1:
        assert sizes[-2] == page_size
    return [r for rows, _ in result for r in rows]


def statement(session, query, mode, page_size):
    if mode == "prepared":
        ps = session.prepare(query)
        ps.fetch_size = page_size
        return ps
    return SimpleStatement(query, fetch_size=page_size)


@pytest.fixture(scope="module")
def big(session):
    ks = "ks_paging_%d_%s" % (os.getpid(), os.urandom(3).hex())
    session.execute("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
                    % ks)
    session.execute("CREATE TABLE %s.narrow (k int PRIMARY KEY, v int)" % ks)
    session.execute("CREATE TABLE %s.wide (k int, c int, v text, PRIMARY KEY (k, c))" % ks)
    ins_n = session.prepare("INSERT INTO %s.narrow (k, v) VALUES (?, ?)" % ks)
    ins_w = session.prepare("INSERT INTO %s.wide (k, c, v) VALUES (?, ?, ?)" % ks)
    batches = []
    for start in range(0, NARROW, 100):
        b = BatchStatement(batch_type=BatchType.UNLOGGED)
        for k in range(start, min(start + 100, NARROW)):
            b.add(ins_n, (k, k * 3))
        batches.append(b)
    for start in range(0, WIDE, 200):
        b = BatchStatement(batch_type=BatchType.UNLOGGED)
        for c in range(start, min(start + 200, WIDE)):
            b.add(ins_w, (7, c, "v%d" % c))
        batches.append(b)
    for i in range(0, len(batches), 16):  # 16 batches in flight
        for f in [session.execute_async(b) for b in batches[i:i + 16]]:
            f.result()
    yield ks
    session.execute("DROP KEYSPACE IF EXISTS %s" % ks)


NARROW_ORDER = None


def narrow_expected():
    global NARROW_ORDER
    if NARROW_ORDER is None:
        NARROW_ORDER = [(k, k * 3) for k in sorted(range(NARROW), key=token)]
    return NARROW_ORDER


# page size 1 costs 10,000 round trips: once per layout, unprepared for
# the narrow table and prepared for the wide one
@pytest.mark.parametrize("page_size,mode", [(1, "unprepared")] + [(n, m) for n in (7, 100, 5000) for m in MODES])
def test_narrow_partitions(session, big, page_size, mode):
    stmt = statement(session, "SELECT k, v FROM %s.narrow" % big, mode, page_size)
    got = check_pages(pages(session, stmt), page_size)
    assert len(got) == NARROW
    assert got == narrow_expected()


@pytest.mark.parametrize("page_size,mode", [(1, "prepared")] + [(n, m) for n in (7, 100, 5000) for m in MODES])
def test_wide_partition(session, big, page_size, mode):
    if mode == "prepared":
        stmt = statement(session, "SELECT c, v FROM %s.wide WHERE k = ?" % big, mode, page_size)
        params = (7,)
    else:
        stmt = statement(session, "SELECT c, v FROM %s.wide WHERE k = 7" % big, mode, page_size)
        params = None
    got = check_pages(pages(session, stmt, params), page_size)
    assert got == [(c, "v%d" % c) for c in range(WIDE)]


def test_wide_partition_reversed_and_sliced(session, big):
    stmt = SimpleStatement("SELECT c FROM %s.wide WHERE k = 7 ORDER BY c DESC" % big, fetch_size=333)
    assert check_pages(pages(session, stmt), 333) == [(c,) for c in range(WIDE - 1, -1, -1)]
    stmt = SimpleStatement("SELECT c FROM %s.wide WHERE k = 7 AND c >= 100 AND c < 2100 ORDER BY c DESC" % big,
                           fetch_size=64)
    assert check_pages(pages(session, stmt), 64) == [(c,) for c in range(2099, 99, -1)]


def test_full_scan_over_both_layouts_with_count(session, big):
    assert session.execute("SELECT count(*) FROM %s.narrow" % big).one()[0] == NARROW
    assert session.execute("SELECT count(*) FROM %s.wide WHERE k = 7" % big).one()[0] == WIDE


@pytest.mark.parametrize("mode", MODES)
def test_resume_on_new_session(session, make_cluster, big, mode):
    query = "SELECT k, v FROM %s.narrow" % big
    stmt = statement(session, query, mode, 250)
    first = []
    state = None
    for _ in range(3):
        rs = session.execute(stmt, paging_state=state)
        first += [tuple(r) for r in rs.current_rows]
        state = rs.paging_state
    assert state is not None and len(first) == 750
    other = make_cluster().connect()
    stmt2 = statement(other, query, mode, 250)
    rest = check_pages(pages(other, stmt2, paging_state=state), 250)
    assert first + rest == narrow_expected()
    # the same saved state can be used again
    again = check_pages(pages(session, stmt, paging_state=state), 250)
    assert again == rest


def test_wide_resume_with_bound_values(session, make_cluster, big):
    ps = session.prepare("SELECT c FROM %s.wide WHERE k = ? AND c >= ?" % big)
    ps.fetch_size = 1000
    rs = session.execute(ps, (7, 5000))
    state = rs.paging_state
    assert [r.c for r in rs.current_rows] == list(range(5000, 6000))
    other = make_cluster().connect()
    ps2 = other.prepare("SELECT c FROM %s.wide WHERE k = ? AND c >= ?" % big)
    ps2.fetch_size = 1000
    rest = check_pages(pages(other, ps2, (7, 5000), paging_state=state), 1000)
    assert [c for (c,) in rest] == list(range(6000, WIDE))


def test_writes_between_pages_wide(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, v int, PRIMARY KEY (k, c))" % ks)
    ins = session.prepare("INSERT INTO %s.t (k, c, v) VALUES (?, ?, ?)" % ks)
    for c in range(0, 2000, 2):
        session.execute(ins, (0, c, 0))
    stmt = SimpleStatement("SELECT c, v FROM %s.t WHERE k = 0" % ks, fetch_size=100)
    seen = []
    rs = session.execute(stmt)
    seen += [tuple(r) for r in rs.current_rows]
    rs = session.execute(stmt, paging_state=rs.paging_state)
    seen += [tuple(r) for r in rs.current_rows]
    state = rs.paging_state
    cursor = seen[-1][0]
    assert cursor == 398
    # before the cursor: new rows and updates are not returned again
    session.execute(ins, (0, 1, 1))
    session.execute(ins, (0, 398, 1))
    # after the cursor: new rows and updates are returned
    session.execute(ins, (0, 399, 1))
    session.execute(ins, (0, 1001, 1))
    session.execute(ins, (0, 400, 1))
    session.execute("DELETE FROM %s.t WHERE k = 0 AND c = 1998" % ks)
    rest = check_pages(pages(session, stmt, paging_state=state), 100)
    all_rows = seen + rest
    cs = [c for c, _ in all_rows]
    assert cs == sorted(set(cs)), "duplicates or disorder"
    expected_after = sorted(set(range(400, 1998, 2)) | {399, 1001})
    assert [c for c, _ in rest] == expected_after
    assert dict(rest)[400] == 1 and dict(rest)[399] == 1 and dict(rest)[402] == 0


def test_writes_between_pages_narrow(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    ins = session.prepare("INSERT INTO %s.t (k, v) VALUES (?, ?)" % ks)
    keys = list(range(0, 1000))
    for k in keys:
        session.execute(ins, (k, 0))
    stmt = SimpleStatement("SELECT k FROM %s.t" % ks, fetch_size=300)
    rs = session.execute(stmt)
    first = [r.k for r in rs.current_rows]
    state = rs.paging_state
    cursor_token = token(first[-1])
    new_keys = list(range(5000, 5200))
    for k in new_keys:
        session.execute(ins, (k, 1))
    rest = [k for (k,) in check_pages(pages(session, stmt, paging_state=state), 300)]
    assert len(set(first + rest)) == len(first + rest), "a key came back twice"
    expected_rest = sorted([k for k in keys + new_keys if token(k) > cursor_token], key=token)
    assert rest == expected_rest
    assert first == sorted(keys, key=token)[:300]


@pytest.mark.parametrize("mode", MODES)
def test_paging_with_limit(session, big, mode):
    stmt = statement(session, "SELECT k, v FROM %s.narrow LIMIT 250" % big, mode, 100)
    result = pages(session, stmt)
    got = [r for rows, _ in result for r in rows]
    assert [len(rows) for rows, _ in result][:3] == [100, 100, 50]
    assert got == narrow_expected()[:250]
    stmt = statement(session, "SELECT c FROM %s.wide WHERE k = 7 LIMIT 1234" % big, mode, 500)
    got = [r for rows, _ in pages(session, stmt) for r in rows]
    assert got == [(c,) for c in range(1234)]
    stmt = statement(session, "SELECT c FROM %s.wide WHERE k = 7 LIMIT 100" % big, mode, 100)
    got = [r for rows, _ in pages(session, stmt) for r in rows]
    assert got == [(c,) for c in range(100)]


def test_paging_with_per_partition_limit(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, PRIMARY KEY (k, c))" % ks)
    ins = session.prepare("INSERT INTO %s.t (k, c) VALUES (?, ?)" % ks)
    futures = [session.execute_async(ins, (k, c)) for k in range(300) for c in range(5)]
    for f in futures:
        f.result()
    order = sorted(range(300), key=token)
    stmt = SimpleStatement("SELECT k, c FROM %s.t PER PARTITION LIMIT 2" % ks, fetch_size=7)
    got = check_pages(pages(session, stmt), 7)
    assert got == [(k, c) for k in order for c in (0, 1)]
    stmt = SimpleStatement("SELECT k, c FROM %s.t PER PARTITION LIMIT 3 LIMIT 100" % ks, fetch_size=9)
    got = [r for rows, _ in pages(session, stmt) for r in rows]
    assert got == [(k, c) for k in order for c in (0, 1, 2)][:100]
    stmt = SimpleStatement("SELECT DISTINCT k FROM %s.t" % ks, fetch_size=13)
    assert check_pages(pages(session, stmt), 13) == [(k,) for k in order]
