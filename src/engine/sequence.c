/* sequence.c: the sequence state machine described in sequence.h: per-key
 * pending partial sequences (one per stage), maxspan, until, missing-event
 * stages, and an output queue that keeps results in completion order while
 * sequences with a trailing missing stage wait for maxspan to pass. */
#include "engine/sequence.h"

#include <stdlib.h>
#include <string.h>

typedef struct miss_hit {
    int64_t ts;
    uint64_t ord;
    bool valid;
} miss_hit;

enum { RUN_PENDING, RUN_WAITING, RUN_CONFIRMED, RUN_REJECTED };

typedef struct seq_key seq_key;

typedef struct seq_run {
    struct seq_run *next_free;
    seq_key *key;
    int64_t start_ts, lead_ts, deadline;
    uint32_t filled, trail_idx;
    uint8_t state;
    bool doomed, lead_hit;
    uint64_t *ord;              /* per stage: feed ordinal of its event */
    sh_event *ev[];             /* per stage */
} seq_run;

struct seq_key {
    const char *kb;             /* the table's copy of the canonical key */
    uint32_t klen, hash;
    const char **text;          /* key values for results */
    uint32_t nk;
    seq_run **pending;          /* per positive stage */
    miss_hit *miss;             /* per stage (missing stages only) */
    uint32_t nrefs;             /* runs pointing at this key */
    uint32_t nwaiting;          /* of which waiting for trailing stages */
    int64_t last_ts;            /* latest missing-stage hit */
};

struct sh_seq {
    const sh_stage_spec *stages;
    uint32_t nstages;
    const sh_stage_spec *until;
    int64_t maxspan;
    uint32_t *pos, npos;        /* positive stages */
    uint32_t nlead, ntrail;     /* missing stages before the first / after the last positive */
    sh_keytab keys;
    seq_run *free_runs;
    seq_run **queue;            /* completed runs in completion order */
    size_t qhead, qlen, qcap;
    int64_t min_deadline;
    uint64_t nfed;
    sh_seq_stats stats;
    /* per event: each stage's filter and keys are evaluated once, and
     * identical stages (runs=N) share the result */
    uint32_t *twin;             /* per stage: first stage with the same filter and keys */
    int8_t *done;               /* per stage: -1 not evaluated, 0 no, 1 yes */
    sh_keyset *ks;              /* per stage */
};

#define SWEEP_EVERY 4096

/* ------------------------------------------------------------------ runs */

static seq_run *run_new(sh_seq *s, seq_key *k) {
    seq_run *r = s->free_runs;
    if (r) s->free_runs = r->next_free;
    else {
        r = malloc(sizeof *r + s->nstages * (sizeof(sh_event *) + sizeof(uint64_t)));
        if (!r) abort();
    }
    uint64_t *ord = (uint64_t *)(void *)(r->ev + s->nstages);
    memset(r, 0, sizeof *r);
    memset(r->ev, 0, s->nstages * sizeof *r->ev);
    memset(ord, 0, s->nstages * sizeof *ord);
    r->ord = ord;
    r->key = k;
    k->nrefs++;
    return r;
}

static void run_release(sh_seq *s, seq_run *r) {
    for (uint32_t i = 0; i < s->nstages; i++)
        if (r->ev[i]) sh_event_unref(r->ev[i]);
    if (r->state == RUN_WAITING) r->key->nwaiting--;
    r->key->nrefs--;
    r->next_free = s->free_runs;
    s->free_runs = r;
}

/* ------------------------------------------------------------------ keys */

static void key_free(seq_key *k) {
    for (uint32_t i = 0; i < k->nk; i++) free((char *)k->text[i]);
    free(k->text);
    free(k->pending);
    free(k->miss);
    free(k);
}

static void sweep(sh_seq *s, int64_t now);

static seq_key *key_get(sh_seq *s, const sh_keyset *ks, uint32_t t, bool create) {
    seq_key *k = sh_keytab_get(&s->keys, ks->bytes[t], ks->lens[t], ks->hashes[t]);
    if (k || !create) return k;
    if (s->keys.n >= SH_SEQ_MAX_KEYS) {
        sweep(s, SH_TS_NONE);
        if (s->keys.n >= SH_SEQ_MAX_KEYS) {
            s->stats.dropped_keys++;
            return NULL;
        }
    }
    k = calloc(1, sizeof *k);
    if (!k) abort();
    k->nk = ks->nkeys;
    k->text = calloc(k->nk ? k->nk : 1, sizeof *k->text);
    k->pending = calloc(s->npos, sizeof *k->pending);
    k->miss = calloc(s->nstages, sizeof *k->miss);
    if (!k->text || !k->pending || !k->miss) abort();
    const sh_value **row = ks->vals + (size_t)t * ks->nkeys;
    for (uint32_t i = 0; i < k->nk; i++) {
        char *c = sh_key_text_dup(row[i]);
        k->text[i] = c;
    }
    k->klen = ks->lens[t];
    k->hash = ks->hashes[t];
    k->kb = sh_keytab_put(&s->keys, ks->bytes[t], k->klen, k->hash, k);
    return k;
}

