"""CQL types end to end: every type's edge values round-trip through INSERT +
SELECT, as CQL literals (unprepared) and as bound values (prepared); null
values; empty collections; frozen and non-frozen collections, tuples,
user-defined types (nested, frozen in the primary key), vector<float, 3>;
and the rejected forms with Cassandra's exact error text.

Reference: Apache Cassandra 4.1/5.0 (serializers under
org/apache/cassandra/serializers, cql3/Constants.java) and the python
driver's decoding (cassandra/cqltypes.py, cassandra/util.py).
"""

import math
import struct
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from cassandra import InvalidRequest
from cassandra.util import Date, Duration, Time

from ringdb_testlib import server_message

MODES = ["unprepared", "prepared"]


def f32(x):
    """x rounded to a 32-bit float, as the driver decodes a float column."""
    return struct.unpack(">f", struct.pack(">f", x))[0]


def same(a, b):
    """Equality that also tells NaN, -0.0 and +0.0 apart. Timestamps are
    compared to the millisecond: the driver decodes them through a float
    number of seconds, which is off by some microseconds far from 1970."""
    if isinstance(a, datetime) and isinstance(b, datetime):
        return abs(a - b) < timedelta(microseconds=500)
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return a == b


def cql_str(s):
    return "'%s'" % s.replace("'", "''")


ALL_ASCII = "".join(chr(i) for i in range(1, 128))
ONE_MIB = bytes(range(256)) * 4096

