#include "subdev/job_plan.hpp"

#include <algorithm>
#include <cctype>

namespace otagw::subdev {
namespace {

bool scheme_allowed(const std::string& url, bool allow_http) {
  const std::string lower = ascii_lowercase(url.substr(0, 8));
  return lower.starts_with("https://") || (allow_http && lower.starts_with("http://"));
}

}  // namespace

std::string ascii_lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

JobPlan plan_job(const Subdevice& device, const ModuleSpec& module, const FirmwareOffer& offer,
                 std::string current_version, const JobPolicy& policy) {
  JobPlan plan;
  if (offer.mqtt_stream) {
    plan.why = "MQTT stream download (dProtocol \"mqtt\") is not supported by this gateway";
    return plan;
  }
  JobRecord record;
  record.device_key = device.key();
  record.module = module.name;
  record.target_version = offer.version;
  record.previous_version = std::move(current_version);
  record.sign_method = std::string(transports::to_string(offer.sign_method));
  record.is_diff = offer.is_diff;
  record.ext_data = offer.ext_data;
  record.multi_file = offer.multi_file;
  for (const FirmwareFile& file : offer.files) {
    if (!scheme_allowed(file.url, policy.allow_http)) {
      plan.step = FailureStep::download_failed;
      plan.why = "firmware URL scheme refused (only https" + std::string(policy.allow_http ? " and http" : "") + ")";
      return plan;
    }
    record.files.push_back({file.name, file.url, file.size, file.sign});
  }
  const std::uint64_t total = offer.total_size();
  if (total > policy.max_image_bytes) {
    plan.step = FailureStep::download_failed;
    plan.why = "package of " + std::to_string(total) + " bytes exceeds ota.max_image_bytes";
    return plan;
  }
  plan.record = std::move(record);
  return plan;
}

bool same_package(const JobRecord& a, const JobRecord& b) {
  if (a.module != b.module || a.target_version != b.target_version || a.files.size() != b.files.size()) return false;
  for (std::size_t i = 0; i < a.files.size(); ++i) {
    if (a.files[i].name != b.files[i].name || a.files[i].sign != b.files[i].sign || a.files[i].size != b.files[i].size) {
      return false;
    }
  }
  return true;
}

}  // namespace otagw::subdev
