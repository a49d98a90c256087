/* corr.c: Sigma correlation rules (specification 2.1): event_count,
 * value_count, temporal and temporal_ordered, with group-by, timespan,
 * aliases, chaining (a correlation may name correlations) and generate.
 *
 * A correlation re-evaluates the rules it names on every event it is fed
 * (their compiled filters are shared, read-only), so it does not depend on
 * the order the engine runs rules in. Each named rule yields "hits": a
 * detection rule one event, a named correlation its own results. Hits are
 * grouped by the group-by values (read from the hit's last event, through
 * the aliases of the rule it came from); a hit whose group-by field is
 * missing is dropped, as backends' `stats ... by` do. Hits without a time
 * cannot be placed in a window and are ignored.
 *
 * Windows. A condition with lower bounds only (gt, gte) is checked on a
 * window sliding over the last timespan at every hit, and fires as soon as
 * it holds; the group then starts afresh. A condition with an upper bound
 * (lt, lte, eq, or a range) can only be decided when a window is over: the
 * window opens at a group's first hit, spans timespan, and is checked when a
 * later hit falls past it, when the group is swept (every 4096 hits, windows
 * more than timespan old) or at the end of input. temporal fires when every
 * named rule (or the count of distinct rules the condition asks for, or the
 * boolean expression over rule names) has a hit within timespan;
 * temporal_ordered when the named rules hit in order within timespan of the
 * first.
 *
 * Bounded state: at most SG_CORR_MAX_GROUPS groups per correlation (the
 * least recently active group is closed and dropped past that), at most
 * SG_CORR_KEEP events kept per group for the alert, timestamps only as many
 * as the condition needs. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lang/sigma/sigma_int.h"

#define SG_CORR_MAX_GROUPS 65536
#define SG_CORR_KEEP 64
#define SG_CORR_MAX_REFS 64
#define SG_CORR_MAX_GROUPBY 16
#define SG_CORR_MAX_COUNT 1000000
#define SG_CORR_SWEEP 4096

typedef enum { C_EVENT_COUNT, C_VALUE_COUNT, C_TEMPORAL, C_TEMPORAL_ORDERED } ctype;

/* boolean expression over named rules (temporal conditions) */
typedef struct cexpr {
    uint8_t op;                 /* 0 ref, 1 and, 2 or, 3 not */
    uint8_t ref;
    struct cexpr *a, *b;
} cexpr;

typedef struct cref {
    sg_rule *rule;              /* detection rule, or correlation (then inner != NULL at run time) */
    const char *label;          /* as written in rules: */
    const sh_fieldref *keys[SG_CORR_MAX_GROUPBY];
} cref;

typedef struct cspec {
    ctype type;
    int64_t span;               /* ns */
    bool has_lo, has_hi;
    int64_t lo, hi;             /* count >= lo, count <= hi (gt/lt folded in) */
    bool all_refs;              /* temporal without a condition */
    cexpr *expr;                /* temporal with an expression */
    const sh_fieldref *field;   /* value_count */
    uint32_t ngroup;
    const char *group_names[SG_CORR_MAX_GROUPBY];
    uint32_t nrefs;
    cref refs[SG_CORR_MAX_REFS];
} cspec;

/* one hit: the time and the events (owned references) */
typedef struct hit {
    int64_t ts;
    sh_event **ev;
    uint32_t nev;
} hit;

typedef struct vslot {          /* value_count: one distinct value */
    char *text;
    int64_t last;
} vslot;

typedef struct group {
    char *key;                  /* group-by values joined by \x1f */
    char **keyvals;
    uint32_t nkeys;
    uint32_t hash;
    struct group *next;         /* hash chain */
    struct group *older, *newer;/* activity order */
    int64_t last_ts;
    /* window */
    int64_t start;              /* tumbling windows: the window's first hit; sliding: unused */
    bool open;
    int64_t *times;             /* event_count sliding: timestamps, ring */
    uint32_t tcap, thead, tn;
    uint64_t count;             /* event_count tumbling */
    vslot *vals;                /* value_count */
    uint32_t nvals, capvals;
    hit *kept;                  /* the events for the alert (ring of SG_CORR_KEEP) */
    uint32_t kcap, khead, kn;
    hit *last;                  /* temporal: per named rule, its latest hit */
    hit **chain;                /* temporal_ordered: per stage k, the partial sequence that reached it
                                 * (k + 1 hits), NULL when none */
} group;

typedef struct cinst cinst;
struct cinst {
    const cspec *spec;
    cinst *inner[SG_CORR_MAX_REFS];    /* named correlations: their own state */
    sh_eval ev;
    group **buckets;
    uint32_t nbuckets, ngroups;
    group *oldest, *newest;
    uint64_t hits;
    int64_t now;
    uint64_t dropped_groups;
    /* results of the event being fed (for an outer correlation) */
    sh_match_cb cb;
    void *cbctx;
};

struct sg_corr {
    cspec spec;
    cinst *inst;
};

/* ================================================================ compile */

static bool parse_span(const char *s, size_t n, int64_t *out) {
    if (n < 2 || n > 12) return false;
    int64_t v = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (!isdigit((unsigned char)s[i])) return false;
        v = v * 10 + (s[i] - '0');
    }
    int64_t unit;
    switch (s[n - 1]) {
    case 's': unit = 1000000000LL; break;
    case 'm': unit = 60 * 1000000000LL; break;
    case 'h': unit = 3600 * 1000000000LL; break;
    case 'd': unit = 86400 * 1000000000LL; break;
    case 'w': unit = 7 * 86400 * 1000000000LL; break;
    default: return false;
    }
    if (v <= 0 || v > INT64_MAX / unit) return false;
    *out = v * unit;
    return true;
}

