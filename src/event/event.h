/* event.h: shrike's event model. An event is a set of fields with dotted
 * names ("process.name", "winlog.event_data.Image", "EventID"), each holding
 * one or more typed values (a JSON array keeps every value). Every event owns
 * its storage (an arena), so engines may keep events alive (sequences) with
 * sh_event_ref/sh_event_unref while readers move on.
 *
 * Field references used by rules are resolved through the field model
 * (fieldmap.h): when a rule asks for "process.name" and the event has none,
 * the derivations the mapping table lists for that name are tried in order
 * (basename of Image, of NewProcessName, ...) and the result is cached in the
 * event as a derived field. Derived fields are not printed by dump/query. */
#ifndef SHRIKE_EVENT_H
#define SHRIKE_EVENT_H

#include <string.h>

#include "util/util.h"

typedef enum sh_vtype {
    SH_NULL = 0,
    SH_BOOL,
    SH_INT,      /* i holds the value; s/len the decimal text */
    SH_FLOAT,    /* f holds the value; s/len the original text */
    SH_STR       /* s/len (NUL-terminated, valid UTF-8) */
} sh_vtype;

typedef struct sh_value {
    uint8_t type;            /* sh_vtype */
    bool b;
    int64_t i;
    double f;
    const char *s;           /* text form; for SH_NULL/SH_BOOL "null"/"true"/"false" */
    uint32_t len;
} sh_value;

typedef struct sh_field {
    const char *name;        /* NUL-terminated dotted name */
    uint32_t nlen;
    uint32_t hash;           /* sh_hash(name) */
    uint32_t nvals;          /* 0 for an empty array */
    uint32_t vcap;
    sh_value *vals;          /* nvals values (points at inl when nvals<=1) */
    sh_value inl;
    bool derived;            /* computed by the field model, not in the source */
    bool is_array;           /* came from a JSON array (even of length 1) */
} sh_field;

/* Where the event came from: drives which field-model rows apply. */
typedef enum sh_schema {
    SH_SCHEMA_GENERIC = 0,   /* any JSON document */
    SH_SCHEMA_WINDOWS,       /* Windows event (EVTX, XML, Event.System JSON, flat OTRF/Splunk JSON with EventID) */
    SH_SCHEMA_ECS,           /* Elastic documents: Winlogbeat, Endpoint, Auditbeat */
    SH_SCHEMA_MACOS_ES       /* eslogger Endpoint Security NDJSON */
} sh_schema;

typedef struct sh_event {
    sh_arena arena;          /* all strings, fields and values of this event */
    sh_field **fields;       /* in order of first appearance; each field is
                              * allocated once and never moves, so a pointer
                              * to a field stays valid while other fields
                              * (derived ones too) are added */
    uint32_t nfields, fcap;
    uint32_t *index;         /* open-addressing hash table: field idx + 1, 0 = empty */
    uint32_t icap;           /* power of two */
    int refs;

    uint8_t schema;          /* sh_schema */
    int64_t ts;              /* ns since epoch, SH_TS_NONE when unknown */
    uint64_t ordinal;        /* position in the whole input stream (tiebreaker) */
    const char *source;      /* input name (not owned; outlives the event) */
    uint64_t line;           /* 1-based line (NDJSON) or record number; 0 unknown */

    const char *raw;         /* original document text (JSON) in the arena, or NULL */
    size_t raw_len;
    uint8_t raw_kind;        /* SH_RAW_JSON ... */
    const char *prep;        /* text the input sink's prepare hook made (in the arena), or NULL */
    size_t prep_len;
    const uint8_t *sel;      /* the rules shrike_prepare selected (in the arena), or NULL */
    const void *sel_of;      /* ... for this engine, */
    size_t sel_n;            /* ... of this many rules */
    bool plain;              /* no field-model derivations: the event's own fields are
                              * all it has (an SPL result row after table or stats) */
    uint8_t *cmemo;          /* the field model's condition results (0 not known yet,
                              * 1 false, 2 true), in the arena; made on first use */
    uint32_t ncmemo;
    uint8_t *lmemo;          /* the rules' wildcard tests' results (sh_ir.memo), in the
                              * arena; made on first use */
    uint32_t nlmemo;
    bool changed;            /* fields were changed after they were read (SPL's eval
                              * on a result row): per-event caches are not used */
} sh_event;

enum { SH_RAW_NONE = 0, SH_RAW_JSON = 1, SH_RAW_XML = 2 /* the <Event>...</Event> text */ };

sh_event *sh_event_new(void);            /* refs = 1 */
/* an event whose first arena block has room for about `bytes` of values */
sh_event *sh_event_new_sized(size_t bytes);
void sh_event_ref(sh_event *e);
void sh_event_unref(sh_event *e);         /* frees at 0 */

/* Adding values. name/value bytes are copied into the event's arena unless
 * the *_nocopy forms are used, whose memory must already live in the arena.
 * Adding to an existing name appends a value (multi-valued field). */
sh_field *sh_event_field_get_or_add(sh_event *e, const char *name, size_t nlen, bool *created);
/* A new event (refs 1) without fields, with room for about `bytes`, and
 * src's origin: schema, time, ordinal, source, line and raw text (not
 * copied: src must outlive it). */
sh_event *sh_event_new_like(const sh_event *src, size_t bytes);
/* sh_event_new_like(e) with e's own fields, not the derived ones: names,
 * value arrays and texts are borrowed from e, which must outlive it; what
 * is added or changed on the copy goes to its own arena. */
