/* test_spl.c: the SPL front end, command by command and function by
 * function, against Splunk's documented behaviour: case-insensitive search
 * values with wildcards, case-sensitive where/eval comparisons, null
 * propagation, escaping, and the errors for what shrike does not run. */
#include "test.h"

#include "engine/query.h"
#include "engine/ir.h"
#include "event/fieldmap.h"

static sh_event *ev(int64_t secs, const char *const *kv) {
    sh_event *e = sh_event_new();
    for (size_t i = 0; kv[i]; i += 2) sh_event_add_str(e, kv[i], kv[i + 1], strlen(kv[i + 1]));
    sh_event_finish(e);
    e->ts = secs * 1000000000LL;
    return e;
}

static sh_buf out;
static void on_match(void *ctx, const sh_match *m) {
    (void)ctx;
    sh_event_to_json(m->row, &out, false);
    sh_buf_putc(&out, '\n');
}

static sh_event *events[8];
static size_t nevents;

static void setup(void) {
    static const char *const a[] = {"EventCode", "1", "Image", "C:\\Tools\\SignTool.exe", "CommandLine",
                                    "signtool sign /f a.pfx x.exe", "host", "WS1", "User", "CORP\\ann", NULL};
    static const char *const b[] = {"EventCode", "4688", "NewProcessName", "C:\\Windows\\certutil.exe", "CommandLine",
                                    "certutil -addstore root c.cer", "host", "WS2", "SubjectUserName", "bob", NULL};
    static const char *const c[] = {"EventCode", "1", "Image", "C:\\Windows\\cmd.exe", "CommandLine", "cmd /c dir",
                                    "host", "WS1", "Count", "10", NULL};
    static const char *const d[] = {"EventCode", "11", "TargetFilename", "C:\\Users\\x\\Temp\\k.pfx", "host", "WS2",
                                    "Count", "9", NULL};
    nevents = 0;
    events[nevents++] = ev(100, a);
    events[nevents++] = ev(200, b);
    events[nevents++] = ev(300, c);
    events[nevents++] = ev(400, d);
}

static void teardown(void) {
    for (size_t i = 0; i < nevents; i++) sh_event_unref(events[i]);
    nevents = 0;
}

static sh_query *compile(const char *q, sh_diag *d) {
    sh_rule r = {.query = (char *)q, .id = "t", .path = "t.spl"};
    sh_diag_clear(d);
    return sh_frontend_spl.compile(NULL, &r, d);
}

/* the rows of q over the four events, one JSON object a line */
static const char *run(const char *q) {
    sh_diag d;
    sh_buf_clear(&out);
    sh_query *sq = compile(q, &d);
    if (!sq) {
        sh_buf_printf(&out, "ERROR %s", d.msg);
        return sh_buf_cstr(&out);
    }
    setup();
    for (size_t i = 0; i < nevents; i++)
        if (!sq->ops->feed(sq, events[i], on_match, NULL)) break;
    sq->ops->finish(sq, on_match, NULL);
    sq->ops->free(sq);
    teardown();
    return sh_buf_cstr(&out);
}

static const char *err(const char *q) {
    static char msg[600];
    sh_diag d;
    sh_query *sq = compile(q, &d);
    if (sq) {
        sq->ops->free(sq);
        return "(compiled)";
    }
    snprintf(msg, sizeof msg, "%ld:%ld: %s", d.line, d.col, d.msg);
    return msg;
}

#define ROWS(q, expect) CHECK_STR(run(q), expect)

