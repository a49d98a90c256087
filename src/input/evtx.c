/* evtx.c: the EVTX reader (see evtx.h and docs/evtx.md).
 *
 * Layers, bottom up:
 *   - values: substitution values (UTF-16 strings, integers, GUIDs, SIDs,
 *     FILETIMEs, ...) straight into typed sh_values in the event's arena;
 *   - templates: a template definition (binary XML with substitution tokens)
 *     is compiled once per chunk and naming context into a plan: a flat list
 *     of ops "field NAME gets these pieces (static text, substitution i)";
 *   - records: a record's binary XML is normally one template instance: its
 *     value descriptors are read and the cached plan is run over them;
 *   - chunks and the file: signatures, checksums, offsets; damage is
 *     reported and skipped.
 * Every read is bounds-checked against the chunk (64 KiB) or the record. */
#include "input/evtx.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "event/fieldmap.h"

/* ------------------------------------------------------------ format */

enum {
    VT_NULL = 0x00, VT_STRING = 0x01, VT_ANSI = 0x02, VT_INT8 = 0x03, VT_UINT8 = 0x04,
    VT_INT16 = 0x05, VT_UINT16 = 0x06, VT_INT32 = 0x07, VT_UINT32 = 0x08, VT_INT64 = 0x09,
    VT_UINT64 = 0x0a, VT_REAL32 = 0x0b, VT_REAL64 = 0x0c, VT_BOOL = 0x0d, VT_BINARY = 0x0e,
    VT_GUID = 0x0f, VT_SIZET = 0x10, VT_FILETIME = 0x11, VT_SYSTIME = 0x12, VT_SID = 0x13,
    VT_HEX32 = 0x14, VT_HEX64 = 0x15, VT_EVTHANDLE = 0x20, VT_BINXML = 0x21, VT_EVTXML = 0x23,
    VT_ARRAY = 0x80,
    /* shrike's own: UTF-16 element text of binary XML without a template,
     * handed to a shared plan as a substitution value (NULs kept). A value
     * descriptor of this type in a file becomes 0x7f, as unknown to the
     * format as 0x7e, so it reads the same. */
    VT_TEXT16 = 0x7e
};

enum {
    T_EOF = 0x00, T_OPEN = 0x01, T_CLOSE_START = 0x02, T_CLOSE_EMPTY = 0x03, T_END = 0x04,
    T_VALUE = 0x05, T_ATTR = 0x06, T_CDATA = 0x07, T_CHARREF = 0x08, T_ENTREF = 0x09,
    T_PITARGET = 0x0a, T_PIDATA = 0x0b, T_TEMPLATE = 0x0c, T_SUBST = 0x0d, T_OPTSUBST = 0x0e,
    T_FRAGMENT = 0x0f, T_MORE = 0x40
};

#define CHUNK_HEADER 512u
#define MAX_NEST 12          /* template instances / nested binary XML inside each other */
#define MAX_ELEM_DEPTH 64    /* element nesting inside one template */

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* ------------------------------------------------------------ state */

typedef struct ev_val {
    const uint8_t *p;
    uint32_t size;
    uint8_t type;
} ev_val;

/* How an element's text, attributes and children are named. */
enum {
    NK_DOC,        /* above the root element */
    NK_EVENT,      /* <Event> */
    NK_SYSTEM,     /* <System>: children by their own names, attributes Elem_Attr */
    NK_EVENTDATA,  /* <EventData>: <Data Name="X"> is X */
    NK_USERDATA,   /* <UserData>: its one child (the wrapper) is dropped */
    NK_WRAPPER,    /* the wrapper under <UserData> */
    NK_FIELD,      /* an element whose text is the field `base` */
    NK_DATA        /* <Data> under <EventData>: `base` is its Name (or "Data") */
};

typedef struct nctx {
    const char *base;   /* field name of the element's text ("" for structure) */
    uint32_t blen;
    uint8_t kind;
    bool sys;           /* inside <System> */
} nctx;

enum { PK_TEXT, PK_SUBST };

typedef struct piece {
    const char *s;      /* PK_TEXT: UTF-8 */
    uint32_t len;
    uint16_t idx;       /* PK_SUBST: substitution index */
    uint8_t kind;
    uint8_t opt;        /* optional substitution */
} piece;

enum { OP_VALUE, OP_INSTANCE };
enum {
    F_EMPTY = 1,        /* no value: the field gets "" (an empty <Data/>) */
    F_OPTELEM = 2,      /* only optional substitutions: no value, no element */
    F_NUM = 4,          /* System number (EventID, ...): decimal text becomes an integer */
    F_TS = 8            /* System TimeCreated: a FILETIME gives the event's time */
};

typedef struct op {
    const char *name;   /* field; NULL: the text is no field (nested binary XML still expands) */
    uint32_t hash;      /* of name, when interned */
    bool interned;      /* name comes from sh_intern (plans of template definitions) */
    const nctx *ctx;    /* naming context of the element (for nested binary XML) */
    uint32_t nlen;
    uint32_t pc, npc;   /* value pieces */
    uint32_t nc, nnc;   /* name pieces: a substituted <Data Name=...> */
    uint32_t at, end;   /* OP_INSTANCE: chunk offsets of the instance token and of its stream end */
    uint8_t kind, flags;
    bool one;           /* the common op: one substitution (sidx) is the whole value */
    uint16_t sidx;
} op;

typedef struct plan {
    const op *ops;
    const piece *pcs;
    uint32_t nops;
    const char *err;    /* compile failure, reported for each record using it */
} plan;

/* the chunk's plans by definition offset and naming context */
typedef struct tslot { uint32_t off; const nctx *ctx; plan *p; } tslot;
typedef struct nslot { const char *s; uint32_t off, len; } nslot;

#define NAME_PRINTS 256     /* names' prints kept per chunk (direct-mapped by offset) */

typedef struct rd {
    const char *name;
    sh_input_sink *sink;
    sh_input_stats *st;
    bool stopped;
    /* the chunk being read */
    const uint8_t *c;
    uint32_t clen;
    uint64_t coff;      /* its offset in the file */
    uint32_t cidx;
    sh_arena arena;     /* plans, names and contexts of this chunk */
    tslot *tt;
    uint32_t tcap, tn;
    nslot *nt;
    uint32_t ncap, nn;
    /* the record being read */
    uint64_t rid;
    int64_t ts;         /* from the System TimeCreated FILETIME, SH_TS_NONE */
    uint32_t at_hash;   /* of "@timestamp" */
    ev_val *vals;       /* substitution values of the instances being run (a stack) */
    uint32_t vcap, vtop;
    sh_buf conv;        /* scratch for value conversion */
    sh_buf cwb[4];      /* the compiler's vectors, kept between plans */
    sh_buf tx[MAX_NEST + 2][2];   /* text and name of a mixed op, by nesting depth */
    char err[256];      /* why the current record failed */
    uint64_t gen;       /* chunks begun: entries of nprint are of chunk gen */
    struct name_print { uint64_t gen, h; uint32_t off; } nprint[NAME_PRINTS];
} rd;

static const nctx doc_ctx = {"", 0, NK_DOC, false};

static bool fail(rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(rd *r, const char *fmt, ...) {
    if (r->err[0]) return false;   /* keep the first (innermost) reason */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return false;
}

static void report(rd *r, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(rd *r, long line, const char *fmt, ...) {
    if (!r->sink->on_error) return;
    sh_diag d;
    sh_diag_clear(&d);
    va_list ap;
    va_start(ap, fmt);
    sh_diag_vset(&d, r->name, line, 0, fmt, ap);
    va_end(ap);
    r->sink->on_error(r->sink->ctx, &d);
}

/* ------------------------------------------------------------ UTF-16 */

/* n UTF-16LE units at p to UTF-8 at o (room for 3n bytes); stops at a NUL
 * unit when stop_nul. Unpaired surrogates become U+FFFD, so the result is
 * always valid UTF-8. Returns the bytes written. */
static size_t u16_to_u8(const uint8_t *p, size_t n, char *o, bool stop_nul) {
    char *o0 = o;
    size_t i = 0;
    while (i < n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (i + 4 <= n) {
            uint64_t w;
            memcpy(&w, p + 2 * i, 8);
            if (!(w & 0xff80ff80ff80ff80ULL) &&
                (!stop_nul || !((w - 0x0001000100010001ULL) & ~w & 0x8000800080008000ULL))) {
                o[0] = (char)w;
                o[1] = (char)(w >> 16);
                o[2] = (char)(w >> 32);
                o[3] = (char)(w >> 48);
                o += 4;
                i += 4;
                continue;
            }
        }
#endif
        uint32_t u = rd16(p + 2 * i++);
        if (u < 0x80) {
            if (!u && stop_nul) break;
            *o++ = (char)u;
        } else if (u < 0x800) {
            *o++ = (char)(0xc0 | (u >> 6));
            *o++ = (char)(0x80 | (u & 0x3f));
        } else if (u >= 0xd800 && u <= 0xdfff) {
            uint32_t lo = i < n ? rd16(p + 2 * i) : 0;
            if (u <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
                uint32_t cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                i++;
                *o++ = (char)(0xf0 | (cp >> 18));
                *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
                *o++ = (char)(0x80 | (cp & 0x3f));
            } else {
                *o++ = (char)0xef, *o++ = (char)0xbf, *o++ = (char)0xbd;
            }
        } else {
            *o++ = (char)(0xe0 | (u >> 12));
            *o++ = (char)(0x80 | ((u >> 6) & 0x3f));
            *o++ = (char)(0x80 | (u & 0x3f));
        }
    }
    return (size_t)(o - o0);
}

/* Windows-1252 bytes 0x80..0x9f (others are Latin-1) */
static const uint16_t cp1252_hi[32] = {
    0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039,
    0x0152, 0xfffd, 0x017d, 0xfffd, 0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178};

/* ------------------------------------------------------------ values */

static const char hexu[] = "0123456789ABCDEF";
static const char hexl[] = "0123456789abcdef";

/* Values are written member by member where they end up (a field's slot):
 * a value built on the stack and copied as a whole is read back in 16-byte
 * pieces just after its members were stored, which stalls. */
static inline void put_val(sh_value *o, uint8_t type, int64_t i, double f, const char *s, uint32_t len) {
    o->type = type;
    o->b = false;
    o->i = i;
    o->f = f;
    o->s = s;
    o->len = len;
}

static inline void put_str(sh_value *o, const char *s, size_t n) { put_val(o, SH_STR, 0, 0, s, (uint32_t)n); }

static void mk_str(sh_event *e, const char *s, size_t n, sh_value *o) {
    put_str(o, sh_arena_strndup(&e->arena, s, n), n);
}

static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* writes u's decimal digits ending at end; returns where they start */
static char *put_u64(char *end, uint64_t u) {
    while (u >= 100) {
        unsigned d = (unsigned)(u % 100) * 2;
        u /= 100;
        *--end = digits2[d + 1];
        *--end = digits2[d];
    }
    if (u >= 10) {
        *--end = digits2[u * 2 + 1];
        *--end = digits2[u * 2];
    } else {
        *--end = (char)('0' + u);
    }
    return end;
}

static unsigned digits10(uint64_t u) {
    unsigned n = 1;
    for (;;) {
        if (u < 10) return n;
        if (u < 100) return n + 1;
        if (u < 1000) return n + 2;
        if (u < 10000) return n + 3;
        u /= 10000;
        n += 4;
    }
}

/* The decimal texts of 0 to SMALL_INTS-1, NUL-terminated, SMALL_W bytes
 * apart: most integers of an event (Level, Task, Opcode, Version, EventID,
 * LogonType ...) are small, and their text is shared, not written. */
#define SMALL_INTS 10000
#define SMALL_W 5
static char small_ints[SMALL_INTS * SMALL_W];

__attribute__((constructor)) static void small_ints_init(void) {
    for (unsigned i = 0; i < SMALL_INTS; i++) {
        char *o = small_ints + i * SMALL_W;
        unsigned n = digits10(i);
        put_u64(o + n, i);
        o[n] = 0;
    }
}

/* the decimal text written straight into the arena (or shared) */
static void mk_int(sh_event *e, int64_t v, sh_value *out) {
    if ((uint64_t)v < SMALL_INTS) {
        put_val(out, SH_INT, v, (double)v, small_ints + v * SMALL_W, 1u + (v >= 10) + (v >= 100) + (v >= 1000));
        return;
    }
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    size_t n = digits10(u) + (v < 0);
    char *o = sh_arena_alloc(&e->arena, n + 1);
    o[n] = 0;
    put_u64(o + n, u);
    if (v < 0) o[0] = '-';
    put_val(out, SH_INT, v, (double)v, o, (uint32_t)n);
}

static void mk_uint(sh_event *e, uint64_t u, sh_value *out) {
    if (u <= INT64_MAX) { mk_int(e, (int64_t)u, out); return; }
    /* as the JSON reader keeps integers past int64: a float with the exact text */
    char tmp[24], *q = put_u64(tmp + sizeof tmp, u);
    size_t n = (size_t)(tmp + sizeof tmp - q);
    put_val(out, SH_FLOAT, 0, (double)u, sh_arena_strndup(&e->arena, q, n), (uint32_t)n);
}

/* the two lower-case hex digits of each byte */
static char hex2[513], hex2u[513];

__attribute__((constructor)) static void hex2_init(void) {
    for (unsigned i = 0; i < 256; i++) {
        hex2[2 * i] = hexl[i >> 4], hex2[2 * i + 1] = hexl[i & 15];
        hex2u[2 * i] = hexu[i >> 4], hex2u[2 * i + 1] = hexu[i & 15];
    }
}

/* "0x" and the lower-case hex digits, written straight into the arena */
static void mk_hex(sh_event *e, uint64_t u, sh_value *out) {
    unsigned nd = u ? (unsigned)(67 - __builtin_clzll(u)) / 4 : 1;
    char *o = sh_arena_alloc(&e->arena, nd + 3);
    o[0] = '0';
    o[1] = 'x';
    o[nd + 2] = 0;
    char *q = o + nd + 2;
    for (; q - o >= 4; u >>= 8) q -= 2, memcpy(q, hex2 + 2 * (u & 255), 2);
    if (q > o + 2) *--q = hexl[u & 15];
    put_str(out, o, nd + 2);
}

#ifdef __SSE2__
/* The upper-case hex digits of the 16 bytes of v, two a byte, high nibble
 * first: 32 characters at o. */
static inline __attribute__((always_inline)) void hex16(__m128i v, char *o) {
    const __m128i f = _mm_set1_epi8(15), nine = _mm_set1_epi8(9), zero = _mm_set1_epi8('0'), step = _mm_set1_epi8(7);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), f), lo = _mm_and_si128(v, f);
    __m128i a = _mm_unpacklo_epi8(hi, lo), b = _mm_unpackhi_epi8(hi, lo);
    /* a nibble past 9 is a letter: '0' + n + ('A' - '0' - 10) */
    a = _mm_add_epi8(_mm_add_epi8(a, zero), _mm_and_si128(_mm_cmpgt_epi8(a, nine), step));
    b = _mm_add_epi8(_mm_add_epi8(b, zero), _mm_and_si128(_mm_cmpgt_epi8(b, nine), step));
    _mm_storeu_si128((__m128i *)(void *)o, a);
    _mm_storeu_si128((__m128i *)(void *)(o + 16), b);
}
#endif

