#include "engine/io/safetensors.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <numeric>
#include <string>

#include "abstractllm/errors.hpp"
#include "test_util.hpp"

namespace abstractllm::engine {
namespace {

using testing::raw_image;
using testing::TempDir;

// Expects a ModelLoadingError whose message contains every fragment.
template <typename F>
void expect_load_error(F&& f, std::initializer_list<std::string> fragments) {
  try {
    f();
    FAIL() << "expected ModelLoadingError";
  } catch (const ModelLoadingError& e) {
    const std::string msg = e.what();
    for (const auto& frag : fragments) EXPECT_NE(msg.find(frag), std::string::npos) << msg;
  }
}

SafetensorsFile parse(const std::string& header, size_t data_bytes) {
  return SafetensorsFile::from_bytes(raw_image(header, data_bytes), "t.safetensors");
}

TEST(DType, SizesAndNames) {
  EXPECT_EQ(dtype_size(DType::F64), 8u);
  EXPECT_EQ(dtype_size(DType::BF16), 2u);
  EXPECT_EQ(dtype_size(DType::U32), 4u);
  EXPECT_EQ(dtype_size(DType::F8_E4M3), 1u);
  EXPECT_EQ(dtype_size(DType::BOOL), 1u);
  for (const char* n : {"BOOL", "U8", "I8", "F8_E4M3", "F8_E5M2", "I16", "U16", "F16", "BF16",
                        "I32", "U32", "F32", "I64", "U64", "F64"}) {
    auto d = parse_dtype(n);
    ASSERT_TRUE(d.has_value()) << n;
    EXPECT_EQ(dtype_name(*d), n);
  }
  EXPECT_FALSE(parse_dtype("F4").has_value());
  EXPECT_FALSE(parse_dtype("f16").has_value());
}

TEST(Safetensors, ParsesValidHeaderWithMetadata) {
  auto f = parse(R"({"__metadata__":{"format":"mlx"},)"
                 R"("a":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]},)"
                 R"("b":{"dtype":"U32","shape":[1],"data_offsets":[12,16]},)"
                 R"("s":{"dtype":"F32","shape":[],"data_offsets":[16,20]},)"
                 R"("e":{"dtype":"I64","shape":[0,5],"data_offsets":[20,20]}})",
                 20);
  ASSERT_EQ(f.tensors().size(), 4u);
  EXPECT_EQ(f.metadata().at("format"), "mlx");
  const TensorView& a = f.get("a");
  EXPECT_EQ(a.dtype, DType::F16);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.nbytes, 12u);
  EXPECT_EQ(a.numel(), 6);
  EXPECT_EQ(f.get("b").data - a.data, 12);
  EXPECT_EQ(f.get("s").numel(), 1);
  EXPECT_EQ(f.get("e").numel(), 0);
  EXPECT_EQ(f.find("zzz"), nullptr);
  expect_load_error([&] { f.get("zzz"); }, {"zzz", "t.safetensors"});
  EXPECT_EQ(f.data_bytes(), 20u);
}

TEST(Safetensors, RejectsTruncatedFiles) {
  expect_load_error([] { SafetensorsFile::from_bytes({}, "t.safetensors"); },
                    {"t.safetensors", "shorter than the 8-byte"});
  auto img = raw_image(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 16);
  img.resize(img.size() - 1);  // lose the last data byte
  expect_load_error([&] { SafetensorsFile::from_bytes(img, "t.safetensors"); },
                    {"'a'", "past the data section"});
  img.resize(20);  // cut inside the header
  expect_load_error([&] { SafetensorsFile::from_bytes(img, "t.safetensors"); },
                    {"runs past the end"});
}

TEST(Safetensors, RejectsLyingHeaderLength) {
  const std::string h = R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
  expect_load_error([&] { SafetensorsFile::from_bytes(raw_image(h, 1, 1ull << 40), "x"); },
                    {"100 MB"});
  expect_load_error([&] { SafetensorsFile::from_bytes(raw_image(h, 1, h.size() + 100), "x"); },
                    {"past the end"});
  // Shorter length: the JSON is cut, so it is invalid.
  expect_load_error([&] { SafetensorsFile::from_bytes(raw_image(h, 1, h.size() - 3), "x"); },
                    {"not valid JSON"});
}

TEST(Safetensors, RejectsBadJsonAndEntries) {
  expect_load_error([] { parse("[1,2,3]", 0); }, {"not a JSON object"});
  expect_load_error([] { parse(R"({"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}})", 1); },
                    {"'a'", "unsupported dtype 'Q4'"});
  expect_load_error([] { parse(R"({"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}})", 1); },
                    {"'a'", "non-negative"});
  expect_load_error([] { parse(R"({"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}})", 1); },
                    {"non-negative integers"});
  expect_load_error([] { parse(R"({"a":{"dtype":"U8","shape":[1]}})", 1); }, {"data_offsets"});
  expect_load_error([] { parse(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}})", 1); },
                    {"begin > end"});
  expect_load_error([] { parse(R"({"a":{"shape":[1],"data_offsets":[0,1]}})", 1); }, {"dtype"});
  expect_load_error([] { parse(R"({"__metadata__":{"k":1}})", 0); }, {"not a string"});
  expect_load_error(
      [] {
        parse(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
              R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
              2);
      },
      {"'a'", "twice"});
}

