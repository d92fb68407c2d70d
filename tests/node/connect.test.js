'use strict';
// ringdb end-to-end tests with the DataStax Node.js driver (cassandra-driver 4.x).
// Run by tests/integration/test_node_driver.py with RINGDB_HOST/RINGDB_PORT set;
// by hand: RINGDB_HOST=127.0.0.1 RINGDB_PORT=9042 node --test   (in tests/node)
const test = require('node:test');
const assert = require('node:assert/strict');
const cassandra = require('cassandra-driver');

const host = process.env.RINGDB_HOST || '127.0.0.1';
const port = Number(process.env.RINGDB_PORT || 9042);
const SIMPLE = 'org.apache.cassandra.locator.SimpleStrategy';
const NTS = 'org.apache.cassandra.locator.NetworkTopologyStrategy';

function newClient(options) {
  return new cassandra.Client(Object.assign({
    contactPoints: [`${host}:${port}`],
    localDataCenter: 'datacenter1',
    // never route a request to any address but the one under test
    policies: {
      loadBalancing: new cassandra.policies.loadBalancing.AllowListPolicy(
        new cassandra.policies.loadBalancing.RoundRobinPolicy(), [`${host}:${port}`]),
    },
    socketOptions: { connectTimeout: 10000, readTimeout: 30000 },
  }, options || {}));
}

function ksName(tag) {
  return `ks_node_${tag}_${process.pid}_${Date.now() % 100000}`.slice(0, 48);
}

async function waitFor(pred, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('ringdb with the Node.js driver', async (t) => {
  const client = newClient();
  await client.connect();

  await t.test('connects and negotiates a protocol version >= 4', () => {
    const hosts = client.hosts.values();
    assert.equal(hosts.length, 1);
    assert.equal(hosts[0].datacenter, 'datacenter1');
    assert.equal(hosts[0].rack, 'rack1');
    assert.ok(client.controlConnection.protocolVersion >= 4,
      `protocol ${client.controlConnection.protocolVersion}`);
  });

  await t.test('SELECT * FROM system.local', async () => {
    const rs = await client.execute('SELECT * FROM system.local');
    const row = rs.first();
    assert.ok(row, 'no row');
    assert.equal(row.key, 'local');
    assert.match(row.release_version, /^[45]\./);
    assert.equal(row.partitioner, 'org.apache.cassandra.dht.Murmur3Partitioner');
    assert.equal(row.data_center, 'datacenter1');
    assert.equal(row.rack, 'rack1');
    assert.ok(row.host_id instanceof cassandra.types.Uuid);
    assert.equal(row.tokens.length, 16);
  });

  await t.test('system.peers is empty', async () => {
    const rs = await client.execute('SELECT * FROM system.peers');
    assert.equal(rs.rowLength, 0);
  });

  await t.test('metadata lists the system keyspaces', async () => {
    assert.ok(client.metadata.keyspaces.system, 'system keyspace missing');
    assert.ok(client.metadata.keyspaces.system_schema, 'system_schema keyspace missing');
    const ks = await client.metadata.refreshKeyspace('system_schema');
    assert.ok(ks);
    assert.equal(ks.name, 'system_schema');
    const tokenRanges = client.metadata.getTokenRanges();
    assert.equal(tokenRanges.size, 16);
  });

  await t.test('keyspace DDL: create, alter, drop', async () => {
    const name = ksName('ddl');
    try {
      await client.execute(`CREATE KEYSPACE ${name} WITH replication = ` +
        "{'class': 'SimpleStrategy', 'replication_factor': 1}");
      await waitFor(() => client.metadata.keyspaces[name] !== undefined, `keyspace ${name} in metadata`);
      let ks = await client.metadata.refreshKeyspace(name);
      assert.equal(ks.strategy, SIMPLE);
      assert.deepEqual(Object.assign({}, ks.strategyOptions), { replication_factor: '1' });
      assert.equal(ks.durableWrites, true);

      await client.execute(`ALTER KEYSPACE ${name} WITH replication = ` +
        "{'class': 'NetworkTopologyStrategy', 'datacenter1': 2} AND durable_writes = false");
      await waitFor(() => client.metadata.keyspaces[name] &&
        client.metadata.keyspaces[name].strategy === NTS, 'ALTER in metadata');
      ks = await client.metadata.refreshKeyspace(name);
      assert.deepEqual(Object.assign({}, ks.strategyOptions), { datacenter1: '2' });
      assert.equal(ks.durableWrites, false);

      const rs = await client.execute(
        'SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [name]);
      assert.deepEqual(Object.assign({}, rs.first().replication), { class: NTS, datacenter1: '2' });

      await assert.rejects(
        client.execute(`CREATE KEYSPACE ${name} WITH replication = ` +
          "{'class': 'SimpleStrategy', 'replication_factor': 1}"),
        (err) => err.code === cassandra.types.responseErrorCodes.alreadyExists);

      await client.execute(`DROP KEYSPACE ${name}`);
      await waitFor(() => client.metadata.keyspaces[name] === undefined, `keyspace ${name} gone`);
      await assert.rejects(client.execute(`DROP KEYSPACE ${name}`),
        (err) => err.code === cassandra.types.responseErrorCodes.invalid &&
          err.message === `Keyspace '${name}' doesn't exist`);
    } finally {
      await client.execute(`DROP KEYSPACE IF EXISTS ${name}`);
    }
  });

  await t.test('syntax error is a ResponseError with code syntaxError', async () => {
    await assert.rejects(client.execute('SELEC * FROM system.local'),
      (err) => err instanceof cassandra.errors.ResponseError &&
        err.code === cassandra.types.responseErrorCodes.syntaxError && /^line 1:/.test(err.message));
  });

  await t.test('prepared statement', async () => {
    const q = 'SELECT key, release_version FROM system.local WHERE key = ?';
    for (let i = 0; i < 3; i++) {
      const rs = await client.execute(q, ['local'], { prepare: true });
      assert.equal(rs.first().key, 'local');
    }
    const none = await client.execute(q, ['nope'], { prepare: true });
    assert.equal(none.rowLength, 0);
  });

  await t.test('concurrent requests', async () => {
    const all = [];
    for (let i = 0; i < 200; i++) all.push(client.execute('SELECT key FROM system.local'));
    const results = await Promise.all(all);
    for (const rs of results) assert.equal(rs.first().key, 'local');
  });

  await client.shutdown();
});
