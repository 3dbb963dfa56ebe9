// resolve_model and list_cached_models on fake Hugging Face cache trees laid out as
// huggingface_hub does: models--org--name/{blobs,refs,snapshots} with symlinks into blobs/.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "abstractllm/errors.hpp"
#include "engine/io/hf_cache.hpp"
#include "engine/io/model_locator.hpp"
#include "test_util.hpp"

namespace abstractllm::engine {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::write_text;

// Adds a blob and links snapshots/<commit>/<file> to it (relative link, like huggingface_hub).
void add_file(const fs::path& repo, const std::string& commit, const std::string& file,
              const std::string& content, const std::string& blob_name) {
  write_text(repo / "blobs" / blob_name, content);
  fs::create_directories(repo / "snapshots" / commit);
  const fs::path link = repo / "snapshots" / commit / file;
  if (!fs::exists(link)) fs::create_symlink(fs::path("../../blobs") / blob_name, link);
}

fs::path make_repo(const fs::path& root, const std::string& folder) {
  fs::create_directories(root / folder / "refs");
  return root / folder;
}

class HfCacheTest : public ::testing::Test {
 protected:
  TempDir dir;
  fs::path root() const { return dir.path() / "hub"; }
  const std::string cfg = R"({"model_type":"llama","quantization":{"group_size":64,"bits":4}})";

  void SetUp() override {
    // mlx-community/Llama-3.2-1B-Instruct-4bit: two revisions sharing the weights blob.
    auto r = make_repo(root(), "models--mlx-community--Llama-3.2-1B-Instruct-4bit");
    add_file(r, "aaaa1111", "config.json", cfg, "cfgblob1");
    add_file(r, "aaaa1111", "model.safetensors", std::string(1000, 'w'), "weightsblob");
    add_file(r, "bbbb2222", "config.json", cfg + " ", "cfgblob2");
    add_file(r, "bbbb2222", "model.safetensors", std::string(1000, 'w'), "weightsblob");
    write_text(r / "refs" / "main", "bbbb2222");
    write_text(r / "refs" / "v1", "aaaa1111\n");
    // Qwen/Qwen3-0.6B: a float HF model, not MLX.
    auto q = make_repo(root(), "models--Qwen--Qwen3-0.6B");
    add_file(q, "cccc3333", "config.json", R"({"model_type":"qwen3"})", "qcfg");
    write_text(q / "refs" / "main", "cccc3333");
    // A dataset repo is not a model.
    fs::create_directories(root() / "datasets--foo--bar");
  }
};

TEST_F(HfCacheTest, ResolvesRefsToSnapshots) {
  auto r = resolve_model("mlx-community/Llama-3.2-1B-Instruct-4bit", root());
  EXPECT_TRUE(r.from_cache);
  EXPECT_EQ(r.revision, "main");
  EXPECT_EQ(r.commit, "bbbb2222");
  EXPECT_EQ(r.folder, root() / "models--mlx-community--Llama-3.2-1B-Instruct-4bit" /
                          "snapshots" / "bbbb2222");
  auto v1 = resolve_model("mlx-community/Llama-3.2-1B-Instruct-4bit@v1", root());
  EXPECT_EQ(v1.commit, "aaaa1111");  // trailing newline in the ref trimmed
  auto by_hash = resolve_model("mlx-community/Llama-3.2-1B-Instruct-4bit@aaaa1111", root());
  EXPECT_EQ(by_hash.commit, "aaaa1111");
}

TEST_F(HfCacheTest, MissingModelSaysWhereItLookedAndHowToGetIt) {
  try {
    resolve_model("mlx-community/Nope-4bit", root());
    FAIL();
  } catch (const ModelNotFoundError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("models--mlx-community--Nope-4bit"), std::string::npos) << m;
    EXPECT_NE(m.find(root().string()), std::string::npos) << m;
    EXPECT_NE(m.find("huggingface-cli download mlx-community/Nope-4bit"), std::string::npos) << m;
  }
  try {
    resolve_model("mlx-community/Llama-3.2-1B-Instruct-4bit@v9", root());
    FAIL();
  } catch (const ModelNotFoundError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("v9"), std::string::npos) << m;
    EXPECT_NE(m.find("main"), std::string::npos) << m;  // lists the refs it has
    EXPECT_NE(m.find("--revision v9"), std::string::npos) << m;
  }
  EXPECT_THROW(resolve_model("/definitely/not/here", root()), ModelNotFoundError);
  EXPECT_THROW(resolve_model("a/b/c", root()), ModelNotFoundError);
  EXPECT_THROW(resolve_model("org/name@../../etc", root()), ModelNotFoundError);
}