static void mk_float(sh_event *e, double d, bool single, sh_value *out) {
    if (!isfinite(d)) {
        /* not a JSON number: keep it as text */
        const char *t = isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
        mk_str(e, t, strlen(t), out);
        return;
    }
    char tmp[40];
    int n = 0;
    for (int prec = single ? 6 : 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (single ? strtof(tmp, NULL) == (float)d : strtod(tmp, NULL) == d) break;
    }
    put_val(out, SH_FLOAT, (d > -9.2e18 && d < 9.2e18) ? (int64_t)d : 0, d,
            sh_arena_strndup(&e->arena, tmp, (size_t)n), (uint32_t)n);
}

static void mk_hexbytes(sh_event *e, const uint8_t *p, size_t n, sh_value *out) {
    char *o = sh_arena_alloc(&e->arena, 2 * n + 1);
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16) hex16(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), o + 2 * i);
#endif
    for (; i < n; i++) memcpy(o + 2 * i, hex2u + 2 * p[i], 2);
    o[2 * n] = 0;
    put_str(out, o, 2 * n);
}

/* days since 1970-01-01 to a civil date (proleptic Gregorian) */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void put2(char *o, unsigned v) { memcpy(o, digits2 + 2 * (v % 100), 2); }

/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" (microseconds, as evtx_dump renders) */
static size_t fmt_time(char *o, int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s, unsigned us) {
    if (y < 0 || y > 9999) return (size_t)snprintf(o, 40, "%lld-%02u-%02uT%02u:%02u:%02u.%06uZ", (long long)y, mo, d, h, mi, s, us);
    put2(o, (unsigned)(y / 100));
    put2(o + 2, (unsigned)(y % 100));
    o[4] = '-';
    put2(o + 5, mo);
    o[7] = '-';
    put2(o + 8, d);
    o[10] = 'T';
    put2(o + 11, h);
    o[13] = ':';
    put2(o + 14, mi);
    o[16] = ':';
    put2(o + 17, s);
    o[19] = '.';
    put2(o + 20, us / 10000);
    put2(o + 22, us / 100 % 100);
    put2(o + 24, us % 100);
    o[26] = 'Z';
    return 27;
}

static size_t fmt_filetime(char *o, uint64_t ft) {
    int64_t secs = (int64_t)(ft / 10000000u) - 11644473600LL;
    unsigned us = (unsigned)(ft % 10000000u / 10);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    unsigned sod = (unsigned)(secs - days * 86400);
    int64_t y;
    unsigned m, d;
    civil(days, &y, &m, &d);
    return fmt_time(o, y, m, d, sod / 3600, sod / 60 % 60, sod % 60, us);
}

/* The time of a FILETIME's text (whole microseconds) from 1970 to where
 * nanoseconds in 64 bits end (2262), as sh_event_finish would read it
 * back; else SH_TS_NONE (sh_event_finish decides) */
static int64_t filetime_us_ns(uint64_t ft) {
    if (ft < 116444736000000000ULL || ft >= 208678456360000000ULL) return SH_TS_NONE;
    return ((int64_t)(ft / 10) - 11644473600000000LL) * 1000;
}

/* nanoseconds since the epoch of a FILETIME (SH_TS_NONE out of range) */
static int64_t filetime_ns(uint64_t ft) {
    int64_t secs = (int64_t)(ft / 10000000u) - 11644473600LL;
    if (ft == 0 || secs <= -9223372036LL || secs >= 9223372036LL) return SH_TS_NONE;
    return secs * 1000000000 + (int64_t)(ft % 10000000u) * 100;
}

/* {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}: 38 characters at o */
static size_t fmt_guid(char *o, const uint8_t *g) {
    o[0] = '{';
    o[9] = o[14] = o[19] = o[24] = '-';
    o[37] = '}';
#ifdef __SSE2__
    /* the first three parts are little-endian numbers, the rest bytes */
    uint64_t x = rd64(g);
    x = __builtin_bswap32((uint32_t)x) | (uint64_t)__builtin_bswap16((uint16_t)(x >> 32)) << 32 |
        (uint64_t)__builtin_bswap16((uint16_t)(x >> 48)) << 48;
    char d[32];
    hex16(_mm_set_epi64x((long long)rd64(g + 8), (long long)x), d);
    memcpy(o + 1, d, 8);
    memcpy(o + 10, d + 8, 4);
    memcpy(o + 15, d + 12, 4);
    memcpy(o + 20, d + 16, 4);
    memcpy(o + 25, d + 20, 12);
#else
    static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    static const uint8_t at[16] = {1, 3, 5, 7, 10, 12, 15, 17, 20, 22, 25, 27, 29, 31, 33, 35};
    for (int i = 0; i < 16; i++) memcpy(o + at[i], hex2u + 2 * g[order[i]], 2);
#endif
    return 38;
}

/* SID bytes: revision, sub-authority count, 48-bit big-endian authority,
 * 32-bit little-endian sub-authorities. Returns its size, 0 when invalid. */
static size_t sid_size(const uint8_t *p, size_t n) {
    if (n < 8) return 0;
    size_t need = 8 + 4 * (size_t)p[1];
    return need <= n ? need : 0;
}

static size_t fmt_sid(char *o, const uint8_t *p) {
    uint64_t auth = 0;
    for (int i = 2; i < 8; i++) auth = auth << 8 | p[i];
    char *s = o;
    *s++ = 'S';
    *s++ = '-';
    char tmp[24], *q = put_u64(tmp + sizeof tmp, p[0]);
    memcpy(s, q, (size_t)(tmp + sizeof tmp - q)), s += tmp + sizeof tmp - q;
    *s++ = '-';
    q = put_u64(tmp + sizeof tmp, auth);
    memcpy(s, q, (size_t)(tmp + sizeof tmp - q)), s += tmp + sizeof tmp - q;
    for (unsigned i = 0; i < p[1]; i++) {
        *s++ = '-';
        q = put_u64(tmp + sizeof tmp, rd32(p + 8 + 4 * i));
        memcpy(s, q, (size_t)(tmp + sizeof tmp - q)), s += tmp + sizeof tmp - q;
    }
    return (size_t)(s - o);
}

static void conv_reserve(rd *r, size_t n) {
    r->conv.len = 0;
    sh_buf_reserve(&r->conv, n);
}

/* Copies the leading units of p that are ASCII and not NUL to o; returns
 * how many. */
static size_t ascii16(const uint8_t *p, size_t n, char *o) {
    size_t i = 0;
#ifdef __SSE2__
    /* 16 units a step, then 8: all below 0x80 and none NUL, then packed to bytes */
    const __m128i hi = _mm_set1_epi16((short)0xff80), zero = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 2 * i));
        __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(p + 2 * i + 16));
        __m128i ascii = _mm_cmpeq_epi16(_mm_and_si128(_mm_or_si128(v, w), hi), zero);
        __m128i nul = _mm_or_si128(_mm_cmpeq_epi16(v, zero), _mm_cmpeq_epi16(w, zero));
        if (_mm_movemask_epi8(_mm_andnot_si128(nul, ascii)) != 0xffff) break;
        _mm_storeu_si128((__m128i *)(void *)(o + i), _mm_packus_epi16(v, w));
    }
    for (; i + 8 <= n; i += 8) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 2 * i));
        __m128i ascii = _mm_cmpeq_epi16(_mm_and_si128(v, hi), zero);
        __m128i good = _mm_andnot_si128(_mm_cmpeq_epi16(v, zero), ascii);   /* ASCII and not NUL */
        if (_mm_movemask_epi8(good) != 0xffff) break;
        _mm_storel_epi64((__m128i *)(void *)(o + i), _mm_packus_epi16(v, v));
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; i + 4 <= n; i += 4) {
        uint64_t w;
        memcpy(&w, p + 2 * i, 8);
        if ((w & 0xff80ff80ff80ff80ULL) || ((w - 0x0001000100010001ULL) & ~w & 0x8000800080008000ULL)) break;
        o[i] = (char)w;
        o[i + 1] = (char)(w >> 16);
        o[i + 2] = (char)(w >> 32);
        o[i + 3] = (char)(w >> 48);
    }
#endif
    for (; i < n; i++) {
        uint32_t u = rd16(p + 2 * i);
        if (!u || u >= 0x80) break;
        o[i] = (char)u;
    }
    return i;
}

/* UTF-16 text converted straight into the event's arena: an exact-size
 * block for ASCII text (most of it), else one with room for 3 bytes a unit.
 * A string value stops at its first NUL (stop_nul); element text (as
 * utf16_piece converts it) keeps NULs. */
static void mk_utf16(sh_event *e, const uint8_t *p, size_t units, bool stop_nul, sh_value *out) {
    char *o = sh_arena_alloc(&e->arena, units + 1);
    size_t i = ascii16(p, units, o);
    if (i < units && (!stop_nul || rd16(p + 2 * i) != 0)) {
        char *o2 = sh_arena_alloc(&e->arena, 3 * units + 1);
        memcpy(o2, o, i);
        i += u16_to_u8(p + 2 * i, units - i, o2 + i, stop_nul);
        o = o2;
    }
    o[i] = 0;
    put_str(out, o, i);
}

static void mk_ansi(rd *r, sh_event *e, const uint8_t *p, size_t n, sh_value *out) {
    conv_reserve(r, 3 * n + 1);
    char *o = r->conv.data, *o0 = o;
    for (size_t i = 0; i < n && p[i]; i++) {
        uint32_t u = p[i] >= 0x80 && p[i] < 0xa0 ? cp1252_hi[p[i] - 0x80] : p[i];
        if (u < 0x80) *o++ = (char)u;
        else if (u < 0x800) *o++ = (char)(0xc0 | (u >> 6)), *o++ = (char)(0x80 | (u & 0x3f));
        else *o++ = (char)(0xe0 | (u >> 12)), *o++ = (char)(0x80 | ((u >> 6) & 0x3f)), *o++ = (char)(0x80 | (u & 0x3f));
    }
    mk_str(e, o0, (size_t)(o - o0), out);
}

/* A scalar substitution value that stands for nothing (NULL, an empty
 * number, a handle): no value. */
static inline bool conv_nothing(uint8_t t, uint32_t n) {
    if (t == VT_NULL || t == VT_EVTHANDLE || t == VT_EVTXML || t == VT_BINXML) return true;
    return n == 0 && t != VT_STRING && t != VT_TEXT16 && t != VT_ANSI && t != VT_BINARY;
}

/* One scalar substitution value (not conv_nothing) as a typed event value at
 * out: conv takes the common types, conv_rest the others and values too
 * short for conv (their bytes). */
static void conv_rest(rd *r, sh_event *e, uint8_t t, const uint8_t *p, uint32_t n, sh_value *out)
    __attribute__((noinline));

/* the common types here, the others (with conv_rest's text buffer) apart */
static void conv(rd *r, sh_event *e, uint8_t t, const uint8_t *p, uint32_t n, sh_value *out) {
    switch (t) {
    case VT_STRING: mk_utf16(e, p, n / 2, true, out); return;
    case VT_UINT8: if (n < 1) break; mk_int(e, p[0], out); return;
    case VT_UINT16: if (n < 2) break; mk_int(e, rd16(p), out); return;
    case VT_UINT32: if (n < 4) break; mk_int(e, rd32(p), out); return;
    case VT_INT32: if (n < 4) break; mk_int(e, (int32_t)rd32(p), out); return;
    case VT_INT64: if (n < 8) break; mk_int(e, (int64_t)rd64(p), out); return;
    case VT_TEXT16: mk_utf16(e, p, n / 2, false, out); return;
    case VT_HEX32: if (n < 4) break; mk_hex(e, rd32(p), out); return;
    case VT_HEX64: if (n < 8) break; mk_hex(e, rd64(p), out); return;
    default: break;
    }
    conv_rest(r, e, t, p, n, out);
}

