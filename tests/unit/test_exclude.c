/* test_exclude.c: exclusion files (api/exclude.c): every error with its exact
 * file:line message, and the matcher: each shorthand key, wildcards and case,
 * lists, fields, rule selection, and the rule that one event must meet every
 * condition of an entry. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "input/json.h"
#include "shrike/shrike.h"

/* the error for text as "file:line: reason" ("parsed" when there is none) */
static const char *E(const char *text) {
    static char out[800];
    sh_diag d;
    shrike_exclusions *x = shrike_exclusions_parse(text, strlen(text), "x.toml", &d);
    if (x) {
        shrike_exclusions_free(x);
        return "parsed";
    }
    sh_diag_format(&d, out, sizeof out);
    return out;
}

static shrike_exclusions *X(const char *text) {
    sh_diag d;
    shrike_exclusions *x = shrike_exclusions_parse(text, strlen(text), "x.toml", &d);
    if (!x) fprintf(stderr, "unexpected error: %s:%ld: %s\n", d.file, d.line, d.msg);
    return x;
}

static sh_event *ev(const char *json) {
    sh_event *e = sh_event_new();
    sh_json_opts o = {.keep_raw = false, .unwrap = true};
    sh_diag d;
    if (!sh_json_parse_event(json, strlen(json), e, &o, &d)) {
        fprintf(stderr, "bad test JSON: %s\n", d.msg);
        sh_event_unref(e);
        return NULL;
    }
    return e;
}

/* the entry of x matching an alert of rule (id, name) on the events, -1 for none */
static long M(shrike_exclusions *x, const char *id, const char *name, sh_event **evs, uint32_t n) {
    sh_rule r = {0};
    r.id = (char *)id;
    r.name = (char *)name;
    sh_match m = {.events = evs, .nevents = n};
    shrike_alert a = {.rule = &r, .match = &m};
    return shrike_exclusions_match(x, &a);
}

static long M1(shrike_exclusions *x, const char *json) {
    sh_event *e = ev(json);
    if (!e) return -99;
    long k = M(x, "rule-1", "Rule One", &e, 1);
    sh_event_unref(e);
    return k;
}

TEST(errors) {
    CHECK_STR(E(""), "parsed");
    CHECK_STR(E("# nothing\n"), "parsed");
    CHECK_STR(E("[[exclude]]\nhots = \"A\"\n"),
              "x.toml:2: unknown key 'hots' in [[exclude]] (known: name, reason, rules, host, user, parent, path, "
              "command_line, signer, file, fields)");
    CHECK_STR(E("[[exclude]]\nname = \"a\"\n"),
              "x.toml:1: [[exclude]] entry 1 has no condition: it would suppress every alert of its rules (give "
              "host, user, parent, path, command_line, signer, file or fields)");
    CHECK_STR(E("[[exclude]]\nhost = \"A\"\n\n[[exclude]]\nrules = [\"x\"]\n"),
              "x.toml:4: [[exclude]] entry 2 has no condition: it would suppress every alert of its rules (give "
              "host, user, parent, path, command_line, signer, file or fields)");
    CHECK_STR(E("[[exclude]]\nhost = 3\n"), "x.toml:2: 'host' must be a pattern or a non-empty array of patterns");
    CHECK_STR(E("[[exclude]]\nhost = []\n"), "x.toml:2: 'host' must be a pattern or a non-empty array of patterns");
    CHECK_STR(E("[[exclude]]\nuser = [\"a\", 1]\n"),
              "x.toml:2: 'user' must be a pattern or a non-empty array of patterns");
    CHECK_STR(E("[[exclude]]\nhost = \"a\"\nrules = 5\n"),
              "x.toml:3: 'rules' must be a rule id or name, or a non-empty array of them");
    CHECK_STR(E("[[exclude]]\nhost = \"a\"\nname = [\"x\"]\n"), "x.toml:3: 'name' must be a string");
    CHECK_STR(E("[[exclude]]\nfields = \"x\"\n"), "x.toml:2: 'fields' must be a table of FIELD = pattern(s)");
    CHECK_STR(E("[[exclude]]\n[exclude.fields]\n\"process.args\" = true\n"),
              "x.toml:3: field 'process.args' must be a pattern or a non-empty array of patterns");
    CHECK_STR(E("host = \"a\"\n"), "x.toml:1: unknown key 'host' (an exclusion file holds [[exclude]] entries)");
    CHECK_STR(E("exclude = \"a\"\n"), "x.toml:1: 'exclude' must be an array of tables ([[exclude]])");
    CHECK_STR(E("exclude = [1]\n"), "x.toml:1: 'exclude' must be an array of tables ([[exclude]])");
    /* TOML syntax errors keep the reader's line and column, with the file */
    const char *msg = E("[[exclude]]\nhost = \"unterminated\n");
    CHECK(strncmp(msg, "x.toml:2:", 9) == 0);
    sh_diag d;
    CHECK(shrike_exclusions_load("/nonexistent/excl.toml", &d) == NULL);
    CHECK(strstr(d.msg, "No such file") != NULL || strstr(d.msg, "cannot") != NULL);
}

