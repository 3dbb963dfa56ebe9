// Model::tile_weights: the model's 4-bit matrices repacked into the Tiles16 layout
// (ops/tiled_weights.hpp) at load, the file's copy released.
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "abstractllm/errors.hpp"
#include "engine/io/huge_pages.hpp"
#include "engine/model/model.hpp"
#include "engine/ops/tiled_weights.hpp"

namespace abstractllm::engine::model {
namespace {

constexpr std::size_t kAlign = 64;  // the kernel's aligned 64-byte loads

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

}  // namespace

TilingReport Model::tile_weights(ops::ThreadPool& pool) {
  const auto t0 = std::chrono::steady_clock::now();
  TilingReport report;
  if (!ops::tiled_decode_supported() || weights_.tiled_storage) return report;
  std::vector<ops::WeightMatrix*> views = all_matrices(weights_);
  // One entry per distinct matrix (a tied LM head is the embedding): its offset in the buffer.
  std::vector<const ops::WeightMatrix*> sources;
  std::unordered_map<const void*, std::size_t> offset;
  std::size_t total = 0;
  for (const ops::WeightMatrix* m : views) {
    if (m->data == nullptr || !ops::tileable(*m) || offset.count(m->data)) continue;
    offset[m->data] = total;
    sources.push_back(m);
    total += (static_cast<std::size_t>(ops::tiled_bytes(*m)) + kAlign - 1) & ~(kAlign - 1);
  }
  if (total == 0) return report;
  void* buffer = map_huge_pages(total);
  if (buffer == nullptr) {
    throw ModelLoadingError("repacking the weights: could not allocate " + std::to_string(total) +
                            " bytes of memory");
  }
  std::shared_ptr<const void> keep(
      buffer, [total](const void* p) { ::munmap(const_cast<void*>(p), total); });
  // Matrix by matrix, each file range given back right after its copy is made: the process
  // never holds much more than one copy of the weights.
  std::unordered_map<const void*, ops::WeightMatrix> tiled;
  for (const ops::WeightMatrix* m : sources) {
    const ops::WeightMatrix t =
        ops::tile(*m, static_cast<std::byte*>(buffer) + offset[m->data], pool);
    const auto groups = static_cast<std::size_t>(m->rows * (m->cols / m->group_size));
    report.released +=
        release_pages(weights_, m->data, static_cast<std::size_t>(m->rows * m->cols / 2));
    report.released += release_pages(weights_, m->scales, groups * 2);
    report.released += release_pages(weights_, m->biases, groups * 2);
    report.bytes += static_cast<std::size_t>(ops::tiled_bytes(*m));
    ++report.matrices;
    tiled.emplace(m->data, t);
  }
  for (ops::WeightMatrix* m : views) {
    if (auto it = tiled.find(m->data); m->data != nullptr && it != tiled.end()) *m = it->second;
  }
  weights_.tiled_storage = std::move(keep);
  weights_.images.emplace_back(static_cast<const std::byte*>(buffer), total);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace abstractllm::engine::model
