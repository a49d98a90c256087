/* fieldmap.c: the field model (see fieldmap.h and data/fieldmap.tsv).
 * The mapping table is parsed once; field references are interned so that a
 * rule resolves each name once, at load time, and the per-event path is a
 * hash lookup, with derivation only when an event lacks the field. */
#include "event/fieldmap.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char sh_fieldmap_builtin[];

enum dfunc { DF_REGKEY, DF_REGHIVE, DF_HASH, DF_COPY, DF_BASENAME, DF_DIRNAME, DF_EXTENSION, DF_ARGV, DF_BEFORE_BS, DF_AFTER_BS, DF_CONST, DF_INT, DF_JOIN_BS, DF_JOIN_SP, DF_PREFIX, DF_EPOCH, DF_RAW };

typedef struct cond {
    const sh_fieldref *field;     /* NULL: the pseudo-field @schema (the event's sh_schema) */
    char **vals;
    uint32_t *lens;               /* of vals */
    size_t nvals;
    uint32_t id;                  /* the same for the same test in every row: an event
                                   * remembers each test's result (sh_event.cmemo) */
} cond;

/* distinct conditions (field and value text) numbered */
static sh_numbering g_conds = SH_NUMBERING_INIT;

struct sh_derivation {
    sh_derivation *next;
    enum dfunc fn;
    const sh_fieldref *source;    /* NULL when the table says '-' */
    const sh_fieldref *other;     /* join_bs: the field after the backslash */
    char *constval;
    cond *conds;
    size_t nconds;
    uint8_t views;                /* bit per sh_fieldview the row serves (@view=) */
};

typedef struct map_entry {
    char *name;
    sh_derivation *first;
    sh_derivation *file_last;     /* the last row a --fieldmap file put in front */
    struct map_entry *next;
} map_entry;

struct sh_fieldmap {
    map_entry *buckets[1024];
};

typedef struct ref_entry {
    sh_fieldref ref;
    struct ref_entry *next;
} ref_entry;

static sh_fieldmap g_map;
static ref_entry *g_refs[4096];
static unsigned g_map_gen = 1;     /* changes with every set of rows loaded */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void *xcalloc(size_t n, size_t k) {
    void *p = calloc(n ? n : 1, k);
    if (!p) abort();
    return p;
}

static char *xstrndup(const char *s, size_t n) {
    char *p = xcalloc(n + 1, 1);
    memcpy(p, s, n);
    return p;
}

static map_entry *map_find(sh_fieldmap *m, const char *name, size_t n, bool create) {
    uint32_t h = sh_hash(name, n) & 1023;
    for (map_entry *e = m->buckets[h]; e; e = e->next)
        if (strlen(e->name) == n && memcmp(e->name, name, n) == 0) return e;
    if (!create) return NULL;
    map_entry *e = xcalloc(1, sizeof *e);
    e->name = xstrndup(name, n);
    e->next = m->buckets[h];
    m->buckets[h] = e;
    return e;
}

static const sh_fieldref *ref_get_locked(const char *name, size_t n);
static const sh_fieldref *ref_get_view_locked(const char *name, size_t n, sh_fieldview view);

static bool parse_func(const char *s, size_t n, sh_derivation *d) {
    static const struct { const char *name; enum dfunc fn; } fns[] = {
        {"copy", DF_COPY}, {"basename", DF_BASENAME}, {"dirname", DF_DIRNAME},
        {"extension", DF_EXTENSION}, {"argv", DF_ARGV}, {"before_bs", DF_BEFORE_BS},
        {"after_bs", DF_AFTER_BS}, {"int", DF_INT}, {"regkey", DF_REGKEY}, {"reghive", DF_REGHIVE},
        {"join", DF_JOIN_SP}, {"epoch", DF_EPOCH}, {"raw", DF_RAW}};
    if (n > 5 && memcmp(s, "hash:", 5) == 0) {
        d->fn = DF_HASH;
        d->constval = xstrndup(s + 5, n - 5);
        return true;
    }
    if (n > 8 && memcmp(s, "join_bs:", 8) == 0) {
        d->fn = DF_JOIN_BS;
        d->other = ref_get_locked(s + 8, n - 8);
        return true;
    }
    if (n > 7 && memcmp(s, "prefix:", 7) == 0) {
        d->fn = DF_PREFIX;
        d->constval = xstrndup(s + 7, n - 7);
        return true;
    }
    if (n > 6 && memcmp(s, "const:", 6) == 0) {
        d->fn = DF_CONST;
        d->constval = xstrndup(s + 6, n - 6);
        return true;
    }
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (strlen(fns[i].name) == n && memcmp(fns[i].name, s, n) == 0) {
            d->fn = fns[i].fn;
            return true;
        }
    return false;
}