TEST(search_terms) {
    /* values are case-insensitive, with wildcards */
    ROWS("Image=*signtool.EXE | table host", "{\"host\":\"WS1\"}\n");
    ROWS("EventCode=1 | table Image", "{\"Image\":\"C:\\\\Tools\\\\SignTool.exe\"}\n{\"Image\":\"C:\\\\Windows\\\\cmd.exe\"}\n");
    /* field!=value needs the field; NOT takes events without it */
    ROWS("Image!=*cmd.exe | table EventCode", "{\"EventCode\":\"1\"}\n");
    ROWS("NOT Image=*cmd.exe | table EventCode", "{\"EventCode\":\"1\"}\n{\"EventCode\":\"4688\"}\n{\"EventCode\":\"11\"}\n");
    ROWS("EventCode IN (4688, 11) | table EventCode", "{\"EventCode\":\"4688\"}\n{\"EventCode\":\"11\"}\n");
    ROWS("Count>9 | table Count", "{\"Count\":\"10\"}\n");
    ROWS("Count<=9 | table Count", "{\"Count\":\"9\"}\n");
    ROWS("(EventCode=1 OR EventCode=11) host=WS2 | table EventCode", "{\"EventCode\":\"11\"}\n");
    /* bare terms and phrases against the raw event */
    ROWS("ADDSTORE | table host", "{\"host\":\"WS2\"}\n");
    ROWS("\"cmd /c\" | table host", "{\"host\":\"WS1\"}\n");
    /* \\ in a quoted value is one backslash */
    ROWS("TargetFilename=\"*\\\\Temp\\\\*\" | table EventCode", "{\"EventCode\":\"11\"}\n");
    ROWS("Image=\"C:\\\\windows\\\\*\" | stats count", "{\"count\":1}\n");
}

TEST(where_and_eval) {
    /* where compares case-sensitively */
    ROWS("* | where host=\"ws1\" | stats count", "{\"count\":0}\n");
    ROWS("* | where host=\"WS1\" | stats count", "{\"count\":2}\n");
    /* numeric text compares as numbers: "10" > "9" */
    ROWS("* | where Count > \"9\" | table Count", "{\"Count\":\"10\"}\n");
    ROWS("EventCode=1 | where like(Image, \"%SignTool%\") | table host", "{\"host\":\"WS1\"}\n");
    ROWS("EventCode=1 | where Image LIKE \"%signtool%\" | table host", "");
    ROWS("EventCode=1 | where match(CommandLine, \"^sign\") OR Count=10 | table host Count",
         "{\"host\":\"WS1\"}\n{\"host\":\"WS1\",\"Count\":\"10\"}\n");
    ROWS("EventCode=11 | eval a=Count+1, b=a*2, c=\"x\".a, d=\"1\"+\"2\", e=\"a\"+\"b\", f=Missing+1, g=7/2, h=-a | table a b c d e f g h",
         "{\"a\":10,\"b\":20,\"c\":\"x10\",\"d\":3,\"e\":\"ab\",\"g\":3.5,\"h\":-10}\n");
    /* later assignments see earlier ones; a null result removes the field */
    ROWS("EventCode=11 | eval host=null(), k=coalesce(Missing, Count, 5) | table host k", "{\"k\":\"9\"}\n");
    ROWS("EventCode=11 | eval t=if(Missing > 1, \"y\", \"n\"), u=if(isnull(Missing), 1, 0), v=if(isnotnull(Count), 1, 0) | table t u v",
         "{\"t\":\"n\",\"u\":1,\"v\":1}\n");
    ROWS("EventCode=11 | eval c=case(Count > 100, \"big\", Count > 5, \"mid\", true(), \"small\") | table c", "{\"c\":\"mid\"}\n");
    ROWS("EventCode=11 | eval x=Count=9 AND NOT host=\"WS1\", y=Count=9 XOR host=\"WS2\" | table x y", "{\"x\":true,\"y\":false}\n");
}

