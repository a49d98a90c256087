/* util.h: small building blocks shared by every part of shrike: an arena
 * allocator, a growable byte buffer, diagnostics (errors as values), string
 * helpers and hashing. Nothing here prints or exits. */
#ifndef SHRIKE_UTIL_H
#define SHRIKE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <pthread.h>

/* ---- arena: bump allocation, freed all at once ---- */
typedef struct sh_arena_block {
    struct sh_arena_block *next;
    size_t cap;
    _Alignas(16) unsigned char data[];
} sh_arena_block;
typedef struct sh_arena {
    sh_arena_block *head;   /* current block */
    size_t used;            /* bytes used in head */
    size_t total;           /* bytes allocated over all blocks (for stats) */
} sh_arena;

void  sh_arena_init(sh_arena *a);
/* room for about n bytes in one block: a new block unless the current one
 * has them (an event sized from its document) */
void sh_arena_reserve(sh_arena *a, size_t n);
void *sh_arena_alloc_slow(sh_arena *a, size_t n);    /* a new block */
/* 16-byte aligned, never NULL (aborts on OOM) */
static inline void *sh_arena_alloc(sh_arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->used + n > a->head->cap) return sh_arena_alloc_slow(a, n);
    void *p = a->head->data + a->used;
    a->used += n;
    return p;
}
void *sh_arena_zalloc(sh_arena *a, size_t n);
char *sh_arena_strndup(sh_arena *a, const char *s, size_t n); /* NUL-terminated copy */
char *sh_arena_strdup(sh_arena *a, const char *s);
void  sh_arena_reset(sh_arena *a);                     /* keep the first block, drop the rest */
void  sh_arena_free(sh_arena *a);

/* ---- growable buffer ---- */
typedef struct sh_buf {
    char *data;
    size_t len, cap;
} sh_buf;

void sh_buf_grow(sh_buf *b, size_t extra);                /* sh_buf_reserve's slow path */
/* room for extra more bytes and a NUL */
static inline void sh_buf_reserve(sh_buf *b, size_t extra) {
    if (b->len + extra + 1 > b->cap) sh_buf_grow(b, extra);
}
static inline void sh_buf_put(sh_buf *b, const void *p, size_t n) {
    sh_buf_reserve(b, n);
    if (n) __builtin_memcpy(b->data + b->len, p, n);
    b->len += n;
}
static inline void sh_buf_putc(sh_buf *b, char c) {
    sh_buf_reserve(b, 1);
    b->data[b->len++] = c;
}
void sh_buf_puts(sh_buf *b, const char *s);
void sh_buf_printf(sh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sh_buf_json_str(sh_buf *b, const char *s, size_t n); /* quoted, escaped JSON string */
const char *sh_buf_cstr(sh_buf *b);                      /* NUL-terminates (not counted in len) */
void sh_buf_clear(sh_buf *b);
void sh_buf_free(sh_buf *b);

/* ---- diagnostics: errors are values ---- */
typedef struct sh_diag {
    char file[256];     /* source file, "" when none */
    long line;          /* 1-based line, 0 when unknown */
    long col;           /* 1-based column, 0 when unknown */
    long long offset;   /* byte offset, -1 when unknown */
    char msg[512];      /* the reason */
} sh_diag;

void sh_diag_clear(sh_diag *d);
void sh_diag_set(sh_diag *d, const char *file, long line, long col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void sh_diag_vset(sh_diag *d, const char *file, long line, long col, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));
/* "file:line:col: msg" (parts that are unknown left out) */
void sh_diag_format(const sh_diag *d, char *out, size_t outsz);

/* ---- strings and hashing ---- */
uint32_t sh_hash(const char *s, size_t n);               /* FNV-1a 32 */
/* zlib's crc32(crc, data, len), faster on x86-64 (carry-less multiplication) */
uint32_t sh_crc32(uint32_t crc, const void *data, size_t len);
/* A copy of s[0..n) that lives as long as the process, the same pointer for
 * equal strings, from any thread; *hash is sh_hash(s, n). NULL when the
 * table is full (64K names, 8 MB) or s holds a NUL: keep your own copy. */
const char *sh_intern(const char *s, size_t n, uint32_t *hash);

/* Dense numbers for byte signatures, the same for the same bytes from any
 * thread, kept for the process (conditions of the field model, rule tests:
 * events remember results by number). */
typedef struct sh_numbering {
    pthread_mutex_t lock;
    struct sh_num_key *slots[1024];
    uint32_t n;
} sh_numbering;
#define SH_NUMBERING_INIT {.lock = PTHREAD_MUTEX_INITIALIZER}
/* the signature's number; UINT32_MAX once `max` signatures are numbered */
uint32_t sh_number(sh_numbering *t, const void *sig, size_t n, uint32_t max);
/* how many are numbered */
uint32_t sh_numbered(const sh_numbering *t);
bool sh_utf8_valid(const char *s, size_t n);
/* offset of the first byte that is not valid UTF-8, n when all is valid */
size_t sh_utf8_check(const char *s, size_t n);
/* encode code point cp (at most U+10FFFF) into o (4 bytes room); returns bytes written */
size_t sh_utf8_encode(uint32_t cp, char *o);
/* lower-case s into out (out must hold 2*n bytes: a few code points grow);
 * Unicode-aware for Latin, Greek, Cyrillic; returns bytes written */
size_t sh_utf8_lower(const char *s, size_t n, char *out);
bool sh_memieq(const char *a, size_t an, const char *b, size_t bn);  /* case-insensitive equality (Unicode simple folding) */
char *sh_read_file(const char *path, size_t *len, sh_diag *d);       /* malloc'd, NUL-terminated */

/* time: nanoseconds since the Unix epoch; SH_TS_NONE when unknown */
#define SH_TS_NONE INT64_MIN
/* ISO-8601 / RFC 3339 ("2024-01-02T03:04:05.123Z", "+01:00" offsets, space
 * instead of T, date only), returns SH_TS_NONE when s is not one */
int64_t sh_parse_time(const char *s, size_t n);
void sh_format_time(int64_t ts, char out[40]);          /* "2024-01-02T03:04:05.123456789Z" trimmed to ms when exact */

#endif
