/* match.c: string matching for the evaluator: wildcard patterns ('*' and
 * '?', no escapes), regular expressions (PCRE2 with match and depth limits,
 * so a rule cannot hang the engine), and case-folding into a caller buffer
 * so that case-insensitive matching allocates nothing per event. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "engine/ir.h"

#include <hs/hs.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

/* regex limits: enough for any sane detection pattern, small enough that a
 * catastrophic one fails fast (counted as no match) */
#define SH_RX_MATCH_LIMIT 200000
#define SH_RX_DEPTH_LIMIT 10000

void sh_eval_init(sh_eval *ev) {
    memset(ev, 0, sizeof *ev);
    sh_arena_init(&ev->scratch);
    ev->md = pcre2_match_data_create(1, NULL);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(mc, SH_RX_MATCH_LIMIT);
    pcre2_set_depth_limit(mc, SH_RX_DEPTH_LIMIT);
    ev->mctx = mc;
    ev->combo_limit = 256;
}

void sh_eval_free(sh_eval *ev) {
    pcre2_match_data_free(ev->md);
    pcre2_match_context_free(ev->mctx);
    sh_arena_free(&ev->scratch);
    memset(ev, 0, sizeof *ev);
}

static size_t utf8_step(const char *s, size_t i, size_t n) {
    unsigned char c = (unsigned char)s[i];
    size_t k = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (c >= 0x80 && c < 0xc0) k = 1; /* stray continuation byte */
    return i + k > n ? n - i : k;
}

bool sh_wild_match(const char *p, size_t pn, const char *s, size_t sn) {
    size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0;
    while (si < sn) {
        if (pi < pn && p[pi] == '*') {
            star_p = ++pi;
            star_s = si;
            continue;
        }
        if (pi < pn && p[pi] == '?') {
            pi++;
            si += utf8_step(s, si, sn);
            continue;
        }
        if (pi < pn && p[pi] == s[si]) {
            pi++;
            si++;
            continue;
        }
        if (star_p == (size_t)-1) return false;
        pi = star_p;
        star_s += utf8_step(s, star_s, sn);
        si = star_s;
    }
    while (pi < pn && p[pi] == '*') pi++;
    return pi == pn;
}

static bool wpat_match(const sh_wpat *w, const char *s, size_t n) {
    switch (w->shape) {
    case SH_W_EXACT: return n == w->len && memcmp(s, w->text, n) == 0;
    case SH_W_ANY: return true;
    case SH_W_PREFIX: return n >= w->core_len && memcmp(s, w->core, w->core_len) == 0;
    case SH_W_SUFFIX: return n >= w->core_len && memcmp(s + n - w->core_len, w->core, w->core_len) == 0;
    case SH_W_CONTAINS: return w->core_len == 0 || memmem(s, n, w->core, w->core_len) != NULL;
    default: return sh_wild_match(w->text, w->len, s, n);
    }
}

const char *sh_lower_tmp(sh_eval *ev, const char *s, size_t n, char *buf, size_t bufsz, size_t *outn) {
    char *out = n * 2 <= bufsz ? buf : sh_arena_alloc(&ev->scratch, n * 2 + 1);
    *outn = sh_utf8_lower(s, n, out);
    return out;
}

/* ---- literal sets: many `*literal*` patterns found by one Vectorscan scan.
 * The database is compiled when the set is first matched (most rules never
 * meet most of their patterns' fields); should Vectorscan refuse it, each
 * literal is searched on its own. */
struct sh_wlits {
    const char *const *lits;
    const uint32_t *lens;
    uint32_t n;
    hs_database_t *db;
    hs_scratch_t *scratch;
    bool tried;
};

sh_wlits *sh_wlits_new(sh_irpool *p, const char *const *lits, const uint32_t *lens, uint32_t n) {
    sh_wlits *l = sh_arena_zalloc(&p->arena, sizeof *l);
    l->lits = lits;
    l->lens = lens;
    l->n = n;
    if (p->nlits == p->caplits) {
        p->caplits = p->caplits ? p->caplits * 2 : 8;
        sh_wlits **nl = realloc(p->lits, p->caplits * sizeof *nl);
        if (!nl) abort();
        p->lits = nl;
    }
    p->lits[p->nlits++] = l;
    return l;
}

uint32_t sh_wlits_list(const sh_wlits *l, const char *const **lits, const uint32_t **lens) {
    *lits = l->lits;
    *lens = l->lens;
    return l->n;
}

void sh_wlits_free(sh_wlits *l) {
    if (l->scratch) hs_free_scratch(l->scratch);
    if (l->db) hs_free_database(l->db);
    l->scratch = NULL;
    l->db = NULL;
}

static void wlits_build(sh_wlits *l) {
    l->tried = true;
    unsigned *flags = malloc(l->n * sizeof *flags), *ids = malloc(l->n * sizeof *ids);
    size_t *lens = malloc(l->n * sizeof *lens);
    if (!flags || !ids || !lens) abort();
    for (uint32_t i = 0; i < l->n; i++) {
        flags[i] = HS_FLAG_SINGLEMATCH;
        ids[i] = i;
        lens[i] = l->lens[i];
    }
    hs_compile_error_t *err = NULL;
    if (hs_compile_lit_multi(l->lits, flags, ids, lens, l->n, HS_MODE_BLOCK, NULL, &l->db, &err) != HS_SUCCESS ||
        hs_alloc_scratch(l->db, &l->scratch) != HS_SUCCESS) {
        if (err) hs_free_compile_error(err);
        sh_wlits_free(l);
    }
    free(flags);
    free(ids);
    free(lens);
}

static int wlits_hit(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *ctx) {
    (void)id, (void)from, (void)to, (void)fl;
    *(bool *)ctx = true;
    return 1; /* one is enough */
}

static bool wlits_match(sh_wlits *l, const char *s, size_t n) {
    if (!l->tried) wlits_build(l);
    if (l->db && n <= UINT32_MAX) {
        bool hit = false;
        hs_error_t rc = hs_scan(l->db, s, (unsigned)n, 0, l->scratch, wlits_hit, &hit);
        if (rc == HS_SUCCESS || rc == HS_SCAN_TERMINATED) return hit;
    }
    for (uint32_t i = 0; i < l->n; i++)
        if (memmem(s, n, l->lits[i], l->lens[i])) return true;
    return false;
}

bool sh_wildset_match(sh_eval *ev, const sh_wildset *w, bool ci, const char *s, size_t n) {
    char buf[1024];
    if (ci) s = sh_lower_tmp(ev, s, n, buf, sizeof buf, &n);
    if (w->exact && sh_strset_has(w->exact, s, n)) return true;
    if (w->lits && wlits_match(w->lits, s, n)) return true;
    for (uint32_t i = 0; i < w->n; i++)
        if (wpat_match(&w->pats[i], s, n)) return true;
    return false;
}

int sh_rxset_match(sh_eval *ev, const sh_rxset *r, const char *s, size_t n) {
    int res = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        int rc = pcre2_match(r->codes[i], (PCRE2_SPTR)s, n, 0, 0, ev->md, ev->mctx);
        if (rc >= 0) return 1;
        if (rc != PCRE2_ERROR_NOMATCH) res = -1;
    }
    return res;
}
