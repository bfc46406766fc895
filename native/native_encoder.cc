// NativeEncoder: the JavaScript face of EncoderRuntime. Every input is copied into plain C++ values on the
// JavaScript thread (sharp's baton); the work runs in an AsyncWorker off that thread; OnOK/OnError settle a
// Promise. One slow call at a time per encoder: a second one while one runs is rejected with a clear error.
#include "native_encoder.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>

#include "compat.h"
#include "compute_thread.h"
#include "dropout.h"
#include "encoder_runtime.h"
#include "native_process_group.h"

namespace secora {
namespace {

std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsTypedArray()) return "a typed array";
  if (v.IsArray()) return "an array";
  if (v.IsObject()) return "an object";
  return v.ToString().Utf8Value();
}

// Typed reads of a JavaScript object's fields; errors name the argument path (e.g. "args.b.seqLen").
struct Reader {
  Napi::Env env;
  Napi::Object obj;
  std::string path;

  Napi::Value get(const char* key) const { return obj.Get(key); }
  bool has(const char* key) const { return obj.Has(key) && !obj.Get(key).IsUndefined(); }
  [[noreturn]] void fail(const char* key, const std::string& want) const {
    throw Napi::TypeError::New(env, path + "." + key + " must be " + want + ", got " + describe(get(key)));
  }
  double number(const char* key) const {
    auto v = get(key);
    if (!v.IsNumber()) fail(key, "a number");
    return v.As<Napi::Number>().DoubleValue();
  }
  double number(const char* key, double fallback) const { return has(key) ? number(key) : fallback; }
  int64_t integer(const char* key) const {
    const double d = number(key);
    if (d != static_cast<double>(static_cast<int64_t>(d))) fail(key, "an integer");
    return static_cast<int64_t>(d);
  }
  int64_t integer(const char* key, int64_t fallback) const { return has(key) ? integer(key) : fallback; }
  std::string string(const char* key) const {
    auto v = get(key);
    if (!v.IsString()) fail(key, "a string");
    return v.As<Napi::String>().Utf8Value();
  }
  std::string string(const char* key, const std::string& fallback) const { return has(key) ? string(key) : fallback; }
  bool boolean(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    auto v = get(key);
    if (!v.IsBoolean()) fail(key, "a boolean");
    return v.As<Napi::Boolean>().Value();
  }
  Reader object(const char* key) const {
    auto v = get(key);
    if (!v.IsObject() || v.IsArray()) fail(key, "an object");
    return {env, v.As<Napi::Object>(), path + "." + key};
  }
};

Reader asReader(Napi::Env env, const Napi::Value& v, const std::string& path) {
  if (!v.IsObject()) throw Napi::TypeError::New(env, path + " must be an object, got " + describe(v));
  return {env, v.As<Napi::Object>(), path};
}

EncoderConfig readConfig(const Reader& r) {
  EncoderConfig c;
  c.modelType = r.string("modelType");
  c.vocabSize = r.integer("vocabSize");
  c.hiddenSize = r.integer("hiddenSize");
  c.numHiddenLayers = r.integer("numHiddenLayers");
  c.numAttentionHeads = r.integer("numAttentionHeads");
  c.intermediateSize = r.integer("intermediateSize");
  c.maxPositionEmbeddings = r.integer("maxPositionEmbeddings");
  c.typeVocabSize = r.integer("typeVocabSize", c.typeVocabSize);
  c.layerNormEps = r.number("layerNormEps", c.layerNormEps);
  c.hiddenDropoutProb = r.number("hiddenDropoutProb", c.hiddenDropoutProb);
  c.attentionProbsDropoutProb = r.number("attentionProbsDropoutProb", c.attentionProbsDropoutProb);
  c.padTokenId = r.integer("padTokenId", c.padTokenId);
  c.initializerRange = r.number("initializerRange", c.initializerRange);
  c.pooling = r.string("pooling", c.pooling);
  c.embeddingSize = r.integer("embeddingSize", c.hiddenSize);
  return c;
}

