package rules

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
)

const precedenceRules = `version: "t1"
lists:
  block: {cards: [bad-card], accounts: [mule]}
  allow: {users: [vip], accounts: [good-acc]}
velocity:
  - {id: Vr, entity: card, window: 1h, max_count: 3, action: review}
  - {id: Vd, entity: card, window: 24h, max_amount: 1000, action: decline}
amount:
  - {id: Ar, over: 500, channel: web, action: review}
  - {id: Ad, over: 10000, action: decline}
typology:
  - {id: Tr, typology: fan_in, action: review}
  - {id: Td, typology: cycle, min_hits: 2, action: decline}
bands:
  - {below: 0.3, decision: approve}
  - {below: 0.8, decision: review}
  - {decision: decline}
`

func mustLoad(t testing.TB, src string) *Set {
	t.Helper()
	s, err := Load(strings.NewReader(src), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func txn(mod func(*graph.Transaction)) *graph.Transaction {
	t := &graph.Transaction{ID: "t1", Time: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), Amount: 42,
		Currency: "EUR", Kind: "card", User: "u1", Account: "a1", Card: "c1", Device: "d1", IP: "10.0.0.1",
		Merchant: "m1", Country: "DE", Channel: "app"}
	if mod != nil {
		mod(t)
	}
	return t
}

func velocity(k graph.Kind, w Window, c Counter) Facts {
	var f Facts
	f.Velocity[k][w] = c
	return f
}

func TestEvaluatePrecedence(t *testing.T) {
	base := mustLoad(t, precedenceRules)
	strict := mustLoad(t, strings.Replace(precedenceRules, `version: "t1"`, "version: t2\ndegraded_decision: review", 1))
	blockedCard := func(t *graph.Transaction) { t.Card = "bad-card" }
	vip := func(t *graph.Transaction) { t.User = "vip" }
	web := func(t *graph.Transaction) { t.Channel = "web"; t.Amount = 600 }
	tests := []struct {
		name     string
		set      *Set
		in       Input
		want     Decision
		hits     []string
		blocked  bool
		degraded bool
	}{
		{"low score approves", base, Input{Txn: txn(nil), Score: 0.1, HasScore: true}, Approve, []string{"band.1"}, false, false},
		{"mid score reviews", base, Input{Txn: txn(nil), Score: 0.5, HasScore: true}, Review, []string{"band.2"}, false, false},
		{"high score declines", base, Input{Txn: txn(nil), Score: 0.9, HasScore: true}, Decline, []string{"band.3"}, false, false},
		{"band bound is exclusive", base, Input{Txn: txn(nil), Score: 0.3, HasScore: true}, Review, []string{"band.2"}, false, false},
		{"score 1 in last band", base, Input{Txn: txn(nil), Score: 1, HasScore: true}, Decline, []string{"band.3"}, false, false},
		{"score below 0 in first band", base, Input{Txn: txn(nil), Score: -0.5, HasScore: true}, Approve, []string{"band.1"}, false, false},
		{"score above 1 in last band", base, Input{Txn: txn(nil), Score: 7, HasScore: true}, Decline, []string{"band.3"}, false, false},
		{"NaN score is degraded", base, Input{Txn: txn(nil), Score: math.NaN(), HasScore: true}, Approve, nil, false, true},
		{"score ignored without HasScore", base, Input{Txn: txn(nil), Score: 0.99}, Approve, nil, false, true},
		{"degraded default review", strict, Input{Txn: txn(nil)}, Review, nil, false, true},
		{"degraded default lowered by allow", strict, Input{Txn: txn(vip)}, Approve, []string{"allow.user"}, false, true},

		{"block declines in degraded mode", base, Input{Txn: txn(blockedCard)}, Decline, []string{"block.card"}, true, true},
		{"block beats allow and a low score", base, Input{Txn: txn(func(t *graph.Transaction) { blockedCard(t); vip(t) }), Score: 0.01, HasScore: true},
			Decline, []string{"block.card", "allow.user", "band.1"}, true, false},
		{"block on counterparty", base, Input{Txn: txn(func(t *graph.Transaction) { t.Kind = "transfer"; t.Counterparty = "mule" }), Score: 0.1, HasScore: true},
			Decline, []string{"block.account", "band.1"}, true, false},
		{"block on debited account", base, Input{Txn: txn(func(t *graph.Transaction) { t.Account = "mule" })}, Decline, []string{"block.account"}, true, true},

		{"allow lowers a review rule", base, Input{Txn: txn(vip), Score: 0.1, HasScore: true, Facts: velocity(graph.KindCard, Window1h, Counter{Count: 4})},
			Approve, []string{"allow.user", "Vr", "band.1"}, false, false},
		{"allow lowers a review band", base, Input{Txn: txn(vip), Score: 0.5, HasScore: true}, Approve, []string{"allow.user", "band.2"}, false, false},
		{"allow lowers a declining band", base, Input{Txn: txn(vip), Score: 0.95, HasScore: true}, Approve, []string{"allow.user", "band.3"}, false, false},
		{"allow never lowers a velocity decline", base, Input{Txn: txn(vip), Score: 0.1, HasScore: true, Facts: velocity(graph.KindCard, Window24h, Counter{Count: 2, Amount: 1500})},
			Decline, []string{"allow.user", "Vd", "band.1"}, false, false},
		{"allow never lowers an amount decline", base, Input{Txn: txn(func(t *graph.Transaction) { vip(t); t.Amount = 20000 })},
			Decline, []string{"allow.user", "Ad"}, false, true},
		{"allow never lowers a typology decline", base, Input{Txn: txn(vip), Facts: Facts{Typologies: map[string]int{"cycle": 2}}},
			Decline, []string{"allow.user", "Td"}, false, true},
		{"allow-listed counterparty does not vouch", base, Input{Txn: txn(func(t *graph.Transaction) { t.Counterparty = "good-acc" }), Score: 0.5, HasScore: true},
			Review, []string{"band.2"}, false, false},
		{"allow-listed payer account", base, Input{Txn: txn(func(t *graph.Transaction) { t.Account = "good-acc" }), Score: 0.5, HasScore: true},
			Approve, []string{"allow.account", "band.2"}, false, false},

		{"velocity at the limit does not fire", base, Input{Txn: txn(nil), Facts: velocity(graph.KindCard, Window1h, Counter{Count: 3})}, Approve, nil, false, true},
		{"velocity over the limit reviews", base, Input{Txn: txn(nil), Facts: velocity(graph.KindCard, Window1h, Counter{Count: 4})}, Review, []string{"Vr"}, false, true},
		{"velocity of another window is ignored", base, Input{Txn: txn(nil), Facts: velocity(graph.KindCard, Window7d, Counter{Count: 400, Amount: 1e6})}, Approve, nil, false, true},
		{"rule review beats approving band", base, Input{Txn: txn(nil), Score: 0.1, HasScore: true, Facts: velocity(graph.KindCard, Window1h, Counter{Count: 9})},
			Review, []string{"Vr", "band.1"}, false, false},
		{"declining band beats rule review", base, Input{Txn: txn(nil), Score: 0.9, HasScore: true, Facts: velocity(graph.KindCard, Window1h, Counter{Count: 9})},
			Decline, []string{"Vr", "band.3"}, false, false},
		{"amount filter mismatch", base, Input{Txn: txn(func(t *graph.Transaction) { t.Amount = 600 })}, Approve, nil, false, true},
		{"amount filter match", base, Input{Txn: txn(web)}, Review, []string{"Ar"}, false, true},
		{"amount equal to over does not fire", base, Input{Txn: txn(func(t *graph.Transaction) { t.Amount = 10000 })}, Approve, nil, false, true},
		{"typology under min_hits", base, Input{Txn: txn(nil), Facts: Facts{Typologies: map[string]int{"cycle": 1}}}, Approve, nil, false, true},
		{"typologies", base, Input{Txn: txn(nil), Facts: Facts{Typologies: map[string]int{"cycle": 2, "fan_in": 1}}}, Decline, []string{"Tr", "Td"}, false, true},
		{"every kind of hit", base, Input{Txn: txn(func(t *graph.Transaction) { web(t); vip(t) }), Score: 0.4, HasScore: true,
			Facts: Facts{Typologies: map[string]int{"fan_in": 3}}}, Approve, []string{"allow.user", "Ar", "Tr", "band.2"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.set.Evaluate(tt.in)
			var ids []string
			for _, h := range got.Hits {
				ids = append(ids, h.RuleID)
			}
			if got.Decision != tt.want || got.Blocked != tt.blocked || got.Degraded != tt.degraded || got.Version != tt.set.Version() {
				t.Errorf("got %v blocked=%v degraded=%v version=%s, want %v blocked=%v degraded=%v",
					got.Decision, got.Blocked, got.Degraded, got.Version, tt.want, tt.blocked, tt.degraded)
			}
			if diff := cmp.Diff(tt.hits, ids); diff != "" {
				t.Errorf("hits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateHitDetails(t *testing.T) {
	s := mustLoad(t, `version: d1
lists: {block: {ips: ["10.0.0.1"]}}
velocity:
  - {id: V1, entity: card, window: 24h, max_count: 3, max_amount: 100, action: review}
  - {id: V2, entity: device, window: 1h, max_count: 0, action: decline, reason: NEW_DEVICE_BURST,
     detail: "{entity} {{{id}}} used {count}x in {window} for {sum} {currency} (max {max_count})"}
amount:
  - {id: A1, over: 10, currency: eur, action: review}
typology:
  - {id: T1, typology: "*", min_hits: 2, action: review}
bands:
  - {below: 0.5, decision: approve, detail: "score {score} < {below} on {channel} in {country}"}
  - {id: Hi, decision: decline}
`)
	in := Input{Txn: txn(nil), Score: 0.25, HasScore: true}
	in.Facts.Velocity[graph.KindCard][Window24h] = Counter{Count: 4, Amount: 150.5}
	in.Facts.Velocity[graph.KindDevice][Window1h] = Counter{Count: 1, Amount: 42}
	in.Facts.Typologies = map[string]int{"fan_out": 3, "cycle": 3, "mule": 1}
	got := s.Evaluate(in)
	want := Result{Decision: Decline, Version: "d1", Blocked: true, Hits: []Hit{
		{RuleID: "block.ip", Code: "BLOCK_LIST_IP", Detail: "ip is on the block list", Action: Decline},
		{RuleID: "V1", Code: "VELOCITY_CARD_24H", Detail: "4 card transactions totalling 150.50 in 24h (limits 3 and 100)", Action: Review},
		{RuleID: "V2", Code: "NEW_DEVICE_BURST", Detail: "device {V2} used 1x in 1h for 42 EUR (max 0)", Action: Decline},
		{RuleID: "A1", Code: "AMOUNT_OVER_LIMIT", Detail: "amount 42 EUR over 10", Action: Review},
		{RuleID: "T1", Code: "TYPOLOGY_HIT", Detail: "3 cycle detections (min 2)", Action: Review},
		{RuleID: "band.1", Code: "SCORE_APPROVE", Detail: "score 0.250 < 0.5 on app in DE", Action: Approve},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	got = s.Evaluate(Input{Txn: txn(func(t *graph.Transaction) { t.IP = "" }), Score: 0.75, HasScore: true})
	want = Result{Decision: Decline, Version: "d1", Hits: []Hit{
		{RuleID: "A1", Code: "AMOUNT_OVER_LIMIT", Detail: "amount 42 EUR over 10", Action: Review},
		{RuleID: "Hi", Code: "SCORE_DECLINE", Detail: "score 0.750", Action: Decline},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestEvaluateNilTxnPanics(t *testing.T) {
	s := mustLoad(t, minimal)
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "rules: ") {
			t.Errorf("recovered %v, want a rules: panic", r)
		}
	}()
	s.Evaluate(Input{})
}

func TestDecisionText(t *testing.T) {
	for _, d := range []Decision{Approve, Review, Decline} {
		b, err := d.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Decision
		if err := back.UnmarshalText(b); err != nil || back != d {
			t.Errorf("%v: round trip gave %v, %v", d, back, err)
		}
	}
	if _, err := Decision(0).MarshalText(); err == nil {
		t.Error("zero Decision marshalled")
	}
	if _, err := ParseDecision("allow"); err == nil {
		t.Error("ParseDecision(allow) succeeded")
	}
	for _, w := range Windows() {
		if got, err := ParseWindow(w.String()); err != nil || got != w {
			t.Errorf("ParseWindow(%s) = %v, %v", w, got, err)
		}
	}
	if Window7d.Duration() != 168*time.Hour || Window(9).Duration() != 0 {
		t.Error("Window.Duration")
	}
}

// fuzzInputs exercise every path of a fuzzed set.
var fuzzInputs = func() []Input {
	full := Input{Txn: txn(func(t *graph.Transaction) { t.Counterparty = "x"; t.Email = "e"; t.Phone = "p" }),
		Score: 0.5, HasScore: true, Facts: Facts{Typologies: map[string]int{"fan_in": 3, "x": 1}}}
	for k := range full.Facts.Velocity {
		for w := range full.Facts.Velocity[k] {
			full.Facts.Velocity[k][w] = Counter{Count: 1000, Amount: 1e9}
		}
	}
	return []Input{
		{Txn: &graph.Transaction{}},
		{Txn: txn(nil), Score: math.NaN(), HasScore: true},
		{Txn: txn(nil), Score: math.Inf(1), HasScore: true},
		full,
	}
}()
