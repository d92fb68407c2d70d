/*
 * client -- blocking CQL native protocol client (see client.h).
 *
 * Connection life:
 *
 *   cqlc_connect --TCP connect--> send STARTUP (plain envelope)
 *     <-- READY ----------------> OPEN
 *     <-- AUTHENTICATE ---------> send AUTH_RESPONSE (PLAIN) --AUTH_SUCCESS--> OPEN
 *     <-- ERROR about version --> close, reconnect with v4 (version 0 only)
 *   OPEN: requests out, responses in; v5 wraps both in segments from the
 *   STARTUP response on (framing switches right after READY/AUTHENTICATE).
 *   any transport failure --> DEAD (sticky; c->errmsg says why)
 *
 * Invariants:
 *  (1) c->out holds whole envelopes (v4 frames) not yet written; in v5 they
 *      are cut into segments only in flush_out(), so many small requests
 *      share segments;
 *  (2) c->in holds bytes read from the socket and not yet consumed; in v5
 *      they go through the segment decoder and whole envelopes are
 *      appended to c->env, from which next_envelope() takes them;
 *  (3) stream ids 1..32767 are used round-robin; c->busy marks the ones in
 *      flight; stream 0 is never used for requests we wait on.
 */
#include "client/client.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "transport/frame.h"
#include "transport/segment.h"
#include "transport/wire.h"
#include "util/buf.h"
#include "util/mem.h"

#define N_STREAMS 32768

struct cqlc_conn {
    int fd;
    int version;
    int v5_framing;
    int dead;
    int request_timeout_ms;
    buf out;  /* envelopes to send (1) */
    buf wire; /* scratch: segments being written */
    buf in;   /* raw bytes read (2) */
    buf env;  /* v5: decoded envelopes waiting to be consumed */
    proto_seg_decoder seg;
    int16_t next_stream;
    int n_in_flight;
    uint8_t busy[N_STREAMS];
    char errmsg[256];
};

/* ---- small helpers ------------------------------------------------------ */