# name -> (column type, [(CQL literal, bound value, expected value read back)])
CASES = {
    "ascii": ("ascii", [
        ("''", "", ""),
        ("'hello world'", "hello world", "hello world"),
        (cql_str("it's"), "it's", "it's"),
        (cql_str(ALL_ASCII), ALL_ASCII, ALL_ASCII),
    ]),
    "bigint": ("bigint", [
        ("-9223372036854775808", -2 ** 63, -2 ** 63),
        ("9223372036854775807", 2 ** 63 - 1, 2 ** 63 - 1),
        ("0", 0, 0),
        ("-1", -1, -1),
    ]),
    "blob": ("blob", [
        ("0x", b"", b""),
        ("0x00ff10", b"\x00\xff\x10", b"\x00\xff\x10"),
        ("0xDEADbeef", b"\xde\xad\xbe\xef", b"\xde\xad\xbe\xef"),
        ("0x" + ONE_MIB.hex(), ONE_MIB, ONE_MIB),
    ]),
    "boolean": ("boolean", [
        ("true", True, True),
        ("false", False, False),
        ("TRUE", True, True),
    ]),
    "date": ("date", [
        ("'1970-01-01'", Date(0), Date(0)),
        ("'2024-02-29'", Date("2024-02-29"), Date("2024-02-29")),
        ("'1900-01-01'", Date("1900-01-01"), Date("1900-01-01")),
        # raw unsigned day numbers, epoch at 2^31: the type's min and max
        ("'0'", Date(-2 ** 31), Date(-2 ** 31)),
        ("'4294967295'", Date(2 ** 31 - 1), Date(2 ** 31 - 1)),
    ]),
    "decimal": ("decimal", [
        ("0", Decimal("0"), Decimal("0")),
        ("1.5", Decimal("1.5"), Decimal("1.5")),
        ("-0.000000000000000000001234", Decimal("-0.000000000000000000001234"),
         Decimal("-1.234E-21")),
        ("123456789012345678901234567890.123456789",
         Decimal("123456789012345678901234567890.123456789"),
         Decimal("123456789012345678901234567890.123456789")),
        ("-1.5E-300", Decimal("-1.5E-300"), Decimal("-1.5E-300")),
        ("9.99E+400", Decimal("9.99E+400"), Decimal("9.99E+400")),
    ]),
    "double": ("double", [
        ("NaN", float("nan"), float("nan")),
        ("Infinity", float("inf"), float("inf")),
        ("-Infinity", float("-inf"), float("-inf")),
        ("-0.0", -0.0, -0.0),
        ("0.0", 0.0, 0.0),
        ("1.7976931348623157E308", 1.7976931348623157e308, 1.7976931348623157e308),
        ("-1.7976931348623157E308", -1.7976931348623157e308, -1.7976931348623157e308),
        ("4.9E-324", 5e-324, 5e-324),
        ("2.2250738585072014E-308", 2.2250738585072014e-308, 2.2250738585072014e-308),
        ("3.141592653589793", 3.141592653589793, 3.141592653589793),
    ]),
    "float": ("float", [
        ("NaN", float("nan"), float("nan")),
        ("Infinity", float("inf"), float("inf")),
        ("-Infinity", float("-inf"), float("-inf")),
        ("-0.0", -0.0, -0.0),
        ("3.4028235E38", f32(3.4028235e38), f32(3.4028235e38)),
        ("-3.4028235E38", f32(-3.4028235e38), f32(-3.4028235e38)),
        ("1.4E-45", f32(1.4e-45), f32(1.4e-45)),
        ("1.17549435E-38", f32(1.17549435e-38), f32(1.17549435e-38)),
        ("0.1", 0.1, f32(0.1)),
    ]),
    "duration": ("duration", [
        ("1y2mo3w4d5h6m7s8ms9us10ns", Duration(14, 25, 18367008009010),
         Duration(14, 25, ((5 * 60 + 6) * 60 + 7) * 10 ** 9 + 8 * 10 ** 6 + 9 * 10 ** 3 + 10)),
        ("P1Y2M3DT4H5M6S", Duration(14, 3, 14706 * 10 ** 9), Duration(14, 3, 14706 * 10 ** 9)),
        ("P2W", Duration(0, 14, 0), Duration(0, 14, 0)),
        ("-1mo2d3ns", Duration(-1, -2, -3), Duration(-1, -2, -3)),
        ("0s", Duration(0, 0, 0), Duration(0, 0, 0)),
        ("P0001-02-03T04:05:06", Duration(14, 3, 14706 * 10 ** 9), Duration(14, 3, 14706 * 10 ** 9)),
    ]),
    "inet": ("inet", [
        ("'127.0.0.1'", "127.0.0.1", "127.0.0.1"),
        ("'0.0.0.0'", "0.0.0.0", "0.0.0.0"),
        ("'255.255.255.255'", "255.255.255.255", "255.255.255.255"),
        ("'::1'", "::1", "::1"),
        ("'2001:db8::ff00:42:8329'", "2001:db8::ff00:42:8329", "2001:db8::ff00:42:8329"),
        ("'fe80:0:0:0:0:0:0:1'", "fe80::1", "fe80::1"),
    ]),
    "int": ("int", [
        ("-2147483648", -2 ** 31, -2 ** 31),
        ("2147483647", 2 ** 31 - 1, 2 ** 31 - 1),
        ("0", 0, 0),
        ("-1", -1, -1),
    ]),
    "smallint": ("smallint", [
        ("-32768", -32768, -32768),
        ("32767", 32767, 32767),
        ("0", 0, 0),
    ]),
    "tinyint": ("tinyint", [
        ("-128", -128, -128),
        ("127", 127, 127),
        ("0", 0, 0),
    ]),
    "text": ("text", [
        ("''", "", ""),
        (cql_str("héllo wörld ✓ 日本語 🎉"), "héllo wörld ✓ 日本語 🎉", "héllo wörld ✓ 日本語 🎉"),
        (cql_str("quote'd \"double\""), "quote'd \"double\"", "quote'd \"double\""),
        (cql_str("line\nbreak\ttab"), "line\nbreak\ttab", "line\nbreak\ttab"),
        ("$$dollar 'quoted' text$$", "dollar 'quoted' text", "dollar 'quoted' text"),
    ]),
    "varchar": ("varchar", [
        (cql_str("ünïcode"), "ünïcode", "ünïcode"),
    ]),
    "time": ("time", [
        ("'00:00:00'", Time(0), Time(0)),
        ("'23:59:59.999999999'", Time(86399999999999), Time(86399999999999)),
        ("'12:34:56.789'", Time(45296789000000), Time(45296789000000)),
        ("'01:02:03.000000004'", Time(3723000000004), Time(3723000000004)),
    ]),
    "timestamp": ("timestamp", [
        ("'1970-01-01 00:00:00+0000'", datetime(1970, 1, 1), datetime(1970, 1, 1)),
        ("'2024-02-29T12:34:56.789Z'", datetime(2024, 2, 29, 12, 34, 56, 789000),
         datetime(2024, 2, 29, 12, 34, 56, 789000)),
        ("'1969-12-31 23:59:59.999+0000'", datetime(1969, 12, 31, 23, 59, 59, 999000),
         datetime(1969, 12, 31, 23, 59, 59, 999000)),
        ("'2011-02-03 04:05+0000'", datetime(2011, 2, 3, 4, 5), datetime(2011, 2, 3, 4, 5)),
        ("'2011-02-03 04:05:06-0230'", datetime(2011, 2, 3, 6, 35, 6), datetime(2011, 2, 3, 6, 35, 6)),
        ("1299038700000", datetime(2011, 3, 2, 4, 5), datetime(2011, 3, 2, 4, 5)),
        ("-1", datetime(1969, 12, 31, 23, 59, 59, 999000), datetime(1969, 12, 31, 23, 59, 59, 999000)),
        ("-62135596800000", datetime(1, 1, 1), datetime(1, 1, 1)),
        ("'9999-12-31 23:59:59.999+0000'", datetime(9999, 12, 31, 23, 59, 59, 999000),
         datetime(9999, 12, 31, 23, 59, 59, 999000)),
    ]),
    "timeuuid": ("timeuuid", [
        ("50554d6e-29bb-11e5-b345-feff819cdc9f", uuid.UUID("50554d6e-29bb-11e5-b345-feff819cdc9f"),
         uuid.UUID("50554d6e-29bb-11e5-b345-feff819cdc9f")),
        ("00000000-0000-1000-8000-000000000000", uuid.UUID("00000000-0000-1000-8000-000000000000"),
         uuid.UUID("00000000-0000-1000-8000-000000000000")),
    ]),
    "uuid": ("uuid", [
        ("00000000-0000-0000-0000-000000000000", uuid.UUID(int=0), uuid.UUID(int=0)),
        ("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", uuid.UUID(int=2 ** 128 - 1), uuid.UUID(int=2 ** 128 - 1)),
        ("550e8400-e29b-41d4-a716-446655440000", uuid.UUID("550e8400-e29b-41d4-a716-446655440000"),
         uuid.UUID("550e8400-e29b-41d4-a716-446655440000")),
    ]),
    "varint": ("varint", [
        ("0", 0, 0),
        ("-1", -1, -1),
        ("127", 127, 127),
        ("128", 128, 128),
        ("-129", -129, -129),
        (str(2 ** 200), 2 ** 200, 2 ** 200),
        (str(-(2 ** 200) - 1), -(2 ** 200) - 1, -(2 ** 200) - 1),
        ("9" * 300, int("9" * 300), int("9" * 300)),
    ]),
    "list_int": ("list<int>", [
        ("[1, 2, 3, 2, 1]", [1, 2, 3, 2, 1], [1, 2, 3, 2, 1]),
        ("[-2147483648]", [-2 ** 31], [-2 ** 31]),
    ]),
    "set_text": ("set<text>", [
        ("{'b', 'a', 'c', 'a'}", {"b", "a", "c"}, ["a", "b", "c"]),
        ("{''}", {""}, [""]),
    ]),
    "set_int_order": ("set<int>", [
        ("{3, -1, 2, 1000000}", {3, -1, 2, 1000000}, [-1, 2, 3, 1000000]),
    ]),
    "map_text_int": ("map<text, int>", [
        ("{'b': 2, 'a': 1, 'c': 3}", {"b": 2, "a": 1, "c": 3}, [("a", 1), ("b", 2), ("c", 3)]),
        ("{'k': -1}", {"k": -1}, [("k", -1)]),
    ]),
    "map_int_list": ("map<int, frozen<list<text>>>", [
        ("{2: ['x'], 1: ['a', 'b']}", {2: ["x"], 1: ["a", "b"]}, [(1, ["a", "b"]), (2, ["x"])]),
    ]),
    "frozen_list": ("frozen<list<int>>", [
        ("[3, 1, 2]", [3, 1, 2], [3, 1, 2]),
        ("[]", [], []),
    ]),
    "frozen_set": ("frozen<set<int>>", [
        ("{3, 1, 2}", {3, 1, 2}, [1, 2, 3]),
        ("{}", set(), []),
    ]),
    "frozen_map": ("frozen<map<int, text>>", [
        ("{2: 'b', 1: 'a'}", {2: "b", 1: "a"}, [(1, "a"), (2, "b")]),
        ("{}", {}, []),
    ]),
    "tuple": ("tuple<int, text, double>", [
        ("(1, 'a', 2.5)", (1, "a", 2.5), (1, "a", 2.5)),
        ("(-1, '', -0.5)", (-1, "", -0.5), (-1, "", -0.5)),
        ("(1, null, null)", (1, None, None), (1, None, None)),
    ]),
    "nested_tuple": ("frozen<tuple<int, tuple<text, bigint>, list<int>>>", [
        ("(1, ('x', 9223372036854775807), [1, 2])", (1, ("x", 2 ** 63 - 1), [1, 2]),
         (1, ("x", 2 ** 63 - 1), [1, 2])),
    ]),
    "deep_frozen": ("frozen<map<text, frozen<list<frozen<set<int>>>>>>", [
        ("{'b': [{3, 1}, {}], 'a': [{2}]}", {"b": [{3, 1}, set()], "a": [{2}]},
         [("a", [[2]]), ("b", [[1, 3], []])]),
    ]),
    "list_of_frozen_maps": ("list<frozen<map<int, frozen<tuple<int, text>>>>>", [
        ("[{1: (1, 'a')}, {2: (2, 'b'), 0: (0, '')}]",
         [{1: (1, "a")}, {2: (2, "b"), 0: (0, "")}],
         [[(1, (1, "a"))], [(0, (0, "")), (2, (2, "b"))]]),
    ]),
}


