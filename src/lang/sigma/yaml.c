/* yaml.c: the YAML document model of yaml.h, built from libyaml's event
 * stream with an explicit stack (nesting is bounded, so hostile input cannot
 * exhaust the C stack). */
#include "lang/sigma/yaml.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define SY_MAX_DEPTH 64

typedef struct frame {
    sy_node *node;
    sy_node **items;        /* growing, malloc'd until the collection ends */
    size_t n, cap;
    char *anchor;           /* registered when the collection is complete */
} frame;

typedef struct anchor {
    char *name;
    sy_node *node;
} anchor;

typedef struct builder {
    sy_stream *st;
    size_t cur_sl, cur_sc, cur_el, cur_ec;   /* the document's start and end marks (line, column) */
    size_t *marks;                           /* 4 per document */
    frame stack[SY_MAX_DEPTH + 1];
    int depth;
    anchor *anchors;
    size_t nanchors, capanchors;
    sy_doc cur;
    size_t capdocs;
} builder;

static void fail(builder *b, size_t line0, size_t col0, const char *msg) {
    sy_stream *st = b->st;
    if (st->failed) return;
    st->failed = true;
    st->err_line = (uint32_t)line0 + 1;
    st->err_col = (uint32_t)col0 + 1;
    snprintf(st->err, sizeof st->err, "%s", msg);
}

static void anchors_clear(builder *b) {
    for (size_t i = 0; i < b->nanchors; i++) free(b->anchors[i].name);
    b->nanchors = 0;
}

static void anchor_add(builder *b, const char *name, sy_node *node) {
    if (b->nanchors == b->capanchors) {
        b->capanchors = b->capanchors ? b->capanchors * 2 : 8;
        b->anchors = realloc(b->anchors, b->capanchors * sizeof *b->anchors);
        if (!b->anchors) abort();
    }
    char *copy = strdup(name);
    if (!copy) abort();
    b->anchors[b->nanchors++] = (anchor){.name = copy, .node = node};
}

static sy_node *anchor_find(builder *b, const char *name) {
    for (size_t i = b->nanchors; i-- > 0;)
        if (!strcmp(b->anchors[i].name, name)) return b->anchors[i].node;
    return NULL;
}

/* attach a finished node to the open collection, or make it the root */
static void attach(builder *b, sy_node *n) {
    if (b->depth == 0) {
        b->cur.root = n;
        return;
    }
    frame *f = &b->stack[b->depth - 1];
    if (f->node->kind == SY_MAP && (f->n % 2) == 0 && n->kind != SY_SCALAR) {
        fail(b, n->line - 1, n->col - 1, "YAML: a mapping key must be a plain value, not a list or mapping");
        return;
    }
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->items = realloc(f->items, f->cap * sizeof *f->items);
        if (!f->items) abort();
    }
    f->items[f->n++] = n;
}

static sy_node *new_node(builder *b, sy_kind kind, const yaml_mark_t *m) {
    sy_node *n = sh_arena_zalloc(&b->st->arena, sizeof *n);
    n->kind = (uint8_t)kind;
    n->line = (uint32_t)m->line + 1;
    n->col = (uint32_t)m->column + 1;
    return n;
}

static void on_scalar(builder *b, const yaml_event_t *ev) {
    sy_node *n = new_node(b, SY_SCALAR, &ev->start_mark);
    n->s = sh_arena_strndup(&b->st->arena, (const char *)ev->data.scalar.value, ev->data.scalar.length);
    n->len = (uint32_t)ev->data.scalar.length;
    switch (ev->data.scalar.style) {
    case YAML_SINGLE_QUOTED_SCALAR_STYLE:
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n->style = SY_QUOTED; break;
    case YAML_LITERAL_SCALAR_STYLE:
    case YAML_FOLDED_SCALAR_STYLE: n->style = SY_BLOCK; break;
    default: n->style = SY_PLAIN; break;
    }
    n->tagged = ev->data.scalar.tag != NULL;
    if (ev->data.scalar.anchor) anchor_add(b, (const char *)ev->data.scalar.anchor, n);
    attach(b, n);
}

