// End-to-end test of the dashboard in headless Chromium against a running meg:
//   MEG_URL=http://127.0.0.1:8080/ MEG_USER=operator MEG_PASSWORD=... npm run e2e
// Logs in to the fleet page and checks it against GET /api/fleet (a row for every site, the
// totals, sorting, the search box filtering rows, the fleet-sum chart, the fleet report links: the
// CSV has a row per site of /api/fleet and the total row, the HTML tab names every site), so it
// passes with one site (`meg run`) or several (`meg demo`); opens a site (the Jeonju hospital if the fleet has it, else
// the first) by a click on its row, waits for live values to change, sends an operator setpoint, waits for it in the audit
// trail, presses "back to auto" and finds that audited too, finds the DR call of the demo planned
// with its cap, posts a second DR call through the API (and one the rules refuse), finds the
// forecast card showing what the demo's mpc planned on (the learned load model), finds the planner's
// reason on the schedule card and in GET /schedule (a code and a sentence), switches the
// language both ways and saves a screenshot; back on the fleet page, when the center runs a DR
// aggregator (GET /api/fleet/dr-events answers 200; `meg demo` registers its fleet), submits a
// resource call through the DR resource form (the first full hour with 70+ minutes' notice, for
// an hour) and finds it with each member's status and share as the API has them and the resource
// CBL, and finds a call that is over refused with the server's error. Exits 0 on success, 1 with the reason (and a
// screenshot of the failure) otherwise. The DR steps expect the demo as scripts/e2e starts it:
// site time 2024-08-12 about 13:55, --dr-calls data/dr/jeonju-2024-08-12.csv.
//
// Environment: MEG_URL (default http://127.0.0.1:8080/), MEG_USER, MEG_PASSWORD (required),
// MEG_SCREENSHOT (default web/e2e/dashboard.png), CHROMIUM (default /usr/bin/chromium),
// MEG_E2E_TIMEOUT_MS (each wait, default 30000).
// Or MEG_BIN=path/to/meg instead of MEG_URL: the test starts `meg demo --port 0 --web-dir web/dist`
// (plus MEG_DEMO_ARGS, split on spaces), reads the URL and the operator login it prints, and
// stops it at the end.

import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
let url = process.env.MEG_URL || 'http://127.0.0.1:8080/';
let user = process.env.MEG_USER;
let password = process.env.MEG_PASSWORD;
const screenshot = path.resolve(process.env.MEG_SCREENSHOT || path.join(here, 'dashboard.png'));
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const timeout = Number(process.env.MEG_E2E_TIMEOUT_MS || 30000);
const SETPOINT_KW = -50;
const SETPOINT_MINUTES = 5;
const FLEET_DR_KW = 100;

class Failure extends Error {}

function step(text) {
  console.log(`e2e: ${text}`);
}

// Waits for `fn(arg)` in the page to return a truthy value; fails with `what` after the timeout.
async function waitFor(page, what, fn, arg) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout, polling: 250 });
    return await handle.jsonValue();
  } catch (e) {
    const banner = await page.locator('#error-banner').textContent().catch(() => '');
    throw new Failure(`${what} (waited ${timeout / 1000} s)${banner ? `; the page shows: ${banner.trim()}` : ''}`);
  }
}