AdamWSettings readOptimizer(const Reader& r, AdamWSettings s) {
  s.weightDecay = r.number("weightDecay", s.weightDecay);
  s.eps = r.number("eps", s.eps);
  if (r.has("betas")) {
    auto v = r.get("betas");
    if (!v.IsArray() || v.As<Napi::Array>().Length() != 2) r.fail("betas", "an array of two numbers");
    auto a = v.As<Napi::Array>();
    if (!a.Get(0u).IsNumber() || !a.Get(1u).IsNumber()) r.fail("betas", "an array of two numbers");
    s.beta1 = a.Get(0u).As<Napi::Number>().DoubleValue();
    s.beta2 = a.Get(1u).As<Napi::Number>().DoubleValue();
  }
  if (!(s.beta1 >= 0 && s.beta1 < 1 && s.beta2 >= 0 && s.beta2 < 1)) {
    throw Napi::RangeError::New(r.env, r.path + ".betas must both be in [0, 1)");
  }
  if (!(s.weightDecay >= 0)) throw Napi::RangeError::New(r.env, r.path + ".weightDecay must be >= 0");
  if (!(s.eps > 0)) throw Napi::RangeError::New(r.env, r.path + ".eps must be > 0");
  return s;
}

// A TokenBatch (src/data/token-batch.ts), checked against the model's sizes and copied to int64.
HostBatch readBatch(Napi::Env env, const Napi::Value& value, const std::string& path, const EncoderConfig& c) {
  const Reader r = asReader(env, value, path);
  HostBatch b;
  b.rows = r.integer("batchSize");
  b.cols = r.integer("seqLen");
  if (b.rows < 1) throw Napi::RangeError::New(env, path + ".batchSize must be >= 1, got " + std::to_string(b.rows));
  if (b.cols < 1) throw Napi::RangeError::New(env, path + ".seqLen must be >= 1, got " + std::to_string(b.cols));
  if (b.cols > c.maxSequenceLength()) {
    throw Napi::RangeError::New(env, path + ".seqLen " + std::to_string(b.cols) + " is longer than the model's " +
                                         std::to_string(c.maxSequenceLength()) + " positions");
  }
  const size_t n = static_cast<size_t>(b.rows * b.cols);
  auto typed = [&](const char* key, napi_typedarray_type type, const char* typeName) {
    auto v = r.get(key);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) r.fail(key, typeName);
    auto t = v.As<Napi::TypedArray>();
    if (t.ElementLength() != n) {
      throw Napi::RangeError::New(env, path + "." + key + " has " + std::to_string(t.ElementLength()) +
                                           " entries, expected batchSize*seqLen = " + std::to_string(n));
    }
    return t;
  };
  auto ids = typed("inputIds", napi_int32_array, "an Int32Array").As<Napi::Int32Array>();
  auto mask = typed("attentionMask", napi_uint8_array, "a Uint8Array").As<Napi::Uint8Array>();
  b.inputIds.resize(n);
  b.attentionMask.resize(n);
  bool allReal = true;
  auto where = [&](size_t i) {
    return " (row " + std::to_string(i / b.cols) + ", column " + std::to_string(i % b.cols) + ")";
  };
  for (size_t i = 0; i < n; ++i) {
    const int64_t id = ids[i];
    if (id < 0 || id >= c.vocabSize) {
      throw Napi::RangeError::New(env, path + ".inputIds[" + std::to_string(i) + "] = " + std::to_string(id) +
                                           where(i) + " is outside the vocabulary [0, " + std::to_string(c.vocabSize) +
                                           ")");
    }
    if (mask[i] > 1) {
      throw Napi::RangeError::New(env, path + ".attentionMask[" + std::to_string(i) + "] = " +
                                           std::to_string(mask[i]) + where(i) + " must be 0 or 1");
    }
    b.inputIds[i] = id;
    b.attentionMask[i] = mask[i];
    allReal &= mask[i] == 1;
  }
  b.padded = !allReal;
  if (r.has("tokenTypeIds")) {
    auto types = typed("tokenTypeIds", napi_int32_array, "an Int32Array").As<Napi::Int32Array>();
    b.tokenTypeIds.resize(n);
    for (size_t i = 0; i < n; ++i) {
      if (types[i] < 0 || types[i] >= c.typeVocabSize) {
        throw Napi::RangeError::New(env, path + ".tokenTypeIds[" + std::to_string(i) + "] = " +
                                             std::to_string(types[i]) + where(i) + " is outside [0, " +
                                             std::to_string(c.typeVocabSize) + ")");
      }
      b.tokenTypeIds[i] = types[i];
    }
  }
  return b;
}

