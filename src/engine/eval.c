/* eval.c: the evaluator of the intermediate form. Conditions evaluate to
 * three-valued results (true, false, null); value expressions evaluate to a
 * set of values so that multi-valued fields match when any value does (or
 * every value, with SH_IRF_ALL). Nothing here allocates from the heap per
 * event: computed values go to the evaluator's scratch arena. */
#include "engine/eval_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- values */

sh_value sh_mk_int(sh_eval *ev, int64_t i) { return sh_value_int(&ev->scratch, i); }

sh_value sh_mk_float(sh_eval *ev, double d) {
    char tmp[48];
    int k = 0;
    if (isnan(d)) k = snprintf(tmp, sizeof tmp, "NaN");
    else if (isinf(d)) k = snprintf(tmp, sizeof tmp, d > 0 ? "Infinity" : "-Infinity");
    else {
        for (int prec = 1; prec <= 17; prec++) {
            k = snprintf(tmp, sizeof tmp, "%.*g", prec, d);
            if (strtod(tmp, NULL) == d) break;
        }
        if (!strpbrk(tmp, ".e")) k += snprintf(tmp + k, sizeof tmp - (size_t)k, ".0");
    }
    sh_value v = {.type = SH_FLOAT, .f = d, .s = sh_arena_strndup(&ev->scratch, tmp, (size_t)k), .len = (uint32_t)k};
    return v;
}

sh_value sh_mk_bool(bool b) {
    sh_value v = {.type = SH_BOOL, .b = b, .i = b, .s = b ? "true" : "false", .len = b ? 4 : 5};
    return v;
}

sh_value sh_mk_str(sh_eval *ev, const char *s, size_t n) {
    return sh_value_str(sh_arena_strndup(&ev->scratch, s, n), n);
}

void sh_vb_push(sh_eval *ev, sh_vbuild *b, const sh_value *v) {
    if (b->n == b->cap) {
        uint32_t cap = b->cap ? b->cap * 2 : 4;
        sh_value *nv = sh_arena_alloc(&ev->scratch, cap * sizeof *nv);
        if (b->n) memcpy(nv, b->v, b->n * sizeof *nv);
        b->v = nv;
        b->cap = cap;
    }
    b->v[b->n++] = *v;
}

bool sh_value_is_num(const sh_value *v) { return v->type == SH_INT || v->type == SH_FLOAT; }

double sh_value_num(const sh_value *v) { return v->type == SH_INT ? (double)v->i : v->f; }

static int digitval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

bool sh_parse_int(const char *s, size_t n, int base, int64_t *out) {
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if (i == n) return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        int d = digitval(s[i]);
        if (d >= base) return false;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) return false;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX) return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

bool sh_parse_num(const char *s, size_t n, sh_value *out) {
    if (n == 0 || n > 64) return false;
    int64_t i;
    if (sh_parse_int(s, n, 10, &i)) {
        out->type = SH_INT;
        out->i = i;
        out->f = (double)i;
        return true;
    }
    char tmp[72];
    memcpy(tmp, s, n);
    tmp[n] = 0;
    /* strtod accepts hex floats, "inf" and leading spaces: refuse those */
    for (size_t k = 0; k < n; k++)
        if (!strchr("0123456789+-.eE", tmp[k])) return false;
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    if (end != tmp + n || errno) return false;
    out->type = SH_FLOAT;
    out->f = d;
    return true;
}

/* ------------------------------------------------------------- comparing */

static int cmp3(double a, double b) { return a < b ? -1 : a > b ? 1 : a == b ? 0 : 2; }

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn) {
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c) return c < 0 ? -1 : 1;
    return an < bn ? -1 : an > bn ? 1 : 0;
}

static size_t cp_len(const char *s, size_t i, size_t n) {
    unsigned char c = (unsigned char)s[i];
    size_t k = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    return i + k > n ? n - i : k;
}

