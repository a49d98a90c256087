/* test_evtx.c: the EVTX reader on byte images built here: a tiny builder
 * writes file headers, chunks (names, template definitions, records) and
 * their checksums, so every token, substitution type and kind of damage is
 * covered with exact expectations. */
#include <stdint.h>
#include <unistd.h>
#include <zlib.h>

#include "input/evtx.h"
#include "test.h"

/* ------------------------------------------------------------ builder */

typedef struct chunkb {
    uint8_t d[65536];
    uint32_t pos;
    struct { char name[64]; uint32_t off; } names[128];
    int nnames;
    struct { uint32_t size_at, attr_at, start_end; } st[32];
    int sp;
    bool dep;               /* element starts carry a dependency id (templates) */
    uint64_t first_id, last_id;
    uint32_t last_rec;
    uint32_t rec_start, vals_desc, vals_n, vals_i;
    uint32_t bx_start[8];
    int bx_sp;
} chunkb;

static void u8(chunkb *c, uint32_t v) { c->d[c->pos++] = (uint8_t)v; }
static void u16(chunkb *c, uint32_t v) { u8(c, v & 0xff); u8(c, (v >> 8) & 0xff); }
static void u32(chunkb *c, uint32_t v) { u16(c, v & 0xffff); u16(c, v >> 16); }
static void u64(chunkb *c, uint64_t v) { u32(c, (uint32_t)v); u32(c, (uint32_t)(v >> 32)); }
static void put16at(chunkb *c, uint32_t at, uint32_t v) { c->d[at] = (uint8_t)v; c->d[at + 1] = (uint8_t)(v >> 8); }
static void put32at(chunkb *c, uint32_t at, uint32_t v) { put16at(c, at, v & 0xffff); put16at(c, at + 2, v >> 16); }

/* UTF-8 (tests use BMP and supplementary characters) to UTF-16LE units */
static size_t to_units(const char *s, uint16_t *u) {
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        if (*p < 0x80) cp = *p++;
        else if (*p < 0xe0) cp = (uint32_t)(*p & 0x1f) << 6 | (p[1] & 0x3f), p += 2;
        else if (*p < 0xf0) cp = (uint32_t)(*p & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f), p += 3;
        else cp = (uint32_t)(*p & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 | (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f), p += 4;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            u[n++] = (uint16_t)(0xd800 + (cp >> 10));
            u[n++] = (uint16_t)(0xdc00 + (cp & 0x3ff));
        } else {
            u[n++] = (uint16_t)cp;
        }
    }
    return n;
}

static void utf16(chunkb *c, const char *s) {
    uint16_t u[512];
    size_t n = to_units(s, u);
    for (size_t i = 0; i < n; i++) u16(c, u[i]);
}

static size_t units_of(const char *s) {
    uint16_t u[512];
    return to_units(s, u);
}

static void name(chunkb *c, const char *s) {
    for (int i = 0; i < c->nnames; i++)
        if (strcmp(c->names[i].name, s) == 0) { u32(c, c->names[i].off); return; }
    uint32_t off = c->pos + 4;
    snprintf(c->names[c->nnames].name, sizeof c->names[0].name, "%s", s);
    c->names[c->nnames++].off = off;
    u32(c, off);
    u32(c, 0);                         /* next string */
    u16(c, 0);                         /* hash (not checked) */
    u16(c, (uint32_t)units_of(s));
    utf16(c, s);
    u16(c, 0);
}

static void el(chunkb *c, const char *nm, bool attrs) {
    u8(c, attrs ? 0x41 : 0x01);
    if (c->dep) u16(c, 0xffff);
    c->st[c->sp].size_at = c->pos;
    u32(c, 0);
    c->st[c->sp].start_end = c->pos;
    name(c, nm);
    c->st[c->sp].attr_at = 0;
    if (attrs) {
        c->st[c->sp].attr_at = c->pos;
        u32(c, 0);
    }
    c->sp++;
}
static void at(chunkb *c, const char *nm) { u8(c, 0x06); name(c, nm); }
static void txt(chunkb *c, const char *s) { u8(c, 0x05); u8(c, 0x01); u16(c, (uint32_t)units_of(s)); utf16(c, s); }
static void sub(chunkb *c, uint32_t idx, uint32_t type) { u8(c, 0x0d); u16(c, idx); u8(c, type); }
static void osub(chunkb *c, uint32_t idx, uint32_t type) { u8(c, 0x0e); u16(c, idx); u8(c, type); }
static void attrs_done(chunkb *c) {
    uint32_t a = c->st[c->sp - 1].attr_at;
    if (a) put32at(c, a, c->pos - a - 4);
}
static void open_done(chunkb *c) { attrs_done(c); u8(c, 0x02); }
static void el_end(chunkb *c) {
    u8(c, 0x04);
    c->sp--;
    put32at(c, c->st[c->sp].size_at, c->pos - c->st[c->sp].start_end);
}
static void el_empty(chunkb *c) {
    attrs_done(c);
    u8(c, 0x03);
    c->sp--;
    put32at(c, c->st[c->sp].size_at, c->pos - c->st[c->sp].start_end);
}
/* <N>%idx:type</N> */
static void el_sub(chunkb *c, const char *nm, uint32_t idx, uint32_t type) { el(c, nm, false); open_done(c); sub(c, idx, type); el_end(c); }
/* <Data Name="N">%idx</Data> */
static void data_sub(chunkb *c, const char *nm, uint32_t idx, uint32_t type, bool opt) {
    el(c, "Data", true);
    at(c, "Name");
    txt(c, nm);
    open_done(c);
    if (opt) osub(c, idx, type);
    else sub(c, idx, type);
    el_end(c);
}

static void chunk_init(chunkb *c) {
    memset(c, 0, sizeof *c);
    c->pos = 512;
}

static void rec_begin(chunkb *c, uint64_t id) {
    c->rec_start = c->pos;
    u32(c, 0x00002a2a);
    u32(c, 0);
    u64(c, id);
    u64(c, 131750000000000000ULL + id * 10000000ULL);   /* written time */
    u8(c, 0x0f), u8(c, 1), u8(c, 1), u8(c, 0);            /* fragment header */
    if (!c->first_id) c->first_id = id;
    c->last_id = id;
}

static void rec_end(chunkb *c) {
    u8(c, 0x00);
    while ((c->pos + 4 - c->rec_start) % 8) u8(c, 0);
    uint32_t size = c->pos + 4 - c->rec_start;
    u32(c, size);
    put32at(c, c->rec_start + 4, size);
    c->last_rec = c->rec_start;
}

/* a template instance whose definition follows inline; returns its offset */
static uint32_t tmpl_begin(chunkb *c, uint8_t id) {
    u8(c, 0x0c);
    u8(c, 1);
    u32(c, id);
    uint32_t def = c->pos + 4;
    u32(c, def);
    u32(c, 0);                                 /* next definition */
    for (int i = 0; i < 16; i++) u8(c, (uint32_t)(id + i));    /* GUID */
    u32(c, 0);                                 /* data size, patched */
    u8(c, 0x0f), u8(c, 1), u8(c, 1), u8(c, 0);
    c->dep = true;
    return def;
}
static void tmpl_end(chunkb *c, uint32_t def) {
    u8(c, 0x00);
    put32at(c, def + 20, c->pos - def - 24);
    c->dep = false;
}
/* an instance of the definition at def (stored earlier) */
static void tmpl_ref(chunkb *c, uint32_t def) {
    u8(c, 0x0c);
    u8(c, 1);
    u32(c, 7);
    u32(c, def);
}

