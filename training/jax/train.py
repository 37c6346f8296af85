"""Trains hetero-sage-v1 on batches written by `riskgraph export-batches`
(see README.md for the format) with optax AdamW and class-weighted BCE,
keeps the epoch with the best validation average precision, chooses the
decision threshold on validation, then writes an artefact with export.py
that `riskgraph eval` and `riskgraph model import` accept.

    python train.py --batches DIR --out OUT [--epochs 60] [--lr 3e-3]
        [--weight-decay 1e-2] [--patience 10] [--seed 1] [--hidden H] [--bf16]
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
FORMAT = "riskgraph-batches-v1"


def load_split(d, manifest, split):
    """The batches of one split, in the manifest's order: dicts of float32
    arrays with y (labels) and valid (0 on padding rows)."""
    out = []
    for f in manifest["files"]:
        if f["split"] != split:
            continue
        with np.load(os.path.join(d, f["name"])) as z:
            b = {k: z[k].astype(np.float32) for k in ARRAYS}
            b["y"] = z["y" if "y" in z.files else "labels"].astype(np.float32)
            b["valid"] = z["valid"].astype(np.float32) if "valid" in z.files else np.ones_like(b["y"])
        out.append(b)
    return out


def check(b, dims: Dims):
    B = b["X0"].shape[0]
    want = {
        "X0": (B, dims.f0), "X1": (dims.r1, B, dims.k1, dims.f1), "M1": (dims.r1, B, dims.k1),
        "X2": (dims.r1, B, dims.k1, dims.r2, dims.k2, dims.f2), "M2": (dims.r1, B, dims.k1, dims.r2, dims.k2),
        "y": (B,), "valid": (B,),
    }
    for k, s in want.items():
        if b[k].shape != s:
            raise SystemExit(f"{k} has shape {b[k].shape}, want {s}")


def ranked(scores, labels):
    """Scores descending with the boundaries of tied groups."""
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    return s, y, starts


def auc(scores, labels):
    """Mann–Whitney U, ties counted half (eval.AUC)."""
    s, y, starts = ranked(scores, labels)
    pos, neg = y.sum(), len(y) - y.sum()
    if pos == 0 or neg == 0:
        return float("nan")
    num, neg_above = 0.0, 0.0
    for i, j in zip(starts, np.r_[starts[1:], len(s)]):
        gp = y[i:j].sum()
        gn = (j - i) - gp
        num += gp * (neg - neg_above - gn) + gp * gn / 2
        neg_above += gn
    return float(num / (pos * neg))


def average_precision(scores, labels):
    """scikit-learn's average_precision_score (eval.AveragePrecision)."""
    s, y, starts = ranked(scores, labels)
    pos = y.sum()
    if pos == 0:
        return float("nan")
    tp = flagged = ap = 0.0
    for i, j in zip(starts, np.r_[starts[1:], len(s)]):
        gp = y[i:j].sum()
        tp += gp
        flagged += j - i
        ap += gp / pos * (tp / flagged)
    return float(ap)


