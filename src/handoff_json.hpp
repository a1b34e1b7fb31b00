#pragma once
// JSON form of handoff records for documents that embed one (an account file),
// kept out of the public header so that consumers never need nlohmann.

#include <nlohmann/json.hpp>
#include <string>

#include "firstvalue/handoff.hpp"

namespace firstvalue {

// Reads and validates a handoff object found at `path`; every rejection names
// its field below that path (`account.handoff.buying_committee[2].role`).
HandoffRecord handoff_from_json(const nlohmann::json& value, const std::string& path);
nlohmann::json to_json_value(const HandoffRecord& record);
nlohmann::json to_json_value(const HandoffAssessment& assessment);

}  // namespace firstvalue