static int ref_index(const cspec *sp, const char *s, size_t n) {
    for (uint32_t i = 0; i < sp->nrefs; i++) {
        const sg_rule *r = sp->refs[i].rule;
        if ((strlen(sp->refs[i].label) == n && !memcmp(sp->refs[i].label, s, n)) ||
            (strlen(r->name) == n && !memcmp(r->name, s, n)) || (strlen(r->id) == n && !memcmp(r->id, s, n)))
            return (int)i;
    }
    return -1;
}

/* temporal condition expression: names, and/or/not, parentheses */
typedef struct eparser {
    sg_comp *c;
    const sy_node *at;
    cspec *sp;
    const char *s;
    size_t n, i;
    int depth;
} eparser;

static void eskip(eparser *p) {
    while (p->i < p->n && isspace((unsigned char)p->s[p->i])) p->i++;
}

static bool eword(eparser *p, const char *w) {
    eskip(p);
    size_t k = strlen(w);
    if (p->n - p->i < k) return false;
    for (size_t j = 0; j < k; j++)
        if (tolower((unsigned char)p->s[p->i + j]) != w[j]) return false;
    if (p->i + k < p->n && (isalnum((unsigned char)p->s[p->i + k]) || p->s[p->i + k] == '_' || p->s[p->i + k] == '-')) return false;
    p->i += k;
    return true;
}

static cexpr *eor(eparser *p);

static cexpr *enode(eparser *p, uint8_t op, cexpr *a, cexpr *b) {
    cexpr *e = sh_arena_zalloc(&p->c->pool->arena, sizeof *e);
    e->op = op;
    e->a = a;
    e->b = b;
    return e;
}

static cexpr *eprim(eparser *p) {
    if (++p->depth > 64) {
        sg_fail(p->c, p->at, "correlation condition nested too deeply");
        return NULL;
    }
    eskip(p);
    cexpr *r = NULL;
    if (eword(p, "not")) {
        cexpr *a = eprim(p);
        r = a ? enode(p, 3, a, NULL) : NULL;
    } else if (p->i < p->n && p->s[p->i] == '(') {
        p->i++;
        r = eor(p);
        eskip(p);
        if (r && (p->i >= p->n || p->s[p->i] != ')')) {
            sg_fail(p->c, p->at, "correlation condition: expected ')'");
            r = NULL;
        } else if (r) p->i++;
    } else {
        size_t st = p->i;
        while (p->i < p->n && !isspace((unsigned char)p->s[p->i]) && p->s[p->i] != '(' && p->s[p->i] != ')') p->i++;
        int k = ref_index(p->sp, p->s + st, p->i - st);
        if (k < 0) sg_fail(p->c, p->at, "correlation condition: '%.*s' is not one of the rules the correlation names",
                           (int)(p->i - st), p->s + st);
        else {
            r = enode(p, 0, NULL, NULL);
            r->ref = (uint8_t)k;
        }
    }
    p->depth--;
    return r;
}

static cexpr *eand(eparser *p) {
    cexpr *a = eprim(p);
    while (a && eword(p, "and")) {
        cexpr *b = eprim(p);
        a = b ? enode(p, 1, a, b) : NULL;
    }
    return a;
}

static cexpr *eor(eparser *p) {
    cexpr *a = eand(p);
    while (a && eword(p, "or")) {
        cexpr *b = eand(p);
        a = b ? enode(p, 2, a, b) : NULL;
    }
    return a;
}

static bool cond_number(sg_comp *c, const sy_node *v, const char *op, int64_t *out) {
    if (!sy_int(v, out) || *out < 0 || *out > SG_CORR_MAX_COUNT) {
        sg_fail(c, v, "correlation condition %s takes a whole number from 0 to %d", op, SG_CORR_MAX_COUNT);
        return false;
    }
    return true;
}

