#!/usr/bin/python3
"""Writes the .npy fixtures of tests/io/hardening_test.cpp with NumPy itself
(run with Debian's /usr/bin/python3, which has numpy):
  tests/reference/npy/v2_f32.npy     format version 2.0 (4-byte header length)
  tests/reference/npy/v3_i16.npy     format version 3.0 (utf-8 header)
  tests/reference/npy/u8_1x0x3.npy   an empty 3-d array
and checks that NumPy refuses the header texts the test expects tapegrad to
refuse, so the test's claims about NumPy are NumPy's."""
import ast
import io
import os

import numpy as np
import numpy.lib.format as fmt

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference", "npy")
os.makedirs(out, exist_ok=True)


def write(name, arr, version):
    with open(os.path.join(out, name), "wb") as f:
        fmt.write_array(f, arr, version=version)


write("v2_f32.npy", np.arange(6, dtype=np.float32).reshape(3, 2), (2, 0))
write("v3_i16.npy", np.array([-2, 7, 300], dtype=np.int16), (3, 0))
write("u8_1x0x3.npy", np.zeros((1, 0, 3), dtype=np.uint8), (1, 0))


def numpy_reads(header):
    """True when np.load accepts a version 1.0 file with this header dict text."""
    h = header + " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    raw = b"\x93NUMPY\x01\x00" + len(h).to_bytes(2, "little") + h.encode("latin1") + b"\0" * 64
    try:
        np.load(io.BytesIO(raw))
        return True
    except Exception:
        return False


refused = [
    "{'descr': '<f4', 'fortran_order': False, 'shape': 12, }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (3 4), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (3), }",
    "{'descr': '<f4', 'fortran_order': 'False', 'shape': (3,), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'extra': 1, }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (03,), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (3.0,), }",
    "{'descr': '<f4', 'fortran_order': False}",
]
accepted = [
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)}",
    "{'shape': (4,), 'fortran_order': False, 'descr': '<f4', }",
    '{"descr": "<f4", "fortran_order": False, "shape": ( 2 , 2 , ), }',
]
for h in refused:
    assert not numpy_reads(h), h
for h in accepted:
    assert numpy_reads(h), h
print("wrote", sorted(os.listdir(out)))
