/* prefilter.c: the literal prefilter. From each rule's intermediate form it
 * extracts a necessary condition of the shape "field F1 has one of values S1
 * or contains one of substrings T1, or field F2 ..." (case-folded literals of
 * `:`, `==`, `in` tests, and the longest literal run of each wildcard
 * pattern, that the rule cannot match without). Per event, the values of the
 * few indexed fields are folded once, looked up in a hash table (exact
 * values) and scanned once by a multi-literal matcher (Vectorscan) for all
 * the substrings of every rule; only the rules with something present (plus
 * the rules without such a condition) are evaluated. A rule skipped here
 * could not have matched the event. */
#include "api/prefilter.h"

#include <hs.h>
#include <stdlib.h>
#include <string.h>

#include "api/evclass.h"
#include "event/fieldmap.h"

/* fields present on nearly every event: a condition on them selects little */
static const char *const weak_fields[] = {
    "event.category", "event.type", "event.action", "event.kind", "event.outcome", "event.dataset",
    "event.module", "event.provider", "host.os.type", "host.os.family", "host.os.name", "host.os.platform",
    "agent.type", "data_stream.dataset", "data_stream.namespace", "ecs.version", "Channel", "EventID",
    "index" /* SPL's index: one value for every Windows event */};

typedef struct atom {
    const sh_fieldref *ref;
    const char *s;          /* lower-cased */
    uint32_t len;
    bool sub;               /* the value must contain s (else: equal it) */
} atom;

/* substrings shorter than this select too little to be worth a scan */
#define MIN_SUB 3

typedef struct atoms {
    atom *a;
    size_t n, cap;
    bool weak;              /* every atom is on a weak field */
} atoms;

static void atoms_push_kind(atoms *as, const sh_fieldref *ref, const char *s, size_t n, sh_arena *ar, bool sub) {
    if (as->n == as->cap) {
        as->cap = as->cap ? as->cap * 2 : 8;
        as->a = realloc(as->a, as->cap * sizeof *as->a);
        if (!as->a) abort();
    }
    char *low = sh_arena_alloc(ar, 2 * n + 1);
    size_t ln = sh_utf8_lower(s, n, low);
    low[ln] = 0;
    as->a[as->n++] = (atom){.ref = ref, .s = low, .len = (uint32_t)ln, .sub = sub};
}

static void atoms_push(atoms *as, const sh_fieldref *ref, const char *s, size_t n, sh_arena *ar) {
    atoms_push_kind(as, ref, s, n, ar, false);
}

/* the longest run of a wildcard pattern without '*' or '?' */
static void longest_run(const sh_wpat *w, const char **run, size_t *rlen) {
    *run = w->text;
    *rlen = 0;
    size_t start = 0;
    for (size_t i = 0; i <= w->len; i++) {
        if (i == w->len || w->text[i] == '*' || w->text[i] == '?') {
            if (i - start > *rlen) {
                *run = w->text + start;
                *rlen = i - start;
            }
            start = i + 1;
        }
    }
}

/* weak: the fields above, and the fields an event's class decides (its
 * kind, where it comes from): the engine decides those per class, and a
 * literal on them would let through every event of the class anyway */
static bool is_weak(const sh_fieldref *ref) {
    if (sh_class_ref(ref)) return true;
    for (size_t i = 0; i < sizeof weak_fields / sizeof weak_fields[0]; i++)
        if (strlen(weak_fields[i]) == ref->nlen && !memcmp(weak_fields[i], ref->name, ref->nlen)) return true;
    return false;
}

static bool plain_field(const sh_ir *f) { return f->kind == SH_IR_FIELD && f->ref; }

/* Literals that look like numbers or times compare by value, not by text
 * (`pid == "4"` holds for 4.0): they cannot be looked up as text. */
static bool textual(const char *s, size_t n) {
    if (!n || n > 200) return false;
    char tmp[256];
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end;
    (void)strtod(tmp, &end);
    if (end != tmp && *end == 0) return false;
    if (sh_parse_time(s, n) != SH_TS_NONE) return false;
    return true;
}

