#include "center/nats/nats_config.h"

#include <fmt/format.h>

#include <set>

#include "center/nats/link_format.h"

namespace meg {
namespace {

bool Quotable(const std::string& s) { return s.find_first_of("\"\\\n\r") == std::string::npos; }

std::string Quoted(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ", ";
    out += fmt::format("\"{}\"", s);
  }
  return out;
}

}  // namespace

std::string EdgeInboxPrefix(const std::string& site) { return "_INBOX_" + site; }

Result<std::string> NatsServerConfig(const NatsServerSettings& settings) {
  if (settings.store_dir.empty() || !Quotable(settings.store_dir)) {
    return InvalidInput("nats config: the JetStream store folder is empty or holds a quote, backslash or line break");
  }
  if (!Quotable(settings.host) || settings.port <= 0 || settings.port > 65535) {
    return InvalidInput(fmt::format("nats config: listen {}:{} is not a host and port", settings.host, settings.port));
  }
  if (!ValidLinkToken(settings.center_user) || !Quotable(settings.center_password) ||
      settings.center_password.empty()) {
    return InvalidInput("nats config: the center user needs a name of [A-Za-z0-9_-] and a password without quotes");
  }
  std::string users =
      fmt::format("    {{user: \"{}\", password: \"{}\"}}\n", settings.center_user, settings.center_password);
  std::set<std::string> seen;
  for (const NatsSiteUser& u : settings.sites) {
    if (!ValidLinkToken(u.site)) {
      return InvalidInput(fmt::format("nats config: site id '{}' is not 1-64 of [A-Za-z0-9_-]", u.site));
    }
    if (u.site == settings.center_user || !seen.insert(u.site).second) {
      return InvalidInput(fmt::format("nats config: site '{}' is named twice or like the center user", u.site));
    }
    if (u.password.empty() || !Quotable(u.password)) {
      return InvalidInput(fmt::format("nats config: site '{}' needs a password without quotes", u.site));
    }
    const std::string consumer = CommandConsumer(u.site);
    const std::vector<std::string> publish = {
        UpSubject(u.site, UpKind::kTelemetry),
        UpSubject(u.site, UpKind::kEvents),
        UpSubject(u.site, UpKind::kBill),
        UpSubject(u.site, UpKind::kSchedule),
        ResultSubject(u.site, ">"),
        fmt::format("$JS.API.CONSUMER.INFO.{}.{}", kDownStream, consumer),
        fmt::format("$JS.API.CONSUMER.MSG.NEXT.{}.{}", kDownStream, consumer),
        fmt::format("$JS.ACK.{}.{}.>", kDownStream, consumer),
    };
    const std::vector<std::string> subscribe = {EdgeInboxPrefix(u.site) + ".>"};
    users += fmt::format(
        "    {{user: \"{}\", password: \"{}\", permissions: {{\n"
        "      publish: {{allow: [{}]}}\n"
        "      subscribe: {{allow: [{}]}}\n"
        "    }}}}\n",
        u.site, u.password, Quoted(publish), Quoted(subscribe));
  }
  std::string cluster;
  if (settings.cluster_port != 0) {
    if (!ValidLinkToken(settings.server_name) || !ValidLinkToken(settings.cluster_name) || settings.cluster_port < 0 ||
        settings.cluster_port > 65535) {
      return InvalidInput("nats config: a cluster needs a server name, a cluster name ([A-Za-z0-9_-]) and a port");
    }
    std::vector<std::string> routes;
    for (const std::string& r : settings.routes) {
      if (!Quotable(r)) return InvalidInput(fmt::format("nats config: route '{}' holds a quote or backslash", r));
      routes.push_back(r);
    }
    cluster = fmt::format(
        "server_name: \"{}\"\n"
        "cluster {{\n"
        "  name: \"{}\"\n"
        "  listen: \"{}:{}\"\n"
        "  routes: [{}]\n"
        "}}\n",
        settings.server_name, settings.cluster_name, settings.host, settings.cluster_port, Quoted(routes));
  }
  return fmt::format(
      "# nats-server configuration of an OpenMEG fleet (written by meg; docs/fleet.md)\n"
      "{}"
      "listen: \"{}:{}\"\n"
      "max_payload: {}\n"
      "jetstream {{\n"
      "  store_dir: \"{}\"\n"
      "}}\n"
      "authorization {{\n"
      "  users: [\n"
      "{}"
      "  ]\n"
      "}}\n",
      cluster, settings.host, settings.port, settings.max_payload, settings.store_dir, users);
}

}  // namespace meg
