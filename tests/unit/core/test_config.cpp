#include <gtest/gtest.h>

#include "abstractllm/config.hpp"
#include "abstractllm/errors.hpp"

using namespace abstractllm;

TEST(Config, EnumAndStringKeysAreTheSameEntry) {
  Config c{{ModelParameter::TEMPERATURE, 0.25}};
  EXPECT_EQ(c.get_double("temperature"), 0.25);
  c.set("max_tokens", 12);
  EXPECT_EQ(c.get_int(ModelParameter::MAX_TOKENS), 12);
  c.set(ModelParameter::MAX_TOKENS, 13);
  EXPECT_EQ(c.entries().size(), 2u);
  EXPECT_EQ(c.get_int("max_tokens"), 13);
}

TEST(Config, TypedValuesAndConversions) {
  Config c{{"model", "org/name"},
           {"stop", std::vector<std::string>{"a", "b"}},
           {"seed", 7},
           {"top_p", 1},
           {"logit_bias", Value::from_json({{"5", -1.5}})}};
  EXPECT_EQ(c.get(ModelParameter::MODEL).type(), ValueType::String);
  EXPECT_EQ(c.get_string_list("stop")->size(), 2u);
  EXPECT_EQ(c.get_double("top_p"), 1.0);  // integer read as a number
  EXPECT_EQ(c.get_int("seed"), 7);
  EXPECT_TRUE(c.get_json("logit_bias")->is_object());
  Config single{{"stop", "END"}};
  EXPECT_EQ(single.get_string_list("stop"), std::vector<std::string>{"END"});
  EXPECT_THROW(c.get_int("model"), InvalidParameterError);
  EXPECT_EQ(c.get_or("temperature", 0.7), 0.7);
  EXPECT_EQ(Value(2.0).as_int(), 2);
  EXPECT_FALSE(Value(2.5).as_int());
  EXPECT_EQ(Value("x").type(), ValueType::String);  // not bool: const char* is a string
  EXPECT_EQ(Value::from_json(nlohmann::json::array({"a"})).type(), ValueType::StringList);
}

TEST(Config, MergeWithDefaultsKeepsUserValuesAndStringKeyedDefaults) {
  Config user{{ModelParameter::TEMPERATURE, 0.1}, {"cache_dir", nullptr}};
  Config defaults{{ModelParameter::TEMPERATURE, 0.7},
                  {ModelParameter::MAX_TOKENS, 4096},
                  {"cache_dir", "/tmp/hf"},
                  {"quantize", true}};
  user.merge_with_defaults(defaults);
  EXPECT_EQ(user.get_double("temperature"), 0.1);
  EXPECT_EQ(user.get_int("max_tokens"), 4096);
  EXPECT_EQ(user.get_string("cache_dir"), "/tmp/hf");  // null user value takes the default
  EXPECT_EQ(user.get_bool("quantize"), true);          // string-keyed default kept
}

TEST(Config, WithOverridesAppliesNonNullEntries) {
  Config base{{"temperature", 0.7}, {"max_tokens", 10}};
  Config o = base.with_overrides({{"temperature", 0.0}, {"max_tokens", nullptr}});
  EXPECT_EQ(o.get_double("temperature"), 0.0);
  EXPECT_EQ(o.get_int("max_tokens"), 10);
  EXPECT_EQ(base.get_double("temperature"), 0.7);
}

struct BadCase {
  const char* key;
  Value value;
};

class ConfigRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigRejects, NamesTheParameter) {
  Config c;
  c.set(GetParam().key, GetParam().value);
  try {
    c.validate();
    FAIL() << "accepted " << GetParam().key << " = " << GetParam().value.to_display_string();
  } catch (const InvalidParameterError& e) {
    EXPECT_EQ(e.parameter(), GetParam().key);
    EXPECT_NE(std::string(e.what()).find(GetParam().key), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Values, ConfigRejects,
    ::testing::Values(BadCase{"temperature", -0.1}, BadCase{"temperature", "hot"},
                      BadCase{"top_p", 0.0}, BadCase{"top_p", 1.5}, BadCase{"max_tokens", 0},
                      BadCase{"max_tokens", -3}, BadCase{"max_tokens", 2.5},
                      BadCase{"top_k", -1}, BadCase{"min_p", 1.5},
                      BadCase{"repetition_penalty", 0.0}, BadCase{"frequency_penalty", 3.0},
                      BadCase{"presence_penalty", -2.5}, BadCase{"seed", "abc"},
                      BadCase{"stop", 5}, BadCase{"logit_bias", "x"},
                      BadCase{"logit_bias", Value::from_json({{"abc", 1}})},
                      BadCase{"context_window", 0}, BadCase{"device", "tpu"},
                      BadCase{"model", 3}, BadCase{"threads", -1}, BadCase{"quantize", true},
                      BadCase{"temprature", 0.5}));

TEST(Config, ValidateAcceptsProviderDeclaredKeys) {
  Config c{{"quantize", true}, {"temperature", 0}, {"top_p", 1.0}, {"max_tokens", 1}};
  std::vector<ParameterSpec> extra{{"quantize", ValueType::Bool, "use quantized weights"}};
  EXPECT_NO_THROW(c.validate(extra));
  c.set("quantize", "yes");
  EXPECT_THROW(c.validate(extra), InvalidParameterError);
}

TEST(Config, UnknownKeyMessageListsKnownOnes) {
  Config c{{"temprature", 0.5}};
  try {
    c.validate({}, "mlx");
    FAIL();
  } catch (const InvalidParameterError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("temperature"), std::string::npos) << m;
    EXPECT_NE(m.find("mlx"), std::string::npos) << m;
    EXPECT_EQ(e.provider(), "mlx");
  }
}

TEST(Enums, NamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(ModelParameter::THREADS); ++i) {
    auto p = static_cast<ModelParameter>(i);
    ASSERT_FALSE(to_string(p).empty());
    EXPECT_EQ(parse_model_parameter(to_string(p)), p);
  }
  for (int i = 0; i <= static_cast<int>(ModelCapability::CONTEXT_WINDOW); ++i) {
    auto c = static_cast<ModelCapability>(i);
    ASSERT_FALSE(to_string(c).empty());
    EXPECT_EQ(parse_model_capability(to_string(c)), c);
  }
  EXPECT_EQ(to_string(ModelParameter::MAX_TOKENS), "max_tokens");
  EXPECT_FALSE(parse_model_parameter("nope"));
}
