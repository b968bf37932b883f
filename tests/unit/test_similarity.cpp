// Similarities against a brute-force dense computation, heaps, block
// independence and the top-N score kernel.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numeric>

#include "src/errors.hpp"
#include "src/rng.hpp"
#include "src/similarity.hpp"

using namespace hpcrec::math;

namespace {

constexpr int kRows = 9, kCols = 12;
const double kMissing = std::nan("");

// Rows over columns, NaN = missing. Row 5 shares no column with any other
// row, row 6 is constant, row 7 is empty, row 8 equals row 0 (ties).
std::vector<std::vector<double>> dense_matrix() {
  std::vector<std::vector<double>> m(kRows, std::vector<double>(kCols, kMissing));
  for (int r = 0; r < kRows; ++r) {
    for (int c = 0; c < kCols - 1; ++c) {
      const double x = uniform01(3, 7, static_cast<std::uint64_t>(r) * 100 + c);
      if (r == 5 || r == 6 || r == 7) continue;
      if (x < 0.6) m[r][c] = 1 + std::floor(x / 0.6 * 5);
    }
  }
  m[5][kCols - 1] = 4;  // the only rating of the last column
  for (int c = 0; c < kCols - 1; c += 2) m[6][c] = 3;
  m[8] = m[0];
  return m;
}

CsrBlock to_csr(const std::vector<std::vector<double>>& m, int first, int count) {
  CsrBlock b;
  b.first_row = first;
  for (int r = first; r < first + count; ++r) {
    for (int c = 0; c < kCols; ++c) {
      if (!std::isnan(m[r][c])) {
        b.cols.push_back(c);
        b.values.push_back(static_cast<float>(m[r][c]));
      }
    }
    b.indptr.push_back(static_cast<Offset>(b.cols.size()));
  }
  return b;
}

struct Extras {
  std::vector<double> col_mean, col_bias, row_bias;
  double mu = 3.1;
};

Extras extras(const std::vector<std::vector<double>>& m) {
  Extras e;
  for (int c = 0; c < kCols; ++c) {
    double s = 0;
    int n = 0;
    for (int r = 0; r < kRows; ++r)
      if (!std::isnan(m[r][c])) s += m[r][c], ++n;
    e.col_mean.push_back(n ? s / n : 0);
    e.col_bias.push_back(0.1 * (c % 5) - 0.2);
  }
  for (int r = 0; r < kRows; ++r) e.row_bias.push_back(0.05 * r - 0.2);
  return e;
}

// The definition, two-pass, straight from the dense matrix. Returns false if
// the pair is not a neighbour (no co-rating, below min-support).
bool brute_force(const std::vector<std::vector<double>>& m, const Extras& ex, int a, int b,
                 const SimilarityOptions& o, double* sim, int* support) {
  std::vector<int> both;
  int na = 0, nb = 0;
  double norm_a = 0, norm_b = 0;
  for (int c = 0; c < kCols; ++c) {
    const bool ha = !std::isnan(m[a][c]), hb = !std::isnan(m[b][c]);
    na += ha;
    nb += hb;
    if (ha) norm_a += m[a][c] * m[a][c];
    if (hb) norm_b += m[b][c] * m[b][c];
    if (ha && hb) both.push_back(c);
  }
  const int n = static_cast<int>(both.size());
  *support = n;
  if (n == 0 || n < o.min_support) return false;
  double s = 0;
  auto co_cosine = [&](auto fx, auto fy) {
    double xy = 0, xx = 0, yy = 0;
    for (int c : both) {
      const double x = fx(c), y = fy(c);
      xy += x * y;
      xx += x * x;
      yy += y * y;
    }
    return xx > 0 && yy > 0 ? xy / std::sqrt(xx * yy) : 0.0;
  };
  switch (o.kind) {
    case SimilarityKind::kCosine: {
      double xy = 0;
      for (int c : both) xy += m[a][c] * m[b][c];
      s = xy / std::sqrt(norm_a * norm_b);
      break;
    }
    case SimilarityKind::kPearson: {
      double mx = 0, my = 0;
      for (int c : both) mx += m[a][c], my += m[b][c];
      mx /= n;
      my /= n;
      s = co_cosine([&](int c) { return m[a][c] - mx; }, [&](int c) { return m[b][c] - my; });
      break;
    }
    case SimilarityKind::kAdjustedCosine:
      s = co_cosine([&](int c) { return m[a][c] - ex.col_mean[c]; },
                    [&](int c) { return m[b][c] - ex.col_mean[c]; });
      break;
    case SimilarityKind::kPearsonBaseline:
      s = co_cosine([&](int c) { return m[a][c] - (ex.mu + ex.row_bias[a] + ex.col_bias[c]); },
                    [&](int c) { return m[b][c] - (ex.mu + ex.row_bias[b] + ex.col_bias[c]); });
      break;
    case SimilarityKind::kJaccard:
      s = static_cast<double>(n) / (na + nb - n);
      break;
  }
  if (o.shrink > 0) s *= n / (n + o.shrink);
  if (o.positive_only && s <= 1e-12) return false;
  *sim = s;
  return true;
}

SparseRows prepared(const std::vector<std::vector<double>>& m, const Extras& ex, SimilarityKind kind,
                    int first, int count, std::vector<Index>& col_ids) {
  col_ids.resize(kCols);
  std::iota(col_ids.begin(), col_ids.end(), 0);
  Centering c;
  c.mu = ex.mu;
  c.row_bias = std::span<const double>(ex.row_bias).subspan(first, count);
  c.col_ids = col_ids;
  c.col_values = kind == SimilarityKind::kAdjustedCosine ? std::span<const double>(ex.col_mean)
                                                         : std::span<const double>(ex.col_bias);
  return prepare_rows(to_csr(m, first, count), kind, c);
}

const SimilarityKind kAllKinds[] = {SimilarityKind::kCosine, SimilarityKind::kPearson,
                                    SimilarityKind::kAdjustedCosine, SimilarityKind::kJaccard,
                                    SimilarityKind::kPearsonBaseline};

}  // namespace