sh_event *sh_event_borrow_own(const sh_event *e);
/* Where f's next value goes, for a reader to write it in place and then
 * count it (f->nvals++): f's inline slot for its first value (most fields
 * hold one), else the end of its array, grown when full (out of line). */
sh_value *sh_event_value_slot_more(sh_event *e, sh_field *f);
static inline sh_value *sh_event_value_slot(sh_event *e, sh_field *f) {
    if (f->nvals == 0) {
        f->vals = &f->inl;
        return &f->inl;
    }
    return sh_event_value_slot_more(e, f);
}
static inline void sh_event_add_value(sh_event *e, sh_field *f, const sh_value *v) {
    *sh_event_value_slot(e, f) = *v;
    f->nvals++;
}
/* The byte for number id in one of the event's memo tables (cmemo,
 * lmemo): made zeroed with `size` entries on first use; NULL past its end. */
uint8_t *sh_event_memo_new(sh_event *e, uint8_t **tab, uint32_t *ntab, uint32_t size);
static inline uint8_t *sh_event_memo(sh_event *e, uint8_t **tab, uint32_t *ntab, uint32_t size, uint32_t id) {
    uint8_t *t = *tab ? *tab : sh_event_memo_new(e, tab, ntab, size);
    return id < *ntab ? &t[id] : NULL;
}
void sh_event_add_str(sh_event *e, const char *name, const char *s, size_t n);
void sh_event_add_int(sh_event *e, const char *name, int64_t i);
void sh_event_add_float(sh_event *e, const char *name, double d);
void sh_event_add_bool(sh_event *e, const char *name, bool b);
void sh_event_add_null(sh_event *e, const char *name);

/* The field named name (hash its sh_hash) in the index (icap > 0), else
 * NULL and *slot the empty slot where it would go. */
static inline __attribute__((always_inline)) sh_field *sh_event_probe(const sh_event *e, const char *name, size_t nlen,
                                                                      uint32_t hash, uint32_t *slot) {
    uint32_t mask = e->icap - 1, h = hash & mask;
    for (;;) {
        uint32_t ix = e->index[h];
        if (!ix) break;
        sh_field *f = e->fields[ix - 1];
        if (f->hash == hash && f->nlen == nlen && (f->name == name || memcmp(f->name, name, nlen) == 0)) return f;
        h = (h + 1) & mask;
    }
    *slot = h;
    return NULL;
}

/* Raw lookup by exact name (no field model). NULL when absent. Inline: the
 * field model and rule selection make several per event, most of them
 * misses that end at the first empty slot. */
static inline sh_field *sh_event_find(const sh_event *e, const char *name, size_t nlen, uint32_t hash) {
    uint32_t slot;
    return e->icap ? sh_event_probe(e, name, nlen, hash, &slot) : NULL;
}
static inline sh_field *sh_event_find_cstr(const sh_event *e, const char *name) {
    size_t n = 0; while (name[n]) n++;
    return sh_event_find(e, name, n, sh_hash(name, n));
}

/* Room for one more field: the index doubled when it would be more than half
 * full, the field list when full (out of line, rare). */
void sh_event_grow(sh_event *e);

/* A new field at the index's empty slot h, its name not copied. */
static inline __attribute__((always_inline)) sh_field *sh_event_add_at(sh_event *e, uint32_t h, const char *name,
                                                                       size_t nlen, uint32_t hash) {
    sh_field *f = sh_arena_alloc(&e->arena, sizeof *f);
    *f = (sh_field){.name = name, .nlen = (uint32_t)nlen, .hash = hash};
    f->vals = &f->inl;
    e->fields[e->nfields++] = f;
    e->index[h] = e->nfields;
    return f;
}

/* The field named name, else NULL and *slot where sh_event_add_at puts it
 * (the event grown first if it has no room for one more field). */
static inline __attribute__((always_inline)) sh_field *sh_event_probe_to_add(sh_event *e, const char *name, size_t nlen,
                                                                             uint32_t hash, uint32_t *slot) {
    if ((e->nfields + 1) * 2 > e->icap || e->nfields == e->fcap) sh_event_grow(e);
    return sh_event_probe(e, name, nlen, hash, slot);
}

/* sh_event_field_get_or_add for a name that outlives every event
 * (sh_intern's, a field reference's, a reader's plan's): not copied; hash
 * is its sh_hash. Inline: the readers add every field through it. */
static inline sh_field *sh_event_field_get_or_add_interned(sh_event *e, const char *name, size_t nlen, uint32_t hash) {
    uint32_t h;
    sh_field *f = sh_event_probe_to_add(e, name, nlen, hash, &h);
    return f ? f : sh_event_add_at(e, h, name, nlen, hash);
}

/* value helpers */
static inline sh_value sh_value_str(const char *s, size_t n) {   /* s not copied */
    sh_value v = {.type = SH_STR, .s = s, .len = (uint32_t)n};
    return v;
}
sh_value sh_value_int(sh_arena *a, int64_t i);     /* text form allocated in a */
sh_value sh_value_null(void);
bool sh_value_is_true(const sh_value *v);

/* Write the event as one JSON object (no newline). With the raw document
 * available and prefer_raw, the original document minified; otherwise the
 * fields (non-derived), dotted names as flat keys, arrays for multi-values. */
void sh_event_to_json(const sh_event *e, sh_buf *out, bool prefer_raw);

#endif
