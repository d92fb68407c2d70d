"""Aggregates, GROUP BY and scalar functions in the selection clause.

Aggregates without GROUP BY (count(*), count(1), count(col), min, max, sum,
avg over int, bigint, double, decimal, varint and text; the empty table;
one row always; LIMIT ignored; a plain column takes the first row's value);
GROUP BY partition key and clustering prefixes with LIMIT / PER PARTITION
LIMIT counting groups, static-only partitions, DISTINCT, paging by groups
and Cassandra's GROUP BY errors; scalar functions: arithmetic operators
(Java wrap-around, division by zero as FunctionFailure), CAST, blob
conversions (new and legacy names), now()/uuid()/to_timestamp()/
to_unix_timestamp()/to_date(), token(), writetime()/ttl() under aggregates,
collection element/slice and UDT field selection, collection functions;
unknown functions and bad calls; result metadata of prepared statements.

Every expectation is Apache Cassandra 5.0's, taken from its sources:
test/unit/org/apache/cassandra/cql3/validation/operations/AggregationTest.java,
SelectGroupByTest.java, cql3/functions/OperationFctsTest.java,
CastFctsTest.java, CollectionFctsTest.java, NativeFunctionsTest.java
(legacy names), validation/entities/CollectionsTest.java (element and slice
selection), src/java/org/apache/cassandra/cql3/functions/AggregateFcts.java
(int/bigint sums wrap, avg keeps a long/BigInteger sum and truncates, double
sums are Kahan-compensated, decimal avg is incremental with HALF_EVEN),
cql3/selection/Selectable.java ("Unknown function 'x'", "cast(v as text)",
"m['a']", "[selection]" markers), cql3/statements/SelectStatement.java
(GROUP BY messages), service/pager/AggregationQueryPager.java (GROUP BY
pages count groups), exceptions/OperationExecutionException.java
(FUNCTION_FAILURE), cql3/functions/BytesConversionFcts.java (bad bytes are
InvalidRequest), cql3/functions/FunctionResolver.java (operator and call
errors), cql3/functions/FunctionFactoryTest.java (unknown function) and
validation/operations/SelectOrderedPartitionerTest.java (= mixed with token()).
"""

import datetime
import time
import uuid
from decimal import Decimal

import pytest
from cassandra import FunctionFailure, InvalidRequest
from cassandra.encoder import Encoder
from cassandra.murmur3 import murmur3
from cassandra.protocol import SyntaxException
from cassandra.query import SimpleStatement

from ringdb_testlib import server_message

MODES = ["unprepared", "prepared"]
ALLOW_FILTERING = ("Cannot execute this query as it might involve data filtering and thus may have unpredictable "
                   "performance. If you want to execute this query despite the performance unpredictability, "
                   "use ALLOW FILTERING")
INT_MAX = 2 ** 31 - 1
INT_MIN = -2 ** 31
LONG_MAX = 2 ** 63 - 1
LONG_MIN = -2 ** 63


class Q:
    """Runs a query with ? markers prepared (bound values) or unprepared
    (values inlined as CQL literals); returns the ResultSet."""

    def __init__(self, session, mode):
        self.session, self.mode = session, mode

    def rs(self, query, *values, fetch_size=5000):
        if self.mode == "prepared":
            stmt = self.session.prepare(query)
            stmt.fetch_size = fetch_size
            return self.session.execute(stmt, values)
        enc = Encoder()
        parts = query.split("?")
        assert len(parts) == len(values) + 1
        q = parts[0] + "".join(enc.cql_encode_all_types(v) + p for v, p in zip(values, parts[1:]))
        return self.session.execute(SimpleStatement(q, fetch_size=fetch_size))

    def __call__(self, query, *values, **kw):
        return [tuple(r) for r in self.rs(query, *values, **kw)]

    def names(self, query, *values):
        return self.rs(query, *values).column_names


def expect_invalid(session, query, message, cls=InvalidRequest):
    with pytest.raises(cls) as ei:
        session.execute(SimpleStatement(query))
    assert server_message(ei.value) == message
    return ei.value


def meta(stmt):
    """(name, cql type) of each result column of a prepared statement."""
    # text travels as the protocol's varchar (0x000D); the driver names it so
    return [(c[2], c[3].cql_parameterized_type().replace("varchar", "text")) for c in stmt.result_metadata]


# --------------------------------------------------------------------------
# aggregates without GROUP BY


@pytest.fixture
def numbers(session, unique_keyspace):
    """t(k, c, i int, b bigint, d double, dec decimal, vi varint, s text).

    k = 1: three full rows (c = 0, 1, 3) and one row with only its key (c = 2).
    k = 2: i = -7, 2 (avg truncates toward zero).
    k = 3: i = INT_MAX, 1 and b = LONG_MAX, 1 (sums wrap like Java).
    k = 4: d = 0.1 .. 1.7 (a naive double sum gives 15.299999999999999).
    k = 5: dec = 0.25, 0.25, 0.5 (decimal avg rounds HALF_EVEN: 0.33).
    """
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, i int, b bigint, d double, dec decimal, vi varint, s text, "
                    "PRIMARY KEY (k, c))" % ks)
    ins = session.prepare("INSERT INTO %s.t (k, c, i, b, d, dec, vi, s) VALUES (?, ?, ?, ?, ?, ?, ?, ?)" % ks)
    session.execute(ins, (1, 0, 1, 10 ** 12, 11.5, Decimal("11.5"), 10 ** 30, "b"))
    session.execute(ins, (1, 1, 2, -5, 9.5, Decimal("1.5"), -3, "ab"))
    session.execute("INSERT INTO %s.t (k, c) VALUES (1, 2)" % ks)
    session.execute(ins, (1, 3, 4, 7, 9.0, Decimal("2.0"), 5, "a"))
    part = session.prepare("INSERT INTO %s.t (k, c, i, b) VALUES (?, ?, ?, ?)" % ks)
    session.execute(part, (2, 0, -7, None))
    session.execute(part, (2, 1, 2, None))
    session.execute(part, (3, 0, INT_MAX, LONG_MAX))
    session.execute(part, (3, 1, 1, 1))
    dbl = session.prepare("INSERT INTO %s.t (k, c, d) VALUES (4, ?, ?)" % ks)
    for n in range(1, 18):
        session.execute(dbl, (n, n / 10.0))
    dec = session.prepare("INSERT INTO %s.t (k, c, dec) VALUES (5, ?, ?)" % ks)
    for c, v in enumerate(["0.25", "0.25", "0.5"]):
        session.execute(dec, (c, Decimal(v)))
    return ks


