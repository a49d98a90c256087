/* load_kibana.c: Kibana rule exports (.ndjson, one rule object a line; or
 * .json holding one object, several, or an array of them) into sh_rule
 * records. Each object is parsed with shrike's JSON reader, which flattens
 * nested objects to dotted names (threat.technique.subtechnique.id) and
 * keeps every value of arrays. The export-summary line is skipped; exception
 * lists and rules in other languages are rejected with the reason. */
#include "rules/loader_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "event/event.h"
#include "input/json.h"

typedef struct kfile {
    const sh_rload *l;
    const char *path;
    const char *text, *end;
    int objects;        /* objects and problems seen, the summary line not counted */
} kfile;

/* 1-based line and column (in characters) of `at` in the file */
static void locate(const kfile *k, const char *at, long *line, long *col) {
    *line = 1;
    *col = 1;
    for (const char *p = k->text; p < at && p < k->end; p++) {
        if (*p == '\n') *line += 1, *col = 1;
        else if (((unsigned char)*p & 0xc0) != 0x80) *col += 1;
    }
}

/* a problem in the file (counted, so an empty-looking file is not also
 * reported as holding no rules) */
static void reject_at(kfile *k, const char *at, const char *what, const char *reason) {
    long line, col;
    k->objects++;
    locate(k, at, &line, &col);
    sh_rload_reject(k->l, k->path, line, "%s (column %ld): %s", what, col, reason);
}

static const char *estr(const sh_event *e, const char *name) {
    const sh_field *f = sh_event_find_cstr(e, name);
    return f && f->nvals && f->vals[0].type == SH_STR ? f->vals[0].s : NULL;
}

static void eall(const sh_event *e, const char *name, char ***arr, size_t *n) {
    const sh_field *f = sh_event_find_cstr(e, name);
    for (uint32_t i = 0; f && i < f->nvals; i++)
        if (f->vals[i].type == SH_STR) sh_rload_add_str(arr, n, f->vals[i].s);
}

static void metadata(sh_rule *r, const sh_event *e) {
    r->id = sh_rload_strdup(estr(e, "rule_id") ? estr(e, "rule_id") : estr(e, "id"));
    r->name = sh_rload_strdup(estr(e, "name"));
    r->description = sh_rload_strdup(estr(e, "description"));
    r->severity = sh_rload_strdup(estr(e, "severity"));
    r->confidence = sh_rload_strdup(estr(e, "confidence"));
    const sh_field *risk = sh_event_find_cstr(e, "risk_score");
    if (risk && risk->nvals && risk->vals[0].type == SH_INT) {
        int64_t v = risk->vals[0].i;
        r->risk_score = v < 0 ? -1 : v > INT_MAX ? INT_MAX : (int)v;
    }
    eall(e, "false_positives", &r->false_positives, &r->nfalse_positives);
    eall(e, "threat.technique.id", &r->techniques, &r->ntechniques);
    eall(e, "threat.technique.subtechnique.id", &r->techniques, &r->ntechniques);
}

/* one parsed object starting on `line`: a rule, or a rejection */
static void rule_object(kfile *k, long line, const sh_event *e) {
    const sh_rload *l = k->l;
    if (sh_event_find_cstr(e, "exported_count")) return; /* the export summary */
    k->objects++;
    const char *lang = estr(e, "language"), *type = estr(e, "type"), *query = estr(e, "query");
    const char *list = estr(e, "list_id");
    if (!lang && list && !sh_event_find_cstr(e, "rule_id")) {
        sh_rload_reject(l, k->path, line, "exception list \"%s\" is not applied: exception lists are not supported", list);
    } else if (!lang && !type && !query && !sh_event_find_cstr(e, "rule_id")) {
        sh_rload_reject(l, k->path, line, "not a rule (no rule_id, type, language or query)");
    } else if (!lang || strcmp(lang, "eql") != 0) {
        sh_rload_reject_lang(l, k->path, line, lang, type);
    } else if (!query) {
        sh_rload_reject(l, k->path, line, "EQL rule has no query");
    } else if (query[strspn(query, " \t\r\n")] == 0) {
        sh_rload_reject(l, k->path, line, "EQL rule has an empty query");
    } else {
        sh_rule *r = sh_rload_rule_new(k->path, line);
        r->query = sh_rload_strdup(query);
        r->query_line = 0; /* lines inside a JSON string are not lines of the file */
        metadata(r, e);
        sh_rload_add(l, r);
    }
}

