// OCPP 1.6J charge points for the central system's tests (tests/device/ocpp_test.cc), built on
// the npm package ocpp-rpc: a peer OpenMEG did not write, in strict mode, so every answer and every
// call of the central system is checked against OCPP 1.6's JSON schemas by ocpp-rpc itself.
//
// Usage: node charge_points.mjs --url ws://127.0.0.1:PORT/ocpp --scenario NAME [--count N]
//                               [--prefix cp] [--draw-kw 22.08]
// Prints one JSON object per line (what the charge points saw, and "done" with the scenario's
// outcome); exits 0 when the scenario ran to its end, 1 otherwise (the reason printed).
//
// Scenarios (each charge point: BootNotification, StatusNotification, Authorize,
// StartTransaction, then):
//   session    meter values every 200 ms drawing min(draw, limit); waits for a TxProfile; follows it
//              for 1 s; stops.
//   reconnect  as session, but drops its connection after the first meter values and connects
//              again (a new WebSocket, same identity), sends the meter values it kept, then stops.
//   ignore     accepts every profile but keeps drawing `draw`; stops after 3 s.
//   bad-meter  one good meter value, then: one out of order, one going back, one absurd power,
//              one that is not a number; then a good one and stops.
//   fleet      N charge points at once; each sends meter values until it holds a TxProfile, and
//              reports the time from its last meter value to the profile; stops.
//   unknown    connects as an identity the site does not have; expects the connection refused.
//   boot       boots and waits for the default profile (nothing else asked of the central system).
//   remote     a session stopped by RemoteStopTransaction, then RemoteStartTransaction,
//              ChangeAvailability and ClearChargingProfile received and accepted.
//   latency    N charge points at once; each sends `rounds` meter values, its power changing each
//              time, and waits for the profile that answers each; prints the times from meter
//              value sent to profile received, and their p50 and p99 (bench/device/ocpp_bench.cc).
import { RPCClient } from 'ocpp-rpc';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const url = args.url;
const scenario = args.scenario;
const count = Number(args.count ?? 1);
const prefix = args.prefix ?? 'cp';
const drawKw = Number(args['draw-kw'] ?? 22.08);
const rounds = Number(args.rounds ?? 20);

const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => new Date().toISOString();

// One charge point with one connector, 3 phases at 230 V.
class ChargePoint {
  constructor(identity) {
    this.identity = identity;
    this.limitA = null; // the TxProfile in force, A per phase
    this.defaultA = null; // the TxDefaultProfile in force
    this.energyWh = 1000; // its register at the start
    this.profiles = [];
    this.lastMeterSent = 0;
    this.lastMeterAt = null; // the time of its last meter value, ms
  }

  client() {
    const cli = new RPCClient({ endpoint: url, identity: this.identity, protocols: ['ocpp1.6'], strictMode: true, reconnect: false });
    cli.on('strictValidationFailure', (e) => out({ cp: this.identity, event: 'schema-failure', error: String(e.error?.message ?? e) }));
    cli.handle('SetChargingProfile', ({ params }) => {
      const p = params.csChargingProfiles;
      const limit = p.chargingSchedule.chargingSchedulePeriod[0].limit;
      const at = Date.now();
      this.lastProfileAt = performance.now();
      if (p.chargingProfilePurpose === 'TxProfile') this.limitA = limit;
      else this.defaultA = limit;
      this.profiles.push({ purpose: p.chargingProfilePurpose, limit, tx: p.transactionId ?? null });
      out({ cp: this.identity, event: 'profile', purpose: p.chargingProfilePurpose, limitA: limit, connector: params.connectorId,
            tx: p.transactionId ?? null, unit: p.chargingSchedule.chargingRateUnit, msSinceMeter: at - this.lastMeterSent });
      return { status: 'Accepted' };
    });
    // The operator's calls: logged, accepted; a remote stop ends the session as a charger would.
    this.calls = [];
    for (const action of ['ClearChargingProfile', 'RemoteStopTransaction', 'RemoteStartTransaction', 'ChangeAvailability']) {
      cli.handle(action, ({ params }) => {
        this.calls.push(action);
        out({ cp: this.identity, event: 'call', action, params });
        if (action === 'RemoteStopTransaction') this.stopAsked = params.transactionId;
        return { status: 'Accepted' };
      });
    }
    this.cli = cli;
    return cli;
  }

