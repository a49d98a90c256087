/* test_json.c: the JSON reader: flattening, value types, wrappers, exact
 * error messages and positions, and a differential check against jansson
 * (every document both accept must give the same fields and values; every
 * document jansson rejects must be rejected). */
#include <jansson.h>
#include <math.h>

#include "event/fieldmap.h"
#include "input/input.h"
#include "input/json.h"
#include "test.h"

static sh_event *parse(const char *text, sh_diag *d) {
    sh_event *e = sh_event_new();
    sh_json_opts o = {.keep_raw = true, .unwrap = true};
    sh_diag_clear(d);
    if (!sh_json_parse_event(text, strlen(text), e, &o, d)) {
        sh_event_unref(e);
        return NULL;
    }
    return e;
}

static const char *str_of(sh_event *e, const char *name, uint32_t i) {
    sh_field *f = sh_event_find_cstr(e, name);
    if (!f || i >= f->nvals) return NULL;
    return f->vals[i].s;
}

TEST(flattens_nested_objects) {
    sh_diag d;
    sh_event *e = parse("{\"process\":{\"name\":\"a.exe\",\"parent\":{\"pid\":4}},\"x\":1.5,\"b\":true,\"n\":null}", &d);
    CHECK(e != NULL);
    if (!e) return;
    CHECK_STR(str_of(e, "process.name", 0), "a.exe");
    sh_field *pid = sh_event_find_cstr(e, "process.parent.pid");
    CHECK(pid && pid->vals[0].type == SH_INT && pid->vals[0].i == 4);
    sh_field *x = sh_event_find_cstr(e, "x");
    CHECK(x && x->vals[0].type == SH_FLOAT && x->vals[0].f == 1.5);
    CHECK_STR(str_of(e, "x", 0), "1.5");
    sh_field *b = sh_event_find_cstr(e, "b");
    CHECK(b && b->vals[0].type == SH_BOOL && b->vals[0].b);
    sh_field *n = sh_event_find_cstr(e, "n");
    CHECK(n && n->vals[0].type == SH_NULL);
    CHECK_INT(e->nfields, 5);
    sh_event_unref(e);
}

TEST(arrays_are_multi_valued) {
    sh_diag d;
    sh_event *e = parse("{\"event\":{\"category\":[\"process\",\"file\"]},\"a\":[{\"b\":1},{\"b\":2,\"c\":\"x\"}],\"e\":[],\"s\":[\"one\"]}", &d);
    CHECK(e != NULL);
    if (!e) return;
    sh_field *c = sh_event_find_cstr(e, "event.category");
    CHECK(c && c->nvals == 2 && c->is_array);
    CHECK_STR(str_of(e, "event.category", 1), "file");
    sh_field *b = sh_event_find_cstr(e, "a.b");
    CHECK(b && b->nvals == 2 && b->vals[1].i == 2);
    CHECK_STR(str_of(e, "a.c", 0), "x");
    sh_field *em = sh_event_find_cstr(e, "e");
    CHECK(em && em->nvals == 0 && em->is_array);
    sh_field *s = sh_event_find_cstr(e, "s");
    CHECK(s && s->nvals == 1 && s->is_array);
    sh_buf out = {0};
    sh_event_to_json(e, &out, false);
    CHECK_STR(sh_buf_cstr(&out), "{\"event.category\":[\"process\",\"file\"],\"a.b\":[1,2],\"a.c\":[\"x\"],\"e\":[],\"s\":[\"one\"]}");
    sh_buf_free(&out);
    sh_event_unref(e);
}

/* a copy of an event's own fields shares its values; what the copy adds or
 * changes never reaches the event */
