#include "src/tfidf.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_map>

#include "src/errors.hpp"

namespace hpcrec::math {

namespace {

bool word_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

}  // namespace

DocFrequency parse_doc_frequency(const std::string& text) {
  const bool fraction = text.find_first_of(".eE") != std::string::npos;
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v) || v < 0 ||
      (fraction && v > 1) || (!fraction && v != std::floor(v))) {
    throw InputError("expected a document frequency (a count like 2 or a fraction like 0.5), got '" + text +
                     "'");
  }
  return {v, fraction};
}

const std::vector<std::string>& english_stop_words() {
  static const std::vector<std::string> words = {
      "a",     "about", "an",   "and", "are", "as",  "at",   "be",    "but",   "by",   "for",
      "from",  "has",   "have", "he",  "her", "his", "i",    "in",    "is",    "it",   "its",
      "not",   "of",    "on",   "or",  "she", "so",  "that", "the",   "their", "them", "then",
      "there", "they",  "this", "to",  "was", "we",  "were", "which", "with",  "you"};
  return words;
}

std::vector<std::string> analyze_text(std::string_view text, const TfidfOptions& options) {
  std::vector<std::string> words;
  const auto& stop = english_stop_words();
  for (size_t i = 0; i < text.size();) {
    if (!word_byte(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && word_byte(static_cast<unsigned char>(text[j]))) ++j;
    if (static_cast<int>(j - i) >= options.min_token_length) {
      std::string w(text.substr(i, j - i));
      if (options.lowercase) {
        for (char& c : w) {
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        }
      }
      if (!options.stop_words || !std::binary_search(stop.begin(), stop.end(), w))
        words.push_back(std::move(w));
    }
    i = j;
  }
  if (options.ngram_max >= 2) {
    const size_t n = words.size();
    for (size_t k = 0; k + 1 < n; ++k) words.push_back(words[k] + " " + words[k + 1]);
  }
  return words;
}

TfidfModel fit_tfidf(std::span<const std::string> texts,
                     std::span<const std::vector<std::string>> whole_tokens, const TfidfOptions& options) {
  if (options.ngram_max != 1 && options.ngram_max != 2) {
    throw InputError("expected ngram 1 or 2, got '" + std::to_string(options.ngram_max) + "'");
  }
  if (!whole_tokens.empty() && whole_tokens.size() != texts.size()) {
    throw InputError("expected as many whole-token lists as documents");
  }
  const size_t n = texts.size();
  // Per document: (term id, count), term ids in first-seen order.
  std::unordered_map<std::string, Index> ids;
  std::vector<std::string> terms;
  std::vector<std::vector<std::pair<Index, Offset>>> counts(n);
  std::vector<Offset> df;
  for (size_t d = 0; d < n; ++d) {
    std::vector<std::string> doc = analyze_text(texts[d], options);
    if (!whole_tokens.empty()) doc.insert(doc.end(), whole_tokens[d].begin(), whole_tokens[d].end());
    std::vector<Index> seq;
    seq.reserve(doc.size());
    for (std::string& t : doc) {
      auto [it, inserted] = ids.try_emplace(std::move(t), static_cast<Index>(terms.size()));
      if (inserted) {
        terms.push_back(it->first);
        df.push_back(0);
      }
      seq.push_back(it->second);
    }
    std::sort(seq.begin(), seq.end());
    for (size_t k = 0; k < seq.size();) {
      size_t e = k;
      while (e < seq.size() && seq[e] == seq[k]) ++e;
      counts[d].emplace_back(seq[k], static_cast<Offset>(e - k));
      ++df[static_cast<size_t>(seq[k])];
      k = e;
    }
  }
  const double nd = static_cast<double>(n);
  const double min_count = options.min_df.fraction ? options.min_df.value * nd : options.min_df.value;
  const double max_count = options.max_df.fraction ? options.max_df.value * nd : options.max_df.value;
  if (max_count < min_count) throw InputError("expected max_df >= min_df (as document counts)");

  // Kept terms, sorted by bytes; old id -> column (-1: dropped).
  std::vector<Index> order;
  for (Index t = 0; t < static_cast<Index>(terms.size()); ++t) {
    const double f = static_cast<double>(df[static_cast<size_t>(t)]);
    if (f >= min_count && f <= max_count) order.push_back(t);
  }
  std::sort(order.begin(), order.end(),
            [&](Index a, Index b) { return terms[static_cast<size_t>(a)] < terms[static_cast<size_t>(b)]; });
  std::vector<Index> column(terms.size(), -1);
  TfidfModel m;
  m.vocabulary.reserve(order.size());
  for (size_t j = 0; j < order.size(); ++j) {
    const size_t t = static_cast<size_t>(order[j]);
    column[t] = static_cast<Index>(j);
    m.vocabulary.push_back(terms[t]);
    m.df.push_back(df[t]);
    const double f = static_cast<double>(df[t]);
    double idf = 1.0;
    if (options.use_idf)
      idf = options.smooth_idf ? std::log((1.0 + nd) / (1.0 + f)) + 1.0 : std::log(nd / f) + 1.0;
    m.idf.push_back(idf);
  }

  m.matrix.first_row = 0;
  m.matrix.indptr.assign(1, 0);
  std::vector<std::pair<Index, double>> row;
  for (size_t d = 0; d < n; ++d) {
    row.clear();
    for (auto [t, c] : counts[d]) {
      const Index j = column[static_cast<size_t>(t)];
      if (j < 0) continue;
      const double tf =
          options.sublinear_tf ? 1.0 + std::log(static_cast<double>(c)) : static_cast<double>(c);
      row.emplace_back(j, tf * m.idf[static_cast<size_t>(j)]);
    }
    std::sort(row.begin(), row.end());
    double norm = 1.0;
    if (options.l2_norm) {
      double ss = 0;
      for (auto& e : row) ss += e.second * e.second;
      norm = std::sqrt(ss);
    }
    for (auto& e : row) {
      if (e.second == 0) continue;
      m.matrix.cols.push_back(e.first);
      m.matrix.values.push_back(static_cast<float>(e.second / norm));
    }
    m.matrix.indptr.push_back(static_cast<Offset>(m.matrix.cols.size()));
  }
  return m;
}

CsrBlock slice_rows(const CsrBlock& m, Index first, Index count) {
  CsrBlock out;
  out.first_row = first;
  const Index local = first - m.first_row;
  const Offset begin = m.indptr[static_cast<size_t>(local)];
  const Offset end = m.indptr[static_cast<size_t>(local + count)];
  out.indptr.resize(static_cast<size_t>(count) + 1);
  for (Index r = 0; r <= count; ++r)
    out.indptr[static_cast<size_t>(r)] = m.indptr[static_cast<size_t>(local + r)] - begin;
  out.cols.assign(m.cols.begin() + begin, m.cols.begin() + end);
  out.values.assign(m.values.begin() + begin, m.values.begin() + end);
  return out;
}

}  // namespace hpcrec::math
