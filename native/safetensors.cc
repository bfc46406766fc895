#include "safetensors.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace secora {
namespace {

// The few JSON values a safetensors header holds: objects, arrays, strings and integers.
struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  double number = 0;
  std::string text;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> fields;

  const Json* get(const std::string& key) const {
    for (const auto& [k, v] : fields) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

class JsonParser {
 public:
  JsonParser(const std::string& text, const std::string& file) : s_(text), file_(file) {}

  Json parseDocument() {
    Json value = parseValue();
    skipSpace();
    if (pos_ != s_.size()) fail("unexpected text after the header's JSON");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(file_ + ": bad safetensors header at byte " + std::to_string(pos_) + ": " + what);
  }
  void skipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) {
      ++pos_;
    }
  }
  void expect(char c) {
    skipSpace();
    if (pos_ >= s_.size() || s_[pos_] != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  Json parseValue() {
    skipSpace();
    if (pos_ >= s_.size()) fail("unexpected end");
    const char c = s_[pos_];
    Json v;
    if (c == '{') {
      v.kind = Json::Object;
      ++pos_;
      skipSpace();
      if (pos_ < s_.size() && s_[pos_] == '}') return ++pos_, v;
      for (;;) {
        skipSpace();
        std::string key = parseString();
        expect(':');
        v.fields.emplace_back(std::move(key), parseValue());
        skipSpace();
        if (pos_ < s_.size() && s_[pos_] == ',') { ++pos_; continue; }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      v.kind = Json::Array;
      ++pos_;
      skipSpace();
      if (pos_ < s_.size() && s_[pos_] == ']') return ++pos_, v;
      for (;;) {
        v.items.push_back(parseValue());
        skipSpace();
        if (pos_ < s_.size() && s_[pos_] == ',') { ++pos_; continue; }
        expect(']');
        return v;
      }
    }
    if (c == '"') {
      v.kind = Json::String;
      v.text = parseString();
      return v;
    }
    if (s_.compare(pos_, 4, "true") == 0) { pos_ += 4; v.kind = Json::Bool; v.number = 1; return v; }
    if (s_.compare(pos_, 5, "false") == 0) { pos_ += 5; v.kind = Json::Bool; return v; }
    if (s_.compare(pos_, 4, "null") == 0) { pos_ += 4; return v; }
    const size_t start = pos_;
    while (pos_ < s_.size() && std::strchr("+-0123456789.eE", s_[pos_]) != nullptr) ++pos_;
    if (start == pos_) fail("unexpected character");
    v.kind = Json::Number;
    v.number = std::stod(s_.substr(start, pos_ - start));
    return v;
  }
  std::string parseString() {
    if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string");
    ++pos_;
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c != '\\') { out += c; continue; }
      if (pos_ >= s_.size()) fail("unterminated escape");
      c = s_[pos_++];
      switch (c) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          if (pos_ + 4 > s_.size()) fail("short \\u escape");
          const unsigned code = std::stoul(s_.substr(pos_, 4), nullptr, 16);
          pos_ += 4;
          // Names and metadata are ASCII in practice; other code points are kept as UTF-8 (no surrogates).
          if (code < 0x80) {
            out += static_cast<char>(code);
          } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
          }
          break;
        }
        default: out += c;
      }
    }
    if (pos_ >= s_.size()) fail("unterminated string");
    ++pos_;
    return out;
  }

  const std::string& s_;
  const std::string& file_;
  size_t pos_ = 0;
};

struct DtypeName {
  const char* name;
  at::ScalarType type;
};
constexpr DtypeName kDtypes[] = {
    {"F64", at::kDouble}, {"F32", at::kFloat}, {"F16", at::kHalf}, {"BF16", at::kBFloat16},
    {"I64", at::kLong},   {"I32", at::kInt},   {"I16", at::kShort}, {"I8", at::kChar},
    {"U8", at::kByte},    {"BOOL", at::kBool},
};

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

at::Tensor SafetensorsFile::find(const std::string& name) const {
  for (const auto& [n, t] : tensors) {
    if (n == name) return t;
  }
  return {};
}

