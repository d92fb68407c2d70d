/*
 * parser.c -- recursive-descent parser for CQL (Cassandra 5.0's Parser.g,
 * facts not code): the core shared with parser_ddl.c (see parser_int.h)
 * and the DML, BATCH, USE, TRUNCATE and keyspace statements.
 *
 * Invariants:
 *  (1) every allocation comes from the caller's arena; failure to allocate
 *      sets p->failed = -2 and the parse unwinds (cql_parse returns -2);
 *  (2) recursion is bounded by CQL_PARSE_MAX_DEPTH (terms, selectors,
 *      types, relations): deep input is a syntax error, never a crash;
 *  (3) the first error wins: once p->failed is set nothing overwrites it
 *      (except a failed speculation, see (5), which is undone whole);
 *  (4) bind markers are numbered in textual order (ast.h convention 6);
 *  (5) Parser.g's syntactic predicates (SELECT JSON / DISTINCT, type hints
 *      in selectors and terms) are speculative parses rolled back on a
 *      syntax error (spec_save/spec_rollback). The select clause is parsed at
 *      most four times; a failed type hint is re-parsed only over the
 *      type's own tokens, so nested hints stay linear;
 *  (6) errors at the end of input read "line 0:-1 <msg>" with no snippet,
 *      as Cassandra's (its EOF token has no position); err->line/col still
 *      give where the input ended. Messages are always valid UTF-8.
 */
#include "cql/parser_int.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ tokens */

const struct cql_tok *pk(struct cql_parser *p)
{
    return &p->t[p->pos];
}

const struct cql_tok *pk_at(struct cql_parser *p, int k)
{
    int i = p->pos + k;
    return &p->t[i < p->n ? i : p->n - 1];
}

int at(struct cql_parser *p, int type)
{
    return !p->failed && p->t[p->pos].type == type;
}

static void advance(struct cql_parser *p)
{
    if (p->pos < p->n - 1) p->pos++;
}

int accept(struct cql_parser *p, int type)
{
    if (!at(p, type)) return 0;
    advance(p);
    return 1;
}

/* ------------------------------------------------------------ errors */

/* The offending token in messages, in the form of ANTLR's
 * getTokenErrorDisplay: \n, \r and \t written as escapes. ANTLR shows the
 * token's text (the unescaped contents for strings); we show the token as
 * written ('abc' with its quotes), which test_cql_parser_ddl pins. */
static void tok_text(struct cql_parser *p, const struct cql_tok *t, char *out, size_t cap)
{
    if (t->type == TK_EOF) {
        snprintf(out, cap, "<EOF>");
        return;
    }
    size_t o = 0;
    for (uint32_t i = 0; i < t->len && o + 3 < cap; i++) {
        char c = p->src[t->off + i];
        const char *esc = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
        if (esc) {
            memcpy(out + o, esc, 2);
            o += 2;
        } else {
            out[o++] = c;
        }
    }
    out[o] = 0;
}

/* Makes s (NUL-terminated, in a buffer of cap bytes) valid UTF-8 in place:
 * each byte that does not start a well-formed sequence becomes U+FFFD, and
 * the text is cut at a character boundary to fit. */
static void utf8_sanitize(char *s, size_t cap)
{
    char tmp[sizeof(((cql_parse_error *)0)->msg)];
    size_t o = 0, n = strlen(s);
    if (cap > sizeof(tmp)) cap = sizeof(tmp);
    for (size_t i = 0; i < n;) {
        unsigned char b = (unsigned char)s[i];
        size_t need = b < 0x80                 ? 1
                      : b >= 0xC2 && b <= 0xDF ? 2
                      : b >= 0xE0 && b <= 0xEF ? 3
                      : b >= 0xF0 && b <= 0xF4 ? 4
                                               : 0;
        int ok = need > 0 && i + need <= n;
        for (size_t j = 1; ok && j < need; j++)
            if (((unsigned char)s[i + j] & 0xC0) != 0x80) ok = 0;
        if (ok && need >= 3) { /* no overlong forms, surrogates or > U+10FFFF */
            unsigned char c = (unsigned char)s[i + 1];
            if ((b == 0xE0 && c < 0xA0) || (b == 0xED && c >= 0xA0) || (b == 0xF0 && c < 0x90) ||
                (b == 0xF4 && c >= 0x90))
                ok = 0;
        }
        const char *src = ok ? s + i : "\xEF\xBF\xBD";
        size_t len = ok ? need : 3;
        if (o + len >= cap) break;
        memcpy(tmp + o, src, len);
        o += len;
        i += ok ? need : 1;
    }
    tmp[o] = 0;
    memcpy(s, tmp, o + 1);
}

/* ANTLR-style snippet: up to two tokens before the offending one, the
 * offending token in brackets, and "..." when more follows. The tokens are
 * shown as written in the query (never EOF: vfail handles it). */
static void snippet(struct cql_parser *p, const struct cql_tok *bad, char *out, size_t cap)
{
    int idx = (int)(bad - p->t);
    int from = idx - 2 < 0 ? 0 : idx - 2;
    size_t o = 0;
    out[0] = 0;
    for (int i = from; i <= idx && i < p->n && o < cap; i++) {
        const struct cql_tok *t = &p->t[i];
        int n = t->len < 63 ? (int)t->len : 63;
        o += (size_t)snprintf(out + o, cap - o, "%s%s%.*s%s", i > from ? " " : "",
                              i == idx ? "[" : "", n, p->src + t->off, i == idx ? "]" : "");
    }
    if (o < cap && idx < p->n - 1) snprintf(out + o, cap - o, "...");
}

static int vfail(struct cql_parser *p, const struct cql_tok *t, int with_snippet, const char *fmt,
                 va_list ap)
{
    if (p->failed) return -1;
    p->failed = -1;
    char msg[400];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    p->err->line = t->line;
    p->err->col = t->col;
    if (with_snippet && t->type == TK_EOF) {
        /* Cassandra's lexer hands the parser a bare EOF token (line 0,
         * position -1) and ErrorCollector shows no snippet for it. */
        snprintf(p->err->msg, sizeof(p->err->msg), "line 0:-1 %s", msg);
    } else if (with_snippet) {
        char sn[200];
        snippet(p, t, sn, sizeof(sn));
        snprintf(p->err->msg, sizeof(p->err->msg), "line %d:%d %s (%s)", t->line, t->col, msg, sn);
    } else {
        snprintf(p->err->msg, sizeof(p->err->msg), "%s", msg);
    }
    utf8_sanitize(p->err->msg, sizeof(p->err->msg));
    return -1;
}

int fail_at(struct cql_parser *p, const struct cql_tok *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(p, t, 1, fmt, ap);
    va_end(ap);
    return -1;
}

int fail_msg(struct cql_parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(p, pk(p), 0, fmt, ap);
    va_end(ap);
    return -1;
}

int fail_nva(struct cql_parser *p)
{
    char tt[128];
    tok_text(p, pk(p), tt, sizeof(tt));
    return fail_at(p, pk(p), "no viable alternative at input '%s'", tt);
}

int expect(struct cql_parser *p, int type)
{
    if (p->failed) return -1;
    if (accept(p, type)) return 0;
    char tt[128];
    tok_text(p, pk(p), tt, sizeof(tt));
    return fail_at(p, pk(p), "mismatched input '%s' expecting %s", tt, cql_tok_name(type));
}

/* ------------------------------------------------------------ memory */

void *palloc(struct cql_parser *p, size_t sz)
{
    if (p->failed) return NULL;
    void *r = arena_calloc(p->a, sz ? sz : 1);
    if (!r) p->failed = -2;
    return r;
}

char *pstrdup(struct cql_parser *p, const char *s, size_t n)
{
    if (p->failed) return NULL;
    char *r = arena_strndup(p->a, s, n);
    if (!r) p->failed = -2;
    return r;
}

int plist_push(struct cql_parser *p, void ***arr, int *n, int *cap, void *item)
{
    if (p->failed) return -1;
    if (*n == *cap) {
        int ncap = *cap ? *cap * 2 : 4;
        void **na = arena_alloc(p->a, sizeof(void *) * (size_t)ncap);
        if (!na) {
            p->failed = -2;
            return -1;
        }
        if (*n) memcpy(na, *arr, sizeof(void *) * (size_t)*n);
        *arr = na;
        *cap = ncap;
    }
    (*arr)[(*n)++] = item;
    return 0;
}

#define PUSH(p, arr, n, cap, item) plist_push((p), (void ***)&(arr), &(n), &(cap), (item))

static int enter(struct cql_parser *p)
{
    if (p->failed) return -1;
    if (++p->depth > CQL_PARSE_MAX_DEPTH)
        return fail_at(p, pk(p), "statement is too deeply nested (more than %d levels)",
                       CQL_PARSE_MAX_DEPTH);
    return 0;
}

static void leave(struct cql_parser *p)
{
    p->depth--;
}

/*
 * Backtracking for Parser.g's syntactic predicates (`(A)=> A | B`): save the
 * parser state, try A, and if A fails with a syntax error put everything
 * back (position, bind markers, depth, the error) so B can be parsed. Out of
 * memory is never undone. Markers and nodes made by the failed attempt stay
 * in the arena unreferenced. Callers only speculate while p->failed == 0,
 * so the error to restore is the untouched one cql_parse() started with.
 */
struct spec {
    int pos, n_binds, depth;
    enum cql_bind_ctx bctx;
    const void *bowner;
    int bvalue_index;
};

static void spec_save(struct cql_parser *p, struct spec *s)
{
    s->pos = p->pos;
    s->n_binds = p->n_binds;
    s->depth = p->depth;
    s->bctx = p->bctx;
    s->bowner = p->bowner;
    s->bvalue_index = p->bvalue_index;
}

/* After a failed attempt: 0 if the state was rolled back, -1 on OOM. */
static int spec_rollback(struct cql_parser *p, const struct spec *s)
{
    if (p->failed == -2) return -1;
    p->failed = 0;
    memset(p->err, 0, sizeof(*p->err));
    p->pos = s->pos;
    p->n_binds = s->n_binds;
    p->depth = s->depth;
    p->bctx = s->bctx;
    p->bowner = s->bowner;
    p->bvalue_index = s->bvalue_index;
    return 0;
}

