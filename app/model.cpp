#include "app/model.hpp"

#include <cstdio>

#include "src/errors.hpp"

namespace hpcrec::app {

using math::Index;

math::CsrBlock batch_rows(const math::CsrBlock& block, const UserBatch& batch) {
  if (batch.histories) return *batch.histories;
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
  for (size_t j = 0; j < out.size(); ++j) out[j] = batch.items(data, static_cast<Index>(j));
  return out;
}

io::NeighborSlice neighbor_slice(const dist::Communicator& comm, const math::NeighborLists& lists,
                                 const std::string& side) {
  io::NeighborSlice slice;
  int k = 0;
  for (Index r = 0; r < lists.rows(); ++r) k = std::max(k, static_cast<int>(lists.row(r).size()));
  k = comm.allreduce<int>(k, MPI_MAX);
  slice.side = side;
  slice.first = lists.first_row;
  slice.rows = lists.rows();
  slice.k = k;
  const size_t slots = static_cast<size_t>(slice.rows) * k;
  slice.index.assign(slots, -1);
  slice.similarity.assign(slots, std::nan(""));
  slice.support.assign(slots, 0);
  for (Index r = 0; r < lists.rows(); ++r) {
    const auto row = lists.row(r);
    for (size_t j = 0; j < row.size(); ++j) {
      slice.index[static_cast<size_t>(r) * k + j] = row[j].id;
      slice.similarity[static_cast<size_t>(r) * k + j] = row[j].sim;
      slice.support[static_cast<size_t>(r) * k + j] = row[j].support;
    }
  }
  return slice;
}

Similar Model::similar(const TrainingData&, bool users, Index, int, int) const {
  throw InputError("a " + name() + " model has no neighbours of " + (users ? "users" : "items"));
}

math::NeighborLists load_neighbor_lists(const io::ModelReader& in, const std::string& group, Index first,
                                        Index rows, Index total) {
  const io::StoredNeighbors nb = in.neighbors(group + "/knn");
  if (static_cast<Index>(nb.index.size()) != total * nb.k)
    in.fail(group + "/knn: lists do not match the ids");
  math::NeighborLists lists;
  lists.first_row = first;
  for (Index r = first; r < first + rows; ++r) {
    for (int j = 0; j < nb.k; ++j) {
      const size_t at = static_cast<size_t>(r) * nb.k + j;
      if (nb.index[at] < 0) break;
      if (nb.index[at] >= total) in.fail(group + "/knn: a neighbour index out of range");
      lists.entries.push_back({nb.index[at], nb.similarity[at], static_cast<Index>(nb.support[at])});
    }
    lists.indptr.push_back(static_cast<math::Offset>(lists.entries.size()));
  }
  return lists;
}

Similar stored_neighbors(const math::NeighborLists& lists, Index row, int n) {
  Similar out;
  out.measure = "similarity";
  const auto list = lists.row(row);
  out.list.assign(list.begin(),
                  list.begin() + std::min<std::ptrdiff_t>(n, static_cast<std::ptrdiff_t>(list.size())));
  return out;
}

std::string num17(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

namespace {

const io::Attribute& find_attr(const io::Attributes& a, const std::string& key, const io::ModelReader& in) {
  auto it = a.find(key);
  if (it == a.end()) in.fail("missing attribute " + key);
  return it->second;
}

}  // namespace

void Model::set_rank_by(const std::string&) {
  throw InputError("--rank-by applies to explicit rating models (als), not " + name());
}

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
