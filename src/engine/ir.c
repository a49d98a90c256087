/* ir.c: building the intermediate form: the node pool, literal and field
 * nodes, pre-compiled wildcard and regex sets, and CIDR parsing for
 * cidrMatch. Everything here runs once, when a rule is compiled. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "engine/ir.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sh_irpool_init(sh_irpool *p) {
    memset(p, 0, sizeof *p);
    sh_arena_init(&p->arena);
}

void sh_irpool_free(sh_irpool *p) {
    for (size_t i = 0; i < p->ncodes; i++) pcre2_code_free(p->codes[i]);
    free(p->codes);
    for (size_t i = 0; i < p->nlits; i++) sh_wlits_free(p->lits[i]);
    free(p->lits);
    sh_arena_free(&p->arena);
    memset(p, 0, sizeof *p);
}

static void pool_keep_code(sh_irpool *p, void *code) {
    if (p->ncodes == p->capcodes) {
        p->capcodes = p->capcodes ? p->capcodes * 2 : 8;
        void **nc = realloc(p->codes, p->capcodes * sizeof *nc);
        if (!nc) abort();
        p->codes = nc;
    }
    p->codes[p->ncodes++] = code;
}

sh_ir *sh_ir_new(sh_irpool *p, sh_ir_kind kind, uint32_t nargs) {
    sh_ir *n = sh_arena_zalloc(&p->arena, sizeof *n);
    n->kind = (uint8_t)kind;
    n->nargs = nargs;
    if (nargs) n->args = sh_arena_zalloc(&p->arena, nargs * sizeof *n->args);
    return n;
}

/* literal strings keep a lowered copy for case-insensitive uses */
static void lit_set_lower(sh_irpool *p, sh_ir *n) {
    if (n->lit.type != SH_STR) return;
    char *lo = sh_arena_alloc(&p->arena, (size_t)n->lit.len * 2 + 1);
    size_t k = sh_utf8_lower(n->lit.s, n->lit.len, lo);
    lo[k] = 0;
    n->lit_lower = lo;
    n->lit_lower_len = (uint32_t)k;
}

sh_ir *sh_ir_lit(sh_irpool *p, const sh_value *v) {
    sh_ir *n = sh_ir_new(p, SH_IR_LIT, 0);
    n->lit = *v;
    if (v->s) n->lit.s = sh_arena_strndup(&p->arena, v->s, v->len);
    lit_set_lower(p, n);
    return n;
}

sh_ir *sh_ir_lit_str(sh_irpool *p, const char *s, size_t len) {
    sh_value v = sh_value_str(s, len);
    return sh_ir_lit(p, &v);
}

sh_ir *sh_ir_lit_int(sh_irpool *p, int64_t i) {
    sh_ir *n = sh_ir_new(p, SH_IR_LIT, 0);
    n->lit = sh_value_int(&p->arena, i);
    return n;
}

sh_ir *sh_ir_lit_float(sh_irpool *p, double d) {
    char tmp[40];
    int k = snprintf(tmp, sizeof tmp, "%.17g", d);
    /* prefer the shortest text that round-trips */
    for (int prec = 1; prec < 17; prec++) {
        char t2[40];
        int k2 = snprintf(t2, sizeof t2, "%.*g", prec, d);
        if (strtod(t2, NULL) == d) {
            memcpy(tmp, t2, (size_t)k2 + 1);
            k = k2;
            break;
        }
    }
    sh_value v = {.type = SH_FLOAT, .f = d, .s = tmp, .len = (uint32_t)k};
    return sh_ir_lit(p, &v);
}

sh_ir *sh_ir_lit_bool(sh_irpool *p, bool b) {
    sh_value v = {.type = SH_BOOL, .b = b, .i = b, .s = b ? "true" : "false", .len = b ? 4 : 5};
    return sh_ir_lit(p, &v);
}

sh_ir *sh_ir_lit_null(sh_irpool *p) {
    sh_value v = sh_value_null();
    return sh_ir_lit(p, &v);
}

sh_ir *sh_ir_field(sh_irpool *p, const char *name, size_t len, bool optional) {
    sh_ir *n = sh_ir_new(p, SH_IR_FIELD, 0);
    n->ref = sh_fieldref_get(name, len);
    if (optional) n->flags |= SH_IRF_OPTIONAL;
    return n;
}

sh_ir *sh_ir_unary(sh_irpool *p, sh_ir_kind kind, sh_ir *a) {
    sh_ir *n = sh_ir_new(p, kind, 1);
    n->args[0] = a;
    return n;
}

