// A server-streaming reactor for work that may be long (FindPaths, Query):
// the generic part of the stream, with its back-pressure, memory budget,
// deadline and query slot. A derived reactor says what the work is (Run)
// and calls Start last in its constructor. Internal to server/.
//
// The work first runs inline, in the constructor on the callback thread
// that took the call, within a share the derived Run sets; work that needs
// more (Run sets retry_) starts again from scratch on a thread of its own
// once it gets a query slot (QuerySlots), so a long query never holds a
// callback thread for long and a burst of them cannot take every core.
//
// An inline answer is kept until the work ends (it may have to start
// again), then written; one that outgrows kInlineResponses messages or
// kInlineBytes starts again on a thread too, so what an inline call holds
// is small, and a client that stops reading it has it cancelled at its
// deadline (an alarm). Work on a thread streams: each response goes into a
// queue as soon as it is made, and the reactor writes the queue one
// message at a time. The queue holds at most kQueuedResponses messages;
// while it is full the work waits, so a client that reads slowly slows the
// work down instead of growing the server's memory. The thread holds its
// slot until the stream has ended and is the one to finish the call. The
// deadline covers the whole stream: responses not yet written when it
// passes are dropped, and a write the client has not taken a second later
// is cancelled, so a client that stops reading cannot keep a slot. Either
// way the messages held count against the query's and the server's memory
// budgets (QueryMemory) until written; an error ends the stream after the
// responses already made.
#ifndef KG_SERVER_STREAM_REACTOR_H_
#define KG_SERVER_STREAM_REACTOR_H_

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/alarm.h"
#include "grpcpp/grpcpp.h"
#include "server/grpc_status.h"
#include "server/query_memory.h"
#include "server/query_slots.h"
#include "storage/status_macros.h"

namespace kg::server {

// The call's deadline: the client's, or the server's default when the
// client sent none.
inline absl::Time DeadlineOf(grpc::CallbackServerContext* ctx,
                             absl::Duration default_deadline) {
  const absl::Time client = absl::FromChrono(ctx->deadline());
  const absl::Time fallback = absl::Now() + default_deadline;
  return client < fallback ? client : fallback;
}

template <typename Response>
class StreamReactor : public grpc::ServerWriteReactor<Response> {
 public:
  StreamReactor(QuerySlots* slots, QueryMemory* memory,
                grpc::CallbackServerContext* ctx)
      : slots_(slots), memory_(memory), account_(memory->Open()), ctx_(ctx) {}

  void OnWriteDone(bool ok) override {
    Next next;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      account_.Release(current_bytes_);
      current_bytes_ = 0;
      if (!ok) broken_ = true;
      next = TakeNext();
    }
    Do(next);
  }

  void OnDone() override {
    if (alarm_state_ != nullptr) {
      absl::MutexLock lock(&alarm_state_->mu);
      alarm_state_->ctx = nullptr;
    }
    delete this;
  }

 protected:
  // Runs the work, passing each response to `emit` as it comes. With
  // `inline_budget`, work that outgrows the inline share stops and sets
  // retry_ instead (what it emitted is then dropped); without, it runs on
  // a thread of its own and must first take a slot (AcquireSlot).
  virtual absl::Status Run(
      bool inline_budget,
      const std::function<absl::Status(Response)>& emit) = 0;

  // On the thread: waits for a query slot until `deadline`.
  absl::Status AcquireSlot(absl::Time deadline) {
    absl::StatusOr<QuerySlots::Slot> acquired = slots_->Acquire(
        *ticket_, deadline, [this] { return ctx_->IsCancelled(); });
    if (!acquired.ok()) return acquired.status();
    slot_.emplace(*std::move(acquired));
    return absl::OkStatus();
  }

