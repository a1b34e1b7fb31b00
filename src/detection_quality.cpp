// Detection quality of the nightly scan against a generator's ground truth.

#include <algorithm>
#include <nlohmann/json.hpp>

#include "firstvalue/generator.hpp"

namespace firstvalue {

Portfolio make_portfolio(const GeneratedPortfolio& g, PortfolioConfig config) {
  if (config.organization.empty()) config.organization = g.options.organization;
  Portfolio p(std::move(config));
  p.add_accounts(g.accounts);
  return p;
}

DetectionQuality detection_quality(const GeneratedPortfolio& g, PortfolioConfig config, Day first_night,
                                   unsigned threads) {
  Portfolio p = make_portfolio(g, std::move(config));
  const Day last_night = g.options.as_of;
  const EventTable& ev = g.events;
  const EventBatch all = ev.batch();
  std::vector<Day> first_flag(g.accounts.size(), kNever);
  std::vector<Day> flag_since(g.accounts.size(), kNever);  // start of the current flagged run
  std::size_t row = 0;  // the first night ingests everything before it
  ScanResult last;
  for (Day night = first_night; night <= last_night; ++night) {
    const std::int64_t end = (std::int64_t{night} + 1) * 86400;
    std::size_t stop = row;
    while (stop < ev.size() && ev.ts[stop] < end) ++stop;
    const EventBatch b = all.slice(row, stop);
    IngestOptions options;
    options.threads = threads;
    p.ingest(b, options);
    row = stop;
    last = p.evaluate(night, threads);
    for (std::size_t i = 0; i < last.accounts.size(); ++i) {
      const bool flagged = last.accounts[i].assessment.state == AccountState::stalled;
      if (!flagged) {
        flag_since[i] = kNever;
        continue;
      }
      if (flag_since[i] == kNever) flag_since[i] = night;
      const Day onset = g.truth[i].onset;
      if (first_flag[i] == kNever && onset != kNever && night >= onset) first_flag[i] = std::max(flag_since[i], onset);
    }
  }
  DetectionQuality q;
  q.accounts = g.accounts.size();
  std::size_t matched = 0;
  for (std::size_t i = 0; i < g.accounts.size(); ++i) {
    const StallTruth& t = g.truth[i];
    const AccountResult& r = last.accounts[i];
    const bool flagged = r.assessment.state == AccountState::stalled;
    const bool positive = t.cause != StallCause::none;
    const auto c = static_cast<std::size_t>(t.cause);
    q.flagged += flagged;
    if (!positive) continue;
    ++q.positives;
    ++q.positives_by_cause[c];
    if (!flagged) continue;
    ++q.true_positives;
    ++q.found_by_cause[c];
    // A stall older than the first night has no measurable delay.
    if (t.onset >= first_night) q.delays.push_back(first_flag[i] == kNever ? 0 : first_flag[i] - t.onset);
    const Detector primary =
        p.config().signals.rules[r.assessment.signals[static_cast<std::size_t>(r.assessment.primary)].rule].detector;
    const auto expected = detectors_for(t.cause);
    if (std::find(expected.begin(), expected.end(), primary) != expected.end()) {
      ++matched;
      ++q.cause_matched_by_cause[c];
    }
  }
  q.recall = q.positives ? static_cast<double>(q.true_positives) / q.positives : 1.0;
  q.precision = q.flagged ? static_cast<double>(q.true_positives) / q.flagged : 1.0;
  q.cause_match = q.true_positives ? static_cast<double>(matched) / q.true_positives : 1.0;
  if (!q.delays.empty()) {
    std::vector<int> d = q.delays;
    std::sort(d.begin(), d.end());
    const std::size_t m = d.size() / 2;
    q.median_delay = d.size() % 2 ? d[m] : (d[m - 1] + d[m]) / 2.0;
  }
  return q;
}

std::string DetectionQuality::to_json(int indent) const {
  nlohmann::json by_cause = nlohmann::json::object();
  for (std::size_t c = 1; c < kStallCauseNames.size(); ++c)
    by_cause[std::string(kStallCauseNames[c])] = {
        {"positives", positives_by_cause[c]}, {"found", found_by_cause[c]}, {"cause_matched", cause_matched_by_cause[c]}};
  return nlohmann::json{{"accounts", accounts},       {"positives", positives},   {"flagged", flagged},
                        {"true_positives", true_positives}, {"recall", recall}, {"precision", precision},
                        {"median_delay_days", median_delay}, {"cause_match", cause_match}, {"by_cause", by_cause}}
      .dump(indent);
}

}  // namespace firstvalue
