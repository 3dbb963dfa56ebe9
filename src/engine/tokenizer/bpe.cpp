// BPE model, following the Rust library's algorithm: characters (with continuing_subword_prefix
// / end_of_word_suffix) -> ids, unknown characters -> byte-fallback <0xXX> tokens or (fused)
// unk, then merges applied lowest rank first, leftmost first among equal ranks.
#include <queue>

#include "engine/tokenizer/factories.hpp"
#include "engine/tokenizer/unicode.hpp"
#include "engine/tokenizer/vocab.hpp"

namespace abstractllm::engine::tok {
namespace {

constexpr uint32_t kNoRank = 0xFFFFFFFFu;

class Bpe final : public Model {
 public:
  Vocab vocab;
  MergeMap merges;
  std::string prefix, suffix;  // continuing_subword_prefix, end_of_word_suffix
  int32_t unk_id = -1;
  bool fuse_unk = false, byte_fallback = false, ignore_merges = false;
  std::array<int32_t, 256> byte_ids{};  // id of "<0xXX>" or -1

  void tokenize(std::string_view word, std::vector<int32_t>& out) const override {
    if (word.empty()) return;
    if (ignore_merges) {
      const int32_t id = vocab.find(word);
      if (id >= 0) {
        out.push_back(id);
        return;
      }
    }
    thread_local std::vector<int32_t> sym;
    sym.clear();
    initial_symbols(word, sym);
    if (sym.size() <= 64) {
      merge_small(sym);
    } else {
      merge_heap(sym);
    }
    out.insert(out.end(), sym.begin(), sym.end());
  }
  std::string_view id_to_token(int32_t id) const override { return vocab.token(id); }
  int32_t token_to_id(std::string_view t) const override { return vocab.find(t); }
  int64_t size() const override { return vocab.id_end(); }

 private:
  void initial_symbols(std::string_view w, std::vector<int32_t>& sym) const {
    int32_t pending_unk = -1;  // an unk not yet pushed (fuse_unk joins consecutive ones)
    std::string tmp;
    size_t i = 0;
    while (i < w.size()) {
      const size_t b = i;
      i += utf8_len(static_cast<unsigned char>(w[i]));
      if (i > w.size()) i = w.size();
      std::string_view ch = w.substr(b, i - b);
      const bool first = b == 0, last = i == w.size();
      if ((!first && !prefix.empty()) || (last && !suffix.empty())) {
        tmp.clear();
        if (!first) tmp += prefix;
        tmp += ch;
        if (last) tmp += suffix;
        ch = tmp;
      }
      const int32_t id = vocab.find(ch);
      if (id >= 0) {
        if (pending_unk >= 0) {
          sym.push_back(pending_unk);
          pending_unk = -1;
        }
        sym.push_back(id);
        continue;
      }
      if (byte_fallback) {
        bool all = true;
        for (unsigned char c : ch) all = all && byte_ids[c] >= 0;
        if (all) {
          for (unsigned char c : ch) sym.push_back(byte_ids[c]);
          continue;
        }
      }
      if (unk_id >= 0) {
        if (pending_unk >= 0 && !fuse_unk) sym.push_back(pending_unk);
        pending_unk = unk_id;
      }
    }
    if (pending_unk >= 0) sym.push_back(pending_unk);
  }

  // Short words: rescan an array of pair ranks (equivalent to the heap: minimal rank, then
  // leftmost position).
  void merge_small(std::vector<int32_t>& sym) const {
    size_t n = sym.size();
    if (n < 2) return;
    uint32_t rank[64];
    int32_t nid[64];
    auto set = [&](size_t i) {
      const auto* e = merges.get(sym[i], sym[i + 1]);
      rank[i] = e ? e->rank : kNoRank;
      nid[i] = e ? e->id : -1;
    };
    for (size_t i = 0; i + 1 < n; ++i) set(i);
    while (n > 1) {
      size_t best = 0;
      uint32_t br = rank[0];
      for (size_t i = 1; i + 1 < n; ++i) {
        if (rank[i] < br) {
          br = rank[i];
          best = i;
        }
      }
      if (br == kNoRank) break;
      sym[best] = nid[best];
      for (size_t i = best + 1; i + 1 < n; ++i) {
        sym[i] = sym[i + 1];
        if (i + 1 < n - 1) {
          rank[i] = rank[i + 1];
          nid[i] = nid[i + 1];
        }
      }
      --n;
      sym.resize(n);
      if (best + 1 < n) set(best);
      if (best > 0) set(best - 1);
    }
  }

