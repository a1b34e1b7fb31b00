// The sales → CS handoff: completeness item by item, recorded-none versus not
// recorded, and rejections with their paths.

#include <gtest/gtest.h>

#include "cases.hpp"

#include <string>
#include <vector>

#include "firstvalue/error.hpp"
#include "firstvalue/handoff.hpp"

namespace fv = firstvalue;

namespace {


void expect_rejected(const std::string& json, const std::string& message) {
  fvtest::expect_invalid([&] { (void)fv::HandoffRecord::from_json(json); }, message);
}

const char* const kComplete = R"({
  "business_case": "Cut SDR ramp time from 5 to 3 months",
  "success_metrics": ["meetings per SDR per week", "ramp time"],
  "buying_committee": [
    {"name": "Dana Ortiz", "role": "sponsor", "title": "VP Sales", "email": "dana@acme.example"},
    {"name": "Sam Lee", "role": "champion"},
    {"name": "Ira Chen", "role": "admin", "email": "ira@acme.example"},
    {"name": "SDR team", "role": "end_user"}
  ],
  "agreed_timeline": {"kickoff": 20000, "go_live": 20030, "first_value": 20056,
                      "note": "SSO first"},
  "commitments": ["Salesforce sync by go-live"],
  "risks": ["SDR manager turnover"]
})";

// The seed case: everything except an executive sponsor.
const char* const kNoSponsor = R"({
  "business_case": "Cut SDR ramp time from 5 to 3 months",
  "success_metrics": ["meetings per SDR per week"],
  "buying_committee": [
    {"name": "Sam Lee", "role": "champion"},
    {"name": "Ira Chen", "role": "admin"},
    {"name": "SDR team", "role": "end_user"}
  ],
  "agreed_timeline": {"go_live": 20030},
  "commitments": [],
  "risks": ["SDR manager turnover"]
})";

fv::HandoffRecord complete() { return fv::HandoffRecord::from_json(kComplete); }

void drop_role(fv::HandoffRecord& h, fv::CommitteeRole role) {
  std::erase_if(h.buying_committee,
                [role](const fv::CommitteeMember& m) { return m.role == role; });
}

}  // namespace

TEST(Handoff, SeedCaseMissesOnlyTheSponsor) {
  const fv::HandoffAssessment a = fv::HandoffRecord::from_json(kNoSponsor).assess();
  EXPECT_EQ(a.completeness, 8.0 / 9.0);
  ASSERT_EQ(a.missing.size(), 1u);
  EXPECT_EQ(a.missing[0], fv::HandoffItem::executive_sponsor);
  EXPECT_EQ(a.missing_messages(),
            std::vector<std::string>{"buying_committee: no executive sponsor"});
}

TEST(Handoff, CompleteRecordScoresOne) {
  const fv::HandoffRecord h = complete();
  EXPECT_EQ(h.business_case, "Cut SDR ramp time from 5 to 3 months");
  ASSERT_EQ(h.buying_committee.size(), 4u);
  EXPECT_EQ(h.buying_committee[0].role, fv::CommitteeRole::sponsor);
  EXPECT_EQ(h.buying_committee[0].title, "VP Sales");
  EXPECT_EQ(h.buying_committee[1].email, std::nullopt);
  ASSERT_TRUE(h.agreed_timeline.has_value());
  EXPECT_EQ(h.agreed_timeline->kickoff, 20000);
  EXPECT_EQ(h.agreed_timeline->first_value, 20056);
  const fv::HandoffAssessment a = h.assess();
  EXPECT_EQ(a.completeness, 1.0);
  EXPECT_TRUE(a.missing.empty());
}

