package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/ingest/stream"
)

type ingestFlags struct {
	dataDir    string
	format     string
	mapping    string
	panKeyFile string
	natsURL    string
	maxErrors  int
	strict     bool
	jsonOut    bool
	syncEvery  time.Duration
}

func (f *ingestFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory of the embedded deployment (log, graph snapshot, PAN key)")
	fl.StringVar(&f.format, "format", "", "csv or jsonl (default: from each file's extension)")
	fl.StringVar(&f.mapping, "map", "", "map a foreign file's columns onto ours: field=Column,… (e.g. user=Source,merchant=Target,amount=Amount,time=Time)")
	fl.StringVar(&f.panKeyFile, "pan-key-file", "", "PAN tokenisation key (default: DATA_DIR/pan.key, generated on first use)")
	fl.StringVar(&f.natsURL, "nats-url", "", "publish to a running riskgraph's log at this NATS URL instead of opening --data-dir (needs --pan-key-file)")
	fl.IntVar(&f.maxErrors, "max-errors", 20, "rejected rows to print (all are counted)")
	fl.BoolVar(&f.strict, "strict", false, "exit with status 3 when any row is rejected")
	fl.BoolVar(&f.jsonOut, "json", false, "print the summary as JSON")
	fl.DurationVar(&f.syncEvery, "sync-interval", 0, "fsync the log on this interval instead of every write (bulk backfills: several times faster; a crash mid-load is repaired by running the same command again)")
}

func (m *Main) ingestCommand(g *globals) *cobra.Command {
	f := &ingestFlags{}
	cmd := &cobra.Command{
		Use:   "ingest --data-dir D FILE...",
		Short: "Ingest transaction files (CSV, JSON Lines) into the log and the graph",
		Long: `ingest reads transactions from CSV (header row; unknown columns become
attributes) or JSON Lines, tokenises card numbers, appends them to the
JetStream log (the message id is the transaction id, so re-ingesting a file
adds nothing) and waits until the graph holds them. Bad rows are reported
with file, line, field and reason; the good rows around them are kept.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.runLoad(cmd.Context(), g, f, args, txnSource)
		},
	}
	f.register(cmd)
	return cmd
}

func (m *Main) labelsCommand(g *globals) *cobra.Command {
	f := &ingestFlags{}
	imp := &cobra.Command{
		Use:   "import --data-dir D FILE...",
		Short: "Import labels (chargebacks, analyst verdicts) from CSV or JSON Lines",
		Long: `labels import reads label events — txn or entity (KIND:ID), label
(fraud|legit|laundering), time, source — and appends them to the log. A label
for a transaction the graph has not seen yet waits for it.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.runLoad(cmd.Context(), g, f, args, labelSource)
		},
	}
	f.register(imp)
	cmd := &cobra.Command{Use: "labels", Short: "Manage labels"}
	cmd.AddCommand(imp)
	return cmd
}

// source reads mutations from one file.
type source interface {
	Next() (graph.Mutation, error)
	Line() int
	Offset() int64
}

type txnReader struct{ *ingest.TxnReader }

func (r txnReader) Next() (graph.Mutation, error) {
	t, err := r.TxnReader.Next()
	return graph.Mutation{Txn: &t}, err
}

type labelReader struct{ *ingest.LabelReader }

func (r labelReader) Next() (graph.Mutation, error) {
	l, err := r.LabelReader.Next()
	return graph.Mutation{Label: &l}, err
}

type openSource func(r io.Reader, f ingest.Format, cfg ingest.Config) (source, error)

func txnSource(r io.Reader, f ingest.Format, cfg ingest.Config) (source, error) {
	tr, err := ingest.NewTxnReader(r, f, cfg)
	if err != nil {
		return nil, err
	}
	return txnReader{tr}, nil
}

func labelSource(r io.Reader, f ingest.Format, cfg ingest.Config) (source, error) {
	lr, err := ingest.NewLabelReader(r, f, cfg)
	if err != nil {
		return nil, err
	}
	return labelReader{lr}, nil
}

// loadSummary is what ingest and labels import report.
type loadSummary struct {
	Read       int     `json:"read"`       // rows decoded
	Ingested   int     `json:"ingested"`   // new in the log and the graph
	Duplicates int     `json:"duplicates"` // already in the log or the graph
	Rejected   int     `json:"rejected"`   // rows refused (bad input)
	LastSeq    uint64  `json:"last_seq"`   // the log's sequence after the load
	Seconds    float64 `json:"seconds"`
}

