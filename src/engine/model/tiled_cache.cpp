#include "engine/model/tiled_cache.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include "abstractllm/errors.hpp"
#include "engine/io/huge_pages.hpp"

namespace abstractllm::engine::model {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'A', 'L', 'L', 'M', 'T', '1', '6', '\0'};
constexpr uint32_t kVersion = 2;
constexpr std::size_t kFixedHeader = 32;  // magic, version, count, key, size
constexpr std::size_t kEntryBytes = 44;
constexpr std::size_t kAlign = 64;

uint64_t fnv1a(const std::vector<std::string>& parts, const std::vector<TiledEntry>& entries) {
  uint64_t h = 1469598103934665603ull;
  auto add = [&](const void* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      h ^= static_cast<const unsigned char*>(p)[i];
      h *= 1099511628211ull;
    }
  };
  for (const std::string& s : parts) {
    add(s.data(), s.size());
    add("\n", 1);
  }
  for (const TiledEntry& e : entries) {
    add(&e.rows, sizeof e.rows);
    add(&e.cols, sizeof e.cols);
    add(&e.group_size, sizeof e.group_size);
    add(&e.scale_type, sizeof e.scale_type);
    add(&e.bits, sizeof e.bits);
  }
  return h;
}

std::size_t header_bytes(std::size_t count) {
  return (kFixedHeader + kEntryBytes * count + 4095) / 4096 * 4096;
}

void put(std::byte*& p, const void* v, std::size_t n) {
  std::memcpy(p, v, n);
  p += n;
}

std::vector<std::byte> make_header(uint64_t key, uint64_t size,
                                   const std::vector<TiledEntry>& entries) {
  std::vector<std::byte> h(header_bytes(entries.size()));
  std::byte* p = h.data();
  const auto count = static_cast<uint32_t>(entries.size());
  put(p, kMagic, 8);
  put(p, &kVersion, 4);
  put(p, &count, 4);
  put(p, &key, 8);
  put(p, &size, 8);
  for (const TiledEntry& e : entries) {
    put(p, &e.offset, 8);
    put(p, &e.bytes, 8);
    put(p, &e.rows, 8);
    put(p, &e.cols, 8);
    put(p, &e.group_size, 4);
    put(p, &e.scale_type, 4);
    put(p, &e.bits, 4);
  }
  return h;
}

std::string errno_text() { return std::error_code(errno, std::generic_category()).message(); }

// Anonymous memory in 2 MiB pages.
void into_memory(std::size_t size, std::byte*& data, std::shared_ptr<const void>& keep) {
  void* p = map_huge_pages(size);
  if (p == nullptr) {
    throw ModelLoadingError("repacking the weights: could not allocate " + std::to_string(size) +
                            " bytes of memory");
  }
  data = static_cast<std::byte*>(p);
  keep = std::shared_ptr<const void>(
      p, [size](const void* q) { ::munmap(const_cast<void*>(q), size); });
}

std::shared_ptr<const void> unmap_on_release(void* p, std::size_t size) {
  return std::shared_ptr<const void>(
      p, [size](const void* q) { ::munmap(const_cast<void*>(q), size); });
}

}  // namespace

fs::path default_repack_cache_dir() {
  if (const char* v = std::getenv("ABSTRACTLLM_REPACK_CACHE")) return fs::path(v);
  if (const char* v = std::getenv("XDG_CACHE_HOME"); v != nullptr && *v != '\0') {
    return fs::path(v) / "abstractllm" / "repacked";
  }
  if (const char* v = std::getenv("HOME"); v != nullptr && *v != '\0') {
    return fs::path(v) / ".cache" / "abstractllm" / "repacked";
  }
  return {};
}

