/* xml.c: the Windows event XML reader (see xml.h, docs/xml.md).
 *
 * The input is split into events here, and each event is parsed by expat as
 * a document of its own:
 *  - between events a small scanner skips whitespace, the XML declaration,
 *    processing instructions, comments and any wrapper element's tags, and
 *    reports other text; a DOCTYPE is reported and skipped, never parsed;
 *  - at "<Event" the parser is reset and fed from there; the handler of the
 *    closing </Event> stops it, and the scanner resumes right after it;
 *  - on an error the event is reported with expat's reason at its line and
 *    column, and the scanner resumes at the next "<Event" after the error.
 *    An <Event> that is never closed is cut where the next one starts (an
 *    <Event> start tag inside an event that carries the event namespace or
 *    opens a line), so one missing end tag costs one event.
 * Fields are added when an element ends: its text (accumulated in a buffer
 * shared by the open elements, since expat hands text over in pieces), then
 * its attributes, as the EVTX reader orders them. */
#include "input/xml.h"

#include <expat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event/fieldmap.h"

#define EVENT_NS "http://schemas.microsoft.com/win/2004/08/events/event"

/* how an element's text, attributes and children are named */
enum {
    K_EVENT,      /* <Event>: attributes dropped */
    K_SYSTEM,     /* <System>: children by their own names */
    K_EVENTDATA,  /* <EventData>: <Data Name="X"> is X, unnamed <Data> is Data */
    K_USERDATA,   /* <UserData>: its child (the wrapper) is dropped */
    K_WRAPPER,    /* the wrapper under <UserData>: attributes dropped */
    K_FIELD,      /* text is the field `base`, attributes base_Attr, children base.Child */
    K_DATA        /* <Data> under <EventData>: text is the field `base` (Name or "Data") */
};

enum { ST_SCAN, ST_EVENT, ST_SKIP };
enum { R_NONE, R_DONE, R_CUT, R_LIMIT };

typedef struct xel {
    uint32_t base_off, base_len;  /* the element's field name: names[base_off .. +base_len) */
    uint32_t text_off;            /* its text: text[text_off .. len) */
    uint32_t attr_off;            /* its attributes: attrs[attr_off .. len), name\0value\0 pairs */
    uint8_t kind;
    bool sys;                     /* inside <System> */
    bool has_child;
    bool has_attr;                /* attributes that became fields */
    bool ws_only;                 /* structural element: its text so far is whitespace */
    bool unnamed;                 /* <Data> without a Name: a value of the list "Data" */
} xel;

struct sh_xml_reader {
    const char *name;
    const sh_input_opts *o;
    sh_input_sink *sink;
    sh_input_stats *st;
    XML_Parser p;
    unsigned long salt;

    /* input not yet done with: buf[0 .. len) holds input offsets base .. base+len */
    char *buf;
    size_t len, cap;
    int64_t base;
    int64_t pos;                  /* scanner position */

    /* lines: the newlines before lc_pos are counted; lc_bol is the offset of
     * the first byte of line lc_line (negative when the input did not start
     * at column 1) */
    int64_t lc_pos, lc_bol;
    long lc_line;

    int state;
    bool eof, stopped;

    /* the event being parsed */
    int64_t ev;                   /* offset of its '<' */
    int64_t fed;                  /* bytes up to this offset were given to expat */
    long ev_line;
    int result;                   /* R_*: set by the handlers */
    int64_t res_at;               /* R_DONE: end of </Event>; R_CUT, R_LIMIT: where */
    sh_event *e;
    xel *stk;
    int depth, stkcap;
    sh_buf names, text, attrs, tmp;
    size_t hint;                  /* size of the last event, to size the next one's arena */

    /* UTF-16 input (a byte order mark at the start) is turned into UTF-8 */
    int enc;                      /* 0 undecided, 1 UTF-8, 2 UTF-16LE, 3 UTF-16BE */
    unsigned char pend[4];
    int npend;
    uint32_t hi;                  /* pending high surrogate */
    const char *xenc;             /* single-byte encoding an XML declaration names, or NULL (UTF-8) */
};

/* ------------------------------------------------------------ helpers */

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static bool all_ws(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!is_ws(s[i])) return false;
    return true;
}

static bool streq(const char *s, size_t n, const char *lit) {
    size_t k = strlen(lit);
    return n == k && memcmp(s, lit, k) == 0;
}

/* the name without its namespace prefix (the whole name if that leaves nothing) */
static const char *local_name(const char *name) {
    const char *c = strrchr(name, ':');
    return c && c[1] ? c + 1 : name;
}

static char *at(sh_xml_reader *x, int64_t off) { return x->buf + (off - x->base); }

