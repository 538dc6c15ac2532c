#!/usr/bin/env -S /usr/bin/python3
"""Read a safetensors file (e.g. one written by tapegrad's nn::save) with a
pure-Python reader following the spec, build torch tensors from it, and print
them; optionally load them into PyTorch's Sequential(Flatten, Linear(i, h),
ReLU, Linear(h, o)) with strict=True.  Python's `safetensors` package is not in
Debian 12, hence the reader here.

    /usr/bin/python3 tools/check_safetensors.py model.safetensors
    /usr/bin/python3 tools/check_safetensors.py model.safetensors --mlp 6 5 3

Exits non-zero (with a message) if the file violates the format.
"""

import argparse
import json
import struct
import sys

import torch

DTYPES = {"BOOL": torch.bool, "U8": torch.uint8, "I8": torch.int8, "I16": torch.int16,
          "I32": torch.int32, "I64": torch.int64, "F16": torch.float16, "BF16": torch.bfloat16,
          "F32": torch.float32, "F64": torch.float64}


def read_safetensors(path):
    """(tensors: {name: torch.Tensor}, metadata: {str: str}); raises ValueError."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError("file has %d bytes, too short for the header length" % len(data))
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError("header length %d exceeds the file size %d" % (n, len(data)))
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    metadata = header.pop("__metadata__", {}) or {}
    tensors, spans = {}, []
    for name, e in header.items():
        if set(e) != {"dtype", "shape", "data_offsets"}:
            raise ValueError("%s: fields %s" % (name, sorted(e)))
        begin, end = e["data_offsets"]
        dt = DTYPES[e["dtype"]]
        numel = 1
        for d in e["shape"]:
            numel *= d
        if not 0 <= begin <= end <= len(body) or end - begin != numel * torch.empty(0, dtype=dt).element_size():
            raise ValueError("%s: bad data_offsets %s" % (name, e["data_offsets"]))
        spans.append((begin, end, name))
        raw = bytearray(body[begin:end])
        t = torch.frombuffer(raw, dtype=dt) if raw else torch.empty(0, dtype=dt)
        tensors[name] = t.reshape(e["shape"]).clone()
    pos = 0
    for begin, end, name in sorted(spans):
        if begin != pos:
            raise ValueError("%s: data_offsets leave a gap or overlap at %d" % (name, begin))
        pos = end
    if pos != len(body):
        raise ValueError("tensors cover %d of %d data bytes" % (pos, len(body)))
    return tensors, metadata


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path")
    ap.add_argument("--mlp", nargs=3, type=int, metavar=("IN", "HIDDEN", "OUT"),
                    help="also load into Sequential(Flatten, Linear(IN, HIDDEN), ReLU, Linear(HIDDEN, OUT))")
    args = ap.parse_args()
    try:
        tensors, metadata = read_safetensors(args.path)
    except (ValueError, KeyError, UnicodeDecodeError, json.JSONDecodeError) as e:
        print("check_safetensors: %s: %s" % (args.path, e), file=sys.stderr)
        return 1
    torch.set_printoptions(precision=6)
    print("metadata:", metadata)
    for name, t in tensors.items():
        print("%s: %s %s" % (name, str(t.dtype).replace("torch.", ""), list(t.shape)))
        print(t)
    if args.mlp:
        i, h, o = args.mlp
        net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(i, h), torch.nn.ReLU(), torch.nn.Linear(h, o))
        net.load_state_dict(tensors, strict=True)
        x = torch.arange(2 * i, dtype=torch.float32).reshape(2, i) / (2 * i)
        print("loaded into", net)
        print("net(arange(%d).reshape(2, %d) / %d) =" % (2 * i, i, 2 * i))
        print(net(x).detach())
    return 0


if __name__ == "__main__":
    sys.exit(main())
