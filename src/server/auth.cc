#include "server/auth.h"

#include <argon2.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/text.h"

namespace meg {

namespace {

constexpr uint32_t kTimeCost = 2;
constexpr uint32_t kMemoryKib = 19 * 1024;
constexpr uint32_t kLanes = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

Status Random(unsigned char* out, size_t n) {
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::getrandom(out + done, n - done, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return IoError(fmt::format("getrandom failed: {}", std::strerror(errno)));
    }
    done += static_cast<size_t>(got);
  }
  return Ok{};
}

// The hash an unknown user name is checked against: made once, with the parameters of every
// real hash (HashPassword), of a random password nobody knows.
const std::string& DummyHash() {
  static const std::string hash = [] {
    auto h = HashPassword("dummy password for unknown users");
    return h ? *h : std::string();
  }();
  return hash;
}

}  // namespace

bool ValidUserName(std::string_view name) { return ValidName(name); }

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kOperator: return "operator";
    case Role::kAdmin: return "admin";
  }
  return "?";
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "operator") return Role::kOperator;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

Result<std::string> HashPassword(const std::string& password) {
  std::array<unsigned char, kSaltBytes> salt{};
  if (auto s = Random(salt.data(), salt.size()); !s) return s.error();
  const size_t len = argon2_encodedlen(kTimeCost, kMemoryKib, kLanes, kSaltBytes, kHashBytes, Argon2_id);
  std::string encoded(len, '\0');
  const int rc = argon2id_hash_encoded(kTimeCost, kMemoryKib, kLanes, password.data(), password.size(), salt.data(),
                                       salt.size(), kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return IoError(fmt::format("argon2id: {}", argon2_error_message(rc)));
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

Result<std::string> NewPassword() {
  unsigned char raw[12];
  if (auto s = Random(raw, sizeof raw); !s) return s.error();
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
  std::string out;
  for (const unsigned char c : raw) out += kAlphabet[c % (sizeof kAlphabet - 1)];
  return out;
}

bool VerifyPassword(const std::string& encoded_hash, const std::string& password) {
  return argon2id_verify(encoded_hash.c_str(), password.data(), password.size()) == ARGON2_OK;
}

Result<SiteScope> ParseSiteScope(std::string_view list) {
  if (list.empty()) return InvalidInput("sites= lists no site: give site ids separated by commas, e.g. sites=a,b");
  std::set<std::string, std::less<>> ids;
  while (true) {
    const size_t comma = list.find(',');
    const std::string_view id = list.substr(0, comma);
    if (!ValidName(id)) {
      return InvalidInput(fmt::format("sites=: '{}' is not a site id (1-64 of A-Z a-z 0-9 . _ -, separated by commas)",
                                      Excerpt(id, 70)));
    }
    ids.emplace(id);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return SiteScope::Only(std::move(ids));
}

Status UserDirectory::Add(const std::string& name, Role role, const std::string& password, SiteScope sites) {
  if (!ValidName(name)) return InvalidInput(fmt::format("user name '{}': use 1-64 of A-Z a-z 0-9 . _ -", name));
  if (password.size() < 8) return InvalidInput(fmt::format("user {}: the password needs at least 8 characters", name));
  auto hash = HashPassword(password);
  if (!hash) return hash.error();
  return AddHashed(name, role, *hash, std::move(sites));
}

Status UserDirectory::AddHashed(const std::string& name, Role role, const std::string& encoded_hash, SiteScope sites) {
  if (!ValidName(name)) return InvalidInput(fmt::format("user name '{}': use 1-64 of A-Z a-z 0-9 . _ -", name));
  if (encoded_hash.rfind("$argon2id$", 0) != 0) {
    return InvalidInput(fmt::format("user {}: the password hash must be argon2id ($argon2id$...)", name));
  }
  std::lock_guard lock(mutex_);
  users_[name] = User{role, encoded_hash, std::move(sites)};
  return Ok{};
}

std::optional<Grant> UserDirectory::Authenticate(const std::string& name, const std::string& password) const {
  std::string hash;
  Grant grant;
  {
    std::lock_guard lock(mutex_);
    const auto it = users_.find(name);
    if (it != users_.end()) {
      hash = it->second.hash;
      grant = Grant{it->second.role, it->second.sites};
    }
  }
  if (hash.empty()) {
    VerifyPassword(DummyHash(), password);  // the same work as a wrong password: no enumeration
    return std::nullopt;
  }
  if (!VerifyPassword(hash, password)) return std::nullopt;
  return grant;
}

std::optional<Role> UserDirectory::Verify(const std::string& name, const std::string& password) const {
  const auto grant = Authenticate(name, password);
  return grant ? std::optional<Role>(grant->role) : std::nullopt;
}

Status UserDirectory::CheckSites(const std::vector<std::string>& site_ids) const {
  std::lock_guard lock(mutex_);
  for (const auto& [name, user] : users_) {
    for (const std::string& id : user.sites.ids) {
      if (std::find(site_ids.begin(), site_ids.end(), id) == site_ids.end()) {
        return InvalidInput(fmt::format("user {} may see site '{}', which this center does not run (its sites: {})",
                                        name, id, fmt::join(site_ids, ", ")));
      }
    }
  }
  return Ok{};
}

Result<UserDirectory> UserDirectory::Load(const std::string& text, const std::string& source) {
  UserDirectory out;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name, role, hash, scope, extra;
    fields >> name >> role >> hash >> scope;
    if (hash.empty() || (fields >> extra)) {
      return InvalidInput(fmt::format("{}:{}: expected 'name role $argon2id$... [sites=a,b]'", source, number));
    }
    const auto r = ParseRole(role);
    if (!r) return InvalidInput(fmt::format("{}:{}: role '{}' is not viewer, operator or admin", source, number, role));
    SiteScope sites;
    if (!scope.empty()) {
      if (scope.rfind("sites=", 0) != 0) {
        return InvalidInput(fmt::format("{}:{}: the 4th field '{}' is not 'sites=a,b' (the sites the user may see)",
                                        source, number, Excerpt(scope, 40)));
      }
      auto parsed = ParseSiteScope(std::string_view(scope).substr(6));
      if (!parsed) return InvalidInput(fmt::format("{}:{}: {}", source, number, parsed.error().message));
      sites = std::move(*parsed);
    }
    if (auto s = out.AddHashed(name, *r, hash, std::move(sites)); !s) {
      return InvalidInput(fmt::format("{}:{}: {}", source, number, s.error().message));
    }
  }
  return out;
}

Result<std::string> Sessions::Open(const std::string& user, Role role, SiteScope sites) {
  std::array<unsigned char, 32> raw{};
  if (auto s = Random(raw.data(), raw.size()); !s) return s.error();
  std::string token;
  for (const unsigned char b : raw) token += fmt::format("{:02x}", b);
  const Instant now = clock_.Now();
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [&](const auto& kv) { return Ended(kv.second, now); });
  sessions_[token] = Session{user, role, std::move(sites), now, now};
  return token;
}

std::optional<Session> Sessions::Find(const std::string& token) {
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(token);
  if (it == sessions_.end()) return std::nullopt;
  const Instant now = clock_.Now();
  if (Ended(it->second, now)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen = now;
  return it->second;
}

bool Sessions::IsOpen(const std::string& token) {
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(token);
  return it != sessions_.end() && !Ended(it->second, clock_.Now());
}

void Sessions::Close(const std::string& token) {
  std::lock_guard lock(mutex_);
  sessions_.erase(token);
}

}  // namespace meg
