// `abstractllm cache list [--cache-dir D] [--json]`: what the local Hugging Face cache holds.
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "engine/io/hf_cache.hpp"
#include "engine/io/model_locator.hpp"

namespace abstractllm::cli {

namespace {

struct CacheArgs {
  std::string cache_dir;
  bool json = false;
};

std::string human_size(uint64_t b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string date(int64_t t) {
  if (t <= 0) return "-";
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::localtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

}  // namespace

void add_cache_command(CLI::App& app) {
  auto a = std::make_shared<CacheArgs>();
  auto* cmd = app.add_subcommand("cache", "Inspect the Hugging Face model cache");
  cmd->require_subcommand(1);
  auto* list = cmd->add_subcommand("list", "List cached models (id, size, revisions, MLX or not)");
  list->add_option("--cache-dir", a->cache_dir,
                   "Cache root (default: $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub)");
  list->add_flag("--json", a->json, "Print JSON (a list of {id, size_on_disk, ...})");
  list->callback([a] {
    std::optional<std::filesystem::path> dir;
    if (!a->cache_dir.empty()) dir = a->cache_dir;
    const auto models = engine::list_cached_models(dir);
    if (a->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& m : models) out.push_back(engine::to_json(m));
      std::cout << out.dump(2) << "\n";
      return;
    }
    const auto root = dir ? *dir : engine::default_hf_cache_dir();
    if (models.empty()) {
      std::cout << "No models in " << root.string() << "\n";
      return;
    }
    std::printf("%-50s %10s  %-16s  %-14s %-4s %s\n", "MODEL", "SIZE", "MODIFIED", "ARCH", "MLX",
                "REVISIONS");
    uint64_t total = 0;
    for (const auto& m : models) {
      std::string revs;
      for (const auto& r : m.revisions) {
        if (!revs.empty()) revs += ",";
        revs += r;
      }
      std::printf("%-50s %10s  %-16s  %-14s %-4s %s\n", m.id.c_str(),
                  human_size(m.size_on_disk).c_str(), date(m.last_modified).c_str(),
                  m.architecture.empty() ? "-" : m.architecture.c_str(), m.is_mlx ? "yes" : "no",
                  revs.c_str());
      total += m.size_on_disk;
    }
    std::printf("%zu model(s), %s in %s\n", models.size(), human_size(total).c_str(),
                root.string().c_str());
  });
}

}  // namespace abstractllm::cli