static bool key_idle(const sh_seq *s, const seq_key *k, int64_t now) {
    if (k->nrefs) return false;
    if (!s->nlead || !s->maxspan) return true;
    return now != SH_TS_NONE && now - k->last_ts > s->maxspan;
}

/* drop partials older than maxspan and keys that keep nothing */
static void sweep(sh_seq *s, int64_t now) {
    for (uint32_t i = 0; i < s->keys.cap; i++) {
        sh_keytab_slot *sl = &s->keys.slots[i];
        if (!SH_KEYTAB_LIVE(sl)) continue;
        seq_key *k = sl->val;
        for (uint32_t p = 0; p < s->npos && s->maxspan && now != SH_TS_NONE; p++) {
            seq_run *r = k->pending[p];
            if (r && (r->start_ts == SH_TS_NONE || now - r->start_ts > s->maxspan)) {
                k->pending[p] = NULL;
                run_release(s, r);
                s->stats.expired++;
            }
        }
        if (key_idle(s, k, now)) {
            sh_keytab_del(&s->keys, k->kb, k->klen, k->hash);
            key_free(k);
        }
    }
}

/* ----------------------------------------------------------------- queue */

static void queue_push(sh_seq *s, seq_run *r) {
    if (s->qhead + s->qlen == s->qcap) {
        if (s->qhead > s->qcap / 2) {
            memmove(s->queue, s->queue + s->qhead, s->qlen * sizeof *s->queue);
            s->qhead = 0;
        } else {
            s->qcap = s->qcap ? s->qcap * 2 : 64;
            seq_run **nq = realloc(s->queue, s->qcap * sizeof *nq);
            if (!nq) abort();
            s->queue = nq;
        }
    }
    s->queue[s->qhead + s->qlen++] = r;
}

static void emit(sh_seq *s, seq_run *r, sh_result_cb cb, void *ctx) {
    sh_result res = {.events = r->ev, .nevents = s->nstages, .keys = r->key->text, .nkeys = r->key->nk};
    s->stats.completed++;
    cb(ctx, &res);
}

static void flush(sh_seq *s, sh_result_cb cb, void *ctx) {
    while (s->qlen) {
        seq_run *r = s->queue[s->qhead];
        if (r->state == RUN_WAITING) break;
        if (r->state == RUN_CONFIRMED) emit(s, r, cb, ctx);
        else s->stats.rejected_missing++;
        s->qhead++;
        s->qlen--;
        run_release(s, r);
    }
    if (!s->qlen) s->qhead = 0;
}

/* sequences whose maxspan window has passed can no longer meet a trailing
 * missing event: confirm them */
static void confirm_expired(sh_seq *s, int64_t now, bool all) {
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < s->qlen; i++) {
        seq_run *r = s->queue[s->qhead + i];
        if (r->state != RUN_WAITING) continue;
        if (all || r->deadline < now) {
            r->state = RUN_CONFIRMED;
            r->key->nwaiting--;
        } else if (r->deadline < next) next = r->deadline;
    }
    s->min_deadline = next;
}

/* --------------------------------------------------------------- stages */

static uint32_t last_pos(const sh_seq *s) { return s->pos[s->npos - 1]; }

static int64_t run_last_ts(const sh_seq *s, const seq_run *r) { return r->ev[last_pos(s)]->ts; }

/* what the leading and trailing missing stages decide, at completion */
static void complete(sh_seq *s, seq_run *r) {
    r->state = RUN_CONFIRMED;
    if (r->doomed) r->state = RUN_REJECTED;
    else if (s->nlead || s->ntrail) {
        bool lead_ok = false;
        if (s->nlead) {
            int64_t last = run_last_ts(s, r);
            lead_ok = r->lead_hit && last != SH_TS_NONE && last - r->lead_ts <= s->maxspan;
        }
        if (s->nlead && !lead_ok) r->state = RUN_CONFIRMED;
        else if (!s->ntrail) r->state = RUN_REJECTED;
        else {
            int64_t from = s->nlead ? r->lead_ts : r->start_ts;
            r->deadline = from == SH_TS_NONE ? INT64_MIN : from + s->maxspan;
            r->state = RUN_WAITING;
            r->key->nwaiting++;
            if (r->deadline < s->min_deadline) s->min_deadline = r->deadline;
        }
    }
    queue_push(s, r);
}

/* leading missing stages: remember, when a sequence starts, whether each of
 * them has had a matching event (in order) before its first event */