def normalise(v):
    """Driver collection objects -> plain lists/tuples, in server order."""
    if v is None or isinstance(v, (str, bytes)):
        return v
    if hasattr(v, "items"):  # OrderedMapSerializedKey / dict
        return [(normalise(k), normalise(x)) for k, x in v.items()]
    if isinstance(v, tuple):
        return tuple(normalise(x) for x in v)
    if isinstance(v, (list, set, frozenset)) or type(v).__name__ == "SortedSet":
        return [normalise(x) for x in v]
    return v


def check(got, expected, what):
    if isinstance(expected, list):
        assert normalise(got) == expected, "%s: got %r" % (what, got)
    elif isinstance(expected, tuple):
        assert normalise(got) == normalise(expected), "%s: got %r" % (what, got)
    else:
        assert same(got, expected), "%s: got %r, expected %r" % (what, got, expected)
        assert type(got) is type(expected), "%s: got %r (%s)" % (what, got, type(got).__name__)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip(session, unique_keyspace, name, mode):
    ks = unique_keyspace
    coltype, values = CASES[name]
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v %s)" % (ks, coltype))
    if mode == "prepared":
        ins = session.prepare("INSERT INTO %s.t (k, v) VALUES (?, ?)" % ks)
        for i, (_, bound, _) in enumerate(values):
            session.execute(ins, (i, bound))
    else:
        for i, (literal, _, _) in enumerate(values):
            session.execute("INSERT INTO %s.t (k, v) VALUES (%d, %s)" % (ks, i, literal))
    sel = session.prepare("SELECT v FROM %s.t WHERE k = ?" % ks)
    for i, (literal, bound, expected) in enumerate(values):
        what = "%s %s #%d (%s)" % (coltype, mode, i, literal[:60] if mode == "unprepared" else repr(bound)[:60])
        rows = list(session.execute(sel, (i,)))
        assert len(rows) == 1, what
        check(rows[0].v, expected, what)
        # the same read as an unprepared statement
        row = session.execute("SELECT v FROM %s.t WHERE k = %d" % (ks, i)).one()
        check(row.v, expected, what + " (unprepared read)")


