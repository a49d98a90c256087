/* test_eql.c: the EQL front end and the evaluator: exact parser errors with
 * their positions, every operator (case, wildcards, lists, null semantics,
 * multi-valued fields) and every function with its null and multi-value
 * cases. Three-valued results are observed by running both `X` and
 * `not (X)`: true, false, or null when neither matches. */
#include "lang/eql/eql.h"
#include "test.h"

/* ------------------------------------------------------------- helpers */

static sh_event *mkev(const char *category) {
    sh_event *e = sh_event_new();
    if (category) sh_event_add_str(e, "event.category", category, strlen(category));
    return e;
}

static void S(sh_event *e, const char *k, const char *v) { sh_event_add_str(e, k, v, strlen(v)); }
static void I(sh_event *e, const char *k, int64_t v) { sh_event_add_int(e, k, v); }

static char g_err[600];

/* compile error as "line:col: reason", or "" when it compiles */
static const char *err(const char *q) {
    sh_diag d = {0};
    sh_eql *c = sh_eql_compile(q, strlen(q), &d);
    if (c) {
        sh_eql_free(c);
        return "";
    }
    sh_diag_format(&d, g_err, sizeof g_err);
    return g_err;
}

static int query_matches(const char *q, sh_event *e) {
    sh_diag d = {0};
    sh_eql *c = sh_eql_compile(q, strlen(q), &d);
    if (!c) {
        char b[600];
        sh_diag_format(&d, b, sizeof b);
        fprintf(stderr, "compile error in %s: %s\n", q, b);
        return -1;
    }
    int r = sh_eql_event_matches(c, e);
    sh_eql_free(c);
    return r;
}

/* 'T', 'F' or 'N' (null) for condition x on e */
static char tri(const char *x, sh_event *e) {
    char q1[2048], q2[2048];
    snprintf(q1, sizeof q1, "any where %s", x);
    snprintf(q2, sizeof q2, "any where not (%s)", x);
    int a = query_matches(q1, e), b = query_matches(q2, e);
    if (a < 0 || b < 0) return '?';
    if (a && b) return '!';
    return a ? 'T' : b ? 'F' : 'N';
}

/* an event most tests share */
static sh_event *sample_event(void) {
    sh_event *e = mkev("process");
    S(e, "process.name", "CMD.exe");
    S(e, "process.executable", "C:\\Windows\\System32\\cmd.exe");
    I(e, "process.pid", 4242);
    sh_event_add_float(e, "score", 2.5);
    sh_event_add_bool(e, "flag", true);
    S(e, "process.args", "cmd.exe");
    S(e, "process.args", "/c");
    S(e, "process.args", "whoami");
    I(e, "codes", 1);
    I(e, "codes", 7);
    sh_event_add_null(e, "nothing");
    S(e, "empty", "");
    S(e, "source.ip", "10.6.48.157");
    S(e, "ip6", "fe80::1");
    S(e, "@timestamp", "2024-01-02T03:04:05.123Z");
    S(e, "hexnum", "0x1F");
    return e;
}

/* ------------------------------------------------------------- parsing */

TEST(parse_errors_have_positions) {
    CHECK_STR(err(""), "1:1: empty query");
    CHECK_STR(err("process wher x"), "1:9: expected 'where' after the event category, found 'wher'");
    CHECK_STR(err("process where x =="), "1:19: expected an expression, found end of query");
    CHECK_STR(err("process where\n  x == 1 and\n  y =="), "3:7: expected an expression, found end of query");
    CHECK_STR(err("process where x = 1"),
              "1:17: '=' is not an EQL operator; use '==' (case-sensitive) or ':' (case-insensitive)");
    CHECK_STR(err("process where x == \"abc"), "1:20: unterminated string");
    CHECK_STR(err("process where x == \"a\\db\""), "1:22: invalid escape sequence '\\d'");
    CHECK_STR(err("process where /* x"), "1:15: unterminated comment");
    CHECK_STR(err("process where `` == 1"), "1:15: empty backquoted name");
    CHECK_STR(err("process where x == 1 $"), "1:22: unexpected character '$'");
    CHECK_STR(err("process where true extra"), "1:20: unexpected 'extra' after the end of the query");
    CHECK_STR(err("process where a < b < c"), "1:21: comparisons cannot be chained; combine them with 'and'");
    CHECK_STR(err("process where sequence == 1"), "1:15: expected an expression, found keyword 'sequence'");
    CHECK_STR(err("where x == 1"), "1:1: expected an event category, found keyword 'where'");
    CHECK_STR(err("process where (x == 1"), "1:22: expected ')', found end of query");
    CHECK_STR(err("process where x in 1"), "1:20: expected '(' after 'in', found '1'");
    CHECK_STR(err("process where x not like \"a\""), "1:21: expected 'in' after 'not', found 'like'");
    CHECK_STR(err("process where x : y"), "1:19: expected a constant after ':', found 'y'");
    CHECK_STR(err("process where x == 99999999999999999999"), "1:20: integer out of range: 99999999999999999999");
}

