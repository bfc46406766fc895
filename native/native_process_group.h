#pragma once
#include <napi.h>

#include <memory>

#include "process_group.h"

namespace secora {
// Registers the NativeProcessGroup class (a c10d group joined from JavaScript; slow calls return Promises).
void InitNativeProcessGroup(Napi::Env env, Napi::Object exports);
// The joined group behind a NativeProcessGroup object, or a TypeError naming `what`.
std::shared_ptr<ProcessGroup> processGroupOf(Napi::Env env, const Napi::Value& value, const std::string& what);
}  // namespace secora
