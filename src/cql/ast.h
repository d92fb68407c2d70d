/*
 * ast.h -- the tree cql_parse() builds for one CQL statement.
 *
 * Ownership: every node, array and string below lives in the arena given to
 * cql_parse() and stays valid until that arena is reset or destroyed. Nodes
 * are never freed one by one and never shared between statements.
 *
 * Conventions:
 *  (1) names (keyspaces, tables, columns, fields, functions, roles ...) are
 *      NUL-terminated and already normalised the way Cassandra does it:
 *      unquoted identifiers and unreserved keywords are lower-cased, "quoted"
 *      names keep their case with "" unescaped. Exceptions, as in Cassandra:
 *      role names given as 'string literals' keep their case, and legacy
 *      USER names (CREATE/ALTER/DROP USER) keep their case even unquoted;
 *  (2) a qualified name is struct cql_qname; ks is NULL when not written;
 *  (3) lists are an array of pointers plus a count (n_x); an absent list has
 *      n_x == 0 and may have a NULL array;
 *  (4) optional parts are NULL pointers / false flags when absent;
 *  (5) literal texts keep Cassandra's raw text: string literals unescaped
 *      (they may contain NUL bytes, so len is given), numbers as written
 *      (including a leading '-'), uuids/hex/durations as written;
 *  (6) bind markers ('?' and ':name') are numbered 0, 1, ... in the order
 *      they appear in the text, across all statements of a batch. Every
 *      marker is a CQL_TERM_BIND node and also appears in cql_stmt.binds with
 *      the context the executor needs to give it a type (see
 *      struct cql_bind_marker).
 *
 * The AST is purely syntactic: no schema lookups, no type checking. What
 * Cassandra rejects in its parser (Parser.g's addRecognitionError: bind
 * markers in DDL names, malformed property maps, duplicate properties,
 * "X = X + <value>" shapes, incompatible updates of one column ...) is
 * rejected by cql_parse() with Cassandra's message; everything else
 * (unknown columns, wrong types, missing primary key, ...) is the
 * executor's job.
 */
#ifndef RINGDB_CQL_AST_H
#define RINGDB_CQL_AST_H

#include <stdbool.h>
#include <stddef.h>

/* ------------------------------------------------------------- names */

struct cql_qname {
    const char *ks;   /* NULL when not qualified */
    const char *name; /* never NULL in a parsed tree */
};

/* ------------------------------------------------------------- types */

enum cql_native {
    CQL_NATIVE_ASCII,
    CQL_NATIVE_BIGINT,
    CQL_NATIVE_BLOB,
    CQL_NATIVE_BOOLEAN,
    CQL_NATIVE_COUNTER,
    CQL_NATIVE_DATE,
    CQL_NATIVE_DECIMAL,
    CQL_NATIVE_DOUBLE,
    CQL_NATIVE_DURATION,
    CQL_NATIVE_FLOAT,
    CQL_NATIVE_INET,
    CQL_NATIVE_INT,
    CQL_NATIVE_SMALLINT,
    CQL_NATIVE_TEXT,
    CQL_NATIVE_TIME,
    CQL_NATIVE_TIMESTAMP,
    CQL_NATIVE_TIMEUUID,
    CQL_NATIVE_TINYINT,
    CQL_NATIVE_UUID,
    CQL_NATIVE_VARCHAR,
    CQL_NATIVE_VARINT,
};

enum cql_type_kind {
    CQL_TYPE_NATIVE, /* native */
    CQL_TYPE_LIST,   /* params[0] */
    CQL_TYPE_SET,    /* params[0] */
    CQL_TYPE_MAP,    /* params[0] key, params[1] value */
    CQL_TYPE_TUPLE,  /* params[0..n_params) */
    CQL_TYPE_VECTOR, /* params[0] element type, vector_dim */
    CQL_TYPE_UDT,    /* udt (ks optional) */
    CQL_TYPE_CUSTOM, /* custom: class name from a 'string' type */
};

struct cql_type {
    enum cql_type_kind kind;
    bool frozen; /* written inside frozen<...> (set on the inner type) */
    enum cql_native native;
    struct cql_type **params;
    int n_params;
    int vector_dim; /* as written, may be <= 0 (validated later) */
    struct cql_qname udt;
    const char *custom;
};

