#!/usr/bin/python3
"""Writes the seeds of the sunspec fuzzer (tests/fuzz/corpus/sunspec/): the register images of the
integration tests' SunSpec device (tests/device/sunspec_server.py), two bytes a register, high
byte first, from the base address 40000 on. Run from the project root after changing the device:
    /usr/bin/python3 tests/fuzz/sunspec_seeds.py   (Debian python3-pymodbus)
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "device"))
import sunspec_server as s  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "corpus", "sunspec")


def chain(models):
    regs = [0x5375, 0x6E53]
    for m in models:
        regs += m
    return regs + [0xFFFF, 0]


SEEDS = {
    "battery": chain([s.common_model("Fixture battery"), s.inverter_model(s.INVERTER_W_SF), s.storage_model(55.0)]),
    "pv": chain([s.common_model("Fixture pv"), s.inverter_model(0), s.nameplate_model(), s.controls_model()]),
    "meter": chain([s.common_model("Fixture meter"), s.meter_model()]),
    "battery-nameplate": chain([s.common_model("B"), s.inverter_model(1), s.nameplate_model(), s.storage_model(10.0),
                                s.controls_model()]),
}

os.makedirs(OUT, exist_ok=True)
for name, regs in SEEDS.items():
    with open(os.path.join(OUT, name + ".bin"), "wb") as f:
        f.write(struct.pack(">%dH" % len(regs), *[r & 0xFFFF for r in regs]))
    print(name, 2 * len(regs), "bytes")
