#include "replica/replicated_store.h"

#include <algorithm>
#include <random>
#include <tuple>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace kg::replica {
namespace {

// Entries read from etcd at a time while catching up.
constexpr int64_t kReadBatch = 256;

// An UNAVAILABLE the client is told as it is (kWriterPayload).
absl::Status Redirect(absl::string_view message, absl::string_view writer) {
  absl::Status s = absl::UnavailableError(message);
  s.SetPayload(kWriterPayload, absl::Cord(writer));
  return s;
}

}  // namespace

bool RefusedByTheData(const absl::Status& s) {
  // The engine's failures may be this replica's alone (a full disk).
  if (storage::FromTheEngine(s)) return false;
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

absl::StatusOr<std::optional<PeerCheckpoint>> PeerToCopy(
    const ReplicaOptions& options, uint64_t position, bool has_data) {
  if (position == 0 && has_data) return std::nullopt;  // Start refuses it
  absl::StatusOr<std::unique_ptr<Etcd>> etcd =
      Etcd::Connect(options.etcd_endpoints, options.etcd_timeout);
  if (!etcd.ok()) return etcd.status();
  absl::StatusOr<ReplicaLog> log =
      ReplicaLog::Open(etcd->get(), options.cluster);
  if (!log.ok()) return log.status();
  absl::StatusOr<uint64_t> first = log->FirstPosition();
  if (!first.ok()) return first.status();
  if (position + 1 >= *first) return std::nullopt;
  absl::StatusOr<std::optional<ReplicaLog::Writer>> writer =
      log->CurrentWriter();
  if (!writer.ok()) return writer.status();
  absl::StatusOr<std::vector<ReplicaLog::Member>> members = log->Applied();
  if (!members.ok()) return members.status();
  const ReplicaLog::Member* best = nullptr;
  bool best_follows = false;
  for (const ReplicaLog::Member& m : *members) {
    if (m.member == options.member || m.address.empty() ||
        m.applied + 1 < *first) {
      continue;
    }
    const bool follows = !writer->has_value() || (*writer)->member != m.member;
    if (best == nullptr ||
        std::tie(follows, m.applied) > std::tie(best_follows, best->applied)) {
      best = &m;
      best_follows = follows;
    }
  }
  if (best == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data_dir: the store applied log position ", position,
        " but the log of replica set '", options.cluster, "' now starts at ",
        *first,
        ", and no live replica can give a copy of its store: start one that "
        "can, or start this one from a backup (docs/operations.md, "
        "\"Replica sets\")"));
  }
  return PeerCheckpoint{best->member, best->address, best->applied, *first};
}

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
  if (options.log_retention < 1) {
    return absl::InvalidArgumentError(
        "log_retention: must be at least 1 (the log keeps its last entry)");
  }
  absl::StatusOr<std::unique_ptr<Etcd>> etcd =
      Etcd::Connect(options.etcd_endpoints, options.etcd_timeout);
  if (!etcd.ok()) return etcd.status();
  absl::StatusOr<ReplicaLog> log =
      ReplicaLog::Open(etcd->get(), options.cluster);
  if (!log.ok()) return log.status();
  // The store must be this replica set's: empty, or made by its log.
  const uint64_t position = store->log_position();
  absl::StatusOr<uint64_t> next = log->NextPosition();
  if (!next.ok()) return next.status();
  if (position >= *next) {
    return absl::FailedPreconditionError(
        absl::StrCat("data_dir: the store applied log position ", position,
                     " but the log of replica set '", options.cluster,
                     "' ends at ", *next - 1,
                     ": it belongs to another log (a new etcd, another "
                     "cluster name)"));
  }
  absl::StatusOr<uint64_t> first = log->FirstPosition();
  if (!first.ok()) return first.status();
  if (position + 1 < *first) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data_dir: the store applied log position ", position,
        " but the log of replica set '", options.cluster, "' now starts at ",
        *first,
        " (the entries before were trimmed once every live replica had "
        "applied them): start it again, and kg-server copies the store of a "
        "live replica first (docs/replicas.md)"));
  }
  absl::Time last_at = absl::InfinitePast();
  if (position > 0 && store->log_time().has_value()) {
    // The time of the last entry applied: the writer's stamps go on after
    // it, so that they increase across restarts and every replica applies
    // them exactly.
    last_at = *store->log_time();
  } else if (position == 0) {
    absl::StatusOr<storage::StoreStats> counts = store->NewReader()->Counts();
    if (!counts.ok()) return counts.status();
    if (counts->entities + counts->relations + counts->documents +
            counts->statements >
        0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data_dir: the store holds data that is not from the log of "
          "replica set '",
          options.cluster,
          "': a replica starts from an empty store, and takes its data "
          "through the writer"));
    }
  } else {
    // A store from before it kept the time: the entry has it.
    absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> last =
        log->Read(position, 1);
    if (!last.ok()) return last.status();
    if (last->empty() || last->front().first != position) {
      return absl::FailedPreconditionError(
          absl::StrCat("data_dir: the log of replica set '", options.cluster,
                       "' no longer holds entry ", position,
                       ", the last this store applied"));
    }
    absl::StatusOr<Entry> entry = DecodeEntry(last->front().second);
    if (!entry.ok()) return entry.status();
    last_at = entry->at;
  }
  absl::StatusOr<int64_t> lease = (*etcd)->GrantLease(options.lease_ttl);
  if (!lease.ok()) return lease.status();
  std::unique_ptr<ReplicatedStore> replica(
      new ReplicatedStore(std::move(store), *std::move(etcd), *std::move(log),
                          std::move(options), *lease));
  replica->last_at_ = last_at;
  return replica;
}

