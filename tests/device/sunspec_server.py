#!/usr/bin/python3
"""A SunSpec device on Modbus TCP for the ModbusDevice integration tests.

Serves a SunSpec register image at 40000 (0-based PDU addresses) with Debian's pymodbus 3.0.0
and simulates the device behind it:

  battery: common 1 + inverter 103 + storage 124. W follows StorCtl_Mod and OutWRte/InWRte
           (percent of WChaMax); ChaState (SoC) moves with W over time.
  pv:      common 1 + inverter 103 + nameplate 120 + immediate controls 123. W is the available
           power, capped by WMaxLimPct (percent of WRtg) while WMaxLim_Ena = 1.
  meter:   common 1 + meter 203 with a fixed W (+ import).
  generator: no SunSpec, a plain vendor map (a fuel cell's controller): AC output W as int32 at
           40000..40001, rating in 0.1 kW (uint16) at 40002, output setpoint in 0.1 kW (uint16)
           at 40010. The output follows the setpoint at once, held to 0..rating.
  thermal-storage: no SunSpec, a plain vendor map (a chilled-water or ice storage's plant
           controller): at 40000 the electricity its discharge saves in 0.1 kW (int16, + saved /
           - spent charging), 40001 SoC in 0.01 % (uint16), 40002 / 40003 max charge / discharge
           in 0.1 kW of cooling (uint16; 30 and 40 kW), 40004 the chillers' COP in 0.01 (int16,
           --cop), 40005 rating in kW of cooling (uint16, 40); the setpoint in 0.1 kW of cooling
           (int16, + discharge / - charge) at 40010. The cooling held follows the setpoint at
           once, held to -30..+40 kW and to 0 once the store is full (charging) or empty
           (discharging); the power is that cooling / COP (0 while the COP is not above 0: the
           chillers' electricity is then unknown); the SoC moves with the cooling held since the
           last access, over --capacity-kwh of cooling.

--garbage serves nonsense: soc (ChaState 250 %), ni (W "not implemented"), chain (a model
length that runs past the address space).

Run with /usr/bin/python3 (Debian's python3-pymodbus). Prints "ready" once it listens.
Register offsets follow the SunSpec model definitions (github.com/sunspec/models, json/).
"""

import argparse
import asyncio
import logging
import signal
import sys
import time

# Debian's python3-pymodbus imports python3-serial and python3-serial-asyncio at load time without
# depending on them; scripts/setup installs both.
from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.server.async_io import ModbusTcpServer

BASE = 40000
SIZE = 256  # registers served from BASE; reads outside give ILLEGAL DATA ADDRESS
NI_INT16 = 0x8000
NI_UINT16 = 0xFFFF

# Values the tests check (tests/device/modbus_device_test.cc keeps the same numbers).
INVERTER_W_SF = 1  # battery inverter W in 10 W steps
W_CHA_MAX = 2500  # with WChaMax_SF = 1: 25000 W = 25 kW
W_CHA_MAX_SF = 1
CHA_STATE_SF = -2  # SoC in 0.01 %
IN_OUT_W_RTE_SF = -2  # rates in 0.01 %
PV_W_RTG = 10000  # WRtg_SF = 0: 10 kW
PV_W_MAX_LIM_PCT_SF = -1  # limit in 0.1 %
METER_W = 1234  # with W_SF = 1: 12340 W = 12.34 kW import
GEN_POWER_W = BASE + 0  # int32, W, high word first
GEN_RATED = BASE + 2  # uint16, 0.1 kW
GEN_SETPOINT = BASE + 10  # uint16, 0.1 kW
GEN_RATED_KW = 50.0
TS_POWER = BASE + 0  # int16, 0.1 kW of electricity, + saved by discharging / - spent charging
TS_SOC = BASE + 1  # uint16, 0.01 %
TS_MAX_CHARGE = BASE + 2  # uint16, 0.1 kW of cooling
TS_MAX_DISCHARGE = BASE + 3  # uint16, 0.1 kW of cooling
TS_COP = BASE + 4  # int16, 0.01
TS_RATED = BASE + 5  # uint16, kW of cooling
TS_SETPOINT = BASE + 10  # int16, 0.1 kW of cooling, + discharge / - charge
TS_MAX_CHARGE_KW = 30.0
TS_MAX_DISCHARGE_KW = 40.0
TS_RATED_KW = 40


def u16(v):
    return v & 0xFFFF


def text(s, registers):
    """A SunSpec string: two ASCII bytes a register, high byte first, NUL padded."""
    raw = s.encode("ascii")[: 2 * registers].ljust(2 * registers, b"\0")
    return [(raw[i] << 8) | raw[i + 1] for i in range(0, len(raw), 2)]


def common_model(model):
    # Model 1: ID, L=66, Mn[16] @2, Md[16] @18, Opt[8] @34, Vr[8] @42, SN[16] @50, DA @66, Pad @67.
    regs = [1, 66]
    regs += text("OpenMEG", 16) + text(model, 16) + text("", 8) + text("1.0", 8)
    regs += text("FIX-0001", 16) + [1, 0]
    return regs


