#include "replica/replica_log.h"

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace kg::replica {
namespace {

constexpr int kPositionDigits = 20;
// An append that a member's loss cut off is tried again this many times.
constexpr int kAppendAttempts = 5;

bool ParsePosition(absl::string_view digits, uint64_t* out) {
  return digits.size() == kPositionDigits && absl::SimpleAtoi(digits, out);
}

bool DecodeWriter(const Etcd::Kv& kv, ReplicaLog::Writer* out) {
  std::pair<std::string, std::string> parts =
      absl::StrSplit(kv.value, absl::MaxSplits('\n', 1));
  out->member = std::move(parts.first);
  out->address = std::move(parts.second);
  out->term = kv.create_revision;
  out->lease = kv.lease;
  return !out->member.empty();
}

}  // namespace

absl::StatusOr<ReplicaLog> ReplicaLog::Open(Etcd* etcd,
                                            absl::string_view cluster) {
  if (cluster.empty() || cluster.size() > 64) {
    return absl::InvalidArgumentError(
        "cluster: must be 1 to 64 letters, digits, '-' or '_'");
  }
  for (char c : cluster) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_') {
      return absl::InvalidArgumentError(
          absl::StrCat("cluster: '", cluster,
                       "' may hold only letters, digits, '-' and '_'"));
    }
  }
  return ReplicaLog(etcd, absl::StrCat("/kg/", cluster, "/"));
}

std::string ReplicaLog::LogKey(uint64_t position) const {
  char digits[kPositionDigits + 1];
  std::snprintf(digits, sizeof(digits), "%020llu",
                static_cast<unsigned long long>(position));
  return absl::StrCat(LogPrefix(), digits);
}

absl::StatusOr<ReplicaLog::Writer> ReplicaLog::Campaign(
    absl::string_view member, absl::string_view address, int64_t lease) {
  if (member.empty() || member.find('\n') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "member: must be non-empty, without a line break");
  }
  absl::StatusOr<bool> won =
      etcd_->PutIf({{WriterKey(), 0}},
                   {{WriterKey(), absl::StrCat(member, "\n", address)}}, lease);
  if (!won.ok()) return won.status();
  absl::StatusOr<std::optional<Writer>> now = CurrentWriter();
  if (!now.ok()) return now.status();
  if (!now->has_value()) {
    // Won and lost already (the lease ran out between the calls), or the
    // writer left: there is none this moment.
    return absl::UnavailableError("writer election: no writer; try again");
  }
  return **now;
}

absl::StatusOr<std::optional<ReplicaLog::Writer>> ReplicaLog::CurrentWriter() {
  absl::StatusOr<std::optional<Etcd::Kv>> kv = etcd_->Get(WriterKey());
  if (!kv.ok()) return kv.status();
  if (!kv->has_value()) return std::nullopt;
  Writer w;
  if (!DecodeWriter(**kv, &w)) {
    return absl::DataLossError(
        absl::StrCat("etcd key ", WriterKey(), " does not name a member"));
  }
  return w;
}

absl::Status ReplicaLog::Append(int64_t term, uint64_t position,
                                absl::string_view entry) {
  if (position == 0) {
    return absl::InvalidArgumentError("position: the log starts at 1");
  }
  if (entry.size() > kMaxEntryBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("entry: ", entry.size(), " bytes, above the ",
                     kMaxEntryBytes, " an etcd log entry may hold"));
  }
  const std::string key = LogKey(position);
  absl::StatusOr<bool> done = etcd_->PutIf({{WriterKey(), term}, {key, 0}},
                                           {{key, std::string(entry)}});
  for (int attempt = 1; !done.ok() && attempt < kAppendAttempts; ++attempt) {
    if (done.status().code() != absl::StatusCode::kUnavailable &&
        done.status().code() != absl::StatusCode::kDeadlineExceeded) {
      break;
    }
    // The member went away under the call: the entry may have landed.
    // Once it is there, it was appended under the writer's term (the
    // transaction checked it); otherwise try again.
    absl::StatusOr<std::optional<Etcd::Kv>> there = etcd_->Get(key);
    if (!there.ok()) return there.status();
    if (there->has_value() && (*there)->value == entry) {
      return absl::OkStatus();
    }
    if (!there->has_value()) {
      done = etcd_->PutIf({{WriterKey(), term}, {key, 0}},
                          {{key, std::string(entry)}});
    } else {
      done = false;  // another entry holds the position
    }
  }
  if (!done.ok()) return done.status();
  if (*done) return absl::OkStatus();
  // Which condition failed?
  absl::StatusOr<std::optional<Writer>> writer = CurrentWriter();
  if (!writer.ok()) return writer.status();
  if (!writer->has_value() || (*writer)->term != term) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no longer the writer (term ", term, "); ",
        writer->has_value()
            ? absl::StrCat("the writer is ", (*writer)->member, " at ",
                           (*writer)->address, " (term ", (*writer)->term, ")")
            : std::string("there is no writer now")));
  }
  return absl::AlreadyExistsError(
      absl::StrCat("log position ", position, " is taken"));
}

absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> ReplicaLog::Read(
    uint64_t from, int64_t limit) {
  absl::StatusOr<std::vector<Etcd::Kv>> kvs =
      etcd_->Range(LogKey(from), PrefixEnd(LogPrefix()), limit);
  if (!kvs.ok()) return kvs.status();
  std::vector<std::pair<uint64_t, std::string>> out;
  out.reserve(kvs->size());
  for (Etcd::Kv& kv : *kvs) {
    uint64_t position;
    if (!ParsePosition(absl::string_view(kv.key).substr(LogPrefix().size()),
                       &position)) {
      return absl::DataLossError(
          absl::StrCat("etcd key ", kv.key, " is not a log position"));
    }
    out.emplace_back(position, std::move(kv.value));
  }
  return out;
}

absl::StatusOr<uint64_t> ReplicaLog::NextPosition() {
  absl::StatusOr<std::optional<Etcd::Kv>> last =
      etcd_->Last(LogPrefix(), PrefixEnd(LogPrefix()));
  if (!last.ok()) return last.status();
  if (!last->has_value()) return 1;
  uint64_t position;
  if (!ParsePosition(absl::string_view((*last)->key).substr(LogPrefix().size()),
                     &position)) {
    return absl::DataLossError(
        absl::StrCat("etcd key ", (*last)->key, " is not a log position"));
  }
  return position + 1;
}

absl::StatusOr<uint64_t> ReplicaLog::FirstPosition() {
  absl::StatusOr<std::vector<Etcd::Kv>> first =
      etcd_->Range(LogPrefix(), PrefixEnd(LogPrefix()), 1);
  if (!first.ok()) return first.status();
  if (first->empty()) return NextPosition();
  uint64_t position;
  if (!ParsePosition(
          absl::string_view(first->front().key).substr(LogPrefix().size()),
          &position)) {
    return absl::DataLossError(absl::StrCat("etcd key ", first->front().key,
                                            " is not a log position"));
  }
  return position;
}

absl::Status ReplicaLog::Trim(uint64_t through) {
  absl::StatusOr<uint64_t> next = NextPosition();
  if (!next.ok()) return next.status();
  if (through + 1 >= *next) {
    return absl::InvalidArgumentError(
        absl::StrCat("through: ", through,
                     " would leave no entry (the log's "
                     "last is ",
                     *next - 1, ")"));
  }
  return etcd_->Delete(LogPrefix(), LogKey(through + 1));
}

absl::Status ReplicaLog::SetApplied(absl::string_view member,
                                    absl::string_view address,
                                    uint64_t position, int64_t lease) {
  return etcd_->Put(absl::StrCat(AppliedPrefix(), member),
                    absl::StrCat(position, " ", address), lease);
}

