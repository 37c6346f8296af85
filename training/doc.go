// Package training builds labelled, time-split data sets from a graph
// store and trains the default heterogeneous GraphSAGE model on them: the
// seed of the retraining pipeline (issue 5).
//
// # Data set
//
// NewDataset takes every labelled Transaction of a store (fraud and
// laundering are label 1, legit 0; unlabelled ones are skipped) and splits
// them temporally: transactions strictly before the cut-off train, those
// at or after it validate. The default cut-off leaves the last 20% of the
// time range for validation, so the model is judged on a period it never
// saw, as it will be in production.
//
// Features are computed by package sampling, each target as of its own
// time, exactly as the scorer computes them: there is no second feature
// code path. Normalisation statistics come from the raw features of the
// training split only (sampling.Batch.Accumulate into feature.Stats); the
// batches the model trains and is evaluated on are then sampled again
// with the resulting FeatureSpec as sampling.Config.Spec, which is what
// serving passes from the model's manifest.
//
// # Default model
//
// TrainDefault generates synthetic traffic (package synth, card numbers
// tokenised as ingestion does), loads it into an embedded store, builds
// the data set, trains with gnn.Train, measures ROC AUC and average
// precision on the validation period and writes the artefact. The same
// DefaultConfig gives the same weights file, byte for byte.
package training
