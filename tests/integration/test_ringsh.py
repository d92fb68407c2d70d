"""ringsh, the CQL shell: -e / -f modes and exit codes, cqlsh's output layout
and value formats, errors as cqlsh prints them, the interactive mode in a
pseudo-terminal (prompts, multi-line input, history, paging), DESCRIBE
output that recreates the schema, and COPY TO/FROM round trips.

The binary is build/test/ringsh (RINGSH_BIN overrides); it talks to the
shared server of conftest.py.
"""

import csv
import os
import subprocess
import time

import pytest

from ringdb_testlib import REPO_ROOT, SANITIZER_MARKERS

RINGSH = os.environ.get("RINGSH_BIN") or os.path.join(REPO_ROOT, "build", "test", "ringsh")


@pytest.fixture(scope="module")
def ringsh_bin():
    if not os.path.exists(RINGSH):
        pytest.skip("%s not built (make build/test/ringsh)" % RINGSH)
    return RINGSH


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "home"
    h.mkdir()
    return str(h)


def run(ringsh_bin, server_addr, *args, home=None, stdin=None, timeout=120, addr=True):
    env = dict(os.environ)
    env["HOME"] = home or "/nonexistent"
    env.pop("CQLSH_HOST", None)
    env.pop("CQLSH_PORT", None)
    argv = [ringsh_bin] + list(args)
    if addr:
        argv += [server_addr[0], str(server_addr[1])]
    p = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout,
                       env=env)
    for m in SANITIZER_MARKERS:
        assert m not in p.stderr, p.stderr
    return p


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------

def test_version_help_and_bad_options(ringsh_bin, server_addr):
    p = run(ringsh_bin, server_addr, "--version", addr=False)
    assert p.returncode == 0 and p.stdout == "ringsh 1.0.0\n"
    p = run(ringsh_bin, server_addr, "--help", addr=False)
    assert p.returncode == 0
    assert p.stdout.startswith("Usage: ringsh [options] [host [port]]\n")
    for opt in ("-e EXECUTE", "-f FILE", "-u USERNAME", "-k KEYSPACE", "--request-timeout"):
        assert opt in p.stdout
    p = run(ringsh_bin, server_addr, "--bogus", addr=False)
    assert p.returncode == 2
    assert "ringsh: error: no such option: --bogus" in p.stderr
    p = run(ringsh_bin, server_addr, "127.0.0.1", "notaport", addr=False)
    assert p.returncode == 2 and "'notaport' is not a valid port number." in p.stderr


def test_connection_refused_exits_1(ringsh_bin, server_addr):
    from ringdb_testlib import free_port
    port = free_port()
    p = run(ringsh_bin, server_addr, "-e", "SELECT * FROM system.local", "127.0.0.1", str(port),
            addr=False)
    assert p.returncode == 1
    assert p.stderr.startswith("Connection error: ('Unable to connect to any servers', "
                               "{'127.0.0.1:%d': ConnectionRefusedError(111" % port)


def test_missing_file_exits_1(ringsh_bin, server_addr, tmp_path):
    f = str(tmp_path / "nope.cql")
    p = run(ringsh_bin, server_addr, "-f", f)
    assert p.returncode == 1
    assert p.stderr == ("Can't open '%s': [Errno 2] No such file or directory: '%s'\n" % (f, f))


# --------------------------------------------------------------------------
# -e: tables, values, errors
# --------------------------------------------------------------------------

def test_execute_table_layout(ringsh_bin, server_addr, session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, name text, n bigint)" % ks)
    session.execute("INSERT INTO %s.t (k, name, n) VALUES (1, 'alice', 1234567)" % ks)
    session.execute("INSERT INTO %s.t (k, name) VALUES (22, 'bo')" % ks)
    p = run(ringsh_bin, server_addr, "-e", "SELECT k, name, n FROM %s.t WHERE k = 1" % ks)
    assert p.returncode == 0, p.stderr
    # cqlsh: blank line, header ljust (rstripped), '-+-' rule, values rjust,
    # blank line, (N rows)
    assert p.stdout == ("\n"
                        " k | name  | n\n"
                        "---+-------+---------\n"
                        " 1 | alice | 1234567\n"
                        "\n"
                        "(1 rows)\n")
    p = run(ringsh_bin, server_addr, "-e", "SELECT k, name, n FROM %s.t WHERE k = 22" % ks)
    assert p.stdout == ("\n"
                        " k  | name | n\n"
                        "----+------+------\n"
                        " 22 |   bo | null\n"
                        "\n"
                        "(1 rows)\n")
    # no rows: header, then two blank lines in batch mode
    p = run(ringsh_bin, server_addr, "-e", "SELECT k, name FROM %s.t WHERE k = 5" % ks)
    assert p.stdout == "\n k | name\n---+------\n\n\n(0 rows)\n"
    # statements without rows print nothing
    p = run(ringsh_bin, server_addr, "-e", "INSERT INTO %s.t (k) VALUES (3)" % ks)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == ""


