/* test.h: a very small unit-test harness. Each test file defines tests with
 * TEST(name) and lists them in main via RUN(name); CHECK* record failures
 * with file:line and keep going; the file ends with TEST_MAIN_END which
 * prints "N passed, N failed" and returns non-zero on any failure. */
#ifndef SHRIKE_TEST_H
#define SHRIKE_TEST_H
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static int t_passed, t_failed, t_cur_failed;
static const char *t_cur;

#define TEST(name) static void name(void)
#define RUN(name) do { t_cur = #name; t_cur_failed = 0; name(); \
    if (t_cur_failed) t_failed++; else t_passed++; } while (0)
#define FAILF(...) do { fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, t_cur); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); t_cur_failed = 1; } while (0)
#define CHECK(c) do { if (!(c)) FAILF("check failed: %s", #c); } while (0)
#define CHECK_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
    if (_a != _b) FAILF("%s == %lld, expected %lld", #a, _a, _b); } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); \
    if (!_a || !_b || strcmp(_a, _b) != 0) FAILF("%s == \"%s\", expected \"%s\"", #a, _a ? _a : "(null)", _b ? _b : "(null)"); } while (0)
#define TEST_MAIN_END() do { printf("%s: %d passed, %d failed\n", __FILE__, t_passed, t_failed); \
    return t_failed ? 1 : 0; } while (0)
#endif
