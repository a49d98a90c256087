/* test_eql_ir.c: the intermediate form below the EQL front end, as other
 * front ends (Sigma, SPL) will build it by hand: the semantic flags EQL does
 * not reach (SH_IRF_ALL, SH_IRF_NULLSAFE, unanchored regexes), the wildcard
 * matcher, the value order used for keys, join-key tuples and the key
 * table. */
#include "engine/joinkey.h"
#include "test.h"

static sh_event *ev_with_args(void) {
    sh_event *e = sh_event_new();
    sh_event_add_str(e, "args", "alpha", 5);
    sh_event_add_str(e, "args", "alps", 4);
    sh_event_add_int(e, "n", 3);
    sh_event_add_null(e, "nul");
    return e;
}

TEST(all_and_any_quantifiers) {
    sh_irpool p;
    sh_irpool_init(&p);
    sh_eval ev;
    sh_eval_init(&ev);
    sh_event *e = ev_with_args();
    const char *pat[] = {"al*"}, *pat2[] = {"alpha"};
    uint32_t len[] = {3}, len2[] = {5};
    sh_ir *any = sh_ir_wildcard(&p, sh_ir_field(&p, "args", 4, false), pat, len, 1, false);
    sh_ir *all = sh_ir_wildcard(&p, sh_ir_field(&p, "args", 4, false), pat2, len2, 1, false);
    CHECK(sh_ir_match(&ev, any, e));
    CHECK(sh_ir_match(&ev, all, e));
    all->flags |= SH_IRF_ALL;
    CHECK(!sh_ir_match(&ev, all, e));
    any->flags |= SH_IRF_ALL;
    CHECK(sh_ir_match(&ev, any, e));
    sh_ir *gt = sh_ir_binary(&p, SH_IR_CMP, SH_CMP_GT, sh_ir_field(&p, "args", 4, false), sh_ir_lit_str(&p, "alpha", 5));
    CHECK(sh_ir_match(&ev, gt, e)); /* "alps" > "alpha" */
    gt->flags |= SH_IRF_ALL;
    CHECK(!sh_ir_match(&ev, gt, e));
    sh_event_unref(e);
    sh_eval_free(&ev);
    sh_irpool_free(&p);
}

TEST(nullsafe_equality) {
    sh_irpool p;
    sh_irpool_init(&p);
    sh_eval ev;
    sh_eval_init(&ev);
    sh_event *e = ev_with_args();
    sh_ir *eq = sh_ir_binary(&p, SH_IR_CMP, SH_CMP_EQ, sh_ir_field(&p, "missing", 7, false), sh_ir_lit_int(&p, 3));
    CHECK_INT(sh_ir_eval(&ev, eq, e), SH_NULLT);
    eq->flags |= SH_IRF_NULLSAFE;
    CHECK_INT(sh_ir_eval(&ev, eq, e), SH_FALSE);
    sh_ir *ne = sh_ir_binary(&p, SH_IR_CMP, SH_CMP_NE, sh_ir_field(&p, "missing", 7, false), sh_ir_lit_int(&p, 3));
    ne->flags |= SH_IRF_NULLSAFE;
    CHECK_INT(sh_ir_eval(&ev, ne, e), SH_TRUE);
    sh_ir *both = sh_ir_binary(&p, SH_IR_CMP, SH_CMP_EQ, sh_ir_field(&p, "missing", 7, false),
                               sh_ir_field(&p, "nul", 3, false));
    both->flags |= SH_IRF_NULLSAFE;
    CHECK_INT(sh_ir_eval(&ev, both, e), SH_TRUE);
    sh_ir *isnull = sh_ir_unary(&p, SH_IR_ISNULL, sh_ir_field(&p, "nul", 3, false));
    CHECK_INT(sh_ir_eval(&ev, isnull, e), SH_TRUE);
    isnull->flags |= SH_IRF_NEGATE;
    CHECK_INT(sh_ir_eval(&ev, isnull, e), SH_FALSE);
    sh_event_unref(e);
    sh_eval_free(&ev);
    sh_irpool_free(&p);
}

TEST(regex_anchoring_and_cidr_builder) {
    sh_irpool p;
    sh_irpool_init(&p);
    sh_eval ev;
    sh_eval_init(&ev);
    sh_event *e = ev_with_args();
    const char *rx[] = {"lph"};
    uint32_t rl[] = {3};
    sh_diag d = {0};
    sh_ir *anch = sh_ir_regex(&p, sh_ir_field(&p, "args", 4, false), rx, rl, 1, false, true, &d);
    sh_ir *search = sh_ir_regex(&p, sh_ir_field(&p, "args", 4, false), rx, rl, 1, false, false, &d);
    CHECK(anch && search);
    if (anch && search) {
        CHECK(!sh_ir_match(&ev, anch, e));
        CHECK(sh_ir_match(&ev, search, e));
    }
    const char *bad[] = {"(("};
    uint32_t bl[] = {2};
    CHECK(sh_ir_regex(&p, sh_ir_field(&p, "args", 4, false), bad, bl, 1, false, true, &d) == NULL);
    CHECK_STR(d.msg, "regex: missing closing parenthesis at offset 2");
    CHECK_INT(d.col, 3);
    const char *blocks[] = {"10.0.0.0/8", "10.0.0.0/40"};
    uint32_t bls[] = {10, 11};
    CHECK(sh_ir_cidrmatch(&p, sh_ir_lit_str(&p, "10.1.2.3", 8), blocks, bls, 2, &d) == NULL);
    CHECK_STR(d.msg, "invalid CIDR block \"10.0.0.0/40\"");
    sh_ir *c = sh_ir_cidrmatch(&p, sh_ir_lit_str(&p, "10.1.2.3", 8), blocks, bls, 1, &d);
    CHECK(c && sh_ir_match(&ev, c, e));
    sh_event_unref(e);
    sh_eval_free(&ev);
    sh_irpool_free(&p);
}

