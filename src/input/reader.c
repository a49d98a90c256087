/* reader.c: input paths to events (see input.h). Reads through zlib's gzread,
 * which passes uncompressed data through unchanged, so .gz files and plain
 * files share one path; memory stays bounded by the largest document. */
#include "input/input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "input/evtx.h"
#include "input/json.h"
#include "input/xml.h"

typedef struct stream {
    gzFile gz;
    const char *name;
    char *buf;
    size_t start, len, cap;   /* unread data is buf[start .. start+len) */
    bool eof, err;
    long line;                /* 1-based line of buf[start] */
    unsigned long long total; /* bytes read */
    sh_input_stats *st;
} stream;

typedef struct rd {
    const sh_input_opts *o;
    sh_input_sink *sink;
    sh_input_stats *st;
    bool stopped;
    struct { dev_t dev; ino_t ino; } *seen;   /* folders walked: links cannot loop */
    size_t nseen, capseen;
    sh_evtx_par *par;   /* EVTX files read by threads (o->threads > 1), else NULL */
} rd;

/* Everything the EVTX threads hold is delivered before anything else reaches
 * the sink, so the order is the order of a single-threaded reading. */
static void settle(rd *r) {
    if (r->par && !sh_evtx_par_drain(r->par)) r->stopped = true;
}

static void report(rd *r, const char *file, long line, long col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void report(rd *r, const char *file, long line, long col, const char *fmt, ...) {
    settle(r);
    sh_diag d;
    sh_diag_clear(&d);
    va_list ap;
    va_start(ap, fmt);
    sh_diag_vset(&d, file, line, col, fmt, ap);
    va_end(ap);
    if (r->sink->on_error) r->sink->on_error(r->sink->ctx, &d);
}

/* make at least `want` bytes available (fewer at end of input) */
static void fill(stream *s, size_t want) {
    while (s->len < want && !s->eof) {
        if (s->start && s->start + s->len + 65536 > s->cap) {
            memmove(s->buf, s->buf + s->start, s->len);
            s->start = 0;
        }
        if (s->start + s->len + 65536 > s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 262144;
            while (cap < s->start + s->len + 65536) cap *= 2;
            s->buf = realloc(s->buf, cap + 1);
            if (!s->buf) abort();
            s->cap = cap;
        }
        int n = gzread(s->gz, s->buf + s->start + s->len, 65536);
        if (n < 0) {
            s->err = true;
            s->eof = true;
            break;
        }
        if (n == 0) s->eof = true;
        s->len += (size_t)n;
        s->total += (size_t)n;
        s->st->bytes += (size_t)n;
    }
}

static void consume(stream *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s->buf[s->start + i] == '\n') s->line++;
    s->start += n;
    s->len -= n;
}

static void skip_ws(stream *s) {
    for (;;) {
        fill(s, 1);
        if (!s->len) return;
        char c = s->buf[s->start];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return;
        consume(s, 1);
    }
}

/* Parse one document that starts at line `line`, column `col` (1-based) of
 * the input; a rejected one is reported at the true line and column of the
 * problem. Returns false when the document was rejected. */
static bool deliver(rd *r, stream *s, const char *text, size_t n, long line, long col) {
    /* sized as sh_json_parse_event reserves (the copy, its fields, the raw text) */
    sh_event *e = sh_event_new_sized((r->o && r->o->keep_raw ? 5 : 4) * n + 1024);
    sh_diag d;
    sh_diag_clear(&d);
    sh_json_opts jo = {.keep_raw = r->o && r->o->keep_raw, .unwrap = true};
    if (!sh_json_parse_event(text, n, e, &jo, &d)) {
        r->st->rejected++;
        snprintf(d.file, sizeof d.file, "%s", s->name);
        long l = line, c = col;
        for (long long k = 0; k < d.offset && (size_t)k < n; k++) {
            if (text[k] == '\n') l++, c = 1;
            else c++;
        }
        d.line = l;
        d.col = d.offset >= 0 ? c : 0;
        if (r->sink->on_error) r->sink->on_error(r->sink->ctx, &d);
        sh_event_unref(e);
        return false;
    }
    e->source = s->name;
    e->line = (uint64_t)line;
    e->ordinal = r->st->events++;
    if (!r->sink->on_event(r->sink->ctx, e)) r->stopped = true;
    sh_event_unref(e);
    return true;
}