/* ------------------------------------------------------------ names */

static int is_unreserved_kw(int type)
{
    int f = cql_kw_flags(type);
    return f && !(f & CQL_KW_R);
}

int is_ident(struct cql_parser *p)
{
    int t = pk(p)->type;
    return !p->failed && (t == TK_IDENT || t == TK_QUOTED_NAME || is_unreserved_kw(t));
}

static char *lower_dup(struct cql_parser *p, const char *s, size_t n)
{
    char *r = pstrdup(p, s, n);
    if (r)
        for (size_t i = 0; i < n; i++)
            if (r[i] >= 'A' && r[i] <= 'Z') r[i] = (char)(r[i] - 'A' + 'a');
    return r;
}

const char *parse_ident(struct cql_parser *p)
{
    if (p->failed) return NULL;
    const struct cql_tok *t = pk(p);
    if (t->type == TK_QUOTED_NAME) {
        advance(p);
        return pstrdup(p, t->text, t->text_len);
    }
    if (t->type == TK_EMPTY_QUOTED_NAME) {
        fail_at(p, t, "Empty quoted identifier is not allowed");
        return NULL;
    }
    if (t->type == TK_IDENT || is_unreserved_kw(t->type)) {
        advance(p);
        return lower_dup(p, p->src + t->off, t->len);
    }
    fail_nva(p);
    return NULL;
}

/* [ks.]table of a DML statement: '?' in either place gets Cassandra's
 * message (Parser.g's columnFamilyName / keyspaceName). */
static int parse_table_qname(struct cql_parser *p, struct cql_qname *out)
{
    out->ks = NULL;
    if (at(p, TK_QMARK) && pk_at(p, 1)->type == TK_DOT)
        return fail_msg(p, "Bind variables cannot be used for keyspace names");
    if (at(p, TK_QMARK)) return fail_msg(p, "Bind variables cannot be used for table names");
    return parse_qname(p, out) < 0 || (out->ks && !out->name) ? -1 : 0;
}

int parse_qname(struct cql_parser *p, struct cql_qname *out)
{
    out->ks = NULL;
    out->name = parse_ident(p);
    if (!out->name) return -1;
    if (accept(p, TK_DOT)) {
        out->ks = out->name;
        if (at(p, TK_QMARK)) return fail_msg(p, "Bind variables cannot be used for table names");
        out->name = parse_ident(p);
        if (!out->name) return -1;
    }
    return 0;
}

const char *parse_role_name(struct cql_parser *p)
{
    const struct cql_tok *t = pk(p);
    if (at(p, TK_STRING)) {
        advance(p);
        return pstrdup(p, t->text, t->text_len);
    }
    return parse_ident(p);
}

/* ------------------------------------------------------------ types */

static const struct {
    int tok;
    enum cql_native n;
} native_map[] = {
    {K_ASCII, CQL_NATIVE_ASCII},       {K_BIGINT, CQL_NATIVE_BIGINT},
    {K_BLOB, CQL_NATIVE_BLOB},         {K_BOOLEAN, CQL_NATIVE_BOOLEAN},
    {K_COUNTER, CQL_NATIVE_COUNTER},   {K_DATE, CQL_NATIVE_DATE},
    {K_DECIMAL, CQL_NATIVE_DECIMAL},   {K_DOUBLE, CQL_NATIVE_DOUBLE},
    {K_DURATION, CQL_NATIVE_DURATION}, {K_FLOAT, CQL_NATIVE_FLOAT},
    {K_INET, CQL_NATIVE_INET},         {K_INT, CQL_NATIVE_INT},
    {K_SMALLINT, CQL_NATIVE_SMALLINT}, {K_TEXT, CQL_NATIVE_TEXT},
    {K_TIME, CQL_NATIVE_TIME},         {K_TIMESTAMP, CQL_NATIVE_TIMESTAMP},
    {K_TIMEUUID, CQL_NATIVE_TIMEUUID}, {K_TINYINT, CQL_NATIVE_TINYINT},
    {K_UUID, CQL_NATIVE_UUID},         {K_VARCHAR, CQL_NATIVE_VARCHAR},
    {K_VARINT, CQL_NATIVE_VARINT},
};

static int native_of(int tok, enum cql_native *out)
{
    for (size_t i = 0; i < sizeof(native_map) / sizeof(native_map[0]); i++)
        if (native_map[i].tok == tok) {
            *out = native_map[i].n;
            return 1;
        }
    return 0;
}

/* Token type can start comparatorType: a native or collection keyword, a
 * 'custom' class, or a user type name ([ks.]name). */
static int can_start_type(int t)
{
    return t == TK_STRING || t == TK_IDENT || t == TK_QUOTED_NAME || t == K_SET ||
           is_unreserved_kw(t);
}

/* userTypeName: (noncol_ident '.')? non_type_ident, where non_type_ident is
 * IDENT (not one of Parser.g's reservedTypeNames, compared as written),
 * QUOTED_NAME, a basic unreserved keyword or KEY. */
static int parse_udt_name(struct cql_parser *p, struct cql_qname *q)
{
    static const char *const reserved[] = {"byte",     "complex", "enum",     "date",
                                           "interval", "macaddr", "bitstring"};
    q->ks = NULL;
    if (is_ident(p) && pk_at(p, 1)->type == TK_DOT) {
        if (!(q->ks = parse_ident(p)) || expect(p, TK_DOT)) return -1;
    }
    const struct cql_tok *t = pk(p);
    if (p->failed) return -1;
    if (t->type == TK_IDENT) {
        for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
            if (t->len == strlen(reserved[i]) && !memcmp(p->src + t->off, reserved[i], t->len))
                return fail_msg(p, "Invalid (reserved) user type name %s", reserved[i]);
    } else if (t->type != TK_QUOTED_NAME && !(cql_kw_flags(t->type) & CQL_KW_B) &&
               t->type != K_KEY) {
        return fail_nva(p);
    }
    q->name = parse_ident(p);
    return q->name ? 0 : -1;
}

static struct cql_type *parse_type_inner(struct cql_parser *p);

static int type_params(struct cql_parser *p, struct cql_type *t, int n)
{
    if (expect(p, TK_LT)) return -1;
    t->params = palloc(p, sizeof(*t->params) * (size_t)n);
    if (!t->params) return -1;
    for (int i = 0; i < n; i++) {
        if (i && expect(p, TK_COMMA)) return -1;
        if (!(t->params[i] = parse_type_inner(p))) return -1;
    }
    t->n_params = n;
    return expect(p, TK_GT);
}

static struct cql_type *parse_type_inner(struct cql_parser *p)
{
    if (enter(p)) return NULL;
    struct cql_type *t = palloc(p, sizeof(*t));
    if (!t) return NULL;
    const struct cql_tok *tk = pk(p);
    enum cql_native nat;
    if (native_of(tk->type, &nat)) {
        advance(p);
        t->kind = CQL_TYPE_NATIVE;
        t->native = nat;
    } else if (tk->type == K_FROZEN) {
        advance(p);
        if (expect(p, TK_LT)) return NULL;
        struct cql_type *in = parse_type_inner(p);
        if (!in || expect(p, TK_GT)) return NULL;
        in->frozen = true;
        leave(p);
        return in;
    } else if (tk->type == K_LIST || tk->type == K_SET) {
        advance(p);
        t->kind = tk->type == K_LIST ? CQL_TYPE_LIST : CQL_TYPE_SET;
        if (type_params(p, t, 1)) return NULL;
    } else if (tk->type == K_MAP) {
        advance(p);
        t->kind = CQL_TYPE_MAP;
        if (type_params(p, t, 2)) return NULL;
    } else if (tk->type == K_TUPLE) {
        advance(p);
        t->kind = CQL_TYPE_TUPLE;
        if (expect(p, TK_LT)) return NULL;
        int cap = 0;
        do {
            struct cql_type *e = parse_type_inner(p);
            if (!e || PUSH(p, t->params, t->n_params, cap, e)) return NULL;
        } while (accept(p, TK_COMMA));
        if (expect(p, TK_GT)) return NULL;
    } else if (tk->type == K_VECTOR) {
        advance(p);
        t->kind = CQL_TYPE_VECTOR;
        if (expect(p, TK_LT)) return NULL;
        t->params = palloc(p, sizeof(*t->params));
        if (!t->params || !(t->params[0] = parse_type_inner(p)) || expect(p, TK_COMMA)) return NULL;
        t->n_params = 1;
        const struct cql_tok *d = pk(p);
        if (expect(p, TK_INTEGER)) return NULL;
        char tmp[24];
        snprintf(tmp, sizeof(tmp), "%.*s", (int)(d->len < 23 ? d->len : 23), p->src + d->off);
        long long dim = strtoll(tmp, NULL, 10); /* saturates; out of range is invalid anyway */
        t->vector_dim = dim > INT_MAX ? INT_MAX : dim < INT_MIN ? INT_MIN : (int)dim;
        if (expect(p, TK_GT)) return NULL;
    } else if (tk->type == TK_STRING) {
        advance(p);
        t->kind = CQL_TYPE_CUSTOM;
        t->custom = pstrdup(p, tk->text, tk->text_len);
    } else if (is_ident(p)) {
        t->kind = CQL_TYPE_UDT;
        if (parse_udt_name(p, &t->udt)) return NULL;
    } else {
        fail_nva(p);
        return NULL;
    }
    leave(p);
    return p->failed ? NULL : t;
}

struct cql_type *parse_type(struct cql_parser *p)
{
    return parse_type_inner(p);
}

/* ------------------------------------------------------------ terms */

static struct cql_term *new_term(struct cql_parser *p, enum cql_term_kind k,
                                 const struct cql_tok *at_tok)
{
    struct cql_term *t = palloc(p, sizeof(*t));
    if (!t) return NULL;
    t->kind = k;
    t->line = at_tok->line;
    t->col = at_tok->col;
    return t;
}

