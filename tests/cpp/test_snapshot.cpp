// Snapshots: a saved portfolio loads back to the same state and results, and
// continues from there; damaged, truncated, tampered, newer or wrongly keyed
// files are refused whole. GDPR: export holds everything about an account;
// erase leaves no byte of it in the state or in a later snapshot.

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cases.hpp"
#include "firstvalue/firstvalue.hpp"
#include "firstvalue/generator.hpp"

namespace fv = firstvalue;

namespace {

const fv::SnapshotKey kKey = fv::snapshot_key_from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

// An account with every part a plan can have, PII included.
const char* const kFullAccount = R"({
  "key": "acct-gdpr-7f3a", "name": "Quillfeather Logistics", "arr": 125000,
  "signature": "2026-09-01", "seats": {"planned": 4, "provisioned": 5},
  "planned_users": ["ada.quill@quillfeather.example", "bo.rook@quillfeather.example"],
  "contacts": [{"key": "cy.sponsor@quillfeather.example", "name": "Cyrielle Sponsorova", "role": "sponsor"}],
  "attributes": {"sso": true, "integrations": 2, "migrate_data": false, "region": "Zanzibar-North-7"},
  "progress": {"handoff_meeting": {"done": "2026-09-02"}, "kickoff_meeting": {"redates": [{"on": "2026-09-03", "to": "2026-09-10"}]}},
  "metrics": [{"day": "2026-09-20", "values": {"active_users": 3}}],
  "goals": [{"id": "ramp", "metric": "meetings_per_sdr", "baseline": 5, "target": 10, "start": 20697, "due": 20760,
             "direction": "up", "observations": [[20700, 5.5]]}],
  "handoff": {"business_case": "Halve the dispatch backlog of Quillfeather",
              "success_metrics": ["dispatch backlog"],
              "buying_committee": [{"name": "Dagmar Quillfeather-Oyelaran", "role": "sponsor", "email": "dagmar@quillfeather.example"}],
              "agreed_timeline": {"go_live": 20740, "note": "after the Quillfeather depot move"}},
  "exit": "2026-11-01", "exit_reason": "churned"
})";
const fv::Day kAsOf = *fv::parse_date("2026-11-23");

struct Fixture {
  fv::GeneratedPortfolio g;
  fv::Portfolio p;
  explicit Fixture(std::size_t accounts = 120) : g(generate(accounts)), p(fv::make_portfolio(g, {})) {
    p.add_accounts({fv::Account::from_json(kFullAccount)});
    p.ingest(g.events.batch());
    p.ingest(full_account_events());
  }
  static fv::GeneratedPortfolio generate(std::size_t accounts) {
    fv::GeneratorOptions o;
    o.accounts = accounts;
    o.seed = 7;
    return fv::generate_portfolio(o);
  }
  static fv::EventBatch full_account_events() {
    static fv::EventTable t = fv::EventTable::from_csv(
        "account,ts,type,actor,item,value,id\n"
        "acct-gdpr-7f3a,2026-09-03T10:00:00Z,login,ada.quill@quillfeather.example,,,\n"
        "acct-gdpr-7f3a,2026-09-04T10:00:00Z,feature_use,ada.quill@quillfeather.example,routes,,\n"
        "acct-gdpr-7f3a,2026-09-05T10:00:00Z,login,stray.user@quillfeather.example,,,\n"
        "acct-gdpr-7f3a,2026-09-05T12:00:00Z,customer_reply,cy.sponsor@quillfeather.example,,5,11\n"
        "acct-gdpr-7f3a,2026-09-06T12:00:00Z,ticket_opened,,T-1,2,\n"
        "acct-gdpr-7f3a,2026-09-08T12:00:00Z,meeting_postponed,,m-1,,12\n"
        "acct-gdpr-7f3a,2026-09-09T12:00:00Z,milestone_completed,,sales_handoff,,\n");
    return t.batch();
  }
};

void expect_same_state(const fv::Portfolio& a, const fv::Portfolio& b) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.config().to_json(), b.config().to_json());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a.account(i), b.account(i)) << i;
    EXPECT_TRUE(a.activity(i) == b.activity(i)) << i;
    EXPECT_EQ(a.activity(i).bytes(), b.activity(i).bytes()) << i;
  }
  EXPECT_EQ(a.results_json(a.evaluate(kAsOf)), b.results_json(b.evaluate(kAsOf)));
}

fv::Errc code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const fv::Error& e) {
    return e.code();
  }
  return fv::Errc::internal;  // did not throw: no test expects that
}

