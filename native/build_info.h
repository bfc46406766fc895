#pragma once
#include <napi.h>

namespace secora {
// buildInfo(), setNumThreads(n), getNumThreads(): what the addon was built with and what it sees.
void InitBuildInfo(Napi::Env env, Napi::Object exports);
}  // namespace secora
