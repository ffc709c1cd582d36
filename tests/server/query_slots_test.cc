// QuerySlots: the queue in front of path and neighbourhood queries.
#include "server/query_slots.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_util.h"

namespace kg::server {
namespace {

using ::kg::testing::IsOk;
using ::kg::testing::StatusIs;

TEST(QuerySlotsTest, AWaiterGetsTheSlotWhenItIsReleased) {
  QuerySlots slots(1, 1);
  absl::StatusOr<QuerySlots::Ticket> t1 = slots.Admit();
  absl::StatusOr<QuerySlots::Ticket> t2 = slots.Admit();
  ASSERT_THAT(t1, IsOk());
  ASSERT_THAT(t2, IsOk());
  auto first = std::make_unique<absl::StatusOr<QuerySlots::Slot>>(
      slots.Acquire(*t1, absl::InfiniteFuture(), nullptr));
  ASSERT_THAT(*first, IsOk());
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    absl::StatusOr<QuerySlots::Slot> second =
        slots.Acquire(*t2, absl::Now() + absl::Seconds(30), nullptr);
    EXPECT_THAT(second, IsOk());
    got = true;
  });
  while (slots.waiting() == 0) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_FALSE(got);
  first.reset();  // releases
  waiter.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(slots.waiting(), 0);
}

TEST(QuerySlotsTest, WaitingEndsAtTheDeadlineOrOnCancellation) {
  QuerySlots slots(2, 8);
  absl::StatusOr<QuerySlots::Ticket> ticket = slots.Admit();
  ASSERT_THAT(ticket, IsOk());
  absl::StatusOr<QuerySlots::Slot> a =
      slots.Acquire(*ticket, absl::Now(), nullptr);
  absl::StatusOr<QuerySlots::Slot> b =
      slots.Acquire(*ticket, absl::Now(), nullptr);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_THAT(
      slots.Acquire(*ticket, absl::Now() + absl::Milliseconds(30), nullptr),
      StatusIs(absl::StatusCode::kDeadlineExceeded));
  std::atomic<bool> cancelled{false};
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(30));
    cancelled = true;
  });
  EXPECT_THAT(slots.Acquire(*ticket, absl::InfiniteFuture(),
                            [&] { return cancelled.load(); }),
              StatusIs(absl::StatusCode::kCancelled));
  canceller.join();
  EXPECT_EQ(slots.waiting(), 0);
}

TEST(QuerySlotsTest, AdmissionIsRefusedBeyondSlotsPlusQueue) {
  QuerySlots slots(1, 2);
  std::vector<QuerySlots::Ticket> tickets;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<QuerySlots::Ticket> t = slots.Admit();
    ASSERT_THAT(t, IsOk()) << i;
    tickets.push_back(*std::move(t));
  }
  EXPECT_THAT(slots.Admit(),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       ::testing::HasSubstr("--max_queued_path_queries")));
  tickets.pop_back();  // one leaves: one more may enter
  EXPECT_THAT(slots.Admit(), IsOk());
}

}  // namespace
}  // namespace kg::server
