/* util.c: arena, growable buffer, diagnostics, hashing, UTF-8 helpers and
 * time parsing shared by every part of shrike. */
#include "util/util.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ arena */


#define ARENA_MIN_BLOCK 1024

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) abort();
    return p;
}

/* Arena blocks of 1 KB to 16 KB (an event's) are kept for reuse in a small
 * pool shared by all threads: events are built on EVTX reading threads and
 * freed on the main thread, and through malloc each such free locks the
 * reading thread's heap (contention, futex sleeps, heaps shrinking and
 * regrowing). A spin lock guards a few pointer moves. Sanitizer builds use
 * malloc, so that use after free is still caught. */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_POOL 0
#endif
#endif
#ifndef ARENA_POOL
#define ARENA_POOL 1
#endif
#define POOL_CLASSES 5          /* 1, 2, 4, 8, 16 KB */
#define POOL_KEEP 2048          /* blocks kept per class at most */

static struct {
    sh_arena_block *free[POOL_CLASSES];
    unsigned n[POOL_CLASSES];
    int lock;
} g_pool;

static int pool_class(size_t cap) {
    if (!ARENA_POOL) return -1;
    for (int k = 0; k < POOL_CLASSES; k++)
        if (cap == (size_t)ARENA_MIN_BLOCK << k) return k;
    return -1;
}

static void pool_lock(void) {
    while (__atomic_exchange_n(&g_pool.lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&g_pool.lock, __ATOMIC_RELAXED)) __builtin_ia32_pause();
}

static void pool_unlock(void) { __atomic_store_n(&g_pool.lock, 0, __ATOMIC_RELEASE); }

static sh_arena_block *block_new(size_t cap) {
    int k = pool_class(cap);
    if (k >= 0) {
        pool_lock();
        sh_arena_block *b = g_pool.free[k];
        if (b) {
            g_pool.free[k] = b->next;
            g_pool.n[k]--;
        }
        pool_unlock();
        if (b) return b;
    }
    sh_arena_block *b = xmalloc(sizeof *b + cap);
    b->cap = cap;
    return b;
}

static void block_free(sh_arena_block *b) {
    int k = pool_class(b->cap);
    if (k >= 0) {
        pool_lock();
        if (g_pool.n[k] < POOL_KEEP) {
            b->next = g_pool.free[k];
            g_pool.free[k] = b;
            g_pool.n[k]++;
            b = NULL;
        }
        pool_unlock();
        if (!b) return;
    }
    free(b);
}

void sh_arena_init(sh_arena *a) {
    a->head = NULL;
    a->used = 0;
    a->total = 0;
}

/* a new current block of at least n bytes, doubling from cap */
static void push_block(sh_arena *a, size_t cap, size_t n) {
    while (cap < n) cap *= 2;
    sh_arena_block *b = block_new(cap);
    b->next = a->head;
    a->head = b;
    a->used = 0;
    a->total += cap;
}

static void arena_grow(sh_arena *a, size_t n) {
    /* blocks double (an event of 100 bytes costs 2 KB, a large one a few
     * blocks), up to 1 MB unless one allocation needs more */
    size_t cap = a->head ? a->head->cap * 2 : ARENA_MIN_BLOCK;
    push_block(a, cap > (1u << 20) ? 1u << 20 : cap, n);
}

void sh_arena_reserve(sh_arena *a, size_t n) {
    if (a->head && a->head->cap - a->used >= n) return;
    push_block(a, ARENA_MIN_BLOCK, n);
}

void *sh_arena_alloc_slow(sh_arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    arena_grow(a, n);
    void *p = a->head->data + a->used;
    a->used += n;
    return p;
}

