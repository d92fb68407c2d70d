"""Writes: INSERT, UPDATE (plain, collections, counters), DELETE (partition,
row, clustering prefixes and slices, columns, collection elements, map
keys), BATCH (LOGGED/UNLOGGED/COUNTER, single-partition atomicity, empty),
row liveness (INSERT vs UPDATE-created rows), static columns, and
last-write-wins with USING TIMESTAMP and Cassandra's tie-breaks; rejected
writes with Cassandra's messages. LWT (IF ...) is skipped while the server
answers "not supported yet".

Reference: Apache Cassandra 4.1/5.0 (cql3/statements/ModificationStatement,
UpdateStatement, DeleteStatement, BatchStatement, cql3/Lists|Sets|Maps,
db/rows/Cells.reconcile, db/LivenessInfo) and its tests
test/unit/org/apache/cassandra/cql3/validation/operations/{Insert,Update,Delete,Batch}Test.java.
"""

import threading

import pytest
from cassandra import InvalidRequest
from cassandra.query import BatchStatement, BatchType, SimpleStatement

from ringdb_testlib import server_message

MODES = ["unprepared", "prepared"]


def rows(session, query, params=None):
    return [tuple(r) for r in session.execute(query, params)]


def expect_invalid(session, query, message, params=None):
    with pytest.raises(InvalidRequest) as ei:
        session.execute(query, params)
    assert server_message(ei.value) == message
    return ei.value


class Runner:
    """Runs "TEMPLATE" with %s-style values either inlined as literals or as
    a prepared statement with ? markers."""

    def __init__(self, session, mode):
        self.session = session
        self.mode = mode
        self.cache = {}

    def __call__(self, query, *values):
        if self.mode == "prepared":
            q = query % tuple("?" for _ in values)
            ps = self.cache.get(q) or self.cache.setdefault(q, self.session.prepare(q))
            return self.session.execute(ps, values)
        from cassandra.encoder import Encoder
        enc = Encoder()
        return self.session.execute(query % tuple(enc.cql_encode_all_types(v) for v in values))


# ---- INSERT / UPDATE ----------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_insert_and_update(session, unique_keyspace, mode):
    ks = unique_keyspace
    run = Runner(session, mode)
    session.execute("CREATE TABLE %s.t (k int, c text, v int, w text, PRIMARY KEY (k, c))" % ks)
    run("INSERT INTO " + ks + ".t (k, c, v, w) VALUES (%s, %s, %s, %s)", 1, "a", 10, "x")
    run("INSERT INTO " + ks + ".t (k, c, v) VALUES (%s, %s, %s)", 1, "b", 20)
    run("UPDATE " + ks + ".t SET w = %s WHERE k = %s AND c = %s", "y", 1, "b")
    run("UPDATE " + ks + ".t SET v = %s, w = %s WHERE k = %s AND c = %s", 30, "z", 2, "a")
    # INSERT overwrites only the columns it names
    run("INSERT INTO " + ks + ".t (k, c, v) VALUES (%s, %s, %s)", 1, "a", 11)
    assert rows(session, "SELECT * FROM %s.t WHERE k = 1" % ks) == [(1, "a", 11, "x"), (1, "b", 20, "y")]
    assert rows(session, "SELECT * FROM %s.t WHERE k = 2" % ks) == [(2, "a", 30, "z")]
    # UPDATE ... WHERE k IN (...) writes every partition
    session.execute("UPDATE %s.t SET v = 0 WHERE k IN (1, 2, 3) AND c = 'a'" % ks)
    assert rows(session, "SELECT k, c, v FROM %s.t WHERE k IN (1, 2, 3) AND c = 'a'" % ks) == [
        (1, "a", 0), (2, "a", 0), (3, "a", 0)]
    # setting null deletes the cell
    run("UPDATE " + ks + ".t SET w = %s WHERE k = %s AND c = %s", None, 1, "a")
    assert rows(session, "SELECT w FROM %s.t WHERE k = 1 AND c = 'a'" % ks) == [(None,)]