/* case-insensitive order, one code point at a time: no buffers */
static int ci_cmp(const char *a, size_t an, const char *b, size_t bn) {
    size_t i = 0, j = 0;
    while (i < an && j < bn) {
        size_t ka = cp_len(a, i, an), kb = cp_len(b, j, bn);
        char la[8], lb[8];
        size_t na = sh_utf8_lower(a + i, ka, la), nb = sh_utf8_lower(b + j, kb, lb);
        int c = bytes_cmp(la, na, lb, nb);
        if (c) return c;
        i += ka;
        j += kb;
    }
    return i < an ? 1 : j < bn ? -1 : 0;
}

static int num_cmp(const sh_value *a, const sh_value *b) {
    if (a->type == SH_INT && b->type == SH_INT) return a->i < b->i ? -1 : a->i > b->i;
    return cmp3(sh_value_num(a), sh_value_num(b));
}

/* number against text: numeric text compares as a number, a date-time as
 * epoch milliseconds (the way a numeric or date field compares with a string
 * literal), anything else as text */
static int num_str_cmp(const sh_value *num, const sh_value *str, bool ci) {
    sh_value p;
    if (sh_parse_num(str->s, str->len, &p)) return num_cmp(num, &p);
    int64_t ts = sh_parse_time(str->s, str->len);
    if (ts != SH_TS_NONE) return cmp3(sh_value_num(num), (double)(ts / 1000000));
    return ci ? ci_cmp(num->s, num->len, str->s, str->len) : bytes_cmp(num->s, num->len, str->s, str->len);
}

static bool looks_like_date(const sh_value *v) {
    return v->len >= 10 && v->s[4] == '-' && v->s[7] == '-' && v->s[0] >= '0' && v->s[0] <= '9';
}

static int str_cmp(const sh_value *a, const sh_value *b, bool ci) {
    int c = ci ? ci_cmp(a->s, a->len, b->s, b->len) : bytes_cmp(a->s, a->len, b->s, b->len);
    if (c == 0 || !looks_like_date(a) || !looks_like_date(b)) return c;
    int64_t ta = sh_parse_time(a->s, a->len), tb = sh_parse_time(b->s, b->len);
    if (ta == SH_TS_NONE || tb == SH_TS_NONE) return c;
    return ta < tb ? -1 : ta > tb;
}

int sh_value_cmp(const sh_value *a, const sh_value *b, bool ci) {
    if (a->type == SH_NULL || b->type == SH_NULL) return 2;
    bool an = sh_value_is_num(a), bn = sh_value_is_num(b);
    if (an && bn) return num_cmp(a, b);
    if (a->type == SH_STR && b->type == SH_STR) return str_cmp(a, b, ci);
    if (an && b->type == SH_STR) return num_str_cmp(a, b, ci);
    if (bn && a->type == SH_STR) {
        int c = num_str_cmp(b, a, ci);
        return c == 2 ? 2 : -c;
    }
    if (a->type == SH_BOOL && b->type == SH_BOOL) return (int)a->b - (int)b->b;
    /* bool against text or number: compare text forms ("true") */
    return ci ? ci_cmp(a->s, a->len, b->s, b->len) : bytes_cmp(a->s, a->len, b->s, b->len);
}

static int type_rank(const sh_value *v) {
    switch (v->type) {
    case SH_NULL: return 0;
    case SH_BOOL: return 1;
    case SH_INT:
    case SH_FLOAT: return 2;
    default: return 3;
    }
}

int sh_value_order(const sh_value *a, const sh_value *b) {
    int ra = type_rank(a), rb = type_rank(b);
    if (ra != rb) return ra < rb ? -1 : 1;
    switch (ra) {
    case 0: return 0;
    case 1: return (int)a->b - (int)b->b;
    case 2: {
        int c = num_cmp(a, b);
        return c == 2 ? 0 : c;
    }
    default: return bytes_cmp(a->s, a->len, b->s, b->len);
    }
}

/* ---------------------------------------------------------- value access */

static void field_values(sh_eval *ev, const sh_ir *n, sh_event *e, sh_vals *out) {
    sh_field *f = sh_event_get(e, n->ref);
    out->optional_null = false;
    if (!f || f->nvals == 0) {
        out->v = NULL;
        out->n = 0;
        out->optional_null = (n->flags & SH_IRF_OPTIONAL) != 0;
        return;
    }
    /* fields never move once added (event.h), so their values can be borrowed */
    out->v = f->vals;
    out->n = f->nvals;
}

