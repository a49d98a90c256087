/* value.c: one Sigma detection item, `field|modifier|...: value(s)`, into IR.
 *
 * Values start raw (the YAML text and how it reads: string, integer, bool,
 * null). Modifiers apply in the order written (specification 2.1):
 * contains/startswith/endswith add wildcards; base64, base64offset, utf16le,
 * utf16be, utf16, wide and windash transform strings (and may turn one value
 * into several alternatives); re (with i, m, s), cidr, exists, fieldref and
 * expand give the value another type; all, cased, neq, lt/lte/gt/gte and the
 * time modifiers (minute, hour, day, week, month, year) change how values
 * are compared. Strings are matched case-insensitively unless `cased`, with
 * `*` and `?` wildcards; `\*`, `\?` and `\\` escape them (a backslash before
 * anything else stands for itself).
 *
 * Lowering: the plain string patterns of an item become one WILDCARD node
 * (pre-split, a hash set when many); a literal `*` or `?` (escaped) makes its
 * value an equality, a startsWith/endsWith/stringContains call, or an
 * anchored regex; integers compare as numbers (so 4688 matches "4688");
 * `null` is an ISNULL test. Several values are alternatives (OR), or all
 * required with `all`; `neq` negates the item with two-valued logic. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/sigma/sigma_int.h"

/* ------------------------------------------------------------ values */

enum { W_LIT = 0, W_STAR, W_QMARK, W_DASH };      /* sg_str token kinds */
enum { V_RAW, V_STR, V_RE, V_CIDR, V_FREF, V_EXISTS };

typedef struct sval {
    uint8_t t;              /* V_* */
    uint8_t ytype;          /* V_RAW: sy_type */
    const char *raw;        /* V_RAW/V_RE/V_CIDR/V_FREF text */
    size_t rawn;
    uint8_t *b, *w;         /* V_STR: bytes and token kinds, n of each */
    size_t n;
    bool flag;              /* V_EXISTS */
    uint32_t group;         /* the written value it came from (for `all`) */
} sval;

typedef struct vlist {
    sval *v;
    size_t n, cap;
} vlist;

typedef struct mods {
    bool all, cased, neq;
    bool re_i, re_m, re_s;
    bool contains, starts, ends;    /* on fieldref values */
    int cmp;                        /* -1 or sh_cmp_op */
    int timeunit;                   /* -1 or 0..5 */
} modset;

typedef struct item {
    sg_comp *c;
    const sy_node *at;
    const char *key;                /* "Field|mods" as written, for messages */
    vlist vals;
    modset m;
} item;