@pytest.mark.parametrize("mode", MODES)
def test_list_operations(session, unique_keyspace, mode):
    ks = unique_keyspace
    run = Runner(session, mode)
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, l list<text>)" % ks)
    upd = "UPDATE " + ks + ".t SET %s WHERE k = 1"

    def get():
        return session.execute("SELECT l FROM %s.t WHERE k = 1" % ks).one().l

    run("INSERT INTO " + ks + ".t (k, l) VALUES (%s, %s)", 1, ["b", "c"])
    run(upd.replace("%s", "l = l + %s", 1), ["d", "e"])
    assert get() == ["b", "c", "d", "e"]
    run(upd.replace("%s", "l = %s + l", 1), ["a"])
    assert get() == ["a", "b", "c", "d", "e"]
    run(upd.replace("%s", "l[%s] = %s", 1), 2, "C")
    assert get() == ["a", "b", "C", "d", "e"]
    run(upd.replace("%s", "l = l - %s", 1), ["b", "e", "zz"])
    assert get() == ["a", "C", "d"]
    session.execute("DELETE l[1] FROM %s.t WHERE k = 1" % ks)
    assert get() == ["a", "d"]
    run(upd.replace("%s", "l = l + %s", 1), ["a", "a"])  # duplicates are kept
    assert get() == ["a", "d", "a", "a"]
    run(upd.replace("%s", "l = l - %s", 1), ["a"])  # every occurrence goes
    assert get() == ["d"]
    run(upd.replace("%s", "l = %s", 1), ["x", "y"])  # replaces the whole list
    assert get() == ["x", "y"]
    expect_invalid(session, "UPDATE %s.t SET l[5] = 'q' WHERE k = 1" % ks, "List index 5 out of bound, list has size 2")
    # appending to a missing list creates it; removing everything empties it to null
    session.execute("UPDATE %s.t SET l = l + ['n'] WHERE k = 2" % ks)
    assert session.execute("SELECT l FROM %s.t WHERE k = 2" % ks).one().l == ["n"]
    session.execute("UPDATE %s.t SET l = l - ['n'] WHERE k = 2" % ks)
    assert session.execute("SELECT l FROM %s.t WHERE k = 2" % ks).one() is None


@pytest.mark.parametrize("mode", MODES)
def test_set_operations(session, unique_keyspace, mode):
    ks = unique_keyspace
    run = Runner(session, mode)
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, s set<int>, v int)" % ks)
    run("INSERT INTO " + ks + ".t (k, s, v) VALUES (%s, %s, %s)", 1, {3, 1}, 0)
    run("UPDATE " + ks + ".t SET s = s + %s WHERE k = 1", {2, 3, 10})
    assert sorted(session.execute("SELECT s FROM %s.t WHERE k = 1" % ks).one().s) == [1, 2, 3, 10]
    assert list(session.execute("SELECT s FROM %s.t WHERE k = 1" % ks).one().s) == [1, 2, 3, 10]
    run("UPDATE " + ks + ".t SET s = s - %s WHERE k = 1", {1, 10, 99})
    assert list(session.execute("SELECT s FROM %s.t WHERE k = 1" % ks).one().s) == [2, 3]
    session.execute("DELETE s[2] FROM %s.t WHERE k = 1" % ks)
    assert list(session.execute("SELECT s FROM %s.t WHERE k = 1" % ks).one().s) == [3]
    run("UPDATE " + ks + ".t SET s = s - %s WHERE k = 1", {3})
    assert rows(session, "SELECT k, s, v FROM %s.t WHERE k = 1" % ks) == [(1, None, 0)]


@pytest.mark.parametrize("mode", MODES)
def test_map_operations(session, unique_keyspace, mode):
    ks = unique_keyspace
    run = Runner(session, mode)
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, m map<text, int>)" % ks)

    def get():
        v = session.execute("SELECT m FROM %s.t WHERE k = 1" % ks).one().m
        return None if v is None else list(v.items())

    run("INSERT INTO " + ks + ".t (k, m) VALUES (%s, %s)", 1, {"b": 2, "a": 1})
    run("UPDATE " + ks + ".t SET m[%s] = %s WHERE k = 1", "c", 3)
    assert get() == [("a", 1), ("b", 2), ("c", 3)]
    run("UPDATE " + ks + ".t SET m = m + %s WHERE k = 1", {"a": 100, "d": 4})
    assert get() == [("a", 100), ("b", 2), ("c", 3), ("d", 4)]
    run("UPDATE " + ks + ".t SET m = m - %s WHERE k = 1", {"b", "zz"})
    assert get() == [("a", 100), ("c", 3), ("d", 4)]
    session.execute("DELETE m['c'] FROM %s.t WHERE k = 1" % ks)
    assert get() == [("a", 100), ("d", 4)]
    run("UPDATE " + ks + ".t SET m[%s] = %s WHERE k = 1", "a", None)  # null value deletes the key
    assert get() == [("d", 4)]
    run("UPDATE " + ks + ".t SET m = %s WHERE k = 1", {"z": 26})
    assert get() == [("z", 26)]


