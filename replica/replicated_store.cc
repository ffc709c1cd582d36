#include "replica/replicated_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/sha256_stream.h"
#include "common/status_macros.h"

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

// A blank-node scope for a write's or a load's new blank nodes: drawn by
// the writer and logged, so that every replica names them alike.
std::string DrawBlankScope() {
  std::random_device random;
  std::string scope(16, '\0');
  for (char& c : scope) c = static_cast<char>(random());
  return scope;
}

// Payload files are named by their entry's position and term:
// "00000000000000000042-7.payload"; "<name>.part" while one is fetched.
constexpr char kPayloadSuffix[] = ".payload";

std::string PayloadName(uint64_t position, int64_t term) {
  return absl::StrCat(absl::Dec(position, absl::kZeroPad20), "-", term,
                      kPayloadSuffix);
}

// The position a payload file's name gives; nullopt for another file.
std::optional<uint64_t> PayloadPosition(absl::string_view name) {
  if (!absl::ConsumeSuffix(&name, kPayloadSuffix)) return std::nullopt;
  const size_t dash = name.find('-');
  uint64_t position = 0;
  if (dash == absl::string_view::npos ||
      !absl::SimpleAtoi(name.substr(0, dash), &position)) {
    return std::nullopt;
  }
  return position;
}

// The size and SHA-256 of a file; nullopt when it cannot be read.
std::optional<std::pair<uint64_t, std::string>> SizeAndDigest(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  Sha256Stream sha;
  uint64_t size = 0;
  std::string buffer(1 << 20, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = static_cast<size_t>(in.gcount());
    sha.Update(absl::string_view(buffer.data(), n));
    size += n;
  }
  if (in.bad()) return std::nullopt;
  return std::make_pair(size, sha.Finish());
}

// A payload file written record by record, as a load's parts come, under
// a temporary name (which a start removes, as any file not named as a
// payload) until Finish syncs it and gives it its name.
class PayloadFileWriter {
 public:
  static absl::StatusOr<std::unique_ptr<PayloadFileWriter>> Create(
      const std::string& dir) {
    std::string path = absl::StrCat(
        dir, "/", absl::BytesToHexString(DrawBlankScope()), ".writing");
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      return absl::InternalError(absl::StrCat("payload: cannot create ", path,
                                              ": ", std::strerror(errno)));
    }
    return std::unique_ptr<PayloadFileWriter>(
        new PayloadFileWriter(dir, std::move(path), fd));
  }
  ~PayloadFileWriter() {
    if (fd_ >= 0) ::close(fd_);
    if (!finished_) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
    }
  }

  absl::Status Append(absl::string_view bytes) {
    sha_.Update(bytes);
    size_ += bytes.size();
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        return absl::InternalError(absl::StrCat("payload: cannot write ", path_,
                                                ": ", std::strerror(errno)));
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  // Syncs the file, names it `name` in its directory and syncs that; the
  // reference to it (without an address). Once.
  absl::StatusOr<PayloadRef> Finish(const std::string& name) {
    const int synced = ::fsync(fd_);
    ::close(fd_);
    fd_ = -1;
    if (synced != 0) {
      return absl::InternalError(absl::StrCat("payload: cannot sync ", path_,
                                              ": ", std::strerror(errno)));
    }
    const std::string final_path = absl::StrCat(dir_, "/", name);
    if (::rename(path_.c_str(), final_path.c_str()) != 0) {
      return absl::InternalError(absl::StrCat("payload: cannot rename ", path_,
                                              " to ", final_path, ": ",
                                              std::strerror(errno)));
    }
    finished_ = true;
    const int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
    if (dir_fd >= 0) {
      ::fsync(dir_fd);
      ::close(dir_fd);
    }
    PayloadRef payload;
    payload.name = name;
    payload.size = size_;
    payload.sha256 = sha_.Finish();
    return payload;
  }

 private:
  PayloadFileWriter(std::string dir, std::string path, int fd)
      : dir_(std::move(dir)), path_(std::move(path)), fd_(fd) {}

  const std::string dir_;
  const std::string path_;
  int fd_;
  Sha256Stream sha_;
  uint64_t size_ = 0;
  bool finished_ = false;
};

}  // namespace

