/* sample.h: the sample matcher (EQL `sample`): for every join key that all
 * stages can fill, one sample made of distinct events, one per stage, in
 * stage order. Events are unordered: within a key each stage takes the
 * earliest events fed (input order), choosing distinct events for the stages
 * (earliest first, backtracking when needed). Samples are emitted at the end
 * of input, sorted by join key (null < false < true < numbers < text).
 *
 * Memory bound: per key, each stage keeps at most nstages candidate events
 * (enough to always find distinct events when they exist); at most
 * SH_SAMPLE_MAX_KEYS keys are tracked (events needing more are counted in
 * dropped_keys). */
#ifndef SHRIKE_SAMPLE_H
#define SHRIKE_SAMPLE_H

#include "engine/sequence.h"

#define SH_SAMPLE_MAX_KEYS (1u << 18)

typedef struct sh_sample sh_sample;

sh_sample *sh_sample_new(const sh_stage_spec *stages, uint32_t nstages);
void sh_sample_free(sh_sample *s);
void sh_sample_reset(sh_sample *s);
void sh_sample_feed(sh_sample *s, sh_eval *ev, sh_event *e);
/* emits every sample, sorted by key, then forgets them */
void sh_sample_finish(sh_sample *s, sh_result_cb cb, void *ctx);
uint64_t sh_sample_dropped_keys(const sh_sample *s);

#endif