static bool parse_condition(sg_comp *c, cspec *sp, const sy_node *corr, const sy_node *ck) {
    const sy_node *cond = sy_get(corr, "condition");
    const sy_node *field = sy_get(corr, "field");
    if (cond && cond->kind == SY_SCALAR && !sy_is_null(cond)) {
        if (sp->type != C_TEMPORAL) {
            sg_fail(c, cond, "a condition expression over rule names is for temporal correlations; %s takes a "
                             "mapping such as gte: 10", sp->type == C_TEMPORAL_ORDERED ? "temporal_ordered" : "this type");
            return false;
        }
        eparser p = {.c = c, .at = cond, .sp = sp, .s = cond->s, .n = cond->len};
        sp->expr = eor(&p);
        if (!sp->expr) return false;
        eskip(&p);
        if (p.i != p.n) {
            sg_fail(c, cond, "correlation condition: unexpected '%.*s'", (int)(p.n - p.i > 20 ? 20 : p.n - p.i), p.s + p.i);
            return false;
        }
        return true;
    }
    if (cond && cond->kind != SY_MAP && !sy_is_null(cond)) {
        sg_fail(c, cond, "the correlation condition must be a mapping (gt, gte, lt, lte, eq, field)");
        return false;
    }
    for (uint32_t i = 0; cond && cond->kind == SY_MAP && i < cond->n; i++) {
        const sy_node *k = cond->items[2 * i], *v = cond->items[2 * i + 1];
        int64_t x;
        if (sy_is(k, "field")) {
            field = v;
            continue;
        }
        const char *op = k->kind == SY_SCALAR ? k->s : "?";
        if (!strcmp(op, "gt") || !strcmp(op, "gte") || !strcmp(op, "lt") || !strcmp(op, "lte") || !strcmp(op, "eq") ||
            !strcmp(op, "neq")) {
            if (!cond_number(c, v, op, &x)) return false;
        } else {
            sg_fail(c, k, "unknown correlation condition '%s' (gt, gte, lt, lte, eq, field)", op);
            return false;
        }
        if (!strcmp(op, "neq")) {
            sg_fail(c, k, "correlation condition neq is not supported (it is no range: chain two correlations)");
            return false;
        }
        int64_t lo = !strcmp(op, "gt") ? x + 1 : x, hi = !strcmp(op, "lt") ? x - 1 : x;
        if (!strcmp(op, "gt") || !strcmp(op, "gte") || !strcmp(op, "eq")) {
            if (!sp->has_lo || lo > sp->lo) sp->lo = lo;
            sp->has_lo = true;
        }
        if (!strcmp(op, "lt") || !strcmp(op, "lte") || !strcmp(op, "eq")) {
            if (!sp->has_hi || hi < sp->hi) sp->hi = hi;
            sp->has_hi = true;
        }
    }
    if (sp->type == C_VALUE_COUNT) {
        if (!field || field->kind != SY_SCALAR || sy_is_null(field) || !field->len) {
            sg_fail(c, cond ? cond : ck, "value_count needs the field whose distinct values it counts (condition: field: NAME)");
            return false;
        }
        sp->field = sh_ir_field(c->pool, field->s, field->len, false)->ref;
    }
    if (!sp->has_lo && !sp->has_hi) {
        if (sp->type == C_EVENT_COUNT || sp->type == C_VALUE_COUNT) {
            sg_fail(c, cond ? cond : ck, "%s needs a condition such as gte: 10",
                    sp->type == C_EVENT_COUNT ? "event_count" : "value_count");
            return false;
        }
        sp->all_refs = true;
        return true;
    }
    if (sp->has_lo && sp->lo < 1) sp->has_lo = false;  /* >= 0 always holds for a group that exists */
    if (sp->has_hi && sp->hi < 0) {
        sg_fail(c, cond, "the correlation condition can never hold (the count is below 0)");
        return false;
    }
    if (sp->has_lo && sp->has_hi && sp->lo > sp->hi) {
        sg_fail(c, cond, "the correlation condition can never hold (its range is empty)");
        return false;
    }
    if (sp->type == C_TEMPORAL_ORDERED && !(sp->has_lo && !sp->has_hi && sp->lo == (int64_t)sp->nrefs)) {
        sg_fail(c, cond, "temporal_ordered takes no count condition other than all of its rules (gte: %u)", sp->nrefs);
        return false;
    }
    if (!sp->has_lo) sp->lo = 0;
    return true;
}

static void mark_silent(sg_rule *t, bool generate) {
    if (generate) {
        t->generate = true;
        t->base.silent = false;
    } else if (!t->generate) {
        t->base.silent = true;
    }
}

