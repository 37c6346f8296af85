package stream

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
)

func TestStreamConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     StreamConfig
		wantErr bool
	}{
		{"zero", StreamConfig{}, false},
		{"full", StreamConfig{Name: "A", DeadLetterName: "B", Duplicates: time.Hour, Replicas: 3, MaxAge: 24 * time.Hour}, false},
		{"dotted name", StreamConfig{Name: "a.b"}, true},
		{"same names", StreamConfig{Name: "A", DeadLetterName: "A"}, true},
		{"negative duplicates", StreamConfig{Duplicates: -1}, true},
		{"too many replicas", StreamConfig{Replicas: 6}, true},
		{"window over max age", StreamConfig{Duplicates: time.Hour, MaxAge: time.Minute}, true},
		{"negative max bytes", StreamConfig{MaxBytes: -1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Validate() = %v, want it to wrap ErrInvalidConfig", err)
			}
		})
	}
}

func TestLabelMsgID(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	base := graph.Label{Txn: "t-1", Class: graph.ClassFraud, Time: at, Source: "chargeback"}
	id := LabelMsgID(&base)
	if len(id) != len("label-")+32 {
		t.Errorf("LabelMsgID = %q, want label- and 32 hex digits", id)
	}
	sameInstant := base
	sameInstant.Time = at.In(time.FixedZone("X", 3600))
	if got := LabelMsgID(&sameInstant); got != id {
		t.Errorf("same instant in another zone: id %q, want %q", got, id)
	}
	for name, l := range map[string]graph.Label{
		"class":  {Txn: "t-1", Class: graph.ClassLegit, Time: at, Source: "chargeback"},
		"time":   {Txn: "t-1", Class: graph.ClassFraud, Time: at.Add(time.Nanosecond), Source: "chargeback"},
		"source": {Txn: "t-1", Class: graph.ClassFraud, Time: at, Source: "analyst"},
		"target": {Txn: "t-2", Class: graph.ClassFraud, Time: at, Source: "chargeback"},
		"entity": {Entity: graph.Ref(graph.KindTransaction, "t-1x"), Class: graph.ClassFraud, Time: at, Source: "chargeback"},
		"shift":  {Txn: "t-1", Class: graph.ClassFraud, Time: at, Source: "chargeback"},
	} {
		if name == "shift" {
			// Field boundaries are length-prefixed: moving bytes from one
			// field to the next changes the id.
			l = graph.Label{Txn: "t-1f", Class: "raud", Time: at, Source: "chargeback"}
		}
		if got := LabelMsgID(&l); got == id {
			t.Errorf("label differing in %s has the same id %q", name, got)
		}
	}
}

func TestDeadLetterSubject(t *testing.T) {
	for in, want := range map[string]string{
		SubjectTxn:   "riskgraph.v1.deadletter.txn",
		SubjectLabel: "riskgraph.v1.deadletter.label",
		"odd":        "riskgraph.v1.deadletter.odd",
		"a.":         "riskgraph.v1.deadletter.unknown",
	} {
		if got := DeadLetterSubject(in); got != want {
			t.Errorf("DeadLetterSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAckMeta(t *testing.T) {
	type meta struct {
		Delivered, Seq, Dseq uint64
		OK                   bool
	}
	tests := []struct {
		name  string
		reply string
		want  meta
	}{
		{"v1", "$JS.ACK.RISKGRAPH.c1.2.1234.77.1700000000000000000.9", meta{2, 1234, 77, true}},
		{"v2", "$JS.ACK._.HASH.RISKGRAPH.c1.1.5.6.1700000000000000000.0.tok", meta{1, 5, 6, true}},
		{"v2 without token", "$JS.ACK.dom.HASH.RISKGRAPH.c1.3.8.9.1700000000000000000.0", meta{3, 8, 9, true}},
		{"not an ack", "_INBOX.abc", meta{}},
		{"too few tokens", "$JS.ACK.S.C.1.2.3", meta{}},
		{"ten tokens", "$JS.ACK.S.C.1.2.3.4.5.6", meta{}},
		{"not a number", "$JS.ACK.S.C.1.x.3.4.5", meta{}},
		{"empty", "", meta{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got meta
			got.Delivered, got.Seq, got.Dseq, got.OK = ackMeta(tt.reply)
			if !got.OK {
				got = meta{}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ackMeta(%q) mismatch (-want +got):\n%s", tt.reply, diff)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	field, reason := describe(&graph.FieldError{Field: "amount", Reason: "negative\r\n(-3)"})
	if field != "amount" || reason != "amount: negative  (-3)" {
		t.Errorf("describe = %q, %q", field, reason)
	}
}

func BenchmarkAckMeta(b *testing.B) {
	reply := "$JS.ACK._.HASH.RISKGRAPH.consumername.1.123456789.123456.1700000000000000000.5000.tok"
	b.ReportAllocs()
	for b.Loop() {
		ackMeta(reply)
	}
}

// FuzzAckMeta checks ackMeta against a plain strings.Split reading of the
// same subject.
func FuzzAckMeta(f *testing.F) {
	f.Add("$JS.ACK.RISKGRAPH.c1.2.1234.77.1700000000000000000.9")
	f.Add("$JS.ACK._.HASH.RISKGRAPH.c1.1.5.6.1700000000000000000.0.tok")
	f.Add("$JS.ACK.a.b.c.d.e.f.g")
	f.Fuzz(func(t *testing.T, reply string) {
		delivered, seq, dseq, ok := ackMeta(reply)
		tokens := strings.Split(reply, ".")
		first := -1
		switch {
		case len(tokens) < 2 || tokens[0] != "$JS" || tokens[1] != "ACK":
		case len(tokens) == 9:
			first = 4
		case len(tokens) >= 11:
			first = 6
		}
		wantOK := first >= 0
		var want [3]uint64
		for i := 0; wantOK && i < 3; i++ {
			n, err := strconv.ParseUint(tokens[first+i], 10, 64)
			if err != nil || strings.HasPrefix(tokens[first+i], "+") || len(tokens[first+i]) > 19 {
				wantOK = false
			}
			want[i] = n
		}
		if ok != wantOK || (ok && [3]uint64{delivered, seq, dseq} != want) {
			t.Errorf("ackMeta(%q) = %d, %d, %d, %v; want %v, %v", reply, delivered, seq, dseq, ok, want, wantOK)
		}
	})
}
