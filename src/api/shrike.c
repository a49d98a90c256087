/* shrike.c: the engine instance behind the public API: a list of compiled
 * rules (any language, through its front end: engine/query.h), each fed the
 * events it can use, in load order. */
#include "shrike/shrike.h"

#include "api/evclass.h"
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

/* What event classes decide (api/evclass.h), worked out from the rules
 * loaded: rebuilt when rules are added or the field model changes. */
typedef struct cplan {
    unsigned gen, mapgen;     /* the shrike's and the field model's generation */
    unsigned serial;          /* tells plans apart (workspaces' tables belong to one) */
    bool ok;                  /* events are classified (the rule index reads class fields) */
    sh_arena arena;
    sh_classkey key;
    sh_cfilter ***cfs;        /* per rule: a class view of each of its filters, or NULL:
                               * the class cannot rule it out */
    uint32_t *ncfs;
    uint8_t *fclass;          /* per prefilter field: the class decides it */
    uint32_t **rfields;       /* per rule: the other prefilter fields it has literals on */
    uint32_t *nrfields;
} cplan;

/* One class's decision: the rules that run on every event of the class
 * (sure), and the rules that run when the literal prefilter finds one of
 * theirs (pend) on the fields listed (fields). */
typedef struct cdec {
    uint32_t nsure, npend, nfields;
    uint32_t idx[];           /* sure, then pend, then fields */
} cdec;

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
    unsigned gen;             /* changes with every rule added */
    cplan *plan;              /* NULL until the first event */
    shrike_ws *ws;            /* the calling thread's workspace (shrike_feed) */
};

static void plan_free(cplan *pl);

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
    shrike_ws_free(s->ws);
    plan_free(s->plan);
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
    s->gen++;
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

/* which rules the rule index gives e: its categories, its (Channel,
 * EventID) and the rules that take any event */
static void select_index(const shrike *s, sh_event *e, uint8_t *active) {
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
}

/* ------------------------------------------------------------ classes */

static unsigned g_plan_serial;

static void plan_free(cplan *pl) {
    if (!pl) return;
    sh_arena_free(&pl->arena);
    free(pl);
}

static bool plan_current(const shrike *s) {
    return s->plan && s->plan->gen == s->gen && s->plan->mapgen == sh_fieldmap_generation();
}

static cplan *plan_build(const shrike *s) {
    cplan *pl = calloc(1, sizeof *pl);
    if (!pl) abort();
    sh_arena_init(&pl->arena);
    pl->gen = s->gen;
    pl->mapgen = sh_fieldmap_generation();
    pl->serial = __atomic_add_fetch(&g_plan_serial, 1, __ATOMIC_RELAXED);
    /* the prefilter's switch turns classes off too: what is left is the
     * rule index, which tests/e2e/prefilter.sh compares against */
    if (!s->n || getenv("SHRIKE_NO_PREFILTER")) return pl;
    if (!sh_classkey_add(&pl->key, s->category) || !sh_classkey_add(&pl->key, s->channel) ||
        !sh_classkey_add(&pl->key, s->event_id))
        return pl;
    sh_arena *a = &pl->arena;
    pl->cfs = sh_arena_zalloc(a, s->n * sizeof *pl->cfs);
    pl->ncfs = sh_arena_zalloc(a, s->n * sizeof *pl->ncfs);
    for (size_t i = 0; i < s->n; i++) {
        const sh_query *q = s->rules[i].q;
        const sh_ir *filters[257];
        uint32_t nf = q->ops->filters ? q->ops->filters(q, filters, 257) : 0;
        if (nf == 0 || nf == 257) continue;
        sh_cfilter **cf = sh_arena_zalloc(a, nf * sizeof *cf);
        bool all = true;
        for (uint32_t k = 0; k < nf && all; k++) all = filters[k] && (cf[k] = sh_cfilter_new(a, &pl->key, filters[k]));
        if (!all) continue;
        pl->cfs[i] = cf;
        pl->ncfs[i] = nf;
    }
    size_t nf = sh_prefilter_nfields(s->pf);
    pl->fclass = sh_arena_zalloc(a, nf ? nf : 1);
    pl->rfields = sh_arena_zalloc(a, s->n * sizeof *pl->rfields);
    pl->nrfields = sh_arena_zalloc(a, s->n * sizeof *pl->nrfields);
    uint8_t *marks = malloc(s->n ? s->n : 1);
    if (!marks) abort();
    for (size_t f = 0; f < nf; f++) pl->fclass[f] = sh_classkey_add(&pl->key, sh_prefilter_field(s->pf, f));
    /* twice over the fields: count, then list */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (size_t r = 0; r < s->n; r++)
                if (pl->nrfields[r]) pl->rfields[r] = sh_arena_alloc(a, pl->nrfields[r] * sizeof **pl->rfields);
            memset(pl->nrfields, 0, s->n * sizeof *pl->nrfields);
        }
        for (size_t f = 0; f < nf; f++) {
            if (pl->fclass[f]) continue;
            memset(marks, 0, s->n);
            sh_prefilter_field_rules(s->pf, f, marks);
            for (size_t r = 0; r < s->n; r++) {
                if (!marks[r]) continue;
                if (pass == 1) pl->rfields[r][pl->nrfields[r]] = (uint32_t)f;
                pl->nrfields[r]++;
            }
        }
    }
    free(marks);
    pl->ok = true;
    return pl;
}

