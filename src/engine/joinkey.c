/* joinkey.c: computing join-key tuples for an event and the hash table that
 * maps a canonical key to the state the sequence and sample matchers keep
 * for it. */
#include "engine/joinkey.h"

#include <stdlib.h>
#include <string.h>

/* distinct non-null values of one key expression, sorted by text */
static uint32_t key_values(sh_eval *ev, const sh_ir *k, sh_event *e, const sh_value ***out) {
    sh_vals v;
    sh_ir_values(ev, k, e, &v);
    const sh_value **list = sh_arena_alloc(&ev->scratch, (v.n ? v.n : 1) * sizeof *list);
    uint32_t n = 0;
    for (uint32_t i = 0; i < v.n; i++) {
        const sh_value *x = &v.v[i];
        if (x->type == SH_NULL) continue;
        /* insertion sort by value order; drop duplicates (same text) */
        uint32_t j = n;
        bool dup = false;
        while (j > 0) {
            int c = sh_value_order(list[j - 1], x);
            if (c == 0 || (list[j - 1]->len == x->len && memcmp(list[j - 1]->s, x->s, x->len) == 0)) {
                dup = true;
                break;
            }
            if (c < 0) break;
            j--;
        }
        if (dup) continue;
        memmove(list + j + 1, list + j, (n - j) * sizeof *list);
        list[j] = x;
        n++;
    }
    *out = list;
    return n;
}

/* canonical bytes: per key a tag (0 null, 1 value), 4-byte length, text */
static void encode_tuple(sh_eval *ev, const sh_value **vals, uint32_t nk, const char **bytes, uint32_t *len) {
    size_t total = 0;
    for (uint32_t k = 0; k < nk; k++) total += 5 + (vals[k] ? vals[k]->len : 0);
    char *b = sh_arena_alloc(&ev->scratch, total + 1);
    size_t o = 0;
    for (uint32_t k = 0; k < nk; k++) {
        uint32_t l = vals[k] ? vals[k]->len : 0;
        b[o++] = vals[k] ? 1 : 0;
        memcpy(b + o, &l, 4);
        o += 4;
        if (l) memcpy(b + o, vals[k]->s, l);
        o += l;
    }
    *bytes = b;
    *len = (uint32_t)o;
}

bool sh_keys_compute(sh_eval *ev, const sh_stage_spec *st, sh_event *e, sh_keyset *out) {
    uint32_t nk = st->nkeys;
    memset(out, 0, sizeof *out);
    if (nk > 64) return false; /* front ends keep far fewer */
    out->nkeys = nk;
    const sh_value ***per = sh_arena_alloc(&ev->scratch, (nk ? nk : 1) * sizeof *per);
    uint32_t *cnt = sh_arena_alloc(&ev->scratch, (nk ? nk : 1) * sizeof *cnt);
    uint32_t total = 1;
    for (uint32_t k = 0; k < nk; k++) {
        cnt[k] = key_values(ev, st->keys[k], e, &per[k]);
        if (cnt[k] == 0) {
            if (!st->key_optional || !st->key_optional[k]) return false;
            per[k][0] = NULL; /* the null key */
            cnt[k] = 1;
        }
        total = total * cnt[k] > SH_MAX_KEY_TUPLES ? SH_MAX_KEY_TUPLES : total * cnt[k];
    }
    out->ntuples = total;
    out->vals = sh_arena_alloc(&ev->scratch, (size_t)total * (nk ? nk : 1) * sizeof *out->vals);
    out->bytes = sh_arena_alloc(&ev->scratch, total * sizeof *out->bytes);
    out->lens = sh_arena_alloc(&ev->scratch, total * sizeof *out->lens);
    out->hashes = sh_arena_alloc(&ev->scratch, total * sizeof *out->hashes);
    uint32_t idx[64] = {0};
    for (uint32_t t = 0; t < total; t++) {
        const sh_value **row = out->vals + (size_t)t * nk;
        for (uint32_t k = 0; k < nk; k++) row[k] = per[k][idx[k]];
        encode_tuple(ev, row, nk, &out->bytes[t], &out->lens[t]);
        out->hashes[t] = sh_hash(out->bytes[t], out->lens[t]);
        /* odometer, last key fastest: tuples come out in sorted order */
        for (uint32_t k = nk; k-- > 0;) {
            if (++idx[k] < cnt[k]) break;
            idx[k] = 0;
        }
    }
    return true;
}

/* ---------------------------------------------------------------- table */

#define DELETED ((char *)1)

static sh_keytab_slot *find_slot(const sh_keytab *t, const char *key, uint32_t len, uint32_t hash) {
    if (!t->cap) return NULL;
    uint32_t m = t->cap - 1, i = hash & m;
    for (;;) {
        sh_keytab_slot *s = &t->slots[i];
        if (!s->key) return NULL;
        if (s->key != DELETED && s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0) return s;
        i = (i + 1) & m;
    }
}

void *sh_keytab_get(const sh_keytab *t, const char *key, uint32_t len, uint32_t hash) {
    sh_keytab_slot *s = find_slot(t, key, len, hash);
    return s ? s->val : NULL;
}

static void rehash(sh_keytab *t, uint32_t cap) {
    sh_keytab_slot *old = t->slots;
    uint32_t ocap = t->cap;
    t->slots = calloc(cap, sizeof *t->slots);
    if (!t->slots) abort();
    t->cap = cap;
    t->used = t->n;
    for (uint32_t i = 0; i < ocap; i++) {
        sh_keytab_slot *s = &old[i];
        if (!SH_KEYTAB_LIVE(s)) continue;
        uint32_t j = s->hash & (cap - 1);
        while (t->slots[j].key) j = (j + 1) & (cap - 1);
        t->slots[j] = *s;
    }
    free(old);
}

const char *sh_keytab_put(sh_keytab *t, const char *key, uint32_t len, uint32_t hash, void *val) {
    if ((t->used + 1) * 4 >= t->cap * 3) rehash(t, t->n * 4 >= t->cap ? (t->cap ? t->cap * 2 : 64) : t->cap);
    uint32_t m = t->cap - 1, i = hash & m;
    while (SH_KEYTAB_LIVE(&t->slots[i])) i = (i + 1) & m;
    sh_keytab_slot *s = &t->slots[i];
    if (!s->key) t->used++;
    s->key = malloc(len ? len : 1);
    if (!s->key) abort();
    memcpy(s->key, key, len);
    s->len = len;
    s->hash = hash;
    s->val = val;
    t->n++;
    return s->key;
}

void sh_keytab_del(sh_keytab *t, const char *key, uint32_t len, uint32_t hash) {
    sh_keytab_slot *s = find_slot(t, key, len, hash);
    if (!s) return;
    free(s->key);
    s->key = DELETED;
    s->val = NULL;
    t->n--;
}

void sh_keytab_free(sh_keytab *t) {
    for (uint32_t i = 0; i < t->cap; i++)
        if (SH_KEYTAB_LIVE(&t->slots[i])) free(t->slots[i].key);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

char *sh_key_text_dup(const sh_value *v) {
    uint32_t l;
    const char *txt = sh_key_text(v, &l);
    char *c = malloc(l + 1);
    if (!c) abort();
    memcpy(c, txt, l);
    c[l] = 0;
    return c;
}
