// A tiny model folder per test binary, shared by the provider tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include "abstractllm/abstractllm.hpp"
#include "abstractllm/providers/mlx.hpp"
#include "tiny_model.hpp"

namespace abstractllm::test {

class MlxProviderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = std::filesystem::temp_directory_path() / ("abstractllm_mlx_" + std::to_string(::getpid()));
    write_tiny_model(root_ / "tiny-a", 1);
    write_tiny_model(root_ / "tiny-b", 2);
    write_tiny_model(root_ / "tiny-c", 3);
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(root_); }
  void SetUp() override {
    mlx::clear_model_cache();
    mlx::set_max_cached_models(2);
  }

  static std::string model(const char* name = "tiny-a") { return (root_ / name).string(); }
  // Greedy, no EOS, so outputs are deterministic and of known length.
  static Config greedy(const char* name = "tiny-a", int max_tokens = 8) {
    return Config{{ModelParameter::MODEL, model(name)},
                  {ModelParameter::TEMPERATURE, 0.0},
                  {ModelParameter::MAX_TOKENS, max_tokens},
                  {ModelParameter::LOGIT_BIAS, Value::from_json({{std::to_string(kImEnd), -100.0}})}};
  }

  static inline std::filesystem::path root_;
};

}  // namespace abstractllm::test
