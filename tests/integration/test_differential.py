"""Randomized differential test: random tables, random writes, random
filtering / aggregate / GROUP BY / DISTINCT queries, each answer compared with
a small in-test model of CQL semantics.

Every table case builds a random schema (partition key of 1-2 columns, 0-3
clustering columns with random ASC/DESC order, 1-4 regular columns among
scalars and set<int> / list<int> / map<text, int>, maybe a static column),
applies a few hundred random writes to the server and to the model (INSERT
with nulls, UPDATE with collection operations, row / column / element /
range / partition deletions, all USING TIMESTAMP with increasing timestamps
so the model never depends on timestamp ties), then checks a few hundred
random SELECTs, prepared (bound values) or not (literals), paged by hand with
small fetch sizes (paging_state driven explicitly: driver 3.25 stops
iterating at an empty page that still has a paging state). One more case
runs on a private server whose memtables flush at 1 MiB, so that reads merge
several sstables and the memtable, with a clean restart halfway through its
queries.

The model (Apache Cassandra 5.0's behaviour):
- a row is live if it was INSERTed (primary key liveness) and not deleted
  since, or if any of its regular cells is non-null; a non-frozen empty
  collection is null;
- a partition with a non-null static cell and no live row answers one row
  with null clustering and regular columns, unless the query restricts
  clustering or regular columns (SelectStatement.returnStaticContent-
  OnPartitionWithNoRows / queriesFullPartitions);
- scans return partitions in Murmur3 token order of the serialized key
  (CompositeType for composite keys), rows in clustering order (DESC columns
  reversed; ORDER BY reversal on single-partition queries); IN on the
  partition key returns each partition once, partitions in no particular
  order (checked as ordered blocks in any order); IN with ORDER BY (paging
  off) sorts all rows on the ORDER BY columns, ties in no particular order;
- filtering (ALLOW FILTERING): a null cell never satisfies a relation;
  CONTAINS on set/list elements and map values, CONTAINS KEY, m['k'] = v;
  text compares as UTF-8 bytes; `!=` as in Cassandra 5.1 (CEP-29; 5.0 answers
  'Unsupported "!=" relation', see NEQ below);
- aggregates (cql3/functions/AggregateFcts): count(*) counts rows, count(c)
  non-null values; sum of smallint/int/bigint wraps in the column's type;
  avg of those is the exact sum divided by the count, truncated toward zero;
  double sum/avg are Kahan sums (values here are multiples of 1/8, so exact);
  an empty input gives count 0, sum 0, avg 0, min/max null; without GROUP BY
  there is always exactly one row and LIMIT / PER PARTITION LIMIT do not
  limit the rows aggregated (SelectStatement.getDataLimits,
  AGGREGATE_EVERYTHING);
- GROUP BY the partition key and a clustering prefix: consecutive rows with
  the same key form a group; LIMIT counts groups, PER PARTITION LIMIT counts
  groups of each partition; no group, no row;
- DISTINCT on the partition key (and static columns): one row per partition
  that has a live row or a static cell.

Query forms are restricted to those whose Cassandra semantics are plain: IN
only on a fully restricted partition key ("IN restrictions are not supported
when the query involves filtering" otherwise), on clustering columns of the
EQ/IN prefix and on regular columns; clustering columns past the prefix only
=, != and slices; multi-column relations only on a clustering prefix of one
clustering order, alone; a selection that names a static column always
names a clustering or regular column too (Cassandra treats selections of
static columns only apart); ORDER BY on one partition, or on IN with paging
off. A few queries Cassandra rejects without ALLOW FILTERING are checked to
be rejected with its message.

Environment:
  RINGDB_DIFF_SEED=N        replay a run (the default seed comes from the
                            clock; every failure message prints it, with the
                            table, the statement, both answers and the writes)
  RINGDB_DIFF_KEEP_GOING=1  report every mismatch of a case, not the first
  RINGDB_DIFF_KNOWN_BUGS=1  also generate the query forms of KNOWN_BUGS (server
                            bugs found by this test, kept out by default so
                            that they neither hide other bugs nor kill the
                            shared server); or a comma-separated list of
                            their names
  RINGDB_DIFF_NEQ=0         no `!=` (Cassandra 5.0 refuses it)
  RINGDB_DIFF_TRACE=FILE    append every statement to FILE before it runs
                            (finds the statement that kills a server)

Minimising a failure (against a running server, e.g. build/test/ringdb):
  RINGDB_HOST=127.0.0.1 RINGDB_PORT=9042 /usr/bin/python3 test_differential.py SEED CASE QUERY
replays case CASE of RINGDB_DIFF_SEED=SEED into keyspace ks_diff_minimise,
keeps a smallest set of writes for which query number QUERY still fails
(delta debugging) and prints them with the query and both answers.

References: Apache Cassandra 5.0 src/java/org/apache/cassandra/cql3/
statements/SelectStatement.java, restrictions/StatementRestrictions.java,
functions/AggregateFcts.java, db/filter/RowFilter.java, and
test/unit/org/apache/cassandra/cql3/validation/operations/SelectTest.java,
SelectGroupByTest.java, AggregationTest.java.
"""

import datetime
import functools
import glob
import os
import random
import struct
import time
import uuid

import pytest
from cassandra import InvalidRequest
from cassandra.murmur3 import murmur3
from cassandra.query import SimpleStatement

from ringdb_testlib import server_message

ALLOW_FILTERING_MSG = ("Cannot execute this query as it might involve data filtering and thus may have "
                       "unpredictable performance. If you want to execute this query despite the performance "
                       "unpredictability, use ALLOW FILTERING")

BASE_SEED = int(os.environ.get("RINGDB_DIFF_SEED") or (int(time.time() * 1000) % 1000000007))
KEEP_GOING = bool(os.environ.get("RINGDB_DIFF_KEEP_GOING"))
TRACE = os.environ.get("RINGDB_DIFF_TRACE")  # a file: every statement, before it runs
N_CASES = 6      # tables, one test each
N_WRITES = 400   # writes per table
N_QUERIES = 500  # queries per table (and a few rejected ones)

# Server bugs found by this test. The generator keeps each form out (so
# that one bug does not hide the others or kill the shared server) unless
# RINGDB_DIFF_KNOWN_BUGS=1, which puts them back to check a fix.
KNOWN_BUGS = {
}
WITH_KNOWN_BUGS = {b.strip() for b in os.environ.get("RINGDB_DIFF_KNOWN_BUGS", "").split(",") if b.strip()}
if WITH_KNOWN_BUGS & {"1", "all"}:
    WITH_KNOWN_BUGS = set(KNOWN_BUGS)
assert WITH_KNOWN_BUGS <= set(KNOWN_BUGS), "RINGDB_DIFF_KNOWN_BUGS: unknown %s" % (WITH_KNOWN_BUGS - set(KNOWN_BUGS))


def avoid(bug):
    """Keep this bug's query form out of the generator?"""
    assert bug in KNOWN_BUGS
    return bug not in WITH_KNOWN_BUGS


# ringdb limitations ("... not supported yet by ringdb"), kept out of the
# generator: bind markers in CONTAINS / CONTAINS KEY / m[k] = v relations
# (these relations are always inlined, in prepared statements too), and
# multi-column slices over columns of mixed clustering orders.

# `!=` is Cassandra 5.1 syntax (CEP-29); ringdb accepts it with 5.1's meaning
# (a null cell never matches), so it is part of the generated filters.
NEQ = os.environ.get("RINGDB_DIFF_NEQ", "1") != "0"

EPOCH = datetime.datetime(1970, 1, 1)


def trace(text, binds=None):
    if TRACE:
        with open(TRACE, "a") as f:
            f.write(text + ("" if binds is None else "  -- bound %r" % (binds,)) + "\n")


FETCH_SIZES = [1, 2, 3, 7, 7, 13, 50, 5000, 5000, None]

# --------------------------------------------------------------------------
# types: literals, bound values, driver values, serialization, ordering

