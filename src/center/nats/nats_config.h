// The nats-server configuration of a fleet: JetStream with its store folder, the listen address,
// a center user, and one user per site whose permissions cover only that site's subjects
// (docs/fleet.md, "The link: NATS JetStream"). Pure text generation; thread-compatible.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/result.h"

namespace meg {

struct NatsSiteUser {
  std::string site;  // also the NATS user name
  std::string password;
};

struct NatsServerSettings {
  std::string host = "127.0.0.1";
  int port = 4222;
  std::string store_dir;  // JetStream's file store
  std::string center_user = "center";
  std::string center_password;
  std::vector<NatsSiteUser> sites;
  std::size_t max_payload = 1024 * 1024;
  // A cluster (JetStream replicated by RAFT; streams then take CenterLinkOptions::replicas):
  // this server's name, the cluster's, its route port and the other servers' routes
  // ("nats-route://127.0.0.1:6223"). No cluster when cluster_port is 0.
  std::string server_name;
  std::string cluster_name = "meg";
  int cluster_port = 0;
  std::vector<std::string> routes;
};

// The inbox prefix an edge of `site` uses (natsOptions_SetCustomInboxPrefix): its replies (its
// publish acks, its pulls of commands) arrive under "_INBOX_<site>.", the only subjects it may
// subscribe to, so that no site reads another's traffic.
std::string EdgeInboxPrefix(const std::string& site);

// The configuration text for nats-server -c. A site user may publish only to meg.<site>.tm,
// .evt, .bill, .sched and .res.> and to the JetStream API subjects of its own command consumer
// (info, next message, acks), and subscribe only to its own inbox; the center user may do
// everything. Errors: a site id that is not a subject token, a site named like the center user,
// duplicate sites, a password or path with a quote, backslash or line break, no store folder.
// The passwords stand in the file as given: write it readable by the server's user only.
Result<std::string> NatsServerConfig(const NatsServerSettings& settings);

}  // namespace meg