/* ------------------------------------------------------------- terms */

enum cql_const_kind {
    CQL_CONST_STRING,   /* 'text' or $$text$$, unescaped */
    CQL_CONST_INTEGER,  /* -?[0-9]+ */
    CQL_CONST_FLOAT,    /* 1.5, 1e10, -2.0E-3 */
    CQL_CONST_BOOLEAN,  /* text "true"/"false" as written (any case) */
    CQL_CONST_DURATION, /* 1h30m, P1DT2H, -3d ... */
    CQL_CONST_UUID,     /* 8-4-4-4-12 hex */
    CQL_CONST_HEX,      /* 0x... (blob) */
    CQL_CONST_NAN,      /* NaN or -NaN; text "NaN" */
    CQL_CONST_INFINITY, /* text "Infinity" or "-Infinity" */
    CQL_CONST_NULL,     /* NULL; text "null" */
    CQL_CONST_IDENT,    /* only in property values: an unreserved keyword */
};

enum cql_term_kind {
    CQL_TERM_CONST,     /* constant */
    CQL_TERM_BIND,      /* bind */
    CQL_TERM_LIST,      /* [a, b]        items */
    CQL_TERM_SET,       /* {a, b} or {}  items (an empty {} is a SET) */
    CQL_TERM_MAP,       /* {k: v, ...}   map */
    CQL_TERM_TUPLE,     /* (a, b)        items */
    CQL_TERM_UDT,       /* {f: v, ...}   udt */
    CQL_TERM_FUNCTION,  /* f(args)       func */
    CQL_TERM_CAST,      /* CAST(t AS native)  cast */
    CQL_TERM_TYPE_HINT, /* (type) t      hint */
    CQL_TERM_BINOP,     /* a + b, - * / %     binop */
    CQL_TERM_NEGATE,    /* - t           negate */
};

struct cql_term {
    enum cql_term_kind kind;
    int line, col; /* position of the term's first token */
    union {
        struct {
            enum cql_const_kind kind;
            const char *text; /* NUL-terminated */
            size_t len;       /* bytes of text (strings may hold NULs) */
        } constant;
        struct {
            int index;        /* 0-based, see (6) */
            const char *name; /* ':name' -> "name"; NULL for '?' */
        } bind;
        struct {
            struct cql_term **items;
            int n_items;
        } list;
        struct {
            struct cql_term **keys, **values;
            int n_entries;
        } map;
        struct {
            const char **fields;
            struct cql_term **values;
            int n_fields;
        } udt;
        struct {
            struct cql_qname name; /* lower-cased unless quoted */
            struct cql_term **args;
            int n_args;
        } func;
        struct {
            struct cql_term *arg;
            enum cql_native type;
        } cast;
        struct {
            struct cql_type *type;
            struct cql_term *arg;
        } hint;
        struct {
            char op; /* '+', '-', '*', '/', '%' */
            struct cql_term *left, *right;
        } binop;
        struct {
            struct cql_term *arg;
        } negate;
    };
};

/* ---------------------------------------------------------- selectors */

enum cql_sel_kind {
    CQL_SEL_COLUMN,       /* column */
    CQL_SEL_TERM,         /* a literal, NULL or bind marker: term */
    CQL_SEL_FUNCTION,     /* f(args): func */
    CQL_SEL_COUNT_ROWS,   /* count(*) */
    CQL_SEL_WRITETIME,    /* writetime(c[...]):    arg */
    CQL_SEL_MAXWRITETIME, /* maxwritetime(c[...]): arg */
    CQL_SEL_TTL,          /* ttl(c[...]):          arg */
    CQL_SEL_CAST,         /* cast(s AS native):    cast */
    CQL_SEL_FIELD,        /* s.field:              field */
    CQL_SEL_ELEMENT,      /* s[key]:               element */
    CQL_SEL_SLICE,        /* s[from..to]:          slice */
    CQL_SEL_BINOP,        /* s + s ...             binop */
    CQL_SEL_NEGATE,       /* - s                   arg */
    CQL_SEL_TYPE_HINT,    /* (type) s              hint */
    CQL_SEL_LIST,         /* [s, ...]              items */
    CQL_SEL_SET,          /* {s, ...} or {}        items */
    CQL_SEL_MAP,          /* {s: s, ...} (map or UDT literal, decided later) map */
    CQL_SEL_TUPLE,        /* (s, ...); n_items == 1 is just parentheses */
};

