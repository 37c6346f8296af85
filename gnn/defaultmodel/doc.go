// Package defaultmodel ships the default Transaction fraud model inside
// the binary, so that riskgraph scores out of the box before any model
// has been trained on an operator's own data.
//
// The model (model/manifest.json and model/weights.safetensors, about
// 190 KB) is trained by training.TrainDefault on synthetic traffic from
// package synth with seed 1, and regenerated with `make model`; its
// manifest records the data fingerprint, the temporal split and the
// validation metrics. Synthetic patterns are easier than real fraud: treat
// its metrics as a check of the pipeline, not as a promise about
// production traffic.
package defaultmodel