sh_ir *sh_ir_binary(sh_irpool *p, sh_ir_kind kind, uint8_t op, sh_ir *a, sh_ir *b) {
    sh_ir *n = sh_ir_new(p, kind, 2);
    n->op = op;
    n->args[0] = a;
    n->args[1] = b;
    return n;
}

/* classify a pattern: "abc", "abc*", "*abc", "*abc*", "*" or anything else */
static void wpat_shape(sh_wpat *w) {
    const char *t = w->text;
    size_t k = w->len;
    w->shape = SH_W_GENERAL;
    w->core = t;
    w->core_len = (uint32_t)k;
    if (!w->wild) { w->shape = SH_W_EXACT; return; }
    if (memchr(t, '?', k)) return;
    size_t stars = 0;
    for (size_t i = 0; i < k; i++) stars += t[i] == '*';
    if (stars == k) { w->shape = SH_W_ANY; return; }
    bool lead = t[0] == '*', trail = t[k - 1] == '*';
    size_t inner = k - lead - trail;
    if (stars != (size_t)lead + trail) return;
    w->core = t + lead;
    w->core_len = (uint32_t)inner;
    w->shape = lead && trail ? SH_W_CONTAINS : lead ? SH_W_SUFFIX : SH_W_PREFIX;
}

sh_ir *sh_ir_wildcard(sh_irpool *p, sh_ir *subject, const char *const *pats,
                      const uint32_t *lens, uint32_t n, bool ci) {
    sh_ir *node = sh_ir_new(p, SH_IR_WILDCARD, 1);
    node->args[0] = subject;
    if (ci) node->flags |= SH_IRF_CI;
    sh_wildset *w = sh_arena_zalloc(&p->arena, sizeof *w);
    w->pats = sh_arena_zalloc(&p->arena, (n ? n : 1) * sizeof *w->pats);
    w->n = n;
    for (uint32_t i = 0; i < n; i++) {
        char *t = sh_arena_alloc(&p->arena, (size_t)lens[i] * 2 + 1);
        size_t k = lens[i];
        if (ci) k = sh_utf8_lower(pats[i], lens[i], t);
        else memcpy(t, pats[i], k);
        t[k] = 0;
        w->pats[i].text = t;
        w->pats[i].len = (uint32_t)k;
        w->pats[i].wild = memchr(t, '*', k) || memchr(t, '?', k);
        wpat_shape(&w->pats[i]);
    }
    node->wild = w;
    if (ci) sh_ir_lower_cache(node);
    return node;
}

sh_ir *sh_ir_regex(sh_irpool *p, sh_ir *subject, const char *const *pats,
                   const uint32_t *lens, uint32_t n, bool ci, bool anchored, sh_diag *d) {
    uint32_t opts = PCRE2_DOTALL | (ci ? PCRE2_CASELESS : 0) | (anchored ? PCRE2_ANCHORED | PCRE2_ENDANCHORED : 0);
    return sh_ir_regex_opts(p, subject, pats, lens, n, opts, d);
}

/* SHRIKE_NO_JIT=1 keeps regexes interpreted: the valgrind pass of the tests
 * sets it, because valgrind cannot follow PCRE2's JIT-compiled code and
 * reports its reads as uninitialised (results are the same either way) */
static bool jit_wanted(void) {
    static int want = -1;
    if (want < 0) {
        const char *v = getenv("SHRIKE_NO_JIT");
        want = !(v && *v && strcmp(v, "0") != 0);
    }
    return want;
}

