/* test_toml.c: the TOML reader: every kind of value, tables and arrays of
 * tables, the tricky corners of strings and numbers, exact error messages
 * with line and column, and (when ../shared/data is there) every
 * detection-rules file and Elasticsearch EQL test file. */
#include <dirent.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "test.h"
#include "util/toml.h"

static sh_toml *P(const char *s) {
    sh_diag d;
    sh_toml *t = sh_toml_parse(s, strlen(s), &d);
    if (!t) fprintf(stderr, "unexpected TOML error %ld:%ld: %s\n", d.line, d.col, d.msg);
    return t;
}

/* the error for s as "line:col: reason" ("parsed" when there is none) */
static const char *E(const char *s) {
    static char out[600];
    sh_diag d;
    sh_toml *t = sh_toml_parse(s, strlen(s), &d);
    if (t) {
        sh_toml_free(t);
        return "parsed";
    }
    snprintf(out, sizeof out, "%ld:%ld: %s", d.line, d.col, d.msg);
    return out;
}

static const char *S(const sh_toml *t, const char *path) {
    const sh_toml *v = sh_toml_path(t, path);
    return v && (v->type == SH_TOML_STRING || v->type == SH_TOML_DATETIME) ? v->str : NULL;
}

static long long I(const sh_toml *t, const char *path) {
    const sh_toml *v = sh_toml_path(t, path);
    return v && v->type == SH_TOML_INT ? v->i : -424242;
}

TEST(scalars) {
    sh_toml *t = P("# a comment\n"
                   "s = \"text\"  # trailing comment\n"
                   "lit = 'C:\\Windows\\System32'\n"
                   "i = 42\n"
                   "neg = -17\n"
                   "pos = +5\n"
                   "f = 3.25\n"
                   "b1 = true\n"
                   "b2 = false\n"
                   "empty = \"\"\n");
    CHECK(t != NULL);
    if (!t) return;
    CHECK_INT(t->type, SH_TOML_TABLE);
    CHECK_INT(t->n, 9);
    CHECK_STR(t->keys[0], "s");
    CHECK_STR(S(t, "s"), "text");
    CHECK_STR(S(t, "lit"), "C:\\Windows\\System32");
    CHECK_INT(I(t, "i"), 42);
    CHECK_INT(I(t, "neg"), -17);
    CHECK_INT(I(t, "pos"), 5);
    CHECK_INT(sh_toml_get(t, "f")->type, SH_TOML_FLOAT);
    CHECK(sh_toml_get(t, "f")->f == 3.25);
    CHECK_INT(sh_toml_get(t, "b1")->type, SH_TOML_BOOL);
    CHECK(sh_toml_get(t, "b1")->b);
    CHECK(!sh_toml_get(t, "b2")->b);
    CHECK_STR(S(t, "empty"), "");
    CHECK_INT(sh_toml_get(t, "empty")->len, 0);
    CHECK_INT(sh_toml_get(t, "s")->line, 2);
    CHECK_INT(sh_toml_get(t, "b2")->line, 9);
    CHECK(sh_toml_get(t, "nope") == NULL);
    CHECK(sh_toml_path(t, "s.x") == NULL);
    sh_toml_free(t);
}

TEST(escapes) {
    sh_toml *t = P("a = \"tab\\tnl\\nq\\\"bs\\\\b\\bf\\fr\\r\"\n"
                   "u = \"caf\\u00e9 \\U0001F600 \\u0041\"\n"
                   "raw = 'no \\n escapes \"here\"'\n"
                   "\"quoted key\" = 1\n"
                   "'lit key' = 2\n"
                   "\"\" = 3\n");
    CHECK(t != NULL);
    if (!t) return;
    CHECK_STR(S(t, "a"), "tab\tnl\nq\"bs\\b\bf\fr\r");
    CHECK_STR(S(t, "u"), "caf\xc3\xa9 \xf0\x9f\x98\x80 A");
    CHECK_STR(S(t, "raw"), "no \\n escapes \"here\"");
    CHECK_INT(I(t, "quoted key"), 1);
    CHECK_INT(I(t, "lit key"), 2);
    CHECK_STR(t->keys[5], "");
    sh_toml_free(t);
    t = P("nul = \"a\\u0000b\"\n");
    CHECK(t && sh_toml_get(t, "nul")->len == 3 && sh_toml_get(t, "nul")->str[1] == 0);
    sh_toml_free(t);
}

