// A store that is one replica of a replica set (docs/replicas.md): reads
// go to the local store; a write on the writer is appended to the log in
// etcd, then applied locally with the writer's stamp; on a follower it is
// UNAVAILABLE, naming the writer. A thread tails the log and applies each
// entry once, in order, and campaigns when there is no writer; another
// keeps the member's lease alive.
#ifndef KG_REPLICA_REPLICATED_STORE_H_
#define KG_REPLICA_REPLICATED_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "replica/entry.h"
#include "replica/etcd.h"
#include "replica/replica_log.h"
#include "storage/store.h"

namespace kg::replica {

// UNAVAILABLE statuses of the replica set (a write sent to a follower, a
// write that could not be logged) carry this payload: the writer's address
// when one is known, else empty. Their messages are meant for clients.
inline constexpr char kWriterPayload[] = "type.kg.invalid/replica.writer";

// Whether a store's refusal of an entry comes from the data, so that every
// replica applying the same entry to the same state refuses it alike and
// skips it: INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS,
// FAILED_PRECONDITION or OUT_OF_RANGE, unless the storage engine failed
// (storage::FromTheEngine). Anything else is not applied, and tried again.
bool RefusedByTheData(const absl::Status& status);

struct ReplicaOptions {
  std::vector<std::string> etcd_endpoints;  // "host:port" each
  std::string cluster = "kg";
  std::string member;   // unique in the set
  std::string address;  // where clients reach this server
  // A writer that cannot refresh its lease for this long is replaced.
  absl::Duration lease_ttl = absl::Seconds(3);
  absl::Duration etcd_timeout = absl::Seconds(2);
  // A watch on etcd wakes a replica at once for a new entry (a follower)
  // or a change of writer; without one it looks at etcd this often
  // regardless. Also the least time between publications of its applied
  // position.
  absl::Duration poll_interval = absl::Milliseconds(100);
  // Told each change of role ("elected writer", "following ..."); may be
  // empty.
  std::function<void(const std::string&)> log;
  // The writer trims the log every `trim_interval`: it deletes the entries
  // more than `log_retention` below the lowest position every live replica
  // applied. A replica that comes back after more than that many entries,
  // or a new one, starts from a copy of a live replica's store
  // (PeerToCopy).
  uint64_t log_retention = 10'000;
  absl::Duration trim_interval = absl::Seconds(10);
  // Told, for each entry a follower applies, how long after the writer
  // stamped it (the replication lag, clocks permitting); may be empty.
  std::function<void(absl::Duration)> applied_after;

  // Entries too large for etcd (bulk loads, writes above kMaxEntryBytes)
  // are logged by reference: their payload is a file in this directory on
  // the writer, which every replica fetches into its own. Empty: such
  // writes are refused (FAILED_PRECONDITION, INVALID_ARGUMENT).
  std::string payload_dir;
  // Fetches payload file `name` from the replica at `address` into `path`
  // (which must not exist); may be empty when payload_dir is.
  std::function<absl::Status(const std::string& address,
                             const std::string& name, const std::string& path)>
      fetch_payload;
  // A bulk load that gives nothing for this long while a write waits is
  // abandoned (ABORTED, nothing written), as a store's is.
  absl::Duration bulk_load_idle_timeout = absl::Seconds(60);
  // The writer logs an entry by reference only once another live replica
  // holds its payload; when none does within this long, the write is
  // refused (UNAVAILABLE, nothing written). A writer alone does not wait.
  absl::Duration payload_copy_timeout = absl::Seconds(60);
};

struct ReplicaStatus {
  enum class Role { kFollower, kWriter };
  Role role = Role::kFollower;
  std::string writer_member;  // "" when there is none known
  std::string writer_address;
  int64_t term = 0;             // the writer's, when known
  uint64_t applied = 0;         // the last log position applied here
  uint64_t log_end = 0;         // the last position in the log, when last read
  uint64_t entries_failed = 0;  // entries refused by the data, skipped
  uint64_t elections_won = 0;
  uint64_t writer_changes = 0;  // terms this replica saw begin
};

// The replica set as etcd has it now (kgctl cluster status).
struct ClusterView {
  std::string cluster;
  std::string member;  // the replica answering
  std::optional<ReplicaLog::Writer> writer;
  uint64_t log_start = 0;  // the first position the log still holds
  uint64_t log_end = 0;    // the last position in the log
  std::vector<ReplicaLog::Member> members;  // live ones, by name
};

// A live peer whose store a replica copies when the log no longer reaches
// its own (PeerToCopy).
struct PeerCheckpoint {
  std::string member;
  std::string address;
  uint64_t applied = 0;    // the position the peer published
  uint64_t log_start = 0;  // the first position the log holds
};

// Whether a replica whose store applied `position` (and holds data when
// `has_data`) must start from a copy of a peer's store, and whose: when
// the log was trimmed past it (the log starts after position + 1). nullopt
// when the log reaches the store, or the store is one Start refuses anyway
// (data of its own at position 0). Prefers a follower to the writer, then
// the one that applied the most. FAILED_PRECONDITION, naming `data_dir`,
// when a copy is needed and no live member has an address; UNAVAILABLE
// when etcd cannot be reached.
absl::StatusOr<std::optional<PeerCheckpoint>> PeerToCopy(
    const ReplicaOptions& options, uint64_t position, bool has_data);

class ReplicatedBulkLoader;

class ReplicatedStore : public storage::Store {
 public:
  // Joins the replica set: connects to etcd and takes a lease. Run starts
  // tailing the log from the store's log position and campaigning.
  static absl::StatusOr<std::unique_ptr<ReplicatedStore>> Start(
      std::unique_ptr<storage::Store> store, ReplicaOptions options);
  // `address`: where clients reach this server, when options.address was
  // left empty (a port the server learns once it listens). Once.
  void Run(std::string address = "");
  // Stops the threads and gives the lease back (a writer's successor need
  // not wait for it to expire): the replica applies nothing more, and
  // takes no writes. Idempotent; the destructor stops too.
  void Stop();
  ~ReplicatedStore() override;

