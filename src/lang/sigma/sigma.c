/* sigma.c: the Sigma front end (engine/query.h). It compiles one Sigma YAML
 * document (the loader, rules/load_sigma.c, splits files into documents)
 * into an sg_rule:
 *   - a detection rule: logsource + detection -> one IR filter, fed event
 *     by event;
 *   - a filter rule (meta filter): its condition is ANDed into the rules it
 *     names (or every rule of its logsource with `rules: any`); the filter
 *     itself runs on no event;
 *   - a correlation rule (corr.c).
 * The per-engine context keeps the compiled detection and correlation rules
 * by id and name for the filters and correlations compiled after them
 * (the loader gives those pass 1), and the placeholder values for `expand`
 * (SHRIKE_SIGMA_PLACEHOLDERS names a file of NAME<TAB>VALUE lines). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/sigma/sigma_int.h"

typedef struct placeholder {
    char *name;
    char **vals;
    size_t nvals;
} placeholder;

struct sg_ctx {
    sg_rule **rules;            /* detection and correlation rules, in compile order */
    size_t n, cap;
    char **rejected;            /* ids and names of rules that failed to compile */
    size_t nrej, caprej;
    placeholder *ph;
    size_t nph;
    bool ph_loaded;
};

/* ------------------------------------------------------------ diagnostics */

void sg_fail_at(sg_comp *c, long line, long col, const char *fmt, ...) {
    if (c->failed) return;
    c->failed = true;
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sh_diag_set(c->d, NULL, line, col, "%s", msg);
}

void sg_fail(sg_comp *c, const sy_node *at, const char *fmt, ...) {
    if (c->failed) return;
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sg_fail_at(c, at ? (long)at->line : 0, at ? (long)at->col : 0, "%s", msg);
}

void sg_warn(sg_rule *r, const char *fmt, ...) {
    if (!r || r->nwarnings >= SG_MAX_WARNINGS) return;
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (uint32_t i = 0; i < r->nwarnings; i++)
        if (!strcmp(r->warnings[i], msg)) return;
    r->warnings[r->nwarnings++] = sh_arena_strdup(&r->pool.arena, msg);
    r->warnings[r->nwarnings] = NULL;
}

/* field names every event of a Windows log has (the System part) */
static const char *const system_fields[] = {
    "EventID", "Channel", "Computer", "Provider_Name", "Security_UserID", "EventRecordID", "TimeCreated",
    "Execution_ProcessID", "Execution_ThreadID", "Level", "Task", "Opcode", "Keywords", "Version", NULL};

static bool listed(const char *const *list, const char *name, size_t n) {
    for (; list && *list; list++)
        if (strlen(*list) == n && !memcmp(*list, name, n)) return true;
    return false;
}

sh_ir *sg_field(sg_comp *c, const char *name, size_t n, const sy_node *at) {
    if (n == 0) {
        sg_fail(c, at, "empty field name");
        return NULL;
    }
    sh_ir *f = sh_ir_field(c->pool, name, n, false);
    if (c->known && !listed(c->known, name, n) && !listed(system_fields, name, n) && !f->ref->derivs)
        sg_warn(c->rule, "field '%.*s' (line %u) is not provided by any source of logsource %s", (int)n, name,
                at ? at->line : 0, c->lsname);
    return f;
}

/* ------------------------------------------------------------ context */

static void *ctx_new(void) {
    sg_ctx *x = calloc(1, sizeof *x);
    if (!x) abort();
    return x;
}

static void ctx_free(void *p) {
    sg_ctx *x = p;
    if (!x) return;
    for (size_t i = 0; i < x->nrej; i++) free(x->rejected[i]);
    for (size_t i = 0; i < x->nph; i++) {
        free(x->ph[i].name);
        for (size_t k = 0; k < x->ph[i].nvals; k++) free(x->ph[i].vals[k]);
        free(x->ph[i].vals);
    }
    free(x->ph);
    free(x->rejected);
    free(x->rules);
    free(x);
}