TEST(wildcard_matcher) {
    CHECK(sh_wild_match("a*b?c", 5, "axxbyc", 6));
    CHECK(!sh_wild_match("a*b?c", 5, "axxbc", 5));
    CHECK(sh_wild_match("*", 1, "", 0));
    CHECK(sh_wild_match("**a**", 5, "a", 1));
    CHECK(sh_wild_match("*a*a*a", 6, "aaaa", 4));
    CHECK(!sh_wild_match("*a*a*a*b", 8, "aaaaaaaaaaaaaaaaaaaa", 20));
    CHECK(sh_wild_match("?", 1, "\xc3\xa9", 2)); /* one code point */
    CHECK(!sh_wild_match("??", 2, "\xc3\xa9", 2));
    CHECK(sh_wild_match("", 0, "", 0));
    CHECK(!sh_wild_match("", 0, "x", 1));
}

TEST(value_order_and_comparison) {
    sh_value n = sh_value_null(), s1 = sh_value_str("GTA", 3), s2 = sh_value_str("doom", 4);
    sh_value i9 = {.type = SH_INT, .i = 9, .s = "9", .len = 1}, i10 = {.type = SH_INT, .i = 10, .s = "10", .len = 2};
    sh_value t = {.type = SH_BOOL, .b = true, .s = "true", .len = 4};
    CHECK(sh_value_order(&n, &t) < 0);
    CHECK(sh_value_order(&t, &i9) < 0);
    CHECK(sh_value_order(&i9, &i10) < 0);
    CHECK(sh_value_order(&i10, &s1) < 0);
    CHECK(sh_value_order(&s1, &s2) < 0); /* bytes: 'G' < 'd' */
    CHECK_INT(sh_value_cmp(&s1, &s2, false), -1);
    CHECK_INT(sh_value_cmp(&s1, &s2, true), 1); /* "gta" > "doom" */
    sh_value t10 = sh_value_str("10", 2);
    CHECK_INT(sh_value_cmp(&i9, &t10, false), -1); /* numeric text compares as a number */
    CHECK_INT(sh_value_cmp(&n, &i9, false), 2);
}

TEST(join_key_tuples) {
    sh_irpool p;
    sh_irpool_init(&p);
    sh_eval ev;
    sh_eval_init(&ev);
    sh_event *e = ev_with_args();
    const sh_ir *keys[] = {sh_ir_field(&p, "args", 4, false), sh_ir_field(&p, "n", 1, false),
                           sh_ir_field(&p, "nul", 3, true)};
    uint8_t opt[] = {0, 0, 1};
    sh_stage_spec st = {.keys = keys, .key_optional = opt, .nkeys = 3};
    sh_keyset ks;
    CHECK(sh_keys_compute(&ev, &st, e, &ks));
    CHECK_INT(ks.ntuples, 2);
    uint32_t l;
    CHECK_STR(sh_key_text(ks.vals[0], &l), "alpha");
    CHECK_STR(sh_key_text(ks.vals[1], &l), "3");
    CHECK_STR(sh_key_text(ks.vals[2], &l), "null");
    CHECK_STR(sh_key_text(ks.vals[3], &l), "alps");
    CHECK(ks.hashes[0] != ks.hashes[1]);
    opt[2] = 0; /* a non-optional key without a value: no tuple */
    CHECK(!sh_keys_compute(&ev, &st, e, &ks));
    sh_event_unref(e);
    sh_eval_free(&ev);
    sh_irpool_free(&p);
}

TEST(key_table) {
    sh_keytab t = {0};
    int vals[3000];
    char k[32];
    for (int i = 0; i < 3000; i++) {
        int n = snprintf(k, sizeof k, "key%d", i);
        vals[i] = i;
        sh_keytab_put(&t, k, (uint32_t)n, sh_hash(k, (size_t)n), &vals[i]);
    }
    CHECK_INT(t.n, 3000);
    for (int i = 0; i < 3000; i += 2) {
        int n = snprintf(k, sizeof k, "key%d", i);
        sh_keytab_del(&t, k, (uint32_t)n, sh_hash(k, (size_t)n));
    }
    CHECK_INT(t.n, 1500);
    int n = snprintf(k, sizeof k, "key%d", 7);
    int *v = sh_keytab_get(&t, k, (uint32_t)n, sh_hash(k, (size_t)n));
    CHECK(v && *v == 7);
    n = snprintf(k, sizeof k, "key%d", 8);
    CHECK(sh_keytab_get(&t, k, (uint32_t)n, sh_hash(k, (size_t)n)) == NULL);
    sh_keytab_free(&t);
}

int main(void) {
    RUN(all_and_any_quantifiers);
    RUN(nullsafe_equality);
    RUN(regex_anchoring_and_cidr_builder);
    RUN(wildcard_matcher);
    RUN(value_order_and_comparison);
    RUN(join_key_tuples);
    RUN(key_table);
    TEST_MAIN_END();
}