bool sg_corr_compile(sg_comp *c, sg_rule *r, const sy_node *doc) {
    const sy_node *corr = sy_get(doc, "correlation"), *ck = sy_get_key(doc, "correlation");
    if (!corr || corr->kind != SY_MAP) {
        sg_fail(c, ck, "the correlation section must be a mapping (type, rules, group-by, timespan, condition)");
        return false;
    }
    sg_corr *cr = calloc(1, sizeof *cr);
    if (!cr) abort();
    r->corr = cr;
    cspec *sp = &cr->spec;
    const sy_node *type = sy_get(corr, "type");
    if (sy_is(type, "event_count")) sp->type = C_EVENT_COUNT;
    else if (sy_is(type, "value_count")) sp->type = C_VALUE_COUNT;
    else if (sy_is(type, "temporal")) sp->type = C_TEMPORAL;
    else if (sy_is(type, "temporal_ordered")) sp->type = C_TEMPORAL_ORDERED;
    else if (type && type->kind == SY_SCALAR && !sy_is_null(type) &&
             (sy_is(type, "value_sum") || sy_is(type, "value_avg") || sy_is(type, "value_percentile") ||
              sy_is(type, "value_median"))) {
        sg_fail(c, type, "correlation type '%s' is not supported (shrike runs event_count, value_count, temporal, "
                         "temporal_ordered)", type->s);
        return false;
    } else {
        sg_fail(c, type ? type : ck, "correlation type must be event_count, value_count, temporal or temporal_ordered");
        return false;
    }
    /* the rules it names, which must be loaded (and compiled) before it */
    const sy_node *rules = sy_get(corr, "rules");
    if (!rules || (rules->kind != SY_SEQ && rules->kind != SY_SCALAR) || sy_is_null(rules) ||
        (rules->kind == SY_SEQ && rules->n == 0)) {
        sg_fail(c, rules ? rules : ck, "the correlation names no rules (rules: a list of rule ids or names)");
        return false;
    }
    uint32_t nr = rules->kind == SY_SEQ ? rules->n : 1;
    if (nr > SG_CORR_MAX_REFS) {
        sg_fail(c, rules, "a correlation names at most %d rules", SG_CORR_MAX_REFS);
        return false;
    }
    for (uint32_t i = 0; i < nr; i++) {
        const sy_node *ref = rules->kind == SY_SEQ ? rules->items[i] : rules;
        if (ref->kind != SY_SCALAR || sy_is_null(ref)) {
            sg_fail(c, ref, "correlation rules must be rule ids or names");
            return false;
        }
        char *name = sh_arena_strndup(&c->pool->arena, ref->s, ref->len);
        sg_rule *t = sg_ctx_find(c->ctx, name);
        if (!t) {
            sg_fail(c, ref, sg_ctx_rejected(c->ctx, name)
                                ? "the correlation names rule '%s', which was rejected"
                                : "the correlation names rule '%s', which is not loaded (load the rules a correlation "
                                  "names with it, before it)", name);
            return false;
        }
        if (t == r) {
            sg_fail(c, ref, "a correlation cannot name itself");
            return false;
        }
        for (uint32_t k = 0; k < sp->nrefs; k++)
            if (sp->refs[k].rule == t) {
                sg_fail(c, ref, "the correlation names rule '%s' twice", name);
                return false;
            }
        sp->refs[sp->nrefs++] = (cref){.rule = t, .label = name};
    }
    /* timespan */
    const sy_node *ts = sy_get(corr, "timespan");
    if (!ts) ts = sy_get(corr, "timeframe");
    if (!ts || ts->kind != SY_SCALAR || !parse_span(ts->s, ts->len, &sp->span)) {
        sg_fail(c, ts ? ts : ck, "the correlation needs a timespan such as 5m (a number and s, m, h, d or w)");
        return false;
    }
    /* group-by, through the aliases */
    const sy_node *gb = sy_get(corr, "group-by");
    const sy_node *aliases = sy_get(corr, "aliases");
    if (gb && !sy_is_null(gb) && gb->kind != SY_SEQ && gb->kind != SY_SCALAR) {
        sg_fail(c, gb, "group-by must be a list of field names");
        return false;
    }
    if (aliases && !sy_is_null(aliases) && aliases->kind != SY_MAP) {
        sg_fail(c, aliases, "aliases must map alias names to {rule: field} mappings");
        return false;
    }
    uint32_t ng = !gb || sy_is_null(gb) ? 0 : gb->kind == SY_SEQ ? gb->n : 1;
    if (ng > SG_CORR_MAX_GROUPBY) {
        sg_fail(c, gb, "group-by takes at most %d fields", SG_CORR_MAX_GROUPBY);
        return false;
    }
    for (uint32_t g = 0; g < ng; g++) {
        const sy_node *f = gb->kind == SY_SEQ ? gb->items[g] : gb;
        if (f->kind != SY_SCALAR || sy_is_null(f) || !f->len) {
            sg_fail(c, f, "group-by must be a list of field names");
            return false;
        }
        sp->group_names[g] = sh_arena_strndup(&c->pool->arena, f->s, f->len);
        const sy_node *al = aliases && aliases->kind == SY_MAP ? sy_get(aliases, sp->group_names[g]) : NULL;
        if (al && al->kind != SY_MAP) {
            sg_fail(c, al, "alias '%s' must map rule names to field names", sp->group_names[g]);
            return false;
        }
        for (uint32_t k = 0; al && k < al->n; k++) {
            const sy_node *rk = al->items[2 * k];
            if (rk->kind != SY_SCALAR || ref_index(sp, rk->s, rk->len) < 0) {
                sg_fail(c, rk, "alias '%s' names rule '%.*s', which the correlation does not name", sp->group_names[g],
                        (int)rk->len, rk->s);
                return false;
            }
        }
        for (uint32_t k = 0; k < sp->nrefs; k++) {
            cref *cf = &sp->refs[k];
            const sy_node *fld = NULL;
            for (uint32_t j = 0; al && j < al->n && !fld; j++) {
                const sy_node *rk = al->items[2 * j];
                if (ref_index(sp, rk->s, rk->len) == (int)k) fld = al->items[2 * j + 1];
            }
            if (fld && (fld->kind != SY_SCALAR || sy_is_null(fld) || !fld->len)) {
                sg_fail(c, fld, "alias '%s': the field must be a name", sp->group_names[g]);
                return false;
            }
            cf->keys[g] = fld ? sh_ir_field(c->pool, fld->s, fld->len, false)->ref
                              : sh_ir_field(c->pool, f->s, f->len, false)->ref;
        }
    }
    sp->ngroup = ng;
    if ((sp->type == C_EVENT_COUNT || sp->type == C_VALUE_COUNT) && ng == 0)
        sg_warn(r, "the correlation has no group-by: all events form one group");
    if (!parse_condition(c, sp, corr, ck)) return false;
    if (sp->type == C_TEMPORAL_ORDERED && sp->nrefs < 2)
        sg_warn(r, "temporal_ordered over a single rule fires on each of its hits");
    bool generate = false;
    const sy_node *gen = sy_get(doc, "generate");
    if (!gen) gen = sy_get(corr, "generate");
    if (gen && !sy_bool(gen, &generate)) {
        sg_fail(c, gen, "generate takes true or false");
        return false;
    }
    /* every check passed: now the named rules go quiet unless generate */
    for (uint32_t i = 0; i < sp->nrefs; i++) {
        mark_silent(sp->refs[i].rule, generate);
        sg_index_merge(&r->idx, &sp->refs[i].rule->idx);
    }
    r->idx.any = r->idx.any || false;
    return true;
}

/* ================================================================ runtime */