static void conv_rest(rd *r, sh_event *e, uint8_t t, const uint8_t *p, uint32_t n, sh_value *out) {
    char b[600];
    if (t == VT_ANSI) { mk_ansi(r, e, p, n, out); return; }
    if (t == VT_BINARY) { mk_hexbytes(e, p, n, out); return; }
    switch (t) {
    case VT_INT8: mk_int(e, (int8_t)p[0], out); return;
    case VT_INT16: if (n < 2) break; mk_int(e, (int16_t)rd16(p), out); return;
    case VT_UINT64: if (n < 8) break; mk_uint(e, rd64(p), out); return;
    case VT_REAL32: {
        if (n < 4) break;
        uint32_t w = rd32(p);
        float f;
        memcpy(&f, &w, 4);
        mk_float(e, f, true, out);
        return;
    }
    case VT_REAL64: {
        if (n < 8) break;
        uint64_t w = rd64(p);
        double d;
        memcpy(&d, &w, 8);
        mk_float(e, d, false, out);
        return;
    }
    case VT_BOOL: {
        uint32_t v = n >= 4 ? rd32(p) : n >= 2 ? rd16(p) : p[0];
        put_val(out, SH_BOOL, v != 0, 0, v ? "true" : "false", v ? 4 : 5);
        out->b = v != 0;
        return;
    }
    case VT_GUID: {
        if (n < 16) break;
        char *o = sh_arena_alloc(&e->arena, 39);
        o[fmt_guid(o, p)] = 0;
        put_str(out, o, 38);
        return;
    }
    case VT_SIZET:
        if (n == 4) { mk_hex(e, rd32(p), out); return; }
        if (n == 8) { mk_hex(e, rd64(p), out); return; }
        break;
    case VT_FILETIME: {
        if (n < 8) break;
        char *o = sh_arena_alloc(&e->arena, 41);
        size_t k = fmt_filetime(o, rd64(p));
        o[k] = 0;
        put_str(out, o, k);
        return;
    }
    case VT_SYSTIME: {
        if (n < 16) break;
        unsigned ms = rd16(p + 14);
        mk_str(e, b,
               fmt_time(b, rd16(p), rd16(p + 2) % 100, rd16(p + 6) % 100, rd16(p + 8) % 100, rd16(p + 10) % 100,
                        rd16(p + 12) % 100, (ms % 1000) * 1000),
               out);
        return;
    }
    case VT_SID: if (!sid_size(p, n)) break; mk_str(e, b, fmt_sid(b, p), out); return;
    default: break;
    }
    /* a value too short for its type, or of an unknown type: keep the bytes */
    mk_hexbytes(e, p, n, out);
}

static uint32_t fixed_width(uint8_t t) {
    switch (t) {
    case VT_INT8: case VT_UINT8: return 1;
    case VT_INT16: case VT_UINT16: return 2;
    case VT_INT32: case VT_UINT32: case VT_REAL32: case VT_BOOL: case VT_HEX32: return 4;
    case VT_INT64: case VT_UINT64: case VT_REAL64: case VT_FILETIME: case VT_HEX64: return 8;
    case VT_GUID: case VT_SYSTIME: return 16;
    default: return 0;
    }
}

/* Calls add(item) for each item of an array value (type | 0x80). Returns
 * the number of items. */
typedef void (*item_fn)(rd *r, sh_event *e, void *ctx, const sh_value *v);

static uint32_t each_item(rd *r, sh_event *e, uint8_t t, const uint8_t *p, uint32_t n, item_fn add, void *ctx) {
    uint8_t b = t & 0x7f;
    uint32_t count = 0;
    sh_value v;
    if (b == VT_STRING) {
        uint32_t units = n / 2, s = 0;
        for (uint32_t i = 0; i <= units; i++) {
            if (i == units ? i > s : rd16(p + 2 * i) == 0) {
                mk_utf16(e, p + 2 * s, i - s, true, &v);
                add(r, e, ctx, &v);
                count++;
                s = i + 1;
            } else if (i == units) {
                break;
            }
        }
    } else if (b == VT_ANSI) {
        uint32_t s = 0;
        for (uint32_t i = 0; i <= n; i++) {
            if (i == n ? i > s : p[i] == 0) {
                mk_ansi(r, e, p + s, i - s, &v);
                add(r, e, ctx, &v);
                count++;
                s = i + 1;
            }
        }
    } else if (b == VT_SID) {
        uint32_t o = 0;
        size_t k;
        while (o < n && (k = sid_size(p + o, n - o)) != 0) {
            conv(r, e, VT_SID, p + o, (uint32_t)k, &v);
            add(r, e, ctx, &v), count++;
            o += (uint32_t)k;
        }
    } else if (b == VT_SIZET) {
        uint32_t w = n % 8 == 0 ? 8 : 4;
        for (uint32_t o = 0; o + w <= n; o += w)
            conv(r, e, VT_SIZET, p + o, w, &v), add(r, e, ctx, &v), count++;
    } else {
        uint32_t w = fixed_width(b);
        if (!w) {
            if (n && !conv_nothing(b, n)) conv(r, e, b, p, n, &v), add(r, e, ctx, &v), count++;
        } else {
            for (uint32_t o = 0; o + w <= n; o += w) conv(r, e, b, p + o, w, &v), add(r, e, ctx, &v), count++;
        }
    }
    return count;
}

/* ------------------------------------------------------------ chunk tables */

static uint32_t mix32(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (uint32_t)k;
}

static uint32_t plan_hash(uint32_t off, const nctx *ctx) { return mix32(off ^ ((uint64_t)(uintptr_t)ctx << 20)); }

static plan *plan_find(rd *r, uint32_t off, const nctx *ctx) {
    if (!r->tcap) return NULL;
    uint32_t m = r->tcap - 1, h = plan_hash(off, ctx) & m;
    for (; r->tt[h].p; h = (h + 1) & m)
        if (r->tt[h].off == off && r->tt[h].ctx == ctx) return r->tt[h].p;
    return NULL;
}

static void plan_insert(rd *r, uint32_t off, const nctx *ctx, plan *p) {
    if ((r->tn + 1) * 2 > r->tcap) {
        uint32_t cap = r->tcap ? r->tcap * 2 : 64;
        tslot *nt = calloc(cap, sizeof *nt);
        if (!nt) abort();
        for (uint32_t i = 0; i < r->tcap; i++) {
            if (!r->tt[i].p) continue;
            uint32_t h = plan_hash(r->tt[i].off, r->tt[i].ctx) & (cap - 1);
            while (nt[h].p) h = (h + 1) & (cap - 1);
            nt[h] = r->tt[i];
        }
        free(r->tt);
        r->tt = nt;
        r->tcap = cap;
    }
    uint32_t m = r->tcap - 1, h = plan_hash(off, ctx) & m;
    while (r->tt[h].p) h = (h + 1) & m;
    r->tt[h] = (tslot){off, ctx, p};
    r->tn++;
}

/* The name structure at chunk offset off: next offset (4), hash (2), count
 * (2), UTF-16 characters, NUL. Its UTF-8 form is cached per chunk. */
static bool name_at(rd *r, uint32_t off, const char **s, uint32_t *n, uint32_t *span) {
    if (off < CHUNK_HEADER || off > r->clen - 8) return fail(r, "name offset 0x%x outside the chunk", off);
    uint32_t cnt = rd16(r->c + off + 6);
    if ((uint64_t)off + 8 + 2 * (uint64_t)cnt > r->clen) return fail(r, "name at 0x%x runs past the end of the chunk", off);
    *span = 8 + 2 * cnt + 2;
    uint32_t m = r->ncap - 1, h = mix32(off) & m;
    if (r->ncap) {
        for (; r->nt[h].off; h = (h + 1) & m)
            if (r->nt[h].off == off) {
                *s = r->nt[h].s;
                *n = r->nt[h].len;
                return true;
            }
    }
    char *u = sh_arena_alloc(&r->arena, 3 * (size_t)cnt + 1);
    uint32_t k = (uint32_t)u16_to_u8(r->c + off + 8, cnt, u, true);
    u[k] = 0;
    if ((r->nn + 1) * 2 > r->ncap) {
        uint32_t cap = r->ncap ? r->ncap * 2 : 256;
        nslot *nt = calloc(cap, sizeof *nt);
        if (!nt) abort();
        for (uint32_t i = 0; i < r->ncap; i++) {
            if (!r->nt[i].off) continue;
            uint32_t g = mix32(r->nt[i].off) & (cap - 1);
            while (nt[g].off) g = (g + 1) & (cap - 1);
            nt[g] = r->nt[i];
        }
        free(r->nt);
        r->nt = nt;
        r->ncap = cap;
        m = cap - 1;
    }
    h = mix32(off) & m;
    while (r->nt[h].off) h = (h + 1) & m;
    r->nt[h].off = off;
    r->nt[h].s = u;
    r->nt[h].len = k;
    r->nn++;
    *s = u;
    *n = k;
    return true;
}

/* ------------------------------------------------------------ compiling */

typedef struct cw {
    rd *r;
    const uint8_t *c;
    uint32_t pos, end;  /* chunk offsets */
    int dep;            /* element starts carry a dependency id: 1, 0, -1 not known yet */
    sh_buf ops, pcs;    /* the plan's op and piece vectors */
    sh_buf sp, sa;      /* scratch stacks: pieces, attribute records */
    int depth;
    bool subst;         /* element text becomes substitution values 0, 1, ... */
    bool keep;          /* ... except in a Name attribute (it names fields) */
    uint32_t nsub;
} cw;

static bool need(cw *w, uint32_t n) {
    if (w->end - w->pos >= n) return true;
    return fail(w->r, "binary XML truncated at chunk offset 0x%x", w->pos);
}

static bool read_name(cw *w, const char **s, uint32_t *n) {
    if (!need(w, 4)) return false;
    uint32_t off = rd32(w->c + w->pos), span = 0;
    w->pos += 4;
    if (!name_at(w->r, off, s, n, &span)) return false;
    if (off == w->pos) {        /* stored inline, right here */
        if (!need(w, span)) return false;
        w->pos += span;
    }
    return true;
}

static uint32_t npcs(const cw *w) { return (uint32_t)(w->pcs.len / sizeof(piece)); }

static void push_piece(sh_buf *v, const piece *p) { sh_buf_put(v, p, sizeof *p); }
static void push_op(sh_buf *v, const op *o) { sh_buf_put(v, o, sizeof *o); }

static bool is_value_token(uint8_t t) {
    switch (t) {
    case T_VALUE: case T_VALUE | T_MORE:
    case T_CDATA: case T_CDATA | T_MORE:
    case T_CHARREF: case T_CHARREF | T_MORE:
    case T_ENTREF: case T_ENTREF | T_MORE:
    case T_SUBST: case T_OPTSUBST:
        return true;
    default:
        return false;
    }
}

static piece text_piece(cw *w, const char *s, size_t n) {
    piece p = {.kind = PK_TEXT, .s = sh_arena_strndup(&w->r->arena, s, n), .len = (uint32_t)n};
    return p;
}

static bool utf16_piece(cw *w, piece *out) {
    if (!need(w, 2)) return false;
    uint32_t cnt = rd16(w->c + w->pos);
    w->pos += 2;
    if (!need(w, 2 * cnt)) return false;
    char *u = sh_arena_alloc(&w->r->arena, 3 * (size_t)cnt + 1);
    size_t k = u16_to_u8(w->c + w->pos, cnt, u, false);
    u[k] = 0;
    w->pos += 2 * cnt;
    piece p = {.kind = PK_TEXT, .s = u, .len = (uint32_t)k};
    *out = p;
    return true;
}

/* One piece of text content or of an attribute value. */
static bool c_piece(cw *w, sh_buf *vec) {
    uint8_t t = w->c[w->pos++];
    piece p;
    switch (t & ~T_MORE) {
    case T_VALUE:
    case T_CDATA: {
        if ((t & ~T_MORE) == T_VALUE) {
            if (!need(w, 1)) return false;
            uint8_t vt = w->c[w->pos++];
            if (vt != VT_STRING) return fail(w->r, "value token of type 0x%02x at chunk offset 0x%x", vt, w->pos - 2);
        }
        if (w->subst && !w->keep) {
            if (!need(w, 2)) return false;
            uint32_t cnt = rd16(w->c + w->pos);
            w->pos += 2;
            if (!need(w, 2 * cnt)) return false;
            w->pos += 2 * cnt;
            memset(&p, 0, sizeof p);
            p.kind = PK_SUBST;
            p.idx = (uint16_t)w->nsub++;
            break;
        }
        if (!utf16_piece(w, &p)) return false;
        break;
    }
    case T_CHARREF: {
        if (!need(w, 2)) return false;
        uint32_t u = rd16(w->c + w->pos);
        w->pos += 2;
        char b[4];
        size_t k = u >= 0xd800 && u <= 0xdfff ? sh_utf8_encode(0xfffd, b) : sh_utf8_encode(u, b);
        p = text_piece(w, b, k);
        break;
    }
    case T_ENTREF: {
        const char *s;
        uint32_t n;
        if (!read_name(w, &s, &n)) return false;
        static const char *const ents[][2] = {{"lt", "<"}, {"gt", ">"}, {"amp", "&"}, {"quot", "\""}, {"apos", "'"}};
        const char *rep = NULL;
        for (size_t i = 0; i < sizeof ents / sizeof ents[0]; i++)
            if (strcmp(s, ents[i][0]) == 0) rep = ents[i][1];
        if (rep) {
            p = text_piece(w, rep, strlen(rep));
        } else {
            char b[300];
            int k = snprintf(b, sizeof b, "&%.280s;", s);
            p = text_piece(w, b, (size_t)k);
        }
        break;
    }
    default: /* T_SUBST, T_OPTSUBST */
        if (!need(w, 3)) return false;
        memset(&p, 0, sizeof p);
        p.kind = PK_SUBST;
        p.idx = rd16(w->c + w->pos);
        p.opt = t == T_OPTSUBST;
        w->pos += 3;
        break;
    }
    push_piece(vec, &p);
    return true;
}