static void on_start(builder *b, const yaml_event_t *ev, sy_kind kind) {
    if (b->depth == SY_MAX_DEPTH) {
        fail(b, ev->start_mark.line, ev->start_mark.column, "YAML: nested deeper than 64 levels");
        return;
    }
    frame *f = &b->stack[b->depth++];
    memset(f, 0, sizeof *f);
    f->node = new_node(b, kind, &ev->start_mark);
    const yaml_char_t *anc = kind == SY_MAP ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    if (anc) {
        f->anchor = strdup((const char *)anc);
        if (!f->anchor) abort();
    }
}

static void on_end(builder *b) {
    frame *f = &b->stack[--b->depth];
    sy_node *n = f->node;
    n->items = sh_arena_alloc(&b->st->arena, (f->n ? f->n : 1) * sizeof *n->items);
    if (f->n) memcpy(n->items, f->items, f->n * sizeof *n->items);
    n->n = (uint32_t)(n->kind == SY_MAP ? f->n / 2 : f->n);
    free(f->items);
    if (f->anchor) {
        anchor_add(b, f->anchor, n);
        free(f->anchor);
    }
    attach(b, n);
}

static void on_alias(builder *b, const yaml_event_t *ev) {
    sy_node *n = anchor_find(b, (const char *)ev->data.alias.anchor);
    if (!n) {
        char msg[200];
        snprintf(msg, sizeof msg, "YAML: alias *%.60s names no complete anchor before it", (const char *)ev->data.alias.anchor);
        fail(b, ev->start_mark.line, ev->start_mark.column, msg);
        return;
    }
    attach(b, n);
}

static void push_doc(builder *b) {
    sy_stream *st = b->st;
    if (st->ndocs == b->capdocs) {
        b->capdocs = b->capdocs ? b->capdocs * 2 : 4;
        st->docs = realloc(st->docs, b->capdocs * sizeof *st->docs);
        b->marks = realloc(b->marks, b->capdocs * 4 * sizeof *b->marks);
        if (!st->docs || !b->marks) abort();
    }
    size_t *m = &b->marks[st->ndocs * 4];
    m[0] = b->cur_sl;
    m[1] = b->cur_sc;
    m[2] = b->cur_el;
    m[3] = b->cur_ec;
    st->docs[st->ndocs++] = b->cur;
}

/* libyaml's marks count characters, and lines the way YAML 1.1 breaks them
 * (LF, CR, CRLF, NEL, LS, PS): turn (line, column) into a byte offset */
typedef struct walker {
    const unsigned char *s;
    size_t n, i, line, col;
} walker;

static size_t brk_len(const walker *w) {
    const unsigned char *s = w->s + w->i;
    size_t left = w->n - w->i;
    if (s[0] == '\n') return 1;
    if (s[0] == '\r') return left > 1 && s[1] == '\n' ? 2 : 1;
    if (left > 1 && s[0] == 0xC2 && s[1] == 0x85) return 2;
    if (left > 2 && s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9)) return 3;
    return 0;
}

static size_t walk_to(walker *w, size_t line, size_t col) {
    while (w->i < w->n && (w->line < line || (w->line == line && w->col < col))) {
        size_t b = brk_len(w);
        if (b) {
            if (w->line == line) break; /* the column lies past the end of the line */
            w->i += b;
            w->line++;
            w->col = 0;
            continue;
        }
        unsigned char c = w->s[w->i];
        size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (c >= 0x80 && c < 0xC0) k = 1;
        w->i += k > w->n - w->i ? w->n - w->i : k;
        w->col++;
    }
    return w->i;
}

