package signal_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/signal"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    signal.Signal
		wantErr bool
	}{
		{
			name: "valid",
			in:   `{"version":1,"subject":"ab12","band":"high","score":0.65,"reasons":["device","velocity"],"txn":"t1","time":"2026-01-02T03:04:05Z","model":"m@1"}`,
			want: signal.Signal{
				Version: 1, Subject: "ab12", Band: signal.BandHigh, Score: 0.65,
				Reasons: []signal.Class{signal.ClassDevice, signal.ClassVelocity},
				Txn:     "t1", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Model: "m@1",
			},
		},
		{name: "version 2", in: `{"version":2,"subject":"a","band":"low","score":0,"reasons":[],"txn":"t"}`, wantErr: true},
		{name: "unknown field", in: `{"version":1,"subject":"a","band":"low","score":0,"reasons":[],"txn":"t","user":"alice"}`, wantErr: true},
		{name: "bad band", in: `{"version":1,"subject":"a","band":"severe","score":0,"reasons":[],"txn":"t"}`, wantErr: true},
		{name: "raw code as reason", in: `{"version":1,"subject":"a","band":"low","score":0,"reasons":["AML_X"],"txn":"t"}`, wantErr: true},
		{name: "score above one", in: `{"version":1,"subject":"a","band":"low","score":1.5,"reasons":[],"txn":"t"}`, wantErr: true},
		{name: "no subject", in: `{"version":1,"band":"low","score":0,"reasons":[],"txn":"t"}`, wantErr: true},
		{name: "no txn", in: `{"version":1,"subject":"a","band":"low","score":0,"reasons":[]}`, wantErr: true},
		{name: "trailing data", in: `{"version":1,"subject":"a","band":"low","score":0,"reasons":[],"txn":"t"} {}`, wantErr: true},
		{name: "not json", in: `nope`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := signal.Decode([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Decode() error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, signal.ErrInvalidSignal) {
					t.Errorf("Decode() = %v, want it to wrap ErrInvalidSignal", err)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"version":1,"subject":"a","band":"low","score":0.1,"reasons":["device"],"txn":"t","time":"2026-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := signal.Decode(data)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Decode accepted an invalid signal: %v", err)
		}
	})
}
