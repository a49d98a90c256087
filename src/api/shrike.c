/* shrike.c: the engine instance behind the public API: a list of compiled
 * rules (any language, through its front end: engine/query.h), each fed the
 * events it can use, in load order. */
#include "shrike/shrike.h"

#include "api/exclude.h"
#include "api/prefilter.h"
#include "engine/ir.h"
#include "event/fieldmap.h"

#include <stdlib.h>
#include <string.h>

typedef struct crule {
    sh_rule *rule;
    sh_query *q;
    bool done;                /* head limit reached */
    const sh_fieldref **refs; /* the fields its filters read (looked up ahead by shrike_prepare) */
    uint32_t nrefs;
} crule;

#define MAX_WARM_REFS 64

/* the fields an expression reads, each once */
static void collect_refs(const sh_ir *n, crule *c) {
    if (!n) return;
    if (n->kind == SH_IR_FIELD && n->ref) {
        for (uint32_t i = 0; i < c->nrefs; i++)
            if (c->refs[i] == n->ref) return;
        if (c->nrefs == MAX_WARM_REFS) return;
        if (!c->refs) {
            c->refs = malloc(MAX_WARM_REFS * sizeof *c->refs);
            if (!c->refs) abort();
        }
        c->refs[c->nrefs++] = n->ref;
    }
    for (uint32_t i = 0; i < n->nargs; i++) collect_refs(n->args[i], c);
}

static const sh_frontend *const frontends[] = {&sh_frontend_eql, &sh_frontend_sigma, &sh_frontend_spl};
#define NFRONTENDS (sizeof frontends / sizeof *frontends)

/* Rules indexed by the event categories they can use: an event meets only
 * the rules of its categories plus the rules that take any event. */
typedef struct cat_entry {
    char *name;
    size_t len;
    uint32_t *rules;          /* rule indexes, ascending */
    size_t n, cap;
} cat_entry;

#define MAX_RULE_CATS 16

/* Rules indexed by the Windows events they can use (sh_win_event): an event
 * also meets the rules of its (Channel, EventID) and of its channel's every
 * id (event_id -1). Open addressing over lower-cased channel and id. */
typedef struct win_entry {
    char *channel;            /* lower-cased; NULL: empty slot */
    size_t len;
    int64_t event_id;
    uint32_t hash;
    uint32_t *rules;          /* rule indexes, ascending */
    size_t n, cap;
} win_entry;

#define MAX_RULE_WINS 64

struct shrike {
    crule *rules;
    size_t n, cap;
    cat_entry *cats;
    size_t ncats;
    uint32_t *any;            /* rules that must see every event */
    size_t nany, capany;
    uint8_t *active;          /* per event: which rules to run */
    sh_prefilter *pf;         /* literal prefilter */
    const sh_fieldref *category;
    win_entry *wins;          /* power-of-two table, NULL channel = empty */
    size_t nwins, capwins;
    const sh_fieldref *channel, *event_id;
    void *fectx[NFRONTENDS];  /* each front end's shared state, made on first use */
    shrike_exclusions **excl; /* exclusion sets (api/exclude.c), owned */
    size_t nexcl;
    uint64_t excluded;        /* alerts they suppressed */
    shrike_excluded_cb on_excluded;
    void *on_excluded_ctx;
};

shrike *shrike_new(void) {
    shrike *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->category = sh_fieldref_get("event.category", 14);
    s->channel = sh_fieldref_get("Channel", 7);
    s->event_id = sh_fieldref_get("EventID", 7);
    s->pf = sh_prefilter_new();
    return s;
}

static void push_idx(uint32_t **a, size_t *n, size_t *cap, uint32_t v) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *a = realloc(*a, *cap * sizeof **a);
        if (!*a) abort();
    }
    (*a)[(*n)++] = v;
}

static uint32_t win_hash(const char *ch, size_t len, int64_t id) {
    return sh_hash(ch, len) ^ (uint32_t)((uint64_t)id * 0x9E3779B97F4A7C15ull >> 32);
}

static win_entry *win_slot(win_entry *tab, size_t cap, const char *ch, size_t len, int64_t id, uint32_t h) {
    size_t i = h & (cap - 1);
    while (tab[i].channel && !(tab[i].hash == h && tab[i].event_id == id && tab[i].len == len &&
                               !memcmp(tab[i].channel, ch, len)))
        i = (i + 1) & (cap - 1);
    return &tab[i];
}