async function run(page) {
  step(`open ${url}`);
  const response = await page.goto(url, { waitUntil: 'load', timeout }).catch((e) => {
    throw new Failure(`cannot open ${url} (is meg serving there?): ${e.message.split('\n')[0]}`);
  });
  if (!response || !response.ok()) throw new Failure(`GET ${url} answered ${response ? response.status() : 'nothing'}`);

  step(`log in as ${user}`);
  await page.locator('#login-user').fill(user);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-submit').click();
  await waitFor(page, 'the dashboard did not open after login',
    () => {
      const err = document.getElementById('login-error');
      if (err && !err.hidden && err.textContent) return `error:${err.textContent}`;
      return !document.getElementById('app').hidden && 'ok';
    }).then((r) => { if (String(r).startsWith('error:')) throw new Failure(`login refused: ${r.slice(6)}`); });

  await checkFleet(page);
  const siteId = await openSite(page);

  step('wait for a live grid value');
  const first = await waitFor(page, '#grid-kw never showed a number',
    () => {
      const text = document.getElementById('grid-kw').textContent.replace(/,/g, '');
      return Number.isFinite(parseFloat(text)) && { grid: text, time: document.getElementById('site-time').textContent };
    });
  step(`grid ${first.grid} kW at ${first.time}; wait for it to change`);
  const changed = await waitFor(page, `live values did not change (grid stayed ${first.grid} kW, site time ${first.time})`,
    (before) => {
      const grid = document.getElementById('grid-kw').textContent.replace(/,/g, '');
      const time = document.getElementById('site-time').textContent;
      return Number.isFinite(parseFloat(grid)) && (grid !== before.grid || time !== before.time) && { grid, time };
    }, first);
  step(`grid ${changed.grid} kW at ${changed.time}`);

  if (await page.locator('#operator-panel').isHidden()) {
    const role = await page.locator('#user-role').textContent();
    throw new Failure(`the operator panel is hidden for ${user} ${role}: log in as an operator or admin`);
  }
  await waitFor(page, 'the audit table never loaded',
    () => document.querySelector('#audit-body tr[data-seq]') || document.querySelector('#audit-body td.muted')?.textContent !== '—');
  const lastSeq = await page.evaluate(() => Math.max(0, ...[...document.querySelectorAll('#audit-body tr[data-seq]')]
    .map((r) => Number(r.dataset.seq) || 0)));

  step(`send a setpoint of ${SETPOINT_KW} kW for ${SETPOINT_MINUTES} min (audit seq so far ${lastSeq})`);
  await page.locator('#setpoint-kw').fill(String(SETPOINT_KW));
  await page.locator('#setpoint-minutes').fill(String(SETPOINT_MINUTES));
  await page.locator('#setpoint-apply').click();
  await waitFor(page, 'the command got no answer',
    () => document.getElementById('operator-message').textContent !== '');
  if ((await page.locator('#operator-message').getAttribute('class')) === 'error') {
    throw new Failure(`the command was refused: ${await page.locator('#operator-message').textContent()}`);
  }

  step('wait for the override in the audit trail');
  const row = await waitFor(page, `no "override" row by ${user} after seq ${lastSeq} in the audit table`,
    ({ actor, after }) => {
      const r = [...document.querySelectorAll('#audit-body tr[data-seq]')].find((x) =>
        x.dataset.action === 'override' && x.dataset.actor === actor && Number(x.dataset.seq) > after);
      return r && r.textContent;
    }, { actor: user, after: lastSeq });
  step(`audit row: ${row}`);
  await waitFor(page, 'the live override was not shown',
    () => document.getElementById('override-status').classList.contains('active'));

  step('press "back to auto": the override is cleared, audited under the same user');
  await page.locator('#mode-auto').click();
  const cleared = await waitFor(page, `no "override ... cleared" row by ${user} in the audit table`,
    ({ actor }) => {
      const r = [...document.querySelectorAll('#audit-body tr[data-seq]')].find((x) =>
        x.dataset.action === 'override' && x.dataset.actor === actor && x.textContent.includes('cleared'));
      return r && r.textContent;
    }, { actor: user });
  step(`audit row: ${cleared}`);
  await waitFor(page, 'the live override was still shown after "back to auto"',
    () => !document.getElementById('override-status').classList.contains('active'));

  step('keep a backup reserve of 30 % through the operator panel; find it audited and shown');
  await page.locator('#reserve-soc').fill('30');
  await page.locator('#reserve-apply').click();
  const kept = await waitFor(page, `no "backup-reserve" row by ${user} in the audit table`,
    ({ actor }) => {
      const r = [...document.querySelectorAll('#audit-body tr[data-seq]')].find((x) =>
        x.dataset.action === 'backup-reserve' && x.dataset.actor === actor && x.textContent.includes('soc_pct=30'));
      return r && r.textContent;
    }, { actor: user });
  step(`audit row: ${kept}`);
  await waitFor(page, 'the live values never showed the reserve',
    () => document.getElementById('battery-mode-status').textContent.includes('30 %'));
  await page.locator('#reserve-soc').fill('0');
  await page.locator('#reserve-apply').click();
  await waitFor(page, 'the reserve was still shown after clearing it',
    () => !document.getElementById('battery-mode-status').textContent.includes('30 %'));
  step('the month-to-date saving is coloured by its sign (green only when positive)');
  await waitFor(page, 'the saving colour does not follow its sign', () => {
    const dd = document.getElementById('bill-savings');
    const text = document.getElementById('bill-savings-krw').textContent.replace(/\u2212/g, '-').replace(/[^0-9-]/g, '');
    if (text === '') return false;
    const v = Number(text);
    return v > 0 ? dd.className === 'good' : v < 0 ? dd.className === 'warn' : dd.className === '';
  });

  step('find the DR call planned with its import cap (meg demo --dr-calls data/dr/jeonju-2024-08-12.csv)');
  const dr = await waitFor(page, 'the DR panel never showed a planned call with a cap',
    () => {
      const call = document.querySelector('#dr-panel .dr-call[data-status="planned"], #dr-panel .dr-call[data-status="settled"]');
      const cap = call && call.querySelector('tbody tr td:nth-child(3)');
      return call && cap && /[0-9]/.test(cap.textContent) && call.textContent;
    });
  step(`DR: ${dr.slice(0, 120)}`);

  step('post a second DR call through the API (17:00-18:00, 100 kW) and one the rules refuse (19:30-20:30, past the 20:00 window)');
  const post = (body) => page.evaluate(async (b) => {
    const { token } = JSON.parse(sessionStorage.getItem('meg.session'));
    const r = await fetch(`api/sites/${encodeURIComponent(b.site)}/dr-events`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(b.call),
    });
    return { status: r.status, body: await r.text() };
  }, { site: siteId, call: body });
  const accepted = await post({ start: '2024-08-12T17:00:00+09:00', end: '2024-08-12T18:00:00+09:00', requested_kw: 100 });
  if (accepted.status !== 200) throw new Failure(`the DR call was refused: ${accepted.status} ${accepted.body}`);
  const refused = await post({ start: '2024-08-12T19:30:00+09:00', end: '2024-08-12T20:30:00+09:00', requested_kw: 100 });
  if (refused.status !== 400 || !refused.body.includes('제12.4.3.1조')) {
    throw new Failure(`a call past 20:00 was not refused with its article: ${refused.status} ${refused.body}`);
  }
  const second = await waitFor(page, 'the posted DR call never showed on the card',
    () => {
      const calls = document.querySelectorAll('#dr-panel .dr-call');
      return calls.length === 2 && calls[1].textContent;
    });
  step(`DR (API): ${second.slice(0, 100)}`);

  const forecastInfo = await waitFor(page, 'the forecast card never named the learned load model mpc plans on',
    () => {
      const info = document.querySelector('#forecast-info');
      return info && info.textContent.includes('learned load model') && info.textContent;
    });
  step(`forecast: ${forecastInfo.slice(0, 100)}`);

  // The schedule card says why the battery does what it does, as GET /schedule has it: a code of
  // docs/simulate.md ("Decision reasons") and a sentence with the action first.
  const SENTENCE = /^(discharging [0-9,]+ kW|charging [0-9,]+ kW|idle)(: |;|$)/;
  const shown = await waitFor(page, "the schedule card never showed the planner's reason",
    () => {
      const p = document.querySelector('#schedule-reason');
      const text = p && p.querySelector('.reason-text');
      return p && p.dataset.code && text && { code: p.dataset.code, text: text.textContent.replace(/^ — /, '') };
    });
  if (!SENTENCE.test(shown.text)) throw new Failure(`the schedule's reason does not start with the action: "${shown.text}"`);
  step(`schedule reason (${shown.code}): ${shown.text.slice(0, 120)}`);
  const schedule = await apiGet(page, `api/sites/${encodeURIComponent(siteId)}/schedule`);
  const CODES = ['idle', 'idle_reserve', 'charge_cheap', 'charge_pv', 'discharge_peak', 'discharge_price', 'discharge_dr',
    'peak_guard', 'charge_held', 'fallback'];
  if (schedule.status !== 200 || !CODES.includes(schedule.body?.reason_code) || !SENTENCE.test(schedule.body?.reason || '')) {
    throw new Failure(`GET /schedule has no planner's reason: ${JSON.stringify(schedule.body).slice(0, 300)}`);
  }

  // The demo hospital's car park (docs/ev-charging.md): each session with its limit and why, as
  // the live values have them.
  if (siteId === 'jeonju-hospital') {
    const ev = await waitFor(page, 'the EV card never listed a charging session of the car park',
      () => {
        const card = document.querySelector('#ev-card');
        const rows = [...document.querySelectorAll('#ev-table tbody tr')];
        return card && !card.hidden && rows.length > 0
          && { rows: rows.length, first: rows[0].textContent, reason: rows[0].dataset.reason };
      });
    const REASONS = ['share', 'top-up', 'keep-pace', 'no-slack', 'contract', 'paused', 'not-steerable', 'safe'];
    if (!REASONS.includes(ev.reason)) throw new Failure(`an EV row without a known reason: ${JSON.stringify(ev)}`);
    const live = await apiGet(page, `api/sites/${encodeURIComponent(siteId)}/live`);
    if (live.status !== 200 || !Array.isArray(live.body?.ev) || live.body.ev.length === 0) {
      throw new Failure(`GET /live has no charging sessions: ${JSON.stringify(live.body).slice(0, 300)}`);
    }
    step(`EV: ${ev.rows} sessions shown; first "${ev.first.slice(0, 100)}" (${ev.reason})`);

    step("give a car's need and departure through the EV card's form; find it audited");
    const chosen = await page.locator('#ev-need-session').inputValue();
    const day = (live.body.time || '').slice(0, 10);
    await page.locator('#ev-need-kwh').fill('12.5');
    await page.locator('#ev-need-departure').fill(`${day}T23:30`);
    await page.locator('#ev-need-apply').click();
    await waitFor(page, 'the EV form never said the word was accepted',
      () => document.querySelector('#ev-need-message')?.className === 'ok');
    const word = await waitFor(page, `no ev-session row for ${chosen} in the audit trail`,
      (subject) => [...document.querySelectorAll('#audit-body tr')].map((r) => r.textContent)
        .find((text) => text.includes('ev-session') && text.includes(`ev:${subject}`)), chosen);
    if (!word.includes('need_kwh=12.5') || !word.includes('T23:30:00+09:00')) {
      throw new Failure(`the audited word is not what was given: ${word}`);
    }
    step(`audit row: ${word}`);

    step("stop a car remotely through the card's charger form; find the call audited");
    const [stopCharger, stopConnector] = chosen.split('/');
    await page.locator('#ev-call-charger').selectOption(stopCharger);
    await page.locator('#ev-call-connector').fill(stopConnector);
    await page.locator('#ev-call-action').selectOption('remote-stop');
    await page.locator('#ev-call-apply').click();
    await waitFor(page, 'the charger form never said the call was accepted',
      () => document.querySelector('#ev-call-message')?.className === 'ok');
    const call = await waitFor(page, `no ev-call row for ${chosen} in the audit trail`,
      (subject) => [...document.querySelectorAll('#audit-body tr')].map((r) => r.textContent)
        .find((text) => text.includes('ev-call') && text.includes(`ev:${subject}`)), chosen);
    if (!call.includes('call=remote-stop')) throw new Failure(`the audited call is not the one made: ${call}`);
    const listed = await page.locator('#ev-chargers').textContent();
    if (!listed.includes(stopCharger)) throw new Failure(`the chargers line does not list ${stopCharger}: ${listed}`);
    step(`audit row: ${call}`);
  }

  step('switch the language and back');
  const before = await page.locator('#flows-title').textContent();
  await page.locator('#lang-toggle').click();
  const after = await page.locator('#flows-title').textContent();
  if (after === before) throw new Failure(`the language toggle did not change the labels ("${before}")`);
  await page.locator('#lang-toggle').click();
  if ((await page.locator('#flows-title').textContent()) !== before) throw new Failure('the language toggle did not switch back');

  await fullScreenshot(page, screenshot);

  step('back to the fleet');
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.locator('#back-to-fleet').click();
  await waitFor(page, 'the fleet page did not come back after "back to the fleet"',
    () => !document.getElementById('fleet-view').hidden && document.getElementById('site-view').hidden
      && document.querySelectorAll('#fleet-body tr[data-site]').length > 0);
  await waitFor(page, 'the fleet-sum chart was not drawn',
    () => document.querySelector('#chart-fleet .uplot') && document.getElementById('fleet-chart-info').textContent !== '');
  await checkFleetDr(page);
  await fullScreenshot(page, screenshot.replace(/(\.png)?$/, '-fleet.png'));
}