ALL_AGGS = ("count(i), max(i), min(i), sum(i), avg(i), sum(b), avg(b), max(b), sum(d), avg(d), max(d), "
            "sum(dec), avg(dec), min(dec), sum(vi), avg(vi), max(vi), min(s), max(s)")


@pytest.mark.parametrize("mode", MODES)
def test_empty_table(session, unique_keyspace, mode):
    ks, q = unique_keyspace, Q(session, mode)
    session.execute("CREATE TABLE %s.t (k int, c int, i int, b bigint, d double, dec decimal, vi varint, s text, "
                    "PRIMARY KEY (k, c))" % ks)
    assert q.names("SELECT count(*) FROM %s.t" % ks) == ["count"]
    assert q("SELECT count(*) FROM %s.t" % ks) == [(0,)]
    assert q.names("SELECT COUNT(1) FROM %s.t" % ks) == ["count"]
    assert q("SELECT COUNT(1) FROM %s.t" % ks) == [(0,)]
    assert q.names("SELECT " + ALL_AGGS + " FROM %s.t" % ks) == [
        "system.count(i)", "system.max(i)", "system.min(i)", "system.sum(i)", "system.avg(i)",
        "system.sum(b)", "system.avg(b)", "system.max(b)", "system.sum(d)", "system.avg(d)", "system.max(d)",
        "system.sum(dec)", "system.avg(dec)", "system.min(dec)", "system.sum(vi)", "system.avg(vi)",
        "system.max(vi)", "system.min(s)", "system.max(s)"]
    got = q("SELECT " + ALL_AGGS + " FROM %s.t" % ks)
    assert got == [(0, None, None, 0, 0, 0, 0, None, 0.0, 0.0, None,
                    Decimal(0), Decimal(0), None, 0, 0, None, None, None)]
    assert str(got[0][11]) == "0" and str(got[0][12]) == "0"
    # one row even where nothing matches, plain columns are null
    assert q("SELECT k, c, count(*), max(i) FROM %s.t WHERE k = ?" % ks, 1) == [(None, None, 0, None)]
    assert q("SELECT count(*), sum(i) FROM %s.t WHERE k = ? AND c > ?" % ks, 1, 5) == [(0, 0)]


@pytest.mark.parametrize("mode", MODES)
def test_aggregates_over_a_partition(session, numbers, mode):
    ks, q = numbers, Q(session, mode)
    # count(*) and count(1) count rows (the key-only row too), count(col) non-null values
    assert q("SELECT count(*) FROM %s.t WHERE k = ?" % ks, 1) == [(4,)]
    assert q("SELECT COUNT(1) FROM %s.t WHERE k = ?" % ks, 1) == [(4,)]
    assert q("SELECT count(i), count(s), count(c), count(k) FROM %s.t WHERE k = ?" % ks, 1) == [(3, 3, 4, 4)]
    got = q("SELECT " + ALL_AGGS + " FROM %s.t WHERE k = ?" % ks, 1)
    assert got == [(3, 4, 1, 7, 2,                       # int: avg 7 / 3 = 2
                    10 ** 12 + 2, (10 ** 12 + 2) // 3, 10 ** 12,
                    30.0, 10.0, 11.5,
                    Decimal("15.0"), Decimal("5.0"), Decimal("1.5"),
                    10 ** 30 + 2, (10 ** 30 + 2) // 3, 10 ** 30,
                    "a", "b")]
    # decimal results keep Cassandra's scale
    assert [str(v) for v in got[0][11:14]] == ["15.0", "5.0", "1.5"]
    # text compares as UTF-8 bytes
    assert q("SELECT min(s), max(s) FROM %s.t WHERE k = ? AND c < ?" % ks, 1, 2) == [("ab", "b")]


@pytest.mark.parametrize("mode", MODES)
def test_integer_semantics(session, numbers, mode):
    ks, q = numbers, Q(session, mode)
    # avg of ints is an int, truncated toward zero like Java's division
    assert q("SELECT avg(i), sum(i) FROM %s.t WHERE k = ?" % ks, 2) == [(-2, -5)]
    # sum(int) and sum(bigint) wrap around; avg keeps a wider sum
    assert q("SELECT sum(i), avg(i), sum(b), avg(b) FROM %s.t WHERE k = ?" % ks, 3) == [
        (INT_MIN, 2 ** 30, LONG_MIN, 2 ** 62)]
    # double sums and averages are Kahan-compensated
    assert q("SELECT sum(d), count(d) FROM %s.t WHERE k = ?" % ks, 4) == [(15.3, 17)]
    assert q("SELECT avg(d) FROM %s.t WHERE k = ?" % ks, 4) == [(0.9,)]
    # decimal avg: avg += (value - avg) / count, HALF_EVEN at the scale of the difference
    got = q("SELECT avg(dec), sum(dec) FROM %s.t WHERE k = ?" % ks, 5)
    assert [str(v) for v in got[0]] == ["0.33", "1.00"]


@pytest.mark.parametrize("mode", MODES)
def test_aggregates_with_restrictions(session, numbers, mode):
    ks, q = numbers, Q(session, mode)
    # clustering slices
    assert q("SELECT count(*), sum(i), min(c), max(c) FROM %s.t WHERE k = ? AND c >= ? AND c < ?" % ks, 1, 1, 4) == [
        (3, 6, 1, 3)]
    assert q("SELECT count(*), max(i) FROM %s.t WHERE k = ? AND c IN (?, ?)" % ks, 1, 0, 2) == [(2, 1)]
    # several partitions
    assert q("SELECT count(*), sum(i) FROM %s.t WHERE k IN (?, ?)" % ks, 1, 2) == [(6, 2)]
    # the whole table
    assert q("SELECT count(*), count(i), count(d), count(dec) FROM %s.t" % ks) == [(28, 7, 20, 6)]
    # LIMIT limits the (single) result row, not the rows aggregated
    assert q("SELECT count(*), count(i) FROM %s.t LIMIT 1" % ks) == [(28, 7)]
    assert q("SELECT count(*), max(i) FROM %s.t WHERE k = ? LIMIT 2" % ks, 1) == [(4, 4)]
    # filtering
    assert q("SELECT count(*), sum(i), min(i) FROM %s.t WHERE i > ? AND i < ? ALLOW FILTERING" % ks, 1, 100) == [
        (3, 8, 2)]
    assert q("SELECT count(*), max(d) FROM %s.t WHERE k = ? AND d < ? ALLOW FILTERING" % ks, 4, 0.35) == [(3, 0.3)]
    assert q("SELECT count(*) FROM %s.t WHERE i > ? ALLOW FILTERING" % ks, 10 ** 9) == [(1,)]
    expect_invalid(session, "SELECT count(*) FROM %s.t WHERE i > 1" % ks, ALLOW_FILTERING)