static struct cql_term *new_bind(struct cql_parser *p, const struct cql_tok *tk, const char *name)
{
    struct cql_term *t = new_term(p, CQL_TERM_BIND, tk);
    if (!t) return NULL;
    if (p->n_binds == p->cap_binds) {
        int ncap = p->cap_binds ? p->cap_binds * 2 : 8;
        struct cql_bind_marker *nb = arena_alloc(p->a, sizeof(*nb) * (size_t)ncap);
        if (!nb) {
            p->failed = -2;
            return NULL;
        }
        if (p->n_binds) memcpy(nb, p->binds, sizeof(*nb) * (size_t)p->n_binds);
        p->binds = nb;
        p->cap_binds = ncap;
    }
    struct cql_bind_marker *m = &p->binds[p->n_binds];
    memset(m, 0, sizeof(*m));
    m->index = p->n_binds++;
    m->name = name;
    m->term = t;
    m->ctx = p->bctx;
    m->owner = p->bowner;
    m->value_index = p->bctx == CQL_BIND_INSERT_VALUE ? p->bvalue_index : -1;
    m->stmt_index = p->stmt_index;
    t->bind.index = m->index;
    t->bind.name = name;
    return t;
}

/* '?' or ':name' at the current token, NULL if neither (no error). */
static struct cql_term *parse_marker(struct cql_parser *p)
{
    const struct cql_tok *tk = pk(p);
    if (accept(p, TK_QMARK)) return new_bind(p, tk, NULL);
    if (at(p, TK_COLON)) {
        advance(p);
        const char *nm = parse_ident(p);
        return nm ? new_bind(p, tk, nm) : NULL;
    }
    return NULL;
}

static int const_kind(int tok, enum cql_const_kind *k)
{
    switch (tok) {
    case TK_STRING: *k = CQL_CONST_STRING; return 1;
    case TK_INTEGER: *k = CQL_CONST_INTEGER; return 1;
    case TK_FLOAT: *k = CQL_CONST_FLOAT; return 1;
    case TK_BOOLEAN: *k = CQL_CONST_BOOLEAN; return 1;
    case TK_DURATION: *k = CQL_CONST_DURATION; return 1;
    case TK_UUID: *k = CQL_CONST_UUID; return 1;
    case TK_HEX: *k = CQL_CONST_HEX; return 1;
    case K_NAN:
    case TK_NEG_NAN: *k = CQL_CONST_NAN; return 1;
    case K_INFINITY:
    case TK_NEG_INFINITY: *k = CQL_CONST_INFINITY; return 1;
    default: return 0;
    }
}

struct cql_term *parse_constant(struct cql_parser *p)
{
    const struct cql_tok *tk = pk(p);
    enum cql_const_kind k;
    if (p->failed) return NULL;
    if (!const_kind(tk->type, &k)) {
        fail_nva(p);
        return NULL;
    }
    advance(p);
    struct cql_term *t = new_term(p, CQL_TERM_CONST, tk);
    if (!t) return NULL;
    t->constant.kind = k;
    if (k == CQL_CONST_STRING) {
        t->constant.text = pstrdup(p, tk->text, tk->text_len);
        t->constant.len = tk->text_len;
    } else {
        t->constant.text = pstrdup(p, p->src + tk->off, tk->len);
        t->constant.len = tk->len;
    }
    return p->failed ? NULL : t;
}

static struct cql_term *null_const(struct cql_parser *p, const struct cql_tok *tk)
{
    struct cql_term *t = new_term(p, CQL_TERM_CONST, tk);
    if (!t) return NULL;
    t->constant.kind = CQL_CONST_NULL;
    t->constant.text = "null";
    t->constant.len = 4;
    return t;
}

/* allowedFunctionName: IDENT, QUOTED_NAME, a basic unreserved keyword or a
 * native type name, TOKEN, COUNT (not TTL, WRITETIME, KEY, CAST, JSON ...). */
static int is_fname_tok(int t)
{
    return t == TK_IDENT || t == TK_QUOTED_NAME || t == K_TOKEN || t == K_COUNT ||
           (cql_kw_flags(t) & (CQL_KW_B | CQL_KW_N));
}

static int is_function_name_start(struct cql_parser *p)
{
    /* functionName '(' or ks '.' functionName '(' (ks: any identifier) */
    int t = pk(p)->type;
    if (is_fname_tok(t) && pk_at(p, 1)->type == TK_LPAREN) return 1;
    return (t == TK_IDENT || t == TK_QUOTED_NAME || is_unreserved_kw(t)) &&
           pk_at(p, 1)->type == TK_DOT && is_fname_tok(pk_at(p, 2)->type) &&
           pk_at(p, 3)->type == TK_LPAREN;
}

static int parse_function_name(struct cql_parser *p, struct cql_qname *qn)
{
    qn->ks = NULL;
    if (pk_at(p, 1)->type == TK_DOT) {
        if (!(qn->ks = parse_ident(p)) || expect(p, TK_DOT)) return -1;
    }
    if (at(p, K_TOKEN)) {
        advance(p);
        qn->name = "token";
        return 0;
    }
    return (qn->name = parse_ident(p)) ? 0 : -1;
}

static struct cql_term *parse_term_add(struct cql_parser *p, int stop_at_plus_ident);

/* tupleLiteral: '(' term (',' term)* ')' */
static struct cql_term *parse_tuple_literal(struct cql_parser *p)
{
    const struct cql_tok *tk = pk(p);
    if (expect(p, TK_LPAREN)) return NULL;
    struct cql_term *t = new_term(p, CQL_TERM_TUPLE, tk);
    int cap = 0;
    if (!t) return NULL;
    do {
        struct cql_term *e = parse_term_add(p, 0);
        if (!e || PUSH(p, t->list.items, t->list.n_items, cap, e)) return NULL;
    } while (accept(p, TK_COMMA));
    return expect(p, TK_RPAREN) ? NULL : t;
}

static struct cql_term *parse_simple_term(struct cql_parser *p)
{
    const struct cql_tok *tk = pk(p);
    if (enter(p)) return NULL;
    struct cql_term *t = NULL;
    enum cql_const_kind ck;
    if (const_kind(tk->type, &ck)) {
        t = parse_constant(p);
    } else if (tk->type == K_NULL) {
        advance(p);
        t = null_const(p, tk);
    } else if (tk->type == TK_QMARK || tk->type == TK_COLON) {
        t = parse_marker(p);
    } else if (tk->type == TK_LBRACKET) { /* list literal */
        advance(p);
        t = new_term(p, CQL_TERM_LIST, tk);
        int cap = 0;
        if (t && !at(p, TK_RBRACKET)) {
            do {
                struct cql_term *e = parse_term_add(p, 0);
                if (!e || PUSH(p, t->list.items, t->list.n_items, cap, e)) return NULL;
            } while (accept(p, TK_COMMA));
        }
        if (expect(p, TK_RBRACKET)) return NULL;
    } else if (tk->type == TK_LBRACE) { /* set, map or UDT literal */
        advance(p);
        if (accept(p, TK_RBRACE)) {
            t = new_term(p, CQL_TERM_SET, tk);
        } else if (is_ident(p) && pk_at(p, 1)->type == TK_COLON) {
            t = new_term(p, CQL_TERM_UDT, tk);
            int cap1 = 0, cap2 = 0, n1 = 0;
            do {
                const char *f = parse_ident(p);
                struct cql_term *v;
                if (!f || expect(p, TK_COLON) || !(v = parse_term_add(p, 0))) return NULL;
                if (PUSH(p, t->udt.fields, n1, cap1, (void *)f) ||
                    PUSH(p, t->udt.values, t->udt.n_fields, cap2, v))
                    return NULL;
            } while (accept(p, TK_COMMA));
            if (expect(p, TK_RBRACE)) return NULL;
        } else {
            struct cql_term *first = parse_term_add(p, 0);
            if (!first) return NULL;
            if (accept(p, TK_COLON)) {
                t = new_term(p, CQL_TERM_MAP, tk);
                int ck1 = 0, ck2 = 0, nk = 0;
                struct cql_term *v = parse_term_add(p, 0);
                if (!t || !v || PUSH(p, t->map.keys, nk, ck1, first) ||
                    PUSH(p, t->map.values, t->map.n_entries, ck2, v))
                    return NULL;
                while (accept(p, TK_COMMA)) {
                    struct cql_term *k2 = parse_term_add(p, 0), *v2;
                    if (!k2 || expect(p, TK_COLON) || !(v2 = parse_term_add(p, 0))) return NULL;
                    if (PUSH(p, t->map.keys, nk, ck1, k2) ||
                        PUSH(p, t->map.values, t->map.n_entries, ck2, v2))
                        return NULL;
                }
            } else {
                t = new_term(p, CQL_TERM_SET, tk);
                int cap = 0;
                if (!t || PUSH(p, t->list.items, t->list.n_items, cap, first)) return NULL;
                while (accept(p, TK_COMMA)) {
                    struct cql_term *e = parse_term_add(p, 0);
                    if (!e || PUSH(p, t->list.items, t->list.n_items, cap, e)) return NULL;
                }
            }
            if (expect(p, TK_RBRACE)) return NULL;
        }
    } else if (tk->type == TK_LPAREN) {
        /* '(' comparatorType ')' simpleTerm, else a tuple literal: only
         * 'string' is both a type and a term, "('a')" alone is a tuple. */
        if (can_start_type(pk_at(p, 1)->type)) {
            struct spec sp;
            spec_save(p, &sp);
            advance(p);
            t = new_term(p, CQL_TERM_TYPE_HINT, tk);
            if (t && (t->hint.type = parse_type(p)) && !expect(p, TK_RPAREN) &&
                (t->hint.arg = parse_simple_term(p))) {
                leave(p);
                return t;
            }
            if (spec_rollback(p, &sp)) return NULL;
        }
        t = parse_tuple_literal(p);
    } else if (tk->type == K_CAST && pk_at(p, 1)->type == TK_LPAREN) {
        /* K_CAST '(' simpleTerm K_AS native_type ')' */
        advance(p);
        advance(p);
        t = new_term(p, CQL_TERM_CAST, tk);
        if (!t || !(t->cast.arg = parse_simple_term(p)) || expect(p, K_AS)) return NULL;
        if (!native_of(pk(p)->type, &t->cast.type)) {
            fail_nva(p);
            return NULL;
        }
        advance(p);
        if (expect(p, TK_RPAREN)) return NULL;
    } else if (is_function_name_start(p)) {
        t = new_term(p, CQL_TERM_FUNCTION, tk);
        if (!t || parse_function_name(p, &t->func.name) || expect(p, TK_LPAREN)) return NULL;
        int cap = 0;
        if (!at(p, TK_RPAREN)) {
            do {
                struct cql_term *a = parse_term_add(p, 0);
                if (!a || PUSH(p, t->func.args, t->func.n_args, cap, a)) return NULL;
            } while (accept(p, TK_COMMA));
        }
        if (expect(p, TK_RPAREN)) return NULL;
    } else {
        fail_nva(p);
        return NULL;
    }
    leave(p);
    return p->failed ? NULL : t;
}

