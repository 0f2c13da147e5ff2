// Users, roles and sessions of the control center. Passwords are kept only as argon2id hashes
// (libargon2, RFC 9106; memory 19 MiB, 2 passes, 1 lane: the OWASP 2023 minimum), verified in
// constant time by the library. Sessions are 256-bit random tokens (getrandom), ending after
// 8 h idle (on the wall clock the app passes in) or on logout. Thread-safe.
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
std::string_view RoleName(Role role);                    // "viewer", "operator", "admin"
std::optional<Role> ParseRole(std::string_view name);

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
  // The user's role if the password is right.
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
  Instant last_seen;
};

class Sessions {
 public:
  // `clock` must be thread-safe and outlive the sessions.
  explicit Sessions(const Clock& clock, std::chrono::minutes idle = std::chrono::hours(8))
      : clock_(clock), idle_(idle) {}
  // A new session's token (64 hex digits), or an error if the OS has no randomness to give.
  Result<std::string> Open(const std::string& user, Role role);
  // The session of `token` if it is open and not idle too long (touching it).
  std::optional<Session> Find(const std::string& token);
  void Close(const std::string& token);

 private:
  const Clock& clock_;
  std::chrono::minutes idle_;
  std::mutex mutex_;
  std::map<std::string, Session> sessions_;
};

}  // namespace meg