@pytest.mark.parametrize("mode", MODES)
def test_counter(session, unique_keyspace, mode):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.c (k int PRIMARY KEY, c counter)" % ks)
    steps = [1, 2 ** 62, -(2 ** 62), -5, 9223372036854775807, 0]
    if mode == "prepared":
        upd = session.prepare("UPDATE %s.c SET c = c + ? WHERE k = ?" % ks)
        for n in steps:
            session.execute(upd, (n, 1))
        session.execute(session.prepare("UPDATE %s.c SET c = c - ? WHERE k = ?" % ks), (10, 2))
    else:
        for n in steps:
            session.execute("UPDATE %s.c SET c = c + %d WHERE k = 1" % (ks, n))
        session.execute("UPDATE %s.c SET c = c - 10 WHERE k = 2" % ks)
    # 1 + 2^62 - 2^62 - 5 + (2^63 - 1) wraps around like a Java long
    expected = (1 - 5 + 2 ** 63 - 1 + 2 ** 63) % 2 ** 64 - 2 ** 63
    assert session.execute("SELECT c FROM %s.c WHERE k = 1" % ks).one().c == expected
    assert session.execute("SELECT c FROM %s.c WHERE k = 2" % ks).one().c == -10
    assert session.execute("SELECT c FROM %s.c WHERE k = 3" % ks).one() is None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("coltype", ["list<int>", "set<int>", "map<int, int>"])
