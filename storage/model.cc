#include "storage/model.h"

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"

namespace kg::storage {

namespace {

int64_t DaysSinceEpoch(int32_t y, int32_t m, int32_t d) {
  return (absl::CivilDay(y, m, d) - absl::CivilDay(1970, 1, 1));
}

int DaysInMonth(int32_t y, int32_t m) {
  absl::CivilMonth next = absl::CivilMonth(y, m) + 1;
  return static_cast<int>(absl::CivilDay(next) - absl::CivilDay(y, m, 1));
}

}  // namespace

int64_t Date::FirstDay() const {
  return DaysSinceEpoch(year, month == 0 ? 1 : month, day == 0 ? 1 : day);
}

int64_t Date::LastDay() const {
  if (month == 0) return DaysSinceEpoch(year, 12, 31);
  if (day == 0) return DaysSinceEpoch(year, month, DaysInMonth(year, month));
  return FirstDay();
}

std::string Date::ToString() const {
  char buf[16];
  if (month == 0) {
    std::snprintf(buf, sizeof buf, "%04d", year);
  } else if (day == 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02d", year, month);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  }
  return buf;
}

std::optional<Date> ParseDate(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  if (parts.empty() || parts.size() > 3) return std::nullopt;
  const size_t widths[] = {4, 2, 2};
  int32_t values[3] = {0, 0, 0};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].size() != widths[i]) return std::nullopt;
    for (char c : parts[i]) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    if (!absl::SimpleAtoi(parts[i], &values[i])) return std::nullopt;
  }
  Date d{values[0], values[1], values[2]};
  if (d.year < 1) return std::nullopt;
  if (parts.size() >= 2 && (d.month < 1 || d.month > 12)) return std::nullopt;
  if (parts.size() == 3 &&
      (d.day < 1 || d.day > DaysInMonth(d.year, d.month))) {
    return std::nullopt;
  }
  return d;
}

Term Term::Entity(std::string id) {
  Term t;
  t.kind_ = Kind::kEntity;
  t.id_ = std::move(id);
  return t;
}

Term Term::Literal(LiteralType type, std::string lexical) {
  Term t;
  t.kind_ = Kind::kLiteral;
  t.literal_ = {type, std::move(lexical)};
  return t;
}

Term Term::RdfLiteral(std::string lexical, std::string datatype,
                      std::string language, LiteralDirection direction) {
  Term t;
  t.kind_ = Kind::kLiteral;
  t.literal_.type =
      language.empty() ? LiteralType::kTyped : LiteralType::kLangString;
  t.literal_.lexical = std::move(lexical);
  t.literal_.datatype = std::move(datatype);
  t.literal_.language = std::move(language);
  t.literal_.direction = direction;
  return t;
}

Term Term::Iri(std::string iri) {
  Term t;
  t.kind_ = Kind::kIri;
  t.id_ = std::move(iri);
  return t;
}

Term Term::Blank(std::string label) {
  Term t;
  t.kind_ = Kind::kBlank;
  t.id_ = std::move(label);
  return t;
}

std::string RdfDatatype(const Literal& l) {
  switch (l.type) {
    case LiteralType::kString:
      return absl::StrCat(kXsdNamespace, "string");
    case LiteralType::kInteger:
      return absl::StrCat(kXsdNamespace, "integer");
    case LiteralType::kDecimal:
      return absl::StrCat(kXsdNamespace, "decimal");
    case LiteralType::kDate:
      return absl::StrCat(kXsdNamespace, l.lexical.size() == 4   ? "gYear"
                                         : l.lexical.size() == 7 ? "gYearMonth"
                                                                 : "date");
    case LiteralType::kTyped:
      return l.datatype.empty() ? absl::StrCat(kXsdNamespace, "string")
                                : l.datatype;
    case LiteralType::kLangString:
      return absl::StrCat(kRdfNamespace, l.direction == LiteralDirection::kNone
                                             ? "langString"
                                             : "dirLangString");
  }
  return "";
}

Term Term::Quoted(Triple triple) {
  Term t;
  t.kind_ = Kind::kStatement;
  t.triple_ = std::make_shared<const Triple>(std::move(triple));
  return t;
}

Term Term::StatementId(std::string statement_id) {
  Term t;
  t.kind_ = Kind::kStatement;
  t.id_ = std::move(statement_id);
  return t;
}

}  // namespace kg::storage

namespace kg::storage {

const EntityVersion* EntityHistory::AsOf(absl::Time t) const {
  const EntityVersion* found = nullptr;
  for (const EntityVersion& v : versions) {
    if (v.since > t) break;
    found = &v;
  }
  return found;
}

}  // namespace kg::storage
