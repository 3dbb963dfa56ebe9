// A model folder with a missing tensor, a wrong shape, a dtype the layer cannot take, or
// quantization metadata that does not match the tensors → ModelLoadingError naming the tensor
// and the expectation; never a crash. Each case mutates a copy of a transformers fixture.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "abstractllm/errors.hpp"
#include "engine/io/safetensors.hpp"
#include "engine/model/model.hpp"

namespace fs = std::filesystem;
using abstractllm::engine::DType;
using abstractllm::engine::SafetensorsFile;
using abstractllm::engine::TensorView;
using abstractllm::engine::model::Model;

namespace {

const fs::path kFixture =
    fs::path(ABSTRACTLLM_FIXTURES_DIR) / "model" / "reference_models" / "llama-q4g64";

class LoadErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("abstractllm_model_load_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::copy_file(kFixture / "config.json", dir_ / "config.json");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes model.safetensors from the fixture's tensors after `edit` changed the list.
  void write_weights(const std::function<void(std::vector<TensorView>&)>& edit) {
    auto src = SafetensorsFile::open(kFixture / "model.safetensors");
    std::vector<TensorView> tensors = src.tensors();
    edit(tensors);
    abstractllm::engine::write_safetensors(dir_ / "model.safetensors", tensors,
                                           {{"format", "mlx"}});
  }

  void edit_config(const std::function<void(nlohmann::json&)>& edit) {
    std::ifstream in(dir_ / "config.json");
    auto j = nlohmann::json::parse(in);
    in.close();
    edit(j);
    std::ofstream(dir_ / "config.json") << j.dump(2);
  }

  // Expects ModelLoadingError whose message contains every `needle`.
  void expect_error(const std::vector<std::string>& needles) {
    try {
      Model::load(dir_);
      FAIL() << "expected ModelLoadingError";
    } catch (const abstractllm::ModelLoadingError& e) {
      const std::string msg = e.what();
      for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << msg;
    }
  }

  fs::path dir_;
};

TEST_F(LoadErrors, UnmodifiedCopyLoads) {
  write_weights([](auto&) {});
  auto m = Model::load(dir_);
  EXPECT_EQ(m->spec().n_layers(), 2);
  EXPECT_EQ(m->weights().layers[0].down.bits, 8);  // per-layer override
  EXPECT_EQ(m->weights().layers[1].v.format, abstractllm::engine::ops::WeightFormat::BF16);
}

TEST_F(LoadErrors, MissingTensorIsNamed) {
  write_weights([](std::vector<TensorView>& t) {
    std::erase_if(t, [](const TensorView& v) {
      return v.name.starts_with("model.layers.1.mlp.up_proj");
    });
  });
  expect_error({"model.layers.1.mlp.up_proj"});
}

TEST_F(LoadErrors, MissingNormIsNamed) {
  write_weights([](std::vector<TensorView>& t) {
    std::erase_if(t, [](const TensorView& v) { return v.name == "model.norm.weight"; });
  });
  expect_error({"model.norm.weight", "missing"});
}

TEST_F(LoadErrors, ShapeDisagreeingWithConfigIsNamed) {
  write_weights([](auto&) {});
  edit_config([](nlohmann::json& j) { j["intermediate_size"] = 96; });
  expect_error({"mlp", "expected"});
}

TEST_F(LoadErrors, WrongDtypeForANormIsNamed) {
  write_weights([](std::vector<TensorView>& t) {
    for (auto& v : t) {
      if (v.name == "model.layers.0.input_layernorm.weight") {
        v.dtype = DType::I16;  // same byte size as bf16, a dtype a norm cannot take
      }
    }
  });
  expect_error({"model.layers.0.input_layernorm.weight", "I16"});
}

TEST_F(LoadErrors, QuantizationBitsNotMatchingTheTensorsAreRejected) {
  write_weights([](auto&) {});
  edit_config([](nlohmann::json& j) {
    j["quantization"]["bits"] = 8;  // packed words and scales were made for 4 bits
    j["quantization_config"]["bits"] = 8;
  });
  expect_error({".scales", "bits=8"});
}

TEST_F(LoadErrors, ScalesWithTheWrongShapeAreRejected) {
  write_weights([](std::vector<TensorView>& t) {
    for (auto& v : t) {
      if (v.name == "model.layers.0.self_attn.q_proj.scales" ||
          v.name == "model.layers.0.self_attn.q_proj.biases") {
        // [64, 1] → [32, 2]: same bytes, wrong layout for group size 64.
        v.shape = {32, 2};
      }
    }
  });
  expect_error({"model.layers.0.self_attn.q_proj"});
}

TEST_F(LoadErrors, UnsupportedArchitectureListsTheSupportedOnes) {
  write_weights([](auto&) {});
  edit_config([](nlohmann::json& j) { j["model_type"] = "gpt_neox"; });
  try {
    Model::load(dir_);
    FAIL() << "expected UnsupportedModelError";
  } catch (const abstractllm::UnsupportedModelError& e) {
    EXPECT_NE(std::string(e.what()).find("llama"), std::string::npos) << e.what();
  }
}

}  // namespace
