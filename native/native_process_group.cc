// NativeProcessGroup: the JavaScript face of ProcessGroup. The options are read on the JavaScript thread; the
// rendezvous and every exchange run in an AsyncWorker and settle a Promise, so signals and timers keep running
// while a rank waits for the others.
#include "native_process_group.h"

#include <functional>

namespace secora {
namespace {

Napi::FunctionReference* constructor = nullptr;

class GroupWorker : public Napi::AsyncWorker {
 public:
  GroupWorker(Napi::Env env, std::string method, std::function<void()> work,
              std::function<Napi::Value(Napi::Env)> done)
      : Napi::AsyncWorker(env, "secora.NativeProcessGroup"),
        deferred_(Napi::Promise::Deferred::New(env)),
        method_(std::move(method)),
        work_(std::move(work)),
        done_(std::move(done)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }
  void Execute() override {
    try {
      work_();
    } catch (const std::exception& e) {
      SetError("NativeProcessGroup." + method_ + ": " + e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(done_(Env())); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string method_;
  std::function<void()> work_;
  std::function<Napi::Value(Napi::Env)> done_;
};

std::string bytesArg(const Napi::CallbackInfo& info, size_t i, const std::string& what) {
  if (info.Length() <= i || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), what + " must be a Uint8Array");
  }
  auto a = info[i].As<Napi::Uint8Array>();
  return std::string(reinterpret_cast<const char*>(a.Data()), a.ElementLength());
}

Napi::Uint8Array toBytes(Napi::Env env, const std::string& s) {
  auto out = Napi::Uint8Array::New(env, s.size());
  std::copy(s.begin(), s.end(), reinterpret_cast<char*>(out.Data()));
  return out;
}

class NativeProcessGroup : public Napi::ObjectWrap<NativeProcessGroup> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeProcessGroup",
                       {
                           InstanceMethod<&NativeProcessGroup::Connect>("connect"),
                           InstanceMethod<&NativeProcessGroup::Barrier>("barrier"),
                           InstanceMethod<&NativeProcessGroup::AllGatherBytes>("allGatherBytes"),
                           InstanceMethod<&NativeProcessGroup::FromRoot>("fromRoot"),
                           InstanceMethod<&NativeProcessGroup::Close>("close"),
                           InstanceAccessor<&NativeProcessGroup::CollectiveSeconds>("collectiveSeconds"),
                       });
  }

