// The fleet view, the first page after login: the fleet's totals, the month-to-date fleet report
// (CSV download, HTML in a new tab), every site the user may see as a table (sort by any column,
// search), the fleet as one DR resource (src/fleet_dr.js, when the center has an aggregator) and
// the fleet's sum of grid and PV power over the last day. A click on a site opens the site view
// (through the page's #/site/<id> address). While shown, it loads GET /api/fleet and the DR
// resource's calls every few seconds and the fleet sum every 30 s.

import { api } from './api.js';
import { t, has, currentLang } from './i18n.js';
import * as f from './format.js';
import { FleetChart, align } from './charts.js';
import { $, el, setText } from './dom.js';
import { FleetDrPanel } from './fleet_dr.js';

const REFRESH_MS = 3000;
const CHART_MS = 30000;
const DR_MS = 3000;
const STATE_RANK = { normal: 0, local: 1, safe: 2, offline: 3 };
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });  // "E8" before "E12"
const SEVERITY_RANK = { critical: 2, warning: 1 };

export function kindLabel(kind) {
  return kind && has(`kind.${kind}`) ? t(`kind.${kind}`) : kind || '';
}

export function stateLabel(state) {
  return state ? t(`mode.${state}`) : f.DASH;
}

// The table's columns: the row field, its label, its sort key (null sorts last) and its cell.
const num = (key, format) => ({
  key, numeric: true, sort: (r) => (f.known(r[key]) ? r[key] : null), cell: (r) => format(r[key]),
});
const COLUMNS = [
  { key: 'name', label: 'fleet.col.name', sort: (r) => r.name || r.id || '', cell: nameCell },
  { key: 'kind', label: 'fleet.col.kind', sort: (r) => kindLabel(r.kind), cell: (r) => kindLabel(r.kind) },
  { key: 'state', label: 'fleet.col.state', sort: (r) => STATE_RANK[r.state] ?? 9, cell: stateCell },
  { ...num('grid_kw', f.kw), label: 'fleet.col.grid' },
  { ...num('pv_kw', f.kw), label: 'fleet.col.pv' },
  { ...num('battery_kw', f.kw), label: 'fleet.col.ess' },
  { ...num('soc_pct', f.pct), label: 'fleet.col.soc' },
  {
    key: 'alarms', label: 'fleet.col.alarms', cell: alarmCell,
    sort: (r) => (r.alarms ? (r.alarms.count || 0) * 10 + (SEVERITY_RANK[r.alarms.severity] || 0) : null),
  },
  { ...num('bill_krw', f.won), label: 'fleet.col.bill' },
  { ...num('saving_krw', f.won), label: 'fleet.col.saving' },
];

function nameCell(r) {
  return el('span', { class: 'site-cell' },
    el('a', { href: `#/site/${encodeURIComponent(r.id)}`, title: t('fleet.open') }, r.name || r.id),
    ' ', el('span', { class: 'muted small' }, r.id));
}

function stateCell(r, today) {
  const since = r.state_since ? ` ${currentSince(r.state_since, today)}` : '';
  return el('span', {}, el('span', { class: `badge mode-${r.state || 'unknown'}` }, stateLabel(r.state)),
    el('span', { class: 'muted small' }, since));
}

// "since 14:05" / "14:05부터" (the date too when it is not the fleet's day).
function currentSince(iso, today) {
  const when = f.siteShort(iso, today);
  return currentLang() === 'ko' ? `${when}${t('fleet.since')}` : `${t('fleet.since')} ${when}`;
}

function alarmCell(r) {
  const a = r.alarms || {};
  if (!a.count) return el('span', { class: 'muted' }, '0');
  return el('span', { class: 'alarm-cell', title: a.message || '' },
    el('span', { class: `sev sev-${a.severity || 'info'}` }, String(a.count)), ' ',
    el('span', { class: 'msg' }, a.message || ''));
}

// What the search box matches: the name, id, kind, tariff and state (in both label forms).
function haystack(r) {
  return [r.name, r.id, r.kind, kindLabel(r.kind), r.tariff, r.state, stateLabel(r.state)].join(' ').toLowerCase();
}