TEST(functions) {
    ROWS("EventCode=11 | eval a=lower(\"ÀB\"), b=upper(\"ab\"), c=len(\"héllo\"), d=substr(\"abcdef\", 2, 3), e=substr(\"abcdef\", -2), "
         "f=replace(\"a1b22\", \"(\\\\d+)\", \"<\\\\1>\"), g=trim(\"  x \"), h=ltrim(\"xxy\", \"x\"), i=rtrim(\"yxx\", \"x\") | table a b c d e f g h i",
         "{\"a\":\"àb\",\"b\":\"AB\",\"c\":5,\"d\":\"bcd\",\"e\":\"ef\",\"f\":\"a<1>b<22>\",\"g\":\"x\",\"h\":\"y\",\"i\":\"y\"}\n");
    /* positions past int64, as numbers or as text (found by fuzz_spl: UBSan) */
    ROWS("EventCode=11 | eval a=substr(\"abcdef\", 777777777777777777777777777773, 3), b=substr(\"abcdef\", 2, 9223372036854775807), "
         "c=substr(\"abcdef\", -1e30, 2), d=substr(\"abcdef\", 2, 1e30) | table a b c d",
         "{\"a\":\"\",\"b\":\"bcdef\",\"c\":\"ab\",\"d\":\"bcdef\"}\n");
    ROWS("EventCode=11 | eval m=split(\"a;b;c\", \";\"), n=mvcount(m), o=mvindex(m, 1), p=mvindex(m, -2, -1), q=mvjoin(m, \"+\"), "
         "r=mvappend(\"x\", m), s=mvdedup(split(\"a,a,b\", \",\")) | table m n o p q r s",
         "{\"m\":[\"a\",\"b\",\"c\"],\"n\":3,\"o\":\"b\",\"p\":[\"b\",\"c\"],\"q\":\"a+b+c\",\"r\":[\"x\",\"a\",\"b\",\"c\"],\"s\":[\"a\",\"b\"]}\n");
    ROWS("EventCode=11 | eval a=tonumber(\"0x1F\", 16), b=tonumber(\"12.5\"), c=tonumber(\"x\"), d=tostring(255, \"hex\"), "
         "e=tostring(1234567, \"commas\"), f=tostring(3725, \"duration\"), g=tostring(1=1) | table a b c d e f g",
         "{\"a\":31,\"b\":12.5,\"d\":\"0xFF\",\"e\":\"1,234,567\",\"f\":\"01:02:05\",\"g\":\"True\"}\n");
    ROWS("EventCode=11 | eval a=strftime(1716282767.004, \"%Y-%m-%dT%H:%M:%S.%3N\"), b=strptime(\"2024-05-21 09:12:47\", \"%Y-%m-%d %H:%M:%S\"), "
         "c=round(2.567, 2), d=floor(2.5), e=ceiling(2.1), f=abs(-3), g=isnum(\"12\"), h=isstr(\"a\"), "
         "i=cidrmatch(\"10.0.0.0/8\", \"10.1.2.3\"), j=in(host, \"WS1\", \"WS2\") | table a b c d e f g h i j",
         "{\"a\":\"2024-05-21T09:12:47.004\",\"b\":1716282767,\"c\":2.57,\"d\":2,\"e\":3,\"f\":3,\"g\":true,\"h\":true,\"i\":true,\"j\":true}\n");
    /* the event's own time */
    ROWS("EventCode=11 | eval t=_time+1 | table _time t", "{\"_time\":400.000,\"t\":401.0}\n");
}

