/* test_rules.c: the TOML reader (syntax, exact errors) and the rule loaders
 * (detection-rules TOML, Kibana NDJSON, .eql, folders), plus the load count
 * over ../shared/data/eql/detection-rules when it is there. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rules/rules.h"
#include "test.h"
#include "util/toml.h"

static sh_toml *parse(const char *text, sh_diag *d) { return sh_toml_parse(text, strlen(text), d); }

TEST(toml_values) {
    sh_diag d;
    sh_toml *t = parse("# c\n"
                       "a = \"x\\ty\\u00e9\"  # c\n"
                       "b = 'C:\\path'\n"
                       "c = 1_000\nd = 0x1F\ne = -2.5e3\nf = true\ng = 2024-01-02\n"
                       "h = [1, [2, 3], \"s\",]\n"
                       "i = { k = 1, l.m = 'n' }\n"
                       "j = \"\"\"\nline1\n  line2 \\\n   cont\"\"\"\n"
                       "k = '''\nraw \\n ''x'' '''\n"
                       "[t.u]\nv = 1\n[[arr]]\nw = 1\n[[arr]]\nw = 2\n[arr.sub]\nz = 3\n",
                       &d);
    CHECK(t != NULL);
    if (!t) { FAILF("%ld:%ld %s", d.line, d.col, d.msg); return; }
    CHECK_STR(sh_toml_get(t, "a")->str, "x\ty\xc3\xa9");
    CHECK_STR(sh_toml_get(t, "b")->str, "C:\\path");
    CHECK_INT(sh_toml_get(t, "c")->i, 1000);
    CHECK_INT(sh_toml_get(t, "d")->i, 31);
    CHECK(sh_toml_get(t, "e")->f == -2500.0);
    CHECK(sh_toml_get(t, "f")->b);
    CHECK_INT(sh_toml_get(t, "g")->type, SH_TOML_DATETIME);
    CHECK_STR(sh_toml_get(t, "g")->str, "2024-01-02");
    const sh_toml *h = sh_toml_get(t, "h");
    CHECK(h->type == SH_TOML_ARRAY && h->n == 3 && h->items[1]->n == 2);
    CHECK_STR(sh_toml_path(t, "i.l.m")->str, "n");
    CHECK_STR(sh_toml_get(t, "j")->str, "line1\n  line2 cont");
    CHECK_STR(sh_toml_get(t, "k")->str, "raw \\n ''x'' ");
    CHECK_INT(sh_toml_path(t, "t.u.v")->i, 1);
    const sh_toml *arr = sh_toml_get(t, "arr");
    CHECK(arr && arr->n == 2);
    if (arr && arr->n == 2) {
        CHECK_INT(sh_toml_get(arr->items[1], "w")->i, 2);
        CHECK_INT(sh_toml_path(arr->items[1], "sub.z")->i, 3);
    }
    CHECK_INT(sh_toml_get(t, "j")->line, 11);
    sh_toml_free(t);
}

static void toml_error(const char *text, long line, long col, const char *msg) {
    sh_diag d;
    sh_toml *t = parse(text, &d);
    if (t) { FAILF("accepted: %s", text); sh_toml_free(t); return; }
    if (d.line != line || d.col != col || strcmp(d.msg, msg) != 0)
        FAILF("for %s: got %ld:%ld \"%s\", expected %ld:%ld \"%s\"", text, d.line, d.col, d.msg, line, col, msg);
}

TEST(toml_errors) {
    toml_error("a = 1\na = 2\n", 2, 1, "duplicate key 'a'");
    toml_error("[t]\nx=1\n[t]\n", 3, 1, "table 't' is defined twice");
    toml_error("a = \"x\n", 1, 5, "newline in a single-line string");
    toml_error("a = \"\\q\"\n", 1, 6, "invalid escape '\\q' in string");
    toml_error("a = [1, 2\n", 2, 1, "unterminated array");
    toml_error("a = 01\n", 1, 5, "leading zeros are not allowed in '01'");
    toml_error("a = 1 b = 2\n", 1, 7, "expected the end of the line, found 'b'");
    toml_error("= 1\n", 1, 1, "expected a key, found '='");
    toml_error("a.b = 1\na.b.c = 2\n", 2, 1, "key 'a.b' is already defined as a value");
    toml_error("x = '''abc\n", 1, 5, "unterminated string");
    toml_error("[[a]\n", 1, 4, "expected ']]' to close the table header");
}

static char g_dir[64];

static void write_file(const char *name, const char *text) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

typedef struct rejects { char lines[16][1024]; int n; } rejects;

static void on_reject(void *ctx, const sh_diag *d) {
    rejects *r = ctx;
    if (r->n < 16) {
        const char *base = strrchr(d->file, '/');
        snprintf(r->lines[r->n++], sizeof r->lines[0], "%s:%ld: %s", base ? base + 1 : d->file, d->line, d->msg);
    }
}

TEST(loaders) {
    snprintf(g_dir, sizeof g_dir, "/tmp/shrike-rules-XXXXXX");
    if (!mkdtemp(g_dir)) { FAILF("mkdtemp"); return; }
    write_file("a.toml",
               "[metadata]\ncreation_date = \"2024/01/01\"\n\n[rule]\nrule_id = \"r-1\"\nname = \"Rule one\"\n"
               "severity = \"medium\"\nconfidence = \"high\"\nrisk_score = 47\nlanguage = \"eql\"\n"
               "false_positives = [\"admins\"]\n"
               "query = '''\nprocess where process.name : \"a.exe\"\n'''\n\n"
               "[[rule.threat]]\nframework = \"MITRE ATT&CK\"\n[[rule.threat.technique]]\nid = \"T1587\"\n"
               "[[rule.threat.technique.subtechnique]]\nid = \"T1587.002\"\n");
    write_file("b.toml", "[rule]\nlanguage = \"kuery\"\nquery = \"x\"\n");
    write_file("c.toml", "[rule\n");
    write_file("d.ndjson",
               "{\"rule_id\":\"k-1\",\"name\":\"K\",\"language\":\"eql\",\"query\":\"any where true\",\"severity\":\"low\","
               "\"risk_score\":21,\"threat\":[{\"technique\":[{\"id\":\"T1553\",\"subtechnique\":[{\"id\":\"T1553.002\"}]}]}]}\n"
               "{\"rule_id\":\"k-2\",\"language\":\"esql\",\"query\":\"from x\"}\n"
               "not json\n"
               "{\"exported_count\":2}\n");
    write_file("e.eql", "// name: E rule\n// severity: high\n// techniques: T1, T2\nfile where true\n");
    write_file("README.md", "docs\n");
    write_file("f.xyz", "?\n");
    sh_ruleset rs = {0};
    rejects rj = {0};
    size_t n = sh_rules_load(g_dir, &rs, on_reject, &rj);
    CHECK_INT(n, 3);
    CHECK_INT(rj.n, 5);
    if (rj.n == 5) {
        CHECK_STR(rj.lines[0], "b.toml:1: rule language \"kuery\" is not supported (shrike runs eql, sigma, spl)");
        CHECK_STR(rj.lines[1], "c.toml:1: TOML: expected ']' to close the table header (column 6)");
        CHECK_STR(rj.lines[2], "d.ndjson:2: rule language \"esql\" is not supported (shrike runs eql, sigma, spl)");
        CHECK_STR(rj.lines[3], "d.ndjson:3: top-level value is not an object (found 'n')");
        CHECK_STR(rj.lines[4], "f.xyz:0: not a rule file (unknown extension .xyz)");
    }
    if (n == 3) {
        sh_rule *a = rs.rules[0], *k = rs.rules[1], *e = rs.rules[2];
        CHECK_STR(a->id, "r-1");
        CHECK_STR(a->confidence, "high");
        CHECK_INT(a->risk_score, 47);
        CHECK_INT(a->query_line, 13);
        CHECK_STR(a->query, "process where process.name : \"a.exe\"\n");
        CHECK_INT(a->ntechniques, 2);
        if (a->ntechniques == 2) CHECK_STR(a->techniques[1], "T1587.002");
        CHECK_INT(a->nfalse_positives, 1);
        CHECK_STR(k->id, "k-1");
        CHECK_INT(k->risk_score, 21);
        CHECK_INT(k->ntechniques, 2);
        CHECK_STR(e->id, "e");
        CHECK_STR(e->name, "E rule");
        CHECK_STR(e->severity, "high");
        CHECK_INT(e->ntechniques, 2);
    }
    sh_ruleset_free(&rs);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0) FAILF("cleanup");
}

typedef struct counter { int n; } counter;
static void count_reject(void *ctx, const sh_diag *d) { ((counter *)ctx)->n++; (void)d; }

TEST(detection_rules_load) {
    const char *dir = "../shared/data/eql/detection-rules/rules";
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        printf("test_rules: %s not found, load count skipped\n", dir);
        return;
    }
    sh_ruleset rs = {0};
    counter c = {0};
    size_t n = sh_rules_load(dir, &rs, count_reject, &c);
    printf("test_rules: detection-rules: %zu loaded, %d rejected\n", n, c.n);
    CHECK(n >= 1011);
    CHECK(c.n <= 1);
    sh_ruleset_free(&rs);
}

int main(void) {
    RUN(toml_values);
    RUN(toml_errors);
    RUN(loaders);
    RUN(detection_rules_load);
    TEST_MAIN_END();
}
