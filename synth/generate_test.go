package synth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// row is an emitted transaction with the instance that produced it.
type row struct {
	graph.Transaction
	inst int32
}

// collect runs the generator and keeps every row.
func collect(t testing.TB, cfg Config) ([]row, Summary) {
	t.Helper()
	var rows []row
	sum, err := generate(context.Background(), cfg, func(tx *graph.Transaction, e *event) error {
		rows = append(rows, row{*tx, e.inst})
		return nil
	})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return rows, sum
}

// defaultConfig is the data set most tests inspect: every pattern appears
// at the default rates.
var defaultConfig = Config{Seed: 7, Users: 2000, Days: 14}

var defaultRows = sync.OnceValues(func() ([]row, Summary) {
	var rows []row
	sum, err := generate(context.Background(), defaultConfig, func(tx *graph.Transaction, e *event) error {
		rows = append(rows, row{*tx, e.inst})
		return nil
	})
	if err != nil {
		panic(err)
	}
	return rows, sum
})

// instances groups the default data set's rows of pattern name by
// instance, in time order.
func instances(t *testing.T, name string) [][]row {
	t.Helper()
	rows, _ := defaultRows()
	idx := map[int32]int{}
	var out [][]row
	for _, r := range rows {
		if r.Attrs["pattern"] != name {
			continue
		}
		k, ok := idx[r.inst]
		if !ok {
			k = len(out)
			idx[r.inst] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], r)
	}
	if len(out) == 0 {
		t.Fatalf("no instance of %s in the default data set", name)
	}
	return out
}

func jsonLines(t testing.TB, cfg Config) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if _, err := Generate(context.Background(), cfg, func(tx *graph.Transaction) error { return enc.Encode(tx) }); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return buf.Bytes()
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Seed: 42, Users: 300, Days: 5, Cycle: 50, FanIn: 50, SyntheticIdentity: 40}
	a, b := jsonLines(t, cfg), jsonLines(t, cfg)
	if !bytes.Equal(a, b) {
		t.Fatalf("two runs of the same Config differ:\n%s", cmp.Diff(string(a), string(b)))
	}
	cfg.Seed = 43
	if c := jsonLines(t, cfg); bytes.Equal(a, c) {
		t.Fatal("seeds 42 and 43 gave the same rows")
	}
}

// TestGolden pins the output of a small Config, so that a change to the
// generator that changes what a seed produces is a deliberate one
// (go test -update to accept it).
func TestGolden(t *testing.T) {
	cfg := Config{Seed: 1, Users: 20, Days: 3}
	for _, p := range Patterns()[1:] {
		if err := cfg.SetRate(p, 170); err != nil {
			t.Fatal(err)
		}
	}
	got := jsonLines(t, cfg)
	path := filepath.Join("testdata", "small.jsonl")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("output differs from %s (-want +got):\n%s", path, diff)
	}
}

