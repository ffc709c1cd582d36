// metrics/: the text format as Prometheus reads it (escaping, histogram
// buckets cumulative with +Inf, counters shared by label set).
#include "metrics/metrics.h"

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kg::metrics {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, CountersAreOnePerLabelSetAndEscaped) {
  Registry registry;
  CounterFamily& calls =
      registry.AddCounter("kg_calls_total", "Calls.\nBy \\ code.");
  calls.Get({{"method", "a\"b\\c\nd"}}).Increment();
  calls.Get({{"method", "a\"b\\c\nd"}}).Increment(2);
  calls.Get({{"method", "other"}}).Increment();
  const std::string text = TextFormat(registry.Collect());
  EXPECT_THAT(text,
              HasSubstr("# HELP kg_calls_total Calls.\\nBy \\\\ code.\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE kg_calls_total counter\n"));
  EXPECT_THAT(text,
              HasSubstr("kg_calls_total{method=\"a\\\"b\\\\c\\nd\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("kg_calls_total{method=\"other\"} 1\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInf) {
  Registry registry;
  HistogramFamily& h = registry.AddHistogram("kg_t_seconds", "Time.", {0.1, 1});
  h.Get({{"route", "/x"}}).Observe(0.05);
  h.Get({{"route", "/x"}}).Observe(0.5);
  h.Get({{"route", "/x"}}).Observe(5);
  const std::string text = TextFormat(registry.Collect());
  EXPECT_THAT(text,
              HasSubstr("kg_t_seconds_bucket{route=\"/x\",le=\"0.1\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("kg_t_seconds_bucket{route=\"/x\",le=\"1\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("kg_t_seconds_bucket{route=\"/x\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("kg_t_seconds_sum{route=\"/x\"} 5.55\n"));
  EXPECT_THAT(text, HasSubstr("kg_t_seconds_count{route=\"/x\"} 3\n"));
}

TEST(MetricsTest, ConcurrentIncrementsAreAllCounted) {
  Registry registry;
  CounterFamily& c = registry.AddCounter("kg_n_total", "N.");
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&c] {
      for (int i = 0; i < 10000; ++i) c.Get({}).Increment();
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(c.Get({}).value(), 80000);
}

}  // namespace
}  // namespace kg::metrics