/* line and column (1-based, bytes) of input offset off. Newlines are counted
 * once, forwards: callers ask about offsets in increasing order (the start of
 * an event, then a place inside it, ...) and never about dropped bytes. */
static void where(sh_xml_reader *x, int64_t off, long *line, long *col) {
    if (off > x->lc_pos) {
        const char *p = at(x, x->lc_pos), *end = at(x, off);
        while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            x->lc_line++;
            p++;
            x->lc_bol = x->base + (p - x->buf);
        }
        x->lc_pos = off;
    }
    *line = x->lc_line;
    *col = (long)(off - x->lc_bol) + 1;
    if (*col < 1) *col = 1;
}

static void report_at(sh_xml_reader *x, int64_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report_at(sh_xml_reader *x, int64_t off, const char *fmt, ...) {
    long line, col;
    where(x, off, &line, &col);
    sh_diag d;
    sh_diag_clear(&d);
    va_list ap;
    va_start(ap, fmt);
    sh_diag_vset(&d, x->name, line, col, fmt, ap);
    va_end(ap);
    d.offset = off;
    if (x->sink->on_error) x->sink->on_error(x->sink->ctx, &d);
}

/* decimal integer, surrounding whitespace allowed; *canon tells whether the
 * digits are its canonical text (no sign but '-', no leading zero) */
static bool parse_int(const char **sp, size_t *np, int64_t *out, bool *canon) {
    const char *s = *sp;
    size_t n = *np;
    while (n && is_ws(*s)) s++, n--;
    while (n && is_ws(s[n - 1])) n--;
    *sp = s, *np = n;
    bool neg = false;
    *canon = true;
    if (n && (*s == '-' || *s == '+')) { neg = *s == '-'; *canon = neg; s++, n--; }
    if (!n || n > 19) return false;
    if (n > 1 && *s == '0') *canon = false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX) return false;
    if (neg && v == 0) *canon = false;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/* System values that are numbers in the schema (as the EVTX reader types them) */
static bool is_num_name(const char *s, size_t n) {
    static const char *const names[] = {"EventID", "Version", "Level", "Task", "Opcode", "EventRecordID",
                                        "EventID_Qualifiers", "Execution_ProcessID", "Execution_ThreadID",
                                        "Execution_ProcessorID", "Execution_SessionID", "Execution_KernelTime",
                                        "Execution_UserTime", "Execution_ProcessorTime", NULL};
    if (n < 4 || n > 23 || !strchr("EVLTO", s[0])) return false;
    for (const char *const *p = names; *p; p++)
        if ((*p)[0] == s[0] && streq(s, n, *p)) return true;
    return false;
}

static sh_field *add_field(sh_xml_reader *x, const char *name, size_t nlen, const char *s, size_t n, bool sys) {
    sh_event *e = x->e;
    sh_field *f = sh_event_field_get_or_add(e, name, nlen, NULL);
    int64_t i;
    bool canon;
    const char *t = s;
    size_t tn = n;
    sh_value v;
    if (sys && is_num_name(name, nlen) && parse_int(&t, &tn, &i, &canon)) {
        if (canon) v = (sh_value){.type = SH_INT, .i = i, .f = (double)i, .s = sh_arena_strndup(&e->arena, t, tn), .len = (uint32_t)tn};
        else v = sh_value_int(&e->arena, i);
    } else {
        v = sh_value_str(sh_arena_strndup(&e->arena, s, n), n);
    }
    sh_event_add_value(e, f, &v);
    return f;
}

/* ------------------------------------------------------------ expat handlers */

static void stop(sh_xml_reader *x, int result, int64_t where_) {
    if (x->result != R_NONE) return;
    x->result = result;
    x->res_at = where_;
    XML_StopParser(x->p, XML_FALSE);
}

static void on_start(void *ud, const XML_Char *qname, const XML_Char **atts) {
    sh_xml_reader *x = ud;
    if (x->result != R_NONE) return;
    const char *nm = local_name(qname);
    size_t nl = strlen(nm);
    if (x->depth > 0 && streq(nm, nl, "Event")) {
        /* an <Event> inside an event: the open one lacks its end tag when this
         * one carries the event namespace or opens a line */
        int64_t here = x->ev + XML_GetCurrentByteIndex(x->p);
        const char *b = at(x, here), *first = at(x, x->ev);
        while (b > first && (b[-1] == ' ' || b[-1] == '\t')) b--;
        bool cut = b > first && b[-1] == '\n';
        for (const XML_Char **a = atts; !cut && a[0]; a += 2)
            cut = strncmp(a[0], "xmlns", 5) == 0 && strcmp(a[1], EVENT_NS) == 0;
        if (cut) { stop(x, R_CUT, here); return; }
    }
    if (x->depth >= SH_XML_MAX_DEPTH) {
        stop(x, R_LIMIT, x->ev + XML_GetCurrentByteIndex(x->p));
        return;
    }
    if (x->depth == x->stkcap) {
        x->stkcap = x->stkcap ? x->stkcap * 2 : 32;
        x->stk = realloc(x->stk, (size_t)x->stkcap * sizeof *x->stk);
        if (!x->stk) abort();
    }
    xel *pa = x->depth ? &x->stk[x->depth - 1] : NULL;
    xel *c = &x->stk[x->depth++];
    memset(c, 0, sizeof *c);
    c->base_off = (uint32_t)x->names.len;
    c->text_off = (uint32_t)x->text.len;
    c->attr_off = (uint32_t)x->attrs.len;
    c->ws_only = true;
    if (pa) {
        pa->has_child = true;
        c->sys = pa->sys;
    }
    uint32_t pblen = pa ? pa->base_len : 0;
    sh_buf_reserve(&x->names, pblen + nl + 2);   /* pbase stays valid */
    const char *pbase = pa ? x->names.data + pa->base_off : NULL;
    bool named = false;   /* base set below */
    switch (pa ? pa->kind : -1) {
    case -1: c->kind = K_EVENT; break;
    case K_EVENT:
        if (streq(nm, nl, "System")) c->kind = K_SYSTEM, c->sys = true;
        else if (streq(nm, nl, "EventData")) c->kind = K_EVENTDATA;
        else if (streq(nm, nl, "UserData")) c->kind = K_USERDATA;
        else c->kind = K_FIELD;   /* RenderingInfo, ProcessingErrorData, ... */
        break;
    case K_USERDATA: c->kind = K_WRAPPER; break;
    case K_EVENTDATA:
        if (streq(nm, nl, "Data")) {
            c->kind = K_DATA;
            const char *dn = NULL;
            for (const XML_Char **a = atts; a[0]; a += 2)
                if (strcmp(local_name(a[0]), "Name") == 0) dn = a[1];
            if (dn && *dn) sh_buf_puts(&x->names, dn);
            else sh_buf_put(&x->names, "Data", 4), c->unnamed = true;
            named = true;
            break;
        }
        c->kind = K_FIELD;   /* <Binary>, ... */
        break;
    case K_SYSTEM:
    case K_WRAPPER: c->kind = K_FIELD; break;
    default: /* K_FIELD, K_DATA: nested names are dotted; a RenderingInfo
              * <Keywords>' <Keyword> children are its values */
        c->kind = K_FIELD;
        sh_buf_put(&x->names, pbase, pblen);
        if (!(streq(nm, nl, "Keyword") && pblen == 22 && memcmp(pbase, "RenderingInfo.Keywords", 22) == 0)) {
            sh_buf_putc(&x->names, '.');
            sh_buf_put(&x->names, nm, nl);
        }
        named = true;
        break;
    }
    if (!named) sh_buf_put(&x->names, nm, nl);
    c->base_len = (uint32_t)(x->names.len - c->base_off);
    /* attributes wait for the end of the element (its text comes first) */
    if (c->kind == K_EVENT || c->kind == K_WRAPPER) return;
    for (const XML_Char **a = atts; a[0]; a += 2) {
        if (strncmp(a[0], "xmlns", 5) == 0 && (a[0][5] == 0 || a[0][5] == ':')) continue;
        const char *an = local_name(a[0]);
        if (c->kind == K_DATA) continue;   /* Name names the field */
        sh_buf_puts(&x->attrs, an);
        sh_buf_putc(&x->attrs, 0);
        sh_buf_puts(&x->attrs, a[1]);
        sh_buf_putc(&x->attrs, 0);
        c->has_attr = true;
    }
}

static void on_text(void *ud, const XML_Char *s, int len) {
    sh_xml_reader *x = ud;
    if (x->result != R_NONE || !x->depth) return;
    if (len == 1 && *s == '\n') {
        /* expat turns a line end into "\n" and hands it over alone: keep the
         * one the input has (CRLF, CR), as the EVTX record and Splunk's _raw
         * have it, rather than XML's normalised LF */
        int64_t off = x->ev + XML_GetCurrentByteIndex(x->p), end = x->base + (int64_t)x->len;
        if (off >= x->base && off < end && *at(x, off) == '\r') {
            bool crlf = off + 1 < end && at(x, off)[1] == '\n';
            s = crlf ? "\r\n" : "\r";
            len = crlf ? 2 : 1;
        }
    }
    xel *c = &x->stk[x->depth - 1];
    if (c->kind != K_FIELD && c->kind != K_DATA) {
        /* structure: its text is kept only when it is not whitespace */
        if (c->ws_only && all_ws(s, (size_t)len)) return;
        c->ws_only = false;
    }
    sh_buf_put(&x->text, s, (size_t)len);
}

static void on_end(void *ud, const XML_Char *qname) {
    (void)qname;
    sh_xml_reader *x = ud;
    if (x->result != R_NONE || !x->depth) return;
    xel *c = &x->stk[x->depth - 1];
    const char *base = x->names.data + c->base_off;
    const char *txt = x->text.data ? x->text.data + c->text_off : "";
    size_t tlen = x->text.len - c->text_off;
    switch (c->kind) {
    case K_DATA:
        if (!c->has_child || !all_ws(txt, tlen)) {
            sh_field *f = add_field(x, base, c->base_len, txt, tlen, false);
            if (c->unnamed) f->is_array = true;   /* the same shape for one value as for several */
        }
        break;
    case K_FIELD:
        if (c->has_child ? !all_ws(txt, tlen) : (tlen || (!c->sys && !c->has_attr)))
            add_field(x, base, c->base_len, txt, tlen, c->sys);
        break;
    default:
        if (!c->ws_only && !all_ws(txt, tlen)) add_field(x, base, c->base_len, txt, tlen, false);
        break;
    }
    if (c->has_attr) {
        const char *a = x->attrs.data + c->attr_off, *end = x->attrs.data + x->attrs.len;
        while (a < end) {
            size_t anl = strlen(a);
            const char *v = a + anl + 1;
            size_t vl = strlen(v);
            if (c->sys && c->base_len == 11 && memcmp(base, "TimeCreated", 11) == 0 && streq(a, anl, "SystemTime")) {
                add_field(x, base, c->base_len, v, vl, true);
            } else {
                sh_buf_clear(&x->tmp);
                sh_buf_put(&x->tmp, base, c->base_len);
                sh_buf_putc(&x->tmp, '_');
                sh_buf_put(&x->tmp, a, anl);
                add_field(x, x->tmp.data, x->tmp.len, v, vl, c->sys);
            }
            a = v + vl + 1;
        }
    }
    x->names.len = c->base_off;
    x->text.len = c->text_off;
    x->attrs.len = c->attr_off;
    if (--x->depth == 0) stop(x, R_DONE, x->ev + XML_GetCurrentByteIndex(x->p) + XML_GetCurrentByteCount(x->p));
}

/* never reached (a DOCTYPE never gets to expat), kept as a second lock */
static void on_entity_decl(void *ud, const XML_Char *n, int pe, const XML_Char *v, int vl, const XML_Char *b,
                           const XML_Char *sid, const XML_Char *pid, const XML_Char *nn) {
    (void)n, (void)pe, (void)v, (void)vl, (void)b, (void)sid, (void)pid, (void)nn;
    sh_xml_reader *x = ud;
    stop(x, R_LIMIT, x->ev + XML_GetCurrentByteIndex(x->p));
}

/* ------------------------------------------------------------ events */

static void event_begin(sh_xml_reader *x) {
    XML_ParserReset(x->p, x->xenc ? x->xenc : "UTF-8");
    XML_SetUserData(x->p, x);
    XML_SetElementHandler(x->p, on_start, on_end);
    XML_SetCharacterDataHandler(x->p, on_text);
    XML_SetEntityDeclHandler(x->p, on_entity_decl);
    XML_SetParamEntityParsing(x->p, XML_PARAM_ENTITY_PARSING_NEVER);
    XML_SetHashSalt(x->p, x->salt);
    size_t hint = x->hint < (1u << 20) ? x->hint : (1u << 20);   /* the arena grows past it when needed */
    x->e = sh_event_new_sized(hint * (x->o && x->o->keep_raw ? 3 : 2) + 1024);
    x->depth = 0;
    x->names.len = x->text.len = x->attrs.len = 0;
    x->result = R_NONE;
    x->fed = x->ev;
    long col;
    where(x, x->ev, &x->ev_line, &col);
}

static void event_drop(sh_xml_reader *x) {
    sh_event_unref(x->e);
    x->e = NULL;
    x->st->rejected++;
}

static void event_deliver(sh_xml_reader *x, int64_t end) {
    sh_event *e = x->e;
    x->e = NULL;
    size_t n = (size_t)(end - x->ev);
    x->hint = n;
    e->source = x->name;
    e->line = (uint64_t)x->ev_line;
    e->schema = SH_SCHEMA_WINDOWS;
    if (x->o && x->o->keep_raw) {
        e->raw = sh_arena_strndup(&e->arena, at(x, x->ev), n);
        e->raw_len = n;
        e->raw_kind = SH_RAW_XML;
    }
    sh_event_finish(e);
    e->ordinal = x->st->events++;
    if (!x->sink->on_event(x->sink->ctx, e)) x->stopped = true;
    sh_event_unref(e);
}

/* Give expat the event's bytes read so far. Returns false when more input
 * is needed. */
static bool run_event(sh_xml_reader *x) {
    const int64_t end = x->base + (int64_t)x->len;
    enum XML_Status s = XML_STATUS_OK;
    while (x->fed < end || x->eof) {
        /* expat copies what it is given into its own buffer: give it the
         * bytes up to the next "</Event>" (the end of the event, unless
         * that text sits in a comment or CDATA), not the whole buffer */
        int64_t lim = end, from = x->fed - 7 > x->ev ? x->fed - 7 : x->ev;
        const char *p = at(x, from), *e = x->buf + x->len, *m;
        while (lim == end && (m = memchr(p, '<', (size_t)(e - p))) != NULL) {
            p = m + 1;
            if (e - m < 8 || m[1] != '/' || memcmp(m + 2, "Event", 5) != 0) continue;
            const char *q = m + 7;
            while (q < e && is_ws(*q)) q++;
            if (q < e && *q == '>' && x->base + (q + 1 - x->buf) > x->fed) lim = x->base + (q + 1 - x->buf);
        }
        if (lim - x->fed > (1 << 30)) lim = x->fed + (1 << 30);   /* XML_Parse takes an int */
        bool final = x->eof && lim == end;
        s = XML_Parse(x->p, at(x, x->fed), (int)(lim - x->fed), final);
        x->fed = lim;
        if (s != XML_STATUS_OK || x->result != R_NONE || final || lim == end) break;
    }
    switch (x->result) {
    case R_DONE:
        event_deliver(x, x->res_at);
        x->pos = x->res_at;
        x->state = ST_SCAN;
        return true;
    case R_CUT: {
        report_at(x, x->res_at, "<Event> at line %ld has no end tag before this <Event>; event skipped", x->ev_line);
        event_drop(x);
        x->pos = x->res_at;
        x->state = ST_SCAN;
        return true;
    }
    case R_LIMIT:
        report_at(x, x->res_at, "%s", x->depth >= SH_XML_MAX_DEPTH ? "elements nested deeper than 256; event skipped"
                                                                    : "entity declaration refused; event skipped");
        event_drop(x);
        x->pos = x->res_at > x->ev ? x->res_at : x->ev + 1;
        x->state = ST_SKIP;
        return true;
    default: break;
    }
    if (s == XML_STATUS_ERROR) {
        enum XML_Error code = XML_GetErrorCode(x->p);
        int64_t err = x->ev + XML_GetCurrentByteIndex(x->p);
        if (err < x->ev) err = x->ev;
        if (err > end) err = end;
        long line = x->ev_line;
        if (x->eof && (code == XML_ERROR_NO_ELEMENTS || code == XML_ERROR_UNCLOSED_TOKEN || code == XML_ERROR_PARTIAL_CHAR ||
                       code == XML_ERROR_UNCLOSED_CDATA_SECTION))
            report_at(x, err, "%s: the input ends inside the <Event> of line %ld; event skipped", XML_ErrorString(code), line);
        else
            report_at(x, err, "%s; event at line %ld skipped", XML_ErrorString(code), line);
        event_drop(x);
        x->pos = err > x->ev ? err : x->ev + 1;
        x->state = ST_SKIP;
        return true;
    }
    if (end - x->ev > (int64_t)SH_XML_MAX_EVENT) {
        report_at(x, x->ev, "event larger than %u MB (no </Event>); skipped", SH_XML_MAX_EVENT >> 20);
        event_drop(x);
        x->pos = x->ev + 1;
        x->state = ST_SKIP;
        return true;
    }
    return false;
}

/* ------------------------------------------------------------ between events */

/* offset just past the first occurrence of pat at or after from, or -1 */
static int64_t find_after(sh_xml_reader *x, int64_t from, const char *pat) {
    size_t k = strlen(pat);
    const char *p = at(x, from), *end = x->buf + x->len;
    if (end - p < (ptrdiff_t)k) return -1;
    const char *q = memmem(p, (size_t)(end - p), pat, k);
    return q ? x->base + (q - x->buf) + (int64_t)k : -1;
}

/* end of a tag ('>' outside quotes) starting at from, or -1 */
static int64_t tag_end(sh_xml_reader *x, int64_t from) {
    const char *p = at(x, from), *end = x->buf + x->len;
    char q = 0;
    for (; p < end; p++) {
        if (q) { if (*p == q) q = 0; }
        else if (*p == '"' || *p == '\'') q = *p;
        else if (*p == '>') return x->base + (p - x->buf) + 1;
    }
    return -1;
}

/* end of <!DOCTYPE ...>, with its internal subset in [...] */
static int64_t doctype_end(sh_xml_reader *x, int64_t from) {
    const char *p = at(x, from), *end = x->buf + x->len;
    char q = 0;
    int br = 0;
    for (; p < end; p++) {
        if (q) { if (*p == q) q = 0; }
        else if (*p == '"' || *p == '\'') q = *p;
        else if (*p == '[') br++;
        else if (*p == ']') { if (br) br--; }
        else if (*p == '>' && !br) return x->base + (p - x->buf) + 1;
    }
    return -1;
}

static bool name_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':' ||
           c == '-' || c == '.' || c >= 0x80;
}

