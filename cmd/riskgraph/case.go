package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/investigate/casefile"
	"github.com/riskgraph/riskgraph/investigate/report"
	"github.com/riskgraph/riskgraph/typology"
	"github.com/riskgraph/riskgraph/typology/natsalert"
)

// caseFlags are the flags every case subcommand takes.
type caseFlags struct {
	dataDir string
	actor   string
	jsonOut bool
}

func (f *caseFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory of the embedded deployment")
	fl.StringVar(&f.actor, "actor", os.Getenv("USER"), "who is acting, for the audit log (default $USER)")
	fl.BoolVar(&f.jsonOut, "json", false, "print JSON")
}

func (m *Main) caseCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "case",
		Short: "Open, work and close compliance cases; export goAML or SAR reports",
		Long: `case keeps compliance cases in an append-only audit log (JetStream stream
RISKGRAPH_AUDIT in the data directory): every action records who did what, when.

  id=$(riskgraph case open --data-dir data --entity Account:a17 --title "fan-in into a17" --recent 20)
  riskgraph case note $id --data-dir data "customer did not answer"
  riskgraph case close $id --data-dir data --disposition laundering_suspicion --reason "..."
  riskgraph case export $id --data-dir data --format goaml --out str.xml

Closing as confirmed_fraud or laundering_suspicion labels the case's entities
and transactions (source case:<id>) in the transaction log, for retraining.
Closed cases cannot change. Reports take the institution's details from
reporting.yaml in the data directory (see the package documentation of
investigate/report for its keys); everything missing is listed at once.`,
	}
	cmd.AddCommand(m.caseOpenCommand(g), m.caseListCommand(g), m.caseShowCommand(g), m.caseAssignCommand(g),
		m.caseNoteCommand(g), m.caseAttachCommand(g), m.caseCloseCommand(g), m.caseRelabelCommand(g), m.caseExportCommand(g))
	return cmd
}

// caseEnv is an open data directory with its case file and alert log.
type caseEnv struct {
	*env
	cases  *casefile.Log
	alerts *natsalert.Log
}

// withCases opens the data directory and the case file and runs body. An
// unknown or malformed case id or bad case data is a usage error. Labels a
// close publishes are in the log; the graph applies them whenever the data
// directory is next opened.
func (m *Main) withCases(ctx context.Context, g *globals, f *caseFlags, needActor bool, body func(context.Context, *caseEnv) error) error {
	if needActor {
		if f.actor == "" {
			return usagef("--actor is required ($USER is not set): who is acting?")
		}
		if err := casefile.ValidateActor(f.actor); err != nil {
			return usagef("--actor: %v", err)
		}
	}
	log, err := g.logger(m.Stderr)
	if err != nil {
		return err
	}
	e, err := m.openCaughtUp(ctx, log, envConfig{DataDir: f.dataDir})
	if err != nil {
		return err
	}
	defer e.close()
	pub, err := stream.NewPublisher(e.js, stream.PublisherConfig{})
	if err != nil {
		return err
	}
	cases, err := casefile.Open(ctx, e.js, casefile.Config{Now: m.Now, Labels: pub})
	if err != nil {
		return err
	}
	alerts, err := natsalert.Open(ctx, e.js, natsalert.Config{})
	if err != nil {
		return err
	}
	err = body(ctx, &caseEnv{env: e, cases: cases, alerts: alerts})
	if errors.Is(err, casefile.ErrNotFound) || errors.Is(err, casefile.ErrInvalid) {
		return usageError{err}
	}
	return err
}

