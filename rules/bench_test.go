package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
)

// realisticRules is a production-sized file: 10,000-entry block lists of
// cards, devices and IPs, 1,000 allow-listed users, 20 velocity, 15
// amount, 10 typology rules and 5 bands (50 rules).
func realisticRules() string {
	var b strings.Builder
	b.WriteString("version: bench-1\nlists:\n  block:\n")
	for _, kind := range []string{"cards", "devices", "ips"} {
		fmt.Fprintf(&b, "    %s: [", kind)
		for i := range 10_000 {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "blocked-%s-%05d", kind, i)
		}
		b.WriteString("]\n")
	}
	b.WriteString("  allow:\n    users: [")
	for i := range 1000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "vip-%04d", i)
	}
	b.WriteString("]\nvelocity:\n")
	entities := []string{"card", "device", "ip", "user", "account", "merchant", "email"}
	windows := []string{"1h", "24h", "7d"}
	for i := range 20 {
		fmt.Fprintf(&b, "  - {id: V%d, entity: %s, window: %s, max_count: %d, max_amount: %d, action: review}\n",
			i, entities[i%len(entities)], windows[i%3], 10+i, 5000+100*i)
	}
	b.WriteString("amount:\n")
	channels := []string{"web", "app", "pos"}
	for i := range 15 {
		fmt.Fprintf(&b, "  - {id: A%d, channel: %s, country: %s, over: %d, action: review, detail: \"{amount} {currency} over {over}\"}\n",
			i, channels[i%3], []string{"DE", "FR", "NL", "ES", "IT"}[i%5], 2000+500*i)
	}
	b.WriteString("typology:\n")
	for i := range 10 {
		fmt.Fprintf(&b, "  - {id: T%d, typology: typology_%d, min_hits: %d, action: decline}\n", i, i, 1+i%3)
	}
	b.WriteString("bands:\n")
	for i, below := range []string{"0.1", "0.3", "0.6", "0.85"} {
		fmt.Fprintf(&b, "  - {below: %s, decision: %s}\n", below, []string{"approve", "approve", "review", "review"}[i])
	}
	b.WriteString("  - {decision: decline}\n")
	return b.String()
}

func benchInput() Input {
	in := Input{Txn: txn(func(t *graph.Transaction) { t.Email = "x@example.com"; t.Phone = "+49151" }),
		Score: 0.2, HasScore: true, Facts: Facts{Typologies: map[string]int{"fan_in": 0}}}
	for k := range in.Facts.Velocity {
		for w := range in.Facts.Velocity[k] {
			in.Facts.Velocity[k][w] = Counter{Count: 3, Amount: 250}
		}
	}
	return in
}

func BenchmarkEvaluate(b *testing.B) {
	s := mustLoad(b, realisticRules())
	clean := benchInput()
	degraded := benchInput()
	degraded.HasScore = false
	blocked := benchInput()
	blocked.Txn = txn(func(t *graph.Transaction) { t.Card = "blocked-cards-04242" })
	blocked.HasScore = false
	hits := benchInput()
	hits.Txn = txn(func(t *graph.Transaction) { t.Channel = "web"; t.Amount = 9000; t.User = "vip-0007" })
	hits.Facts.Velocity[graph.KindCard][Window1h] = Counter{Count: 50, Amount: 20000}
	hits.Facts.Typologies = map[string]int{"typology_3": 2}
	for _, bb := range []struct {
		name string
		in   Input
	}{{"clean", clean}, {"degraded", degraded}, {"blocked", blocked}, {"six_hits", hits}} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			var d Decision
			for b.Loop() {
				d = s.Evaluate(bb.in).Decision
			}
			_ = d
		})
	}
}

func BenchmarkLoadRealistic(b *testing.B) {
	src := realisticRules()
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(strings.NewReader(src), "bench.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRealisticRules(t *testing.T) {
	s := mustLoad(t, realisticRules())
	want := "t.yaml (bench-1): 20 velocity, 15 amount, 10 typology rules, 5 bands, 30000 blocked, 1000 allowed"
	if s.String() != want {
		t.Errorf("got %q, want %q", s.String(), want)
	}
	in := benchInput()
	if got := s.Evaluate(in); got.Decision != Approve || len(got.Hits) != 1 {
		t.Errorf("clean input: %+v", got)
	}
	// More hits than Evaluate keeps on the stack: every velocity rule fires.
	busy := benchInput()
	for k := range busy.Facts.Velocity {
		for w := range busy.Facts.Velocity[k] {
			busy.Facts.Velocity[k][w] = Counter{Count: 1000, Amount: 1e6}
		}
	}
	got := s.Evaluate(busy)
	if len(got.Hits) != 21 || got.Hits[0].RuleID != "V0" || got.Hits[19].RuleID != "V19" || got.Hits[20].RuleID != "band.2" {
		t.Errorf("busy input: %d hits %+v", len(got.Hits), got.Hits)
	}
	if allocs := testing.AllocsPerRun(100, func() { in.HasScore = false; s.Evaluate(in) }); allocs != 0 {
		t.Errorf("a degraded evaluation without hits allocates %v times, want 0", allocs)
	}
}