def test_frozen_collection_is_replaced_whole(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, l frozen<list<int>>)" % ks)
    session.execute("INSERT INTO %s.t (k, l) VALUES (1, [1, 2])" % ks)
    session.execute("UPDATE %s.t SET l = [3] WHERE k = 1" % ks)
    assert session.execute("SELECT l FROM %s.t WHERE k = 1" % ks).one().l == [3]


@pytest.mark.parametrize("mode", MODES)
def test_counters(session, unique_keyspace, mode):
    ks = unique_keyspace
    run = Runner(session, mode)
    session.execute("CREATE TABLE %s.c (k int, c int, a counter, b counter, PRIMARY KEY (k, c))" % ks)
    for _ in range(5):
        run("UPDATE " + ks + ".c SET a = a + %s, b = b - %s WHERE k = 1 AND c = 1", 2, 1)
    run("UPDATE " + ks + ".c SET a = a - %s WHERE k = 1 AND c = 2", 7)
    assert rows(session, "SELECT * FROM %s.c WHERE k = 1" % ks) == [(1, 1, 10, -5), (1, 2, -7, None)]
    # deleting a counter row; (Cassandra does not let a deleted counter come back reliably, so stop here)
    session.execute("DELETE FROM %s.c WHERE k = 1 AND c = 2" % ks)
    assert rows(session, "SELECT * FROM %s.c WHERE k = 1" % ks) == [(1, 1, 10, -5)]


