/* test_rules.c: the rule-file loaders. Small rule files of each format are
 * written into a temporary folder and loaded: every field, every rejection
 * message, folder walking. When ../shared/data is there, the whole
 * detection-rules folder is loaded and every file accounted for. */
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rules/rules.h"
#include "test.h"

static char tmp[64];

/* rejections as "path:line: reason", the temporary folder left out */
typedef struct rejects {
    char *msg[64];
    int n;
} rejects;

static void on_reject(void *ctx, const sh_diag *d) {
    rejects *r = ctx;
    char buf[1200];
    const char *f = d->file;
    if (!strncmp(f, tmp, strlen(tmp))) f += strlen(tmp) + 1;
    if (d->line > 0) snprintf(buf, sizeof buf, "%s:%ld: %s", f, d->line, d->msg);
    else snprintf(buf, sizeof buf, "%s: %s", f, d->msg);
    if (r->n < 64) r->msg[r->n++] = strdup(buf);
}

static void rejects_free(rejects *r) {
    for (int i = 0; i < r->n; i++) free(r->msg[i]);
    r->n = 0;
}

static const char *path_of(const char *name) {
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", tmp, name);
    return p[k];
}

static void write_file(const char *name, const char *text) {
    const char *p = path_of(name);
    char dir[256];
    snprintf(dir, sizeof dir, "%s", p);
    for (char *s = strchr(dir + strlen(tmp) + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        mkdir(dir, 0700);
        *s = '/';
    }
    FILE *f = fopen(p, "wb");
    if (!f) return;
    fwrite(text, 1, strlen(text), f);
    fclose(f);
}

/* load one file or folder under tmp */
static size_t load(const char *name, sh_ruleset *rs, rejects *rj) {
    return sh_rules_load(path_of(name), rs, on_reject, rj);
}

static const char *rule_toml =
    "[metadata]\n"
    "creation_date = \"2024/01/01\"\n"
    "maturity = \"production\"\n"
    "\n"
    "[rule]\n"
    "author = [\"Elastic\"]\n"
    "description = \"\"\"\n"
    "Detects a thing.\n"
    "\"\"\"\n"
    "false_positives = [\"Developers testing\", \"CI pipelines\"]\n"
    "language = \"eql\"\n"
    "name = \"Self-signed certificate\"\n"
    "risk_score = 47\n"
    "rule_id = \"0a1b2c3d\"\n"
    "severity = \"Medium\"\n"
    "confidence = \"high\"\n"
    "type = \"eql\"\n"
    "query = '''\n"
    "process where host.os.type == \"windows\" and\n"
    "  process.name : \"certutil.exe\"\n"
    "'''\n"
    "\n"
    "[[rule.threat]]\n"
    "framework = \"MITRE ATT&CK\"\n"
    "[[rule.threat.technique]]\n"
    "id = \"T1587\"\n"
    "name = \"Develop Capabilities\"\n"
    "[[rule.threat.technique.subtechnique]]\n"
    "id = \"T1587.002\"\n"
    "[rule.threat.tactic]\n"
    "id = \"TA0042\"\n"
    "[[rule.threat]]\n"
    "framework = \"MITRE ATT&CK\"\n"
    "[[rule.threat.technique]]\n"
    "id = \"T1553\"\n"
    "[[rule.threat.technique.subtechnique]]\n"
    "id = \"T1553.004\"\n"
    "[[rule.threat.technique]]\n"
    "id = \"T1587\"\n";

TEST(toml_rule) {
    write_file("a.toml", rule_toml);
    sh_ruleset rs = {0};
    rejects rj = {0};
    CHECK_INT(load("a.toml", &rs, &rj), 1);
    CHECK_INT(rj.n, 0);
    CHECK_INT(rs.n, 1);
    if (rs.n != 1) return;
    sh_rule *r = rs.rules[0];
    CHECK_STR(r->path, path_of("a.toml"));
    CHECK_INT(r->lang, SH_LANG_EQL);
    CHECK_STR(r->id, "0a1b2c3d");
    CHECK_STR(r->name, "Self-signed certificate");
    CHECK_STR(r->description, "Detects a thing.\n");
    CHECK_STR(r->severity, "medium");
    CHECK_STR(r->confidence, "high");
    CHECK_INT(r->risk_score, 47);
    CHECK_STR(r->query, "process where host.os.type == \"windows\" and\n  process.name : \"certutil.exe\"\n");
    CHECK_INT(r->query_line, 19);
    CHECK_INT(r->line, 19);
    CHECK_INT(r->ntechniques, 4);
    if (r->ntechniques == 4) {
        CHECK_STR(r->techniques[0], "T1553");
        CHECK_STR(r->techniques[1], "T1553.004");
        CHECK_STR(r->techniques[2], "T1587");
        CHECK_STR(r->techniques[3], "T1587.002");
    }
    CHECK_INT(r->nfalse_positives, 2);
    if (r->nfalse_positives == 2) CHECK_STR(r->false_positives[1], "CI pipelines");
    sh_ruleset_free(&rs);
    CHECK_INT(rs.n, 0);
}

TEST(toml_query_lines) {
    sh_ruleset rs = {0};
    rejects rj = {0};
    write_file("q1.toml", "[rule]\nlanguage = \"eql\"\nquery = \"process where true\"\n");
    write_file("q2.toml", "[rule]\nlanguage = \"eql\"\n\nquery = \"\"\"process where\n  true\"\"\"\n");
    write_file("q3.toml", "[rule]\nlanguage = \"eql\"\nquery = \"\"\"\\\n\n   process where true\"\"\"\n");
    write_file("q4.toml", "[rule]\r\nlanguage = \"eql\"\r\n\"query\" = '''\r\nprocess where true'''\r\n");
    write_file("q5.toml", "rule.language = \"eql\"\nrule.query = '''\nprocess where true'''\n");
    CHECK_INT(load("q1.toml", &rs, &rj), 1);
    CHECK_INT(load("q2.toml", &rs, &rj), 1);
    CHECK_INT(load("q3.toml", &rs, &rj), 1);
    CHECK_INT(load("q4.toml", &rs, &rj), 1);
    CHECK_INT(load("q5.toml", &rs, &rj), 1);
    CHECK_INT(rj.n, 0);
    if (rs.n == 5) {
        CHECK_INT(rs.rules[0]->query_line, 3);
        CHECK_INT(rs.rules[1]->query_line, 4);
        CHECK_STR(rs.rules[1]->query, "process where\n  true");
        CHECK_INT(rs.rules[2]->query_line, 5);
        CHECK_STR(rs.rules[2]->query, "process where true");
        CHECK_INT(rs.rules[3]->query_line, 4);
        CHECK_INT(rs.rules[4]->query_line, 3);
        /* no metadata: empty texts, no risk score */
        CHECK_STR(rs.rules[0]->id, "");
        CHECK_STR(rs.rules[0]->name, "");
        CHECK_STR(rs.rules[0]->severity, "");
        CHECK_STR(rs.rules[0]->confidence, "");
        CHECK_INT(rs.rules[0]->risk_score, -1);
        CHECK_INT(rs.rules[0]->ntechniques, 0);
        CHECK_INT(rs.rules[0]->nfalse_positives, 0);
    }
    sh_ruleset_free(&rs);
}

TEST(toml_rejections) {
    sh_ruleset rs = {0};
    rejects rj = {0};
    write_file("r/kuery.toml", "[metadata]\nmaturity = \"production\"\n[rule]\nname = \"k\"\nlanguage = \"kuery\"\ntype = \"query\"\nquery = \"a:b\"\n");
    write_file("r/ml.toml", "[rule]\nname = \"ml\"\ntype = \"machine_learning\"\nanomaly_threshold = 50\n");
    write_file("r/esql.toml", "[rule]\ntype = \"esql\"\nlanguage = \"esql\"\nquery = \"from logs-*\"\n");
    write_file("r/threshold.toml", "[rule]\ntype = \"threshold\"\nlanguage = \"kuery\"\n[rule.threshold]\nfield = []\nvalue = 1\n");
    write_file("r/syntax.toml", "[rule]\nname = \"x\"\nquery = '''\nprocess where true\n'''\nlanguage = eql\n");
    write_file("r/dup.toml", "[rule]\nname = \"x\"\nname = \"y\"\n");
    write_file("r/norule.toml", "[[queries]]\nquery = 'process where true'\n");
    write_file("r/noquery.toml", "[rule]\nlanguage = \"eql\"\n");
    write_file("r/empty.toml", "[rule]\nlanguage = \"eql\"\nquery = \"\"\"\n  \n\"\"\"\n");
    write_file("r/badlang.toml", "[rule]\nlanguage = 1\n");
    write_file("r/badquery.toml", "[rule]\nlanguage = \"eql\"\nquery = ['a']\n");
    write_file("r/utf8.toml", "[rule]\nname = \"\xff\"\n");
    CHECK_INT(load("r", &rs, &rj), 0);
    CHECK_INT(rs.n, 0);
    CHECK_INT(rj.n, 12);
    if (rj.n == 12) {
        CHECK_STR(rj.msg[0], "r/badlang.toml:2: rule.language is not a string");
        CHECK_STR(rj.msg[1], "r/badquery.toml:3: rule.query is not a string");
        CHECK_STR(rj.msg[2], "r/dup.toml:3: invalid TOML (column 1): duplicate key 'rule.name'");
        CHECK_STR(rj.msg[3], "r/empty.toml:3: EQL rule has an empty query");
        CHECK_STR(rj.msg[4], "r/esql.toml:3: rule language \"esql\" is not supported (shrike runs eql, sigma, spl)");
        CHECK_STR(rj.msg[5], "r/kuery.toml:5: rule language \"kuery\" is not supported (shrike runs eql, sigma, spl)");
        CHECK_STR(rj.msg[6], "r/ml.toml:1: rule of type \"machine_learning\" has no query language (shrike runs eql, sigma, spl)");
        CHECK_STR(rj.msg[7], "r/noquery.toml:1: EQL rule has no query");
        CHECK_STR(rj.msg[8], "r/norule.toml: no [rule] table: not a detection rule file");
        CHECK_STR(rj.msg[9], "r/syntax.toml:6: invalid TOML (column 12): invalid value 'eql' (strings must be quoted)");
        CHECK_STR(rj.msg[10], "r/threshold.toml:3: rule language \"kuery\" is not supported (shrike runs eql, sigma, spl)");
        CHECK_STR(rj.msg[11], "r/utf8.toml: not UTF-8 text");
    }
    rejects_free(&rj);
    sh_ruleset_free(&rs);
}

static const char *kibana_ndjson =
    "{\"id\":\"6f2d\",\"rule_id\":\"k-1\",\"name\":\"Certutil Root\",\"type\":\"eql\",\"language\":\"eql\","
    "\"query\":\"process where process.name : \\\"certutil.exe\\\"\\n and process.args : \\\"-addstore\\\"\","
    "\"severity\":\"high\",\"risk_score\":73,\"false_positives\":[\"PKI admins\",\"Windows Update\"],"
    "\"threat\":[{\"framework\":\"MITRE ATT&CK\",\"tactic\":{\"id\":\"TA0005\"},\"technique\":[{\"id\":\"T1553\","
    "\"subtechnique\":[{\"id\":\"T1553.004\"}]}]},{\"framework\":\"MITRE ATT&CK\",\"technique\":[{\"id\":\"T1587\","
    "\"subtechnique\":[{\"id\":\"T1587.002\"}]}]}]}\n"
    "\n"
    "{\"rule_id\":\"k-2\",\"name\":\"KQL\",\"type\":\"query\",\"language\":\"kuery\",\"query\":\"a:b\"}\n"
    "{\"rule_id\":\"k-3\",\"name\":\"ML\",\"type\":\"machine_learning\",\"anomaly_threshold\":75}\n"
    "{\"list_id\":\"endpoint_list\",\"type\":\"endpoint\",\"namespace_type\":\"agnostic\"}\n"
    "{\"rule_id\":\"k-4\",\"name\":\"broken\",\"language\":\"eql\" \"query\":\"x\"}\n"
    "{\"id\":\"k-5\",\"language\":\"eql\",\"query\":\"file where true\",\"confidence\":\"Low\"}\n"
    "{\"foo\":1}\n"
    "{\"exported_count\":6,\"exported_rules_count\":6,\"missing_rules\":[],\"missing_rules_count\":0}\n";

TEST(kibana_ndjson_rules) {
    write_file("export.ndjson", kibana_ndjson);
    sh_ruleset rs = {0};
    rejects rj = {0};
    CHECK_INT(load("export.ndjson", &rs, &rj), 2);
    CHECK_INT(rs.n, 2);
    if (rs.n == 2) {
        sh_rule *r = rs.rules[0];
        CHECK_STR(r->id, "k-1");
        CHECK_STR(r->name, "Certutil Root");
        CHECK_STR(r->severity, "high");
        CHECK_INT(r->risk_score, 73);
        CHECK_INT(r->line, 1);
        CHECK_INT(r->query_line, 0);
        CHECK_STR(r->query, "process where process.name : \"certutil.exe\"\n and process.args : \"-addstore\"");
        CHECK_INT(r->ntechniques, 4);
        if (r->ntechniques == 4) {
            CHECK_STR(r->techniques[0], "T1553");
            CHECK_STR(r->techniques[1], "T1553.004");
            CHECK_STR(r->techniques[2], "T1587");
            CHECK_STR(r->techniques[3], "T1587.002");
        }
        CHECK_INT(r->nfalse_positives, 2);
        if (r->nfalse_positives == 2) CHECK_STR(r->false_positives[0], "PKI admins");
        r = rs.rules[1];
        CHECK_STR(r->id, "k-5");
        CHECK_STR(r->confidence, "low");
        CHECK_INT(r->line, 7);
        CHECK_INT(r->risk_score, -1);
    }
    CHECK_INT(rj.n, 5);
    if (rj.n == 5) {
        CHECK_STR(rj.msg[0], "export.ndjson:3: rule language \"kuery\" is not supported (shrike runs eql, sigma, spl)");
        CHECK_STR(rj.msg[1], "export.ndjson:4: rule of type \"machine_learning\" has no query language (shrike runs eql, sigma, spl)");
        CHECK_STR(rj.msg[2], "export.ndjson:5: exception list \"endpoint_list\" is not applied: exception lists are not supported");
        CHECK_STR(rj.msg[3], "export.ndjson:6: invalid JSON (column 51): expected ',' or '}' in object, found '\"'");
        CHECK_STR(rj.msg[4], "export.ndjson:8: not a rule (no rule_id, type, language or query)");
    }
    rejects_free(&rj);
    sh_ruleset_free(&rs);
}

TEST(kibana_json_files) {
    sh_ruleset rs = {0};
    rejects rj = {0};
    write_file("one.json", "\xef\xbb\xbf{\n  \"rule_id\": \"j-1\",\n  \"language\": \"eql\",\n  \"query\": \"process where true\"\n}\n");
    write_file("arr.json", "[\n {\"rule_id\": \"a-1\", \"language\": \"eql\", \"query\": \"any where true\"},\n"
                           " {\"rule_id\": \"a-2\",\n  \"language\": \"eql\",\n  \"query\": \"file where true\"}\n]\n");
    write_file("bad.json", "[\n {\"rule_id\": \"b-1\", \"language\": \"eql\", \"query\": \"any where true\"},\n {\"rule_id\": tru}\n]\n");
    write_file("bad2.json", "{\"rule_id\": \"c-1\", \"language\": \"eql\",\n \"query\": \"any where true\"}\n{\"rule_id\": \"c-2\", \"language\": \"eql\",\n");
    write_file("bad3.json", "[{\"rule_id\": \"d-1\", \"language\": \"eql\", \"query\": \"any where true\"} {}]");
    write_file("bad4.json", "[{\"rule_id\": \"e-1\", \"language\": \"eql\", \"query\": \"any where true\"},");
    write_file("bad5.json", "[] x");
    write_file("empty.ndjson", "\n\n");
    write_file("summary.ndjson", "{\"exported_count\":0}\n");
    write_file("scalars.json", "[1]");
    CHECK_INT(load("one.json", &rs, &rj), 1);
    CHECK_INT(load("arr.json", &rs, &rj), 2);
    CHECK_INT(load("bad.json", &rs, &rj), 1);
    CHECK_INT(load("bad2.json", &rs, &rj), 1);
    CHECK_INT(load("bad3.json", &rs, &rj), 1);
    CHECK_INT(load("bad4.json", &rs, &rj), 1);
    CHECK_INT(load("bad5.json", &rs, &rj), 0);
    CHECK_INT(load("empty.ndjson", &rs, &rj), 0);
    CHECK_INT(load("summary.ndjson", &rs, &rj), 0);
    CHECK_INT(load("scalars.json", &rs, &rj), 0);
    CHECK_INT(rs.n, 7);
    if (rs.n == 7) {
        CHECK_STR(rs.rules[0]->id, "j-1");
        CHECK_INT(rs.rules[0]->line, 1);
        CHECK_STR(rs.rules[1]->id, "a-1");
        CHECK_INT(rs.rules[1]->line, 2);
        CHECK_STR(rs.rules[2]->id, "a-2");
        CHECK_INT(rs.rules[2]->line, 3);
        CHECK_STR(rs.rules[2]->query, "file where true");
    }
    CHECK_INT(rj.n, 8);
    if (rj.n == 8) {
        CHECK_STR(rj.msg[0], "bad.json:3: invalid JSON (column 14): unexpected 't'");
        CHECK_STR(rj.msg[1], "bad2.json:4: invalid JSON (column 1): expected a string key, found end of input");
        CHECK_STR(rj.msg[2], "bad3.json:1: invalid JSON (column 67): expected ',' or ']' after an array element");
        CHECK_STR(rj.msg[3], "bad4.json:1: invalid JSON (column 67): unterminated array");
        CHECK_STR(rj.msg[4], "bad5.json:1: invalid JSON (column 4): unexpected text after the array");
        CHECK_STR(rj.msg[5], "empty.ndjson: no rules in the file");
        CHECK_STR(rj.msg[6], "summary.ndjson: no rules in the file");
        CHECK_STR(rj.msg[7], "scalars.json:1: invalid JSON (column 2): top-level value is not an object (found '1')");
    }
    rejects_free(&rj);
    sh_ruleset_free(&rs);
}

TEST(eql_files) {
    sh_ruleset rs = {0};
    rejects rj = {0};
    write_file("e/sign.eql", "// name: Signtool sign\n// id: test-signtool\n// Severity: High\n// confidence: medium\n"
                             "// techniques: T1553.002, T1587.002 T1553.002\n// risk_score: 21\n"
                             "// description: signs things\n// false_positives: CI pipelines\n"
                             "// a plain comment, see: http://example.com\n\n"
                             "process where process.name : \"signtool.exe\"\n");
    write_file("e/plain.eql", "process where true\n");
    write_file("e/badrisk.eql", "// name: x\n\n// risk_score: high\nprocess where true\n");
    write_file("e/empty.eql", "// name: nothing here\n\n   \n");
    write_file("e/zero.eql", "");
    CHECK_INT(load("e", &rs, &rj), 2);
    CHECK_INT(rs.n, 2);
    if (rs.n == 2) {
        sh_rule *r = rs.rules[0]; /* plain.eql sorts first */
        CHECK_STR(r->id, "plain");
        CHECK_STR(r->name, "plain");
        CHECK_STR(r->query, "process where true\n");
        CHECK_INT(r->query_line, 1);
        CHECK_INT(r->line, 1);
        CHECK_STR(r->severity, "");
        r = rs.rules[1];
        CHECK_STR(r->id, "test-signtool");
        CHECK_STR(r->name, "Signtool sign");
        CHECK_STR(r->severity, "high");
        CHECK_STR(r->confidence, "medium");
        CHECK_STR(r->description, "signs things");
        CHECK_INT(r->risk_score, 21);
        CHECK_INT(r->ntechniques, 2);
        if (r->ntechniques == 2) {
            CHECK_STR(r->techniques[0], "T1553.002");
            CHECK_STR(r->techniques[1], "T1587.002");
        }
        CHECK_INT(r->nfalse_positives, 1);
        CHECK(strncmp(r->query, "// name: Signtool sign\n", 23) == 0);
        CHECK_INT(r->query_line, 1);
    }
    CHECK_INT(rj.n, 3);
    if (rj.n == 3) {
        CHECK_STR(rj.msg[0], "e/badrisk.eql:3: risk_score is not a whole number from 0 up");
        CHECK_STR(rj.msg[1], "e/empty.eql: no query in the file");
        CHECK_STR(rj.msg[2], "e/zero.eql: no query in the file");
    }
    rejects_free(&rj);
    sh_ruleset_free(&rs);
}

TEST(folders) {
    sh_ruleset rs = {0};
    rejects rj = {0};
    write_file("f/b/2.eql", "process where true\n");
    write_file("f/a.eql", "file where true\n");
    write_file("f/b/1.eql", "network where true\n");
    write_file("f/README", "not a rule\n");
    write_file("f/readme.rst", "not a rule\n");
    write_file("f/LICENSE.txt", "license\n");
    write_file("f/notes.md", "notes\n");
    write_file("f/b/logo.PNG", "png");
    write_file("f/.hidden.eql", "garbage");
    write_file("f/.git/config", "x");
    write_file("f/c/sigma.yml", "- title: x\n");
    write_file("f/c/rule.xyz", "x\n");
    write_file("f/c/noext", "x\n");
    write_file("f/c/search.spl", "index=main\n");
    CHECK_INT(load("f", &rs, &rj), 4);
    CHECK_INT(rs.n, 4);
    if (rs.n == 4) {
        CHECK_STR(rs.rules[0]->id, "a");
        CHECK_STR(rs.rules[1]->id, "1");
        CHECK_STR(rs.rules[2]->id, "2");
        CHECK_STR(rs.rules[2]->path, path_of("f/b/2.eql"));
        CHECK_STR(rs.rules[3]->id, "search");
        CHECK_INT(rs.rules[3]->lang, SH_LANG_SPL);
        CHECK_STR(rs.rules[3]->query, "index=main\n");
    }
    CHECK_INT(rj.n, 3);
    if (rj.n == 3) {
        CHECK_STR(rj.msg[0], "f/c/noext: not a rule file (no extension)");
        CHECK_STR(rj.msg[1], "f/c/rule.xyz: not a rule file (unknown extension .xyz)");
        CHECK_STR(rj.msg[2], "f/c/sigma.yml:1: not a Sigma rule: the YAML document is a list, not a mapping");
    }
    rejects_free(&rj);
    /* a path with a trailing slash, a missing path, a file named on its own */
    CHECK_INT(load("f/b/", &rs, &rj), 2);
    CHECK_STR(rs.rules[4]->path, path_of("f/b/1.eql"));
    CHECK_INT(load("missing", &rs, &rj), 0);
    CHECK_INT(load("f/notes.md", &rs, &rj), 0);
    CHECK_INT(rj.n, 2);
    if (rj.n == 2) {
        CHECK_STR(rj.msg[0], "missing: cannot open: No such file or directory");
        CHECK_STR(rj.msg[1], "f/notes.md: not a rule file (unknown extension .md)");
    }
    CHECK_INT(rs.n, 6);
    /* no callback: rejections are simply not reported */
    CHECK_INT(sh_rules_load(path_of("f/c"), &rs, NULL, NULL), 1);
    rejects_free(&rj);
    sh_ruleset_free(&rs);
    sh_ruleset_free(&rs); /* twice is harmless */
}

TEST(escu) {
    sh_ruleset rs = {0};
    rejects rj = {0};
    write_file("escu/ok.yml",
               "name: Certutil Import\n"
               "id: 11111111-2222-3333-4444-555555555555\n"
               "type: TTP\n"
               "description: certutil imports a certificate\n"
               "search: |\n"
               "  index=wineventlog EventCode=1\n"
               "  | where match(CommandLine, \"-addstore\")\n"
               "known_false_positives: PKI administrators\n"
               "tags:\n"
               "  confidence: 50\n"
               "  risk_score: 40\n"
               "  severity: high\n"
               "  mitre_attack_id:\n"
               "  - T1553.002\n"
               "  - T1553\n"
               "  - not-an-id\n");
    write_file("escu/quoted.yaml", "name: q\nsearch: '`sysmon` EventCode=1 | stats count by host'\ntags:\n  confidence: 90\n");
    write_file("escu/nosearch.yml", "name: x\nsearch: [a, b]\n");
    write_file("escu/list.yml", "- search: x\n");
    CHECK_INT(load("escu", &rs, &rj), 2);
    if (rs.n == 2) {
        sh_rule *r = rs.rules[0];
        CHECK_STR(r->name, "Certutil Import");
        CHECK_STR(r->id, "11111111-2222-3333-4444-555555555555");
        CHECK_INT(r->lang, SH_LANG_SPL);
        CHECK_STR(r->query, "index=wineventlog EventCode=1\n| where match(CommandLine, \"-addstore\")\n");
        CHECK_INT(r->query_line, 6);
        CHECK_STR(r->severity, "high");
        CHECK_STR(r->confidence, "medium");
        CHECK_INT(r->risk_score, 40);
        CHECK_INT(r->ntechniques, 2);
        if (r->ntechniques == 2) {
            CHECK_STR(r->techniques[0], "T1553");
            CHECK_STR(r->techniques[1], "T1553.002");
        }
        CHECK_INT(r->nfalse_positives, 1);
        r = rs.rules[1];
        CHECK_STR(r->query, "`sysmon` EventCode=1 | stats count by host");
        CHECK_STR(r->confidence, "high");
        CHECK_STR(r->severity, "");
        CHECK_INT(r->query_line, 2);
    }
    CHECK_INT(rj.n, 2);
    if (rj.n == 2) {
        CHECK_STR(rj.msg[0], "escu/list.yml:1: not a Sigma rule: the YAML document is a list, not a mapping");
        CHECK_STR(rj.msg[1], "escu/nosearch.yml:2: `search` is not a string of SPL");
    }
    rejects_free(&rj);
    sh_ruleset_free(&rs);
}

/* ------------------------------------------------------------ public data */

#define DR "../shared/data/eql/detection-rules"

typedef struct tally {
    int files;
    char *reason[256];
    int count[256];
    int n;
} tally;

static tally *g_tally;

static int count_toml(const char *p, const struct stat *sb, int flag, struct FTW *f) {
    size_t n = strlen(p);
    if (flag == FTW_F && n > 5 && !strcmp(p + n - 5, ".toml")) g_tally->files++;
    return 0;
}

/* group rejections by reason, the rule's own words (language name) kept */
static void tally_reject(void *ctx, const sh_diag *d) {
    tally *t = ctx;
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->reason[i], d->msg)) {
            t->count[i]++;
            return;
        }
    if (t->n < 256) {
        t->reason[t->n] = strdup(d->msg);
        t->count[t->n++] = 1;
    }
}