/* Skip a template instance (the 0x0c token already read). */
static bool skip_instance(cw *w) {
    if (!need(w, 9)) return false;
    uint32_t def = rd32(w->c + w->pos + 5);
    w->pos += 9;
    if (def == w->pos) {
        if (!need(w, 24)) return false;
        uint32_t size = rd32(w->c + w->pos + 20);
        w->pos += 24;
        if (!need(w, size)) return false;
        w->pos += size;
    }
    if (!need(w, 4)) return false;
    uint32_t n = rd32(w->c + w->pos);
    w->pos += 4;
    if (n > (w->end - w->pos) / 4) return fail(w->r, "%u substitution values cannot fit", n);
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) total += rd16(w->c + w->pos + 4 * i);
    w->pos += 4 * n;
    if (total > w->end - w->pos) return fail(w->r, "substitution values run past the end of the data");
    w->pos += (uint32_t)total;
    return true;
}

static bool skip_pi(cw *w, uint8_t t) {
    if (t == T_PITARGET) {
        const char *s;
        uint32_t n;
        return read_name(w, &s, &n);
    }
    if (!need(w, 2)) return false;
    uint32_t cnt = rd16(w->c + w->pos);
    w->pos += 2;
    if (!need(w, 2 * cnt)) return false;
    w->pos += 2 * cnt;
    return true;
}

/* Element starts in template definitions carry a 2-byte dependency id; in
 * nested binary XML values they do not; for elements directly in a record
 * (no template) both are seen: the variant whose name offset is consistent
 * wins (an inline name right after it, or an earlier name in the chunk). */
static int guess_dep(const uint8_t *c, uint32_t p, uint32_t end) {   /* p: just after the token */
    if (end - p >= 10 && rd32(c + p + 6) == p + 10) return 1;
    if (end - p >= 8 && rd32(c + p + 4) == p + 8) return 0;
    bool a = end - p >= 10 && rd32(c + p + 6) >= CHUNK_HEADER && rd32(c + p + 6) < p;
    bool b = end - p >= 8 && rd32(c + p + 4) >= CHUNK_HEADER && rd32(c + p + 4) < p;
    return a && !b;
}

static bool streq(const char *s, uint32_t n, const char *lit) {
    size_t k = strlen(lit);
    return n == k && memcmp(s, lit, k) == 0;
}

static const char *cat3(rd *r, const char *a, uint32_t an, char sep, const char *b, uint32_t bn, uint32_t *outn) {
    uint32_t n = an + (an ? 1 : 0) + bn;
    char *s = sh_arena_alloc(&r->arena, n + 1);
    memcpy(s, a, an);
    if (an) s[an] = sep;
    memcpy(s + an + (an ? 1 : 0), b, bn);
    s[n] = 0;
    *outn = n;
    return s;
}

static nctx *child_ctx(rd *r, const nctx *pa, const char *nm, uint32_t nl) {
    nctx *c = sh_arena_zalloc(&r->arena, sizeof *c);
    c->base = "";
    c->sys = pa->sys;
    switch (pa->kind) {
    case NK_DOC: c->kind = NK_EVENT; break;
    case NK_EVENT:
        if (streq(nm, nl, "System")) c->kind = NK_SYSTEM, c->sys = true;
        else if (streq(nm, nl, "EventData")) c->kind = NK_EVENTDATA;
        else if (streq(nm, nl, "UserData")) c->kind = NK_USERDATA;
        else c->kind = NK_FIELD, c->base = nm, c->blen = nl;
        break;
    case NK_USERDATA: c->kind = NK_WRAPPER; break;
    case NK_EVENTDATA:
        if (streq(nm, nl, "Data")) { c->kind = NK_DATA, c->base = "Data", c->blen = 4; break; }
        /* fall through */
    case NK_SYSTEM:
    case NK_WRAPPER:
        c->kind = NK_FIELD, c->base = nm, c->blen = nl;
        break;
    default: /* NK_FIELD, NK_DATA */
        c->kind = NK_FIELD;
        c->base = cat3(r, pa->base, pa->blen, '.', nm, nl, &c->blen);
        break;
    }
    return c;
}

static bool is_num_name(const char *s, uint32_t n) {
    static const char *const names[] = {"EventID", "Version", "Level", "Task", "Opcode", "EventRecordID",
                                        "EventID_Qualifiers", "Execution_ProcessID", "Execution_ThreadID",
                                        "Execution_ProcessorID", "Execution_SessionID", "Execution_KernelTime",
                                        "Execution_UserTime", "Execution_ProcessorTime", NULL};
    if (n < 4 || n > 23 || !strchr("EVLTO", s[0])) return false;
    for (const char *const *p = names; *p; p++)
        if ((*p)[0] == s[0] && streq(s, n, *p)) return true;
    return false;
}

typedef struct attr_rec { const char *name; uint32_t nlen, pc, npc; } attr_rec;

static bool c_stream(cw *w, const nctx *ctx);

/* One element (its open token already read). Its children's ops come
 * first, then the op of its own text, then those of its attributes. */
static bool c_element(cw *w, const nctx *pa, bool has_attrs) {
    rd *r = w->r;
    if (w->depth >= MAX_ELEM_DEPTH) return fail(r, "elements nested deeper than %d", MAX_ELEM_DEPTH);
    if (w->dep < 0) w->dep = guess_dep(w->c, w->pos, w->end);
    if (!need(w, w->dep ? 6u : 4u)) return false;
    w->pos += w->dep ? 6 : 4;           /* dependency id, data size */
    const char *nm;
    uint32_t nl;
    if (!read_name(w, &nm, &nl)) return false;
    if (has_attrs) {
        if (!need(w, 4)) return false;
        w->pos += 4;                    /* attribute list size */
    }
    nctx *cx = child_ctx(r, pa, nm, nl);

    /* this element's attribute records and pieces live on the scratch
     * stacks above its parent's; children pop theirs before returning */
    if (!w->sp.data) sh_buf_reserve(&w->sp, 32 * sizeof(piece));
    if (!w->sa.data) sh_buf_reserve(&w->sa, 16 * sizeof(attr_rec));
    size_t sa0 = w->sa.len, sp0 = w->sp.len;
    bool ok = false;
    w->depth++;
    /* attributes */
    for (;;) {
        if (!need(w, 1)) goto out;
        uint8_t t = w->c[w->pos];
        if ((t & ~T_MORE) != T_ATTR) break;
        w->pos++;
        attr_rec a;
        if (!read_name(w, &a.name, &a.nlen)) goto out;
        a.pc = (uint32_t)(w->sp.len / sizeof(piece));
        w->keep = streq(a.name, a.nlen, "Name");
        while (w->pos < w->end && is_value_token(w->c[w->pos]))
            if (!c_piece(w, &w->sp)) goto out;
        w->keep = false;
        a.npc = (uint32_t)(w->sp.len / sizeof(piece)) - a.pc;
        sh_buf_put(&w->sa, &a, sizeof a);
    }
    size_t nattrs = (w->sa.len - sa0) / sizeof(attr_rec);
    uint32_t text0 = (uint32_t)(w->sp.len / sizeof(piece));   /* text pieces start here */
    uint32_t children = 0;
    if (!need(w, 1)) goto out;
    uint8_t t = w->c[w->pos++];
    if (t == T_CLOSE_START) {
        for (;;) {
            if (!need(w, 1)) goto out;
            t = w->c[w->pos];
            if (t == T_END) { w->pos++; break; }
            if (is_value_token(t)) {
                if (!c_piece(w, &w->sp)) goto out;
                continue;
            }
            w->pos++;
            if (t == T_OPEN || t == (T_OPEN | T_MORE)) {
                children++;
                if (!c_element(w, cx, t & T_MORE)) goto out;
            } else if (t == T_TEMPLATE) {
                op o = {.kind = OP_INSTANCE, .ctx = cx, .at = w->pos - 1, .end = w->end};
                children++;
                if (!skip_instance(w)) goto out;
                push_op(&w->ops, &o);
            } else if (t == T_PITARGET || t == T_PIDATA) {
                if (!skip_pi(w, t)) goto out;
            } else if (t == T_FRAGMENT) {
                if (!need(w, 3)) goto out;
                w->pos += 3;
            } else if (t == T_EOF) {
                fail(r, "binary XML ends inside <%s>", nm);
                goto out;
            } else {
                fail(r, "unexpected token 0x%02x in <%s> at chunk offset 0x%x", t, nm, w->pos - 1);
                goto out;
            }
        }
    } else if (t != T_CLOSE_EMPTY) {
        fail(r, "unexpected token 0x%02x after the attributes of <%s> at chunk offset 0x%x", t, nm, w->pos - 1);
        goto out;
    }

    /* scratch may have moved while the children were compiled */
    const piece *sp = (const piece *)w->sp.data;
    attr_rec *as = (attr_rec *)(w->sa.data + sa0);
    uint32_t ntext = (uint32_t)(w->sp.len / sizeof(piece)) - text0;
    bool structural = cx->kind != NK_FIELD && cx->kind != NK_DATA;
    uint32_t name_pc = 0, name_npc = 0;
    bool dyn_name = false;
    /* the Name of <Data> names the field */
    if (cx->kind == NK_DATA) {
        for (size_t i = 0; i < nattrs; i++) {
            if (!streq(as[i].name, as[i].nlen, "Name")) continue;
            bool stat = true;
            size_t len = 0;
            for (uint32_t k = 0; k < as[i].npc; k++) {
                if (sp[as[i].pc + k].kind != PK_TEXT) stat = false;
                else len += sp[as[i].pc + k].len;
            }
            if (stat && len) {
                char *s = sh_arena_alloc(&r->arena, len + 1);
                len = 0;
                for (uint32_t k = 0; k < as[i].npc; k++) {
                    memcpy(s + len, sp[as[i].pc + k].s, sp[as[i].pc + k].len);
                    len += sp[as[i].pc + k].len;
                }
                s[len] = 0;
                cx->base = s;
                cx->blen = (uint32_t)len;
            } else if (!stat) {
                dyn_name = true;
                name_pc = npcs(w);
                name_npc = as[i].npc;
                sh_buf_put(&w->pcs, sp + as[i].pc, as[i].npc * sizeof(piece));
            }
            as[i].name = NULL;      /* consumed */
        }
    }
    /* which attributes become fields */
    uint32_t nattr_ops = 0;
    for (size_t i = 0; i < nattrs; i++) {
        if (!as[i].name || structural ||
            (strncmp(as[i].name, "xmlns", 5) == 0 && (as[i].nlen == 5 || as[i].name[5] == ':')))
            as[i].name = NULL;
        else
            nattr_ops++;
    }
    /* the op of the element's own text */
    bool has_subst = false, all_opt = ntext > 0;
    for (uint32_t k = 0; k < ntext; k++) {
        if (sp[text0 + k].kind == PK_SUBST) has_subst = true;
        if (sp[text0 + k].kind != PK_SUBST || !sp[text0 + k].opt) all_opt = false;
    }
    op o = {.kind = OP_VALUE, .ctx = cx, .pc = npcs(w), .npc = ntext};
    if (!structural) {
        o.name = cx->base;
        o.nlen = cx->blen;
        if (dyn_name) o.nc = name_pc, o.nnc = name_npc;
        if (!cx->sys && !children && !nattr_ops) o.flags |= F_EMPTY;
        if (all_opt) o.flags |= F_OPTELEM;
        if (cx->sys && is_num_name(o.name, o.nlen)) o.flags |= F_NUM;
    }
    if ((!structural && (ntext || (o.flags & F_EMPTY))) || (structural && has_subst)) {
        sh_buf_put(&w->pcs, sp + text0, ntext * sizeof(piece));
        push_op(&w->ops, &o);
    }
    /* then the ops of its attributes */
    for (size_t i = 0; i < nattrs; i++) {
        if (!as[i].name) continue;
        op ao = {.kind = OP_VALUE, .ctx = cx, .pc = npcs(w), .npc = as[i].npc};
        if (streq(cx->base, cx->blen, "TimeCreated") && streq(as[i].name, as[i].nlen, "SystemTime")) {
            ao.name = "TimeCreated";
            ao.nlen = 11;
            if (cx->sys) ao.flags |= F_TS;
        } else {
            ao.name = cat3(r, cx->base, cx->blen, '_', as[i].name, as[i].nlen, &ao.nlen);
        }
        if (cx->sys && is_num_name(ao.name, ao.nlen)) ao.flags |= F_NUM;
        sh_buf_put(&w->pcs, sp + as[i].pc, as[i].npc * sizeof(piece));
        push_op(&w->ops, &ao);
    }
    ok = true;
out:
    w->sa.len = sa0;
    w->sp.len = sp0;
    w->depth--;
    return ok;
}

/* A fragment: elements and template instances up to an end-of-stream
 * token or the end of the data. */
static bool c_stream(cw *w, const nctx *ctx) {
    while (w->pos < w->end) {
        uint8_t t = w->c[w->pos++];
        if (t == T_EOF) return true;
        if (t == T_FRAGMENT) {
            if (!need(w, 3)) return false;
            w->pos += 3;
        } else if (t == T_OPEN || t == (T_OPEN | T_MORE)) {
            if (!c_element(w, ctx, t & T_MORE)) return false;
        } else if (t == T_TEMPLATE) {
            op o = {.kind = OP_INSTANCE, .ctx = ctx, .at = w->pos - 1, .end = w->end};
            if (!skip_instance(w)) return false;
            push_op(&w->ops, &o);
        } else if (t == T_PITARGET || t == T_PIDATA) {
            if (!skip_pi(w, t)) return false;
        } else {
            return fail(w->r, "unexpected token 0x%02x at chunk offset 0x%x", t, w->pos - 1);
        }
    }
    return true;
}

/* The compiler's vectors are the reader's, emptied: one compilation at a
 * time (a plan is copied out by finish_plan before it runs). */
