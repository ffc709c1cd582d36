#include "client/checkpoint_download.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/sha256_stream.h"
#include "common/status_macros.h"

namespace kg::client {

namespace {

namespace fs = std::filesystem;

// Cancels a call that receives nothing for `stall`: a peer that stops
// sending must not hold a replica's start, or its apply, for ever, however
// long a whole transfer may rightly take.
class StallWatch {
 public:
  StallWatch(grpc::ClientContext* ctx, absl::Duration stall)
      : ctx_(ctx), stall_(stall), last_(absl::Now()) {
    thread_ = std::thread([this] { Run(); });
  }
  ~StallWatch() {
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
    }
    thread_.join();
  }
  void Received() {
    absl::MutexLock lock(&mu_);
    last_ = absl::Now();
  }
  // DEADLINE_EXCEEDED naming `peer` when the call was cancelled for a
  // stall; `status` otherwise.
  absl::Status Explain(absl::Status status, const std::string& peer) {
    absl::MutexLock lock(&mu_);
    if (!stalled_ || status.ok()) return status;  // it came whole anyway
    return absl::DeadlineExceededError(
        absl::StrCat(peer, " sent nothing for ", absl::FormatDuration(stall_),
                     "; the transfer was given up"));
  }

 private:
  void Run() {
    absl::MutexLock lock(&mu_);
    while (!done_) {
      const absl::Time due = last_ + stall_;
      if (absl::Now() >= due) {
        stalled_ = true;
        ctx_->TryCancel();
        return;
      }
      mu_.AwaitWithDeadline(absl::Condition(&done_), due);
    }
  }

  grpc::ClientContext* const ctx_;
  const absl::Duration stall_;
  absl::Mutex mu_;
  absl::Time last_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool stalled_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(errno)));
}

// fsync of a file or directory by path.
absl::Status SyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return Errno("open", path);
  const int synced = ::fsync(fd);
  ::close(fd);
  if (synced != 0) return Errno("sync", path);
  return absl::OkStatus();
}

}  // namespace

// The file being received.
class OpenCheckpointFile {
 public:
  static absl::StatusOr<std::unique_ptr<OpenCheckpointFile>> Create(
      std::string path, uint64_t size) {
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Errno("create", path);
    return std::unique_ptr<OpenCheckpointFile>(
        new OpenCheckpointFile(std::move(path), size, fd));
  }
  ~OpenCheckpointFile() {
    if (fd_ >= 0) ::close(fd_);
  }

  absl::Status Append(absl::string_view bytes) {
    if (bytes.size() > size_ - written_) {
      return absl::DataLossError(absl::StrCat("the server sent more than the ",
                                              size_, " bytes it announced for ",
                                              path_));
    }
    sha_.Update(bytes);
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Errno("write", path_);
      }
      bytes.remove_prefix(static_cast<size_t>(n));
      written_ += static_cast<uint64_t>(n);
    }
    return absl::OkStatus();
  }

  // Checks the file is whole and as sent, and syncs it.
  absl::Status Close(absl::string_view sha256) {
    if (written_ != size_) {
      return absl::DataLossError(absl::StrCat(
          "the server sent ", written_, " bytes of ", path_, ", not ", size_));
    }
    if (sha_.Finish() != sha256) {
      return absl::DataLossError(
          absl::StrCat(path_, " arrived with another SHA-256 than sent"));
    }
    if (::fsync(fd_) != 0) return Errno("sync", path_);
    const int closed = ::close(fd_);
    fd_ = -1;
    if (closed != 0) return Errno("close", path_);
    return absl::OkStatus();
  }

 private:
  OpenCheckpointFile(std::string path, uint64_t size, int fd)
      : path_(std::move(path)), size_(size), fd_(fd) {}

  std::string path_;
  uint64_t size_;
  int fd_;
  uint64_t written_ = 0;
  Sha256Stream sha_;
};

namespace {

// A name the server may give a file: one plain component.
bool PlainName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

}  // namespace

CheckpointReceiver::CheckpointReceiver(std::string dir, bool store)
    : dir_(std::move(dir)), store_(store) {}
CheckpointReceiver::~CheckpointReceiver() = default;

absl::Status CheckpointReceiver::Take(
    const kg::v1::FetchCheckpointResponse& message) {
  if (end_.has_value()) {
    return absl::DataLossError("the server sent more after the end");
  }
  switch (message.part_case()) {
    case kg::v1::FetchCheckpointResponse::kFileBegin: {
      const auto& begin = message.file_begin();
      if (file_ != nullptr) {
        return absl::DataLossError(absl::StrCat(
            "the server began \"", begin.name(), "\" within another file"));
      }
      if (!PlainName(begin.name())) {
        return absl::DataLossError(absl::StrCat("the server named a file \"",
                                                begin.name(),
                                                "\", not one plain name"));
      }
      const std::string path = absl::StrCat(dir_, "/", begin.name());
      std::error_code ec;
      if (fs::exists(path, ec)) {
        return absl::DataLossError(
            absl::StrCat("the server sent \"", begin.name(), "\" twice"));
      }
      KG_ASSIGN_OR_RETURN(file_,
                          OpenCheckpointFile::Create(path, begin.size()));
      return absl::OkStatus();
    }
    case kg::v1::FetchCheckpointResponse::kData:
      if (file_ == nullptr) {
        return absl::DataLossError("the server sent bytes outside a file");
      }
      KG_RETURN_IF_ERROR(file_->Append(message.data()));
      got_.bytes += message.data().size();
      return absl::OkStatus();
    case kg::v1::FetchCheckpointResponse::kFileEnd:
      if (file_ == nullptr) {
        return absl::DataLossError("the server ended a file it never began");
      }
      KG_RETURN_IF_ERROR(file_->Close(message.file_end().sha256()));
      file_.reset();
      ++got_.files;
      return absl::OkStatus();
    case kg::v1::FetchCheckpointResponse::kEnd:
      if (file_ != nullptr) {
        return absl::DataLossError("the server ended within a file");
      }
      end_ = message.end();
      return absl::OkStatus();
    default:
      return absl::DataLossError(
          "the server sent a message of a kind not known here");
  }
}