func (m *Main) caseOpenCommand(g *globals) *cobra.Command {
	f := &caseFlags{}
	var entities, txns, alerts []string
	var title string
	var recent int
	cmd := &cobra.Command{
		Use:   "open (--entity KIND:ID | --alert ID | --txn ID)... --title TEXT",
		Short: "Open a case on entities, alerts or transactions; prints the new case id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			refs := make([]graph.NodeRef, 0, len(entities))
			for _, s := range entities {
				r, err := parseRefArg("--entity", s)
				if err != nil {
					return err
				}
				if r.Kind == graph.KindTransaction {
					return usagef("--entity %s is a transaction: give it with --txn %s", s, r.ID)
				}
				refs = append(refs, r)
			}
			switch {
			case strings.TrimSpace(title) == "":
				return usagef("--title is required")
			case len(refs) == 0 && len(txns) == 0 && len(alerts) == 0:
				return usagef("give at least one --entity KIND:ID, --txn ID or --alert ID")
			case recent < 0:
				return usagef("--recent %d is negative", recent)
			}
			return m.withCases(cmd.Context(), g, f, true, func(ctx context.Context, ce *caseEnv) error {
				data := casefile.OpenData{Title: title, Alerts: alerts}
				if err := ce.evidence(ctx, refs, txns, recent, &data.Txns); err != nil {
					return err
				}
				var err error
				if data.Entities, err = ce.fromAlerts(ctx, alerts, refs, &data.Txns); err != nil {
					return err
				}
				c, err := ce.cases.Open(ctx, casefile.OpenRequest{Actor: f.actor, OpenData: data})
				if err != nil {
					return err
				}
				if f.jsonOut {
					return writeJSON(m.Stdout, c)
				}
				fmt.Fprintln(m.Stdout, c.ID)
				if len(c.Txns) == 0 {
					fmt.Fprintf(m.Stderr, "case %s holds no transactions yet: add some with riskgraph case attach %s --txn ID\n", c.ID, c.ID)
				}
				return nil
			})
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringArrayVar(&entities, "entity", nil, "an entity the case is about, KIND:ID (repeatable)")
	fl.StringArrayVar(&txns, "txn", nil, "a transaction the case is about (repeatable)")
	fl.StringArrayVar(&alerts, "alert", nil, "a typology alert behind the case: adds its focus entity and its transactions (repeatable)")
	fl.StringVar(&title, "title", "", "what the case is about")
	fl.IntVar(&recent, "recent", 0, "also take each entity's N most recent transactions")
	return cmd
}

// evidence checks that entities and transactions exist in the graph and
// appends the transaction ids to dst: the given ones, then each entity's
// recent most recent ones.
func (ce *caseEnv) evidence(ctx context.Context, refs []graph.NodeRef, txns []string, recent int, dst *[]string) error {
	for _, r := range refs {
		if _, err := ce.store.Node(ctx, r); err != nil {
			if errors.Is(err, graph.ErrNotFound) {
				return usagef("--entity %s: not in the graph", r)
			}
			return err
		}
	}
	for _, id := range txns {
		if _, err := ce.store.Transaction(ctx, id); err != nil {
			if errors.Is(err, graph.ErrNotFound) {
				return usagef("--txn %q: not in the graph", id)
			}
			return err
		}
	}
	*dst = append(*dst, txns...)
	if recent == 0 {
		return nil
	}
	for _, r := range refs {
		nb, err := ce.store.Neighbors(ctx, r, graph.Query{Limit: recent}, nil)
		if err != nil {
			return err
		}
		for _, n := range nb {
			*dst = append(*dst, n.Node.ID)
		}
	}
	return nil
}

// fromAlerts looks the alerts up in the alert log and returns refs with
// each alert's focus added; the alerts' transactions are appended to txns.
// An unknown alert id is a usage error.
func (ce *caseEnv) fromAlerts(ctx context.Context, ids []string, refs []graph.NodeRef, txns *[]string) ([]graph.NodeRef, error) {
	if len(ids) == 0 {
		return refs, nil
	}
	found, err := ce.alertsByID(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		a, ok := found[id]
		if !ok {
			return nil, usagef("--alert %q: not in the alert log (list alerts with riskgraph investigate typologies)", id)
		}
		if a.Focus.Kind != graph.KindTransaction && !slices.Contains(refs, a.Focus) {
			refs = append(refs, a.Focus)
		}
		for _, t := range a.Txns {
			if !slices.Contains(*txns, t) {
				*txns = append(*txns, t)
			}
		}
	}
	return refs, nil
}

func (ce *caseEnv) alertsByID(ctx context.Context) (map[string]typology.Alert, error) {
	all, err := ce.alerts.List(ctx, time.Time{})
	if err != nil {
		return nil, err
	}
	out := make(map[string]typology.Alert, len(all))
	for _, a := range all {
		out[a.ID] = a
	}
	return out, nil
}

func (m *Main) caseListCommand(g *globals) *cobra.Command {
	f := &caseFlags{}
	var status string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List cases, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if status != "" && status != string(casefile.StatusOpen) && status != string(casefile.StatusClosed) {
				return usagef("--status %q: want open or closed", status)
			}
			return m.withCases(cmd.Context(), g, f, false, func(ctx context.Context, ce *caseEnv) error {
				all, err := ce.cases.List(ctx)
				if err != nil {
					return err
				}
				cases := all[:0]
				for _, c := range all {
					if status == "" || string(c.Status) == status {
						cases = append(cases, c)
					}
				}
				if f.jsonOut {
					return writeJSON(m.Stdout, cases)
				}
				tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "id\tstatus\tdisposition\tassignee\topened\tupdated\tentities\ttxns\ttitle")
				for _, c := range cases {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", c.ID, c.Status, orDash(string(c.Disposition)), orDash(c.Assignee),
						minuteStamp(c.Opened), minuteStamp(c.Updated), len(c.Entities), len(c.Txns), c.Title)
				}
				return tw.Flush()
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&status, "status", "", "only open or closed cases")
	return cmd
}

