/* explain.c: why a rule raised no alert on a set of events (shrike.h,
 * shrike_explain_miss). The rule's filters (one per EQL sequence stage, the
 * Sigma detection with its logsource, ...) are evaluated on the events; for
 * a filter no event passes, the search walks down the expression tree:
 *   - at an `and`, it takes the first argument no candidate event satisfies
 *     (or, when each is satisfied by some event but never all by one, the
 *     first one the nearest event fails) and keeps as candidates the events
 *     that satisfy most of the other arguments;
 *   - at an `or`, it takes the alternative that came closest (the most
 *     satisfied arguments of an `and`) and the events that came that close;
 *   - anything else is the condition to report, with the values its fields
 *     have on the first candidate event.
 * The text is an expression in EQL-like notation printed from the shared
 * intermediate form; case-insensitive patterns print lower-cased, as the
 * engine compares them. */
#include "shrike/shrike.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/ir.h"

#define MAX_FILTERS 64
#define MAX_LIST 6          /* list items printed before "..." */
#define MAX_VALUE 72        /* characters of one value printed */

/* ------------------------------------------------------------ printing */

/* a string literal as a rule writes it: in double quotes, a quote escaped,
 * backslashes (Windows paths) as they are; cut after MAX_VALUE bytes */
static void put_str_lit(sh_buf *o, const char *s, size_t n) {
    bool cut = n > MAX_VALUE;
    if (cut) {
        n = MAX_VALUE;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    sh_buf_putc(o, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') sh_buf_putc(o, '\\');
        sh_buf_putc(o, s[i]);
    }
    sh_buf_puts(o, cut ? "...\"" : "\"");
}

static void put_lit(sh_buf *o, const sh_value *v) {
    switch (v->type) {
    case SH_NULL: sh_buf_puts(o, "null"); break;
    case SH_BOOL: sh_buf_puts(o, v->b ? "true" : "false"); break;
    case SH_STR: put_str_lit(o, v->s, v->len); break;
    default: sh_buf_put(o, v->s, v->len); break;
    }
}

static const char *cmp_sym(uint8_t op) {
    static const char *const s[] = {"==", "!=", "<", "<=", ">", ">="};
    return op < 6 ? s[op] : "?";
}

static void print_ir(sh_buf *o, const sh_ir *n, int depth);

static int cmp_slot(const void *a, const void *b) {
    const sh_strset_slot *x = a, *y = b;
    int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* a wildcard node's patterns: those kept as patterns, then the plain strings
 * the engine moved into a set (sorted: the set does not keep their order);
 * `*literal*` patterns moved into a literal matcher are not listed */
static void print_wildset(sh_buf *o, const sh_wildset *w) {
    uint32_t nex = w->exact ? w->exact->n : 0;
    uint32_t total = w->n + nex;
    if (total != 1 || w->lits) sh_buf_putc(o, '(');
    uint32_t shown = 0;
    for (uint32_t i = 0; i < w->n && shown < MAX_LIST; i++, shown++) {
        if (shown) sh_buf_puts(o, ", ");
        put_str_lit(o, w->pats[i].text, w->pats[i].len);
    }
    if (nex && shown < MAX_LIST) {
        sh_strset_slot *sl = malloc(nex * sizeof *sl);
        if (!sl) abort();
        uint32_t k = 0;
        for (uint32_t i = 0; i < w->exact->cap && k < nex; i++)
            if (w->exact->slots[i].s) sl[k++] = w->exact->slots[i];
        qsort(sl, k, sizeof *sl, cmp_slot);
        for (uint32_t i = 0; i < k && shown < MAX_LIST; i++, shown++) {
            if (shown) sh_buf_puts(o, ", ");
            put_str_lit(o, sl[i].s, sl[i].len);
        }
        free(sl);
    }
    if (shown < total) sh_buf_printf(o, "%s... %u more", shown ? ", " : "", total - shown);
    if (w->lits) sh_buf_printf(o, "%s*...* patterns", shown ? ", " : "");
    if (total != 1 || w->lits) sh_buf_putc(o, ')');
}

static void print_args(sh_buf *o, const sh_ir *n, uint32_t from, int depth) {
    for (uint32_t i = from; i < n->nargs; i++) {
        if (i > from) sh_buf_puts(o, ", ");
        if (i - from == MAX_LIST && n->nargs - from > MAX_LIST + 1) {
            sh_buf_printf(o, "... %u more", n->nargs - i);
            return;
        }
        print_ir(o, n->args[i], depth + 1);
    }
}

static void print_ir(sh_buf *o, const sh_ir *n, int depth) {
    if (!n) {
        sh_buf_puts(o, "true");
        return;
    }
    if (depth > 12) {
        sh_buf_puts(o, "...");
        return;
    }
    switch (n->kind) {
    case SH_IR_LIT: put_lit(o, &n->lit); break;
    case SH_IR_FIELD:
        if (n->flags & SH_IRF_OPTIONAL) sh_buf_putc(o, '?');
        sh_buf_puts(o, n->ref->name);
        break;
    case SH_IR_AND:
    case SH_IR_OR:
        sh_buf_putc(o, '(');
        for (uint32_t i = 0; i < n->nargs; i++) {
            if (i) sh_buf_puts(o, n->kind == SH_IR_AND ? " and " : " or ");
            if (i == MAX_LIST && n->nargs > MAX_LIST + 1) {
                sh_buf_printf(o, "... %u more", n->nargs - i);
                break;
            }
            print_ir(o, n->args[i], depth + 1);
        }
        sh_buf_putc(o, ')');
        break;
    case SH_IR_NOT:
        sh_buf_puts(o, "not ");
        print_ir(o, n->args[0], depth + 1);
        break;
    case SH_IR_CMP:
        print_ir(o, n->args[0], depth + 1);
        if ((n->flags & SH_IRF_CI) && n->op == SH_CMP_EQ) sh_buf_puts(o, " : ");
        else sh_buf_printf(o, " %s%s ", cmp_sym(n->op), (n->flags & SH_IRF_CI) ? "~" : "");
        print_ir(o, n->args[1], depth + 1);
        break;
    case SH_IR_ISNULL:
        if (n->flags & SH_IRF_PRESENT) {
            sh_buf_puts(o, (n->flags & SH_IRF_NEGATE) ? "exists(" : "not exists(");
            print_ir(o, n->args[0], depth + 1);
            sh_buf_putc(o, ')');
        } else {
            print_ir(o, n->args[0], depth + 1);
            sh_buf_puts(o, (n->flags & SH_IRF_NEGATE) ? " != null" : " == null");
        }
        break;
    case SH_IR_IN:
        print_ir(o, n->args[0], depth + 1);
        sh_buf_printf(o, " %sin%s (", (n->flags & SH_IRF_NEGATE) ? "not " : "", (n->flags & SH_IRF_CI) ? "~" : "");
        print_args(o, n, 1, depth);
        sh_buf_putc(o, ')');
        break;
    case SH_IR_WILDCARD: {
        if (n->flags & SH_IRF_NEGATE) sh_buf_puts(o, "not ");
        print_ir(o, n->args[0], depth + 1);
        sh_buf_puts(o, (n->flags & SH_IRF_CI) ? " : " : " like ");
        print_wildset(o, n->wild);
        break;
    }
    case SH_IR_REGEX:
        if (n->flags & SH_IRF_NEGATE) sh_buf_puts(o, "not ");
        print_ir(o, n->args[0], depth + 1);
        sh_buf_printf(o, " regex%s (%u pattern%s)", (n->flags & SH_IRF_CI) ? "~" : "", n->rx ? n->rx->n : 0,
                      n->rx && n->rx->n == 1 ? "" : "s");
        break;
    case SH_IR_ARITH: {
        static const char ops[] = "+-*/%";
        print_ir(o, n->args[0], depth + 1);
        sh_buf_printf(o, " %c ", n->op < 5 ? ops[n->op] : '?');
        print_ir(o, n->args[1], depth + 1);
        break;
    }
    case SH_IR_NEG:
        sh_buf_putc(o, '-');
        print_ir(o, n->args[0], depth + 1);
        break;
    case SH_IR_FUNC: {
        const sh_func_info *fi = sh_func_info_of((sh_func_id)n->op);
        sh_buf_puts(o, fi ? fi->name : "function");
        if (n->flags & SH_IRF_CI) sh_buf_putc(o, '~');
        sh_buf_putc(o, '(');
        print_args(o, n, 0, depth);
        sh_buf_putc(o, ')');
        break;
    }
    case SH_IR_ANYFIELD: sh_buf_puts(o, "<any field>"); break;
    default: sh_buf_puts(o, "<?>"); break;
    }
}

/* the fields a condition reads (first few, each once) */
static void collect_refs(const sh_ir *n, const sh_fieldref **out, size_t *nout, size_t max) {
    if (!n) return;
    if (n->kind == SH_IR_FIELD) {
        for (size_t i = 0; i < *nout; i++)
            if (out[i] == n->ref) return;
        if (*nout < max) out[(*nout)++] = n->ref;
        return;
    }
    for (uint32_t i = 0; i < n->nargs; i++) collect_refs(n->args[i], out, nout, max);
}

static bool needs_quotes(const sh_value *v) {
    if (v->len == 0) return true;
    for (uint32_t i = 0; i < v->len; i++)
        if (strchr(" ,\"[]\t", v->s[i])) return true;
    return false;
}

/* a value as text: quoted (only quotes escaped) when it has blanks or list
 * punctuation, cut after MAX_VALUE bytes (at a character boundary) */
static void put_value(sh_buf *o, const sh_value *v) {
    if (v->type == SH_NULL) {
        sh_buf_puts(o, "null");
        return;
    }
    if (v->type != SH_STR) {
        sh_buf_put(o, v->s, v->len);
        return;
    }
    bool q = needs_quotes(v);
    size_t n = v->len;
    bool cut = n > MAX_VALUE;
    if (cut) {
        n = MAX_VALUE;
        while (n > 0 && ((unsigned char)v->s[n] & 0xC0) == 0x80) n--;
    }
    if (q) sh_buf_putc(o, '"');
    for (size_t i = 0; i < n; i++) {
        if (v->s[i] == '"') sh_buf_putc(o, '\\');
        sh_buf_putc(o, v->s[i]);
    }
    if (cut) sh_buf_puts(o, "...");
    if (q) sh_buf_putc(o, '"');
}

static void put_field_values(sh_buf *o, sh_event *e, const sh_fieldref *ref) {
    sh_buf_printf(o, "%s = ", ref->name);
    sh_field *f = sh_event_get(e, ref);
    if (!f) {
        sh_buf_puts(o, "(absent)");
        return;
    }
    bool list = f->is_array || f->nvals != 1;
    if (list) sh_buf_putc(o, '[');
    for (uint32_t i = 0; i < f->nvals; i++) {
        if (i) sh_buf_puts(o, ", ");
        if (i == 8 && f->nvals > 9) {
            sh_buf_printf(o, "... %u more", f->nvals - i);
            break;
        }
        put_value(o, &f->vals[i]);
    }
    if (list) sh_buf_putc(o, ']');
}

/* ------------------------------------------------------------ source text */

static bool is_logic(const sh_ir *n) { return n->kind == SH_IR_AND || n->kind == SH_IR_OR || n->kind == SH_IR_NOT; }

/* an `or` of tests on one field (EQL writes `f : ("a*", "b")` as one): reported whole */
static bool is_list_or(const sh_ir *n) {
    if (n->kind != SH_IR_OR || n->nargs == 0) return false;
    const sh_fieldref *ref = NULL;
    for (uint32_t i = 0; i < n->nargs; i++) {
        const sh_ir *a = n->args[i];
        if (is_logic(a) || a->nargs == 0 || a->args[0]->kind != SH_IR_FIELD) return false;
        if (ref && a->args[0]->ref != ref) return false;
        ref = a->args[0]->ref;
    }
    return true;
}

/* byte offset of 1-based (line, col) in text, or -1 */
static long offset_of(const char *text, uint32_t line, uint32_t col) {
    if (!line || !col) return -1;
    const char *p = text;
    for (uint32_t l = 1; l < line; l++) {
        p = strchr(p, '\n');
        if (!p) return -1;
        p++;
    }
    for (uint32_t c = 1; c < col; c++) {
        if (!*p || *p == '\n') return -1;
        p++;
    }
    return p - text;
}

static bool word_at(const char *s, const char *w) {
    size_t n = strlen(w);
    return !strncasecmp(s, w, n) && !(s[n] == '_' || s[n] == '.' || (s[n] >= 'a' && s[n] <= 'z') ||
                                     (s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9'));
}

/* The EQL text of a condition: from its left operand's start to the end of
 * the expression that follows the node's own position (the operator or the
 * function name): up to a top-level `and`, `or`, `|`, `]` or an unmatched `)`. */
static bool eql_source(const sh_rule *r, const sh_ir *n, sh_buf *o) {
    if (!r->query || r->lang != SH_LANG_EQL) return false;
    long at = offset_of(r->query, n->line, n->col);
    if (at < 0) return false;
    long start = at;
    const char *q = r->query;
    if (n->nargs && n->args[0]->kind == SH_IR_FIELD) {
        long f = offset_of(r->query, n->args[0]->line, n->args[0]->col);
        if (f >= 0 && f < at) start = f;
        /* the text there must be the field (a test the parser made up, as the
         * event category of `process where`, has no text of its own) */
        const char *name = n->args[0]->ref->name;
        long k = start + (q[start] == '?');
        if (strncasecmp(q + k, name, strlen(name)) != 0) return false;
    }
    long i = at, end = at;
    int depth = 0;
    bool started = false;
    while (q[i]) {
        char c = q[i];
        if (c == '"' || c == '\'') {
            long j = i + 1;
            if (q[j] == c && q[j + 1] == c) { /* triple quotes */
                j += 2;
                while (q[j] && !(q[j] == c && q[j + 1] == c && q[j + 2] == c)) j++;
                i = q[j] ? j + 3 : j;
            } else {
                while (q[j] && q[j] != c && q[j] != '\n') j += (q[j] == '\\' && q[j + 1]) ? 2 : 1;
                i = q[j] == c ? j + 1 : j;
            }
            end = i;
            started = true;
            continue;
        }
        if (c == '(') depth++;
        else if (c == ')') {
            if (depth == 0) break;
            depth--;
            end = i + 1;
            i++;
            continue;
        } else if (depth == 0 && (c == ']' || c == '|')) break;
        else if (depth == 0 && started && (c == ' ' || c == '\t' || c == '\n') &&
                 (word_at(q + i + 1, "and") || word_at(q + i + 1, "or")))
            break;
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            end = i + 1;
            started = true;
        }
        i++;
    }
    if (end <= start || end - start > 2000) return false;
    /* one line: runs of blanks and newlines as one blank */
    bool blank = false;
    for (long k = start; k < end; k++) {
        char c = q[k];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            blank = true;
            continue;
        }
        if (blank) sh_buf_putc(o, ' ');
        blank = false;
        sh_buf_putc(o, c);
    }
    return true;
}

/* ------------------------------------------------------------ the search */

typedef struct xctx {
    sh_eval ev;
    sh_event *const *events;
} xctx;

static bool holds(xctx *x, const sh_ir *n, sh_event *e) {
    sh_eval_reset(&x->ev);
    return sh_ir_eval(&x->ev, n, e) == SH_TRUE;
}

/* how many arguments of an `and` hold on e (0 for anything else) */
static uint32_t and_score(xctx *x, const sh_ir *n, sh_event *e) {
    if (n->kind != SH_IR_AND) return 0;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n->nargs; i++) k += holds(x, n->args[i], e);
    return k;
}

/* narrow cands (indexes into x->events) to those where score is maximal;
 * returns the new count */
static size_t keep_best(size_t *cands, size_t nc, const uint32_t *score) {
    uint32_t best = 0;
    for (size_t i = 0; i < nc; i++)
        if (score[i] > best) best = score[i];
    size_t k = 0;
    for (size_t i = 0; i < nc; i++)
        if (score[i] == best) cands[k++] = cands[i];
    return k;
}

/* walk down from n (which no candidate satisfies) to the condition to report */
static const sh_ir *descend(xctx *x, const sh_ir *n, size_t *cands, size_t *nc, uint32_t *alts) {
    uint32_t *score = calloc(*nc ? *nc : 1, sizeof *score);
    if (!score) abort();
    for (int guard = 0; guard < 64; guard++) {
        if (n->kind == SH_IR_AND && n->nargs > 0) {
            uint32_t pick = UINT32_MAX;
            for (uint32_t a = 0; a < n->nargs && pick == UINT32_MAX; a++) {
                bool any = false;
                for (size_t i = 0; i < *nc && !any; i++) any = holds(x, n->args[a], x->events[cands[i]]);
                if (!any) pick = a;
            }
            if (pick != UINT32_MAX) {
                /* the events that satisfy most of the other arguments */
                for (size_t i = 0; i < *nc; i++) score[i] = and_score(x, n, x->events[cands[i]]);
                *nc = keep_best(cands, *nc, score);
            } else {
                /* each argument holds somewhere, never all on one event: the nearest one */
                for (size_t i = 0; i < *nc; i++) score[i] = and_score(x, n, x->events[cands[i]]);
                *nc = keep_best(cands, *nc, score);
                *nc = 1;
                for (uint32_t a = 0; a < n->nargs; a++)
                    if (!holds(x, n->args[a], x->events[cands[0]])) {
                        pick = a;
                        break;
                    }
                if (pick == UINT32_MAX) break; /* cannot happen: n fails on it */
            }
            n = n->args[pick];
            continue;
        }
        if (n->kind == SH_IR_OR && n->nargs > 0 && !is_list_or(n)) {
            uint32_t best_arg = 0, best = 0;
            for (uint32_t a = 0; a < n->nargs; a++)
                for (size_t i = 0; i < *nc; i++) {
                    uint32_t s = and_score(x, n->args[a], x->events[cands[i]]);
                    if (s > best) best = s, best_arg = a;
                }
            const sh_ir *b = n->args[best_arg];
            *alts = best == 0 ? n->nargs : 0;
            for (size_t i = 0; i < *nc; i++) score[i] = and_score(x, b, x->events[cands[i]]);
            *nc = keep_best(cands, *nc, score);
            n = b;
            continue;
        }
        break;
    }
    free(score);
    return n;
}

static void describe_event(sh_buf *o, const sh_event *e, size_t idx) {
    if (e->source && e->line) {
        const char *base = strrchr(e->source, '/');
        sh_buf_printf(o, " (%s:%llu)", base ? base + 1 : e->source, (unsigned long long)e->line);
    } else {
        sh_buf_printf(o, " (event %zu)", idx + 1);
    }
}

bool shrike_explain_miss(const shrike *s, size_t rule, sh_event *const *events, size_t n, sh_buf *out) {
    const sh_query *q = shrike_rule_query(s, rule);
    const sh_ir *filters[MAX_FILTERS];
    uint32_t nf = q->ops->filters ? q->ops->filters(q, filters, MAX_FILTERS) : 0;
    if (nf == 0) {
        sh_buf_puts(out, "cannot tell: the rule gives no event filter (a correlation or a computed search)");
        return false;
    }
    if (n == 0) {
        sh_buf_puts(out, "no events");
        return true;
    }
    xctx x = {.events = events};
    sh_eval_init(&x.ev);
    bool told = false;
    for (uint32_t f = 0; f < nf && !told; f++) {
        const sh_ir *flt = filters[f];
        if (!flt) continue;
        bool any = false;
        for (size_t i = 0; i < n && !any; i++) any = holds(&x, flt, events[i]);
        if (any) continue;
        size_t *cands = malloc(n * sizeof *cands);
        if (!cands) abort();
        for (size_t i = 0; i < n; i++) cands[i] = i;
        size_t nc = n;
        uint32_t alts = 0;
        const sh_ir *leaf = descend(&x, flt, cands, &nc, &alts);
        if (nf > 1) sh_buf_printf(out, "stage %u: ", f + 1);
        if (alts > 1) sh_buf_printf(out, "none of %u alternatives holds, the first: ", alts);
        sh_buf_putc(out, '`');
        if (!eql_source(shrike_rule(s, rule), leaf, out)) print_ir(out, leaf, 0);
        sh_buf_puts(out, "` is false");
        const sh_fieldref *refs[4];
        size_t nr = 0;
        collect_refs(leaf, refs, &nr, 4);
        sh_event *e = events[cands[0]];
        for (size_t i = 0; i < nr; i++) {
            sh_buf_puts(out, i ? ", " : "; ");
            put_field_values(out, e, refs[i]);
        }
        if (nr) describe_event(out, e, cands[0]);
        free(cands);
        told = true;
    }
    sh_eval_free(&x.ev);
    if (!told)
        sh_buf_puts(out, "cannot tell: every filter of the rule is met by some event (the rule needs more: "
                         "a sequence's order, join keys or time span, a threshold, or an exclusion took the alert)");
    return told;
}