/* true when the tag at p (a '<' with its name complete) is an <Event> start tag */
static bool is_event_tag(const char *p, const char *end) {
    const char *n = p + 1, *q = n;
    while (q < end && name_char((unsigned char)*q)) q++;
    const char *ln = n;
    for (const char *c = n; c < q; c++)
        if (*c == ':') ln = c + 1;
    return q - ln == 5 && memcmp(ln, "Event", 5) == 0 && q < end && (is_ws(*q) || *q == '>' || *q == '/');
}

/* <?xml ... encoding="X"?>: the single-byte encodings expat knows are
 * honoured (windows-1252 read as ISO-8859-1); UTF-8 and UTF-16 need nothing
 * (UTF-16 input is recognised by its byte order mark and turned into UTF-8) */
static void decl_encoding(sh_xml_reader *x, int64_t from, int64_t to) {
    const char *p = at(x, from), *end = at(x, to);
    const char *q = memmem(p, (size_t)(end - p), "encoding", 8);
    x->xenc = NULL;
    if (!q || x->enc != 1) return;
    q += 8;
    while (q < end && (is_ws(*q) || *q == '=')) q++;
    if (q >= end || (*q != '"' && *q != '\'')) return;
    const char *v = ++q;
    while (q < end && *q != v[-1]) q++;
    size_t n = (size_t)(q - v);
    if (sh_memieq(v, n, "ISO-8859-1", 10) || sh_memieq(v, n, "latin1", 6) || sh_memieq(v, n, "windows-1252", 12) ||
        sh_memieq(v, n, "cp1252", 6))
        x->xenc = "ISO-8859-1";
    else if (sh_memieq(v, n, "US-ASCII", 8) || sh_memieq(v, n, "ASCII", 5))
        x->xenc = "US-ASCII";
}