@pytest.mark.parametrize("mode", MODES)
def test_columns_with_aggregates_take_the_first_row(session, numbers, mode):
    ks, q = numbers, Q(session, mode)
    assert q("SELECT k, count(*) FROM %s.t WHERE k = ?" % ks, 1) == [(1, 4)]
    assert q("SELECT k, c, i, s, count(*) FROM %s.t WHERE k = ?" % ks, 1) == [(1, 0, 1, "b", 4)]
    assert q("SELECT max(c), c, count(*) FROM %s.t WHERE k = ? AND c > ?" % ks, 1, 0) == [(3, 1, 3)]
    assert q("SELECT count(*), i FROM %s.t WHERE k = ? AND c >= ?" % ks, 1, 2) == [(2, None)]
    # the first row of a scan is the first in token order
    first = min([1, 2, 3, 4, 5], key=lambda k: murmur3(k.to_bytes(4, "big", signed=True)))
    assert q("SELECT k, c, count(*) FROM %s.t" % ks) == [(first, 1 if first == 4 else 0, 28)]
    rs = q.rs("SELECT count(b), max(b) AS max, b, c AS first FROM %s.t WHERE k = ?" % ks, 1)
    assert rs.column_names == ["system.count(b)", "max", "b", "first"]
    assert [tuple(r) for r in rs] == [(3, 10 ** 12, 10 ** 12, 0)]


def test_names_aliases_and_prepared_metadata(session, numbers):
    ks = numbers
    rs = session.execute("SELECT COUNT(*) AS myCount, count(1) AS \"Total\", max(i) AS m, min(i) FROM %s.t" % ks)
    assert rs.column_names == ["mycount", "Total", "m", "system.min(i)"]
    assert [tuple(r) for r in rs] == [(28, 28, INT_MAX, -7)]
    stmt = session.prepare("SELECT count(*), count(i), max(i), sum(b), avg(d), sum(dec), min(vi), max(s), k "
                           "FROM %s.t WHERE k = ?" % ks)
    assert meta(stmt) == [("count", "bigint"), ("system.count(i)", "bigint"), ("system.max(i)", "int"),
                          ("system.sum(b)", "bigint"), ("system.avg(d)", "double"), ("system.sum(dec)", "decimal"),
                          ("system.min(vi)", "varint"), ("system.max(s)", "text"), ("k", "int")]
    assert [c.name for c in stmt.column_metadata] == ["k"]
    assert [tuple(r) for r in session.execute(stmt, (1,))] == [
        (4, 3, 4, 10 ** 12 + 2, 10.0, Decimal("15.0"), -3, "b", 1)]


@pytest.mark.parametrize("mode", MODES)
def test_aggregates_come_in_one_page(session, unique_keyspace, mode):
    ks, q = unique_keyspace, Q(session, mode)
    session.execute("CREATE TABLE %s.t (k int, c int, v int, PRIMARY KEY (k, c))" % ks)
    ins = session.prepare("INSERT INTO %s.t (k, c, v) VALUES (?, ?, ?)" % ks)
    for k in range(10):
        for c in range(5):
            session.execute(ins, (k, c, k * 10 + c))
    for fetch in (1, 3, 100):
        rs = q.rs("SELECT count(*), sum(v), max(v) FROM %s.t" % ks, fetch_size=fetch)
        # v = k * 10 + c: the sum is 5 * 10 * (0 + .. + 9) + 10 * (0 + .. + 4)
        assert [tuple(r) for r in rs.current_rows] == [(50, 2350, 94)]
        assert not rs.has_more_pages and rs.paging_state is None
        rs = q.rs("SELECT count(*), min(v) FROM %s.t WHERE k = ?" % ks, 7, fetch_size=fetch)
        assert [tuple(r) for r in rs.current_rows] == [(5, 70)]
        assert not rs.has_more_pages


def test_invalid_aggregate_calls(session, numbers):
    ks = numbers
    # an aggregate in WHERE is a syntax error
    with pytest.raises(SyntaxException):
        session.execute("SELECT max(i) FROM %s.t WHERE max(k) = 1" % ks)
    expect_invalid(session, "SELECT max(sum(i)) FROM %s.t" % ks,
                   "aggregate functions cannot be used as arguments of aggregate functions")


# --------------------------------------------------------------------------
# GROUP BY (SelectGroupByTest.testGroupByWithoutPaging and friends)


@pytest.fixture
def grouped(session, unique_keyspace):
    """SelectGroupByTest's table: partitions 1, 2, 4 (3 deleted) are in
    ascending Murmur3 token order, so scans return them as 1, 2, 4."""
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (a int, b int, c int, d int, e int, PRIMARY KEY (a, b, c, d))" % ks)
    for row in [(1, 2, 1, 3, 6), (1, 2, 2, 6, 12), (1, 3, 2, 12, 24), (1, 4, 2, 12, 24), (1, 4, 2, 6, 12),
                (2, 2, 3, 3, 6), (2, 4, 3, 6, 12), (3, 3, 2, 12, 24), (4, 8, 2, 12, 24)]:
        session.execute("INSERT INTO %s.t (a, b, c, d, e) VALUES (%d, %d, %d, %d, %d)" % ((ks,) + row))
    session.execute("DELETE FROM %s.t WHERE a = 1 AND b = 3 AND c = 2 AND d = 12" % ks)
    session.execute("DELETE FROM %s.t WHERE a = 3" % ks)
    tokens = [murmur3(k.to_bytes(4, "big", signed=True)) for k in (1, 2, 4)]
    assert tokens == sorted(tokens)
    return ks


