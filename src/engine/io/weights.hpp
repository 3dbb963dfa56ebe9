// WeightStore: every tensor of a model folder, across shards, memory-mapped for its lifetime.
//
// Which files: if `model.safetensors.index.json` exists, the shards its weight_map names (each
// tensor must be found in the shard the index says); else every `model*.safetensors` file (as
// mlx-lm globs), or, when there is none, every `*.safetensors` file of the folder. A tensor present in two shards is an error (ModelLoadingError naming both).
// No files at all -> ModelLoadingError saying which folder was searched.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/io/safetensors.hpp"

namespace abstractllm::engine {

class WeightStore {
 public:
  // Opens (maps, or reads: see FileLoad) and validates every shard of `folder`. Throws
  // ModelLoadingError.
  static WeightStore open(const std::filesystem::path& folder, FileLoad how = FileLoad::Map);

  WeightStore(WeightStore&&) noexcept = default;
  WeightStore& operator=(WeightStore&&) noexcept = default;

  bool has(std::string_view name) const;
  // nullptr when absent.
  const TensorView* find(std::string_view name) const;
  // Throws ModelLoadingError naming the tensor and the folder (and the shard the index
  // promised, if any) when absent.
  const TensorView& get(std::string_view name) const;
  // Every tensor name, sorted.
  std::vector<std::string> names() const;
  size_t size() const { return by_name_.size(); }
  // Sum of all tensors' byte sizes.
  uint64_t total_bytes() const { return total_bytes_; }
  // The shard holding `name` (throws like get()).
  const std::filesystem::path& file_of(std::string_view name) const;
  const std::filesystem::path& folder() const { return folder_; }
  const std::vector<SafetensorsFile>& files() const { return files_; }
  // `__metadata__` of the first shard (mlx writes {"format": "mlx"} in every shard).
  const std::map<std::string, std::string>& metadata() const;

 private:
  WeightStore() = default;
  std::filesystem::path folder_;
  std::vector<SafetensorsFile> files_;
  struct Slot {
    const TensorView* view;
    size_t file;
  };
  std::map<std::string, Slot, std::less<>> by_name_;
  uint64_t total_bytes_ = 0;
};

}  // namespace abstractllm::engine
