#include "metrics/metrics.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kg::metrics {

namespace {

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return absl::StrFormat("%.10g", v);
}

// Label values escape backslash, double quote and newline; help text
// backslash and newline.
std::string Escape(const std::string& s, bool quote) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

const char* TypeName(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string TextFormat(const std::vector<Family>& families) {
  std::string out;
  for (const Family& f : families) {
    absl::StrAppend(&out, "# HELP ", f.name, " ", Escape(f.help, false), "\n",
                    "# TYPE ", f.name, " ", TypeName(f.type), "\n");
    for (const Sample& s : f.samples) {
      absl::StrAppend(&out, f.name, s.suffix);
      if (!s.labels.empty()) {
        out += '{';
        for (size_t i = 0; i < s.labels.size(); ++i) {
          absl::StrAppend(&out, i ? "," : "", s.labels[i].first, "=\"",
                          Escape(s.labels[i].second, true), "\"");
        }
        out += '}';
      }
      absl::StrAppend(&out, " ", Number(s.value), "\n");
    }
  }
  return out;
}

Family Single(std::string name, std::string help, Type type, double value) {
  Family f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  f.samples.push_back(Sample{"", {}, value});
  return f;
}

void Counter::Increment(double by) {
  double v = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(v, v + by, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  absl::MutexLock lock(&mu_);
  ++counts_[i];
  sum_ += value;
}

void Histogram::AppendSamples(const Labels& labels,
                              std::vector<Sample>* out) const {
  absl::MutexLock lock(&mu_);
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    Labels with_le = labels;
    with_le.emplace_back(
        "le", i < bounds_.size() ? Number(bounds_[i]) : std::string("+Inf"));
    out->push_back(
        Sample{"_bucket", std::move(with_le), static_cast<double>(cumulative)});
  }
  out->push_back(Sample{"_sum", labels, sum_});
  out->push_back(Sample{"_count", labels, static_cast<double>(cumulative)});
}

Counter& CounterFamily::Get(const Labels& labels) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Counter>& c = counters_[labels];
  if (c == nullptr) c = std::make_unique<Counter>();
  return *c;
}

std::vector<Family> CounterFamily::Collect() const {
  Family f{name_, help_, Type::kCounter, {}};
  absl::MutexLock lock(&mu_);
  for (const auto& [labels, c] : counters_) {
    f.samples.push_back(Sample{"", labels, c->value()});
  }
  return {f};
}

Histogram& HistogramFamily::Get(const Labels& labels) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Histogram>& h = histograms_[labels];
  if (h == nullptr) h = std::make_unique<Histogram>(bounds_);
  return *h;
}

std::vector<Family> HistogramFamily::Collect() const {
  Family f{name_, help_, Type::kHistogram, {}};
  absl::MutexLock lock(&mu_);
  for (const auto& [labels, h] : histograms_) {
    h->AppendSamples(labels, &f.samples);
  }
  return {f};
}

CounterFamily& Registry::AddCounter(std::string name, std::string help) {
  auto family =
      std::make_unique<CounterFamily>(std::move(name), std::move(help));
  CounterFamily& ref = *family;
  absl::MutexLock lock(&mu_);
  families_.push_back(std::move(family));
  return ref;
}

HistogramFamily& Registry::AddHistogram(std::string name, std::string help,
                                        std::vector<double> bounds) {
  auto family = std::make_unique<HistogramFamily>(
      std::move(name), std::move(help), std::move(bounds));
  HistogramFamily& ref = *family;
  absl::MutexLock lock(&mu_);
  families_.push_back(std::move(family));
  return ref;
}

std::vector<Family> Registry::Collect() const {
  std::vector<Family> out;
  absl::MutexLock lock(&mu_);
  for (const auto& f : families_) {
    for (Family& one : f->Collect()) out.push_back(std::move(one));
  }
  return out;
}

const std::vector<double>& LatencyBuckets() {
  static const auto* kBuckets = new std::vector<double>{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};
  return *kBuckets;
}

}  // namespace kg::metrics
