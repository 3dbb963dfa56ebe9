// Parsing and validation of safetensors headers (see safetensors.hpp for the rules).
#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include <simdjson.h>

#include "abstractllm/errors.hpp"
#include "engine/io/safetensors.hpp"

namespace abstractllm::engine {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull * 1000 * 1000;  // the format's 100 MB limit

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::BOOL, "BOOL", 1},       {DType::U8, "U8", 1},          {DType::I8, "I8", 1},
    {DType::F8_E4M3, "F8_E4M3", 1}, {DType::F8_E5M2, "F8_E5M2", 1}, {DType::F8_E8M0, "F8_E8M0", 1},
    {DType::I16, "I16", 2},         {DType::U16, "U16", 2},        {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},       {DType::I32, "I32", 4},        {DType::U32, "U32", 4},
    {DType::F32, "F32", 4},         {DType::I64, "I64", 8},        {DType::U64, "U64", 8},
    {DType::F64, "F64", 8},
};

[[noreturn]] void fail(const std::string& source, const std::string& tensor,
                       const std::string& what) {
  std::string msg = "invalid safetensors file " + source;
  if (!tensor.empty()) msg += ", tensor '" + tensor + "'";
  msg += ": " + what;
  std::map<std::string, std::string> details{{"path", source}};
  if (!tensor.empty()) details["tensor"] = tensor;
  throw ModelLoadingError(msg, {}, std::move(details));
}

uint64_t read_u64_le(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

size_t dtype_size(DType dtype) {
  for (const auto& d : kDTypes)
    if (d.dtype == dtype) return d.size;
  return 0;
}

std::string_view dtype_name(DType dtype) {
  for (const auto& d : kDTypes)
    if (d.dtype == dtype) return d.name;
  return "?";
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& d : kDTypes)
    if (d.name == name) return d.dtype;
  return std::nullopt;
}

bool is_float_dtype(DType dtype) {
  return dtype == DType::F16 || dtype == DType::BF16 || dtype == DType::F32 ||
         dtype == DType::F64;
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

SafetensorsHeader parse_safetensors_header(const std::byte* bytes, size_t size,
                                           const std::string& source) {
  if (size < 8) {
    fail(source, "", "file is " + std::to_string(size) +
                         " bytes, shorter than the 8-byte header length (truncated?)");
  }
  const uint64_t n = read_u64_le(bytes);
  if (n > kMaxHeaderBytes) {
    fail(source, "", "header length " + std::to_string(n) + " exceeds the 100 MB limit");
  }
  if (n > size - 8) {
    fail(source, "", "header length " + std::to_string(n) + " runs past the end of the file (" +
                         std::to_string(size) + " bytes; truncated?)");
  }
  if (n < 2) fail(source, "", "header of " + std::to_string(n) + " bytes cannot be a JSON object");

  SafetensorsHeader header;
  header.data_offset = 8 + n;
  const uint64_t data_size = size - header.data_offset;

  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const char* json = reinterpret_cast<const char*>(bytes + 8);
  if (auto err = parser.parse(json, static_cast<size_t>(n), true).get(root); err) {
    fail(source, "", std::string("header is not valid JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) fail(source, "", "header is not a JSON object");

  std::set<std::string, std::less<>> seen;
  for (auto field : obj) {
    std::string name(field.key);
    if (name == "__metadata__") {
      simdjson::dom::object meta;
      if (field.value.get_object().get(meta)) {
        fail(source, "", "__metadata__ must be an object of strings");
      }
      for (auto m : meta) {
        std::string_view v;
        if (m.value.get_string().get(v)) {
          fail(source, "", "__metadata__ value for '" + std::string(m.key) + "' is not a string");
        }
        header.metadata[std::string(m.key)] = std::string(v);
      }
      continue;
    }
    if (!seen.insert(name).second) fail(source, name, "listed twice in the header");
    simdjson::dom::object t;
    if (field.value.get_object().get(t)) fail(source, name, "entry is not a JSON object");

    TensorEntry e;
    e.name = name;
    std::string_view dtype_str;
    if (t["dtype"].get_string().get(dtype_str)) fail(source, name, "missing string 'dtype'");
    auto dt = parse_dtype(dtype_str);
    if (!dt) {
      fail(source, name, "unsupported dtype '" + std::string(dtype_str) +
                             "' (expected one of BOOL U8 I8 F8_E4M3 F8_E5M2 F8_E8M0 I16 U16 "
                             "F16 BF16 I32 U32 F32 I64 U64 F64)");
    }
    e.dtype = *dt;

    simdjson::dom::array shape;
    if (t["shape"].get_array().get(shape)) fail(source, name, "missing array 'shape'");
    // Element count computed with overflow checks; the limit is what fits int64 bytes.
    uint64_t count = 1;
    bool overflow = false;
    for (auto d : shape) {
      uint64_t v;
      if (d.get_uint64().get(v)) fail(source, name, "shape entries must be non-negative integers");
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) overflow = true;
      e.shape.push_back(static_cast<int64_t>(std::min<uint64_t>(
          v, static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))));
      if (v != 0 && count > std::numeric_limits<uint64_t>::max() / v) overflow = true;
      count *= v;
    }
    const uint64_t esize = dtype_size(e.dtype);
    if (!overflow && count > std::numeric_limits<uint64_t>::max() / esize) overflow = true;
    if (overflow || count * esize > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail(source, name, "shape overflows: its byte size does not fit in 64 bits");
    }
    const uint64_t expected = count * esize;

    simdjson::dom::array offs;
    if (t["data_offsets"].get_array().get(offs) || offs.size() != 2) {
      fail(source, name, "missing 'data_offsets' [begin, end]");
    }
    uint64_t begin, end;
    if (offs.at(0).get_uint64().get(begin) || offs.at(1).get_uint64().get(end)) {
      fail(source, name, "data_offsets must be non-negative integers");
    }
    if (begin > end) {
      fail(source, name, "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                             "] have begin > end");
    }
    if (end > data_size) {
      fail(source, name, "data_offsets end " + std::to_string(end) +
                             " is past the data section (" + std::to_string(data_size) +
                             " bytes; truncated file?)");
    }
    if (end - begin != expected) {
      fail(source, name, "byte range of " + std::to_string(end - begin) + " bytes does not match " +
                             std::string(dtype_name(e.dtype)) + " shape (expects " +
                             std::to_string(expected) + " bytes)");
    }
    e.begin = begin;
    e.end = end;
    header.tensors.push_back(std::move(e));
  }

  // Overlaps: sort byte ranges; empty tensors occupy nothing and may share an offset.
  std::vector<const TensorEntry*> order;
  order.reserve(header.tensors.size());
  for (const auto& e : header.tensors)
    if (e.end > e.begin) order.push_back(&e);
  std::sort(order.begin(), order.end(),
            [](const TensorEntry* a, const TensorEntry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < order.size(); ++i) {
    if (order[i]->begin < order[i - 1]->end) {
      fail(source, order[i]->name, "byte range overlaps tensor '" + order[i - 1]->name + "'");
    }
  }
  return header;
}

}  // namespace abstractllm::engine