// Grows the viewport to the whole page first (a full-page capture that resizes it would catch the
// charts between a resize and their redraw), then saves a screenshot.
async function fullScreenshot(page, file) {
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: 1440, height: Math.min(Math.max(height, 1000), 6000) });
  await page.waitForTimeout(1500);  // let the charts redraw and take the latest fetch
  await page.screenshot({ path: file, fullPage: true });
  step(`screenshot ${file}`);
}

// GET path with the page's session, as JSON.
function apiGet(page, apiPath) {
  return page.evaluate(async (p) => {
    const { token } = JSON.parse(sessionStorage.getItem('meg.session'));
    const r = await fetch(p, { headers: { Authorization: `Bearer ${token}` } });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, apiPath);
}

// The fleet page: one row per site of GET /api/fleet, the totals, sorting, search, the chart.
async function checkFleet(page) {
  step('the fleet page is the first page');
  await waitFor(page, 'the fleet page was not shown after login',
    () => !document.getElementById('fleet-view').hidden && document.getElementById('site-view').hidden);
  const fleet = await apiGet(page, 'api/fleet');
  if (fleet.status !== 200 || !Array.isArray(fleet.body?.sites)) {
    throw new Failure(`GET /api/fleet answered ${fleet.status}: ${JSON.stringify(fleet.body).slice(0, 200)}`);
  }
  const ids = fleet.body.sites.map((s) => s.id);
  if (ids.length === 0) throw new Failure('GET /api/fleet lists no site');
  step(`GET /api/fleet: ${ids.length} sites (${ids.join(', ')}); totals ${JSON.stringify(fleet.body.totals)}`);
  const rows = await waitFor(page, `the fleet table did not show a row for each of the ${ids.length} sites (${ids.join(', ')})`,
    (want) => {
      const got = [...document.querySelectorAll('#fleet-body tr[data-site]')].map((r) => r.dataset.site);
      return got.length === want.length && want.every((id) => got.includes(id)) && got;
    }, ids);
  step(`rows: ${rows.join(', ')}`);
  await waitFor(page, 'the fleet totals never showed a site count and a grid total',
    (n) => document.getElementById('fleet-site-count').textContent === String(n)
      && Number.isFinite(parseFloat(document.getElementById('fleet-grid-kw').textContent.replace(/,/g, ''))), ids.length);
  const totals = await page.evaluate(() => ['fleet-site-count', 'fleet-grid-kw', 'fleet-pv-kw', 'fleet-battery-kw', 'fleet-bill-krw']
    .map((id) => `${id}=${document.getElementById(id).textContent}`).join(' '));
  step(`totals: ${totals}`);
  const states = await page.evaluate(() => [...document.querySelectorAll('#fleet-body tr[data-site]')]
    .map((r) => `${r.dataset.site}:${r.dataset.state}`));
  if (states.some((s) => s.endsWith(':'))) throw new Failure(`a row has no state: ${states.join(' ')}`);
  step(`states: ${states.join(' ')}`);

  step('sort by grid kW both ways');
  const order = () => page.evaluate(() => [...document.querySelectorAll('#fleet-body tr[data-site]')].map((r) => {
    const v = parseFloat(r.querySelector('td[data-col="grid_kw"]').textContent.replace(/,/g, ''));
    return Number.isFinite(v) ? v : null;
  }));
  const sorted = (values, dir) => values.every((v, i) => i === 0 || v == null || values[i - 1] == null
    || dir * (v - values[i - 1]) >= 0);
  await page.locator('#fleet-head th[data-key="grid_kw"]').click();
  const up = await order();
  if (!sorted(up, 1)) throw new Failure(`rows not in rising grid kW after one click: ${up}`);
  await page.locator('#fleet-head th[data-key="grid_kw"]').click();
  const down = await order();
  if (!sorted(down, -1)) throw new Failure(`rows not in falling grid kW after two clicks: ${down}`);
  await page.locator('#fleet-head th[data-key="name"]').click();

  step('search filters the rows');
  const target = fleet.body.sites.find((s) => s.id === 'jeonju-hospital') || fleet.body.sites[0];
  const want = fleet.body.sites.filter((s) => [s.name, s.id].join(' ').toLowerCase().includes(target.name.toLowerCase()))
    .map((s) => s.id);
  await page.locator('#fleet-search').fill(target.name);
  const filtered = await waitFor(page, `searching "${target.name}" did not leave the rows ${want.join(', ')}`,
    (w) => {
      const got = [...document.querySelectorAll('#fleet-body tr[data-site]')].map((r) => r.dataset.site);
      return got.length === w.length && w.every((id) => got.includes(id)) && got;
    }, want);
  step(`"${target.name}": ${filtered.join(', ')}`);
  await page.locator('#fleet-search').fill('no site is called this');
  await waitFor(page, 'a search that matches nothing still showed rows',
    () => document.querySelectorAll('#fleet-body tr[data-site]').length === 0
      && document.querySelector('#fleet-body tr.empty'));
  await page.locator('#fleet-search').fill('');
  await waitFor(page, 'clearing the search did not bring every row back',
    (n) => document.querySelectorAll('#fleet-body tr[data-site]').length === n, ids.length);

  await checkReports(page, fleet.body.sites);
}

// Splits CSV text into rows of fields (RFC 4180: quoted fields, "" for a quote).
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 1; } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

