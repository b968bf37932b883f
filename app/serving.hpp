// A model as a file and as a service: writing a fitted model with its
// training matrix, loading it back over any number of ranks (the same
// app::TrainingData training had, rebuilt from /users/train_*), serving
// lists with the popularity fallback, and writing them as top-N files.
// `train --model/--recommendations` and `recommend` share these, which is
// why `recommend --all` reproduces `train --recommendations` byte for byte.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/model.hpp"
#include "io/model_file.hpp"
#include "io/topn_writer.hpp"

namespace hpcrec::app {

// Collective. Writes `model` (fitted on `data`) to `path`: the training
// matrix, the model's rows and datasets, its attributes and, if given,
// item titles aligned to data.item_ids (/items/titles).
void save_model_file(const dist::Communicator& comm, const std::string& path, const Model& model,
                     const TrainingData& data, const std::vector<std::string>& titles);

struct LoadedModel {
  TrainingData data;  // ids, partitions, this rank's user and item rows
  std::unique_ptr<Model> model;
  std::vector<std::string> titles;  // per dense item; empty if the file has none
  std::string algorithm;
  int factors = 0;  // width of the root factors (0: none)
};

// Collective. Every rank reads the file (one process each, serially) and
// keeps its rows under a work-balanced partition of the users and items.
// Errors (missing file, not a model, malformed) are agreed: every rank
// throws the same InputError.
LoadedModel load_model_file(const dist::Communicator& comm, const std::string& path, int threads);

// Lists as served: the model's, or the popularity list (items by training
// interactions, filters applied, training items not excluded: the user has
// none) for users the model cannot serve.
struct ServedLists {
  TopLists lists;             // per batch user
  std::vector<char> popular;  // per batch user: 1 = the popularity list
};

// Collective. The batch users with training interactions get the model's
// lists, the others the popularity list.
ServedLists serve(const dist::Communicator& comm, const Model& model, const TrainingData& data,
                  const UserBatch& batch, int n, const ItemFilter& filter);

// Collective. The best n items by training interactions (ties to the smaller
// id), filtered; the same list on every rank.
std::vector<math::ScoredItem> popularity_list(const dist::Communicator& comm, const TrainingData& data, int n,
                                              const ItemFilter& filter);

// This rank's part of a top-N file: every user of this rank.
io::TopNSlice topn_slice(const dist::Communicator& comm, const TrainingData& data, const ServedLists& served,
                         int n, const std::vector<std::string>& titles);

// Collective. Every user's lists (this rank's users, all of them) to a
// top-N file (CSV or .h5 by extension), with titles if not empty; an HDF5
// file's /topn gets `run`'s keys as attributes (rank 0's).
void write_lists(const dist::Communicator& comm, const std::string& path, const TrainingData& data,
                 const ServedLists& served, int n, const std::vector<std::string>& titles,
                 const Record& run = Record::object());

}  // namespace hpcrec::app