std::string temp_dir() {
  const auto dir = std::filesystem::temp_directory_path() / ("fv_snapshot_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

bool contains(const std::string& haystack, std::string_view needle) { return haystack.find(needle) != std::string::npos; }

}  // namespace

TEST(Snapshot, LoadsBackTheSameStateAndResultsPlainAndEncrypted) {
  const Fixture f;
  for (const bool encrypted : {false, true}) {
    fv::SnapshotOptions o;
    if (encrypted) o.key = kKey;
    const std::string bytes = f.p.save_bytes(o);
    const fv::Portfolio back = fv::Portfolio::load_bytes(bytes, o);
    expect_same_state(f.p, back);
    const fv::AccountActivity& state = back.activity(*back.find("acct-gdpr-7f3a"));
    EXPECT_GT(state.bytes(), 0u);
    // The full account's plan parts all came back, readings included.
    EXPECT_EQ(back.account(*back.find("acct-gdpr-7f3a")).plan.metrics.size(), 1u);
    EXPECT_EQ(contains(bytes, "Quillfeather"), !encrypted);
  }
}

TEST(Snapshot, TomorrowContinuesFromTonight) {
  // Ingest the first half of the events, save, load, ingest the rest: the
  // same state as one portfolio that ingested everything.
  const Fixture f;
  const fv::GeneratedPortfolio& g = f.g;
  fv::Portfolio half = fv::make_portfolio(g, {});
  half.add_accounts({fv::Account::from_json(kFullAccount)});
  const std::size_t n = g.events.size();
  half.ingest(g.events.batch().slice(0, n / 2));
  fv::Portfolio tomorrow = fv::Portfolio::load_bytes(half.save_bytes());
  tomorrow.ingest(g.events.batch().slice(n / 2, n));
  tomorrow.ingest(Fixture::full_account_events());
  expect_same_state(f.p, tomorrow);
}

TEST(Snapshot, EveryTruncationAndEveryFlippedBitIsRefused) {
  const Fixture f(6);
  for (const bool encrypted : {false, true}) {
    fv::SnapshotOptions o;
    if (encrypted) o.key = kKey;
    const std::string bytes = f.p.save_bytes(o);
    ASSERT_GT(bytes.size(), 200u);
    for (std::size_t n = 1; n < bytes.size(); ++n)
      EXPECT_EQ(code_of([&] { (void)fv::Portfolio::load_bytes(std::string_view(bytes).substr(0, n), o); }), fv::Errc::corrupt)
          << "truncated to " << n << " bytes";
    for (std::size_t k = 0; k < bytes.size(); ++k) {
      std::string damaged = bytes;
      damaged[k] = static_cast<char>(damaged[k] ^ (1 << (k % 8)));
      const fv::Errc code = code_of([&] { (void)fv::Portfolio::load_bytes(damaged, o); });
      // A flip in the version field that raises it reads as a newer format.
      if (k >= 8 && k < 12 && (damaged[k] & 0xff) > (bytes[k] & 0xff))
        EXPECT_EQ(code, fv::Errc::unsupported) << k;
      else
        EXPECT_EQ(code, fv::Errc::corrupt) << "bit flipped in byte " << k;
    }
    EXPECT_EQ(code_of([&] { (void)fv::Portfolio::load_bytes(bytes + "x", o); }), fv::Errc::corrupt);
    EXPECT_EQ(code_of([&] { (void)fv::Portfolio::load_bytes(bytes + bytes, o); }), fv::Errc::corrupt);
    EXPECT_EQ(code_of([&] { (void)fv::Portfolio::load_bytes("", o); }), fv::Errc::invalid);
  }
}

TEST(Snapshot, NewerFormatIsRefusedWithAMessage) {
  const Fixture f(3);
  std::string bytes = f.p.save_bytes();
  bytes[8] = static_cast<char>(fv::kSnapshotFormat + 1);
  try {
    (void)fv::Portfolio::load_bytes(bytes);
    FAIL() << "loaded a newer format";
  } catch (const fv::Error& e) {
    EXPECT_EQ(e.code(), fv::Errc::unsupported);
    EXPECT_TRUE(contains(e.what(), "format 2, newer than the format 1")) << e.what();
  }
}

TEST(Snapshot, KeysMustMatch) {
  const Fixture f(3);
  fv::SnapshotOptions with_key;
  with_key.key = kKey;
  const std::string encrypted = f.p.save_bytes(with_key);
  const std::string plain = f.p.save_bytes();
  fv::SnapshotOptions other = with_key;
  (*other.key)[31] ^= 1;
  fvtest::expect_invalid_at([&] { (void)fv::Portfolio::load_bytes(encrypted, other); }, "key");
  fvtest::expect_invalid_at([&] { (void)fv::Portfolio::load_bytes(encrypted); }, "key");
  fvtest::expect_invalid_at([&] { (void)fv::Portfolio::load_bytes(plain, with_key); }, "key");
  // Two saves with one key differ (their salts do), and both load.
  const std::string again = f.p.save_bytes(with_key);
  EXPECT_NE(encrypted, again);
  expect_same_state(fv::Portfolio::load_bytes(encrypted, with_key), fv::Portfolio::load_bytes(again, with_key));
  fvtest::expect_invalid_at([] { (void)fv::snapshot_key_from_hex("00"); }, "key");
  fvtest::expect_invalid_at([] { (void)fv::snapshot_key_from_hex(std::string(63, '0') + "g"); }, "key");
}

TEST(Snapshot, InspectReadsTheHeaderAndMeta) {
  const Fixture f(3);
  const fv::SnapshotInfo plain = fv::inspect_snapshot_bytes(f.p.save_bytes());
  EXPECT_EQ(plain.format, 1u);
  EXPECT_FALSE(plain.encrypted);
  EXPECT_EQ(plain.organization, "sample-org");
  EXPECT_EQ(plain.accounts, f.p.size());
  EXPECT_EQ(plain.library, std::string(fv::version_string));
  fv::SnapshotOptions o;
  o.key = kKey;
  const std::string encrypted = f.p.save_bytes(o);
  const fv::SnapshotInfo header = fv::inspect_snapshot_bytes(encrypted);
  EXPECT_TRUE(header.encrypted);
  EXPECT_FALSE(header.organization.has_value());
  EXPECT_EQ(fv::inspect_snapshot_bytes(encrypted, o).accounts, f.p.size());
}

TEST(Snapshot, FilesAreReplacedAtomicallyAndPrivate) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/state.fvsnap";
  const Fixture f(20);
  f.p.save(path);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(path + ".fvtmp"));
  expect_same_state(f.p, fv::Portfolio::load(path));
  // Saving again replaces it; a stale temporary file from a crash is taken over.
  { std::ofstream(path + ".fvtmp") << "left by a crash"; }
  fv::Portfolio smaller = fv::make_portfolio(Fixture::generate(5), {});
  ::chmod((path + ".fvtmp").c_str(), 0644);
  smaller.save(path);
  EXPECT_EQ(fv::Portfolio::load(path).size(), 5u);
  EXPECT_FALSE(std::filesystem::exists(path + ".fvtmp"));
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the stale temporary file lent the snapshot its mode";
  // A symlink planted as the temporary file is refused, and its target left alone.
  { std::ofstream(dir + "/elsewhere") << "not yours"; }
  std::filesystem::create_symlink(dir + "/elsewhere", path + ".fvtmp");
  EXPECT_EQ(code_of([&] { smaller.save(path); }), fv::Errc::io);
  EXPECT_EQ(fvtest::read_file(dir + "/elsewhere"), "not yours");
  EXPECT_EQ(fv::Portfolio::load(path).size(), 5u);
  EXPECT_EQ(code_of([&] { (void)fv::Portfolio::load(dir + "/missing.fvsnap"); }), fv::Errc::not_found);
  EXPECT_EQ(code_of([&] { f.p.save(dir + "/no/such/dir/state.fvsnap"); }), fv::Errc::not_found);
  EXPECT_EQ(fv::inspect_snapshot(path).accounts, 5u);
  std::filesystem::remove_all(dir);
}