TEST(Safetensors, RejectsShapeDtypeMismatch) {
  expect_load_error([] { parse(R"({"w":{"dtype":"F16","shape":[2,3],"data_offsets":[0,6]}})", 6); },
                    {"'w'", "6 bytes", "expects 12 bytes"});
  expect_load_error([] { parse(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", 16); },
                    {"expects 12 bytes"});
}

TEST(Safetensors, RejectsOverflowingShapes) {
  // 2^32 * 2^32 elements overflows 64 bits; so does 2^62 F64 elements' byte count.
  expect_load_error(
      [] {
        parse(R"({"w":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", 0);
      },
      {"'w'", "overflow"});
  expect_load_error(
      [] { parse(R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})", 0); },
      {"overflow"});
  // A product that wraps to exactly the range length must not slip through.
  expect_load_error(
      [] {
        parse(R"({"w":{"dtype":"U8","shape":[18446744073709551615,2],"data_offsets":[0,0]}})", 0);
      },
      {"overflow"});
  // Huge but non-overflowing shape whose byte range is not in the file.
  expect_load_error(
      [] { parse(R"({"w":{"dtype":"U8","shape":[1000000],"data_offsets":[0,1000000]}})", 8); },
      {"past the data section"});
}

TEST(Safetensors, RejectsOverlaps) {
  expect_load_error(
      [] {
        parse(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
              R"("b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})",
              8);
      },
      {"overlaps"});
  // Touching ranges, gaps and empty tensors at the same offset are fine.
  auto f = parse(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                 R"("b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]},)"
                 R"("c":{"dtype":"U8","shape":[0],"data_offsets":[4,4]},)"
                 R"("d":{"dtype":"U8","shape":[4],"data_offsets":[8,12]}})",
                 12);
  EXPECT_EQ(f.tensors().size(), 4u);
}

TEST(SafetensorsWriter, RoundTripsThroughFileImage) {
  TempDir dir;
  std::vector<float> a(6);
  std::iota(a.begin(), a.end(), 1.0f);
  std::vector<uint16_t> b = {1, 2, 3};  // odd byte count: forces padding before the next
  std::vector<uint32_t> c = {0xdeadbeef, 7};
  SafetensorsWriter w(dir / "m.safetensors", {{"format", "mlx"}});
  w.declare("a", DType::F32, {2, 3});
  w.declare("b", DType::BF16, {3});
  w.declare("empty", DType::F16, {0});
  w.declare("c", DType::U32, {2});
  w.write("a", a.data(), 24);
  w.write_chunk("b", b.data(), 2);
  w.write_chunk("b", b.data() + 1, 4);
  w.write("c", c.data(), 8);
  EXPECT_FALSE(std::filesystem::exists(dir / "m.safetensors"));  // only .partial so far
  w.finish();
  const auto size = std::filesystem::file_size(dir / "m.safetensors");
  EXPECT_EQ(size, w.planned_file_size());

  auto f = SafetensorsFile::open(dir / "m.safetensors");
  EXPECT_EQ(f.metadata().at("format"), "mlx");
  EXPECT_EQ(f.file_size(), size);
  ASSERT_EQ(f.tensors().size(), 4u);
  EXPECT_EQ(std::memcmp(f.get("a").data, a.data(), 24), 0);
  EXPECT_EQ(std::memcmp(f.get("b").data, b.data(), 6), 0);
  EXPECT_EQ(std::memcmp(f.get("c").data, c.data(), 8), 0);
  for (const auto& t : f.tensors()) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 8, 0u) << t.name << " not 8-byte aligned";
  }
}

