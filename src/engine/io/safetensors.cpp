// SafetensorsFile (mapped reader) and SafetensorsWriter (streaming writer).
#include "engine/io/safetensors.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <system_error>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "abstractllm/errors.hpp"

namespace abstractllm::engine {

// ---------------------------------------------------------------- reader

struct SafetensorsFile::Impl {
  std::filesystem::path path;
  FileImage image;                 // the file, or
  std::vector<std::byte> owned;    // from_bytes
  std::vector<TensorView> tensors;
  std::unordered_map<std::string_view, size_t> index;  // views into tensors[i].name
  std::map<std::string, std::string> metadata;
  size_t file_size = 0;
  uint64_t data_bytes = 0;

  void bind(const std::byte* base, size_t size, const std::string& source) {
    file_size = size;
    SafetensorsHeader h = parse_safetensors_header(base, size, source);
    metadata = std::move(h.metadata);
    tensors.reserve(h.tensors.size());
    for (auto& e : h.tensors) {
      TensorView v;
      v.name = std::move(e.name);
      v.dtype = e.dtype;
      v.shape = std::move(e.shape);
      v.data = base + h.data_offset + e.begin;
      v.nbytes = static_cast<size_t>(e.end - e.begin);
      data_bytes += v.nbytes;
      tensors.push_back(std::move(v));
    }
    for (size_t i = 0; i < tensors.size(); ++i) index.emplace(tensors[i].name, i);
  }
};

SafetensorsFile::SafetensorsFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;
SafetensorsFile::~SafetensorsFile() = default;

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path, FileLoad how) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->image = FileImage(path, how);
  impl->bind(impl->image.data(), impl->image.size(), path.string());
  return SafetensorsFile(std::move(impl));
}

SafetensorsFile SafetensorsFile::from_bytes(std::vector<std::byte> bytes,
                                            const std::string& source) {
  auto impl = std::make_unique<Impl>();
  impl->path = source;
  impl->owned = std::move(bytes);
  impl->bind(impl->owned.data(), impl->owned.size(), source);
  return SafetensorsFile(std::move(impl));
}

const std::filesystem::path& SafetensorsFile::path() const { return impl_->path; }
const std::vector<TensorView>& SafetensorsFile::tensors() const { return impl_->tensors; }
const std::map<std::string, std::string>& SafetensorsFile::metadata() const {
  return impl_->metadata;
}
size_t SafetensorsFile::file_size() const { return impl_->file_size; }
std::span<const std::byte> SafetensorsFile::image() const {
  if (!impl_->owned.empty()) return {impl_->owned.data(), impl_->owned.size()};
  return {impl_->image.data(), impl_->image.size()};
}
uint64_t SafetensorsFile::data_bytes() const { return impl_->data_bytes; }

const TensorView* SafetensorsFile::find(std::string_view name) const {
  auto it = impl_->index.find(name);
  return it == impl_->index.end() ? nullptr : &impl_->tensors[it->second];
}

const TensorView& SafetensorsFile::get(std::string_view name) const {
  if (const TensorView* v = find(name)) return *v;
  throw ModelLoadingError("tensor '" + std::string(name) + "' not found in " +
                              impl_->path.string(),
                          {}, {{"path", impl_->path.string()}, {"tensor", std::string(name)}});
}

// ---------------------------------------------------------------- writer

namespace {
constexpr uint64_t kAlign = 8;
uint64_t align_up(uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }
}  // namespace

struct SafetensorsWriter::Impl {
  std::filesystem::path path;
  std::filesystem::path partial;
  std::map<std::string, std::string> metadata;
  struct Planned {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    uint64_t nbytes;
    uint64_t begin;
  };
  std::vector<Planned> planned;
  std::unordered_map<std::string, size_t> index;
  uint64_t data_size = 0;
  std::FILE* file = nullptr;
  static constexpr std::size_t kWriteBuffer = std::size_t{2} << 20;
  std::unique_ptr<char[]> stdio_buffer;  // outlives `file` (fclose comes first)
  bool header_written = false;
  bool finished = false;
  size_t current = 0;        // tensor being written
  uint64_t current_done = 0; // bytes of it written
  uint64_t header_len = 0;

