/*
 * lexer.c -- CQL tokens, following Cassandra 5.0's Lexer.g (see lexer.h for
 * the numbered rules this file keeps).
 *
 * How it works: at each position every rule that can start with the current
 * character is measured (length of its longest match), the longest wins and
 * ties go to the rule listed first in Lexer.g (rule (1)). Keywords are found
 * by lexing an IDENT and looking its lower-cased spelling up in the table.
 *
 * Bounds: every read is checked against len (the query is not NUL-terminated
 * and may contain NUL bytes); the lexer never loops without consuming input.
 */
#include "cql/lexer.h"

#include <stdio.h>
#include <string.h>

static const struct kw {
    const char *s;
    uint8_t len;
    uint8_t flags;
    uint16_t type;
} kw_table[] = {
#define CQL_KW_ROW(id, str, f) {str, (uint8_t)(sizeof(str) - 1), f, K_##id},
    CQL_KEYWORDS(CQL_KW_ROW)
#undef CQL_KW_ROW
};
#define N_KW ((int)(sizeof(kw_table) / sizeof(kw_table[0])))

int cql_kw_flags(int type)
{
    if (type < K_SELECT || type >= TK_COUNT_) return 0;
    return kw_table[type - K_SELECT].flags;
}

const char *cql_kw_text(int type)
{
    if (type < K_SELECT || type >= TK_COUNT_) return NULL;
    return kw_table[type - K_SELECT].s;
}

const char *cql_tok_name(int type)
{
    static const char *const names[] = {[TK_EOF] = "EOF",
                                        [TK_IDENT] = "IDENT",
                                        [TK_QUOTED_NAME] = "QUOTED_NAME",
                                        [TK_EMPTY_QUOTED_NAME] = "EMPTY_QUOTED_NAME",
                                        [TK_STRING] = "STRING_LITERAL",
                                        [TK_INTEGER] = "INTEGER",
                                        [TK_FLOAT] = "FLOAT",
                                        [TK_BOOLEAN] = "BOOLEAN",
                                        [TK_DURATION] = "DURATION",
                                        [TK_UUID] = "UUID",
                                        [TK_HEX] = "HEXNUMBER",
                                        [TK_QMARK] = "QMARK",
                                        [TK_RANGE] = "RANGE",
                                        [TK_LPAREN] = "'('",
                                        [TK_RPAREN] = "')'",
                                        [TK_LBRACKET] = "'['",
                                        [TK_RBRACKET] = "']'",
                                        [TK_LBRACE] = "'{'",
                                        [TK_RBRACE] = "'}'",
                                        [TK_COMMA] = "','",
                                        [TK_SEMI] = "';'",
                                        [TK_COLON] = "':'",
                                        [TK_DOT] = "'.'",
                                        [TK_EQ] = "'='",
                                        [TK_LT] = "'<'",
                                        [TK_LTE] = "'<='",
                                        [TK_GT] = "'>'",
                                        [TK_GTE] = "'>='",
                                        [TK_NEQ] = "'!='",
                                        [TK_PLUS] = "'+'",
                                        [TK_MINUS] = "'-'",
                                        [TK_STAR] = "'*'",
                                        [TK_SLASH] = "'/'",
                                        [TK_PERCENT] = "'%'",
                                        [TK_PLUS_EQ] = "'+='",
                                        [TK_MINUS_EQ] = "'-='",
                                        [TK_EXPR] = "'expr('",
                                        [TK_NEG_NAN] = "K_NEGATIVE_NAN",
                                        [TK_NEG_INFINITY] = "K_NEGATIVE_INFINITY",
                                        [TK_WS] = "WS",
                                        [TK_COMMENT] = "COMMENT",
#define CQL_KW_NAME(id, str, f) [K_##id] = "K_" #id,
                                        CQL_KEYWORDS(CQL_KW_NAME)
#undef CQL_KW_NAME
    };
    if (type == K_NAN) return "K_POSITIVE_NAN";
    if (type == K_INFINITY) return "K_POSITIVE_INFINITY";
    if (type < 0 || type >= TK_COUNT_ || !names[type]) return "<invalid>";
    return names[type];
}

