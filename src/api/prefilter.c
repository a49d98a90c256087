/* prefilter.c: the literal prefilter. From each rule's intermediate form it
 * extracts a necessary condition of the shape "field F1 has one of values S1,
 * or field F2 one of S2, ..." (exact, case-folded literals of `:`, `==`,
 * `in` tests that the rule cannot match without). Per event, the values of
 * the few indexed fields are looked up once, and only the rules whose
 * literals are present (plus the rules without such a condition) are
 * evaluated. A rule skipped here could not have matched the event. */
#include "api/prefilter.h"

#include <stdlib.h>
#include <string.h>

#include "event/fieldmap.h"

/* fields present on nearly every event: a condition on them selects little */
static const char *const weak_fields[] = {
    "event.category", "event.type", "event.action", "event.kind", "event.outcome", "event.dataset",
    "event.module", "event.provider", "host.os.type", "host.os.family", "host.os.name", "host.os.platform",
    "agent.type", "data_stream.dataset", "data_stream.namespace", "ecs.version", "Channel", "EventID"};

typedef struct atom {
    const sh_fieldref *ref;
    const char *s;          /* lower-cased */
    uint32_t len;
} atom;

typedef struct atoms {
    atom *a;
    size_t n, cap;
    bool weak;              /* every atom is on a weak field */
} atoms;

static void atoms_push(atoms *as, const sh_fieldref *ref, const char *s, size_t n, sh_arena *ar) {
    if (as->n == as->cap) {
        as->cap = as->cap ? as->cap * 2 : 8;
        as->a = realloc(as->a, as->cap * sizeof *as->a);
        if (!as->a) abort();
    }
    char *low = sh_arena_alloc(ar, 2 * n + 1);
    size_t ln = sh_utf8_lower(s, n, low);
    low[ln] = 0;
    as->a[as->n++] = (atom){.ref = ref, .s = low, .len = (uint32_t)ln};
}

static bool is_weak(const sh_fieldref *ref) {
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

static bool atoms_wild(const sh_ir *n, atoms *out, sh_arena *ar) {
    const sh_wildset *w = n->wild;
    if (!w || (n->flags & SH_IRF_NEGATE) || n->nargs < 1 || !plain_field(n->args[0])) return false;
    for (uint32_t i = 0; i < w->n; i++)
        if (w->pats[i].shape != SH_W_EXACT || !textual(w->pats[i].text, w->pats[i].len)) return false;
    if (w->exact)
        for (uint32_t i = 0; i < w->exact->cap; i++)
            if (w->exact->slots[i].s && !textual(w->exact->slots[i].s, w->exact->slots[i].len)) return false;
    const sh_fieldref *ref = n->args[0]->ref;
    for (uint32_t i = 0; i < w->n; i++) atoms_push(out, ref, w->pats[i].text, w->pats[i].len, ar);
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

typedef struct findex {
    const sh_fieldref *ref;
    slot *slots;
    uint32_t cap, n;
} findex;

struct sh_prefilter {
    sh_arena arena;
    findex *fields;
    size_t nfields;
    uint8_t *has_atoms;        /* per rule */
    uint8_t *hit;              /* per event: a literal of the rule is present */
    uint32_t nrules;
    uint32_t indexed;          /* rules with a condition */
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
        for (uint32_t k = 0; k < p->fields[i].cap; k++) free(p->fields[i].slots[k].rules);
        free(p->fields[i].slots);
    }
    free(p->fields);
    free(p->has_atoms);
    free(p->hit);
    sh_arena_free(&p->arena);
    free(p);
}

static findex *field_index(sh_prefilter *p, const sh_fieldref *ref) {
    for (size_t i = 0; i < p->nfields; i++)
        if (p->fields[i].ref == ref) return &p->fields[i];
    p->fields = realloc(p->fields, (p->nfields + 1) * sizeof *p->fields);
    if (!p->fields) abort();
    findex *f = &p->fields[p->nfields++];
    f->ref = ref;
    f->cap = 64;
    f->n = 0;
    f->slots = calloc(f->cap, sizeof *f->slots);
    if (!f->slots) abort();
    return f;
}

static slot *find_slot(slot *slots, uint32_t cap, const char *s, uint32_t len, uint32_t h) {
    uint32_t i = h & (cap - 1);
    while (slots[i].s && !(slots[i].hash == h && slots[i].len == len && !memcmp(slots[i].s, s, len)))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static void field_add(findex *f, const char *s, uint32_t len, uint32_t rule) {
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
        p->hit = realloc(p->hit, n);
        if (!p->has_atoms || !p->hit) abort();
        memset(p->has_atoms + p->nrules, 0, n - p->nrules);
        p->nrules = n;
    }
    atoms all = {0};
    bool ok = nfilters > 0;
    for (uint32_t i = 0; i < nfilters && ok; i++) ok = atoms_of(filters[i], &all, &p->arena, 0);
    if (ok && all.n) {
        p->has_atoms[rule] = 1;
        p->indexed++;
        for (size_t i = 0; i < all.n; i++) field_add(field_index(p, all.a[i].ref), all.a[i].s, all.a[i].len, rule);
    }
    atoms_free(&all);
}

uint32_t sh_prefilter_indexed(const sh_prefilter *p) { return p->indexed; }

void sh_prefilter_apply(sh_prefilter *p, sh_event *e, uint8_t *active) {
    if (!p->indexed) return;
    memset(p->hit, 0, p->nrules);
    char buf[512];
    for (size_t i = 0; i < p->nfields; i++) {
        findex *f = &p->fields[i];
        sh_field *fld = sh_event_get(e, f->ref);
        for (uint32_t v = 0; fld && v < fld->nvals; v++) {
            const sh_value *val = &fld->vals[v];
            if (val->type == SH_NULL || val->len * 2 > sizeof buf) {
                /* too long to fold here: let every rule on this field run */
                if (val->type != SH_NULL)
                    for (uint32_t k = 0; k < f->cap; k++)
                        for (uint32_t r = 0; r < f->slots[k].n; r++) p->hit[f->slots[k].rules[r]] = 1;
                continue;
            }
            uint32_t ln = (uint32_t)sh_utf8_lower(val->s, val->len, buf);
            slot *sl = find_slot(f->slots, f->cap, buf, ln, sh_hash(buf, ln));
            for (uint32_t r = 0; r < sl->n; r++) p->hit[sl->rules[r]] = 1;
        }
    }
    for (uint32_t r = 0; r < p->nrules; r++)
        if (p->has_atoms[r] && !p->hit[r]) active[r] = 0;
}
