/* loader.c: rule files into sh_rule records (see rules.h). Walks files and
 * folders, hands each file to the loader for its format (load_toml.c,
 * load_kibana.c, load_eql.c), and holds what those loaders share. Every file
 * is accounted for: its rules are added, or it (or each rule in it) is
 * reported through the reject callback with file:line and a reason. */
#include "rules/loader_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_FOLDER_DEPTH 64

/* ------------------------------------------------------------ shared helpers */

void sh_rload_reject(const sh_rload *l, const char *path, long line, const char *fmt, ...) {
    sh_diag d;
    sh_diag_clear(&d);
    va_list ap;
    va_start(ap, fmt);
    sh_diag_vset(&d, path, line, 0, fmt, ap);
    va_end(ap);
    if (l->cb) l->cb(l->ctx, &d);
}

void sh_rload_reject_lang(const sh_rload *l, const char *path, long line, const char *lang, const char *type) {
    if (lang)
        sh_rload_reject(l, path, line, "rule language \"%s\" is not supported (shrike runs eql, sigma, spl)", lang);
    else if (type)
        sh_rload_reject(l, path, line, "rule of type \"%s\" has no query language (shrike runs eql, sigma, spl)", type);
    else
        sh_rload_reject(l, path, line, "rule has no query language (shrike runs eql, sigma, spl)");
}

char *sh_rload_strdup(const char *s) {
    char *p = strdup(s ? s : "");
    if (!p) abort();
    return p;
}

sh_rule *sh_rload_rule_new(const char *path, long line) {
    sh_rule *r = calloc(1, sizeof *r);
    if (!r) abort();
    r->path = sh_rload_strdup(path);
    r->line = line;
    r->risk_score = -1;
    r->lang = SH_LANG_EQL;
    return r;
}

void sh_rload_add_str(char ***arr, size_t *n, const char *s) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*arr)[i], s)) return;
    *arr = realloc(*arr, (*n + 1) * sizeof **arr);
    if (!*arr) abort();
    (*arr)[(*n)++] = sh_rload_strdup(s);
}

static void fill(char **s) {
    if (!*s) *s = sh_rload_strdup("");
}

static void lower(char *s) {
    for (; *s; s++) *s = (char)tolower((unsigned char)*s);
}

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void sh_rload_add(const sh_rload *l, sh_rule *r) {
    fill(&r->id);
    fill(&r->name);
    fill(&r->description);
    fill(&r->severity);
    fill(&r->confidence);
    fill(&r->query);
    lower(r->severity);
    lower(r->confidence);
    if (r->ntechniques > 1) qsort(r->techniques, r->ntechniques, sizeof *r->techniques, str_cmp);
    sh_ruleset *rs = l->rs;
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 32;
        rs->rules = realloc(rs->rules, rs->cap * sizeof *rs->rules);
        if (!rs->rules) abort();
    }
    rs->rules[rs->n++] = r;
}

char *sh_rload_read(const sh_rload *l, const char *path, size_t *len) {
    sh_diag d;
    sh_diag_clear(&d);
    char *text = sh_read_file(path, len, &d);
    if (!text) {
        sh_rload_reject(l, path, 0, "%s", d.msg);
        return NULL;
    }
    if (!sh_utf8_valid(text, *len)) {
        sh_rload_reject(l, path, 0, "not UTF-8 text");
        free(text);
        return NULL;
    }
    return text;
}

char *sh_rload_read_query(const sh_rload *l, const char *path, size_t *len) {
    char *text = sh_rload_read(l, path, len);
    if (text && memchr(text, 0, *len)) {
        sh_rload_reject(l, path, 0, "not a text file (holds NUL bytes)");
        free(text);
        return NULL;
    }
    return text;
}

char *sh_rload_id_from_path(const char *path, const char *ext) {
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t n = strlen(base), k = strlen(ext);
    if (n > k && !strcmp(base + n - k, ext)) n -= k;
    char *id = strndup(base, n);
    if (!id) abort();
    return id;
}

/* ------------------------------------------------------------ freeing */

static void free_strs(char **a, size_t n) {
    for (size_t i = 0; i < n; i++) free(a[i]);
    free(a);
}

void sh_rule_free(sh_rule *r) {
    if (!r) return;
    free(r->path);
    free(r->id);
    free(r->name);
    free(r->description);
    free(r->severity);
    free(r->confidence);
    free_strs(r->techniques, r->ntechniques);
    free_strs(r->false_positives, r->nfalse_positives);
    free(r->query);
    free(r);
}

