// The replicated log of one replica set, kept in etcd (docs/replicas.md):
// the writer's election and the ordered, fenced log of write batches.
//
// Keys, under "/kg/<cluster>/":
//   writer             the writer's member id and address, held by its
//                      lease; its create revision is the writer's term
//   log/<position>     one entry (position: 20 decimal digits, from 1)
//   applied/<member>   "<position> <address>": the last position that
//                      member applied, and where clients reach it (its
//                      lease: a member that is gone drops out)
//   staged/<name>      an entry by reference the writer is about to log,
//                      whose payload file is `name` (the writer's lease)
//   held/<name>/<member>
//                      "<revision>": that member holds staged payload
//                      `name` of the staging created at that revision
//                      (the staged key's lease: both go with the writer)
//
// An entry is appended at a position only in a transaction that also
// checks that the writer key still has the appender's term and that the
// position is free: a writer that lost its lease (and so its key) can
// append nothing, even before it notices.
#ifndef KG_REPLICA_REPLICA_LOG_H_
#define KG_REPLICA_REPLICA_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "replica/etcd.h"

namespace kg::replica {

// etcd refuses a request above 1.5 MiB by default; an entry and its key
// stay well below.
inline constexpr size_t kMaxEntryBytes = 1 << 20;

class ReplicaLog {
 public:
  // `cluster`: letters, digits, '-', '_' (INVALID_ARGUMENT otherwise).
  static absl::StatusOr<ReplicaLog> Open(Etcd* etcd, absl::string_view cluster);

  struct Writer {
    std::string member;
    std::string address;
    int64_t term = 0;   // the writer key's create revision
    int64_t lease = 0;  // the lease holding it: one process's, not a name's
    friend bool operator==(const Writer&, const Writer&) = default;
  };
  // Becomes the writer, held by `lease`, unless there is one: the writer
  // either way (compare its member with `member`).
  absl::StatusOr<Writer> Campaign(absl::string_view member,
                                  absl::string_view address, int64_t lease);
  // The writer, if any.
  absl::StatusOr<std::optional<Writer>> CurrentWriter();

  // Appends `entry` at `position` as the writer of `term`.
  //   FAILED_PRECONDITION: `term` is no longer the writer's (the message
  //     names the writer now, if any).
  //   ALREADY_EXISTS: the position is taken.
  //   INVALID_ARGUMENT: the entry is above kMaxEntryBytes, or position 0.
  absl::Status Append(int64_t term, uint64_t position, absl::string_view entry);
  // Up to `limit` entries from `from` on, in order.
  absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> Read(
      uint64_t from, int64_t limit);
  // The position after the last entry (1 for an empty log).
  absl::StatusOr<uint64_t> NextPosition();
  // The first entry's position: 1, or after the entries trimmed; the next
  // position for an empty log.
  absl::StatusOr<uint64_t> FirstPosition();
  // Deletes the entries up to `through`, which must be below the last
  // (the log keeps its end). INVALID_ARGUMENT otherwise.
  absl::Status Trim(uint64_t through);

  // Each live member's applied position, by member name.
  struct Member {
    std::string member;
    std::string address;
    uint64_t applied = 0;
    friend bool operator==(const Member&, const Member&) = default;
  };
  absl::Status SetApplied(absl::string_view member, absl::string_view address,
                          uint64_t position, int64_t lease);
  absl::StatusOr<std::vector<Member>> Applied();

  // Entries by reference staged before they are logged: the writer logs
  // one only once another replica holds its payload (docs/replicas.md,
  // "Entries by reference").
  struct Staged {
    std::string name;      // the payload file's
    std::string entry;     // the encoded entry the writer will log
    int64_t lease = 0;     // the writer's, holding the key
    int64_t revision = 0;  // the key's create revision: this staging
  };
  // Stages `entry` anew (an earlier staging of `name` is replaced); the
  // staging's revision. `name`: a file name (no '/'); INVALID_ARGUMENT
  // otherwise.
  absl::StatusOr<int64_t> Stage(absl::string_view name, absl::string_view entry,
                                int64_t lease);
  absl::StatusOr<std::vector<Staged>> StagedEntries();
  // Tells that `member` holds the payload of `staged`, under the staged
  // key's lease, while that staging lasts: FAILED_PRECONDITION when it was
  // unstaged (or staged anew) meanwhile.
  absl::Status SetHeld(const Staged& staged, absl::string_view member);
  // The members that hold staged payload `name` for the staging of
  // `revision` (not for an earlier one under the same name).
  absl::StatusOr<std::vector<std::string>> Holders(absl::string_view name,
                                                   int64_t revision);
  // Deletes the staged key of `name` and its holders.
  absl::Status Unstage(absl::string_view name);

  // Tells `changed` of each change to the log or to the staged entries
  // (false) or to the writer key (true), from now on, until destroyed;
  // both when the watch is (re)opened (Etcd::WatchRanges).
  std::unique_ptr<Etcd::Watch> Watch(std::function<void(bool writer)> changed);

  const std::string& prefix() const { return prefix_; }

 private:
  ReplicaLog(Etcd* etcd, std::string prefix)
      : etcd_(etcd), prefix_(std::move(prefix)) {}
  std::string WriterKey() const { return prefix_ + "writer"; }
  std::string LogKey(uint64_t position) const;
  std::string LogPrefix() const { return prefix_ + "log/"; }
  std::string AppliedPrefix() const { return prefix_ + "applied/"; }
  std::string StagedPrefix() const { return prefix_ + "staged/"; }
  std::string HeldPrefix(absl::string_view name) const {
    return absl::StrCat(prefix_, "held/", name, "/");
  }

  Etcd* etcd_;
  std::string prefix_;
};

}  // namespace kg::replica

#endif  // KG_REPLICA_REPLICA_LOG_H_
