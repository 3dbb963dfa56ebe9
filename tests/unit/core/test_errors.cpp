#include <gtest/gtest.h>

#include "abstractllm/errors.hpp"

using namespace abstractllm;

TEST(Errors, HierarchyMatchesAbstractLLM) {
  EXPECT_THROW(throw InvalidParameterError("top_p", "bad"), InvalidRequestError);
  EXPECT_THROW(throw ContextWindowExceededError(10, 5, "too long"), InvalidRequestError);
  EXPECT_THROW(throw UnsupportedFeatureError("vision", "no"), Error);
  EXPECT_THROW(throw FileProcessingError("/x", "no"), Error);
  EXPECT_THROW(throw ModelNotFoundError("no"), Error);
  EXPECT_THROW(throw TemplateError("bad", 3, 4), Error);
  EXPECT_THROW(throw ResourceExceededError("big"), std::runtime_error);
}

TEST(Errors, CarryTheirDetails) {
  ContextWindowExceededError e(4100, 4096, "prompt too long", "mlx");
  EXPECT_EQ(e.requested_tokens(), 4100);
  EXPECT_EQ(e.context_window(), 4096);
  EXPECT_EQ(e.provider(), "mlx");
  EXPECT_EQ(e.details().at("context_window"), "4096");
  UnsupportedFeatureError f("tool_use", "no tools", "mlx");
  EXPECT_EQ(f.feature(), "tool_use");
  FileProcessingError p("/a/b.txt", "missing");
  EXPECT_EQ(p.path(), "/a/b.txt");
  TemplateError t("unexpected end", 2, 7);
  EXPECT_EQ(t.line(), 2);
  EXPECT_EQ(t.column(), 7);
  EXPECT_STREQ(t.what(), "unexpected end");
}
