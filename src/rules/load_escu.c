/* load_escu.c: Splunk security_content YAML and plain .spl files
 * (placeholder until the SPL front end lands). */
#include "rules/loader_int.h"

void sh_rload_escu(const sh_rload *l, const char *path, const char *text, size_t len) {
    (void)text;
    (void)len;
    sh_rload_reject(l, path, 0, "Splunk security_content detections are not supported yet");
}

void sh_rload_spl(const sh_rload *l, const char *path) { sh_rload_reject(l, path, 0, "SPL rule files are not supported yet"); }
