// Dense item vectors computed elsewhere (word2vec, BERT, planted factors of
// `hpcrec generate`), the alternative to TF-IDF rows for the content model
// (src/content.hpp): x_i is item i's embedding, l2-normalised.
//
// File format (HDF5):
//   /items/ids         1-D [n]: integer ids (any HDF5 integer type) or
//                      strings (fixed- or variable-length, as h5py writes)
//   /items/embeddings  2-D [n, d], float or double; row k is the vector of
//                      /items/ids[k]; d >= 1; every value finite
// Ids are unique. Anything else in the file is ignored.
//
// Ids follow the ratings reader's rule (io/ratings_reader.hpp) so that they
// match the ratings' math::IdMap: an integer, or a string that is a canonical
// decimal 64-bit integer ("7", "-3"), is an integer id, stored as its decimal
// text; any other string ("u9", "007", "+7") is a string id, kept byte for
// byte, exactly as a ratings file with that id would keep it.
//
// Distribution: like item metadata (io/item_features.hpp) the file is small
// next to the ratings (ml-latest's 58k movies x 300 dimensions are 70 MB as
// floats), so every rank reads the whole file itself, serially; no MPI here.
// A bad file throws the same InputError on every rank (each reads the same
// bytes). Memory: n x d doubles whatever the file's type, until aligned()
// has made the float rows the content model keeps.
//
// Worked example: ids = {7, 3}, embeddings = [[3, 4], [0, 0]] (n = 2, d = 2).
// id_map() = ints {3, 7}. Aligned to a training item map {3, 5, 7} (dense
// items 0, 1, 2): row 0 (id 3) is empty (a zero vector has no direction),
// row 1 (id 5) is empty (no embedding), row 2 (id 7) is cols {0, 1}, values
// {0.6, 0.8}; matched = 2.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "src/csr_block.hpp"
#include "src/ids.hpp"
#include "src/types.hpp"

namespace hpcrec::io {

struct ItemEmbeddings {
  bool integer_ids = true;       // every id is an integer id (see above)
  std::vector<std::string> ids;  // in file order; integer ids as canonical decimal text
  math::Matrix vectors;          // ids.size() x d, row k = ids[k]'s embedding as stored

  std::size_t size() const { return ids.size(); }
  math::Index dimension() const { return static_cast<math::Index>(vectors.cols()); }

  // The embeddings as content rows over the dense items of `items` (first_row
  // 0, rows = items.size(), column j = dimension j): row i is item i's
  // embedding divided by its l2 norm (computed in double, stored as float;
  // entries that are exactly 0 are left out, as in any CSR row). Items
  // without an embedding and zero vectors give empty rows. `matched` (if
  // given) receives how many items have an embedding (zero vectors count).
  math::CsrBlock aligned(const math::IdMap& items, math::Index* matched = nullptr) const;

  // The embeddings' ids as an IdMap (sorted like the ratings' maps): integers
  // if every id is one, strings otherwise. Merged into the training item map
  // (IdMap::merged) it lets items known only from this file be recommended
  // (cold start).
  math::IdMap id_map() const;
};

// Reads and checks `path`. Throws InputError starting with the path for a
// missing or unreadable file, a missing dataset, a wrong rank or type, a
// row count that differs from the id count, no items, d == 0, an empty or
// duplicate id, a non-finite value.
ItemEmbeddings read_item_embeddings(const std::string& path);

enum class EmbeddingPrecision { kFloat, kDouble };

// Writes the format above to `path` through PATH.tmp (io/atomic_file.hpp):
// integer or string ids in the given order, row k of `vectors` for ids[k],
// stored as 32-bit floats (the usual for embeddings) or doubles. Serial: call
// it from one process. Only the shape is checked (ids.size() ==
// vectors.rows(), else std::invalid_argument), so tests can also write files
// the reader must reject. Throws InputError ("cannot create PATH.tmp:
// reason") for a bad directory, h5::H5Error or std::runtime_error (the
// rename) for other failures; then PATH.tmp is removed and an earlier file
// under `path` is untouched.
void write_item_embeddings(const std::string& path, std::span<const std::int64_t> ids,
                           const math::Matrix& vectors,
                           EmbeddingPrecision precision = EmbeddingPrecision::kFloat);
void write_item_embeddings(const std::string& path, std::span<const std::string> ids,
                           const math::Matrix& vectors,
                           EmbeddingPrecision precision = EmbeddingPrecision::kFloat);

}  // namespace hpcrec::io
