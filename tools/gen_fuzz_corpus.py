#!/usr/bin/python3
"""Writes the committed seed corpora of the fuzz targets (tools/fuzz.sh):
  tests/fuzz/corpus/idx/          IDX files of every type, raw and gzipped, near misses
  tests/fuzz/corpus/npy/          .npy files written by NumPy, near misses
  tests/fuzz/corpus/safetensors/  safetensors files in the format's layout, near misses
Files named repro-* are the reproducers of issue 31 (overflowing shapes,
lax .npy headers): libFuzzer runs every corpus file first, so they are
regression inputs. Run with Debian's /usr/bin/python3 (numpy); the output is
deterministic (gzip without a time stamp)."""
import gzip
import io
import json
import os
import shutil
import struct

import numpy as np
import numpy.lib.format as fmt

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fuzz", "corpus")


def reset(name):
    d = os.path.join(root, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def put(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


# ---- IDX ------------------------------------------------------------------------------------
d = reset("idx")
idx = {
    "u8_1d": b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02\x03",
    "i8_2d": b"\x00\x00\x09\x02\x00\x00\x00\x02\x00\x00\x00\x02\xff\x01\x80\x7f",
    "i16_1d": b"\x00\x00\x0b\x01\x00\x00\x00\x02\xff\xfe\x01\x02",
    "i32_1d": b"\x00\x00\x0c\x01\x00\x00\x00\x01\x80\x00\x00\x01",
    "f32_1d": b"\x00\x00\x0d\x01\x00\x00\x00\x02\x3f\xc0\x00\x00\x7f\x80\x00\x00",
    "f64_1d": b"\x00\x00\x0e\x01\x00\x00\x00\x01\x3f\xf8\x00\x00\x00\x00\x00\x00",
    "u8_3d": b"\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02" + bytes(range(1, 9)),
    "empty_dim": b"\x00\x00\x08\x02\x00\x00\x00\x00\x00\x00\x10\x00",
    "huge_dims": b"\x00\x00\x08\x03" + b"\xff" * 12,
    "mnist_short": b"\x00\x00\x08\x03\x00\x00\xea\x60\x00\x00\x00\x1c\x00\x00\x00\x1c\x00\x00",
    "bad_type": b"\x00\x00\x0a\x01\x00\x00\x00\x01\x00",
}
for name, data in idx.items():
    put(d, name, data)
for name in ["u8_1d", "i16_1d", "f64_1d", "u8_3d", "empty_dim", "mnist_short"]:
    put(d, name + ".gz", gz(idx[name]))
put(d, "two_members.gz", gz(idx["u8_1d"]) * 2)
put(d, "truncated.gz", gz(idx["u8_3d"])[:20])
# issue 31: a tiny .gz whose header promises 1.37 M MNIST images
put(d, "repro-mnist-1.37M.gz", gz(b"\x00\x00\x08\x03" + struct.pack(">III", 1370000, 28, 28)))

# ---- .npy -------------------------------------------------------------------------------------
d = reset("npy")


def npy_bytes(arr, version=None):
    b = io.BytesIO()
    fmt.write_array(b, arr, version=version)
    return b.getvalue()


put(d, "f32_2d", npy_bytes(np.arange(6, dtype=np.float32).reshape(2, 3)))
put(d, "f64_fortran", npy_bytes(np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3))))
put(d, "i32_fortran_3d", npy_bytes(np.asfortranarray(np.arange(24, dtype=np.int32).reshape(2, 3, 4))))
put(d, "bool_1d", npy_bytes(np.array([True, False, True])))
put(d, "u8_0d", npy_bytes(np.array(7, dtype=np.uint8)))
put(d, "i64_empty", npy_bytes(np.zeros((0, 3), dtype=np.int64)))
put(d, "i16_v2", npy_bytes(np.array([-2, 7], dtype=np.int16), version=(2, 0)))
put(d, "i8_v3", npy_bytes(np.array([-1, 5], dtype=np.int8), version=(3, 0)))
put(d, "f8_bigendian", npy_bytes(np.array([1.0, 2.0], dtype=">f8")))


def npy_header(text, data=b""):
    h = text + " " * ((64 - (10 + len(text) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode("latin1") + data


put(d, "repro-fortran-2p39x2p25", npy_header("{'descr': '<f4', 'fortran_order': True, 'shape': (549755813888, 33554432), }"))
put(d, "repro-c-2p39x2p25", npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (549755813888, 33554432), }"))
put(d, "repro-shape-int", npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': 12, }", b"\0" * 8))
put(d, "repro-shape-no-comma", npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3 4), }", b"\0" * 48))

# ---- safetensors -------------------------------------------------------------------------------
d = reset("safetensors")


def st(header, data=b""):
    h = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    h = h.encode()
    return struct.pack("<Q", len(h)) + h + data


put(d, "f32_2x2", st({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}},
                     np.arange(4, dtype="<f4").tobytes()))
put(d, "linear_2x2", st({"__metadata__": {"format": "pt"},
                         "0.bias": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                         "0.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [8, 24]}},
                        np.arange(6, dtype="<f4").tobytes()))
put(d, "mixed_dtypes", st({"a": {"dtype": "I64", "shape": [], "data_offsets": [0, 8]},
                           "b": {"dtype": "BOOL", "shape": [3], "data_offsets": [8, 11]},
                           "c": {"dtype": "U8", "shape": [0, 4], "data_offsets": [11, 11]},
                           "d": {"dtype": "F64", "shape": [1], "data_offsets": [11, 19]}},
                          bytes(19)))
put(d, "empty", st("{}"))
put(d, "escapes", st('{"\\u00e9\\n":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}', b"\x05"))
with open(os.path.join(root, "..", "..", "reference", "torch_model.safetensors"), "rb") as f:
    put(d, "torch_model", f.read())
put(d, "repro-2p39x2p25-82-bytes", st('{"w":{"dtype":"F32","shape":[549755813888,33554432],"data_offsets":[0,0]}}'))
put(d, "repro-duplicate-keys", st('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
                                  '"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},'
                                  '"a":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}', b"xyz"))
for name in sorted(os.listdir(root)):
    print(name, len(os.listdir(os.path.join(root, name))), "files")