TEST(shaping_commands) {
    ROWS("* | fields host EventCode | head 1", "{\"host\":\"WS1\",\"EventCode\":\"1\",\"_time\":100.000}\n");
    ROWS("EventCode=11 | fields - TargetFilename Count host | table *", "{\"EventCode\":\"11\"}\n");
    ROWS("EventCode=11 | rename TargetFilename as file, Count as n | table file n EventCode",
         "{\"file\":\"C:\\\\Users\\\\x\\\\Temp\\\\k.pfx\",\"n\":\"9\",\"EventCode\":\"11\"}\n");
    ROWS("EventCode=4688 | rename *Name as *_name | table NewProcess_name SubjectUser_name",
         "{\"NewProcess_name\":\"C:\\\\Windows\\\\certutil.exe\",\"SubjectUser_name\":\"bob\"}\n");
    ROWS("* | sort - EventCode | table EventCode", "{\"EventCode\":\"4688\"}\n{\"EventCode\":\"11\"}\n{\"EventCode\":\"1\"}\n{\"EventCode\":\"1\"}\n");
    ROWS("* | sort str(EventCode) | table EventCode", "{\"EventCode\":\"1\"}\n{\"EventCode\":\"1\"}\n{\"EventCode\":\"11\"}\n{\"EventCode\":\"4688\"}\n");
    ROWS("* | sort 2 host, -_time | table host _time", "{\"host\":\"WS1\",\"_time\":300.000}\n{\"host\":\"WS1\",\"_time\":100.000}\n");
    ROWS("* | head 2 | table EventCode", "{\"EventCode\":\"1\"}\n{\"EventCode\":\"4688\"}\n");
    /* tail gives the last results, last first */
    ROWS("* | tail 2 | table EventCode", "{\"EventCode\":\"11\"}\n{\"EventCode\":\"1\"}\n");
    ROWS("* | dedup host | table EventCode", "{\"EventCode\":\"1\"}\n{\"EventCode\":\"4688\"}\n");
    ROWS("* | dedup Count | table EventCode", "{\"EventCode\":\"1\"}\n{\"EventCode\":\"11\"}\n");
    ROWS("* | dedup Count keepempty=true | stats count", "{\"count\":4}\n");
    ROWS("* | fillnull value=none Count | table Count", "{\"Count\":\"none\"}\n{\"Count\":\"none\"}\n{\"Count\":\"10\"}\n{\"Count\":\"9\"}\n");
}

TEST(stats_commands) {
    ROWS("* | stats count dc(EventCode) as codes values(EventCode) as v min(Count) max(Count) sum(Count) avg(Count) by host",
         "{\"host\":\"WS1\",\"count\":2,\"codes\":1,\"v\":\"1\",\"min(Count)\":10,\"max(Count)\":10,\"sum(Count)\":10,\"avg(Count)\":10}\n"
         "{\"host\":\"WS2\",\"count\":2,\"codes\":2,\"v\":[\"11\",\"4688\"],\"min(Count)\":9,\"max(Count)\":9,\"sum(Count)\":9,\"avg(Count)\":9}\n");
    ROWS("* | stats count(Count) as n earliest(EventCode) as e latest(EventCode) as l list(host) as h range(_time) as r",
         "{\"n\":2,\"e\":\"1\",\"l\":\"11\",\"h\":[\"WS1\",\"WS2\",\"WS1\",\"WS2\"],\"r\":300}\n");
    /* rows without a by field are not counted */
    ROWS("* | stats count by Count", "{\"Count\":\"9\",\"count\":1}\n{\"Count\":\"10\",\"count\":1}\n");
    ROWS("Nothing=here | stats count", "{\"count\":0}\n");
    ROWS("* | eventstats count as n by host | where n > 1 | table EventCode n | head 1", "{\"EventCode\":\"1\",\"n\":2}\n");
}

TEST(append_commands) {
    ROWS("EventCode=1 | table host | append [search EventCode=11 | table TargetFilename]",
         "{\"host\":\"WS1\"}\n{\"host\":\"WS1\"}\n{\"TargetFilename\":\"C:\\\\Users\\\\x\\\\Temp\\\\k.pfx\"}\n");
    /* appendcols: by position; the main row's fields win */
    ROWS("EventCode=1 | table host EventCode | appendcols [search EventCode=4688 OR EventCode=11 | table host SubjectUserName]",
         "{\"host\":\"WS1\",\"EventCode\":\"1\",\"SubjectUserName\":\"bob\"}\n{\"host\":\"WS1\",\"EventCode\":\"1\"}\n");
    ROWS("EventCode=11 | table host | appendcols [search EventCode=1 | table Image]",
         "{\"host\":\"WS2\",\"Image\":\"C:\\\\Tools\\\\SignTool.exe\"}\n{\"Image\":\"C:\\\\Windows\\\\cmd.exe\"}\n");
    /* a subsearch as a filter (page 003's reading) */
    ROWS("* ([search EventCode=1 | where match(Image, \"cmd\")] OR [search EventCode=11]) | table EventCode host",
         "{\"EventCode\":\"1\",\"host\":\"WS1\"}\n{\"EventCode\":\"11\",\"host\":\"WS2\"}\n");
}