  // As of the last change: never waits on a write or an etcd call.
  ReplicaStatus status();
  absl::StatusOr<ClusterView> Cluster();
  // Where this replica keeps the log's payload files ("" for none).
  const std::string& payload_dir() const { return options_.payload_dir; }
  // Without waiting on a write in progress (for every reply's metadata).
  uint64_t applied_position() const { return applied_now_.load(); }
  // The writer's address as this follower knows it; "" on the writer, or
  // when none is known.
  std::string writer_address_for_clients();
  // Waits until this replica applied at least `position`, up to
  // `deadline`: DEADLINE_EXCEEDED naming both positions otherwise;
  // CANCELLED once `cancelled` (asked every 50 ms; may be empty) says so;
  // UNAVAILABLE when the replica stops meanwhile.
  absl::Status AwaitApplied(uint64_t position, absl::Time deadline,
                            const std::function<bool()>& cancelled = nullptr);

  // Writes, through the log.
  absl::StatusOr<storage::WriteResult> Write(
      const storage::WriteBatch& batch) override;
  using Store::Retract;
  absl::StatusOr<storage::RetractResult> Retract(
      absl::string_view statement_id, absl::string_view document_id,
      const storage::ReplicaStamp& replica) override;
  // BeginBulkLoad with one part.
  absl::StatusOr<storage::WriteResult> BulkLoad(
      const storage::WriteBatch& batch) override;
  using Store::BeginBulkLoad;
  // On the writer: the parts are applied as they come, and written to a
  // payload file; the commit logs the load by reference and ingests it.
  // Other writes wait meanwhile. `at` must be nullopt (the set stamps).
  absl::StatusOr<std::unique_ptr<storage::BulkLoader>> BeginBulkLoad(
      std::optional<absl::Time> at) override;
  absl::StatusOr<storage::WriteResult> LoadFresh(
      storage::FreshLoad load) override;
  absl::Status AbandonFreshLoad() override {
    return store_->AbandonFreshLoad();
  }

  // The rest is the local store's.
  uint64_t log_position() override { return store_->log_position(); }
  std::optional<absl::Time> log_time() override { return store_->log_time(); }
  std::unique_ptr<storage::Reader> NewReader() override {
    return store_->NewReader();
  }
  void RefreshCompactAdjacency() override { store_->RefreshCompactAdjacency(); }
  absl::Status Flush() override { return store_->Flush(); }
  absl::Status Checkpoint(absl::string_view dir) override {
    return store_->Checkpoint(dir);
  }
  absl::StatusOr<std::unique_ptr<storage::ScratchCheckpoint>>
  CheckpointInDataDir() override {
    return store_->CheckpointInDataDir();
  }
  using Store::Verify;
  absl::StatusOr<storage::VerifyReport> Verify(
      const std::function<bool()>& should_stop) override {
    return store_->Verify(should_stop);
  }
  absl::Status Health() override { return store_->Health(); }
  storage::EngineFigures Engine() override { return store_->Engine(); }
  absl::Status Resume() override { return store_->Resume(); }
  const std::string& base_iri() const override { return store_->base_iri(); }
  std::optional<uint32_t> upgraded_from_format() const override {
    return store_->upgraded_from_format();
  }
  bool rolled_back_fresh_load() const override {
    return store_->rolled_back_fresh_load();
  }

