// The process-wide LRU of loaded models: order, eviction, sharing, thread safety.
#include <atomic>
#include <thread>

#include "provider_fixture.hpp"
#include "providers/mlx/model_cache.hpp"

using namespace abstractllm;
using abstractllm::test::MlxProviderTest;
namespace fs = std::filesystem;

namespace {
fs::path canonical(const std::string& p) { return fs::weakly_canonical(p); }
}  // namespace

TEST_F(MlxProviderTest, LruOrderAndEviction) {
  create_llm("mlx", greedy("tiny-a"))->load_model();
  create_llm("mlx", greedy("tiny-b"))->load_model();
  EXPECT_EQ(mlx::cached_model_folders(), (std::vector<fs::path>{canonical(model("tiny-b")), canonical(model("tiny-a"))}));
  create_llm("mlx", greedy("tiny-a"))->load_model();  // touch a
  create_llm("mlx", greedy("tiny-c"))->load_model();  // evicts b, the least recently used
  EXPECT_EQ(mlx::cached_model_folders(), (std::vector<fs::path>{canonical(model("tiny-c")), canonical(model("tiny-a"))}));
  mlx::set_max_cached_models(1);
  EXPECT_EQ(mlx::cached_model_folders().size(), 1u);
  mlx::clear_model_cache(model("tiny-c"));
  EXPECT_TRUE(mlx::cached_model_folders().empty());
}

TEST_F(MlxProviderTest, MaxCachedModelsParameter) {
  create_llm("mlx", {{ModelParameter::MODEL, model()}, {"max_cached_models", 3}});
  EXPECT_EQ(mlx::max_cached_models(), 3u);
  EXPECT_THROW(create_llm("mlx", {{ModelParameter::MODEL, model()}, {"max_cached_models", 0}}),
               InvalidParameterError);
}

TEST_F(MlxProviderTest, TwoProvidersShareOneLoad) {
  std::atomic<int> loads{0};
  auto& cache = mlx::ModelCache::instance();
  const fs::path folder = canonical(model("tiny-b"));
  auto loader = [&] {
    ++loads;
    return std::shared_ptr<const engine::LoadedModel>(engine::LoadedModel::load(folder));
  };
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<const engine::LoadedModel>> got(4);
  for (int i = 0; i < 4; ++i) threads.emplace_back([&, i] { got[i] = cache.get_or_load(folder, loader); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(loads.load(), 1);
  for (auto& g : got) EXPECT_EQ(g.get(), got[0].get());
  // A provider on the same folder uses the cached copy.
  create_llm("mlx", greedy("tiny-b"))->load_model();
  EXPECT_EQ(loads.load(), 1);
  EXPECT_EQ(mlx::cached_model_folders().size(), 1u);
}

TEST_F(MlxProviderTest, EvictionNeverFreesAModelInUse) {
  auto llm = create_llm("mlx", greedy("tiny-a"));
  auto before = llm->generate("keep");
  mlx::clear_model_cache();  // drops the cache's reference only
  create_llm("mlx", greedy("tiny-b"))->load_model();
  create_llm("mlx", greedy("tiny-c"))->load_model();
  auto after = llm->generate("keep");
  EXPECT_EQ(after.token_ids, before.token_ids);
}

TEST_F(MlxProviderTest, ConcurrentRequestsOnOneAndOnSharedModels) {
  auto one = create_llm("mlx", greedy("tiny-a", 12));
  auto two = create_llm("mlx", greedy("tiny-a", 12));
  const auto expected = one->generate("concurrent").token_ids;
  std::vector<std::thread> threads;
  std::vector<std::vector<int32_t>> results(6);
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&, i] { results[i] = (i % 2 ? one : two)->generate("concurrent").token_ids; });
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_EQ(r, expected);
}