  async start() {
    // The central system may still be starting (`meg run`): try again for 20 s.
    let cli;
    for (const end = Date.now() + 20000; ;) {
      cli = this.client();
      try {
        await cli.connect();
        break;
      } catch (e) {
        if (Date.now() > end || !/ECONNREFUSED/.test(String(e?.message ?? e))) throw e;
        await sleep(200);
      }
    }
    const boot = await cli.call('BootNotification', { chargePointVendor: 'ocpp-rpc', chargePointModel: 'test-cp' });
    out({ cp: this.identity, event: 'boot', status: boot.status, interval: boot.interval });
    await cli.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Preparing', timestamp: now() });
    const auth = await cli.call('Authorize', { idTag: 'TAG-' + this.identity });
    const start = await cli.call('StartTransaction', { connectorId: 1, idTag: 'TAG-' + this.identity, meterStart: this.energyWh, timestamp: now() });
    this.tx = start.transactionId;
    this.lastMeterAt = Date.now();
    out({ cp: this.identity, event: 'started', tx: this.tx, auth: auth.idTagInfo.status, status: start.idTagInfo.status });
    await cli.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging', timestamp: now() });
  }

  // The power it draws now, kW: `draw`, held under the profile in force unless it ignores them.
  power(ignore) {
    const a = this.limitA ?? this.defaultA;
    if (ignore || a === null) return drawKw;
    return Math.min(drawKw, (3 * 230 * a) / 1000);
  }

