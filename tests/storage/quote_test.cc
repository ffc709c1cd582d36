// Evidence by quote (storage/quote.h): found once, found several times, or
// not found with the nearest passage and the likely cause named.
#include "storage/quote.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "tests/storage/store_fixture.h"

namespace kg::storage {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;
using testing::StatusIs;

constexpr char kArticle[] =
    "Seoul’s spies said North Korea sent troops. NATO found “no evidence” — "
    "yet. North Korea denied it.\nThe Kremlin  agreed.";

absl::StatusOr<std::pair<uint32_t, uint32_t>> Locate(absl::string_view q) {
  return LocateQuote("evidence", "doc", kArticle, q);
}

TEST(LocateQuoteTest, AQuoteThatOccursOnceIsItsSpanInCodePoints) {
  // "’" is one code point of three bytes: offsets after it count it once.
  auto span = Locate("NATO found");
  ASSERT_THAT(span, IsOk());
  EXPECT_EQ(span->first, 44u);
  EXPECT_EQ(span->second, 54u);
}

TEST(LocateQuoteTest, AQuoteThatOccursTwiceListsWhereAndHowToChoose) {
  EXPECT_THAT(Locate("North Korea"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("evidence: occurs 2 times in the text "
                                       "of document 'doc', at code points 19 "),
                             HasSubstr("[North Korea] sent troops"),
                             HasSubstr("; 78 "), HasSubstr("evidence_start"),
                             HasSubstr("quote more words"))));
}

TEST(LocateQuoteTest, ANearMissNamesTheCause) {
  struct Case {
    const char* quote;
    const char* cause;
  };
  for (const Case& c : {
           Case{"Seoul's spies said", "curly and straight quotes"},
           Case{"found \"no evidence\"", "curly and straight quotes"},
           Case{"\xe2\x80\x9cno evidence\xe2\x80\x9d - yet", "dashes"},
           Case{"The Kremlin agreed.", "whitespace"},
           Case{"it. The Kremlin", "whitespace"},
           Case{"north korea denied it", "upper and lower case"},
       }) {
    SCOPED_TRACE(c.quote);
    EXPECT_THAT(Locate(c.quote),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("evidence: not found in the text of "
                                         "document 'doc'; it differs from "
                                         "the text at ["),
                               HasSubstr(c.cause))));
  }
  // The passage is shown as it is: the curly apostrophe, unescaped.
  EXPECT_THAT(Locate("Seoul's spies said").status().message(),
              HasSubstr("\"Seoul’s spies said\""));
}

TEST(LocateQuoteTest, AChangedWordShowsTheNearestPassage) {
  EXPECT_THAT(
      Locate("Seoul’s spies said North Korea sent soldiers."),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("the nearest passage is at [0, "),
                     HasSubstr("[Seoul’s spies said North Korea sent troo"),
                     HasSubstr("agrees with it for 36 characters from its "
                               "start"))));
  EXPECT_THAT(Locate("Pyongyang rejected every report of this"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("nor anything close to it"),
                             Not(HasSubstr("nearest passage")))));
}

// Through a write: a record with a quote and no offsets gets the quote's
// span; a quote that is not there fails the batch, which writes nothing.
class QuoteWriteTest : public StoreTest {};

TEST_F(QuoteWriteTest, ARecordWithoutOffsetsIsLocatedByItsQuote) {
  WriteBatch b = Vocabulary();
  StatementInput st = Sent();
  const ProvenanceInput located = st.provenance[0];
  st.provenance[0].evidence_start = 0;
  st.provenance[0].evidence_end = 0;
  b.statements = {st};
  absl::StatusOr<WriteResult> r = store().Write(b);
  ASSERT_THAT(r, IsOk());
  auto records = store().NewReader()->GetProvenance(r->statement_ids[0], false);
  ASSERT_THAT(records, IsOk());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].input.evidence_start, located.evidence_start);
  EXPECT_EQ((*records)[0].input.evidence_end, located.evidence_end);

  const std::string before = Dump();
  WriteBatch bad;
  StatementInput denial = Denial();
  denial.provenance[0].evidence = "The Kremlin denied that.";
  denial.provenance[0].evidence_start = 0;
  denial.provenance[0].evidence_end = 0;
  bad.statements = {Sent(), denial};
  EXPECT_THAT(store().Write(bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("statements[1].provenance[0].evidence: not "
                                 "found in the text of document 'doc1'")));
  EXPECT_EQ(Dump(), before);
}

}  // namespace
}  // namespace kg::storage
