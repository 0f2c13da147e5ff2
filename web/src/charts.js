// uPlot charts: today's power at 1-minute resolution, forecast vs actual at 15 minutes, and the
// fleet's sum at 15 minutes.
// Each chart keeps its data, so a language switch rebuilds it with new labels at once.
// The x axis is Unix seconds shown in site time (KST); gaps (unknown values) stay null.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { t } from './i18n.js';
import { kw, pct, SITE_ZONE } from './format.js';

const HEIGHT = 260;

const pad = (n) => String(n).padStart(2, '0');
const siteDate = (ts) => uPlot.tzDate(new Date(ts * 1e3), SITE_ZONE);

// Tick labels in 24-hour site time; a tick at midnight shows the date.
function timeTicks(u, splits) {
  return splits.map((ts) => {
    const d = siteDate(ts);
    return d.getHours() === 0 && d.getMinutes() === 0 ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
      : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  });
}

const kwValue = (u, v) => (v == null ? '—' : `${kw(v)} kW`);
const pctValue = (u, v) => (v == null ? '—' : `${pct(v)} %`);

function line(labelKey, stroke, extra = {}) {
  return { label: t(labelKey), stroke, width: 1.5, value: kwValue, spanGaps: false, ...extra };
}

class Chart {
  constructor(container) {
    this.container = container;
    this.data = null;
    this.plot = null;
    this.xRange = null;  // [min, max] Unix seconds, or null: the data's
    new ResizeObserver(() => this.resize()).observe(container);
  }

  width() {
    return Math.max(300, this.container.clientWidth - 4);
  }

  resize() {
    if (this.plot && this.plot.width !== this.width()) this.plot.setSize({ width: this.width(), height: HEIGHT });
  }

  // Sets the data (uPlot's aligned arrays) and optionally the x range; builds the plot on first use.
  set(data, xRange = null) {
    this.data = data;
    this.xRange = xRange;
    if (this.plot) this.plot.setData(data);
    else this.build();
  }

  // Drops the data and the plot.
  clear() {
    if (this.plot) { this.plot.destroy(); this.plot = null; }
    this.data = null;
    this.xRange = null;
  }

  // Builds again with the current language's labels.
  rebuild() {
    if (this.plot) { this.plot.destroy(); this.plot = null; }
    if (this.data) this.build();
  }

  build() {
    const options = {
      width: this.width(),
      height: HEIGHT,
      tzDate: siteDate,
      cursor: { drag: { x: true, y: false } },
      legend: { live: true },
      ...this.options(),
    };
    this.plot = new uPlot(options, this.data, this.container);
  }
}

// Today's grid, PV, ESS and load (kW, left axis) and SoC (%, right axis), 1-minute means, over
// the whole site day.
export class TodayChart extends Chart {
  options() {
    return {
      scales: { x: { time: true, range: (u, min, max) => this.xRange || [min, max] }, kw: {}, pct: { range: [0, 100] } },
      series: [
        { label: t('audit.time'), value: '{YYYY}-{MM}-{DD} {HH}:{mm}' },
        line('chart.grid', '#2563eb', { scale: 'kw' }),
        line('chart.pv', '#d97706', { scale: 'kw', fill: 'rgba(217,119,6,0.08)' }),
        line('chart.battery', '#16a34a', { scale: 'kw' }),
        line('chart.load', '#334155', { scale: 'kw', width: 2 }),
        { label: t('chart.soc'), stroke: '#9333ea', width: 1, dash: [4, 4], scale: 'pct', value: pctValue },
      ],
      axes: [
        { values: timeTicks },
        { scale: 'kw', label: 'kW', size: 60 },
        { scale: 'pct', side: 1, label: '%', grid: { show: false }, size: 50 },
      ],
    };
  }
}

// Load and PV: the forecast (dashed) against what was measured (solid), 15-minute means.
export class ForecastChart extends Chart {
  options() {
    return {
      scales: { x: { time: true, range: (u, min, max) => this.xRange || [min, max] }, kw: {} },
      series: [
        { label: t('audit.time'), value: '{YYYY}-{MM}-{DD} {HH}:{mm}' },
        line('chart.load_forecast', '#334155', { scale: 'kw', dash: [6, 4] }),
        line('chart.load_actual', '#334155', { scale: 'kw', width: 2.5 }),
        line('chart.pv_forecast', '#d97706', { scale: 'kw', dash: [6, 4] }),
        line('chart.pv_actual', '#d97706', { scale: 'kw', width: 2.5 }),
      ],
      axes: [{ values: timeTicks }, { scale: 'kw', label: 'kW', size: 60 }],
    };
  }
}

// The fleet's sum of grid and PV power (kW), 15-minute buckets, over the last day.
export class FleetChart extends Chart {
  options() {
    return {
      scales: { x: { time: true, range: (u, min, max) => this.xRange || [min, max] }, kw: {} },
      series: [
        { label: t('audit.time'), value: '{YYYY}-{MM}-{DD} {HH}:{mm}' },
        line('chart.fleet_grid', '#2563eb', { scale: 'kw', width: 2 }),
        line('chart.fleet_pv', '#d97706', { scale: 'kw', fill: 'rgba(217,119,6,0.08)' }),
      ],
      axes: [{ values: timeTicks }, { scale: 'kw', label: 'kW', size: 70 }],
    };
  }
}

// Aligns series given as Map<seconds, value> onto one sorted x array (null where a series has none).
export function align(maps) {
  const xs = new Set();
  for (const m of maps) for (const x of m.keys()) xs.add(x);
  const x = [...xs].sort((a, b) => a - b);
  return [x, ...maps.map((m) => x.map((s) => (m.has(s) ? m.get(s) : null)))];
}