TEST(parse_errors_functions) {
    CHECK_STR(err("process where foo(1)"), "1:15: unknown function 'foo'");
    CHECK_STR(err("process where add(1)"), "1:15: function 'add' takes 2 arguments, got 1");
    CHECK_STR(err("process where concat()"), "1:15: function 'concat' takes at least 1 argument, got 0");
    CHECK_STR(err("process where indexOf(\"a\")"), "1:15: function 'indexOf' takes 2 to 3 arguments, got 1");
    CHECK_STR(err("process where add~(1, 2)"), "1:15: function 'add' has no case-insensitive variant ('add~')");
    CHECK_STR(err("process where cidrMatch(ip, \"10.0.0.0/33\")"), "1:29: cidrMatch: invalid CIDR block \"10.0.0.0/33\"");
    CHECK_STR(err("process where cidrMatch(ip, x)"), "1:29: cidrMatch: CIDR blocks must be string literals");
    CHECK_STR(err("process where x regex \"a(b\""),
              "1:23: regex: missing closing parenthesis at offset 3 in \"a(b\"");
    CHECK_STR(err("process where x regex (\"ok\", \"a[\")"),
              "1:30: regex: missing terminating ] for character class at offset 2 in \"a[\"");
    CHECK_STR(err("process where x regex 1"), "1:23: regex patterns must be strings");
    /* function names are case-insensitive, as in Elasticsearch */
    CHECK_STR(err("process where CONCAT(x, \"\") == \"a\""), "");
}

TEST(parse_errors_sequences_and_pipes) {
    CHECK_STR(err("sequence [process where true] ![file where true]"),
              "1:1: missing events (![...]) require 'with maxspan=...'");
    CHECK_STR(err("sequence with maxspan=1h ![process where true]"),
              "1:1: a sequence needs at least one query that is not a missing event");
    CHECK_STR(err("sequence with maxspan=5 [a where true] [b where true]"),
              "1:23: maxspan: missing time unit after 5 (use ms, s, m, h or d)");
    CHECK_STR(err("sequence with maxspan=5x [a where true] [b where true]"),
              "1:24: maxspan: unknown time unit 'x' (use ms, s, m, h or d)");
    CHECK_STR(err("sequence [a where true] with runs=101 [b where true]"), "1:35: runs must be between 1 and 100, got 101");
    CHECK_STR(err("sequence [a where true] with maxspan=5m [b where true]"),
              "1:30: expected 'runs' after 'with' (maxspan goes after 'sequence'), found 'maxspan'");
    CHECK_STR(err("sequence [a where true] by x [b where true]"),
              "1:30: inconsistent number of join keys: expected 1 (as in the first query), found 0");
    CHECK_STR(err("sequence [a where true] by x [b where true] by y, z"),
              "1:48: inconsistent number of join keys: expected 1 (as in the first query), found 2");
    CHECK_STR(err("sequence [a where true] [b where true] until [c where true] by x"),
              "1:64: inconsistent number of join keys: expected 0 (as in the first query), found 1");
    CHECK_STR(err("sequence [a where true"), "1:23: expected ']' to close the query, found end of query");
    CHECK_STR(err("sample [a where true] ![b where true]"), "1:23: missing events (![...]) are only allowed in sequences");
    CHECK_STR(err("sample by x [a where true] [b where true] until [c where true]"), "1:43: samples do not support 'until'");
    CHECK_STR(err("process where true | sort x"), "1:22: unsupported pipe 'sort' (Elasticsearch EQL supports head and tail)");
    CHECK_STR(err("process where true | head"), "1:26: expected a non-negative number after 'head', found end of query");
    CHECK_STR(err("join [a where true]"), "1:1: 'join' is not supported by Elasticsearch EQL (use sequence or sample)");
    CHECK_STR(err("sequence by x with maxspan=2h [a where true] [b where true] | tail 3 | head 1"), "");
    CHECK_STR(err("sequence with maxspan=2h by x [a where true] [b where true]"), "");
}

