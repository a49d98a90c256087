/* loader.c: rule files into sh_rule records (see rules.h): Elastic
 * detection-rules TOML, Kibana rule export NDJSON/JSON, and plain .eql.
 * Every file is accounted for: its rules are added, or it (or each rule in
 * it) is reported through the reject callback with file:line and a reason. */
#include "rules/rules.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "event/event.h"
#include "input/input.h"
#include "util/toml.h"

static char *xstrdup(const char *s) {
    char *p = strdup(s ? s : "");
    if (!p) abort();
    return p;
}

static void reject(sh_reject_cb cb, void *ctx, const char *path, long line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void reject(sh_reject_cb cb, void *ctx, const char *path, long line, const char *fmt, ...) {
    sh_diag d;
    sh_diag_clear(&d);
    snprintf(d.file, sizeof d.file, "%s", path);
    d.line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d.msg, sizeof d.msg, fmt, ap);
    va_end(ap);
    if (cb) cb(ctx, &d);
}

static sh_rule *rule_new(const char *path, long line) {
    sh_rule *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->path = xstrdup(path);
    r->line = line;
    r->risk_score = -1;
    r->lang = SH_LANG_EQL;
    return r;
}

void sh_rule_free(sh_rule *r) {
    if (!r) return;
    free(r->path);
    free(r->id);
    free(r->name);
    free(r->description);
    free(r->severity);
    free(r->confidence);
    for (size_t i = 0; i < r->ntechniques; i++) free(r->techniques[i]);
    free(r->techniques);
    for (size_t i = 0; i < r->nfalse_positives; i++) free(r->false_positives[i]);
    free(r->false_positives);
    free(r->query);
    free(r);
}

void sh_ruleset_free(sh_ruleset *rs) {
    for (size_t i = 0; i < rs->n; i++) sh_rule_free(rs->rules[i]);
    free(rs->rules);
    rs->rules = NULL;
    rs->n = rs->cap = 0;
}

static void add_rule(sh_ruleset *rs, sh_rule *r) {
    if (!r->id) r->id = xstrdup("");
    if (!r->name) r->name = xstrdup("");
    if (!r->description) r->description = xstrdup("");
    if (!r->severity) r->severity = xstrdup("");
    if (!r->confidence) r->confidence = xstrdup("");
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 32;
        rs->rules = realloc(rs->rules, rs->cap * sizeof *rs->rules);
        if (!rs->rules) abort();
    }
    rs->rules[rs->n++] = r;
}

static void add_str(char ***arr, size_t *n, const char *s) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*arr)[i], s)) return;
    *arr = realloc(*arr, (*n + 1) * sizeof **arr);
    if (!*arr) abort();
    (*arr)[(*n)++] = xstrdup(s);
}

static const char *lang_reason(const char *lang) {
    static char buf[160];
    snprintf(buf, sizeof buf, "rule language \"%s\" is not supported (shrike runs eql, sigma, spl)", lang);
    return buf;
}

/* ------------------------------------------------------------ TOML */

static const char *tstr(const sh_toml *t, const char *path) {
    const sh_toml *v = sh_toml_path(t, path);
    return v && v->type == SH_TOML_STRING ? v->str : NULL;
}

/* the line where a string value's content starts: multi-line strings that
 * open with a newline start on the next line */
