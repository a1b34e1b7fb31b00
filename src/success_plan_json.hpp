#pragma once
// JSON form of success plans for documents that embed one (an account file),
// kept out of the public header so that consumers never need nlohmann.

#include <nlohmann/json.hpp>
#include <string>

#include "firstvalue/calendar.hpp"
#include "firstvalue/success_plan.hpp"

namespace firstvalue {

// Reads a plan object found at `path`; every rejection, including validation,
// names its field below that path (`account.plan.goals[1].target`).
SuccessPlan success_plan_from_json(const nlohmann::json& value, const std::string& path);
nlohmann::json to_json_value(const SuccessPlan& plan);
nlohmann::json to_json_value(const GoalReport& report);

namespace json_detail {
bool as_bool(const nlohmann::json& value, const std::string& path);
}  // namespace json_detail

}  // namespace firstvalue
