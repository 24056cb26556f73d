// The floors of the per-device OTA cycle (performance-facts.md): the least a
// client can do per sub-device through a real broker, with nothing of otagw.
//
// Per device, two ways:
//   acked      SUBSCRIBE the two channel topics -> SUBACK, publish inform and
//              thing.ota.firmware.get (QoS 0) -> the get_reply, UNSUBSCRIBE
//              -> UNSUBACK: three round trips.
//   pipelined  SUBSCRIBE, inform and firmware.get back to back -> the
//              get_reply, UNSUBSCRIBE without waiting: one round trip. MQTT
//              keeps order on one connection, so the broker holds the
//              subscription before it sees the query; otagwd visits this way.
//
// The gateway client runs libmosquitto without its network thread, on a
// poll() loop of its own (like otagwd's single event loop): a call writes its
// packet at once, nothing waits for a thread to wake. The responder answers
// every query at once with "data":{}, on libmosquitto's thread: in this
// process, or (--external-responder) in another one started with --respond,
// so that otagwd's visits can be measured against the very same responder.
// TCP_NODELAY on (or off, to show the Nagle trap). Prints devices/s.
//
//   otagw-bench-sweep-floor [--mode acked|pipelined] [--external-responder]
//                           PORT DEVICES [NODELAY=1 [USER PASSWORD]]
//   otagw-bench-sweep-floor --respond PORT [USER PASSWORD]
//       answers until SIGTERM or SIGINT; prints "ready" once subscribed.
#include <mosquitto.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace {

const char* g_user = nullptr;
const char* g_password = nullptr;

void fail(const char* what) {
  std::fprintf(stderr, "otagw-bench-sweep-floor: %s\n", what);
  std::exit(1);
}

mosquitto* new_client(const char* id, bool nodelay, void* userdata) {
  mosquitto* m = mosquitto_new(id, true, userdata);
  if (m == nullptr) fail("mosquitto_new failed");
  mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, nodelay ? 1 : 0);
  if (g_user != nullptr) mosquitto_username_pw_set(m, g_user, g_password);
  mosquitto_connect_callback_set(m, [](mosquitto*, void*, int rc) {
    if (rc != 0) {
      std::fprintf(stderr, "the broker refused the connection: %s\n", mosquitto_connack_string(rc));
      std::exit(1);
    }
  });
  return m;
}

void connect_client(mosquitto* m, int port) {
  if (mosquitto_connect(m, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "cannot connect to 127.0.0.1:%d\n", port);
    std::exit(1);
  }
}

// ---- the responder -------------------------------------------------------------------------

struct Subscribed {
  std::mutex mutex;
  std::condition_variable changed;
  bool done = false;
};

// Answers .../thing/ota/firmware/get with {"id":<same>,"code":200,"data":{}}.
void answer_query(mosquitto* m, void*, const mosquitto_message* message) {
  std::string topic = message->topic;
  const std::string_view payload(static_cast<const char*>(message->payload),
                                 static_cast<std::size_t>(message->payloadlen));
  const auto id_start = payload.find("\"id\":\"");
  if (id_start == std::string_view::npos) return;
  const auto id = payload.substr(id_start + 6, payload.find('"', id_start + 6) - (id_start + 6));
  std::string reply = "{\"id\":\"";
  reply += id;
  reply += "\",\"code\":200,\"data\":{},\"message\":\"success\"}";
  topic += "_reply";
  mosquitto_publish(m, nullptr, topic.c_str(), static_cast<int>(reply.size()), reply.data(), 0, false);
}

