"""TTL and write timestamps: USING TTL / USING TIMESTAMP as literals and bind
markers, default_time_to_live, expiry of rows, cells and collection
elements, ttl()/writetime() values, UPDATE with a TTL on some cells only,
USING TTL 0 (no TTL, even over a table default), and the rejected forms.

Reference: Apache Cassandra 4.1/5.0 (cql3/Attributes, db/LivenessInfo,
schema/TableParams.validate) and
test/unit/org/apache/cassandra/cql3/validation/operations/TTLTest.java.
"""

import time

import pytest
from cassandra import InvalidRequest
from cassandra.protocol import ConfigurationException

from ringdb_testlib import server_message, wait_until

MODES = ["unprepared", "prepared"]
MAX_TTL = 20 * 365 * 24 * 60 * 60  # 630720000, Attributes.MAX_TTL


def one(session, query):
    r = session.execute(query).one()
    return None if r is None else tuple(r)


def run(session, mode, query, values):
    """query has %s where a literal or a bind marker goes."""
    if mode == "prepared":
        return session.execute(session.prepare(query % tuple("?" for _ in values)), values)
    return session.execute(query % tuple("null" if v is None else str(v) for v in values))


@pytest.mark.parametrize("mode", MODES)
def test_using_ttl_and_timestamp(session, unique_keyspace, mode):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, a int, b int)" % ks)
    run(session, mode, "INSERT INTO " + ks + ".t (k, a) VALUES (%s, %s) USING TTL %s", (1, 10, 1000))
    run(session, mode, "INSERT INTO " + ks + ".t (k, a) VALUES (%s, %s) USING TIMESTAMP %s", (2, 20, 123456789))
    run(session, mode, "INSERT INTO " + ks + ".t (k, a) VALUES (%s, %s) USING TTL %s AND TIMESTAMP %s",
        (3, 30, 500, 42))
    run(session, mode, "INSERT INTO " + ks + ".t (k, a) VALUES (%s, %s) USING TIMESTAMP %s AND TTL %s",
        (4, 40, 43, 600))
    run(session, mode, "UPDATE " + ks + ".t USING TTL %s SET b = %s WHERE k = %s", (700, 5, 1))
    run(session, mode, "UPDATE " + ks + ".t USING TIMESTAMP %s AND TTL %s SET b = %s WHERE k = %s", (44, 800, 6, 2))
    a, ttl_a, b, ttl_b = one(session, "SELECT a, ttl(a), b, ttl(b) FROM %s.t WHERE k = 1" % ks)
    assert (a, b) == (10, 5)
    assert 990 <= ttl_a <= 1000 and 690 <= ttl_b <= 700
    assert one(session, "SELECT a, writetime(a), ttl(a) FROM %s.t WHERE k = 2" % ks) == (20, 123456789, None)
    assert one(session, "SELECT writetime(b), b FROM %s.t WHERE k = 2" % ks)[0] == 44
    w, t = one(session, "SELECT writetime(a), ttl(a) FROM %s.t WHERE k = 3" % ks)
    assert w == 42 and 490 <= t <= 500
    w, t = one(session, "SELECT writetime(a), ttl(a) FROM %s.t WHERE k = 4" % ks)
    assert w == 43 and 590 <= t <= 600
    # server-side timestamps are microseconds since the epoch, close to now
    session.execute("INSERT INTO %s.t (k, a) VALUES (5, 50)" % ks)
    w = one(session, "SELECT writetime(a) FROM %s.t WHERE k = 5" % ks)[0]
    assert abs(w - time.time() * 1e6) < 60e6


@pytest.mark.parametrize("mode", MODES)
def test_ttl_zero_and_null(session, unique_keyspace, mode):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    session.execute("CREATE TABLE %s.d (k int PRIMARY KEY, v int) WITH default_time_to_live = 1000" % ks)
    run(session, mode, "INSERT INTO " + ks + ".t (k, v) VALUES (%s, %s) USING TTL %s", (1, 1, 0))
    assert one(session, "SELECT v, ttl(v) FROM %s.t WHERE k = 1" % ks) == (1, None)
    # TTL 0 overrides the table default: no TTL at all
    run(session, mode, "INSERT INTO " + ks + ".d (k, v) VALUES (%s, %s) USING TTL %s", (1, 1, 0))
    assert one(session, "SELECT v, ttl(v) FROM %s.d WHERE k = 1" % ks) == (1, None)
    # no TTL given: the default applies
    run(session, mode, "INSERT INTO " + ks + ".d (k, v) VALUES (%s, %s)", (2, 2))
    v, t = one(session, "SELECT v, ttl(v) FROM %s.d WHERE k = 2" % ks)
    assert v == 2 and 990 <= t <= 1000
    if mode == "prepared":
        # a null TTL bind means "no TTL given"
        ps = session.prepare("INSERT INTO %s.d (k, v) VALUES (?, ?) USING TTL ?" % ks)
        session.execute(ps, (3, 3, None))
        v, t = one(session, "SELECT v, ttl(v) FROM %s.d WHERE k = 3" % ks)
        assert v == 3 and 990 <= t <= 1000
        session.execute(session.prepare("INSERT INTO %s.t (k, v) VALUES (?, ?) USING TTL ?" % ks), (3, 3, None))
        assert one(session, "SELECT v, ttl(v) FROM %s.t WHERE k = 3" % ks) == (3, None)


