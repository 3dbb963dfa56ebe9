// Model::tile_weights: every 4-bit matrix repacked once (8-bit only when asked) (a tied LM head
// shares the embedding's copy), a second call changes nothing, and prefill and decode give the
// untiled model's logits within the kernels' rounding.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
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
    // 4-bit only by default (this fixture has an 8-bit override too, which stays as it is).
    if (ops::tileable(*w) && w->bits == 4 && distinct.insert(w->data).second) {
      bytes += ops::tiled_bytes(*w);
    }
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

TEST(TileWeights, EightBitOnlyWhenAsked) {
  if (!ops::tiled_decode_supported()) GTEST_SKIP() << "this CPU has no Tiles16 decode kernel";
  ops::ThreadPool pool(2);
  auto plain = load("llama-q8g32");
  EXPECT_EQ(plain->tile_weights(pool).matrices, 0);
  EXPECT_EQ(plain->weights().layers[0].q.layout, ops::WeightLayout::Rows);
  auto tiled = load("llama-q8g32");
  abstractllm::engine::model::TilingOptions options;
  options.eight_bit = true;
  EXPECT_GT(tiled->tile_weights(pool, options).matrices, 0);
  EXPECT_EQ(tiled->weights().layers[0].q.layout, ops::WeightLayout::Tiles16);
}

namespace {

// A fresh folder under the system's temporary directory, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("allm-tiles-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

std::vector<float> first_logits(const Model& m, ops::ThreadPool& pool) {
  const std::vector<int32_t> prompt = {1, 17, 42};
  KVCache c = m.make_cache(4);
  std::vector<float> out(static_cast<size_t>(m.spec().vocab));
  SequenceChunk ch{&c, prompt, out.data()};
  m.forward({&ch, 1}, pool);
  const int32_t next = 5;  // one decode step too
  SequenceChunk step{&c, {&next, 1}, out.data()};
  m.forward({&step, 1}, pool);
  return out;
}

}  // namespace

TEST(TileWeights, CacheFileIsWrittenOnceThenMapped) {
  if (!ops::tiled_decode_supported()) GTEST_SKIP() << "this CPU has no Tiles16 decode kernel";
  ops::ThreadPool pool(2);
  TempDir dir;
  abstractllm::engine::model::TilingOptions options;
  options.cache_dir = dir.path / "repacked";  // created on first use

  auto a = load("llama-q4g64");
  const auto written = a->tile_weights(pool, options);
  EXPECT_FALSE(written.from_cache);
  ASSERT_FALSE(written.cache_file.empty()) << written.cache_note;
  EXPECT_TRUE(fs::exists(written.cache_file));

  auto b = load("llama-q4g64");
  const auto mapped = b->tile_weights(pool, options);
  EXPECT_TRUE(mapped.from_cache) << mapped.cache_note;
  EXPECT_EQ(mapped.cache_file, written.cache_file);
  EXPECT_EQ(mapped.matrices, written.matrices);
  EXPECT_EQ(first_logits(*a, pool), first_logits(*b, pool));  // the same bytes, read again

  // Another model gets another file.
  auto q = load("qwen3-q4g64");
  const auto other = q->tile_weights(pool, options);
  EXPECT_NE(other.cache_file, written.cache_file);

  // A file that does not match (here: its header damaged) is ignored and rewritten.
  {
    std::fstream f(written.cache_file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(12);
    f.put('\x7f');
  }
  auto c = load("llama-q4g64");
  const auto rewritten = c->tile_weights(pool, options);
  EXPECT_FALSE(rewritten.from_cache);
  EXPECT_NE(rewritten.cache_note.find("did not match"), std::string::npos) << rewritten.cache_note;
  EXPECT_EQ(first_logits(*a, pool), first_logits(*c, pool));
  auto d = load("llama-q4g64");
  EXPECT_TRUE(d->tile_weights(pool, options).from_cache);
  // No temporary files left behind.
  for (const auto& e : fs::directory_iterator(options.cache_dir)) {
    EXPECT_EQ(e.path().extension(), ".tiles16") << e.path();
  }
}

TEST(TileWeights, UnusableCacheFolderFallsBackToMemory) {
  if (!ops::tiled_decode_supported()) GTEST_SKIP() << "this CPU has no Tiles16 decode kernel";
  ops::ThreadPool pool(2);
  TempDir dir;
  const fs::path blocker = dir.path / "a-file";
  { std::ofstream(blocker) << "not a folder"; }
  abstractllm::engine::model::TilingOptions options;
  options.cache_dir = blocker / "repacked";  // cannot be created: its parent is a file
  auto m = load("llama-q4g64");
  const auto r = m->tile_weights(pool, options);
  EXPECT_GT(r.matrices, 0);
  EXPECT_FALSE(r.from_cache);
  EXPECT_TRUE(r.cache_file.empty());
  EXPECT_NE(r.cache_note.find("cannot create"), std::string::npos) << r.cache_note;
  auto plain = load("llama-q4g64");
  const auto got = first_logits(*m, pool), want = first_logits(*plain, pool);
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-3 * (1.0 + std::fabs(want[i]))) << i;
  }
}
