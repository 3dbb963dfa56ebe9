// Where models come from: a local folder, or a Hugging Face hub id resolved in the local
// Hugging Face cache exactly as huggingface_hub lays it out. Nothing is ever downloaded.
//
// Cache root (first that applies): the `cache_dir` argument; $HF_HUB_CACHE; $HF_HOME/hub;
// ~/.cache/huggingface/hub ($XDG_CACHE_HOME is honoured as huggingface_hub does:
// $XDG_CACHE_HOME/huggingface/hub when HF_HOME is unset).
// Layout: <root>/models--<org>--<name>/refs/<revision> holds a commit hash;
//         <root>/models--<org>--<name>/snapshots/<hash>/ holds the files (symlinks into blobs/).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace abstractllm::engine {

struct ResolvedModel {
  std::filesystem::path folder;  // directory with config.json and the weights
  bool from_cache = false;       // false: a local folder was given
  std::string repo_id;           // "org/name" (cache only)
  std::string revision;          // as asked ("main" by default) (cache only)
  std::string commit;            // snapshot hash (cache only)
};

// The cache root that applies when no cache_dir is given (see top of file).
std::filesystem::path default_hf_cache_dir();

// "org/name" -> "models--org--name".
std::string repo_folder_name(const std::string& repo_id);

// Resolves `name_or_path`: an existing directory is used as is; otherwise it must be
// "org/name" or "org/name@revision" (a branch/tag in refs/, or a commit hash in snapshots/).
// Throws ModelNotFoundError saying where it looked and how to get the model
// (`huggingface-cli download org/name`), or if the folder has no config.json.
ResolvedModel resolve_model(const std::string& name_or_path,
                            const std::optional<std::filesystem::path>& cache_dir = {});

}  // namespace abstractllm::engine
