package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/gnn/artefact"
	"github.com/riskgraph/riskgraph/registry"
)

func (m *Main) modelCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "model", Short: "Import, inspect, register and promote GNN model artefacts",
		Long: `model import and show work on artefact directories. The other commands
work on the model registry of a deployment: in --data-dir (its models/
folder; a running serve picks changes up within --model-poll) or, for a
NATS cluster, in JetStream at --nats-url (serve follows it with a watch).

  riskgraph model add --data-dir D ./my-model
  riskgraph model list --data-dir D
  riskgraph model promote --data-dir D my-model@3f2a --reason "monthly retrain"
  riskgraph model shadow --data-dir D other@9c1d      (or --clear)
  riskgraph model rollback --data-dir D --reason "alert storm"
  riskgraph model log --data-dir D

Model ids are name@hash; any unique prefix of the id or of the hash will
do. Every change is logged with --actor (default $USER), the time and
--reason.`}
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
	m.registryCommands(cmd)
	return cmd
}

// registryFlags locate the model registry and name who acts on it.
type registryFlags struct {
	dataDir, natsURL, actor string
}

func (f *registryFlags) bind(cmd *cobra.Command, acts bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory whose models/ folder holds the registry")
	fl.StringVar(&f.natsURL, "nats-url", "", "NATS cluster holding the registry in JetStream (instead of --data-dir)")
	if acts {
		fl.StringVar(&f.actor, "actor", os.Getenv("USER"), "who makes the change, for the registry log")
	}
}

