#include "tools/cloudsim/firmware_json.hpp"

#include <cctype>

namespace otagw::cloudsim {

nlohmann::json firmware_json(const Firmware& firmware, std::string_view module) {
  nlohmann::json data = {
      {"size", firmware.size},
      {"version", firmware.version},
      {"url", firmware.url},
      {"signMethod", firmware.sign_method},
      {"sign", firmware.sign},
  };
  std::string method = firmware.sign_method;
  for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // The v3 SDKs only verify MD5 packages, from this field.
  if (method == "md5") data["md5"] = firmware.sign;
  if (module != kDefaultModule) data["module"] = module;
  if (firmware.is_diff) data["isDiff"] = *firmware.is_diff;
  if (!firmware.ext_data.is_null()) data["extData"] = firmware.ext_data;
  return data;
}

}  // namespace otagw::cloudsim
