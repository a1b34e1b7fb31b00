// Template JSON and the plan documents that go with it: template sets,
// account plans, success plans, handoff records, calendars and plan policies.
#include "firstvalue/calendar.hpp"
#include "firstvalue/error.hpp"
#include "firstvalue/handoff.hpp"
#include "firstvalue/plan.hpp"
#include "firstvalue/schedule.hpp"
#include "firstvalue/success_plan.hpp"
#include "fuzz_common.hpp"

namespace fv = firstvalue;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const FuzzInput in = fuzz_input(data, size);
  try {
    switch (in.selector % 6) {
      case 0: {
        const fv::TemplateSet set = fv::TemplateSet::from_json(in.text);
        FUZZ_CHECK(fv::TemplateSet::from_json(set.to_json()).to_json() == set.to_json());
        break;
      }
      case 1: {
        const auto plans = fv::AccountPlan::list_from_json(in.text);
        const fv::Scheduler scheduler(fv::TemplateSet::default_set(), fv::Calendar());
        for (const fv::AccountPlan& plan : plans) (void)plan.to_json();
        (void)scheduler.evaluate(plans, 20697 + 60);
        break;
      }
      case 2: (void)fv::SuccessPlan::from_json(in.text).to_json(); break;
      case 3: (void)fv::HandoffRecord::from_json(in.text).assess().to_json(); break;
      case 4: {
        const fv::Calendar c = fv::Calendar::from_json(in.text);
        FUZZ_CHECK(fv::Calendar::from_json(c.to_json()).to_json() == c.to_json());
        break;
      }
      default: (void)fv::PlanPolicy::from_json(in.text); break;
    }
  } catch (const fv::Error&) {
  }
  return 0;
}