void *sh_arena_zalloc(sh_arena *a, size_t n) {
    void *p = sh_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *sh_arena_strndup(sh_arena *a, const char *s, size_t n) {
    char *p = sh_arena_alloc(a, n + 1);
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *sh_arena_strdup(sh_arena *a, const char *s) { return sh_arena_strndup(a, s, strlen(s)); }

void sh_arena_reset(sh_arena *a) {
    if (!a->head) return;
    /* keep the oldest (first) block only if it is the minimum size: simplest
     * is to keep the current head and free the rest */
    sh_arena_block *keep = a->head, *b = keep->next;
    while (b) {
        sh_arena_block *n = b->next;
        block_free(b);
        b = n;
    }
    keep->next = NULL;
    a->total = keep->cap;
    a->used = 0;
}

void sh_arena_free(sh_arena *a) {
    sh_arena_block *b = a->head;
    while (b) {
        sh_arena_block *n = b->next;
        block_free(b);
        b = n;
    }
    sh_arena_init(a);
}

/* ------------------------------------------------------------------ buffer */

void sh_buf_grow(sh_buf *b, size_t extra) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) abort();
    b->data = p;
    b->cap = cap;
}


void sh_buf_puts(sh_buf *b, const char *s) { sh_buf_put(b, s, strlen(s)); }

void sh_buf_printf(sh_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        sh_buf_put(b, tmp, (size_t)n);
        return;
    }
    sh_buf_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* nonzero when a byte of the word is a control character, '"', '\\' or
 * DEL (the bit tricks for "has a byte below n" and "has a zero byte") */
static inline uint64_t json_bad64(uint64_t x) {
    const uint64_t l = 0x0101010101010101ULL, h = 0x8080808080808080ULL;
    uint64_t q = x ^ (l * '"'), b = x ^ (l * '\\'), d = x ^ (l * 0x7f);
    return (((x - l * 0x20) & ~x) | ((q - l) & ~q) | ((b - l) & ~b) | ((d - l) & ~d)) & h;
}

/* one escaped byte (c needs escaping) at o; returns the end */
static char *json_esc(char *o, unsigned char c) {
    static const char hex[] = "0123456789abcdef";
    *o++ = '\\';
    switch (c) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '\n': *o++ = 'n'; break;
    case '\r': *o++ = 'r'; break;
    case '\t': *o++ = 't'; break;
    default: *o++ = 'u', *o++ = '0', *o++ = '0', *o++ = hex[c >> 4], *o++ = hex[c & 15];
    }
    return o;
}

void sh_buf_json_str(sh_buf *b, const char *s, size_t n) {
    sh_buf_reserve(b, 6 * n + 2 + 16);   /* every byte escaped at worst, and a 16-byte store past */
    char *o = b->data + b->len;
    *o++ = '"';
    size_t i = 0;
#ifdef __SSE2__
    /* 16 bytes a step, stored before they are checked: up to the first
     * that needs escaping they stand */
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), del = _mm_set1_epi8(0x7f),
                  c1f = _mm_set1_epi8(0x1f), zero = _mm_setzero_si128();
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i ctl = _mm_cmpeq_epi8(_mm_subs_epu8(v, c1f), zero); /* v <= 0x1f */
        __m128i bad = _mm_or_si128(_mm_or_si128(ctl, _mm_cmpeq_epi8(v, q)),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, bs), _mm_cmpeq_epi8(v, del)));
        unsigned m = (unsigned)_mm_movemask_epi8(bad);
        _mm_storeu_si128((__m128i *)(void *)o, v);
        if (!m) {
            o += 16;
            i += 16;
            continue;
        }
        unsigned k = (unsigned)__builtin_ctz(m);
        o += k;
        i += k;
        o = json_esc(o, (unsigned char)s[i++]);
    }