TEST(Snapshot, ActivityStatesAreValidatedOnRestore) {
  // A state built from events restores; one whose bytes break an invariant
  // is refused even when the file's checksums hold.
  const Fixture f(3);
  const std::size_t i = *f.p.find("acct-gdpr-7f3a");
  const fv::AccountActivity& state = f.p.activity(i);
  const auto* b = static_cast<const std::byte*>(state.address());
  const std::vector<std::byte> good(b, b + state.bytes());
  const fv::ActivityShape shape{2, 100};
  const fv::AccountActivity back = fv::restore_activity(good, shape);
  EXPECT_TRUE(back == state);
  EXPECT_TRUE(fv::restore_activity({}, shape).empty());
  auto refused = [&](std::vector<std::byte> bytes, const fv::ActivityShape& s, const std::string& what) {
    try {
      (void)fv::restore_activity(bytes, s);
      ADD_FAILURE() << "restored: " << what;
    } catch (const fv::Error& e) {
      EXPECT_EQ(e.code(), fv::Errc::invalid);
      EXPECT_TRUE(contains(e.what(), what)) << e.what();
    }
  };
  refused({good.begin(), good.begin() + 20}, shape, "fewer than its 36-byte head");
  refused({good.begin(), good.end() - 1}, shape, "where its head describes");
  std::vector<std::byte> longer = good;
  longer.push_back(std::byte{0});
  refused(longer, shape, "where its head describes");
  refused(good, {3, 100}, "planned-user slots for an account with 3");
  refused(good, {2, 0}, "names plan node");  // the completed milestone is node 0
  std::vector<std::byte> wide = good;
  wide[34] = std::byte{7};  // the width flag, the head's last field
  refused(wide, shape, "width flag of 7");
}