static void cw_take(cw *w, rd *r) {
    sh_buf *b[4] = {&w->ops, &w->pcs, &w->sp, &w->sa};
    for (int i = 0; i < 4; i++) {
        *b[i] = r->cwb[i];
        b[i]->len = 0;
        memset(&r->cwb[i], 0, sizeof r->cwb[i]);
    }
}

static void cw_free(cw *w) {
    sh_buf *b[4] = {&w->ops, &w->pcs, &w->sp, &w->sa};
    for (int i = 0; i < 4; i++) {
        sh_buf_free(&w->r->cwb[i]);
        w->r->cwb[i] = *b[i];
        memset(b[i], 0, sizeof *b[i]);
    }
}

static plan *finish_plan(cw *w, bool ok) {
    rd *r = w->r;
    plan *p = sh_arena_zalloc(&r->arena, sizeof *p);
    if (ok) {
        p->nops = (uint32_t)(w->ops.len / sizeof(op));
        op *ops = sh_arena_alloc(&r->arena, w->ops.len + 1);
        if (w->ops.len) memcpy(ops, w->ops.data, w->ops.len);
        /* field names shared by every chunk and event: no hashing or copy per record */
        for (uint32_t i = 0; i < p->nops; i++) {
            if (!ops[i].name) continue;
            const char *in = sh_intern(ops[i].name, ops[i].nlen, &ops[i].hash);
            if (in) ops[i].name = in, ops[i].interned = true;
        }
        piece *pcs = sh_arena_alloc(&r->arena, w->pcs.len + 1);
        if (w->pcs.len) memcpy(pcs, w->pcs.data, w->pcs.len);
        for (uint32_t i = 0; i < p->nops; i++) {
            op *o = &ops[i];
            o->one = o->kind == OP_VALUE && o->npc == 1 && pcs[o->pc].kind == PK_SUBST && !o->nnc;
            if (o->one) o->sidx = pcs[o->pc].idx;
        }
        p->ops = ops;
        p->pcs = pcs;
    } else {
        p->err = sh_arena_strdup(&r->arena, r->err[0] ? r->err : "invalid binary XML");
    }
    cw_free(w);
    return p;
}

/* ------------------------------------------------------------ shared plans */

/* A template's plan depends only on its definition's tokens, the names they
 * use and the naming context, not on where the chunk put them: the same
 * template is defined again in every chunk (and file) that uses it, with
 * other name offsets and inline names. Plans are therefore also kept in one
 * table for the process, keyed by the template GUID, the naming context and
 * a 64-bit print of the definition (every token, with each name reference
 * replaced by the name's characters and the offsets and sizes that depend
 * on the layout left out). A chunk that defines a known template finds its
 * plan after that walk instead of compiling it (compiling costs about six
 * times the walk). Shared plans are immutable and never freed; the table
 * stops growing at SHARED_MAX_PLANS or SHARED_MAX_BYTES. Definitions holding
 * template instances (their plans point into the chunk) and plans that
 * failed or whose names could not be interned stay per chunk. */
#define SHARED_MAX_PLANS 8192
#define SHARED_MAX_BYTES (32u << 20)

typedef struct shared_plan {
    uint64_t print;
    uint8_t guid[16];
    nctx ctx;           /* its base in the table's arena */
    plan *p;
} shared_plan;

static struct {
    pthread_mutex_t lock;
    sh_arena arena;
    shared_plan *slots;
    uint32_t cap, n;
    size_t bytes;
} g_plans = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool g_share = true;

void sh_evtx_share_plans(bool on) { g_share = on; }

void sh_evtx_shared_reset(void) {
    pthread_mutex_lock(&g_plans.lock);
    sh_arena_free(&g_plans.arena);
    free(g_plans.slots);
    g_plans.slots = NULL;
    g_plans.cap = g_plans.n = 0;
    g_plans.bytes = 0;
    pthread_mutex_unlock(&g_plans.lock);
}

static uint64_t fp_word(uint64_t h, uint64_t x) {
    h ^= x;
    h *= 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

static uint64_t fp_bytes(uint64_t h, const uint8_t *p, size_t n) {
    h = fp_word(h, n);
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        h = fp_word(h, x);
    }
    uint64_t t = 0;
    memcpy(&t, p, n);
    return fp_word(h, t);
}

/* the characters of the name referenced at pos (skipping it when inline) */
static bool fp_name(rd *r, uint32_t *pos, uint32_t end, uint64_t *h) {
    if (end - *pos < 4) return false;
    uint32_t off = rd32(r->c + *pos);
    *pos += 4;
    if (off < CHUNK_HEADER || off > r->clen - 8) return false;
    uint32_t cnt = rd16(r->c + off + 6);
    if ((uint64_t)off + 8 + 2 * (uint64_t)cnt > r->clen) return false;
    /* the name's own print, kept for the chunk by its offset */
    struct name_print *np = &r->nprint[(off >> 1) & (NAME_PRINTS - 1)];
    if (np->gen != r->gen || np->off != off) {
        np->gen = r->gen;
        np->off = off;
        np->h = fp_bytes(0x4e414d45ULL, r->c + off + 8, 2 * (size_t)cnt);
    }
    *h = fp_word(*h, np->h);
    if (off == *pos) {
        uint32_t span = 8 + 2 * cnt + 2;
        if (end - *pos < span) return false;
        *pos += span;
    }
    return true;
}

/* The print of the definition's tokens in [pos, end), read the way c_stream
 * and c_element read them. False when the plan is not to be shared: a
 * nested template instance, or anything compiling would reject. */
static bool def_print(rd *r, uint32_t pos, uint32_t end, uint64_t *out) {
    const uint8_t *c = r->c;
    uint64_t h = 0x5348524b45565458ULL;
    while (pos < end) {
        uint8_t t = c[pos++];
        h = fp_word(h, t);
        switch (t & ~T_MORE) {
        case T_EOF:
            *out = fp_word(h, 0xe0f);
            return true;
        case T_OPEN:
            if (end - pos < 6) return false;
            pos += 6;                   /* dependency id, data size */
            if (!fp_name(r, &pos, end, &h)) return false;
            if (t & T_MORE) {
                if (end - pos < 4) return false;
                pos += 4;               /* attribute list size */
            }
            break;
        case T_ATTR:
        case T_ENTREF:
        case T_PITARGET:
            if (!fp_name(r, &pos, end, &h)) return false;
            break;
        case T_CLOSE_START:
        case T_CLOSE_EMPTY:
        case T_END:
            break;
        case T_VALUE:
            if (end - pos < 1 || c[pos] != VT_STRING) return false;
            pos++;
            __attribute__((fallthrough)); /* count and characters */
        case T_CDATA:
        case T_PIDATA: {
            if (end - pos < 2) return false;
            uint32_t cnt = rd16(c + pos);
            pos += 2;
            if (end - pos < 2 * cnt) return false;
            h = fp_bytes(h, c + pos, 2 * (size_t)cnt);
            pos += 2 * cnt;
            break;
        }
        case T_CHARREF:
            if (end - pos < 2) return false;
            h = fp_bytes(h, c + pos, 2);
            pos += 2;
            break;
        case T_SUBST:
        case T_OPTSUBST:
        case T_FRAGMENT:
            if (end - pos < 3) return false;
            h = fp_bytes(h, c + pos, 3);
            pos += 3;
            break;
        default:                        /* T_TEMPLATE, unknown tokens */
            return false;
        }
    }
    *out = fp_word(h, 0xe0d);
    return true;
}

static uint32_t shared_hash(uint64_t print, const uint8_t *guid, const nctx *ctx) {
    uint64_t g;
    memcpy(&g, guid, 8);
    uint64_t h = fp_word(print, g ^ ((uint64_t)ctx->kind << 56) ^ ((uint64_t)ctx->sys << 48));
    return (uint32_t)fp_bytes(h, (const uint8_t *)ctx->base, ctx->blen);
}

static bool shared_eq(const shared_plan *s, uint64_t print, const uint8_t *guid, const nctx *ctx) {
    return s->print == print && s->ctx.kind == ctx->kind && s->ctx.sys == ctx->sys && s->ctx.blen == ctx->blen &&
           memcmp(s->guid, guid, 16) == 0 && memcmp(s->ctx.base, ctx->base, ctx->blen) == 0;
}

/* the slot of the key in the table (cap > 0, the lock held): its entry, or
 * the empty slot where it goes */
static shared_plan *shared_slot(uint64_t print, const uint8_t *guid, const nctx *ctx) {
    uint32_t m = g_plans.cap - 1, i = shared_hash(print, guid, ctx) & m;
    while (g_plans.slots[i].p && !shared_eq(&g_plans.slots[i], print, guid, ctx)) i = (i + 1) & m;
    return &g_plans.slots[i];
}

static plan *shared_find(uint64_t print, const uint8_t *guid, const nctx *ctx) {
    pthread_mutex_lock(&g_plans.lock);
    plan *p = g_plans.cap ? shared_slot(print, guid, ctx)->p : NULL;
    pthread_mutex_unlock(&g_plans.lock);
    return p;
}

static const char *shared_str(const char *s, uint32_t n) {
    g_plans.bytes += n + 1;
    return sh_arena_strndup(&g_plans.arena, s, n);
}

/* A copy of the chunk's plan p in the process's table (the lock held):
 * its contexts and texts copied out of the chunk's arena. NULL when it
 * cannot be shared (a name that is not interned) or the table is full. */
static plan *shared_copy(const plan *p) {
    size_t need = p->nops * sizeof(op) + sizeof(plan);
    uint32_t npc = 0;
    for (uint32_t i = 0; i < p->nops; i++) {
        const op *o = &p->ops[i];
        if (o->kind != OP_VALUE || (o->name && !o->interned)) return NULL;
        if (o->pc + o->npc > npc) npc = o->pc + o->npc;
        if (o->nc + o->nnc > npc) npc = o->nc + o->nnc;
    }
    need += npc * sizeof(piece);
    if (g_plans.n >= SHARED_MAX_PLANS || g_plans.bytes + need > SHARED_MAX_BYTES) return NULL;
    g_plans.bytes += need;
    sh_arena *a = &g_plans.arena;
    op *ops = sh_arena_alloc(a, p->nops * sizeof(op) + 1);
    piece *pcs = sh_arena_alloc(a, npc * sizeof(piece) + 1);
    if (p->nops) memcpy(ops, p->ops, p->nops * sizeof(op));
    if (npc) memcpy(pcs, p->pcs, npc * sizeof(piece));
    for (uint32_t k = 0; k < npc; k++)
        if (pcs[k].kind == PK_TEXT) pcs[k].s = shared_str(pcs[k].s, pcs[k].len);
    /* contexts: consecutive ops mostly share one; each distinct one copied once */
    const nctx *from = NULL;
    nctx *to = NULL;
    for (uint32_t i = 0; i < p->nops; i++) {
        if (ops[i].ctx != from) {
            from = ops[i].ctx;
            to = sh_arena_alloc(a, sizeof *to);
            *to = *from;
            to->base = shared_str(from->base, from->blen);
            g_plans.bytes += sizeof *to;
        }
        ops[i].ctx = to;
    }
    plan *q = sh_arena_zalloc(a, sizeof *q);
    q->ops = ops;
    q->pcs = pcs;
    q->nops = p->nops;
    return q;
}

/* Adds the chunk's plan p under its key; returns the shared copy (another
 * thread's when it came first), or p when it is not shared. */
static plan *shared_add(plan *p, uint64_t print, const uint8_t *guid, const nctx *ctx) {
    plan *out = p;
    pthread_mutex_lock(&g_plans.lock);
    if ((g_plans.n + 1) * 2 > g_plans.cap) {
        uint32_t cap = g_plans.cap ? g_plans.cap * 2 : 256;
        shared_plan *ns = calloc(cap, sizeof *ns);
        if (!ns) abort();
        for (uint32_t i = 0; i < g_plans.cap; i++) {
            shared_plan *s = &g_plans.slots[i];
            if (!s->p) continue;
            uint32_t j = shared_hash(s->print, s->guid, &s->ctx) & (cap - 1);
            while (ns[j].p) j = (j + 1) & (cap - 1);
            ns[j] = *s;
        }
        free(g_plans.slots);
        g_plans.slots = ns;
        g_plans.cap = cap;
    }
    shared_plan *s = shared_slot(print, guid, ctx);
    if (s->p) {
        out = s->p;
    } else {
        plan *q = shared_copy(p);
        if (q) {
            s->print = print;
            memcpy(s->guid, guid, 16);
            s->ctx = *ctx;
            s->ctx.base = shared_str(ctx->base, ctx->blen);
            s->p = q;
            g_plans.n++;
            out = q;
        }
    }
    pthread_mutex_unlock(&g_plans.lock);
    return out;
}

/* Binary XML without a template (records of saved, filtered logs; the
 * UserData of CAPI2 events) carries its text inline and used to be compiled
 * for every record. Its element structure repeats, though: walked here the
 * way c_element reads it, the text of elements and attributes is collected
 * as VT_TEXT16 substitution values (Name attributes stay in the print: they
 * name fields) and the structure is printed; the plan, compiled once with
 * the text as substitutions (cw.subst), is shared like a template's. */
typedef struct rw {
    rd *r;
    const uint8_t *c;
    uint32_t pos, end;
    int dep, depth;
    uint64_t h;
    uint32_t vb, n;     /* values collected at r->vals[vb ...] */
} rw;

static bool rw_push(rw *w, const uint8_t *p, uint32_t size) {
    rd *r = w->r;
    if (w->n >= 60000) return false;
    if (w->vb + w->n + 1 > r->vcap) {
        uint32_t cap = r->vcap ? r->vcap * 2 : 256;
        ev_val *nv = realloc(r->vals, cap * sizeof *nv);
        if (!nv) abort();
        r->vals = nv;
        r->vcap = cap;
    }
    r->vals[w->vb + w->n++] = (ev_val){p, size, VT_TEXT16};
    return true;
}

