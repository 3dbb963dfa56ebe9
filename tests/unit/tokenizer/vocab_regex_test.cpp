// Unit tests of the tokenizer's building blocks: the vocabulary table and the regex wrapper.
#include <gtest/gtest.h>

#include "abstractllm/errors.hpp"
#include "engine/tokenizer/regex.hpp"
#include "engine/tokenizer/vocab.hpp"

namespace tok = abstractllm::engine::tok;

namespace {

TEST(Vocab, FindsEveryTokenAfterGrowth) {
  tok::Vocab v;
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(v.add("tok" + std::to_string(i * 7919), i));
  for (int i = 0; i < 5000; ++i) {
    ASSERT_EQ(v.find("tok" + std::to_string(i * 7919)), i);
    ASSERT_EQ(v.token(i), "tok" + std::to_string(i * 7919));
  }
  EXPECT_EQ(v.find("tok1"), -1);
  EXPECT_EQ(v.count(), 5000u);
  EXPECT_EQ(v.id_end(), 5000);
}

TEST(Vocab, LastDefinitionWins) {
  tok::Vocab v;
  v.add("a", 0);
  v.add("b", 1);
  v.add("a", 2);  // the string moves to id 2; id 0 is gone
  EXPECT_EQ(v.find("a"), 2);
  EXPECT_FALSE(v.has_id(0));
  v.add("c", 1);  // id 1 now names "c"; "b" is gone
  EXPECT_EQ(v.find("b"), -1);
  EXPECT_EQ(v.find("c"), 1);
  EXPECT_EQ(v.count(), 2u);
  EXPECT_FALSE(v.add("x", -3));
}

TEST(Vocab, LongTokensAndEmbeddedZeros) {
  tok::Vocab v;
  const std::string long_a(40, 'a'), long_b = std::string(39, 'a') + "b";
  v.add(long_a, 0);
  v.add(long_b, 1);
  v.add(std::string("x\0y", 3), 2);
  EXPECT_EQ(v.find(long_a), 0);
  EXPECT_EQ(v.find(long_b), 1);
  EXPECT_EQ(v.find(std::string("x\0y", 3)), 2);
  EXPECT_EQ(v.find("x"), -1);
}

TEST(MergeMap, PutAndGet) {
  tok::MergeMap m;
  for (int i = 0; i < 3000; ++i) m.put(i, i + 1, static_cast<uint32_t>(i), i + 5000);
  for (int i = 0; i < 3000; ++i) {
    const auto* e = m.get(i, i + 1);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->rank, static_cast<uint32_t>(i));
    EXPECT_EQ(e->id, i + 5000);
  }
  EXPECT_EQ(m.get(1, 1), nullptr);
}

TEST(Regex, OnigurumaClassesAreWidened) {
  EXPECT_EQ(tok::onig_to_pcre2(R"(\s+(?!\S))"), R"([\s\x{85}]+(?![^\s\x{85}]))");
  EXPECT_EQ(tok::onig_to_pcre2(R"([^\s\p{L}])"), R"([^\s\x{85}\p{L}])");
  EXPECT_EQ(tok::onig_to_pcre2(R"(\w+)"), R"([\p{L}\p{M}\p{N}\p{Pc}]+)");
  EXPECT_EQ(tok::onig_to_pcre2(R"([\]\s])"), R"([\]\s\x{85}])");
  EXPECT_EQ(tok::onig_to_pcre2(R"(\\s)"), R"(\\s)");  // an escaped backslash, then "s"
}

TEST(Regex, FindAllHandlesEmptyMatchesAndUnicode) {
  const tok::Regex re("x*", "test");
  std::vector<std::pair<size_t, size_t>> m;
  re.find_all("aé", m);  // empty matches at each character start and at the end
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[1].first, 1u);
  EXPECT_EQ(m[2].first, 3u);  // after the 2-byte 'é', never inside it
  const tok::Regex letters(R"(\p{L}+)", "test");
  letters.find_all("naïve 東京!", m);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], (std::pair<size_t, size_t>{0, 6}));
}

TEST(Regex, LiteralEscapesMetacharacters) {
  const auto re = tok::Regex::literal("a.b", "test");
  std::vector<std::pair<size_t, size_t>> m;
  re.find_all("axb a.b", m);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].first, 4u);
  EXPECT_THROW(tok::Regex("(", "test"), abstractllm::ModelLoadingError);
}

}  // namespace