TEST(warnings) {
    sh_diag d = {0};
    const char *q = "sequence [process where true]";
    sh_eql *c = sh_eql_compile(q, strlen(q), &d);
    CHECK(c != NULL);
    if (!c) return;
    CHECK_INT(sh_eql_get_kind(c), SH_EQL_SEQUENCE);
    const char *const *w = sh_eql_warnings(c);
    CHECK_STR(w[0], "1:1: sequence with a single query: Elasticsearch requires at least two; it runs as a sequence of one");
    CHECK(w[1] == NULL);
    sh_eql_free(c);
    q = "process where x == 'a'";
    c = sh_eql_compile(q, strlen(q), &d);
    CHECK(c != NULL);
    if (!c) return;
    CHECK_INT(sh_eql_get_kind(c), SH_EQL_EVENT);
    CHECK_STR(sh_eql_warnings(c)[0], "1:20: single-quoted strings are not accepted by Elasticsearch; use \"...\"");
    sh_eql_free(c);
    q = "sample by host [a where true] [b where true]";
    c = sh_eql_compile(q, strlen(q), &d);
    CHECK(c && sh_eql_get_kind(c) == SH_EQL_SAMPLE && sh_eql_warnings(c)[0] == NULL);
    sh_eql_free(c);
}

TEST(strings_and_names) {
    sh_event *e = mkev("process");
    S(e, "my-field", "a\"b");
    S(e, "path", "C:\\Temp\\x.exe");
    S(e, "uni", "A\xc3\xa9");
    S(e, "line", "a\tb\nc");
    S(e, "q", "it's");
    CHECK_INT(tri("`my-field` == \"a\\\"b\"", e), 'T');
    CHECK_INT(tri("path == \"C:\\\\Temp\\\\x.exe\"", e), 'T');
    CHECK_INT(tri("path == \"\"\"C:\\Temp\\x.exe\"\"\"", e), 'T');
    CHECK_INT(tri("uni == \"\\u{41}\\u{e9}\"", e), 'T');
    CHECK_INT(tri("line == \"a\\tb\\nc\"", e), 'T');
    CHECK_INT(tri("q == 'it\\'s'", e), 'T');
    CHECK_INT(tri("// a comment\n path : \"*x.EXE\" /* another */", e), 'T');
    sh_event_unref(e);
}

/* ----------------------------------------------------------- operators */

TEST(category) {
    sh_event *e = sh_event_new();
    S(e, "event.category", "network");
    S(e, "event.category", "process");
    CHECK_INT(query_matches("process where true", e), 1);
    CHECK_INT(query_matches("network where true", e), 1);
    CHECK_INT(query_matches("file where true", e), 0);
    CHECK_INT(query_matches("Process where true", e), 0); /* categories are case-sensitive */
    CHECK_INT(query_matches("\"process\" where true", e), 1);
    CHECK_INT(query_matches("any where true", e), 1);
    sh_event *none = sh_event_new();
    CHECK_INT(query_matches("any where true", none), 1);
    CHECK_INT(query_matches("process where true", none), 0);
    sh_event_unref(none);
    sh_event_unref(e);
}