struct cql_selector {
    enum cql_sel_kind kind;
    union {
        const char *column;
        struct cql_term *term;
        struct {
            struct cql_qname name;
            struct cql_selector **args;
            int n_args;
        } func;
        /* WRITETIME/MAXWRITETIME/TTL: a COLUMN, or FIELD/ELEMENT/SLICE
         * applied to a COLUMN; NEGATE: the negated selector */
        struct cql_selector *arg;
        struct {
            struct cql_selector *arg;
            enum cql_native type;
        } cast;
        struct {
            struct cql_selector *arg;
            const char *name;
        } field;
        struct {
            struct cql_selector *arg;
            struct cql_term *key;
        } element;
        struct {
            struct cql_selector *arg;
            struct cql_term *from, *to; /* NULL when open */
        } slice;
        struct {
            char op;
            struct cql_selector *left, *right;
        } binop;
        struct {
            struct cql_type *type;
            struct cql_selector *arg;
        } hint;
        struct {
            struct cql_selector **items;
            int n_items;
        } list;
        struct {
            struct cql_selector **keys, **values;
            int n_entries;
        } map;
    };
};

struct cql_select_item {
    struct cql_selector *sel;
    const char *alias; /* AS alias, NULL if none */
};

/* ---------------------------------------------------- where / if / set */

enum cql_op {
    CQL_OP_EQ,
    CQL_OP_LT,
    CQL_OP_LTE,
    CQL_OP_GT,
    CQL_OP_GTE,
    CQL_OP_NEQ,
    CQL_OP_IN,
    CQL_OP_CONTAINS,
    CQL_OP_CONTAINS_KEY,
    CQL_OP_LIKE,
    CQL_OP_IS_NOT, /* IS NOT NULL (value is the NULL constant) */
};

enum cql_rel_kind {
    CQL_REL_SINGLE,      /* columns[0] op value */
    CQL_REL_MAP_ELEMENT, /* columns[0][key] op value */
    CQL_REL_TOKEN,       /* token(columns...) op value */
    CQL_REL_MULTI,       /* (columns...) op value  -- value: TUPLE or BIND */
    CQL_REL_CUSTOM,      /* expr(index, value) */
};

/*
 * A WHERE relation. For op IN exactly one of these holds:
 *  - in_marker: `IN ?` / `IN :x` -- value is the BIND term of the whole list;
 *  - otherwise in_values[0..n_in_values) (possibly empty `IN ()`); for
 *    CQL_REL_MULTI each is a TUPLE term or a BIND term (one tuple each).
 * Parenthesised relations `(a = 1)` are flattened into the clause.
 */
struct cql_relation {
    enum cql_rel_kind kind;
    enum cql_op op;
    const char **columns;
    int n_columns;
    struct cql_term *key;   /* MAP_ELEMENT */
    struct cql_term *value; /* right-hand side; NULL for IN with a list */
    struct cql_term **in_values;
    int n_in_values;
    bool in_marker;
    const char *index; /* CUSTOM: index name */
};

enum cql_cond_kind {
    CQL_COND_SIMPLE,  /* column op value */
    CQL_COND_ELEMENT, /* column[element] op value */
    CQL_COND_FIELD,   /* column.field op value */
};

/* An IF condition of UPDATE/DELETE. IN follows struct cql_relation's rule
 * (value + in_marker, or in_values). */
struct cql_condition {
    enum cql_cond_kind kind;
    const char *column;
    struct cql_term *element;
    const char *field;
    enum cql_op op;
    struct cql_term *value;
    struct cql_term **in_values;
    int n_in_values;
    bool in_marker;
};

enum cql_assign_kind {
    CQL_ASSIGN_SET,         /* c = value */
    CQL_ASSIGN_SET_ELEMENT, /* c[key] = value */
    CQL_ASSIGN_SET_FIELD,   /* c.field = value */
    CQL_ASSIGN_ADD,         /* c = c + value, c += value, c = c -3 (value -3) */
    CQL_ASSIGN_SUBTRACT,    /* c = c - value, c -= value */
    CQL_ASSIGN_PREPEND,     /* c = value + c */
};

