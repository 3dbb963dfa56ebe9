// resolve_model: local folder or Hugging Face cache lookup (see model_locator.hpp).
#include "engine/io/model_locator.hpp"

#include <cstdlib>
#include <fstream>

#include "abstractllm/errors.hpp"

namespace abstractllm::engine {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// "~/x" -> "$HOME/x", as huggingface_hub's expanduser.
fs::path expand_user(const std::string& p) {
  if (p.size() >= 1 && p[0] == '~' && (p.size() == 1 || p[1] == '/')) {
    return fs::path(env("HOME")) / p.substr(p.size() > 1 ? 2 : 1);
  }
  return fs::path(p);
}

bool valid_repo_part(const std::string& s) {
  if (s.empty() || s.size() > 96 || s == "." || s == "..") return false;
  if (s.find("--") != std::string::npos) return false;  // ambiguous in folder names
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Splits "org/name@rev" into repo id and revision; false if it is not a hub id.
bool parse_hub_id(const std::string& s, std::string& repo, std::string& revision) {
  const auto at = s.find('@');
  repo = s.substr(0, at);
  revision = at == std::string::npos ? "main" : s.substr(at + 1);
  if (revision.empty() || revision.find("..") != std::string::npos || revision.front() == '/') {
    return false;
  }
  const auto slash = repo.find('/');
  if (slash == std::string::npos) return valid_repo_part(repo);
  return repo.find('/', slash + 1) == std::string::npos &&
         valid_repo_part(repo.substr(0, slash)) && valid_repo_part(repo.substr(slash + 1));
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string download_hint(const std::string& repo, const std::string& revision) {
  std::string cmd = "huggingface-cli download " + repo;
  if (revision != "main") cmd += " --revision " + revision;
  return " To get it: `" + cmd + "` (or `hf download " + repo + "`)," +
         " or pass the path of a local folder.";
}

}  // namespace

fs::path default_hf_cache_dir() {
  if (auto v = env("HF_HUB_CACHE"); !v.empty()) return expand_user(v);
  if (auto v = env("HF_HOME"); !v.empty()) return expand_user(v) / "hub";
  if (auto v = env("XDG_CACHE_HOME"); !v.empty()) return expand_user(v) / "huggingface" / "hub";
  return fs::path(env("HOME")) / ".cache" / "huggingface" / "hub";
}

std::string repo_folder_name(const std::string& repo_id) {
  std::string out = "models--";
  for (char c : repo_id) {
    if (c == '/') {
      out += "--";
    } else {
      out += c;
    }
  }
  return out;
}

ResolvedModel resolve_model(const std::string& name_or_path,
                            const std::optional<fs::path>& cache_dir) {
  std::error_code ec;
  const fs::path as_path = expand_user(name_or_path);
  if (!name_or_path.empty() && fs::is_directory(as_path, ec)) {
    if (!fs::exists(as_path / "config.json", ec)) {
      throw ModelNotFoundError("folder " + as_path.string() +
                                   " is not a model: it has no config.json",
                               {}, {{"path", as_path.string()}});
    }
    ResolvedModel r;
    r.folder = as_path;
    return r;
  }

  std::string repo, revision;
  if (!parse_hub_id(name_or_path, repo, revision)) {
    throw ModelNotFoundError("model '" + name_or_path +
                                 "' not found: no such folder, and not a Hugging Face id "
                                 "of the form org/name or org/name@revision",
                             {}, {{"path", name_or_path}});
  }
  const fs::path root = cache_dir ? *cache_dir : default_hf_cache_dir();
  const fs::path repo_dir = root / repo_folder_name(repo);
  const bool local_looking = name_or_path.find('/') != std::string::npos &&
                             (name_or_path[0] == '.' || name_or_path[0] == '/');
  if (!fs::is_directory(repo_dir, ec)) {
    std::string msg = "model '" + repo + "' not found: no folder " + name_or_path +
                      ", and not in the Hugging Face cache (looked for " + repo_dir.string() +
                      "; the cache is $HF_HUB_CACHE, else $HF_HOME/hub, else "
                      "~/.cache/huggingface/hub, or --cache-dir).";
    if (!local_looking) msg += download_hint(repo, revision);
    throw ModelNotFoundError(msg, {}, {{"path", repo_dir.string()}, {"model", repo}});
  }

  std::string commit;
  const fs::path ref = repo_dir / "refs" / revision;
  if (fs::is_regular_file(ref, ec)) {
    std::ifstream in(ref);
    std::getline(in, commit);
    commit = trim(commit);
  } else if (fs::is_directory(repo_dir / "snapshots" / revision, ec)) {
    commit = revision;  // a commit hash given directly
  } else {
    std::string refs;
    for (const auto& e : fs::recursive_directory_iterator(repo_dir / "refs", ec)) {
      if (e.is_regular_file()) {
        if (!refs.empty()) refs += ", ";
        refs += fs::relative(e.path(), repo_dir / "refs").string();
      }
    }
    throw ModelNotFoundError("revision '" + revision + "' of " + repo +
                                 " is not in the cache (" + repo_dir.string() + " has refs: " +
                                 (refs.empty() ? "none" : refs) + ")." +
                                 download_hint(repo, revision),
                             {}, {{"path", repo_dir.string()}, {"model", repo}});
  }
  const fs::path folder = repo_dir / "snapshots" / commit;
  if (commit.empty() || commit.find('/') != std::string::npos || !fs::is_directory(folder, ec)) {
    throw ModelNotFoundError("the cache entry of " + repo + " is incomplete: refs/" + revision +
                                 " points to snapshot '" + commit + "', which is missing in " +
                                 repo_dir.string() + "." + download_hint(repo, revision),
                             {}, {{"path", folder.string()}, {"model", repo}});
  }
  if (!fs::exists(folder / "config.json", ec)) {
    throw ModelNotFoundError("the cached snapshot " + folder.string() + " of " + repo +
                                 " has no config.json (partial download?)." +
                                 download_hint(repo, revision),
                             {}, {{"path", folder.string()}, {"model", repo}});
  }
  ResolvedModel r;
  r.folder = folder;
  r.from_cache = true;
  r.repo_id = repo;
  r.revision = revision;
  r.commit = commit;
  return r;
}

}  // namespace abstractllm::engine