#endif
    /* the last 4 to 15 bytes: two overlapping words, copied when neither
     * holds a byte to escape */
    size_t t = n - i;
    if (t >= 8) {
        uint64_t a, z;
        memcpy(&a, s + i, 8);
        memcpy(&z, s + n - 8, 8);
        if (!json_bad64(a) && !json_bad64(z)) {
            memcpy(o, &a, 8);
            memcpy(o + t - 8, &z, 8);
            o += t;
            i = n;
        }
    } else if (t >= 4) {
        uint32_t a, z;
        memcpy(&a, s + i, 4);
        memcpy(&z, s + n - 4, 4);
        /* as the low half of a word whose high half is plain ('a's) */
        const uint64_t pad = 0x6161616100000000ULL;
        if (!json_bad64(pad | a) && !json_bad64(pad | z)) {
            memcpy(o, &a, 4);
            memcpy(o + t - 4, &z, 4);
            o += t;
            i = n;
        }
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) *o++ = (char)c;
        else o = json_esc(o, c);
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
}

const char *sh_buf_cstr(sh_buf *b) {
    sh_buf_reserve(b, 0);
    b->data[b->len] = 0;
    return b->data;
}

void sh_buf_clear(sh_buf *b) { b->len = 0; }

void sh_buf_free(sh_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ------------------------------------------------------------------ diag */

void sh_diag_clear(sh_diag *d) {
    if (!d) return;
    d->file[0] = 0;
    d->line = 0;
    d->col = 0;
    d->offset = -1;
    d->msg[0] = 0;
}

void sh_diag_vset(sh_diag *d, const char *file, long line, long col, const char *fmt, va_list ap) {
    if (!d) return;
    if (file) snprintf(d->file, sizeof d->file, "%s", file);
    d->line = line;
    d->col = col;
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
}

void sh_diag_set(sh_diag *d, const char *file, long line, long col, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sh_diag_vset(d, file, line, col, fmt, ap);
    va_end(ap);
}

void sh_diag_format(const sh_diag *d, char *out, size_t outsz) {
    size_t o = 0;
#define APP(...) do { int _n = snprintf(out + o, outsz - o, __VA_ARGS__); \
        if (_n > 0) o = (o + (size_t)_n < outsz) ? o + (size_t)_n : outsz - 1; } while (0)
    out[0] = 0;
    if (d->file[0]) APP("%s:", d->file);
    if (d->line > 0) APP("%ld:", d->line);
    if (d->line > 0 && d->col > 0) APP("%ld:", d->col);
    if (d->line <= 0 && d->offset >= 0) APP("offset %lld:", d->offset);
    APP("%s%s", o ? " " : "", d->msg);
#undef APP
}

/* ------------------------------------------------------------------ strings */

/* A multiply-mix hash over 8-byte words: field names are hashed on every
 * JSON key, so this is on the hot path. */
uint32_t sh_hash(const char *s, size_t n) {
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
    }
    uint64_t w = 0;
    for (size_t k = 0; i < n; i++, k += 8) w |= (uint64_t)(unsigned char)s[i] << k;
    h = (h ^ w) * 0x94d049bb133111ebULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return (uint32_t)h;
}

size_t sh_utf8_check(const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        /* ASCII runs, 16 bytes at a time */
        while (i + 16 <= n) {
            uint64_t a, b;
            memcpy(&a, s + i, 8);
            memcpy(&b, s + i + 8, 8);
            if ((a | b) & 0x8080808080808080ULL) break;
            i += 16;
        }
        if (i >= n) break;
        unsigned char c = s[i];
        if (c < 0x80) { i++; continue; }
        size_t len;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
        else return i;
        if (i + len > n) return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return i;
        i += len;
    }
    return n;
}

bool sh_utf8_valid(const char *s, size_t n) { return sh_utf8_check(s, n) == n; }

/* decode one code point; returns bytes consumed (>=1). Invalid -> the byte. */
static size_t utf8_dec(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned char c = s[0];
    if (c < 0x80 || n < 2) { *cp = c; return 1; }
    if (c >= 0xc0 && c < 0xe0 && (s[1] & 0xc0) == 0x80) {
        *cp = ((uint32_t)(c & 0x1f) << 6) | (s[1] & 0x3f);
        return 2;
    }
    if (c >= 0xe0 && c < 0xf0 && n >= 3 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
        *cp = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
        return 3;
    }
    if (c >= 0xf0 && n >= 4 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
        *cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
              ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
        return 4;
    }
    *cp = c;
    return 1;
}

