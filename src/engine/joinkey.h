/* joinkey.h: join keys of the stateful matchers (sequences, samples, and
 * later Sigma correlations). A stage names its key expressions; an event's
 * keys for that stage are the cartesian product of each expression's
 * distinct non-null values, in sorted order (a multi-valued field joins on
 * each of its values). A key that has no value makes the event unusable for
 * the stage, unless the key is optional (`?field`): then it is null, and
 * null joins with null.
 *
 * Keys compare by their text forms (the number 5 and the string "5" join),
 * encoded into one canonical byte string per tuple for hashing. */
#ifndef SHRIKE_JOINKEY_H
#define SHRIKE_JOINKEY_H

#include "engine/ir.h"

/* One stage of a sequence or sample: its filter and its join keys. */
typedef struct sh_stage_spec {
    const sh_ir *filter;        /* NULL matches every event */
    const sh_ir **keys;         /* nkeys expressions */
    const uint8_t *key_optional;/* per key: a missing value is the null key */
    uint32_t nkeys;
    bool missing;               /* sequence stage written ![...] */
    uint32_t line, col;
} sh_stage_spec;

#define SH_MAX_KEY_TUPLES 64

/* The key tuples of one event for one stage (in the evaluator's scratch). */
typedef struct sh_keyset {
    uint32_t ntuples, nkeys;
    const sh_value **vals;      /* ntuples * nkeys; NULL entry = null key */
    const char **bytes;         /* canonical encoding per tuple */
    uint32_t *lens;
    uint32_t *hashes;
} sh_keyset;

/* Compute the keys; false when the event has no usable key tuple. */
bool sh_keys_compute(sh_eval *ev, const sh_stage_spec *st, sh_event *e, sh_keyset *out);

/* Text of a key value for results: "null" for null. */
static inline const char *sh_key_text(const sh_value *v, uint32_t *len) {
    if (!v) { *len = 4; return "null"; }
    *len = v->len;
    return v->s;
}
/* the same text as a NUL-terminated malloc'd copy (never NULL) */
char *sh_key_text_dup(const sh_value *v);

/* ---- a small hash table from canonical key bytes to a record ---- */
typedef struct sh_keytab_slot {
    char *key;                  /* owned copy; NULL empty; (char*)1 deleted */
    uint32_t len, hash;
    void *val;
} sh_keytab_slot;

typedef struct sh_keytab {
    sh_keytab_slot *slots;
    uint32_t cap, n, used;      /* used counts live + deleted */
} sh_keytab;

void *sh_keytab_get(const sh_keytab *t, const char *key, uint32_t len, uint32_t hash);
/* Insert (key not present); returns the stored key copy. */
const char *sh_keytab_put(sh_keytab *t, const char *key, uint32_t len, uint32_t hash, void *val);
void sh_keytab_del(sh_keytab *t, const char *key, uint32_t len, uint32_t hash);
void sh_keytab_free(sh_keytab *t);
#define SH_KEYTAB_LIVE(s) ((s)->key && (s)->key != (char *)1)

#endif