TEST(borrowed_copy) {
    sh_diag d;
    for (int derive = 0; derive < 2; derive++) {
        sh_event *e = parse("{\"a\":\"x\",\"m\":[\"p\",\"q\"],\"e\":[],\"n\":{\"k\":3}}", &d);
        CHECK(e != NULL);
        if (!e) return;
        if (derive) {
            sh_field *dv = sh_event_field_get_or_add(e, "dv", 2, NULL);
            dv->derived = true;
            sh_value v = sh_value_str("z", 1);
            sh_event_add_value(e, dv, &v);
        }
        sh_event *r = sh_event_borrow_own(e);
        CHECK_INT(r->nfields, 4);
        CHECK(sh_event_find_cstr(r, "dv") == NULL);
        CHECK_STR(str_of(r, "a", 0), "x");
        CHECK_STR(str_of(r, "m", 1), "q");
        sh_field *k = sh_event_find_cstr(r, "n.k");
        CHECK(k && k->vals[0].type == SH_INT && k->vals[0].i == 3);
        sh_field *em = sh_event_find_cstr(r, "e");
        CHECK(em && em->nvals == 0 && em->is_array);
        /* added to on the copy: a third value, a second one, a new field */
        sh_value w = sh_value_str("w", 1);
        sh_event_add_value(r, sh_event_find_cstr(r, "m"), &w);
        sh_event_add_value(r, sh_event_find_cstr(r, "a"), &w);
        sh_event_add_value(r, em, &w);
        sh_event_add_value(r, sh_event_field_get_or_add(r, "new", 3, NULL), &w);
        /* and the event's array grown after the copy's: each keeps its own */
        sh_value v = sh_value_str("v", 1);
        sh_event_add_value(e, sh_event_find_cstr(e, "m"), &v);
        sh_buf out = {0};
        sh_event_to_json(r, &out, false);
        CHECK_STR(sh_buf_cstr(&out), "{\"a\":[\"x\",\"w\"],\"m\":[\"p\",\"q\",\"w\"],\"e\":[\"w\"],\"n.k\":3,\"new\":\"w\"}");
        sh_buf_clear(&out);
        sh_event_unref(r);
        sh_event_to_json(e, &out, false);
        CHECK_STR(sh_buf_cstr(&out), "{\"a\":\"x\",\"m\":[\"p\",\"q\",\"v\"],\"e\":[],\"n.k\":3}");
        CHECK_INT(e->nfields, 4 + derive);
        sh_buf_free(&out);
        sh_event_unref(e);
    }
}

TEST(string_escapes) {
    sh_diag d;
    sh_event *e = parse("{\"p\":\"C:\\\\Windows\\\\x \\\"q\\\" \\u00e9\\ud83d\\ude00\\n\"}", &d);
    CHECK(e != NULL);
    if (!e) return;
    CHECK_STR(str_of(e, "p", 0), "C:\\Windows\\x \"q\" \xc3\xa9\xf0\x9f\x98\x80\n");
    sh_event_unref(e);
}

TEST(elasticsearch_hit_is_unwrapped) {
    sh_diag d;
    sh_event *e = parse("{\"_index\":\"logs\",\"_id\":\"1\",\"_source\":{\"@timestamp\":\"2024-01-02T03:04:05.250Z\",\"host\":{\"name\":\"H1\"}}}", &d);
    CHECK(e != NULL);
    if (!e) return;
    CHECK_STR(str_of(e, "host.name", 0), "H1");
    CHECK(sh_event_find_cstr(e, "_source.host.name") == NULL);
    CHECK_INT(e->ts, 1704164645250000000LL);
    CHECK_INT(e->schema, SH_SCHEMA_GENERIC);
    sh_event_unref(e);
}