static void ctx_add(sg_ctx *x, sg_rule *r) {
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 64;
        x->rules = realloc(x->rules, x->cap * sizeof *x->rules);
        if (!x->rules) abort();
    }
    x->rules[x->n++] = r;
}

static void ctx_reject(sg_ctx *x, const char *s) {
    if (!s || !*s) return;
    if (x->nrej == x->caprej) {
        x->caprej = x->caprej ? x->caprej * 2 : 16;
        x->rejected = realloc(x->rejected, x->caprej * sizeof *x->rejected);
        if (!x->rejected) abort();
    }
    x->rejected[x->nrej] = strdup(s);
    if (!x->rejected[x->nrej]) abort();
    x->nrej++;
}

static void ctx_remove(sg_ctx *x, sg_rule *r) {
    /* the engine frees its rules in order, so this one is usually first; the
     * order of what remains no longer matters (nothing compiles any more) */
    for (size_t i = 0; i < x->n; i++)
        if (x->rules[i] == r) {
            x->rules[i] = x->rules[--x->n];
            return;
        }
}

sg_rule *sg_ctx_find(sg_ctx *x, const char *ref) {
    for (size_t i = 0; i < x->n; i++)
        if (!strcmp(x->rules[i]->id, ref) || !strcmp(x->rules[i]->name, ref)) return x->rules[i];
    return NULL;
}

bool sg_ctx_rejected(sg_ctx *x, const char *ref) {
    for (size_t i = 0; i < x->nrej; i++)
        if (!strcmp(x->rejected[i], ref)) return true;
    return false;
}