size_t sh_utf8_encode(uint32_t cp, char *o) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xc0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Simple lower-case mapping for the scripts Windows paths and names use most:
 * Latin-1, Latin Extended-A, Greek, Cyrillic, fullwidth Latin. */
static uint32_t cp_lower(uint32_t c) {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if ((c >= 0xc0 && c <= 0xde && c != 0xd7)) return c + 32;
    if (c >= 0x100 && c <= 0x17f) {
        if (c == 0x130) return 'i';
        if (c == 0x178) return 0xff;
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) return (c & 1) ? c + 1 : c;
        if (c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17f) return c;
        return (c & 1) ? c : c + 1;
    }
    if (c >= 0x391 && c <= 0x3ab && c != 0x3a2) return c + 32;
    if (c == 0x386) return 0x3ac;
    if (c >= 0x388 && c <= 0x38a) return c + 37;
    if (c >= 0x410 && c <= 0x42f) return c + 32;
    if (c >= 0x400 && c <= 0x40f) return c + 80;
    if (c == 0x4c0) return 0x4cf;                                  /* palochka */
    if (c >= 0x4c1 && c <= 0x4ce) return (c & 1) ? c + 1 : c;      /* here upper case is odd */
    if (c >= 0x460 && c <= 0x4ff && !(c >= 0x482 && c <= 0x489) && c != 0x4cf) return (c & 1) ? c : c + 1;
    if (c >= 0xff21 && c <= 0xff3a) return c + 32;
    return c;
}

size_t sh_utf8_lower(const char *str, size_t n, char *out) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, o = 0;
    while (i < n) {
#ifdef __SSE2__
        /* 16 ASCII bytes a step: A-Z gain 32 */
        if (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            unsigned high = (unsigned)_mm_movemask_epi8(v);
            if (!high) {
                __m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
                                           _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
                v = _mm_add_epi8(v, _mm_and_si128(up, _mm_set1_epi8(32)));
                _mm_storeu_si128((__m128i *)(void *)(out + o), v);
                i += 16;
                o += 16;
                continue;
            }
            /* the ASCII bytes before the first that is not, then that character */
            for (unsigned k = (unsigned)__builtin_ctz(high); k; k--) {
                unsigned char c = s[i++];
                out[o++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
            }
        }
#endif
        if (s[i] < 0x80) {
            unsigned char c = s[i++];
            out[o++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
            continue;
        }
        uint32_t cp;
        size_t k = utf8_dec(s + i, n - i, &cp);
        if (k == 1) { out[o++] = (char)s[i++]; continue; }
        o += sh_utf8_encode(cp_lower(cp), out + o);
        i += k;
    }
    return o;
}

bool sh_memieq(const char *a, size_t an, const char *b, size_t bn) {
    if (an == bn && memcmp(a, b, an) == 0) return true;   /* the common match: the same bytes */
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    size_t i = 0, j = 0;
    while (i < an && j < bn) {
        if (x[i] < 0x80 && y[j] < 0x80) {
            unsigned char c = x[i], d = y[j];
            if (c != d) {
                if (c >= 'A' && c <= 'Z') c += 32;
                if (d >= 'A' && d <= 'Z') d += 32;
                if (c != d) return false;
            }
            i++, j++;
            continue;
        }
        uint32_t c1, c2;
        i += utf8_dec(x + i, an - i, &c1);
        j += utf8_dec(y + j, bn - j, &c2);
        if (cp_lower(c1) != cp_lower(c2)) return false;
    }
    return i == an && j == bn;
}

char *sh_read_file(const char *path, size_t *len, sh_diag *d) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        sh_diag_set(d, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    sh_buf b = {0};
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) sh_buf_put(&b, tmp, n);
    int err = ferror(f);
    fclose(f);
    if (err) {
        sh_diag_set(d, path, 0, 0, "read error");
        sh_buf_free(&b);
        return NULL;
    }
    sh_buf_cstr(&b);
    if (len) *len = b.len;
    return b.data;
}

