#include "replica/replicated_store.h"

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace kg::replica {
namespace {

// Entries read from etcd at a time while catching up.
constexpr int64_t kReadBatch = 256;

// Refusals that come from the data: every replica applying the same entry
// to the same state refuses it alike.
// An UNAVAILABLE the client is told as it is (kWriterPayload).
absl::Status Redirect(absl::string_view message, absl::string_view writer) {
  absl::Status s = absl::UnavailableError(message);
  s.SetPayload(kWriterPayload, absl::Cord(writer));
  return s;
}

bool RefusedByTheData(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReplicatedStore>> ReplicatedStore::Start(
    std::unique_ptr<storage::Store> store, ReplicaOptions options) {
  if (options.member.empty() ||
      options.member.find_first_of("\n/") != std::string::npos) {
    return absl::InvalidArgumentError(
        "member: must be non-empty, without '/' or a line break");
  }
  if (options.lease_ttl < absl::Seconds(1)) {
    return absl::InvalidArgumentError("lease_ttl: must be at least 1 s");
  }
  absl::StatusOr<std::unique_ptr<Etcd>> etcd =
      Etcd::Connect(options.etcd_endpoints, options.etcd_timeout);
  if (!etcd.ok()) return etcd.status();
  absl::StatusOr<ReplicaLog> log =
      ReplicaLog::Open(etcd->get(), options.cluster);
  if (!log.ok()) return log.status();
  absl::StatusOr<int64_t> lease = (*etcd)->GrantLease(options.lease_ttl);
  if (!lease.ok()) return lease.status();
  return std::unique_ptr<ReplicatedStore>(
      new ReplicatedStore(std::move(store), *std::move(etcd), *std::move(log),
                          std::move(options), *lease));
}

void ReplicatedStore::Run(std::string address) {
  if (!address.empty()) options_.address = std::move(address);
  if (tail_thread_.joinable()) return;
  tail_thread_ = std::thread([this] { TailLoop(); });
  lease_thread_ = std::thread([this] { LeaseLoop(); });
}

void ReplicatedStore::Log(const std::string& line) {
  if (options_.log) options_.log(line);
}

ReplicatedStore::ReplicatedStore(std::unique_ptr<storage::Store> store,
                                 std::unique_ptr<Etcd> etcd, ReplicaLog log,
                                 ReplicaOptions options, int64_t lease)
    : store_(std::move(store)),
      etcd_(std::move(etcd)),
      log_(std::move(log)),
      options_(std::move(options)),
      lease_(lease) {
  status_.applied = store_->log_position();
}

ReplicatedStore::~ReplicatedStore() {
  {
    absl::MutexLock lock(&stop_mu_);
    stop_ = true;
  }
  if (tail_thread_.joinable()) tail_thread_.join();
  if (lease_thread_.joinable()) lease_thread_.join();
  absl::MutexLock lock(&write_mu_);
  etcd_->RevokeLease(lease_).IgnoreError();  // it expires anyway
}

bool ReplicatedStore::Stopping() {
  absl::MutexLock lock(&stop_mu_);
  return stop_;
}

ReplicaStatus ReplicatedStore::status() {
  absl::MutexLock lock(&write_mu_);
  return status_;
}

absl::Status ReplicatedStore::AwaitApplied(uint64_t position,
                                           absl::Time deadline) {
  absl::MutexLock lock(&write_mu_);
  auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    return status_.applied >= position;
  };
  if (write_mu_.AwaitWithDeadline(absl::Condition(&reached), deadline)) {
    return absl::OkStatus();
  }
  return absl::DeadlineExceededError(
      absl::StrCat("min_log_position: this replica has applied ",
                   status_.applied, ", not yet ", position));
}

absl::Status ReplicatedStore::NotTheWriter() {
  return Redirect(
      absl::StrCat("this server is a follower in replica set '",
                   options_.cluster, "'; ",
                   status_.writer_member.empty()
                       ? std::string("no writer is elected yet, try again")
                       : absl::StrCat("the writer is ", status_.writer_member,
                                      " at ", status_.writer_address)),
      status_.writer_address);
}

void ReplicatedStore::StepDown(const absl::Status& why) {
  if (status_.role == ReplicaStatus::Role::kWriter) {
    Log(absl::StrCat("replica set '", options_.cluster, "': ", options_.member,
                     " is no longer the writer (term ", status_.term,
                     "): ", why.message()));
  }
  status_.role = ReplicaStatus::Role::kFollower;
  status_.writer_member.clear();
  status_.writer_address.clear();
  status_.term = 0;
}

absl::Status ReplicatedStore::Apply(uint64_t position, const Entry& entry,
                                    storage::WriteResult* write_result,
                                    storage::RetractResult* retract_result,
                                    absl::Status* refused) {
  if (position <= store_->log_position()) {  // applied before a restart
    status_.applied = std::max(status_.applied, position);
    return absl::OkStatus();
  }
  const storage::ReplicaStamp stamp{entry.at, position};
  absl::Status s;
  if (entry.kind == Entry::Kind::kWrite) {
    storage::WriteBatch batch = entry.batch;
    batch.replica = stamp;
    absl::StatusOr<storage::WriteResult> r = store_->Write(batch);
    s = r.status();
    if (r.ok() && write_result != nullptr) *write_result = *std::move(r);
  } else {
    absl::StatusOr<storage::RetractResult> r =
        store_->Retract(entry.statement_id, entry.document_id, stamp);
    s = r.status();
    if (r.ok() && retract_result != nullptr) *retract_result = *r;
  }
  if (!s.ok() && !RefusedByTheData(s)) return s;  // not applied: try again
  if (!s.ok()) {
    ++status_.entries_failed;
    if (refused != nullptr) *refused = s;
  }
  status_.applied = position;
  last_at_ = std::max(last_at_, entry.at);
  return absl::OkStatus();
}

absl::Status ReplicatedStore::CatchUp() {
  for (;;) {
    absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> entries =
        log_.Read(status_.applied + 1, kReadBatch);
    if (!entries.ok()) return entries.status();
    if (entries->empty()) return absl::OkStatus();
    for (const auto& [position, bytes] : *entries) {
      if (position != status_.applied + 1) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the log has no entry ", status_.applied + 1,
            " (trimmed): this replica must start from a checkpoint"));
      }
      absl::StatusOr<Entry> entry = DecodeEntry(bytes);
      if (!entry.ok()) return entry.status();
      absl::Status refused;
      absl::Status applied =
          Apply(position, *entry, nullptr, nullptr, &refused);
      if (!applied.ok()) return applied;
    }
  }
}

