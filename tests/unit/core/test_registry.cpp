#include <gtest/gtest.h>

#include "abstractllm/errors.hpp"
#include "abstractllm/factory.hpp"
#include "echo_provider.hpp"

using namespace abstractllm;

TEST(Registry, RegisterCreateAndList) {
  register_provider("test-echo", [](const Config& c) { return std::make_unique<test::EchoProvider>(c); });
  auto names = available_providers();
  EXPECT_NE(std::find(names.begin(), names.end(), "test-echo"), names.end());
  auto llm = create_llm("test-echo", {{ModelParameter::MAX_TOKENS, 3}});
  ASSERT_NE(llm, nullptr);
  EXPECT_EQ(llm->provider_name(), "test-echo");
  EXPECT_EQ(llm->config().get_int("max_tokens"), 3);
  EXPECT_EQ(llm->config().get_double("temperature"), 0.7);  // provider default
  EXPECT_TRUE(unregister_provider("test-echo"));
  EXPECT_FALSE(unregister_provider("test-echo"));
}

TEST(Registry, UnknownProviderListsRegisteredOnes) {
  register_provider("test-a", [](const Config& c) { return std::make_unique<test::EchoProvider>(c); });
  try {
    create_llm("no-such-provider");
    FAIL();
  } catch (const UnsupportedProviderError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("no-such-provider"), std::string::npos) << m;
    EXPECT_NE(m.find("test-a"), std::string::npos) << m;
  }
  unregister_provider("test-a");
}

TEST(Registry, ProviderConstructorValidatesConfig) {
  register_provider("test-b", [](const Config& c) { return std::make_unique<test::EchoProvider>(c); });
  EXPECT_THROW(create_llm("test-b", {{"top_p", 2.0}}), InvalidParameterError);
  EXPECT_THROW(create_llm("test-b", {{"bogus", 1}}), InvalidParameterError);
  EXPECT_NO_THROW(create_llm("test-b", {{"echo_prefix", ">"}}));  // declared by the provider
  unregister_provider("test-b");
}