/* the number of a condition: its field (refs are interned, never freed)
 * and its value text */
static uint32_t cond_id(const sh_fieldref *field, const char *text, size_t n) {
    char sig[sizeof field + 512];
    if (n > 512) return UINT32_MAX;     /* not remembered */
    memcpy(sig, &field, sizeof field);
    memcpy(sig + sizeof field, text, n);
    return sh_number(&g_conds, sig, sizeof field + n, UINT32_MAX);
}

static bool parse_conds(const char *s, size_t n, sh_derivation *d) {
    const char *end = s + n;
    while (s < end) {
        const char *semi = memchr(s, ';', (size_t)(end - s));
        if (!semi) semi = end;
        const char *eq = memchr(s, '=', (size_t)(semi - s));
        if (!eq) return false;
        if ((size_t)(eq - s) == 5 && memcmp(s, "@view", 5) == 0) {
            /* @view=splunk|default: the views the row serves (not a condition) */
            d->views = 0;
            for (const char *v = eq + 1; v < semi;) {
                const char *bar = memchr(v, '|', (size_t)(semi - v));
                if (!bar) bar = semi;
                if (bar - v == 6 && !memcmp(v, "splunk", 6)) d->views |= 1u << SH_VIEW_SPLUNK;
                else if (bar - v == 7 && !memcmp(v, "default", 7)) d->views |= 1u << SH_VIEW_DEFAULT;
                else return false;
                v = bar + 1;
            }
            if (!d->views) return false;
            s = semi + 1;
            continue;
        }
        d->conds = realloc(d->conds, (d->nconds + 1) * sizeof *d->conds);
        if (!d->conds) abort();
        cond *c = &d->conds[d->nconds++];
        memset(c, 0, sizeof *c);
        /* @schema=windows|ecs|macos_es|generic tests the event's schema, not a field */
        bool schema = (size_t)(eq - s) == 7 && memcmp(s, "@schema", 7) == 0;
        c->field = schema ? NULL : ref_get_locked(s, (size_t)(eq - s));
        c->id = cond_id(c->field, eq + 1, (size_t)(semi - eq - 1));
        const char *v = eq + 1;
        while (v <= semi) {
            const char *bar = memchr(v, '|', (size_t)(semi - v));
            if (!bar) bar = semi;
            c->vals = realloc(c->vals, (c->nvals + 1) * sizeof *c->vals);
            c->lens = realloc(c->lens, (c->nvals + 1) * sizeof *c->lens);
            if (!c->vals || !c->lens) abort();
            c->lens[c->nvals] = (uint32_t)(bar - v);
            c->vals[c->nvals++] = xstrndup(v, (size_t)(bar - v));
            v = bar + 1;
        }
        s = semi + 1;
    }
    return true;
}

/* Parse table text; rows are appended (prepend=false) or put before the
 * existing rows of the same name (prepend=true). */
static int load_text(sh_fieldmap *m, const char *text, const char *file, bool prepend, sh_diag *dg) {
    long line = 0;
    const char *p = text;
    while (*p) {
        line++;
        const char *eol = strchr(p, '\n');
        if (!eol) eol = p + strlen(p);
        const char *cols[4] = {0};
        size_t lens[4] = {0};
        int nc = 0;
        if (*p != '#' && eol > p) {
            const char *q = p;
            while (q <= eol && nc < 4) {
                const char *tab = memchr(q, '\t', (size_t)(eol - q));
                if (!tab) tab = eol;
                cols[nc] = q;
                lens[nc] = (size_t)(tab - q);
                if (lens[nc] && cols[nc][lens[nc] - 1] == '\r') lens[nc]--;
                nc++;
                q = tab + 1;
            }
            if (nc < 3) {
                sh_diag_set(dg, file, line, 0, "field map row needs WANTED, FUNCTION and SOURCE separated by tabs");
                return -1;
            }
            sh_derivation *d = xcalloc(1, sizeof *d);
            d->views = 1u << SH_VIEW_DEFAULT;
            if (!parse_func(cols[1], lens[1], d)) {
                sh_diag_set(dg, file, line, 0, "unknown field map function '%.*s'", (int)lens[1], cols[1]);
                free(d);
                return -1;
            }
            bool none = lens[2] == 1 && cols[2][0] == '-';
            if (none && d->fn != DF_CONST && d->fn != DF_EPOCH && d->fn != DF_RAW) {
                sh_diag_set(dg, file, line, 0, "field map function '%.*s' needs a SOURCE field", (int)lens[1], cols[1]);
                free(d);
                return -1;
            }
            /* const with a SOURCE: the constant, for events that have SOURCE */
            if (!none) d->source = ref_get_locked(cols[2], lens[2]);
            if (nc >= 4 && lens[3] && !parse_conds(cols[3], lens[3], d)) {
                sh_diag_set(dg, file, line, 0, "bad field map condition '%.*s' (want FIELD=V1|V2;FIELD=V)", (int)lens[3], cols[3]);
                return -1;
            }
            map_entry *e = map_find(m, cols[0], lens[0], true);
            if (prepend && e->file_last) {       /* after this file's earlier rows */
                d->next = e->file_last->next;
                e->file_last->next = d;
                e->file_last = d;
            } else if (prepend) {                /* in front of the built-in rows */
                d->next = e->first;
                e->first = d;
                e->file_last = d;
            } else {
                sh_derivation **tail = &e->first;
                while (*tail) tail = &(*tail)->next;
                *tail = d;
            }
        }
        p = *eol ? eol + 1 : eol;
    }
    return 0;
}