/* column (1-based) of the first unread byte */
static long cur_col(const stream *s) {
    long c = 1;
    for (size_t k = s->start; k > 0 && s->buf[k - 1] != '\n'; k--) c++;
    return c;
}

/* NDJSON: one document per line; blank lines are skipped */
static void read_ndjson(rd *r, stream *s) {
    size_t scanned = 0;
    while (!r->stopped) {
        char *nl = memchr(s->buf + s->start + scanned, '\n', s->len - scanned);
        if (!nl && !s->eof) {
            scanned = s->len;
            fill(s, s->len + (s->len > 65536 ? s->len : 65536));
            continue;
        }
        size_t n = nl ? (size_t)(nl - (s->buf + s->start)) : s->len;
        if (!nl && n == 0) break;
        const char *p = s->buf + s->start;
        size_t m = n;
        while (m && (p[m - 1] == '\r' || p[m - 1] == ' ' || p[m - 1] == '\t')) m--;
        size_t k = 0;
        while (k < m && (p[k] == ' ' || p[k] == '\t')) k++;
        if (k < m) deliver(r, s, p + k, m - k, s->line, cur_col(s) + (long)k);
        s->start += nl ? n + 1 : n;
        s->len -= nl ? n + 1 : n;
        s->line++;
        scanned = 0;
        if (!nl) break;
    }
}

#define MAX_DOCUMENT (512u << 20)


/* After a document that failed to parse: when its span runs over the start
 * of the next document (a missing brace merges documents), resume there: at
 * the next line that opens an object at the same indentation. Returns the
 * bytes to consume. */
static size_t resync(const char *p, size_t span, long col) {
    for (size_t k = 1; k < span; k++) {
        if (p[k - 1] != '\n') continue;
        size_t ind = 0;
        while (k + ind < span && (p[k + ind] == ' ' || p[k + ind] == '\t')) ind++;
        if ((long)ind == col - 1 && k + ind < span && p[k + ind] == '{') return k;
    }
    return span;
}

/* skip to the next '{' after garbage between documents; false at the end */
static bool skip_garbage(stream *s) {
    for (;;) {
        char *b = memchr(s->buf + s->start, '{', s->len);
        if (b) {
            consume(s, (size_t)(b - (s->buf + s->start)));
            return true;
        }
        consume(s, s->len);
        if (s->eof) return false;
        fill(s, 65536);
        if (!s->len) return false;
    }
}

/* A JSON array of documents, or documents one after another (pretty-printed). */
static void read_sequence(rd *r, stream *s, bool array) {
    if (array) consume(s, 1);
    bool first = true;
    while (!r->stopped) {
        skip_ws(s);
        if (!s->len) {
            if (array) {
                report(r, s->name, s->line, 0, "unterminated JSON array");
                r->st->rejected++;
            }
            return;
        }
        char c = s->buf[s->start];
        if (array && c == ']') { consume(s, 1); break; }
        if (array && !first) {
            if (c == ',') {
                consume(s, 1);
                skip_ws(s);
                c = s->len ? s->buf[s->start] : 0;
            } else if (c == '{') {
                report(r, s->name, s->line, cur_col(s), "missing ',' between array elements");
            }
        }
        first = false;
        if (c != '{' && c != '[' && c != '"' && !(c == '-' || (c >= '0' && c <= '9')) && c != 't' && c != 'f' && c != 'n') {
            report(r, s->name, s->line, cur_col(s), "unexpected '%c' between documents; skipped to the next '{'", c);
            r->st->rejected++;
            if (!skip_garbage(s)) return;
            continue;
        }
        long lines = 0;
        size_t span;
        bool invalid = false;
        for (;;) {
            span = s->len ? sh_json_value_scan(s->buf + s->start, s->len, &lines, &invalid) : 0;
            if (span || invalid || s->eof) break;
            if (s->len > MAX_DOCUMENT) break;
            fill(s, s->len + (s->len > 65536 ? s->len : 65536));
        }
        if (!span && !invalid && s->len) {
            /* an unbalanced document (a missing closing brace) runs to the end:
             * cut it where the next document opens at the same indentation */
            long col0 = cur_col(s);
            size_t cut = resync(s->buf + s->start, s->len, col0);
            if (cut < s->len) {
                long line0 = s->line;
                deliver(r, s, s->buf + s->start, cut, line0, col0);
                consume(s, cut);
                continue;
            }
        }
        if (!span) {
            if (s->len > MAX_DOCUMENT)
                report(r, s->name, s->line, cur_col(s), "document larger than %u MB; rest of the input skipped", MAX_DOCUMENT >> 20);
            else
                report(r, s->name, s->line, cur_col(s), "incomplete JSON document at end of input");
            r->st->rejected++;
            return;
        }
        long line = s->line, col = cur_col(s);
        if (!deliver(r, s, s->buf + s->start, span, line, col)) span = resync(s->buf + s->start, span, col);
        consume(s, span);
    }
    skip_ws(s);
    if (!r->stopped && s->len) {
        report(r, s->name, s->line, cur_col(s), "unexpected data after the JSON array; ignored");
        r->st->rejected++;
    }
}