static void vals_begin(chunkb *c, uint32_t n) {
    u32(c, n);
    c->vals_desc = c->pos;
    c->vals_n = n;
    c->vals_i = 0;
    for (uint32_t i = 0; i < n; i++) u32(c, 0);
}
static void val(chunkb *c, uint32_t type, const void *p, uint32_t n) {
    put16at(c, c->vals_desc + 4 * c->vals_i, n);
    c->d[c->vals_desc + 4 * c->vals_i + 2] = (uint8_t)type;
    c->vals_i++;
    memcpy(c->d + c->pos, p, n);
    c->pos += n;
}
static void val_str(chunkb *c, const char *s) {
    uint16_t u[512];
    size_t n = to_units(s, u);
    uint8_t b[1024];
    for (size_t i = 0; i < n; i++) b[2 * i] = (uint8_t)u[i], b[2 * i + 1] = (uint8_t)(u[i] >> 8);
    val(c, 0x01, b, (uint32_t)(2 * n));
}
static void val_u(chunkb *c, uint32_t type, uint64_t v, uint32_t n) {
    uint8_t b[8];
    for (uint32_t i = 0; i < n; i++) b[i] = (uint8_t)(v >> (8 * i));
    val(c, type, b, n);
}
/* a binary XML value (type 0x21) written in place: no dependency ids */
static void val_bx_begin(chunkb *c) {
    c->bx_start[c->bx_sp++] = c->pos;
    c->dep = false;
}
static void val_bx_end(chunkb *c) {
    uint32_t s = c->bx_start[--c->bx_sp];
    put16at(c, c->vals_desc + 4 * c->vals_i, c->pos - s);
    c->d[c->vals_desc + 4 * c->vals_i + 2] = 0x21;
    c->vals_i++;
}

/* the chunk header: counts, offsets, both checksums */
static void chunk_finish(chunkb *c) {
    memcpy(c->d, "ElfChnk", 8);
    for (int i = 0; i < 8; i++) {
        c->d[8 + i] = (uint8_t)(c->first_id >> (8 * i));
        c->d[16 + i] = (uint8_t)(c->last_id >> (8 * i));
        c->d[24 + i] = (uint8_t)(c->first_id >> (8 * i));
        c->d[32 + i] = (uint8_t)(c->last_id >> (8 * i));
    }
    put32at(c, 40, 128);
    put32at(c, 44, c->last_rec);
    put32at(c, 48, c->pos);
    put32at(c, 52, (uint32_t)crc32(0, c->d + 512, c->pos - 512));
    put32at(c, 124, (uint32_t)crc32(crc32(0, c->d, 120), c->d + 128, 384));
}

/* a file image: header + chunks (copied), returned malloc'd */
static uint8_t *file_of(chunkb **chunks, int n, uint16_t count, uint32_t flags, size_t *len) {
    *len = 4096 + 65536 * (size_t)n;
    uint8_t *f = calloc(1, *len);
    memcpy(f, "ElfFile", 8);
    f[16] = (uint8_t)(n - 1);
    f[24] = 100;
    f[32] = 128;
    f[36] = 1;
    f[38] = 3;
    f[40] = 0x00, f[41] = 0x10;
    f[42] = (uint8_t)count, f[43] = (uint8_t)(count >> 8);
    f[120] = (uint8_t)flags;
    uint32_t crc = (uint32_t)crc32(0, f, 120);
    for (int i = 0; i < 4; i++) f[124 + i] = (uint8_t)(crc >> (8 * i));
    for (int i = 0; i < n; i++) memcpy(f + 4096 + 65536 * (size_t)i, chunks[i]->d, 65536);
    return f;
}

/* ------------------------------------------------------------ sink */

typedef struct got {
    sh_event *ev[64];
    int n;
    char err[32][600];
    int nerr;
    int stop_after;
} got;

static bool on_event(void *ctx, sh_event *e) {
    got *g = ctx;
    if (g->n < 64) {
        sh_event_ref(e);
        g->ev[g->n++] = e;
    }
    return !g->stop_after || g->n < g->stop_after;
}

static void on_error(void *ctx, const sh_diag *d) {
    got *g = ctx;
    if (g->nerr < 32) sh_diag_format(d, g->err[g->nerr++], sizeof g->err[0]);
}

static void got_free(got *g) {
    for (int i = 0; i < g->n; i++) sh_event_unref(g->ev[i]);
    memset(g, 0, sizeof *g);
}

static sh_input_stats read_image(const uint8_t *f, size_t len, got *g) {
    sh_input_sink s = {on_event, on_error, g, NULL};
    sh_input_stats st = {0};
    sh_evtx_read("t.evtx", f, len, NULL, &s, &st);
    return st;
}

/* a file of the one chunk c (finished here), read into g; returns the image to free */
static uint8_t *read_one_chunk(chunkb *c, got *g) {
    chunk_finish(c);
    chunkb *cs[] = {c};
    size_t len;
    uint8_t *f = file_of(cs, 1, 1, 0, &len);
    read_image(f, len, g);
    return f;
}

static const sh_field *fld(const sh_event *e, const char *n) { return sh_event_find_cstr(e, n); }
static const char *fs(const sh_event *e, const char *n) {
    const sh_field *f = fld(e, n);
    return f && f->nvals ? f->vals[0].s : NULL;
}
static const char *fsk(const sh_event *e, const char *n, uint32_t k) {
    const sh_field *f = fld(e, n);
    return f && f->nvals > k ? f->vals[k].s : NULL;
}
static int ft(const sh_event *e, const char *n) {
    const sh_field *f = fld(e, n);
    return f && f->nvals ? f->vals[0].type : -1;
}
static int nv(const sh_event *e, const char *n) {
    const sh_field *f = fld(e, n);
    return f ? (int)f->nvals : -1;
}
static char *json_of(const sh_event *e) {
    sh_buf b = {0};
    sh_event_to_json(e, &b, false);
    char *s = strdup(sh_buf_cstr(&b));
    sh_buf_free(&b);
    return s;
}

/* ------------------------------------------------------------ the templates */

/* The System part of a typical template: substitutions 0..11. */
static void system_part(chunkb *c) {
    el(c, "System", false);
    open_done(c);
    el(c, "Provider", true);
    at(c, "Name");
    txt(c, "Microsoft-Windows-Sysmon");
    at(c, "Guid");
    sub(c, 0, 0x0f);
    el_empty(c);
    el(c, "EventID", true);
    at(c, "Qualifiers");
    osub(c, 1, 0x06);
    open_done(c);
    sub(c, 2, 0x06);
    el_end(c);
    el_sub(c, "Version", 3, 0x04);
    el_sub(c, "Level", 4, 0x04);
    el_sub(c, "Task", 5, 0x06);
    el_sub(c, "Keywords", 6, 0x15);
    el(c, "TimeCreated", true);
    at(c, "SystemTime");
    sub(c, 7, 0x11);
    el_empty(c);
    el_sub(c, "EventRecordID", 8, 0x0a);
    el(c, "Correlation", true);
    at(c, "ActivityID");
    osub(c, 9, 0x0f);
    el_empty(c);
    el(c, "Execution", true);
    at(c, "ProcessID");
    sub(c, 10, 0x08);
    el_empty(c);
    el(c, "Channel", false);
    open_done(c);
    txt(c, "Microsoft-Windows-Sysmon/Operational");
    el_end(c);
    el(c, "Security", true);
    at(c, "UserID");
    osub(c, 11, 0x13);
    el_empty(c);
    el_end(c);
}

