// c10d across libtorch versions, in one place: 1.13's backends are ProcessGroups; from 2.0 they are
// c10d::Backend. SECORA_WITH_C10D (Gloo) and SECORA_WITH_NCCL (a CUDA libtorch with ProcessGroupNCCL.hpp and
// nccl.h) are set by CMakeLists.txt when the headers are there.
#pragma once

#include <torch/version.h>

#if defined(SECORA_WITH_C10D)
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if defined(SECORA_WITH_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace secora::compat {

#if TORCH_VERSION_MAJOR >= 2
using CollectiveBackend = c10d::Backend;
#else
using CollectiveBackend = c10d::ProcessGroup;
#endif

}  // namespace secora::compat
#endif