static void read_stream(rd *r, stream *s) {
    fill(s, 8);
    if (s->len >= 3 && memcmp(s->buf + s->start, "\xef\xbb\xbf", 3) == 0) consume(s, 3);
    if (s->len >= 8 && memcmp(s->buf + s->start, "ElfFile", 8) == 0) {
        /* EVTX (docs/evtx.md): a large plain file is mapped, so only the
         * pages holding records are read; small files, standard input and
         * .gz are read whole into memory */
        size_t size = 0;
        int done = gzdirect(s->gz) && strcmp(s->name, "-") != 0 && !s->start
                       ? sh_evtx_read_file(s->name, r->o, r->sink, r->st, &size) : -1;
        if (done >= 0) {
            r->st->bytes += size > s->total ? size - s->total : 0;
        } else {
            while (!s->eof) fill(s, s->len + (s->len > 65536 ? s->len : 65536));
            done = sh_evtx_read(s->name, s->buf + s->start, s->len, r->o, r->sink, r->st);
        }
        if (!done) r->stopped = true;
        return;
    }
    skip_ws(s);
    if (!s->len) return; /* empty input: no events, not an error */
    char c = s->buf[s->start];
    if (sh_xml_detect(s->buf + s->start, s->len)) {
        /* event XML (docs/xml.md): streamed through the XML reader, which
         * keeps the bytes of one event at a time */
        sh_xml_reader *x = sh_xml_new(s->name, r->o, r->sink, r->st, s->line, cur_col(s));
        bool go = true;
        while (go) {
            go = sh_xml_feed(x, s->buf + s->start, s->len);
            s->start += s->len;
            s->len = 0;
            if (s->eof) break;
            fill(s, 65536);
        }
        if (go) go = sh_xml_finish(x);
        sh_xml_free(x);
        if (!go) r->stopped = true;
        return;
    }
    if (c == '[') { read_sequence(r, s, true); return; }
    if (c != '{') {
        report(r, s->name, s->line, 0, "%s", "not a recognised input format (expected JSON, NDJSON, EVTX or event XML)");
        r->st->inputs_failed++;
        return;
    }
    /* NDJSON unless the first line opens a pretty-printed document: a lone
     * '{', or an incomplete first line followed by an indented one. A broken
     * first line of an NDJSON file is then one rejected line, not the file. */
    size_t scanned = 0;
    char *nl;
    while (!(nl = memchr(s->buf + s->start + scanned, '\n', s->len - scanned)) && !s->eof) {
        scanned = s->len;
        fill(s, s->len + (s->len > 65536 ? s->len : 65536));
    }
    size_t firstlen = nl ? (size_t)(nl - (s->buf + s->start)) : s->len;
    const char *fl = s->buf + s->start;
    size_t tl = firstlen;
    while (tl && (fl[tl - 1] == ' ' || fl[tl - 1] == '\t' || fl[tl - 1] == '\r')) tl--;
    long lines;
    bool ndjson = sh_json_value_span(fl, tl, &lines) == tl;
    if (!ndjson) {
        bool next_indented = nl && (size_t)(nl + 1 - fl) < s->len && (nl[1] == ' ' || nl[1] == '\t' || nl[1] == '"');
        ndjson = !(tl == 1 || next_indented);
    }
    if (ndjson) read_ndjson(r, s);
    else read_sequence(r, s, false);
}