struct cql_assignment {
    enum cql_assign_kind kind;
    const char *column;
    struct cql_term *key; /* SET_ELEMENT */
    const char *field;    /* SET_FIELD */
    struct cql_term *value;
};

enum cql_del_kind {
    CQL_DEL_COLUMN,  /* c */
    CQL_DEL_ELEMENT, /* c[element] */
    CQL_DEL_FIELD,   /* c.field */
};

struct cql_deletion {
    enum cql_del_kind kind;
    const char *column;
    struct cql_term *element;
    const char *field;
};

/* USING TIMESTAMP/TTL: INTEGER constants or BIND terms; NULL when absent */
struct cql_attrs {
    struct cql_term *timestamp;
    struct cql_term *ttl;
};

/* ------------------------------------------------------- properties */

/* One WITH option: name = constant | name = {map}. Map keys and values are
 * CONST terms (Cassandra rejects anything else while parsing). */
struct cql_property {
    const char *name; /* lower-cased unless quoted */
    bool is_map;
    struct cql_term *value; /* !is_map: CONST (kind IDENT for a bare keyword) */
    struct cql_term **keys, **values;
    int n_entries;
};

struct cql_props {
    struct cql_property **items;
    int n;
};

/* ---------------------------------------------------------- DML */

struct cql_ordering {
    const char *column;
    struct cql_term *ann; /* ORDER BY c ANN OF term; NULL otherwise */
    bool desc;
};

struct cql_select {
    struct cql_qname table;
    bool json, distinct;
    bool wildcard; /* SELECT *: n_selectors == 0 */
    struct cql_select_item **selectors;
    int n_selectors;
    struct cql_relation **where;
    int n_where;
    struct cql_selector **group_by;
    int n_group_by;
    struct cql_ordering **order_by;
    int n_order_by;
    struct cql_term *per_partition_limit; /* INTEGER or BIND; NULL if absent */
    struct cql_term *limit;
    bool allow_filtering;
};

struct cql_insert {
    struct cql_qname table;
    bool json;
    /* normal form: columns and values (counts may differ: checked later) */
    const char **columns;
    int n_columns;
    struct cql_term **values;
    int n_values;
    /* JSON form: a STRING constant or a BIND term */
    struct cql_term *json_value;
    bool default_unset; /* DEFAULT UNSET (DEFAULT NULL is the default) */
    bool if_not_exists;
    struct cql_attrs attrs;
};

struct cql_update {
    struct cql_qname table;
    struct cql_attrs attrs;
    struct cql_assignment **assignments;
    int n_assignments;
    struct cql_relation **where;
    int n_where;
    bool if_exists;
    struct cql_condition **conditions;
    int n_conditions;
};

struct cql_delete {
    struct cql_deletion **columns; /* empty: the whole row/partition */
    int n_columns;
    struct cql_qname table;
    struct cql_attrs attrs; /* timestamp only */
    struct cql_relation **where;
    int n_where;
    bool if_exists;
    struct cql_condition **conditions;
    int n_conditions;
};

enum cql_batch_type { CQL_BATCH_LOGGED, CQL_BATCH_UNLOGGED, CQL_BATCH_COUNTER };

struct cql_batch {
    enum cql_batch_type type;
    struct cql_attrs attrs;
    struct cql_stmt **stmts; /* INSERT, UPDATE or DELETE; may be empty */
    int n_stmts;
};

/* ---------------------------------------------------------- DDL */

struct cql_mask {
    bool is_default; /* MASKED WITH DEFAULT (function mask_default) */
    struct cql_qname func;
    struct cql_term **args;
    int n_args;
};

struct cql_column_def {
    const char *name;
    struct cql_type *type;
    bool is_static;
    struct cql_mask *mask; /* NULL if not masked */
};

struct cql_clustering_order {
    const char *column;
    bool desc;
};

struct cql_create_keyspace {
    const char *name;
    bool if_not_exists;
    struct cql_props props;
};

struct cql_alter_keyspace {
    const char *name;
    bool if_exists;
    struct cql_props props;
};

