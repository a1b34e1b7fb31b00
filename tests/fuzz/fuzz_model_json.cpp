// Model JSON: the health model, the signal rules and a whole portfolio
// (configuration and accounts). What parses prints back to JSON that parses
// to the same document, and a portfolio that parses can be evaluated.
#include "firstvalue/error.hpp"
#include "firstvalue/health.hpp"
#include "firstvalue/portfolio.hpp"
#include "firstvalue/signals.hpp"
#include "fuzz_common.hpp"

namespace fv = firstvalue;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const FuzzInput in = fuzz_input(data, size);
  try {
    switch (in.selector % 3) {
      case 0: {
        const fv::HealthModel m = fv::HealthModel::from_json(in.text);
        FUZZ_CHECK(fv::HealthModel::from_json(m.to_json()).to_json() == m.to_json());
        break;
      }
      case 1: {
        const fv::SignalConfig c = fv::SignalConfig::from_json(in.text);
        FUZZ_CHECK(fv::SignalConfig::from_json(c.to_json()).to_json() == c.to_json());
        break;
      }
      default: {
        const fv::Portfolio p = fv::Portfolio::from_json(in.text);
        fv::Day as_of = 20697;  // 2026-09-01
        for (std::size_t i = 0; i < p.size(); ++i) as_of = std::max(as_of, p.account(i).signature + 30);
        if (as_of <= fv::kLastDay) (void)p.results_json(p.evaluate(as_of));
        break;
      }
    }
  } catch (const fv::Error&) {
  }
  return 0;
}
