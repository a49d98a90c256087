/* func_spl.c: Splunk's eval functions on the shared evaluator. Each
 * function sees the whole value set of each argument, as Splunk's do with
 * multivalue fields: mvcount/mvindex/mvjoin/mvappend/mvdedup work on the set,
 * the text functions (lower, upper, len, substr, replace, trim, tostring,
 * tonumber) apply to each value, and a null argument gives null unless the
 * function is about nulls (coalesce, if, case). Conditions are evaluated
 * lazily: if() and case() evaluate only the branch they return. Text that
 * reads as a number counts as one (Splunk's fields are text). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "engine/eval_int.h"

#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const sh_spl_func spl_funcs[] = {
    {"if", SH_FN_SPL_IF, 3, 3},
    {"case", SH_FN_SPL_CASE, 2, 255},
    {"coalesce", SH_FN_SPL_COALESCE, 1, 255},
    {"lower", SH_FN_SPL_LOWER, 1, 1},
    {"upper", SH_FN_SPL_UPPER, 1, 1},
    {"len", SH_FN_SPL_LEN, 1, 1},
    {"substr", SH_FN_SPL_SUBSTR, 2, 3},
    {"replace", SH_FN_SPL_REPLACE, 3, 3},
    {"split", SH_FN_SPL_SPLIT, 2, 2},
    {"mvindex", SH_FN_SPL_MVINDEX, 2, 3},
    {"mvcount", SH_FN_SPL_MVCOUNT, 1, 1},
    {"mvjoin", SH_FN_SPL_MVJOIN, 2, 2},
    {"mvappend", SH_FN_SPL_MVAPPEND, 1, 255},
    {"mvdedup", SH_FN_SPL_MVDEDUP, 1, 1},
    {"tostring", SH_FN_SPL_TOSTRING, 1, 2},
    {"tonumber", SH_FN_SPL_TONUMBER, 1, 2},
    {"strftime", SH_FN_SPL_STRFTIME, 2, 2},
    {"strptime", SH_FN_SPL_STRPTIME, 2, 2},
    {"now", SH_FN_SPL_NOW, 0, 0},
    {"time", SH_FN_SPL_NOW, 0, 0},
    {"like", SH_FN_SPL_LIKE, 2, 2},
    {"trim", SH_FN_SPL_TRIM, 1, 2},
    {"ltrim", SH_FN_SPL_LTRIM, 1, 2},
    {"rtrim", SH_FN_SPL_RTRIM, 1, 2},
    {"abs", SH_FN_SPL_ABS, 1, 1},
    {"round", SH_FN_SPL_ROUND, 1, 2},
    {"floor", SH_FN_SPL_FLOOR, 1, 1},
    {"ceiling", SH_FN_SPL_CEIL, 1, 1},
    {"ceil", SH_FN_SPL_CEIL, 1, 1},
    {"isnum", SH_FN_SPL_ISNUM, 1, 1},
    {"isstr", SH_FN_SPL_ISSTR, 1, 1},
    {"cidrmatch", SH_FN_SPL_CIDRMATCH, 2, 2},
    {"in", SH_FN_SPL_IN, 2, 255},
};

const sh_spl_func *sh_spl_func_lookup(const char *name, size_t n) {
    for (size_t i = 0; i < sizeof spl_funcs / sizeof *spl_funcs; i++)
        if (strlen(spl_funcs[i].name) == n && memcmp(spl_funcs[i].name, name, n) == 0) return &spl_funcs[i];
    return NULL;
}

static double spl_now = -1;

void sh_spl_set_now(double t) { spl_now = t; }

/* ------------------------------------------------------------- helpers */

static const sh_value *first_nonnull(const sh_vals *v) {
    for (uint32_t i = 0; i < v->n; i++)
        if (v->v[i].type != SH_NULL) return &v->v[i];
    return NULL;
}

/* a value as a number: numbers, and text that reads as one */
static bool as_num(const sh_value *v, sh_value *out) {
    if (v->type == SH_INT || v->type == SH_FLOAT) { *out = *v; return true; }
    if (v->type == SH_STR && sh_parse_num(v->s, v->len, out)) return true;
    return false;
}