TEST(windows_rendering_is_normalised) {
    sh_diag d;
    const char *doc =
        "{\"Event\":{\"#attributes\":{\"xmlns\":\"x\"},\"System\":{\"Provider\":{\"#attributes\":{\"Name\":\"Microsoft-Windows-Sysmon\"}},"
        "\"EventID\":1,\"TimeCreated\":{\"#attributes\":{\"SystemTime\":\"2025-11-27T07:40:10.165324Z\"}},\"EventRecordID\":5,"
        "\"Execution\":{\"#attributes\":{\"ProcessID\":3544}},\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Computer\":\"pc1\","
        "\"Security\":{\"#attributes\":{\"UserID\":\"S-1-5-18\"}}},"
        "\"EventData\":{\"Image\":\"C:\\\\Windows\\\\System32\\\\certutil.exe\",\"CommandLine\":\"certutil.exe -addstore Root a.cer\"}}}";
    sh_event *e = parse(doc, &d);
    CHECK(e != NULL);
    if (!e) return;
    CHECK_INT(e->schema, SH_SCHEMA_WINDOWS);
    CHECK_STR(str_of(e, "Provider_Name", 0), "Microsoft-Windows-Sysmon");
    CHECK_STR(str_of(e, "TimeCreated", 0), "2025-11-27T07:40:10.165324Z");
    CHECK_STR(str_of(e, "Execution_ProcessID", 0), "3544");
    CHECK_STR(str_of(e, "Security_UserID", 0), "S-1-5-18");
    CHECK_STR(str_of(e, "Image", 0), "C:\\Windows\\System32\\certutil.exe");
    CHECK(sh_event_find_cstr(e, "xmlns") == NULL);
    CHECK_INT(e->ts, 1764229210165324000LL);
    /* the field model: ECS names from the Windows names */
    sh_field *pn = sh_event_get(e, sh_fieldref_get("process.name", 12));
    CHECK(pn && pn->nvals == 1 && strcmp(pn->vals[0].s, "certutil.exe") == 0);
    sh_field *args = sh_event_get(e, sh_fieldref_get("process.args", 12));
    CHECK(args && args->nvals == 4);
    if (args && args->nvals == 4) CHECK_STR(args->vals[2].s, "Root");
    sh_field *cat = sh_event_get(e, sh_fieldref_get("event.category", 14));
    CHECK(cat && cat->nvals == 1 && strcmp(cat->vals[0].s, "process") == 0);
    sh_field *ty = sh_event_get(e, sh_fieldref_get("event.type", 10));
    CHECK(ty && strcmp(ty->vals[0].s, "start") == 0);
    sh_field *hn = sh_event_get(e, sh_fieldref_get("host.name", 9));
    CHECK(hn && strcmp(hn->vals[0].s, "pc1") == 0);
    CHECK(sh_event_get(e, sh_fieldref_get("file.path", 9)) == NULL);
    /* derived fields are not printed */
    sh_buf out = {0};
    sh_event_to_json(e, &out, false);
    CHECK(strstr(sh_buf_cstr(&out), "process.name") == NULL);
    sh_buf_free(&out);
    sh_event_unref(e);
}

