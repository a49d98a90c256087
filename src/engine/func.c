/* func.c: the function library of the intermediate form: Elasticsearch
 * EQL's functions (add, between, cidrMatch, concat, divide, endsWith,
 * indexOf, length, modulo, multiply, number, startsWith, string,
 * stringContains, substring, subtract), with case-insensitive variants
 * selected by SH_IRF_CI. A null argument gives null unless a function says
 * otherwise. Multi-valued arguments are applied value by value and the call
 * yields every result (so `startsWith(process.args, "-e")` holds when any
 * argument does). Positions and lengths count code points. */
#include "engine/eval_int.h"

#include <string.h>

static const sh_func_info funcs[SH_FN_COUNT_] = {
    {"add", SH_FN_ADD, 2, 2, false},
    {"between", SH_FN_BETWEEN, 3, 4, true},
    {"cidrMatch", SH_FN_CIDRMATCH, 2, 255, false},
    {"concat", SH_FN_CONCAT, 1, 255, false},
    {"divide", SH_FN_DIVIDE, 2, 2, false},
    {"endsWith", SH_FN_ENDSWITH, 2, 2, true},
    {"indexOf", SH_FN_INDEXOF, 2, 3, true},
    {"length", SH_FN_LENGTH, 1, 1, false},
    {"modulo", SH_FN_MODULO, 2, 2, false},
    {"multiply", SH_FN_MULTIPLY, 2, 2, false},
    {"number", SH_FN_NUMBER, 1, 2, false},
    {"startsWith", SH_FN_STARTSWITH, 2, 2, true},
    {"string", SH_FN_STRING, 1, 1, false},
    {"stringContains", SH_FN_STRINGCONTAINS, 2, 2, true},
    {"substring", SH_FN_SUBSTRING, 2, 3, false},
    {"subtract", SH_FN_SUBTRACT, 2, 2, false},
    {"sigma:timepart", SH_FN_TIMEPART, 2, 2, false},
    {"spl:if", SH_FN_SPL_IF, 3, 3, false},
    {"spl:case", SH_FN_SPL_CASE, 2, 255, false},
    {"spl:coalesce", SH_FN_SPL_COALESCE, 1, 255, false},
    {"spl:lower", SH_FN_SPL_LOWER, 1, 1, false},
    {"spl:upper", SH_FN_SPL_UPPER, 1, 1, false},
    {"spl:len", SH_FN_SPL_LEN, 1, 1, false},
    {"spl:substr", SH_FN_SPL_SUBSTR, 2, 3, false},
    {"spl:replace", SH_FN_SPL_REPLACE, 3, 3, false},
    {"spl:split", SH_FN_SPL_SPLIT, 2, 2, false},
    {"spl:mvindex", SH_FN_SPL_MVINDEX, 2, 3, false},
    {"spl:mvcount", SH_FN_SPL_MVCOUNT, 1, 1, false},
    {"spl:mvjoin", SH_FN_SPL_MVJOIN, 2, 2, false},
    {"spl:mvappend", SH_FN_SPL_MVAPPEND, 1, 255, false},
    {"spl:tostring", SH_FN_SPL_TOSTRING, 1, 2, false},
    {"spl:tonumber", SH_FN_SPL_TONUMBER, 1, 2, false},
    {"spl:strftime", SH_FN_SPL_STRFTIME, 2, 2, false},
    {"spl:now", SH_FN_SPL_NOW, 0, 0, false},
    {"spl:like", SH_FN_SPL_LIKE, 2, 2, false},
    {"spl:plus", SH_FN_SPL_PLUS, 2, 2, false},
    {"spl:concat", SH_FN_SPL_CONCAT, 2, 2, false},
    {"spl:trim", SH_FN_SPL_TRIM, 1, 2, false},
    {"spl:ltrim", SH_FN_SPL_LTRIM, 1, 2, false},
    {"spl:rtrim", SH_FN_SPL_RTRIM, 1, 2, false},
    {"spl:abs", SH_FN_SPL_ABS, 1, 1, false},
    {"spl:round", SH_FN_SPL_ROUND, 1, 2, false},
    {"spl:floor", SH_FN_SPL_FLOOR, 1, 1, false},
    {"spl:ceiling", SH_FN_SPL_CEIL, 1, 1, false},
    {"spl:isnum", SH_FN_SPL_ISNUM, 1, 1, false},
    {"spl:isstr", SH_FN_SPL_ISSTR, 1, 1, false},
    {"spl:cidrmatch", SH_FN_SPL_CIDRMATCH, 2, 2, false},
    {"spl:in", SH_FN_SPL_IN, 2, 255, false},
    {"spl:mvdedup", SH_FN_SPL_MVDEDUP, 1, 1, false},
    {"spl:strptime", SH_FN_SPL_STRPTIME, 2, 2, false},
};