static int fail(cqlc_conn *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(cqlc_conn *c, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
    va_end(ap);
    c->dead = 1;
    return rc;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cqlc_qopts_init(cqlc_qopts *o)
{
    memset(o, 0, sizeof(*o));
    o->consistency = PROTO_CL_ONE;
    o->serial_consistency = PROTO_CL_SERIAL;
    o->timestamp = INT64_MIN;
}

void cqlc_result_init(cqlc_result *r)
{
    memset(r, 0, sizeof(*r));
    arena_init(&r->a, 16384);
}

void cqlc_result_reset(cqlc_result *r)
{
    arena a = r->a;
    arena_reset(&a);
    memset(r, 0, sizeof(*r));
    r->a = a;
}

void cqlc_result_free(cqlc_result *r)
{
    arena_destroy(&r->a);
    memset(r, 0, sizeof(*r));
}

int cqlc_version(const cqlc_conn *c)
{
    return c->version;
}

const char *cqlc_errmsg(const cqlc_conn *c)
{
    return c->errmsg;
}

void cqlc_set_timeout(cqlc_conn *c, int request_timeout_ms)
{
    c->request_timeout_ms = request_timeout_ms == 0 ? 10000 : request_timeout_ms;
}

int cqlc_in_flight(const cqlc_conn *c)
{
    return c->n_in_flight;
}

/* ---- names ------------------------------------------------------------- */

const char *cqlc_error_class(int32_t code)
{
    switch (code) {
    case PROTO_ERR_SERVER: return "ServerError";
    case PROTO_ERR_PROTOCOL: return "ProtocolException";
    case PROTO_ERR_BAD_CREDENTIALS: return "BadCredentials";
    case PROTO_ERR_UNAVAILABLE: return "Unavailable";
    case PROTO_ERR_OVERLOADED: return "OverloadedErrorMessage";
    case PROTO_ERR_IS_BOOTSTRAPPING: return "IsBootstrappingErrorMessage";
    case PROTO_ERR_TRUNCATE: return "TruncateError";
    case PROTO_ERR_WRITE_TIMEOUT: return "WriteTimeout";
    case PROTO_ERR_READ_TIMEOUT: return "ReadTimeout";
    case PROTO_ERR_READ_FAILURE: return "ReadFailure";
    case PROTO_ERR_FUNCTION_FAILURE: return "FunctionFailure";
    case PROTO_ERR_WRITE_FAILURE: return "WriteFailure";
    case PROTO_ERR_CDC_WRITE_FAILURE: return "CDCWriteException";
    case PROTO_ERR_SYNTAX: return "SyntaxException";
    case PROTO_ERR_UNAUTHORIZED: return "Unauthorized";
    case PROTO_ERR_INVALID: return "InvalidRequest";
    case PROTO_ERR_CONFIG: return "ConfigurationException";
    case PROTO_ERR_ALREADY_EXISTS: return "AlreadyExists";
    case PROTO_ERR_UNPREPARED: return "PreparedQueryNotFound";
    default: return "ErrorMessage";
    }
}

const char *cqlc_error_summary(int32_t code)
{
    switch (code) {
    case PROTO_ERR_SERVER: return "Server error";
    case PROTO_ERR_PROTOCOL: return "Protocol error";
    case PROTO_ERR_BAD_CREDENTIALS: return "Bad credentials";
    case PROTO_ERR_UNAVAILABLE: return "Unavailable exception";
    case PROTO_ERR_OVERLOADED: return "Coordinator node overloaded";
    case PROTO_ERR_IS_BOOTSTRAPPING: return "Coordinator node is bootstrapping";
    case PROTO_ERR_TRUNCATE: return "Error during truncate";
    case PROTO_ERR_WRITE_TIMEOUT:
    case PROTO_ERR_READ_TIMEOUT:
        return "Coordinator node timed out waiting for replica nodes' responses";
    case PROTO_ERR_READ_FAILURE: return "Replica(s) failed to execute read";
    case PROTO_ERR_FUNCTION_FAILURE: return "User Defined Function failure";
    case PROTO_ERR_WRITE_FAILURE: return "Replica(s) failed to execute write";
    case PROTO_ERR_CDC_WRITE_FAILURE: return "Failed to execute write due to CDC space exhaustion.";
    case PROTO_ERR_SYNTAX: return "Syntax error in CQL query";
    case PROTO_ERR_UNAUTHORIZED: return "Unauthorized";
    case PROTO_ERR_INVALID: return "Invalid query";
    case PROTO_ERR_CONFIG: return "Query invalid because of configuration issue";
    case PROTO_ERR_ALREADY_EXISTS: return "Item already exists";
    case PROTO_ERR_UNPREPARED: return "Matching prepared statement not found on this node";
    default: return "Unknown";
    }
}

int cqlc_consistency_from_name(const char *s)
{
    for (int cl = 0; cl <= PROTO_CL_MAX; cl++) {
        const char *n = proto_consistency_name((uint16_t)cl);
        if (n && strcasecmp(n, s) == 0) return cl;
    }
    return -1;
}

/* ---- socket I/O -------------------------------------------------------- */

/* Wait until fd is ready for `events` or the deadline passes (-1: never).
 * Returns 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int ms = -1;
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            if (left <= 0) return 0;
            ms = left > 1000000 ? 1000000 : (int)left;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, ms);
        if (n > 0) return 1;
        if (n == 0) {
            if (deadline < 0) continue;
            return 0;
        }
        if (errno != EINTR) return -1;
    }
}

static int64_t deadline_of(const cqlc_conn *c)
{
    return c->request_timeout_ms < 0 ? -1 : now_ms() + c->request_timeout_ms;
}

static int write_all(cqlc_conn *c, const uint8_t *p, size_t n)
{
    int64_t deadline = deadline_of(c);
    while (n > 0) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int r = wait_fd(c->fd, POLLOUT, deadline);
            if (r == 0) return fail(c, CQLC_ETIMEOUT, "Timed out writing to the server");
            if (r < 0) return fail(c, CQLC_EIO, "poll: %s", strerror(errno));
            continue;
        }
        return fail(c, CQLC_EIO, "Connection lost: %s", w < 0 ? strerror(errno) : "closed");
    }
    return CQLC_OK;
}

int cqlc_flush(cqlc_conn *c)
{
    if (c->dead) return CQLC_EIO;
    if (c->out.len == 0) return CQLC_OK;
    int rc;
    if (c->v5_framing) {
        buf_clear(&c->wire);
        if (proto_seg_encode_envelopes(&c->wire, c->out.data, c->out.len, 0) != PROTO_OK ||
            !buf_ok(&c->wire))
            return fail(c, CQLC_ENOMEM, "Out of memory encoding segments");
        rc = write_all(c, c->wire.data, c->wire.len);
        if (c->wire.cap > (1u << 22)) {
            buf_free(&c->wire);
            buf_init(&c->wire);
        }
    } else {
        rc = write_all(c, c->out.data, c->out.len);
    }
    buf_clear(&c->out);
    return rc;
}

/* Read more bytes into c->in (at least one), waiting until the deadline. */
static int read_more(cqlc_conn *c, int64_t deadline)
{
    if (buf_reserve(&c->in, 65536) != 0) return fail(c, CQLC_ENOMEM, "Out of memory");
    for (;;) {
        ssize_t r = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
        if (r > 0) {
            c->in.len += (size_t)r;
            return CQLC_OK;
        }
        if (r == 0) return fail(c, CQLC_EIO, "Connection closed by the server");
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return fail(c, CQLC_EIO, "Connection lost: %s", strerror(errno));
        int w = wait_fd(c->fd, POLLIN, deadline);
        if (w == 0) return fail(c, CQLC_ETIMEOUT, "Request timed out");
        if (w < 0) return fail(c, CQLC_EIO, "poll: %s", strerror(errno));
    }
}

/* Response header (9 bytes). */
struct rhdr {
    uint8_t version, flags, opcode;
    int16_t stream;
    uint32_t length;
};

static void parse_hdr(const uint8_t *p, struct rhdr *h)
{
    h->version = p[0] & 0x7F;
    h->flags = p[1];
    h->stream = (int16_t)be16(p + 2);
    h->opcode = p[4];
    h->length = be32(p + 5);
}

/*
 * Take the next whole envelope: *hdr and a copy of the body appended to
 * `body` (cleared first). Waits until the deadline.
 */
static int next_envelope(cqlc_conn *c, struct rhdr *hdr, buf *body, int64_t deadline)
{
    for (;;) {
        buf *src = c->v5_framing ? &c->env : &c->in;
        size_t avail = buf_unread(src);
        if (avail >= 9) {
            const uint8_t *p = src->data + src->rpos;
            parse_hdr(p, hdr);
            if (!(p[0] & 0x80))
                return fail(c, CQLC_EPROTO, "Server sent a frame without the response bit");
            if (hdr->length > PROTO_DEFAULT_MAX_FRAME_SIZE * 16u)
                return fail(c, CQLC_EPROTO, "Server sent a frame of %u bytes", hdr->length);
            if (avail >= 9 + (size_t)hdr->length) {
                buf_clear(body);
                buf_put(body, p + 9, hdr->length);
                if (!buf_ok(body)) return fail(c, CQLC_ENOMEM, "Out of memory");
                src->rpos += 9 + hdr->length;
                if (src->rpos == src->len) {
                    src->rpos = src->len = 0;
                } else if (src->rpos > (1u << 20)) {
                    buf_compact(src);
                }
                return CQLC_OK;
            }
        }
        if (c->v5_framing) {
            /* feed what we have to the segment decoder, else read */
            while (buf_unread(&c->in) > 0) {
                size_t used = 0;
                int rc =
                    proto_seg_feed(&c->seg, c->in.data + c->in.rpos, buf_unread(&c->in), &used);
                c->in.rpos += used;
                if (rc == PROTO_OK) {
                    const uint8_t *pl;
                    size_t pn;
                    int sc;
                    proto_seg_payload(&c->seg, &pl, &pn, &sc);
                    if (c->env.rpos == c->env.len) c->env.rpos = c->env.len = 0;
                    buf_put(&c->env, pl, pn);
                    if (!buf_ok(&c->env)) return fail(c, CQLC_ENOMEM, "Out of memory");
                    break;
                }
                if (rc == PROTO_AGAIN) break;
                return fail(c, CQLC_EPROTO, "Bad segment from the server (%s)", proto_strerror(rc));
            }
            if (c->in.rpos == c->in.len) c->in.rpos = c->in.len = 0;
            if (buf_unread(&c->env) >= 9) {
                const uint8_t *p = c->env.data + c->env.rpos;
                if (buf_unread(&c->env) >= 9 + (size_t)be32(p + 5)) continue;
            }
        }
        int rc = read_more(c, deadline);
        if (rc) return rc;
    }
}

/* Append one request envelope to c->out: header, then body[0..n). */
static void put_envelope(cqlc_conn *c, uint8_t opcode, int16_t stream, const buf *body)
{
    uint8_t h[9];
    h[0] = (uint8_t)c->version;
    h[1] = 0;
    put_be16(h + 2, (uint16_t)stream);
    h[4] = opcode;
    put_be32(h + 5, (uint32_t)body->len);
    buf_put(&c->out, h, 9);
    buf_put(&c->out, body->data, body->len);
}

/* ---- result decoding --------------------------------------------------- */

static const char *dup_str(arena *a, proto_str s)
{
    char *p = arena_strndup(a, s.p ? s.p : "", s.p ? s.n : 0);
    return p ? p : "";
}

/* proto_type (wire view) -> struct type in the arena. */
static struct type *conv_type(const proto_type *pt, arena *a)
{
    struct type *t = arena_calloc(a, sizeof(*t));
    if (!t) return NULL;
    t->kind = (enum type_kind)pt->id;
    t->n_params = pt->n_sub;
    if (pt->n_sub) {
        t->params = arena_calloc(a, sizeof(*t->params) * pt->n_sub);
        if (!t->params) return NULL;
        for (int i = 0; i < pt->n_sub; i++) {
            t->params[i] = conv_type(pt->sub[i], a);
            if (!t->params[i]) return NULL;
        }
    }
    if (pt->id == PROTO_TYPE_UDT) {
        t->ks = (char *)dup_str(a, pt->ks);
        t->name = (char *)dup_str(a, pt->name);
        t->field_names = arena_calloc(a, sizeof(char *) * (pt->n_sub ? pt->n_sub : 1));
        if (!t->field_names) return NULL;
        for (int i = 0; i < pt->n_sub; i++)
            t->field_names[i] = (char *)dup_str(a, pt->field_names[i]);
        t->frozen = 1;
    } else if (pt->id == PROTO_TYPE_CUSTOM) {
        t->name = (char *)dup_str(a, pt->custom);
    } else if (pt->id == PROTO_TYPE_TUPLE) {
        t->frozen = 1;
    }
    return t;
}

#define META_GLOBAL_SPEC 0x0001
#define META_HAS_MORE    0x0002
#define META_NO_METADATA 0x0004
#define META_CHANGED     0x0008

/* <metadata> of Rows and Prepared results. With no_metadata the columns
 * are left as they were (none). */
static int read_metadata(proto_rd *rd, cqlc_result *r, int prepared, int version)
{
    arena *a = &r->a;
    int32_t flags = proto_rd_int(rd);
    int32_t n_cols = proto_rd_int(rd);
    if (prepared) {
        int32_t n_pk = proto_rd_int(rd);
        if (n_pk < 0 || (size_t)n_pk * 2 > proto_rd_left(rd))
            return proto_rd_fail(rd, PROTO_EPROTO, "bad pk count");
        r->n_pk = n_pk;
        r->pk_index = arena_alloc(a, sizeof(uint16_t) * (size_t)(n_pk ? n_pk : 1));
        if (!r->pk_index) return PROTO_ENOMEM;
        for (int i = 0; i < n_pk; i++)
            r->pk_index[i] = proto_rd_short(rd);
    }
    if (n_cols < 0 || (size_t)n_cols > proto_rd_left(rd) + 1)
        return proto_rd_fail(rd, PROTO_EPROTO, "bad column count");
    if (!prepared) {
        if (flags & META_HAS_MORE) {
            proto_value ps = proto_rd_bytes(rd);
            r->has_more_pages = 1;
            if (ps.len >= 0) {
                r->paging_state = ps.p;
                r->n_paging_state = ps.len;
            } else {
                r->has_more_pages = 0;
            }
        }
        if (version >= 5 && (flags & META_CHANGED)) {
            proto_value id = proto_rd_short_bytes(rd);
            r->new_metadata_id = id.p;
            r->n_new_metadata_id = id.len;
        }
        if (flags & META_NO_METADATA) {
            r->n_cols = n_cols;
            r->cols = NULL;
            return rd->err;
        }
    }
    proto_str gks = {0}, gtable = {0};
    if (flags & META_GLOBAL_SPEC) {
        gks = proto_rd_string(rd);
        gtable = proto_rd_string(rd);
    }
    cqlc_col *cols = arena_calloc(a, sizeof(*cols) * (size_t)(n_cols ? n_cols : 1));
    if (!cols) return PROTO_ENOMEM;
    for (int i = 0; i < n_cols && !rd->err; i++) {
        proto_str ks = gks, table = gtable;
        if (!(flags & META_GLOBAL_SPEC)) {
            ks = proto_rd_string(rd);
            table = proto_rd_string(rd);
        }
        proto_str name = proto_rd_string(rd);
        proto_type *pt = proto_rd_option(rd, a);
        if (rd->err) break;
        cols[i].ks = dup_str(a, ks);
        cols[i].table = dup_str(a, table);
        cols[i].name = dup_str(a, name);
        cols[i].type = conv_type(pt, a);
        if (!cols[i].type) return PROTO_ENOMEM;
    }
    if (rd->err) return rd->err;
    if (prepared) {
        r->n_bind = n_cols;
        r->bind = cols;
    } else {
        r->n_cols = n_cols;
        r->cols = cols;
    }
    return 0;
}

static int decode_rows(proto_rd *rd, cqlc_result *r, int version)
{
    int rc = read_metadata(rd, r, 0, version);
    if (rc) return rc;
    int32_t n_rows = proto_rd_int(rd);
    if (rd->err) return rd->err;
    if (n_rows < 0) return proto_rd_fail(rd, PROTO_EPROTO, "negative row count");
    size_t n_cells = (size_t)n_rows * (size_t)r->n_cols;
    if (n_cells > proto_rd_left(rd) / 4 + 1)
        return proto_rd_fail(rd, PROTO_EPROTO, "row count %d above the body size", n_rows);
    r->n_rows = n_rows;
    r->cells = arena_alloc(&r->a, sizeof(struct type_val) * (n_cells ? n_cells : 1));
    if (!r->cells) return PROTO_ENOMEM;
    for (size_t i = 0; i < n_cells && !rd->err; i++) {
        proto_value v = proto_rd_bytes(rd);
        r->cells[i].p = v.p;
        r->cells[i].len = v.len < 0 ? -1 : v.len;
    }
    return rd->err;
}

static void addr_text(const proto_inet *in, char *out, size_t n)
{
    if (!inet_ntop(in->n_addr == 4 ? AF_INET : AF_INET6, in->addr, out, (socklen_t)n))
        snprintf(out, n, "?");
}

static int decode_error(proto_rd *rd, cqlc_result *r, int version)
{
    arena *a = &r->a;
    cqlc_error *e = &r->err;
    r->kind = CQLC_RES_ERROR;
    e->code = proto_rd_int(rd);
    e->message = dup_str(a, proto_rd_string(rd));
    e->contentions = -1;
    e->write_type = "";
    e->ks = e->table = e->function = "";
    if (rd->err) return rd->err;
    switch (e->code) {
    case PROTO_ERR_UNAVAILABLE:
        e->consistency = proto_rd_short(rd);
        e->required = proto_rd_int(rd);
        e->alive = proto_rd_int(rd);
        break;
    case PROTO_ERR_WRITE_TIMEOUT:
    case PROTO_ERR_CAS_WRITE_UNKNOWN:
        e->consistency = proto_rd_short(rd);
        e->received = proto_rd_int(rd);
        e->required = proto_rd_int(rd);
        if (e->code == PROTO_ERR_WRITE_TIMEOUT) {
            e->write_type = dup_str(a, proto_rd_string(rd));
            if (version >= 5 && strcmp(e->write_type, "CAS") == 0 && proto_rd_left(rd) >= 2)
                e->contentions = proto_rd_short(rd);
        }
        break;
    case PROTO_ERR_READ_TIMEOUT:
        e->consistency = proto_rd_short(rd);
        e->received = proto_rd_int(rd);
        e->required = proto_rd_int(rd);
        e->data_present = proto_rd_byte(rd);
        break;
    case PROTO_ERR_READ_FAILURE:
    case PROTO_ERR_WRITE_FAILURE:
        e->consistency = proto_rd_short(rd);
        e->received = proto_rd_int(rd);
        e->required = proto_rd_int(rd);
        if (version >= 5) {
            int32_t n = proto_rd_int(rd);
            if (n < 0 || (size_t)n > proto_rd_left(rd) / 7 + 1)
                return proto_rd_fail(rd, PROTO_EPROTO, "bad reasonmap");
            e->has_reasonmap = 1;
            e->n_failures = n;
            e->failures = arena_calloc(a, sizeof(cqlc_failure) * (size_t)(n ? n : 1));
            if (!e->failures) return PROTO_ENOMEM;
            for (int32_t i = 0; i < n && !rd->err; i++) {
                proto_inet in;
                proto_rd_inetaddr(rd, &in);
                e->failures[i].code = proto_rd_short(rd);
                if (!rd->err) addr_text(&in, e->failures[i].addr, sizeof(e->failures[i].addr));
            }
        } else {
            e->n_failures = proto_rd_int(rd);
        }
        if (e->code == PROTO_ERR_READ_FAILURE)
            e->data_present = proto_rd_byte(rd);
        else
            e->write_type = dup_str(a, proto_rd_string(rd));
        break;
    case PROTO_ERR_FUNCTION_FAILURE: {
        e->ks = dup_str(a, proto_rd_string(rd));
        e->function = dup_str(a, proto_rd_string(rd));
        proto_str *l;
        uint16_t n;
        if (proto_rd_string_list(rd, a, &l, &n) == 0) {
            e->arg_types = arena_calloc(a, sizeof(char *) * (n ? n : 1));
            if (!e->arg_types) return PROTO_ENOMEM;
            for (uint16_t i = 0; i < n; i++)
                e->arg_types[i] = dup_str(a, l[i]);
            e->n_arg_types = n;
        }
        break;
    }
    case PROTO_ERR_ALREADY_EXISTS:
        e->ks = dup_str(a, proto_rd_string(rd));
        e->table = dup_str(a, proto_rd_string(rd));
        break;
    case PROTO_ERR_UNPREPARED: {
        proto_value id = proto_rd_short_bytes(rd);
        e->unprepared_id = id.p;
        e->n_unprepared_id = id.len;
        break;
    }
    default: break;
    }
    return rd->err;
}

/*
 * Decode one response whose body was copied into the result's arena.
 * Returns CQLC_OK, CQLC_ESERVER (an ERROR) or CQLC_EPROTO/ENOMEM.
 */
static int decode_response(cqlc_conn *c, const struct rhdr *h, const buf *body, cqlc_result *r)
{
    cqlc_result_reset(r);
    uint8_t *copy = arena_memdup(&r->a, body->data, body->len ? body->len : 1);
    if (!copy) return CQLC_ENOMEM;
    proto_rd rd;
    proto_rd_init(&rd, copy, body->len);
    struct proto_response_prefix pre;
    if (proto_read_response_prefix(&rd, h->flags, &r->a, &pre) != 0)
        return fail(c, CQLC_EPROTO, "Bad response prefix: %s", rd.msg);
    if (pre.tracing_id) {
        r->has_tracing_id = 1;
        memcpy(r->tracing_id, pre.tracing_id, 16);
    }
    if (pre.n_warnings) {
        r->warnings = arena_calloc(&r->a, sizeof(char *) * pre.n_warnings);
        if (!r->warnings) return CQLC_ENOMEM;
        for (int i = 0; i < pre.n_warnings; i++)
            r->warnings[i] = dup_str(&r->a, pre.warnings[i]);
        r->n_warnings = pre.n_warnings;
    }
    int rc = 0;
    switch (h->opcode) {
    case PROTO_OP_ERROR:
        rc = decode_error(&rd, r, h->version);
        if (rc == 0) return CQLC_ESERVER;
        break;
    case PROTO_OP_READY:
    case PROTO_OP_AUTH_SUCCESS:
    case PROTO_OP_AUTHENTICATE:
    case PROTO_OP_AUTH_CHALLENGE:
    case PROTO_OP_SUPPORTED:
    case PROTO_OP_EVENT: r->kind = CQLC_RES_NONE; return CQLC_OK;
    case PROTO_OP_RESULT: {
        int32_t kind = proto_rd_int(&rd);
        r->kind = kind;
        switch (kind) {
        case CQLC_RES_VOID: break;
        case CQLC_RES_ROWS: rc = decode_rows(&rd, r, h->version); break;
        case CQLC_RES_SET_KEYSPACE: r->keyspace = dup_str(&r->a, proto_rd_string(&rd)); break;
        case CQLC_RES_PREPARED: {
            proto_value id = proto_rd_short_bytes(&rd);
            r->id = id.p;
            r->n_id = id.len;
            if (h->version >= 5) {
                proto_value mid = proto_rd_short_bytes(&rd);
                r->result_metadata_id = mid.p;
                r->n_result_metadata_id = mid.len;
            }
            rc = read_metadata(&rd, r, 1, h->version);
            if (!rc) rc = read_metadata(&rd, r, 0, h->version);
            break;
        }
        case CQLC_RES_SCHEMA_CHANGE:
            r->change_type = dup_str(&r->a, proto_rd_string(&rd));
            r->target = dup_str(&r->a, proto_rd_string(&rd));
            r->sc_keyspace = dup_str(&r->a, proto_rd_string(&rd));
            r->sc_name = "";
            if (strcmp(r->target, "KEYSPACE") != 0)
                r->sc_name = dup_str(&r->a, proto_rd_string(&rd));
            /* FUNCTION/AGGREGATE argument types follow; not needed */
            break;
        default: return fail(c, CQLC_EPROTO, "Unknown result kind %d", kind);
        }
        if (!rc) rc = rd.err;
        break;
    }
    default: return fail(c, CQLC_EPROTO, "Unexpected opcode 0x%02x in a response", h->opcode);
    }
    if (rc == PROTO_ENOMEM) return CQLC_ENOMEM;
    if (rc) return fail(c, CQLC_EPROTO, "Malformed response: %s", rd.msg);
    return CQLC_OK;
}

/* ---- requests ---------------------------------------------------------- */

static int take_stream(cqlc_conn *c, int16_t *stream)
{
    for (int tries = 0; tries < N_STREAMS; tries++) {
        int16_t s = c->next_stream;
        c->next_stream = (int16_t)(s == 32767 ? 1 : s + 1);
        if (!c->busy[s]) {
            c->busy[s] = 1;
            c->n_in_flight++;
            *stream = s;
            return CQLC_OK;
        }
    }
    return CQLC_EPROTO;
}

static void put_query_params(buf *b, int version, const cqlc_qopts *o)
{
    uint32_t flags = 0;
    if (o->n_values > 0) flags |= PROTO_QF_VALUES;
    if (o->skip_metadata) flags |= PROTO_QF_SKIP_METADATA;
    if (o->page_size > 0) flags |= PROTO_QF_PAGE_SIZE;
    if (o->paging_state) flags |= PROTO_QF_PAGING_STATE;
    if (o->serial_consistency != PROTO_CL_SERIAL) flags |= PROTO_QF_SERIAL_CONSISTENCY;
    if (o->timestamp != INT64_MIN) flags |= PROTO_QF_TIMESTAMP;
    proto_wr_consistency(b, o->consistency);
    if (version >= 5)
        proto_wr_int(b, (int32_t)flags);
    else
        proto_wr_byte(b, (uint8_t)flags);
    if (flags & PROTO_QF_VALUES) {
        proto_wr_short(b, (uint16_t)o->n_values);
        for (int i = 0; i < o->n_values; i++)
            proto_wr_value(b, o->values[i].p, o->values[i].len);
    }
    if (flags & PROTO_QF_PAGE_SIZE) proto_wr_int(b, o->page_size);
    if (flags & PROTO_QF_PAGING_STATE) proto_wr_bytes(b, o->paging_state, o->n_paging_state);
    if (flags & PROTO_QF_SERIAL_CONSISTENCY) proto_wr_consistency(b, o->serial_consistency);
    if (flags & PROTO_QF_TIMESTAMP) proto_wr_long(b, o->timestamp);
}

static int queue_request(cqlc_conn *c, uint8_t opcode, buf *body, int16_t *stream)
{
    if (c->dead) return CQLC_EIO;
    if (!buf_ok(body)) return CQLC_ENOMEM;
    int rc = take_stream(c, stream);
    if (rc) return rc;
    put_envelope(c, opcode, *stream, body);
    if (!buf_ok(&c->out)) return fail(c, CQLC_ENOMEM, "Out of memory");
    if (c->out.len > (1u << 20)) return cqlc_flush(c);
    return CQLC_OK;
}

int cqlc_send_query(cqlc_conn *c, const char *cql, const cqlc_qopts *o, int16_t *stream)
{
    cqlc_qopts def;
    if (!o) {
        cqlc_qopts_init(&def);
        o = &def;
    }
    buf b;
    buf_init(&b);
    proto_wr_long_string(&b, cql, strlen(cql));
    put_query_params(&b, c->version, o);
    int rc = queue_request(c, PROTO_OP_QUERY, &b, stream);
    buf_free(&b);
    return rc;
}

int cqlc_send_execute(cqlc_conn *c, const cqlc_result *prepared, const cqlc_qopts *o,
                      int16_t *stream)
{
    cqlc_qopts def;
    if (!o) {
        cqlc_qopts_init(&def);
        o = &def;
    }
    buf b;
    buf_init(&b);
    proto_wr_short_bytes(&b, prepared->id, (size_t)prepared->n_id);
    if (c->version >= 5)
        proto_wr_short_bytes(&b, prepared->result_metadata_id,
                             (size_t)prepared->n_result_metadata_id);
    put_query_params(&b, c->version, o);
    int rc = queue_request(c, PROTO_OP_EXECUTE, &b, stream);
    buf_free(&b);
    return rc;
}

int cqlc_recv_any(cqlc_conn *c, int16_t *stream, cqlc_result *out)
{
    if (c->dead) return CQLC_EIO;
    int rc = cqlc_flush(c);
    if (rc) return rc;
    int64_t deadline = deadline_of(c);
    buf body;
    buf_init(&body);
    for (;;) {
        struct rhdr h;
        rc = next_envelope(c, &h, &body, deadline);
        if (rc) break;
        if (h.stream <= 0 || !c->busy[h.stream]) continue; /* events, stale answers */
        c->busy[h.stream] = 0;
        c->n_in_flight--;
        *stream = h.stream;
        rc = decode_response(c, &h, &body, out);
        break;
    }
    buf_free(&body);
    return rc;
}

static int wait_for(cqlc_conn *c, int16_t stream, cqlc_result *out)
{
    for (;;) {
        int16_t got;
        int rc = cqlc_recv_any(c, &got, out);
        if (got == stream || (rc != CQLC_OK && rc != CQLC_ESERVER)) return rc;
    }
}

int cqlc_query(cqlc_conn *c, const char *cql, const cqlc_qopts *o, cqlc_result *out)
{
    int16_t s;
    int rc = cqlc_send_query(c, cql, o, &s);
    return rc ? rc : wait_for(c, s, out);
}

int cqlc_prepare(cqlc_conn *c, const char *cql, cqlc_result *out)
{
    buf b;
    buf_init(&b);
    proto_wr_long_string(&b, cql, strlen(cql));
    if (c->version >= 5) proto_wr_int(&b, 0);
    int16_t s;
    int rc = queue_request(c, PROTO_OP_PREPARE, &b, &s);
    buf_free(&b);
    return rc ? rc : wait_for(c, s, out);
}

int cqlc_execute(cqlc_conn *c, const cqlc_result *prepared, const cqlc_qopts *o, cqlc_result *out)
{
    int16_t s;
    int rc = cqlc_send_execute(c, prepared, o, &s);
    return rc ? rc : wait_for(c, s, out);
}

/* ---- connecting -------------------------------------------------------- */

static int tcp_connect(cqlc_conn *c, const char *host, int port, int timeout_ms)
{
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int g = getaddrinfo(host, portstr, &hints, &res);
    if (g != 0) return fail(c, CQLC_EIO, "%s", gai_strerror(g));
    int rc = CQLC_EIO;
    snprintf(c->errmsg, sizeof(c->errmsg), "no address");
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) continue;
        int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (r < 0 && errno == EINPROGRESS) {
            int w = wait_fd(fd, POLLOUT, now_ms() + timeout_ms);
            if (w <= 0) {
                snprintf(c->errmsg, sizeof(c->errmsg), "%s",
                         w == 0 ? "Timed out connecting" : strerror(errno));
                close(fd);
                continue;
            }
            int err = 0;
            socklen_t len = sizeof(err);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err) {
                snprintf(c->errmsg, sizeof(c->errmsg), "%s", strerror(err));
                close(fd);
                continue;
            }
        } else if (r < 0) {
            snprintf(c->errmsg, sizeof(c->errmsg), "%s", strerror(errno));
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->fd = fd;
        rc = CQLC_OK;
        break;
    }
    freeaddrinfo(res);
    if (rc) c->dead = 1;
    return rc;
}

