// WeightStore: all shards of a model folder (see weights.hpp).
#include "engine/io/weights.hpp"

#include <algorithm>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "abstractllm/errors.hpp"

namespace abstractllm::engine {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& msg, const fs::path& path) {
  throw ModelLoadingError(msg, {}, {{"path", path.string()}});
}

// Shard file names from model.safetensors.index.json, plus tensor -> shard.
std::vector<std::string> read_index(const fs::path& index_path,
                                    std::map<std::string, std::string>& weight_map) {
  std::ifstream in(index_path, std::ios::binary);
  if (!in) fail("cannot read " + index_path.string(), index_path);
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    fail(index_path.string() + " is not valid JSON: " + e.what(), index_path);
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
    fail(index_path.string() + ": expected an object with a \"weight_map\" object", index_path);
  }
  std::set<std::string> files;
  for (auto& [name, file] : j["weight_map"].items()) {
    if (!file.is_string()) {
      fail(index_path.string() + ": weight_map entry '" + name + "' is not a file name",
           index_path);
    }
    const std::string f = file.get<std::string>();
    // A shard name must stay inside the folder.
    if (f.empty() || f.find('/') != std::string::npos || f.find('\\') != std::string::npos ||
        f == "." || f == "..") {
      fail(index_path.string() + ": weight_map entry '" + name + "' names an invalid file '" +
               f + "'",
           index_path);
    }
    weight_map[name] = f;
    files.insert(f);
  }
  return {files.begin(), files.end()};
}

}  // namespace

WeightStore WeightStore::open(const fs::path& folder, FileLoad how) {
  WeightStore store;
  store.folder_ = folder;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) fail("model folder " + folder.string() + " does not exist",
                                          folder);

  std::map<std::string, std::string> weight_map;
  std::vector<std::string> shard_names;
  const fs::path index_path = folder / "model.safetensors.index.json";
  if (fs::exists(index_path, ec)) {
    shard_names = read_index(index_path, weight_map);
  } else {
    // As mlx-lm: model*.safetensors; only if there are none, any *.safetensors (so repos that
    // also ship e.g. consolidated.safetensors do not load the same weights twice).
    std::vector<std::string> model_files, other_files;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.size() > 12 && name.ends_with(".safetensors") && !name.starts_with(".")) {
        (name.starts_with("model") ? model_files : other_files).push_back(name);
      }
    }
    shard_names = model_files.empty() ? other_files : model_files;
    std::sort(shard_names.begin(), shard_names.end());
  }
  if (shard_names.empty()) {
    fail("no weights in " + folder.string() +
             ": expected model.safetensors, or shards listed in model.safetensors.index.json",
         folder);
  }

  for (const auto& name : shard_names) {
    const fs::path p = folder / name;
    if (!fs::exists(p, ec)) {
      fail("shard " + p.string() + " listed in model.safetensors.index.json is missing", p);
    }
    store.files_.push_back(SafetensorsFile::open(p, how));
  }

  for (size_t i = 0; i < store.files_.size(); ++i) {
    for (const auto& t : store.files_[i].tensors()) {
      auto [it, inserted] = store.by_name_.emplace(t.name, Slot{&t, i});
      if (!inserted) {
        fail("tensor '" + t.name + "' is stored twice: in " +
                 store.files_[it->second.file].path().string() + " and " +
                 store.files_[i].path().string(),
             store.files_[i].path());
      }
      store.total_bytes_ += t.nbytes;
    }
  }
  // The index must agree with the shards: each listed tensor where it says.
  for (const auto& [name, file] : weight_map) {
    auto it = store.by_name_.find(name);
    if (it == store.by_name_.end()) {
      fail("tensor '" + name + "' is listed in model.safetensors.index.json (in " + file +
               ") but no shard of " + folder.string() + " holds it",
           index_path);
    }
    const auto& actual = store.files_[it->second.file].path();
    if (actual.filename() != file) {
      fail("tensor '" + name + "' is in " + actual.string() +
               " but model.safetensors.index.json says " + file,
           index_path);
    }
  }
  return store;
}

bool WeightStore::has(std::string_view name) const { return by_name_.find(name) != by_name_.end(); }

const TensorView* WeightStore::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second.view;
}

const TensorView& WeightStore::get(std::string_view name) const {
  if (const TensorView* v = find(name)) return *v;
  std::string files;
  for (const auto& f : files_) {
    if (!files.empty()) files += ", ";
    files += f.path().filename().string();
  }
  throw ModelLoadingError("tensor '" + std::string(name) + "' not found in the weights of " +
                              folder_.string() + " (searched " + files + ")",
                          {}, {{"path", folder_.string()}, {"tensor", std::string(name)}});
}

std::vector<std::string> WeightStore::names() const {
  std::vector<std::string> out;
  out.reserve(by_name_.size());
  for (const auto& [name, slot] : by_name_) out.push_back(name);
  return out;
}

const std::filesystem::path& WeightStore::file_of(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) get(name);  // throws
  return files_[it->second.file].path();
}

const std::map<std::string, std::string>& WeightStore::metadata() const {
  static const std::map<std::string, std::string> empty;
  return files_.empty() ? empty : files_.front().metadata();
}

}  // namespace abstractllm::engine
