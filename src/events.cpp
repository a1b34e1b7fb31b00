#include "firstvalue/events.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "enum_names.hpp"
#include "firstvalue/calendar.hpp"
#include "firstvalue/error.hpp"
#include "json_reader.hpp"
#include "text.hpp"

namespace firstvalue {
namespace {

using json_detail::json;

enum Col { c_ts, c_account, c_type, c_actor, c_item, c_value, c_id, c_count };
constexpr std::string_view kColumns[] = {"ts", "account", "type", "actor", "item", "value", "id"};

std::string where(std::size_t line, std::string_view column) {
  return "line " + std::to_string(line) + (column.empty() ? "" : "." + std::string(column));
}

double parse_value(std::string_view s, const std::string& path) {
  if (s.empty()) return std::numeric_limits<double>::quiet_NaN();
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) throw_invalid(path, detail::quoted(s) + " is not a number");
  return v;
}

std::uint64_t parse_id(std::string_view s, const std::string& path) {
  if (s.empty()) return 0;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size())
    throw_invalid(path, detail::quoted(s) + " is not a whole number (event ids are unsigned 64-bit integers)");
  return v;
}

// Splits one CSV record; quoted fields may hold commas, doubled quotes and
// line breaks. `pos` moves past the record.
std::vector<std::string> csv_record(std::string_view text, std::size_t& pos, std::size_t& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  const std::size_t start_line = line;
  while (pos < text.size()) {
    const char c = text[pos++];
    if (quoted) {
      if (c == '"') {
        if (pos < text.size() && text[pos] == '"') { fields.back() += '"'; ++pos; }
        else quoted = false;
      } else {
        if (c == '\n') ++line;
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      ++line;
      break;
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted) throw_invalid(where(start_line, ""), "unterminated quoted field");
  return fields;
}

int digits(std::string_view s, std::size_t at, std::size_t n) {
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::string_view to_string(EventType type) noexcept { return kEventTypeNames[static_cast<std::size_t>(type)]; }
std::optional<EventType> parse_event_type(std::string_view name) noexcept {
  return detail::enum_named<EventType>(kEventTypeNames, name);
}
std::string_view to_string(RejectReason reason) noexcept {
  return kRejectReasonNames[static_cast<std::size_t>(reason)];
}

std::int64_t parse_timestamp(std::string_view s, std::string_view what) {
  const std::string path(what);
  if (s.empty()) throw_invalid(path, "missing timestamp");
  if (s.find('-', 1) == std::string_view::npos) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size())
      throw_invalid(path, detail::quoted(s) + " is neither seconds since 1970 nor an ISO date-time");
    return v;
  }
  const auto bad = [&]() -> std::int64_t {
    throw_invalid(path, detail::quoted(s) + " is not an ISO date-time (YYYY-MM-DD[THH:MM[:SS]][Z|±HH:MM])");
  };
  const auto day = parse_date(s.substr(0, std::min<std::size_t>(10, s.size())));
  if (!day) return bad();
  std::int64_t seconds = std::int64_t{*day} * 86400;
  std::size_t i = 10;
  if (i == s.size()) return seconds;
  if (s[i] != 'T' && s[i] != ' ') return bad();
  const int hh = digits(s, i + 1, 2), mm = digits(s, i + 4, 2);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || s.size() < i + 6 || s[i + 3] != ':') return bad();
  seconds += hh * 3600 + mm * 60;
  i += 6;
  if (i < s.size() && s[i] == ':') {
    const int ss = digits(s, i + 1, 2);
    if (ss < 0 || ss > 60) return bad();
    seconds += ss;
    i += 3;
    if (i < s.size() && s[i] == '.') {  // fractions of a second are dropped: events count in days
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    }
  }
  if (i == s.size()) return seconds;
  if (s[i] == 'Z' && i + 1 == s.size()) return seconds;
  if ((s[i] == '+' || s[i] == '-') && s.size() == i + 6 && s[i + 3] == ':') {
    const int oh = digits(s, i + 1, 2), om = digits(s, i + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return bad();
    const std::int64_t offset = oh * 3600 + om * 60;
    return s[i] == '+' ? seconds - offset : seconds + offset;
  }
  return bad();
}

EventBatch EventBatch::slice(std::size_t begin, std::size_t end) const {
  if (begin > end || end > size())
    throw_invalid("events", "slice [" + std::to_string(begin) + ", " + std::to_string(end) + ") is outside the " +
                                std::to_string(size()) + " rows");
  auto cut = [&](auto span) { return span.empty() ? span : span.subspan(begin, end - begin); };
  EventBatch b = *this;
  b.ts = cut(ts);
  for (auto [to, from] : {std::pair{&b.account, &account}, std::pair{&b.type, &type}, std::pair{&b.actor, &actor},
                          std::pair{&b.item, &item}, std::pair{&b.organization, &organization}}) {
    to->codes = cut(from->codes);
    to->small_codes = cut(from->small_codes);
  }
  b.value = cut(value);
  b.id = cut(id);
  return b;
}

std::int32_t EventTable::intern(int which, std::string_view text) {
  if (text.empty() && which >= 2) return -1;
  auto& index = index_[which];
  std::vector<std::string>& dict = which == 0 ? accounts : which == 1 ? types : which == 2 ? actors : items;
  if (index.size() != dict.size()) {  // the dictionary was filled directly: index it first
    index.clear();
    for (std::size_t i = 0; i < dict.size(); ++i) index.emplace(dict[i], static_cast<std::int32_t>(i));
  }
  const auto [it, added] = index.try_emplace(std::string(text), static_cast<std::int32_t>(dict.size()));
  if (added) dict.emplace_back(text);
  return it->second;
}

void EventTable::add(std::int64_t t, std::string_view acct, std::string_view typ, std::string_view act,
                     std::string_view itm, double val, std::uint64_t event_id) {
  ts.push_back(t);
  account.push_back(intern(0, acct));
  type.push_back(intern(1, typ));
  actor.push_back(intern(2, act));
  item.push_back(intern(3, itm));
  value.push_back(val);
  id.push_back(event_id);
}

EventBatch EventTable::batch() const {
  EventBatch b;
  b.ts = ts;
  b.account = {account, accounts};
  b.type = {type, types};
  b.actor = {actor, actors};
  b.item = {item, items};
  b.value = value;
  b.id = id;
  return b;
}

EventTable EventTable::from_csv(std::string_view text) {
  EventTable t;
  std::size_t pos = 0, line = 1;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;  // a UTF-8 byte order mark from spreadsheet exports
  const std::vector<std::string> header = csv_record(text, pos, line);
  int col_of[c_count];
  std::fill(std::begin(col_of), std::end(col_of), -1);
  for (std::size_t i = 0; i < header.size(); ++i) {
    int k = -1;
    for (int c = 0; c < c_count; ++c)
      if (header[i] == kColumns[c]) k = c;
    if (k < 0)
      throw_invalid(where(1, ""), "unknown column " + detail::quoted(header[i]) + " (known: ts, account, type, actor, item, value, id)");
    if (col_of[k] >= 0) throw_invalid(where(1, ""), "column " + detail::quoted(header[i]) + " appears twice");
    col_of[k] = static_cast<int>(i);
  }
  for (int c : {c_ts, c_account, c_type})
    if (col_of[c] < 0) throw_invalid(where(1, ""), "missing required column \"" + std::string(kColumns[c]) + "\"");
  while (pos < text.size()) {
    const std::size_t at = line;
    const std::vector<std::string> f = csv_record(text, pos, line);
    if (f.size() == 1 && f[0].empty()) continue;  // blank line
    if (f.size() != header.size())
      throw_invalid(where(at, ""), "has " + std::to_string(f.size()) + " fields where the header has " +
                                       std::to_string(header.size()));
    auto get = [&](int c) -> std::string_view { return col_of[c] < 0 ? std::string_view() : f[static_cast<std::size_t>(col_of[c])]; };
    t.add(parse_timestamp(get(c_ts), where(at, "ts")), get(c_account), get(c_type), get(c_actor), get(c_item),
          parse_value(get(c_value), where(at, "value")), parse_id(get(c_id), where(at, "id")));
  }
  return t;
}

EventTable EventTable::from_jsonl(std::string_view text) {
  EventTable t;
  std::size_t pos = 0, line = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view row = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
    if (row.find_first_not_of(" \t") == std::string_view::npos) continue;
    const std::string path = where(line, "");
    json doc;
    try {
      doc = json_detail::parse_document(row, "event");
    } catch (const Error& e) {
      throw Error(e.code(), path, e.detail());
    }
    const json_detail::ObjectReader r(doc, path, {"ts", "account", "type", "actor", "item", "value", "id"});
    const json& ts = r.required("ts");
    std::int64_t seconds = 0;
    if (ts.is_string()) seconds = parse_timestamp(ts.get<std::string>(), r.field_path("ts"));
    else if (ts.is_number_integer()) seconds = ts.get<std::int64_t>();
    else throw_invalid(r.field_path("ts"), "must be seconds since 1970 or an ISO date-time string");
    auto opt_string = [&](const char* key) { return r.has(key) && !r.required(key).is_null() ? r.string(key) : std::string(); };
    double value = std::numeric_limits<double>::quiet_NaN();
    if (r.has("value") && !r.required("value").is_null()) value = r.number("value");
    std::uint64_t id = 0;
    if (r.has("id") && !r.required("id").is_null()) {
      const json& v = r.required("id");
      if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
        throw_invalid(r.field_path("id"), "must be a whole number >= 0");
      id = v.get<std::uint64_t>();
    }
    t.add(seconds, r.string("account"), r.string("type"), opt_string("actor"), opt_string("item"), value, id);
  }
  return t;
}