def test_empty_non_frozen_collection_is_null(session, unique_keyspace, mode, coltype):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v %s, w int)" % (ks, coltype))
    empty = {"list<int>": ([], "[]"), "set<int>": (set(), "{}"), "map<int, int>": ({}, "{}")}[coltype]
    if mode == "prepared":
        session.execute(session.prepare("INSERT INTO %s.t (k, v, w) VALUES (?, ?, ?)" % ks), (1, empty[0], 7))
    else:
        session.execute("INSERT INTO %s.t (k, v, w) VALUES (1, %s, 7)" % (ks, empty[1]))
    row = session.execute("SELECT k, v, w FROM %s.t WHERE k = 1" % ks).one()
    assert (row.k, row.v, row.w) == (1, None, 7)


@pytest.mark.parametrize("mode", MODES)
def test_null_values(session, unique_keyspace, mode):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, a int, b text, c list<int>, d frozen<set<int>>, "
                    "e blob, f tuple<int, int>)" % ks)
    if mode == "prepared":
        session.execute(session.prepare("INSERT INTO %s.t (k, a, b, c, d, e, f) VALUES (?, ?, ?, ?, ?, ?, ?)" % ks),
                        (1, None, None, None, None, None, None))
    else:
        session.execute("INSERT INTO %s.t (k, a, b, c, d, e, f) VALUES (1, null, null, null, null, null, null)" % ks)
    row = session.execute("SELECT * FROM %s.t WHERE k = 1" % ks).one()
    assert tuple(row) == (1, None, None, None, None, None, None)


def test_empty_values_are_not_null(session, unique_keyspace):
    # A zero-length value is a value for text and blob (and the driver reads
    # it back as '' / b'').
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, t text, b blob, a ascii)" % ks)
    session.execute("INSERT INTO %s.t (k, t, b, a) VALUES (1, '', 0x, '')" % ks)
    row = session.execute("SELECT t, b, a FROM %s.t WHERE k = 1" % ks).one()
    assert (row.t, row.b, row.a) == ("", b"", "")