/* termGroup: simpleTerm | '-' simpleTerm (one minus: "- -x" is refused) */
static struct cql_term *parse_term_group(struct cql_parser *p)
{
    const struct cql_tok *tk = pk(p);
    if (at(p, TK_MINUS)) {
        advance(p);
        struct cql_term *t = new_term(p, CQL_TERM_NEGATE, tk);
        if (!t || !(t->negate.arg = parse_simple_term(p))) return NULL;
        return t;
    }
    return parse_simple_term(p);
}

static struct cql_term *binop(struct cql_parser *p, const struct cql_tok *tk, char op,
                              struct cql_term *l, struct cql_term *r)
{
    struct cql_term *t = new_term(p, CQL_TERM_BINOP, tk);
    if (!t) return NULL;
    t->binop.op = op;
    t->binop.left = l;
    t->binop.right = r;
    return t;
}

static struct cql_term *parse_term_mul(struct cql_parser *p)
{
    struct cql_term *l = parse_term_group(p);
    while (l && (at(p, TK_STAR) || at(p, TK_SLASH) || at(p, TK_PERCENT))) {
        const struct cql_tok *tk = pk(p);
        char op = tk->type == TK_STAR ? '*' : tk->type == TK_SLASH ? '/' : '%';
        advance(p);
        struct cql_term *r = parse_term_group(p);
        if (!r) return NULL;
        l = binop(p, tk, op, l, r);
    }
    return l;
}

/* stop_at_plus_ident: leave "+ column" unconsumed (UPDATE's "c = x + c"). */
static struct cql_term *parse_term_add(struct cql_parser *p, int stop_at_plus_ident)
{
    if (enter(p)) return NULL;
    struct cql_term *l = parse_term_mul(p);
    while (l && (at(p, TK_PLUS) || at(p, TK_MINUS))) {
        if (stop_at_plus_ident && at(p, TK_PLUS) &&
            (pk_at(p, 1)->type == TK_IDENT || pk_at(p, 1)->type == TK_QUOTED_NAME ||
             is_unreserved_kw(pk_at(p, 1)->type)) &&
            pk_at(p, 2)->type != TK_LPAREN && pk_at(p, 2)->type != TK_DOT)
            break;
        const struct cql_tok *tk = pk(p);
        char op = tk->type == TK_PLUS ? '+' : '-';
        advance(p);
        struct cql_term *r = parse_term_mul(p);
        if (!r) return NULL;
        l = binop(p, tk, op, l, r);
    }
    leave(p);
    return l;
}

struct cql_term *parse_term(struct cql_parser *p)
{
    return parse_term_add(p, 0);
}

/* ------------------------------------------------------------ properties */

static struct cql_term *ident_const(struct cql_parser *p)
{
    const struct cql_tok *tk = pk(p);
    advance(p);
    struct cql_term *t = new_term(p, CQL_TERM_CONST, tk);
    if (!t) return NULL;
    t->constant.kind = CQL_CONST_IDENT;
    t->constant.text = lower_dup(p, p->src + tk->off, tk->len);
    t->constant.len = tk->len;
    return t;
}

/* Term.Raw.getText() of a property map entry for messages: '?' for a
 * marker, NULL, 'string', else the source text of tokens [from, to). */
static void entry_text(struct cql_parser *p, const struct cql_term *t, int from, int to, char *out,
                       size_t cap)
{
    if (t->kind == CQL_TERM_BIND) {
        snprintf(out, cap, "?");
    } else if (t->kind == CQL_TERM_CONST && t->constant.kind == CQL_CONST_NULL) {
        snprintf(out, cap, "NULL");
    } else if (t->kind == CQL_TERM_CONST && t->constant.kind == CQL_CONST_STRING) {
        snprintf(out, cap, "'%.*s'", (int)t->constant.len, t->constant.text);
    } else if (to <= from) {
        snprintf(out, cap, "?");
    } else {
        uint32_t b = p->t[from].off, e = p->t[to - 1].off + p->t[to - 1].len;
        snprintf(out, cap, "%.*s", (int)(e - b), p->src + b);
    }
}

static int is_prop_const(const struct cql_term *t)
{
    return t->kind == CQL_TERM_CONST && t->constant.kind != CQL_CONST_NULL;
}

/*
 * The checks of Parser.g's convertPropertyMap, run once the whole map has
 * parsed (like the rule's action): entries in order, keys then values must
 * be constants (Constants.Literal), and a repeated key (raw text) is
 * "Multiple definition for property <key>" -- no quotes, unlike the
 * duplicate property name check.
 */
static int check_prop_map(struct cql_parser *p, const struct cql_property *pr, const int *spans)
{
    for (int i = 0; i < pr->n_entries; i++) {
        const struct cql_term *k = pr->keys[i], *v = pr->values[i];
        const int *sp = spans + 4 * i;
        char ktxt[160], vtxt[160];
        static const char bind_note[] = " (bind variables are not supported in DDL queries)";
        entry_text(p, k, sp[0], sp[1], ktxt, sizeof(ktxt));
        if (!is_prop_const(k))
            return fail_msg(p, "Invalid property name: %s%s", ktxt,
                            k->kind == CQL_TERM_BIND ? bind_note : "");
        if (!is_prop_const(v)) {
            entry_text(p, v, sp[2], sp[3], vtxt, sizeof(vtxt));
            return fail_msg(p, "Invalid property value: %s for property: %s%s", vtxt, ktxt,
                            v->kind == CQL_TERM_BIND ? bind_note : "");
        }
        for (int j = 0; j < i; j++)
            if (pr->keys[j]->constant.len == k->constant.len &&
                memcmp(pr->keys[j]->constant.text, k->constant.text, k->constant.len) == 0)
                return fail_msg(p, "Multiple definition for property %s", k->constant.text);
    }
    return 0;
}

int parse_props(struct cql_parser *p, struct cql_props *out)
{
    int cap = out->n; /* full: the next push reallocates (safe to call again) */
    do {
        const char *name = parse_ident(p);
        if (!name || expect(p, TK_EQ)) return -1;
        struct cql_property *pr = palloc(p, sizeof(*pr));
        if (!pr) return -1;
        pr->name = name;
        if (at(p, TK_LBRACE)) {
            advance(p);
            pr->is_map = true;
            int c1 = 0, c2 = 0, nk = 0, *spans = NULL, cap_sp = 0;
            if (!at(p, TK_RBRACE)) {
                do {
                    int kf = p->pos;
                    struct cql_term *k = parse_term(p), *v;
                    int kt = p->pos;
                    if (!k || expect(p, TK_COLON)) return -1;
                    int vf = p->pos;
                    if (!(v = parse_term(p))) return -1;
                    if (nk == cap_sp) {
                        int nc = cap_sp ? cap_sp * 2 : 8;
                        int *ns = palloc(p, sizeof(int) * 4 * (size_t)nc);
                        if (!ns) return -1;
                        if (nk) memcpy(ns, spans, sizeof(int) * 4 * (size_t)nk);
                        spans = ns;
                        cap_sp = nc;
                    }
                    int *sp = spans + 4 * nk;
                    sp[0] = kf, sp[1] = kt, sp[2] = vf, sp[3] = p->pos;
                    if (PUSH(p, pr->keys, nk, c1, k) || PUSH(p, pr->values, pr->n_entries, c2, v))
                        return -1;
                } while (accept(p, TK_COMMA));
            }
            if (expect(p, TK_RBRACE) || check_prop_map(p, pr, spans)) return -1;
        } else if (is_unreserved_kw(pk(p)->type)) {
            if (!(pr->value = ident_const(p))) return -1;
        } else {
            if (!(pr->value = parse_constant(p))) return -1;
        }
        /* Cassandra checks duplicates when it adds the property, after its value */
        for (int i = 0; i < out->n; i++)
            if (strcmp(out->items[i]->name, name) == 0)
                return fail_msg(p, "Multiple definition for property '%s'", name);
        if (PUSH(p, out->items, out->n, cap, pr)) return -1;
    } while (accept(p, K_AND));
    return p->failed ? -1 : 0;
}

int parse_if_not_exists(struct cql_parser *p)
{
    if (!at(p, K_IF)) return 0;
    advance(p);
    if (expect(p, K_NOT) || expect(p, K_EXISTS)) return -1;
    return 1;
}

int parse_if_exists(struct cql_parser *p)
{
    if (!at(p, K_IF)) return 0;
    advance(p);
    if (expect(p, K_EXISTS)) return -1;
    return 1;
}

/* ------------------------------------------------------------ selectors */

static struct cql_selector *new_sel(struct cql_parser *p, enum cql_sel_kind k)
{
    struct cql_selector *s = palloc(p, sizeof(*s));
    if (s) s->kind = k;
    return s;
}

static struct cql_selector *parse_sel_add(struct cql_parser *p);