TEST(multiline_strings) {
    sh_toml *t = P("q = \"\"\"\nline one\n  line two\"\"\"\n"
                   "trim = \"\"\"\\\n    The quick \\\n\n    brown fox.\\\n    \"\"\"\n"
                   "quotes = \"\"\"Here are two quotes: \"\". And \"one\".\"\"\"\n"
                   "edge = \"\"\"ends in a quote\"\"\"\"\n"
                   "edge2 = \"\"\"two\"\"\"\"\"\n"
                   "lit = '''\nC:\\path\\ 'quoted' ''\n'''\n"
                   "lit2 = '''it''''\n"
                   "esc = \"\"\"a\\tb \\\"\"\" c\"\"\"\n"
                   "after = 1\n");
    CHECK(t != NULL);
    if (!t) return;
    CHECK_STR(S(t, "q"), "line one\n  line two");
    CHECK_STR(S(t, "trim"), "The quick brown fox.");
    CHECK_STR(S(t, "quotes"), "Here are two quotes: \"\". And \"one\".");
    CHECK_STR(S(t, "edge"), "ends in a quote\"");
    CHECK_STR(S(t, "edge2"), "two\"\"");
    CHECK_STR(S(t, "lit"), "C:\\path\\ 'quoted' ''\n");
    CHECK_STR(S(t, "lit2"), "it'");
    CHECK_STR(S(t, "esc"), "a\tb \"\"\" c");
    CHECK_INT(sh_toml_get(t, "q")->line, 1);
    CHECK_INT(sh_toml_get(t, "trim")->line, 4);
    CHECK_INT(sh_toml_get(t, "after")->line, 17);
    sh_toml_free(t);
}

TEST(crlf_and_bom) {
    const char *s = "\xef\xbb\xbf# bom\r\n[rule]\r\nq = \"\"\"\r\nA\r\nB\"\"\"\r\nx = 1 # c\r\n";
    sh_toml *t = P(s);
    CHECK(t != NULL);
    if (!t) return;
    CHECK_STR(S(t, "rule.q"), "A\nB"); /* newlines in strings are LF */
    CHECK_INT(I(t, "rule.x"), 1);
    CHECK_INT(sh_toml_path(t, "rule.x")->line, 6);
    sh_toml_free(t);
    CHECK_STR(E("a = 1\rb = 2\n"), "1:6: expected the end of the line, found U+000D");
}

TEST(integers) {
    sh_toml *t = P("a = 1_000\nb = 0xDEAD_beef\nc = 0o755\nd = 0b1101\ne = 0\nf = -0\ng = 9223372036854775807\n"
                   "h = -9223372036854775808\ni = 0x7fffffffffffffff\n");
    CHECK(t != NULL);
    if (!t) return;
    CHECK_INT(I(t, "a"), 1000);
    CHECK_INT(I(t, "b"), 0xdeadbeef);
    CHECK_INT(I(t, "c"), 0755);
    CHECK_INT(I(t, "d"), 13);
    CHECK_INT(I(t, "e"), 0);
    CHECK_INT(I(t, "f"), 0);
    CHECK(sh_toml_get(t, "g")->i == 9223372036854775807LL);
    CHECK(sh_toml_get(t, "h")->i == -9223372036854775807LL - 1);
    CHECK(sh_toml_get(t, "i")->i == 9223372036854775807LL);
    sh_toml_free(t);
    CHECK_STR(E("a = 012\n"), "1:5: leading zeros are not allowed in '012'");
    CHECK_STR(E("a = 1__0\n"), "1:5: invalid number '1__0'");
    CHECK_STR(E("a = _1\n"), "1:5: invalid value '_1' (strings must be quoted)");
    CHECK_STR(E("a = 1_\n"), "1:5: invalid number '1_'");
    CHECK_STR(E("a = +0x10\n"), "1:5: invalid number '+0x10'");
    CHECK_STR(E("a = 0x\n"), "1:5: invalid number '0x'");
    CHECK_STR(E("a = 0b102\n"), "1:5: invalid number '0b102'");
    CHECK_STR(E("a = 0X10\n"), "1:5: invalid number '0X10'");
    CHECK_STR(E("a = 9223372036854775808\n"), "1:5: integer '9223372036854775808' does not fit in 64 bits");
    CHECK_STR(E("a = 0x8000000000000000\n"), "1:5: integer '0x8000000000000000' does not fit in 64 bits");
    CHECK_STR(E("a = 12abc\n"), "1:5: invalid number '12abc'");
}

