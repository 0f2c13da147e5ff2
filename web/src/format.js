// Number and time formatting. Unknown values (null, undefined, NaN) show as "—", never 0.
// Times are shown in site time (KST), whatever the browser's zone.

export const DASH = '—';
export const SITE_ZONE = 'Asia/Seoul';

const kwFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const wonFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const pctFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function known(value) {
  return typeof value === 'number' && Number.isFinite(value);
}

// Rounds to one decimal first, so a small negative value shows as 0.0, not -0.0.
export function kw(value) {
  if (!known(value)) return DASH;
  const r = Math.round(value * 10) / 10;
  return kwFormat.format(r === 0 ? 0 : r);
}

export function won(value) {
  return known(value) ? wonFormat.format(value) : DASH;
}

export function pct(value) {
  if (!known(value)) return DASH;
  const r = Math.round(value * 10) / 10;
  return pctFormat.format(r === 0 ? 0 : r);
}

const zoneParts = new Intl.DateTimeFormat('en-CA', {
  timeZone: SITE_ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

// Returns {date: "YYYY-MM-DD", time: "HH:MM:SS"} of an ISO 8601 instant in site time, or null.
// A string already written with the KST offset is read as written (no round trip through Date).
export function siteParts(iso) {
  if (typeof iso !== 'string' || iso === '') return null;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.\d+)?\+09:?00$/.exec(iso);
  if (m) return { date: m[1], time: m[2] };
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  const p = Object.fromEntries(zoneParts.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}:${p.second}` };
}

export function siteDateTime(iso) {
  const p = siteParts(iso);
  return p ? `${p.date} ${p.time}` : DASH;
}

export function siteTime(iso) {
  const p = siteParts(iso);
  return p ? p.time : DASH;
}

// "HH:MM" if `iso` is on `today` (YYYY-MM-DD, site time), else "MM-DD HH:MM".
export function siteShort(iso, today) {
  const p = siteParts(iso);
  if (!p) return DASH;
  const hm = p.time.slice(0, 5);
  return p.date === today ? hm : `${p.date.slice(5)} ${hm}`;
}

// Midnight of the site day that holds `iso`, as an ISO string with the KST offset.
export function siteDayStart(iso) {
  const p = siteParts(iso);
  return p ? `${p.date}T00:00:00+09:00` : null;
}

// An instant for a query parameter: whole seconds (the fraction dropped), offset kept.
export function queryTime(iso) {
  return typeof iso === 'string' ? iso.replace(/\.\d+(?=(Z|[+-]\d{2}:?\d{2})$)/, '') : iso;
}

export function epochSeconds(iso) {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms / 1000;
}

// An ISO 8601 instant with the KST offset ("2024-08-12T14:00:00+09:00") of Unix seconds.
export function isoKst(seconds) {
  return `${new Date((Math.floor(seconds) + 9 * 3600) * 1000).toISOString().slice(0, 19)}+09:00`;
}
