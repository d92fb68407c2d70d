"""Keyspace DDL: CREATE/ALTER/DROP KEYSPACE, USE, system_schema.keyspaces,
driver metadata, Cassandra's error classes and messages, persistence across
a restart, and SCHEMA_CHANGE events reaching another client."""

import pytest
from cassandra import AlreadyExists, InvalidRequest
from cassandra.protocol import ConfigurationException

from ringdb_testlib import server_message, ERR_ALREADY_EXISTS, OP_ERROR, OP_RESULT, RESULT_SET_KEYSPACE, Reader, wait_until

SIMPLE = "org.apache.cassandra.locator.SimpleStrategy"
NTS = "org.apache.cassandra.locator.NetworkTopologyStrategy"


def schema_row(session, name):
    return session.execute(
        "SELECT keyspace_name, durable_writes, replication FROM system_schema.keyspaces "
        "WHERE keyspace_name = %s", [name]).one()


def name_message(name):
    return ("Keyspace name must not be empty, more than 48 characters long, or contain "
            "non-alphanumeric-underscore characters (got '%s')" % name)


def test_create_simple_strategy(session, cluster, keyspace_name):
    ks = keyspace_name()
    try:
        session.execute("CREATE KEYSPACE %s WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
        row = schema_row(session, ks)
        assert row is not None
        assert dict(row.replication) == {"class": SIMPLE, "replication_factor": "1"}
        assert row.durable_writes is True
        meta = cluster.metadata.keyspaces[ks]
        assert meta.durable_writes is True
        assert meta.replication_strategy.replication_factor == 1
        assert type(meta.replication_strategy).__name__ == "SimpleStrategy"
    finally:
        session.execute("DROP KEYSPACE IF EXISTS %s" % ks)


def test_create_full_class_name(session, keyspace_name):
    ks = keyspace_name()
    try:
        session.execute("CREATE KEYSPACE %s WITH replication = {'class': '%s', "
                        "'replication_factor': '2'}" % (ks, SIMPLE))
        assert dict(schema_row(session, ks).replication) == {"class": SIMPLE, "replication_factor": "2"}
    finally:
        session.execute("DROP KEYSPACE IF EXISTS %s" % ks)


def test_create_network_topology_strategy(session, cluster, keyspace_name):
    ks = keyspace_name()
    try:
        session.execute("CREATE KEYSPACE %s WITH replication = "
                        "{'class': 'NetworkTopologyStrategy', 'datacenter1': 2}" % ks)
        assert dict(schema_row(session, ks).replication) == {"class": NTS, "datacenter1": "2"}
        strat = cluster.metadata.keyspaces[ks].replication_strategy
        assert type(strat).__name__ == "NetworkTopologyStrategy"
        assert strat.dc_replication_factors == {"datacenter1": 2}
    finally:
        session.execute("DROP KEYSPACE IF EXISTS %s" % ks)


def test_nts_replication_factor_shorthand(session, keyspace_name):
    # Cassandra 4.0+ expands 'replication_factor' to every known datacenter.
    ks = keyspace_name()
    try:
        session.execute("CREATE KEYSPACE %s WITH replication = "
                        "{'class': 'NetworkTopologyStrategy', 'replication_factor': 3}" % ks)
        assert dict(schema_row(session, ks).replication) == {"class": NTS, "datacenter1": "3"}
    finally:
        session.execute("DROP KEYSPACE IF EXISTS %s" % ks)


def test_create_if_not_exists(session, keyspace_name):
    ks = keyspace_name()
    try:
        q = ("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = "
             "{'class': 'SimpleStrategy', 'replication_factor': %d}")
        session.execute(q % (ks, 1))
        session.execute(q % (ks, 3))  # no error, no change
        assert dict(schema_row(session, ks).replication) == {"class": SIMPLE, "replication_factor": "1"}
    finally:
        session.execute("DROP KEYSPACE IF EXISTS %s" % ks)


def test_durable_writes_false(session, cluster, keyspace_name):
    ks = keyspace_name()
    try:
        session.execute("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', "
                        "'replication_factor': 1} AND durable_writes = false" % ks)
        assert schema_row(session, ks).durable_writes is False
        assert cluster.metadata.keyspaces[ks].durable_writes is False
    finally:
        session.execute("DROP KEYSPACE IF EXISTS %s" % ks)


def test_alter_keyspace(session, cluster, unique_keyspace):
    ks = unique_keyspace
    session.execute("ALTER KEYSPACE %s WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 2}" % ks)
    assert dict(schema_row(session, ks).replication) == {"class": SIMPLE, "replication_factor": "2"}
    session.execute("ALTER KEYSPACE %s WITH durable_writes = false" % ks)
    row = schema_row(session, ks)
    assert row.durable_writes is False
    assert dict(row.replication) == {"class": SIMPLE, "replication_factor": "2"}
    session.execute("ALTER KEYSPACE %s WITH replication = "
                    "{'class': 'NetworkTopologyStrategy', 'datacenter1': 1} AND durable_writes = true" % ks)
    row = schema_row(session, ks)
    assert dict(row.replication) == {"class": NTS, "datacenter1": "1"}
    assert row.durable_writes is True
    assert cluster.metadata.keyspaces[ks].replication_strategy.dc_replication_factors == {"datacenter1": 1}


def test_alter_missing_keyspace(session, keyspace_name):
    ks = keyspace_name()
    with pytest.raises(InvalidRequest) as ei:
        session.execute("ALTER KEYSPACE %s WITH durable_writes = false" % ks)
    assert server_message(ei.value) == "Keyspace '%s' doesn't exist" % ks


def test_drop_keyspace(session, cluster, keyspace_name):
    ks = keyspace_name()
    session.execute("CREATE KEYSPACE %s WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
    assert ks in cluster.metadata.keyspaces
    session.execute("DROP KEYSPACE %s" % ks)
    assert schema_row(session, ks) is None
    assert ks not in cluster.metadata.keyspaces
    session.execute("DROP KEYSPACE IF EXISTS %s" % ks)  # no error


def test_drop_missing_keyspace(session, keyspace_name):
    ks = keyspace_name()
    with pytest.raises(InvalidRequest) as ei:
        session.execute("DROP KEYSPACE %s" % ks)
    assert server_message(ei.value) == "Keyspace '%s' doesn't exist" % ks


def test_create_existing_keyspace(session, raw, unique_keyspace):
    ks = unique_keyspace
    q = ("CREATE KEYSPACE %s WITH replication = "
         "{'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
    with pytest.raises(AlreadyExists) as ei:
        session.execute(q)
    assert ei.value.keyspace == ks
    assert not ei.value.table
    # The driver drops the server's message; check it on the wire.
    c = raw()
    f = c.query(q)
    assert f.opcode == OP_ERROR
    code, msg, rest = f.error()
    assert code == ERR_ALREADY_EXISTS
    assert msg == 'Cannot add existing keyspace "%s"' % ks
    r = Reader(rest)
    assert r.string() == ks
    assert r.string() == ""


REPLICATION_ERRORS = [
    ("{'replication_factor': 1}", ConfigurationException, "Missing replication strategy class"),
    ("{'class': 'Foo', 'replication_factor': 1}", ConfigurationException,
     "Unable to find replication strategy class 'org.apache.cassandra.locator.Foo'"),
    ("{'class': 'SimpleStrategy'}", ConfigurationException,
     "SimpleStrategy requires a replication_factor strategy option."),
    ("{'class': 'SimpleStrategy', 'replication_factor': 'abc'}", ConfigurationException,
     'For input string: "abc"'),
    ("{'class': 'SimpleStrategy', 'replication_factor': -1}", ConfigurationException,
     "Replication factor must be non-negative, found -1"),
    ("{'class': 'NetworkTopologyStrategy', 'datacenter1': 'x'}", ConfigurationException,
     'For input string: "x"'),
    ("{'class': 'SimpleStrategy', 'replication_factor': 1, 'foo': 2}", ConfigurationException,
     "Unrecognized strategy option {foo} passed to SimpleStrategy for keyspace {ks}"),
    ("{'class': 'NetworkTopologyStrategy', 'dc_nowhere': 1}", ConfigurationException,
     "Unrecognized strategy option {dc_nowhere} passed to NetworkTopologyStrategy for keyspace {ks}"),
    ("{'class': 'LocalStrategy'}", InvalidRequest,
     "Unable to use given strategy class: LocalStrategy is reserved for internal use."),
]


@pytest.mark.parametrize("replication,exc,message", REPLICATION_ERRORS,
                         ids=["no_class", "unknown_class", "simple_no_rf", "rf_not_number",
                              "rf_negative", "nts_rf_not_number", "simple_unknown_option",
                              "nts_unknown_dc", "local_strategy"])
def test_bad_replication(session, keyspace_name, replication, exc, message):
    ks = keyspace_name()
    with pytest.raises(exc) as ei:
        session.execute("CREATE KEYSPACE %s WITH replication = %s" % (ks, replication))
    assert type(ei.value) is exc
    # Cassandra 5.0 appends ". Expected options: [...]" to the unrecognized-option text.
    assert server_message(ei.value).startswith(message.replace("{ks}", ks)), server_message(ei.value)
    assert schema_row(session, ks) is None


def test_missing_replication_option(session, keyspace_name):
    ks = keyspace_name()
    with pytest.raises(InvalidRequest) as ei:
        session.execute("CREATE KEYSPACE %s WITH durable_writes = true" % ks)
    assert server_message(ei.value) == "Missing mandatory option 'replication'"


def test_quoted_name_keeps_case(session, cluster, keyspace_name):
    ks = keyspace_name().replace("ks_", "Ks_Mixed_", 1)[:48]
    try:
        session.execute('CREATE KEYSPACE "%s" WITH replication = '
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
        assert schema_row(session, ks) is not None
        assert schema_row(session, ks.lower()) is None
        assert ks in cluster.metadata.keyspaces
        with pytest.raises(InvalidRequest):  # unquoted = lower case = missing
            session.execute("DROP KEYSPACE %s" % ks)
        session.execute('DROP KEYSPACE "%s"' % ks)
        assert schema_row(session, ks) is None
    finally:
        session.execute('DROP KEYSPACE IF EXISTS "%s"' % ks)


def test_unquoted_name_is_lower_cased(session, keyspace_name):
    ks = keyspace_name()
    try:
        session.execute("CREATE KEYSPACE %s WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}" % ks.upper())
        assert schema_row(session, ks) is not None
        assert schema_row(session, ks.upper()) is None
    finally:
        session.execute("DROP KEYSPACE IF EXISTS %s" % ks)


def test_name_length_limit(session, keyspace_name):
    base = keyspace_name()
    ok = (base + "_" + "x" * 48)[:48]
    too_long = ok + "y"
    try:
        session.execute("CREATE KEYSPACE %s WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}" % ok)
        assert schema_row(session, ok) is not None
        with pytest.raises(InvalidRequest) as ei:
            session.execute("CREATE KEYSPACE %s WITH replication = "
                            "{'class': 'SimpleStrategy', 'replication_factor': 1}" % too_long)
        assert server_message(ei.value) == name_message(too_long)
    finally:
        session.execute("DROP KEYSPACE IF EXISTS %s" % ok)


@pytest.mark.parametrize("bad", ['"bad-name"', '"has space"', '"dot.ted"', '"café"'])
def test_invalid_name_characters(session, bad):
    with pytest.raises(InvalidRequest) as ei:
        session.execute("CREATE KEYSPACE %s WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}" % bad)
    assert server_message(ei.value) == name_message(bad[1:-1])


def test_use_keyspace(make_cluster, raw, unique_keyspace):
    ks = unique_keyspace
    s = make_cluster().connect()
    s.execute("USE %s" % ks)
    assert s.keyspace == ks
    s2 = make_cluster().connect(ks)
    assert s2.keyspace == ks
    assert s2.execute("SELECT key FROM system.local").one().key == "local"
    # On the wire: RESULT Set_keyspace carrying the name.
    c = raw()
    f = c.query("USE %s" % ks)
    assert f.opcode == OP_RESULT, f
    r = Reader(f.body)
    assert r.int() == RESULT_SET_KEYSPACE
    assert r.string() == ks


def test_use_quoted_keyspace(session, make_cluster, keyspace_name):
    ks = keyspace_name().replace("ks_", "Ks_Use_", 1)[:48]
    try:
        session.execute('CREATE KEYSPACE "%s" WITH replication = '
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
        s = make_cluster().connect()
        s.execute('USE "%s"' % ks)
        assert s.keyspace == ks
        with pytest.raises(InvalidRequest) as ei:
            s.execute("USE %s" % ks)
        assert server_message(ei.value) == "Keyspace '%s' does not exist" % ks.lower()
    finally:
        session.execute('DROP KEYSPACE IF EXISTS "%s"' % ks)


def test_use_missing_keyspace(make_cluster):
    s = make_cluster().connect()
    with pytest.raises(InvalidRequest) as ei:
        s.execute("USE missing")
    assert server_message(ei.value) == "Keyspace 'missing' does not exist"
    # the connection is still fine
    assert s.execute("SELECT key FROM system.local").one().key == "local"


def test_schema_survives_restart(private_server, make_cluster, keyspace_name):
    srv = private_server()
    names = {
        "simple": keyspace_name(),
        "nts": keyspace_name(),
        "quoted": keyspace_name().replace("ks_", "Ks_Q_", 1)[:48],
        "nodurable": keyspace_name(),
        "dropped": keyspace_name(),
    }
    c = make_cluster(host=srv.host, port=srv.port)
    s = c.connect()
    s.execute("CREATE KEYSPACE %s WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 1}" % names["simple"])
    s.execute("CREATE KEYSPACE %s WITH replication = "
              "{'class': 'NetworkTopologyStrategy', 'datacenter1': 3}" % names["nts"])
    s.execute('CREATE KEYSPACE "%s" WITH replication = '
              "{'class': 'SimpleStrategy', 'replication_factor': 2}" % names["quoted"])
    s.execute("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', "
              "'replication_factor': 1} AND durable_writes = false" % names["nodurable"])
    s.execute("CREATE KEYSPACE %s WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 1}" % names["dropped"])
    s.execute("ALTER KEYSPACE %s WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 3}" % names["simple"])
    s.execute("DROP KEYSPACE %s" % names["dropped"])

    def snapshot(sess):
        return {r.keyspace_name: (r.durable_writes, dict(r.replication))
                for r in sess.execute("SELECT keyspace_name, durable_writes, replication "
                                      "FROM system_schema.keyspaces")}

    before = snapshot(s)
    c.shutdown()
    assert before[names["simple"]] == (True, {"class": SIMPLE, "replication_factor": "3"})
    assert names["dropped"] not in before

    srv.restart()

    c2 = make_cluster(host=srv.host, port=srv.port)
    s2 = c2.connect()
    after = snapshot(s2)
    assert after == before
    assert after[names["nts"]] == (True, {"class": NTS, "datacenter1": "3"})
    assert after[names["quoted"]] == (True, {"class": SIMPLE, "replication_factor": "2"})
    assert after[names["nodurable"]] == (False, {"class": SIMPLE, "replication_factor": "1"})
    for n in ("simple", "nts", "quoted", "nodurable"):
        assert names[n] in c2.metadata.keyspaces
    assert names["dropped"] not in c2.metadata.keyspaces


def test_schema_change_reaches_other_client(session, make_cluster, keyspace_name):
    watcher = make_cluster(schema_event_refresh_window=0.05)
    watcher.connect()
    ks = keyspace_name()
    try:
        session.execute("CREATE KEYSPACE %s WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
        wait_until(lambda: ks in watcher.metadata.keyspaces, timeout=10,
                   what="keyspace %s in the second cluster's metadata" % ks)
        session.execute("ALTER KEYSPACE %s WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 2}" % ks)
        wait_until(lambda: watcher.metadata.keyspaces[ks].replication_strategy.replication_factor == 2,
                   timeout=10, what="ALTER seen by the second cluster")
        session.execute("DROP KEYSPACE %s" % ks)
        wait_until(lambda: ks not in watcher.metadata.keyspaces, timeout=10,
                   what="keyspace %s gone from the second cluster's metadata" % ks)
    finally:
        session.execute("DROP KEYSPACE IF EXISTS %s" % ks)
