"""Helpers shared by the integration tests (imported by conftest.py and tests).

- ServerProcess: start/stop one ringdb node (stderr to a log file, wait for the
  "ringdb ready" line, SIGTERM, exit status and sanitizer checks).
- free_port(): a free TCP port on 127.0.0.1.
- RawConnection: a blocking socket speaking the CQL native protocol by hand
  (v3/v4 envelopes, and v5 envelopes inside self-contained segments after
  READY), for tests that drivers cannot express (malformed frames, stream ids).
- Body encoders/decoders ([string], [long string], [string map] ...), ERROR
  body parsing, and the v5 segment codec (CRC24 header, CRC32 payload).

Everything here talks only to the address it is given; conftest.py only ever
gives 127.0.0.1 (or RINGDB_HOST, which must be a loopback address).
"""

import os
import socket
import struct
import subprocess
import time
import zlib

# --------------------------------------------------------------------------
# Opcodes, error codes, consistency levels (native_protocol_v4.spec / v5.spec)
# --------------------------------------------------------------------------
OP_ERROR = 0x00
OP_STARTUP = 0x01
OP_READY = 0x02
OP_AUTHENTICATE = 0x03
OP_OPTIONS = 0x05
OP_SUPPORTED = 0x06
OP_QUERY = 0x07
OP_RESULT = 0x08
OP_PREPARE = 0x09
OP_EXECUTE = 0x0A
OP_REGISTER = 0x0B
OP_EVENT = 0x0C
OP_BATCH = 0x0D
OP_AUTH_CHALLENGE = 0x0E
OP_AUTH_RESPONSE = 0x0F
OP_AUTH_SUCCESS = 0x10

ERR_SERVER = 0x0000
ERR_PROTOCOL = 0x000A
ERR_SYNTAX = 0x2000
ERR_INVALID = 0x2200
ERR_CONFIG = 0x2300
ERR_ALREADY_EXISTS = 0x2400
ERR_UNPREPARED = 0x2500

CL_ONE = 0x0001

RESULT_VOID = 0x0001
RESULT_ROWS = 0x0002
RESULT_SET_KEYSPACE = 0x0003
RESULT_PREPARED = 0x0004
RESULT_SCHEMA_CHANGE = 0x0005

FLAG_COMPRESSED = 0x01
FLAG_TRACING = 0x02
FLAG_CUSTOM_PAYLOAD = 0x04
FLAG_WARNING = 0x08
FLAG_USE_BETA = 0x10

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer")

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


