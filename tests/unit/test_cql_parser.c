/*
 * test_cql_parser -- the core of the CQL parser (src/cql/parser.c) through
 * the public cql_parse(): SELECT (selectors, WHERE, the clauses after it),
 * terms and constants, types, INSERT/UPDATE/DELETE/BATCH, USE, TRUNCATE and
 * the keyspace statements, bind markers (numbering and context), name
 * folding, syntax errors (positions and Cassandra 5.0's messages), hostile
 * input (deep nesting, invalid UTF-8, NUL bytes, unterminated buffers) and
 * out-of-memory at every allocation. Each test checks AST fields, not only
 * return codes. The DDL statements of parser_ddl.c are in
 * test_cql_parser_ddl.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cql/cql_parse.h"
#include "util/mem.h"

static arena A;

static int setup(void **state)
{
    (void)state;
    arena_init(&A, 4096);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_destroy(&A);
    return 0;
}

static struct cql_stmt *ok(const char *q)
{
    struct cql_stmt *st = NULL;
    cql_parse_error e;
    int r = cql_parse(q, strlen(q), &A, &st, &e);
    if (r != 0) fail_msg("%s\n  -> %d %s", q, r, e.msg);
    assert_non_null(st);
    return st;
}

/* Refused with a message containing want. */
static void bad(const char *q, const char *want)
{
    struct cql_stmt *st = NULL;
    cql_parse_error e;
    int r = cql_parse(q, strlen(q), &A, &st, &e);
    if (r != -1) fail_msg("accepted (%d): %s", r, q);
    assert_null(st);
    if (want && !strstr(e.msg, want)) fail_msg("%s\n  got:  %s\n  want: %s", q, e.msg, want);
}

/* Refused with exactly this message. */
static void bad_exact(const char *q, const char *want)
{
    struct cql_stmt *st = NULL;
    cql_parse_error e;
    int r = cql_parse(q, strlen(q), &A, &st, &e);
    if (r != -1) fail_msg("accepted (%d): %s", r, q);
    if (strcmp(e.msg, want) != 0) fail_msg("%s\n  got:  %s\n  want: %s", q, e.msg, want);
}

/* Refused at line:col with a message starting with want. */
static void bad_at(const char *q, int line, int col, const char *want)
{
    struct cql_stmt *st = NULL;
    cql_parse_error e;
    if (cql_parse(q, strlen(q), &A, &st, &e) != -1) fail_msg("accepted: %s", q);
    if (e.line != line || e.col != col)
        fail_msg("%s\n  at %d:%d, want %d:%d (%s)", q, e.line, e.col, line, col, e.msg);
    if (want && strncmp(e.msg, want, strlen(want)) != 0)
        fail_msg("%s\n  got:  %s\n  want: %s...", q, e.msg, want);
}

#define assert_str(a, b) assert_string_equal((a), (b))

static void assert_qname(struct cql_qname q, const char *ks, const char *name)
{
    if (ks)
        assert_str(q.ks, ks);
    else
        assert_null(q.ks);
    assert_str(q.name, name);
}

static void assert_const(const struct cql_term *t, enum cql_const_kind k, const char *text)
{
    assert_non_null(t);
    assert_int_equal(t->kind, CQL_TERM_CONST);
    if (t->constant.kind != k) fail_msg("const kind %d, want %d (%s)", t->constant.kind, k, text);
    assert_str(t->constant.text, text);
    assert_int_equal(t->constant.len, strlen(text));
}

static void assert_bind(const struct cql_term *t, int index, const char *name)
{
    assert_non_null(t);
    assert_int_equal(t->kind, CQL_TERM_BIND);
    assert_int_equal(t->bind.index, index);
    if (name)
        assert_str(t->bind.name, name);
    else
        assert_null(t->bind.name);
}

static void assert_column(const struct cql_selector *s, const char *name)
{
    assert_non_null(s);
    assert_int_equal(s->kind, CQL_SEL_COLUMN);
    assert_str(s->column, name);
}

/* The i-th selector of a SELECT. */
static struct cql_selector *sel(struct cql_stmt *st, int i)
{
    assert_int_equal(st->kind, CQL_STMT_SELECT);
    assert_true(i < st->select.n_selectors);
    return st->select.selectors[i]->sel;
}

/* The right-hand side of "SELECT * FROM t WHERE a = <term>". */
static struct cql_term *term_of(const char *term)
{
    char q[1024];
    snprintf(q, sizeof(q), "SELECT * FROM t WHERE a = %s", term);
    struct cql_stmt *st = ok(q);
    assert_int_equal(st->select.n_where, 1);
    assert_int_equal(st->select.where[0]->op, CQL_OP_EQ);
    return st->select.where[0]->value;
}

/* The type of "(<type>) ?" in a WHERE term. */
static struct cql_type *type_of(const char *type)
{
    char t[512];
    snprintf(t, sizeof(t), "(%s) ?", type);
    struct cql_term *h = term_of(t);
    assert_int_equal(h->kind, CQL_TERM_TYPE_HINT);
    assert_int_equal(h->hint.arg->kind, CQL_TERM_BIND);
    return h->hint.type;
}

static int utf8_valid(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        int n = *u < 0x80             ? 1
                : (*u & 0xE0) == 0xC0 ? 2
                : (*u & 0xF0) == 0xE0 ? 3
                : (*u & 0xF8) == 0xF0 ? 4
                                      : 0;
        if (!n || (n == 2 && *u < 0xC2)) return 0;
        for (int i = 1; i < n; i++)
            if ((u[i] & 0xC0) != 0x80) return 0;
        u += n;
    }
    return 1;
}

/* ------------------------------------------------------------ SELECT */

static void test_select_basic(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("SELECT * FROM t");
    assert_int_equal(st->kind, CQL_STMT_SELECT);
    struct cql_select *s = &st->select;
    assert_true(s->wildcard);
    assert_int_equal(s->n_selectors, 0);
    assert_qname(s->table, NULL, "t");
    assert_false(s->json);
    assert_false(s->distinct);
    assert_int_equal(s->n_where, 0);
    assert_int_equal(s->n_group_by, 0);
    assert_int_equal(s->n_order_by, 0);
    assert_null(s->limit);
    assert_null(s->per_partition_limit);
    assert_false(s->allow_filtering);
    assert_int_equal(st->n_binds, 0);

    st = ok("select A, \"B\", c AS x, d as \"Y\" FROM Ks.\"Tab\";");
    s = &st->select;
    assert_false(s->wildcard);
    assert_qname(s->table, "ks", "Tab");
    assert_int_equal(s->n_selectors, 4);
    assert_column(s->selectors[0]->sel, "a");
    assert_null(s->selectors[0]->alias);
    assert_column(s->selectors[1]->sel, "B");
    assert_column(s->selectors[2]->sel, "c");
    assert_str(s->selectors[2]->alias, "x");
    assert_str(s->selectors[3]->alias, "Y");

    /* any number of ';' may follow (Cql.g: cqlStatement (';')* EOF) */
    ok("SELECT * FROM t;;");
    ok("SELECT * FROM t ; ; -- done\n");
    ok("/* c */ SELECT * FROM t /* d */");
}

static void test_select_modifiers(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("SELECT JSON * FROM t");
    assert_true(st->select.json);
    assert_true(st->select.wildcard);
    st = ok("SELECT DISTINCT k FROM t");
    assert_true(st->select.distinct);
    assert_column(sel(st, 0), "k");
    st = ok("SELECT JSON DISTINCT k, c FROM t");
    assert_true(st->select.json);
    assert_true(st->select.distinct);
    assert_int_equal(st->select.n_selectors, 2);

    /* json and distinct are also column names: the modifier is taken only
     * when a select clause parses after it (Parser.g's predicates) */
    st = ok("SELECT json FROM t");
    assert_false(st->select.json);
    assert_column(sel(st, 0), "json");
    st = ok("SELECT json, x FROM t");
    assert_false(st->select.json);
    assert_column(sel(st, 0), "json");
    st = ok("SELECT distinct, x FROM t");
    assert_false(st->select.distinct);
    assert_column(sel(st, 0), "distinct");
    assert_column(sel(st, 1), "x");
    st = ok("SELECT distinct FROM t");
    assert_false(st->select.distinct);
    assert_column(sel(st, 0), "distinct");
    st = ok("SELECT json json FROM t");
    assert_true(st->select.json);
    assert_column(sel(st, 0), "json");
    st = ok("SELECT JSON distinct FROM t");
    assert_true(st->select.json);
    assert_false(st->select.distinct);
    assert_column(sel(st, 0), "distinct");
    st = ok("SELECT distinct distinct FROM t");
    assert_true(st->select.distinct);
    assert_column(sel(st, 0), "distinct");
    st = ok("SELECT json.f, json[1] + 1 FROM t");
    assert_false(st->select.json);
    assert_int_equal(sel(st, 0)->kind, CQL_SEL_FIELD);
    /* "json - x" is SELECT JSON (-x), as in Cassandra */
    st = ok("SELECT json - x FROM t");
    assert_true(st->select.json);
    assert_int_equal(sel(st, 0)->kind, CQL_SEL_NEGATE);
    assert_column(sel(st, 0)->arg, "x");
    st = ok("SELECT distinct -1 FROM t");
    assert_true(st->select.distinct);
    assert_const(sel(st, 0)->term, CQL_CONST_INTEGER, "-1");
    /* and "json AS j" is SELECT JSON "as" followed by a stray j */
    bad("SELECT json AS j FROM t", "mismatched input 'j' expecting K_FROM");
    bad("SELECT DISTINCT * FROM", "no viable alternative at input '<EOF>'");
}

