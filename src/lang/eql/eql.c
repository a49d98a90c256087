/* eql.c: the EQL front end's public API (eql.h): compile a query into the
 * shared IR plus a sequence or sample machine, feed events, and run the
 * head/tail pipes over the results (for sequences and samples they count
 * results, not events). */
#include <stdlib.h>
#include <string.h>

#include "lang/eql/eql_int.h"

static bool head_done_at_start(const sh_eql *q) {
    for (uint32_t i = 0; i < q->npipes; i++) {
        if (q->pipes[i].kind != EQL_PIPE_HEAD) return false;
        if (q->pipes[i].n == 0) return true;
    }
    return false;
}

sh_eql *sh_eql_compile(const char *text, size_t len, sh_diag *d) {
    sh_eql *q = calloc(1, sizeof *q);
    if (!q) abort();
    sh_irpool_init(&q->pool);
    if (d) { /* the caller's d->file is kept */
        d->line = d->col = 0;
        d->offset = -1;
        d->msg[0] = 0;
    }
    if (!eql_parse(q, text, len, d)) {
        sh_irpool_free(&q->pool);
        free(q);
        return NULL;
    }
    for (uint32_t i = 0; i < q->nstages; i++) sh_ir_finalize(&q->pool, (sh_ir *)q->stages[i].filter);
    if (q->has_until) sh_ir_finalize(&q->pool, (sh_ir *)q->until.filter);
    sh_eval_init(&q->ev);
    if (q->kind == SH_EQL_SEQUENCE)
        q->seq = sh_seq_new(q->stages, q->nstages, q->has_until ? &q->until : NULL, q->maxspan_ns);
    else if (q->kind == SH_EQL_SAMPLE)
        q->sample = sh_sample_new(q->stages, q->nstages);
    q->done = head_done_at_start(q);
    return q;
}

static void match_free(sh_match *m) {
    for (uint32_t i = 0; i < m->nevents; i++)
        if (m->events[i]) sh_event_unref(m->events[i]);
    for (uint32_t i = 0; i < m->nkeys; i++) free((char *)m->keys[i]);
    free(m->events);
    free(m->keys);
    memset(m, 0, sizeof *m);
}

static void match_copy(sh_match *dst, const sh_match *src) {
    dst->nevents = src->nevents;
    dst->nkeys = src->nkeys;
    dst->events = calloc(src->nevents ? src->nevents : 1, sizeof *dst->events);
    dst->keys = calloc(src->nkeys ? src->nkeys : 1, sizeof *dst->keys);
    if (!dst->events || !dst->keys) abort();
    for (uint32_t i = 0; i < src->nevents; i++) {
        dst->events[i] = src->events[i];
        if (dst->events[i]) sh_event_ref(dst->events[i]);
    }
    for (uint32_t i = 0; i < src->nkeys; i++) {
        dst->keys[i] = strdup(src->keys[i]);
        if (!dst->keys[i]) abort();
    }
}

static void pipes_clear(sh_eql *q) {
    for (uint32_t i = 0; i < q->npipes; i++) {
        eql_pipe *pp = &q->pipes[i];
        for (int64_t k = 0; k < pp->ring_len; k++) match_free(&pp->ring[k]);
        free(pp->ring);
        pp->ring = NULL;
        pp->ring_len = pp->ring_pos = pp->seen = 0;
    }
}

void sh_eql_free(sh_eql *q) {
    if (!q) return;
    pipes_clear(q);
    sh_seq_free(q->seq);
    sh_sample_free(q->sample);
    sh_eval_free(&q->ev);
    sh_irpool_free(&q->pool);
    free(q);
}

sh_eql_kind sh_eql_get_kind(const sh_eql *q) { return q->kind; }

const char *const *sh_eql_warnings(const sh_eql *q) { return q->warnings; }

/* ---------------------------------------------------------------- pipes */

static void tail_keep(eql_pipe *pp, const sh_match *m) {
    if (pp->n == 0) return;
    if (pp->ring_len < pp->n) {
        /* grow towards n as results come (tail 1000000 costs nothing up front) */
        if ((pp->ring_len & (pp->ring_len - 1)) == 0) {
            int64_t cap = pp->ring_len ? pp->ring_len * 2 : 4;
            if (cap > pp->n) cap = pp->n;
            sh_match *nr = realloc(pp->ring, (size_t)cap * sizeof *nr);
            if (!nr) abort();
            pp->ring = nr;
        }
        match_copy(&pp->ring[pp->ring_len++], m);
        return;
    }
    match_free(&pp->ring[pp->ring_pos]);
    match_copy(&pp->ring[pp->ring_pos], m);
    pp->ring_pos = (pp->ring_pos + 1) % pp->n;
}

static bool only_heads_before(const sh_eql *q, uint32_t i) {
    for (uint32_t k = 0; k < i; k++)
        if (q->pipes[k].kind != EQL_PIPE_HEAD) return false;
    return true;
}

static void pipe_emit(sh_eql *q, uint32_t i, const sh_match *m) {
    if (i == q->npipes) {
        q->cb(q->cbctx, m);
        return;
    }
    eql_pipe *pp = &q->pipes[i];
    if (pp->kind == EQL_PIPE_TAIL) {
        tail_keep(pp, m);
        return;
    }
    if (pp->seen >= pp->n) return;
    pp->seen++;
    pipe_emit(q, i + 1, m);
    if (pp->seen >= pp->n && only_heads_before(q, i)) q->done = true;
}