static int parse_sel_args(struct cql_parser *p, struct cql_selector ***args, int *n)
{
    int cap = 0;
    if (expect(p, TK_LPAREN)) return -1;
    if (!at(p, TK_RPAREN)) {
        do {
            struct cql_selector *a = parse_sel_add(p);
            if (!a || PUSH(p, *args, *n, cap, a)) return -1;
        } while (accept(p, TK_COMMA));
    }
    return expect(p, TK_RPAREN);
}

/* The column of writetime()/ttl(): COLUMN, with optional .field / [elem] / [a..b]. */
static struct cql_selector *parse_sel_without_field(struct cql_parser *p);

static struct cql_selector *parse_sel_suffixes(struct cql_parser *p, struct cql_selector *s)
{
    while (s && (at(p, TK_DOT) || at(p, TK_LBRACKET))) {
        if (accept(p, TK_DOT)) {
            struct cql_selector *f = new_sel(p, CQL_SEL_FIELD);
            if (!f || !(f->field.name = parse_ident(p))) return NULL;
            f->field.arg = s;
            s = f;
            continue;
        }
        advance(p); /* '[' */
        /* term (RANGE term?)? | RANGE term: "[..]" has no bound */
        struct cql_term *from = NULL, *to = NULL;
        if (!at(p, TK_RANGE) && !(from = parse_term(p))) return NULL;
        if (accept(p, TK_RANGE)) {
            if ((from == NULL || !at(p, TK_RBRACKET)) && !(to = parse_term(p))) return NULL;
            struct cql_selector *sl = new_sel(p, CQL_SEL_SLICE);
            if (!sl) return NULL;
            sl->slice.arg = s;
            sl->slice.from = from;
            sl->slice.to = to;
            s = sl;
        } else {
            if (!from) {
                fail_nva(p);
                return NULL;
            }
            struct cql_selector *el = new_sel(p, CQL_SEL_ELEMENT);
            if (!el) return NULL;
            el->element.arg = s;
            el->element.key = from;
            s = el;
        }
        if (expect(p, TK_RBRACKET)) return NULL;
    }
    return s;
}

static struct cql_selector *parse_sel_without_field(struct cql_parser *p)
{
    const struct cql_tok *tk = pk(p);
    struct cql_selector *s = NULL;
    enum cql_const_kind ck;
    int t = tk->type;
    if (t == K_COUNT && pk_at(p, 1)->type == TK_LPAREN && pk_at(p, 2)->type == TK_STAR) {
        advance(p);
        advance(p);
        advance(p);
        if (expect(p, TK_RPAREN)) return NULL;
        return new_sel(p, CQL_SEL_COUNT_ROWS);
    }
    if ((t == K_WRITETIME || t == K_MAXWRITETIME || t == K_TTL) && pk_at(p, 1)->type == TK_LPAREN) {
        advance(p);
        advance(p);
        s = new_sel(p, t == K_WRITETIME      ? CQL_SEL_WRITETIME
                       : t == K_MAXWRITETIME ? CQL_SEL_MAXWRITETIME
                                             : CQL_SEL_TTL);
        struct cql_selector *col = new_sel(p, CQL_SEL_COLUMN);
        if (!s || !col || !(col->column = parse_ident(p))) return NULL;
        if (!(s->arg = parse_sel_suffixes(p, col)) || expect(p, TK_RPAREN)) return NULL;
        return s;
    }
    if (t == K_CAST && pk_at(p, 1)->type == TK_LPAREN) {
        advance(p);
        advance(p);
        s = new_sel(p, CQL_SEL_CAST);
        if (!s || !(s->cast.arg = parse_sel_add(p)) || expect(p, K_AS)) return NULL;
        if (!native_of(pk(p)->type, &s->cast.type)) {
            fail_nva(p);
            return NULL;
        }
        advance(p);
        if (expect(p, TK_RPAREN)) return NULL;
        return s;
    }
    if (is_function_name_start(p)) {
        s = new_sel(p, CQL_SEL_FUNCTION);
        if (!s || parse_function_name(p, &s->func.name) ||
            parse_sel_args(p, &s->func.args, &s->func.n_args))
            return NULL;
        return s;
    }
    if (const_kind(t, &ck) || t == K_NULL || t == TK_QMARK || t == TK_COLON) {
        s = new_sel(p, CQL_SEL_TERM);
        if (!s) return NULL;
        if (t == K_NULL) {
            advance(p);
            s->term = null_const(p, tk);
        } else if (t == TK_QMARK || t == TK_COLON) {
            s->term = parse_marker(p);
        } else {
            s->term = parse_constant(p);
        }
        return s->term ? s : NULL;
    }
    if (t == TK_LPAREN) {
        /* (selectionTypeHint)=> '(' comparatorType ')' selectionGroupWithoutField,
         * else parentheses/tuple: "(text)" alone selects the column text */
        if (can_start_type(pk_at(p, 1)->type)) {
            struct spec sp;
            spec_save(p, &sp);
            advance(p);
            s = new_sel(p, CQL_SEL_TYPE_HINT);
            if (s && (s->hint.type = parse_type(p)) && !expect(p, TK_RPAREN) &&
                (s->hint.arg = parse_sel_without_field(p)))
                return s;
            if (spec_rollback(p, &sp)) return NULL;
        }
        advance(p);
        s = new_sel(p, CQL_SEL_TUPLE);
        int cap = 0;
        do {
            struct cql_selector *e = parse_sel_add(p);
            if (!e || PUSH(p, s->list.items, s->list.n_items, cap, e)) return NULL;
        } while (accept(p, TK_COMMA));
        if (expect(p, TK_RPAREN)) return NULL;
        return s;
    }
    if (t == TK_LBRACKET) {
        advance(p);
        s = new_sel(p, CQL_SEL_LIST);
        int cap = 0;
        if (!at(p, TK_RBRACKET)) {
            do {
                struct cql_selector *e = parse_sel_add(p);
                if (!e || PUSH(p, s->list.items, s->list.n_items, cap, e)) return NULL;
            } while (accept(p, TK_COMMA));
        }
        if (expect(p, TK_RBRACKET)) return NULL;
        return s;
    }
    if (t == TK_LBRACE) {
        advance(p);
        if (accept(p, TK_RBRACE)) return new_sel(p, CQL_SEL_SET);
        struct cql_selector *first;
        /* UDT literal field names: ident ':' -> keep the name as a COLUMN selector */
        if (!(first = parse_sel_add(p))) return NULL;
        if (accept(p, TK_COLON)) {
            s = new_sel(p, CQL_SEL_MAP);
            int c1 = 0, c2 = 0, nk = 0;
            struct cql_selector *v = parse_sel_add(p);
            if (!s || !v || PUSH(p, s->map.keys, nk, c1, first) ||
                PUSH(p, s->map.values, s->map.n_entries, c2, v))
                return NULL;
            while (accept(p, TK_COMMA)) {
                struct cql_selector *k2 = parse_sel_add(p), *v2;
                if (!k2 || expect(p, TK_COLON) || !(v2 = parse_sel_add(p))) return NULL;
                if (PUSH(p, s->map.keys, nk, c1, k2) ||
                    PUSH(p, s->map.values, s->map.n_entries, c2, v2))
                    return NULL;
            }
        } else {
            s = new_sel(p, CQL_SEL_SET);
            int cap = 0;
            if (!s || PUSH(p, s->list.items, s->list.n_items, cap, first)) return NULL;
            while (accept(p, TK_COMMA)) {
                struct cql_selector *e = parse_sel_add(p);
                if (!e || PUSH(p, s->list.items, s->list.n_items, cap, e)) return NULL;
            }
        }
        if (expect(p, TK_RBRACE)) return NULL;
        return s;
    }
    if (is_ident(p)) {
        s = new_sel(p, CQL_SEL_COLUMN);
        if (!s || !(s->column = parse_ident(p))) return NULL;
        return s;
    }
    fail_nva(p);
    return NULL;
}

static struct cql_selector *parse_sel_group(struct cql_parser *p)
{
    if (enter(p)) return NULL;
    struct cql_selector *s;
    if (accept(p, TK_MINUS)) {
        s = new_sel(p, CQL_SEL_NEGATE);
        if (!s || !(s->arg = parse_sel_group(p))) return NULL;
    } else {
        s = parse_sel_suffixes(p, parse_sel_without_field(p));
    }
    leave(p);
    return p->failed ? NULL : s;
}

static struct cql_selector *parse_sel_mul(struct cql_parser *p)
{
    struct cql_selector *l = parse_sel_group(p);
    while (l && (at(p, TK_STAR) || at(p, TK_SLASH) || at(p, TK_PERCENT))) {
        char op = at(p, TK_STAR) ? '*' : at(p, TK_SLASH) ? '/' : '%';
        advance(p);
        struct cql_selector *r = parse_sel_group(p), *b = new_sel(p, CQL_SEL_BINOP);
        if (!r || !b) return NULL;
        b->binop.op = op;
        b->binop.left = l;
        b->binop.right = r;
        l = b;
    }
    return l;
}

static struct cql_selector *parse_sel_add(struct cql_parser *p)
{
    if (enter(p)) return NULL;
    struct cql_selector *l = parse_sel_mul(p);
    while (l && (at(p, TK_PLUS) || at(p, TK_MINUS))) {
        char op = at(p, TK_PLUS) ? '+' : '-';
        advance(p);
        struct cql_selector *r = parse_sel_mul(p), *b = new_sel(p, CQL_SEL_BINOP);
        if (!r || !b) return NULL;
        b->binop.op = op;
        b->binop.left = l;
        b->binop.right = r;
        l = b;
    }
    leave(p);
    return l;
}

int parse_select_items(struct cql_parser *p, struct cql_select_item ***items, int *n,
                       bool *wildcard)
{
    *wildcard = false;
    if (accept(p, TK_STAR)) {
        *wildcard = true;
        return 0;
    }
    int cap = 0;
    do {
        struct cql_select_item *it = palloc(p, sizeof(*it));
        if (!it) return -1;
        p->bctx = CQL_BIND_SELECTOR;
        p->bowner = it;
        if (!(it->sel = parse_sel_add(p))) return -1;
        if (accept(p, K_AS) && !(it->alias = parse_ident(p))) return -1;
        if (PUSH(p, *items, *n, cap, it)) return -1;
    } while (accept(p, TK_COMMA));
    return p->failed ? -1 : 0;
}

