#include "server/descriptors.h"

#include <dirent.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>

namespace kg::server {

int64_t RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  // RLIM_INFINITY is not a number of descriptors; the kernel's own bound
  // (fs.nr_open) is 1M by default.
  if (limit.rlim_cur == RLIM_INFINITY) return int64_t{1} << 20;
  return static_cast<int64_t>(limit.rlim_cur);
}

DescriptorPlan PlanDescriptors(int64_t limit) {
  DescriptorPlan plan;
  plan.limit = limit;
  plan.reserved = std::min(limit, std::max<int64_t>(64, limit / 4));
  plan.connection_ceiling = limit - plan.reserved;
  plan.store_max_open_files = static_cast<int>(
      std::clamp<int64_t>(plan.reserved / 2, 16, int64_t{1} << 30));
  return plan;
}

int64_t FreeDescriptors() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int64_t open = -1;  // opendir's own descriptor is listed
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++open;
  }
  closedir(dir);
  if (limit.rlim_cur == RLIM_INFINITY) return (int64_t{1} << 20) - open;
  return static_cast<int64_t>(limit.rlim_cur) - open;
}

}  // namespace kg::server
