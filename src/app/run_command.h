// `meg run`: the live control loop of one site on the devices of its site file ([[device]]:
// Modbus TCP/SunSpec, MQTT), or, when the file lists none, on the site twin driven by the
// site's real load and weather in accelerated time.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "core/result.h"
#include "server/auth.h"

namespace meg {

void AddRunCommand(CLI::App& app, int* exit_code);
// The users of a control center: the users file, or (none given) two demo users with fresh
// passwords, an operator "demo" and a viewer "viewer", whose login line is put in `demo_login`.
Status LoadUsersOrDemo(const std::string& users_file, UserDirectory& users, std::string& demo_login);
// `meg demo`: the fleet of data/fleets/demo.toml (or one --site), each site a `meg run` of its
// twin, behind one control center on port 8080.
void AddDemoCommand(CLI::App& app, int* exit_code);

}  // namespace meg
