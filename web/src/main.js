// The OpenMEG dashboard: login, then the fleet (src/fleet.js: every site the user may see, the
// first page), and a site's view: its live values (server-sent events, with polling as a
// fallback), demand, bill, charts, schedule, alarms, events, the audit trail and, for operators,
// commands. The page's address says which: #/fleet or #/site/<id>. State lives in `state`; each
// render*() draws one panel from it, so a language switch redraws everything from what is
// already loaded.

import './style.css';
import { api, ApiError, setToken } from './api.js';
import { t, has, apply as applyLabels, setLang, currentLang } from './i18n.js';
import * as f from './format.js';
import { TodayChart, ForecastChart, align } from './charts.js';
import { $, el, setText, withUnit } from './dom.js';
import { FleetView } from './fleet.js';

const POINTS = ['grid_kw', 'pv_kw', 'battery_kw', 'load_kw', 'soc_pct'];
const SESSION_KEY = 'meg.session';

const state = {
  session: null,      // {token, user, role}
  sites: [],          // GET /api/sites: the sites this user may see
  view: null,         // 'fleet' or 'site'
  site: null,         // the entry of /api/sites the site view shows
  live: null,         // the latest Live object
  liveAt: 0,          // wall ms when it arrived
  day: null,          // site date (YYYY-MM-DD) the today chart holds
  series: null,       // point -> Map<unix seconds, 1-minute mean>, from the store
  seriesLast: null,   // unix seconds of the last stored bucket
  tail: null,         // Map<minute, point -> {sum, n}>: live events after the last stored bucket
  renderPending: false,
  seriesFrom: null,   // ISO start of the next telemetry fetch
  forecast: null,
  forecastNote: '',   // why there is no forecast, from the server
  billNote: '',       // why there is no bill yet, from the server
  forecastKept: null, // {load_kw, pv_kw} -> Map<unix seconds, forecast kW>, today's intervals
  actual: null,       // {load_kw, pv_kw} -> Map<unix seconds, 15-minute mean>
  schedule: null,
  bill: null,
  alarms: null,
  events: null,
  audit: null,
  dr: null,           // DR calls and their hours (GET dr-events)
  errors: new Map(),  // what failed -> message, shown in the banner until it works again
  stream: null,
  streamOpen: false,
  timer: null,
  charts: null,
};

// ---------------------------------------------------------------- errors

function report(key, err) {
  if (err instanceof ApiError && err.status === 401 && state.session) {
    logout(t('login.expired'));
    return;
  }
  const text = err instanceof ApiError && err.status === 0 ? `${t('error.network')} (${err.message})`
    : err && err.message ? err.message : String(err);
  state.errors.set(key, text);
  renderErrors();
}

function clearError(key) {
  if (state.errors.delete(key)) renderErrors();
}

function renderErrors() {
  const banner = $('error-banner');
  banner.replaceChildren(...[...state.errors].map(([k, v]) => el('div', {}, el('b', {}, `${k}: `), v)));
  banner.hidden = state.errors.size === 0;
}

// ---------------------------------------------------------------- login and session

function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    return s && typeof s.token === 'string' ? s : null;
  } catch { return null; }
}

function saveSession(s) {
  try {
    if (s) sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
    else sessionStorage.removeItem(SESSION_KEY);
  } catch { /* kept in memory only */ }
}

function showLogin(message) {
  $('app').hidden = true;
  $('login-view').hidden = false;
  const error = $('login-error');
  error.textContent = message || '';
  error.hidden = !message;
  $('login-user').focus();
}

async function onLogin(event) {
  event.preventDefault();
  const button = $('login-submit');
  button.disabled = true;
  $('login-error').hidden = true;
  try {
    const r = await api.login($('login-user').value.trim(), $('login-password').value);
    state.session = { token: r.token, user: r.user, role: r.role };
    saveSession(state.session);
    $('login-password').value = '';
    await start();
  } catch (e) {
    state.session = null;
    const message = e instanceof ApiError && e.status === 0 ? t('error.network') : e.message;
    showLogin(`${t('login.failed')}: ${message}`);
  } finally {
    button.disabled = false;
  }
}

function logout(message) {
  const wasIn = state.session;
  stop();
  if (wasIn && !message) api.logout().catch(() => {});
  state.session = null;
  saveSession(null);
  setToken(null);
  showLogin(message);
}

async function start() {
  setToken(state.session.token);
  let sites;
  try {
    sites = await api.sites();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { logout(t('login.expired')); return; }
    throw e;
  }
  if (!Array.isArray(sites) || sites.length === 0) throw new Error(t('error.no_site'));
  state.sites = sites;
  $('login-view').hidden = true;
  $('app').hidden = false;
  route();
}

// Shows the view the page's address names: #/site/<id> (a site this user may see), else the fleet.
function route() {
  if (!state.session || $('app').hidden) return;
  const m = /^#\/site\/(.+)$/.exec(location.hash);
  const id = m ? decodeURIComponent(m[1]) : null;
  const site = id != null ? state.sites.find((s) => s.id === id) : null;
  if (site) openSite(site);
  else openFleet();
}

function openFleet() {
  if (state.view === 'fleet') return;
  stopSite();
  state.view = 'fleet';
  if (location.hash !== '#/fleet') history.replaceState(null, '', '#/fleet');
  $('site-view').hidden = true;
  $('fleet-view').hidden = false;
  showHeader();
  fleet.start();
}

