"""The native protocol by hand: handshake, bad versions, malformed frames,
stream ids, events, v5 segments. After every test a fresh driver session
must still work (the server survived and serves)."""

import io
import re
import socket
import struct
import threading
import time

import pytest

from ringdb_testlib import (
    CL_ONE, ERR_INVALID, ERR_PROTOCOL, ERR_SERVER, OP_ERROR, OP_EVENT, OP_OPTIONS, OP_QUERY,
    OP_READY, OP_RESULT, OP_STARTUP, OP_SUPPORTED, ConnectionClosed, CrcMismatch,
    RawConnection, Reader, crc24, crc32_payload, decode_segment_header, enc_long_string,
    enc_short, enc_string_map, encode_frame, encode_segment, parse_rows, query_body)

SUPPORTED_VERSIONS = "3/v3, 4/v4, 5/v5"


@pytest.fixture(autouse=True)
def server_still_serves(request):
    """After each test that talked to the shared server: a fresh session
    (new connections) still works."""
    yield
    if not {"raw", "server_addr", "session"} & set(request.fixturenames):
        return
    s = request.getfixturevalue("cluster").connect()
    try:
        assert s.execute("SELECT key FROM system.local", timeout=20).one().key == "local"
    finally:
        s.shutdown()


def fresh(server_addr, timeout=10.0):
    return RawConnection(server_addr[0], server_addr[1], timeout=timeout)


# ---------------------------------------------------------------- codec self-test
def test_segment_codec_matches_python_driver():
    from cassandra.segment import SegmentCodec, compute_crc24
    codec = SegmentCodec()
    for payload in (b"", b"x", bytes(range(256)) * 10):
        ours = encode_segment(payload)
        buf = io.BytesIO()
        codec.encode(buf, payload)
        assert buf.getvalue() == ours
        b = io.BytesIO(ours)
        header = codec.decode_header(b)
        assert codec.decode(b, header).payload == payload
        assert decode_segment_header(ours[:6]) == (len(payload), True)
    for v in (0, 1, 0x20001, 0x3ffff, 0xabcdef):
        assert crc24(v, 3) == compute_crc24(v, 3)
    assert crc32_payload(b"abc") == crc32_payload(b"abc")


# ---------------------------------------------------------------- handshake
@pytest.mark.parametrize("version", [3, 4, 5])
def test_options_supported(ringdb_server, server_addr, version):
    with fresh(server_addr) as c:
        c.send(OP_OPTIONS, b"", stream=3, version=version)
        f = c.recv()
        assert f.opcode == OP_SUPPORTED, f
        assert f.version == version and f.is_response
        assert f.stream == 3
        opts = Reader(f.body).string_multimap()
        assert len(opts["CQL_VERSION"]) == 1 and opts["CQL_VERSION"][0].startswith("3.4."), opts
        assert "lz4" in opts["COMPRESSION"]
        if version < 5:
            assert "snappy" in opts["COMPRESSION"]
        # Cassandra 4.0+ also lists its beta version, "6/v6-beta".
        pv = opts["PROTOCOL_VERSIONS"]
        assert pv[:3] == ["3/v3", "4/v4", "5/v5"], pv
        if not ringdb_server.external:
            assert pv == ["3/v3", "4/v4", "5/v5"]
        # OPTIONS does not start the connection: STARTUP still works after it
        c.startup(version)
        assert c.query_ok("SELECT key FROM system.local").opcode == OP_RESULT


def test_options_after_startup(raw):
    c = raw(version=4)
    opts = c.options(stream=9)
    assert "PROTOCOL_VERSIONS" in opts


@pytest.mark.parametrize("options,message", [
    ({"CQL_VERSION": "2.0.0"},
     "CQL version 2.0.0 is not supported by the binary protocol (supported version are >= 3.0.0)"),
    ({}, "Missing value CQL_VERSION in STARTUP message"),
    ({"CQL_VERSION": "3.0.0", "COMPRESSION": "zstd-fancy"}, "Unknown compression algorithm: zstd-fancy"),
])
def test_startup_rejected(server_addr, options, message):
    with fresh(server_addr) as c:
        c.send(OP_STARTUP, enc_string_map(options), stream=1, version=4)
        f = c.recv()
        assert f.opcode == OP_ERROR, f
        code, msg, _ = f.error()
        assert code == ERR_PROTOCOL
        assert msg == message