void sh_ruleset_free(sh_ruleset *rs) {
    if (!rs) return;
    for (size_t i = 0; i < rs->n; i++) sh_rule_free(rs->rules[i]);
    free(rs->rules);
    rs->rules = NULL;
    rs->n = rs->cap = 0;
}

/* ------------------------------------------------------------ dispatch */

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static const char *ext_of(const char *path) {
    const char *dot = strrchr(base_name(path), '.');
    return dot ? dot : "";
}

/* files in a folder that are clearly not rules: skipped without a word */
static bool quietly_skipped(const char *name) {
    static const char *const prefixes[] = {"README", "LICENSE", "LICENCE"};
    static const char *const exts[] = {".md", ".txt", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".bmp", ".ico", ".webp"};
    if (name[0] == '.') return true;
    /* a pack's exclusion file (docs/tuning.md) sits beside its rules */
    size_t nl = strlen(name);
    if (nl >= 15 && !strcasecmp(name + nl - 15, "exclusions.toml")) return true;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (!strncasecmp(name, prefixes[i], strlen(prefixes[i]))) return true;
    const char *e = ext_of(name);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (!strcasecmp(e, exts[i])) return true;
    return false;
}

/* does a line of text start with key (at column 0)? */
static bool has_top_key(const char *text, const char *key) {
    size_t k = strlen(key);
    for (const char *p = text; p; p = strchr(p, '\n')) {
        if (*p == '\n') p++;
        if (!strncmp(p, key, k)) return true;
    }
    return false;
}

/* YAML rule files: Splunk security_content detections carry a top-level
 * `search:`; everything else is read as Sigma (which names what it lacks) */
static void load_yaml(const sh_rload *l, const char *path) {
    size_t len;
    char *text = sh_rload_read(l, path, &len);
    if (!text) return;
    bool escu = has_top_key(text, "search:") && !has_top_key(text, "detection:") && !has_top_key(text, "correlation:");
    if (escu) sh_rload_escu(l, path, text, len);
    else sh_rload_sigma(l, path, text, len);
    free(text);
}

static void load_file(const sh_rload *l, const char *path) {
    const char *e = ext_of(path);
    if (!strcasecmp(e, ".toml")) sh_rload_toml(l, path);
    else if (!strcasecmp(e, ".ndjson") || !strcasecmp(e, ".json")) sh_rload_kibana(l, path);
    else if (!strcasecmp(e, ".eql")) sh_rload_eql(l, path);
    else if (!strcasecmp(e, ".yml") || !strcasecmp(e, ".yaml")) load_yaml(l, path);
    else if (!strcasecmp(e, ".spl")) sh_rload_spl(l, path);
    else if (*e)
        sh_rload_reject(l, path, 0, "not a rule file (unknown extension %s)", e);
    else
        sh_rload_reject(l, path, 0, "not a rule file (no extension)");
}

static int name_cmp(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

static void load_path(const sh_rload *l, const char *path, int depth, bool in_folder);

static void load_folder(const sh_rload *l, const char *path, int depth) {
    if (depth > MAX_FOLDER_DEPTH) {
        sh_rload_reject(l, path, 0, "folders nested deeper than %d", MAX_FOLDER_DEPTH);
        return;
    }
    struct dirent **ents;
    int n = scandir(path, &ents, NULL, name_cmp);
    if (n < 0) {
        sh_rload_reject(l, path, 0, "cannot read folder: %s", strerror(errno));
        return;
    }
    size_t pl = strlen(path);
    while (pl > 1 && path[pl - 1] == '/') pl--;
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        if (name[0] != '.') {
            size_t len = pl + strlen(name) + 2;
            char *sub = malloc(len);
            if (!sub) abort();
            snprintf(sub, len, "%.*s/%s", (int)pl, path, name);
            load_path(l, sub, depth + 1, true);
            free(sub);
        }
        free(ents[i]);
    }
    free(ents);
}

/* a file named on its own is always read; in a folder, dot-files and files
 * that are clearly not rules are passed over */
static void load_path(const sh_rload *l, const char *path, int depth, bool in_folder) {
    struct stat sb;
    if (stat(path, &sb) != 0) {
        sh_rload_reject(l, path, 0, "cannot open: %s", strerror(errno));
        return;
    }
    if (S_ISDIR(sb.st_mode)) load_folder(l, path, depth);
    else if (!in_folder || !quietly_skipped(base_name(path))) load_file(l, path);
}

size_t sh_rules_load(const char *path, sh_ruleset *rs, sh_reject_cb cb, void *ctx) {
    sh_rload l = {.rs = rs, .cb = cb, .ctx = ctx};
    size_t before = rs->n;
    load_path(&l, path, 0, false);
    return rs->n - before;
}
