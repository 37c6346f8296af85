package typology_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/synth"
	"github.com/riskgraph/riskgraph/typology"
)

// identities builds a store of purchases whose identifiers link users:
//
//	u1 –d1– u2 –p1– u3 –e1– u4     (a ring of four; u4 is flagged fraud)
//	u5                              (alone)
//	u1 and 24 strangers share the public device dpub
//	A: u10..u15 and B: u20..u25, two tight groups joined by email eAB
//
// Each "user:kind=id,…" row is one purchase.
func identities(tb testing.TB) *mem.Store {
	tb.Helper()
	rows := []string{
		"u1:Device=d1,Phone=p0,Account=a1,Counterparty=a9", "u1:Device=d1", "u2:Device=d1,Phone=p1,Label=fraud",
		"u3:Phone=p1,Email=e1", "u4:Email=e1", "u5:Device=d5", "u1:Device=dpub",
	}
	for i := range 24 {
		rows = append(rows, fmt.Sprintf("x%d:Device=dpub", i))
	}
	// Two groups of six users, each user on three of its group's four
	// devices, and one email between u15 and u20.
	for _, g := range []int{10, 20} {
		for i := range 6 {
			for k := range 3 {
				rows = append(rows, fmt.Sprintf("u%d:Device=d%d%c", g+i, g, 'a'+(i+k)%4))
			}
		}
	}
	rows = append(rows, "u15:Email=eAB", "u20:Email=eAB")
	var txns []graph.Transaction
	for i, r := range rows {
		user, fields, _ := strings.Cut(r, ":")
		tx := graph.Transaction{ID: fmt.Sprintf("t%03d", i+1), Time: t0.Add(time.Duration(i) * time.Minute), Amount: 100, User: user, Merchant: "m1", Label: graph.ClassLegit}
		for _, f := range strings.Split(fields, ",") {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "Device":
				tx.Device = v
			case "Phone":
				tx.Phone = v
			case "Email":
				tx.Email = v
			case "Account":
				tx.Account = v
			case "Counterparty":
				tx.Counterparty = v
			case "Label":
				tx.Label = graph.Class(v)
			}
		}
		txns = append(txns, tx)
	}
	s := storeOf(tb, txns)
	lbl := graph.Label{Entity: graph.Ref(graph.KindUser, "u4"), Class: graph.ClassFraud, Time: t0, Source: "analyst"}
	if _, err := s.Apply(context.Background(), graph.Mutation{Label: &lbl}); err != nil {
		tb.Fatal(err)
	}
	return s
}

func refs(ss ...string) []graph.NodeRef {
	var out []graph.NodeRef
	for _, s := range ss {
		r, err := graph.ParseRef(s)
		if err != nil {
			panic(err)
		}
		out = append(out, r)
	}
	return out
}

func TestRingAround(t *testing.T) {
	s := identities(t)
	ctx := context.Background()
	want := typology.Ring{
		Members: refs("User:u1", "User:u2", "User:u3", "User:u4", "Device:d1", "Email:e1", "Phone:p1"),
		Shared: []typology.SharedID{
			{Ref: graph.Ref(graph.KindDevice, "d1"), Users: refs("User:u1", "User:u2")},
			{Ref: graph.Ref(graph.KindEmail, "e1"), Users: refs("User:u3", "User:u4")},
			{Ref: graph.Ref(graph.KindPhone, "p1"), Users: refs("User:u2", "User:u3")},
		},
		Edges: []typology.Link{
			{User: graph.Ref(graph.KindUser, "u1"), ID: graph.Ref(graph.KindDevice, "d1"), Txn: "t001"},
			{User: graph.Ref(graph.KindUser, "u2"), ID: graph.Ref(graph.KindDevice, "d1"), Txn: "t003"},
			{User: graph.Ref(graph.KindUser, "u2"), ID: graph.Ref(graph.KindPhone, "p1"), Txn: "t003"},
			{User: graph.Ref(graph.KindUser, "u3"), ID: graph.Ref(graph.KindEmail, "e1"), Txn: "t004"},
			{User: graph.Ref(graph.KindUser, "u3"), ID: graph.Ref(graph.KindPhone, "p1"), Txn: "t004"},
			{User: graph.Ref(graph.KindUser, "u4"), ID: graph.Ref(graph.KindEmail, "e1"), Txn: "t005"},
		},
		TotalAmount: 600, // u1's three purchases, u2, u3, u4 one each
		Txns:        6,
		Labels:      map[string]int{"fraud": 1, "legit": 5},
		Flagged:     refs("User:u4"),
		Public:      refs("Device:dpub"),
	}
	for _, seed := range []string{"User:u1", "User:u4", "Device:d1", "Email:e1", "Account:a1", "Transaction:t004"} {
		t.Run(seed, func(t *testing.T) {
			ref, _ := graph.ParseRef(seed)
			got, err := typology.RingAround(ctx, s, ref, typology.RingConfig{})
			if err != nil {
				t.Fatal(err)
			}
			w := want
			w.Seed = ref
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("ring (-want +got):\n%s", diff)
			}
			// Investigators get it as JSON.
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			var back typology.Ring
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, back); diff != "" {
				t.Errorf("JSON round trip (-sent +read):\n%s", diff)
			}
		})
	}
}

