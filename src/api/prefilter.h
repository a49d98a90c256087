/* prefilter.h: the literal prefilter (see prefilter.c): a necessary
 * condition per rule, built from its filters, checked per event with one
 * lookup per indexed field value. */
#ifndef SHRIKE_PREFILTER_H
#define SHRIKE_PREFILTER_H

#include "engine/ir.h"

typedef struct sh_prefilter sh_prefilter;

sh_prefilter *sh_prefilter_new(void);
void sh_prefilter_free(sh_prefilter *p);
/* index rule number `rule` by the filters of all its stages (a NULL filter,
 * a stage taking any event, leaves the rule unindexed: it always runs) */
void sh_prefilter_add(sh_prefilter *p, uint32_t rule, const sh_ir *const *filters, uint32_t nfilters);
uint32_t sh_prefilter_indexed(const sh_prefilter *p);
/* clear active[r] for every indexed rule r none of whose literals the event has */
void sh_prefilter_apply(sh_prefilter *p, sh_event *e, uint8_t *active);

/* The same from several threads: sh_prefilter_prepare once (after the last
 * add, before any thread applies), then a workspace per thread. */
typedef struct sh_prefilter_ws sh_prefilter_ws;
void sh_prefilter_prepare(sh_prefilter *p);
sh_prefilter_ws *sh_prefilter_ws_new(const sh_prefilter *p);
void sh_prefilter_ws_free(sh_prefilter_ws *w);
void sh_prefilter_apply_ws(const sh_prefilter *p, sh_prefilter_ws *w, sh_event *e, uint8_t *active);


/* The same in parts, for callers that decide some rules otherwise
 * (api/shrike.c's event classes): the indexed fields, the rules with a
 * literal on each, and the hits of chosen fields. A rule is hit when the
 * event has one of its literals; an indexed rule not hit cannot match. */
size_t sh_prefilter_nfields(const sh_prefilter *p);
const sh_fieldref *sh_prefilter_field(const sh_prefilter *p, size_t i);
/* mark[r] = 1 for every rule with a literal on field i */
void sh_prefilter_field_rules(const sh_prefilter *p, size_t i, uint8_t *mark);
bool sh_prefilter_rule_indexed(const sh_prefilter *p, uint32_t rule);
void sh_prefilter_hits_begin(const sh_prefilter *p, sh_prefilter_ws *w);
void sh_prefilter_hits_field(const sh_prefilter *p, sh_prefilter_ws *w, size_t i, sh_event *e);
const uint8_t *sh_prefilter_hits(const sh_prefilter_ws *w);

#endif