sh_ir *sh_ir_regex_opts(sh_irpool *p, sh_ir *subject, const char *const *pats,
                        const uint32_t *lens, uint32_t n, uint32_t opts, sh_diag *d) {
    sh_ir *node = sh_ir_new(p, SH_IR_REGEX, 1);
    node->args[0] = subject;
    if (opts & PCRE2_CASELESS) node->flags |= SH_IRF_CI;
    sh_rxset *r = sh_arena_zalloc(&p->arena, sizeof *r);
    r->codes = sh_arena_zalloc(&p->arena, (n ? n : 1) * sizeof *r->codes);
    r->pats = sh_arena_zalloc(&p->arena, (n ? n : 1) * sizeof *r->pats);
    r->lens = sh_arena_zalloc(&p->arena, (n ? n : 1) * sizeof *r->lens);
    r->caseless = (opts & PCRE2_CASELESS) != 0;
    r->extended = (opts & (PCRE2_EXTENDED | PCRE2_EXTENDED_MORE | PCRE2_LITERAL)) != 0;
    opts |= PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    for (uint32_t i = 0; i < n; i++) {
        int err;
        PCRE2_SIZE off;
        pcre2_code *c = pcre2_compile((PCRE2_SPTR)pats[i], lens[i], opts, &err, &off, NULL);
        if (!c) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(err, msg, sizeof msg);
            sh_diag_set(d, NULL, 0, (long)off + 1, "regex: %s at offset %zu", (char *)msg, (size_t)off);
            return NULL;
        }
        if (jit_wanted()) pcre2_jit_compile(c, PCRE2_JIT_COMPLETE); /* best effort: interpreter otherwise */
        pool_keep_code(p, c);
        r->codes[i] = c;
        r->pats[i] = sh_arena_strndup(&p->arena, pats[i], lens[i]);
        r->lens[i] = lens[i];
    }
    r->n = n;
    node->rx = r;
    return node;
}

sh_ir *sh_ir_cidrmatch(sh_irpool *p, sh_ir *subject, const char *const *blocks,
                       const uint32_t *lens, uint32_t n, sh_diag *d) {
    sh_ir *node = sh_ir_new(p, SH_IR_FUNC, 1);
    node->op = SH_FN_CIDRMATCH;
    node->args[0] = subject;
    node->cidrs = sh_arena_zalloc(&p->arena, (n ? n : 1) * sizeof *node->cidrs);
    for (uint32_t i = 0; i < n; i++) {
        if (!sh_cidr_parse(blocks[i], lens[i], &node->cidrs[i])) {
            sh_diag_set(d, NULL, 0, 0, "invalid CIDR block \"%.*s\"", (int)lens[i], blocks[i]);
            return NULL;
        }
    }
    node->ncidrs = n;
    return node;
}

/* ---------------------------------------------------------------- CIDR */

static bool parse_v4(const char *s, size_t n, uint8_t out[4]) {
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= n || s[i] != '.') return false;
            i++;
        }
        size_t st = i;
        unsigned v = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - st < 3) v = v * 10 + (unsigned)(s[i++] - '0');
        if (i == st || v > 255) return false;
        out[part] = (uint8_t)v;
    }
    return i == n;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* IPv6 with "::" compression and an optional trailing dotted IPv4 */
static bool parse_v6(const char *s, size_t n, uint8_t out[16]) {
    uint16_t words[8];
    int nw = 0, gap = -1;
    size_t i = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') { gap = 0; i = 2; }
    while (i < n) {
        size_t st = i;
        unsigned v = 0;
        while (i < n && hexval(s[i]) >= 0 && i - st < 4) v = v * 16 + (unsigned)hexval(s[i++]);
        if (i < n && s[i] == '.') { /* embedded IPv4 */
            uint8_t v4[4];
            if (nw > 6 || !parse_v4(s + st, n - st, v4)) return false;
            words[nw++] = (uint16_t)(v4[0] << 8 | v4[1]);
            words[nw++] = (uint16_t)(v4[2] << 8 | v4[3]);
            i = n;
            break;
        }
        if (i == st || nw >= 8) return false;
        words[nw++] = (uint16_t)v;
        if (i == n) break;
        if (s[i] != ':') return false;
        i++;
        if (i < n && s[i] == ':') {
            if (gap >= 0) return false;
            gap = nw;
            i++;
        } else if (i == n) return false;
    }
    if (gap < 0 && nw != 8) return false;
    if (gap >= 0 && nw > 7) return false;
    uint16_t full[8] = {0};
    if (gap < 0) memcpy(full, words, sizeof full);
    else {
        int tail = nw - gap;
        memcpy(full, words, (size_t)gap * 2);
        memcpy(full + 8 - tail, words + gap, (size_t)tail * 2);
    }
    for (int k = 0; k < 8; k++) { out[2 * k] = (uint8_t)(full[k] >> 8); out[2 * k + 1] = (uint8_t)full[k]; }
    return true;
}

bool sh_ip_parse(const char *s, size_t n, uint8_t addr[16], bool *is_v6) {
    memset(addr, 0, 16);
    if (memchr(s, ':', n)) {
        *is_v6 = true;
        return parse_v6(s, n, addr);
    }
    *is_v6 = false;
    return parse_v4(s, n, addr);
}

