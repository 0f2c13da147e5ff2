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
#include <string>

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

class UserDirectory {
 public:
  // Adds or replaces a user. Names: 1-64 of [A-Za-z0-9._-]; passwords at least 8 characters.
  Status Add(const std::string& name, Role role, const std::string& password);
  // Adds a user whose hash is already made (from a users file).
  Status AddHashed(const std::string& name, Role role, const std::string& encoded_hash);
  // The user's role if the password is right. An unknown name is checked against a dummy hash of
  // the same parameters, so that it takes as long as a wrong password.
  std::optional<Role> Verify(const std::string& name, const std::string& password) const;

  // A users file: one user a line, "name role $argon2id$...", '#' comments.
  static Result<UserDirectory> Load(const std::string& text, const std::string& source);

 private:
  struct User {
    Role role;
    std::string hash;
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
  Result<std::string> Open(const std::string& user, Role role);
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
