#!/usr/bin/env bash
# Serving a saved model end to end: for every registered algorithm,
# `recommend --all` from the file is byte-identical to the training run's
# --recommendations, at 1 and 3 ranks; lists for a file of users; unknown
# users get the popularity list (source = popular); filters; titles; predict
# reproduces train's test RMSE; explain's terms add up. On MovieLens when
# ../shared/data is present, on a generated genre checkerboard always.
source "$(dirname "$0")/common.bash"

ALGOS="als ials knn content popular hybrid"

# check_serving DIR RATINGS FEATURES...: trains each algorithm at 3 ranks and
# serves its model at 1 and 3 ranks.
check_serving() {
  local dir=$1 ratings=$2
  shift 2
  mkdir -p "$dir"
  for algo in $ALGOS; do
    local extra=()
    case $algo in content | hybrid) extra=(--item-features "$@") ;; esac
    [ "$algo" = hybrid ] && extra+=(--blend auto:ials,knn,content)
    run_np 3 train --algo "$algo" --ratings "$ratings" --iterations 5 --factors 16 "${extra[@]}" \
      --model "$dir/$algo.h5" --recommendations "$dir/$algo.csv" >"$dir/$algo.log" || fail "train $algo"
    for n in 1 3; do
      run_np $n recommend --model "$dir/$algo.h5" --all --out "$dir/$algo.r$n.csv" 2>/dev/null
      cmp -s "$dir/$algo.csv" "$dir/$algo.r$n.csv" || fail "$algo: recommend --all at $n ranks differs from train"
    done
    echo "$algo: recommend --all at 1 and 3 ranks = train --recommendations ($(wc -l <"$dir/$algo.csv") lines)"
  done
}

# --- generated genre checkerboard (always) ------------------------------------
awk 'BEGIN { srand(11); for (u = 0; u < 120; u++) { delete seen; n = 0; while (n < 12) {
  i = int(50 * rand()) + 50 * (u % 2); if (i in seen) continue; seen[i] = 1; n++;
  printf "%d\t%d\t%d\t%d\n", u, i, 3 + int(3 * rand()), 1000 * u + n } } }' >"$TMP/r.tsv"
checkerboard_movies >"$TMP/movies.csv"
check_serving "$TMP/gen" "$TMP/r.tsv" "$TMP/movies.csv"
head -n 2 "$TMP/gen/content.csv" | grep -q '^user,rank,item,score,title$' || fail "no title column"
grep -q ',"Film [0-9]*, part [0-9]"$' "$TMP/gen/content.csv" || fail "titles not quoted as CSV"

# A users file in the model's order gives the same rows as --all.
cut -f1 "$TMP/r.tsv" | sort -n -u >"$TMP/users.txt"
"$HPCREC" recommend --model "$TMP/gen/als.h5" --users "$TMP/users.txt" >"$TMP/users.csv" 2>/dev/null
cmp -s "$TMP/users.csv" "$TMP/gen/als.csv" || fail "recommend --users differs from --all"
run_np 2 recommend --model "$TMP/gen/knn.h5" --users "$TMP/users.txt" --out "$TMP/users2.csv" 2>/dev/null
cmp -s "$TMP/users2.csv" "$TMP/gen/knn.csv" || fail "recommend --users at 2 ranks differs from --all"

# Unknown users get the popularity list, known ones the model's.
printf '7\nnobody\n3\n' >"$TMP/mixed.txt"
run_np 2 recommend --model "$TMP/gen/ials.h5" --users "$TMP/mixed.txt" --top-n 4 >"$TMP/mixed.csv" 2>/dev/null
head -n 1 "$TMP/mixed.csv" | grep -qx "user,rank,item,score,source" || fail "no source column"
[ "$(grep -c '^nobody,[1-4],[0-9]*,[0-9.e+]*,popular$' "$TMP/mixed.csv")" = 4 ] || fail "unknown user not served popular"
[ "$(awk -F, 'NR > 1 && $NF == "model"' "$TMP/mixed.csv" | wc -l)" = 8 ] || fail "known users not served by the model"
[ "$(awk -F, 'NR > 1 { print $1 }' "$TMP/mixed.csv" | uniq | tr '\n' ' ')" = "7 nobody 3 " ] ||
  fail "users not in request order"
"$HPCREC" recommend --model "$TMP/gen/popular.h5" --all --top-n 4 2>/dev/null | awk -F, 'NR > 1 && $1 == 5' >"$TMP/pop5.csv"
awk -F, 'NR > 1 && $1 == "nobody" { print $2 "," $3 }' "$TMP/mixed.csv" >"$TMP/pop_nobody.txt"
[ -s "$TMP/pop_nobody.txt" ] || fail "no popular list"

# Filters: only the listed items; never the excluded ones; rated ones when asked.
seq 0 2 98 >"$TMP/even.txt"
"$HPCREC" recommend --model "$TMP/gen/als.h5" --all --only-items "$TMP/even.txt" 2>/dev/null |
  awk -F, 'NR > 1 && $3 % 2 { bad++ } END { exit bad > 0 }' || fail "--only-items let an odd item through"