TEST(Gdpr, ExportHoldsEverythingAboutTheAccount) {
  const Fixture f(10);
  const std::string doc = f.p.export_account("sample-org", "acct-gdpr-7f3a", kAsOf);
  const auto j = nlohmann::json::parse(doc);
  EXPECT_EQ(j["format"], "firstvalue.account_export/1");
  EXPECT_EQ(j["account"]["attributes"]["region"], "Zanzibar-North-7");
  EXPECT_EQ(j["account"]["handoff"]["buying_committee"][0]["email"], "dagmar@quillfeather.example");
  EXPECT_EQ(j["account"]["goals"][0]["id"], "ramp");
  EXPECT_EQ(j["account"]["metrics"].size(), 1u);
  EXPECT_EQ(j["plan"]["account"], "acct-gdpr-7f3a");
  const auto& act = j["activity"];
  EXPECT_EQ(act["state_bytes"], f.p.activity(*f.p.find("acct-gdpr-7f3a")).bytes());
  // Three users logged in: two named (a planned user, the sponsor replying is
  // not a login) and one the account does not know.
  ASSERT_EQ(act["users"].size(), 2u);
  EXPECT_EQ(act["users"][0]["key"], "ada.quill@quillfeather.example");
  EXPECT_EQ(act["users"][0]["first_seen"], "2026-09-03");
  EXPECT_EQ(act["users"][0]["active_weeks"], nlohmann::json::array({0}));
  EXPECT_TRUE(act["users"][1]["key"].is_null());
  EXPECT_EQ(act["users"][1]["first_seen"], "2026-09-05");
  EXPECT_EQ(act["usage_days"], nlohmann::json::array({"2026-09-03", "2026-09-04", "2026-09-05"}));
  EXPECT_EQ(act["sponsor_replies"][0]["at"], "2026-09-05T12:00:00Z");
  EXPECT_EQ(act["sponsor_replies"][0]["latency_hours"], 5.0);
  EXPECT_EQ(act["tickets"][0]["severity"], 2);
  EXPECT_EQ(act["tickets"][0]["id"].get<std::string>().size(), 16u);
  EXPECT_EQ(act["meeting_changes"][0]["change"], "postponed");
  EXPECT_EQ(act["milestones_completed"][0]["milestone"], "sales_handoff");
  EXPECT_EQ(act["milestones_completed"][0]["on"], "2026-09-09");
  EXPECT_EQ(j["evaluation"]["account"], "acct-gdpr-7f3a");
  // Weekly from the signature (2026-09-01): 09-08, 09-15, … 11-17 (11 nights), then as_of.
  ASSERT_EQ(j["signal_history"].size(), 12u);
  EXPECT_EQ(j["signal_history"][10]["as_of"], "2026-11-17");
  EXPECT_EQ(j["signal_history"][0]["as_of"], "2026-09-08");
  EXPECT_EQ(j["signal_history"].back()["as_of"], "2026-11-23");
  fvtest::expect_error_at([&] { (void)f.p.export_account("other-org", "acct-gdpr-7f3a", kAsOf); }, fv::Errc::forbidden,
                          "organization");
  fvtest::expect_error_at([&] { (void)f.p.export_account("sample-org", "nobody", kAsOf); }, fv::Errc::not_found, "key");
}