void ReplicatedStore::Run(std::string address) {
  if (tail_thread_.joinable() || Stopping()) return;  // running, or stopped
  if (!address.empty()) options_.address = std::move(address);
  watch_ = log_.Watch([this](bool writer) {
    // The writer's own appends need no look.
    if (!writer && is_writer_) return;
    absl::MutexLock lock(&stop_mu_);
    (writer ? writer_changed_ : log_changed_) = true;
  });
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
  applied_now_ = status_.applied;
  absl::MutexLock lock(&write_mu_);
  PublishStatus();
}

ReplicatedStore::~ReplicatedStore() { Stop(); }

void ReplicatedStore::Stop() {
  {
    absl::MutexLock lock(&stop_mu_);
    if (stop_) return;
    stop_ = true;
  }
  {
    absl::MutexLock lock(&applied_mu_);
    applied_stopped_ = true;  // readers waiting for a position give up
  }
  watch_.reset();
  if (tail_thread_.joinable()) tail_thread_.join();
  if (lease_thread_.joinable()) lease_thread_.join();
  {
    absl::MutexLock lock(&write_mu_);
    StepDown(absl::CancelledError("stopping"));
  }
  etcd_->RevokeLease(lease_.load()).IgnoreError();  // it expires anyway
}

bool ReplicatedStore::Stopping() {
  absl::MutexLock lock(&stop_mu_);
  return stop_;
}

ReplicaStatus ReplicatedStore::status() {
  absl::MutexLock lock(&status_copy_mu_);
  return status_copy_;
}

void ReplicatedStore::PublishStatus() {
  absl::MutexLock lock(&status_copy_mu_);
  status_copy_ = status_;
}

absl::StatusOr<ClusterView> ReplicatedStore::Cluster() {
  ClusterView view;
  view.cluster = options_.cluster;
  view.member = options_.member;
  absl::StatusOr<std::optional<ReplicaLog::Writer>> writer =
      log_.CurrentWriter();
  if (!writer.ok()) return writer.status();
  view.writer = *std::move(writer);
  absl::StatusOr<uint64_t> next = log_.NextPosition();
  if (!next.ok()) return next.status();
  view.log_end = *next - 1;
  absl::StatusOr<uint64_t> first = log_.FirstPosition();
  if (!first.ok()) return first.status();
  view.log_start = *first;
  absl::StatusOr<std::vector<ReplicaLog::Member>> members = log_.Applied();
  if (!members.ok()) return members.status();
  view.members = *std::move(members);
  return view;
}

std::string ReplicatedStore::writer_address_for_clients() {
  absl::MutexLock lock(&writer_address_mu_);
  return writer_address_;
}

