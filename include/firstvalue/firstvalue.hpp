#pragma once
// Everything in one include, for consumers that prefer it.

#include "firstvalue/error.hpp"
#include "firstvalue/health.hpp"
#include "firstvalue/random.hpp"
#include "firstvalue/sample_portfolio.hpp"
#include "firstvalue/version.hpp"
