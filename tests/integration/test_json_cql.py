"""SELECT JSON, INSERT JSON (DEFAULT NULL / DEFAULT UNSET, bound document),
toJson() and fromJson(), and their errors with Cassandra's messages
(cql3/Json.java, JsonTest.java). The per-type JSON text itself is covered by
tests/unit/test_json.c."""

import json

import pytest
from cassandra import InvalidRequest

from ringdb_testlib import server_message


@pytest.fixture
def jt(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, v int, d double, m map<text, int>, \"Cap\" text, "
                    "PRIMARY KEY (k, c))" % ks)
    return ks


def rows(session, q, *args):
    return [tuple(r) for r in session.execute(q, args or None)]


def expect_invalid(session, q, message):
    with pytest.raises(InvalidRequest) as ei:
        session.execute(q)
    assert server_message(ei.value) == message


def test_insert_json_and_select_json(session, jt):
    ks = jt
    session.execute("""INSERT INTO %s.t JSON '{"k": 1, "c": 2, "v": 3, "d": 1.5, "m": {"a": 1}, "\\"Cap\\"": "x"}'"""
                    % ks)
    assert rows(session, "SELECT k, c, v, d, m, \"Cap\" FROM %s.t" % ks) == [(1, 2, 3, 1.5, {"a": 1}, "x")]
    got = rows(session, "SELECT JSON k, c, v, \"Cap\", m FROM %s.t" % ks)
    assert got == [('{"k": 1, "c": 2, "v": 3, "\\"Cap\\"": "x", "m": {"a": 1}}',)]
    assert json.loads(got[0][0]) == {"k": 1, "c": 2, "v": 3, '"Cap"': "x", "m": {"a": 1}}
    rs = session.execute("SELECT JSON * FROM %s.t" % ks)
    assert rs.column_names == ["[json]"]
    assert json.loads(rs.one()[0])["d"] == 1.5
    # aggregates and aliases under SELECT JSON
    assert rows(session, "SELECT JSON count(*) AS n, max(v) FROM %s.t" % ks) == [('{"n": 1, "system.max(v)": 3}',)]


def test_default_null_and_unset(session, jt):
    ks = jt
    session.execute("""INSERT INTO %s.t JSON '{"k": 1, "c": 1, "v": 5, "d": 2.0}'""" % ks)
    session.execute("""INSERT INTO %s.t JSON '{"k": 1, "c": 1, "d": 3.0}' DEFAULT UNSET""" % ks)
    assert rows(session, "SELECT v, d FROM %s.t WHERE k = 1 AND c = 1" % ks) == [(5, 3.0)]
    session.execute("""INSERT INTO %s.t JSON '{"k": 1, "c": 1}'""" % ks)  # DEFAULT NULL
    assert rows(session, "SELECT v, d FROM %s.t WHERE k = 1 AND c = 1" % ks) == [(None, None)]


def test_bound_json_document(session, jt):
    ks = jt
    stmt = session.prepare("INSERT INTO %s.t JSON ?" % ks)
    assert [c.name for c in stmt.column_metadata] == ["[json]"]
    session.execute(stmt, ['{"k": 7, "c": 1, "v": 9}'])
    assert rows(session, "SELECT v FROM %s.t WHERE k = 7" % ks) == [(9,)]
    with pytest.raises(InvalidRequest) as ei:
        session.execute(stmt, [None])
    assert server_message(ei.value) == "Got null for INSERT JSON values"


def test_insert_json_errors(session, jt):
    ks = jt
    expect_invalid(session, """INSERT INTO %s.t JSON '{"k": 1, "c": 1, "zz": 3}'""" % ks,
                   "JSON values map contains unrecognized column: zz")
    expect_invalid(session, """INSERT INTO %s.t JSON '{"k": 1, "c": "x"}'""" % ks,
                   "Error decoding JSON value for c: Unable to make int from 'x'")
    expect_invalid(session, """INSERT INTO %s.t JSON '{"c": 1}'""" % ks,
                   "Invalid null value in condition for column k")
    expect_invalid(session, "INSERT INTO %s.t JSON 'null'" % ks, "Got null for INSERT JSON values")
    with pytest.raises(InvalidRequest) as ei:
        session.execute("INSERT INTO %s.t JSON 'nope'" % ks)
    assert server_message(ei.value).startswith("Could not decode JSON string as a map: ")


def test_to_json_and_from_json(session, jt):
    ks = jt
    session.execute("INSERT INTO %s.t (k, c, v, d, m) VALUES (1, 1, fromJson('4'), fromJson('2.5'), "
                    "fromJson('{\"b\": 2}'))" % ks)
    assert rows(session, "SELECT v, d, m FROM %s.t WHERE k = 1" % ks) == [(4, 2.5, {"b": 2})]
    rs = session.execute("SELECT toJson(m), toJson(v) FROM %s.t WHERE k = 1" % ks)
    assert rs.column_names == ["system.tojson(m)", "system.tojson(v)"]
    assert [tuple(r) for r in rs] == [('{"b": 2}', "4")]
    expect_invalid(session, "SELECT fromJson(v) FROM %s.t" % ks,
                   "fromJson() cannot be used in the selection clause of a SELECT statement")
    with pytest.raises(InvalidRequest) as ei:
        session.execute("INSERT INTO %s.t (k, c, v) VALUES (1, 2, fromJson('\"x\"'))" % ks)
    assert server_message(ei.value).startswith("Could not decode JSON string '\"x\"': ")
