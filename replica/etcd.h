// A small synchronous client of etcd's v3 API (KV, Lease, Watch) over gRPC,
// with etcd's stubs generated from the .proto files Debian ships. Only what the
// replicated log needs (replica_log.h): reads, fenced writes in one
// transaction, leases. Errors: UNAVAILABLE when no endpoint answers in
// time, otherwise etcd's own code and message, prefixed with the call.
#ifndef KG_REPLICA_ETCD_H_
#define KG_REPLICA_ETCD_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace kg::replica {

class Etcd {
 public:
  // A key as etcd holds it.
  struct Kv {
    std::string key;
    std::string value;
    int64_t create_revision = 0;  // 0: the key does not exist
    int64_t mod_revision = 0;
    int64_t lease = 0;
  };
  // A condition of a transaction: key `key` was created at revision
  // `create_revision` (0: does not exist).
  struct Created {
    std::string key;
    int64_t create_revision = 0;
  };

  // `endpoints` are "host:port" of the cluster's members; calls go to the
  // first that answers, and fail over to the others. Each call waits at
  // most `timeout`.
  static absl::StatusOr<std::unique_ptr<Etcd>> Connect(
      const std::vector<std::string>& endpoints, absl::Duration timeout);
  ~Etcd();
  Etcd(const Etcd&) = delete;
  Etcd& operator=(const Etcd&) = delete;

  absl::StatusOr<std::optional<Kv>> Get(absl::string_view key);
  // Keys in [from, to) in key order, at most `limit` (0: all).
  absl::StatusOr<std::vector<Kv>> Range(absl::string_view from,
                                        absl::string_view to, int64_t limit);
  // The highest key in [from, to), if any.
  absl::StatusOr<std::optional<Kv>> Last(absl::string_view from,
                                         absl::string_view to);
  absl::Status Put(absl::string_view key, absl::string_view value,
                   int64_t lease = 0);
  // Puts every (key, value) of `puts` in one transaction if every condition
  // holds; false (nothing written) when one does not.
  absl::StatusOr<bool> PutIf(
      const std::vector<Created>& conditions,
      const std::vector<std::pair<std::string, std::string>>& puts,
      int64_t lease = 0);
  // Deletes [from, to); `to` empty: only `from`.
  absl::Status Delete(absl::string_view from, absl::string_view to = "");

  // A lease of `ttl` (whole seconds, at least 1); its id.
  absl::StatusOr<int64_t> GrantLease(absl::Duration ttl);
  // Refreshes the lease; NOT_FOUND when it has expired or was revoked.
  // Returns the time it has left.
  absl::StatusOr<absl::Duration> KeepAlive(int64_t lease);
  absl::Status RevokeLease(int64_t lease);

  // Tells `changed` the key of each change to the keys in each of
  // `ranges` ([from, to); to empty: only from) from now on, on a thread of
  // its own, until destroyed. A watch that breaks (the member in use went
  // away) is opened again; since changes may have been missed meanwhile,
  // `changed("")` is told each time it is (re)opened. Never told again
  // once the destructor returns.
  class Watch {
   public:
    virtual ~Watch() = default;
  };
  std::unique_ptr<Watch> WatchRanges(
      std::vector<std::pair<std::string, std::string>> ranges,
      std::function<void(const std::string& key)> changed);

 private:
  struct Stubs;
  Etcd(std::unique_ptr<Stubs> stubs, absl::Duration timeout);
  std::unique_ptr<Stubs> stubs_;
  const absl::Duration timeout_;
};

// The key just after every key that starts with `prefix`, for Range.
std::string PrefixEnd(absl::string_view prefix);

}  // namespace kg::replica

#endif  // KG_REPLICA_ETCD_H_
