#include "io/text_writer.hpp"

#include <algorithm>
#include <stdexcept>

#include "io/atomic_file.hpp"
#include "io/hdf5.hpp"

namespace hpcrec::io {

void write_text_collectively(const dist::Communicator& comm, const std::string& path,
                             const std::string& text) {
  const auto bytes = static_cast<std::int64_t>(text.size());
  const std::int64_t offset = comm.exscan_sum(bytes);
  const std::int64_t total = comm.allreduce(bytes, MPI_SUM);
  // MPI counts are ints: write in pieces, every rank making the same number
  // of collective calls (empty ones once its text is out).
  constexpr std::int64_t kPiece = std::int64_t{1} << 30;
  const std::int64_t pieces = comm.allreduce<std::int64_t>((bytes + kPiece - 1) / kPiece, MPI_MAX);
  const std::string tmp = tmp_path(path);

  h5::write_atomically(
      comm, path,
      [&] {
        MPI_File fh = MPI_FILE_NULL;
        const int open_rc =
            MPI_File_open(comm.raw(), tmp.c_str(), MPI_MODE_WRONLY | MPI_MODE_CREATE, MPI_INFO_NULL, &fh);
        if (comm.allreduce<int>(open_rc == MPI_SUCCESS ? 1 : 0, MPI_MIN) == 0) {
          // Closing is collective over ranks that may not hold the file, so a
          // rank that did open it leaves it open (the job is ending anyway); the
          // ranks that failed report why.
          HPCREC_MPI(open_rc);
          return;
        }
        // From here every rank makes the same calls whatever fails, so no rank
        // waits in a collective the others have left; the first error is
        // reported after the (collective) close.
        int err = MPI_SUCCESS;
        const char* failed = "";
        std::string short_write;
        auto step = [&](int rc, const char* call) {
          if (rc != MPI_SUCCESS && err == MPI_SUCCESS) {
            err = rc;
            failed = call;
          }
        };
        // Sized exactly, so a longer stale .tmp leaves no tail behind.
        step(MPI_File_set_size(fh, total), "MPI_File_set_size");
        for (std::int64_t p = 0; p < pieces; ++p) {
          const std::int64_t at = std::min(p * kPiece, bytes);
          const int count = static_cast<int>(std::min(kPiece, bytes - at));
          MPI_Status status;
          const int rc = MPI_File_write_at_all(fh, offset + at, text.data() + at, count, MPI_CHAR, &status);
          step(rc, "MPI_File_write_at_all");
          int written = 0;
          if (rc == MPI_SUCCESS && MPI_Get_count(&status, MPI_CHAR, &written) == MPI_SUCCESS &&
              written != count && short_write.empty()) {
            short_write = "short write to " + tmp + ": " + std::to_string(written) + " of " +
                          std::to_string(count) + " bytes";
          }
        }
        step(MPI_File_close(&fh), "MPI_File_close");
        if (err != MPI_SUCCESS) dist::check_mpi(err, failed, __FILE__, __LINE__);
        if (!short_write.empty()) throw std::runtime_error(short_write);
      },
      h5::WriteFailure::kAgree, static_cast<std::uintmax_t>(total));
}

}  // namespace hpcrec::io
