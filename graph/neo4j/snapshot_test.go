package neo4j

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
)

// sampleSnapshot writes a snapshot of a few records the way Snapshot does.
func sampleSnapshot(t testing.TB) ([]byte, []snapLine) {
	t.Helper()
	lt := t0.UnixNano()
	recs := []snapLine{
		{P: &snapPending{Txn: "later", Label: graph.ClassFraud, Time: &lt, Source: "cb"}},
		{T: &snapTxn{Transaction: goldenTxn, Arrival: 1}},
		{T: &snapTxn{Transaction: selfTransfer, LabelTime: &lt, LabelSource: "analyst", Arrival: 4}},
		{E: &snapEntity{Kind: graph.KindAccount, ID: "ghost", Label: graph.ClassLaundering, LabelTime: &lt}},
	}
	recs[2].T.Label = graph.ClassFraud
	var buf bytes.Buffer
	sw, err := newSnapWriter(&buf, snapHeader{Format: snapFormat, Version: snapVersion, LastSeq: 42, Arrival: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := sw.record(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), recs
}

func TestSnapshotFormatRoundTrip(t *testing.T) {
	data, recs := sampleSnapshot(t)
	var spool bytes.Buffer
	hdr, err := verifySnapshot(bytes.NewReader(data), &spool)
	if err != nil {
		t.Fatal(err)
	}
	if hdr.LastSeq != 42 || hdr.Arrival != 4 {
		t.Errorf("header = %+v, want LastSeq 42, arrival 4", hdr)
	}
	var got []snapLine
	for _, line := range strings.SplitAfter(spool.String(), "\n") {
		if line == "" {
			continue
		}
		var l snapLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		got = append(got, l)
	}
	if diff := cmp.Diff(recs, got); diff != "" {
		t.Errorf("records through the spool (-want +got):\n%s", diff)
	}
	// The restored row carries the stored label, its time and arrival.
	row := restoreTxnRow(got[2].T)
	if row["label"] != "fraud" || row["labelTime"] != t0.UnixNano() || row["labelSource"] != "analyst" || row["arrival"] != int64(4) {
		t.Errorf("restore row = %v", row)
	}
}

func TestSnapshotCorruptionDetected(t *testing.T) {
	good, _ := sampleSnapshot(t)
	lines := strings.SplitAfter(string(good), "\n")
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x40
		return b
	}
	reorder := strings.Join([]string{lines[0], lines[1], lines[3], lines[2], lines[4], lines[5]}, "")
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "trailer"},
		{"truncated in the middle", good[:len(good)/2], ""},
		{"trailer cut short", good[:len(good)-3], ""},
		{"trailer missing", []byte(strings.Join(lines[:5], "")), "trailer"},
		{"byte flipped in a record", flip(len(lines[0]) + 20), ""},
		{"byte flipped in the trailer", flip(len(good) - 20), ""},
		{"records reordered", []byte(reorder), ""},
		{"data after the trailer", append(bytes.Clone(good), lines[1]...), "after the trailer"},
		{"not a snapshot", []byte("id,time,amount\nt1,2026-01-01T00:00:00Z,1\n"), "not a riskgraph"},
		{"another version", bytes.Replace(good, []byte(`"version":1`), []byte(`"version":9`), 1), "version 9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifySnapshot(bytes.NewReader(tc.data), &bytes.Buffer{})
			if !errors.Is(err, graph.ErrCorrupt) {
				t.Fatalf("verifySnapshot = %v, want ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "line ") {
				t.Errorf("err = %q, want it to name the line and %q", err, tc.want)
			}
		})
	}
}

func TestSnapshotRejectsBadRecords(t *testing.T) {
	bad := []struct {
		name string
		rec  snapLine
	}{
		{"two kinds in one record", snapLine{T: &snapTxn{Transaction: goldenTxn, Arrival: 1}, P: &snapPending{Txn: "x", Label: "fraud"}}},
		{"invalid transaction", snapLine{T: &snapTxn{Transaction: graph.Transaction{ID: "x", Time: t0, Amount: -5}, Arrival: 1}}},
		{"arrival beyond the header", snapLine{T: &snapTxn{Transaction: goldenTxn, Arrival: 99}}},
		{"entity of kind Transaction", snapLine{E: &snapEntity{Kind: graph.KindTransaction, ID: "t", Label: "fraud"}}},
		{"unknown class", snapLine{P: &snapPending{Txn: "t", Label: "maybe"}}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			sw, _ := newSnapWriter(&buf, snapHeader{Format: snapFormat, Version: snapVersion, Arrival: 10})
			sw.record(tc.rec)
			sw.close()
			if _, err := verifySnapshot(&buf, &bytes.Buffer{}); !errors.Is(err, graph.ErrCorrupt) {
				t.Errorf("verifySnapshot = %v, want ErrCorrupt: a checksummed snapshot can still be hand-made", err)
			}
		})
	}
}

// FuzzVerifySnapshot: whatever the bytes, verifySnapshot returns nil or an
// error wrapping ErrCorrupt, never panics, and spools only what it accepts.
func FuzzVerifySnapshot(f *testing.F) {
	good, _ := sampleSnapshot(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(`{"format":"riskgraph-graph-snapshot","version":1,"last_seq":0,"arrival":0}` + "\n" + `{"end":{"records":0,"sha256":""}}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var spool bytes.Buffer
		_, err := verifySnapshot(bytes.NewReader(data), &spool)
		if err != nil && !errors.Is(err, graph.ErrCorrupt) {
			t.Fatalf("verifySnapshot = %v, want nil or ErrCorrupt", err)
		}
		if err == nil && !bytes.Contains(data, spool.Bytes()) {
			t.Fatal("spooled records that are not in the input")
		}
	})
}

func BenchmarkVerifySnapshot(b *testing.B) {
	var buf bytes.Buffer
	sw, _ := newSnapWriter(&buf, snapHeader{Format: snapFormat, Version: snapVersion, Arrival: 10000})
	for i := range 10000 {
		tx := goldenTxn
		sw.record(snapLine{T: &snapTxn{Transaction: tx, Arrival: int64(i + 1)}})
	}
	sw.close()
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := verifySnapshot(bytes.NewReader(data), &bytes.Buffer{}); err != nil {
			b.Fatal(err)
		}
	}
}
