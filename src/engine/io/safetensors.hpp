// safetensors files: a zero-copy, fully validated, memory-mapped reader and a streaming writer.
//
// Format (https://github.com/huggingface/safetensors): 8-byte little-endian header length N, then
// N bytes of UTF-8 JSON {"name": {"dtype": "F16", "shape": [..], "data_offsets": [begin, end]},
// ..., "__metadata__": {"key": "string value"}}, then the data section; offsets are relative to
// the start of the data section. Tensors are row-major, little-endian.
//
// Validation (each failure is a ModelLoadingError naming the file and the tensor):
//   - the file holds at least 8 bytes; N <= 100 MB and 8 + N <= file size;
//   - the header is a JSON object; every entry has a known dtype, a shape of non-negative
//     integers and two data offsets begin <= end; names are unique;
//   - prod(shape) * dtype_size == end - begin, computed without integer overflow;
//   - end <= data section size; no two tensors' byte ranges overlap.
// Gaps between tensors and trailing bytes are tolerated (the Python library tolerates neither
// gaps nor overlaps when writing, but readers in the wild accept gaps; overlaps are rejected).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace abstractllm::engine {

// Every dtype the safetensors format defines (sub-byte F4/F6 types excluded: no MLX model
// stores them; a file using one is rejected with a clear message).
enum class DType : uint8_t {
  BOOL,
  U8,
  I8,
  F8_E4M3,
  F8_E5M2,
  F8_E8M0,
  I16,
  U16,
  F16,
  BF16,
  I32,
  U32,
  F32,
  I64,
  U64,
  F64,
};

// Bytes per element (1, 2, 4 or 8).
size_t dtype_size(DType dtype);
// The name used in safetensors headers ("F16", "BF16", "U32", ...).
std::string_view dtype_name(DType dtype);
// Parses a safetensors dtype name; nullopt when unknown.
std::optional<DType> parse_dtype(std::string_view name);
// True for F16, BF16, F32, F64 (the dtypes loaders can widen to f32 exactly or nearly).
bool is_float_dtype(DType dtype);

// One tensor inside a mapped file. `data` stays valid while the owning SafetensorsFile (or
// WeightStore) lives. Data is little-endian; `data` is only as aligned as the file made it
// (files written by Python/MLX and by SafetensorsWriter align every tensor to 8 bytes relative
// to the data section, whose start is itself 8-byte aligned in the file).
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;
  size_t nbytes = 0;

  int64_t numel() const;  // product of shape (1 for a scalar)
  int64_t dim(int i) const { return shape.at(static_cast<size_t>(i < 0 ? i + ndim() : i)); }
  int ndim() const { return static_cast<int>(shape.size()); }
  template <typename T>
  const T* as() const {
    return reinterpret_cast<const T*>(data);
  }
};

// A header entry before it is bound to memory (what parse_safetensors_header returns).
struct TensorEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // relative to the data section
  uint64_t end = 0;
};

struct SafetensorsHeader {
  std::vector<TensorEntry> tensors;  // in header order
  std::map<std::string, std::string> metadata;
  uint64_t data_offset = 0;  // 8 + header length: where the data section starts in the file
};

// Parses and validates the header of a safetensors image `bytes[0, size)` (the whole file, or
// at least the header part when `size` is the real file size and only the header is present:
// range checks use `size`). `source` names the file in error messages. Throws ModelLoadingError.
// Exposed for the fuzzer and for tools that only need the header.
SafetensorsHeader parse_safetensors_header(const std::byte* bytes, size_t size,
                                           const std::string& source);

// How a model file's bytes are brought into memory.
enum class FileLoad {
  // mmap (MAP_SHARED, PROT_READ), the default: no copy, pages shared with the page cache and
  // read on first use. Files of 2 MiB and more are mapped 2 MiB-aligned with MADV_HUGEPAGE, so
  // the kernel backs them with huge pages where its page cache holds them in 2 MiB folios.
  Map,
  // Read at load into anonymous memory in transparent huge pages, then made read-only
  // (llama.cpp's --no-mmap): huge pages on any file system, at the cost of reading the file at
  // load and of a second copy while the page cache keeps its own.
  Read,
};