def gmean_threshold(scores, labels):
    """eval.Threshold(…, GMean): the distinct score maximising
    sqrt(TPR·TNR) (highest on a tie), then the midpoint to the next lower
    distinct score."""
    s, y, starts = ranked(scores, labels)
    pos, neg = y.sum(), len(y) - y.sum()
    tp = fp = 0.0
    best, best_g = -1.0, 0
    for g, (i, j) in enumerate(zip(starts, np.r_[starts[1:], len(s)])):
        tp += y[i:j].sum()
        fp += (j - i) - y[i:j].sum()
        v = np.sqrt(tp / pos * (neg - fp) / neg)
        if v > best:
            best, best_g = v, g
    hi = float(s[starts[best_g]])
    if best_g + 1 < len(starts):
        lo = float(s[starts[best_g + 1]])
        return lo + (hi - lo) / 2
    return hi


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", required=True, help="a folder written by riskgraph export-batches")
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-2)
    ap.add_argument("--patience", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pos-weight", type=float, default=0.0)
    ap.add_argument("--hidden", type=int, default=0, help="hidden width (default: the manifest's)")
    ap.add_argument("--id", default="")
    ap.add_argument("--bf16", action="store_true", help="store weights as bfloat16")
    a = ap.parse_args()

    with open(os.path.join(a.batches, "manifest.json")) as f:
        man = json.load(f)
    if man.get("format") != FORMAT:
        raise SystemExit(f"{a.batches}/manifest.json: format {man.get('format')!r}, want {FORMAT!r}")
    dj = dict(man["dims"])
    if a.hidden:
        dj["hidden"] = a.hidden
    dims = Dims(**dj)
    train, val = load_split(a.batches, man, "train"), load_split(a.batches, man, "val")
    if not train or not val:
        raise SystemExit("export both the train and the val split (--splits train,val)")
    for b in train + val:
        check(b, dims)
    y = np.concatenate([b["y"][b["valid"] == 1] for b in train])
    pw = a.pos_weight
    if pw == 0:
        pos = y.sum()
        pw = 1.0 if pos in (0, len(y)) else min((len(y) - pos) / pos, 100.0)

    params = glorot_init(dims, jax.random.PRNGKey(a.seed))
    opt = optax.adamw(a.lr, weight_decay=a.weight_decay,
                      mask=lambda p: {k: not k.endswith(".b") for k in p})
    state = opt.init(params)

    def loss_fn(p, b):
        z = forward(p, b["X0"], b["X1"], b["M1"], b["X2"], b["M2"])
        return weighted_bce(z, b["y"], pw, b["valid"])

    @jax.jit
    def step(p, s, b):
        loss, g = jax.value_and_grad(loss_fn)(p, b)
        upd, s = opt.update(g, s, p)
        return optax.apply_updates(p, upd), s, loss

    score = jax.jit(lambda p, b: jax.nn.sigmoid(forward(p, b["X0"], b["X1"], b["M1"], b["X2"], b["M2"])))

    def evaluate(p):
        s = np.concatenate([np.asarray(score(p, b))[b["valid"] == 1] for b in val])
        yv = np.concatenate([b["y"][b["valid"] == 1] for b in val])
        return s, yv

    # One jit compilation: every exported file has the same shapes.
    rng = np.random.default_rng(a.seed)
    best, best_ap, best_epoch, since = params, -1.0, 0, 0
    for epoch in range(a.epochs):
        losses = []
        for i in rng.permutation(len(train)):
            b = {k: jnp.asarray(v) for k, v in train[i].items()}
            params, state, loss = step(params, state, b)
            losses.append(float(loss))
        s, yv = evaluate(params)
        vap = average_precision(s, yv)
        print(f"epoch {epoch}: loss {np.mean(losses):.5f} val AP {vap:.4f} AUC {auc(s, yv):.4f}")
        if vap > best_ap:
            best, best_ap, best_epoch, since = params, vap, epoch, 0
        else:
            since += 1
            if a.patience > 0 and since >= a.patience:
                break

    s, yv = evaluate(best)
    threshold = gmean_threshold(s, yv)
    metrics = {"val_ap": average_precision(s, yv), "val_auc": auc(s, yv), "threshold": threshold,
               "best_epoch": best_epoch, "pos_weight": pw}
    print(f"best epoch {best_epoch}: val AP {metrics['val_ap']:.4f} AUC {metrics['val_auc']:.4f}, threshold {threshold:.6g}")
    meta = {"id": a.id or f"riskgraph-{man['target'].lower()}-jax", "target": man["target"],
            "relations1": man["relations1"], "relations2": man["relations2"]}
    export.write(
        a.out, dims, {k: np.asarray(v, np.float32) for k, v in best.items()},
        dtype="bfloat16" if a.bf16 else "float32", meta=meta, features=man["features"],
        training={"trainer": "jax", "seed": a.seed, "split": man["split"],
                  "data_fingerprint": man["data_fingerprint"], "metrics": metrics},
    )


if __name__ == "__main__":
    main()