def test_counter_errors(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.c (k int PRIMARY KEY, n counter)" % ks)
    expect_invalid(session, "UPDATE %s.c SET n = 5 WHERE k = 1" % ks,
                   "Cannot set the value of counter column n (counters can only be incremented/decremented, not set)")
    expect_invalid(session, "INSERT INTO %s.c (k, n) VALUES (1, 5)" % ks,
                   "INSERT statements are not allowed on counter tables, use UPDATE instead")
    assert session.execute("SELECT * FROM %s.c" % ks).all() == []


def test_write_errors(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (a int, b int, c int, v int, PRIMARY KEY ((a, b), c))" % ks)
    expect_invalid(session, "INSERT INTO %s.t (a, c, v) VALUES (1, 1, 1)" % ks,
                   "Some partition key parts are missing: b")
    expect_invalid(session, "INSERT INTO %s.t (a, b, v) VALUES (1, 1, 1)" % ks,
                   "Some clustering keys are missing: c")
    expect_invalid(session, "UPDATE %s.t SET v = 1 WHERE a = 1 AND b = 1 AND c > 1" % ks,
                   "Slice restrictions are not supported on the clustering columns in UPDATE statements")
    expect_invalid(session, "DELETE FROM %s.t WHERE a > 1 AND b = 1" % ks,
                   "Only EQ and IN relation are supported on the partition key (unless you use the token() "
                   "function) for DELETE statements")
    with pytest.raises(InvalidRequest) as ei:
        session.execute("INSERT INTO %s.t (a, b, c, nope) VALUES (1, 1, 1, 1)" % ks)
    # 4.1 appends " in table ks.t" to this one; 4.0 does not
    assert server_message(ei.value).startswith("Undefined column name nope")
    assert session.execute("SELECT * FROM %s.t" % ks).all() == []


# ---- DELETE ---------------------------------------------------------------------

@pytest.fixture
def grid(session, unique_keyspace):
    """t(k, c1, c2, v, s static): k in 0..1, c1 in 0..2, c2 in 0..2."""
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c1 int, c2 int, v int, w int, s int static, "
                    "PRIMARY KEY (k, c1, c2))" % ks)
    ins = session.prepare("INSERT INTO %s.t (k, c1, c2, v, w) VALUES (?, ?, ?, ?, ?)" % ks)
    for k in range(2):
        session.execute("INSERT INTO %s.t (k, s) VALUES (%d, %d)" % (ks, k, 100 + k))
        for c1 in range(3):
            for c2 in range(3):
                session.execute(ins, (k, c1, c2, c1 * 10 + c2, -1))
    return ks


def keys(session, ks, k=0):
    return [(r.c1, r.c2) for r in session.execute("SELECT c1, c2 FROM %s.t WHERE k = %d" % (ks, k))]


ALL9 = [(a, b) for a in range(3) for b in range(3)]


@pytest.mark.parametrize("where,gone", [
    ("c1 = 1 AND c2 = 1", [(1, 1)]),
    ("c1 = 1", [(1, 0), (1, 1), (1, 2)]),
    ("c1 > 0", [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]),
    ("c1 >= 1 AND c1 < 2", [(1, 0), (1, 1), (1, 2)]),
    ("c1 = 2 AND c2 >= 1", [(2, 1), (2, 2)]),
    ("c1 = 0 AND c2 > 0 AND c2 <= 1", [(0, 1)]),
    ("(c1, c2) >= (1, 2)", [(1, 2), (2, 0), (2, 1), (2, 2)]),
    ("(c1, c2) > (0, 1) AND (c1, c2) < (2, 1)", [(0, 2), (1, 0), (1, 1), (1, 2), (2, 0)]),
    ("c1 IN (0, 2) AND c2 = 1", [(0, 1), (2, 1)]),
], ids=["row", "prefix", "slice_gt", "slice_range", "prefix_slice", "prefix_range", "tuple_ge", "tuple_range",
        "in_rows"])
def test_delete_rows_and_ranges(session, grid, where, gone):
    ks = grid
    session.execute("DELETE FROM %s.t WHERE k = 0 AND %s" % (ks, where))
    assert keys(session, ks, 0) == [x for x in ALL9 if x not in gone]
    assert keys(session, ks, 1) == ALL9
    # the static row is not touched by row or range deletions
    assert rows(session, "SELECT DISTINCT k, s FROM %s.t WHERE k = 0" % ks) == [(0, 100)]


def test_delete_partition(session, grid):
    ks = grid
    session.execute("DELETE FROM %s.t WHERE k = 0" % ks)
    assert session.execute("SELECT * FROM %s.t WHERE k = 0" % ks).all() == []
    assert keys(session, ks, 1) == ALL9
    session.execute("DELETE FROM %s.t WHERE k IN (1, 5)" % ks)
    assert session.execute("SELECT * FROM %s.t" % ks).all() == []


def test_delete_all_rows_keeps_static(session, grid):
    ks = grid
    session.execute("DELETE FROM %s.t WHERE k = 0 AND c1 >= 0" % ks)
    # a partition with only its static row reads as one row with null clustering
    assert rows(session, "SELECT k, c1, c2, v, s FROM %s.t WHERE k = 0" % ks) == [(0, None, None, None, 100)]
    session.execute("DELETE s FROM %s.t WHERE k = 0" % ks)
    assert session.execute("SELECT * FROM %s.t WHERE k = 0" % ks).all() == []


def test_delete_columns(session, grid):
    ks = grid
    session.execute("DELETE v FROM %s.t WHERE k = 0 AND c1 = 0 AND c2 = 0" % ks)
    session.execute("DELETE v, w FROM %s.t WHERE k = 0 AND c1 = 0 AND c2 = 1" % ks)
    assert rows(session, "SELECT c2, v, w FROM %s.t WHERE k = 0 AND c1 = 0" % ks) == [
        (0, None, -1), (1, None, None), (2, 2, -1)]
    # INSERTed rows stay alive with only their key left
    assert (0, 1) in keys(session, ks, 0)


def test_delete_static_only(session, grid):
    ks = grid
    session.execute("DELETE s FROM %s.t WHERE k = 1" % ks)
    assert set(rows(session, "SELECT DISTINCT k, s FROM %s.t" % ks)) == {(0, 100), (1, None)}
    assert keys(session, ks, 1) == ALL9


def test_delete_collection_elements(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, l list<int>, s set<text>, m map<int, text>)" % ks)
    session.execute("INSERT INTO %s.t (k, l, s, m) VALUES (1, [1, 2, 3], {'a', 'b'}, {1: 'x', 2: 'y'})" % ks)
    session.execute("DELETE l[0], s['a'], m[2] FROM %s.t WHERE k = 1" % ks)
    r = session.execute("SELECT l, s, m FROM %s.t WHERE k = 1" % ks).one()
    assert (r.l, sorted(r.s), dict(r.m)) == ([2, 3], ["b"], {1: "x"})
    session.execute("DELETE m FROM %s.t WHERE k = 1" % ks)
    assert session.execute("SELECT m FROM %s.t WHERE k = 1" % ks).one().m is None


# ---- row liveness, static columns -------------------------------------------------

def test_insert_row_exists_with_only_its_key(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, v int, PRIMARY KEY (k, c))" % ks)
    session.execute("INSERT INTO %s.t (k, c) VALUES (1, 1)" % ks)
    assert rows(session, "SELECT * FROM %s.t" % ks) == [(1, 1, None)]
    session.execute("INSERT INTO %s.t (k, c, v) VALUES (1, 2, 5)" % ks)
    session.execute("DELETE v FROM %s.t WHERE k = 1 AND c = 2" % ks)
    assert rows(session, "SELECT * FROM %s.t" % ks) == [(1, 1, None), (1, 2, None)]
    assert rows(session, "SELECT count(*) FROM %s.t WHERE k = 1" % ks) == [(2,)]


def test_update_created_row_disappears_with_its_cells(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, v int, w int, PRIMARY KEY (k, c))" % ks)
    session.execute("UPDATE %s.t SET v = 1, w = 2 WHERE k = 1 AND c = 1" % ks)
    assert rows(session, "SELECT * FROM %s.t" % ks) == [(1, 1, 1, 2)]
    session.execute("DELETE v FROM %s.t WHERE k = 1 AND c = 1" % ks)
    assert rows(session, "SELECT * FROM %s.t" % ks) == [(1, 1, None, 2)]
    session.execute("UPDATE %s.t SET w = null WHERE k = 1 AND c = 1" % ks)
    assert rows(session, "SELECT * FROM %s.t" % ks) == []
    # an UPDATE to a row that only has an INSERT liveness keeps it
    session.execute("INSERT INTO %s.t (k, c) VALUES (2, 2)" % ks)
    session.execute("UPDATE %s.t SET v = null WHERE k = 2 AND c = 2" % ks)
    assert rows(session, "SELECT * FROM %s.t" % ks) == [(2, 2, None, None)]


def test_static_columns(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, v int, s text static, PRIMARY KEY (k, c))" % ks)
    session.execute("INSERT INTO %s.t (k, c, v, s) VALUES (1, 1, 10, 'one')" % ks)
    session.execute("INSERT INTO %s.t (k, c, v) VALUES (1, 2, 20)" % ks)
    assert rows(session, "SELECT k, c, v, s FROM %s.t WHERE k = 1" % ks) == [(1, 1, 10, "one"), (1, 2, 20, "one")]
    session.execute("UPDATE %s.t SET s = 'uno' WHERE k = 1" % ks)
    assert rows(session, "SELECT c, s FROM %s.t WHERE k = 1" % ks) == [(1, "uno"), (2, "uno")]
    # a static-only write creates a partition with no rows
    session.execute("INSERT INTO %s.t (k, s) VALUES (2, 'two')" % ks)
    assert rows(session, "SELECT k, c, v, s FROM %s.t WHERE k = 2" % ks) == [(2, None, None, "two")]
    assert rows(session, "SELECT s FROM %s.t WHERE k = 2" % ks) == [("two",)]
    expect_invalid(session, "UPDATE %s.t SET s = 'x' WHERE k = 1 AND c = 1" % ks,
                   "Invalid restrictions on clustering columns since the UPDATE statement modifies only static "
                   "columns")


# ---- BATCH ------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["", "UNLOGGED "])
def test_batch(session, unique_keyspace, kind):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, v text, PRIMARY KEY (k, c))" % ks)
    session.execute("INSERT INTO %s.t (k, c, v) VALUES (9, 9, 'old')" % ks)
    session.execute("BEGIN %sBATCH "
                    "INSERT INTO %s.t (k, c, v) VALUES (1, 1, 'a'); "
                    "INSERT INTO %s.t (k, c, v) VALUES (2, 1, 'b'); "
                    "UPDATE %s.t SET v = 'c' WHERE k = 1 AND c = 2; "
                    "DELETE FROM %s.t WHERE k = 9; "
                    "APPLY BATCH" % (kind, ks, ks, ks, ks))
    assert sorted(rows(session, "SELECT * FROM %s.t" % ks)) == [(1, 1, "a"), (1, 2, "c"), (2, 1, "b")]


