// ops::DecodeTuning: the decode kernels' prefetch distance and blocks per thread can be changed
// between calls (BM_DecodeAB alternates them token by token); bad values are refused by name,
// and no setting changes a result.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "abstractllm/errors.hpp"
#include "engine/ops/decode_tuning.hpp"
#include "engine/ops/kernel_common.hpp"
#include "engine/ops/linear.hpp"
#include "engine/ops/thread_pool.hpp"
#include "engine/ops/tiled_weights.hpp"
#include "linear_checks.hpp"

namespace ops = abstractllm::engine::ops;

namespace {

// Restores the process's tuning when a test ends, pass or fail.
struct RestoreTuning {
  ops::DecodeTuning saved = ops::decode_tuning();
  ~RestoreTuning() { ops::set_decode_tuning(saved); }
};

}  // namespace

TEST(DecodeTuning, SetIsWhatTheKernelsRead) {
  RestoreTuning restore;
  ops::set_decode_tuning({4096, 2});
  EXPECT_EQ(ops::decode_tuning().prefetch_bytes, 4096);
  EXPECT_EQ(ops::decode_tuning().blocks_per_thread, 2);
  EXPECT_EQ(ops::detail::prefetch_distance(), 4096);
  EXPECT_EQ(ops::detail::decode_blocks_per_thread(), 2);
  ops::set_decode_tuning({0, 1});  // no look-ahead, one block per thread: both allowed
  EXPECT_EQ(ops::detail::prefetch_distance(), 0);
  EXPECT_EQ(ops::detail::decode_blocks_per_thread(), 1);
  EXPECT_EQ(ops::decode_tuning().tiled_prefetch_bytes, 0);
  ops::set_decode_tuning({8192, 4, 2048});
  EXPECT_EQ(ops::decode_tuning().tiled_prefetch_bytes, 2048);
}

TEST(DecodeTuning, RefusesBadValuesByName) {
  RestoreTuning restore;
  const ops::DecodeTuning before = ops::decode_tuning();
  try {
    ops::set_decode_tuning({-1, 4});
    FAIL() << "negative prefetch accepted";
  } catch (const abstractllm::InvalidParameterError& e) {
    EXPECT_EQ(e.parameter(), "prefetch_bytes");
  }
  try {
    ops::set_decode_tuning({8192, 0});
    FAIL() << "zero blocks accepted";
  } catch (const abstractllm::InvalidParameterError& e) {
    EXPECT_EQ(e.parameter(), "blocks_per_thread");
  }
  try {
    ops::set_decode_tuning({8192, 4, -64});
    FAIL() << "negative tiled prefetch accepted";
  } catch (const abstractllm::InvalidParameterError& e) {
    EXPECT_EQ(e.parameter(), "tiled_prefetch_bytes");
  }
  EXPECT_EQ(ops::decode_tuning().prefetch_bytes, before.prefetch_bytes);  // nothing half-set
  EXPECT_EQ(ops::decode_tuning().blocks_per_thread, before.blocks_per_thread);
}

// The settings only move work between threads and change what is prefetched: a decode of every
// 2/4/8-bit kernel gives the same floats under each of them.
TEST(DecodeTuning, ResultsDoNotDependOnTheSettings) {
  RestoreTuning restore;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> byte(0, 255);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t rows = 300, cols = 512, group = 64;
  std::vector<float> x(cols);
  for (auto& v : x) v = normal(rng);
  ops::ThreadPool pool(3);
  for (int bits : {2, 4, 8}) {
    std::vector<uint8_t> data(static_cast<size_t>(rows * cols * bits / 8));
    for (auto& b : data) b = static_cast<uint8_t>(byte(rng));
    std::vector<float> scales(static_cast<size_t>(rows * cols / group));
    std::vector<float> biases(scales.size());
    for (auto& s : scales) s = 0.01f + 0.001f * normal(rng);
    for (auto& b : biases) b = 0.1f * normal(rng);
    ops::WeightMatrix w;
    w.format = ops::WeightFormat::Affine;
    w.rows = rows;
    w.cols = cols;
    w.bits = bits;
    w.group_size = static_cast<int>(group);
    w.scale_type = ops::ScaleType::F32;
    w.data = data.data();
    w.scales = scales.data();
    w.biases = biases.data();
    std::vector<float> first;
    for (ops::DecodeTuning t : {ops::DecodeTuning{8192, 4}, ops::DecodeTuning{0, 1},
                                ops::DecodeTuning{64, 16}, ops::DecodeTuning{1 << 20, 2}}) {
      ops::set_decode_tuning(t);
      std::vector<float> y(static_cast<size_t>(rows));
      ops::linear(w, x.data(), 1, y.data(), pool);
      if (first.empty()) {
        first = y;
      } else {
        EXPECT_EQ(0, std::memcmp(first.data(), y.data(), y.size() * sizeof(float)))
            << bits << "-bit, prefetch " << t.prefetch_bytes << ", blocks " << t.blocks_per_thread;
      }
    }
  }
}

// The same for the Tiles16 kernel and its own prefetch distance.
TEST(DecodeTuning, TiledResultsDoNotDependOnTheSettings) {
  RestoreTuning restore;
  std::mt19937 rng(6);
  ops::ThreadPool pool(3);
  auto s = linear_checks::make_affine(304, 512, 4, 64, ops::ScaleType::F16, rng);
  std::vector<uint8_t> buffer(static_cast<size_t>(ops::tiled_bytes(s.w) + 64));
  uint8_t* p = buffer.data() + (64 - reinterpret_cast<uintptr_t>(buffer.data()) % 64) % 64;
  const ops::WeightMatrix t = ops::tile(s.w, p, pool);
  const auto x = linear_checks::random_x(512, rng);
  std::vector<float> first;
  for (ops::DecodeTuning tuning : {ops::DecodeTuning{8192, 4, 0}, ops::DecodeTuning{8192, 1, 64},
                                   ops::DecodeTuning{8192, 16, 8192}}) {
    ops::set_decode_tuning(tuning);
    std::vector<float> y(304);
    ops::linear(t, x.data(), 1, y.data(), pool);
    if (first.empty()) {
      first = y;
    } else {
      EXPECT_EQ(0, std::memcmp(first.data(), y.data(), y.size() * sizeof(float)))
          << "tiled prefetch " << tuning.tiled_prefetch_bytes << ", blocks "
          << tuning.blocks_per_thread;
    }
  }
}
