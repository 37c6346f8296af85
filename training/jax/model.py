"""JAX/Flax reference of hetero-sage-v1, the riskgraph fraud GNN.

The forward pass is the one in the doc comment of artefact.Dims.Tensors
(gnn/artefact/manifest.go) and in gnn/testdata/parity/make_fixture.py (the
PyTorch reference the Go parity tests are built from). Parameter names and
shapes are exactly the artefact tensor names, so export.py writes them as
they are.

Inputs are the sampling.Batch arrays (see README.md):
    X0 [B,F0]  X1 [R1,B,K1,F1]  M1 [R1,B,K1]  X2 [R1,B,K1,R2,K2,F2]  M2 [R1,B,K1,R2,K2]
"""
from dataclasses import dataclass

import flax.linen as nn
import jax
import jax.numpy as jnp


@dataclass(frozen=True)
class Dims:
    f0: int
    f1: int
    f2: int
    r1: int
    r2: int
    k1: int
    k2: int
    hidden: int

    def tensors(self):
        """artefact.Dims.Tensors: (name, shape) in the artefact's order."""
        F0, F1, F2, R1, R2, H = self.f0, self.f1, self.f2, self.r1, self.r2, self.hidden
        return [
            ("l1.self0.w", (F0, H)),
            ("l1.self0.b", (H,)),
            ("l1.nb0.w", (R1, F1, H)),
            ("l1.self1.w", (R1, F1, H)),
            ("l1.self1.b", (R1, H)),
            ("l1.nb1.w", (R1, R2, F2, H)),
            ("l2.self.w", (H, H)),
            ("l2.self.b", (H,)),
            ("l2.nb.w", (R1, H, H)),
            ("head.w", (H, 1)),
            ("head.b", (1,)),
        ]


def masked_mean(x, m, axis):
    """Mean of x over axis where m is 1; zeros where no m is 1. x has one
    more trailing axis (features) than m."""
    s = jnp.sum(x * m[..., None], axis=axis)
    c = jnp.maximum(jnp.sum(m, axis=axis), 1.0)[..., None]
    return s / c


def forward(p, X0, X1, M1, X2, M2):
    """Logits [B] from params p (a dict keyed by artefact tensor names)."""
    R1, B, K1, _ = X1.shape
    H = p["l2.self.w"].shape[0]
    a1 = masked_mean(X1, M1, 2)  # [R1,B,F1]
    a2 = masked_mean(X2, M2, 4)  # [R1,B,K1,R2,F2]
    h0 = jax.nn.relu(X0 @ p["l1.self0.w"] + p["l1.self0.b"]
                     + jnp.einsum("rbf,rfh->bh", a1, p["l1.nb0.w"]))
    h1 = jax.nn.relu(jnp.einsum("rbkf,rfh->rbkh", X1, p["l1.self1.w"])
                     + p["l1.self1.b"][:, None, None, :]
                     + jnp.einsum("rbksf,rsfh->rbkh", a2, p["l1.nb1.w"]))  # [R1,B,K1,H]
    g = masked_mean(h1, M1, 2)  # [R1,B,H]
    h2 = jax.nn.relu(h0 @ p["l2.self.w"] + p["l2.self.b"]
                     + jnp.einsum("rbh,rhk->bk", g, p["l2.nb.w"]))
    return (h2 @ p["head.w"] + p["head.b"]).reshape(B)


def glorot_init(dims: Dims, key):
    """Glorot-uniform matrices (fan_in, fan_out = last two dims), zero
    biases, as gnn.Train does (not bit-identical to it: different RNG)."""
    p = {}
    for name, shape in dims.tensors():
        key, sub = jax.random.split(key)
        if name.endswith(".b"):
            p[name] = jnp.zeros(shape, jnp.float32)
        else:
            fin, fout = shape[-2], shape[-1]
            a = (6.0 / (fin + fout)) ** 0.5
            p[name] = jax.random.uniform(sub, shape, jnp.float32, -a, a)
    return p


class HeteroSAGE(nn.Module):
    """Flax wrapper: parameters are named by artefact tensor names."""
    dims: Dims

    @nn.compact
    def __call__(self, X0, X1, M1, X2, M2):
        p = {}
        for name, shape in self.dims.tensors():
            init = nn.initializers.zeros if name.endswith(".b") else nn.initializers.glorot_uniform(in_axis=-2, out_axis=-1)
            p[name] = self.param(name, init, shape, jnp.float32)
        return forward(p, X0, X1, M1, X2, M2)


def weighted_bce(logits, y, pos_weight, valid=None):
    """Mean over valid rows of pw·y·softplus(−z) + (1−y)·softplus(z): the
    loss gnn.Train minimises."""
    l = pos_weight * y * jax.nn.softplus(-logits) + (1.0 - y) * jax.nn.softplus(logits)
    if valid is None:
        return jnp.mean(l)
    return jnp.sum(l * valid) / jnp.maximum(jnp.sum(valid), 1.0)
