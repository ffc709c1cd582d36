#include "query/provenance_as_of.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/echo.h"

namespace kg::query {

namespace {

// The range of google.protobuf.Timestamp: 0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59.999999999Z.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;

bool InTimestampRange(absl::Time t) {
  return t >= absl::FromUnixSeconds(kMinSeconds) &&
         t < absl::FromUnixSeconds(kMaxSeconds + 1);
}

}  // namespace

absl::StatusOr<RecordFilter> RecordFilter::Create(const TimeTravel& t,
                                                  absl::string_view field) {
  RecordFilter filter;
  if (t.recorded_at) {
    if (!InTimestampRange(*t.recorded_at)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field,
                       ".recorded_at: must be a finite instant between "
                       "0001-01-01 and 9999-12-31"));
    }
    filter.recorded_at_ = t.recorded_at;
  }
  if (!t.reported_by.empty()) {
    std::optional<storage::Date> date = storage::ParseDate(t.reported_by);
    if (!date) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".reported_by: \"", EchoEscaped(t.reported_by),
                       "\" is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"));
    }
    filter.cutoff_day_ = date->LastDay();
  }
  return filter;
}

bool RecordFilter::Reported(
    const std::optional<storage::Date>& published) const {
  if (!cutoff_day_) return true;
  return published.has_value() && published->LastDay() <= *cutoff_day_;
}

absl::StatusOr<absl::Time> TimeFromTimestamp(absl::string_view field,
                                             int64_t seconds, int32_t nanos) {
  if (nanos < 0 || nanos > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": nanos must be in [0, 999999999], not ", nanos));
  }
  if (seconds < kMinSeconds || seconds > kMaxSeconds) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": seconds ", seconds, " is outside 0001-01-01 .. 9999-12-31"));
  }
  return absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
}

absl::StatusOr<absl::Time> ParseRecordedAt(absl::string_view field,
                                           absl::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", EchoEscaped(text),
                     "\" is not an RFC 3339 time (2024-10-18T09:30:00Z)"));
  }
  if (!InTimestampRange(t)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be between 0001-01-01 and 9999-12-31"));
  }
  return t;
}

}  // namespace kg::query