static cinst *inst_new(const cspec *sp) {
    cinst *in = calloc(1, sizeof *in);
    if (!in) abort();
    in->spec = sp;
    sh_eval_init(&in->ev);
    in->nbuckets = 1024;
    in->buckets = calloc(in->nbuckets, sizeof *in->buckets);
    if (!in->buckets) abort();
    for (uint32_t i = 0; i < sp->nrefs; i++)
        if (sp->refs[i].rule->kind == SG_CORR && sp->refs[i].rule->corr)
            in->inner[i] = inst_new(&sp->refs[i].rule->corr->spec);
    return in;
}

static void hit_release(hit *h) {
    for (uint32_t i = 0; i < h->nev; i++) sh_event_unref(h->ev[i]);
    free(h->ev);
    memset(h, 0, sizeof *h);
}

static void hit_copy(hit *dst, const hit *src) {
    dst->ts = src->ts;
    dst->nev = src->nev;
    dst->ev = malloc((src->nev ? src->nev : 1) * sizeof *dst->ev);
    if (!dst->ev) abort();
    for (uint32_t i = 0; i < src->nev; i++) {
        dst->ev[i] = src->ev[i];
        sh_event_ref(dst->ev[i]);
    }
}

static void chain_drop(group *g, uint32_t k) {
    if (!g->chain[k]) return;
    for (uint32_t i = 0; i <= k; i++) hit_release(&g->chain[k][i]);
    free(g->chain[k]);
    g->chain[k] = NULL;
}

/* forget everything the group holds (it stays, empty) */
static void group_clear(const cspec *sp, group *g) {
    for (uint32_t i = 0; i < g->kn; i++) hit_release(&g->kept[(g->khead + i) % g->kcap]);
    g->kn = g->khead = 0;
    g->tn = g->thead = 0;
    g->count = 0;
    for (uint32_t i = 0; i < g->nvals; i++) free(g->vals[i].text);
    g->nvals = 0;
    if (g->last)
        for (uint32_t i = 0; i < sp->nrefs; i++) hit_release(&g->last[i]);
    if (g->chain)
        for (uint32_t i = 0; i < sp->nrefs; i++) chain_drop(g, i);
    g->open = false;
}

static void group_free(const cspec *sp, group *g) {
    group_clear(sp, g);
    free(g->kept);
    free(g->times);
    free(g->vals);
    free(g->last);
    free(g->chain);
    for (uint32_t i = 0; i < g->nkeys; i++) free(g->keyvals[i]);
    free(g->keyvals);
    free(g->key);
    free(g);
}

static void keep(group *g, const hit *h) {
    if (!g->kcap) {
        g->kcap = SG_CORR_KEEP;
        g->kept = calloc(g->kcap, sizeof *g->kept);
        if (!g->kept) abort();
    }
    if (g->kn == g->kcap) {
        hit_release(&g->kept[g->khead]);
        hit_copy(&g->kept[g->khead], h);
        g->khead = (g->khead + 1) % g->kcap;
        return;
    }
    hit_copy(&g->kept[(g->khead + g->kn) % g->kcap], h);
    g->kn++;
}

/* drop kept hits older than from (sliding windows) */
static void keep_expire(group *g, int64_t from) {
    while (g->kn && g->kept[g->khead].ts < from) {
        hit_release(&g->kept[g->khead]);
        g->khead = (g->khead + 1) % g->kcap;
        g->kn--;
    }
}