// open opens the registry the flags name, closed by the returned func.
func (m *Main) openRegistryFlags(ctx context.Context, f *registryFlags) (*registry.Registry, func(), error) {
	if (f.dataDir == "") == (f.natsURL == "") {
		return nil, nil, usagef("give exactly one of --data-dir and --nats-url")
	}
	if f.natsURL == "" {
		r, err := m.openRegistry(ctx, f.dataDir, nil, 0)
		return r, func() {}, err
	}
	nc, err := nats.Connect(f.natsURL, nats.Name("riskgraph model"))
	if err != nil {
		return nil, nil, fmt.Errorf("--nats-url %s: %w", f.natsURL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	r, err := m.openRegistry(ctx, "", js, 0)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return r, nc.Close, nil
}

// withRegistry wraps a command body that needs the registry.
func (m *Main) withRegistry(f *registryFlags, needActor bool, body func(context.Context, *registry.Registry, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if needActor && strings.TrimSpace(f.actor) == "" {
			return usagef("--actor is required ($USER is not set)")
		}
		r, closeFn, err := m.openRegistryFlags(cmd.Context(), f)
		if err != nil {
			return err
		}
		defer closeFn()
		if err := body(cmd.Context(), r, args); err != nil {
			return fmt.Errorf("model %s: %w", cmd.Name(), err)
		}
		return nil
	}
}

func (m *Main) registryCommands(parent *cobra.Command) {
	var (
		listF, addF, promoteF, shadowF, rollbackF, logF, repairF registryFlags
		jsonList, jsonLog, force, clearShadow                    bool
		addReason, promoteReason, shadowReason, rollbackReason   string
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List the registry's models: id, when added, role, held-out metrics",
		Args:  cobra.NoArgs,
		RunE: m.withRegistry(&listF, false, func(ctx context.Context, r *registry.Registry, _ []string) error {
			entries, err := r.List(ctx)
			if err != nil {
				return err
			}
			if jsonList {
				if entries == nil {
					entries = []registry.Entry{}
				}
				return writeJSON(m.Stdout, entries)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tROLE\tCREATED\tHELD-OUT\tAUC\tAP\t")
			for _, e := range entries {
				set, auc, ap := "-", "-", "-"
				if e.Eval != nil {
					set = e.Eval.Set
					auc, ap = fmtMetric(e.Eval.AUC), fmtMetric(e.Eval.AP)
				}
				if e.Problem != "" {
					set = "BROKEN: " + e.Problem
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", e.ID, e.Role, e.Created.Format(time.RFC3339), set, auc, ap)
			}
			return tw.Flush()
		}),
	}
	listF.bind(list, false)
	list.Flags().BoolVar(&jsonList, "json", false, "print JSON")

	add := &cobra.Command{
		Use:   "add DIR",
		Short: "Verify an artefact and store it in the registry under its model id",
		Args:  cobra.ExactArgs(1),
		RunE: m.withRegistry(&addF, true, func(ctx context.Context, r *registry.Registry, args []string) error {
			e, added, err := r.Add(ctx, args[0], addF.actor, addReason)
			if err != nil {
				return err
			}
			if !added {
				fmt.Fprintf(m.Stdout, "%s is already in the registry (%s)\n", e.ID, e.Role)
				return nil
			}
			fmt.Fprintf(m.Stdout, "added %s\n", e.ID)
			return nil
		}),
	}
	addF.bind(add, true)
	add.Flags().StringVar(&addReason, "reason", "", "why, for the registry log")

	promote := &cobra.Command{
		Use:   "promote ID --reason TEXT",
		Short: "Make a model the champion (refuses a worse challenger unless --force)",
		Long: `promote makes a registry model the champion: running servers switch to it
without a restart. It compares the challenger with the champion on the
held-out metrics their manifests record (test_auc/test_ap, else
val_auc/val_ap), and only when both were measured on the same held-out set
(same training data fingerprint and split). A challenger with a lower AUC
or AP is refused; one that cannot be compared (no metrics, other data) is
refused with the reason. --force promotes anyway and logs that it did.`,
		Args: cobra.ExactArgs(1),
		RunE: m.withRegistry(&promoteF, true, func(ctx context.Context, r *registry.Registry, args []string) error {
			if strings.TrimSpace(promoteReason) == "" {
				return usagef("--reason is required")
			}
			ev, err := r.Promote(ctx, registry.PromoteRequest{Model: args[0], Actor: promoteF.actor, Reason: promoteReason, Force: force})
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "promoted %s (replacing %s)%s: %s\n", ev.Model, orNoModel(ev.Replaced), forcedNote(ev.Forced), ev.Check)
			return nil
		}),
	}
	promoteF.bind(promote, true)
	promote.Flags().StringVar(&promoteReason, "reason", "", "why (required), for the registry log")
	promote.Flags().BoolVar(&force, "force", false, "promote even a worse or incomparable challenger")

	shadow := &cobra.Command{
		Use:   "shadow ID | shadow --clear",
		Short: "Set the shadow model (scores the same traffic, never decides), or clear it",
		Args: func(cmd *cobra.Command, args []string) error {
			if clearShadow != (len(args) == 0) || len(args) > 1 {
				return usagef("give one model id, or --clear")
			}
			return nil
		},
		RunE: m.withRegistry(&shadowF, true, func(ctx context.Context, r *registry.Registry, args []string) error {
			req := registry.ShadowRequest{Actor: shadowF.actor, Reason: shadowReason}
			if len(args) == 1 {
				req.Model = args[0]
			}
			ev, err := r.SetShadow(ctx, req)
			if err != nil {
				return err
			}
			if ev.Model == "" {
				fmt.Fprintf(m.Stdout, "shadow cleared (was %s)\n", ev.Replaced)
			} else {
				fmt.Fprintf(m.Stdout, "shadow is %s (was %s)\n", ev.Model, orNoModel(ev.Replaced))
			}
			return nil
		}),
	}
	shadowF.bind(shadow, true)
	shadow.Flags().BoolVar(&clearShadow, "clear", false, "remove the shadow model")
	shadow.Flags().StringVar(&shadowReason, "reason", "", "why, for the registry log")

	rollback := &cobra.Command{
		Use:   "rollback --reason TEXT",
		Short: "Restore the previous champion",
		Args:  cobra.NoArgs,
		RunE: m.withRegistry(&rollbackF, true, func(ctx context.Context, r *registry.Registry, _ []string) error {
			if strings.TrimSpace(rollbackReason) == "" {
				return usagef("--reason is required")
			}
			ev, err := r.Rollback(ctx, rollbackF.actor, rollbackReason)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "rolled back to %s (was %s)\n", ev.Model, ev.Replaced)
			return nil
		}),
	}
	rollbackF.bind(rollback, true)
	rollback.Flags().StringVar(&rollbackReason, "reason", "", "why (required), for the registry log")

	logCmd := &cobra.Command{
		Use:   "log",
		Short: "Print the registry log: who changed what, when and why",
		Args:  cobra.NoArgs,
		RunE: m.withRegistry(&logF, false, func(ctx context.Context, r *registry.Registry, _ []string) error {
			evs, err := r.Log(ctx)
			if err != nil {
				return err
			}
			if jsonLog {
				if evs == nil {
					evs = []registry.Event{}
				}
				return writeJSON(m.Stdout, evs)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tMODEL\tREPLACED\tREASON\t")
			for _, e := range evs {
				reason := e.Reason
				if e.Forced {
					reason += " [forced: " + e.Check + "]"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", e.Seq, e.Time.Format(time.RFC3339), e.Actor, e.Action,
					orDash(e.Model), orDash(e.Replaced), reason)
			}
			return tw.Flush()
		}),
	}
	logF.bind(logCmd, false)
	logCmd.Flags().BoolVar(&jsonLog, "json", false, "print JSON")

	repair := &cobra.Command{
		Use:   "repair",
		Short: "Rewrite an unreadable registry pointer from the last state in the log",
		Args:  cobra.NoArgs,
		RunE: m.withRegistry(&repairF, true, func(ctx context.Context, r *registry.Registry, _ []string) error {
			ev, err := r.Repair(ctx, repairF.actor)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "pointer rewritten: champion %s, shadow %s\n", orNoModel(ev.After.Champion), orNoModel(ev.After.Shadow))
			return nil
		}),
	}
	repairF.bind(repair, true)
	parent.AddCommand(list, add, promote, shadow, rollback, logCmd, repair)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func fmtMetric(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.4f", *v)
}

func orNoModel(id string) string {
	if id == "" {
		return "none"
	}
	return id
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func forcedNote(forced bool) string {
	if forced {
		return " FORCED"
	}
	return ""
}