const sh_func_info *sh_func_lookup(const char *name, size_t n) {
    for (int i = 0; i < SH_FN_COUNT_; i++)
        if (strlen(funcs[i].name) == n && sh_memieq(funcs[i].name, n, name, n)) return &funcs[i];
    return NULL;
}

const sh_func_info *sh_func_info_of(sh_func_id id) { return &funcs[id]; }

/* ------------------------------------------------------------ text tools */


/* does needle match s at byte i? returns the bytes of s it spans, or -1 */
static long match_at(const char *s, size_t n, size_t i, const char *p, size_t pn, bool ci) {
    if (!ci) return (n - i >= pn && memcmp(s + i, p, pn) == 0) ? (long)pn : -1;
    size_t j = 0, k = i;
    while (j < pn) {
        if (k >= n) return -1;
        size_t a = sh_cp_len(s, k, n), b = sh_cp_len(p, j, pn);
        if (!sh_memieq(s + k, a, p + j, b)) return -1;
        k += a;
        j += b;
    }
    return (long)(k - i);
}

/* first (or last) occurrence of p in s at or after byte from */
static long find(const char *s, size_t n, const char *p, size_t pn, size_t from, bool ci, bool last,
                 size_t *mlen) {
    long found = -1;
    for (size_t i = from; i <= n; i += (i < n ? sh_cp_len(s, i, n) : 1)) {
        long m = match_at(s, n, i, p, pn, ci);
        if (m >= 0) {
            found = (long)i;
            *mlen = (size_t)m;
            if (!last) break;
        }
        if (i == n) break;
    }
    return found;
}

/* ------------------------------------------------------------- functions */

static bool all_str_args(const sh_value *a, int n) {
    for (int i = 0; i < n; i++)
        if (a[i].type == SH_NULL) return false;
    return true;
}

static bool fn_between(sh_eval *ev, bool ci, const sh_value *a, uint32_t na, sh_value *r) {
    if (!all_str_args(a, 3)) return false;
    bool greedy = na > 3 && sh_value_is_true(&a[3]);
    const char *s = a[0].s;
    size_t n = a[0].len, ml = 0;
    *r = sh_value_str("", 0);
    long l = find(s, n, a[1].s, a[1].len, 0, ci, false, &ml);
    if (l < 0) return true;
    size_t from = (size_t)l + ml, rl = 0;
    long rpos = find(s, n, a[2].s, a[2].len, from, ci, greedy, &rl);
    if (rpos < 0) return true;
    *r = sh_mk_str(ev, s + from, (size_t)rpos - from);
    return true;
}

static bool fn_cidr(const sh_ir *node, const sh_value *a, sh_value *r) {
    if (a[0].type == SH_NULL) return false;
    uint8_t addr[16];
    bool v6;
    bool ok = sh_ip_parse(a[0].s, a[0].len, addr, &v6), hit = false;
    for (uint32_t i = 0; ok && i < node->ncidrs && !hit; i++) hit = sh_cidr_contains(&node->cidrs[i], addr, v6);
    *r = sh_mk_bool(hit);
    return true;
}

static bool fn_concat(sh_eval *ev, const sh_value *a, uint32_t na, sh_value *r) {
    size_t total = 0;
    for (uint32_t i = 0; i < na; i++) {
        if (a[i].type == SH_NULL) return false;
        total += a[i].len;
    }
    char *out = sh_arena_alloc(&ev->scratch, total + 1);
    size_t o = 0;
    for (uint32_t i = 0; i < na; i++) {
        memcpy(out + o, a[i].s, a[i].len);
        o += a[i].len;
    }
    out[o] = 0;
    *r = sh_value_str(out, o);
    return true;
}

/* starts/ends/contains, lowering both sides when case-insensitive */
static bool fn_affix(sh_eval *ev, sh_func_id id, bool ci, const sh_value *a, sh_value *r) {
    if (!all_str_args(a, 2)) return false;
    const char *s = a[0].s, *p = a[1].s;
    size_t n = a[0].len, pn = a[1].len;
    if (ci) {
        char b1[512], b2[512];
        s = sh_lower_tmp(ev, s, n, b1, sizeof b1, &n);
        p = sh_lower_tmp(ev, p, pn, b2, sizeof b2, &pn);
        bool res = id == SH_FN_STARTSWITH ? (n >= pn && memcmp(s, p, pn) == 0)
                   : id == SH_FN_ENDSWITH ? (n >= pn && memcmp(s + n - pn, p, pn) == 0)
                                          : (pn == 0 || memmem(s, n, p, pn) != NULL);
        *r = sh_mk_bool(res);
        return true;
    }
    bool res = id == SH_FN_STARTSWITH ? (n >= pn && memcmp(s, p, pn) == 0)
               : id == SH_FN_ENDSWITH ? (n >= pn && memcmp(s + n - pn, p, pn) == 0)
                                      : (pn == 0 || memmem(s, n, p, pn) != NULL);
    *r = sh_mk_bool(res);
    return true;
}