TEST(Gdpr, EraseLeavesNoByteOfTheAccountInTheStateOrALaterSnapshot) {
  Fixture f(40);
  const fv::Portfolio before = fv::Portfolio::load_bytes(f.p.save_bytes());
  const fv::ScanResult old = f.p.evaluate(kAsOf);
  // Another organization's erase is refused and changes nothing.
  fvtest::expect_error_at([&] { (void)f.p.erase_account("other-org", "acct-gdpr-7f3a"); }, fv::Errc::forbidden,
                          "organization");
  fvtest::expect_error_at([&] { (void)f.p.erase_account("sample-org", "nobody"); }, fv::Errc::not_found, "key");
  expect_same_state(before, f.p);

  const fv::ErasureReceipt r = f.p.erase_account("sample-org", "acct-gdpr-7f3a");
  EXPECT_EQ(r.organization, "sample-org");
  // SHA-256("acct-gdpr-7f3a"), from `printf %s acct-gdpr-7f3a | sha256sum`.
  EXPECT_EQ(r.key_sha256, "2257e91370b3e852f1abd1024ca915b2719f5f2bd024f65b9519be9fdb804ae4");
  EXPECT_EQ(r.planned_users, 2u);
  EXPECT_EQ(r.contacts, 1u);
  EXPECT_EQ(r.progress, 2u);
  EXPECT_EQ(r.goals, 1u);
  EXPECT_TRUE(r.handoff);
  EXPECT_GT(r.state_bytes, 0u);
  EXPECT_EQ(r.accounts_left, before.size() - 1);
  EXPECT_FALSE(contains(r.to_json(), "acct-gdpr"));
  EXPECT_EQ(r.erased_at.size(), 20u);

  EXPECT_FALSE(f.p.find("acct-gdpr-7f3a"));
  fvtest::expect_error_at([&] { (void)f.p.export_account("sample-org", "acct-gdpr-7f3a", kAsOf); }, fv::Errc::not_found, "key");
  // Results from before the erase name shifted indices: refused.
  EXPECT_EQ(code_of([&] { (void)f.p.results_json(old); }), fv::Errc::invalid);

  // The other accounts are exactly as they were.
  ASSERT_EQ(f.p.size(), before.size() - 1);
  for (std::size_t i = 0, k = 0; i < before.size(); ++i) {
    if (before.account(i).key == "acct-gdpr-7f3a") continue;
    EXPECT_EQ(f.p.account(k), before.account(i));
    EXPECT_TRUE(f.p.activity(k) == before.activity(i));
    ++k;
  }
  // No byte of the key or of any attribute, contact, planned user or handoff
  // text in a new snapshot, nor in anything the portfolio renders.
  const std::string after = f.p.save_bytes();
  std::string rendered = f.p.results_json(f.p.evaluate(kAsOf));
  for (std::size_t i = 0; i < f.p.size(); ++i) rendered += f.p.account(i).to_json();
  for (const char* needle : {"acct-gdpr-7f3a", "Quillfeather", "quillfeather", "Zanzibar-North-7", "Cyrielle",
                             "Dagmar", "ada.quill", "bo.rook", "Halve the dispatch", "depot move"}) {
    EXPECT_FALSE(contains(after, needle)) << needle;
    EXPECT_FALSE(contains(rendered, needle)) << needle;
  }
  // The snapshot before the erase had them (the check can fail).
  EXPECT_TRUE(contains(before.save_bytes(), "Zanzibar-North-7"));
  // And the portfolio goes on: events for the erased key are rejected as unknown.
  const fv::IngestReport rep = f.p.ingest(Fixture::full_account_events());
  EXPECT_EQ(rep.accepted, 0u);
}

// ---- crashes during save --------------------------------------------------------

namespace {

// Runs `save` in a child process and returns how it ended (waitpid status).
template <class Save>
int in_child(Save save, long file_size_limit = -1) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (file_size_limit >= 0) {
      // The kernel stops the child with SIGXFSZ at exactly this many bytes.
      const struct rlimit limit{static_cast<rlim_t>(file_size_limit), static_cast<rlim_t>(file_size_limit)};
      ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    try {
      save();
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

}  // namespace

TEST(SnapshotCrash, KilledAtAnyByteOfTheWriteLeavesThePreviousSnapshot) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/crash.fvsnap";
  const Fixture old_state(8), new_state(30);
  old_state.p.save(path);
  const std::string old_bytes = fvtest::read_file(path);
  const std::size_t size = new_state.p.save_bytes().size();
  ASSERT_GT(size, 4096u);
  std::vector<long> points{0, 1, 63, 64, 65, 72, 4096, static_cast<long>(size / 2), static_cast<long>(size) - 17,
                           static_cast<long>(size) - 1};
  for (long k = 1; k < 24; ++k) points.push_back(static_cast<long>(size) * k / 24 + k);  // spread over the file
  for (const long limit : points) {
    const int status = in_child([&] { new_state.p.save(path); }, limit);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ) << "limit " << limit << " status " << status;
    // The previous snapshot is whole, byte for byte, and loads.
    EXPECT_EQ(fvtest::read_file(path), old_bytes) << "killed at byte " << limit;
    expect_same_state(fv::Portfolio::load(path), old_state.p);
  }
  // The crashes left their temporary file; the next save takes it over.
  EXPECT_TRUE(std::filesystem::exists(path + ".fvtmp"));
  new_state.p.save(path);
  EXPECT_FALSE(std::filesystem::exists(path + ".fvtmp"));
  expect_same_state(fv::Portfolio::load(path), new_state.p);
  std::filesystem::remove_all(dir);
}