def test_startup_v5_with_snappy_rejected(server_addr):
    with fresh(server_addr) as c:
        c.send(OP_STARTUP, enc_string_map({"CQL_VERSION": "3.0.0", "COMPRESSION": "snappy"}),
               stream=1, version=5)
        f = c.recv()
        assert f.opcode == OP_ERROR, f
        code, msg, _ = f.error()
        assert code == ERR_PROTOCOL
        assert msg == "Snappy compression is not supported in protocol V5"


def test_query_before_startup(server_addr):
    # Cassandra: Protocol error, the connection stays open, STARTUP then works.
    with fresh(server_addr) as c:
        c.send(OP_QUERY, query_body("SELECT key FROM system.local"), stream=2, version=4)
        f = c.recv()
        assert f.opcode == OP_ERROR, f
        assert f.stream == 2
        code, msg, _ = f.error()
        assert code == ERR_PROTOCOL
        assert msg == "Unexpected message QUERY, expecting STARTUP or OPTIONS"
        c.startup(4)
        assert c.query_ok("SELECT key FROM system.local").opcode == OP_RESULT


# ---------------------------------------------------------------- bad versions
# Cassandra (ProtocolVersion.decode, CASSANDRA-11464/16581): v1 and v2 are
# answered in that same old version (8-byte header, 1-byte stream id) so old
# drivers can read the error; an unknown version is answered in the
# connection's version, which before STARTUP is CURRENT = v5.
@pytest.mark.parametrize("sent,answer_version", [
    (0x01, 1), (0x02, 2), (0x06, 5), (0x45, 5), (0x41, 5), (0x42, 5), (0x7f, 5)])
def test_unsupported_protocol_version(ringdb_server, server_addr, sent, answer_version):
    with fresh(server_addr) as c:
        c.send_raw(encode_frame(sent, OP_OPTIONS, b"", stream=0))
        f = c.recv()
        assert f.opcode == OP_ERROR, f
        assert f.is_response
        code, msg, _ = f.error()
        assert code == ERR_PROTOCOL
        if sent == 6 and "USE_BETA" in msg:  # Apache Cassandra supports v6 as beta
            assert f.version == 6
        else:
            assert msg.startswith("Invalid or unsupported protocol version (%d); supported versions are (%s"
                                  % (sent, SUPPORTED_VERSIONS)), msg
            # python-driver looks for this substring to step its version down
            assert "unsupported protocol version" in msg
            assert f.version == answer_version
        assert f.stream >= 0
        if not ringdb_server.external:
            assert c.is_closed(timeout=5), "connection left open after a bad protocol version"


def test_version_change_mid_connection(raw):
    # A v3 frame on a v4 connection: Protocol error, never a crash.
    c = raw(version=4)
    c.send(OP_QUERY, query_body("SELECT key FROM system.local", version=3), stream=4, version=3)
    try:
        f = c.recv()
    except ConnectionClosed:
        return
    assert f.opcode == OP_ERROR, f
    assert f.error()[0] == ERR_PROTOCOL


# ---------------------------------------------------------------- malformed frames
@pytest.mark.parametrize("version", [4, 5])
def test_unknown_opcode_keeps_connection(raw, version):
    c = raw(version=version)
    c.send(0x1F, b"\x00\x01\x02\x03", stream=5)
    f = c.recv_response(5)
    assert f.opcode == OP_ERROR, f
    assert f.error()[0] == ERR_PROTOCOL
    assert c.query_ok("SELECT key FROM system.local", stream=6).opcode == OP_RESULT


def test_response_opcode_from_client(raw):
    c = raw(version=4)
    c.send(OP_READY, b"", stream=5)
    f = c.recv_response(5)
    assert f.opcode == OP_ERROR, f
    assert f.error()[0] == ERR_PROTOCOL
    assert c.query_ok("SELECT key FROM system.local", stream=6).opcode == OP_RESULT


