#include "dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <mutex>

namespace secora {

namespace {

constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ull;

// splitmix64's output function (Steele, Lea, Flood 2014): a bijective mix of its 64-bit state.
inline uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

template <typename T>
void fillMask(T* out, int64_t n, uint64_t seed, uint32_t threshold, T scale) {
  const int64_t blocks = (n + 3) / 4;
  at::parallel_for(0, blocks, 4096, [&](int64_t begin, int64_t end) {
    const T values[2] = {T(0), scale};  // indexed by "kept": no branch per entry
    for (int64_t j = begin; j < end; ++j) {
      const uint64_t r = mix(seed + static_cast<uint64_t>(j + 1) * kGamma);
      T* o = out + 4 * j;
      const int64_t lanes = std::min<int64_t>(4, n - 4 * j);
      for (int64_t k = 0; k < lanes; ++k) o[k] = values[((r >> (16 * k)) & 0xFFFF) < threshold];
    }
  });
}

}  // namespace

at::Tensor dropoutMask(const at::Tensor& like, double p, at::Generator& gen) {
  if (!like.is_cpu()) return at::empty_like(like).bernoulli_(1.0 - p, gen).div_(1.0 - p);
  const auto keep = static_cast<uint32_t>(std::llround((1.0 - p) * 65536.0));
  TORCH_CHECK(keep >= 1, "dropout: p = ", p, " keeps nothing");
  uint64_t seed;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    seed = at::check_generator<at::CPUGeneratorImpl>(gen)->random64();
  }
  auto mask = at::empty(like.sizes(), like.options().memory_format(at::MemoryFormat::Contiguous));
  const double scale = 65536.0 / keep;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, mask.scalar_type(), "dropoutMask", [&] {
    fillMask<scalar_t>(mask.data_ptr<scalar_t>(), mask.numel(), seed, keep, static_cast<scalar_t>(scale));
  });
  return mask;
}

}  // namespace secora
