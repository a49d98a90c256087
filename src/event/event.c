/* event.c: the event model. Fields live in a per-event arena and are found
 * through a small open-addressing hash table keyed by the dotted name. */
#include "event/event.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "input/json.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The event itself, its field list and its index live in its arena: an
 * event is one allocation (more only when it outgrows its first block), so
 * building one on a reading thread and freeing it on another costs one free. */
#define FIRST_FIELDS 48
#define FIRST_INDEX 128

/* Zeroes e with plain 16-byte stores: a memset of its size compiles to
 * `rep stos`, whose start-up cost is most of making an event. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))   /* keeps the loop a loop */
#endif
static void clear_event(sh_event *e) {
#ifdef __SSE2__
    __m128i z = _mm_setzero_si128();
    char *p = (char *)e;
    size_t i = 0;
    for (; i + 16 <= sizeof *e; i += 16) _mm_storeu_si128((__m128i *)(void *)(p + i), z);
    memset(p + i, 0, sizeof *e - i);   /* under 16 bytes: plain moves */
#else
    memset(e, 0, sizeof *e);
#endif
}

sh_event *sh_event_new_sized(size_t bytes) {
    sh_arena a;
    sh_arena_init(&a);
    sh_arena_reserve(&a, sizeof(sh_event) + FIRST_FIELDS * sizeof(sh_field *) + FIRST_INDEX * sizeof(uint32_t) +
                             64 + bytes);
    sh_event *e = sh_arena_alloc(&a, sizeof *e);
    clear_event(e);
    e->refs = 1;
    e->ts = SH_TS_NONE;
    e->arena = a;
    return e;
}

sh_event *sh_event_new(void) { return sh_event_new_sized(0); }

void sh_event_ref(sh_event *e) { e->refs++; }

void sh_event_unref(sh_event *e) {
    if (!e || --e->refs > 0) return;
    sh_arena a = e->arena;   /* e is inside it */
    sh_arena_free(&a);
}

/* ---------------------------------------------------------------- index */

static void index_rebuild(sh_event *e, uint32_t cap) {
    e->index = sh_arena_alloc(&e->arena, cap * sizeof *e->index);
    memset(e->index, 0, cap * sizeof *e->index);
    e->icap = cap;
    for (uint32_t i = 0; i < e->nfields; i++) {
        uint32_t h = e->fields[i]->hash & (cap - 1);
        while (e->index[h]) h = (h + 1) & (cap - 1);
        e->index[h] = i + 1;
    }
}

void sh_event_grow(sh_event *e) {
    if ((e->nfields + 1) * 2 > e->icap) index_rebuild(e, e->icap ? e->icap * 2 : FIRST_INDEX);
    if (e->nfields == e->fcap) {
        uint32_t cap = e->fcap ? e->fcap * 2 : FIRST_FIELDS;
        sh_field **nf = sh_arena_alloc(&e->arena, cap * sizeof *nf);
        if (e->nfields) memcpy(nf, e->fields, e->nfields * sizeof *nf);
        e->fields = nf;
        e->fcap = cap;
    }
}

/* The field named name (hash is its sh_hash), added when absent: then the
 * name is copied into the arena. */
static sh_field *get_or_add(sh_event *e, const char *name, size_t nlen, uint32_t hash, bool *created) {
    uint32_t h;
    sh_field *f = sh_event_probe_to_add(e, name, nlen, hash, &h);
    if (created) *created = f == NULL;
    if (f) return f;
    return sh_event_add_at(e, h, sh_arena_strndup(&e->arena, name, nlen), nlen, hash);
}

sh_field *sh_event_field_get_or_add(sh_event *e, const char *name, size_t nlen, bool *created) {
    return get_or_add(e, name, nlen, sh_hash(name, nlen), created);
}

sh_event *sh_event_new_like(const sh_event *src, size_t bytes) {
    sh_event *r = sh_event_new_sized(bytes);
    r->schema = src->schema;
    r->ts = src->ts;
    r->ordinal = src->ordinal;
    r->source = src->source;
    r->line = src->line;
    r->raw = src->raw;
    r->raw_len = src->raw_len;
    r->raw_kind = src->raw_kind;
    return r;
}

sh_event *sh_event_borrow_own(const sh_event *e) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < e->nfields; i++) n += !e->fields[i]->derived;
    sh_event *r = sh_event_new_like(e, n * (sizeof(sh_field) + sizeof(sh_field *)));
    if (!n) return r;
    r->fcap = n > FIRST_FIELDS ? n : FIRST_FIELDS;
    r->fields = sh_arena_alloc(&r->arena, r->fcap * sizeof *r->fields);
    sh_field *blk = sh_arena_alloc(&r->arena, n * sizeof *blk);
    for (uint32_t i = 0, k = 0; i < e->nfields; i++) {
        const sh_field *f = e->fields[i];
        if (f->derived) continue;
        sh_field *g = &blk[k];
        *g = *f;
        /* a value added to the copy must not land in e's array: the array
         * is full as far as the copy knows, and grows into r's arena */
        if (f->vals == &f->inl) g->vals = &g->inl;
        else g->vcap = g->nvals;
        r->fields[k++] = g;
    }
    r->nfields = n;
    if (n == e->nfields) {
        /* the same fields in the same places: the same index */
        r->icap = e->icap;
        r->index = sh_arena_alloc(&r->arena, r->icap * sizeof *r->index);
        memcpy(r->index, e->index, r->icap * sizeof *r->index);
    } else {
        uint32_t cap = FIRST_INDEX;
        while ((n + 1) * 2 > cap) cap *= 2;
        index_rebuild(r, cap);
    }
    return r;
}

