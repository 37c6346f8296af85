#!/usr/bin/python3
"""Regenerates the gnn parity fixture: a PyTorch (float32) reference of
hetero-sage-v1 with seeded random weights and inputs.

    cd gnn/testdata/parity && /usr/bin/python3 make_fixture.py

Needs only python3-torch and python3-numpy (Debian packages); the Go tests
never run Python. The forward pass below follows, line by line, the doc
comment of artefact.Dims.Tensors (gnn/artefact/manifest.go); keep them in
step.

Layout written, per case (txn, account):

    <case>/inputs.npz          X0 X1 M1 X2 M2 (sampling.Batch layout), dims
    <case>/expected.json       {"scores": [...], "scores_bf16": [...]?}
    <case>/f32-safetensors/    manifest.json + weights.safetensors
    <case>/f32-npz/            manifest.json + weights.npz
    txn/bf16-safetensors/      manifest.json + weights.safetensors (BF16)

Dims are realistic in structure (relations, fanouts) but with narrow
features and hidden width, so the whole fixture stays under 200 KB.
"""
import hashlib
import json
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))

CASES = [
    dict(
        name="txn", target="Transaction", seed=11, B=5,
        dims=dict(f0=7, f1=6, f2=5, r1=9, r2=1, k1=1, k2=10, hidden=12),
        relations1=["BY", "FROM", "TO", "WITH_CARD", "ON_DEVICE", "FROM_IP", "AT", "WITH_EMAIL", "WITH_PHONE"],
        relations2=["RECENT_TXN"],
        bf16=True,
    ),
    dict(
        name="account", target="Account", seed=23, B=3,
        dims=dict(f0=6, f1=5, f2=7, r1=2, r2=3, k1=4, k2=1, hidden=12),
        relations1=["FROM", "TO"],
        relations2=["BY", "ON_DEVICE", "FROM_IP"],
        bf16=False,
    ),
]


def tensor_specs(d):
    """artefact.Dims.Tensors, in the same order."""
    F0, F1, F2, R1, R2, H = d["f0"], d["f1"], d["f2"], d["r1"], d["r2"], d["hidden"]
    return [
        ("l1.self0.w", [F0, H]),
        ("l1.self0.b", [H]),
        ("l1.nb0.w", [R1, F1, H]),
        ("l1.self1.w", [R1, F1, H]),
        ("l1.self1.b", [R1, H]),
        ("l1.nb1.w", [R1, R2, F2, H]),
        ("l2.self.w", [H, H]),
        ("l2.self.b", [H]),
        ("l2.nb.w", [R1, H, H]),
        ("head.w", [H, 1]),
        ("head.b", [1]),
    ]


def masked_mean(x, m, dim):
    """Mean of x over dim where m is 1; the zero vector where no m is 1.
    x has one more trailing axis than m."""
    s = (x * m.unsqueeze(-1)).sum(dim)
    c = m.sum(dim).clamp(min=1.0).unsqueeze(-1)
    return s / c


def forward(W, X0, X1, M1, X2, M2, d):
    R1, R2, K1, H = d["r1"], d["r2"], d["k1"], d["hidden"]
    B = X0.shape[0]
    relu = torch.relu
    a1 = masked_mean(X1, M1, 2)  # [R1,B,F1]
    a2 = masked_mean(X2, M2, 4)  # [R1,B,K1,R2,F2]
    h0 = X0 @ W["l1.self0.w"] + W["l1.self0.b"]
    for r in range(R1):
        h0 = h0 + a1[r] @ W["l1.nb0.w"][r]
    h0 = relu(h0)  # [B,H]
    gs = []
    for r in range(R1):
        x1 = X1[r].reshape(B * K1, -1)
        pre = x1 @ W["l1.self1.w"][r] + W["l1.self1.b"][r]
        for s in range(R2):
            pre = pre + a2[r, :, :, s, :].reshape(B * K1, -1) @ W["l1.nb1.w"][r, s]
        h1 = relu(pre).reshape(B, K1, H)
        gs.append(masked_mean(h1, M1[r], 1))  # [B,H]
    h2 = h0 @ W["l2.self.w"] + W["l2.self.b"]
    for r in range(R1):
        h2 = h2 + gs[r] @ W["l2.nb.w"][r]
    h2 = relu(h2)
    return torch.sigmoid(h2 @ W["head.w"] + W["head.b"]).reshape(B)


def make_weights(d, gen):
    W = {}
    for name, shape in tensor_specs(d):
        fan_in = shape[-2] if len(shape) >= 2 else shape[-1]
        scale = 1.5 / np.sqrt(fan_in)
        W[name] = (torch.randn(shape, generator=gen, dtype=torch.float32) * scale).contiguous()
    return W


