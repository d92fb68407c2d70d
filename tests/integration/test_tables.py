"""Table DDL: CREATE TABLE [IF NOT EXISTS] (single and composite partition
keys, clustering columns and CLUSTERING ORDER BY, static columns, every
table option and Cassandra's defaults in system_schema.tables), the driver's
export_as_string(), ALTER TABLE ADD/DROP/RENAME/WITH, DROP TABLE [IF EXISTS],
TRUNCATE, quoted names and case rules, and Cassandra's error classes and
messages for rejected DDL.

Reference: Apache Cassandra 4.1/5.0 (cql3/statements/schema/CreateTableStatement,
AlterTableStatement, DropTableStatement, schema/SchemaKeyspace.addTableParamsToRowBuilder,
TableParams/CompactionParams/CompressionParams defaults) and python-driver 3.25
(metadata.py: SchemaParserV4, TableMetadataV3.export_as_string).
"""

import pytest
from cassandra import AlreadyExists, InvalidRequest
from cassandra.protocol import ConfigurationException, SyntaxException

from ringdb_testlib import ERR_ALREADY_EXISTS, OP_ERROR, Reader, server_message

STCS = "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy"
LCS = "org.apache.cassandra.db.compaction.LeveledCompactionStrategy"
LZ4 = "org.apache.cassandra.io.compress.LZ4Compressor"
SNAPPY = "org.apache.cassandra.io.compress.SnappyCompressor"

# What Cassandra 4.1/5.0 stores in system_schema.tables for a table created
# with no options (and cdc_enabled: false, the default memtable).
DEFAULTS = {
    "additional_write_policy": "99p",
    "bloom_filter_fp_chance": 0.01,
    "caching": {"keys": "ALL", "rows_per_partition": "NONE"},
    "cdc": None,
    "comment": "",
    "compaction": {"class": STCS, "max_threshold": "32", "min_threshold": "4"},
    "compression": {"chunk_length_in_kb": "16", "class": LZ4},
    "crc_check_chance": 1.0,
    "dclocal_read_repair_chance": 0.0,
    "default_time_to_live": 0,
    "extensions": {},
    "flags": {"compound"},
    "gc_grace_seconds": 864000,
    "max_index_interval": 2048,
    "memtable_flush_period_in_ms": 0,
    "min_index_interval": 128,
    "read_repair": "BLOCKING",
    "read_repair_chance": 0.0,
    "speculative_retry": "99p",
}

# The option lines of export_as_string() for those defaults (python-driver
# 3.25 prints only the options SchemaParserV4 recognises, sorted, skipping
# null ones such as cdc).
DEFAULT_OPTION_LINES = [
    "additional_write_policy = '99p'",
    "bloom_filter_fp_chance = 0.01",
    "caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}",
    "comment = ''",
    "compaction = {'class': '%s', 'max_threshold': '32', 'min_threshold': '4'}" % STCS,
    "compression = {'chunk_length_in_kb': '16', 'class': '%s'}" % LZ4,
    "crc_check_chance = 1.0",
    "default_time_to_live = 0",
    "gc_grace_seconds = 864000",
    "max_index_interval = 2048",
    "memtable_flush_period_in_ms = 0",
    "min_index_interval = 128",
    "read_repair = 'BLOCKING'",
    "speculative_retry = '99p'",
]


def plain(v):
    if v is None or isinstance(v, (str, bytes, int, float)):
        return v
    if hasattr(v, "items"):
        return {k: plain(x) for k, x in v.items()}
    return set(v)


def table_row(session, ks, table):
    return session.execute("SELECT * FROM system_schema.tables WHERE keyspace_name = %s AND table_name = %s",
                           [ks, table]).one()


def columns(session, ks, table):
    rows = session.execute("SELECT column_name, kind, position, clustering_order, type "
                           "FROM system_schema.columns WHERE keyspace_name = %s AND table_name = %s",
                           [ks, table])
    return {r.column_name: (r.kind, r.position, r.clustering_order, r.type) for r in rows}


def expect_invalid(session, query, message, exc=InvalidRequest):
    with pytest.raises(exc) as ei:
        session.execute(query)
    assert type(ei.value) is exc, repr(ei.value)
    assert server_message(ei.value) == message
    return ei.value


# ---- CREATE TABLE -----------------------------------------------------------

