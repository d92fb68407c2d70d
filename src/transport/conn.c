/*
 * conn.c -- one CQL client connection: the protocol state machine.
 *
 * States (conn->state) and the functions behind each transition:
 *
 *   NEW ----OPTIONS---> NEW            (handle_options: SUPPORTED)
 *   NEW ----STARTUP---> READY          (handle_startup: READY; v5 switches to
 *                                       segment framing after the READY frame)
 *   NEW ----STARTUP---> AUTH           (PasswordAuthenticator: AUTHENTICATE;
 *                                       v5 switches framing here too)
 *   AUTH ---AUTH_RESPONSE--> READY     (handle_auth_response -> worker thread
 *                                       bcrypt -> on_auth_done: AUTH_SUCCESS)
 *   AUTH ---AUTH_RESPONSE--> AUTH      (bad credentials: ERROR 0x0100)
 *   READY --QUERY/PREPARE/EXECUTE/BATCH--> READY (dispatch -> cql_handle)
 *   READY --REGISTER--> READY          (handle_register)
 *   any ----bad version / broken framing / peer closed--> CLOSING
 *   CLOSING: no more reads; output flushed; freed when no request is in
 *            flight (conn_release via a zero-delay timer, never inside an
 *            epoll batch that may still name this connection).
 *
 * Invariants:
 *  (1) frames are decoded in arrival order; answers are written as each
 *      request completes, tagged with its stream id (out of order allowed);
 *  (2) before STARTUP the connection speaks the legacy framing of the
 *      version of its first frame; after READY in v5 every byte in either
 *      direction is inside a checksummed segment;
 *  (3) a malformed frame whose boundary is known (header valid) gets an
 *      ERROR on its stream and the connection goes on; one whose boundary
 *      is lost (bad version, corrupt segment) gets an ERROR if possible and
 *      the connection closes;
 *  (4) the connection struct lives while n_inflight > 0, even if the peer
 *      left: a pending request answers into a closed connection harmlessly;
 *      a request never points into the connection's buffers (its body is
 *      copied into the request arena before decoding).
 */
#include "transport/server.h"
#include "auth/auth.h"
#include "cluster/local_node.h"
#include "cql/cql.h"
#include "db/db.h"
#include "db/systab.h"
#include "net/worker.h"
#include "transport/compress.h"
#include "transport/frame.h"
#include "transport/segment.h"
#include "transport/wire.h"
#include "util/log.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

enum conn_state { CONN_NEW, CONN_AUTH, CONN_READY, CONN_CLOSING };

#define EV_TOPOLOGY 0x1
#define EV_STATUS   0x2
#define EV_SCHEMA   0x4

#define OUT_HIGH_WATER (16u << 20) /* stop reading while this much is unsent */
#define READ_CHUNK     (64u << 10)

struct cqlt_shard;

struct conn {
    struct shard *shard;
    struct cqlt_shard *ts;
    int fd;
    struct loop_io io;
    struct loop_timer release_timer;
    enum conn_state state;
    int version;     /* 0 until the first frame */
    int v5_framing;  /* segments in both directions */
    int compression; /* PROTO_COMPRESS_* */
    buf in;          /* raw bytes from the socket */
    buf out;         /* bytes to send */
    buf env;         /* scratch: one outgoing envelope before segmenting */
    buf dec;         /* scratch: a decompressed frame body */
    proto_seg_decoder seg;
    size_t skip; /* body bytes of a rejected frame still to drop */
    int events;  /* EV_* registered */
    int n_inflight;
    int reading; /* LOOP_READ currently wanted */
    int close_after_flush;
    struct cql_session sess;
    struct sockaddr_storage peer;
    uint64_t n_requests;
    char driver_name[64];
    char driver_version[32];
    char username[64];
    struct conn *prev, *next;
};

struct cqlt_shard {
    const struct cqlt_options *opts;
    struct conn *conns; /* every open connection of this shard */
    int n_conns;
    struct cql_req *free_reqs;
    arena scratch; /* per-message decode arena for synchronous work */
    int draining;
    struct loop_timer drain_timer;
    int n_drained; /* shard 0: shards that finished draining */
};

static const struct cqlt_options *g_opts;