def test_value_formats(ringsh_bin, server_addr, session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TYPE %s.addr (street text, \"Zip\" int)" % ks)
    session.execute(
        "CREATE TABLE %s.v (k int PRIMARY KEY, ts timestamp, b blob, bo boolean, f float, "
        "d double, de decimal, u uuid, dt date, ti time, ip inet, du duration, vi varint, "
        "si smallint, tu tuple<int, text>, ad frozen<addr>, m map<text, frozen<list<timestamp>>>, "
        "st set<inet>, l list<text>, tx text)" % ks)
    session.execute(
        "INSERT INTO %s.v (k, ts, b, bo, f, d, de, u, dt, ti, ip, du, vi, si, tu, ad, m, st, l, tx) "
        "VALUES (1, '2011-02-03 04:05:00.123+0000', 0xcafe, true, 1.25, 3.14159265358979, "
        "123.4500, 550e8400-e29b-41d4-a716-446655440000, '2011-02-03', '04:05:06.000000007', "
        "'127.0.0.1', 1h30m, 123456789012345678901234567890, -5, (1, 'it''s'), "
        "{street: 'Main', \"Zip\": 12345}, {'k': ['2011-02-03 04:05:00+0000']}, "
        "{'::1', '10.0.0.1'}, ['a', 'b''c'], 'x\\y')" % ks)
    session.execute("INSERT INTO %s.v (k, f, d, de, tx) VALUES (2, 0.0001234, 1e20, 0.000001, "
                    "'line1\nline2')" % ks)
    expect = {
        "ts": ("2011-02-03 04:05:00.123000+0000", "null"),
        "b": ("0xcafe", "null"),
        "bo": ("True", "null"),
        "f": ("1.25", "0.000123"),
        "d": ("3.14159", "1e+20"),
        "de": ("123.4500", "0.000001"),
        "u": ("550e8400-e29b-41d4-a716-446655440000", "null"),
        "dt": ("2011-02-03", "null"),
        "ti": ("04:05:06.000000007", "null"),
        "ip": ("127.0.0.1", "null"),
        "du": ("1h30m", "null"),
        "vi": ("123456789012345678901234567890", "null"),
        "si": ("-5", "null"),
        "tu": ("(1, 'it''s')", "null"),
        "ad": ("{street: 'Main', Zip: 12345}", "null"),
        "m": ("{'k': ['2011-02-03 04:05:00.000000+0000']}", "null"),
        "st": ("{'10.0.0.1', '::1'}", "null"),
        "l": ("['a', 'b''c']", "null"),
        "tx": ("x\\\\y", "line1\\nline2"),
    }
    for col, (v1, v2) in expect.items():
        p = run(ringsh_bin, server_addr, "-e", "SELECT %s FROM %s.v WHERE k IN (1, 2)" % (col, ks))
        assert p.returncode == 0, p.stderr
        w = max(len(col), len(v1), len(v2))
        want = ("\n %s\n-%s-\n %s\n %s\n\n(2 rows)\n"
                % (col, "-" * w, v1.rjust(w), v2.rjust(w)))
        assert p.stdout == want, (col, p.stdout)


def test_expand_and_paging_in_batch_mode(ringsh_bin, server_addr, session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (p int, c int, v text, PRIMARY KEY (p, c))" % ks)
    for c in range(5):
        session.execute("INSERT INTO %s.t (p, c, v) VALUES (1, %d, 'v%d')" % (ks, c, c))
    p = run(ringsh_bin, server_addr, "-e",
            "EXPAND ON; SELECT c, v FROM %s.t WHERE p = 1 AND c < 2" % ks)
    assert p.returncode == 0, p.stderr
    assert p.stdout == ("Now Expanded output is enabled\n\n"
                        "@ Row 1\n---+----\n c | 0\n v | v0\n\n"
                        "@ Row 2\n---+----\n c | 1\n v | v1\n\n\n(2 rows)\n")
    # small pages: one header, all rows, the total
    p = run(ringsh_bin, server_addr, "-e", "PAGING 2; SELECT c FROM %s.t WHERE p = 1" % ks)
    assert p.stdout == ("Page size: 2\n\n c\n---\n 0\n 1\n 2\n 3\n 4\n\n(5 rows)\n")
    p = run(ringsh_bin, server_addr, "-e", "PAGING; PAGING OFF; PAGING OFF; EXPAND")
    assert p.stdout == ("Query paging is currently enabled. Use PAGING OFF to disable\n"
                        "Page size: 100\nDisabled Query paging.\n"
                        "Expanded output is currently disabled. Use EXPAND ON to enable.\n")
    assert p.stderr == "<stdin>:1:Query paging is not enabled.\n"
    assert p.returncode == 2


def test_consistency_commands(ringsh_bin, server_addr):
    p = run(ringsh_bin, server_addr, "-e",
            "CONSISTENCY; CONSISTENCY local_quorum; CONSISTENCY; SERIAL CONSISTENCY; "
            "SERIAL CONSISTENCY LOCAL_SERIAL; SELECT key FROM system.local")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("Current consistency level is ONE.\n"
                               "Consistency level set to LOCAL_QUORUM.\n"
                               "Current consistency level is LOCAL_QUORUM.\n"
                               "Current serial consistency level is SERIAL.\n"
                               "Serial consistency level set to LOCAL_SERIAL.\n")
    p = run(ringsh_bin, server_addr, "-e", "CONSISTENCY FOO")
    assert p.returncode == 2
    assert p.stderr == "<stdin>:1:Improper CONSISTENCY command.\n"


def test_errors_as_cqlsh_prints_them(ringsh_bin, server_addr, session, unique_keyspace):
    ks = unique_keyspace
    p = run(ringsh_bin, server_addr, "-e", "SELECT nope FROM system.local")
    assert p.returncode == 2
    assert p.stderr.startswith('<stdin>:1:InvalidRequest: Error from server: code=2200 '
                               '[Invalid query] message="')
    assert p.stderr.endswith('"\n')
    p = run(ringsh_bin, server_addr, "-e", "SELEC * FROM system.local")
    assert p.returncode == 2
    assert p.stderr.startswith("<stdin>:1:SyntaxException: ")
    assert "Error from server" not in p.stderr
    p = run(ringsh_bin, server_addr, "-e", "CREATE KEYSPACE %s WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
    assert p.returncode == 2
    assert p.stderr == "<stdin>:1:AlreadyExists: Keyspace '%s' already exists\n" % ks
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY)" % ks)
    p = run(ringsh_bin, server_addr, "-e", "CREATE TABLE %s.t (k int PRIMARY KEY)" % ks)
    assert p.stderr == "<stdin>:1:AlreadyExists: Table '%s.t' already exists\n" % ks
    # the statements after a failed one still run
    p = run(ringsh_bin, server_addr, "-e", "SELECT nope FROM system.local; "
            "SELECT key FROM system.local")
    assert p.returncode == 2 and "(1 rows)" in p.stdout


def test_file_mode_multiline_comments_and_line_numbers(ringsh_bin, server_addr, session,
                                                       unique_keyspace, tmp_path):
    ks = unique_keyspace
    f = tmp_path / "script.cql"
    f.write_text("-- a comment line\n"
                 "CREATE TABLE %s.t (k int PRIMARY KEY,\n"
                 "                   v text);  // trailing comment\n"
                 "INSERT INTO %s.t (k, v) VALUES (1, 'semi;colon');\n"
                 "/* block\n   comment */ INSERT INTO %s.t (k, v)\n VALUES (2, 'two');\n"
                 "SELECT * FROM %s.nope;\n"
                 "USE %s;\n"
                 "SELECT k, v FROM t;\n" % (ks, ks, ks, ks, ks))
    p = run(ringsh_bin, server_addr, "-f", str(f))
    assert p.returncode == 2
    # cqlsh's line number: lines read so far + 1
    assert p.stderr.startswith("%s:9:InvalidRequest: Error from server: code=2200" % f)
    assert p.stdout == ("\n k | v\n---+------------\n 1 | semi;colon\n 2 |        two\n"
                        "\n(2 rows)\n")
    rows = session.execute("SELECT k, v FROM %s.t" % ks)
    assert sorted((r.k, r.v) for r in rows) == [(1, "semi;colon"), (2, "two")]


def test_stdin_pipe_and_source(ringsh_bin, server_addr, session, unique_keyspace, tmp_path):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY)" % ks)
    src = tmp_path / "src.cql"
    src.write_text("INSERT INTO %s.t (k) VALUES (7);\nSELECT bad FROM %s.t;\n" % (ks, ks))
    p = run(ringsh_bin, server_addr, stdin="SOURCE '%s'\nSELECT k FROM %s.t;\n" % (src, ks))
    assert p.returncode == 2
    assert p.stderr.startswith("%s:3:InvalidRequest:" % src)
    assert p.stdout == "\n k\n---\n 7\n\n(1 rows)\n"
    p = run(ringsh_bin, server_addr, stdin="SOURCE '/nonexistent/x.cql'\n")
    assert p.stderr == ("<stdin>:2:Could not open '/nonexistent/x.cql': [Errno 2] No such file "
                        "or directory: '/nonexistent/x.cql'\n")
    p = run(ringsh_bin, server_addr, stdin="SELECT key FROM system.local")
    assert p.stderr == "<stdin>:2:Incomplete statement at end of file\n"


def test_keyspace_option(ringsh_bin, server_addr, session, unique_keyspace):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY)" % ks)
    session.execute("INSERT INTO %s.t (k) VALUES (1)" % ks)
    p = run(ringsh_bin, server_addr, "-k", ks, "-e", "SELECT * FROM t")
    assert p.returncode == 0, p.stderr
    assert "(1 rows)" in p.stdout
    p = run(ringsh_bin, server_addr, "-k", "no_such_ks_xyz", "-e", "SELECT * FROM t")
    assert p.returncode == 1 and p.stderr.startswith("Connection error:")


