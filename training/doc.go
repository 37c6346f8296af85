// Package training is riskgraph's retraining pipeline: it builds labelled
// data sets from a graph store or from a labelled-graph folder, splits
// them, trains the heterogeneous GraphSAGE model (artefact.ArchHeteroSAGE)
// with class weighting and early stopping, evaluates it on a held-out test
// split with bootstrap intervals (package training/eval) and writes the
// artefact with a model card. The commands riskgraph train, eval and
// export-batches are thin wrappers around it.
//
// # Data from a graph store
//
// NewDataset takes the labelled targets of a store: Transactions (fraud
// and laundering are label 1, legit 0), each as of its own time, or
// Accounts with an entity label, each as of the time its label became
// known (graph.Node.LabelTime). Features are computed by package sampling,
// each target as of its own time, exactly as the scorer computes them:
// there is no second feature code path. The split is temporal by default
// — the past trains, the following period validates, the last one tests —
// or given by an id,split file (ReadSplitFile), or stratified random when
// asked. Normalisation statistics come from the raw features of the
// training split only; the model's inputs are then sampled again with the
// resulting FeatureSpec as sampling.Config.Spec, which is what serving
// passes from the model's manifest. TrainStore trains on them, EvalStore
// evaluates a model on a store as its manifest records (cut times,
// normalisation, decision threshold, bootstrap seed), so that evaluating
// on the training data reproduces the training report exactly.
//
// # Data from a labelled-graph folder
//
// ReadFolder reads the benchmark format of DESIGN.md (nodes.csv[.gz] and
// edges_<relation>.csv[.gz]). Each node's vector is its own columns plus,
// unless turned off, graph-derived columns computed from the edges alone
// (Structure: degrees, amounts, fan-in hubs, reciprocity, 3-cycles, the
// shortest cycle through the node, bursts), identical at training and
// evaluation time and never reading a label. Columns go through a
// rank-Gauss transform fitted on the training split (quantiles recorded in
// the manifest) and are standardised. Each edge file becomes two model
// relations (its direction and the reverse) unless asked otherwise;
// neighbours are sampled per relation with fixed fanouts, seeded per node
// and epoch. TrainFolder and EvalFolder mirror TrainStore and EvalStore.
//
// # Training
//
// The trainer is a hand-written forward and backward pass of the forward
// pass of artefact.Dims.Tensors (sage.go), held to gnn.Model (the serving
// implementation) by a parity test and to finite differences by a
// gradient test. It minimises class-weighted cross-entropy with AdamW,
// optionally with Polyak averaging, input dropout, and a stronger decay
// of the neighbour weights (so that the graph must earn its place against
// the target's own features), keeps the epoch with the best validation
// average precision and stops after Patience epochs without progress. The
// same seed and data give the same weights, bit for bit. The decision
// threshold is chosen on validation (eval.GMean by default); every
// reported test metric is computed on gnn.Model's scores.
//
// # Default model
//
// TrainDefault generates synthetic traffic (package synth, card numbers
// tokenised as ingestion does), loads it into an embedded store, builds
// the data set, trains with gnn.Train, measures ROC AUC and average
// precision on the validation period and writes the artefact. The same
// DefaultConfig gives the same weights file, byte for byte.
//
// # Export
//
// Batches.Export writes a prepared data set as npz batches with a
// manifest, the input of the JAX trainer in training/jax.
package training
