// The HTTP API of docs/openapi.yaml, relative to the page (meg serves both at the same origin).
// Every call but login sends the session token; an answer that is not 2xx becomes an ApiError
// carrying the server's {"error": ...} text.

export class ApiError extends Error {
  constructor(status, message, path) {
    super(message);
    this.status = status;  // 0: the server could not be reached
    this.path = path;
  }
}

let token = null;

export function setToken(value) {
  token = value;
}

export function getToken() {
  return token;
}

async function send(method, path, body, accept = 'application/json') {
  const headers = { Accept: accept };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, String(e && e.message ? e.message : e), path);
  }
}

function failure(response, text, path) {
  let data = null;
  try { data = JSON.parse(text); } catch { data = null; }
  const message = data && typeof data.error === 'string' ? data.error
    : `${response.status} ${response.statusText}`.trim();
  return new ApiError(response.status, message, path);
}

async function call(method, path, body) {
  const response = await send(method, path, body);
  const text = await response.text();
  if (!response.ok) throw failure(response, text, path);
  if (text === '') return null;
  try { return JSON.parse(text); } catch { return null; }
}

// A GET whose answer is a file (a report): {blob, filename} (the name from Content-Disposition).
async function file(path) {
  const response = await send('GET', path, undefined, '*/*');
  if (!response.ok) throw failure(response, await response.text(), path);
  const disposition = response.headers.get('Content-Disposition') || '';
  const m = /filename="?([^";]+)"?/.exec(disposition);
  return { blob: await response.blob(), filename: m ? m[1] : path.split('/').pop() };
}

const site = (id) => `api/sites/${encodeURIComponent(id)}`;

export const api = {
  login: (user, password) => call('POST', 'api/login', { user, password }),
  logout: () => call('POST', 'api/logout', {}),
  sites: () => call('GET', 'api/sites'),
  fleet: () => call('GET', 'api/fleet'),
  fleetTelemetry: (point, from, to, resolution) =>
    call('GET', `api/fleet/telemetry?${new URLSearchParams({ point, from, to, resolution })}`),
  fleetReport: (format) => file(`api/fleet/report.${format}`),  // format: csv, html or xlsx
  fleetDrEvents: () => call('GET', 'api/fleet/dr-events'),
  fleetDrCall: (body) => call('POST', 'api/fleet/dr-events', body),
  live: (id) => call('GET', `${site(id)}/live`),
  telemetry: (id, point, from, to, resolution) =>
    call('GET', `${site(id)}/telemetry?${new URLSearchParams({ point, from, to, resolution })}`),
  schedule: (id) => call('GET', `${site(id)}/schedule`),
  forecast: (id) => call('GET', `${site(id)}/forecast`),
  bill: (id) => call('GET', `${site(id)}/bill`),
  alarms: (id) => call('GET', `${site(id)}/alarms`),
  drEvents: (id) => call('GET', `${site(id)}/dr-events`),
  events: (id, limit) => call('GET', `${site(id)}/events?${new URLSearchParams({ limit })}`),
  audit: (id, limit) => call('GET', `${site(id)}/audit?${new URLSearchParams({ limit })}`),
  setpoint: (id, batteryKw, minutes) =>
    call('POST', `${site(id)}/commands/setpoint`, { battery_kw: batteryKw, minutes }),
  auto: (id) => call('POST', `${site(id)}/commands/mode`, { mode: 'auto' }),
  batteryMode: (id, body) => call('POST', `${site(id)}/commands/battery-mode`, body),
  backupReserve: (id, socPct) => call('POST', `${site(id)}/commands/backup-reserve`, { soc_pct: socPct }),
  evCharger: (id, charger, connector, action, idTag) =>
    call('POST', `${site(id)}/commands/ev-charger`, { charger, connector, action, ...(idTag ? { id_tag: idTag } : {}) }),
  evSession: (id, charger, connector, energyKwh, departure) =>
    call('POST', `${site(id)}/commands/ev-session`, { charger, connector, energy_kwh: energyKwh, departure }),
  streamUrl: (id) => `${site(id)}/stream?${new URLSearchParams({ token: token || '' })}`,
};
