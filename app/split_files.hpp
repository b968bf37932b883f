// Train/test splits as files (hpcrec split, hpcrec tune's validation split).
#pragma once

#include <string>

#include "app/training_data.hpp"
#include "mpi/communicator.hpp"

namespace hpcrec::app {

// Collective. The training ratings of `data` to `out_train`, its held-out
// ratings to `out_test`: tab-separated user, item, rating[, timestamp] with
// original ids, users in dense order and each user's items ascending (the
// same files at any rank count).
void write_split_files(const dist::Communicator& comm, const TrainingData& data, const std::string& out_train,
                       const std::string& out_test);

}  // namespace hpcrec::app