  // Called once by the derived constructor, last: tries the work inline,
  // and moves it to a thread when it asks to (retry_).
  void Start(const absl::Status& allowed) {
    if (!allowed.ok()) {
      this->Finish(ToGrpcStatus(allowed));
      return;
    }
    std::deque<Queued> found;
    int64_t found_bytes = 0;
    absl::Status status = Run(
        /*inline_budget=*/true, [&](Response response) -> absl::Status {
          const int64_t bytes = static_cast<int64_t>(response.ByteSizeLong());
          found_bytes += bytes;
          if (found.size() >= kInlineResponses || found_bytes > kInlineBytes) {
            inline_overflow_ = true;
            return absl::AbortedError("the answer outgrew the inline share");
          }
          absl::MutexLock lock(&mu_);
          KG_RETURN_IF_ERROR(account_.Charge(bytes));
          found.push_back(Queued{std::move(response), bytes});
          return absl::OkStatus();
        });
    // An answer that outgrew the inline share starts again on a thread,
    // whatever the work made of the refusal.
    if (retry_ || inline_overflow_) {
      // The thread's run starts from scratch: its own overflow and retry
      // are not the inline attempt's.
      retry_ = false;
      inline_overflow_ = false;
      found.clear();
      {
        absl::MutexLock lock(&mu_);
        account_.Release(account_.held());
      }
      // A place in the queue before a thread: parked threads are bounded.
      absl::StatusOr<QuerySlots::Ticket> ticket = slots_->Admit();
      if (!ticket.ok()) {
        this->Finish(ToGrpcStatus(ticket.status()));
        return;
      }
      ticket_.emplace(*std::move(ticket));
      {
        absl::MutexLock lock(&mu_);
        on_thread_ = true;
      }
      std::thread([this] { Search(); }).detach();
      return;
    }
    Next next;
    {
      absl::MutexLock lock(&mu_);
      queue_ = std::move(found);
      final_status_ = ToGrpcStatus(status);
      next = TakeNext();
    }
    // A client that stops reading an inline answer has its call cancelled
    // a little after the deadline, as on a thread (Drain).
    if (next.action == Next::kWrite || next.action == Next::kWriteAndFinish) {
      alarm_state_ = std::make_shared<AlarmState>();
      {
        absl::MutexLock lock(&alarm_state_->mu);
        alarm_state_->ctx = ctx_;
      }
      alarm_.Set(absl::ToChronoTime(deadline_ + kStuckWriteGrace),
                 [state = alarm_state_](bool fired) {
                   if (!fired) return;
                   absl::MutexLock lock(&state->mu);
                   if (state->ctx != nullptr) state->ctx->TryCancel();
                 });
    }
    Do(next);
  }

 protected:
  // At most this many responses wait to be written.
  static constexpr size_t kQueuedResponses = 32;
  // An inline answer larger than this goes to a thread (see above).
  static constexpr size_t kInlineResponses = kQueuedResponses;
  static constexpr int64_t kInlineBytes = int64_t{256} << 10;

  // A response waiting to be written, and its size as charged.
  struct Queued {
    Response response;
    int64_t bytes = 0;
  };

  // What the inline stream's alarm may touch after the reactor is gone.
  struct AlarmState {
    absl::Mutex mu;
    grpc::CallbackServerContext* ctx ABSL_GUARDED_BY(mu) = nullptr;
  };
  // How long after the deadline a write may stay pending before the call
  // is cancelled.
  static constexpr absl::Duration kStuckWriteGrace = absl::Seconds(1);

  // What the reactor does next with the stream.
  struct Next {
    enum { kNothing, kWrite, kWriteAndFinish, kFinish } action = kNothing;
    grpc::Status status;  // for kWriteAndFinish and kFinish
  };

  // The search on its own thread, streaming; the last use of `this` on it
  // is Finish.
  void Search() {
    absl::Status status =
        Run(/*inline_budget=*/false,
            [this](Response response) { return Push(std::move(response)); });
    const grpc::Status end = Drain(status);
    // The place in the queue first: whoever gets the slot next finds it
    // free.
    ticket_.reset();
    slot_.reset();
    this->Finish(end);
  }

