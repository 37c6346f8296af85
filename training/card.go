package training

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/training/eval"
)

// Files of the model card, written next to the manifest.
const (
	CardJSON = "model_card.json"
	CardMD   = "model_card.md"
	ROCPlot  = "roc.png"
	PRPlot   = "pr.png"
)

// maxPlotPoints bounds the points drawn per curve.
const maxPlotPoints = 2000

// Card is model_card.json: what the model is, what it was trained on and
// how it did on the test split.
type Card struct {
	Model        string    `json:"model"` // ID@sha256 of the weights
	Target       string    `json:"target"`
	Architecture string    `json:"architecture"`
	Created      time.Time `json:"created,omitzero"`
	Data         CardData  `json:"data"`
	// Hyperparameters are the data, fit and model settings.
	Hyperparameters map[string]any `json:"hyperparameters"`
	Training        CardTraining   `json:"training"`
	Validation      CardValidation `json:"validation"`
	// Test holds every test metric with its bootstrap interval.
	Test  eval.Summary      `json:"test"`
	Plots map[string]string `json:"plots"`
}

// CardData describes the training data.
type CardData struct {
	Source      string      `json:"source"`
	Fingerprint string      `json:"fingerprint"` // sha256 of the inputs
	Split       string      `json:"split"`
	Counts      SplitCounts `json:"counts"`
}

// CardTraining summarises the training loop.
type CardTraining struct {
	Trainer   string       `json:"trainer"`
	Seed      uint64       `json:"seed"`
	BestEpoch int          `json:"best_epoch"`
	Stopped   string       `json:"stopped"`
	PosWeight float64      `json:"pos_weight"`
	Epochs    []EpochStats `json:"epochs"`
}

// CardValidation is the validation split's part: the selection metrics
// and the threshold chosen there.
type CardValidation struct {
	AUC       float64 `json:"auc"`
	AP        float64 `json:"ap"`
	Threshold float64 `json:"threshold"`
	Rule      string  `json:"rule"`
}

// Write writes the model to dir in format (manifest.json and weights,
// see artefact.Write) with its model card: model_card.json, model_card.md
// and the test split's ROC and precision–recall curves (roc.png, pr.png).
// source names the training data for the card; created is the card's
// date (zero: none). It returns the artefact as loaded back from dir.
func (r *Result) Write(dir string, format artefact.Format, source string, created time.Time) (*artefact.Artefact, error) {
	m, err := artefact.Write(dir, r.Manifest, r.Weights, format)
	if err != nil {
		return nil, fmt.Errorf("training: writing the artefact: %w", err)
	}
	r.Manifest = m
	c := Card{
		Model: m.ModelID(), Target: m.Target, Architecture: m.Architecture, Created: created,
		Data:            CardData{Source: source, Fingerprint: m.Training.DataFingerprint, Split: m.Training.Split, Counts: r.Counts},
		Hyperparameters: r.Params,
		Training: CardTraining{Trainer: m.Training.Trainer, Seed: m.Training.Seed, BestEpoch: r.Fit.BestEpoch,
			Stopped: r.Fit.Stopped, PosWeight: r.Fit.PosWeight, Epochs: r.Fit.Epochs},
		Validation: CardValidation{AUC: r.ValAUC, AP: r.ValAP, Threshold: r.Threshold, Rule: r.Rule.String()},
		Test:       r.Test.Summary,
		Plots:      map[string]string{"roc": ROCPlot, "pr": PRPlot},
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("training: model card: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, CardJSON), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("training: model card: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, CardMD), []byte(c.markdown()), 0o644); err != nil {
		return nil, fmt.Errorf("training: model card: %w", err)
	}
	s := r.Test.Summary
	rate := float64(s.Positives) / float64(max(s.Rows, 1)) // PR's chance level
	if err := plotCurve(filepath.Join(dir, ROCPlot), fmt.Sprintf("ROC, test split (AUC %.3f)", s.AUC.Value), "false-positive rate", "true-positive rate", r.Test.ROC,
		plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}); err != nil {
		return nil, err
	}
	if err := plotCurve(filepath.Join(dir, PRPlot), fmt.Sprintf("Precision–recall, test split (AP %.3f)", s.AP.Value), "recall", "precision", r.Test.PR,
		plotter.XYs{{X: 0, Y: rate}, {X: 1, Y: rate}}); err != nil {
		return nil, err
	}
	a, err := artefact.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("training: reloading the artefact: %w", err)
	}
	return a, nil
}