INT_BITS = {"smallint": 16, "int": 32, "bigint": 64}
ORDERED = {"smallint", "int", "bigint", "text", "double", "boolean", "timestamp"}
NUMERIC = {"smallint", "int", "bigint", "double"}
MINMAX = {"smallint", "int", "bigint", "text", "double", "timestamp"}
COLLECTIONS = {"set<int>", "list<int>", "map<text, int>"}
TEXTS = ["a", "b", "ab", "abc", "B", "Z", "é", "ü", "日本", "zz", "🎉", "o'k", " a", "a b"]
MAP_KEYS = ["a", "b", "c", "é", "zz"]


def wrap(v, bits):
    half = 1 << (bits - 1)
    return ((v + half) % (1 << bits)) - half


def lit(t, v):
    """A CQL literal for model value v of type t."""
    if v is None:
        return "null"
    if t in INT_BITS or t == "timestamp":
        return str(v)
    if t == "text":
        return "'" + v.replace("'", "''") + "'"
    if t == "double":
        return repr(float(v))
    if t == "boolean":
        return "true" if v else "false"
    if t == "uuid":
        return str(v)
    if t == "set<int>":
        return "{" + ", ".join(str(x) for x in sorted(v)) + "}"
    if t == "list<int>":
        return "[" + ", ".join(str(x) for x in v) + "]"
    if t == "map<text, int>":
        return "{" + ", ".join("%s: %d" % (lit("text", k), x) for k, x in sorted(v.items())) + "}"
    raise AssertionError(t)


def bind(t, v):
    """The value handed to the driver for a bound marker of type t."""
    if v is None:
        return None
    if t == "set<int>":
        return set(v)
    if t == "list<int>":
        return list(v)
    if t == "map<text, int>":
        return dict(v)
    if t == "double":
        return float(v)
    return v  # timestamps bind as integer milliseconds


def ts_ms(dt):
    d = dt - EPOCH
    return d.days * 86400000 + d.seconds * 1000 + round(d.microseconds / 1000)


def from_driver(t, v):
    """A driver value of type t as a model value."""
    if v is None:
        return None
    if t == "timestamp":
        return ts_ms(v)
    if t == "set<int>":
        return frozenset(v)
    if t == "list<int>":
        return list(v)
    if t == "map<text, int>":
        return dict(v)
    return v