/* text between events that is not whitespace: reported once per run */
static void stray_text(sh_xml_reader *x, int64_t from, int64_t to) {
    const char *p = at(x, from), *e = at(x, to);
    while (p < e && is_ws(*p)) p++;
    if (p == e) return;
    report_at(x, x->base + (p - x->buf), "%s", "text outside an event; skipped");
    x->st->rejected++;
}

/* Skip what lies between events up to the next <Event>. Returns false when
 * more input is needed. */
static bool scan(sh_xml_reader *x) {
    const int64_t end = x->base + (int64_t)x->len;
    for (;;) {
        const char *p = at(x, x->pos), *e = x->buf + x->len;
        const char *lt = memchr(p, '<', (size_t)(e - p));
        if (!lt) {
            if (!x->eof) {
                /* keep trailing text for one report when it is not whitespace */
                if (!all_ws(p, (size_t)(e - p)) && (size_t)(e - p) < 4096) return false;
            }
            stray_text(x, x->pos, end);
            x->pos = end;
            return false;
        }
        int64_t lto = x->base + (lt - x->buf);
        if (lto > x->pos) stray_text(x, x->pos, lto);
        x->pos = lto;
        size_t avail = (size_t)(e - lt);
        /* enough to classify the markup: its name, or "<![CDATA[" */
        const char *q = lt + 1;
        while (q < e && name_char((unsigned char)*q)) q++;
        if ((q == e || avail < 10) && !x->eof && avail < 4096) return false;
        int64_t next = -1;
        if (is_event_tag(lt, e)) {
            x->ev = lto;
            x->state = ST_EVENT;
            event_begin(x);
            return true;
        } else if (avail >= 4 && memcmp(lt, "<!--", 4) == 0) {
            next = find_after(x, lto + 4, "-->");
        } else if (avail >= 2 && lt[1] == '?') {
            next = find_after(x, lto + 2, "?>");
            if (next >= 0 && avail >= 6 && memcmp(lt, "<?xml", 5) == 0 && is_ws(lt[5])) decl_encoding(x, lto, next);
        } else if (avail >= 9 && memcmp(lt, "<![CDATA[", 9) == 0) {
            next = find_after(x, lto + 9, "]]>");
            if (next >= 0) {
                if (!all_ws(lt + 9, (size_t)(next - 3 - lto - 9))) {
                    report_at(x, lto, "%s", "text outside an event; skipped");
                    x->st->rejected++;
                }
            }
        } else if (avail >= 9 && memcmp(lt, "<!DOCTYPE", 9) == 0) {
            next = doctype_end(x, lto + 9);
            if (next >= 0 || x->eof) {
                report_at(x, lto, "%s", "document type declaration refused (DTDs and entities are not read); skipped");
                x->st->rejected++;
                if (next < 0) next = end;
            }
        } else if (avail >= 2 && (lt[1] == '/' || lt[1] == '!' || name_char((unsigned char)lt[1]))) {
            next = tag_end(x, lto + 1);   /* a wrapper's start or end tag */
        } else {
            report_at(x, lto, "%s", "text outside an event; skipped");
            x->st->rejected++;
            next = lto + 1;
        }
        if (next < 0) {
            if (!x->eof && end - lto <= (int64_t)SH_XML_MAX_EVENT) return false;
            report_at(x, lto, "%s", "unterminated markup outside an event; skipped");
            x->st->rejected++;
            x->pos = lto + 1;
            x->state = ST_SKIP;
            return true;
        }
        x->pos = next;
    }
}

