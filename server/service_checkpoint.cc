// FetchCheckpoint: a checkpoint of the store streamed to the caller, file
// by file, each with its SHA-256 (kgctl backup --local; a new replica
// fetching a peer's store, docs/replicas.md).
//
// The checkpoint is taken in a scratch directory inside the data directory
// (Store::CheckpointInDataDir: hard links, so it costs little space) and
// removed when the stream ends. The stream runs on a thread of its own and
// writes one message at a time: a client that reads slowly slows it down,
// and one that reads nothing for kStalled has its call cancelled, so it
// cannot hold a stream's place for ever.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/echo.h"
#include "common/sha256_stream.h"
#include "replica/replicated_store.h"
#include "server/grpc_status.h"
#include "server/service.h"
#include "storage/status_macros.h"

namespace kg::server {

namespace {

namespace v1 = ::kg::v1;
namespace fs = std::filesystem;

// Checkpoint streams at once: each reads the whole store from disk.
constexpr int kMaxCheckpointStreams = 2;
// Payload streams at once: each follower of a set fetches each payload.
constexpr int kMaxPayloadStreams = 16;
// Bytes of a file per message.
constexpr size_t kChunkBytes = size_t{1} << 20;
// A client that takes no message for this long has its call cancelled.
constexpr absl::Duration kStalled = absl::Seconds(60);

// The files a stream sends: those of one directory, kept until the stream
// ends by `holder` (a scratch checkpoint), or one file of it.
struct Files {
  std::unique_ptr<storage::ScratchCheckpoint> holder;
  std::string dir;
  std::optional<std::string> only;  // one file of `dir`; all when unset
  uint64_t log_position = 0;
};

class CheckpointReactor
    : public grpc::ServerWriteReactor<v1::FetchCheckpointResponse> {
 public:
  // `files` runs on the stream's thread.
  CheckpointReactor(std::function<absl::StatusOr<Files>()> files,
                    std::atomic<int>* streams, int max_streams,
                    grpc::CallbackServerContext* ctx,
                    const absl::Status& allowed)
      : files_(std::move(files)), streams_(streams), ctx_(ctx) {
    if (!allowed.ok()) {
      Finish(ToGrpcStatus(allowed));
      return;
    }
    if (streams_->fetch_add(1) >= max_streams) {
      streams_->fetch_sub(1);
      Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          absl::StrCat(max_streams,
                                       " such streams are being sent already; "
                                       "try again once one has ended")));
      return;
    }
    counted_ = true;
    std::thread([this] { Stream(); }).detach();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) broken_ = true;
  }

  void OnDone() override {
    if (counted_) streams_->fetch_sub(1);
    delete this;
  }

 private:
  // On the thread; its last use of `this` is Finish.
  void Stream() {
    const absl::Status status = Send();
    {
      // A write still pending must end before the call does.
      absl::MutexLock lock(&mu_);
      AwaitWritten();
    }
    Finish(ToGrpcStatus(status));
  }

  absl::Status Send() {
    KG_ASSIGN_OR_RETURN(Files source, files_());
    std::vector<fs::path> files;
    std::error_code ec;
    if (source.only.has_value()) {
      files.push_back(fs::path(source.dir) / *source.only);
    } else {
      for (fs::directory_iterator it(source.dir, ec), end; !ec && it != end;
           it.increment(ec)) {
        if (!it->is_regular_file(ec)) {
          return absl::InternalError(absl::StrCat(
              "the checkpoint holds ", it->path().string(), ", not a file"));
        }
        files.push_back(it->path());
      }
    }
    if (ec) {
      return absl::InternalError(absl::StrCat("cannot list the checkpoint ",
                                              source.dir, ": ", ec.message()));
    }
    const uint64_t log_position = source.log_position;
    std::sort(files.begin(), files.end());
    uint64_t total = 0;
    std::string buffer(kChunkBytes, '\0');
    for (const fs::path& path : files) {
      const uint64_t size = fs::file_size(path, ec);
      if (ec) {
        return absl::InternalError(absl::StrCat(
            "cannot read the size of ", path.string(), ": ", ec.message()));
      }
      v1::FetchCheckpointResponse begin;
      begin.mutable_file_begin()->set_name(path.filename().string());
      begin.mutable_file_begin()->set_size(size);
      KG_RETURN_IF_ERROR(Write(std::move(begin)));
      std::ifstream in(path, std::ios::binary);
      Sha256Stream sha;
      uint64_t sent = 0;
      while (sent < size) {
        const size_t want =
            static_cast<size_t>(std::min<uint64_t>(kChunkBytes, size - sent));
        in.read(buffer.data(), static_cast<std::streamsize>(want));
        if (static_cast<size_t>(in.gcount()) != want) {
          return absl::InternalError(
              absl::StrCat("cannot read ", path.string(), " at byte ", sent));
        }
        const absl::string_view piece(buffer.data(), want);
        sha.Update(piece);
        v1::FetchCheckpointResponse data;
        data.set_data(std::string(piece));
        KG_RETURN_IF_ERROR(Write(std::move(data)));
        sent += want;
      }
      v1::FetchCheckpointResponse end;
      end.mutable_file_end()->set_sha256(sha.Finish());
      KG_RETURN_IF_ERROR(Write(std::move(end)));
      total += size;
    }
    v1::FetchCheckpointResponse end;
    end.mutable_end()->set_files(static_cast<uint32_t>(files.size()));
    end.mutable_end()->set_bytes(total);
    end.mutable_end()->set_log_position(log_position);
    return Write(std::move(end));
  }

  // Waits until no write is pending; cancels the call when the client
  // takes nothing for kStalled.
  void AwaitWritten() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const auto written = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !writing_;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&written), kStalled)) {
      // Fails the pending write: OnWriteDone(false), which takes mu_.
      mu_.Unlock();
      ctx_->TryCancel();
      mu_.Lock();
      mu_.Await(absl::Condition(&written));
    }
  }

  absl::Status Write(v1::FetchCheckpointResponse message) {
    {
      absl::MutexLock lock(&mu_);
      AwaitWritten();
      if (broken_ || ctx_->IsCancelled()) {
        return absl::CancelledError(
            "the checkpoint's stream ended before it was sent");
      }
      current_ = std::move(message);
      writing_ = true;
    }
    // Outside mu_: gRPC may run OnWriteDone at once.
    StartWrite(&current_);
    return absl::OkStatus();
  }

  const std::function<absl::StatusOr<Files>()> files_;
  std::atomic<int>* streams_;
  grpc::CallbackServerContext* ctx_;
  bool counted_ = false;  // holds one of *streams_
  // The message being written; only the thread touches it, between writes.
  v1::FetchCheckpointResponse current_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerWriteReactor<v1::FetchCheckpointResponse>*