  // A meter value at `at` (ms since 1970; default now), the register advanced by the power drawn
  // since the last one; returns its payload (kept, for a replay after a reconnection).
  meter(ignore, at = Date.now()) {
    const kw = this.power(ignore);
    const ms = this.lastMeterAt === null ? 0 : Math.max(0, at - this.lastMeterAt);
    this.lastMeterAt = at;
    this.energyWh += (kw * 1000 * ms) / 3600000;
    const timestamp = new Date(at).toISOString();
    return {
      connectorId: 1,
      transactionId: this.tx,
      meterValue: [{ timestamp, sampledValue: [
        { value: this.energyWh.toFixed(1), measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
        { value: (kw * 1000).toFixed(0), measurand: 'Power.Active.Import', unit: 'W' },
      ] }],
    };
  }

  async send(payload) {
    this.lastMeterSent = Date.now();
    await this.cli.call('MeterValues', payload);
  }

  async stop(reason = 'Local') {
    await this.cli.call('StopTransaction', { transactionId: this.tx, meterStop: Math.round(this.energyWh), timestamp: now(), reason });
    out({ cp: this.identity, event: 'stopped', tx: this.tx, meterStopWh: Math.round(this.energyWh), kwh: (Math.round(this.energyWh) - 1000) / 1000 });
    await this.cli.close();
  }
}

async function waitFor(cond, ms) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

async function runSession(cp, ignore, seconds) {
  await cp.start();
  // Meter values every 200 ms until a TxProfile is in force, then `seconds` more.
  const end = Date.now() + 15000;
  while (cp.limitA === null) {
    if (Date.now() > end) throw new Error('no TxProfile within 15 s');
    await cp.send(cp.meter(ignore));
    await waitFor(() => cp.limitA !== null, 200);
  }
  for (let i = 0; i < seconds * 5; ++i) {
    await sleep(200);
    await cp.send(cp.meter(ignore));
  }
}

async function main() {
  if (scenario === 'unknown') {
    const cli = new RPCClient({ endpoint: url, identity: 'not-in-the-site', protocols: ['ocpp1.6'], reconnect: false });
    try {
      await cli.connect();
      out({ event: 'done', ok: false, why: 'an unknown charge point was let in' });
      return 1;
    } catch (e) {
      out({ event: 'refused', error: String(e.message ?? e) });
      out({ event: 'done', ok: true });
      return 0;
    }
  }
  if (scenario === 'boot') {
    // Boots and waits for the default profile the central system sends after every boot.
    const cp = new ChargePoint(`${prefix}1`);
    const cli = cp.client();
    await cli.connect();
    const boot = await cli.call('BootNotification', { chargePointVendor: 'ocpp-rpc', chargePointModel: 'test-cp' });
    out({ cp: cp.identity, event: 'boot', status: boot.status, interval: boot.interval });
    if (!(await waitFor(() => cp.defaultA !== null, 5000))) throw new Error('no TxDefaultProfile within 5 s of the boot');
    await cli.close();
    out({ event: 'done', ok: true });
    return 0;
  }
  if (scenario === 'remote') {
    // A session the operator stops remotely (the charger then stops it), then a remote start, a
    // change of availability and the profiles cleared, each answered Accepted.
    const cp = new ChargePoint(`${prefix}1`);
    await cp.start();
    await cp.send(cp.meter(false));
    if (!(await waitFor(() => cp.stopAsked === cp.tx, 15000))) throw new Error('no RemoteStopTransaction of the session');
    await cp.stop('Remote');
    const again = cp.client();
    await again.connect();
    const want = ['RemoteStartTransaction', 'ChangeAvailability', 'ClearChargingProfile'];
    if (!(await waitFor(() => want.every((a) => cp.calls.includes(a)), 15000))) {
      throw new Error(`calls received: ${cp.calls.join(', ')}`);
    }
    await again.close();
    out({ event: 'done', ok: true });
    return 0;
  }
  if (scenario === 'session' || scenario === 'ignore') {
    const cp = new ChargePoint(`${prefix}1`);
    await runSession(cp, scenario === 'ignore', scenario === 'ignore' ? 3 : 1);
    out({ cp: cp.identity, event: 'drawing', kw: cp.power(scenario === 'ignore') });
    await cp.stop();
    out({ event: 'done', ok: true });
    return 0;
  }
  if (scenario === 'reconnect') {
    const cp = new ChargePoint(`${prefix}1`);
    await cp.start();
    await sleep(300);
    await cp.send(cp.meter(false));
    cp.cli.close({ force: true }); // the link drops
    out({ cp: cp.identity, event: 'dropped' });
    const kept = [];
    for (let i = 0; i < 2; ++i) { // measured while offline
      await sleep(250);
      kept.push(cp.meter(false));
    }
    const again = cp.client();
    await again.connect();
    out({ cp: cp.identity, event: 'reconnected' });
    for (const m of kept) await cp.send(m);
    await cp.stop('EVDisconnected');
    out({ event: 'done', ok: true });
    return 0;
  }
  if (scenario === 'bad-meter') {
    const cp = new ChargePoint(`${prefix}1`);
    await cp.start();
    const t0 = Date.now();
    const at = (ms) => new Date(t0 + ms).toISOString();
    await cp.send(cp.meter(false, t0 + 1000)); // good
    const good = cp.energyWh;
    const mv = (ts, wh, w) => ({ connectorId: 1, transactionId: cp.tx, meterValue: [{ timestamp: ts, sampledValue: [
      { value: String(wh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
      { value: String(w), measurand: 'Power.Active.Import', unit: 'W' }] }] });
    await cp.send(mv(at(500), good + 1, 22080)); // older than the last: out of order
    await cp.send(mv(at(2000), good - 500, 22080)); // the register goes back
    await cp.send(mv(at(3000), good + 10, 5000000)); // 5 MW on a 22 kW connector
    try {
      await cp.send(mv(at(4000), good + 10, 'NaN')); // not a number: a CALLERROR is the answer
      out({ cp: cp.identity, event: 'nan-accepted' });
    } catch (e) {
      out({ cp: cp.identity, event: 'call-error', error: String(e.message ?? e) });
    }
    out({ cp: cp.identity, event: 'sent-bad' });
    cp.energyWh = good + 5; // a good one after all that: 5 Wh in 4 s is 4.5 kW
    await cp.send(mv(at(5000), cp.energyWh, 4500));
    await cp.stop();
    out({ event: 'done', ok: true });
    return 0;
  }
  if (scenario === 'fleet') {
    const cps = Array.from({ length: count }, (_, i) => new ChargePoint(`${prefix}${i + 1}`));
    await Promise.all(cps.map((cp) => cp.start()));
    out({ event: 'all-started', count });
    await Promise.all(cps.map(async (cp) => {
      const end = Date.now() + 30000;
      while (cp.limitA === null) {
        if (Date.now() > end) throw new Error(`${cp.identity}: no TxProfile within 30 s`);
        await cp.send(cp.meter(false));
        await waitFor(() => cp.limitA !== null, 500);
      }
    }));
    await Promise.all(cps.map((cp) => cp.stop()));
    out({ event: 'done', ok: true });
    return 0;
  }
  if (scenario === 'latency') {
    const cps = Array.from({ length: count }, (_, i) => new ChargePoint(`${prefix}${i + 1}`));
    await Promise.all(cps.map((cp) => cp.start()));
    out({ event: 'all-started', count });
    const times = [];
    await Promise.all(cps.map(async (cp) => {
      for (let k = 0; k < rounds; ++k) {
        const before = cp.profiles.length;
        const kw = k % 2 === 0 ? 3.0 : 6.0; // what the car draws: the central side answers each change
        const payload = { connectorId: 1, transactionId: cp.tx, meterValue: [{ timestamp: now(), sampledValue: [
          { value: String(kw * 1000), measurand: 'Power.Active.Import', unit: 'W' }] }] };
        const sent = performance.now();
        await cp.send(payload);
        if (!(await waitFor(() => cp.profiles.length > before, 5000))) throw new Error(`${cp.identity}: no profile within 5 s`);
        times.push(cp.lastProfileAt - sent); // when the handler got it, not when the poll saw it
        await sleep(50 + Math.random() * 100);
      }
    }));
    times.sort((a, b) => a - b);
    const q = (p) => times[Math.min(times.length - 1, Math.floor(p * (times.length - 1)))];
    out({ event: 'latency', samples: times.length, p50_ms: q(0.5), p99_ms: q(0.99), max_ms: times[times.length - 1] });
    await Promise.all(cps.map((cp) => cp.stop()));
    out({ event: 'done', ok: true });
    return 0;
  }
  out({ event: 'done', ok: false, why: `unknown scenario '${scenario}'` });
  return 1;
}

main().then(
  (code) => process.exit(code),
  (e) => { out({ event: 'done', ok: false, why: String(e?.message ?? e) }); process.exit(1); },
);