func TestRingAroundEdges(t *testing.T) {
	s := identities(t)
	ctx := context.Background()
	t.Run("a user alone", func(t *testing.T) {
		got, err := typology.RingAround(ctx, s, graph.Ref(graph.KindUser, "u5"), typology.RingConfig{})
		if err != nil || refsString(got.Members) != "User:u5" || len(got.Shared) != 0 {
			t.Errorf("ring of u5 = %+v, %v; want u5 alone", got, err)
		}
	})
	t.Run("a public identifier", func(t *testing.T) {
		got, err := typology.RingAround(ctx, s, graph.Ref(graph.KindDevice, "dpub"), typology.RingConfig{})
		if err != nil || len(got.Members) != 0 || refsString(got.Public) != "Device:dpub" {
			t.Errorf("ring of dpub = %+v, %v; want no members and dpub public", got, err)
		}
	})
	t.Run("a large group is cut to the seed's community", func(t *testing.T) {
		cfg := typology.RingConfig{MaxMembers: 8}
		got, err := typology.RingAround(ctx, s, graph.Ref(graph.KindUser, "u12"), cfg)
		if err != nil {
			t.Fatal(err)
		}
		var users []string
		for _, m := range got.Members {
			if m.Kind == graph.KindUser {
				users = append(users, m.ID)
			}
		}
		if !got.Community || strings.Join(users, " ") != "u10 u11 u12 u13 u14 u15" {
			t.Errorf("ring of u12 with MaxMembers 8: community %v, users %v; want u10..u15, a community", got.Community, users)
		}
		whole, err := typology.RingAround(ctx, s, graph.Ref(graph.KindUser, "u12"), typology.RingConfig{})
		if err != nil || whole.Community || len(whole.Members) < 12 {
			t.Errorf("ring of u12 with the default MaxMembers: community %v, %d members (%v); want the whole group", whole.Community, len(whole.Members), err)
		}
	})
	t.Run("a merchant anchors nothing", func(t *testing.T) {
		_, err := typology.RingAround(ctx, s, graph.Ref(graph.KindMerchant, "m1"), typology.RingConfig{})
		if !errors.Is(err, typology.ErrSeed) || !errors.Is(err, graph.ErrInvalid) {
			t.Errorf("merchant seed: %v, want ErrSeed", err)
		}
	})
	t.Run("an unknown seed", func(t *testing.T) {
		_, err := typology.RingAround(ctx, s, graph.Ref(graph.KindUser, "ghost"), typology.RingConfig{})
		if !errors.Is(err, graph.ErrNotFound) {
			t.Errorf("unknown seed: %v, want graph.ErrNotFound", err)
		}
	})
	t.Run("an invalid config", func(t *testing.T) {
		_, err := typology.RingAround(ctx, s, graph.Ref(graph.KindUser, "u1"), typology.RingConfig{MinUsers: 1})
		if !errors.Is(err, typology.ErrConfig) {
			t.Errorf("MinUsers 1: %v, want ErrConfig", err)
		}
	})
	t.Run("the exploration is capped", func(t *testing.T) {
		got, err := typology.RingAround(ctx, s, graph.Ref(graph.KindUser, "u1"), typology.RingConfig{MaxVisit: 3})
		if err != nil || !got.Truncated {
			t.Errorf("MaxVisit 3: truncated %v, %v; want truncated", got.Truncated, err)
		}
	})
}

// TestRingDetect checks the batch shared-identifier rings on the same
// links: the ring of four, and the two groups split by Louvain.
func TestRingDetect(t *testing.T) {
	s := identities(t)
	cfg := typology.Config{Typologies: []string{typology.SharedIDRing}, Ring: typology.RingConfig{MaxMembers: 8}}
	alerts, err := typology.Detect(context.Background(), s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range alerts {
		got = append(got, a.Focus.String()+" "+refsString(a.Members))
	}
	want := []string{
		"Device:d1 User:u1 User:u2 User:u3 User:u4 Device:d1 Email:e1 Phone:p1",
		"Device:d10b User:u10 User:u11 User:u12 User:u13 User:u14 User:u15 Device:d10a Device:d10b Device:d10c Device:d10d",
		"Device:d20b User:u20 User:u21 User:u22 User:u23 User:u24 User:u25 Device:d20a Device:d20b Device:d20c Device:d20d",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rings (-want +got):\n%s", diff)
	}
	for _, a := range alerts {
		if a.Typology != typology.SharedIDRing || a.Severity == "" || a.Detail == "" || len(a.Txns) == 0 {
			t.Errorf("malformed ring alert %+v", a)
		}
	}
}

// TestRingAroundSynth asks for the ring around a synthetic-identity
// fraudster in generated traffic.
func TestRingAroundSynth(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 50,000 transactions; skipped with -short")
	}
	w := plantedWorld(t)
	var seed string
	for _, r := range w.rows {
		if w.pattern[r.ID] == synth.PatternSyntheticIdentity && r.Device != "" {
			seed = r.User
			break
		}
	}
	ring, err := typology.RingAround(context.Background(), w.store, graph.Ref(graph.KindUser, seed), typology.RingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	users := 0
	for _, m := range ring.Members {
		if m.Kind == graph.KindUser {
			users++
		}
	}
	t.Logf("ring around %s: %d users, %d shared identifiers, %d transactions worth %.2f, labels %v", seed, users, len(ring.Shared), ring.Txns, ring.TotalAmount, ring.Labels)
	if users < 3 || len(ring.Shared) == 0 || ring.Labels[string(graph.ClassFraud)] == 0 {
		t.Errorf("ring around a synthetic identity: %d users, %d shared, labels %v; want 3+ users sharing identifiers, fraud among them", users, len(ring.Shared), ring.Labels)
	}
}