static int ev_order(const void *a, const void *b) {
    const sh_event *x = *(sh_event *const *)a, *y = *(sh_event *const *)b;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

/* emit a result made of hits (in any order): events sorted by time, no duplicates */
static void emit(cinst *in, group *g, const hit *const *hs, uint32_t nh) {
    uint32_t total = 0;
    for (uint32_t i = 0; i < nh; i++) total += hs[i]->nev;
    sh_event **evs = malloc((total ? total : 1) * sizeof *evs);
    if (!evs) abort();
    uint32_t n = 0;
    for (uint32_t i = 0; i < nh; i++)
        for (uint32_t k = 0; k < hs[i]->nev; k++) {
            bool dup = false;
            for (uint32_t j = 0; j < n && !dup; j++) dup = evs[j] == hs[i]->ev[k];
            if (!dup) evs[n++] = hs[i]->ev[k];
        }
    qsort(evs, n, sizeof *evs, ev_order);
    sh_match m = {.events = evs, .nevents = n, .keys = (const char **)g->keyvals, .nkeys = g->nkeys};
    if (in->cb) in->cb(in->cbctx, &m);
    free(evs);
}

static void emit_kept(cinst *in, group *g) {
    const hit **hs = malloc((g->kn ? g->kn : 1) * sizeof *hs);
    if (!hs) abort();
    for (uint32_t i = 0; i < g->kn; i++) hs[i] = &g->kept[(g->khead + i) % g->kcap];
    emit(in, g, hs, g->kn);
    free(hs);
}

static bool in_range(const cspec *sp, uint64_t n) {
    if (sp->has_lo && n < (uint64_t)sp->lo) return false;
    if (sp->has_hi && n > (uint64_t)sp->hi) return false;
    return true;
}

/* a tumbling window (conditions with an upper bound) is over: decide it */
static void close_window(cinst *in, group *g) {
    const cspec *sp = in->spec;
    if (!g->open) return;
    uint64_t n = sp->type == C_EVENT_COUNT ? g->count : g->nvals;
    if (sp->type == C_TEMPORAL) {
        n = 0;
        for (uint32_t i = 0; i < sp->nrefs; i++) n += g->last[i].nev > 0;
    }
    if (n > 0 && in_range(sp, n)) {
        if (sp->type == C_TEMPORAL) {
            const hit *hs[SG_CORR_MAX_REFS];
            uint32_t nh = 0;
            for (uint32_t i = 0; i < sp->nrefs; i++)
                if (g->last[i].nev) hs[nh++] = &g->last[i];
            emit(in, g, hs, nh);
        } else {
            emit_kept(in, g);
        }
    }
    group_clear(sp, g);
}

static bool upper_bounded(const cspec *sp) { return sp->has_hi; }

/* ---------------------------------------------------------------- groups */

static void unlink_group(cinst *in, group *g) {
    if (g->older) g->older->newer = g->newer;
    else in->oldest = g->newer;
    if (g->newer) g->newer->older = g->older;
    else in->newest = g->older;
    g->older = g->newer = NULL;
}

static void link_newest(cinst *in, group *g) {
    g->older = in->newest;
    g->newer = NULL;
    if (in->newest) in->newest->newer = g;
    else in->oldest = g;
    in->newest = g;
}

static void remove_group(cinst *in, group *g) {
    unlink_group(in, g);
    group **pp = &in->buckets[g->hash & (in->nbuckets - 1)];
    while (*pp != g) pp = &(*pp)->next;
    *pp = g->next;
    in->ngroups--;
    group_free(in->spec, g);
}

static void grow(cinst *in) {
    uint32_t nb = in->nbuckets * 2;
    group **b = calloc(nb, sizeof *b);
    if (!b) abort();
    for (uint32_t i = 0; i < in->nbuckets; i++)
        for (group *g = in->buckets[i], *nx; g; g = nx) {
            nx = g->next;
            g->next = b[g->hash & (nb - 1)];
            b[g->hash & (nb - 1)] = g;
        }
    free(in->buckets);
    in->buckets = b;
    in->nbuckets = nb;
}

static group *group_get(cinst *in, const char *key, size_t klen, char **vals, uint32_t nvals) {
    const cspec *sp = in->spec;
    uint32_t h = sh_hash(key, klen);
    for (group *g = in->buckets[h & (in->nbuckets - 1)]; g; g = g->next)
        if (g->hash == h && !strcmp(g->key, key)) {
            unlink_group(in, g);
            link_newest(in, g);
            return g;
        }
    if (in->ngroups >= SG_CORR_MAX_GROUPS) {
        group *old = in->oldest;
        close_window(in, old);
        remove_group(in, old);
        in->dropped_groups++;
    }
    if (in->ngroups * 2 > in->nbuckets) grow(in);
    group *g = calloc(1, sizeof *g);
    if (!g) abort();
    g->key = malloc(klen + 1);
    if (!g->key) abort();
    memcpy(g->key, key, klen);
    g->key[klen] = 0;
    g->hash = h;
    g->nkeys = nvals;
    g->keyvals = calloc(nvals ? nvals : 1, sizeof *g->keyvals);
    if (!g->keyvals) abort();
    for (uint32_t i = 0; i < nvals; i++) {
        g->keyvals[i] = strdup(vals[i]);
        if (!g->keyvals[i]) abort();
    }
    if (sp->type == C_TEMPORAL) {
        g->last = calloc(sp->nrefs, sizeof *g->last);
        if (!g->last) abort();
    } else if (sp->type == C_TEMPORAL_ORDERED) {
        g->chain = calloc(sp->nrefs, sizeof *g->chain);
        if (!g->chain) abort();
    }
    g->next = in->buckets[h & (in->nbuckets - 1)];
    in->buckets[h & (in->nbuckets - 1)] = g;
    in->ngroups++;
    link_newest(in, g);
    return g;
}

/* close tumbling windows that are over and drop groups idle for a timespan */
static void sweep(cinst *in, int64_t now) {
    const cspec *sp = in->spec;
    for (group *g = in->oldest, *nx; g; g = nx) {
        nx = g->newer;
        if (g->last_ts >= now - sp->span) break; /* activity order: the rest is newer */
        if (upper_bounded(sp) && g->open && g->start + sp->span < now) close_window(in, g);
        remove_group(in, g);
    }
}

/* ---------------------------------------------------------------- hits */

static const char *value_text(const sh_field *f, size_t *n) {
    for (uint32_t i = 0; f && i < f->nvals; i++)
        if (f->vals[i].type != SH_NULL) {
            *n = f->vals[i].len;
            return f->vals[i].s;
        }
    return NULL;
}

static bool cexpr_eval(const cexpr *e, const group *g) {
    switch (e->op) {
    case 0: return g->last[e->ref].nev > 0;
    case 1: return cexpr_eval(e->a, g) && cexpr_eval(e->b, g);
    case 2: return cexpr_eval(e->a, g) || cexpr_eval(e->b, g);
    default: return !cexpr_eval(e->a, g);
    }
}

static void hit_count(cinst *in, group *g, const hit *h) {
    const cspec *sp = in->spec;
    if (upper_bounded(sp)) {
        if (g->open && h->ts > g->start + sp->span) close_window(in, g);
        if (!g->open) {
            g->open = true;
            g->start = h->ts;
        }
        if (g->count <= (uint64_t)sp->hi) g->count++;
        if (g->kn < SG_CORR_KEEP) keep(g, h);
        return;
    }
    /* sliding: the last lo timestamps */
    uint32_t need = (uint32_t)(sp->lo > 0 ? sp->lo : 1);
    if (g->tcap < need && g->tn == g->tcap) {
        uint32_t cap = g->tcap ? g->tcap * 2 : 8;
        if (cap > need) cap = need;
        int64_t *t = malloc(cap * sizeof *t);
        if (!t) abort();
        for (uint32_t i = 0; i < g->tn; i++) t[i] = g->times[(g->thead + i) % g->tcap];
        free(g->times);
        g->times = t;
        g->tcap = cap;
        g->thead = 0;
    }
    if (g->tn == g->tcap) {
        g->thead = (g->thead + 1) % g->tcap;
        g->tn--;
    }
    g->times[(g->thead + g->tn) % g->tcap] = h->ts;
    g->tn++;
    int64_t from = h->ts - sp->span;
    while (g->tn && g->times[g->thead] < from) {
        g->thead = (g->thead + 1) % g->tcap;
        g->tn--;
    }
    keep(g, h);
    keep_expire(g, from);
    if (in_range(sp, g->tn)) {
        emit_kept(in, g);
        group_clear(sp, g);
    }
}

static void hit_values(cinst *in, group *g, const hit *h, const char *v, size_t vn) {
    const cspec *sp = in->spec;
    bool tumbling = upper_bounded(sp);
    if (tumbling) {
        if (g->open && h->ts > g->start + sp->span) close_window(in, g);
        if (!g->open) {
            g->open = true;
            g->start = h->ts;
        }
    } else {
        /* sliding: forget values not seen within the timespan */
        int64_t from = h->ts - sp->span;
        uint32_t k = 0;
        for (uint32_t i = 0; i < g->nvals; i++) {
            if (g->vals[i].last < from) free(g->vals[i].text);
            else g->vals[k++] = g->vals[i];
        }
        g->nvals = k;
        keep_expire(g, from);
    }
    uint32_t i = 0;
    while (i < g->nvals && !(strlen(g->vals[i].text) == vn && !memcmp(g->vals[i].text, v, vn))) i++;
    if (i < g->nvals) g->vals[i].last = h->ts;
    else {
        uint64_t limit = tumbling ? (uint64_t)sp->hi + 1 : (uint64_t)(sp->lo > 0 ? sp->lo : 1);
        if (g->nvals < limit) {
            if (g->nvals == g->capvals) {
                g->capvals = g->capvals ? g->capvals * 2 : 8;
                g->vals = realloc(g->vals, g->capvals * sizeof *g->vals);
                if (!g->vals) abort();
            }
            char *t = malloc(vn + 1);
            if (!t) abort();
            memcpy(t, v, vn);
            t[vn] = 0;
            g->vals[g->nvals++] = (vslot){.text = t, .last = h->ts};
        }
    }
    if (!tumbling || g->kn < SG_CORR_KEEP) keep(g, h);
    if (!tumbling && in_range(sp, g->nvals)) {
        emit_kept(in, g);
        group_clear(sp, g);
    }
}

static void hit_temporal(cinst *in, group *g, uint32_t r, const hit *h) {
    const cspec *sp = in->spec;
    if (upper_bounded(sp)) {
        if (g->open && h->ts > g->start + sp->span) close_window(in, g);
        if (!g->open) {
            g->open = true;
            g->start = h->ts;
        }
        hit_release(&g->last[r]);
        hit_copy(&g->last[r], h);
        return;
    }
    hit_release(&g->last[r]);
    hit_copy(&g->last[r], h);
    int64_t from = h->ts - sp->span;
    uint32_t present = 0;
    for (uint32_t i = 0; i < sp->nrefs; i++) {
        if (g->last[i].nev && g->last[i].ts < from) hit_release(&g->last[i]);
        present += g->last[i].nev > 0;
    }
    bool fire = sp->expr ? cexpr_eval(sp->expr, g) : sp->all_refs ? present == sp->nrefs : in_range(sp, present);
    if (!fire) return;
    const hit *hs[SG_CORR_MAX_REFS];
    uint32_t nh = 0;
    for (uint32_t i = 0; i < sp->nrefs; i++)
        if (g->last[i].nev) hs[nh++] = &g->last[i];
    emit(in, g, hs, nh);
    group_clear(sp, g);
}

static void hit_ordered(cinst *in, group *g, uint32_t r, const hit *h) {
    const cspec *sp = in->spec;
    /* the partial sequence at stage r-1 moves on to stage r (a newer partial
     * overwrites an older one at the same stage, as EQL sequences do) */
    if (r > 0 && (!g->chain[r - 1] || h->ts - g->chain[r - 1][0].ts > sp->span)) return;
    hit *c = malloc((r + 1) * sizeof *c);
    if (!c) abort();
    if (r > 0) {
        memcpy(c, g->chain[r - 1], r * sizeof *c);   /* the references move with the hits */
        free(g->chain[r - 1]);
        g->chain[r - 1] = NULL;
    }
    hit_copy(&c[r], h);
    chain_drop(g, r);
    g->chain[r] = c;
    if (r + 1 < sp->nrefs) return;
    const hit *hs[SG_CORR_MAX_REFS];
    for (uint32_t i = 0; i < sp->nrefs; i++) hs[i] = &c[i];
    emit(in, g, hs, sp->nrefs);
    group_clear(sp, g);
}

/* one hit of named rule r */
static void on_hit(cinst *in, uint32_t r, const hit *h) {
    const cspec *sp = in->spec;
    if (h->ts == SH_TS_NONE || !h->nev) return;
    sh_event *last = h->ev[h->nev - 1];
    /* the group: group-by values from the hit's last event */
    char *vals[SG_CORR_MAX_GROUPBY];
    sh_buf key = {0};
    uint32_t nv = 0;
    for (; nv < sp->ngroup; nv++) {
        size_t n;
        const char *v = value_text(sh_event_get(last, sp->refs[r].keys[nv]), &n);
        if (!v) break;
        if (nv) sh_buf_putc(&key, '\x1f');
        sh_buf_put(&key, v, n);
        vals[nv] = malloc(n + 1);
        if (!vals[nv]) abort();
        memcpy(vals[nv], v, n);
        vals[nv][n] = 0;
    }
    bool ok = nv == sp->ngroup;
    const char *k = ok ? sh_buf_cstr(&key) : NULL;
    group *g = ok ? group_get(in, k, key.len, vals, nv) : NULL;
    for (uint32_t i = 0; i < nv; i++) free(vals[i]);
    sh_buf_free(&key);
    if (!g) return;
    in->now = h->ts > in->now ? h->ts : in->now;
    g->last_ts = h->ts;
    switch (sp->type) {
    case C_EVENT_COUNT: hit_count(in, g, h); break;
    case C_VALUE_COUNT: {
        size_t n;
        const char *v = value_text(sh_event_get(last, sp->field), &n);
        if (v) hit_values(in, g, h, v, n);
        break;
    }
    case C_TEMPORAL: hit_temporal(in, g, r, h); break;
    default: hit_ordered(in, g, r, h); break;
    }
    if (++in->hits % SG_CORR_SWEEP == 0) sweep(in, in->now);
}

/* hits from a named correlation arrive through this callback */
typedef struct collect {
    hit *h;
    uint32_t n, cap;
} collect;

static void collect_cb(void *ctx, const sh_match *m) {
    collect *c = ctx;
    if (!m->nevents) return;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 4;
        c->h = realloc(c->h, c->cap * sizeof *c->h);
        if (!c->h) abort();
    }
    hit src = {.ts = m->events[m->nevents - 1]->ts, .ev = m->events, .nev = m->nevents};
    hit_copy(&c->h[c->n++], &src);
}

