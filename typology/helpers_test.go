package typology_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/synth"
)

// world is a generated data set loaded into the embedded store, with the
// pattern that produced each transaction.
type world struct {
	store   *mem.Store
	pattern map[string]string // txn id → synth pattern name
	rows    []graph.Transaction
	sum     synth.Summary
}

// planted is the shared world of plantedConfig(11), generated once for
// the tests that only read it.
var planted struct {
	once sync.Once
	w    *world
}

// plantedWorld returns the shared planted world.
func plantedWorld(tb testing.TB) *world {
	tb.Helper()
	planted.once.Do(func() { planted.w = newWorld(tb, plantedConfig(11), true) })
	if planted.w == nil {
		tb.Fatal("the planted world failed to generate")
	}
	return planted.w
}

// genWorld generates cfg into a fresh store, closed at the end of the
// test. keep keeps the rows too.
func genWorld(tb testing.TB, cfg synth.Config, keep bool) *world {
	tb.Helper()
	w := newWorld(tb, cfg, keep)
	tb.Cleanup(func() { w.store.Close() })
	return w
}

// newWorld generates cfg into a fresh store. keep keeps the rows too.
func newWorld(tb testing.TB, cfg synth.Config, keep bool) *world {
	tb.Helper()
	ctx := context.Background()
	w := &world{store: mem.New(), pattern: map[string]string{}}
	batch := make([]graph.Mutation, 0, 1024)
	flush := func() error {
		_, err := w.store.Apply(ctx, batch...)
		batch = batch[:0]
		return err
	}
	sum, err := synth.Generate(ctx, cfg, func(tx *graph.Transaction) error {
		c := *tx
		w.pattern[c.ID] = c.Attrs["pattern"]
		if keep {
			w.rows = append(w.rows, c)
		}
		batch = append(batch, graph.Mutation{Txn: &c})
		if len(batch) == cap(batch) {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		tb.Fatal(err)
	}
	w.sum = sum
	return w
}

// xfer is a transfer for hand-made scenarios.
func xfer(id string, at time.Time, from, to string, amount float64) graph.Transaction {
	return graph.Transaction{ID: id, Time: at, Amount: amount, Currency: "EUR", Kind: "transfer", User: "u" + strings.TrimPrefix(from, "a"), Account: from, Counterparty: to}
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

func refsString(rs []graph.NodeRef) string {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, r)
	}
	return b.String()
}
