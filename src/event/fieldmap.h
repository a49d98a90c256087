/* fieldmap.h: the field model. Rules name fields in their own taxonomy (ECS
 * for EQL, Windows-native names for Sigma, Splunk's for SPL); sources carry
 * their own names. The mapping table (data/fieldmap.tsv, compiled into the
 * binary, extendable with sh_fieldmap_load_file) lists, for a wanted name, the
 * derivations that produce it from what a source has. A rule resolves each of
 * its field references once, at load time, into an sh_fieldref; the per-event
 * cost is one hash lookup, plus derivation the first time an event is asked
 * for a field it lacks. */
#ifndef SHRIKE_FIELDMAP_H
#define SHRIKE_FIELDMAP_H

#include "event/event.h"

typedef struct sh_fieldmap sh_fieldmap;
typedef struct sh_derivation sh_derivation;

typedef struct sh_fieldref {
    const char *name;            /* as the rule wrote it (owned by the ref) */
    uint32_t nlen;
    uint32_t hash;
    const sh_derivation *derivs; /* rows of the mapping table for this name, or NULL */
} sh_fieldref;

/* The table in use: the rows built into the binary (data/fieldmap.tsv) and
 * any loaded since. Never NULL. */
sh_fieldmap *sh_fieldmap_default_mut(void);
/* Load extra rows from a file (same format), tried before the built-in ones. */
int sh_fieldmap_load_file(sh_fieldmap *m, const char *path, sh_diag *d);

/* Resolve a name once; the returned ref lives as long as the process (interned). */
const sh_fieldref *sh_fieldref_get(const char *name, size_t nlen);

/* The field an event has for ref, direct or derived; NULL when the event
 * cannot provide it. May add a derived field to e (hence non-const). */
sh_field *sh_event_get(sh_event *e, const sh_fieldref *ref);

/* Classify an event after a reader has filled it: sets e->schema and e->ts
 * from the fields it has (EventID/Channel, winlog.*, @timestamp, ...). */
void sh_event_finish(sh_event *e);

/* Windows command-line splitting as CommandLineToArgvW does it. Appends
 * each argument to e's field f as a string value. Exposed for tests. */
void sh_split_cmdline(sh_event *e, sh_field *f, const char *cmd, size_t n);

#endif