def inverter_model(w_sf):
    # Model 103, L=50: W @14, W_SF @15; the rest not implemented or zero.
    regs = [103, 50] + [0] * 50
    for off in (2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 16, 27, 29):
        regs[off] = NI_UINT16
    regs[14] = 0
    regs[15] = u16(w_sf)
    regs[38] = 4  # St = MPPT
    return regs


def storage_model(soc_pct):
    # Model 124, L=24: WChaMax @2, StorCtl_Mod @5, ChaState @8, ChaSt @11, OutWRte @12,
    # InWRte @13, WChaMax_SF @18, ChaState_SF @22, InOutWRte_SF @25.
    regs = [124, 24] + [0] * 24
    regs[2] = W_CHA_MAX
    regs[3] = regs[4] = NI_UINT16
    regs[6] = regs[7] = regs[9] = regs[10] = NI_UINT16
    regs[8] = u16(round(soc_pct / 10**CHA_STATE_SF))
    regs[11] = 6  # HOLDING
    regs[18] = u16(W_CHA_MAX_SF)
    regs[19] = regs[20] = regs[21] = regs[23] = regs[24] = NI_INT16
    regs[22] = u16(CHA_STATE_SF)
    regs[25] = u16(IN_OUT_W_RTE_SF)
    return regs


def nameplate_model():
    # Model 120, L=26: DERTyp @2, WRtg @3, WRtg_SF @4; the rest not implemented.
    regs = [120, 26] + [NI_UINT16] * 26
    regs[2] = 4  # PV
    regs[3] = PV_W_RTG
    regs[4] = 0
    return regs


def controls_model():
    # Model 123, L=24: Conn @4, WMaxLimPct @5, WMaxLim_Ena @9, WMaxLimPct_SF @23.
    regs = [123, 24] + [0] * 24
    regs[4] = 1
    regs[5] = 1000  # 100.0 %
    regs[23] = u16(PV_W_MAX_LIM_PCT_SF)
    regs[24] = regs[25] = NI_INT16
    return regs


def meter_model():
    # Model 203, L=105: W @18, WphA..C @19..21, W_SF @22.
    regs = [203, 105] + [0] * 105
    regs[18] = u16(METER_W)
    regs[19] = regs[20] = regs[21] = NI_INT16
    regs[22] = 1
    return regs