/* ------------------------------------------------------------ WHERE */

static int rel_op(struct cql_parser *p, enum cql_op *op)
{
    switch (pk(p)->type) {
    case TK_EQ: *op = CQL_OP_EQ; break;
    case TK_LT: *op = CQL_OP_LT; break;
    case TK_LTE: *op = CQL_OP_LTE; break;
    case TK_GT: *op = CQL_OP_GT; break;
    case TK_GTE: *op = CQL_OP_GTE; break;
    case TK_NEQ: *op = CQL_OP_NEQ; break;
    default: return 0;
    }
    advance(p);
    return 1;
}

/*
 * After IN. Single column (singleColumnInValues): '(' [term (',' term)*] ')'
 * or an inMarker. Multi-column (multiColumnInValues): '(' ')', an inMarker,
 * '(' tupleLiteral (',' tupleLiteral)* ')' or '(' marker (',' marker)* ')'
 * -- tuples and markers are not mixed.
 */
static int parse_in_values(struct cql_parser *p, struct cql_relation *r)
{
    struct cql_term *m = parse_marker(p);
    if (m) {
        r->value = m;
        r->in_marker = true;
        p->binds[m->bind.index].is_in_list = true;
        return 0;
    }
    if (p->failed || expect(p, TK_LPAREN)) return -1;
    int cap = 0;
    if (at(p, TK_RPAREN)) return expect(p, TK_RPAREN);
    int multi = r->kind == CQL_REL_MULTI;
    int markers = multi && (at(p, TK_QMARK) || at(p, TK_COLON));
    if (multi && !markers && !at(p, TK_LPAREN)) return fail_nva(p);
    do {
        struct cql_term *v;
        if (!multi) {
            v = parse_term(p);
        } else if (markers) {
            v = parse_marker(p);
            if (!v && !p->failed) fail_nva(p);
        } else {
            v = parse_tuple_literal(p);
        }
        if (!v || PUSH(p, r->in_values, r->n_in_values, cap, v)) return -1;
    } while (accept(p, TK_COMMA));
    return expect(p, TK_RPAREN);
}

static int parse_relation(struct cql_parser *p, struct cql_relation ***out, int *n, int *cap);

static int parse_relation(struct cql_parser *p, struct cql_relation ***out, int *n, int *cap)
{
    if (enter(p)) return -1;
    struct cql_relation *r = palloc(p, sizeof(*r));
    if (!r) return -1;
    p->bctx = CQL_BIND_WHERE;
    p->bowner = r;
    int ccap = 0;
    const struct cql_tok *tk = pk(p);
    if (tk->type == TK_EXPR) { /* expr(index, value) */
        advance(p);
        r->kind = CQL_REL_CUSTOM;
        if (!(r->index = parse_ident(p)) || expect(p, TK_COMMA) || !(r->value = parse_term(p)) ||
            expect(p, TK_RPAREN))
            return -1;
    } else if (tk->type == K_TOKEN && pk_at(p, 1)->type == TK_LPAREN) {
        advance(p);
        advance(p);
        r->kind = CQL_REL_TOKEN;
        do {
            const char *c = parse_ident(p);
            if (!c || PUSH(p, r->columns, r->n_columns, ccap, (void *)c)) return -1;
        } while (accept(p, TK_COMMA));
        if (expect(p, TK_RPAREN)) return -1;
        if (!rel_op(p, &r->op)) return fail_nva(p);
        if (!(r->value = parse_term(p))) return -1;
    } else if (tk->type == TK_LPAREN) {
        /* '(' relation ')' or multi-column '(' a, b ')' op ... */
        int k = 1;
        int multi = 0;
        if (pk_at(p, k)->type == TK_IDENT || pk_at(p, k)->type == TK_QUOTED_NAME ||
            is_unreserved_kw(pk_at(p, k)->type))
            multi = pk_at(p, k + 1)->type == TK_COMMA || pk_at(p, k + 1)->type == TK_RPAREN;
        advance(p);
        if (!multi) {
            if (parse_relation(p, out, n, cap) || expect(p, TK_RPAREN)) return -1;
            leave(p);
            return 0;
        }
        r->kind = CQL_REL_MULTI;
        do {
            const char *c = parse_ident(p);
            if (!c || PUSH(p, r->columns, r->n_columns, ccap, (void *)c)) return -1;
        } while (accept(p, TK_COMMA));
        if (expect(p, TK_RPAREN)) return -1;
        if (accept(p, K_IN)) {
            r->op = CQL_OP_IN;
            if (parse_in_values(p, r)) return -1;
        } else {
            /* multiColumnValue: tupleLiteral | marker */
            if (!rel_op(p, &r->op)) return fail_nva(p);
            struct cql_term *m = parse_marker(p);
            if (m)
                r->value = m;
            else if (at(p, TK_LPAREN))
                r->value = parse_tuple_literal(p);
            else
                return fail_nva(p);
            if (!r->value) return -1;
        }
    } else {
        const char *col = parse_ident(p);
        if (!col || PUSH(p, r->columns, r->n_columns, ccap, (void *)col)) return -1;
        r->kind = CQL_REL_SINGLE;
        if (accept(p, TK_LBRACKET)) {
            /* cident '[' term ']' relationType term */
            r->kind = CQL_REL_MAP_ELEMENT;
            if (!(r->key = parse_term(p)) || expect(p, TK_RBRACKET)) return -1;
            if (!rel_op(p, &r->op)) return fail_nva(p);
            if (!(r->value = parse_term(p))) return -1;
        } else if (accept(p, K_IN)) {
            r->op = CQL_OP_IN;
            if (parse_in_values(p, r)) return -1;
        } else if (accept(p, K_CONTAINS)) {
            r->op = accept(p, K_KEY) ? CQL_OP_CONTAINS_KEY : CQL_OP_CONTAINS;
            if (!(r->value = parse_term(p))) return -1;
        } else if (accept(p, K_LIKE)) {
            r->op = CQL_OP_LIKE;
            if (!(r->value = parse_term(p))) return -1;
        } else if (accept(p, K_IS)) {
            r->op = CQL_OP_IS_NOT;
            const struct cql_tok *nt = pk(p);
            if (expect(p, K_NOT) || expect(p, K_NULL)) return -1;
            r->value = null_const(p, nt);
        } else if (rel_op(p, &r->op)) {
            if (!(r->value = parse_term(p))) return -1;
        } else {
            return fail_nva(p);
        }
    }
    if (PUSH(p, *out, *n, *cap, r)) return -1;
    leave(p);
    return p->failed ? -1 : 0;
}

int parse_where(struct cql_parser *p, struct cql_relation ***out, int *n)
{
    int cap = 0;
    do {
        if (parse_relation(p, out, n, &cap)) return -1;
    } while (accept(p, K_AND));
    return 0;
}

/* ------------------------------------------------------------ DML */

static int parse_limit_value(struct cql_parser *p, struct cql_term **out)
{
    struct cql_term *m = parse_marker(p);
    if (m) {
        *out = m;
        return 0;
    }
    if (p->failed) return -1;
    if (!at(p, TK_INTEGER)) return fail_nva(p);
    return (*out = parse_constant(p)) ? 0 : -1;
}

/* selectClause: (K_DISTINCT selectors)=> K_DISTINCT selectors | selectors */
static int parse_select_clause(struct cql_parser *p, struct cql_select *s)
{
    if (at(p, K_DISTINCT)) {
        struct spec sp;
        spec_save(p, &sp);
        advance(p);
        if (parse_select_items(p, &s->selectors, &s->n_selectors, &s->wildcard) == 0) {
            s->distinct = true;
            return 0;
        }
        if (spec_rollback(p, &sp)) return -1;
        s->n_selectors = 0;
    }
    return parse_select_items(p, &s->selectors, &s->n_selectors, &s->wildcard);
}

static int parse_select(struct cql_parser *p, struct cql_stmt *st)
{
    struct cql_select *s = &st->select;
    st->kind = CQL_STMT_SELECT;
    /* (K_JSON selectClause)=> K_JSON: JSON is the modifier when a select
     * clause parses after it, else it is a column ("SELECT json FROM t",
     * "SELECT json, a"; but "SELECT json - a" is SELECT JSON (-a)). */
    if (at(p, K_JSON)) {
        struct spec sp;
        spec_save(p, &sp);
        advance(p);
        if (parse_select_clause(p, s) == 0) {
            s->json = true;
        } else {
            if (spec_rollback(p, &sp)) return -1;
            s->distinct = false;
            s->n_selectors = 0;
            if (parse_select_clause(p, s)) return -1;
        }
    } else if (parse_select_clause(p, s)) {
        return -1;
    }
    if (expect(p, K_FROM) || parse_table_qname(p, &s->table)) return -1;
    if (accept(p, K_WHERE) && parse_where(p, &s->where, &s->n_where)) return -1;
    if (at(p, K_GROUP)) {
        advance(p);
        if (expect(p, K_BY)) return -1;
        int cap = 0;
        do {
            /* the owner is the selector, known once parsed */
            int first = p->n_binds;
            p->bctx = CQL_BIND_GROUP_BY;
            p->bowner = NULL;
            struct cql_selector *g = parse_sel_add(p);
            if (!g || PUSH(p, s->group_by, s->n_group_by, cap, g)) return -1;
            for (int i = first; i < p->n_binds; i++)
                p->binds[i].owner = g;
        } while (accept(p, TK_COMMA));
    }
    if (at(p, K_ORDER)) {
        advance(p);
        if (expect(p, K_BY)) return -1;
        int cap = 0;
        do {
            struct cql_ordering *o = palloc(p, sizeof(*o));
            if (!o || !(o->column = parse_ident(p))) return -1;
            /* cident (K_ANN K_OF term)? (K_ASC | K_DESC)? */
            if (at(p, K_ANN)) {
                advance(p);
                if (expect(p, K_OF)) return -1;
                p->bctx = CQL_BIND_ORDER_ANN;
                p->bowner = o;
                if (!(o->ann = parse_term(p))) return -1;
            }
            if (accept(p, K_DESC))
                o->desc = true;
            else
                accept(p, K_ASC);
            if (PUSH(p, s->order_by, s->n_order_by, cap, o)) return -1;
        } while (accept(p, TK_COMMA));
    }
    if (at(p, K_PER)) {
        advance(p);
        if (expect(p, K_PARTITION) || expect(p, K_LIMIT)) return -1;
        p->bctx = CQL_BIND_PER_PARTITION;
        p->bowner = s;
        if (parse_limit_value(p, &s->per_partition_limit)) return -1;
    }
    if (accept(p, K_LIMIT)) {
        p->bctx = CQL_BIND_LIMIT;
        p->bowner = s;
        if (parse_limit_value(p, &s->limit)) return -1;
    }
    if (at(p, K_ALLOW)) {
        advance(p);
        if (expect(p, K_FILTERING)) return -1;
        s->allow_filtering = true;
    }
    return p->failed ? -1 : 0;
}

