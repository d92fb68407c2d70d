/*
 * ringsh -- the interactive CQL shell (cqlsh's behaviour, in C).
 *
 * Files:
 *   main.c      options, connecting, the input loop (line editing, history,
 *               statement splitting), shell commands, errors, exit codes
 *   display.c   values as cqlsh prints them, result tables, EXPAND, paging
 *   describe.c  DESCRIBE: CQL rebuilt from system_schema.* as the Python
 *               driver's export_as_string() prints it
 *   copy.c      COPY TO / COPY FROM (CSV), pipelined prepared INSERTs
 *
 * Thread context: single-threaded.
 */
#ifndef RINGDB_TOOLS_RINGSH_H
#define RINGDB_TOOLS_RINGSH_H

#include <stdio.h>

#include "client/client.h"
#include "util/buf.h"

#define RINGSH_VERSION "1.0.0"

struct shell {
    cqlc_conn *conn;
    cqlc_opts opts;
    char host[256];
    int port;
    char keyspace[256]; /* current keyspace, "" if none */
    char username[128];
    /* input */
    int tty;              /* interactive: prompts, ---MORE---, no line numbers */
    int show_line_nums;   /* errors as <name>:<line>:<text> */
    const char *src_name; /* "<stdin>" or the -f / SOURCE file name */
    int lineno;
    /* settings */
    uint16_t consistency;
    uint16_t serial_consistency;
    int use_paging;
    int page_size;
    int expand;
    int float_precision, double_precision;
    int ts_millis; /* timestamps with milliseconds (COPY TO) */
    /* state */
    int statement_error; /* an error was printed (exit code 2 in batch) */
    int stop;
    char release_version[64];
    char cql_version[32];
    char cluster_name[128];
};

/* main.c */
void sh_printerr(struct shell *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print a failed request as cqlsh does ("InvalidRequest: Error from server:
 * ..."); rc from the client, r the result holding the ERROR. */
void sh_print_request_error(struct shell *sh, int rc, const cqlc_result *r);
/* Run the statements of a file in a sub-shell (SOURCE). */
void sh_source(struct shell *sh, const char *path);
/* Words of a command: identifiers/numbers, '..' and ".." literals (kept
 * with their quotes), single punctuation characters; heap copies. */
struct words {
    char *w[64];
    int n;
};
void sh_words_split(const char *s, struct words *out);
void sh_words_free(struct words *w);
/* Quote an identifier if CQL needs it (python driver's maybe_escape_name). */
void sh_protect_name(const char *name, buf *out);
/* Lower-case an unquoted identifier, unquote a quoted one. */
void sh_unprotect_name(const char *s, size_t n, char *out, size_t cap);

/* display.c */
void disp_init(void);
/* Append the cqlsh text of a value (quote: inside a collection). */
void disp_value(const struct shell *sh, const struct type *t, const uint8_t *p, int32_t len,
                int quote, buf *out);
/* Display width (terminal columns) of a UTF-8 string. */
int disp_width(const char *s, size_t n);
/* Run a statement with the shell's consistency and paging and print the
 * result as cqlsh does. Returns 1 on success, 0 after printing an error. */
int disp_run_statement(struct shell *sh, const char *cql, int is_select);
/* cmd.Cmd.columnize: names in columns within `width` characters. */
void disp_columnize(char **names, int n, int width);

/* describe.c: `args` is the text after DESCRIBE/DESC. */
void desc_run(struct shell *sh, const char *args);

/* copy.c: `args` is the text after COPY. */
void copy_run(struct shell *sh, const char *args);

#endif