static const uint8_t guid_b[16] = {0x5f, 0x38, 0x70, 0x57, 0x2a, 0xc2, 0xe0, 0x43,
                                   0xbf, 0x4c, 0x06, 0xf5, 0x69, 0x8f, 0xfb, 0xd9};
static const uint8_t sid18[12] = {1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0};

static void system_values(chunkb *c, uint64_t id, bool qualifiers) {
    val(c, 0x0f, guid_b, 16);
    if (qualifiers) val_u(c, 0x06, 16384, 2);
    else val(c, 0x00, "", 0);
    val_u(c, 0x06, 1, 2);
    val_u(c, 0x04, 5, 1);
    val_u(c, 0x04, 4, 1);
    val_u(c, 0x06, 1, 2);
    val_u(c, 0x15, 0x8000000000000000ULL, 8);
    val_u(c, 0x11, 132000000000000000ULL + 1234567, 8);   /* 2019-04-18T... */
    val_u(c, 0x0a, id, 8);
    val(c, 0x00, "", 0);                                   /* no ActivityID */
    val_u(c, 0x08, 4460, 4);
    val(c, 0x13, sid18, 12);
}

/* ------------------------------------------------------------ tests */

/* Every substitution type into EventData, System fields, order. */
TEST(all_types) {
    static chunkb cb;
    chunkb *c = &cb;
    chunk_init(c);
    rec_begin(c, 1);
    uint32_t def = tmpl_begin(c, 1);
    el(c, "Event", true);
    at(c, "xmlns");
    txt(c, "http://schemas.microsoft.com/win/2004/08/events/event");
    open_done(c);
    system_part(c);
    el(c, "EventData", false);
    open_done(c);
    static const struct { const char *n; uint32_t t; } d[] = {
        {"Str", 0x01}, {"Ansi", 0x02}, {"I8", 0x03}, {"U8", 0x04}, {"I16", 0x05}, {"U16", 0x06},
        {"I32", 0x07}, {"U32", 0x08}, {"I64", 0x09}, {"U64", 0x0a}, {"Big", 0x0a}, {"R32", 0x0b},
        {"R64", 0x0c}, {"Bool", 0x0d}, {"Bin", 0x0e}, {"Guid", 0x0f}, {"Size", 0x10}, {"FT", 0x11},
        {"ST", 0x12}, {"Sid", 0x13}, {"H32", 0x14}, {"H64", 0x15}, {"Handle", 0x20}, {"Null", 0x00},
        {"Empty", 0x01}, {"Surr", 0x01}, {"Lone", 0x01}, {"Nul", 0x01}};
    for (uint32_t i = 0; i < sizeof d / sizeof d[0]; i++) data_sub(c, d[i].n, 12 + i, d[i].t, false);
    el_end(c);
    el_end(c);
    tmpl_end(c, def);
    vals_begin(c, 12 + sizeof d / sizeof d[0]);
    system_values(c, 1, true);
    val_str(c, "C:\\Windows\\System32\\cmd.exe");
    val(c, 0x02, "caf\xe9 \x80", 6);
    val_u(c, 0x03, 0xfe, 1);
    val_u(c, 0x04, 200, 1);
    val_u(c, 0x05, 0x8000, 2);
    val_u(c, 0x06, 65535, 2);
    val_u(c, 0x07, 0xffffffff, 4);
    val_u(c, 0x08, 4000000000u, 4);
    val_u(c, 0x09, (uint64_t)-5, 8);
    val_u(c, 0x0a, 1234567890123ULL, 8);
    val_u(c, 0x0a, 18446744073709551615ULL, 8);
    float f32 = 1.5f;
    uint32_t w32;
    memcpy(&w32, &f32, 4);
    val_u(c, 0x0b, w32, 4);
    double f64 = -0.1;
    uint64_t w64;
    memcpy(&w64, &f64, 8);
    val_u(c, 0x0c, w64, 8);
    val_u(c, 0x0d, 1, 4);
    val(c, 0x0e, "\x01\xab\xff", 3);
    val(c, 0x0f, guid_b, 16);
    val_u(c, 0x10, 0x3e7, 8);
    val_u(c, 0x11, 0x01d50a6c3c1d0b96ULL, 8);
    static const uint8_t st[16] = {0xe3, 0x07, 5, 0, 2, 0, 14, 0, 21, 0, 46, 0, 7, 0, 0x27, 0x02};
    val(c, 0x12, st, 16);
    static const uint8_t sid[28] = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0x56, 0x34, 0x12, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0xf4, 1, 0, 0};
    val(c, 0x13, sid, 28);
    val_u(c, 0x14, 0x1f, 4);
    val_u(c, 0x15, 0, 8);
    val_u(c, 0x20, 7, 8);
    val(c, 0x00, "", 0);
    val(c, 0x01, "", 0);
    val_str(c, "a\xf0\x9f\x98\x80z");                       /* U+1F600 as a surrogate pair */
    val(c, 0x01, "a\0\x00\xd8z\0", 6);                      /* a, lone high surrogate, z */
    val(c, 0x01, "a\0\0\0b\0", 6);                          /* cut at the NUL */
    rec_end(c);
    chunk_finish(c);
    chunkb *cs[] = {c};
    size_t len;
    uint8_t *f = file_of(cs, 1, 1, 0, &len);
    got g = {0};
    sh_input_stats st_ = read_image(f, len, &g);
    CHECK_INT(g.n, 1);
    CHECK_INT(g.nerr, 0);
    CHECK_INT(st_.events, 1);
    CHECK_INT(st_.rejected, 0);
    if (g.n == 1) {
        sh_event *e = g.ev[0];
        CHECK_INT(e->schema, SH_SCHEMA_WINDOWS);
        CHECK_STR(e->source, "t.evtx");
        CHECK_INT(e->line, 1);
        CHECK_STR(fs(e, "Provider_Name"), "Microsoft-Windows-Sysmon");
        CHECK_STR(fs(e, "Provider_Guid"), "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}");
        CHECK_INT(ft(e, "EventID"), SH_INT);
        CHECK_STR(fs(e, "EventID"), "1");
        CHECK_STR(fs(e, "EventID_Qualifiers"), "16384");
        CHECK_STR(fs(e, "Version"), "5");
        CHECK_STR(fs(e, "Keywords"), "0x8000000000000000");
        CHECK_STR(fs(e, "TimeCreated"), "2019-04-17T18:40:00.123456Z");
        CHECK(e->ts == 1555526400123456000LL);   /* from TimeCreated (microseconds) */
        CHECK_STR(fs(e, "EventRecordID"), "1");
        CHECK(!fld(e, "Correlation_ActivityID"));
        CHECK(!fld(e, "Correlation"));
        CHECK_INT(ft(e, "Execution_ProcessID"), SH_INT);
        CHECK_STR(fs(e, "Execution_ProcessID"), "4460");
        CHECK_STR(fs(e, "Channel"), "Microsoft-Windows-Sysmon/Operational");
        CHECK_STR(fs(e, "Security_UserID"), "S-1-5-18");
        CHECK(!fld(e, "xmlns"));
        CHECK_STR(fs(e, "Str"), "C:\\Windows\\System32\\cmd.exe");
        CHECK_INT(ft(e, "Str"), SH_STR);
        CHECK_STR(fs(e, "Ansi"), "caf\xc3\xa9 \xe2\x82\xac");
        CHECK_STR(fs(e, "I8"), "-2");
        CHECK_STR(fs(e, "U8"), "200");
        CHECK_STR(fs(e, "I16"), "-32768");
        CHECK_STR(fs(e, "U16"), "65535");
        CHECK_STR(fs(e, "I32"), "-1");
        CHECK_STR(fs(e, "U32"), "4000000000");
        CHECK_INT(ft(e, "U32"), SH_INT);
        CHECK_STR(fs(e, "I64"), "-5");
        CHECK_STR(fs(e, "U64"), "1234567890123");
        CHECK_STR(fs(e, "Big"), "18446744073709551615");
        CHECK_INT(ft(e, "Big"), SH_FLOAT);
        CHECK_STR(fs(e, "R32"), "1.5");
        CHECK_INT(ft(e, "R32"), SH_FLOAT);
        CHECK_STR(fs(e, "R64"), "-0.1");
        CHECK_INT(ft(e, "Bool"), SH_BOOL);
        CHECK_STR(fs(e, "Bool"), "true");
        CHECK_STR(fs(e, "Bin"), "01ABFF");
        CHECK_STR(fs(e, "Guid"), "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}");
        CHECK_STR(fs(e, "Size"), "0x3e7");
        CHECK_STR(fs(e, "FT"), "2019-05-14T15:46:45.857986Z");
        CHECK_STR(fs(e, "ST"), "2019-05-14T21:46:07.551000Z");
        CHECK_STR(fs(e, "Sid"), "S-1-5-21-1193046-1-2-500");
        CHECK_STR(fs(e, "H32"), "0x1f");
        CHECK_STR(fs(e, "H64"), "0x0");
        CHECK_STR(fs(e, "Handle"), "");           /* no value for a handle: an empty <Data> */
        CHECK_STR(fs(e, "Null"), "");
        CHECK_STR(fs(e, "Empty"), "");
        CHECK_STR(fs(e, "Surr"), "a\xf0\x9f\x98\x80z");
        CHECK_STR(fs(e, "Lone"), "a\xef\xbf\xbdz");
        CHECK_STR(fs(e, "Nul"), "a");
        char *j = json_of(e);
        /* System fields first, in the XML order, then EventData */
        CHECK(strncmp(j, "{\"Provider_Name\":\"Microsoft-Windows-Sysmon\",\"Provider_Guid\":", 60) == 0);
        CHECK(strstr(j, "\"EventID\":1,\"EventID_Qualifiers\":16384,\"Version\":5,\"Level\":4,\"Task\":1,"
                        "\"Keywords\":\"0x8000000000000000\",\"TimeCreated\":\"2019-04-17T18:40:00.123456Z\","
                        "\"EventRecordID\":1,\"Execution_ProcessID\":4460,\"Channel\":") != NULL);
        CHECK(strstr(j, "\"Security_UserID\":\"S-1-5-18\",\"Str\":") != NULL);
        CHECK(strstr(j, "\"Bool\":true,") != NULL);
        free(j);
    }
    got_free(&g);
    free(f);
}