static long content_line(const char *text, long line) {
    const char *p = text;
    for (long l = 1; l < line && p; l++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    if (!p) return line;
    const char *eol = strchr(p, '\n');
    if (!eol) return line;
    const char *q = eol;
    while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r')) q--;
    if (q - p >= 3 && (!memcmp(q - 3, "'''", 3) || !memcmp(q - 3, "\"\"\"", 3))) return line + 1;
    return line;
}

static void toml_techniques(sh_rule *r, const sh_toml *rule) {
    const sh_toml *threats = sh_toml_get(rule, "threat");
    if (!threats || threats->type != SH_TOML_ARRAY) return;
    for (size_t i = 0; i < threats->n; i++) {
        const sh_toml *techs = sh_toml_get(threats->items[i], "technique");
        if (!techs || techs->type != SH_TOML_ARRAY) continue;
        for (size_t k = 0; k < techs->n; k++) {
            const char *id = tstr(techs->items[k], "id");
            if (id) add_str(&r->techniques, &r->ntechniques, id);
            const sh_toml *subs = sh_toml_get(techs->items[k], "subtechnique");
            if (!subs || subs->type != SH_TOML_ARRAY) continue;
            for (size_t s = 0; s < subs->n; s++) {
                const char *sid = tstr(subs->items[s], "id");
                if (sid) add_str(&r->techniques, &r->ntechniques, sid);
            }
        }
    }
}

static void load_toml(const char *path, sh_ruleset *rs, sh_reject_cb cb, void *ctx) {
    size_t len;
    sh_diag d;
    sh_diag_clear(&d);
    char *text = sh_read_file(path, &len, &d);
    if (!text) { reject(cb, ctx, path, 0, "%s", d.msg); return; }
    sh_toml *doc = sh_toml_parse(text, len, &d);
    if (!doc) {
        reject(cb, ctx, path, d.line, "TOML: %s (column %ld)", d.msg, d.col);
        free(text);
        return;
    }
    const sh_toml *rule = sh_toml_get(doc, "rule");
    const char *lang = tstr(doc, "rule.language");
    const char *type = tstr(doc, "rule.type");
    const sh_toml *q = sh_toml_path(doc, "rule.query");
    if (!rule || rule->type != SH_TOML_TABLE) {
        reject(cb, ctx, path, 0, "no [rule] table: not a detection rule file");
    } else if (!lang) {
        reject(cb, ctx, path, rule->line, "rule of type \"%s\" has no query language (shrike runs eql, sigma, spl)", type ? type : "?");
    } else if (strcmp(lang, "eql") != 0) {
        reject(cb, ctx, path, rule->line, "%s", lang_reason(lang));
    } else if (!q || q->type != SH_TOML_STRING) {
        reject(cb, ctx, path, rule->line, "rule has no query");
    } else {
        sh_rule *r = rule_new(path, content_line(text, q->line));
        r->query_line = r->line;
        r->query = xstrdup(q->str);
        r->id = xstrdup(tstr(rule, "rule_id"));
        r->name = xstrdup(tstr(rule, "name"));
        r->description = xstrdup(tstr(rule, "description"));
        r->severity = xstrdup(tstr(rule, "severity"));
        r->confidence = xstrdup(tstr(rule, "confidence"));
        const sh_toml *rsk = sh_toml_get(rule, "risk_score");
        if (rsk && rsk->type == SH_TOML_INT) r->risk_score = (int)rsk->i;
        const sh_toml *fp = sh_toml_get(rule, "false_positives");
        for (size_t i = 0; fp && fp->type == SH_TOML_ARRAY && i < fp->n; i++)
            if (fp->items[i]->type == SH_TOML_STRING) add_str(&r->false_positives, &r->nfalse_positives, fp->items[i]->str);
        toml_techniques(r, rule);
        add_rule(rs, r);
    }
    sh_toml_free(doc);
    free(text);
}

/* ------------------------------------------------------------ Kibana NDJSON */

typedef struct kctx {
    const char *path;
    sh_ruleset *rs;
    sh_reject_cb cb;
    void *ctx;
} kctx;

static const char *estr(sh_event *e, const char *name) {
    sh_field *f = sh_event_find_cstr(e, name);
    return f && f->nvals && f->vals[0].type == SH_STR ? f->vals[0].s : NULL;
}

static void eall(sh_event *e, const char *name, char ***arr, size_t *n) {
    sh_field *f = sh_event_find_cstr(e, name);
    for (uint32_t i = 0; f && i < f->nvals; i++)
        if (f->vals[i].type == SH_STR) add_str(arr, n, f->vals[i].s);
}

static bool kibana_rule(void *c, sh_event *e) {
    kctx *k = c;
    long line = (long)e->line;
    if (sh_event_find_cstr(e, "exported_count")) return true; /* the export summary line */
    const char *lang = estr(e, "language");
    const char *type = estr(e, "type");
    const char *query = estr(e, "query");
    if (!lang) {
        reject(k->cb, k->ctx, k->path, line, "rule of type \"%s\" has no query language (shrike runs eql, sigma, spl)", type ? type : "?");
        return true;
    }
    if (strcmp(lang, "eql") != 0) { reject(k->cb, k->ctx, k->path, line, "%s", lang_reason(lang)); return true; }
    if (!query) { reject(k->cb, k->ctx, k->path, line, "rule has no query"); return true; }
    sh_rule *r = rule_new(k->path, line);
    r->query = xstrdup(query);
    r->query_line = 0; /* positions inside a JSON string do not map to file lines */
    r->id = xstrdup(estr(e, "rule_id") ? estr(e, "rule_id") : estr(e, "id"));
    r->name = xstrdup(estr(e, "name"));
    r->description = xstrdup(estr(e, "description"));
    r->severity = xstrdup(estr(e, "severity"));
    r->confidence = xstrdup(estr(e, "confidence"));
    sh_field *rsk = sh_event_find_cstr(e, "risk_score");
    if (rsk && rsk->nvals && rsk->vals[0].type == SH_INT) r->risk_score = (int)rsk->vals[0].i;
    eall(e, "false_positives", &r->false_positives, &r->nfalse_positives);
    eall(e, "threat.technique.id", &r->techniques, &r->ntechniques);
    eall(e, "threat.technique.subtechnique.id", &r->techniques, &r->ntechniques);
    add_rule(k->rs, r);
    return true;
}

static void kibana_error(void *c, const sh_diag *d) {
    kctx *k = c;
    if (k->cb) k->cb(k->ctx, d);
}

static void load_kibana(const char *path, sh_ruleset *rs, sh_reject_cb cb, void *ctx) {
    kctx k = {.path = path, .rs = rs, .cb = cb, .ctx = ctx};
    sh_input_opts o = {.keep_raw = false};
    sh_input_sink sink = {.on_event = kibana_rule, .on_error = kibana_error, .ctx = &k};
    sh_input_stats st = {0};
    sh_input_read(path, &o, &sink, &st);
}

/* ------------------------------------------------------------ .eql */

static void trim(char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = 0;
    size_t k = 0;
    while (s[k] == ' ' || s[k] == '\t') k++;
    memmove(s, s + k, n - k + 1);
}

static void eql_meta(sh_rule *r, const char *key, char *val) {
    trim(val);
    if (!strcmp(key, "name")) { free(r->name); r->name = xstrdup(val); }
    else if (!strcmp(key, "id")) { free(r->id); r->id = xstrdup(val); }
    else if (!strcmp(key, "severity")) { free(r->severity); r->severity = xstrdup(val); }
    else if (!strcmp(key, "confidence")) { free(r->confidence); r->confidence = xstrdup(val); }
    else if (!strcmp(key, "description")) { free(r->description); r->description = xstrdup(val); }
    else if (!strcmp(key, "risk_score")) r->risk_score = atoi(val);
    else if (!strcmp(key, "techniques")) {
        for (char *tok = strtok(val, ", "); tok; tok = strtok(NULL, ", ")) add_str(&r->techniques, &r->ntechniques, tok);
    } else if (!strcmp(key, "false_positive")) add_str(&r->false_positives, &r->nfalse_positives, val);
}

static void load_eql(const char *path, sh_ruleset *rs, sh_reject_cb cb, void *ctx) {
    size_t len;
    sh_diag d;
    sh_diag_clear(&d);
    char *text = sh_read_file(path, &len, &d);
    if (!text) { reject(cb, ctx, path, 0, "%s", d.msg); return; }
    if (!sh_utf8_valid(text, len)) { reject(cb, ctx, path, 0, "not UTF-8 text"); free(text); return; }
    sh_rule *r = rule_new(path, 1);
    /* leading "// key: value" lines */
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (p[0] != '/' || p[1] != '/') break;
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(n - 2 < sizeof line ? n - 2 : sizeof line - 1), p + 2);
        char *colon = strchr(line, ':');
        if (colon) {
            *colon = 0;
            trim(line);
            eql_meta(r, line, colon + 1);
        }
        if (!eol) { p += n; break; }
        p = eol + 1;
    }
    r->query = xstrdup(text);
    r->query_line = 1;
    if (!r->id) {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t bl = strlen(base);
        if (bl > 4 && !strcmp(base + bl - 4, ".eql")) bl -= 4;
        r->id = calloc(bl + 1, 1);
        if (!r->id) abort();
        memcpy(r->id, base, bl);
    }
    if (!r->name) r->name = xstrdup(r->id);
    bool empty = true;
    for (const char *q = p; *q; q++)
        if (*q != ' ' && *q != '\n' && *q != '\t' && *q != '\r') { empty = false; break; }
    free(text);
    if (empty) {
        reject(cb, ctx, path, 1, "empty rule file: no query");
        sh_rule_free(r);
        return;
    }
    add_rule(rs, r);
}

