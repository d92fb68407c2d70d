"""PasswordAuthenticator: the SASL PLAIN exchange (AUTHENTICATE ->
AUTH_RESPONSE -> AUTH_SUCCESS), bad credentials, and a client with no
credentials. A private server: the shared one runs AllowAllAuthenticator."""
import os

import pytest
from cassandra import AuthenticationFailed
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster, NoHostAvailable
from cassandra.policies import WhiteListRoundRobinPolicy

from ringdb_testlib import (OP_AUTH_SUCCESS, OP_AUTHENTICATE, OP_ERROR, OP_READY, RawConnection,
                            ServerProcess, free_port)

pytestmark = pytest.mark.skipif(os.environ.get("RINGDB_HOST") is not None,
                                reason="starts its own server")

ERR_BAD_CREDENTIALS = 0x0100


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    d = tmp_path_factory.mktemp("auth")
    srv = ServerProcess(str(d / "data"), str(d / "log"), port=free_port(), smp=2,
                        extra_args=["--set", "authenticator=PasswordAuthenticator"])
    srv.start()
    yield srv
    assert srv.stop() == 0
    assert not srv.sanitizer_reports()


def cluster(srv, **kw):
    return Cluster(["127.0.0.1"], port=srv.port,
                   load_balancing_policy=WhiteListRoundRobinPolicy(["127.0.0.1"]), **kw)


@pytest.mark.parametrize("version", [4, 5])
def test_default_superuser_logs_in(auth_server, version):
    c = cluster(auth_server, protocol_version=version,
                auth_provider=PlainTextAuthProvider("cassandra", "cassandra"))
    try:
        s = c.connect()
        assert s.execute("SELECT key FROM system.local").one().key == "local"
        users = {r.username for r in s.execute("SELECT username FROM system_views.clients")}
        assert users == {"cassandra"}
    finally:
        c.shutdown()


def test_wrong_password_is_rejected(auth_server):
    c = cluster(auth_server, auth_provider=PlainTextAuthProvider("cassandra", "nope"))
    try:
        with pytest.raises(NoHostAvailable) as ei:
            c.connect()
        errs = list(ei.value.errors.values())
        assert errs and isinstance(errs[0], AuthenticationFailed), errs
        assert "Provided username cassandra and/or password are incorrect" in str(errs[0])
    finally:
        c.shutdown()


def test_no_credentials(auth_server):
    c = cluster(auth_server)
    try:
        with pytest.raises(NoHostAvailable) as ei:
            c.connect()
        assert "requires authentication" in str(ei.value)
    finally:
        c.shutdown()


def test_raw_exchange(auth_server):
    r = RawConnection("127.0.0.1", auth_server.port)
    try:
        f = r.request(0x01, _startup_body(), stream=1)
        assert f.opcode == OP_AUTHENTICATE
        assert f.body[2:].decode() == "org.apache.cassandra.auth.PasswordAuthenticator"
        # statements before authenticating are refused, the connection stays
        f = r.request(0x07, _query_body("SELECT key FROM system.local"), stream=2)
        assert f.opcode == OP_ERROR
        # wrong password: BadCredentials, and the exchange may be retried
        f = r.request(0x0F, _bytes(b"\0cassandra\0wrong"), stream=3)
        assert f.opcode == OP_ERROR and int.from_bytes(f.body[:4], "big") == ERR_BAD_CREDENTIALS
        f = r.request(0x0F, _bytes(b"\0cassandra\0cassandra"), stream=4)
        assert f.opcode == OP_AUTH_SUCCESS
        f = r.request(0x07, _query_body("SELECT key FROM system.local"), stream=5)
        assert f.opcode == 0x08  # RESULT
    finally:
        r.close()


def _string_map(d):
    out = len(d).to_bytes(2, "big")
    for k, v in d.items():
        out += len(k).to_bytes(2, "big") + k.encode() + len(v).to_bytes(2, "big") + v.encode()
    return out


def _startup_body():
    return _string_map({"CQL_VERSION": "3.0.0"})


def _bytes(b):
    return len(b).to_bytes(4, "big") + b


def _query_body(q):
    qb = q.encode()
    return len(qb).to_bytes(4, "big") + qb + (1).to_bytes(2, "big") + b"\x00"