static void test_selectors(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("SELECT count(*), COUNT(1), count(k) AS n, token(a, b), ks.f(x), "
                             "\"Fn\"(), system.token(k), int(v) FROM t");
    assert_int_equal(sel(st, 0)->kind, CQL_SEL_COUNT_ROWS);
    struct cql_selector *f = sel(st, 1);
    assert_int_equal(f->kind, CQL_SEL_FUNCTION);
    assert_qname(f->func.name, NULL, "count");
    assert_int_equal(f->func.n_args, 1);
    assert_int_equal(f->func.args[0]->kind, CQL_SEL_TERM);
    assert_const(f->func.args[0]->term, CQL_CONST_INTEGER, "1");
    assert_qname(sel(st, 2)->func.name, NULL, "count");
    assert_column(sel(st, 2)->func.args[0], "k");
    assert_str(st->select.selectors[2]->alias, "n");
    f = sel(st, 3);
    assert_qname(f->func.name, NULL, "token");
    assert_int_equal(f->func.n_args, 2);
    assert_column(f->func.args[1], "b");
    assert_qname(sel(st, 4)->func.name, "ks", "f");
    assert_qname(sel(st, 5)->func.name, NULL, "Fn");
    assert_int_equal(sel(st, 5)->func.n_args, 0);
    assert_qname(sel(st, 6)->func.name, "system", "token");
    assert_qname(sel(st, 7)->func.name, NULL, "int");

    st = ok("SELECT writetime(v), maxwritetime(s), ttl(u.f), WRITETIME(m['k']), ttl(l[1..2]), "
            "writetime(\"V\"), ttl(u.a.b) FROM t");
    f = sel(st, 0);
    assert_int_equal(f->kind, CQL_SEL_WRITETIME);
    assert_column(f->arg, "v");
    assert_int_equal(sel(st, 1)->kind, CQL_SEL_MAXWRITETIME);
    assert_column(sel(st, 1)->arg, "s");
    f = sel(st, 2);
    assert_int_equal(f->kind, CQL_SEL_TTL);
    assert_int_equal(f->arg->kind, CQL_SEL_FIELD);
    assert_str(f->arg->field.name, "f");
    assert_column(f->arg->field.arg, "u");
    f = sel(st, 3);
    assert_int_equal(f->kind, CQL_SEL_WRITETIME);
    assert_int_equal(f->arg->kind, CQL_SEL_ELEMENT);
    assert_const(f->arg->element.key, CQL_CONST_STRING, "k");
    assert_column(f->arg->element.arg, "m");
    f = sel(st, 4)->arg;
    assert_int_equal(f->kind, CQL_SEL_SLICE);
    assert_const(f->slice.from, CQL_CONST_INTEGER, "1");
    assert_const(f->slice.to, CQL_CONST_INTEGER, "2");
    assert_column(sel(st, 5)->arg, "V");
    assert_str(sel(st, 6)->arg->field.name, "b");
    assert_str(sel(st, 6)->arg->field.arg->field.name, "a");
    bad("SELECT writetime(1) FROM t", "no viable alternative at input '1'");
    bad("SELECT ttl(f(x)) FROM t", "mismatched input '(' expecting ')'");

    st = ok("SELECT CAST(a AS text), cast(count(*) as bigint), CAST(a + 1 AS double) FROM t");
    f = sel(st, 0);
    assert_int_equal(f->kind, CQL_SEL_CAST);
    assert_int_equal(f->cast.type, CQL_NATIVE_TEXT);
    assert_column(f->cast.arg, "a");
    assert_int_equal(sel(st, 1)->cast.type, CQL_NATIVE_BIGINT);
    assert_int_equal(sel(st, 1)->cast.arg->kind, CQL_SEL_COUNT_ROWS);
    assert_int_equal(sel(st, 2)->cast.arg->kind, CQL_SEL_BINOP);
    bad("SELECT CAST(a AS \"int\") FROM t", "no viable alternative at input '\"int\"'");
    bad("SELECT CAST(a AS list<int>) FROM t", "no viable alternative at input 'list'");

    /* arithmetic: * / % bind tighter than + -, left-associative; unary minus */
    st = ok("SELECT a + b * c - d, -a, - -a, a - -1, (a + b) % 2, a / b / c FROM t");
    f = sel(st, 0);
    assert_int_equal(f->kind, CQL_SEL_BINOP);
    assert_int_equal(f->binop.op, '-');
    assert_column(f->binop.right, "d");
    assert_int_equal(f->binop.left->binop.op, '+');
    assert_column(f->binop.left->binop.left, "a");
    assert_int_equal(f->binop.left->binop.right->binop.op, '*');
    f = sel(st, 1);
    assert_int_equal(f->kind, CQL_SEL_NEGATE);
    assert_column(f->arg, "a");
    assert_int_equal(sel(st, 2)->arg->kind, CQL_SEL_NEGATE);
    f = sel(st, 3);
    assert_int_equal(f->binop.op, '-');
    assert_const(f->binop.right->term, CQL_CONST_INTEGER, "-1");
    f = sel(st, 4);
    assert_int_equal(f->binop.op, '%');
    assert_int_equal(f->binop.left->kind, CQL_SEL_TUPLE);
    assert_int_equal(f->binop.left->list.n_items, 1);
    f = sel(st, 5);
    assert_int_equal(f->binop.op, '/');
    assert_column(f->binop.right, "c");
    assert_int_equal(f->binop.left->binop.op, '/');

    /* element, slice, field */
    st = ok("SELECT m['k'], s[1..3], s[..3], s[1..], u.f.g, m[?].x, l[1][2] FROM t");
    f = sel(st, 0);
    assert_int_equal(f->kind, CQL_SEL_ELEMENT);
    assert_column(f->element.arg, "m");
    assert_const(f->element.key, CQL_CONST_STRING, "k");
    f = sel(st, 1);
    assert_int_equal(f->kind, CQL_SEL_SLICE);
    assert_const(f->slice.from, CQL_CONST_INTEGER, "1");
    assert_const(f->slice.to, CQL_CONST_INTEGER, "3");
    f = sel(st, 2);
    assert_null(f->slice.from);
    assert_const(f->slice.to, CQL_CONST_INTEGER, "3");
    f = sel(st, 3);
    assert_const(f->slice.from, CQL_CONST_INTEGER, "1");
    assert_null(f->slice.to);
    f = sel(st, 4);
    assert_int_equal(f->kind, CQL_SEL_FIELD);
    assert_str(f->field.name, "g");
    assert_str(f->field.arg->field.name, "f");
    assert_column(f->field.arg->field.arg, "u");
    f = sel(st, 5);
    assert_int_equal(f->kind, CQL_SEL_FIELD);
    assert_int_equal(f->field.arg->kind, CQL_SEL_ELEMENT);
    assert_bind(f->field.arg->element.key, 0, NULL);
    f = sel(st, 6);
    assert_int_equal(f->kind, CQL_SEL_ELEMENT);
    assert_int_equal(f->element.arg->kind, CQL_SEL_ELEMENT);
    bad("SELECT s[..] FROM t", "no viable alternative at input ']'");
    bad("SELECT s[] FROM t", "no viable alternative at input ']'");

    /* literals, markers, collections, tuples, type hints */
    st = ok("SELECT 'a', 1, -2.5, null, ?, :x, [a, 1], {a, b}, {a: 1, 'k': b}, {}, (a, b), "
            "(int) 1, (frozen<list<int>>) [1], (text) ?, [] FROM t");
    assert_const(sel(st, 0)->term, CQL_CONST_STRING, "a");
    assert_const(sel(st, 1)->term, CQL_CONST_INTEGER, "1");
    assert_const(sel(st, 2)->term, CQL_CONST_FLOAT, "-2.5");
    assert_const(sel(st, 3)->term, CQL_CONST_NULL, "null");
    assert_bind(sel(st, 4)->term, 0, NULL);
    assert_bind(sel(st, 5)->term, 1, "x");
    f = sel(st, 6);
    assert_int_equal(f->kind, CQL_SEL_LIST);
    assert_int_equal(f->list.n_items, 2);
    assert_column(f->list.items[0], "a");
    f = sel(st, 7);
    assert_int_equal(f->kind, CQL_SEL_SET);
    assert_int_equal(f->list.n_items, 2);
    f = sel(st, 8);
    assert_int_equal(f->kind, CQL_SEL_MAP);
    assert_int_equal(f->map.n_entries, 2);
    assert_column(f->map.keys[0], "a");
    assert_column(f->map.values[1], "b");
    f = sel(st, 9);
    assert_int_equal(f->kind, CQL_SEL_SET);
    assert_int_equal(f->list.n_items, 0);
    f = sel(st, 10);
    assert_int_equal(f->kind, CQL_SEL_TUPLE);
    assert_int_equal(f->list.n_items, 2);
    f = sel(st, 11);
    assert_int_equal(f->kind, CQL_SEL_TYPE_HINT);
    assert_int_equal(f->hint.type->native, CQL_NATIVE_INT);
    assert_const(f->hint.arg->term, CQL_CONST_INTEGER, "1");
    f = sel(st, 12);
    assert_int_equal(f->hint.type->kind, CQL_TYPE_LIST);
    assert_true(f->hint.type->frozen);
    assert_int_equal(f->hint.arg->kind, CQL_SEL_LIST);
    assert_bind(sel(st, 13)->hint.arg->term, 2, NULL);
    assert_int_equal(sel(st, 14)->kind, CQL_SEL_LIST);
    assert_int_equal(sel(st, 14)->list.n_items, 0);
    assert_int_equal(st->n_binds, 3);

    /* "(text)" alone is the column text in parentheses, not a type hint */
    st = ok("SELECT (text), (date), (ttl), (udt) {a: 1}, (ks.udt) x FROM t");
    f = sel(st, 0);
    assert_int_equal(f->kind, CQL_SEL_TUPLE);
    assert_int_equal(f->list.n_items, 1);
    assert_column(f->list.items[0], "text");
    assert_column(sel(st, 1)->list.items[0], "date");
    assert_column(sel(st, 2)->list.items[0], "ttl");
    f = sel(st, 3);
    assert_int_equal(f->kind, CQL_SEL_TYPE_HINT);
    assert_int_equal(f->hint.type->kind, CQL_TYPE_UDT);
    assert_qname(f->hint.type->udt, NULL, "udt");
    assert_int_equal(f->hint.arg->kind, CQL_SEL_MAP);
    assert_qname(sel(st, 4)->hint.type->udt, "ks", "udt");
    assert_column(sel(st, 4)->hint.arg, "x");
    /* as in Cassandra, "as" is a column name too: "(date) AS" is the hint
     * (date) applied to the column as */
    bad("SELECT (date) AS d FROM t", "mismatched input 'd' expecting K_FROM");
    st = ok("SELECT (set<int>) {1}, (list) FROM t");
    assert_int_equal(sel(st, 0)->hint.type->kind, CQL_TYPE_SET);
    assert_column(sel(st, 1)->list.items[0], "list");

    /* unreserved keywords are column names; reserved ones must be quoted */
    st = ok("SELECT key, type, value, ttl, writetime, maxwritetime, count, filtering, json, "
            "distinct, as, cast, keys, timestamp, text, vector, ann FROM t");
    const char *kw[] = {"key",   "type",      "value", "ttl",      "writetime", "maxwritetime",
                        "count", "filtering", "json",  "distinct", "as",        "cast",
                        "keys",  "timestamp", "text",  "vector",   "ann"};
    assert_int_equal(st->select.n_selectors, (int)(sizeof(kw) / sizeof(kw[0])));
    for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
        assert_column(sel(st, (int)i), kw[i]);
    assert_false(st->select.json);
    bad_at("SELECT select FROM t", 1, 7, "line 1:7 no viable alternative at input 'select'");
    bad("SELECT a, from FROM t", "no viable alternative at input 'from'");
    st = ok("SELECT \"select\", \"FROM\" FROM \"where\"");
    assert_column(sel(st, 0), "select");
    assert_column(sel(st, 1), "FROM");
    assert_qname(st->select.table, NULL, "where");
    /* not function names in Parser.g's allowedFunctionName */
    bad("SELECT key(1) FROM t", "mismatched input '(' expecting K_FROM");
}

static void test_select_tail(void **state)
{
    (void)state;
    struct cql_stmt *st =
        ok("SELECT * FROM t WHERE k = 1 GROUP BY k, c, floor(t, 1h) ORDER BY c ASC, d DESC, e "
           "PER PARTITION LIMIT 2 LIMIT 10 ALLOW FILTERING");
    struct cql_select *s = &st->select;
    assert_int_equal(s->n_group_by, 3);
    assert_column(s->group_by[0], "k");
    assert_int_equal(s->group_by[2]->kind, CQL_SEL_FUNCTION);
    assert_qname(s->group_by[2]->func.name, NULL, "floor");
    assert_const(s->group_by[2]->func.args[1]->term, CQL_CONST_DURATION, "1h");
    assert_int_equal(s->n_order_by, 3);
    assert_str(s->order_by[0]->column, "c");
    assert_false(s->order_by[0]->desc);
    assert_str(s->order_by[1]->column, "d");
    assert_true(s->order_by[1]->desc);
    assert_false(s->order_by[2]->desc);
    assert_null(s->order_by[2]->ann);
    assert_const(s->per_partition_limit, CQL_CONST_INTEGER, "2");
    assert_const(s->limit, CQL_CONST_INTEGER, "10");
    assert_true(s->allow_filtering);

    st = ok("SELECT * FROM t ORDER BY v ANN OF [1.0, 2.5] LIMIT ?");
    s = &st->select;
    assert_int_equal(s->n_order_by, 1);
    assert_int_equal(s->order_by[0]->ann->kind, CQL_TERM_LIST);
    assert_int_equal(s->order_by[0]->ann->list.n_items, 2);
    assert_bind(s->limit, 0, NULL);
    st = ok("SELECT * FROM t ORDER BY v ANN OF ? DESC");
    assert_true(st->select.order_by[0]->desc);
    assert_bind(st->select.order_by[0]->ann, 0, NULL);
    assert_int_equal(st->binds[0].ctx, CQL_BIND_ORDER_ANN);
    assert_ptr_equal(st->binds[0].owner, st->select.order_by[0]);

    st = ok("SELECT * FROM t PER PARTITION LIMIT ? LIMIT :lim");
    s = &st->select;
    assert_bind(s->per_partition_limit, 0, NULL);
    assert_bind(s->limit, 1, "lim");
    assert_int_equal(st->binds[0].ctx, CQL_BIND_PER_PARTITION);
    assert_int_equal(st->binds[1].ctx, CQL_BIND_LIMIT);
    assert_ptr_equal(st->binds[1].owner, s);
    st = ok("SELECT * FROM t LIMIT -1");
    assert_const(st->select.limit, CQL_CONST_INTEGER, "-1");

    bad("SELECT * FROM t LIMIT 1.5", "no viable alternative at input '1.5'");
    bad("SELECT * FROM t LIMIT 0x10", "no viable alternative at input '0x10'");
    bad("SELECT * FROM t LIMIT 'a'", "no viable alternative at input ''a''");
    bad("SELECT * FROM t LIMIT 1 + 1", "mismatched input '+' expecting EOF");
    bad("SELECT * FROM t LIMIT", "line 0:-1 no viable alternative at input '<EOF>'");
    bad("SELECT * FROM t ALLOW", "line 0:-1 mismatched input '<EOF>' expecting K_FILTERING");
    bad("SELECT * FROM t ORDER c", "mismatched input 'c' expecting K_BY");
    bad("SELECT * FROM t PER LIMIT 1", "mismatched input 'LIMIT' expecting K_PARTITION");
    bad("SELECT * FROM t LIMIT 1 WHERE a = 1", "mismatched input 'WHERE' expecting EOF");
    bad("SELECT * FROM t ORDER BY c ANN [1]", "mismatched input '[' expecting K_OF");
    bad("SELECT * FROM t ORDER BY c DESC ASC", "mismatched input 'ASC' expecting EOF");
    bad("SELECT * FROM t GROUP BY", "line 0:-1 no viable alternative at input '<EOF>'");
}

/* ------------------------------------------------------------ WHERE */