/* parse the object at p[0..n) (leading blanks allowed) */
static void object(kfile *k, const char *p, size_t n) {
    sh_event *e = sh_event_new();
    sh_diag d;
    sh_diag_clear(&d);
    sh_json_opts o = {.keep_raw = false, .unwrap = false};
    const char *first = p + strspn(p, " \t\r\n");
    long line, col;
    if (sh_json_parse_event(p, n, e, &o, &d)) {
        locate(k, first, &line, &col);
        rule_object(k, line, e);
    } else {
        reject_at(k, p + (d.col > 0 ? d.col - 1 : 0), "invalid JSON", d.msg);
    }
    sh_event_unref(e);
}

static const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    return p;
}

/* one rule object a line; blank lines skipped */
static void read_lines(kfile *k) {
    for (const char *p = k->text; p < k->end;) {
        const char *nl = memchr(p, '\n', (size_t)(k->end - p));
        const char *eol = nl ? nl : k->end;
        if (skip_ws(p, eol) < eol) object(k, p, (size_t)(eol - p));
        p = nl ? nl + 1 : k->end;
    }
}

/* the next value at p (after blanks): its length, or 0 with the file
 * rejected at the first problem (the rest cannot be split into objects) */
static size_t next_value(kfile *k, const char *p) {
    size_t span = sh_json_value_span(p, (size_t)(k->end - p), NULL);
    if (span) return span;
    sh_event *e = sh_event_new();
    sh_diag d;
    sh_diag_clear(&d);
    sh_json_opts o = {.keep_raw = false, .unwrap = false};
    if (sh_json_parse_event(p, (size_t)(k->end - p), e, &o, &d))
        reject_at(k, k->end, "invalid JSON", "incomplete document at the end of the file");
    else
        reject_at(k, p + (d.col > 0 ? d.col - 1 : 0), "invalid JSON", d.msg);
    sh_event_unref(e);
    return 0;
}

static void trailing(kfile *k, const char *p) {
    p = skip_ws(p, k->end);
    if (p < k->end) reject_at(k, p, "invalid JSON", "unexpected text after the array");
}

/* objects one after another (pretty-printed), or a JSON array of them */
static void read_values(kfile *k, const char *p, bool array) {
    if (array) {
        p = skip_ws(p + 1, k->end);
        if (p < k->end && *p == ']') {
            trailing(k, p + 1);
            return;
        }
    }
    for (;;) {
        p = skip_ws(p, k->end);
        if (p >= k->end) {
            if (array) reject_at(k, p, "invalid JSON", "unterminated array");
            return;
        }
        size_t span = next_value(k, p);
        if (!span) return;
        object(k, p, span);
        p = skip_ws(p + span, k->end);
        if (!array) continue;
        if (p < k->end && *p == ',') {
            p++;
            continue;
        }
        if (p < k->end && *p == ']') {
            trailing(k, p + 1);
            return;
        }
        reject_at(k, p, "invalid JSON", p < k->end ? "expected ',' or ']' after an array element" : "unterminated array");
        return;
    }
}

/* NDJSON when the first line holds exactly one whole value */
static bool first_line_is_value(const kfile *k, const char *p) {
    const char *nl = memchr(p, '\n', (size_t)(k->end - p));
    const char *eol = nl ? nl : k->end;
    size_t span = sh_json_value_span(p, (size_t)(eol - p), NULL);
    return span && skip_ws(p + span, eol) == eol;
}

void sh_rload_kibana(const sh_rload *l, const char *path) {
    size_t len;
    char *text = sh_rload_read(l, path, &len);
    if (!text) return;
    bool bom = len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3);
    kfile k = {.l = l, .path = path, .text = text + (bom ? 3 : 0), .end = text + len};
    const char *p = skip_ws(k.text, k.end);
    if (p < k.end && *p == '[') read_values(&k, p, true);
    else if (p < k.end && first_line_is_value(&k, p)) read_lines(&k);
    else read_values(&k, p, false);
    if (k.objects == 0) sh_rload_reject(l, path, 0, "no rules in the file");
    free(text);
}