func (m *Main) caseShowCommand(g *globals) *cobra.Command {
	f := &caseFlags{}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a case and its audit trail",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withCases(cmd.Context(), g, f, false, func(ctx context.Context, ce *caseEnv) error {
				events, err := ce.cases.Events(ctx, args[0])
				if err != nil {
					return err
				}
				c, err := casefile.Fold(events)
				if err != nil {
					return err
				}
				if f.jsonOut {
					return writeJSON(m.Stdout, struct {
						Case   casefile.Case    `json:"case"`
						Events []casefile.Event `json:"events"`
					}{c, events})
				}
				printCase(m.Stdout, c, events)
				return nil
			})
		},
	}
	f.register(cmd)
	return cmd
}

func printCase(w io.Writer, c casefile.Case, events []casefile.Event) {
	fmt.Fprintf(w, "%s  %s\nstatus: %s", c.ID, c.Title, c.Status)
	if c.Status == casefile.StatusClosed {
		fmt.Fprintf(w, " as %s by %s at %s: %s", c.Disposition, c.ClosedBy, minuteStamp(c.Closed), c.Reason)
	}
	fmt.Fprintf(w, "\nopened by %s at %s; assignee %s\n", c.OpenedBy, minuteStamp(c.Opened), orDash(c.Assignee))
	var ents []string
	for _, r := range c.Entities {
		ents = append(ents, r.String())
	}
	fmt.Fprintf(w, "entities (%d): %s\n", len(ents), strings.Join(ents, ", "))
	fmt.Fprintf(w, "transactions (%d): %s\n", len(c.Txns), strings.Join(c.Txns, ", "))
	if len(c.Alerts) > 0 {
		fmt.Fprintf(w, "alerts: %s\n", strings.Join(c.Alerts, ", "))
	}
	for _, n := range c.Notes {
		fmt.Fprintf(w, "note by %s at %s: %s\n", n.Actor, minuteStamp(n.Time), n.Text)
	}
	fmt.Fprintf(w, "\naudit trail (%d events)\n", len(events))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  seq\ttime\tactor\taction\tdetail")
	for _, e := range events {
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.UTC().Format("2006-01-02 15:04:05"), e.Actor, e.Action, eventDetail(&e))
	}
	tw.Flush()
}

func eventDetail(e *casefile.Event) string {
	clip := func(s string) string {
		s = strings.Join(strings.Fields(s), " ")
		if r := []rune(s); len(r) > 60 {
			return string(r[:59]) + "…"
		}
		return s
	}
	switch e.Action {
	case casefile.ActionOpen:
		return fmt.Sprintf("%q: %d entities, %d transactions", clip(e.Open.Title), len(e.Open.Entities), len(e.Open.Txns))
	case casefile.ActionAssign:
		return "to " + e.Assign.Assignee
	case casefile.ActionNote:
		return clip(e.Note.Text)
	case casefile.ActionAttach:
		return fmt.Sprintf("%d entities, %d transactions, %d alerts", len(e.Attach.Entities), len(e.Attach.Txns), len(e.Attach.Alerts))
	case casefile.ActionClose:
		return fmt.Sprintf("%s, %d labels: %s", e.Close.Disposition, e.Close.Labels, clip(e.Close.Reason))
	case casefile.ActionExport:
		return fmt.Sprintf("%s, %d transactions, %d bytes, sha256 %s", e.Export.Format, e.Export.Txns, e.Export.Bytes, e.Export.SHA256[:16])
	}
	return ""
}

