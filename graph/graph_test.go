package graph_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in      string
		want    graph.NodeRef
		wantErr bool
	}{
		{"User:u-1", graph.Ref(graph.KindUser, "u-1"), false},
		{"device:d:with:colons", graph.Ref(graph.KindDevice, "d:with:colons"), false},
		{"txn:t1", graph.Ref(graph.KindTransaction, "t1"), false},
		{"IP:10.0.0.1", graph.Ref(graph.KindIP, "10.0.0.1"), false},
		{"User:", graph.NodeRef{}, true},
		{"u-1", graph.NodeRef{}, true},
		{"Planet:earth", graph.NodeRef{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := graph.ParseRef(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseRef(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, graph.ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if got != tc.want {
				t.Errorf("ParseRef(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestEdgeTargets(t *testing.T) {
	for _, e := range graph.EdgeKinds() {
		found := false
		for _, k := range graph.EdgeKindsOf(e.Target()) {
			found = found || k == e
		}
		if !found {
			t.Errorf("EdgeKindsOf(%v) misses %v", e.Target(), e)
		}
		back, err := graph.ParseEdgeKind(e.String())
		if err != nil || back != e {
			t.Errorf("ParseEdgeKind(%q) = %v, %v", e.String(), back, err)
		}
	}
	if got := graph.EdgeKindsOf(graph.KindAccount); !cmp.Equal(got, []graph.EdgeKind{graph.EdgeFrom, graph.EdgeTo}) {
		t.Errorf("EdgeKindsOf(Account) = %v, want [FROM TO]", got)
	}
}

func TestTransactionValidate(t *testing.T) {
	ok := graph.Transaction{ID: "t", Time: time.Unix(1, 0), Amount: 1}
	tests := []struct {
		name  string
		edit  func(*graph.Transaction)
		field string
	}{
		{"valid", func(*graph.Transaction) {}, ""},
		{"zero amount is fine", func(t *graph.Transaction) { t.Amount = 0 }, ""},
		{"missing id", func(t *graph.Transaction) { t.ID = "" }, "id"},
		{"missing time", func(t *graph.Transaction) { t.Time = time.Time{} }, "time"},
		{"negative amount", func(t *graph.Transaction) { t.Amount = -0.01 }, "amount"},
		{"NaN amount", func(t *graph.Transaction) { t.Amount = math.NaN() }, "amount"},
		{"infinite amount", func(t *graph.Transaction) { t.Amount = math.Inf(1) }, "amount"},
		{"unknown label", func(t *graph.Transaction) { t.Label = "maybe" }, "label"},
		{"long device id", func(t *graph.Transaction) { t.Device = strings.Repeat("d", 257) }, "device"},
		{"invalid UTF-8 merchant", func(t *graph.Transaction) { t.Merchant = "m\xff" }, "merchant"},
		{"too many attrs", func(t *graph.Transaction) {
			t.Attrs = map[string]string{}
			for i := range 65 {
				t.Attrs[strings.Repeat("k", i+1)] = "v"
			}
		}, "attrs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx := ok
			tc.edit(&tx)
			err := tx.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var fe *graph.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, graph.ErrInvalid) {
				t.Fatalf("Validate = %v, want a FieldError on %q wrapping ErrInvalid", err, tc.field)
			}
		})
	}
}

func TestLabelJSON(t *testing.T) {
	l := graph.Label{Entity: graph.Ref(graph.KindAccount, "a1"), Class: graph.ClassLaundering, Source: "case:7"}
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"entity":"Account:a1","label":"laundering","source":"case:7"}`; string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	var back graph.Label
	if err := json.Unmarshal(b, &back); err != nil || back != l {
		t.Errorf("round trip = %+v, %v", back, err)
	}
}