// The report links: the CSV download has a row per site of /api/fleet (in its order) and the
// total row; the Excel download is an .xlsx (a zip); the HTML opens in a new tab and names every site.
async function checkReports(page, sites) {
  const ids = sites.map((s) => s.id);
  step('download the fleet report (CSV)');
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout }),
    page.locator('#fleet-report-csv').click(),
  ]).catch((e) => { throw new Failure(`the CSV report link gave no download: ${e.message.split('\n')[0]}`); });
  const file = await download.path();
  const rows = parseCsv(await readFile(file, 'utf8')).filter((r) => r.length > 1 || r[0] !== '');
  const header = rows[0] || [];
  if (header[0] !== 'site' || !header.includes('bill_with_openmeg_krw')) {
    throw new Failure(`the CSV report's header is not the fleet report's: ${header.join(',')}`);
  }
  const first = rows.slice(1).map((r) => r[0]);
  const want = [...ids, 'total'];
  if (first.length !== want.length || want.some((id, i) => first[i] !== id)) {
    throw new Failure(`the CSV report's rows are ${first.join(', ')}; GET /api/fleet has ${ids.join(', ')} (and the total row)`);
  }
  const widths = new Set(rows.map((r) => r.length));
  if (widths.size !== 1) throw new Failure(`the CSV report's rows differ in their number of fields: ${[...widths].join(', ')}`);
  step(`CSV ${download.suggestedFilename()}: ${rows.length - 1} rows (${first.join(', ')}); total ${rows[rows.length - 1].slice(7, 10).join(' / ')} KRW`);

  step('download the fleet report (Excel)');
  const [workbook] = await Promise.all([
    page.waitForEvent('download', { timeout }),
    page.locator('#fleet-report-xlsx').click(),
  ]).catch((e) => { throw new Failure(`the Excel report link gave no download: ${e.message.split('\n')[0]}`); });
  const bytes = await readFile(await workbook.path());
  if (bytes.length < 4 || bytes.readUInt32LE(0) !== 0x04034b50 || !workbook.suggestedFilename().endsWith('.xlsx')) {
    throw new Failure(`the Excel report is not an .xlsx workbook: ${workbook.suggestedFilename()}, ${bytes.length} bytes`);
  }
  step(`Excel ${workbook.suggestedFilename()}: ${bytes.length} bytes`);

  step('open the fleet report (HTML) in a new tab');
  const [tab] = await Promise.all([
    page.waitForEvent('popup', { timeout }),
    page.locator('#fleet-report-html').click(),
  ]).catch((e) => { throw new Failure(`the HTML report link opened no tab: ${e.message.split('\n')[0]}`); });
  try {
    await tab.waitForURL(/^blob:/, { timeout }).catch(() => { throw new Failure(`the report tab stayed at ${tab.url()}`); });
    await tab.waitForSelector('table tfoot', { timeout }).catch(() => { throw new Failure('the report tab shows no report table'); });
    const text = await tab.locator('body').innerText();
    const missing = sites.filter((s) => !text.includes(s.name) || !text.includes(s.id)).map((s) => s.id);
    if (missing.length) throw new Failure(`the HTML report does not name ${missing.join(', ')}`);
    step(`HTML: "${await tab.title()}", ${await tab.locator('tbody tr').count()} site rows`);
  } finally {
    await tab.close();
  }
}

