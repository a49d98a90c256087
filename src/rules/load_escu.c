/* load_escu.c: Splunk security_content ("ESCU") detection YAML and plain
 * .spl files. An ESCU file is one YAML mapping whose `search` is the SPL;
 * the metadata comes from name, id, description, known_false_positives and
 * tags (mitre_attack_id, confidence, risk_score, severity). Compiling the
 * search is the SPL front end's job (lang/spl): a search that uses what
 * shrike does not run (macros, tstats, data models) is rejected there, with
 * its reason, when the rules are compiled. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lang/sigma/yaml.h"
#include "rules/loader_int.h"

static char *text_of(const sy_node *n) {
    if (!n || n->kind != SY_SCALAR || sy_is_null(n)) return NULL;
    return sh_rload_strdup(n->s);
}

/* T1553.002 or T1553 */
static bool is_technique(const char *s, size_t n) {
    if (n != 5 && n != 9) return false;
    if (s[0] != 'T') return false;
    for (size_t i = 1; i < 5; i++)
        if (!isdigit((unsigned char)s[i])) return false;
    if (n == 9) {
        if (s[5] != '.') return false;
        for (size_t i = 6; i < 9; i++)
            if (!isdigit((unsigned char)s[i])) return false;
    }
    return true;
}

/* ESCU's confidence is a number from 0 to 100; shrike's is a word */
static char *confidence_of(const sy_node *n) {
    int64_t v;
    if (!n || n->kind != SY_SCALAR || sy_is_null(n)) return NULL;
    if (sy_int(n, &v)) return sh_rload_strdup(v >= 70 ? "high" : v >= 40 ? "medium" : "low");
    return sh_rload_strdup(n->s);
}

static const sy_node *get2(const sy_node *root, const sy_node *tags, const char *key) {
    const sy_node *v = sy_get(tags, key);
    return v ? v : sy_get(root, key);
}

void sh_rload_escu(const sh_rload *l, const char *path, const char *text, size_t len) {
    sy_stream st;
    sy_parse(&st, text, len);
    const sy_node *root = st.ndocs ? st.docs[0].root : NULL;
    if (st.failed) {
        sh_rload_reject(l, path, st.err_line, "%s (column %u)", st.err, st.err_col);
        sy_free(&st);
        return;
    }
    if (!root || root->kind != SY_MAP) {
        sh_rload_reject(l, path, st.ndocs ? st.docs[0].line : 0,
                        "not a Splunk detection: the YAML document is %s, not a mapping", sy_kind_name(root));
        sy_free(&st);
        return;
    }
    if (st.ndocs > 1) {
        sh_rload_reject(l, path, st.docs[1].line, "a Splunk detection file holds one YAML document; the rest were not read");
    }
    const sy_node *search = sy_get(root, "search");
    if (!search || search->kind != SY_SCALAR || sy_is_null(search) || !search->len) {
        const sy_node *key = sy_get_key(root, "search");
        sh_rload_reject(l, path, key ? key->line : 0, "`search` is not a string of SPL");
        sy_free(&st);
        return;
    }
    if (memchr(search->s, 0, search->len)) {
        sh_rload_reject(l, path, search->line, "`search` holds a NUL character");
        sy_free(&st);
        return;
    }
    /* a block scalar (`search: |`) starts on the line after its indicator */
    long qline = search->style == SY_BLOCK ? (long)search->line + 1 : (long)search->line;
    sh_rule *r = sh_rload_rule_new(path, qline);
    r->lang = SH_LANG_SPL;
    r->query_line = qline;
    r->query = sh_rload_strdup(search->s);
    r->id = text_of(sy_get(root, "id"));
    r->name = text_of(sy_get(root, "name"));
    if (!r->name && r->id) r->name = sh_rload_strdup(r->id);
    r->description = text_of(sy_get(root, "description"));
    const sy_node *tags = sy_get(root, "tags");
    r->severity = text_of(get2(root, tags, "severity"));
    r->confidence = confidence_of(get2(root, tags, "confidence"));
    int64_t risk;
    if (sy_int(get2(root, tags, "risk_score"), &risk) && risk >= 0 && risk <= 100000) r->risk_score = (int)risk;
    const sy_node *att = sy_get(tags, "mitre_attack_id");
    if (att && att->kind == SY_SCALAR && is_technique(att->s, att->len)) sh_rload_add_str(&r->techniques, &r->ntechniques, att->s);
    for (uint32_t i = 0; att && att->kind == SY_SEQ && i < att->n; i++) {
        const sy_node *t = att->items[i];
        if (t->kind == SY_SCALAR && is_technique(t->s, t->len)) sh_rload_add_str(&r->techniques, &r->ntechniques, t->s);
    }
    const sy_node *fp = sy_get(root, "known_false_positives");
    if (fp && fp->kind == SY_SCALAR && !sy_is_null(fp) && fp->len)
        sh_rload_add_str(&r->false_positives, &r->nfalse_positives, fp->s);
    for (uint32_t i = 0; fp && fp->kind == SY_SEQ && i < fp->n; i++)
        if (fp->items[i]->kind == SY_SCALAR && fp->items[i]->len)
            sh_rload_add_str(&r->false_positives, &r->nfalse_positives, fp->items[i]->s);
    sh_rload_add(l, r);
    sy_free(&st);
}

/* a plain .spl file: the whole file is one search; id and name are the file's
 * base name */
void sh_rload_spl(const sh_rload *l, const char *path) {
    size_t len;
    char *text = sh_rload_read_query(l, path, &len);
    if (!text) return;
    size_t i = 0;
    while (i < len && isspace((unsigned char)text[i])) i++;
    if (i == len) {
        sh_rload_reject(l, path, 0, "no search in the file");
        free(text);
        return;
    }
    sh_rule *r = sh_rload_rule_new(path, 1);
    r->lang = SH_LANG_SPL;
    r->query_line = 1;
    r->query = text; /* taken over */
    r->id = sh_rload_id_from_path(path, ".spl");
    r->name = sh_rload_strdup(r->id);
    sh_rload_add(l, r);
}