TEST(floats) {
    sh_toml *t = P("a = 1e3\nb = -2.5E-2\nc = 6.626e-34\nd = 1_000.000_1\ne = inf\nf = -inf\ng = +inf\nh = nan\n"
                   "i = -0.0\nj = 0.5\nk = 5e+2_2\n");
    CHECK(t != NULL);
    if (!t) return;
    CHECK(sh_toml_get(t, "a")->f == 1000.0);
    CHECK(sh_toml_get(t, "b")->f == -0.025);
    CHECK(sh_toml_get(t, "c")->f == 6.626e-34);
    CHECK(sh_toml_get(t, "d")->f == 1000.0001);
    CHECK(isinf(sh_toml_get(t, "e")->f) && sh_toml_get(t, "e")->f > 0);
    CHECK(isinf(sh_toml_get(t, "f")->f) && sh_toml_get(t, "f")->f < 0);
    CHECK(isinf(sh_toml_get(t, "g")->f));
    CHECK(isnan(sh_toml_get(t, "h")->f));
    CHECK_INT(sh_toml_get(t, "h")->type, SH_TOML_FLOAT);
    CHECK(sh_toml_get(t, "i")->f == 0.0 && signbit(sh_toml_get(t, "i")->f));
    CHECK(sh_toml_get(t, "k")->f == 5e22);
    sh_toml_free(t);
    CHECK_STR(E("a = 1.\n"), "1:5: invalid number '1.'");
    CHECK_STR(E("a = .5\n"), "1:5: invalid number '.5'");
    CHECK_STR(E("a = 1e\n"), "1:5: invalid number '1e'");
    CHECK_STR(E("a = 1.e5\n"), "1:5: invalid number '1.e5'");
    CHECK_STR(E("a = 03.14\n"), "1:5: leading zeros are not allowed in '03.14'");
    CHECK_STR(E("a = 1_.5\n"), "1:5: invalid number '1_.5'");
    CHECK_STR(E("a = infinity\n"), "1:5: invalid value 'infinity' (strings must be quoted)");
}

TEST(dates) {
    sh_toml *t = P("odt1 = 1979-05-27T07:32:00Z\n"
                   "odt2 = 1979-05-27T00:32:00.999999-07:00\n"
                   "odt3 = 1979-05-27 07:32:00+01:00\n"
                   "ldt = 1979-05-27T07:32:00\n"
                   "ld = 2024-02-29\n"
                   "lt = 00:32:00.5\n"
                   "arr = [1979-05-27, 07:32:00]\n");
    CHECK(t != NULL);
    if (!t) return;
    CHECK_INT(sh_toml_get(t, "odt1")->type, SH_TOML_DATETIME);
    CHECK_STR(S(t, "odt1"), "1979-05-27T07:32:00Z");
    CHECK_STR(S(t, "odt2"), "1979-05-27T00:32:00.999999-07:00");
    CHECK_STR(S(t, "odt3"), "1979-05-27 07:32:00+01:00");
    CHECK_STR(S(t, "ldt"), "1979-05-27T07:32:00");
    CHECK_STR(S(t, "ld"), "2024-02-29");
    CHECK_STR(S(t, "lt"), "00:32:00.5");
    CHECK_INT(sh_toml_get(t, "arr")->n, 2);
    CHECK_STR(sh_toml_get(t, "arr")->items[1]->str, "07:32:00");
    sh_toml_free(t);
    CHECK_STR(E("d = 2023-02-29\n"), "1:5: invalid date-time '2023-02-29'");
    CHECK_STR(E("d = 2023-13-01\n"), "1:5: invalid date-time '2023-13-01'");
    CHECK_STR(E("d = 1979-05-27T07:32\n"), "1:5: invalid date-time '1979-05-27T07:32'");
    CHECK_STR(E("d = 1979-05-27T25:00:00\n"), "1:5: invalid date-time '1979-05-27T25:00:00'");
    CHECK_STR(E("d = 1979-05-27T07:32:00+1:00\n"), "1:5: invalid date-time '1979-05-27T07:32:00+1:00'");
    CHECK_STR(E("d = 1979-05-27 # a date\n"), "parsed");
}

