#include "engine/io/weights.hpp"

#include <gtest/gtest.h>

#include "abstractllm/errors.hpp"
#include "test_util.hpp"

namespace abstractllm::engine {
namespace {

using testing::TempDir;
using testing::write_text;

void write_shard(const std::filesystem::path& p, const std::vector<std::string>& names) {
  std::vector<float> data(4, 1.5f);
  std::vector<TensorView> views;
  for (const auto& n : names) {
    views.push_back({n, DType::F32, {2, 2}, reinterpret_cast<const std::byte*>(data.data()), 16});
  }
  write_safetensors(p, views, {{"format", "mlx"}});
}

TEST(WeightStore, SingleFile) {
  TempDir d;
  write_shard(d / "model.safetensors", {"a.weight", "b.weight"});
  auto s = WeightStore::open(d.path());
  EXPECT_EQ(s.size(), 2u);
  EXPECT_TRUE(s.has("a.weight"));
  EXPECT_FALSE(s.has("c.weight"));
  EXPECT_EQ(s.total_bytes(), 32u);
  EXPECT_EQ(s.get("b.weight").as<float>()[3], 1.5f);
  EXPECT_EQ(s.metadata().at("format"), "mlx");
  EXPECT_EQ(s.names(), (std::vector<std::string>{"a.weight", "b.weight"}));
  try {
    s.get("c.weight");
    FAIL();
  } catch (const ModelLoadingError& e) {
    EXPECT_NE(std::string(e.what()).find("c.weight"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("model.safetensors"), std::string::npos);
  }
}

TEST(WeightStore, ShardedWithIndex) {
  TempDir d;
  write_shard(d / "model-00001-of-00002.safetensors", {"a", "b"});
  write_shard(d / "model-00002-of-00002.safetensors", {"c"});
  write_text(d / "model.safetensors.index.json",
             R"({"metadata":{"total_size":48},"weight_map":{"a":"model-00001-of-00002.safetensors",)"
             R"("b":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}})");
  auto s = WeightStore::open(d.path());
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.file_of("c").filename(), "model-00002-of-00002.safetensors");
  // Moving keeps the views valid.
  WeightStore moved = std::move(s);
  EXPECT_EQ(moved.get("a").as<float>()[0], 1.5f);
}

TEST(WeightStore, IndexDisagreeingWithShardsIsAnError) {
  TempDir d;
  write_shard(d / "model-00001-of-00002.safetensors", {"a"});
  write_shard(d / "model-00002-of-00002.safetensors", {"c"});
  write_text(d / "model.safetensors.index.json",
             R"({"weight_map":{"a":"model-00002-of-00002.safetensors",)"
             R"("c":"model-00002-of-00002.safetensors"}})");
  // Only shard 2 is listed: 'a' is not where the index says.
  EXPECT_THROW(WeightStore::open(d.path()), ModelLoadingError);
  write_text(d / "model.safetensors.index.json",
             R"({"weight_map":{"a":"model-00001-of-00002.safetensors","zz":"model-00001-of-00002.safetensors",)"
             R"("c":"model-00002-of-00002.safetensors"}})");
  EXPECT_THROW(WeightStore::open(d.path()), ModelLoadingError);
  write_text(d / "model.safetensors.index.json", R"({"weight_map":{"a":"../evil.safetensors"}})");
  EXPECT_THROW(WeightStore::open(d.path()), ModelLoadingError);
  write_text(d / "model.safetensors.index.json", R"({"weight_map":{"a":"missing.safetensors"}})");
  EXPECT_THROW(WeightStore::open(d.path()), ModelLoadingError);
}

TEST(WeightStore, TensorInTwoShardsIsAnError) {
  TempDir d;
  write_shard(d / "model-00001-of-00002.safetensors", {"a", "b"});
  write_shard(d / "model-00002-of-00002.safetensors", {"b"});
  try {
    WeightStore::open(d.path());
    FAIL();
  } catch (const ModelLoadingError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'b'"), std::string::npos) << m;
    EXPECT_NE(m.find("twice"), std::string::npos) << m;
  }
}

TEST(WeightStore, PrefersModelShardsOverOtherSafetensors) {
  TempDir d;
  write_shard(d / "model.safetensors", {"a"});
  write_shard(d / "consolidated.safetensors", {"a"});  // same weights, other naming
  EXPECT_EQ(WeightStore::open(d.path()).size(), 1u);
  TempDir e;
  write_shard(e / "weights.safetensors", {"x"});
  EXPECT_TRUE(WeightStore::open(e.path()).has("x"));
}

TEST(WeightStore, EmptyOrMissingFolder) {
  TempDir d;
  EXPECT_THROW(WeightStore::open(d.path()), ModelLoadingError);
  EXPECT_THROW(WeightStore::open(d / "nope"), ModelLoadingError);
}

}  // namespace
}  // namespace abstractllm::engine