uint8_t *sh_event_memo_new(sh_event *e, uint8_t **tab, uint32_t *ntab, uint32_t size) {
    *tab = sh_arena_alloc(&e->arena, size + 1);
    memset(*tab, 0, size + 1);
    *ntab = size;
    return *tab;
}

/* the second and later values of a field */
sh_value *sh_event_value_slot_more(sh_event *e, sh_field *f) {
    if (f->vals == &f->inl) {
        uint32_t cap = 4;
        sh_value *nv = sh_arena_alloc(&e->arena, cap * sizeof *nv);
        nv[0] = f->inl;
        f->vals = nv;
        f->vcap = cap;
    } else if (f->nvals == f->vcap) {
        uint32_t cap = f->vcap * 2;
        sh_value *nv = sh_arena_alloc(&e->arena, cap * sizeof *nv);
        memcpy(nv, f->vals, f->nvals * sizeof *nv);
        f->vals = nv;
        f->vcap = cap;
    }
    return &f->vals[f->nvals];
}

static sh_field *field_named(sh_event *e, const char *name) {
    return sh_event_field_get_or_add(e, name, strlen(name), NULL);
}

void sh_event_add_str(sh_event *e, const char *name, const char *s, size_t n) {
    sh_field *f = field_named(e, name);
    sh_value v = sh_value_str(sh_arena_strndup(&e->arena, s, n), n);
    sh_event_add_value(e, f, &v);
}

void sh_event_add_int(sh_event *e, const char *name, int64_t i) {
    sh_field *f = field_named(e, name);
    sh_value v = sh_value_int(&e->arena, i);
    sh_event_add_value(e, f, &v);
}

void sh_event_add_float(sh_event *e, const char *name, double d) {
    sh_field *f = field_named(e, name);
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "%.17g", d);
    sh_value v = {.type = SH_FLOAT, .f = d, .s = sh_arena_strndup(&e->arena, tmp, (size_t)n), .len = (uint32_t)n};
    sh_event_add_value(e, f, &v);
}

void sh_event_add_bool(sh_event *e, const char *name, bool b) {
    sh_field *f = field_named(e, name);
    sh_value v = {.type = SH_BOOL, .b = b, .i = b, .s = b ? "true" : "false", .len = b ? 4 : 5};
    sh_event_add_value(e, f, &v);
}

void sh_event_add_null(sh_event *e, const char *name) {
    sh_field *f = field_named(e, name);
    sh_value v = sh_value_null();
    sh_event_add_value(e, f, &v);
}

/* ---------------------------------------------------------------- values */

sh_value sh_value_int(sh_arena *a, int64_t i) {
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%" PRId64, i);
    sh_value v = {.type = SH_INT, .i = i, .f = (double)i, .s = sh_arena_strndup(a, tmp, (size_t)n), .len = (uint32_t)n};
    return v;
}

sh_value sh_value_null(void) {
    sh_value v = {.type = SH_NULL, .s = "null", .len = 4};
    return v;
}

bool sh_value_is_true(const sh_value *v) {
    switch (v->type) {
    case SH_BOOL: return v->b;
    case SH_INT: return v->i != 0;
    case SH_FLOAT: return v->f != 0;
    case SH_STR: return v->len > 0;
    default: return false;
    }
}

/* ---------------------------------------------------------------- output */

static void value_json(const sh_value *v, sh_buf *out) {
    switch (v->type) {
    case SH_NULL: sh_buf_put(out, "null", 4); break;
    case SH_BOOL: sh_buf_puts(out, v->b ? "true" : "false"); break;
    case SH_INT:
    case SH_FLOAT: sh_buf_put(out, v->s, v->len); break;
    default: sh_buf_json_str(out, v->s, v->len); break;
    }
}

void sh_event_to_json(const sh_event *e, sh_buf *out, bool prefer_raw) {
    if (prefer_raw && e->raw && e->raw_kind == SH_RAW_JSON) {
        sh_json_minify(e->raw, e->raw_len, out);
        return;
    }
    sh_buf_putc(out, '{');
    bool first = true;
    for (uint32_t i = 0; i < e->nfields; i++) {
        const sh_field *f = e->fields[i];
        if (f->derived) continue;
        if (!first) sh_buf_putc(out, ',');
        first = false;
        sh_buf_json_str(out, f->name, f->nlen);
        sh_buf_putc(out, ':');
        if (f->is_array || f->nvals != 1) {
            sh_buf_putc(out, '[');
            for (uint32_t k = 0; k < f->nvals; k++) {
                if (k) sh_buf_putc(out, ',');
                value_json(&f->vals[k], out);
            }
            sh_buf_putc(out, ']');
        } else {
            value_json(&f->vals[0], out);
        }
    }
    sh_buf_putc(out, '}');
}
