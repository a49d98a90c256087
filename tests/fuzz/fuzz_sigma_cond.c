/* fuzz_sigma_cond.c: libFuzzer target for the Sigma condition parser. The
 * input is the condition expression of a fixed detection (identifiers sel,
 * sel_img, sel_cli, filter_main, filter_opt, _hidden, keywords), given to
 * the parser directly (no YAML quoting in the way). A condition that
 * compiles is evaluated on one event; an error must carry a reason. */
#include <stdlib.h>
#include <string.h>

#include "input/json.h"
#include "lang/sigma/sigma_int.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char rule[] =
    "detection:\n"
    "    sel:\n        Image|endswith: '\\\\certutil.exe'\n"
    "    sel_img:\n        - Image|contains: 'cert'\n        - OriginalFileName: 'CertUtil.exe'\n"
    "    sel_cli:\n        CommandLine|contains|all: ['-addstore', 'root']\n"
    "    filter_main:\n        ParentImage: null\n"
    "    filter_opt:\n        User|startswith: 'adm_'\n"
    "    _hidden:\n        EventID: 1\n"
    "    keywords:\n        - 'addstore'\n"
    "    condition: x\n";

static const char event[] =
    "{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Image\":\"C:\\\\Windows\\\\certutil.exe\","
    "\"CommandLine\":\"certutil -addstore Root x.cer\",\"User\":\"LAB\\\\bob\"}";

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size > 4096) return 0;
    sy_stream st;
    if (!sy_parse(&st, rule, strlen(rule))) abort();
    const sy_node *det = sy_get(st.docs[0].root, "detection");
    sy_node *cond = (sy_node *)sy_get(det, "condition");
    char *text = malloc(size + 1);
    if (!text) abort();
    memcpy(text, data, size);
    text[size] = 0;
    cond->s = text;
    cond->len = (uint32_t)size;
    sg_rule r;
    memset(&r, 0, sizeof r);
    sh_irpool_init(&r.pool);
    sh_diag d;
    sh_diag_clear(&d);
    sg_comp c = {.rule = &r, .pool = &r.pool, .d = &d, .budget = SG_BUDGET, .lsname = "*/*"};
    sh_arena_init(&c.tmp);
    sh_ir *ir = sg_detection(&c, NULL, det, cond, "detection");
    if (!ir && !d.msg[0]) abort();
    if (ir) {
        sh_ir_finalize(&r.pool, ir);
        sh_event *e = sh_event_new();
        sh_json_opts o = {.unwrap = true};
        if (!sh_json_parse_event(event, strlen(event), e, &o, &d)) abort();
        sh_eval ev;
        sh_eval_init(&ev);
        (void)sh_ir_match(&ev, ir, e);
        sh_eval_free(&ev);
        sh_event_unref(e);
    }
    sh_arena_free(&c.tmp);
    sh_irpool_free(&r.pool);
    sy_free(&st);
    free(text);
    return 0;
}
