#pragma once
// Topology add and delete, login and logout of sub-devices through the
// gateway (protocol.md §3), in the platform's batch sizes, within its rate
// limits.
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
// The platform documents no limit for thing.topo.delete (the vendor SDK sends
// one device a request): the login/logout batch is kept, and a refused batch
// is split anyway.
inline constexpr std::size_t kMaxTopoDeleteBatch = kMaxLoginBatch;
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

  // thing.topo.delete of `devices` (whatever state says: the platform may
  // hold a topology this gateway's state does not know of), best effort. A
  // refused batch is split like a login's until the refused devices are
  // isolated; each refusal and a batch without a reply is logged and left
  // alone. For a device the platform deleted, or answered 6401 for (no
  // topology to delete), state's topology_added is cleared and state marked
  // dirty; saving it is the caller's. The platform also takes a deleted
  // device offline. Returns an error only when the rest was not sent:
  // connection_lost or stopped (CloudRpc).
  asio::awaitable<std::error_code> remove(std::vector<const Subdevice*> devices);

  // The topics whose replies CloudRpc must receive.
  [[nodiscard]] std::vector<std::string> reply_topics() const;

 private:
  using BatchSender = asio::awaitable<Expected<PlatformReply>> (Topology::*)(std::span<const Subdevice* const>);

  asio::awaitable<void> send_split(std::span<const Subdevice* const> batch, BatchSender send, const char* what,
                                   BatchOutcome& outcome);
  asio::awaitable<Expected<PlatformReply>> send_topo_add(std::span<const Subdevice* const> batch);
  asio::awaitable<Expected<PlatformReply>> send_login(std::span<const Subdevice* const> batch);
  asio::awaitable<Expected<PlatformReply>> send_topo_delete(std::span<const Subdevice* const> batch);

  GatewayIdentity gateway_;
  CloudRpc& rpc_;
  DeviceStateStore& state_;
  std::chrono::milliseconds reply_timeout_;
  PublishPacer login_pacer_{kMaxLoginRequestsPerSecond, "sub-device logins"};
};

}  // namespace otagw::subdev