int cql_u16_len(const char *s, size_t n)
{
    int c = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if ((b & 0xC0) == 0x80) continue; /* continuation byte */
        c += (b >= 0xF0 && b <= 0xF4) ? 2 : 1;
    }
    return c;
}

/* ---------------------------------------------------------------- scanner */

typedef struct lexer {
    const char *s;
    size_t n;
    arena *a;
    struct cql_lex_result *res;
    int cap;
    int oom;
} lexer;

static inline int at(const lexer *lx, size_t i)
{
    return i < lx->n ? (unsigned char)lx->s[i] : -1;
}

static inline int is_digit(int c)
{
    return c >= '0' && c <= '9';
}
static inline int is_letter(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline int is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static inline int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Length of an ANTLR-style case-insensitive word match at i, 0 if none. */
static size_t match_ci(const lexer *lx, size_t i, const char *w)
{
    size_t k = 0;
    for (; w[k]; k++)
        if (lower(at(lx, i + k)) != w[k]) return 0;
    return k;
}

static size_t digits(const lexer *lx, size_t i)
{
    size_t k = 0;
    while (is_digit(at(lx, i + k)))
        k++;
    return k;
}

/* DURATION_UNIT at i: y mo w d h m s ms us µs ns (case-insensitive). */
static size_t duration_unit(const lexer *lx, size_t i)
{
    int c = lower(at(lx, i)), d = lower(at(lx, i + 1));
    if (c == 'm' && (d == 'o' || d == 's')) return 2;
    if ((c == 'u' || c == 'n') && d == 's') return 2;
    if (c == 0xC2 && at(lx, i + 1) == 0xB5 && lower(at(lx, i + 2)) == 's') return 3;
    if (c == 'y' || c == 'w' || c == 'd' || c == 'h' || c == 'm' || c == 's') return 1;
    return 0;
}

/* '-'? DIGIT+ DURATION_UNIT (DIGIT+ DURATION_UNIT)* */
static size_t duration_units(const lexer *lx, size_t i)
{
    size_t k = 0;
    if (at(lx, i) == '-') k++;
    size_t d = digits(lx, i + k);
    if (!d) return 0;
    size_t u = duration_unit(lx, i + k + d);
    if (!u) return 0;
    k += d + u;
    for (;;) {
        d = digits(lx, i + k);
        if (!d) break;
        u = duration_unit(lx, i + k + d);
        if (!u) break;
        k += d + u;
    }
    return k;
}

/* DIGIT+ c, returns bytes or 0 */
static size_t dig_then(const lexer *lx, size_t i, int c)
{
    size_t d = digits(lx, i);
    return (d && at(lx, i + d) == c) ? d + 1 : 0;
}

/* 'T' designators: T n H (n M)? (n S)? | T n M (n S)? | T n S */
static size_t iso_time(const lexer *lx, size_t i)
{
    if (at(lx, i) != 'T') return 0;
    size_t k = 1, x;
    if ((x = dig_then(lx, i + k, 'H'))) {
        k += x;
        if ((x = dig_then(lx, i + k, 'M'))) k += x;
        if ((x = dig_then(lx, i + k, 'S'))) k += x;
        return k;
    }
    if ((x = dig_then(lx, i + k, 'M'))) {
        k += x;
        if ((x = dig_then(lx, i + k, 'S'))) k += x;
        return k;
    }
    if ((x = dig_then(lx, i + k, 'S'))) return k + x;
    return 0;
}

/* ISO 8601 forms of DURATION, starting at i ('-'? 'P' ...). */
static size_t duration_iso(const lexer *lx, size_t i)
{
    size_t k = 0, best = 0, x;
    if (at(lx, i) == '-') k++;
    if (at(lx, i + k) != 'P') return 0;
    k++;
    /* alternative format P yyyy-mm-ddThh:mm:ss */
    {
        static const char pat[] = "dddd-dd-ddTdd:dd:dd";
        size_t j = 0;
        for (; pat[j]; j++) {
            int c = at(lx, i + k + j);
            if (pat[j] == 'd' ? !is_digit(c) : c != pat[j]) break;
        }
        if (!pat[j]) best = k + j;
    }
    /* P time */
    if ((x = iso_time(lx, i + k)) && k + x > best) best = k + x;
    /* P n W */
    if ((x = dig_then(lx, i + k, 'W')) && k + x > best) best = k + x;
    /* period designators, then optional time designators */
    size_t p = 0;
    if ((x = dig_then(lx, i + k, 'Y'))) {
        p = x;
        if ((x = dig_then(lx, i + k + p, 'M'))) p += x;
        if ((x = dig_then(lx, i + k + p, 'D'))) p += x;
    } else if ((x = dig_then(lx, i + k, 'M'))) {
        p = x;
        if ((x = dig_then(lx, i + k + p, 'D'))) p += x;
    } else if ((x = dig_then(lx, i + k, 'D'))) {
        p = x;
    }
    if (p) {
        p += iso_time(lx, i + k + p);
        if (k + p > best) best = k + p;
    }
    return best;
}

/* UUID: 8-4-4-4-12 hex digits */
static size_t uuid_len(const lexer *lx, size_t i)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    size_t k = 0;
    for (int g = 0; g < 5; g++) {
        if (g) {
            if (at(lx, i + k) != '-') return 0;
            k++;
        }
        for (int j = 0; j < groups[g]; j++, k++)
            if (!is_hex(at(lx, i + k))) return 0;
    }
    return k;
}