// The fleet's DR resource card (GET /api/fleet/dr-events): submit a resource call through its form
// and find it with the members' shares; a call that is over is refused with the server's error.
async function checkFleetDr(page) {
  const fleet = await apiGet(page, 'api/fleet');
  const ids = fleet.body.sites.map((s) => s.id);
  const listed = await apiGet(page, 'api/fleet/dr-events');
  if (listed.status !== 200) {
    if (listed.status === 404 && ids.length === 1) {
      step('no DR aggregator (one site): the DR resource card is not shown');
      await waitFor(page, 'the DR resource card is shown without an aggregator', () => document.getElementById('fleet-dr').hidden);
      return;
    }
    throw new Failure(`GET /api/fleet/dr-events answered ${listed.status}: ${JSON.stringify(listed.body).slice(0, 200)}`);
  }
  step(`the DR resource card (${listed.body.length} resource calls so far)`);
  await waitFor(page, 'the DR resource card and its form were not shown',
    () => !document.getElementById('fleet-dr').hidden && !document.getElementById('fleet-dr-form').hidden);

  // The site time now, and a window with enough notice: the first full hour at least 70 minutes
  // ahead (60 are needed; the rest covers the site time the test takes at 60x), for an hour.
  const now = Math.max(...fleet.body.sites.map((s) => Date.parse(s.time) / 1000).filter(Number.isFinite));
  const start = Math.ceil((now + 70 * 60) / 3600) * 3600;
  const kst = (x) => new Date((x + 9 * 3600) * 1000).toISOString().slice(0, 16);  // datetime-local, site time
  if (Number(kst(start).slice(11, 13)) + 1 > 20) throw new Failure(`the site time ${kst(now)} leaves no window before 20:00`);
  step(`submit a reliability call ${kst(start)}-${kst(start + 3600).slice(11)} KST, ${FLEET_DR_KW} kW (site time ${kst(now)})`);
  await page.locator('#fleet-dr-kind').selectOption('reliability');
  await page.locator('#fleet-dr-start').fill(kst(start));
  await page.locator('#fleet-dr-end').fill(kst(start + 3600));
  await page.locator('#fleet-dr-kw').fill(String(FLEET_DR_KW));
  await page.locator('#fleet-dr-submit').click();
  await waitFor(page, 'the resource call got no answer', () => document.getElementById('fleet-dr-message').textContent !== '');
  if ((await page.locator('#fleet-dr-message').getAttribute('class')) === 'error') {
    throw new Failure(`the resource call was refused: ${await page.locator('#fleet-dr-message').textContent()}`);
  }
  step(`answer: ${await page.locator('#fleet-dr-message').textContent()}`);

  const answer = await apiGet(page, 'api/fleet/dr-events');
  const call = (answer.body || []).find((c) => Date.parse(c.start) / 1000 === start && c.requested_kw === FLEET_DR_KW);
  if (!call) throw new Failure(`GET /api/fleet/dr-events has no call at ${kst(start)}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  const want = call.members.map((m) => ({ site: m.site, status: m.status, kw: m.share_kw.map((v) => v.toFixed(1)).join(' ') }));
  if (!want.some((m) => m.kw.split(' ').some((v) => Number(v) > 0))) {
    throw new Failure(`no member has a share of the call: ${JSON.stringify(call.members).slice(0, 400)}`);
  }
  const shown = await waitFor(page, `the call at ${kst(start)} was not shown with each member's status and share as the API has them`,
    ({ at, members }) => {
      const block = [...document.querySelectorAll('#fleet-dr-calls .fdr-call')].find((b) => Date.parse(b.dataset.start) / 1000 === at);
      if (!block) return false;
      const rows = [...block.querySelectorAll('tr.fdr-member')].map((r) => ({ site: r.dataset.site, status: r.dataset.status, kw: r.dataset.shareKw }));
      return rows.length === members.length && members.every((m, i) => rows[i].site === m.site && rows[i].status === m.status
        && rows[i].kw === m.kw) && block.querySelector('.fdr-head').textContent;
    }, { at: start, members: want });
  step(`shown: ${shown}`);
  step(`members: ${want.map((m) => `${m.site} ${m.status} ${m.kw} kW`).join('; ')}`);
  const cbl = await waitFor(page, "the resource CBL of the call's hour never showed (the members' desks compute it at the issue)",
    (at) => {
      const block = [...document.querySelectorAll('#fleet-dr-calls .fdr-call')].find((b) => Date.parse(b.dataset.start) / 1000 === at);
      const cell = block && block.querySelector('table.fdr-hours tbody tr td:nth-child(6)');
      return cell && /[0-9]/.test(cell.textContent) && cell.textContent;
    }, start);
  step(`resource CBL of ${kst(start).slice(11)}: ${cbl}`);

  step('a call that is over (10:00-11:00 today) is refused with the server\'s error');
  const day = kst(now).slice(0, 10);
  await page.locator('#fleet-dr-start').fill(`${day}T10:00`);
  await page.locator('#fleet-dr-end').fill(`${day}T11:00`);
  await page.locator('#fleet-dr-submit').click();
  const refused = await waitFor(page, 'a call that is over was not shown as refused',
    () => {
      const m = document.getElementById('fleet-dr-message');
      return m.className === 'error' && m.textContent;
    });
  if (!refused.includes('over')) throw new Failure(`the refusal does not give the server's reason: ${refused}`);
  step(`refused: ${refused}`);

  step('the DR resource card in the other language');
  const title = await page.locator('#fleet-dr-title').textContent();
  await page.locator('#lang-toggle').click();
  const other = await page.locator('#fleet-dr-title').textContent();
  const rows = await page.locator('#fleet-dr-calls .fdr-call').count();
  await page.locator('#lang-toggle').click();
  if (other === title || rows === 0) throw new Failure(`the language toggle did not relabel the DR resource card ("${title}", ${rows} calls)`);
  step(`"${other}"`);
}