/* refs made before rows for their name were read: point them at the rows */
static void refresh_refs_locked(sh_fieldmap *m) {
    for (size_t i = 0; i < 4096; i++)
        for (ref_entry *r = g_refs[i]; r; r = r->next) {
            map_entry *e = map_find(m, r->ref.name, r->ref.nlen, false);
            r->ref.derivs = e ? e->first : NULL;
        }
}

static void init_default(void) {
    sh_diag d;
    pthread_mutex_lock(&g_lock);
    if (load_text(&g_map, sh_fieldmap_builtin, "data/fieldmap.tsv", false, &d) != 0) abort(); /* built-in table is tested */
    refresh_refs_locked(&g_map);
    pthread_mutex_unlock(&g_lock);
}

sh_fieldmap *sh_fieldmap_default_mut(void) {
    pthread_once(&g_once, init_default);
    return &g_map;
}

int sh_fieldmap_load_text(sh_fieldmap *m, const char *text, const char *origin, sh_diag *d) {
    pthread_once(&g_once, init_default);
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < 1024; i++)
        for (map_entry *e = m->buckets[i]; e; e = e->next) e->file_last = NULL;
    int rc = load_text(m, text, origin, true, d);
    refresh_refs_locked(m);
    __atomic_add_fetch(&g_map_gen, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&g_lock);
    return rc;
}

int sh_fieldmap_load_file(sh_fieldmap *m, const char *path, sh_diag *d) {
    size_t len;
    char *text = sh_read_file(path, &len, d);
    if (!text) return -1;
    int rc = sh_fieldmap_load_text(m, text, path, d);
    free(text);
    return rc;
}

int sh_fieldmap_set_splunk(sh_fieldmap *m, const char *index, sh_splunk_st st, sh_diag *d) {
    sh_buf rows = {0};
    if (index) {
        /* Splunk index names: lower-case letters, digits, '_' and '-', not first */
        size_t n = strlen(index);
        bool ok = n > 0 && n <= 80 && index[0] != '_' && index[0] != '-';
        for (size_t i = 0; i < n && ok; i++)
            ok = (index[i] >= 'a' && index[i] <= 'z') || (index[i] >= '0' && index[i] <= '9') || index[i] == '_' ||
                 index[i] == '-';
        if (!ok) {
            sh_diag_set(d, "", 0, 0, "'%s' is not a Splunk index name (lower-case letters, digits, '_' and '-'; not first)",
                        index);
            return -1;
        }
        sh_buf_printf(&rows, "index\tconst:%s\tChannel\t@view=splunk\n", index);
    }
    if (st != SH_SPLUNK_ST_AUTO) {
        const char *p = st == SH_SPLUNK_ST_XML ? "XmlWinEventLog:" : "WinEventLog:";
        sh_buf_printf(&rows, "sourcetype\tprefix:%s\tChannel\t@view=splunk\nsource\tprefix:%s\tChannel\t@view=splunk\n", p, p);
    }
    int rc = 0;
    if (rows.len) {
        sh_buf_putc(&rows, 0);
        rc = sh_fieldmap_load_text(m, rows.data, "splunk settings", d);
    }
    sh_buf_free(&rows);
    return rc;
}