# --------------------------------------------------------------------------
# DESCRIBE
# --------------------------------------------------------------------------

def _schema_rows(session, ks):
    out = {}
    for table in ("tables", "columns", "types"):
        rows = []
        for r in session.execute("SELECT * FROM system_schema.%s WHERE keyspace_name = %%s"
                                 % table, (ks,)):
            d = r._asdict()
            d.pop("keyspace_name")
            d.pop("id", None)
            rows.append(tuple(sorted((k, repr(v)) for k, v in d.items())))
        out[table] = sorted(rows)
    ksrow = session.execute("SELECT durable_writes, replication FROM system_schema.keyspaces "
                            "WHERE keyspace_name = %s", (ks,)).one()
    out["keyspace"] = (ksrow.durable_writes, dict(ksrow.replication))
    return out


def test_describe_recreates_schema(ringsh_bin, server_addr, session, cluster, unique_keyspace,
                                   keyspace_name, tmp_path):
    ks = unique_keyspace
    session.execute("CREATE TYPE %s.addr (street text, \"Zip\" int)" % ks)
    session.execute("CREATE TYPE %s.person (name text, home frozen<addr>)" % ks)
    session.execute("CREATE TABLE %s.simple (k int PRIMARY KEY, v text, l list<int>)" % ks)
    session.execute(
        "CREATE TABLE %s.\"Wide\" (p1 text, p2 int, c1 timestamp, c2 uuid, s int static, "
        "who frozen<person>, m map<text, frozen<set<int>>>, \"Quoted\" int, "
        "PRIMARY KEY ((p1, p2), c1, c2)) WITH CLUSTERING ORDER BY (c1 DESC, c2 ASC) "
        "AND comment = 'it''s wide' AND gc_grace_seconds = 3600 "
        "AND default_time_to_live = 60" % ks)

    p = run(ringsh_bin, server_addr, "-e", "DESCRIBE KEYSPACE %s" % ks)
    assert p.returncode == 0, p.stderr
    # exactly what the Python driver's export_as_string() prints
    cluster.refresh_schema_metadata()
    exported = cluster.metadata.keyspaces[ks].export_as_string()
    assert p.stdout == "\n" + exported + "\n"

    # re-executed on a fresh name, it recreates the same schema
    new = keyspace_name()
    script = p.stdout.replace(ks + ".", new + ".").replace("KEYSPACE " + ks, "KEYSPACE " + new)
    f = tmp_path / "schema.cql"
    f.write_text(script)
    try:
        p2 = run(ringsh_bin, server_addr, "-f", str(f))
        assert p2.returncode == 0, p2.stderr
        assert _schema_rows(session, ks) == _schema_rows(session, new)
    finally:
        session.execute("DROP KEYSPACE IF EXISTS %s" % new)

    # table and type alone, lists, errors
    p = run(ringsh_bin, server_addr, "-k", ks, "-e", "DESCRIBE TABLE simple")
    assert p.stdout == "\n" + cluster.metadata.keyspaces[ks].tables["simple"].export_as_string() \
        + "\n"
    p = run(ringsh_bin, server_addr, "-e", "DESC TYPE %s.addr" % ks)
    assert p.stdout == ("\nCREATE TYPE %s.addr (\n    street text,\n    \"Zip\" int\n);\n" % ks)
    p = run(ringsh_bin, server_addr, "-k", ks, "-e", "DESCRIBE TABLES")
    assert p.stdout == '\n"Wide"  simple\n\n'
    p = run(ringsh_bin, server_addr, "-k", ks, "-e", "DESCRIBE TYPES")
    assert p.stdout == "\naddr  person\n\n"
    p = run(ringsh_bin, server_addr, "-e", "DESCRIBE KEYSPACES")
    assert ks in p.stdout.split() and "system_schema" in p.stdout.split()
    p = run(ringsh_bin, server_addr, "-e", "DESCRIBE KEYSPACE no_such_ks_xyz")
    assert p.returncode == 2
    assert p.stderr == "<stdin>:1:'no_such_ks_xyz' not found in keyspaces\n"
    p = run(ringsh_bin, server_addr, "-e", "DESCRIBE TABLE %s.nope" % ks)
    assert p.stderr == "<stdin>:1:'nope' not found in keyspace '%s'\n" % ks
    p = run(ringsh_bin, server_addr, "-e", "DESCRIBE SCHEMA")
    assert p.returncode == 0
    assert "\n" + exported + "\n" in p.stdout
    assert "CREATE KEYSPACE system_schema" not in p.stdout