// Opens the Jeonju hospital (else the first site) by a click on its fleet row; returns its id.
async function openSite(page) {
  const id = await page.evaluate(() => {
    const rows = [...document.querySelectorAll('#fleet-body tr[data-site]')].map((r) => r.dataset.site);
    return rows.includes('jeonju-hospital') ? 'jeonju-hospital' : rows[0];
  });
  step(`click the row of ${id}`);
  await page.locator(`#fleet-body tr[data-site="${id}"] td[data-col="state"]`).click();
  await waitFor(page, `the site view of ${id} did not open`,
    (want) => !document.getElementById('site-view').hidden && document.getElementById('fleet-view').hidden
      && location.hash === `#/site/${want}` && !document.getElementById('back-to-fleet').hidden, id);
  return id;
}

// Starts `meg demo` on a free port; resolves when it has printed its URL and operator login.
function startDemo(bin) {
  const args = ['demo', '--port', '0', '--web-dir', path.resolve(here, '..', 'dist'),
    ...(process.env.MEG_DEMO_ARGS || '').split(' ').filter(Boolean)];
  step(`start ${bin} ${args.join(' ')}`);
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => { child.kill(); reject(new Failure(`meg demo printed no URL and login within ${timeout / 1000} s:\n${out}`)); }, timeout);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Failure(`meg demo exited (${code}) before serving:\n${out}`)); });
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const u = /control center: (\S+)/.exec(out);
      const login = /operator: (\S+) \/ (\S+)/.exec(out);
      if (u && login) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout.resume();
        resolve({ child, url: u[1], user: login[1], password: login[2] });
      }
    });
  });
}