static void plan_refresh(shrike *s) {
    if (plan_current(s)) return;
    sh_prefilter_prepare(s->pf);
    plan_free(s->plan);
    s->plan = plan_build(s);
}

struct shrike_ws {
    sh_prefilter_ws *pw;
    sh_classtab *tab;         /* class key -> cdec */
    unsigned serial;          /* of the plan tab was filled under */
    unsigned serial_made;     /* shrike.ws: of the plan it was made after */
    sh_eval ev;
    uint8_t *act;             /* a rule set being decided */
    uint32_t *list;
    size_t nact;
    uint8_t *fmark;           /* prefilter fields listed */
    size_t nfmark;
    uint64_t events, built;
    bool off;                 /* classes turned out too many to pay: not used */
    uint8_t key[2048];
};

/* what e's class decides (e is the class's first event) */
static cdec *class_decide(const shrike *s, const cplan *pl, sh_event *e, shrike_ws *w) {
    if (w->nact < s->n) {
        free(w->act);
        free(w->list);
        w->act = malloc(s->n);
        w->list = malloc(s->n * sizeof *w->list);
        if (!w->act || !w->list) abort();
        w->nact = s->n;
    }
    size_t nf = sh_prefilter_nfields(s->pf);
    if (w->nfmark < nf) {
        free(w->fmark);
        w->fmark = malloc(nf);
        if (!w->fmark) abort();
        w->nfmark = nf;
    }
    uint8_t *act = w->act;
    select_index(s, e, act);
    for (size_t r = 0; r < s->n; r++) {
        if (!act[r] || !pl->cfs[r]) continue;
        bool possible = false;
        for (uint32_t k = 0; k < pl->ncfs[r] && !possible; k++) possible = sh_cfilter_possible(pl->cfs[r][k], &w->ev, e);
        if (!possible) act[r] = 0;
    }
    const uint8_t *hit = NULL;
    if (sh_prefilter_indexed(s->pf)) {
        sh_prefilter_hits_begin(s->pf, w->pw);
        for (size_t f = 0; f < nf; f++)
            if (pl->fclass[f]) sh_prefilter_hits_field(s->pf, w->pw, f, e);
        hit = sh_prefilter_hits(w->pw);
    }
    uint32_t nsure = 0, npend = 0, nfields = 0;
    /* sure first (from the front of list), pending from the back */
    for (size_t r = 0; r < s->n; r++) {
        if (!act[r]) continue;
        if (!hit || !sh_prefilter_rule_indexed(s->pf, (uint32_t)r) || hit[r]) w->list[nsure++] = (uint32_t)r;
        else if (pl->nrfields[r]) w->list[s->n - 1 - npend++] = (uint32_t)r;
        /* else: its literals are all on class fields, and none is there */
    }
    if (nf) memset(w->fmark, 0, nf);
    for (uint32_t i = 0; i < npend; i++) {
        uint32_t r = w->list[s->n - 1 - i];
        for (uint32_t k = 0; k < pl->nrfields[r]; k++) {
            uint32_t f = pl->rfields[r][k];
            nfields += !w->fmark[f];
            w->fmark[f] = 1;
        }
    }
    cdec *d = malloc(sizeof *d + (nsure + npend + nfields) * sizeof *d->idx);
    if (!d) abort();
    d->nsure = nsure;
    d->npend = npend;
    d->nfields = nfields;
    memcpy(d->idx, w->list, nsure * sizeof *d->idx);
    for (uint32_t i = 0; i < npend; i++) d->idx[nsure + i] = w->list[s->n - 1 - (npend - 1 - i)];
    uint32_t k = nsure + npend;
    for (size_t f = 0; f < nf; f++)
        if (w->fmark[f]) d->idx[k++] = (uint32_t)f;
    return d;
}

