// Time travel for provenance queries: which provenance records a query may
// see. Two views, usable together (docs/query.md, "Provenance queries"):
//
//   as-recorded  the store as it stood at an instant T: a record counts only
//                if it was recorded at or before T and not retracted by T
//                (storage::ProvenanceRecord::LiveAt(T)). For audit.
//   as-reported  only records from documents published on or before a date
//                D ("what was being said on 20 October 2024?"). Documents
//                without a publication date are then excluded.
//
//   KG_ASSIGN_OR_RETURN(RecordFilter filter,
//                       RecordFilter::Create({absl::FromUnixSeconds(t),
//                                             "2024-10-20"}));
//   if (filter.Visible(record, document.published)) ...
//
// The path engine can use the same types so that both engines agree on what
// "as of" means.
#ifndef KG_QUERY_PROVENANCE_AS_OF_H_
#define KG_QUERY_PROVENANCE_AS_OF_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/model.h"

namespace kg::query {

// The time-travel part of a query's options (kg.v1.AsOf). Both unset: the
// store's current state, every live record.
struct TimeTravel {
  // As-recorded instant. Must be finite and within the range of
  // google.protobuf.Timestamp (years 1 to 9999).
  std::optional<absl::Time> recorded_at;
  // As-reported cutoff: "YYYY", "YYYY-MM" or "YYYY-MM-DD"; a coarse date
  // includes its whole year or month ("2024-10" includes October 31).
  // Empty: no cutoff.
  std::string reported_by;
};

// A validated TimeTravel: decides which records are visible. Cheap to copy;
// thread-compatible.
class RecordFilter {
 public:
  // The filter of the current state: every live record.
  RecordFilter() = default;

  // Validates `t`. `field` prefixes error messages (the request field that
  // holds the TimeTravel, "as_of" in kg.v1).
  //   INVALID_ARGUMENT "as_of.recorded_at: ..." for an infinite instant or
  //     one outside years 1..9999;
  //   INVALID_ARGUMENT "as_of.reported_by: ..." for a malformed date.
  static absl::StatusOr<RecordFilter> Create(const TimeTravel& t,
                                             absl::string_view field = "as_of");

  // True when the query looks at a past instant: records retracted since
  // may count, so statements that have left the indexes must be found too.
  bool as_recorded() const { return recorded_at_.has_value(); }
  // True when the query has a publication cutoff.
  bool as_reported() const { return cutoff_day_.has_value(); }
  // Neither: the current state.
  bool current() const { return !as_recorded() && !as_reported(); }

  // The recorded-time half: live at recorded_at, or live now when unset.
  bool LiveIn(const storage::ProvenanceRecord& record) const {
    return recorded_at_ ? record.LiveAt(*recorded_at_)
                        : !record.retracted_at.has_value();
  }
  // A visible record as the view shows it: as recorded at an instant, a
  // retraction made after it is not yet applied, so retracted_at is cleared.
  void AsSeen(storage::ProvenanceRecord* record) const {
    if (recorded_at_ && record->retracted_at &&
        *record->retracted_at > *recorded_at_) {
      record->retracted_at.reset();
    }
  }
  // The reported half: whether a document with this publication date is
  // visible. A document counts when it was certainly published by the
  // cutoff: the last day its date covers is on or before the last day the
  // cutoff covers. Without a cutoff every document counts; with one,
  // undated documents never do.
  bool Reported(const std::optional<storage::Date>& published) const;
  // Both halves. `published` is the record's document's publication date.
  bool Visible(const storage::ProvenanceRecord& record,
               const std::optional<storage::Date>& published) const {
    return LiveIn(record) && Reported(published);
  }

  const std::optional<absl::Time>& recorded_at() const { return recorded_at_; }
  // The last day (days since 1970-01-01) the cutoff covers.
  const std::optional<int64_t>& cutoff_day() const { return cutoff_day_; }

 private:
  std::optional<absl::Time> recorded_at_;
  std::optional<int64_t> cutoff_day_;
};

// A google.protobuf.Timestamp (seconds, nanos) as an absl::Time, for
// callers that convert kg.v1.AsOf.recorded_at.
//   INVALID_ARGUMENT "<field>: ..." when nanos is outside [0, 999999999] or
//     seconds outside 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
absl::StatusOr<absl::Time> TimeFromTimestamp(absl::string_view field,
                                             int64_t seconds, int32_t nanos);

// An RFC 3339 instant ("2024-10-18T09:30:00Z", "2024-10-18T18:30:00+09:00")
// as an absl::Time.
//   INVALID_ARGUMENT "<field>: ..." when `text` is not one, or is outside
//     years 1..9999.
absl::StatusOr<absl::Time> ParseRecordedAt(absl::string_view field,
                                           absl::string_view text);

}  // namespace kg::query

#endif  // KG_QUERY_PROVENANCE_AS_OF_H_