static void pipes_flush(sh_eql *q) {
    for (uint32_t i = 0; i < q->npipes; i++) {
        eql_pipe *pp = &q->pipes[i];
        if (pp->kind != EQL_PIPE_TAIL) continue;
        int64_t n = pp->ring_len;
        for (int64_t k = 0; k < n; k++) pipe_emit(q, i + 1, &pp->ring[(pp->ring_pos + k) % (n ? n : 1)]);
        for (int64_t k = 0; k < n; k++) match_free(&pp->ring[k]);
        free(pp->ring);
        pp->ring = NULL;
        pp->ring_len = pp->ring_pos = 0;
    }
}

static void on_result(void *ctx, const sh_result *r) {
    sh_eql *q = ctx;
    sh_match m = {.events = r->events, .nevents = r->nevents, .keys = r->keys, .nkeys = r->nkeys};
    pipe_emit(q, 0, &m);
}

/* ----------------------------------------------------------------- feed */

bool sh_eql_feed(sh_eql *q, sh_event *e, sh_match_cb cb, void *ctx) {
    if (q->done) return false;
    q->cb = cb;
    q->cbctx = ctx;
    switch (q->kind) {
    case SH_EQL_EVENT:
        if (sh_ir_match(&q->ev, q->stages[0].filter, e)) {
            sh_event *one[1] = {e};
            sh_match m = {.events = one, .nevents = 1};
            pipe_emit(q, 0, &m);
        }
        break;
    case SH_EQL_SEQUENCE: sh_seq_feed(q->seq, &q->ev, e, on_result, q); break;
    case SH_EQL_SAMPLE: sh_sample_feed(q->sample, &q->ev, e); break;
    }
    return !q->done;
}

void sh_eql_finish(sh_eql *q, sh_match_cb cb, void *ctx) {
    q->cb = cb;
    q->cbctx = ctx;
    if (q->seq) sh_seq_finish(q->seq, on_result, q);
    if (q->sample) sh_sample_finish(q->sample, on_result, q);
    pipes_flush(q);
    q->done = true;
}

void sh_eql_reset(sh_eql *q) {
    pipes_clear(q);
    if (q->seq) sh_seq_reset(q->seq);
    if (q->sample) sh_sample_reset(q->sample);
    q->done = head_done_at_start(q);
}

bool sh_eql_event_matches(sh_eql *q, sh_event *e) {
    for (uint32_t i = 0; i < q->nstages; i++)
        if (!q->stages[i].filter || sh_ir_match(&q->ev, q->stages[i].filter, e)) return true;
    return false;
}

/* The category a stage filter starts with (`CAT where ...` compiles to
 * event.category == "CAT" and ...), or NULL when the stage takes any event. */
static const sh_value *stage_category(const sh_stage_spec *st) {
    const sh_ir *f = st->filter;
    if (!f || f->kind != SH_IR_AND || f->nargs < 1) return NULL;
    const sh_ir *c = f->args[0];
    if (c->kind != SH_IR_CMP || c->op != SH_CMP_EQ || c->nargs != 2 || c->flags) return NULL;
    const sh_ir *a = c->args[0], *b = c->args[1];
    if (a->kind != SH_IR_FIELD || b->kind != SH_IR_LIT || b->lit.type != SH_STR) return NULL;
    if (a->ref->nlen != 14 || memcmp(a->ref->name, "event.category", 14) != 0) return NULL;
    return &b->lit;
}

size_t sh_eql_categories(const sh_eql *q, const char **out, size_t max) {
    size_t n = 0;
    for (uint32_t i = 0; i <= q->nstages; i++) {
        const sh_stage_spec *st = i < q->nstages ? &q->stages[i] : (q->has_until ? &q->until : NULL);
        if (!st) break;
        const sh_value *v = stage_category(st);
        if (!v) return SIZE_MAX;
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++) seen = strcmp(out[k], v->s) == 0;
        if (seen) continue;
        if (n == max) return SIZE_MAX;
        out[n++] = v->s;
    }
    return n;
}

uint32_t sh_eql_stage_filters(const sh_eql *q, const sh_ir **out, uint32_t max) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < q->nstages && n < max; i++) out[n++] = q->stages[i].filter;
    if (q->has_until && n < max) out[n++] = q->until.filter;
    return n;
}

/* ------------------------------------------------------------ as a query */

static bool q_feed(sh_query *q, sh_event *e, sh_match_cb cb, void *ctx) { return sh_eql_feed((sh_eql *)q, e, cb, ctx); }
static void q_finish(sh_query *q, sh_match_cb cb, void *ctx) { sh_eql_finish((sh_eql *)q, cb, ctx); }
static void q_reset(sh_query *q) { sh_eql_reset((sh_eql *)q); }
static void q_free(sh_query *q) { sh_eql_free((sh_eql *)q); }
static const char *const *q_warnings(const sh_query *q) { return sh_eql_warnings((const sh_eql *)q); }
static size_t q_categories(const sh_query *q, const char **out, size_t max) {
    return sh_eql_categories((const sh_eql *)q, out, max);
}
static uint32_t q_filters(const sh_query *q, const sh_ir **out, uint32_t max) {
    return sh_eql_stage_filters((const sh_eql *)q, out, max);
}

static const sh_query_ops eql_ops = {
    .feed = q_feed,
    .finish = q_finish,
    .reset = q_reset,
    .free = q_free,
    .warnings = q_warnings,
    .categories = q_categories,
    .filters = q_filters,
};

static sh_query *fe_compile(void *ctx, const sh_rule *r, sh_diag *d) {
    (void)ctx;
    sh_eql *q = sh_eql_compile(r->query, strlen(r->query), d);
    if (!q) return NULL;
    q->base.ops = &eql_ops;
    q->base.shape = q->kind == SH_EQL_EVENT ? SH_SHAPE_EVENT : SH_SHAPE_GROUP;
    return &q->base;
}

const sh_frontend sh_frontend_eql = {.lang = SH_LANG_EQL, .name = "eql", .compile = fe_compile};
