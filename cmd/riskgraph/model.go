package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/gnn/artefact"
)

func (m *Main) modelCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "model", Short: "Import and inspect GNN model artefacts"}
	var from, manifest, out string
	imp := &cobra.Command{
		Use:   "import --from weights.safetensors|weights.npz --manifest manifest.json --out DIR",
		Short: "Check a model artefact (e.g. exported by a TPU/JAX job) and install it",
		Long: `import validates an artefact completely before installing it: manifest
(format version, architecture, dimensions, feature schema), weights file
checksum, header structure (no holes, overlaps or duplicates), every tensor
the architecture needs and no other, shapes, per-tensor checksums, and no
NaN or Inf. Each failure names what is wrong. bfloat16 weights are widened
to float32 on load.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" || manifest == "" || out == "" {
				return usagef("--from, --manifest and --out are required")
			}
			a, err := artefact.Import(from, manifest, out)
			if err != nil {
				return fmt.Errorf("model import: %w", err)
			}
			fmt.Fprintf(m.Stdout, "installed %s (%s, target %s, %d tensors) in %s\n",
				a.ModelID(), a.Manifest.Architecture, a.Manifest.Target, len(a.Tensors), out)
			return nil
		},
	}
	imp.Flags().StringVar(&from, "from", "", "weights file (weights.safetensors or weights.npz)")
	imp.Flags().StringVar(&manifest, "manifest", "", "manifest.json")
	imp.Flags().StringVar(&out, "out", "", "model directory to install into")

	var jsonOut bool
	show := &cobra.Command{
		Use:   "show DIR",
		Short: "Print a model's manifest summary",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := artefact.Load(args[0])
			if err != nil {
				return err
			}
			if jsonOut {
				enc := json.NewEncoder(m.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(a.Manifest)
			}
			mf := a.Manifest
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "model\t%s\n", a.ModelID())
			fmt.Fprintf(tw, "architecture\t%s\n", mf.Architecture)
			fmt.Fprintf(tw, "target\t%s\n", mf.Target)
			fmt.Fprintf(tw, "dims\tF0=%d F1=%d F2=%d R1=%d R2=%d K1=%d K2=%d hidden=%d\n",
				mf.Dims.F0, mf.Dims.F1, mf.Dims.F2, mf.Dims.R1, mf.Dims.R2, mf.Dims.K1, mf.Dims.K2, mf.Dims.H)
			fmt.Fprintf(tw, "relations\thop 1: %s; hop 2: %s\n", strings.Join(mf.Relations1, ","), strings.Join(mf.Relations2, ","))
			fmt.Fprintf(tw, "features\t%s (%d target, %d hop-1, %d hop-2)\n", mf.Features.Version, len(mf.Features.Target), len(mf.Features.Hop1), len(mf.Features.Hop2))
			fmt.Fprintf(tw, "trainer\t%s\n", mf.Training.Trainer)
			for k, v := range mf.Training.Metrics {
				fmt.Fprintf(tw, "metric %s\t%.4f\n", k, v)
			}
			return tw.Flush()
		},
	}
	show.Flags().BoolVar(&jsonOut, "json", false, "print the whole manifest as JSON")
	cmd.AddCommand(imp, show)
	return cmd
}
