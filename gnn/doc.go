// Package gnn runs and trains the heterogeneous GraphSAGE fraud model
// (artefact.ArchHeteroSAGE) with Gorgonia, in float32.
//
// # Forward pass
//
// The forward pass is the one defined by the doc comment of
// artefact.Dims.Tensors. A Model computes it in two parts:
//
//   - in plain Go, the masked means a1 (of hop-1 features over K1) and a2
//     (of hop-2 features over K2), which are linear in the raw features;
//   - in a Gorgonia expression graph, everything after: two matrix
//     products for layer 1, the in-graph masked mean g over K1 of the
//     hop-1 hidden states, layer 2 and the head.
//
// Two engines run that second part on the same packed weights and the same
// filled inputs: EngineNative (the default), a hand-written sequence of
// gonum BLAS calls with preallocated buffers — about 9 µs for one
// transaction-model row against 130 µs through a tape machine, which costs
// ~650 allocations per run whatever the batch — and EngineGorgonia, the
// compiled expression graph, kept as the reference form. New scores a
// seeded probe batch with both and refuses a model on which they disagree;
// the parity tests hold both to the PyTorch reference.
//
// New packs the named weights into a few stacked matrices so the graph has
// about fifteen ops whatever the number of relations: the self and
// neighbour weights of a layer are stacked row-wise (a concatenation of
// inputs times a stack of weights is the sum of the products), the biases
// become a row multiplied by a constant-one input column, and the
// per-relation hop-1 weights are applied with one BatchedMatMul over
// relations. The packing is exact up to float32 summation order.
//
// Batch features are expected already normalised with the manifest's
// FeatureSpec ((x-Mean)/Std, done by the feature package); a normalised
// feature of 0 is the training mean, which is what Explain occludes to.
//
// # Graphs, buckets and concurrency
//
// A graph is built and compiled once per batch-size bucket (1, 2, 4, … 64 by
// default; a batch is padded up to the next bucket and a larger one is
// split) and its TapeMachine is reused with new inputs bound by Let. Compiled
// programs are kept in a bounded free list per bucket: a TapeMachine is not
// safe for concurrent use, a Model is.
//
// # Training
//
// Train fits the default model with Gorgonia's reverse-mode autodiff, Adam
// and class-weighted binary cross-entropy from a seeded Glorot
// initialisation; the same seed and batches give the same weights.
//
// The PyTorch reference used for the parity tests is
// testdata/parity/make_fixture.py; the JAX reference and the TPU export
// path live in training/jax.
package gnn