/* ---------------------------------------------------------------- output */

static void conn_update_interest(struct conn *c)
{
    if (c->fd < 0) return;
    unsigned want = 0;
    if (c->state != CONN_CLOSING && !c->ts->draining && c->out.len - c->out.rpos < OUT_HIGH_WATER)
        want |= LOOP_READ;
    if (c->out.len > c->out.rpos) want |= LOOP_WRITE;
    c->reading = !!(want & LOOP_READ);
    loop_mod(&c->shard->loop, &c->io, want);
}

static void conn_close(struct conn *c);

static void conn_flush(struct conn *c)
{
    while (c->fd >= 0 && c->out.len > c->out.rpos) {
        ssize_t w = send(c->fd, c->out.data + c->out.rpos, c->out.len - c->out.rpos, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            conn_close(c);
            return;
        }
        c->out.rpos += (size_t)w;
    }
    if (c->out.rpos == c->out.len) {
        buf_clear(&c->out);
        if (c->close_after_flush) {
            conn_close(c);
            return;
        }
    } else if (c->out.rpos > (1u << 20)) {
        buf_compact(&c->out);
    }
    conn_update_interest(c);
}

/* Appends one complete frame (header + body) for this connection, applying
 * v3/v4 compression or v5 segment framing (invariant 2). */
static void conn_send_frame(struct conn *c, int16_t stream, uint8_t opcode, const uint8_t *body,
                            size_t n, const char *const *warnings, int n_warnings)
{
    if (c->fd < 0) return;
    int version = c->version ? c->version : PROTO_V4;
    buf *dst = c->v5_framing ? &c->env : &c->out;
    if (c->v5_framing) buf_clear(&c->env);
    size_t hdr = proto_frame_begin(dst, version, 0, stream, opcode);
    if (n_warnings && version >= PROTO_V4) {
        proto_str w[4];
        for (int i = 0; i < n_warnings && i < 4; i++) {
            w[i].p = warnings[i];
            w[i].n = (uint32_t)strlen(warnings[i]);
        }
        proto_frame_put_warnings(dst, hdr, w, (size_t)(n_warnings < 4 ? n_warnings : 4));
    }
    buf_put(dst, body, n);
    proto_frame_end(dst, hdr);
    /* v3/v4 compress frame bodies; v5 compresses segments instead, never a
     * frame (not even the READY that precedes segment framing). */
    if (version < PROTO_V5 && c->compression && opcode != PROTO_OP_SUPPORTED &&
        !(opcode == PROTO_OP_ERROR && c->state == CONN_NEW))
        proto_frame_compress(dst, hdr, c->compression);
    if (c->v5_framing)
        proto_seg_encode_envelopes(&c->out, c->env.data, c->env.len,
                                   c->compression == PROTO_COMPRESS_LZ4);
    if (!buf_ok(&c->out) || !buf_ok(dst)) {
        log_warn("connection: out of memory building a response; closing");
        conn_close(c);
    }
}

static void send_error(struct conn *c, int16_t stream, int32_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void send_error(struct conn *c, int16_t stream, int32_t code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof(msg)) n = sizeof(msg) - 1;
    uint8_t body[600]; /* fixed: 2+4+2+511 bytes at most, never grows */
    buf b = {.data = body, .cap = sizeof(body)};
    proto_write_error_msg(&b, code, msg, (size_t)n);
    conn_send_frame(c, stream, PROTO_OP_ERROR, b.data, b.len, NULL, 0);
}

/* ------------------------------------------------------------ life cycle */

static void conn_free(struct conn *c)
{
    struct cqlt_shard *ts = c->ts;
    if (c->prev)
        c->prev->next = c->next;
    else
        ts->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    ts->n_conns--;
    loop_timer_cancel(&c->shard->loop, &c->release_timer);
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->env);
    buf_free(&c->dec);
    proto_seg_decoder_free(&c->seg);
    mem_free(c);
}

static void on_release(loop *l, void *arg)
{
    struct conn *c = arg;
    if (c->n_inflight == 0) conn_free(c);
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0) {
        loop_del(&c->shard->loop, &c->io);
        close(c->fd);
        c->fd = -1;
    }
    c->state = CONN_CLOSING;
    /* invariant (4): freed later, outside any epoll batch, once idle */
    if (c->n_inflight == 0) loop_timer_arm(&c->shard->loop, &c->release_timer, 0);
}