TEST(equality_is_case_sensitive) {
    sh_event *e = sample_event();
    CHECK_INT(tri("process.name == \"CMD.exe\"", e), 'T');
    CHECK_INT(tri("process.name == \"cmd.exe\"", e), 'F');
    CHECK_INT(tri("process.name != \"cmd.exe\"", e), 'T');
    CHECK_INT(tri("process.name == \"CMD*\"", e), 'F'); /* no wildcards in == */
    CHECK_INT(tri("process.pid == 4242", e), 'T');
    CHECK_INT(tri("process.pid == 4242.0", e), 'T');
    CHECK_INT(tri("process.pid == \"4242\"", e), 'T'); /* numeric text compares as a number */
    CHECK_INT(tri("score == 2.5", e), 'T');
    CHECK_INT(tri("flag == true", e), 'T');
    CHECK_INT(tri("flag", e), 'T');
    CHECK_INT(tri("\"a\" == \"a\"", e), 'T');
    sh_event_unref(e);
}

TEST(ordering) {
    sh_event *e = sample_event();
    CHECK_INT(tri("process.pid > 4000", e), 'T');
    CHECK_INT(tri("process.pid >= 4242 and process.pid <= 4242", e), 'T');
    CHECK_INT(tri("process.pid < 4242", e), 'F');
    CHECK_INT(tri("4000 < process.pid", e), 'T');
    CHECK_INT(tri("score > 2 and score < 3", e), 'T');
    /* strings: case-sensitive lexicographic order ('C' < 'c') */
    CHECK_INT(tri("process.name < \"cmd\"", e), 'T');
    CHECK_INT(tri("process.name >= \"CMD\" and process.name <= \"CMD.exe\"", e), 'T');
    CHECK_INT(tri("process.name > \"CMD.exe\"", e), 'F');
    /* date-time text compares as a time, numbers as epoch milliseconds */
    CHECK_INT(tri("@timestamp > \"2024-01-02T03:04:05Z\"", e), 'T');
    CHECK_INT(tri("@timestamp == \"2024-01-02T04:04:05.123+01:00\"", e), 'T');
    sh_event *t = mkev("process");
    I(t, "@timestamp", 1516116808349);
    CHECK_INT(tri("@timestamp == \"2018-01-16T15:33:28.349Z\"", t), 'T');
    CHECK_INT(tri("@timestamp < \"2018-01-16T15:33:28.350Z\"", t), 'T');
    sh_event_unref(t);
    sh_event_unref(e);
}

TEST(null_semantics) {
    sh_event *e = sample_event();
    /* comparisons with a missing field are null: neither X nor not X matches */
    CHECK_INT(tri("missing == 1", e), 'N');
    CHECK_INT(tri("missing != 1", e), 'N');
    CHECK_INT(tri("missing > 0", e), 'N');
    CHECK_INT(tri("missing : \"a*\"", e), 'N');
    CHECK_INT(tri("missing in (1, 2)", e), 'N');
    CHECK_INT(tri("missing not in (1, 2)", e), 'N');
    CHECK_INT(tri("nothing == 1", e), 'N'); /* a JSON null */
    /* == null / != null test presence */
    CHECK_INT(tri("missing == null", e), 'T');
    CHECK_INT(tri("missing != null", e), 'F');
    CHECK_INT(tri("nothing == null", e), 'T');
    CHECK_INT(tri("process.pid != null", e), 'T');
    CHECK_INT(tri("null == null", e), 'T');
    CHECK_INT(tri("null == (missing > -1)", e), 'T');
    CHECK_INT(tri("null == (process.pid > -1)", e), 'F');
    /* three-valued and/or */
    CHECK_INT(tri("missing == 1 and true", e), 'N');
    CHECK_INT(tri("missing == 1 and false", e), 'F');
    CHECK_INT(tri("missing == 1 or true", e), 'T');
    CHECK_INT(tri("missing == 1 or false", e), 'N');
    /* optional fields: absent means the literal null */
    CHECK_INT(tri("?missing == null", e), 'T');
    CHECK_INT(tri("?missing == ?other", e), 'T');
    CHECK_INT(tri("?missing != ?other", e), 'F');
    CHECK_INT(tri("missing == other", e), 'N');
    CHECK_INT(tri("?missing == \"x\"", e), 'N');
    CHECK_INT(tri("?missing", e), 'N');
    CHECK_INT(tri("?process.pid == 4242", e), 'T');
    sh_event_unref(e);
}