TEST(names_and_counts) {
    shrike_exclusions *x = X("[[exclude]]\nname = \"pki\"\nhost = \"a\"\n\n[[exclude]]\nuser = \"b\"\n");
    CHECK_INT(shrike_exclusions_count(x), 2);
    CHECK_STR(shrike_exclusions_name(x, 0), "pki");
    CHECK_STR(shrike_exclusions_name(x, 1), "entry 2 (line 5)");
    CHECK_STR(shrike_exclusions_file(x), "x.toml");
    CHECK_INT(shrike_exclusions_hits(x, 0), 0);
    shrike_exclusions_free(x);
}

TEST(host) {
    shrike_exclusions *x = X("[[exclude]]\nhost = \"PKI-ADMIN-*\"\n");
    CHECK_INT(M1(x, "{\"host\":{\"name\":\"pki-admin-02\"}}"), 0);
    /* a pattern without a dot also meets the first label of a qualified name */
    CHECK_INT(M1(x, "{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\","
                    "\"Computer\":\"PKI-ADMIN-02.corp.example\"}"), 0);
    CHECK_INT(M1(x, "{\"host\":{\"name\":\"WKS-01\"}}"), -1);
    CHECK_INT(M1(x, "{\"user\":{\"name\":\"x\"}}"), -1); /* no host at all */
    shrike_exclusions_free(x);
    x = X("[[exclude]]\nhost = \"pki-admin-02.corp.example\"\n");
    CHECK_INT(M1(x, "{\"host\":{\"name\":\"PKI-ADMIN-02.CORP.EXAMPLE\"}}"), 0);
    CHECK_INT(M1(x, "{\"host\":{\"name\":\"PKI-ADMIN-02\"}}"), -1);
    shrike_exclusions_free(x);
}

TEST(user) {
    shrike_exclusions *x = X("[[exclude]]\nuser = 'CORP\\pkiadmin'\n");
    CHECK_INT(M1(x, "{\"user\":{\"name\":\"PKIADMIN\",\"domain\":\"corp\"}}"), 0);
    CHECK_INT(M1(x, "{\"user\":{\"name\":\"pkiadmin\",\"domain\":\"LAB\"}}"), -1);
    CHECK_INT(M1(x, "{\"user\":{\"name\":\"pkiadmin\"}}"), -1); /* no domain: a qualified pattern cannot hold */
    /* Sysmon's User, Security's Subject fields */
    CHECK_INT(M1(x, "{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Computer\":\"h\","
                    "\"User\":\"CORP\\\\pkiadmin\"}"), 0);
    CHECK_INT(M1(x, "{\"EventID\":4688,\"Channel\":\"Security\",\"Computer\":\"h\",\"SubjectUserName\":\"pkiadmin\","
                    "\"SubjectDomainName\":\"CORP\",\"TargetUserName\":\"-\"}"), 0);
    shrike_exclusions_free(x);
    x = X("[[exclude]]\nuser = \"svc_*\"\n");
    CHECK_INT(M1(x, "{\"user\":{\"name\":\"svc_build\",\"domain\":\"CORP\"}}"), 0);
    CHECK_INT(M1(x, "{\"user\":{\"name\":\"jwalsh\",\"domain\":\"CORP\"}}"), -1);
    shrike_exclusions_free(x);
}

