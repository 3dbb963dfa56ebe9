// The Tiles16 layout (tiled_weights.hpp), 4- and 8-bit: repacking keeps every byte (tile/untile
// round trip, dequantize_row), and linear()/linear_group() on a tiled matrix give the Rows results
// within the kernels' error bound, at decode (the tiled kernel where the CPU has it) and at prefill
// (untiled in blocks).
#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cstdint>
#include <random>
#include <vector>

#include "abstractllm/errors.hpp"
#include "engine/ops/linear.hpp"
#include "engine/ops/tiled_weights.hpp"
#include "linear_checks.hpp"

namespace ops = abstractllm::engine::ops;
using namespace linear_checks;

namespace {

// A tiled copy of s.w in a 64-byte aligned buffer the caller keeps.
struct Tiled {
  std::vector<uint8_t> buffer;
  ops::WeightMatrix w;
};

Tiled tiled_copy(const ops::WeightMatrix& w, ops::ThreadPool& pool) {
  Tiled t;
  t.buffer.resize(static_cast<size_t>(ops::tiled_bytes(w) + 64));
  auto* p = t.buffer.data();
  p += (64 - reinterpret_cast<uintptr_t>(p) % 64) % 64;
  t.w = ops::tile(w, p, pool);
  return t;
}

}  // namespace

TEST(TiledWeights, RoundTripKeepsEveryByte) {
  std::mt19937 rng(7);
  ops::ThreadPool pool(2);
  for (int bits : {4, 8}) {
    for (int group : {32, 64, 128}) {
      for (auto st : {ops::ScaleType::F16, ops::ScaleType::BF16}) {
        // 2688 columns: a whole column block of 2048 and a partial one.
        auto s = make_affine(48, 2688, bits, group, st, rng);
        ASSERT_TRUE(ops::tileable(s.w));
        EXPECT_EQ(ops::tiled_bytes(s.w),
                  static_cast<int64_t>(s.data.size() + s.scales.size() + s.biases.size()));
        auto t = tiled_copy(s.w, pool);
        EXPECT_EQ(t.w.layout, ops::WeightLayout::Tiles16);
        // Rows 16..47 back: the bytes of the original rows.
        const int64_t groups = s.w.cols / group, row_bytes = s.w.cols * bits / 8;
        std::vector<uint8_t> data(32 * row_bytes), sc(32 * groups * 2), bi(32 * groups * 2);
        ops::untile_rows(t.w, 16, 32, data.data(), sc.data(), bi.data());
        EXPECT_TRUE(std::equal(data.begin(), data.end(), s.data.begin() + 16 * row_bytes));
        EXPECT_TRUE(std::equal(sc.begin(), sc.end(), s.scales.begin() + 16 * groups * 2));
        EXPECT_TRUE(std::equal(bi.begin(), bi.end(), s.biases.begin() + 16 * groups * 2));
        std::vector<float> a(s.w.cols), b(s.w.cols);
        for (int64_t r : {0, 5, 15, 16, 47}) {
          ops::dequantize_row(s.w, r, a.data());
          ops::dequantize_row(t.w, r, b.data());
          EXPECT_EQ(a, b) << "row " << r << " group " << group << " bits " << bits;
        }
      }
    }
  }
}

TEST(TiledWeights, LinearMatchesReference) {
  std::mt19937 rng(11);
  ops::ThreadPool pool(2);
  for (int bits : {4, 8}) {
    for (int group : {32, 64, 128}) {
      for (auto st : {ops::ScaleType::F16, ops::ScaleType::BF16}) {
        SCOPED_TRACE("bits " + std::to_string(bits) + " group " + std::to_string(group) +
                     " scale " + std::to_string(static_cast<int>(st)));
        // 80 rows: five tiles, split unevenly between threads; 7 groups a row.
        auto s = make_affine(80, group * 7, bits, group, st, rng);
        auto t = tiled_copy(s.w, pool);
        check_against_reference(s.w, rng, false, {1, 3, 17}, {}, &t.w);
        check_against_reference(s.w, rng, true, {1}, {}, &t.w);  // outlier activations
        // 2688 columns: a whole column block of 2048 and a partial one.
        auto wide = make_affine(48, 2688, bits, group, st, rng);
        auto tw = tiled_copy(wide.w, pool);
        check_against_reference(wide.w, rng, false, {1, 2}, {}, &tw.w);
      }
    }
  }
}

