#pragma once
#include <napi.h>

namespace secora {
// Registers the NativeEncoder class (one encoder: module, optimizer, device; slow calls return Promises).
void InitNativeEncoder(Napi::Env env, Napi::Object exports);
}  // namespace secora
