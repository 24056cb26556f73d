#pragma once
// Which sub-devices must be online at the platform, and keeping them so. The
// platform takes every sub-device offline with the gateway's connection, so
// on every new connection the whole set is added (topology) and logged in
// again before anything is published for its devices: mid-pass the whole
// current window, visited devices too; between passes whatever the last pass
// left online (every device when the pass is not windowed; none when it is,
// as each window is logged out at its end).
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "subdev/device_state.hpp"
#include "subdev/registry.hpp"
#include "subdev/topology.hpp"
#include "transports/async_semaphore.hpp"
#include "transports/mqtt_session.hpp"

namespace otagw::subdev {

class OnlineSet {
 public:
  OnlineSet(transports::MqttSession& session, Topology& topology, DeviceStateStore& state);

  // The devices that must be online from now on; the next ensure() logs them
  // in. Devices that leave the set are logged out by the caller, if at all.
  void assign(std::vector<const Subdevice*> members);
  void clear() { assign({}); }

  // Adds `devices` to the set and, when the set is logged in on the current
  // connection, adds and logs in just those (a reload's new devices, a
  // checked device outside the window). False when the session dropped.
  asio::awaitable<bool> admit(std::vector<const Subdevice*> devices);

  // A reload: each member is replaced by the registry's device of the same
  // key. Members the registry no longer has leave the set; those of them
  // that were online are returned (for the caller to log out).
  std::vector<const Subdevice*> remap(const Registry& registry);

  // Keeps only `keep` in the set, as logged in as they were (a window's end:
  // the devices whose jobs run on stay online).
  void retain(const std::vector<const Subdevice*>& keep);

  // A job's device leaves the set: logged out first when it is online, so
  // the platform never counts it beside the logins of the next window. One
  // at a time with logins.
  asio::awaitable<void> release(const Subdevice* device);

  // Takes `device` out of the set; true when it was online.
  bool remove(const Subdevice* device);

  [[nodiscard]] bool contains(const Subdevice* device) const {
    return std::find(members_.begin(), members_.end(), device) != members_.end();
  }

  // Logs the set in unless it was logged in on the current connection.
  // False when the session dropped meanwhile: call again after reconnect.
  asio::awaitable<bool> ensure();

  // Logged in on the current connection (ensure() returned true since).
  [[nodiscard]] bool current() const noexcept;
  [[nodiscard]] bool empty() const noexcept { return members_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return members_.size(); }
  // Accepted by the platform at the last login.
  [[nodiscard]] bool online(const Subdevice* device) const { return online_.count(device) > 0; }
  [[nodiscard]] std::vector<const Subdevice*> online_members() const;

 private:
  // A device refused by topology add or login: why, in its state.
  void note_refusals(const BatchOutcome& added, const BatchOutcome& logged_in);

  transports::MqttSession& session_;
  Topology& topology_;
  DeviceStateStore& state_;
  std::vector<std::string> reply_topics_;
  std::vector<const Subdevice*> members_;
  std::set<const Subdevice*> online_;
  std::uint64_t logged_in_on_ = 0;  // the connection_count() of the last complete login; 0 = none
  // One login at a time: the sweep and the jobs' reports may both ask for one.
  transports::AsyncSemaphore logging_in_;
};

}  // namespace otagw::subdev