TEST(SnapshotCrash, KilledAtRandomMomentsLeavesAWholeSnapshot) {
  // A child saves two states in turn, over and over; it is killed at random
  // moments (in a write, an fsync, a rename). The file is always one of them.
  const std::string dir = temp_dir();
  const std::string path = dir + "/race.fvsnap";
  const Fixture a(8), b(40);
  a.p.save(path);
  const std::string bytes_a = fvtest::read_file(path);
  // Kills land from before the first save ends to several saves later,
  // whatever the machine's speed: the delays scale with a measured save.
  const auto t0 = std::chrono::steady_clock::now();
  b.p.save(path);
  const auto save_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  const std::string bytes_b = fvtest::read_file(path);
  std::uint64_t seed = 12345;
  int saw_a = 0, saw_b = 0;
  for (int round = 0; round < 40; ++round) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      for (int k = 0;; ++k) (k % 2 ? b.p : a.p).save(path);
    }
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    ::usleep(static_cast<useconds_t>(static_cast<std::uint64_t>(save_us) * ((seed >> 33) % 4000) / 1000 + 100));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    const std::string now = fvtest::read_file(path);
    ASSERT_TRUE(now == bytes_a || now == bytes_b) << "round " << round << ": " << now.size() << " bytes";
    (now == bytes_a ? saw_a : saw_b)++;
    (void)fv::Portfolio::load(path);
  }
  EXPECT_GT(saw_a, 0);
  EXPECT_GT(saw_b, 0);
  std::filesystem::remove_all(dir);
}

// ---- bad input: a clear error, and the state unchanged (compared by snapshot) ----