void ReplicatedStore::SetWriter(
    const std::optional<ReplicaLog::Writer>& writer) {
  status_.writer_member = writer.has_value() ? writer->member : "";
  status_.writer_address = writer.has_value() ? writer->address : "";
  status_.term = writer.has_value() ? writer->term : 0;
  is_writer_ = status_.role == ReplicaStatus::Role::kWriter;
  if (status_.term > max_term_seen_) {
    max_term_seen_ = status_.term;
    ++status_.writer_changes;
  }
  {
    absl::MutexLock lock(&writer_address_mu_);
    writer_address_ = status_.role == ReplicaStatus::Role::kWriter
                          ? ""
                          : status_.writer_address;
  }
  PublishStatus();
}

void ReplicatedStore::SetApplied(uint64_t position) {
  status_.applied = position;
  status_.log_end = std::max(status_.log_end, position);
  {
    absl::MutexLock lock(&applied_mu_);
    applied_now_ = position;
  }
  PublishStatus();
}

absl::Status ReplicatedStore::AwaitApplied(
    uint64_t position, absl::Time deadline,
    const std::function<bool()>& cancelled) {
  absl::MutexLock lock(&applied_mu_);
  auto woken = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(applied_mu_) {
    return applied_now_.load() >= position || applied_stopped_;
  };
  for (;;) {
    if (applied_now_.load() >= position) return absl::OkStatus();
    if (applied_stopped_) {
      return absl::UnavailableError(
          "kg-min-log-position: the server is stopping");
    }
    if (cancelled && cancelled()) {
      return absl::CancelledError("the call ended while it waited");
    }
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("kg-min-log-position: this replica has applied ",
                       applied_now_.load(), ", not yet ", position));
    }
    // In slices, to notice a call that ended.
    applied_mu_.AwaitWithDeadline(
        absl::Condition(&woken),
        std::min(deadline, now + absl::Milliseconds(50)));
  }
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
  SetWriter(std::nullopt);
}

void ReplicatedStore::Resign(const absl::Status& why) {
  StepDown(why);
  Log(absl::StrCat("replica set '", options_.cluster, "': ", options_.member,
                   " gives up its lease: ", why.message()));
  // The lease thread takes a new one when it finds this one gone.
  etcd_->RevokeLease(lease_.load()).IgnoreError();
}

