"""Reads: SELECT *, columns, aliases, writetime(), ttl(), token(); partition
key = and IN; clustering =, IN, slices and multi-column comparisons; ORDER
BY reversed; LIMIT, PER PARTITION LIMIT, DISTINCT, count(*); token-range
restrictions; full scans in token order (checked against the driver's
cassandra.murmur3); and rejected queries with Cassandra's messages.

Reference: Apache Cassandra 4.1/5.0 (cql3/restrictions/StatementRestrictions,
ClusteringColumnRestrictions, cql3/statements/SelectStatement) and
test/unit/org/apache/cassandra/cql3/validation/operations/Select*Test.java.
"""

import struct

import pytest
from cassandra import InvalidRequest
from cassandra.murmur3 import murmur3
from cassandra.query import SimpleStatement

from ringdb_testlib import server_message

MODES = ["unprepared", "prepared"]
ALLOW_FILTERING = ("Cannot execute this query as it might involve data filtering and thus may have unpredictable "
                   "performance. If you want to execute this query despite the performance unpredictability, "
                   "use ALLOW FILTERING")

C2 = ["a", "b"]


def token(k):
    return murmur3(struct.pack(">i", k))


@pytest.fixture
def data(session, unique_keyspace):
    """t(k, c1, c2, v, s static): k 0..4, c1 0..3, c2 'a'/'b'; v = k*100 + c1*10 + (c2 == 'b')."""
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c1 int, c2 text, v int, s text static, PRIMARY KEY (k, c1, c2))"
                    % ks)
    ins = session.prepare("INSERT INTO %s.t (k, c1, c2, v) VALUES (?, ?, ?, ?)" % ks)
    for k in range(5):
        session.execute("UPDATE %s.t SET s = 's%d' WHERE k = %d" % (ks, k, k))
        for c1 in range(4):
            for i, c2 in enumerate(C2):
                session.execute(ins, (k, c1, c2, k * 100 + c1 * 10 + i))
    return ks


def row(k, c1, c2):
    return (k, c1, c2, k * 100 + c1 * 10 + C2.index(c2))


def part(k):
    return [row(k, c1, c2) for c1 in range(4) for c2 in C2]


class Q:
    """Runs a query with ? markers either prepared or with the values inlined."""

    def __init__(self, session, mode):
        self.session, self.mode = session, mode

    def __call__(self, query, *values, **kw):
        if self.mode == "prepared":
            stmt = self.session.prepare(query)
            if "fetch_size" in kw:
                stmt.fetch_size = kw["fetch_size"]
            return [tuple(r) for r in self.session.execute(stmt, values)]
        from cassandra.encoder import Encoder
        enc = Encoder()
        parts = query.split("?")
        assert len(parts) == len(values) + 1
        q = parts[0] + "".join(enc.cql_encode_all_types(v) + p for v, p in zip(values, parts[1:]))
        return [tuple(r) for r in self.session.execute(SimpleStatement(q, fetch_size=kw.get("fetch_size", 5000)))]


def expect_invalid(session, query, message, fetch_size=5000):
    with pytest.raises(InvalidRequest) as ei:
        session.execute(SimpleStatement(query, fetch_size=fetch_size))
    assert server_message(ei.value) == message
    return ei.value


