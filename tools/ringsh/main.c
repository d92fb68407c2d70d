/*
 * ringsh main -- options, the input loop and the shell commands, following
 * cqlsh (apache/cassandra bin/cqlsh.py, pylib/cqlshlib/cqlshmain.py):
 *
 *   ringsh [options] [host [port]]      host/port default 127.0.0.1 9042,
 *                                       or $CQLSH_HOST / $CQLSH_PORT
 *   -e STMT  run STMT (';' appended if missing) and exit
 *   -f FILE  run the statements of FILE and exit
 *   exit status: 0; 2 when a statement failed in -e/-f/piped mode;
 *   1 when the connection or the file could not be opened.
 *
 * Input: lines are accumulated until every statement in them ends with
 * ';' outside quotes ('..', "..", $$..$$) and comments (--, //, / * * /);
 * shell commands (DESCRIBE, CONSISTENCY, PAGING, EXPAND, SOURCE, HELP,
 * EXIT ...) also end at the end of their line, as cqlsh's
 * commands_end_with_newline. Interactive mode uses libedit with history
 * in ~/.ringsh_history ($RINGSH_HISTORY overrides), prompts "ringsh> " /
 * "ringsh:ks> " and a continuation prompt aligned under them.
 *
 * Errors go to stderr as cqlsh prints them: "<class>: <message>", and in
 * batch mode prefixed "<file>:<line>:" where <line> is the number of lines
 * read so far plus one (cqlsh's lineno), "<stdin>" for -e and pipes.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>
#include <ctype.h>
#include <editline/readline.h>

#include "ringsh.h"
#include "transport/wire.h"
#include "util/mem.h"

static const char *const RESERVED[] = {"active",
                                       "add",
                                       "allow",
                                       "alter",
                                       "and",
                                       "any",
                                       "application",
                                       "applications",
                                       "apply",
                                       "asc",
                                       "authentication",
                                       "authorize",
                                       "batch",
                                       "begin",
                                       "by",
                                       "call",
                                       "calls",
                                       "cluster",
                                       "columnfamily",
                                       "columns",
                                       "commit",
                                       "config",
                                       "create",
                                       "default",
                                       "delegation",
                                       "delete",
                                       "desc",
                                       "describe",
                                       "drop",
                                       "entries",
                                       "execute",
                                       "executor",
                                       "executors",
                                       "field",
                                       "from",
                                       "full",
                                       "grant",
                                       "if",
                                       "in",
                                       "index",
                                       "indices",
                                       "infinity",
                                       "insert",
                                       "internal",
                                       "into",
                                       "is",
                                       "java",
                                       "kerberos",
                                       "keyspace",
                                       "ldap",
                                       "limit",
                                       "lowercasestring",
                                       "materialized",
                                       "mbean",
                                       "mbeans",
                                       "method",
                                       "modify",
                                       "nan",
                                       "no",
                                       "node",
                                       "nodes",
                                       "norecursive",
                                       "not",
                                       "null",
                                       "object",
                                       "of",
                                       "on",
                                       "or",
                                       "order",
                                       "plan",
                                       "primary",
                                       "profiles",
                                       "rebuild",
                                       "redact",
                                       "reload",
                                       "remote",
                                       "rename",
                                       "renew",
                                       "replace",
                                       "restrict",
                                       "revoke",
                                       "rows",
                                       "schema",
                                       "scheme",
                                       "schemes",
                                       "search",
                                       "select",
                                       "set",
                                       "std_err",
                                       "std_out",
                                       "submission",
                                       "table",
                                       "to",
                                       "token",
                                       "truncate",
                                       "unlogged",
                                       "unrestrict",
                                       "unset",
                                       "update",
                                       "use",
                                       "using",
                                       "view",
                                       "where",
                                       "with",
                                       "workpool",
                                       NULL};

static volatile sig_atomic_t got_sigint;

/* ---- names -------------------------------------------------------------- */

void sh_protect_name(const char *name, buf *out)
{
    int valid = name[0] >= 'a' && name[0] <= 'z';
    for (const char *p = name; valid && *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) valid = 0;
    for (int i = 0; valid && RESERVED[i]; i++)
        if (strcmp(RESERVED[i], name) == 0) valid = 0;
    if (valid) {
        buf_put(out, name, strlen(name));
        return;
    }
    buf_put_u8(out, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"') buf_put_u8(out, '"');
        buf_put_u8(out, (uint8_t)*p);
    }
    buf_put_u8(out, '"');
}

void sh_unprotect_name(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        for (size_t i = 1; i + 1 < n && o + 1 < cap; i++) {
            if (s[i] == '"' && i + 2 < n && s[i + 1] == '"') i++;
            out[o++] = s[i];
        }
    } else {
        for (size_t i = 0; i < n && o + 1 < cap; i++)
            out[o++] = (char)tolower((unsigned char)s[i]);
    }
    out[o] = 0;
}

/* ---- errors ------------------------------------------------------------- */

