// Device names, parsing with torch's error messages, and the check for a device's backend.
#include "tg/device.h"

#include <limits>

#include "tg/error.h"
#include "tg/tensor.h"

namespace tg {

const char* device_type_name(DeviceType type) { return type == DeviceType::CUDA ? "cuda" : "cpu"; }

std::string Device::str() const {
  std::string s = device_type_name(type);
  return has_index() ? s + ":" + std::to_string(index) : s;
}

Device make_device(const std::string& type, int64_t index) {
  Device d;
  if (type == "cpu") {
    d.type = DeviceType::CPU;
  } else if (type == "cuda") {
    d.type = DeviceType::CUDA;
  } else {
    throw RuntimeError(str("Expected one of cpu, cuda device type at start of device string: ", type));
  }
  TG_CHECK(index >= -1, RuntimeError, "Device index must not be negative");
  TG_CHECK(index <= std::numeric_limits<int16_t>::max(), RuntimeError, "Device index must be at most ",
           std::numeric_limits<int16_t>::max(), ", got ", index);
  d.index = static_cast<int16_t>(index);
  return d;
}

// torch's grammar: a type name, then optionally ':' and a non-negative decimal index without
// leading zeros or signs ("cuda:01", "cuda:-1", "cuda: 1" are invalid).
Device parse_device(const std::string& s) {
  TG_CHECK(!s.empty(), RuntimeError, "Device string must not be empty");
  size_t colon = s.find(':');
  std::string type = s.substr(0, colon);
  bool type_ok = !type.empty();
  for (char c : type) type_ok &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  TG_CHECK(type_ok, RuntimeError, "Invalid device string: '", s, "'");
  if (colon == std::string::npos) return make_device(type, -1);
  std::string digits = s.substr(colon + 1);
  bool index_ok = !digits.empty() && (digits.size() == 1 || digits[0] != '0');
  for (char c : digits) index_ok &= c >= '0' && c <= '9';
  TG_CHECK(index_ok, RuntimeError, "Invalid device string: '", s, "'");
  TG_CHECK(digits.size() <= 5, RuntimeError, "Could not parse device index '", digits, "' in device string '", s, "'");
  return make_device(type, std::stoll(digits));
}

void require_device_backend(const Device& device, const char* op) {
  // The CUDA backend (issue #16) adds its branch here; this build places tensors on the CPU only.
  TG_CHECK(device.is_cpu(), RuntimeError, "tinygrad_ext not compiled with CUDA enabled: ", op,
           "() asked for device '", device.str(), "'; tinygrad_ext.cuda.is_available() is False");
}

void throw_device_mismatch(const char* op, const Device& a, const Device& b) {
  throw RuntimeError(str("Expected all tensors to be on the same device, but found at least two devices, ",
                         a.str(), " and ", b.str(), "! (when checking arguments for ", op, ")"));
}

void check_same_device(const char* op, const std::vector<Tensor>& tensors) {
  const Tensor* first = nullptr;
  for (const Tensor& t : tensors) {
    if (!t) continue;
    if (!first) first = &t;
    else if (t->device() != (*first)->device()) throw_device_mismatch(op, (*first)->device(), t->device());
  }
}

}  // namespace tg
