/* yaml.h: a small YAML document model for Sigma, read with libyaml. A
 * stream (one file) holds one or more documents; each is a tree of scalars,
 * sequences and mappings with 1-based line and column numbers, so errors can
 * name the place in the rule file. Anchors and aliases are resolved by
 * sharing nodes (no copying, so an alias cannot blow up memory); an alias to
 * an anchor that is not complete yet (a cycle) is an error. Everything lives
 * in the stream's arena. */
#ifndef SHRIKE_SIGMA_YAML_H
#define SHRIKE_SIGMA_YAML_H

#include "util/util.h"

typedef enum sy_kind { SY_SCALAR, SY_SEQ, SY_MAP } sy_kind;
typedef enum sy_style { SY_PLAIN, SY_QUOTED, SY_BLOCK } sy_style;

typedef struct sy_node sy_node;
struct sy_node {
    uint8_t kind;            /* sy_kind */
    uint8_t style;           /* sy_style (scalars) */
    bool tagged;             /* an explicit tag (!!str, ...): never read as a number, bool or null */
    uint32_t n;              /* SEQ: items; MAP: pairs */
    const char *s;           /* SCALAR: text (NUL-terminated; may hold NULs within len) */
    uint32_t len;
    sy_node **items;         /* SEQ: n items; MAP: 2n (key, value, key, value, ...) */
    uint32_t line, col;      /* 1-based start */
};

typedef struct sy_doc {
    sy_node *root;           /* NULL for an empty document */
    size_t start, end;       /* byte range of the document in the text */
    uint32_t line;           /* 1-based line of its first content (or of ---) */
} sy_doc;

typedef struct sy_stream {
    sh_arena arena;
    sy_doc *docs;
    size_t ndocs;
    bool failed;             /* a syntax error: docs holds those read before it */
    uint32_t err_line, err_col;
    char err[256];
} sy_stream;

/* Parse text (len bytes) into st (initialised here). Stops at the first
 * syntax error (st->failed, err/err_line/err_col set). Returns !failed. */
bool sy_parse(sy_stream *st, const char *text, size_t len);
void sy_free(sy_stream *st);

/* The value for key in a mapping (exact, case-sensitive), NULL when absent
 * or when map is not a mapping. */
const sy_node *sy_get(const sy_node *map, const char *key);
/* the key node that holds key (for its line) */
const sy_node *sy_get_key(const sy_node *map, const char *key);

/* How a plain scalar reads (YAML 1.2 core schema, with PyYAML's habits):
 * null (~, null, empty), bool (true/false in any case), an integer
 * ([-+]?[0-9]+), else a string. Quoted, block and tagged scalars are strings. */
typedef enum sy_type { SY_T_NULL, SY_T_BOOL, SY_T_INT, SY_T_STR } sy_type;
sy_type sy_type_of(const sy_node *n);
bool sy_is_null(const sy_node *n);          /* NULL pointer or a null scalar */
bool sy_bool(const sy_node *n, bool *out);  /* a bool scalar */
bool sy_int(const sy_node *n, int64_t *out);
/* scalar equal to s */
bool sy_is(const sy_node *n, const char *s);
const char *sy_kind_name(const sy_node *n); /* "a string", "a list", "a mapping", "null" */

#endif