// Files of 2 MiB and more are mapped (or read) at a 2 MiB-aligned address, so the kernel can
// use huge pages; the bytes must be the file's, to its last partial page, either way.
TEST(FileImage, MappedOrReadLargeFilesAreHugePageAlignedAndIntact) {
  TempDir dir;
  for (size_t size : {size_t{100}, size_t{2} << 20, (size_t{5} << 20) + 4097}) {
    std::vector<uint8_t> bytes(size);
    for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
    const auto path = dir / std::to_string(size);
    {
      std::ofstream out(path, std::ios::binary);
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(size));
    }
    for (FileLoad how : {FileLoad::Map, FileLoad::Read}) {
      const char* name = how == FileLoad::Map ? "map" : "read";
      FileImage m(path, how);
      ASSERT_EQ(m.size(), size) << name;
      EXPECT_EQ(std::memcmp(m.data(), bytes.data(), size), 0) << name << " " << size;
      if (size >= (size_t{2} << 20)) {
        EXPECT_EQ(reinterpret_cast<uintptr_t>(m.data()) % (size_t{2} << 20), 0u) << name << " " << size;
      }
      FileImage moved = std::move(m);  // the memory moves with it and is released once
      EXPECT_EQ(moved.size(), size);
      EXPECT_EQ(std::memcmp(moved.data(), bytes.data(), size), 0) << name << " " << size;
    }
  }
  // The file is not needed once read: the copy stays valid after it is deleted.
  const auto path = dir / "gone";
  {
    std::ofstream out(path, std::ios::binary);
    out << "weights";
  }
  FileImage copy(path, FileLoad::Read);
  std::filesystem::remove(path);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(copy.data()), copy.size()), "weights");
}

TEST(FileImage, ErrorsNameTheFile) {
  for (FileLoad how : {FileLoad::Map, FileLoad::Read}) {
    expect_load_error([how] { FileImage("/nonexistent/dir/model.safetensors", how); },
                      {"/nonexistent/dir/model.safetensors"});
    TempDir dir;
    expect_load_error([&] { FileImage(dir.path(), how); }, {"not a regular file"});
  }
}

// The writer's 2 MiB stdio buffer must not change what is written: tensors that straddle
// buffer boundaries, and a file that ends mid-buffer, read back exactly.
TEST(SafetensorsWriter, LargeTensorsAcrossBufferBoundariesRoundTrip) {
  TempDir dir;
  std::vector<uint8_t> big((size_t{3} << 20) + 13), mid(777777);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 31 + 7);
  for (size_t i = 0; i < mid.size(); ++i) mid[i] = static_cast<uint8_t>(i * 17 + 3);
  SafetensorsWriter w(dir / "big.safetensors");
  w.declare("big", DType::U8, {static_cast<int64_t>(big.size())});
  w.declare("mid", DType::U8, {static_cast<int64_t>(mid.size())});
  w.write_chunk("big", big.data(), 1000);  // a small piece, then the rest in one call
  w.write_chunk("big", big.data() + 1000, big.size() - 1000);
  w.write("mid", mid.data(), mid.size());
  w.finish();
  auto f = SafetensorsFile::open(dir / "big.safetensors");
  EXPECT_EQ(std::memcmp(f.get("big").data, big.data(), big.size()), 0);
  EXPECT_EQ(std::memcmp(f.get("mid").data, mid.data(), mid.size()), 0);
}

TEST(SafetensorsWriter, RejectsMisuseAndLeavesNoFile) {
  TempDir dir;
  {
    SafetensorsWriter w(dir / "x.safetensors");
    w.declare("a", DType::U8, {4});
    w.declare("b", DType::U8, {4});
    uint8_t d[4] = {};
    EXPECT_THROW(w.write("b", d, 4), InvalidParameterError);  // out of order
    EXPECT_THROW(w.write("a", d, 3), InvalidParameterError);  // wrong size
    EXPECT_THROW(w.declare("a", DType::U8, {1}), InvalidParameterError);
    w.write("a", d, 4);
    EXPECT_THROW(w.finish(), InvalidParameterError);  // b never written
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "x.safetensors"));
  EXPECT_FALSE(std::filesystem::exists(dir / "x.safetensors.partial"));
}

TEST(SafetensorsFile, OpenMissingFileNamesIt) {
  expect_load_error([] { SafetensorsFile::open("/nonexistent/dir/model.safetensors"); },
                    {"/nonexistent/dir/model.safetensors"});
}

}  // namespace
}  // namespace abstractllm::engine
