// QuerySlots: the queue in front of path and neighbourhood queries.
#include "server/query_slots.h"

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_util.h"

namespace kg::server {
namespace {

using ::kg::testing::IsOk;
using ::kg::testing::StatusIs;

TEST(QuerySlotsTest, AWaiterGetsTheSlotWhenItIsReleased) {
  QuerySlots slots(1);
  auto first = std::make_unique<absl::StatusOr<QuerySlots::Slot>>(
      slots.Acquire(absl::InfiniteFuture(), nullptr));
  ASSERT_THAT(*first, IsOk());
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    absl::StatusOr<QuerySlots::Slot> second =
        slots.Acquire(absl::Now() + absl::Seconds(30), nullptr);
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
  QuerySlots slots(2);
  absl::StatusOr<QuerySlots::Slot> a = slots.Acquire(absl::Now(), nullptr);
  absl::StatusOr<QuerySlots::Slot> b = slots.Acquire(absl::Now(), nullptr);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_THAT(slots.Acquire(absl::Now() + absl::Milliseconds(30), nullptr),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  std::atomic<bool> cancelled{false};
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(30));
    cancelled = true;
  });
  EXPECT_THAT(slots.Acquire(absl::InfiniteFuture(),
                            [&] { return cancelled.load(); }),
              StatusIs(absl::StatusCode::kCancelled));
  canceller.join();
  EXPECT_EQ(slots.waiting(), 0);
}

}  // namespace
}  // namespace kg::server
