#!/usr/bin/python3
"""read_checkpoint.py — read a tiedlab checkpoint as any Python user would:
json and numpy (Debian's python3-numpy) and nothing of tiedlab's.

Checks the safetensors layout (8-byte little-endian header size, a JSON
header, 8-byte aligned data, tensor ranges that tile the data exactly),
then prints one line per weight, as `train --tensor-sums` prints them from
the model in memory:

    tensor NAME F32 [R,C] bits=SUM_OF_BIT_PATTERNS_MOD_2^32 sum=%.6e first=%.9g last=%.9g

and `meta KEY=VALUE` for tied, V_in, V_out, d, hidden and step.
usage: read_checkpoint.py FILE
"""
import json
import struct
import sys

import numpy as np


def fail(msg):
    print(f"read_checkpoint: {msg}", file=sys.stderr)
    sys.exit(1)


def main(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        fail(f"{path}: {len(raw)} bytes, too short")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        fail(f"{path}: header of {n} bytes, only {len(raw) - 8} follow")
    if (8 + n) % 8:
        fail(f"{path}: the data starts at byte {8 + n}, not 8-byte aligned")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", None)
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        fail(f"{path}: __metadata__ is not an object of strings")
    if meta.get("format") != "tiedlab":
        fail(f"{path}: metadata format is {meta.get('format')!r}")
    at = 0
    for name, t in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = t["data_offsets"]
        if begin != at:
            fail(f"{path}: {name} starts at {begin}, the previous tensor ended at {at}")
        if t["dtype"] != "F32":
            fail(f"{path}: {name} has dtype {t['dtype']}")
        if int(np.prod(t["shape"])) * 4 != end - begin:
            fail(f"{path}: {name} has shape {t['shape']} but {end - begin} bytes")
        at = end
    if at != len(data):
        fail(f"{path}: the tensors cover {at} of {len(data)} bytes of data")
    tied = meta.get("tied")
    if tied == "1" and "lm_head.weight" in header:
        fail(f"{path}: tied, yet it stores lm_head.weight")
    if tied == "0" and "lm_head.weight" not in header:
        fail(f"{path}: untied, yet it has no lm_head.weight")
    for name, t in header.items():   # the header's order
        if name.startswith("adam."):
            continue
        begin, end = t["data_offsets"]
        w = np.frombuffer(data[begin:end], dtype="<f4")
        bits = int(np.frombuffer(data[begin:end], dtype="<u4").astype(np.uint64).sum()) % 2**32
        total = 0.0
        for x in w.astype(np.float64):   # in order, as the C side adds them
            total += float(x)
        shape = "[" + ",".join(str(s) for s in t["shape"]) + "]"
        print(f"tensor {name} {t['dtype']} {shape} bits={bits} sum={total:.6e} "
              f"first={float(w[0]):.9g} last={float(w[-1]):.9g}")
    for key in ("tied", "V_in", "V_out", "d", "hidden", "step"):
        print(f"meta {key}={meta.get(key)}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