/* ------------------------------------------------------------------ time */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, size_t n, size_t at, size_t k, int *out) {
    if (at + k > n) return false;
    int v = 0;
    for (size_t i = 0; i < k; i++) {
        char c = s[at + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
}

int64_t sh_parse_time(const char *s, size_t n) {
    int Y, M, D, h = 0, mi = 0, se = 0;
    if (!digits(s, n, 0, 4, &Y) || n < 10 || s[4] != '-' || !digits(s, n, 5, 2, &M) ||
        s[7] != '-' || !digits(s, n, 8, 2, &D))
        return SH_TS_NONE;
    if (M < 1 || M > 12 || D < 1 || D > 31) return SH_TS_NONE;
    size_t i = 10;
    int64_t frac_ns = 0;
    int64_t off_s = 0;
    if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        if (!digits(s, n, i + 1, 2, &h) || i + 3 >= n || s[i + 3] != ':' ||
            !digits(s, n, i + 4, 2, &mi))
            return SH_TS_NONE;
        i += 6;
        if (i < n && s[i] == ':') {
            if (!digits(s, n, i + 1, 2, &se)) return SH_TS_NONE;
            i += 3;
        }
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            i++;
            int64_t scale = 100000000;
            size_t st = i;
            while (i < n && s[i] >= '0' && s[i] <= '9') {
                if (scale) { frac_ns += (s[i] - '0') * scale; scale /= 10; }
                i++;
            }
            if (i == st) return SH_TS_NONE;
        }
        if (h > 23 || mi > 59 || se > 60) return SH_TS_NONE;
        if (i < n && (s[i] == 'Z' || s[i] == 'z')) i++;
        else if (i < n && (s[i] == '+' || s[i] == '-')) {
            int oh, om = 0;
            int sign = s[i] == '-' ? -1 : 1;
            if (!digits(s, n, i + 1, 2, &oh)) return SH_TS_NONE;
            i += 3;
            if (i < n && s[i] == ':') i++;
            if (digits(s, n, i, 2, &om)) i += 2;
            off_s = sign * (oh * 3600 + om * 60);
        }
    }
    if (i != n) return SH_TS_NONE;
    int64_t days = days_from_civil(Y, (unsigned)M, (unsigned)D);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - off_s;
    /* nanoseconds in 64 bits reach the years 1678 to 2262 */
    if (secs <= -9223372036LL || secs >= 9223372036LL) return SH_TS_NONE;
    return secs * 1000000000 + frac_ns;
}

void sh_format_time(int64_t ts, char out[40]) {
    if (ts == SH_TS_NONE) {
        strcpy(out, "");
        return;
    }
    int64_t secs = ts / 1000000000, ns = ts % 1000000000;
    if (ns < 0) { ns += 1000000000; secs--; }
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t o = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    if (ns % 1000000 == 0)
        snprintf(out + o, 40 - o, ".%03dZ", (int)(ns / 1000000));
    else if (ns % 1000 == 0)
        snprintf(out + o, 40 - o, ".%06dZ", (int)(ns / 1000));
    else
        snprintf(out + o, 40 - o, ".%09dZ", (int)ns);
}

/* ------------------------------------------------------------------ intern */

/* Names shared by all threads for the life of the process: open addressing
 * over (hash, pointer), growing; bounded so that hostile input (EVTX files
 * with millions of distinct names) cannot grow it without end. */
#define INTERN_MAX_NAMES 65536u
#define INTERN_MAX_BYTES (8u << 20)

static struct {
    const char **slots;
    uint32_t *hashes;
    uint32_t cap, n;
    size_t bytes;
    sh_arena arena;
} g_intern;
static pthread_mutex_t g_intern_lock = PTHREAD_MUTEX_INITIALIZER;