/* Arrays, unnamed Data, Binary, optional substitutions absent, a second
 * record through the stored template. */
TEST(arrays_optional_reuse) {
    static chunkb cb;
    chunkb *c = &cb;
    chunk_init(c);
    rec_begin(c, 10);
    uint32_t def = tmpl_begin(c, 2);
    el(c, "Event", false);
    open_done(c);
    system_part(c);
    el(c, "EventData", false);
    open_done(c);
    data_sub(c, "Strings", 12, 0x81, false);
    data_sub(c, "Shorts", 13, 0x86, false);
    data_sub(c, "None", 14, 0x81, false);
    data_sub(c, "Opt", 15, 0x01, true);        /* optional: absent when NULL */
    data_sub(c, "Norm", 16, 0x01, false);      /* normal: "" when NULL */
    el(c, "Data", false);
    open_done(c);
    sub(c, 17, 0x01);
    el_end(c);
    el(c, "Data", false);
    open_done(c);
    sub(c, 18, 0x01);
    el_end(c);
    el_sub(c, "Binary", 19, 0x0e);
    data_sub(c, "Mixed", 20, 0x08, false);
    el_end(c);
    el_end(c);
    tmpl_end(c, def);
    for (int r = 0; r < 2; r++) {
        if (r) {
            rec_begin(c, 11);
            tmpl_ref(c, def);
        }
        vals_begin(c, 21);
        system_values(c, 10 + (uint64_t)r, r == 0);
        val(c, 0x81, "a\0\0\0b\0\0\0c\0\0\0", 12);
        val(c, 0x86, "\x01\x00\x02\x00\xff\xff", 6);
        val(c, 0x81, "", 0);
        if (r) val_str(c, "here");
        else val(c, 0x00, "", 0);
        val(c, 0x00, "", 0);
        val_str(c, r ? "second" : "first");
        val_str(c, "other");
        val(c, 0x0e, "\xde\xad", 2);
        val_u(c, 0x14, 0x10, 4);                 /* the template said UInt32: the value's type wins */
        rec_end(c);
    }
    chunk_finish(c);
    chunkb *cs[] = {c};
    size_t len;
    uint8_t *f = file_of(cs, 1, 1, 0, &len);
    got g = {0};
    read_image(f, len, &g);
    CHECK_INT(g.n, 2);
    CHECK_INT(g.nerr, 0);
    if (g.n == 2) {
        sh_event *e = g.ev[0];
        CHECK_INT(nv(e, "Strings"), 3);
        CHECK_STR(fsk(e, "Strings", 0), "a");
        CHECK_STR(fsk(e, "Strings", 1), "b");
        CHECK_STR(fsk(e, "Strings", 2), "c");
        CHECK(fld(e, "Strings")->is_array);
        CHECK_INT(nv(e, "Shorts"), 3);
        CHECK_STR(fsk(e, "Shorts", 2), "65535");
        CHECK_INT(nv(e, "None"), 1);
        CHECK_STR(fs(e, "None"), "");
        CHECK(!fld(e, "Opt"));
        CHECK_STR(fs(e, "Norm"), "");
        CHECK_INT(nv(e, "Data"), 2);
        CHECK_STR(fsk(e, "Data", 0), "first");
        CHECK_STR(fsk(e, "Data", 1), "other");
        CHECK_STR(fs(e, "Binary"), "DEAD");
        CHECK_STR(fs(e, "Mixed"), "0x10");
        CHECK_STR(fs(e, "EventID_Qualifiers"), "16384");
        e = g.ev[1];
        CHECK_INT(e->line, 11);
        CHECK_STR(fs(e, "EventRecordID"), "11");
        CHECK(!fld(e, "EventID_Qualifiers"));
        CHECK_STR(fs(e, "Opt"), "here");
        CHECK_STR(fsk(e, "Data", 0), "second");
        CHECK_INT(g.ev[1]->ordinal, g.ev[0]->ordinal + 1);
    }
    got_free(&g);
    free(f);
}

/* UserData as a binary XML substitution holding a template instance (a
 * nested template), and holding plain elements; CDATA, character and
 * entity references; a substituted Data Name. */
