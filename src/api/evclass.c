/* evclass.c: event classes (see evclass.h). */
#include "api/evclass.h"

#include <stdlib.h>
#include <string.h>

/* Fields that take few values over a log: the event's source and kind. */
static const char *const class_names[] = {
    "Channel", "EventID", "Provider_Name", "Qualifiers", "Version", "Level", "Task", "Opcode", "Keywords",
    "event.category", "event.type", "event.kind", "event.action", "event.code", "event.module",
    "event.dataset", "event.provider", "event.outcome", "event_type", "host.os.family", "host.os.type",
    "host.os.name", "host.os.platform", "agent.type", "data_stream.dataset", "data_stream.namespace",
    "data_stream.type", "ecs.version", "winlog.channel", "winlog.event_id", "winlog.provider_name",
    "winlog.api", "winlog.opcode", "winlog.task", "EventCode", "sourcetype", "source", "index", "LogName",
    "SourceName"};

static bool class_name(const char *s, uint32_t n) {
    /* Splunk's view of an Elastic document reads event data by name */
    if (n > 18 && !memcmp(s, "winlog.event_data.", 18)) s += 18, n -= 18;
    for (size_t i = 0; i < sizeof class_names / sizeof *class_names; i++)
        if (strlen(class_names[i]) == n && !memcmp(class_names[i], s, n)) return true;
    return false;
}

static int ref_deps(const sh_fieldref *ref, unsigned schema, sh_rawname *out, int max) {
    int n = sh_fieldref_deps(ref, schema, out, max);
    for (int i = 0; i < n; i++)
        if (!class_name(out[i].name, out[i].nlen)) return -1;
    return n;
}

bool sh_class_ref(const sh_fieldref *ref) {
    sh_rawname d[SH_CLASS_MAX_NAMES];
    for (unsigned sc = 0; sc < SH_CLASS_SCHEMAS; sc++)
        if (ref_deps(ref, sc, d, SH_CLASS_MAX_NAMES) < 0) return false;
    return true;
}

static bool key_has(const sh_classkey *k, unsigned sc, const sh_rawname *r) {
    for (int i = 0; i < k->n[sc]; i++) {
        const sh_rawname *x = &k->names[sc][i];
        if (x->hash == r->hash && x->nlen == r->nlen && !memcmp(x->name, r->name, r->nlen)) return true;
    }
    return false;
}

bool sh_classkey_add(sh_classkey *k, const sh_fieldref *ref) {
    sh_rawname d[SH_CLASS_SCHEMAS][SH_CLASS_MAX_NAMES];
    int nd[SH_CLASS_SCHEMAS];
    for (unsigned sc = 0; sc < SH_CLASS_SCHEMAS; sc++) {
        nd[sc] = ref_deps(ref, sc, d[sc], SH_CLASS_MAX_NAMES);
        if (nd[sc] < 0) return false;
        int fresh = 0;
        for (int i = 0; i < nd[sc]; i++) fresh += !key_has(k, sc, &d[sc][i]);
        if (k->n[sc] + fresh > SH_CLASS_MAX_NAMES) return false;
    }
    for (unsigned sc = 0; sc < SH_CLASS_SCHEMAS; sc++)
        for (int i = 0; i < nd[sc]; i++)
            if (!key_has(k, sc, &d[sc][i])) k->names[sc][k->n[sc]++] = d[sc][i];
    return true;
}

size_t sh_classkey_of(const sh_classkey *k, const sh_event *e, uint8_t *buf, size_t cap) {
    uint8_t *p = buf, *end = buf + cap;
    unsigned sc = e->schema;
    if (sc >= SH_CLASS_SCHEMAS || cap < 2 + (size_t)k->n[sc]) return 0;
    *p++ = e->schema;
    *p++ = e->plain;
    for (int i = 0; i < k->n[sc]; i++) {
        const sh_rawname *r = &k->names[sc][i];
        const sh_field *f = sh_event_find(e, r->name, r->nlen, r->hash);
        /* derived values follow from the own ones: they are left out */
        if (!f || f->derived) {
            if (p == end) return 0;
            *p++ = 0;
            continue;
        }
        if ((size_t)(end - p) < 2 + sizeof f->nvals) return 0;
        *p++ = 1;
        *p++ = f->is_array;
        memcpy(p, &f->nvals, sizeof f->nvals);
        p += sizeof f->nvals;
        for (uint32_t v = 0; v < f->nvals; v++) {
            const sh_value *x = &f->vals[v];
            /* the type, the text, and the number or truth the text is of */
            size_t need = 1 + sizeof x->len + x->len + 8;
            if ((size_t)(end - p) < need) return 0;
            *p++ = x->type;
            memcpy(p, &x->len, sizeof x->len);
            p += sizeof x->len;
            memcpy(p, x->s, x->len);
            p += x->len;
            if (x->type == SH_INT) memcpy(p, &x->i, 8), p += 8;
            else if (x->type == SH_FLOAT) memcpy(p, &x->f, 8), p += 8;
            else if (x->type == SH_BOOL) *p++ = x->b;
        }
    }
    return (size_t)(p - buf);
}

/* ------------------------------------------------------------ filters */

enum { CF_LEAF, CF_AND, CF_OR };

struct sh_cfilter {
    uint8_t kind;
    const sh_ir *ir;          /* CF_LEAF */
    uint32_t n;
    sh_cfilter **kids;
};

/* the subtree reads class refs alone, and nothing else of the event; their
 * names are added to k (on failure some may have been: harmless) */
