/* sequence.h: the sequence state machine (EQL `sequence`), language-neutral
 * so that other front ends (Sigma temporal correlations) can reuse it.
 *
 * Semantics, following Elasticsearch's documented state machine:
 *  - events arrive in time order (timestamp, then ordinal);
 *  - per join key, each positive stage holds at most one pending partial
 *    sequence; a newer one overwrites the older;
 *  - an event matching stage k (k > 0) advances the partial waiting at stage
 *    k-1 for its key; stages are tried last to first so that one event does
 *    not advance a sequence it has just started;
 *  - maxspan: the last event must be within maxspan of the first (events
 *    with no timestamp never satisfy a maxspan);
 *  - until: an event matching the until stage drops the partials of its key,
 *    after the event has been matched against the stages (so a sequence that
 *    the until event itself completes stands, one it advances does not);
 *  - missing stages `![...]` (maxspan required): a missing stage between two
 *    positive ones rejects the sequence when a matching event with the same
 *    key occurred between them; the leading and trailing missing stages
 *    together reject it when each of them has a matching event and the whole
 *    sequence, those events included, fits within maxspan. Sequences with a
 *    trailing missing stage are held until maxspan has passed (or the input
 *    ends), and results are delivered in completion order.
 *
 * Memory: partials hold references on their events. Partials older than
 * maxspan and keys with nothing pending are swept periodically; at most
 * SH_SEQ_MAX_KEYS join keys are tracked at once (events that would need a new
 * key beyond that are counted in dropped_keys). Without maxspan, partials
 * live until completed, overwritten or dropped by until. */
#ifndef SHRIKE_SEQUENCE_H
#define SHRIKE_SEQUENCE_H

#include "engine/joinkey.h"

#define SH_SEQ_MAX_KEYS (1u << 20)

typedef struct sh_result {
    sh_event **events;          /* one per stage; NULL for a missing stage */
    uint32_t nevents;
    const char **keys;          /* join key values as text ("null") */
    uint32_t nkeys;
} sh_result;

typedef void (*sh_result_cb)(void *ctx, const sh_result *r);

typedef struct sh_seq sh_seq;

typedef struct sh_seq_stats {
    uint64_t completed, rejected_missing, expired, dropped_keys;
} sh_seq_stats;

/* stages are borrowed (they must outlive the machine); until may be NULL */
sh_seq *sh_seq_new(const sh_stage_spec *stages, uint32_t nstages, const sh_stage_spec *until,
                   int64_t maxspan_ns);
void sh_seq_free(sh_seq *s);
void sh_seq_reset(sh_seq *s);
void sh_seq_feed(sh_seq *s, sh_eval *ev, sh_event *e, sh_result_cb cb, void *ctx);
void sh_seq_finish(sh_seq *s, sh_result_cb cb, void *ctx);
const sh_seq_stats *sh_seq_get_stats(const sh_seq *s);

#endif
