/* rxlit.c: literals a regular expression cannot match without. For the
 * literal prefilter (api/prefilter.c) and SPL's where pushdown: "every text
 * this regex matches contains one of these strings". The pattern is read as
 * PCRE2 reads it, but only the common syntax is understood: literal
 * characters and escapes, groups, alternation, classes, anchors and
 * quantifiers. Anything else (backreferences by name, conditionals, verbs,
 * extended mode) gives no literals at all, which is always safe: the rule
 * then simply runs on every event.
 *
 * Each part of the pattern yields two sets: the strings it matches exactly,
 * when they are few and known, and the strings one of which every match of
 * it contains. A sequence multiplies the exact sets of its consecutive
 * literal parts and keeps the best requirement seen (the one whose shortest
 * string is longest); an alternation unites its branches' sets, and has
 * none if one branch has none. A prefix of a required string is required
 * too, so strings past the length cap are cut (at a character boundary).
 * A cut string stands for a prefix of the real text: nothing is appended to
 * it (the cut may fall short of the cap, and what follows in the pattern
 * does not follow it in the text). */
#include <string.h>

#include "engine/ir.h"

#define RX_MAXS 16      /* strings in a set */
#define RX_MAXL 64      /* bytes of a string */
#define RX_DEPTH 64     /* group nesting */

typedef struct lstr {
    char s[RX_MAXL];
    uint8_t len;
    bool cut;           /* a prefix of the text: nothing may be appended */
} lstr;

typedef struct lset {
    bool known;
    uint8_t n;
    lstr v[RX_MAXS];
} lset;

typedef struct rinfo {
    lset exact;         /* the part matches exactly one of these */
    lset need;          /* every match of the part contains one of these */
} rinfo;

typedef struct rp {
    const unsigned char *p;
    size_t n, i;
    bool bail;          /* syntax not understood: no literals */
    bool caseless;
    int depth;
} rp;

static void set_empty_string(lset *s) {
    s->known = true;
    s->n = 1;
    s->v[0].len = 0;
    s->v[0].cut = false;
}

static void set_unknown(lset *s) {
    s->known = false;
    s->n = 0;
}

/* length of s cut to at most max bytes at a UTF-8 character boundary */
static uint8_t cut(const char *s, size_t len, size_t max) {
    if (len <= max) return (uint8_t)len;
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80) k--;
    return (uint8_t)k;
}

static lstr *set_find(lset *s, const char *t, size_t len) {
    for (unsigned i = 0; i < s->n; i++)
        if (s->v[i].len == len && memcmp(s->v[i].s, t, len) == 0) return &s->v[i];
    return NULL;
}

/* adds t (cut to the cap; was_cut: t itself is already a cut prefix);
 * false when the set is full. A string both whole and cut is kept cut. */
static bool set_add(lset *s, const char *t, size_t len, bool was_cut) {
    uint8_t l = cut(t, len, RX_MAXL);
    bool c = was_cut || l < len;
    lstr *have = set_find(s, t, l);
    if (have) {
        have->cut |= c;
        return true;
    }
    if (s->n == RX_MAXS) return false;
    memcpy(s->v[s->n].s, t, l);
    s->v[s->n].len = l;
    s->v[s->n].cut = c;
    s->n++;
    return true;
}

/* how much a requirement selects: its shortest string's length, -1 none */
static int score(const lset *s) {
    if (!s->known || !s->n) return -1;
    int m = RX_MAXL + 1;
    for (unsigned i = 0; i < s->n; i++)
        if (s->v[i].len < m) m = s->v[i].len;
    return m;
}

static void consider(lset *best, const lset *cand) {
    int a = score(cand), b = score(best);
    if (a > b || (a == b && a >= 0 && cand->n < best->n)) *best = *cand;
}

/* a x b (all concatenations); false when too many */
static bool product(lset *out, const lset *a, const lset *b) {
    lset r = {.known = true};
    for (unsigned i = 0; i < a->n; i++)
        for (unsigned j = 0; j < b->n; j++) {
            char t[2 * RX_MAXL];
            /* a cut string ends what is known of the text */
            size_t bl = a->v[i].cut ? 0 : b->v[j].len;
            memcpy(t, a->v[i].s, a->v[i].len);
            memcpy(t + a->v[i].len, b->v[j].s, bl);
            if (!set_add(&r, t, (size_t)a->v[i].len + bl, a->v[i].cut || b->v[j].cut)) return false;
        }
    *out = r;
    return true;
}

