#include "common/echo.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kg {
namespace {

TEST(EchoValueTest, ShortValuesAreEchoedWhole) {
  EXPECT_EQ(EchoValue(""), "");
  EXPECT_EQ(EchoValue("north_korea"), "north_korea");
  const std::string limit(kEchoBytes, 'x');
  EXPECT_EQ(EchoValue(limit), limit);
}

TEST(EchoValueTest, LongValuesKeepAPrefixAndTheirLength) {
  const std::string big(10 << 20, 'x');
  EXPECT_EQ(EchoValue(big),
            std::string(kEchoBytes, 'x') + "\xe2\x80\xa6 (10485760 bytes)");
  const std::string one_more(kEchoBytes + 1, 'y');
  EXPECT_EQ(EchoValue(one_more),
            std::string(kEchoBytes, 'y') + "\xe2\x80\xa6 (" +
                std::to_string(kEchoBytes + 1) + " bytes)");
}

TEST(EchoValueTest, CutsAtACharacterBoundary) {
  // "é" is two bytes: with an odd prefix the cut falls inside one and
  // backs up to its first byte.
  std::string value = "a";
  while (value.size() < 2 * kEchoBytes) value += "\xc3\xa9";
  const std::string echoed = EchoValue(value);
  const std::string kept = echoed.substr(0, echoed.find("\xe2\x80\xa6"));
  EXPECT_EQ(kept.size(), kEchoBytes - 1);
  EXPECT_EQ(kept, value.substr(0, kEchoBytes - 1));
  // A four-byte character across the cut.
  std::string emoji(kEchoBytes - 2, 'z');
  emoji += "\xf0\x9f\x98\x80tail";
  const std::string cut = EchoValue(emoji);
  EXPECT_EQ(cut.substr(0, cut.find("\xe2\x80\xa6")),
            std::string(kEchoBytes - 2, 'z'));
}

TEST(EchoValueTest, EscapedKeepsTheBoundAndTheLength) {
  EXPECT_EQ(EchoEscaped("a\nb"), "a\\nb");
  const std::string big(1 << 20, '\x01');
  const std::string echoed = EchoEscaped(big);
  EXPECT_LE(echoed.size(), 4 * kEchoBytes + 32);
  EXPECT_THAT(echoed, ::testing::EndsWith("\xe2\x80\xa6 (1048576 bytes)"));
  EXPECT_THAT(echoed, ::testing::StartsWith("\\x01\\x01"));
}

}  // namespace
}  // namespace kg
