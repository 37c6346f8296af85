"""Writes a riskgraph model artefact: DIR/weights.safetensors and
DIR/manifest.json (format_version 1, architecture hetero-sage-v1), the
format gnn/artefact reads and `riskgraph model import` checks.

Only numpy is needed, so this also runs outside a JAX environment:

    import export
    export.write("out/", dims, params_as_numpy, dtype="float32", meta={...}, features={...})
"""
import hashlib
import json
import os
import struct

import numpy as np

FORMAT_VERSION = 1
ARCHITECTURE = "hetero-sage-v1"


def to_bf16_bits(x):
    """Round-to-nearest-even float32 → bfloat16, as uint16 bit patterns
    (NaN is refused: the artefact must be finite)."""
    x = np.ascontiguousarray(x, dtype="<f4")
    if not np.isfinite(x).all():
        raise ValueError("non-finite weight")
    u = x.view("<u4").astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return rounded.astype("<u2")


def tensor_bytes(x, dtype):
    if dtype == "float32":
        return np.ascontiguousarray(x, dtype="<f4").tobytes(), "F32"
    if dtype == "bfloat16":
        return to_bf16_bits(x).tobytes(), "BF16"
    raise ValueError(f"dtype {dtype}")


def write_safetensors(path, entries):
    """entries: [(name, st_dtype, shape, raw)]; tensors tiled in order with
    no holes, header padded with spaces to a multiple of 8."""
    header, off = {}, 0
    for name, st, shape, raw in entries:
        header[name] = {"dtype": st, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for *_, raw in entries:
            f.write(raw)


def default_features(dims):
    stat = lambda p, n: [{"name": f"{p}_{i}", "mean": 0.0, "std": 1.0} for i in range(n)]
    return {"version": "unnamed", "target": stat("x0", dims.f0), "hop1": stat("x1", dims.f1), "hop2": stat("x2", dims.f2)}


def write(out_dir, dims, params, dtype="float32", meta=None, features=None, training=None):
    """Writes the artefact and returns the manifest dict. params maps every
    tensor name of dims.tensors() to an array of exactly that shape."""
    meta = meta or {}
    os.makedirs(out_dir, exist_ok=True)
    entries, tensors = [], {}
    names = [n for n, _ in dims.tensors()]
    extra = set(params) - set(names)
    if extra:
        raise ValueError(f"unknown tensors {sorted(extra)}")
    for name, shape in dims.tensors():
        x = np.asarray(params[name], dtype=np.float32)
        if x.shape != tuple(shape):
            raise ValueError(f"{name} has shape {x.shape}, want {shape}")
        if not np.isfinite(x).all():
            raise ValueError(f"{name} is not finite")
        raw, st = tensor_bytes(x, dtype)
        entries.append((name, st, shape, raw))
        tensors[name] = {"dtype": dtype, "shape": list(shape), "sha256": hashlib.sha256(raw).hexdigest()}
    wpath = os.path.join(out_dir, "weights.safetensors")
    write_safetensors(wpath, entries)
    with open(wpath, "rb") as f:
        wsha = hashlib.sha256(f.read()).hexdigest()
    manifest = {
        "format_version": FORMAT_VERSION,
        "architecture": ARCHITECTURE,
        "id": meta.get("id", "hetero-sage"),
        "target": meta.get("target", "Transaction"),
        "dims": {k: getattr(dims, k) for k in ("f0", "f1", "f2", "r1", "r2", "k1", "k2", "hidden")},
        "relations1": meta.get("relations1", [f"r{i}" for i in range(dims.r1)]),
        "relations2": meta.get("relations2", [f"s{i}" for i in range(dims.r2)]),
        "features": features or default_features(dims),
        "weights": "weights.safetensors",
        "weights_sha256": wsha,
        "tensors": tensors,
        "training": training or {},
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    return manifest