# --------------------------------------------------------------------------
# COPY
# --------------------------------------------------------------------------

def test_copy_round_trip_100k(ringsh_bin, server_addr, session, unique_keyspace, tmp_path):
    ks = unique_keyspace
    cols = "(id int PRIMARY KEY, name text, v double, l list<int>, ts timestamp, b boolean)"
    session.execute("CREATE TABLE %s.src %s" % (ks, cols))
    session.execute("CREATE TABLE %s.dst %s" % (ks, cols))
    n = 100000
    src_csv = tmp_path / "in.csv"
    with open(src_csv, "w", newline="") as f:
        w = csv.writer(f)
        for i in range(n):
            w.writerow([i, "name, \"%d\"" % i if i % 7 == 0 else "n%d" % i, "%d.25" % i,
                        "[%d, %d]" % (i, -i), "2011-02-03 04:05:%02d.%03d+0000" % (i % 60, i % 1000),
                        "True" if i % 2 else "False"])
    out_csv = tmp_path / "out.csv"
    start = time.time()
    p = run(ringsh_bin, server_addr, "-e",
            "COPY %s.src (id, name, v, l, ts, b) FROM '%s'" % (ks, src_csv))
    assert p.returncode == 0, p.stderr[-2000:]
    assert "\n%d rows imported from 1 files in " % n in p.stdout
    assert p.stdout.startswith("Using 1 child processes\n\nStarting copy of %s.src with columns "
                               "[id, name, v, l, ts, b].\n" % ks)
    p = run(ringsh_bin, server_addr, "-e",
            "COPY %s.src TO '%s' WITH HEADER = true" % (ks, out_csv))
    assert p.returncode == 0, p.stderr[-2000:]
    assert "\n%d rows exported to 1 files in " % n in p.stdout
    p = run(ringsh_bin, server_addr, "-e",
            "COPY %s.dst FROM '%s' WITH HEADER = true" % (ks, out_csv))
    assert p.returncode == 0, p.stderr[-2000:]
    assert "\n%d rows imported from 1 files in " % n in p.stdout
    elapsed = time.time() - start
    assert elapsed < 30, "COPY round trip took %.1f s" % elapsed

    with open(out_csv, newline="") as f:
        header = next(csv.reader(f))
    assert header == ["id", "b", "l", "name", "ts", "v"]

    def content(table):
        rows = session.execute("SELECT id, name, v, l, ts, b FROM %s.%s" % (ks, table))
        return sorted((r.id, r.name, r.v, tuple(r.l or ()), r.ts, r.b) for r in rows)

    a, b = content("src"), content("dst")
    assert len(a) == n and a == b
    assert a[7][1] == 'name, "7"' and a[3][3] == (3, -3) and a[3][5] is True