void sh_printerr(struct shell *sh, const char *fmt, ...)
{
    sh->statement_error = 1;
    fflush(stdout);
    if (sh->show_line_nums) fprintf(stderr, "%s:%d:", sh->src_name, sh->lineno);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

static const char *cl_name(uint16_t cl)
{
    const char *n = proto_consistency_name(cl);
    return n ? n : "UNKNOWN";
}

static int sh_reconnect(struct shell *sh);

void sh_print_request_error(struct shell *sh, int rc, const cqlc_result *r)
{
    if (rc != CQLC_ESERVER) {
        const char *why = sh->conn ? cqlc_errmsg(sh->conn) : "not connected";
        if (rc == CQLC_ETIMEOUT)
            sh_printerr(sh,
                        "OperationTimedOut: errors={'%s:%d': 'Client request timeout. See "
                        "Session.execute[_async](timeout)'}, last_host=%s:%d",
                        sh->host, sh->port, sh->host, sh->port);
        else
            sh_printerr(sh,
                        "NoHostAvailable: ('Unable to complete the operation against any "
                        "hosts', {'%s:%d': '%s'})",
                        sh->host, sh->port, why);
        sh_reconnect(sh);
        return;
    }
    const cqlc_error *e = &r->err;
    const char *cls = cqlc_error_class(e->code);
    const char *sum = cqlc_error_summary(e->code);
    char head[64];
    snprintf(head, sizeof(head), "%s: Error from server: code=%04x [", cls, (unsigned)e->code);
    switch (e->code) {
    case PROTO_ERR_ALREADY_EXISTS:
        if (e->table && *e->table)
            sh_printerr(sh, "AlreadyExists: Table '%s.%s' already exists", e->ks, e->table);
        else
            sh_printerr(sh, "AlreadyExists: Keyspace '%s' already exists", e->ks);
        break;
    case PROTO_ERR_UNAVAILABLE:
        sh_printerr(sh,
                    "%s%s] message=\"%s\" info={'consistency': '%s', 'required_replicas': %d, "
                    "'alive_replicas': %d}",
                    head, sum, e->message, cl_name(e->consistency), e->required, e->alive);
        break;
    case PROTO_ERR_WRITE_TIMEOUT:
        sh_printerr(sh,
                    "%s%s] message=\"%s\" info={'consistency': '%s', 'required_responses': %d, "
                    "'received_responses': %d, 'write_type': '%s'}",
                    head, sum, e->message, cl_name(e->consistency), e->required, e->received,
                    e->write_type);
        break;
    case PROTO_ERR_READ_TIMEOUT:
        sh_printerr(sh,
                    "%s%s] message=\"%s\" info={'consistency': '%s', 'required_responses': %d, "
                    "'received_responses': %d}",
                    head, sum, e->message, cl_name(e->consistency), e->required, e->received);
        break;
    case PROTO_ERR_READ_FAILURE:
    case PROTO_ERR_WRITE_FAILURE: {
        buf m;
        buf_init(&m);
        if (e->has_reasonmap) {
            const char *s = ", 'error_code_map': {";
            buf_put(&m, s, strlen(s));
            for (int32_t i = 0; i < e->n_failures; i++) {
                char one[96];
                snprintf(one, sizeof(one), "%s'%s': '0x%04x'", i ? ", " : "", e->failures[i].addr,
                         e->failures[i].code);
                buf_put(&m, one, strlen(one));
            }
            buf_put_u8(&m, '}');
        }
        buf_put_u8(&m, 0);
        sh_printerr(sh,
                    "%s%s] message=\"%s\" info={'consistency': '%s', 'required_responses': %d, "
                    "'received_responses': %d, 'failures': %d%s}",
                    head, sum, e->message, cl_name(e->consistency), e->required, e->received,
                    e->n_failures, (const char *)m.data);
        buf_free(&m);
        break;
    }
    case PROTO_ERR_FUNCTION_FAILURE:
    case PROTO_ERR_UNAUTHORIZED:
    case PROTO_ERR_INVALID: sh_printerr(sh, "%s%s] message=\"%s\"", head, sum, e->message); break;
    default: sh_printerr(sh, "%s: %s", cls, e->message); break;
    }
}

/* ---- connecting --------------------------------------------------------- */

static int load_versions(struct shell *sh)
{
    cqlc_result r;
    cqlc_result_init(&r);
    cqlc_qopts o;
    cqlc_qopts_init(&o);
    int rc = cqlc_query(sh->conn,
                        "SELECT release_version, cql_version, cluster_name FROM system.local "
                        "WHERE key = 'local'",
                        &o, &r);
    if (rc == CQLC_OK && r.kind == CQLC_RES_ROWS && r.n_rows > 0 && r.n_cols == 3) {
        char *dst[3] = {sh->release_version, sh->cql_version, sh->cluster_name};
        size_t cap[3] = {sizeof(sh->release_version), sizeof(sh->cql_version),
                         sizeof(sh->cluster_name)};
        for (int j = 0; j < 3; j++) {
            const struct type_val *v = cqlc_cell(&r, 0, j);
            snprintf(dst[j], cap[j], "%.*s", v->len > 0 ? (int)v->len : 0,
                     v->len > 0 ? (const char *)v->p : "");
        }
    }
    cqlc_result_free(&r);
    return rc;
}

static int use_keyspace(struct shell *sh, const char *ks, cqlc_result *r)
{
    buf q;
    buf_init(&q);
    buf_put(&q, "USE ", 4);
    sh_protect_name(ks, &q);
    buf_put_u8(&q, 0);
    cqlc_qopts o;
    cqlc_qopts_init(&o);
    int rc = cqlc_query(sh->conn, (const char *)q.data, &o, r);
    buf_free(&q);
    return rc;
}

static int sh_reconnect(struct shell *sh)
{
    if (sh->conn) cqlc_close(sh->conn);
    sh->conn = NULL;
    char err[256];
    if (cqlc_connect(&sh->opts, &sh->conn, err, sizeof(err), NULL) != CQLC_OK) return -1;
    if (sh->keyspace[0]) {
        cqlc_result r;
        cqlc_result_init(&r);
        use_keyspace(sh, sh->keyspace, &r);
        cqlc_result_free(&r);
    }
    return 0;
}

/* ---- shell commands ----------------------------------------------------- */

void sh_words_split(const char *s, struct words *out)
{
    out->n = 0;
    const char *p = s;
    while (*p && out->n < 64) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p) break;
        const char *start = p;
        if (*p == '\'' || *p == '"') {
            char q = *p++;
            while (*p) {
                if (*p == q && p[1] == q) {
                    p += 2;
                    continue;
                }
                if (*p == q) {
                    p++;
                    break;
                }
                p++;
            }
        } else if (isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '?') {
            while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '?'))
                p++;
        } else {
            p++;
        }
        out->w[out->n++] = mem_strndup(start, (size_t)(p - start));
    }
}

