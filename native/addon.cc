// The addon's one entry point: each part of native/ registers its functions and classes here.
#include <napi.h>

#include "build_info.h"
#include "native_encoder.h"
#include "native_process_group.h"

namespace secora {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Number::New(env, 3));
  InitBuildInfo(env, exports);
  InitNativeEncoder(env, exports);
  InitNativeProcessGroup(env, exports);
  return exports;
}

}  // namespace secora

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return secora::Init(env, exports); }

NODE_API_MODULE(secora, InitModule)
