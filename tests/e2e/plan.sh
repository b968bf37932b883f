#!/usr/bin/env bash
# hpcrec plan: a capacity plan on a tiny generated file is sane (every rating
# and row on some rank, exchanged bytes zero at one rank and positive at
# more, the JSON agrees with the table, train's MB_exchanged matches the plan
# exactly at 2 ranks), a generated shape plans without a file, and bad input
# exits 2 with a message naming the option. Nothing here asserts on time or
# on memory beyond "positive".
source "$(dirname "$0")/common.bash"

"$HPCREC" generate --out "$TMP/r.tsv" --users 300 --items 120 --ratings 6000 --seed 4 >/dev/null
plan() { "$HPCREC" plan --gflops 1 "$@"; }

out=$(plan --ratings "$TMP/r.tsv" --ranks 3 --factors 8) || fail "plan failed: $out"
echo "$out"
grep -q "^total: " <<<"$out" || fail "no total line"
grep -qE "^peak memory: [0-9.]+ MB" <<<"$out" || fail "no peak memory line"
[ "$(grep -cE '^ +[0-2] ' <<<"$out")" = 3 ] || fail "expected a row for each of 3 ranks"

# JSON: rows and ratings add up; bytes positive at 3 ranks, zero at 1.
json3=$(plan --ratings "$TMP/r.tsv" --ranks 3 --factors 8 --json) || fail "plan --json failed"
json1=$(plan --ratings "$TMP/r.tsv" --ranks 1 --factors 8 --algo ials --json) || fail "plan --json at 1 rank failed"
python3 - "$json3" "$json1" <<'EOF' || fail "plan JSON is not sane"
import json, sys
p3, p1 = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for p in (p3, p1):
    r = p["per_rank"]
    assert len(r) == p["ranks"], "one entry per rank"
    assert sum(x["users"] for x in r) == p["users"] == 300, "users add up"
    assert sum(x["items"] for x in r) == p["items"] == 120, "items add up"
    assert sum(x["user_ratings"] for x in r) == p["ratings"] == 6000, "user blocks hold every rating"
    assert sum(x["item_ratings"] for x in r) == p["ratings"], "item blocks hold every rating"
    assert all(x["peak_mb"] > 0 for x in r), "positive peak"
    assert p["peak_mb_max_rank"] == max(x["peak_mb"] for x in r)
    for x in r:
        assert x["gathered_items"] <= p["items"] and x["gathered_users"] <= p["users"]
sent = sum(x["mb_sent_per_iteration"] for x in p3["per_rank"])
recv = sum(x["mb_received_per_iteration"] for x in p3["per_rank"])
assert p3["mb_exchanged_per_iteration"] > 0 and abs(sent - recv) < 1e-9, (sent, recv)
assert abs(sent - p3["mb_exchanged_per_iteration"]) < 1e-9
assert p1["mb_exchanged_per_iteration"] == 0, "nothing exchanged at one rank"
assert p3["gathered_rows"] == "exact"
EOF

# The plan's exchanged bytes are train's, exactly (both count the routing plan's rows).
planned=$(plan --ratings "$TMP/r.tsv" --ranks 2 --factors 8 --json |
  python3 -c 'import json,sys; print("%.6f" % json.load(sys.stdin)["mb_exchanged_per_iteration"])')
run_np 2 train --ratings "$TMP/r.tsv" --factors 8 --iterations 1 --metrics-out "$TMP/m.jsonl" >/dev/null
trained=$(tail -n 1 "$TMP/m.jsonl" |
  python3 -c 'import json,sys; print("%.6f" % json.load(sys.stdin)["mb_exchanged_per_iteration"])')
[ "$planned" = "$trained" ] || fail "plan says $planned MB exchanged per iteration, train $trained"

# A generated shape, without a file: expected gathered rows, many ranks summarised.
out=$(plan --users 5000 --items 800 --ratings 60000 --ranks 64 --algo ials --factors 16) ||
  fail "plan of a generated shape failed: $out"
grep -q "expected (independence model)" <<<"$out" || fail "a shape's gathered rows are not the expected ones"
grep -q "(60 ranks; --per-rank prints all)" <<<"$out" || fail "64 ranks not summarised: $out"
# A memory limit below the need warns (and still exits 0).
out=$(plan --ratings "$TMP/r.tsv" --ranks 2 --memory-per-rank 1) || fail "plan with a small limit failed"
grep -q "^warning: 2 rank(s) would exceed the 1.0 MB per rank" <<<"$out" || fail "no memory warning: $out"
# --sample: scaled up, expected gathered rows.
out=$(plan --ratings "$TMP/r.tsv" --ranks 2 --sample 0.5) || fail "plan --sample failed: $out"
grep -q "sample 0.5, scaled up" <<<"$out" || fail "--sample not reported: $out"

# Bad input: exit 2 and a message naming the problem (each start of the
# binary costs MPI's singleton start-up, so a few representative cases).
expect_fail 2 "the option '--ranks' is required" "$HPCREC" plan --ratings "$TMP/r.tsv"
expect_fail 2 "--ranks must be positive" "$HPCREC" plan --ratings "$TMP/r.tsv" --ranks 0
expect_fail 2 "--algo must be als or ials" "$HPCREC" plan --ratings "$TMP/r.tsv" --ranks 2 --algo bpmf
expect_fail 2 "--sample must be in \(0, 1\]" "$HPCREC" plan --ratings "$TMP/r.tsv" --ranks 2 --sample 0
expect_fail 2 "no such file|cannot open" "$HPCREC" plan --ratings "$TMP/missing.tsv" --ranks 2
expect_fail 2 "is a number of ratings" "$HPCREC" plan --users 10 --items 10 --ratings lots --ranks 2
expect_fail 2 "more than --users x --items" "$HPCREC" plan --users 10 --items 10 --ratings 101 --ranks 2
expect_fail 2 "runs on one process" "$MPIEXEC" -n 2 "$HPCREC" plan --ratings "$TMP/r.tsv" --ranks 2
printf 'u1\ti1\t5\nu2\ti2\tfive\n' >"$TMP/bad.tsv"
expect_fail 2 "bad.tsv:2" "$HPCREC" plan --ratings "$TMP/bad.tsv" --ranks 2
echo PASS