export class FleetView {
  // `hooks`: report(key, error) and clear(key) for the page's error banner; canCommand(): whether
  // the user is an operator or admin.
  constructor(hooks) {
    this.hooks = hooks;
    this.fleet = null;       // the latest GET /api/fleet
    this.sort = { key: 'name', dir: 1 };
    this.query = '';
    this.sums = null;        // {grid_kw, pv_kw: Map<seconds, kW>, sites, range}
    this.timers = [];
    this.chart = null;
    this.busy = false;     // a fleet load is under way
    this.summing = false;  // a fleet-sum load is under way
    this.sumsTried = false;
    $('fleet-search').addEventListener('input', (e) => { this.query = e.target.value.trim().toLowerCase(); this.renderTable(); });
    $('fleet-body').addEventListener('click', (e) => {
      const row = e.target.closest('tr[data-site]');
      if (row && !e.target.closest('a')) location.hash = `#/site/${encodeURIComponent(row.dataset.site)}`;
    });
    $('fleet-body').addEventListener('keydown', (e) => {
      const row = e.target.closest('tr[data-site]');
      if (row && e.key === 'Enter') location.hash = `#/site/${encodeURIComponent(row.dataset.site)}`;
    });
    $('fleet-report-csv').addEventListener('click', (e) => { e.preventDefault(); this.report('csv'); });
    $('fleet-report-html').addEventListener('click', (e) => { e.preventDefault(); this.report('html'); });
    $('fleet-report-xlsx').addEventListener('click', (e) => { e.preventDefault(); this.report('xlsx'); });
    this.dr = new FleetDrPanel({
      report: hooks.report,
      clear: hooks.clear,
      canCommand: () => Boolean(hooks.canCommand && hooks.canCommand()),
      now: () => this.latest(),
      names: () => new Map((this.fleet?.sites || []).map((r) => [r.id, r.name || r.id])),
    });
  }

  // The fleet report with the session's token: the CSV and the Excel workbook saved as files, the HTML opened in a new
  // tab (opened at the click, so that no popup blocker stops it, and filled when the report comes).
  async report(format) {
    const tab = format === 'html' ? window.open('', '_blank') : null;
    try {
      const { blob, filename } = await api.fleetReport(format);
      const url = URL.createObjectURL(blob);
      if (tab) {
        tab.location.href = url;
      } else {
        const a = el('a', { href: url, download: filename || `openmeg-fleet-report.${format}` });
        document.body.append(a);
        a.click();
        a.remove();
      }
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      this.hooks.clear('fleet report');
    } catch (e) {
      if (tab) tab.close();
      this.hooks.report('fleet report', e);
    }
  }

  start() {
    this.stop();
    this.chart = this.chart || new FleetChart($('chart-fleet'));
    this.sumsTried = false;  // the first load brings the fleet sum up to date too
    this.load().then(() => this.dr.load());  // the DR card once the site names and time are known
    this.timers.push(setInterval(() => this.load(), REFRESH_MS));
    this.timers.push(setInterval(() => this.dr.load(), DR_MS));
    this.timers.push(setInterval(() => this.loadSums(), CHART_MS));
  }