static bool ifail(item *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool ifail(item *it, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sg_fail(it->c, it->at, "'%.80s': %s", it->key, msg);
    return false;
}

static sval *vpush(item *it, const sval *v) {
    vlist *l = &it->vals;
    if (l->n >= SG_MAX_VALUES) {
        ifail(it, "more than %d values after expanding the modifiers", SG_MAX_VALUES);
        return NULL;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        sval *nv = sh_arena_alloc(&it->c->tmp, cap * sizeof *nv);
        if (l->n) memcpy(nv, l->v, l->n * sizeof *nv);
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n] = *v;
    return &l->v[l->n++];
}

static sval str_new(item *it, size_t n) {
    sval s = {.t = V_STR, .n = n};
    s.b = sh_arena_alloc(&it->c->tmp, n + 1);
    s.w = sh_arena_zalloc(&it->c->tmp, n + 1);
    return s;
}

/* raw text into a Sigma string: wildcards and their escapes */
static sval str_of_raw(item *it, const sval *r) {
    sval s = str_new(it, r->rawn);
    size_t k = 0;
    const char *p = r->raw;
    bool text = r->ytype == SY_T_STR;
    for (size_t i = 0; i < r->rawn; i++) {
        char ch = p[i];
        if (text && ch == '\\' && i + 1 < r->rawn && (p[i + 1] == '*' || p[i + 1] == '?' || p[i + 1] == '\\')) {
            s.b[k++] = (uint8_t)p[++i];
            continue;
        }
        if (text && (ch == '*' || ch == '?')) {
            s.w[k] = ch == '*' ? W_STAR : W_QMARK;
            s.b[k++] = (uint8_t)ch;
            continue;
        }
        s.b[k++] = (uint8_t)ch;
    }
    s.n = k;
    s.group = r->group;
    return s;
}

static bool has_tokens(const sval *s) {
    for (size_t i = 0; i < s->n; i++)
        if (s->w[i]) return true;
    return false;
}

/* the value as a Sigma string (raw strings and numbers convert; the rest cannot) */
static bool as_str(item *it, sval *v, const char *mod) {
    if (v->t == V_STR) return true;
    if (v->t != V_RAW) return ifail(it, "%s cannot apply to a %s value", mod,
                                    v->t == V_RE ? "regex" : v->t == V_CIDR ? "cidr" : v->t == V_FREF ? "fieldref" : "exists");
    if (v->ytype == SY_T_NULL) return ifail(it, "%s cannot apply to null", mod);
    *v = str_of_raw(it, v);
    return true;
}

/* ----------------------------------------------------- transformations */

static void add_affix(item *it, sval *v, bool lead, bool trail) {
    bool has_lead = v->n && v->w[0] == W_STAR, has_trail = v->n && v->w[v->n - 1] == W_STAR;
    lead = lead && !has_lead;
    trail = trail && !has_trail;
    if (!lead && !trail) return;
    sval s = str_new(it, v->n + lead + trail);
    size_t k = 0;
    if (lead) { s.b[k] = '*'; s.w[k++] = W_STAR; }
    memcpy(s.b + k, v->b, v->n);
    memcpy(s.w + k, v->w, v->n);
    k += v->n;
    if (trail) { s.b[k] = '*'; s.w[k++] = W_STAR; }
    s.group = v->group;
    *v = s;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static sval b64_encode(item *it, const uint8_t *in, size_t n, uint32_t group) {
    sval s = str_new(it, (n + 2) / 3 * 4);
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t x = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        s.b[k++] = (uint8_t)b64[x >> 18 & 63];
        s.b[k++] = (uint8_t)b64[x >> 12 & 63];
        s.b[k++] = i + 1 < n ? (uint8_t)b64[x >> 6 & 63] : '=';
        s.b[k++] = i + 2 < n ? (uint8_t)b64[x & 63] : '=';
    }
    s.n = k;
    s.group = group;
    return s;
}

/* base64offset: the value encoded at each of the three byte offsets, keeping
 * only the characters that do not depend on the bytes around it */
static bool b64_offsets(item *it, const sval *v) {
    for (size_t off = 0; off < 3; off++) {
        uint8_t *buf = sh_arena_zalloc(&it->c->tmp, v->n + 3);
        memcpy(buf + off, v->b, v->n);
        sval e = b64_encode(it, buf, v->n + off, v->group);
        static const size_t lead[3] = {0, 2, 3};
        static const size_t trail[3] = {0, 3, 2};
        size_t cut = trail[(v->n + off) % 3];
        if (e.n < lead[off] + cut || e.n - lead[off] - cut == 0) continue;
        sval t = str_new(it, e.n - lead[off] - cut);
        memcpy(t.b, e.b + lead[off], t.n);
        t.group = v->group;
        if (!vpush(it, &t)) return false;
    }
    return true;
}

/* UTF-8 to UTF-16 bytes (le, be, or le with a byte order mark) */
static sval utf16(item *it, const sval *v, int mode) {
    sval s = str_new(it, v->n * 4 + 2);
    size_t k = 0;
    if (mode == 2) { s.b[k++] = 0xFF; s.b[k++] = 0xFE; }
    for (size_t i = 0; i < v->n;) {
        uint32_t cp = v->b[i];
        size_t len = 1;
        if (cp >= 0xF0 && i + 3 < v->n) {
            cp = (cp & 7) << 18 | (v->b[i + 1] & 63u) << 12 | (v->b[i + 2] & 63u) << 6 | (v->b[i + 3] & 63u);
            len = 4;
        } else if (cp >= 0xE0 && i + 2 < v->n) {
            cp = (cp & 15) << 12 | (v->b[i + 1] & 63u) << 6 | (v->b[i + 2] & 63u);
            len = 3;
        } else if (cp >= 0xC0 && i + 1 < v->n) {
            cp = (cp & 31) << 6 | (v->b[i + 1] & 63u);
            len = 2;
        }
        i += len;
        uint16_t units[2];
        int nu = 1;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            units[0] = (uint16_t)(0xD800 | cp >> 10);
            units[1] = (uint16_t)(0xDC00 | (cp & 0x3FF));
            nu = 2;
        } else {
            units[0] = (uint16_t)cp;
        }
        for (int u = 0; u < nu; u++) {
            if (mode == 1) { s.b[k++] = (uint8_t)(units[u] >> 8); s.b[k++] = (uint8_t)units[u]; }
            else { s.b[k++] = (uint8_t)units[u]; s.b[k++] = (uint8_t)(units[u] >> 8); }
        }
    }
    s.n = k;
    s.group = v->group;
    return s;
}

