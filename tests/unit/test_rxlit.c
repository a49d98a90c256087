/* test_rxlit.c: the literals a regex cannot match without (engine/rxlit.c),
 * exactly, for the shapes rules use, and none where the pattern may match
 * without any or is not read there. */
#include <string.h>

#include "engine/ir.h"
#include "test.h"

/* the literals as "a|b|c" (in the order found), "-" when none */
static const char *L(const char *pat, bool caseless) {
    static char out[2048];
    sh_arena a;
    sh_arena_init(&a);
    const char **lits;
    uint32_t *lens, n;
    if (!sh_regex_needs(pat, strlen(pat), caseless, false, &a, &lits, &lens, &n)) {
        sh_arena_free(&a);
        return "-";
    }
    size_t o = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i) out[o++] = '|';
        memcpy(out + o, lits[i], lens[i]);
        o += lens[i];
    }
    out[o] = 0;
    sh_arena_free(&a);
    return out;
}

TEST(plain_text) {
    CHECK_STR(L("signtool", false), "signtool");
    CHECK_STR(L("signtool\\.exe$", false), "signtool.exe");
    CHECK_STR(L("^cmd\\.exe", false), "cmd.exe");
    CHECK_STR(L("a\\\\b", false), "a\\b");
    CHECK_STR(L("\\x41BC", false), "ABC");
    CHECK_STR(L("\\Qa.b*c\\E", false), "a.b*c");
    CHECK_STR(L("tab\\there", false), "tab\there");
}

TEST(alternatives) {
    CHECK_STR(L("(signtool\\.exe|certutil\\.exe)", false), "signtool.exe|certutil.exe");
    /* the pack's companion search: the optional backslash multiplies out */
    CHECK_STR(L("(^|\\\\)(signtool|certutil)\\.exe$", false),
              "signtool.exe|certutil.exe|\\signtool.exe|\\certutil.exe");
    CHECK_STR(L("(\\-sign|/sign)", false), "-sign|/sign");
    CHECK_STR(L("abc|def", false), "abc|def");
    CHECK_STR(L("(?:root|trustedpublisher|authroot)", false), "root|trustedpublisher|authroot");
    /* a branch that may match nothing leaves nothing required */
    CHECK_STR(L("abc|", false), "-");
    CHECK_STR(L("abc|.", false), "-");
    CHECK_STR(L("(abc)?", false), "-");
}

TEST(best_part) {
    /* the longest known run around unknown parts */
    CHECK_STR(L("a.*bcdef.*gh", false), "bcdef");
    CHECK_STR(L("\\d+\\.exe", false), ".exe");
    CHECK_STR(L("[a-z]+powershell\\s", false), "powershell");
    CHECK_STR(L("(x|y)+abc", false), "abc");
    CHECK_STR(L("(abcd)+", false), "abcd");
    CHECK_STR(L("ab{2}c", false), "abbc");
    CHECK_STR(L("a[.]exe", false), "a.exe");
    CHECK_STR(L("(?i)mimikatz", false), "mimi");
    CHECK_STR(L("(?<name>abc)def", false), "abcdef");
    CHECK_STR(L("abc(?=def)", false), "abc");
    CHECK_STR(L("foo(?!bar)baz", false), "foobaz");
}

TEST(none) {
    CHECK_STR(L(".*", false), "-");
    CHECK_STR(L("a|b", false), "a|b");
    CHECK_STR(L("[abc]+", false), "-");
    CHECK_STR(L("", false), "-");
    CHECK_STR(L("(?x) a b c", false), "-");        /* extended mode: not read */
    CHECK_STR(L("\\k<n>abc", false), "-");
    CHECK_STR(L("(?(1)a|b)", false), "-");
    CHECK_STR(L("abc(", false), "-");
    CHECK_STR(L("abc)", false), "-");
    CHECK_STR(L("a{,3}bcd", false), "-");           /* a literal brace in PCRE2 10.42 */
}

TEST(caseless) {
    /* K and S have case variants outside ASCII: runs without them */
    CHECK_STR(L("signtool\\.exe", true), "igntool.exe");
    CHECK_STR(L("certutil", true), "certutil");
    CHECK_STR(L("invoke-mimikatz", true), "e-mimi");
    CHECK_STR(L("sks", true), "-");
}

TEST(ignored_items) {
    /* PCRE2 drops \E without \Q, an empty \Q\E and (?#...) before it
     * reads quantifiers: one after them applies to the item before */
    CHECK_STR(L("ab(?#x)*c", false), "a");
    CHECK_STR(L("a\\E?bc", false), "abc|bc");
    CHECK_STR(L("ab\\Q\\E{2}c", false), "abbc");
    CHECK_STR(L("a\\E*", false), "-");
    CHECK_STR(L("a\\Q\\E*", false), "-");
    CHECK_STR(L("\\Qab\\E\\E*", false), "-");
    CHECK_STR(L("a*\\E+bc", false), "bc");
}

TEST(classes) {
    /* \Q..\E can quote the ']'; \E at the start leaves the ']' a member */
    CHECK_STR(L("[\\Q]\\Ea]x", false), "-");
    CHECK_STR(L("[\\E]a]", false), "-");
    /* \cX takes the X, even a ']' */
    CHECK_STR(L("[\\c]x]y", false), "y");
    /* "[:" is a POSIX class only when ":]" comes before any ']' */
    CHECK_STR(L("[[:]x:]a]q", false), "x:]a]q");
    CHECK_STR(L("[[:alpha:]x]yz", false), "yz");
    CHECK_STR(L("a[[]b", false), "a[b");
}

TEST(named_groups) {
    CHECK_STR(L("(?'n'abc)def", false), "abcdef");
    CHECK_STR(L("(?P<n>abc)def", false), "abcdef");
    CHECK_STR(L("(?<n_1>abc)def", false), "abcdef");
    /* a non-atomic lookbehind: its text is not part of the match */
    CHECK_STR(L("(?<*a|b>c)d", false), "-");
    CHECK_STR(L("(?*ab)c", false), "-");
}

TEST(cut_strings) {
    /* 63 ASCII bytes and a two-byte character: the cap cuts before the
     * character, and nothing after it may be appended to the cut string */
    char p[128], want[64];
    memset(p, 'a', 63);
    memset(want, 'a', 63);
    want[63] = 0;
    memcpy(p + 63, "\xc3\xa9" "b", sizeof "\xc3\xa9" "b");
    CHECK_STR(L(p, false), want);
    /* the same through a group and a quantifier */
    memcpy(p + 63, "\xc3\xa9" "(b|c){2}", sizeof "\xc3\xa9" "(b|c){2}");
    CHECK_STR(L(p, false), want);
}

int main(void) {
    RUN(plain_text);
    RUN(alternatives);
    RUN(best_part);
    RUN(none);
    RUN(caseless);
    RUN(ignored_items);
    RUN(classes);
    RUN(named_groups);
    RUN(cut_strings);
    TEST_MAIN_END();
}