static void inst_feed(cinst *in, sh_event *e, sh_match_cb cb, void *cbctx);
static void inst_finish(cinst *in, sh_match_cb cb, void *cbctx);

static void feed_hits(cinst *in, uint32_t r, collect *col) {
    for (uint32_t i = 0; i < col->n; i++) {
        on_hit(in, r, &col->h[i]);
        hit_release(&col->h[i]);
    }
    free(col->h);
}

static void inst_feed(cinst *in, sh_event *e, sh_match_cb cb, void *cbctx) {
    const cspec *sp = in->spec;
    in->cb = cb;
    in->cbctx = cbctx;
    /* stages last to first: an event never completes a sequence it starts */
    for (uint32_t k = sp->nrefs; k-- > 0;) {
        const sg_rule *t = sp->refs[k].rule;
        if (in->inner[k]) {
            collect col = {0};
            inst_feed(in->inner[k], e, collect_cb, &col);
            in->cb = cb;
            in->cbctx = cbctx;
            feed_hits(in, k, &col);
        } else if (t->kind == SG_DETECT && sh_ir_match(&in->ev, t->root, e)) {
            sh_event *one[1] = {e};
            hit h = {.ts = e->ts, .ev = one, .nev = 1};
            on_hit(in, k, &h);
        }
    }
}