/* the len bytes of the file open at fd, into a new buffer; a read error is
 * reported and what was read is kept (*got bytes) */
static char *read_whole(rd *r, const char *path, int fd, size_t len, size_t *got) {
    char *buf = malloc(len ? len : 1);
    if (!buf) abort();
    size_t n = 0;
    int rerr = 0;
    while (n < len) {
        ssize_t k = pread(fd, buf + n, len - n, (off_t)n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) rerr = errno;
        if (k <= 0) break;
        n += (size_t)k;
    }
    if (rerr) {
        report(r, path, 0, 0, "read error after %llu bytes: %s", (unsigned long long)n, strerror(rerr));
        r->st->inputs_failed++;
    }
    *got = n;
    return buf;
}

/* A plain EVTX file is read straight into memory, or mapped when large (only
 * the pages holding records are then read): its signature is peeked with
 * pread, so zlib's buffers and the first 128 KB read of the general path are
 * skipped. With EVTX threads the image is handed over to them, else read
 * here. Returns true when it took the file (fd closed), false to read it the
 * general way (fd untouched, at offset 0). */
static bool read_evtx_plain(rd *r, const char *path, int fd) {
    char sig[8];
    struct stat sb;
    if (pread(fd, sig, 8, 0) != 8 || memcmp(sig, "ElfFile", 8) != 0) return false;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 || (uint64_t)sb.st_size > SIZE_MAX / 2)
        return false;
    size_t len = (size_t)sb.st_size, got = len;
    if (!r->par) r->st->inputs++;   /* the threads count a file when they deliver it */
    void *img = NULL;
    int kind = SH_EVTX_OWN_MUNMAP;
    if (len >= SH_EVTX_MAP_MIN) {
        img = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (img == MAP_FAILED) img = NULL;
    }
    if (!img) {
        img = read_whole(r, path, fd, len, &got);
        kind = SH_EVTX_OWN_FREE;
    }
    close(fd);
    bool go;
    if (r->par) {
        go = sh_evtx_par_submit(r->par, path, img, got, img, len, kind);
    } else {
        go = sh_evtx_read(path, img, got, r->o, r->sink, r->st);
        r->st->bytes += got;
        if (kind == SH_EVTX_OWN_MUNMAP) munmap(img, len);
        else free(img);
    }
    if (!go) r->stopped = true;
    return true;
}

static void read_file(rd *r, const char *path) {
    stream s = {0};
    s.name = path;
    s.line = 1;
    s.st = r->st;
    int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY);
    if (fd < 0) {
        report(r, path, 0, 0, "cannot open: %s", strerror(errno));
        r->st->inputs_failed++;
        return;
    }
    if (fd != 0 && strcmp(path, "-") != 0 && read_evtx_plain(r, path, fd)) return;
    settle(r);
    if (r->stopped) {
        close(fd);
        return;
    }
    s.gz = gzdopen(fd, "rb");
    if (!s.gz) {
        close(fd);
        report(r, path, 0, 0, "%s", "cannot open (out of memory)");
        r->st->inputs_failed++;
        return;
    }
    gzbuffer(s.gz, 131072);
    r->st->inputs++;
    read_stream(r, &s);
    int zerr = Z_OK;
    const char *zmsg = gzerror(s.gz, &zerr);
    if (s.err || (zerr != Z_OK && zerr != Z_STREAM_END)) {
        report(r, path, 0, 0, "read error after %llu bytes: %s", (unsigned long long)s.total,
               zerr == Z_ERRNO ? strerror(errno) : zmsg);
        r->st->inputs_failed++;
    }
    gzclose(s.gz);
    free(s.buf);
}

