// The addon's one entry point: each part of native/ registers its functions and classes here.
#include <napi.h>

#include "bert_model.h"
#include "build_info.h"
#include "compat.h"
#include "native_encoder.h"
#include "native_process_group.h"

namespace secora {

// Deterministic kernels are a switch of the whole process (libtorch's global context, cuBLAS's workspace
// variable), so they are set here, once, and not as an option of one encoder.
static Napi::Value SetDeterministic(const Napi::CallbackInfo& info) {
  if (info.Length() != 1 || !info[0].IsBoolean()) {
    throw Napi::TypeError::New(info.Env(), "setDeterministic(on) takes one boolean");
  }
  compat::setDeterministic(info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

// Whether padded batches run unpadded (bert_model.h, Unpadded): process-wide, for the benchmark that measures it.
static Napi::Value SetPaddingRemoval(const Napi::CallbackInfo& info) {
  if (info.Length() != 1 || !info[0].IsBoolean()) {
    throw Napi::TypeError::New(info.Env(), "setPaddingRemoval(on) takes one boolean");
  }
  setPaddingRemoval(info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Number::New(env, 3));
  exports.Set("setDeterministic", Napi::Function::New(env, SetDeterministic, "setDeterministic"));
  exports.Set("setPaddingRemoval", Napi::Function::New(env, SetPaddingRemoval, "setPaddingRemoval"));
  InitBuildInfo(env, exports);
  InitNativeEncoder(env, exports);
  InitNativeProcessGroup(env, exports);
  return exports;
}

}  // namespace secora

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return secora::Init(env, exports); }

NODE_API_MODULE(secora, InitModule)