top=$(awk -F, '$1 == 0 && $2 == 1 { print $3 }' "$TMP/gen/als.csv")
echo "$top" >"$TMP/ex.txt"
"$HPCREC" recommend --model "$TMP/gen/als.h5" --user 0 --exclude-items "$TMP/ex.txt" 2>/dev/null |
  awk -F, -v t="$top" 'NR > 1 && $3 == t { bad++ } END { exit bad > 0 }' || fail "--exclude-items ignored"
rated=$(awk '$1 == 0 { print $2 }' "$TMP/r.tsv" | sort -n | tr '\n' ' ')
inc=$("$HPCREC" recommend --model "$TMP/gen/ials.h5" --user 0 --top-n 50 --include-rated 2>/dev/null |
  awk -F, 'NR > 1 { print $3 }' | sort -n | tr '\n' ' ')
for i in $rated; do grep -qw "$i" <<<"$inc" || fail "--include-rated: rated item $i not listed"; done
expect_fail 2 "exactly one of --user, --users" "$HPCREC" recommend --model "$TMP/gen/als.h5"
expect_fail 2 "no such file" "$HPCREC" recommend --model "$TMP/gen/als.h5" --users "$TMP/none.txt"
expect_fail 2 "no such model file" "$HPCREC" recommend --model "$TMP/none.h5" --all

# Fold-in: users given by their ratings alone (a new comedy fan with 8
# ratings and one of an unknown item; user 1, a horror fan, from their own
# ratings), the same lists at 1 and 3 ranks.
for i in 3 7 12 18 21 29 33 40 100000; do printf 'fan\t%d\t5\n' "$i"; done >"$TMP/fold.tsv"
awk '$1 == 1' "$TMP/r.tsv" >>"$TMP/fold.tsv"
for algo in als ials knn content popular hybrid; do
  for n in 1 3; do
    run_np $n recommend --model "$TMP/gen/$algo.h5" --user-ratings "$TMP/fold.tsv" --top-n 5 \
      >"$TMP/fold_$algo.$n.csv" 2>/dev/null
  done
  cmp -s "$TMP/fold_$algo.1.csv" "$TMP/fold_$algo.3.csv" || fail "fold-in $algo differs between 1 and 3 ranks"
  [ "$(grep -c '^fan,' "$TMP/fold_$algo.1.csv")" = 5 ] || fail "fold-in $algo: no list for the new user"
  [ "$algo" = als ] || [ "$algo" = popular ] || awk -F, 'NR > 1 && (($1 == "fan") != ($3 < 50 || $3 >= 100)) { bad++ }
    END { exit bad > 0 }' "$TMP/fold_$algo.1.csv" || fail "fold-in $algo: a list from the other half"
done
awk -F, 'NR > 1 { print $2 "," $3 }' "$TMP/fold_knn.1.csv" | tail -n 5 >"$TMP/fold_knn_1.txt"
grep '^1,' "$TMP/gen/knn.csv" | head -n 5 | cut -d, -f2,3 | cmp -s - "$TMP/fold_knn_1.txt" ||
  fail "knn fold-in of a user's own ratings differs from the model's list"
run_np 1 train --algo knn --knn-on users --ratings "$TMP/r.tsv" --model "$TMP/uknn.h5" >/dev/null
expect_fail 2 "cannot score users by their ratings alone" "$HPCREC" recommend --model "$TMP/uknn.h5" \
  --user-ratings "$TMP/fold.tsv"

# explain: the terms add up to the score it prints.
"$HPCREC" explain --model "$TMP/gen/als.h5" --user 0 --item "$top" --top 1000 >"$TMP/explain.txt"
cat "$TMP/explain.txt" | head -n 6
score=$(sed -n 's/.*: score \([^ ]*\) .*/\1/p' "$TMP/explain.txt")
sum=$(awk -F, 'NR > 3 { s += $4 } END { printf "%.10g", s }' "$TMP/explain.txt")
awk -v a="$score" -v b="$sum" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d < 1e-4 * (1 + (a < 0 ? -a : a))) }' ||
  fail "explain terms sum to $sum, score $score"
for algo in $ALGOS; do
  "$HPCREC" explain --model "$TMP/gen/$algo.h5" --user 1 --item 55 >/dev/null || fail "explain $algo"
done
expect_fail 2 "is not in the model" "$HPCREC" explain --model "$TMP/gen/als.h5" --user nobody --item 1
# Bad pair and rating files: FILE:LINE and what was expected, at 1 and 2 ranks, no hang.
printf '1\t2\t5\n1\t3\t4\t9\t9\n' >"$TMP/bad5.tsv"
printf '1\t2\t5\n1\t3\tfive\n' >"$TMP/badr.tsv"
expect_fail 2 "bad5.tsv:2: expected user,item\[,rating\[,timestamp\]\]" run_np 2 predict --model "$TMP/gen/als.h5" \
  --pairs "$TMP/bad5.tsv"