absl::Status ReplicatedStore::Append(Entry entry,
                                     storage::WriteResult* write_result,
                                     storage::RetractResult* retract_result) {
  absl::MutexLock lock(&write_mu_);
  if (status_.role != ReplicaStatus::Role::kWriter) return NotTheWriter();
  entry.at = std::max(absl::Now(), last_at_ + absl::Microseconds(1));
  if (entry.kind == Entry::Kind::kWrite && entry.batch.blank_scope.empty()) {
    // The batch's blank nodes are new: a scope drawn here, logged, so
    // every replica names them alike.
    std::random_device random;
    std::string scope(16, '\0');
    for (char& c : scope) c = static_cast<char>(random());
    entry.batch.blank_scope = std::move(scope);
  }
  const std::string bytes = EncodeEntry(entry);
  if (bytes.size() > kMaxEntryBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the write is ", bytes.size(),
                     " bytes as a log entry; a replicated "
                     "write holds at most ",
                     kMaxEntryBytes, ": split it"));
  }
  absl::StatusOr<Entry> decoded = DecodeEntry(bytes);
  if (!decoded.ok()) return decoded.status();
  const uint64_t position = status_.applied + 1;
  absl::Status logged = log_.Append(status_.term, position, bytes);
  if (logged.code() == absl::StatusCode::kFailedPrecondition ||
      logged.code() == absl::StatusCode::kAlreadyExists) {
    // Replaced (paused past the lease, cut off): etcd refused the append.
    StepDown(logged);
    absl::StatusOr<std::optional<ReplicaLog::Writer>> writer =
        log_.CurrentWriter();
    if (writer.ok() && writer->has_value() &&
        (*writer)->member != options_.member) {
      status_.writer_member = (*writer)->member;
      status_.writer_address = (*writer)->address;
      status_.term = (*writer)->term;
    }
    return NotTheWriter();
  }
  if (!logged.ok()) {
    return Redirect(absl::StrCat("the write was not logged (etcd: ",
                                 logged.message(), "); retry"),
                    status_.writer_address);
  }
  absl::Status refused;
  absl::Status applied =
      Apply(position, *decoded, write_result, retract_result, &refused);
  if (!applied.ok()) {
    // Logged but not applied here (I/O): the followers apply it; this
    // replica stops writing until its tail applies it.
    StepDown(applied);
    return Redirect(absl::StrCat("the write was logged at ", position,
                                 " but not applied here (", applied.message(),
                                 "); the replica set has it"),
                    "");
  }
  return refused;
}

absl::StatusOr<storage::WriteResult> ReplicatedStore::Write(
    const storage::WriteBatch& batch) {
  if (batch.replica.at.has_value() || batch.replica.log_position != 0) {
    return absl::InvalidArgumentError(
        "replica: the replica set stamps its writes; give no time or position");
  }
  Entry entry;
  entry.kind = Entry::Kind::kWrite;
  entry.batch = batch;
  storage::WriteResult result;
  absl::Status s = Append(std::move(entry), &result, nullptr);
  if (!s.ok()) return s;
  return result;
}

