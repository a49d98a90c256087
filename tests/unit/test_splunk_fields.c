/* test_splunk_fields.c: Splunk's view of events through the field model
 * (data/fieldmap.tsv, section "Splunk's view"; docs/splunk.md). */
#include "test.h"

#include "event/fieldmap.h"

static const char *sv(sh_event *e, const char *name) {
    const sh_fieldref *r = sh_fieldref_get_view(name, strlen(name), SH_VIEW_SPLUNK);
    sh_field *f = sh_event_get(e, r);
    return f && f->nvals ? f->vals[0].s : NULL;
}

static const char *dv(sh_event *e, const char *name) {
    sh_field *f = sh_event_get(e, sh_fieldref_get(name, strlen(name)));
    return f && f->nvals ? f->vals[0].s : NULL;
}

static sh_event *win(const char *channel, int64_t id) {
    sh_event *e = sh_event_new();
    sh_event_add_int(e, "EventID", id);
    sh_event_add_str(e, "Channel", channel, strlen(channel));
    sh_event_add_str(e, "Computer", "WS01.corp.example", 17);
    sh_event_add_str(e, "TimeCreated", "2024-05-01T10:20:30.1234567Z", 28);
    return e;
}

TEST(sysmon_process_create) {
    sh_event *e = win("Microsoft-Windows-Sysmon/Operational", 1);
    sh_event_add_str(e, "Image", "C:\\Tools\\signtool.exe", 21);
    sh_event_finish(e);
    CHECK_STR(sv(e, "EventCode"), "1");
    CHECK_STR(sv(e, "host"), "WS01.corp.example");
    CHECK_STR(sv(e, "sourcetype"), "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational");
    CHECK_STR(sv(e, "source"), "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational");
    CHECK_STR(sv(e, "index"), "wineventlog");
    CHECK_STR(sv(e, "_time"), "1714558830.123");
    CHECK_STR(sv(e, "Image"), "C:\\Tools\\signtool.exe");
    CHECK(sv(e, "NewProcessName") == NULL);
    /* _raw without the original text: the fields as JSON */
    const char *raw = sv(e, "_raw");
    CHECK(raw && strstr(raw, "\"Image\":\"C:\\\\Tools\\\\signtool.exe\"") != NULL);
    /* the default view does not see the Splunk rows */
    CHECK(dv(e, "EventCode") == NULL);
    CHECK(dv(e, "sourcetype") == NULL);
    sh_event_unref(e);
}

TEST(security_4688_no_sigma_names) {
    sh_event *e = win("Security", 4688);
    sh_event_add_str(e, "NewProcessName", "C:\\Windows\\System32\\certutil.exe", 32);
    sh_event_add_str(e, "SubjectUserName", "alice", 5);
    sh_event_add_str(e, "SubjectDomainName", "CORP", 4);
    sh_event_finish(e);
    /* Sigma's view first: it caches User = CORP\alice in the event */
    CHECK_STR(dv(e, "User"), "CORP\\alice");
    CHECK_STR(dv(e, "Image"), "C:\\Windows\\System32\\certutil.exe");
    /* Splunk extracts neither */
    CHECK(sv(e, "User") == NULL);
    CHECK(sv(e, "Image") == NULL);
    CHECK_STR(sv(e, "SubjectUserName"), "alice");
    CHECK_STR(sv(e, "sourcetype"), "WinEventLog:Security");
    CHECK_STR(sv(e, "EventCode"), "4688");
    /* and asking Splunk's view first does not change Sigma's */
    sh_event *e2 = win("Security", 4688);
    sh_event_add_str(e2, "SubjectUserName", "bob", 3);
    sh_event_add_str(e2, "SubjectDomainName", "CORP", 4);
    sh_event_finish(e2);
    CHECK(sv(e2, "User") == NULL);
    CHECK_STR(dv(e2, "User"), "CORP\\bob");
    sh_event_unref(e2);
    sh_event_unref(e);
}