// markdown renders the card for people.
func (c Card) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Model card: %s\n\n", c.Model)
	fmt.Fprintf(&b, "- target: %s, architecture %s\n", c.Target, c.Architecture)
	if !c.Created.IsZero() {
		fmt.Fprintf(&b, "- created: %s\n", c.Created.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "- data: %s\n- data fingerprint (sha256): `%s`\n- split: %s\n", c.Data.Source, c.Data.Fingerprint, c.Data.Split)
	n := c.Data.Counts
	fmt.Fprintf(&b, "- rows: train %d (%d positive), validation %d (%d positive), test %d labelled (%d positive) of %d\n\n",
		n.Train, n.TrainPos, n.Val, n.ValPos, n.Test, n.TestPos, n.TestAll)
	fmt.Fprintf(&b, "## Training\n\n- trainer %s, seed %d, pos weight %.3g\n- best epoch %d of %d (stopped: %s)\n",
		c.Training.Trainer, c.Training.Seed, c.Training.PosWeight, c.Training.BestEpoch, len(c.Training.Epochs), c.Training.Stopped)
	fmt.Fprintf(&b, "- validation: AUC %.4f, AP %.4f; threshold %.6g (maximises %s)\n\n", c.Validation.AUC, c.Validation.AP, c.Validation.Threshold, c.Validation.Rule)
	hp, _ := json.MarshalIndent(c.Hyperparameters, "", "  ")
	fmt.Fprintf(&b, "Hyperparameters:\n\n```json\n%s\n```\n\n", hp)
	fmt.Fprintf(&b, "## Test metrics\n\n%d rows, %d positive; %.0f%% bootstrap intervals over %d resamples (seed %d).\n\n",
		c.Test.Rows, c.Test.Positives, 100*c.Test.Level, c.Test.Replicates, c.Test.Seed)
	b.WriteString("| metric | value | interval |\n|---|---|---|\n")
	for _, m := range c.Test.Metrics() {
		fmt.Fprintf(&b, "| %s | %s | [%s, %s] |\n", m.Name, num(m.Value), num(m.Lo), num(m.Hi))
	}
	fmt.Fprintf(&b, "\nF1, G-Mean, precision and recall at the validation threshold %.6g; recall at 1%% false-positive rate.\n\n", c.Test.Threshold)
	fmt.Fprintf(&b, "![ROC](%s) ![PR](%s)\n", c.Plots["roc"], c.Plots["pr"])
	return b.String()
}

func num(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return fmt.Sprintf("%.4f", x)
}

// plotCurve draws pts as a PNG at path, with chance, the curve of a
// random ranking, dashed.
func plotCurve(path, title, x, y string, pts []eval.Point, chance plotter.XYs) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = x, y
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	step := max(1, len(pts)/maxPlotPoints)
	xy := make(plotter.XYs, 0, len(pts)/step+2)
	for i := 0; i < len(pts); i += step {
		xy = append(xy, plotter.XY{X: pts[i].X, Y: pts[i].Y})
	}
	if (len(pts)-1)%step != 0 { // the curve's end point
		xy = append(xy, plotter.XY{X: pts[len(pts)-1].X, Y: pts[len(pts)-1].Y})
	}
	line, err := plotter.NewLine(xy)
	if err != nil {
		return fmt.Errorf("training: plot %s: %w", path, err)
	}
	p.Add(line)
	ref, err := plotter.NewLine(chance)
	if err != nil {
		return fmt.Errorf("training: plot %s: %w", path, err)
	}
	ref.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(ref)
	p.Add(plotter.NewGrid())
	if err := p.Save(5*vg.Inch, 5*vg.Inch, path); err != nil {
		return fmt.Errorf("training: plot %s: %w", path, err)
	}
	return nil
}