static void test_where(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("SELECT * FROM t WHERE a = 1 AND b < 2 AND c <= 3 AND d > 4 AND "
                             "e >= 5 AND f != 6 AND \"G\" = 'x'");
    struct cql_select *s = &st->select;
    static const enum cql_op ops[] = {CQL_OP_EQ,  CQL_OP_LT,  CQL_OP_LTE, CQL_OP_GT,
                                      CQL_OP_GTE, CQL_OP_NEQ, CQL_OP_EQ};
    assert_int_equal(s->n_where, 7);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(s->where[i]->kind, CQL_REL_SINGLE);
        assert_int_equal(s->where[i]->op, ops[i]);
        assert_int_equal(s->where[i]->n_columns, 1);
    }
    assert_str(s->where[0]->columns[0], "a");
    assert_const(s->where[5]->value, CQL_CONST_INTEGER, "6");
    assert_str(s->where[6]->columns[0], "G");

    st = ok("SELECT * FROM t WHERE a IN (1, 2, ?) AND b IN () AND c IN ? AND d IN :l");
    s = &st->select;
    struct cql_relation *r = s->where[0];
    assert_int_equal(r->op, CQL_OP_IN);
    assert_false(r->in_marker);
    assert_null(r->value);
    assert_int_equal(r->n_in_values, 3);
    assert_const(r->in_values[1], CQL_CONST_INTEGER, "2");
    assert_bind(r->in_values[2], 0, NULL);
    assert_false(st->binds[0].is_in_list);
    r = s->where[1];
    assert_int_equal(r->op, CQL_OP_IN);
    assert_int_equal(r->n_in_values, 0);
    assert_false(r->in_marker);
    r = s->where[2];
    assert_true(r->in_marker);
    assert_bind(r->value, 1, NULL);
    assert_true(st->binds[1].is_in_list);
    r = s->where[3];
    assert_true(r->in_marker);
    assert_bind(r->value, 2, "l");
    assert_true(st->binds[2].is_in_list);

    st = ok("SELECT * FROM t WHERE s CONTAINS 1 AND m CONTAINS KEY 'k' AND t LIKE 'a%' AND "
            "u IS NOT NULL AND m['k'] = 'v' AND m[?] >= ?");
    s = &st->select;
    assert_int_equal(s->where[0]->op, CQL_OP_CONTAINS);
    assert_const(s->where[0]->value, CQL_CONST_INTEGER, "1");
    assert_int_equal(s->where[1]->op, CQL_OP_CONTAINS_KEY);
    assert_const(s->where[1]->value, CQL_CONST_STRING, "k");
    assert_int_equal(s->where[2]->op, CQL_OP_LIKE);
    assert_const(s->where[2]->value, CQL_CONST_STRING, "a%");
    assert_int_equal(s->where[3]->op, CQL_OP_IS_NOT);
    assert_const(s->where[3]->value, CQL_CONST_NULL, "null");
    r = s->where[4];
    assert_int_equal(r->kind, CQL_REL_MAP_ELEMENT);
    assert_str(r->columns[0], "m");
    assert_const(r->key, CQL_CONST_STRING, "k");
    assert_const(r->value, CQL_CONST_STRING, "v");
    r = s->where[5];
    assert_int_equal(r->op, CQL_OP_GTE);
    assert_bind(r->key, 0, NULL);
    assert_bind(r->value, 1, NULL);

    st = ok("SELECT * FROM t WHERE token(a, b) > ? AND TOKEN(a, b) <= token(1, 2)");
    r = st->select.where[0];
    assert_int_equal(r->kind, CQL_REL_TOKEN);
    assert_int_equal(r->op, CQL_OP_GT);
    assert_int_equal(r->n_columns, 2);
    assert_str(r->columns[1], "b");
    assert_bind(r->value, 0, NULL);
    r = st->select.where[1];
    assert_int_equal(r->value->kind, CQL_TERM_FUNCTION);
    assert_qname(r->value->func.name, NULL, "token");
    assert_int_equal(r->value->func.n_args, 2);

    st = ok("SELECT * FROM t WHERE (a, b) > (1, 2) AND (a, \"B\") <= ? AND (c) = (3)");
    r = st->select.where[0];
    assert_int_equal(r->kind, CQL_REL_MULTI);
    assert_int_equal(r->op, CQL_OP_GT);
    assert_int_equal(r->n_columns, 2);
    assert_str(r->columns[0], "a");
    assert_int_equal(r->value->kind, CQL_TERM_TUPLE);
    assert_int_equal(r->value->list.n_items, 2);
    r = st->select.where[1];
    assert_str(r->columns[1], "B");
    assert_bind(r->value, 0, NULL);
    r = st->select.where[2];
    assert_int_equal(r->n_columns, 1);
    assert_int_equal(r->value->list.n_items, 1);

    st = ok("SELECT * FROM t WHERE (a, b) IN ((1, 2), (3, 4)) AND (c, d) IN ? AND (e, f) IN () "
            "AND (g, h) IN (?, :x)");
    r = st->select.where[0];
    assert_int_equal(r->kind, CQL_REL_MULTI);
    assert_int_equal(r->op, CQL_OP_IN);
    assert_int_equal(r->n_in_values, 2);
    assert_int_equal(r->in_values[1]->kind, CQL_TERM_TUPLE);
    assert_const(r->in_values[1]->list.items[0], CQL_CONST_INTEGER, "3");
    r = st->select.where[1];
    assert_true(r->in_marker);
    assert_bind(r->value, 0, NULL);
    assert_true(st->binds[0].is_in_list);
    r = st->select.where[2];
    assert_int_equal(r->n_in_values, 0);
    assert_false(r->in_marker);
    r = st->select.where[3];
    assert_int_equal(r->n_in_values, 2);
    assert_bind(r->in_values[0], 1, NULL);
    assert_bind(r->in_values[1], 2, "x");
    assert_false(st->binds[1].is_in_list);

    /* parenthesised relations are flattened */
    st = ok("SELECT * FROM t WHERE (a = 1) AND ((b > 2)) AND ((c, d) = (1, 2)) AND (token(k) > 0)");
    s = &st->select;
    assert_int_equal(s->n_where, 4);
    assert_str(s->where[0]->columns[0], "a");
    assert_int_equal(s->where[1]->op, CQL_OP_GT);
    assert_int_equal(s->where[2]->kind, CQL_REL_MULTI);
    assert_int_equal(s->where[3]->kind, CQL_REL_TOKEN);

    st = ok("SELECT * FROM t WHERE expr(my_idx, 'v') AND k = 1 AND expr(\"Idx\", ?)");
    r = st->select.where[0];
    assert_int_equal(r->kind, CQL_REL_CUSTOM);
    assert_str(r->index, "my_idx");
    assert_const(r->value, CQL_CONST_STRING, "v");
    assert_str(st->select.where[2]->index, "Idx");
    assert_bind(st->select.where[2]->value, 0, NULL);

    /* unreserved keywords as columns, on both sides of CONTAINS KEY */
    st = ok("SELECT * FROM t WHERE key = 1 AND type IN (1) AND contains CONTAINS 2");
    assert_str(st->select.where[0]->columns[0], "key");
    assert_str(st->select.where[2]->columns[0], "contains");
    assert_int_equal(st->select.where[2]->op, CQL_OP_CONTAINS);
}

static void test_where_invalid(void **state)
{
    (void)state;
    bad("SELECT * FROM t WHERE", "line 0:-1 no viable alternative at input '<EOF>'");
    bad("SELECT * FROM t WHERE a", "no viable alternative at input '<EOF>'");
    bad("SELECT * FROM t WHERE a = 1 AND", "no viable alternative at input '<EOF>'");
    bad("SELECT * FROM t WHERE a == 1", "no viable alternative at input '='");
    bad("SELECT * FROM t WHERE a = b", "no viable alternative at input 'b'");
    bad("SELECT * FROM t WHERE a IN 1", "mismatched input '1' expecting '('");
    bad("SELECT * FROM t WHERE a IN (1", "line 0:-1 mismatched input '<EOF>' expecting ')'");
    bad("SELECT * FROM t WHERE a IS NULL", "mismatched input 'NULL' expecting K_NOT");
    bad("SELECT * FROM t WHERE a OR b", "no viable alternative at input 'OR'");
    bad("SELECT * FROM t WHERE a = 1 OR b = 2", "mismatched input 'OR' expecting EOF");
    /* map element: only relationType (Parser.g) */
    bad("SELECT * FROM t WHERE m['k'] IN (1, 2)", "no viable alternative at input 'IN'");
    bad("SELECT * FROM t WHERE m['k'] CONTAINS 1", "no viable alternative at input 'CONTAINS'");
    /* multi-column values are tuple literals or markers */
    bad("SELECT * FROM t WHERE (a, b) = 1", "no viable alternative at input '1'");
    bad("SELECT * FROM t WHERE (a, b) > (int) 5", "no viable alternative at input 'int'");
    bad("SELECT * FROM t WHERE (a, b) IN (1, 2)", "no viable alternative at input '1'");
    bad("SELECT * FROM t WHERE (a, b) IN ((1, 2), ?)", "mismatched input '?' expecting '('");
    bad("SELECT * FROM t WHERE (a, b) IN (?, (1, 2))", "no viable alternative at input '('");
    bad("SELECT * FROM t WHERE (a, b) CONTAINS 1", "no viable alternative at input 'CONTAINS'");
    bad("SELECT * FROM t WHERE token(a) IN (1)", "no viable alternative at input 'IN'");
    bad("SELECT * FROM t WHERE token a > 1", "no viable alternative at input 'token'");
    bad("SELECT * FROM t WHERE expr (i, 'v')", "no viable alternative at input '('");
    bad("SELECT * FROM t WHERE (a = 1", "line 0:-1 mismatched input '<EOF>' expecting ')'");
    bad("SELECT * FROM t WHERE select = 1", "no viable alternative at input 'select'");
}

/* ------------------------------------------------------------ terms */

static void test_constants(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        enum cql_const_kind kind;
        const char *text;
    } cases[] = {
        {"'abc'", CQL_CONST_STRING, "abc"},
        {"'it''s'", CQL_CONST_STRING, "it's"},
        {"''", CQL_CONST_STRING, ""},
        {"''''", CQL_CONST_STRING, "'"},
        {"$$a'b$c$$", CQL_CONST_STRING, "a'b$c"},
        {"$$$$", CQL_CONST_STRING, ""},
        {"'h\xc3\xa9'", CQL_CONST_STRING, "h\xc3\xa9"},
        {"0", CQL_CONST_INTEGER, "0"},
        {"42", CQL_CONST_INTEGER, "42"},
        {"-17", CQL_CONST_INTEGER, "-17"},
        {"123456789012345678901234567890", CQL_CONST_INTEGER, "123456789012345678901234567890"},
        {"1.5", CQL_CONST_FLOAT, "1.5"},
        {"-0.25", CQL_CONST_FLOAT, "-0.25"},
        {"1e10", CQL_CONST_FLOAT, "1e10"},
        {"2.5E-3", CQL_CONST_FLOAT, "2.5E-3"},
        {"-1.0e+2", CQL_CONST_FLOAT, "-1.0e+2"},
        {"1.", CQL_CONST_FLOAT, "1."},
        {"NaN", CQL_CONST_NAN, "NaN"},
        {"nan", CQL_CONST_NAN, "nan"},
        {"-NaN", CQL_CONST_NAN, "-NaN"},
        {"Infinity", CQL_CONST_INFINITY, "Infinity"},
        {"-Infinity", CQL_CONST_INFINITY, "-Infinity"},
        {"true", CQL_CONST_BOOLEAN, "true"},
        {"FALSE", CQL_CONST_BOOLEAN, "FALSE"},
        {"TrUe", CQL_CONST_BOOLEAN, "TrUe"},
        {"123e4567-e89b-12d3-a456-426614174000", CQL_CONST_UUID,
         "123e4567-e89b-12d3-a456-426614174000"},
        {"ABCDEF01-e89b-12d3-a456-426614174000", CQL_CONST_UUID,
         "ABCDEF01-e89b-12d3-a456-426614174000"},
        {"0x", CQL_CONST_HEX, "0x"},
        {"0xCAFEbabe", CQL_CONST_HEX, "0xCAFEbabe"},
        {"1h30m", CQL_CONST_DURATION, "1h30m"},
        {"-3d", CQL_CONST_DURATION, "-3d"},
        {"12ms", CQL_CONST_DURATION, "12ms"},
        {"1y2mo", CQL_CONST_DURATION, "1y2mo"},
        {"2us5ns", CQL_CONST_DURATION, "2us5ns"},
        {"P1DT2H", CQL_CONST_DURATION, "P1DT2H"},
        {"P2W", CQL_CONST_DURATION, "P2W"},
        {"PT10S", CQL_CONST_DURATION, "PT10S"},
        {"-P1Y2M", CQL_CONST_DURATION, "-P1Y2M"},
        {"P0001-02-03T04:05:06", CQL_CONST_DURATION, "P0001-02-03T04:05:06"},
        {"NULL", CQL_CONST_NULL, "null"},
        {"null", CQL_CONST_NULL, "null"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cql_term *t = term_of(cases[i].in);
        if (t->kind != CQL_TERM_CONST || t->constant.kind != cases[i].kind ||
            strcmp(t->constant.text, cases[i].text) != 0)
            fail_msg("%s: kind %d/%d text %s", cases[i].in, t->kind, t->constant.kind,
                     t->kind == CQL_TERM_CONST ? t->constant.text : "-");
        assert_int_equal(t->constant.len, strlen(cases[i].text));
        assert_int_equal(t->line, 1);
        assert_int_equal(t->col, 26);
    }
    /* string literals may hold NUL bytes: len says how many */
    static const char q[] = "SELECT * FROM t WHERE a = 'x\0y'";
    struct cql_stmt *st = NULL;
    cql_parse_error e;
    assert_int_equal(cql_parse(q, sizeof(q) - 1, &A, &st, &e), 0);
    struct cql_term *t = st->select.where[0]->value;
    assert_int_equal(t->constant.kind, CQL_CONST_STRING);
    assert_int_equal(t->constant.len, 3);
    assert_memory_equal(t->constant.text, "x\0y", 4);

    bad("SELECT * FROM t WHERE a = - - 1", "no viable alternative at input '-'");
    bad("SELECT * FROM t WHERE a = 1 -1", "mismatched input '-1' expecting EOF");
    bad("SELECT * FROM t WHERE a = TRUE1", "no viable alternative at input 'TRUE1'");
}