TEST(multi_valued_fields) {
    sh_event *e = sample_event();
    CHECK_INT(tri("process.args == \"/c\"", e), 'T');
    CHECK_INT(tri("process.args == \"/C\"", e), 'F');
    CHECK_INT(tri("process.args : \"/C\"", e), 'T');
    /* != means no value equals (as Elasticsearch's must_not term on arrays) */
    CHECK_INT(tri("process.args != \"/c\"", e), 'F');
    CHECK_INT(tri("process.args != \"/x\"", e), 'T');
    CHECK_INT(tri("codes > 5", e), 'T');
    CHECK_INT(tri("codes < 1", e), 'F');
    CHECK_INT(tri("codes in (7, 9)", e), 'T');
    CHECK_INT(tri("codes not in (7, 9)", e), 'F');
    CHECK_INT(tri("process.args like \"who*\"", e), 'T');
    CHECK_INT(tri("process.args regex \"wh.ami\"", e), 'T');
    CHECK_INT(tri("length(process.args) == 2", e), 'T');
    CHECK_INT(tri("codes + 1 == 8", e), 'T');
    sh_event *empty = mkev("process");
    sh_event_field_get_or_add(empty, "tags", 4, NULL); /* [] */
    CHECK_INT(tri("tags == null", empty), 'T');
    CHECK_INT(tri("tags == \"a\"", empty), 'N');
    sh_event_unref(empty);
    sh_event_unref(e);
}

TEST(seq_operator_wildcards_and_lists) {
    sh_event *e = sample_event();
    CHECK_INT(tri("process.name : \"cmd.exe\"", e), 'T');
    CHECK_INT(tri("process.name : \"c*\"", e), 'T');
    CHECK_INT(tri("process.name : \"*.EXE\"", e), 'T');
    CHECK_INT(tri("process.name : \"*d.e*\"", e), 'T');
    CHECK_INT(tri("process.name : \"c?d.exe\"", e), 'T');
    CHECK_INT(tri("process.name : \"c?.exe\"", e), 'F');
    CHECK_INT(tri("process.name : \"*\"", e), 'T');
    CHECK_INT(tri("process.name : \"c*d*x*\"", e), 'T');
    CHECK_INT(tri("process.name : \"cmd\"", e), 'F');
    CHECK_INT(tri("process.name : (\"a*\", \"b\", \"*EXE\")", e), 'T');
    CHECK_INT(tri("process.name : (\"a*\", \"b\")", e), 'F');
    CHECK_INT(tri("process.name : (\"a\", \"b\", \"c\", \"d\", \"e\", \"cmd.EXE\")", e), 'T'); /* hashed list */
    CHECK_INT(tri("process.name : (\"a\", \"b\", \"c\", \"d\", \"e\", \"cmd.com\")", e), 'F');
    /* a backslash is an ordinary character in patterns */
    CHECK_INT(tri("process.executable : \"c:\\\\windows\\\\*\\\\CMD.EXE\"", e), 'T');
    CHECK_INT(tri("process.pid : 4242", e), 'T');
    CHECK_INT(tri("flag : true", e), 'T');
    /* '?' is one character, not one byte */
    sh_event *u = mkev("file");
    S(u, "name", "caf\xc3\xa9");
    CHECK_INT(tri("name : \"caf?\"", u), 'T');
    CHECK_INT(tri("name : \"CAF\xc3\x89\"", u), 'T');
    sh_event_unref(u);
    sh_event_unref(e);
}

