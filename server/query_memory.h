// QueryMemory: the bytes that queries hold in answers not yet sent, bounded
// per query and for the whole server. A query opens an Account, charges
// each answer message before it keeps it and releases it once written;
// a charge past either budget fails with RESOURCE_EXHAUSTED naming the
// budget's flag, and ends the query (docs/operations.md, "Memory").
//
//   QueryMemory::Account account = memory.Open();
//   KG_RETURN_IF_ERROR(account.Charge(response.ByteSizeLong()));
//   ... keep the response until it is written ...
//   account.Release(size);
//
// What a search holds meanwhile (its frontier and visited sets) is bounded
// by its traversal budget and by the query slots instead. Thread-safe; an
// Account is used by one query at a time.
#ifndef KG_SERVER_QUERY_MEMORY_H_
#define KG_SERVER_QUERY_MEMORY_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"

namespace kg::server {

class QueryMemory {
 public:
  class Account {
   public:
    Account(Account&& other) : owner_(other.owner_), held_(other.held_) {
      other.owner_ = nullptr;
      other.held_ = 0;
    }
    Account& operator=(Account&&) = delete;
    ~Account() { Release(held_); }

    // Counts `bytes` as held by this query. RESOURCE_EXHAUSTED (nothing
    // charged) when the query would hold more than the per-query budget, or
    // all queries together more than the server's.
    absl::Status Charge(int64_t bytes);
    void Release(int64_t bytes);
    int64_t held() const { return held_; }

   private:
    friend class QueryMemory;
    explicit Account(QueryMemory* owner) : owner_(owner) {}
    QueryMemory* owner_;
    int64_t held_ = 0;
  };

  // Budgets in bytes; <= 0 for no bound.
  QueryMemory(int64_t per_query, int64_t total)
      : per_query_(per_query), total_(total) {}

  Account Open() { return Account(this); }
  int64_t per_query() const { return per_query_; }
  // Bytes held by all queries now.
  int64_t held() const { return held_.load(); }

 private:
  const int64_t per_query_;
  const int64_t total_;
  std::atomic<int64_t> held_{0};
};

}  // namespace kg::server

#endif  // KG_SERVER_QUERY_MEMORY_H_