static void test_terms(void **state)
{
    (void)state;
    struct cql_term *t = term_of("[1, 'a', [2], ?]");
    assert_int_equal(t->kind, CQL_TERM_LIST);
    assert_int_equal(t->list.n_items, 4);
    assert_const(t->list.items[1], CQL_CONST_STRING, "a");
    assert_int_equal(t->list.items[2]->kind, CQL_TERM_LIST);
    assert_bind(t->list.items[3], 0, NULL);
    t = term_of("[]");
    assert_int_equal(t->kind, CQL_TERM_LIST);
    assert_int_equal(t->list.n_items, 0);

    t = term_of("{1, 2, 3}");
    assert_int_equal(t->kind, CQL_TERM_SET);
    assert_int_equal(t->list.n_items, 3);
    t = term_of("{}");
    assert_int_equal(t->kind, CQL_TERM_SET);
    assert_int_equal(t->list.n_items, 0);

    t = term_of("{'a': 1, 'b': {2: [3]}, ?: :v}");
    assert_int_equal(t->kind, CQL_TERM_MAP);
    assert_int_equal(t->map.n_entries, 3);
    assert_const(t->map.keys[0], CQL_CONST_STRING, "a");
    assert_const(t->map.values[0], CQL_CONST_INTEGER, "1");
    assert_int_equal(t->map.values[1]->kind, CQL_TERM_MAP);
    assert_int_equal(t->map.values[1]->map.values[0]->kind, CQL_TERM_LIST);
    assert_bind(t->map.keys[2], 0, NULL);
    assert_bind(t->map.values[2], 1, "v");

    t = term_of("{f: 1, \"G\": 'x', key: {a: 2}}");
    assert_int_equal(t->kind, CQL_TERM_UDT);
    assert_int_equal(t->udt.n_fields, 3);
    assert_str(t->udt.fields[0], "f");
    assert_str(t->udt.fields[1], "G");
    assert_str(t->udt.fields[2], "key");
    assert_const(t->udt.values[1], CQL_CONST_STRING, "x");
    assert_int_equal(t->udt.values[2]->kind, CQL_TERM_UDT);

    t = term_of("(1, 'a', (2, 3), null)");
    assert_int_equal(t->kind, CQL_TERM_TUPLE);
    assert_int_equal(t->list.n_items, 4);
    assert_int_equal(t->list.items[2]->kind, CQL_TERM_TUPLE);
    assert_const(t->list.items[3], CQL_CONST_NULL, "null");
    t = term_of("('org.Foo')");
    assert_int_equal(t->kind, CQL_TERM_TUPLE);
    assert_int_equal(t->list.n_items, 1);

    t = term_of("now()");
    assert_int_equal(t->kind, CQL_TERM_FUNCTION);
    assert_qname(t->func.name, NULL, "now");
    assert_int_equal(t->func.n_args, 0);
    t = term_of("Ks.\"F\"(1, ?, g(2))");
    assert_qname(t->func.name, "ks", "F");
    assert_int_equal(t->func.n_args, 3);
    assert_int_equal(t->func.args[2]->kind, CQL_TERM_FUNCTION);
    t = term_of("system.token(1)");
    assert_qname(t->func.name, "system", "token");
    t = term_of("blob(1)");
    assert_qname(t->func.name, NULL, "blob");

    t = term_of("(int) ?");
    assert_int_equal(t->kind, CQL_TERM_TYPE_HINT);
    assert_int_equal(t->hint.type->native, CQL_NATIVE_INT);
    t = term_of("(frozen<list<int>>) [1]");
    assert_int_equal(t->hint.type->kind, CQL_TYPE_LIST);
    assert_true(t->hint.type->frozen);
    assert_int_equal(t->hint.arg->kind, CQL_TERM_LIST);
    t = term_of("(ks.addr) {street: 'x'}");
    assert_qname(t->hint.type->udt, "ks", "addr");
    assert_int_equal(t->hint.arg->kind, CQL_TERM_UDT);
    t = term_of("(key) ?");
    assert_qname(t->hint.type->udt, NULL, "key");
    t = term_of("('org.Foo') ?");
    assert_int_equal(t->hint.type->kind, CQL_TYPE_CUSTOM);
    assert_str(t->hint.type->custom, "org.Foo");
    t = term_of("(int) (bigint) 1");
    assert_int_equal(t->hint.arg->kind, CQL_TERM_TYPE_HINT);

    t = term_of("CAST(? AS int)");
    assert_int_equal(t->kind, CQL_TERM_CAST);
    assert_int_equal(t->cast.type, CQL_NATIVE_INT);
    assert_bind(t->cast.arg, 0, NULL);
    bad("SELECT * FROM t WHERE a = CAST(1 + 2 AS int)", "mismatched input '+' expecting K_AS");

    t = term_of("1 + 2 * 3 - -4 % ?");
    assert_int_equal(t->kind, CQL_TERM_BINOP);
    assert_int_equal(t->binop.op, '-');
    assert_int_equal(t->binop.left->binop.op, '+');
    assert_int_equal(t->binop.left->binop.right->binop.op, '*');
    assert_int_equal(t->binop.right->binop.op, '%');
    assert_const(t->binop.right->binop.left, CQL_CONST_INTEGER, "-4");
    t = term_of("- ?");
    assert_int_equal(t->kind, CQL_TERM_NEGATE);
    assert_bind(t->negate.arg, 0, NULL);
    t = term_of("-(1, 2)");
    assert_int_equal(t->negate.arg->kind, CQL_TERM_TUPLE);
    t = term_of("[1] + [2] / 3");
    assert_int_equal(t->binop.op, '+');
    assert_int_equal(t->binop.right->binop.op, '/');

    /* terms know where they start */
    struct cql_stmt *st = ok("SELECT * FROM t\nWHERE a = [1,\n  ?]");
    t = st->select.where[0]->value;
    assert_int_equal(t->line, 2);
    assert_int_equal(t->col, 10);
    assert_int_equal(t->list.items[1]->line, 3);
    assert_int_equal(t->list.items[1]->col, 2);

    bad("SELECT * FROM t WHERE a = [1, 2", "line 0:-1 mismatched input '<EOF>' expecting ']'");
    bad("SELECT * FROM t WHERE a = {1: 2, 3}", "mismatched input '}' expecting ':'");
    bad("SELECT * FROM t WHERE a = {1, 2: 3}", "mismatched input ':' expecting '}'");
    bad("SELECT * FROM t WHERE a = {f: 1, 2: 3}", "no viable alternative at input '2'");
    bad("SELECT * FROM t WHERE a = (byte) ?", "no viable alternative at input 'byte'");
    bad("SELECT * FROM t WHERE a = ()", "no viable alternative at input ')'");
    bad("SELECT * FROM t WHERE a = f(x)", "no viable alternative at input 'x'");
}

/* ------------------------------------------------------------ types */

static void test_types(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum cql_native n;
    } natives[] = {
        {"ascii", CQL_NATIVE_ASCII},       {"BIGINT", CQL_NATIVE_BIGINT},
        {"blob", CQL_NATIVE_BLOB},         {"boolean", CQL_NATIVE_BOOLEAN},
        {"counter", CQL_NATIVE_COUNTER},   {"date", CQL_NATIVE_DATE},
        {"decimal", CQL_NATIVE_DECIMAL},   {"double", CQL_NATIVE_DOUBLE},
        {"duration", CQL_NATIVE_DURATION}, {"float", CQL_NATIVE_FLOAT},
        {"inet", CQL_NATIVE_INET},         {"Int", CQL_NATIVE_INT},
        {"smallint", CQL_NATIVE_SMALLINT}, {"text", CQL_NATIVE_TEXT},
        {"time", CQL_NATIVE_TIME},         {"timestamp", CQL_NATIVE_TIMESTAMP},
        {"timeuuid", CQL_NATIVE_TIMEUUID}, {"tinyint", CQL_NATIVE_TINYINT},
        {"uuid", CQL_NATIVE_UUID},         {"varchar", CQL_NATIVE_VARCHAR},
        {"varint", CQL_NATIVE_VARINT},
    };
    for (size_t i = 0; i < sizeof(natives) / sizeof(natives[0]); i++) {
        struct cql_type *ty = type_of(natives[i].name);
        assert_int_equal(ty->kind, CQL_TYPE_NATIVE);
        if (ty->native != natives[i].n) fail_msg("%s: %d", natives[i].name, ty->native);
        assert_false(ty->frozen);
    }

    struct cql_type *ty = type_of("list<int>");
    assert_int_equal(ty->kind, CQL_TYPE_LIST);
    assert_int_equal(ty->n_params, 1);
    assert_int_equal(ty->params[0]->native, CQL_NATIVE_INT);
    ty = type_of("set<text>");
    assert_int_equal(ty->kind, CQL_TYPE_SET);
    assert_int_equal(ty->params[0]->native, CQL_NATIVE_TEXT);
    ty = type_of("map<text, frozen<list<int>>>");
    assert_int_equal(ty->kind, CQL_TYPE_MAP);
    assert_int_equal(ty->n_params, 2);
    assert_int_equal(ty->params[1]->kind, CQL_TYPE_LIST);
    assert_true(ty->params[1]->frozen);
    assert_false(ty->frozen);
    ty = type_of("tuple<int, text, tuple<uuid>>");
    assert_int_equal(ty->kind, CQL_TYPE_TUPLE);
    assert_int_equal(ty->n_params, 3);
    assert_int_equal(ty->params[2]->kind, CQL_TYPE_TUPLE);
    ty = type_of("frozen<tuple<int>>");
    assert_true(ty->frozen);
    assert_int_equal(ty->kind, CQL_TYPE_TUPLE);
    ty = type_of("vector<float, 3>");
    assert_int_equal(ty->kind, CQL_TYPE_VECTOR);
    assert_int_equal(ty->vector_dim, 3);
    assert_int_equal(ty->n_params, 1);
    assert_int_equal(ty->params[0]->native, CQL_NATIVE_FLOAT);
    ty = type_of("vector<vector<int, 2>, -1>");
    assert_int_equal(ty->vector_dim, -1);
    assert_int_equal(ty->params[0]->vector_dim, 2);
    ty = type_of("vector<int, 99999999999999999999>");
    assert_true(ty->vector_dim > 1000000);
    ty = type_of("Addr");
    assert_int_equal(ty->kind, CQL_TYPE_UDT);
    assert_qname(ty->udt, NULL, "addr");
    ty = type_of("Ks.\"Addr\"");
    assert_qname(ty->udt, "ks", "Addr");
    ty = type_of("frozen<ks.addr>");
    assert_true(ty->frozen);
    assert_qname(ty->udt, "ks", "addr");
    ty = type_of("type");
    assert_qname(ty->udt, NULL, "type");
    ty = type_of("'org.apache.cassandra.db.marshal.UTF8Type'");
    assert_int_equal(ty->kind, CQL_TYPE_CUSTOM);
    assert_str(ty->custom, "org.apache.cassandra.db.marshal.UTF8Type");

    /* through parser_ddl.c's ALTER TABLE ADD, which uses the core's parse_type */
    struct cql_stmt *st = ok("ALTER TABLE t ADD v map<frozen<set<int>>, 'a.B'>");
    assert_int_equal(st->alter_table.n_add, 1);
    ty = st->alter_table.add[0]->type;
    assert_int_equal(ty->kind, CQL_TYPE_MAP);
    assert_true(ty->params[0]->frozen);
    assert_int_equal(ty->params[1]->kind, CQL_TYPE_CUSTOM);
    bad_exact("ALTER TABLE t ADD c byte", "Invalid (reserved) user type name byte");
    bad_exact("ALTER TABLE t ADD c ks.interval", "Invalid (reserved) user type name interval");
    ok("ALTER TABLE t ADD c \"byte\"");
    bad("ALTER TABLE t ADD c ttl", "no viable alternative at input 'ttl'");
    bad("ALTER TABLE t ADD c list<int", "line 0:-1 mismatched input '<EOF>' expecting '>'");
    bad("ALTER TABLE t ADD c map<int>", "mismatched input '>' expecting ','");
    bad("ALTER TABLE t ADD c vector<float>", "mismatched input '>' expecting ','");
    bad("ALTER TABLE t ADD c vector<float, 1.5>", "mismatched input '1.5' expecting INTEGER");
    bad("ALTER TABLE t ADD c tuple<>", "no viable alternative at input '>'");
    bad("ALTER TABLE t ADD c frozen", "mismatched input '<EOF>' expecting '<'");
    bad("ALTER TABLE t ADD c list<select>", "no viable alternative at input 'select'");
}

