#!/usr/bin/env bash
# exclusions.sh: end-to-end tests of exclusions (docs/tuning.md): the PKI administrator's makecert
# scenario stops alerting with the pack's exclusions while the attack scenarios still alert; the
# summary counts what was suppressed; the default pack brings its exclusions and -r does not;
# --exclusions and --no-exclusions; a bad file is refused with file:line. Then the acceptance
# check of the bundled pack: every attack scenario file alerts, no benign one does.
# $SHRIKE is the binary, $SHRIKE_WRAP an optional wrapper (valgrind).
# Prints "exclusions: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
BIN=${SHRIKE:-build/shrike}
WRAP=${SHRIKE_WRAP:-}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
S=tests/scenarios
PACK_EXCL=rules/exclusions.toml

run() { # run NAME EXPECTED_RC ARGS... ; stdout in $T/out, stderr in $T/err
    local name=$1 want=$2
    shift 2
    $WRAP "$BIN" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"; sed 's/^/  stderr: /' "$T/err" | head -5
        fail=$((fail + 1)); return 1
    fi
    return 0
}
alerts() { wc -l < "$T/out"; }
expect_alerts() { # expect_alerts NAME N
    local n
    n=$(alerts)
    if [ "$n" -eq "$2" ]; then pass=$((pass + 1)); else
        echo "FAIL $1: $n alerts, expected $2"; jq -c '[.rule.id, .process.name]' < "$T/out" | head -5
        fail=$((fail + 1)); fi
}
expect_summary() { # expect_summary NAME TEXT (a substring of the summary line)
    if grep -qF -- "$2" "$T/err"; then pass=$((pass + 1)); else
        echo "FAIL $1: summary lacks: $2"; tail -1 "$T/err"; fail=$((fail + 1)); fi
}

# ---- the PKI administrator's makecert and pvk2pfx, with the EQL rules (2 rules x 2 tools)
for f in endpoint.ndjson winlogbeat.ndjson sysmon.xml; do
    in=$S/benign-pki-admin-makecert/$f
    run "pki $f raw" 0 scan -r rules/eql -f jsonl "$in" && {
        expect_alerts "pki $f raw" 4
        expect_summary "pki $f raw" "4 alerts from 2 rules, "
    }
    run "pki $f tuned" 0 scan -r rules/eql --exclusions "$PACK_EXCL" -f jsonl "$in" && {
        expect_alerts "pki $f tuned" 0
        expect_summary "pki $f tuned" "0 alerts from 2 rules (4 suppressed by exclusions), "
    }
