/* spl_int.h: the SPL front end's internals, shared by its parser (parse.c)
 * and its runtime (spl.c). A search is a pipeline of commands; the first
 * `search` filters events, and from there on every command works on result
 * rows. A row is an sh_event of its own (the event's fields, borrowed, plus
 * what eval computes), with a reference to the event it came from, so that
 * every expression is evaluated by the shared evaluator through the Splunk
 * view of the field model (docs/spl.md). */
#ifndef SHRIKE_SPL_INT_H
#define SHRIKE_SPL_INT_H

#include "engine/ir.h"
#include "engine/query.h"

typedef struct spl_pipe spl_pipe;

#define SPL_NEED_MAX 64                 /* searches reading events whose needs are told */
typedef struct spl_q spl_q;

/* A search expression: IR leaves joined by boolean nodes, kept as a tree of
 * its own only where a subsearch sits inside (a subsearch filter runs
 * commands, which the IR cannot hold); elsewhere it is one IR tree. */
typedef enum { SC_IR, SC_AND, SC_OR, SC_NOT, SC_SUB } spl_cond_kind;

typedef struct spl_cond {
    spl_cond_kind kind;
    sh_ir *ir;                  /* SC_IR */
    struct spl_cond **args;     /* SC_AND / SC_OR / SC_NOT */
    uint32_t nargs;
    spl_pipe *sub;              /* SC_SUB: streaming commands run on the row */
} spl_cond;

typedef enum {
    C_SEARCH, C_WHERE, C_EVAL, C_TABLE, C_FIELDS, C_RENAME, C_SORT, C_HEAD, C_TAIL, C_DEDUP,
    C_STATS, C_EVENTSTATS, C_APPEND, C_APPENDCOLS, C_FILLNULL
} spl_cmd_kind;

typedef enum {
    A_COUNT, A_DC, A_VALUES, A_LIST, A_MIN, A_MAX, A_SUM, A_AVG, A_EARLIEST, A_LATEST,
    A_FIRST, A_LAST, A_RANGE
} spl_agg_kind;

typedef struct spl_agg {
    spl_agg_kind kind;
    const sh_fieldref *ref;     /* NULL: count of rows */
    char *as;                   /* output field name */
} spl_agg;

typedef struct spl_sortkey {
    const sh_fieldref *ref;
    bool desc;
    uint8_t how;                /* 0 auto, 1 num, 2 str */
} spl_sortkey;

typedef struct spl_row {
    sh_event *ev;               /* the row's fields */
    sh_event *origin;           /* the event it came from (a reference), or NULL */
} spl_row;

typedef struct spl_rows {
    spl_row *v;
    uint32_t n, cap;
} spl_rows;

typedef struct spl_strset spl_strset;   /* spl.c */
typedef struct spl_groups spl_groups;   /* spl.c */

typedef struct spl_cmd {
    spl_cmd_kind kind;
    uint32_t line;
    spl_cond *cond;                     /* C_SEARCH */
    sh_ir *expr;                        /* C_WHERE */
    char **names;                       /* eval targets, table/fields/dedup/by/fillnull
                                         * fields, rename sources */
    const sh_fieldref **refs;           /* the names in the Splunk view (not for patterns) */
    char **names2;                      /* rename targets */
    sh_ir **exprs;                      /* eval expressions */
    uint32_t n;
    bool minus;                         /* fields - ... */
    spl_sortkey *keys;
    uint32_t nkeys;
    int64_t count;                      /* head/tail/dedup N, sort limit (0: none) */
    bool keepempty, consecutive;        /* dedup */
    bool count_given;                   /* sort N / limit=N written: dropping past it is asked for */
    spl_agg *aggs;
    uint32_t naggs;
    char *fill;                         /* fillnull value */
    spl_pipe *sub;                      /* append / appendcols */
    /* run state */
    spl_rows buf;
    int64_t seen;
    uint64_t dropped;
    spl_strset *keyset;
    spl_groups *groups;
} spl_cmd;

struct spl_pipe {
    spl_cmd **cmds;
    uint32_t n;
    bool sub;                           /* an append/appendcols subsearch: rows go to out */
    spl_rows out;
    uint64_t dropped;
};

struct spl_q {
    sh_query base;
    sh_irpool pool;
    sh_eval ev;
    spl_pipe *main;
    char **warnings;                    /* NULL-terminated */
    uint32_t nwarnings;
    bool done, can_stop;
    sh_match_cb cb;
    void *cbctx;
    char *rule;                         /* the rule's id or path, for run-time notes */
    char **notes;                       /* limits hit in this run, reported at finish */
    uint32_t nnotes;
    const sh_ir *need[SPL_NEED_MAX];    /* per search that reads events (the main one, each
                                         * append's): what its pipeline requires of an event
                                         * (spl.c, pushdown), NULL when it takes any */
    uint32_t nneed;
};

/* parse.c */
bool spl_parse(spl_q *q, const char *text, size_t len, sh_diag *d);
void spl_warn(spl_q *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const sh_fieldref *spl_ref(const char *name, size_t n);
void spl_pipe_free(spl_pipe *p);
void spl_cond_free(spl_cond *c);

/* limits (docs/spl.md) */
#define SPL_SORT_DEFAULT 10000      /* Splunk's default sort limit */
#define SPL_APPEND_MAX 50000        /* Splunk's maxout for append subsearches */
#define SPL_ROWS_MAX 100000         /* rows a blocking command buffers */
#define SPL_GROUPS_MAX 100000       /* stats groups */
#define SPL_KEYS_MAX 1000000        /* dedup keys */
#define SPL_VALUES_MAX 10000        /* distinct values kept per values()/dc() */
#define SPL_LIST_MAX 100            /* list(): Splunk's limit */

#endif