/* which of the four events the query's filters let through (the engine's
 * prefilter and event classes rely on them), as "1100"; "any" when some
 * search gives no filter (`*` gives one every event passes) */
static const char *passing(const char *q) {
    static char res[16];
    sh_diag d;
    sh_query *sq = compile(q, &d);
    if (!sq) return "ERROR";
    const sh_ir *f[8];
    uint32_t nf = sq->ops->filters(sq, f, 8);
    setup();
    sh_eval ev;
    sh_eval_init(&ev);
    size_t k = 0;
    for (size_t i = 0; i < nevents; i++) {
        bool pass = false;
        for (uint32_t j = 0; j < nf; j++) {
            if (!f[j]) {
                snprintf(res, sizeof res, "any");
                goto done;
            }
            pass |= sh_ir_match(&ev, f[j], events[i]);
        }
        res[k++] = pass ? '1' : '0';
    }
    res[k] = 0;
done:
    sh_eval_free(&ev);
    teardown();
    sq->ops->free(sq);
    return res;
}

TEST(pushdown) {
    /* the first search alone */
    CHECK_STR(passing("EventCode=1 OR EventCode=4688 | table host"), "1110");
    /* a where's regex through eval: lower(coalesce(...)) of event fields */
    const char *q = "EventCode=1 OR EventCode=4688 | eval P=coalesce(Image, NewProcessName) | eval L=lower(P)"
                    " | where match(L, \"(^|\\\\\\\\)(signtool|certutil)\\\\.exe$\")";
    CHECK_STR(passing(q), "1100");
    CHECK_STR(run(q), "{\"EventCode\":\"1\",\"Image\":\"C:\\\\Tools\\\\SignTool.exe\",\"CommandLine\":"
                      "\"signtool sign /f a.pfx x.exe\",\"host\":\"WS1\",\"User\":\"CORP\\\\ann\",\"P\":"
                      "\"C:\\\\Tools\\\\SignTool.exe\",\"L\":\"c:\\\\tools\\\\signtool.exe\"}\n"
                      "{\"EventCode\":\"4688\",\"NewProcessName\":\"C:\\\\Windows\\\\certutil.exe\",\"CommandLine\":"
                      "\"certutil -addstore root c.cer\",\"host\":\"WS2\",\"SubjectUserName\":\"bob\",\"P\":"
                      "\"C:\\\\Windows\\\\certutil.exe\",\"L\":\"c:\\\\windows\\\\certutil.exe\"}\n");
    /* a later eval of the same name reads the earlier one */
    CHECK_STR(passing("* | eval X=Image | eval X=lower(X) | where match(X, \"cmd\\.exe\")"), "0010");
    /* both parts of an AND count; an OR needs every branch */
    CHECK_STR(passing("* | where match(Image, \"cmd\") AND match(CommandLine, \"dir\")"), "0010");
    CHECK_STR(passing("* | where match(Image, \"Tools\") OR match(TargetFilename, \"pfx\")"), "1001");
    CHECK_STR(passing("* | where match(Image, \"Tools\") OR EventCode=4688"), "1111");
    /* what cannot be followed requires nothing */
    CHECK_STR(passing("* | where NOT match(Image, \"cmd\")"), "1111");
    CHECK_STR(passing("* | eval X=Image.\"x\" | where match(X, \"cmd\")"), "1111");
    CHECK_STR(passing("* | table Image | where match(Image, \"cmd\")"), "1111");
    CHECK_STR(passing("* | where match(Image, \".\")"), "1111");
    /* subsearch filters: each branch's own where (page 003's shape) */
    CHECK_STR(passing("* ([search EventCode=1 | eval L=lower(Image) | where match(L, \"signtool\")] OR"
                      " [search EventCode=4688 | where match(NewProcessName, \"certutil\")]) | table host"),
              "1100");
    /* an append's search is a filter of its own */
    CHECK_STR(passing("EventCode=1 | where match(Image, \"cmd\") | append [search EventCode=11 | table host]"), "0011");
}

