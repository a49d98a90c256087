/* eql.h: the Elastic EQL front end (Elasticsearch dialect) and its runtime.
 * A query compiles once into the shared intermediate form (engine/ir.h) plus
 * the stateful parts (sequence state machine, sample, pipes), then events are
 * fed one at a time in time order and matches come back through a callback. */
#ifndef SHRIKE_EQL_H
#define SHRIKE_EQL_H

#include "engine/query.h"
#include "event/event.h"

typedef struct sh_eql sh_eql;

typedef enum sh_eql_kind { SH_EQL_EVENT, SH_EQL_SEQUENCE, SH_EQL_SAMPLE } sh_eql_kind;

/* Results come back as sh_match (engine/query.h). */

/* Compile. On error returns NULL and fills d with the 1-based line and column
 * within text and a precise reason ("unknown function 'foo'", "expected ']'",
 * "regex: missing ) at offset 3", ...). d->file is left to the caller. */
sh_eql *sh_eql_compile(const char *text, size_t len, sh_diag *d);
void sh_eql_free(sh_eql *q);

sh_eql_kind sh_eql_get_kind(const sh_eql *q);
/* Warnings found at compile time (e.g. "sequence with a single query:
 * Elasticsearch requires at least two"); NULL-terminated, owned by q. */
const char *const *sh_eql_warnings(const sh_eql *q);

/* Feed events in time order (ts, then ordinal). Returns false once the query
 * can produce nothing more (a `head` limit reached): callers may stop feeding. */
bool sh_eql_feed(sh_eql *q, sh_event *e, sh_match_cb cb, void *ctx);
/* End of input: emits what only the end can decide (tail, sample). */
void sh_eql_finish(sh_eql *q, sh_match_cb cb, void *ctx);
/* Forget all state (pending sequences, samples, counters): a new input run. */
void sh_eql_reset(sh_eql *q);

/* The event categories the query can use (every stage's `CATEGORY where`,
 * the until stage's too), at most max of them, into out (strings owned by
 * q). SIZE_MAX when some stage takes any event, or more than max: then the
 * query must see every event. Used to give each event only the rules that
 * can use it. */
size_t sh_eql_categories(const sh_eql *q, const char **out, size_t max);

/* The filters of every stage (and of until), at most max, for analysis
 * (the literal prefilter); a NULL filter takes every event. */
struct sh_ir;
uint32_t sh_eql_stage_filters(const sh_eql *q, const struct sh_ir **out, uint32_t max);

/* Evaluate only the filter of an event query (or of any stage of a sequence)
 * against one event: used for prefiltering and tests. */
bool sh_eql_event_matches(sh_eql *q, sh_event *e);

#endif