TEST(derived_fields_have_one_value_each) {
    /* the mapping table has cycles (Image <-> process.executable,
     * Computer <-> host.name): a derived field must still get its value once */
    sh_diag d;
    sh_event *e = parse("{\"EventID\":4688,\"Channel\":\"Security\",\"NewProcessName\":\"C:\\\\a.exe\",\"Hostname\":\"H\","
                        "\"Hashes\":\"SHA1=AB,MD5=CD,SHA256=EF01\"}", &d);
    CHECK(e != NULL);
    if (!e) return;
    static const struct { const char *name; const char *val; } want[] = {
        {"Image", "C:\\a.exe"}, {"process.executable", "C:\\a.exe"}, {"process.name", "a.exe"},
        {"host.name", "H"}, {"Computer", "H"}, {"process.hash.sha256", "ef01"}, {"event.type", "start"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        sh_field *f = sh_event_get(e, sh_fieldref_get(want[i].name, strlen(want[i].name)));
        if (!f) { FAILF("%s not derived", want[i].name); continue; }
        if (f->nvals != 1) FAILF("%s has %u values", want[i].name, f->nvals);
        CHECK_STR(f->vals[0].s, want[i].val);
    }
    CHECK(sh_event_get(e, sh_fieldref_get("file.path", 9)) == NULL);
    sh_event_unref(e);
    e = parse("{\"EventID\":13,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\","
              "\"TargetObject\":\"HKLM\\\\SOFTWARE\\\\Microsoft\\\\SystemCertificates\\\\Root\\\\Certificates\\\\AB12\\\\Blob\"}", &d);
    CHECK(e != NULL);
    if (!e) return;
    sh_field *k = sh_event_get(e, sh_fieldref_get("registry.key", 12));
    CHECK(k && k->nvals == 1);
    if (k && k->nvals == 1) CHECK_STR(k->vals[0].s, "SOFTWARE\\Microsoft\\SystemCertificates\\Root\\Certificates\\AB12");
    sh_field *h = sh_event_get(e, sh_fieldref_get("registry.hive", 13));
    CHECK(h && h->nvals == 1 && !strcmp(h->vals[0].s, "HKLM"));
    sh_field *v = sh_event_get(e, sh_fieldref_get("registry.value", 14));
    CHECK(v && v->nvals == 1 && !strcmp(v->vals[0].s, "Blob"));
    sh_field *c = sh_event_get(e, sh_fieldref_get("event.category", 14));
    CHECK(c && !strcmp(c->vals[0].s, "registry"));
    sh_event_unref(e);
}

TEST(eventdata_data_lists) {
    sh_diag d;
    sh_event *e = parse("{\"Event\":{\"System\":{\"EventID\":4688,\"Channel\":\"Security\"},\"EventData\":{\"Data\":["
                        "{\"@Name\":\"NewProcessName\",\"#text\":\"C:\\\\Windows\\\\certutil.exe\"},"
                        "{\"#attributes\":{\"Name\":\"CommandLine\"},\"#text\":\"certutil -addstore Root a.cer\"},"
                        "{\"Name\":\"TokenElevationType\",\"#text\":3},{\"@Name\":\"Empty\"},{\"odd\":1}]}}}", &d);
    CHECK(e != NULL);
    if (!e) { FAILF("%s", d.msg); return; }
    CHECK_STR(str_of(e, "NewProcessName", 0), "C:\\Windows\\certutil.exe");
    CHECK_STR(str_of(e, "CommandLine", 0), "certutil -addstore Root a.cer");
    sh_field *tt = sh_event_find_cstr(e, "TokenElevationType");
    CHECK(tt && tt->nvals == 1 && tt->vals[0].type == SH_INT && tt->vals[0].i == 3);
    CHECK_STR(str_of(e, "Empty", 0), "");
    sh_field *odd = sh_event_find_cstr(e, "Data.odd");
    CHECK(odd && odd->nvals == 1 && odd->vals[0].i == 1);
    sh_field *pn = sh_event_get(e, sh_fieldref_get("process.name", 12));
    CHECK(pn && !strcmp(pn->vals[0].s, "certutil.exe"));
    sh_event_unref(e);
}

static void expect_error(const char *text, long col, const char *msg) {
    sh_diag d;
    sh_event *e = parse(text, &d);
    if (e) {
        FAILF("accepted invalid document %s", text);
        sh_event_unref(e);
        return;
    }
    if (d.col != col || strcmp(d.msg, msg) != 0)
        FAILF("for %s: got col %ld \"%s\", expected col %ld \"%s\"", text, d.col, d.msg, col, msg);
}

TEST(error_messages) {
    expect_error("{\"a\":1,}", 8, "expected a string key, found '}'");
    expect_error("{\"a\" 1}", 6, "expected ':' after key, found '1'");
    expect_error("{\"a\":tru}", 6, "unexpected 't'");
    expect_error("{\"a\":\"x}", 6, "unterminated string");
    expect_error("[1,2]", 1, "top-level value is not an object (found '[')");
    expect_error("{\"a\":1} x", 9, "unexpected 'x' after the document");
    expect_error("{\"a\":\"\xff\"}", 7, "invalid UTF-8");
    expect_error("{\"a\":\"\\ud800\"}", 7, "lone surrogate in \\u escape");
    expect_error("{\"a\":01}", 7, "expected ',' or '}' in object, found '1'");
    expect_error("{\"a\":\"\t\"}", 7, "control character in string");
    expect_error("", 1, "empty document");
    expect_error("{\"a\":-}", 6, "invalid number");
    expect_error("{\"a\":\"\xc3\xa9\",\"b\":\"\xff\"}", 16, "invalid UTF-8");
}

TEST(deep_nesting_is_refused) {
    sh_buf b = {0};
    sh_buf_puts(&b, "{\"a\":");
    for (int i = 0; i < 300; i++) sh_buf_puts(&b, "[");
    sh_diag d;
    sh_event *e = parse(sh_buf_cstr(&b), &d);
    CHECK(e == NULL);
    CHECK_STR(d.msg, "nesting deeper than 256");
    sh_buf_free(&b);
}

TEST(argv_splitting) {
    static const struct { const char *cmd; int n; const char *args[6]; } cases[] = {
        {"\"C:\\Program Files\\a.exe\" -x \"a b\" c", 4, {"C:\\Program Files\\a.exe", "-x", "a b", "c"}},
        {"a.exe \"\\\"q\\\"\" x\\\\\\\"y", 3, {"a.exe", "\"q\"", "x\\\"y"}},
        {"a.exe C:\\dir\\ \"d\\\\\"", 3, {"a.exe", "C:\\dir\\", "d\\"}},
        {"powershell.exe -Command \"New-SelfSignedCertificate -Type CodeSigningCert\"", 3,
         {"powershell.exe", "-Command", "New-SelfSignedCertificate -Type CodeSigningCert"}},
        {"  x.exe   a\t\tb  ", 3, {"x.exe", "a", "b"}},
        {"a.exe \"say \"\"hi\"\"\"", 2, {"a.exe", "say \"hi\""}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sh_event *e = sh_event_new();
        sh_field *f = sh_event_field_get_or_add(e, "args", 4, NULL);
        sh_split_cmdline(e, f, cases[i].cmd, strlen(cases[i].cmd));
        f = sh_event_find_cstr(e, "args");
        if ((int)f->nvals != cases[i].n) FAILF("%s: %u args, expected %d", cases[i].cmd, f->nvals, cases[i].n);
        else
            for (int k = 0; k < cases[i].n; k++) CHECK_STR(f->vals[k].s, cases[i].args[k]);
        sh_event_unref(e);
    }
}

TEST(time_parsing) {
    CHECK_INT(sh_parse_time("1970-01-01T00:00:00Z", 20), 0);
    CHECK_INT(sh_parse_time("2024-02-29T12:00:00.5+01:00", 27), 1709204400500000000LL);
    CHECK_INT(sh_parse_time("2025-11-27 07:40:10.132", 23), 1764229210132000000LL);
    CHECK_INT(sh_parse_time("2022-12-12", 10), 1670803200000000000LL);
    CHECK(sh_parse_time("12-12-2022", 10) == SH_TS_NONE);
    CHECK(sh_parse_time("2022-13-01", 10) == SH_TS_NONE);
    char buf[40];
    sh_format_time(1704164645250000000LL, buf);
    CHECK_STR(buf, "2024-01-02T03:04:05.250Z");
}

TEST(case_folding) {
    CHECK(sh_memieq("CertUtil.EXE", 12, "certutil.exe", 12));
    CHECK(sh_memieq("\xc3\x89T\xc3\x89", 5, "\xc3\xa9t\xc3\xa9", 5));               /* ÉTÉ / été */
    CHECK(sh_memieq("\xd0\x9f\xd0\xa0\xd0\x98", 6, "\xd0\xbf\xd1\x80\xd0\xb8", 6)); /* ПРИ / при */
    CHECK(!sh_memieq("abc", 3, "abd", 3));
    CHECK(sh_memieq("\xd3\x81", 2, "\xd3\x82", 2));   /* U+04C1 / U+04C2 */
    CHECK(sh_memieq("\xd3\x80", 2, "\xd3\x8f", 2));   /* U+04C0 / U+04CF */
    CHECK(sh_memieq("\xd1\xa0", 2, "\xd1\xa1", 2));   /* U+0460 / U+0461 */
    CHECK(!sh_memieq("\xd3\x82", 2, "\xd3\x83", 2));
    CHECK(!sh_memieq("abc", 3, "ab", 2));
    char out[32];
    size_t n = sh_utf8_lower("\xce\x91\xce\x92 X", 6, out);
    out[n] = 0;
    CHECK_STR(out, "\xce\xb1\xce\xb2 x");
}

/* ------------------------------------------------------------ jansson */

static void flatten(json_t *v, sh_buf *path, sh_buf *out, bool in_array) {
    size_t saved = path->len;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c) {
            path->len = saved;
            if (saved) sh_buf_putc(path, '.');
            sh_buf_puts(path, k);
            flatten(c, path, out, false);
        }
        path->len = saved;
        return;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) flatten(c, path, out, true);
        return;
    }
    sh_buf_put(out, path->data, path->len);
    sh_buf_putc(out, '=');
    if (json_is_string(v)) sh_buf_json_str(out, json_string_value(v), json_string_length(v));
    else if (json_is_integer(v)) sh_buf_printf(out, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) sh_buf_printf(out, "%.17g", json_real_value(v));
    else if (json_is_true(v)) sh_buf_puts(out, "true");
    else if (json_is_false(v)) sh_buf_puts(out, "false");
    else sh_buf_puts(out, "null");
    sh_buf_putc(out, '\n');
    (void)in_array;
}

