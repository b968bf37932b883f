#include "src/float_mirror.hpp"

#include <algorithm>
#include <cstdint>

namespace hpcrec::math {

const float* float_mirror(const Eigen::Ref<const Matrix>& src, int threads, std::vector<float>& storage) {
  const Eigen::Index k = src.cols();
  const Eigen::Index kpf = round_up_float(k);
  const auto needed = static_cast<std::size_t>(src.rows() * kpf + kFloatLanes);
  if (storage.size() < needed) storage.resize(needed);
  const auto misalign = reinterpret_cast<std::uintptr_t>(storage.data()) % 64 / sizeof(float);
  float* m = storage.data() + (misalign == 0 ? 0 : kFloatLanes - static_cast<Eigen::Index>(misalign));
#pragma omp parallel for num_threads(std::max(threads, 1)) schedule(static)
  for (Index r = 0; r < src.rows(); ++r) {
    float* out = m + r * kpf;
    const double* in = src.row(r).data();
    for (Eigen::Index f = 0; f < k; ++f) out[f] = static_cast<float>(in[f]);
    std::fill(out + k, out + kpf, 0.0f);
  }
  return m;
}

}  // namespace hpcrec::math
