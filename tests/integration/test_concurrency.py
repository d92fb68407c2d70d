"""Many requests in flight on one connection; connections spread over the
shards (observed through system_views.clients, ringdb's extra column
`shard`)."""

import pytest

CLIENT_COLUMNS = {"address", "port", "hostname", "username", "connection_stage",
                  "protocol_version", "driver_name", "driver_version", "request_count",
                  "ssl_enabled"}


@pytest.mark.parametrize("version", [4, 5])
def test_thousand_async_requests_one_connection(make_cluster, version):
    c = make_cluster(protocol_version=version)
    s = c.connect()
    pool_conns = [conn for pool in s._pools.values() for conn in pool.get_connections()]
    assert len(pool_conns) == 1, "expected one connection to the node, got %d" % len(pool_conns)
    futures = [s.execute_async("SELECT key, cluster_name FROM system.local") for _ in range(1000)]
    cluster_names = set()
    for f in futures:
        rows = list(f.result())
        assert len(rows) == 1
        assert rows[0].key == "local"
        cluster_names.add(rows[0].cluster_name)
    assert len(cluster_names) == 1
    # and mixed prepared / parametrised requests answered in the right place
    ps = s.prepare("SELECT key FROM system.local WHERE key = ?")
    keys = ["local" if i % 2 == 0 else "other%d" % i for i in range(400)]
    futures = [s.execute_async(ps, [k]) for k in keys]
    for k, f in zip(keys, futures):
        rows = list(f.result())
        assert [r.key for r in rows] == (["local"] if k == "local" else [])


def test_connections_land_on_every_shard(ringdb_server, raw, session):
    conns = [raw(version=4) for _ in range(24)]
    ports = {c.sock.getsockname()[1] for c in conns}
    rs = session.execute("SELECT * FROM system_views.clients")
    names = set(rs.column_names)
    rows = list(rs)
    missing = CLIENT_COLUMNS - names
    assert not missing, "system_views.clients lacks columns %s" % sorted(missing)
    if "shard" not in names:
        if ringdb_server.external:
            pytest.skip("server has no system_views.clients.shard column (not ringdb)")
        pytest.fail("system_views.clients has no `shard` column")
    mine = [r for r in rows if r.port in ports]
    assert len(mine) == len(conns), "system_views.clients shows %d of my %d connections" % (
        len(mine), len(conns))
    for r in mine:
        assert r.protocol_version == 4
        assert str(r.address) == "127.0.0.1"
        assert str(r.connection_stage).lower() == "ready"
    shards = {r.shard for r in rows}
    if len(shards) < 2 and ringdb_server.external:
        pytest.skip("server reports a single shard")
    assert {r.shard for r in mine} == {0, 1}, "connections by shard: %r" % sorted(r.shard for r in mine)
    drivers = [r for r in rows if r.driver_name == "DataStax Python Driver"]
    assert drivers, "the driver's own connections are not listed with their DRIVER_NAME"