void sh_words_free(struct words *w)
{
    for (int i = 0; i < w->n; i++)
        mem_free(w->w[i]);
    w->n = 0;
}

/* Unquote a '...' string literal into a heap string (caller frees). */
static char *unquote_string(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || s[0] != '\'' || s[n - 1] != '\'') return mem_strndup(s, n);
    char *o = mem_alloc(n);
    size_t k = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] == '\'' && s[i + 1] == '\'') i++;
        o[k++] = s[i];
    }
    o[k] = 0;
    return o;
}

static const char *const LEVELS[] = {"ANY",    "ONE",          "TWO",          "THREE",
                                     "QUORUM", "ALL",          "LOCAL_QUORUM", "EACH_QUORUM",
                                     "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE",    NULL};

static void do_consistency(struct shell *sh, struct words *w, int serial)
{
    int first = serial ? 2 : 1;
    if (w->n == first) {
        if (serial)
            printf("Current serial consistency level is %s.\n", cl_name(sh->serial_consistency));
        else
            printf("Current consistency level is %s.\n", cl_name(sh->consistency));
        return;
    }
    int cl = -1;
    if (w->n == first + 1) {
        for (int i = 0; LEVELS[i]; i++)
            if (strcasecmp(LEVELS[i], w->w[first]) == 0) cl = cqlc_consistency_from_name(LEVELS[i]);
        if (serial && cl != PROTO_CL_SERIAL && cl != PROTO_CL_LOCAL_SERIAL) cl = -1;
    }
    if (cl < 0) {
        sh_printerr(sh, "Improper %s command.", serial ? "serial" : w->w[0]);
        return;
    }
    char up[32];
    snprintf(up, sizeof(up), "%s", cl_name((uint16_t)cl));
    if (serial) {
        sh->serial_consistency = (uint16_t)cl;
        printf("Serial consistency level set to %s.\n", up);
    } else {
        sh->consistency = (uint16_t)cl;
        printf("Consistency level set to %s.\n", up);
    }
}

/* cqlsh SwitchCommand; returns the new state. */
static int do_switch(struct shell *sh, const char *cmd, const char *desc, int state, const char *sw)
{
    if (!sw) {
        if (state)
            printf("%s is currently enabled. Use %s OFF to disable\n", desc, cmd);
        else
            printf("%s is currently disabled. Use %s ON to enable.\n", desc, cmd);
        return state;
    }
    if (strcasecmp(sw, "ON") == 0) {
        if (state) {
            sh_printerr(sh, "%s is already enabled. Use %s OFF to disable.", desc, cmd);
            return state;
        }
        printf("Now %s is enabled\n", desc);
        return 1;
    }
    if (strcasecmp(sw, "OFF") == 0) {
        if (!state) {
            sh_printerr(sh, "%s is not enabled.", desc);
            return state;
        }
        printf("Disabled %s.\n", desc);
        return 0;
    }
    return state;
}

static int is_number(const char *s)
{
    if (!*s) return 0;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p)) return 0;
    return 1;
}

static void do_paging(struct shell *sh, struct words *w)
{
    const char *sw = w->n > 1 ? w->w[1] : NULL;
    if (w->n > 2 || (sw && strcasecmp(sw, "ON") && strcasecmp(sw, "OFF") && !is_number(sw))) {
        sh_printerr(sh, "Improper %s command.", w->w[0]);
        return;
    }
    int state = do_switch(sh, "PAGING", "Query paging", sh->use_paging, sw);
    if (sw && is_number(sw)) {
        state = 1;
        int n = atoi(sw);
        if (n > 0) sh->page_size = n;
    }
    sh->use_paging = state;
    if (sh->use_paging)
        printf("Page size: %d\n", sh->page_size);
    else
        sh->page_size = 100;
}

static void do_expand(struct shell *sh, struct words *w)
{
    const char *sw = w->n > 1 ? w->w[1] : NULL;
    if (w->n > 2 || (sw && strcasecmp(sw, "ON") && strcasecmp(sw, "OFF"))) {
        sh_printerr(sh, "Improper %s command.", w->w[0]);
        return;
    }
    sh->expand = do_switch(sh, "EXPAND", "Expanded output", sh->expand, sw);
}

static const char *const SHELL_TOPICS[] = {"CLEAR",    "CLS",    "CONSISTENCY", "COPY",   "DESC",
                                           "DESCRIBE", "EXIT",   "EXPAND",      "HELP",   "PAGING",
                                           "QUIT",     "SERIAL", "SHOW",        "SOURCE", NULL};

