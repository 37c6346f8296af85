package signal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/signal"
)

var (
	fraudCodes = []string{"LINKED_DEVICE", "LINKED_IP", "TXN_AMOUNT_LOG", "LINKED_VELOCITY_1H_COUNT", "LINKED_MERCHANT", "LINKED_COUNTERPARTY", "LINKED_EMAIL", "NEW_RULE_7"}
	amlCodes   = []string{"AML_STRUCTURING", "TYPOLOGY_FAN_IN", "MONEY_MULE_SUSPECTED", "SAR_CANDIDATE", "CASE_OPEN_4711", "LINKED_TYPOLOGY_HITS_LOG", "PASS_THROUGH_ACCOUNT", "rapid-movement-of-funds", "LINKED_LABEL_POSITIVE_RATE"}
	typologies = []string{"fan_in", "fan_out", "cycle", "scatter_gather", "structuring", "pass_through", "smurfing_v2"}
)

// aml decision kinds the generator produces.
const (
	kindClean = iota
	kindAMLOnly
	kindMixed
	kindTypology
	numKinds
)

type generated struct {
	d    signal.Decision
	kind int
	twin *signal.Decision // the same decision without its AML evidence (attributed kinds)
}

// generate draws n decisions from a fixed seed: clean ones, ones driven by
// AML reasons only, ones mixing fraud and AML reasons, and ones with
// typology hits.
func generate(n int, seed uint64) []generated {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]generated, 0, n)
	for i := range n {
		kind := i % numKinds
		base := logitT(0.01 + 0.04*rng.Float64())
		var reasons, fraud []signal.Reason
		var amlW, fraudW float64
		nf := 0
		if kind == kindClean || kind == kindMixed || (kind == kindTypology && rng.IntN(2) == 0) {
			nf = 1 + rng.IntN(3)
		}
		for range nf {
			r := signal.Reason{Code: fraudCodes[rng.IntN(len(fraudCodes))], Detail: "fraud evidence", Weight: 0.2 + 1.5*rng.Float64()}
			fraud = append(fraud, r)
			fraudW += r.Weight
		}
		na := 0
		if kind == kindAMLOnly || kind == kindMixed || (kind == kindTypology && rng.IntN(2) == 0) {
			na = 1 + rng.IntN(3)
		}
		var aml []signal.Reason
		for range na {
			r := signal.Reason{Code: amlCodes[rng.IntN(len(amlCodes))], Detail: "laundering evidence", Weight: 1.5 + 2*rng.Float64()}
			aml = append(aml, r)
			amlW += r.Weight
		}
		// interleave so that AML reasons are not always last
		reasons = append(reasons, fraud...)
		for _, r := range aml {
			at := rng.IntN(len(reasons) + 1)
			reasons = append(reasons[:at], append([]signal.Reason{r}, reasons[at:]...)...)
		}
		score := sigmoidT(base + fraudW + amlW)
		var typ []string
		if kind == kindTypology {
			for range 1 + rng.IntN(2) {
				typ = append(typ, typologies[rng.IntN(len(typologies))])
			}
			score = min(1, score+0.3*rng.Float64()) // typologies raise the score, unattributed
		}
		txn := &graph.Transaction{ID: fmt.Sprintf("t%05d", i), User: fmt.Sprintf("u%03d", rng.IntN(300)), Time: t0}
		g := generated{kind: kind, d: signal.Decision{
			Txn: txn, Score: score, Decision: "decline", Reasons: reasons, Typologies: typ, Model: "gnn@abc", Time: t0,
		}}
		if kind != kindTypology {
			var a float64
			var clean []signal.Reason
			for _, r := range reasons {
				if signal.IsAML(r.Code) {
					a += r.Weight
				} else {
					clean = append(clean, r)
				}
			}
			g.twin = &signal.Decision{Txn: txn, Score: sigmoidT(logitT(score) - a), Decision: "approve", Reasons: clean, Model: "gnn@abc", Time: t0}
		}
		out = append(out, g)
	}
	return out
}

