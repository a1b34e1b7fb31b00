#pragma once
// Readers for the shared data files in tests/data, so that the C++ suite checks
// the very cases the C and Python suites check.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "firstvalue/error.hpp"
#include "firstvalue/health.hpp"

namespace fvtest {

inline std::string data_path(const std::string& name) { return std::string(FV_TEST_DATA_DIR) + "/" + name; }

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

// Rows of a TSV file, header row first, comments and blank lines skipped.
inline std::vector<std::vector<std::string>> read_tsv(const std::string& name) {
  std::ifstream in(data_path(name));
  if (!in) throw std::runtime_error("cannot open " + data_path(name));
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    rows.push_back(split(line, '\t'));
  }
  return rows;
}

inline double number(const std::string& s) {
  if (s == "nan") return std::nan("");
  std::size_t used = 0;
  const double v = std::stod(s, &used);
  if (used != s.size()) throw std::runtime_error("not a number: " + s);
  return v;
}

struct HealthCase {
  std::string name, model, band, weakest, why;
  std::vector<std::pair<std::string, double>> inputs;
  bool has_previous = false;
  double previous = 0, score = 0, coverage = 0, delta = 0;
  int band_change = 0;
};

inline std::vector<HealthCase> health_cases() {
  const auto rows = read_tsv("health_cases.tsv");
  std::vector<HealthCase> cases;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& c = rows[r];
    if (c.size() != 11) throw std::runtime_error("health_cases.tsv: row " + c.at(0) + " has " + std::to_string(c.size()) + " columns");
    HealthCase h;
    h.name = c[0];
    h.model = c[1];
    for (const auto& pair : split(c[2], ';')) {
      const auto eq = pair.find('=');
      h.inputs.emplace_back(pair.substr(0, eq), number(pair.substr(eq + 1)));
    }
    h.has_previous = c[3] != "-";
    if (h.has_previous) h.previous = number(c[3]);
    h.score = number(c[4]);
    h.band = c[5];
    h.coverage = number(c[6]);
    h.weakest = c[7];
    if (h.has_previous) {
      h.delta = number(c[8]);
      h.band_change = std::stoi(c[9]);
    }
    h.why = c[10];
    cases.push_back(std::move(h));
  }
  return cases;
}

inline firstvalue::HealthModel load_model(const std::string& name) {
  if (name == "default") return firstvalue::HealthModel::default_model();
  return firstvalue::HealthModel::from_json(read_file(data_path("models/" + name)));
}

struct InvalidModel {
  std::string name, message, json;
};

inline std::vector<InvalidModel> invalid_models() {
  const auto rows = read_tsv("invalid_models.tsv");
  std::vector<InvalidModel> out;
  for (std::size_t r = 1; r < rows.size(); ++r) out.push_back({rows[r].at(0), rows[r].at(1), rows[r].at(2)});
  return out;
}

// Equality where NaN equals NaN.
inline bool same(double a, double b, double tol) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= tol;
}

}  // namespace fvtest

namespace fvtest {
// Expects `f` to throw Error(invalid) with exactly this message (path included).
template <class F>
void expect_invalid(F&& f, const std::string& message) {
  try {
    f();
    ADD_FAILURE() << "no error; expected: " << message;
  } catch (const firstvalue::Error& e) {
    EXPECT_EQ(e.code(), firstvalue::Errc::invalid);
    EXPECT_EQ(std::string(e.what()), message);
  }
}

// `f` throws an Error of this code naming this field path.
template <class F>
void expect_error_at(F&& f, firstvalue::Errc code, const std::string& path) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one at " << path;
  } catch (const firstvalue::Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_EQ(e.path(), path) << e.what();
  }
}

// As expect_invalid, checking only the field path the error names.
template <class F>
void expect_invalid_at(F&& f, const std::string& path) {
  expect_error_at(std::forward<F>(f), firstvalue::Errc::invalid, path);
}

// Readable test names in ctest output instead of byte dumps.
inline void PrintTo(const HealthCase& c, std::ostream* os) { *os << c.name; }
inline void PrintTo(const InvalidModel& c, std::ostream* os) { *os << c.name; }
}  // namespace fvtest
