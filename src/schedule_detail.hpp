#pragma once
// The scheduler as the portfolio drives it: an account's plan plus what
// events added to it (an overlay), evaluated into a report the caller reuses,
// with per-thread working memory. Evaluating (plan, overlay) gives exactly the
// report Scheduler::evaluate gives for the plan with the overlay merged in,
// without copying the plan.

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "firstvalue/schedule.hpp"

namespace firstvalue::schedule_detail {

struct MetricValue {
  std::string_view name;
  double value = 0;
};

// A metric reading that is not in the plan's own `metrics`.
struct ExtraSnapshot {
  Day day = 0;
  std::span<const MetricValue> values;
};

// What the scheduler derives from a plan's template choice and attributes
// alone, which a caller evaluating the plan night after night can keep.
struct PlanFacts {
  std::size_t template_index = 0;
  std::string selection;              // why this template, as PlanReport::selection
  std::vector<std::uint8_t> active;   // per node: 1 when the conditions switch it on
  bool criteria_read_attributes = true;  // some name a criterion reads is one of the attributes
  bool operator==(const PlanFacts&) const = default;
};

struct Overlay {
  // One entry per node of the plan's template, in template order (each
  // milestone, then its tasks): the node's progress, or null when it has
  // none. Replaces plan.progress, whose ids must name nodes of the template
  // (the caller has checked them).
  std::span<const Progress* const> progress;
  // Readings after plan.metrics, as if appended to it in this order.
  std::span<const ExtraSnapshot> snapshots;
  // From Evaluator::facts for this plan, or null to derive them again.
  const PlanFacts* facts = nullptr;
};

struct Work;

// Not thread-safe: one per thread.
class Evaluator {
 public:
  explicit Evaluator(const Scheduler& scheduler);
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // As Scheduler::evaluate(plan merged with overlay, as_of) (no overlay: the
  // plan alone), into `report`, whose storage is reused. `same_plan`: the
  // previous call evaluated the same plan (another day or another overlay),
  // so what depends only on the plan is reused: the template choice, the
  // nodes its attributes switch on, the planned schedule and critical path.
  void evaluate(const AccountPlan& plan, const Overlay* overlay, Day as_of, PlanReport& report,
                bool same_plan = false);
  // Throws as evaluate() would for a plan whose template or conditions fail.
  PlanFacts facts(const AccountPlan& plan) const;

 private:
  const Scheduler::Impl* impl_;
  std::unique_ptr<Work> work_;
};

}  // namespace firstvalue::schedule_detail
