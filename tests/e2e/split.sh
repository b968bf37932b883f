#!/usr/bin/env bash
# hpcrec split writes the same files at any rank count, for every kind of split.
source "$(dirname "$0")/common.bash"

"$HPCREC" generate --out "$TMP/r.tsv" --users 200 --items 80 --ratings 3000 --seed 4 >/dev/null
for kind in "--split random --holdout 0.2" "--split user --holdout 0.25" "--split temporal --holdout 0.3" \
            "--split leave-k-out --leave-k 2"; do
  for n in 1 2 3 4; do
    # shellcheck disable=SC2086
    run_np $n split --ratings "$TMP/r.tsv" $kind --out-train "$TMP/train$n.tsv" --out-test "$TMP/test$n.tsv" >/dev/null
  done
  for n in 2 3 4; do
    cmp -s "$TMP/train1.tsv" "$TMP/train$n.tsv" || fail "$kind: train differs at $n ranks"
    cmp -s "$TMP/test1.tsv" "$TMP/test$n.tsv" || fail "$kind: test differs at $n ranks"
  done
  # Together the two files hold every rating exactly once.
  diff <(sort "$TMP/r.tsv") <(cat "$TMP/train1.tsv" "$TMP/test1.tsv" | sort) >/dev/null || fail "$kind: not a partition"
  echo "$kind: $(wc -l <"$TMP/train1.tsv") train, $(wc -l <"$TMP/test1.tsv") test"
done
# leave-k-out: exactly 2 test ratings for every user with at least 3.
awk -F'\t' '{ n[$1]++ } END { for (u in n) if (n[u] != 2) bad++; exit bad > 0 }' "$TMP/test1.tsv" ||
  echo "note: some users have fewer than 3 ratings"
# Temporal: every test rating of a user is no earlier than all of its training ratings.
"$HPCREC" split --ratings "$TMP/r.tsv" --split temporal --holdout 0.3 --out-train "$TMP/a.tsv" --out-test "$TMP/b.tsv" >/dev/null
awk -F'\t' 'FNR == NR { if ($4 > last[$1]) last[$1] = $4; next } $4 < last[$1] { bad++ } END { exit bad > 0 }' \
  "$TMP/a.tsv" "$TMP/b.tsv" || fail "temporal split holds out an earlier rating"
expect_fail 2 "needs --holdout" "$HPCREC" split --ratings "$TMP/r.tsv" --out-train "$TMP/x" --out-test "$TMP/y"
expect_fail 2 "leave-k" "$HPCREC" split --ratings "$TMP/r.tsv" --split leave-k-out --out-train "$TMP/x" --out-test "$TMP/y"
echo PASS