/* ------------------------------------------------------------- requests */

static struct cql_req *req_get(struct cqlt_shard *ts)
{
    struct cql_req *r = ts->free_reqs;
    if (r) {
        ts->free_reqs = r->next_free;
        return r;
    }
    r = mem_calloc(1, sizeof(*r));
    if (!r) return NULL;
    arena_init(&r->arena, 16384);
    buf_init(&r->body);
    return r;
}

static void req_put(struct cqlt_shard *ts, struct cql_req *r)
{
    cql_req_release(r);
    arena_reset(&r->arena);
    if (r->body.cap > (1u << 20)) buf_free(&r->body); /* do not keep huge buffers */
    buf_clear(&r->body);
    r->n_warnings = 0;
    r->next_free = ts->free_reqs;
    ts->free_reqs = r;
}

static void req_answer(struct cql_req *r)
{
    struct conn *c = r->owner;
    conn_send_frame(c, r->stream, r->opcode, r->body.data, r->body.len, r->warnings, r->n_warnings);
    req_put(c->ts, r);
}

static void on_req_done(struct cql_req *r)
{
    struct conn *c = r->owner;
    c->n_inflight--;
    req_answer(r);
    if (c->fd >= 0)
        conn_flush(c);
    else if (c->n_inflight == 0)
        loop_timer_arm(&c->shard->loop, &c->release_timer, 0);
}

static void handle_options(struct conn *c, int16_t stream)
{
    uint8_t body[256]; /* fixed: the SUPPORTED body is ~110 bytes, never grows */
    buf b = {.data = body, .cap = sizeof(body)};
    static const proto_str cqlv[] = {{NODE_CQL_VERSION, sizeof(NODE_CQL_VERSION) - 1}};
    static const proto_str comp[] = {{"snappy", 6}, {"lz4", 3}};
    static const proto_str pv[] = {{"3/v3", 4}, {"4/v4", 4}, {"5/v5", 4}};
    proto_multimap_entry m[] = {
        {{"CQL_VERSION", 11}, (proto_str *)cqlv, 1},
        {{"COMPRESSION", 11}, (proto_str *)comp, 2},
        {{"PROTOCOL_VERSIONS", 17}, (proto_str *)pv, 3},
    };
    proto_wr_string_multimap(&b, m, 3);
    conn_send_frame(c, stream, PROTO_OP_SUPPORTED, b.data, b.len, NULL, 0);
}

static int str_eq(proto_str s, const char *lit)
{
    return s.n == strlen(lit) && strncasecmp(s.p, lit, s.n) == 0;
}

