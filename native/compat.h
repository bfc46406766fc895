// The differences between libtorch 1.13 (Debian, CPU) and 2.x (CUDA/ROCm wheels and archives) live here,
// so the rest of native/ is written once against these names.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>
#include <ATen/autocast_mode.h>
#include <ATen/CPUGeneratorImpl.h>

#include "dropout.h"

#include <cstdlib>
#include <optional>

#if defined(SECORA_WITH_CUDA) || defined(SECORA_WITH_ROCM)
#define SECORA_HAS_CUDA_DEVICE 1
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAGeneratorImpl.h>
#endif

namespace secora::compat {

constexpr bool kTorch2 = TORCH_VERSION_MAJOR >= 2;

inline std::string torchVersion() { return TORCH_VERSION; }

// Autocast is thread-local state: enable and disable it in the thread that runs the step.
inline void setAutocast(c10::DeviceType device, bool enabled, at::ScalarType dtype) {
#if TORCH_VERSION_MAJOR >= 2 && TORCH_VERSION_MINOR >= 4
  at::autocast::set_autocast_enabled(device, enabled);
  if (enabled) at::autocast::set_autocast_dtype(device, dtype);
#else
  if (device == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(enabled);
    if (enabled) at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    if (enabled) at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
  if (!enabled) at::autocast::clear_cache();
}

// Whether the fused attention kernel (at::scaled_dot_product_attention) exists in this libtorch.
constexpr bool kHasSdpa = TORCH_VERSION_MAJOR >= 2;

// The attention of one layer: softmax(q k^T / sqrt(d) + mask) v with dropout on the probabilities.
// q, k, v are [B,heads,S,d]. `keep` is a bool [B,1,1,S] (true = a real token) and `bias` the same mask as
// [B*heads,1,S] of 0 / the dtype's lowest value; both are undefined when no row is padded.
// The fused kernel (2.x) is used where its dropout may draw from the device's default generator (CUDA), or
// where there is no dropout; otherwise the explicit path draws dropout from `gen`, which the model owns.
inline at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& keep,
                            const at::Tensor& bias, double dropout, at::Generator& gen) {
#if TORCH_VERSION_MAJOR >= 2
  if (dropout == 0.0 || q.is_cuda()) {
    c10::optional<at::Tensor> mask;
    if (keep.defined()) mask = keep;
    return at::scaled_dot_product_attention(q, k, v, mask, dropout, false);
  }
#else
  (void)keep;
#endif
  // q may hold fewer positions than k and v (only the first, for CLS pooling).
  const int64_t b = q.size(0), heads = q.size(1), sq = q.size(2), s = k.size(2), d = q.size(3);
  auto q3 = q.reshape({b * heads, sq, d});
  auto kt = k.reshape({b * heads, s, d}).transpose(1, 2);
  // The 1/sqrt(d) scale and the padding mask ride in the batched GEMM (alpha, and beta = 1 over the
  // broadcast bias); with no padding beta = 0, where the GEMM does not read its output.
  // Small products are the exception: libtorch 1.13's own loop for them (d * sq * s < 400) computes
  // 0 * out + alpha * acc over the output's uninitialized memory, so a NaN left there by an earlier tensor came
  // through (a test's tiny model saw it once; at d = 64, CLS pooling reaches it for texts of up to 6 tokens, where
  // sq = 1). tests/junk-fill.test.ts makes such reads show every time. Those get bmm and an in-place scale; the
  // bound keeps a wide margin over libtorch's, and the scale's extra pass is over fewer than 4096 / d scores a head.
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  at::Tensor scores;
  if (bias.defined()) {
    scores = at::baddbmm(bias.to(q3.scalar_type()), q3, kt, 1.0, scale);
  } else if (sq * s * d < 4096) {
    scores = at::bmm(q3, kt).mul_(scale);  // bmm keeps its inputs for backward, not its output
  } else {
    scores = at::baddbmm(at::zeros({1, 1, 1}, q3.options()), q3, kt, 0.0, scale);
  }
  auto probs = at::softmax(scores, -1);
  if (dropout > 0.0) probs = probs * dropoutMask(probs, dropout, gen);
  return at::bmm(probs, v.reshape({b * heads, s, d})).view({b, heads, sq, d});
}

// A generator for dropout on `device`, owned by one model so its state can be saved and restored.
inline at::Generator makeGenerator(const c10::Device& device, uint64_t seed) {
#if defined(SECORA_HAS_CUDA_DEVICE)
  if (device.is_cuda()) {
    auto gen = at::cuda::detail::createCUDAGenerator(device.index());
    gen.set_current_seed(seed);
    return gen;
  }
#endif
  (void)device;
  return at::detail::createCPUGenerator(seed);
}

// The device's default generator, which the fused attention's dropout draws from (CUDA only); none on CPU.
inline std::optional<at::Generator> defaultDeviceGenerator(const c10::Device& device) {
#if defined(SECORA_HAS_CUDA_DEVICE)
  if (device.is_cuda()) return at::cuda::detail::getDefaultCUDAGenerator(device.index());
#endif
  (void)device;
  return std::nullopt;
}

// Waits for the device's queued work (timing); nothing to wait for on the CPU.
inline void synchronize(const c10::Device& device) {
#if defined(SECORA_HAS_CUDA_DEVICE)
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
#endif
  (void)device;
}

// Deterministic algorithms everywhere; cuBLAS needs a fixed workspace for that (set before CUDA starts, unless
// the user set one).
inline void setDeterministic(bool on) {
  if (on) setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0);
  at::globalContext().setDeterministicAlgorithms(on, false);
}

// Mixed precision with fp16 needs a CUDA (or ROCm) device and a build that drives one.
constexpr bool kHasCuda =
#if defined(SECORA_WITH_CUDA) || defined(SECORA_WITH_ROCM)
    true;
#else
    false;
#endif

inline bool cudaAvailable() { return torch::cuda::is_available(); }
inline int cudaDeviceCount() { return static_cast<int>(torch::cuda::device_count()); }

// Compute capability "major.minor" of a CUDA device, or "" when this build has no CUDA.
inline std::string cudaCapability(int index) {
#if defined(SECORA_WITH_CUDA)
  auto* p = at::cuda::getDeviceProperties(index);
  return std::to_string(p->major) + "." + std::to_string(p->minor);
#else
  (void)index;
  return "";
#endif
}

inline std::string cudaDeviceName(int index) {
#if defined(SECORA_WITH_CUDA)
  return at::cuda::getDeviceProperties(index)->name;
#else
  (void)index;
  return "";
#endif
}

// bf16 matmuls run at full rate on CUDA from compute capability 8.0 (Ampere) on.
inline bool cudaBf16Supported(int index) {
#if defined(SECORA_WITH_CUDA)
  return at::cuda::getDeviceProperties(index)->major >= 8;
#else
  (void)index;
  return false;
#endif
}

}  // namespace secora::compat