/* the dash characters windash exchanges: - / and three Unicode dashes */
static const char *const dashes[] = {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"};
#define NDASH 5
#define WINDASH_ENUM_MAX 4      /* up to 5^4 variants are listed; more become a regex */

static size_t dash_at(const sval *v, size_t i) {
    if (v->w[i]) return 0;
    if (v->b[i] == '-' || v->b[i] == '/') return 1;
    if (i + 2 < v->n && v->b[i] == 0xE2 && v->b[i + 1] == 0x80 && v->b[i + 2] >= 0x93 && v->b[i + 2] <= 0x95 &&
        !v->w[i + 1] && !v->w[i + 2])
        return 3;
    return 0;
}

static bool windash(item *it, const sval *v) {
    size_t pos[64], lens[64], k = 0;
    for (size_t i = 0; i < v->n;) {
        size_t l = dash_at(v, i);
        if (!l) { i++; continue; }
        if (k < 64) { pos[k] = i; lens[k] = l; }
        k++;
        i += l;
    }
    if (k == 0) return vpush(it, v) != NULL;
    if (k > WINDASH_ENUM_MAX) {
        /* one value whose dashes are classes: matched through a regex */
        sval s = str_new(it, v->n);
        size_t o = 0;
        for (size_t i = 0; i < v->n;) {
            size_t l = dash_at(v, i);
            if (l) { s.b[o] = '-'; s.w[o++] = W_DASH; i += l; continue; }
            s.b[o] = v->b[i];
            s.w[o++] = v->w[i];
            i++;
        }
        s.n = o;
        s.group = v->group;
        return vpush(it, &s) != NULL;
    }
    size_t total = 1;
    for (size_t j = 0; j < k; j++) total *= NDASH;
    for (size_t combo = 0; combo < total; combo++) {
        sval s = str_new(it, v->n + 3 * k);
        size_t o = 0, c = combo, j = 0;
        for (size_t i = 0; i < v->n;) {
            if (j < k && i == pos[j]) {
                const char *d = dashes[c % NDASH];
                c /= NDASH;
                for (const char *p = d; *p; p++) s.b[o++] = (uint8_t)*p;
                i += lens[j++];
                continue;
            }
            s.b[o] = v->b[i];
            s.w[o++] = v->w[i];
            i++;
        }
        s.n = o;
        s.group = v->group;
        if (!vpush(it, &s)) return false;
    }
    return true;
}

/* `expand`: %name% placeholders replaced by their values (several values
 * make alternatives; a value may hold wildcards); \% is a plain percent sign */
static void str_append(item *it, sval *acc, const uint8_t *b, const uint8_t *w, size_t n) {
    sval s = str_new(it, acc->n + n);
    memcpy(s.b, acc->b, acc->n);
    memcpy(s.w, acc->w, acc->n);
    memcpy(s.b + acc->n, b, n);
    if (w) memcpy(s.w + acc->n, w, n);
    s.group = acc->group;
    *acc = s;
}

static bool expand(item *it, const sval *v) {
    sval acc[64];
    size_t nacc = 1;
    acc[0] = str_new(it, 0);
    acc[0].group = v->group;
    size_t i = 0, lit = 0;
    while (i <= v->n) {
        bool end = i == v->n;
        bool esc = !end && !v->w[i] && v->b[i] == '\\' && i + 1 < v->n && !v->w[i + 1] && v->b[i + 1] == '%';
        bool open = !end && !esc && !v->w[i] && v->b[i] == '%';
        size_t close = 0;
        if (open) {
            close = i + 1;
            while (close < v->n && !(v->b[close] == '%' && !v->w[close])) close++;
            if (close == v->n) open = false;
        }
        if (!end && !esc && !open) { i++; continue; }
        for (size_t a = 0; a < nacc; a++) str_append(it, &acc[a], v->b + lit, v->w + lit, i - lit);
        if (end) break;
        if (esc) {
            for (size_t a = 0; a < nacc; a++) str_append(it, &acc[a], (const uint8_t *)"%", NULL, 1);
            i += 2;
            lit = i;
            continue;
        }
        const char *name = (const char *)v->b + i + 1;
        size_t nn = close - i - 1;
        const char *const *vals = sg_ctx_placeholder(it->c->ctx, name, nn);
        if (!vals || !*vals)
            return ifail(it, "expand: placeholder %%%.*s%% has no value (shrike takes placeholder values from the "
                             "file named by SHRIKE_SIGMA_PLACEHOLDERS)", (int)nn, name);
        size_t nv = 0;
        while (vals[nv]) nv++;
        if (nacc * nv > 64) return ifail(it, "expand: more than 64 combinations of placeholder values");
        sval next[64];
        size_t nn2 = 0;
        for (size_t a = 0; a < nacc; a++)
            for (size_t k = 0; k < nv; k++) {
                sval raw = {.t = V_RAW, .ytype = SY_T_STR, .raw = vals[k], .rawn = strlen(vals[k])};
                sval pv = str_of_raw(it, &raw);
                next[nn2] = acc[a];
                str_append(it, &next[nn2++], pv.b, pv.w, pv.n);
            }
        memcpy(acc, next, nn2 * sizeof *acc);
        nacc = nn2;
        i = close + 1;
        lit = i;
    }
    for (size_t a = 0; a < nacc; a++)
        if (!vpush(it, &acc[a])) return false;
    return true;
}

/* ------------------------------------------------------------ modifiers */

typedef enum {
    M_CONTAINS, M_STARTSWITH, M_ENDSWITH, M_ALL, M_BASE64, M_BASE64OFFSET, M_UTF16LE, M_UTF16BE, M_UTF16,
    M_WIDE, M_WINDASH, M_RE, M_I, M_M, M_S, M_CIDR, M_EXISTS, M_CASED, M_NEQ, M_LT, M_LTE, M_GT, M_GTE,
    M_FIELDREF, M_EXPAND, M_MINUTE, M_HOUR, M_DAY, M_WEEK, M_MONTH, M_YEAR, M_COUNT_
} modid;

static const char *const modnames[M_COUNT_] = {
    "contains", "startswith", "endswith", "all", "base64", "base64offset", "utf16le", "utf16be", "utf16",
    "wide", "windash", "re", "i", "m", "s", "cidr", "exists", "cased", "neq", "lt", "lte", "gt", "gte",
    "fieldref", "expand", "minute", "hour", "day", "week", "month", "year"};

static int mod_lookup(const char *s, size_t n) {
    for (int i = 0; i < M_COUNT_; i++)
        if (strlen(modnames[i]) == n && memcmp(modnames[i], s, n) == 0) return i;
    /* the long forms some tools accept for the regex flags */
    static const struct { const char *n; int id; } alias[] = {{"ignorecase", M_I}, {"multiline", M_M}, {"dotall", M_S}};
    for (size_t i = 0; i < sizeof alias / sizeof *alias; i++)
        if (strlen(alias[i].n) == n && memcmp(alias[i].n, s, n) == 0) return alias[i].id;
    return -1;
}

/* apply one modifier to every value (in place, or through a new list) */
static bool apply(item *it, int m, bool *is_re, bool *typed) {
    vlist old = it->vals;
    bool per_value_list = m == M_BASE64OFFSET || m == M_WINDASH || m == M_EXPAND;
    if (per_value_list) memset(&it->vals, 0, sizeof it->vals);
    switch (m) {
    case M_ALL: it->m.all = true; return true;
    case M_CASED: it->m.cased = true; return true;
    case M_NEQ: it->m.neq = true; return true;
    case M_I: case M_M: case M_S:
        if (!*is_re) return ifail(it, "modifier '%s' is a flag of 're' and must follow it", modnames[m]);
        if (m == M_I) it->m.re_i = true;
        else if (m == M_M) it->m.re_m = true;
        else it->m.re_s = true;
        return true;
    case M_LT: case M_LTE: case M_GT: case M_GTE:
        if (it->m.cmp >= 0) return ifail(it, "more than one comparison modifier");
        it->m.cmp = m == M_LT ? SH_CMP_LT : m == M_LTE ? SH_CMP_LE : m == M_GT ? SH_CMP_GT : SH_CMP_GE;
        return true;
    case M_MINUTE: case M_HOUR: case M_DAY: case M_WEEK: case M_MONTH: case M_YEAR:
        if (it->m.timeunit >= 0) return ifail(it, "more than one time modifier");
        it->m.timeunit = m - M_MINUTE;
        return true;
    default: break;
    }
    for (size_t i = 0; i < old.n; i++) {
        sval *v = per_value_list ? &old.v[i] : &it->vals.v[i];
        switch (m) {
        case M_CONTAINS: case M_STARTSWITH: case M_ENDSWITH:
            if (v->t == V_FREF) {
                if (m == M_CONTAINS) it->m.contains = true;
                else if (m == M_STARTSWITH) it->m.starts = true;
                else it->m.ends = true;
                break;
            }
            if (!as_str(it, v, modnames[m])) return false;
            add_affix(it, v, m != M_STARTSWITH, m != M_ENDSWITH);
            break;
        case M_BASE64: case M_UTF16LE: case M_UTF16BE: case M_UTF16: case M_WIDE: case M_BASE64OFFSET:
            if (!as_str(it, v, modnames[m])) return false;
            if (has_tokens(v))
                return ifail(it, "%s cannot encode wildcards (* or ?): put contains/startswith/endswith after it, or escape them",
                             modnames[m]);
            if (m == M_BASE64) *v = b64_encode(it, v->b, v->n, v->group);
            else if (m == M_BASE64OFFSET) { if (!b64_offsets(it, v)) return false; }
            else *v = utf16(it, v, m == M_UTF16BE ? 1 : m == M_UTF16 ? 2 : 0);
            break;
        case M_WINDASH:
            if (!as_str(it, v, modnames[m]) || !windash(it, v)) return false;
            break;
        case M_EXPAND:
            if (!as_str(it, v, modnames[m]) || !expand(it, v)) return false;
            break;
        case M_RE: case M_CIDR: case M_FIELDREF: {
            if (*typed || v->t != V_RAW) return ifail(it, "'%s' must come before modifiers that transform the value", modnames[m]);
            if (v->ytype == SY_T_NULL) return ifail(it, "%s needs a value, not null", modnames[m]);
            v->t = m == M_RE ? V_RE : m == M_CIDR ? V_CIDR : V_FREF;
            break;
        }
        case M_EXISTS: {
            bool b;
            sy_node tmp = {.kind = SY_SCALAR, .style = SY_PLAIN, .s = v->raw, .len = (uint32_t)v->rawn};
            if (v->t != V_RAW || v->ytype != SY_T_BOOL || !sy_bool(&tmp, &b))
                return ifail(it, "exists takes true or false");
            v->t = V_EXISTS;
            v->flag = b;
            break;
        }
        default: break;
        }
    }
    if (m == M_RE) *is_re = true;
    if (m == M_RE || m == M_CIDR || m == M_FIELDREF || m == M_EXISTS) *typed = true;
    return true;
}

/* ------------------------------------------------------------- lowering */

static bool any_special_literal(const sval *v) {
    for (size_t i = 0; i < v->n; i++)
        if ((!v->w[i] && (v->b[i] == '*' || v->b[i] == '?')) || v->w[i] == W_DASH) return true;
    return false;
}

/* the string as a PCRE2 pattern matching the whole value */
static char *str_regex(item *it, const sval *v, size_t *outn) {
    sh_buf b = {0};
    sh_buf_puts(&b, "\\A");
    for (size_t i = 0; i < v->n; i++) {
        uint8_t ch = v->b[i];
        switch (v->w[i]) {
        case W_STAR: sh_buf_puts(&b, ".*"); continue;
        case W_QMARK: sh_buf_putc(&b, '.'); continue;
        case W_DASH: sh_buf_puts(&b, "(?:-|/|\\x{2013}|\\x{2014}|\\x{2015})"); continue;
        default: break;
        }
        if (ch == 0) sh_buf_puts(&b, "\\x00");
        else if (ch < 0x80 && !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == ' ')) {
            sh_buf_putc(&b, '\\');
            sh_buf_putc(&b, (char)ch);
        } else sh_buf_putc(&b, (char)ch);
    }
    sh_buf_puts(&b, "\\z");
    char *out = sh_arena_strndup(&it->c->tmp, b.data, b.len);
    *outn = b.len;
    sh_buf_free(&b);
    return out;
}

