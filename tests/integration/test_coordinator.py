"""The coordinator on one node: partitions spread over the shards (each
partition on the shard its token maps to), and consistency levels that
need more replicas than are alive answer Unavailable, as Cassandra does."""
import pytest
from cassandra import ConsistencyLevel, InvalidRequest, Unavailable
from cassandra.policies import FallthroughRetryPolicy
from cassandra.query import SimpleStatement

from ringdb_testlib import server_message


def test_rows_spread_over_shards(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v text)" % ks)
    ins = session.prepare("INSERT INTO %s.t (k, v) VALUES (?, ?)" % ks)
    futures = [session.execute_async(ins, (k, "v%d" % k)) for k in range(1000)]
    for f in futures:
        f.result()
    rows = list(session.execute(
        "SELECT shard, partitions FROM system_views.shard_tables WHERE keyspace_name = %s "
        "AND table_name = 't'", [ks]))
    shards = {r.shard: r.partitions for r in rows}
    n_shards = len({r.shard for r in session.execute("SELECT shard FROM system_views.clients")})
    if max(shards) == 0 and n_shards < 2:
        pytest.skip("server runs one shard")
    assert sum(shards.values()) == 1000
    assert len([s for s, n in shards.items() if n > 0]) >= 2, shards
    # every row is readable whatever shard the connection landed on
    assert session.execute("SELECT count(*) FROM %s.t" % ks).one().count == 1000
    for k in (0, 1, 499, 999):
        assert session.execute("SELECT v FROM %s.t WHERE k = %d" % (ks, k)).one().v == "v%d" % k


@pytest.fixture
def rf3(session, keyspace_name):
    ks = keyspace_name()
    session.execute("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', "
                    "'replication_factor': 3}" % ks)
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    yield ks
    session.execute("DROP KEYSPACE %s" % ks)


def run(session, q, cl):
    # fall through: the default policy retries Unavailable on another host
    # and reports NoHostAvailable when there is none
    return session.execute(SimpleStatement(q, consistency_level=cl,
                                           retry_policy=FallthroughRetryPolicy()))


def test_unavailable_when_replicas_missing(session, rf3):
    ks = rf3
    # one node alive, RF 3: ONE works, QUORUM (2) and ALL (3) cannot
    run(session, "INSERT INTO %s.t (k, v) VALUES (1, 1)" % ks, ConsistencyLevel.ONE)
    assert run(session, "SELECT v FROM %s.t WHERE k = 1" % ks, ConsistencyLevel.ONE).one().v == 1
    for cl, required in ((ConsistencyLevel.QUORUM, 2), (ConsistencyLevel.ALL, 3),
                         (ConsistencyLevel.TWO, 2), (ConsistencyLevel.LOCAL_QUORUM, 2)):
        with pytest.raises(Unavailable) as ei:
            run(session, "INSERT INTO %s.t (k, v) VALUES (2, 2)" % ks, cl)
        assert ei.value.required_replicas == required
        assert ei.value.alive_replicas == 1
        assert ei.value.consistency == cl
        with pytest.raises(Unavailable):
            run(session, "SELECT v FROM %s.t WHERE k = 1" % ks, cl)
    # nothing was written by the refused statements
    assert run(session, "SELECT v FROM %s.t WHERE k = 2" % ks, ConsistencyLevel.ONE).one() is None


def test_invalid_consistency_for_operation(session, rf3):
    ks = rf3
    with pytest.raises(InvalidRequest) as ei:
        run(session, "SELECT v FROM %s.t WHERE k = 1" % ks, ConsistencyLevel.ANY)
    assert server_message(ei.value) == "ANY ConsistencyLevel is only supported for writes"
    with pytest.raises(InvalidRequest) as ei:
        run(session, "SELECT v FROM %s.t WHERE k = 1" % ks, ConsistencyLevel.EACH_QUORUM)
    assert server_message(ei.value) == "EACH_QUORUM ConsistencyLevel is only supported for writes"
    with pytest.raises(InvalidRequest) as ei:
        run(session, "INSERT INTO %s.t (k, v) VALUES (3, 3)" % ks, ConsistencyLevel.SERIAL)
    assert server_message(ei.value) == "You must use conditional updates for serializable writes"
    # ANY accepts a write even when no replica could take it
    run(session, "INSERT INTO %s.t (k, v) VALUES (4, 4)" % ks, ConsistencyLevel.ANY)


def test_rf1_quorum_works(session, unique_keyspace):
    ks = unique_keyspace  # SimpleStrategy RF 1
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    run(session, "INSERT INTO %s.t (k, v) VALUES (1, 1)" % ks, ConsistencyLevel.QUORUM)
    assert run(session, "SELECT v FROM %s.t WHERE k = 1" % ks, ConsistencyLevel.ALL).one().v == 1