TEST(arrays) {
    sh_toml *t = P("mixed = [1, \"two\", 3.0, [4, [5]], {six = 6}, true]\n"
                   "multi = [\n"
                   "  \"a\", # first\n"
                   "  # a comment line\n"
                   "  \"b\",\n"
                   "]\n"
                   "empty = [ ]\n"
                   "nulls = [null, \"tag1\", null]\n");
    CHECK(t != NULL);
    if (!t) return;
    const sh_toml *m = sh_toml_get(t, "mixed");
    CHECK_INT(m->type, SH_TOML_ARRAY);
    CHECK_INT(m->n, 6);
    CHECK(m->keys == NULL);
    CHECK_INT(m->items[0]->i, 1);
    CHECK_STR(m->items[1]->str, "two");
    CHECK_INT(m->items[3]->type, SH_TOML_ARRAY);
    CHECK_INT(m->items[3]->items[1]->items[0]->i, 5);
    CHECK_INT(I(m->items[4], "six"), 6);
    const sh_toml *ml = sh_toml_get(t, "multi");
    CHECK_INT(ml->n, 2);
    CHECK_STR(ml->items[1]->str, "b");
    CHECK_INT(ml->items[1]->line, 5);
    CHECK_INT(sh_toml_get(t, "empty")->n, 0);
    const sh_toml *nl = sh_toml_get(t, "nulls");
    CHECK_INT(nl->n, 3);
    CHECK_INT(nl->items[0]->type, SH_TOML_NULL);
    CHECK_STR(nl->items[1]->str, "tag1");
    sh_toml_free(t);
    CHECK_STR(E("a = null\n"), "1:5: null is only allowed inside arrays");
    CHECK_STR(E("a = [1,,2]\n"), "1:8: expected a value, found ','");
    CHECK_STR(E("a = [,]\n"), "1:6: expected a value, found ','");
    CHECK_STR(E("a = [1 2]\n"), "1:8: expected ',' or ']' in an array, found '2'");
    CHECK_STR(E("a = [1,\n2\n"), "3:1: unterminated array");
    char deep[200] = "a = ";
    for (int i = 0; i < 70; i++) strcat(deep, "[");
    CHECK_STR(E(deep), "1:69: arrays and inline tables nested deeper than 64");
}