/* DROP KEYSPACE/TABLE/INDEX/TYPE/MATERIALIZED VIEW/ROLE/USER/IDENTITY and
 * TRUNCATE, USE: a name and IF EXISTS. For DROP KEYSPACE, USE and roles only
 * name.name is set. */
struct cql_drop {
    struct cql_qname name;
    bool if_exists;
};

struct cql_create_table {
    struct cql_qname name;
    bool if_not_exists;
    struct cql_column_def **columns;
    int n_columns;
    /* primary key: from `c type PRIMARY KEY` or `PRIMARY KEY ((a, b), c)` */
    const char **partition_key;
    int n_partition_key;
    const char **clustering;
    int n_clustering;
    int n_primary_key_decls; /* != 1 is an error for the executor */
    bool compact_storage;
    struct cql_clustering_order **clustering_order;
    int n_clustering_order;
    struct cql_props props;
};

enum cql_alter_table_kind {
    CQL_ALTER_TABLE_ALTER_TYPE,   /* ALTER c TYPE t */
    CQL_ALTER_TABLE_MASK,         /* ALTER [IF EXISTS] c MASKED WITH ... */
    CQL_ALTER_TABLE_DROP_MASK,    /* ALTER [IF EXISTS] c DROP MASKED */
    CQL_ALTER_TABLE_ADD,          /* ADD [IF NOT EXISTS] c t | (c t, ...) */
    CQL_ALTER_TABLE_DROP,         /* DROP [IF EXISTS] c | (c, ...) [USING TIMESTAMP n] */
    CQL_ALTER_TABLE_RENAME,       /* RENAME [IF EXISTS] a TO b [AND ...] */
    CQL_ALTER_TABLE_DROP_COMPACT, /* DROP COMPACT STORAGE */
    CQL_ALTER_TABLE_WITH,         /* WITH props */
};

struct cql_alter_table {
    struct cql_qname name;
    bool if_exists;
    enum cql_alter_table_kind kind;
    bool if_column_exists;     /* ALTER/DROP/RENAME IF EXISTS */
    bool if_column_not_exists; /* ADD IF NOT EXISTS */
    const char *column;        /* ALTER_TYPE, MASK, DROP_MASK */
    struct cql_type *type;     /* ALTER_TYPE */
    struct cql_mask *mask;     /* MASK */
    struct cql_column_def **add;
    int n_add;
    const char **drop;
    int n_drop;
    struct cql_term *drop_timestamp; /* INTEGER constant or NULL */
    const char **rename_from, **rename_to;
    int n_renames;
    struct cql_props props;
};

enum cql_index_target_kind {
    CQL_INDEX_SIMPLE,  /* c */
    CQL_INDEX_KEYS,    /* keys(c) */
    CQL_INDEX_VALUES,  /* values(c) */
    CQL_INDEX_ENTRIES, /* entries(c) */
    CQL_INDEX_FULL,    /* full(c) */
};

struct cql_index_target {
    enum cql_index_target_kind kind;
    const char *column;
};

struct cql_create_index {
    bool custom;
    bool if_not_exists;
    const char *name; /* NULL when not given */
    struct cql_qname table;
    struct cql_index_target **targets;
    int n_targets;
    const char *using_class; /* USING 'class', NULL if absent */
    struct cql_props props;  /* WITH OPTIONS = {...} etc. */
};

struct cql_field_def {
    const char *name;
    struct cql_type *type;
};

struct cql_create_type {
    struct cql_qname name;
    bool if_not_exists;
    struct cql_field_def **fields;
    int n_fields;
};

enum cql_alter_type_kind {
    CQL_ALTER_TYPE_ALTER,  /* ALTER f TYPE t */
    CQL_ALTER_TYPE_ADD,    /* ADD [IF NOT EXISTS] f t */
    CQL_ALTER_TYPE_RENAME, /* RENAME [IF EXISTS] a TO b [AND ...] */
};

struct cql_alter_type {
    struct cql_qname name;
    bool if_exists;
    enum cql_alter_type_kind kind;
    bool if_field_exists, if_field_not_exists;
    const char *field;
    struct cql_type *type;
    const char **rename_from, **rename_to;
    int n_renames;
};