// caseUpdate builds a subcommand that changes one case and prints it.
func (m *Main) caseUpdate(g *globals, use, short string, args cobra.PositionalArgs, flags func(*cobra.Command),
	check func(args []string) error, act func(ctx context.Context, ce *caseEnv, actor string, args []string) (casefile.Case, error)) *cobra.Command {
	f := &caseFlags{}
	cmd := &cobra.Command{
		Use: use, Short: short, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := check(args); err != nil {
				return err
			}
			return m.withCases(cmd.Context(), g, f, true, func(ctx context.Context, ce *caseEnv) error {
				c, err := act(ctx, ce, f.actor, args)
				if err != nil {
					return err
				}
				if f.jsonOut {
					return writeJSON(m.Stdout, c)
				}
				fmt.Fprintf(m.Stdout, "%s: %s by %s (%d events)\n", c.ID, strings.Fields(use)[0], f.actor, c.Events)
				return nil
			})
		},
	}
	f.register(cmd)
	if flags != nil {
		flags(cmd)
	}
	return cmd
}

func (m *Main) caseAssignCommand(g *globals) *cobra.Command {
	var to string
	return m.caseUpdate(g, "assign ID --to NAME", "Assign a case", cobra.ExactArgs(1),
		func(c *cobra.Command) { c.Flags().StringVar(&to, "to", "", "the assignee") },
		func([]string) error {
			if to == "" {
				return usagef("--to is required")
			}
			return nil
		},
		func(ctx context.Context, ce *caseEnv, actor string, args []string) (casefile.Case, error) {
			return ce.cases.Assign(ctx, args[0], actor, to)
		})
}

func (m *Main) caseNoteCommand(g *globals) *cobra.Command {
	return m.caseUpdate(g, "note ID TEXT...", "Add a note to a case", cobra.MinimumNArgs(2), nil,
		func([]string) error { return nil },
		func(ctx context.Context, ce *caseEnv, actor string, args []string) (casefile.Case, error) {
			return ce.cases.Note(ctx, args[0], actor, strings.Join(args[1:], " "))
		})
}

func (m *Main) caseAttachCommand(g *globals) *cobra.Command {
	var entities, txns, alerts []string
	var refs []graph.NodeRef
	return m.caseUpdate(g, "attach ID [--entity KIND:ID] [--txn ID] [--alert ID]", "Add entities, transactions or alerts to a case", cobra.ExactArgs(1),
		func(c *cobra.Command) {
			c.Flags().StringArrayVar(&entities, "entity", nil, "an entity, KIND:ID (repeatable)")
			c.Flags().StringArrayVar(&txns, "txn", nil, "a transaction id (repeatable)")
			c.Flags().StringArrayVar(&alerts, "alert", nil, "a typology alert id: adds its focus and transactions (repeatable)")
		},
		func([]string) error {
			for _, s := range entities {
				r, err := parseRefArg("--entity", s)
				if err != nil {
					return err
				}
				refs = append(refs, r)
			}
			if len(refs)+len(txns)+len(alerts) == 0 {
				return usagef("give --entity, --txn or --alert")
			}
			return nil
		},
		func(ctx context.Context, ce *caseEnv, actor string, args []string) (casefile.Case, error) {
			data := casefile.AttachData{Alerts: alerts}
			if err := ce.evidence(ctx, refs, txns, 0, &data.Txns); err != nil {
				return casefile.Case{}, err
			}
			var err error
			if data.Entities, err = ce.fromAlerts(ctx, alerts, refs, &data.Txns); err != nil {
				return casefile.Case{}, err
			}
			return ce.cases.Attach(ctx, args[0], actor, data)
		})
}

func (m *Main) caseCloseCommand(g *globals) *cobra.Command {
	var disposition, reason string
	var d casefile.Disposition
	return m.caseUpdate(g, "close ID --disposition D --reason TEXT", "Close a case: confirmed_fraud, laundering_suspicion or false_positive", cobra.ExactArgs(1),
		func(c *cobra.Command) {
			c.Flags().StringVar(&disposition, "disposition", "", "confirmed_fraud, laundering_suspicion or false_positive")
			c.Flags().StringVar(&reason, "reason", "", "why (required: it goes into the report)")
		},
		func([]string) error {
			var err error
			if d, err = casefile.ParseDisposition(disposition); err != nil {
				return usagef("--disposition: %v", err)
			}
			if strings.TrimSpace(reason) == "" {
				return usagef("--reason is required")
			}
			return nil
		},
		func(ctx context.Context, ce *caseEnv, actor string, args []string) (casefile.Case, error) {
			c, err := ce.cases.Close(ctx, args[0], actor, d, reason)
			if errors.Is(err, casefile.ErrLabels) {
				return c, fmt.Errorf("%w: run riskgraph case relabel %s", err, c.ID)
			}
			return c, err
		})
}

