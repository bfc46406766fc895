#include "encoder_runtime.h"

#include <cmath>
#include <cstring>
#include <regex>
#include <stdexcept>

#include "compat.h"
#include "safetensors.h"
#include "shape_text.h"

namespace secora {

namespace {

// Autocast for the scope of one call, in the thread that runs it (autocast state is thread-local).
class AutocastScope {
 public:
  AutocastScope(const std::string& precision, c10::DeviceType device) : device_(device) {
    if (precision == "fp32") return;
    dtype_ = precision == "bf16" ? at::kBFloat16 : at::kHalf;
    compat::setAutocast(device_, true, dtype_);
    active_ = true;
  }
  ~AutocastScope() {
    if (active_) compat::setAutocast(device_, false, dtype_);
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  c10::DeviceType device_;
  at::ScalarType dtype_ = at::kFloat;
  bool active_ = false;
};

void appendBlob(std::string& out, const at::Tensor& t) {
  const uint64_t n = t.defined() ? static_cast<uint64_t>(t.numel()) : 0;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
  if (n) out.append(static_cast<const char*>(t.data_ptr()), n);
}

at::Tensor readBlob(const std::string& in, size_t& pos) {
  if (pos + 8 > in.size()) throw std::invalid_argument("setRngState: the state is truncated");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(in[pos + i]);
  pos += 8;
  if (n > in.size() - pos) throw std::invalid_argument("setRngState: the state is truncated");
  auto t = at::empty({static_cast<int64_t>(n)}, at::TensorOptions().dtype(at::kByte));
  if (n) std::memcpy(t.data_ptr(), in.data() + pos, n);
  pos += n;
  return n ? t : at::Tensor();
}

constexpr char kRngMagic[] = "SECORA-RNG-1";

}  // namespace

c10::Device parseDevice(const std::string& text) {
  if (text == "cpu") return c10::Device(c10::kCPU);
  static const std::regex cudaPattern("^cuda(:([0-9]+))?$");
  std::smatch m;
  if (!std::regex_match(text, m, cudaPattern)) {
    throw std::invalid_argument("device must be 'cpu', 'cuda' or 'cuda:N', got '" + text + "'");
  }
  if (!compat::kHasCuda) {
    throw std::invalid_argument("device '" + text +
                                "': this addon was built against a CPU libtorch; rebuild it with "
                                "SECORA_TORCH_DIR=<a CUDA libtorch> npm run build:native to use a GPU");
  }
  if (!compat::cudaAvailable()) throw std::invalid_argument("device '" + text + "': no CUDA device is visible");
  const int index = m[2].matched ? std::stoi(m[2].str()) : 0;
  if (index >= compat::cudaDeviceCount()) {
    throw std::invalid_argument("device '" + text + "' does not exist: " + std::to_string(compat::cudaDeviceCount()) +
                                " CUDA device(s) are visible");
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

EncoderRuntime::EncoderRuntime(const RuntimeOptions& options)
    : options_(options),
      device_(parseDevice(options.device)),
      dtype_(options.dtype == "float64" ? at::kDouble : at::kFloat),
      generator_(compat::makeGenerator(device_, options.seed + 0x9E3779B97F4A7C15ULL)) {
  validateConfig(options.config);
  if (options.dtype != "float32" && options.dtype != "float64") {
    throw std::invalid_argument("dtype must be 'float32' or 'float64', got '" + options.dtype + "'");
  }
  const auto& p = options.precision;
  if (p != "fp32" && p != "bf16" && p != "fp16") {
    throw std::invalid_argument("precision must be 'fp32', 'bf16' or 'fp16', got '" + p + "'");
  }
  if (p == "fp16" && !device_.is_cuda()) {
    throw std::invalid_argument("precision 'fp16' needs a CUDA device (its loss scaling is for GPUs); on '" +
                                device_.str() + "' use 'bf16' or 'fp32'");
  }
  if (p != "fp32" && dtype_ == at::kDouble) {
    throw std::invalid_argument("precision '" + p + "' works on float32 parameters, not dtype 'float64'");
  }
  // Weights come from a CPU generator, so one seed gives the same initial model on every device.
  auto init = at::detail::createCPUGenerator(options.seed);
  model_ = BertModel(options.config);
  model_->initWeights(init);
  model_->to(device_, dtype_);
  std::vector<std::pair<std::string, at::Tensor>> params;
  for (auto& item : model_->named_parameters()) params.emplace_back(item.key(), item.value());
  flat_ = std::make_unique<FlatParameters>(params, AdamW::decays);
  optimizer_ = std::make_unique<AdamW>(*flat_, options.optimizer);
}

TokenTensors EncoderRuntime::toDevice(const HostBatch& batch) const {
  auto make = [&](const std::vector<int64_t>& v) {
    if (v.empty()) return at::zeros({batch.rows, batch.cols}, at::TensorOptions().dtype(at::kLong).device(device_));
    auto host = at::from_blob(const_cast<int64_t*>(v.data()), {batch.rows, batch.cols}, at::kLong);
    return device_.is_cpu() ? host : host.to(device_);
  };
  return {make(batch.inputIds), make(batch.attentionMask), make(batch.tokenTypeIds), batch.padded};
}

BertModel& EncoderRuntime::embeddingModel() {
  const auto& p = options_.precision;
  if (p == "fp32") return model_;
  if (!lowModel_) {
    at::NoGradGuard noGrad;
    lowModel_ = BertModel(options_.config);
    lowModel_->to(device_, p == "bf16" ? at::kBFloat16 : at::kHalf);
    std::vector<std::pair<std::string, at::Tensor>> params;
    for (auto& item : lowModel_->named_parameters()) {
      item.value().requires_grad_(false);
      params.emplace_back(item.key(), item.value());
    }
    lowFlat_ = std::make_unique<FlatParameters>(params, AdamW::decays);
    // Same names, shapes and ordering rule as the training buffer, so one copy_ casts every weight.
    for (size_t i = 0; i < lowFlat_->entries().size(); ++i) {
      const auto &a = lowFlat_->entries()[i], &b = flat_->entries()[i];
      if (a.name != b.name || a.offset != b.offset) throw std::logic_error("embeddingModel: buffers differ");
    }
    lowStale_ = true;
  }
  if (lowStale_) {
    at::NoGradGuard noGrad;
    lowFlat_->params().copy_(flat_->params());
    lowStale_ = false;
  }
  return lowModel_;
}

std::vector<float> EncoderRuntime::embed(const HostBatch& batch) {
  auto& model = embeddingModel();
  c10::InferenceMode inference;
  auto tokens = toDevice(batch);
  auto pooled =
      model->pool(model->forward(tokens, false, generator_, true), tokens.attentionMask, true).to(at::kFloat);
  pooled.div_(pooled.norm(2, 1, true).clamp_min_(1e-12));
  auto unit = pooled.to(at::kCPU).contiguous();
  return std::vector<float>(unit.data_ptr<float>(), unit.data_ptr<float>() + unit.numel());
}

std::vector<double> EncoderRuntime::hiddenStates(const HostBatch& batch) {
  at::NoGradGuard noGrad;
  auto tokens = toDevice(batch);
  auto hidden = model_->forward(tokens, false, generator_).to(at::kCPU, at::kDouble).contiguous();
  return std::vector<double>(hidden.data_ptr<double>(), hidden.data_ptr<double>() + hidden.numel());
}

RngSnapshot EncoderRuntime::saveRng() {
  RngSnapshot s;
  {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    s.own = generator_.get_state();
  }
  if (auto dev = compat::defaultDeviceGenerator(device_)) {
    std::lock_guard<std::mutex> lock(dev->mutex());
    s.device = dev->get_state();
  }
  return s;
}

void EncoderRuntime::restoreRng(const RngSnapshot& s) {
  {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_.set_state(s.own);
  }
  if (auto dev = compat::defaultDeviceGenerator(device_)) {
    if (s.device.defined()) {
      std::lock_guard<std::mutex> lock(dev->mutex());
      dev->set_state(s.device);
    }
  }
}

std::string EncoderRuntime::rngState() {
  auto s = saveRng();
  std::string out(kRngMagic);
  appendBlob(out, s.own);
  appendBlob(out, s.device);
  return out;
}

void EncoderRuntime::setRngState(const std::string& bytes) {
  const std::string magic(kRngMagic);
  if (bytes.compare(0, magic.size(), magic) != 0) {
    throw std::invalid_argument("setRngState: not a state from getRngState (wrong header)");
  }
  size_t pos = magic.size();
  RngSnapshot s;
  s.own = readBlob(bytes, pos);
  s.device = readBlob(bytes, pos);
  if (!s.own.defined()) throw std::invalid_argument("setRngState: the state lacks the model's generator");
  if (s.device.defined() != compat::defaultDeviceGenerator(device_).has_value()) {
    throw std::invalid_argument("setRngState: the state was saved on another kind of device than '" +
                                device_.str() + "'");
  }
  try {
    restoreRng(s);
  } catch (const c10::Error& e) {
    throw std::invalid_argument(std::string("setRngState: the state does not fit this generator: ") +
                                e.what_without_backtrace());
  }
}

void EncoderRuntime::requireTrainable(const std::string& method) const {
  if (!options_.trainable) {
    throw std::invalid_argument(method + ": this encoder was opened for inference (trainable: false) and has no "
                                "optimizer; open it with trainable: true to train");
  }
}

MemoryAtRest EncoderRuntime::memoryAtRest() const {
  const auto bytes = [](const at::Tensor& t) { return t.defined() ? static_cast<int64_t>(t.nbytes()) : 0; };
  return {bytes(flat_->params()), bytes(flat_->grads()), optimizer_->stateBytes()};
}

TrainResult EncoderRuntime::trainStep(const TrainArgs& args) {
  requireTrainable("trainStep");
  if (args.objective != "simcse" && args.objective != "pairs") {
    throw std::invalid_argument("trainStep: objective must be 'simcse' or 'pairs', got '" + args.objective + "'");
  }
  if (args.objective == "pairs" && !args.b) throw std::invalid_argument("trainStep: objective 'pairs' needs b");
  if (args.objective == "simcse" && args.b) {
    throw std::invalid_argument("trainStep: objective 'simcse' encodes a twice; b must be absent");
  }
  // Rows of b past a's are extra negatives (hard negatives): candidates for every row of a, nobody's pair.
  if (args.b && args.b->rows < args.a.rows) {
    throw std::invalid_argument("trainStep: a has " + std::to_string(args.a.rows) + " rows and b has " +
                                std::to_string(args.b->rows) + "; row i of b must be the pair of row i of a");
  }
  if (args.a.rows < 2) throw std::invalid_argument("trainStep: a needs at least 2 rows (in-batch negatives)");
  if (!(args.temperature > 0.0)) {
    throw std::invalid_argument("trainStep: temperature must be > 0, got " + std::to_string(args.temperature));
  }
  if (!(args.lr >= 0.0) || !std::isfinite(args.lr)) {
    throw std::invalid_argument("trainStep: lr must be a finite number >= 0, got " + std::to_string(args.lr));
  }
  if (args.microBatch < 0) throw std::invalid_argument("trainStep: microBatch must be >= 0");
  if (!(args.maxGradNorm >= 0.0)) throw std::invalid_argument("trainStep: maxGradNorm must be >= 0");

  flat_->attachGrads();
  const auto a = toDevice(args.a);
  const auto b = args.b ? toDevice(*args.b) : a;
  const bool fp16 = options_.precision == "fp16";
  const double scale = fp16 ? lossScale_ : 1.0;

  InfoNceResult result;
  {
    AutocastScope autocast(options_.precision, device_.type());
    auto encode = [&](const TokenTensors& t) {
      return model_->pool(model_->forward(t, true, generator_, true), t.attentionMask);
    };
    auto loss = [&](const at::Tensor& za, const at::Tensor& zb) {
      // Data parallelism's other place: the negatives of every process (training.gather_negatives).
      return infoNceLoss(za, zb, args.temperature, args.symmetric,
                         parallel_ ? parallel_->embeddingGather(za.size(0)) : EmbeddingGather{});
    };
    if (args.microBatch > 0 && args.microBatch < a.rows()) {
      GradCacheHooks hooks{encode, loss, [this] { return saveRng(); }, [this](const RngSnapshot& s) { restoreRng(s); }};
      result = gradCacheStep(a, b, args.microBatch, scale, hooks);
    } else {
      auto za = encode(a);
      auto zb = encode(b);
      result = loss(za, zb);
      (result.loss * scale).backward();
    }
  }
  onGradientsReady();

  TrainResult out;
  out.loss = result.loss.item<double>();
  out.accuracy = result.accuracy;
  out.stopRequested = args.requestStop;
  if (parallel_) {
    const auto agreed = parallel_->agree(out.loss, out.accuracy, args.requestStop);
    out.loss = agreed.loss;
    out.accuracy = agreed.accuracy;
    out.stopRequested = agreed.stop;
  }
  at::NoGradGuard noGrad;
  const auto& grads = flat_->grads();
  if (scale != 1.0) grads.div_(scale);
  out.gradNorm = flatNorm(grads);
  if (!std::isfinite(out.gradNorm)) {
    out.skipped = true;
    if (fp16) {
      lossScale_ /= 2.0;
      goodSteps_ = 0;
    }
    flat_->detachGrads();
    out.lossScale = fp16 ? lossScale_ : 1.0;
    return out;
  }
  if (args.maxGradNorm > 0.0) {
    const double coef = args.maxGradNorm / (out.gradNorm + 1e-6);  // as torch.nn.utils.clip_grad_norm_
    if (coef < 1.0) grads.mul_(coef);
  }
  if (!args.apply) return out;
  optimizer_->step(args.lr);
  weightsChanged();
  flat_->detachGrads();
  if (fp16 && ++goodSteps_ >= 2000) {
    lossScale_ *= 2.0;
    goodSteps_ = 0;
  }
  out.lossScale = fp16 ? lossScale_ : 1.0;
  return out;
}

LoadReport EncoderRuntime::loadWeights(const std::string& path) {
  const auto file = readSafetensors(path);
  const std::string prefixes[] = {"bert.", "roberta."};
  std::map<std::string, at::Tensor> byName;
  for (const auto& [name, t] : file.tensors) {
    std::string key = name;
    for (const auto& prefix : prefixes) {
      if (key.compare(0, prefix.size(), prefix) == 0) key = key.substr(prefix.size());
    }
    byName[key] = t;
  }
  // Check every tensor before copying any, so a bad file leaves the model as it was.
  auto named = model_->named_parameters();
  for (const auto& item : named) {
    auto it = byName.find(item.key());
    if (it == byName.end()) {
      throw std::runtime_error(path + ": missing tensor '" + item.key() + "' (shape " +
                               shapeText(item.value().sizes()) + ")" +
                               (item.key().rfind("secora_head.", 0) == 0 ? "; pooling 'cls_projection' needs it" : ""));
    }
    if (it->second.sizes() != item.value().sizes()) {
      throw std::runtime_error(path + ": tensor '" + it->first + "' has shape " + shapeText(it->second.sizes()) +
                               ", the model's config expects " + shapeText(item.value().sizes()));
    }
    if (!at::isFloatingType(it->second.scalar_type())) {
      throw std::runtime_error(path + ": tensor '" + it->first + "' is not floating point");
    }
  }
  at::NoGradGuard noGrad;
  LoadReport report;
  for (auto& item : named) {
    item.value().copy_(byName.at(item.key()));
    byName.erase(item.key());
  }
  weightsChanged();
  for (const auto& [name, t] : byName) report.ignored.push_back(name);
  return report;
}

std::string EncoderRuntime::weightsBytes() {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (auto& item : model_->named_parameters()) tensors.emplace_back(item.key(), item.value());
  return encodeSafetensors(tensors, {{"format", "pt"}});
}

void EncoderRuntime::saveWeights(const std::string& path) {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (auto& item : model_->named_parameters()) tensors.emplace_back(item.key(), item.value());
  writeSafetensors(path, tensors, {{"format", "pt"}});
}

void EncoderRuntime::saveOptimizer(const std::string& path) {
  requireTrainable("saveOptimizer");
  auto tensors = optimizer_->state();
  const auto options = at::TensorOptions().dtype(at::kDouble);
  tensors.emplace_back("amp.loss_scale", at::full({}, lossScale_, options));
  tensors.emplace_back("amp.good_steps", at::full({}, goodSteps_, at::TensorOptions().dtype(at::kLong)));
  const auto& s = optimizer_->settings();
  writeSafetensors(path, tensors,
                   {{"format", "secora-adamw"},
                    {"weight_decay", std::to_string(s.weightDecay)},
                    {"betas", std::to_string(s.beta1) + "," + std::to_string(s.beta2)},
                    {"eps", std::to_string(s.eps)}});
}

void EncoderRuntime::loadOptimizer(const std::string& path) {
  requireTrainable("loadOptimizer");
  const auto file = readSafetensors(path);
  optimizer_->loadState(file.tensors, path);
  if (auto t = file.find("amp.loss_scale"); t.defined()) lossScale_ = t.item<double>();
  if (auto t = file.find("amp.good_steps"); t.defined()) goodSteps_ = t.item<int64_t>();
}

void EncoderRuntime::attachProcessGroup(std::shared_ptr<ProcessGroup> group, bool gatherNegatives) {
  if (group->options().backend == "nccl" && !device_.is_cuda()) {
    throw std::invalid_argument("backend 'nccl' needs the encoder on a CUDA device, not '" + device_.str() + "'");
  }
  if (group->options().backend == "gloo" && device_.is_cuda()) {
    throw std::invalid_argument("backend 'gloo' works on CPU tensors here; use 'nccl' for '" + device_.str() + "'");
  }
  const int rank = group->rank();
  parallel_ = std::make_unique<DataParallel>(std::move(group), gatherNegatives, device_);
  parallel_->broadcastFlat(flat_->params());
  weightsChanged();
  // Each rank draws its own dropout masks; rank 0 keeps the one-process seed.
  const uint64_t seed = options_.seed + 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL * static_cast<uint64_t>(rank);
  generator_.set_current_seed(seed);
  if (auto dev = compat::defaultDeviceGenerator(device_)) dev->set_current_seed(seed);
}

std::vector<std::string> EncoderRuntime::parameterNames() {
  std::vector<std::string> out;
  for (auto& item : model_->named_parameters()) out.push_back(item.key());
  return out;
}

at::Tensor EncoderRuntime::findParameter(const std::string& name) {
  auto named = model_->named_parameters();
  if (auto* p = named.find(name)) return *p;
  throw std::invalid_argument("no parameter named '" + name + "'");
}

std::vector<double> EncoderRuntime::parameter(const std::string& name, bool gradient) {
  auto p = findParameter(name);
  at::Tensor t = gradient ? p.grad() : p;
  if (!t.defined()) return {};
  t = t.detach().to(at::kCPU, at::kDouble).contiguous();
  return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

void EncoderRuntime::setParameter(const std::string& name, const std::vector<double>& values) {
  auto p = findParameter(name);
  if (static_cast<int64_t>(values.size()) != p.numel()) {
    throw std::invalid_argument("setParameter('" + name + "'): " + std::to_string(values.size()) +
                                " values for a tensor of shape " + shapeText(p.sizes()));
  }
  at::NoGradGuard noGrad;
  auto host = at::from_blob(const_cast<double*>(values.data()), p.sizes(), at::kDouble);
  p.copy_(host);
  weightsChanged();
}

}  // namespace secora