static const char *help_text(const char *topic)
{
    static const struct {
        const char *t, *doc;
    } docs[] = {
        {"consistency", "\n        CONSISTENCY [cqlsh only]\n\n           Overrides default "
                        "consistency level (default level is ONE).\n\n        CONSISTENCY "
                        "<level>\n\n           Sets consistency level for future requests.\n\n"
                        "        CONSISTENCY\n\n           CONSISTENCY with no arguments shows "
                        "the current consistency level.\n"},
        {"serial", "\n        SERIAL CONSISTENCY [cqlsh only]\n\n           Overrides serial "
                   "consistency level (default level is SERIAL).\n"},
        {"paging", "\n        PAGING [cqlsh]\n\n          Enables or disables query paging.\n\n"
                   "        PAGING ON | OFF | <page size>\n"},
        {"expand", "\n        EXPAND [cqlsh]\n\n          Enables or disables expanded "
                   "(vertical) output.\n\n        EXPAND ON | OFF\n"},
        {"source", "\n        SOURCE [cqlsh only]\n\n        Executes a file containing CQL "
                   "statements.\n\n          SOURCE '<file>';\n"},
        {"describe", "\n        DESCRIBE [cqlsh only]\n\n        DESCRIBE KEYSPACES | KEYSPACE "
                     "[<ks>] | TABLES | TABLE [<ks>.]<t> | TYPES | TYPE [<ks>.]<t> | SCHEMA | "
                     "<name>\n"},
        {"desc", "\n        DESC: see DESCRIBE\n"},
        {"copy", "\n        COPY [cqlsh only]\n\n        COPY <table> [(<col>, ...)] FROM|TO "
                 "'<file>' [WITH HEADER = true AND DELIMITER = ',' AND NULL = '' ...];\n"},
        {"exit", "\n        EXIT/QUIT [cqlsh only]\n\n        Exits cqlsh.\n"},
        {"quit", "\n        EXIT/QUIT [cqlsh only]\n\n        Exits cqlsh.\n"},
        {"show", "\n        SHOW VERSION | HOST\n"},
        {"help", "\n        HELP [cqlsh only]\n\n        Gives information about cqlsh commands."
                 "\n"},
        {"clear", "\n        CLEAR/CLS [cqlsh only]\n\n        Clears the console.\n"},
        {"cls", "\n        CLEAR/CLS [cqlsh only]\n\n        Clears the console.\n"},
        {NULL, NULL}};
    for (int i = 0; docs[i].t; i++)
        if (strcasecmp(docs[i].t, topic) == 0) return docs[i].doc;
    return NULL;
}

static void do_help(struct shell *sh, struct words *w)
{
    if (w->n <= 1) {
        const char *hdr = "\nDocumented shell commands:";
        printf("%s\n", hdr);
        for (size_t i = 0; i < strlen(hdr); i++)
            fputc('=', stdout);
        fputc('\n', stdout);
        char *names[32];
        int n = 0;
        for (int i = 0; SHELL_TOPICS[i]; i++)
            names[n++] = (char *)SHELL_TOPICS[i];
        disp_columnize(names, n, 79);
        fputc('\n', stdout);
        return;
    }
    for (int i = 1; i < w->n; i++) {
        const char *doc = help_text(w->w[i]);
        if (doc)
            printf("%s\n", doc);
        else
            sh_printerr(sh, "*** No help on %s", w->w[i]);
    }
}

static void show_host(struct shell *sh)
{
    printf("Connected to %s at %s:%d\n", sh->cluster_name, sh->host, sh->port);
}

static void show_version(struct shell *sh)
{
    printf("[ringsh %s | Cassandra %s | CQL spec %s | Native protocol v%d]\n", RINGSH_VERSION,
           sh->release_version, sh->cql_version, cqlc_version(sh->conn));
}

/* Commands that end at the end of their line (cqlsh
 * my_commands_ending_with_newline). */
static int ends_with_newline(const char *word, size_t n)
{
    static const char *const cmds[] = {"help",  "?",       "consistency", "serial",  "describe",
                                       "desc",  "show",    "source",      "capture", "login",
                                       "debug", "tracing", "expand",      "paging",  "exit",
                                       "quit",  "clear",   "cls",         "history", NULL};
    for (int i = 0; cmds[i]; i++)
        if (strlen(cmds[i]) == n && strncasecmp(cmds[i], word, n) == 0) return 1;
    return 0;
}

static void handle_statement(struct shell *sh, const char *stmt)
{
    struct words w;
    sh_words_split(stmt, &w);
    if (w.n == 0) {
        sh_words_free(&w);
        return;
    }
    const char *cmd = w.w[0];
    const char *rest = stmt;
    while (isspace((unsigned char)*rest))
        rest++;
    rest += strlen(cmd);
    if (!sh->conn && sh_reconnect(sh) != 0) {
        sh_printerr(sh,
                    "NoHostAvailable: ('Unable to connect to any servers', {'%s:%d': "
                    "'Connection refused'})",
                    sh->host, sh->port);
        sh_words_free(&w);
        return;
    }
    if (strcasecmp(cmd, "select") == 0 || strcasecmp(cmd, "list") == 0) {
        disp_run_statement(sh, stmt, 1);
    } else if (strcasecmp(cmd, "use") == 0) {
        disp_run_statement(sh, stmt, 0);
    } else if (strcasecmp(cmd, "consistency") == 0) {
        do_consistency(sh, &w, 0);
    } else if (strcasecmp(cmd, "serial") == 0) {
        if (w.n < 2 || strcasecmp(w.w[1], "consistency") != 0)
            sh_printerr(sh, "Improper serial command.");
        else
            do_consistency(sh, &w, 1);
    } else if (strcasecmp(cmd, "paging") == 0) {
        do_paging(sh, &w);
    } else if (strcasecmp(cmd, "expand") == 0) {
        do_expand(sh, &w);
    } else if (strcasecmp(cmd, "describe") == 0 || strcasecmp(cmd, "desc") == 0) {
        desc_run(sh, rest);
    } else if (strcasecmp(cmd, "copy") == 0) {
        copy_run(sh, rest);
    } else if (strcasecmp(cmd, "source") == 0) {
        if (w.n != 2 || w.w[1][0] != '\'') {
            sh_printerr(sh, "Improper %s command.", cmd);
        } else {
            char *f = unquote_string(w.w[1]);
            sh_source(sh, f);
            mem_free(f);
        }
    } else if (strcasecmp(cmd, "help") == 0 || strcmp(cmd, "?") == 0) {
        do_help(sh, &w);
    } else if (strcasecmp(cmd, "exit") == 0 || strcasecmp(cmd, "quit") == 0) {
        sh->stop = 1;
    } else if (strcasecmp(cmd, "show") == 0) {
        if (w.n == 2 && strcasecmp(w.w[1], "version") == 0)
            show_version(sh);
        else if (w.n == 2 && strcasecmp(w.w[1], "host") == 0)
            show_host(sh);
        else
            sh_printerr(sh, "Improper %s command.", cmd);
    } else if (strcasecmp(cmd, "clear") == 0 || strcasecmp(cmd, "cls") == 0) {
        fputs("\033[H\033[2J", stdout);
    } else if (strcasecmp(cmd, "tracing") == 0 || strcasecmp(cmd, "capture") == 0 ||
               strcasecmp(cmd, "login") == 0 || strcasecmp(cmd, "history") == 0 ||
               strcasecmp(cmd, "debug") == 0) {
        sh_printerr(sh, "%s is not supported by ringsh yet.", cmd);
    } else {
        disp_run_statement(sh, stmt, 0);
    }
    fflush(stdout);
    sh_words_free(&w);
}