  stop() {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  // Forgets what was loaded (a logout).
  reset() {
    this.stop();
    this.fleet = null;
    this.sums = null;
    this.sumsTried = false;
    this.query = '';
    $('fleet-search').value = '';
    if (this.chart) this.chart.clear();
    this.dr.reset();
  }

  async load() {
    if (this.busy) return;
    this.busy = true;
    try {
      this.fleet = await api.fleet();
      this.hooks.clear('fleet');
      this.render();
      if (!this.sumsTried) this.loadSums();  // the first chart as soon as a site time is known; then every 30 s
    } catch (e) {
      this.hooks.report('fleet', e);
    } finally {
      this.busy = false;
    }
  }

  // The latest site time of the fleet, in Unix seconds, or null.
  latest() {
    const times = (this.fleet?.sites || []).map((r) => f.epochSeconds(r.time)).filter((x) => x != null);
    return times.length ? Math.max(...times) : null;
  }

  // The fleet sum of grid and PV over the day before the fleet's latest site time.
  async loadSums() {
    const end = this.latest();
    if (end == null || this.summing) return;
    this.summing = true;
    this.sumsTried = true;
    const from = f.isoKst(end - 86400);
    const to = f.isoKst(end);
    try {
      const [grid, pv] = await Promise.all(['grid_kw', 'pv_kw'].map((p) => api.fleetTelemetry(p, from, to, '15m')));
      const toMap = (answer) => new Map((answer.buckets || []).map((b) => [f.epochSeconds(b.start), f.known(b.sum) ? b.sum : null]));
      this.sums = { grid_kw: toMap(grid), pv_kw: toMap(pv), sites: grid.sites, range: [end - 86400, end] };
      this.hooks.clear('fleet sum');
      this.renderChart();
    } catch (e) {
      this.hooks.report('fleet sum', e);
    } finally {
      this.summing = false;
    }
  }

  render() {
    this.renderTotals();
    this.renderHead();
    this.renderTable();
    this.renderChart();
  }

  // Everything again, in the current language.
  renderAll() {
    this.render();
    this.dr.render();
    if (this.dr.shown) this.dr.show();
  }

  renderTotals() {
    const totals = this.fleet?.totals || {};
    setText('fleet-site-count', f.known(totals.sites) ? String(totals.sites) : f.DASH);
    setText('fleet-grid-kw', f.kw(totals.grid_kw));
    setText('fleet-pv-kw', f.kw(totals.pv_kw));
    setText('fleet-battery-kw', f.kw(totals.battery_kw));
    setText('fleet-load-kw', f.kw(totals.load_kw));
    setText('fleet-bill-krw', totals.billed_sites ? f.won(totals.bill_krw) : f.DASH);
    setText('fleet-saving-krw', totals.billed_sites ? f.won(totals.saving_krw) : f.DASH);
    $('fleet-saving').className = `value ${totals.billed_sites && totals.saving_krw > 0 ? 'good' : totals.saving_krw < 0 ? 'warn' : ''}`;
    const states = totals.by_state || {};
    $('fleet-states').replaceChildren(...Object.keys(STATE_RANK).filter((s) => states[s] > 0).map((s) =>
      el('span', { class: `state-count mode-${s}`, dataset: { state: s } }, `${stateLabel(s)} ${states[s]}`)));
    const latest = this.latest();
    setText('fleet-time', latest != null ? `${f.siteDateTime(f.isoKst(latest))} KST` : '');
  }

  renderHead() {
    $('fleet-head').replaceChildren(...COLUMNS.map((c) => {
      const active = this.sort.key === c.key;
      const th = el('th', {
        class: c.numeric ? 'n sortable' : 'sortable', dataset: { key: c.key }, tabindex: 0,
        'aria-sort': active ? (this.sort.dir > 0 ? 'ascending' : 'descending') : 'none',
      }, t(c.label), active ? (this.sort.dir > 0 ? ' ▲' : ' ▼') : '');
      const sortBy = () => {
        this.sort = { key: c.key, dir: active ? -this.sort.dir : 1 };
        this.renderHead();
        this.renderTable();
      };
      th.addEventListener('click', sortBy);
      th.addEventListener('keydown', (e) => { if (e.key === 'Enter') sortBy(); });
      return th;
    }));
  }

  // The rows that match the search, in the chosen order (unknown values last either way).
  rows() {
    const all = Array.isArray(this.fleet?.sites) ? this.fleet.sites : [];
    const shown = this.query ? all.filter((r) => haystack(r).includes(this.query)) : [...all];
    const column = COLUMNS.find((c) => c.key === this.sort.key) || COLUMNS[0];
    const dir = this.sort.dir;
    return shown.sort((a, b) => {
      const x = column.sort(a);
      const y = column.sort(b);
      if (x == null || y == null) return x == null ? (y == null ? 0 : 1) : -1;
      if (typeof x === 'string') return dir * collator.compare(x, y);
      return x < y ? -dir : x > y ? dir : 0;
    });
  }

  renderTable() {
    const body = $('fleet-body');
    const all = Array.isArray(this.fleet?.sites) ? this.fleet.sites : null;
    const rows = this.rows();
    const latest = this.latest();
    const today = latest != null ? f.siteParts(f.isoKst(latest))?.date : null;
    if (!all) {
      body.replaceChildren(el('tr', {}, el('td', { colspan: COLUMNS.length, class: 'muted' }, f.DASH)));
    } else if (rows.length === 0) {
      body.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: COLUMNS.length, class: 'muted' }, t('fleet.none'))));
    } else {
      body.replaceChildren(...rows.map((r) => el('tr', {
        class: `site-row state-${r.state || 'unknown'}`, tabindex: 0, dataset: { site: r.id, state: r.state || '' },
      }, ...COLUMNS.map((c) => el('td', { class: c.numeric ? 'n' : '', dataset: { col: c.key } }, c.cell(r, today))))));
    }
    setText('fleet-shown', all ? t('fleet.shown', { n: rows.length, total: all.length }) : '');
  }

  renderChart() {
    const s = this.sums;
    setText('fleet-chart-info', s ? t('fleet.chart_sites', { n: s.sites }) : '');
    if (!this.chart || !s) return;
    this.chart.set(align([s.grid_kw, s.pv_kw]), s.range);
  }

  // Builds the chart again with the current language's labels.
  rebuild() {
    if (this.chart) this.chart.rebuild();
  }
}
