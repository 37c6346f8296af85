package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/typology"
	"github.com/riskgraph/riskgraph/typology/natsalert"
)

// typologyFlags are the flags of riskgraph typology scan.
type typologyFlags struct {
	dataDir    string
	since      string
	typologies []string
	jsonOut    bool
	publish    bool
}

func (m *Main) typologyCommand(g *globals) *cobra.Command {
	f := &typologyFlags{}
	scan := &cobra.Command{
		Use:   "scan --data-dir D [--since T] [--typology NAME,...] [--json] [--publish]",
		Short: "Run the AML typology detectors over the stored history",
		Long: `scan runs the typology detectors over every transfer in the data directory's
graph and prints the alerts: fan-in, fan-out, scatter-gather, gather-scatter,
cycles, structuring, rapid pass-through, mule chains and shared-identifier
rings, with the default parameters documented in package typology.

With --publish the alerts go to the alert stream (JetStream RISKGRAPH_ALERTS,
subjects riskgraph.v1.alert.<typology>) of the data directory's embedded NATS.
Alert ids are stable, so scanning again publishes nothing new.

Examples:
  riskgraph typology scan --data-dir data
  riskgraph typology scan --data-dir data --since 2026-01-15 --typology fan_in,cycle --json
  riskgraph typology scan --data-dir data --publish`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.runTypologyScan(cmd.Context(), g, f)
		},
	}
	fl := scan.Flags()
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory of the embedded deployment")
	fl.StringVar(&f.since, "since", "", "only alerts that end at or after this time (YYYY-MM-DD or RFC 3339)")
	fl.StringSliceVar(&f.typologies, "typology", nil, "typologies to run, comma-separated (default: all): "+strings.Join(typology.Names(), ", "))
	fl.BoolVar(&f.jsonOut, "json", false, "print the alerts as JSON")
	fl.BoolVar(&f.publish, "publish", false, "publish the alerts to the alert stream")
	cmd := &cobra.Command{Use: "typology", Short: "AML typologies: fan-in/out, layering, cycles, structuring, mule chains, rings"}
	cmd.AddCommand(scan)
	return cmd
}

func (m *Main) runTypologyScan(ctx context.Context, g *globals, f *typologyFlags) error {
	log, err := g.logger(m.Stderr)
	if err != nil {
		return err
	}
	cfg := typology.Config{Typologies: f.typologies}
	for _, n := range f.typologies {
		if !slices.Contains(typology.Names(), n) {
			return usagef("--typology %q: want one of %s", n, strings.Join(typology.Names(), ", "))
		}
	}
	if cfg.Since, err = parseTimeFlag("--since", f.since); err != nil {
		return err
	}
	e, err := m.openCaughtUp(ctx, log, envConfig{DataDir: f.dataDir})
	if err != nil {
		return err
	}
	defer e.close()
	start := time.Now()
	alerts, err := typology.Detect(ctx, e.store, cfg)
	if err != nil {
		return err
	}
	log.Info("typology scan", "alerts", len(alerts), "took", time.Since(start))
	if f.jsonOut {
		if alerts == nil {
			alerts = []typology.Alert{}
		}
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(alerts); err != nil {
			return err
		}
	} else {
		printAlerts(m.Stdout, alerts)
	}
	fmt.Fprintln(m.Stderr, alertSummary(alerts))
	if !f.publish {
		return nil
	}
	l, err := natsalert.Open(ctx, e.js, natsalert.Config{})
	if err != nil {
		return err
	}
	pub, err := l.Publish(ctx, alerts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "published to %s: %d new, %d already there\n", natsalert.DefaultStream, pub.Stored, pub.Duplicates)
	return nil
}

// printAlerts writes the alerts as a table, one per line.
func printAlerts(w io.Writer, alerts []typology.Alert) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "typology\tseverity\tfocus\tmembers\ttxns\tamount\twindow\tid")
	for _, a := range alerts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%.2f\t%s\t%s\n", a.Typology, a.Severity, a.Focus, len(a.Members), len(a.Txns), a.Amount, window(a.Start, a.End), a.ID)
	}
	tw.Flush()
}

// window formats an alert's span: its start and how long it lasted
// (2026-01-03 06:10 +1d4h).
func window(start, end time.Time) string {
	d := end.Sub(start).Round(time.Minute)
	days, h, mins := int(d/(24*time.Hour)), int(d/time.Hour)%24, int(d/time.Minute)%60
	var b strings.Builder
	b.WriteString(start.UTC().Format("2006-01-02 15:04") + " +")
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if mins > 0 || d < time.Hour {
		fmt.Fprintf(&b, "%dm", mins)
	}
	return b.String()
}

// alertSummary counts alerts by typology, in detector order.
func alertSummary(alerts []typology.Alert) string {
	n := map[string]int{}
	for _, a := range alerts {
		n[a.Typology]++
	}
	var parts []string
	for _, name := range typology.Names() {
		if n[name] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", name, n[name]))
		}
	}
	if len(parts) == 0 {
		return "0 alerts"
	}
	return fmt.Sprintf("%d alerts: %s", len(alerts), strings.Join(parts, ", "))
}
