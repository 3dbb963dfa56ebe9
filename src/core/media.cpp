// MediaFactory: classify a file by magic bytes first (an image is an image whatever its name),
// then by extension; text must be valid UTF-8 without NUL bytes.
#include "abstractllm/media.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>

#include "abstractllm/errors.hpp"

namespace abstractllm {
namespace {

struct ImageFormat {
  const char* name;
  const char* mime;
};

std::optional<ImageFormat> sniff_image(const std::vector<std::uint8_t>& b) {
  auto starts = [&](std::string_view magic, size_t offset = 0) {
    return b.size() >= offset + magic.size() &&
           std::memcmp(b.data() + offset, magic.data(), magic.size()) == 0;
  };
  if (starts("\x89PNG\r\n\x1a\n")) return ImageFormat{"png", "image/png"};
  if (starts("\xff\xd8\xff")) return ImageFormat{"jpeg", "image/jpeg"};
  if (starts("GIF87a") || starts("GIF89a")) return ImageFormat{"gif", "image/gif"};
  if (starts("RIFF") && starts("WEBP", 8)) return ImageFormat{"webp", "image/webp"};
  if (starts("BM") && b.size() >= 26) return ImageFormat{"bmp", "image/bmp"};
  return std::nullopt;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;  // NUL: binary data, not text
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and out-of-range code points are not UTF-8.
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n;
  }
  return true;
}

std::string lower_extension(const std::filesystem::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e;
}

const char* text_mime(const std::string& ext) {
  if (ext == ".md" || ext == ".markdown") return "text/markdown";
  if (ext == ".json") return "application/json";
  if (ext == ".html" || ext == ".htm") return "text/html";
  if (ext == ".xml") return "application/xml";
  if (ext == ".yaml" || ext == ".yml") return "application/yaml";
  return "text/plain";
}

const std::array<const char*, 6> kImageExtensions = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"};

}  // namespace

std::string_view to_string(MediaKind k) noexcept {
  switch (k) {
    case MediaKind::Text: return "text";
    case MediaKind::Tabular: return "tabular";
    case MediaKind::Image: return "image";
  }
  return "unknown";
}

MediaInput MediaFactory::from_source(const std::filesystem::path& path) {
  const std::string shown = path.string();
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    throw FileProcessingError(shown, "file not found: " + shown);
  if (std::filesystem::is_directory(status))
    throw FileProcessingError(shown, "expected a file but found a directory: " + shown);
  auto size = std::filesystem::file_size(path, ec);
  if (ec) throw FileProcessingError(shown, "cannot read the size of " + shown + ": " + ec.message());
  if (size > kMaxFileBytes)
    throw FileProcessingError(shown, "file too large: " + shown + " is " + std::to_string(size) +
                                         " bytes, the limit is " + std::to_string(kMaxFileBytes));

  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileProcessingError(shown, "cannot open " + shown + " for reading (permission?)");
  std::vector<std::uint8_t> bytes(static_cast<size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
    throw FileProcessingError(shown, "cannot read " + shown);

  MediaInput m;
  m.source = path;
  m.metadata["file_name"] = path.filename().string();
  m.metadata["size_bytes"] = std::to_string(size);
  const std::string ext = lower_extension(path);

  if (auto img = sniff_image(bytes)) {
    m.kind = MediaKind::Image;
    m.mime_type = img->mime;
    m.metadata["format"] = img->name;
    m.bytes = std::move(bytes);
    return m;
  }
  if (std::find(kImageExtensions.begin(), kImageExtensions.end(), ext) != kImageExtensions.end())
    throw FileProcessingError(shown, "file " + shown + " has an image extension (" + ext +
                                         ") but is not a PNG, JPEG, GIF, WebP or BMP image");

  std::string text(bytes.begin(), bytes.end());
  if (!valid_utf8(text))
    throw FileProcessingError(shown, "file " + shown +
                                         " is not text (binary data or invalid UTF-8); supported: "
                                         "UTF-8 text, CSV/TSV, and PNG/JPEG/GIF/WebP/BMP images");
  if (ext == ".csv" || ext == ".tsv") {
    m.kind = MediaKind::Tabular;
    m.mime_type = ext == ".csv" ? "text/csv" : "text/tab-separated-values";
    m.metadata["delimiter"] = ext == ".csv" ? "," : "\t";
  } else {
    m.kind = MediaKind::Text;
    m.mime_type = text_mime(ext);
  }
  m.text = std::move(text);
  return m;
}

}  // namespace abstractllm