TEST(nested_userdata) {
    static chunkb cb;
    chunkb *c = &cb;
    chunk_init(c);
    for (int r = 0; r < 2; r++) {
        rec_begin(c, 20 + (uint64_t)r);
        uint32_t def = tmpl_begin(c, (uint8_t)(3 + r));
        el(c, "Event", false);
        open_done(c);
        el(c, "System", false);
        open_done(c);
        el_sub(c, "EventID", 0, 0x06);
        el_sub(c, "Computer", 1, 0x01);
        el_end(c);
        el(c, "UserData", false);
        open_done(c);
        sub(c, 2, 0x21);
        el_end(c);
        el_end(c);
        tmpl_end(c, def);
        vals_begin(c, 3);
        val_u(c, 0x06, 1102, 2);
        val_str(c, "WS01");
        val_bx_begin(c);
        u8(c, 0x0f), u8(c, 1), u8(c, 1), u8(c, 0);
        if (r == 0) {
            /* a nested template instance */
            uint32_t d2 = tmpl_begin(c, 9);
            el(c, "LogFileCleared", true);
            at(c, "xmlns");
            txt(c, "http://manifests.microsoft.com/win/2004/08/windows/eventlog");
            open_done(c);
            el_sub(c, "SubjectUserSid", 0, 0x13);
            el_sub(c, "SubjectUserName", 1, 0x01);
            el(c, "Detail", true);
            at(c, "Code");
            sub(c, 2, 0x08);
            open_done(c);
            el_sub(c, "Inner", 3, 0x01);
            el_end(c);
            el_end(c);
            tmpl_end(c, d2);
            c->dep = false;
            uint32_t sv = c->vals_desc, sn = c->vals_n, si = c->vals_i;
            vals_begin(c, 4);
            val(c, 0x13, sid18, 12);
            val_str(c, "admin");
            val_u(c, 0x08, 7, 4);
            val_str(c, "deep");
            c->vals_desc = sv, c->vals_n = sn, c->vals_i = si;
        } else {
            /* plain elements: no dependency ids */
            el(c, "Wrapper", false);
            open_done(c);
            el(c, "Text", false);
            open_done(c);
            txt(c, "a ");
            u8(c, 0x48), u16(c, 0x263a);                         /* &#x263a; */
            u8(c, 0x49), name(c, "amp");                         /* &amp; */
            u8(c, 0x07), u16(c, 3), utf16(c, "<x>");             /* CDATA */
            el_end(c);
            el(c, "Data", true);
            at(c, "Name");
            txt(c, "Named");
            open_done(c);
            txt(c, "v");
            el_end(c);
            el_end(c);
        }
        u8(c, 0x00);
        val_bx_end(c);
        rec_end(c);
    }
    chunk_finish(c);
    chunkb *cs[] = {c};
    size_t len;
    uint8_t *f = file_of(cs, 1, 1, 0, &len);
    got g = {0};
    read_image(f, len, &g);
    CHECK_INT(g.n, 2);
    for (int i = 0; i < g.nerr; i++) FAILF("unexpected error: %s", g.err[i]);
    if (g.n == 2) {
        sh_event *e = g.ev[0];
        CHECK_STR(fs(e, "EventID"), "1102");
        CHECK_STR(fs(e, "Computer"), "WS01");
        CHECK_STR(fs(e, "SubjectUserSid"), "S-1-5-18");
        CHECK_STR(fs(e, "SubjectUserName"), "admin");
        CHECK_STR(fs(e, "Detail_Code"), "7");
        CHECK_STR(fs(e, "Detail.Inner"), "deep");
        CHECK(!fld(e, "LogFileCleared"));
        char *j = json_of(e);
        CHECK_STR(j, "{\"EventID\":1102,\"Computer\":\"WS01\",\"SubjectUserSid\":\"S-1-5-18\",\"SubjectUserName\":\"admin\","
                     "\"Detail.Inner\":\"deep\",\"Detail_Code\":7}");
        free(j);
        e = g.ev[1];
        CHECK_STR(fs(e, "Text"), "a \xe2\x98\xba&<x>");
        CHECK_STR(fs(e, "Data_Name"), "Named");
        CHECK_STR(fs(e, "Data"), "v");
    }
    got_free(&g);
    free(f);
}

/* Integers as text: every digit count, both signs, the int64 limits (an
 * array of INT64 values), checked against printf. */
TEST(integer_text) {
    static chunkb cb;
    chunkb *c = &cb;
    chunk_init(c);
    int64_t want[48];
    int n = 0;
    for (int64_t p = 1; n < 38; p *= 10) {
        want[n++] = p - 1;
        want[n++] = -(p - 1) - (p > 1 ? 1 : 0);
        if (p > INT64_MAX / 10) break;
    }
    want[n++] = INT64_MAX;
    want[n++] = INT64_MIN;
    want[n++] = 1000000000000000000LL;
    rec_begin(c, 1);
    uint32_t def = tmpl_begin(c, 7);
    el(c, "Event", false);
    open_done(c);
    el(c, "EventData", false);
    open_done(c);
    data_sub(c, "Ints", 0, 0x89, false);
    el_end(c);
    el_end(c);
    tmpl_end(c, def);
    vals_begin(c, 1);
    uint8_t b[48 * 8];
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 8; k++) b[8 * i + k] = (uint8_t)((uint64_t)want[i] >> (8 * k));
    val(c, 0x89, b, (uint32_t)(8 * n));
    rec_end(c);
    got g = {0};
    uint8_t *f = read_one_chunk(c, &g);
    CHECK_INT(g.n, 1);
    if (g.n == 1) {
        const sh_field *fl = fld(g.ev[0], "Ints");
        CHECK(fl && (int)fl->nvals == n);
        for (int i = 0; fl && i < n && i < (int)fl->nvals; i++) {
            char t[32];
            snprintf(t, sizeof t, "%lld", (long long)want[i]);
            CHECK_STR(fl->vals[i].s, t);
            CHECK(fl->vals[i].len == strlen(t) && fl->vals[i].i == want[i]);
        }
    }
    got_free(&g);
    free(f);
}

/* A record of plain elements (no template), in a dirty file whose header
 * counts one chunk of two; the second chunk is read too. */
static void simple_record(chunkb *c, uint64_t id, const char *computer) {
    rec_begin(c, id);
    uint32_t def = tmpl_begin(c, 5);
    el(c, "Event", false);
    open_done(c);
    el(c, "System", false);
    open_done(c);
    el_sub(c, "EventRecordID", 0, 0x0a);
    el_sub(c, "Computer", 1, 0x01);
    el_end(c);
    el_end(c);
    tmpl_end(c, def);
    vals_begin(c, 2);
    val_u(c, 0x0a, id, 8);
    val_str(c, computer);
    rec_end(c);
}

TEST(plain_elements_dirty_header) {
    static chunkb c0, c1;
    chunk_init(&c0);
    rec_begin(&c0, 1);
    el(&c0, "Event", false);
    open_done(&c0);
    el(&c0, "System", false);
    open_done(&c0);
    el(&c0, "Channel", false);
    open_done(&c0);
    txt(&c0, "Application");
    el_end(&c0);
    el_end(&c0);
    el_end(&c0);
    rec_end(&c0);
    chunk_finish(&c0);
    chunk_init(&c1);
    simple_record(&c1, 2, "second-chunk");
    chunk_finish(&c1);
    chunkb *cs[] = {&c0, &c1};
    size_t len;
    uint8_t *f = file_of(cs, 2, 1, 1 /* dirty */, &len);
    got g = {0};
    read_image(f, len, &g);
    CHECK_INT(g.n, 2);
    CHECK_INT(g.nerr, 0);
    if (g.n == 2) {
        CHECK_STR(fs(g.ev[0], "Channel"), "Application");
        CHECK(g.ev[0]->ts != SH_TS_NONE);   /* from the record's written time */
        CHECK_STR(fs(g.ev[1], "Computer"), "second-chunk");
    }
    got_free(&g);
    free(f);
}

