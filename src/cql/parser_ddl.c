/*
 * parser_ddl.c -- the schema, auth and DESCRIBE statements of the CQL parser
 * (Cassandra 5.0's Parser.g, facts not code): CREATE/ALTER/DROP of tables,
 * indexes, types, materialized views, functions, aggregates, triggers,
 * roles and users; GRANT/REVOKE/LIST; ADD/DROP IDENTITY; DESCRIBE.
 * Token access, errors, names, types, terms and properties come from the
 * core (parser.c, see parser_int.h); this file only builds the DDL nodes of
 * ast.h.
 *
 * Invariants:
 *  (1) every function returns 0 / non-NULL on success and -1 / NULL after
 *      setting p->failed (first error wins, see parser.c);
 *  (2) where Parser.g decides between alternatives by looking ahead (an
 *      unreserved keyword that may also be a name: `GRANT all TO r`,
 *      `ON role TO r`, `DROP compact`, `DESCRIBE type`), the same lookahead
 *      is done here with pk_at(), so both readings parse as in Cassandra;
 *  (3) the messages Cassandra produces outside ANTLR (addRecognitionError,
 *      SyntaxException thrown from a grammar action) are raised with
 *      fail_msg() at the point of the grammar where Cassandra raises them;
 *      ANTLR's own errors use expect() ("mismatched input") and fail_nva()
 *      ("no viable alternative").
 */
#include "cql/parser_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PUSH(arr, n, cap, item) plist_push(p, (void ***)&(arr), &(n), &(cap), (void *)(item))

/* ------------------------------------------------------------ small helpers */

static void skip(struct cql_parser *p)
{
    if (!p->failed && pk(p)->type != TK_EOF) p->pos++;
}

static int kw_unreserved(int type)
{
    int f = cql_kw_flags(type);
    return f && !(f & CQL_KW_R);
}

/* Token can start Parser.g's `ident` (IDENT, QUOTED_NAME, unreserved keyword). */
static int tok_identish(const struct cql_tok *t)
{
    return t->type == TK_IDENT || t->type == TK_QUOTED_NAME || kw_unreserved(t->type);
}

/* Token text equals the word w (case-insensitive), whatever its type: used
 * for words the lexer folds into another keyword ("schema" is K_KEYSPACE). */
static int tok_is_word(struct cql_parser *p, const struct cql_tok *t, const char *w)
{
    size_t n = strlen(w);
    return t->type != TK_EOF && t->len == n && strncasecmp(p->src + t->off, w, n) == 0;
}

static char *dup_lower(struct cql_parser *p, const char *s, size_t n)
{
    char *r = pstrdup(p, s, n);
    if (r)
        for (size_t i = 0; i < n; i++)
            if (r[i] >= 'A' && r[i] <= 'Z') r[i] = (char)(r[i] - 'A' + 'a');
    return r;
}

static char *tok_dup(struct cql_parser *p, const struct cql_tok *t)
{
    return pstrdup(p, t->text, t->text_len);
}

/* A STRING_LITERAL's unescaped text, or "mismatched input" at the token. */
static const char *parse_string(struct cql_parser *p, size_t *len)
{
    const struct cql_tok *t = pk(p);
    if (expect(p, TK_STRING)) return NULL;
    if (len) *len = t->text_len;
    return tok_dup(p, t);
}

/* Terms of DDL statements (INITCOND, mask arguments, OPTIONS maps). */
static struct cql_term *ddl_term(struct cql_parser *p)
{
    p->bctx = CQL_BIND_OTHER;
    p->bowner = NULL;
    p->bvalue_index = -1;
    return parse_term(p);
}

/* ------------------------------------------------------------ names */

/* Parser.g's ksName / cfName / idxName: an ident, or a '?' that gets
 * "Bind variables cannot be used for <what> names". */
static const char *name_or_bind(struct cql_parser *p, const char *what)
{
    if (at(p, TK_QMARK)) {
        fail_msg(p, "Bind variables cannot be used for %s names", what);
        return NULL;
    }
    if (at(p, TK_COLON)) { /* ':x' is no name at all */
        fail_nva(p);
        return NULL;
    }
    return parse_ident(p);
}

static const char *parse_ks(struct cql_parser *p)
{
    return name_or_bind(p, "keyspace");
}

/* (ksName '.')? <what>Name -- columnFamilyName ("table") and indexName ("index"). */
static int parse_qualified(struct cql_parser *p, struct cql_qname *q, const char *what)
{
    q->ks = NULL;
    const struct cql_tok *t = pk(p);
    if ((tok_identish(t) || t->type == TK_QMARK) && pk_at(p, 1)->type == TK_DOT) {
        if (!(q->ks = parse_ks(p)) || expect(p, TK_DOT)) return -1;
    }
    q->name = name_or_bind(p, what);
    return q->name ? 0 : -1;
}

static int parse_cf(struct cql_parser *p, struct cql_qname *q)
{
    return parse_qualified(p, q, "table");
}

/* cident: an ident or the empty quoted name "" (legacy super columns). */
static const char *parse_cident(struct cql_parser *p)
{
    if (at(p, TK_EMPTY_QUOTED_NAME)) {
        skip(p);
        return "";
    }
    return parse_ident(p);
}

/* userOrRoleName / roleName: IDENT, 'string', "quoted", unreserved keyword. */
static const char *parse_role(struct cql_parser *p)
{
    if (at(p, TK_QMARK)) {
        fail_msg(p, "Bind variables cannot be used for role names");
        return NULL;
    }
    if (at(p, TK_COLON)) {
        fail_nva(p);
        return NULL;
    }
    return parse_role_name(p);
}

/* username (legacy USER statements) and identity: IDENT or 'string', case
 * kept; a "quoted name" is an error with Cassandra's message. */
static const char *parse_user_like(struct cql_parser *p, const char *quoted_msg)
{
    const struct cql_tok *t = pk(p);
    if (t->type == TK_IDENT || t->type == TK_STRING) {
        skip(p);
        return tok_dup(p, t);
    }
    if (t->type == TK_QUOTED_NAME) {
        fail_msg(p, "%s", quoted_msg);
        return NULL;
    }
    fail_nva(p);
    return NULL;
}

static const char *parse_username(struct cql_parser *p)
{
    return parse_user_like(p, "Quoted strings are are not supported for user names and USER is "
                              "deprecated, please use ROLE");
}

static const char *parse_identity(struct cql_parser *p)
{
    return parse_user_like(p, "Quoted strings are are not supported for identity");
}

/* allowedFunctionName: IDENT (lower-cased), QUOTED_NAME, basic unreserved
 * keyword (its text as written, as Cassandra does), native type name,
 * TOKEN, COUNT. */
static int is_fname_tok(const struct cql_tok *t)
{
    int f = cql_kw_flags(t->type);
    return t->type == TK_IDENT || t->type == TK_QUOTED_NAME || (f & (CQL_KW_B | CQL_KW_N)) ||
           t->type == K_TOKEN || t->type == K_COUNT;
}

static const char *parse_fname(struct cql_parser *p)
{
    const struct cql_tok *t = pk(p);
    if (p->failed) return NULL;
    if (!is_fname_tok(t)) {
        fail_nva(p);
        return NULL;
    }
    skip(p);
    if (t->type == TK_IDENT) return dup_lower(p, t->text, t->text_len);
    if (t->type == TK_QUOTED_NAME) return tok_dup(p, t);
    if (cql_kw_flags(t->type) & CQL_KW_B) return pstrdup(p, p->src + t->off, t->len);
    return cql_kw_text(t->type); /* native type, token, count: lower-case spelling */
}