done
# the attack scenarios still raise every alert the EQL rules raise on them (expected.tsv), none suppressed
for dir in "$S"/*/; do
    c=$(basename "$dir")
    grep -qx "@kind	attack" "$dir/expected.tsv" || continue
    want=$(awk -F'\t' '$1 == "endpoint.ndjson" && $2 !~ /^@/ { n += $3 } END { print n + 0 }' "$dir/expected.tsv")
    run "attack $c" 0 scan -r rules/eql --exclusions "$PACK_EXCL" -f jsonl "$dir/endpoint.ndjson" && {
        expect_alerts "attack $c" "$want"
        expect_summary "attack $c" "(0 suppressed by exclusions)"
    }
done

# ---- the default pack brings its exclusions; -r does not; --no-exclusions drops them
in=$S/benign-pki-admin-makecert/endpoint.ndjson
run default-pack 0 scan -f jsonl "$in" && { expect_alerts default-pack 0; expect_summary default-pack "suppressed by exclusions)"; }
run explicit-rules 0 scan -r rules -f jsonl "$in" && {
    [ "$(alerts)" -gt 0 ] && pass=$((pass + 1)) || { echo "FAIL explicit-rules: no alerts"; fail=$((fail + 1)); }
    grep -q "suppressed" "$T/err" && { echo "FAIL explicit-rules: exclusions applied"; fail=$((fail + 1)); } || pass=$((pass + 1))
}
run no-exclusions 0 scan --no-exclusions -f jsonl "$in" && {
    [ "$(alerts)" -gt 0 ] && pass=$((pass + 1)) || { echo "FAIL no-exclusions: no alerts"; fail=$((fail + 1)); }
}

# ---- an entry per rule: only the named rule's alerts go
cat > "$T/one.toml" <<'EOF'
[[exclude]]
name = "makecert only, verbatim rule only"
rules = ["3c61745c-61a8-5572-942c-0a3408dacc18"]
path = "makecert.exe"
EOF
run per-rule 0 scan -r rules/eql --exclusions "$T/one.toml" -f jsonl "$in" && {
    expect_alerts per-rule 3
    expect_summary per-rule "3 alerts from 2 rules (1 suppressed by exclusions), "
}

# ---- errors: file:line and exit 2, before anything is read
printf '[[exclude]]\nhost = "a"\n\n[[exclude]]\nparent = 7\n' > "$T/bad.toml"
run bad-file 2 scan -r rules/eql --exclusions "$T/bad.toml" "$in" &&
    { grep -qxF "shrike scan: $T/bad.toml:5: 'parent' must be a pattern or a non-empty array of patterns" "$T/err" &&
      pass=$((pass + 1)) || { echo "FAIL bad-file message"; cat "$T/err"; fail=$((fail + 1)); }; }
run missing-file 2 scan -r rules/eql --exclusions "$T/none.toml" "$in" &&
    { grep -q "^shrike scan: $T/none.toml" "$T/err" && pass=$((pass + 1)) || { echo "FAIL missing-file"; cat "$T/err"; fail=$((fail + 1)); }; }
# the pack's own exclusion file is no rule: rules check does not see it
run rules-check 0 rules check && { grep -q "exclusions" "$T/out" && { echo "FAIL rules-check mentions exclusions"; fail=$((fail + 1)); } || pass=$((pass + 1)); }

# ---- acceptance: the bundled pack (with its exclusions) on every scenario file (under a
# wrapper such as valgrind, on the first file of each case: the same code paths, a tenth of the time)
# The hand-written variants (tests/variants) are held to the same bar; a file of theirs that
# cannot show the attack says so in a "# no-alert FILE: reason" comment of its expected.tsv.
for dir in "$S"/*/ tests/variants/*/; do
    case=$(basename "$dir")
    kind=$(awk -F'\t' '$1 == "@kind" { print $2 }' "$dir/expected.tsv")
    nf=0
    for f in "$dir"*.ndjson "$dir"*.xml; do
        [ -f "$f" ] || continue
        nf=$((nf + 1))
        [ -n "$WRAP" ] && [ "$nf" -gt 1 ] && continue
        run "pack $case/$(basename "$f")" 0 scan -f jsonl "$f" || continue
        n=$(alerts)
        if [ "$kind" = benign ] && [ "$n" -ne 0 ]; then
            echo "FAIL pack $case/$(basename "$f"): benign, $n alert(s): $(jq -r '.rule.name' < "$T/out" | sort | uniq -c | tr '\n' ' ')"
            fail=$((fail + 1))
        elif [ "$kind" = attack ] && [ "$n" -eq 0 ]; then
            # a rendering that holds no event of the attack's tools (4104 alone, 4657 alone) is not expected to alert
            if grep -q '"ScriptBlockText"\|<EventID>4104<\|<EventID>4657<' "$f" && ! grep -q '<EventID>4688<\|<EventID>1<' "$f"; then
                pass=$((pass + 1))
            elif grep -qF "# no-alert $(basename "$f"):" "$dir/expected.tsv"; then
                pass=$((pass + 1))
            else
                echo "FAIL pack $case/$(basename "$f"): attack, no alert"; fail=$((fail + 1))
            fi
        else
            pass=$((pass + 1))
        fi
    done
done

echo "exclusions: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
