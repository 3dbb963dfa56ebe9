// Model::tile_weights: the model's 4-bit matrices repacked into the Tiles16 layout
// (ops/tiled_weights.hpp) at load, or mapped from a cache file of an earlier repack
// (tiled_cache.hpp); the weight files' copy released.
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/model/model.hpp"
#include "engine/model/tiled_cache.hpp"
#include "engine/ops/tiled_weights.hpp"

namespace abstractllm::engine::model {
namespace {

namespace fs = std::filesystem;

// Every matrix view of the model (empty ones included; the caller skips them).
std::vector<ops::WeightMatrix*> all_matrices(ModelWeights& w) {
  std::vector<ops::WeightMatrix*> out = {&w.embed, &w.lm_head};
  for (LayerWeights& L : w.layers) {
    for (ops::WeightMatrix* m :
         {&L.q, &L.k, &L.v, &L.qkv, &L.o, &L.gate, &L.up, &L.gate_up, &L.down}) {
      out.push_back(m);
    }
  }
  return out;
}

// Gives back the whole pages inside [p, p + n) when they belong to one of the weight files'
// images (mapped: the page cache keeps them; read: their copy is freed). Never for memory the
// model does not own (hand-built models' buffers). Returns the bytes given back.
std::size_t release_pages(const ModelWeights& w, const void* p, std::size_t n) {
  const auto* b = static_cast<const std::byte*>(p);
  bool in_image = false;
  for (const auto& image : w.images) {
    if (b >= image.data() && b + n <= image.data() + image.size()) in_image = true;
  }
  if (!in_image) return 0;
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(b) + page - 1) & ~(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(b) + n) & ~(page - 1);
  if (end <= begin) return 0;
  if (::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED) != 0) return 0;
  return end - begin;
}

// What a cache file's name is made of (tiled_cache.hpp): the layout's version, the folder and
// each weight file's name, size and modification time. Empty for a hand-built model (no cache).
std::vector<std::string> source_identity(const fs::path& folder) {
  if (folder.empty()) return {};
  std::error_code ec;
  const fs::path dir = fs::weakly_canonical(folder, ec);
  std::vector<std::string> parts = {"tiles16-v2", (ec ? folder : dir).string()};
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    if (e.path().extension() != ".safetensors") continue;
    struct stat st {};
    if (::stat(e.path().c_str(), &st) != 0) continue;
    files.push_back(e.path().filename().string() + " " + std::to_string(st.st_size) + " " +
                    std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec));
  }
  std::sort(files.begin(), files.end());
  parts.insert(parts.end(), files.begin(), files.end());
  return parts;
}

}  // namespace

TilingReport Model::tile_weights(ops::ThreadPool& pool, const TilingOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  TilingReport report;
  if (!ops::tiled_decode_supported() || weights_.tiled_storage) return report;
  std::vector<ops::WeightMatrix*> views = all_matrices(weights_);
  // One entry per distinct matrix (a tied LM head is the embedding).
  std::vector<const ops::WeightMatrix*> sources;
  std::vector<TiledEntry> entries;
  std::unordered_map<const void*, std::size_t> index;
  for (const ops::WeightMatrix* m : views) {
    if (m->data == nullptr || !ops::tileable(*m) || index.count(m->data) ||
        (m->bits == 8 && !options.eight_bit)) {
      continue;
    }
    index[m->data] = sources.size();
    sources.push_back(m);
    entries.push_back({0, static_cast<uint64_t>(ops::tiled_bytes(*m)), m->rows, m->cols,
                       m->group_size, static_cast<int32_t>(m->scale_type), m->bits});
  }
  if (sources.empty()) return report;
  const std::vector<std::string> identity = source_identity(folder_);
  TiledBuffer buffer =
      TiledBuffer::open(identity.empty() ? fs::path() : options.cache_dir, identity, entries);
  // Matrix by matrix, each file range given back right after its copy is made: the process
  // never holds much more than one copy of the weights. Found in the cache, nothing to do.
  std::unordered_map<const void*, ops::WeightMatrix> tiled;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const ops::WeightMatrix& m = *sources[i];
    std::byte* at = buffer.data() + entries[i].offset;
    ops::WeightMatrix t;
    if (buffer.found()) {
      t = m;
      t.layout = ops::WeightLayout::Tiles16;
      t.data = t.scales = t.biases = at;
    } else {
      t = ops::tile(m, at, pool);
    }
    // Also when found: reading the norms at load maps whole 2 MiB pages of the file around
    // them, matrix bytes included (Llama-1B: 61 MB of RSS).
    const auto groups = static_cast<std::size_t>(m.rows * (m.cols / m.group_size));
    report.released +=
        release_pages(weights_, m.data, static_cast<std::size_t>(m.rows * m.cols * m.bits / 8));
    report.released += release_pages(weights_, m.scales, groups * 2);
    report.released += release_pages(weights_, m.biases, groups * 2);
    report.bytes += entries[i].bytes;
    ++report.matrices;
    tiled.emplace(m.data, t);
  }
  buffer.commit();
  for (ops::WeightMatrix* m : views) {
    if (auto it = tiled.find(m->data); m->data != nullptr && it != tiled.end()) *m = it->second;
  }
  weights_.tiled_storage = buffer.keep();
  weights_.images.emplace_back(buffer.data(), buffer.size());
  report.from_cache = buffer.found();
  report.cache_file = buffer.file();
  report.cache_note = buffer.note();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace abstractllm::engine::model