/* functionName: (keyspaceName '.')? allowedFunctionName */
static int parse_func_qname(struct cql_parser *p, struct cql_qname *q)
{
    q->ks = NULL;
    const struct cql_tok *t = pk(p);
    if ((tok_identish(t) || t->type == TK_QMARK) && pk_at(p, 1)->type == TK_DOT) {
        if (!(q->ks = parse_ks(p)) || expect(p, TK_DOT)) return -1;
    }
    q->name = parse_fname(p);
    return q->name ? 0 : -1;
}

static int is_func_qname_start(struct cql_parser *p, int k)
{
    const struct cql_tok *t = pk_at(p, k);
    return is_fname_tok(t) || tok_identish(t) || t->type == TK_QMARK;
}

/* userTypeName: (noncol_ident '.')? non_type_ident, where non_type_ident is
 * IDENT (not a reserved type name), QUOTED_NAME, basic unreserved keyword
 * or KEY. */
static int parse_ut_qname(struct cql_parser *p, struct cql_qname *q)
{
    static const char *const reserved[] = {"byte",     "complex", "enum",     "date",
                                           "interval", "macaddr", "bitstring"};
    q->ks = NULL;
    if (tok_identish(pk(p)) && pk_at(p, 1)->type == TK_DOT) {
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

/* '(' [type (',' type)*] ')' */
static int parse_type_list(struct cql_parser *p, struct cql_type ***out, int *n)
{
    int cap = 0;
    if (expect(p, TK_LPAREN)) return -1;
    if (!at(p, TK_RPAREN)) {
        do {
            struct cql_type *ty = parse_type(p);
            if (!ty || PUSH(*out, *n, cap, ty)) return -1;
        } while (accept(p, TK_COMMA));
    }
    return expect(p, TK_RPAREN);
}

/* ------------------------------------------------------------ properties */

/*
 * The WITH clause of CREATE TABLE / CREATE MATERIALIZED VIEW mixes plain
 * properties with CLUSTERING ORDER BY (...) and COMPACT STORAGE, all joined
 * by AND. Runs of plain properties go to the core's parse_props(); to stop
 * it at the AND that introduces one of the special clauses, that AND is
 * hidden from it for the call (its type is changed, its text is not, so an
 * error there still shows 'AND'). Duplicates across runs are checked here,
 * with PropertyDefinitions.addProperty's message (a plain recognition
 * error, raised once the duplicate's value is parsed).
 */
static int is_special_prop(struct cql_parser *p, int i)
{
    int a = p->t[i].type, b = i + 1 < p->n ? p->t[i + 1].type : TK_EOF;
    return (a == K_CLUSTERING && b == K_ORDER) || (a == K_COMPACT && b == K_STORAGE);
}

static int parse_prop_run(struct cql_parser *p, struct cql_props *all, int *cap)
{
    int split = -1;
    for (int i = p->pos; i + 1 < p->n && p->t[i].type != TK_EOF; i++)
        if (p->t[i].type == K_AND && is_special_prop(p, i + 1)) {
            split = i;
            break;
        }
    struct cql_props run = {0};
    int r;
    if (split >= 0) {
        uint16_t saved = p->t[split].type;
        p->t[split].type = TK_SEMI;
        r = parse_props(p, &run);
        p->t[split].type = saved;
    } else {
        r = parse_props(p, &run);
    }
    if (r || p->failed) return -1;
    for (int i = 0; i < run.n; i++) {
        for (int j = 0; j < all->n; j++)
            if (strcmp(all->items[j]->name, run.items[i]->name) == 0)
                return fail_msg(p, "Multiple definition for property '%s'", run.items[i]->name);
        if (PUSH(all->items, all->n, *cap, run.items[i])) return -1;
    }
    return 0;
}

/* CLUSTERING ORDER BY '(' ident (ASC | DESC) (',' ...)* ')' -- after BY */
static int parse_clustering_order(struct cql_parser *p, struct cql_clustering_order ***out, int *n,
                                  int *cap)
{
    if (expect(p, TK_LPAREN)) return -1;
    do {
        struct cql_clustering_order *o = palloc(p, sizeof(*o));
        if (!o || !(o->column = parse_ident(p))) return -1;
        if (accept(p, K_DESC))
            o->desc = true;
        else if (!accept(p, K_ASC))
            return fail_nva(p);
        if (PUSH(*out, *n, *cap, o)) return -1;
    } while (accept(p, TK_COMMA));
    return expect(p, TK_RPAREN);
}

/* tableProperty / viewProperty (AND ...)* -- after WITH. compact is NULL for
 * views, where COMPACT STORAGE is refused. */
static int parse_table_props(struct cql_parser *p, struct cql_props *props, bool *compact,
                             struct cql_clustering_order ***order, int *n_order)
{
    int pcap = 0, ocap = 0;
    do {
        if (at(p, K_COMPACT) && pk_at(p, 1)->type == K_STORAGE) {
            skip(p);
            skip(p);
            if (!compact)
                return fail_msg(p,
                                "COMPACT STORAGE tables are not allowed starting with version 4.0");
            *compact = true;
        } else if (at(p, K_CLUSTERING) && pk_at(p, 1)->type == K_ORDER) {
            skip(p);
            skip(p);
            if (expect(p, K_BY) || parse_clustering_order(p, order, n_order, &ocap)) return -1;
        } else if (parse_prop_run(p, props, &pcap)) {
            return -1;
        }
    } while (accept(p, K_AND));
    return p->failed ? -1 : 0;
}

/* fullMapLiteral for role OPTIONS, checked like Cassandra's
 * convertPropertyMap (constants only, no duplicate keys). */
static int term_text(struct cql_parser *p, const struct cql_term *t, int from, int to, char *out,
                     size_t cap)
{
    if (t->kind == CQL_TERM_BIND) return snprintf(out, cap, "?");
    if (t->kind == CQL_TERM_CONST && t->constant.kind == CQL_CONST_NULL)
        return snprintf(out, cap, "NULL");
    if (t->kind == CQL_TERM_CONST && t->constant.kind == CQL_CONST_STRING) {
        size_t o = 0;
        if (cap < 3) return 0;
        out[o++] = '\'';
        for (size_t i = 0; i < t->constant.len && o + 3 < cap; i++) {
            if (t->constant.text[i] == '\'') out[o++] = '\'';
            out[o++] = t->constant.text[i];
        }
        out[o++] = '\'';
        out[o] = 0;
        return (int)o;
    }
    const struct cql_tok *a = &p->t[from], *b = &p->t[to - 1];
    return snprintf(out, cap, "%.*s", (int)(b->off + b->len - a->off), p->src + a->off);
}

static int is_literal(const struct cql_term *t)
{
    return t->kind == CQL_TERM_CONST && t->constant.kind != CQL_CONST_NULL;
}

static int parse_options_map(struct cql_parser *p, struct cql_role_options *o)
{
    int kcap = 0, vcap = 0, nk = 0;
    int bad = -1; /* first invalid entry */
    int kfrom = 0, kto = 0, vfrom = 0, vto = 0;
    if (expect(p, TK_LBRACE)) return -1;
    if (!at(p, TK_RBRACE)) {
        do {
            int f1 = p->pos;
            struct cql_term *k = ddl_term(p), *v;
            int t1 = p->pos;
            if (!k || expect(p, TK_COLON)) return -1;
            int f2 = p->pos;
            if (!(v = ddl_term(p))) return -1;
            if (bad < 0 && (!is_literal(k) || !is_literal(v))) {
                bad = nk;
                kfrom = f1;
                kto = t1;
                vfrom = f2;
                vto = p->pos;
            }
            if (PUSH(o->option_keys, nk, kcap, k) || PUSH(o->option_values, o->n_options, vcap, v))
                return -1;
        } while (accept(p, TK_COMMA));
    }
    if (expect(p, TK_RBRACE)) return -1;
    o->has_options = true;
    for (int i = 0; i < o->n_options; i++) {
        struct cql_term *k = o->option_keys[i], *v = o->option_values[i];
        char kt[160], vt[160];
        if (i == bad) {
            term_text(p, k, kfrom, kto, kt, sizeof(kt));
            if (!is_literal(k))
                return fail_msg(p, "Invalid property name: %s%s", kt,
                                k->kind == CQL_TERM_BIND
                                    ? " (bind variables are not supported in DDL queries)"
                                    : "");
            term_text(p, v, vfrom, vto, vt, sizeof(vt));
            return fail_msg(p, "Invalid property value: %s for property: %s%s", vt, kt,
                            v->kind == CQL_TERM_BIND
                                ? " (bind variables are not supported in DDL queries)"
                                : "");
        }
        for (int j = 0; j < i; j++)
            if (o->option_keys[j]->constant.len == k->constant.len &&
                !memcmp(o->option_keys[j]->constant.text, k->constant.text, k->constant.len))
                return fail_msg(p, "Multiple definition for property %.*s", (int)k->constant.len,
                                k->constant.text);
    }
    return 0;
}

/* ------------------------------------------------------------ columns, masks */

/* columnMask: MASKED WITH DEFAULT | MASKED WITH functionName '(' [term, ...] ')' */
static struct cql_mask *parse_mask(struct cql_parser *p)
{
    struct cql_mask *m = palloc(p, sizeof(*m));
    int cap = 0;
    if (!m || expect(p, K_MASKED) || expect(p, K_WITH)) return NULL;
    int n1 = pk_at(p, 1)->type;
    if (at(p, K_DEFAULT) && n1 != TK_LPAREN && n1 != TK_DOT) {
        skip(p);
        m->is_default = true;
        m->func.name = "mask_default";
        return m;
    }
    if (parse_func_qname(p, &m->func) || expect(p, TK_LPAREN)) return NULL;
    if (!at(p, TK_RPAREN)) {
        do {
            struct cql_term *t = ddl_term(p);
            if (!t || PUSH(m->args, m->n_args, cap, t)) return NULL;
        } while (accept(p, TK_COMMA));
    }
    return expect(p, TK_RPAREN) ? NULL : m;
}

/* ident comparatorType [STATIC] [columnMask] */
static struct cql_column_def *parse_column_def(struct cql_parser *p)
{
    struct cql_column_def *c = palloc(p, sizeof(*c));
    if (!c || !(c->name = parse_ident(p)) || !(c->type = parse_type(p))) return NULL;
    if (accept(p, K_STATIC)) c->is_static = true;
    if (at(p, K_MASKED) && !(c->mask = parse_mask(p))) return NULL;
    return c;
}

/* '(' (ident | '(' ident, ... ')') (',' ident)* ')' -- after PRIMARY KEY.
 * Only the first declaration is kept; the executor rejects more than one. */
static int parse_pk_decl(struct cql_parser *p, const char ***pkey, int *n_pk, const char ***ck,
                         int *n_ck, int keep)
{
    const char **pks = NULL, **cks = NULL;
    int npk = 0, nck = 0, c1 = 0, c2 = 0;
    if (expect(p, TK_LPAREN)) return -1;
    if (accept(p, TK_LPAREN)) {
        do {
            const char *s = parse_ident(p);
            if (!s || PUSH(pks, npk, c1, s)) return -1;
        } while (accept(p, TK_COMMA));
        if (expect(p, TK_RPAREN)) return -1;
    } else {
        const char *s = parse_ident(p);
        if (!s || PUSH(pks, npk, c1, s)) return -1;
    }
    while (accept(p, TK_COMMA)) {
        const char *s = parse_ident(p);
        if (!s || PUSH(cks, nck, c2, s)) return -1;
    }
    if (expect(p, TK_RPAREN)) return -1;
    if (keep) {
        *pkey = pks;
        *n_pk = npk;
        *ck = cks;
        *n_ck = nck;
    }
    return 0;
}

/* ------------------------------------------------------------ CREATE */

static int create_table(struct cql_parser *p, struct cql_stmt *st)
{
    struct cql_create_table *ct = &st->create_table;
    int r, ccap = 0;
    st->kind = CQL_STMT_CREATE_TABLE;
    if ((r = parse_if_not_exists(p)) < 0 || parse_cf(p, &ct->name)) return -1;
    ct->if_not_exists = r;
    if (expect(p, TK_LPAREN)) return -1;
    int first = 1;
    do {
        /* '(' tableColumns (',' tableColumns?)* ')' */
        if (!first && !is_ident(p) && !at(p, K_PRIMARY)) continue;
        first = 0;
        if (at(p, K_PRIMARY)) {
            skip(p);
            if (expect(p, K_KEY) ||
                parse_pk_decl(p, &ct->partition_key, &ct->n_partition_key, &ct->clustering,
                              &ct->n_clustering, ct->n_primary_key_decls == 0))
                return -1;
            ct->n_primary_key_decls++;
            continue;
        }
        struct cql_column_def *c = parse_column_def(p);
        if (!c || PUSH(ct->columns, ct->n_columns, ccap, c)) return -1;
        if (at(p, K_PRIMARY)) {
            skip(p);
            if (expect(p, K_KEY)) return -1;
            if (ct->n_primary_key_decls++ == 0) {
                const char **pks = palloc(p, sizeof(*pks));
                if (!pks) return -1;
                pks[0] = c->name;
                ct->partition_key = pks;
                ct->n_partition_key = 1;
            }
        }
    } while (accept(p, TK_COMMA));
    if (expect(p, TK_RPAREN)) return -1;
    if (accept(p, K_WITH))
        return parse_table_props(p, &ct->props, &ct->compact_storage, &ct->clustering_order,
                                 &ct->n_clustering_order);
    return p->failed ? -1 : 0;
}

static int index_target(struct cql_parser *p, struct cql_index_target *t)
{
    int ty = pk(p)->type;
    int fn = pk_at(p, 1)->type == TK_LPAREN;
    t->kind = CQL_INDEX_SIMPLE;
    if (ty == K_ENTRIES || ty == K_FULL || ((ty == K_VALUES || ty == K_KEYS) && fn)) {
        t->kind = ty == K_ENTRIES  ? CQL_INDEX_ENTRIES
                  : ty == K_FULL   ? CQL_INDEX_FULL
                  : ty == K_VALUES ? CQL_INDEX_VALUES
                                   : CQL_INDEX_KEYS;
        skip(p);
        if (expect(p, TK_LPAREN) || !(t->column = parse_cident(p))) return -1;
        return expect(p, TK_RPAREN);
    }
    return (t->column = parse_cident(p)) ? 0 : -1;
}

static int create_index(struct cql_parser *p, struct cql_stmt *st, bool custom)
{
    struct cql_create_index *ci = &st->create_index;
    int r, cap = 0;
    st->kind = CQL_STMT_CREATE_INDEX;
    ci->custom = custom;
    if ((r = parse_if_not_exists(p)) < 0) return -1;
    ci->if_not_exists = r;
    if ((is_ident(p) || at(p, TK_QMARK)) && !(ci->name = name_or_bind(p, "index"))) return -1;
    if (expect(p, K_ON) || parse_cf(p, &ci->table) || expect(p, TK_LPAREN)) return -1;
    int ty = pk(p)->type;
    if (is_ident(p) || ty == TK_EMPTY_QUOTED_NAME || ty == K_ENTRIES || ty == K_FULL) {
        do {
            struct cql_index_target *t = palloc(p, sizeof(*t));
            if (!t || index_target(p, t) || PUSH(ci->targets, ci->n_targets, cap, t)) return -1;
        } while (accept(p, TK_COMMA));
    }
    if (expect(p, TK_RPAREN)) return -1;
    if (accept(p, K_USING) && !(ci->using_class = parse_string(p, NULL))) return -1;
    if (accept(p, K_WITH)) return parse_props(p, &ci->props);
    return p->failed ? -1 : 0;
}

static int create_type(struct cql_parser *p, struct cql_stmt *st)
{
    struct cql_create_type *ct = &st->create_type;
    int r, cap = 0, first = 1;
    st->kind = CQL_STMT_CREATE_TYPE;
    if ((r = parse_if_not_exists(p)) < 0 || parse_ut_qname(p, &ct->name)) return -1;
    ct->if_not_exists = r;
    if (expect(p, TK_LPAREN)) return -1;
    do {
        if (!first && !is_ident(p)) continue; /* ( ',' typeColumns? )* */
        first = 0;
        struct cql_field_def *f = palloc(p, sizeof(*f));
        if (!f || !(f->name = parse_ident(p)) || !(f->type = parse_type(p)) ||
            PUSH(ct->fields, ct->n_fields, cap, f))
            return -1;
    } while (accept(p, TK_COMMA));
    return expect(p, TK_RPAREN);
}

static int create_view(struct cql_parser *p, struct cql_stmt *st)
{
    struct cql_create_view *cv = &st->create_view;
    int r;
    st->kind = CQL_STMT_CREATE_VIEW;
    if (expect(p, K_VIEW) || (r = parse_if_not_exists(p)) < 0 || parse_cf(p, &cv->name)) return -1;
    cv->if_not_exists = r;
    if (expect(p, K_AS) || expect(p, K_SELECT) ||
        parse_select_items(p, &cv->selectors, &cv->n_selectors, &cv->wildcard) ||
        expect(p, K_FROM) || parse_cf(p, &cv->base))
        return -1;
    if (accept(p, K_WHERE) && parse_where(p, &cv->where, &cv->n_where)) return -1;
    if (expect(p, K_PRIMARY) || expect(p, K_KEY) ||
        parse_pk_decl(p, &cv->partition_key, &cv->n_partition_key, &cv->clustering,
                      &cv->n_clustering, 1))
        return -1;
    if (accept(p, K_WITH))
        return parse_table_props(p, &cv->props, NULL, &cv->clustering_order,
                                 &cv->n_clustering_order);
    return p->failed ? -1 : 0;
}

static int create_function(struct cql_parser *p, struct cql_stmt *st, bool or_replace)
{
    struct cql_create_function *cf = &st->create_function;
    int r, c1 = 0, c2 = 0, n_names = 0;
    st->kind = CQL_STMT_CREATE_FUNCTION;
    cf->or_replace = or_replace;
    if ((r = parse_if_not_exists(p)) < 0 || parse_func_qname(p, &cf->name)) return -1;
    cf->if_not_exists = r;
    if (expect(p, TK_LPAREN)) return -1;
    if (is_ident(p)) {
        do {
            const char *nm = parse_ident(p);
            struct cql_type *ty = nm ? parse_type(p) : NULL;
            if (!ty || PUSH(cf->arg_names, n_names, c1, nm) ||
                PUSH(cf->arg_types, cf->n_args, c2, ty))
                return -1;
        } while (accept(p, TK_COMMA));
    }
    if (expect(p, TK_RPAREN)) return -1;
    if (accept(p, K_RETURNS)) {
        if (expect(p, K_NULL)) return -1;
    } else if (accept(p, K_CALLED)) {
        cf->called_on_null_input = true;
    } else {
        return fail_nva(p);
    }
    if (expect(p, K_ON) || expect(p, K_NULL) || expect(p, K_INPUT) || expect(p, K_RETURNS) ||
        !(cf->return_type = parse_type(p)) || expect(p, K_LANGUAGE))
        return -1;
    const struct cql_tok *lang = pk(p);
    if (expect(p, TK_IDENT) || !(cf->language = dup_lower(p, lang->text, lang->text_len)))
        return -1;
    if (expect(p, K_AS) || !(cf->body = parse_string(p, &cf->body_len))) return -1;
    return 0;
}

static int create_aggregate(struct cql_parser *p, struct cql_stmt *st, bool or_replace)
{
    struct cql_create_aggregate *ca = &st->create_aggregate;
    int r;
    st->kind = CQL_STMT_CREATE_AGGREGATE;
    ca->or_replace = or_replace;
    if ((r = parse_if_not_exists(p)) < 0 || parse_func_qname(p, &ca->name) ||
        parse_type_list(p, &ca->arg_types, &ca->n_args))
        return -1;
    ca->if_not_exists = r;
    if (expect(p, K_SFUNC) || !(ca->sfunc = parse_fname(p)) || expect(p, K_STYPE) ||
        !(ca->stype = parse_type(p)))
        return -1;
    if (accept(p, K_FINALFUNC) && !(ca->finalfunc = parse_fname(p))) return -1;
    if (accept(p, K_INITCOND) && !(ca->initcond = ddl_term(p))) return -1;
    return p->failed ? -1 : 0;
}

static int create_trigger(struct cql_parser *p, struct cql_stmt *st)
{
    struct cql_create_trigger *ct = &st->create_trigger;
    int r;
    st->kind = CQL_STMT_CREATE_TRIGGER;
    if ((r = parse_if_not_exists(p)) < 0 || !(ct->name = parse_ident(p)) || expect(p, K_ON) ||
        parse_cf(p, &ct->table) || expect(p, K_USING) || !(ct->using_class = parse_string(p, NULL)))
        return -1;
    ct->if_not_exists = r;
    return 0;
}

/* ------------------------------------------------------------ roles and users */

static int set_once(struct cql_parser *p, bool *seen, const char *option)
{
    if (*seen) return fail_msg(p, "Multiple definition for property '%s'", option);
    *seen = true;
    return 0;
}

/* A RuntimeException thrown while parsing (Preconditions in the DC/CIDR
 * builders) reaches the client as QueryProcessor's generic message. */
static int fail_runtime(struct cql_parser *p, const char *cls, const char *what)
{
    return fail_msg(p, "Failed parsing statement: [%.*s] reason: %s %s", (int)p->len, p->src, cls,
                    what);
}

static int parse_string_set(struct cql_parser *p, const char ***out, int *n, int *cap)
{
    if (expect(p, TK_LBRACE)) return -1;
    do {
        const char *s = parse_string(p, NULL);
        if (!s || PUSH(*out, *n, *cap, s)) return -1;
    } while (accept(p, TK_COMMA));
    return expect(p, TK_RBRACE);
}

static int parse_bool_option(struct cql_parser *p, enum cql_tristate *v)
{
    if (expect(p, TK_EQ)) return -1;
    const struct cql_tok *t = pk(p);
    if (expect(p, TK_BOOLEAN)) return -1;
    *v = tok_is_word(p, t, "true") ? CQL_TRUE : CQL_FALSE;
    return 0;
}

/* roleOption (AND roleOption)* -- after WITH */
static int parse_role_options(struct cql_parser *p, struct cql_role_options *o)
{
    bool pw = false, hpw = false, opts = false, su = false, login = false;
    int dcap = 0, ccap = 0;
    do {
        switch (pk(p)->type) {
        case K_PASSWORD:
            skip(p);
            if (expect(p, TK_EQ) || !(o->password = parse_string(p, NULL)) ||
                set_once(p, &pw, "PASSWORD"))
                return -1;
            break;
        case K_HASHED:
            skip(p);
            if (expect(p, K_PASSWORD) || expect(p, TK_EQ) ||
                !(o->hashed_password = parse_string(p, NULL)) ||
                set_once(p, &hpw, "HASHED_PASSWORD"))
                return -1;
            break;
        case K_OPTIONS: {
            struct cql_role_options m = {0}; /* parsed apart: a second map is an error */
            skip(p);
            if (expect(p, TK_EQ) || parse_options_map(p, &m) || set_once(p, &opts, "OPTIONS"))
                return -1;
            o->has_options = true;
            o->option_keys = m.option_keys;
            o->option_values = m.option_values;
            o->n_options = m.n_options;
            break;
        }
        case K_SUPERUSER:
            skip(p);
            if (parse_bool_option(p, &o->superuser) || set_once(p, &su, "SUPERUSER")) return -1;
            break;
        case K_LOGIN:
            skip(p);
            if (parse_bool_option(p, &o->login) || set_once(p, &login, "LOGIN")) return -1;
            break;
        case K_ACCESS: {
            skip(p);
            int dc;
            if (accept(p, K_TO))
                dc = 1;
            else if (accept(p, K_FROM))
                dc = 0;
            else
                return fail_nva(p);
            int group = dc ? K_DATACENTERS : K_CIDRS;
            if (accept(p, K_ALL)) {
                if (expect(p, group)) return -1;
                if (dc ? o->n_dcs : o->n_cidrs)
                    return fail_runtime(p, "IllegalArgumentException",
                                        dc ? "DCs have already been set"
                                           : "CIDR Groups have already been set");
                if (dc)
                    o->dc_set = o->dc_all = true;
                else
                    o->cidr_set = o->cidr_all = true;
            } else if (accept(p, group)) {
                /* the builder refuses the first element after ALL */
                if ((dc ? o->dc_all : o->cidr_all) && at(p, TK_LBRACE) &&
                    pk_at(p, 1)->type == TK_STRING) {
                    skip(p);
                    skip(p);
                    return fail_runtime(p, "IllegalArgumentException", "All has been set");
                }
                if (dc ? parse_string_set(p, &o->dcs, &o->n_dcs, &dcap)
                       : parse_string_set(p, &o->cidrs, &o->n_cidrs, &ccap))
                    return -1;
                if (dc)
                    o->dc_set = true;
                else
                    o->cidr_set = true;
            } else {
                return fail_nva(p);
            }
            break;
        }
        default: return fail_nva(p);
        }
    } while (accept(p, K_AND));
    return p->failed ? -1 : 0;
}

static int check_passwords(struct cql_parser *p, const struct cql_role_options *o)
{
    if (o->password && o->hashed_password)
        return fail_msg(p, "Options 'password' and 'hashed password' are mutually exclusive");
    return 0;
}

static int create_or_alter_role(struct cql_parser *p, struct cql_stmt *st, bool create)
{
    struct cql_role_stmt *rs = &st->role;
    int r;
    st->kind = create ? CQL_STMT_CREATE_ROLE : CQL_STMT_ALTER_ROLE;
    if ((r = create ? parse_if_not_exists(p) : parse_if_exists(p)) < 0 ||
        !(rs->name = parse_role(p)))
        return -1;
    if (create)
        rs->if_not_exists = r;
    else
        rs->if_exists = r;
    if (accept(p, K_WITH) && parse_role_options(p, &rs->opts)) return -1;
    return check_passwords(p, &rs->opts);
}

/* CREATE/ALTER USER name [WITH [HASHED] PASSWORD 'x'] [SUPERUSER | NOSUPERUSER] */
static int create_or_alter_user(struct cql_parser *p, struct cql_stmt *st, bool create)
{
    struct cql_role_stmt *rs = &st->role;
    int r;
    st->kind = create ? CQL_STMT_CREATE_USER : CQL_STMT_ALTER_USER;
    if ((r = create ? parse_if_not_exists(p) : parse_if_exists(p)) < 0 ||
        !(rs->name = parse_username(p)))
        return -1;
    if (create)
        rs->if_not_exists = r;
    else
        rs->if_exists = r;
    if (accept(p, K_WITH)) {
        if (accept(p, K_PASSWORD)) {
            if (!(rs->opts.password = parse_string(p, NULL))) return -1;
        } else if (accept(p, K_HASHED)) {
            if (expect(p, K_PASSWORD) || !(rs->opts.hashed_password = parse_string(p, NULL)))
                return -1;
        } else {
            return fail_nva(p);
        }
    }
    if (accept(p, K_SUPERUSER))
        rs->opts.superuser = CQL_TRUE;
    else if (accept(p, K_NOSUPERUSER) || create)
        rs->opts.superuser = CQL_FALSE; /* CREATE USER: not a superuser unless said */
    return check_passwords(p, &rs->opts);
}

int ddl_parse_create(struct cql_parser *p, struct cql_stmt *st)
{
    bool or_replace = false;
    switch (pk(p)->type) {
    case K_COLUMNFAMILY: skip(p); return create_table(p, st);
    case K_CUSTOM:
        skip(p);
        if (expect(p, K_INDEX)) return -1;
        return create_index(p, st, true);
    case K_INDEX: skip(p); return create_index(p, st, false);
    case K_TYPE: skip(p); return create_type(p, st);
    case K_MATERIALIZED: skip(p); return create_view(p, st);
    case K_OR:
        skip(p);
        if (expect(p, K_REPLACE)) return -1;
        or_replace = true;
        if (!at(p, K_FUNCTION) && !at(p, K_AGGREGATE)) return fail_nva(p);
        /* fall through */
    case K_FUNCTION:
    case K_AGGREGATE: {
        int fn = at(p, K_FUNCTION);
        skip(p);
        return fn ? create_function(p, st, or_replace) : create_aggregate(p, st, or_replace);
    }
    case K_TRIGGER: skip(p); return create_trigger(p, st);
    case K_ROLE: skip(p); return create_or_alter_role(p, st, true);
    case K_USER: skip(p); return create_or_alter_user(p, st, true);
    default: return fail_nva(p);
    }
}

/* ------------------------------------------------------------ ALTER */

static int alter_table(struct cql_parser *p, struct cql_stmt *st)
{
    struct cql_alter_table *at_ = &st->alter_table;
    int r, cap = 0;
    st->kind = CQL_STMT_ALTER_TABLE;
    if ((r = parse_if_exists(p)) < 0 || parse_cf(p, &at_->name)) return -1;
    at_->if_exists = r;
    switch (pk(p)->type) {
    case K_ALTER:
        skip(p);
        if ((r = parse_if_exists(p)) < 0 || !(at_->column = parse_cident(p))) return -1;
        at_->if_column_exists = r;
        if (!r && accept(p, K_TYPE)) {
            at_->kind = CQL_ALTER_TABLE_ALTER_TYPE;
            return (at_->type = parse_type(p)) ? 0 : -1;
        }
        if (at(p, K_MASKED)) {
            at_->kind = CQL_ALTER_TABLE_MASK;
            return (at_->mask = parse_mask(p)) ? 0 : -1;
        }
        if (accept(p, K_DROP)) {
            at_->kind = CQL_ALTER_TABLE_DROP_MASK;
            return expect(p, K_MASKED);
        }
        return fail_nva(p);
    case K_ADD:
        skip(p);
        at_->kind = CQL_ALTER_TABLE_ADD;
        if ((r = parse_if_not_exists(p)) < 0) return -1;
        at_->if_column_not_exists = r;
        if (accept(p, TK_LPAREN)) {
            do {
                struct cql_column_def *c = parse_column_def(p);
                if (!c || PUSH(at_->add, at_->n_add, cap, c)) return -1;
            } while (accept(p, TK_COMMA));
            return expect(p, TK_RPAREN);
        } else {
            struct cql_column_def *c = parse_column_def(p);
            return !c || PUSH(at_->add, at_->n_add, cap, c) ? -1 : 0;
        }
    case K_DROP:
        skip(p);
        if (at(p, K_COMPACT) && pk_at(p, 1)->type == K_STORAGE) {
            skip(p);
            skip(p);
            at_->kind = CQL_ALTER_TABLE_DROP_COMPACT;
            return 0;
        }
        at_->kind = CQL_ALTER_TABLE_DROP;
        if ((r = parse_if_exists(p)) < 0) return -1;
        at_->if_column_exists = r;
        if (accept(p, TK_LPAREN)) {
            do {
                const char *c = parse_ident(p);
                if (!c || PUSH(at_->drop, at_->n_drop, cap, c)) return -1;
            } while (accept(p, TK_COMMA));
            if (expect(p, TK_RPAREN)) return -1;
        } else {
            const char *c = parse_ident(p);
            if (!c || PUSH(at_->drop, at_->n_drop, cap, c)) return -1;
        }
        if (accept(p, K_USING)) {
            if (expect(p, K_TIMESTAMP)) return -1;
            if (!at(p, TK_INTEGER)) return expect(p, TK_INTEGER);
            if (!(at_->drop_timestamp = parse_constant(p))) return -1;
        }
        return 0;
    case K_RENAME: {
        int c2 = 0;
        skip(p);
        at_->kind = CQL_ALTER_TABLE_RENAME;
        if ((r = parse_if_exists(p)) < 0) return -1;
        at_->if_column_exists = r;
        do {
            const char *from = parse_ident(p), *to = NULL;
            if (!from || expect(p, K_TO) || !(to = parse_ident(p))) return -1;
            if (PUSH(at_->rename_from, at_->n_renames, cap, from)) return -1;
            int n2 = at_->n_renames - 1;
            if (PUSH(at_->rename_to, n2, c2, to)) return -1;
        } while (accept(p, K_AND));
        return 0;
    }
    case K_WITH:
        skip(p);
        at_->kind = CQL_ALTER_TABLE_WITH;
        return parse_props(p, &at_->props);
    default: return fail_nva(p);
    }
}

static int alter_type(struct cql_parser *p, struct cql_stmt *st)
{
    struct cql_alter_type *t = &st->alter_type;
    int r;
    st->kind = CQL_STMT_ALTER_TYPE;
    if ((r = parse_if_exists(p)) < 0 || parse_ut_qname(p, &t->name)) return -1;
    t->if_exists = r;
    if (accept(p, K_ALTER)) {
        t->kind = CQL_ALTER_TYPE_ALTER;
        if (!(t->field = parse_ident(p)) || expect(p, K_TYPE)) return -1;
        return (t->type = parse_type(p)) ? 0 : -1;
    }
    if (accept(p, K_ADD)) {
        t->kind = CQL_ALTER_TYPE_ADD;
        if ((r = parse_if_not_exists(p)) < 0) return -1;
        t->if_field_not_exists = r;
        if (!(t->field = parse_ident(p))) return -1;
        return (t->type = parse_type(p)) ? 0 : -1;
    }
    if (accept(p, K_RENAME)) {
        int c1 = 0, c2 = 0;
        t->kind = CQL_ALTER_TYPE_RENAME;
        if ((r = parse_if_exists(p)) < 0) return -1;
        t->if_field_exists = r;
        do {
            const char *from = parse_ident(p), *to = NULL;
            if (!from || expect(p, K_TO) || !(to = parse_ident(p))) return -1;
            if (PUSH(t->rename_from, t->n_renames, c1, from)) return -1;
            int n2 = t->n_renames - 1;
            if (PUSH(t->rename_to, n2, c2, to)) return -1;
        } while (accept(p, K_AND));
        return 0;
    }
    return fail_nva(p);
}

static int alter_view(struct cql_parser *p, struct cql_stmt *st)
{
    struct cql_alter_view *v = &st->alter_view;
    int r;
    st->kind = CQL_STMT_ALTER_VIEW;
    if (expect(p, K_VIEW) || (r = parse_if_exists(p)) < 0 || parse_cf(p, &v->name) ||
        expect(p, K_WITH))
        return -1;
    v->if_exists = r;
    return parse_props(p, &v->props);
}

int ddl_parse_alter(struct cql_parser *p, struct cql_stmt *st)
{
    switch (pk(p)->type) {
    case K_COLUMNFAMILY: skip(p); return alter_table(p, st);
    case K_TYPE: skip(p); return alter_type(p, st);
    case K_MATERIALIZED: skip(p); return alter_view(p, st);
    case K_ROLE: skip(p); return create_or_alter_role(p, st, false);
    case K_USER: skip(p); return create_or_alter_user(p, st, false);
    default: return fail_nva(p);
    }
}

/* ------------------------------------------------------------ DROP */

static int drop_function(struct cql_parser *p, struct cql_stmt *st, enum cql_stmt_kind kind)
{
    struct cql_drop_function *d = &st->drop_function;
    int r;
    st->kind = kind;
    if ((r = parse_if_exists(p)) < 0 || parse_func_qname(p, &d->name)) return -1;
    d->if_exists = r;
    if (at(p, TK_LPAREN)) {
        d->args_specified = true;
        return parse_type_list(p, &d->arg_types, &d->n_args);
    }
    return 0;
}

int ddl_parse_drop(struct cql_parser *p, struct cql_stmt *st)
{
    struct cql_drop *d = &st->drop;
    int ty = pk(p)->type, r;
    switch (ty) {
    case K_COLUMNFAMILY:
    case K_INDEX:
    case K_TYPE:
    case K_MATERIALIZED:
    case K_ROLE:
    case K_USER:
        skip(p);
        if (ty == K_MATERIALIZED && expect(p, K_VIEW)) return -1;
        if ((r = parse_if_exists(p)) < 0) return -1;
        d->if_exists = r;
        switch (ty) {
        case K_COLUMNFAMILY: st->kind = CQL_STMT_DROP_TABLE; return parse_cf(p, &d->name);
        case K_INDEX: st->kind = CQL_STMT_DROP_INDEX; return parse_qualified(p, &d->name, "index");
        case K_TYPE: st->kind = CQL_STMT_DROP_TYPE; return parse_ut_qname(p, &d->name);
        case K_MATERIALIZED: st->kind = CQL_STMT_DROP_VIEW; return parse_cf(p, &d->name);
        case K_ROLE: st->kind = CQL_STMT_DROP_ROLE; return (d->name.name = parse_role(p)) ? 0 : -1;
        default: st->kind = CQL_STMT_DROP_USER; return (d->name.name = parse_username(p)) ? 0 : -1;
        }
    case K_FUNCTION: skip(p); return drop_function(p, st, CQL_STMT_DROP_FUNCTION);
    case K_AGGREGATE: skip(p); return drop_function(p, st, CQL_STMT_DROP_AGGREGATE);
    case K_TRIGGER: {
        struct cql_drop_trigger *dt = &st->drop_trigger;
        skip(p);
        st->kind = CQL_STMT_DROP_TRIGGER;
        if ((r = parse_if_exists(p)) < 0 || !(dt->name = parse_ident(p)) || expect(p, K_ON))
            return -1;
        dt->if_exists = r;
        return parse_cf(p, &dt->table);
    }
    case K_IDENTITY:
        skip(p);
        st->kind = CQL_STMT_DROP_IDENTITY;
        if ((r = parse_if_exists(p)) < 0) return -1;
        st->identity.if_exists = r;
        return (st->identity.identity = parse_identity(p)) ? 0 : -1;
    default: return fail_nva(p);
    }
}

/* ------------------------------------------------------------ permissions */

#define PERMS_DATA                                                                                 \
    (CQL_PERM_CREATE | CQL_PERM_ALTER | CQL_PERM_DROP | CQL_PERM_SELECT | CQL_PERM_MODIFY |        \
     CQL_PERM_AUTHORIZE | CQL_PERM_UNMASK | CQL_PERM_SELECT_MASKED)
#define PERMS_ALL (PERMS_DATA | CQL_PERM_DESCRIBE | CQL_PERM_EXECUTE)

static unsigned perm_of(int type)
{
    switch (type) {
    case K_CREATE: return CQL_PERM_CREATE;
    case K_ALTER: return CQL_PERM_ALTER;
    case K_DROP: return CQL_PERM_DROP;
    case K_SELECT: return CQL_PERM_SELECT;
    case K_MODIFY: return CQL_PERM_MODIFY;
    case K_AUTHORIZE: return CQL_PERM_AUTHORIZE;
    case K_DESCRIBE: return CQL_PERM_DESCRIBE;
    case K_EXECUTE: return CQL_PERM_EXECUTE;
    case K_UNMASK: return CQL_PERM_UNMASK;
    case K_SELECT_MASKED: return CQL_PERM_SELECT_MASKED;
    default: return 0;
    }
}

/* permissionOrAll: ALL [PERMISSIONS] | permission [PERMISSION] (',' ...)* */
static int parse_perms(struct cql_parser *p, struct cql_permissions_stmt *ps)
{
    if (accept(p, K_ALL)) {
        accept(p, K_PERMISSIONS);
        ps->all = true;
        ps->perms = PERMS_ALL;
        return 0;
    }
    if (!perm_of(pk(p)->type)) return fail_nva(p);
    do {
        unsigned b = perm_of(pk(p)->type);
        if (!b) return fail_nva(p);
        skip(p);
        accept(p, K_PERMISSION);
        ps->perms |= b;
    } while (accept(p, TK_COMMA));
    return 0;
}

/* Parser.g's canonicalizeObjectName, minus the canonical form: the checks
 * that make Cassandra refuse a JMX object name while parsing. */
static int check_mbean(struct cql_parser *p, const char *s, size_t n, bool plural)
{
    if (n == 0) return fail_msg(p, "Empty JMX object name supplied");
    if (n == 3 && !memcmp(s, "*:*", 3))
        return fail_msg(p, "Please use ALL MBEANS instead of wildcard pattern");
    const char *colon = memchr(s, ':', n);
    bool pattern = false, ok = colon != NULL;
    if (ok) {
        for (const char *c = s; c < colon; c++)
            if (*c == '*' || *c == '?') pattern = true;
        const char *e = s + n, *q = colon + 1;
        ok = q < e;
        while (ok && q <= e) { /* key=value (',' key=value)* with an optional ",*" */
            const char *end = memchr(q, ',', (size_t)(e - q));
            if (!end) end = e;
            if (end - q == 1 && *q == '*') {
                pattern = true;
            } else {
                const char *eq = memchr(q, '=', (size_t)(end - q));
                ok = eq && eq > q;
                for (const char *c = eq ? eq + 1 : end; ok && c < end; c++)
                    if (*c == '*' || *c == '?') pattern = true;
            }
            q = end + 1;
        }
    }
    if (!ok) return fail_msg(p, "%.*s is not a valid JMX object name", (int)n, s);
    if (plural && !pattern)
        return fail_msg(p, "Plural form used, but non-pattern JMX object name specified (%.*s)",
                        (int)n, s);
    return 0;
}

/* Tokens that may follow a resource (FOLLOW set in GRANT/REVOKE/LIST). */
static int resource_follows(int type)
{
    return type == K_TO || type == K_FROM || type == K_OF || type == K_NORECURSIVE ||
           type == TK_EOF || type == TK_SEMI || type == TK_DOT;
}

static int is_role_start(const struct cql_tok *t)
{
    return tok_identish(t) || t->type == TK_STRING || t->type == TK_QMARK;
}

static int parse_resource(struct cql_parser *p, struct cql_resource *res)
{
    int n1 = pk_at(p, 1)->type;
    switch (pk(p)->type) {
    case K_ALL:
        switch (n1) {
        case K_KEYSPACES:
            skip(p);
            skip(p);
            res->kind = CQL_RES_ALL_KEYSPACES;
            return 0;
        case K_TABLES:
            skip(p);
            skip(p);
            res->kind = CQL_RES_ALL_TABLES;
            if (expect(p, K_IN) || expect(p, K_KEYSPACE)) return -1;
            return (res->name.ks = parse_ks(p)) ? 0 : -1;
        case K_ROLES:
            skip(p);
            skip(p);
            res->kind = CQL_RES_ALL_ROLES;
            return 0;
        case K_FUNCTIONS:
            skip(p);
            skip(p);
            res->kind = CQL_RES_ALL_FUNCTIONS;
            if (!accept(p, K_IN)) return 0;
            res->kind = CQL_RES_ALL_FUNCTIONS_IN_KS;
            if (expect(p, K_KEYSPACE)) return -1;
            return (res->name.ks = parse_ks(p)) ? 0 : -1;
        case K_MBEANS:
            skip(p);
            skip(p);
            res->kind = CQL_RES_ALL_MBEANS;
            return 0;
        default:
            if (!resource_follows(n1)) {
                skip(p);
                return fail_nva(p);
            }
            break; /* a table named "all" */
        }
        break;
    case K_KEYSPACE:
        skip(p);
        res->kind = CQL_RES_KEYSPACE;
        return (res->name.ks = parse_ks(p)) ? 0 : -1;
    case K_COLUMNFAMILY: skip(p); break;
    case K_ROLE:
        if (!is_role_start(pk_at(p, 1))) break;
        skip(p);
        res->kind = CQL_RES_ROLE;
        return (res->name.name = parse_role(p)) ? 0 : -1;
    case K_FUNCTION:
        if (!is_func_qname_start(p, 1)) break;
        skip(p);
        res->kind = CQL_RES_FUNCTION;
        if (parse_func_qname(p, &res->name)) return -1;
        return parse_type_list(p, &res->arg_types, &res->n_arg_types);
    case K_MBEAN:
    case K_MBEANS: {
        if (n1 != TK_STRING) break;
        bool plural = at(p, K_MBEANS);
        size_t len;
        skip(p);
        res->kind = plural ? CQL_RES_MBEANS : CQL_RES_MBEAN;
        if (!(res->name.name = parse_string(p, &len))) return -1;
        return check_mbean(p, res->name.name, len, plural);
    }
    default: break;
    }
    res->kind = CQL_RES_TABLE;
    return parse_cf(p, &res->name);
}

/* Parser.g's filterPermissions: GRANT/REVOKE keep the permissions that
 * apply to the resource, and refuse when none does. */
static int filter_perms(struct cql_parser *p, struct cql_permissions_stmt *ps)
{
    unsigned ok;
    const char *cls;
    switch (ps->resource.kind) {
    case CQL_RES_TABLE:
        ok = PERMS_DATA & ~CQL_PERM_CREATE;
        cls = "DataResource";
        break;
    case CQL_RES_ALL_ROLES:
        ok = CQL_PERM_CREATE | CQL_PERM_ALTER | CQL_PERM_DROP | CQL_PERM_AUTHORIZE |
             CQL_PERM_DESCRIBE;
        cls = "RoleResource";
        break;
    case CQL_RES_ROLE:
        ok = CQL_PERM_ALTER | CQL_PERM_DROP | CQL_PERM_AUTHORIZE;
        cls = "RoleResource";
        break;
    case CQL_RES_ALL_FUNCTIONS:
    case CQL_RES_ALL_FUNCTIONS_IN_KS:
        ok = CQL_PERM_CREATE | CQL_PERM_ALTER | CQL_PERM_DROP | CQL_PERM_AUTHORIZE |
             CQL_PERM_EXECUTE;
        cls = "FunctionResource";
        break;
    case CQL_RES_FUNCTION:
        ok = CQL_PERM_ALTER | CQL_PERM_DROP | CQL_PERM_AUTHORIZE | CQL_PERM_EXECUTE;
        cls = "FunctionResource";
        break;
    case CQL_RES_ALL_MBEANS:
    case CQL_RES_MBEAN:
    case CQL_RES_MBEANS:
        ok = CQL_PERM_AUTHORIZE | CQL_PERM_DESCRIBE | CQL_PERM_EXECUTE | CQL_PERM_MODIFY |
             CQL_PERM_SELECT;
        cls = "JMXResource";
        break;
    default: /* all keyspaces, keyspace, all tables in a keyspace */
        ok = PERMS_DATA;
        cls = "DataResource";
        break;
    }
    ps->perms &= ok;
    if (!ps->perms)
        return fail_msg(p, "Resource type %s does not support any of the requested permissions",
                        cls);
    return 0;
}

int ddl_parse_grant_revoke(struct cql_parser *p, struct cql_stmt *st, int kw)
{
    int to = kw == K_GRANT ? K_TO : K_FROM;
    int ty = pk(p)->type, n1 = pk_at(p, 1)->type;
    /* GRANT role TO role, unless the first word is a permission (ALL,
     * UNMASK and SELECT_MASKED are also valid role names) */
    bool perms =
        (ty == K_ALL || ty == K_UNMASK || ty == K_SELECT_MASKED) ? n1 != to : perm_of(ty) != 0;
    if (!perms) {
        st->kind = kw == K_GRANT ? CQL_STMT_GRANT_ROLE : CQL_STMT_REVOKE_ROLE;
        if (!(st->role_grant.role = parse_role(p)) || expect(p, to)) return -1;
        return (st->role_grant.grantee = parse_role(p)) ? 0 : -1;
    }
    struct cql_permissions_stmt *ps = &st->perms;
    st->kind = kw == K_GRANT ? CQL_STMT_GRANT_PERMISSIONS : CQL_STMT_REVOKE_PERMISSIONS;
    ps->recursive = true;
    if (parse_perms(p, ps) || expect(p, K_ON) || parse_resource(p, &ps->resource) ||
        expect(p, to) || !(ps->role = parse_role(p)))
        return -1;
    return filter_perms(p, ps);
}

int ddl_parse_list(struct cql_parser *p, struct cql_stmt *st)
{
    if (accept(p, K_USERS)) {
        st->kind = CQL_STMT_LIST_USERS;
        return 0;
    }
    if (accept(p, K_ROLES)) {
        st->kind = CQL_STMT_LIST_ROLES;
        st->list_roles.recursive = true;
        if (accept(p, K_OF) && !(st->list_roles.of = parse_role(p))) return -1;
        if (accept(p, K_NORECURSIVE)) st->list_roles.recursive = false;
        return p->failed ? -1 : 0;
    }
    struct cql_permissions_stmt *ps = &st->perms;
    st->kind = CQL_STMT_LIST_PERMISSIONS;
    ps->recursive = true;
    ps->resource.kind = CQL_RES_NONE;
    if (parse_perms(p, ps)) return -1;
    if (accept(p, K_ON) && parse_resource(p, &ps->resource)) return -1;
    if (accept(p, K_OF) && !(ps->role = parse_role(p))) return -1;
    if (accept(p, K_NORECURSIVE)) ps->recursive = false;
    return p->failed ? -1 : 0;
}

int ddl_parse_add_identity(struct cql_parser *p, struct cql_stmt *st)
{
    struct cql_identity_stmt *id = &st->identity;
    int r;
    st->kind = CQL_STMT_ADD_IDENTITY;
    if (expect(p, K_IDENTITY) || (r = parse_if_not_exists(p)) < 0 ||
        !(id->identity = parse_identity(p)) || expect(p, K_TO) || expect(p, K_ROLE) ||
        !(id->role = parse_identity(p)))
        return -1;
    id->if_not_exists = r;
    return 0;
}

/* ------------------------------------------------------------ DESCRIBE */

int ddl_parse_describe(struct cql_parser *p, struct cql_stmt *st)
{
    struct cql_describe *d = &st->describe;
    const struct cql_tok *t = pk(p), *t1 = pk_at(p, 1);
    st->kind = CQL_STMT_DESCRIBE;
    switch (t->type) {
    case K_CLUSTER:
        skip(p);
        d->kind = CQL_DESC_CLUSTER;
        break;
    case K_KEYSPACES:
        skip(p);
        d->kind = CQL_DESC_KEYSPACES;
        break;
    case K_TABLES:
        skip(p);
        d->kind = CQL_DESC_TABLES;
        break;
    case K_TYPES:
        skip(p);
        d->kind = CQL_DESC_TYPES;
        break;
    case K_FUNCTIONS:
        skip(p);
        d->kind = CQL_DESC_FUNCTIONS;
        break;
    case K_AGGREGATES:
        skip(p);
        d->kind = CQL_DESC_AGGREGATES;
        break;
    case K_FULL:
        /* FULL SCHEMA ("schema" lexes as K_KEYSPACE) */
        skip(p);
        t = pk(p);
        if (t->type != K_KEYSPACE || !tok_is_word(p, t, "schema")) {
            char tt[128];
            size_t n = t->type == TK_EOF ? 5 : t->len < 127 ? t->len : 127;
            memcpy(tt, t->type == TK_EOF ? "<EOF>" : p->src + t->off, n);
            tt[n] = 0;
            return fail_at(p, t, "mismatched input '%s' expecting K_SCHEMA", tt);
        }
        skip(p);
        d->kind = CQL_DESC_SCHEMA;
        d->full = true;
        break;
    case K_KEYSPACE:
        if (tok_is_word(p, t, "schema")) {
            skip(p);
            d->kind = CQL_DESC_SCHEMA;
            break;
        }
        /* fall through */
    case K_ONLY:
        if (t->type == K_ONLY) {
            if (t1->type != K_KEYSPACE) goto generic;
            skip(p);
            d->only = true;
        }
        skip(p);
        d->kind = CQL_DESC_KEYSPACE;
        if ((is_ident(p) || at(p, TK_QMARK)) && !(d->name.name = parse_ks(p))) return -1;
        break;
    case K_COLUMNFAMILY:
        skip(p);
        d->kind = CQL_DESC_TABLE;
        if (parse_cf(p, &d->name)) return -1;
        break;
    case K_INDEX:
        skip(p);
        d->kind = CQL_DESC_INDEX;
        if (parse_cf(p, &d->name)) return -1;
        break;
    case K_MATERIALIZED:
        skip(p);
        d->kind = CQL_DESC_VIEW;
        if (expect(p, K_VIEW) || parse_cf(p, &d->name)) return -1;
        break;
    case K_TYPE:
        if (!tok_identish(t1)) goto generic;
        skip(p);
        d->kind = CQL_DESC_TYPE;
        if (parse_ut_qname(p, &d->name)) return -1;
        break;
    case K_FUNCTION:
    case K_AGGREGATE:
        if (!is_func_qname_start(p, 1)) goto generic;
        skip(p);
        d->kind = t->type == K_FUNCTION ? CQL_DESC_FUNCTION : CQL_DESC_AGGREGATE;
        if (parse_func_qname(p, &d->name)) return -1;
        break;
    default:
    generic:
        /* [ks '.'] name, each IDENT, QUOTED_NAME or unreserved keyword */
        d->kind = CQL_DESC_GENERIC;
        if (!is_ident(p)) return fail_nva(p);
        if (!(d->name.name = parse_ident(p))) return -1;
        if (accept(p, TK_DOT)) {
            d->name.ks = d->name.name;
            if (!is_ident(p)) return fail_nva(p);
            if (!(d->name.name = parse_ident(p))) return -1;
        }
        break;
    }
    if (accept(p, K_WITH)) {
        if (expect(p, K_INTERNALS)) return -1;
        d->with_internals = true;
    }
    return p->failed ? -1 : 0;
}
