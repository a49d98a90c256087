/* load_eql.c: plain .eql files: the whole file is one query. Metadata comes
 * from the leading comment lines of the form "// key: value" (name, id,
 * severity, confidence, description, risk_score, techniques, false_positives);
 * other leading comments are left alone. The id defaults to the file's base
 * name and the name to the id. The query keeps the comments, so positions in
 * it are positions in the file. */
#include "rules/loader_int.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static char *trimmed(const char *s, size_t n) {
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
    char *out = strndup(s, n);
    if (!out) abort();
    return out;
}

static void set_text(char **field, char *val) {
    free(*field);
    *field = val;
}

/* "T1553.002, T1588" (commas or blanks) */
static void add_list(char ***arr, size_t *n, char *val) {
    char *save = NULL;
    for (char *tok = strtok_r(val, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) sh_rload_add_str(arr, n, tok);
    free(val);
}

/* one "key: value" comment; false (with *why set) when the value is bad */
static bool meta(sh_rule *r, const char *key, char *val, const char **why) {
    if (!strcmp(key, "name")) set_text(&r->name, val);
    else if (!strcmp(key, "id")) set_text(&r->id, val);
    else if (!strcmp(key, "severity")) set_text(&r->severity, val);
    else if (!strcmp(key, "confidence")) set_text(&r->confidence, val);
    else if (!strcmp(key, "description")) set_text(&r->description, val);
    else if (!strcmp(key, "techniques")) add_list(&r->techniques, &r->ntechniques, val);
    else if (!strcmp(key, "false_positives")) {
        if (*val) sh_rload_add_str(&r->false_positives, &r->nfalse_positives, val);
        free(val);
    } else if (!strcmp(key, "risk_score")) {
        char *end;
        errno = 0;
        long v = strtol(val, &end, 10);
        bool ok = *val && !*end && errno == 0 && v >= 0 && v <= INT_MAX;
        if (ok) r->risk_score = (int)v;
        free(val);
        if (!ok) *why = "risk_score is not a whole number from 0 up";
        return ok;
    } else {
        free(val); /* an ordinary comment */
    }
    return true;
}

/* the comment line at p (after "//", up to eol): metadata when it reads "key: value" */
static bool comment_line(sh_rule *r, const char *p, const char *eol, const char **why) {
    const char *colon = memchr(p, ':', (size_t)(eol - p));
    if (!colon) return true;
    char *key = trimmed(p, (size_t)(colon - p));
    for (char *c = key; *c; c++) *c = (char)tolower((unsigned char)*c);
    bool ok = meta(r, key, trimmed(colon + 1, (size_t)(eol - colon - 1)), why);
    free(key);
    return ok;
}

/* reads the leading comment and blank lines; returns where the query proper
 * starts, or NULL with *line at the bad comment */
static const char *header(sh_rule *r, const char *text, long *line, const char **why) {
    const char *p = text;
    for (*line = 1;; ++*line) {
        const char *q = p + strspn(p, " \t\r");
        const char *nl = strchr(q, '\n');
        const char *eol = nl ? nl : q + strlen(q);
        if (q[0] == '/' && q[1] == '/') {
            if (!comment_line(r, q + 2, eol, why)) return NULL;
        } else if (q != eol) {
            return q;
        }
        if (!nl) return eol;
        p = nl + 1;
    }
}

void sh_rload_eql(const sh_rload *l, const char *path) {
    size_t len;
    char *text = sh_rload_read_query(l, path, &len);
    if (!text) return;
    sh_rule *r = sh_rload_rule_new(path, 1);
    long line;
    const char *why = NULL;
    const char *q = header(r, text, &line, &why);
    if (!q) {
        sh_rload_reject(l, path, line, "%s", why);
        sh_rule_free(r);
    } else if (!*q) {
        sh_rload_reject(l, path, 0, "no query in the file");
        sh_rule_free(r);
    } else {
        r->query = text; /* taken over */
        text = NULL;
        r->query_line = 1;
        if (!r->id || !*r->id) set_text(&r->id, sh_rload_id_from_path(path, ".eql"));
        if (!r->name || !*r->name) set_text(&r->name, sh_rload_strdup(r->id));
        sh_rload_add(l, r);
    }
    free(text);
}