static void win_add(shrike *s, const sh_win_event *w, uint32_t idx) {
    if ((s->nwins + 1) * 2 > s->capwins) {
        size_t cap = s->capwins ? s->capwins * 2 : 64;
        win_entry *nt = calloc(cap, sizeof *nt);
        if (!nt) abort();
        for (size_t i = 0; i < s->capwins; i++)
            if (s->wins[i].channel)
                *win_slot(nt, cap, s->wins[i].channel, s->wins[i].len, s->wins[i].event_id, s->wins[i].hash) = s->wins[i];
        free(s->wins);
        s->wins = nt;
        s->capwins = cap;
    }
    size_t n = strlen(w->channel);
    char *low = malloc(2 * n + 1);
    if (!low) abort();
    size_t ln = sh_utf8_lower(w->channel, n, low);
    low[ln] = 0;
    uint32_t h = win_hash(low, ln, w->event_id);
    win_entry *e = win_slot(s->wins, s->capwins, low, ln, w->event_id, h);
    if (!e->channel) {
        *e = (win_entry){.channel = low, .len = ln, .event_id = w->event_id, .hash = h};
        s->nwins++;
    } else {
        free(low);
    }
    if (e->n && e->rules[e->n - 1] == idx) return;
    push_idx(&e->rules, &e->n, &e->cap, idx);
}

static void index_rule(shrike *s, uint32_t idx) {
    const char *cats[MAX_RULE_CATS];
    sh_win_event wins[MAX_RULE_WINS];
    const sh_query *q = s->rules[idx].q;
    size_t n = q->ops->categories ? q->ops->categories(q, cats, MAX_RULE_CATS) : SIZE_MAX;
    size_t nw = n != SIZE_MAX && q->ops->win_events ? q->ops->win_events(q, wins, MAX_RULE_WINS) : 0;
    if (n == SIZE_MAX || nw == SIZE_MAX) {
        push_idx(&s->any, &s->nany, &s->capany, idx);
        return;
    }
    for (size_t i = 0; i < nw; i++) win_add(s, &wins[i], idx);
    for (size_t i = 0; i < n; i++) {
        cat_entry *c = NULL;
        for (size_t k = 0; k < s->ncats && !c; k++)
            if (!strcmp(s->cats[k].name, cats[i])) c = &s->cats[k];
        if (!c) {
            s->cats = realloc(s->cats, (s->ncats + 1) * sizeof *s->cats);
            if (!s->cats) abort();
            c = &s->cats[s->ncats++];
            memset(c, 0, sizeof *c);
            c->name = strdup(cats[i]);
            if (!c->name) abort();
            c->len = strlen(c->name);
        }
        push_idx(&c->rules, &c->n, &c->cap, idx);
    }
}

void shrike_free(shrike *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        s->rules[i].q->ops->free(s->rules[i].q);
        sh_rule_free(s->rules[i].rule);
        free(s->rules[i].refs);
    }
    for (size_t i = 0; i < s->ncats; i++) {
        free(s->cats[i].name);
        free(s->cats[i].rules);
    }
    free(s->cats);
    for (size_t i = 0; i < s->capwins; i++) {
        free(s->wins[i].channel);
        free(s->wins[i].rules);
    }
    free(s->wins);
    for (size_t i = 0; i < NFRONTENDS; i++)
        if (s->fectx[i] && frontends[i]->ctx_free) frontends[i]->ctx_free(s->fectx[i]);
    for (size_t i = 0; i < s->nexcl; i++) shrike_exclusions_free(s->excl[i]);
    free(s->excl);
    free(s->any);
    free(s->active);
    sh_prefilter_free(s->pf);
    free(s->rules);
    free(s);
}

/* map a position inside the query text to the rule file */
static void locate(const sh_rule *r, sh_diag *d) {
    snprintf(d->file, sizeof d->file, "%s", r->path ? r->path : "");
    /* positions inside the query map to the file when the query text
     * stands in the file as it is (TOML, .eql); inside a JSON string
     * (Kibana exports) they do not, and the rule's own line is given */
    if (d->line > 0 && r->query_line > 0) d->line += r->query_line - 1;
    else d->line = r->line;
}