static bool atoms_of(const sh_ir *n, atoms *out, sh_arena *ar, int depth);

/* A wildcard test compares text, numbers included (SPL's EventCode=4688 is
 * the text "4688"), so its plain patterns are looked up as they are. */
static bool atoms_wild(const sh_ir *n, atoms *out, sh_arena *ar) {
    const sh_wildset *w = n->wild;
    if (!w || (n->flags & SH_IRF_NEGATE) || n->nargs < 1 || !plain_field(n->args[0])) return false;
    for (uint32_t i = 0; i < w->n; i++) {
        const sh_wpat *pt = &w->pats[i];
        if (pt->shape == SH_W_EXACT) {
            if (!pt->len) return false;
        } else {
            const char *run;
            size_t rlen;
            longest_run(pt, &run, &rlen);
            if (rlen < MIN_SUB) return false;
        }
    }
    /* the `*literal*` patterns finalize_wild moved into a literal set */
    const char *const *lits = NULL;
    const uint32_t *llens = NULL;
    uint32_t nlits = w->lits ? sh_wlits_list(w->lits, &lits, &llens) : 0;
    for (uint32_t i = 0; i < nlits; i++)
        if (llens[i] < MIN_SUB) return false;
    const sh_fieldref *ref = n->args[0]->ref;
    for (uint32_t i = 0; i < nlits; i++) atoms_push_kind(out, ref, lits[i], llens[i], ar, true);
    for (uint32_t i = 0; i < w->n; i++) {
        const sh_wpat *pt = &w->pats[i];
        if (pt->shape == SH_W_EXACT) {
            atoms_push(out, ref, pt->text, pt->len, ar);
        } else {
            const char *run;
            size_t rlen;
            longest_run(pt, &run, &rlen);
            atoms_push_kind(out, ref, run, rlen, ar, true);
        }
    }
    if (w->exact)
        for (uint32_t i = 0; i < w->exact->cap; i++)
            if (w->exact->slots[i].s) atoms_push(out, ref, w->exact->slots[i].s, w->exact->slots[i].len, ar);
    return true;
}

static bool atoms_in(const sh_ir *n, atoms *out, sh_arena *ar) {
    if ((n->flags & SH_IRF_NEGATE) || n->nargs < 2 || !plain_field(n->args[0])) return false;
    const sh_fieldref *ref = n->args[0]->ref;
    if (n->set) {
        if (n->set->nothers) return false;
        for (uint32_t i = 0; i < n->set->cap; i++)
            if (n->set->slots[i].s && !textual(n->set->slots[i].s, n->set->slots[i].len)) return false;
        for (uint32_t i = 0; i < n->set->cap; i++)
            if (n->set->slots[i].s) atoms_push(out, ref, n->set->slots[i].s, n->set->slots[i].len, ar);
        return true;
    }
    for (uint32_t k = 1; k < n->nargs; k++)
        if (n->args[k]->kind != SH_IR_LIT || n->args[k]->lit.type != SH_STR ||
            !textual(n->args[k]->lit.s, n->args[k]->lit.len))
            return false;
    for (uint32_t k = 1; k < n->nargs; k++) atoms_push(out, ref, n->args[k]->lit.s, n->args[k]->lit.len, ar);
    return true;
}

static bool atoms_eq(const sh_ir *n, atoms *out, sh_arena *ar) {
    if (n->op != SH_CMP_EQ || n->nargs != 2 || (n->flags & (SH_IRF_NEGATE | SH_IRF_NULLSAFE))) return false;
    const sh_ir *f = n->args[0], *l = n->args[1];
    if (!plain_field(f)) { const sh_ir *t = f; f = l; l = t; }
    if (!plain_field(f) || l->kind != SH_IR_LIT || l->lit.type != SH_STR || !textual(l->lit.s, l->lit.len)) return false;
    atoms_push(out, f->ref, l->lit.s, l->lit.len, ar);
    return true;
}