  [[noreturn]] void io_error(const std::string& what) const {
    throw FileProcessingError(partial.string(), "cannot write " + path.string() + ": " + what);
  }

  void write_bytes(const void* p, size_t n) {
    if (n != 0 && std::fwrite(p, 1, n, file) != n) io_error(std::strerror(errno));
  }

  std::string header_json() const {
    nlohmann::ordered_json h = nlohmann::ordered_json::object();
    if (!metadata.empty()) h["__metadata__"] = metadata;
    for (const auto& t : planned) {
      h[t.name] = {{"dtype", std::string(dtype_name(t.dtype))},
                   {"shape", t.shape},
                   {"data_offsets", {t.begin, t.begin + t.nbytes}}};
    }
    std::string s = h.dump();
    // Pad with spaces so the data section starts 8-byte aligned (8 + len multiple of 8).
    s.append(static_cast<size_t>(align_up(s.size()) - s.size()), ' ');
    return s;
  }

  void write_header() {
    std::error_code ec;
    if (!path.parent_path().empty()) std::filesystem::create_directories(path.parent_path(), ec);
    file = std::fopen(partial.c_str(), "wb");
    if (file == nullptr) io_error(std::strerror(errno));
    // A 2 MiB buffer of our own (glibc ignores the size when not given the buffer): stdio then
    // hands the kernel whole 2 MiB-aligned blocks (it writes only full buffers, and larger
    // writes in multiples of the buffer), which page caches with large folios (ext4 since
    // Linux 6.16, xfs) keep as 2 MiB folios, so a model we write is mapped with huge pages
    // while it stays cached (see file_image.cpp). Small writes leave 4 KiB folios behind.
    stdio_buffer = std::make_unique<char[]>(kWriteBuffer);
    std::setvbuf(file, stdio_buffer.get(), _IOFBF, kWriteBuffer);
    const std::string h = header_json();
    header_len = h.size();
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(header_len >> (8 * i));
    write_bytes(len, 8);
    write_bytes(h.data(), h.size());
    header_written = true;
  }

  // Pads the gap up to the current tensor's begin offset.
  void pad_to(uint64_t pos_in_data, uint64_t& written_so_far) {
    static const char zeros[kAlign] = {};
    while (written_so_far < pos_in_data) {
      const uint64_t n = std::min<uint64_t>(kAlign, pos_in_data - written_so_far);
      write_bytes(zeros, static_cast<size_t>(n));
      written_so_far += n;
    }
  }
  uint64_t data_written = 0;
};

SafetensorsWriter::SafetensorsWriter(std::filesystem::path path,
                                     std::map<std::string, std::string> metadata)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(path);
  impl_->partial = impl_->path;
  impl_->partial += ".partial";
  impl_->metadata = std::move(metadata);
}

SafetensorsWriter::~SafetensorsWriter() {
  if (impl_->file != nullptr) std::fclose(impl_->file);
  if (!impl_->finished && impl_->header_written) {
    std::error_code ec;
    std::filesystem::remove(impl_->partial, ec);
  }
}

void SafetensorsWriter::declare(std::string name, DType dtype, std::vector<int64_t> shape) {
  if (impl_->header_written) {
    throw InvalidParameterError("name", "SafetensorsWriter: tensor '" + name +
                                            "' declared after writing started");
  }
  if (name == "__metadata__" || name.empty() || impl_->index.count(name)) {
    throw InvalidParameterError("name", "SafetensorsWriter: tensor name '" + name +
                                            "' is empty, reserved or already declared");
  }
  uint64_t n = dtype_size(dtype);
  for (int64_t d : shape) {
    if (d < 0) throw InvalidParameterError("shape", "negative dimension in '" + name + "'");
    n *= static_cast<uint64_t>(d);
  }
  const uint64_t begin = align_up(impl_->data_size);
  impl_->index.emplace(name, impl_->planned.size());
  impl_->planned.push_back({std::move(name), dtype, std::move(shape), n, begin});
  impl_->data_size = begin + n;
}