struct cql_create_view {
    struct cql_qname name;
    bool if_not_exists;
    struct cql_qname base;
    bool wildcard;
    struct cql_select_item **selectors;
    int n_selectors;
    struct cql_relation **where;
    int n_where;
    const char **partition_key;
    int n_partition_key;
    const char **clustering;
    int n_clustering;
    struct cql_clustering_order **clustering_order;
    int n_clustering_order;
    struct cql_props props;
};

struct cql_alter_view {
    struct cql_qname name;
    bool if_exists;
    struct cql_props props;
};

struct cql_create_function {
    bool or_replace, if_not_exists;
    struct cql_qname name;
    const char **arg_names;
    struct cql_type **arg_types;
    int n_args;
    bool called_on_null_input; /* CALLED ON NULL INPUT vs RETURNS NULL ... */
    struct cql_type *return_type;
    const char *language; /* lower-cased */
    const char *body;
    size_t body_len;
};

/* DROP FUNCTION / DROP AGGREGATE */
struct cql_drop_function {
    bool if_exists;
    struct cql_qname name;
    bool args_specified;
    struct cql_type **arg_types;
    int n_args;
};

struct cql_create_aggregate {
    bool or_replace, if_not_exists;
    struct cql_qname name;
    struct cql_type **arg_types;
    int n_args;
    const char *sfunc;
    struct cql_type *stype;
    const char *finalfunc;     /* NULL if absent */
    struct cql_term *initcond; /* NULL if absent */
};

struct cql_create_trigger {
    bool if_not_exists;
    const char *name;
    struct cql_qname table;
    const char *using_class;
};

struct cql_drop_trigger {
    bool if_exists;
    const char *name;
    struct cql_qname table;
};

/* ------------------------------------------------------ roles and auth */

enum cql_tristate { CQL_UNSET = 0, CQL_FALSE, CQL_TRUE };

/* Options of CREATE/ALTER ROLE and CREATE/ALTER USER. */
struct cql_role_options {
    const char *password;        /* PASSWORD = '...' */
    const char *hashed_password; /* HASHED PASSWORD = '...' */
    enum cql_tristate login, superuser;
    bool has_options; /* OPTIONS = {map} */
    struct cql_term **option_keys, **option_values;
    int n_options;
    bool dc_set; /* ACCESS TO ... DATACENTERS given */
    bool dc_all; /* ACCESS TO ALL DATACENTERS */
    const char **dcs;
    int n_dcs;
    bool cidr_set; /* ACCESS FROM ... CIDRS given */
    bool cidr_all;
    const char **cidrs;
    int n_cidrs;
};

struct cql_role_stmt {
    const char *name;
    bool if_exists;     /* ALTER/DROP */
    bool if_not_exists; /* CREATE */
    struct cql_role_options opts;
};

enum cql_perm {
    CQL_PERM_CREATE = 1 << 0,
    CQL_PERM_ALTER = 1 << 1,
    CQL_PERM_DROP = 1 << 2,
    CQL_PERM_SELECT = 1 << 3,
    CQL_PERM_MODIFY = 1 << 4,
    CQL_PERM_AUTHORIZE = 1 << 5,
    CQL_PERM_DESCRIBE = 1 << 6,
    CQL_PERM_EXECUTE = 1 << 7,
    CQL_PERM_UNMASK = 1 << 8,
    CQL_PERM_SELECT_MASKED = 1 << 9,
};

enum cql_resource_kind {
    CQL_RES_NONE,                /* LIST without ON */
    CQL_RES_ALL_KEYSPACES,       /* ALL KEYSPACES */
    CQL_RES_KEYSPACE,            /* KEYSPACE ks */
    CQL_RES_TABLE,               /* [TABLE] [ks.]t */
    CQL_RES_ALL_TABLES,          /* ALL TABLES IN KEYSPACE ks */
    CQL_RES_ALL_ROLES,           /* ALL ROLES */
    CQL_RES_ROLE,                /* ROLE r */
    CQL_RES_ALL_FUNCTIONS,       /* ALL FUNCTIONS */
    CQL_RES_ALL_FUNCTIONS_IN_KS, /* ALL FUNCTIONS IN KEYSPACE ks */
    CQL_RES_FUNCTION,            /* FUNCTION [ks.]f(types) */
    CQL_RES_ALL_MBEANS,          /* ALL MBEANS */
    CQL_RES_MBEAN,               /* MBEAN 'name' */
    CQL_RES_MBEANS,              /* MBEANS 'pattern' */
};