/* ------------------------------------------------------------ dispatch */

static const char *ext_of(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot ? dot : "";
}

static bool quietly_skipped(const char *name) {
    static const char *const prefixes[] = {"README", "LICENSE", "LICENCE", "NOTICE", "CHANGELOG"};
    static const char *const exts[] = {".md", ".txt", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".rst", ".html", ".pdf", ".tsv"};
    if (name[0] == '.') return true;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (!strncmp(name, prefixes[i], strlen(prefixes[i]))) return true;
    const char *e = ext_of(name);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (!strcasecmp(e, exts[i])) return true;
    return false;
}

static void load_file(const char *path, sh_ruleset *rs, sh_reject_cb cb, void *ctx) {
    const char *e = ext_of(path);
    if (!strcasecmp(e, ".toml")) load_toml(path, rs, cb, ctx);
    else if (!strcasecmp(e, ".ndjson") || !strcasecmp(e, ".json")) load_kibana(path, rs, cb, ctx);
    else if (!strcasecmp(e, ".eql")) load_eql(path, rs, cb, ctx);
    else if (!strcasecmp(e, ".yml") || !strcasecmp(e, ".yaml"))
        reject(cb, ctx, path, 0, "YAML rules (Sigma, Splunk ESCU) are not supported yet");
    else if (!strcasecmp(e, ".spl"))
        reject(cb, ctx, path, 0, "SPL rules are not supported yet");
    else reject(cb, ctx, path, 0, "not a rule file (unknown extension %s)", *e ? e : "(none)");
}