// Connected, subscribed and answering on libmosquitto's thread when it returns.
mosquitto* start_responder(const char* id, int port, bool nodelay) {
  static Subscribed subscribed;
  mosquitto* platform = new_client(id, nodelay, &subscribed);
  mosquitto_message_callback_set(platform, answer_query);
  mosquitto_subscribe_callback_set(platform, [](mosquitto*, void* userdata, int, int, const int*) {
    auto* s = static_cast<Subscribed*>(userdata);
    std::lock_guard lock(s->mutex);
    s->done = true;
    s->changed.notify_all();
  });
  connect_client(platform, port);
  mosquitto_loop_start(platform);
  mosquitto_subscribe(platform, nullptr, "/sys/+/+/thing/ota/firmware/get", 0);
  std::unique_lock lock(subscribed.mutex);
  subscribed.changed.wait(lock, [] { return subscribed.done; });
  return platform;
}

std::atomic<bool> g_stop{false};

int respond(int port) {
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGINT, [](int) { g_stop = true; });
  mosquitto* platform = start_responder("floor-responder", port, true);
  std::printf("ready\n");
  std::fflush(stdout);
  while (!g_stop) pause();
  mosquitto_disconnect(platform);
  mosquitto_loop_stop(platform, false);
  mosquitto_destroy(platform);
  return 0;
}

// ---- the gateway: libmosquitto on a poll() loop of its own ----------------------------------

struct Counts {
  bool connected = false;
  long subacks = 0;
  long unsubacks = 0;
  long replies = 0;
};

