// Conformance against transformers: tiny random-weight models of every supported architecture
// (tests/fixtures/model/reference_models, made by tools/reference_models/make_reference_models.py
// with transformers in float32 on exactly the stored weights). For each prompt we feed the
// reference's own continuation (teacher forcing) and check at every step that
//   - our greedy choice equals transformers' unless its top-2 gap is < 1e-2 (a near-tie),
//   - our logprob of the reference token is within 1e-2 (bf16) / 5e-2 (quantized),
// plus the first step's full logits and the RoPE tables transformers built.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/io/model_config.hpp"
#include "engine/model/model.hpp"
#include "engine/model/spec_from_config.hpp"
#include "engine/ops/tiled_weights.hpp"

namespace fs = std::filesystem;
using abstractllm::engine::ModelConfig;
using abstractllm::engine::model::Model;
using abstractllm::engine::model::ModelSpec;
using abstractllm::engine::model::SequenceChunk;

namespace {

const fs::path kRoot = fs::path(ABSTRACTLLM_FIXTURES_DIR) / "model" / "reference_models";

// Fixture folder names; with `legacy_only`, those that also carry a transformers-4.x config.
std::vector<std::string> fixture_names(bool legacy_only = false) {
  std::vector<std::string> names;
  if (!fs::exists(kRoot)) return names;
  for (const auto& e : fs::directory_iterator(kRoot)) {
    if (e.is_directory() && fs::exists(e.path() / "reference.json") &&
        (!legacy_only || fs::exists(e.path() / "config.v4.json"))) {
      names.push_back(e.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

double log_softmax_at(const std::vector<float>& logits, int id) {
  double mx = -INFINITY;
  for (float v : logits) mx = std::max(mx, static_cast<double>(v));
  double sum = 0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - mx);
  return static_cast<double>(logits[static_cast<size_t>(id)]) - mx - std::log(sum);
}

class ReferenceModel : public ::testing::TestWithParam<std::string> {};

TEST(ReferenceModels, FixturesArePresent) {
  // 10 architectures/rope variants in bf16; 8 of them with 4 quantized variants each.
  EXPECT_EQ(fixture_names().size(), 42u) << "fixtures missing under " << kRoot;
  EXPECT_EQ(fixture_names(true).size(), 10u) << "config.v4.json missing under " << kRoot;
}

// Teacher-forced run of one fixture's reference prompts with a KV cache of `kv_type`; with
// `repack`, on the model's 4-bit matrices repacked for decoding (Model::tile_weights).
void check_against_reference(const std::string& name, abstractllm::engine::ops::KVType kv_type,
                             bool repack = false) {
  const fs::path dir = kRoot / name;
  const bool quantized = name.find("-q") != std::string::npos;
  const double tol = quantized ? 5e-2 : 1e-2;
  const nlohmann::json ref = read_json(dir / "reference.json");
  auto model = Model::load(dir);
  abstractllm::engine::ops::ThreadPool pool(2);
  if (repack) {
    if (!abstractllm::engine::ops::tiled_decode_supported()) {
      GTEST_SKIP() << "this CPU has no Tiles16 decode kernel";
    }
    abstractllm::engine::model::TilingOptions options;
    options.eight_bit = true;  // the 8-bit fixtures too (off by default, see TilingOptions)
    ASSERT_GT(model->tile_weights(pool, options).matrices, 0) << name << ": nothing was repacked";
  }
  const int64_t vocab = model->spec().vocab;

  double worst_logprob = 0, worst_logit = 0;
  for (const auto& pr : ref["prompts"]) {
    const std::vector<int32_t> prompt = pr["prompt"].get<std::vector<int32_t>>();
    const auto& steps = pr["steps"];
    ASSERT_GE(steps.size(), 24u);
    auto cache = model->make_cache(static_cast<int64_t>(prompt.size() + steps.size()), kv_type);
    std::vector<float> logits(static_cast<size_t>(vocab));
    SequenceChunk chunk{&cache, prompt, logits.data()};
    model->forward({&chunk, 1}, pool);

    const auto first = pr["first_logits"].get<std::vector<double>>();
    ASSERT_EQ(first.size(), logits.size());
    for (size_t i = 0; i < first.size(); ++i) {
      worst_logit = std::max(worst_logit, std::abs(first[i] - logits[i]));
    }
    for (size_t t = 0; t < steps.size(); ++t) {
      const int ref_tok = steps[t]["token"].get<int>();
      const double gap = steps[t]["top2_gap"].get<double>();
      const int ours = static_cast<int>(std::max_element(logits.begin(), logits.end()) -
                                        logits.begin());
      if (ours != ref_tok) {
        EXPECT_LT(gap, 1e-2) << name << ": step " << t << " chose " << ours
                             << ", transformers " << ref_tok << " (top-2 gap " << gap << ")";
      }
      const double lp = log_softmax_at(logits, ref_tok);
      const double diff = std::abs(lp - steps[t]["logprob"].get<double>());
      worst_logprob = std::max(worst_logprob, diff);
      EXPECT_LE(diff, tol) << name << ": step " << t << " logprob " << lp
                           << " vs transformers " << steps[t]["logprob"].get<double>();
      // Teacher forcing: continue with the reference token so every step stays comparable.
      const int32_t next = ref_tok;
      SequenceChunk step{&cache, {&next, 1}, logits.data()};
      if (t + 1 < steps.size()) model->forward({&step, 1}, pool);
    }
  }
  EXPECT_LE(worst_logit, quantized ? 0.2 : 0.05) << "first-step logits differ";
  ::testing::Test::RecordProperty("max_logprob_diff", std::to_string(worst_logprob));
  std::printf("  %-20s %s KV: max |logprob diff| %.2e, max |first logit diff| %.2e\n",
              name.c_str(), kv_type == abstractllm::engine::ops::KVType::F16 ? "f16" : "f32",
              worst_logprob, worst_logit);
}

TEST_P(ReferenceModel, GreedyContinuationAndLogprobsMatchTransformers) {
  check_against_reference(GetParam(), abstractllm::engine::ops::KVType::F32);
}

// A half-precision KV cache (keys and values rounded to f16) stays within the same tolerances.
TEST_P(ReferenceModel, HalfPrecisionKvCacheStaysWithinTolerance) {
  check_against_reference(GetParam(), abstractllm::engine::ops::KVType::F16);
}

// The 4- and 8-bit fixtures with their matrices repacked (the Tiles16 decode and prefill
// kernels) stay within the same tolerances.
class RepackedReferenceModel : public ::testing::TestWithParam<std::string> {};

TEST_P(RepackedReferenceModel, GreedyContinuationAndLogprobsMatchTransformers) {
  check_against_reference(GetParam(), abstractllm::engine::ops::KVType::F32, true);
}

TEST_P(ReferenceModel, RopeTablesMatchTransformers) {
  const fs::path dir = kRoot / GetParam();
  const nlohmann::json rope = read_json(dir / "reference.json")["rope"];
  const ModelSpec spec =
      abstractllm::engine::model::spec_from_config(ModelConfig::from_folder(dir));
  // Which of our tables corresponds to which transformers buffer.
  auto check = [&](const std::string& inv_key, const std::string& scale_key, size_t table) {
    ASSERT_TRUE(rope.contains(inv_key)) << inv_key;
    ASSERT_LT(table, spec.ropes.size());
    const auto expect = rope[inv_key].get<std::vector<double>>();
    const auto& got = spec.ropes[table].inv_freq;
    ASSERT_EQ(expect.size(), got.size()) << inv_key;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], expect[i], 1e-6 * std::abs(expect[i]) + 1e-12) << inv_key << "[" << i
                                                                           << "]";
    }
    if (rope.contains(scale_key)) {
      EXPECT_NEAR(spec.ropes[table].attention_factor, rope[scale_key].get<double>(), 1e-6)
          << scale_key;
    }
  };
  if (rope.contains("model.rotary_emb.inv_freq")) {
    check("model.rotary_emb.inv_freq", "model.rotary_emb.attention_scaling", 0);
  } else {
    check("model.rotary_emb.full_attention_inv_freq",
          "model.rotary_emb.full_attention_attention_scaling", 0);
    size_t sliding_table = 0;
    for (const auto& l : spec.layers) {
      if (l.sliding_window > 0) sliding_table = static_cast<size_t>(l.rope);
    }
    check("model.rotary_emb.sliding_attention_inv_freq",
          "model.rotary_emb.sliding_attention_attention_scaling", sliding_table);
  }
}

// transformers 4.x spelling of the same config (rope_theta / rope_scaling /
// rope_local_base_freq) must give the same forward-pass spec as the 5.x file transformers wrote.
class LegacyConfig : public ::testing::TestWithParam<std::string> {};

TEST_P(LegacyConfig, SameSpecAsTheTransformers5File) {
  const fs::path dir = kRoot / GetParam();
  const ModelSpec a =
      abstractllm::engine::model::spec_from_config(ModelConfig::from_folder(dir));
  const ModelSpec b = abstractllm::engine::model::spec_from_config(
      ModelConfig::from_json(read_json(dir / "config.v4.json")));
  ASSERT_EQ(a.ropes.size(), b.ropes.size());
  for (size_t i = 0; i < a.ropes.size(); ++i) {
    EXPECT_EQ(a.ropes[i].inv_freq, b.ropes[i].inv_freq) << "rope table " << i;
    EXPECT_EQ(a.ropes[i].inv_freq_long, b.ropes[i].inv_freq_long);
    EXPECT_FLOAT_EQ(a.ropes[i].attention_factor, b.ropes[i].attention_factor);
  }
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t i = 0; i < a.layers.size(); ++i) {
    EXPECT_EQ(a.layers[i].sliding_window, b.layers[i].sliding_window) << "layer " << i;
    EXPECT_EQ(a.layers[i].rope, b.layers[i].rope) << "layer " << i;
  }
  EXPECT_EQ(a.head_dim, b.head_dim);
  EXPECT_FLOAT_EQ(a.attn_scale, b.attn_scale);
  EXPECT_FLOAT_EQ(a.attn_softcap, b.attn_softcap);
  EXPECT_FLOAT_EQ(a.final_softcap, b.final_softcap);
  EXPECT_EQ(a.activation, b.activation);
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ReferenceModel, ::testing::ValuesIn(fixture_names()),
                         param_name);
INSTANTIATE_TEST_SUITE_P(Fixtures, RepackedReferenceModel, ::testing::ValuesIn([] {
                           std::vector<std::string> tileable;
                           for (const auto& n : fixture_names()) {
                             if (n.find("-q4") != std::string::npos ||
                                 n.find("-q8") != std::string::npos) {
                               tileable.push_back(n);
                             }
                           }
                           return tileable;
                         }()),
                         param_name);
INSTANTIATE_TEST_SUITE_P(Fixtures, LegacyConfig, ::testing::ValuesIn(fixture_names(true)),
                         param_name);

}  // namespace