/* ------------------------------------------------------------ INSERT */

static void test_insert(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("INSERT INTO ks.t (k, \"V\", key) VALUES (1, 'a', ?)");
    assert_int_equal(st->kind, CQL_STMT_INSERT);
    struct cql_insert *in = &st->insert;
    assert_qname(in->table, "ks", "t");
    assert_false(in->json);
    assert_int_equal(in->n_columns, 3);
    assert_str(in->columns[1], "V");
    assert_str(in->columns[2], "key");
    assert_int_equal(in->n_values, 3);
    assert_const(in->values[0], CQL_CONST_INTEGER, "1");
    assert_bind(in->values[2], 0, NULL);
    assert_false(in->if_not_exists);
    assert_null(in->attrs.ttl);
    assert_null(in->attrs.timestamp);
    assert_int_equal(st->binds[0].ctx, CQL_BIND_INSERT_VALUE);
    assert_ptr_equal(st->binds[0].owner, in);
    assert_int_equal(st->binds[0].value_index, 2);

    st = ok("INSERT INTO t (a, b) VALUES (?, [?, :x]) IF NOT EXISTS USING TTL ? AND TIMESTAMP 5");
    in = &st->insert;
    assert_true(in->if_not_exists);
    assert_bind(in->attrs.ttl, 3, NULL);
    assert_const(in->attrs.timestamp, CQL_CONST_INTEGER, "5");
    assert_int_equal(st->n_binds, 4);
    assert_int_equal(st->binds[0].value_index, 0);
    assert_int_equal(st->binds[1].value_index, 1);
    assert_int_equal(st->binds[2].value_index, 1);
    assert_str(st->binds[2].name, "x");
    assert_int_equal(st->binds[3].ctx, CQL_BIND_TTL);
    assert_ptr_equal(st->binds[3].owner, &in->attrs);
    assert_int_equal(st->binds[3].value_index, -1);

    st = ok("INSERT INTO t (a) VALUES (1) USING TIMESTAMP :ts AND TTL 3");
    in = &st->insert;
    assert_bind(in->attrs.timestamp, 0, "ts");
    assert_const(in->attrs.ttl, CQL_CONST_INTEGER, "3");
    assert_int_equal(st->binds[0].ctx, CQL_BIND_TIMESTAMP);

    /* counts may differ: the executor checks */
    st = ok("INSERT INTO t (a, b) VALUES (1)");
    assert_int_equal(st->insert.n_columns, 2);
    assert_int_equal(st->insert.n_values, 1);

    st = ok("INSERT INTO t JSON '{\"a\": 1}'");
    in = &st->insert;
    assert_true(in->json);
    assert_const(in->json_value, CQL_CONST_STRING, "{\"a\": 1}");
    assert_false(in->default_unset);
    assert_int_equal(in->n_columns, 0);
    st = ok("INSERT INTO t JSON ? DEFAULT UNSET IF NOT EXISTS USING TTL 1");
    in = &st->insert;
    assert_bind(in->json_value, 0, NULL);
    assert_true(in->default_unset);
    assert_true(in->if_not_exists);
    assert_const(in->attrs.ttl, CQL_CONST_INTEGER, "1");
    assert_int_equal(st->binds[0].ctx, CQL_BIND_INSERT_JSON);
    assert_ptr_equal(st->binds[0].owner, in);
    st = ok("INSERT INTO t JSON :j DEFAULT NULL");
    assert_bind(st->insert.json_value, 0, "j");
    assert_false(st->insert.default_unset);

    bad("INSERT INTO t JSON 1", "no viable alternative at input '1'");
    bad("INSERT INTO t JSON '{}' DEFAULT 1", "mismatched input '1' expecting K_NULL");
    bad("INSERT INTO t (a) VALUES ()", "no viable alternative at input ')'");
    bad("INSERT INTO t () VALUES (1)", "no viable alternative at input ')'");
    bad("INSERT INTO t (a) VALUE (1)", "mismatched input 'VALUE' expecting K_VALUES");
    bad("INSERT INTO t (a, b)", "line 0:-1 mismatched input '<EOF>' expecting K_VALUES");
    bad("INSERT t (a) VALUES (1)", "mismatched input 't' expecting K_INTO");
    bad("INSERT INTO t (a) VALUES (1) USING TTL 1 IF NOT EXISTS",
        "mismatched input 'IF' expecting EOF");
    bad("INSERT INTO t (a) VALUES (1) USING TTL 1.5", "no viable alternative at input '1.5'");
    bad("INSERT INTO t (a) VALUES (1) USING TTL", "no viable alternative at input '<EOF>'");
    bad("INSERT INTO t (a) VALUES (1) USING FOO 1", "no viable alternative at input 'FOO'");
    bad("INSERT INTO t (a) VALUES (1) IF EXISTS", "mismatched input 'EXISTS' expecting K_NOT");
    bad("INSERT INTO t (a) VALUES (b)", "no viable alternative at input 'b'");
    bad_exact("INSERT INTO ? (a) VALUES (1)", "Bind variables cannot be used for table names");
    bad_exact("INSERT INTO ?.t (a) VALUES (1)", "Bind variables cannot be used for keyspace names");
}

/* ------------------------------------------------------------ UPDATE */

static void test_update(void **state)
{
    (void)state;
    struct cql_stmt *st = ok(
        "UPDATE ks.t USING TTL 10 AND TIMESTAMP ? SET a = 1, b = b + {1}, c = c - [1], "
        "d = [0] + d, e += 2, f -= 3, m[?] = ?, u.f = 'x', g = g -3, h = h + -1, \"I\" = \"I\" + 1 "
        "WHERE k = ? IF EXISTS");
    assert_int_equal(st->kind, CQL_STMT_UPDATE);
    struct cql_update *u = &st->update;
    assert_qname(u->table, "ks", "t");
    assert_const(u->attrs.ttl, CQL_CONST_INTEGER, "10");
    assert_bind(u->attrs.timestamp, 0, NULL);
    assert_int_equal(u->n_assignments, 11);
    struct cql_assignment **a = u->assignments;
    assert_int_equal(a[0]->kind, CQL_ASSIGN_SET);
    assert_str(a[0]->column, "a");
    assert_const(a[0]->value, CQL_CONST_INTEGER, "1");
    assert_int_equal(a[1]->kind, CQL_ASSIGN_ADD);
    assert_int_equal(a[1]->value->kind, CQL_TERM_SET);
    assert_int_equal(a[2]->kind, CQL_ASSIGN_SUBTRACT);
    assert_int_equal(a[2]->value->kind, CQL_TERM_LIST);
    assert_int_equal(a[3]->kind, CQL_ASSIGN_PREPEND);
    assert_int_equal(a[3]->value->kind, CQL_TERM_LIST);
    assert_int_equal(a[4]->kind, CQL_ASSIGN_ADD);
    assert_const(a[4]->value, CQL_CONST_INTEGER, "2");
    assert_int_equal(a[5]->kind, CQL_ASSIGN_SUBTRACT);
    assert_const(a[5]->value, CQL_CONST_INTEGER, "3");
    assert_int_equal(a[6]->kind, CQL_ASSIGN_SET_ELEMENT);
    assert_bind(a[6]->key, 1, NULL);
    assert_bind(a[6]->value, 2, NULL);
    assert_int_equal(a[7]->kind, CQL_ASSIGN_SET_FIELD);
    assert_str(a[7]->field, "f");
    assert_const(a[7]->value, CQL_CONST_STRING, "x");
    assert_int_equal(a[8]->kind, CQL_ASSIGN_ADD); /* "g -3": the value is -3 */
    assert_const(a[8]->value, CQL_CONST_INTEGER, "-3");
    assert_int_equal(a[9]->kind, CQL_ASSIGN_ADD);
    assert_const(a[9]->value, CQL_CONST_INTEGER, "-1");
    assert_int_equal(a[10]->kind, CQL_ASSIGN_ADD);
    assert_str(a[10]->column, "I");
    assert_int_equal(u->n_where, 1);
    assert_bind(u->where[0]->value, 3, NULL);
    assert_true(u->if_exists);
    assert_int_equal(u->n_conditions, 0);
    assert_int_equal(st->n_binds, 4);
    assert_int_equal(st->binds[0].ctx, CQL_BIND_TIMESTAMP);
    assert_int_equal(st->binds[1].ctx, CQL_BIND_ASSIGNMENT);
    assert_ptr_equal(st->binds[1].owner, a[6]);
    assert_ptr_equal(st->binds[2].owner, a[6]);
    assert_int_equal(st->binds[3].ctx, CQL_BIND_WHERE);
    assert_ptr_equal(st->binds[3].owner, u->where[0]);

    /* a plain value, functions and arithmetic are SET; "x = x" forms fold names */
    st = ok("UPDATE t SET a = b(1) + 2, c = ks.f(?), Key = KEY + 1, d = 1 + ks.f(2) WHERE k = 1");
    a = st->update.assignments;
    assert_int_equal(a[0]->kind, CQL_ASSIGN_SET);
    assert_int_equal(a[0]->value->kind, CQL_TERM_BINOP);
    assert_int_equal(a[1]->kind, CQL_ASSIGN_SET);
    assert_qname(a[1]->value->func.name, "ks", "f");
    assert_int_equal(a[2]->kind, CQL_ASSIGN_ADD);
    assert_str(a[2]->column, "key");
    assert_int_equal(a[3]->kind, CQL_ASSIGN_SET);
    assert_int_equal(a[3]->value->kind, CQL_TERM_BINOP);
    /* "c = c 3" is Parser.g's cident INTEGER alternative too */
    st = ok("UPDATE t SET c = c 3 WHERE k = 1");
    assert_int_equal(st->update.assignments[0]->kind, CQL_ASSIGN_ADD);
    assert_const(st->update.assignments[0]->value, CQL_CONST_INTEGER, "3");

    /* compatible repeats (Operation.RawUpdate.isCompatibleWith) */
    st = ok("UPDATE t SET c = c + 1, c = c + 2, m[1] = 2, m[2] = 3, m = m + {4: 5}, u.a = 1, "
            "u.b = 2 WHERE k = 1");
    assert_int_equal(st->update.n_assignments, 7);
    ok("UPDATE t SET c = 1, \"C\" = 2 WHERE k = 1");

    /* IF conditions */
    st = ok("UPDATE t SET a = 1 WHERE k = 1 IF a = 1 AND m['k'] = ? AND u.f > 3 AND c IN (1, 2) "
            "AND d IN ? AND e CONTAINS 1 AND g CONTAINS KEY 'x' AND m[1] IN (1) AND u.g IN :l "
            "AND h != null");
    u = &st->update;
    assert_false(u->if_exists);
    assert_int_equal(u->n_conditions, 10);
    struct cql_condition **c = u->conditions;
    assert_int_equal(c[0]->kind, CQL_COND_SIMPLE);
    assert_str(c[0]->column, "a");
    assert_int_equal(c[0]->op, CQL_OP_EQ);
    assert_const(c[0]->value, CQL_CONST_INTEGER, "1");
    assert_int_equal(c[1]->kind, CQL_COND_ELEMENT);
    assert_const(c[1]->element, CQL_CONST_STRING, "k");
    assert_bind(c[1]->value, 0, NULL);
    assert_int_equal(c[2]->kind, CQL_COND_FIELD);
    assert_str(c[2]->field, "f");
    assert_int_equal(c[2]->op, CQL_OP_GT);
    assert_int_equal(c[3]->op, CQL_OP_IN);
    assert_int_equal(c[3]->n_in_values, 2);
    assert_false(c[3]->in_marker);
    assert_null(c[3]->value);
    assert_true(c[4]->in_marker);
    assert_bind(c[4]->value, 1, NULL);
    assert_int_equal(c[5]->op, CQL_OP_CONTAINS);
    assert_int_equal(c[6]->op, CQL_OP_CONTAINS_KEY);
    assert_int_equal(c[7]->kind, CQL_COND_ELEMENT);
    assert_int_equal(c[7]->op, CQL_OP_IN);
    assert_int_equal(c[7]->n_in_values, 1);
    assert_int_equal(c[8]->kind, CQL_COND_FIELD);
    assert_true(c[8]->in_marker);
    assert_bind(c[8]->value, 2, "l");
    assert_int_equal(c[9]->op, CQL_OP_NEQ);
    assert_const(c[9]->value, CQL_CONST_NULL, "null");
    assert_int_equal(st->binds[0].ctx, CQL_BIND_CONDITION);
    assert_ptr_equal(st->binds[0].owner, c[1]);
    assert_false(st->binds[0].is_in_list);
    assert_true(st->binds[1].is_in_list);
    assert_true(st->binds[2].is_in_list);
    assert_ptr_equal(st->binds[2].owner, c[8]);
    st = ok("UPDATE t SET a = 1 WHERE k = 1 IF c IN ()");
    assert_int_equal(st->update.conditions[0]->n_in_values, 0);
    assert_false(st->update.conditions[0]->in_marker);
}

