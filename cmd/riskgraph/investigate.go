package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/investigate"
	"github.com/riskgraph/riskgraph/typology"
	"github.com/riskgraph/riskgraph/typology/natsalert"
)

// investigateFlags are the flags every investigate subcommand takes.
type investigateFlags struct {
	dataDir  string
	jsonOut  bool
	format   string
	out      string
	maxDepth int
	fanout   int
	// With --neo4j-uri the graph is read from Neo4j; --show-cypher prints
	// every statement the investigation ran, with its parameters, for
	// Neo4j Browser or Bloom.
	neo4j      neo4jFlags
	showCypher bool
}

func (f *investigateFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory of the embedded deployment")
	addNeo4jFlags(fl, &f.neo4j)
	fl.BoolVar(&f.showCypher, "show-cypher", false, "with --neo4j-uri: print the Cypher statements the investigation ran (to standard error), ready for Neo4j Browser")
	fl.BoolVar(&f.jsonOut, "json", false, "print JSON")
	fl.StringVar(&f.format, "format", "table", "output: table, dot (Graphviz source), svg or png (rendered with Graphviz; need --out)")
	fl.StringVar(&f.out, "out", "", "write the output to this file instead of standard output")
	fl.IntVar(&f.maxDepth, "max-depth", investigate.DefaultMaxDepth, "longest path, in transfers or shared-identifier links")
	fl.IntVar(&f.fanout, "fanout", investigate.DefaultFanout, "most transactions read per node (most recent first)")
}

// check validates the output flags before anything is opened.
func (f *investigateFlags) check() error {
	if f.showCypher && f.neo4j.uri == "" {
		return usagef("--show-cypher needs --neo4j-uri (the embedded graph runs no Cypher)")
	}
	switch f.format {
	case "table", "dot":
	case investigate.FormatSVG, investigate.FormatPNG:
		if f.out == "" {
			return usagef("--format %s needs --out FILE", f.format)
		}
	default:
		return usagef("--format %q: want table, dot, svg or png", f.format)
	}
	if f.jsonOut && f.format != "table" {
		return usagef("give --json or --format %s, not both", f.format)
	}
	if f.maxDepth < 1 || f.fanout < 1 {
		return usagef("--max-depth and --fanout must be at least 1")
	}
	return nil
}

func (m *Main) investigateCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "investigate",
		Short: "Profiles, paths, rings, timelines and typology alerts, for compliance investigations",
		Long: `investigate answers an analyst's questions about the graph. Entities are named
KIND:ID (Account:a17, User:u3, Device:d9, Transaction:t00001234).

  riskgraph investigate entity Account:a17 --data-dir data
  riskgraph investigate path Account:a1 Account:a9 --data-dir data --format svg --out path.svg
  riskgraph investigate ring User:u42 --data-dir data
  riskgraph investigate timeline User:u3 --data-dir data --since 2026-01-10
  riskgraph investigate typologies --data-dir data --since 2026-01-10 --typology fan_in

Typology alerts come from the alert log (RISKGRAPH_ALERTS), which
"riskgraph typology scan --publish" and "riskgraph serve" write.

Output is a table, JSON (--json), or a drawing (--format dot|svg|png; svg and
png need Graphviz's dot program).`,
	}
	cmd.AddCommand(m.investigateEntityCommand(g), m.investigatePathCommand(g), m.investigateRingCommand(g),
		m.investigateTimelineCommand(g), m.investigateTypologiesCommand(g))
	return cmd
}

func (m *Main) investigateEntityCommand(g *globals) *cobra.Command {
	f := &investigateFlags{}
	cmd := &cobra.Command{
		Use:   "entity KIND:ID",
		Short: "Risk history, linked entities, flagged neighbours, typologies and recent transactions of an entity",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := parseRefArg("entity", args[0])
			if err != nil {
				return err
			}
			return m.withInvestigator(cmd.Context(), g, f, func(ctx context.Context, inv *investigate.Investigator, _ *natsalert.Log) error {
				p, err := inv.Profile(ctx, ref)
				if err != nil {
					return err
				}
				return m.emit(ctx, f, p, func(w io.Writer) { printProfile(w, p) }, func() investigate.Drawing { return investigate.ProfileDrawing(p) })
			})
		},
	}
	f.register(cmd)
	return cmd
}