typedef struct alts {
    const char **wild;          /* plain wildcard patterns */
    uint32_t *wlens;
    uint32_t nwild;
    const char **rx;            /* regexes from strings with literal * ? or dash classes */
    uint32_t *rxlens;
    uint32_t nrx;
    sh_ir **nodes;              /* everything else, one node each */
    uint32_t nnodes;
} alts;

static sh_ir *node_or(sg_comp *c, sh_ir **nodes, uint32_t n) {
    if (n == 1) return nodes[0];
    sh_ir *o = sh_ir_new(c->pool, SH_IR_OR, n);
    memcpy(o->args, nodes, n * sizeof *nodes);
    return o;
}

static sh_ir *node_and(sg_comp *c, sh_ir **nodes, uint32_t n) {
    if (n == 1) return nodes[0];
    sh_ir *a = sh_ir_new(c->pool, SH_IR_AND, n);
    memcpy(a->args, nodes, n * sizeof *nodes);
    return a;
}

static sh_ir *lit_number(item *it, const sval *v) {
    const char *s = v->t == V_RAW ? v->raw : (const char *)v->b;
    size_t n = v->t == V_RAW ? v->rawn : v->n;
    if (!(v->t == V_RAW || (v->t == V_STR && !has_tokens(v))) || v->ytype == SY_T_NULL || v->ytype == SY_T_BOOL) {
        ifail(it, "%s needs a number", it->m.timeunit >= 0 && it->m.cmp < 0 ? "a time modifier" : "a comparison");
        return NULL;
    }
    char tmp[72];
    if (n == 0 || n > 64) goto bad;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end;
    long long ll = strtoll(tmp, &end, 10);
    if (*end == 0) return sh_ir_lit_int(it->c->pool, ll);
    double d = strtod(tmp, &end);
    if (*end == 0 && end != tmp) return sh_ir_lit_float(it->c->pool, d);
bad:
    ifail(it, "\"%.*s\" is not a number", (int)(n > 40 ? 40 : n), s);
    return NULL;
}

