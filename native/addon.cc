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
#include "cpu_allocator.h"
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
  setCpuCacheJunkFill(on);  // the large blocks secora's allocator hands out, fresh or reused
  // Checked, not trusted: while it is on, a fresh tensor holds the pattern (NaN as float). Off cannot be checked
  // this way: fresh memory may still hold the pattern from before.
  if (on && !(std::isnan(at::empty({1}, at::kFloat).item<float>()) &&
              std::isnan(at::empty({1 << 20}, at::kFloat)[0].item<float>()))) {
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

// The cache for large CPU blocks (cpu_allocator.h): the most bytes it keeps, 0 = off. Process-wide.
static Napi::Value SetCpuCacheLimit(const Napi::CallbackInfo& info) {
  if (info.Length() != 1 || !info[0].IsNumber() || info[0].As<Napi::Number>().DoubleValue() < 0) {
    throw Napi::TypeError::New(info.Env(), "setCpuCacheLimit(bytes) takes one number >= 0");
  }
  installCpuCache(static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue()));
  return info.Env().Undefined();
}

static Napi::Value CpuCacheStatsOf(const Napi::CallbackInfo& info) {
  const auto s = cpuCacheStats();
  auto out = Napi::Object::New(info.Env());
  out.Set("hits", static_cast<double>(s.hits));
  out.Set("misses", static_cast<double>(s.misses));
  out.Set("cachedBytes", static_cast<double>(s.cachedBytes));
  out.Set("liveBytes", static_cast<double>(s.liveBytes));
  out.Set("limitBytes", static_cast<double>(s.limitBytes));
  return out;
}

// SECORA_CPU_CACHE_MB: the cache's limit in MiB (default 1024; 0 = off).
static uint64_t cpuCacheLimitFromEnv() {
  const char* mb = std::getenv("SECORA_CPU_CACHE_MB");
  if (mb == nullptr || *mb == '\0') return uint64_t{1024} << 20;
  char* end = nullptr;
  const double v = std::strtod(mb, &end);
  if (*end != '\0' || !(v >= 0)) {
    throw std::invalid_argument(std::string("SECORA_CPU_CACHE_MB must be a number of MiB >= 0, got '") + mb + "'");
  }
  return static_cast<uint64_t>(v * 1024 * 1024);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  try {
    installCpuCache(cpuCacheLimitFromEnv());
    if (const char* junk = std::getenv("SECORA_JUNK_FILL"); junk != nullptr && std::strcmp(junk, "1") == 0) {
      setJunkFill(true);
    }
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  exports.Set("abiVersion", Napi::Number::New(env, 4));
  exports.Set("setDeterministic", Napi::Function::New(env, SetDeterministic, "setDeterministic"));
  exports.Set("setPaddingRemoval", Napi::Function::New(env, SetPaddingRemoval, "setPaddingRemoval"));
  exports.Set("setJunkFill", Napi::Function::New(env, SetJunkFill, "setJunkFill"));
  exports.Set("setCpuCacheLimit", Napi::Function::New(env, SetCpuCacheLimit, "setCpuCacheLimit"));
  exports.Set("cpuCacheStats", Napi::Function::New(env, CpuCacheStatsOf, "cpuCacheStats"));
  InitBuildInfo(env, exports);
  InitNativeEncoder(env, exports);
  InitNativeProcessGroup(env, exports);
  return exports;
}

}  // namespace secora

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return secora::Init(env, exports); }

NODE_API_MODULE(secora, InitModule)