/* INTEGER or FLOAT at i ('-'? DIGIT+ ...); sets *type. */
static size_t number_len(const lexer *lx, size_t i, int *type)
{
    size_t k = 0;
    if (at(lx, i) == '-') k++;
    size_t d = digits(lx, i + k);
    *type = TK_INTEGER;
    if (!d) return 0;
    k += d;
    if (at(lx, i + k) == '.') {
        if (at(lx, i + k + 1) == '.') {
            /* INTEGER '.' RANGE => FLOAT "1." ; INTEGER RANGE => INTEGER */
            if (at(lx, i + k + 2) == '.') {
                *type = TK_FLOAT;
                return k + 1;
            }
            return k;
        }
        *type = TK_FLOAT;
        k++;
        k += digits(lx, i + k);
    }
    /* EXPONENT: E ('+'|'-')? DIGIT+ */
    if (lower(at(lx, i + k)) == 'e') {
        size_t e = 1;
        if (at(lx, i + k + 1) == '+' || at(lx, i + k + 1) == '-') e++;
        size_t ed = digits(lx, i + k + e);
        if (ed) {
            *type = TK_FLOAT;
            k += e + ed;
        }
    }
    return k;
}

static int push_tok(lexer *lx, int type, size_t off, size_t len, int line, int col, int hidden)
{
    struct cql_lex_result *r = lx->res;
    if (r->n_toks == lx->cap) {
        int nc = lx->cap ? lx->cap * 2 : 64;
        struct cql_tok *nt = arena_alloc(lx->a, (size_t)nc * sizeof(*nt));
        if (!nt) {
            lx->oom = 1;
            return -1;
        }
        if (r->n_toks) memcpy(nt, r->toks, (size_t)r->n_toks * sizeof(*nt));
        r->toks = nt;
        lx->cap = nc;
    }
    struct cql_tok *t = &r->toks[r->n_toks++];
    t->type = (uint16_t)type;
    t->hidden = (uint8_t)hidden;
    t->off = (uint32_t)off;
    t->len = (uint32_t)len;
    t->line = line;
    t->col = col;
    t->text = lx->s + off;
    t->text_len = (uint32_t)len;
    return 0;
}

/* Appends one character of the query to msg in ANTLR's getCharErrorDisplay
 * form ('x', '\n', '<EOF>'), replacing bytes that are not valid UTF-8. */