class Device:
    """The image and the physics behind it. Offsets are absolute addresses of points."""

    def __init__(self, args):
        self.kind = args.kind
        self.garbage = args.garbage
        self.capacity_kwh = args.capacity_kwh
        self.time_scale = args.time_scale
        self.pv_available_w = args.pv_available_kw * 1000.0
        self.soc = args.soc
        self.w = 0.0
        self.last = time.monotonic()
        if args.kind == "generator":
            self.values = [0] * SIZE
            self.set_abs(GEN_RATED, round(GEN_RATED_KW * 10))
            self.set_abs(GEN_SETPOINT, round(args.generator_kw * 10))
            self.update()
            return
        if args.kind == "thermal-storage":
            self.values = [0] * SIZE
            self.set_abs(TS_SOC, round(args.soc * 100))
            self.set_abs(TS_MAX_CHARGE, round(TS_MAX_CHARGE_KW * 10))
            self.set_abs(TS_MAX_DISCHARGE, round(TS_MAX_DISCHARGE_KW * 10))
            self.set_abs(TS_COP, round(args.cop * 100))
            self.set_abs(TS_RATED, TS_RATED_KW)
            self.cooling_kw = 0.0
            self.update()
            return
        models = [common_model("Fixture " + args.kind)]
        if args.kind == "battery":
            models += [inverter_model(INVERTER_W_SF), storage_model(args.soc)]
        elif args.kind == "pv":
            models += [inverter_model(0), nameplate_model(), controls_model()]
        else:
            models += [meter_model()]
        image = [0x5375, 0x6E53]  # "SunS"
        self.addr = {}
        for m in models:
            self.addr[m[0]] = BASE + len(image)
            image += m
        image += [0xFFFF, 0]  # end of the chain
        image += [0] * (SIZE - len(image))
        self.values = image
        if self.garbage == "soc" and args.kind == "battery":
            self.put(124, 8, 25000)  # 250.00 %
        if self.garbage == "ni":
            if args.kind == "meter":
                self.put(203, 18, NI_INT16)
            else:
                self.put(103, 14, NI_INT16)
        if self.garbage == "chain":
            second = models[1][0]
            self.put(second, 1, 65000)  # runs past the 16-bit address space
        self.update()

    def get(self, model, offset):
        return self.values[self.addr[model] - BASE + offset]

    def put(self, model, offset, value):
        self.values[self.addr[model] - BASE + offset] = u16(value)

    def get_abs(self, address):
        return self.values[address - BASE]

    def set_abs(self, address, value):
        self.values[address - BASE] = u16(value)

    @staticmethod
    def s16(v):
        return v - 0x10000 if v >= 0x8000 else v

    def update(self):
        """Moves the physics on to now and recomputes W from the controls."""
        now = time.monotonic()
        dt_h = (now - self.last) * self.time_scale / 3600.0
        self.last = now
        if self.garbage in ("ni", "chain"):
            return
        if self.kind == "battery":
            self.update_battery(dt_h)
        elif self.kind == "pv":
            self.update_pv()
        elif self.kind == "generator":
            self.update_generator()
        elif self.kind == "thermal-storage":
            self.update_thermal_storage(dt_h)

    def update_battery(self, dt_h):
        # SoC moves with the power held since the last access; then W follows the controls.
        if self.garbage != "soc":
            self.soc -= self.w / 1000.0 * dt_h / self.capacity_kwh * 100.0
            self.soc = min(100.0, max(0.0, self.soc))
            self.put(124, 8, round(self.soc / 10**CHA_STATE_SF))
        w_cha_max = self.get(124, 2) * 10**W_CHA_MAX_SF
        mode = self.get(124, 5)
        rte_scale = 10**IN_OUT_W_RTE_SF
        out_pct = self.s16(self.get(124, 12)) * rte_scale
        in_pct = self.s16(self.get(124, 13)) * rte_scale
        w = 0.0
        if mode & 0b10:  # DISCHARGE bit: OutWRte percent of WChaMax
            w += max(0.0, min(out_pct, 100.0)) / 100.0 * w_cha_max
        if mode & 0b01:  # CHARGE bit: InWRte percent of WChaMax
            w -= max(0.0, min(in_pct, 100.0)) / 100.0 * w_cha_max
        if (self.soc <= 0.0 and w > 0) or (self.soc >= 100.0 and w < 0):
            w = 0.0
        self.w = w
        self.put(124, 11, 3 if w > 0 else 4 if w < 0 else 6)  # ChaSt
        self.put(103, 14, round(w / 10**INVERTER_W_SF))

    def update_generator(self):
        rated_w = self.get_abs(GEN_RATED) * 100
        w = max(0, min(self.get_abs(GEN_SETPOINT) * 100, rated_w))
        self.set_abs(GEN_POWER_W, (w >> 16) & 0xFFFF)
        self.set_abs(GEN_POWER_W + 1, w & 0xFFFF)

    def update_thermal_storage(self, dt_h):
        # The SoC moves with the cooling held since the last access; then the cooling follows
        # the setpoint, within the limits and the store's state.
        self.soc -= self.cooling_kw * dt_h / self.capacity_kwh * 100.0
        self.soc = min(100.0, max(0.0, self.soc))
        self.set_abs(TS_SOC, round(self.soc * 100))
        kw = self.s16(self.get_abs(TS_SETPOINT)) / 10.0
        kw = max(-TS_MAX_CHARGE_KW, min(kw, TS_MAX_DISCHARGE_KW))
        if (self.soc <= 0.0 and kw > 0) or (self.soc >= 100.0 and kw < 0):
            kw = 0.0
        self.cooling_kw = kw
        cop = self.s16(self.get_abs(TS_COP)) / 100.0
        electricity_kw = kw / cop if cop > 0 else 0.0
        self.set_abs(TS_POWER, round(electricity_kw * 10))

    def update_pv(self):
        w = self.pv_available_w
        if self.get(123, 9) == 1:  # WMaxLim_Ena
            pct = self.get(123, 5) * 10**PV_W_MAX_LIM_PCT_SF
            w = min(w, pct / 100.0 * PV_W_RTG)
        self.put(103, 14, round(w))


class SimulatedBlock(ModbusSequentialDataBlock):
    """Holding registers that run the device's physics on every access."""

    def __init__(self, device):
        super().__init__(BASE, device.values)
        self.device = device
        self.values = device.values  # one list, shared

    def getValues(self, address, count=1):  # noqa: N802 (pymodbus API)
        self.device.update()
        return super().getValues(address, count)

    def setValues(self, address, values):  # noqa: N802 (pymodbus API)
        self.device.update()
        super().setValues(address, values)
        self.device.update()


async def serve(args):
    device = Device(args)
    block = SimulatedBlock(device)
    slave = ModbusSlaveContext(hr=block, ir=block, zero_mode=True)
    context = ModbusServerContext(slaves=slave, single=True)
    server = ModbusTcpServer(context, address=(args.host, args.port), allow_reuse_address=True)
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.shutdown()
    task.cancel()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument(
        "--kind", choices=("battery", "pv", "meter", "generator", "thermal-storage"), required=True
    )
    p.add_argument("--garbage", nargs="?", const="soc", choices=("soc", "ni", "chain"))
    p.add_argument("--soc", type=float, default=50.0, help="initial SoC, percent")
    p.add_argument("--capacity-kwh", type=float, default=50.0, help="thermal storage: of cooling")
    p.add_argument("--pv-available-kw", type=float, default=8.0)
    p.add_argument("--generator-kw", type=float, default=0.0, help="initial output setpoint")
    p.add_argument("--cop", type=float, default=4.0, help="thermal storage: the chillers' COP")
    p.add_argument("--time-scale", type=float, default=1.0, help="simulated s per wall s")
    args = p.parse_args()
    # pymodbus logs every client disconnect as an error; the tests disconnect on purpose.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    try:
        asyncio.run(serve(args))
    except OSError as e:
        print(f"sunspec_server: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