TEST(Similarity, EveryKindMatchesBruteForce) {
  const auto m = dense_matrix();
  const Extras ex = extras(m);
  std::vector<Index> col_ids;
  for (SimilarityKind kind : kAllKinds) {
    for (double shrink : {0.0, 10.0}) {
      for (int min_support : {1, 4}) {
        for (bool positive : {false, true}) {
          SimilarityOptions o;
          o.kind = kind;
          o.shrink = shrink;
          o.min_support = min_support;
          o.positive_only = positive;
          o.neighbors = 0;  // all
          SCOPED_TRACE(std::string(similarity_name(kind)) + " shrink " + std::to_string(shrink) +
                       " support " + std::to_string(min_support) + " positive " + std::to_string(positive));
          auto got = all_neighbors(prepared(m, ex, kind, 0, kRows, col_ids), o);
          ASSERT_EQ(got.size(), static_cast<size_t>(kRows));
          for (int a = 0; a < kRows; ++a) {
            std::map<Index, std::pair<double, int>> want;
            for (int b = 0; b < kRows; ++b) {
              double s = 0;
              int n = 0;
              if (a != b && brute_force(m, ex, a, b, o, &s, &n)) want[b] = {s, n};
            }
            ASSERT_EQ(got[a].size(), want.size()) << "row " << a;
            for (size_t j = 0; j < got[a].size(); ++j) {
              const Neighbor& g = got[a][j];
              ASSERT_TRUE(want.count(g.id)) << "row " << a << " neighbour " << g.id;
              EXPECT_NEAR(g.sim, want[g.id].first, 1e-12) << "row " << a << " neighbour " << g.id;
              EXPECT_EQ(g.support, want[g.id].second);
              if (j > 0) {
                EXPECT_TRUE(better(got[a][j - 1], g));
              }
            }
          }
        }
      }
    }
  }
}

TEST(Similarity, SpecialRows) {
  const auto m = dense_matrix();
  const Extras ex = extras(m);
  std::vector<Index> col_ids;
  SimilarityOptions o;
  o.neighbors = 0;
  for (SimilarityKind kind : kAllKinds) {
    o.kind = kind;
    auto got = all_neighbors(prepared(m, ex, kind, 0, kRows, col_ids), o);
    EXPECT_TRUE(got[5].empty()) << "no co-raters";
    EXPECT_TRUE(got[7].empty()) << "empty row";
    for (int a = 0; a < kRows; ++a) {
      for (const Neighbor& n : got[a]) EXPECT_NE(n.id, 5);
    }
  }
  // The constant row: pearson is undefined over any co-ratings -> 0.
  o.kind = SimilarityKind::kPearson;
  auto got = all_neighbors(prepared(m, ex, o.kind, 0, kRows, col_ids), o);
  ASSERT_FALSE(got[6].empty());
  for (const Neighbor& n : got[6]) EXPECT_EQ(n.sim, 0.0);
  o.positive_only = true;
  got = all_neighbors(prepared(m, ex, o.kind, 0, kRows, col_ids), o);
  EXPECT_TRUE(got[6].empty());
}

TEST(Similarity, ShrinkageAndSupportByHand) {
  // Rows 0 and 1 co-rate columns 0, 1, 2 with identical values: cosine over
  // those, norms over all columns.
  CsrBlock b;
  b.cols = {0, 1, 2, 3, 0, 1, 2};
  b.values = {1, 2, 3, 4, 1, 2, 3};
  b.indptr = {0, 4, 7};
  SimilarityOptions o;
  o.kind = SimilarityKind::kCosine;
  o.shrink = 3;
  auto got = all_neighbors(prepare_rows(b, o.kind), o);
  const double cos = 14.0 / std::sqrt(30.0 * 14.0);
  ASSERT_EQ(got[0].size(), 1u);
  EXPECT_NEAR(got[0][0].sim, cos * 3.0 / 6.0, 1e-15);
  EXPECT_EQ(got[0][0].support, 3);
  o.kind = SimilarityKind::kJaccard;
  got = all_neighbors(prepare_rows(b, o.kind), o);
  EXPECT_NEAR(got[1][0].sim, 3.0 / 4.0 * 0.5, 1e-15);
  o.min_support = 4;
  got = all_neighbors(prepare_rows(b, o.kind), o);
  EXPECT_TRUE(got[0].empty());
}

