#pragma once
// Offer -> job plan: a firmware offer (converted and checked by the message
// seam) becomes the journal record its job starts from, or the reason this
// gateway will not take it (its policy on transports, schemes and sizes).
#include <optional>
#include <string>

#include "subdev/firmware_offer.hpp"
#include "subdev/job_journal.hpp"
#include "subdev/progress_reporter.hpp"
#include "subdev/registry.hpp"

namespace otagw::subdev {

struct JobPolicy {
  bool allow_http = false;
  std::uint64_t max_image_bytes = 536870912;
};

struct JobPlan {
  std::optional<JobRecord> record;  // the job to run; nullopt = refused
  FailureStep step = FailureStep::upgrade_failed;  // what a refusal reports
  std::string why;
};

[[nodiscard]] JobPlan plan_job(const Subdevice& device, const ModuleSpec& module, const FirmwareOffer& offer,
                               std::string current_version, const JobPolicy& policy);

// The same package (module, version, files by name, digest and size): a
// journaled download of it keeps its bytes.
[[nodiscard]] bool same_package(const JobRecord& a, const JobRecord& b);

// Lowercase ASCII, for digests and URL schemes.
[[nodiscard]] std::string ascii_lowercase(std::string text);

}  // namespace otagw::subdev
