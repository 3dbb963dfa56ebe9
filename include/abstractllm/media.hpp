// MediaFactory: turns a file given to generate() into a typed input.
//   text     .txt .md .json .py … (valid UTF-8)           → text
//   tabular  .csv .tsv                                     → text (the table as written)
//   image    PNG, JPEG, GIF, WebP, BMP (by magic bytes, whatever the extension) → bytes
// A missing or unreadable file, or a binary file posing as text, is a FileProcessingError
// naming the path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace abstractllm {

enum class MediaKind { Text, Tabular, Image };
std::string_view to_string(MediaKind k) noexcept;

struct MediaInput {
  MediaKind kind = MediaKind::Text;
  std::string mime_type;           // "text/plain", "text/csv", "image/png", …
  std::string text;                // text and tabular
  std::vector<std::uint8_t> bytes; // image
  std::filesystem::path source;
  std::map<std::string, std::string> metadata;  // "file_name", "size_bytes", "format", …
};

class MediaFactory {
 public:
  // Largest file accepted (bytes); larger → FileProcessingError.
  static constexpr std::uintmax_t kMaxFileBytes = 64ull << 20;
  static MediaInput from_source(const std::filesystem::path& path);
};

}  // namespace abstractllm