function openSite(site) {
  if (state.view === 'site' && state.site && state.site.id === site.id) return;
  fleet.stop();
  stopSite();
  state.view = 'site';
  state.site = site;
  $('fleet-view').hidden = true;
  $('site-view').hidden = false;
  const operator = state.session.role === 'operator' || state.session.role === 'admin';
  $('operator-panel').hidden = !operator;
  $('ev-need-form').hidden = !operator;
  $('ev-call-form').hidden = !operator;
  $('site-view').classList.toggle('no-operator', !operator);
  state.charts = state.charts || { today: new TodayChart($('chart-today')), forecast: new ForecastChart($('chart-forecast')) };
  showHeader();
  renderAll();
  openStream();
  startTasks();
  window.scrollTo(0, 0);
}

// The header: the fleet's title, or the site's name, time and mode with a way back to the fleet.
function showHeader() {
  const inSite = state.view === 'site';
  $('back-to-fleet').hidden = !inSite;
  $('site-clock').hidden = !inSite;
  $('site-mode').hidden = !inSite;
  setText('site-name', inSite && state.site ? state.site.name || state.site.id : t('fleet.title'));
}

// Ends the site view's stream and loads and forgets what it loaded.
function stopSite() {
  closeStream();
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
  resetData();
  state.site = null;
  state.view = null;
  renderErrors();
}

function stop() {
  stopSite();
  fleet.reset();
  state.sites = [];
  renderErrors();
}

// Forgets everything loaded for the last session (a new login may see another site).
function resetData() {
  Object.assign(state, {
    live: null, liveAt: 0, day: null, series: null, seriesFrom: null, seriesLast: null, tail: null, forecast: null, forecastNote: '', billNote: '', forecastKept: null,
    actual: null, schedule: null, bill: null, alarms: null, events: null, audit: null, dr: null,
  });
  state.errors.clear();
  if (state.charts) { state.charts.today.clear(); state.charts.forecast.clear(); }
}

// ---------------------------------------------------------------- live values

function openStream() {
  closeStream();
  const stream = new EventSource(api.streamUrl(state.site.id));
  stream.addEventListener('live', (e) => {
    try { onLive(JSON.parse(e.data)); } catch { /* a malformed event: the poll catches up */ }
  });
  stream.onopen = () => { state.streamOpen = true; renderStreamStatus(); };
  stream.onerror = () => {
    state.streamOpen = false;
    renderStreamStatus();
    if (stream.readyState === EventSource.CLOSED && state.stream === stream) {
      // The browser gave up (e.g. the server refused): poll meanwhile, try again later.
      setTimeout(() => { if (state.stream === stream && state.site) openStream(); }, 5000);
    }
  };
  state.stream = stream;
}

function closeStream() {
  if (state.stream) state.stream.close();
  state.stream = null;
  state.streamOpen = false;
}

function onLive(live) {
  if (!live || typeof live !== 'object') return;
  const prev = state.live;
  // A poll answered after a newer event must not step the clock back.
  if (prev && f.epochSeconds(live.time) < f.epochSeconds(prev.time) && Date.now() - state.liveAt < 10000) return;
  state.live = live;
  state.liveAt = Date.now();
  addToTail(live);
  clearError('live');
  // Events come every cycle (60 a second at 60x): draw at most four times a second.
  if (!state.renderPending) {
    state.renderPending = true;
    setTimeout(() => { state.renderPending = false; renderLive(); }, prev ? 250 : 0);
  }
  if (!prev) { runNow('telemetry'); runNow('forecast'); }  // they wait for the site time
}

async function pollLive() {
  // The stream is the normal path; poll only when it has been quiet.
  if (Date.now() - state.liveAt < 3000) return;
  try { onLive(await api.live(state.site.id)); } catch (e) { report('live', e); }
}

// ---------------------------------------------------------------- periodic loads

async function loadAudit() {
  try {
    state.audit = await api.audit(state.site.id, 50);
    clearError('audit');
    renderAudit();
  } catch (e) { report('audit', e); }
}

async function loadAlarms() {
  try {
    state.alarms = await api.alarms(state.site.id);
    clearError('alarms');
    renderAlarms();
  } catch (e) { report('alarms', e); }
}

async function loadDr() {
  try {
    state.dr = await api.drEvents(state.site.id);
    clearError('dr');
    renderDr();
  } catch (e) { report('dr', e); }
}

async function loadEvents() {
  try {
    state.events = await api.events(state.site.id, 30);
    clearError('events');
    renderEvents();
  } catch (e) { report('events', e); }
}

// No bill yet (404, e.g. no quarter-hour has closed) is a note in the card, not a fault.
async function loadBill() {
  try {
    state.bill = await api.bill(state.site.id);
    state.billNote = '';
    clearError('bill');
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) { report('bill', e); return; }
    state.bill = null;
    state.billNote = e.message;
    clearError('bill');
  }
  renderBill();
}

async function loadSchedule() {
  try {
    state.schedule = await api.schedule(state.site.id);
    clearError('schedule');
    renderSchedule();
  } catch (e) { report('schedule', e); }
}

function bucketsInto(map, buckets) {
  let last = null;
  for (const b of Array.isArray(buckets) ? buckets : []) {
    const x = f.epochSeconds(b.start);
    if (x == null) continue;
    map.set(x, f.known(b.mean) ? b.mean : null);
    if (last == null || x > last.x) last = { x, start: b.start };
  }
  return last;
}

// Starts the today chart's series afresh when the site day changes.
function ensureDay(time) {
  const day = f.siteParts(time).date;
  if (state.day === day) return day;
  state.day = day;
  state.series = Object.fromEntries(POINTS.map((p) => [p, new Map()]));
  state.seriesFrom = f.siteDayStart(time);
  state.seriesLast = null;
  state.tail = new Map();
  return day;
}