// The result of a call that returns nothing to JavaScript.
struct Nothing {};

// One slow call: `run` works off the JavaScript thread and returns R; `toJs` turns R into the Promise's value
// on the JavaScript thread. The arguments were copied into `run`'s captures before the worker was queued.
template <typename R>
class RuntimeWorker : public Napi::AsyncWorker {
 public:
  using Run = std::function<R()>;
  using ToJs = Napi::Value (*)(Napi::Env, R&);

  RuntimeWorker(Napi::Env env, std::shared_ptr<EncoderRuntime> runtime, std::string method, Run run, ToJs toJs)
      : Napi::AsyncWorker(env, "secora.NativeEncoder"),
        deferred_(Napi::Promise::Deferred::New(env)),
        runtime_(std::move(runtime)),
        method_(std::move(method)),
        run_(std::move(run)),
        toJs_(toJs),
        threads_(at::get_num_threads()) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      ComputeThread::run([this] {
        // The intra-op thread count is per thread under OpenMP: carry the JavaScript thread's setting over.
        if (at::get_num_threads() != threads_) at::set_num_threads(threads_);
        result_ = run_();
      });
    } catch (const c10::Error& e) {
      SetError("NativeEncoder." + method_ + ": " + e.what_without_backtrace());
    } catch (const std::exception& e) {
      SetError("NativeEncoder." + method_ + ": " + e.what());
    }
  }
  void OnOK() override {
    runtime_->busy = false;
    try {
      deferred_.Resolve(toJs_(Env(), result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override {
    runtime_->busy = false;
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<EncoderRuntime> runtime_;
  std::string method_;
  Run run_;
  ToJs toJs_;
  int threads_;
  R result_{};
};

// toJs functions, one per result type.
Napi::Value undefinedOf(Napi::Env env, Nothing&) { return env.Undefined(); }

Napi::Value float32ArrayOf(Napi::Env env, std::vector<float>& v) {
  auto out = Napi::Float32Array::New(env, v.size());
  std::copy(v.begin(), v.end(), out.Data());
  return out;
}

Napi::Float64Array toFloat64Array(Napi::Env env, const std::vector<double>& v) {
  auto out = Napi::Float64Array::New(env, v.size());
  std::copy(v.begin(), v.end(), out.Data());
  return out;
}

Napi::Value float64ArrayOf(Napi::Env env, std::vector<double>& v) { return toFloat64Array(env, v); }

Napi::Value bufferOf(Napi::Env env, std::string& bytes) {
  return Napi::Buffer<char>::Copy(env, bytes.data(), bytes.size());
}

Napi::Value trainResultOf(Napi::Env env, TrainResult& r) {
  auto o = Napi::Object::New(env);
  o.Set("loss", r.loss);
  o.Set("accuracy", r.accuracy);
  o.Set("gradNorm", r.gradNorm);
  o.Set("lossScale", r.lossScale);
  o.Set("skipped", r.skipped);
  o.Set("stopRequested", r.stopRequested);
  return o;
}

Napi::Value loadReportOf(Napi::Env env, LoadReport& r) {
  auto o = Napi::Object::New(env);
  auto ignored = Napi::Array::New(env, r.ignored.size());
  for (size_t i = 0; i < r.ignored.size(); ++i) ignored.Set(i, r.ignored[i]);
  o.Set("ignored", ignored);
  return o;
}

class NativeEncoder : public Napi::ObjectWrap<NativeEncoder> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeEncoder",
                       {
                           InstanceMethod<&NativeEncoder::Embed>("embed"),
                           InstanceMethod<&NativeEncoder::HiddenStates>("hiddenStates"),
                           InstanceMethod<&NativeEncoder::TrainStep>("trainStep"),
                           InstanceMethod<&NativeEncoder::LoadWeights>("loadWeights"),
                           InstanceMethod<&NativeEncoder::SaveWeights>("saveWeights"),
                           InstanceMethod<&NativeEncoder::SaveOptimizer>("saveOptimizer"),
                           InstanceMethod<&NativeEncoder::LoadOptimizer>("loadOptimizer"),
                           InstanceMethod<&NativeEncoder::WeightsBytes>("weightsBytes"),
                           InstanceMethod<&NativeEncoder::ConfigureOptimizer>("configureOptimizer"),
                           InstanceMethod<&NativeEncoder::GetRngState>("getRngState"),
                           InstanceMethod<&NativeEncoder::SetRngState>("setRngState"),
                           InstanceMethod<&NativeEncoder::AttachProcessGroup>("attachProcessGroup"),
                           InstanceMethod<&NativeEncoder::ParameterNames>("parameterNames"),
                           InstanceMethod<&NativeEncoder::GetParameter>("getParameter"),
                           InstanceMethod<&NativeEncoder::GetGradient>("getGradient"),
                           InstanceMethod<&NativeEncoder::SetParameter>("setParameter"),
                           InstanceMethod<&NativeEncoder::Dispose>("dispose"),
                           InstanceAccessor<&NativeEncoder::Device>("device"),
                           InstanceAccessor<&NativeEncoder::Dim>("dim"),
                           InstanceMethod<&NativeEncoder::MemoryAtRestBytes>("memoryAtRest"),
                       });
  }

  explicit NativeEncoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeEncoder>(info) {
    Napi::Env env = info.Env();
    const Reader r = asReader(env, info[0], "options");
    RuntimeOptions o;
    o.config = readConfig(r.object("config"));
    o.device = r.string("device", o.device);
    o.dtype = r.string("dtype", o.dtype);
    o.precision = r.string("precision", o.precision);
    const int64_t seed = r.integer("seed", 0);
    if (seed < 0) throw Napi::RangeError::New(env, "options.seed must be >= 0");
    o.seed = static_cast<uint64_t>(seed);
    o.trainable = r.boolean("trainable", true);
    if (r.has("optimizer")) o.optimizer = readOptimizer(r.object("optimizer"), o.optimizer);
    try {
      runtime_ = std::make_shared<EncoderRuntime>(o);
    } catch (const c10::Error& e) {
      throw Napi::Error::New(env, std::string("NativeEncoder: ") + e.what_without_backtrace());
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, std::string("NativeEncoder: ") + e.what());
    }
  }

 private:
  // Starts a slow call: checks the busy flag, runs `prepare` on the JavaScript thread (it reads the arguments
  // and returns the work, which owns copies of them) and queues the work. Every failure becomes a rejected
  // Promise, so callers handle one kind of error.
  template <typename R, typename Prepare>
  Napi::Value startAsync(const Napi::CallbackInfo& info, const std::string& method,
                         typename RuntimeWorker<R>::ToJs toJs, Prepare prepare) {
    Napi::Env env = info.Env();
    try {
      auto rt = acquire(env, method);
      try {
        auto* worker = new RuntimeWorker<R>(env, rt, method, prepare(rt), toJs);
        worker->Queue();
        return worker->Promise();
      } catch (...) {
        rt->busy = false;
        throw;
      }
    } catch (const Napi::Error& e) {
      auto d = Napi::Promise::Deferred::New(env);
      d.Reject(e.Value());
      return d.Promise();
    }
  }

  std::shared_ptr<EncoderRuntime> acquire(Napi::Env env, const std::string& method) {
    if (!runtime_) throw Napi::Error::New(env, "NativeEncoder." + method + ": the encoder was disposed");
    if (runtime_->busy.exchange(true)) {
      throw Napi::Error::New(env, "NativeEncoder." + method + ": the encoder is busy with " + current_ +
                                      "; await that call first (Encoder queues calls for you)");
    }
    current_ = method;
    return runtime_;
  }

  // A quick call on the JavaScript thread: refused while a slow call runs, errors named after the method.
  template <typename F>
  Napi::Value sync(const Napi::CallbackInfo& info, const std::string& method, F f) {
    Napi::Env env = info.Env();
    auto rt = acquire(env, method);
    struct Release {
      EncoderRuntime* rt;
      ~Release() { rt->busy = false; }
    } release{rt.get()};
    try {
      return f(rt);
    } catch (const c10::Error& e) {
      throw Napi::Error::New(env, "NativeEncoder." + method + ": " + e.what_without_backtrace());
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, "NativeEncoder." + method + ": " + e.what());
    }
  }

  std::string stringArg(const Napi::CallbackInfo& info, size_t i, const std::string& what) {
    if (info.Length() <= i || !info[i].IsString()) {
      throw Napi::TypeError::New(info.Env(), what + " must be a string");
    }
    return info[i].As<Napi::String>().Utf8Value();
  }

  using Runtime = std::shared_ptr<EncoderRuntime>;

  Napi::Value Embed(const Napi::CallbackInfo& info) {
    return startAsync<std::vector<float>>(info, "embed", float32ArrayOf, [&](const Runtime& rt) {
      auto batch = std::make_shared<HostBatch>(readBatch(info.Env(), info[0], "batch", rt->config()));
      return [rt, batch] { return rt->embed(*batch); };
    });
  }

  Napi::Value HiddenStates(const Napi::CallbackInfo& info) {
    return startAsync<std::vector<double>>(info, "hiddenStates", float64ArrayOf, [&](const Runtime& rt) {
      auto batch = std::make_shared<HostBatch>(readBatch(info.Env(), info[0], "batch", rt->config()));
      return [rt, batch] { return rt->hiddenStates(*batch); };
    });
  }

  Napi::Value TrainStep(const Napi::CallbackInfo& info) {
    return startAsync<TrainResult>(info, "trainStep", trainResultOf, [&](const Runtime& rt) {
      Napi::Env env = info.Env();
      const Reader r = asReader(env, info[0], "args");
      auto args = std::make_shared<TrainArgs>();
      args->objective = r.string("objective");
      args->a = readBatch(env, r.get("a"), "args.a", rt->config());
      if (r.has("b")) args->b = readBatch(env, r.get("b"), "args.b", rt->config());
      args->temperature = r.number("temperature");
      args->symmetric = r.boolean("symmetric", false);
      args->microBatch = r.integer("microBatch", 0);
      args->lr = r.number("lr");
      args->maxGradNorm = r.number("maxGradNorm", 0.0);
      args->apply = r.boolean("apply", true);
      args->requestStop = r.boolean("requestStop", false);
      return [rt, args] { return rt->trainStep(*args); };
    });
  }

  Napi::Value LoadWeights(const Napi::CallbackInfo& info) {
    return startAsync<LoadReport>(info, "loadWeights", loadReportOf, [&](const Runtime& rt) {
      auto path = stringArg(info, 0, "loadWeights(path): path");
      return [rt, path] { return rt->loadWeights(path); };
    });
  }

  Napi::Value pathCall(const Napi::CallbackInfo& info, const std::string& method,
                       void (EncoderRuntime::*fn)(const std::string&)) {
    return startAsync<Nothing>(info, method, undefinedOf, [&](const Runtime& rt) {
      auto path = stringArg(info, 0, method + "(path): path");
      return [rt, path, fn] {
        ((*rt).*fn)(path);
        return Nothing{};
      };
    });
  }
  Napi::Value SaveWeights(const Napi::CallbackInfo& info) {
    return pathCall(info, "saveWeights", &EncoderRuntime::saveWeights);
  }
  Napi::Value SaveOptimizer(const Napi::CallbackInfo& info) {
    return pathCall(info, "saveOptimizer", &EncoderRuntime::saveOptimizer);
  }
  Napi::Value LoadOptimizer(const Napi::CallbackInfo& info) {
    return pathCall(info, "loadOptimizer", &EncoderRuntime::loadOptimizer);
  }

  // The weights as safetensors bytes (to hash them): serialized off the JavaScript thread.
  Napi::Value WeightsBytes(const Napi::CallbackInfo& info) {
    return startAsync<std::string>(info, "weightsBytes", bufferOf,
                                   [](const Runtime& rt) { return [rt] { return rt->weightsBytes(); }; });
  }

  Napi::Value ConfigureOptimizer(const Napi::CallbackInfo& info) {
    return sync(info, "configureOptimizer", [&](const std::shared_ptr<EncoderRuntime>& rt) -> Napi::Value {
      const Reader r = asReader(info.Env(), info[0], "settings");
      rt->configureOptimizer(readOptimizer(r, AdamWSettings{}));
      return info.Env().Undefined();
    });
  }

  Napi::Value GetRngState(const Napi::CallbackInfo& info) {
    return sync(info, "getRngState", [&](const std::shared_ptr<EncoderRuntime>& rt) -> Napi::Value {
      const std::string s = rt->rngState();
      auto out = Napi::Uint8Array::New(info.Env(), s.size());
      std::memcpy(out.Data(), s.data(), s.size());
      return out;
    });
  }

  Napi::Value SetRngState(const Napi::CallbackInfo& info) {
    return sync(info, "setRngState", [&](const std::shared_ptr<EncoderRuntime>& rt) -> Napi::Value {
      if (info.Length() < 1 || !info[0].IsTypedArray() ||
          info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
        throw Napi::TypeError::New(info.Env(), "setRngState(state): state must be a Uint8Array from getRngState()");
      }
      auto a = info[0].As<Napi::Uint8Array>();
      rt->setRngState(std::string(reinterpret_cast<const char*>(a.Data()), a.ElementLength()));
      return info.Env().Undefined();
    });
  }

  // attachProcessGroup(group, gatherNegatives): rank 0's weights to every rank, then data-parallel steps.
  Napi::Value AttachProcessGroup(const Napi::CallbackInfo& info) {
    return startAsync<Nothing>(info, "attachProcessGroup", undefinedOf, [&](const Runtime& rt) {
      auto group = processGroupOf(info.Env(), info[0], "attachProcessGroup(group, gatherNegatives): group");
      const bool gather = info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
      return [rt, group, gather] {
        rt->attachProcessGroup(group, gather);
        return Nothing{};
      };
    });
  }

  Napi::Value ParameterNames(const Napi::CallbackInfo& info) {
    return sync(info, "parameterNames", [&](const std::shared_ptr<EncoderRuntime>& rt) -> Napi::Value {
      auto names = rt->parameterNames();
      auto out = Napi::Array::New(info.Env(), names.size());
      for (size_t i = 0; i < names.size(); ++i) out.Set(i, names[i]);
      return out;
    });
  }

  Napi::Value GetParameter(const Napi::CallbackInfo& info) {
    return sync(info, "getParameter", [&](const std::shared_ptr<EncoderRuntime>& rt) -> Napi::Value {
      return toFloat64Array(info.Env(), rt->parameter(stringArg(info, 0, "getParameter(name): name"), false));
    });
  }

  Napi::Value GetGradient(const Napi::CallbackInfo& info) {
    return sync(info, "getGradient", [&](const std::shared_ptr<EncoderRuntime>& rt) -> Napi::Value {
      auto g = rt->parameter(stringArg(info, 0, "getGradient(name): name"), true);
      if (g.empty()) return info.Env().Null();
      return toFloat64Array(info.Env(), g);
    });
  }

  Napi::Value SetParameter(const Napi::CallbackInfo& info) {
    return sync(info, "setParameter", [&](const std::shared_ptr<EncoderRuntime>& rt) -> Napi::Value {
      auto name = stringArg(info, 0, "setParameter(name, values): name");
      if (info.Length() < 2 || !info[1].IsTypedArray() ||
          info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
        throw Napi::TypeError::New(info.Env(), "setParameter(name, values): values must be a Float64Array");
      }
      auto a = info[1].As<Napi::Float64Array>();
      rt->setParameter(name, std::vector<double>(a.Data(), a.Data() + a.ElementLength()));
      return info.Env().Undefined();
    });
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (runtime_ && runtime_->busy) {
      throw Napi::Error::New(info.Env(), "NativeEncoder.dispose: the encoder is busy with " + current_ +
                                             "; await that call first");
    }
    runtime_.reset();
    return info.Env().Undefined();
  }

  Napi::Value Device(const Napi::CallbackInfo& info) {
    if (!runtime_) return info.Env().Undefined();
    return Napi::String::New(info.Env(), runtime_->deviceName());
  }

  Napi::Value Dim(const Napi::CallbackInfo& info) {
    if (!runtime_) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), static_cast<double>(runtime_->config().embeddingSize));
  }

  Napi::Value MemoryAtRestBytes(const Napi::CallbackInfo& info) {
    return sync(info, "memoryAtRest", [&](const std::shared_ptr<EncoderRuntime>& rt) -> Napi::Value {
      const auto m = rt->memoryAtRest();
      auto o = Napi::Object::New(info.Env());
      o.Set("parameters", static_cast<double>(m.parameters));
      o.Set("gradients", static_cast<double>(m.gradients));
      o.Set("optimizer", static_cast<double>(m.optimizer));
      return o;
    });
  }

  std::shared_ptr<EncoderRuntime> runtime_;
  std::string current_;
};