// ReplicatedStore::BeginBulkLoad's loader, on the writer: each part is
// applied to the store's own loader as it comes (so its errors come at
// once, naming the part) and appended to a payload file; the commit waits
// until another replica holds that file (AwaitPayloadCopy), logs the load
// by reference to it and commits the store's loader at the entry's
// position. The payload's records go to the file as they come, under a
// temporary name until the commit. While it is open, the replicated
// store's other writes wait (AwaitNoBulkLoad), so that no entry comes between.
class ReplicatedBulkLoader : public storage::BulkLoader {
 public:
  ReplicatedBulkLoader(ReplicatedStore* replica,
                       std::unique_ptr<storage::BulkLoader> loader,
                       std::unique_ptr<PayloadFileWriter> payload,
                       absl::Time at, int64_t term)
      : replica_(replica),
        loader_(std::move(loader)),
        at_(at),
        term_(term),
        blank_scope_(DrawBlankScope()),
        payload_(std::move(payload)),
        idle_since_(absl::Now()) {}

  ~ReplicatedBulkLoader() override {
    absl::MutexLock lock(&replica_->write_mu_);
    if (replica_->bulk_ == this) replica_->bulk_ = nullptr;
  }

  absl::Status Add(const storage::WriteBatch& part, absl::string_view name,
                   storage::WriteResult* result) override {
    if (part.replica.at.has_value() || part.replica.log_position != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          name.empty() ? "" : absl::StrCat(name, "."),
          "replica: the replica set stamps its writes; give no time or "
          "position"));
    }
    storage::WriteBatch stamped = part;
    if (stamped.blank_scope.empty()) stamped.blank_scope = blank_scope_;
    // The followers apply the record as decoded: so does the writer.
    std::string record =
        EncodePayloadPart(PayloadPart{std::string(name), std::move(stamped)});
    absl::StatusOr<PayloadPart> decoded = DecodePayloadPart(record);
    if (!decoded.ok()) return decoded.status();
    storage::BulkLoader* loader = nullptr;
    {
      absl::MutexLock lock(&mu_);
      KG_RETURN_IF_ERROR(Usable());
      busy_ = true;
      loader = loader_.get();
    }
    // Without mu_: a write waiting for the load, or the writer stepping
    // down, must not wait for a part (Abandon defers to the end of it).
    absl::Status status = loader->Add(decoded->batch, name, result);
    absl::MutexLock lock(&mu_);
    busy_ = false;
    idle_since_ = absl::Now();
    if (!abandoned_.empty()) {
      loader_.reset();
      payload_.reset();
      return Usable();
    }
    if (status.ok()) {
      // Gone only when a commit came meanwhile: this part is not in it.
      status = payload_ != nullptr ? payload_->Append(record) : Usable();
    }
    if (!status.ok()) failed_ = true;
    return status;
  }

  using BulkLoader::Commit;
  absl::Status Commit(uint64_t log_position) override {
    if (log_position != 0) {
      return absl::InvalidArgumentError(
          "log_position: the replica set stamps its writes; give none");
    }
    ReplicatedStore& r = *replica_;
    // While the load is open no other entry is appended (writes wait for
    // it), so its position is the one after the last applied.
    uint64_t position = 0;
    std::string bytes;  // the entry
    {
      absl::MutexLock write(&r.write_mu_);
      absl::MutexLock lock(&mu_);
      KG_RETURN_IF_ERROR(Usable());
      failed_ = true;  // whatever happens, nothing more
      if (busy_) {
        return absl::FailedPreconditionError(
            "the bulk load's commit came while a part was being added");
      }
      if (r.status_.role != ReplicaStatus::Role::kWriter ||
          r.status_.term != term_) {
        r.bulk_ = nullptr;
        loader_.reset();
        payload_.reset();
        return r.NotTheWriter();
      }
      position = r.status_.applied + 1;
      absl::StatusOr<PayloadRef> payload =
          payload_->Finish(PayloadName(position, term_));
      payload_.reset();
      if (!payload.ok()) {
        r.bulk_ = nullptr;
        loader_.reset();  // the store takes other writes again
        return payload.status();
      }
      Entry entry;
      entry.kind = Entry::Kind::kByReference;
      entry.bulk = true;
      entry.at = at_;
      entry.payload = *std::move(payload);
      entry.payload.address = r.options_.address;
      payload_name_ = entry.payload.name;
      bytes = EncodeEntry(entry);
      // Not idle: other writes wait on. The loader is left alone until
      // the copy is there, so an abandon frees it at once.
      busy_ = true;
      awaiting_copy_ = true;
    }
    // Without write_mu_, so that the lease and the tail go on: another
    // replica copies the payload before the entry is logged, so that an
    // acknowledged load outlives this replica's disk.
    const absl::Status copied =
        r.AwaitPayloadCopy(payload_name_, bytes, [this] {
          absl::MutexLock lock(&mu_);
          return !abandoned_.empty();
        });
    absl::MutexLock write(&r.write_mu_);
    absl::MutexLock lock(&mu_);
    busy_ = false;
    awaiting_copy_ = false;
    if (r.bulk_ == this) r.bulk_ = nullptr;
    const auto discard = [&] {
      loader_.reset();
      r.DiscardPayload(payload_name_);
    };
    if (!abandoned_.empty()) {
      discard();
      return Usable();
    }
    if (!copied.ok()) {
      discard();
      return copied;
    }
    if (r.status_.role != ReplicaStatus::Role::kWriter ||
        r.status_.term != term_ || r.status_.applied + 1 != position) {
      discard();
      return r.NotTheWriter();
    }
    absl::Status logged = r.LogEntry(bytes, position);
    r.log_.Unstage(payload_name_).IgnoreError();
    if (!logged.ok()) {
      loader_.reset();
      return logged;
    }
    absl::Status applied = loader_->Commit(position);
    loader_.reset();
    if (!applied.ok() && !RefusedByTheData(applied)) {
      r.Resign(applied);
      return absl::AbortedError(absl::StrCat(
          "the load is in the replica set's log at ", position,
          " (do not load it again) but this replica could not apply it: ",
          applied.message()));
    }
    if (!applied.ok()) ++r.status_.entries_failed;
    r.SetApplied(position);
    r.last_at_ = std::max(r.last_at_, at_);
    return applied;
  }

  // Called with write_mu_ held, by a write that found the load idle too
  // long, or by the writer stepping down: its later calls are refused,
  // and what it held is freed now.
  void Abandon(absl::string_view why) {
    absl::MutexLock lock(&mu_);
    abandoned_ = std::string(why);
    if (busy_ && !awaiting_copy_) return;  // Add frees it after its part
    loader_.reset();
    payload_.reset();
  }
  bool Idle(absl::Duration longer_than) {
    absl::MutexLock lock(&mu_);
    return !busy_ && absl::Now() - idle_since_ >= longer_than;
  }

 private:
  absl::Status Usable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!abandoned_.empty()) {
      return absl::AbortedError(absl::StrCat("the bulk load was abandoned (",
                                             abandoned_,
                                             "); nothing was written"));
    }
    if (failed_) {
      return absl::FailedPreconditionError(
          "the bulk load failed or ended already; nothing more is taken");
    }
    return absl::OkStatus();
  }

  ReplicatedStore* const replica_;
  absl::Mutex mu_;  // taken after replica_->write_mu_, never before
  std::unique_ptr<storage::BulkLoader> loader_ ABSL_GUARDED_BY(mu_);
  const absl::Time at_;
  const int64_t term_;
  const std::string blank_scope_;
  // The payload's records so far, in a file until the commit names it.
  std::unique_ptr<PayloadFileWriter> payload_ ABSL_GUARDED_BY(mu_);
  std::string payload_name_;  // Commit's

  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  // Commit waits for a copy of the payload (busy_ too).
  bool awaiting_copy_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time idle_since_ ABSL_GUARDED_BY(mu_);
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  std::string abandoned_ ABSL_GUARDED_BY(mu_);  // why, when abandoned
};

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
  if (!options.payload_dir.empty()) {
    if (!options.fetch_payload) {
      return absl::InvalidArgumentError(
          "fetch_payload: required with payload_dir (a follower fetches "
          "payloads from its peers)");
    }
    std::error_code ec;
    std::filesystem::create_directories(options.payload_dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("payload_dir: cannot create ", options.payload_dir, ": ",
                       ec.message()));
    }
    // What a fetch cut off by a crash left: never a whole payload.
    for (std::filesystem::directory_iterator it(options.payload_dir, ec), end;
         !ec && it != end; it.increment(ec)) {
      if (!PayloadPosition(it->path().filename().string()).has_value()) {
        std::error_code ignored;
        std::filesystem::remove_all(it->path(), ignored);
      }
    }
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
  if (bulk_ != nullptr) {
    // Its commit could not log it; the tail needs the store's writes.
    bulk_->Abandon(
        absl::StrCat("this replica is no longer the writer: ", why.message()));
    bulk_ = nullptr;
  }
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
  if (entry.kind == Entry::Kind::kByReference) {
    s = ApplyByReference(position, entry, write_result);
  } else if (entry.kind == Entry::Kind::kWrite) {
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

absl::Time ReplicatedStore::NextStamp() {
  last_at_ = std::max(absl::Now(), last_at_ + absl::Microseconds(1));
  return last_at_;
}

absl::Status ReplicatedStore::LogEntry(const std::string& bytes,
                                       uint64_t position) {
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
  return absl::OkStatus();
}

absl::Status ReplicatedStore::Append(Entry entry,
                                     storage::WriteResult* write_result,
                                     storage::RetractResult* retract_result) {
  absl::MutexLock lock(&write_mu_);
  AwaitNoBulkLoad();
  if (status_.role != ReplicaStatus::Role::kWriter) return NotTheWriter();
  const absl::Time at = std::max(absl::Now(), last_at_ + absl::Microseconds(1));
  entry.at = at;
  if (entry.kind == Entry::Kind::kWrite && entry.batch.blank_scope.empty()) {
    // The batch's blank nodes are new: a scope drawn here, logged, so
    // every replica names them alike.
    entry.batch.blank_scope = DrawBlankScope();
  }
  const uint64_t position = status_.applied + 1;
  std::string bytes = EncodeEntry(entry);
  if (bytes.size() > kMaxEntryBytes) {
    if (options_.payload_dir.empty() || entry.kind != Entry::Kind::kWrite) {
      return absl::InvalidArgumentError(
          absl::StrCat("the write is ", bytes.size(),
                       " bytes as a log entry; a replicated "
                       "write holds at most ",
                       kMaxEntryBytes, ": split it"));
    }
    // Too large for etcd: logged by reference to a payload file, which
    // the followers fetch from this replica.
    absl::StatusOr<PayloadRef> payload =
        WritePayload(PayloadName(position, status_.term),
                     EncodePayloadPart(PayloadPart{"", entry.batch}));
    if (!payload.ok()) return payload.status();
    Entry reference;
    reference.kind = Entry::Kind::kByReference;
    reference.at = at;
    reference.payload = *std::move(payload);
    bytes = EncodeEntry(reference);
  }
  absl::StatusOr<Entry> decoded = DecodeEntry(bytes);
  if (!decoded.ok()) return decoded.status();
  if (decoded->kind == Entry::Kind::kByReference) {
    // As a bulk load's commit does (ReplicatedBulkLoader::Commit), but
    // holding write_mu_ (so this replica stays the writer meanwhile, as
    // far as it knows; etcd fences the append regardless): the payload on
    // a second disk before it is logged.
    const std::string& name = decoded->payload.name;
    const absl::Status copied =
        AwaitPayloadCopy(name, bytes, [] { return false; });
    if (!copied.ok()) {
      DiscardPayload(name);
      return copied;
    }
  }
  const absl::Status logged = LogEntry(bytes, position);
  if (decoded->kind == Entry::Kind::kByReference) {
    log_.Unstage(decoded->payload.name).IgnoreError();
  }
  KG_RETURN_IF_ERROR(logged);
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
    const storage::WriteBatch& batch) {
  KG_ASSIGN_OR_RETURN(std::unique_ptr<storage::BulkLoader> loader,
                      BeginBulkLoad(std::nullopt));
  storage::WriteResult result;
  KG_RETURN_IF_ERROR(loader->Add(batch, "", &result));
  KG_RETURN_IF_ERROR(loader->Commit());
  return result;
}

absl::StatusOr<std::unique_ptr<storage::BulkLoader>>
ReplicatedStore::BeginBulkLoad(std::optional<absl::Time> at) {
  if (at.has_value()) {
    return absl::InvalidArgumentError(
        "replica: the replica set stamps its writes; give no time");
  }
  if (options_.payload_dir.empty()) {
    return absl::FailedPreconditionError(
        "bulk loads are not replicated by this replica (no payload "
        "directory): write in batches");
  }
  absl::MutexLock lock(&write_mu_);
  AwaitNoBulkLoad();
  if (status_.role != ReplicaStatus::Role::kWriter) return NotTheWriter();
  KG_ASSIGN_OR_RETURN(std::unique_ptr<PayloadFileWriter> payload,
                      PayloadFileWriter::Create(options_.payload_dir));
  const absl::Time stamp = NextStamp();
  KG_ASSIGN_OR_RETURN(std::unique_ptr<storage::BulkLoader> loader,
                      store_->BeginBulkLoad(stamp));
  auto replicated = std::make_unique<ReplicatedBulkLoader>(
      this, std::move(loader), std::move(payload), stamp, status_.term);
  bulk_ = replicated.get();
  return replicated;
}

void ReplicatedStore::AwaitNoBulkLoad() {
  while (bulk_ != nullptr) {
    if (bulk_->Idle(options_.bulk_load_idle_timeout)) {
      bulk_->Abandon(
          absl::StrCat("it gave nothing for ",
                       absl::FormatDuration(options_.bulk_load_idle_timeout),
                       " while other writes waited"));
      bulk_ = nullptr;
      return;
    }
    const auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
      return bulk_ == nullptr;
    };
    write_mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(1));
  }
}