static void test_update_invalid(void **state)
{
    (void)state;
    /* Parser.g's addRecognitionError messages: exact, no position */
    bad_exact("UPDATE t SET c = d + 1 WHERE k = 1",
              "Only expressions of the form X = X +<value> are supported.");
    bad_exact("UPDATE t SET c = d - 1 WHERE k = 1",
              "Only expressions of the form X = X -<value> are supported.");
    bad_exact("UPDATE t SET c = d -3 WHERE k = 1",
              "Only expressions of the form X = X - <value> are supported.");
    bad_exact("UPDATE t SET c = d 3 WHERE k = 1",
              "Only expressions of the form X = X + <value> are supported.");
    bad_exact("UPDATE t SET c = 1 + d WHERE k = 1",
              "Only expressions of the form X = <value> + X are supported.");
    bad_exact("UPDATE t SET c = [1] + \"C\" WHERE k = 1",
              "Only expressions of the form X = <value> + X are supported.");
    bad_exact("UPDATE t SET c = c + 1, c = 2 WHERE k = 1",
              "Multiple incompatible setting of column c");
    bad_exact("UPDATE t SET c = 1, C = c + 1 WHERE k = 1",
              "Multiple incompatible setting of column c");
    bad_exact("UPDATE t SET m[1] = 1, m = {} WHERE k = 1",
              "Multiple incompatible setting of column m");
    bad_exact("UPDATE t SET u.a = 1, u.b = 2, u.a = 3 WHERE k = 1",
              "Multiple incompatible setting of column u");
    bad_exact("UPDATE t SET \"U\" = 1, \"U\".a = 2 WHERE k = 1",
              "Multiple incompatible setting of column U");
    /* a syntax error inside the value comes first */
    bad("UPDATE t SET c = d + WHERE k = 1", "no viable alternative at input 'WHERE'");
    /* plain syntax errors */
    bad("UPDATE t SET c = 1 - c WHERE k = 1", "no viable alternative at input 'c'");
    bad("UPDATE t SET c = c WHERE k = 1", "no viable alternative at input 'WHERE'");
    bad("UPDATE t SET c = [1] + c + 2 WHERE k = 1", "mismatched input '+' expecting K_WHERE");
    bad("UPDATE t SET c = c.f WHERE k = 1", "no viable alternative at input 'c'");
    bad("UPDATE t SET c = 1", "line 0:-1 mismatched input '<EOF>' expecting K_WHERE");
    bad("UPDATE t SET WHERE k = 1", "no viable alternative at input 'WHERE'");
    bad("UPDATE t WHERE k = 1", "mismatched input 'WHERE' expecting K_SET");
    bad("UPDATE t SET c = 1 WHERE k = 1 IF NOT EXISTS", "no viable alternative at input 'NOT'");
    bad("UPDATE t SET c = 1 WHERE k = 1 IF", "no viable alternative at input '<EOF>'");
    bad("UPDATE t SET c = 1 WHERE k = 1 IF a", "no viable alternative at input '<EOF>'");
    bad("UPDATE t SET c = 1 WHERE k = 1 IF a IN 1", "mismatched input '1' expecting '('");
    bad("UPDATE t SET c[1] += 1 WHERE k = 1", "mismatched input '+=' expecting '='");
    bad("UPDATE t SET c = 1 USING TTL 1 WHERE k = 1", "mismatched input 'USING' expecting K_WHERE");
    bad("UPDATE t USING TIMESTAMP 1.0 SET c = 1 WHERE k = 1",
        "no viable alternative at input '1.0'");
    bad_exact("UPDATE ? SET c = 1 WHERE k = 1", "Bind variables cannot be used for table names");
}

/* ------------------------------------------------------------ DELETE */

static void test_delete(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("DELETE FROM t WHERE k = 1");
    assert_int_equal(st->kind, CQL_STMT_DELETE);
    struct cql_delete *d = &st->delete_;
    assert_int_equal(d->n_columns, 0);
    assert_qname(d->table, NULL, "t");
    assert_int_equal(d->n_where, 1);
    assert_false(d->if_exists);
    assert_null(d->attrs.timestamp);

    st = ok("DELETE a, m['k'], l[?], u.f, \"B\" FROM ks.t USING TIMESTAMP :ts WHERE k = ? AND "
            "c > 1 IF EXISTS");
    d = &st->delete_;
    assert_int_equal(d->n_columns, 5);
    assert_int_equal(d->columns[0]->kind, CQL_DEL_COLUMN);
    assert_str(d->columns[0]->column, "a");
    assert_int_equal(d->columns[1]->kind, CQL_DEL_ELEMENT);
    assert_const(d->columns[1]->element, CQL_CONST_STRING, "k");
    assert_int_equal(d->columns[2]->kind, CQL_DEL_ELEMENT);
    assert_bind(d->columns[2]->element, 0, NULL);
    assert_int_equal(d->columns[3]->kind, CQL_DEL_FIELD);
    assert_str(d->columns[3]->field, "f");
    assert_str(d->columns[4]->column, "B");
    assert_qname(d->table, "ks", "t");
    assert_bind(d->attrs.timestamp, 1, "ts");
    assert_int_equal(d->n_where, 2);
    assert_true(d->if_exists);
    assert_int_equal(st->n_binds, 3);
    assert_int_equal(st->binds[0].ctx, CQL_BIND_DELETION);
    assert_ptr_equal(st->binds[0].owner, d->columns[2]);
    assert_int_equal(st->binds[1].ctx, CQL_BIND_TIMESTAMP);
    assert_ptr_equal(st->binds[1].owner, &d->attrs);
    assert_int_equal(st->binds[2].ctx, CQL_BIND_WHERE);

    st = ok("DELETE a FROM t WHERE k = 1 IF a = 1 AND m[2] > ?");
    d = &st->delete_;
    assert_int_equal(d->n_conditions, 2);
    assert_int_equal(d->conditions[1]->kind, CQL_COND_ELEMENT);
    assert_int_equal(st->binds[0].ctx, CQL_BIND_CONDITION);

    bad("DELETE a FROM t USING TTL 1 WHERE k = 1", "no viable alternative at input 'TTL'");
    bad("DELETE FROM t", "line 0:-1 mismatched input '<EOF>' expecting K_WHERE");
    bad("DELETE a, FROM t WHERE k = 1", "no viable alternative at input 'FROM'");
    bad("DELETE a b FROM t WHERE k = 1", "mismatched input 'b' expecting K_FROM");
    bad("DELETE * FROM t WHERE k = 1", "no viable alternative at input '*'");
    bad("DELETE FROM t WHERE k = 1 IF", "no viable alternative at input '<EOF>'");
}

/* ------------------------------------------------------------ BATCH */

static void test_batch(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("BEGIN BATCH APPLY BATCH");
    assert_int_equal(st->kind, CQL_STMT_BATCH);
    assert_int_equal(st->batch.type, CQL_BATCH_LOGGED);
    assert_int_equal(st->batch.n_stmts, 0);
    assert_int_equal(st->n_binds, 0);

    st = ok("BEGIN UNLOGGED BATCH USING TIMESTAMP ?\n"
            "  INSERT INTO t (a, b) VALUES (?, :b);\n"
            "  UPDATE t SET a = ? WHERE k = ?\n"
            "  DELETE FROM t WHERE k = 1;\n"
            "  DELETE m[?] FROM t WHERE k IN ?;\n"
            "APPLY BATCH;");
    struct cql_batch *b = &st->batch;
    assert_int_equal(b->type, CQL_BATCH_UNLOGGED);
    assert_bind(b->attrs.timestamp, 0, NULL);
    assert_int_equal(b->n_stmts, 4);
    assert_int_equal(b->stmts[0]->kind, CQL_STMT_INSERT);
    assert_int_equal(b->stmts[1]->kind, CQL_STMT_UPDATE);
    assert_int_equal(b->stmts[2]->kind, CQL_STMT_DELETE);
    assert_int_equal(b->stmts[3]->kind, CQL_STMT_DELETE);
    /* markers are numbered batch-wide; each child sees its own slice */
    assert_int_equal(st->n_binds, 7);
    for (int i = 0; i < st->n_binds; i++)
        assert_int_equal(st->binds[i].index, i);
    assert_int_equal(st->binds[0].stmt_index, -1);
    assert_int_equal(st->binds[0].ctx, CQL_BIND_TIMESTAMP);
    assert_ptr_equal(st->binds[0].owner, &b->attrs);
    static const int stmt_of[] = {-1, 0, 0, 1, 1, 3, 3};
    for (int i = 0; i < 7; i++)
        if (st->binds[i].stmt_index != stmt_of[i])
            fail_msg("bind %d: stmt_index %d", i, st->binds[i].stmt_index);
    struct cql_stmt *c0 = b->stmts[0];
    assert_int_equal(c0->n_binds, 2);
    assert_ptr_equal(c0->binds, &st->binds[1]);
    assert_int_equal(c0->binds[1].index, 2);
    assert_str(c0->binds[1].name, "b");
    assert_int_equal(c0->binds[1].value_index, 1);
    assert_ptr_equal(c0->binds[1].owner, &c0->insert);
    assert_bind(c0->insert.values[1], 2, "b");
    assert_int_equal(b->stmts[1]->n_binds, 2);
    assert_ptr_equal(b->stmts[1]->binds, &st->binds[3]);
    assert_int_equal(b->stmts[1]->binds[0].ctx, CQL_BIND_ASSIGNMENT);
    assert_int_equal(b->stmts[1]->binds[1].ctx, CQL_BIND_WHERE);
    assert_int_equal(b->stmts[2]->n_binds, 0);
    assert_null(b->stmts[2]->binds);
    assert_int_equal(b->stmts[3]->n_binds, 2);
    assert_int_equal(b->stmts[3]->binds[0].ctx, CQL_BIND_DELETION);
    assert_true(b->stmts[3]->binds[1].is_in_list);
    assert_int_equal(b->stmts[3]->binds[1].index, 6);

    /* many markers: the array grows, children still point into the final one */
    char q[8192];
    size_t o = (size_t)snprintf(q, sizeof(q), "BEGIN COUNTER BATCH ");
    for (int i = 0; i < 40; i++)
        o += (size_t)snprintf(q + o, sizeof(q) - o, "UPDATE t SET c = c + ? WHERE k = ? ");
    snprintf(q + o, sizeof(q) - o, "APPLY BATCH");
    st = ok(q);
    assert_int_equal(st->batch.type, CQL_BATCH_COUNTER);
    assert_int_equal(st->batch.n_stmts, 40);
    assert_int_equal(st->n_binds, 80);
    for (int i = 0; i < 40; i++) {
        struct cql_stmt *c = st->batch.stmts[i];
        assert_int_equal(c->n_binds, 2);
        assert_ptr_equal(c->binds, &st->binds[2 * i]);
        assert_int_equal(c->binds[0].stmt_index, i);
        assert_ptr_equal(c->binds[0].term, c->update.assignments[0]->value);
        assert_ptr_equal(c->binds[1].term, c->update.where[0]->value);
    }

    bad("BEGIN BATCH USING TTL 1 APPLY BATCH", "no viable alternative at input 'TTL'");
    bad("BEGIN BATCH SELECT * FROM t APPLY BATCH", "no viable alternative at input 'SELECT'");
    bad("BEGIN BATCH INSERT INTO t (a) VALUES (1);; APPLY BATCH",
        "no viable alternative at input ';'");
    bad("BEGIN BATCH INSERT INTO t (a) VALUES (1)", "no viable alternative at input '<EOF>'");
    bad("BEGIN BATCH APPLY", "line 0:-1 mismatched input '<EOF>' expecting K_BATCH");
    bad("BEGIN LOGGED BATCH APPLY BATCH", "mismatched input 'LOGGED' expecting K_BATCH");
    bad("BEGIN BATCH BEGIN BATCH APPLY BATCH APPLY BATCH",
        "no viable alternative at input 'BEGIN'");
    bad("BEGIN BATCH USE ks APPLY BATCH", "no viable alternative at input 'USE'");
}

/* ------------------------------------------------------------ USE, TRUNCATE, KEYSPACE */

static void test_use_truncate(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("USE MyKs");
    assert_int_equal(st->kind, CQL_STMT_USE);
    assert_str(st->drop.name.name, "myks");
    st = ok("use \"MyKs\";");
    assert_str(st->drop.name.name, "MyKs");
    st = ok("USE \"a\"\"b\"");
    assert_str(st->drop.name.name, "a\"b");
    st = ok("USE keyspaces");
    assert_str(st->drop.name.name, "keyspaces");
    bad_exact("USE ?", "Bind variables cannot be used for keyspace names");
    bad("USE :x", "no viable alternative at input ':'");
    bad("USE ks.t", "mismatched input '.' expecting EOF");
    bad("USE", "line 0:-1 no viable alternative at input '<EOF>'");
    bad("USE 'ks'", "no viable alternative at input ''ks''");

    st = ok("TRUNCATE t");
    assert_int_equal(st->kind, CQL_STMT_TRUNCATE);
    assert_qname(st->drop.name, NULL, "t");
    st = ok("TRUNCATE TABLE Ks.\"T\"");
    assert_qname(st->drop.name, "ks", "T");
    st = ok("truncate columnfamily t");
    assert_qname(st->drop.name, NULL, "t");
    bad_exact("TRUNCATE ?", "Bind variables cannot be used for table names");
    bad_exact("TRUNCATE ks.?", "Bind variables cannot be used for table names");
    bad("TRUNCATE", "no viable alternative at input '<EOF>'");
    bad("TRUNCATE TABLE t t", "mismatched input 't' expecting EOF");
}