static void inst_finish(cinst *in, sh_match_cb cb, void *cbctx) {
    const cspec *sp = in->spec;
    for (uint32_t k = 0; k < sp->nrefs; k++) {
        if (!in->inner[k]) continue;
        collect col = {0};
        inst_finish(in->inner[k], collect_cb, &col);
        in->cb = cb;
        in->cbctx = cbctx;
        feed_hits(in, k, &col);
    }
    in->cb = cb;
    in->cbctx = cbctx;
    if (upper_bounded(sp))
        for (group *g = in->oldest; g; g = g->newer) close_window(in, g);
}

static void inst_reset(cinst *in) {
    while (in->oldest) remove_group(in, in->oldest);
    in->hits = 0;
    in->now = 0;
    for (uint32_t k = 0; k < in->spec->nrefs; k++)
        if (in->inner[k]) inst_reset(in->inner[k]);
}

static void inst_free(cinst *in) {
    if (!in) return;
    while (in->oldest) remove_group(in, in->oldest);
    for (uint32_t k = 0; k < SG_CORR_MAX_REFS; k++) inst_free(in->inner[k]);
    free(in->buckets);
    sh_eval_free(&in->ev);
    free(in);
}

/* ================================================================ the query */

bool sg_corr_feed(sg_rule *r, sh_event *e, sh_match_cb cb, void *cbctx) {
    sg_corr *cr = r->corr;
    if (!cr->inst) cr->inst = inst_new(&cr->spec);
    inst_feed(cr->inst, e, cb, cbctx);
    return true;
}

void sg_corr_finish(sg_rule *r, sh_match_cb cb, void *cbctx) {
    sg_corr *cr = r->corr;
    if (!cr->inst) return;
    inst_finish(cr->inst, cb, cbctx);
    inst_reset(cr->inst);
}

void sg_corr_reset(sg_rule *r) {
    if (r->corr->inst) inst_reset(r->corr->inst);
}

void sg_corr_free(sg_rule *r) {
    if (!r->corr) return;
    inst_free(r->corr->inst);
    free(r->corr);
    r->corr = NULL;
}