/* one value that is not a plain wildcard pattern into its own node */
static bool lower_one(item *it, sh_ir *subj, const sval *v, alts *a) {
    sg_comp *c = it->c;
    bool ci = !it->m.cased;
    sh_ir *n = NULL;
    switch (v->t) {
    case V_RAW:
        if (v->ytype == SY_T_NULL) {
            n = sh_ir_unary(c->pool, SH_IR_ISNULL, subj);
        } else if (v->ytype == SY_T_INT) {
            sh_ir *lit = lit_number(it, v);
            if (!lit) return false;
            n = sh_ir_binary(c->pool, SH_IR_CMP, SH_CMP_EQ, subj, lit);
        } else if (v->ytype == SY_T_BOOL) {
            n = sh_ir_binary(c->pool, SH_IR_CMP, SH_CMP_EQ, subj, sh_ir_lit_bool(c->pool, v->raw[0] == 't' || v->raw[0] == 'T'));
            n->flags |= SH_IRF_CI;
        }
        break;
    case V_EXISTS:
        n = sh_ir_unary(c->pool, SH_IR_ISNULL, subj);
        n->flags |= SH_IRF_PRESENT | (v->flag ? SH_IRF_NEGATE : 0);
        break;
    case V_FREF: {
        sh_ir *other = sg_field(c, v->raw, v->rawn, it->at);
        if (!other) return false;
        if (it->m.contains || it->m.starts || it->m.ends) {
            n = sh_ir_new(c->pool, SH_IR_FUNC, 2);
            n->op = it->m.contains ? SH_FN_STRINGCONTAINS : it->m.starts ? SH_FN_STARTSWITH : SH_FN_ENDSWITH;
            n->args[0] = subj;
            n->args[1] = other;
        } else {
            n = sh_ir_binary(c->pool, SH_IR_CMP, SH_CMP_EQ, subj, other);
        }
        if (ci) n->flags |= SH_IRF_CI;
        break;
    }
    case V_STR: {
        /* a literal * or ? inside: equality, an affix test, or a regex */
        size_t lo = 0, hi = v->n;
        bool lead = hi && v->w[0] == W_STAR, trail = hi > (size_t)lead && v->w[hi - 1] == W_STAR;
        lo += lead;
        hi -= trail;
        bool inner_tokens = false;
        for (size_t i = lo; i < hi; i++) inner_tokens |= v->w[i] != W_LIT;
        if (inner_tokens) {
            size_t rn;
            char *rx = str_regex(it, v, &rn);
            a->rx[a->nrx] = rx;
            a->rxlens[a->nrx++] = (uint32_t)rn;
            return true;
        }
        sh_ir *lit = sh_ir_lit_str(c->pool, (const char *)v->b + lo, hi - lo);
        if (!lead && !trail) {
            n = sh_ir_binary(c->pool, SH_IR_CMP, SH_CMP_EQ, subj, lit);
        } else {
            n = sh_ir_new(c->pool, SH_IR_FUNC, 2);
            n->op = lead && trail ? SH_FN_STRINGCONTAINS : lead ? SH_FN_ENDSWITH : SH_FN_STARTSWITH;
            n->args[0] = subj;
            n->args[1] = lit;
        }
        if (ci) n->flags |= SH_IRF_CI;
        break;
    }
    default: break;
    }
    if (n) a->nodes[a->nnodes++] = n;
    return true;
}