SafetensorsFile readSafetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open (" + std::strerror(errno) + ")");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 8) throw std::runtime_error(path + ": not a safetensors file (shorter than 8 bytes)");
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i) headerLen = (headerLen << 8) | static_cast<unsigned char>(bytes[i]);
  if (headerLen > bytes.size() - 8) {
    throw std::runtime_error(path + ": not a safetensors file (header length " + std::to_string(headerLen) +
                             " beyond the file's " + std::to_string(bytes.size()) + " bytes)");
  }
  const std::string header = bytes.substr(8, headerLen);
  const Json doc = JsonParser(header, path).parseDocument();
  if (doc.kind != Json::Object) throw std::runtime_error(path + ": safetensors header is not a JSON object");
  const size_t dataStart = 8 + headerLen;
  const size_t dataLen = bytes.size() - dataStart;
  SafetensorsFile out;
  for (const auto& [name, entry] : doc.fields) {
    if (name == "__metadata__") {
      for (const auto& [k, v] : entry.fields) out.metadata[k] = v.text;
      continue;
    }
    const std::string where = path + ": tensor '" + name + "'";
    const Json* dtype = entry.get("dtype");
    const Json* shape = entry.get("shape");
    const Json* offsets = entry.get("data_offsets");
    if (!dtype || !shape || !offsets || shape->kind != Json::Array || offsets->items.size() != 2) {
      throw std::runtime_error(where + " lacks dtype, shape or data_offsets");
    }
    at::ScalarType type = at::kFloat;
    bool known = false;
    for (const auto& d : kDtypes) {
      if (dtype->text == d.name) { type = d.type; known = true; }
    }
    if (!known) throw std::runtime_error(where + " has an unsupported dtype " + dtype->text);
    std::vector<int64_t> dims;
    for (const auto& d : shape->items) dims.push_back(static_cast<int64_t>(d.number));
    const auto begin = static_cast<size_t>(offsets->items[0].number);
    const auto end = static_cast<size_t>(offsets->items[1].number);
    auto tensor = at::empty(dims, at::TensorOptions().dtype(type));
    const size_t want = static_cast<size_t>(tensor.numel()) * tensor.element_size();
    if (end < begin || end > dataLen || end - begin != want) {
      throw std::runtime_error(where + " has data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                               "] that do not fit its shape (" + std::to_string(want) + " bytes) or the file (" +
                               std::to_string(dataLen) + " data bytes)");
    }
    if (want > 0) std::memcpy(tensor.data_ptr(), bytes.data() + dataStart + begin, want);
    out.tensors.emplace_back(name, tensor);
  }
  return out;
}

std::string encodeSafetensors(const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  std::vector<at::Tensor> host;
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      header += (first ? "" : ",") + jsonString(k) + ":" + jsonString(v);
      first = false;
    }
    header += "}";
  }
  size_t offset = 0;
  for (const auto& [name, t] : tensors) {
    auto h = t.detach().to(at::kCPU).contiguous();
    const char* dtype = nullptr;
    for (const auto& d : kDtypes) {
      if (d.type == h.scalar_type()) dtype = d.name;
    }
    if (!dtype) throw std::runtime_error("safetensors: tensor '" + name + "' has a dtype the format lacks");
    const size_t size = static_cast<size_t>(h.numel()) * h.element_size();
    std::string shape = "[";
    for (int64_t i = 0; i < h.dim(); ++i) shape += (i ? "," : "") + std::to_string(h.size(i));
    shape += "]";
    if (header.size() > 1) header += ",";
    header += jsonString(name) + ":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" +
              std::to_string(offset) + "," + std::to_string(offset + size) + "]}";
    offset += size;
    host.push_back(h);
  }
  header += "}";
  while ((8 + header.size()) % 8 != 0) header += ' ';  // the data starts 8-byte aligned
  std::string out;
  out.reserve(8 + header.size() + offset);
  uint64_t len = header.size();
  for (int i = 0; i < 8; ++i) out += static_cast<char>((len >> (8 * i)) & 0xFF);
  out += header;
  for (const auto& h : host) {
    out.append(static_cast<const char*>(h.data_ptr()), static_cast<size_t>(h.numel()) * h.element_size());
  }
  return out;
}

void writeSafetensors(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const std::string bytes = encodeSafetensors(tensors, metadata);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(tmp + ": cannot write (" + std::strerror(errno) + ")");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) throw std::runtime_error(tmp + ": write failed (" + std::strerror(errno) + ")");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error(path + ": cannot rename the written file into place (" + std::strerror(errno) + ")");
  }
}

}  // namespace secora