static int name_cmp(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

static void load_path(const char *path, sh_ruleset *rs, sh_reject_cb cb, void *ctx, int depth, bool top) {
    struct stat sb;
    if (stat(path, &sb) != 0) {
        reject(cb, ctx, path, 0, "cannot open: %s", strerror(errno));
        return;
    }
    if (!S_ISDIR(sb.st_mode)) {
        const char *base = strrchr(path, '/');
        if (!top && quietly_skipped(base ? base + 1 : path)) return;
        load_file(path, rs, cb, ctx);
        return;
    }
    if (depth > 64) { reject(cb, ctx, path, 0, "folder nesting too deep"); return; }
    struct dirent **ents;
    int n = scandir(path, &ents, NULL, name_cmp);
    if (n < 0) {
        reject(cb, ctx, path, 0, "cannot read folder: %s", strerror(errno));
        return;
    }
    for (int i = 0; i < n; i++) {
        if (ents[i]->d_name[0] != '.') {
            size_t len = strlen(path) + strlen(ents[i]->d_name) + 2;
            char *sub = malloc(len);
            if (!sub) abort();
            size_t pl = strlen(path);
            while (pl > 1 && path[pl - 1] == '/') pl--;
            snprintf(sub, len, "%.*s/%s", (int)pl, path, ents[i]->d_name);
            load_path(sub, rs, cb, ctx, depth + 1, false);
            free(sub);
        }
        free(ents[i]);
    }
    free(ents);
}

size_t sh_rules_load(const char *path, sh_ruleset *rs, sh_reject_cb cb, void *ctx) {
    size_t before = rs->n;
    load_path(path, rs, cb, ctx, 0, true);
    return rs->n - before;
}