/* union into out; false when too many */
static bool unite(lset *out, const lset *a) {
    for (unsigned i = 0; i < a->n; i++)
        if (!set_add(out, a->v[i].s, a->v[i].len, a->v[i].cut)) return false;
    return true;
}

static void lit_char(rinfo *r, const char *s, size_t len) {
    set_unknown(&r->need);
    r->exact.known = true;
    r->exact.n = 0;
    set_add(&r->exact, s, len, false);
    r->need = r->exact;
}

static void any_char(rinfo *r) {
    set_unknown(&r->exact);
    set_unknown(&r->need);
}

static void zero_width(rinfo *r) {
    set_empty_string(&r->exact);
    r->need = r->exact;
}

static void p_alt(rp *x, rinfo *out);

/* skips what PCRE2 drops before it reads the pattern's items: a \E with
 * no \Q, an empty \Q\E and a (?#...) comment. A quantifier after them
 * applies to the item before them. */
static void skip_ignored(rp *x) {
    for (;;) {
        const unsigned char *p = x->p + x->i;
        size_t left = x->n - x->i;
        if (left >= 2 && p[0] == '\\' && p[1] == 'E') {
            x->i += 2;
        } else if (left >= 4 && p[0] == '\\' && p[1] == 'Q' && p[2] == '\\' && p[3] == 'E') {
            x->i += 4;
        } else if (left >= 3 && p[0] == '(' && p[1] == '?' && p[2] == '#') {
            const unsigned char *e = memchr(p + 3, ')', left - 3);
            if (!e) return;     /* unterminated: p_group gives up on it */
            x->i += (size_t)(e - p) + 1;
        } else {
            return;
        }
    }
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* an escape, the backslash read */
static void p_escape(rp *x, rinfo *r) {
    if (x->i >= x->n) { x->bail = true; return; }
    unsigned char c = x->p[x->i++];
    switch (c) {
    case 'b': case 'B': case 'A': case 'z': case 'Z': case 'G': case 'K': case 'E':
        zero_width(r);
        return;
    case 'd': case 'D': case 'w': case 'W': case 's': case 'S': case 'h': case 'H':
    case 'v': case 'V': case 'R': case 'N': case 'X': case 'C':
        any_char(r);
        return;
    case 'p': case 'P':
        if (x->i < x->n && x->p[x->i] == '{') {
            while (x->i < x->n && x->p[x->i] != '}') x->i++;
            if (x->i == x->n) { x->bail = true; return; }
            x->i++;
        } else if (x->i < x->n) {
            x->i++;
        } else {
            x->bail = true;
            return;
        }
        any_char(r);
        return;
    case 'Q': {
        /* literal up to \E (or the end) */
        size_t s = x->i;
        while (x->i < x->n && !(x->p[x->i] == '\\' && x->i + 1 < x->n && x->p[x->i + 1] == 'E')) x->i++;
        size_t e = x->i;
        if (x->i < x->n) x->i += 2;
        if (e == s) { zero_width(r); return; }
        /* a quantifier after \Q..\E applies to its last character: keep
         * the text exact only when none follows */
        r->exact.known = true;
        r->exact.n = 0;
        set_add(&r->exact, (const char *)x->p + s, e - s, false);
        r->need = r->exact;
        skip_ignored(x);
        if (x->i < x->n && strchr("*+?{", x->p[x->i])) x->bail = true;
        return;
    }
    case 't': lit_char(r, "\t", 1); return;
    case 'n': lit_char(r, "\n", 1); return;
    case 'r': lit_char(r, "\r", 1); return;
    case 'f': lit_char(r, "\f", 1); return;
    case 'e': lit_char(r, "\x1b", 1); return;
    case 'a': lit_char(r, "\a", 1); return;
    case 'x': {
        unsigned v = 0;
        if (x->i < x->n && x->p[x->i] == '{') {
            x->i++;
            int d, k = 0;
            while (x->i < x->n && (d = hexval(x->p[x->i])) >= 0 && k < 8) v = v * 16 + (unsigned)d, x->i++, k++;
            if (x->i >= x->n || x->p[x->i] != '}' || !k) { x->bail = true; return; }
            x->i++;
        } else {
            int d, k = 0;
            while (k < 2 && x->i < x->n && (d = hexval(x->p[x->i])) >= 0) v = v * 16 + (unsigned)d, x->i++, k++;
        }
        if (v == 0 || v >= 0x80) { any_char(r); return; }   /* non-ASCII: not spelled out here */
        char ch = (char)v;
        lit_char(r, &ch, 1);
        return;
    }
    case 'c':
        if (x->i >= x->n) { x->bail = true; return; }
        x->i++;
        any_char(r);
        return;
    default: break;
    }
    if (c >= '0' && c <= '9') {
        /* a backreference or an octal escape: some text, not known here */
        while (x->i < x->n && x->p[x->i] >= '0' && x->p[x->i] <= '9') x->i++;
        any_char(r);
        return;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80) {
        x->bail = true;     /* \g, \k, \o, \L ...: not read here */
        return;
    }
    char ch = (char)c;
    lit_char(r, &ch, 1);
}

/* a character class, the '[' read: one literal when it lists a single
 * character, else any character */
static void p_class(rp *x, rinfo *r) {
    bool neg = x->i < x->n && x->p[x->i] == '^';
    if (neg) x->i++;
    size_t first = x->i;
    int count = 0;
    char only = 0;
    bool simple = !neg;
    for (;;) {
        if (x->i >= x->n) { x->bail = true; return; }
        unsigned char c = x->p[x->i];
        if (c == ']' && x->i > first) { x->i++; break; }
        if (c == '[' && x->i + 1 < x->n && (x->p[x->i + 1] == ':' || x->p[x->i + 1] == '.' || x->p[x->i + 1] == '=')) {
            /* [:alpha:], when PCRE2 takes it for one: its terminator and ']'
             * come before any ']' or a new '[' with the same terminator
             * (\] and \\ skipped); otherwise the '[' is an ordinary member */
            unsigned char k = x->p[x->i + 1];
            size_t j = x->i + 2, end = 0;
            for (; j + 1 < x->n; j++) {
                if (x->p[j] == '\\' && (x->p[j + 1] == ']' || x->p[j + 1] == '\\')) j++;
                else if ((x->p[j] == '[' && x->p[j + 1] == k) || x->p[j] == ']') break;
                else if (x->p[j] == k && x->p[j + 1] == ']') { end = j + 2; break; }
            }
            if (end) {
                x->i = end;
                simple = false;
                count++;
                continue;
            }
        }
        if (c == '\\') {
            if (x->i + 1 >= x->n) { x->bail = true; return; }
            unsigned char d = x->p[x->i + 1];
            x->i += 2;
            /* \Q..\E may quote a ']', and \E or \Q\E at the start leave a
             * ']' after them a member: not followed here */
            if (d == 'Q' || d == 'E') { x->bail = true; return; }
            if ((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9') || d >= 0x80) {
                simple = false;
                if (d == 'c') {
                    /* \cX: X is part of the escape, whatever it is */
                    if (x->i >= x->n) { x->bail = true; return; }
                    x->i++;
                }
                if ((d == 'p' || d == 'P' || d == 'x' || d == 'o') && x->i < x->n && x->p[x->i] == '{') {
                    while (x->i < x->n && x->p[x->i] != '}') x->i++;
                    if (x->i == x->n) { x->bail = true; return; }
                    x->i++;
                }
            } else {
                only = (char)d;
            }
            count++;
            continue;
        }
        if (c >= 0x80) simple = false;
        if (c == '-' && x->i > first && x->i + 1 < x->n && x->p[x->i + 1] != ']') simple = false;
        only = (char)c;
        count++;
        x->i++;
    }
    if (simple && count == 1) lit_char(r, &only, 1);
    else any_char(r);
}

/* a group, the '(' read */
static void p_group(rp *x, rinfo *r) {
    bool look = false;
    if (x->i < x->n && x->p[x->i] == '*') { x->bail = true; return; }   /* (*VERB) */
    if (x->i < x->n && x->p[x->i] == '?') {
        x->i++;
        if (x->i >= x->n) { x->bail = true; return; }
        unsigned char c = x->p[x->i];
        if (c == ':' || c == '>' || c == '|') {
            x->i++;
        } else if (c == '=' || c == '!') {
            x->i++;
            look = true;
        } else if (c == '<' && x->i + 1 < x->n && (x->p[x->i + 1] == '=' || x->p[x->i + 1] == '!')) {
            x->i += 2;
            look = true;
        } else if (c == '<' || c == '\'' || (c == 'P' && x->i + 1 < x->n && x->p[x->i + 1] == '<')) {
            /* a named group: (?<name> (?'name' (?P<name>. Names are word
             * characters; anything else is other syntax ((?<*...) is a
             * non-atomic lookbehind) */
            unsigned char close = c == '\'' ? '\'' : '>';
            x->i += c == 'P' ? 2 : 1;
            size_t name = x->i;
            while (x->i < x->n && (x->p[x->i] == '_' || x->p[x->i] >= 0x80 || (x->p[x->i] >= '0' && x->p[x->i] <= '9') ||
                                   ((x->p[x->i] | 0x20) >= 'a' && (x->p[x->i] | 0x20) <= 'z')))
                x->i++;
            if (x->i == name || x->i == x->n || x->p[x->i] != close) { x->bail = true; return; }
            x->i++;
        } else if (c == '#') {
            while (x->i < x->n && x->p[x->i] != ')') x->i++;
            if (x->i == x->n) { x->bail = true; return; }
            x->i++;
            zero_width(r);
            return;
        } else {
            /* option settings: (?i) (?-i) (?i:...) */
            bool on = true;
            for (;;) {
                if (x->i >= x->n) { x->bail = true; return; }
                c = x->p[x->i++];
                if (c == ')') { zero_width(r); return; }
                if (c == ':') break;
                if (c == '-') { on = false; continue; }
                if (c == 'i') { if (on) x->caseless = true; continue; }
                if (c == 'm' || c == 's' || c == 'n' || c == 'U' || c == 'J') continue;
                x->bail = true;     /* x (extended), ^ and others */
                return;
            }
        }
    }
    if (++x->depth > RX_DEPTH) { x->bail = true; return; }
    p_alt(x, r);
    x->depth--;
    if (x->bail) return;
    if (x->i >= x->n || x->p[x->i] != ')') { x->bail = true; return; }
    x->i++;
    if (look) zero_width(r);
}

/* {n}, {n,}, {n,m} at x->i: true with the bounds (max -1: none); false
 * when the brace is not a quantifier */
static bool p_braces(rp *x, long *min, long *max) {
    size_t j = x->i + 1;
    long a = 0, b = -1;
    int k = 0;
    while (j < x->n && x->p[j] >= '0' && x->p[j] <= '9' && k < 6) a = a * 10 + (x->p[j++] - '0'), k++;
    if (!k) return false;
    if (j < x->n && x->p[j] == ',') {
        j++;
        k = 0;
        long m = 0;
        while (j < x->n && x->p[j] >= '0' && x->p[j] <= '9' && k < 6) m = m * 10 + (x->p[j++] - '0'), k++;
        b = k ? m : -1;
    } else {
        b = a;
    }
    if (j >= x->n || x->p[j] != '}') return false;
    x->i = j + 1;
    *min = a;
    *max = b;
    return true;
}

/* one atom and its quantifier */
static void p_piece(rp *x, rinfo *r) {
    unsigned char c = x->p[x->i++];
    switch (c) {
    case '(': p_group(x, r); break;
    case '[': p_class(x, r); break;
    case '.': any_char(r); break;
    case '^': case '$': zero_width(r); break;
    case '\\': p_escape(x, r); break;
    case '*': case '+': case '?': case '{': x->bail = true; return;
    default: {
        /* a literal character: all of its UTF-8 bytes */
        size_t s = x->i - 1, len = 1;
        if (c >= 0xc0) len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (s + len > x->n) { x->bail = true; return; }
        x->i = s + len;
        lit_char(r, (const char *)x->p + s, len);
        break;
    }
    }
    if (x->bail) return;
    skip_ignored(x);
    if (x->i >= x->n) return;
    long min, max;
    c = x->p[x->i];
    if (c == '*') min = 0, max = -1, x->i++;
    else if (c == '+') min = 1, max = -1, x->i++;
    else if (c == '?') min = 0, max = 1, x->i++;
    else if (c == '{') {
        if (!p_braces(x, &min, &max)) { x->bail = true; return; }   /* a literal brace: not read here */
    } else {
        return;
    }
    skip_ignored(x);
    if (x->i < x->n && (x->p[x->i] == '+' || x->p[x->i] == '?')) x->i++;   /* possessive, lazy */
    if (min == 0) {
        /* may match nothing */
        if (max == 1 && r->exact.known) {
            lset e = r->exact;
            char none = 0;
            if (!set_add(&e, &none, 0, false)) set_unknown(&e);
            r->exact = e;
        } else {
            set_unknown(&r->exact);
        }
        set_unknown(&r->need);
        return;
    }
    /* at least once: what it needs, it still needs */
    lset need = r->need;
    consider(&need, &r->exact);
    if (max == min && min <= 4 && r->exact.known) {
        lset e = r->exact;
        bool ok = true;
        for (long k = 1; k < min && ok; k++) ok = product(&e, &e, &r->exact);
        if (ok) {
            r->exact = e;
            r->need = e;
            consider(&r->need, &need);
            return;
        }
    }
    set_unknown(&r->exact);
    r->need = need;
}

/* a sequence, up to '|' or ')' or the end */
static void p_seq(rp *x, rinfo *out) {
    lset cur, best;
    set_empty_string(&cur);
    set_unknown(&best);
    bool all_exact = true;
    while (x->i < x->n && x->p[x->i] != '|' && x->p[x->i] != ')') {
        rinfo r;
        p_piece(x, &r);
        if (x->bail) return;
        if (r.exact.known) {
            lset t;
            if (product(&t, &cur, &r.exact)) {
                cur = t;
                continue;
            }
            consider(&best, &cur);
            cur = r.exact;
            all_exact = false;
            continue;
        }
        consider(&best, &cur);
        consider(&best, &r.need);
        set_empty_string(&cur);
        all_exact = false;
    }
    consider(&best, &cur);
    if (all_exact) out->exact = cur;
    else set_unknown(&out->exact);
    out->need = best;
}

static void p_alt(rp *x, rinfo *out) {
    rinfo r;
    p_seq(x, &r);
    if (x->bail) return;
    lset exact = r.exact, need = r.need;
    if (score(&need) <= 0) set_unknown(&need);
    while (x->i < x->n && x->p[x->i] == '|') {
        x->i++;
        p_seq(x, &r);
        if (x->bail) return;
        if (exact.known && (!r.exact.known || !unite(&exact, &r.exact))) set_unknown(&exact);
        if (need.known && (score(&r.need) <= 0 || !unite(&need, &r.need))) set_unknown(&need);
    }
    out->exact = exact;
    out->need = need;
    consider(&out->need, &out->exact);
}

/* letters caseless matching may reach from outside ASCII (K: U+212A,
 * S: U+017F) */
static bool caseless_safe(unsigned char c) {
    return c < 0x80 && c != 'k' && c != 'K' && c != 's' && c != 'S';
}

bool sh_regex_needs(const char *pat, size_t len, bool caseless, bool extended, sh_arena *a, const char ***out,
                    uint32_t **lens, uint32_t *n) {
    *n = 0;
    if (extended) return false;
    rp x = {.p = (const unsigned char *)pat, .n = len, .caseless = caseless};
    rinfo r;
    p_alt(&x, &r);
    if (x.bail || x.i != x.n) return false;
    lset need = r.need;
    if (score(&need) <= 0) return false;
    if (x.caseless) {
        /* a caseless match contains a case variant of each string: keep the
         * longest run whose variants all fold back to it */
        lset t = {.known = true};
        for (unsigned i = 0; i < need.n; i++) {
            const char *s = need.v[i].s;
            size_t bs = 0, bl = 0;
            for (size_t k = 0; k < need.v[i].len;) {
                size_t e = k;
                while (e < need.v[i].len && caseless_safe((unsigned char)s[e])) e++;
                if (e - k > bl) bs = k, bl = e - k;
                k = e + 1;
            }
            if (!bl) return false;
            if (!set_add(&t, s + bs, bl, false)) return false;
        }
        need = t;
    }
    const char **v = sh_arena_alloc(a, need.n * sizeof *v);
    uint32_t *l = sh_arena_alloc(a, need.n * sizeof *l);
    for (unsigned i = 0; i < need.n; i++) {
        v[i] = sh_arena_strndup(a, need.v[i].s, need.v[i].len);
        l[i] = need.v[i].len;
    }
    *out = v;
    *lens = l;
    *n = need.n;
    return true;
}
