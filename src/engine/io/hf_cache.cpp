// list_cached_models: scan of the Hugging Face cache (see hf_cache.hpp).
#include "engine/io/hf_cache.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/io/model_locator.hpp"

namespace abstractllm::engine {

namespace fs = std::filesystem;

namespace {

int64_t mtime_of(const fs::path& p, bool follow) {
  struct stat st {};
  const int rc = follow ? ::stat(p.c_str(), &st) : ::lstat(p.c_str(), &st);
  return rc == 0 ? static_cast<int64_t>(st.st_mtime) : 0;
}

std::optional<nlohmann::json> read_json(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

// Reads only the header of a safetensors file and says whether its metadata has format=mlx.
bool safetensors_says_mlx(const fs::path& p) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  if (ec || size < 8) return false;
  std::ifstream in(p, std::ios::binary);
  unsigned char len_bytes[8];
  if (!in.read(reinterpret_cast<char*>(len_bytes), 8)) return false;
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | len_bytes[i];
  if (n > 100'000'000 || n > size - 8) return false;
  std::string header(static_cast<size_t>(n), '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(n))) return false;
  auto j = nlohmann::json::parse(header, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  auto it = j.find("__metadata__");
  return it != j.end() && it->is_object() && it->contains("format") && (*it)["format"] == "mlx";
}

}  // namespace

std::vector<CachedModel> list_cached_models(const std::optional<fs::path>& cache_dir) {
  const fs::path root = cache_dir ? *cache_dir : default_hf_cache_dir();
  std::vector<CachedModel> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("models--") || !entry.is_directory(ec)) continue;
    CachedModel m;
    m.path = entry.path();
    // models--org--name -> org/name (every "--" is a "/", as huggingface_hub reads it).
    std::string id = name.substr(8);
    for (size_t i = 0; i < id.size(); ++i) {
      if (id[i] == '-' && i + 1 < id.size() && id[i + 1] == '-') {
        m.id.push_back('/');
        ++i;
      } else {
        m.id.push_back(id[i]);
      }
    }

    // Blobs: each counted once however many snapshots link to it.
    for (const auto& b : fs::directory_iterator(m.path / "blobs", ec)) {
      std::error_code ec2;
      if (!b.is_regular_file(ec2)) continue;
      m.size_on_disk += b.file_size(ec2);
      m.last_modified = std::max(m.last_modified, mtime_of(b.path(), false));
    }
    ec.clear();
    const fs::path refs = m.path / "refs";
    std::string main_commit;
    for (const auto& r : fs::recursive_directory_iterator(refs, ec)) {
      std::error_code ec2;
      if (!r.is_regular_file(ec2)) continue;
      const std::string rev = fs::relative(r.path(), refs, ec2).string();
      m.revisions.push_back(rev);
      m.last_modified = std::max(m.last_modified, mtime_of(r.path(), false));
      if (rev == "main") {
        std::ifstream in(r.path());
        std::getline(in, main_commit);
        while (!main_commit.empty() && std::isspace(static_cast<unsigned char>(main_commit.back())))
          main_commit.pop_back();
      }
    }
    ec.clear();
    int64_t newest = -1;
    fs::path newest_snapshot;
    for (const auto& s : fs::directory_iterator(m.path / "snapshots", ec)) {
      std::error_code ec2;
      if (!s.is_directory(ec2)) continue;
      m.commits.push_back(s.path().filename().string());
      const int64_t t = mtime_of(s.path(), false);
      if (t > newest) {
        newest = t;
        newest_snapshot = s.path();
      }
    }
    ec.clear();
    std::sort(m.revisions.begin(), m.revisions.end());
    std::sort(m.commits.begin(), m.commits.end());

    fs::path snap = newest_snapshot;
    if (!main_commit.empty() && fs::is_directory(m.path / "snapshots" / main_commit, ec)) {
      snap = m.path / "snapshots" / main_commit;
    }
    if (!snap.empty()) {
      if (auto cfg = read_json(snap / "config.json"); cfg && cfg->is_object()) {
        if (cfg->contains("model_type") && (*cfg)["model_type"].is_string()) {
          m.architecture = (*cfg)["model_type"].get<std::string>();
        }
        m.is_mlx = (cfg->contains("quantization") && (*cfg)["quantization"].is_object()) ||
                   (cfg->contains("quantization_config") &&
                    (*cfg)["quantization_config"].is_object() &&
                    (*cfg)["quantization_config"].contains("bits") &&
                    !(*cfg)["quantization_config"].contains("quant_method"));
      }
      if (!m.is_mlx) {
        for (const auto& f : fs::directory_iterator(snap, ec)) {
          if (f.path().extension() == ".safetensors" && safetensors_says_mlx(f.path())) {
            m.is_mlx = true;
            break;
          }
        }
        ec.clear();
      }
    }
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(),
            [](const CachedModel& a, const CachedModel& b) { return a.id < b.id; });
  return out;
}

nlohmann::json to_json(const CachedModel& m) {
  return {{"id", m.id},
          {"path", m.path.string()},
          {"size_on_disk", m.size_on_disk},
          {"last_modified", m.last_modified},
          {"revisions", m.revisions},
          {"commits", m.commits},
          {"architecture", m.architecture},
          {"is_mlx", m.is_mlx}};
}

}  // namespace abstractllm::engine