def test_batch_driver_statement(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, v text, PRIMARY KEY (k, c))" % ks)
    ins = session.prepare("INSERT INTO %s.t (k, c, v) VALUES (?, ?, ?)" % ks)
    for bt in (BatchType.LOGGED, BatchType.UNLOGGED):
        b = BatchStatement(batch_type=bt)
        for c in range(20):
            b.add(ins, (int(bt == BatchType.LOGGED), c, "p%d" % c))
        b.add(SimpleStatement("UPDATE %s.t SET v = %%s WHERE k = %%s AND c = %%s" % ks), ("simple", 5, 5))
        session.execute(b)
    assert len(session.execute("SELECT * FROM %s.t WHERE k = 0" % ks).all()) == 20
    assert len(session.execute("SELECT * FROM %s.t WHERE k = 1" % ks).all()) == 20
    assert rows(session, "SELECT v FROM %s.t WHERE k = 5 AND c = 5" % ks) == [("simple",)]


def test_counter_batch(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.c (k int PRIMARY KEY, n counter)" % ks)
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    session.execute("BEGIN COUNTER BATCH UPDATE %s.c SET n = n + 1 WHERE k = 1; "
                    "UPDATE %s.c SET n = n + 2 WHERE k = 1; UPDATE %s.c SET n = n - 1 WHERE k = 2; "
                    "APPLY BATCH" % (ks, ks, ks))
    assert sorted(rows(session, "SELECT k, n FROM %s.c" % ks)) == [(1, 3), (2, -1)]
    expect_invalid(session, "BEGIN BATCH UPDATE %s.c SET n = n + 1 WHERE k = 1; APPLY BATCH" % ks,
                   "Cannot include a counter statement in a logged batch")
    expect_invalid(session, "BEGIN COUNTER BATCH INSERT INTO %s.t (k, v) VALUES (1, 1); APPLY BATCH" % ks,
                   "Cannot include non-counter statement in a counter batch")
    expect_invalid(session, "BEGIN UNLOGGED BATCH UPDATE %s.c SET n = n + 1 WHERE k = 1; "
                   "INSERT INTO %s.t (k, v) VALUES (1, 1); APPLY BATCH" % (ks, ks),
                   "Counter and non-counter mutations cannot exist in the same batch")
    assert sorted(rows(session, "SELECT k, n FROM %s.c" % ks)) == [(1, 3), (2, -1)]
    assert session.execute("SELECT * FROM %s.t" % ks).all() == []


def test_empty_batch(session):
    session.execute("BEGIN BATCH APPLY BATCH")
    session.execute("BEGIN UNLOGGED BATCH APPLY BATCH")
    session.execute(BatchStatement())


def test_batch_rejected_statement_applies_nothing(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    expect_invalid(session, "BEGIN BATCH INSERT INTO %s.t (k, v) VALUES (1, 1); "
                   "INSERT INTO %s.t (k, v) VALUES (2, 'two'); APPLY BATCH" % (ks, ks),
                   'Invalid STRING constant (two) for "v" of type int')
    assert session.execute("SELECT * FROM %s.t" % ks).all() == []


def test_single_partition_batch_is_atomic(session, unique_keyspace):
    """Readers never see half of a single-partition batch."""
    ks = unique_keyspace
    n = 40
    session.execute("CREATE TABLE %s.t (k int, c int, v int, PRIMARY KEY (k, c))" % ks)
    ins = session.prepare("INSERT INTO %s.t (k, c, v) VALUES (?, ?, ?)" % ks)
    sel = session.prepare("SELECT c, v FROM %s.t WHERE k = 0" % ks)
    sel.fetch_size = None
    stop = threading.Event()
    errors = []

    def writer():
        try:
            for version in range(1, 60):
                b = BatchStatement(batch_type=BatchType.UNLOGGED)
                for c in range(n):
                    b.add(ins, (0, c, version))
                session.execute(b)
        except Exception as e:  # reported by the main thread
            errors.append(e)
        finally:
            stop.set()

    t = threading.Thread(target=writer)
    t.start()
    reads = 0
    try:
        while not stop.is_set() or reads == 0:
            got = [tuple(r) for r in session.execute(sel)]
            reads += 1
            if got:
                versions = {v for _, v in got}
                assert len(got) == n and len(versions) == 1, "torn batch read: %r" % got
    finally:
        stop.set()
        t.join()
    assert not errors, errors
    assert {v for _, v in rows(session, "SELECT c, v FROM %s.t WHERE k = 0" % ks)} == {59}


# ---- timestamps and reconciliation ----------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_last_write_wins_by_timestamp(session, unique_keyspace, mode):
    ks = unique_keyspace
    run = Runner(session, mode)
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v text)" % ks)
    ins = "INSERT INTO " + ks + ".t (k, v) VALUES (%s, %s) USING TIMESTAMP %s"
    run(ins, 1, "new", 2000)
    run(ins, 1, "old", 1000)  # older timestamp: ignored
    assert session.execute("SELECT v, writetime(v) FROM %s.t WHERE k = 1" % ks).one() == ("new", 2000)
    # a delete older than the data does nothing; a newer one wins
    session.execute("DELETE FROM %s.t USING TIMESTAMP 1999 WHERE k = 1" % ks)
    assert rows(session, "SELECT v FROM %s.t WHERE k = 1" % ks) == [("new",)]
    session.execute("DELETE FROM %s.t USING TIMESTAMP 2001 WHERE k = 1" % ks)
    assert rows(session, "SELECT v FROM %s.t WHERE k = 1" % ks) == []
    # writes older than the partition tombstone stay shadowed
    run(ins, 1, "older", 2001)
    assert rows(session, "SELECT v FROM %s.t WHERE k = 1" % ks) == []
    run(ins, 1, "newer", 2002)
    assert rows(session, "SELECT v FROM %s.t WHERE k = 1" % ks) == [("newer",)]


def test_timestamp_ties(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v text)" % ks)
    # same timestamp, two values: the greater value wins, whatever the order
    session.execute("INSERT INTO %s.t (k, v) VALUES (1, 'b') USING TIMESTAMP 100" % ks)
    session.execute("INSERT INTO %s.t (k, v) VALUES (1, 'a') USING TIMESTAMP 100" % ks)
    session.execute("INSERT INTO %s.t (k, v) VALUES (2, 'a') USING TIMESTAMP 100" % ks)
    session.execute("INSERT INTO %s.t (k, v) VALUES (2, 'b') USING TIMESTAMP 100" % ks)
    assert rows(session, "SELECT v FROM %s.t WHERE k IN (1, 2)" % ks) == [("b",), ("b",)]
    # same timestamp, a value and a tombstone: the tombstone wins, whatever the order
    session.execute("INSERT INTO %s.t (k, v) VALUES (3, 'x') USING TIMESTAMP 100" % ks)
    session.execute("DELETE v FROM %s.t USING TIMESTAMP 100 WHERE k = 3" % ks)
    session.execute("DELETE v FROM %s.t USING TIMESTAMP 100 WHERE k = 4" % ks)
    session.execute("UPDATE %s.t USING TIMESTAMP 100 SET v = 'x' WHERE k = 4" % ks)
    assert rows(session, "SELECT k, v FROM %s.t WHERE k IN (3, 4)" % ks) == [(3, None)]
    # a row deletion at the insert's timestamp removes the row and its liveness
    session.execute("INSERT INTO %s.t (k, v) VALUES (5, 'x') USING TIMESTAMP 100" % ks)
    session.execute("DELETE FROM %s.t USING TIMESTAMP 100 WHERE k = 5" % ks)
    assert rows(session, "SELECT * FROM %s.t WHERE k = 5" % ks) == []


def test_batch_timestamp(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    session.execute("BEGIN BATCH USING TIMESTAMP 1234 INSERT INTO %s.t (k, v) VALUES (1, 1); "
                    "INSERT INTO %s.t (k, v) VALUES (2, 2); APPLY BATCH" % (ks, ks))
    assert sorted(rows(session, "SELECT k, writetime(v) FROM %s.t" % ks)) == [(1, 1234), (2, 1234)]
    expect_invalid(session, "BEGIN BATCH USING TIMESTAMP 1 INSERT INTO %s.t (k, v) VALUES (1, 1) "
                   "USING TIMESTAMP 2; APPLY BATCH" % ks,
                   "Timestamp must be set either on BATCH or individual statements")


# ---- lightweight transactions: a later issue --------------------------------------

def test_insert_if_not_exists(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    try:
        r = session.execute("INSERT INTO %s.t (k, v) VALUES (1, 1) IF NOT EXISTS" % ks).one()
    except InvalidRequest as e:
        if "not supported yet" in server_message(e):
            pytest.skip("LWT: %s" % server_message(e))
        raise
    assert r[0] is True
    r = session.execute("INSERT INTO %s.t (k, v) VALUES (1, 2) IF NOT EXISTS" % ks).one()
    assert tuple(r) == (False, 1, 1)