// Every SIMD target compiled in: the VNNI kernels where the target has them, the untiled path
// (the Rows kernels of that target) elsewhere, as on a CPU without AVX512-VNNI.
TEST(TiledWeights, AllCompiledTargets) {
  std::mt19937 rng(23);
  ops::ThreadPool pool(2);
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    for (int bits : {4, 8}) {
      auto s = make_affine(48, 2688, bits, 64, ops::ScaleType::BF16, rng);
      auto t = tiled_copy(s.w, pool);
      check_against_reference(s.w, rng, false, {1, 3}, {}, &t.w);
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

TEST(TiledWeights, LargeMatrixAndThePortablePath) {
  std::mt19937 rng(13);
  ops::ThreadPool pool(2);
  // 8192 rows of 2048: 8 MiB of 4-bit weights, two of linear_untiled's 4 MiB blocks; 8-bit
  // 2048 rows of 4096, two blocks too.
  for (int bits : {4, 8}) {
    auto s = bits == 4 ? make_affine(8192, 2048, 4, 64, ops::ScaleType::F16, rng)
                       : make_affine(2048, 4096, 8, 64, ops::ScaleType::BF16, rng);
    auto t = tiled_copy(s.w, pool);
    for (int64_t n_tokens : {1, 2}) {
      auto x = random_x(n_tokens * s.w.cols, rng);
      std::vector<float> rows(n_tokens * s.w.rows), tiles(rows.size()), untiled(rows.size());
      ops::linear(s.w, x.data(), n_tokens, rows.data(), pool);
      ops::linear(t.w, x.data(), n_tokens, tiles.data(), pool);
      ops::detail::linear_untiled(t.w, x.data(), n_tokens, untiled.data(), pool);
      for (size_t i = 0; i < rows.size(); ++i) {
        ASSERT_NEAR(tiles[i], rows[i], 1e-4f * (1.0f + std::fabs(rows[i]))) << "output " << i;
        ASSERT_EQ(untiled[i], rows[i]) << "output " << i;  // the same kernels on the same rows
      }
    }
  }
}

TEST(TiledWeights, GroupEqualsSeparateCalls) {
  std::mt19937 rng(17);
  ops::ThreadPool pool(3);
  auto a = make_affine(64, 256, 4, 64, ops::ScaleType::F16, rng);
  auto b = make_affine(16, 256, 4, 64, ops::ScaleType::F16, rng);
  auto c = make_affine(32, 256, 2, 64, ops::ScaleType::F16, rng);  // not tileable: stays Rows
  auto ta = tiled_copy(a.w, pool), tb = tiled_copy(b.w, pool);
  EXPECT_FALSE(ops::tileable(c.w));
  for (int64_t n_tokens : {1, 3}) {
    auto x = random_x(n_tokens * 256, rng);
    std::vector<float> ya(64 * n_tokens), yb(16 * n_tokens), yc(32 * n_tokens);
    ops::linear(ta.w, x.data(), n_tokens, ya.data(), pool);
    ops::linear(tb.w, x.data(), n_tokens, yb.data(), pool);
    ops::linear(c.w, x.data(), n_tokens, yc.data(), pool);
    for (bool mixed : {false, true}) {
      std::vector<float> ga(ya.size(), NAN), gb(yb.size(), NAN), gc(yc.size(), NAN);
      const ops::WeightMatrix* ws[] = {&ta.w, &tb.w, &c.w};
      float* ys[] = {ga.data(), gb.data(), gc.data()};
      ops::linear_group(std::span(ws, mixed ? 3 : 2), x.data(), n_tokens,
                        std::span(ys, mixed ? 3 : 2), pool);
      EXPECT_EQ(ga, ya);
      EXPECT_EQ(gb, yb);
      if (mixed) {
        EXPECT_EQ(gc, yc);
      }
    }
  }
}

TEST(TiledWeights, RefusesWhatItCannotTile) {
  std::mt19937 rng(19);
  ops::ThreadPool pool(1);
  std::vector<uint8_t> out(1 << 16);
  auto eight = make_affine(16, 128, 6, 64, ops::ScaleType::F16, rng);  // 6-bit: no Tiles16
  auto odd_rows = make_affine(20, 128, 4, 64, ops::ScaleType::F16, rng);
  auto f32 = make_affine(16, 128, 4, 64, ops::ScaleType::F32, rng);
  for (const auto* w : {&eight.w, &odd_rows.w, &f32.w}) {
    EXPECT_FALSE(ops::tileable(*w));
    try {
      ops::tile(*w, out.data(), pool);
      ADD_FAILURE() << "tile accepted a matrix it cannot tile";
    } catch (const abstractllm::InvalidParameterError& e) {
      EXPECT_EQ(e.parameter(), "weight") << e.what();
    }
  }
  // A matrix claiming Tiles16 that cannot be one is refused by linear(), naming the layout.
  std::vector<float> x(128), y(16);
  auto floats = make_float(16, 128, ops::WeightFormat::F16, rng);
  for (const auto* w : {&eight.w, &f32.w, &floats.w}) {
    ops::WeightMatrix bad = *w;
    bad.layout = ops::WeightLayout::Tiles16;
    try {
      ops::linear(bad, x.data(), 1, y.data(), pool);
      ADD_FAILURE() << "linear accepted a Tiles16 matrix it cannot read";
    } catch (const abstractllm::InvalidParameterError& e) {
      EXPECT_EQ(e.parameter(), "layout") << e.what();
    }
  }
}

TEST(TiledWeights, KernelAvailabilityIsReported) {
  // Either answer is valid; a CPU with AVX-512 VNNI must report the kernel (the decode tests
  // above then ran it).
  if (!ops::tiled_decode_supported()) GTEST_SKIP() << "no Tiles16 decode kernel on this CPU";
  SUCCEED();
}