static bool as_int(const sh_value *v, int64_t *out) {
    sh_value n;
    if (!as_num(v, &n)) return false;
    if (n.type == SH_INT) {
        *out = n.i;
        return true;
    }
    /* past int64 (substr(x, 1e30)): the nearest end; NaN is no integer */
    if (n.f != n.f) return false;
    *out = n.f >= 9.2e18 ? INT64_MAX : n.f <= -9.2e18 ? INT64_MIN : (int64_t)n.f;
    return true;
}


static void push(sh_eval *ev, sh_vbuild *b, sh_value v) { sh_vb_push(ev, b, &v); }

/* Splunk's text of a value: booleans are True/False */
static sh_value text_of(const sh_value *v) {
    if (v->type == SH_BOOL) return sh_value_str(v->b ? "True" : "False", v->b ? 4 : 5);
    return sh_value_str(v->s, v->len);
}

static sh_tri cond_of(sh_eval *ev, const sh_ir *n, sh_event *e) { return sh_ir_eval(ev, n, e); }

/* SQL LIKE: % any run, _ one character; case-sensitive */
static bool like_match(const char *p, size_t pn, const char *s, size_t sn) {
    size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0;
    while (si < sn) {
        if (pi < pn && p[pi] == '%') {
            star_p = ++pi;
            star_s = si;
        } else if (pi < pn && (p[pi] == '_' || p[pi] == s[si])) {
            if (p[pi] == '_') si += sh_cp_len(s, si, sn);
            else si++;
            pi++;
        } else if (star_p != (size_t)-1) {
            pi = star_p;
            si = star_s + sh_cp_len(s, star_s, sn);
            star_s = si;
        } else {
            return false;
        }
    }
    while (pi < pn && p[pi] == '%') pi++;
    return pi == pn;
}

static sh_value trim_value(sh_eval *ev, sh_func_id id, const sh_value *v, const sh_value *chars) {
    const char *set = chars ? chars->s : " \t";
    size_t setn = chars ? chars->len : 2;
    const char *s = v->s;
    size_t n = v->len;
    if (id != SH_FN_SPL_RTRIM)
        while (n && memchr(set, *s, setn)) s++, n--;
    if (id != SH_FN_SPL_LTRIM)
        while (n && memchr(set, s[n - 1], setn)) n--;
    return sh_mk_str(ev, s, n);
}

