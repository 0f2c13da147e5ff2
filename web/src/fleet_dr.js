// The fleet as one DR resource (the "DR resource" card of the fleet page): the aggregator's
// resource calls of GET /api/fleet/dr-events, each with its window, the reduction asked and its
// status; per trading hour the request, the members' committed shares, the resource CBL and the
// metered energy and reduction so far; per member its share, status, delivery, its DR desk's
// status and settlement; the notes (re-splits, refusals) and the resource's settlement once
// settled. Operators get a form that submits a resource call (POST /api/fleet/dr-events) and shows
// the server's error when it is refused. The card is shown only while the GET answers 200: a
// center without an aggregator (404) or a user limited to some sites (403) does not see it.

import { api, ApiError } from './api.js';
import { t, has } from './i18n.js';
import * as f from './format.js';
import { $, el, withUnit } from './dom.js';

const NOTICE_S = 3600;  // 제12.4.3.1조 ②: a reliability call is issued at least 60 min before its start

function label(prefix, value) {
  return value && has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : value || f.DASH;
}

// "16:00 (30 min)" for a trading hour the call covers only in part.
function hourLabel(h, today) {
  const start = f.siteShort(h.start, today);
  return h.minutes && h.minutes !== 60 ? `${start} (${h.minutes} ${t('unit.min')})` : start;
}

// A value and its unit in a table cell (right-aligned), "—" when unknown.
function numCell(text, unit) {
  return el('td', { class: 'n' }, text === f.DASH ? f.DASH : withUnit(text, unit));
}

// A datetime-local value ("2024-08-12T16:00") of Unix seconds, in site time.
function localValue(seconds) {
  return f.isoKst(seconds).slice(0, 16);
}

// The instant of a datetime-local value read as site time, or null.
function fromLocal(value) {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value || '') ? `${value}:00+09:00` : null;
}

export class FleetDrPanel {
  // `hooks`: report(key, error), clear(key), canCommand() (operator or admin), now() (the fleet's
  // latest site time, Unix seconds, or null) and names() (site id -> name).
  constructor(hooks) {
    this.hooks = hooks;
    this.calls = null;     // the latest answer, or null
    this.shown = false;    // the last GET answered 200
    this.answer = '';      // its text, to skip redrawing an unchanged answer
    this.busy = false;
    this.sending = false;
    this.generation = 0;   // bumped by reset(): an answer to an earlier session's request is dropped
    $('fleet-dr-form').addEventListener('submit', (e) => this.submit(e));
  }

  reset() {
    this.generation += 1;
    this.calls = null;
    this.shown = false;
    this.answer = '';
    $('fleet-dr').hidden = true;
    $('fleet-dr-calls').replaceChildren(el('p', { class: 'muted' }, f.DASH));
    for (const id of ['fleet-dr-start', 'fleet-dr-end', 'fleet-dr-kw']) $(id).value = '';
    $('fleet-dr-kind').value = 'reliability';
    this.message('', false);
  }

  async load() {
    if (this.busy) return;
    this.busy = true;
    const generation = this.generation;
    try {
      const calls = await api.fleetDrEvents();
      if (generation !== this.generation) return;
      this.hooks.clear('fleet DR');
      this.shown = true;
      const text = JSON.stringify(calls);
      if (text !== this.answer) {
        this.answer = text;
        this.calls = Array.isArray(calls) ? calls : [];
        this.render();
      }
      this.show();
    } catch (e) {
      if (generation !== this.generation) return;
      if (e instanceof ApiError && (e.status === 403 || e.status === 404)) {
        // No aggregator here, or a user who may not see every site: no card, and no fault.
        this.shown = false;
        this.calls = null;
        this.answer = '';
        $('fleet-dr').hidden = true;
        this.hooks.clear('fleet DR');
      } else {
        this.hooks.report('fleet DR', e);
      }
    } finally {
      this.busy = false;
    }
  }

  // Shows the card (and the form to operators), with a suggested window in an empty form: the
  // first full hour with more than the 60 minutes' notice, for an hour.
  show() {
    $('fleet-dr').hidden = !this.shown;
    const form = $('fleet-dr-form');
    form.hidden = !this.hooks.canCommand();
    const now = this.hooks.now();
    if (!form.hidden && now != null && $('fleet-dr-start').value === '' && $('fleet-dr-end').value === '') {
      const start = Math.ceil((now + NOTICE_S + 300) / 3600) * 3600;
      $('fleet-dr-start').value = localValue(start);
      $('fleet-dr-end').value = localValue(start + 3600);
    }
  }

  message(text, isError) {
    const node = $('fleet-dr-message');
    node.textContent = text;
    node.className = text ? (isError ? 'error' : 'ok') : '';
  }