def test_frame_larger_than_max_frame_size(private_server):
    srv = private_server(extra_args=["--set", "native_transport_max_frame_size=1MiB"])
    with RawConnection(srv.host, srv.port) as c:
        c.startup(4)
        assert c.query_ok("SELECT key FROM system.local").opcode == OP_RESULT
        body_len = 2 * 1024 * 1024
        c.send_raw(struct.pack(">BBhBi", 4, 0, 9, OP_QUERY, body_len) + b"\x00" * 16)
        try:
            f = c.recv(timeout=10)
        except ConnectionClosed:
            pytest.fail("connection closed without an ERROR frame")
        assert f.opcode == OP_ERROR, f
        code, msg, _ = f.error()
        # Cassandra 4.x answers Invalid "Request is too big: length N exceeds
        # maximum allowed length M." after discarding the body; a Protocol
        # error followed by closing the connection is as good.
        assert code in (ERR_PROTOCOL, ERR_INVALID), hex(code)
        assert re.search(r"too big|exceed", msg), msg
    with RawConnection(srv.host, srv.port) as c2:
        c2.startup(4)
        assert c2.query_ok("SELECT key FROM system.local").opcode == OP_RESULT


@pytest.mark.parametrize("cut", ["header", "body"])
def test_truncated_frame_then_close(server_addr, cut):
    for _ in range(3):
        c = fresh(server_addr)
        c.startup(4)
        frame = encode_frame(4, OP_QUERY, query_body("SELECT key FROM system.local"), stream=1)
        c.send_raw(frame[:5] if cut == "header" else frame[:20])
        c.close()
    with fresh(server_addr) as c:
        c.startup(4)
        assert c.query_ok("SELECT key FROM system.local").opcode == OP_RESULT


def test_truncated_body_then_wait(server_addr):
    # Half a frame and silence: the server waits (no answer yet, no crash);
    # the rest arriving later completes the frame.
    with fresh(server_addr) as c:
        c.startup(4)
        frame = encode_frame(4, OP_QUERY, query_body("SELECT key FROM system.local"), stream=1)
        c.send_raw(frame[:14])
        with pytest.raises(socket.timeout):
            c.recv(timeout=0.5)
        c.send_raw(frame[14:])
        f = c.recv_response(1)
        assert f.opcode == OP_RESULT, f


@pytest.mark.parametrize("version", [4, 5])
def test_invalid_utf8_query(raw, version):
    c = raw(version=version)
    bad = b"SELECT key FROM system.local WHERE key = '\xff\xfe'"
    body = enc_long_string(bad) + enc_short(CL_ONE) + (b"\x00\x00\x00\x00" if version >= 5 else b"\x00")
    c.send(OP_QUERY, body, stream=11)
    f = c.recv_response(11)
    assert f.opcode == OP_ERROR, f
    assert f.error()[0] == ERR_PROTOCOL, f
    assert c.query_ok("SELECT key FROM system.local", stream=12).opcode == OP_RESULT


def test_garbage_after_valid_frame(server_addr):
    with fresh(server_addr) as c:
        c.startup(4)
        frame = encode_frame(4, OP_QUERY, query_body("SELECT key FROM system.local"), stream=1)
        c.send_raw(frame + b"\xde\xad\xbe\xef" * 8)
        f = c.recv_response(1)
        assert f.opcode == OP_RESULT, f
        # then an ERROR for the garbage and/or the connection closed
        try:
            g = c.recv(timeout=5)
            assert g.opcode == OP_ERROR, g
            assert g.error()[0] == ERR_PROTOCOL
        except (ConnectionClosed, socket.timeout):
            pass


@pytest.mark.parametrize("version", [4, 5])
def test_long_string_longer_than_body(ringdb_server, raw, version):
    c = raw(version=version)
    body = struct.pack(">i", 1000) + b"SELECT * F" + enc_short(CL_ONE)
    body += b"\x00\x00\x00\x00" if version >= 5 else b"\x00"
    c.send(OP_QUERY, body, stream=21)
    f = c.recv_response(21)
    assert f.opcode == OP_ERROR, f
    allowed = (ERR_PROTOCOL, ERR_SERVER) if ringdb_server.external else (ERR_PROTOCOL,)
    assert f.error()[0] in allowed, f
    # the frame boundary held: the next frame is read correctly
    assert c.query_ok("SELECT key FROM system.local", stream=22).opcode == OP_RESULT