static void handle_startup(struct conn *c, int16_t stream, const struct proto_startup *st)
{
    const proto_str *cqlv = NULL, *comp = NULL;
    for (uint16_t i = 0; i < st->n_options; i++) {
        const proto_str_pair *o = &st->options[i];
        if (str_eq(o->key, "CQL_VERSION"))
            cqlv = &o->val;
        else if (str_eq(o->key, "COMPRESSION"))
            comp = &o->val;
        else if (str_eq(o->key, "DRIVER_NAME"))
            snprintf(c->driver_name, sizeof(c->driver_name), "%.*s", (int)o->val.n, o->val.p);
        else if (str_eq(o->key, "DRIVER_VERSION"))
            snprintf(c->driver_version, sizeof(c->driver_version), "%.*s", (int)o->val.n, o->val.p);
    }
    if (!cqlv) {
        send_error(c, stream, PROTO_ERR_PROTOCOL, "Missing value CQL_VERSION in STARTUP message");
        return;
    }
    /* Cassandra accepts any version it can parse that is >= 2.99.0. */
    int maj = -1, min = -1, pat = 0, used = 0;
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%.*s", (int)(cqlv->n < 63 ? cqlv->n : 63), cqlv->p);
    if (sscanf(tmp, "%d.%d%n.%d%n", &maj, &min, &used, &pat, &used) < 2 || maj < 0 || min < 0 ||
        (tmp[used] != 0 && tmp[used] != '-')) {
        send_error(c, stream, PROTO_ERR_PROTOCOL, "Invalid version value: %s", tmp);
        return;
    }
    if (maj < 2 || (maj == 2 && min < 99)) {
        send_error(c, stream, PROTO_ERR_PROTOCOL,
                   "CQL version %s is not supported by the binary protocol (supported version "
                   "are >= 3.0.0)",
                   tmp);
        return;
    }
    if (comp) {
        int algo = proto_compression_from_name(comp->p, comp->n);
        if (algo < 0) {
            send_error(c, stream, PROTO_ERR_PROTOCOL, "Unknown compression algorithm: %.*s",
                       (int)comp->n, comp->p);
            return;
        }
        if (algo == PROTO_COMPRESS_SNAPPY && c->version >= PROTO_V5) {
            send_error(c, stream, PROTO_ERR_PROTOCOL,
                       "Snappy compression is not supported in protocol V5");
            return;
        }
        c->compression = algo;
    }
    if (auth_required()) {
        uint8_t body[128]; /* fixed: one short string, never grows */
        buf b = {.data = body, .cap = sizeof(body)};
        proto_wr_cstring(&b, AUTH_PASSWORD_AUTHENTICATOR);
        conn_send_frame(c, stream, PROTO_OP_AUTHENTICATE, b.data, b.len, NULL, 0);
        c->state = CONN_AUTH;
    } else {
        snprintf(c->username, sizeof(c->username), "anonymous");
        conn_send_frame(c, stream, PROTO_OP_READY, NULL, 0, NULL, 0);
        c->state = CONN_READY;
    }
    if (c->version >= PROTO_V5) {
        c->v5_framing = 1; /* invariant (2): everything after READY is segmented */
        proto_seg_decoder_init(&c->seg, c->compression == PROTO_COMPRESS_LZ4,
                               g_opts->max_frame_size);
    }
}

/* SASL PLAIN check on the shard's worker thread (bcrypt is slow). */
struct auth_job {
    struct conn *c;
    int16_t stream;
    size_t n;
    int ok;
    char user[64];
    char err[300];
    uint8_t token[]; /* copy of the client's token */
};

static void auth_work(void *arg)
{
    struct auth_job *j = arg;
    j->ok = auth_check_plain(j->token, j->n, j->user, sizeof(j->user), j->err, sizeof(j->err)) == 0;
}

static void auth_done(struct shard *s, void *arg)
{
    struct auth_job *j = arg;
    struct conn *c = j->c;
    c->n_inflight--;
    if (c->fd >= 0 && c->state == CONN_AUTH) {
        if (j->ok) {
            uint8_t body[4];
            put_be32(body, 0xffffffffu); /* [bytes] null: no final token */
            conn_send_frame(c, j->stream, PROTO_OP_AUTH_SUCCESS, body, 4, NULL, 0);
            snprintf(c->username, sizeof(c->username), "%s", j->user);
            c->state = CONN_READY;
        } else {
            send_error(c, j->stream, PROTO_ERR_BAD_CREDENTIALS, "%s", j->err);
        }
        conn_flush(c);
    } else if (c->fd < 0 && c->n_inflight == 0) {
        loop_timer_arm(&c->shard->loop, &c->release_timer, 0);
    }
    memset(j->token, 0, j->n);
    mem_free(j);
}

static void handle_auth_response(struct conn *c, int16_t stream,
                                 const struct proto_auth_response *ar)
{
    size_t n = ar->token.len > 0 ? (size_t)ar->token.len : 0;
    struct auth_job *j = mem_calloc(1, sizeof(*j) + n);
    if (!j) {
        send_error(c, stream, PROTO_ERR_SERVER, "Out of memory");
        return;
    }
    j->c = c;
    j->stream = stream;
    j->n = n;
    if (n) memcpy(j->token, ar->token.p, n);
    if (worker_submit(c->shard, auth_work, auth_done, j) < 0) {
        mem_free(j);
        send_error(c, stream, PROTO_ERR_SERVER, "Out of memory");
        return;
    }
    c->n_inflight++;
}

