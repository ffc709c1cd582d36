// Minimal leveled logging to stderr for kg-server: one line per event, with
// a UTC timestamp. Thread-safe.
//
//   KG_LOG(kInfo) << "listening on " << address;
#ifndef KG_SERVER_LOG_H_
#define KG_SERVER_LOG_H_

#include <sstream>

namespace kg::server {

enum class LogLevel : int { kError = 0, kInfo = 1, kDebug = 2 };

// Messages above this level are dropped. Default kInfo.
void SetLogVerbosity(int verbosity);
bool LogEnabled(LogLevel level);

// Collects one line and writes it on destruction.
class LogLine {
 public:
  explicit LogLine(LogLevel level) : level_(level) {}
  ~LogLine();
  template <typename T>
  LogLine& operator<<(const T& v) {
    out_ << v;
    return *this;
  }

 private:
  LogLevel level_;
  std::ostringstream out_;
};

}  // namespace kg::server

#define KG_LOG(level)                                             \
  if (!::kg::server::LogEnabled(::kg::server::LogLevel::level)) { \
  } else                                                          \
    ::kg::server::LogLine(::kg::server::LogLevel::level)

#endif  // KG_SERVER_LOG_H_