def test_copy_errors_and_stdout(ringsh_bin, server_addr, session, unique_keyspace, tmp_path):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v text, s set<text>)" % ks)
    session.execute("INSERT INTO %s.t (k, v, s) VALUES (1, 'a,b', {'x', 'y''z'})" % ks)
    p = run(ringsh_bin, server_addr, "-e", "COPY %s.t TO STDOUT" % ks)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "1,\"{'x', 'y''z'}\",\"a,b\"\n"
    bad = tmp_path / "bad.csv"
    bad.write_text("2,{'q'},ok\nnotanint,{},x\n3,{},x,extra\n")
    p = run(ringsh_bin, server_addr, "-e", "COPY %s.t FROM '%s'" % (ks, bad))
    assert p.returncode == 2
    assert "Failed to import 1 rows: ParseError - " in p.stderr
    assert "Invalid row length 4 should be 3" in p.stderr
    assert "\n1 rows imported from 1 files in " in p.stdout
    assert session.execute("SELECT s FROM %s.t WHERE k = 2" % ks).one().s == {"q"}
    p = run(ringsh_bin, server_addr, "-e", "COPY %s.t (nope) TO STDOUT" % ks)
    assert p.stderr == "<stdin>:1:Invalid column name nope\n"
    p = run(ringsh_bin, server_addr, "-e", "COPY %s.t TO STDOUT WITH FOO = 1" % ks)
    assert p.stderr == "<stdin>:1:Unrecognized COPY TO options: foo\n" or \
        p.stderr == "<stdin>:1:Unrecognized COPY TO options: FOO\n"


