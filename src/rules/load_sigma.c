/* load_sigma.c: Sigma rule files. A file holds one YAML document or several
 * (`---`); each document is one rule record whose query is the document's
 * own text, so compile errors map to file lines (query_line and line are the
 * document's first line). The metadata comes from the document: id, title
 * (the rule's name), description, level (severity), tags attack.tNNNN[.NNN]
 * (ATT&CK technique ids, upper case), falsepositives. Correlation and filter
 * rules name other rules, so they are pass 1: the rules they name compile
 * first; within a file a correlation that names another correlation of the
 * file comes after it. Checking the rule itself is the front end's job
 * (lang/sigma); here a document is refused only when it is no rule at all. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lang/sigma/yaml.h"
#include "rules/loader_int.h"

static char *text_of(const sy_node *n) {
    if (!n || n->kind != SY_SCALAR || sy_is_null(n)) return NULL;
    return sh_rload_strdup(n->s);
}

/* attack.t1553.002 -> T1553.002 */
static void add_technique(sh_rule *r, const sy_node *tag) {
    if (!tag || tag->kind != SY_SCALAR || tag->len < 12) return;
    const char *s = tag->s;
    if (strncmp(s, "attack.t", 8) && strncmp(s, "attack.T", 8)) return;
    const char *t = s + 8;
    size_t n = tag->len - 8;
    for (size_t i = 0; i < 4; i++)
        if (!isdigit((unsigned char)t[i])) return;
    if (n != 4 && !(n == 8 && t[4] == '.' && isdigit((unsigned char)t[5]) && isdigit((unsigned char)t[6]) &&
                    isdigit((unsigned char)t[7])))
        return;
    char id[16];
    id[0] = 'T';
    memcpy(id + 1, t, n);
    id[n + 1] = 0;
    sh_rload_add_str(&r->techniques, &r->ntechniques, id);
}

static void add_list(char ***arr, size_t *n, const sy_node *v) {
    if (!v) return;
    if (v->kind == SY_SCALAR) {
        if (!sy_is_null(v) && v->len) sh_rload_add_str(arr, n, v->s);
        return;
    }
    if (v->kind != SY_SEQ) return;
    for (uint32_t i = 0; i < v->n; i++)
        if (v->items[i]->kind == SY_SCALAR && !sy_is_null(v->items[i]) && v->items[i]->len)
            sh_rload_add_str(arr, n, v->items[i]->s);
}

typedef struct doc_info {
    sh_rule *r;
    const sy_node *root;
    int depth;                  /* pass-1 documents: how many correlations of the file it builds on */
    int state;                  /* depth search: 0 not yet, 1 in progress, 2 done */
    bool pass1;
} doc_info;

static bool same_ref(const sy_node *ref, const sy_node *root) {
    const sy_node *id = sy_get(root, "id"), *name = sy_get(root, "name");
    if (!ref || ref->kind != SY_SCALAR) return false;
    return (id && id->kind == SY_SCALAR && id->len == ref->len && !memcmp(id->s, ref->s, ref->len)) ||
           (name && name->kind == SY_SCALAR && name->len == ref->len && !memcmp(name->s, ref->s, ref->len));
}

/* depth of a correlation within its file: 1 + the deepest correlation of the
 * file it names; each document is searched once, and a cycle counts nothing
 * (the front end rejects the rules of a cycle: they name rules not loaded yet) */
static int corr_depth(doc_info *docs, size_t n, size_t i, int level) {
    doc_info *d = &docs[i];
    if (d->state == 2) return d->depth;
    if (d->state == 1 || level > 64) return 0;
    d->state = 1;
    const sy_node *rules = sy_get(sy_get(d->root, "correlation"), "rules");
    int depth = 0;
    for (uint32_t k = 0; rules && rules->kind == SY_SEQ && k < rules->n; k++)
        for (size_t j = 0; j < n; j++)
            if (j != i && docs[j].pass1 && sy_get(docs[j].root, "correlation") && same_ref(rules->items[k], docs[j].root)) {
                int dj = 1 + corr_depth(docs, n, j, level + 1);
                if (dj > depth) depth = dj;
            }
    d->depth = depth;
    d->state = 2;
    return depth;
}

static sh_rule *make_rule(const char *path, const char *text, const sy_doc *doc) {
    const sy_node *root = doc->root;
    /* the document's text from the start of its first line */
    size_t start = doc->start;
    while (start > 0 && text[start - 1] != '\n') start--;
    sh_rule *r = sh_rload_rule_new(path, doc->line);
    r->lang = SH_LANG_SIGMA;
    r->query_line = doc->line;
    r->query = malloc(doc->end - start + 1);
    if (!r->query) abort();
    memcpy(r->query, text + start, doc->end - start);
    r->query[doc->end - start] = 0;
    r->id = text_of(sy_get(root, "id"));
    r->name = text_of(sy_get(root, "title"));
    if (!r->name && r->id) r->name = sh_rload_strdup(r->id);
    r->description = text_of(sy_get(root, "description"));
    r->severity = text_of(sy_get(root, "level"));
    const sy_node *tags = sy_get(root, "tags");
    for (uint32_t i = 0; tags && tags->kind == SY_SEQ && i < tags->n; i++) add_technique(r, tags->items[i]);
    add_list(&r->false_positives, &r->nfalse_positives, sy_get(root, "falsepositives"));
    if (sy_get(root, "correlation") || sy_get(root, "filter")) r->pass = 1;
    return r;
}

void sh_rload_sigma(const sh_rload *l, const char *path, const char *text, size_t len) {
    sy_stream st;
    sy_parse(&st, text, len);
    doc_info *docs = calloc(st.ndocs ? st.ndocs : 1, sizeof *docs);
    if (!docs) abort();
    size_t nd = 0, nrules = 0, nonempty = 0;
    for (size_t i = 0; i < st.ndocs; i++) {
        const sy_doc *doc = &st.docs[i];
        if (!doc->root || sy_is_null(doc->root)) continue; /* an empty document (a trailing ---) */
        nonempty++;
        if (doc->root->kind != SY_MAP) {
            sh_rload_reject(l, path, doc->line, "not a Sigma rule: the YAML document is %s, not a mapping",
                            sy_kind_name(doc->root));
            continue;
        }
        sh_rule *r = make_rule(path, text, doc);
        docs[nd++] = (doc_info){.r = r, .root = doc->root, .pass1 = r->pass > 0};
    }
    /* pass-0 rules in file order, then pass-1 rules by depth (stable) */
    int maxdepth = 0;
    for (size_t i = 0; i < nd; i++)
        if (docs[i].pass1 && corr_depth(docs, nd, i, 0) > maxdepth) maxdepth = docs[i].depth;
    for (size_t i = 0; i < nd; i++)
        if (!docs[i].pass1) { sh_rload_add(l, docs[i].r); nrules++; }
    for (int depth = 0; depth <= maxdepth; depth++)
        for (size_t i = 0; i < nd; i++)
            if (docs[i].pass1 && docs[i].depth == depth) { sh_rload_add(l, docs[i].r); nrules++; }
    if (st.failed)
        sh_rload_reject(l, path, st.err_line, "%s (column %u)%s", st.err, st.err_col,
                        nrules ? "; the documents before it were loaded" : "");
    else if (nonempty == 0)
        sh_rload_reject(l, path, 0, "no Sigma rule in the file (it holds no YAML document)");
    free(docs);
    sy_free(&st);
}