@pytest.mark.parametrize("mode", MODES)
def test_partition_and_clustering_restrictions(session, data, mode):
    ks, q = data, Q(session, mode)
    base = "SELECT k, c1, c2, v FROM %s.t WHERE " % ks
    assert q(base + "k = ?", 2) == part(2)
    assert q(base + "k = ?", 7) == []
    assert q(base + "k IN (?, ?)", 1, 3) == part(1) + part(3)
    assert q(base + "k = ? AND c1 = ?", 1, 2) == [row(1, 2, "a"), row(1, 2, "b")]
    assert q(base + "k = ? AND c1 = ? AND c2 = ?", 1, 2, "b") == [row(1, 2, "b")]
    assert q(base + "k = ? AND c1 IN (?, ?)", 4, 3, 0) == [row(4, 0, "a"), row(4, 0, "b"), row(4, 3, "a"), row(4, 3, "b")]
    assert q(base + "k = ? AND c1 = ? AND c2 IN (?, ?, ?)", 4, 1, "b", "zz", "a") == [row(4, 1, "a"), row(4, 1, "b")]
    assert q(base + "k = ? AND c1 > ?", 0, 2) == [row(0, 3, "a"), row(0, 3, "b")]
    assert q(base + "k = ? AND c1 >= ? AND c1 < ?", 0, 1, 3) == [row(0, c1, c2) for c1 in (1, 2) for c2 in C2]
    assert q(base + "k = ? AND c1 <= ?", 0, 0) == [row(0, 0, "a"), row(0, 0, "b")]
    assert q(base + "k = ? AND c1 = ? AND c2 > ?", 0, 1, "a") == [row(0, 1, "b")]
    assert q(base + "k = ? AND c1 = ? AND c2 >= ? AND c2 < ?", 0, 1, "a", "b") == [row(0, 1, "a")]
    assert q(base + "k = ? AND c1 > ? AND c1 < ?", 0, 2, 1) == []
    # multi-column relations on the clustering columns
    assert q(base + "k = ? AND (c1, c2) > (?, ?)", 0, 2, "a") == [row(0, 2, "b"), row(0, 3, "a"), row(0, 3, "b")]
    assert q(base + "k = ? AND (c1, c2) >= (?, ?) AND (c1, c2) <= (?, ?)", 0, 1, "b", 2, "a") == [
        row(0, 1, "b"), row(0, 2, "a")]
    assert q(base + "k = ? AND (c1, c2) = (?, ?)", 3, 3, "a") == [row(3, 3, "a")]
    assert q(base + "k = ? AND (c1, c2) IN ((?, ?), (?, ?))", 3, 3, "b", 0, "a") == [row(3, 0, "a"), row(3, 3, "b")]
    assert q(base + "k = ? AND (c1) > (?)", 1, 2) == [row(1, 3, "a"), row(1, 3, "b")]


def test_partition_in_order(session, data):
    # IN on the partition key: each partition once (Cassandra de-duplicates
    # the keys); compared as a set of rows since the server may order them.
    ks = data
    got = [tuple(r) for r in session.execute("SELECT k, c1, c2, v FROM %s.t WHERE k IN (3, 0, 3)" % ks)]
    assert sorted(got) == sorted(part(0) + part(3))
    assert len(got) == 16


@pytest.mark.parametrize("mode", MODES)
def test_order_by(session, data, mode):
    ks, q = data, Q(session, mode)
    base = "SELECT k, c1, c2, v FROM %s.t WHERE " % ks
    assert q(base + "k = ? ORDER BY c1 DESC", 1) == part(1)[::-1]
    assert q(base + "k = ? ORDER BY c1 DESC, c2 DESC", 1) == part(1)[::-1]
    assert q(base + "k = ? ORDER BY c1 ASC", 1) == part(1)
    assert q(base + "k = ? AND c1 >= ? ORDER BY c1 DESC LIMIT 3", 1, 1) == part(1)[::-1][:3]
    assert q(base + "k = ? AND c1 IN (?, ?) ORDER BY c1 DESC", 1, 0, 2) == [
        row(1, 2, "b"), row(1, 2, "a"), row(1, 0, "b"), row(1, 0, "a")]
    # IN on the partition key with ORDER BY needs paging off; rows are then
    # sorted across partitions on the ORDER BY columns (only those: ties
    # keep no particular order here)
    got = q(base + "k IN (?, ?) ORDER BY c1 DESC", 0, 1, fetch_size=None)
    assert [r[1] for r in got] == [3] * 4 + [2] * 4 + [1] * 4 + [0] * 4
    assert sorted(got) == sorted(part(0) + part(1))


def test_clustering_order_desc_table(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, d text, PRIMARY KEY (k, c, d)) "
                    "WITH CLUSTERING ORDER BY (c DESC, d ASC)" % ks)
    for c in range(3):
        for d in "xy":
            session.execute("INSERT INTO %s.t (k, c, d) VALUES (0, %d, '%s')" % (ks, c, d))
    q = "SELECT c, d FROM %s.t WHERE k = 0" % ks
    natural = [(2, "x"), (2, "y"), (1, "x"), (1, "y"), (0, "x"), (0, "y")]
    assert [tuple(r) for r in session.execute(q)] == natural
    assert [tuple(r) for r in session.execute(q + " ORDER BY c ASC")] == natural[::-1]
    assert [tuple(r) for r in session.execute(q + " ORDER BY c DESC, d ASC")] == natural
    assert [tuple(r) for r in session.execute(q + " AND c > 0")] == natural[:4]
    # reversing a (c DESC, d ASC) table reverses d too
    assert [tuple(r) for r in session.execute(q + " AND c < 2 ORDER BY c ASC LIMIT 3")] == [(0, "y"), (0, "x"), (1, "y")]


