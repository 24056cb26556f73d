#pragma once
// The platform's reply codes the simulator uses, from the platform's "error
// codes for devices" page (the meaning is the platform's; the choice of code
// for a case the page does not cover is ours and says so).
namespace otagw::cloudsim::codes {

inline constexpr int kSuccess = 200;
// Too many requests: over limits.login_per_s.
inline constexpr int kThrottled = 429;
// Empty or malformed parameters, too many devices in one request; also a bad
// sign (the page has no code of its own for that; ours).
inline constexpr int kBadRequest = 460;
// The device (or the gateway of the topic) does not exist.
inline constexpr int kDeviceNotFound = 6100;
// The device is disabled: a scenario device with `login: refuse`.
inline constexpr int kDeviceDisabled = 6204;
// The gateway-device topology relation does not exist: add it again.
inline constexpr int kTopologyMissing = 6401;

}  // namespace otagw::cloudsim::codes