/* ---- statement splitting ------------------------------------------------- */

/*
 * Scan text[0..n): collect complete statements (comments removed, ';'
 * dropped) into out[] (heap strings). Returns 1 if the text ends
 * complete (only whitespace/comments after the last statement), 0 if more
 * input is needed. *n_out gets the number of statements.
 */
static int split_statements(const char *text, size_t n, char ***out, int *n_out)
{
    buf cur;
    buf_init(&cur);
    char **list = NULL;
    int count = 0, cap = 0;
    int complete = 1;
    size_t i = 0;
    int have_word = 0, newline_cmd = 0;
    while (i < n) {
        char c = text[i];
        if (!have_word && (isalpha((unsigned char)c) || c == '?')) {
            size_t j = i;
            while (j < n && (isalnum((unsigned char)text[j]) || text[j] == '_' || text[j] == '?'))
                j++;
            have_word = 1;
            newline_cmd = ends_with_newline(text + i, j - i);
            buf_put(&cur, text + i, j - i);
            i = j;
            continue;
        }
        if (c == '\'' || c == '"') {
            size_t j = i + 1;
            int closed = 0;
            while (j < n) {
                if (text[j] == c) {
                    if (j + 1 < n && text[j + 1] == c) {
                        j += 2;
                        continue;
                    }
                    closed = 1;
                    j++;
                    break;
                }
                j++;
            }
            buf_put(&cur, text + i, j - i);
            have_word = 1;
            i = j;
            if (!closed) {
                complete = 0;
                break;
            }
            continue;
        }
        if (c == '$' && i + 1 < n && text[i + 1] == '$') {
            const char *end = NULL;
            for (size_t j = i + 2; j + 1 < n; j++)
                if (text[j] == '$' && text[j + 1] == '$') {
                    end = text + j;
                    break;
                }
            have_word = 1;
            if (!end) {
                buf_put(&cur, text + i, n - i);
                complete = 0;
                i = n;
                break;
            }
            size_t j = (size_t)(end - text) + 2;
            buf_put(&cur, text + i, j - i);
            i = j;
            continue;
        }
        if ((c == '-' && i + 1 < n && text[i + 1] == '-') ||
            (c == '/' && i + 1 < n && text[i + 1] == '/')) {
            while (i < n && text[i] != '\n')
                i++;
            continue; /* the newline itself is handled below */
        }
        if (c == '/' && i + 1 < n && text[i + 1] == '*') {
            size_t j = i + 2;
            int closed = 0;
            for (; j + 1 < n; j++)
                if (text[j] == '*' && text[j + 1] == '/') {
                    closed = 1;
                    break;
                }
            if (!closed) {
                complete = 0;
                i = n;
                break;
            }
            buf_put_u8(&cur, ' ');
            i = j + 2;
            continue;
        }
        if (c == ';' || (c == '\n' && have_word && newline_cmd)) {
            /* trim and emit */
            size_t a = 0, b = cur.len;
            while (a < b && isspace(cur.data[a]))
                a++;
            while (b > a && isspace(cur.data[b - 1]))
                b--;
            if (b > a) {
                if (count == cap) {
                    cap = cap ? cap * 2 : 8;
                    list = mem_realloc(list, sizeof(char *) * (size_t)cap);
                }
                list[count++] = mem_strndup((const char *)cur.data + a, b - a);
            }
            buf_clear(&cur);
            have_word = 0;
            newline_cmd = 0;
            i++;
            continue;
        }
        if (!isspace((unsigned char)c)) have_word = 1;
        buf_put_u8(&cur, (uint8_t)c);
        i++;
    }
    if (complete) {
        for (size_t k = 0; k < cur.len; k++)
            if (!isspace(cur.data[k])) complete = 0;
    }
    buf_free(&cur);
    *out = list;
    *n_out = count;
    return complete;
}

static void free_list(char **list, int n)
{
    for (int i = 0; i < n; i++)
        mem_free(list[i]);
    mem_free(list);
}

/* The accumulated input: run it if complete. Returns 1 when the buffer
 * was consumed (complete), 0 when more input is needed. */