def make_inputs(case, gen):
    d, B = case["dims"], case["B"]
    F0, F1, F2, R1, R2, K1, K2 = (d[k] for k in ("f0", "f1", "f2", "r1", "r2", "k1", "k2"))
    X0 = torch.randn(B, F0, generator=gen)
    # Slots fill most recent first: a prefix of each fanout is present.
    n1 = torch.randint(0, K1 + 1, (R1, B), generator=gen)
    n1[0, 0] = K1  # at least one full relation
    n1[:, B - 1] = 0  # a row with no hop-1 neighbour at all
    if B > 1:
        n1[1, 1] = 0  # a row missing one relation
    M1 = (torch.arange(K1).view(1, 1, K1) < n1.unsqueeze(-1)).float()
    X1 = torch.randn(R1, B, K1, F1, generator=gen) * M1.unsqueeze(-1)
    n2 = torch.randint(0, K2 + 1, (R1, B, K1, R2), generator=gen)
    n2[0, 0, 0, 0] = K2
    n2 = n2 * M1.long().unsqueeze(-1)  # nothing under a padded hop-1 slot
    M2 = (torch.arange(K2).view(1, 1, 1, 1, K2) < n2.unsqueeze(-1)).float()
    X2 = torch.randn(R1, B, K1, R2, K2, F2, generator=gen) * M2.unsqueeze(-1)
    return X0, X1, M1, X2, M2


def bf16_bits(t):
    """Round-to-nearest-even bfloat16 of t: (uint16 bits, widened float32)."""
    b = t.to(torch.bfloat16)
    bits = b.view(torch.int16).numpy().astype("<u2")
    return bits, b.to(torch.float32)


def write_safetensors(path, arrays):
    """arrays: list of (name, dtype "F32"|"BF16", shape, raw bytes)."""
    header, off, blobs = {}, 0, []
    for name, dtype, shape, raw in arrays:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        off += len(raw)
        blobs.append(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # pad the header to 8 bytes, as the spec allows
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def manifest(case, weights_file, weights_path, tinfo):
    d = case["dims"]
    feats = lambda p, n: [{"name": f"{p}_{i}", "mean": 0.0, "std": 1.0} for i in range(n)]
    return {
        "format_version": 1,
        "architecture": "hetero-sage-v1",
        "id": f"parity-{case['name']}",
        "target": case["target"],
        "dims": d,
        "relations1": case["relations1"],
        "relations2": case["relations2"],
        "features": {
            "version": "parity-1",
            "target": feats("x0", d["f0"]),
            "hop1": feats("x1", d["f1"]),
            "hop2": feats("x2", d["f2"]),
        },
        "weights": weights_file,
        "weights_sha256": sha256_file(weights_path),
        "tensors": tinfo,
        "training": {"seed": case["seed"], "trainer": "pytorch", "split": "random-weights"},
    }


def write_dir(case, sub, weights_file, write):
    out = os.path.join(HERE, case["name"], sub)
    os.makedirs(out, exist_ok=True)
    wpath = os.path.join(out, weights_file)
    tinfo = write(wpath)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest(case, weights_file, wpath, tinfo), f, indent=1, sort_keys=True)
        f.write("\n")


def tinfo_entry(dtype, shape, raw):
    return {"dtype": dtype, "shape": shape, "sha256": hashlib.sha256(raw).hexdigest()}


def main():
    for case in CASES:
        d = case["dims"]
        gen = torch.Generator().manual_seed(case["seed"])
        W = make_weights(d, gen)
        X0, X1, M1, X2, M2 = make_inputs(case, gen)
        with torch.no_grad():
            scores = forward(W, X0, X1, M1, X2, M2, d)
            W64 = {k: v.double() for k, v in W.items()}
            s64 = forward(W64, X0.double(), X1.double(), M1.double(), X2.double(), M2.double(), d)
        print(case["name"], "f32 vs f64 max abs diff", float((scores.double() - s64).abs().max()))
        base = os.path.join(HERE, case["name"])
        os.makedirs(base, exist_ok=True)
        np.savez(os.path.join(base, "inputs.npz"),
                 X0=X0.numpy(), X1=X1.numpy(), M1=M1.numpy(), X2=X2.numpy(), M2=M2.numpy(),
                 dims=np.array([case["B"], d["f0"], d["f1"], d["f2"], d["r1"], d["r2"], d["k1"], d["k2"], d["hidden"]], dtype="<i4"))
        expected = {"scores": [float(v) for v in scores]}
        specs = tensor_specs(d)
        raw32 = [(n, s, W[n].numpy().astype("<f4").tobytes()) for n, s in specs]

        def st32(path):
            write_safetensors(path, [(n, "F32", s, r) for n, s, r in raw32])
            return {n: tinfo_entry("float32", s, r) for n, s, r in raw32}

        def npz32(path):
            np.savez(path, **{n: W[n].numpy().astype("<f4") for n, _ in specs})
            return {n: tinfo_entry("float32", s, r) for n, s, r in raw32}

        write_dir(case, "f32-safetensors", "weights.safetensors", st32)
        write_dir(case, "f32-npz", "weights.npz", npz32)
        if case["bf16"]:
            Wb, rawb = {}, []
            for n, s in specs:
                bits, wide = bf16_bits(W[n])
                Wb[n] = wide
                rawb.append((n, s, bits.tobytes()))

            def st16(path):
                write_safetensors(path, [(n, "BF16", s, r) for n, s, r in rawb])
                return {n: tinfo_entry("bfloat16", s, r) for n, s, r in rawb}

            write_dir(case, "bf16-safetensors", "weights.safetensors", st16)
            with torch.no_grad():
                sb = forward(Wb, X0, X1, M1, X2, M2, d)
            expected["scores_bf16"] = [float(v) for v in sb]
        with open(os.path.join(base, "expected.json"), "w") as f:
            json.dump(expected, f, indent=1)
            f.write("\n")
        print(case["name"], "scores", expected["scores"])


if __name__ == "__main__":
    main()