@pytest.mark.parametrize("mode", MODES)
def test_user_defined_types(session, unique_keyspace, mode):
    ks = unique_keyspace
    session.execute("CREATE TYPE %s.addr (street text, zip int)" % ks)
    session.execute("CREATE TYPE %s.person (name text, home frozen<addr>, "
                    "others list<frozen<addr>>, tags set<text>)" % ks)
    session.execute("CREATE TABLE %s.t (k frozen<addr>, c int, p frozen<person>, a addr, "
                    "PRIMARY KEY (k, c))" % ks)
    key = ("Main St", 12345)
    person = ("Ann", ("Elm", 1), [("Oak", 2), ("Pine", None)], {"x", "a"})
    if mode == "prepared":
        ins = session.prepare("INSERT INTO %s.t (k, c, p, a) VALUES (?, ?, ?, ?)" % ks)
        session.execute(ins, (key, 1, person, ("Side", -1)))
        session.execute(ins, (key, 2, None, (None, 7)))
    else:
        session.execute("INSERT INTO %s.t (k, c, p, a) VALUES ({street: 'Main St', zip: 12345}, 1, "
                        "{name: 'Ann', home: {street: 'Elm', zip: 1}, "
                        "others: [{street: 'Oak', zip: 2}, {street: 'Pine'}], tags: {'x', 'a'}}, "
                        "{street: 'Side', zip: -1})" % ks)
        session.execute("INSERT INTO %s.t (k, c, p, a) VALUES ({street: 'Main St', zip: 12345}, 2, null, "
                        "{zip: 7})" % ks)
    rows = list(session.execute(session.prepare("SELECT k, c, p, a FROM %s.t WHERE k = ?" % ks), (key,)))
    assert [r.c for r in rows] == [1, 2]
    r1, r2 = rows
    assert (r1.k.street, r1.k.zip) == key
    assert r1.p.name == "Ann"
    assert (r1.p.home.street, r1.p.home.zip) == ("Elm", 1)
    assert [(o.street, o.zip) for o in r1.p.others] == [("Oak", 2), ("Pine", None)]
    assert sorted(r1.p.tags) == ["a", "x"]
    assert (r1.a.street, r1.a.zip) == ("Side", -1)
    assert r2.p is None
    assert (r2.a.street, r2.a.zip) == (None, 7)
    # literal restriction on the frozen UDT key
    n = session.execute("SELECT count(*) FROM %s.t WHERE k = {street: 'Main St', zip: 12345}" % ks).one()[0]
    assert n == 2
    assert session.execute("SELECT * FROM %s.t WHERE k = {street: 'Main St', zip: 1}" % ks).one() is None


def test_udt_field_update(session, unique_keyspace):
    # Non-frozen UDT: single fields can be set.
    ks = unique_keyspace
    session.execute("CREATE TYPE %s.addr (street text, zip int)" % ks)
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, a addr)" % ks)
    session.execute("INSERT INTO %s.t (k, a) VALUES (1, {street: 'Elm', zip: 1})" % ks)
    session.execute("UPDATE %s.t SET a.zip = 2 WHERE k = 1" % ks)
    a = session.execute("SELECT a FROM %s.t WHERE k = 1" % ks).one().a
    assert (a.street, a.zip) == ("Elm", 2)


@pytest.mark.parametrize("mode", MODES)
def test_vector(session, unique_keyspace, mode):
    # vector<float, 3> (Cassandra 5.0). Driver 3.25 does not know VectorType:
    # it hands back (and takes) the raw serialized value, 3 big-endian floats.
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v vector<float, 3>)" % ks)
    raw = struct.pack(">3f", 1.0, 2.5, -3.0)
    if mode == "prepared":
        session.execute(session.prepare("INSERT INTO %s.t (k, v) VALUES (?, ?)" % ks), (1, raw))
    else:
        session.execute("INSERT INTO %s.t (k, v) VALUES (1, [1.0, 2.5, -3.0])" % ks)
    v = session.execute("SELECT v FROM %s.t WHERE k = 1" % ks).one().v
    assert v == raw
    row = session.execute("SELECT type FROM system_schema.columns WHERE keyspace_name = %s "
                          "AND table_name = 't' AND column_name = 'v'", [ks]).one()
    assert row.type == "vector<float, 3>"