bool shrike_add_rule(shrike *s, sh_rule *r, sh_diag *d) {
    sh_diag_clear(d);
    size_t fi = 0;
    while (fi < NFRONTENDS && frontends[fi]->lang != r->lang) fi++;
    if (fi == NFRONTENDS) {
        sh_diag_set(d, r->path, r->line, 0, "unknown rule language");
        return false;
    }
    const sh_frontend *fe = frontends[fi];
    if (!s->fectx[fi] && fe->ctx_new) s->fectx[fi] = fe->ctx_new();
    sh_query *q = fe->compile(s->fectx[fi], r, d);
    if (!q) {
        locate(r, d);
        return false;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->rules = realloc(s->rules, s->cap * sizeof *s->rules);
        if (!s->rules) abort();
    }
    s->rules[s->n++] = (crule){.rule = r, .q = q};
    uint8_t *act = realloc(s->active, s->n);
    if (!act) abort();
    s->active = act;
    index_rule(s, (uint32_t)(s->n - 1));
    const sh_ir *filters[257];
    uint32_t nf = q->ops->filters ? q->ops->filters(q, filters, 257) : 0;
    bool any_null = nf == 0 || nf == 257;
    for (uint32_t i = 0; i < nf; i++) any_null |= filters[i] == NULL;
    for (uint32_t i = 0; i < nf && nf < 257; i++) collect_refs(filters[i], &s->rules[s->n - 1]);
    if (!any_null && !getenv("SHRIKE_NO_PREFILTER")) sh_prefilter_add(s->pf, (uint32_t)(s->n - 1), filters, nf);
    return true;
}

size_t shrike_rule_count(const shrike *s) { return s->n; }
const sh_rule *shrike_rule(const shrike *s, size_t i) { return s->rules[i].rule; }
const char *const *shrike_rule_warnings(const shrike *s, size_t i) {
    const sh_query *q = s->rules[i].q;
    return q->ops->warnings ? q->ops->warnings(q) : NULL;
}
int shrike_rule_shape(const shrike *s, size_t i) { return s->rules[i].q->shape; }
const sh_query *shrike_rule_query(const shrike *s, size_t i) { return s->rules[i].q; }

typedef struct fwd {
    const sh_rule *rule;
    shrike_alert_cb cb;
    void *ctx;
    shrike *s;
} fwd;

/* an alert an exclusion entry matches is counted, not delivered */
static bool excluded(shrike *s, const shrike_alert *a) {
    for (size_t i = 0; i < s->nexcl; i++) {
        long k = shrike_exclusions_match(s->excl[i], a);
        if (k < 0) continue;
        sh_exclusions_hit(s->excl[i], (size_t)k);
        s->excluded++;
        if (s->on_excluded) s->on_excluded(s->on_excluded_ctx, a, s->excl[i], (size_t)k);
        return true;
    }
    return false;
}

static void forward(void *ctx, const sh_match *m) {
    fwd *f = ctx;
    if (!f->cb) return;
    shrike_alert a = {.rule = f->rule, .match = m};
    if (f->s && f->s->nexcl && excluded(f->s, &a)) return;
    f->cb(f->ctx, &a);
}

void shrike_add_exclusions(shrike *s, shrike_exclusions *x) {
    s->excl = realloc(s->excl, (s->nexcl + 1) * sizeof *s->excl);
    if (!s->excl) abort();
    s->excl[s->nexcl++] = x;
}
size_t shrike_exclusion_sets(const shrike *s) { return s->nexcl; }
const shrike_exclusions *shrike_exclusion_set(const shrike *s, size_t i) { return s->excl[i]; }
uint64_t shrike_excluded(const shrike *s) { return s->excluded; }
void shrike_on_excluded(shrike *s, shrike_excluded_cb cb, void *ctx) {
    s->on_excluded = cb;
    s->on_excluded_ctx = ctx;
}

static void mark(uint8_t *active, const uint32_t *idx, size_t n) {
    for (size_t i = 0; i < n; i++) active[idx[i]] = 1;
}

static bool event_id_of(const sh_value *v, int64_t *id) {
    if (v->type == SH_INT) { *id = v->i; return true; }
    if (v->type != SH_STR || v->len == 0 || v->len > 18) return false;
    int64_t x = 0;
    for (uint32_t i = 0; i < v->len; i++) {
        if (v->s[i] < '0' || v->s[i] > '9') return false;
        x = x * 10 + (v->s[i] - '0');
    }
    *id = x;
    return true;
}

