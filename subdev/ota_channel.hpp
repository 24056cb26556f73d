#pragma once
// The per-device OTA channel: while a device is visited, and only then, the
// gateway is subscribed to that device's OTA topics. Never are two devices'
// OTA topics subscribed at once.
//
// A visit: subscribe the upgrade and firmware/get_reply topics, then for each
// of the device's modules report its version on inform and query with
// thing.ota.firmware.get, and wait (up to query_timeout) for the reply with
// the same id or an upgrade push; then unsubscribe.
#include <chrono>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "subdev/cloud_message.hpp"
#include "subdev/cloud_rpc.hpp"
#include "subdev/device_state.hpp"
#include "subdev/drop_log.hpp"
#include "subdev/firmware_jobs.hpp"
#include "subdev/firmware_offer.hpp"
#include "subdev/publish_pacer.hpp"
#include "subdev/registry.hpp"
#include "transports/async_slot.hpp"
#include "transports/mqtt_session.hpp"

namespace otagw::subdev {

enum class QueryOutcome {
  up_to_date,  // "data":{}
  offer,       // a usable firmware offer (reply or push)
  no_reply,    // nothing within query_timeout
  failed,      // an error code or an unusable offer
};

[[nodiscard]] std::string_view to_string(QueryOutcome outcome) noexcept;

struct ModuleVisit {
  std::string module;
  std::string reported_version;
  QueryOutcome outcome = QueryOutcome::no_reply;
  std::optional<FirmwareOffer> offer;
  bool job_started = false;       // the offer became a job in flight
  std::optional<JobOutcome> job;  // failed: the offer was refused (its failure step reported)
  std::string detail;  // why it failed, for logs and state
};

struct VisitResult {
  std::error_code aborted;  // connection_lost / stopped: the visit must be repeated
  std::vector<ModuleVisit> modules;
  bool job_started = false;  // a job runs for the device now: its remaining modules wait for the next visit
};

class OtaChannel {
 public:
  OtaChannel(transports::MqttSession& session, CloudRpc& rpc, PublishPacer& pacer, DeviceStateStore& state,
             std::chrono::milliseconds query_timeout);

  // Offers become firmware jobs that run on their own while the channel
  // moves on; without jobs they are only recorded.
  void set_jobs(FirmwareJobs* jobs) noexcept { jobs_ = jobs; }

  // The visit holds `device` (a reload may replace the registry's object).
  asio::awaitable<VisitResult> visit(SubdevicePtr device);

  // A job's download URL expired: the module's offer is asked for again
  // (subscribe, query, wait, unsubscribe: a short visit without inform).
  // The offer, nullopt when the cloud says up to date ("data":{}), or an
  // error (no reply, a lost session, an error code).
  asio::awaitable<Expected<std::optional<FirmwareOffer>>> requery(const Subdevice& device, const ModuleSpec& module);

  // A reload: from the next query on.
  void set_query_timeout(std::chrono::milliseconds timeout) noexcept { query_timeout_ = timeout; }

  // A firmware/get reply or an upgrade push, converted by the message seam.
  // Acted on only when it is for the active device and (replies) carries the
  // id we wait for; anything else is logged with its device and dropped.
  void deliver(const TopicMatch& topic, FirmwareGetReply reply);
  void deliver(const TopicMatch& topic, UpgradePush push);
  // A reply or push that did not convert: for the active device, while a
  // query waits (a reply: with the id waited for), it is the answer, refused
  // with step -1 naming what was wrong; otherwise it is logged and dropped.
  void deliver(const TopicMatch& topic, MalformedMessage message);

  // The session dropped: the waiting query gives up.
  void wake();

  [[nodiscard]] const Subdevice* active() const noexcept { return active_; }

 private:
  struct Answer {
    Answer(QueryOutcome o, std::optional<FirmwareOffer> f, std::string d)
        : outcome(o), offer(std::move(f)), detail(std::move(d)) {}

    QueryOutcome outcome;
    std::optional<FirmwareOffer> offer;
    std::string detail;
    bool unusable_offer = false;  // an offer the gateway cannot take: reported as step -1 when jobs run
    bool throttled = false;       // the platform answered 429: asked again once, at a slower pace
  };

  static std::vector<std::string> channel_topics(const Subdevice& device);
  // The device takes the channel: its OTA topics subscribed (not waited
  // for), answers for it accepted. close_channel() frees it.
  void open_channel(const Subdevice& device);
  void close_channel(const Subdevice& device);
  asio::awaitable<std::error_code> report_version(const Subdevice& device, const ModuleSpec& module,
                                                  const std::string& version);
  asio::awaitable<Expected<Answer>> query(const Subdevice& device, const ModuleSpec& module);
  asio::awaitable<std::string> version_to_report(const Subdevice& device, const ModuleSpec& module);
  [[nodiscard]] bool is_active(const TopicMatch& topic);
  static Answer answer_from_offer(Expected<FirmwareOffer> offer, const std::string& expected_module);

  transports::MqttSession& session_;
  CloudRpc& rpc_;
  PublishPacer& pacer_;
  DeviceStateStore& state_;
  std::chrono::milliseconds query_timeout_;
  FirmwareJobs* jobs_ = nullptr;

  const Subdevice* active_ = nullptr;
  std::string waiting_id_;                        // id of the outstanding firmware.get
  std::string waiting_module_;                    // its module
  transports::AsyncSlot<Answer>* waiting_ = nullptr;
  std::map<std::string, Answer> pushed_;          // pushes for modules not queried yet in this visit
  std::uint64_t visit_number_ = 0;                // tells a late SUBACK from an earlier visit
  std::error_code subscribe_error_;               // this visit's subscription failed
  DropLog drops_;
};

}  // namespace otagw::subdev