TEST(parent_path_file) {
    shrike_exclusions *x = X("[[exclude]]\nparent = \"Agent.Worker.exe\"\n");
    CHECK_INT(M1(x, "{\"process\":{\"parent\":{\"executable\":\"C:\\\\agent\\\\bin\\\\Agent.Worker.exe\"}}}"), 0);
    CHECK_INT(M1(x, "{\"process\":{\"parent\":{\"executable\":\"C:\\\\Windows\\\\cmd.exe\"}}}"), -1);
    shrike_exclusions_free(x);
    /* a pattern with a separator is compared with the whole path */
    x = X("[[exclude]]\npath = 'C:\\Windows\\System32\\*'\n");
    CHECK_INT(M1(x, "{\"process\":{\"executable\":\"c:\\\\windows\\\\system32\\\\certutil.exe\"}}"), 0);
    CHECK_INT(M1(x, "{\"process\":{\"executable\":\"C:\\\\Users\\\\Public\\\\certutil.exe\"}}"), -1);
    shrike_exclusions_free(x);
    x = X("[[exclude]]\npath = \"/usr/bin/codesign\"\nparent = \"*/ruby\"\n");
    CHECK_INT(M1(x, "{\"process\":{\"executable\":\"/usr/bin/codesign\",\"parent\":{\"executable\":\"/opt/x/bin/ruby\"}}}"), 0);
    CHECK_INT(M1(x, "{\"process\":{\"executable\":\"/usr/bin/codesign\",\"parent\":{\"executable\":\"/bin/zsh\"}}}"), -1);
    shrike_exclusions_free(x);
    x = X("[[exclude]]\nfile = \"*.pfx\"\n");
    CHECK_INT(M1(x, "{\"file\":{\"path\":\"C:\\\\t\\\\a.PFX\"}}"), 0);
    CHECK_INT(M1(x, "{\"file\":{\"path\":\"C:\\\\t\\\\a.cer\"}}"), -1);
    shrike_exclusions_free(x);
}

TEST(command_line_and_signer) {
    shrike_exclusions *x = X("[[exclude]]\ncommand_line = [\"* -store\", \"* -store *\"]\n");
    CHECK_INT(M1(x, "{\"process\":{\"command_line\":\"certutil  -store root \"}}"), 0);
    CHECK_INT(M1(x, "{\"process\":{\"command_line\":\"certutil -store\"}}"), 0);
    CHECK_INT(M1(x, "{\"process\":{\"command_line\":\"certutil -addstore root x.cer\"}}"), -1);
    shrike_exclusions_free(x);
    x = X("[[exclude]]\nsigner = [\"Microsoft Windows\", \"7XK2Q9ABCD\"]\n");
    CHECK_INT(M1(x, "{\"process\":{\"code_signature\":{\"subject_name\":\"microsoft windows\"}}}"), 0);
    CHECK_INT(M1(x, "{\"process\":{\"code_signature\":{\"team_id\":\"7XK2Q9ABCD\"}}}"), 0);
    CHECK_INT(M1(x, "{\"process\":{\"code_signature\":{\"subject_name\":\"Contoso\"}}}"), -1);
    shrike_exclusions_free(x);
}