TEST(winlogbeat_document) {
    sh_event *e = sh_event_new();
    sh_event_add_str(e, "@timestamp", "2024-05-01T10:20:30.500Z", 24);
    sh_event_add_str(e, "winlog.channel", "Microsoft-Windows-Sysmon/Operational", 36);
    sh_event_add_str(e, "winlog.event_id", "11", 2);
    sh_event_add_str(e, "winlog.computer_name", "WS02", 4);
    sh_event_add_str(e, "winlog.event_data.TargetFilename", "C:\\Users\\a\\Downloads\\x.pfx", 26);
    sh_event_add_str(e, "host.name", "ws02", 4);
    sh_event_finish(e);
    CHECK_STR(sv(e, "EventCode"), "11");
    CHECK_STR(sv(e, "host"), "WS02");
    CHECK_STR(sv(e, "sourcetype"), "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational");
    CHECK_STR(sv(e, "index"), "wineventlog");
    CHECK_STR(sv(e, "TargetFilename"), "C:\\Users\\a\\Downloads\\x.pfx");
    CHECK_STR(sv(e, "_time"), "1714558830.500");
    CHECK(sv(e, "Image") == NULL);
    sh_event_unref(e);
    /* the sysmon module's pipeline moved Image and User into ECS fields */
    e = sh_event_new();
    sh_event_add_str(e, "winlog.channel", "Microsoft-Windows-Sysmon/Operational", 36);
    sh_event_add_int(e, "winlog.event_id", 1);
    sh_event_add_str(e, "process.executable", "C:\\T\\signtool.exe", 17);
    sh_event_add_str(e, "user.domain", "LAB", 3);
    sh_event_add_str(e, "user.name", "jwalsh", 6);
    sh_event_finish(e);
    CHECK_STR(sv(e, "Image"), "C:\\T\\signtool.exe");
    CHECK_STR(sv(e, "User"), "LAB\\jwalsh");
    CHECK(sv(e, "NewProcessName") == NULL);
    sh_event_unref(e);
    /* and the security module's 4688 */
    e = sh_event_new();
    sh_event_add_str(e, "winlog.channel", "Security", 8);
    sh_event_add_int(e, "winlog.event_id", 4688);
    sh_event_add_str(e, "process.executable", "C:\\W\\certutil.exe", 17);
    sh_event_add_str(e, "winlog.event_data.SubjectUserName", "jwalsh", 6);
    sh_event_add_str(e, "user.name", "jwalsh", 6);
    sh_event_add_str(e, "user.domain", "LAB", 3);
    sh_event_finish(e);
    CHECK_STR(sv(e, "NewProcessName"), "C:\\W\\certutil.exe");
    CHECK_STR(sv(e, "SubjectUserName"), "jwalsh");
    CHECK(sv(e, "Image") == NULL);
    CHECK(sv(e, "User") == NULL);
    sh_event_unref(e);
}

TEST(non_windows_event) {
    sh_event *e = sh_event_new();
    sh_event_add_str(e, "message", "hello", 5);
    sh_event_finish(e);
    CHECK_STR(sv(e, "index"), "main");
    CHECK(sv(e, "sourcetype") == NULL);
    CHECK(sv(e, "_time") == NULL);
    sh_event_unref(e);
}

TEST(settings) {
    sh_diag d;
    sh_diag_clear(&d);
    CHECK_INT(sh_fieldmap_set_splunk(sh_fieldmap_default_mut(), "Bad Index", SH_SPLUNK_ST_AUTO, &d), -1);
    CHECK_STR(d.msg, "'Bad Index' is not a Splunk index name (lower-case letters, digits, '_' and '-'; not first)");
    CHECK_INT(sh_fieldmap_set_splunk(sh_fieldmap_default_mut(), "winlogs", SH_SPLUNK_ST_XML, &d), 0);
    sh_event *e = win("Security", 4688);
    sh_event_finish(e);
    CHECK_STR(sv(e, "index"), "winlogs");
    CHECK_STR(sv(e, "sourcetype"), "XmlWinEventLog:Security");
    sh_event_unref(e);
    CHECK_INT(sh_fieldmap_set_splunk(sh_fieldmap_default_mut(), NULL, SH_SPLUNK_ST_CLASSIC, &d), 0);
    e = win("Microsoft-Windows-Sysmon/Operational", 1);
    sh_event_finish(e);
    CHECK_STR(sv(e, "sourcetype"), "WinEventLog:Microsoft-Windows-Sysmon/Operational");
    CHECK_STR(sv(e, "index"), "winlogs");
    sh_event_unref(e);
}

int main(void) {
    RUN(sysmon_process_create);
    RUN(security_4688_no_sigma_names);
    RUN(winlogbeat_document);
    RUN(non_windows_event);
    RUN(settings);
    TEST_MAIN_END();
}