TEST(Handoff, EmptyRecordMissesAllNineInOrder) {
  const fv::HandoffAssessment a = fv::HandoffRecord::from_json("{}").assess();
  EXPECT_EQ(a.completeness, 0.0);
  const std::vector<std::string> expected{
      "business_case: missing",
      "success_metrics: none listed",
      "buying_committee: no executive sponsor",
      "buying_committee: no champion",
      "buying_committee: no admin",
      "buying_committee: no end users",
      "agreed_timeline: missing",
      "commitments: not recorded",
      "risks: not recorded",
  };
  EXPECT_EQ(a.missing_messages(), expected);
}

struct MissingCase {
  const char* name;
  void (*remove)(fv::HandoffRecord&);
  fv::HandoffItem item;
  const char* message;
};

class HandoffMissingItem : public ::testing::TestWithParam<MissingCase> {};

TEST_P(HandoffMissingItem, IsTheOnlyGap) {
  fv::HandoffRecord h = complete();
  GetParam().remove(h);
  // The same gap must survive the JSON form.
  for (const fv::HandoffRecord& r : {h, fv::HandoffRecord::from_json(h.to_json())}) {
    const fv::HandoffAssessment a = r.assess();
    EXPECT_EQ(a.completeness, 8.0 / 9.0);
    ASSERT_EQ(a.missing.size(), 1u);
    EXPECT_EQ(a.missing[0], GetParam().item);
    EXPECT_EQ(a.missing_messages()[0], GetParam().message);
    EXPECT_EQ(fv::missing_message(GetParam().item), GetParam().message);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Handoff, HandoffMissingItem,
    ::testing::Values(
        MissingCase{"business_case_absent", [](fv::HandoffRecord& h) { h.business_case.clear(); },
                    fv::HandoffItem::business_case, "business_case: missing"},
        MissingCase{"business_case_blank", [](fv::HandoffRecord& h) { h.business_case = " \t "; },
                    fv::HandoffItem::business_case, "business_case: missing"},
        MissingCase{"success_metrics", [](fv::HandoffRecord& h) { h.success_metrics.clear(); },
                    fv::HandoffItem::success_metrics, "success_metrics: none listed"},
        MissingCase{"sponsor",
                    [](fv::HandoffRecord& h) { drop_role(h, fv::CommitteeRole::sponsor); },
                    fv::HandoffItem::executive_sponsor, "buying_committee: no executive sponsor"},
        MissingCase{"champion",
                    [](fv::HandoffRecord& h) { drop_role(h, fv::CommitteeRole::champion); },
                    fv::HandoffItem::champion, "buying_committee: no champion"},
        MissingCase{"admin", [](fv::HandoffRecord& h) { drop_role(h, fv::CommitteeRole::admin); },
                    fv::HandoffItem::admin, "buying_committee: no admin"},
        MissingCase{"end_users",
                    [](fv::HandoffRecord& h) { drop_role(h, fv::CommitteeRole::end_user); },
                    fv::HandoffItem::end_users, "buying_committee: no end users"},
        MissingCase{"timeline_absent", [](fv::HandoffRecord& h) { h.agreed_timeline.reset(); },
                    fv::HandoffItem::agreed_timeline, "agreed_timeline: missing"},
        MissingCase{"timeline_kickoff_only",
                    [](fv::HandoffRecord& h) {
                      h.agreed_timeline = fv::AgreedTimeline{20000, {}, {}, " "};
                    },
                    fv::HandoffItem::agreed_timeline, "agreed_timeline: missing"},
        MissingCase{"commitments", [](fv::HandoffRecord& h) { h.commitments.reset(); },
                    fv::HandoffItem::commitments, "commitments: not recorded"},
        MissingCase{"risks", [](fv::HandoffRecord& h) { h.risks.reset(); }, fv::HandoffItem::risks,
                    "risks: not recorded"}),
    [](const ::testing::TestParamInfo<MissingCase>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(Handoff, EmptyListsAreRecordedNoneButAbsentIsNot) {
  const auto recorded = fv::HandoffRecord::from_json(R"({"commitments": [], "risks": []})");
  ASSERT_TRUE(recorded.commitments.has_value());
  EXPECT_TRUE(recorded.commitments->empty());
  EXPECT_EQ(recorded.assess().completeness, 2.0 / 9.0);
  EXPECT_EQ(recorded.to_json(-1), R"({"commitments":[],"risks":[]})");

  const auto absent = fv::HandoffRecord::from_json("{}");
  EXPECT_FALSE(absent.commitments.has_value());
  EXPECT_FALSE(absent.risks.has_value());
  EXPECT_EQ(absent.to_json(-1), "{}");
  EXPECT_NE(fv::HandoffRecord::from_json(recorded.to_json()), absent);
}

TEST(Handoff, EmptyListsElsewhereCountAsMissing) {
  const auto h = fv::HandoffRecord::from_json(R"({"success_metrics": [], "buying_committee": []})");
  EXPECT_EQ(h.assess().missing.size(), 9u);
}

TEST(Handoff, TimelineNeedsGoLiveOrNote) {
  fv::AgreedTimeline t;
  EXPECT_FALSE(t.present());
  t.kickoff = 20000;
  t.first_value = 20050;
  EXPECT_FALSE(t.present());
  t.note = "  ";
  EXPECT_FALSE(t.present());
  t.note = "after their SSO rollout";
  EXPECT_TRUE(t.present());
  t.note.clear();
  t.go_live = 20030;
  EXPECT_TRUE(t.present());
  const auto missing_count = [](const char* json) {
    return fv::HandoffRecord::from_json(json).assess().missing.size();
  };
  EXPECT_EQ(missing_count(R"({"agreed_timeline": {}})"), 9u);
  EXPECT_EQ(missing_count(R"({"agreed_timeline": {"note": "Q3"}})"), 8u);
}

TEST(Handoff, JsonRoundTrips) {
  for (const char* text : {kComplete, kNoSponsor, "{}"}) {
    const auto h = fv::HandoffRecord::from_json(text);
    const auto again = fv::HandoffRecord::from_json(h.to_json());
    EXPECT_EQ(again, h) << text;
    EXPECT_EQ(again.to_json(), h.to_json()) << text;
    EXPECT_EQ(fv::HandoffRecord::from_json(h.to_json(-1)), h) << text;
  }
}

TEST(Handoff, AssessmentJson) {
  EXPECT_EQ(fv::HandoffRecord::from_json(kNoSponsor).assess().to_json(-1),
            R"({"completeness":0.8888888888888888,"missing":[{"item":"executive_sponsor",)"
            R"("message":"buying_committee: no executive sponsor"}],"present":8,"total":9})");
  EXPECT_EQ(complete().assess().to_json(-1),
            R"({"completeness":1.0,"missing":[],"present":9,"total":9})");
}

TEST(Handoff, RoleNames) {
  EXPECT_EQ(fv::to_string(fv::CommitteeRole::end_user), "end_user");
  EXPECT_EQ(fv::parse_committee_role("sponsor"), fv::CommitteeRole::sponsor);
  EXPECT_EQ(fv::parse_committee_role("champion"), fv::CommitteeRole::champion);
  EXPECT_EQ(fv::parse_committee_role("admin"), fv::CommitteeRole::admin);
  EXPECT_FALSE(fv::parse_committee_role("Sponsor").has_value());
  EXPECT_EQ(fv::to_string(fv::HandoffItem::end_users), "end_users");
}

TEST(Handoff, JsonRejectionsNameThePath) {
  expect_rejected(R"({"buying_committee": [{"name": "A", "role": "sponsor"},
                                          {"name": "B", "role": "admin"},
                                          {"name": "C", "role": "cfo"}]})",
                  "buying_committee[2].role: unknown role \"cfo\" "
                  "(expected sponsor, champion, admin or end_user)");
  expect_rejected(R"({"buisness_case": "x"})", "buisness_case: unknown key");
  expect_rejected(R"({"buying_committee": [{"name": "A", "role": "admin", "emial": "a@b"}]})",
                  "buying_committee[0].emial: unknown key");
  expect_rejected(R"({"buying_committee": [{"role": "admin"}]})",
                  "buying_committee[0].name: is required");
  expect_rejected(R"({"buying_committee": [{"name": "A"}]})",
                  "buying_committee[0].role: is required");
  expect_rejected(R"({"buying_committee": [{"name": " ", "role": "admin"}]})",
                  "buying_committee[0].name: must not be blank");
  expect_rejected(R"({"buying_committee": [{"name": "A", "role": "admin", "email": "a.example"}]})",
                  "buying_committee[0].email: \"a.example\" is not an email address");
  expect_rejected(R"({"buying_committee": {"name": "A"}})",
                  "buying_committee: expected an array, got object");
  expect_rejected(R"({"business_case": 42})", "business_case: expected a string, got number");
  expect_rejected(R"({"success_metrics": ["a", 3]})",
                  "success_metrics[1]: expected a string, got number");
  expect_rejected(R"({"success_metrics": ["a", ""]})", "success_metrics[1]: must not be blank");
  expect_rejected(R"({"commitments": "none"})", "commitments: expected an array, got string");
  expect_rejected(R"({"commitments": null})", "commitments: expected an array, got null");
  expect_rejected(R"({"risks": ["ok", " "]})", "risks[1]: must not be blank");
  expect_rejected(R"({"agreed_timeline": "Q3"})",
                  "agreed_timeline: expected an object, got string");
  expect_rejected(R"({"agreed_timeline": {"golive": 20030}})",
                  "agreed_timeline.golive: unknown key");
  expect_rejected(R"({"agreed_timeline": {"go_live": 20030.5}})",
                  "agreed_timeline.go_live: expected a date (\"YYYY-MM-DD\" or a whole day number), got a fractional number");
  expect_rejected(R"({"agreed_timeline": {"kickoff": 20010, "go_live": 20009}})",
                  "agreed_timeline.go_live: must not precede kickoff (day 20010)");
  expect_rejected(R"({"agreed_timeline": {"kickoff": 20010, "first_value": 20000}})",
                  "agreed_timeline.first_value: must not precede kickoff (day 20010)");
  expect_rejected("[]", "expected an object, got array");
  try {
    (void)fv::HandoffRecord::from_json("{\"risks\": [");
    ADD_FAILURE() << "malformed JSON accepted";
  } catch (const fv::Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("handoff record is not valid JSON", 0), 0u) << e.what();
  }
  // A number beyond a double is nlohmann's out_of_range, not a parse error:
  // it must still leave as fv::Error (found by fuzz_model_json).
  for (const char* text : {"{\"x\": 1e999}", "[-1e400]"})
    try {
      (void)fv::HandoffRecord::from_json(text);
      ADD_FAILURE() << text << " accepted";
    } catch (const fv::Error& e) {
      EXPECT_EQ(e.code(), fv::Errc::invalid);
      EXPECT_EQ(std::string(e.what()).rfind("handoff record is not valid JSON: ", 0), 0u) << e.what();
    }
  // Nesting is bounded where it goes too deep, whatever the document.
  try {
    (void)fv::HandoffRecord::from_json("{\"risks\": " + std::string(300, '[') + std::string(300, ']') + "}");
    ADD_FAILURE() << "300 levels accepted";
  } catch (const fv::Error& e) {
    EXPECT_EQ(e.code(), fv::Errc::invalid);
    std::string path = "risks";  // the first array that goes too deep
    for (int k = 0; k < 255; ++k) path += "[0]";
    EXPECT_EQ(e.path(), path);
    EXPECT_NE(std::string(e.what()).find("nested deeper than 256 levels"), std::string::npos) << e.what();
  }
}

TEST(Handoff, ValidateChecksRecordsBuiltInCode) {
  fv::HandoffRecord h = complete();
  h.validate();
  h.risks->push_back("");
  fvtest::expect_invalid([&] { h.validate(); }, "risks[1]: must not be blank");
}
