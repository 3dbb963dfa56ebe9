// resolve_linear: quantized vs float modules, and clear errors for inconsistent files.
#include "engine/quant/quantized_weight.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "abstractllm/errors.hpp"
#include "engine/io/half.hpp"
#include "engine/quant/affine.hpp"

namespace abstractllm::engine::quant {
namespace {

struct Tmp {
  std::filesystem::path p;
  Tmp() {
    p = std::filesystem::temp_directory_path() /
        ("abstractllm_qw_" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(p);
  }
  ~Tmp() { std::filesystem::remove_all(p); }
};

struct Tensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::vector<std::byte> bytes;
};

template <typename T>
Tensor make(std::string name, DType dt, std::vector<int64_t> shape, const std::vector<T>& v) {
  Tensor t{std::move(name), dt, std::move(shape), {}};
  t.bytes.resize(v.size() * sizeof(T));
  std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
  return t;
}

void save(const std::filesystem::path& dir, const std::vector<Tensor>& ts) {
  std::vector<TensorView> views;
  for (const auto& t : ts) views.push_back({t.name, t.dtype, t.shape, t.bytes.data(), t.bytes.size()});
  write_safetensors(dir / "model.safetensors", views);
}

// A 4 x 64 matrix quantized at 4 bits, group 32, f16 scales.
std::vector<Tensor> quantized_module(const std::string& path, std::vector<float>& w) {
  std::mt19937 rng(3);
  std::normal_distribution<float> d(0, 1);
  w.resize(4 * 64);
  for (auto& v : w) v = d(rng);
  std::vector<uint32_t> packed(4 * 8);
  std::vector<uint16_t> s(4 * 2), b(4 * 2);
  quantize_matrix(w.data(), 4, 64, 4, 32, DType::F16, packed.data(), s.data(), b.data());
  return {make(path + ".weight", DType::U32, {4, 8}, packed),
          make(path + ".scales", DType::F16, {4, 2}, s),
          make(path + ".biases", DType::F16, {4, 2}, b)};
}

QuantizationConfig q4g32() {
  return QuantizationConfig::from_json(nlohmann::json::parse(R"({"bits":4,"group_size":32})"), "c");
}

TEST(ResolveLinear, QuantizedAndFloat) {
  Tmp t;
  std::vector<float> w;
  auto ts = quantized_module("m.q", w);
  std::vector<uint16_t> fw(3 * 5);
  for (size_t i = 0; i < fw.size(); ++i) fw[i] = f32_to_bf16(static_cast<float>(i));
  ts.push_back(make("m.f.weight", DType::BF16, {3, 5}, fw));
  ts.push_back(make("m.f.bias", DType::F32, {3}, std::vector<float>{1, 2, 3}));
  save(t.p, ts);
  auto store = WeightStore::open(t.p);
  auto q = resolve_linear(store, "m.q", q4g32());
  EXPECT_TRUE(q.quantized);
  EXPECT_EQ(q.rows, 4);
  EXPECT_EQ(q.cols, 64);
  EXPECT_EQ(q.params.bits, 4);
  std::vector<float> row(64);
  linear_row_to_f32(q, 2, row.data());
  for (int c = 0; c < 64; ++c) EXPECT_NEAR(row[c], w[2 * 64 + c], 0.35f);
  auto f = resolve_linear(store, "m.f", q4g32());
  EXPECT_FALSE(f.quantized);
  EXPECT_EQ(f.cols, 5);
  ASSERT_NE(f.bias, nullptr);
  std::vector<float> frow(5);
  linear_row_to_f32(f, 1, frow.data());
  EXPECT_EQ(frow[4], 9.0f);
}

template <typename F>
void expect_error_mentioning(F&& f, const std::string& frag) {
  try {
    f();
    FAIL() << "expected an error mentioning " << frag;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(frag), std::string::npos) << e.what();
  }
}

TEST(ResolveLinear, InconsistentFilesGiveClearErrors) {
  Tmp t;
  std::vector<float> w;
  auto ts = quantized_module("m.q", w);
  save(t.p, ts);
  auto store = WeightStore::open(t.p);
  // Config says 8 bits: 8 words/row would be 32 columns, scales [4,2] imply 64 -> mismatch.
  auto q8 = QuantizationConfig::from_json(nlohmann::json::parse(R"({"bits":8,"group_size":32})"), "c");
  expect_error_mentioning([&] { resolve_linear(store, "m.q", q8); }, "does not match weight");
  QuantizationConfig none;
  expect_error_mentioning([&] { resolve_linear(store, "m.q", none); }, "no \"quantization\"");
  auto off = QuantizationConfig::from_json(
      nlohmann::json::parse(R"({"bits":4,"group_size":32,"m.q":false})"), "c");
  expect_error_mentioning([&] { resolve_linear(store, "m.q", off); }, "not quantized");
  expect_error_mentioning([&] { resolve_linear(store, "m.nope", q4g32()); }, "m.nope.weight");
  auto mx = QuantizationConfig::from_json(
      nlohmann::json::parse(R"({"bits":4,"group_size":32,"mode":"mxfp4"})"), "c");
  EXPECT_THROW(resolve_linear(store, "m.q", mx), UnsupportedModelError);

  // Wrong dtype for the packed weight, scales of the wrong dtype, biases of another shape.
  Tmp t2;
  auto bad = quantized_module("m.q", w);
  bad[0].dtype = DType::I32;
  save(t2.p, bad);
  auto s2 = WeightStore::open(t2.p);
  expect_error_mentioning([&] { resolve_linear(s2, "m.q", q4g32()); }, "U32");
  Tmp t3;
  bad = quantized_module("m.q", w);
  bad[1].dtype = DType::I16;
  bad[2].dtype = DType::I16;
  save(t3.p, bad);
  auto s3 = WeightStore::open(t3.p);
  expect_error_mentioning([&] { resolve_linear(s3, "m.q", q4g32()); }, "scales must be");
  Tmp t4;
  bad = quantized_module("m.q", w);
  bad[2].shape = {2, 4};
  save(t4.p, bad);
  auto s4 = WeightStore::open(t4.p);
  expect_error_mentioning([&] { resolve_linear(s4, "m.q", q4g32()); }, "biases must match");
  Tmp t5;
  bad = quantized_module("m.q", w);
  bad.pop_back();  // no biases
  save(t5.p, bad);
  auto s5 = WeightStore::open(t5.p);
  expect_error_mentioning([&] { resolve_linear(s5, "m.q", q4g32()); }, "m.q.biases");
}

}  // namespace
}  // namespace abstractllm::engine::quant