TEST(like_and_regex) {
    sh_event *e = sample_event();
    CHECK_INT(tri("process.name like \"CMD*\"", e), 'T');
    CHECK_INT(tri("process.name like \"cmd*\"", e), 'F');
    CHECK_INT(tri("process.name like~ \"cmd*\"", e), 'T');
    CHECK_INT(tri("process.name like (\"x\", \"?MD.exe\")", e), 'T');
    CHECK_INT(tri("process.name regex \"CMD\\\\.exe\"", e), 'T');
    CHECK_INT(tri("process.name regex \"CMD\"", e), 'F'); /* anchored: whole value */
    CHECK_INT(tri("process.name regex \"cmd.*\"", e), 'F');
    CHECK_INT(tri("process.name regex~ \"cmd.*\"", e), 'T');
    CHECK_INT(tri("process.name regex (\"x+\", \"[A-Z]{3}\\\\.exe\")", e), 'T');
    CHECK_INT(tri("process.name regex \"\"\"[A-Z]+\\.exe\"\"\"", e), 'T');
    sh_event_unref(e);
}

TEST(in_lists) {
    sh_event *e = sample_event();
    CHECK_INT(tri("process.name in (\"a\", \"CMD.exe\")", e), 'T');
    CHECK_INT(tri("process.name in (\"a\", \"cmd.exe\")", e), 'F');
    CHECK_INT(tri("process.name in~ (\"a\", \"cmd.EXE\")", e), 'T');
    CHECK_INT(tri("process.name not in (\"a\", \"cmd.exe\")", e), 'T');
    CHECK_INT(tri("process.name not in~ (\"a\", \"cmd.exe\")", e), 'F');
    CHECK_INT(tri("process.pid in (1, 4242)", e), 'T');
    CHECK_INT(tri("process.pid in (1, \"4242\")", e), 'T');
    CHECK_INT(tri("process.name in (\"a\", null)", e), 'N');
    CHECK_INT(tri("process.name in (\"CMD.exe\", null)", e), 'T');
    CHECK_INT(tri("process.name in (\"a\", \"b\", \"c\", \"d\", \"CMD.exe\", 5)", e), 'T'); /* hashed list */
    CHECK_INT(tri("process.name in~ (\"a\", \"b\", \"c\", \"d\", \"cmd.exe\")", e), 'T');
    CHECK_INT(tri("process.name in (\"a\", \"b\", \"c\", \"d\", \"cmd.exe\")", e), 'F');
    CHECK_INT(tri("process.pid in (\"a\", \"b\", \"c\", \"d\", 4242)", e), 'T');
    CHECK_INT(tri("process.name in (process.args, \"x\")", e), 'F');
    CHECK_INT(tri("\"cmd.exe\" in (process.args)", e), 'T');
    sh_event_unref(e);
}

TEST(arithmetic) {
    sh_event *e = sample_event();
    CHECK_INT(tri("process.pid + 8 == 4250", e), 'T');
    CHECK_INT(tri("process.pid - 42 == 4200", e), 'T');
    CHECK_INT(tri("process.pid * 2 == 8484", e), 'T');
    CHECK_INT(tri("process.pid / 1000 == 4", e), 'T'); /* integer division truncates */
    CHECK_INT(tri("process.pid / 1000.0 == 4.242", e), 'T');
    CHECK_INT(tri("process.pid % 1000 == 242", e), 'T');
    CHECK_INT(tri("-process.pid == -4242", e), 'T');
    CHECK_INT(tri("2 + 3 * 4 == 14", e), 'T');
    CHECK_INT(tri("(2 + 3) * 4 == 20", e), 'T');
    CHECK_INT(tri("score * 2 == 5", e), 'T');
    CHECK_INT(tri("process.pid / 0 == 1", e), 'N'); /* division by zero is null */
    CHECK_INT(tri("process.pid % 0 == 1", e), 'N');
    CHECK_INT(tri("missing + 1 == 1", e), 'N');
    CHECK_INT(tri("process.name + 1 == 1", e), 'N');
    sh_event_unref(e);
}

/* ----------------------------------------------------------- functions */