static bool has_nonnull(const sh_vals *v) {
    for (uint32_t i = 0; i < v->n; i++)
        if (v->v[i].type != SH_NULL) return true;
    return false;
}

static bool is_null_lit(const sh_ir *n) { return n->kind == SH_IR_LIT && n->lit.type == SH_NULL; }

static bool num_of(const sh_value *v, sh_value *out) {
    if (sh_value_is_num(v)) { *out = *v; return true; }
    return false;
}

bool sh_arith(sh_eval *ev, uint8_t op, const sh_value *x, const sh_value *y, sh_value *r) {
    sh_value a, b;
    if (!num_of(x, &a) || !num_of(y, &b)) return false;
    if (a.type == SH_INT && b.type == SH_INT) {
        int64_t res;
        bool ovf = false;
        switch (op) {
        case SH_ADD: ovf = __builtin_add_overflow(a.i, b.i, &res); break;
        case SH_SUB: ovf = __builtin_sub_overflow(a.i, b.i, &res); break;
        case SH_MUL: ovf = __builtin_mul_overflow(a.i, b.i, &res); break;
        case SH_DIV:
            if (b.i == 0 || (a.i == INT64_MIN && b.i == -1)) return false;
            res = a.i / b.i;
            break;
        default:
            if (b.i == 0 || (a.i == INT64_MIN && b.i == -1)) return false;
            res = a.i % b.i;
            break;
        }
        if (!ovf) {
            *r = sh_mk_int(ev, res);
            return true;
        }
    }
    double p = sh_value_num(&a), q = sh_value_num(&b), res;
    switch (op) {
    case SH_ADD: res = p + q; break;
    case SH_SUB: res = p - q; break;
    case SH_MUL: res = p * q; break;
    case SH_DIV:
        if (q == 0) return false;
        res = p / q;
        break;
    default:
        if (q == 0) return false;
        res = fmod(p, q);
        break;
    }
    *r = sh_mk_float(ev, res);
    return true;
}

static void arith_values(sh_eval *ev, const sh_ir *n, sh_event *e, sh_vals *out) {
    sh_vals a, b;
    sh_ir_values(ev, n->args[0], e, &a);
    sh_ir_values(ev, n->args[1], e, &b);
    sh_vbuild vb = {0};
    uint32_t combos = 0;
    for (uint32_t i = 0; i < a.n; i++)
        for (uint32_t j = 0; j < b.n && combos < ev->combo_limit; j++, combos++) {
            sh_value r, x = a.v[i], y = b.v[j];
            if (n->flags & SH_IRF_NUMTEXT) {
                sh_value p;
                if (x.type == SH_STR && sh_parse_num(x.s, x.len, &p)) x = p;
                if (y.type == SH_STR && sh_parse_num(y.s, y.len, &p)) y = p;
                /* Splunk divides exactly: 7/2 is 3.5 (8/2 stays 4) */
                if (n->op == SH_DIV && x.type == SH_INT && y.type == SH_INT && y.i != 0 && x.i % y.i != 0) {
                    x.type = SH_FLOAT;
                    x.f = (double)x.i;
                }
            }
            if (sh_arith(ev, n->op, &x, &y, &r)) sh_vb_push(ev, &vb, &r);
        }
    sh_vb_done(&vb, out);
}

static void neg_values(sh_eval *ev, const sh_ir *n, sh_event *e, sh_vals *out) {
    sh_vals a;
    sh_ir_values(ev, n->args[0], e, &a);
    sh_vbuild vb = {0};
    for (uint32_t i = 0; i < a.n; i++) {
        const sh_value *x = &a.v[i];
        sh_value r;
        if (x->type == SH_INT && x->i != INT64_MIN) r = sh_mk_int(ev, -x->i);
        else if (sh_value_is_num(x)) r = sh_mk_float(ev, -sh_value_num(x));
        else continue;
        sh_vb_push(ev, &vb, &r);
    }
    sh_vb_done(&vb, out);
}

