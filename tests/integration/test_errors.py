"""Error classes and messages the driver sees, statements the server does
not implement yet, prepared statements (ids, Unprepared, re-prepare)."""

import hashlib
import re
import os

import pytest
from cassandra import InvalidRequest, OperationTimedOut
from cassandra.cluster import NoHostAvailable
from cassandra.policies import ConstantReconnectionPolicy
from cassandra.protocol import ServerError, SyntaxException

from ringdb_testlib import (server_message, ERR_UNPREPARED, OP_ERROR, OP_EXECUTE, OP_RESULT, Reader,
                            execute_body, wait_until)

SYNTAX_ERRORS = [
    "SELEC * FROM system.local",
    "SELECT * FROM",
    "SELECT * FROM system.local WHERE",
    "CREATE KEYSPACE",
    "DROP KEYSPACE IF ks",
    "SELECT * FROM system.local LIMIT",
    "CREATE KEYSPACE k WITH replication = {'class': 'SimpleStrategy'",
    "SELECT * FROM system.local WHERE key = 'unterminated",
]


@pytest.mark.parametrize("query", SYNTAX_ERRORS)
def test_syntax_error(session, query):
    with pytest.raises(SyntaxException) as ei:
        session.execute(query)
    # Cassandra reports errors at end of input as "line 0:-1" (its EOF token
    # has no position); others as "line L:C"
    assert re.match(r"line (1:\d+|0:-1) ", server_message(ei.value)), server_message(ei.value)


def test_unknown_table(session):
    with pytest.raises(InvalidRequest):
        session.execute("SELECT * FROM system.no_such_table")


def test_unknown_keyspace_in_table_name(session):
    with pytest.raises(InvalidRequest):
        session.execute("SELECT * FROM no_such_keyspace_xyz.t")


def test_unknown_column(session):
    with pytest.raises(InvalidRequest):
        session.execute("SELECT no_such_column FROM system.local")


# Valid CQL the server may not implement yet: it must answer (result or
# InvalidRequest), never drop the connection or let the request time out.
MAYBE_UNSUPPORTED = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, v text)",
    "CREATE TABLE IF NOT EXISTS {ks}.t2 (a int, b int, c text, PRIMARY KEY ((a), b)) "
    "WITH CLUSTERING ORDER BY (b DESC) AND comment = 'x'",
    "INSERT INTO {ks}.t (k, v) VALUES (1, 'one')",
    "INSERT INTO {ks}.t (k, v) VALUES (2, 'two') USING TTL 100",
    "UPDATE {ks}.t SET v = 'uno' WHERE k = 1",
    "SELECT * FROM {ks}.t WHERE k = 1",
    "SELECT count(*) FROM {ks}.t",
    "SELECT k, writetime(v) FROM {ks}.t",
    "DELETE FROM {ks}.t WHERE k = 2",
    "BEGIN BATCH INSERT INTO {ks}.t (k, v) VALUES (3, 'c'); "
    "INSERT INTO {ks}.t (k, v) VALUES (4, 'd'); APPLY BATCH",
    "INSERT INTO {ks}.t (k, v) VALUES (5, 'e') IF NOT EXISTS",
    "CREATE TYPE {ks}.addr (street text, zip int)",
    "CREATE INDEX ON {ks}.t (v)",
    "ALTER TABLE {ks}.t ADD w int",
    "TRUNCATE {ks}.t",
    "SELECT * FROM system_schema.tables WHERE keyspace_name = '{ks}'",
    "SELECT * FROM system_schema.columns WHERE keyspace_name = '{ks}'",
    "DESCRIBE KEYSPACES",
    "DROP INDEX IF EXISTS {ks}.t_v_idx",
    "DROP TABLE {ks}.t",
]


def test_unsupported_statements_answer(make_cluster, unique_keyspace):
    s = make_cluster().connect()
    answers = []
    for q in MAYBE_UNSUPPORTED:
        q = q.format(ks=unique_keyspace)
        try:
            s.execute(q, timeout=20)
            answers.append((q, "ok"))
        except InvalidRequest as e:
            answers.append((q, "InvalidRequest: %s" % server_message(e)))
        except (OperationTimedOut, NoHostAvailable, ServerError) as e:
            pytest.fail("%r: %s: %s (answers so far: %r)" % (q, type(e).__name__, e, answers))
        # the connection survived
        assert s.execute("SELECT key FROM system.local", timeout=20).one().key == "local", q
    print("\n".join("%s -> %s" % a for a in answers))


def md5(b):
    return hashlib.md5(b).digest()


def test_prepare_and_execute(session):
    q = "SELECT * FROM system.local WHERE key = ?"
    ps = session.prepare(q)
    assert ps.query_id == md5(q.encode())
    assert len(ps.column_metadata) == 1  # the bind marker
    row = session.execute(ps, ["local"]).one()
    assert row.key == "local"
    assert session.execute(ps, ["nope"]).one() is None


def test_prepared_id_with_keyspace(make_cluster):
    # Cassandra 4.0.2+ (CASSANDRA-15252): a fully qualified query hashes
    # alone; an unqualified one hashes with the session keyspace in front.
    s = make_cluster().connect("system")
    q1 = "SELECT key FROM local WHERE key = ?"
    ps1 = s.prepare(q1)
    assert ps1.query_id == md5(b"system" + q1.encode())
    assert s.execute(ps1, ["local"]).one().key == "local"
    q2 = "SELECT key, cluster_name FROM system.local WHERE key = ?"
    ps2 = s.prepare(q2)
    assert ps2.query_id == md5(q2.encode())
    assert s.execute(ps2, ["local"]).one().key == "local"


@pytest.mark.parametrize("version", [4, 5])
def test_execute_unknown_id_is_unprepared(raw, version):
    c = raw(version=version)
    qid = os.urandom(16)
    f = c.request(OP_EXECUTE, execute_body(qid, version=version, result_metadata_id=os.urandom(16)),
                  stream=7)
    assert f.opcode == OP_ERROR, f
    code, msg, rest = f.error()
    assert code == ERR_UNPREPARED, (hex(code), msg)
    assert Reader(rest).short_bytes() == qid
    # the connection carries on
    assert c.query_ok("SELECT key FROM system.local", stream=8).opcode == OP_RESULT


def test_reprepare_after_restart(private_server, make_cluster):
    srv = private_server()
    c = make_cluster(host=srv.host, port=srv.port, protocol_version=4,
                     reconnection_policy=ConstantReconnectionPolicy(0.2, None))
    s = c.connect()
    ps = s.prepare("SELECT key, release_version FROM system.local WHERE key = ?")
    assert s.execute(ps, ["local"]).one().key == "local"
    srv.restart()

    def works():
        try:
            return s.execute(ps, ["local"], timeout=10).one().key == "local"
        except (NoHostAvailable, OperationTimedOut, ConnectionError):
            return False

    wait_until(works, timeout=30, interval=0.2, what="prepared statement to work after restart")
    for _ in range(3):
        assert s.execute(ps, ["local"]).one().key == "local"