static const sh_fieldref *ref_get_view_locked(const char *name, size_t n, sh_fieldview view) {
    uint32_t h = sh_hash(name, n);
    uint32_t slot = (h + view) & 4095;
    for (ref_entry *r = g_refs[slot]; r; r = r->next)
        if (r->ref.hash == h && r->ref.view == view && r->ref.nlen == n && memcmp(r->ref.name, name, n) == 0)
            return &r->ref;
    ref_entry *r = xcalloc(1, sizeof *r);
    r->ref.name = xstrndup(name, n);
    r->ref.nlen = (uint32_t)n;
    r->ref.hash = h;
    r->ref.view = (uint8_t)view;
    map_entry *e = map_find(&g_map, name, n, false);
    r->ref.derivs = e ? e->first : NULL;
    if (view == SH_VIEW_DEFAULT) {
        r->ref.cname = r->ref.name;
        r->ref.cnlen = r->ref.nlen;
        r->ref.chash = h;
    } else {
        /* a name no reader makes (invalid UTF-8): only derived values are
         * ever found under it */
        char *c = xcalloc(n + 9, 1);
        memcpy(c, "\xffsplunk:", 8);
        memcpy(c + 8, name, n);
        r->ref.cname = c;
        r->ref.cnlen = (uint32_t)n + 8;
        r->ref.chash = sh_hash(c, n + 8);
        if (n < 200 && memchr(name, '.', n) == NULL) {
            char ed[224];
            memcpy(ed, "winlog.event_data.", 18);
            memcpy(ed + 18, name, n);
            r->ref.event_data = ref_get_view_locked(ed, n + 18, SH_VIEW_DEFAULT);
        }
    }
    r->next = g_refs[slot];
    g_refs[slot] = r;
    return &r->ref;
}

static const sh_fieldref *ref_get_locked(const char *name, size_t n) {
    return ref_get_view_locked(name, n, SH_VIEW_DEFAULT);
}

const sh_fieldref *sh_fieldref_get_view(const char *name, size_t nlen, sh_fieldview view) {
    pthread_once(&g_once, init_default);
    pthread_mutex_lock(&g_lock);
    const sh_fieldref *r = ref_get_view_locked(name, nlen, view);
    pthread_mutex_unlock(&g_lock);
    return r;
}

const sh_fieldref *sh_fieldref_get(const char *name, size_t nlen) {
    return sh_fieldref_get_view(name, nlen, SH_VIEW_DEFAULT);
}

/* ------------------------------------------------------------ derivation */

/* The refs being derived, outermost first: the table has cycles (Image from
 * process.executable and back), which a lookup must not follow. */
typedef struct dstack {
    const sh_fieldref *refs[8];
    int n;
    int low;            /* the lowest index of a ref whose lookup was refused (as a cycle)
                         * within the lookup being made; -1 for the depth limit, INT_MAX none */
} dstack;

/* Around a lookup made at depth n: its result holds in any context when
 * the refusals within it concern only refs at depth n or deeper. */
static int low_enter(dstack *st) {
    int low0 = st->low;
    st->low = INT_MAX;
    return low0;
}
static bool low_leave(dstack *st, int low0, int n) {
    int sub = st->low;
    st->low = low0 < sub ? low0 : sub;
    return sub >= n;
}
static sh_field *get_depth(sh_event *e, const sh_fieldref *ref, dstack *st);

static const char *const schema_names[] = {"generic", "windows", "ecs", "macos_es"};

static bool cond_test(sh_event *e, const cond *c, dstack *st);

/* a condition's result, remembered by the event unless a lookup it made
 * was refused by the cycle guard (then it may differ elsewhere) */
static bool cond_holds(sh_event *e, const cond *c, dstack *st) {
    if (e->changed) return cond_test(e, c, st);
    uint8_t *m = sh_event_memo(e, &e->cmemo, &e->ncmemo, sh_numbered(&g_conds), c->id);
    if (m && *m) return *m == 2;
    int low0 = low_enter(st);
    bool r = cond_test(e, c, st);
    if (low_leave(st, low0, st->n) && m) *m = r ? 2 : 1;
    return r;
}

static bool cond_test(sh_event *e, const cond *c, dstack *st) {
    if (!c->field) {
        const char *name = e->schema < sizeof schema_names / sizeof *schema_names ? schema_names[e->schema] : "";
        for (size_t i = 0; i < c->nvals; i++)
            if (sh_memieq(name, strlen(name), c->vals[i], c->lens[i])) return true;
        return false;
    }
    sh_field *f = get_depth(e, c->field, st);
    if (!f) return false;
    for (uint32_t k = 0; k < f->nvals; k++)
        for (size_t i = 0; i < c->nvals; i++)
            if (sh_memieq(f->vals[k].s, f->vals[k].len, c->vals[i], c->lens[i])) return true;
    return false;
}

static const char *last_sep(const char *s, size_t n) {
    for (size_t i = n; i > 0; i--)
        if (s[i - 1] == '\\' || s[i - 1] == '/') return s + i - 1;
    return NULL;
}

static void add_slice(sh_event *e, sh_field *out, const char *s, size_t n) {
    sh_value v = sh_value_str(sh_arena_strndup(&e->arena, s, n), n);
    sh_event_add_value(e, out, &v);
}