static void lead_check(const sh_seq *s, seq_run *r, const seq_key *k, uint64_t now) {
    uint64_t prev = 0;
    for (uint32_t l = 0; l < s->nlead; l++) {
        const miss_hit *h = &k->miss[l];
        if (!h->valid || h->ord >= now || (l && h->ord <= prev)) return;
        prev = h->ord;
    }
    r->lead_hit = true;
    r->lead_ts = k->miss[0].ts;
}

static void set_stage(seq_run *r, uint32_t stage, sh_event *e, uint64_t ord) {
    sh_event_ref(e);
    r->ev[stage] = e;
    r->ord[stage] = ord;
    r->filled++;
}

static void put_pending(sh_seq *s, seq_key *k, uint32_t p, seq_run *r) {
    if (k->pending[p]) run_release(s, k->pending[p]);
    k->pending[p] = r;
}

static void start_run(sh_seq *s, seq_key *k, sh_event *e) {
    seq_run *r = run_new(s, k);
    set_stage(r, s->pos[0], e, s->nfed);
    r->start_ts = e->ts;
    if (s->nlead) lead_check(s, r, k, s->nfed);
    if (s->npos == 1) complete(s, r);
    else put_pending(s, k, 0, r);
}

static bool within_maxspan(const sh_seq *s, const seq_run *r, const sh_event *e) {
    if (!s->maxspan) return true;
    if (e->ts == SH_TS_NONE || r->start_ts == SH_TS_NONE) return false;
    return e->ts - r->start_ts <= s->maxspan;
}

static void advance(sh_seq *s, seq_key *k, uint32_t p, sh_event *e) {
    seq_run *r = k->pending[p - 1];
    if (!r) return;
    k->pending[p - 1] = NULL;
    if (!within_maxspan(s, r, e)) {
        run_release(s, r);
        s->stats.expired++;
        return;
    }
    /* a missing stage between the two positive ones saw an event */
    uint64_t prev_ord = r->ord[s->pos[p - 1]];
    for (uint32_t m = s->pos[p - 1] + 1; m < s->pos[p]; m++)
        if (k->miss[m].valid && k->miss[m].ord > prev_ord) r->doomed = true;
    set_stage(r, s->pos[p], e, s->nfed);
    if (p == s->npos - 1) complete(s, r);
    else put_pending(s, k, p, r);
}

static bool same_spec(const sh_stage_spec *a, const sh_stage_spec *b) {
    if (a->filter != b->filter || a->nkeys != b->nkeys) return false;
    for (uint32_t k = 0; k < a->nkeys; k++)
        if (a->keys[k] != b->keys[k] || !a->key_optional != !b->key_optional ||
            (a->key_optional && a->key_optional[k] != b->key_optional[k]))
            return false;
    return true;
}

static bool eval_stage(sh_eval *ev, const sh_stage_spec *st, sh_event *e, sh_keyset *ks) {
    if (st->filter && sh_ir_eval(ev, st->filter, e) != SH_TRUE) return false;
    return sh_keys_compute(ev, st, e, ks);
}

/* the key tuples of stage i for this event (evaluated once per event) */
static bool stage_keys(sh_seq *s, sh_eval *ev, uint32_t i, sh_event *e, sh_keyset *ks) {
    uint32_t t = s->twin[i];
    if (s->done[t] < 0) s->done[t] = eval_stage(ev, &s->stages[t], e, &s->ks[t]);
    *ks = s->ks[t];
    return s->done[t] == 1;
}

/* an until event expires the partials of its key, those its own event has
 * just advanced included; a sequence that event completed stands */
static void on_until(sh_seq *s, sh_eval *ev, sh_event *e) {
    sh_keyset ks;
    if (!eval_stage(ev, s->until, e, &ks)) return;
    for (uint32_t t = 0; t < ks.ntuples; t++) {
        seq_key *k = key_get(s, &ks, t, false);
        for (uint32_t p = 0; k && p < s->npos; p++)
            if (k->pending[p]) {
                run_release(s, k->pending[p]);
                k->pending[p] = NULL;
            }
    }
}

/* trailing missing stage m saw an event for key k */
static void trailing_hit(sh_seq *s, seq_key *k, uint32_t m, const sh_event *e) {
    uint32_t t = m - last_pos(s) - 1;
    for (size_t i = 0; i < s->qlen && k->nwaiting; i++) {
        seq_run *r = s->queue[s->qhead + i];
        if (r->key != k || r->state != RUN_WAITING || r->trail_idx != t) continue;
        if (e->ts == SH_TS_NONE || e->ts > r->deadline) continue;
        if (++r->trail_idx == s->ntrail) {
            r->state = RUN_REJECTED;
            k->nwaiting--;
        }
    }
}

