#pragma once
// Topology add, login and logout of sub-devices through the gateway
// (protocol.md §3), in the platform's batch sizes, within its rate limits.
//
// A batch succeeds or fails whole, so a refused batch is split in halves until
// only the refused devices are left: one bad secret never keeps its 49
// neighbours offline. A device refused on its own is skipped (logged with the
// platform's code) and tried again at the next sweep.
#include <chrono>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "config/secret.hpp"
#include "subdev/cloud_rpc.hpp"
#include "subdev/device_state.hpp"
#include "subdev/gateway_identity.hpp"
#include "subdev/publish_pacer.hpp"
#include "subdev/registry.hpp"

namespace otagw::subdev {

// Platform limits (protocol.md §3).
inline constexpr std::size_t kMaxTopoAddBatch = 30;
inline constexpr std::size_t kMaxLoginBatch = 50;
inline constexpr int kMaxLoginRequestsPerSecond = 200;
// Codes the platform answers with that change what we do.
inline constexpr std::int64_t kCodeThrottled = 429;
inline constexpr std::int64_t kCodeTopologyMissing = 6401;

struct BatchOutcome {
  std::vector<const Subdevice*> accepted;
  std::map<const Subdevice*, std::int64_t> refused;  // device -> the platform's code
  std::error_code aborted;                  // connection_lost / stopped: the rest was not tried
};

class Topology {
 public:
  Topology(GatewayIdentity gateway, CloudRpc& rpc, DeviceStateStore& state, std::chrono::milliseconds reply_timeout);

  // thing.topo.add for those of `devices` not yet added (per state); accepted
  // devices are remembered in state. `accepted` lists every device whose
  // topology is known afterwards, including those added before.
  asio::awaitable<BatchOutcome> add(std::vector<const Subdevice*> devices);

  // combine/batch_login; a device refused with "topology does not exist" is
  // added again and logged in once more.
  asio::awaitable<BatchOutcome> login(std::vector<const Subdevice*> devices);

  // combine/batch_logout, best effort.
  asio::awaitable<std::error_code> logout(std::vector<const Subdevice*> devices);

  // The topics whose replies CloudRpc must receive.
  [[nodiscard]] std::vector<std::string> reply_topics() const;

 private:
  using BatchSender = asio::awaitable<Expected<PlatformReply>> (Topology::*)(std::span<const Subdevice* const>);

  asio::awaitable<void> send_split(std::span<const Subdevice* const> batch, BatchSender send, const char* what,
                                   BatchOutcome& outcome);
  asio::awaitable<Expected<PlatformReply>> send_topo_add(std::span<const Subdevice* const> batch);
  asio::awaitable<Expected<PlatformReply>> send_login(std::span<const Subdevice* const> batch);

  GatewayIdentity gateway_;
  CloudRpc& rpc_;
  DeviceStateStore& state_;
  std::chrono::milliseconds reply_timeout_;
  PublishPacer login_pacer_{kMaxLoginRequestsPerSecond, "sub-device logins"};
};

}  // namespace otagw::subdev