static sh_value lower_upper(sh_eval *ev, const sh_value *v, bool upper) {
    if (!upper) {
        char *o = sh_arena_alloc(&ev->scratch, 2 * (size_t)v->len + 1);
        size_t k = sh_utf8_lower(v->s, v->len, o);
        o[k] = 0;
        return sh_value_str(o, k);
    }
    char *o = sh_arena_alloc(&ev->scratch, (size_t)v->len + 1);
    for (uint32_t i = 0; i < v->len; i++) {
        char c = v->s[i];
        o[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    o[v->len] = 0;
    return sh_value_str(o, v->len);
}

/* substr(X, start[, length]): 1-based; a negative start counts from the end */
static bool substr_value(sh_eval *ev, const sh_value *v, int64_t st, bool haslen, int64_t len, sh_value *r) {
    int64_t chars = (int64_t)sh_cp_count(v->s, v->len);
    int64_t from = st > 0 ? st - 1 : st < 0 ? chars + st : 0;
    if (from < 0) from = 0;
    if (from > chars) from = chars;
    int64_t to = !haslen ? chars : len < 0 ? from : len > chars - from ? chars : from + len;
    if (to > chars) to = chars;
    size_t b0 = sh_cp_offset(v->s, v->len, (size_t)from), b1 = sh_cp_offset(v->s, v->len, (size_t)to);
    *r = sh_mk_str(ev, v->s + b0, b1 > b0 ? b1 - b0 : 0);
    return true;
}

static bool replace_value(sh_eval *ev, const sh_ir *n, const sh_value *v, sh_value *r) {
    if (!n->rx || !n->rx->n) return false;
    pcre2_code *code = n->rx->codes[0];
    const sh_value *repl = &n->args[2]->lit;
    PCRE2_SIZE outlen = (PCRE2_SIZE)v->len * 2 + repl->len + 64;
    for (int attempt = 0; attempt < 2; attempt++) {
        PCRE2_UCHAR *out = sh_arena_alloc(&ev->scratch, outlen + 1);
        PCRE2_SIZE got = outlen + 1;
        int rc = pcre2_substitute(code, (PCRE2_SPTR)v->s, v->len, 0,
                                  PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH, NULL,
                                  ev->mctx, (PCRE2_SPTR)repl->s, repl->len, out, &got);
        if (rc >= 0) {
            *r = sh_value_str((const char *)out, got);
            return true;
        }
        if (rc != PCRE2_ERROR_NOMEMORY || got > (1u << 26)) return false;
        outlen = got;
    }
    return false;
}

/* strftime(epoch, format) in UTC; %s, %Nq (fractions: %3N %6N %9N, %N = %9N) handled here */
static bool strftime_value(sh_eval *ev, const sh_value *t, const sh_value *fmt, sh_value *r) {
    sh_value num;
    if (!as_num(t, &num)) return false;
    double secs = sh_value_num(&num);
    if (!isfinite(secs) || secs < -62135596800.0 || secs > 253402300799.0) return false;
    double fl = floor(secs);
    time_t tt = (time_t)fl;
    double frac = secs - fl;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) return false;
    sh_buf out = {0};
    char tmp[256];
    for (uint32_t i = 0; i < fmt->len; i++) {
        char c = fmt->s[i];
        if (c != '%' || i + 1 >= fmt->len) { sh_buf_putc(&out, c); continue; }
        char d = fmt->s[i + 1];
        int digits = -1;
        if (d >= '1' && d <= '9' && i + 2 < fmt->len && fmt->s[i + 2] == 'N') { digits = d - '0'; i += 2; }
        else if (d == 'N') { digits = 9; i += 1; }
        else if (d == 'Q') { digits = 3; i += 1; }
        if (digits > 0) {
            long long v = llround(frac * 1e6) * 1000; /* microseconds: epoch doubles hold no more */
            if (v > 999999999) v = 999999999;
            if (v < 0) v = 0;
            char f[24];
            snprintf(f, sizeof f, "%09lld", v);
            sh_buf_put(&out, f, (size_t)digits);
            continue;
        }
        if (d == 's') {
            sh_buf_printf(&out, "%lld", (long long)tt);
            i++;
            continue;
        }
        char spec[3] = {'%', d, 0};
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        size_t k = strftime(tmp, sizeof tmp, spec, &tm); /* one conversion, from the rule's format */
#pragma GCC diagnostic pop
        sh_buf_put(&out, tmp, k);
        i++;
    }
    *r = sh_mk_str(ev, out.data ? out.data : "", out.len);
    sh_buf_free(&out);
    return true;
}

/* strptime(text, format) for the common numeric formats (%Y %m %d %H %M %S,
 * fractions %3N %6N %9N %N %Q, literal characters); UTC */
static bool strptime_value(sh_eval *ev, const sh_value *s, const sh_value *fmt, sh_value *r) {
    int Y = 1970, m = 1, d = 1, H = 0, M = 0, S = 0;
    double frac = 0;
    size_t i = 0;
    for (uint32_t k = 0; k < fmt->len; k++) {
        char c = fmt->s[k];
        if (c != '%' || k + 1 >= fmt->len) {
            if (i >= s->len || s->s[i] != c) return false;
            i++;
            continue;
        }
        char spec = fmt->s[++k];
        int width = 2;
        if (spec >= '1' && spec <= '9' && k + 1 < fmt->len && fmt->s[k + 1] == 'N') { width = spec - '0'; spec = 'N'; k++; }
        else if (spec == 'N') width = 9;
        else if (spec == 'Q') { width = 3; spec = 'N'; }
        else if (spec == 'Y') width = 4;
        long v = 0;
        int got = 0;
        while (got < width && i < s->len && s->s[i] >= '0' && s->s[i] <= '9') v = v * 10 + (s->s[i++] - '0'), got++;
        if (!got) return false;
        switch (spec) {
        case 'Y': Y = (int)v; break;
        case 'm': m = (int)v; break;
        case 'd': d = (int)v; break;
        case 'H': H = (int)v; break;
        case 'M': M = (int)v; break;
        case 'S': S = (int)v; break;
        case 'N': frac = (double)v / pow(10, got); break;
        default: return false;
        }
    }
    if (i != s->len || m < 1 || m > 12 || d < 1 || d > 31) return false;
    /* days from civil (proleptic Gregorian) */
    int y = Y - (m <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    double days = (double)era * 146097 + doe - 719468;
    double t = days * 86400 + H * 3600 + M * 60 + S + frac;
    *r = frac != 0 ? sh_mk_float(ev, t) : sh_mk_int(ev, (int64_t)t);
    return true;
}

static bool tostring_value(sh_eval *ev, const sh_value *v, const sh_value *how, sh_value *r) {
    if (!how) {
        *r = text_of(v);
        return true;
    }
    sh_value num;
    if (!as_num(v, &num)) { *r = text_of(v); return true; }
    char tmp[64];
    if (how->len == 3 && memcmp(how->s, "hex", 3) == 0) {
        snprintf(tmp, sizeof tmp, "0x%llX", (unsigned long long)(num.type == SH_INT ? num.i : (int64_t)num.f));
    } else if (how->len == 8 && memcmp(how->s, "duration", 8) == 0) {
        long long s = (long long)sh_value_num(&num);
        long long days = s / 86400;
        s %= 86400;
        if (days) snprintf(tmp, sizeof tmp, "%lld+%02lld:%02lld:%02lld", days, s / 3600, s / 60 % 60, s % 60);
        else snprintf(tmp, sizeof tmp, "%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    } else if (how->len == 6 && memcmp(how->s, "commas", 6) == 0) {
        double x = sh_value_num(&num);
        char digits[40];
        snprintf(digits, sizeof digits, "%.0f", fabs(x));
        size_t dn = strlen(digits), o = 0;
        if (x < 0) tmp[o++] = '-';
        for (size_t i = 0; i < dn; i++) {
            if (i && (dn - i) % 3 == 0) tmp[o++] = ',';
            tmp[o++] = digits[i];
        }
        tmp[o] = 0;
    } else {
        *r = text_of(v);
        return true;
    }
    *r = sh_mk_str(ev, tmp, strlen(tmp));
    return true;
}

static bool tonumber_value(sh_eval *ev, const sh_value *v, int64_t base, sh_value *r) {
    if (base == 10) {
        sh_value n;
        if (!as_num(v, &n)) return false;
        *r = n.type == SH_INT ? sh_mk_int(ev, n.i) : sh_mk_float(ev, n.f);
        return true;
    }
    if (v->type != SH_STR || base < 2 || base > 36) return false;
    const char *s = v->s;
    size_t n = v->len;
    if (base == 16 && n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2, n -= 2;
    int64_t i;
    if (!sh_parse_int(s, n, (int)base, &i)) return false;
    *r = sh_mk_int(ev, i);
    return true;
}

static bool round_value(sh_eval *ev, sh_func_id id, const sh_value *v, int64_t digits, sh_value *r) {
    sh_value n;
    if (!as_num(v, &n)) return false;
    if (n.type == SH_INT && id != SH_FN_SPL_ABS) { *r = sh_mk_int(ev, n.i); return true; }
    double x = sh_value_num(&n), y;
    switch (id) {
    case SH_FN_SPL_ABS:
        if (n.type == SH_INT && n.i != INT64_MIN) { *r = sh_mk_int(ev, n.i < 0 ? -n.i : n.i); return true; }
        *r = sh_mk_float(ev, fabs(x));
        return true;
    case SH_FN_SPL_FLOOR: y = floor(x); break;
    case SH_FN_SPL_CEIL: y = ceil(x); break;
    default:
        if (digits > 0) {
            double p = pow(10, (double)(digits > 15 ? 15 : digits));
            *r = sh_mk_float(ev, round(x * p) / p);
            return true;
        }
        y = round(x);
        break;
    }
    if (fabs(y) < 9e18) *r = sh_mk_int(ev, (int64_t)y);
    else *r = sh_mk_float(ev, y);
    return true;
}

static bool same_value(const sh_value *a, const sh_value *b) {
    sh_value p, q;
    if (as_num(a, &p) && as_num(b, &q)) return sh_value_num(&p) == sh_value_num(&q);
    return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

/* ---------------------------------------------------------------- eval */

void sh_spl_func_eval(sh_eval *ev, const sh_ir *n, sh_event *e, sh_vals *out) {
    sh_vbuild vb = {0};
    sh_vals a = {0}, b = {0}, c = {0};
    const sh_value *x, *y;
    sh_value r;
    uint32_t na = n->nargs;
    switch ((sh_func_id)n->op) {
    case SH_FN_SPL_IF: {
        sh_tri t = cond_of(ev, n->args[0], e);
        sh_ir_values(ev, n->args[t == SH_TRUE ? 1 : 2], e, out);
        return;
    }
    case SH_FN_SPL_CASE:
        for (uint32_t i = 0; i + 1 < na; i += 2)
            if (cond_of(ev, n->args[i], e) == SH_TRUE) {
                sh_ir_values(ev, n->args[i + 1], e, out);
                return;
            }
        break;
    case SH_FN_SPL_COALESCE:
        for (uint32_t i = 0; i < na; i++) {
            sh_ir_values(ev, n->args[i], e, &a);
            if (first_nonnull(&a)) {
                *out = a;
                return;
            }
        }
        break;
    case SH_FN_SPL_LOWER:
    case SH_FN_SPL_UPPER:
    case SH_FN_SPL_LEN:
    case SH_FN_SPL_TRIM:
    case SH_FN_SPL_LTRIM:
    case SH_FN_SPL_RTRIM:
    case SH_FN_SPL_TOSTRING:
    case SH_FN_SPL_REPLACE:
    case SH_FN_SPL_SUBSTR:
    case SH_FN_SPL_TONUMBER:
    case SH_FN_SPL_ABS:
    case SH_FN_SPL_ROUND:
    case SH_FN_SPL_FLOOR:
    case SH_FN_SPL_CEIL: {
        /* one result per value of the first argument */
        sh_ir_values(ev, n->args[0], e, &a);
        const sh_value *extra = NULL, *extra2 = NULL;
        if (na > 1 && n->op != SH_FN_SPL_REPLACE) {
            sh_ir_values(ev, n->args[1], e, &b);
            extra = first_nonnull(&b);
            if (!extra) break;
        }
        if (na > 2 && n->op == SH_FN_SPL_SUBSTR) {
            sh_ir_values(ev, n->args[2], e, &c);
            extra2 = first_nonnull(&c);
            if (!extra2) break;
        }
        int64_t i1 = 0, i2 = 0;
        if (n->op == SH_FN_SPL_SUBSTR && (!as_int(extra, &i1) || (extra2 && !as_int(extra2, &i2)))) break;
        if (n->op == SH_FN_SPL_TONUMBER) { i1 = 10; if (extra && !as_int(extra, &i1)) break; }
        if (n->op == SH_FN_SPL_ROUND && extra && !as_int(extra, &i1)) break;
        for (uint32_t i = 0; i < a.n; i++) {
            x = &a.v[i];
            if (x->type == SH_NULL) continue;
            sh_value t = text_of(x);
            bool ok = true;
            switch ((sh_func_id)n->op) {
            case SH_FN_SPL_LOWER: r = lower_upper(ev, &t, false); break;
            case SH_FN_SPL_UPPER: r = lower_upper(ev, &t, true); break;
            case SH_FN_SPL_LEN: r = sh_mk_int(ev, (int64_t)sh_cp_count(t.s, t.len)); break;
            case SH_FN_SPL_TRIM:
            case SH_FN_SPL_LTRIM:
            case SH_FN_SPL_RTRIM: r = trim_value(ev, (sh_func_id)n->op, &t, extra); break;
            case SH_FN_SPL_TOSTRING: ok = tostring_value(ev, x, extra, &r); break;
            case SH_FN_SPL_REPLACE: ok = replace_value(ev, n, &t, &r); break;
            case SH_FN_SPL_SUBSTR: ok = substr_value(ev, &t, i1, extra2 != NULL, i2, &r); break;
            case SH_FN_SPL_TONUMBER: ok = tonumber_value(ev, x, i1, &r); break;
            default: ok = round_value(ev, (sh_func_id)n->op, x, i1, &r); break;
            }
            if (ok) push(ev, &vb, r);
        }
        break;
    }
    case SH_FN_SPL_SPLIT:
        sh_ir_values(ev, n->args[0], e, &a);
        sh_ir_values(ev, n->args[1], e, &b);
        x = first_nonnull(&a);
        y = first_nonnull(&b);
        if (!x || !y) break;
        if (y->len == 0) {
            for (size_t i = 0; i < x->len; i += sh_cp_len(x->s, i, x->len))
                push(ev, &vb, sh_mk_str(ev, x->s + i, sh_cp_len(x->s, i, x->len)));
            break;
        }
        for (size_t i = 0;;) {
            const char *hit = y->len <= x->len - i ? memmem(x->s + i, x->len - i, y->s, y->len) : NULL;
            size_t end = hit ? (size_t)(hit - x->s) : x->len;
            push(ev, &vb, sh_mk_str(ev, x->s + i, end - i));
            if (!hit) break;
            i = end + y->len;
        }
        break;
    case SH_FN_SPL_MVINDEX: {
        sh_ir_values(ev, n->args[0], e, &a);
        sh_ir_values(ev, n->args[1], e, &b);
        int64_t st, en;
        if (!a.n || !first_nonnull(&b) || !as_int(first_nonnull(&b), &st)) break;
        int64_t cnt = a.n;
        if (st < 0) st += cnt;
        en = st;
        if (na > 2) {
            sh_ir_values(ev, n->args[2], e, &c);
            if (!first_nonnull(&c) || !as_int(first_nonnull(&c), &en)) break;
            if (en < 0) en += cnt;
        }
        if (st < 0 || st >= cnt) break;
        if (en >= cnt) en = cnt - 1;
        for (int64_t i = st; i <= en; i++) push(ev, &vb, a.v[i]);
        break;
    }
    case SH_FN_SPL_MVCOUNT:
        sh_ir_values(ev, n->args[0], e, &a);
        if (a.n) push(ev, &vb, sh_mk_int(ev, a.n));
        break;
    case SH_FN_SPL_MVJOIN: {
        sh_ir_values(ev, n->args[0], e, &a);
        sh_ir_values(ev, n->args[1], e, &b);
        y = first_nonnull(&b);
        if (!a.n || !y) break;
        sh_buf buf = {0};
        for (uint32_t i = 0; i < a.n; i++) {
            if (i) sh_buf_put(&buf, y->s, y->len);
            sh_value t = text_of(&a.v[i]);
            sh_buf_put(&buf, t.s, t.len);
        }
        push(ev, &vb, sh_mk_str(ev, buf.data ? buf.data : "", buf.len));
        sh_buf_free(&buf);
        break;
    }
    case SH_FN_SPL_MVAPPEND:
        for (uint32_t k = 0; k < na; k++) {
            sh_ir_values(ev, n->args[k], e, &a);
            for (uint32_t i = 0; i < a.n; i++)
                if (a.v[i].type != SH_NULL) push(ev, &vb, a.v[i]);
        }
        break;
    case SH_FN_SPL_MVDEDUP:
        sh_ir_values(ev, n->args[0], e, &a);
        for (uint32_t i = 0; i < a.n; i++) {
            bool seen = false;
            for (uint32_t k = 0; k < vb.n && !seen; k++) seen = same_value(&vb.v[k], &a.v[i]);
            if (!seen && a.v[i].type != SH_NULL) push(ev, &vb, a.v[i]);
        }
        break;
    case SH_FN_SPL_STRFTIME:
    case SH_FN_SPL_STRPTIME:
        sh_ir_values(ev, n->args[0], e, &a);
        sh_ir_values(ev, n->args[1], e, &b);
        x = first_nonnull(&a);
        y = first_nonnull(&b);
        if (!x || !y) break;
        if (n->op == SH_FN_SPL_STRFTIME ? strftime_value(ev, x, y, &r) : strptime_value(ev, x, y, &r))
            push(ev, &vb, r);
        break;
    case SH_FN_SPL_NOW: {
        double t = spl_now >= 0 ? spl_now : (double)time(NULL);
        push(ev, &vb, sh_mk_int(ev, (int64_t)t));
        break;
    }
    case SH_FN_SPL_LIKE:
        sh_ir_values(ev, n->args[0], e, &a);
        sh_ir_values(ev, n->args[1], e, &b);
        y = first_nonnull(&b);
        if (!first_nonnull(&a) || !y) break;
        {
            bool hit = false;
            for (uint32_t i = 0; i < a.n && !hit; i++) {
                if (a.v[i].type == SH_NULL) continue;
                sh_value t = text_of(&a.v[i]);
                hit = like_match(y->s, y->len, t.s, t.len);
            }
            push(ev, &vb, sh_mk_bool(hit));
        }
        break;
    case SH_FN_SPL_PLUS:
    case SH_FN_SPL_CONCAT:
        sh_ir_values(ev, n->args[0], e, &a);
        sh_ir_values(ev, n->args[1], e, &b);
        x = first_nonnull(&a);
        y = first_nonnull(&b);
        if (!x || !y) break;
        if (n->op == SH_FN_SPL_PLUS) {
            sh_value p, q;
            if (as_num(x, &p) && as_num(y, &q)) {
                if (sh_arith(ev, SH_ADD, &p, &q, &r)) push(ev, &vb, r);
                break;
            }
            if (x->type != SH_STR || y->type != SH_STR) break;
        }
        {
            sh_value tx = text_of(x), ty = text_of(y);
            char *o = sh_arena_alloc(&ev->scratch, (size_t)tx.len + ty.len + 1);
            memcpy(o, tx.s, tx.len);
            memcpy(o + tx.len, ty.s, ty.len);
            o[tx.len + ty.len] = 0;
            push(ev, &vb, sh_value_str(o, (size_t)tx.len + ty.len));
        }
        break;
    case SH_FN_SPL_ISNUM:
    case SH_FN_SPL_ISSTR: {
        sh_ir_values(ev, n->args[0], e, &a);
        x = first_nonnull(&a);
        sh_value p;
        bool num = x && as_num(x, &p);
        push(ev, &vb, sh_mk_bool(n->op == SH_FN_SPL_ISNUM ? num : (x && !num && x->type == SH_STR)));
        break;
    }
    case SH_FN_SPL_CIDRMATCH: {
        sh_ir_values(ev, n->args[0], e, &a);
        sh_ir_values(ev, n->args[1], e, &b);
        x = first_nonnull(&a);
        y = first_nonnull(&b);
        if (!x || !y) break;
        sh_cidr blk;
        uint8_t addr[16];
        bool v6;
        bool hit = sh_cidr_parse(x->s, x->len, &blk) && sh_ip_parse(y->s, y->len, addr, &v6) &&
                   sh_cidr_contains(&blk, addr, v6);
        push(ev, &vb, sh_mk_bool(hit));
        break;
    }
    case SH_FN_SPL_IN: {
        sh_ir_values(ev, n->args[0], e, &a);
        if (!first_nonnull(&a)) break;
        bool hit = false;
        for (uint32_t k = 1; k < na && !hit; k++) {
            sh_ir_values(ev, n->args[k], e, &b);
            for (uint32_t i = 0; i < a.n && !hit; i++)
                for (uint32_t j = 0; j < b.n && !hit; j++)
                    hit = a.v[i].type != SH_NULL && b.v[j].type != SH_NULL && same_value(&a.v[i], &b.v[j]);
        }
        push(ev, &vb, sh_mk_bool(hit));
        break;
    }
    default: break;
    }
    sh_vb_done(&vb, out);
}