/* A damaged chunk between two good ones: reported with file, offset and
 * reason, skipped, the rest read. Header and records checksum mismatches
 * are reported and the records still read. */
TEST(damaged_chunks) {
    static chunkb c0, c1, c2;
    chunk_init(&c0);
    simple_record(&c0, 1, "a");
    chunk_finish(&c0);
    chunk_init(&c1);
    simple_record(&c1, 2, "b");
    chunk_finish(&c1);
    memcpy(c1.d, "XlfChnk", 8);
    chunk_init(&c2);
    simple_record(&c2, 3, "c");
    chunk_finish(&c2);
    chunkb *cs[] = {&c0, &c1, &c2};
    size_t len;
    uint8_t *f = file_of(cs, 3, 3, 0, &len);
    got g = {0};
    sh_input_stats st = read_image(f, len, &g);
    CHECK_INT(g.n, 2);
    CHECK_INT(st.rejected, 1);
    CHECK_INT(st.inputs_failed, 0);
    CHECK_INT(g.nerr, 1);
    CHECK_STR(g.err[0], "t.evtx: offset 0x11000: chunk 1: bad chunk signature; chunk skipped");
    if (g.n == 2) CHECK_STR(fs(g.ev[1], "Computer"), "c");
    got_free(&g);

    /* impossible free space offset */
    memcpy(f + 0x11000, "ElfChnk", 8);
    f[0x11000 + 48] = 0x10, f[0x11000 + 49] = 0x00, f[0x11000 + 50] = 0x01;   /* 0x10010 */
    read_image(f, len, &g);
    CHECK_INT(g.n, 2);
    CHECK_INT(g.nerr, 1);
    CHECK_STR(g.err[0], "t.evtx: offset 0x11000: chunk 1: impossible free space offset 0x10010; chunk skipped");
    got_free(&g);

    /* header checksum (chunk 1 restored, its checksum broken) and records checksum (chunk 2) */
    memcpy(f + 0x11000, c1.d, 65536);
    memcpy(f + 0x11000, "ElfChnk", 8);
    f[0x11000 + 124] ^= 0xff;
    f[0x21000 + 52] ^= 0xff;   /* the records checksum, under a still valid header checksum */
    uint32_t hc = (uint32_t)crc32(crc32(0, f + 0x21000, 120), f + 0x21000 + 128, 384);
    for (int i = 0; i < 4; i++) f[0x21000 + 124 + i] = (uint8_t)(hc >> (8 * i));
    read_image(f, len, &g);
    CHECK_INT(g.n, 3);
    CHECK_INT(g.nerr, 2);
    CHECK_STR(g.err[0], "t.evtx: offset 0x11000: chunk 1: header checksum mismatch; records read anyway");
    CHECK_STR(g.err[1], "t.evtx: offset 0x21000: chunk 2: event records checksum mismatch; records read anyway");
    got_free(&g);

    /* file header checksum */
    f[5] = 'X';
    memcpy(f, "ElfFile", 8);
    f[100] = 1;
    read_image(f, len, &g);
    CHECK_INT(g.n, 3);
    CHECK_STR(g.err[0], "t.evtx: offset 0x0: file header checksum mismatch; chunks read anyway");
    got_free(&g);
    free(f);
}

/* Records with a bad size (copy differs), bad signatures, damaged binary
 * XML, and a file cut in the middle of a record. */
TEST(damaged_records_truncated) {
    static chunkb cb;
    chunkb *c = &cb;
    chunk_init(c);
    simple_record(c, 1, "one");
    uint32_t r2 = c->pos;
    simple_record(c, 2, "two");
    uint32_t r3 = c->pos;
    rec_begin(c, 3);
    tmpl_ref(c, 0xfff0);                      /* a definition outside the chunk data */
    vals_begin(c, 0);
    rec_end(c);
    uint32_t r4 = c->pos;
    rec_begin(c, 4);
    u8(c, 0x01), u16(c, 0xffff), u32(c, 10), u32(c, 0x7000);  /* element with a name offset past the data */
    rec_end(c);
    simple_record(c, 5, "five");
    chunk_finish(c);
    /* record 2: copy of size broken */
    uint32_t s2 = c->d[r2 + 4] | (uint32_t)c->d[r2 + 5] << 8;
    c->d[r2 + s2 - 4] ^= 1;
    chunk_finish(c);
    chunkb *cs[] = {c};
    size_t len;
    uint8_t *f = file_of(cs, 1, 1, 0, &len);
    got g = {0};
    sh_input_stats st = read_image(f, len, &g);
    CHECK_INT(g.n, 2);
    CHECK_INT(st.rejected, 3);
    CHECK_INT(g.nerr, 3);
    char want[300];
    snprintf(want, sizeof want, "t.evtx: offset 0x%x: chunk 0: record 2: record size and its copy differ; %u bytes skipped",
             0x1000 + r2, r3 - r2);
    CHECK_STR(g.err[0], want);
    snprintf(want, sizeof want, "t.evtx:3: offset 0x%x: chunk 0: record 3: template definition offset 0xfff0 outside the chunk",
             0x1000 + r3);
    CHECK_STR(g.err[1], want);
    snprintf(want, sizeof want, "t.evtx:4: offset 0x%x: chunk 0: record 4: ", 0x1000 + r4);
    CHECK(strncmp(g.err[2], want, strlen(want)) == 0);
    if (g.n == 2) CHECK_STR(fs(g.ev[1], "Computer"), "five");
    got_free(&g);

    /* cut in the middle of record 5 */
    size_t cut = 0x1000 + c->last_rec + 40;
    st = read_image(f, cut, &g);
    CHECK_INT(g.n, 1);
    CHECK(g.nerr >= 1);
    snprintf(want, sizeof want, "t.evtx: offset 0x1000: chunk 0: chunk truncated at %u of %u bytes of records",
             c->last_rec + 40 - 512, c->pos - 512);
    CHECK_STR(g.err[0], want);
    got_free(&g);
    free(f);
}

/* A sink that says stop stops the reading; garbage and tiny inputs are
 * reported, never crash. */
TEST(stop_and_garbage) {
    static chunkb cb;
    chunkb *c = &cb;
    chunk_init(c);
    for (uint64_t i = 1; i <= 5; i++) simple_record(c, i, "x");
    chunk_finish(c);
    chunkb *cs[] = {c};
    size_t len;
    uint8_t *f = file_of(cs, 1, 1, 0, &len);
    got g = {0};
    g.stop_after = 2;
    sh_input_sink s = {on_event, on_error, &g, NULL};
    sh_input_stats st = {0};
    CHECK(!sh_evtx_read("t.evtx", f, len, NULL, &s, &st));
    CHECK_INT(g.n, 2);
    got_free(&g);
    /* one chunk alone */
    CHECK(sh_evtx_read_chunk("c.bin", f + 4096, 65536, NULL, &s, &st));
    CHECK_INT(g.n, 5);
    got_free(&g);
    /* short inputs */
    for (size_t n = 0; n < 200; n++) {
        memset(&st, 0, sizeof st);
        sh_evtx_read("t.evtx", f, n, NULL, &s, &st);
        CHECK_INT(g.n, 0);
        got_free(&g);
    }
    memset(&st, 0, sizeof st);
    sh_evtx_read("t.evtx", f, 100, NULL, &s, &st);
    CHECK_INT(st.inputs_failed, 1);
    CHECK_STR(g.err[0], "t.evtx: truncated EVTX file header (100 bytes)");
    got_free(&g);
    /* every single-byte corruption of the records area: no crash, no leak */
    for (uint32_t i = 512; i < c->pos; i++) {
        uint8_t save = f[4096 + i];
        f[4096 + i] ^= 0x5a;
        sh_evtx_read("t.evtx", f, len, NULL, &s, &st);
        f[4096 + i] = save;
        got_free(&g);
    }
    free(f);
}

