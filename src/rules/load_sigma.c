/* load_sigma.c: Sigma rule files (placeholder until the Sigma loader lands). */
#include "rules/loader_int.h"

void sh_rload_sigma(const sh_rload *l, const char *path, const char *text, size_t len) {
    (void)text;
    (void)len;
    sh_rload_reject(l, path, 0, "Sigma rules are not supported yet");
}