static bool int_arg(const sh_value *v, int64_t *out) {
    if (v->type == SH_INT) { *out = v->i; return true; }
    if (v->type == SH_FLOAT) { *out = (int64_t)v->f; return true; }
    return false;
}

static bool fn_indexof(sh_eval *ev, bool ci, const sh_value *a, uint32_t na, sh_value *r) {
    if (!all_str_args(a, 2)) return false;
    int64_t start = 0;
    if (na > 2 && !int_arg(&a[2], &start)) return false;
    if (start < 0) start = 0;
    size_t chars = sh_cp_count(a[0].s, a[0].len);
    if ((uint64_t)start > chars) return false;
    size_t from = sh_cp_offset(a[0].s, a[0].len, (size_t)start), ml;
    long pos = find(a[0].s, a[0].len, a[1].s, a[1].len, from, ci, false, &ml);
    if (pos < 0) return false;
    *r = sh_mk_int(ev, (int64_t)sh_cp_count(a[0].s, (size_t)pos));
    return true;
}

static bool fn_number(sh_eval *ev, const sh_value *a, uint32_t na, sh_value *r) {
    if (a[0].type == SH_NULL) return false;
    if (sh_value_is_num(&a[0])) { *r = a[0]; return true; }
    const char *s = a[0].s;
    size_t n = a[0].len;
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    int64_t base = 10;
    if (na > 1 && a[1].type != SH_NULL && !int_arg(&a[1], &base)) return false;
    char tmp[80];
    size_t k = 0;
    if (n >= 2 && n < sizeof tmp) {
        /* "0x" prefix (after a sign) means hexadecimal */
        size_t sg = (s[0] == '+' || s[0] == '-') ? 1 : 0;
        if (n > sg + 2 && s[sg] == '0' && (s[sg + 1] == 'x' || s[sg + 1] == 'X') && (base == 10 || base == 16) &&
            !(na > 1 && a[1].type != SH_NULL && base != 16)) {
            if (sg) tmp[k++] = s[0];
            memcpy(tmp + k, s + sg + 2, n - sg - 2);
            k += n - sg - 2;
            s = tmp;
            n = k;
            base = 16;
        }
    }
    if (base < 2 || base > 36) return false;
    int64_t i;
    if (sh_parse_int(s, n, (int)base, &i)) { *r = sh_mk_int(ev, i); return true; }
    sh_value f;
    if (base == 10 && sh_parse_num(s, n, &f)) {
        *r = f.type == SH_INT ? sh_mk_int(ev, f.i) : sh_mk_float(ev, f.f);
        return true;
    }
    return false;
}

static bool fn_substring(sh_eval *ev, const sh_value *a, uint32_t na, sh_value *r) {
    if (a[0].type == SH_NULL) return false;
    int64_t len = (int64_t)sh_cp_count(a[0].s, a[0].len), st, en = len;
    if (!int_arg(&a[1], &st)) return false;
    if (na > 2 && a[2].type != SH_NULL && !int_arg(&a[2], &en)) return false;
    if (st < 0) st = st + len < 0 ? 0 : st + len;
    if (en < 0) en = en + len < 0 ? 0 : en + len;
    if (st > len) st = len;
    if (en > len) en = len;
    if (st >= en) { *r = sh_value_str("", 0); return true; }
    size_t b0 = sh_cp_offset(a[0].s, a[0].len, (size_t)st), b1 = sh_cp_offset(a[0].s, a[0].len, (size_t)en);
    *r = sh_mk_str(ev, a[0].s + b0, b1 - b0);
    return true;
}