struct cql_resource {
    enum cql_resource_kind kind;
    struct cql_qname name; /* ks in name.ks for KEYSPACE/ALL_*_IN_KS, role/mbean in name.name */
    struct cql_type **arg_types; /* FUNCTION */
    int n_arg_types;
};

/* GRANT/REVOKE/LIST permissions */
struct cql_permissions_stmt {
    unsigned perms; /* enum cql_perm bits */
    bool all;       /* ALL [PERMISSIONS] */
    struct cql_resource resource;
    const char *role; /* GRANT/REVOKE: grantee; LIST: OF role or NULL */
    bool recursive;   /* LIST: false with NORECURSIVE */
};

/* GRANT role TO grantee / REVOKE role FROM revokee */
struct cql_role_grant {
    const char *role;
    const char *grantee;
};

struct cql_list_roles {
    const char *of; /* NULL if absent */
    bool recursive;
};

struct cql_identity_stmt {
    const char *identity;
    const char *role; /* ADD IDENTITY ... TO ROLE r */
    bool if_not_exists, if_exists;
};

enum cql_describe_kind {
    CQL_DESC_CLUSTER,
    CQL_DESC_SCHEMA, /* full: FULL SCHEMA */
    CQL_DESC_KEYSPACES,
    CQL_DESC_KEYSPACE, /* name.name may be NULL (current keyspace); only */
    CQL_DESC_TABLES,
    CQL_DESC_TABLE,
    CQL_DESC_INDEX,
    CQL_DESC_VIEW,
    CQL_DESC_TYPES,
    CQL_DESC_TYPE,
    CQL_DESC_FUNCTIONS,
    CQL_DESC_FUNCTION,
    CQL_DESC_AGGREGATES,
    CQL_DESC_AGGREGATE,
    CQL_DESC_GENERIC, /* DESCRIBE [ks.]name */
};

struct cql_describe {
    enum cql_describe_kind kind;
    bool full, only, with_internals;
    struct cql_qname name;
};

/* ------------------------------------------------------- statements */

enum cql_stmt_kind {
    CQL_STMT_SELECT,             /* select */
    CQL_STMT_INSERT,             /* insert */
    CQL_STMT_UPDATE,             /* update */
    CQL_STMT_DELETE,             /* delete_ */
    CQL_STMT_BATCH,              /* batch */
    CQL_STMT_USE,                /* drop (name.name = keyspace) */
    CQL_STMT_TRUNCATE,           /* drop (name = table) */
    CQL_STMT_CREATE_KEYSPACE,    /* create_keyspace */
    CQL_STMT_ALTER_KEYSPACE,     /* alter_keyspace */
    CQL_STMT_DROP_KEYSPACE,      /* drop */
    CQL_STMT_CREATE_TABLE,       /* create_table */
    CQL_STMT_ALTER_TABLE,        /* alter_table */
    CQL_STMT_DROP_TABLE,         /* drop */
    CQL_STMT_CREATE_INDEX,       /* create_index */
    CQL_STMT_DROP_INDEX,         /* drop */
    CQL_STMT_CREATE_TYPE,        /* create_type */
    CQL_STMT_ALTER_TYPE,         /* alter_type */
    CQL_STMT_DROP_TYPE,          /* drop */
    CQL_STMT_CREATE_VIEW,        /* create_view */
    CQL_STMT_ALTER_VIEW,         /* alter_view */
    CQL_STMT_DROP_VIEW,          /* drop */
    CQL_STMT_CREATE_FUNCTION,    /* create_function */
    CQL_STMT_DROP_FUNCTION,      /* drop_function */
    CQL_STMT_CREATE_AGGREGATE,   /* create_aggregate */
    CQL_STMT_DROP_AGGREGATE,     /* drop_function */
    CQL_STMT_CREATE_TRIGGER,     /* create_trigger */
    CQL_STMT_DROP_TRIGGER,       /* drop_trigger */
    CQL_STMT_CREATE_ROLE,        /* role */
    CQL_STMT_ALTER_ROLE,         /* role */
    CQL_STMT_DROP_ROLE,          /* drop (name.name) */
    CQL_STMT_CREATE_USER,        /* role (LOGIN implied by the executor) */
    CQL_STMT_ALTER_USER,         /* role */
    CQL_STMT_DROP_USER,          /* drop (name.name) */
    CQL_STMT_LIST_USERS,         /* no payload */
    CQL_STMT_LIST_ROLES,         /* list_roles */
    CQL_STMT_GRANT_PERMISSIONS,  /* perms */
    CQL_STMT_REVOKE_PERMISSIONS, /* perms */
    CQL_STMT_LIST_PERMISSIONS,   /* perms */
    CQL_STMT_GRANT_ROLE,         /* role_grant */
    CQL_STMT_REVOKE_ROLE,        /* role_grant */
    CQL_STMT_ADD_IDENTITY,       /* identity */
    CQL_STMT_DROP_IDENTITY,      /* identity */
    CQL_STMT_DESCRIBE,           /* describe */
};

