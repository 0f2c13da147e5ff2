// Users, roles and sessions of the control center. Passwords are kept only as argon2id hashes
// (libargon2, RFC 9106; memory 19 MiB, 2 passes, 1 lane: the OWASP 2023 minimum), verified in
// constant time by the library; an unknown user name costs the same argon2id work as a known
// one (no user enumeration by timing). Sessions are 256-bit random tokens (getrandom), ending
// after 8 h idle or 12 h after login (on the wall clock the app passes in), or on logout.
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace meg {

enum class Role { kViewer = 0, kOperator = 1, kAdmin = 2 };
std::string_view RoleName(Role role);  // "viewer", "operator", "admin"
std::optional<Role> ParseRole(std::string_view name);
// A user name a directory can hold: 1-64 of [A-Za-z0-9._-].
bool ValidUserName(std::string_view name);

// An argon2id hash in the PHC string format ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash").
Result<std::string> HashPassword(const std::string& password);
bool VerifyPassword(const std::string& encoded_hash, const std::string& password);
// A fresh random password of 12 lowercase letters and digits (about 60 bits), e.g. for a demo user.
Result<std::string> NewPassword();

// The sites a user may see and act on: every site of the center (the default), or those listed.
// A value type.
struct SiteScope {
  bool all = true;
  std::set<std::string, std::less<>> ids;  // when !all

  static SiteScope Only(std::set<std::string, std::less<>> ids) { return SiteScope{false, std::move(ids)}; }
  bool Allows(std::string_view id) const { return all || ids.contains(id); }
};

// A users file's `sites=a,b` field, the text after "sites=": one or more site ids (1-64 of
// A-Z a-z 0-9 . _ -) separated by commas, no spaces.
Result<SiteScope> ParseSiteScope(std::string_view list);

// What a login grants: the role and the sites.
struct Grant {
  Role role = Role::kViewer;
  SiteScope sites;
};

class UserDirectory {
 public:
  // Adds or replaces a user. Names: 1-64 of [A-Za-z0-9._-]; passwords at least 8 characters.
  Status Add(const std::string& name, Role role, const std::string& password, SiteScope sites = {});
  // Adds a user whose hash is already made (from a users file).
  Status AddHashed(const std::string& name, Role role, const std::string& encoded_hash, SiteScope sites = {});
  // The user's role and sites if the password is right. An unknown name is checked against a
  // dummy hash of the same parameters, so that it takes as long as a wrong password.
  std::optional<Grant> Authenticate(const std::string& name, const std::string& password) const;
  // Authenticate's role.
  std::optional<Role> Verify(const std::string& name, const std::string& password) const;
  // Fails, naming the user and the site, if a user's scope lists a site not in `site_ids` (a
  // typo in the users file would otherwise lock the user out of that site silently).
  Status CheckSites(const std::vector<std::string>& site_ids) const;

  // A users file: one user a line, "name role $argon2id$... [sites=a,b]", '#' comments. Without
  // the sites field the user may see every site.
  static Result<UserDirectory> Load(const std::string& text, const std::string& source);

 private:
  struct User {
    Role role;
    std::string hash;
    SiteScope sites;
  };
  mutable std::mutex mutex_;
  std::map<std::string, User> users_;

 public:
  UserDirectory() = default;
  UserDirectory(UserDirectory&& o) noexcept : users_(std::move(o.users_)) {}
  UserDirectory& operator=(UserDirectory&& o) noexcept {
    std::scoped_lock lock(mutex_, o.mutex_);
    users_ = std::move(o.users_);
    return *this;
  }
};

struct Session {
  std::string user;
  Role role = Role::kViewer;
  SiteScope sites;
  Instant opened;
  Instant last_seen;
};

class Sessions {
 public:
  // `clock` must be thread-safe and outlive the sessions.
  // A session ends after `idle` without a request, and `lifetime` after its login in any case.
  explicit Sessions(const Clock& clock, std::chrono::minutes idle = kIdle, std::chrono::minutes lifetime = kLifetime)
      : clock_(clock), idle_(idle), lifetime_(lifetime) {}
  static constexpr std::chrono::minutes kIdle = std::chrono::hours(8);
  static constexpr std::chrono::minutes kLifetime = std::chrono::hours(12);
  // A new session's token (64 hex digits), or an error if the OS has no randomness to give.
  // Sessions that have ended are dropped here.
  Result<std::string> Open(const std::string& user, Role role, SiteScope sites = {});
  // The session of `token` if it is open, not idle too long and not older than its lifetime
  // (touching it).
  std::optional<Session> Find(const std::string& token);
  // Whether `token`'s session is open, without touching it (an open event stream asks this).
  bool IsOpen(const std::string& token);
  void Close(const std::string& token);
  std::chrono::minutes lifetime() const { return lifetime_; }

 private:
  bool Ended(const Session& s, Instant now) const { return now - s.last_seen > idle_ || now - s.opened > lifetime_; }
  const Clock& clock_;
  std::chrono::minutes idle_;
  std::chrono::minutes lifetime_;
  std::mutex mutex_;
  std::map<std::string, Session> sessions_;
};

}  // namespace meg
