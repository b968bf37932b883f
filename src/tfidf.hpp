// TF-IDF vectors of item documents, defined exactly as scikit-learn's
// TfidfVectorizer documents them, so that with the same settings the vectors
// agree to 1e-6. No MPI, no files.
//
// Analysis of one document (text + whole tokens):
//   1. lower case (ASCII A-Z only; with `lowercase`);
//   2. words = maximal runs of alphanumeric bytes [A-Za-z0-9] where every
//      byte >= 0x80 also counts as alphanumeric (so UTF-8 words stay whole);
//      runs shorter than `min_token_length` (default 2, as scikit-learn's
//      default token_pattern r"(?u)\b\w\w+\b") are dropped;
//   3. with `stop_words`, words in english_stop_words() are removed;
//   4. n-grams: ngram_max = 1 gives the words; 2 gives the words followed by
//      each pair of consecutive (remaining) words joined by one space
//      ("sci fi"), as scikit-learn's ngram_range=(1, 2);
//   5. the whole tokens (e.g. "genre:Sci-Fi") are appended as they are: not
//      lower-cased, split, stop-worded or part of n-grams.
// scikit-learn equivalent for plain ASCII text without whole tokens:
//   TfidfVectorizer(token_pattern=r"[A-Za-z0-9]{2,}", lowercase=True,
//                   stop_words=<english_stop_words() as a list or None>,
//                   ngram_range=(1, ngram_max), min_df=..., max_df=...,
//                   sublinear_tf=..., smooth_idf=..., norm="l2")
// (its default token_pattern also counts '_' as a word character).
//
// Vocabulary: the distinct terms with min_count <= df(t) <= max_count, where
// df(t) = the number of documents containing t and, over n documents,
//   count bound (DocFrequency{k, false})   : k
//   fraction bound (DocFrequency{f, true}) : f * n
// (scikit-learn: an int min_df/max_df is a count, a float a fraction).
// Sorted by bytes (= by Unicode code point, as scikit-learn's sorted
// vocabulary), so column j is the j-th term.
//
// Weights, for document d and term t with raw count tf(t, d):
//   tf'     = tf                       (sublinear_tf = false)
//           = 1 + ln(tf)               (sublinear_tf = true)
//   idf(t)  = ln((1 + n) / (1 + df(t))) + 1   (smooth_idf = true)
//           = ln(n / df(t)) + 1               (smooth_idf = false)
//           = 1                               (use_idf = false)
//   w(t, d) = tf' * idf(t), then each row divided by its l2 norm
//             sqrt(sum_t w(t, d)^2) (l2_norm; rows of zeros stay empty).
// Computed in double, stored as float.
//
// Worked example (defaults): documents "the cat sat", "the dog sat",
// "the cat cat ran" (n = 3). df: the 3, sat 2, cat 2, dog 1, ran 1, so
// idf(the) = ln(4/4)+1 = 1, idf(sat) = idf(cat) = ln(4/3)+1 = 1.287682,
// idf(dog) = idf(ran) = ln(4/2)+1 = 1.693147. Vocabulary (sorted):
// cat dog ran sat the. Document 0 = (cat 1.287682, sat 1.287682, the 1)
// / sqrt(2 * 1.287682^2 + 1) = (0.619805, 0.619805, 0.481334).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/csr_block.hpp"

namespace hpcrec::math {

// A document-frequency bound: a count, or a fraction of the documents.
struct DocFrequency {
  double value = 1;
  bool fraction = false;
};

// "3" -> count 3; "0.5", "1.0", "1e-2" (with '.', 'e' or 'E') -> fraction.
// Throws InputError for negatives, fractions above 1 or non-numbers.
DocFrequency parse_doc_frequency(const std::string& text);

struct TfidfOptions {
  bool lowercase = true;
  int min_token_length = 2;
  bool stop_words = false;  // remove english_stop_words()
  int ngram_max = 1;        // 1 or 2
  DocFrequency min_df{1, false};
  DocFrequency max_df{1.0, true};
  bool sublinear_tf = false;
  bool use_idf = true;
  bool smooth_idf = true;
  bool l2_norm = true;
};

// The built-in English stop words, sorted (43 words): a about an and are as
// at be but by for from has have he her his i in is it its not of on or she
// so that the their them then there they this to was we were which with you.
// (Only words of 2+ letters can match with the default min_token_length.)
const std::vector<std::string>& english_stop_words();

// Steps 1-4 for a text: its words and n-grams, in order.
std::vector<std::string> analyze_text(std::string_view text, const TfidfOptions& options);

struct TfidfModel {
  CsrBlock matrix;                      // rows = documents (first_row 0), cols = vocabulary indices
  std::vector<std::string> vocabulary;  // sorted; column j is vocabulary[j]
  std::vector<double> idf;              // per column
  std::vector<Offset> df;               // per column
};

// Fits the vocabulary and idf on `texts` (with `whole_tokens[d]`, if not
// empty, appended to document d; then whole_tokens.size() == texts.size())
// and returns their TF-IDF rows. Throws InputError on bad options
// (ngram_max not 1 or 2, max bound below min bound). An empty vocabulary is
// allowed (every row empty).
TfidfModel fit_tfidf(std::span<const std::string> texts,
                     std::span<const std::vector<std::string>> whole_tokens, const TfidfOptions& options);

// Rows [first, first + count) of `m` as a block with first_row = first
// (e.g. a rank's item block for the KNN ring).
CsrBlock slice_rows(const CsrBlock& m, Index first, Index count);

}  // namespace hpcrec::math