def serialize(t, v):
    if t in INT_BITS:
        return v.to_bytes(INT_BITS[t] // 8, "big", signed=True)
    if t == "timestamp":
        return struct.pack(">q", v)
    if t == "text":
        return v.encode("utf-8")
    if t == "uuid":
        return v.bytes
    if t == "double":
        return struct.pack(">d", v)
    if t == "boolean":
        return b"\x01" if v else b"\x00"
    raise AssertionError(t)


def cmp(a, b):
    return (a > b) - (a < b)


def sat(op, have, want):
    """Does cell value `have` satisfy `have op want`? (null never does)"""
    if have is None:
        return False
    if op == "=":
        return have == want
    if op == "!=":
        return have != want
    if op == "<":
        return have < want
    if op == "<=":
        return have <= want
    if op == ">":
        return have > want
    if op == ">=":
        return have >= want
    if op == "IN":
        return have in want
    raise AssertionError(op)


# --------------------------------------------------------------------------
# schema


class Column:
    def __init__(self, name, typ, kind, desc=False, pool=None):
        self.name, self.type, self.kind, self.desc, self.pool = name, typ, kind, desc, pool


def value_pool(rng, t, kind):
    """Values a column draws from: small pools so that equalities hit and
    groups form; numeric regular columns include extremes so sums wrap."""
    key = kind in ("pk", "ck")
    n_ck = rng.randint(3, 12)  # distinct values of a clustering column
    if t in INT_BITS:
        hi = (1 << (INT_BITS[t] - 1)) - 1
        pool = rng.sample(range(-30, 31), n_ck if kind == "ck" else 10)
        if kind == "pk":
            pool = rng.sample(range(-1000, 1000), 40)
        elif not key:
            pool += [hi - rng.randint(0, 5), -hi - 1 + rng.randint(0, 5), hi // 2 + rng.randint(0, 9)]
        return sorted(set(pool))
    if t == "text":
        if kind == "pk":
            return sorted(set("%s%d" % (rng.choice(TEXTS), i) for i in range(40)))
        pool = rng.sample(TEXTS, n_ck if kind == "ck" else 8)
        if not key:
            pool.append("")
        return pool
    if t == "double":
        return sorted(v / 8.0 for v in rng.sample(range(-400, 401), n_ck if key else 10))
    if t == "boolean":
        return [False, True]
    if t == "timestamp":
        n = 40 if kind == "pk" else (n_ck if key else 8)
        return sorted(rng.sample(range(-2 * 10 ** 11, 4 * 10 ** 12), n))
    if t == "uuid":
        n = 40 if kind == "pk" else 6
        return [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(n)]
    return None  # collections draw elements from fixed pools


class Table:
    def __init__(self, rng, ks, name, shape):
        self.ks, self.name = ks, name
        n_pk, n_ck, static, n_reg, colls = shape
        pk_types = ["int", "bigint", "text", "uuid", "smallint", "timestamp"]
        ck_types = ["int", "bigint", "smallint", "text", "timestamp", "double", "boolean"]
        reg_types = ["int", "bigint", "smallint", "text", "double", "boolean", "timestamp", "uuid"]
        self.pk = [Column("p%d" % i, rng.choice(pk_types), "pk") for i in range(n_pk)]
        self.ck = []
        for i in range(n_ck):
            t = rng.choice(ck_types if i else [x for x in ck_types if x != "boolean"])
            self.ck.append(Column("c%d" % i, t, "ck", desc=rng.random() < 0.4))
        self.statics = [Column("s0", rng.choice(["int", "text", "bigint"]), "static")] if static and n_ck else []
        regs = [rng.choice(reg_types) for _ in range(n_reg)]
        for i, ct in enumerate(rng.sample(sorted(COLLECTIONS), colls)):
            regs[-1 - i] = ct
        self.regs = [Column("r%d" % i, t, "reg") for i, t in enumerate(regs)]
        for c in self.pk + self.ck + self.statics + self.regs:
            c.pool = value_pool(rng, c.type, c.kind)
        self.cols = {c.name: c for c in self.pk + self.ck + self.statics + self.regs}
        self.scalars = [c for c in self.regs if c.type not in COLLECTIONS]

    @property
    def qname(self):
        return "%s.%s" % (self.ks, self.name)

    def ddl(self):
        defs = ["%s %s" % (c.name, c.type) for c in self.pk + self.ck]
        defs += ["%s %s static" % (c.name, c.type) for c in self.statics]
        defs += ["%s %s" % (c.name, c.type) for c in self.regs]
        pk = ", ".join(c.name for c in self.pk)
        if len(self.pk) > 1:
            pk = "(" + pk + ")"
        key = ", ".join([pk] + [c.name for c in self.ck])
        q = "CREATE TABLE %s (%s, PRIMARY KEY (%s))" % (self.qname, ", ".join(defs), key)
        if self.ck:
            q += " WITH CLUSTERING ORDER BY (%s)" % ", ".join(
                "%s %s" % (c.name, "DESC" if c.desc else "ASC") for c in self.ck)
        return q

    def token(self, pkv):
        if len(self.pk) == 1:
            return murmur3(serialize(self.pk[0].type, pkv[0]))
        b = b""
        for c, v in zip(self.pk, pkv):
            s = serialize(c.type, v)
            b += struct.pack(">H", len(s)) + s + b"\x00"
        return murmur3(b)

    def ck_cmp(self, a, b):
        for c, x, y in zip(self.ck, a, b):
            r = cmp(x, y)
            if r:
                return -r if c.desc else r
        return 0


# --------------------------------------------------------------------------
# the model


class Row:
    def __init__(self):
        self.live = False
        self.cells = {}

    def visible(self):
        return self.live or any(v is not None for v in self.cells.values())


class Partition:
    def __init__(self):
        self.static = {}
        self.rows = {}


def norm(t, v):
    """Non-frozen empty collections are null."""
    if t in COLLECTIONS and v is not None and len(v) == 0:
        return None
    if t == "set<int>" and v is not None:
        return frozenset(v)
    return v


class Model:
    def __init__(self, table):
        self.t = table
        self.parts = {}

    def part(self, pkv):
        return self.parts.setdefault(pkv, Partition())

    def row(self, pkv, ckv):
        return self.part(pkv).rows.setdefault(ckv, Row())

    def cells_of(self, pkv, ckv, col):
        return self.part(pkv).static if self.t.cols[col].kind == "static" else self.row(pkv, ckv).cells

    def set(self, pkv, ckv, col, v):
        self.cells_of(pkv, ckv, col)[col] = norm(self.t.cols[col].type, v)

    def get(self, pkv, ckv, col):
        return self.cells_of(pkv, ckv, col).get(col)

    def partitions(self):
        """(token, pk, [(ck, row dict)] in clustering order, static dict) of
        every partition with live data, in token order."""
        out = []
        for pkv, p in self.parts.items():
            rows = sorted((ck for ck, r in p.rows.items() if r.visible()),
                          key=functools.cmp_to_key(self.t.ck_cmp))
            static = {c.name: p.static.get(c.name) for c in self.t.statics}
            if not rows and all(v is None for v in static.values()):
                continue
            out.append((self.t.token(pkv), pkv, [(ck, p.rows[ck]) for ck in rows], static))
        out.sort(key=lambda x: x[0])
        return out


# --------------------------------------------------------------------------
# writes


class Op:
    """One write: its CQL (with bound values or None) and how it changes a
    model (functions of the model, so that any subset of the writes can be
    replayed on a fresh model when minimising a failure)."""

    def __init__(self, cql, params, fns):
        self.cql, self.params, self.fns = cql, params, fns

    def apply(self, model):
        for f in self.fns:
            f(model)

    def __repr__(self):
        return self.cql if self.params is None else "%s  -- bound %r" % (self.cql, self.params)


def set_cell(pkv, ckv, col, v):
    return lambda m: m.set(pkv, ckv, col, v)


def edit_cell(pkv, ckv, col, how):
    return lambda m: m.set(pkv, ckv, col, how(m.get(pkv, ckv, col)))


class Writer:
    """Generates random writes (Ops) and keeps a model of their effect."""

    def __init__(self, table, rng):
        self.t, self.rng = table, rng
        self.m = Model(table)
        self.ts = 1000000
        self.ops = []
        n_parts = rng.choice([rng.randint(2, 5), rng.randint(10, 24), rng.randint(10, 24)])
        self.pks = []
        while len(self.pks) < n_parts:
            pkv = tuple(rng.choice(c.pool) for c in table.pk)
            if pkv not in self.pks:
                self.pks.append(pkv)

    def next_ts(self):
        self.ts += 10
        return self.ts

    def emit(self, cql, fns, params=None):
        op = Op(cql, params, fns)
        op.apply(self.m)
        self.ops.append(op)

    def rand_value(self, c, allow_null=True):
        rng = self.rng
        if allow_null and rng.random() < 0.12:
            return None
        if c.type == "set<int>":
            return frozenset(rng.sample(range(10), rng.randint(0, 4)))
        if c.type == "list<int>":
            return [rng.randrange(10) for _ in range(rng.randint(0, 4))]
        if c.type == "map<text, int>":
            return {k: rng.randrange(10) for k in rng.sample(MAP_KEYS, rng.randint(0, 3))}
        return rng.choice(c.pool)

    def rand_ck(self):
        return tuple(self.rng.choice(c.pool) for c in self.t.ck)

    def where_key(self, pkv, ckv=None):
        cols = self.t.pk + (self.t.ck if ckv is not None else [])
        vals = list(pkv) + (list(ckv) if ckv is not None else [])
        return " AND ".join("%s = %s" % (c.name, lit(c.type, v)) for c, v in zip(cols, vals))

    def existing_ck(self, pkv, ckv):
        """Mostly a clustering of a row the partition has."""
        p = self.m.parts.get(pkv)
        if p and p.rows and self.rng.random() < 0.8:
            return self.rng.choice(sorted(p.rows, key=repr))
        return ckv

    def random_write(self):
        rng, t = self.rng, self.t
        pkv = rng.choice(self.pks)
        ckv = self.rand_ck()
        r = rng.random()
        if r < 0.5:
            self.insert(pkv, ckv)
        elif r < 0.72:
            self.update(pkv, ckv)
        elif r < 0.77 and t.statics:
            self.update_static(pkv)
        elif r < 0.84:
            self.delete_row(pkv, self.existing_ck(pkv, ckv))
        elif r < 0.91:
            self.delete_columns(pkv, self.existing_ck(pkv, ckv))
        elif r < 0.93:
            self.delete_partition(pkv)
        elif r < 0.97 and t.ck:
            self.delete_range(pkv)
        else:
            self.insert(pkv, ckv)

    def insert(self, pkv, ckv):
        rng, t = self.rng, self.t
        others = [c for c in t.regs + t.statics if rng.random() < 0.6]
        vals = {c.name: self.rand_value(c) for c in others}
        ts = self.next_ts()
        cols = t.pk + t.ck + others
        allv = list(pkv) + list(ckv) + [vals[c.name] for c in others]
        names = ", ".join(c.name for c in cols)

        def live(m):
            m.row(pkv, ckv).live = True

        fns = [live] + [set_cell(pkv, ckv, c.name, vals[c.name]) for c in others]
        if rng.random() < 0.3:
            q = "INSERT INTO %s (%s) VALUES (%s) USING TIMESTAMP %d" % (
                t.qname, names, ", ".join("?" for _ in cols), ts)
            self.emit(q, fns, [bind(c.type, v) for c, v in zip(cols, allv)])
        else:
            q = "INSERT INTO %s (%s) VALUES (%s) USING TIMESTAMP %d" % (
                t.qname, names, ", ".join(lit(c.type, v) for c, v in zip(cols, allv)), ts)
            self.emit(q, fns)

    def assignment(self, pkv, ckv, c):
        """One SET clause for column c and its effect."""
        rng, n = self.rng, c.name
        r = rng.random()
        if c.type == "set<int>" and r < 0.6:
            elems = frozenset(rng.sample(range(10), rng.randint(1, 3)))
            if r < 0.35:
                return ("%s = %s + %s" % (n, n, lit(c.type, elems)),
                        edit_cell(pkv, ckv, n, lambda old: (old or frozenset()) | elems))
            return ("%s = %s - %s" % (n, n, lit(c.type, elems)),
                    edit_cell(pkv, ckv, n, lambda old: (old or frozenset()) - elems))
        if c.type == "list<int>" and r < 0.6:
            elems = [rng.randrange(10) for _ in range(rng.randint(1, 3))]
            if r < 0.4:
                return ("%s = %s + %s" % (n, n, lit(c.type, elems)),
                        edit_cell(pkv, ckv, n, lambda old: (old or []) + elems))
            return ("%s = %s - %s" % (n, n, lit(c.type, elems)),
                    edit_cell(pkv, ckv, n, lambda old: [x for x in (old or []) if x not in elems]))
        if c.type == "map<text, int>" and r < 0.7:
            if r < 0.3:
                k, x = rng.choice(MAP_KEYS), rng.randrange(10)
                return ("%s[%s] = %d" % (n, lit("text", k), x),
                        edit_cell(pkv, ckv, n, lambda old: dict(old or {}, **{k: x})))
            if r < 0.5:
                add = {k: rng.randrange(10) for k in rng.sample(MAP_KEYS, rng.randint(1, 2))}
                return ("%s = %s + %s" % (n, n, lit(c.type, add)),
                        edit_cell(pkv, ckv, n, lambda old: dict(old or {}, **add)))
            keys = set(rng.sample(MAP_KEYS, rng.randint(1, 2)))
            return ("%s = %s - {%s}" % (n, n, ", ".join(lit("text", k) for k in sorted(keys))),
                    edit_cell(pkv, ckv, n, lambda old: {k: x for k, x in (old or {}).items() if k not in keys}))
        v = self.rand_value(c)
        return "%s = %s" % (n, lit(c.type, v)), set_cell(pkv, ckv, n, v)

    def update(self, pkv, ckv):
        rng, t = self.rng, self.t
        cols = rng.sample(t.regs, rng.randint(1, len(t.regs)))
        if t.statics and rng.random() < 0.3:
            cols += t.statics
        ts = self.next_ts()
        sets = [self.assignment(pkv, ckv, c) for c in cols]
        self.emit("UPDATE %s USING TIMESTAMP %d SET %s WHERE %s" % (
            t.qname, ts, ", ".join(x for x, _ in sets), self.where_key(pkv, ckv)), [f for _, f in sets])

    def update_static(self, pkv):
        ts = self.next_ts()
        sets = [self.assignment(pkv, None, c) for c in self.t.statics]
        self.emit("UPDATE %s USING TIMESTAMP %d SET %s WHERE %s" % (
            self.t.qname, ts, ", ".join(x for x, _ in sets), self.where_key(pkv)), [f for _, f in sets])

    def delete_row(self, pkv, ckv):
        ts = self.next_ts()
        has_ck = bool(self.t.ck)

        def f(m):
            if has_ck:
                m.part(pkv).rows.pop(ckv, None)
            else:  # the row is the partition
                m.part(pkv).rows.clear()

        self.emit("DELETE FROM %s USING TIMESTAMP %d WHERE %s" % (self.t.qname, ts, self.where_key(pkv, ckv)), [f])

    def delete_columns(self, pkv, ckv):
        rng, t = self.rng, self.t
        ts = self.next_ts()
        if t.statics and rng.random() < 0.25:
            s0 = t.statics[0].name
            self.emit("DELETE %s FROM %s USING TIMESTAMP %d WHERE %s" % (s0, t.qname, ts, self.where_key(pkv)),
                      [set_cell(pkv, None, s0, None)])
            return
        maps = [c for c in t.regs if c.type == "map<text, int>"]
        if maps and rng.random() < 0.3:
            c, k = maps[0], rng.choice(MAP_KEYS)
            self.emit("DELETE %s[%s] FROM %s USING TIMESTAMP %d WHERE %s" % (
                c.name, lit("text", k), t.qname, ts, self.where_key(pkv, ckv)),
                [edit_cell(pkv, ckv, c.name, lambda old: {x: y for x, y in (old or {}).items() if x != k})])
            return
        cols = rng.sample(t.regs, rng.randint(1, len(t.regs)))
        self.emit("DELETE %s FROM %s USING TIMESTAMP %d WHERE %s" % (
            ", ".join(c.name for c in cols), t.qname, ts, self.where_key(pkv, ckv)),
            [set_cell(pkv, ckv, c.name, None) for c in cols])

    def delete_partition(self, pkv):
        ts = self.next_ts()
        self.emit("DELETE FROM %s USING TIMESTAMP %d WHERE %s" % (self.t.qname, ts, self.where_key(pkv)),
                  [lambda m: m.parts.pop(pkv, None)])

    def delete_range(self, pkv):
        rng, t = self.rng, self.t
        n_eq = rng.randint(0, len(t.ck) - 1)
        ckv = self.rand_ck()
        conds = ["%s = %s" % (c.name, lit(c.type, v)) for c, v in zip(t.ck[:n_eq], ckv[:n_eq])]
        slice_col = t.ck[n_eq]
        lo = hi = None
        if n_eq == 0 or rng.random() < 0.7:
            # one or two bounds, never an empty slice
            a, b = sorted(rng.sample(slice_col.pool, 2))
            r = rng.random()
            if r < 0.7:
                lo = (rng.choice([">", ">="]), a)
                conds.append("%s %s %s" % (slice_col.name, lo[0], lit(slice_col.type, lo[1])))
            if r > 0.4 or lo is None:
                hi = (rng.choice(["<", "<="]), b)
                conds.append("%s %s %s" % (slice_col.name, hi[0], lit(slice_col.type, hi[1])))
        ts = self.next_ts()

        def f(m):
            p = m.part(pkv)
            for ck in list(p.rows):
                if ck[:n_eq] != ckv[:n_eq]:
                    continue
                v = ck[n_eq]
                if (lo is None or sat(lo[0], v, lo[1])) and (hi is None or sat(hi[0], v, hi[1])):
                    del p.rows[ck]

        self.emit("DELETE FROM %s USING TIMESTAMP %d WHERE %s AND %s" % (
            t.qname, ts, self.where_key(pkv), " AND ".join(conds)), [f])


def execute_ops(session, ops, prepared_cache, qname=None, new_qname=None):
    for op in ops:
        cql = op.cql if qname is None else op.cql.replace(qname, new_qname)
        trace(cql, op.params)
        if op.params is None:
            session.execute(SimpleStatement(cql))
        else:
            stmt = prepared_cache.get(cql)
            if stmt is None:
                stmt = prepared_cache[cql] = session.prepare(cql)
            session.execute(stmt, op.params)


# --------------------------------------------------------------------------
# queries


class Rel:
    """One WHERE relation: text with {} per value slot, the slots (("one",
    type, value): a literal or a marker; ("in", type, [values]): an IN list,
    its values or one list marker; ("lit", type, value): always a literal), a
    predicate on a row dict, and what it restricts (pk, token, ck, static,
    reg)."""

    def __init__(self, text, slots, pred, kind):
        self.text, self.slots, self.pred, self.kind = text, slots, pred, kind


class Sel:
    """One selector: CQL text, result type, and either the column of a plain
    selector or fn = (aggregate, column or None for count(*), column type)."""

    def __init__(self, text, typ, col=None, fn=None):
        self.text, self.type, self.col, self.fn = text, typ, col, fn


def kahan(vals):
    s = c = 0.0
    for x in vals:
        y = x - c
        r = s + y
        c = (r - s) - y
        s = r
    return s + c


def aggregate(fn, col, typ, rows):
    if fn == "count" and col is None:
        return len(rows)
    vals = [r[col] for r in rows if r[col] is not None]
    if fn == "count":
        return len(vals)
    if fn in ("min", "max"):
        return (min if fn == "min" else max)(vals) if vals else None
    if typ == "double":
        s = kahan(vals)
        return s if fn == "sum" else (s / len(vals) if vals else 0.0)
    s = sum(vals)
    if fn == "sum":
        return wrap(s, INT_BITS[typ])
    if not vals:
        return 0
    q = abs(s) // len(vals)
    return -q if s < 0 else q


class Query:
    def __init__(self):
        self.kind = "rows"       # rows | agg | group | distinct
        self.sels = []
        self.rels = []
        self.group = 0           # GROUP BY pk + this many clustering columns
        self.reverse = False
        self.order_by = ""
        self.post_order = None   # IN + ORDER BY: [(column, descending)] to sort partitions' rows by
        self.limit = None
        self.ppl = None
        self.allow_filtering = False
        self.fetch_size = 5000
        self.prepared = False
        self.in_list_marker = False
        self.bound_limits = False

    def render(self, table, literal=False):
        """(query text, bound values); literal=True inlines every value."""
        binds = []
        prepared = self.prepared and not literal

        def slot(s):
            kind, t, v = s
            if kind == "lit":
                return lit(t, v)
            if kind == "one":
                if prepared:
                    binds.append(bind(t, v))
                    return "?"
                return lit(t, v)
            if prepared and self.in_list_marker:
                binds.append([bind(t, x) for x in v])
                return "?"
            if prepared:
                binds.extend(bind(t, x) for x in v)
                return "(" + ", ".join("?" for _ in v) + ")"
            return "(" + ", ".join(lit(t, x) for x in v) + ")"

        q = "SELECT %s%s FROM %s" % ("DISTINCT " if self.kind == "distinct" else "",
                                     ", ".join(s.text for s in self.sels), table.qname)
        if self.rels:
            q += " WHERE " + " AND ".join(r.text.format(*[slot(s) for s in r.slots]) for r in self.rels)
        if self.kind == "group":
            q += " GROUP BY " + ", ".join(c.name for c in table.pk + table.ck[:self.group])
        if self.order_by:
            q += " ORDER BY " + self.order_by
        for word, n in (("PER PARTITION LIMIT", self.ppl), ("LIMIT", self.limit)):
            if n is not None:
                if prepared and self.bound_limits:
                    q += " %s ?" % word
                    binds.append(n)
                else:
                    q += " %s %d" % (word, n)
        if self.allow_filtering:
            q += " ALLOW FILTERING"
        return q, binds


class QueryGen:
    def __init__(self, table, rng, pks):
        self.t, self.rng, self.pks = table, rng, pks

    # values -------------------------------------------------------------
    def val(self, c):
        """Mostly a value of the column's pool (so relations hit)."""
        rng = self.rng
        if c.type == "boolean":
            return rng.choice([False, True])
        if rng.random() < 0.85 or c.type == "uuid":
            return rng.choice(c.pool)
        if c.type in INT_BITS:
            return rng.randint(-40, 40)
        if c.type == "text":
            return rng.choice(TEXTS)
        if c.type == "double":
            return rng.randint(-400, 400) / 8.0
        if c.type == "timestamp":
            return rng.randint(-2 * 10 ** 11, 4 * 10 ** 12)
        raise AssertionError(c.type)

    # relations ------------------------------------------------------------
    def eq(self, c, kind, op="=", v=None):
        v = self.val(c) if v is None else v
        name = c.name
        return Rel("%s %s {}" % (name, op), [("one", c.type, v)],
                   lambda r, n=name, o=op, w=v: sat(o, r[n], w), kind)

    def in_rel(self, c, kind, vals=None, unique=False):
        vals = vals or [self.val(c) for _ in range(self.rng.randint(1, 4))]
        if unique:
            vals = list(dict.fromkeys(vals))
        name = c.name
        return Rel("%s IN {}" % name, [("in", c.type, vals)],
                   lambda r, n=name, w=tuple(vals): sat("IN", r[n], w), kind)

    def slice_rels(self, c, kind):
        rng = self.rng
        out = []
        r = rng.random()
        if r < 0.75:
            out.append(self.eq(c, kind, rng.choice([">", ">="])))
        if r > 0.4:
            out.append(self.eq(c, kind, rng.choice(["<", "<="])))
        return out

    def scalar_filter(self, c, kind):
        """Filter relations on a regular / static scalar column."""
        rng = self.rng
        ops = ["=", "IN"] + (["!="] if NEQ else [])
        if c.type in ORDERED:
            ops += ["<", "<=", ">", ">=", "slice", "slice"]
        op = rng.choice(ops)
        if op == "IN":
            return [self.in_rel(c, kind)]
        if op == "slice":
            return self.slice_rels(c, kind)
        return [self.eq(c, kind, op)]

    def collection_filter(self, c):
        rng, name = self.rng, c.name
        out = []
        for _ in range(rng.choice([1, 1, 1, 2])):
            if c.type == "map<text, int>":
                r = rng.random()
                if r < 0.35:
                    k = rng.choice(MAP_KEYS)
                    out.append(Rel("%s CONTAINS KEY {}" % name, [("lit", "text", k)],
                                   lambda row, n=name, k=k: row[n] is not None and k in row[n], "reg"))
                elif r < 0.7:
                    x = rng.randrange(10)
                    out.append(Rel("%s CONTAINS {}" % name, [("lit", "int", x)],
                                   lambda row, n=name, x=x: row[n] is not None and x in row[n].values(), "reg"))
                else:
                    k, x = rng.choice(MAP_KEYS), rng.randrange(10)
                    out.append(Rel("%s[{}] = {}" % name, [("lit", "text", k), ("lit", "int", x)],
                                   lambda row, n=name, k=k, x=x: row[n] is not None and row[n].get(k) == x,
                                   "reg"))
            else:
                x = rng.randrange(10)
                out.append(Rel("%s CONTAINS {}" % name, [("lit", "int", x)],
                               lambda row, n=name, x=x: row[n] is not None and x in row[n], "reg"))
        return out

    def pk_value(self):
        if self.rng.random() < 0.85:
            return self.rng.choice(self.pks)
        return tuple(self.rng.choice(c.pool) for c in self.t.pk)

    def pk_rels(self, q, mode):
        """Partition key restrictions; returns how the partitions are chosen."""
        rng, t = self.rng, self.t
        if mode == "eq":
            pkv = self.pk_value()
            q.rels += [self.eq(c, "pk", "=", v) for c, v in zip(t.pk, pkv)]
        elif mode == "in":
            base = [self.pk_value() for _ in range(rng.randint(1, 4))]
            for i, c in enumerate(t.pk):
                vals = [b[i] for b in base]
                if len(set(vals)) == 1 and rng.random() < 0.5:
                    q.rels.append(self.eq(c, "pk", "=", vals[0]))
                else:
                    q.rels.append(self.in_rel(c, "pk", vals + ([vals[0]] if rng.random() < 0.2 else [])))
        elif mode == "token":
            names = ", ".join(c.name for c in t.pk)
            tokens = [t.token(p) for p in self.pks]

            def tok():
                if rng.random() < 0.8:
                    return rng.choice(tokens) + rng.choice([0, 0, 0, -1, 1])
                return rng.randint(-2 ** 63 + 1, 2 ** 63 - 1)

            def clamp(v):
                return max(-2 ** 63 + 1, min(2 ** 63 - 1, v))

            r = rng.random()
            bounds = []
            if r < 0.15:
                bounds.append(("=", clamp(tok())))
            else:
                if r < 0.75:
                    bounds.append((rng.choice([">", ">="]), clamp(tok())))
                if r > 0.45:
                    bounds.append((rng.choice(["<", "<="]), clamp(tok())))
            for op, v in bounds:
                q.rels.append(Rel("token(%s) %s {}" % (names, op), [("one", "bigint", v)],
                                  lambda r, o=op, w=v: sat(o, r["__token"], w), "token"))
        elif mode == "pkfilter":
            # partition key columns filtered (ALLOW FILTERING): = on some
            # components of a composite key, slices on any ordered one; never
            # IN (Cassandra: "IN restrictions are not supported when the query
            # involves filtering")
            cols = [c for c in t.pk]
            rng.shuffle(cols)
            chosen = cols[:rng.randint(1, len(cols))]
            eqs = 0
            for c in chosen:
                can_eq = len(t.pk) > 1 and eqs < len(t.pk) - 1
                if c.type in ORDERED and (not can_eq or rng.random() < 0.6):
                    q.rels += self.slice_rels(c, "pk")
                elif can_eq:
                    q.rels.append(self.eq(c, "pk", "="))
                    eqs += 1
            q.allow_filtering = True

    def ck_rels(self, q, pk_restricted):
        """Clustering restrictions. Returns whether they form a prefix the
        read can serve without filtering (EQ/IN prefix then one slice)."""
        rng, t = self.rng, self.t
        if not t.ck or rng.random() < 0.35:
            return True
        if rng.random() < 0.15:
            # multi-column relation on a prefix of one clustering order
            n = 1
            while n < len(t.ck) and t.ck[n].desc == t.ck[0].desc and rng.random() < 0.7:
                n += 1
            cols = t.ck[:n]
            names = "(" + ", ".join(c.name for c in cols) + ")"
            tup = "(" + ", ".join("{}" for _ in cols) + ")"

            def tv():
                return tuple(self.val(c) for c in cols)

            def key(r):
                return tuple(r[c.name] for c in cols)

            def ok(r):
                return all(r[c.name] is not None for c in cols)

            kind = rng.choice(["=", "IN", "slice"])
            if kind == "IN" and n == 1:
                kind = "="
            if kind == "=":
                v = tv()
                q.rels.append(Rel(names + " = " + tup, [("one", c.type, x) for c, x in zip(cols, v)],
                                  lambda r, v=v: ok(r) and key(r) == v, "ck"))
            elif kind == "IN":
                vs = [tv() for _ in range(rng.randint(1, 3))]
                if rng.random() < 0.3:
                    vs.append(vs[0])
                # (c0, c1) IN ((?, ?), (?, ?)): one slot per element
                text = names + " IN (" + ", ".join(tup for _ in vs) + ")"
                slots = [("one", c.type, x) for v in vs for c, x in zip(cols, v)]
                q.rels.append(Rel(text, slots, lambda r, vs=tuple(vs): ok(r) and key(r) in vs, "ck"))
            else:
                r0 = rng.random()
                if r0 < 0.75:
                    op, v = rng.choice([">", ">="]), tv()
                    q.rels.append(Rel(names + " " + op + " " + tup, [("one", c.type, x) for c, x in zip(cols, v)],
                                      lambda r, o=op, v=v: ok(r) and sat(o, key(r), v), "ck"))
                if r0 > 0.4:
                    op, v = rng.choice(["<", "<="]), tv()
                    q.rels.append(Rel(names + " " + op + " " + tup, [("one", c.type, x) for c, x in zip(cols, v)],
                                      lambda r, o=op, v=v: ok(r) and sat(o, key(r), v), "ck"))
            return True
        # single-column relations: an EQ/IN prefix, maybe a slice
        n_eq = rng.randint(0, len(t.ck))
        unique = False
        for c in t.ck[:n_eq]:
            if rng.random() < 0.3:
                q.rels.append(self.in_rel(c, "ck", unique=unique))
            else:
                q.rels.append(self.eq(c, "ck"))
        prefix = True
        if n_eq < len(t.ck) and rng.random() < 0.6:
            q.rels += self.slice_rels(t.ck[n_eq], "ck")
            n_eq += 1
        # with ALLOW FILTERING: more restrictions on later clustering columns
        if rng.random() < 0.35:
            for c in t.ck[n_eq:]:
                if rng.random() < 0.5:
                    r = rng.random()
                    if r < 0.4:
                        q.rels.append(self.eq(c, "ck"))
                    elif r < 0.55 and NEQ:
                        q.rels.append(self.eq(c, "ck", "!="))
                    else:
                        q.rels += self.slice_rels(c, "ck")
                    prefix = False
        return prefix

    def filters(self, q):
        rng, t = self.rng, self.t
        cands = t.regs + t.statics
        n = rng.choice([1, 1, 1, 2, 2, 3])
        for c in rng.sample(cands, min(n, len(cands))):
            if c.type in COLLECTIONS:
                q.rels += self.collection_filter(c)
            else:
                q.rels += self.scalar_filter(c, "static" if c.kind == "static" else "reg")

    # selections -----------------------------------------------------------
    def plain_sels(self, force_pk=False, allow_colls=True):
        rng, t = self.rng, self.t
        rest = [c for c in t.ck + t.regs if allow_colls or c.type not in COLLECTIONS]
        chosen = rng.sample(rest, rng.randint(1, len(rest)))
        pks = list(t.pk) if force_pk else [c for c in t.pk if rng.random() < 0.5]
        statics = [c for c in t.statics if rng.random() < 0.5]
        cols = pks + chosen + statics
        rng.shuffle(cols)
        return [Sel(c.name, c.type, col=c.name) for c in cols]

    def agg_sels(self, n):
        rng, t = self.rng, self.t
        out = []
        nonstatic = False
        cands = [c for c in t.pk + t.ck + t.regs + t.statics if c.type not in COLLECTIONS]
        for _ in range(n):
            r = rng.random()
            if r < 0.15:
                out.append(Sel(rng.choice(["count(*)", "count(*)", "COUNT(1)"]), "bigint", fn=("count", None, None)))
                continue
            c = rng.choice(cands)
            fns = ["count"]
            if c.type in MINMAX:
                fns += ["min", "max"]
            if c.type in NUMERIC:
                fns += ["sum", "avg", "sum", "avg"]
            fn = rng.choice(fns)
            out.append(Sel("%s(%s)" % (fn, c.name), "bigint" if fn == "count" else c.type, fn=(fn, c.name, c.type)))
            nonstatic = nonstatic or c.kind in ("ck", "reg")
        if any(s.fn[1] and t.cols[s.fn[1]].kind == "static" for s in out) and not nonstatic:
            c = rng.choice(t.regs + t.ck)
            out.append(Sel("count(%s)" % c.name, "bigint", fn=("count", c.name, c.type)))
        # distinct selectors keep result column names unique
        seen, uniq = set(), []
        for s in out:
            key = s.fn[:2]
            if key not in seen:
                seen.add(key)
                uniq.append(s)
        return uniq

    # whole queries ----------------------------------------------------------
    def query(self):
        rng, t = self.rng, self.t
        q = Query()
        r = rng.random()
        q.kind = "rows" if r < 0.45 else "agg" if r < 0.65 else "group" if r < 0.88 else "distinct"
        q.prepared = rng.random() < 0.5
        q.in_list_marker = rng.random() < 0.3
        q.bound_limits = rng.random() < 0.5
        q.fetch_size = rng.choice(FETCH_SIZES)

        if q.kind == "distinct":
            mode = rng.choice(["none", "none", "eq", "in", "token"])
            self.pk_rels(q, mode)
            cols = list(t.pk) + [c for c in t.statics if rng.random() < 0.7]
            rng.shuffle(cols)
            q.sels = [Sel(c.name, c.type, col=c.name) for c in cols]
            if rng.random() < 0.4:
                q.limit = rng.randint(1, 8)
            q.pk_mode = mode
            self.fix_fetch_size(q)
            return q

        mode = rng.choice(["none", "none", "eq", "eq", "eq", "in", "in", "token", "pkfilter"])
        self.pk_rels(q, mode)
        q.pk_mode = mode
        pk_restricted = mode in ("eq", "in")
        prefix = self.ck_rels(q, pk_restricted)
        has_ck = any(r.kind == "ck" for r in q.rels)
        if rng.random() < 0.45:
            self.filters(q)
        has_filter = any(r.kind in ("reg", "static") for r in q.rels)
        needs_af = (not prefix or has_filter or mode == "pkfilter" or (has_ck and not pk_restricted))
        q.allow_filtering = needs_af or rng.random() < 0.3
        ck_in = any(r.kind == "ck" and " IN " in r.text for r in q.rels)

        plain = [c for c in t.ck + t.scalars]
        if q.kind == "rows":
            q.sels = self.plain_sels(force_pk=(mode == "in"), allow_colls=not ck_in)
        elif q.kind == "agg":
            q.sels = self.agg_sels(rng.randint(1, 4))
            if plain and mode != "in" and rng.random() < 0.3:
                # a plain column takes the value of the first row (null without rows)
                c = rng.choice(plain)
                q.sels.insert(rng.randint(0, len(q.sels)), Sel(c.name, c.type, col=c.name))
        else:
            q.group = rng.randint(0, len(t.ck))
            group_cols = t.pk + t.ck[:q.group]
            keep = [c for c in group_cols if c.kind == "pk" and mode == "in" or rng.random() < 0.6]
            outside = [c for c in plain if c not in group_cols]
            if outside and rng.random() < 0.3:
                # a column outside the groups takes the value of the group's first row
                keep.append(rng.choice(outside))
            q.sels = [Sel(c.name, c.type, col=c.name) for c in keep] + self.agg_sels(rng.randint(1, 3))
            rng.shuffle(q.sels)

        # IN + ORDER BY (paging off): rows of all partitions sorted on the
        # ORDER BY columns; static-only rows (null clustering) kept out
        post = (mode == "in" and q.kind == "rows" and t.ck and rng.random() < 0.3 and
                (not t.statics or any(r.kind in ("ck", "reg") for r in q.rels)))
        if (mode == "eq" or post) and t.ck and q.kind != "agg" and rng.random() < (1 if post else 0.35):
            q.reverse = rng.random() < 0.7
            n = rng.randint(1, len(t.ck))
            q.order_by = ", ".join("%s %s" % (c.name, "ASC" if c.desc == q.reverse else "DESC")
                                   for c in t.ck[:n])
            if post:
                q.post_order = [(c.name, c.desc != q.reverse) for c in t.ck[:n]]
                have = {s.col for s in q.sels}
                q.sels += [Sel(c.name, c.type, col=c.name) for c in t.ck[:n] if c.name not in have]
        if rng.random() < 0.35:
            q.limit = rng.choice([1, 2, 3, 5, 10, 40])
        if rng.random() < 0.2 and t.ck:
            q.ppl = rng.choice([1, 2, 3])
        self.fix_fetch_size(q)
        if post:
            q.fetch_size = None  # Cassandra: "Cannot page queries with both ORDER BY and a IN restriction ..."
        return q

    def fix_fetch_size(self, q):
        """No query form needs a workaround today (see KNOWN_BUGS)."""


# --------------------------------------------------------------------------
# evaluating a query on the model


def candidate_rows(table, model, q):
    """Per partition (token order): (pk, [row dicts]) passing every relation,
    in the order the read returns them."""
    restricts_rows = any(r.kind in ("ck", "reg") for r in q.rels)
    out = []
    for tok, pkv, rows, static in model.partitions():
        base = {c.name: v for c, v in zip(table.pk, pkv)}
        base["__token"] = tok
        base.update(static)
        if q.kind == "distinct":
            cands = [dict(base)]
        elif rows:
            cands = []
            for ckv, row in rows:
                d = dict(base)
                d.update({c.name: v for c, v in zip(table.ck, ckv)})
                d.update({c.name: row.cells.get(c.name) for c in table.regs})
                cands.append(d)
        elif not restricts_rows:
            d = dict(base)
            d.update({c.name: None for c in table.ck + table.regs})
            cands = [d]
        else:
            cands = []
        cands = [d for d in cands if all(r.pred(d) for r in q.rels)]
        if q.reverse:
            cands.reverse()
        if cands:
            out.append((pkv, cands))
    return out


def project(q, d):
    return tuple(d[s.col] for s in q.sels)


def expected(table, model, q):
    """(blocks, single): blocks = [(pk, [result tuples])] in token order, to
    be cut by LIMIT by the checker; single = True when the answer is one
    aggregate row."""
    parts = candidate_rows(table, model, q)
    if q.kind == "agg":
        rows = [d for _, ds in parts for d in ds]
        res = tuple(aggregate(s.fn[0], s.fn[1], s.fn[2], rows) if s.fn else (rows[0][s.col] if rows else None)
                    for s in q.sels)
        return [(None, [res])], True
    blocks = []
    for pkv, ds in parts:
        if q.kind == "group":
            groups = []
            for d in ds:
                key = tuple(d[c.name] for c in table.pk + table.ck[:q.group])
                if groups and groups[-1][0] == key:
                    groups[-1][1].append(d)
                else:
                    groups.append((key, [d]))
            res = []
            for _, g in groups:
                res.append(tuple(g[0][s.col] if s.fn is None else aggregate(s.fn[0], s.fn[1], s.fn[2], g)
                                 for s in q.sels))
        else:
            res = [project(q, d) for d in ds]
        if q.ppl is not None:
            res = res[:q.ppl]
        blocks.append((pkv, res))
    return blocks, False


def check_post_ordered(table, q, blocks, got, want_len):
    """IN + ORDER BY: `got` sorted on the ORDER BY columns, each partition's
    rows a prefix of its rows in order, and LIMIT cutting the sorted whole."""
    pos = {s.col: i for i, s in enumerate(q.sels)}

    def ocmp(a, b):
        for col, desc in q.post_order:
            r = cmp(a[pos[col]], b[pos[col]])
            if r:
                return -r if desc else r
        return 0

    if len(got) != want_len:
        return "expected %d rows, got %d" % (want_len, len(got))
    for i in range(len(got) - 1):
        if ocmp(got[i], got[i + 1]) > 0:
            return "rows %d and %d are not in ORDER BY order" % (i, i + 1)
    for pkv, b in blocks:
        mine = [r for r in got if tuple(r[pos[c.name]] for c in table.pk) == pkv]
        if mine != b[:len(mine)]:
            return "partition %r: its rows are not a prefix of its rows in order" % (pkv,)
        if got and any(ocmp(r, got[-1]) < 0 for r in b[len(mine):]):
            return "partition %r: a row sorting before the last one is missing" % (pkv,)
    return None


def check_answer(table, q, blocks, single, got):
    """None if `got` is a correct answer, else a reason."""
    if single:
        return None if got == blocks[0][1] else "aggregate row differs"
    total = sum(len(b) for _, b in blocks)
    want_len = total if q.limit is None else min(total, q.limit)
    if q.post_order:
        return check_post_ordered(table, q, blocks, got, want_len)
    if q.pk_mode != "in" or len(blocks) <= 1:
        flat = [r for _, b in blocks for r in b][:want_len]
        return None if got == flat else "rows differ"
    # IN on the partition key: the partitions' blocks in any order
    if len(got) != want_len:
        return "expected %d rows, got %d" % (want_len, len(got))
    remaining = [b for _, b in blocks]
    i = 0
    while i < len(got):
        for b in remaining:
            n = min(len(b), len(got) - i)
            if got[i:i + n] == b[:n]:
                remaining.remove(b)
                i += n
                break
        else:
            return "row %d does not start the rest of any partition: %r" % (i, got[i])
    return None


# --------------------------------------------------------------------------
# running queries


class Runner:
    def __init__(self, session, table):
        self.s, self.t = session, table
        self.prepared = {}
        self.pages = 0

    def fetch(self, q):
        text, binds = q.render(self.t)
        trace(q.render(self.t, literal=True)[0] + "  -- %s, fetch_size %s" % (
            "prepared" if q.prepared else "unprepared", q.fetch_size))
        if q.prepared:
            stmt = self.prepared.get(text)
            if stmt is None:
                stmt = self.prepared[text] = self.s.prepare(text)
            stmt = stmt.bind(binds)
        else:
            stmt = SimpleStatement(text)
        stmt.fetch_size = q.fetch_size
        rows, ps, n = [], None, 0
        while True:
            rs = self.s.execute(stmt, paging_state=ps)
            page = [tuple(r) for r in rs.current_rows]
            n += 1
            if q.fetch_size and q.kind in ("rows", "distinct") and len(page) > q.fetch_size:
                raise AssertionError("page of %d rows with fetch_size %d" % (len(page), q.fetch_size))
            rows += page
            ps = rs.paging_state
            if ps is None:
                break
            assert n < 5000, "paging does not end"
        self.pages += n
        return [tuple(from_driver(s.type, v) for s, v in zip(q.sels, r)) for r in rows]


def short(rows, n=25):
    s = "\n".join("    %r" % (r,) for r in rows[:n])
    if len(rows) > n:
        s += "\n    ... (%d rows)" % len(rows)
    return s or "    (none)"


# --------------------------------------------------------------------------
# the test

SHAPES = [
    # (pk columns, clustering columns, static?, regular columns, collections);
    # the cases past these draw their shape at random
    (1, 2, True, 4, 2),
    (2, 3, True, 3, 1),
    (1, 0, False, 4, 1),
]


def build_case(ks, case, base_seed=None):
    """Everything a case does, drawn from its seed before anything runs:
    (seed, table, writes, their model, queries)."""
    seed = (BASE_SEED if base_seed is None else base_seed) * 100 + case
    rng = random.Random(seed)
    shape = SHAPES[case] if case < len(SHAPES) else None
    if shape is None:
        n_reg = rng.randint(1, 4)
        shape = (rng.randint(1, 2), rng.randint(0, 3), rng.random() < 0.5, n_reg, rng.randint(0, min(2, n_reg)))
    table = Table(rng, ks, "t", shape)
    writer = Writer(table, rng)
    for _ in range(N_WRITES):
        writer.random_write()
    gen = QueryGen(table, rng, writer.pks)
    queries = [gen.query() for _ in range(N_QUERIES)]
    rejected = rejected_queries(table, rng, writer)
    return seed, table, writer.ops, writer.m, queries, rejected


def rejected_queries(t, rng, writer):
    """Forms Cassandra refuses without ALLOW FILTERING."""
    out = []
    scal = t.scalars + t.statics
    if scal:
        c = rng.choice(scal)
        out.append("SELECT %s FROM %s WHERE %s = %s" % (t.pk[0].name, t.qname, c.name, lit(c.type, c.pool[0])))
        out.append("SELECT %s FROM %s WHERE %s AND %s = %s" % (
            t.pk[0].name, t.qname, writer.where_key(writer.pks[0]), c.name, lit(c.type, c.pool[0])))
    if t.ck:
        c = t.ck[0]
        out.append("SELECT %s FROM %s WHERE %s = %s" % (c.name, t.qname, c.name, lit(c.type, c.pool[0])))
    colls = [c for c in t.regs if c.type in COLLECTIONS]
    if colls:
        out.append("SELECT %s FROM %s WHERE %s CONTAINS 1" % (t.pk[0].name, t.qname, colls[0].name))
    c = t.pk[-1]
    if len(t.pk) > 1:
        out.append("SELECT %s FROM %s WHERE %s = %s" % (c.name, t.qname, c.name, lit(c.type, c.pool[0])))
    elif c.type in ORDERED:
        out.append("SELECT %s FROM %s WHERE %s > %s" % (c.name, t.qname, c.name, lit(c.type, c.pool[0])))
    return out


def check_query(runner, table, model, q):
    """(reason or None, expected blocks, rows got)."""
    blocks, single = expected(table, model, q)
    try:
        got = runner.fetch(q)
    except InvalidRequest as e:
        return "rejected: %s" % server_message(e), blocks, []
    except AssertionError as e:  # a page larger than fetch_size, endless paging
        return str(e), blocks, []
    return check_answer(table, q, blocks, single, got), blocks, got


def describe(table, q, i, reason, blocks, got):
    text, binds = q.render(table)
    want = [r for _, b in blocks for r in b]
    return "query %d (%s, fetch_size %s): %s\n  %s\n  bound: %r\nexpected%s:\n%s\ngot:\n%s" % (
        i, "prepared" if q.prepared else "unprepared", q.fetch_size, reason, q.render(table, literal=True)[0],
        binds if q.prepared else None,
        " (sorted on ORDER BY, then LIMIT %s)" % q.limit if q.post_order else
        " (partitions in any order, then LIMIT %s)" % q.limit if q.pk_mode == "in" and len(blocks) > 1 else "",
        short(want), short(got))


def run_queries(session, table, model, queries, how, first=0):
    """Checks queries against the model: (failures, stats)."""
    runner = Runner(session, table)
    failures = []
    nonempty = 0
    for i, q in enumerate(queries, first):
        reason, blocks, got = check_query(runner, table, model, q)
        nonempty += bool(got)
        if reason:
            failures.append(how + "\n" + describe(table, q, i, reason, blocks, got))
            if not KEEP_GOING:
                break
    return failures, (len(queries), nonempty, runner.pages)


def check_rejected(session, texts, how):
    failures = []
    for text in texts:
        try:
            session.execute(SimpleStatement(text))
        except InvalidRequest as e:
            if server_message(e) != ALLOW_FILTERING_MSG:
                failures.append("%s\nrejected with another message: %s\n  %s" % (how, server_message(e), text))
        else:
            failures.append("%s\naccepted without ALLOW FILTERING:\n  %s" % (how, text))
    return failures


def report(name, seed, ops, stats, failures):
    print("differential %s seed %d: %d writes, %d queries checked (%d with rows), %d pages, %d failures" % (
        (name, seed, len(ops)) + stats + (len(failures),)))
    if failures:
        pytest.fail("\n\n".join(failures[:40]) + "\n\nwrites (%d):\n%s" % (
            len(ops), "\n".join(map(repr, ops))), pytrace=False)


@pytest.mark.parametrize("case", range(N_CASES), ids=["table%d" % i for i in range(N_CASES)])
def test_differential(session, unique_keyspace, case):
    seed, table, ops, model, queries, rejected = build_case(unique_keyspace, case)
    how = "RINGDB_DIFF_SEED=%d (case %d, seed %d)\n%s" % (BASE_SEED, case, seed, table.ddl())
    trace(table.ddl())
    session.execute(table.ddl())
    execute_ops(session, ops, {})
    failures, stats = run_queries(session, table, model, queries, how)
    failures += check_rejected(session, rejected, how)
    report("case %d" % case, seed, ops, (stats[0] + len(rejected),) + stats[1:], failures)


# One more case on a private server whose memtables flush at 1 MiB: the
# writes go in three batches, each followed by ~1.2 MiB of filler in another
# table, so the table's cells, tombstones and overwrites are spread over
# several sstables and the memtable; half the queries run before a clean
# restart (commit-log replay, sstables loaded at start) and half after.
LSM_CASE = N_CASES
LSM_ARGS = ["--set", "memtable_heap_space=1MiB", "--set", "commitlog_segment_size=1MiB"]


def lsm_connect(make_cluster, proc):
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, ExecutionProfile
    from cassandra.policies import WhiteListRoundRobinPolicy

    profiles = {EXEC_PROFILE_DEFAULT: ExecutionProfile(
        load_balancing_policy=WhiteListRoundRobinPolicy([proc.host]), request_timeout=30)}
    return make_cluster(host=proc.host, port=proc.port, execution_profiles=profiles).connect()


def test_differential_sstables(private_server, make_cluster):
    from cassandra.concurrent import execute_concurrent_with_args

    proc = private_server(extra_args=LSM_ARGS)
    session = lsm_connect(make_cluster, proc)
    ks = "ks_differential_sstables"
    session.execute("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
                    % ks)
    session.execute("CREATE TABLE %s.filler (k text PRIMARY KEY, v text)" % ks)
    fill = session.prepare("INSERT INTO %s.filler (k, v) VALUES (?, ?)" % ks)
    seed, table, ops, model, queries, rejected = build_case(ks, LSM_CASE)
    how = "RINGDB_DIFF_SEED=%d (sstables case, seed %d)\n%s" % (BASE_SEED, seed, table.ddl())
    session.execute(table.ddl())
    n = len(ops)
    for i, part in enumerate((ops[:n // 3], ops[n // 3:2 * n // 3], ops[2 * n // 3:])):
        execute_ops(session, part, {})
        execute_concurrent_with_args(session, fill, [("%d-%d" % (i, j), "f" * 900) for j in range(1400)],
                                     concurrency=64)
    toc = glob.glob(os.path.join(proc.data_dir, "data", ks, "t-*", "*-TOC.db"))
    assert toc, "no sstable of %s.t was flushed (%s)" % (ks, how)

    half = len(queries) // 2
    failures, stats1 = run_queries(session, table, model, queries[:half], how + "\nbefore the restart:")
    proc.restart()
    session = lsm_connect(make_cluster, proc)
    f2, stats2 = run_queries(session, table, model, queries[half:], how + "\nafter the restart:", first=half)
    failures += f2
    stats = tuple(a + b for a, b in zip(stats1, stats2))
    report("sstables case (%d sstables)" % len(toc), seed, ops, stats, failures)


# --------------------------------------------------------------------------
# minimising a failure by hand (see the module docstring)


def minimise(base_seed, case, qi):
    from conftest import new_cluster

    host, port = os.environ.get("RINGDB_HOST", "127.0.0.1"), int(os.environ.get("RINGDB_PORT", "9042"))
    cluster = new_cluster(host, port)
    session = cluster.connect()
    ks = "ks_diff_minimise"
    session.execute("DROP KEYSPACE IF EXISTS " + ks)
    session.execute("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
                    % ks)
    seed, table, ops, model, queries, rejected = build_case(ks, case, base_seed)
    q = queries[qi]
    tables = iter(range(1, 1000000))

    def attempt(subset):
        old = table.qname
        table.name = "t%d" % next(tables)
        try:
            session.execute(table.ddl())
            execute_ops(session, subset, {}, old, table.qname)
            m = Model(table)
            for op in subset:
                op.apply(m)
            reason, blocks, got = check_query(Runner(session, table), table, m, q)
            session.execute("DROP TABLE " + table.qname)
            return reason, blocks, got
        finally:
            table.name = "t"

    if not attempt(ops)[0]:
        print("query %d of case %d (seed %d) does not fail" % (qi, case, seed))
        return 1
    cur, n = list(ops), 2
    while len(cur) >= 2:
        chunk = max(1, len(cur) // n)
        for i in range(0, len(cur), chunk):
            rest = cur[:i] + cur[i + chunk:]
            if attempt(rest)[0]:
                cur, n = rest, max(n - 1, 2)
                break
        else:
            if chunk == 1:
                break
            n = min(len(cur), n * 2)
    reason, blocks, got = attempt(cur)
    table.name = "t1"
    print(table.ddl() + ";")
    for op in cur:
        print(repr(op).replace("%s.t " % ks, table.qname + " ") + ";")
    print(describe(table, q, qi, reason, blocks, got))
    session.execute("DROP KEYSPACE " + ks)
    cluster.shutdown()
    return 0


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 4:
        sys.exit("usage: test_differential.py SEED CASE QUERY")
    sys.exit(minimise(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