bool sh_cidr_parse(const char *s, size_t n, sh_cidr *out) {
    const char *slash = memchr(s, '/', n);
    size_t an = slash ? (size_t)(slash - s) : n;
    bool v6;
    memset(out, 0, sizeof *out);
    if (!sh_ip_parse(s, an, out->addr, &v6)) return false;
    out->is_v6 = v6;
    unsigned maxb = v6 ? 128 : 32, bits = maxb;
    if (slash) {
        const char *b = slash + 1;
        size_t bn = n - an - 1;
        if (!bn || bn > 3) return false;
        bits = 0;
        for (size_t i = 0; i < bn; i++) {
            if (b[i] < '0' || b[i] > '9') return false;
            bits = bits * 10 + (unsigned)(b[i] - '0');
        }
        if (bits > maxb) return false;
    }
    out->bits = (uint8_t)bits;
    return true;
}

bool sh_cidr_contains(const sh_cidr *c, const uint8_t addr[16], bool is_v6) {
    uint8_t a[16];
    memcpy(a, addr, 16);
    bool v6 = is_v6;
    /* IPv4-mapped IPv6 addresses compare as IPv4 */
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (v6 && !c->is_v6 && memcmp(a, mapped, 12) == 0) {
        memmove(a, a + 12, 4);
        v6 = false;
    }
    if (v6 != (bool)c->is_v6) return false;
    unsigned full = c->bits / 8, rem = c->bits % 8;
    if (memcmp(a, c->addr, full) != 0) return false;
    if (rem) {
        uint8_t mask = (uint8_t)(0xff << (8 - rem));
        if ((a[full] & mask) != (c->addr[full] & mask)) return false;
    }
    return true;
}

void sh_ir_lower_cache(sh_ir *n) {
    if (!n || n->kind != SH_IR_WILDCARD || !(n->flags & SH_IRF_CI) || n->nargs < 1 ||
        n->args[0]->kind != SH_IR_FIELD || !n->args[0]->ref || (n->args[0]->flags & SH_IRF_OPTIONAL))
        return;
    const sh_fieldref *f = n->args[0]->ref;
    char name[600];
    if (f->cnlen + 7 > sizeof name) return;
    memcpy(name, f->cname, f->cnlen); /* per view: views may disagree on the values */
    /* a name no reader makes (0xff is never in UTF-8): an event's own field
     * can never be taken for the cache */
    memcpy(name + f->cnlen, "\xff" "lower", 6);
    n->ref = sh_fieldref_get(name, f->cnlen + 6);
    n->flags |= SH_IRF_LOWERED;
}

/* ------------------------------------------------------ membership sets */

#define SET_MIN 4 /* below this many strings a linear scan is as fast */

static void set_add(sh_strset *set, const char *str, uint32_t len) {
    uint32_t h = sh_hash(str, len), m = set->cap - 1, i = h & m;
    while (set->slots[i].s) {
        if (set->slots[i].hash == h && set->slots[i].len == len && memcmp(set->slots[i].s, str, len) == 0) return;
        i = (i + 1) & m;
    }
    set->slots[i] = (sh_strset_slot){.s = str, .len = len, .hash = h};
    set->n++;
}

bool sh_strset_has(const sh_strset *set, const char *str, size_t len) {
    uint32_t h = sh_hash(str, len), m = set->cap - 1, i = h & m;
    while (set->slots[i].s) {
        if (set->slots[i].hash == h && set->slots[i].len == len && memcmp(set->slots[i].s, str, len) == 0)
            return true;
        i = (i + 1) & m;
    }
    return false;
}

static sh_strset *set_new(sh_irpool *p, uint32_t nitems) {
    sh_strset *set = sh_arena_zalloc(&p->arena, sizeof *set);
    set->cap = 16;
    while (set->cap < nitems * 2) set->cap *= 2;
    set->slots = sh_arena_zalloc(&p->arena, set->cap * sizeof *set->slots);
    return set;
}

static void finalize_in(sh_irpool *p, sh_ir *n) {
    uint32_t nstr = 0;
    bool ci = n->flags & SH_IRF_CI;
    for (uint32_t k = 1; k < n->nargs; k++)
        nstr += n->args[k]->kind == SH_IR_LIT && n->args[k]->lit.type == SH_STR;
    if (nstr < SET_MIN) return;
    sh_strset *set = set_new(p, nstr);
    set->others = sh_arena_zalloc(&p->arena, n->nargs * sizeof *set->others);
    for (uint32_t k = 1; k < n->nargs; k++) {
        const sh_ir *a = n->args[k];
        if (a->kind == SH_IR_LIT && a->lit.type == SH_STR)
            set_add(set, ci ? a->lit_lower : a->lit.s, ci ? a->lit_lower_len : a->lit.len);
        else set->others[set->nothers++] = k;
    }
    n->set = set;
}