static void handle_register(struct conn *c, int16_t stream, const struct proto_register *rg)
{
    int ev = 0;
    for (uint16_t i = 0; i < rg->n_events; i++) {
        proto_str e = rg->events[i];
        if (str_eq(e, "TOPOLOGY_CHANGE"))
            ev |= EV_TOPOLOGY;
        else if (str_eq(e, "STATUS_CHANGE"))
            ev |= EV_STATUS;
        else if (str_eq(e, "SCHEMA_CHANGE"))
            ev |= EV_SCHEMA;
        else {
            send_error(c, stream, PROTO_ERR_PROTOCOL, "Invalid value '%.*s' for Event.Type",
                       (int)e.n, e.p);
            return;
        }
    }
    c->events |= ev;
    conn_send_frame(c, stream, PROTO_OP_READY, NULL, 0, NULL, 0);
}

/* One whole frame: header h, body (already decompressed) b[0..n). */
static void dispatch(struct conn *c, const struct proto_frame_hdr *h, const uint8_t *b, size_t n)
{
    struct cqlt_shard *ts = c->ts;
    c->n_requests++;
    if (c->state == CONN_NEW && h->opcode != PROTO_OP_STARTUP && h->opcode != PROTO_OP_OPTIONS) {
        send_error(c, h->stream, PROTO_ERR_PROTOCOL,
                   "Unexpected message %s, expecting STARTUP or OPTIONS",
                   proto_opcode_name(h->opcode) ? proto_opcode_name(h->opcode) : "?");
        return;
    }
    if (c->state == CONN_AUTH && h->opcode != PROTO_OP_AUTH_RESPONSE &&
        h->opcode != PROTO_OP_OPTIONS) {
        send_error(c, h->stream, PROTO_ERR_PROTOCOL,
                   "Unexpected message %s, expecting SASL response",
                   proto_opcode_name(h->opcode) ? proto_opcode_name(h->opcode) : "?");
        return;
    }
    if ((c->state == CONN_READY || c->state == CONN_AUTH) && h->opcode == PROTO_OP_STARTUP) {
        send_error(c, h->stream, PROTO_ERR_PROTOCOL,
                   "Unexpected message STARTUP, the connection is already initialized");
        return;
    }
    struct cql_req *r = req_get(ts);
    if (!r) {
        send_error(c, h->stream, PROTO_ERR_SERVER, "Out of memory");
        return;
    }
    /* Decode from a copy in the request's arena: requests may finish on
     * other shards after this connection's buffers moved on, and every
     * slice the decoder returns points into the body (invariant 4). */
    const uint8_t *body = n ? arena_memdup(&r->arena, b, n) : b;
    if (n && !body) {
        send_error(c, h->stream, PROTO_ERR_SERVER, "Out of memory");
        req_put(ts, r);
        return;
    }
    proto_rd rd;
    proto_request msg;
    int rc = proto_decode_request(h, body, n, &r->arena, &rd, &msg);
    if (rc != 0) {
        send_error(c, h->stream, rc == PROTO_ENOMEM ? PROTO_ERR_SERVER : PROTO_ERR_PROTOCOL, "%s",
                   rd.msg[0] ? rd.msg : proto_strerror(rc));
        req_put(ts, r);
        return;
    }
    switch (h->opcode) {
    case PROTO_OP_OPTIONS: handle_options(c, h->stream); break;
    case PROTO_OP_STARTUP: handle_startup(c, h->stream, &msg.u.startup); break;
    case PROTO_OP_REGISTER: handle_register(c, h->stream, &msg.u.reg); break;
    case PROTO_OP_AUTH_RESPONSE:
        if (c->state == CONN_AUTH)
            handle_auth_response(c, h->stream, &msg.u.auth_response);
        else
            send_error(c, h->stream, PROTO_ERR_PROTOCOL,
                       "Unexpected message AUTH_RESPONSE, authentication is not in progress");
        break;
    case PROTO_OP_QUERY:
    case PROTO_OP_PREPARE:
    case PROTO_OP_EXECUTE:
    case PROTO_OP_BATCH:
        r->shard = c->shard;
        r->sess = &c->sess;
        r->version = c->version;
        r->stream = h->stream;
        r->owner = c;
        r->done = on_req_done;
        if (cql_handle(r, &msg) == CQL_PENDING) {
            c->n_inflight++;
            return; /* r is answered by on_req_done */
        }
        req_answer(r);
        return;
    default:
        send_error(c, h->stream, PROTO_ERR_PROTOCOL, "Unexpected message %s",
                   proto_opcode_name(h->opcode) ? proto_opcode_name(h->opcode) : "?");
        break;
    }
    req_put(ts, r);
}