/* A regex test: the literals its matches cannot do without (rxlit.c), as
 * substrings, when every regex of the node has them. */
static bool atoms_regex(const sh_ir *n, atoms *out, sh_arena *ar) {
    const sh_rxset *rx = n->rx;
    if (!rx || !rx->n || !rx->pats || (n->flags & SH_IRF_NEGATE) || n->nargs < 1 || !plain_field(n->args[0]))
        return false;
    const sh_fieldref *ref = n->args[0]->ref;
    size_t mark = out->n;
    for (uint32_t i = 0; i < rx->n; i++) {
        const char **lits;
        uint32_t *lens, nl;
        bool ok = sh_regex_needs(rx->pats[i], rx->lens[i], rx->caseless, rx->extended, ar, &lits, &lens, &nl);
        for (uint32_t k = 0; ok && k < nl; k++) ok = lens[k] >= MIN_SUB;
        if (!ok) {
            out->n = mark;
            return false;
        }
        for (uint32_t k = 0; k < nl; k++) atoms_push_kind(out, ref, lits[k], lens[k], ar, true);
    }
    return true;
}

static void atoms_free(atoms *as) { free(as->a); }

static void set_weak(atoms *as) {
    as->weak = true;
    for (size_t i = 0; i < as->n && as->weak; i++) as->weak = is_weak(as->a[i].ref);
}

/* append src's atoms to out (out accumulates over OR branches and stages) */
static void atoms_append(atoms *out, const atoms *src) {
    for (size_t i = 0; i < src->n; i++) {
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 8;
            out->a = realloc(out->a, out->cap * sizeof *out->a);
            if (!out->a) abort();
        }
        out->a[out->n++] = src->a[i];
    }
}

/* a conjunction needs only one of its parts: the first that has atoms on a
 * selective field, else the first that has any */
static bool atoms_and(const sh_ir *n, atoms *out, sh_arena *ar, int depth) {
    atoms fallback = {0};
    bool have_fallback = false;
    for (uint32_t i = 0; i < n->nargs; i++) {
        atoms t = {0};
        if (!atoms_of(n->args[i], &t, ar, depth + 1)) { atoms_free(&t); continue; }
        set_weak(&t);
        if (!t.weak) {
            atoms_append(out, &t);
            atoms_free(&t);
            atoms_free(&fallback);
            return true;
        }
        if (!have_fallback) { fallback = t; have_fallback = true; }
        else atoms_free(&t);
    }
    if (!have_fallback) return false;
    atoms_append(out, &fallback);
    atoms_free(&fallback);
    return true;
}

static bool atoms_of(const sh_ir *n, atoms *out, sh_arena *ar, int depth) {
    if (!n || depth > 64) return false;
    switch (n->kind) {
    case SH_IR_AND: return atoms_and(n, out, ar, depth);
    case SH_IR_OR:
        for (uint32_t i = 0; i < n->nargs; i++)
            if (!atoms_of(n->args[i], out, ar, depth + 1)) return false;
        return n->nargs > 0;
    case SH_IR_WILDCARD: return atoms_wild(n, out, ar);
    case SH_IR_REGEX: return atoms_regex(n, out, ar);
    case SH_IR_IN: return atoms_in(n, out, ar);
    case SH_IR_CMP: return atoms_eq(n, out, ar);
    default: return false;
    }
}

/* ------------------------------------------------------------ the index */

typedef struct slot {
    const char *s;
    uint32_t len, hash;
    uint32_t *rules;
    uint32_t n, cap;
} slot;

typedef struct table {
    slot *slots;
    uint32_t cap, n;
} table;

typedef struct findex {
    const sh_fieldref *ref;
    table exact;              /* values the field may equal */
    table sub;                /* substrings it may contain (slot index = matcher id) */
    hs_database_t *db;        /* the matcher over sub, built before the first event */
    bool dirty;               /* sub changed since db was built */
    bool all_sub;             /* no matcher could be built: every substring counts as present */
} findex;