/* The file entry point: a large file is mapped, a small one is left to the
 * caller (-1, nothing reported). */
TEST(read_file) {
    static chunkb cb;
    chunkb *c = &cb;
    chunk_init(c);
    simple_record(c, 1, "mapped");
    chunk_finish(c);
    chunkb *cs[16];
    for (int i = 0; i < 16; i++) cs[i] = c;
    size_t len;
    uint8_t *f = file_of(cs, 16, 16, 0, &len);
    char path[64];
    snprintf(path, sizeof path, "/tmp/shrike-test-evtx-%d.evtx", (int)getpid());
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL);
    if (!fp) { free(f); return; }
    fwrite(f, 1, len, fp);
    fclose(fp);
    got g = {0};
    sh_input_sink s = {on_event, on_error, &g, NULL};
    sh_input_stats st = {0};
    size_t size = 0;
    CHECK_INT(sh_evtx_read_file(path, NULL, &s, &st, &size), 1);
    CHECK_INT(size, len);
    CHECK_INT(g.n, 16);
    CHECK_INT(g.nerr, 0);
    if (g.n) CHECK_STR(fs(g.ev[15], "Computer"), "mapped");
    got_free(&g);
    fp = fopen(path, "wb");
    if (fp) {
        fwrite(f, 1, 4096 + 65536, fp);
        fclose(fp);
    }
    CHECK_INT(sh_evtx_read_file(path, NULL, &s, &st, &size), -1);
    CHECK_INT(g.n + g.nerr, 0);
    CHECK_INT(sh_evtx_read_file("/nonexistent/x.evtx", NULL, &s, &st, &size), -1);
    remove(path);
    free(f);
}

/* zlib's crc32 and sh_crc32 (carry-less multiplication) agree on every
 * length and alignment, and continue each other's values */
TEST(crc32_matches_zlib) {
    uint8_t *buf = malloc(140000);
    uint32_t x = 12345;
    for (size_t i = 0; i < 140000; i++) x = x * 1103515245u + 12345u, buf[i] = (uint8_t)(x >> 16);
    int bad = 0;
    for (size_t len = 0; len < 400; len++)
        for (size_t off = 0; off < 16; off += 5)
            if (sh_crc32(len * 7u, buf + off, len) != (uint32_t)crc32(len * 7u, buf + off, (uInt)len)) bad++;
    for (size_t len = 60000; len < 70000; len += 997)
        if (sh_crc32(0, buf + 3, len) != (uint32_t)crc32(0L, buf + 3, (uInt)len)) bad++;
    CHECK_INT(bad, 0);
    uint32_t a = sh_crc32(sh_crc32(0, buf, 1000), buf + 1000, 5000);
    CHECK_INT(a, (uint32_t)crc32(0L, buf, 6000));
    free(buf);
}

/* A transcript of what a sink receives: each event's JSON and each
 * diagnostic, in order */
typedef struct transcript {
    sh_buf t;
    int events, stop_after;
} transcript;

static bool tr_event(void *ctx, sh_event *e) {
    transcript *t = ctx;
    sh_buf_printf(&t->t, "#%llu ", (unsigned long long)e->ordinal);
    sh_event_to_json(e, &t->t, false);
    sh_buf_putc(&t->t, '\n');
    t->events++;
    return !t->stop_after || t->events < t->stop_after;
}

static void tr_error(void *ctx, const sh_diag *d) {
    transcript *t = ctx;
    char m[800];
    sh_diag_format(d, m, sizeof m);
    sh_buf_printf(&t->t, "error %s\n", m);
}

/* A record of template `id` (its GUID): System EventID, TimeCreated and
 * either Computer or (other) Channel, EventData Data Name="Image". */
static void shared_record_at(chunkb *c, uint64_t rid, uint8_t id, bool other, const char *text, uint64_t ft,
                             uint32_t ftsize) {
    rec_begin(c, rid);
    uint32_t def = tmpl_begin(c, id);
    el(c, "Event", false);
    open_done(c);
    el(c, "System", false);
    open_done(c);
    el_sub(c, "EventID", 0, 0x06);
    el(c, "TimeCreated", true);
    at(c, "SystemTime");
    sub(c, 3, 0x11);
    el_empty(c);
    el_sub(c, other ? "Channel" : "Computer", 1, 0x01);
    el_end(c);
    el(c, "EventData", false);
    open_done(c);
    data_sub(c, "Image", 2, 0x01, false);
    el_end(c);
    el_end(c);
    tmpl_end(c, def);
    vals_begin(c, ftsize < 8 ? 5 : 4);
    val_u(c, 0x06, 4688, 2);
    val_str(c, text);
    val_str(c, "C:\\x.exe");
    val_u(c, 0x11, ft, ftsize);
    if (ftsize < 8) {
        /* an unused value whose 3 bytes would make a 5-byte one a 2019 FILETIME */
        static const uint8_t tail[3] = {0xf4, 0xd4, 0x01};
        val(c, 0x04, tail, 3);
    }
    rec_end(c);
}
static void shared_record(chunkb *c, uint64_t rid, uint8_t id, bool other, const char *text) {
    shared_record_at(c, rid, id, other, text, 132000000000000000ULL + rid * 10ULL, 8);   /* 2019-04-17T18:40:00.00000rid */
}

/* <Event><System><Channel>chan</Channel></System><EventData><Data
 * Name="name">text</Data></EventData></Event> with no template; text may
 * hold a NUL (given as units). */
static void raw_record(chunkb *c, uint64_t rid, const char *chan, const char *nm, const uint16_t *text, uint32_t n) {
    rec_begin(c, rid);
    el(c, "Event", false);
    open_done(c);
    el(c, "System", false);
    open_done(c);
    el(c, "Channel", false);
    open_done(c);
    txt(c, chan);
    el_end(c);
    el_end(c);
    el(c, "EventData", false);
    open_done(c);
    el(c, "Data", true);
    at(c, "Name");
    txt(c, nm);
    at(c, "Extra");
    txt(c, chan);
    open_done(c);
    u8(c, 0x05), u8(c, 0x01), u16(c, n);
    for (uint32_t i = 0; i < n; i++) u16(c, text[i]);
    el_end(c);
    el_end(c);
    el_end(c);
    rec_end(c);
}

/* Plans are shared by chunks and files: the same template defined again in
 * another chunk (its names now references to earlier ones) reuses the
 * plan; a template with the same GUID and another structure does not; raw
 * elements with the same structure share one plan while their text and
 * their Data Names stay their own. Reading with sharing off gives the same
 * transcript. The event time comes from TimeCreated (whole microseconds,
 * as its text), else from the record's written time. */
