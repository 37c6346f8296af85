#!/usr/bin/python3
"""Regenerates golden.json: scikit-learn's values of every metric of
package eval on small fixed inputs, the independent reference the Go
tests compare against.

    cd training/eval/testdata && /usr/bin/python3 make_golden.py

Needs python3-sklearn and python3-numpy (Debian packages); the Go tests
never run Python. Scores are float32 values (as the Go side holds them),
rounded so that some are tied.
"""
import json
import math
import os

import numpy as np
from sklearn.metrics import (average_precision_score, brier_score_loss,
                             confusion_matrix, f1_score,
                             precision_recall_curve, roc_auc_score, roc_curve)

HERE = os.path.dirname(os.path.abspath(__file__))


def cases():
    yield "handmade", np.array([0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.6, 0.4, 0.3, 0.1], np.float32), np.array([1, 0, 1, 1, 0, 1, 0, 0, 0, 0])
    rng = np.random.default_rng(7)
    y = (rng.random(200) < 0.2).astype(int)
    s = np.clip(rng.normal(0.35 + 0.25 * y, 0.2), 0, 1).round(2).astype(np.float32)
    yield "random200", s, y
    y = (rng.random(1000) < 0.03).astype(int)
    s = rng.beta(2 + 3 * y, 5).round(3).astype(np.float32)
    yield "imbalanced1000", s, y
    y = np.array([0, 0, 0, 1, 1])
    yield "separable", np.array([0.1, 0.2, 0.3, 0.8, 0.9], np.float32), y


def threshold(s, y, rule):
    """The definition of eval.Threshold, by brute force over the distinct
    scores: flag s >= t, best value, highest t on a tie, then the midpoint
    to the next lower distinct score."""
    u = np.unique(s)[::-1]
    best, bi = -1.0, 0
    for i, t in enumerate(u):
        p = (s >= t).astype(int)
        if rule == "gmean":
            tn, fp, fn, tp = confusion_matrix(y, p, labels=[0, 1]).ravel()
            v = math.sqrt(tp / (tp + fn) * tn / (tn + fp))
        else:
            v = f1_score(y, p, average="macro", zero_division=0)
        if v > best:
            best, bi = v, i
    hi = float(u[bi])
    if bi + 1 < len(u):
        lo = float(u[bi + 1])
        return lo + (hi - lo) / 2
    return hi


def at(s, y, t):
    p = (s.astype(np.float64) >= t).astype(int)
    tn, fp, fn, tp = confusion_matrix(y, p, labels=[0, 1]).ravel()
    return {
        "macro_f1": f1_score(y, p, average="macro", zero_division=0),
        "gmean": math.sqrt(tp / (tp + fn) * tn / (tn + fp)),
        "precision": tp / (tp + fp) if tp + fp else float("nan"),
        "recall": tp / (tp + fn),
    }


def main():
    out = []
    for name, s, y in cases():
        s64 = s.astype(np.float64)
        fpr, tpr, _ = roc_curve(y, s64, drop_intermediate=False)
        prec, rec, _ = precision_recall_curve(y, s64)
        c = {
            "name": name,
            "scores": [float(v) for v in s],
            "labels": [int(v) for v in y],
            "auc": roc_auc_score(y, s64),
            "ap": average_precision_score(y, s64),
            "brier": brier_score_loss(y, s64),
            "recall_at_1pct_fpr": float(max(tpr[fpr <= 0.01])),
            "roc": [[float(a), float(b)] for a, b in zip(fpr, tpr)],
            # precision_recall_curve lists thresholds increasing and stops
            # at full recall; reversed, it is a prefix of eval.PR.
            "pr": [[float(a), float(b)] for a, b in zip(rec[::-1], prec[::-1])],
        }
        for rule in ("gmean", "macro_f1"):
            t = threshold(s64, y, rule)
            c["threshold_" + rule] = t
            c["at_" + rule] = at(s, y, t)
        out.append(c)
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
