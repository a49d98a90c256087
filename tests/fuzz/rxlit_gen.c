/* rxlit_gen.c: a grammar-driven differential check of engine/rxlit.c
 * (sh_regex_needs) against PCRE2, the complement of fuzz_rxlit.c: random
 * patterns built from the syntax rules use (literals, escapes, classes,
 * groups, alternation, quantifiers, anchors, lookarounds, inline options,
 * \Q..\E, comments), each with subjects drawn from the pattern itself (so
 * most of them match), with random case changes and random text around.
 * When a subject matches, its lower-cased form must contain one of the
 * literals lower-cased (and the subject itself one of the literals, for a
 * case-sensitive pattern without inline options); a miss prints the pattern and subject and exits 1.
 * Not a libFuzzer target (build.sh skips it): `make unit` builds it as
 * build/tests/test_rxlit_gen, which the test suite runs with its defaults
 * (100,000 patterns from a fixed seed, in both trees); for a longer campaign
 *   build/tests/test_rxlit_gen [iterations] [seed] */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/ir.h"
#include "util/util.h"

typedef struct buf {
    char s[4096];
    size_t n;
} buf;

static uint64_t rng_state;

static uint32_t rnd(uint32_t n) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static void put(buf *b, const char *s, size_t n) {
    if (b->n + n >= sizeof b->s) return;
    memcpy(b->s + b->n, s, n);
    b->n += n;
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* characters the literals are drawn from: ASCII with k and s (which have
 * variants outside ASCII), a few two- and three-byte ones (é, ſ, the Kelvin
 * sign, İ), and metacharacters (escaped when used as literals) */
static const char *const lit_chars[] = {"a", "b", "c", "k", "s", "K", "S", "A", "x", "1", "-", "/", ".", "\\",
                                        " ", "#", "\xc3\xa9", "\xc5\xbf", "\xe2\x84\xaa", "\xc4\xb0", "]", "}", "{",
                                        "*", "+", "?", "(", ")", "|", "^", "$", "["};

static const char *pick_lit(void) { return lit_chars[rnd(sizeof lit_chars / sizeof lit_chars[0])]; }

static bool is_meta(const char *c) { return strlen(c) == 1 && strchr("\\.*+?()[]{}|^$", c[0]); }

static void gen_alt(buf *p, buf *s, int depth);

/* one literal character, escaped as needed; its text to the sample */
static void gen_literal(buf *p, buf *s) {
    const char *c = pick_lit();
    if (is_meta(c) || rnd(8) == 0) {
        if ((c[0] >= 'a' && c[0] <= 'z') || (c[0] >= 'A' && c[0] <= 'Z') || (c[0] >= '0' && c[0] <= '9') ||
            (unsigned char)c[0] >= 0x80) {
            put(p, c, strlen(c));   /* an escaped letter is something else */
        } else {
            puts_(p, "\\");
            puts_(p, c);
        }
    } else {
        puts_(p, c);
    }
    puts_(s, c);
}

static void gen_class(buf *p, buf *s) {
    static const char *const items[] = {"a", "b", "k", "]", "\\]", "-", "^", "a-c", "\\d", "[:alpha:]", "[:digit:]",
                                        "\\Q]\\E", "\\Qa-\\E", "\\E", "[", "[:", ":]", ".", "\xc3\xa9", "\\x41",
                                        "\\\\", "\\-", "s", "S", "\\w", "\\c]", "\\cA", "[:alpha:", "\\x", "\\0"};
    bool neg = rnd(5) == 0;
    puts_(p, neg ? "[^" : "[");
    int n = 1 + (int)rnd(3);
    const char *first = NULL;
    for (int i = 0; i < n; i++) {
        const char *it = items[rnd(sizeof items / sizeof items[0])];
        puts_(p, it);
        if (!first) first = it;
    }
    puts_(p, "]");
    /* a member: good enough for samples, PCRE2 decides */
    if (neg) puts_(s, "z");
    else if (strlen(first) == 1 || (unsigned char)first[0] >= 0x80) puts_(s, first);
    else if (first[0] == '\\' && first[1] && !strchr("dQEwx", first[1])) put(s, first + 1, 1);
    else puts_(s, "a");
}

static void gen_escape(buf *p, buf *s) {
    switch (rnd(21)) {
    case 16: puts_(p, "\\cA"); puts_(s, "\x01"); break;
    case 17: puts_(p, "\\0123"); puts_(s, "\n3"); break;
    case 18: puts_(p, "\\N{U+41}"); puts_(s, "A"); break;
    case 19: puts_(p, "\\x"); put(s, "", 1); break;
    case 20: puts_(p, "\\G"); break;
    case 0: puts_(p, "\\d"); puts_(s, "7"); break;
    case 1: puts_(p, "\\w"); puts_(s, "w"); break;
    case 2: puts_(p, "\\s"); puts_(s, " "); break;
    case 3: puts_(p, "\\x41"); puts_(s, "A"); break;
    case 4: puts_(p, "\\x{6b}"); puts_(s, "k"); break;
    case 5: puts_(p, "\\x{e9}"); puts_(s, "\xc3\xa9"); break;
    case 6: puts_(p, "\\t"); puts_(s, "\t"); break;
    case 7: puts_(p, "\\b"); break;
    case 8: puts_(p, "\\E"); break;
    case 9: puts_(p, "\\Q\\E"); break;
    case 10: {
        puts_(p, "\\Q");
        int n = 1 + (int)rnd(4);
        for (int i = 0; i < n; i++) {
            const char *c = pick_lit();
            if (c[0] == '\\') c = "x";
            puts_(p, c);
            puts_(s, c);
        }
        if (rnd(4)) puts_(p, "\\E");
        break;
    }
    case 11: puts_(p, "\\101"); puts_(s, "A"); break;
    case 12: puts_(p, "\\pL"); puts_(s, "q"); break;
    case 13: puts_(p, "\\N"); puts_(s, "n"); break;
    case 14: puts_(p, "\\1"); break;
    default: puts_(p, "\\K"); break;
    }
}

static void gen_group(buf *p, buf *s, int depth) {
    static const char *const opens[] = {"(", "(?:", "(?>", "(?|", "(?i:", "(?-i:", "(?<n>", "(?=", "(?!", "(?<=",
                                        "(?<!", "(?s:", "(?P<m>", "(?'o'", "(?i)(?-i:", "(?#a)(", "(?*", "(?<*",
                                        "(*napla:", "(*atomic:", "(?<n_1>"};
    int k = (int)rnd(sizeof opens / sizeof opens[0]);
    if (depth > 3) k = 0;
    const char *o = opens[k];
    puts_(p, o);
    bool look = strstr(o, "=") || strstr(o, "!") || strstr(o, "*") || strstr(o, "napla");
    buf tmp = {.n = 0};
    gen_alt(p, look ? &tmp : s, depth + 1);
    puts_(p, ")");
}

static void gen_atom(buf *p, buf *s, int depth) {
    switch (rnd(14)) {
    case 0: case 1: case 2: case 3: case 4: gen_literal(p, s); break;
    case 5: puts_(p, "."); puts_(s, "."); break;
    case 6: gen_class(p, s); break;
    case 7: case 8: gen_group(p, s, depth); break;
    case 9: gen_escape(p, s); break;
    case 10: puts_(p, rnd(2) ? "^" : "$"); break;
    case 11: puts_(p, rnd(2) ? "(?i)" : "(?#c)"); break;
    case 12: {
        /* a long run, past the literal cap, with multi-byte characters */
        int n = 55 + (int)rnd(20);
        for (int i = 0; i < n; i++) {
            const char *c = rnd(6) ? "a" : "\xc3\xa9";
            puts_(p, c);
            puts_(s, c);
        }
        break;
    }
    default: gen_literal(p, s); gen_literal(p, s); break;
    }
}

static void gen_piece(buf *p, buf *s, int depth) {
    size_t s0 = s->n;
    gen_atom(p, s, depth);
    if (rnd(3)) return;
    char one[4096];
    size_t on = s->n - s0;
    memcpy(one, s->s + s0, on);
    int reps = 1;
    switch (rnd(8)) {
    case 0: puts_(p, "*"); reps = (int)rnd(3); break;
    case 1: puts_(p, "+"); reps = 1 + (int)rnd(2); break;
    case 2: puts_(p, "?"); reps = (int)rnd(2); break;
    case 3: { int n = (int)rnd(4); char t[16]; snprintf(t, sizeof t, "{%d}", n); puts_(p, t); reps = n; break; }
    case 4: { int n = (int)rnd(3); char t[16]; snprintf(t, sizeof t, "{%d,}", n); puts_(p, t); reps = n; break; }
    case 5: { int n = (int)rnd(3), m = n + (int)rnd(3); char t[24]; snprintf(t, sizeof t, "{%d,%d}", n, m); puts_(p, t); reps = m; break; }
    case 6: puts_(p, "{,2}"); reps = 1; break;
    default: puts_(p, "*?"); reps = 0; break;
    }
    if (rnd(6) == 0) puts_(p, rnd(2) ? "+" : "?");
    s->n = s0;
    for (int i = 0; i < reps; i++) put(s, one, on);
}

static void gen_seq(buf *p, buf *s, int depth) {
    int n = (int)rnd(5) + (depth ? 0 : 1);
    for (int i = 0; i < n; i++) gen_piece(p, s, depth);
}

static void gen_alt(buf *p, buf *s, int depth) {
    int n = rnd(3) ? 1 : 2 + (int)rnd(2);
    int pick = (int)rnd((uint32_t)n);
    for (int i = 0; i < n; i++) {
        if (i) puts_(p, "|");
        buf tmp = {.n = 0};
        gen_seq(p, i == pick ? s : &tmp, depth);
    }
}

static char *lower(const char *t, size_t n, size_t *on) {
    char *o = malloc(2 * n + 1);
    if (!o) abort();
    *on = sh_utf8_lower(t, n, o);
    return o;
}

/* does subj contain one of the literals, both lower-cased when fold? */
static bool covered(const char *subj, size_t sn, const char **lits, const uint32_t *lens, uint32_t n, bool fold) {
    size_t ln = sn;
    char *ls = fold ? lower(subj, sn, &ln) : NULL;
    const char *t = fold ? ls : subj;
    bool ok = false;
    for (uint32_t i = 0; i < n && !ok; i++) {
        size_t kn = lens[i];
        char *lk = fold ? lower(lits[i], lens[i], &kn) : NULL;
        ok = kn && kn <= ln && memmem(t, ln, fold ? lk : lits[i], kn);
        free(lk);
    }
    free(ls);
    return ok;
}

static void show(const char *what, const char *t, size_t n) {
    printf("%s: \"", what);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
    printf("\"\n");
}

int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : 100000;
    rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 88172645463325252ull;
    if (!rng_state) rng_state = 1;
    long compiled = 0, with_lits = 0, matched = 0;
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(mc, 100000);
    pcre2_set_depth_limit(mc, 1000);
    for (long it = 0; it < iters; it++) {
        buf p = {.n = 0}, s = {.n = 0};
        gen_alt(&p, &s, 0);
        bool caseless = rnd(4) == 0;
        uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOTALL | (caseless ? PCRE2_CASELESS : 0);
        int err;
        PCRE2_SIZE off;
        pcre2_code *code = pcre2_compile((PCRE2_SPTR)p.s, p.n, opts, &err, &off, NULL);
        sh_arena a;
        sh_arena_init(&a);
        const char **lits;
        uint32_t *lens, n;
        bool ok = sh_regex_needs(p.s, p.n, caseless, false, &a, &lits, &lens, &n);
        if (code) compiled++;
        if (code && ok) {
            with_lits++;
            pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
            for (int v = 0; v < 6; v++) {
                buf t = {.n = 0};
                if (v & 1) puts_(&t, "zz");
                put(&t, s.s, s.n);
                if (v & 2) puts_(&t, "q\n");
                for (size_t i = 0; i < t.n; i++) {
                    unsigned char c = (unsigned char)t.s[i];
                    if (v >= 4 && c < 0x80 && rnd(2)) t.s[i] = (char)(c ^ 0x20 * ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'));
                    if (v == 5 && rnd(10) == 0) t.s[i] = "ak\xc5\xbf."[rnd(4)];
                }
                if (pcre2_match(code, (PCRE2_SPTR)t.s, t.n, 0, 0, md, mc) < 0) continue;
                matched++;
                /* byte for byte when case-sensitive with no inline option */
                bool raw = !caseless && !memmem(p.s, p.n, "(?", 2);
                if (!covered(t.s, t.n, lits, lens, n, true) || (raw && !covered(t.s, t.n, lits, lens, n, false))) {
                    printf("MISS caseless=%d\n", caseless);
                    show("pattern", p.s, p.n);
                    show("subject", t.s, t.n);
                    for (uint32_t i = 0; i < n; i++) show("literal", lits[i], lens[i]);
                    fflush(stdout);
                    _exit(1);
                }
            }
            pcre2_match_data_free(md);
        }
        pcre2_code_free(code);
        sh_arena_free(&a);
    }
    pcre2_match_context_free(mc);
    printf("%ld patterns, %ld compiled, %ld with literals, %ld matching subjects checked\n", iters, compiled,
           with_lits, matched);
    return 0;
}