/* the rules indexed by the event's (Channel, EventID) and (Channel, any id) */
static void mark_wins(const shrike *s, sh_event *e, uint8_t *active) {
    sh_field *ch = sh_event_get(e, s->channel);
    if (!ch) return;
    sh_field *ids = sh_event_get(e, s->event_id);
    char low[512];
    for (uint32_t c = 0; c < ch->nvals; c++) {
        const sh_value *cv = &ch->vals[c];
        if (cv->type != SH_STR || cv->len * 2 > sizeof low) continue;
        size_t ln = sh_utf8_lower(cv->s, cv->len, low);
        win_entry *w = win_slot(s->wins, s->capwins, low, ln, -1, win_hash(low, ln, -1));
        if (w->channel) mark(active, w->rules, w->n);
        for (uint32_t k = 0; ids && k < ids->nvals; k++) {
            int64_t id;
            if (!event_id_of(&ids->vals[k], &id)) continue;
            w = win_slot(s->wins, s->capwins, low, ln, id, win_hash(low, ln, id));
            if (w->channel) mark(active, w->rules, w->n);
        }
    }
}

/* which rules can concern e: the rule index, then the literal prefilter */
static void select_rules(const shrike *s, sh_event *e, uint8_t *active, sh_prefilter_ws *pw) {
    memset(active, 0, s->n);
    mark(active, s->any, s->nany);
    sh_field *cat = s->ncats ? sh_event_get(e, s->category) : NULL;
    for (uint32_t v = 0; cat && v < cat->nvals; v++) {
        const sh_value *val = &cat->vals[v];
        if (val->type != SH_STR) continue;
        for (size_t k = 0; k < s->ncats; k++)
            if (s->cats[k].len == val->len && !memcmp(s->cats[k].name, val->s, val->len))
                mark(active, s->cats[k].rules, s->cats[k].n);
    }
    if (s->nwins) mark_wins(s, e, active);
    if (pw) sh_prefilter_apply_ws(s->pf, pw, e, active);
    else sh_prefilter_apply(s->pf, e, active);
}

struct shrike_ws {
    sh_prefilter_ws *pw;
};

void shrike_prepare_begin(shrike *s) { sh_prefilter_prepare(s->pf); }

shrike_ws *shrike_ws_new(const shrike *s) {
    shrike_ws *w = calloc(1, sizeof *w);
    if (!w) abort();
    w->pw = sh_prefilter_ws_new(s->pf);
    return w;
}

void shrike_ws_free(shrike_ws *w) {
    if (!w) return;
    sh_prefilter_ws_free(w->pw);
    free(w);
}

void shrike_prepare(const shrike *s, shrike_ws *w, sh_event *e) {
    if (!s->n) return;
    uint8_t *sel = sh_arena_alloc(&e->arena, s->n);
    select_rules(s, e, sel, w->pw);
    /* the field model's derivations the selected rules' filters will read,
     * made here (they are kept in the event) rather than on the main thread */
    for (size_t i = 0; i < s->n; i++)
        if (sel[i])
            for (uint32_t k = 0; k < s->rules[i].nrefs; k++) sh_event_get(e, s->rules[i].refs[k]);
    e->sel = sel;
    e->sel_of = s;
    e->sel_n = s->n;
}

void shrike_feed(shrike *s, sh_event *e, shrike_alert_cb cb, void *ctx) {
    if (!s->n) return;
    if (e->sel && e->sel_of == s && e->sel_n == s->n) memcpy(s->active, e->sel, s->n);
    else select_rules(s, e, s->active, NULL);
    for (size_t i = 0; i < s->n; i++) {
        crule *c = &s->rules[i];
        if (c->done || !s->active[i]) continue;
        fwd f = {.rule = c->rule, .cb = c->q->silent ? NULL : cb, .ctx = ctx, .s = s};
        if (!c->q->ops->feed(c->q, e, forward, &f)) c->done = true;
    }
}

bool shrike_done(const shrike *s) {
    for (size_t i = 0; i < s->n; i++)
        if (!s->rules[i].done) return false;
    return s->n > 0;
}

void shrike_finish(shrike *s, shrike_alert_cb cb, void *ctx) {
    for (size_t i = 0; i < s->n; i++) {
        crule *c = &s->rules[i];
        fwd f = {.rule = c->rule, .cb = c->q->silent ? NULL : cb, .ctx = ctx, .s = s};
        c->q->ops->finish(c->q, forward, &f);
    }
}