absl::StatusOr<storage::RetractResult> ReplicatedStore::Retract(
    absl::string_view statement_id, absl::string_view document_id,
    const storage::ReplicaStamp& replica) {
  if (replica.at.has_value() || replica.log_position != 0) {
    return absl::InvalidArgumentError(
        "replica: the replica set stamps its writes; give no time or position");
  }
  Entry entry;
  entry.kind = Entry::Kind::kRetract;
  entry.statement_id = std::string(statement_id);
  entry.document_id = std::string(document_id);
  storage::RetractResult result;
  absl::Status s = Append(std::move(entry), nullptr, &result);
  if (!s.ok()) return s;
  return result;
}

absl::StatusOr<storage::WriteResult> ReplicatedStore::BulkLoad(
    const storage::WriteBatch&) {
  return absl::FailedPreconditionError(
      "bulk loads are not replicated yet: load the store before it joins "
      "the replica set, or write in batches");
}

absl::StatusOr<std::unique_ptr<storage::BulkLoader>>
ReplicatedStore::BeginBulkLoad() {
  return absl::FailedPreconditionError(
      "bulk loads are not replicated yet: load the store before it joins "
      "the replica set, or write in batches");
}

absl::StatusOr<storage::WriteResult> ReplicatedStore::LoadFresh(
    storage::FreshLoad) {
  return absl::FailedPreconditionError(
      "fresh loads are not replicated: load the store before it joins the "
      "replica set");
}

void ReplicatedStore::TailLoop() {
  while (!Stopping()) {
    {
      absl::MutexLock lock(&write_mu_);
      if (status_.role == ReplicaStatus::Role::kWriter) {
        // Still the writer? A writer that lost its key learns it here at
        // the latest (its appends are refused in etcd regardless).
        absl::StatusOr<std::optional<ReplicaLog::Writer>> writer =
            log_.CurrentWriter();
        if (writer.ok() &&
            (!writer->has_value() || (*writer)->term != status_.term)) {
          StepDown(absl::FailedPreconditionError("lost the writer key"));
        }
      }
      if (status_.role == ReplicaStatus::Role::kFollower) {
        CatchUp().IgnoreError();  // etcd away, or an entry not applied yet
        absl::StatusOr<std::optional<ReplicaLog::Writer>> writer =
            log_.CurrentWriter();
        if (writer.ok() && !writer->has_value()) {
          absl::StatusOr<ReplicaLog::Writer> won =
              log_.Campaign(options_.member, options_.address, lease_);
          if (won.ok()) writer = std::optional<ReplicaLog::Writer>(*won);
        }
        if (writer.ok() && writer->has_value()) {
          if ((*writer)->term != status_.term &&
              (*writer)->member != options_.member) {
            Log(absl::StrCat("replica set '", options_.cluster,
                             "': ", options_.member, " follows ",
                             (*writer)->member, " at ", (*writer)->address,
                             " (term ", (*writer)->term, ")"));
          }
          status_.writer_member = (*writer)->member;
          status_.writer_address = (*writer)->address;
          status_.term = (*writer)->term;
          if ((*writer)->member == options_.member) {
            // Elected: apply what the writers before appended (none can
            // append any more), then take writes.
            if (CatchUp().ok()) {
              status_.role = ReplicaStatus::Role::kWriter;
              ++status_.elections_won;
              Log(absl::StrCat("replica set '", options_.cluster,
                               "': ", options_.member, " is the writer (term ",
                               status_.term, ", log position ", status_.applied,
                               ")"));
            }
          }
        }
      }
      if (status_.applied != published_applied_ &&
          log_.SetApplied(options_.member, status_.applied, lease_).ok()) {
        published_applied_ = status_.applied;
      }
    }
    absl::MutexLock lock(&stop_mu_);
    stop_mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.poll_interval);
  }
}

void ReplicatedStore::LeaseLoop() {
  absl::Time refreshed = absl::Now();
  while (!Stopping()) {
    int64_t lease;
    {
      absl::MutexLock lock(&write_mu_);
      lease = lease_;
    }
    absl::StatusOr<absl::Duration> left = etcd_->KeepAlive(lease);
    if (left.ok()) {
      refreshed = absl::Now();
    } else {
      absl::MutexLock lock(&write_mu_);
      const bool expired = left.status().code() == absl::StatusCode::kNotFound;
      if (expired || absl::Now() - refreshed > options_.lease_ttl) {
        // The lease is gone, or as good as gone: no longer the writer.
        if (status_.role == ReplicaStatus::Role::kWriter) {
          StepDown(left.status());
        }
        if (expired) {
          absl::StatusOr<int64_t> fresh = etcd_->GrantLease(options_.lease_ttl);
          if (fresh.ok()) {
            lease_ = *fresh;
            refreshed = absl::Now();
          }
        }
      }
    }
    absl::MutexLock lock(&stop_mu_);
    stop_mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.lease_ttl / 3);
  }
}

}  // namespace kg::replica
