#include "app/serving.hpp"

#include <algorithm>

#include "io/topn_writer.hpp"
#include "mpi/failure.hpp"

namespace hpcrec::app {

using math::Index;
using math::Offset;

void save_model_file(const dist::Communicator& comm, const std::string& path, const Model& model,
                     const TrainingData& data, const std::vector<std::string>& titles) {
  io::ModelSlice slice;
  slice.attributes = model.attributes();
  // Models without root factor rows (a hybrid) store zero-width factors and zero biases.
  const math::Matrix no_users(data.by_user.rows(), 0), no_items(data.by_item.rows(), 0);
  const math::Vector zero_users = math::Vector::Zero(data.by_user.rows());
  const math::Vector zero_items = math::Vector::Zero(data.by_item.rows());
  FactorRows rows{&no_users, &zero_users, &no_items, &zero_items};
  if (auto own = model.factor_rows()) rows = *own;
  slice.users = {&data.user_ids, data.by_user.first_row, rows.user_factors, rows.user_bias};
  slice.items = {&data.item_ids, data.by_item.first_row, rows.item_factors, rows.item_bias};
  slice.train = &data.by_user;
  slice.extra = [&](io::ModelWriter& out) {
    model.save(out, data, "");
    if (!titles.empty()) out.whole("/items/titles", titles);
  };
  io::write_model(comm, path, slice);
}

LoadedModel load_model_file(const dist::Communicator& comm, const std::string& path, int threads) {
  LoadedModel out;
  std::unique_ptr<io::ModelReader> reader;
  dist::collective_phase(comm, [&] { reader = std::make_unique<io::ModelReader>(path); });
  const io::Model& m = reader->common();
  TrainingData& d = out.data;
  d.user_ids = m.user_ids;
  d.item_ids = m.item_ids;
  const Index users = d.user_ids.size(), items = d.item_ids.size();
  std::vector<Offset> user_nnz(static_cast<size_t>(users)), item_nnz(static_cast<size_t>(items), 0);
  for (Index u = 0; u < users; ++u) user_nnz[u] = m.train_indptr[u + 1] - m.train_indptr[u];
  for (Index i : m.train_items) ++item_nnz[i];
  const int k = static_cast<int>(m.user_factors.cols());
  d.users = dist::BlockPartition::balanced(user_nnz, comm.size(), k);
  d.items = dist::BlockPartition::balanced(item_nnz, comm.size(), k);
  // This rank's user rows: a slice of the stored CSR (global item ids).
  const Index u0 = d.users.first(comm.rank()), nu = d.users.count(comm.rank());
  d.by_user.first_row = u0;
  d.by_user.indptr.assign(1, 0);
  const Offset e0 = m.train_indptr[u0], e1 = m.train_indptr[u0 + nu];
  d.by_user.cols.assign(m.train_items.begin() + e0, m.train_items.begin() + e1);
  d.by_user.values.assign(m.train_values.begin() + e0, m.train_values.begin() + e1);
  for (Index u = u0; u < u0 + nu; ++u) d.by_user.indptr.push_back(m.train_indptr[u + 1] - e0);
  // This rank's item rows: the transpose of the entries of its items.
  const Index i0 = d.items.first(comm.rank()), ni = d.items.count(comm.rank());
  std::vector<math::Rating> mine;
  for (Index u = 0; u < users; ++u) {
    for (Offset e = m.train_indptr[u]; e < m.train_indptr[u + 1]; ++e) {
      const Index i = m.train_items[e];
      if (i >= i0 && i < i0 + ni) mine.push_back({u, i, m.train_values[e]});
    }
  }
  d.by_item = math::build_csr(mine, i0, ni, /*by_item=*/true);
  d.train = static_cast<Offset>(m.train_items.size());
  d.global_mean = m.global_mean();
  d.min_rating = static_cast<float>(m.number("rating_min", 0.0));
  d.max_rating = static_cast<float>(m.number("rating_max", 0.0));
  dist::collective_phase(comm, [&] {
    out.model = load_model(*reader, "", d);
    if (reader->has("/items/titles")) {
      out.titles = reader->strings("/items/titles");
      if (static_cast<Index>(out.titles.size()) != items)
        reader->fail("/items/titles does not match /items/ids");
    }
  });
  out.algorithm = out.model->name();
  out.factors = k;
  out.model->set_threads(threads);
  return out;
}

std::vector<math::ScoredItem> popularity_list(const dist::Communicator& comm, const TrainingData& data, int n,
                                              const ItemFilter& filter) {
  std::vector<Offset> count(static_cast<size_t>(data.item_ids.size()), 0);
  for (Index r = 0; r < data.by_item.rows(); ++r) count[data.by_item.first_row + r] = data.by_item.row_nnz(r);
  comm.allreduce_inplace<Offset>(count, MPI_SUM);
  math::TopNHeap heap(n);
  for (size_t i = 0; i < count.size(); ++i)
    if (filter.allows(static_cast<Index>(i))) heap.push(static_cast<Index>(i), static_cast<double>(count[i]));
  return heap.sorted();
}

ServedLists serve(const dist::Communicator& comm, const Model& model, const TrainingData& data,
                  const UserBatch& batch, int n, const ItemFilter& filter) {
  ServedLists out;
  out.lists = model.recommend(comm, data, batch, n, filter);
  const Index users = batch.size(data);
  out.popular.assign(static_cast<size_t>(users), 0);
  // Collective: whether any rank needs the list (so that all compute it).
  bool needed = false;
  for (Index j = 0; j < users && !needed; ++j) needed = batch.history(data, j) == 0;
  if (!comm.allreduce<int>(needed ? 1 : 0, MPI_MAX)) return out;
  const std::vector<math::ScoredItem> popular = popularity_list(comm, data, n, filter);
  for (Index j = 0; j < users; ++j) {
    if (batch.history(data, j) > 0) continue;
    out.lists[static_cast<size_t>(j)] = popular;
    out.popular[static_cast<size_t>(j)] = 1;
  }
  return out;
}

io::TopNSlice topn_slice(const dist::Communicator& comm, const TrainingData& data, const ServedLists& served,
                         int n, const std::vector<std::string>& titles) {
  io::TopNSlice slice;
  slice.first_user = data.users.first(comm.rank());
  slice.users = data.users.count(comm.rank());
  slice.n = n;
  slice.items.assign(static_cast<size_t>(slice.users) * n, -1);
  slice.scores.assign(slice.items.size(), std::nan(""));
  slice.popular = served.popular;
  if (!titles.empty()) slice.titles = &titles;
  for (Index u = 0; u < slice.users; ++u) {
    const auto& list = served.lists[static_cast<size_t>(u)];
    for (size_t j = 0; j < list.size() && j < static_cast<size_t>(n); ++j) {
      slice.items[static_cast<size_t>(u) * n + j] = list[j].item;
      slice.scores[static_cast<size_t>(u) * n + j] = list[j].score;
    }
  }
  return slice;
}

void write_lists(const dist::Communicator& comm, const std::string& path, const TrainingData& data,
                 const ServedLists& served, int n, const std::vector<std::string>& titles,
                 const Record& run) {
  io::TopNSlice slice = topn_slice(comm, data, served, n, titles);
  // Every rank writes the same attributes: rank 0's (ISAs may differ between nodes).
  std::string text = run.dump();
  comm.broadcast_string(text, 0);
  const Record same = Record::parse(text);
  for (const auto& [key, value] : same.items())
    slice.attributes.emplace_back(key, value.is_string() ? value.get<std::string>() : value.dump());
  io::write_topn(comm, path, slice, data.user_ids, data.item_ids);
}

}  // namespace hpcrec::app
