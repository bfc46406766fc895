#include "build_info.h"

#include "compat.h"

namespace secora {
namespace {

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("torchVersion", compat::torchVersion());
  out.Set("backend", SECORA_BACKEND);
  out.Set("cxx11Abi", static_cast<bool>(_GLIBCXX_USE_CXX11_ABI));
  out.Set("hasSdpa", compat::kHasSdpa);
  out.Set("mkldnn", at::hasMKLDNN());
  out.Set("openmp", at::hasOpenMP());
  out.Set("threads", at::get_num_threads());
  out.Set("interopThreads", at::get_num_interop_threads());
  const bool cuda = compat::cudaAvailable();
  out.Set("cudaAvailable", cuda);
  const int count = cuda ? compat::cudaDeviceCount() : 0;
  Napi::Array devices = Napi::Array::New(env, count);
  for (int i = 0; i < count; ++i) {
    Napi::Object d = Napi::Object::New(env);
    d.Set("index", i);
    d.Set("name", compat::cudaDeviceName(i));
    d.Set("capability", compat::cudaCapability(i));
    d.Set("bf16", compat::cudaBf16Supported(i));
    devices.Set(i, d);
  }
  out.Set("cudaDevices", devices);
  // A bf16 matmul on the CPU: proves the kernels exist (oneDNN), whatever their speed.
  bool cpuBf16 = false;
  try {
    auto a = torch::ones({8, 8}, torch::kBFloat16);
    cpuBf16 = torch::mm(a, a).index({0, 0}).item<float>() == 8.0f;
  } catch (const c10::Error&) {
    cpuBf16 = false;
  }
  out.Set("cpuBf16", cpuBf16);
  out.Set("config", at::show_config());
  return out;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsNumber()) {
    throw Napi::TypeError::New(env, "setNumThreads(n): n must be a number");
  }
  const int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1) throw Napi::RangeError::New(env, "setNumThreads(n): n must be >= 1, got " + std::to_string(n));
  at::set_num_threads(n);
  return env.Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

}  // namespace

void InitBuildInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
}

}  // namespace secora