// matmulRate({ size, dtype, device, iterations }): GFLOP/s of size×size matmuls, for benchmarks to put
// throughput beside what the hardware does. Runs on the calling thread, with its thread count.
Napi::Value MatmulRate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Reader r = asReader(env, info.Length() > 0 ? info[0] : Napi::Object::New(env), "options");
  const int64_t n = r.integer("size", 2048);
  const int64_t iterations = r.integer("iterations", 10);
  const std::string dtype = r.string("dtype", "fp32");
  if (n < 1 || iterations < 1) throw Napi::RangeError::New(env, "matmulRate: size and iterations must be >= 1");
  if (dtype != "fp32" && dtype != "bf16" && dtype != "fp16" && dtype != "fp64") {
    throw Napi::RangeError::New(env, "matmulRate: dtype must be fp64, fp32, bf16 or fp16, got '" + dtype + "'");
  }
  try {
    const auto device = parseDevice(r.string("device", "cpu"));
    const auto type = dtype == "fp32" ? at::kFloat : dtype == "bf16" ? at::kBFloat16 : dtype == "fp16" ? at::kHalf
                                                                                                   : at::kDouble;
    at::NoGradGuard noGrad;
    const auto options = at::TensorOptions().dtype(type).device(device);
    auto a = at::randn({n, n}, options), b = at::randn({n, n}, options);
    auto c = at::mm(a, b);  // warm-up: kernels chosen, memory allocated
    compat::synchronize(device);
    const auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < iterations; ++i) c = at::mm(a, b);
    compat::synchronize(device);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return Napi::Number::New(env, 2.0 * n * n * n * iterations / seconds / 1e9);
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, std::string("matmulRate: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("matmulRate: ") + e.what());
  }
}