static int onecmd(struct shell *sh, buf *stmt)
{
    char **list;
    int n;
    int complete = split_statements((const char *)stmt->data, stmt->len, &list, &n);
    if (!complete) {
        free_list(list, n);
        return 0;
    }
    for (int i = 0; i < n && !sh->stop; i++)
        handle_statement(sh, list[i]);
    free_list(list, n);
    return 1;
}

/* ---- input loop ---------------------------------------------------------- */

static char history_path[4096];

static void make_prompt(struct shell *sh, int cont, char *out, size_t cap)
{
    const char *user = sh->username[0] ? sh->username : NULL;
    if (!cont) {
        if (sh->keyspace[0])
            snprintf(out, cap, "%s%sringsh:%s> ", user ? user : "", user ? "@" : "", sh->keyspace);
        else
            snprintf(out, cap, "%s%sringsh> ", user ? user : "", user ? "@" : "");
        return;
    }
    size_t k = 0;
    if (sh->keyspace[0]) {
        size_t n = strlen(sh->keyspace);
        for (size_t i = 0; i < n && k + 1 < cap; i++)
            out[k++] = ' ';
        snprintf(out + k, cap - k, "     ... ");
    } else {
        snprintf(out, cap, "    ... ");
    }
}

/* Read one line (with its '\n'); NULL at EOF. Caller frees. */
static char *get_line(struct shell *sh, FILE *in, const char *prompt)
{
    if (sh->tty) {
        got_sigint = 0;
        char *l = readline(prompt);
        if (!l) return NULL;
        size_t n = strlen(l);
        char *r = mem_alloc(n + 2);
        memcpy(r, l, n);
        r[n] = '\n';
        r[n + 1] = 0;
        if (n > 0) {
            add_history(l);
        }
        free(l);
        sh->lineno++;
        return r;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t r = getline(&line, &cap, in);
    if (r < 0) {
        free(line);
        return NULL;
    }
    char *copy = mem_strndup(line, (size_t)r);
    free(line);
    sh->lineno++;
    return copy;
}

static void cmdloop(struct shell *sh, FILE *in, const char *single)
{
    buf stmt;
    buf_init(&stmt);
    int lines_in_stmt = 0;
    if (single) {
        buf_put(&stmt, single, strlen(single));
        buf_put_u8(&stmt, '\n');
        if (!onecmd(sh, &stmt)) sh_printerr(sh, "Incomplete statement at end of file");
        buf_free(&stmt);
        return;
    }
    char prompt[512];
    while (!sh->stop) {
        make_prompt(sh, stmt.len > 0, prompt, sizeof(prompt));
        char *line = get_line(sh, in, prompt);
        if (!line) {
            if (sh->tty && got_sigint) {
                /* Ctrl-C: drop the statement */
                buf_clear(&stmt);
                lines_in_stmt = 0;
                fputc('\n', stdout);
                got_sigint = 0;
                continue;
            }
            if (sh->tty) fputc('\n', stdout);
            int nonblank = 0;
            for (size_t k = 0; k < stmt.len; k++)
                if (!isspace(stmt.data[k])) nonblank = 1;
            if (nonblank && !onecmd(sh, &stmt))
                sh_printerr(sh, "Incomplete statement at end of file");
            break;
        }
        buf_put(&stmt, line, strlen(line));
        mem_free(line);
        lines_in_stmt++;
        if (onecmd(sh, &stmt)) {
            if (sh->tty && lines_in_stmt > 1) {
                /* multi-line statements also go to history as one line */
                char *joined = mem_strndup((const char *)stmt.data, stmt.len);
                for (char *p = joined; *p; p++)
                    if (*p == '\n') *p = ' ';
                size_t jn = strlen(joined);
                while (jn > 0 && isspace((unsigned char)joined[jn - 1]))
                    joined[--jn] = 0;
                add_history(joined);
                mem_free(joined);
            }
            if (sh->tty && history_path[0]) write_history(history_path);
            buf_clear(&stmt);
            lines_in_stmt = 0;
        }
    }
    buf_free(&stmt);
}

void sh_source(struct shell *sh, const char *path)
{
    char full[4096];
    if (path[0] == '~' && (path[1] == '/' || path[1] == 0) && getenv("HOME"))
        snprintf(full, sizeof(full), "%s%s", getenv("HOME"), path + 1);
    else
        snprintf(full, sizeof(full), "%s", path);
    FILE *f = fopen(full, "r");
    if (!f) {
        sh_printerr(sh, "Could not open '%s': [Errno %d] %s: '%s'", full, errno, strerror(errno),
                    full);
        return;
    }
    struct shell sub = *sh;
    sub.tty = 0;
    sub.show_line_nums = 1;
    sub.src_name = full;
    sub.lineno = 1;
    sub.stop = 0;
    sub.statement_error = 0;
    cmdloop(&sub, f, NULL);
    fclose(f);
    /* the sub-shell shares the connection; keep what it changed */
    sh->conn = sub.conn;
    memcpy(sh->keyspace, sub.keyspace, sizeof(sh->keyspace));
    if (sub.statement_error) sh->statement_error = 1;
}

/* ---- options ------------------------------------------------------------- */

static const char USAGE[] = "Usage: ringsh [options] [host [port]]\n";

static void print_help(void)
{
    printf("%s\nCQL Shell for ringdb (cqlsh-compatible)\n\n"
           "Options:\n"
           "  --version             show program's version number and exit\n"
           "  -h, --help            show this help message and exit\n"
           "  -u USERNAME, --username=USERNAME\n"
           "                        Authenticate as user.\n"
           "  -p PASSWORD, --password=PASSWORD\n"
           "                        Authenticate using password.\n"
           "  -k KEYSPACE, --keyspace=KEYSPACE\n"
           "                        Authenticate to the given keyspace.\n"
           "  -f FILE, --file=FILE  Execute commands from FILE, then exit\n"
           "  -e EXECUTE, --execute=EXECUTE\n"
           "                        Execute the statement and quit.\n"
           "  --connect-timeout=CONNECT_TIMEOUT\n"
           "                        Specify the connection timeout in seconds (default: 5\n"
           "                        seconds).\n"
           "  --request-timeout=REQUEST_TIMEOUT\n"
           "                        Specify the default request timeout in seconds\n"
           "                        (default: 10 seconds).\n"
           "  --protocol-version=PROTOCOL_VERSION\n"
           "                        Specify a specific protocol version (4 or 5); by\n"
           "                        default the client negotiates.\n"
           "  -t, --tty             Force tty mode (command prompt).\n"
           "\nConnects to 127.0.0.1:9042 by default. These defaults can be changed by\n"
           "setting $CQLSH_HOST and/or $CQLSH_PORT. When a host (and optional port\n"
           "number) are given on the command line, they take precedence over any\n"
           "defaults.\n",
           USAGE);
}

static void usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s\nringsh: error: ", USAGE);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

/* Read a password from the terminal without echo (getpass). */
static void read_password(char *out, size_t cap)
{
    fputs("Password: ", stderr);
    fflush(stderr);
    struct termios old, noecho;
    int is_tty = tcgetattr(STDIN_FILENO, &old) == 0;
    if (is_tty) {
        noecho = old;
        noecho.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
    }
    if (!fgets(out, (int)cap, stdin)) out[0] = 0;
    if (is_tty) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
    out[strcspn(out, "\r\n")] = 0;
}

static void on_sigint(int sig)
{
    (void)sig;
    got_sigint = 1;
}

int main(int argc, char **argv)
{
    struct shell sh;
    memset(&sh, 0, sizeof(sh));
    sh.consistency = PROTO_CL_ONE;
    sh.serial_consistency = PROTO_CL_SERIAL;
    sh.use_paging = 1;
    sh.page_size = 100;
    sh.float_precision = 5;
    sh.double_precision = 5;
    sh.src_name = "<stdin>";
    sh.lineno = 1;
    disp_init();

    const char *execute = NULL, *file = NULL, *user = NULL, *password = NULL, *keyspace = NULL;
    int force_tty = 0, version = 0;
    double connect_timeout = 5, request_timeout = 10;
    const char *pos[2] = {NULL, NULL};
    int n_pos = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        const char *val = NULL;
        char name[64] = "";
        if (strcmp(a, "--") == 0) {
            for (i++; i < argc && n_pos < 2; i++)
                pos[n_pos++] = argv[i];
            break;
        }
        if (a[0] == '-' && a[1] == '-') {
            char *eq = strchr(a, '=');
            snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
            if (eq) val = eq + 1;
        } else if (a[0] == '-' && a[1]) {
            snprintf(name, sizeof(name), "-%c", a[1]);
            if (a[2]) val = a + 2;
        } else {
            if (n_pos >= 2) usage_error("too many arguments: %s", a);
            pos[n_pos++] = a;
            continue;
        }
#define NEEDS_VALUE()                                                                              \
    do {                                                                                           \
        if (!val) {                                                                                \
            if (i + 1 >= argc) usage_error("%s option requires an argument", name);                \
            val = argv[++i];                                                                       \
        }                                                                                          \
    } while (0)
        if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
            print_help();
            return 0;
        } else if (!strcmp(name, "--version") || !strcmp(name, "-v")) {
            printf("ringsh %s\n", RINGSH_VERSION);
            return 0;
        } else if (!strcmp(name, "-e") || !strcmp(name, "--execute")) {
            NEEDS_VALUE();
            execute = val;
        } else if (!strcmp(name, "-f") || !strcmp(name, "--file")) {
            NEEDS_VALUE();
            file = val;
        } else if (!strcmp(name, "-u") || !strcmp(name, "--username")) {
            NEEDS_VALUE();
            user = val;
        } else if (!strcmp(name, "-p") || !strcmp(name, "--password")) {
            NEEDS_VALUE();
            password = val;
        } else if (!strcmp(name, "-k") || !strcmp(name, "--keyspace")) {
            NEEDS_VALUE();
            keyspace = val;
        } else if (!strcmp(name, "--request-timeout")) {
            NEEDS_VALUE();
            char *end;
            request_timeout = strtod(val, &end);
            if (*end || end == val) usage_error("\"%s\" is not a valid request timeout.", val);
        } else if (!strcmp(name, "--connect-timeout")) {
            NEEDS_VALUE();
            char *end;
            connect_timeout = strtod(val, &end);
            if (*end || end == val) usage_error("\"%s\" is not a valid connect timeout.", val);
        } else if (!strcmp(name, "--protocol-version")) {
            NEEDS_VALUE();
            version = atoi(val);
            if (version != 4 && version != 5)
                usage_error("protocol version %s is not supported (4 or 5)", val);
        } else if (!strcmp(name, "-t") || !strcmp(name, "--tty")) {
            force_tty = 1;
        } else if (!strcmp(name, "-C") || !strcmp(name, "--color") || !strcmp(name, "--no-color") ||
                   !strcmp(name, "--debug")) {
            /* accepted, no effect */
        } else if (!strcmp(name, "--encoding") || !strcmp(name, "--cqlversion") ||
                   !strcmp(name, "--cqlshrc") || !strcmp(name, "--credentials")) {
            NEEDS_VALUE();
        } else {
            usage_error("no such option: %s", name);
        }
#undef NEEDS_VALUE
    }

    const char *host = getenv("CQLSH_HOST");
    const char *port_s = getenv("CQLSH_PORT");
    if (n_pos > 0) host = pos[0];
    if (n_pos > 1) port_s = pos[1];
    snprintf(sh.host, sizeof(sh.host), "%s", host && *host ? host : "127.0.0.1");
    sh.port = 9042;
    if (port_s) {
        char *end;
        long p = strtol(port_s, &end, 10);
        if (*end || end == port_s || p <= 0 || p > 65535) {
            char q[300];
            snprintf(q, sizeof(q), "'%s' is not a valid port number.", port_s);
            usage_error("%s", q);
        }
        sh.port = (int)p;
    }

    FILE *in = stdin;
    if (file) {
        in = fopen(file, "r");
        if (!in) {
            fprintf(stderr, "Can't open '%s': [Errno %d] %s: '%s'\n", file, errno, strerror(errno),
                    file);
            return 1;
        }
        sh.src_name = file;
    }
    sh.tty = isatty(STDIN_FILENO) || force_tty;
    if (file || execute) sh.tty = 0;
    sh.show_line_nums = !sh.tty;

    char pwbuf[256] = "";
    if (user && !password) {
        read_password(pwbuf, sizeof(pwbuf));
        password = pwbuf;
    } else if (password) {
        fprintf(stderr, "\nWarning: Using a password on the command line interface can be "
                        "insecure.\nRecommendation: use the credentials file to securely "
                        "provide the password.\n\n");
    }
    if (user) snprintf(sh.username, sizeof(sh.username), "%s", user);

    sh.opts.host = sh.host;
    sh.opts.port = sh.port;
    sh.opts.version = version;
    sh.opts.username = user;
    sh.opts.password = password;
    sh.opts.connect_timeout_ms = (int)(connect_timeout * 1000);
    sh.opts.request_timeout_ms = request_timeout > 0 ? (int)(request_timeout * 1000) : -1;

    char err[512];
    int32_t code = -1;
    int rc = cqlc_connect(&sh.opts, &sh.conn, err, sizeof(err), &code);
    if (rc != CQLC_OK) {
        if (strcmp(err, "Remote end requires authentication") == 0)
            fprintf(stderr,
                    "Connection error: ('Unable to connect to any servers', {'%s:%d': "
                    "AuthenticationFailed('Remote end requires authentication')})\n",
                    sh.host, sh.port);
        else if (code == PROTO_ERR_BAD_CREDENTIALS || (rc == CQLC_ESERVER && code < 0))
            fprintf(stderr,
                    "Connection error: ('Unable to connect to any servers', {'%s:%d': "
                    "AuthenticationFailed('Failed to authenticate to %s:%d: Error from server: "
                    "code=0100 [Bad credentials] message=\"%s\"')})\n",
                    sh.host, sh.port, sh.host, sh.port, err);
        else if (rc == CQLC_ESERVER)
            fprintf(stderr,
                    "Connection error: ('Unable to connect to any servers', {'%s:%d': "
                    "%s('%s')})\n",
                    sh.host, sh.port, cqlc_error_class(code), err);
        else
            fprintf(stderr,
                    "Connection error: ('Unable to connect to any servers', {'%s:%d': "
                    "ConnectionRefusedError(%d, \"Tried connecting to [('%s', %d)]. Last error: "
                    "%s\")})\n",
                    sh.host, sh.port, ECONNREFUSED, sh.host, sh.port, err);
        return 1;
    }
    load_versions(&sh);
    if (keyspace) {
        cqlc_result r;
        cqlc_result_init(&r);
        rc = use_keyspace(&sh, keyspace, &r);
        if (rc != CQLC_OK) {
            fprintf(stderr,
                    "Connection error: ('Unable to connect to any servers', {'%s:%d': ", sh.host,
                    sh.port);
            if (rc == CQLC_ESERVER)
                fprintf(stderr,
                        "InvalidRequest('Error from server: code=%04x [%s] message=\"%s\"')})\n",
                        (unsigned)r.err.code, cqlc_error_summary(r.err.code), r.err.message);
            else
                fprintf(stderr, "'%s'})\n", cqlc_errmsg(sh.conn));
            cqlc_result_free(&r);
            cqlc_close(sh.conn);
            return 1;
        }
        snprintf(sh.keyspace, sizeof(sh.keyspace), "%s", r.keyspace ? r.keyspace : keyspace);
        cqlc_result_free(&r);
    }

    if (sh.tty) {
        const char *hp = getenv("RINGSH_HISTORY");
        if (hp && *hp)
            snprintf(history_path, sizeof(history_path), "%s", hp);
        else if (getenv("HOME"))
            snprintf(history_path, sizeof(history_path), "%s/.ringsh_history", getenv("HOME"));
        using_history();
        stifle_history(1000);
        if (history_path[0]) read_history(history_path);
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_sigint;
        sigaction(SIGINT, &sa, NULL);
        show_host(&sh);
        show_version(&sh);
        printf("Use HELP for help.\n");
        fflush(stdout);
    }

    char *single = NULL;
    if (execute) {
        size_t n = strlen(execute);
        single = mem_alloc(n + 2);
        memcpy(single, execute, n + 1);
        size_t t = n;
        while (t > 0 && isspace((unsigned char)single[t - 1]))
            t--;
        if (t == 0 || single[t - 1] != ';') {
            single[t] = ';';
            single[t + 1] = 0;
        }
    }
    cmdloop(&sh, in, single);
    mem_free(single);
    if (sh.tty && history_path[0]) write_history(history_path);
    if (file) fclose(in);
    fflush(stdout);
    if (sh.conn) cqlc_close(sh.conn);
    if (!sh.tty && sh.statement_error) return 2;
    return 0;
}
