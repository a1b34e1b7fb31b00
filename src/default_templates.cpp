// The default template set, written as JSON so that it reads as a playbook and
// goes through the same validation as a customer's own templates.
//
// The seeds' five phases: Transition (days 0-3, handoff meeting within 1 day),
// Kickoff (week 1, within 5 business days), Implementation (weeks 2-4),
// Adoption (weeks 3-6, training by role: admin 60-90 min, end users 45-60,
// managers 30-45), Value realization (weeks 4-8: value review around day 30,
// then the handoff to ongoing success). Enterprise is high-touch, mid-market
// templated, SMB tech-touch (seed "Playbook for B2B Revenue Teams").
//
// Attributes read: lifecycle, arr, sso (bool), migrate_data (bool),
// integrations (count). Metrics read by criteria: active_users, seat_activation.

#include "firstvalue/plan.hpp"

namespace firstvalue {
namespace {

constexpr const char* kDefaultSet = R"json({
  "fallback": "smb",
  "templates": [
    {
      "id": "enterprise", "name": "Enterprise: high-touch, named manager", "tier": "enterprise",
      "entry": "lifecycle == \"new_customer\" and arr >= 100000",
      "core_features": ["dashboards", "workflows", "integrations", "reports", "alerts", "admin_console"],
      "phases": [
        {"id": "transition", "name": "Transition (days 0-3)", "milestones": [
          {"id": "sales_handoff", "name": "Sales-to-CS handoff", "kind": "sales_handoff", "tasks": [
            {"id": "handoff_meeting", "name": "Internal handoff meeting (within 24 h)", "role": "csm", "from": "start", "duration": 1},
            {"id": "handoff_record", "name": "Complete the handoff record", "role": "account_executive", "from": "start", "duration": 2},
            {"id": "welcome_email", "name": "Welcome email and kickoff invitation", "role": "csm", "depends_on": ["handoff_meeting"], "duration": 1}
          ]}
        ]},
        {"id": "kickoff", "name": "Kickoff (week 1)", "milestones": [
          {"id": "kickoff", "name": "Kickoff complete", "kind": "kickoff", "depends_on": ["sales_handoff"], "tasks": [
            {"id": "executive_alignment", "name": "Executive sponsor alignment call", "role": "csm", "depends_on": ["handoff_record"], "duration": 2},
            {"id": "kickoff_meeting", "name": "Kickoff meeting (within 5 business days of close)", "role": "csm", "offset": 2, "duration": 1, "depends_on": ["welcome_email"]},
            {"id": "success_plan", "name": "Agree the success plan and goals", "owner": "customer", "role": "sponsor", "depends_on": ["kickoff_meeting"], "duration": 3}
          ]}
        ]},
        {"id": "implementation", "name": "Implementation (weeks 2-4)", "milestones": [
          {"id": "technical_setup", "name": "Technical setup done", "kind": "technical_setup", "depends_on": ["kickoff"], "tasks": [
            {"id": "provision_users", "name": "Provision users and roles", "owner": "customer", "role": "admin", "depends_on": ["kickoff_meeting"], "duration": 3},
            {"id": "sso_setup", "name": "Configure single sign-on", "owner": "customer", "role": "admin", "condition": "sso", "depends_on": ["provision_users"], "duration": 3},
            {"id": "configure_workspace", "name": "Configure workspace and workflows", "role": "implementation", "depends_on": ["provision_users"], "duration": 5},
            {"id": "data_migration", "name": "Migrate historical data", "owner": "customer", "role": "admin", "condition": "migrate_data", "depends_on": ["configure_workspace"], "duration": 5},
            {"id": "integrations_setup", "name": "Connect integrations", "role": "implementation", "condition": "integrations > 0", "depends_on": ["configure_workspace"], "duration": 4},
            {"id": "acceptance_testing", "name": "User acceptance testing", "owner": "customer", "role": "admin", "depends_on": ["sso_setup", "data_migration", "integrations_setup", "configure_workspace"], "duration": 3}
          ]},
          {"id": "go_live", "name": "Go-live", "kind": "go_live", "depends_on": ["technical_setup"], "tasks": [
            {"id": "readiness_review", "name": "Go-live readiness review", "role": "implementation", "depends_on": ["acceptance_testing"], "duration": 1},
            {"id": "launch", "name": "Launch to all users", "owner": "customer", "role": "sponsor", "depends_on": ["readiness_review"], "duration": 1}
          ]}
        ]},
        {"id": "adoption", "name": "Adoption (weeks 3-6)", "milestones": [
          {"id": "training", "name": "Training completed", "kind": "training", "depends_on": ["technical_setup"], "tasks": [
            {"id": "admin_training", "name": "Admin training (60-90 min)", "owner": "customer", "role": "admin", "depends_on": ["configure_workspace"], "duration": 2},
            {"id": "manager_training", "name": "Manager training (30-45 min)", "owner": "customer", "role": "manager", "depends_on": ["admin_training"], "duration": 3},
            {"id": "end_user_training", "name": "End-user training (45-60 min)", "owner": "customer", "role": "user", "depends_on": ["admin_training", "launch"], "duration": 5}
          ]},
          {"id": "first_active_users", "name": "First active users", "kind": "first_active_users", "depends_on": ["go_live"],
           "done_when": "active_users >= 5", "tasks": [
            {"id": "invite_users", "name": "Invite the planned users", "owner": "customer", "role": "admin", "depends_on": ["launch"], "duration": 2}
          ]},
          {"id": "adoption", "name": "Adoption confirmed", "kind": "adoption", "depends_on": ["first_active_users", "training"],
           "done_when": "seat_activation >= 0.7", "tasks": [
            {"id": "inactive_user_followup", "name": "Follow up with inactive users", "role": "csm", "depends_on": ["end_user_training"], "duration": 5}
          ]}
        ]},
        {"id": "value", "name": "Value realization (weeks 4-8)", "milestones": [
          {"id": "first_value", "name": "First value achieved", "kind": "first_value", "depends_on": ["go_live"], "tasks": [
            {"id": "value_review", "name": "Value review (around day 30)", "role": "csm", "from": "start", "offset": 30, "days": "calendar", "duration": 1, "depends_on": ["launch"]}
          ]},
          {"id": "handoff", "name": "Onboarding concluded: handoff to ongoing success", "kind": "handoff", "depends_on": ["first_value", "adoption"], "tasks": [
            {"id": "success_handoff", "name": "Handoff meeting to the account manager", "role": "csm", "depends_on": ["value_review", "inactive_user_followup"], "duration": 2}
          ]},
          {"id": "full_value", "name": "Full value (often a quarter)", "kind": "full_value", "depends_on": ["first_value"], "offset": 90, "days": "calendar", "tasks": [
            {"id": "quarterly_business_review", "name": "Quarterly business review", "role": "csm", "from": "start", "offset": 90, "days": "calendar", "duration": 1}
          ]}
        ]}
      ]
    },
    {
      "id": "mid_market", "name": "Mid-market: templated milestones", "tier": "mid_market",
      "entry": "lifecycle == \"new_customer\" and arr >= 25000",
      "core_features": ["dashboards", "workflows", "integrations", "reports"],
      "phases": [
        {"id": "transition", "name": "Transition (days 0-3)", "milestones": [
          {"id": "sales_handoff", "name": "Sales-to-CS handoff", "kind": "sales_handoff", "tasks": [
            {"id": "handoff_meeting", "name": "Internal handoff meeting (within 24 h)", "role": "csm", "from": "start", "duration": 1},
            {"id": "welcome_email", "name": "Welcome email and kickoff invitation", "role": "csm", "depends_on": ["handoff_meeting"], "duration": 1}
          ]}
        ]},
        {"id": "kickoff", "name": "Kickoff (week 1)", "milestones": [
          {"id": "kickoff", "name": "Kickoff complete", "kind": "kickoff", "depends_on": ["sales_handoff"], "tasks": [
            {"id": "kickoff_meeting", "name": "Kickoff meeting (within 5 business days of close)", "role": "csm", "offset": 2, "duration": 1, "depends_on": ["welcome_email"]},
            {"id": "success_plan", "name": "Agree the success plan and goals", "owner": "customer", "role": "sponsor", "depends_on": ["kickoff_meeting"], "duration": 2}
          ]}
        ]},
        {"id": "implementation", "name": "Implementation (weeks 2-4)", "milestones": [
          {"id": "technical_setup", "name": "Technical setup done", "kind": "technical_setup", "depends_on": ["kickoff"], "tasks": [
            {"id": "provision_users", "name": "Provision users and roles", "owner": "customer", "role": "admin", "depends_on": ["kickoff_meeting"], "duration": 2},
            {"id": "sso_setup", "name": "Configure single sign-on", "owner": "customer", "role": "admin", "condition": "sso", "depends_on": ["provision_users"], "duration": 2},
            {"id": "configure_workspace", "name": "Configure workspace from the template", "role": "implementation", "depends_on": ["provision_users"], "duration": 3},
            {"id": "integrations_setup", "name": "Connect integrations", "role": "implementation", "condition": "integrations > 0", "depends_on": ["configure_workspace"], "duration": 3},
            {"id": "acceptance_testing", "name": "Acceptance check", "owner": "customer", "role": "admin", "depends_on": ["sso_setup", "integrations_setup", "configure_workspace"], "duration": 2}
          ]},
          {"id": "go_live", "name": "Go-live", "kind": "go_live", "depends_on": ["technical_setup"], "tasks": [
            {"id": "launch", "name": "Launch to all users", "owner": "customer", "role": "sponsor", "depends_on": ["acceptance_testing"], "duration": 1}
          ]}
        ]},
        {"id": "adoption", "name": "Adoption (weeks 3-6)", "milestones": [
          {"id": "training", "name": "Training completed", "kind": "training", "depends_on": ["technical_setup"], "tasks": [
            {"id": "admin_training", "name": "Admin training (60-90 min)", "owner": "customer", "role": "admin", "depends_on": ["configure_workspace"], "duration": 2},
            {"id": "end_user_training", "name": "End-user training webinar (45-60 min)", "owner": "customer", "role": "user", "depends_on": ["admin_training", "launch"], "duration": 3}
          ]},
          {"id": "first_active_users", "name": "First active users", "kind": "first_active_users", "depends_on": ["go_live"],
           "done_when": "active_users >= 3", "tasks": [
            {"id": "invite_users", "name": "Invite the planned users", "owner": "customer", "role": "admin", "depends_on": ["launch"], "duration": 2}
          ]},
          {"id": "adoption", "name": "Adoption confirmed", "kind": "adoption", "depends_on": ["first_active_users", "training"],
           "done_when": "seat_activation >= 0.7", "tasks": [
            {"id": "inactive_user_followup", "name": "Follow up with inactive users", "role": "csm", "depends_on": ["end_user_training"], "duration": 3}
          ]}
        ]},
        {"id": "value", "name": "Value realization (weeks 4-8)", "milestones": [
          {"id": "first_value", "name": "First value achieved", "kind": "first_value", "depends_on": ["go_live"], "tasks": [
            {"id": "value_review", "name": "Value review (around day 30)", "role": "csm", "from": "start", "offset": 30, "days": "calendar", "duration": 1, "depends_on": ["launch"]}
          ]},
          {"id": "handoff", "name": "Onboarding concluded: handoff to ongoing success", "kind": "handoff", "depends_on": ["first_value", "adoption"], "tasks": [
            {"id": "success_handoff", "name": "Handoff to the account manager", "role": "csm", "depends_on": ["value_review", "inactive_user_followup"], "duration": 1}
          ]}
        ]}
      ]
    },
    {
      "id": "smb", "name": "SMB: tech-touch and automated", "tier": "smb",
      "core_features": ["dashboards", "workflows", "reports"],
      "phases": [
        {"id": "transition", "name": "Transition (days 0-3)", "milestones": [
          {"id": "sales_handoff", "name": "Automated handoff", "kind": "sales_handoff", "tasks": [
            {"id": "welcome_email", "name": "Automated welcome email", "role": "automation", "from": "start", "duration": 1}
          ]}
        ]},
        {"id": "kickoff", "name": "Kickoff (week 1)", "milestones": [
          {"id": "kickoff", "name": "Kickoff complete", "kind": "kickoff", "depends_on": ["sales_handoff"], "tasks": [
            {"id": "kickoff_webinar", "name": "Group kickoff webinar (within 5 business days)", "owner": "customer", "role": "admin", "offset": 3, "duration": 1, "depends_on": ["welcome_email"]}
          ]}
        ]},
        {"id": "implementation", "name": "Implementation (weeks 2-4)", "milestones": [
          {"id": "technical_setup", "name": "Technical setup done", "kind": "technical_setup", "depends_on": ["kickoff"], "tasks": [
            {"id": "setup_wizard", "name": "Complete the setup wizard", "owner": "customer", "role": "admin", "depends_on": ["welcome_email"], "duration": 3},
            {"id": "integrations_setup", "name": "Connect integrations (self-serve)", "owner": "customer", "role": "admin", "condition": "integrations > 0", "depends_on": ["setup_wizard"], "duration": 3}
          ]},
          {"id": "go_live", "name": "Go-live", "kind": "go_live", "depends_on": ["technical_setup"], "tasks": [
            {"id": "launch", "name": "Invite the team", "owner": "customer", "role": "admin", "depends_on": ["setup_wizard", "integrations_setup"], "duration": 2}
          ]}
        ]},
        {"id": "adoption", "name": "Adoption (weeks 3-6)", "milestones": [
          {"id": "training", "name": "Training completed", "kind": "training", "depends_on": ["technical_setup"], "tasks": [
            {"id": "academy_course", "name": "Self-paced academy course", "owner": "customer", "role": "user", "depends_on": ["launch"], "duration": 5}
          ]},
          {"id": "first_active_users", "name": "First active users", "kind": "first_active_users", "depends_on": ["go_live"],
           "done_when": "active_users >= 2", "tasks": [
            {"id": "activation_nudges", "name": "Automated activation nudges", "role": "automation", "depends_on": ["launch"], "duration": 5}
          ]}
        ]},
        {"id": "value", "name": "Value realization (weeks 4-8)", "milestones": [
          {"id": "first_value", "name": "First value achieved", "kind": "first_value", "depends_on": ["first_active_users"], "tasks": [
            {"id": "value_checkin", "name": "Automated value check-in (day 30)", "role": "automation", "from": "start", "offset": 30, "days": "calendar", "duration": 1}
          ]},
          {"id": "handoff", "name": "Onboarding concluded", "kind": "handoff", "depends_on": ["first_value", "training"], "tasks": [
            {"id": "nps_survey", "name": "Onboarding satisfaction survey", "owner": "customer", "role": "admin", "depends_on": ["value_checkin", "academy_course"], "duration": 5}
          ]}
        ]}
      ]
    }
  ]
})json";

}  // namespace

TemplateSet TemplateSet::default_set() {
  static const TemplateSet set = TemplateSet::from_json(kDefaultSet);
  return set;
}

}  // namespace firstvalue