void SafetensorsWriter::write_chunk(std::string_view name, const void* data, size_t nbytes) {
  Impl& s = *impl_;
  if (s.finished) throw InvalidParameterError("name", "SafetensorsWriter: already finished");
  if (!s.header_written) s.write_header();
  // Skip over finished (incl. empty) tensors.
  while (s.current < s.planned.size() && s.current_done == s.planned[s.current].nbytes &&
         s.planned[s.current].name != name) {
    ++s.current;
    s.current_done = 0;
  }
  if (s.current >= s.planned.size() || s.planned[s.current].name != name) {
    throw InvalidParameterError("name", "SafetensorsWriter: '" + std::string(name) +
                                            "' is not the next declared tensor");
  }
  auto& t = s.planned[s.current];
  if (s.current_done + nbytes > t.nbytes) {
    throw InvalidParameterError("nbytes", "SafetensorsWriter: too many bytes for '" + t.name +
                                              "' (" + std::to_string(t.nbytes) + " declared)");
  }
  if (s.current_done == 0) s.pad_to(t.begin, s.data_written);
  s.write_bytes(data, nbytes);
  s.current_done += nbytes;
  s.data_written += nbytes;
}

void SafetensorsWriter::write(std::string_view name, const void* data, size_t nbytes) {
  auto it = impl_->index.find(std::string(name));
  if (it == impl_->index.end()) {
    throw InvalidParameterError("name", "SafetensorsWriter: '" + std::string(name) +
                                            "' was not declared");
  }
  if (nbytes != impl_->planned[it->second].nbytes) {
    throw InvalidParameterError(
        "nbytes", "SafetensorsWriter: '" + std::string(name) + "' needs " +
                      std::to_string(impl_->planned[it->second].nbytes) + " bytes, got " +
                      std::to_string(nbytes));
  }
  if (nbytes == 0) {  // nothing to write, but must still be in order
    if (!impl_->header_written) impl_->write_header();
    return;
  }
  write_chunk(name, data, nbytes);
}

void SafetensorsWriter::finish() {
  Impl& s = *impl_;
  if (s.finished) return;
  if (!s.header_written) s.write_header();
  if (s.data_written != s.data_size) {
    // Every non-empty tensor must have been written completely.
    for (const auto& t : s.planned) {
      if (t.nbytes != 0 && t.begin + t.nbytes > s.data_written) {
        throw InvalidParameterError("name", "SafetensorsWriter: tensor '" + t.name +
                                                "' was declared but not (fully) written to " +
                                                s.path.string());
      }
    }
  }
  if (std::fflush(s.file) != 0) s.io_error(std::strerror(errno));
  if (std::fclose(s.file) != 0) {
    s.file = nullptr;
    s.io_error(std::strerror(errno));
  }
  s.file = nullptr;
  std::error_code ec;
  std::filesystem::rename(s.partial, s.path, ec);
  if (ec) s.io_error(ec.message());
  s.finished = true;
}

uint64_t SafetensorsWriter::planned_file_size() const {
  return 8 + impl_->header_json().size() + impl_->data_size;
}

void write_safetensors(const std::filesystem::path& path, const std::vector<TensorView>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  SafetensorsWriter w(path, metadata);
  for (const auto& t : tensors) w.declare(t.name, t.dtype, t.shape);
  for (const auto& t : tensors) w.write(t.name, t.data, t.nbytes);
  w.finish();
}

}  // namespace abstractllm::engine