def test_create_single_partition_key(session, cluster, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v text, w bigint)" % ks)
    assert columns(session, ks, "t") == {
        "k": ("partition_key", 0, "none", "int"),
        "v": ("regular", -1, "none", "text"),
        "w": ("regular", -1, "none", "bigint"),
    }
    row = table_row(session, ks, "t")
    for name, value in DEFAULTS.items():
        assert plain(getattr(row, name)) == value, name
    assert row.id is not None
    meta = cluster.metadata.keyspaces[ks].tables["t"]
    assert [c.name for c in meta.partition_key] == ["k"]
    assert meta.clustering_key == []


def test_create_composite_keys_and_clustering_order(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (a text, b int, c timestamp, d uuid, v int, s text static, "
                    "PRIMARY KEY ((a, b), c, d)) WITH CLUSTERING ORDER BY (c DESC, d ASC)" % ks)
    assert columns(session, ks, "t") == {
        "a": ("partition_key", 0, "none", "text"),
        "b": ("partition_key", 1, "none", "int"),
        "c": ("clustering", 0, "desc", "timestamp"),
        "d": ("clustering", 1, "asc", "uuid"),
        "v": ("regular", -1, "none", "int"),
        "s": ("static", -1, "none", "text"),
    }
    assert plain(table_row(session, ks, "t").flags) == {"compound"}


def test_create_primary_key_forms(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t1 (k int, v int, PRIMARY KEY (k))" % ks)
    session.execute("CREATE TABLE %s.t2 (k int, c int, PRIMARY KEY ((k), c))" % ks)
    session.execute("CREATE TABLE %s.t3 (k int, c1 int, c2 int, PRIMARY KEY (k, c1, c2)) "
                    "WITH CLUSTERING ORDER BY (c1 DESC)" % ks)
    assert columns(session, ks, "t1")["k"] == ("partition_key", 0, "none", "int")
    assert columns(session, ks, "t2")["c"] == ("clustering", 0, "asc", "int")
    c3 = columns(session, ks, "t3")
    # a prefix of the clustering columns may be given an order; the rest are ASC
    assert (c3["c1"][2], c3["c2"][2]) == ("desc", "asc")


def test_create_if_not_exists(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE IF NOT EXISTS %s.t (k int PRIMARY KEY, v int)" % ks)
    session.execute("CREATE TABLE IF NOT EXISTS %s.t (k text PRIMARY KEY, w text)" % ks)  # no-op
    assert columns(session, ks, "t") == {"k": ("partition_key", 0, "none", "int"),
                                          "v": ("regular", -1, "none", "int")}


def test_create_existing_table(session, raw, unique_keyspace):
    ks = unique_keyspace
    q = "CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks
    session.execute(q)
    with pytest.raises(AlreadyExists) as ei:
        session.execute(q)
    assert (ei.value.keyspace, ei.value.table) == (ks, "t")
    f = raw().query(q)
    assert f.opcode == OP_ERROR
    code, msg, rest = f.error()
    assert code == ERR_ALREADY_EXISTS
    assert msg == 'Cannot add already existing table "t" to keyspace "%s"' % ks
    r = Reader(rest)
    assert (r.string(), r.string()) == (ks, "t")


def test_create_counter_table(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.c (k int, c int, n counter, m counter, PRIMARY KEY (k, c))" % ks)
    assert plain(table_row(session, ks, "c").flags) == {"compound", "counter"}
    assert columns(session, ks, "c")["n"] == ("regular", -1, "none", "counter")


def test_table_options(session, unique_keyspace):
    ks = unique_keyspace
    session.execute(
        "CREATE TABLE %s.t (k int PRIMARY KEY, v int) WITH comment = 'it''s a table' "
        "AND gc_grace_seconds = 3600 AND default_time_to_live = 100 AND bloom_filter_fp_chance = 0.1 "
        "AND caching = {'keys': 'NONE', 'rows_per_partition': '10'} "
        "AND compaction = {'class': 'LeveledCompactionStrategy', 'sstable_size_in_mb': '100'} "
        "AND compression = {'class': 'SnappyCompressor', 'chunk_length_in_kb': 64} "
        "AND speculative_retry = '50ms' AND additional_write_policy = 'NEVER' "
        "AND crc_check_chance = 0.5 AND memtable_flush_period_in_ms = 60000 "
        "AND min_index_interval = 64 AND max_index_interval = 1024 AND read_repair = 'NONE'" % ks)
    row = table_row(session, ks, "t")
    got = {n: plain(getattr(row, n)) for n in DEFAULTS}
    assert got == dict(DEFAULTS, **{
        "comment": "it's a table",
        "gc_grace_seconds": 3600,
        "default_time_to_live": 100,
        "bloom_filter_fp_chance": 0.1,
        "caching": {"keys": "NONE", "rows_per_partition": "10"},
        "compaction": {"class": LCS, "max_threshold": "32", "min_threshold": "4", "sstable_size_in_mb": "100"},
        "compression": {"chunk_length_in_kb": "64", "class": SNAPPY},
        "speculative_retry": "50ms",
        "additional_write_policy": "NEVER",
        "crc_check_chance": 0.5,
        "memtable_flush_period_in_ms": 60000,
        "min_index_interval": 64,
        "max_index_interval": 1024,
        "read_repair": "NONE",
    })


def test_option_normalisation(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY) WITH compression = {'enabled': false} "
                    "AND speculative_retry = '99PERCENTILE' "
                    "AND compaction = {'class': 'SizeTieredCompactionStrategy', 'min_threshold': 6}" % ks)
    row = table_row(session, ks, "t")
    assert plain(row.compression) == {"enabled": "false"}
    assert row.speculative_retry == "99p"
    assert plain(row.compaction) == {"class": STCS, "max_threshold": "32", "min_threshold": "6"}


def test_export_as_string_defaults(session, cluster, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.kv (k int PRIMARY KEY, v text)" % ks)
    expected = ("CREATE TABLE %s.kv (\n    k int PRIMARY KEY,\n    v text\n) WITH " % ks
                + "\n    AND ".join(DEFAULT_OPTION_LINES) + ";")
    assert cluster.metadata.keyspaces[ks].tables["kv"].export_as_string() == expected


def test_export_as_string_full(session, cluster, unique_keyspace):
    ks = unique_keyspace
    session.execute('CREATE TABLE %s.events (tenant text, bucket int, ts timestamp, id uuid, "Payload" text, '
                    "meta map<text, frozen<list<int>>>, owner text static, "
                    "PRIMARY KEY ((tenant, bucket), ts, id)) WITH CLUSTERING ORDER BY (ts DESC, id ASC) "
                    "AND comment = 'events' AND default_time_to_live = 3600" % ks)
    lines = [l for l in DEFAULT_OPTION_LINES if not l.startswith(("comment", "default_time_to_live"))]
    lines += ["comment = 'events'", "default_time_to_live = 3600"]
    expected = (
        "CREATE TABLE %s.events (\n"
        "    tenant text,\n"
        "    bucket int,\n"
        "    ts timestamp,\n"
        "    id uuid,\n"
        '    "Payload" text,\n'
        "    meta map<text, frozen<list<int>>>,\n"
        "    owner text static,\n"
        "    PRIMARY KEY ((tenant, bucket), ts, id)\n"
        ") WITH CLUSTERING ORDER BY (ts DESC, id ASC)\n    AND " % ks
        + "\n    AND ".join(sorted(lines)) + ";")
    assert cluster.metadata.keyspaces[ks].tables["events"].export_as_string() == expected


def test_quoted_and_case_sensitive_names(session, cluster, unique_keyspace):
    ks = unique_keyspace
    session.execute('CREATE TABLE %s."_zflow_key_value_store" ("Key" text PRIMARY KEY, "value" blob, '
                    '"select" int, "with space" int)' % ks)
    session.execute('INSERT INTO %s."_zflow_key_value_store" ("Key", "value", "select", "with space") '
                    "VALUES ('a', 0x01, 1, 2)" % ks)
    row = session.execute('SELECT "Key", value, "select", "with space" FROM %s."_zflow_key_value_store" '
                          "WHERE \"Key\" = 'a'" % ks).one()
    assert tuple(row) == ("a", b"\x01", 1, 2)
    assert set(columns(session, ks, "_zflow_key_value_store")) == {"Key", "value", "select", "with space"}
    assert "_zflow_key_value_store" in cluster.metadata.keyspaces[ks].tables
    # unquoted identifiers are folded to lower case; quoted ones keep theirs
    session.execute("CREATE TABLE %s.MixedCase (K int PRIMARY KEY, V int)" % ks)
    session.execute('CREATE TABLE %s."MixedCase" ("K" int PRIMARY KEY, v int)' % ks)
    assert set(columns(session, ks, "mixedcase")) == {"k", "v"}
    assert set(columns(session, ks, "MixedCase")) == {"K", "v"}
    session.execute("INSERT INTO %s.MIXEDCASE (k, V) VALUES (1, 10)" % ks)
    session.execute('INSERT INTO %s."MixedCase" ("K", v) VALUES (1, 20)' % ks)
    assert session.execute("SELECT v FROM %s.mixedcase WHERE K = 1" % ks).one().v == 10
    assert session.execute('SELECT v FROM %s."MixedCase" WHERE "K" = 1' % ks).one().v == 20


CREATE_ERRORS = [
    ("no_primary_key", "CREATE TABLE {ks}.t (k int, v int)",
     "No PRIMARY KEY specifed for table '{ks}.t' (exactly one required)"),
    ("two_primary_keys", "CREATE TABLE {ks}.t (k int PRIMARY KEY, v int PRIMARY KEY)",
     "Multiple PRIMARY KEY specified for table '{ks}.t' (exactly one required)"),
    ("duplicate_column", "CREATE TABLE {ks}.t (k int PRIMARY KEY, v int, v text)",
     "Duplicate column 'v' declaration for table '{ks}.t'"),
    ("unknown_key_column", "CREATE TABLE {ks}.t (k int, v int, PRIMARY KEY (k, x))",
     "Unknown column 'x' referenced in PRIMARY KEY for table 't'"),
    ("duplicate_key_column", "CREATE TABLE {ks}.t (k int, v int, PRIMARY KEY (k, k))",
     "Duplicate column 'k' in PRIMARY KEY clause for table 't'"),
    ("order_by_non_clustering", "CREATE TABLE {ks}.t (k int, c int, v int, PRIMARY KEY (k, c)) "
     "WITH CLUSTERING ORDER BY (v DESC)", "Missing CLUSTERING ORDER for column c"),
    ("order_by_too_many", "CREATE TABLE {ks}.t (k int, c int, v int, PRIMARY KEY (k, c)) "
     "WITH CLUSTERING ORDER BY (c DESC, v ASC)",
     "Only clustering columns can be defined in CLUSTERING ORDER directive"),
    ("order_by_wrong_order", "CREATE TABLE {ks}.t (k int, c1 int, c2 int, PRIMARY KEY (k, c1, c2)) "
     "WITH CLUSTERING ORDER BY (c2 DESC, c1 ASC)",
     "The order of columns in the CLUSTERING ORDER directive must match that of the clustering columns "
     "(c1 must appear before c2)"),
    ("counter_mixed", "CREATE TABLE {ks}.t (k int PRIMARY KEY, c counter, v int)",
     "Cannot mix counter and non counter columns in the same table"),
    ("counter_with_ttl", "CREATE TABLE {ks}.t (k int PRIMARY KEY, c counter) WITH default_time_to_live = 10",
     "Cannot set default_time_to_live on a table with counters"),
    ("static_without_clustering", "CREATE TABLE {ks}.t (k int PRIMARY KEY, s int static)",
     "Static columns are only useful (and thus allowed) if the table has at least one clustering column"),
    ("static_in_key", "CREATE TABLE {ks}.t (k int static, c int, PRIMARY KEY (k, c))",
     "Static column 'k' cannot be part of the PRIMARY KEY"),
    ("missing_keyspace", "CREATE TABLE {ks}_nope.t (k int PRIMARY KEY)", "Keyspace '{ks}_nope' doesn't exist"),
    ("unknown_type", "CREATE TABLE {ks}.t (k int PRIMARY KEY, v nosuchtype)", "Unknown type {ks}.nosuchtype"),
]


@pytest.mark.parametrize("query,message", [c[1:] for c in CREATE_ERRORS], ids=[c[0] for c in CREATE_ERRORS])
def test_create_errors(session, unique_keyspace, query, message):
    ks = unique_keyspace
    expect_invalid(session, query.format(ks=ks), message.format(ks=ks))
    assert table_row(session, ks, "t") is None


def test_create_unknown_property(session, unique_keyspace):
    ks = unique_keyspace
    expect_invalid(session, "CREATE TABLE %s.t (k int PRIMARY KEY) WITH foo = 1" % ks,
                   "Unknown property 'foo'", SyntaxException)
    assert table_row(session, ks, "t") is None


def test_create_negative_gc_grace(session, unique_keyspace):
    ks = unique_keyspace
    expect_invalid(session, "CREATE TABLE %s.t (k int PRIMARY KEY) WITH gc_grace_seconds = -1" % ks,
                   "gc_grace_seconds must be greater than or equal to 0 (got -1)", ConfigurationException)


# ---- ALTER TABLE ------------------------------------------------------------

def test_alter_add_and_drop(session, cluster, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, v int, PRIMARY KEY (k, c))" % ks)
    session.execute("INSERT INTO %s.t (k, c, v) VALUES (1, 1, 10)" % ks)
    session.execute("ALTER TABLE %s.t ADD w text" % ks)
    session.execute("ALTER TABLE %s.t ADD (x int, y set<int>)" % ks)
    session.execute("ALTER TABLE %s.t ADD s int static" % ks)
    assert columns(session, ks, "t") == {
        "k": ("partition_key", 0, "none", "int"),
        "c": ("clustering", 0, "asc", "int"),
        "v": ("regular", -1, "none", "int"),
        "w": ("regular", -1, "none", "text"),
        "x": ("regular", -1, "none", "int"),
        "y": ("regular", -1, "none", "set<int>"),
        "s": ("static", -1, "none", "int"),
    }
    assert set(cluster.metadata.keyspaces[ks].tables["t"].columns) == {"k", "c", "v", "w", "x", "y", "s"}
    session.execute("UPDATE %s.t SET w = 'new', y = {1} WHERE k = 1 AND c = 1" % ks)
    row = session.execute("SELECT * FROM %s.t WHERE k = 1" % ks).one()
    assert row._asdict() == {"k": 1, "c": 1, "s": None, "v": 10, "w": "new", "x": None, "y": {1}}

    session.execute("ALTER TABLE %s.t DROP v" % ks)
    session.execute("ALTER TABLE %s.t DROP (x, y)" % ks)
    assert set(columns(session, ks, "t")) == {"k", "c", "w", "s"}
    row = session.execute("SELECT * FROM %s.t WHERE k = 1" % ks).one()
    assert row._asdict() == {"k": 1, "c": 1, "s": None, "w": "new"}
    dropped = session.execute("SELECT column_name, type, kind FROM system_schema.dropped_columns "
                              "WHERE keyspace_name = %s AND table_name = 't'", [ks])
    assert {(r.column_name, r.type, r.kind) for r in dropped} == {
        ("v", "int", "regular"), ("x", "int", "regular"), ("y", "set<int>", "regular")}


def test_readd_dropped_column_hides_old_data(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    session.execute("INSERT INTO %s.t (k, v) VALUES (1, 10)" % ks)
    session.execute("ALTER TABLE %s.t DROP v" % ks)
    session.execute("ALTER TABLE %s.t ADD v int" % ks)
    assert tuple(session.execute("SELECT k, v FROM %s.t WHERE k = 1" % ks).one()) == (1, None)
    session.execute("INSERT INTO %s.t (k, v) VALUES (2, 20)" % ks)
    assert session.execute("SELECT v FROM %s.t WHERE k = 2" % ks).one().v == 20


def test_alter_rename_clustering_column(session, cluster, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, v int, PRIMARY KEY (k, c))" % ks)
    session.execute("INSERT INTO %s.t (k, c, v) VALUES (1, 2, 3)" % ks)
    session.execute("ALTER TABLE %s.t RENAME c TO c2" % ks)
    session.execute("ALTER TABLE %s.t RENAME k TO k2" % ks)
    assert columns(session, ks, "t") == {"k2": ("partition_key", 0, "none", "int"),
                                          "c2": ("clustering", 0, "asc", "int"),
                                          "v": ("regular", -1, "none", "int")}
    row = session.execute("SELECT * FROM %s.t WHERE k2 = 1 AND c2 = 2" % ks).one()
    assert row._asdict() == {"k2": 1, "c2": 2, "v": 3}
    assert [c.name for c in cluster.metadata.keyspaces[ks].tables["t"].clustering_key] == ["c2"]


def test_alter_with_options(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    session.execute("ALTER TABLE %s.t WITH comment = 'hello' AND gc_grace_seconds = 10" % ks)
    row = table_row(session, ks, "t")
    assert (row.comment, row.gc_grace_seconds) == ("hello", 10)
    assert row.default_time_to_live == 0
    assert plain(row.compaction) == DEFAULTS["compaction"]
    session.execute("ALTER TABLE %s.t WITH compaction = {'class': 'LeveledCompactionStrategy'}" % ks)
    row = table_row(session, ks, "t")
    assert plain(row.compaction) == {"class": LCS, "max_threshold": "32", "min_threshold": "4"}
    assert (row.comment, row.gc_grace_seconds) == ("hello", 10)


ALTER_ERRORS = [
    ("add_existing", "ALTER TABLE {ks}.t ADD v text", "Column with name 'v' already exists"),
    ("add_existing_key", "ALTER TABLE {ks}.t ADD k text", "Column with name 'k' already exists"),
    ("drop_missing", "ALTER TABLE {ks}.t DROP nope", "Column nope was not found in table '{ks}.t'"),
    ("drop_key", "ALTER TABLE {ks}.t DROP c", "Cannot drop PRIMARY KEY column c"),
    ("rename_regular", "ALTER TABLE {ks}.t RENAME v TO w", "Cannot rename non PRIMARY KEY column v"),
    ("rename_to_existing", "ALTER TABLE {ks}.t RENAME c TO v",
     "Cannot rename column c to v in table '{ks}.t'; another column with that name already exists"),
    ("missing_table", "ALTER TABLE {ks}.nope ADD x int", "Table '{ks}.nope' doesn't exist"),
]


@pytest.mark.parametrize("query,message", [c[1:] for c in ALTER_ERRORS], ids=[c[0] for c in ALTER_ERRORS])
def test_alter_errors(session, unique_keyspace, query, message):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, v int, PRIMARY KEY (k, c))" % ks)
    before = columns(session, ks, "t")
    expect_invalid(session, query.format(ks=ks), message.format(ks=ks))
    assert columns(session, ks, "t") == before


def test_alter_add_static_without_clustering(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    expect_invalid(session, "ALTER TABLE %s.t ADD s int static" % ks,
                   "Static columns are only useful (and thus allowed) if the table has at least one "
                   "clustering column")


# ---- DROP TABLE, TRUNCATE ---------------------------------------------------

def test_drop_table(session, cluster, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    session.execute("INSERT INTO %s.t (k, v) VALUES (1, 1)" % ks)
    session.execute("DROP TABLE %s.t" % ks)
    assert table_row(session, ks, "t") is None
    assert columns(session, ks, "t") == {}
    assert "t" not in cluster.metadata.keyspaces[ks].tables
    expect_invalid(session, "SELECT * FROM %s.t" % ks, "table t does not exist")
    session.execute("DROP TABLE IF EXISTS %s.t" % ks)  # no error
    expect_invalid(session, "DROP TABLE %s.t" % ks, "Table '%s.t' doesn't exist" % ks)
    # a new table of the same name starts empty
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    assert session.execute("SELECT * FROM %s.t" % ks).all() == []


def test_drop_keyspace_drops_tables(session, keyspace_name):
    ks = keyspace_name()
    session.execute("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
                    % ks)
    try:
        session.execute("CREATE TABLE %s.t (k int PRIMARY KEY)" % ks)
        session.execute("DROP KEYSPACE %s" % ks)
        assert table_row(session, ks, "t") is None
        assert columns(session, ks, "t") == {}
    finally:
        session.execute("DROP KEYSPACE IF EXISTS %s" % ks)


def test_truncate(session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int, c int, v int, PRIMARY KEY (k, c))" % ks)
    ins = session.prepare("INSERT INTO %s.t (k, c, v) VALUES (?, ?, ?)" % ks)
    for i in range(50):
        session.execute(ins, (i % 5, i, i))
    session.execute("TRUNCATE %s.t" % ks)
    assert session.execute("SELECT * FROM %s.t" % ks).all() == []
    session.execute("INSERT INTO %s.t (k, c, v) VALUES (1, 1, 1)" % ks)
    session.execute("TRUNCATE TABLE %s.t" % ks)
    assert session.execute("SELECT * FROM %s.t" % ks).all() == []
    session.execute(ins, (2, 2, 2))
    assert [tuple(r) for r in session.execute("SELECT * FROM %s.t" % ks)] == [(2, 2, 2)]
    expect_invalid(session, "TRUNCATE %s.nope" % ks, "table nope does not exist")
