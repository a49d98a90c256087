/* alert.c: alert writers (JSONL, CSV, table). The JSONL shape is the stable
 * one scripts use: rule metadata, ATT&CK ids, time, host, user, the process
 * fields, and the matched events in order in the form `query` prints them. */
#include "output/output.h"

#include <pthread.h>
#include <string.h>

#include "event/fieldmap.h"

/* the fields an alert reports, resolved once */
enum { F_HOST, F_USER, F_EXE, F_NAME, F_CMD, F_PID, F_PEXE, F_PNAME, F_PCMD, F_N };
static const char *const g_names[F_N] = {
    "host.name", "user.name", "process.executable", "process.name", "process.command_line", "process.pid",
    "process.parent.executable", "process.parent.name", "process.parent.command_line"};
static const sh_fieldref *g_refs[F_N];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void resolve_refs(void) {
    for (int i = 0; i < F_N; i++) g_refs[i] = sh_fieldref_get(g_names[i], strlen(g_names[i]));
}

static const sh_value *first_value(sh_event *e, int which) {
    if (!e) return NULL;
    sh_field *f = sh_event_get(e, g_refs[which]);
    return (f && f->nvals) ? &f->vals[0] : NULL;
}

void sh_alert_view_of(const shrike_alert *a, sh_alert_view *v) {
    memset(v, 0, sizeof *v);
    const sh_match *m = a->match;
    sh_event *last = NULL, *first = NULL;
    for (uint32_t i = 0; i < m->nevents; i++)
        if (m->events[i]) {
            if (!first) first = m->events[i];
            last = m->events[i];
        }
    v->last = last;
    if (last) sh_format_time(last->ts, v->timestamp);
    else if (m->row && m->row->ts != SH_TS_NONE) sh_format_time(m->row->ts, v->timestamp);
    /* host and user from the first event; process fields from the last one
     * (the event that completed the match) */
    pthread_once(&g_once, resolve_refs);
    v->host = first_value(first, F_HOST);
    v->user = first_value(first, F_USER);
    v->exe = first_value(last, F_EXE);
    v->name = first_value(last, F_NAME);
    v->cmd = first_value(last, F_CMD);
    v->pid = first_value(last, F_PID);
    v->pexe = first_value(last, F_PEXE);
    v->pname = first_value(last, F_PNAME);
    v->pcmd = first_value(last, F_PCMD);
}

static void json_val(sh_buf *o, const sh_value *v) {
    if (!v || v->type == SH_NULL) sh_buf_puts(o, "null");
    else if (v->type == SH_INT || v->type == SH_FLOAT) sh_buf_put(o, v->s, v->len);
    else if (v->type == SH_BOOL) sh_buf_puts(o, v->b ? "true" : "false");
    else sh_buf_json_str(o, v->s, v->len);
}

static void json_kv(sh_buf *o, const char *k, const sh_value *v, bool *first) {
    if (!v) return;
    if (!*first) sh_buf_putc(o, ',');
    *first = false;
    sh_buf_json_str(o, k, strlen(k));
    sh_buf_putc(o, ':');
    json_val(o, v);
}

static void json_kstr(sh_buf *o, const char *k, const char *s, bool always) {
    if (!s || (!*s && !always)) return;
    sh_buf_putc(o, ',');
    sh_buf_json_str(o, k, strlen(k));
    sh_buf_putc(o, ':');
    sh_buf_json_str(o, s, strlen(s));
}

static const char *lang_name(sh_lang l) {
    return l == SH_LANG_EQL ? "eql" : l == SH_LANG_SIGMA ? "sigma" : l == SH_LANG_SPL ? "spl" : "unknown";
}

void sh_alert_jsonl(const shrike_alert *a, sh_buf *o) {
    const sh_rule *r = a->rule;
    sh_alert_view v;
    sh_alert_view_of(a, &v);
    sh_buf_puts(o, "{\"rule\":{\"id\":");
    sh_buf_json_str(o, r->id ? r->id : "", r->id ? strlen(r->id) : 0);
    json_kstr(o, "name", r->name, true);
    json_kstr(o, "language", lang_name(r->lang), true);
    json_kstr(o, "severity", r->severity, false);
    json_kstr(o, "confidence", r->confidence, false);
    if (r->risk_score >= 0) sh_buf_printf(o, ",\"risk_score\":%d", r->risk_score);
    json_kstr(o, "path", r->path, false);
    sh_buf_puts(o, "},\"techniques\":[");
    for (size_t i = 0; i < r->ntechniques; i++) {
        if (i) sh_buf_putc(o, ',');
        sh_buf_json_str(o, r->techniques[i], strlen(r->techniques[i]));
    }
    sh_buf_puts(o, "],\"timestamp\":");
    if (v.timestamp[0]) sh_buf_json_str(o, v.timestamp, strlen(v.timestamp));
    else sh_buf_puts(o, "null");
    sh_buf_puts(o, ",\"host\":");
    json_val(o, v.host);
    sh_buf_puts(o, ",\"user\":");
    json_val(o, v.user);
    sh_buf_puts(o, ",\"process\":{");
    bool first = true;
    json_kv(o, "executable", v.exe, &first);
    json_kv(o, "name", v.name, &first);
    json_kv(o, "command_line", v.cmd, &first);
    json_kv(o, "pid", v.pid, &first);
    if (v.pexe || v.pname || v.pcmd) {
        if (!first) sh_buf_putc(o, ',');
        sh_buf_puts(o, "\"parent\":{");
        bool pf = true;
        json_kv(o, "executable", v.pexe, &pf);
        json_kv(o, "name", v.pname, &pf);
        json_kv(o, "command_line", v.pcmd, &pf);
        sh_buf_putc(o, '}');
    }
    sh_buf_putc(o, '}');
    const sh_match *m = a->match;
    if (m->nkeys) {
        sh_buf_puts(o, ",\"join_keys\":[");
        for (uint32_t i = 0; i < m->nkeys; i++) {
            if (i) sh_buf_putc(o, ',');
            sh_buf_json_str(o, m->keys[i], strlen(m->keys[i]));
        }
        sh_buf_putc(o, ']');
    }
    if (m->row) {
        /* a computed result (SPL): its columns in order */
        sh_buf_puts(o, ",\"row\":");
        sh_event_to_json(m->row, o, false);
    }
    sh_buf_puts(o, ",\"events\":[");
    for (uint32_t i = 0; i < m->nevents; i++) {
        if (i) sh_buf_putc(o, ',');
        if (m->events[i]) sh_event_to_json(m->events[i], o, true);
        else sh_buf_puts(o, "null");
    }
    sh_buf_puts(o, "]}\n");
}