// Today's 1-minute series, fetched from the last bucket seen (it may have been partial) to now.
async function loadTelemetry() {
  const live = state.live;
  if (!live || !live.time) return;
  const day = ensureDay(live.time);
  const from = state.seriesFrom;
  const to = f.queryTime(live.time);
  if (!(f.epochSeconds(to) > f.epochSeconds(from))) return;
  try {
    const answers = await Promise.all(POINTS.map((p) => api.telemetry(state.site.id, p, from, to, '1m')));
    if (state.day !== day) return;
    let last = null;
    answers.forEach((buckets, i) => {
      const l = bucketsInto(state.series[POINTS[i]], buckets);
      if (l && (last == null || l.x > last.x)) last = l;
    });
    if (last) {
      state.seriesFrom = f.queryTime(last.start);
      state.seriesLast = last.x;
      for (const x of state.tail.keys()) if (x <= last.x) state.tail.delete(x);
    }
    clearError('telemetry');
    drawToday();
  } catch (e) { report('telemetry', e); }
}

// The store is written in batches, so the minutes after its last bucket are drawn from the live
// events: their per-minute means, replaced by the stored buckets when those arrive.
function addToTail(live) {
  if (!live.time || !state.site) return;
  ensureDay(live.time);
  const minute = Math.floor(f.epochSeconds(live.time) / 60) * 60;
  if (state.seriesLast != null && minute <= state.seriesLast) return;
  let m = state.tail.get(minute);
  if (!m) {
    m = Object.fromEntries(POINTS.map((p) => [p, { sum: 0, n: 0 }]));
    state.tail.set(minute, m);
  }
  for (const p of POINTS) if (f.known(live[p])) { m[p].sum += live[p]; m[p].n += 1; }
}

function drawToday() {
  if (!state.series || !state.charts || !state.live) return;
  const maps = POINTS.map((p) => {
    if (state.tail.size === 0) return state.series[p];
    const m = new Map(state.series[p]);
    for (const [x, a] of state.tail) m.set(x, a[p].n ? a[p].sum / a[p].n : null);
    return m;
  });
  const midnight = f.epochSeconds(f.siteDayStart(state.live.time));
  state.charts.today.set(align(maps), [midnight, midnight + 86400]);
}

// The forecast, and today's measured load and PV at 15 minutes to set against it. No forecast
// yet (the server says why, e.g. it needs yesterday's load) is shown in the panel, not as a fault.
async function loadForecast() {
  const live = state.live;
  if (!live || !live.time) return;
  const from = f.siteDayStart(live.time);
  const [forecast, load, pv] = await Promise.allSettled([
    api.forecast(state.site.id),
    api.telemetry(state.site.id, 'load_kw', from, f.queryTime(live.time), '15m'),
    api.telemetry(state.site.id, 'pv_kw', from, f.queryTime(live.time), '15m'),
  ]);
  if (forecast.status === 'fulfilled') {
    state.forecast = forecast.value;
    state.forecastNote = '';
    keepForecast(forecast.value, live.time);
  } else if (forecast.reason instanceof ApiError && forecast.reason.status === 404) {
    state.forecast = null;
    state.forecastNote = forecast.reason.message;
  } else {
    report('forecast', forecast.reason);
    return;
  }
  if (load.status === 'rejected' || pv.status === 'rejected') {
    report('forecast', load.status === 'rejected' ? load.reason : pv.reason);
    return;
  }
  state.actual = { load_kw: new Map(), pv_kw: new Map() };
  bucketsInto(state.actual.load_kw, load.value);
  bucketsInto(state.actual.pv_kw, pv.value);
  clearError('forecast');
  renderForecast();
}

const TASKS = [
  { name: 'live', every: 1000, run: pollLive },
  { name: 'audit', every: 3000, run: loadAudit },
  { name: 'alarms', every: 3000, run: loadAlarms },
  { name: 'bill', every: 5000, run: loadBill },
  { name: 'schedule', every: 5000, run: loadSchedule },
  { name: 'telemetry', every: 5000, run: loadTelemetry },
  { name: 'chart', every: 1000, run: async () => drawToday() },
  { name: 'events', every: 10000, run: loadEvents },
  { name: 'dr', every: 5000, run: loadDr },
  { name: 'forecast', every: 15000, run: loadForecast },
];

function startTasks() {
  for (const task of TASKS) { task.last = 0; task.busy = false; }
  tick();
  state.timer = setInterval(tick, 500);
}

function tick() {
  const now = Date.now();
  for (const task of TASKS) if (now - task.last >= task.every) runTask(task);
}

async function runTask(task) {
  if (task.busy || !state.site) return;
  task.busy = true;
  task.last = Date.now();
  try { await task.run(); } finally { task.busy = false; }
}

function runNow(name) {
  const task = TASKS.find((x) => x.name === name);
  if (task) { task.last = 0; runTask(task); }
}

// ---------------------------------------------------------------- operator commands

function operatorMessage(text, isError) {
  const node = $('operator-message');
  node.textContent = text;
  node.className = isError ? 'error' : 'ok';
}