/* Events point at their source's name and may outlive the reading of the
 * file (pending sequences): names found in folders are kept for the life of
 * the process. */
typedef struct kept_name { struct kept_name *next; char *name; } kept_name;
static kept_name *g_names;
static pthread_mutex_t g_names_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *keep_name(char *name) {
    kept_name *k = malloc(sizeof *k);
    if (!k) abort();
    k->name = name;
    pthread_mutex_lock(&g_names_lock);
    k->next = g_names;
    g_names = k;
    pthread_mutex_unlock(&g_names_lock);
    return name;
}

static int name_cmp(const struct dirent **a, const struct dirent **b) {
    return strcmp((*a)->d_name, (*b)->d_name);
}

static bool seen_before(rd *r, const struct stat *sb) {
    for (size_t i = 0; i < r->nseen; i++)
        if (r->seen[i].dev == sb->st_dev && r->seen[i].ino == sb->st_ino) return true;
    if (r->nseen == r->capseen) {
        r->capseen = r->capseen ? r->capseen * 2 : 16;
        r->seen = realloc(r->seen, r->capseen * sizeof *r->seen);
        if (!r->seen) abort();
    }
    r->seen[r->nseen].dev = sb->st_dev;
    r->seen[r->nseen].ino = sb->st_ino;
    r->nseen++;
    return false;
}

static void read_dir(rd *r, const char *path, int depth) {
    struct dirent **ents;
    int n = scandir(path, &ents, NULL, name_cmp);
    if (n < 0) {
        report(r, path, 0, 0, "cannot read folder: %s", strerror(errno));
        r->st->inputs_failed++;
        return;
    }
    for (int i = 0; i < n; i++) {
        if (ents[i]->d_name[0] != '.' && !r->stopped) {
            size_t len = strlen(path) + strlen(ents[i]->d_name) + 2;
            char *sub = malloc(len);
            if (!sub) abort();
            size_t pl = strlen(path);
            while (pl > 1 && path[pl - 1] == '/') pl--;
            snprintf(sub, len, "%.*s/%s", (int)pl, path, ents[i]->d_name);
            struct stat sb;
            if (stat(sub, &sb) != 0) {
                report(r, sub, 0, 0, "cannot open: %s", strerror(errno));
                r->st->inputs_failed++;
                free(sub);
            } else if (S_ISDIR(sb.st_mode)) {
                if (depth >= 64) report(r, sub, 0, 0, "folder nesting deeper than 64; skipped");
                else if (!seen_before(r, &sb)) read_dir(r, sub, depth + 1);
                free(sub);
            } else if (!S_ISREG(sb.st_mode)) {
                report(r, sub, 0, 0, "not a regular file; skipped");
                free(sub);
            } else {
                read_file(r, keep_name(sub));
            }
        }
        free(ents[i]);
    }
    free(ents);
}

static void read_path(rd *r, const char *path) {
    struct stat sb;
    if (strcmp(path, "-") != 0 && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        seen_before(r, &sb);
        read_dir(r, path, 0);
        return;
    }
    read_file(r, path);
}

bool sh_input_read(const char *path, const sh_input_opts *o, sh_input_sink *sink, sh_input_stats *st) {
    return sh_input_read_all(&path, 1, o, sink, st);
}

bool sh_input_read_all(const char *const *paths, size_t n, const sh_input_opts *o, sh_input_sink *sink,
                       sh_input_stats *st) {
    rd r = {.o = o, .sink = sink, .st = st};
    if (o && o->threads > 1) r.par = sh_evtx_par_new(o->threads, sink, st);
    for (size_t i = 0; i < n && !r.stopped; i++) {
        /* folders are walked afresh for each path given, as separate calls would */
        r.nseen = 0;
        read_path(&r, paths[i]);
    }
    settle(&r);
    sh_evtx_par_free(r.par);
    free(r.seen);
    return !r.stopped;
}