TEST(shared_plans) {
    static chunkb c0, c1, c2;
    static const uint16_t t1[] = {'v', '1'}, t2[] = {'a', 0, 'b'}, t3[] = {0x263a};
    chunk_init(&c0);
    shared_record(&c0, 1, 5, false, "host-a");
    raw_record(&c0, 2, "Application", "First", t1, 2);
    raw_record(&c0, 3, "System", "Second", t2, 3);
    chunk_finish(&c0);
    chunk_init(&c1);
    simple_record(&c1, 4, "other");               /* defines Event, System, Computer first */
    shared_record(&c1, 5, 5, false, "host-b");
    raw_record(&c1, 6, "Security", "First", t3, 1);
    chunk_finish(&c1);
    chunk_init(&c2);
    shared_record(&c2, 7, 5, true, "Operational");   /* same GUID, Channel for Computer */
    /* TimeCreated past 2262 (no nanosecond time): the record's written time */
    shared_record_at(&c2, 8, 5, true, "Late", 208678456360000000ULL, 8);
    /* a FILETIME too short to be one: its bytes in hex, the written time */
    shared_record_at(&c2, 9, 5, true, "Short", 0x2b59222d80ULL, 5);
    chunk_finish(&c2);
    chunkb *cs[] = {&c0, &c1, &c2};
    size_t len;
    uint8_t *f = file_of(cs, 3, 3, 0, &len);
    const char *want =
        "#0 {\"EventID\":4688,\"TimeCreated\":\"2019-04-17T18:40:00.000001Z\",\"Computer\":\"host-a\",\"Image\":\"C:\\\\x.exe\"}\n"
        "#1 {\"Channel\":\"Application\",\"First\":\"v1\",\"First_Extra\":\"Application\"}\n"
        "#2 {\"Channel\":\"System\",\"Second\":\"a\\u0000b\",\"Second_Extra\":\"System\"}\n"
        "#3 {\"EventRecordID\":4,\"Computer\":\"other\"}\n"
        "#4 {\"EventID\":4688,\"TimeCreated\":\"2019-04-17T18:40:00.000005Z\",\"Computer\":\"host-b\",\"Image\":\"C:\\\\x.exe\"}\n"
        "#5 {\"Channel\":\"Security\",\"First\":\"\xe2\x98\xba\",\"First_Extra\":\"Security\"}\n"
        "#6 {\"EventID\":4688,\"TimeCreated\":\"2019-04-17T18:40:00.000007Z\",\"Channel\":\"Operational\",\"Image\":\"C:\\\\x.exe\"}\n"
        "#7 {\"EventID\":4688,\"TimeCreated\":\"2262-04-11T23:47:16.000000Z\",\"Channel\":\"Late\",\"Image\":\"C:\\\\x.exe\"}\n"
        "#8 {\"EventID\":4688,\"TimeCreated\":\"802D22592B\",\"Channel\":\"Short\",\"Image\":\"C:\\\\x.exe\"}\n";
    for (int share = 1; share >= 0; share--) {
        sh_evtx_shared_reset();
        sh_evtx_share_plans(share);
        for (int pass = 0; pass < 2; pass++) {     /* the second pass finds every plan shared */
            transcript t = {0};
            sh_input_sink s = {tr_event, tr_error, &t, NULL};
            sh_input_stats st = {0};
            sh_evtx_read("t.evtx", f, len, NULL, &s, &st);
            sh_buf_putc(&t.t, 0);
            CHECK_STR(t.t.data, want);
            sh_buf_free(&t.t);
        }
    }
    sh_evtx_share_plans(true);
    got g = {0};
    read_image(f, len, &g);
    CHECK_INT(g.n, 9);
    if (g.n == 9) {
        CHECK(g.ev[0]->ts == (int64_t)(132000000000000000LL / 10 + 1 - 11644473600000000LL) * 1000);
        CHECK(g.ev[1]->ts == (int64_t)(131750000000000000LL / 10 + 2 * 1000000 - 11644473600000000LL) * 1000);
        CHECK(g.ev[7]->ts == (int64_t)(131750000000000000LL / 10 + 8 * 1000000 - 11644473600000000LL) * 1000);
        CHECK(g.ev[8]->ts == (int64_t)(131750000000000000LL / 10 + 9 * 1000000 - 11644473600000000LL) * 1000);
    }
    got_free(&g);
    free(f);
}

/* Reading with threads gives the sink the same events, diagnostics, order,
 * ordinals and counts as reading each file in turn; a sink that stops gets
 * exactly the events it took. */
TEST(threads_same_as_serial) {
    static chunkb cbs[21];
    chunkb *cs[21];
    uint64_t id = 1;
    for (int k = 0; k < 21; k++) {
        chunk_init(&cbs[k]);
        char comp[32];
        for (int r = 0; r < 1 + k % 4; r++) {
            snprintf(comp, sizeof comp, "host-%d-%d", k, r);
            simple_record(&cbs[k], id++, comp);
        }
        chunk_finish(&cbs[k]);
        cs[k] = &cbs[k];
    }
    size_t len;
    uint8_t *f = file_of(cs, 21, 21, 0, &len);
    memcpy(f + 4096 + 65536 * 7, "XlfChnk", 7);   /* a damaged chunk among them */
    const char *names[] = {"a.evtx", "b.evtx", "c.evtx", "a.evtx"};
    const uint8_t *imgs[] = {f, f, f, f};
    size_t lens[] = {len, 100, 4096 + 65536 * 3 + 2000, len};   /* whole, tiny, cut */
    for (int threads = 2; threads <= 5; threads += 3) {
        for (int stop = 0; stop <= 40; stop += 20) {
            transcript a = {.stop_after = stop}, b = {.stop_after = stop};
            sh_input_sink sa = {tr_event, tr_error, &a, NULL}, sb = {tr_event, tr_error, &b, NULL};
            sh_input_stats sta = {0}, stb = {0};
            bool go_a = true, go_b = true;
            for (int i = 0; i < 4 && go_a; i++) go_a = sh_evtx_read(names[i], imgs[i], lens[i], NULL, &sa, &sta);
            sh_evtx_par *p = sh_evtx_par_new(threads, &sb, &stb);
            for (int i = 0; i < 4 && go_b; i++)
                go_b = sh_evtx_par_submit(p, names[i], imgs[i], lens[i], NULL, 0, SH_EVTX_OWN_NONE);
            if (go_b) go_b = sh_evtx_par_drain(p);
            sh_evtx_par_free(p);
            CHECK(go_a == go_b);
            CHECK_INT(go_a, stop == 0);
            CHECK_INT(a.t.len, b.t.len);
            CHECK(a.t.len == b.t.len && memcmp(a.t.data, b.t.data, a.t.len) == 0);
            CHECK_INT(a.events, stop ? stop : 2 * 47 + 6 + 4);   /* chunk 7 (4 records) skipped; the cut file: 3 chunks and 4 records */
            CHECK_INT(stb.events, sta.events);
            CHECK_INT(stb.rejected, sta.rejected);
            if (!stop) {
                CHECK_INT(stb.inputs_failed, sta.inputs_failed);
                CHECK_INT(sta.inputs_failed, 1);      /* the tiny one */
                CHECK_INT(stb.inputs, 4);
                CHECK_INT(stb.bytes, 2 * len + 100 + 4096 + 65536 * 3 + 2000);
            }
            sh_buf_free(&a.t);
            sh_buf_free(&b.t);
        }
    }
    free(f);
}

int main(void) {
    RUN(all_types);
    RUN(integer_text);
    RUN(arrays_optional_reuse);
    RUN(nested_userdata);
    RUN(plain_elements_dirty_header);
    RUN(shared_plans);
    RUN(damaged_chunks);
    RUN(damaged_records_truncated);
    RUN(stop_and_garbage);
    RUN(read_file);
    RUN(crc32_matches_zlib);
    RUN(threads_same_as_serial);
    TEST_MAIN_END();
}
