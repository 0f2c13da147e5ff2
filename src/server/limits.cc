#include "server/limits.h"

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

#include "core/time.h"

namespace meg {

std::string ClientOf(const std::string& ip) {
  if (ip.find(':') == std::string::npos) return ip;
  // Expand "a:b::c" to its 8 groups, keep the first 4.
  std::vector<std::string> head, tail;
  const size_t gap = ip.find("::");
  const auto split = [](std::string_view text, std::vector<std::string>& out) {
    while (!text.empty()) {
      const size_t colon = text.find(':');
      out.emplace_back(text.substr(0, colon));
      if (colon == std::string_view::npos) break;
      text.remove_prefix(colon + 1);
    }
  };
  if (gap == std::string::npos) {
    split(ip, head);
  } else {
    split(std::string_view(ip).substr(0, gap), head);
    split(std::string_view(ip).substr(gap + 2), tail);
    while (head.size() + tail.size() < 8) head.emplace_back("0");
    head.insert(head.end(), tail.begin(), tail.end());
  }
  if (head.size() < 4) return ip;
  return fmt::format("{}:{}:{}:{}::/64", head[0], head[1], head[2], head[3]);
}

int OpenCount::Of(const std::string& key) const {
  const auto it = per_key_.find(key);
  return it == per_key_.end() ? 0 : it->second;
}

void OpenCount::Open(const std::string& key) {
  ++per_key_[key];
  ++total_;
}

void OpenCount::Close(const std::string& key) {
  const auto it = per_key_.find(key);
  if (it == per_key_.end()) return;
  --total_;
  if (--it->second <= 0) per_key_.erase(it);
}

std::optional<std::string> ConnectionGate::Admit(const std::string& client) {
  std::lock_guard lock(mutex_);
  const int mine = open_.Of(client);
  if (open_.total() >= limits_.max_connections) {
    return fmt::format("the server holds its limit of {} connections; try again shortly", limits_.max_connections);
  }
  if (mine >= limits_.max_connections_per_client) {
    return fmt::format("{} holds {} connections, the limit per client", client, mine);
  }
  if (open_.total() >= limits_.max_connections - limits_.reserve && mine >= limits_.reserve_client_max) {
    return fmt::format("the server is nearly full and {} holds {} connections already; close some", client, mine);
  }
  open_.Open(client);
  return std::nullopt;
}

void ConnectionGate::Release(const std::string& client) {
  std::lock_guard lock(mutex_);
  open_.Close(client);
}

int ConnectionGate::open() const {
  std::lock_guard lock(mutex_);
  return open_.total();
}

std::optional<std::string> StreamGate::Admit(const std::string& session) {
  std::lock_guard lock(mutex_);
  const int mine = open_.Of(session);
  if (mine >= limits_.max_streams_per_session) {
    return fmt::format("this session has {} event streams open, the limit; close one (another tab?)", mine);
  }
  if (open_.total() >= limits_.max_streams) {
    return fmt::format("the server has {} event streams open, its limit; try again shortly", open_.total());
  }
  open_.Open(session);
  return std::nullopt;
}

void StreamGate::Release(const std::string& session) {
  std::lock_guard lock(mutex_);
  open_.Close(session);
}

int StreamGate::open() const {
  std::lock_guard lock(mutex_);
  return open_.total();
}

std::optional<std::string> LoginThrottle::Locked(const std::string& client, const std::string& user, Instant now) {
  std::lock_guard lock(mutex_);
  Expire(now);
  const auto count = [&](const std::string& key) {
    const auto it = failures_.find(key);
    return it == failures_.end() ? 0 : static_cast<int>(it->second.size());
  };
  const auto wait = fmt::format("wait {} s", limits_.login_window.count());
  if (count(client) >= limits_.login_failures_per_client) {
    return fmt::format("too many failed logins from {}; {}", client, wait);
  }
  if (count(client + " " + user) >= limits_.login_failures_per_user) {
    return fmt::format("too many failed logins for this user from {}; {}", client, wait);
  }
  return std::nullopt;
}

void LoginThrottle::Failed(const std::string& client, const std::string& user, Instant now) {
  std::lock_guard lock(mutex_);
  Expire(now);
  Add(client, now, limits_.login_failures_per_client);
  Add(client + " " + user, now, limits_.login_failures_per_user);
}

void LoginThrottle::Succeeded(const std::string& client, const std::string& user) {
  std::lock_guard lock(mutex_);
  failures_.erase(client + " " + user);
}

size_t LoginThrottle::entries() const {
  std::lock_guard lock(mutex_);
  return failures_.size();
}

void LoginThrottle::Expire(Instant now) {
  for (auto it = failures_.begin(); it != failures_.end();) {
    auto& times = it->second;
    while (!times.empty() && now - times.front() >= limits_.login_window) times.pop_front();
    it = times.empty() ? failures_.erase(it) : std::next(it);
  }
}

void LoginThrottle::Add(const std::string& key, Instant now, int keep) {
  if (failures_.find(key) == failures_.end() && failures_.size() >= limits_.login_table_entries) {
    // Full of live entries: the one whose newest failure is oldest goes.
    const auto oldest = std::min_element(failures_.begin(), failures_.end(), [](const auto& a, const auto& b) {
      return a.second.back() < b.second.back();
    });
    failures_.erase(oldest);
  }
  auto& times = failures_[key];
  times.push_back(now);
  while (static_cast<int>(times.size()) > keep) times.pop_front();  // only the newest matter
}

std::string RefusalLog::Summary(const std::string& client, const Window& w) {
  return fmt::format("{}: {} more refusals in the minute from {} were not recorded one by one", client, w.more,
                     FormatKst(ToTimestamp(w.start)));
}

std::vector<std::string> RefusalLog::Note(const std::string& client, const std::string& what, Instant now) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (now - it->second.start < limits_.refusal_window) {
      ++it;
      continue;
    }
    if (it->second.more > 0) out.push_back(Summary(it->first, it->second));
    it = clients_.erase(it);
  }
  // Too many clients at once: the rest share one window.
  const std::string key =
      clients_.count(client) || clients_.size() < limits_.refusal_clients ? client : "other clients";
  auto [it, fresh] = clients_.try_emplace(key, Window{now});
  if (it->second.recorded < limits_.refusals_per_client) {
    ++it->second.recorded;
    out.push_back(fmt::format("{}: {}", client, what));
  } else {
    ++it->second.more;
  }
  return out;
}

}  // namespace meg
