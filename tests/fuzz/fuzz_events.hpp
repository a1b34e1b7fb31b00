#pragma once
// Events read from a file go on to a small portfolio: ingested (rows of
// unknown accounts or types are rejected and counted) and evaluated.
#include "firstvalue/error.hpp"
#include "firstvalue/events.hpp"
#include "firstvalue/portfolio.hpp"
#include "fuzz_common.hpp"

inline void fuzz_ingest(const firstvalue::EventTable& t) {
  namespace fv = firstvalue;
  static const std::string kPortfolio = R"({"organization": "fuzz", "accounts": [
    {"key": "a", "signature": "2026-09-01", "planned_users": ["u1", "u2"], "contacts": [{"key": "s", "role": "sponsor"}],
     "attributes": {"sso": true, "migrate_data": false, "integrations": 2}},
    {"key": "b", "signature": "2026-10-01", "attributes": {"sso": false, "migrate_data": true, "integrations": 0}}]})";
  fv::Portfolio p = fv::Portfolio::from_json(kPortfolio);
  const fv::IngestReport r = p.ingest(t.batch());
  FUZZ_CHECK(r.accepted + r.rejected.size() == r.rows);
  (void)p.results_json(p.evaluate(20697 + 90));
}
