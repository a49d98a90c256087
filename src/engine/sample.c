/* sample.c: the sample matcher described in sample.h: candidate events per
 * join key and stage, then at the end one sample per key, keys sorted. */
#include "engine/sample.h"

#include <stdlib.h>
#include <string.h>

typedef struct sample_key {
    const char *kb;
    uint32_t klen, hash;
    sh_value *vals;             /* key values (typed, for sorting); type SH_NULL for null */
    const char **text;
    uint32_t nk;
    sh_event **cand;            /* nstages * nstages: stage s's candidates at [s * nstages] */
    uint8_t *ncand;             /* per stage */
} sample_key;

struct sh_sample {
    const sh_stage_spec *stages;
    uint32_t nstages;
    sh_keytab keys;
    uint64_t dropped;
};

sh_sample *sh_sample_new(const sh_stage_spec *stages, uint32_t nstages) {
    sh_sample *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->stages = stages;
    s->nstages = nstages;
    return s;
}

static void key_free(const sh_sample *s, sample_key *k) {
    for (uint32_t i = 0; i < s->nstages * s->nstages; i++)
        if (k->cand[i]) sh_event_unref(k->cand[i]);
    for (uint32_t i = 0; i < k->nk; i++) free((char *)k->text[i]);
    free(k->text);
    free(k->vals);
    free(k->cand);
    free(k->ncand);
    free(k);
}

static sample_key *key_get(sh_sample *s, const sh_keyset *ks, uint32_t t) {
    sample_key *k = sh_keytab_get(&s->keys, ks->bytes[t], ks->lens[t], ks->hashes[t]);
    if (k) return k;
    if (s->keys.n >= SH_SAMPLE_MAX_KEYS) {
        s->dropped++;
        return NULL;
    }
    k = calloc(1, sizeof *k);
    if (!k) abort();
    k->nk = ks->nkeys;
    k->vals = calloc(k->nk ? k->nk : 1, sizeof *k->vals);
    k->text = calloc(k->nk ? k->nk : 1, sizeof *k->text);
    k->cand = calloc((size_t)s->nstages * s->nstages, sizeof *k->cand);
    k->ncand = calloc(s->nstages, 1);
    if (!k->vals || !k->text || !k->cand || !k->ncand) abort();
    const sh_value **row = ks->vals + (size_t)t * ks->nkeys;
    for (uint32_t i = 0; i < k->nk; i++) {
        char *c = sh_key_text_dup(row[i]);
        k->text[i] = c;
        k->vals[i] = row[i] ? *row[i] : sh_value_null();
        k->vals[i].s = c;
    }
    k->klen = ks->lens[t];
    k->hash = ks->hashes[t];
    k->kb = sh_keytab_put(&s->keys, ks->bytes[t], k->klen, k->hash, k);
    return k;
}

void sh_sample_feed(sh_sample *s, sh_eval *ev, sh_event *e) {
    uint32_t ns = s->nstages;
    for (uint32_t st = 0; st < ns; st++) {
        sh_eval_reset(ev);
        const sh_stage_spec *sp = &s->stages[st];
        if (sp->filter && sh_ir_eval(ev, sp->filter, e) != SH_TRUE) continue;
        sh_keyset ks;
        if (!sh_keys_compute(ev, sp, e, &ks)) continue;
        for (uint32_t t = 0; t < ks.ntuples; t++) {
            sample_key *k = key_get(s, &ks, t);
            if (!k || k->ncand[st] >= ns) continue;
            sh_event **slot = &k->cand[st * ns + k->ncand[st]];
            if (k->ncand[st] && slot[-1] == e) continue;
            sh_event_ref(e);
            *slot = e;
            k->ncand[st]++;
        }
    }
}

/* choose distinct events for stages st.. (earliest candidates first) */
static bool assign(const sh_sample *s, const sample_key *k, uint32_t st, sh_event **out) {
    uint32_t ns = s->nstages;
    if (st == ns) return true;
    for (uint32_t c = 0; c < k->ncand[st]; c++) {
        sh_event *e = k->cand[st * ns + c];
        bool used = false;
        for (uint32_t j = 0; j < st && !used; j++) used = out[j] == e;
        if (used) continue;
        out[st] = e;
        if (assign(s, k, st + 1, out)) return true;
    }
    return false;
}

static int key_cmp(const void *a, const void *b) {
    const sample_key *x = *(sample_key *const *)a, *y = *(sample_key *const *)b;
    for (uint32_t i = 0; i < x->nk && i < y->nk; i++) {
        int c = sh_value_order(&x->vals[i], &y->vals[i]);
        if (c) return c;
    }
    return 0;
}

void sh_sample_finish(sh_sample *s, sh_result_cb cb, void *ctx) {
    sample_key **list = malloc((s->keys.n ? s->keys.n : 1) * sizeof *list);
    sh_event **out = calloc(s->nstages ? s->nstages : 1, sizeof *out);
    if (!list || !out) abort();
    size_t n = 0;
    for (uint32_t i = 0; i < s->keys.cap; i++)
        if (SH_KEYTAB_LIVE(&s->keys.slots[i])) list[n++] = s->keys.slots[i].val;
    qsort(list, n, sizeof *list, key_cmp);
    for (size_t i = 0; i < n; i++) {
        if (!assign(s, list[i], 0, out)) continue;
        sh_result r = {.events = out, .nevents = s->nstages, .keys = list[i]->text, .nkeys = list[i]->nk};
        cb(ctx, &r);
    }
    free(out);
    free(list);
    sh_sample_reset(s);
}

void sh_sample_reset(sh_sample *s) {
    for (uint32_t i = 0; i < s->keys.cap; i++)
        if (SH_KEYTAB_LIVE(&s->keys.slots[i])) key_free(s, s->keys.slots[i].val);
    sh_keytab_free(&s->keys);
    s->dropped = 0;
}

void sh_sample_free(sh_sample *s) {
    if (!s) return;
    sh_sample_reset(s);
    free(s);
}

uint64_t sh_sample_dropped_keys(const sh_sample *s) { return s->dropped; }