/* ------------------------------------------------------------ CSV */

static void csv_cell(sh_buf *o, const char *s, size_t n) {
    /* a cell a spreadsheet would run as a formula gets a leading quote */
    if (n && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) {
        sh_buf_putc(o, '"');
        sh_buf_putc(o, '\'');
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '"') sh_buf_putc(o, '"');
            sh_buf_putc(o, s[i]);
        }
        sh_buf_putc(o, '"');
        return;
    }
    bool quote = false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') { quote = true; break; }
    if (!quote) { sh_buf_put(o, s, n); return; }
    sh_buf_putc(o, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') sh_buf_putc(o, '"');
        sh_buf_putc(o, s[i]);
    }
    sh_buf_putc(o, '"');
}

static void csv_val(sh_buf *o, const sh_value *v) {
    sh_buf_putc(o, ',');
    if (v && v->type != SH_NULL) csv_cell(o, v->s, v->len);
}

static void csv_str(sh_buf *o, const char *s, bool comma) {
    if (comma) sh_buf_putc(o, ',');
    if (s) csv_cell(o, s, strlen(s));
}

void sh_alert_csv_header(sh_buf *o) {
    sh_buf_puts(o, "timestamp,rule_id,rule_name,language,severity,confidence,techniques,host,user,"
                   "process_executable,process_command_line,parent_executable,events\n");
}

void sh_alert_csv(const shrike_alert *a, sh_buf *o) {
    const sh_rule *r = a->rule;
    sh_alert_view v;
    sh_alert_view_of(a, &v);
    csv_str(o, v.timestamp, false);
    csv_str(o, r->id, true);
    csv_str(o, r->name, true);
    csv_str(o, lang_name(r->lang), true);
    csv_str(o, r->severity, true);
    csv_str(o, r->confidence, true);
    sh_buf tech = {0};
    for (size_t i = 0; i < r->ntechniques; i++) {
        if (i) sh_buf_putc(&tech, ' ');
        sh_buf_puts(&tech, r->techniques[i]);
    }
    csv_str(o, sh_buf_cstr(&tech), true);
    sh_buf_free(&tech);
    csv_val(o, v.host);
    csv_val(o, v.user);
    csv_val(o, v.exe);
    csv_val(o, v.cmd);
    csv_val(o, v.pexe);
    sh_buf_printf(o, ",%u\n", a->match->nevents);
}

/* ------------------------------------------------------------ table */

static void cell(sh_buf *o, const char *s, size_t n, size_t width) {
    size_t w = 0, i = 0;
    while (i < n && w < width) {
        unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        if (i + k > n) break;
        if (c < 0x20) sh_buf_putc(o, ' ');
        else sh_buf_put(o, s + i, k);
        i += k;
        w++;
    }
    for (; w < width; w++) sh_buf_putc(o, ' ');
    sh_buf_putc(o, ' ');
}

void sh_alert_table_header(sh_buf *o) {
    sh_buf_puts(o, "TIME                     SEVERITY RULE                                     HOST            COMMAND\n");
}

void sh_alert_table(const shrike_alert *a, sh_buf *o) {
    sh_alert_view v;
    sh_alert_view_of(a, &v);
    const sh_rule *r = a->rule;
    /* the time column shows milliseconds: YYYY-MM-DDTHH:MM:SS.mmmZ */
    char ts[40];
    snprintf(ts, sizeof ts, "%s", v.timestamp);
    if (strlen(ts) > 24) { ts[23] = 'Z'; ts[24] = 0; }
    cell(o, ts, strlen(ts), 24);
    cell(o, r->severity ? r->severity : "", r->severity ? strlen(r->severity) : 0, 8);
    cell(o, r->name ? r->name : "", r->name ? strlen(r->name) : 0, 40);
    cell(o, v.host ? v.host->s : "", v.host ? v.host->len : 0, 15);
    const sh_value *c = v.cmd ? v.cmd : v.exe;
    cell(o, c ? c->s : "", c ? c->len : 0, 80);
    o->len--;
    sh_buf_putc(o, '\n');
}