  // Long words: the Rust library's priority-queue merge over a linked list of symbols.
  void merge_heap(std::vector<int32_t>& sym) const {
    struct Sym {
      int32_t id;
      int32_t prev, next;
      bool alive;
    };
    struct Cand {
      uint32_t rank;
      uint32_t pos;
      int32_t id;
      bool operator>(const Cand& o) const {
        return rank != o.rank ? rank > o.rank : pos > o.pos;
      }
    };
    const int32_t n = static_cast<int32_t>(sym.size());
    std::vector<Sym> s(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) s[i] = {sym[i], i - 1, i + 1 < n ? i + 1 : -1, true};
    std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> q;
    for (int32_t i = 0; i + 1 < n; ++i) {
      if (const auto* e = merges.get(s[i].id, s[i + 1].id))
        q.push({e->rank, static_cast<uint32_t>(i), e->id});
    }
    while (!q.empty()) {
      const Cand top = q.top();
      q.pop();
      Sym& cur = s[top.pos];
      if (!cur.alive || cur.next < 0) continue;
      const int32_t nx = cur.next;
      const auto* e = merges.get(cur.id, s[nx].id);
      if (!e || e->id != top.id) continue;  // stale entry
      cur.id = top.id;
      s[nx].alive = false;
      cur.next = s[nx].next;
      if (cur.next >= 0) s[cur.next].prev = static_cast<int32_t>(top.pos);
      if (cur.prev >= 0) {
        if (const auto* pe = merges.get(s[cur.prev].id, cur.id))
          q.push({pe->rank, static_cast<uint32_t>(cur.prev), pe->id});
      }
      if (cur.next >= 0) {
        if (const auto* ne = merges.get(cur.id, s[cur.next].id))
          q.push({ne->rank, top.pos, ne->id});
      }
    }
    sym.clear();
    for (const auto& x : s)
      if (x.alive) sym.push_back(x.id);
  }
};

}  // namespace

std::unique_ptr<Model> make_bpe(json::Elem e, const std::string& where) {
  auto m = std::make_unique<Bpe>();
  auto vocab = json::field(e, "vocab");
  if (!vocab || !vocab->is_object()) json::fail(where, "BPE needs a \"vocab\" object");
  auto obj = vocab->get_object().value_unsafe();
  m->vocab.reserve(obj.size());
  for (auto kv : obj) {
    if (!kv.value.is_int64() && !kv.value.is_uint64())
      json::fail(where + ".vocab", "id of \"" + std::string(kv.key) + "\" must be an integer");
    const int64_t id = kv.value.is_int64() ? kv.value.get_int64().value_unsafe() : -1;
    if (id < 0 || id > INT32_MAX - 1)
      json::fail(where + ".vocab", "id of \"" + std::string(kv.key) + "\" is out of range");
    m->vocab.add(kv.key, static_cast<int32_t>(id));
  }
  m->prefix = std::string(json::opt_str(e, "continuing_subword_prefix", where).value_or(""));
  m->suffix = std::string(json::opt_str(e, "end_of_word_suffix", where).value_or(""));
  m->fuse_unk = json::boolean(e, "fuse_unk", where, false);
  m->byte_fallback = json::boolean(e, "byte_fallback", where, false);
  m->ignore_merges = json::boolean(e, "ignore_merges", where, false);
  if (auto unk = json::opt_str(e, "unk_token", where)) {
    m->unk_id = m->vocab.find(*unk);
    if (m->unk_id < 0)
      json::fail(where, "unk_token \"" + std::string(*unk) + "\" is not in the vocabulary");
  }
  for (int b = 0; b < 256; ++b) {
    static const char* hex = "0123456789ABCDEF";
    const char name[7] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>', 0};
    m->byte_ids[b] = m->vocab.find(std::string_view(name, 6));
  }
  auto merges_field = json::field(e, "merges");
  if (merges_field) {
    if (!merges_field->is_array()) json::fail(where, "\"merges\" must be an array");
    auto arr = merges_field->get_array().value_unsafe();
    m->merges.reserve(arr.size());
    // Merges are resolved in batches: hash every string of the batch and prefetch its table
    // slot first, then look up — the lookups' cache misses overlap instead of queueing.
    constexpr size_t kBatch = 64;
    struct Pending {
      std::string_view a, b;
      uint32_t joined_off, joined_len;
      uint64_t ha, hb, hj;
      int32_t ia, ib, ij;
    };
    std::vector<Pending> batch;
    batch.reserve(kBatch);
    std::string joined;
    uint32_t rank = 0;
    auto flush = [&] {
      for (auto& p : batch) {
        const std::string_view j(joined.data() + p.joined_off, p.joined_len);
        p.ha = hash_bytes(p.a);
        p.hb = hash_bytes(p.b);
        p.hj = hash_bytes(j);
        m->vocab.prefetch(p.ha);
        m->vocab.prefetch(p.hb);
        m->vocab.prefetch(p.hj);
      }
      for (auto& p : batch) {
        const std::string_view j(joined.data() + p.joined_off, p.joined_len);
        p.ia = m->vocab.find_hashed(p.a, p.ha);
        p.ib = m->vocab.find_hashed(p.b, p.hb);
        p.ij = m->vocab.find_hashed(j, p.hj);
        if (p.ia < 0 || p.ib < 0 || p.ij < 0) {
          json::fail(where + ".merges[" + std::to_string(rank) + "]",
                     "merge \"" + std::string(p.a) + " " + std::string(p.b) +
                         "\" uses a token missing from the vocabulary");
        }
        m->merges.prefetch(p.ia, p.ib);
      }
      for (const auto& p : batch) m->merges.put(p.ia, p.ib, rank++, p.ij);
      batch.clear();
      joined.clear();
    };
    size_t index = 0;
    for (auto item : arr) {
      std::string_view a, b;
      if (item.is_string()) {
        const std::string_view s = item.get_string().value_unsafe();
        const size_t sp = s.find(' ');
        if (sp == std::string_view::npos)
          json::fail(where + ".merges[" + std::to_string(index) + "]",
                     "expected \"left right\", got \"" + std::string(s) + "\"");
        a = s.substr(0, sp);
        b = s.substr(sp + 1);
      } else if (item.is_array()) {
        auto pair = item.get_array().value_unsafe();
        if (pair.size() != 2 || !pair.at(0).is_string() || !pair.at(1).is_string())
          json::fail(where + ".merges[" + std::to_string(index) + "]",
                     "expected a pair of strings");
        a = pair.at(0).get_string().value_unsafe();
        b = pair.at(1).get_string().value_unsafe();
      } else {
        json::fail(where + ".merges[" + std::to_string(index) + "]",
                   "expected a string or a pair of strings");
      }
      ++index;
      std::string_view bt = b;
      if (!m->prefix.empty() && bt.substr(0, m->prefix.size()) == m->prefix)
        bt.remove_prefix(m->prefix.size());
      Pending p{};
      p.a = a;
      p.b = b;
      p.joined_off = static_cast<uint32_t>(joined.size());
      joined.append(a);
      joined.append(bt);
      p.joined_len = static_cast<uint32_t>(joined.size() - p.joined_off);
      batch.push_back(p);
      if (batch.size() == kBatch) flush();
    }
    flush();
  }
  return m;
}

}  // namespace abstractllm::engine::tok