TEST(readings_warn) {
    sh_diag d;
    sh_query *q = compile("index=x | eval a=lower(b)\n ( [search c=1] OR [search c=2] ) | appendcols [search d=1]", &d);
    CHECK(q != NULL);
    if (!q) return;
    const char *const *w = q->ops->warnings(q);
    int n = 0;
    while (w && w[n]) n++;
    CHECK_INT(n, 4);
    if (n == 4) {
        CHECK(strstr(w[0], "line 2: text beginning with '(' follows the eval expression") == w[0]);
        CHECK(strstr(w[1], "subsearch [...] used as a search filter") != NULL);
        CHECK(strstr(w[3], "line 2: appendcols pastes the subsearch's results onto the main results by position") == w[3]);
    }
    q->ops->free(q);
}

TEST(errors) {
    CHECK_STR(err("| tstats count from datamodel=Endpoint.Processes"),
              "1:3: tstats is not supported: tstats reads Splunk's indexed fields and accelerated data models; shrike searches the events themselves");
    CHECK_STR(err("`sysmon` EventCode=1"),
              "1:1: macro `sysmon` is not expanded: macros are defined in a Splunk app's macros.conf, which shrike does not have; write the search out in full");
    CHECK_STR(err("EventCode=1 | lookup users.csv user"),
              "1:15: lookup is not supported: lookups are Splunk's tables (CSV files, KV store), which shrike does not have");
    CHECK_STR(err("EventCode=1 | rex field=x \"(?<a>.)\""),
              "1:15: command 'rex' is not supported (shrike runs: search, where, eval, table, fields, rename, sort, head, tail, dedup, stats, eventstats, append, appendcols, fillnull)");
    CHECK_STR(err("x=1 | eval y=md5(x)"), "1:14: eval function md5() is not supported (docs/spl.md lists the functions shrike has)");
    CHECK_STR(err("x=1 | eval y=lower(x, 2)"), "1:14: lower() takes 1 argument, not 2");
    CHECK_STR(err("x=\"abc | table x"), "1:3: unterminated string: no closing '\"'");
    CHECK_STR(err("x=1 | where match(x, \"(\")"), "1:13: match(): regex: missing closing parenthesis at offset 1");
    CHECK_STR(err("x=1 | eval y"), "1:12: expected FIELD=EXPRESSION");
    CHECK_STR(err("x=1 | | table x"), "1:7: empty command between '|'");
    CHECK_STR(err("x=1 | stats"), "1:12: stats needs at least one function (count, dc(FIELD), ...)");
    CHECK_STR(err("x=1 | stats median(x)"), "1:13: stats function median is not supported (count, dc, values, list, min, max, sum, avg, earliest, latest, first, last, range are)");
    CHECK_STR(err("(x=1"), "1:5: expected ')' to close the '(' at line 1");
    CHECK_STR(err("x=1 | sort"), "1:11: sort needs a field");
    CHECK_STR(err("x=1 | append x"), "1:14: append needs a subsearch in [ ]");
}

int main(void) {
    RUN(search_terms);
    RUN(where_and_eval);
    RUN(functions);
    RUN(shaping_commands);
    RUN(stats_commands);
    RUN(append_commands);
    RUN(pushdown);
    RUN(readings_warn);
    RUN(errors);
    sh_buf_free(&out);
    TEST_MAIN_END();
}