TiledBuffer TiledBuffer::open(const fs::path& cache_dir, const std::vector<std::string>& key_parts,
                              std::vector<TiledEntry>& entries) {
  TiledBuffer b;
  std::size_t at = header_bytes(entries.size());
  for (TiledEntry& e : entries) {
    e.offset = at;
    at += (e.bytes + kAlign - 1) / kAlign * kAlign;
  }
  b.size_ = at;
  if (cache_dir.empty()) {
    b.note_ = "no cache folder";
    into_memory(b.size_, b.data_, b.keep_);
    return b;
  }
  const uint64_t key = fnv1a(key_parts, entries);
  const std::vector<std::byte> header = make_header(key, b.size_, entries);
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.tiles16", static_cast<unsigned long long>(key));
  b.file_ = cache_dir / name;

  // An existing file: used only if its header is exactly the expected one.
  if (int fd = ::open(b.file_.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    struct stat st {};
    void* p = MAP_FAILED;
    if (::fstat(fd, &st) == 0 && static_cast<std::size_t>(st.st_size) == b.size_) {
      p = ::mmap(nullptr, b.size_, PROT_READ, MAP_SHARED, fd, 0);
    }
    ::close(fd);
    if (p != MAP_FAILED) {
      if (std::memcmp(p, header.data(), header.size()) == 0) {
        b.data_ = static_cast<std::byte*>(p);
        b.keep_ = unmap_on_release(p, b.size_);
        b.found_ = true;
        return b;
      }
      ::munmap(p, b.size_);
    }
    b.note_ = "the cache file " + b.file_.string() + " did not match; rewriting it";
  }

  // A new file, written through a shared mapping under a temporary name.
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  b.temp_ = b.file_;
  b.temp_ += ".tmp." + std::to_string(::getpid());
  const int fd = ::open(b.temp_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    b.note_ = "cannot create " + b.temp_.string() + ": " + errno_text();
    b.file_.clear();
    b.temp_.clear();
    into_memory(b.size_, b.data_, b.keep_);
    return b;
  }
  // Reserve the blocks first: a write through the mapping to a block the disk cannot give
  // would be a SIGBUS.
  const int err = ::posix_fallocate(fd, 0, static_cast<off_t>(b.size_));
  void* p =
      err == 0 ? ::mmap(nullptr, b.size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  if (p == MAP_FAILED) {
    b.note_ = "cannot write " + b.temp_.string() + ": " +
              (err != 0 ? std::error_code(err, std::generic_category()).message() : errno_text());
    ::close(fd);
    ::unlink(b.temp_.c_str());
    b.file_.clear();
    b.temp_.clear();
    into_memory(b.size_, b.data_, b.keep_);
    return b;
  }
  b.fd_ = fd;
  b.data_ = static_cast<std::byte*>(p);
  b.keep_ = unmap_on_release(p, b.size_);
  std::memcpy(b.data_, header.data(), header.size());
  return b;
}

TiledBuffer::~TiledBuffer() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temp_.c_str());
  }
}

TiledBuffer::TiledBuffer(TiledBuffer&& other) noexcept { *this = std::move(other); }

TiledBuffer& TiledBuffer::operator=(TiledBuffer&& other) noexcept {
  std::swap(data_, other.data_);
  std::swap(size_, other.size_);
  std::swap(found_, other.found_);
  std::swap(file_, other.file_);
  std::swap(temp_, other.temp_);
  std::swap(note_, other.note_);
  std::swap(fd_, other.fd_);
  std::swap(keep_, other.keep_);
  return *this;
}

void TiledBuffer::commit() {
  if (fd_ < 0) return;
  // Flushed before the rename: after a crash the name must not point at missing blocks.
  bool ok = ::msync(data_, size_, MS_SYNC) == 0 && ::fdatasync(fd_) == 0;
  if (ok) ok = ::rename(temp_.c_str(), file_.c_str()) == 0;
  if (!ok) {
    note_ = "cannot publish " + file_.string() + ": " + errno_text();
    ::unlink(temp_.c_str());
    file_.clear();
  }
  ::close(fd_);
  fd_ = -1;
  temp_.clear();
}

}  // namespace abstractllm::engine::model
