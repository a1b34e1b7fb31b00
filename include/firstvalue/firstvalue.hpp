#pragma once
// Everything in one include, for consumers that prefer it.

#include "firstvalue/calendar.hpp"
#include "firstvalue/error.hpp"
#include "firstvalue/events.hpp"
#include "firstvalue/expr.hpp"
#include "firstvalue/generator.hpp"
#include "firstvalue/handoff.hpp"
#include "firstvalue/health.hpp"
#include "firstvalue/metrics.hpp"
#include "firstvalue/plan.hpp"
#include "firstvalue/portfolio.hpp"
#include "firstvalue/random.hpp"
#include "firstvalue/sample_portfolio.hpp"
#include "firstvalue/schedule.hpp"
#include "firstvalue/signals.hpp"
#include "firstvalue/success_plan.hpp"
#include "firstvalue/version.hpp"