/* After a bad event: silently to the next "<Event". */
static bool skip(sh_xml_reader *x) {
    const char *p = at(x, x->pos), *e = x->buf + x->len;
    for (;;) {
        const char *lt = memchr(p, '<', (size_t)(e - p));
        if (!lt) break;
        const char *q = lt + 1;
        while (q < e && name_char((unsigned char)*q)) q++;
        if (q == e && !x->eof) { p = lt; goto more; }
        if (is_event_tag(lt, e)) {
            x->pos = x->base + (lt - x->buf);
            x->state = ST_SCAN;
            return true;
        }
        p = lt + 1;
    }
    p = e;
more:
    x->pos = x->base + (p - x->buf);
    return false;
}

static void process(sh_xml_reader *x) {
    bool go = true;
    while (go && !x->stopped) {
        switch (x->state) {
        case ST_SCAN: go = scan(x); break;
        case ST_EVENT: go = run_event(x); break;
        default: go = skip(x); break;
        }
    }
}

/* ------------------------------------------------------------ input */

/* drop what is done with, make room for n more bytes */
static void make_room(sh_xml_reader *x, size_t n) {
    int64_t keep = x->state == ST_EVENT ? x->ev : x->pos;
    if (keep > x->base + (int64_t)x->len) keep = x->base + (int64_t)x->len;
    if (keep > x->base && (x->len + n > x->cap || keep - x->base > (int64_t)(x->cap / 2))) {
        long l, c;
        where(x, keep, &l, &c);
        size_t drop = (size_t)(keep - x->base);
        memmove(x->buf, x->buf + drop, x->len - drop);
        x->len -= drop;
        x->base = keep;
    }
    if (x->len + n > x->cap) {
        size_t cap = x->cap ? x->cap : 65536;
        while (cap < x->len + n) cap *= 2;
        x->buf = realloc(x->buf, cap);
        if (!x->buf) abort();
        x->cap = cap;
    }
}

