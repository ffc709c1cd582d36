// Counters, gauges and histograms with labels, written in Prometheus's text
// exposition format (version 0.0.4) for kg-server's /metrics
// (docs/http.md "Metrics"). Ours rather than prometheus-cpp: Debian's
// prometheus-cpp-dev depends on libcurl4-openssl-dev, which cannot be
// installed beside libcurl4-gnutls-dev, which libraptor2-dev (the tests'
// RDF/XML reader) needs; and the format is a page long.
//
//   metrics::Registry registry;
//   metrics::CounterFamily& calls = registry.AddCounter("kg_calls_total",
//   "..."); calls.Get({{"method", "GetEntity"}, {"code", "OK"}}).Increment();
//   std::string text = metrics::TextFormat(registry.Collect());
//
// Thread-safe.
#ifndef KG_METRICS_METRICS_H_
#define KG_METRICS_METRICS_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace kg::metrics {

// Label names and values, in the order given.
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class Type { kCounter, kGauge, kHistogram };

// One line of the exposition: the family's name plus `suffix` ("_bucket",
// "_sum", "_count" for histograms; "" otherwise), labels and value.
struct Sample {
  std::string suffix;
  Labels labels;
  double value = 0;
};

struct Family {
  std::string name;
  std::string help;
  Type type = Type::kGauge;
  std::vector<Sample> samples;
};

// What a scrape reads.
class Collectable {
 public:
  virtual ~Collectable() = default;
  virtual std::vector<Family> Collect() const = 0;
};

// The families in Prometheus's text format: HELP and TYPE lines, then the
// samples; label values and help escaped as the format says.
std::string TextFormat(const std::vector<Family>& families);

// A family of one sample: what a Collectable reads at scrape time.
Family Single(std::string name, std::string help, Type type, double value);

class Counter {
 public:
  void Increment(double by = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, ascending; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  // Appends the _bucket, _sum and _count samples, with `labels`.
  void AppendSamples(const Labels& labels, std::vector<Sample>* out) const;

 private:
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::vector<uint64_t> counts_ ABSL_GUARDED_BY(mu_);  // per bucket, +Inf last
  double sum_ ABSL_GUARDED_BY(mu_) = 0;
};

// A counter per label set, made on first use; references stay valid.
class CounterFamily : public Collectable {
 public:
  CounterFamily(std::string name, std::string help)
      : name_(std::move(name)), help_(std::move(help)) {}
  Counter& Get(const Labels& labels);
  std::vector<Family> Collect() const override;

 private:
  const std::string name_;
  const std::string help_;
  mutable absl::Mutex mu_;
  std::map<Labels, std::unique_ptr<Counter>> counters_ ABSL_GUARDED_BY(mu_);
};

class HistogramFamily : public Collectable {
 public:
  HistogramFamily(std::string name, std::string help,
                  std::vector<double> bounds)
      : name_(std::move(name)),
        help_(std::move(help)),
        bounds_(std::move(bounds)) {}
  Histogram& Get(const Labels& labels);
  std::vector<Family> Collect() const override;

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::map<Labels, std::unique_ptr<Histogram>> histograms_ ABSL_GUARDED_BY(mu_);
};

// The families one component keeps, in the order added.
class Registry : public Collectable {
 public:
  CounterFamily& AddCounter(std::string name, std::string help);
  HistogramFamily& AddHistogram(std::string name, std::string help,
                                std::vector<double> bounds);
  std::vector<Family> Collect() const override;

 private:
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Collectable>> families_ ABSL_GUARDED_BY(mu_);
};

// Latency buckets in seconds, 100 µs to 30 s.
const std::vector<double>& LatencyBuckets();

}  // namespace kg::metrics

#endif  // KG_METRICS_METRICS_H_