async function command(send) {
  const buttons = [$('setpoint-apply'), $('mode-auto')];
  buttons.forEach((b) => { b.disabled = true; });
  try {
    await send();
    operatorMessage(t('operator.sent'), false);
    state.liveAt = 0;
    runNow('live');
    runNow('audit');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { report('command', e); return; }
    operatorMessage(e instanceof ApiError && e.status === 0 ? t('error.network') : e.message, true);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

// An operator's call to a charger (remote stop or start, availability, clearing its profiles).
async function onEvCall(event) {
  event.preventDefault();
  const node = $('ev-call-message');
  const button = $('ev-call-apply');
  button.disabled = true;
  try {
    await api.evCharger(state.site.id, $('ev-call-charger').value, Number($('ev-call-connector').value),
      $('ev-call-action').value, $('ev-call-tag').value.trim());
    node.textContent = t('operator.sent');
    node.className = 'ok';
    runNow('audit');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { report('command', e); return; }
    node.textContent = e instanceof ApiError && e.status === 0 ? t('error.network') : e.message;
    node.className = 'error';
  } finally {
    button.disabled = false;
  }
}

// The driver's or operator's word on a charging session: its energy need and departure (KST).
async function onEvNeed(event) {
  event.preventDefault();
  const message = (text, isError) => {
    const node = $('ev-need-message');
    node.textContent = text;
    node.className = isError ? 'error' : 'ok';
  };
  const [charger, connector] = $('ev-need-session').value.split('/');
  const kwh = Number($('ev-need-kwh').value);
  const when = $('ev-need-departure').value;  // YYYY-MM-DDTHH:MM, site time
  if (!charger || !Number.isFinite(kwh) || kwh <= 0 || !when) {
    message(t('ev.bad_need'), true);
    return;
  }
  const button = $('ev-need-apply');
  button.disabled = true;
  try {
    await api.evSession(state.site.id, charger, Number(connector), kwh, `${when}:00+09:00`);
    message(t('operator.sent'), false);
    state.liveAt = 0;
    runNow('live');
    runNow('audit');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { report('command', e); return; }
    message(e instanceof ApiError && e.status === 0 ? t('error.network') : e.message, true);
  } finally {
    button.disabled = false;
  }
}

// A form's message line: green when accepted, red with the server's reason.
function formMessage(id, text, isError) {
  const node = $(id);
  node.textContent = text;
  node.className = isError ? 'error' : 'ok';
}

// Sends `send()` from a form: its button disabled meanwhile, the answer on its message line.
async function sendForm(buttonId, messageId, send) {
  const button = $(buttonId);
  button.disabled = true;
  try {
    await send();
    formMessage(messageId, t('operator.sent'), false);
    state.liveAt = 0;
    runNow('live');
    runNow('audit');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { report('command', e); return; }
    formMessage(messageId, e instanceof ApiError && e.status === 0 ? t('error.network') : e.message, true);
  } finally {
    button.disabled = false;
  }
}

// An operator's battery mode: hold the SoC, charge to a SoC by a time, discharge in a window (KST).
function onBatteryMode(event) {
  event.preventDefault();
  const mode = $('battery-mode-kind').value;
  const from = $('battery-mode-from').value;
  const until = $('battery-mode-until').value;
  const soc = Number($('battery-mode-soc').value);
  const kw = Number($('battery-mode-kw').value);
  const body = { mode };
  if (mode !== 'auto') {
    if (!until) { formMessage('battery-mode-message', t('mode.bad'), true); return; }
    body.until = `${until}:00+09:00`;
    if (from) body.from = `${from}:00+09:00`;
  }
  if (mode === 'charge-to') {
    if ($('battery-mode-soc').value.trim() === '' || !Number.isFinite(soc)) {
      formMessage('battery-mode-message', t('mode.bad'), true);
      return;
    }
    body.soc_pct = soc;
  }
  if (mode === 'discharge-window') {
    if (!from || !Number.isFinite(kw) || kw <= 0) { formMessage('battery-mode-message', t('mode.bad'), true); return; }
    body.power_kw = kw;
  }
  sendForm('battery-mode-apply', 'battery-mode-message', () => api.batteryMode(state.site.id, body));
}

function onReserve(event) {
  event.preventDefault();
  const soc = Number($('reserve-soc').value);
  if ($('reserve-soc').value.trim() === '' || !Number.isFinite(soc)) {
    formMessage('reserve-message', t('mode.bad'), true);
    return;
  }
  sendForm('reserve-apply', 'reserve-message', () => api.backupReserve(state.site.id, soc));
}

function onSetpoint(event) {
  event.preventDefault();
  const batteryKw = Number($('setpoint-kw').value);
  const minutes = Number($('setpoint-minutes').value);
  if ($('setpoint-kw').value.trim() === '' || !Number.isFinite(batteryKw)) {
    operatorMessage(t('operator.bad_kw'), true);
    return;
  }
  if (!Number.isFinite(minutes) || minutes < 1 || minutes > 1440) {
    operatorMessage(t('operator.bad_minutes'), true);
    return;
  }
  command(() => api.setpoint(state.site.id, batteryKw, minutes));
}

// ---------------------------------------------------------------- rendering

function renderAll() {
  applyLabels();
  showHeader();
  if (state.view === 'fleet') { fleet.renderAll(); fleet.rebuild(); }
  setText('user-name', state.session ? state.session.user : '');
  setText('user-role', state.session ? `(${t(`role.${state.session.role}`)})` : '');
  renderLive();
  renderStreamStatus();
  renderBill();
  renderSchedule();
  renderAlarms();
  renderEvents();
  renderDr();
  renderAudit();
  renderForecast();
  renderErrors();
  if (state.charts) { state.charts.today.rebuild(); state.charts.forecast.rebuild(); }
}

function renderStreamStatus() {
  const node = $('stream-status');
  node.className = `dot ${state.streamOpen ? 'on' : 'off'}`;
  node.title = state.streamOpen ? t('stream.live') : t('stream.polling');
  node.textContent = state.streamOpen ? t('stream.live') : t('stream.polling');
}

function direction(value, positive, negative, idle = 'flows.idle') {
  if (!f.known(value)) return '';
  if (Math.abs(value) < 0.05) return t(idle);
  return t(value > 0 ? positive : negative);
}

function renderLive() {
  const live = state.live || {};
  setText('site-time', live.time ? `${f.siteDateTime(live.time)} KST` : f.DASH);
  $('site-time').setAttribute('datetime', live.time || '');
  setText('site-speed', f.known(live.speed) ? `${t('header.speed')} ${live.speed}×` : '');

  const badge = $('mode-badge');
  badge.textContent = live.mode ? t(`mode.${live.mode}`) : f.DASH;
  badge.className = `badge mode-${live.mode || 'unknown'}`;
  badge.dataset.mode = live.mode || '';
  setText('mode-reason', live.mode && live.mode !== 'normal' && live.reason ? live.reason : '');

  setText('grid-kw', f.kw(live.grid_kw));
  setText('grid-dir', direction(live.grid_kw, 'flows.import', 'flows.export'));
  setText('pv-kw', f.kw(live.pv_kw));
  setText('pv-dir', direction(live.pv_kw, 'flows.producing', 'flows.producing'));
  setText('battery-kw', f.kw(live.battery_kw));
  setText('battery-dir', direction(live.battery_kw, 'flows.discharge', 'flows.charge'));
  setText('load-kw', f.kw(live.load_kw));
  setText('soc-pct', f.pct(live.soc_pct));
  $('soc-fill').style.width = f.known(live.soc_pct) ? `${Math.min(100, Math.max(0, live.soc_pct))}%` : '0';

  setText('battery-command-kw', f.kw(live.battery_command_kw));
  $('pv-limit').replaceChildren(f.known(live.pv_limit_kw) && live.pv_limit_kw >= 0
    ? withUnit(f.kw(live.pv_limit_kw), 'kW') : t('flows.no_limit'));
  const override = $('override-status');
  if (f.known(live.override_battery_kw)) {
    const until = live.override_until ? f.siteShort(live.override_until, f.siteParts(live.time)?.date) : f.DASH;
    override.replaceChildren(withUnit(f.kw(live.override_battery_kw), 'kW'),
      currentLang() === 'ko' ? ` (${until}${t('flows.until')})` : ` ${t('flows.until')} ${until}`);
    override.className = 'active';
  } else {
    override.replaceChildren(live.time ? t('flows.no_override') : f.DASH);
    override.className = '';
  }
  const mode = $('battery-mode-status');
  const reserve = live.backup_reserve_pct > 0 ? ` · ${t('flows.reserve')} ${live.backup_reserve_pct} %` : '';
  mode.textContent = live.time ? `${live.battery_mode ?? 'auto'}${reserve}` : f.DASH;
  mode.className = (live.battery_mode && live.battery_mode !== 'auto') || live.backup_reserve_pct > 0 ? 'active' : '';
  setText('devices', f.known(live.devices_fresh)
    ? `${live.devices_fresh} ${t('flows.fresh')} / ${live.devices_stale ?? 0} ${t('flows.stale')}` : f.DASH);
  $('devices').className = live.devices_stale > 0 ? 'warn' : '';

  renderDemand(live);
  renderEv(live);
}

// The car park: each session, the limit the loop gave it and why (hidden on a site without one).
function renderEv(live) {
  const rows = Array.isArray(live.ev) ? live.ev : [];
  const chargers = Array.isArray(live.chargers) ? live.chargers : [];
  const card = $('ev-card');
  card.hidden = rows.length === 0 && chargers.length === 0;
  if (card.hidden) return;
  // Every charger: online or not, each connector's last status (idle ones too).
  setText('ev-chargers', chargers.length === 0 ? '' : `${t('ev.chargers')}: ${chargers.map((c) => `${c.id} `
    + `(${c.connected ? t('ev.online') : t('ev.offline')}${(c.connector_status || []).length
      ? `: ${c.connector_status.map((s) => s || f.DASH).join(', ')}` : ''})`).join(' · ')}`);
  const chargerSelect = $('ev-call-charger');
  const keptCharger = chargerSelect.value;
  chargerSelect.replaceChildren(...chargers.map((c) => {
    const o = document.createElement('option');
    o.value = c.id;
    o.textContent = c.id;
    return o;
  }));
  if (chargers.some((c) => c.id === keptCharger)) chargerSelect.value = keptCharger;
  setText('ev-summary', `${rows.length} ${t('ev.summary')} · ${t('ev.drawing')} ${f.kw(live.ev_kw)} kW`
    + (live.ev_accepting === false ? ` · ${t('ev.refusing')}` : ''));
  // The driver's word (operator): the sessions to choose from, the choice kept across refreshes.
  const select = $('ev-need-session');
  const keep = select.value;
  select.replaceChildren(...rows.map((r) => {
    const o = document.createElement('option');
    o.value = `${r.charger}/${r.connector}`;
    o.textContent = `${r.charger}/${r.connector}`;
    return o;
  }));
  if (rows.some((r) => `${r.charger}/${r.connector}` === keep)) select.value = keep;
  const body = $('ev-table').querySelector('tbody');
  body.replaceChildren(...rows.map((r) => {
    const tr = document.createElement('tr');
    const cell = (text, cls) => {
      const td = document.createElement('td');
      td.textContent = text;
      if (cls) td.className = cls;
      tr.appendChild(td);
    };
    cell(`${r.charger}/${r.connector}${r.connected ? '' : ` (${t('ev.offline')})`}`);
    cell(f.kw(r.power_kw), 'num');
    cell(f.known(r.limit_kw) ? f.kw(r.limit_kw) : t('ev.not_steerable'), 'num');
    cell(`${f.kw(r.delivered_kwh)} / ${f.kw(r.need_kwh)}`, 'num');
    cell(r.departure ? f.siteShort(r.departure, f.siteParts(live.time)?.date) : f.DASH);
    cell(r.reason || '');
    tr.dataset.reason = r.reason_code || '';
    return tr;
  }));
}

function renderDemand(live) {
  const w = live.demand_window_kw;
  const target = f.known(live.demand_target_kw) && live.demand_target_kw > 0 ? live.demand_target_kw : null;
  const peak = live.month_peak_kw;
  const contract = live.contract_kw;
  setText('demand-window-kw', f.kw(w));
  setText('demand-target-kw', f.kw(target));
  setText('month-peak-kw', f.kw(peak));
  setText('contract-kw', f.kw(contract));

  const values = [w, target, peak, contract].filter((v) => f.known(v) && v > 0);
  const scale = values.length ? Math.max(...values) * 1.08 : 1;
  const at = (v) => `${Math.min(100, Math.max(0, (v / scale) * 100))}%`;
  const fill = $('demand-fill');
  fill.style.width = f.known(w) && w > 0 ? at(w) : '0';
  const limit = target ?? (f.known(peak) && peak > 0 ? peak : null);
  fill.className = `demand-fill ${limit == null || !f.known(w) ? '' : w > limit ? 'over' : w > 0.95 * limit ? 'near' : 'ok'}`;
  for (const [id, v] of [['demand-target-mark', target], ['demand-peak-mark', peak], ['demand-contract-mark', contract]]) {
    const mark = $(id);
    mark.hidden = !(f.known(v) && v > 0);
    if (!mark.hidden) mark.style.left = at(v);
  }
}

function renderBill() {
  const b = state.bill || {};
  setText('bill-month', b.month || '');
  setText('bill-with-krw', f.won(b.with_openmeg_krw));
  setText('bill-without-krw', f.won(b.without_openmeg_krw));
  setText('bill-savings-krw', f.won(b.savings_krw));
  // A loss is a loss: green only for a saving, amber for a month that costs more so far.
  $('bill-savings').className = !f.known(b.savings_krw) || b.savings_krw === 0 ? '' : b.savings_krw > 0 ? 'good' : 'warn';
  setText('bill-savings-pct', f.known(b.savings_krw) && f.known(b.without_openmeg_krw) && b.without_openmeg_krw > 0
    ? `(${f.pct((100 * b.savings_krw) / b.without_openmeg_krw)} %)` : '');
  setText('today-cost-krw', f.won(b.today_cost_krw));
  setText('bill-energy-kwh', f.kw(b.energy_kwh));
  setText('bill-peak-kw', f.kw(b.peak_kw));
  setText('bill-through', b.through ? `${f.siteDateTime(b.through)} KST` : f.DASH);
  setText('bill-note', state.billNote || '');
  const cheaper = b.cheaper_tariff
    ? [el('li', { class: 'warn' }, t('bill.cheaper', { tariff: b.cheaper_tariff, krw: f.won(b.cheaper_by_krw) }))] : [];
  $('bill-notes').replaceChildren(...cheaper, ...(Array.isArray(b.notes) ? b.notes : []).map((n) => el('li', {}, n)));
  $('bill-lines').replaceChildren(...(Array.isArray(b.lines) ? b.lines : []).map((line) =>
    el('tr', {}, el('td', {}, line.name ?? ''), el('td', { class: 'n' }, withUnit(f.won(line.amount_krw), t('unit.krw'))))));
}

function renderForecast() {
  const fc = state.forecast;
  const info = [];
  if (fc && fc.issued) info.push(`${t('chart.issued')} ${f.siteShort(fc.issued, state.live ? f.siteParts(state.live.time)?.date : null)}`);
  if (fc && fc.method) info.push(fc.method);
  if (state.forecastNote) info.push(state.forecastNote);
  setText('forecast-info', info.join(' · '));
  if (!state.charts || (!state.forecastKept && !state.actual)) return;
  const kept = state.forecastKept || { load_kw: new Map(), pv_kw: new Map() };
  const actual = state.actual || { load_kw: new Map(), pv_kw: new Map() };
  const midnight = state.live ? f.epochSeconds(f.siteDayStart(state.live.time)) : null;
  const last = Math.max(0, ...kept.load_kw.keys(), ...actual.load_kw.keys());
  const range = midnight != null && last > midnight ? [midnight, last + 900] : null;
  state.charts.forecast.set(align([kept.load_kw, actual.load_kw, kept.pv_kw, actual.pv_kw]), range);
}

// Keeps each interval's latest forecast made before it began: the answer holds only the coming
// intervals, and the past ones are what is set against the measured values. Kept from midnight.
function keepForecast(fc, now) {
  const midnight = f.epochSeconds(f.siteDayStart(now));
  const kept = state.forecastKept || { load_kw: new Map(), pv_kw: new Map() };
  for (const m of Object.values(kept)) for (const x of m.keys()) if (x < midnight) m.delete(x);
  for (const i of fc && Array.isArray(fc.intervals) ? fc.intervals : []) {
    const x = f.epochSeconds(i.start);
    if (x == null || x < midnight) continue;
    kept.load_kw.set(x, f.known(i.load_kw) ? i.load_kw : null);
    kept.pv_kw.set(x, f.known(i.pv_kw) ? i.pv_kw : null);
  }
  state.forecastKept = kept;
}

// Column names of tables drawn from API objects; units from the name's suffix.
const COLUMN_LABELS = {
  start: 'schedule.start', made: 'schedule.made', source: 'schedule.source',
  battery_kw: 'schedule.battery', pv_limit_kw: 'schedule.pv_limit', planned_grid_kw: 'schedule.planned_grid',
  load_kw: 'chart.load', pv_kw: 'chart.pv', grid_kw: 'chart.grid',
};
const TIME_KEYS = new Set(['start', 'end', 'made', 'time', 'since', 'issued', 'through']);

function unitOf(key) {
  if (key.endsWith('_kw')) return 'kW';
  if (key.endsWith('_kwh')) return 'kWh';
  if (key.endsWith('_pct')) return '%';
  if (key.endsWith('_krw')) return t('unit.krw');
  return null;
}

function cell(key, value, today) {
  if (key === 'pv_limit_kw' && (value == null || (f.known(value) && value < 0))) return t('flows.no_limit');
  if (value == null) return f.DASH;
  if (TIME_KEYS.has(key) && typeof value === 'string') return f.siteShort(value, today);
  if (typeof value === 'number') return key.endsWith('_krw') ? f.won(value) : f.kw(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function header(key) {
  const unit = unitOf(key);
  const label = COLUMN_LABELS[key] ? t(COLUMN_LABELS[key]) : key;
  return unit ? `${label} (${unit})` : label;
}

function objectTable(rows, today) {
  const keys = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  return el('div', { class: 'table-wrap short' }, el('table', { class: 'plan' },
    el('thead', {}, el('tr', {}, ...keys.map((k) => el('th', {}, header(k))))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...keys.map((k) =>
      el('td', { class: typeof r[k] === 'number' ? 'n' : '' }, cell(k, r[k], today))))))));
}

// The schedule entry the loop follows ({present, made, source, battery_kw, pv_limit_kw, planned_grid_kw,
// reason_code, limit, reason}); the planner's reason is drawn as a sentence under the facts, its code
// translated; any array in the answer (the plan for the coming intervals) is drawn as a table.
function renderSchedule() {
  const panel = $('schedule-panel');
  const s = state.schedule;
  const today = state.live ? f.siteParts(state.live.time)?.date : null;
  if (!s || typeof s !== 'object' || s.present === false || Object.keys(s).length === 0) {
    panel.replaceChildren(el('p', { class: 'muted' }, s ? t('schedule.none') : f.DASH));
    return;
  }
  const facts = el('dl', { class: 'facts' });
  const tables = [];
  const parallel = {};  // arrays of numbers, one per field, drawn side by side
  const order = ['made', 'source', 'battery_kw', 'pv_limit_kw', 'planned_grid_kw'];
  const rank = (k) => (order.includes(k) ? order.indexOf(k) : order.length);
  for (const key of Object.keys(s).sort((a, b) => rank(a) - rank(b))) {
    const value = s[key];
    if (key === 'present' || REASON_KEYS.has(key)) continue;
    if (Array.isArray(value)) {
      if (value.length && typeof value[0] === 'object') tables.push(el('h3', {}, key), objectTable(value, today));
      else parallel[key] = value;
      continue;
    }
    const unit = unitOf(key);
    const text = cell(key, value, today);
    facts.append(el('dt', {}, COLUMN_LABELS[key] ? t(COLUMN_LABELS[key]) : key),
      el('dd', {}, unit && text !== f.DASH && f.known(value) && !(key === 'pv_limit_kw' && value < 0) ? withUnit(text, unit) : text));
  }
  const keys = Object.keys(parallel);
  if (keys.length) {
    const n = Math.max(...keys.map((k) => parallel[k].length));
    const rows = Array.from({ length: n }, (_, i) => Object.fromEntries(keys.map((k) => [k, parallel[k][i] ?? null])));
    tables.push(objectTable(rows, today));
  }
  panel.replaceChildren(facts, ...scheduleReason(s), ...tables);
}

const REASON_KEYS = new Set(['reason_code', 'limit', 'reason']);

// The planner's reason: "Why: <code label> — <sentence>", the limit that clipped it after.
function scheduleReason(s) {
  if (!s.reason && !s.reason_code) return [];
  const code = s.reason_code ? (has(`reason.${s.reason_code}`) ? t(`reason.${s.reason_code}`) : s.reason_code) : '';
  const p = el('p', { id: 'schedule-reason', class: 'reason', 'data-code': s.reason_code || '', 'data-limit': s.limit || '' },
    el('strong', {}, `${t('schedule.why')}: `), code ? el('span', { class: 'reason-code' }, code) : null,
    s.reason ? el('span', { class: 'reason-text' }, `${code ? ' — ' : ''}${s.reason}`) : null);
  return [p];
}

function severityBadge(severity) {
  return el('span', { class: `sev sev-${severity || 'info'}` }, t(`severity.${severity || 'info'}`));
}

function renderAlarms() {
  const list = $('alarms-list');
  const alarms = state.alarms;
  const today = state.live ? f.siteParts(state.live.time)?.date : null;
  if (!Array.isArray(alarms) || alarms.length === 0) {
    list.replaceChildren(el('li', { class: 'muted' }, alarms ? t('alarms.none') : f.DASH));
    return;
  }
  list.replaceChildren(...alarms.map((a) => el('li', { class: `alarm sev-row-${a.severity || 'info'}`, dataset: { kind: a.kind || '' } },
    severityBadge(a.severity), ' ', el('span', { class: 'msg' }, a.message || a.kind || ''),
    a.since ? el('span', { class: 'muted small' }, ` ${t('alarms.since')} ${f.siteShort(a.since, today)}`) : null)));
}

function renderEvents() {
  const list = $('events-list');
  const events = state.events;
  const today = state.live ? f.siteParts(state.live.time)?.date : null;
  if (!Array.isArray(events) || events.length === 0) {
    list.replaceChildren(el('li', { class: 'muted' }, events ? t('events.none') : f.DASH));
    return;
  }
  list.replaceChildren(...events.map((e) => el('li', {},
    el('span', { class: 'muted small' }, f.siteShort(e.time, today)), ' ', severityBadge(e.severity), ' ',
    el('span', { class: 'kind' }, e.kind || ''), ' ', e.message || '')));
}

// Each DR call: kind, time, the reduction asked, status; per trading hour its CBL, the import cap
// the loop holds, and after the event the metered energy, reduction and payment (null until known).
function renderDr() {
  const panel = $('dr-panel');
  const calls = state.dr;
  if (!Array.isArray(calls) || calls.length === 0) {
    panel.replaceChildren(el('p', { class: 'muted' }, calls ? t('dr.none') : f.DASH));
    return;
  }
  const num = (v, digits = 1) => (f.known(v) ? Number(v).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits }) : f.DASH);
  panel.replaceChildren(...calls.map((c) => el('div', { class: 'dr-call', dataset: { status: c.status || '' } },
    el('p', {},
      el('strong', {}, `${t(`dr.kind.${c.kind}`)} ${f.siteDateTime(c.start)}–${f.siteTime(c.end)}`), ' · ',
      `${t('dr.requested')} ${num(c.requested_kw, 0)} kW · `,
      el('span', { class: 'kind' }, t(`dr.status.${c.status}`)),
      f.known(c.performance_pct) ? ` · ${t('dr.performance')} ${num(c.performance_pct, 0)} %` : '',
      f.known(c.energy_payment_krw) ? ` · ${t('dr.payment')} ${num(c.energy_payment_krw, 0)} KRW` : ''),
    c.message ? el('p', { class: 'muted small' }, c.message) : null,
    el('div', { class: 'table-wrap' }, el('table', { class: 'audit' },
      el('thead', {}, el('tr', {}, ...['dr.hour', 'dr.cbl', 'dr.cap', 'dr.metered', 'dr.reduction', 'dr.asked', 'dr.payment_col']
        .map((k, i) => el('th', {}, t(k) + ['', ' kWh', ' kW', ' kWh', ' kWh', ' kWh', ' KRW'][i])))),
      el('tbody', {}, ...(c.hours || []).map((h) => el('tr', {},
        el('td', {}, `${f.siteTime(h.start)} (${h.minutes} min)`), el('td', { class: 'n' }, num(h.cbl_kwh)),
        el('td', { class: 'n' }, num(h.import_cap_kw)), el('td', { class: 'n' }, num(h.metered_kwh)),
        el('td', { class: 'n' }, num(h.reduction_kwh)), el('td', { class: 'n' }, num(h.requested_kwh)),
        el('td', { class: 'n' }, num(h.payment_krw, 0))))))))));
}