static void char_display(const lexer *lx, size_t i, char *out, size_t cap)
{
    int c = at(lx, i);
    if (c < 0) {
        snprintf(out, cap, "'<EOF>'");
        return;
    }
    if (c == '\n') {
        snprintf(out, cap, "'\\n'");
        return;
    }
    if (c == '\r') {
        snprintf(out, cap, "'\\r'");
        return;
    }
    if (c == '\t') {
        snprintf(out, cap, "'\\t'");
        return;
    }
    if (c >= 0x20 && c < 0x7F) {
        snprintf(out, cap, "'%c'", c);
        return;
    }
    /* multi-byte: copy a valid UTF-8 sequence, else U+FFFD */
    int need = c >= 0xF0 && c <= 0xF4   ? 4
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xC2 && c <= 0xDF ? 2
                                        : 0;
    char seq[5] = {0};
    int ok = need > 0;
    for (int j = 0; ok && j < need; j++) {
        int b = at(lx, i + (size_t)j);
        if (b < 0 || (j > 0 && (b & 0xC0) != 0x80))
            ok = 0;
        else
            seq[j] = (char)b;
    }
    if (!ok) memcpy(seq, "\xEF\xBF\xBD", 4);
    snprintf(out, cap, "'%s'", seq);
}

static void lex_error(lexer *lx, size_t tok_off, size_t err_pos, int line, int col,
                      const char *fmt_kind, const char *expecting)
{
    struct cql_lex_result *r = lx->res;
    if (r->has_err) return;
    char disp[16];
    char_display(lx, err_pos, disp, sizeof disp);
    r->has_err = 1;
    r->err_tok_off = (uint32_t)tok_off;
    r->err_line = line;
    r->err_col = col;
    if (expecting)
        snprintf(r->err_msg, sizeof r->err_msg, "mismatched character %s expecting %s", disp,
                 expecting);
    else
        snprintf(r->err_msg, sizeof r->err_msg, "%s %s", fmt_kind, disp);
}

/* line/col of position `to`, advancing from (i, line, col) */
static void advance_pos(const lexer *lx, size_t i, size_t to, int *line, int *col)
{
    for (; i < to && i < lx->n; i++) {
        unsigned char b = (unsigned char)lx->s[i];
        if (b == '\n') {
            (*line)++;
            *col = 0;
        } else if ((b & 0xC0) != 0x80) {
            *col += (b >= 0xF0 && b <= 0xF4) ? 2 : 1;
        }
    }
}

/* Quoted token (string '...' or name "...") with doubled-quote escapes.
 * Returns bytes consumed including quotes, or 0 if unterminated. The
 * unescaped text is stored in the token (arena copy when it had escapes). */
static size_t quoted(lexer *lx, size_t i, int q, const char **text, uint32_t *text_len)
{
    size_t k = i + 1, n_esc = 0;
    for (;;) {
        int c = at(lx, k);
        if (c < 0) return 0;
        if (c == q) {
            if (at(lx, k + 1) == q) {
                n_esc++;
                k += 2;
                continue;
            }
            break;
        }
        k++;
    }
    size_t raw = k - (i + 1);
    if (!n_esc) {
        *text = lx->s + i + 1;
        *text_len = (uint32_t)raw;
    } else {
        char *d = arena_alloc(lx->a, raw - n_esc + 1);
        if (!d) {
            lx->oom = 1;
            return k + 1 - i;
        }
        size_t o = 0;
        for (size_t j = i + 1; j < k; j++) {
            d[o++] = lx->s[j];
            if ((unsigned char)lx->s[j] == q) j++;
        }
        d[o] = 0;
        *text = d;
        *text_len = (uint32_t)o;
    }
    return k + 1 - i;
}