func TestRowsAreValid(t *testing.T) {
	rows, sum := defaultRows()
	start := defaultConfig.start()
	end := start.AddDate(0, 0, defaultConfig.Days)
	ids := make(map[string]bool, len(rows))
	byPattern := map[string]int{}
	byLabel := map[graph.Class]int{}
	var prev time.Time
	for i, r := range rows {
		tx := &r.Transaction
		if err := tx.Validate(); err != nil {
			t.Fatalf("row %d %s: %v", i, tx.ID, err)
		}
		if tx.Time.Before(prev) {
			t.Fatalf("row %d %s at %v is before the previous row at %v", i, tx.ID, tx.Time, prev)
		}
		prev = tx.Time
		if tx.Time.Before(start) || !tx.Time.Before(end) {
			t.Fatalf("row %d %s at %v is outside [%v, %v)", i, tx.ID, tx.Time, start, end)
		}
		if ids[tx.ID] {
			t.Fatalf("row %d: duplicate id %s", i, tx.ID)
		}
		ids[tx.ID] = true
		p := tx.Attrs["pattern"]
		if len(tx.Attrs) != 1 {
			t.Fatalf("row %d %s: attrs %v, want only pattern", i, tx.ID, tx.Attrs)
		}
		class, ok := PatternClass(p)
		if !ok || class != tx.Label {
			t.Fatalf("row %d %s: pattern %q with label %q (want %q)", i, tx.ID, p, tx.Label, class)
		}
		if (p == PatternNormal) != (r.inst == 0) {
			t.Fatalf("row %d %s: pattern %q from instance %d", i, tx.ID, p, r.inst)
		}
		if tx.Card != "" && !luhnValid(tx.Card) {
			t.Fatalf("row %d %s: card %q is not a Luhn-valid 16-digit PAN", i, tx.ID, tx.Card)
		}
		switch tx.Kind {
		case "card", "bnpl":
			if tx.Card == "" || tx.Merchant == "" || tx.MCC == "" || tx.User == "" || tx.Counterparty != "" {
				t.Fatalf("row %d: purchase without card, merchant or user, or with a counterparty: %+v", i, *tx)
			}
		case "transfer":
			if tx.Account == "" || tx.Counterparty == "" || tx.Account == tx.Counterparty || tx.Merchant != "" || tx.Card != "" {
				t.Fatalf("row %d: malformed transfer: %+v", i, *tx)
			}
		default:
			t.Fatalf("row %d %s: kind %q", i, tx.ID, tx.Kind)
		}
		if tx.Amount <= 0 || tx.Currency == "" || tx.Country == "" || tx.Channel == "" {
			t.Fatalf("row %d: missing amount, currency, country or channel: %+v", i, *tx)
		}
		byPattern[p]++
		byLabel[tx.Label]++
	}
	want := Summary{Txns: len(rows), ByPattern: byPattern, ByLabel: byLabel, Instances: sum.Instances}
	if diff := cmp.Diff(want, sum); diff != "" {
		t.Errorf("Summary disagrees with the rows (-counted +returned):\n%s", diff)
	}
	for _, p := range Patterns() {
		if byPattern[p] == 0 {
			t.Errorf("pattern %s never appears in %d rows", p, len(rows))
		}
		if p != PatternNormal && sum.Instances[p] == 0 {
			t.Errorf("no instance of %s", p)
		}
	}
	// Prevalence: roughly 1–2% fraud and 0.5–1% laundering.
	fraud := float64(byLabel[graph.ClassFraud]) / float64(len(rows))
	aml := float64(byLabel[graph.ClassLaundering]) / float64(len(rows))
	if fraud < 0.007 || fraud > 0.03 || aml < 0.003 || aml > 0.015 {
		t.Errorf("prevalence: fraud %.2f%%, laundering %.2f%%; want about 1–2%% and 0.5–1%%", 100*fraud, 100*aml)
	}
}

