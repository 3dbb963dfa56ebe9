// Persistent worker pool: dynamic chunk hand-out through one packed atomic word, workers that
// spin briefly and then sleep on a futex (std::atomic::wait), caller participates in the work.
#include "engine/ops/thread_pool.hpp"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace abstractllm::engine::ops {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// The job word: generation (16 bits) | next chunk (24 bits) | number of chunks (24 bits).
// Claiming a chunk is one CAS on this word, so a worker can never claim a chunk of a job whose
// fields it has not been synchronised with (the caller stores the word with release after
// writing the fields, and rewrites the fields only once every chunk is done).
constexpr uint64_t kChunkBits = 24;
constexpr uint64_t kChunkMask = (uint64_t{1} << kChunkBits) - 1;
constexpr int64_t kMaxChunks = static_cast<int64_t>(kChunkMask);

inline uint64_t pack(uint64_t gen, uint64_t next, uint64_t chunks) {
  return (gen << (2 * kChunkBits)) | (next << kChunkBits) | chunks;
}
inline uint64_t gen_of(uint64_t s) { return s >> (2 * kChunkBits); }
inline uint64_t next_of(uint64_t s) { return (s >> kChunkBits) & kChunkMask; }
inline uint64_t chunks_of(uint64_t s) { return s & kChunkMask; }

int default_threads() {
  if (const char* env = std::getenv("ABSTRACTLLM_THREADS")) {
    int v = std::atoi(env);
    if (v > 0) return v;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int c = CPU_COUNT(&set);
    if (c > 0) return c;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc > 0 ? static_cast<int>(hc) : 1;
}

int default_spin_us() {
  if (const char* env = std::getenv("ABSTRACTLLM_SPIN_US")) {
    int v = std::atoi(env);
    if (v >= 0) return v;
  }
  return 100;
}

}  // namespace

struct ThreadPool::Impl {
  using Fn = std::function<void(int64_t, int64_t)>;

  int threads = 1;
  std::vector<std::thread> workers;
  std::mutex call_mutex;  // serialises concurrent callers

  alignas(64) std::atomic<uint64_t> state{0};
  alignas(64) std::atomic<int64_t> done{0};
  alignas(64) std::atomic<uint32_t> wake_seq{0};
  std::atomic<int> sleepers{0};
  std::atomic<bool> stop{false};
  std::atomic<int> spin_us{100};

  // Job fields: written by the caller before publishing `state`, read by whoever claims a chunk.
  const Fn* fn = nullptr;
  int64_t n = 0;
  int64_t grain = 1;
  uint64_t gen = 0;

  std::mutex error_mutex;
  std::exception_ptr error;

  static thread_local const Impl* current;  // the pool whose task this thread is running