@pytest.mark.parametrize("mode", MODES)
def test_limits_and_distinct(session, data, mode):
    ks, q = data, Q(session, mode)
    in_token_order = sorted(range(5), key=token)
    assert q("SELECT k, c1, c2, v FROM %s.t WHERE k = ? LIMIT ?" % ks, 2, 3) == part(2)[:3]
    assert q("SELECT k, c1, c2, v FROM %s.t LIMIT 3" % ks) == part(in_token_order[0])[:3]
    assert q("SELECT k, c1, c2, v FROM %s.t PER PARTITION LIMIT 2" % ks) == [
        r for k in in_token_order for r in part(k)[:2]]
    assert q("SELECT k, c1, c2, v FROM %s.t PER PARTITION LIMIT 1 LIMIT 3" % ks) == [
        part(k)[0] for k in in_token_order[:3]]
    assert q("SELECT k, c1, c2, v FROM %s.t WHERE k IN (?, ?) PER PARTITION LIMIT ?" % ks, 1, 4, 1) == [
        part(1)[0], part(4)[0]]
    assert q("SELECT DISTINCT k FROM %s.t" % ks) == [(k,) for k in in_token_order]
    assert q("SELECT DISTINCT k, s FROM %s.t" % ks) == [(k, "s%d" % k) for k in in_token_order]
    assert q("SELECT DISTINCT k FROM %s.t LIMIT 2" % ks) == [(k,) for k in in_token_order[:2]]
    assert q("SELECT DISTINCT k, s FROM %s.t WHERE k = ?" % ks, 3) == [(3, "s3")]
    assert q("SELECT count(*) FROM %s.t" % ks) == [(40,)]
    assert q("SELECT count(*) FROM %s.t WHERE k = ? AND c1 > ?" % ks, 0, 1) == [(4,)]
    assert q("SELECT COUNT(1) FROM %s.t WHERE k = ?" % ks, 9) == [(0,)]


def test_select_columns_aliases_functions(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, v int, w text, PRIMARY KEY (k, c))" % ks)
    session.execute("INSERT INTO %s.t (k, c, v, w) VALUES (1, 2, 3, 'x') USING TIMESTAMP 1000 AND TTL 5000" % ks)
    session.execute("INSERT INTO %s.t (k, c, v) VALUES (1, 3, 4) USING TIMESTAMP 2000" % ks)
    rs = session.execute("SELECT * FROM %s.t WHERE k = 1" % ks)
    assert rs.column_names == ["k", "c", "v", "w"]
    assert [tuple(r) for r in rs] == [(1, 2, 3, "x"), (1, 3, 4, None)]
    rs = session.execute("SELECT w, k AS key, v AS \"Value\" FROM %s.t WHERE k = 1 AND c = 2" % ks)
    assert rs.column_names == ["w", "key", "Value"]
    assert tuple(rs.one()) == ("x", 1, 3)
    r = session.execute("SELECT writetime(v), ttl(v), writetime(w), ttl(w) FROM %s.t WHERE k = 1" % ks).all()
    assert r[0][0] == 1000 and 4990 <= r[0][1] <= 5000 and r[0][2] == 1000
    assert tuple(r[1]) == (2000, None, None, None)
    rs = session.execute("SELECT token(k), k FROM %s.t WHERE k = 1 LIMIT 1" % ks)
    assert rs.column_names[0] == "system.token(k)"
    assert tuple(rs.one()) == (token(1), 1)
    with pytest.raises(InvalidRequest) as ei:
        session.execute("SELECT writetime(k) FROM %s.t" % ks)
    # 4.1 spells it "writeTime", 5.0 "writetime" (Selectable.WritetimeOrTTL.Kind)
    assert server_message(ei.value) in ("Cannot use selection function writeTime on PRIMARY KEY part k",
                                        "Cannot use selection function writetime on PRIMARY KEY part k")
    expect_invalid(session, "SELECT ttl(c) FROM %s.t" % ks, "Cannot use selection function ttl on PRIMARY KEY part c")


