// QuerySlots: at most N expensive queries (paths, neighbourhoods) run at
// once; the others wait for a slot until their deadline or cancellation.
// Keeps a burst of worst-case queries from taking every core away from
// cheap lookups.
//
//   KG_ASSIGN_OR_RETURN(QuerySlots::Slot slot, slots.Acquire(deadline,
//   cancelled));
//   ... run the query; the slot is released when `slot` goes away ...
//
// Thread-safe.
#ifndef KG_SERVER_QUERY_SLOTS_H_
#define KG_SERVER_QUERY_SLOTS_H_

#include <functional>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace kg::server {

class QuerySlots {
 public:
  // A held slot; releases it on destruction. Movable.
  class Slot {
   public:
    Slot(Slot&& other) : owner_(other.owner_) { other.owner_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    ~Slot();

   private:
    friend class QuerySlots;
    explicit Slot(QuerySlots* owner) : owner_(owner) {}
    QuerySlots* owner_;
  };

  // A query admitted to run or queue; releases its place on destruction.
  // Movable.
  class Ticket {
   public:
    Ticket(Ticket&& other) : owner_(other.owner_) { other.owner_ = nullptr; }
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket();

   private:
    friend class QuerySlots;
    explicit Ticket(QuerySlots* owner) : owner_(owner) {}
    QuerySlots* owner_;
  };

  QuerySlots(int slots, int max_queued)
      : slots_(slots), free_(slots), places_(slots + max_queued) {}

  // Admits a query when fewer than slots + max_queued are admitted;
  // RESOURCE_EXHAUSTED otherwise.
  absl::StatusOr<Ticket> Admit();

  // Waits for a free slot. DEADLINE_EXCEEDED when `deadline` passes first,
  // CANCELLED when `is_cancelled` turns true (checked every few ms).
  absl::StatusOr<Slot> Acquire(const Ticket& ticket, absl::Time deadline,
                               const std::function<bool()>& is_cancelled);

  int waiting() const;
  // Slots held by running queries.
  int in_use() const;

 private:
  void Release();
  void Leave();

  const int slots_;
  mutable absl::Mutex mu_;
  int free_ ABSL_GUARDED_BY(mu_);
  int places_ ABSL_GUARDED_BY(mu_);
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kg::server

#endif  // KG_SERVER_QUERY_SLOTS_H_