def test_column_types_in_schema(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, a varchar, b list<int>, c frozen<set<text>>, "
                    "d map<text, frozen<list<int>>>, e tuple<int, text>, f duration, g timeuuid)" % ks)
    rows = session.execute("SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = %s "
                           "AND table_name = 't'", [ks])
    assert {r.column_name: r.type for r in rows} == {
        "k": "int", "a": "text", "b": "list<int>", "c": "frozen<set<text>>",
        "d": "map<text, frozen<list<int>>>", "e": "frozen<tuple<int, text>>", "f": "duration",
        "g": "timeuuid"}


# ---- rejected forms --------------------------------------------------------

LITERAL_ERRORS = [
    ("int", "'abc'", 'Invalid STRING constant (abc) for "v" of type int'),
    ("text", "42", 'Invalid INTEGER constant (42) for "v" of type text'),
    ("int", "true", 'Invalid BOOLEAN constant (true) for "v" of type int'),
    ("int", "1.5", 'Invalid FLOAT constant (1.5) for "v" of type int'),
    ("uuid", "'not-a-uuid'", 'Invalid STRING constant (not-a-uuid) for "v" of type uuid'),
    ("int", "2147483648", "Unable to make int from '2147483648'"),
]


@pytest.mark.parametrize("coltype,literal,message", LITERAL_ERRORS,
                         ids=["string_int", "int_text", "bool_int", "float_int", "string_uuid", "int_overflow"])
def test_invalid_literal(session, unique_keyspace, coltype, literal, message):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v %s)" % (ks, coltype))
    with pytest.raises(InvalidRequest) as ei:
        session.execute("INSERT INTO %s.t (k, v) VALUES (1, %s)" % (ks, literal))
    assert server_message(ei.value) == message
    assert session.execute("SELECT * FROM %s.t" % ks).one() is None


BIND_ERRORS = [
    ("int", b"\x00" * 8, "Expected 4 or 0 byte int (8)"),
    ("int", b"\x00" * 3, "Expected 4 or 0 byte int (3)"),
    ("bigint", b"\x00" * 4, "Expected 8 or 0 byte long (4)"),
    ("smallint", b"\x00" * 4, "Expected 2 bytes for a smallint (4)"),
    ("text", b"ab\xff\xfecd", "String didn't validate."),
    ("text", b"\xc3", "String didn't validate."),
    ("ascii", b"caf\xc3\xa9", "Invalid byte for ascii: -61"),
]


@pytest.mark.parametrize("coltype,raw_value,message", BIND_ERRORS,
                         ids=["int_8", "int_3", "bigint_4", "smallint_4", "text_utf8", "text_truncated",
                              "ascii_8bit"])
def test_invalid_bound_value(session, unique_keyspace, coltype, raw_value, message):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v %s)" % (ks, coltype))
    ps = session.prepare("INSERT INTO %s.t (k, v) VALUES (?, ?)" % ks)
    bound = ps.bind((1, None))
    bound.values[1] = raw_value  # bypass the driver's own serializer
    with pytest.raises(InvalidRequest) as ei:
        session.execute(bound)
    assert server_message(ei.value) == message
    assert session.execute("SELECT * FROM %s.t" % ks).one() is None


def test_duration_not_allowed_in_primary_key(session, unique_keyspace):
    ks = unique_keyspace
    with pytest.raises(InvalidRequest) as ei:
        session.execute("CREATE TABLE %s.t (k int, d duration, PRIMARY KEY (k, d))" % ks)
    assert server_message(ei.value) == "duration type is not supported for PRIMARY KEY column 'd'"


def test_non_frozen_collection_not_allowed_in_primary_key(session, unique_keyspace):
    ks = unique_keyspace
    with pytest.raises(InvalidRequest) as ei:
        session.execute("CREATE TABLE %s.t (k list<int> PRIMARY KEY, v int)" % ks)
    assert server_message(ei.value) == "Invalid non-frozen collection type list<int> for PRIMARY KEY column 'k'"


def test_counter_not_allowed_in_primary_key(session, unique_keyspace):
    ks = unique_keyspace
    with pytest.raises(InvalidRequest) as ei:
        session.execute("CREATE TABLE %s.t (k counter PRIMARY KEY, v counter)" % ks)
    assert server_message(ei.value) == "counter type is not supported for PRIMARY KEY column 'k'"