TEST_F(HfCacheTest, BrokenRefIsReported) {
  auto r = root() / "models--Qwen--Qwen3-0.6B";
  write_text(r / "refs" / "main", "ffff0000");
  EXPECT_THROW(resolve_model("Qwen/Qwen3-0.6B", root()), ModelNotFoundError);
}

TEST_F(HfCacheTest, LocalFolderWins) {
  auto local = dir.path() / "my-model";
  write_text(local / "config.json", "{}");
  auto r = resolve_model(local.string(), root());
  EXPECT_FALSE(r.from_cache);
  EXPECT_EQ(r.folder, local);
  fs::create_directories(dir.path() / "empty");
  EXPECT_THROW(resolve_model((dir.path() / "empty").string(), root()), ModelNotFoundError);
}

TEST_F(HfCacheTest, EnvironmentPicksTheCacheRoot) {
  const char* saved_hub = std::getenv("HF_HUB_CACHE");
  const char* saved_home = std::getenv("HF_HOME");
  std::string sh = saved_hub ? saved_hub : "", shome = saved_home ? saved_home : "";
  ::setenv("HF_HUB_CACHE", root().c_str(), 1);
  EXPECT_EQ(default_hf_cache_dir(), root());
  EXPECT_EQ(resolve_model("Qwen/Qwen3-0.6B").commit, "cccc3333");
  ::unsetenv("HF_HUB_CACHE");
  ::setenv("HF_HOME", dir.path().c_str(), 1);
  EXPECT_EQ(default_hf_cache_dir(), dir.path() / "hub");
  EXPECT_EQ(resolve_model("Qwen/Qwen3-0.6B").commit, "cccc3333");
  ::unsetenv("HF_HOME");
  if (saved_hub) ::setenv("HF_HUB_CACHE", sh.c_str(), 1);
  if (saved_home) ::setenv("HF_HOME", shome.c_str(), 1);
}

TEST_F(HfCacheTest, ListsModelsWithSizeCountedOnce) {
  auto models = list_cached_models(root());
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].id, "Qwen/Qwen3-0.6B");
  EXPECT_EQ(models[1].id, "mlx-community/Llama-3.2-1B-Instruct-4bit");
  const auto& m = models[1];
  // cfgblob1 + cfgblob2 (one byte longer) + weightsblob (1000, shared by both snapshots).
  EXPECT_EQ(m.size_on_disk, cfg.size() + (cfg.size() + 1) + 1000u);
  EXPECT_EQ(m.revisions, (std::vector<std::string>{"main", "v1"}));
  EXPECT_EQ(m.commits, (std::vector<std::string>{"aaaa1111", "bbbb2222"}));
  EXPECT_EQ(m.architecture, "llama");
  EXPECT_TRUE(m.is_mlx);
  EXPECT_GT(m.last_modified, 0);
  EXPECT_EQ(models[0].architecture, "qwen3");
  EXPECT_FALSE(models[0].is_mlx);
  auto j = to_json(m);
  EXPECT_EQ(j["id"], "mlx-community/Llama-3.2-1B-Instruct-4bit");
  EXPECT_EQ(j["size_on_disk"], m.size_on_disk);
  EXPECT_TRUE(list_cached_models(dir.path() / "nothing").empty());
}

TEST_F(HfCacheTest, MlxMetadataMarksBf16MlxModels) {
  // An unquantized mlx-community model: no quantization block, but shards say format=mlx.
  auto r = make_repo(root(), "models--mlx-community--gemma-3-1b-it-bf16");
  add_file(r, "dddd", "config.json", R"({"model_type":"gemma3_text"})", "gcfg");
  std::string header = R"({"__metadata__":{"format":"mlx"}})";
  std::string st(8, '\0');
  st[0] = static_cast<char>(header.size());
  add_file(r, "dddd", "model.safetensors", st + header, "gweights");
  write_text(r / "refs" / "main", "dddd");
  auto models = list_cached_models(root());
  auto it = std::find_if(models.begin(), models.end(),
                         [](const CachedModel& m) { return m.id.find("gemma") != std::string::npos; });
  ASSERT_NE(it, models.end());
  EXPECT_TRUE(it->is_mlx);
  EXPECT_EQ(it->architecture, "gemma3_text");
}

}  // namespace
}  // namespace abstractllm::engine