# --------------------------------------------------------------------------
# interactive mode (pseudo-terminal)
# --------------------------------------------------------------------------

def _spawn(ringsh_bin, server_addr, home, *extra):
    pexpect = pytest.importorskip("pexpect")
    env = dict(os.environ, HOME=home, TERM="xterm")
    env.pop("RINGSH_HISTORY", None)
    child = pexpect.spawn(ringsh_bin, list(extra) + [server_addr[0], str(server_addr[1])],
                          env=env, encoding="utf-8", timeout=20, dimensions=(50, 200))
    return pexpect, child


def test_interactive_prompts_multiline_paging(ringsh_bin, server_addr, session, unique_keyspace,
                                              home):
    ks = unique_keyspace
    session.execute("CREATE TABLE %s.t (p int, c int, v text, PRIMARY KEY (p, c))" % ks)
    for c in range(3):
        session.execute("INSERT INTO %s.t (p, c, v) VALUES (1, %d, 'v%d')" % (ks, c, c))
    pexpect, ch = _spawn(ringsh_bin, server_addr, home)
    try:
        ch.expect_exact("Connected to Test Cluster at %s:%d" % server_addr)
        ch.expect_exact("Use HELP for help.")
        ch.expect_exact("ringsh> ")
        ch.sendline("USE %s;" % ks)
        ch.expect_exact("ringsh:%s> " % ks)
        ch.sendline("SELECT c, v")
        ch.expect_exact(" " * len(ks) + "     ... ")
        ch.sendline("FROM t WHERE p = 1 AND c = 1;")
        ch.expect_exact("\r\n c | v\r\n---+----\r\n 1 | v1\r\n\r\n(1 rows)\r\n")
        ch.expect_exact("ringsh:%s> " % ks)
        ch.sendline("PAGING 2")
        ch.expect_exact("Page size: 2")
        ch.sendline("SELECT c FROM t WHERE p = 1;")
        ch.expect_exact(" c\r\n---\r\n 0\r\n 1\r\n\r\n---MORE---")
        ch.sendline("")
        ch.expect_exact(" c\r\n---\r\n 2\r\n\r\n(3 rows)")
        ch.expect_exact("ringsh:%s> " % ks)
        ch.sendline("SELECT nope FROM t;")
        ch.expect_exact('InvalidRequest: Error from server: code=2200 [Invalid query] message="')
        ch.expect_exact("ringsh:%s> " % ks)
        assert "<stdin>" not in ch.before
        # Ctrl-C drops a half-typed statement
        ch.sendline("SELECT * FROM")
        ch.expect_exact("     ... ")
        ch.sendintr()
        ch.expect_exact("ringsh:%s> " % ks)
        ch.sendline("EXIT")
        ch.expect(pexpect.EOF)
    finally:
        ch.close()
    assert ch.exitstatus == 0