TEST(tables) {
    sh_toml *t = P("top = 1\n"
                   "[metadata]\n"
                   "maturity = \"production\"\n"
                   "[rule]\n"
                   "name = \"n\"\n"
                   "a.b.c = 1\n"
                   "a.b.d = 2\n"
                   "\"dotted.name\" = 3\n"
                   "[[rule.threat]]\n"
                   "framework = \"MITRE ATT&CK\"\n"
                   "[[rule.threat.technique]]\n"
                   "id = \"T1587\"\n"
                   "[[rule.threat.technique.subtechnique]]\n"
                   "id = \"T1587.002\"\n"
                   "[rule.threat.tactic]\n"
                   "id = \"TA0042\"\n"
                   "[[rule.threat]]\n"
                   "[[rule.threat.technique]]\n"
                   "id = \"T1553\"\n"
                   "[ x . \"y.z\" . w ]\n"
                   "v = 'ok'\n"
                   "[x]\n"
                   "after = true\n");
    CHECK(t != NULL);
    if (!t) return;
    CHECK_INT(I(t, "top"), 1);
    CHECK_STR(S(t, "metadata.maturity"), "production");
    CHECK_STR(S(t, "rule.name"), "n");
    CHECK_INT(I(t, "rule.a.b.c"), 1);
    CHECK_INT(I(t, "rule.a.b.d"), 2);
    CHECK_INT(I(sh_toml_get(t, "rule"), "dotted.name"), -424242); /* path splits at dots */
    CHECK_INT(sh_toml_get(sh_toml_get(t, "rule"), "dotted.name")->i, 3);
    const sh_toml *th = sh_toml_path(t, "rule.threat");
    CHECK_INT(th->type, SH_TOML_ARRAY);
    CHECK_INT(th->n, 2);
    CHECK_STR(S(th->items[0], "framework"), "MITRE ATT&CK");
    CHECK_STR(S(th->items[0], "tactic.id"), "TA0042");
    const sh_toml *tech = sh_toml_get(th->items[0], "technique");
    CHECK_INT(tech->n, 1);
    CHECK_STR(S(tech->items[0], "id"), "T1587");
    CHECK_STR(S(sh_toml_get(tech->items[0], "subtechnique")->items[0], "id"), "T1587.002");
    CHECK_STR(S(sh_toml_get(th->items[1], "technique")->items[0], "id"), "T1553");
    CHECK_INT(th->items[1]->line, 17);
    const sh_toml *x = sh_toml_get(t, "x");
    CHECK_STR(S(sh_toml_get(x, "y.z"), "w.v"), "ok");
    CHECK(sh_toml_get(x, "after")->b);
    CHECK_INT(x->line, 22);
    CHECK_INT(x->i, 0); /* parse-time bookkeeping is cleared */
    sh_toml_free(t);
}

TEST(inline_tables) {
    sh_toml *t = P("p = { name = \"x\", pt.x = 1, pt.y = 2, inner = { z = [1] } }\nq = {}\n");
    CHECK(t != NULL);
    if (!t) return;
    CHECK_STR(S(t, "p.name"), "x");
    CHECK_INT(I(t, "p.pt.y"), 2);
    CHECK_INT(sh_toml_path(t, "p.inner.z")->items[0]->i, 1);
    CHECK_INT(sh_toml_get(t, "q")->n, 0);
    sh_toml_free(t);
    CHECK_STR(E("p = { a = 1, }\n"), "1:14: expected a key, found '}'");
    CHECK_STR(E("p = { a = 1\n}\n"), "1:12: expected ',' or '}' in an inline table, found a newline");
    CHECK_STR(E("p = { a = 1"), "1:12: unterminated inline table");
    CHECK_STR(E("p = { a = 1, a = 2 }\n"), "1:14: duplicate key 'a'");
    CHECK_STR(E("p = { a = 1 }\np.b = 2\n"), "2:1: inline table 'p' cannot be extended");
    CHECK_STR(E("p = { a = 1 }\n[p]\n"), "2:1: inline table 'p' cannot be extended");
    CHECK_STR(E("p = { a = {} }\n[p.a]\n"), "2:1: inline table 'p' cannot be extended");
}

TEST(redefinitions) {
    CHECK_STR(E("a = 1\na = 2\n"), "2:1: duplicate key 'a'");
    CHECK_STR(E("[rule]\nname = 1\nname = 2\n"), "3:1: duplicate key 'rule.name'");
    CHECK_STR(E("[[rule.threat]]\nid = 1\nid = 2\n"), "3:1: duplicate key 'rule.threat.id'");
    CHECK_STR(E("a.b = 1\na.b = 2\n"), "2:1: duplicate key 'a.b'");
    CHECK_STR(E("a = 1\na.b = 2\n"), "2:1: 'a' is already a value, not a table");
    CHECK_STR(E("[a]\nx = 1\n[a]\ny = 2\n"), "3:1: table 'a' is defined twice");
    CHECK_STR(E("[a]\nb = 1\n[a.b]\n"), "3:1: 'a.b' is already a value, not a table");
    CHECK_STR(E("[a]\nb.c = 1\n[a.b]\n"), "3:1: table 'a.b' was made with dotted keys and cannot get a [header]");
    CHECK_STR(E("[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n"), "4:1: table 'a.b' has a [header] and cannot be extended with dotted keys");
    CHECK_STR(E("a = [1]\n[[a]]\n"), "2:1: 'a' is already defined and is not an array of tables");
    CHECK_STR(E("[[a]]\n[a]\n"), "2:1: 'a' is an array of tables, not a table");
    CHECK_STR(E("[a]\n[[a]]\n"), "2:1: 'a' is already defined and is not an array of tables");
    CHECK_STR(E("[\"a b\"]\nx = 1\n[\"a b\"]\n"), "3:1: table '\"a b\"' is defined twice");
    /* allowed: a header for a table first seen as a prefix, sub-tables of dotted tables */
    CHECK_STR(E("[a.b]\nx = 1\n[a]\ny = 2\n"), "parsed");
    CHECK_STR(E("[fruit]\napple.color = 'red'\n[fruit.apple.texture]\nsmooth = true\n"), "parsed");
    CHECK_STR(E("[[a]]\n[a.b]\n[[a]]\n[a.b]\n"), "parsed");
}

