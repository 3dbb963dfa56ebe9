#include <gtest/gtest.h>

#include "engine/runtime/stop_matcher.hpp"

using abstractllm::engine::StopMatcher;

TEST(StopMatcher, NoStopsPassesEverythingThrough) {
  StopMatcher m({});
  EXPECT_EQ(m.push("hello"), "hello");
  EXPECT_EQ(m.flush(), "");
  EXPECT_FALSE(m.stopped());
}

TEST(StopMatcher, MatchesAcrossPiecesAndNeverEmitsTheStop) {
  StopMatcher m({"</end>"});
  EXPECT_EQ(m.push("abc</"), "abc");  // "</" could start the stop: held back
  EXPECT_EQ(m.push("en"), "");
  EXPECT_EQ(m.push("d>tail"), "");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, ReleasesHeldTextWhenItStopsMatching) {
  StopMatcher m({"STOP"});
  EXPECT_EQ(m.push("xST"), "x");
  EXPECT_EQ(m.push("AY"), "STAY");
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(m.push("S"), "");
  EXPECT_EQ(m.flush(), "S");
}

TEST(StopMatcher, EarliestOfSeveralStopsWins) {
  StopMatcher m({"world", "lo w"});
  EXPECT_EQ(m.push("hello world"), "hel");
  EXPECT_TRUE(m.stopped());
}

TEST(StopMatcher, StopInsideOnePiece) {
  StopMatcher m({"\n\n"});
  EXPECT_EQ(m.push("a\n\nb"), "a");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.push("more"), "");
}

TEST(StopMatcher, MultibyteStopStrings) {
  StopMatcher m({"\xE2\x80\x94" "end"});  // "—end"
  EXPECT_EQ(m.push("a\xE2\x80\x94"), "a");
  EXPECT_EQ(m.push("en"), "");
  EXPECT_EQ(m.push("x"), "\xE2\x80\x94" "enx");
}