def test_consistency_missing_from_body(raw):
    c = raw(version=4)
    c.send(OP_QUERY, enc_long_string("SELECT key FROM system.local"), stream=23)
    f = c.recv_response(23)
    assert f.opcode == OP_ERROR, f
    assert f.error()[0] in (ERR_PROTOCOL, ERR_SERVER)
    assert c.query_ok("SELECT key FROM system.local", stream=24).opcode == OP_RESULT


# ---------------------------------------------------------------- stream ids
@pytest.mark.parametrize("version", [4, 5])
def test_many_streams_in_flight(raw, version):
    c = raw(version=version)
    streams = list(range(1, 150)) + [255, 256, 1000, 32767]
    envs = []
    for s in streams:
        if s % 2:
            q = "SELECT key FROM system.local WHERE key = 'local'"
        else:
            q = 'USE "ks_missing_%d"' % s  # an error naming the stream
        envs.append(encode_frame(version, OP_QUERY, query_body(q, version=version), stream=s))
    if c.segments:
        # v5: a self-contained segment may hold several whole envelopes
        chunk = b""
        for env in envs:
            if len(chunk) + len(env) > 60000:
                c.send_raw(encode_segment(chunk))
                chunk = b""
            chunk += env
        c.send_raw(encode_segment(chunk))
    else:
        c.send_raw(b"".join(envs))
    got = {}
    for _ in streams:
        f = c.recv(timeout=20)
        assert f.stream >= 0, "event frame %r on a connection that did not REGISTER" % f
        assert f.stream not in got, "two answers for stream %d" % f.stream
        got[f.stream] = f
    assert sorted(got) == sorted(streams)
    for s, f in got.items():
        if s % 2:
            assert f.opcode == OP_RESULT, (s, f)
            names, rows = parse_rows(f.body)
            assert rows == [[b"local"]]
        else:
            assert f.opcode == OP_ERROR, (s, f)
            assert f.error()[1] == "Keyspace 'ks_missing_%d' does not exist" % s