static void conn_free(cqlc_conn *c)
{
    if (!c) return;
    if (c->fd >= 0) close(c->fd);
    buf_free(&c->out);
    buf_free(&c->wire);
    buf_free(&c->in);
    buf_free(&c->env);
    proto_seg_decoder_free(&c->seg);
    mem_free(c);
}

void cqlc_close(cqlc_conn *c)
{
    conn_free(c);
}

/* One request/response during the handshake on stream 0. */
static int handshake_rt(cqlc_conn *c, uint8_t opcode, buf *body, int switch_after, struct rhdr *h,
                        buf *resp, int timeout_ms)
{
    buf_clear(&c->out);
    put_envelope(c, opcode, 0, body);
    int rc = cqlc_flush(c);
    if (rc) return rc;
    rc = next_envelope(c, h, resp, now_ms() + timeout_ms);
    if (rc) return rc;
    if (switch_after && c->version >= 5 &&
        (h->opcode == PROTO_OP_READY || h->opcode == PROTO_OP_AUTHENTICATE)) {
        /* bytes already read after the STARTUP response are segments */
        c->v5_framing = 1;
    }
    return CQLC_OK;
}

static int try_connect(const cqlc_opts *o, int version, cqlc_conn **out, char *err, size_t errsz,
                       int32_t *server_code)
{
    cqlc_conn *c = mem_calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errsz, "Out of memory");
        return CQLC_ENOMEM;
    }
    c->fd = -1;
    c->version = version;
    c->next_stream = 1;
    buf_init(&c->out);
    buf_init(&c->wire);
    buf_init(&c->in);
    buf_init(&c->env);
    proto_seg_decoder_init(&c->seg, 0, 0);
    cqlc_set_timeout(c, o->request_timeout_ms);
    int ctimeout = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000;
    const char *host = o->host && *o->host ? o->host : "127.0.0.1";
    int port = o->port > 0 ? o->port : 9042;
    buf body, resp;
    buf_init(&body);
    buf_init(&resp);
    cqlc_result r;
    cqlc_result_init(&r);
    struct rhdr h;
    int rc = tcp_connect(c, host, port, ctimeout);
    if (rc) {
        snprintf(err, errsz, "%s", c->errmsg);
        goto out;
    }
    proto_str_pair opts[1] = {{{"CQL_VERSION", 11}, {"3.0.0", 5}}};
    proto_wr_string_map(&body, opts, 1);
    rc = handshake_rt(c, PROTO_OP_STARTUP, &body, 1, &h, &resp, ctimeout);
    if (rc) {
        snprintf(err, errsz, "%s", c->errmsg);
        goto out;
    }
    if (h.opcode == PROTO_OP_AUTHENTICATE) {
        if (!o->username) {
            rc = CQLC_ESERVER;
            if (server_code) *server_code = PROTO_ERR_BAD_CREDENTIALS;
            snprintf(err, errsz, "Remote end requires authentication");
            goto out;
        }
        buf_clear(&body);
        buf tok;
        buf_init(&tok);
        buf_put_u8(&tok, 0);
        buf_put(&tok, o->username, strlen(o->username));
        buf_put_u8(&tok, 0);
        const char *pw = o->password ? o->password : "";
        buf_put(&tok, pw, strlen(pw));
        proto_wr_bytes(&body, tok.data, (int32_t)tok.len);
        buf_free(&tok);
        rc = handshake_rt(c, PROTO_OP_AUTH_RESPONSE, &body, 0, &h, &resp, ctimeout);
        if (rc) {
            snprintf(err, errsz, "%s", c->errmsg);
            goto out;
        }
    }
    if (h.opcode == PROTO_OP_ERROR) {
        rc = decode_response(c, &h, &resp, &r);
        if (rc == CQLC_ESERVER) {
            if (server_code) *server_code = r.err.code;
            snprintf(err, errsz, "%s", r.err.message);
        } else {
            snprintf(err, errsz, "%s", c->errmsg);
        }
        if (rc == CQLC_OK) rc = CQLC_EPROTO;
        goto out;
    }
    if (h.opcode != PROTO_OP_READY && h.opcode != PROTO_OP_AUTH_SUCCESS) {
        rc = CQLC_EPROTO;
        snprintf(err, errsz, "Unexpected opcode 0x%02x during the handshake", h.opcode);
        goto out;
    }
    rc = CQLC_OK;
out:
    buf_free(&body);
    buf_free(&resp);
    cqlc_result_free(&r);
    if (rc) {
        conn_free(c);
        c = NULL;
    }
    *out = c;
    return rc;
}

int cqlc_connect(const cqlc_opts *o, cqlc_conn **out, char *err, size_t errsz, int32_t *server_code)
{
    if (server_code) *server_code = -1;
    int version = o->version ? o->version : PROTO_V5;
    int32_t code = -1;
    int rc = try_connect(o, version, out, err, errsz, &code);
    if (rc == CQLC_ESERVER && o->version == 0 && code == PROTO_ERR_PROTOCOL &&
        strcasestr(err, "version")) {
        code = -1;
        rc = try_connect(o, PROTO_V4, out, err, errsz, &code);
    } else if (rc == CQLC_EPROTO && o->version == 0) {
        /* old servers answer a v5 STARTUP with a v4 error frame */
        rc = try_connect(o, PROTO_V4, out, err, errsz, &code);
    }
    if (server_code) *server_code = code;
    return rc;
}
