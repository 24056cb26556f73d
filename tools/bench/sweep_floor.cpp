// The floor for the per-device OTA cycle (performance-facts.md): the least a
// client can do per sub-device through a real broker, with nothing of otagw.
//
// One client, per device: SUBSCRIBE two topics -> SUBACK, publish inform and
// thing.ota.firmware.get (QoS 0) -> the get_reply, UNSUBSCRIBE -> UNSUBACK.
// A second client answers every query at once with "data":{}. Both use
// libmosquitto's own network thread; TCP_NODELAY on (or off, to show the
// Nagle trap). Prints devices/s.
//
//   otagw-bench-sweep-floor PORT DEVICES [NODELAY=1 [USER PASSWORD]]
#include <mosquitto.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace {

struct Waiter {
  std::mutex mutex;
  std::condition_variable changed;
  int events = 0;

  void signal() {
    std::lock_guard lock(mutex);
    ++events;
    changed.notify_all();
  }
  void wait_for(int target) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return events >= target; });
  }
};

const char* g_user = nullptr;
const char* g_password = nullptr;

mosquitto* connect_client(const char* id, int port, bool nodelay, void* userdata) {
  mosquitto* m = mosquitto_new(id, true, userdata);
  mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, nodelay ? 1 : 0);
  if (g_user != nullptr) mosquitto_username_pw_set(m, g_user, g_password);
  mosquitto_connect_callback_set(m, [](mosquitto*, void*, int rc) {
    if (rc != 0) {
      std::fprintf(stderr, "the broker refused the connection: %s\n", mosquitto_connack_string(rc));
      std::exit(1);
    }
  });
  if (mosquitto_connect(m, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "cannot connect to 127.0.0.1:%d\n", port);
    std::exit(1);
  }
  return m;
}

// Answers .../thing/ota/firmware/get with {"id":<same>,"code":200,"data":{}}.
void answer_query(mosquitto* m, void*, const mosquitto_message* message) {
  std::string topic = message->topic;
  const std::string payload(static_cast<const char*>(message->payload), static_cast<std::size_t>(message->payloadlen));
  const auto id_start = payload.find("\"id\":\"") + 6;
  const auto id = payload.substr(id_start, payload.find('"', id_start) - id_start);
  const std::string reply = "{\"id\":\"" + id + "\",\"code\":200,\"data\":{},\"message\":\"success\"}";
  topic += "_reply";
  mosquitto_publish(m, nullptr, topic.c_str(), static_cast<int>(reply.size()), reply.data(), 0, false);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PORT DEVICES [NODELAY=1 [USER PASSWORD]]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int devices = std::atoi(argv[2]);
  const bool nodelay = argc < 4 || std::atoi(argv[3]) != 0;
  if (argc >= 6) {
    g_user = argv[4];
    g_password = argv[5];
  }
  mosquitto_lib_init();

  Waiter subscribed;
  mosquitto* platform = connect_client("floor-platform", port, nodelay, &subscribed);
  mosquitto_message_callback_set(platform, answer_query);
  mosquitto_subscribe_callback_set(platform, [](mosquitto*, void* w, int, int, const int*) {
    static_cast<Waiter*>(w)->signal();
  });
  mosquitto_loop_start(platform);
  mosquitto_subscribe(platform, nullptr, "/sys/+/+/thing/ota/firmware/get", 0);
  subscribed.wait_for(1);

  Waiter acks;
  Waiter replies;
  mosquitto* gateway = connect_client("floor-gateway", port, nodelay, &acks);
  mosquitto_subscribe_callback_set(gateway, [](mosquitto*, void* w, int, int, const int*) {
    static_cast<Waiter*>(w)->signal();
  });
  mosquitto_unsubscribe_callback_set(gateway, [](mosquitto*, void* w, int) { static_cast<Waiter*>(w)->signal(); });
  // The userdata is the ack waiter; replies are counted through this pointer.
  static Waiter* reply_waiter = &replies;
  mosquitto_message_callback_set(gateway, [](mosquitto*, void*, const mosquitto_message*) { reply_waiter->signal(); });
  mosquitto_loop_start(gateway);

  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < devices; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "sub-%05d", i);
    const std::string upgrade = std::string("/ota/device/upgrade/a1Bench/") + name;
    const std::string reply = std::string("/sys/a1Bench/") + name + "/thing/ota/firmware/get_reply";
    char* topics[] = {const_cast<char*>(upgrade.c_str()), const_cast<char*>(reply.c_str())};
    mosquitto_subscribe_multiple(gateway, nullptr, 2, topics, 1, 0, nullptr);
    acks.wait_for(2 * i + 1);
    const std::string inform_topic = std::string("/ota/device/inform/a1Bench/") + name;
    const std::string inform = "{\"id\":\"" + std::to_string(i) + "\",\"params\":{\"version\":\"1.0.0\"}}";
    mosquitto_publish(gateway, nullptr, inform_topic.c_str(), static_cast<int>(inform.size()), inform.data(), 0, false);
    const std::string get_topic = std::string("/sys/a1Bench/") + name + "/thing/ota/firmware/get";
    const std::string get = "{\"id\":\"" + std::to_string(i) +
                            "\",\"version\":\"1.0\",\"params\":{},\"method\":\"thing.ota.firmware.get\"}";
    mosquitto_publish(gateway, nullptr, get_topic.c_str(), static_cast<int>(get.size()), get.data(), 0, false);
    replies.wait_for(i + 1);
    mosquitto_unsubscribe_multiple(gateway, nullptr, 2, topics, nullptr);
    acks.wait_for(2 * i + 2);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("floor: %d devices in %.3f s = %.0f devices/s (%.3f ms/device, TCP_NODELAY %s)\n", devices, seconds,
              devices / seconds, seconds * 1000 / devices, nodelay ? "on" : "off");

  mosquitto_disconnect(gateway);
  mosquitto_disconnect(platform);
  mosquitto_loop_stop(gateway, false);
  mosquitto_loop_stop(platform, false);
  mosquitto_destroy(gateway);
  mosquitto_destroy(platform);
  mosquitto_lib_cleanup();
  return 0;
}
