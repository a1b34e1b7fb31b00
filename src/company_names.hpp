#pragma once
// Readable company names for generated portfolios, shared by the health sample
// and the scan generator so both read alike.

#include <array>

namespace firstvalue::detail {

inline constexpr std::array<const char*, 24> kCompanyFirst{
    "Northwind", "Bluepeak", "Cobalt",  "Driftwood", "Evergreen", "Foxglove", "Granite", "Harbor",
    "Ironbark",  "Juniper",  "Keystone", "Lumen",    "Meridian",  "Nimbus",   "Orchard", "Pinecrest",
    "Quarry",    "Redwood",  "Summit",  "Tidewater", "Umber",     "Vantage",  "Willow",  "Zephyr"};
inline constexpr std::array<const char*, 12> kCompanySecond{"Analytics", "Logistics", "Health",   "Robotics",
                                                            "Foods",     "Capital",   "Energy",   "Media",
                                                            "Labs",      "Freight",   "Insurance", "Retail"};

}  // namespace firstvalue::detail