TEST(fields_and_wildcards) {
    shrike_exclusions *x = X("[[exclude]]\n[exclude.fields]\n\"process.args\" = \"/tr\"\n\"event.code\" = \"1\"\n");
    /* any value of a multi-valued field; every field must hold */
    CHECK_INT(M1(x, "{\"event\":{\"code\":\"1\"},\"process\":{\"args\":[\"signtool.exe\",\"sign\",\"/TR\",\"http://t\"]}}"), 0);
    CHECK_INT(M1(x, "{\"event\":{\"code\":\"1\"},\"process\":{\"args\":[\"signtool.exe\",\"sign\",\"/trx\"]}}"), -1);
    CHECK_INT(M1(x, "{\"event\":{\"code\":\"4688\"},\"process\":{\"args\":[\"signtool.exe\",\"/tr\"]}}"), -1);
    shrike_exclusions_free(x);
    x = X("[[exclude]]\nhost = \"h?st-*\"\n");
    CHECK_INT(M1(x, "{\"host\":{\"name\":\"HOST-1\"}}"), 0);
    CHECK_INT(M1(x, "{\"host\":{\"name\":\"hst-1\"}}"), -1);
    shrike_exclusions_free(x);
    /* numbers compare by their text */
    x = X("[[exclude]]\n[exclude.fields]\n\"user.id\" = \"50?\"\n");
    CHECK_INT(M1(x, "{\"user\":{\"id\":501}}"), 0);
    shrike_exclusions_free(x);
}

TEST(rules_selection) {
    shrike_exclusions *x = X("[[exclude]]\nrules = [\"3c61745c-*\", \"Detect Code Signing*\"]\nhost = \"a\"\n"
                             "[[exclude]]\nrules = \"other\"\nhost = \"a\"\n");
    sh_event *e = ev("{\"host\":{\"name\":\"a\"}}");
    CHECK_INT(M(x, "3C61745C-61a8-5572-942c-0a3408dacc18", "x", &e, 1), 0);
    CHECK_INT(M(x, "8140c134", "Detect Code Signing Certificates (command line)", &e, 1), 0);
    CHECK_INT(M(x, "8140c134", "Ad-Hoc Code Signing", &e, 1), -1);
    CHECK_INT(M(x, "OTHER", "", &e, 1), 1);
    sh_event_unref(e);
    shrike_exclusions_free(x);
}

TEST(one_event_meets_all) {
    shrike_exclusions *x = X("[[exclude]]\nhost = \"a\"\nuser = \"u\"\n");
    sh_event *evs[2] = {ev("{\"host\":{\"name\":\"a\"},\"user\":{\"name\":\"v\"}}"),
                        ev("{\"host\":{\"name\":\"b\"},\"user\":{\"name\":\"u\"}}")};
    /* each condition holds on one event of the sequence, never both on one */
    CHECK_INT(M(x, "r", "r", evs, 2), -1);
    sh_event_unref(evs[1]);
    evs[1] = ev("{\"host\":{\"name\":\"a\"},\"user\":{\"name\":\"U\"}}");
    CHECK_INT(M(x, "r", "r", evs, 2), 0);
    /* a missing event (NULL: EQL's missing-event placeholder) is skipped */
    sh_event *withnull[2] = {NULL, evs[1]};
    CHECK_INT(M(x, "r", "r", withnull, 2), 0);
    sh_event_unref(evs[0]);
    sh_event_unref(evs[1]);
    shrike_exclusions_free(x);
}

TEST(load_file) {
    char path[] = "/tmp/shrike-excl-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *text = "[[exclude]]\nname = \"n\"\nhost = \"a\"\nbogus = 1\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    sh_diag d;
    CHECK(shrike_exclusions_load(path, &d) == NULL);
    char msg[800], want[800];
    sh_diag_format(&d, msg, sizeof msg);
    snprintf(want, sizeof want, "%s:4: unknown key 'bogus' in [[exclude]] (known: name, reason, rules, host, user, "
             "parent, path, command_line, signer, file, fields)", path);
    CHECK_STR(msg, want);
    unlink(path);
}

int main(void) {
    RUN(errors);
    RUN(names_and_counts);
    RUN(host);
    RUN(user);
    RUN(parent_path_file);
    RUN(command_line_and_signer);
    RUN(fields_and_wildcards);
    RUN(rules_selection);
    RUN(one_event_meets_all);
    RUN(load_file);
    TEST_MAIN_END();
}
