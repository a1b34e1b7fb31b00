// The C ABI's entry points that take a buffer and its length (the bytes are
// not NUL-terminated, as a host's need not be): whatever they are given,
// they return a status, and what they allocate is released.
#include <cstring>

#include "firstvalue.h"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const FuzzInput in = fuzz_input(data, size);
  const char* p = in.text.data();
  const std::size_t n = in.text.size();
  fv_buf buf = {nullptr, 0};
  switch (in.selector % 7) {
    case 0: {
      fv_health_model* m = nullptr;
      if (fv_health_model_from_json(p, n, &m) == FV_OK) {
        FUZZ_CHECK(fv_health_model_to_json(m, &buf) == FV_OK);
        fv_health_model_free(m);
      }
      break;
    }
    case 1: {
      fv_portfolio* portfolio = nullptr;
      if (fv_portfolio_from_json(p, n, &portfolio) == FV_OK) fv_portfolio_free(portfolio);
      break;
    }
    case 2: FUZZ_CHECK(fv_mask_pii(p, n, &buf) == FV_OK); break;
    case 3: {
      int32_t day = 0;
      (void)fv_date_parse(p, n, &day);
      break;
    }
    case 4: (void)fv_expr_check(p, n); break;
    case 5: {
      fv_calendar* c = nullptr;
      if (fv_calendar_from_json(p, n, &c) == FV_OK) fv_calendar_free(c);
      break;
    }
    default: {
      fv_template_set* set = nullptr;
      if (fv_template_set_from_json(p, n, &set) == FV_OK) fv_template_set_free(set);
      break;
    }
  }
  FUZZ_CHECK(std::strlen(fv_last_error()) < (1u << 20));
  fv_buf_dispose(&buf);
  return 0;
}
