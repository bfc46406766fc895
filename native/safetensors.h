// Reading and writing the safetensors format: an 8-byte little-endian header length, a JSON header
// ({name: {dtype, shape, data_offsets}, "__metadata__": {…}}), then the raw little-endian tensor bytes.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace secora {

struct SafetensorsFile {
  std::vector<std::pair<std::string, at::Tensor>> tensors;  // in the file's header order, on the CPU
  std::map<std::string, std::string> metadata;

  // The tensor called `name`, or an undefined tensor.
  at::Tensor find(const std::string& name) const;
};

// Reads a whole file; errors name the file and, where one is at fault, the tensor.
SafetensorsFile readSafetensors(const std::string& path);

// The bytes of a safetensors file holding `tensors` (moved to the CPU, made contiguous) and `metadata`.
std::string encodeSafetensors(const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                              const std::map<std::string, std::string>& metadata = {});

// Writes to `path` + ".tmp" and renames it into place, so a reader never sees half a file.
void writeSafetensors(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace secora
