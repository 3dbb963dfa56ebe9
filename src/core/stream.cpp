// ResponseStream: a worker thread produces chunks into a queue; the caller pulls them.
#include "abstractllm/stream.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace abstractllm {

struct ResponseStream::State {
  Producer producer;
  CancellationToken cancel;
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<StreamChunk> queue;
  bool finished = false;  // the producer returned or threw
  bool started = false;
  std::exception_ptr error;
  GenerateResponse response;
  std::thread worker;

  void start() {
    std::lock_guard lock(mutex);
    if (started) return;
    started = true;
    // The worker holds only a raw pointer: State outlives it (joined in the destructor).
    worker = std::thread([this] {
      try {
        GenerateResponse r = producer([this](const StreamChunk& c) {
          std::lock_guard lock(mutex);
          queue.push_back(c);
          ready.notify_all();
        });
        std::lock_guard lock(mutex);
        response = std::move(r);
      } catch (...) {
        std::lock_guard lock(mutex);
        error = std::current_exception();
      }
      std::lock_guard lock(mutex);
      finished = true;
      ready.notify_all();
    });
  }

  ~State() {
    cancel.cancel();
    if (worker.joinable()) worker.join();
  }
};

ResponseStream::ResponseStream(Producer producer, CancellationToken cancel, bool start_now)
    : state_(std::make_shared<State>()) {
  state_->producer = std::move(producer);
  state_->cancel = std::move(cancel);
  if (start_now) state_->start();
}

ResponseStream::ResponseStream(ResponseStream&&) noexcept = default;
ResponseStream& ResponseStream::operator=(ResponseStream&&) noexcept = default;
ResponseStream::~ResponseStream() = default;

std::optional<StreamChunk> ResponseStream::next() {
  if (!state_) return std::nullopt;
  state_->start();
  std::unique_lock lock(state_->mutex);
  state_->ready.wait(lock, [&] { return !state_->queue.empty() || state_->finished; });
  if (!state_->queue.empty()) {
    StreamChunk c = std::move(state_->queue.front());
    state_->queue.pop_front();
    return c;
  }
  if (state_->error) {
    auto e = state_->error;
    state_->error = nullptr;  // thrown once; later pulls see the end
    std::rethrow_exception(e);
  }
  return std::nullopt;
}

void ResponseStream::cancel() noexcept {
  if (state_) state_->cancel.cancel();
}

const GenerateResponse& ResponseStream::response() {
  while (next()) {
  }
  return state_->response;
}

}  // namespace abstractllm
