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

#endif