/* a name reference, printed by its characters; *is_name: it reads "Name" */
static bool rw_name(rw *w, bool *is_name) {
    uint32_t at = w->pos;
    if (!fp_name(w->r, &w->pos, w->end, &w->h)) return false;
    if (is_name) {
        uint32_t off = rd32(w->c + at), cnt = rd16(w->c + off + 6);
        const uint8_t *u = w->c + off + 8;
        *is_name = cnt >= 4 && memcmp(u, "N\0a\0m\0e\0", 8) == 0 && (cnt == 4 || rd16(u + 8) == 0);
    }
    return true;
}

/* one value token, as c_piece reads it */
static bool rw_piece(rw *w, bool keep) {
    const uint8_t *c = w->c;
    uint8_t t = c[w->pos++];
    w->h = fp_word(w->h, t);
    switch (t & ~T_MORE) {
    case T_VALUE:
        if (w->end - w->pos < 1 || c[w->pos] != VT_STRING) return false;
        w->pos++;
        __attribute__((fallthrough));
    case T_CDATA: {
        if (w->end - w->pos < 2) return false;
        uint32_t cnt = rd16(c + w->pos);
        w->pos += 2;
        if (w->end - w->pos < 2 * cnt) return false;
        if (keep) w->h = fp_bytes(w->h, c + w->pos, 2 * (size_t)cnt);
        else if (!rw_push(w, c + w->pos, 2 * cnt)) return false;
        w->pos += 2 * cnt;
        return true;
    }
    case T_CHARREF:
        if (w->end - w->pos < 2) return false;
        w->h = fp_bytes(w->h, c + w->pos, 2);
        w->pos += 2;
        return true;
    case T_ENTREF:
        return rw_name(w, NULL);
    default:            /* substitutions have no values here: not shared */
        return false;
    }
}

/* one element, its open token (t) read */
static bool rw_element(rw *w, uint8_t t) {
    const uint8_t *c = w->c;
    if (w->depth >= MAX_ELEM_DEPTH) return false;
    if (w->dep < 0) w->dep = guess_dep(c, w->pos, w->end);
    uint32_t skip = w->dep ? 6 : 4;
    if (w->end - w->pos < skip) return false;
    w->pos += skip;
    if (!rw_name(w, NULL)) return false;
    if (t & T_MORE) {
        if (w->end - w->pos < 4) return false;
        w->pos += 4;
    }
    w->depth++;
    for (;;) {
        if (w->pos >= w->end) return false;
        t = c[w->pos];
        if ((t & ~T_MORE) != T_ATTR) break;
        w->pos++;
        w->h = fp_word(w->h, t);
        bool is_name = false;
        if (!rw_name(w, &is_name)) return false;
        while (w->pos < w->end && is_value_token(c[w->pos]))
            if (!rw_piece(w, is_name)) return false;
    }
    t = c[w->pos++];
    w->h = fp_word(w->h, t);
    if (t == T_CLOSE_START) {
        for (;;) {
            if (w->pos >= w->end) return false;
            t = c[w->pos];
            if (t == T_END) {
                w->pos++;
                w->h = fp_word(w->h, t);
                break;
            }
            if (is_value_token(t)) {
                if (!rw_piece(w, false)) return false;
                continue;
            }
            w->pos++;
            w->h = fp_word(w->h, t);
            if (t == T_OPEN || t == (T_OPEN | T_MORE)) {
                if (!rw_element(w, t)) return false;
            } else if (t == T_PITARGET) {
                if (!rw_name(w, NULL)) return false;
            } else if (t == T_PIDATA) {
                if (w->end - w->pos < 2) return false;
                uint32_t cnt = rd16(c + w->pos);
                w->pos += 2;
                if (w->end - w->pos < 2 * cnt) return false;
                w->pos += 2 * cnt;
            } else if (t == T_FRAGMENT) {
                if (w->end - w->pos < 3) return false;
                w->pos += 3;
            } else {    /* a template instance (its plan points into the chunk), the end, damage */
                return false;
            }
        }
    } else if (t != T_CLOSE_EMPTY) {
        return false;
    }
    w->depth--;
    return true;
}

static const uint8_t raw_guid[16] = "binary XML text";

static bool exec_plan(rd *r, sh_event *e, const plan *p, uint32_t vb, uint32_t nv, int depth);

/* The element at pos (its open token) of a stream without a template, run
 * through a shared plan: *handled false when it cannot be (the caller
 * compiles it for this record alone), else the result. */
static bool run_raw(rd *r, sh_event *e, uint32_t *pos, uint32_t end, const nctx *ctx, int *dep, int depth,
                    bool *handled) {
    *handled = false;
    if (!g_share) return false;
    uint8_t t = r->c[*pos];
    rw w = {.r = r, .c = r->c, .pos = *pos + 1, .end = end, .dep = *dep, .vb = r->vtop,
            .h = 0x5348524b52415758ULL};
    w.h = fp_word(w.h, (uint64_t)(*dep + 2));
    if (!rw_element(&w, t)) return false;
    uint64_t print = fp_word(w.h, (uint64_t)w.dep);
    plan *p = shared_find(print, raw_guid, ctx);
    if (!p) {
        cw k = {.r = r, .c = r->c, .pos = *pos + 1, .end = end, .dep = *dep, .subst = true};
        cw_take(&k, r);
        char saved[sizeof r->err];
        memcpy(saved, r->err, sizeof saved);
        r->err[0] = 0;
        bool ok = c_element(&k, ctx, t & T_MORE);
        /* the walk and the compiler read the same tokens */
        ok = ok && k.pos == w.pos && k.dep == w.dep && k.nsub == w.n;
        memcpy(r->err, saved, sizeof saved);
        p = finish_plan(&k, ok);
        if (!ok) return false;
        p = shared_add(p, print, raw_guid, ctx);
    }
    *handled = true;
    *pos = w.pos;
    *dep = w.dep;
    r->vtop += w.n;
    bool ok = exec_plan(r, e, p, w.vb, w.n, depth);
    r->vtop = w.vb;
    return ok;
}

/* The plan of the template definition at chunk offset def, for an instance
 * in naming context ctx: from the chunk's table, else from the process's,
 * else compiled (and shared when it can be). */
static plan *get_plan(rd *r, uint32_t def, const nctx *ctx) {
    plan *p = plan_find(r, def, ctx);
    if (p) return p;
    cw w = {.r = r, .c = r->c, .dep = 1};
    cw_take(&w, r);
    bool ok, shared = false;
    uint64_t print = 0;
    char saved[sizeof r->err];
    memcpy(saved, r->err, sizeof saved);
    r->err[0] = 0;
    if (def < CHUNK_HEADER || def > r->clen - 24) {
        ok = fail(r, "template definition offset 0x%x outside the chunk", def);
    } else {
        uint32_t size = rd32(r->c + def + 20);
        w.pos = def + 24;
        w.end = size > r->clen - w.pos ? r->clen : w.pos + size;
        shared = g_share && def_print(r, w.pos, w.end, &print);
        if (shared && (p = shared_find(print, r->c + def + 4, ctx)) != NULL) {
            cw_free(&w);
            memcpy(r->err, saved, sizeof saved);
            plan_insert(r, def, ctx, p);
            return p;
        }
        ok = c_stream(&w, ctx);
        if (!ok) {
            char m[sizeof r->err + 64];
            snprintf(m, sizeof m, "template at chunk offset 0x%x: %.200s", def, r->err);
            snprintf(r->err, sizeof r->err, "%.250s", m);
        }
    }
    p = finish_plan(&w, ok);
    memcpy(r->err, saved, sizeof saved);
    if (ok && shared) p = shared_add(p, print, r->c + def + 4, ctx);
    plan_insert(r, def, ctx, p);
    return p;
}

/* ------------------------------------------------------------ running */

static bool run_stream(rd *r, sh_event *e, uint32_t pos, uint32_t end, const nctx *ctx, int dep, int depth);
static bool run_instance(rd *r, sh_event *e, uint32_t at, uint32_t end, const nctx *ctx, int depth, uint32_t *next);

typedef struct add_ctx { sh_field *f; } add_ctx;

static void add_to_field(rd *r, sh_event *e, void *ctx, const sh_value *v) {
    (void)r;
    sh_event_add_value(e, ((add_ctx *)ctx)->f, v);
}

static void add_to_text(rd *r, sh_event *e, void *ctx, const sh_value *v) {
    (void)r, (void)e;
    sh_buf *b = ctx;
    if (b->len) sh_buf_putc(b, ',');
    sh_buf_put(b, v->s, v->len);
}

static bool all_digits(const char *s, uint32_t n) {
    uint32_t i = n && s[0] == '-';
    if (i == n || n - i > 18) return false;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* counts the value written at f's slot v (sh_event_value_slot) */
static inline void add_value(sh_field *f, sh_value *v, uint8_t flags) {
    if ((flags & F_NUM) && v->type == SH_STR && all_digits(v->s, v->len)) {
        v->type = SH_INT;
        v->i = strtoll(v->s, NULL, 10);
        v->f = (double)v->i;
    }
    f->nvals++;
}

/* the op's field; inline where most values go (one substitution, an
 * interned name), a call elsewhere */
static inline __attribute__((always_inline)) sh_field *op_field_inline(sh_event *e, const op *o) {
    if (o->interned) return sh_event_field_get_or_add_interned(e, o->name, o->nlen, o->hash);
    return sh_event_field_get_or_add(e, o->name, o->nlen, NULL);
}

static sh_field *op_field(sh_event *e, const op *o) { return op_field_inline(e, o); }

/* The op has no value: an empty <Data/> still gives "", an element made of
 * optional substitutions only is not there at all. */
static void absent(sh_event *e, const op *o, sh_field *f) {
    if ((o->flags & F_OPTELEM) || !(o->flags & F_EMPTY)) return;
    sh_value v = sh_value_str("", 0);
    sh_event_add_value(e, f ? f : op_field(e, o), &v);
}

static bool is_null(const ev_val *v) {
    if (v->type == VT_NULL) return true;
    if (v->size) return false;
    return v->type != VT_STRING && v->type != VT_ANSI && v->type != VT_BINARY && !(v->type & VT_ARRAY) &&
           v->type != VT_BINXML && v->type != VT_TEXT16;
}

/* Text of pieces [pc, pc+n): static text and rendered substitutions; nested
 * binary XML expands into fields as it goes. *any: some value was there. */
static bool render(rd *r, sh_event *e, const op *o, const piece *pcs, uint32_t n, uint32_t vb, uint32_t nv,
                   int depth, sh_buf *out, bool *any) {
    for (uint32_t k = 0; k < n; k++) {
        const piece *pc = &pcs[k];
        if (pc->kind == PK_TEXT) {
            sh_buf_put(out, pc->s, pc->len);
            *any = true;
            continue;
        }
        if (pc->idx >= nv) continue;
        ev_val v = r->vals[vb + pc->idx];
        if (is_null(&v)) continue;
        if (v.type == VT_BINXML) {
            uint32_t at = (uint32_t)(v.p - r->c);
            if (!run_stream(r, e, at, at + v.size, o->ctx, 0, depth + 1)) return false;
            continue;
        }
        *any = true;
        if (v.type & VT_ARRAY) {
            sh_buf items = {0};
            each_item(r, e, v.type, v.p, v.size, add_to_text, &items);
            sh_buf_put(out, items.data, items.len);
            sh_buf_free(&items);
        } else {
            sh_value sv;
            if (!conv_nothing(v.type, v.size)) {
                conv(r, e, v.type, v.p, v.size, &sv);
                sh_buf_put(out, sv.s, sv.len);
            }
        }
    }
    return true;
}

static bool exec_plan(rd *r, sh_event *e, const plan *p, uint32_t vb, uint32_t nv, int depth) {
    const op *o = p->ops, *oe = p->ops + p->nops;
    for (; o < oe; o++) {
        if (o->one) {
            /* the common case: one substitution is the whole value */
            if (o->sidx >= nv) { if (o->name) absent(e, o, NULL); continue; }
            ev_val v = r->vals[vb + o->sidx];
            if (v.type == VT_BINXML) {
                if (v.size) {
                    uint32_t at = (uint32_t)(v.p - r->c);
                    if (!run_stream(r, e, at, at + v.size, o->ctx, 0, depth + 1)) return false;
                } else if (o->name) {
                    absent(e, o, NULL);
                }
                continue;
            }
            if (!o->name) continue;
            if (is_null(&v)) { absent(e, o, NULL); continue; }
            if (v.type & VT_ARRAY) {
                add_ctx ac = {op_field(e, o)};
                ac.f->is_array = true;
                if (!each_item(r, e, v.type, v.p, v.size, add_to_field, &ac)) {
                    sh_value ev = sh_value_str("", 0);
                    sh_event_add_value(e, ac.f, &ev);
                }
                continue;
            }
            if (conv_nothing(v.type, v.size)) {
                absent(e, o, NULL);
                continue;
            }
            sh_field *f = op_field_inline(e, o);
            sh_value *sv = sh_event_value_slot(e, f);
            conv(r, e, v.type, v.p, v.size, sv);
            add_value(f, sv, o->flags);
            if ((o->flags & F_TS) && v.type == VT_FILETIME && v.size >= 8 && f->nvals == 1)
                r->ts = filetime_us_ns(rd64(v.p));
            continue;
        }
        if (o->kind == OP_INSTANCE) {
            if (!run_instance(r, e, o->at, o->end, o->ctx, depth + 1, NULL)) return false;
            continue;
        }
        const piece *pc = p->pcs + o->pc;
        if (o->npc == 1 && pc->kind == PK_TEXT && !o->nnc) {
            /* static text (elements without a template) */
            if (o->name) {
                sh_field *f = op_field(e, o);
                sh_value *sv = sh_event_value_slot(e, f);
                mk_str(e, pc->s, pc->len, sv);
                add_value(f, sv, o->flags);
            }
            continue;
        }
        /* text and substitutions mixed, a substituted name, or no pieces */
        sh_buf *tb = r->tx[depth];
        sh_buf text = tb[0];
        text.len = 0;
        bool any = false, ok = render(r, e, o, pc, o->npc, vb, nv, depth, &text, &any);
        if (ok && (o->name || o->nnc)) {
            const char *name = o->name;
            uint32_t nlen = o->nlen;
            sh_buf nb = tb[1];
            nb.len = 0;
            if (o->nnc) {
                bool nany = false;
                ok = render(r, e, o, p->pcs + o->nc, o->nnc, vb, nv, depth, &nb, &nany);
                name = nb.len ? nb.data : "Data";
                nlen = nb.len ? (uint32_t)nb.len : 4;
            }
            if (ok && (any || ((o->flags & F_EMPTY) && !(o->flags & F_OPTELEM)))) {
                sh_field *f = sh_event_field_get_or_add(e, name, nlen, NULL);
                sh_value *sv = sh_event_value_slot(e, f);
                mk_str(e, text.data ? text.data : "", text.len, sv);
                add_value(f, sv, o->flags);
            }
            tb[1] = nb;
        }
        tb[0] = text;
        if (!ok) return false;
    }
    return true;
}

/* A template instance at chunk offset at (its 0x0c token): reads the value
 * descriptors and values, and runs the definition's plan over them. */
static bool run_instance(rd *r, sh_event *e, uint32_t at, uint32_t end, const nctx *ctx, int depth, uint32_t *next) {
    if (depth > MAX_NEST) return fail(r, "template instances nested deeper than %d", MAX_NEST);
    const uint8_t *c = r->c;
    uint32_t pos = at + 1;
    if (end - pos < 9) return fail(r, "template instance truncated at chunk offset 0x%x", at);
    uint32_t def = rd32(c + pos + 5);
    pos += 9;
    if (def == pos) {               /* the definition follows inline */
        if (end - pos < 24) return fail(r, "template definition truncated at chunk offset 0x%x", pos);
        uint32_t size = rd32(c + pos + 20);
        if (size > end - pos - 24) return fail(r, "template definition at chunk offset 0x%x runs past the record", pos);
        pos += 24 + size;
    }
    if (end - pos < 4) return fail(r, "template instance values truncated at chunk offset 0x%x", pos);
    uint32_t n = rd32(c + pos);
    pos += 4;
    if (n > (end - pos) / 4) return fail(r, "%u substitution values cannot fit in the record", n);
    if (r->vtop + n > r->vcap) {
        uint32_t cap = r->vcap ? r->vcap : 256;
        while (cap < r->vtop + n) cap *= 2;
        ev_val *nv = realloc(r->vals, cap * sizeof *nv);
        if (!nv) abort();
        r->vals = nv;
        r->vcap = cap;
    }
    uint32_t vb = r->vtop, data = pos + 4 * n;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t size = rd16(c + pos + 4 * i);
        if (size > end - data) return fail(r, "substitution value %u runs past the end of the record", i);
        ev_val *v = &r->vals[vb + i];
        v->p = c + data;
        v->size = size;
        v->type = c[pos + 4 * i + 2];
        if ((v->type & 0x7f) == VT_TEXT16) v->type ^= 1;   /* see VT_TEXT16 */
        data += size;
    }
    plan *p = get_plan(r, def, ctx);
    if (p->err) return fail(r, "%s", p->err);
    r->vtop += n;
    bool ok = exec_plan(r, e, p, vb, n, depth);
    r->vtop = vb;
    if (next) *next = data;
    return ok;
}

