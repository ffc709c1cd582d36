#include "storage/validate.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_util.h"

namespace kg::storage {
namespace {

using ::testing::HasSubstr;
using testing::IsOk;
using testing::StatusIs;

TEST(ValidateTest, Utf8) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("Russia’s Zelenskyy Пхеньян 평양 😀"));
  EXPECT_FALSE(IsValidUtf8("\xc3\x28"));          // bad continuation
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
}

TEST(ValidateTest, CodePointSpanCountsCodePointsNotBytes) {
  const std::string text = "a’b";  // ’ is 3 bytes
  auto span = CodePointSpan(text, 1, 3);
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(text.substr(span->first, span->second - span->first), "’b");
  EXPECT_TRUE(CodePointSpan(text, 0, 3).has_value());
  EXPECT_FALSE(CodePointSpan(text, 0, 4).has_value());
  EXPECT_FALSE(CodePointSpan(text, 2, 1).has_value());
}

TEST(ValidateTest, DatesParseAtThreePrecisions) {
  EXPECT_EQ(ParseDate("2024"), (Date{2024, 0, 0}));
  EXPECT_EQ(ParseDate("2024-06"), (Date{2024, 6, 0}));
  EXPECT_EQ(ParseDate("2024-02-29"), (Date{2024, 2, 29}));
  for (const char* bad : {"", "24", "2023-02-29", "2024-13", "2024-6",
                          "June 2024", "2024-06-01T00:00", "0000"}) {
    EXPECT_FALSE(ParseDate(bad).has_value()) << bad;
  }
  EXPECT_EQ(ParseDate("2024-06")->FirstDay() + 29,
            ParseDate("2024-06")->LastDay());
}

TEST(ValidateTest, LiteralsCanonicalize) {
  EXPECT_EQ(CanonicalLiteral("f", {LiteralType::kInteger, "+0012000"})->lexical,
            "12000");
  EXPECT_EQ(
      CanonicalLiteral("f", {LiteralType::kDecimal, "-0012.500"})->lexical,
      "-12.5");
  EXPECT_EQ(CanonicalLiteral("f", {LiteralType::kDecimal, "-0.0"})->lexical,
            "0");
  EXPECT_EQ(CanonicalLiteral("f", {LiteralType::kDate, "2024-10"})->lexical,
            "2024-10");
  EXPECT_THAT(
      CanonicalLiteral("f", {LiteralType::kInteger, "99999999999999999999"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f:")));
  EXPECT_THAT(CanonicalLiteral("f", {LiteralType::kDecimal, "."}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValidateTest, IdsAreSlugs) {
  EXPECT_THAT(ValidateId("id", "north_korea"), IsOk());
  EXPECT_THAT(ValidateId("id", "korean_war_1950"), IsOk());
  EXPECT_THAT(ValidateId("id", "_x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateId("id", "x-y"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id:")));
}

}  // namespace
}  // namespace kg::storage

namespace kg::storage {
namespace {

TEST(ValidateTest, CodePointIndexAgreesWithCodePointSpan) {
  const char* pieces[] = {"a", "’", "평", "😀", " ", "."};
  std::mt19937 rng(11);
  for (int round = 0; round < 20; ++round) {
    std::string text;
    const int n = static_cast<int>(rng() % 2000);
    for (int i = 0; i < n; ++i) text += pieces[rng() % 6];
    CodePointIndex index(text);
    for (int q = 0; q < 200; ++q) {
      const uint32_t a = rng() % (n + 3), b = rng() % (n + 3);
      EXPECT_EQ(index.Span(a, b), CodePointSpan(text, a, b))
          << "seed 11, round " << round << ", span " << a << ".." << b;
    }
  }
}

}  // namespace
}  // namespace kg::storage
