// "[2, 3]": a tensor shape as error messages print it.
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace secora {

inline std::string shapeText(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace secora