/* every value of every field the event carries itself (Sigma keywords) */
static void anyfield_values(sh_eval *ev, sh_event *e, sh_vals *out) {
    sh_vbuild vb = {0};
    for (uint32_t i = 0; i < e->nfields; i++) {
        const sh_field *f = e->fields[i];
        if (f->derived) continue;
        for (uint32_t k = 0; k < f->nvals; k++) sh_vb_push(ev, &vb, &f->vals[k]);
    }
    sh_vb_done(&vb, out);
}

void sh_ir_values(sh_eval *ev, const sh_ir *n, sh_event *e, sh_vals *out) {
    out->optional_null = false;
    switch (n->kind) {
    case SH_IR_LIT:
        out->v = &n->lit;
        out->n = n->lit.type == SH_NULL ? 0 : 1;
        return;
    case SH_IR_FIELD: field_values(ev, n, e, out); return;
    case SH_IR_ARITH: arith_values(ev, n, e, out); return;
    case SH_IR_NEG: neg_values(ev, n, e, out); return;
    case SH_IR_FUNC: sh_func_eval(ev, n, e, out); return;
    case SH_IR_ANYFIELD: anyfield_values(ev, e, out); return;
    default: {
        sh_tri t = sh_ir_eval(ev, n, e);
        if (t == SH_NULLT) {
            out->v = NULL;
            out->n = 0;
            return;
        }
        sh_value *b = sh_arena_alloc(&ev->scratch, sizeof *b);
        *b = sh_mk_bool(t == SH_TRUE);
        out->v = b;
        out->n = 1;
        return;
    }
    }
}

/* ------------------------------------------------------------ conditions */

static bool nullish(const sh_ir *n, const sh_vals *v) { return is_null_lit(n) || v->optional_null; }

static bool cmp_holds(uint8_t op, int c) {
    if (c == 2) return false;
    switch (op) {
    case SH_CMP_EQ: return c == 0;
    case SH_CMP_NE: return c != 0;
    case SH_CMP_LT: return c < 0;
    case SH_CMP_LE: return c <= 0;
    case SH_CMP_GT: return c > 0;
    default: return c >= 0;
    }
}

/* SH_IRF_NUMTEXT: two texts that both read as numbers compare as numbers */
static int cmp_flags(const sh_value *x, const sh_value *y, uint16_t flags) {
    if ((flags & SH_IRF_NUMTEXT) && x->type == SH_STR && y->type == SH_STR) {
        sh_value p, q;
        if (sh_parse_num(x->s, x->len, &p) && sh_parse_num(y->s, y->len, &q)) return num_cmp(&p, &q);
    }
    return sh_value_cmp(x, y, flags & SH_IRF_CI);
}

/* does value x satisfy `x op b` for some value of b */
static bool cmp_any_rhs(uint8_t op, const sh_value *x, const sh_vals *b, uint16_t flags) {
    for (uint32_t j = 0; j < b->n; j++)
        if (b->v[j].type != SH_NULL && cmp_holds(op, cmp_flags(x, &b->v[j], flags))) return true;
    return false;
}

static sh_tri eval_cmp(sh_eval *ev, const sh_ir *n, sh_event *e) {
    sh_vals a, b;
    sh_ir_values(ev, n->args[0], e, &a);
    sh_ir_values(ev, n->args[1], e, &b);
    bool an = has_nonnull(&a), bn = has_nonnull(&b);
    if (!an || !bn) {
        if (n->op != SH_CMP_EQ && n->op != SH_CMP_NE) return SH_NULLT;
        bool both = !an && !bn;
        if (both && nullish(n->args[0], &a) && nullish(n->args[1], &b))
            return n->op == SH_CMP_EQ ? SH_TRUE : SH_FALSE;
        if (n->flags & SH_IRF_NULLSAFE) return (both == (n->op == SH_CMP_EQ)) ? SH_TRUE : SH_FALSE;
        return SH_NULLT;
    }
    /* != means "no value equals" (the negation of ==), as Elasticsearch's
     * must_not term query does on arrays */
    uint8_t op = n->op == SH_CMP_NE ? SH_CMP_EQ : n->op;
    bool all = n->flags & SH_IRF_ALL, res = all;
    for (uint32_t i = 0; i < a.n; i++) {
        if (a.v[i].type == SH_NULL) continue;
        bool h = cmp_any_rhs(op, &a.v[i], &b, n->flags);
        if (all && !h) { res = false; break; }
        if (!all && h) { res = true; break; }
    }
    if (n->op == SH_CMP_NE) res = !res;
    return res ? SH_TRUE : SH_FALSE;
}