#define LITS_MIN 8 /* below this many `*literal*` patterns a search each is as fast */

/* many `*literal*` patterns: one literal scan (a wildset built once) */
static void finalize_lits(sh_irpool *p, sh_wildset *w) {
    uint32_t nlit = 0;
    for (uint32_t i = 0; i < w->n; i++) nlit += w->pats[i].shape == SH_W_CONTAINS && w->pats[i].core_len > 0;
    if (nlit < LITS_MIN || w->lits) return;
    const char **lits = sh_arena_alloc(&p->arena, nlit * sizeof *lits);
    uint32_t *lens = sh_arena_alloc(&p->arena, nlit * sizeof *lens);
    uint32_t j = 0, k = 0;
    for (uint32_t i = 0; i < w->n; i++) {
        if (w->pats[i].shape == SH_W_CONTAINS && w->pats[i].core_len > 0) {
            lits[k] = w->pats[i].core;
            lens[k++] = w->pats[i].core_len;
        } else {
            w->pats[j++] = w->pats[i];
        }
    }
    w->n = j;
    w->lits = sh_wlits_new(p, lits, lens, k);
}

static void finalize_wild(sh_irpool *p, sh_wildset *w) {
    finalize_lits(p, w);
    uint32_t nexact = 0;
    for (uint32_t i = 0; i < w->n; i++) nexact += w->pats[i].shape == SH_W_EXACT;
    if (nexact < SET_MIN) return;
    sh_strset *set = set_new(p, nexact);
    uint32_t j = 0;
    for (uint32_t i = 0; i < w->n; i++) {
        if (w->pats[i].shape == SH_W_EXACT) set_add(set, w->pats[i].text, w->pats[i].len);
        else w->pats[j++] = w->pats[i];
    }
    w->n = j;
    w->exact = set;
}

/* Wildcard tests on a field are numbered by what they test: the field
 * reference (its name and view), the flags that change
 * the result before negation, and the patterns. The same test in many rules
 * (`index=wineventlog`, `Image|endswith: \\certutil.exe`) is then evaluated
 * once per event (eval.c). */
static sh_numbering g_memo = SH_NUMBERING_INIT;

uint32_t sh_ir_memo_count(void) { return sh_numbered(&g_memo); }

static void memo_number(sh_ir *n) {
    const sh_ir *f = n->nargs ? n->args[0] : NULL;
    n->memo = UINT32_MAX;   /* not remembered, unless numbered below */
    if (!f || f->kind != SH_IR_FIELD || !f->ref || (f->flags & SH_IRF_OPTIONAL) || !n->wild) return;
    sh_buf b = {0};
    uint16_t flags = n->flags & (SH_IRF_CI | SH_IRF_ALL);
    /* the reference by its name and view (a rule's own refs may be freed
     * with a rejected rule and their memory reused) */
    sh_buf_put(&b, &f->ref->view, sizeof f->ref->view);
    sh_buf_put(&b, &f->ref->cnlen, sizeof f->ref->cnlen);
    sh_buf_put(&b, f->ref->cname, f->ref->cnlen);
    sh_buf_put(&b, &flags, sizeof flags);
    for (uint32_t i = 0; i < n->wild->n; i++) {
        uint32_t len = n->wild->pats[i].len;
        sh_buf_put(&b, &len, sizeof len);
        sh_buf_put(&b, n->wild->pats[i].text, len);
    }
    uint32_t id = sh_number(&g_memo, b.data, b.len, 1u << 20);
    if (id != UINT32_MAX) n->memo = id + 1;
    sh_buf_free(&b);
}

void sh_ir_finalize(sh_irpool *p, sh_ir *n) {
    if (!n) return;
    for (uint32_t i = 0; i < n->nargs; i++) sh_ir_finalize(p, n->args[i]);
    if (n->kind == SH_IR_IN && !n->set) finalize_in(p, n);
    /* numbered on the patterns as written: finalize_wild moves some into sets */
    if (n->kind == SH_IR_WILDCARD && !n->memo) memo_number(n);
    if (n->kind == SH_IR_WILDCARD && n->wild && !n->wild->exact) finalize_wild(p, n->wild);
}