absl::StatusOr<PayloadRef> ReplicatedStore::WritePayload(
    const std::string& name, const std::string& bytes) {
  KG_ASSIGN_OR_RETURN(std::unique_ptr<PayloadFileWriter> file,
                      PayloadFileWriter::Create(options_.payload_dir));
  KG_RETURN_IF_ERROR(file->Append(bytes));
  KG_ASSIGN_OR_RETURN(PayloadRef payload, file->Finish(name));
  payload.address = options_.address;
  return payload;
}

absl::Status ReplicatedStore::AwaitPayloadCopy(
    const std::string& name, const std::string& entry,
    const std::function<bool()>& abandoned) {
  absl::StatusOr<std::vector<ReplicaLog::Member>> members = log_.Applied();
  if (!members.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "the load was not written: etcd did not say which replicas are "
        "live: ",
        members.status().message()));
  }
  std::vector<std::string> others;
  for (const ReplicaLog::Member& m : *members) {
    if (m.member != options_.member) others.push_back(m.member);
  }
  if (others.empty()) return absl::OkStatus();  // alone: no copy to wait for
  KG_ASSIGN_OR_RETURN(const int64_t staging,
                      log_.Stage(name, entry, lease_.load()));
  const absl::Time deadline = absl::Now() + options_.payload_copy_timeout;
  while (true) {
    absl::StatusOr<std::vector<std::string>> holders =
        log_.Holders(name, staging);
    if (holders.ok() && !holders->empty()) return absl::OkStatus();
    if (abandoned()) return absl::AbortedError("the bulk load was abandoned");
    if (!is_writer_.load() || Stopping()) {
      return absl::UnavailableError(
          "nothing was written: this replica stopped being the writer while "
          "another copied the write's payload; write it again");
    }
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(absl::StrCat(
          "the load was not written: no other replica (",
          absl::StrJoin(others, ", "), ") took a copy of its payload within ",
          absl::FormatDuration(options_.payload_copy_timeout),
          "; their logs say why"));
    }
    absl::MutexLock lock(&stop_mu_);
    stop_mu_.AwaitWithTimeout(absl::Condition(&stop_), absl::Milliseconds(20));
  }
}