# ---------------------------------------------------------------- events
@pytest.mark.parametrize("version", [4, 5])
def test_register_schema_change_event(raw, session, keyspace_name, version):
    c = raw(version=version)
    c.register(["SCHEMA_CHANGE"], stream=1)
    ks = keyspace_name()
    try:
        session.execute("CREATE KEYSPACE %s WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
        ev = _next_event(c, ks)
        assert ev == ("SCHEMA_CHANGE", "CREATED", "KEYSPACE", ks)
        session.execute("DROP KEYSPACE %s" % ks)
        ev = _next_event(c, ks)
        assert ev == ("SCHEMA_CHANGE", "DROPPED", "KEYSPACE", ks)
    finally:
        session.execute("DROP KEYSPACE IF EXISTS %s" % ks)


def _next_event(c, ks, timeout=10):
    while True:
        f = c.recv(timeout=timeout)
        assert f.stream == -1, "expected an EVENT on stream -1, got %r" % f
        assert f.opcode == OP_EVENT, f
        r = Reader(f.body)
        ev = (r.string(), r.string(), r.string(), r.string())
        if ev[3] == ks:
            return ev


def test_no_events_without_register(raw, session, keyspace_name):
    c = raw(version=4)
    ks = keyspace_name()
    try:
        session.execute("CREATE KEYSPACE %s WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
        with pytest.raises(socket.timeout):
            c.recv(timeout=0.5)
    finally:
        session.execute("DROP KEYSPACE IF EXISTS %s" % ks)


# ---------------------------------------------------------------- v5 segments
def test_v5_segments_after_ready(server_addr):
    with fresh(server_addr) as c:
        f = c.startup(5)  # READY itself is a plain envelope
        assert f.opcode == OP_READY
        assert c.segments
        f = c.query_ok("SELECT key FROM system.local", stream=1)  # decoded from a CRC-checked segment
        assert parse_rows(f.body)[1] == [[b"local"]]
        # two envelopes in one self-contained segment -> two answers
        e1 = encode_frame(5, OP_QUERY, query_body("SELECT key FROM system.local", version=5), stream=2)
        e2 = encode_frame(5, OP_QUERY, query_body("SELECT key FROM system.local", version=5), stream=3)
        c.send_raw(encode_segment(e1 + e2))
        got = {c.recv().stream, c.recv().stream}
        assert got == {2, 3}


def test_v5_large_message_in_several_segments(server_addr):
    # A message over 128 KiB goes in non-self-contained segments.
    with fresh(server_addr) as c:
        c.startup(5)
        padding = "/* " + "x" * 300000 + " */"
        c.send(OP_QUERY, query_body("SELECT key FROM system.local " + padding, version=5), stream=4)
        f = c.recv_response(4, timeout=20)
        assert f.opcode == OP_RESULT, f
        assert parse_rows(f.body)[1] == [[b"local"]]


@pytest.mark.parametrize("where", ["header", "payload"])
def test_v5_corrupted_crc(server_addr, where):
    with fresh(server_addr) as c:
        c.startup(5)
        env = encode_frame(5, OP_QUERY, query_body("SELECT key FROM system.local", version=5), stream=1)
        c.send_raw(encode_segment(env, corrupt_header_crc=(where == "header"),
                                  corrupt_payload_crc=(where == "payload")))
        # The corrupted request is never executed. A bad header CRC loses the
        # framing: the connection must close. A bad payload CRC may be
        # answered with a Protocol error first.
        try:
            while True:
                f = c.recv(timeout=5)
                assert f.opcode == OP_ERROR, "corrupted segment was executed: %r" % f
                assert f.error()[0] == ERR_PROTOCOL
        except ConnectionClosed:
            pass
        except CrcMismatch:
            pytest.fail("server answered with a corrupt segment")
        except socket.timeout:
            pytest.fail("connection left open after a segment with a bad %s CRC" % where)


def test_v5_plain_envelope_after_ready_is_rejected(server_addr):
    # After READY on v5 every byte is segment framing: a bare envelope is
    # read as a segment header whose CRC24 cannot match.
    with fresh(server_addr) as c:
        c.startup(5)
        c.segments = False
        c.send_raw(encode_frame(5, OP_QUERY, query_body("SELECT key FROM system.local", version=5),
                                stream=1))
        c.segments = True
        try:
            f = c.recv(timeout=5)
            assert f.opcode == OP_ERROR, f
        except (ConnectionClosed, CrcMismatch):
            pass
        except socket.timeout:
            pytest.fail("connection left open after a bare envelope on a v5 connection")


# ---------------------------------------------------------------- slow client
def test_many_raw_connections_open_and_close(server_addr):
    conns = []
    try:
        for _ in range(50):
            c = fresh(server_addr)
            c.startup(4)
            conns.append(c)
        for i, c in enumerate(conns):
            assert c.query_ok("SELECT key FROM system.local", stream=i + 1).opcode == OP_RESULT
    finally:
        for c in conns:
            c.close()


def test_half_closed_client(server_addr):
    # Client sends a request and shuts down its write side: the answer still comes.
    with fresh(server_addr) as c:
        c.startup(4)
        c.send(OP_QUERY, query_body("SELECT key FROM system.local"), stream=1)
        c.sock.shutdown(socket.SHUT_WR)
        f = c.recv_response(1)
        assert f.opcode == OP_RESULT, f


def test_slow_reader(server_addr):
    # Many requests, the client reads nothing for a while, then everything.
    with fresh(server_addr) as c:
        c.startup(4)
        frames = b"".join(encode_frame(4, OP_QUERY, query_body("SELECT * FROM system.local"), stream=s)
                          for s in range(1, 2001))
        t = threading.Thread(target=c.send_raw, args=(frames,), daemon=True)
        t.start()
        time.sleep(1.0)  # the server fills its send buffer and must wait, not drop
        got = set()
        for _ in range(2000):
            f = c.recv(timeout=30)
            assert f.opcode == OP_RESULT, f
            got.add(f.stream)
        assert len(got) == 2000
        t.join(10)
