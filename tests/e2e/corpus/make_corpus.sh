#!/usr/bin/env bash
# Writes the bad-input corpus of e2e_bad_input_corpus into DIR: malformed and
# edge-case ratings, INI files, item metadata, and damaged HDF5 models,
# checkpoints and embeddings. Everything is generated (small synthetic data
# from `hpcrec generate`), nothing is committed but this script.
# Usage: HPCREC=build/hpcrec make_corpus.sh DIR
set -euo pipefail
: "${HPCREC:?HPCREC must name the hpcrec binary}"
D=${1:?usage: make_corpus.sh DIR}
mkdir -p "$D"
cd "$D"

# Valid base data: 60 users x 40 items, 600 ratings 1..5 with timestamps.
"$HPCREC" generate --out base.tsv --users 60 --items 40 --ratings 600 --seed 3 >/dev/null
# ~100K ratings for the memory estimate (item 3 of issue 14).
"$HPCREC" generate --out big.tsv --users 1000 --items 1700 --ratings 100000 --seed 4 >/dev/null

# with_line FILE N TEXT: base.tsv with line N replaced by TEXT.
with_line() { awk -v n="$2" -v t="$3" 'NR == n { print t; next } { print }' base.tsv >"$1"; }

# --- Ratings: bad fields -----------------------------------------------------
with_line bad_field.tsv 5 $'7\t3\tabc\t100'
with_line nan.tsv 7 $'7\t3\tnan\t100'
with_line inf.tsv 3 $'7\t3\tinf\t100'
with_line neg_inf.tsv 4 $'7\t3\t-inf\t100'
with_line short.tsv 2 $'7\t3'
with_line many_fields.tsv 6 $'7\t3\t4\t100\t5\t6'
with_line empty_user.tsv 2 $'\t3\t4\t100'
with_line empty_item.tsv 3 $'7\t\t4\t100'
with_line bad_timestamp.tsv 3 $'7\t3\t4\tyesterday'
with_line huge_rating.tsv 4 $'7\t3\t1e26\t100'
with_line big_rating.tsv 4 $'7\t3\t1e20\t100'
with_line big_negative.tsv 9 $'7\t3\t-2e9\t100'
with_line overflow_rating.tsv 4 $'7\t3\t1e300\t100'
with_line hex_rating.tsv 4 $'7\t3\t0x10\t100'
printf '1,2,3\n1,3,"4\n2,2,5\n' >unterminated_quote.csv
printf '1\t2\t3\n\0\0\0\x01\x02garbage\xff\xfe\n' >binary.tsv
# Edge cases that are valid.
printf 'userId,movieId,rating,timestamp\r\n1,10,4,1\r\n1,11,3,2\r\n2,10,5,3\r\n2,12,2,4\r\n3,11,1,5\r\n3,12,4,6\r\n' >crlf.csv
printf '\xEF\xBB\xBFuserId,movieId,rating\n1,10,4\n1,11,3\n2,10,5\n2,12,2\n3,11,1\n3,12,4\n' >bom.csv
printf '\xEF\xBB\xBF1\t10\t4\r\n1\t11\t3\r\n2\t10\t5\r\n2\t12\t2\r\n3\t11\t1\r\n' >bom_crlf.tsv
printf '"1","10","4"\n"1","11","3.5"\n"2","10","5"\n"2","12","2"\n"3, the third","11","1"\n' >quoted.csv
printf '1\t10\t-3\n1\t11\t-1.5\n2\t10\t0\n2\t12\t-2\n3\t11\t1\n' >negative.tsv
printf '1\t10\t1e9\n1\t11\t-1e9\n2\t10\t5\n2\t12\t2\n3\t11\t1\n' >range_edge.tsv
printf '12345678901234567890123\t10\t4\n-99999999999999999999999\t11\t3\n9223372036854775807\t10\t5\n-9223372036854775808\t12\t2\n' >huge_ids.tsv
printf '7\t3\t4\t100\n' >one_rating.tsv
# Duplicates: (1, 10) three times.
printf '1\t10\t4\t10\n1\t10\t2\t30\n1\t10\t5\t20\n2\t10\t3\t5\n2\t11\t1\t6\n' >duplicates.tsv
# Empty, header-only, blank.
: >empty.tsv
printf 'userId,movieId,rating,timestamp\n' >header_only.csv
printf '\n   \n\t\n\n' >blank.tsv
mkdir -p a_directory.tsv