void ReplicatedStore::DiscardPayload(const std::string& name) {
  // Unstaged first: no follower starts a fetch of a file about to go.
  log_.Unstage(name).IgnoreError();
  std::error_code ignored;
  std::filesystem::remove(absl::StrCat(options_.payload_dir, "/", name),
                          ignored);
}

void ReplicatedStore::CopyStagedPayloads() {
  if (options_.payload_dir.empty() || !options_.fetch_payload ||
      is_writer_.load()) {
    return;
  }
  absl::StatusOr<std::vector<ReplicaLog::Staged>> staged = log_.StagedEntries();
  if (!staged.ok()) return;
  // A staging is its name and revision: a load tried again after a
  // refusal may stage another payload under the same name.
  absl::flat_hash_set<std::string> now;
  for (const ReplicaLog::Staged& s : *staged) {
    const std::string staging = absl::StrCat(s.name, "@", s.revision);
    now.insert(staging);
    if (copied_staged_.contains(staging)) continue;
    const auto failed = failed_staged_.find(staging);
    if (failed != failed_staged_.end() && absl::Now() < failed->second) {
      continue;  // tried again once a second has passed
    }
    absl::StatusOr<Entry> entry = DecodeEntry(s.entry);
    absl::Status copied = entry.status();
    if (copied.ok() && (entry->kind != Entry::Kind::kByReference ||
                        entry->payload.name != s.name)) {
      copied = absl::DataLossError("not an entry by reference to it");
    }
    if (copied.ok()) copied = LocalPayload(entry->payload).status();
    if (copied.ok()) copied = log_.SetHeld(s, options_.member);
    if (copied.ok()) {
      copied_staged_.insert(staging);
      failed_staged_.erase(staging);
    } else {
      if (failed == failed_staged_.end()) {
        Log(absl::StrCat(
            "replica set '", options_.cluster, "': ", options_.member,
            " could not copy staged payload ", s.name, ": ", copied.message()));
      }
      failed_staged_[staging] = absl::Now() + absl::Seconds(1);
    }
  }
  absl::erase_if(copied_staged_,
                 [&now](const std::string& n) { return !now.contains(n); });
  absl::erase_if(failed_staged_,
                 [&now](const auto& f) { return !now.contains(f.first); });
}

