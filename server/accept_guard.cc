// The accept guard: kg-server's own accept4, which every accept of the
// process (gRPC's listener included) calls instead of the C library's.
//
// Why: gRPC 1.51's listener gives up for good on the first accept that
// fails with EMFILE, and accepts connections without bound, so a flood of
// idle connections can fill the descriptor table, stop the listener, and
// starve the store of the descriptors it needs for its logs and tables
// (after which RocksDB turns read-only). The guard
//   - closes at once a connection accepted on a descriptor at or above the
//     ceiling (descriptors.h), so the store keeps its reserve, and goes on
//     accepting: the listener is edge-triggered, so every connection
//     waiting in the queue must be taken now;
//   - on EMFILE/ENFILE, frees a spare descriptor, takes the waiting
//     connection with it and closes it, so the queue drains and the
//     listener never sees the error.
// A refused client sees its connection reset, and retries with backoff.
//
// The definition below takes precedence over the C library's for every
// shared library of the process (the executable is searched first); the
// linker exports it (server/CMakeLists.txt). Linked into kg-server only.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "server/descriptors.h"

namespace kg::server {
namespace {

std::atomic<int64_t> g_ceiling{0};
std::atomic<uint64_t> g_refused{0};
// A descriptor held for the moment the table is full.
std::atomic<int> g_spare{-1};

int RawAccept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  return static_cast<int>(syscall(SYS_accept4, fd, addr, len, flags));
}

int OpenSpare() { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

void SetConnectionDescriptorCeiling(int64_t ceiling) {
  g_ceiling.store(ceiling);
  int expected = -1;
  const int spare = OpenSpare();
  if (spare >= 0 && !g_spare.compare_exchange_strong(expected, spare)) {
    close(spare);
  }
}

uint64_t ConnectionsRefused() { return g_refused.load(); }

}  // namespace kg::server

extern "C" int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  using kg::server::g_ceiling;
  using kg::server::g_refused;
  using kg::server::g_spare;
  for (;;) {
    const int conn = kg::server::RawAccept4(fd, addr, len, flags);
    if (conn >= 0) {
      const int64_t ceiling = g_ceiling.load(std::memory_order_relaxed);
      if (ceiling <= 0 || conn < ceiling) return conn;
      close(conn);
      g_refused.fetch_add(1, std::memory_order_relaxed);
      continue;  // drain the queue: no new edge will come for it
    }
    if (errno != EMFILE && errno != ENFILE) return -1;
    const int spare = g_spare.exchange(-1);
    if (spare < 0) {
      errno = EAGAIN;  // the next connection wakes the listener again
      return -1;
    }
    close(spare);
    const int dropped = kg::server::RawAccept4(fd, nullptr, nullptr, 0);
    if (dropped >= 0) {
      close(dropped);
      g_refused.fetch_add(1, std::memory_order_relaxed);
    }
    const int again = kg::server::OpenSpare();
    if (again >= 0) {
      int expected = -1;
      if (!g_spare.compare_exchange_strong(expected, again)) close(again);
    }
    if (dropped < 0) {
      errno = EAGAIN;
      return -1;
    }
  }
}