async function main() {
  let demo = null;
  if (process.env.MEG_BIN && !process.env.MEG_URL) {
    try {
      demo = await startDemo(process.env.MEG_BIN);
    } catch (e) {
      console.error(`e2e: FAIL: ${e.message}`);
      return 1;
    }
    ({ url } = demo);
    user = user || demo.user;
    password = password || demo.password;
  }
  try {
    return await test();
  } finally {
    if (demo && demo.child.exitCode === null) {
      const exited = new Promise((resolve) => { demo.child.on('exit', resolve); setTimeout(resolve, 10000); });
      demo.child.kill('SIGINT');
      await exited;
    }
  }
}

async function test() {
  if (!user || !password) {
    console.error('e2e: set MEG_USER and MEG_PASSWORD to an operator login (see `meg demo --help`); MEG_URL defaults to http://127.0.0.1:8080/');
    return 2;
  }
  let browser;
  try {
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'], headless: true });
  } catch (e) {
    console.error(`e2e: cannot start Chromium at ${executablePath} (set CHROMIUM): ${e.message}`);
    return 2;
  }
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, locale: 'en-US' });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  try {
    await run(page);
    console.log('e2e: PASS');
    return 0;
  } catch (e) {
    console.error(`e2e: FAIL: ${e instanceof Failure ? e.message : e.stack || e}`);
    for (const p of problems) console.error(`e2e:   ${p}`);
    const failed = screenshot.replace(/(\.png)?$/, '-failure.png');
    await page.screenshot({ path: failed, fullPage: true }).then(() => console.error(`e2e: screenshot ${failed}`), () => {});
    return 1;
  } finally {
    await browser.close();
  }
}

process.exitCode = await main();