func logitT(p float64) float64   { return math.Log(p / (1 - p)) }
func sigmoidT(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// assertNoLeak fails when a non-compliance payload carries anything AML:
// the aml class, a compliance section, or (case-insensitively) any AML
// reason code, typology name, reason detail or decision of the input.
func assertNoLeak(t *testing.T, where string, s signal.Signal, raw []byte) {
	t.Helper()
	if s.Compliance != nil {
		t.Fatalf("%s: txn %s carries a compliance section", where, s.Txn)
	}
	for _, c := range s.Reasons {
		if c == signal.ClassAML {
			t.Fatalf("%s: txn %s carries the aml class", where, s.Txn)
		}
	}
	if raw == nil {
		var err error
		if raw, err = json.Marshal(s); err != nil {
			t.Fatal(err)
		}
	}
	text := strings.ToLower(string(raw))
	forbidden := []string{`"aml"`, "compliance", "typolog", "laundering", "decline", "public_band"}
	for _, c := range amlCodes {
		forbidden = append(forbidden, strings.ToLower(c))
	}
	forbidden = append(forbidden, typologies...)
	for _, f := range forbidden {
		if strings.Contains(text, f) {
			t.Fatalf("%s: txn %s payload contains %q: %s", where, s.Txn, f, raw)
		}
	}
}

// TestNoTippingOff drives many AML-laden decisions through a Router and
// checks that no non-compliance plug-in, and no NATS message, carries an
// AML class, code, typology or an AML-revealing band, while the
// compliance plug-in receives everything.
func TestNoTippingOff(t *testing.T) {
	const n = 2000
	gen := generate(n, 42)
	pub := &pubRecorder{}
	r := newRouter(t, signal.Config{Publisher: pub, QueueSize: 2 * n})
	twinR := newRouter(t, signal.Config{QueueSize: 2 * n})
	mkt, crea, comp, twinRec := &recorder{name: "personalization"}, &recorder{name: "creative"}, &recorder{name: "case-manager"}, &recorder{name: "twin"}
	for _, p := range []*recorder{mkt, crea} {
		if err := r.Register(p, signal.RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Register(comp, signal.RegisterOptions{Compliance: true}); err != nil {
		t.Fatal(err)
	}
	if err := twinR.Register(twinRec, signal.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, g := range gen {
		if err := r.Route(context.Background(), g.d); err != nil {
			t.Fatal(err)
		}
		if g.twin != nil {
			if err := twinR.Route(context.Background(), *g.twin); err != nil {
				t.Fatal(err)
			}
		}
	}
	closeRouter(t, r)
	closeRouter(t, twinR)

	byTxn := func(ss []signal.Signal) map[string]signal.Signal {
		m := make(map[string]signal.Signal, len(ss))
		for _, s := range ss {
			m[s.Txn] = s
		}
		return m
	}
	twins, comps := byTxn(twinRec.signals()), byTxn(comp.signals())
	cuts := signal.Cuts{}
	rawCritical := 0
	for _, rec := range []*recorder{mkt, crea} {
		got := rec.signals()
		if len(got) != n {
			t.Fatalf("%s got %d signals, want %d", rec.name, len(got), n)
		}
		pubs := byTxn(got)
		for _, g := range gen {
			s := pubs[g.d.Txn.ID]
			assertNoLeak(t, rec.name, s, nil)
			rawBand := cuts.Band(g.d.Score)
			switch g.kind {
			case kindAMLOnly, kindMixed, kindClean:
				// Attributed: indistinguishable from the decision
				// scored without its AML evidence.
				if diff := cmp.Diff(twins[g.d.Txn.ID], s); diff != "" {
					t.Fatalf("%s: txn %s (kind %d) differs from its AML-free twin (-twin +got):\n%s", rec.name, g.d.Txn.ID, g.kind, diff)
				}
				if g.kind == kindAMLOnly {
					if s.Band != signal.BandLow || len(s.Reasons) != 0 {
						t.Fatalf("txn %s driven only by AML shows band %s, reasons %v; want low, none", g.d.Txn.ID, s.Band, s.Reasons)
					}
					if rawBand == signal.BandCritical {
						rawCritical++
					}
				}
			case kindTypology:
				// Unattributed: never above what the fraud evidence
				// alone justifies from the prior.
				var fraudW float64
				for _, rs := range g.d.Reasons {
					if !signal.IsAML(rs.Code) {
						fraudW += rs.Weight
					}
				}
				limit := cuts.Band(sigmoidT(logitT(signal.DefaultPriorScore) + fraudW))
				if s.Band.Rank() > limit.Rank() {
					t.Fatalf("txn %s with typologies shows band %s above its fraud evidence (%s)", g.d.Txn.ID, s.Band, limit)
				}
			}
		}
	}
	if rawCritical < n/numKinds/2 {
		t.Fatalf("only %d AML-only decisions were critical; the generator does not test much", rawCritical)
	}

	msgs := pub.all()
	if len(msgs) != n {
		t.Fatalf("published %d messages, want %d", len(msgs), n)
	}
	mktByTxn := byTxn(mkt.signals())
	for _, m := range msgs {
		s, err := signal.Decode(m.data)
		if err != nil {
			t.Fatalf("Decode(published): %v", err)
		}
		assertNoLeak(t, "nats", s, m.data)
		if want := signal.Subject(mktByTxn[s.Txn].Band); m.subject != want || s.Band != mktByTxn[s.Txn].Band {
			t.Fatalf("txn %s published on %s with band %s, want %s", s.Txn, m.subject, s.Band, want)
		}
	}

	// The compliance plug-in sees it all.
	if len(comps) != n {
		t.Fatalf("compliance plug-in got %d signals, want %d", len(comps), n)
	}
	for _, g := range gen {
		s := comps[g.d.Txn.ID]
		touched := len(g.d.Typologies) > 0
		hasAMLReason := false
		for _, rs := range g.d.Reasons {
			if signal.IsAML(rs.Code) {
				touched, hasAMLReason = true, true
			}
		}
		if s.Compliance == nil || s.Compliance.AML != touched || s.Band != cuts.Band(g.d.Score) || s.Score != g.d.Score {
			t.Fatalf("compliance signal for %s: %+v, want the raw score %v and AML=%v", g.d.Txn.ID, s, g.d.Score, touched)
		}
		if diff := cmp.Diff(g.d.Typologies, s.Compliance.Typologies); diff != "" {
			t.Fatalf("compliance typologies for %s (-want +got):\n%s", g.d.Txn.ID, diff)
		}
		if diff := cmp.Diff(g.d.Reasons, s.Compliance.Reasons); diff != "" {
			t.Fatalf("compliance reasons for %s (-want +got):\n%s", g.d.Txn.ID, diff)
		}
		hasAMLClass := false
		for _, c := range s.Reasons {
			hasAMLClass = hasAMLClass || c == signal.ClassAML
		}
		if hasAMLClass != hasAMLReason {
			t.Fatalf("compliance classes for %s: %v, want aml=%v", g.d.Txn.ID, s.Reasons, hasAMLReason)
		}
	}
}

// An AML-named model id is blanked for non-compliance consumers.
func TestAMLModelBlanked(t *testing.T) {
	r := newRouter(t, signal.Config{})
	mkt, comp := &recorder{name: "m"}, &recorder{name: "c"}
	_ = r.Register(mkt, signal.RegisterOptions{})
	_ = r.Register(comp, signal.RegisterOptions{Compliance: true})
	d := decision("t", "u", 0.2)
	d.Model = "aml-gnn@f00"
	if err := r.Route(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	closeRouter(t, r)
	if got := mkt.signals()[0].Model; got != "" {
		t.Errorf("non-compliance model = %q, want blank", got)
	}
	if got := comp.signals()[0].Model; got != d.Model {
		t.Errorf("compliance model = %q, want %q", got, d.Model)
	}
}
