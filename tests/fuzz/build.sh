#!/usr/bin/env bash
# build.sh: builds every tests/fuzz/fuzz_*.c as a libFuzzer binary under
# ASan+UBSan into build-fuzz/. Run one with its seed corpus, e.g.
#   build-fuzz/fuzz_json tests/fuzz/corpus/json -max_total_time=300
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s BUILD=build-fuzz CC=clang SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" OPT="-O1 -DSHRIKE_CHECK_TS" build-fuzz/libshrike.a
for f in tests/fuzz/fuzz_*.c; do
    out=build-fuzz/$(basename "${f%.c}")
    clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude -Isrc -Ibuild-fuzz/gen \
        "$f" build-fuzz/libshrike.a -lpcre2-8 -lyaml -lexpat -lhs -lz -lm -lpthread -o "$out"
    echo "built $out"
done
