#include "server/log.h"

#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace kg::server {

namespace {
std::atomic<int> g_verbosity{static_cast<int>(LogLevel::kInfo)};
}  // namespace

void SetLogVerbosity(int verbosity) { g_verbosity.store(verbosity); }

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) <= g_verbosity.load();
}

LogLine::~LogLine() {
  static constexpr const char* kNames[] = {"E", "I", "D"};
  const std::string line = absl::StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                       absl::UTCTimeZone()),
      " ", kNames[static_cast<int>(level_)], " ", out_.str(), "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace kg::server