/* our side: one line per value, field by field, in order of first value */
static int cmp_lines(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void sort_lines(sh_buf *b) {
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++) n += b->data[i] == '\n';
    char **lines = calloc(n + 1, sizeof *lines);
    char *p = (char *)sh_buf_cstr(b);
    size_t k = 0;
    for (char *q = p; *q;) {
        char *nl = strchr(q, '\n');
        *nl = 0;
        lines[k++] = q;
        q = nl + 1;
    }
    qsort(lines, k, sizeof *lines, cmp_lines);
    sh_buf o = {0};
    for (size_t i = 0; i < k; i++) {
        sh_buf_puts(&o, lines[i]);
        sh_buf_putc(&o, '\n');
    }
    free(lines);
    sh_buf_free(b);
    *b = o;
}

static void ours_flat(sh_event *e, sh_buf *out) {
    for (uint32_t i = 0; i < e->nfields; i++) {
        sh_field *f = e->fields[i];
        for (uint32_t k = 0; k < f->nvals; k++) {
            sh_buf_put(out, f->name, f->nlen);
            sh_buf_putc(out, '=');
            sh_value *v = &f->vals[k];
            if (v->type == SH_STR) sh_buf_json_str(out, v->s, v->len);
            else if (v->type == SH_INT) sh_buf_printf(out, "%lld", (long long)v->i);
            else if (v->type == SH_FLOAT) sh_buf_printf(out, "%.17g", v->f);
            else if (v->type == SH_BOOL) sh_buf_puts(out, v->b ? "true" : "false");
            else sh_buf_puts(out, "null");
            sh_buf_putc(out, '\n');
        }
    }
}