/* USING TTL v | TIMESTAMP v (AND ...)*; only TIMESTAMP when ts_only. */
static int parse_using(struct cql_parser *p, struct cql_attrs *a, int ts_only)
{
    if (!accept(p, K_USING)) return 0;
    do {
        if (at(p, K_TIMESTAMP)) {
            advance(p);
            p->bctx = CQL_BIND_TIMESTAMP;
            p->bowner = a;
            if (parse_limit_value(p, &a->timestamp)) return -1;
        } else if (!ts_only && at(p, K_TTL)) {
            advance(p);
            p->bctx = CQL_BIND_TTL;
            p->bowner = a;
            if (parse_limit_value(p, &a->ttl)) return -1;
        } else {
            return fail_nva(p);
        }
    } while (accept(p, K_AND));
    return 0;
}

static int parse_insert(struct cql_parser *p, struct cql_stmt *st)
{
    struct cql_insert *in = &st->insert;
    st->kind = CQL_STMT_INSERT;
    if (expect(p, K_INTO) || parse_table_qname(p, &in->table)) return -1;
    if (accept(p, K_JSON)) {
        in->json = true;
        p->bctx = CQL_BIND_INSERT_JSON;
        p->bowner = in;
        struct cql_term *m = parse_marker(p);
        if (m)
            in->json_value = m;
        else if (at(p, TK_STRING))
            in->json_value = parse_constant(p);
        else
            return fail_nva(p);
        if (!in->json_value) return -1;
        if (accept(p, K_DEFAULT)) {
            if (accept(p, K_UNSET))
                in->default_unset = true;
            else if (expect(p, K_NULL))
                return -1;
        }
    } else {
        int c1 = 0, c2 = 0;
        if (expect(p, TK_LPAREN)) return -1;
        do {
            const char *c = parse_ident(p);
            if (!c || PUSH(p, in->columns, in->n_columns, c1, (void *)c)) return -1;
        } while (accept(p, TK_COMMA));
        if (expect(p, TK_RPAREN) || expect(p, K_VALUES) || expect(p, TK_LPAREN)) return -1;
        do {
            p->bctx = CQL_BIND_INSERT_VALUE;
            p->bowner = in;
            p->bvalue_index = in->n_values;
            struct cql_term *v = parse_term(p);
            if (!v || PUSH(p, in->values, in->n_values, c2, v)) return -1;
        } while (accept(p, TK_COMMA));
        if (expect(p, TK_RPAREN)) return -1;
    }
    int r = parse_if_not_exists(p);
    if (r < 0) return -1;
    in->if_not_exists = r;
    return parse_using(p, &in->attrs, 0);
}

static int parse_conditions(struct cql_parser *p, struct cql_condition ***out, int *n)
{
    int cap = 0;
    do {
        struct cql_condition *c = palloc(p, sizeof(*c));
        if (!c) return -1;
        p->bctx = CQL_BIND_CONDITION;
        p->bowner = c;
        if (!(c->column = parse_ident(p))) return -1;
        c->kind = CQL_COND_SIMPLE;
        if (accept(p, TK_LBRACKET)) {
            c->kind = CQL_COND_ELEMENT;
            if (!(c->element = parse_term(p)) || expect(p, TK_RBRACKET)) return -1;
        } else if (accept(p, TK_DOT)) {
            c->kind = CQL_COND_FIELD;
            if (!(c->field = parse_ident(p))) return -1;
        }
        if (accept(p, K_IN)) {
            c->op = CQL_OP_IN;
            struct cql_term *m = parse_marker(p);
            if (m) {
                c->value = m;
                c->in_marker = true;
                p->binds[m->bind.index].is_in_list = true;
            } else {
                int vc = 0;
                if (p->failed || expect(p, TK_LPAREN)) return -1;
                if (!at(p, TK_RPAREN)) {
                    do {
                        struct cql_term *v = parse_term(p);
                        if (!v || PUSH(p, c->in_values, c->n_in_values, vc, v)) return -1;
                    } while (accept(p, TK_COMMA));
                }
                if (expect(p, TK_RPAREN)) return -1;
            }
        } else if (accept(p, K_CONTAINS)) {
            c->op = accept(p, K_KEY) ? CQL_OP_CONTAINS_KEY : CQL_OP_CONTAINS;
            if (!(c->value = parse_term(p))) return -1;
        } else if (rel_op(p, &c->op)) {
            if (!(c->value = parse_term(p))) return -1;
        } else {
            return fail_nva(p);
        }
        if (PUSH(p, *out, *n, cap, c)) return -1;
    } while (accept(p, K_AND));
    return 0;
}

static int parse_if_clause(struct cql_parser *p, bool *if_exists, struct cql_condition ***conds,
                           int *n)
{
    if (!accept(p, K_IF)) return 0;
    if (accept(p, K_EXISTS)) {
        *if_exists = true;
        return 0;
    }
    return parse_conditions(p, conds, n);
}

static int same_ident(struct cql_parser *p, const char *col)
{
    /* does the current token name column col (as parse_ident would fold it)? */
    const struct cql_tok *t = pk(p);
    if (t->type == TK_QUOTED_NAME)
        return t->text_len == strlen(col) && !memcmp(t->text, col, t->text_len);
    if (t->type == TK_IDENT || is_unreserved_kw(t->type))
        return t->len == strlen(col) && strncasecmp(p->src + t->off, col, t->len) == 0;
    return 0;
}

static int parse_assignment(struct cql_parser *p, struct cql_assignment *a)
{
    p->bctx = CQL_BIND_ASSIGNMENT;
    p->bowner = a;
    if (!(a->column = parse_ident(p))) return -1;
    if (accept(p, TK_LBRACKET)) {
        a->kind = CQL_ASSIGN_SET_ELEMENT;
        if (!(a->key = parse_term(p)) || expect(p, TK_RBRACKET) || expect(p, TK_EQ) ||
            !(a->value = parse_term(p)))
            return -1;
        return 0;
    }
    if (accept(p, TK_DOT)) {
        a->kind = CQL_ASSIGN_SET_FIELD;
        if (!(a->field = parse_ident(p)) || expect(p, TK_EQ) || !(a->value = parse_term(p)))
            return -1;
        return 0;
    }
    if (accept(p, TK_PLUS_EQ)) {
        a->kind = CQL_ASSIGN_ADD;
        return (a->value = parse_term(p)) ? 0 : -1;
    }
    if (accept(p, TK_MINUS_EQ)) {
        a->kind = CQL_ASSIGN_SUBTRACT;
        return (a->value = parse_term(p)) ? 0 : -1;
    }
    if (expect(p, TK_EQ)) return -1;
    /*
     * normalColumnOperation:
     *   term ('+' cident)?        c = v, c = v + c (prepend)
     *   cident ('+' | '-') term   c = c + v, c = c - v
     *   cident INTEGER            c = c -3 (the lexer makes "-3" one INTEGER)
     * A different column on the right is Cassandra's addRecognitionError,
     * raised once the operation has parsed.
     */
    if (is_ident(p) && pk_at(p, 1)->type != TK_LPAREN && pk_at(p, 1)->type != TK_DOT) {
        int same = same_ident(p, a->column);
        advance(p);
        if (at(p, TK_INTEGER)) {
            char sig = p->src[pk(p)->off] == '-' ? '-' : '+';
            a->kind = CQL_ASSIGN_ADD;
            if (!(a->value = parse_constant(p))) return -1;
            if (!same)
                return fail_msg(p, "Only expressions of the form X = X %c <value> are supported.",
                                sig);
            return 0;
        }
        char sig;
        if (accept(p, TK_PLUS)) {
            a->kind = CQL_ASSIGN_ADD;
            sig = '+';
        } else if (accept(p, TK_MINUS)) {
            a->kind = CQL_ASSIGN_SUBTRACT;
            sig = '-';
        } else {
            return fail_nva(p);
        }
        if (!(a->value = parse_term(p))) return -1;
        if (!same)
            return fail_msg(p, "Only expressions of the form X = X %c<value> are supported.", sig);
        return 0;
    }
    if (!(a->value = parse_term_add(p, 1))) return -1;
    a->kind = CQL_ASSIGN_SET;
    if (accept(p, TK_PLUS)) { /* c = v + c */
        if (!is_ident(p)) return fail_nva(p);
        int same = same_ident(p, a->column);
        advance(p);
        a->kind = CQL_ASSIGN_PREPEND;
        if (!same)
            return fail_msg(p, "Only expressions of the form X = <value> + X are supported.");
    }
    return 0;
}

/* Operation.RawUpdate.isCompatibleWith: may `next` follow `prev` on the same
 * column? Setting a whole column excludes anything else; a field may be set
 * once; elements and counter/collection additions combine. */
static int assign_compatible(const struct cql_assignment *prev, const struct cql_assignment *next)
{
    if (prev->kind == CQL_ASSIGN_SET) return 0;
    if (prev->kind == CQL_ASSIGN_SET_FIELD && next->kind == CQL_ASSIGN_SET_FIELD)
        return strcmp(prev->field, next->field) != 0;
    return next->kind != CQL_ASSIGN_SET;
}