static void put_utf8(sh_xml_reader *x, uint32_t cp) {
    char o[4];
    size_t n = sh_utf8_encode(cp, o);
    memcpy(x->buf + x->len, o, n);
    x->len += n;
}

/* UTF-16 to UTF-8 (a lone surrogate becomes U+FFFD) */
static void put_utf16(sh_xml_reader *x, const unsigned char *d, size_t n) {
    make_room(x, (n + 4) / 2 * 3 + 8);
    bool le = x->enc == 2;
    size_t i = 0;
    while (i < n) {
        while (x->npend < 2 && i < n) x->pend[x->npend++] = d[i++];
        if (x->npend < 2) break;
        uint32_t u = le ? (uint32_t)(x->pend[0] | x->pend[1] << 8) : (uint32_t)(x->pend[0] << 8 | x->pend[1]);
        x->npend = 0;
        if (x->hi) {
            uint32_t h = x->hi;
            x->hi = 0;
            if (u >= 0xdc00 && u <= 0xdfff) { put_utf8(x, 0x10000 + ((h - 0xd800) << 10) + (u - 0xdc00)); continue; }
            put_utf8(x, 0xfffd);
        }
        if (u >= 0xd800 && u <= 0xdbff) x->hi = u;
        else if (u >= 0xdc00 && u <= 0xdfff) put_utf8(x, 0xfffd);
        else put_utf8(x, u);
    }
}