absl::StatusOr<std::string> ReplicatedStore::LocalPayload(
    const PayloadRef& payload) {
  const std::string path =
      absl::StrCat(options_.payload_dir, "/", payload.name);
  const auto whole = [&payload](const std::string& file) {
    const auto got = SizeAndDigest(file);
    return got.has_value() && got->first == payload.size &&
           got->second == payload.sha256;
  };
  if (whole(path)) return path;
  if (!options_.fetch_payload) {
    return absl::FailedPreconditionError(
        absl::StrCat("payload ", payload.name,
                     ": this replica cannot fetch payloads from its peers"));
  }
  // From the writer that made it, else from any live replica (every one
  // that applied the entry holds it until the log is trimmed past it).
  std::vector<std::string> sources = {payload.address};
  absl::StatusOr<std::vector<ReplicaLog::Member>> members = log_.Applied();
  if (members.ok()) {
    for (const ReplicaLog::Member& m : *members) {
      if (m.member != options_.member && !m.address.empty() &&
          m.address != payload.address) {
        sources.push_back(m.address);
      }
    }
  }
  const std::string part = path + ".part";
  std::string failures;
  for (const std::string& address : sources) {
    std::error_code ignored;
    std::filesystem::remove(part, ignored);
    absl::Status fetched = options_.fetch_payload(address, payload.name, part);
    if (fetched.ok() && !whole(part)) {
      fetched = absl::DataLossError("not the file the entry names");
    }
    if (fetched.ok()) {
      std::filesystem::rename(part, path, ignored);
      if (!ignored) return path;
      fetched = absl::InternalError(ignored.message());
    }
    absl::StrAppend(&failures, failures.empty() ? "" : "; ", address, ": ",
                    fetched.message());
  }
  std::error_code ignored;
  std::filesystem::remove(part, ignored);
  return absl::UnavailableError(
      absl::StrCat("payload ", payload.name,
                   " could not be fetched from a peer (", failures, ")"));
}