TEST(BadInput, EachIsRefusedWithItsPathAndChangesNothing) {
  Fixture f(12);
  const std::string big(10u << 20, 'x');  // 10 MB
  auto account = [](const std::string& patch) {
    nlohmann::json a = nlohmann::json::parse(R"({"key": "new-1", "signature": "2026-09-01",
        "attributes": {"sso": false, "migrate_data": false, "integrations": 0}})");
    a.merge_patch(nlohmann::json::parse(patch));
    return a;
  };
  auto add = [&](const nlohmann::json& a) { return [&f, a] { f.p.add_accounts_json(nlohmann::json::array({a}).dump()); }; };
  std::string deep = "[";
  for (int k = 0; k < 100000; ++k) deep += "[";
  struct Case {
    const char* what;
    std::function<void()> call;
    fv::Errc code;
    std::string path;
  };
  const std::vector<Case> cases{
      {"arr NaN", [&] { fv::Account a = fv::Account::from_json(account("{}").dump()); a.arr = std::nan(""); f.p.add_accounts({a}); },
       fv::Errc::invalid, "accounts[0].arr"},
      {"arr infinite", [&] { fv::Account a = fv::Account::from_json(account("{}").dump()); a.arr = INFINITY; f.p.add_accounts({a}); },
       fv::Errc::invalid, "accounts[0].arr"},
      {"arr 1e999 in JSON", [&] { f.p.add_accounts_json(R"([{"key": "k", "signature": "2026-09-01", "arr": 1e999}])"); },
       fv::Errc::invalid, ""},
      {"negative seats", add(account(R"({"seats": {"planned": -3}})")), fv::Errc::invalid, "accounts[0].seats.planned"},
      {"negative provisioned seats", [&] { fv::Account a = fv::Account::from_json(account("{}").dump()); a.provisioned_seats = -1; f.p.add_accounts({a}); },
       fv::Errc::invalid, "accounts[0].seats.provisioned"},
      {"signature before 1970", add(account(R"({"signature": "1969-12-31"})")), fv::Errc::invalid, "accounts[0].signature"},
      {"signature after 2100", add(account(R"({"signature": "2101-01-01"})")), fv::Errc::invalid, "accounts[0].signature"},
      {"signature in 1960 from C++", [&] { fv::Account a = fv::Account::from_json(account("{}").dump()); a.signature = -3653; f.p.add_accounts({a}); },
       fv::Errc::invalid, "accounts[0].signature"},
      {"exit in 2500 from C++", [&] { fv::Account a = fv::Account::from_json(account("{}").dump()); a.exit = 193000; f.p.add_accounts({a}); },
       fv::Errc::invalid, "accounts[0].exit"},
      {"10 MB key", [&] { fv::Account a = fv::Account::from_json(account("{}").dump()); a.key = big; f.p.add_accounts({a}); },
       fv::Errc::invalid, "accounts[0].key"},
      {"10 MB name", [&] { fv::Account a = fv::Account::from_json(account("{}").dump()); a.name = big; f.p.add_accounts({a}); },
       fv::Errc::invalid, "accounts[0].name"},
      {"10 MB planned user", [&] { fv::Account a = fv::Account::from_json(account("{}").dump()); a.planned_users = {"ok", big}; f.p.add_accounts({a}); },
       fv::Errc::invalid, "accounts[0].planned_users[1]"},
      {"10 MB contact name", [&] { fv::Account a = fv::Account::from_json(account("{}").dump()); a.contacts = {{"c", big, fv::ContactRole::admin}}; f.p.add_accounts({a}); },
       fv::Errc::invalid, "accounts[0].contacts[0].name"},
      {"a key that is not UTF-8", [&] { fv::Account a = fv::Account::from_json(account("{}").dump()); a.key = "k\xff"; f.p.add_accounts({a}); },
       fv::Errc::invalid, "accounts[0].key"},
      {"a truncated UTF-8 name", [&] { fv::Account a = fv::Account::from_json(account("{}").dump()); a.name = "caf\xc3"; f.p.add_accounts({a}); },
       fv::Errc::invalid, "accounts[0].name"},
      {"a surrogate in a planned user", [&] { fv::Account a = fv::Account::from_json(account("{}").dump()); a.planned_users = {"\xed\xa0\x80"}; f.p.add_accounts({a}); },
       fv::Errc::invalid, "accounts[0].planned_users[0]"},
      {"an overlong attribute value", [&] { fv::Account a = fv::Account::from_json(account("{}").dump()); a.plan.attributes["region"] = std::string("\xc0\xaf"); f.p.add_accounts({a}); },
       fv::Errc::invalid, "accounts[0].attributes.region"},
      {"deeply nested JSON", [&] { f.p.add_accounts_json(deep); }, fv::Errc::invalid, ""},
      {"evaluation in 1969", [&] { (void)f.p.evaluate(-1); }, fv::Errc::invalid, "as_of"},
      {"evaluation in 2101", [&] { (void)f.p.evaluate(*fv::parse_date("2101-01-01")); }, fv::Errc::invalid, "as_of"},
      {"export in 2101", [&] { (void)f.p.export_account("sample-org", "acct-gdpr-7f3a", 48000); }, fv::Errc::invalid, "as_of"},
      {"10 MB key to erase", [&] { (void)f.p.erase_account("sample-org", big); }, fv::Errc::not_found, "key"},
      {"a snapshot of 10 MB of zeros", [&] { (void)fv::Portfolio::load_bytes(std::string(10u << 20, '\0')); },
       fv::Errc::invalid, "snapshot"},
  };
  const std::string before = f.p.save_bytes();
  for (const Case& c : cases) {
    try {
      c.call();
      ADD_FAILURE() << c.what << ": accepted";
    } catch (const fv::Error& e) {
      EXPECT_EQ(e.code(), c.code) << c.what << ": " << e.what();
      if (!c.path.empty()) {
        EXPECT_EQ(e.path(), c.path) << c.what << ": " << e.what();
      }
      EXPECT_LT(std::string(e.what()).size(), 1000u) << c.what << ": the message quotes the input whole";
    }
    EXPECT_EQ(f.p.save_bytes(), before) << c.what << " changed the state";
  }
}

TEST(BadInput, BadEventRowsAreCountedAndChangeNothing) {
  Fixture f(12);
  const std::string before = f.p.save_bytes();
  const std::string big(10u << 20, 'y');
  fv::EventTable t;
  t.add(-86400, "acct-gdpr-7f3a", "login", "u");                      // 1969
  t.add(std::int64_t{4200000000}, "acct-gdpr-7f3a", "login", "u");    // 2103
  t.add(1788948000, "acct-gdpr-7f3a", "customer_reply", "s", "", std::nan(""));
  t.add(1788948000, "acct-gdpr-7f3a", "customer_reply", "s", "", INFINITY);
  t.add(1788948000, "acct-gdpr-7f3a", "customer_reply", "s", "", -5);
  t.add(1788948000, "acct-gdpr-7f3a", "ticket_opened", "", "T", -1);
  t.add(1788948000, big, "login", "u");                                 // an unknown 10 MB account
  const fv::IngestReport r = f.p.ingest(t.batch());
  EXPECT_EQ(r.rows, 7u);
  EXPECT_EQ(r.accepted, 0u);
  ASSERT_EQ(r.rejected.size(), 7u);
  EXPECT_EQ(r.rejected_by_reason[static_cast<std::size_t>(fv::RejectReason::bad_timestamp)], 2u);
  EXPECT_EQ(r.rejected_by_reason[static_cast<std::size_t>(fv::RejectReason::bad_value)], 4u);
  EXPECT_EQ(r.rejected_by_reason[static_cast<std::size_t>(fv::RejectReason::unknown_account)], 1u);
  for (const std::string& m : r.messages) EXPECT_LT(m.size(), 300u) << m.substr(0, 300);
  EXPECT_EQ(f.p.save_bytes(), before);
}