// luhnValid reports whether s is a 16-digit number passing the Luhn check,
// independently of appendPAN.
func luhnValid(s string) bool {
	if len(s) != 16 {
		return false
	}
	sum := 0
	for i := range 16 {
		c := s[15-i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func TestPANs(t *testing.T) {
	seen := map[string]int32{}
	for n := range int32(20000) {
		pan := string(appendPAN(nil, n))
		if !luhnValid(pan) {
			t.Fatalf("card %d: %s is not Luhn-valid", n, pan)
		}
		if m, dup := seen[pan]; dup {
			t.Fatalf("cards %d and %d share PAN %s", m, n, pan)
		}
		seen[pan] = n
	}
	for _, pan := range []string{"4111111111111111", "4242424242424242", "5555555555554444"} {
		if !luhnValid(pan) {
			t.Errorf("luhnValid(%s) = false for a known test PAN", pan)
		}
	}
}

func TestIdentifiers(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"txn", appendTxnID(nil, 17), "t00000017"},
		{"txn past the padding", appendTxnID(nil, 123456789), "t123456789"},
		{"user", appendID(nil, 'u', 42), "u42"},
		{"email", appendEmail(nil, 4), "e4@example.net"},
		{"phone", appendPhone(nil, 17), "+15550000017"},
		{"ip", appendIP(nil, 81<<24|1<<16|76<<8|134), "81.1.76.134"},
	}
	for _, tt := range tests {
		if string(tt.got) != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

// TestNormalIndependentOfPatterns checks that the pattern rates do not
// change the normal traffic: with every pattern off, the normal rows are
// the same (ids aside).
func TestNormalIndependentOfPatterns(t *testing.T) {
	cfg := Config{Seed: 3, Users: 200, Days: 4, AccountTakeover: 100, FanIn: 100, Cycle: 100}
	off := cfg
	for _, p := range Patterns()[1:] {
		if err := off.SetRate(p, -1); err != nil {
			t.Fatal(err)
		}
	}
	normal := func(rows []row) []graph.Transaction {
		var out []graph.Transaction
		for _, r := range rows {
			if r.Attrs["pattern"] == PatternNormal {
				r.ID = ""
				out = append(out, r.Transaction)
			}
		}
		return out
	}
	withRows, withSum := collect(t, cfg)
	offRows, offSum := collect(t, off)
	if withSum.Txns == offSum.Txns || len(offSum.Instances) != 0 {
		t.Fatalf("patterns on: %d rows, off: %d rows and instances %v", withSum.Txns, offSum.Txns, offSum.Instances)
	}
	if diff := cmp.Diff(normal(offRows), normal(withRows)); diff != "" {
		t.Errorf("normal traffic changed when patterns were switched on (-off +on):\n%s", diff)
	}
}

// TestShortPeriods: patterns longer than the period are compressed into
// it; a start that is not midnight shifts nothing out of range.
func TestShortPeriods(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"one user one day", Config{Seed: 1, Users: 1, Days: 1}},
		{"crowded day", Config{Seed: 2, Users: 300, Days: 1, AccountTakeover: 400, CardTesting: 400, SyntheticIdentity: 400,
			Mule: 400, FanIn: 400, FanOut: 400, Cycle: 400, ScatterGather: 400, GatherScatter: 400, Structuring: 400, RapidPassThrough: 400}},
		{"afternoon start", Config{Seed: 3, Users: 100, Days: 2, Start: time.Date(2026, 3, 10, 15, 30, 0, 0, time.FixedZone("CET", 3600)),
			Mule: 300, Structuring: 300}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, sum := collect(t, tt.cfg)
			start := tt.cfg.Start
			if start.IsZero() {
				start = defaultStart
			}
			end := start.AddDate(0, 0, tt.cfg.Days)
			for i, r := range rows {
				if r.Time.Before(start) || !r.Time.Before(end) || (i > 0 && r.Time.Before(rows[i-1].Time)) {
					t.Fatalf("row %d at %v: out of order or outside [%v, %v)", i, r.Time, start, end)
				}
				if err := r.Validate(); err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
			}
			if tt.cfg.CardTesting > 0 && len(sum.Instances) != len(Patterns())-1 {
				t.Errorf("instances %v: want every pattern", sum.Instances)
			}
		})
	}
}

func TestEmitErrorAndCancel(t *testing.T) {
	cfg := Config{Seed: 1, Users: 500, Days: 3}
	stop := errors.New("stop")
	n := 0
	sum, err := Generate(context.Background(), cfg, func(*graph.Transaction) error {
		if n++; n == 100 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || sum.Txns != 99 {
		t.Errorf("emit error: got %v after %d rows, want %v after 99", err, sum.Txns, stop)
	}

	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	sum, err = Generate(ctx, cfg, func(*graph.Transaction) error {
		if n++; n == 200 {
			cancel()
		}
		return nil
	})
	// Generate looks at ctx every 1,024 rows.
	if !errors.Is(err, context.Canceled) || sum.Txns > 1024 {
		t.Errorf("cancel: got %v after %d rows, want context.Canceled within 1,024 rows", err, sum.Txns)
	}

	if _, err := Generate(context.Background(), Config{}, nil); !errors.Is(err, graph.ErrInvalid) || !strings.Contains(err.Error(), "Users") {
		t.Errorf("zero Config: got %v, want an error naming Users", err)
	}
}

func TestExpectedTxns(t *testing.T) {
	cfg := Config{Seed: 5, Users: 3000, Days: 30}
	_, sum := collect(t, cfg)
	want := cfg.ExpectedTxns()
	// Within 5%: the estimate uses mean instance sizes and the rounding of
	// instance counts, and the month's paydays depend on the calendar.
	if got := float64(sum.Txns); got < 0.95*want || got > 1.05*want {
		t.Errorf("%d rows, ExpectedTxns %.0f", sum.Txns, want)
	}
}

// BenchmarkGenerate measures single-core generation, rows materialised
// (strings, map) but not encoded.
func BenchmarkGenerate(b *testing.B) {
	cfg := Config{Seed: 1, Users: 20000, Days: 7}
	total := 0
	for b.Loop() {
		sum, err := Generate(context.Background(), cfg, func(*graph.Transaction) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		total += sum.Txns
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "txns/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/txn")
}