  // Queues a response for writing, waiting while the queue is full (in
  // messages, or in bytes by the query's memory budget).
  // DEADLINE_EXCEEDED when the deadline passes first, CANCELLED when the
  // stream is broken, RESOURCE_EXHAUSTED past a memory budget.
  absl::Status Push(Response response) {
    const int64_t bytes = static_cast<int64_t>(response.ByteSizeLong());
    Next next;
    {
      absl::MutexLock lock(&mu_);
      const auto room = [this, bytes]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return broken_ || (queue_.size() < kQueuedResponses &&
                           (account_.held() == 0 || memory_->per_query() <= 0 ||
                            account_.held() + bytes <= memory_->per_query()));
      };
      if (!mu_.AwaitWithDeadline(absl::Condition(&room), deadline_)) {
        return absl::DeadlineExceededError(
            "the deadline passed while the client was not reading the paths");
      }
      if (broken_) return absl::CancelledError("the stream is broken");
      KG_RETURN_IF_ERROR(account_.Charge(bytes));
      queue_.push_back(Queued{std::move(response), bytes});
      next = TakeNext();
    }
    Do(next);
    return absl::OkStatus();
  }

  // Once the search on a thread has ended with `status`: waits until every
  // queued response is written or the stream breaks, and returns the status
  // to finish with.
  grpc::Status Drain(const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    const auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !writing_ && (queue_.empty() || broken_);
    };
    bool dropped = false;
    if (!mu_.AwaitWithDeadline(absl::Condition(&drained), deadline_)) {
      dropped = !queue_.empty();
      for (const Queued& q : queue_) account_.Release(q.bytes);
      queue_.clear();
      if (!mu_.AwaitWithTimeout(absl::Condition(&drained), kStuckWriteGrace)) {
        // The client stopped reading; cancelling fails the pending write.
        ctx_->TryCancel();
        mu_.Await(absl::Condition(&drained));
      }
    }
    if (broken_) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "stream broken");
    }
    if (dropped && status.ok()) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                          "the deadline passed before every path was sent");
    }
    return ToGrpcStatus(status);
  }

  // Starts the next write when none is pending. Inline, where the queue
  // holds everything from the start, the last message finishes the call;
  // on a thread, the thread finishes it (Drain).
  Next TakeNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Next next;
    if (writing_) return next;
    if (!broken_ && !queue_.empty()) {
      current_ = std::move(queue_.front().response);
      current_bytes_ = queue_.front().bytes;
      queue_.pop_front();
      writing_ = true;
      next.action =
          !on_thread_ && queue_.empty() ? Next::kWriteAndFinish : Next::kWrite;
      next.status = final_status_;
    } else if (!on_thread_) {
      next.action = Next::kFinish;
      next.status =
          broken_ ? grpc::Status(grpc::StatusCode::CANCELLED, "stream broken")
                  : final_status_;
    }
    return next;
  }

  // Does what TakeNext chose, without mu_ held (gRPC may run reactions
  // meanwhile).
  void Do(const Next& next) {
    switch (next.action) {
      case Next::kNothing:
        break;
      case Next::kWrite:
        this->StartWrite(&current_);
        break;
      case Next::kWriteAndFinish:
        this->StartWriteAndFinish(&current_, grpc::WriteOptions(), next.status);
        break;
      case Next::kFinish:
        this->Finish(next.status);
        break;
    }
  }

  QuerySlots* slots_;
  QueryMemory* memory_;
  // The bytes of responses held (queued, or being written); guarded by mu_.
  QueryMemory::Account account_;
  grpc::CallbackServerContext* ctx_;
  // Set by Run on the thread that works.
  absl::Time deadline_ = absl::InfiniteFuture();
  bool retry_ = false;            // the inline search ran out of its budget
  bool inline_overflow_ = false;  // the inline answer outgrew its share
  // Inline only: cancels a stream still being written past the deadline.
  grpc::Alarm alarm_;
  std::shared_ptr<AlarmState> alarm_state_;
  // While searching on a thread and until the stream ends.
  std::optional<QuerySlots::Ticket> ticket_;
  std::optional<QuerySlots::Slot> slot_;
  // The message being written; only whoever started the write (set
  // writing_) touches it until OnWriteDone.
  Response current_;
  int64_t current_bytes_ ABSL_GUARDED_BY(mu_) = 0;

  absl::Mutex mu_;
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;  // a write is pending
  bool broken_ ABSL_GUARDED_BY(mu_) = false;   // a write failed
  bool on_thread_ ABSL_GUARDED_BY(mu_) = false;
  // Inline: the status to finish with.
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kg::server

#endif  // KG_SERVER_STREAM_REACTOR_H_
