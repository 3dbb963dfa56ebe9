// Repacked (Tiles16) weights kept on disk, so that a model is repacked once and later loads map
// the result like any weight file: no repacking, no fresh memory to fault in (on our VM that,
// not the copying, is most of a repack's second), one copy of the weights in the page cache.
//
// A cache file is named by a hash of what it was made from: the layout's version, the model
// folder, each .safetensors file's name, size and modification time, and every repacked
// matrix's shape, group size and scale type. Any change to the weight files gives a new name;
// stale files are left for the user to delete (docs/mlx.md says where they are). Layout:
//
//   header (a multiple of 4096 bytes): "ALLMT16\0", u32 version, u32 matrix count, u64 key,
//   u64 file size, then per matrix u64 offset, u64 bytes, i64 rows, i64 cols, i32 group size,
//   i32 scale type (1 = f16, 2 = bf16), i32 bits; little-endian
//   each matrix's Tiles16 bytes at its offset (64-byte aligned)
//
// A file is written under a temporary name, flushed to disk, then renamed, so a reader sees
// either nothing or a whole file. A file whose header disagrees with what the model expects is
// ignored (and replaced).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace abstractllm::engine::model {

// One matrix of a cache file.
struct TiledEntry {
  uint64_t offset = 0;
  uint64_t bytes = 0;
  int64_t rows = 0, cols = 0;
  int32_t group_size = 0;
  int32_t scale_type = 0;
  int32_t bits = 0;
  bool operator==(const TiledEntry&) const = default;
};

// The cache folder used when the caller names none: $ABSTRACTLLM_REPACK_CACHE if set (empty:
// no cache), else $XDG_CACHE_HOME/abstractllm/repacked, else ~/.cache/abstractllm/repacked;
// empty when none of these can be formed.
std::filesystem::path default_repack_cache_dir();

// Memory holding the Tiles16 bytes of a model's matrices at their entries' offsets: a cache
// file mapped read-only (found), or anonymous memory in 2 MiB pages to repack into, which
// commit() then writes to the cache folder (when there is one) for the next load.
class TiledBuffer {
 public:
  // `key_parts` identify the source (see the top of the file); `entries` give each matrix's
  // offset (assigned here: pass them with offset 0) and size. Throws ModelLoadingError only
  // when the memory cannot be had; cache problems are reported by note().
  static TiledBuffer open(const std::filesystem::path& cache_dir,
                          const std::vector<std::string>& key_parts,
                          std::vector<TiledEntry>& entries);

  TiledBuffer() = default;
  ~TiledBuffer();
  TiledBuffer(TiledBuffer&& other) noexcept;
  TiledBuffer& operator=(TiledBuffer&& other) noexcept;
  TiledBuffer(const TiledBuffer&) = delete;
  TiledBuffer& operator=(const TiledBuffer&) = delete;

  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  // True when the bytes came from an existing cache file (nothing to repack).
  bool found() const { return found_; }
  // The cache file (found, or to be written by commit()); empty when there is none.
  const std::filesystem::path& file() const { return file_; }
  // Why the cache was not used, when it was not ("" otherwise).
  const std::string& note() const { return note_; }
  // After the matrices are repacked into data(): writes them, header included, to a new cache
  // file, flushed to disk and then renamed into place (a no-op for a found file or without a
  // cache folder). On failure (unwritable folder, full disk) file() becomes empty and note()
  // says why; the bytes in memory serve either way.
  void commit();
  // Keeps the memory alive (the mapping is released with the last copy).
  std::shared_ptr<const void> keep() const { return keep_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  bool found_ = false;
  std::filesystem::path file_;
  std::string note_;
  std::shared_ptr<const void> keep_;
};

}  // namespace abstractllm::engine::model