TEST(detection_rules_folder) {
    struct stat sb;
    if (stat(DR, &sb) != 0) {
        printf("test_rules: %s not found, load-rate check skipped\n", DR);
        return;
    }
    tally t = {0};
    g_tally = &t;
    nftw(DR, count_toml, 16, FTW_PHYS);
    sh_ruleset rs = {0};
    size_t loaded = sh_rules_load(DR, &rs, tally_reject, &t);
    int rejected = 0;
    for (int i = 0; i < t.n; i++) rejected += t.count[i];
    printf("test_rules: detection-rules: %d TOML files, %zu loaded, %d rejected\n", t.files, loaded, rejected);
    for (int i = 0; i < t.n; i++) printf("test_rules:   %5d  %s\n", t.count[i], t.reason[i]);
    CHECK_INT((int)loaded + rejected, t.files);
    CHECK(loaded >= 1011);
    size_t with_tech = 0, with_id = 0;
    for (size_t i = 0; i < rs.n; i++) {
        with_tech += rs.rules[i]->ntechniques > 0;
        with_id += rs.rules[i]->id[0] != 0 && rs.rules[i]->query_line > 0;
    }
    printf("test_rules:   %zu of %zu loaded rules name ATT&CK techniques\n", with_tech, rs.n);
    CHECK_INT(with_id, rs.n);
    for (int i = 0; i < t.n; i++) free(t.reason[i]);
    sh_ruleset_free(&rs);
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *f) { return remove(p); }

int main(void) {
    snprintf(tmp, sizeof tmp, "/tmp/shrike-rules-XXXXXX");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(toml_rule);
    RUN(toml_query_lines);
    RUN(toml_rejections);
    RUN(kibana_ndjson_rules);
    RUN(kibana_json_files);
    RUN(eql_files);
    RUN(folders);
    RUN(escu);
    RUN(detection_rules_folder);
    nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    TEST_MAIN_END();
}
