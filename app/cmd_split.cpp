// hpcrec split: write a train/test split to files, so other tools can be run
// on exactly the data hpcrec trains and evaluates on.
#include <charconv>
#include <cstdio>

#include "app/commands.hpp"
#include "app/options.hpp"
#include "app/reader_options.hpp"
#include "app/split_files.hpp"
#include "app/split_options.hpp"
#include "app/training_data.hpp"
#include "io/text_writer.hpp"
#include "mpi/failure.hpp"
#include "mpi/id_remap.hpp"

namespace hpcrec::app {

namespace {

// "user\titem\trating[\ttimestamp]\n", original ids.
void append_line(std::string& out, const std::string& user, const std::string& item, float rating,
                 const std::int64_t* timestamp) {
  out += user;
  out += '\t';
  out += item;
  out += '\t';
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, rating);
  (void)ec;
  out.append(buf, end);
  if (timestamp) {
    out += '\t';
    auto [e2, ec2] = std::to_chars(buf, buf + sizeof buf, *timestamp);
    (void)ec2;
    out.append(buf, e2);
  }
  out += '\n';
}

}  // namespace

void write_split_files(const dist::Communicator& comm, const TrainingData& data, const std::string& out_train,
                       const std::string& out_test) {
  // Users in dense (sorted id) order, each user's items ascending: the same
  // files at any rank count. The ids named are fetched from the ranks that
  // hold them (the maps may be partitioned).
  std::string text;
  const math::CsrBlock& t = data.by_user;
  {
    std::vector<math::Index> users, items(t.cols.begin(), t.cols.end());
    for (math::Index r = 0; r < t.rows(); ++r) users.push_back(t.first_row + r);
    const math::IdMap user_names = dist::fetch_names(comm, data.user_ids, users);
    const math::IdMap item_names = dist::fetch_names(comm, data.item_ids, items);
    for (math::Index r = 0; r < t.rows(); ++r) {
      const std::string user = user_names.name(users[static_cast<size_t>(r)]);
      for (math::Offset e = t.indptr[r]; e < t.indptr[r + 1]; ++e) {
        append_line(text, user, item_names.name(items[static_cast<size_t>(e)]), t.values[e],
                    data.has_timestamps ? &data.train_timestamps[e] : nullptr);
      }
    }
  }
  io::write_text_collectively(comm, out_train, text);
  text.clear();
  std::vector<math::Index> users, items;
  for (const auto& r : data.test) {
    users.push_back(r.user);
    items.push_back(r.item);
  }
  const math::IdMap user_names = dist::fetch_names(comm, data.user_ids, users);
  const math::IdMap item_names = dist::fetch_names(comm, data.item_ids, items);
  for (size_t j = 0; j < data.test.size(); ++j) {
    append_line(text, user_names.name(users[j]), item_names.name(items[j]), data.test[j].value,
                data.has_timestamps ? &data.test_timestamps[j] : nullptr);
  }
  io::write_text_collectively(comm, out_test, text);
}

int run_split(const Args& args, const dist::Communicator& comm) {
  DataOptions d;
  SplitCli split;
  ReaderCli reader;
  std::string out_train, out_test;
  po::options_description desc("Split options");
  desc.add_options()("ratings", po::value(&d.ratings)->required(), "ratings file")(
      "out-train", po::value(&out_train)->required(), "write the training ratings here")(
      "out-test", po::value(&out_test)->required(), "write the held-out ratings here");
  add_reader_options(desc, reader);
  add_split_options(desc, split);
  bool go = true;
  dist::collective_phase(comm, [&] {
    po::variables_map vm;
    go = parse_options(
        "split", "Write a train/test split (tab-separated user, item, rating[, timestamp]; original ids).",
        desc, args, vm, comm.rank() == 0);
    if (!go) return;
    d.split = make_split_spec(split, false);
    if (d.split.kind == math::SplitKind::kNone)
      throw InputError("hpcrec split needs --holdout F or --leave-k K");
    if (d.split.kind == math::SplitKind::kStrong)
      throw InputError(
          "--split strong is an evaluation of train (the given ratings are neither train nor test): "
          "use hpcrec train --split strong");
    d.reader = make_reader_options(reader);
  });
  if (!go) return kExitOk;
  d.keep_timestamps = true;
  TrainingData data = load_training_data(comm, d);
  write_split_files(comm, data, out_train, out_test);
  if (comm.rank() == 0) {
    std::printf("split: %lld training ratings -> %s, %lld test ratings -> %s\n",
                static_cast<long long>(data.train), out_train.c_str(),
                static_cast<long long>(data.test_count), out_test.c_str());
  }
  return kExitOk;
}

}  // namespace hpcrec::app