absl::StatusOr<DownloadedCheckpoint> CheckpointReceiver::Finish() {
  if (!end_.has_value()) {
    return absl::DataLossError("the stream ended without the checkpoint's end");
  }
  if (end_->files() != got_.files || end_->bytes() != got_.bytes) {
    return absl::DataLossError(absl::StrCat(
        "the server said it sent ", end_->files(), " files of ", end_->bytes(),
        " bytes; ", got_.files, " files of ", got_.bytes, " bytes arrived"));
  }
  std::error_code ec;
  if (store_ && !fs::exists(dir_ + "/CURRENT", ec)) {
    return absl::DataLossError(
        "the server sent no CURRENT file: what arrived is not a store");
  }
  DownloadedCheckpoint got = got_;
  got.log_position = end_->log_position();
  return got;
}

namespace {

// Reads a checkpoint-form stream to its end into `receiver` (`progress`,
// when set, told the bytes after each message), giving up on a peer that
// sends nothing for `stall`; the first error, or the call's status.
absl::Status Receive(
    grpc::ClientContext* ctx,
    grpc::ClientReader<kg::v1::FetchCheckpointResponse>& reader,
    absl::Duration stall, const std::string& peer, CheckpointReceiver& receiver,
    const std::function<void(uint64_t bytes)>& progress) {
  absl::Status status;
  StallWatch watch(ctx, stall);
  kg::v1::FetchCheckpointResponse message;
  while (status.ok() && reader.Read(&message)) {
    watch.Received();
    status = receiver.Take(message);
    watch.Received();  // the time this side took is not the peer's
    if (status.ok() && progress) progress(receiver.bytes());
  }
  if (!status.ok()) ctx->TryCancel();
  const absl::Status call = ToAbsl(reader.Finish());
  return status.ok() ? watch.Explain(call, peer) : status;
}

}  // namespace

absl::StatusOr<DownloadedCheckpoint> DownloadCheckpoint(
    Connection& conn, const std::string& dir,
    const std::function<void(uint64_t bytes)>& progress, absl::Duration stall) {
  fs::path target = fs::path(dir).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "a/b/"
  std::error_code ec;
  if (target.empty() || fs::exists(target, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("directory: \"", dir, "\" ",
                     target.empty() ? "is empty" : "already exists"));
  }
  const fs::path parent =
      target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("directory: the parent directory \"", parent.string(),
                     "\" does not exist"));
  }
  const std::string partial = target.string() + ".partial";
  fs::remove_all(partial, ec);
  if (!fs::create_directory(partial, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "directory: cannot create \"", partial, "\": ", ec.message()));
  }
  std::unique_ptr<grpc::ClientContext> ctx = conn.StreamContext();
  std::unique_ptr<grpc::ClientReader<kg::v1::FetchCheckpointResponse>> reader =
      conn.kg().FetchCheckpoint(ctx.get(), kg::v1::FetchCheckpointRequest());
  CheckpointReceiver receiver(partial);
  absl::Status status =
      Receive(ctx.get(), *reader, stall, conn.server(), receiver, progress);
  absl::StatusOr<DownloadedCheckpoint> got = DownloadedCheckpoint();
  if (status.ok()) {
    got = receiver.Finish();
    status = got.status();
  }
  if (status.ok()) status = SyncPath(partial);
  if (status.ok()) {
    fs::rename(partial, target, ec);
    if (ec) {
      status = absl::InternalError(absl::StrCat("cannot rename ", partial,
                                                " to ", target.string(), ": ",
                                                ec.message()));
    }
  }
  if (status.ok()) status = SyncPath(parent.string());
  if (!status.ok()) {
    fs::remove_all(partial, ec);
    return status;
  }
  return got;
}

absl::Status DownloadLogPayload(Connection& conn, const std::string& name,
                                const std::string& path, absl::Duration stall) {
  std::error_code ec;
  const std::string dir = path + ".stream";
  fs::remove_all(dir, ec);
  if (!fs::create_directory(dir, ec)) {
    return absl::InternalError(
        absl::StrCat("cannot create ", dir, ": ", ec.message()));
  }
  std::unique_ptr<grpc::ClientContext> ctx = conn.StreamContext();
  kg::v1::FetchLogPayloadRequest request;
  request.set_name(name);
  std::unique_ptr<grpc::ClientReader<kg::v1::FetchCheckpointResponse>> reader =
      conn.kg().FetchLogPayload(ctx.get(), request);
  CheckpointReceiver receiver(dir, /*store=*/false);
  absl::Status status =
      Receive(ctx.get(), *reader, stall, conn.server(), receiver, nullptr);
  if (status.ok()) {
    absl::StatusOr<DownloadedCheckpoint> got = receiver.Finish();
    status = got.status();
    if (status.ok() && (got->files != 1 || !fs::exists(dir + "/" + name, ec))) {
      status = absl::DataLossError(absl::StrCat(
          "the replica sent ", got->files, " files, not the payload ", name));
    }
  }
  if (status.ok()) {
    fs::rename(dir + "/" + name, path, ec);
    if (ec) {
      status = absl::InternalError(absl::StrCat("cannot move the payload to ",
                                                path, ": ", ec.message()));
    }
  }
  fs::remove_all(dir, ec);
  return status;
}

}  // namespace kg::client
