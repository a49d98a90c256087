/* load_toml.c: Elastic detection-rules TOML files ([metadata] and [rule]
 * tables) into sh_rule records. Only EQL rules are taken; rules in other
 * languages, and files that are not valid TOML, are rejected with the reason. */
#include "rules/loader_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/toml.h"

static const char *tstr(const sh_toml *t, const char *key) {
    const sh_toml *v = sh_toml_get(t, key);
    return v && v->type == SH_TOML_STRING ? v->str : NULL;
}

/* start of 1-based line `line` in text */
static const char *line_start(const char *text, long line) {
    const char *p = text;
    for (long l = 1; l < line && p; l++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    return p;
}

static const char *skip_blank(const char *p) {
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* past a key (bare or quoted parts joined by dots) and '=' on one line;
 * NULL when the line does not look like `key = ` */
static const char *past_key(const char *p) {
    for (;;) {
        p = skip_blank(p);
        if (*p == '"' || *p == '\'') {
            char q = *p++;
            while (*p && *p != q && *p != '\n') p += (*p == '\\' && q == '"' && p[1]) ? 2 : 1;
            if (*p != q) return NULL;
            p++;
        } else {
            const char *s = p;
            while (*p && (strchr("_-", *p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))) p++;
            if (p == s) return NULL;
        }
        p = skip_blank(p);
        if (*p != '.') break;
        p++;
    }
    return *p == '=' ? skip_blank(p + 1) : NULL;
}

/* The line where the text of the string value that opens on `line` begins:
 * a multi-line string whose opening quotes end their line starts on a
 * later line (after a line-ending backslash, after the trimmed blanks). */
static long content_line(const char *text, long line) {
    const char *p = line_start(text, line);
    p = p ? past_key(p) : NULL;
    if (!p || !(strncmp(p, "'''", 3) == 0 || strncmp(p, "\"\"\"", 3) == 0)) return line;
    bool basic = *p == '"';
    p += 3;
    if (*p == '\r') p++;
    if (*p == '\n') return line + 1;
    const char *r = skip_blank(basic && *p == '\\' ? p + 1 : p);
    if (!basic || *p != '\\' || (*r != '\n' && *r != '\r')) return line;
    /* line-ending backslash: the text starts at the next non-blank */
    for (p = r; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++)
        if (*p == '\n') line++;
    return line;
}

/* ATT&CK ids from [[rule.threat]] / [[rule.threat.technique]] /
 * [[rule.threat.technique.subtechnique]] */
static void techniques(sh_rule *r, const sh_toml *rule) {
    const sh_toml *threats = sh_toml_get(rule, "threat");
    for (size_t i = 0; threats && threats->type == SH_TOML_ARRAY && i < threats->n; i++) {
        const sh_toml *techs = sh_toml_get(threats->items[i], "technique");
        for (size_t k = 0; techs && techs->type == SH_TOML_ARRAY && k < techs->n; k++) {
            const char *id = tstr(techs->items[k], "id");
            if (id) sh_rload_add_str(&r->techniques, &r->ntechniques, id);
            const sh_toml *subs = sh_toml_get(techs->items[k], "subtechnique");
            for (size_t s = 0; subs && subs->type == SH_TOML_ARRAY && s < subs->n; s++) {
                const char *sid = tstr(subs->items[s], "id");
                if (sid) sh_rload_add_str(&r->techniques, &r->ntechniques, sid);
            }
        }
    }
}

static void metadata(sh_rule *r, const sh_toml *rule) {
    r->id = sh_rload_strdup(tstr(rule, "rule_id"));
    r->name = sh_rload_strdup(tstr(rule, "name"));
    r->description = sh_rload_strdup(tstr(rule, "description"));
    r->severity = sh_rload_strdup(tstr(rule, "severity"));
    r->confidence = sh_rload_strdup(tstr(rule, "confidence"));
    const sh_toml *risk = sh_toml_get(rule, "risk_score");
    if (risk && risk->type == SH_TOML_INT) r->risk_score = risk->i < 0 ? -1 : risk->i > INT_MAX ? INT_MAX : (int)risk->i;
    const sh_toml *fp = sh_toml_get(rule, "false_positives");
    for (size_t i = 0; fp && fp->type == SH_TOML_ARRAY && i < fp->n; i++)
        if (fp->items[i]->type == SH_TOML_STRING) sh_rload_add_str(&r->false_positives, &r->nfalse_positives, fp->items[i]->str);
    techniques(r, rule);
}

/* the [rule] table of a parsed file: one rule or one rejection */
static void rule_table(const sh_rload *l, const char *path, const char *text, const sh_toml *rule) {
    const sh_toml *lang = sh_toml_get(rule, "language");
    const char *type = tstr(rule, "type");
    const sh_toml *q = sh_toml_get(rule, "query");
    if (!lang) {
        sh_rload_reject_lang(l, path, rule->line, NULL, type);
    } else if (lang->type != SH_TOML_STRING) {
        sh_rload_reject(l, path, lang->line, "rule.language is not a string");
    } else if (strcmp(lang->str, "eql") != 0) {
        sh_rload_reject_lang(l, path, lang->line, lang->str, type);
    } else if (!q || q->type != SH_TOML_STRING) {
        sh_rload_reject(l, path, q ? q->line : rule->line, q ? "rule.query is not a string" : "EQL rule has no query");
    } else if (q->str[strspn(q->str, " \t\r\n")] == 0) {
        sh_rload_reject(l, path, q->line, "EQL rule has an empty query");
    } else {
        sh_rule *r = sh_rload_rule_new(path, content_line(text, q->line));
        r->query_line = r->line;
        r->query = sh_rload_strdup(q->str);
        metadata(r, rule);
        sh_rload_add(l, r);
    }
}

void sh_rload_toml(const sh_rload *l, const char *path) {
    size_t len;
    char *text = sh_rload_read(l, path, &len);
    if (!text) return;
    sh_diag d;
    sh_toml *doc = sh_toml_parse(text, len, &d);
    if (!doc) {
        sh_rload_reject(l, path, d.line, "invalid TOML (column %ld): %s", d.col, d.msg);
    } else {
        const sh_toml *rule = sh_toml_get(doc, "rule");
        if (!rule || rule->type != SH_TOML_TABLE) sh_rload_reject(l, path, 0, "no [rule] table: not a detection rule file");
        else rule_table(l, path, text, rule);
    }
    sh_toml_free(doc);
    free(text);
}
