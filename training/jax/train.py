"""Trains hetero-sage-v1 on exported batches (see README.md for the
format) with optax Adam and class-weighted BCE, then writes an artefact with
export.py.

    python train.py --batches DIR --dims dims.json --out OUT \
        --epochs 10 --lr 1e-2 --seed 1 [--pos-weight 0] [--features features.json]
"""
import argparse
import glob
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax

import export
from model import Dims, forward, glorot_init, weighted_bce

ARRAYS = ("X0", "X1", "M1", "X2", "M2")


def load_batches(d):
    """Every batch-*.npz under d, in name order: dicts of float32 arrays."""
    out = []
    for path in sorted(glob.glob(os.path.join(d, "batch-*.npz"))):
        with np.load(path) as z:
            b = {k: z[k].astype(np.float32) for k in ARRAYS + ("labels",)}
        out.append(b)
    if not out:
        raise SystemExit(f"no batch-*.npz in {d}")
    return out


def check(b, dims: Dims):
    B = b["X0"].shape[0]
    want = {
        "X0": (B, dims.f0), "X1": (dims.r1, B, dims.k1, dims.f1), "M1": (dims.r1, B, dims.k1),
        "X2": (dims.r1, B, dims.k1, dims.r2, dims.k2, dims.f2), "M2": (dims.r1, B, dims.k1, dims.r2, dims.k2),
        "labels": (B,),
    }
    for k, s in want.items():
        if b[k].shape != s:
            raise SystemExit(f"{k} has shape {b[k].shape}, want {s}")


def auc(scores, labels):
    order = np.argsort(scores, kind="stable")
    s, y = scores[order], labels[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        ranks[i:j] = (i + j + 1) / 2
        i = j
    pos, neg = y.sum(), len(y) - y.sum()
    if pos == 0 or neg == 0:
        return float("nan")
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", required=True)
    ap.add_argument("--dims", required=True, help="JSON: the manifest's dims object")
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pos-weight", type=float, default=0.0)
    ap.add_argument("--features", help="JSON: the manifest's features object")
    ap.add_argument("--meta", help="JSON: id, target, relations1, relations2")
    ap.add_argument("--bf16", action="store_true", help="store weights as bfloat16")
    a = ap.parse_args()

    with open(a.dims) as f:
        dj = json.load(f)
    dims = Dims(**dj)
    batches = load_batches(a.batches)
    for b in batches:
        check(b, dims)
    labels = np.concatenate([b["labels"] for b in batches])
    pw = a.pos_weight
    if pw == 0:
        pos = labels.sum()
        pw = 1.0 if pos in (0, len(labels)) else min((len(labels) - pos) / pos, 100.0)

    params = glorot_init(dims, jax.random.PRNGKey(a.seed))
    opt = optax.adam(a.lr)
    state = opt.init(params)

    def loss_fn(p, b):
        z = forward(p, b["X0"], b["X1"], b["M1"], b["X2"], b["M2"])
        return weighted_bce(z, b["labels"], pw)

    @jax.jit
    def step(p, s, b):
        loss, g = jax.value_and_grad(loss_fn)(p, b)
        upd, s = opt.update(g, s, p)
        return optax.apply_updates(p, upd), s, loss

    # One jit compilation per distinct batch size: export fixed-size batches.
    for epoch in range(a.epochs):
        losses = []
        for b in batches:
            params, state, loss = step(params, state, {k: jnp.asarray(v) for k, v in b.items()})
            losses.append(float(loss) * len(b["labels"]))
        print(f"epoch {epoch}: loss {sum(losses) / len(labels):.5f}")

    score = jax.jit(lambda p, b: jax.nn.sigmoid(forward(p, b["X0"], b["X1"], b["M1"], b["X2"], b["M2"])))
    scores = np.concatenate([np.asarray(score(params, b)) for b in batches])
    train_auc = auc(scores, labels)
    print(f"train AUC {train_auc:.4f}")

    meta = {}
    if a.meta:
        with open(a.meta) as f:
            meta = json.load(f)
    features = None
    if a.features:
        with open(a.features) as f:
            features = json.load(f)
    export.write(
        a.out, dims, {k: np.asarray(v, np.float32) for k, v in params.items()},
        dtype="bfloat16" if a.bf16 else "float32",
        meta=meta, features=features,
        training={"trainer": "jax", "seed": a.seed, "metrics": {"train_auc": train_auc, "pos_weight": pw}},
    )


if __name__ == "__main__":
    main()