/* civil date of a day count since 1970-01-01 (proleptic Gregorian) */
static void civil_of(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* ISO 8601 week number (1..53) of a day count since 1970-01-01 */
static int iso_week(int64_t days) {
    int wd = (int)(((days % 7) + 7 + 3) % 7);        /* 0 Monday .. 6 Sunday */
    int64_t thursday = days - wd + 3;                   /* the week's Thursday decides its year */
    int64_t y;
    int m, d;
    civil_of(thursday, &y, &m, &d);
    /* day of the year of that Thursday, 0-based */
    static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int yday = before[m - 1] + d - 1 + (leap && m > 2);
    return yday / 7 + 1;
}

/* Sigma's time modifiers: a part of a date-time value (text, or a number
 * read as epoch milliseconds), in UTC */
static bool fn_timepart(sh_eval *ev, const sh_value *a, sh_value *r) {
    int64_t unit;
    if (a[0].type == SH_NULL || !int_arg(&a[1], &unit)) return false;
    int64_t ts;
    if (sh_value_is_num(&a[0])) ts = (int64_t)(sh_value_num(&a[0]) * 1e6);
    else ts = sh_parse_time(a[0].s, a[0].len);
    if (ts == SH_TS_NONE) return false;
    int64_t secs = ts / 1000000000 - (ts % 1000000000 < 0);
    int64_t days = secs / 86400 - (secs % 86400 < 0);
    int64_t sod = secs - days * 86400, y;
    int m, d;
    civil_of(days, &y, &m, &d);
    int64_t v;
    switch (unit) {
    case 0: v = sod / 60 % 60; break;
    case 1: v = sod / 3600; break;
    case 2: v = d; break;
    case 3: v = iso_week(days); break;
    case 4: v = m; break;
    default: v = y; break;
    }
    *r = sh_mk_int(ev, v);
    return true;
}

static const uint8_t arith_of[SH_FN_COUNT_] = {
    [SH_FN_ADD] = SH_ADD, [SH_FN_SUBTRACT] = SH_SUB, [SH_FN_MULTIPLY] = SH_MUL,
    [SH_FN_DIVIDE] = SH_DIV, [SH_FN_MODULO] = SH_MOD,
};

/* one call with one value per argument; false means the result is null */
static bool call_one(sh_eval *ev, const sh_ir *n, const sh_value *a, uint32_t na, sh_value *r) {
    bool ci = n->flags & SH_IRF_CI;
    switch (n->op) {
    case SH_FN_ADD:
    case SH_FN_SUBTRACT:
    case SH_FN_MULTIPLY:
    case SH_FN_DIVIDE:
    case SH_FN_MODULO: return sh_arith(ev, arith_of[n->op], &a[0], &a[1], r);
    case SH_FN_BETWEEN: return fn_between(ev, ci, a, na, r);
    case SH_FN_CIDRMATCH: return fn_cidr(n, a, r);
    case SH_FN_CONCAT: return fn_concat(ev, a, na, r);
    case SH_FN_ENDSWITH:
    case SH_FN_STARTSWITH:
    case SH_FN_STRINGCONTAINS: return fn_affix(ev, (sh_func_id)n->op, ci, a, r);
    case SH_FN_INDEXOF: return fn_indexof(ev, ci, a, na, r);
    case SH_FN_LENGTH:
        if (a[0].type == SH_NULL) return false;
        *r = sh_mk_int(ev, (int64_t)sh_cp_count(a[0].s, a[0].len));
        return true;
    case SH_FN_NUMBER: return fn_number(ev, a, na, r);
    case SH_FN_STRING:
        if (a[0].type == SH_NULL) return false;
        *r = sh_value_str(a[0].s, a[0].len);
        return true;
    case SH_FN_SUBSTRING: return fn_substring(ev, a, na, r);
    case SH_FN_TIMEPART: return fn_timepart(ev, a, r);
    default: return false;
    }
}

#define SH_MAX_FN_ARGS 64

void sh_func_eval(sh_eval *ev, const sh_ir *n, sh_event *e, sh_vals *out) {
    if (n->op >= SH_FN_SPL_FIRST_) {
        sh_spl_func_eval(ev, n, e, out);
        return;
    }
    static const sh_value null_v = {.type = SH_NULL, .s = "null", .len = 4};
    uint32_t na = n->nargs < SH_MAX_FN_ARGS ? n->nargs : SH_MAX_FN_ARGS;
    /* cidrMatch's blocks are pre-parsed: only its first argument is evaluated */
    if (n->op == SH_FN_CIDRMATCH) na = 1;
    sh_vals av[SH_MAX_FN_ARGS];
    uint32_t idx[SH_MAX_FN_ARGS] = {0};
    sh_value cur[SH_MAX_FN_ARGS];
    for (uint32_t i = 0; i < na; i++) sh_ir_values(ev, n->args[i], e, &av[i]);
    sh_vbuild vb = {0};
    for (uint32_t combos = 0; combos < ev->combo_limit; combos++) {
        for (uint32_t i = 0; i < na; i++) cur[i] = av[i].n ? av[i].v[idx[i]] : null_v;
        sh_value r;
        if (call_one(ev, n, cur, na, &r)) sh_vb_push(ev, &vb, &r);
        uint32_t k = 0; /* next combination, odometer style */
        while (k < na && (av[k].n <= 1 || ++idx[k] == av[k].n)) idx[k++] = 0;
        if (k == na) break;
    }
    sh_vb_done(&vb, out);
}