static void intern_grow(void) {
    uint32_t cap = g_intern.cap ? g_intern.cap * 2 : 1024;
    const char **slots = calloc(cap, sizeof *slots);
    uint32_t *hashes = calloc(cap, sizeof *hashes);
    if (!slots || !hashes) abort();
    for (uint32_t i = 0; i < g_intern.cap; i++) {
        if (!g_intern.slots[i]) continue;
        uint32_t h = g_intern.hashes[i] & (cap - 1);
        while (slots[h]) h = (h + 1) & (cap - 1);
        slots[h] = g_intern.slots[i];
        hashes[h] = g_intern.hashes[i];
    }
    free(g_intern.slots);
    free(g_intern.hashes);
    g_intern.slots = slots;
    g_intern.hashes = hashes;
    g_intern.cap = cap;
}

const char *sh_intern(const char *s, size_t n, uint32_t *hash) {
    uint32_t h = sh_hash(s, n);
    *hash = h;
    const char *out = NULL;
    pthread_mutex_lock(&g_intern_lock);
    if (g_intern.cap) {
        for (uint32_t i = h & (g_intern.cap - 1);; i = (i + 1) & (g_intern.cap - 1)) {
            const char *t = g_intern.slots[i];
            if (!t) break;
            if (g_intern.hashes[i] == h && !strncmp(t, s, n) && t[n] == 0) {
                out = t;
                break;
            }
        }
    }
    if (!out && g_intern.n < INTERN_MAX_NAMES && g_intern.bytes + n < INTERN_MAX_BYTES && !memchr(s, 0, n)) {
        if ((g_intern.n + 1) * 2 > g_intern.cap) intern_grow();
        uint32_t i = h & (g_intern.cap - 1);
        while (g_intern.slots[i]) i = (i + 1) & (g_intern.cap - 1);
        out = g_intern.slots[i] = sh_arena_strndup(&g_intern.arena, s, n);
        g_intern.hashes[i] = h;
        g_intern.n++;
        g_intern.bytes += n + 1;
    }
    pthread_mutex_unlock(&g_intern_lock);
    return out;
}

/* ------------------------------------------------------------------ numbering */

typedef struct sh_num_key {
    char *sig;
    size_t len;
    uint32_t id;
    struct sh_num_key *next;
} sh_num_key;

uint32_t sh_number(sh_numbering *t, const void *sig, size_t n, uint32_t max) {
    uint32_t h = sh_hash(sig, n) & 1023, id = UINT32_MAX;
    pthread_mutex_lock(&t->lock);
    sh_num_key *k = t->slots[h];
    while (k && !(k->len == n && memcmp(k->sig, sig, n) == 0)) k = k->next;
    if (!k && t->n < max) {
        k = calloc(1, sizeof *k);
        if (!k) abort();
        k->sig = malloc(n ? n : 1);
        if (!k->sig) abort();
        if (n) memcpy(k->sig, sig, n);
        k->len = n;
        k->id = t->n;
        k->next = t->slots[h];
        t->slots[h] = k;
        __atomic_store_n(&t->n, t->n + 1, __ATOMIC_RELEASE);
    }
    if (k) id = k->id;
    pthread_mutex_unlock(&t->lock);
    return id;
}

uint32_t sh_numbered(const sh_numbering *t) { return __atomic_load_n(&t->n, __ATOMIC_ACQUIRE); }

/* ------------------------------------------------------------------ crc32 */

/* CRC-32 (zlib's) by carry-less multiplication: 64 bytes a step folded with
 * PCLMULQDQ, then a Barrett reduction (the method of Intel's "Fast CRC
 * Computation for Generic Polynomials Using PCLMULQDQ"); about twenty times
 * fewer instructions a byte than zlib 1.2's table code, which every EVTX
 * chunk's records checksum went through. state is the inverted CRC; len is
 * a multiple of 16, at least 64. */