def test_full_scan_in_token_order(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    ins = session.prepare("INSERT INTO %s.t (k, v) VALUES (?, ?)" % ks)
    ks_list = list(range(-300, 300, 3))
    for k in ks_list:
        session.execute(ins, (k, -k))
    got = [(r.k, r.v, r[2]) for r in session.execute("SELECT k, v, token(k) FROM %s.t" % ks)]
    expected = sorted(((k, -k, token(k)) for k in ks_list), key=lambda x: x[2])
    assert got == expected


def test_text_key_token_order(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k text, c int, PRIMARY KEY (k, c))" % ks)
    keys = ["a", "b", "ab", "ünï", "x" * 100, "key-%d" % 17, "🎉"]  # "" is not a valid key
    for i, k in enumerate(keys):
        session.execute("INSERT INTO %s.t (k, c) VALUES (%%s, %%s)" % ks, (k, i))
    got = [r.k for r in session.execute("SELECT k FROM %s.t" % ks)]
    assert got == sorted(keys, key=lambda k: murmur3(k.encode()))


@pytest.mark.parametrize("mode", MODES)
def test_token_ranges(session, unique_keyspace, mode):
    ks, q = unique_keyspace, Q(session, mode)
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    ins = session.prepare("INSERT INTO %s.t (k, v) VALUES (?, ?)" % ks)
    for k in range(100):
        session.execute(ins, (k, k))
    by_token = sorted(range(100), key=token)
    lo, hi = token(by_token[20]), token(by_token[60])
    assert q("SELECT k FROM %s.t WHERE token(k) > ? AND token(k) <= ?" % ks, lo, hi) == [(k,) for k in by_token[21:61]]
    assert q("SELECT k FROM %s.t WHERE token(k) >= ? AND token(k) < ?" % ks, lo, hi) == [(k,) for k in by_token[20:60]]
    assert q("SELECT k FROM %s.t WHERE token(k) > ?" % ks, hi) == [(k,) for k in by_token[61:]]
    assert q("SELECT k FROM %s.t WHERE token(k) <= ?" % ks, lo) == [(k,) for k in by_token[:21]]
    assert q("SELECT k FROM %s.t WHERE token(k) > ?" % ks, -2 ** 63) == [(k,) for k in by_token]
    assert q("SELECT k FROM %s.t WHERE token(k) = ?" % ks, lo) == [(by_token[20],)]
    assert q("SELECT k FROM %s.t WHERE token(k) > token(?) LIMIT 2" % ks, by_token[50]) == [
        (by_token[51],), (by_token[52],)]


def test_allow_filtering(session, data):
    ks = data
    expect_invalid(session, "SELECT * FROM %s.t WHERE v = 101" % ks, ALLOW_FILTERING)
    got = [tuple(r) for r in session.execute("SELECT k, c1, c2, v FROM %s.t WHERE v = 101 ALLOW FILTERING" % ks)]
    assert got == [row(1, 0, "b")]
    got = [tuple(r) for r in session.execute("SELECT k, c1, c2, v FROM %s.t WHERE k = 2 AND v > 225 ALLOW FILTERING"
                                             % ks)]
    assert got == [row(2, 3, "a"), row(2, 3, "b")]
    expect_invalid(session, "SELECT * FROM %s.t WHERE c1 = 1" % ks, ALLOW_FILTERING)
    got = [tuple(r) for r in session.execute("SELECT k, c1, c2, v FROM %s.t WHERE c1 = 3 AND c2 = 'b' ALLOW FILTERING"
                                             % ks)]
    assert sorted(got) == [row(k, 3, "b") for k in range(5)]
    expect_invalid(session, "SELECT * FROM %s.t WHERE k > 1" % ks, ALLOW_FILTERING)


REJECTED = [
    ("skip_clustering", "SELECT * FROM {ks}.t WHERE k = 0 AND c2 = 'a'",
     'PRIMARY KEY column "c2" cannot be restricted as preceding column "c1" is not restricted'),
    ("after_slice", "SELECT * FROM {ks}.t WHERE k = 0 AND c1 > 0 AND c2 = 'a'",
     'Clustering column "c2" cannot be restricted (preceding column "c1" is restricted by a non-EQ relation)'),
    ("order_by_regular", "SELECT * FROM {ks}.t WHERE k = 0 ORDER BY v DESC",
     "Order by is currently only supported on the clustered columns of the PRIMARY KEY, got v"),
    ("order_by_skips", "SELECT * FROM {ks}.t WHERE k = 0 ORDER BY c2 DESC",
     "Order by currently only support the ordering of columns following their declared order in the PRIMARY KEY"),
    ("order_by_unrestricted", "SELECT * FROM {ks}.t ORDER BY c1 DESC",
     "ORDER BY is only supported when the partition key is restricted by an EQ or an IN."),
    ("order_by_in_paged", "SELECT * FROM {ks}.t WHERE k IN (0, 1) ORDER BY c1 DESC",
     "Cannot page queries with both ORDER BY and a IN restriction on the partition key; you must either remove "
     "the ORDER BY or the IN and sort client side, or disable paging for this query"),
    ("distinct_clustering", "SELECT DISTINCT k, c1 FROM {ks}.t",
     "SELECT DISTINCT queries must only request partition key columns and/or static columns (not c1)"),
    ("limit_zero", "SELECT * FROM {ks}.t LIMIT 0", "LIMIT must be strictly positive"),
    ("per_partition_limit_zero", "SELECT * FROM {ks}.t PER PARTITION LIMIT 0",
     "PER PARTITION LIMIT must be strictly positive"),
    ("eq_twice", "SELECT * FROM {ks}.t WHERE k = 0 AND c1 = 1 AND c1 = 2",
     "c1 cannot be restricted by more than one relation if it includes an Equal"),
    ("two_start_bounds", "SELECT * FROM {ks}.t WHERE k = 0 AND c1 > 1 AND c1 > 2",
     "More than one restriction was found for the start bound on c1"),
    ("missing_keyspace", "SELECT * FROM {ks}_nope.t", "keyspace {ks}_nope does not exist"),
    ("missing_table", "SELECT * FROM {ks}.nope", "table nope does not exist"),
]


@pytest.mark.parametrize("query,message", [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED])
def test_rejected(session, data, query, message):
    expect_invalid(session, query.format(ks=data), message.format(ks=data))


def test_unknown_column(session, data):
    with pytest.raises(InvalidRequest) as ei:
        session.execute("SELECT nope FROM %s.t" % data)
    # 4.1 appends " in table <ks>.t"
    assert server_message(ei.value).startswith("Undefined column name nope")


def test_bind_markers_in_collection_filters(session, unique_keyspace):
    """CONTAINS ?, CONTAINS KEY ?, m[?] = ? prepare with Cassandra's receivers
    (key(m), value(m)) and filter like their literal forms."""
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.m (k int PRIMARY KEY, m map<text, int>, st set<int>, l list<text>)" % ks)
    session.execute("INSERT INTO %s.m (k, m, st, l) VALUES (1, {'a': 1, 'b': 2}, {5, 6}, ['x'])" % ks)
    session.execute("INSERT INTO %s.m (k, m, st, l) VALUES (2, {'c': 3}, {7}, ['y'])" % ks)
    cases = [
        ("m CONTAINS ?", [2], [("value(m)", "int")], [(1,)]),
        ("m CONTAINS KEY ?", ["c"], [("key(m)", "varchar")], [(2,)]),
        ("m[?] = ?", ["a", 1], [("key(m)", "varchar"), ("value(m)", "int")], [(1,)]),
        ("m[?] = ?", ["a", 2], [("key(m)", "varchar"), ("value(m)", "int")], []),
        ("st CONTAINS ?", [7], [("value(st)", "int")], [(2,)]),
        ("l CONTAINS ?", ["x"], [("value(l)", "varchar")], [(1,)]),
    ]
    for rel, args, spec, rows in cases:
        stmt = session.prepare("SELECT k FROM %s.m WHERE %s ALLOW FILTERING" % (ks, rel))
        assert [(c.name, c.type.typename) for c in stmt.column_metadata] == spec
        assert [tuple(r) for r in session.execute(stmt, args)] == rows
