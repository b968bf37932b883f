#include "app/model.hpp"

#include "src/errors.hpp"

namespace hpcrec::app {

using math::Index;

math::CsrBlock batch_rows(const math::CsrBlock& block, const UserBatch& batch) {
  if (batch.all) return block;
  math::CsrBlock out;
  out.first_row = 0;
  out.indptr.reserve(batch.rows.size() + 1);
  for (Index r : batch.rows) {
    const auto cols = block.row_cols(r);
    const auto values = block.row_values(r);
    out.cols.insert(out.cols.end(), cols.begin(), cols.end());
    out.values.insert(out.values.end(), values.begin(), values.end());
    out.indptr.push_back(static_cast<math::Offset>(out.cols.size()));
  }
  return out;
}

std::vector<std::span<const Index>> batch_exclusions(const TrainingData& data, const UserBatch& batch,
                                                     const ItemFilter& filter) {
  std::vector<std::span<const Index>> out(static_cast<size_t>(batch.size(data)));
  if (filter.include_seen) return out;
  for (size_t j = 0; j < out.size(); ++j) out[j] = data.by_user.row_cols(batch.row(static_cast<Index>(j)));
  return out;
}

namespace {

const io::Attribute& find_attr(const io::Attributes& a, const std::string& key, const io::ModelReader& in) {
  auto it = a.find(key);
  if (it == a.end()) in.fail("missing attribute " + key);
  return it->second;
}

}  // namespace

double attr_double(const io::Attributes& a, const std::string& key, const io::ModelReader& in) {
  const io::Attribute& v = find_attr(a, key, in);
  if (const double* d = std::get_if<double>(&v)) return *d;
  if (const std::int64_t* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  in.fail("attribute " + key + " is not a number");
}

std::int64_t attr_int(const io::Attributes& a, const std::string& key, const io::ModelReader& in) {
  const io::Attribute& v = find_attr(a, key, in);
  if (const std::int64_t* i = std::get_if<std::int64_t>(&v)) return *i;
  in.fail("attribute " + key + " is not an integer");
}

std::string attr_string(const io::Attributes& a, const std::string& key, const io::ModelReader& in) {
  const io::Attribute& v = find_attr(a, key, in);
  if (const std::string* s = std::get_if<std::string>(&v)) return *s;
  in.fail("attribute " + key + " is not a string");
}

const ModelEntry& model_entry(const std::string& name) {
  for (const ModelEntry& e : model_table())
    if (name == e.name) return e;
  std::string known;
  for (const ModelEntry& e : model_table()) known += std::string(known.empty() ? "" : ", ") + e.name;
  throw InputError("unknown algorithm '" + name + "' (known: " + known + ")");
}

std::unique_ptr<Model> make_model(const std::string& name, const TrainOptions& options) {
  return model_entry(name).from_options(options);
}

std::unique_ptr<Model> load_model(const io::ModelReader& in, const std::string& group,
                                  const TrainingData& data) {
  const io::Attributes a = in.attributes(group);
  const std::string name = attr_string(a, "algorithm", in);
  const ModelEntry* entry = nullptr;
  for (const ModelEntry& e : model_table())
    if (name == e.name) entry = &e;
  if (!entry) in.fail("unknown algorithm '" + name + "' (written by a newer hpcrec?)");
  std::unique_ptr<Model> m = entry->blank();
  m->load(in, group, data);
  return m;
}

}  // namespace hpcrec::app
