/* evclass.h: event classes. Which rules an event can concern follows mostly
 * from a few fields that take few values: Channel and EventID, event.category
 * and event.type, sourcetype and EventCode, an eslogger event_type. An
 * event's class is its schema and its own values of those fields; whatever
 * depends on the class alone (the rule index, the parts of rules' filters
 * that read only such fields) is the same for every event of the class, so
 * the engine works it out on the first event of a class and looks it up for
 * the others (api/shrike.c). docs/prefilter.md tells the why.
 *
 * A field reference belongs to the class when every name its value may come
 * from (sh_fieldref_deps: its own name, its rows' conditions, sources and
 * joins) is one of the few-valued names listed in evclass.c, and none of its
 * rows gives the event's time or text. */
#ifndef SHRIKE_EVCLASS_H
#define SHRIKE_EVCLASS_H

#include "engine/ir.h"

/* ref's value on an event is decided by the event's class */
bool sh_class_ref(const sh_fieldref *ref);

/* The names an event's class key holds, per schema (a row of the field
 * model for another schema reads nothing on the event). */
#define SH_CLASS_MAX_NAMES 48
#define SH_CLASS_SCHEMAS 4      /* sh_schema's values */
typedef struct sh_classkey {
    sh_rawname names[SH_CLASS_SCHEMAS][SH_CLASS_MAX_NAMES];
    int n[SH_CLASS_SCHEMAS];
} sh_classkey;

/* Add the names ref depends on; false (nothing added) when ref is not a
 * class ref or the key would hold too many names. */
bool sh_classkey_add(sh_classkey *k, const sh_fieldref *ref);
/* The event's class key (schema, plain flag and its own values of the key's
 * names, in the key's order) into buf; its length, or 0 when it does not fit
 * in cap (the event is then not classified). Tables hash it with sh_hash. */
size_t sh_classkey_of(const sh_classkey *k, const sh_event *e, uint8_t *buf, size_t cap);

/* A filter as its class sees it: the largest subtrees that read only class
 * refs (evaluated for real on an event of the class), under the ANDs and ORs
 * above them; the rest unknown. Built in arena a; the names the subtrees
 * read are added to k. NULL when the class decides nothing of the filter. */
typedef struct sh_cfilter sh_cfilter;
sh_cfilter *sh_cfilter_new(sh_arena *a, sh_classkey *k, const sh_ir *f);
/* false when no event of e's class can pass the filter (decided on e: the
 * subtrees' values are the same for the whole class) */
bool sh_cfilter_possible(const sh_cfilter *c, sh_eval *ev, sh_event *e);

/* A table from class keys to the caller's decisions (void *), at most
 * SH_CLASS_MAX_ENTRIES; sh_classtab_put on a full table empties it first
 * (freeing every decision with free_val). */
#define SH_CLASS_MAX_ENTRIES 4096
typedef struct sh_classtab sh_classtab;
sh_classtab *sh_classtab_new(void (*free_val)(void *));
void sh_classtab_free(sh_classtab *t);
void sh_classtab_clear(sh_classtab *t);
void *sh_classtab_get(const sh_classtab *t, const uint8_t *key, size_t n, uint32_t hash);
void sh_classtab_put(sh_classtab *t, const uint8_t *key, size_t n, uint32_t hash, void *val);
size_t sh_classtab_count(const sh_classtab *t);

#endif