static bool decided(sh_classkey *k, const sh_ir *n, int depth) {
    if (!n || depth > 64) return false;
    if (n->kind == SH_IR_ANYFIELD) return false;                        /* every field of the event */
    if (n->kind == SH_IR_FUNC && n->op == SH_FN_SPL_NOW) return false;  /* the clock */
    for (uint32_t i = 0; i < n->nargs; i++)
        if (!decided(k, n->args[i], depth + 1)) return false;
    /* (a WILDCARD's lower-cased copy of its field, SH_IRF_LOWERED, is the
     * field's values folded: never an event's own field, eval.c) */
    if (n->kind == SH_IR_FIELD) return n->ref && sh_classkey_add(k, n->ref);
    return true;
}

static sh_cfilter *cf_node(sh_arena *a, uint8_t kind, const sh_ir *ir, uint32_t n) {
    sh_cfilter *c = sh_arena_zalloc(a, sizeof *c);
    c->kind = kind;
    c->ir = ir;
    c->n = n;
    if (n) c->kids = sh_arena_zalloc(a, n * sizeof *c->kids);
    return c;
}

static sh_cfilter *cf_build(sh_arena *a, sh_classkey *k, const sh_ir *n, int depth) {
    if (!n || depth > 64) return NULL;
    if (decided(k, n, depth)) return cf_node(a, CF_LEAF, n, 0);
    if (n->kind != SH_IR_AND && n->kind != SH_IR_OR) return NULL;
    sh_cfilter *c = cf_node(a, n->kind == SH_IR_AND ? CF_AND : CF_OR, NULL, n->nargs);
    uint32_t m = 0;
    for (uint32_t i = 0; i < n->nargs; i++) {
        sh_cfilter *kid = cf_build(a, k, n->args[i], depth + 1);
        /* an AND can be true only if its every decided part can be; an OR
         * with an undecided part can be true whatever the others */
        if (!kid && n->kind == SH_IR_OR) return NULL;
        if (kid) c->kids[m++] = kid;
    }
    if (!m) return NULL;
    c->n = m;
    return c;
}

sh_cfilter *sh_cfilter_new(sh_arena *a, sh_classkey *k, const sh_ir *f) { return cf_build(a, k, f, 0); }

/* Whether the filter can be true: a filter holds only when it is true
 * (three-valued logic: null does not pass), an AND only when every part is
 * true and an OR when one is, so a decided part that is not true decides
 * the AND above it and every decided part not true decides the OR. */
bool sh_cfilter_possible(const sh_cfilter *c, sh_eval *ev, sh_event *e) {
    switch (c->kind) {
    case CF_LEAF: return sh_ir_match(ev, c->ir, e);
    case CF_AND:
        for (uint32_t i = 0; i < c->n; i++)
            if (!sh_cfilter_possible(c->kids[i], ev, e)) return false;
        return true;
    default:
        for (uint32_t i = 0; i < c->n; i++)
            if (sh_cfilter_possible(c->kids[i], ev, e)) return true;
        return false;
    }
}

/* ------------------------------------------------------------ the table */

typedef struct centry {
    uint8_t *key;             /* NULL: empty */
    uint32_t len, hash;
    void *val;
} centry;

struct sh_classtab {
    centry *slots;
    uint32_t cap, n;
    void (*free_val)(void *);
};

sh_classtab *sh_classtab_new(void (*free_val)(void *)) {
    sh_classtab *t = calloc(1, sizeof *t);
    if (!t) abort();
    t->free_val = free_val;
    return t;
}

void sh_classtab_clear(sh_classtab *t) {
    for (uint32_t i = 0; i < t->cap; i++)
        if (t->slots[i].key) {
            free(t->slots[i].key);
            if (t->free_val) t->free_val(t->slots[i].val);
            t->slots[i] = (centry){0};
        }
    t->n = 0;
}

void sh_classtab_free(sh_classtab *t) {
    if (!t) return;
    sh_classtab_clear(t);
    free(t->slots);
    free(t);
}

static centry *probe(const sh_classtab *t, const uint8_t *key, size_t n, uint32_t hash) {
    uint32_t m = t->cap - 1, i = hash & m;
    while (t->slots[i].key &&
           !(t->slots[i].hash == hash && t->slots[i].len == n && !memcmp(t->slots[i].key, key, n)))
        i = (i + 1) & m;
    return &t->slots[i];
}

void *sh_classtab_get(const sh_classtab *t, const uint8_t *key, size_t n, uint32_t hash) {
    if (!t->cap) return NULL;
    centry *c = probe(t, key, n, hash);
    return c->key ? c->val : NULL;
}

void sh_classtab_put(sh_classtab *t, const uint8_t *key, size_t n, uint32_t hash, void *val) {
    if (!t->cap) {
        t->cap = 64;
        t->slots = calloc(t->cap, sizeof *t->slots);
        if (!t->slots) abort();
    }
    if (t->n >= SH_CLASS_MAX_ENTRIES) sh_classtab_clear(t);
    if ((t->n + 1) * 2 > t->cap) {
        uint32_t cap = t->cap * 2;
        centry *ns = calloc(cap, sizeof *ns);
        if (!ns) abort();
        centry *old = t->slots;
        uint32_t ocap = t->cap;
        t->slots = ns;
        t->cap = cap;
        for (uint32_t i = 0; i < ocap; i++)
            if (old[i].key) *probe(t, old[i].key, old[i].len, old[i].hash) = old[i];
        free(old);
    }
    centry *c = probe(t, key, n, hash);
    if (c->key) {                 /* replaced */
        if (t->free_val) t->free_val(c->val);
        c->val = val;
        return;
    }
    c->key = malloc(n ? n : 1);
    if (!c->key) abort();
    memcpy(c->key, key, n);
    c->len = (uint32_t)n;
    c->hash = hash;
    c->val = val;
    t->n++;
}

size_t sh_classtab_count(const sh_classtab *t) { return t->n; }