static sh_tri eval_isnull(sh_eval *ev, const sh_ir *n, sh_event *e) {
    sh_vals a;
    sh_ir_values(ev, n->args[0], e, &a);
    bool isnull = (n->flags & SH_IRF_PRESENT) ? a.n == 0 : !has_nonnull(&a);
    if (n->flags & SH_IRF_NEGATE) isnull = !isnull;
    return isnull ? SH_TRUE : SH_FALSE;
}

/* does value x equal list item k (evaluated)? sets *null when it is null */
static bool in_item(sh_eval *ev, const sh_ir *n, uint32_t k, const sh_value *x, sh_event *e, bool *null) {
    sh_vals b;
    sh_ir_values(ev, n->args[k], e, &b);
    if (!has_nonnull(&b)) {
        *null = true;
        return false;
    }
    return cmp_any_rhs(SH_CMP_EQ, x, &b, n->flags);
}

/* one value against the list: through the string set when there is one */
static bool in_one(sh_eval *ev, const sh_ir *n, const sh_value *x, sh_event *e, bool *null) {
    const sh_strset *set = n->set;
    if (set && x->type == SH_STR) {
        char buf[1024];
        size_t len = x->len;
        const char *s = (n->flags & SH_IRF_CI) ? sh_lower_tmp(ev, x->s, x->len, buf, sizeof buf, &len) : x->s;
        if (sh_strset_has(set, s, len)) return true;
        for (uint32_t i = 0; i < set->nothers; i++)
            if (in_item(ev, n, set->others[i], x, e, null)) return true;
        return false;
    }
    for (uint32_t k = 1; k < n->nargs; k++)
        if (in_item(ev, n, k, x, e, null)) return true;
    return false;
}

static sh_tri eval_in(sh_eval *ev, const sh_ir *n, sh_event *e) {
    sh_vals a;
    sh_ir_values(ev, n->args[0], e, &a);
    if (!has_nonnull(&a)) return SH_NULLT;
    bool saw_null = false, found = false;
    for (uint32_t i = 0; i < a.n && !found; i++)
        if (a.v[i].type != SH_NULL) found = in_one(ev, n, &a.v[i], e, &saw_null);
    if (!found && saw_null) return SH_NULLT;
    if (n->flags & SH_IRF_NEGATE) found = !found;
    return found ? SH_TRUE : SH_FALSE;
}

/* SH_IRF_LOWERED: the subject field's values, lower-cased once per event and
 * kept in the event as a derived field named n->ref (never printed), so the
 * rules that test one field case-insensitively fold it once, not each */
static void lowered_values(sh_eval *ev, const sh_ir *n, sh_event *e, sh_vals *out) {
    const sh_fieldref *c = n->ref;
    sh_field *f = sh_event_find(e, c->name, c->nlen, c->hash);
    if (!f) {
        sh_vals a;
        sh_ir_values(ev, n->args[0], e, &a);
        f = sh_event_field_get_or_add_interned(e, c->name, c->nlen, c->hash);   /* refs live as long as the process */
        f->derived = true;
        for (uint32_t i = 0; i < a.n; i++) {
            sh_value v = a.v[i];
            if (v.type != SH_NULL) {
                char *lo = sh_arena_alloc(&e->arena, 2 * (size_t)v.len + 1);
                size_t k = sh_utf8_lower(v.s, v.len, lo);
                lo[k] = 0;
                v = sh_value_str(lo, k);
            }
            sh_event_add_value(e, f, &v);
        }
    }
    out->v = f->vals;
    out->n = f->nvals;
    out->optional_null = false;
}

static sh_tri eval_strmatch_raw(sh_eval *ev, const sh_ir *n, sh_event *e);

/* a wildcard test's result before negation, remembered by the event under
 * the test's number (0 not known, 1 false, 2 true, 3 null) */
