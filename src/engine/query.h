/* query.h: a compiled rule as the engine sees it, whatever its language.
 * Each front end (lang/eql, lang/sigma, lang/spl) compiles a rule's text into
 * an object that embeds sh_query as its first member and fills in the ops;
 * the engine (api/shrike.c) then feeds it events without knowing the
 * language. The stateful parts (EQL sequences, Sigma correlations, SPL's
 * transforming commands) live behind feed/finish. */
#ifndef SHRIKE_QUERY_H
#define SHRIKE_QUERY_H

#include "event/event.h"
#include "rules/rules.h"

/* One result: a single event, the events of one sequence or correlation in
 * order (NULL for the placeholder of a missing EQL event `![...]`), or the
 * events of one sample. keys: join-key / group-by values as text ("null" for
 * a missing value). row: for searches that compute results (SPL), the result
 * row (its fields are the columns, in order), else NULL. Everything is
 * borrowed for the duration of the callback; take sh_event_ref to keep an
 * event. */
typedef struct sh_match {
    sh_event **events;
    uint32_t nevents;
    const char **keys;
    uint32_t nkeys;
    sh_event *row;
} sh_match;

typedef void (*sh_match_cb)(void *ctx, const sh_match *m);

/* What a query's results are: one event each, groups of events (printed
 * with "_sequence": N by `shrike query`), or computed rows. */
typedef enum sh_query_shape { SH_SHAPE_EVENT = 0, SH_SHAPE_GROUP, SH_SHAPE_ROWS } sh_query_shape;

struct sh_ir;
typedef struct sh_query sh_query;

/* A Windows event kind: the channel (compared case-insensitively with the
 * event's Channel, read through the field model) and the event id, -1 for
 * every event of the channel. */
typedef struct sh_win_event {
    const char *channel;
    int64_t event_id;
} sh_win_event;

typedef struct sh_query_ops {
    /* Feed one event (time order). Returns false once the query can produce
     * nothing more (a head limit reached): the engine stops feeding it. */
    bool (*feed)(sh_query *q, sh_event *e, sh_match_cb cb, void *ctx);
    /* End of input: emit what only the end can decide (tail, sort, stats). */
    void (*finish)(sh_query *q, sh_match_cb cb, void *ctx);
    void (*reset)(sh_query *q);
    void (*free)(sh_query *q);
    /* Compile-time warnings, NULL-terminated; NULL for none. May be NULL. */
    const char *const *(*warnings)(const sh_query *q);
    /* The event.category values the query can use, at most max, into out
     * (strings owned by q); SIZE_MAX when it must see every event. NULL
     * means every event. Drives the engine's rule index. */
    size_t (*categories)(const sh_query *q, const char **out, size_t max);
    /* Filters every event the query can use must pass at least one of (for
     * the literal prefilter); a NULL entry takes every event. NULL: none. */
    uint32_t (*filters)(const sh_query *q, const struct sh_ir **out, uint32_t max);
    /* The Windows events the query can use besides its categories, as
     * (Channel, EventID) pairs, at most max into out (strings owned by q);
     * SIZE_MAX when it must see every event. NULL: the categories alone
     * decide. The engine feeds an event to the query when the event's
     * event.category or its (Channel, EventID) is listed. */
    size_t (*win_events)(const sh_query *q, sh_win_event *out, size_t max);
} sh_query_ops;


struct sh_query {
    const sh_query_ops *ops;
    uint8_t shape;            /* sh_query_shape */
    bool silent;              /* runs but raises no alerts of its own (a Sigma
                               * rule only referenced by correlations) */
};

/* A language front end. ctx_new makes the per-engine state its rules share
 * (Sigma: the rules by id and name that correlations and filters refer to);
 * compile turns r->query into a query, or returns NULL with d holding the
 * 1-based line and column within r->query (0 when unknown) and the reason.
 * The engine maps d to the rule file. */
typedef struct sh_frontend {
    sh_lang lang;
    const char *name;         /* "eql", "sigma", "spl" */
    void *(*ctx_new)(void);
    void (*ctx_free)(void *ctx);
    sh_query *(*compile)(void *ctx, const sh_rule *r, sh_diag *d);
} sh_frontend;

extern const sh_frontend sh_frontend_eql;
extern const sh_frontend sh_frontend_sigma;
extern const sh_frontend sh_frontend_spl;

#endif