int cql_lex(const char *q, size_t len, arena *a, struct cql_lex_result *res)
{
    lexer lx = {.s = q, .n = len, .a = a, .res = res};
    memset(res, 0, sizeof *res);
    int line = 1, col = 0;
    size_t i = 0;
    while (i < len && !lx.oom) {
        int c = at(&lx, i);
        int d = at(&lx, i + 1);
        size_t tl = 0;
        int type = -1, hidden = 0;
        const char *text = NULL;
        uint32_t text_len = 0;

        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            tl = 1;
            while (i + tl < len && (q[i + tl] == ' ' || q[i + tl] == '\t' || q[i + tl] == '\n' ||
                                    q[i + tl] == '\r'))
                tl++;
            type = TK_WS;
            hidden = 1;
        } else if ((c == '-' && d == '-') || (c == '/' && d == '/')) {
            /* COMMENT: to the end of the line, newline included. Lexer.g
             * requires the newline; we also accept end of input. */
            tl = 2;
            while (i + tl < len && q[i + tl] != '\n' && q[i + tl] != '\r')
                tl++;
            if (i + tl < len) tl++;
            type = TK_COMMENT;
            hidden = 1;
        } else if (c == '/' && d == '*') {
            size_t k = i + 2;
            while (k < len && !(q[k] == '*' && at(&lx, k + 1) == '/'))
                k++;
            if (k >= len) {
                int el = line, ec = col;
                advance_pos(&lx, i, len, &el, &ec);
                lex_error(&lx, i, len, el, ec, NULL, "'*'");
                break;
            }
            tl = k + 2 - i;
            type = TK_COMMENT;
            hidden = 1;
        } else if (c == '\'') {
            tl = quoted(&lx, i, '\'', &text, &text_len);
            if (!tl) {
                int el = line, ec = col;
                advance_pos(&lx, i, len, &el, &ec);
                lex_error(&lx, i, len, el, ec, NULL, "'''");
                break;
            }
            type = TK_STRING;
        } else if (c == '"') {
            if (d == '"' && at(&lx, i + 2) != '"') {
                tl = 2;
                type = TK_EMPTY_QUOTED_NAME;
            } else {
                tl = quoted(&lx, i, '"', &text, &text_len);
                if (!tl) {
                    int el = line, ec = col;
                    advance_pos(&lx, i, len, &el, &ec);
                    lex_error(&lx, i, len, el, ec, NULL, "'\"'");
                    break;
                }
                type = TK_QUOTED_NAME;
            }
        } else if (c == '$') {
            if (d != '$') {
                int el = line, ec = col;
                advance_pos(&lx, i, i + 1, &el, &ec);
                lex_error(&lx, i, i + 1, el, ec, NULL, "'$'");
                tl = 1;
            } else {
                size_t k = i + 2;
                while (k + 1 < len && !(q[k] == '$' && q[k + 1] == '$'))
                    k++;
                if (k + 1 >= len) {
                    int el = line, ec = col;
                    advance_pos(&lx, i, len, &el, &ec);
                    lex_error(&lx, i, len, el, ec, NULL, "'$'");
                    break;
                }
                tl = k + 2 - i;
                text = q + i + 2;
                text_len = (uint32_t)(k - i - 2);
                type = TK_STRING;
            }
        } else if (is_digit(c) || (c == '-' && is_digit(d))) {
            int nt;
            size_t nl = number_len(&lx, i, &nt);
            size_t dl = duration_units(&lx, i);
            size_t ul = c != '-' ? uuid_len(&lx, i) : 0;
            size_t hl = 0;
            if (c == '0' && lower(d) == 'x') {
                hl = 2;
                while (is_hex(at(&lx, i + hl)))
                    hl++;
            }
            tl = nl;
            type = nt;
            if (dl > tl) tl = dl, type = TK_DURATION;
            if (hl > tl) tl = hl, type = TK_HEX;
            if (ul > tl) tl = ul, type = TK_UUID;
        } else if (c == '-') {
            size_t x;
            tl = 1;
            type = TK_MINUS;
            if (d == '=') tl = 2, type = TK_MINUS_EQ;
            if ((x = match_ci(&lx, i + 1, "nan")) && x + 1 > tl) tl = x + 1, type = TK_NEG_NAN;
            if ((x = match_ci(&lx, i + 1, "infinity")) && x + 1 > tl)
                tl = x + 1, type = TK_NEG_INFINITY;
            if ((x = duration_iso(&lx, i)) > tl) tl = x, type = TK_DURATION;
        } else if (is_letter(c)) {
            size_t k = 1;
            while (is_letter(at(&lx, i + k)) || is_digit(at(&lx, i + k)) || at(&lx, i + k) == '_')
                k++;
            tl = k;
            type = TK_IDENT;
            if (k <= 13) {
                char w[16];
                for (size_t j = 0; j < k; j++)
                    w[j] = (char)lower((unsigned char)q[i + j]);
                w[k] = 0;
                if ((k == 4 && !memcmp(w, "true", 4)) || (k == 5 && !memcmp(w, "false", 5))) {
                    type = TK_BOOLEAN;
                } else if (!strcmp(w, "schema")) {
                    type = K_KEYSPACE;
                } else if (!strcmp(w, "table")) {
                    type = K_COLUMNFAMILY;
                } else {
                    for (int j = 0; j < N_KW; j++)
                        if (kw_table[j].len == k && !memcmp(kw_table[j].s, w, k)) {
                            type = kw_table[j].type;
                            break;
                        }
                }
            } else if (k == 14 && match_ci(&lx, i, "columnfamilies") == 14) {
                type = K_TABLES;
            }
            size_t x;
            if (k == 4 && !memcmp(q + i, "expr", 4) && at(&lx, i + 4) == '(')
                tl = 5, type = TK_EXPR;
            if (c == 'P' && (x = duration_iso(&lx, i)) >= tl && x) tl = x, type = TK_DURATION;
            if (is_hex(c) && (x = uuid_len(&lx, i)) > tl) tl = x, type = TK_UUID;
        } else {
            switch (c) {
            case '?': tl = 1, type = TK_QMARK; break;
            case '(': tl = 1, type = TK_LPAREN; break;
            case ')': tl = 1, type = TK_RPAREN; break;
            case '[': tl = 1, type = TK_LBRACKET; break;
            case ']': tl = 1, type = TK_RBRACKET; break;
            case '{': tl = 1, type = TK_LBRACE; break;
            case '}': tl = 1, type = TK_RBRACE; break;
            case ',': tl = 1, type = TK_COMMA; break;
            case ';': tl = 1, type = TK_SEMI; break;
            case ':': tl = 1, type = TK_COLON; break;
            case '*': tl = 1, type = TK_STAR; break;
            case '/': tl = 1, type = TK_SLASH; break;
            case '%': tl = 1, type = TK_PERCENT; break;
            case '=': tl = 1, type = TK_EQ; break;
            case '.':
                if (d == '.')
                    tl = 2, type = TK_RANGE;
                else
                    tl = 1, type = TK_DOT;
                break;
            case '<':
                if (d == '=')
                    tl = 2, type = TK_LTE;
                else
                    tl = 1, type = TK_LT;
                break;
            case '>':
                if (d == '=')
                    tl = 2, type = TK_GTE;
                else
                    tl = 1, type = TK_GT;
                break;
            case '+':
                if (d == '=')
                    tl = 2, type = TK_PLUS_EQ;
                else
                    tl = 1, type = TK_PLUS;
                break;
            case '!':
                if (d == '=') {
                    tl = 2, type = TK_NEQ;
                } else {
                    int el = line, ec = col;
                    advance_pos(&lx, i, i + 1, &el, &ec);
                    lex_error(&lx, i, i + 1, el, ec, NULL, "'='");
                    tl = 1;
                }
                break;
            default:
                lex_error(&lx, i, i, line, col, "no viable alternative at character", NULL);
                /* skip one whole UTF-8 sequence (or one bad byte) */
                tl = 1;
                if (c >= 0xC0)
                    while (i + tl < len && tl < 4 && ((unsigned char)q[i + tl] & 0xC0) == 0x80)
                        tl++;
                break;
            }
        }
        if (type >= 0) {
            if (push_tok(&lx, type, i, tl, line, col, hidden)) break;
            if (text) {
                struct cql_tok *t = &res->toks[res->n_toks - 1];
                t->text = text;
                t->text_len = text_len;
            }
        }
        advance_pos(&lx, i, i + tl, &line, &col);
        i += tl;
    }
    if (!lx.oom) {
        /* on an unterminated token we stopped early: EOF goes at the end */
        if (i < len) advance_pos(&lx, i, len, &line, &col);
        push_tok(&lx, TK_EOF, len, 0, line, col, 0);
    }
    if (lx.oom) return -2;
    res->toks[res->n_toks - 1].text = "<EOF>";
    res->toks[res->n_toks - 1].text_len = 5;
    return 0;
}