absl::Status ReplicatedStore::Apply(uint64_t position, const Entry& entry,
                                    storage::WriteResult* write_result,
                                    storage::RetractResult* retract_result,
                                    absl::Status* refused) {
  if (position <= store_->log_position()) {  // applied before a restart
    SetApplied(std::max(status_.applied, position));
    last_at_ = std::max(last_at_, entry.at);
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
  SetApplied(position);
  last_at_ = std::max(last_at_, entry.at);
  if (status_.role == ReplicaStatus::Role::kFollower &&
      options_.applied_after) {
    options_.applied_after(absl::Now() - entry.at);
  }
  return absl::OkStatus();
}

absl::Status ReplicatedStore::CatchUp() {
  for (;;) {
    absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> entries =
        log_.Read(status_.applied + 1, kReadBatch);
    if (!entries.ok()) return entries.status();
    if (entries->empty()) {
      status_.log_end = status_.applied;
      return absl::OkStatus();
    }
    status_.log_end = std::max(status_.log_end, entries->back().first);
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
        (*writer)->lease != lease_.load()) {
      SetWriter(*writer);
    }
    return NotTheWriter();
  }
  if (!logged.ok()) {
    // Neither refused nor known to be in: the entry may have landed. Step
    // down, so that this replica applies it from the log if it is there
    // before it takes a write again; the client must look before it
    // writes again.
    StepDown(logged);
    return absl::AbortedError(absl::StrCat(
        "the write's outcome is unknown: it may be in the replica set's log "
        "(etcd: ",
        logged.message(), "); read before writing it again"));
  }
  absl::Status refused;
  absl::Status applied =
      Apply(position, *decoded, write_result, retract_result, &refused);
  if (!applied.ok()) {
    // Logged but not applied here (I/O): the followers apply it. This
    // replica gives up the writer key until its tail can apply it.
    Resign(applied);
    return absl::AbortedError(absl::StrCat(
        "the write is in the replica set's log at ", position,
        " (do not write it again) but this replica could not apply it: ",
        applied.message()));
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
    uint64_t applied;
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
        // The writer first, so that a follower catching up names it.
        absl::StatusOr<std::optional<ReplicaLog::Writer>> writer =
            log_.CurrentWriter();
        if (writer.ok() && writer->has_value() &&
            (*writer)->lease != lease_.load()) {
          if ((*writer)->term != status_.term) {
            Log(absl::StrCat("replica set '", options_.cluster,
                             "': ", options_.member, " follows ",
                             (*writer)->member, " at ", (*writer)->address,
                             " (term ", (*writer)->term, ")"));
          }
          SetWriter(*writer);
        }
        CatchUp().IgnoreError();  // etcd away, or an entry not applied yet
        if (writer.ok() && !writer->has_value()) {
          absl::StatusOr<ReplicaLog::Writer> won =
              log_.Campaign(options_.member, options_.address, lease_.load());
          if (won.ok()) writer = std::optional<ReplicaLog::Writer>(*won);
        }
        if (writer.ok() && writer->has_value()) {
          // Elected is this process's lease, not its name: a restarted
          // process with the same name is not the one that was elected.
          const bool mine = (*writer)->lease == lease_.load();
          if (mine) {
            // Elected: apply what the writers before appended (none can
            // append any more), then take writes. One that cannot would
            // hold the key and take no writes: it gives the key up.
            const absl::Status caught_up = CatchUp();
            if (!caught_up.ok()) {
              Resign(caught_up);
            } else {
              status_.role = ReplicaStatus::Role::kWriter;
              ++status_.elections_won;
              SetWriter(*writer);  // no longer told to clients
              Log(absl::StrCat("replica set '", options_.cluster,
                               "': ", options_.member, " is the writer (term ",
                               status_.term, ", log position ", status_.applied,
                               ")"));
            }
          }
        }
      }
      applied = status_.applied;
      PublishStatus();
    }
    if (is_writer_ && absl::Now() - trimmed_at_ >= options_.trim_interval) {
      trimmed_at_ = absl::Now();
      TrimLog();
    }
    // At most once a poll interval (each is an etcd write), and at once
    // under a new lease (the old one took the key); not holding write_mu_.
    const int64_t lease = lease_.load();
    const absl::Time now = absl::Now();
    if ((lease != published_lease_ ||
         (applied != published_applied_ &&
          now - published_at_ >= options_.poll_interval)) &&
        log_.SetApplied(options_.member, options_.address, applied, lease)
            .ok()) {
      published_applied_ = applied;
      published_lease_ = lease;
      published_at_ = now;
    }
    absl::MutexLock lock(&stop_mu_);
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(stop_mu_) {
      return stop_ || log_changed_ || writer_changed_;
    };
    stop_mu_.AwaitWithTimeout(absl::Condition(&woken), options_.poll_interval);
    log_changed_ = false;
    writer_changed_ = false;
  }
}

void ReplicatedStore::TrimLog() {
  absl::StatusOr<std::vector<ReplicaLog::Member>> members = log_.Applied();
  if (!members.ok() || members->empty()) return;
  uint64_t lowest = members->front().applied;
  for (const ReplicaLog::Member& m : *members) {
    lowest = std::min(lowest, m.applied);
  }
  if (lowest <= options_.log_retention) return;
  absl::StatusOr<uint64_t> first = log_.FirstPosition();
  if (!first.ok() || *first > lowest - options_.log_retention) return;
  const absl::Status trimmed = log_.Trim(lowest - options_.log_retention);
  if (!trimmed.ok()) {
    Log(absl::StrCat("replica set '", options_.cluster,
                     "': could not trim the log: ", trimmed.message()));
  }
}

void ReplicatedStore::LeaseLoop() {
  absl::Time refreshed = absl::Now();
  while (!Stopping()) {
    const int64_t lease = lease_.load();
    absl::StatusOr<absl::Duration> left = etcd_->KeepAlive(lease);
    if (left.ok()) {
      refreshed = absl::Now();
    } else {
      const bool expired = left.status().code() == absl::StatusCode::kNotFound;
      if (expired || absl::Now() - refreshed > options_.lease_ttl) {
        // The lease is gone, or as good as gone: no longer the writer.
        {
          absl::MutexLock lock(&write_mu_);
          if (status_.role == ReplicaStatus::Role::kWriter) {
            StepDown(left.status());
          }
        }
        if (expired) {
          absl::StatusOr<int64_t> fresh = etcd_->GrantLease(options_.lease_ttl);
          if (fresh.ok()) {
            lease_.store(*fresh);
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