func (m *Main) investigatePathCommand(g *globals) *cobra.Command {
	f := &investigateFlags{}
	cmd := &cobra.Command{
		Use:   "path KIND:ID KIND:ID",
		Short: "Time-respecting money-flow paths and shared-identifier paths between two entities",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := parseRefArg("first entity", args[0])
			if err != nil {
				return err
			}
			b, err := parseRefArg("second entity", args[1])
			if err != nil {
				return err
			}
			return m.withInvestigator(cmd.Context(), g, f, func(ctx context.Context, inv *investigate.Investigator, _ *natsalert.Log) error {
				p, err := inv.Paths(ctx, a, b)
				if err != nil {
					return err
				}
				return m.emit(ctx, f, p, func(w io.Writer) { printPaths(w, p) }, func() investigate.Drawing { return investigate.PathsDrawing(p) })
			})
		},
	}
	f.register(cmd)
	return cmd
}

func (m *Main) investigateRingCommand(g *globals) *cobra.Command {
	f := &investigateFlags{}
	var withIP bool
	var maxUsersPerID int
	cmd := &cobra.Command{
		Use:   "ring KIND:ID",
		Short: "The ring of users around an entity, linked by shared devices, cards, phones and emails",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := parseRefArg("entity", args[0])
			if err != nil {
				return err
			}
			cfg := typology.RingConfig{MaxUsersPerID: maxUsersPerID}
			if withIP {
				cfg.Kinds = []graph.Kind{graph.KindDevice, graph.KindCard, graph.KindPhone, graph.KindEmail, graph.KindIP}
			}
			if err := cfg.Validate(); err != nil {
				return usagef("%v", err)
			}
			return m.withInvestigator(cmd.Context(), g, f, func(ctx context.Context, inv *investigate.Investigator, _ *natsalert.Log) error {
				r, err := inv.Ring(ctx, ref, cfg)
				if err != nil {
					return err
				}
				return m.emit(ctx, f, r, func(w io.Writer) { printRing(w, r) }, func() investigate.Drawing { return investigate.RingDrawing(r) })
			})
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&withIP, "with-ip", false, "let IP addresses link users too (off by default: mobile carriers put strangers behind one address)")
	cmd.Flags().IntVar(&maxUsersPerID, "max-users-per-id", 0, "an identifier shared by more users is public and links nobody (0: the default, 20)")
	return cmd
}