// dropoutMask({ size, p, seed, rounds }): the dropout mask secora draws (native/dropout.h) for `size` fp32 entries
// from a generator seeded with `seed`, and the seconds per mask of it and of libtorch's bernoulli_ over the
// same size (the median of `rounds`, alternating), for tests and benchmarks. Runs on the calling thread.
Napi::Value DropoutMask(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Reader r = asReader(env, info.Length() > 0 ? info[0] : Napi::Object::New(env), "options");
  const int64_t n = r.integer("size", 1 << 20);
  const int64_t rounds = r.integer("rounds", 1);
  const double p = r.number("p", 0.1);
  if (n < 1 || rounds < 1) throw Napi::RangeError::New(env, "dropoutMask: size and rounds must be >= 1");
  if (!(p > 0.0 && p < 1.0)) throw Napi::RangeError::New(env, "dropoutMask: p must be in (0, 1)");
  try {
    at::NoGradGuard noGrad;
    auto gen = at::detail::createCPUGenerator(static_cast<uint64_t>(r.integer("seed", 0)));
    auto like = at::empty({n}, at::kFloat);
    auto mask = dropoutMask(like, p, gen);
    std::vector<double> ours, theirs;
    using clock = std::chrono::steady_clock;
    for (int64_t i = 0; i < rounds; ++i) {
      auto t0 = clock::now();
      dropoutMask(like, p, gen);
      auto t1 = clock::now();
      at::empty_like(like).bernoulli_(1.0 - p, gen).div_(1.0 - p);
      auto t2 = clock::now();
      ours.push_back(std::chrono::duration<double>(t1 - t0).count());
      theirs.push_back(std::chrono::duration<double>(t2 - t1).count());
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    auto out = Napi::Object::New(env);
    auto values = Napi::Float32Array::New(env, static_cast<size_t>(n));
    std::memcpy(values.Data(), mask.data_ptr<float>(), static_cast<size_t>(n) * sizeof(float));
    out.Set("mask", values);
    out.Set("seconds", median(ours));
    out.Set("bernoulliSeconds", median(theirs));
    return out;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, std::string("dropoutMask: ") + e.what_without_backtrace());
  }
}

}  // namespace

void InitNativeEncoder(Napi::Env env, Napi::Object exports) {
  exports.Set("matmulRate", Napi::Function::New(env, MatmulRate, "matmulRate"));
  exports.Set("dropoutMask", Napi::Function::New(env, DropoutMask, "dropoutMask"));
  exports.Set("NativeEncoder", NativeEncoder::Define(env));
}

}  // namespace secora