@pytest.mark.parametrize("mode", MODES)
def test_group_by_range(session, grouped, mode):
    ks, q = grouped, Q(session, mode)
    sel = "SELECT a, b, e, count(b), max(e) FROM %s.t " % ks
    assert q(sel + "GROUP BY a") == [(1, 2, 6, 4, 24), (2, 2, 6, 2, 12), (4, 8, 24, 1, 24)]
    assert q(sel + "GROUP BY a, b") == [(1, 2, 6, 2, 12), (1, 4, 12, 2, 24), (2, 2, 6, 1, 6), (2, 4, 12, 1, 12),
                                        (4, 8, 24, 1, 24)]
    assert q(sel + "WHERE b = ? GROUP BY a, b ALLOW FILTERING", 2) == [(1, 2, 6, 2, 12), (2, 2, 6, 1, 6)]
    # LIMIT counts groups
    assert q(sel + "GROUP BY a, b LIMIT ?", 2) == [(1, 2, 6, 2, 12), (1, 4, 12, 2, 24)]
    assert q(sel + "GROUP BY a LIMIT 2") == [(1, 2, 6, 4, 24), (2, 2, 6, 2, 12)]
    # PER PARTITION LIMIT counts groups of each partition
    assert q(sel + "GROUP BY a, b PER PARTITION LIMIT ?", 1) == [(1, 2, 6, 2, 12), (2, 2, 6, 1, 6), (4, 8, 24, 1, 24)]
    assert q(sel + "GROUP BY a PER PARTITION LIMIT 2") == [(1, 2, 6, 4, 24), (2, 2, 6, 2, 12), (4, 8, 24, 1, 24)]
    assert q(sel + "GROUP BY a, b PER PARTITION LIMIT 1 LIMIT 2") == [(1, 2, 6, 2, 12), (2, 2, 6, 1, 6)]
    # without aggregates: the first row of each group
    assert q("SELECT a, b, c, d FROM %s.t GROUP BY a, b, c" % ks) == [
        (1, 2, 1, 3), (1, 2, 2, 6), (1, 4, 2, 6), (2, 2, 3, 3), (2, 4, 3, 6), (4, 8, 2, 12)]
    assert q("SELECT a, b, c, d FROM %s.t GROUP BY a, b" % ks) == [
        (1, 2, 1, 3), (1, 4, 2, 6), (2, 2, 3, 3), (2, 4, 3, 6), (4, 8, 2, 12)]
    assert q("SELECT a, b, c, d FROM %s.t GROUP BY a, b, c LIMIT 3" % ks) == [(1, 2, 1, 3), (1, 2, 2, 6), (1, 4, 2, 6)]
    assert q("SELECT a, b, c, d FROM %s.t GROUP BY a, b PER PARTITION LIMIT 1" % ks) == [
        (1, 2, 1, 3), (2, 2, 3, 3), (4, 8, 2, 12)]
    assert q("SELECT a, b, c, d FROM %s.t GROUP BY a, b, c PER PARTITION LIMIT 2 LIMIT 3" % ks) == [
        (1, 2, 1, 3), (1, 2, 2, 6), (2, 2, 3, 3)]
    # nothing matches: no group, no row
    assert q(sel + "WHERE b = ? GROUP BY a, b ALLOW FILTERING", 99) == []
    # DISTINCT with GROUP BY on the partition key
    assert q("SELECT DISTINCT a, count(a) FROM %s.t GROUP BY a" % ks) == [(1, 1), (2, 1), (4, 1)]
    assert q("SELECT DISTINCT a, count(a) FROM %s.t GROUP BY a LIMIT 2" % ks) == [(1, 1), (2, 1)]


@pytest.mark.parametrize("mode", MODES)
def test_group_by_skips_columns_restricted_by_eq(session, grouped, mode):
    # SelectStatement: a primary key column before a GROUP BY column may be
    # left out when it is restricted by = (isColumnRestrictedByEq)
    ks, q = grouped, Q(session, mode)
    sel = "SELECT a, b, e, count(b), max(e) FROM %s.t " % ks
    three = [(1, 2, 6, 1, 6), (1, 2, 12, 1, 12), (1, 4, 12, 2, 24)]
    assert q(sel + "WHERE a = ? GROUP BY b, c", 1) == three
    assert q(sel + "WHERE a = ? AND b = ? GROUP BY a, c", 1, 2) == three[:2]
    assert q(sel + "WHERE a = ? AND b = ? GROUP BY c", 1, 2) == three[:2]
    assert q("SELECT a, b, c, d FROM %s.t WHERE a = ? GROUP BY b, c" % ks, 1) == [
        (1, 2, 1, 3), (1, 2, 2, 6), (1, 4, 2, 6)]


@pytest.mark.parametrize("mode", MODES)
def test_group_by_with_eq_and_token_restrictions(session, grouped, mode):
    # SelectGroupByTest; an = and a token() restriction on the partition key
    # may be combined (SelectOrderedPartitionerTest.
    # testSingleColumnPartitionKeyWithTokenNonTokenRestrictionsMix)
    ks, q = grouped, Q(session, mode)
    assert q("SELECT a, b, c, d FROM %s.t WHERE a = ? AND token(a) = token(?) GROUP BY b, c" % ks, 1, 1) == [
        (1, 2, 1, 3), (1, 2, 2, 6), (1, 4, 2, 6)]
    assert q("SELECT a, count(*) FROM %s.t WHERE a = ? AND token(a) > token(?) GROUP BY a" % ks, 1, 1) == []


@pytest.mark.parametrize("mode", MODES)
def test_group_by_single_and_multi_partition(session, grouped, mode):
    ks, q = grouped, Q(session, mode)
    sel = "SELECT a, b, e, count(b), max(e) FROM %s.t " % ks
    three = [(1, 2, 6, 1, 6), (1, 2, 12, 1, 12), (1, 4, 12, 2, 24)]
    assert q(sel + "WHERE a = ? GROUP BY a, b, c", 1) == three
    assert q(sel + "WHERE a = ? AND b = ? GROUP BY a, b, c", 1, 2) == three[:2]
    assert q(sel + "WHERE a = ? GROUP BY a, b, c LIMIT ?", 1, 2) == three[:2]
    assert q("SELECT count(b), max(e) FROM %s.t WHERE a = ? GROUP BY a, b, c LIMIT 1" % ks, 1) == [(1, 6)]
    assert q(sel + "WHERE a = ? GROUP BY a, b, c PER PARTITION LIMIT ?", 1, 2) == three[:2]
    assert q(sel + "WHERE a = ? GROUP BY a", 1) == [(1, 2, 6, 4, 24)]
    assert q(sel + "WHERE a = ? GROUP BY a", 3) == []
    # ORDER BY reverses the groups; the first row of a group is then its last
    assert q(sel + "WHERE a = ? GROUP BY a, b, c ORDER BY b DESC, c DESC", 1) == [
        (1, 4, 24, 2, 24), (1, 2, 12, 1, 12), (1, 2, 6, 1, 6)]
    assert q(sel + "WHERE a = ? GROUP BY a, b, c ORDER BY b DESC, c DESC LIMIT 2", 1) == [
        (1, 4, 24, 2, 24), (1, 2, 12, 1, 12)]
    # several partitions by IN
    assert q(sel + "WHERE a IN (?, ?, ?) GROUP BY a, b, c", 1, 2, 4) == three + [
        (2, 2, 6, 1, 6), (2, 4, 12, 1, 12), (4, 8, 24, 1, 24)]
    assert q(sel + "WHERE a IN (?, ?, ?) AND b = ? GROUP BY a, b, c", 1, 2, 4, 2) == three[:2] + [(2, 2, 6, 1, 6)]
    assert q(sel + "WHERE a IN (1, 2, 4) GROUP BY a, b, c PER PARTITION LIMIT 1") == [
        (1, 2, 6, 1, 6), (2, 2, 6, 1, 6), (4, 8, 24, 1, 24)]
    assert q("SELECT a, b, c, d FROM %s.t WHERE a IN (1, 2, 4) GROUP BY a, b" % ks) == [
        (1, 2, 1, 3), (1, 4, 2, 6), (2, 2, 3, 3), (2, 4, 3, 6), (4, 8, 2, 12)]