// Event values come from the host as bytes. A value that is not UTF-8 is
// quoted with those bytes as \xNN, so the report and every error stay
// JSON, Python str and log text (a raw byte made the report's to_json throw).
TEST(BadInput, EventTextThatIsNotUtf8IsQuotedAsEscapes) {
  Fixture f(12);
  const std::string before = f.p.save_bytes();
  fv::EventTable t;
  t.add(1788948000, "acct-\xff\xfe", "login", "u");
  t.add(1788948000, "acct-gdpr-7f3a", "log\xc3\x28in", "u");
  t.add(1788948000, "acct-gdpr-7f3a", "milestone_completed", "", "kick\xed\xa0\x80off");
  t.add(1788948000, std::string(100, '\x80'), "login", "u");                     // no character at all
  t.add(1788948000, std::string(63, 'a') + "\xc3\xa9" + std::string(30, 'b'), "login", "u");  // é across byte 64
  const fv::IngestReport r = f.p.ingest(t.batch());
  ASSERT_EQ(r.rejected.size(), 5u);
  ASSERT_EQ(r.messages.size(), 5u);
  EXPECT_EQ(r.messages[0], "row 0: unknown account \"acct-\\xFF\\xFE\"");
  EXPECT_EQ(r.messages[1], "row 1: unknown event type \"log\\xC3(in\"");
  EXPECT_EQ(r.messages[2].substr(0, 33), "row 2: item \"kick\\xED\\xA0\\x80off\"");
  std::string escapes;
  for (int k = 0; k < 64; ++k) escapes += "\\x80";
  EXPECT_EQ(r.messages[3], "row 3: unknown account \"" + escapes + "...\" (100 bytes)");
  EXPECT_EQ(r.messages[4], "row 4: unknown account \"" + std::string(63, 'a') + "...\" (95 bytes)");
  const auto report = nlohmann::json::parse(r.to_json());  // threw type_error 316 before
  EXPECT_EQ(report["messages"][0], r.messages[0]);
  EXPECT_EQ(f.p.save_bytes(), before);

  // Strict ingestion turns the same rows into an error that quotes the first.
  fv::IngestOptions strict;
  strict.max_rejected = 0;
  try {
    (void)f.p.ingest(t.batch(), strict);
    ADD_FAILURE() << "accepted";
  } catch (const fv::Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown account \"acct-\\xFF\\xFE\""), std::string::npos) << e.what();
  }
  EXPECT_EQ(f.p.save_bytes(), before);
}

TEST(BadInput, CsvFieldsThatAreNotUtf8OrHugeAreQuotedShort) {
  auto error_of = [](const std::string& csv) -> std::string {
    try {
      (void)fv::EventTable::from_csv(csv);
    } catch (const fv::Error& e) {
      EXPECT_EQ(e.code(), fv::Errc::invalid);
      return e.what();
    }
    ADD_FAILURE() << "accepted: " << csv.substr(0, 60);
    return {};
  };
  EXPECT_EQ(error_of("ts,account,type,b\xe9ta\n"), "line 1: unknown column \"b\\xE9ta\" (known: ts, account, type, actor, item, value, id)");
  EXPECT_EQ(error_of("ts,account,type,value\n1788948000,a,login,1\xff\n"),
            "line 2.value: \"1\\xFF\" is not a number");
  const std::string huge = "ts,account,type,value\n1788948000,a,login," + std::string(10u << 20, '7') + "x\n";
  const std::string m = error_of(huge);
  EXPECT_LT(m.size(), 200u);
  EXPECT_NE(m.find("(10485761 bytes)"), std::string::npos) << m;
}

TEST(Error, TextThatIsNotUtf8IsSpelledAsEscapes) {
  const fv::Error e(fv::Errc::invalid, "accounts[\"k\xff\"]", "bad \x80 byte, and caf\xc3\xa9 kept");
  EXPECT_EQ(e.path(), "accounts[\"k\\xFF\"]");
  EXPECT_EQ(e.detail(), "bad \\x80 byte, and caf\xc3\xa9 kept");
  EXPECT_STREQ(e.what(), "accounts[\"k\\xFF\"]: bad \\x80 byte, and caf\xc3\xa9 kept");
}
