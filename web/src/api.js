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

async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, String(e && e.message ? e.message : e), path);
  }
  const text = await response.text();
  let data = null;
  if (text !== '') {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!response.ok) {
    const message = data && typeof data.error === 'string' ? data.error
      : `${response.status} ${response.statusText}`.trim();
    throw new ApiError(response.status, message, path);
  }
  return data;
}

const site = (id) => `api/sites/${encodeURIComponent(id)}`;

export const api = {
  login: (user, password) => call('POST', 'api/login', { user, password }),
  logout: () => call('POST', 'api/logout', {}),
  sites: () => call('GET', 'api/sites'),
  fleet: () => call('GET', 'api/fleet'),
  fleetTelemetry: (point, from, to, resolution) =>
    call('GET', `api/fleet/telemetry?${new URLSearchParams({ point, from, to, resolution })}`),
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
  streamUrl: (id) => `${site(id)}/stream?${new URLSearchParams({ token: token || '' })}`,
};