static bool parse_int_text(const char *s, size_t n, int64_t *out) {
    if (!n || n > 30) return false;
    char tmp[32];
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end;
    long long v = strtoll(tmp, &end, (n > 2 && tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X')) ? 16 : 10);
    if (*end) return false;
    *out = v;
    return true;
}

static void derive_value(sh_event *e, const sh_derivation *d, const sh_value *v, sh_field *out) {
    const char *s = v->s;
    size_t n = v->len;
    switch (d->fn) {
    case DF_COPY: sh_event_add_value(e, out, v); break;
    case DF_BASENAME: {
        const char *sep = last_sep(s, n);
        if (sep) add_slice(e, out, sep + 1, n - (size_t)(sep + 1 - s));
        else sh_event_add_value(e, out, v);
        break;
    }
    case DF_DIRNAME: {
        const char *sep = last_sep(s, n);
        if (sep) add_slice(e, out, s, (size_t)(sep - s));
        break;
    }
    case DF_EXTENSION: {
        const char *sep = last_sep(s, n);
        const char *b = sep ? sep + 1 : s;
        const char *dot = NULL;
        for (const char *q = b; q < s + n; q++)
            if (*q == '.') dot = q;
        if (dot && dot + 1 < s + n) add_slice(e, out, dot + 1, (size_t)(s + n - dot - 1));
        break;
    }
    case DF_ARGV:
        out->is_array = true;
        sh_split_cmdline(e, out, s, n);
        break;
    case DF_BEFORE_BS: {
        const char *bs = memchr(s, '\\', n);
        if (bs) add_slice(e, out, s, (size_t)(bs - s));
        break;
    }
    case DF_AFTER_BS: {
        const char *bs = memchr(s, '\\', n);
        if (bs) add_slice(e, out, bs + 1, n - (size_t)(bs + 1 - s));
        else sh_event_add_value(e, out, v);
        break;
    }
    case DF_INT: {
        int64_t i;
        if (v->type == SH_INT) sh_event_add_value(e, out, v);
        else if (parse_int_text(s, n, &i)) {
            sh_value iv = sh_value_int(&e->arena, i);
            sh_event_add_value(e, out, &iv);
        } else sh_event_add_value(e, out, v);
        break;
    }
    case DF_REGKEY: {
        /* HKLM\SOFTWARE\X\Value -> SOFTWARE\X (ECS leaves out the hive and the value) */
        const char *bs = memchr(s, '\\', n);
        const char *sep = last_sep(s, n);
        if (bs && sep > bs) add_slice(e, out, bs + 1, (size_t)(sep - bs - 1));
        break;
    }
    case DF_REGHIVE: {
        const char *bs = memchr(s, '\\', n);
        if (bs) add_slice(e, out, s, (size_t)(bs - s));
        break;
    }
    case DF_HASH: {
        /* "SHA1=..,MD5=..,SHA256=..": the named algorithm's value, lower-cased as ECS has it */
        size_t kl = strlen(d->constval);
        for (size_t i = 0; i + kl < n; i++) {
            if ((i == 0 || s[i - 1] == ',') && s[i + kl] == '=' && sh_memieq(s + i, kl, d->constval, kl)) {
                const char *h = s + i + kl + 1;
                size_t hl = 0;
                while (h + hl < s + n && h[hl] != ',') hl++;
                char *low = sh_arena_alloc(&e->arena, 2 * hl + 1);
                size_t ll = sh_utf8_lower(h, hl, low);
                low[ll] = 0;
                sh_value hv = sh_value_str(low, ll);
                sh_event_add_value(e, out, &hv);
                break;
            }
        }
        break;
    }
    case DF_PREFIX: {
        size_t pl = strlen(d->constval);
        char *t = sh_arena_alloc(&e->arena, pl + n + 1);
        memcpy(t, d->constval, pl);
        memcpy(t + pl, s, n);
        t[pl + n] = 0;
        sh_value pv = sh_value_str(t, pl + n);
        sh_event_add_value(e, out, &pv);
        break;
    }
    case DF_CONST:
    case DF_EPOCH:
    case DF_RAW:
    case DF_JOIN_BS:
    case DF_JOIN_SP: break; /* get_depth makes these */
    }
}

/* join_bs:OTHER: SOURCE\OTHER (DOMAIN\user from two fields), first values */
static void derive_join(sh_event *e, const sh_field *src, const sh_field *other, sh_field *out) {
    const sh_value *a = &src->vals[0], *b = &other->vals[0];
    char *t = sh_arena_alloc(&e->arena, (size_t)a->len + b->len + 2);
    memcpy(t, a->s, a->len);
    t[a->len] = '\\';
    memcpy(t + a->len + 1, b->s, b->len);
    t[a->len + 1 + b->len] = 0;
    sh_value v = sh_value_str(t, (size_t)a->len + 1 + b->len);
    sh_event_add_value(e, out, &v);
}

/* join: every value of SOURCE joined with single spaces into one value (an
 * argument vector into a command line, as macOS sources have none); values
 * are not quoted */
static void derive_join_sp(sh_event *e, const sh_field *src, sh_field *out) {
    size_t n = 0;
    for (uint32_t k = 0; k < src->nvals; k++) n += (size_t)src->vals[k].len + 1;
    char *t = sh_arena_alloc(&e->arena, n + 1);
    size_t at = 0;
    for (uint32_t k = 0; k < src->nvals; k++) {
        if (k) t[at++] = ' ';
        memcpy(t + at, src->vals[k].s, src->vals[k].len);
        at += src->vals[k].len;
    }
    t[at] = 0;
    sh_value v = sh_value_str(t, at);
    sh_event_add_value(e, out, &v);
}


/* _time as Splunk has it: epoch seconds, milliseconds as the fraction */
static void derive_epoch(sh_event *e, sh_field *out) {
    int64_t ms = e->ts / 1000000 - (e->ts % 1000000 < 0);
    int64_t sec = ms / 1000 - (ms % 1000 < 0);
    int frac = (int)(ms - sec * 1000);
    char t[40];
    int n = snprintf(t, sizeof t, "%lld.%03d", (long long)sec, frac);
    sh_value v = {.type = SH_FLOAT, .f = (double)sec + frac / 1000.0, .s = sh_arena_strndup(&e->arena, t, (size_t)n),
                  .len = (uint32_t)n};
    sh_event_add_value(e, out, &v);
}

/* _raw: the event's text as read (the <Event> element, the JSON document),
 * else its fields as one JSON object */
static void derive_raw(sh_event *e, sh_field *out) {
    sh_value v;
    if (e->raw) {
        v = sh_value_str(e->raw, e->raw_len);
    } else {
        sh_buf b = {0};
        sh_event_to_json(e, &b, false);
        v = sh_value_str(sh_arena_strndup(&e->arena, b.data ? b.data : "", b.len), b.len);
        sh_buf_free(&b);
    }
    sh_event_add_value(e, out, &v);
}

static sh_field *get_depth(sh_event *e, const sh_fieldref *ref, dstack *st) {
    sh_field *f;
    if (e->plain) {
        f = sh_event_find(e, ref->name, ref->nlen, ref->hash);
        return f && !f->derived ? f : NULL;
    }
    if (ref->view != SH_VIEW_DEFAULT) {
        /* the event's own field, never another view's derivation */
        f = sh_event_find(e, ref->name, ref->nlen, ref->hash);
        if (f && !f->derived) return f;
    }
    f = sh_event_find(e, ref->cname, ref->cnlen, ref->chash);
    if (f) return (f->derived && f->nvals == 0 && !f->is_array) ? NULL : f;
    if (!ref->derivs && !ref->event_data) return NULL;
    if (st->n >= 8) {
        st->low = -1;
        return NULL;
    }
    for (int i = 0; i < st->n; i++)
        if (st->refs[i] == ref) {
            if (i < st->low) st->low = i;
            return NULL;
        }
    int depth = st->n;
    st->refs[st->n++] = ref;
    int low0 = low_enter(st);
    sh_field *out = NULL;
    for (const sh_derivation *d = ref->derivs; d && !out; d = d->next) {
        if (!(d->views & (1u << ref->view))) continue;
        /* the row's conditions first: they are remembered by the event and
         * mostly decide (a macOS row on a Windows event), where the source
         * may be a chain of derivations */
        bool ok = true;
        for (size_t i = 0; i < d->nconds && ok; i++) ok = cond_holds(e, &d->conds[i], st);
        if (!ok) continue;
        sh_field *src = NULL, *other = NULL;
        if (d->source) {
            src = get_depth(e, d->source, st);
            if (!src) continue;
        }
        if (d->fn == DF_JOIN_BS) {
            other = get_depth(e, d->other, st);
            if (!other || !src->nvals || !other->nvals || src->vals[0].type == SH_NULL ||
                other->vals[0].type == SH_NULL)
                continue;
        }
        if (d->fn == DF_EPOCH && e->ts == SH_TS_NONE) continue;
        out = sh_event_field_get_or_add_interned(e, ref->cname, ref->cnlen, ref->chash);
        if (out->nvals) break; /* derived meanwhile by an inner lookup */
        out->derived = true;
        if (d->fn == DF_CONST) {
            sh_value v = sh_value_str(d->constval, strlen(d->constval));
            sh_event_add_value(e, out, &v);
        } else if (d->fn == DF_EPOCH) {
            derive_epoch(e, out);
        } else if (d->fn == DF_RAW) {
            derive_raw(e, out);
        } else if (d->fn == DF_JOIN_BS) {
            derive_join(e, src, other, out);
        } else if (d->fn == DF_JOIN_SP) {
            derive_join_sp(e, src, out);
        } else {
            for (uint32_t k = 0; k < src->nvals; k++) {
                sh_value v = src->vals[k];
                derive_value(e, d, &v, out);
            }
            if (src->is_array) out->is_array = true;
        }
    }
    if (!out && ref->event_data && e->schema == SH_SCHEMA_ECS) {
        /* Splunk view of an Elastic document: its Windows event data by name */
        sh_field *src = get_depth(e, ref->event_data, st);
        if (src) {
            out = sh_event_field_get_or_add_interned(e, ref->cname, ref->cnlen, ref->chash);
            if (!out->nvals) {
                out->derived = true;
                for (uint32_t k = 0; k < src->nvals; k++) sh_event_add_value(e, out, &src->vals[k]);
                out->is_array = src->is_array;
            }
        }
    }
    st->n--;
    /* a miss is remembered, unless it may come from the cycle guard's
     * refusal of a ref being derived further out (the outermost lookup's
     * is always right) */
    bool context_free = low_leave(st, low0, depth);
    if (!out && (depth == 0 || context_free)) {
        sh_field *neg = sh_event_field_get_or_add_interned(e, ref->cname, ref->cnlen, ref->chash);
        neg->derived = true;
    }
    return out;
}

sh_field *sh_event_get(sh_event *e, const sh_fieldref *ref) {
    dstack st = {.n = 0, .low = INT_MAX};
    return get_depth(e, ref, &st);
}

/* ------------------------------------------------------------ dependencies */

unsigned sh_fieldmap_generation(void) { return __atomic_load_n(&g_map_gen, __ATOMIC_ACQUIRE); }

static int add_name(sh_rawname *out, int n, int max, const char *name, uint32_t nlen, uint32_t hash) {
    if (n < 0) return n;
    for (int i = 0; i < n; i++)
        if (out[i].hash == hash && out[i].nlen == nlen && !memcmp(out[i].name, name, nlen)) return n;
    if (n == max) return -1;
    out[n] = (sh_rawname){.name = name, .nlen = nlen, .hash = hash};
    return n + 1;
}

/* a row applies to events of the schema: none of its conditions is an
 * @schema test the schema fails */
static bool row_for_schema(const sh_derivation *d, unsigned schema) {
    const char *name = schema < sizeof schema_names / sizeof *schema_names ? schema_names[schema] : "";
    for (size_t i = 0; i < d->nconds; i++) {
        const cond *c = &d->conds[i];
        if (c->field) continue;
        bool ok = false;
        for (size_t k = 0; k < c->nvals && !ok; k++) ok = sh_memieq(name, strlen(name), c->vals[k], c->lens[k]);
        if (!ok) return false;
    }
    return true;
}

/* every name get_depth may look up for ref on an event of the schema, and
 * the names its rows' conditions, sources and joins look up in turn */
static int deps_walk(const sh_fieldref *ref, unsigned schema, sh_rawname *out, int n, int max,
                     const sh_fieldref **seen, int *nseen) {
    for (int i = 0; i < *nseen; i++)
        if (seen[i] == ref) return n;
    if (*nseen == 64) return -1;
    seen[(*nseen)++] = ref;
    /* (a view's own cache name is no event's own field) */
    n = add_name(out, n, max, ref->name, ref->nlen, ref->hash);
    for (const sh_derivation *d = ref->derivs; d && n >= 0; d = d->next) {
        if (!(d->views & (1u << ref->view)) || !row_for_schema(d, schema)) continue;
        if (d->fn == DF_EPOCH || d->fn == DF_RAW) return -1;   /* the event's time or text */
        for (size_t i = 0; i < d->nconds && n >= 0; i++)
            if (d->conds[i].field) n = deps_walk(d->conds[i].field, schema, out, n, max, seen, nseen);
        if (d->source && n >= 0) n = deps_walk(d->source, schema, out, n, max, seen, nseen);
        if (d->other && n >= 0) n = deps_walk(d->other, schema, out, n, max, seen, nseen);
    }
    if (ref->event_data && schema == SH_SCHEMA_ECS && n >= 0)
        n = deps_walk(ref->event_data, schema, out, n, max, seen, nseen);
    return n;
}

int sh_fieldref_deps(const sh_fieldref *ref, unsigned schema, sh_rawname *out, int max) {
    const sh_fieldref *seen[64];
    int nseen = 0;
    pthread_once(&g_once, init_default);
    pthread_mutex_lock(&g_lock);
    int n = deps_walk(ref, schema, out, 0, max, seen, &nseen);
    pthread_mutex_unlock(&g_lock);
    return n;
}

/* ------------------------------------------------------------ argv */

void sh_split_cmdline(sh_event *e, sh_field *f, const char *cmd, size_t n) {
    sh_buf arg = {0};
    size_t i = 0;
    /* program name: up to the closing quote, or to whitespace; no escapes */
    while (i < n && (cmd[i] == ' ' || cmd[i] == '\t')) i++;
    if (i >= n) return;
    if (cmd[i] == '"') {
        size_t st = ++i;
        while (i < n && cmd[i] != '"') i++;
        add_slice(e, f, cmd + st, i - st);
        if (i < n) i++;
    } else {
        size_t st = i;
        while (i < n && cmd[i] != ' ' && cmd[i] != '\t') i++;
        add_slice(e, f, cmd + st, i - st);
    }
    for (;;) {
        while (i < n && (cmd[i] == ' ' || cmd[i] == '\t')) i++;
        if (i >= n) break;
        bool inq = false;
        sh_buf_clear(&arg);
        while (i < n) {
            char c = cmd[i];
            if ((c == ' ' || c == '\t') && !inq) break;
            if (c == '\\') {
                size_t bs = 0;
                while (i < n && cmd[i] == '\\') bs++, i++;
                if (i < n && cmd[i] == '"') {
                    for (size_t k = 0; k < bs / 2; k++) sh_buf_putc(&arg, '\\');
                    if (bs % 2) { sh_buf_putc(&arg, '"'); i++; }
                } else {
                    for (size_t k = 0; k < bs; k++) sh_buf_putc(&arg, '\\');
                }
                continue;
            }
            if (c == '"') {
                if (inq && i + 1 < n && cmd[i + 1] == '"') { sh_buf_putc(&arg, '"'); i += 2; continue; }
                inq = !inq;
                i++;
                continue;
            }
            sh_buf_putc(&arg, c);
            i++;
        }
        add_slice(e, f, arg.data ? arg.data : "", arg.len);
    }
    sh_buf_free(&arg);
}

/* ------------------------------------------------------------ finish */

static bool has(sh_event *e, const char *name) { return sh_event_find_cstr(e, name) != NULL; }

static int64_t ts_from_value(const sh_value *v) {
    /* numbers are epoch milliseconds (nanoseconds in 64 bits reach 2262) */
    if (v->type == SH_INT) return (v->i > -9000000000000LL && v->i < 9000000000000LL) ? v->i * 1000000 : SH_TS_NONE;
    if (v->type == SH_FLOAT) return (v->f > -9e12 && v->f < 9e12) ? (int64_t)(v->f * 1e6) : SH_TS_NONE;
    if (v->type != SH_STR || v->len == 0) return SH_TS_NONE;
    bool digits = true;
    for (uint32_t i = 0; i < v->len; i++)
        if (v->s[i] < '0' || v->s[i] > '9') { digits = false; break; }
    if (digits) {
        long long ms = v->len <= 13 ? strtoll(v->s, NULL, 10) : -1;
        return ms >= 0 && ms < 9000000000000LL ? ms * 1000000 : SH_TS_NONE;
    }
    return sh_parse_time(v->s, v->len);
}

/* eslogger (Endpoint Security) NDJSON: every message has event_type and the
 * acting process's audit token, and mach_time / global_seq_num */
static bool is_eslogger(sh_event *e) {
    return has(e, "event_type") && has(e, "process.audit_token.pid") &&
           (has(e, "mach_time") || has(e, "global_seq_num") || has(e, "schema_version"));
}

void sh_event_finish(sh_event *e) {
    if (e->schema == SH_SCHEMA_GENERIC && is_eslogger(e)) e->schema = SH_SCHEMA_MACOS_ES;
    if (e->schema == SH_SCHEMA_GENERIC) {
        if (has(e, "winlog.channel") || has(e, "ecs.version") || has(e, "agent.type") ||
            has(e, "event.category") || has(e, "event.kind"))
            e->schema = SH_SCHEMA_ECS;
        else if (has(e, "EventID") && (has(e, "Channel") || has(e, "Computer") || has(e, "Hostname")))
            e->schema = SH_SCHEMA_WINDOWS;
    }
    static const char *const ts_fields[] = {"@timestamp", "TimeCreated", "UtcTime", "_time", "timestamp", "time", "EventTime"};
    for (size_t i = 0; i < sizeof ts_fields / sizeof ts_fields[0]; i++) {
        sh_field *f = sh_event_find_cstr(e, ts_fields[i]);
        if (f && f->nvals) {
            int64_t ts = ts_from_value(&f->vals[0]);
            if (ts != SH_TS_NONE) {
                e->ts = ts;
                return;
            }
        }
    }
}