# --------------------------------------------------------------------------
# Server process
# --------------------------------------------------------------------------
def free_port(host="127.0.0.1"):
    """A TCP port that was free a moment ago (bind port 0, read it, close)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((host, 0))
        return s.getsockname()[1]
    finally:
        s.close()


def default_binary():
    path = os.environ.get("RINGDB_BIN") or os.path.join(REPO_ROOT, "build", "test", "ringdb")
    return os.path.abspath(path)


class ServerError(Exception):
    pass


class ServerProcess:
    """One ringdb node started by the tests.

    start() returns once the log has a line containing "ringdb ready";
    stop() sends SIGTERM and returns the exit status. The log (the server's
    stderr and stdout) is kept in log_path for the failure report.
    """

    READY = "ringdb ready"

    def __init__(self, data_dir, log_path, port=None, host="127.0.0.1", smp=2,
                 extra_args=(), binary=None):
        self.binary = binary or default_binary()
        self.host = host
        self.port = port or free_port(host)
        self.data_dir = data_dir
        self.log_path = log_path
        self.smp = smp
        self.extra_args = list(extra_args)
        self.proc = None
        self.returncode = None
        self._log_offset = 0  # where the current run's log starts

    def argv(self):
        return [self.binary, "--address", self.host, "--port", str(self.port),
                "--data-dir", self.data_dir, "--smp", str(self.smp)] + self.extra_args

    def start(self, timeout=30.0):
        if not os.path.isfile(self.binary) or not os.access(self.binary, os.X_OK):
            raise ServerError("ringdb binary not found or not executable: %s "
                              "(build it with `make build/test/ringdb`, or set RINGDB_BIN, "
                              "or RINGDB_HOST/RINGDB_PORT to use a running server)" % self.binary)
        os.makedirs(self.data_dir, exist_ok=True)
        self._log_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        env = dict(os.environ)
        # Sanitizer reports go to the log; leaks are reported at exit.
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        with open(self.log_path, "ab") as log:
            log.write(("\n=== start: %s\n" % " ".join(self.argv())).encode())
            log.flush()
            self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=REPO_ROOT, env=env)
        self.returncode = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.READY in self.run_log():
                return self
            rc = self.proc.poll()
            if rc is not None:
                self.returncode = rc
                raise ServerError("ringdb exited with status %s before it was ready\n%s"
                                  % (rc, self.log_tail()))
            time.sleep(0.05)
        self.kill()
        raise ServerError("ringdb did not log %r within %.0f s\n%s"
                          % (self.READY, timeout, self.log_tail()))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=30.0):
        """SIGTERM, wait; returns the exit status (SIGKILL and -9 after timeout)."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                with open(self.log_path, "ab") as log:
                    log.write(b"\n=== test harness: no exit %.0f s after SIGTERM, sent SIGKILL\n" % timeout)
        self.returncode = self.proc.returncode
        self.proc = None
        return self.returncode

    def restart(self, timeout=30.0):
        """SIGTERM, check the exit was clean, start again on the same port
        and data dir."""
        self.stop(timeout=timeout)
        self.check_clean_exit()
        return self.start(timeout=timeout)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            self.returncode = self.proc.returncode
        self.proc = None

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def run_log(self):
        """The log of the current (or last) run only."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_offset)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines=60):
        text = self.log_text().splitlines()
        return "---- last %d lines of %s ----\n%s\n----" % (
            min(lines, len(text)), self.log_path, "\n".join(text[-lines:]))

    def sanitizer_reports(self):
        return [line for line in self.log_text().splitlines()
                if any(m in line for m in SANITIZER_MARKERS)]

    def check_clean_exit(self):
        """Raise unless the last run exited 0 with no sanitizer report."""
        problems = []
        if self.returncode != 0:
            problems.append("ringdb exit status %s after SIGTERM (expected 0)" % self.returncode)
        reports = self.sanitizer_reports()
        if reports:
            problems.append("sanitizer reports in the server log:\n  " + "\n  ".join(reports[:10]))
        if problems:
            raise ServerError("\n".join(problems) + "\n" + self.log_tail(120))


# --------------------------------------------------------------------------
# Body encoding / decoding
# --------------------------------------------------------------------------
def enc_short(n):
    return struct.pack(">H", n)


def enc_int(n):
    return struct.pack(">i", n)


def enc_string(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack(">H", len(b)) + b


def enc_long_string(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack(">i", len(b)) + b


def enc_string_map(d):
    out = struct.pack(">H", len(d))
    for k, v in d.items():
        out += enc_string(k) + enc_string(v)
    return out


def enc_string_list(items):
    out = struct.pack(">H", len(items))
    for s in items:
        out += enc_string(s)
    return out


def enc_short_bytes(b):
    return struct.pack(">H", len(b)) + b


def enc_bytes(b):
    if b is None:
        return struct.pack(">i", -1)
    return struct.pack(">i", len(b)) + b


class Reader:
    """Sequential decoder over a frame body."""

    def __init__(self, data):
        self.data = bytes(data)
        self.pos = 0

    def remaining(self):
        return len(self.data) - self.pos

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("body too short: need %d bytes at %d, have %d"
                             % (n, self.pos, len(self.data)))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def byte(self):
        return self.take(1)[0]

    def short(self):
        return struct.unpack(">H", self.take(2))[0]

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def long(self):
        return struct.unpack(">q", self.take(8))[0]

    def string(self):
        return self.take(self.short()).decode("utf-8")

    def long_string(self):
        return self.take(self.int()).decode("utf-8")

    def short_bytes(self):
        return self.take(self.short())

    def bytes(self):
        n = self.int()
        return None if n < 0 else self.take(n)

    def string_list(self):
        return [self.string() for _ in range(self.short())]

    def string_map(self):
        return dict((self.string(), self.string()) for _ in range(self.short()))

    def string_multimap(self):
        out = {}
        for _ in range(self.short()):
            k = self.string()
            out[k] = self.string_list()
        return out


def parse_error(body):
    """ERROR body -> (code, message, rest_bytes)."""
    r = Reader(body)
    code = r.int()
    msg = r.string()
    return code, msg, r.data[r.pos:]


def query_body(query, consistency=CL_ONE, version=4, flags=0, extra=b""):
    """QUERY body: <query><consistency><flags>[...]; flags are a byte for
    v3/v4 and an [int] for v5."""
    body = enc_long_string(query) + enc_short(consistency)
    body += struct.pack(">I", flags) if version >= 5 else struct.pack(">B", flags)
    return body + extra


def execute_body(query_id, version=4, result_metadata_id=b"", consistency=CL_ONE):
    body = enc_short_bytes(query_id)
    if version >= 5:
        body += enc_short_bytes(result_metadata_id)
    body += enc_short(consistency)
    body += struct.pack(">I", 0) if version >= 5 else struct.pack(">B", 0)
    return body


# --------------------------------------------------------------------------
# v5 segments (native_protocol_v5.spec section 2): uncompressed header is
# 3 bytes little-endian: payload length (17 bits) | self-contained flag (bit
# 17); then the CRC24 of those 3 bytes (3 bytes LE); then the payload; then
# the CRC32 of the payload (4 bytes LE), CRC32 seeded with the bytes
# fa 2d 55 ca. Same constants as python-driver cassandra/segment.py.
# --------------------------------------------------------------------------
CRC24_INIT = 0x875060
CRC24_POLY = 0x1974F0B
CRC32_INITIAL = zlib.crc32(b"\xfa\x2d\x55\xca")
SEGMENT_MAX_PAYLOAD = 128 * 1024 - 1


def crc24(value, nbytes):
    crc = CRC24_INIT
    for _ in range(nbytes):
        crc ^= (value & 0xFF) << 16
        value >>= 8
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= CRC24_POLY
    return crc & 0xFFFFFF


def crc32_payload(payload):
    return zlib.crc32(payload, CRC32_INITIAL) & 0xFFFFFFFF


def encode_segment(payload, self_contained=True, corrupt_header_crc=False,
                   corrupt_payload_crc=False):
    if len(payload) > SEGMENT_MAX_PAYLOAD:
        raise ValueError("payload too long for one segment")
    header = len(payload) | ((1 << 17) if self_contained else 0)
    hcrc = crc24(header, 3)
    if corrupt_header_crc:
        hcrc ^= 0x000001
    pcrc = crc32_payload(payload)
    if corrupt_payload_crc:
        pcrc ^= 0x00000001
    return (header.to_bytes(3, "little") + hcrc.to_bytes(3, "little") + payload
            + pcrc.to_bytes(4, "little"))


class CrcMismatch(Exception):
    pass


def decode_segment_header(raw6):
    header = int.from_bytes(raw6[:3], "little")
    hcrc = int.from_bytes(raw6[3:6], "little")
    if crc24(header, 3) != hcrc:
        raise CrcMismatch("segment header CRC24 mismatch")
    return header & SEGMENT_MAX_PAYLOAD, bool(header & (1 << 17))


# --------------------------------------------------------------------------
# Frames and the raw connection
# --------------------------------------------------------------------------
class Frame:
    def __init__(self, version, flags, stream, opcode, body):
        self.version = version & 0x7F
        self.is_response = bool(version & 0x80)
        self.raw_version = version
        self.flags = flags
        self.stream = stream
        self.opcode = opcode
        self.body = body

    def error(self):
        assert self.opcode == OP_ERROR, "not an ERROR frame: %r" % self
        return parse_error(self.body)

    def __repr__(self):
        extra = ""
        if self.opcode == OP_ERROR:
            try:
                extra = " error=0x%04x %r" % parse_error(self.body)[:2]
            except Exception:
                pass
        return "Frame(version=0x%02x flags=0x%02x stream=%d opcode=0x%02x body=%d bytes%s)" % (
            self.raw_version, self.flags, self.stream, self.opcode, len(self.body), extra)


def encode_frame(version, opcode, body=b"", stream=0, flags=0):
    """A request envelope; v1/v2 use the 8-byte header with a 1-byte stream."""
    if version < 3:
        return struct.pack(">BBbBi", version, flags, stream, opcode, len(body)) + body
    return struct.pack(">BBhBi", version, flags, stream, opcode, len(body)) + body


class ConnectionClosed(Exception):
    pass


class RawConnection:
    """A hand-driven CQL connection. After startup() with version 5, frames
    are wrapped in (uncompressed, self-contained) segments both ways."""

    def __init__(self, host, port, timeout=10.0):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.version = 4
        self.segments = False  # True once v5 framing is on
        self._buf = b""        # raw bytes from the socket
        self._frames = b""     # v5: envelope bytes taken out of segments

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- sending ---------------------------------------------------------
    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, opcode, body=b"", stream=0, version=None, flags=0):
        version = self.version if version is None else version
        env = encode_frame(version, opcode, body, stream, flags)
        if self.segments:
            self.send_raw(b"".join(encode_segment(env[i:i + SEGMENT_MAX_PAYLOAD],
                                                  self_contained=len(env) <= SEGMENT_MAX_PAYLOAD)
                                   for i in range(0, len(env), SEGMENT_MAX_PAYLOAD)))
        else:
            self.send_raw(env)

    # -- receiving -------------------------------------------------------
    def _fill(self, n, deadline):
        while len(self._buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("timed out waiting for %d bytes (have %d)" % (n, len(self._buf)))
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise ConnectionClosed("connection closed by server (had %d of %d bytes)"
                                       % (len(self._buf), n))
            self._buf += chunk

    def _take(self, n, deadline):
        self._fill(n, deadline)
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def _frame_bytes(self, n, deadline):
        """n bytes of envelope stream (from segments in v5 mode)."""
        if not self.segments:
            return self._take(n, deadline)
        while len(self._frames) < n:
            length, _ = decode_segment_header(self._take(6, deadline))
            payload = self._take(length, deadline)
            pcrc = int.from_bytes(self._take(4, deadline), "little")
            if crc32_payload(payload) != pcrc:
                raise CrcMismatch("segment payload CRC32 mismatch")
            self._frames += payload
        out, self._frames = self._frames[:n], self._frames[n:]
        return out

    def recv(self, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        first = self._frame_bytes(1, deadline)
        version = first[0] & 0x7F
        if version < 3:
            rest = self._frame_bytes(7, deadline)
            flags, stream, opcode, length = struct.unpack(">BbBi", rest)
        else:
            rest = self._frame_bytes(8, deadline)
            flags, stream, opcode, length = struct.unpack(">BhBi", rest)
        body = self._frame_bytes(length, deadline) if length > 0 else b""
        return Frame(first[0], flags, stream, opcode, body)

    def recv_response(self, stream, timeout=None):
        """The next frame for `stream`, skipping events (negative streams)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            f = self.recv(max(0.01, deadline - time.monotonic()))
            if f.stream == stream:
                return f
            if f.stream >= 0:
                raise AssertionError("expected a response on stream %d, got %r" % (stream, f))

    def request(self, opcode, body=b"", stream=1, timeout=None, **kw):
        self.send(opcode, body, stream=stream, **kw)
        return self.recv_response(stream, timeout)

    def is_closed(self, timeout=5.0):
        """True if the server closes the connection within `timeout` (any
        bytes it sends first are read and dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True

    # -- protocol steps --------------------------------------------------
    def options(self, stream=0, version=None):
        f = self.request(OP_OPTIONS, b"", stream=stream, version=version)
        assert f.opcode == OP_SUPPORTED, "OPTIONS answered with %r" % f
        return Reader(f.body).string_multimap()

    def startup(self, version=4, options=None, stream=0):
        """STARTUP; expects READY. For v5 switches to segment framing."""
        self.version = version
        opts = {"CQL_VERSION": "3.0.0"}
        if options:
            opts.update(options)
        f = self.request(OP_STARTUP, enc_string_map(opts), stream=stream)
        assert f.opcode == OP_READY, "STARTUP answered with %r" % f
        assert f.version == version, "READY in version %d, expected %d" % (f.version, version)
        if version >= 5:
            self.segments = True
        return f

    def query(self, cql, stream=1, consistency=CL_ONE, timeout=None):
        return self.request(OP_QUERY, query_body(cql, consistency, self.version),
                            stream=stream, timeout=timeout)

    def query_ok(self, cql, stream=1):
        f = self.query(cql, stream=stream)
        assert f.opcode == OP_RESULT, "%r answered with %r" % (cql, f)
        return f

    def register(self, events, stream=1):
        f = self.request(OP_REGISTER, enc_string_list(events), stream=stream)
        assert f.opcode == OP_READY, "REGISTER answered with %r" % f
        return f


def raw_connect(host, port, version=4, startup=True, timeout=10.0):
    c = RawConnection(host, port, timeout=timeout)
    if startup:
        try:
            c.startup(version)
        except Exception:
            c.close()
            raise
    return c


def parse_rows(body):
    """RESULT Rows body -> (column names, rows of raw bytes). Metadata with
    global table spec or not; no paging state support beyond skipping it."""
    r = Reader(body)
    kind = r.int()
    assert kind == RESULT_ROWS, "not a Rows result: kind %d" % kind
    flags = r.int()
    ncols = r.int()
    if flags & 0x0002:  # has_more_pages
        r.bytes()
    if flags & 0x0008:  # metadata_changed (v5)
        r.short_bytes()
    names = []
    if not flags & 0x0004:  # not no_metadata
        global_spec = flags & 0x0001
        if global_spec:
            r.string()
            r.string()
        for _ in range(ncols):
            if not global_spec:
                r.string()
                r.string()
            names.append(r.string())
            _skip_type(r)
    nrows = r.int()
    rows = [[r.bytes() for _ in range(ncols)] for _ in range(nrows)]
    return names, rows


def _skip_type(r):
    t = r.short()
    if t == 0x0000:
        r.string()
    elif t in (0x0020, 0x0022):  # list, set
        _skip_type(r)
    elif t == 0x0021:  # map
        _skip_type(r)
        _skip_type(r)
    elif t == 0x0030:  # udt
        r.string()
        r.string()
        for _ in range(r.short()):
            r.string()
            _skip_type(r)
    elif t == 0x0031:  # tuple
        for _ in range(r.short()):
            _skip_type(r)


def wait_until(pred, timeout=10.0, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def server_message(exc):
    """The server's message text of a driver exception.

    Protocol-level errors (cassandra.protocol.*Exception) carry it in
    .message; the driver's InvalidRequest/Unauthorized/... only in their
    text, as 'Error from server: code=XXXX [...] message="..."'."""
    msg = getattr(exc, "message", None)
    if isinstance(msg, str):
        return msg
    import re
    m = re.search(r'message="(.*)"\s*$', str(exc), re.S)
    return m.group(1) if m else str(exc)
