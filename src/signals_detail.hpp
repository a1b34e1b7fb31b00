#pragma once
// Signal rules compiled once for many assessments: each rule's parameters
// resolved from its name-keyed map to an array, which the detectors read by
// index. assess() on a compiled config gives exactly what
// firstvalue::assess(config, inputs) gives.

#include <memory>

#include "firstvalue/signals.hpp"

namespace firstvalue::signals_detail {

struct CompiledRules;

class Signals {
 public:
  // `config` must outlive this object and not change.
  explicit Signals(const SignalConfig& config);
  ~Signals();
  Signals(Signals&&) noexcept;

  Assessment assess(const SignalInputs& inputs) const;

 private:
  const SignalConfig* config_;
  std::unique_ptr<CompiledRules> rules_;
};

}  // namespace firstvalue::signals_detail
