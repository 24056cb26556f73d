// What firmware jobs wait on (issue 14), against the subdev library on one
// io_context, no broker: the FIFO semaphore behind buses and download slots
// (transports/async_semaphore.hpp), the "look again" signal
// (transports/async_signal.hpp), the scheduler's bus turns and flash-window
// waits with a clock the test sets (subdev/job_scheduler.hpp), and the
// staging room counted by digest (subdev/staged_images.hpp).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "subdev/job_scheduler.hpp"
#include "subdev/staged_images.hpp"
#include "tests/support/run_with_timeout.hpp"
#include "tests/support/temp_dir.hpp"
#include "transports/async_semaphore.hpp"
#include "transports/async_signal.hpp"

namespace otagw::subdev {
namespace {

using namespace std::chrono_literals;
using transports::AsyncSemaphore;
using transports::AsyncSignal;
using test_support::sleep_for;

// Coroutines spawned beside a test's own: their exceptions (a failed
// REQUIRE) are kept and rethrown by the test at its end, never swallowed.
class Spawned {
 public:
  void spawn(asio::io_context& io, asio::awaitable<void> coroutine) {
    ++running_;
    asio::co_spawn(io, std::move(coroutine), [this](std::exception_ptr error) {
      --running_;
      if (error && !error_) error_ = error;
    });
  }
  [[nodiscard]] int running() const { return running_; }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  int running_ = 0;
  std::exception_ptr error_;
};

// A few turns of the loop: what is ready to run has run.
asio::awaitable<void> settle() { co_await sleep_for(20ms); }

// ---- AsyncSemaphore ---------------------------------------------------------------------------

// Takes a unit, notes `name` in `order`, holds it for `hold`.
asio::awaitable<void> take_unit(AsyncSemaphore* semaphore, std::vector<std::string>* order, std::string name,
                                std::chrono::milliseconds hold) {
  AsyncSemaphore::Permit permit = co_await semaphore->acquire();
  order->push_back(permit ? name : name + " refused");
  if (permit) co_await sleep_for(hold);
}

// (Pointers, not references: coroutines take their parameters by value.)
asio::awaitable<void> semaphore_fifo(asio::io_context* io_of_test, AsyncSemaphore* semaphore_of_test,
                                     std::vector<std::string>* order_of_test, Spawned* others_of_test) {
  asio::io_context& io = *io_of_test;
  AsyncSemaphore& semaphore = *semaphore_of_test;
  std::vector<std::string>& order = *order_of_test;
  Spawned& others = *others_of_test;
  AsyncSemaphore::Permit first = co_await semaphore.acquire();
  REQUIRE(first);
  CHECK_FALSE(semaphore.available());
  for (const char* name : {"w1", "w2", "w3"}) others.spawn(io, take_unit(&semaphore, &order, name, 30ms));
  co_await settle();
  CHECK(order.empty());
  CHECK(semaphore.waiting() == 3);
  // The unit goes to the first waiter as it is released: nobody arriving
  // now sees it free.
  first.release();
  CHECK(semaphore.in_use() == 1);
  CHECK(semaphore.waiting() == 2);
  CHECK_FALSE(semaphore.available());
  others.spawn(io, take_unit(&semaphore, &order, "late", 0ms));
  while (others.running() > 0) co_await settle();
  CHECK(semaphore.in_use() == 0);
  CHECK(semaphore.available());
}

TEST_CASE("AsyncSemaphore grants units in the order asked, a later arrival never first", "[unit][scheduler]") {
  asio::io_context io;
  AsyncSemaphore semaphore(io.get_executor(), 1);
  std::vector<std::string> order;
  Spawned others;
  test_support::run_with_timeout(io, semaphore_fifo(&io, &semaphore, &order, &others), 10s);
  others.rethrow();
  CHECK(order == std::vector<std::string>{"w1", "w2", "w3", "late"});
}

asio::awaitable<void> semaphore_set_units(asio::io_context* io_of_test, AsyncSemaphore* semaphore_of_test,
                                          std::vector<std::string>* order_of_test, Spawned* others_of_test) {
  asio::io_context& io = *io_of_test;
  AsyncSemaphore& semaphore = *semaphore_of_test;
  std::vector<std::string>& order = *order_of_test;
  Spawned& others = *others_of_test;
  AsyncSemaphore::Permit held = co_await semaphore.acquire();
  // a and b hold their units for a second: long enough for the checks below.
  for (const char* name : {"a", "b", "c"}) others.spawn(io, take_unit(&semaphore, &order, name, 1000ms));
  co_await settle();
  CHECK(order.empty());
  semaphore.set_units(3);  // a reload raising the slots: two waiters go on now
  co_await settle();
  CHECK(order == std::vector<std::string>{"a", "b"});
  CHECK(semaphore.in_use() == 3);
  CHECK(semaphore.waiting() == 1);
  // Lowered below what is held: nobody is cut off, and nobody new gets a
  // unit until the permits held are down to the new count.
  semaphore.set_units(1);
  held.release();
  co_await settle();
  CHECK(semaphore.in_use() == 2);
  CHECK(order == std::vector<std::string>{"a", "b"});
  semaphore.cancel_all();  // ends the test: "c" is refused
  while (others.running() > 0) co_await settle();
}

TEST_CASE("AsyncSemaphore set_units: more units grant waiters at once, fewer let held permits run out",
          "[unit][scheduler]") {
  asio::io_context io;
  AsyncSemaphore semaphore(io.get_executor(), 1);
  std::vector<std::string> order;
  Spawned others;
  test_support::run_with_timeout(io, semaphore_set_units(&io, &semaphore, &order, &others), 10s);
  others.rethrow();
  CHECK(order == std::vector<std::string>{"a", "b", "c refused"});
}

asio::awaitable<void> semaphore_cancel_all(asio::io_context* io_of_test, AsyncSemaphore* semaphore_of_test,
                                           std::vector<std::string>* order_of_test, Spawned* others_of_test) {
  asio::io_context& io = *io_of_test;
  AsyncSemaphore& semaphore = *semaphore_of_test;
  std::vector<std::string>& order = *order_of_test;
  Spawned& others = *others_of_test;
  AsyncSemaphore::Permit held = co_await semaphore.acquire();
  others.spawn(io, take_unit(&semaphore, &order, "w1", 0ms));
  others.spawn(io, take_unit(&semaphore, &order, "w2", 0ms));
  co_await settle();
  semaphore.cancel_all();
  while (others.running() > 0) co_await settle();
  CHECK(order == std::vector<std::string>{"w1 refused", "w2 refused"});
  CHECK(semaphore.waiting() == 0);
  AsyncSemaphore::Permit later = co_await semaphore.acquire();
  CHECK_FALSE(later);
  held.release();  // a permit held through the cancel is still released
  CHECK(semaphore.in_use() == 0);
  AsyncSemaphore::Permit after_release = co_await semaphore.acquire();
  CHECK_FALSE(after_release);
}

TEST_CASE("AsyncSemaphore cancel_all refuses every waiter and every later acquire", "[unit][scheduler]") {
  asio::io_context io;
  AsyncSemaphore semaphore(io.get_executor(), 1);
  std::vector<std::string> order;
  Spawned others;
  test_support::run_with_timeout(io, semaphore_cancel_all(&io, &semaphore, &order, &others), 10s);
  others.rethrow();
}

// ---- both, at the daemon's stop -------------------------------------------------------------

// A job frame the stop did not wake (a back-off, a plugin call): it holds a
// unit, or waits for one or for a signal, until the loop is destroyed, which
// destroys the frame: after the semaphore and the signal (the daemon's
// owners go first), or before them, in any order among the frames.
asio::awaitable<void> hold_unit_forever(AsyncSemaphore* semaphore) {
  AsyncSemaphore::Permit permit = co_await semaphore->acquire();
  co_await sleep_for(24h);
}

asio::awaitable<void> wait_signal_forever(AsyncSignal* signal) { co_await signal->wait(); }

TEST_CASE("AsyncSemaphore and AsyncSignal: frames destroyed with the loop never reach a freed owner or waiter",
          "[unit][scheduler]") {
  for (const bool owners_first : {true, false}) {
    for (const bool holder_first : {true, false}) {
      auto io = std::make_unique<asio::io_context>();
      auto semaphore = std::make_unique<AsyncSemaphore>(io->get_executor(), 1);
      auto signal = std::make_unique<AsyncSignal>(io->get_executor());
      auto spawn = [&](asio::awaitable<void> frame) { asio::co_spawn(*io, std::move(frame), asio::detached); };
      if (holder_first) spawn(hold_unit_forever(semaphore.get()));
      spawn(hold_unit_forever(semaphore.get()));  // waits for the unit
      if (!holder_first) spawn(hold_unit_forever(semaphore.get()));
      spawn(wait_signal_forever(signal.get()));
      io->run_for(50ms);
      CHECK(semaphore->in_use() == 1);
      CHECK(semaphore->waiting() == 1);
      if (owners_first) {
        semaphore.reset();
        signal.reset();
      }
      // Destroys the suspended frames: a permit released here must not
      // touch a freed semaphore, nor grant a waiter whose frame is gone.
      io.reset();
      if (!owners_first) {
        CHECK(semaphore->in_use() == 0);
        CHECK(semaphore->waiting() == 0);
        signal->notify_all();  // no waiter left behind
      }
    }
  }
}

// ---- AsyncSignal ------------------------------------------------------------------------------

asio::awaitable<void> wait_signal(AsyncSignal* signal, std::vector<bool>* results, std::chrono::milliseconds timeout) {
  const bool notified = co_await signal->wait_for(timeout);
  results->push_back(notified);
}

asio::awaitable<void> signal_wakes(asio::io_context* io_of_test, AsyncSignal* signal_of_test,
                                   std::vector<bool>* results_of_test, Spawned* others_of_test) {
  asio::io_context& io = *io_of_test;
  AsyncSignal& signal = *signal_of_test;
  std::vector<bool>& results = *results_of_test;
  Spawned& others = *others_of_test;
  for (int i = 0; i < 3; ++i) others.spawn(io, wait_signal(&signal, &results, 10s));
  co_await settle();
  CHECK(results.empty());
  const auto notified_at = std::chrono::steady_clock::now();
  signal.notify_all();
  while (others.running() > 0) co_await settle();
  CHECK(std::chrono::steady_clock::now() - notified_at < 5s);
  CHECK(results == std::vector<bool>{true, true, true});

  // Nobody waits: the notify is lost, the next wait times out.
  signal.notify_all();
  const auto started = std::chrono::steady_clock::now();
  const bool heard = co_await signal.wait_for(100ms);
  CHECK_FALSE(heard);
  CHECK(std::chrono::steady_clock::now() - started >= 100ms);
}

TEST_CASE("AsyncSignal wakes every waiter, times out without a notify, and forgets a notify nobody heard",
          "[unit][scheduler]") {
  asio::io_context io;
  AsyncSignal signal(io.get_executor());
  std::vector<bool> results;
  Spawned others;
  test_support::run_with_timeout(io, signal_wakes(&io, &signal, &results, &others), 20s);
  others.rethrow();
}

// ---- JobScheduler: buses ----------------------------------------------------------------------

asio::awaitable<void> use_bus(JobScheduler* scheduler, std::string bus, std::vector<std::string>* log,
                              std::string name, std::chrono::milliseconds hold) {
  AsyncSemaphore::Permit turn = co_await scheduler->take_bus(bus);
  if (!turn) {
    log->push_back(name + " refused");
    co_return;
  }
  log->push_back(name + " start");
  co_await sleep_for(hold);
  log->push_back(name + " end");
}

asio::awaitable<void> bus_turns(asio::io_context* io_of_test, JobScheduler* scheduler_of_test,
                                std::vector<std::string>* log_of_test, Spawned* others_of_test) {
  asio::io_context& io = *io_of_test;
  JobScheduler& scheduler = *scheduler_of_test;
  std::vector<std::string>& log = *log_of_test;
  Spawned& others = *others_of_test;
  CHECK(scheduler.bus_free("uart0"));
  others.spawn(io, use_bus(&scheduler, "uart0", &log, "a1", 100ms));
  others.spawn(io, use_bus(&scheduler, "uart0", &log, "a2", 100ms));
  others.spawn(io, use_bus(&scheduler, "uart0", &log, "a3", 10ms));
  others.spawn(io, use_bus(&scheduler, "can0", &log, "b1", 50ms));
  co_await settle();
  // a1 and b1 work at once; a2 and a3 wait for uart0.
  CHECK(log == std::vector<std::string>{"a1 start", "b1 start"});
  CHECK_FALSE(scheduler.bus_free("uart0"));
  while (others.running() > 0) co_await settle();
  CHECK(scheduler.bus_free("uart0"));
  CHECK(scheduler.bus_free("can0"));
}

TEST_CASE("JobScheduler: one turn at a time on a bus, in the order asked, buses side by side", "[unit][scheduler]") {
  asio::io_context io;
  ManualWallClock clock;
  JobScheduler scheduler(io.get_executor(), clock);
  std::vector<std::string> log;
  Spawned others;
  test_support::run_with_timeout(io, bus_turns(&io, &scheduler, &log, &others), 10s);
  others.rethrow();
  // On uart0 each turn ends before the next starts, in the order asked.
  std::vector<std::string> uart0;
  for (const auto& entry : log) {
    if (entry[0] == 'a') uart0.push_back(entry);
  }
  CHECK(uart0 == std::vector<std::string>{"a1 start", "a1 end", "a2 start", "a2 end", "a3 start", "a3 end"});
  // b1 ended while a1 still held uart0.
  const auto b1_end = std::find(log.begin(), log.end(), "b1 end");
  const auto a1_end = std::find(log.begin(), log.end(), "a1 end");
  CHECK(b1_end < a1_end);
}

asio::awaitable<void> bus_stop(asio::io_context* io_of_test, JobScheduler* scheduler_of_test,
                               std::vector<std::string>* log_of_test, Spawned* others_of_test) {
  asio::io_context& io = *io_of_test;
  JobScheduler& scheduler = *scheduler_of_test;
  std::vector<std::string>& log = *log_of_test;
  Spawned& others = *others_of_test;
  AsyncSemaphore::Permit held = co_await scheduler.take_bus("uart0");
  REQUIRE(held);
  others.spawn(io, use_bus(&scheduler, "uart0", &log, "waiting", 0ms));
  co_await settle();
  scheduler.stop();
  CHECK(scheduler.stopping());
  while (others.running() > 0) co_await settle();
  AsyncSemaphore::Permit later = co_await scheduler.take_bus("uart0");
  CHECK_FALSE(later);
  AsyncSemaphore::Permit other_bus = co_await scheduler.take_bus("never-used");
  CHECK_FALSE(other_bus);
}

TEST_CASE("JobScheduler stop: waiting and later bus turns are refused", "[unit][scheduler]") {
  asio::io_context io;
  ManualWallClock clock;
  JobScheduler scheduler(io.get_executor(), clock);
  std::vector<std::string> log;
  Spawned others;
  test_support::run_with_timeout(io, bus_stop(&io, &scheduler, &log, &others), 10s);
  others.rethrow();
  CHECK(log == std::vector<std::string>{"waiting refused"});
}

// ---- JobScheduler: flash windows --------------------------------------------------------------

// The process's TZ for one test, put back (or unset again) at the end.
class TimeZone {
 public:
  explicit TimeZone(const char* zone) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  TimeZone(const TimeZone&) = delete;
  TimeZone& operator=(const TimeZone&) = delete;
  ~TimeZone() {
    if (old_) {
      ::setenv("TZ", old_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::optional<std::string> old_;
};

WallTime utc(int year, int month, int day, int hour, int minute, int second = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return WallTime(std::chrono::seconds(::timegm(&tm)));
}

config::FlashWindow window(std::string_view text) {
  const auto parsed = config::parse_flash_window(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

struct WindowWait {
  std::optional<bool> open;        // the wait's result, once it ended
  std::vector<std::string> heard;  // what on_wait was told
};

asio::awaitable<void> wait_window(JobScheduler* scheduler, std::vector<config::FlashWindow> windows, WindowWait* out) {
  auto on_wait = [out](const std::string& what) { out->heard.push_back(what); };
  const bool open = co_await scheduler->wait_for_window(windows, on_wait);
  out->open = open;
}

asio::awaitable<void> window_clock_changed(asio::io_context* io_of_test, JobScheduler* scheduler_of_test,
                                           ManualWallClock* clock_of_test, std::vector<config::FlashWindow> night,
                                           WindowWait* wait_of_test, Spawned* others_of_test) {
  asio::io_context& io = *io_of_test;
  JobScheduler& scheduler = *scheduler_of_test;
  ManualWallClock& clock = *clock_of_test;
  WindowWait& wait = *wait_of_test;
  Spawned& others = *others_of_test;
  others.spawn(io, wait_window(&scheduler, night, &wait));
  co_await settle();
  CHECK_FALSE(wait.open);
  CHECK(wait.heard == std::vector<std::string>{"its flash window"});
  // Time passes, still outside: a look again changes nothing.
  clock.set(utc(2026, 12, 7, 1, 59, 59));
  scheduler.clock_changed();
  co_await settle();
  CHECK_FALSE(wait.open);
  CHECK(wait.heard.size() == 1);  // told once
  clock.set(utc(2026, 12, 7, 2, 0));
  const auto changed_at = std::chrono::steady_clock::now();
  scheduler.clock_changed();
  while (!wait.open) co_await settle();
  CHECK(std::chrono::steady_clock::now() - changed_at < 5s);
  CHECK(*wait.open);
  CHECK(scheduler.window_open(night));
}

TEST_CASE("JobScheduler window wait: moving the clock into the window and clock_changed() end it",
          "[unit][scheduler]") {
  const TimeZone zone("UTC");
  asio::io_context io;
  // An hour before the window: the wait's own timer would look again in a
  // minute of real time; only clock_changed() can end it within the test.
  ManualWallClock clock(utc(2026, 12, 7, 1, 0), true);
  JobScheduler scheduler(io.get_executor(), clock);
  const std::vector<config::FlashWindow> night{window("02:00-05:00")};
  CHECK_FALSE(scheduler.window_open(night));
  CHECK(scheduler.window_open({}));
  WindowWait wait;
  Spawned others;
  test_support::run_with_timeout(io, window_clock_changed(&io, &scheduler, &clock, night, &wait, &others), 20s);
  others.rethrow();
}

asio::awaitable<void> window_unsynchronised(asio::io_context* io_of_test, JobScheduler* scheduler_of_test,
                                            ManualWallClock* clock_of_test, std::vector<config::FlashWindow> night,
                                            WindowWait* wait_of_test, Spawned* others_of_test) {
  asio::io_context& io = *io_of_test;
  JobScheduler& scheduler = *scheduler_of_test;
  ManualWallClock& clock = *clock_of_test;
  WindowWait& wait = *wait_of_test;
  Spawned& others = *others_of_test;
  others.spawn(io, wait_window(&scheduler, night, &wait));
  co_await settle();
  scheduler.clock_changed();
  co_await settle();
  CHECK_FALSE(wait.open);
  REQUIRE(wait.heard.size() == 1);
  CHECK(wait.heard[0].find("not synchronised") != std::string::npos);
  clock.set_synchronised(true);
  scheduler.clock_changed();
  while (!wait.open) co_await settle();
  CHECK(*wait.open);
}

TEST_CASE("JobScheduler window wait: a clock not synchronised keeps every window closed", "[unit][scheduler]") {
  const TimeZone zone("UTC");
  asio::io_context io;
  ManualWallClock clock(utc(2026, 12, 7, 3, 0), false);  // inside the window, but not to be trusted
  JobScheduler scheduler(io.get_executor(), clock);
  const std::vector<config::FlashWindow> night{window("02:00-05:00")};
  CHECK_FALSE(scheduler.window_open(night));
  CHECK(scheduler.window_open({}));  // no windows: the clock does not matter
  WindowWait wait;
  Spawned others;
  test_support::run_with_timeout(io, window_unsynchronised(&io, &scheduler, &clock, night, &wait, &others), 20s);
  others.rethrow();

  // ota.require_synced_clock: false trusts the clock as it is.
  clock.set_synchronised(false);
  CHECK_FALSE(scheduler.window_open(night));
  scheduler.set_require_synced_clock(false);
  CHECK(scheduler.window_open(night));
  clock.set(utc(2026, 12, 7, 6, 0));
  CHECK_FALSE(scheduler.window_open(night));  // still only inside the window
}

asio::awaitable<void> window_stop(asio::io_context* io_of_test, JobScheduler* scheduler_of_test,
                                  WindowWait* wait_of_test, Spawned* others_of_test) {
  asio::io_context& io = *io_of_test;
  JobScheduler& scheduler = *scheduler_of_test;
  WindowWait& wait = *wait_of_test;
  Spawned& others = *others_of_test;
  others.spawn(io, wait_window(&scheduler, {window("02:00-05:00")}, &wait));
  co_await settle();
  CHECK_FALSE(wait.open);
  scheduler.stop();
  while (!wait.open) co_await settle();
  CHECK_FALSE(*wait.open);
  // A wait begun after the stop ends at once, even inside a window.
  WindowWait late;
  const std::vector<config::FlashWindow> always;
  co_await wait_window(&scheduler, always, &late);
  CHECK(late.open == false);
}

TEST_CASE("JobScheduler window wait: stop() ends it with false", "[unit][scheduler]") {
  const TimeZone zone("UTC");
  asio::io_context io;
  ManualWallClock clock(utc(2026, 12, 7, 12, 0), true);
  JobScheduler scheduler(io.get_executor(), clock);
  WindowWait wait;
  Spawned others;
  test_support::run_with_timeout(io, window_stop(&io, &scheduler, &wait, &others), 20s);
  others.rethrow();
}

// ---- JobScheduler: jobs in flight -------------------------------------------------------------

asio::awaitable<void> count_changes(JobScheduler* scheduler, int* changes) {
  co_await scheduler->wait_for_change();
  ++*changes;
}

asio::awaitable<void> jobs_in_flight(asio::io_context* io_of_test, JobScheduler* scheduler_of_test,
                                     int* changes_of_test, Spawned* others_of_test) {
  asio::io_context& io = *io_of_test;
  JobScheduler& scheduler = *scheduler_of_test;
  int& changes = *changes_of_test;
  Spawned& others = *others_of_test;
  others.spawn(io, count_changes(&scheduler, &changes));
  co_await settle();
  scheduler.add_job("pk.a");
  while (changes < 1) co_await settle();
  scheduler.add_job("pk.b");
  CHECK(scheduler.jobs() == 2);
  CHECK(scheduler.has_job("pk.a"));
  CHECK_FALSE(scheduler.has_job("pk.c"));
  CHECK(scheduler.jobs_running() == 2);
  others.spawn(io, count_changes(&scheduler, &changes));
  co_await settle();
  scheduler.set_stage("pk.b", JobScheduler::JobStage::waiting_for_window);
  while (changes < 2) co_await settle();
  CHECK(scheduler.jobs_running() == 1);
  CHECK_FALSE(scheduler.running("pk.b"));
  CHECK(scheduler.running("pk.a"));
  CHECK(scheduler.jobs_waiting_for_window() == std::vector<std::string>{"pk.b"});
  others.spawn(io, count_changes(&scheduler, &changes));
  co_await settle();
  scheduler.remove_job("pk.a");
  while (changes < 3) co_await settle();
  CHECK(scheduler.jobs() == 1);
  CHECK(scheduler.jobs_running() == 0);
}

TEST_CASE("JobScheduler jobs: one entry per device, stages, and a change wakes who waits", "[unit][scheduler]") {
  asio::io_context io;
  ManualWallClock clock;
  JobScheduler scheduler(io.get_executor(), clock);
  int changes = 0;
  Spawned others;
  test_support::run_with_timeout(io, jobs_in_flight(&io, &scheduler, &changes, &others), 10s);
  others.rethrow();
}

// ---- StagedImages -----------------------------------------------------------------------------

JobFile file(const std::string& sign, std::uint64_t size) {
  return JobFile{"image.bin", "http://x/" + sign, size, sign};
}

struct ClaimResult {
  std::optional<StagedImages::Claim> claim;
  std::vector<std::string> heard;
  std::string why;
};

// (Callers pass named vectors: g++ 12 miscompiles a braced list across co_await.)
asio::awaitable<void> claim_room(StagedImages* staged, std::vector<JobFile> files, ClaimResult* out) {
  auto on_wait = [out](const std::string& what) { out->heard.push_back(what); };
  std::string why;
  const StagedImages::Claim claim = co_await staged->reserve(files, on_wait, why);
  out->why = why;
  out->claim = claim;
}

asio::awaitable<void> staging_by_digest(StagedImages* staged_of_test, std::filesystem::path dir) {
  StagedImages& staged = *staged_of_test;
  ClaimResult first, second, other;
  const std::vector<JobFile> files_first{file("aa", 1000)};
  co_await claim_room(&staged, files_first, &first);
  CHECK(first.claim == StagedImages::Claim::granted);
  CHECK(staged.claimed_bytes() == 1000);
  const std::vector<JobFile> files_second{file("aa", 1000)};
  co_await claim_room(&staged, files_second, &second);  // the same package for another device
  CHECK(second.claim == StagedImages::Claim::granted);
  CHECK(staged.claimed_bytes() == 1000);
  const std::vector<JobFile> files_other{file("bb", 300)};
  co_await claim_room(&staged, files_other, &other);
  CHECK(staged.claimed_bytes() == 1300);

  // The first job verified its image: it becomes the shared one, which a
  // later job links instead of downloading.
  std::filesystem::create_directories(dir / "job1");
  {
    std::ofstream image(dir / "job1" / "image.bin", std::ios::binary);
    image << std::string(1000, 'x');
  }
  staged.share_verified(file("aa", 1000), dir / "job1" / "image.bin");
  CHECK(std::filesystem::exists(dir / "cache" / "aa"));
  std::filesystem::create_directories(dir / "job2");
  CHECK(staged.link_shared(file("aa", 1000), dir / "job2" / "image.bin"));
  CHECK(std::filesystem::file_size(dir / "job2" / "image.bin") == 1000);
  CHECK_FALSE(staged.link_shared(file("aa", 999), dir / "job2" / "other.bin"));  // not of the offered size
  CHECK_FALSE(staged.link_shared(file("cc", 1000), dir / "job2" / "other.bin"));

  // One holder lets go: the image stays for the other.
  staged.release({file("aa", 1000)});
  CHECK(staged.claimed_bytes() == 1300);
  CHECK(std::filesystem::exists(dir / "cache" / "aa"));
  // The last holder lets go: counted no more, the shared image goes.
  staged.release({file("aa", 1000)});
  CHECK(staged.claimed_bytes() == 300);
  CHECK_FALSE(std::filesystem::exists(dir / "cache" / "aa"));
  // A release of what nobody holds changes nothing.
  staged.release({file("aa", 1000)});
  CHECK(staged.claimed_bytes() == 300);
  staged.release({file("bb", 300)});
  CHECK(staged.claimed_bytes() == 0);
  CHECK_FALSE(std::filesystem::exists(dir / "cache"));
}

TEST_CASE("StagedImages counts a digest once, however many jobs hold it, until the last lets go", "[unit][staging]") {
  test_support::TempDir dir("otagw-staging");
  asio::io_context io;
  std::filesystem::create_directories(dir.path() / "cache");
  std::ofstream(dir.path() / "cache" / "leftover") << "x";
  StagedImages staged(io.get_executor(), dir.path() / "cache", 1 << 20);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "cache"));  // nothing is held at start-up

  test_support::run_with_timeout(io, staging_by_digest(&staged, dir.path()), 10s);
}

TEST_CASE("StagedImages: a resumed job's bytes on disk count at once, whatever the limit", "[unit][staging]") {
  test_support::TempDir dir("otagw-staging");
  asio::io_context io;
  StagedImages staged(io.get_executor(), dir.path() / "cache", 1 << 20);
  staged.claim_present({file("aa", 900'000)});
  staged.claim_present({file("bb", 900'000)});  // over the limit: the bytes are there already
  CHECK(staged.claimed_bytes() == 1'800'000);
  staged.claim_present({file("aa", 900'000)});  // the same digest again counts once
  CHECK(staged.claimed_bytes() == 1'800'000);
  staged.release({file("aa", 900'000)});
  staged.release({file("bb", 900'000)});
  CHECK(staged.claimed_bytes() == 900'000);  // "aa" has a holder left
  staged.release({file("aa", 900'000)});
  CHECK(staged.claimed_bytes() == 0);
}

asio::awaitable<void> staging_never_fits(StagedImages* staged_of_test) {
  StagedImages& staged = *staged_of_test;
  ClaimResult held, huge, two_files;
  const std::vector<JobFile> files_held{file("aa", 600'000)};
  co_await claim_room(&staged, files_held, &held);
  REQUIRE(held.claim == StagedImages::Claim::granted);
  // Larger than ota.max_staging_bytes even with nothing else held: no wait.
  const std::vector<JobFile> files_huge{file("bb", (1 << 20) + 1)};
  co_await claim_room(&staged, files_huge, &huge);
  CHECK(huge.claim == StagedImages::Claim::never_fits);
  CHECK(huge.why.find("ota.max_staging_bytes") != std::string::npos);
  CHECK(huge.heard.empty());
  // Two files of one package count together.
  const std::vector<JobFile> files_two_files{file("cc", 600'000), JobFile{"b.bin", "u", 600'000, "dd"}};
  co_await claim_room(&staged, files_two_files, &two_files);
  CHECK(two_files.claim == StagedImages::Claim::never_fits);
  CHECK(staged.claimed_bytes() == 600'000);
}

TEST_CASE("StagedImages: a package that can never fit is refused at once", "[unit][staging]") {
  test_support::TempDir dir("otagw-staging");
  asio::io_context io;
  StagedImages staged(io.get_executor(), dir.path() / "cache", 1 << 20);
  test_support::run_with_timeout(io, staging_never_fits(&staged), 10s);
}

asio::awaitable<void> staging_waits(asio::io_context* io_of_test, StagedImages* staged_of_test,
                                    Spawned* others_of_test) {
  asio::io_context& io = *io_of_test;
  StagedImages& staged = *staged_of_test;
  Spawned& others = *others_of_test;
  ClaimResult first, second, shared;
  const std::vector<JobFile> files_first{file("aa", 700'000)};
  co_await claim_room(&staged, files_first, &first);
  REQUIRE(first.claim == StagedImages::Claim::granted);
  others.spawn(io, claim_room(&staged, {file("bb", 700'000)}, &second));
  co_await settle();
  CHECK_FALSE(second.claim);
  REQUIRE(second.heard.size() == 1);
  CHECK(second.heard[0].find("ota.max_staging_bytes") != std::string::npos);
  // The same digest as a held one costs nothing more: it does not wait.
  const std::vector<JobFile> files_shared{file("aa", 700'000)};
  co_await claim_room(&staged, files_shared, &shared);
  CHECK(shared.claim == StagedImages::Claim::granted);
  staged.release({file("aa", 700'000)});
  co_await settle();
  CHECK_FALSE(second.claim);  // "aa" is still held by the other job
  const auto released_at = std::chrono::steady_clock::now();
  staged.release({file("aa", 700'000)});
  while (!second.claim) co_await settle();
  CHECK(std::chrono::steady_clock::now() - released_at < 2s);  // woken, not found by the 5 s look
  CHECK(second.claim == StagedImages::Claim::granted);
  CHECK(second.heard.size() == 1);  // told once
  CHECK(staged.claimed_bytes() == 700'000);
}

TEST_CASE("StagedImages: a claim that does not fit now waits until a job lets go", "[unit][staging]") {
  test_support::TempDir dir("otagw-staging");
  asio::io_context io;
  StagedImages staged(io.get_executor(), dir.path() / "cache", 1 << 20);
  Spawned others;
  test_support::run_with_timeout(io, staging_waits(&io, &staged, &others), 20s);
  others.rethrow();
}

asio::awaitable<void> staging_raised_or_stopped(asio::io_context* io_of_test, StagedImages* staged_of_test,
                                                Spawned* others_of_test) {
  asio::io_context& io = *io_of_test;
  StagedImages& staged = *staged_of_test;
  Spawned& others = *others_of_test;
  ClaimResult first, raised, stopped;
  const std::vector<JobFile> files_first{file("aa", 700'000)};
  co_await claim_room(&staged, files_first, &first);
  others.spawn(io, claim_room(&staged, {file("bb", 700'000)}, &raised));
  co_await settle();
  CHECK_FALSE(raised.claim);
  staged.set_max_bytes(2 << 20);  // a reload
  while (!raised.claim) co_await settle();
  CHECK(raised.claim == StagedImages::Claim::granted);
  others.spawn(io, claim_room(&staged, {file("cc", 1 << 20)}, &stopped));
  co_await settle();
  CHECK_FALSE(stopped.claim);
  staged.stop();
  while (!stopped.claim) co_await settle();
  CHECK(stopped.claim == StagedImages::Claim::stopped);
  CHECK(staged.claimed_bytes() == 1'400'000);
}

TEST_CASE("StagedImages: a raised limit or stop() ends a waiting claim", "[unit][staging]") {
  test_support::TempDir dir("otagw-staging");
  asio::io_context io;
  StagedImages staged(io.get_executor(), dir.path() / "cache", 1 << 20);
  Spawned others;
  test_support::run_with_timeout(io, staging_raised_or_stopped(&io, &staged, &others), 20s);
  others.rethrow();
}

}  // namespace
}  // namespace otagw::subdev
