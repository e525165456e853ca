"""Writes hostile and broken variants of a good nabla model file, for
tests/saving/test_bad_files.cpp. Run with Debian's python3 (h5py, zipfile):

    python3 make_bad_files.py GOOD.weights.h5 GOOD.keras OUT_DIR
"""
import shutil
import sys
import zipfile

import h5py
import numpy as np

good_h5, good_keras, out = sys.argv[1], sys.argv[2], sys.argv[3]


def variant(name, edit):
    path = f"{out}/{name}.weights.h5"
    shutil.copy(good_h5, path)
    with h5py.File(path, "r+") as f:
        edit(f)


def replace(f, path, **kw):
    del f[path]
    f.create_dataset(path, **kw)


variant("wrong_shape", lambda f: replace(f, "layers/dense/vars/0", data=np.zeros((4, 7), "f4")))
variant("wrong_dtype", lambda f: replace(f, "layers/dense/vars/1", data=np.zeros((8,), "i4")))
variant("missing_var", lambda f: f.__delitem__("layers/dense/vars/1"))
variant("extra_var", lambda f: f.create_dataset("layers/dense/vars/2", data=np.zeros((8,), "f4")))
variant("extra_layer", lambda f: f.create_dataset("layers/dense_9/vars/0", data=np.zeros((8,), "f4")))


def soft(f):
    del f["layers/dense/vars/0"]
    f["layers/dense/vars/0"] = h5py.SoftLink("/layers/dense_1/vars/0")


def external(f):
    del f["layers/dense/vars/0"]
    f["layers/dense/vars/0"] = h5py.ExternalLink("/etc/other.h5", "/x")


def external_storage(f):
    shape = f["layers/dense/vars/0"].shape
    del f["layers/dense/vars/0"]
    f.create_dataset("layers/dense/vars/0", shape=shape, dtype="f4", external=[(f"{out}/raw.bin", 0, 4 * 32)])


def virtual(f):
    shape = f["layers/dense/vars/0"].shape
    layout = h5py.VirtualLayout(shape=shape, dtype="f4")
    layout[:] = h5py.VirtualSource(f"{out}/other.h5", "x", shape=shape)
    del f["layers/dense/vars/0"]
    f.create_virtual_dataset("layers/dense/vars/0", layout)


def gigabytes(f):
    # 16 GiB declared, nothing written: chunked, so it costs no bytes in the file.
    del f["layers/dense/vars/0"]
    f.create_dataset("layers/dense/vars/0", shape=(65536, 65536), dtype="f4", chunks=(64, 64))


variant("soft_link", soft)
variant("external_link", external)
variant("external_storage", external_storage)
variant("virtual", virtual)
variant("gigabytes", gigabytes)
variant("bad_iteration", lambda f: replace(f, "optimizer/vars/0", data=np.float32(1.5)))

with open(good_h5, "rb") as f:
    data = f.read()
with open(f"{out}/truncated.weights.h5", "wb") as f:
    f.write(data[: len(data) // 2])
with open(f"{out}/garbage.weights.h5", "wb") as f:
    f.write(b"\x89HDF\r\n\x1a\n" + b"\xff" * 600)

src = zipfile.ZipFile(good_keras)
members = {n: src.read(n) for n in src.namelist()}


def keras_variant(name, items, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(f"{out}/{name}.keras", "w", compression) as z:
        for n, b in items.items():
            z.writestr(n, b)


keras_variant("deflated", members, zipfile.ZIP_DEFLATED)
keras_variant("no_weights", {k: v for k, v in members.items() if k != "model.weights.h5"})
keras_variant("no_config", {k: v for k, v in members.items() if k != "config.json"})
keras_variant("bad_json", {**members, "config.json": members["config.json"][:-7]})
keras_variant("conv2d", {**members, "config.json": members["config.json"].replace(b'"Dense"', b'"Conv2D"', 1)})
with open(good_keras, "rb") as f:
    data = f.read()
with open(f"{out}/truncated.keras", "wb") as f:
    f.write(data[: len(data) - 40])