absl::Status ReplicatedStore::ApplyByReference(
    uint64_t position, const Entry& entry, storage::WriteResult* write_result) {
  // Only what the store says of the parts may be a refusal by the data;
  // anything before (the payload, the file, a load of this replica's own
  // under way) is this replica's, and the entry is tried again.
  const auto here = [&entry](const absl::Status& s) {
    return absl::UnavailableError(
        absl::StrCat("the entry's payload ", entry.payload.name,
                     " cannot be applied here yet: ", s.message()));
  };
  if (options_.payload_dir.empty()) {
    return here(absl::FailedPreconditionError(
        "this replica keeps no payloads (ReplicaOptions::payload_dir)"));
  }
  absl::StatusOr<std::string> path = LocalPayload(entry.payload);
  if (!path.ok()) return here(path.status());
  absl::Status stored;  // the store's answer to a part
  if (entry.bulk) {
    absl::StatusOr<std::unique_ptr<storage::BulkLoader>> loader =
        store_->BeginBulkLoad(entry.at);
    if (!loader.ok()) return here(loader.status());
    storage::WriteResult ignored;
    const absl::Status read = ForEachPayloadPart(*path, [&](PayloadPart part) {
      stored = (*loader)->Add(part.batch, part.name, &ignored);
      return stored;
    });
    if (!stored.ok()) return stored;
    if (!read.ok()) return here(read);
    return (*loader)->Commit(position);
  }
  int parts = 0;
  const absl::Status read = ForEachPayloadPart(*path, [&](PayloadPart part) {
    if (++parts > 1)
      return absl::DataLossError("a write of more than one part");
    part.batch.replica = storage::ReplicaStamp{entry.at, position};
    absl::StatusOr<storage::WriteResult> r = store_->Write(part.batch);
    stored = r.status();
    if (r.ok() && write_result != nullptr) *write_result = *std::move(r);
    return absl::OkStatus();
  });
  if (!read.ok()) return here(read);
  if (parts == 0) return here(absl::DataLossError("a write of no part"));
  return stored;
}

void ReplicatedStore::RemoveTrimmedPayloads() {
  if (options_.payload_dir.empty()) return;
  absl::StatusOr<uint64_t> first = log_.FirstPosition();
  if (!first.ok()) return;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(options_.payload_dir, ec), end;
       !ec && it != end; it.increment(ec)) {
    const std::optional<uint64_t> position =
        PayloadPosition(it->path().filename().string());
    std::error_code ignored;
    if (position.has_value() && *position < *first) {
      std::filesystem::remove(it->path(), ignored);
    }
  }
}

absl::StatusOr<storage::WriteResult> ReplicatedStore::LoadFresh(
    storage::FreshLoad) {
  return absl::FailedPreconditionError(
      "fresh loads are not replicated: load the store before it joins the "
      "replica set");
}

void ReplicatedStore::TailLoop() {
  while (!Stopping()) {
    // First, not holding write_mu_: the writer waits for the copy.
    CopyStagedPayloads();
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
    if (absl::Now() - trimmed_at_ >= options_.trim_interval) {
      trimmed_at_ = absl::Now();
      if (is_writer_) TrimLog();
      RemoveTrimmedPayloads();
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