/* A binary XML stream: a record's event, or a nested binary XML value. */
static bool run_stream(rd *r, sh_event *e, uint32_t pos, uint32_t end, const nctx *ctx, int dep, int depth) {
    if (depth > MAX_NEST) return fail(r, "binary XML nested deeper than %d", MAX_NEST);
    const uint8_t *c = r->c;
    while (pos < end) {
        uint8_t t = c[pos];
        if (t == T_EOF) return true;
        if (t == T_FRAGMENT) {
            if (end - pos < 4) return fail(r, "fragment header truncated at chunk offset 0x%x", pos);
            pos += 4;
        } else if (t == T_TEMPLATE) {
            if (!run_instance(r, e, pos, end, ctx, depth + 1, &pos)) return false;
        } else {
            /* elements without a template: compile them on the spot */
            if (t == T_OPEN || t == (T_OPEN | T_MORE)) {
                bool handled, ok = run_raw(r, e, &pos, end, ctx, &dep, depth, &handled);
                if (handled) {
                    if (!ok) return false;
                    continue;
                }
            }
            cw w = {.r = r, .c = c, .pos = pos, .end = end, .dep = dep};
            if (t == T_OPEN || t == (T_OPEN | T_MORE)) {
                w.pos++;
                cw_take(&w, r);
                if (!c_element(&w, ctx, t & T_MORE)) {
                    cw_free(&w);
                    return false;
                }
            } else if (t == T_PITARGET || t == T_PIDATA) {
                w.pos++;
                if (!skip_pi(&w, t)) return false;
                pos = w.pos;
                continue;
            } else {
                return fail(r, "unexpected token 0x%02x at chunk offset 0x%x", t, pos);
            }
            pos = w.pos;
            dep = w.dep;
            plan *p = finish_plan(&w, true);
            if (!exec_plan(r, e, p, r->vtop, 0, depth)) return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------ records, chunks */

static void rd_init(rd *r, const char *name, sh_input_sink *sink, sh_input_stats *st) {
    memset(r, 0, sizeof *r);
    r->name = name;
    r->sink = sink;
    r->st = st;
    r->at_hash = sh_hash("@timestamp", 10);
    sh_arena_init(&r->arena);
}

static void rd_free(rd *r) {
    sh_arena_free(&r->arena);
    free(r->tt);
    free(r->nt);
    free(r->vals);
    sh_buf_free(&r->conv);
    for (int i = 0; i < 4; i++) sh_buf_free(&r->cwb[i]);
    for (int i = 0; i < MAX_NEST + 2; i++) sh_buf_free(&r->tx[i][0]), sh_buf_free(&r->tx[i][1]);
}

static void chunk_begin(rd *r, const uint8_t *c, uint32_t clen, uint64_t coff, uint32_t idx) {
    r->c = c;
    r->clen = clen;
    r->coff = coff;
    r->cidx = idx;
    sh_arena_reset(&r->arena);
    if (r->tcap) memset(r->tt, 0, r->tcap * sizeof *r->tt);
    if (r->ncap) memset(r->nt, 0, r->ncap * sizeof *r->nt);
    r->tn = r->nn = 0;
    r->gen++;
}

static void do_record(rd *r, uint32_t off, uint32_t size) {
    const uint8_t *c = r->c;
    uint64_t id = rd64(c + off + 8);
    sh_event *e = sh_event_new_sized(2 * (size_t)size + 2048);
    r->err[0] = 0;
    r->vtop = 0;
    r->rid = id;
    r->ts = SH_TS_NONE;
    bool ok = run_stream(r, e, off + 24, off + size - 4, &doc_ctx, -1, 0);
    if (ok && !e->nfields) ok = fail(r, "%s", "no event data");
    if (!ok) {
        report(r, id > 0 && id <= (uint64_t)LONG_MAX ? (long)id : 0, "offset 0x%llx: chunk %u: record %llu: %s",
               (unsigned long long)(r->coff + off), r->cidx, (unsigned long long)id, r->err);
        r->st->rejected++;
        sh_event_unref(e);
        return;
    }
    e->schema = SH_SCHEMA_WINDOWS;
    e->source = r->name;
    e->line = id;
    /* the time is TimeCreated's (as sh_event_finish finds it, without
     * reading the text back) unless the event has an @timestamp */
    if (r->ts != SH_TS_NONE && !sh_event_find(e, "@timestamp", 10, r->at_hash)) e->ts = r->ts;
    else sh_event_finish(e);
#ifdef SHRIKE_CHECK_TS
    {
        int64_t fast = e->ts;
        e->ts = SH_TS_NONE;
        sh_event_finish(e);
        if (fast != e->ts) {
            sh_buf j = {0};
            sh_event_to_json(e, &j, false);
            fprintf(stderr, "SHRIKE_CHECK_TS: %lld from the FILETIME, %lld from the fields: %.*s\n", (long long)fast,
                    (long long)e->ts, (int)j.len, j.data);
            abort();
        }
    }
#endif
    if (e->ts == SH_TS_NONE) e->ts = filetime_ns(rd64(c + off + 16));
    e->ordinal = r->st->events++;
    if (!r->sink->on_event(r->sink->ctx, e)) r->stopped = true;
    sh_event_unref(e);
}

static bool record_ok(const uint8_t *c, uint32_t pos, uint32_t limit) {
    if (limit - pos < 28 || memcmp(c + pos, "\x2a\x2a\x00\x00", 4) != 0) return false;
    uint32_t size = rd32(c + pos + 4);
    return size >= 28 && size <= limit - pos && rd32(c + pos + size - 4) == size;
}

/* the next offset from pos on where a well-formed record starts (limit if none) */
static uint32_t resync(const uint8_t *c, uint32_t pos, uint32_t limit) {
    while (pos < limit) {
        const uint8_t *s = memchr(c + pos, 0x2a, limit - pos);
        if (!s) return limit;
        pos = (uint32_t)(s - c);
        if (record_ok(c, pos, limit)) return pos;
        pos++;
    }
    return limit;
}

static bool all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

static void read_chunk(rd *r, const uint8_t *c, uint32_t clen, uint64_t coff, uint32_t idx, bool expected) {
    unsigned long long at = (unsigned long long)coff;
    if (clen < 8 || memcmp(c, "ElfChnk", 8) != 0) {
        if (expected && !all_zero(c, clen)) {
            report(r, 0, "offset 0x%llx: chunk %u: bad chunk signature; chunk skipped", at, idx);
            r->st->rejected++;
        } else if (expected) {
            report(r, 0, "offset 0x%llx: chunk %u: empty chunk (all zero bytes); chunk skipped", at, idx);
            r->st->rejected++;
        }
        return;
    }
    if (clen < CHUNK_HEADER) {
        report(r, 0, "offset 0x%llx: chunk %u: truncated chunk header (%u bytes); chunk skipped", at, idx, clen);
        r->st->rejected++;
        return;
    }
    uint32_t free_off = rd32(c + 48), limit = free_off;
    if (free_off < CHUNK_HEADER || free_off > SH_EVTX_CHUNK_SIZE) {
        report(r, 0, "offset 0x%llx: chunk %u: impossible free space offset 0x%x; chunk skipped", at, idx, free_off);
        r->st->rejected++;
        return;
    }
    /* A checksum mismatch is reported but the records are still read (as
     * libevtx and the evtx crate do): each record is checked on its own
     * (signature, size and its copy, binary XML), and names and templates
     * are read through offsets, never through the header's caches. */
    uint32_t crc = sh_crc32(sh_crc32(0, c, 120), c + 128, CHUNK_HEADER - 128);
    bool header_bad = crc != rd32(c + 124);
    if (header_bad)
        report(r, 0, "offset 0x%llx: chunk %u: header checksum mismatch; records read anyway", at, idx);
    if (free_off > clen) {
        report(r, 0, "offset 0x%llx: chunk %u: chunk truncated at %u of %u bytes of records", at, idx,
               clen - CHUNK_HEADER, free_off - CHUNK_HEADER);
        limit = clen;
    } else if (!header_bad && sh_crc32(0, c + CHUNK_HEADER, free_off - CHUNK_HEADER) != rd32(c + 52)) {
        report(r, 0, "offset 0x%llx: chunk %u: event records checksum mismatch; records read anyway", at, idx);
    }
    chunk_begin(r, c, clen, coff, idx);
    uint32_t pos = CHUNK_HEADER;
    while (pos < limit && !r->stopped) {
        if (limit - pos < 4 || memcmp(c + pos, "\x2a\x2a\x00\x00", 4) != 0) {
            if (all_zero(c + pos, limit - pos)) break;
            uint32_t nx = resync(c, pos + 1, limit);
            report(r, 0, "offset 0x%llx: chunk %u: no record signature; %u bytes skipped", at + pos, idx, nx - pos);
            r->st->rejected++;
            pos = nx;
            continue;
        }
        if (limit - pos < 28) {
            report(r, 0, "offset 0x%llx: chunk %u: record truncated (%u bytes)", at + pos, idx, limit - pos);
            r->st->rejected++;
            break;
        }
        uint32_t size = rd32(c + pos + 4);
        if (size < 28 || size > limit - pos || rd32(c + pos + size - 4) != size) {
            uint64_t id = rd64(c + pos + 8);
            uint32_t nx = resync(c, pos + 4, limit);
            report(r, 0, "offset 0x%llx: chunk %u: record %llu: %s; %u bytes skipped", at + pos, idx,
                   (unsigned long long)id,
                   size < 28 ? "record size too small" : size > limit - pos ? "record size runs past the chunk data"
                                                                           : "record size and its copy differ",
                   nx - pos);
            r->st->rejected++;
            pos = nx;
            continue;
        }
        do_record(r, pos, size);
        pos += size;
    }
}

bool sh_evtx_detect(const void *data, size_t len) {
    return len >= 8 && memcmp(data, "ElfFile", 8) == 0;
}

/* The file header: reports what is wrong with it; *nchunks is the header's
 * chunk count (0 when it cannot be trusted). Returns whether the header is
 * sound; *read_chunks whether the chunk slots are to be read at all. */
static bool file_header(rd *r, const uint8_t *d, size_t len, uint32_t *nchunks, bool *read_chunks) {
    bool header_ok = false;
    *nchunks = 0;
    if (!sh_evtx_detect(d, len)) {
        report(r, 0, "%s", "not an EVTX file (no ElfFile signature)");
    } else if (len < 128) {
        report(r, 0, "truncated EVTX file header (%zu bytes)", len);
    } else {
        header_ok = true;
        if (sh_crc32(0, d, 120) != rd32(d + 124)) {
            report(r, 0, "%s", "offset 0x0: file header checksum mismatch; chunks read anyway");
            header_ok = false;
        }
        *nchunks = rd16(d + 42);
    }
    *read_chunks = header_ok || sh_evtx_detect(d, len);
    return header_ok;
}

/* chunk slot i of a file image */
static void read_slot(rd *r, const uint8_t *d, size_t len, uint64_t i, bool header_ok, uint32_t nchunks) {
    uint64_t off = SH_EVTX_HEADER_SIZE + i * SH_EVTX_CHUNK_SIZE;
    size_t avail = len - off;
    read_chunk(r, d + off, (uint32_t)(avail < SH_EVTX_CHUNK_SIZE ? avail : SH_EVTX_CHUNK_SIZE), off, (uint32_t)i,
               header_ok && i < nchunks);
}

/* the number of chunk slots after the file header */
static uint64_t slot_count(size_t len) {
    return len > SH_EVTX_HEADER_SIZE ? (len - SH_EVTX_HEADER_SIZE + SH_EVTX_CHUNK_SIZE - 1) / SH_EVTX_CHUNK_SIZE : 0;
}

bool sh_evtx_read(const char *name, const void *data, size_t len, const sh_input_opts *o, sh_input_sink *sink,
                  sh_input_stats *st) {
    (void)o;
    const uint8_t *d = data;
    rd r;
    rd_init(&r, name, sink, st);
    uint64_t rejected0 = st->rejected, events0 = st->events;
    uint32_t nchunks;
    bool read_chunks, header_ok = file_header(&r, d, len, &nchunks, &read_chunks);
    if (read_chunks)
        for (uint64_t i = 0, n = slot_count(len); i < n && !r.stopped; i++) read_slot(&r, d, len, i, header_ok, nchunks);
    if (st->events == events0 && (st->rejected != rejected0 || !header_ok)) st->inputs_failed++;
    bool go = !r.stopped;
    rd_free(&r);
    return go;
}

bool sh_evtx_read_chunk(const char *name, const void *data, size_t len, const sh_input_opts *o, sh_input_sink *sink,
                        sh_input_stats *st) {
    (void)o;
    rd r;
    rd_init(&r, name, sink, st);
    read_chunk(&r, data, (uint32_t)(len < SH_EVTX_CHUNK_SIZE ? len : SH_EVTX_CHUNK_SIZE), 0, 0, true);
    bool go = !r.stopped;
    rd_free(&r);
    return go;
}

int sh_evtx_read_file(const char *path, const sh_input_opts *o, sh_input_sink *sink, sh_input_stats *st,
                      size_t *size) {
    *size = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 || (uint64_t)sb.st_size > SIZE_MAX) {
        close(fd);
        return -1;
    }
    size_t len = (size_t)sb.st_size;
    if (len < SH_EVTX_MAP_MIN) {
        /* small: reading it costs less than mapping, faulting and unmapping */
        close(fd);
        return -1;
    }
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return -1;
    *size = len;
    bool go = sh_evtx_read(path, m, len, o, sink, st);
    munmap(m, len);
    return go ? 1 : 0;
}

/* ------------------------------------------------------------ parallel reading
 *
 * Files are cut into jobs of a few chunk slots each (templates and names live
 * in a chunk, so chunks are independent). Worker threads read jobs into
 * buffered events and diagnostics; the calling thread delivers jobs in
 * submission order, so the sink sees exactly what a single-threaded reading
 * gives, in the same order. When the oldest job has not been started, the
 * calling thread reads it itself instead of waiting. At most PAR_QUEUE jobs a
 * thread are in flight, which bounds the memory held by buffered events. */

#define PAR_JOB_SLOTS 2
#define PAR_QUEUE 4

typedef struct pitem {
    sh_event *e;        /* an event, or */
    sh_diag *d;         /* a diagnostic */
} pitem;

typedef struct pfile {
    const char *name;
    const uint8_t *data;
    size_t len;
    void *own;          /* released when the file's last job is delivered */
    size_t own_len;
    int own_kind;       /* SH_EVTX_OWN_* */
    uint32_t nchunks;
    bool header_ok;
    uint32_t jobs_left;
    uint64_t events, rejected;
} pfile;

typedef struct pjob {
    struct pjob *next;  /* delivery order */
    struct pjob *qnext; /* jobs not started */
    pfile *f;
    uint64_t s0, s1;    /* chunk slots [s0, s1) */
    int state;          /* 0 waiting, 1 being read, 2 read */
    sh_buf items;       /* pitem[] */
    uint64_t rejected;
} pjob;

struct sh_evtx_par {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    pthread_t *th;
    int nth;
    bool quit;
    int cancel;         /* the sink stopped: the rest is dropped (atomic) */
    pjob *head, *tail;  /* submitted, not delivered */
    pjob *qhead, *qtail;
    unsigned inflight, max_inflight;
    sh_input_sink *sink;
    sh_input_stats *st;
    bool stopped;
    sh_input_scratch scratch;   /* the calling thread's */
};

typedef struct jsink_ctx {
    sh_evtx_par *p;
    pjob *j;
    sh_input_scratch *scratch;   /* the reading thread's, for the sink's prepare hook */
} jsink_ctx;

static void scratch_free(sh_input_scratch *x) {
    sh_buf_free(&x->buf);
    if (x->user_free) x->user_free(x->user);
    x->user = NULL;
    x->user_free = NULL;
}

static bool job_on_event(void *ctx, sh_event *e) {
    jsink_ctx *c = ctx;
    if (c->p->sink->prepare) c->p->sink->prepare(c->p->sink->ctx, e, c->scratch);
    sh_event_ref(e);
    pitem it = {e, NULL};
    sh_buf_put(&c->j->items, &it, sizeof it);
    return !__atomic_load_n(&c->p->cancel, __ATOMIC_RELAXED);
}

static void job_on_error(void *ctx, const sh_diag *d) {
    jsink_ctx *c = ctx;
    pitem it = {NULL, malloc(sizeof *d)};
    if (!it.d) abort();
    *it.d = *d;
    sh_buf_put(&c->j->items, &it, sizeof it);
}

static void run_job(sh_evtx_par *p, pjob *j, sh_input_scratch *x) {
    jsink_ctx c = {p, j, x};
    sh_input_sink s = {job_on_event, job_on_error, &c, NULL};
    sh_input_stats st = {0};
    rd r;
    rd_init(&r, j->f->name, &s, &st);
    for (uint64_t i = j->s0; i < j->s1 && !r.stopped; i++) {
        if (__atomic_load_n(&p->cancel, __ATOMIC_RELAXED)) break;
        read_slot(&r, j->f->data, j->f->len, i, j->f->header_ok, j->f->nchunks);
    }
    j->rejected = st.rejected;
    rd_free(&r);
}

/* the first job not started, now being read (NULL when none); p->mu held */
static pjob *take_job(sh_evtx_par *p) {
    pjob *j = p->qhead;
    if (!j) return NULL;
    p->qhead = j->qnext;
    if (!p->qhead) p->qtail = NULL;
    j->state = 1;
    return j;
}

static void *par_worker(void *arg) {
    sh_evtx_par *p = arg;
    sh_input_scratch x = {0};
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->qhead && !p->quit) pthread_cond_wait(&p->work, &p->mu);
        pjob *j = take_job(p);
        if (!j) break;
        pthread_mutex_unlock(&p->mu);
        run_job(p, j, &x);
        pthread_mutex_lock(&p->mu);
        j->state = 2;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    scratch_free(&x);
    return NULL;
}

sh_evtx_par *sh_evtx_par_new(int threads, sh_input_sink *sink, sh_input_stats *st) {
    sh_evtx_par *p = calloc(1, sizeof *p);
    if (!p) abort();
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    p->sink = sink;
    p->st = st;
    int want = threads > 1 ? threads - 1 : 1;
    p->th = calloc((size_t)want, sizeof *p->th);
    if (!p->th) abort();
    for (int i = 0; i < want; i++)
        if (pthread_create(&p->th[p->nth], NULL, par_worker, p) == 0) p->nth++;
    /* with no worker at all the calling thread reads every job itself */
    p->max_inflight = PAR_QUEUE * (unsigned)(p->nth + 1);
    return p;
}

static void release_file(pfile *f) {
    if (f->own_kind == SH_EVTX_OWN_FREE) free(f->own);
    else if (f->own_kind == SH_EVTX_OWN_MUNMAP) munmap(f->own, f->own_len);
    free(f);
}

/* deliver the oldest job (there is one) */
static void deliver_one(sh_evtx_par *p) {
    pthread_mutex_lock(&p->mu);
    pjob *j = p->head;
    /* Until it is read, read the next job not started: j itself when no
     * worker has taken it (the queue is in submission order too), else a
     * later one rather than wait. */
    while (j->state != 2) {
        pjob *k = take_job(p);
        if (!k) {
            pthread_cond_wait(&p->done, &p->mu);
            continue;
        }
        pthread_mutex_unlock(&p->mu);
        run_job(p, k, &p->scratch);
        pthread_mutex_lock(&p->mu);
        k->state = 2;
    }
    p->head = j->next;
    if (!p->head) p->tail = NULL;
    p->inflight--;
    pthread_mutex_unlock(&p->mu);

    pfile *f = j->f;
    pitem *it = (pitem *)(void *)j->items.data;
    size_t n = j->items.len / sizeof *it;
    bool was_stopped = p->stopped;
    if (j->s0 == 0 && !was_stopped) {
        /* the file counts as read once its first job is delivered: files
         * queued after the reading stopped are not counted */
        p->st->inputs++;
        p->st->bytes += f->len;
    }
    for (size_t i = 0; i < n; i++) {
        if (it[i].e) {
            if (!p->stopped) {
                it[i].e->ordinal = p->st->events++;
                f->events++;
                if (!p->sink->on_event(p->sink->ctx, it[i].e)) {
                    p->stopped = true;
                    __atomic_store_n(&p->cancel, 1, __ATOMIC_RELAXED);
                }
            }
            sh_event_unref(it[i].e);
        } else {
            if (!p->stopped && p->sink->on_error) p->sink->on_error(p->sink->ctx, it[i].d);
            free(it[i].d);
        }
    }
    if (!was_stopped) {
        p->st->rejected += j->rejected;
        f->rejected += j->rejected;
    }
    sh_buf_free(&j->items);
    free(j);
    if (--f->jobs_left == 0) {
        if (!was_stopped && f->events == 0 && (f->rejected || !f->header_ok)) p->st->inputs_failed++;
        release_file(f);
    }
}

static void enqueue(sh_evtx_par *p, pjob *j) {
    /* a full queue is delivered down to half, so that the workers find many
     * jobs at once rather than being woken for each one */
    if (p->inflight >= p->max_inflight)
        while (p->inflight > p->max_inflight / 2) deliver_one(p);
    pthread_mutex_lock(&p->mu);
    if (p->tail) p->tail->next = j;
    else p->head = j;
    p->tail = j;
    if (p->qtail) p->qtail->qnext = j;
    else p->qhead = j;
    p->qtail = j;
    p->inflight++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
}

static pjob *new_job(pfile *f, uint64_t s0, uint64_t s1) {
    pjob *j = calloc(1, sizeof *j);
    if (!j) abort();
    j->f = f;
    j->s0 = s0;
    j->s1 = s1;
    return j;
}

bool sh_evtx_par_submit(sh_evtx_par *p, const char *name, const void *data, size_t len, void *own, size_t own_len,
                        int own_kind) {
    pfile *f = calloc(1, sizeof *f);
    if (!f) abort();
    f->name = name;
    f->data = data;
    f->len = len;
    f->own = own;
    f->own_len = own_len;
    f->own_kind = own_kind;
    if (p->stopped) {
        release_file(f);
        return false;
    }
    /* the file header is checked here; what it reports goes with the first job */
    pjob *first = new_job(f, 0, 0);
    jsink_ctx c = {p, first, &p->scratch};
    sh_input_sink s = {job_on_event, job_on_error, &c, NULL};
    sh_input_stats st = {0};
    rd r;
    rd_init(&r, name, &s, &st);
    bool read_chunks;
    f->header_ok = file_header(&r, f->data, len, &f->nchunks, &read_chunks);
    rd_free(&r);
    uint64_t slots = read_chunks ? slot_count(len) : 0;
    f->jobs_left = slots ? (uint32_t)((slots + PAR_JOB_SLOTS - 1) / PAR_JOB_SLOTS) : 1;
    first->s1 = slots < PAR_JOB_SLOTS ? slots : PAR_JOB_SLOTS;
    enqueue(p, first);
    for (uint64_t s0 = first->s1; s0 < slots; s0 += PAR_JOB_SLOTS)
        enqueue(p, new_job(f, s0, s0 + PAR_JOB_SLOTS < slots ? s0 + PAR_JOB_SLOTS : slots));
    return !p->stopped;
}

bool sh_evtx_par_drain(sh_evtx_par *p) {
    while (p->head) deliver_one(p);
    return !p->stopped;
}

void sh_evtx_par_free(sh_evtx_par *p) {
    if (!p) return;
    sh_evtx_par_drain(p);
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nth; i++) pthread_join(p->th[i], NULL);
    free(p->th);
    scratch_free(&p->scratch);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
