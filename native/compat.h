// The differences between libtorch 1.13 (Debian, CPU) and 2.x (CUDA/ROCm wheels and archives) live here,
// so the rest of native/ is written once against these names.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>
#include <ATen/autocast_mode.h>

#if defined(SECORA_WITH_CUDA)
#include <ATen/cuda/CUDAContext.h>
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
