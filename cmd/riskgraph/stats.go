package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/graph"
)

func (m *Main) graphCommand(g *globals) *cobra.Command {
	var dataDir string
	var jsonOut bool
	stats := &cobra.Command{
		Use:   "stats --data-dir D",
		Short: "Counts by node and edge kind, degree percentiles, labels",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.runStats(cmd.Context(), g, dataDir, jsonOut)
		},
	}
	stats.Flags().StringVar(&dataDir, "data-dir", "", "data directory of the embedded deployment")
	stats.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	cmd := &cobra.Command{Use: "graph", Short: "Inspect the graph"}
	cmd.AddCommand(stats)
	return cmd
}

// kindStats are one node kind's figures.
type kindStats struct {
	Kind   string `json:"kind"`
	Nodes  int64  `json:"nodes"`
	DegP50 int    `json:"degree_p50"`
	DegP90 int    `json:"degree_p90"`
	DegP99 int    `json:"degree_p99"`
	DegMax int    `json:"degree_max"`
}

type graphStats struct {
	Kinds   []kindStats      `json:"kinds"`
	Edges   map[string]int64 `json:"edges"`
	Labels  map[string]int64 `json:"labels"`
	LastSeq uint64           `json:"last_seq"`
}

func (m *Main) runStats(ctx context.Context, g *globals, dataDir string, jsonOut bool) error {
	log, err := g.logger(m.Stderr)
	if err != nil {
		return err
	}
	e, err := m.openCaughtUp(ctx, log, envConfig{DataDir: dataDir})
	if err != nil {
		return err
	}
	defer e.close()
	out, err := collectStats(ctx, e.store)
	if err != nil {
		return err
	}
	if jsonOut {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tnodes\tdegree p50\tp90\tp99\tmax\t")
	for _, k := range out.Kinds {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", k.Kind, k.Nodes, k.DegP50, k.DegP90, k.DegP99, k.DegMax)
	}
	tw.Flush()
	fmt.Fprintln(m.Stdout)
	tw = tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "edge\tcount\t")
	for _, e := range graph.EdgeKinds() {
		fmt.Fprintf(tw, "%s\t%d\t\n", e, out.Edges[e.String()])
	}
	tw.Flush()
	fmt.Fprintf(m.Stdout, "\nlabelled transactions: fraud %d, laundering %d, legit %d\nlog sequence: %d\n",
		out.Labels[string(graph.ClassFraud)], out.Labels[string(graph.ClassLaundering)], out.Labels[string(graph.ClassLegit)], out.LastSeq)
	return nil
}

func collectStats(ctx context.Context, s graph.Store) (graphStats, error) {
	st, err := s.Stats(ctx)
	if err != nil {
		return graphStats{}, err
	}
	out := graphStats{Edges: map[string]int64{}, Labels: map[string]int64{}, LastSeq: st.LastSeq}
	for e, n := range st.Edges {
		out.Edges[e.String()] = n
	}
	for c, n := range st.Labels {
		out.Labels[string(c)] = n
	}
	for _, k := range graph.Kinds() {
		var degs []int
		if err := s.Nodes(ctx, k, func(n graph.Node) bool { degs = append(degs, n.Degree); return true }); err != nil {
			return out, err
		}
		slices.Sort(degs)
		ks := kindStats{Kind: k.String(), Nodes: int64(len(degs))}
		if len(degs) > 0 {
			q := func(p float64) int { return degs[min(len(degs)-1, int(p*float64(len(degs))))] }
			ks.DegP50, ks.DegP90, ks.DegP99, ks.DegMax = q(0.5), q(0.9), q(0.99), degs[len(degs)-1]
		}
		out.Kinds = append(out.Kinds, ks)
	}
	return out, nil
}