func (m *Main) caseRelabelCommand(g *globals) *cobra.Command {
	return m.caseUpdate(g, "relabel ID", "Publish a closed case's labels again (after a failure)", cobra.ExactArgs(1), nil,
		func([]string) error { return nil },
		func(ctx context.Context, ce *caseEnv, _ string, args []string) (casefile.Case, error) {
			if _, err := ce.cases.PublishLabels(ctx, args[0]); err != nil {
				return casefile.Case{}, err
			}
			return ce.cases.Get(ctx, args[0])
		})
}

func (m *Main) caseExportCommand(g *globals) *cobra.Command {
	f := &caseFlags{}
	var format, out, configPath string
	cmd := &cobra.Command{
		Use:   "export ID --format goaml|sar [--out FILE]",
		Short: "Write a case as a goAML or FinCEN SAR XML report",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != report.FormatGoAML && format != report.FormatSAR {
				return usagef("--format %q: want goaml or sar", format)
			}
			if f.jsonOut {
				return usagef("export writes XML; --json does not apply")
			}
			return m.withCases(cmd.Context(), g, f, true, func(ctx context.Context, ce *caseEnv) error {
				path := configPath
				if path == "" {
					path = filepath.Join(f.dataDir, report.ConfigFile)
				}
				cfg, err := report.LoadConfig(path)
				if errors.Is(err, fs.ErrNotExist) {
					// Build anyway: the report lists every field the
					// missing file would have held.
					cfg, err = report.Config{Source: path + ", which does not exist yet,"}, nil
				}
				if err != nil {
					return err
				}
				c, err := ce.cases.CheckExport(ctx, args[0])
				if err != nil {
					return err
				}
				rc, err := ce.reportCase(ctx, &c)
				if err != nil {
					return err
				}
				doc, err := report.Marshal(format, cfg, rc, m.Now())
				if err != nil {
					return err
				}
				// The audit log records the export before anyone can
				// read the report.
				if _, err := ce.cases.RecordExport(ctx, c.ID, casefile.ExportRequest{Actor: f.actor, Format: format, Doc: doc, Txns: len(rc.Txns)}); err != nil {
					return err
				}
				if err := m.writeOut(out, doc); err != nil {
					return err
				}
				if out != "" {
					fmt.Fprintf(m.Stderr, "wrote %s report of %s (%d transactions) to %s\n", format, c.ID, len(rc.Txns), out)
				}
				return nil
			})
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "", "goaml or sar")
	fl.StringVar(&out, "out", "", "write the report to this file (default standard output)")
	fl.StringVar(&configPath, "config", "", "reporting config (default DATA-DIR/"+report.ConfigFile+")")
	return cmd
}

// reportCase gathers what a report says about c from the graph.
func (ce *caseEnv) reportCase(ctx context.Context, c *casefile.Case) (report.Case, error) {
	rc := report.Case{ID: c.ID, Title: c.Title, Disposition: string(c.Disposition), Reason: c.Reason, Analyst: c.ClosedBy,
		Opened: c.Opened, Closed: c.Closed, Subjects: c.Entities}
	for _, n := range c.Notes {
		rc.Notes = append(rc.Notes, report.Note{Actor: n.Actor, Time: n.Time, Text: n.Text})
	}
	if len(c.Alerts) > 0 {
		found, err := ce.alertsByID(ctx)
		if err != nil {
			return rc, err
		}
		for _, id := range c.Alerts {
			if a, ok := found[id]; ok && !slices.Contains(rc.Typologies, a.Typology) {
				rc.Typologies = append(rc.Typologies, a.Typology)
			}
		}
	}
	for _, id := range c.Txns {
		t, err := ce.store.Transaction(ctx, id)
		if err != nil {
			return rc, fmt.Errorf("case %s: transaction %s: %w", c.ID, id, err)
		}
		rc.Txns = append(rc.Txns, t)
	}
	return rc, nil
}