func (m *Main) runLoad(ctx context.Context, g *globals, f *ingestFlags, files []string, open openSource) error {
	log, err := g.logger(m.Stderr)
	if err != nil {
		return err
	}
	var mapping ingest.Mapping
	if f.mapping != "" {
		if mapping, err = ingest.ParseMapping(f.mapping); err != nil {
			return usagef("--map: %v", err)
		}
	}
	var forced ingest.Format
	if f.format != "" {
		if forced, err = ingest.ParseFormat(f.format); err != nil {
			return usagef("--format: %v", err)
		}
	}
	for _, path := range files {
		if _, err := os.Stat(path); err != nil {
			return usagef("%v", err)
		}
		if forced == 0 {
			if _, err := ingest.FormatOf(path); err != nil {
				return usagef("%s: %v (or give --format)", path, err)
			}
		}
	}
	start := m.Now()
	var (
		js  jetstream.JetStream
		tok *ingest.Tokenizer
		e   *env
	)
	switch {
	case f.natsURL != "" && f.dataDir != "":
		return usagef("give --data-dir or --nats-url, not both")
	case f.syncEvery < 0:
		return usagef("--sync-interval %v is negative", f.syncEvery)
	case f.natsURL != "":
		if f.panKeyFile == "" {
			return usagef("--pan-key-file is required with --nats-url (use the key of the riskgraph you publish to)")
		}
		key, err := ingest.LoadOrCreateKey(f.panKeyFile, m.Rand)
		if err != nil {
			return err
		}
		if tok, err = ingest.NewTokenizer(key); err != nil {
			return err
		}
		nc, err := nats.Connect(f.natsURL, nats.Name("riskgraph ingest"))
		if err != nil {
			return fmt.Errorf("connect %s: %w", f.natsURL, err)
		}
		defer nc.Close()
		if js, err = jetstream.New(nc); err != nil {
			return err
		}
	default:
		e, err = m.openCaughtUp(ctx, log, envConfig{DataDir: f.dataDir, PANKeyFile: f.panKeyFile, CheckpointEvery: 500_000, CheckpointInterval: time.Minute, SyncInterval: f.syncEvery})
		if err != nil {
			return err
		}
		defer e.close()
		js, tok = e.js, e.tok
	}
	pub, err := stream.NewPublisher(js, stream.PublisherConfig{})
	if err != nil {
		return err
	}
	var before stream.ConsumerStats
	if e != nil {
		before = e.cons.Stats()
	}
	sum := loadSummary{}
	batch := pub.NewBatch(nil)
	for _, path := range files {
		if err := m.loadFile(ctx, path, forced, ingest.Config{Tokenizer: tok, Mapping: mapping}, open, batch, f.maxErrors, &sum); err != nil {
			batch.Wait(ctx)
			return err
		}
	}
	res, err := batch.Wait(ctx)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	sum.Ingested, sum.Duplicates, sum.LastSeq = res.Published, res.Duplicates, res.LastSeq
	if e != nil {
		if err := e.catchUp(ctx, res.LastSeq); err != nil {
			return err
		}
		after := e.cons.Stats()
		// Transactions outside the server's dedupe window reach the graph,
		// which recognises them.
		dups := int(after.Duplicates - before.Duplicates)
		sum.Ingested -= dups
		sum.Duplicates += dups
		sum.Rejected += int(after.DeadLettered - before.DeadLettered)
		if err := e.shutdown(ctx); err != nil {
			return err
		}
	}
	sum.Seconds = m.Now().Sub(start).Seconds()
	if f.jsonOut {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(m.Stdout, "read %d rows in %.1fs: ingested %d, duplicates %d, rejected %d (log at sequence %d)\n",
			sum.Read, sum.Seconds, sum.Ingested, sum.Duplicates, sum.Rejected, sum.LastSeq)
	}
	if f.strict && sum.Rejected > 0 {
		return fmt.Errorf("%d rows rejected: %w", sum.Rejected, errRejected)
	}
	return nil
}

// loadFile reads one file into the batch, reporting rejected rows.
func (m *Main) loadFile(ctx context.Context, path string, forced ingest.Format, cfg ingest.Config, open openSource, batch *stream.Batch, maxErrors int, sum *loadSummary) error {
	fm := forced
	if fm == 0 {
		fm, _ = ingest.FormatOf(path)
	}
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	var size int64
	if fi, err := fh.Stat(); err == nil {
		size = fi.Size()
	}
	src, err := open(fh, fm, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	p := m.newProgress(filepath.Base(path), size)
	defer p.done()
	for rows := 0; ; rows++ {
		mu, err := src.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var re *ingest.RowError
		if errors.As(err, &re) {
			sum.Rejected++
			if sum.Rejected <= maxErrors {
				p.done()
				fmt.Fprintf(m.Stderr, "%s: %v\n", path, re)
			} else if sum.Rejected == maxErrors+1 {
				fmt.Fprintf(m.Stderr, "%s: more rows rejected; counting only\n", path)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: line %d: %w", path, src.Line(), err)
		}
		sum.Read++
		if err := batch.Add(ctx, mu); err != nil {
			if errors.Is(err, graph.ErrInvalid) {
				sum.Rejected++
				fmt.Fprintf(m.Stderr, "%s: line %d: %v\n", path, src.Line(), err)
				continue
			}
			return fmt.Errorf("%s: line %d: %w", path, src.Line(), err)
		}
		if rows&1023 == 0 {
			p.update(src.Offset(), rows)
		}
	}
}
