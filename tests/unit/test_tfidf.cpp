// TF-IDF against hand-computed values and a scikit-learn-equivalent case.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "src/errors.hpp"
#include "src/tfidf.hpp"

using namespace hpcrec::math;

namespace {

// Row d of the matrix as term -> weight.
std::map<std::string, double> row(const TfidfModel& m, Index d) {
  std::map<std::string, double> out;
  auto cols = m.matrix.row_cols(d);
  auto vals = m.matrix.row_values(d);
  for (size_t k = 0; k < cols.size(); ++k) out[m.vocabulary[static_cast<size_t>(cols[k])]] = vals[k];
  return out;
}

void expect_row(const TfidfModel& m, Index d, const std::map<std::string, double>& expected) {
  const auto got = row(m, d);
  ASSERT_EQ(got.size(), expected.size()) << "row " << d;
  for (const auto& [term, w] : expected) {
    ASSERT_TRUE(got.count(term)) << "row " << d << " lacks '" << term << "'";
    EXPECT_NEAR(got.at(term), w, 1e-6) << "row " << d << " term '" << term << "'";
  }
}

const std::vector<std::string> kCats = {"the cat sat", "the dog sat", "the cat cat ran"};

}  // namespace

// scikit-learn: TfidfVectorizer().fit_transform(kCats) with its defaults
// (lowercase, token_pattern \b\w\w+\b, smooth_idf=True, sublinear_tf=False,
// norm='l2'). n = 3; df: cat 2, dog 1, ran 1, sat 2, the 3.
//   idf = ln((1 + 3) / (1 + df)) + 1:
//     cat = sat = ln(4/3) + 1 = 1.2876821,  dog = ran = ln(4/2) + 1 = 1.6931472,
//     the = ln(4/4) + 1 = 1.
//   doc 0 (cat 1, sat 1, the 1): w = (1.2876821, 1.2876821, 1),
//     |w| = sqrt(2 * 1.6581253 + 1) = 2.0775587 -> (0.6198054, 0.6198054, 0.4813342)
//   doc 1 (dog, sat, the): w = (1.6931472, 1.2876821, 1),
//     |w| = sqrt(2.8667474 + 1.6581253 + 1) = 2.3505047 -> (0.7203334, 0.5478322, 0.4254405)
//   doc 2 (cat 2, ran 1, the 1): w = (2.5753641, 1.6931472, 1),
//     |w| = sqrt(6.6325004 + 2.8667474 + 1) = 3.2402543 -> (0.7948031, 0.5225353, 0.3086178)
TEST(Tfidf, ScikitLearnDefaults) {
  const TfidfModel m = fit_tfidf(kCats, {}, TfidfOptions{});
  EXPECT_EQ(m.vocabulary, (std::vector<std::string>{"cat", "dog", "ran", "sat", "the"}));
  ASSERT_EQ(m.idf.size(), 5u);
  EXPECT_NEAR(m.idf[0], std::log(4.0 / 3.0) + 1, 1e-12);
  EXPECT_NEAR(m.idf[1], std::log(2.0) + 1, 1e-12);
  EXPECT_NEAR(m.idf[4], 1.0, 1e-12);
  EXPECT_EQ(m.df, (std::vector<Offset>{2, 1, 1, 2, 3}));
  ASSERT_EQ(m.matrix.rows(), 3);
  expect_row(m, 0, {{"cat", 0.6198054}, {"sat", 0.6198054}, {"the", 0.4813342}});
  expect_row(m, 1, {{"dog", 0.7203334}, {"sat", 0.5478322}, {"the", 0.4254405}});
  expect_row(m, 2, {{"cat", 0.7948031}, {"ran", 0.5225353}, {"the", 0.3086178}});
  // Columns ascend within rows.
  for (Index d = 0; d < 3; ++d) {
    auto c = m.matrix.row_cols(d);
    EXPECT_TRUE(std::is_sorted(c.begin(), c.end()));
  }
}

// scikit-learn's documented case (User Guide, "Tf-idf term weighting"): the
// count matrix [[3,0,1],[2,0,0],[3,0,0],[4,0,0],[3,2,0],[3,0,2]] through
// TfidfTransformer(smooth_idf=False) and the default smooth_idf=True; the
// guide prints the rows below (8 digits). Terms aa, bb, cc stand for its
// three columns.
TEST(Tfidf, ScikitLearnUserGuideCase) {
  const std::vector<std::string> docs = {"aa aa aa cc", "aa aa",          "aa aa aa",
                                         "aa aa aa aa", "aa aa aa bb bb", "aa aa aa cc cc"};
  TfidfOptions o;
  o.smooth_idf = false;
  const TfidfModel raw = fit_tfidf(docs, {}, o);
  expect_row(raw, 0, {{"aa", 0.81940995}, {"cc", 0.57320793}});
  expect_row(raw, 1, {{"aa", 1.0}});
  expect_row(raw, 4, {{"aa", 0.47330339}, {"bb", 0.88089948}});
  expect_row(raw, 5, {{"aa", 0.58149261}, {"cc", 0.81355169}});
  const TfidfModel smooth = fit_tfidf(docs, {}, TfidfOptions{});
  expect_row(smooth, 0, {{"aa", 0.85151335}, {"cc", 0.52433293}});
  expect_row(smooth, 3, {{"aa", 1.0}});
  expect_row(smooth, 4, {{"aa", 0.55422893}, {"bb", 0.83236428}});
  expect_row(smooth, 5, {{"aa", 0.63035731}, {"cc", 0.77630514}});
}