/* Processes one frame at p[0..avail) if complete. Returns bytes consumed,
 * 0 if more bytes are needed, -1 if the connection must close. */
static ssize_t process_frame(struct conn *c, const uint8_t *p, size_t avail)
{
    struct proto_frame_hdr h;
    uint32_t max = g_opts->max_frame_size;
    int rc = proto_frame_header_decode(p, avail, max, &h);
    if (rc == PROTO_AGAIN) return 0;
    if (rc == PROTO_EVERSION) {
        int requested = avail ? (p[0] & 0x7f) : 0;
        proto_write_version_error(&c->out, requested, c->version);
        return -1;
    }
    if (rc == PROTO_OK || rc == PROTO_EFLAGS) {
        if (c->version == 0) c->version = h.version;
        if (h.version != c->version) {
            send_error(c, h.stream, PROTO_ERR_PROTOCOL,
                       "Invalid message version. Got %d but previous messages on this "
                       "connection had version %d",
                       h.version, c->version);
            return -1;
        }
        if (avail < PROTO_HEADER_SIZE + (size_t)h.length) return 0;
        const uint8_t *body = p + PROTO_HEADER_SIZE;
        size_t n = h.length;
        if (h.flags & PROTO_F_COMPRESSED) {
            if (c->v5_framing || !c->compression) {
                send_error(c, h.stream, PROTO_ERR_PROTOCOL,
                           "Received compressed message but no compression was negotiated");
                return (ssize_t)(PROTO_HEADER_SIZE + n);
            }
            buf_clear(&c->dec);
            int drc = proto_body_decompress(c->compression, body, n, max, &c->dec);
            if (drc != PROTO_OK) {
                send_error(c, h.stream, PROTO_ERR_PROTOCOL, "Cannot decompress frame body: %s",
                           proto_strerror(drc));
                return (ssize_t)(PROTO_HEADER_SIZE + n);
            }
            body = c->dec.data;
            n = c->dec.len;
        }
        dispatch(c, &h, body, n);
        return (ssize_t)(PROTO_HEADER_SIZE + h.length);
    }
    /* Header errors whose boundary is known: answer and skip the body. */
    char msg[256];
    int32_t code = proto_frame_error_text(rc, &h, max, msg, sizeof(msg));
    if (c->version == 0 && h.version >= PROTO_MIN_VERSION && h.version <= PROTO_MAX_VERSION)
        c->version = h.version;
    send_error(c, h.stream, code, "%s", msg);
    size_t whole = PROTO_HEADER_SIZE + (size_t)h.length;
    if (avail >= whole) return (ssize_t)whole;
    c->skip = whole - avail;
    return (ssize_t)avail;
}

/* Envelopes inside one v5 segment payload. */
static int process_payload(struct conn *c, const uint8_t *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t used = process_frame(c, p + off, n - off);
        if (used < 0) return -1;
        if (used == 0 || c->skip) {
            send_error(c, 0, PROTO_ERR_PROTOCOL, "Incomplete envelope in a self-contained segment");
            return -1;
        }
        off += (size_t)used;
    }
    return 0;
}