func (m *Main) investigateTimelineCommand(g *globals) *cobra.Command {
	f := &investigateFlags{}
	var since, until string
	cmd := &cobra.Command{
		Use:   "timeline KIND:ID",
		Short: "Transactions, verdicts and alerts of an entity in time order",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := parseRefArg("entity", args[0])
			if err != nil {
				return err
			}
			var w graph.Window
			if w.From, err = parseTimeFlag("--since", since); err != nil {
				return err
			}
			if w.To, err = parseTimeFlag("--until", until); err != nil {
				return err
			}
			if !w.From.IsZero() && !w.To.IsZero() && !w.From.Before(w.To) {
				return usagef("--since %s is not before --until %s", since, until)
			}
			return m.withInvestigator(cmd.Context(), g, f, func(ctx context.Context, inv *investigate.Investigator, _ *natsalert.Log) error {
				tl, err := inv.Timeline(ctx, ref, w)
				if err != nil {
					return err
				}
				return m.emit(ctx, f, tl, func(w io.Writer) { printTimeline(w, tl) }, func() investigate.Drawing { return investigate.TimelineDrawing(tl) })
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&since, "since", "", "only events at or after this time (YYYY-MM-DD or RFC 3339)")
	cmd.Flags().StringVar(&until, "until", "", "only events before this time (YYYY-MM-DD or RFC 3339)")
	return cmd
}

func (m *Main) investigateTypologiesCommand(g *globals) *cobra.Command {
	f := &investigateFlags{}
	var since, entity string
	var names []string
	cmd := &cobra.Command{
		Use:   "typologies [--since T] [--typology NAME,...] [--entity KIND:ID]",
		Short: "Typology alerts from the alert log, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, err := parseTimeFlag("--since", since)
			if err != nil {
				return err
			}
			for _, n := range names {
				if !slices.Contains(typology.Names(), n) {
					return usagef("--typology %q: want one of %s", n, strings.Join(typology.Names(), ", "))
				}
			}
			var ref graph.NodeRef
			if entity != "" {
				if ref, err = parseRefArg("--entity", entity); err != nil {
					return err
				}
			}
			return m.withInvestigator(cmd.Context(), g, f, func(ctx context.Context, _ *investigate.Investigator, log *natsalert.Log) error {
				all, err := log.List(ctx, from)
				if err != nil {
					return err
				}
				alerts := []typology.Alert{}
				for _, a := range all {
					if (len(names) == 0 || slices.Contains(names, a.Typology)) && (entity == "" || investigate.Involves(a, ref)) {
						alerts = append(alerts, a)
					}
				}
				return m.emit(ctx, f, alerts, func(w io.Writer) {
					printAlerts(w, alerts)
					fmt.Fprintf(w, "%d alerts\n", len(alerts))
				}, func() investigate.Drawing { return investigate.AlertsDrawing(alerts) })
			})
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&since, "since", "", "only alerts raised at or after this time (YYYY-MM-DD or RFC 3339)")
	fl.StringSliceVar(&names, "typology", nil, "only these typologies, comma-separated: "+strings.Join(typology.Names(), ", "))
	fl.StringVar(&entity, "entity", "", "only alerts this entity (KIND:ID) takes part in")
	return cmd
}

// parseRefArg parses a KIND:ID argument, as a usage error naming it.
func parseRefArg(what, s string) (graph.NodeRef, error) {
	r, err := graph.ParseRef(s)
	if err != nil {
		return r, usagef("%s %q: %v (want KIND:ID, e.g. Account:a17)", what, s, err)
	}
	return r, nil
}

func parseTimeFlag(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := parseDay(s)
	if err != nil {
		return t, usagef("%s: %v", flag, err)
	}
	return t, nil
}

// withInvestigator opens the data directory, brings the graph up to date
// with the log and runs body with an Investigator over it, which learns of
// typology alerts from the alert log. An unknown entity is a usage error.
func (m *Main) withInvestigator(ctx context.Context, g *globals, f *investigateFlags, body func(context.Context, *investigate.Investigator, *natsalert.Log) error) error {
	if err := f.check(); err != nil {
		return err
	}
	log, err := g.logger(m.Stderr)
	if err != nil {
		return err
	}
	var tracing atomic.Bool
	if f.showCypher {
		var mu sync.Mutex
		f.neo4j.trace = func(cypher string, params map[string]any) {
			if !tracing.Load() {
				return // catching up with the log, not the investigation
			}
			mu.Lock()
			defer mu.Unlock()
			printCypher(m.Stderr, cypher, params)
		}
	}
	e, err := m.openCaughtUp(ctx, log, envConfig{DataDir: f.dataDir, Neo4j: &f.neo4j})
	if err != nil {
		return err
	}
	defer e.close()
	tracing.Store(true)
	alerts, err := natsalert.Open(ctx, e.js, natsalert.Config{})
	if err != nil {
		return err
	}
	inv, err := investigate.New(e.store, alerts, investigate.Config{MaxDepth: f.maxDepth, Fanout: f.fanout})
	if err != nil {
		return usageError{err}
	}
	err = body(ctx, inv, alerts)
	if errors.Is(err, graph.ErrNotFound) || errors.Is(err, investigate.ErrInvalid) {
		return usageError{err}
	}
	return err
}

// emit writes v as f asks: a table, JSON, DOT, or an image rendered by
// Graphviz.
func (m *Main) emit(ctx context.Context, f *investigateFlags, v any, table func(io.Writer), draw func() investigate.Drawing) error {
	var buf bytes.Buffer
	switch {
	case f.jsonOut:
		if err := writeJSON(&buf, v); err != nil {
			return err
		}
	case f.format == "table":
		table(&buf)
	default:
		if err := investigate.WriteDOT(&buf, draw()); err != nil {
			return err
		}
		if f.format != "dot" {
			gv, err := investigate.FindGraphviz()
			if err != nil {
				return fmt.Errorf("%w; or write the drawing with --format dot and render it elsewhere", err)
			}
			var img bytes.Buffer
			if err := gv.Render(ctx, &buf, f.format, &img); err != nil {
				return err
			}
			buf = img
		}
	}
	return m.writeOut(f.out, buf.Bytes())
}

// writeOut writes b to path ("" or "-": standard output), atomically.
func (m *Main) writeOut(path string, b []byte) error {
	if path == "" {
		path = "-"
	}
	w, closeOut, err := m.createOutput(path)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	if cerr := closeOut(err == nil); err == nil {
		err = cerr
	}
	return err
}

func minuteStamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func printProfile(w io.Writer, p investigate.Profile) {
	fmt.Fprintf(w, "%s  %d edges, first %s, last %s\n", p.Ref, p.Degree, minuteStamp(p.First), minuteStamp(p.Last))
	label := "none"
	if p.Risk.Label != "" {
		label = fmt.Sprintf("%s (known %s)", p.Risk.Label, minuteStamp(p.Risk.LabelTime))
	}
	fmt.Fprintf(w, "label: %s; labelled transactions: fraud %d, laundering %d, legit %d\n", label,
		p.Risk.Txns[graph.ClassFraud], p.Risk.Txns[graph.ClassLaundering], p.Risk.Txns[graph.ClassLegit])
	if p.Truncated {
		fmt.Fprintln(w, "(partial: a bound was reached; counts are lower bounds)")
	}
	section := func(title string, n int) bool {
		fmt.Fprintf(w, "\n%s (%d)\n", title, n)
		return n > 0
	}
	if section("risk history", len(p.Risk.Events)) {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  known\tverdict\ttransaction\ttxn time")
		for _, e := range p.Risk.Events {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", minuteStamp(e.Time), e.Class, orDash(e.Txn), minuteStamp(e.TxnTime))
		}
		tw.Flush()
	}
	if section("linked entities", len(p.Linked)) {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  kind\tcount\ttop (shared transactions)")
		for _, lk := range p.Linked {
			var top []string
			for _, l := range lk.Top {
				top = append(top, fmt.Sprintf("%s (%d)", l.Ref.ID, l.Txns))
			}
			fmt.Fprintf(tw, "  %s\t%d\t%s\n", lk.Kind, lk.Count, strings.Join(top, ", "))
		}
		tw.Flush()
	}
	if section("flagged neighbours", len(p.Flagged)) {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  hops\tentity\tvia\tlabel\tfraud txns\tlaundering txns")
		for _, f := range p.Flagged {
			via := "-"
			if f.Hops == 2 {
				via = f.Via.String()
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%d\t%d\n", f.Hops, f.Ref, via, orDash(string(f.Label)), f.Fraud, f.Laundering)
		}
		tw.Flush()
	}
	if section("typologies", len(p.Typologies)) {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  raised\ttypology\tseverity\talert\tdetail")
		for _, a := range p.Typologies {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", minuteStamp(a.At), a.Typology, a.Severity, a.ID, a.Detail)
		}
		tw.Flush()
	}
	if section("recent transactions", len(p.Recent)) {
		printTxns(w, p.Recent)
	}
}

func printTxns(w io.Writer, txns []investigate.TxnView) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  time\ttransaction\trole\tamount\tkind\tfrom\tto\tmerchant\tlabel")
	for _, t := range txns {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%.2f %s\t%s\t%s\t%s\t%s\t%s\n", minuteStamp(t.Time), t.ID, orDash(t.Role), t.Amount, t.Currency,
			orDash(t.Kind), orDash(t.From), orDash(t.To), orDash(t.Merchant), orDash(string(t.Label)))
	}
	tw.Flush()
}

func printPaths(w io.Writer, p investigate.Paths) {
	fmt.Fprintf(w, "money-flow paths %s → %s: %d\n", p.From, p.To, len(p.Money))
	for i, mp := range p.Money {
		var hops []string
		for _, h := range mp.Hops {
			hops = append(hops, fmt.Sprintf("%s %s %.2f %s → %s", h.Txn, minuteStamp(h.Time), h.Amount, h.Currency, h.To.ID))
		}
		fmt.Fprintf(w, "  %d. %s: %s (over %s)\n", i+1, p.From.ID, strings.Join(hops, "; "), mp.Duration())
	}
	fmt.Fprintf(w, "shared-identifier paths: %d\n", len(p.Shared))
	for i, sp := range p.Shared {
		var b strings.Builder
		b.WriteString(sp.Nodes[0].String())
		for j, l := range sp.Links {
			fmt.Fprintf(&b, " –%s– %s", l.Txn, sp.Nodes[j+1])
		}
		fmt.Fprintf(w, "  %d. %s\n", i+1, b.String())
	}
	if p.Truncated {
		fmt.Fprintln(w, "(partial: a bound was reached; more paths may exist)")
	}
}

func printTimeline(w io.Writer, tl investigate.Timeline) {
	fmt.Fprintf(w, "timeline of %s: %d events\n", tl.Ref, len(tl.Events))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  time\tevent\tdetail")
	for _, e := range tl.Events {
		var detail string
		switch e.Kind {
		case investigate.EventTxn:
			t := e.Txn
			detail = fmt.Sprintf("%s %s %.2f %s %s→%s %s", t.ID, orDash(t.Role), t.Amount, t.Currency, orDash(t.From), orDash(t.To), t.Merchant)
		case investigate.EventLabel:
			detail = fmt.Sprintf("%s on %s", e.Label.Class, e.Label.Target)
			if e.Label.WithRow {
				detail += " (came with the transaction)"
			}
		case investigate.EventAlert:
			detail = fmt.Sprintf("%s (%s) %s: %s", e.Alert.Typology, e.Alert.Severity, e.Alert.ID, e.Alert.Detail)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", minuteStamp(e.Time), e.Kind, strings.TrimSpace(detail))
	}
	tw.Flush()
	if tl.Truncated {
		fmt.Fprintln(w, "(partial: only the most recent transactions are listed; narrow with --since/--until)")
	}
}

func printRing(w io.Writer, r typology.Ring) {
	users := 0
	for _, m := range r.Members {
		if m.Kind == graph.KindUser {
			users++
		}
	}
	fmt.Fprintf(w, "ring around %s: %d users, %d identifiers", r.Seed, users, len(r.Members)-users)
	if r.Community {
		fmt.Fprint(w, " (the seed's community within a larger group)")
	}
	fmt.Fprintf(w, "\ntheir transactions: %d, %.2f in total; labelled fraud %d, laundering %d, legit %d\n",
		r.Txns, r.TotalAmount, r.Labels[string(graph.ClassFraud)], r.Labels[string(graph.ClassLaundering)], r.Labels[string(graph.ClassLegit)])
	if len(r.Flagged) > 0 {
		var fl []string
		for _, f := range r.Flagged {
			fl = append(fl, f.String())
		}
		fmt.Fprintf(w, "flagged members: %s\n", strings.Join(fl, ", "))
	}
	fmt.Fprintf(w, "\nshared identifiers (%d)\n", len(r.Shared))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  identifier\tusers")
	for _, s := range r.Shared {
		var us []string
		for _, u := range s.Users {
			us = append(us, u.ID)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", s.Ref, strings.Join(us, ", "))
	}
	tw.Flush()
	if len(r.Public) > 0 {
		fmt.Fprintf(w, "not followed (public, too many users): %d identifiers\n", len(r.Public))
	}
	if r.Truncated {
		fmt.Fprintln(w, "(partial: the exploration reached its bound; the ring may be larger)")
	}
}

// printCypher writes one statement for Neo4j Browser: its parameters as a
// :params command, then the statement.
func printCypher(w io.Writer, cypher string, params map[string]any) {
	b, err := json.Marshal(params)
	if err != nil {
		b = []byte("{}")
	}
	fmt.Fprintf(w, ":params %s\n%s;\n\n", b, strings.TrimSpace(cypher))
}