static void test_keyspace(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("CREATE KEYSPACE IF NOT EXISTS Ks WITH replication = "
                             "{'class': 'SimpleStrategy', 'replication_factor': 3} AND "
                             "durable_writes = false AND x = key AND y = -1.5 AND Z = 'v'");
    assert_int_equal(st->kind, CQL_STMT_CREATE_KEYSPACE);
    struct cql_create_keyspace *ck = &st->create_keyspace;
    assert_true(ck->if_not_exists);
    assert_str(ck->name, "ks");
    assert_int_equal(ck->props.n, 5);
    struct cql_property *pr = ck->props.items[0];
    assert_str(pr->name, "replication");
    assert_true(pr->is_map);
    assert_int_equal(pr->n_entries, 2);
    assert_const(pr->keys[0], CQL_CONST_STRING, "class");
    assert_const(pr->values[0], CQL_CONST_STRING, "SimpleStrategy");
    assert_const(pr->values[1], CQL_CONST_INTEGER, "3");
    pr = ck->props.items[1];
    assert_false(pr->is_map);
    assert_const(pr->value, CQL_CONST_BOOLEAN, "false");
    assert_const(ck->props.items[2]->value, CQL_CONST_IDENT, "key");
    assert_const(ck->props.items[3]->value, CQL_CONST_FLOAT, "-1.5");
    assert_str(ck->props.items[4]->name, "z");

    st = ok("CREATE KEYSPACE \"Ks\" WITH replication = {} AND a = NaN AND b = TYPE AND "
            "c = 0x0a AND \"D\" = 1h");
    ck = &st->create_keyspace;
    assert_false(ck->if_not_exists);
    assert_str(ck->name, "Ks");
    assert_true(ck->props.items[0]->is_map);
    assert_int_equal(ck->props.items[0]->n_entries, 0);
    assert_const(ck->props.items[1]->value, CQL_CONST_NAN, "NaN");
    assert_const(ck->props.items[2]->value, CQL_CONST_IDENT, "type");
    assert_const(ck->props.items[3]->value, CQL_CONST_HEX, "0x0a");
    assert_str(ck->props.items[4]->name, "D");
    assert_const(ck->props.items[4]->value, CQL_CONST_DURATION, "1h");

    st = ok("ALTER KEYSPACE IF EXISTS ks WITH durable_writes = true");
    assert_int_equal(st->kind, CQL_STMT_ALTER_KEYSPACE);
    assert_true(st->alter_keyspace.if_exists);
    assert_str(st->alter_keyspace.name, "ks");
    assert_int_equal(st->alter_keyspace.props.n, 1);
    st = ok("ALTER KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3}");
    assert_false(st->alter_keyspace.if_exists);
    st = ok("DROP KEYSPACE IF EXISTS ks");
    assert_int_equal(st->kind, CQL_STMT_DROP_KEYSPACE);
    assert_true(st->drop.if_exists);
    assert_str(st->drop.name.name, "ks");
    st = ok("DROP SCHEMA ks");
    assert_int_equal(st->kind, CQL_STMT_DROP_KEYSPACE);
    assert_false(st->drop.if_exists);

    bad_exact("CREATE KEYSPACE ks WITH a = 1 AND A = 2", "Multiple definition for property 'a'");
    bad_exact("CREATE KEYSPACE ks WITH replication = {'a': 1, 'a': 2}",
              "Multiple definition for property a");
    bad_exact("CREATE KEYSPACE ks WITH replication = {'1': 1, 1: 2}",
              "Multiple definition for property 1");
    bad_exact("CREATE KEYSPACE ks WITH r = {'a': ?}",
              "Invalid property value: ? for property: 'a' (bind variables are not supported in "
              "DDL queries)");
    bad_exact("CREATE KEYSPACE ks WITH r = {'a': :v}",
              "Invalid property value: ? for property: 'a' (bind variables are not supported in "
              "DDL queries)");
    bad_exact("CREATE KEYSPACE ks WITH r = {?: 1}",
              "Invalid property name: ? (bind variables are not supported in DDL queries)");
    bad_exact("CREATE KEYSPACE ks WITH r = {'a': null}",
              "Invalid property value: NULL for property: 'a'");
    bad_exact("CREATE KEYSPACE ks WITH r = {null: 1}", "Invalid property name: NULL");
    bad_exact("CREATE KEYSPACE ks WITH r = {'a': [1]}",
              "Invalid property value: [1] for property: 'a'");
    bad_exact("CREATE KEYSPACE ks WITH r = {'a': 1 + 1}",
              "Invalid property value: 1 + 1 for property: 'a'");
    /* the map checks run once the map has parsed: a syntax error in it wins */
    bad("CREATE KEYSPACE ks WITH r = {'a': 1, 'a': 2, }", "no viable alternative at input '}'");
    bad("CREATE KEYSPACE ks WITH a = ?", "no viable alternative at input '?'");
    bad("CREATE KEYSPACE ks WITH a = select", "no viable alternative at input 'select'");
    bad("CREATE KEYSPACE ks WITH a = [1]", "no viable alternative at input '['");
    bad("CREATE KEYSPACE ks WITH a = 1 AND", "no viable alternative at input '<EOF>'");
    bad("CREATE KEYSPACE ks WITH a 1", "mismatched input '1' expecting '='");
    bad("CREATE KEYSPACE ks", "line 0:-1 mismatched input '<EOF>' expecting K_WITH");
    bad("CREATE KEYSPACE IF EXISTS ks WITH a = 1", "mismatched input 'EXISTS' expecting K_NOT");
    bad("ALTER KEYSPACE IF NOT EXISTS ks WITH a = 1", "mismatched input 'NOT' expecting K_EXISTS");
    bad("DROP KEYSPACE IF NOT EXISTS ks", "mismatched input 'NOT' expecting K_EXISTS");
    bad("DROP KEYSPACE ks.x", "mismatched input '.' expecting EOF");
    bad_exact("CREATE KEYSPACE ? WITH a = 1", "Bind variables cannot be used for keyspace names");
    bad_exact("ALTER KEYSPACE ? WITH a = 1", "Bind variables cannot be used for keyspace names");
    bad_exact("DROP KEYSPACE ?", "Bind variables cannot be used for keyspace names");
}

/* ------------------------------------------------------------ bind markers */

