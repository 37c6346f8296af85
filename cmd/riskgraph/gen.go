package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/synth"
)

type genFlags struct {
	seed       uint64
	users      int
	days       int
	start      string
	format     string
	out        string
	rates      []string
	off        []string
	natsURL    string
	publishTPS float64
	panKeyFile string
}

func (m *Main) genCommand(g *globals) *cobra.Command {
	f := &genFlags{}
	cmd := &cobra.Command{
		Use:   "gen --seed S --users N --days D (--out FILE | --nats-url URL)",
		Short: "Generate synthetic payment traffic with labelled fraud and AML patterns",
		Long: `gen writes realistic synthetic payment traffic: ordinary shoppers and transfers,
and planted fraud (account takeover, card testing, synthetic-identity rings,
mules) and AML typologies (fan-in, fan-out, cycles, scatter-gather,
gather-scatter, structuring, rapid pass-through). Every row carries its label
and its pattern (attribute "pattern"). The same seed gives the same rows.

About 0.84 rows per user per day: 4,000 users × 30 days ≈ 100k rows.
Cards are Luhn-valid test card numbers; ingestion tokenises them.

Patterns: ` + strings.Join(synth.Patterns(), ", "),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runGen(cmd.Context(), g, f) },
	}
	fl := cmd.Flags()
	fl.Uint64Var(&f.seed, "seed", 1, "random seed")
	fl.IntVar(&f.users, "users", 1000, "number of ordinary customers")
	fl.IntVar(&f.days, "days", 30, "number of days")
	fl.StringVar(&f.start, "start", "2026-01-01", "first day (YYYY-MM-DD or RFC 3339)")
	fl.StringVar(&f.format, "format", "", "csv or jsonl (default: from --out's extension)")
	fl.StringVar(&f.out, "out", "", `output file ("-" for standard output)`)
	fl.StringArrayVar(&f.rates, "rate", nil, "pattern=R: instances per 10,000 users per day (repeatable)")
	fl.StringArrayVar(&f.off, "off", nil, "switch a pattern off (repeatable)")
	fl.StringVar(&f.natsURL, "nats-url", "", "publish to the JetStream log at this NATS server instead of writing a file")
	fl.Float64Var(&f.publishTPS, "publish-rate", 1000, "with --nats-url: transactions per second (0 = as fast as possible)")
	fl.StringVar(&f.panKeyFile, "pan-key-file", "", "with --nats-url: PAN tokenisation key file (required: card numbers are tokenised before they leave this process)")
	return cmd
}