static void conn_process_input(struct conn *c)
{
    while (c->state != CONN_CLOSING && c->in.rpos < c->in.len) {
        const uint8_t *p = c->in.data + c->in.rpos;
        size_t avail = c->in.len - c->in.rpos;
        if (c->skip) {
            size_t k = avail < c->skip ? avail : c->skip;
            c->skip -= k;
            c->in.rpos += k;
            continue;
        }
        if (c->v5_framing) {
            size_t used = 0;
            int rc = proto_seg_feed(&c->seg, p, avail, &used);
            c->in.rpos += used;
            if (rc == PROTO_AGAIN) break;
            if (rc == PROTO_OK) {
                const uint8_t *pl;
                size_t pn;
                int sc;
                proto_seg_payload(&c->seg, &pl, &pn, &sc);
                if (process_payload(c, pl, pn) < 0) goto close;
                continue;
            }
            if (rc == PROTO_ETOOBIG) {
                send_error(c, c->seg.big_stream, PROTO_ERR_INVALID,
                           "Request is too big: length exceeds the maximum of %u bytes",
                           g_opts->max_frame_size);
                continue;
            }
            if (rc == PROTO_EPAYLOADCRC) {
                /* The bytes we got are not the bytes sent: refuse to guess
                 * which request (or how many) they were, and close. */
                send_error(c, 0, PROTO_ERR_PROTOCOL,
                           "Segment payload CRC mismatch: the connection is closed");
                goto close;
            }
            log_info("closing connection: %s", proto_strerror(rc));
            goto close;
        }
        ssize_t used = process_frame(c, p, avail);
        if (used < 0) goto close;
        if (used == 0) break;
        c->in.rpos += (size_t)used;
    }
    if (c->in.rpos == c->in.len)
        buf_clear(&c->in);
    else if (c->in.rpos > (1u << 20) || c->in.cap - c->in.len < READ_CHUNK / 4)
        buf_compact(&c->in);
    return;
close:
    c->close_after_flush = 1;
    c->state = CONN_CLOSING;
}

static void on_io(loop *l, void *arg, unsigned ev)
{
    struct conn *c = arg;
    if (c->fd < 0) return;
    if (ev & LOOP_READ) {
        for (int i = 0; i < 16 && c->reading; i++) {
            if (buf_reserve(&c->in, READ_CHUNK) < 0) {
                conn_close(c);
                return;
            }
            ssize_t r = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
            if (r == 0) {
                conn_process_input(c); /* answer what arrived, then close */
                c->close_after_flush = 1;
                c->state = CONN_CLOSING;
                break;
            }
            if (r < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                conn_close(c);
                return;
            }
            c->in.len += (size_t)r;
            conn_process_input(c);
            if ((size_t)r < c->in.cap - (c->in.len - (size_t)r)) break;
            if (c->state == CONN_CLOSING) break;
        }
    }
    if (c->fd >= 0) conn_flush(c);
}

/* system_views.clients rows of this shard (cql_clients_fn). */
static int list_clients(struct shard *s, struct systab_client *out, int cap)
{
    struct cqlt_shard *ts = s->transport;
    int n = 0;
    for (struct conn *c = ts->conns; c; c = c->next) {
        if (c->fd < 0) continue;
        if (n < cap) {
            struct systab_client *o = &out[n];
            memset(o, 0, sizeof(*o));
            if (c->peer.ss_family == AF_INET) {
                const struct sockaddr_in *a = (const struct sockaddr_in *)&c->peer;
                memcpy(o->addr, &a->sin_addr, 4);
                o->addr_len = 4;
                o->port = ntohs(a->sin_port);
            } else {
                const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&c->peer;
                memcpy(o->addr, &a->sin6_addr, 16);
                o->addr_len = 16;
                o->port = ntohs(a->sin6_port);
            }
            o->shard = s->id;
            o->protocol_version = c->version;
            o->request_count = (int64_t)c->n_requests;
            o->stage = c->state == CONN_READY ? "ready" : "establishing";
            o->driver_name = c->driver_name;
            o->driver_version = c->driver_version;
            o->username = c->username;
        }
        n++;
    }
    return n;
}

/* ----------------------------------------------------------- shard hooks */

static void on_schema_event(struct shard *s, const struct sp_schema_event *ev)
{
    struct cqlt_shard *ts = s->transport;
    if (!ts) return;
    buf b;
    buf_init(&b);
    proto_wr_cstring(&b, "SCHEMA_CHANGE");
    cql_encode_schema_change(&b, ev);
    for (struct conn *c = ts->conns; c; c = c->next) {
        if (!(c->events & EV_SCHEMA) || c->fd < 0 || c->state != CONN_READY) continue;
        conn_send_frame(c, -1, PROTO_OP_EVENT, b.data, b.len, NULL, 0);
        conn_flush(c);
    }
    buf_free(&b);
}