static void load_placeholders(sg_ctx *x) {
    x->ph_loaded = true;
    const char *path = getenv("SHRIKE_SIGMA_PLACEHOLDERS");
    if (!path || !*path) return;
    sh_diag d;
    size_t len;
    char *text = sh_read_file(path, &len, &d);
    if (!text) return;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        char *tab = strchr(line, '\t');
        if (*line != '#' && tab) {
            *tab = 0;
            char *val = tab + 1;
            size_t vl = strlen(val);
            if (vl && val[vl - 1] == '\r') val[--vl] = 0;
            placeholder *p = NULL;
            for (size_t i = 0; i < x->nph && !p; i++)
                if (!strcmp(x->ph[i].name, line)) p = &x->ph[i];
            if (!p) {
                x->ph = realloc(x->ph, (x->nph + 1) * sizeof *x->ph);
                if (!x->ph) abort();
                p = &x->ph[x->nph++];
                memset(p, 0, sizeof *p);
                p->name = strdup(line);
            }
            p->vals = realloc(p->vals, (p->nvals + 2) * sizeof *p->vals);
            if (!p->vals || !p->name) abort();
            p->vals[p->nvals++] = strdup(val);
            p->vals[p->nvals] = NULL;
            if (!p->vals[p->nvals - 1]) abort();
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
}

const char *const *sg_ctx_placeholder(sg_ctx *x, const char *name, size_t n) {
    if (!x) return NULL;
    if (!x->ph_loaded) load_placeholders(x);
    for (size_t i = 0; i < x->nph; i++)
        if (strlen(x->ph[i].name) == n && !memcmp(x->ph[i].name, name, n)) return (const char *const *)x->ph[i].vals;
    return NULL;
}

/* ------------------------------------------------------------ queries */

static void rule_free(sg_rule *r) {
    if (!r) return;
    if (r->corr) sg_corr_free(r);
    sh_eval_free(&r->ev);
    sh_irpool_free(&r->pool);
    free(r);
}

static bool q_feed(sh_query *q, sh_event *e, sh_match_cb cb, void *ctx) {
    sg_rule *r = (sg_rule *)q;
    switch (r->kind) {
    case SG_DETECT:
        if (sh_ir_match(&r->ev, r->root, e)) {
            sh_event *one[1] = {e};
            sh_match m = {.events = one, .nevents = 1};
            cb(ctx, &m);
        }
        return true;
    case SG_CORR: return sg_corr_feed(r, e, cb, ctx);
    default: return true;
    }
}

static void q_finish(sh_query *q, sh_match_cb cb, void *ctx) {
    sg_rule *r = (sg_rule *)q;
    if (r->kind == SG_CORR) sg_corr_finish(r, cb, ctx);
}

static void q_reset(sh_query *q) {
    sg_rule *r = (sg_rule *)q;
    if (r->kind == SG_CORR) sg_corr_reset(r);
}

static void q_free(sh_query *q) {
    sg_rule *r = (sg_rule *)q;
    if (r->ctx) ctx_remove(r->ctx, r);
    rule_free(r);
}

static const char *const *q_warnings(const sh_query *q) {
    const sg_rule *r = (const sg_rule *)q;
    return r->nwarnings ? r->warnings : NULL;
}

static size_t q_categories(const sh_query *q, const char **out, size_t max) {
    const sg_rule *r = (const sg_rule *)q;
    if (r->idx.any || r->idx.ncats > max) return SIZE_MAX;
    for (size_t i = 0; i < r->idx.ncats; i++) out[i] = r->idx.cats[i];
    return r->idx.ncats;
}

static size_t q_wins(const sh_query *q, sh_win_event *out, size_t max) {
    const sg_rule *r = (const sg_rule *)q;
    if (r->idx.any || r->idx.nwins > max) return SIZE_MAX;
    memcpy(out, r->idx.wins, r->idx.nwins * sizeof *out);
    return r->idx.nwins;
}

static uint32_t q_filters(const sh_query *q, const sh_ir **out, uint32_t max) {
    const sg_rule *r = (const sg_rule *)q;
    if (r->kind != SG_DETECT || !max) return 0;
    out[0] = r->root;
    return 1;
}

static const sh_query_ops sigma_ops = {
    .feed = q_feed,
    .finish = q_finish,
    .reset = q_reset,
    .free = q_free,
    .warnings = q_warnings,
    .categories = q_categories,
    .filters = q_filters,
    .win_events = q_wins,
};

/* ------------------------------------------------------------ compiling */

static const char *scalar_text(sg_comp *c, const sy_node *n) {
    if (!n || n->kind != SY_SCALAR || sy_is_null(n)) return "";
    return sh_arena_strndup(&c->pool->arena, n->s, n->len);
}

static void ls_name(sg_comp *c, const sg_logsrc *ls) {
    char buf[300];
    snprintf(buf, sizeof buf, "%s/%s%s%s", ls->product ? ls->product : "*", ls->category ? ls->category : "*",
             ls->service ? "/" : "", ls->service ? ls->service : "");
    c->lsname = sh_arena_strdup(&c->pool->arena, buf);
}

static sh_ir *and2(sh_irpool *p, sh_ir *a, sh_ir *b) {
    if (!a) return b;
    if (!b) return a;
    sh_ir *n = sh_ir_new(p, SH_IR_AND, 2);
    n->args[0] = a;
    n->args[1] = b;
    return n;
}

static bool compile_detection(sg_comp *c, sg_rule *r, const sy_node *doc) {
    const sy_node *ls = sy_get(doc, "logsource");
    if (!ls) {
        sg_fail(c, doc, "no logsource: a Sigma rule names the events it applies to (product, category, service)");
        return false;
    }
    if (!sg_logsource_parse(c, ls, &r->ls)) return false;
    ls_name(c, &r->ls);
    c->known = sg_logsource_fields(c, &r->ls);
    sh_ir *sel = sg_logsource_lower(c, &r->ls, &r->idx);
    const sy_node *det = sy_get(doc, "detection");
    sh_ir *d = sg_detection(c, sy_get_key(doc, "detection"), det, sy_get(det, "condition"), "detection");
    if (!d) return false;
    r->root = and2(c->pool, d, sel);
    sh_ir_finalize(c->pool, r->root);
    return true;
}

/* the references of a filter or correlation: a list (or one) of ids/names */
static size_t refs_of(sg_comp *c, const sy_node *n, const sy_node **out, size_t max, const char *what) {
    if (!n || sy_is_null(n)) return 0;
    if (n->kind == SY_SCALAR) {
        out[0] = n;
        return 1;
    }
    if (n->kind != SY_SEQ) {
        sg_fail(c, n, "%s rules must be a list of rule ids or names", what);
        return SIZE_MAX;
    }
    if (n->n > max) {
        sg_fail(c, n, "%s names more than %zu rules", what, max);
        return SIZE_MAX;
    }
    for (uint32_t i = 0; i < n->n; i++) {
        if (n->items[i]->kind != SY_SCALAR || sy_is_null(n->items[i])) {
            sg_fail(c, n->items[i], "%s rules must be rule ids or names", what);
            return SIZE_MAX;
        }
        out[i] = n->items[i];
    }
    return n->n;
}

#define MAX_REFS 1024

static bool compile_filter(sg_comp *c, sg_rule *r, const sy_node *doc) {
    const sy_node *ls = sy_get(doc, "logsource");
    if (!ls) {
        sg_fail(c, doc, "a filter needs a logsource (the rules it applies to must have the same)");
        return false;
    }
    if (!sg_logsource_parse(c, ls, &r->ls)) return false;
    ls_name(c, &r->ls);
    const sy_node *f = sy_get(doc, "filter");
    if (!f || f->kind != SY_MAP) {
        sg_fail(c, f ? f : doc, "the filter section must be a mapping of rules, search identifiers and a condition");
        return false;
    }
    const sy_node *rules = sy_get(f, "rules");
    const sy_node *cond = sy_get(f, "condition");
    if (!rules) {
        sg_fail(c, f, "the filter names no rules (give rule ids or names, or 'any')");
        return false;
    }
    /* compile once into the filter's own pool: every error shows here,
     * before any rule is touched */
    if (!sg_detection(c, sy_get_key(doc, "filter"), f, cond, "filter")) return false;
    const sy_node *refs[MAX_REFS];
    bool every = sy_is(rules, "any") || sy_is(rules, "all") || (rules->kind == SY_SEQ && rules->n == 0);
    size_t nrefs = every ? 0 : refs_of(c, rules, refs, MAX_REFS, "the filter");
    if (nrefs == SIZE_MAX) return false;
    sg_rule **targets = sh_arena_alloc(&c->tmp, (c->ctx->n + 1) * sizeof *targets);
    size_t nt = 0;
    if (every) {
        for (size_t i = 0; i < c->ctx->n; i++)
            if (c->ctx->rules[i]->kind == SG_DETECT && sg_logsource_covers(&r->ls, &c->ctx->rules[i]->ls))
                targets[nt++] = c->ctx->rules[i];
    } else {
        for (size_t i = 0; i < nrefs; i++) {
            char *ref = sh_arena_strndup(&c->tmp, refs[i]->s, refs[i]->len);
            sg_rule *t = sg_ctx_find(c->ctx, ref);
            if (!t) {
                sg_fail(c, refs[i], sg_ctx_rejected(c->ctx, ref) ? "the filter names rule '%s', which was rejected"
                                                                 : "the filter names rule '%s', which is not loaded "
                                                                   "(load it together with the filter)", ref);
                return false;
            }
            if (t->kind != SG_DETECT) {
                sg_warn(r, "rule '%s' is a correlation: filters apply to detection rules only", ref);
                continue;
            }
            if (!sg_logsource_covers(&r->ls, &t->ls)) {
                sg_warn(r, "rule '%s' has another logsource (%s/%s/%s): the filter does not apply to it", ref,
                        t->ls.product ? t->ls.product : "-", t->ls.category ? t->ls.category : "-",
                        t->ls.service ? t->ls.service : "-");
                continue;
            }
            bool dup = false;
            for (size_t k = 0; k < nt && !dup; k++) dup = targets[k] == t;
            if (!dup) targets[nt++] = t;
        }
    }
    if (!nt) sg_warn(r, "the filter applies to no loaded rule");
    /* now into each target's own pool, ANDed with its filter */
    for (size_t i = 0; i < nt; i++) {
        sg_rule *t = targets[i];
        sg_comp tc = {.ctx = c->ctx, .rule = NULL, .pool = &t->pool, .d = c->d, .budget = SG_BUDGET, .lsname = c->lsname};
        sh_arena_init(&tc.tmp);
        sh_ir *fc = sg_detection(&tc, sy_get_key(doc, "filter"), f, cond, "filter");
        sh_arena_free(&tc.tmp);
        if (!fc) { c->failed = true; return false; } /* cannot happen: it compiled above */
        t->root = and2(&t->pool, t->root, fc);
        sh_ir_finalize(&t->pool, t->root);
    }
    return true;
}

static sh_query *fe_compile(void *vctx, const sh_rule *rule, sh_diag *d) {
    sg_ctx *ctx = vctx;
    if (d) {
        d->line = d->col = 0;
        d->offset = -1;
        d->msg[0] = 0;
    }
    sg_rule *r = calloc(1, sizeof *r);
    if (!r) abort();
    sh_irpool_init(&r->pool);
    r->base.ops = &sigma_ops;
    r->base.shape = SH_SHAPE_EVENT;
    r->ctx = ctx;
    r->id = r->name = r->title = "";
    sg_comp c = {.ctx = ctx, .rule = r, .pool = &r->pool, .d = d, .budget = SG_BUDGET, .lsname = "*/*"};
    sh_arena_init(&c.tmp);
    sy_stream st;
    const char *text = rule->query ? rule->query : "";
    bool ok = sy_parse(&st, text, strlen(text));
    const sy_node *doc = NULL;
    if (!ok) sg_fail_at(&c, st.err_line, st.err_col, "%s", st.err);
    else if (st.ndocs != 1 || !st.docs[0].root) sg_fail_at(&c, 0, 0, "expected one Sigma document, found %zu", st.ndocs);
    else {
        doc = st.docs[0].root;
        if (doc->kind != SY_MAP) sg_fail(&c, doc, "a Sigma rule is a mapping (title, logsource, detection, ...), not %s",
                                         sy_kind_name(doc));
    }
    if (!c.failed) {
        r->id = scalar_text(&c, sy_get(doc, "id"));
        r->name = scalar_text(&c, sy_get(doc, "name"));
        r->title = scalar_text(&c, sy_get(doc, "title"));
        if (sy_get(doc, "correlation")) {
            r->kind = SG_CORR;
            r->base.shape = SH_SHAPE_GROUP;
            ok = sg_corr_compile(&c, r, doc);
        } else if (sy_get(doc, "filter")) {
            r->kind = SG_FILTER;
            ok = compile_filter(&c, r, doc);
        } else if (sy_get(doc, "action")) {
            sg_fail(&c, sy_get_key(doc, "action"), "Sigma 1.0 rule collections (action: global/reset/repeat) are not "
                                                    "supported: write each rule as a whole document");
        } else if (sy_get(doc, "detection")) {
            r->kind = SG_DETECT;
            ok = compile_detection(&c, r, doc);
        } else {
            sg_fail(&c, doc, "not a Sigma rule: no detection, correlation or filter section");
        }
    }
    sy_free(&st);
    sh_arena_free(&c.tmp);
    if (c.failed || !ok) {
        ctx_reject(ctx, r->id);
        ctx_reject(ctx, r->name);
        if (!c.failed) sh_diag_set(d, NULL, 0, 0, "invalid Sigma rule");
        r->ctx = NULL;
        rule_free(r);
        return NULL;
    }
    sh_eval_init(&r->ev);
    if (r->kind != SG_FILTER) ctx_add(ctx, r);
    return &r->base;
}

const sh_frontend sh_frontend_sigma = {
    .lang = SH_LANG_SIGMA, .name = "sigma", .ctx_new = ctx_new, .ctx_free = ctx_free, .compile = fe_compile};