// sublinear_tf: doc 2's cat has tf 2 -> 1 + ln 2 = 1.6931472, w = 1.6931472 * 1.2876821
// = 2.1802335; with ran 1.6931472, the 1: |w| = sqrt(4.7534180 + 2.8667474 + 1)
// = 2.9360131 -> (0.7425836, 0.5766824, 0.3405979). Docs 0 and 1 (all tf 1) unchanged.
TEST(Tfidf, SublinearTf) {
  TfidfOptions o;
  o.sublinear_tf = true;
  const TfidfModel m = fit_tfidf(kCats, {}, o);
  expect_row(m, 0, {{"cat", 0.6198054}, {"sat", 0.6198054}, {"the", 0.4813342}});
  expect_row(m, 2, {{"cat", 0.7425836}, {"ran", 0.5766824}, {"the", 0.3405979}});
}

// Without smoothing: idf = ln(n / df) + 1: cat = sat = ln(1.5) + 1 = 1.4054651,
// dog = ran = ln 3 + 1 = 2.0986123, the = 1. Doc 0: |w| = sqrt(2 * 1.9753321 + 1)
// = 2.2250088 -> cat = sat = 0.6316672, the = 0.4494364.
TEST(Tfidf, NoSmoothIdf) {
  TfidfOptions o;
  o.smooth_idf = false;
  const TfidfModel m = fit_tfidf(kCats, {}, o);
  expect_row(m, 0, {{"cat", 0.6316672}, {"sat", 0.6316672}, {"the", 0.4494364}});
  o.use_idf = false;  // plain l2-normalised counts: doc 2 = (2, 1, 1) / sqrt 6
  const TfidfModel plain = fit_tfidf(kCats, {}, o);
  expect_row(plain, 2,
             {{"cat", 2 / std::sqrt(6.0)}, {"ran", 1 / std::sqrt(6.0)}, {"the", 1 / std::sqrt(6.0)}});
}

// min_df = 2 (a count) keeps cat, sat, the; idf still uses n = 3 and the full
// df. Doc 1 = (sat 1.2876821, the 1): |w| = sqrt(1.6581253 + 1) = 1.6303758
// -> (0.7898069, 0.6133555). max_df = 0.9 (a fraction: 0.9 * 3 = 2.7) then
// drops "the" (df 3): doc 0 = (cat, sat) equal -> 1/sqrt 2 each.
TEST(Tfidf, MinDfMaxDf) {
  TfidfOptions o;
  o.min_df = parse_doc_frequency("2");
  TfidfModel m = fit_tfidf(kCats, {}, o);
  EXPECT_EQ(m.vocabulary, (std::vector<std::string>{"cat", "sat", "the"}));
  expect_row(m, 1, {{"sat", 0.7898069}, {"the", 0.6133555}});
  o.max_df = parse_doc_frequency("0.9");
  m = fit_tfidf(kCats, {}, o);
  EXPECT_EQ(m.vocabulary, (std::vector<std::string>{"cat", "sat"}));
  expect_row(m, 0, {{"cat", 1 / std::sqrt(2.0)}, {"sat", 1 / std::sqrt(2.0)}});
  expect_row(m, 2, {{"cat", 1.0}});
  // A fraction min_df: 0.5 * 3 = 1.5 -> df >= 2, the same as the count 2.
  o = TfidfOptions{};
  o.min_df = parse_doc_frequency("0.5");
  EXPECT_EQ(fit_tfidf(kCats, {}, o).vocabulary, (std::vector<std::string>{"cat", "sat", "the"}));
  // max below min is an error (scikit-learn raises too).
  o.max_df = parse_doc_frequency("1");
  EXPECT_THROW(fit_tfidf(kCats, {}, o), hpcrec::InputError);
}

TEST(Tfidf, ParseDocFrequency) {
  EXPECT_FALSE(parse_doc_frequency("3").fraction);
  EXPECT_EQ(parse_doc_frequency("3").value, 3);
  EXPECT_TRUE(parse_doc_frequency("1.0").fraction);
  EXPECT_TRUE(parse_doc_frequency("1e-2").fraction);
  EXPECT_THROW(parse_doc_frequency("1.5"), hpcrec::InputError);
  EXPECT_THROW(parse_doc_frequency("-1"), hpcrec::InputError);
  EXPECT_THROW(parse_doc_frequency("x"), hpcrec::InputError);
  EXPECT_THROW(parse_doc_frequency(""), hpcrec::InputError);
}

