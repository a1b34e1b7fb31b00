#pragma once
// JSON of an account plan as a value, for documents that embed one (a
// portfolio account) and keep their own field paths.

#include <nlohmann/json.hpp>
#include <string>

#include "firstvalue/schedule.hpp"

namespace firstvalue {

AccountPlan account_plan_from_json(const nlohmann::json& value, const std::string& path);
nlohmann::json account_plan_to_json_value(const AccountPlan& plan);

}  // namespace firstvalue