TEST(math_functions) {
    sh_event *e = sample_event();
    CHECK_INT(tri("add(4, 5) == 9 and add(4, 0.5) == 4.5 and add(-2, -2) == -4", e), 'T');
    CHECK_INT(tri("add(process.pid, 1) == 4243", e), 'T');
    CHECK_INT(tri("add(null, 4) == 4", e), 'N');
    CHECK_INT(tri("subtract(10, 2) == 8 and subtract(1, 0.2) == 0.8", e), 'T');
    CHECK_INT(tri("multiply(2, 2) == 4 and multiply(0.25, 2) == 0.5", e), 'T');
    CHECK_INT(tri("divide(4, 3) == 1 and divide(4, 3.0) > 1.33 and divide(-4, -2) == 2", e), 'T');
    CHECK_INT(tri("divide(4, 0) == 0", e), 'N');
    CHECK_INT(tri("modulo(10, 6) == 4 and modulo(10, -6) == 4 and modulo(-10, -6) == -4", e), 'T');
    CHECK_INT(tri("modulo(10, 0.5) == 0", e), 'T');
    CHECK_INT(tri("modulo(7, null) == 0", e), 'N');
    CHECK_INT(tri("add(codes, 10) == 17", e), 'T'); /* any value of a multi-valued field */
    sh_event_unref(e);
}

TEST(string_functions) {
    sh_event *e = sample_event();
    S(e, "file.path", "C:\\Windows\\System32\\cmd.exe");
    CHECK_INT(tri("between(file.path, \"System32\\\\\", \".exe\") == \"cmd\"", e), 'T');
    CHECK_INT(tri("between(file.path, \"system32\\\\\", \".exe\") == \"\"", e), 'T');
    CHECK_INT(tri("between~(file.path, \"system32\\\\\", \".EXE\") == \"cmd\"", e), 'T');
    CHECK_INT(tri("between(file.path, \"\\\\\", \"\\\\\", false) == \"Windows\"", e), 'T');
    CHECK_INT(tri("between(file.path, \"\\\\\", \"\\\\\", true) == \"Windows\\\\System32\"", e), 'T');
    CHECK_INT(tri("between(\"\", \"a\", \"b\") == \"\"", e), 'T');
    CHECK_INT(tri("between(missing, \"a\", \"b\") == \"\"", e), 'N');
    CHECK_INT(tri("concat(\"a\", 1, true, 2.5) == \"a1true2.5\"", e), 'T');
    CHECK_INT(tri("concat(process.name, \":\", process.pid) == \"CMD.exe:4242\"", e), 'T');
    CHECK_INT(tri("concat(process.name, null) == \"x\"", e), 'N');
    CHECK_INT(tri("endsWith(process.name, \".exe\") and not endsWith(process.name, \".EXE\")", e), 'T');
    CHECK_INT(tri("endsWith~(process.name, \".EXE\")", e), 'T');
    CHECK_INT(tri("endsWith(null, \"x\")", e), 'N');
    CHECK_INT(tri("startsWith(process.name, \"CMD\") and not startsWith(process.name, \"cmd\")", e), 'T');
    CHECK_INT(tri("startsWith~(process.name, \"cmd\")", e), 'T');
    CHECK_INT(tri("startsWith(\"regsvr32.exe\", process.args)", e), 'F');
    CHECK_INT(tri("startsWith(process.args, \"who\")", e), 'T');
    CHECK_INT(tri("stringContains(process.executable, \"System32\")", e), 'T');
    CHECK_INT(tri("stringContains(process.executable, \"system32\")", e), 'F');
    CHECK_INT(tri("stringContains~(process.executable, \"system32\")", e), 'T');
    CHECK_INT(tri("stringContains(missing, \"a\")", e), 'N');
    CHECK_INT(tri("length(process.name) == 7 and length(\"\") == 0", e), 'T');
    CHECK_INT(tri("length(\"caf\xc3\xa9\") == 4", e), 'T');
    CHECK_INT(tri("length(missing) == 0", e), 'N');
    CHECK_INT(tri("string(42) == \"42\" and string(true) == \"true\" and string(4.5) == \"4.5\"", e), 'T');
    CHECK_INT(tri("string(process.pid) == \"4242\"", e), 'T');
    CHECK_INT(tri("string(null) == \"null\"", e), 'N');
    sh_event_unref(e);
}