 private:
  ReplicatedStore(std::unique_ptr<storage::Store> store,
                  std::unique_ptr<Etcd> etcd, ReplicaLog log,
                  ReplicaOptions options, int64_t lease);
  // Applies the entries after the applied position, as many as there are.
  absl::Status CatchUp() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Applies one decoded entry at `position`; a refusal by the data is
  // counted and skipped (every replica refuses it alike).
  absl::Status Apply(uint64_t position, const Entry& entry,
                     storage::WriteResult* write_result,
                     storage::RetractResult* retract_result,
                     absl::Status* refused)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Logs and applies an entry as the writer.
  absl::Status Append(Entry entry, storage::WriteResult* write_result,
                      storage::RetractResult* retract_result);
  // Logs `bytes` at the next position as the writer; on a refusal or an
  // unknown outcome, steps down and says so.
  absl::Status LogEntry(const std::string& bytes, uint64_t position)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // The next stamp: after every stamp before, never before now.
  absl::Time NextStamp() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Waits until no bulk load is open, abandoning one idle for
  // options_.bulk_load_idle_timeout.
  void AwaitNoBulkLoad() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Writes `bytes` (payload records) as payload file `name` of
  // payload_dir, synced; its reference.
  absl::StatusOr<PayloadRef> WritePayload(const std::string& name,
                                          const std::string& bytes);
  // The writer's, before it logs entry `entry` by reference to payload
  // `name`: stages it and waits until another live replica holds the
  // payload (none needed when there is no other). OK as well when it
  // stopped waiting because `abandoned` says so, this replica is no longer
  // the writer, or it stops: the caller checks those. UNAVAILABLE when no
  // replica copied it within options_.payload_copy_timeout.
  absl::Status AwaitPayloadCopy(const std::string& name,
                                const std::string& entry,
                                const std::function<bool()>& abandoned);
  // A follower's tail: fetches the payloads the writer staged and says it
  // holds them; a failed one again after a second.
  void CopyStagedPayloads();
  // Unstages payload `name` and deletes its file: its entry was not logged.
  void DiscardPayload(const std::string& name);
  // The payload of `entry` in payload_dir, fetched from a peer unless it is
  // there already and whole. UNAVAILABLE when no peer gave it.
  absl::StatusOr<std::string> LocalPayload(const PayloadRef& payload);
  // Applies an entry logged by reference.
  absl::Status ApplyByReference(uint64_t position, const Entry& entry,
                                storage::WriteResult* write_result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Deletes the payload files of entries the log no longer holds.
  void RemoveTrimmedPayloads();
  absl::Status NotTheWriter() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void StepDown(const absl::Status& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Records the writer of a term (none: the writer is unknown).
  void SetWriter(const std::optional<ReplicaLog::Writer>& writer)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void SetApplied(uint64_t position) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Copies status_ for status().
  void PublishStatus() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Steps down for a reason of this replica's own (it cannot apply): gives
  // the lease back too, so that the writer key goes and another replica
  // can be elected.
  void Resign(const absl::Status& why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void Log(const std::string& line);
  void TailLoop();
  // The writer's: deletes what every live replica applied, but the last
  // log_retention entries of it.
  void TrimLog();
  void LeaseLoop();
  bool Stopping();

  const std::unique_ptr<storage::Store> store_;
  const std::unique_ptr<Etcd> etcd_;
  ReplicaLog log_;
  ReplicaOptions options_;  // address set by Run

  // Held while an entry is logged or applied: entries apply one at a time.
  absl::Mutex write_mu_;
  // Read without write_mu_, so that renewing it never waits behind an
  // append or a catch-up.
  std::atomic<int64_t> lease_;
  ReplicaStatus status_ ABSL_GUARDED_BY(write_mu_);
  absl::Time last_at_ ABSL_GUARDED_BY(write_mu_) = absl::InfinitePast();
  // The open bulk load, which other writes wait for.
  ReplicatedBulkLoader* bulk_ ABSL_GUARDED_BY(write_mu_) = nullptr;
  friend class ReplicatedBulkLoader;
  // The tail thread's: what it last published of the applied position.
  uint64_t published_applied_ = 0;
  int64_t published_lease_ = 0;
  absl::Time published_at_ = absl::InfinitePast();
  absl::Time trimmed_at_ = absl::InfinitePast();  // the tail thread's
  // Stagings ("<name>@<revision>") the tail copied (and said so), or
  // failed to copy (logged once; tried again from the time given), while
  // they stay staged.
  absl::flat_hash_set<std::string> copied_staged_;
  absl::flat_hash_map<std::string, absl::Time> failed_staged_;
  int64_t max_term_seen_ ABSL_GUARDED_BY(write_mu_) = 0;
  // status_.applied, set with applied_mu_ held: readers waiting for a
  // position wait on applied_mu_, never behind a write or an etcd call.
  absl::Mutex applied_mu_;
  std::atomic<uint64_t> applied_now_{0};
  bool applied_stopped_ ABSL_GUARDED_BY(applied_mu_) = false;
  absl::Mutex status_copy_mu_;
  ReplicaStatus status_copy_ ABSL_GUARDED_BY(status_copy_mu_);
  absl::Mutex writer_address_mu_;
  // The writer's address for clients sent to a follower.
  std::string writer_address_ ABSL_GUARDED_BY(writer_address_mu_);

  absl::Mutex stop_mu_;
  bool stop_ ABSL_GUARDED_BY(stop_mu_) = false;
  // What the watch saw since the tail last looked.
  bool log_changed_ ABSL_GUARDED_BY(stop_mu_) = false;
  bool writer_changed_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::atomic<bool> is_writer_{false};  // status_.role, for the watch
  std::unique_ptr<Etcd::Watch> watch_;
  std::thread tail_thread_;
  std::thread lease_thread_;
};

}  // namespace kg::replica

#endif  // KG_REPLICA_REPLICATED_STORE_H_