absl::StatusOr<std::vector<ReplicaLog::Member>> ReplicaLog::Applied() {
  absl::StatusOr<std::vector<Etcd::Kv>> kvs =
      etcd_->Range(AppliedPrefix(), PrefixEnd(AppliedPrefix()), 0);
  if (!kvs.ok()) return kvs.status();
  std::vector<Member> out;
  for (const Etcd::Kv& kv : *kvs) {
    Member m;
    m.member = kv.key.substr(AppliedPrefix().size());
    const size_t space = kv.value.find(' ');
    m.address = space == std::string::npos ? "" : kv.value.substr(space + 1);
    if (!absl::SimpleAtoi(absl::string_view(kv.value).substr(0, space),
                          &m.applied)) {
      return absl::DataLossError(
          absl::StrCat("etcd key ", kv.key, " does not start with a position"));
    }
    out.push_back(std::move(m));
  }
  return out;
}

absl::StatusOr<int64_t> ReplicaLog::Stage(absl::string_view name,
                                          absl::string_view entry,
                                          int64_t lease) {
  if (name.empty() || name.find('/') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("name: '", name, "' is not a file name"));
  }
  // Deleted first, so that the key is created anew: a new revision, which
  // answers to an earlier staging do not carry.
  const std::string key = absl::StrCat(StagedPrefix(), name);
  KG_RETURN_IF_ERROR(etcd_->Delete(key));
  KG_RETURN_IF_ERROR(etcd_->Put(key, entry, lease));
  absl::StatusOr<std::optional<Etcd::Kv>> staged = etcd_->Get(key);
  if (!staged.ok()) return staged.status();
  if (!staged->has_value()) {
    return absl::UnavailableError(
        absl::StrCat("etcd key ", key, " went as it was staged"));
  }
  return (*staged)->create_revision;
}

absl::StatusOr<std::vector<ReplicaLog::Staged>> ReplicaLog::StagedEntries() {
  absl::StatusOr<std::vector<Etcd::Kv>> kvs =
      etcd_->Range(StagedPrefix(), PrefixEnd(StagedPrefix()), 0);
  if (!kvs.ok()) return kvs.status();
  std::vector<Staged> out;
  for (Etcd::Kv& kv : *kvs) {
    out.push_back(Staged{kv.key.substr(StagedPrefix().size()),
                         std::move(kv.value), kv.lease, kv.create_revision});
  }
  return out;
}

absl::Status ReplicaLog::SetHeld(const Staged& staged,
                                 absl::string_view member) {
  absl::StatusOr<bool> put = etcd_->PutIf(
      {{absl::StrCat(StagedPrefix(), staged.name), staged.revision}},
      {{absl::StrCat(HeldPrefix(staged.name), member),
        absl::StrCat(staged.revision)}},
      staged.lease);
  if (!put.ok()) return put.status();
  if (!*put) {
    return absl::FailedPreconditionError(
        absl::StrCat("payload ", staged.name, " is no longer staged"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ReplicaLog::Holders(
    absl::string_view name, int64_t revision) {
  const std::string prefix = HeldPrefix(name);
  absl::StatusOr<std::vector<Etcd::Kv>> kvs =
      etcd_->Range(prefix, PrefixEnd(prefix), 0);
  if (!kvs.ok()) return kvs.status();
  const std::string of_this_staging = absl::StrCat(revision);
  std::vector<std::string> out;
  for (const Etcd::Kv& kv : *kvs) {
    if (kv.value == of_this_staging) {
      out.push_back(kv.key.substr(prefix.size()));
    }
  }
  return out;
}

absl::Status ReplicaLog::Unstage(absl::string_view name) {
  KG_RETURN_IF_ERROR(etcd_->Delete(absl::StrCat(StagedPrefix(), name)));
  const std::string held = HeldPrefix(name);
  return etcd_->Delete(held, PrefixEnd(held));
}

std::unique_ptr<Etcd::Watch> ReplicaLog::Watch(
    std::function<void(bool writer)> changed) {
  const std::string writer_key = WriterKey();
  return etcd_->WatchRanges(
      {{LogPrefix(), PrefixEnd(LogPrefix())},
       {StagedPrefix(), PrefixEnd(StagedPrefix())},
       {writer_key, ""}},
      [writer_key, changed = std::move(changed)](const std::string& key) {
        if (key.empty()) changed(false);
        changed(key.empty() || key == writer_key);
      });
}

}  // namespace kg::replica