TEST(syntax_errors) {
    CHECK_STR(E("a = \"open\n"), "1:5: unterminated string (a newline before the closing quote)");
    CHECK_STR(E("a = \"\"\"open\n"), "1:5: unterminated string");
    CHECK_STR(E("a = '''open''"), "1:5: unterminated string");
    CHECK_STR(E("a = \"bad \\x escape\"\n"), "1:10: invalid escape sequence: backslash followed by 'x'");
    CHECK_STR(E("a = \"\\u12g4\"\n"), "1:6: \\u escape needs 4 hex digits");
    CHECK_STR(E("a = \"\\uD800\"\n"), "1:6: escape \\uD800 is not a Unicode scalar value");
    CHECK_STR(E("a = \"\\U00110000\"\n"), "1:6: escape \\U00110000 is not a Unicode scalar value");
    CHECK_STR(E("a = \"ctl\x01\"\n"), "1:9: control character U+0001 in a string");
    CHECK_STR(E("a = 1 # ctl\x7f\n"), "1:12: control character U+007F in a comment");
    CHECK_STR(E("a = \"caf\xc3\xa9\"\nb = \"\xff\"\n"), "2:6: invalid UTF-8");
    CHECK_STR(E("a = \"\xc3\xa9\" x\n"), "1:9: expected the end of the line, found 'x'");
    CHECK_STR(E("key value\n"), "1:5: expected '=' after a key, found 'v'");
    CHECK_STR(E("key =\n"), "1:6: expected a value, found a newline");
    CHECK_STR(E("key = # nothing\n"), "1:7: expected a value, found '#'");
    CHECK_STR(E("key = "), "1:7: expected a value, found the end of the input");
    CHECK_STR(E("= 1\n"), "1:1: expected a key, found '='");
    CHECK_STR(E("a. = 1\n"), "1:4: expected a key, found '='");
    CHECK_STR(E("\"\"\"k\"\"\" = 1\n"), "1:1: a key cannot be a multi-line string");
    CHECK_STR(E("a = yes\n"), "1:5: invalid value 'yes' (strings must be quoted)");
    CHECK_STR(E("a = 1 b = 2\n"), "1:7: expected the end of the line, found 'b'");
    CHECK_STR(E("[a] b = 1\n"), "1:5: expected the end of the line, found 'b'");
    CHECK_STR(E("[a\n"), "1:3: expected ']' to close the table header, found a newline");
    CHECK_STR(E("[[a]\n"), "1:5: expected ']]' to close the table header, found a newline");
    CHECK_STR(E("[]\n"), "1:2: expected a key, found ']'");
    CHECK_STR(E("[ [a] ]\n"), "1:3: expected a key, found '['");
    CHECK_STR(E("\xc3\xa9 = 1\n"), "1:1: expected a key, found U+00E9");
    CHECK_STR(E("a = 12\x01\n"), "1:7: expected the end of the line, found U+0001");
    CHECK_STR(E("\"a\\u0001\" = 1\n\"a\\u0001\" = 2\n"), "2:1: duplicate key '\"a\\u0001\"'");
    char big[300] = "a = ";
    for (int i = 0; i < 60; i++) strcat(big, "\xc3\xa9"); /* 120 bytes, one token */
    strcat(big, "123456789\n");
    CHECK_STR(E(big), "1:5: invalid value '\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...'");
    char longkey[400] = "";
    for (int i = 0; i < 65; i++) strcat(longkey, "k.");
    strcat(longkey, "k = 1\n");
    CHECK_STR(E(longkey), "1:129: a key may have at most 64 parts");
    sh_diag d;
    CHECK(sh_toml_parse("a = [", 5, NULL) == NULL); /* no diag wanted */
    sh_toml *t = sh_toml_parse("", 0, &d);
    CHECK_INT(t ? t->n : 99, 0);
    sh_toml_free(t);
    t = sh_toml_parse("x = 1\n\n", 7, &d);
    CHECK_INT(t ? t->n : 99, 1);
    sh_toml_free(t);
}

