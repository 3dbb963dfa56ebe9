// Stop strings matched on decoded text across token boundaries, never emitted.
//
// Text is fed in as the detokenizer releases it; push() returns the part that is safe to emit:
// everything except a suffix that is still a prefix of some stop string (held back until the
// next piece decides it). When a stop string completes, push() returns the text before it and
// stopped() turns true; the stop string and anything after it are dropped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace abstractllm::engine {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  std::string push(std::string_view text);
  // The held-back tail, released when generation ends for another reason.
  std::string flush();
  bool stopped() const noexcept { return stopped_; }

 private:
  std::vector<std::string> stops_;  // empty strings removed
  std::string pending_;
  bool stopped_ = false;
};

}  // namespace abstractllm::engine