/* Where a bind marker sits; `owner` points at the node named here. */
enum cql_bind_ctx {
    CQL_BIND_OTHER,         /* owner NULL (e.g. INITCOND, mask args) */
    CQL_BIND_SELECTOR,      /* owner: struct cql_select_item */
    CQL_BIND_GROUP_BY,      /* owner: struct cql_selector (GROUP BY entry) */
    CQL_BIND_WHERE,         /* owner: struct cql_relation */
    CQL_BIND_CONDITION,     /* owner: struct cql_condition */
    CQL_BIND_ASSIGNMENT,    /* owner: struct cql_assignment */
    CQL_BIND_DELETION,      /* owner: struct cql_deletion (c[?]) */
    CQL_BIND_INSERT_VALUE,  /* owner: struct cql_insert; see value_index */
    CQL_BIND_INSERT_JSON,   /* owner: struct cql_insert */
    CQL_BIND_ORDER_ANN,     /* owner: struct cql_ordering */
    CQL_BIND_LIMIT,         /* owner: struct cql_select */
    CQL_BIND_PER_PARTITION, /* owner: struct cql_select */
    CQL_BIND_TIMESTAMP,     /* owner: struct cql_attrs */
    CQL_BIND_TTL,           /* owner: struct cql_attrs */
};

struct cql_bind_marker {
    int index;             /* == term->bind.index */
    const char *name;      /* NULL for '?' */
    struct cql_term *term; /* the BIND node */
    enum cql_bind_ctx ctx;
    const void *owner;
    int value_index; /* INSERT_VALUE: position in insert.values, else -1 */
    bool is_in_list; /* `IN ?`: the marker stands for the whole list */
    int stmt_index;  /* index in batch.stmts, -1 outside a batch */
};

struct cql_stmt {
    enum cql_stmt_kind kind;
    /* Bind markers in textual order; binds[i].index == i. For a batch this
     * is the whole batch; its child statements point at their own slice
     * (indexes stay batch-wide). */
    struct cql_bind_marker *binds;
    int n_binds;
    union {
        struct cql_select select;
        struct cql_insert insert;
        struct cql_update update;
        struct cql_delete delete_;
        struct cql_batch batch;
        struct cql_drop drop;
        struct cql_create_keyspace create_keyspace;
        struct cql_alter_keyspace alter_keyspace;
        struct cql_create_table create_table;
        struct cql_alter_table alter_table;
        struct cql_create_index create_index;
        struct cql_create_type create_type;
        struct cql_alter_type alter_type;
        struct cql_create_view create_view;
        struct cql_alter_view alter_view;
        struct cql_create_function create_function;
        struct cql_drop_function drop_function;
        struct cql_create_aggregate create_aggregate;
        struct cql_create_trigger create_trigger;
        struct cql_drop_trigger drop_trigger;
        struct cql_role_stmt role;
        struct cql_list_roles list_roles;
        struct cql_permissions_stmt perms;
        struct cql_role_grant role_grant;
        struct cql_identity_stmt identity;
        struct cql_describe describe;
    };
};

/* Name of a statement kind ("SELECT", "CREATE TABLE" ...), for logs/tests. */
const char *cql_stmt_kind_name(enum cql_stmt_kind kind);

#endif
