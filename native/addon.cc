// The addon's one entry point: each part of native/ registers its functions and classes here.
#include <ATen/ATen.h>
#include <c10/util/Flags.h>
#include <napi.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

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

// Fills every new CPU tensor with a NaN pattern (c10's junk fill), so that a read of memory no kernel wrote
// shows as NaN instead of passing when the allocator happens to hand back zeros. Process-wide; for tests and
// for hunting such reads (SECORA_JUNK_FILL=1 turns it on when the addon loads). Slower: every allocation is
// written once more.
static void setJunkFill(bool on) {
  std::string flag = std::string("--caffe2_cpu_allocator_do_junk_fill=") + (on ? "true" : "false");
  std::string program = "secora";
  char* argv[] = {program.data(), flag.data(), nullptr};
  char** args = argv;
  int argc = 2;
  if (!c10::ParseCommandLineFlags(&argc, &args)) throw std::runtime_error("setJunkFill: libtorch refused " + flag);
  // Checked, not trusted: while it is on, a fresh tensor holds the pattern (NaN as float). Off cannot be checked
  // this way: fresh memory may still hold the pattern from before.
  if (on && !std::isnan(at::empty({1}, at::kFloat).item<float>())) {
    throw std::runtime_error("setJunkFill: libtorch's allocator ignored " + flag);
  }
}

static Napi::Value SetJunkFill(const Napi::CallbackInfo& info) {
  if (info.Length() != 1 || !info[0].IsBoolean()) {
    throw Napi::TypeError::New(info.Env(), "setJunkFill(on) takes one boolean");
  }
  try {
    setJunkFill(info[0].As<Napi::Boolean>().Value());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  if (const char* junk = std::getenv("SECORA_JUNK_FILL"); junk != nullptr && std::strcmp(junk, "1") == 0) {
    setJunkFill(true);
  }
  exports.Set("abiVersion", Napi::Number::New(env, 4));
  exports.Set("setDeterministic", Napi::Function::New(env, SetDeterministic, "setDeterministic"));
  exports.Set("setPaddingRemoval", Napi::Function::New(env, SetPaddingRemoval, "setPaddingRemoval"));
  exports.Set("setJunkFill", Napi::Function::New(env, SetJunkFill, "setJunkFill"));
  InitBuildInfo(env, exports);
  InitNativeEncoder(env, exports);
  InitNativeProcessGroup(env, exports);
  return exports;
}

}  // namespace secora

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return secora::Init(env, exports); }

NODE_API_MODULE(secora, InitModule)
