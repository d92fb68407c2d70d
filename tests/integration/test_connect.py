"""Connecting with the Python driver: protocol negotiation, system.local,
system.peers(_v2), driver metadata and token map, frame compression."""

import importlib.util
import logging
import uuid

import pytest
from cassandra.cluster import Cluster

MURMUR3_MIN = -(2 ** 63)
MURMUR3_MAX = 2 ** 63 - 1


def _unexpected(records):
    """WARNING+ records other than the driver's protocol downgrade steps.

    python-driver 3.25 starts at protocol 0x42 (DSE_V2) and steps down on
    "Invalid or unsupported protocol version" errors: 66 -> 65 -> 5, logging a
    WARNING for each step even against Apache Cassandra 4.x. Those two are
    expected; anything else (or a step below 5) is a failure."""
    bad = []
    for r in records:
        msg = r.getMessage()
        if msg.startswith("Downgrading core protocol version from") and r.args:
            try:
                if int(r.args[1]) >= 5:
                    continue
            except (TypeError, ValueError, IndexError):
                pass
        if msg.startswith("Cluster.__init__ called with contact_points specified, but no "
                          "load_balancing_policy"):
            continue  # the driver's note on how the test builds Cluster, not the server
        bad.append("%s %s: %s" % (r.levelname, r.name, msg))
    return bad


def test_default_connect_negotiates_v5(server_addr, session, driver_log):
    # Guard: the plain Cluster below would connect to any peer the server
    # lists; only ever talk to loopback, so make sure there is none.
    assert list(session.execute("SELECT peer FROM system.peers")) == []
    host, port = server_addr
    c = Cluster([host], port=port)
    try:
        s = c.connect()
        row = s.execute("SELECT release_version FROM system.local").one()
        assert row is not None
        assert c.protocol_version == 5
    finally:
        c.shutdown()
    assert _unexpected(driver_log) == []


@pytest.mark.parametrize("version", [3, 4, 5])
def test_explicit_protocol_version(make_cluster, driver_log, version):
    c = make_cluster(protocol_version=version)
    s = c.connect()
    row = s.execute("SELECT key, release_version FROM system.local").one()
    assert row.key == "local"
    assert c.protocol_version == version
    assert c.control_connection._connection.protocol_version == version
    bad = ["%s %s: %s" % (r.levelname, r.name, r.getMessage()) for r in driver_log]
    assert bad == []


def test_system_local(session):
    row = session.execute("SELECT * FROM system.local").one()
    assert row is not None
    assert row.key == "local"
    assert isinstance(row.cluster_name, str) and row.cluster_name
    assert row.release_version.startswith(("4.", "5.")), row.release_version
    assert row.partitioner == "org.apache.cassandra.dht.Murmur3Partitioner"
    assert row.data_center == "datacenter1"
    assert row.rack == "rack1"
    assert isinstance(row.host_id, uuid.UUID)
    assert isinstance(row.schema_version, uuid.UUID)
    assert row.cql_version.startswith("3.")
    tokens = sorted(int(t) for t in row.tokens)
    assert len(tokens) == 16, row.tokens
    assert len(set(tokens)) == 16
    for t in tokens:
        assert MURMUR3_MIN <= t <= MURMUR3_MAX


def test_system_local_where_key(session):
    rows = list(session.execute("SELECT key FROM system.local WHERE key = 'local'"))
    assert [r.key for r in rows] == ["local"]


def test_single_node_has_no_peers(session):
    assert list(session.execute("SELECT * FROM system.peers")) == []
    assert list(session.execute("SELECT * FROM system.peers_v2")) == []


def test_metadata_and_token_map(cluster, session):
    ks = cluster.metadata.keyspaces
    assert "system" in ks
    assert "system_schema" in ks
    tm = cluster.metadata.token_map
    assert tm is not None, "driver built no token map"
    assert len(tm.ring) == 16
    hosts = cluster.metadata.all_hosts()
    assert len(hosts) == 1
    h = hosts[0]
    assert h.datacenter == "datacenter1"
    assert h.rack == "rack1"
    assert h.release_version.startswith(("4.", "5."))


def _has_module(name):
    return importlib.util.find_spec(name) is not None


@pytest.mark.parametrize("compression,version", [
    ("lz4", 4), ("lz4", 5), ("snappy", 4), ("snappy", 5)])
def test_compression(make_cluster, driver_log, compression, version):
    if not _has_module(compression):
        pytest.skip("python module %r missing (Debian python3-%s)" % (compression, compression))
    c = make_cluster(protocol_version=version, compression=compression)
    s = c.connect()
    conn = c.control_connection._connection
    if version >= 5 and compression == "snappy":
        # v5 compresses segments with lz4 only; the driver (like Cassandra)
        # turns compression off for snappy and carries on uncompressed.
        assert conn._compression_type is None or conn.compressor is None
    else:
        assert conn._compression_type == compression
    # A request big enough to be worth compressing, and a compressible answer.
    padding = "/* " + "ringdb " * 400 + "*/"
    for _ in range(3):
        row = s.execute("SELECT * FROM system.local WHERE key = %s " + padding, ["local"]).one()
        assert row.key == "local"
        assert len(row.tokens) == 16
    ps = s.prepare("SELECT release_version FROM system.local WHERE key = ?")
    assert s.execute(ps, ["local"]).one().release_version.startswith(("4.", "5."))
    bad = ["%s %s: %s" % (r.levelname, r.name, r.getMessage()) for r in driver_log
           if r.levelno >= logging.WARNING]
    assert bad == []
