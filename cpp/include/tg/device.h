// Where a tensor's storage lives: a device type and an optional index, as torch.device.
#pragma once
#include <cstdint>
#include <string>

namespace tg {

enum class DeviceType : uint8_t { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int16_t index = -1;  // -1: no index given ("cuda" means the current CUDA device)

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool has_index() const { return index >= 0; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  // torch's printed form: "cpu", "cpu:0", "cuda", "cuda:1".
  std::string str() const;
};

const char* device_type_name(DeviceType type);  // "cpu", "cuda"
// Parses torch's device strings ("cpu", "cuda", "cuda:1", "cpu:0") with torch's RuntimeErrors.
Device parse_device(const std::string& s);
// A device from a type name and an index (-1: none); RuntimeError for a negative or huge index.
Device make_device(const std::string& type, int64_t index);

// Raises RuntimeError naming `op` unless this build can place tensors on `device`. A CPU-only
// build has no CUDA backend, so asking for CUDA raises "tinygrad_ext not compiled with CUDA
// enabled" (torch's "Torch not compiled with CUDA enabled").
void require_device_backend(const Device& device, const char* op);

}  // namespace tg