  async submit(event) {
    event.preventDefault();
    if (this.sending) return;
    const start = fromLocal($('fleet-dr-start').value);
    const end = fromLocal($('fleet-dr-end').value);
    const kwText = $('fleet-dr-kw').value.trim();
    const kw = Number(kwText);
    if (!start || !end || !(f.epochSeconds(end) > f.epochSeconds(start))) {
      this.message(t('fdr.bad_time'), true);
      return;
    }
    if (kwText === '' || !Number.isFinite(kw) || kw <= 0) {
      this.message(t('fdr.bad_kw'), true);
      return;
    }
    const button = $('fleet-dr-submit');
    this.sending = true;
    button.disabled = true;
    this.message('', false);
    try {
      await api.fleetDrCall({ kind: $('fleet-dr-kind').value, start, end, requested_kw: kw });
      this.message(t('fdr.sent'), false);
      this.busy = false;  // a load under way may have been sent before the call: load again
      await this.load();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) { this.hooks.report('fleet DR', e); return; }
      this.message(e instanceof ApiError && e.status === 0 ? t('error.network') : e.message, true);
    } finally {
      this.sending = false;
      button.disabled = false;
    }
  }

  render() {
    const box = $('fleet-dr-calls');
    if (!this.shown) return;
    const calls = this.calls;
    if (!Array.isArray(calls) || calls.length === 0) {
      box.replaceChildren(el('p', { class: 'muted' }, calls ? t('fdr.none') : f.DASH));
      return;
    }
    const now = this.hooks.now();
    const today = now != null ? f.siteParts(f.isoKst(now))?.date : null;
    const names = this.hooks.names();
    // The newest call first.
    box.replaceChildren(...calls.map((c, i) => this.callBlock(c, i, now, today, names)).reverse());
  }

  callBlock(c, index, now, today, names) {
    const hours = Array.isArray(c.hours) ? c.hours : [];
    const started = (iso) => now != null && f.epochSeconds(iso) != null && f.epochSeconds(iso) < now;
    const head = el('p', { class: 'fdr-head' },
      el('strong', {}, `${label('dr.kind', c.kind)} ${f.siteDateTime(c.start)}–${f.siteTime(c.end)}`), ' · ',
      `${t('fdr.requested')} `, withUnit(f.kw(c.requested_kw), 'kW'), ' · ',
      el('span', { class: `badge fdr-status fdr-${c.status || 'unknown'}` }, label('fdr.status', c.status)), ' ',
      el('span', { class: 'muted small' }, `${t('fdr.issued')} ${f.siteShort(c.issued, today)}`));
    const totals = el('p', { class: 'small fdr-totals' },
      `${t('fdr.col.cbl')} `, c.cbl_kwh > 0 ? withUnit(f.kw(c.cbl_kwh), 'kWh') : f.DASH, ' · ',
      `${t('fdr.col.metered')} `, withUnit(f.kw(c.metered_kwh), 'kWh'), ' · ',
      `${t('fdr.col.reduction')} `, withUnit(f.kw(c.reduction_kwh), 'kWh'), ' / ',
      `${t('fdr.col.requested')} `, withUnit(f.kw(c.requested_kwh), 'kWh'),
      c.status === 'split' ? el('span', { class: 'muted' }, ` (${t('fdr.so_far')})`) : null);

    const hourTable = el('div', { class: 'table-wrap short' }, el('table', { class: 'fdr-hours' },
      el('thead', {}, el('tr', {}, ...[
        ['fdr.col.hour', ''], ['fdr.col.requested', 'kWh'], ['fdr.col.target', 'kW'], ['fdr.col.committed', 'kW'],
        ['fdr.col.shortfall', 'kW'], ['fdr.col.cbl', 'kWh'], ['fdr.col.metered', 'kWh'], ['fdr.col.reduction', 'kWh'],
      ].map(([k, unit], i) => el('th', { class: i ? 'n' : '' }, unit ? `${t(k)} (${unit})` : t(k))))),
      el('tbody', {}, ...hours.map((h) => el('tr', { dataset: { start: h.start || '' } },
        el('td', {}, hourLabel(h, today)),
        numCell(f.kw(h.requested_kwh), 'kWh'), numCell(f.kw(h.target_kw), 'kW'), numCell(f.kw(h.committed_kw), 'kW'),
        numCell(f.kw(h.shortfall_kw), 'kW'),
        // 0 until the members' desks have computed their CBLs (at the call's issue).
        numCell(h.cbl_kwh > 0 ? f.kw(h.cbl_kwh) : f.DASH, 'kWh'),
        numCell(started(h.start) ? f.kw(h.metered_kwh) : f.DASH, 'kWh'),
        numCell(started(h.start) ? f.kw(h.reduction_kwh) : f.DASH, 'kWh'))))));

    const hourNames = hours.map((h) => f.siteShort(h.start, today));
    // One value per trading hour; `soFar`: "—" for an hour not begun (nothing delivered yet).
    const perHour = (values, unit, soFar) => {
      const list = Array.isArray(values) ? values : [];
      if (list.length === 0) return el('td', { class: 'n' }, f.DASH);
      return el('td', { class: 'n' }, ...list.flatMap((v, i) => [
        i ? el('br') : null,
        list.length > 1 ? el('span', { class: 'muted small' }, `${hourNames[i] ?? ''} `) : null,
        soFar && !started(hours[i]?.start) ? f.DASH : withUnit(f.kw(v), unit)]));
    };
    const members = Array.isArray(c.members) ? c.members : [];
    const memberTable = el('div', { class: 'table-wrap' }, el('table', { class: 'fdr-members' },
      el('thead', {}, el('tr', {}, ...[
        ['fdr.col.site'], ['fdr.col.status'], ['fdr.col.shares', 'kW'], ['fdr.col.share_kw', 'kW'],
        ['fdr.col.delivered', 'kWh'], ['fdr.col.desk'], ['fdr.col.settlement'],
      ].map(([k, unit]) => el('th', {}, unit ? `${t(k)} (${unit})` : t(k))))),
      el('tbody', {}, ...members.map((m) => el('tr', {
        class: `fdr-member fdr-member-${m.status || 'unknown'}`,
        dataset: {
          site: m.site || '', status: m.status || '',
          shareKw: (Array.isArray(m.share_kw) ? m.share_kw : []).map((v) => (f.known(v) ? v.toFixed(1) : '')).join(' '),
        },
      },
      el('td', {}, names.get(m.site) || m.site, ' ', el('span', { class: 'muted small' }, m.site)),
      el('td', { class: 'detail' }, el('span', { class: `sev fdr-ms-${m.status || 'unknown'}` }, label('fdr.member', m.status)),
        m.message ? el('div', { class: 'muted small' }, m.message) : null),
      el('td', { class: 'shares' }, ...(Array.isArray(m.shares) && m.shares.length ? m.shares.flatMap((s, i) => [
        i ? el('br') : null,
        el('span', { class: 'muted small' }, `${f.siteShort(s.from, today)}–${f.siteShort(s.to, today)} `),
        withUnit(f.kw(s.kw), 'kW')]) : [f.DASH])),
      perHour(m.share_kw, 'kW', false),
      perHour(m.delivered_kwh, 'kWh', true),
      el('td', {}, Array.isArray(m.desk) && m.desk.length ? m.desk.map((d) => label('dr.status', d)).join(', ') : f.DASH),
      el('td', { class: 'n' }, m.settlement
        ? el('span', {}, withUnit(f.pct(m.settlement.performance_pct), '%'), ' · ',
          withUnit(f.won(m.settlement.energy_payment_krw), t('unit.krw')))
        : f.DASH))))));

    const notes = Array.isArray(c.notes) && c.notes.length
      ? el('details', { class: 'fdr-notes', open: c.notes.length <= 4 ? '' : null },
        el('summary', {}, `${t('fdr.notes')} (${c.notes.length})`),
        el('ul', { class: 'notes muted small' }, ...c.notes.map((n) => el('li', {}, n))))
      : null;

    return el('div', {
      class: 'fdr-call', dataset: { index: String(index), status: c.status || '', start: c.start || '', end: c.end || '' },
    }, head, totals,
    el('h3', {}, t('fdr.hours')), hourTable,
    el('h3', {}, t('fdr.members')), memberTable,
    notes, this.settlementBlock(c.settlement));
  }

  settlementBlock(s) {
    if (!s) return null;
    const fact = (key, value) => [el('dt', {}, t(key)), el('dd', {}, value)];
    const kwh = (v) => withUnit(f.kw(v), 'kWh');
    const krw = (v) => withUnit(f.won(v), t('unit.krw'));
    return el('div', { class: 'fdr-settlement' },
      el('h3', {}, t('fdr.settlement')),
      el('dl', { class: 'facts' },
        ...fact('fdr.set.requested', kwh(s.requested_kwh)),
        ...fact('fdr.set.measured', kwh(s.measured_kwh)),
        ...fact('fdr.set.recognised', kwh(s.recognised_kwh)),
        ...fact('fdr.set.shortfall', kwh(s.shortfall_kwh)),
        ...fact('fdr.set.performance', el('span', {}, withUnit(f.pct(s.performance_pct), '%'),
          s.below_80_pct ? el('span', { class: 'warn' }, ` · ${t('fdr.set.below_80')}`) : null)),
        ...fact('fdr.set.payment', krw(s.energy_payment_krw)),
        ...fact('fdr.set.penalty', krw(s.performance_penalty_krw))),
      Array.isArray(s.notes) && s.notes.length
        ? el('ul', { class: 'notes muted small' }, ...s.notes.map((n) => el('li', {}, n))) : null);
  }
}