bool sy_parse(sy_stream *st, const char *text, size_t len) {
    memset(st, 0, sizeof *st);
    sh_arena_init(&st->arena);
    builder b = {.st = st};
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) abort();
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    bool in_doc = false, done = false;
    while (!done && !st->failed) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            char msg[256];
            if (p.context)
                snprintf(msg, sizeof msg, "YAML: %s %s", p.problem ? p.problem : "syntax error", p.context);
            else
                snprintf(msg, sizeof msg, "YAML: %s", p.problem ? p.problem : "syntax error");
            fail(&b, p.problem_mark.line, p.problem_mark.column, msg);
            break;
        }
        switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT:
            memset(&b.cur, 0, sizeof b.cur);
            b.cur_sl = ev.start_mark.line;
            b.cur_sc = ev.start_mark.column;
            b.cur.line = (uint32_t)ev.start_mark.line + 1;
            in_doc = true;
            break;
        case YAML_DOCUMENT_END_EVENT:
            b.cur_el = ev.end_mark.line;
            b.cur_ec = ev.end_mark.column;
            push_doc(&b);
            anchors_clear(&b);
            in_doc = false;
            break;
        case YAML_SCALAR_EVENT: on_scalar(&b, &ev); break;
        case YAML_SEQUENCE_START_EVENT: on_start(&b, &ev, SY_SEQ); break;
        case YAML_MAPPING_START_EVENT: on_start(&b, &ev, SY_MAP); break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: on_end(&b); break;
        case YAML_ALIAS_EVENT: on_alias(&b, &ev); break;
        case YAML_STREAM_END_EVENT: done = true; break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    (void)in_doc;
    walker w = {.s = (const unsigned char *)text, .n = len};
    for (size_t i = 0; i < st->ndocs; i++) {
        st->docs[i].start = walk_to(&w, b.marks[4 * i], b.marks[4 * i + 1]);
        st->docs[i].end = walk_to(&w, b.marks[4 * i + 2], b.marks[4 * i + 3]);
    }
    free(b.marks);
    while (b.depth > 0) {
        frame *f = &b.stack[--b.depth];
        free(f->items);
        free(f->anchor);
    }
    anchors_clear(&b);
    free(b.anchors);
    yaml_parser_delete(&p);
    return !st->failed;
}

void sy_free(sy_stream *st) {
    free(st->docs);
    sh_arena_free(&st->arena);
    memset(st, 0, sizeof *st);
}

static const sy_node *get_pair(const sy_node *map, const char *key, int which) {
    if (!map || map->kind != SY_MAP) return NULL;
    size_t k = strlen(key);
    for (uint32_t i = map->n; i-- > 0;) { /* the last occurrence wins, as in PyYAML */
        const sy_node *kn = map->items[2 * i];
        if (kn->kind == SY_SCALAR && kn->len == k && memcmp(kn->s, key, k) == 0) return map->items[2 * i + which];
    }
    return NULL;
}

const sy_node *sy_get(const sy_node *map, const char *key) { return get_pair(map, key, 1); }
const sy_node *sy_get_key(const sy_node *map, const char *key) { return get_pair(map, key, 0); }

static bool is_int_text(const char *s, size_t n) {
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    if (i == n || n - i > 18) return false;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

static bool eq_any(const char *s, size_t n, const char *const *words) {
    for (; *words; words++)
        if (strlen(*words) == n && memcmp(*words, s, n) == 0) return true;
    return false;
}

sy_type sy_type_of(const sy_node *n) {
    if (!n) return SY_T_NULL;
    if (n->kind != SY_SCALAR || n->style != SY_PLAIN || n->tagged) return SY_T_STR;
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const bools[] = {"true", "True", "TRUE", "false", "False", "FALSE", NULL};
    if (eq_any(n->s, n->len, nulls)) return SY_T_NULL;
    if (eq_any(n->s, n->len, bools)) return SY_T_BOOL;
    if (is_int_text(n->s, n->len)) return SY_T_INT;
    return SY_T_STR;
}

bool sy_is_null(const sy_node *n) { return !n || (n->kind == SY_SCALAR && sy_type_of(n) == SY_T_NULL); }

bool sy_bool(const sy_node *n, bool *out) {
    if (!n || n->kind != SY_SCALAR || sy_type_of(n) != SY_T_BOOL) return false;
    *out = n->s[0] == 't' || n->s[0] == 'T';
    return true;
}

bool sy_int(const sy_node *n, int64_t *out) {
    if (!n || n->kind != SY_SCALAR || !is_int_text(n->s, n->len)) return false;
    *out = strtoll(n->s, NULL, 10);
    return true;
}

bool sy_is(const sy_node *n, const char *s) {
    return n && n->kind == SY_SCALAR && n->len == strlen(s) && memcmp(n->s, s, n->len) == 0;
}

const char *sy_kind_name(const sy_node *n) {
    if (sy_is_null(n)) return "null";
    switch (n->kind) {
    case SY_SEQ: return "a list";
    case SY_MAP: return "a mapping";
    default: return "a value";
    }
}