TEST(index_and_substring) {
    sh_event *e = mkev("network");
    S(e, "url.domain", "subdomain.example.com");
    CHECK_INT(tri("indexOf(url.domain, \"d\") == 3", e), 'T');
    CHECK_INT(tri("indexOf(url.domain, \"D\") == null", e), 'T');
    CHECK_INT(tri("indexOf~(url.domain, \"D\") == 3", e), 'T');
    CHECK_INT(tri("indexOf(url.domain, \".\", 10) == 17", e), 'T');
    CHECK_INT(tri("indexOf(url.domain, \".\", -6) == 9", e), 'T');
    CHECK_INT(tri("indexOf(url.domain, \"\", 10) == 10 and indexOf(\"\", \"\") == 0", e), 'T');
    CHECK_INT(tri("indexOf(url.domain, \".\", 30) == null", e), 'T');
    CHECK_INT(tri("indexOf(url.domain, \".\", null) == null", e), 'T');
    CHECK_INT(tri("substring(\"start regsvr32.exe\", 6) == \"regsvr32.exe\"", e), 'T');
    CHECK_INT(tri("substring(\"start regsvr32.exe\", 0, 5) == \"start\"", e), 'T');
    CHECK_INT(tri("substring(\"start regsvr32.exe\", -4) == \".exe\"", e), 'T');
    CHECK_INT(tri("substring(\"start regsvr32.exe\", -4, -1) == \".ex\"", e), 'T');
    CHECK_INT(tri("substring(\"abc\", 5) == \"\" and substring(\"abc\", 2, 1) == \"\"", e), 'T');
    CHECK_INT(tri("substring(missing, 1) == \"\"", e), 'N');
    sh_event_unref(e);
}

TEST(number_and_cidr) {
    sh_event *e = sample_event();
    CHECK_INT(tri("number(\"1337\") == 1337 and number(\"42.5\") == 42.5", e), 'T');
    CHECK_INT(tri("number(\"deadbeef\", 16) == 3735928559", e), 'T');
    CHECK_INT(tri("number(\"0xdeadbeef\") == 3735928559 and number(\"0xdeadbeef\", null) == 3735928559", e), 'T');
    CHECK_INT(tri("number(\"-1337\") == -1337 and number(\"  1337  \") == 1337", e), 'T');
    CHECK_INT(tri("number(\"32\", 16) == 50 and number(\"0x32\", 16) == 50", e), 'T');
    CHECK_INT(tri("number(hexnum) == 31", e), 'T');
    CHECK_INT(tri("number(\"abc\") == 1", e), 'N');
    CHECK_INT(tri("number(null) == 1", e), 'N');
    CHECK_INT(tri("cidrMatch(source.ip, \"10.6.48.157/8\")", e), 'T');
    CHECK_INT(tri("cidrMatch(source.ip, \"192.168.0.0/16\")", e), 'F');
    CHECK_INT(tri("cidrMatch(source.ip, \"192.168.0.0/16\", \"10.0.0.0/8\")", e), 'T');
    CHECK_INT(tri("cidrMatch(source.ip, \"0.0.0.0/0\")", e), 'T');
    CHECK_INT(tri("cidrMatch(source.ip, \"10.6.48.157\")", e), 'T');
    CHECK_INT(tri("cidrMatch(ip6, \"fe80::/10\")", e), 'T');
    CHECK_INT(tri("cidrMatch(ip6, \"10.0.0.0/8\")", e), 'F');
    CHECK_INT(tri("cidrMatch(missing, \"10.0.0.0/8\")", e), 'N');
    CHECK_INT(tri("cidrMatch(source.ip, null)", e), 'N');
    sh_event_unref(e);
}

int main(void) {
    RUN(parse_errors_have_positions);
    RUN(parse_errors_functions);
    RUN(parse_errors_sequences_and_pipes);
    RUN(warnings);
    RUN(strings_and_names);
    RUN(category);
    RUN(equality_is_case_sensitive);
    RUN(ordering);
    RUN(null_semantics);
    RUN(multi_valued_fields);
    RUN(seq_operator_wildcards_and_lists);
    RUN(like_and_regex);
    RUN(in_lists);
    RUN(arithmetic);
    RUN(math_functions);
    RUN(string_functions);
    RUN(index_and_substring);
    RUN(number_and_cidr);
    TEST_MAIN_END();
}