  void run_chunk(uint64_t index) {
    int64_t begin = static_cast<int64_t>(index) * grain;
    int64_t end = std::min(n, begin + grain);
    try {
      (*fn)(begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
    done.fetch_add(1, std::memory_order_release);
  }

  // Claims and runs chunks of the current job until none is left.
  void work() {
    uint64_t s = state.load(std::memory_order_acquire);
    while (next_of(s) < chunks_of(s)) {
      if (state.compare_exchange_weak(s, s + (uint64_t{1} << kChunkBits), std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        run_chunk(next_of(s));
        s = state.load(std::memory_order_acquire);
      }
    }
  }

  void worker_loop() {
    current = this;
    // Generation 0 is the state at construction: a job published before this thread got to
    // run has generation 1 and is picked up.
    uint64_t last_gen = 0;
    for (;;) {
      // Spin for new work for a short while, then sleep.
      auto start = std::chrono::steady_clock::now();
      const auto budget = std::chrono::microseconds(spin_us.load(std::memory_order_relaxed));
      uint64_t s = state.load(std::memory_order_acquire);
      for (int i = 0; gen_of(s) == last_gen && !stop.load(std::memory_order_relaxed); ++i) {
        cpu_relax();
        if ((i & 63) == 63 && std::chrono::steady_clock::now() - start >= budget) {
          uint32_t seq = wake_seq.load(std::memory_order_seq_cst);
          sleepers.fetch_add(1, std::memory_order_seq_cst);
          s = state.load(std::memory_order_seq_cst);
          if (gen_of(s) == last_gen && !stop.load(std::memory_order_seq_cst)) {
            wake_seq.wait(seq, std::memory_order_seq_cst);
          }
          sleepers.fetch_sub(1, std::memory_order_seq_cst);
          start = std::chrono::steady_clock::now();
        }
        s = state.load(std::memory_order_acquire);
      }
      if (stop.load(std::memory_order_acquire)) return;
      last_gen = gen_of(s);
      work();
    }
  }

  void wake_all() {
    if (sleepers.load(std::memory_order_seq_cst) > 0) {
      wake_seq.fetch_add(1, std::memory_order_seq_cst);
      wake_seq.notify_all();
    }
  }

  void run(int64_t total, int64_t chunk, const Fn& f) {
    if (total <= 0) return;
    chunk = std::max<int64_t>(chunk, 1);
    chunk = std::max(chunk, (total + kMaxChunks - 1) / kMaxChunks);
    const int64_t chunks = (total + chunk - 1) / chunk;
    if (threads <= 1 || chunks <= 1 || current == this) {
      f(0, total);  // serial, or nested inside one of our own tasks
      return;
    }
    std::lock_guard<std::mutex> lock(call_mutex);
    const Impl* previous = current;
    current = this;
    fn = &f;
    n = total;
    grain = chunk;
    error = nullptr;
    done.store(0, std::memory_order_relaxed);
    gen = (gen + 1) & 0xffff;
    state.store(pack(gen, 0, static_cast<uint64_t>(chunks)), std::memory_order_seq_cst);
    wake_all();
    work();
    // Wait for chunks still running on workers; yield after a while so that a descheduled
    // worker can get the core back when the machine is oversubscribed.
    for (int i = 0; done.load(std::memory_order_acquire) < chunks; ++i) {
      if (i < 4000) {
        cpu_relax();
      } else {
        std::this_thread::yield();
      }
    }
    current = previous;
    if (error) {
      std::exception_ptr e = error;
      error = nullptr;
      std::rethrow_exception(e);
    }
  }
};

thread_local const ThreadPool::Impl* ThreadPool::Impl::current = nullptr;

ThreadPool::ThreadPool(int threads) : impl_(std::make_unique<Impl>()) {
  impl_->threads = threads > 0 ? threads : default_threads();
  impl_->spin_us.store(default_spin_us());
  impl_->workers.reserve(static_cast<size_t>(impl_->threads - 1));
  for (int i = 1; i < impl_->threads; ++i) {
    impl_->workers.emplace_back([p = impl_.get()] { p->worker_loop(); });
  }
}

ThreadPool::~ThreadPool() {
  impl_->stop.store(true, std::memory_order_seq_cst);
  impl_->wake_seq.fetch_add(1, std::memory_order_seq_cst);
  impl_->wake_seq.notify_all();
  for (auto& t : impl_->workers) t.join();
}

int ThreadPool::size() const noexcept { return impl_->threads; }

void ThreadPool::set_spin_us(int us) noexcept { impl_->spin_us.store(std::max(us, 0)); }

void ThreadPool::parallel_for(int64_t n,
                              const std::function<void(int64_t begin, int64_t end)>& fn) {
  // A few chunks per thread: enough for the dynamic hand-out to absorb a slow thread.
  const int64_t target = static_cast<int64_t>(impl_->threads) * 4;
  impl_->run(n, (n + target - 1) / std::max<int64_t>(target, 1), fn);
}

void ThreadPool::parallel_for_grain(int64_t n, int64_t grain,
                                    const std::function<void(int64_t begin, int64_t end)>& fn) {
  impl_->run(n, grain, fn);
}

ThreadPool& ThreadPool::global() {
  static ThreadPool pool(0);
  return pool;
}

}  // namespace abstractllm::engine::ops