static int g_diff_docs, g_diff_bad;

static void differential(const char *text, size_t len, const char *where) {
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    sh_event *e = sh_event_new();
    sh_diag d;
    sh_json_opts o = {.keep_raw = false, .unwrap = false};
    bool ok = sh_json_parse_event(text, len, e, &o, &d);
    g_diff_docs++;
    if (!j || !json_is_object(j)) {
        if (ok && (!j || json_is_object(j))) {
            g_diff_bad++;
            FAILF("%s: jansson rejects (%s) but shrike accepts", where, je.text);
        }
    } else if (!ok) {
        g_diff_bad++;
        FAILF("%s: shrike rejects (%s) but jansson accepts", where, d.msg);
    } else {
        sh_buf a = {0}, b = {0}, path = {0};
        flatten(j, &path, &a, false);
        ours_flat(e, &b);
        sort_lines(&a);
        sort_lines(&b);
        if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0)) {
            g_diff_bad++;
            FAILF("%s: values differ from jansson", where);
        }
        sh_buf_free(&a);
        sh_buf_free(&b);
        sh_buf_free(&path);
    }
    if (j) json_decref(j);
    sh_event_unref(e);
}

TEST(differential_handwritten) {
    static const char *docs[] = {
        "{}", "{\"a\":{}}", "{\"a\":[[1,2],[3]]}", "{\"a\":1e3,\"b\":-0.5E-2,\"c\":123456789012345}",
        "{\"a\":\"\\u0041\\u00df\\u4e2d\"}", "{\"a\":[null,true,false]}", "{\"a\" : \"x\" , \"b\":\n[ 1 ]}",
        "{\"a\":1,,}", "{\"a\":[1,]}", "{\"a\":.5}", "{\"a\":\"\\x\"}", "{\"a\":NaN}", "{\"a\":1 \"b\":2}",
        "{\"a.b\":1,\"a\":{\"c\":2}}", "{\"x\":\"\xe2\x82\xac\"}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":[{}]}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) differential(docs[i], strlen(docs[i]), docs[i]);
}

typedef struct diff_ctx { int files; } diff_ctx;

static void diff_file(const char *path) {
    size_t len;
    sh_diag d;
    char *text = sh_read_file(path, &len, &d);
    if (!text) return;
    /* NDJSON: every line a document; otherwise the documents the file holds */
    size_t off = 0;
    long lines;
    while (off < len) {
        while (off < len && (text[off] == ' ' || text[off] == '\n' || text[off] == '\r' || text[off] == '\t' ||
                             text[off] == ',' || text[off] == '['))
            off++;
        if (off >= len || text[off] != '{') break;
        size_t span = sh_json_value_span(text + off, len - off, &lines);
        if (!span) break;
        char where[512];
        snprintf(where, sizeof where, "%s@%zu", path, off);
        differential(text + off, span, where);
        off += span;
    }
    free(text);
}