/* ------------------------------------------------------------ public data */

typedef struct walk {
    int files, parsed;
} walk;

static void parse_file(const char *path, walk *w) {
    sh_diag d;
    size_t len;
    char *text = sh_read_file(path, &len, &d);
    w->files++;
    if (!text) {
        FAILF("%s: %s", path, d.msg);
        return;
    }
    sh_toml *t = sh_toml_parse(text, len, &d);
    if (t) w->parsed++;
    else FAILF("%s:%ld:%ld: %s", path, d.line, d.col, d.msg);
    sh_toml_free(t);
    free(text);
}

static void walk_toml(const char *dir, walk *w) {
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0) return;
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
        struct stat sb;
        size_t nl = strlen(ents[i]->d_name);
        if (ents[i]->d_name[0] != '.' && stat(path, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) walk_toml(path, w);
            else if (nl > 5 && !strcmp(ents[i]->d_name + nl - 5, ".toml")) parse_file(path, w);
        }
        free(ents[i]);
    }
    free(ents);
}

#define DR "../shared/data/eql/detection-rules/rules"
#define QA "../shared/data/eql/elasticsearch-qa"

TEST(detection_rules_corpus) {
    struct stat sb;
    if (stat(DR, &sb) != 0) {
        printf("test_toml: %s not found, corpus check skipped\n", DR);
        return;
    }
    walk w = {0};
    walk_toml(DR, &w);
    printf("test_toml: detection-rules: %d of %d TOML files parsed\n", w.parsed, w.files);
    CHECK_INT(w.files, 1012);
    CHECK_INT(w.parsed, w.files);
}

TEST(elasticsearch_qa_corpus) {
    struct stat sb;
    if (stat(QA, &sb) != 0) return;
    walk w = {0};
    walk_toml(QA, &w);
    printf("test_toml: elasticsearch-qa: %d of %d TOML files parsed\n", w.parsed, w.files);
    CHECK_INT(w.files, 5);
    CHECK_INT(w.parsed, w.files);
    /* spot checks */
    size_t len;
    sh_diag d;
    char *text = sh_read_file(QA "/test_queries.toml", &len, &d);
    sh_toml *t = text ? sh_toml_parse(text, len, &d) : NULL;
    const sh_toml *q = sh_toml_get(t, "queries");
    CHECK(q && q->type == SH_TOML_ARRAY && q->n > 100);
    if (q && q->n) {
        CHECK_STR(S(q->items[0], "name"), "simpleQueryEqual");
        CHECK_STR(S(q->items[0], "query"), "process where serial_event_id == 1");
        CHECK_INT(sh_toml_get(q->items[0], "expected_event_ids")->items[0]->i, 1);
    }
    sh_toml_free(t);
    free(text);
}

int main(void) {
    RUN(scalars);
    RUN(escapes);
    RUN(multiline_strings);
    RUN(crlf_and_bom);
    RUN(integers);
    RUN(floats);
    RUN(dates);
    RUN(arrays);
    RUN(tables);
    RUN(inline_tables);
    RUN(redefinitions);
    RUN(syntax_errors);
    RUN(detection_rules_corpus);
    RUN(elasticsearch_qa_corpus);
    TEST_MAIN_END();
}