/* which rules can concern e: by its class when it has one, else the rule
 * index and the literal prefilter */
static void select_rules(const shrike *s, sh_event *e, uint8_t *active, shrike_ws *w) {
    const cplan *pl = s->plan;
    if (pl && pl->ok && !w->off && !e->changed && plan_current(s)) {
        size_t n = sh_classkey_of(&pl->key, e, w->key, sizeof w->key);
        if (n) {
            if (w->serial != pl->serial) {
                sh_classtab_clear(w->tab);
                w->serial = pl->serial;
            }
            uint32_t h = sh_hash((const char *)w->key, n);
            cdec *d = sh_classtab_get(w->tab, w->key, n, h);
            if (!d) {
                d = class_decide(s, pl, e, w);
                sh_classtab_put(w->tab, w->key, n, h, d);
                w->built++;
            }
            /* a class per few events costs more than it saves */
            if (++w->events >= 8192 && w->built * 4 > w->events) w->off = true;
            memset(active, 0, s->n);
            for (uint32_t i = 0; i < d->nsure; i++) active[d->idx[i]] = 1;
            if (d->npend) {
                sh_prefilter_hits_begin(s->pf, w->pw);
                const uint32_t *f = d->idx + d->nsure + d->npend;
                for (uint32_t i = 0; i < d->nfields; i++) sh_prefilter_hits_field(s->pf, w->pw, f[i], e);
                const uint8_t *hit = sh_prefilter_hits(w->pw);
                for (uint32_t i = 0; i < d->npend; i++) active[d->idx[d->nsure + i]] = hit[d->idx[d->nsure + i]];
            }
            return;
        }
    }
    select_index(s, e, active);
    sh_prefilter_apply_ws(s->pf, w->pw, e, active);
}

void shrike_prepare_begin(shrike *s) { plan_refresh(s); }

shrike_ws *shrike_ws_new(const shrike *s) {
    shrike_ws *w = calloc(1, sizeof *w);
    if (!w) abort();
    w->pw = sh_prefilter_ws_new(s->pf);
    w->tab = sh_classtab_new(free);
    sh_eval_init(&w->ev);
    return w;
}

void shrike_ws_free(shrike_ws *w) {
    if (!w) return;
    sh_prefilter_ws_free(w->pw);
    sh_classtab_free(w->tab);
    sh_eval_free(&w->ev);
    free(w->act);
    free(w->list);
    free(w->fmark);
    free(w);
}

void shrike_prepare(const shrike *s, shrike_ws *w, sh_event *e) {
    if (!s->n) return;
    uint8_t *sel = sh_arena_alloc(&e->arena, s->n);
    select_rules(s, e, sel, w);
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
    if (e->sel && e->sel_of == s && e->sel_n == s->n) {
        memcpy(s->active, e->sel, s->n);
    } else {
        if (!plan_current(s) || !s->ws || s->ws->serial_made != s->plan->serial) {
            plan_refresh(s);
            shrike_ws_free(s->ws);
            s->ws = shrike_ws_new(s);
            s->ws->serial_made = s->plan->serial;
        }
        select_rules(s, e, s->active, s->ws);
    }
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