KnowledgeGraphService::FetchCheckpoint(grpc::CallbackServerContext* ctx,
                                       const v1::FetchCheckpointRequest*) {
  storage::Store* store = store_;
  return new CheckpointReactor(
      [store]() -> absl::StatusOr<Files> {
        Files files;
        // The checkpoint holds this position or a later one.
        files.log_position = store->log_position();
        KG_ASSIGN_OR_RETURN(files.holder, store->CheckpointInDataDir());
        files.dir = files.holder->dir();
        return files;
      },
      &checkpoint_streams_, kMaxCheckpointStreams, ctx, Admit(ctx, __func__));
}

grpc::ServerWriteReactor<v1::FetchCheckpointResponse>*
KnowledgeGraphService::FetchLogPayload(
    grpc::CallbackServerContext* ctx,
    const v1::FetchLogPayloadRequest* request) {
  absl::Status allowed = Admit(ctx, __func__);
  const std::string name = request->name();
  if (allowed.ok() && replica_ == nullptr) {
    allowed = absl::FailedPreconditionError(
        "this server is not in a replica set: it holds no log payloads");
  }
  if (allowed.ok() && replica_->payload_dir().empty()) {
    allowed =
        absl::FailedPreconditionError("this replica keeps no log payloads");
  }
  if (allowed.ok() &&
      (name.empty() || name.find('/') != std::string::npos ||
       name.find('\0') != std::string::npos || name.front() == '.' ||
       !absl::EndsWith(name, ".payload"))) {
    allowed = absl::InvalidArgumentError(
        absl::StrCat("name: ", EchoValue(name),
                     " is not the name of a log payload file "
                     "(\"<position>-<term>.payload\")"));
  }
  std::string dir;
  if (allowed.ok()) {
    dir = replica_->payload_dir();
    std::error_code ec;
    if (!fs::is_regular_file(fs::path(dir) / name, ec)) {
      allowed = absl::NotFoundError(absl::StrCat(
          "name: this replica holds no payload ", EchoValue(name)));
    }
  }
  return new CheckpointReactor(
      [dir, name]() -> absl::StatusOr<Files> {
        Files files;
        files.dir = dir;
        files.only = name;
        return files;
      },
      &payload_streams_, kMaxPayloadStreams, ctx, allowed);
}

}  // namespace kg::server