static void on_missing(sh_seq *s, sh_eval *ev, uint32_t m, sh_event *e) {
    sh_keyset ks;
    if (!stage_keys(s, ev, m, e, &ks)) return;
    bool leading = m < s->pos[0];
    for (uint32_t t = 0; t < ks.ntuples; t++) {
        seq_key *k = key_get(s, &ks, t, leading);
        if (!k) continue;
        k->miss[m] = (miss_hit){.ts = e->ts, .ord = s->nfed, .valid = true};
        if (e->ts != SH_TS_NONE) k->last_ts = e->ts;
        if (m > last_pos(s) && k->nwaiting) trailing_hit(s, k, m, e);
    }
}

static void on_positive(sh_seq *s, sh_eval *ev, uint32_t p, sh_event *e) {
    sh_keyset ks;
    if (!stage_keys(s, ev, s->pos[p], e, &ks)) return;
    for (uint32_t t = 0; t < ks.ntuples; t++) {
        seq_key *k = key_get(s, &ks, t, p == 0);
        if (!k) continue;
        if (p == 0) start_run(s, k, e);
        else advance(s, k, p, e);
    }
}

/* ------------------------------------------------------------------- API */


sh_seq *sh_seq_new(const sh_stage_spec *stages, uint32_t nstages, const sh_stage_spec *until,
                   int64_t maxspan_ns) {
    sh_seq *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->stages = stages;
    s->nstages = nstages;
    s->until = until;
    s->maxspan = maxspan_ns;
    s->pos = calloc(nstages ? nstages : 1, sizeof *s->pos);
    if (!s->pos) abort();
    for (uint32_t i = 0; i < nstages; i++)
        if (!stages[i].missing) s->pos[s->npos++] = i;
    if (s->npos) {
        s->nlead = s->pos[0];
        s->ntrail = nstages - 1 - s->pos[s->npos - 1];
    }
    s->min_deadline = INT64_MAX;
    s->twin = calloc(nstages ? nstages : 1, sizeof *s->twin);
    s->done = calloc(nstages ? nstages : 1, sizeof *s->done);
    s->ks = calloc(nstages ? nstages : 1, sizeof *s->ks);
    if (!s->twin || !s->done || !s->ks) abort();
    for (uint32_t i = 0; i < nstages; i++) {
        s->twin[i] = i;
        for (uint32_t j = 0; j < i; j++)
            if (same_spec(&stages[i], &stages[j])) {
                s->twin[i] = j;
                break;
            }
    }
    return s;
}

void sh_seq_feed(sh_seq *s, sh_eval *ev, sh_event *e, sh_result_cb cb, void *ctx) {
    if (!s->npos) return;
    s->nfed++;
    sh_eval_reset(ev);
    memset(s->done, -1, s->nstages);
    if (e->ts != SH_TS_NONE && e->ts > s->min_deadline) confirm_expired(s, e->ts, false);
    for (uint32_t m = 0; m < s->nstages; m++)
        if (s->stages[m].missing) on_missing(s, ev, m, e);
    for (uint32_t p = s->npos; p-- > 0;) on_positive(s, ev, p, e);
    if (s->until) on_until(s, ev, e);
    flush(s, cb, ctx);
    if (s->nfed % SWEEP_EVERY == 0) sweep(s, e->ts);
}

void sh_seq_finish(sh_seq *s, sh_result_cb cb, void *ctx) {
    confirm_expired(s, 0, true);
    flush(s, cb, ctx);
}

static void release_all(sh_seq *s) {
    while (s->qlen) {
        run_release(s, s->queue[s->qhead++]);
        s->qlen--;
    }
    s->qhead = 0;
    for (uint32_t i = 0; i < s->keys.cap; i++) {
        sh_keytab_slot *sl = &s->keys.slots[i];
        if (!SH_KEYTAB_LIVE(sl)) continue;
        seq_key *k = sl->val;
        for (uint32_t p = 0; p < s->npos; p++)
            if (k->pending[p]) run_release(s, k->pending[p]);
        key_free(k);
    }
    sh_keytab_free(&s->keys);
}

void sh_seq_reset(sh_seq *s) {
    release_all(s);
    s->min_deadline = INT64_MAX;
    s->nfed = 0;
    memset(&s->stats, 0, sizeof s->stats);
}

void sh_seq_free(sh_seq *s) {
    if (!s) return;
    release_all(s);
    while (s->free_runs) {
        seq_run *r = s->free_runs;
        s->free_runs = r->next_free;
        free(r);
    }
    free(s->queue);
    free(s->pos);
    free(s->twin);
    free(s->done);
    free(s->ks);
    free(s);
}

const sh_seq_stats *sh_seq_get_stats(const sh_seq *s) { return &s->stats; }
