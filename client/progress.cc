#include "client/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/format.h"

namespace kg::client {

namespace {

std::string Clock(int64_t seconds) {
  if (seconds >= 3600) {
    return absl::StrFormat("%d:%02d:%02d", seconds / 3600, (seconds / 60) % 60,
                           seconds % 60);
  }
  return absl::StrFormat("%d:%02d", seconds / 60, seconds % 60);
}

int StderrWidth() {
  struct winsize ws {};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    return ws.ws_col;
  }
  return 80;
}

}  // namespace

Progress::Progress(bool enabled, uint64_t total_bytes, absl::string_view unit)
    : enabled_(enabled),
      total_(total_bytes),
      unit_(unit),
      start_(absl::Now()),
      last_draw_(absl::InfinitePast()) {}

Progress::~Progress() { Clear(); }

std::string Progress::Line(uint64_t bytes, uint64_t total_bytes,
                           uint64_t records, absl::Duration elapsed, int width,
                           absl::string_view unit) {
  const double seconds = std::max(absl::ToDoubleSeconds(elapsed), 1e-3);
  const uint64_t rate = static_cast<uint64_t>(records / seconds);
  std::string tail;
  if (total_bytes > 0) {
    const double fraction =
        std::min(1.0, static_cast<double>(bytes) / total_bytes);
    std::string eta = "--:--";
    if (bytes > 0) {
      const double left = seconds *
                          (total_bytes - std::min(bytes, total_bytes)) /
                          static_cast<double>(bytes);
      eta = Clock(static_cast<int64_t>(left + 0.5));
    }
    tail = absl::StrFormat(" %3d%%  %s/%s  %s %s  %s/s  ETA %s",
                           static_cast<int>(fraction * 100), FormatBytes(bytes),
                           FormatBytes(total_bytes), Thousands(records), unit,
                           Thousands(rate), eta);
    // A bar of fixed width, when the line has room for it.
    constexpr int bar = 20;
    if (width - static_cast<int>(tail.size()) - 2 >= bar) {
      const int filled = static_cast<int>(fraction * bar);
      return absl::StrCat("[", std::string(filled, '#'),
                          std::string(bar - filled, '.'), "]", tail);
    }
    return tail.substr(1);
  }
  return absl::StrFormat("%s  %s %s  %s/s  %s", FormatBytes(bytes),
                         Thousands(records), unit, Thousands(rate),
                         Clock(static_cast<int64_t>(seconds)));
}

void Progress::Update(uint64_t bytes, uint64_t records) {
  if (!enabled_) return;
  const absl::Time now = absl::Now();
  // Short imports draw nothing; then ten times a second.
  if (now - start_ < absl::Milliseconds(300) ||
      now - last_draw_ < absl::Milliseconds(100)) {
    return;
  }
  last_draw_ = now;
  const int width = StderrWidth();
  std::string line =
      Line(bytes, total_, records, now - start_, width - 1, unit_);
  if (static_cast<int>(line.size()) >= width) line.resize(width - 1);
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::Clear() {
  if (!enabled_ || !drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace kg::client