// A read-only image of a whole file in memory (see FileLoad); an empty file has no bytes.
// Move-only. Throws ModelLoadingError naming the file when it cannot be opened, mapped or read.
class FileImage {
 public:
  FileImage() = default;
  explicit FileImage(const std::filesystem::path& path, FileLoad how = FileLoad::Map);
  ~FileImage();
  FileImage(FileImage&& other) noexcept;
  FileImage& operator=(FileImage&& other) noexcept;
  FileImage(const FileImage&) = delete;
  FileImage& operator=(const FileImage&) = delete;

  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

// A validated safetensors file in memory (a FileImage: mapped by default). Opening validates
// the whole header (see top of file); a mapped file's tensor data is not read (pages fault in
// on first use). Move-only; TensorView pointers survive moves (the image does not move).
class SafetensorsFile {
 public:
  // Maps (or reads, see FileLoad) and validates `path`. Throws ModelLoadingError (naming the
  // file/tensor) on any defect.
  static SafetensorsFile open(const std::filesystem::path& path, FileLoad how = FileLoad::Map);
  // Validates an in-memory image (copied); for tests and fuzzing. `source` names it in errors.
  static SafetensorsFile from_bytes(std::vector<std::byte> bytes, const std::string& source);

  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  ~SafetensorsFile();

  const std::filesystem::path& path() const;
  const std::vector<TensorView>& tensors() const;  // header order
  // nullptr when absent.
  const TensorView* find(std::string_view name) const;
  // Throws ModelLoadingError naming the tensor and the file when absent.
  const TensorView& get(std::string_view name) const;
  const std::map<std::string, std::string>& metadata() const;
  size_t file_size() const;
  uint64_t data_bytes() const;
  // The whole file's bytes in memory (the mapping or the read copy; from_bytes: the copy).
  std::span<const std::byte> image() const;  // sum of tensor sizes

 private:
  struct Impl;
  explicit SafetensorsFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Writes a safetensors file tensor by tensor without holding the data in memory:
//   SafetensorsWriter w(path, {{"format", "mlx"}});
//   w.declare("a", DType::F16, {4, 8});  w.declare("b", ...);   // every tensor, up front
//   w.write("a", ptr, nbytes);  // in declaration order; may be split: write_chunk(...)
//   w.finish();                 // checks everything was written, renames into place
// Data goes to "<path>.partial" and is renamed to `path` by finish(), so an interrupted write
// never leaves a file that looks complete. Tensors are aligned to 8 bytes (header padded with
// spaces, as the Python library does). Throws FileProcessingError on I/O errors and
// InvalidParameterError on misuse (unknown name, wrong order or size).
class SafetensorsWriter {
 public:
  explicit SafetensorsWriter(std::filesystem::path path,
                             std::map<std::string, std::string> metadata = {});
  ~SafetensorsWriter();  // removes the partial file if finish() was not reached
  SafetensorsWriter(const SafetensorsWriter&) = delete;
  SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

  void declare(std::string name, DType dtype, std::vector<int64_t> shape);
  // Whole tensor at once (must be the next one in declaration order).
  void write(std::string_view name, const void* data, size_t nbytes);
  // Part of the next tensor: consecutive chunks of `name` until its size is reached.
  void write_chunk(std::string_view name, const void* data, size_t nbytes);
  void finish();

  // Bytes the finished file will have (valid once every tensor is declared).
  uint64_t planned_file_size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Convenience: writes `tensors` (views into caller memory) to `path` in one call.
void write_safetensors(const std::filesystem::path& path, const std::vector<TensorView>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace abstractllm::engine