static int hook_start(struct shard *s)
{
    struct cqlt_shard *ts = mem_calloc(1, sizeof(*ts));
    if (!ts) return -1;
    ts->opts = g_opts;
    arena_init(&ts->scratch, 8192);
    s->transport = ts;
    if (sp_shard_init(s) < 0 || cql_shard_init(s) < 0) return -1;
    char err[512];
    if (db_shard_init(s, s->group->hooks_arg, sp_schema(s), err, sizeof(err)) < 0) {
        log_error("shard %d: %s", s->id, err);
        return -1;
    }
    ((struct sp_shard *)s->service)->on_schema_event = on_schema_event;
    return 0;
}

static void hook_accept(struct shard *s, int fd, const struct sockaddr_storage *peer)
{
    struct cqlt_shard *ts = s->transport;
    if (ts->draining) {
        close(fd);
        return;
    }
    struct conn *c = mem_calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    c->shard = s;
    c->ts = ts;
    c->fd = fd;
    c->peer = *peer;
    buf_init(&c->in);
    buf_init(&c->out);
    buf_init(&c->env);
    buf_init(&c->dec);
    loop_timer_init(&c->release_timer, on_release, c);
    if (loop_add(&s->loop, &c->io, fd, LOOP_READ, on_io, c) < 0) {
        close(fd);
        mem_free(c);
        return;
    }
    c->reading = 1;
    c->next = ts->conns;
    if (c->next) c->next->prev = c;
    ts->conns = c;
    ts->n_conns++;
}

/* Drain protocol: every shard stops reading, waits until its connections
 * have nothing in flight and nothing unsent (or 10 s passed), tells shard 0;
 * when all shards have, shard 0 tells each to finish. Shards keep running
 * their loops until then, so cross-shard answers still arrive. */
static void on_finish(struct shard *s, void *arg)
{
    shard_drain_done(s);
}

static void on_shard_drained(struct shard *s0, void *arg)
{
    struct cqlt_shard *ts = s0->transport;
    if (++ts->n_drained == s0->n_shards)
        for (int i = 0; i < s0->n_shards; i++)
            shard_send(s0, i, on_finish, NULL);
}

static void drain_check(loop *l, void *arg)
{
    struct shard *s = arg;
    struct cqlt_shard *ts = s->transport;
    int busy = 0;
    for (struct conn *c = ts->conns; c; c = c->next)
        busy |= c->n_inflight > 0 || (c->fd >= 0 && c->out.len > c->out.rpos);
    ts->draining++;
    if (busy && ts->draining < 1000) { /* 1000 x 10 ms */
        loop_timer_arm(l, &ts->drain_timer, 10);
        return;
    }
    shard_send(s, 0, on_shard_drained, NULL);
}

static void hook_drain(struct shard *s)
{
    struct cqlt_shard *ts = s->transport;
    ts->draining = 1;
    for (struct conn *c = ts->conns; c; c = c->next)
        conn_update_interest(c);
    loop_timer_init(&ts->drain_timer, drain_check, s);
    loop_timer_arm(&s->loop, &ts->drain_timer, 0);
}

static void hook_stop(struct shard *s)
{
    struct cqlt_shard *ts = s->transport;
    if (ts) {
        while (ts->conns) {
            struct conn *c = ts->conns;
            if (c->fd >= 0) {
                close(c->fd);
                c->fd = -1;
            }
            c->n_inflight = 0;
            conn_free(c);
        }
        while (ts->free_reqs) {
            struct cql_req *r = ts->free_reqs;
            ts->free_reqs = r->next_free;
            arena_destroy(&r->arena);
            buf_free(&r->body);
            mem_free(r);
        }
        loop_timer_cancel(&s->loop, &ts->drain_timer);
        arena_destroy(&ts->scratch);
        mem_free(ts);
        s->transport = NULL;
    }
    cql_shard_free(s);
    db_shard_free(s);
    sp_shard_free(s);
}

static const struct shard_hooks hooks = {
    .start = hook_start,
    .accept = hook_accept,
    .drain = hook_drain,
    .stop = hook_stop,
};

const struct shard_hooks *cqlt_hooks(const struct cqlt_options *opts)
{
    g_opts = opts;
    cql_set_clients_provider(list_clients);
    return &hooks;
}