def test_group_by_static_only_partitions(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (a int, b int, c int, s int static, d int, PRIMARY KEY (a, b, c))" % ks)
    for a, s in ((1, 1), (2, 2), (4, 3)):
        session.execute("UPDATE %s.t SET s = %d WHERE a = %d" % (ks, s, a))
    rows = lambda query: [tuple(r) for r in session.execute(query % ks)]  # noqa: E731
    assert rows("SELECT a, b, s, count(b), count(s) FROM %s.t GROUP BY a") == [
        (1, None, 1, 0, 1), (2, None, 2, 0, 1), (4, None, 3, 0, 1)]
    assert rows("SELECT a, b, s, count(b), count(s) FROM %s.t GROUP BY a, b") == [
        (1, None, 1, 0, 1), (2, None, 2, 0, 1), (4, None, 3, 0, 1)]
    assert rows("SELECT a, b, s FROM %s.t GROUP BY a, b") == [(1, None, 1), (2, None, 2), (4, None, 3)]
    assert rows("SELECT a, b, s, count(b), count(s) FROM %s.t WHERE a = 1 GROUP BY a, b") == [(1, None, 1, 0, 1)]
    assert rows("SELECT DISTINCT a, s, count(s) FROM %s.t GROUP BY a") == [(1, 1, 1), (2, 2, 1), (4, 3, 1)]
    # with rows: the static value is part of each row
    session.execute("INSERT INTO %s.t (a, b, c, d) VALUES (1, 2, 1, 3)" % ks)
    session.execute("INSERT INTO %s.t (a, b, c, d) VALUES (1, 2, 2, 6)" % ks)
    session.execute("INSERT INTO %s.t (a, b, c, d) VALUES (1, 4, 2, 12)" % ks)
    assert rows("SELECT a, b, s, count(b), count(s) FROM %s.t WHERE a = 1 GROUP BY a, b") == [
        (1, 2, 1, 2, 2), (1, 4, 1, 1, 1)]


def test_group_by_composite_partition_key(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (a int, b int, c int, d int, e int, PRIMARY KEY ((a, b), c, d))" % ks)
    for row in [(1, 1, 1, 3, 6), (1, 1, 2, 6, 12), (1, 1, 3, 12, 24), (1, 2, 1, 12, 24), (1, 2, 2, 6, 12)]:
        session.execute("INSERT INTO %s.t (a, b, c, d, e) VALUES (%d, %d, %d, %d, %d)" % ((ks,) + row))
    expect_invalid(session, "SELECT a, b, max(d) FROM %s.t GROUP BY a" % ks,
                   "Group by is not supported on only a part of the partition key")
    assert [tuple(r) for r in session.execute("SELECT a, b, max(d) FROM %s.t GROUP BY a, b" % ks)] == [
        (1, 2, 12), (1, 1, 12)]
    assert [tuple(r) for r in session.execute("SELECT a, b, c, count(*) FROM %s.t WHERE a = 1 AND b = 1 "
                                              "GROUP BY a, b, c" % ks)] == [(1, 1, 1, 1), (1, 1, 2, 1), (1, 1, 3, 1)]
    # a partition key column restricted by = may be left out
    assert [tuple(r) for r in session.execute("SELECT a, b, max(d) FROM %s.t WHERE a = 1 AND b = 1 GROUP BY b"
                                              % ks)] == [(1, 1, 12)]


def test_group_by_pages_count_groups(session, grouped):
    ks = grouped
    query = "SELECT a, b, e, count(b), max(e) FROM %s.t GROUP BY a, b" % ks
    expected = [(1, 2, 6, 2, 12), (1, 4, 12, 2, 24), (2, 2, 6, 1, 6), (2, 4, 12, 1, 12), (4, 8, 24, 1, 24)]
    for stmt in (SimpleStatement(query, fetch_size=2), session.prepare(query)):
        stmt.fetch_size = 2
        rs = session.execute(stmt)
        assert [tuple(r) for r in rs.current_rows] == expected[:2]
        assert rs.has_more_pages
        got = [tuple(r) for r in rs.current_rows]
        while rs.has_more_pages:
            rs = session.execute(stmt, paging_state=rs.paging_state)
            got += [tuple(r) for r in rs.current_rows]
        assert got == expected
    # a group split across pages is still one group
    rs = session.execute(SimpleStatement("SELECT a, count(*), max(e) FROM %s.t GROUP BY a" % ks, fetch_size=1))
    assert [tuple(r) for r in rs] == [(1, 4, 24), (2, 2, 12), (4, 1, 24)]


GROUP_BY_ORDER = "Group by currently only support groups of columns following their declared order in the PRIMARY KEY"
GROUP_BY_REJECTED = [
    ("regular_column", "SELECT a, b, d, count(b), max(c) FROM {ks}.t WHERE a = 1 GROUP BY a, e",
     "Group by is currently only supported on the columns of the PRIMARY KEY, got e"),
    ("skips_clustering", "SELECT a, b, d, count(b), max(c) FROM {ks}.t WHERE a = 1 GROUP BY c",
     GROUP_BY_ORDER),
    ("out_of_order", "SELECT a, b, d, count(b), max(c) FROM {ks}.t WHERE a = 1 GROUP BY a, c, b",
     GROUP_BY_ORDER),
    ("twice", "SELECT a, b, d, count(b), max(c) FROM {ks}.t WHERE a = 1 GROUP BY a, a",
     GROUP_BY_ORDER),
    ("token_restriction", "SELECT a, b, c, d FROM {ks}.t WHERE token(a) = token(1) GROUP BY b, c",
     GROUP_BY_ORDER),
    ("distinct_clustering", "SELECT DISTINCT a, count(a) FROM {ks}.t GROUP BY a, b",
     "Grouping on clustering columns is not allowed for SELECT DISTINCT queries"),
    ("order_by_range", "SELECT a, b, c, count(b), max(e) FROM {ks}.t GROUP BY a, b ORDER BY b DESC, c DESC",
     "ORDER BY is only supported when the partition key is restricted by an EQ or an IN."),
]


@pytest.mark.parametrize("query,message", [r[1:] for r in GROUP_BY_REJECTED], ids=[r[0] for r in GROUP_BY_REJECTED])
def test_group_by_rejected(session, grouped, query, message):
    expect_invalid(session, query.format(ks=grouped), message)


def test_group_by_unknown_column(session, grouped):
    ks = grouped
    for col in ("z", "clustering1"):
        with pytest.raises(InvalidRequest) as ei:
            session.execute("SELECT a, b AS clustering1, max(c) FROM %s.t WHERE a = 1 GROUP BY a, %s" % (ks, col))
        # 4.1 and later may append " in table <ks>.t"
        assert server_message(ei.value).startswith("Undefined column name %s" % col)


def test_group_by_partition_key_only_table(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (a int PRIMARY KEY, b int, c int)" % ks)
    for a in (1, 2, 3):
        session.execute("INSERT INTO %s.t (a, b, c) VALUES (%d, %d, %d)" % (ks, a, a * 3, a * 6))
    expect_invalid(session, "SELECT a, max(c) FROM %s.t WHERE a = 1 GROUP BY a, a" % ks, GROUP_BY_ORDER)
    got = [tuple(r) for r in session.execute("SELECT a, count(*), sum(c) FROM %s.t GROUP BY a" % ks)]
    order = sorted((1, 2, 3), key=lambda k: murmur3(k.to_bytes(4, "big", signed=True)))
    assert got == [(a, 1, a * 6) for a in order]


# --------------------------------------------------------------------------
# scalar functions in the selection


@pytest.fixture
def fx(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TYPE %s.udt (f int, g text)" % ks)
    session.execute("CREATE TABLE %s.t (k int, c int, v int, b bigint, d double, dec decimal, s text, "
                    "ts timestamp, blb blob, m map<text, int>, st set<int>, l list<int>, fm frozen<map<text, int>>, "
                    "u frozen<udt>, PRIMARY KEY (k, c))" % ks)
    session.execute("INSERT INTO %s.t (k, c, v, b, d, dec, s, ts, blb, m, st, l, fm, u) VALUES (1, 1, 5, 7, 2.5, 1.5, "
                    "'hi', '2011-02-03 04:05:00+0000', 0x0102, {'a': 1, 'b': 2}, {3, 4}, [9, 8], {'x': 1}, "
                    "{f: 7, g: 'x'}) USING TIMESTAMP 1000" % ks)
    session.execute("INSERT INTO %s.t (k, c, v) VALUES (1, 2, 0) USING TIMESTAMP 2000 AND TTL 10000" % ks)
    return ks


@pytest.mark.parametrize("mode", MODES)
def test_arithmetic(session, fx, mode):
    ks, q = fx, Q(session, mode)
    query = ("SELECT v + 1, v * 2, -v, v - b, d / 2, v %% 3, v / 2, b * v, dec + v, 2 - v * 3 FROM %s.t "
             "WHERE k = ? AND c = ?" % ks)
    assert q.names(query, 1, 1) == ["v + 1", "v * 2", "-v", "v - b", "d / 2", "v % 3", "v / 2", "b * v",
                                    "dec + v", "2 - v * 3"]
    # int op int literal is int, int op bigint is bigint, decimal wins over int
    assert q(query, 1, 1) == [(6, 10, -5, -2, 1.25, 2, 2, 35, Decimal("6.5"), -13)]
    # int arithmetic wraps like Java's
    assert q("SELECT v + 2147483647, v * 1073741824, v - 5 - 2147483647 - 1 FROM %s.t WHERE k = ? AND c = ?"
             % ks, 1, 1) == [(INT_MIN + 4, 2 ** 30, INT_MIN)]
    # null in, null out
    assert q("SELECT d + 1, v + 1 FROM %s.t WHERE k = ? AND c = ?" % ks, 1, 2) == [(None, 1)]
    # double division by zero is infinite, integer division fails
    assert q("SELECT d / 0 FROM %s.t WHERE k = ? AND c = ?" % ks, 1, 1) == [(float("inf"),)]
    stmt = session.prepare("SELECT k, v + 1, v - b, dec + v FROM %s.t WHERE k = ?" % ks)
    assert meta(stmt) == [("k", "int"), ("v + 1", "int"), ("v - b", "bigint"), ("dec + v", "decimal")]


@pytest.mark.parametrize("mode", MODES)
def test_parenthesized_arithmetic(session, fx, mode):
    # OperationFctsTest.testPrecedenceAndParentheses: names keep the parentheses
    ks, q = fx, Q(session, mode)
    query = "SELECT (v + 1) * 2, (v - b) / 2, -(v - 5 - 2147483647 - 1) FROM %s.t WHERE k = ? AND c = ?" % ks
    assert q.names(query, 1, 1) == ["(v + 1) * 2", "(v - b) / 2", "-(v - 5 - 2147483647 - 1)"]
    # -INT_MIN wraps to INT_MIN
    assert q(query, 1, 1) == [(12, -1, INT_MIN)]


DIVISION_BY_ZERO = [
    ("int", "SELECT v / 0 FROM {ks}.t WHERE k = 1 AND c = 1", "the operation 'int / int' failed: / by zero"),
    ("column_zero", "SELECT 10 / v FROM {ks}.t WHERE k = 1 AND c = 2",
     "the operation 'int / int' failed: / by zero"),
    ("null_operand", "SELECT b / v FROM {ks}.t WHERE k = 1 AND c = 2", None),
    ("modulo", "SELECT v % 0 FROM {ks}.t WHERE k = 1 AND c = 1", "the operation 'int % int' failed: / by zero"),
    ("bigint", "SELECT b / 0 FROM {ks}.t WHERE k = 1 AND c = 1", "the operation 'bigint / int' failed: / by zero"),
    ("decimal", "SELECT dec / 0 FROM {ks}.t WHERE k = 1 AND c = 1",
     "the operation 'decimal / int' failed: Division by zero"),
]


@pytest.mark.parametrize("query,message", [r[1:] for r in DIVISION_BY_ZERO], ids=[r[0] for r in DIVISION_BY_ZERO])
def test_division_by_zero(session, fx, query, message):
    query = query.format(ks=fx)
    if message is None:  # b is null on that row: null / 0 is null, nothing fails
        assert [tuple(r) for r in session.execute(query)] == [(None,)]
        return
    for stmt in (SimpleStatement(query), session.prepare(query)):
        with pytest.raises(FunctionFailure) as ei:
            session.execute(stmt)
        assert server_message(ei.value) == message


def test_operation_errors(session, fx):
    ks = fx
    expect_invalid(session, "SELECT v + s FROM %s.t" % ks, "the '+' operation is not supported between v and s")
    expect_invalid(session, "SELECT s / 1 FROM %s.t" % ks, "the '/' operation is not supported between s and 1")
    expect_invalid(session, "SELECT blb * 2 FROM %s.t" % ks, "the '*' operation is not supported between blb and 2")
    # a timestamp column is weakly assignable to bigint, and 2 to every numeric type
    expect_invalid(session, "SELECT ts * 2 FROM %s.t" % ks, "Ambiguous '*' operation: use type casts to disambiguate")


@pytest.mark.parametrize("mode", MODES)
def test_cast(session, fx, mode):
    ks, q = fx, Q(session, mode)
    query = ("SELECT cast(v as text), CAST(v AS bigint), cast(d as int), cast(v as int), cast(dec as double), "
             "cast(ts as text), CAST(b AS varint), cast(s as text) FROM %s.t WHERE k = ? AND c = ?" % ks)
    # a cast to the type the value already has is dropped, name included
    assert q.names(query, 1, 1) == ["cast(v as text)", "cast(v as bigint)", "cast(d as int)", "v",
                                    "cast(dec as double)", "cast(ts as text)", "cast(b as varint)", "s"]
    assert q(query, 1, 1) == [("5", 5, 2, 5, 1.5, "2011-02-03T04:05:00.000Z", 7, "hi")]
    stmt = session.prepare(query)
    assert [t for _, t in meta(stmt)] == ["text", "bigint", "int", "int", "double", "text", "varint", "text"]
    assert q("SELECT cast(d as text) FROM %s.t WHERE k = ? AND c = ?" % ks, 1, 2) == [(None,)]
    expect_invalid(session, "SELECT CAST(v AS boolean) FROM %s.t" % ks, "v cannot be cast to boolean")


@pytest.mark.parametrize("mode", MODES)
def test_blob_conversions(session, fx, mode):
    ks, q = fx, Q(session, mode)
    query = ("SELECT int_as_blob(v), intAsBlob(v), blob_as_int(int_as_blob(v)), bigint_as_blob(b), "
             "text_as_blob(s), blobAsText(textAsBlob(s)) FROM %s.t WHERE k = ? AND c = ?" % ks)
    assert q.names(query, 1, 1) == [
        "system.int_as_blob(v)", "system.intasblob(v)", "system.blob_as_int(system.int_as_blob(v))",
        "system.bigint_as_blob(b)", "system.text_as_blob(s)", "system.blobastext(system.textasblob(s))"]
    assert q(query, 1, 1) == [(b"\x00\x00\x00\x05", b"\x00\x00\x00\x05", 5, b"\x00" * 7 + b"\x07", b"hi", "hi")]
    stmt = session.prepare(query)
    assert [t for _, t in meta(stmt)] == ["blob", "blob", "int", "blob", "blob", "text"]
    # null in, null out
    assert q("SELECT bigint_as_blob(b), blob_as_int(blb) FROM %s.t WHERE k = ? AND c = ?" % ks, 1, 2) == [
        (None, None)]


BAD_BLOBS = [
    ("column", "SELECT blob_as_int(blb) FROM {ks}.t WHERE k = 1 AND c = 1",
     "In call to function system.blob_as_int, value 0x0102 is not a valid binary representation for type int"),
    ("nested", "SELECT blob_as_bigint(int_as_blob(v)) FROM {ks}.t WHERE k = 1 AND c = 1",
     "In call to function system.blob_as_bigint, value 0x00000005 is not a valid binary representation for type "
     "bigint"),
    ("legacy_name", "SELECT blobAsBigint(intAsBlob(v)) FROM {ks}.t WHERE k = 1 AND c = 1",
     "In call to function system.blobasbigint, value 0x00000005 is not a valid binary representation for type "
     "bigint"),
]


@pytest.mark.parametrize("query,message", [r[1:] for r in BAD_BLOBS], ids=[r[0] for r in BAD_BLOBS])
def test_blob_conversion_of_bad_bytes(session, fx, query, message):
    # BytesConversionFcts.FromBlobFunction throws InvalidRequestException
    # (not a FUNCTION_FAILURE), at execution since the argument is a column
    query = query.format(ks=fx)
    for stmt in (SimpleStatement(query), session.prepare(query)):
        with pytest.raises(InvalidRequest) as ei:
            session.execute(stmt)
        assert server_message(ei.value) == message


@pytest.mark.parametrize("mode", MODES)
def test_time_and_uuid_functions(session, fx, mode):
    ks, q = fx, Q(session, mode)
    query = ("SELECT now(), uuid(), to_timestamp(now()), toTimestamp(now()), to_unix_timestamp(now()), "
             "to_unix_timestamp(ts), to_date(ts), todate(ts), current_timestamp() FROM %s.t WHERE k = ?" % ks)
    assert q.names(query, 1) == [
        "system.now()", "system.uuid()", "system.to_timestamp(system.now())", "system.totimestamp(system.now())",
        "system.to_unix_timestamp(system.now())", "system.to_unix_timestamp(ts)", "system.to_date(ts)",
        "system.todate(ts)", "system.current_timestamp()"]
    before = datetime.datetime.utcnow() - datetime.timedelta(seconds=60)
    after = datetime.datetime.utcnow() + datetime.timedelta(seconds=60)
    rows = q(query, 1)
    assert len(rows) == 2
    for r in rows:
        assert isinstance(r[0], uuid.UUID) and r[0].version == 1
        assert isinstance(r[1], uuid.UUID) and r[1].version == 4
        assert before <= r[2] <= after and before <= r[3] <= after and before <= r[8] <= after
        assert abs(r[4] - time.time() * 1000) < 60000
    assert rows[0][5] == 1296705900000
    assert str(rows[0][6]) == "2011-02-03" and str(rows[0][7]) == "2011-02-03"
    assert rows[1][5:8] == (None, None, None)
    # now() and uuid() are not pure: a new value for every row
    assert rows[0][0] != rows[1][0] and rows[0][1] != rows[1][1]
    stmt = session.prepare(query)
    assert [t for _, t in meta(stmt)] == ["timeuuid", "uuid", "timestamp", "timestamp", "bigint", "bigint", "date",
                                          "date", "timestamp"]


@pytest.mark.parametrize("mode", MODES)
def test_token_writetime_ttl_with_aggregates(session, fx, mode):
    ks, q = fx, Q(session, mode)
    tok = murmur3((1).to_bytes(4, "big", signed=True))
    rs = q.rs("SELECT token(k), count(*), min(writetime(v)), max(writetime(v)), count(ttl(v)), max(ttl(v)) "
              "FROM %s.t WHERE k = ?" % ks, 1)
    assert rs.column_names == ["system.token(k)", "count", "system.min(writetime(v))", "system.max(writetime(v))",
                               "system.count(ttl(v))", "system.max(ttl(v))"]
    (r,) = [tuple(x) for x in rs]
    assert r[:5] == (tok, 2, 1000, 2000, 1) and 9900 <= r[5] <= 10000
    rs = q.rs("SELECT writetime(v), ttl(v), count(*) FROM %s.t WHERE k = ?" % ks, 1)
    assert rs.column_names == ["writetime(v)", "ttl(v)", "count"]
    assert [tuple(x) for x in rs] == [(1000, None, 2)]


@pytest.mark.parametrize("mode", MODES)
def test_collection_and_udt_selectors(session, fx, mode):
    ks, q = fx, Q(session, mode)
    query = "SELECT m['a'], m['zz'], st[3], st[9], u.f, u.g, fm['x'] FROM %s.t WHERE k = ?" % ks
    assert q.names(query, 1) == ["m['a']", "m['zz']", "st[3]", "st[9]", "u.f", "u.g", "fm['x']"]
    got = q(query, 1)
    assert got[0] == (1, None, 3, None, 7, "x", 1)
    assert got[1] == (None,) * 7
    # element selected by a bound key
    assert q("SELECT m[?], st[?] FROM %s.t WHERE k = ? AND c = ?" % ks, "b", 4, 1, 1) == [(2, 4)]
    stmt = session.prepare("SELECT m[?], u.g, m FROM %s.t WHERE k = ?" % ks)
    assert meta(stmt) == [("m[?]", "int"), ("u.g", "text"), ("m", "map<text, int>")]
    expect_invalid(session, "SELECT l[0] FROM %s.t" % ks, "Element selection is only allowed on sets and maps, "
                                                          "but l is a list")


@pytest.mark.parametrize("mode", MODES)
def test_collection_slices(session, fx, mode):
    ks, q = fx, Q(session, mode)
    query = "SELECT m['a'..'a'], st[4..], m[..'a'], fm['y'..], st[?..?] FROM %s.t WHERE k = ?" % ks
    # names are the selectors as written: literals inlined, markers as ?
    last = "st[?..?]" if mode == "prepared" else "st[3..9]"
    assert q.names(query, 3, 9, 1) == ["m['a'..'a']", "st[4..]", "m[..'a']", "fm['y'..]", last]
    got = q(query, 3, 9, 1)
    # an empty slice of a frozen collection is empty, of a non-frozen one null
    assert got[0] == ({"a": 1}, {4}, {"a": 1}, {}, {3, 4})
    assert got[1] == (None,) * 5
    stmt = session.prepare(query)
    assert meta(stmt) == [("m['a'..'a']", "map<text, int>"), ("st[4..]", "set<int>"), ("m[..'a']", "map<text, int>"),
                          ("fm['y'..]", "map<text, int>"), ("st[?..?]", "set<int>")]
    expect_invalid(session, "SELECT l[0..1] FROM %s.t" % ks, "Slice selection is only allowed on sets and maps, "
                                                             "but l is a list")


@pytest.mark.parametrize("mode", MODES)
def test_collection_functions(session, fx, mode):
    ks, q = fx, Q(session, mode)
    query = ("SELECT map_keys(m), map_values(m), collection_count(m), collection_count(st), collection_count(l), "
             "collection_min(st), collection_max(l), collection_sum(st), collection_avg(l) FROM %s.t "
             "WHERE k = ? AND c = ?" % ks)
    assert q.names(query, 1, 1) == [
        "system.map_keys(m)", "system.map_values(m)", "system.collection_count(m)", "system.collection_count(st)",
        "system.collection_count(l)", "system.collection_min(st)", "system.collection_max(l)",
        "system.collection_sum(st)", "system.collection_avg(l)"]
    (r,) = q(query, 1, 1)
    assert set(r[0]) == {"a", "b"} and list(r[1]) == [1, 2]
    assert r[2:] == (2, 2, 2, 3, 9, 7, 8)
    # a null (non-frozen empty) collection gives null
    assert q(query, 1, 2) == [(None,) * 9]
    stmt = session.prepare(query)
    assert [t for _, t in meta(stmt)] == ["set<text>", "list<int>", "int", "int", "int", "int", "int", "int", "int"]


def test_unknown_function_in_selection(session, fx):
    # Selectable.WithFunction.Raw.prepare; FunctionFactoryTest.testUnknownFunction
    expect_invalid(session, "SELECT foo(v) FROM %s.t" % fx, "Unknown function 'foo'")
    expect_invalid(session, "SELECT k, unknown() FROM %s.t" % fx, "Unknown function 'unknown'")
    # dateOf() and unixTimestampOf() were removed by 5.0 (CASSANDRA-18328) but
    # ringdb keeps them from 4.1, like the other pre-5.0 names
    rows = list(session.execute("SELECT dateOf(now()), unixTimestampOf(now()) FROM %s.t LIMIT 1" % fx))
    assert rows and isinstance(rows[0][0], datetime.datetime) and abs(rows[0][1] - time.time() * 1000) < 60000
    expect_invalid(session, "SELECT dateOf(v) FROM %s.t" % fx,
                   "Type error: v cannot be passed as argument 0 of function system.dateof of type timeuuid")


def test_bad_function_calls(session, fx):
    ks = fx
    # FunctionCall.Raw.prepare (terms outside the selection)
    expect_invalid(session, "SELECT k FROM %s.t WHERE k = foo(1)" % ks, "Unknown function foo called")
    expect_invalid(session, "SELECT int_as_blob(v, v) FROM %s.t" % ks,
                   "Invalid number of arguments in call to function system.int_as_blob: 1 required but 2 provided")
    expect_invalid(session, "SELECT int_as_blob(s) FROM %s.t" % ks,
                   "Type error: s cannot be passed as argument 0 of function system.int_as_blob of type int")


def test_bind_markers_in_functions(session, fx):
    ks = fx
    stmt = session.prepare("SELECT blob_as_int(int_as_blob(?)), v FROM %s.t WHERE k = ? AND c = ?" % ks)
    assert meta(stmt) == [("system.blob_as_int(system.int_as_blob(?))", "int"), ("v", "int")]
    assert [tuple(r) for r in session.execute(stmt, (42, 1, 1))] == [(42, 5)]
    assert [c.type.cql_parameterized_type() for c in stmt.column_metadata] == ["int", "int", "int"]
    # Selectable.WithTerm names every marker of the selection clause "[selection]"
    assert [c.name for c in stmt.column_metadata] == ["[selection]", "k", "c"]