#if defined(__x86_64__)
#include <immintrin.h>
#include <wmmintrin.h>
__attribute__((target("pclmul,sse4.1")))
static uint32_t crc_fold(uint32_t state, const uint8_t *p, size_t len) {
    const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
    const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
    const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124);
    const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);
    const __m128i mask32 = _mm_setr_epi32(-1, 0, -1, 0);
    __m128i x1 = _mm_loadu_si128((const __m128i *)p), x2 = _mm_loadu_si128((const __m128i *)(p + 16)),
            x3 = _mm_loadu_si128((const __m128i *)(p + 32)), x4 = _mm_loadu_si128((const __m128i *)(p + 48));
    x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)state));
    p += 64, len -= 64;
    while (len >= 64) {
        __m128i a1 = _mm_clmulepi64_si128(x1, k1k2, 0x00), a2 = _mm_clmulepi64_si128(x2, k1k2, 0x00),
                a3 = _mm_clmulepi64_si128(x3, k1k2, 0x00), a4 = _mm_clmulepi64_si128(x4, k1k2, 0x00);
        x1 = _mm_clmulepi64_si128(x1, k1k2, 0x11), x2 = _mm_clmulepi64_si128(x2, k1k2, 0x11);
        x3 = _mm_clmulepi64_si128(x3, k1k2, 0x11), x4 = _mm_clmulepi64_si128(x4, k1k2, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, a1), _mm_loadu_si128((const __m128i *)p));
        x2 = _mm_xor_si128(_mm_xor_si128(x2, a2), _mm_loadu_si128((const __m128i *)(p + 16)));
        x3 = _mm_xor_si128(_mm_xor_si128(x3, a3), _mm_loadu_si128((const __m128i *)(p + 32)));
        x4 = _mm_xor_si128(_mm_xor_si128(x4, a4), _mm_loadu_si128((const __m128i *)(p + 48)));
        p += 64, len -= 64;
    }
    __m128i a;
    a = _mm_clmulepi64_si128(x1, k3k4, 0x00); x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, a), x2);
    a = _mm_clmulepi64_si128(x1, k3k4, 0x00); x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, a), x3);
    a = _mm_clmulepi64_si128(x1, k3k4, 0x00); x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
    x1 = _mm_xor_si128(_mm_xor_si128(x1, a), x4);
    while (len >= 16) {
        a = _mm_clmulepi64_si128(x1, k3k4, 0x00); x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
        x1 = _mm_xor_si128(_mm_xor_si128(x1, a), _mm_loadu_si128((const __m128i *)p));
        p += 16, len -= 16;
    }
    /* 128 bits to 64 */
    a = _mm_clmulepi64_si128(x1, k3k4, 0x10);
    x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), a);
    a = _mm_srli_si128(x1, 4);
    x1 = _mm_clmulepi64_si128(_mm_and_si128(x1, mask32), k5, 0x00);
    x1 = _mm_xor_si128(x1, a);
    /* Barrett reduction to 32 bits */
    a = _mm_clmulepi64_si128(_mm_and_si128(x1, mask32), poly, 0x10);
    a = _mm_clmulepi64_si128(_mm_and_si128(a, mask32), poly, 0x00);
    x1 = _mm_xor_si128(x1, a);
    return (uint32_t)_mm_extract_epi32(x1, 1);
}

#endif

#include <zlib.h>

uint32_t sh_crc32(uint32_t crc, const void *data, size_t len) {
    const uint8_t *p = data;
#if defined(__x86_64__)
    static int have = -1;   /* -1 not known yet; any thread may find it out */
    int h = __atomic_load_n(&have, __ATOMIC_RELAXED);
    if (h < 0) {
        __builtin_cpu_init();
        h = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
        __atomic_store_n(&have, h, __ATOMIC_RELAXED);
    }
    if (h && len >= 64) {
        size_t n = len & ~(size_t)15;
        crc = ~crc_fold(~crc, p, n);
        p += n;
        len -= n;
    }
#endif
    while (len) {
        uInt k = len > 0x40000000u ? 0x40000000u : (uInt)len;
        crc = (uint32_t)crc32(crc, p, k);
        p += k;
        len -= k;
    }
    return crc;
}