/* what checking one event needs: one per thread */
struct sh_prefilter_ws {
    uint8_t *hit;              /* per rule: a literal of the rule is present */
    hs_scratch_t *scratch;     /* for every field's matcher */
    char *low;                 /* a value folded */
    size_t lowcap;
    unsigned gen;              /* the prefilter's generation it was made for */
};

struct sh_prefilter {
    sh_arena arena;
    findex *fields;
    size_t nfields;
    uint8_t *has_atoms;        /* per rule */
    uint32_t nrules;
    uint32_t indexed;          /* rules with a condition */
    hs_scratch_t *scratch;     /* a prototype for every field's matcher */
    sh_prefilter_ws ws;        /* the calling thread's (sh_prefilter_apply) */
    unsigned gen;              /* changes with every rule added and matcher built */
};

sh_prefilter *sh_prefilter_new(void) {
    sh_prefilter *p = calloc(1, sizeof *p);
    if (!p) abort();
    sh_arena_init(&p->arena);
    return p;
}

void sh_prefilter_free(sh_prefilter *p) {
    if (!p) return;
    for (size_t i = 0; i < p->nfields; i++) {
        table *ts[2] = {&p->fields[i].exact, &p->fields[i].sub};
        for (int t = 0; t < 2; t++) {
            for (uint32_t k = 0; k < ts[t]->cap; k++) free(ts[t]->slots[k].rules);
            free(ts[t]->slots);
        }
        if (p->fields[i].db) hs_free_database(p->fields[i].db);
    }
    if (p->scratch) hs_free_scratch(p->scratch);
    if (p->ws.scratch) hs_free_scratch(p->ws.scratch);
    free(p->ws.low);
    free(p->ws.hit);
    free(p->fields);
    free(p->has_atoms);
    sh_arena_free(&p->arena);
    free(p);
}

static findex *field_index(sh_prefilter *p, const sh_fieldref *ref) {
    for (size_t i = 0; i < p->nfields; i++)
        if (p->fields[i].ref == ref) return &p->fields[i];
    p->fields = realloc(p->fields, (p->nfields + 1) * sizeof *p->fields);
    if (!p->fields) abort();
    findex *f = &p->fields[p->nfields++];
    memset(f, 0, sizeof *f);
    f->ref = ref;
    table *ts[2] = {&f->exact, &f->sub};
    for (int t = 0; t < 2; t++) {
        ts[t]->cap = 64;
        ts[t]->slots = calloc(ts[t]->cap, sizeof *ts[t]->slots);
        if (!ts[t]->slots) abort();
    }
    return f;
}