// Reads and writes until `done()`. mosquitto_loop_read takes one packet a
// call: poll() says at once when more are waiting.
template <typename Done>
void pump_until(mosquitto* m, Done done) {
  while (!done()) {
    pollfd fd{mosquitto_socket(m), POLLIN, 0};
    if (mosquitto_want_write(m)) fd.events |= POLLOUT;
    if (poll(&fd, 1, 1000) < 0) fail("poll failed");
    if ((fd.revents & POLLOUT) != 0 && mosquitto_loop_write(m, 1) != MOSQ_ERR_SUCCESS) fail("connection lost");
    if ((fd.revents & (POLLIN | POLLHUP | POLLERR)) != 0 && mosquitto_loop_read(m, 1) != MOSQ_ERR_SUCCESS) {
      fail("connection lost");
    }
    if (mosquitto_loop_misc(m) != MOSQ_ERR_SUCCESS) fail("connection lost");
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool pipelined = false;
  bool external_responder = false;
  bool respond_only = false;
  int arg = 1;
  for (; arg < argc && std::strncmp(argv[arg], "--", 2) == 0; ++arg) {
    const std::string_view option = argv[arg];
    if (option == "--mode" && arg + 1 < argc) {
      const std::string_view mode = argv[++arg];
      if (mode != "acked" && mode != "pipelined") fail("--mode is acked or pipelined");
      pipelined = mode == "pipelined";
    } else if (option == "--external-responder") {
      external_responder = true;
    } else if (option == "--respond") {
      respond_only = true;
    } else {
      fail("unknown option (see the usage at the top of tools/bench/sweep_floor.cpp)");
    }
  }
  const int positional = argc - arg;
  if (respond_only ? positional < 1 : positional < 2) {
    std::fprintf(stderr,
                 "usage: %s [--mode acked|pipelined] [--external-responder] PORT DEVICES [NODELAY=1 [USER PASSWORD]]\n"
                 "       %s --respond PORT [USER PASSWORD]\n",
                 argv[0], argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[arg]);
  mosquitto_lib_init();
  if (respond_only) {
    if (positional >= 3) {
      g_user = argv[arg + 1];
      g_password = argv[arg + 2];
    }
    return respond(port);
  }
  const int devices = std::atoi(argv[arg + 1]);
  const bool nodelay = positional < 3 || std::atoi(argv[arg + 2]) != 0;
  if (positional >= 5) {
    g_user = argv[arg + 3];
    g_password = argv[arg + 4];
  }

  mosquitto* platform = external_responder ? nullptr : start_responder("floor-platform", port, nodelay);

  Counts counts;
  mosquitto* gateway = new_client("floor-gateway", nodelay, &counts);
  mosquitto_subscribe_callback_set(gateway, [](mosquitto*, void* c, int, int, const int*) {
    ++static_cast<Counts*>(c)->subacks;
  });
  mosquitto_unsubscribe_callback_set(gateway, [](mosquitto*, void* c, int) { ++static_cast<Counts*>(c)->unsubacks; });
  mosquitto_message_callback_set(gateway, [](mosquitto*, void* c, const mosquitto_message*) {
    ++static_cast<Counts*>(c)->replies;
  });
  mosquitto_connect_callback_set(gateway, [](mosquitto*, void* c, int rc) {
    if (rc != 0) {
      std::fprintf(stderr, "the broker refused the connection: %s\n", mosquitto_connack_string(rc));
      std::exit(1);
    }
    static_cast<Counts*>(c)->connected = true;
  });
  connect_client(gateway, port);
  pump_until(gateway, [&] { return counts.connected; });

  // Every packet is built before the clock starts: the floor measures the
  // broker and the wire, not snprintf.
  struct Device {
    std::string upgrade, reply, inform_topic, inform, get_topic, get;
  };
  std::vector<Device> packets(static_cast<std::size_t>(devices));
  for (int i = 0; i < devices; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "sub-%05d", i);
    Device& d = packets[static_cast<std::size_t>(i)];
    d.upgrade = std::string("/ota/device/upgrade/a1Bench/") + name;
    d.reply = std::string("/sys/a1Bench/") + name + "/thing/ota/firmware/get_reply";
    d.inform_topic = std::string("/ota/device/inform/a1Bench/") + name;
    d.inform = "{\"id\":\"" + std::to_string(2 * i) + "\",\"params\":{\"version\":\"1.0.0\"}}";
    d.get_topic = std::string("/sys/a1Bench/") + name + "/thing/ota/firmware/get";
    d.get = "{\"id\":\"" + std::to_string(2 * i + 1) +
            "\",\"version\":\"1.0\",\"params\":{},\"method\":\"thing.ota.firmware.get\"}";
  }

  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < devices; ++i) {
    Device& d = packets[static_cast<std::size_t>(i)];
    char* topics[] = {d.upgrade.data(), d.reply.data()};
    mosquitto_subscribe_multiple(gateway, nullptr, 2, topics, 1, 0, nullptr);
    if (!pipelined) pump_until(gateway, [&] { return counts.subacks >= i + 1; });
    mosquitto_publish(gateway, nullptr, d.inform_topic.c_str(), static_cast<int>(d.inform.size()), d.inform.data(), 0,
                      false);
    mosquitto_publish(gateway, nullptr, d.get_topic.c_str(), static_cast<int>(d.get.size()), d.get.data(), 0, false);
    pump_until(gateway, [&] { return counts.replies >= i + 1; });
    mosquitto_unsubscribe_multiple(gateway, nullptr, 2, topics, nullptr);
    if (!pipelined) pump_until(gateway, [&] { return counts.unsubacks >= i + 1; });
  }
  // Pipelined: the last UNSUBSCRIBE is written (a call writes at once unless
  // the socket is full); acked: its UNSUBACK is in.
  pump_until(gateway, [&] { return !mosquitto_want_write(gateway); });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  pump_until(gateway, [&] { return counts.unsubacks >= devices; });
  std::printf("floor %s: %d devices in %.3f s = %.0f devices/s (%.3f ms/device, TCP_NODELAY %s, %s responder)\n",
              pipelined ? "pipelined" : "acked", devices, seconds, devices / seconds, seconds * 1000 / devices,
              nodelay ? "on" : "off", external_responder ? "external" : "own");

  mosquitto_disconnect(gateway);
  mosquitto_destroy(gateway);
  if (platform != nullptr) {
    mosquitto_disconnect(platform);
    mosquitto_loop_stop(platform, false);
    mosquitto_destroy(platform);
  }
  mosquitto_lib_cleanup();
  return 0;
}