static void test_binds(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("SELECT a, f(?, :x), ? AS y FROM t WHERE k = :k AND c IN ? AND "
                             "(d, e) > (?, ?) GROUP BY floor(c, ?) ORDER BY v ANN OF ? "
                             "PER PARTITION LIMIT ? LIMIT ?");
    struct cql_select *s = &st->select;
    static const enum cql_bind_ctx ctx[] = {
        CQL_BIND_SELECTOR,  CQL_BIND_SELECTOR,      CQL_BIND_SELECTOR, CQL_BIND_WHERE,
        CQL_BIND_WHERE,     CQL_BIND_WHERE,         CQL_BIND_WHERE,    CQL_BIND_GROUP_BY,
        CQL_BIND_ORDER_ANN, CQL_BIND_PER_PARTITION, CQL_BIND_LIMIT};
    const void *owner[] = {s->selectors[1],
                           s->selectors[1],
                           s->selectors[2],
                           s->where[0],
                           s->where[1],
                           s->where[2],
                           s->where[2],
                           s->group_by[0],
                           s->order_by[0],
                           s,
                           s};
    static const char *const names[] = {NULL, "x",  NULL, "k",  NULL, NULL,
                                        NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(st->n_binds, 11);
    for (int i = 0; i < 11; i++) {
        struct cql_bind_marker *m = &st->binds[i];
        assert_int_equal(m->index, i);
        assert_int_equal(m->term->bind.index, i);
        if (m->ctx != ctx[i]) fail_msg("bind %d: ctx %d want %d", i, m->ctx, ctx[i]);
        if (m->owner != owner[i]) fail_msg("bind %d: wrong owner", i);
        if (names[i])
            assert_str(m->name, names[i]);
        else
            assert_null(m->name);
        assert_int_equal(m->value_index, -1);
        assert_int_equal(m->stmt_index, -1);
        assert_int_equal(m->is_in_list, i == 4);
    }
    assert_ptr_equal(st->binds[3].term, s->where[0]->value);
    assert_ptr_equal(st->binds[5].term, s->where[2]->value->list.items[0]);

    /* named markers: case folding like identifiers, keywords allowed */
    st = ok("SELECT * FROM t WHERE a = :Name AND b = :\"Quoted\" AND c = :key AND d = : ttl");
    assert_str(st->binds[0].name, "name");
    assert_str(st->binds[1].name, "Quoted");
    assert_str(st->binds[2].name, "key");
    assert_str(st->binds[3].name, "ttl");
    bad("SELECT * FROM t WHERE a = :select", "no viable alternative at input 'select'");
    bad("SELECT * FROM t WHERE a = :1", "no viable alternative at input '1'");
    bad("SELECT * FROM t WHERE a = :", "no viable alternative at input '<EOF>'");

    /* many markers (the array grows) */
    char q[4096];
    size_t o = (size_t)snprintf(q, sizeof(q), "SELECT * FROM t WHERE a IN (?");
    for (int i = 1; i < 300; i++)
        o += (size_t)snprintf(q + o, sizeof(q) - o, ", ?");
    snprintf(q + o, sizeof(q) - o, ")");
    st = ok(q);
    assert_int_equal(st->n_binds, 300);
    for (int i = 0; i < 300; i++) {
        assert_int_equal(st->binds[i].index, i);
        assert_ptr_equal(st->binds[i].term, st->select.where[0]->in_values[i]);
    }
}

/* ------------------------------------------------------------ names */

static void test_names(void **state)
{
    (void)state;
    struct cql_stmt *st = ok("SELECT MixedCase, \"MixedCase\", \"with \"\"quote\"\"\", \"sp ace\", "
                             "\"select\", \"\xc3\xa9t\xc3\xa9\" FROM \"Ks\".TaB");
    assert_column(sel(st, 0), "mixedcase");
    assert_column(sel(st, 1), "MixedCase");
    assert_column(sel(st, 2), "with \"quote\"");
    assert_column(sel(st, 3), "sp ace");
    assert_column(sel(st, 4), "select");
    assert_column(sel(st, 5), "\xc3\xa9t\xc3\xa9");
    assert_qname(st->select.table, "Ks", "tab");

    /* unreserved keywords as table, keyspace and column names everywhere */
    st = ok("INSERT INTO keyspaces.type (key, value, ttl, timestamp, json, filtering) "
            "VALUES (1, 2, 3, 4, 5, 6)");
    assert_qname(st->insert.table, "keyspaces", "type");
    assert_str(st->insert.columns[2], "ttl");
    assert_str(st->insert.columns[5], "filtering");
    st = ok("UPDATE type SET ttl = ttl + 1, writetime = 1 WHERE key = 1 IF count = 1");
    assert_str(st->update.assignments[0]->column, "ttl");
    assert_int_equal(st->update.assignments[0]->kind, CQL_ASSIGN_ADD);
    assert_str(st->update.conditions[0]->column, "count");
    st = ok("DELETE value FROM values WHERE key = 1");
    assert_str(st->delete_.columns[0]->column, "value");
    assert_qname(st->delete_.table, NULL, "values");

    /* reserved keywords are refused unless quoted */
    static const char *const reserved[] = {
        "select", "from",  "where", "and",   "insert", "update", "set", "in",  "limit", "token",
        "null",   "order", "by",    "allow", "if",     "not",    "is",  "use", "apply", "batch"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        char q[128], want[96];
        snprintf(q, sizeof(q), "INSERT INTO t (%s) VALUES (1)", reserved[i]);
        snprintf(want, sizeof(want), "no viable alternative at input '%s'", reserved[i]);
        bad(q, want);
        snprintf(q, sizeof(q), "INSERT INTO t (\"%s\") VALUES (1)", reserved[i]);
        st = ok(q);
        assert_str(st->insert.columns[0], reserved[i]);
    }
    bad("SELECT * FROM select", "no viable alternative at input 'select'");
    bad("SELECT * FROM ks.from", "no viable alternative at input 'from'");
    bad("SELECT \"\" FROM t", "no viable alternative at input '\"\"'");
    bad("INSERT INTO t (\"\") VALUES (1)", "Empty quoted identifier");
}

/* ------------------------------------------------------------ errors */

static void test_errors(void **state)
{
    (void)state;
    struct cql_stmt *st = (struct cql_stmt *)1;
    cql_parse_error e;
    /* empty input, only ';', only a comment */
    assert_int_equal(cql_parse("", 0, &A, &st, &e), -1);
    assert_null(st);
    assert_str(e.msg, "line 0:-1 no viable alternative at input '<EOF>'");
    assert_int_equal(cql_parse(NULL, 0, &A, &st, &e), -1);
    bad_exact("   \n  ", "line 0:-1 no viable alternative at input '<EOF>'");
    bad_exact("-- nothing", "line 0:-1 no viable alternative at input '<EOF>'");
    bad_at(";", 1, 0, "line 1:0 no viable alternative at input ';'");
    bad_at("  ;;", 1, 2, "line 1:2 no viable alternative at input ';'");
    /* err may be NULL */
    assert_int_equal(cql_parse("SELEC", 5, &A, &st, NULL), -1);

    /* positions: 1-based lines, 0-based columns in UTF-16 units */
    bad_at("SELECT * FROM t garbage", 1, 16, "line 1:16 mismatched input 'garbage' expecting EOF");
    bad_at("SELECT * FROM t; SELECT * FROM t", 1, 17,
           "line 1:17 mismatched input 'SELECT' expecting EOF");
    bad_at("SELECT a b FROM t", 1, 9, "line 1:9 mismatched input 'b' expecting K_FROM (");
    bad_at("SELECT *\nFROM t\nWHERE a = 1 garbage", 3, 12,
           "line 3:12 mismatched input 'garbage' expecting EOF");
    bad_at("SELECT *\r\n  FROM t WHERE\r\n\ta ! 1", 3, 4,
           "line 3:4 mismatched character ' ' expecting '='");
    bad_at("SELECT * FROM t WHERE a = 'h\xc3\xa9llo' x", 1, 34, "line 1:34 mismatched input 'x'");
    bad_at("SELECT * FROM t WHERE a = '\xf0\x9f\x98\x80' x", 1, 31,
           "line 1:31 mismatched input 'x'");
    bad_at("SELECT * FROM t WHERE a = 'x\n\xc3\xa9' b", 2, 3, "line 2:3 mismatched input 'b'");
    bad_at("FOO", 1, 0, "line 1:0 no viable alternative at input 'FOO'");

    /* errors at the end of input: Cassandra's EOF token has no position */
    bad_exact("SELECT", "line 0:-1 no viable alternative at input '<EOF>'");
    bad_exact("SELECT * FROM", "line 0:-1 no viable alternative at input '<EOF>'");
    bad_exact("INSERT INTO users (user_id, first, last, age)",
              "line 0:-1 mismatched input '<EOF>' expecting K_VALUES");
    assert_int_equal(cql_parse("SELECT *\nFROM", 13, &A, &st, &e), -1);
    assert_int_equal(e.line, 2); /* the fields keep where the input ended */
    assert_int_equal(e.col, 4);

    /* message forms */
    bad_exact("SELECT a b FROM t",
              "line 1:9 mismatched input 'b' expecting K_FROM (SELECT a [b]...)");
    bad("SELECT * FROM t WHERE a = 1 'x\ty'", "mismatched input ''x\\ty'' expecting EOF");
    bad("SELECT * FROM t WHERE a = 1\n'x\ny'", "mismatched input ''x\\ny'' expecting EOF");
    bad("DROP FOO", "no viable alternative at input 'FOO'");
    bad("SELEC * FROM t", "no viable alternative at input 'SELEC'");

    /* lexer errors */
    bad_at("SELECT * FROM t WHERE a = 'abc", 1, 30,
           "line 1:30 mismatched character '<EOF>' expecting '''");
    bad_at("SELECT \"abc FROM t", 1, 18, "line 1:18 mismatched character '<EOF>' expecting '\"'");
    bad_at("SELECT * FROM t WHERE a = $$abc", 1, 31, "line 1:31 mismatched character '<EOF>'");
    bad_at("SELECT * FROM t /* open", 1, 23, "line 1:23 mismatched character '<EOF>'");
    bad_at("SELECT # FROM t", 1, 7, "line 1:7 no viable alternative at character '#'");
    bad_at("SELECT * FROM t WHERE a = 1 ! 2", 1, 29, "line 1:29 mismatched character ' '");
}

/* Every byte string is a statement or a syntax error whose message is valid
 * UTF-8; nothing reads past len. */
static int parse_raw(const char *bytes, size_t n, cql_parse_error *e, struct cql_stmt **st)
{
    char *buf = malloc(n ? n : 1); /* exactly n bytes: ASan sees any over-read */
    assert_non_null(buf);
    memcpy(buf, bytes, n);
    int r = cql_parse(buf, n, &A, st, e);
    free(buf);
    if (r == -1 && !utf8_valid(e->msg)) fail_msg("message is not UTF-8: %s", e->msg);
    return r;
}

static void test_hostile_input(void **state)
{
    (void)state;
    cql_parse_error e;
    struct cql_stmt *st;
    char *q = malloc(20100);
    assert_non_null(q);

    /* deep nesting is an error, never a stack overflow */
    static const char *const prefixes[] = {
        "SELECT * FROM t WHERE a = ", "SELECT ",
        "SELECT * FROM t WHERE ",     "INSERT INTO t (a) VALUES (",
        "ALTER TABLE t ADD c ",       "SELECT * FROM t WHERE a = -",
        "UPDATE t SET a = ",
    };
    static const char *const units[] = {"(", "[", "{", "frozen<", "f(", "(int)", "- ", "{a: "};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        for (size_t j = 0; j < sizeof(units) / sizeof(units[0]); j++) {
            size_t o = (size_t)snprintf(q, 20100, "%s", prefixes[i]);
            size_t ul = strlen(units[j]);
            for (int k = 0; k < 10000 && o + ul < 20000; k++, o += ul)
                memcpy(q + o, units[j], ul);
            int r = parse_raw(q, o, &e, &st);
            if (r != -1) fail_msg("%s + %s x N: %d", prefixes[i], units[j], r);
        }
    memset(q, '(', 10000);
    assert_int_equal(parse_raw(q, 10000, &e, &st), -1);
    /* 128 levels are fine, the limit is reported by name */
    int o = snprintf(q, 20100, "SELECT * FROM t WHERE a = ");
    for (int k = 0; k < 60; k++)
        q[o++] = '[';
    for (int k = 0; k < 60; k++)
        q[o++] = ']';
    q[o] = 0;
    ok(q);
    o = snprintf(q, 20100, "SELECT * FROM t WHERE a = ");
    for (int k = 0; k < 200; k++)
        q[o++] = '[';
    q[o] = 0;
    bad(q, "too deeply nested");

    /* type hints and parentheses in a row stay linear (no backtracking blow-up) */
    o = snprintf(q, 20100, "SELECT ");
    for (int k = 0; k < 120; k++)
        o += snprintf(q + o, 20100 - (size_t)o, "(a)");
    snprintf(q + o, 20100 - (size_t)o, " FROM t");
    st = ok(q);
    assert_int_equal(sel(st, 0)->kind, CQL_SEL_TYPE_HINT);
    o = snprintf(q, 20100, "SELECT * FROM t WHERE a = ");
    for (int k = 0; k < 120; k++)
        o += snprintf(q + o, 20100 - (size_t)o, "('x')");
    st = ok(q);
    assert_int_equal(st->select.where[0]->value->kind, CQL_TERM_TYPE_HINT);

    /* invalid UTF-8 and NUL bytes */
    static const struct {
        const char *q;
        size_t n;
        int want;
    } raw[] = {
#define RAW(s, w) {s, sizeof(s) - 1, w}
        RAW("SELECT * FROM t WHERE a = '\xff\xfe'", 0),
        RAW("SELECT * FROM t WHERE a = '\xc3'", 0),
        RAW("SELECT * FROM t WHERE a = $$\xed\xa0\x80$$", 0),
        RAW("SELECT \"\xff\" FROM t", 0),
        RAW("SELECT \"a\0b\" FROM t", 0),
        RAW("SELECT * FROM t WHERE a = 'a\0b'", 0),
        RAW("SELECT \xff FROM t", -1),
        RAW("SELECT \xc3\xa9 FROM t", -1),
        RAW("SELECT a\0 FROM t", -1),
        RAW("\0", -1),
        RAW("SELECT * FROM t WHERE a = 1 '\xff\xfe\xc3'", -1),
        RAW("SELECT * FROM t WHERE a = 1 \"\xf0\x9f\x98\"", -1),
        RAW("SELECT * FROM t WHERE a = 1 '\xe2\x82'", -1),
        RAW("SELECT * FROM t WHERE a = 1 $$\xed\xa0\x80$$", -1),
        RAW("SELECT * FROM t WHERE a = 1 '\0'", -1),
        RAW("CREATE KEYSPACE ks WITH r = {'\xff': 1, '\xff': 2}", -1),
#undef RAW
    };
    for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
        int r = parse_raw(raw[i].q, raw[i].n, &e, &st);
        if (r != raw[i].want) fail_msg("raw %zu: %d (%s)", i, r, r ? e.msg : "");
    }
    assert_int_equal(parse_raw("SELECT * FROM t WHERE a = 1 '\xff'", 32, &e, &st), -1);
    assert_non_null(strstr(e.msg, "\xef\xbf\xbd")); /* U+FFFD */

    /* input not NUL-terminated: only q[0..len) is read */
    const char *big = "SELECT * FROM t WHERE a = 1234 AND b = 'xyz'";
    size_t cut = strlen("SELECT * FROM t WHERE a = 12");
    assert_int_equal(parse_raw(big, cut, &e, &st), 0);
    assert_const(st->select.where[0]->value, CQL_CONST_INTEGER, "12");
    cut = strlen("SELECT * FROM t WHERE a = 1234 AND b = 'xy");
    assert_int_equal(parse_raw(big, cut, &e, &st), -1);
    assert_non_null(strstr(e.msg, "mismatched character '<EOF>' expecting '''"));
    cut = strlen("SELECT * FROM t WHERE a = 1234 AND b");
    assert_int_equal(parse_raw(big, cut, &e, &st), -1);
    assert_str(e.msg, "line 0:-1 no viable alternative at input '<EOF>'");
    static const char *const prefixes2[] = {
        "SELECT * FROM t WHERE a = 0x",   "SELECT * FROM t WHERE a = 1e",
        "SELECT * FROM t WHERE a = 1.",   "SELECT * FROM t WHERE a = 123e4567-e89b-12d3-a456-4",
        "SELECT * FROM t WHERE a = P1D",  "SELECT * FROM t WHERE a = -",
        "SELECT * FROM t WHERE a = $",    "SELECT * FROM t WHERE a = $$x$",
        "SELECT * FROM t WHERE a = expr", "SELECT * FROM t WHERE a = 1h3",
        "SELECT * FROM t WHERE a = \"\"", "SELECT * FROM t WHERE a = 1 /",
        "SELECT * FROM t WHERE a = 1 -"};
    for (size_t i = 0; i < sizeof(prefixes2) / sizeof(prefixes2[0]); i++)
        for (size_t n = 0; n <= strlen(prefixes2[i]); n++)
            (void)parse_raw(prefixes2[i], n, &e, &st);
    free(q);
}

/* ------------------------------------------------------------ out of memory */

static void test_oom(void **state)
{
    (void)state;
    static const char *const queries[] = {
        "SELECT JSON DISTINCT a, f(b, ?) AS x, writetime(c), (text) d, (int) ?, {e: [1]} FROM "
        "ks.t WHERE k IN (1, 2, ?) AND (a, b) IN ((1, 2), (3, 4)) AND token(k) > ? AND m[1] = 2 "
        "GROUP BY a ORDER BY b DESC PER PARTITION LIMIT 1 LIMIT ? ALLOW FILTERING",
        "SELECT json - x, distinct FROM t",
        "INSERT INTO t (a, b, c) VALUES (?, {'k': [1, 2]}, (1, 'x')) IF NOT EXISTS USING TTL ?",
        "UPDATE t USING TIMESTAMP 1 SET a = a + 1, m[?] = ?, u.f = 'it''s', l = [1] + l WHERE "
        "k = ? IF a = 1 AND b IN ?",
        "BEGIN BATCH INSERT INTO t (a) VALUES (?); UPDATE t SET a = ? WHERE k = ?; DELETE m[?] "
        "FROM t WHERE k = ?; APPLY BATCH",
        "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'a': 1, 'b': 2, 'c': "
        "3, 'd': 4, 'e': 5, 'f': 6, 'g': 7, 'h': 8, 'i': 9} AND durable_writes = true",
        "SELECT * FROM t WHERE a = 1 garbage",
        "UPDATE t SET c = d + 1 WHERE k = 1",
    };
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        int64_t base = mem_outstanding();
        int done = 0;
        for (int64_t n = 0; n < 100000 && !done; n++) {
            arena a;
            arena_init(&a, 64); /* small blocks: many allocation points */
            struct cql_stmt *st = NULL;
            cql_parse_error e;
            mem_fail_after(n);
            int r = cql_parse(queries[i], strlen(queries[i]), &a, &st, &e);
            mem_fail_after(-1);
            if (r == -2) {
                assert_null(st);
            } else if (r == 0) {
                assert_non_null(st);
                done = 1;
            } else {
                assert_int_equal(r, -1);
                assert_true(strlen(e.msg) > 0);
                done = 1;
            }
            arena_destroy(&a);
            assert_int_equal(mem_outstanding(), base);
        }
        assert_true(done);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_select_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_modifiers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_selectors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_where, setup, teardown),
        cmocka_unit_test_setup_teardown(test_where_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_constants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_terms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_use_truncate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyspace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