// ngram 2 on one document "The cat sat": terms the, cat, sat, "the cat",
// "cat sat"; n = 1, every df 1, idf = ln(2/2) + 1 = 1; each weight 1/sqrt 5.
// Sorted by bytes: "cat" < "cat sat" < "sat" < "the" < "the cat".
TEST(Tfidf, Bigrams) {
  TfidfOptions o;
  o.ngram_max = 2;
  const std::vector<std::string> docs = {"The cat sat"};
  const TfidfModel m = fit_tfidf(docs, {}, o);
  EXPECT_EQ(m.vocabulary, (std::vector<std::string>{"cat", "cat sat", "sat", "the", "the cat"}));
  for (float v : m.matrix.values) EXPECT_NEAR(v, 1 / std::sqrt(5.0), 1e-7);
  o.ngram_max = 3;
  EXPECT_THROW(fit_tfidf(docs, {}, o), hpcrec::InputError);
}

// Stop words go before n-grams (as scikit-learn): "The cat and the hat" ->
// cat, hat, "cat hat".
TEST(Tfidf, StopWords) {
  TfidfOptions o;
  o.stop_words = true;
  o.ngram_max = 2;
  EXPECT_EQ(analyze_text("The cat and the hat", o), (std::vector<std::string>{"cat", "hat", "cat hat"}));
  const auto& sw = english_stop_words();
  EXPECT_EQ(sw.size(), 43u);
  EXPECT_TRUE(std::is_sorted(sw.begin(), sw.end()));
}

// Tokeniser: lower case (ASCII), split on non-alphanumerics, single
// characters dropped (min_token_length 2), UTF-8 words whole.
TEST(Tfidf, Tokeniser) {
  TfidfOptions o;
  EXPECT_EQ(analyze_text("City of Lost Children, The (Cité des enfants perdus, La) (1995) a-b x_yz", o),
            (std::vector<std::string>{"city", "of", "lost", "children", "the", "cité", "des", "enfants",
                                      "perdus", "la", "1995", "yz"}));
  o.min_token_length = 1;
  EXPECT_EQ(analyze_text("a-B", o), (std::vector<std::string>{"a", "b"}));
}

// Whole tokens are kept as given and counted like words. Docs: "space"
// + {genre:Sci-Fi}, "war" + {genre:Sci-Fi, genre:War}: n = 2, idf(genre:Sci-Fi)
// = ln(3/3) + 1 = 1, others ln(3/2) + 1 = 1.4054651. Doc 0 = (genre:Sci-Fi 1,
// space 1.4054651) / 1.7249151 = (0.5797387, 0.8148025).
TEST(Tfidf, WholeTokens) {
  const std::vector<std::string> texts = {"space", "war"};
  const std::vector<std::vector<std::string>> tokens = {{"genre:Sci-Fi"}, {"genre:Sci-Fi", "genre:War"}};
  const TfidfModel m = fit_tfidf(texts, tokens, TfidfOptions{});
  EXPECT_EQ(m.vocabulary, (std::vector<std::string>{"genre:Sci-Fi", "genre:War", "space", "war"}));
  expect_row(m, 0, {{"genre:Sci-Fi", 0.5797387}, {"space", 0.8148025}});
  const std::vector<std::vector<std::string>> wrong(1);
  EXPECT_THROW(fit_tfidf(texts, wrong, TfidfOptions{}), hpcrec::InputError);
}

TEST(Tfidf, EmptyDocumentsAndSlices) {
  const std::vector<std::string> docs = {"", "red apple", "", "green apple"};
  const TfidfModel m = fit_tfidf(docs, {}, TfidfOptions{});
  ASSERT_EQ(m.matrix.rows(), 4);
  EXPECT_EQ(m.matrix.row_nnz(0), 0);
  EXPECT_EQ(m.matrix.row_nnz(2), 0);
  // n = 4 counts the empty documents: idf(apple) = ln(5/3) + 1.
  EXPECT_NEAR(m.idf[0], std::log(5.0 / 3.0) + 1, 1e-12);
  const CsrBlock s = slice_rows(m.matrix, 1, 2);
  EXPECT_EQ(s.first_row, 1);
  ASSERT_EQ(s.rows(), 2);
  EXPECT_EQ(s.row_nnz(0), 2);
  EXPECT_EQ(s.row_nnz(1), 0);
  EXPECT_EQ(s.values[0], m.matrix.row_values(1)[0]);
  EXPECT_TRUE(fit_tfidf(std::vector<std::string>{"", "a"}, {}, TfidfOptions{}).vocabulary.empty());
}