static slot *find_slot(slot *slots, uint32_t cap, const char *s, uint32_t len, uint32_t h) {
    uint32_t i = h & (cap - 1);
    while (slots[i].s && !(slots[i].hash == h && slots[i].len == len && !memcmp(slots[i].s, s, len)))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static void field_add(table *f, const char *s, uint32_t len, uint32_t rule) {
    if ((f->n + 1) * 2 > f->cap) {
        uint32_t cap = f->cap * 2;
        slot *ns = calloc(cap, sizeof *ns);
        if (!ns) abort();
        for (uint32_t i = 0; i < f->cap; i++)
            if (f->slots[i].s) *find_slot(ns, cap, f->slots[i].s, f->slots[i].len, f->slots[i].hash) = f->slots[i];
        free(f->slots);
        f->slots = ns;
        f->cap = cap;
    }
    uint32_t h = sh_hash(s, len);
    slot *sl = find_slot(f->slots, f->cap, s, len, h);
    if (!sl->s) {
        sl->s = s;
        sl->len = len;
        sl->hash = h;
        f->n++;
    }
    if (sl->n && sl->rules[sl->n - 1] == rule) return;
    if (sl->n == sl->cap) {
        sl->cap = sl->cap ? sl->cap * 2 : 2;
        sl->rules = realloc(sl->rules, sl->cap * sizeof *sl->rules);
        if (!sl->rules) abort();
    }
    sl->rules[sl->n++] = rule;
}

void sh_prefilter_add(sh_prefilter *p, uint32_t rule, const sh_ir *const *filters, uint32_t nfilters) {
    if (rule >= p->nrules) {
        uint32_t n = rule + 1;
        p->has_atoms = realloc(p->has_atoms, n);
        if (!p->has_atoms) abort();
        memset(p->has_atoms + p->nrules, 0, n - p->nrules);
        p->nrules = n;
    }
    p->gen++;
    atoms all = {0};
    bool ok = nfilters > 0;
    for (uint32_t i = 0; i < nfilters && ok; i++) ok = atoms_of(filters[i], &all, &p->arena, 0);
    if (ok && all.n) {
        p->has_atoms[rule] = 1;
        p->indexed++;
        for (size_t i = 0; i < all.n; i++) {
            findex *f = field_index(p, all.a[i].ref);
            if (all.a[i].sub) {
                field_add(&f->sub, all.a[i].s, all.a[i].len, rule);
                f->dirty = true;
            } else {
                field_add(&f->exact, all.a[i].s, all.a[i].len, rule);
            }
        }
    }
    atoms_free(&all);
}

uint32_t sh_prefilter_indexed(const sh_prefilter *p) { return p->indexed; }

/* (re)build the substring matcher of every field whose substrings changed */
static void build_matchers(sh_prefilter *p) {
    for (size_t i = 0; i < p->nfields; i++) {
        findex *f = &p->fields[i];
        if (!f->dirty) continue;
        f->dirty = false;
        p->gen++;
        if (f->db) hs_free_database(f->db);
        f->db = NULL;
        f->all_sub = false;
        uint32_t n = f->sub.n;
        if (!n) continue;
        const char **exprs = malloc(n * sizeof *exprs);
        unsigned *flags = malloc(n * sizeof *flags), *ids = malloc(n * sizeof *ids);
        size_t *lens = malloc(n * sizeof *lens);
        if (!exprs || !flags || !ids || !lens) abort();
        uint32_t k = 0;
        for (uint32_t j = 0; j < f->sub.cap; j++) {
            if (!f->sub.slots[j].s) continue;
            exprs[k] = f->sub.slots[j].s;
            lens[k] = f->sub.slots[j].len;
            flags[k] = HS_FLAG_SINGLEMATCH;
            ids[k] = j;
            k++;
        }
        hs_compile_error_t *err = NULL;
        if (hs_compile_lit_multi(exprs, flags, ids, lens, k, HS_MODE_BLOCK, NULL, &f->db, &err) != HS_SUCCESS ||
            hs_alloc_scratch(f->db, &p->scratch) != HS_SUCCESS) {
            /* cannot happen for plain literals; stay correct if it does */
            hs_free_compile_error(err);
            if (f->db) hs_free_database(f->db);
            f->db = NULL;
            f->all_sub = true;
        }
        free(exprs);
        free(flags);
        free(ids);
        free(lens);
    }
}

typedef struct hit_ctx {
    sh_prefilter_ws *w;
    const table *sub;
} hit_ctx;

static int on_sub(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *ctx) {
    (void)from, (void)to, (void)fl;
    hit_ctx *h = ctx;
    const slot *sl = &h->sub->slots[id];
    for (uint32_t r = 0; r < sl->n; r++) h->w->hit[sl->rules[r]] = 1;
    return 0;
}

static void mark_table(sh_prefilter_ws *w, const table *t) {
    for (uint32_t k = 0; k < t->cap; k++)
        for (uint32_t r = 0; r < t->slots[k].n; r++) w->hit[t->slots[k].rules[r]] = 1;
}

/* size a workspace for the prefilter as it is now (rules and matchers) */
static void ws_init(const sh_prefilter *p, sh_prefilter_ws *w) {
    if (w->hit && w->gen == p->gen) return;
    free(w->hit);
    w->hit = malloc(p->nrules ? p->nrules : 1);
    if (!w->hit) abort();
    if (w->scratch) hs_free_scratch(w->scratch);
    w->scratch = NULL;
    if (p->scratch && hs_clone_scratch(p->scratch, &w->scratch) != HS_SUCCESS) abort();
    w->gen = p->gen;
}

void sh_prefilter_prepare(sh_prefilter *p) {
    if (!p->indexed) return;
    build_matchers(p);
    ws_init(p, &p->ws);
}

sh_prefilter_ws *sh_prefilter_ws_new(const sh_prefilter *p) {
    sh_prefilter_ws *w = calloc(1, sizeof *w);
    if (!w) abort();
    if (p->indexed) ws_init(p, w);
    return w;
}

void sh_prefilter_ws_free(sh_prefilter_ws *w) {
    if (!w) return;
    if (w->scratch) hs_free_scratch(w->scratch);
    free(w->low);
    free(w->hit);
    free(w);
}

void sh_prefilter_hits_begin(const sh_prefilter *p, sh_prefilter_ws *w) { memset(w->hit, 0, p->nrules); }

const uint8_t *sh_prefilter_hits(const sh_prefilter_ws *w) { return w->hit; }

void sh_prefilter_hits_field(const sh_prefilter *p, sh_prefilter_ws *w, size_t i, sh_event *e) {
    const findex *f = &p->fields[i];
    sh_field *fld = sh_event_get(e, f->ref);
    if (!fld || !fld->nvals) return;
    if (f->all_sub) mark_table(w, &f->sub);
    for (uint32_t v = 0; v < fld->nvals; v++) {
        const sh_value *val = &fld->vals[v];
        if (val->type == SH_NULL) continue;
        /* folding never more than doubles the length */
        if (2 * (size_t)val->len + 1 > w->lowcap) {
            w->lowcap = 2 * (size_t)val->len + 256;
            free(w->low);
            w->low = malloc(w->lowcap);
            if (!w->low) abort();
        }
        uint32_t ln = (uint32_t)sh_utf8_lower(val->s, val->len, w->low);
        slot *sl = find_slot(f->exact.slots, f->exact.cap, w->low, ln, sh_hash(w->low, ln));
        for (uint32_t r = 0; r < sl->n; r++) w->hit[sl->rules[r]] = 1;
        if (f->db && ln) {
            hit_ctx h = {.w = w, .sub = &f->sub};
            if (hs_scan(f->db, w->low, ln, 0, w->scratch, on_sub, &h) != HS_SUCCESS) mark_table(w, &f->sub);
        }
    }
}

size_t sh_prefilter_nfields(const sh_prefilter *p) { return p->nfields; }
const sh_fieldref *sh_prefilter_field(const sh_prefilter *p, size_t i) { return p->fields[i].ref; }
bool sh_prefilter_rule_indexed(const sh_prefilter *p, uint32_t rule) { return rule < p->nrules && p->has_atoms[rule]; }

void sh_prefilter_field_rules(const sh_prefilter *p, size_t i, uint8_t *mark) {
    const table *ts[2] = {&p->fields[i].exact, &p->fields[i].sub};
    for (int t = 0; t < 2; t++)
        for (uint32_t k = 0; k < ts[t]->cap; k++)
            for (uint32_t r = 0; r < ts[t]->slots[k].n; r++) mark[ts[t]->slots[k].rules[r]] = 1;
}

void sh_prefilter_apply_ws(const sh_prefilter *p, sh_prefilter_ws *w, sh_event *e, uint8_t *active) {
    if (!p->indexed) return;
    sh_prefilter_hits_begin(p, w);
    for (size_t i = 0; i < p->nfields; i++) sh_prefilter_hits_field(p, w, i, e);
    for (uint32_t r = 0; r < p->nrules; r++)
        if (p->has_atoms[r] && !w->hit[r]) active[r] = 0;
}

void sh_prefilter_apply(sh_prefilter *p, sh_event *e, uint8_t *active) {
    if (!p->indexed) return;
    sh_prefilter_prepare(p);
    sh_prefilter_apply_ws(p, &p->ws, e, active);
}