static void push(sh_xml_reader *x, const char *data, size_t len) {
    if (!len) return;
    if (x->enc >= 2) {
        put_utf16(x, (const unsigned char *)data, len);
    } else {
        make_room(x, len);
        memcpy(x->buf + x->len, data, len);
        x->len += len;
    }
}

/* The byte order mark decides the encoding: the first bytes wait in pend
 * until it is known (at most 3). */
static void push_first(sh_xml_reader *x, const char *data, size_t len) {
    while (x->npend < 3 && len) x->pend[x->npend++] = (unsigned char)*data++, len--;
    const unsigned char *b = x->pend;
    int n = x->npend, skip = 0;
    if (n >= 2 && b[0] == 0xff && b[1] == 0xfe) x->enc = 2, skip = 2;
    else if (n >= 2 && b[0] == 0xfe && b[1] == 0xff) x->enc = 3, skip = 2;
    else if (n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) x->enc = 1, skip = 3;
    else if (n < 3 && !x->eof && (b[0] == 0xff || b[0] == 0xfe || (b[0] == 0xef && (n < 2 || b[1] == 0xbb)))) return;
    else x->enc = 1;
    unsigned char rest[3];
    int nrest = n - skip;
    memcpy(rest, b + skip, (size_t)nrest);
    x->npend = 0;
    push(x, (const char *)rest, (size_t)nrest);
    push(x, data, len);
}