TEST(differential_shared_data) {
    static const char *files[] = {
        "../shared/data/eql/elasticsearch-qa/test_data.json",
        "../shared/data/eql/elasticsearch-qa/data/extra.data",
        "../shared/data/eql/elasticsearch-qa/data/sample1.data",
        "../shared/data/ecs/elastic-golden/elastic-beats/x-pack/winlogbeat/module/sysmon/test/testdata/ingest/sysmon-9.01.golden.json",
    };
    FILE *probe = fopen(files[0], "r");
    if (!probe) {
        printf("test_json: ../shared/data not found, differential on shared data skipped\n");
        return;
    }
    fclose(probe);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) diff_file(files[i]);
    printf("test_json: differential vs jansson: %d documents, %d disagreements\n", g_diff_docs, g_diff_bad);
}

/* The JSON string writer and the lower-caser work on 16 and 8 bytes at a
 * time: on strings of every length up to 70, with bytes to escape or fold
 * at every position, they must give what a byte at a time gives. */
static void json_str_ref(sh_buf *b, const unsigned char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    sh_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '"') sh_buf_put(b, "\\\"", 2);
        else if (c == '\\') sh_buf_put(b, "\\\\", 2);
        else if (c == '\n') sh_buf_put(b, "\\n", 2);
        else if (c == '\r') sh_buf_put(b, "\\r", 2);
        else if (c == '\t') sh_buf_put(b, "\\t", 2);
        else if (c < 0x20 || c == 0x7f) {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sh_buf_put(b, u, 6);
        } else sh_buf_putc(b, (char)c);
    }
    sh_buf_putc(b, '"');
}

TEST(wide_string_steps) {
    static const unsigned char alpha[] = {'a', 'Z', 'q', '0', ' ', '\\', '"', '\n', '\t', 0x01, 0x1f, 0x20,
                                          0x7f, 0x80, 0xc3, 0x89, 0xd0, 0x9f, 0xff, '~', 'M', '/'};
    uint32_t seed = 12345;
    unsigned char s[80];
    char lo[200], lo_ref[200];
    int bad = 0;
    for (size_t n = 0; n <= 70; n++) {
        for (int round = 0; round < 200; round++) {
            /* mostly plain text with a few special bytes */
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                uint32_t r = (seed >> 16) % 100, pick = (seed >> 8) % (uint32_t)sizeof alpha;
                s[i] = r < 85 ? (unsigned char)("abcdefghijklmnopQRSTUVWXYZ:-_."[r % 30]) : alpha[pick];
            }
            sh_buf a = {0}, b = {0};
            sh_buf_json_str(&a, (const char *)s, n);
            json_str_ref(&b, s, n);
            if (a.len != b.len || memcmp(a.data, b.data, a.len)) bad++;
            sh_buf_free(&a);
            sh_buf_free(&b);
            /* lower-casing: ASCII byte by byte, other runs on their own */
            size_t k = sh_utf8_lower((const char *)s, n, lo), kr = 0;
            for (size_t i = 0; i < n;) {
                if (s[i] < 0x80) {
                    lo_ref[kr++] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
                    i++;
                    continue;
                }
                size_t j = i;
                while (j < n && s[j] >= 0x80) j++;
                kr += sh_utf8_lower((const char *)s + i, j - i, lo_ref + kr);
                i = j;
            }
            if (k != kr || memcmp(lo, lo_ref, k)) bad++;
        }
    }
    CHECK_INT(bad, 0);
}

int main(void) {
    RUN(flattens_nested_objects);
    RUN(arrays_are_multi_valued);
    RUN(string_escapes);
    RUN(elasticsearch_hit_is_unwrapped);
    RUN(windows_rendering_is_normalised);
    RUN(derived_fields_have_one_value_each);
    RUN(eventdata_data_lists);
    RUN(error_messages);
    RUN(deep_nesting_is_refused);
    RUN(argv_splitting);
    RUN(time_parsing);
    RUN(case_folding);
    RUN(borrowed_copy);
    RUN(wide_string_steps);
    RUN(differential_handwritten);
    RUN(differential_shared_data);
    TEST_MAIN_END();
}