def test_interactive_history_persists(ringsh_bin, server_addr, home):
    pexpect, ch = _spawn(ringsh_bin, server_addr, home)
    try:
        ch.expect_exact("ringsh> ")
        ch.sendline("SELECT cluster_name FROM system.local;")
        ch.expect_exact("(1 rows)")
        ch.expect_exact("ringsh> ")
        ch.sendeof()
        ch.expect(pexpect.EOF)
    finally:
        ch.close()
    assert os.path.exists(os.path.join(home, ".ringsh_history"))
    pexpect, ch = _spawn(ringsh_bin, server_addr, home)
    try:
        ch.expect_exact("ringsh> ")
        ch.send("\x1b[A")  # up arrow: the last statement of the previous session
        ch.expect_exact("SELECT cluster_name FROM system.local;")
        ch.send("\r")
        ch.expect_exact(" cluster_name\r\n--------------\r\n Test Cluster\r\n\r\n(1 rows)")
        ch.expect_exact("ringsh> ")
        ch.sendline("EXIT")
        ch.expect(pexpect.EOF)
    finally:
        ch.close()


# --------------------------------------------------------------------------
# protocol versions and authentication
# --------------------------------------------------------------------------

@pytest.mark.parametrize("version", [4, 5])
def test_protocol_versions(ringsh_bin, server_addr, version):
    p = run(ringsh_bin, server_addr, "--protocol-version", str(version), "-e",
            "SHOW VERSION; PAGING 1; SELECT key FROM system.local")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("[ringsh 1.0.0 | Cassandra ")
    assert "| Native protocol v%d]\n" % version in p.stdout
    assert p.stdout.endswith("\n key\n-------\n local\n\n(1 rows)\n")


def test_password_authentication(ringsh_bin, private_server):
    srv = private_server(extra_args=["--set", "authenticator=PasswordAuthenticator"])
    addr = ("127.0.0.1", srv.port)
    p = run(ringsh_bin, addr, "-u", "cassandra", "-p", "cassandra", "-e",
            "SELECT username FROM system_views.clients")
    assert p.returncode == 0, p.stderr
    assert "cassandra" in p.stdout
    assert "Warning: Using a password on the command line interface can be insecure." in p.stderr
    p = run(ringsh_bin, addr, "-u", "cassandra", "-p", "wrong", "-e", "SELECT * FROM system.local")
    assert p.returncode == 1
    assert ("AuthenticationFailed('Failed to authenticate to 127.0.0.1:%d: Error from server: "
            "code=0100 [Bad credentials] message=\"Provided username cassandra and/or password "
            "are incorrect\"')" % srv.port) in p.stderr
    p = run(ringsh_bin, addr, "-e", "SELECT * FROM system.local")
    assert p.returncode == 1
    assert p.stderr == ("Connection error: ('Unable to connect to any servers', "
                        "{'127.0.0.1:%d': AuthenticationFailed('Remote end requires "
                        "authentication')})\n" % srv.port)