static sh_tri eval_strmatch(sh_eval *ev, const sh_ir *n, sh_event *e) {
    sh_tri r;
    uint32_t id = n->memo;
    if (!id || id == UINT32_MAX || e->changed) {
        r = eval_strmatch_raw(ev, n, e);
    } else {
        uint8_t *m = sh_event_memo(e, &e->lmemo, &e->nlmemo, sh_ir_memo_count(), id - 1);
        if (m && *m) {
            r = *m == 3 ? SH_NULLT : *m == 2 ? SH_TRUE : SH_FALSE;
        } else {
            r = eval_strmatch_raw(ev, n, e);
            if (m) *m = r == SH_NULLT ? 3 : r == SH_TRUE ? 2 : 1;
        }
    }
    if (r != SH_NULLT && (n->flags & SH_IRF_NEGATE)) r = r == SH_TRUE ? SH_FALSE : SH_TRUE;
    return r;
}

static sh_tri eval_strmatch_raw(sh_eval *ev, const sh_ir *n, sh_event *e) {
    sh_vals a;
    /* not once SPL's eval has changed the row's fields */
    bool lowered = (n->flags & SH_IRF_LOWERED) && !e->changed;
    if (lowered) lowered_values(ev, n, e, &a);
    else sh_ir_values(ev, n->args[0], e, &a);
    if (!has_nonnull(&a)) return SH_NULLT;
    bool all = n->flags & SH_IRF_ALL, res = all;
    for (uint32_t i = 0; i < a.n; i++) {
        const sh_value *v = &a.v[i];
        if (v->type == SH_NULL) continue;
        bool h = n->kind == SH_IR_WILDCARD
                     ? sh_wildset_match(ev, n->wild, (n->flags & SH_IRF_CI) && !lowered, v->s, v->len)
                     : sh_rxset_match(ev, n->rx, v->s, v->len) == 1;
        if (all && !h) { res = false; break; }
        if (!all && h) { res = true; break; }
    }
    return res ? SH_TRUE : SH_FALSE;
}

/* a value used as a condition: true/false booleans, null when absent */
static sh_tri eval_truth(sh_eval *ev, const sh_ir *n, sh_event *e) {
    sh_vals a;
    sh_ir_values(ev, n, e, &a);
    if (!has_nonnull(&a)) return SH_NULLT;
    for (uint32_t i = 0; i < a.n; i++)
        if (a.v[i].type != SH_NULL && sh_value_is_true(&a.v[i])) return SH_TRUE;
    return SH_FALSE;
}

sh_tri sh_ir_eval(sh_eval *ev, const sh_ir *n, sh_event *e) {
    switch (n->kind) {
    case SH_IR_AND: {
        sh_tri r = SH_TRUE;
        for (uint32_t i = 0; i < n->nargs; i++) {
            sh_tri t = sh_ir_eval(ev, n->args[i], e);
            if (t == SH_FALSE) return SH_FALSE;
            if (t == SH_NULLT) r = SH_NULLT;
        }
        return r;
    }
    case SH_IR_OR: {
        sh_tri r = SH_FALSE;
        for (uint32_t i = 0; i < n->nargs; i++) {
            sh_tri t = sh_ir_eval(ev, n->args[i], e);
            if (t == SH_TRUE) return SH_TRUE;
            if (t == SH_NULLT) r = SH_NULLT;
        }
        return r;
    }
    case SH_IR_NOT: {
        sh_tri t = sh_ir_eval(ev, n->args[0], e);
        if (n->flags & SH_IRF_TWOVALUED) return t == SH_TRUE ? SH_FALSE : SH_TRUE;
        return t == SH_NULLT ? SH_NULLT : t == SH_TRUE ? SH_FALSE : SH_TRUE;
    }
    case SH_IR_CMP: return eval_cmp(ev, n, e);
    case SH_IR_ISNULL: return eval_isnull(ev, n, e);
    case SH_IR_IN: return eval_in(ev, n, e);
    case SH_IR_WILDCARD:
    case SH_IR_REGEX: return eval_strmatch(ev, n, e);
    default: return eval_truth(ev, n, e);
    }
}

bool sh_ir_match(sh_eval *ev, const sh_ir *n, sh_event *e) {
    sh_eval_reset(ev);
    return sh_ir_eval(ev, n, e) == SH_TRUE;
}