func (f *genFlags) config() (synth.Config, error) {
	cfg := synth.Config{Seed: f.seed, Users: f.users, Days: f.days}
	start, err := parseDay(f.start)
	if err != nil {
		return cfg, usagef("--start: %v", err)
	}
	cfg.Start = start
	for _, r := range f.rates {
		name, v, ok := strings.Cut(r, "=")
		x, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil {
			return cfg, usagef("--rate %q: want pattern=number", r)
		}
		if err := cfg.SetRate(name, x); err != nil {
			return cfg, usagef("--rate %q: %v", r, err)
		}
	}
	for _, name := range f.off {
		if err := cfg.SetRate(name, -1); err != nil {
			return cfg, usagef("--off %q: %v", name, err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

func parseDay(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither YYYY-MM-DD nor RFC 3339", s)
	}
	return t.UTC(), nil
}

func (m *Main) runGen(ctx context.Context, g *globals, f *genFlags) error {
	cfg, err := f.config()
	if err != nil {
		return err
	}
	if (f.out == "") == (f.natsURL == "") {
		return usagef("give exactly one of --out FILE and --nats-url URL")
	}
	var sum synth.Summary
	if f.natsURL != "" {
		sum, err = m.genPublish(ctx, g, f, cfg)
	} else {
		sum, err = m.genFile(ctx, f, cfg)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "generated %d transactions: %d legit, %d fraud, %d laundering\n",
		sum.Txns, sum.ByLabel[graph.ClassLegit], sum.ByLabel[graph.ClassFraud], sum.ByLabel[graph.ClassLaundering])
	return nil
}

func (m *Main) genFile(ctx context.Context, f *genFlags, cfg synth.Config) (synth.Summary, error) {
	format := f.format
	if format == "" {
		if f.out == "-" {
			return synth.Summary{}, usagef("--format is required when writing to standard output")
		}
		fm, err := ingest.FormatOf(f.out)
		if err != nil {
			return synth.Summary{}, usagef("--out %q: %v (or give --format)", f.out, err)
		}
		format = fm.String()
	}
	fm, err := ingest.ParseFormat(format)
	if err != nil {
		return synth.Summary{}, usagef("--format: %v", err)
	}
	out, closeOut, err := m.createOutput(f.out)
	if err != nil {
		return synth.Summary{}, err
	}
	w, err := ingest.NewTxnWriter(out, fm, []string{"pattern"})
	if err != nil {
		closeOut(false)
		return synth.Summary{}, err
	}
	p := m.newProgress("gen", 0)
	sum, err := synth.Generate(ctx, cfg, func(t *graph.Transaction) error {
		if err := w.Write(t); err != nil {
			return err
		}
		return nil
	})
	p.done()
	if err == nil {
		err = w.Flush()
	}
	if cerr := closeOut(err == nil); err == nil {
		err = cerr
	}
	if err != nil {
		return sum, fmt.Errorf("gen: %w", err)
	}
	return sum, nil
}

// createOutput opens path for writing ("-" is standard output). A file is
// written under a temporary name and renamed into place by closeOut(true),
// so a failed or interrupted run never leaves a half-written file.
func (m *Main) createOutput(path string) (w *bufio.Writer, closeOut func(ok bool) error, err error) {
	if path == "-" {
		bw := bufio.NewWriterSize(m.Stdout, 1<<16)
		return bw, func(bool) error { return bw.Flush() }, nil
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, nil, fmt.Errorf("gen: %w", err)
		}
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, nil, fmt.Errorf("gen: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	return bw, func(ok bool) error {
		if ok {
			if err := bw.Flush(); err != nil {
				ok = false
			}
		}
		err := f.Close()
		if !ok || err != nil {
			os.Remove(f.Name())
			return err
		}
		return os.Rename(f.Name(), path)
	}, nil
}

// genPublish publishes generated traffic to a running riskgraph's
// JetStream log at a steady rate, tokenising card numbers first.
func (m *Main) genPublish(ctx context.Context, g *globals, f *genFlags, cfg synth.Config) (synth.Summary, error) {
	if f.panKeyFile == "" {
		return synth.Summary{}, usagef("--pan-key-file is required with --nats-url")
	}
	key, err := ingest.LoadOrCreateKey(f.panKeyFile, m.Rand)
	if err != nil {
		return synth.Summary{}, err
	}
	tok, err := ingest.NewTokenizer(key)
	if err != nil {
		return synth.Summary{}, err
	}
	nc, err := nats.Connect(f.natsURL, nats.Name("riskgraph gen"))
	if err != nil {
		return synth.Summary{}, fmt.Errorf("gen: connect %s: %w", f.natsURL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return synth.Summary{}, err
	}
	pub, err := stream.NewPublisher(js, stream.PublisherConfig{})
	if err != nil {
		return synth.Summary{}, err
	}
	lim := rate.NewLimiter(rate.Inf, 1)
	if f.publishTPS > 0 {
		lim = rate.NewLimiter(rate.Limit(f.publishTPS), max(1, int(f.publishTPS/100)))
	}
	batch := pub.NewBatch(nil)
	sum, err := synth.Generate(ctx, cfg, func(t *graph.Transaction) error {
		if err := lim.Wait(ctx); err != nil {
			return err
		}
		tx := *t
		tx.Card = tok.Card(tx.Card)
		return batch.Add(ctx, graph.Mutation{Txn: &tx})
	})
	res, werr := batch.Wait(ctx)
	if err == nil {
		err = werr
	}
	if err != nil {
		return sum, fmt.Errorf("gen: publish: %w", err)
	}
	fmt.Fprintf(m.Stderr, "published %d (duplicates %d, failed %d)\n", res.Published, res.Duplicates, res.Failed)
	return sum, nil
}
