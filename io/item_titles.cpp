#include "io/item_titles.hpp"

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <system_error>

#include "src/errors.hpp"

namespace hpcrec::io {

namespace {

// `id` in canonical decimal if it is a 64-bit integer ("+007" -> "7"), else as is.
std::string canonical_id(std::string_view id) {
  while (!id.empty() && (id.front() == ' ' || id.front() == '\t')) id.remove_prefix(1);
  while (!id.empty() && (id.back() == ' ' || id.back() == '\t')) id.remove_suffix(1);
  std::string_view digits = id;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (!digits.empty() && ec == std::errc() && p == digits.data() + digits.size()) return std::to_string(v);
  return std::string(id);
}

}  // namespace

const std::string* ItemTitles::find(std::string_view id) const {
  auto it = by_id.find(std::string(id));
  if (it == by_id.end()) it = by_id.find(canonical_id(id));
  return it == by_id.end() ? nullptr : &it->second;
}

std::vector<std::string> ItemTitles::aligned(const math::IdMap& ids) const {
  std::vector<std::string> out(static_cast<std::size_t>(ids.size()));
  if (by_id.empty()) return out;
  for (math::Index i = 0; i < ids.size(); ++i) {
    if (const std::string* title = find(ids.name(i))) out[static_cast<std::size_t>(i)] = *title;
  }
  return out;
}

ItemTitles read_item_titles(const ItemFeatureSource& source) {
  std::error_code ec;
  if (!std::filesystem::exists(source.path, ec)) throw InputError(source.path + ": no such file");
  ItemFeatureSource s = source;
  if (s.format == ItemFeatureFormat::kAuto) s.format = detect_item_feature_format(s.path);
  switch (s.format) {
    case ItemFeatureFormat::kMovieLensTags:
      throw InputError(s.path + ": a tags file holds no titles (use movies.csv, u.item or a delimited file)");
    case ItemFeatureFormat::kDelimited:
      if (s.text_columns.empty()) s.text_columns = {s.id_column == 0 ? 1 : 0};
      break;
    default:
      break;
  }
  // The feature readers put exactly the title into ItemDocument::text for
  // these formats (genres go to tokens, which are dropped here).
  ItemFeatures features;
  add_item_features(features, s);
  ItemTitles titles;
  for (auto& [id, doc] : features.items)
    titles.by_id.emplace_hint(titles.by_id.end(), id, std::move(doc.text));
  return titles;
}

std::string csv_field(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out;
  out.reserve(field.size() + 2);
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace hpcrec::io