# --- INI files (--config) ------------------------------------------------------
printf '# a comment\nfactors = 4\nnope = 1\n' >unknown_key.ini
printf 'factors = 4\nfactors\n' >no_equals.ini
printf '# k\n\niterations = 1\nfactors = abc\n' >bad_value.ini
printf '\xEF\xBB\xBFfactors = 3\niterations = 1\n' >bom.ini
printf 'factors = 3\r\niterations = 1\r\n' >crlf.ini
printf 'iterations = 1\nholdout = nan\n' >nan.ini
printf 'factors = 2\nfactors = 3\n' >twice.ini

# --- Item metadata -------------------------------------------------------------
# MovieLens files are recognised by name: each case in its own directory.
mkdir -p header_only bad_movies
printf 'movieId,title,genres\n' >header_only/movies.csv
printf 'movieId,title,genres\n1,Film one,Comedy\nnot-a-number,Film two,Drama\n' >bad_movies/movies.csv
printf '1,10\n1,11,4\n1,12,abc\n' >pairs_bad.csv

# --- KNN / content with nothing to store -------------------------------------
printf '1\t10\t4\n2\t10\t3\n3\t10\t5\n' >one_item.tsv
printf '1\t10\t4\n2\t11\t3\n3\t12\t5\n4\t13\t2\n' >no_coratings.tsv

# --- HDF5: models, checkpoints, embeddings -----------------------------------
# data_offset FILE DATASET: byte offset of a contiguous dataset's data.
data_offset() { h5dump -p -H -d "$2" "$1" | awk '/OFFSET/ { print $2; exit }'; }
# overwrite FILE OFFSET BYTES [SOURCE]: damage in place.
overwrite() { dd if="${4:-/dev/zero}" of="$1" bs=1 seek="$2" count="$3" conv=notrunc status=none; }

"$HPCREC" train --ratings base.tsv --factors 16 --iterations 2 --model model.h5 >/dev/null
size=$(stat -c %s model.h5)
cp model.h5 model_truncated.h5 && truncate -s $((size / 2)) model_truncated.h5
# 4 KiB of zeros in the middle of the file (here HDF5's own metadata), and
# 4 KiB inside the user factors (7.5 KiB: 60 users x 16): only the stored
# checksum tells the second from a valid model.
cp model.h5 model_4k.h5 && overwrite model_4k.h5 $((size / 2 - 2048)) 4096
cp model.h5 model_4k_factors.h5
overwrite model_4k_factors.h5 $(($(data_offset model.h5 /users/factors) + 1024)) 4096
echo "not a model" >model_text.h5
: >model_empty.h5
# One user factor set to NaN (little-endian quiet NaN).
cp model.h5 model_nan.h5
overwrite model_nan.h5 "$(data_offset model.h5 /users/factors)" 8 <(printf '\0\0\0\0\0\0\xf8\x7f')

"$HPCREC" train --ratings base.tsv --holdout 0.2 --factors 4 --iterations 3 --checkpoint-dir ckpt \
  --checkpoint-every 3 >/dev/null
ck=ckpt/ckpt-000003.h5
size=$(stat -c %s "$ck")
cp "$ck" ckpt_truncated.h5 && truncate -s $((size / 2)) ckpt_truncated.h5
cp "$ck" ckpt_4k.h5 && overwrite ckpt_4k.h5 $((size / 2 - 2048)) 4096
echo "not a checkpoint" >ckpt_text.h5
"$HPCREC" train --algo ials --ratings base.tsv --factors 4 --iterations 2 --checkpoint-dir ckpt_ials \
  --checkpoint-every 2 >/dev/null

"$HPCREC" generate --out emb_ratings.tsv --users 40 --items 30 --ratings 300 --seed 5 \
  --item-embeddings-out emb.h5 >/dev/null
size=$(stat -c %s emb.h5)
cp emb.h5 emb_truncated.h5 && truncate -s $((size / 2)) emb_truncated.h5
echo "not embeddings" >emb_text.h5
cp emb.h5 emb_zero.h5
overwrite emb_zero.h5 "$(data_offset emb.h5 /items/embeddings)" \
  "$(h5dump -p -H -d /items/embeddings emb.h5 | awk '/SIZE/ { print $2; exit }')"
echo "corpus: $(ls | wc -l) files in $D"