expect_fail 2 "badr.tsv:2: expected a number as the rating, got 'five'" run_np 2 recommend \
  --model "$TMP/gen/als.h5" --user-ratings "$TMP/badr.tsv"
expect_fail 2 "badr.tsv:2: expected a number" run_np 2 update --model "$TMP/gen/als.h5" --ratings "$TMP/badr.tsv" \
  --model-out "$TMP/never.h5"
[ ! -e "$TMP/never.h5" ] || fail "a failed update left a model file"

# --- MovieLens --------------------------------------------------------------------------
if [ ! -d "${SHARED_DATA:-}/ml-latest-small" ] || [ ! -d "${SHARED_DATA:-}/ml-100k" ]; then
  echo "MovieLens not found under SHARED_DATA: generated data only"
  echo PASS
  exit 0
fi
ML=$SHARED_DATA/ml-latest-small
check_serving "$TMP/ml" "$ML/ratings.csv" "$ML/movies.csv" "$ML/tags.csv"
grep -q '^1,1,.*(19[0-9][0-9])$\|^1,1,.*(20[0-9][0-9])$\|^1,1,.*)"$' "$TMP/ml/content.csv" || fail "ml-latest-small titles"
cut -d, -f1 "$ML/ratings.csv" | tail -n +2 | sort -n -u >"$TMP/ml_users.txt"
[ "$(wc -l <"$TMP/ml_users.txt")" = 610 ] || fail "expected 610 users"
"$HPCREC" recommend --model "$TMP/ml/ials.h5" --users "$TMP/ml_users.txt" --out "$TMP/ml_users.csv" 2>&1 | tail -n 1
cmp -s "$TMP/ml_users.csv" "$TMP/ml/ials.csv" || fail "recommend --users (610 users) differs from train"

# predict reproduces train's test RMSE (ml-100k u1).
K=$SHARED_DATA/ml-100k
rmse=$(run_np 2 train --ratings "$K/u1.base" --test "$K/u1.test" --iterations 5 --model "$TMP/u1.h5" |
  sed -n 's/^final:.* test_rmse \([0-9.]*\).*/\1/p')
"$HPCREC" predict --model "$TMP/u1.h5" --pairs "$K/u1.test" --out "$TMP/pred.csv" 2>"$TMP/pred.err"
cat "$TMP/pred.err"
prmse=$(sed -n 's/.*; rmse \([0-9.]*\) .*/\1/p' "$TMP/pred.err")
awk -v a="$rmse" -v b="$prmse" 'BEGIN { d = a - b; exit !(d < 5e-5 && d > -5e-5) }' ||
  fail "predict RMSE $prmse, train $rmse"
[ "$(wc -l <"$TMP/pred.csv")" = 20001 ] || fail "predict: one line per pair"

# Fold-in on ml-100k: user 1's u1.base ratings given as a new user ("1b") get
# nearly user 1's trained list (the vector is re-solved against the final
# items, one half-step apart), at 1 and 3 ranks alike.
awk -F'\t' '$1 == 1 { print "1b\t" $2 "\t" $3 }' "$K/u1.base" >"$TMP/u1b.tsv"
for algo in als ials; do
  run_np 2 train --algo "$algo" --ratings "$K/u1.base" --model "$TMP/f_$algo.h5" >/dev/null
  "$HPCREC" recommend --model "$TMP/f_$algo.h5" --user 1 2>/dev/null | awk -F, 'NR > 1 { print $3 }' | sort >"$TMP/t1.txt"
  for n in 1 3; do
    run_np $n recommend --model "$TMP/f_$algo.h5" --user-ratings "$TMP/u1b.tsv" 2>/dev/null >"$TMP/f1b.$n.csv"
  done
  cmp -s "$TMP/f1b.1.csv" "$TMP/f1b.3.csv" || fail "fold-in $algo on ml-100k differs between 1 and 3 ranks"
  awk -F, 'NR > 1 { print $3 }' "$TMP/f1b.1.csv" | sort >"$TMP/f1.txt"
  common=$(comm -12 "$TMP/t1.txt" "$TMP/f1.txt" | wc -l)
  echo "ml-100k $algo: user 1 folded in from u1.base shares $common of 10 items with the trained list"
  [ "$common" -ge 8 ] || fail "fold-in $algo: only $common of 10 items in common with the trained user"
done

# u.item titles are Latin-1: shown as UTF-8.
run_np 1 train --algo popular --ratings "$K/u.data" --item-titles "$K/u.item" --model "$TMP/k.h5" >/dev/null
"$HPCREC" recommend --model "$TMP/k.h5" --all --top-n 50 --out "$TMP/k.csv" 2>/dev/null
iconv -f UTF-8 -t UTF-8 "$TMP/k.csv" >/dev/null || fail "titles are not UTF-8"
grep -q 'Toy Story (1995)' "$TMP/k.csv" || fail "no ml-100k titles"
echo PASS