TEST(Similarity, TopKTiesToSmallerId) {
  // Rows 1..4 are copies: row 0's similarity to each is equal.
  CsrBlock b;
  for (int r = 0; r < 5; ++r) {
    b.cols.insert(b.cols.end(), {0, 2, 5});
    b.values.insert(b.values.end(), {1, 3, r == 0 ? 2.f : 5.f});
    b.indptr.push_back(static_cast<Offset>(b.cols.size()));
  }
  SimilarityOptions o;
  o.neighbors = 2;
  auto got = all_neighbors(prepare_rows(b, o.kind), o);
  ASSERT_EQ(got[0].size(), 2u);
  EXPECT_EQ(got[0][0].id, 1);
  EXPECT_EQ(got[0][1].id, 2);
  EXPECT_EQ(got[3][0].id, 1);  // similarity 1 with rows 1, 2, 4
  EXPECT_EQ(got[3][1].id, 2);
  NeighborHeap h(2);
  h.push({9, 0.5, 1});
  h.push({3, 0.5, 1});
  h.push({7, 0.5, 1});
  h.push({8, 0.4, 1});
  auto s = h.sorted();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].id, 3);
  EXPECT_EQ(s[1].id, 7);
}

TEST(Similarity, IndependentOfBlocksAndOrder) {
  const auto m = dense_matrix();
  const Extras ex = extras(m);
  std::vector<Index> col_ids;
  for (SimilarityKind kind : kAllKinds) {
    SimilarityOptions o;
    o.kind = kind;
    o.neighbors = 3;
    o.shrink = 5;
    const auto whole = all_neighbors(prepared(m, ex, kind, 0, kRows, col_ids), o, 2);
    // Own rows 2..6 against visiting blocks {7..8}, {0..1}, {2..4}, {5..6}.
    const SparseRows own = prepared(m, ex, kind, 2, 5, col_ids);
    std::vector<NeighborHeap> heaps(5, NeighborHeap(o.neighbors));
    for (auto [f, c] : {std::pair{7, 2}, {0, 2}, {2, 3}, {5, 2}})
      accumulate_neighbors(own, prepared(m, ex, kind, f, c, col_ids), o, heaps, 1);
    for (int a = 0; a < 5; ++a) {
      auto got = heaps[a].sorted();
      ASSERT_EQ(got.size(), whole[a + 2].size());
      for (size_t j = 0; j < got.size(); ++j) {
        EXPECT_EQ(got[j].id, whole[a + 2][j].id);
        EXPECT_EQ(got[j].sim, whole[a + 2][j].sim);  // bitwise
        EXPECT_EQ(got[j].support, whole[a + 2][j].support);
      }
    }
  }
}

TEST(Similarity, ScoresMatchBruteForce) {
  const auto m = dense_matrix();
  // own: rows as users over columns (binary), visiting: the same matrix's
  // rows as "items" with their values; score(a, b) = sum_c 1[a has c] * v[b][c].
  SparseRows own = to_sparse_rows(to_csr(m, 0, kRows), true);
  SparseRows vis = to_sparse_rows(to_csr(m, 0, kRows));
  std::vector<Index> ex0 = {1, 3};
  std::vector<std::span<const Index>> exclusions(kRows);
  exclusions[0] = ex0;
  std::vector<TopNHeap> heaps(kRows, TopNHeap(4));
  // Two visiting blocks.
  SparseRows v1 = to_sparse_rows(to_csr(m, 0, 4)), v2 = to_sparse_rows(to_csr(m, 4, kRows - 4));
  accumulate_scores(own, v2, exclusions, heaps, 2);
  accumulate_scores(own, v1, exclusions, heaps, 2);
  for (int a = 0; a < kRows; ++a) {
    TopNHeap want(4);
    for (int b = 0; b < kRows; ++b) {
      if (a == 0 && (b == 1 || b == 3)) continue;
      double s = 0;
      bool any = false;
      for (int c = 0; c < kCols; ++c) {
        if (!std::isnan(m[a][c]) && !std::isnan(m[b][c])) s += m[b][c], any = true;
      }
      if (any) want.push(b, s);
    }
    auto g = heaps[a].sorted(), w = want.sorted();
    ASSERT_EQ(g.size(), w.size()) << a;
    for (size_t j = 0; j < g.size(); ++j) {
      EXPECT_EQ(g[j].item, w[j].item);
      EXPECT_DOUBLE_EQ(g[j].score, w[j].score);
    }
  }
}

TEST(Similarity, ParseNames) {
  for (SimilarityKind kind : kAllKinds) EXPECT_EQ(parse_similarity(similarity_name(kind)), kind);
  EXPECT_THROW(parse_similarity("euclid"), hpcrec::InputError);
}