static sh_ir *rx_node(item *it, sh_ir *subj, const char *const *pats, const uint32_t *lens, uint32_t n, uint32_t opts) {
    sh_diag rd;
    sh_diag_clear(&rd);
    sh_ir *node = sh_ir_regex_opts(it->c->pool, subj, pats, lens, n, opts, &rd);
    if (!node) {
        /* name the pattern at fault */
        for (uint32_t i = 0; i < n; i++) {
            sh_diag one;
            sh_diag_clear(&one);
            if (!sh_ir_regex_opts(it->c->pool, subj, &pats[i], &lens[i], 1, opts, &one)) {
                ifail(it, "%s in \"%.*s\"", one.msg, (int)(lens[i] > 80 ? 80 : lens[i]), pats[i]);
                return NULL;
            }
        }
        ifail(it, "%s", rd.msg);
    }
    return node;
}

/* the alternatives of one OR-set of values into one node */
static sh_ir *lower_set(item *it, sh_ir *subj, const sval *vals, size_t n) {
    sg_comp *c = it->c;
    alts a = {0};
    a.wild = sh_arena_alloc(&c->tmp, (n + 1) * sizeof *a.wild);
    a.wlens = sh_arena_alloc(&c->tmp, (n + 1) * sizeof *a.wlens);
    a.rx = sh_arena_alloc(&c->tmp, (n + 1) * sizeof *a.rx);
    a.rxlens = sh_arena_alloc(&c->tmp, (n + 1) * sizeof *a.rxlens);
    a.nodes = sh_arena_alloc(&c->tmp, (n + 4) * sizeof *a.nodes);
    const char **res = sh_arena_alloc(&c->tmp, (n + 1) * sizeof *res);
    uint32_t *relens = sh_arena_alloc(&c->tmp, (n + 1) * sizeof *relens), nre = 0;
    const char **cidrs = sh_arena_alloc(&c->tmp, (n + 1) * sizeof *cidrs);
    uint32_t *cidrlens = sh_arena_alloc(&c->tmp, (n + 1) * sizeof *cidrlens), ncidr = 0;
    bool ci = !it->m.cased;

    for (size_t i = 0; i < n; i++) {
        sval v = vals[i];
        if (it->m.cmp >= 0 || it->m.timeunit >= 0) {
            if (v.t != V_RAW && v.t != V_STR) { ifail(it, "a comparison needs numbers"); return NULL; }
            sh_ir *lit = lit_number(it, &v);
            if (!lit) return NULL;
            a.nodes[a.nnodes++] = sh_ir_binary(c->pool, SH_IR_CMP, (uint8_t)(it->m.cmp >= 0 ? it->m.cmp : SH_CMP_EQ), subj, lit);
            continue;
        }
        if (v.t == V_RE) { res[nre] = v.raw; relens[nre++] = (uint32_t)v.rawn; continue; }
        if (v.t == V_CIDR) { cidrs[ncidr] = v.raw; cidrlens[ncidr++] = (uint32_t)v.rawn; continue; }
        if (v.t == V_RAW && v.ytype == SY_T_STR) v = str_of_raw(it, &v);
        if (v.t == V_STR && !any_special_literal(&v)) {
            a.wild[a.nwild] = (const char *)v.b;
            a.wlens[a.nwild++] = (uint32_t)v.n;
            continue;
        }
        if (!lower_one(it, subj, &v, &a)) return NULL;
    }
    if (a.nwild) {
        sh_ir *w = sh_ir_wildcard(c->pool, subj, a.wild, a.wlens, a.nwild, ci);
        sh_ir_lower_cache(w);
        a.nodes[a.nnodes++] = w;
    }
    if (a.nrx) {
        sh_ir *r = rx_node(it, subj, a.rx, a.rxlens, a.nrx, PCRE2_DOTALL | (ci ? PCRE2_CASELESS | PCRE2_UCP : 0));
        if (!r) return NULL;
        a.nodes[a.nnodes++] = r;
    }
    if (nre) {
        uint32_t opts = (it->m.re_i ? PCRE2_CASELESS | PCRE2_UCP : 0) | (it->m.re_m ? PCRE2_MULTILINE : 0) |
                        (it->m.re_s ? PCRE2_DOTALL : 0);
        sh_ir *r = rx_node(it, subj, res, relens, nre, opts);
        if (!r) return NULL;
        a.nodes[a.nnodes++] = r;
    }
    if (ncidr) {
        sh_diag cd;
        sh_diag_clear(&cd);
        sh_ir *r = sh_ir_cidrmatch(c->pool, subj, cidrs, cidrlens, ncidr, &cd);
        if (!r) { ifail(it, "cidr: %s", cd.msg); return NULL; }
        a.nodes[a.nnodes++] = r;
    }
    if (!a.nnodes) { ifail(it, "no value to match"); return NULL; }
    return node_or(c, a.nodes, a.nnodes);
}

