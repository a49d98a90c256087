/* fuzz_rxlit.c: libFuzzer target for the regex literals of engine/rxlit.c
 * (sh_regex_needs), checked against PCRE2 itself. Input: the first byte is
 * flags (bit 0 caseless, bit 1 extended), then the pattern up to the first
 * NUL byte, the rest is the subject. The pattern is compiled as the engine
 * compiles it (UTF, invalid UTF in subjects allowed, dot matches newline,
 * plus caseless/extended); sh_regex_needs is called whatever the outcome
 * and must not crash. When the pattern compiles and literals come back,
 * each must be non-empty, and when the regex matches the subject, the
 * subject, and the matched text itself, lower-cased with sh_utf8_lower, must
 * contain one of the literals lower-cased the same way (the prefilter's
 * comparison); a case-sensitive pattern without inline options must even
 * contain one byte for byte. Any miss aborts: the prefilter would skip a
 * rule that matches. Everything is freed, so leaks show. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ir.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static char *lower(const char *s, size_t n, size_t *out_n) {
    char *o = malloc(2 * n + 1);
    if (!o) abort();
    *out_n = sh_utf8_lower(s, n, o);
    if (*out_n > 2 * n) abort();
    o[*out_n] = 0;
    return o;
}

/* does text (lower-cased when fold) contain one of the literals (likewise)? */
static int contains_one(const char *text, size_t tn, const char **lits, const uint32_t *lens, uint32_t n,
                        int fold) {
    size_t ln = tn;
    char *lt = fold ? lower(text, tn, &ln) : NULL;
    const char *t = fold ? lt : text;
    int found = 0;
    for (uint32_t i = 0; i < n && !found; i++) {
        size_t kn = lens[i];
        char *lk = fold ? lower(lits[i], lens[i], &kn) : NULL;
        const char *k = fold ? lk : lits[i];
        if (kn == 0 || (kn <= ln && memmem(t, ln, k, kn) != NULL)) found = 1;
        free(lk);
    }
    free(lt);
    return found;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size < 1) return 0;
    bool caseless = data[0] & 1, extended = (data[0] & 2) != 0;
    const char *pat = (const char *)data + 1;
    const char *nul = memchr(pat, 0, size - 1);
    size_t plen = nul ? (size_t)(nul - pat) : size - 1;
    const char *subj = nul ? nul + 1 : pat + plen;
    size_t slen = (size_t)((const char *)data + size - subj);

    uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOTALL;
    if (caseless) opts |= PCRE2_CASELESS;
    if (extended) opts |= PCRE2_EXTENDED;
    int err;
    PCRE2_SIZE erroff;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, plen, opts, &err, &erroff, NULL);

    sh_arena a;
    sh_arena_init(&a);
    const char **lits = NULL;
    uint32_t *lens = NULL, n = 0;
    bool ok = sh_regex_needs(pat, plen, caseless, extended, &a, &lits, &lens, &n);
    if (!ok && n != 0) abort();
    if (!code || !ok) {
        pcre2_code_free(code);
        sh_arena_free(&a);
        return 0;
    }
    if (n == 0) abort();
    for (uint32_t i = 0; i < n; i++)
        if (!lits[i] || lens[i] == 0 || lits[i][lens[i]] != 0) abort();

    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    if (!md || !mc) abort();
    pcre2_set_match_limit(mc, 100000);
    pcre2_set_depth_limit(mc, 1000);
    int rc = pcre2_match(code, (PCRE2_SPTR)subj, slen, 0, 0, md, mc);
    if (rc >= 0) {
        if (!contains_one(subj, slen, lits, lens, n, 1)) abort();
        /* case-sensitive and no inline option that could turn caseless on */
        if (!caseless && !memmem(pat, plen, "(?", 2) && !contains_one(subj, slen, lits, lens, n, 0)) abort();
        /* the matched text itself, unless \K moved its start */
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (!memmem(pat, plen, "\\K", 2) && ov[0] <= ov[1] && ov[1] <= slen &&
            !contains_one(subj + ov[0], ov[1] - ov[0], lits, lens, n, 1))
            abort();
    } else if (rc != PCRE2_ERROR_NOMATCH) {
        /* match or depth limit and the like: no verdict */
    }
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    pcre2_code_free(code);
    sh_arena_free(&a);
    return 0;
}