bool sh_xml_feed(sh_xml_reader *x, const char *data, size_t len) {
    if (x->stopped) return false;
    if (!x->enc) push_first(x, data, len);
    else push(x, data, len);
    if (x->enc) process(x);
    return !x->stopped;
}

bool sh_xml_finish(sh_xml_reader *x) {
    if (x->stopped) return false;
    x->eof = true;
    if (!x->enc) push_first(x, NULL, 0);
    if (x->enc >= 2 && (x->npend || x->hi)) {
        make_room(x, 8);
        put_utf8(x, 0xfffd);
        x->npend = 0;
        x->hi = 0;
    }
    process(x);
    if (x->state == ST_EVENT && x->e && !x->stopped) {
        /* cannot happen (expat reports an open root at the end), kept safe */
        report_at(x, x->base + (int64_t)x->len, "%s", "the input ends inside an event; event skipped");
        event_drop(x);
    }
    return !x->stopped;
}

static unsigned long make_salt(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned long s = (unsigned long)ts.tv_nsec * 2654435761u ^ (unsigned long)ts.tv_sec ^ (unsigned long)getpid() << 16;
    return s ? s : 1;
}

sh_xml_reader *sh_xml_new(const char *name, const sh_input_opts *o, sh_input_sink *sink, sh_input_stats *st,
                          long line, long col) {
    sh_xml_reader *x = calloc(1, sizeof *x);
    if (!x) abort();
    x->name = name;
    x->o = o;
    x->sink = sink;
    x->st = st;
    x->p = XML_ParserCreate("UTF-8");
    if (!x->p) abort();
    x->salt = make_salt();
    x->lc_line = line > 0 ? line : 1;
    x->lc_bol = -(int64_t)((col > 0 ? col : 1) - 1);
    x->state = ST_SCAN;
    x->cap = 65536;
    x->buf = malloc(x->cap);
    if (!x->buf) abort();
    sh_buf_reserve(&x->names, 256);
    sh_buf_reserve(&x->text, 4096);
    sh_buf_reserve(&x->attrs, 256);
    sh_buf_reserve(&x->tmp, 256);
    return x;
}

void sh_xml_free(sh_xml_reader *x) {
    if (!x) return;
    if (x->e) sh_event_unref(x->e);
    XML_ParserFree(x->p);
    free(x->buf);
    free(x->stk);
    sh_buf_free(&x->names);
    sh_buf_free(&x->text);
    sh_buf_free(&x->attrs);
    sh_buf_free(&x->tmp);
    free(x);
}

bool sh_xml_read(const char *name, const char *data, size_t len, const sh_input_opts *o, sh_input_sink *sink,
                 sh_input_stats *st) {
    sh_xml_reader *x = sh_xml_new(name, o, sink, st, 1, 1);
    bool go = sh_xml_feed(x, data, len) && sh_xml_finish(x);
    sh_xml_free(x);
    return go;
}

bool sh_xml_detect(const char *data, size_t len) {
    if (len && data[0] == '<') return true;
    if (len >= 4 && (memcmp(data, "\xff\xfe<\0", 4) == 0 || memcmp(data, "\xfe\xff\0<", 4) == 0)) return true;
    if (!len || data[0] == '{' || data[0] == '[') return false;
    size_t n = len < 65536 ? len : 65536;
    const char *p = data, *end = data + n;
    while ((p = memmem(p, (size_t)(end - p), "<Event", 6)) != NULL) {
        if (p + 6 < end && (is_ws(p[6]) || p[6] == '>')) return true;
        p += 6;
    }
    return false;
}