static int parse_update(struct cql_parser *p, struct cql_stmt *st)
{
    struct cql_update *u = &st->update;
    st->kind = CQL_STMT_UPDATE;
    if (parse_table_qname(p, &u->table) || parse_using(p, &u->attrs, 0) || expect(p, K_SET))
        return -1;
    int cap = 0;
    do {
        struct cql_assignment *a = palloc(p, sizeof(*a));
        if (!a || parse_assignment(p, a)) return -1;
        for (int i = 0; i < u->n_assignments; i++)
            if (strcmp(u->assignments[i]->column, a->column) == 0 &&
                !assign_compatible(u->assignments[i], a))
                return fail_msg(p, "Multiple incompatible setting of column %s", a->column);
        if (PUSH(p, u->assignments, u->n_assignments, cap, a)) return -1;
    } while (accept(p, TK_COMMA));
    if (expect(p, K_WHERE) || parse_where(p, &u->where, &u->n_where)) return -1;
    return parse_if_clause(p, &u->if_exists, &u->conditions, &u->n_conditions);
}

static int parse_delete(struct cql_parser *p, struct cql_stmt *st)
{
    struct cql_delete *d = &st->delete_;
    st->kind = CQL_STMT_DELETE;
    int cap = 0;
    if (!at(p, K_FROM)) {
        do {
            struct cql_deletion *del = palloc(p, sizeof(*del));
            if (!del) return -1;
            p->bctx = CQL_BIND_DELETION;
            p->bowner = del;
            if (!(del->column = parse_ident(p))) return -1;
            del->kind = CQL_DEL_COLUMN;
            if (accept(p, TK_LBRACKET)) {
                del->kind = CQL_DEL_ELEMENT;
                if (!(del->element = parse_term(p)) || expect(p, TK_RBRACKET)) return -1;
            } else if (accept(p, TK_DOT)) {
                del->kind = CQL_DEL_FIELD;
                if (!(del->field = parse_ident(p))) return -1;
            }
            if (PUSH(p, d->columns, d->n_columns, cap, del)) return -1;
        } while (accept(p, TK_COMMA));
    }
    if (expect(p, K_FROM) || parse_table_qname(p, &d->table) || parse_using(p, &d->attrs, 1) ||
        expect(p, K_WHERE) || parse_where(p, &d->where, &d->n_where))
        return -1;
    return parse_if_clause(p, &d->if_exists, &d->conditions, &d->n_conditions);
}

static int parse_batch(struct cql_parser *p, struct cql_stmt *st)
{
    struct cql_batch *b = &st->batch;
    st->kind = CQL_STMT_BATCH;
    b->type = CQL_BATCH_LOGGED;
    if (accept(p, K_UNLOGGED))
        b->type = CQL_BATCH_UNLOGGED;
    else if (accept(p, K_COUNTER))
        b->type = CQL_BATCH_COUNTER;
    if (expect(p, K_BATCH) || parse_using(p, &b->attrs, 1)) return -1;
    int cap = 0;
    int *first_bind = NULL, cap_fb = 0, n_fb = 0;
    while (!p->failed && !at(p, K_APPLY)) {
        struct cql_stmt *c = palloc(p, sizeof(*c));
        if (!c) return -1;
        p->stmt_index = b->n_stmts;
        int start = p->n_binds;
        if (accept(p, K_INSERT)) {
            if (parse_insert(p, c)) return -1;
        } else if (accept(p, K_UPDATE)) {
            if (parse_update(p, c)) return -1;
        } else if (accept(p, K_DELETE)) {
            if (parse_delete(p, c)) return -1;
        } else {
            return fail_nva(p);
        }
        c->n_binds = p->n_binds - start;
        if (PUSH(p, b->stmts, b->n_stmts, cap, c)) return -1;
        if (n_fb == cap_fb) {
            int nc = cap_fb ? cap_fb * 2 : 8;
            int *nf = arena_alloc(p->a, sizeof(int) * (size_t)nc);
            if (!nf) {
                p->failed = -2;
                return -1;
            }
            if (n_fb) memcpy(nf, first_bind, sizeof(int) * (size_t)n_fb);
            first_bind = nf;
            cap_fb = nc;
        }
        first_bind[n_fb++] = start;
        accept(p, TK_SEMI);
    }
    if (expect(p, K_APPLY) || expect(p, K_BATCH)) return -1;
    p->stmt_index = -1;
    /* children's binds point into the final array (it may have moved) */
    for (int i = 0; i < b->n_stmts; i++)
        b->stmts[i]->binds = b->stmts[i]->n_binds ? &p->binds[first_bind[i]] : NULL;
    return 0;
}

/* ------------------------------------------------------------ keyspaces */

static const char *parse_ks_name(struct cql_parser *p)
{
    if (at(p, TK_QMARK)) {
        fail_msg(p, "Bind variables cannot be used for keyspace names");
        return NULL;
    }
    return parse_ident(p);
}

static int parse_keyspace_stmt(struct cql_parser *p, struct cql_stmt *st, int verb)
{
    int r;
    if (verb == K_CREATE) {
        st->kind = CQL_STMT_CREATE_KEYSPACE;
        if ((r = parse_if_not_exists(p)) < 0) return -1;
        st->create_keyspace.if_not_exists = r;
        if (!(st->create_keyspace.name = parse_ks_name(p)) || expect(p, K_WITH)) return -1;
        return parse_props(p, &st->create_keyspace.props);
    }
    if (verb == K_ALTER) {
        st->kind = CQL_STMT_ALTER_KEYSPACE;
        if ((r = parse_if_exists(p)) < 0) return -1;
        st->alter_keyspace.if_exists = r;
        if (!(st->alter_keyspace.name = parse_ks_name(p)) || expect(p, K_WITH)) return -1;
        return parse_props(p, &st->alter_keyspace.props);
    }
    st->kind = CQL_STMT_DROP_KEYSPACE;
    if ((r = parse_if_exists(p)) < 0) return -1;
    st->drop.if_exists = r;
    return (st->drop.name.name = parse_ks_name(p)) ? 0 : -1;
}

/* ------------------------------------------------------------ statements */

static int parse_statement(struct cql_parser *p, struct cql_stmt *st)
{
    const struct cql_tok *tk = pk(p);
    switch (tk->type) {
    case K_SELECT: advance(p); return parse_select(p, st);
    case K_INSERT: advance(p); return parse_insert(p, st);
    case K_UPDATE: advance(p); return parse_update(p, st);
    case K_DELETE: advance(p); return parse_delete(p, st);
    case K_BEGIN: advance(p); return parse_batch(p, st);
    case K_USE:
        advance(p);
        st->kind = CQL_STMT_USE;
        return (st->drop.name.name = parse_ks_name(p)) ? 0 : -1;
    case K_TRUNCATE:
        advance(p);
        st->kind = CQL_STMT_TRUNCATE;
        accept(p, K_COLUMNFAMILY);
        return parse_table_qname(p, &st->drop.name);
    case K_CREATE:
    case K_ALTER:
    case K_DROP:
        advance(p);
        if (accept(p, K_KEYSPACE)) return parse_keyspace_stmt(p, st, tk->type);
        return tk->type == K_CREATE  ? ddl_parse_create(p, st)
               : tk->type == K_ALTER ? ddl_parse_alter(p, st)
                                     : ddl_parse_drop(p, st);
    case K_GRANT:
    case K_REVOKE: advance(p); return ddl_parse_grant_revoke(p, st, tk->type);
    case K_ADD: advance(p); return ddl_parse_add_identity(p, st);
    case K_DESCRIBE:
    case K_DESC: advance(p); return ddl_parse_describe(p, st);
    default:
        if (tk->type == TK_IDENT && tk->len == 4 && strncasecmp(p->src + tk->off, "list", 4) == 0) {
            advance(p);
            return ddl_parse_list(p, st);
        }
        if (tk->type == K_LIST) {
            advance(p);
            return ddl_parse_list(p, st);
        }
        return fail_nva(p);
    }
}

int cql_parse(const char *q, size_t len, arena *a, struct cql_stmt **out, cql_parse_error *err)
{
    cql_parse_error scratch; /* err may be NULL */
    if (!err) err = &scratch;
    memset(err, 0, sizeof(*err));
    *out = NULL;
    struct cql_lex_result lr;
    if (cql_lex(q, len, a, &lr) == -2) return -2;
    struct cql_parser p = {.src = q, .len = len, .a = a, .err = err, .stmt_index = -1};
    p.t = arena_alloc(a, sizeof(*p.t) * (size_t)lr.n_toks);
    if (!p.t) return -2;
    for (int i = 0; i < lr.n_toks; i++)
        if (!lr.toks[i].hidden) p.t[p.n++] = lr.toks[i];
    if (lr.has_err) {
        err->line = lr.err_line;
        err->col = lr.err_col;
        snprintf(err->msg, sizeof(err->msg), "line %d:%d %s", lr.err_line, lr.err_col, lr.err_msg);
        utf8_sanitize(err->msg, sizeof(err->msg));
        return -1;
    }
    struct cql_stmt *st = palloc(&p, sizeof(*st));
    if (!st) return -2;
    if (at(&p, TK_EOF) || at(&p, TK_SEMI)) {
        fail_nva(&p);
    } else if (parse_statement(&p, st) == 0 && !p.failed) {
        while (accept(&p, TK_SEMI)) /* query: cqlStatement (';')* EOF */
            ;
        if (!at(&p, TK_EOF) && !p.failed) {
            char tt[128];
            tok_text(&p, pk(&p), tt, sizeof(tt));
            fail_at(&p, pk(&p), "mismatched input '%s' expecting EOF", tt);
        }
    }
    if (p.failed == -2) return -2;
    if (p.failed) {
        if (!err->msg[0]) snprintf(err->msg, sizeof(err->msg), "line 1:0 syntax error");
        return -1;
    }
    st->binds = p.binds;
    st->n_binds = p.n_binds;
    *out = st;
    return 0;
}