  explicit NativeProcessGroup(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeProcessGroup>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "options must be an object");
    auto o = info[0].As<Napi::Object>();
    auto integer = [&](const char* key) {
      auto v = o.Get(key);
      if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string("options.") + key + " must be a number");
      return v.As<Napi::Number>().Int64Value();
    };
    auto string = [&](const char* key) {
      auto v = o.Get(key);
      if (!v.IsString()) throw Napi::TypeError::New(env, std::string("options.") + key + " must be a string");
      return v.As<Napi::String>().Utf8Value();
    };
    options_.masterAddr = string("masterAddr");
    options_.masterPort = static_cast<int>(integer("masterPort"));
    options_.worldSize = static_cast<int>(integer("worldSize"));
    options_.rank = static_cast<int>(integer("rank"));
    options_.backend = string("backend");
    options_.timeout = std::chrono::milliseconds(integer("timeoutMs"));
    if (o.Has("rank0HostsStore")) options_.rank0HostsStore = o.Get("rank0HostsStore").ToBoolean().Value();
    if (o.Has("storePrefix")) options_.storePrefix = string("storePrefix");
  }

  std::shared_ptr<ProcessGroup> group() const { return group_; }

 private:
  Napi::Value start(const Napi::CallbackInfo& info, const std::string& method, std::function<void()> work,
                    std::function<Napi::Value(Napi::Env)> done) {
    auto* worker = new GroupWorker(info.Env(), method, std::move(work), std::move(done));
    worker->Queue();
    return worker->Promise();
  }

  std::shared_ptr<ProcessGroup> joined(Napi::Env env, const std::string& method) const {
    if (!group_) throw Napi::Error::New(env, "NativeProcessGroup." + method + ": not connected (call connect())");
    return group_;
  }

  Napi::Value Connect(const Napi::CallbackInfo& info) {
    if (group_ || connecting_) throw Napi::Error::New(info.Env(), "NativeProcessGroup.connect: already connected");
    connecting_ = true;
    Ref();  // kept alive until the rendezvous settles
    auto out = std::make_shared<std::shared_ptr<ProcessGroup>>();
    auto options = options_;
    return start(
        info, "connect", [out, options] { *out = std::make_shared<ProcessGroup>(options); },
        [this, out](Napi::Env env) -> Napi::Value {
          group_ = *out;
          Unref();
          return env.Undefined();
        });
  }

  Napi::Value Barrier(const Napi::CallbackInfo& info) {
    auto g = joined(info.Env(), "barrier");
    return start(info, "barrier", [g] { g->barrier(); }, [](Napi::Env env) { return env.Undefined(); });
  }

  Napi::Value AllGatherBytes(const Napi::CallbackInfo& info) {
    auto g = joined(info.Env(), "allGatherBytes");
    auto mine = bytesArg(info, 0, "allGatherBytes(bytes): bytes");
    auto out = std::make_shared<std::vector<std::string>>();
    return start(
        info, "allGatherBytes", [g, mine, out] { *out = g->allGatherBytes(mine); },
        [out](Napi::Env env) -> Napi::Value {
          auto arr = Napi::Array::New(env, out->size());
          for (size_t i = 0; i < out->size(); ++i) arr.Set(i, toBytes(env, (*out)[i]));
          return arr;
        });
  }

  Napi::Value FromRoot(const Napi::CallbackInfo& info) {
    auto g = joined(info.Env(), "fromRoot");
    const std::string value = info.Length() > 0 && !info[0].IsNull() && !info[0].IsUndefined()
                                  ? bytesArg(info, 0, "fromRoot(bytes, timeoutMs): bytes")
                                  : std::string();
    if (info.Length() < 2 || !info[1].IsNumber()) {
      throw Napi::TypeError::New(info.Env(), "fromRoot(bytes, timeoutMs): timeoutMs must be a number");
    }
    const auto timeout = std::chrono::milliseconds(info[1].As<Napi::Number>().Int64Value());
    auto out = std::make_shared<std::string>();
    return start(
        info, "fromRoot", [g, value, timeout, out] { *out = g->fromRoot(value, timeout); },
        [out](Napi::Env env) -> Napi::Value { return toBytes(env, *out); });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    group_.reset();
    return info.Env().Undefined();
  }

  Napi::Value CollectiveSeconds(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), group_ ? group_->collectiveSeconds() : 0.0);
  }

  ProcessGroupOptions options_;
  std::shared_ptr<ProcessGroup> group_;
  bool connecting_ = false;
};

}  // namespace

std::shared_ptr<ProcessGroup> processGroupOf(Napi::Env env, const Napi::Value& value, const std::string& what) {
  if (!value.IsObject() || !constructor || !value.As<Napi::Object>().InstanceOf(constructor->Value())) {
    throw Napi::TypeError::New(env, what + " must be a NativeProcessGroup");
  }
  auto group = NativeProcessGroup::Unwrap(value.As<Napi::Object>())->group();
  if (!group) throw Napi::Error::New(env, what + " is not connected (await connect() first)");
  return group;
}

void InitNativeProcessGroup(Napi::Env env, Napi::Object exports) {
  auto fn = NativeProcessGroup::Define(env);
  constructor = new Napi::FunctionReference(Napi::Persistent(fn));
  exports.Set("NativeProcessGroup", fn);
  auto backends = distributedBackends();
  auto list = Napi::Array::New(env, backends.size());
  for (size_t i = 0; i < backends.size(); ++i) list.Set(i, backends[i]);
  exports.Set("distributedBackends", list);
}

}  // namespace secora
