// Model::tile_weights: every 4-bit matrix repacked once (a tied LM head shares the embedding's
// copy), a second call changes nothing, and prefill and decode give the untiled model's logits
// within the kernels' rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <vector>

#include "engine/model/model.hpp"
#include "engine/ops/tiled_weights.hpp"

namespace fs = std::filesystem;
namespace ops = abstractllm::engine::ops;
using abstractllm::engine::model::KVCache;
using abstractllm::engine::model::Model;
using abstractllm::engine::model::SequenceChunk;

namespace {

std::unique_ptr<Model> load(const std::string& name) {
  return Model::load(fs::path(ABSTRACTLLM_FIXTURES_DIR) / "model" / "reference_models" / name);
}

std::vector<const ops::WeightMatrix*> matrices(const Model& m) {
  const auto& w = m.weights();
  std::vector<const ops::WeightMatrix*> out = {&w.embed, &w.lm_head};
  for (const auto& L : w.layers) {
    for (const ops::WeightMatrix* x :
         {&L.q, &L.k, &L.v, &L.qkv, &L.o, &L.gate, &L.up, &L.gate_up, &L.down}) {
      if (x->data != nullptr) out.push_back(x);
    }
  }
  return out;
}

}  // namespace

TEST(TileWeights, RepacksEachMatrixOnceAndKeepsTheLogits) {
  if (!ops::tiled_decode_supported()) GTEST_SKIP() << "this CPU has no Tiles16 decode kernel";
  ops::ThreadPool pool(2);
  auto plain = load("llama-q4g64");
  auto tiled = load("llama-q4g64");
  std::set<const void*> distinct;
  int64_t bytes = 0;
  for (const auto* w : matrices(*plain)) {
    if (ops::tileable(*w) && distinct.insert(w->data).second) bytes += ops::tiled_bytes(*w);
  }
  ASSERT_FALSE(distinct.empty());
  const auto report = tiled->tile_weights(pool);
  EXPECT_EQ(report.matrices, static_cast<int>(distinct.size()));
  EXPECT_EQ(static_cast<int64_t>(report.bytes), bytes);
  for (const auto* w : matrices(*tiled)) {
    EXPECT_EQ(w->layout, w->format == ops::WeightFormat::Affine && w->bits == 4
                             ? ops::WeightLayout::Tiles16
                             : ops::WeightLayout::Rows);
  }
  if (tiled->spec().tie_embeddings) {
    EXPECT_EQ(tiled->weights().embed.data, tiled->weights().lm_head.data);
  }
  EXPECT_EQ(tiled->tile_weights(pool).matrices, 0);  // already done

  // Prefill of five tokens (untiled blocks), then three decode steps (the Tiles16 kernel).
  const std::vector<int32_t> prompt = {1, 17, 42, 99, 7};
  KVCache ca = plain->make_cache(8), cb = tiled->make_cache(8);
  std::vector<float> la(static_cast<size_t>(plain->spec().vocab)), lb(la.size());
  for (int step = 0; step < 4; ++step) {
    std::vector<int32_t> toks = step == 0 ? prompt : std::vector<int32_t>{3 + step};
    SequenceChunk a{&ca, toks, la.data()}, b{&cb, toks, lb.data()};
    plain->forward({&a, 1}, pool);
    tiled->forward({&b, 1}, pool);
    for (size_t i = 0; i < la.size(); ++i) {
      ASSERT_NEAR(lb[i], la[i], 1e-3 * (1.0 + std::fabs(la[i])))
          << "step " << step << " logit " << i;
    }
  }
}
