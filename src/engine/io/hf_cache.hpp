// Listing what the local Hugging Face cache holds (model repos only), as
// `huggingface-cli scan-cache` would, plus what abstractllm cares about: architecture and
// whether the repo is MLX-format.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace abstractllm::engine {

struct CachedModel {
  std::string id;                   // "org/name"
  std::filesystem::path path;       // <root>/models--org--name
  uint64_t size_on_disk = 0;        // bytes of blobs/ (each blob once, however many snapshots)
  int64_t last_modified = 0;        // unix seconds: newest mtime among blobs and refs
  std::vector<std::string> revisions;  // refs names ("main", ...), sorted
  std::vector<std::string> commits;    // snapshot hashes, sorted
  std::string architecture;         // model_type of the newest snapshot's config.json, or ""
  bool is_mlx = false;  // config has quantization(_config) or safetensors metadata format=mlx
};

// Every model repo under the cache root (cache_dir or default_hf_cache_dir()), sorted by id.
// A missing root gives an empty list; unreadable/malformed entries are listed with what could
// be read (never throws for bad repo contents).
std::vector<CachedModel> list_cached_models(
    const std::optional<std::filesystem::path>& cache_dir = {});

// {"id", "path", "size_on_disk", "last_modified", "revisions", "commits", "architecture",
//  "is_mlx"} for `abstractllm cache list --json`.
nlohmann::json to_json(const CachedModel& m);

}  // namespace abstractllm::engine
