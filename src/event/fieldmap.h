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

/* Views: which rows of the table a reference may use. The default view
 * (EQL, Sigma, exclusions) uses every row not marked `@view=splunk`. The
 * Splunk view (SPL) sees what Splunk would extract: the fields an event
 * carries itself, the rows marked `@view=splunk` (EventCode, host, sourcetype,
 * index, _time, _raw, ...) and, on Elastic documents, `winlog.event_data.NAME`
 * for NAME; never the default view's derivations (on Security 4688 Sigma's
 * `User` is DOMAIN\user, which Splunk does not extract). A view's derived
 * values are cached in the event under their own name (cname). */
typedef enum sh_fieldview { SH_VIEW_DEFAULT = 0, SH_VIEW_SPLUNK = 1 } sh_fieldview;

typedef struct sh_fieldref {
    const char *name;            /* as the rule wrote it (owned by the ref) */
    uint32_t nlen;
    uint32_t hash;
    const sh_derivation *derivs; /* rows of the mapping table for this name, or NULL */
    uint8_t view;                /* sh_fieldview */
    const char *cname;           /* the name derived values are cached under: name in
                                  * the default view, "\xffsplunk:NAME" in the Splunk view
                                  * (no reader makes a name that is not UTF-8) */
    uint32_t cnlen, chash;
    const struct sh_fieldref *event_data; /* Splunk view: winlog.event_data.NAME */
} sh_fieldref;

/* The table in use: the rows built into the binary (data/fieldmap.tsv) and
 * any loaded since. Never NULL. */
sh_fieldmap *sh_fieldmap_default_mut(void);
/* Load extra rows from a file (same format), tried before the built-in ones. */
int sh_fieldmap_load_file(sh_fieldmap *m, const char *path, sh_diag *d);

/* Resolve a name once; the returned ref lives as long as the process (interned). */
const sh_fieldref *sh_fieldref_get(const char *name, size_t nlen);
/* The same in a view (SH_VIEW_DEFAULT gives sh_fieldref_get's ref). */
const sh_fieldref *sh_fieldref_get_view(const char *name, size_t nlen, sh_fieldview view);

/* Load rows given as text (same format as the table), tried before the
 * rows already there; origin names them in messages. */
int sh_fieldmap_load_text(sh_fieldmap *m, const char *text, const char *origin, sh_diag *d);

/* Splunk's view of Windows events (docs/splunk.md): the index every Windows
 * event is in (default "wineventlog") and how sourcetype and source are
 * named: SH_SPLUNK_ST_AUTO (XmlWinEventLog:<Channel> for Sysmon, as its
 * add-on has it, WinEventLog:<Channel> for other channels), _XML (every
 * channel XmlWinEventLog:), _CLASSIC (every channel WinEventLog:). Returns
 * -1 with d set when index is not a valid index name. */
typedef enum sh_splunk_st { SH_SPLUNK_ST_AUTO, SH_SPLUNK_ST_XML, SH_SPLUNK_ST_CLASSIC } sh_splunk_st;
int sh_fieldmap_set_splunk(sh_fieldmap *m, const char *index, sh_splunk_st st, sh_diag *d);

/* The field an event has for ref, direct or derived; NULL when the event
 * cannot provide it. May add a derived field to e (hence non-const). */
sh_field *sh_event_get(sh_event *e, const sh_fieldref *ref);

/* Classify an event after a reader has filled it: sets e->schema and e->ts
 * from the fields it has (EventID/Channel, winlog.*, @timestamp, ...). */
void sh_event_finish(sh_event *e);

/* A name an event's own (not derived) field may have. */
typedef struct sh_rawname {
    const char *name;
    uint32_t nlen, hash;
} sh_rawname;

/* The names whose own fields decide, on an event of the schema (sh_schema)
 * with the event's plain flag, what sh_event_get gives for ref when the
 * event was not changed since it was read: the ref's name and every name
 * its rows' conditions, sources and joins may read, at most max into out
 * (names live as long as the process). Returns how many, or -1 when there
 * are more or the value depends on more than fields (a row giving the
 * event's time or its text). */
int sh_fieldref_deps(const sh_fieldref *ref, unsigned schema, sh_rawname *out, int max);
/* Changes whenever rows are loaded (deps may change with it). */
unsigned sh_fieldmap_generation(void);

/* Windows command-line splitting as CommandLineToArgvW does it. Appends
 * each argument to e's field f as a string value. Exposed for tests. */
void sh_split_cmdline(sh_event *e, sh_field *f, const char *cmd, size_t n);

#endif
