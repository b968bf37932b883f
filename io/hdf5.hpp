// A thin, checked layer over the HDF5 C API, shared by every HDF5 format in
// io/: owning handles, parallel (MPI-IO) files, collective row-slab writes,
// attributes and fixed-length string data, plus the collective "write into
// PATH.tmp, then rename" protocol every writer in io/ follows.
#pragma once

#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "mpi/communicator.hpp"

namespace hpcrec::io::h5 {

class H5Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws H5Error naming the call, file, line and HDF5's innermost error
// message if `status` is negative; returns it otherwise. Works for hid_t,
// herr_t and htri_t alike.
[[noreturn]] void fail_h5(const char* call, const char* file, int line);
template <class T>
T check_h5(T status, const char* call, const char* file, int line) {
  if (status < 0) fail_h5(call, file, line);
  return status;
}
// Checked in release builds too: a failed HDF5 call must never go unnoticed,
// or a "successful" write could leave a file that is silently incomplete.
#define HPCREC_H5(call) ::hpcrec::io::h5::check_h5((call), #call, __FILE__, __LINE__)

// Turns off HDF5's printing of its error stack to stderr: errors reach the
// user once, as an exception. Idempotent; every opening helper calls it.
void silence_errors();

// True while a multi-rank write_atomically(..., kAbort) runs its `write`:
// an exception there ends the job (MPI_Abort), so handles being unwound must
// not be closed, as closing a parallel file is collective and would wait
// for ranks that are inside another collective call.
bool abort_pending_on_unwind() noexcept;

// An owning HDF5 identifier of one kind. Move-only; the destructor closes it
// and ignores the status (it may run during unwinding; not at all during a
// failed parallel write, see above). close() reports it.
template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(Handle&& o) noexcept : id_(o.id_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      o.id_ = H5I_INVALID_HID;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now and throws if HDF5 reports an error (for a file: the final
  // flush failed, so the data on disk is not complete).
  void close() {
    hid_t id = id_;
    id_ = H5I_INVALID_HID;
    if (id >= 0) check_h5(Close(id), "close", __FILE__, __LINE__);
  }

 private:
  void reset() noexcept {
    if (id_ >= 0 && !(std::uncaught_exceptions() > 0 && abort_pending_on_unwind())) Close(id_);
    id_ = H5I_INVALID_HID;
  }
  hid_t id_ = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using Group = Handle<H5Gclose>;
using Dataset = Handle<H5Dclose>;
using Dataspace = Handle<H5Sclose>;
using PropList = Handle<H5Pclose>;
using Datatype = Handle<H5Tclose>;
using AttributeId = Handle<H5Aclose>;

// --- files --------------------------------------------------------------

// Collective: creates (truncating) `path` for parallel writing through MPI-IO.
File create_parallel(const std::string& path, MPI_Comm comm);
// Collective: opens an existing file through MPI-IO (H5F_ACC_RDONLY or _RDWR).
File open_parallel(const std::string& path, MPI_Comm comm, unsigned flags);
// One process, default (sec2) driver, read-only. Throws H5Error if it cannot.
File open_serial(const std::string& path);

// A transfer property list for collective MPI-IO reads and writes.
PropList collective_transfer();

// --- groups, links ------------------------------------------------------

Group create_group(hid_t loc, const std::string& name);
Group open_group(hid_t loc, const std::string& name);
// Whether every component of the slash-separated `path` exists below `loc`.
bool exists(hid_t loc, const std::string& path);

// --- datasets -----------------------------------------------------------

template <class T>
hid_t native_type();
template <>
inline hid_t native_type<double>() {
  return H5T_NATIVE_DOUBLE;
}
template <>
inline hid_t native_type<std::int64_t>() {
  return H5T_NATIVE_INT64;
}
template <>
inline hid_t native_type<std::int32_t>() {
  return H5T_NATIVE_INT32;
}
template <>
inline hid_t native_type<float>() {
  return H5T_NATIVE_FLOAT;
}

// Creates a 1-D or 2-D dataset of `type` with the given global extent
// (contiguous layout, no fill: every element is written by some rank).
Dataset create_dataset(hid_t loc, const std::string& name, hid_t type, std::span<const hsize_t> dims);
Dataset open_dataset(hid_t loc, const std::string& name);
std::vector<hsize_t> dataset_dims(hid_t dataset);

// Collective: writes rows [first, first + count) of a 1-D or 2-D dataset from
// `data` (count x row-width elements of `mem_type`, row-major). A rank with
// count == 0 still takes part, with an empty selection.
void write_rows(hid_t dataset, hid_t mem_type, hsize_t first, hsize_t count, const void* data, hid_t dxpl);
template <class T>
void write_rows(hid_t dataset, hsize_t first, hsize_t count, const T* data, hid_t dxpl) {
  write_rows(dataset, native_type<T>(), first, count, data, dxpl);
}

// Reads a whole numeric dataset, converted to T; `dims` receives its extent.
template <class T>
std::vector<T> read_all(hid_t dataset, std::vector<hsize_t>* dims = nullptr);

// --- strings ------------------------------------------------------------

// A fixed-length, null-padded string type of `length` bytes (at least 1:
// HDF5 has no zero-length strings).
Datatype fixed_string_type(std::size_t length);
// Collective: the longest string over `local` on every rank (at least 1).
// Parallel HDF5 cannot write variable-length data collectively, so string
// datasets are fixed-length and every rank must agree on the length.
std::size_t global_max_length(const dist::Communicator& comm, std::span<const std::string> local);
// Creates a 1-D or 2-D dataset of fixed-length strings of `length` bytes.
Dataset create_string_dataset(hid_t loc, const std::string& name, std::span<const hsize_t> dims,
                              std::size_t length);
// Collective: writes rows [first, first + count) of a dataset made by
// create_string_dataset with the same `length`; `local` holds count x
// row-width strings, row-major.
void write_string_rows(hid_t dataset, std::size_t length, hsize_t first, std::span<const std::string> local,
                       hid_t dxpl);
// Reads a whole 1-D string dataset, fixed- or variable-length (files written
// by other tools, e.g. h5py, use variable-length strings).
std::vector<std::string> read_strings(hid_t dataset);
// Whether a dataset's element type is a string.
bool is_string_dataset(hid_t dataset);

// --- attributes ---------------------------------------------------------

// The same alternatives as io::Attribute, so the two convert freely.
using AttributeValue = std::variant<std::int64_t, double, std::string>;

// Scalar attributes on a file, group or dataset, replacing any of that name.
// In a parallel file every rank must call these with the same values.
void write_attribute(hid_t loc, const std::string& name, std::int64_t value);
void write_attribute(hid_t loc, const std::string& name, double value);
void write_attribute(hid_t loc, const std::string& name, const std::string& value);
void write_attribute(hid_t loc, const std::string& name, const AttributeValue& value);

bool has_attribute(hid_t loc, const std::string& name);
// Integer attributes read as int64, floating-point as double, strings (fixed
// or variable length) as string. Throws H5Error for other types.
AttributeValue read_attribute(hid_t loc, const std::string& name);
std::map<std::string, AttributeValue> read_attributes(hid_t loc);

// --- collective atomic replace -----------------------------------------

// What a rank does when `write` fails on it.
enum class WriteFailure {
  // Agree with the others and throw everywhere: for writes that keep making
  // the same collective calls whatever fails (io/text_writer).
  kAgree,
  // Print "rank r: PATH: ..." and MPI_Abort when there is more than one
  // rank: a rank that leaves a collective HDF5 write (a dataset write, the
  // close's barrier) early would leave the others waiting forever, e.g. on
  // a full disk. One rank alone throws as kAgree does.
  kAbort,
};

// Collective: writes `path` through tmp_path(path). Rank 0 first creates the
// temporary file (so that a bad directory is reported with the OS's reason),
// then every rank runs `write` (which must close every file it opens), then
// rank 0 renames it to `path`. Each step ends with an agreement on failure:
// if any rank fails, every rank throws (dist::JobError with the lowest
// failing rank's message), rank 0 removes the temporary file and any
// earlier file under `path` is untouched; inside `write`, see WriteFailure.
// A failure's message names the temporary file and, when its file system is
// (nearly) full, says so.
//
// `expected_bytes` (0: unknown) is a lower bound of the file's size: when the
// file system has less room, rank 0 says so before anything is written (an
// HDF5 file that runs out of space mid-write can leave its ranks in
// mismatched collective calls inside the library, which no error handling
// on our side can undo).
void write_atomically(const dist::Communicator& comm, const std::string& path,
                      const std::function<void()>& write, WriteFailure on_failure = WriteFailure::kAbort,
                      std::uintmax_t expected_bytes = 0);

}  // namespace hpcrec::io::h5