namespace {
std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}
}  // namespace

std::string EventTable::to_csv() const {
  std::string out = "ts,account,type,actor,item,value,id\n";
  auto dict = [](const std::vector<std::string>& d, std::int32_t c) {
    return c < 0 ? std::string() : csv_field(d[static_cast<std::size_t>(c)]);
  };
  char num[40];
  for (std::size_t r = 0; r < size(); ++r) {
    out += std::to_string(ts[r]) + "," + dict(accounts, account[r]) + "," + dict(types, type[r]) + "," +
           dict(actors, actor[r]) + "," + dict(items, item[r]) + ",";
    if (!std::isnan(value[r])) {
      std::snprintf(num, sizeof num, "%.17g", value[r]);
      out += num;
    }
    out += ",";
    if (id[r] != 0) out += std::to_string(id[r]);
    out += "\n";
  }
  return out;
}

std::string IngestReport::to_json(int indent) const {
  json by_reason = json::object();
  for (std::size_t i = 0; i < kRejectReasonNames.size(); ++i)
    if (rejected_by_reason[i]) by_reason[std::string(kRejectReasonNames[i])] = rejected_by_reason[i];
  json rows_j = json::array();
  for (const RejectedRow& r : rejected) rows_j.push_back({{"row", r.row}, {"reason", to_string(r.reason)}});
  return json{{"rows", rows},
              {"accepted", accepted},
              {"rejected", rejected.size()},
              {"rejected_by_reason", by_reason},
              {"rejected_rows", rows_j},
              {"messages", messages},
              {"cancelled", cancelled},
              {"applied", applied}}
      .dump(indent);
}

}  // namespace firstvalue