def test_ttl_on_some_cells_only(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, a int, b int, PRIMARY KEY (k, c))" % ks)
    session.execute("INSERT INTO %s.t (k, c, a, b) VALUES (1, 1, 1, 1)" % ks)
    session.execute("UPDATE %s.t USING TTL 300 SET a = 2 WHERE k = 1 AND c = 1" % ks)
    a, ta, b, tb = one(session, "SELECT a, ttl(a), b, ttl(b) FROM %s.t WHERE k = 1 AND c = 1" % ks)
    assert (a, b, tb) == (2, 1, None) and 290 <= ta <= 300
    # overwriting without TTL removes it
    session.execute("UPDATE %s.t SET a = 3 WHERE k = 1 AND c = 1" % ks)
    assert one(session, "SELECT a, ttl(a) FROM %s.t WHERE k = 1 AND c = 1" % ks) == (3, None)


def test_expiry(session, unique_keyspace):
    """Everything written with a TTL of 1 s is gone a little later; what was
    written without one stays. One wait covers every case."""
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, a int, b int, l list<int>, m map<int, int>, "
                    "PRIMARY KEY (k, c))" % ks)
    session.execute("CREATE TABLE %s.d (k int PRIMARY KEY, v int) WITH default_time_to_live = 1" % ks)
    ps = session.prepare("INSERT INTO %s.t (k, c, a) VALUES (?, ?, ?) USING TTL ?" % ks)
    # 1: a whole row inserted with a TTL disappears, row marker included
    session.execute(ps, (1, 1, 1, 1))
    # 2: a row inserted without TTL, one cell updated with TTL: the row stays
    session.execute("INSERT INTO %s.t (k, c, a, b) VALUES (2, 2, 2, 2)" % ks)
    session.execute("UPDATE %s.t USING TTL 1 SET a = 20 WHERE k = 2 AND c = 2" % ks)
    # 3: a row created by UPDATE with TTL only: gone with its cells
    session.execute("UPDATE %s.t USING TTL 1 SET b = 3 WHERE k = 3 AND c = 3" % ks)
    # 4: collection elements with their own TTL
    session.execute("INSERT INTO %s.t (k, c, l, m) VALUES (4, 4, [1], {1: 1})" % ks)
    session.execute("UPDATE %s.t USING TTL 1 SET l = l + [2], m[2] = 2 WHERE k = 4 AND c = 4" % ks)
    # 5: a row that outlives the others
    session.execute(ps, (5, 5, 5, 3600))
    # 6: the table default TTL
    session.execute("INSERT INTO %s.d (k, v) VALUES (1, 1)" % ks)
    session.execute("INSERT INTO %s.d (k, v) VALUES (2, 2) USING TTL 3600" % ks)

    assert one(session, "SELECT a FROM %s.t WHERE k = 1 AND c = 1" % ks) == (1,)
    assert one(session, "SELECT v FROM %s.d WHERE k = 1" % ks) == (1,)

    def expired():
        return (session.execute("SELECT * FROM %s.t WHERE k = 1" % ks).one() is None
                and session.execute("SELECT * FROM %s.d WHERE k = 1" % ks).one() is None
                and session.execute("SELECT * FROM %s.t WHERE k = 3" % ks).one() is None)

    time.sleep(1.0)
    wait_until(expired, timeout=5, interval=0.1, what="TTL 1 data to expire")
    assert one(session, "SELECT k, c, a, b FROM %s.t WHERE k = 2 AND c = 2" % ks) == (2, 2, None, 2)
    r = session.execute("SELECT l, m FROM %s.t WHERE k = 4 AND c = 4" % ks).one()
    assert (r.l, dict(r.m)) == ([1], {1: 1})
    assert one(session, "SELECT a FROM %s.t WHERE k = 5 AND c = 5" % ks) == (5,)
    assert one(session, "SELECT v FROM %s.d WHERE k = 2" % ks) == (2,)
    assert session.execute("SELECT count(*) FROM %s.t" % ks).one()[0] == 3
    assert [r.k for r in session.execute("SELECT k FROM %s.d" % ks)] == [2]


@pytest.mark.parametrize("mode", MODES)
def test_ttl_errors(session, unique_keyspace, mode):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    q = "INSERT INTO " + ks + ".t (k, v) VALUES (%s, %s) USING TTL %s"
    with pytest.raises(InvalidRequest) as ei:
        run(session, mode, q, (1, 1, -1))
    assert server_message(ei.value) == "A TTL must be greater or equal to 0, but was -1"
    with pytest.raises(InvalidRequest) as ei:
        run(session, mode, q, (1, 1, MAX_TTL + 1))
    assert server_message(ei.value) == "ttl is too large. requested (%d) maximum (%d)" % (MAX_TTL + 1, MAX_TTL)
    run(session, mode, q, (1, 1, MAX_TTL))
    v, t = one(session, "SELECT v, ttl(v) FROM %s.t WHERE k = 1" % ks)
    assert v == 1 and MAX_TTL - 10 <= t <= MAX_TTL


def test_counter_ttl_and_timestamp_rejected(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.c (k int PRIMARY KEY, n counter)" % ks)
    with pytest.raises(InvalidRequest) as ei:
        session.execute("UPDATE %s.c USING TTL 10 SET n = n + 1 WHERE k = 1" % ks)
    assert server_message(ei.value) == "Cannot provide custom TTL for counter updates"
    with pytest.raises(InvalidRequest) as ei:
        session.execute("UPDATE %s.c USING TIMESTAMP 10 SET n = n + 1 WHERE k = 1" % ks)
    assert server_message(ei.value) == "Cannot provide custom timestamp for counter updates"
    assert session.execute("SELECT * FROM %s.c" % ks).one() is None


def test_negative_default_ttl_rejected(session, unique_keyspace):
    ks = unique_keyspace
    with pytest.raises(ConfigurationException) as ei:
        session.execute("CREATE TABLE %s.t (k int PRIMARY KEY) WITH default_time_to_live = -1" % ks)
    assert server_message(ei.value) == "default_time_to_live must be greater than or equal to 0 (got -1)"
