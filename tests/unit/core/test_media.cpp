#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "abstractllm/errors.hpp"
#include "abstractllm/media.hpp"

using namespace abstractllm;
namespace fs = std::filesystem;

class MediaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("abstractllm_media_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& bytes) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  fs::path dir_;
};

TEST_F(MediaTest, TextFile) {
  auto m = MediaFactory::from_source(write("notes.md", "# Title\nhéllo\n"));
  EXPECT_EQ(m.kind, MediaKind::Text);
  EXPECT_EQ(m.mime_type, "text/markdown");
  EXPECT_EQ(m.text, "# Title\nhéllo\n");
  EXPECT_EQ(m.metadata.at("file_name"), "notes.md");
}

TEST_F(MediaTest, EmptyTextFile) {
  auto m = MediaFactory::from_source(write("empty.txt", ""));
  EXPECT_EQ(m.kind, MediaKind::Text);
  EXPECT_EQ(m.text, "");
}

TEST_F(MediaTest, Tabular) {
  auto csv = MediaFactory::from_source(write("t.csv", "a,b\n1,2\n"));
  EXPECT_EQ(csv.kind, MediaKind::Tabular);
  EXPECT_EQ(csv.mime_type, "text/csv");
  auto tsv = MediaFactory::from_source(write("t.TSV", "a\tb\n"));
  EXPECT_EQ(tsv.kind, MediaKind::Tabular);
  EXPECT_EQ(tsv.mime_type, "text/tab-separated-values");
}

struct ImageCase {
  const char* name;
  std::string bytes;
  const char* mime;
};

TEST_F(MediaTest, ImagesByMagicBytes) {
  std::vector<ImageCase> cases = {
      {"a.png", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), "image/png"},
      {"a.jpg", std::string("\xff\xd8\xff\xe0\0\x10JFIF", 10), "image/jpeg"},
      {"a.gif", "GIF89a\x01\x00\x01\x00", "image/gif"},
      {"a.webp", std::string("RIFF\x24\0\0\0WEBPVP8 ", 16), "image/webp"},
      {"a.bmp", std::string("BM") + std::string(30, '\0'), "image/bmp"},
      // Magic bytes win over a misleading extension.
      {"really_png.txt", std::string("\x89PNG\r\n\x1a\n\0\0", 10), "image/png"},
  };
  for (const auto& c : cases) {
    auto m = MediaFactory::from_source(write(c.name, c.bytes));
    EXPECT_EQ(m.kind, MediaKind::Image) << c.name;
    EXPECT_EQ(m.mime_type, c.mime) << c.name;
    EXPECT_EQ(m.bytes.size(), c.bytes.size());
  }
}

TEST_F(MediaTest, ErrorsNameThePath) {
  auto expect_error = [](const fs::path& p) {
    try {
      MediaFactory::from_source(p);
      FAIL() << "accepted " << p;
    } catch (const FileProcessingError& e) {
      EXPECT_EQ(e.path(), p.string());
      EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
    }
  };
  expect_error(dir_ / "missing.txt");
  expect_error(dir_);                                                   // a directory
  expect_error(write("bin.txt", std::string("abc\0def", 7)));           // NUL byte
  expect_error(write("latin1.txt", "caf\xe9"));                         // invalid UTF-8
  expect_error(write("fake.png", "not an image at all"));               // image extension, no magic
  expect_error(write("surrogate.txt", "\xed\xa0\x80"));                 // UTF-16 surrogate
}
