// ResponseStream: a generation consumed as a sequence of chunks, pulled by the caller.
//
//   for (const auto& chunk : llm.stream("Tell me a story")) std::cout << chunk.delta;
//
// The generation runs on a worker thread that pushes chunks; iteration blocks until the next
// chunk arrives and rethrows the worker's exception, if any, at the point it happened.
// Destroying the stream (or calling cancel()) stops the generation between tokens and joins it.
#pragma once

#include <functional>
#include <iterator>
#include <memory>
#include <optional>

#include "abstractllm/types.hpp"

namespace abstractllm {

class ResponseStream {
 public:
  // The producer: runs the generation, calling emit for each chunk; returns the final response.
  using Producer = std::function<GenerateResponse(const std::function<void(const StreamChunk&)>& emit)>;

  // start_now = false: the worker starts on the first pull (stream()); true: at once
  // (stream_async()), so chunks accumulate while the caller does other work.
  ResponseStream(Producer producer, CancellationToken cancel, bool start_now);
  ResponseStream(ResponseStream&&) noexcept;
  ResponseStream& operator=(ResponseStream&&) noexcept;
  ~ResponseStream();

  // The next chunk, waiting for it; nullopt after the final chunk.
  std::optional<StreamChunk> next();
  void cancel() noexcept;
  // The complete response, once the stream has ended (waits for it); content is the
  // concatenation of all deltas.
  const GenerateResponse& response();

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = StreamChunk;
    using difference_type = std::ptrdiff_t;
    using pointer = const StreamChunk*;
    using reference = const StreamChunk&;

    iterator() = default;
    explicit iterator(ResponseStream* s) : stream_(s) { advance(); }
    reference operator*() const { return *current_; }
    pointer operator->() const { return &*current_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    friend bool operator==(const iterator& a, const iterator& b) { return a.done() == b.done(); }

   private:
    bool done() const { return !current_.has_value(); }
    void advance() { current_ = stream_ ? stream_->next() : std::nullopt; }
    ResponseStream* stream_ = nullptr;
    std::optional<StreamChunk> current_;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace abstractllm