function renderAudit() {
  const body = $('audit-body');
  const entries = Array.isArray(state.audit) ? [...state.audit] : null;
  if (!entries || entries.length === 0) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: 6, class: 'muted' }, entries ? t('audit.none') : f.DASH)));
    return;
  }
  entries.sort((a, b) => (b.seq ?? 0) - (a.seq ?? 0));
  body.replaceChildren(...entries.map((a) => el('tr', {
    class: `audit-${a.action || ''}`,
    dataset: { seq: a.seq ?? '', action: a.action ?? '', actor: a.actor ?? '' },
  },
  el('td', { class: 'n' }, a.seq ?? f.DASH), el('td', {}, f.siteDateTime(a.time)), el('td', {}, a.actor ?? ''),
  el('td', {}, a.action ?? ''), el('td', {}, a.subject ?? ''), el('td', { class: 'detail' }, a.detail ?? ''))));
}

// ---------------------------------------------------------------- wiring

function toggleLang() {
  setLang(currentLang() === 'ko' ? 'en' : 'ko');
  renderAll();
}

function init() {
  applyLabels();
  $('login-form').addEventListener('submit', onLogin);
  for (const b of document.querySelectorAll('.lang-toggle')) b.addEventListener('click', toggleLang);
  $('logout').addEventListener('click', () => logout());
  $('setpoint-form').addEventListener('submit', onSetpoint);
  $('battery-mode-form').addEventListener('submit', onBatteryMode);
  $('reserve-form').addEventListener('submit', onReserve);
  $('ev-need-form').addEventListener('submit', onEvNeed);
  $('ev-call-form').addEventListener('submit', onEvCall);
  $('mode-auto').addEventListener('click', () => command(() => api.auto(state.site.id)));
  $('back-to-fleet').addEventListener('click', () => { location.hash = '#/fleet'; });
  window.addEventListener('hashchange', route);
  state.session = loadSession();
  if (!state.session) { showLogin(); return; }
  start().catch((e) => {
    logout(e instanceof ApiError && e.status === 0 ? t('error.network') : e.message);
  });
}

const fleet = new FleetView({
  report,
  clear: clearError,
  canCommand: () => Boolean(state.session && (state.session.role === 'operator' || state.session.role === 'admin')),
});

init();