static void add_raw(item *it, const sy_node *v, uint32_t group) {
    sval r = {.t = V_RAW, .ytype = (uint8_t)sy_type_of(v), .raw = v->s, .rawn = v->len, .group = group};
    vpush(it, &r);
}

/* the field's subject node: the field, every value (keywords), or a time part */
static sh_ir *subject(item *it, const char *field, size_t fn) {
    sg_comp *c = it->c;
    sh_ir *s = fn ? sg_field(c, field, fn, it->at) : sh_ir_new(c->pool, SH_IR_ANYFIELD, 0);
    if (!s || it->m.timeunit < 0) return s;
    sh_ir *f = sh_ir_new(c->pool, SH_IR_FUNC, 2);
    f->op = SH_FN_TIMEPART;
    f->args[0] = s;
    f->args[1] = sh_ir_lit_int(c->pool, it->m.timeunit);
    return f;
}

static sh_ir *lower_item(sg_comp *c, const sy_node *at, const char *key, size_t keylen, const sy_node *val, bool keyword) {
    item it = {.c = c, .at = at, .key = key};
    it.m.cmp = -1;
    it.m.timeunit = -1;
    const char *bar = memchr(key, '|', keylen);
    size_t fn = bar ? (size_t)(bar - key) : keylen;
    if (keyword) fn = 0;
    /* the values */
    if (val && val->kind == SY_SEQ) {
        if (val->n == 0) { ifail(&it, "empty list of values"); return NULL; }
        for (uint32_t i = 0; i < val->n && !c->failed; i++) {
            const sy_node *v = val->items[i];
            if (v->kind != SY_SCALAR) { sg_fail(c, v, "'%.80s': a value must be a plain value, not %s", key, sy_kind_name(v)); return NULL; }
            add_raw(&it, v, i);
        }
    } else if (val && val->kind == SY_MAP) {
        ifail(&it, "a value must be a plain value or a list of them, not a mapping");
        return NULL;
    } else if (val) {
        add_raw(&it, val, 0);
    } else {
        sval r = {.t = V_RAW, .ytype = SY_T_NULL, .raw = "", .rawn = 0};
        vpush(&it, &r);
    }
    if (c->failed) return NULL;
    /* the modifiers, in order */
    bool is_re = false, typed = false;
    const char *p = bar ? bar + 1 : NULL, *end = key + keylen;
    while (p && p <= end) {
        const char *nb = memchr(p, '|', (size_t)(end - p));
        size_t ml = nb ? (size_t)(nb - p) : (size_t)(end - p);
        int m = mod_lookup(p, ml);
        if (m < 0) {
            ifail(&it, ml ? "unknown modifier '%.*s'" : "empty modifier%.*s", (int)ml, p);
            return NULL;
        }
        if (!apply(&it, m, &is_re, &typed)) return NULL;
        p = nb ? nb + 1 : NULL;
    }
    if (keyword) {
        /* keywords are found anywhere in a value */
        for (size_t i = 0; i < it.vals.n; i++) {
            sval *v = &it.vals.v[i];
            if (v->t == V_RAW && v->ytype != SY_T_NULL) {
                sval s = str_of_raw(&it, v);
                *v = s;
            }
            if (v->t == V_STR) add_affix(&it, v, true, true);
        }
    }
    sh_ir *subj = subject(&it, key, fn);
    if (!subj) return NULL;
    sh_ir *res;
    if (it.m.all && it.vals.n > 1) {
        /* every written value must match (each through its alternatives) */
        uint32_t ngroups = it.vals.v[it.vals.n - 1].group + 1;
        sh_ir **parts = sh_arena_alloc(&c->tmp, ngroups * sizeof *parts);
        uint32_t np = 0;
        size_t i = 0;
        while (i < it.vals.n) {
            size_t j = i;
            while (j < it.vals.n && it.vals.v[j].group == it.vals.v[i].group) j++;
            parts[np] = lower_set(&it, subj, it.vals.v + i, j - i);
            if (!parts[np++]) return NULL;
            i = j;
        }
        res = node_and(c, parts, np);
    } else {
        res = lower_set(&it, subj, it.vals.v, it.vals.n);
    }
    if (res && it.m.neq) {
        res = sh_ir_unary(c->pool, SH_IR_NOT, res);
        res->flags |= SH_IRF_TWOVALUED;
    }
    return res;
}

sh_ir *sg_item(sg_comp *c, const sy_node *key, const sy_node *val) {
    if (key->kind != SY_SCALAR) {
        sg_fail(c, key, "a field name must be a plain value");
        return NULL;
    }
    bool keyword = key->len == 0 || key->s[0] == '|';
    return lower_item(c, key, key->s, key->len, val, keyword);
}

sh_ir *sg_keywords(sg_comp *c, const sy_node *list, const char *mods, const sy_node *at) {
    size_t ml = strlen(mods);
    char *key = sh_arena_alloc(&c->tmp, ml + 1);
    memcpy(key, mods, ml + 1);
    return lower_item(c, at ? at : list, key, ml, list, true);
}
