package casefile_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/investigate/casefile"
)

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

const id = "C-20260314-000001"

func ev(a casefile.Action, actor string, min int) casefile.Event {
	e := casefile.Event{Case: id, Action: a, Actor: actor, Time: t0.Add(time.Duration(min) * time.Minute), Seq: uint64(min + 1)}
	switch a {
	case casefile.ActionOpen:
		e.Open = &casefile.OpenData{Title: "fan-in on a7", Entities: []graph.NodeRef{graph.Ref(graph.KindAccount, "a7")}, Txns: []string{"t1", "t2"}}
	case casefile.ActionAssign:
		e.Assign = &casefile.AssignData{Assignee: "bob"}
	case casefile.ActionNote:
		e.Note = &casefile.NoteData{Text: "called the branch\nno answer"}
	case casefile.ActionAttach:
		e.Attach = &casefile.AttachData{Entities: []graph.NodeRef{graph.Ref(graph.KindUser, "u7")}, Txns: []string{"t2", "t3"}}
	case casefile.ActionClose:
		e.Close = &casefile.CloseData{Disposition: casefile.LaunderingSuspicion, Reason: "mule"}
	case casefile.ActionExport:
		e.Export = &casefile.ExportData{Format: "goaml", SHA256: strings.Repeat("ab", 32)}
	}
	return e
}

func TestFold(t *testing.T) {
	events := []casefile.Event{
		ev(casefile.ActionOpen, "alice", 0),
		ev(casefile.ActionAssign, "alice", 1),
		ev(casefile.ActionNote, "bob", 2),
		ev(casefile.ActionAttach, "bob", 3),
		ev(casefile.ActionClose, "bob", 4),
		ev(casefile.ActionExport, "carol", 5),
	}
	got, err := casefile.Fold(events)
	if err != nil {
		t.Fatal(err)
	}
	want := casefile.Case{
		ID: id, Title: "fan-in on a7", Status: casefile.StatusClosed, OpenedBy: "alice", Opened: t0, Assignee: "bob",
		Entities:    []graph.NodeRef{graph.Ref(graph.KindAccount, "a7"), graph.Ref(graph.KindUser, "u7")},
		Txns:        []string{"t1", "t2", "t3"},
		Notes:       []casefile.Note{{Actor: "bob", Time: t0.Add(2 * time.Minute), Text: "called the branch\nno answer"}},
		Disposition: casefile.LaunderingSuspicion, Reason: "mule", ClosedBy: "bob", Closed: t0.Add(4 * time.Minute),
		Exports: []casefile.Export{{Actor: "carol", Time: t0.Add(5 * time.Minute), Format: "goaml", SHA256: strings.Repeat("ab", 32)}},
		Updated: t0.Add(5 * time.Minute), Events: 6, LastSeq: 6,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("folded case (-want +got):\n%s", diff)
	}

	wantLabels := []graph.Label{
		{Entity: graph.Ref(graph.KindAccount, "a7"), Class: graph.ClassLaundering, Time: t0.Add(4 * time.Minute), Source: "case:" + id},
		{Entity: graph.Ref(graph.KindUser, "u7"), Class: graph.ClassLaundering, Time: t0.Add(4 * time.Minute), Source: "case:" + id},
		{Txn: "t1", Class: graph.ClassLaundering, Time: t0.Add(4 * time.Minute), Source: "case:" + id},
		{Txn: "t2", Class: graph.ClassLaundering, Time: t0.Add(4 * time.Minute), Source: "case:" + id},
		{Txn: "t3", Class: graph.ClassLaundering, Time: t0.Add(4 * time.Minute), Source: "case:" + id},
	}
	if diff := cmp.Diff(wantLabels, got.Labels()); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	for _, l := range got.Labels() {
		if err := l.Validate(); err != nil {
			t.Errorf("label %+v: %v", l, err)
		}
	}
}

func TestFoldRefusesImpossibleHistories(t *testing.T) {
	open, note, closeEv := ev(casefile.ActionOpen, "a", 0), ev(casefile.ActionNote, "a", 1), ev(casefile.ActionClose, "a", 2)
	fp := ev(casefile.ActionClose, "a", 2)
	fp.Close = &casefile.CloseData{Disposition: casefile.FalsePositive, Reason: "salary"}
	other := ev(casefile.ActionNote, "a", 1)
	other.Case = "C-20260314-000009"
	tests := []struct {
		name   string
		events []casefile.Event
		want   error
	}{
		{"note after close", []casefile.Event{open, closeEv, note}, casefile.ErrClosedCase},
		{"close twice", []casefile.Event{open, closeEv, closeEv}, casefile.ErrClosedCase},
		{"assign after close", []casefile.Event{open, closeEv, ev(casefile.ActionAssign, "a", 3)}, casefile.ErrClosedCase},
		{"export of a false positive", []casefile.Event{open, fp, ev(casefile.ActionExport, "a", 3)}, casefile.ErrNotReportable},
		{"note before open", []casefile.Event{note}, casefile.ErrInvalid},
		{"open twice", []casefile.Event{open, open}, casefile.ErrInvalid},
		{"another case's event", []casefile.Event{open, other}, casefile.ErrInvalid},
		{"nothing", nil, casefile.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := casefile.Fold(tc.events)
			if !errors.Is(err, tc.want) {
				t.Errorf("Fold = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestLabelsOnlyForPositiveClosedCases(t *testing.T) {
	for _, d := range casefile.Dispositions() {
		c, err := casefile.Fold([]casefile.Event{ev(casefile.ActionOpen, "a", 0), func() casefile.Event {
			e := ev(casefile.ActionClose, "a", 1)
			e.Close.Disposition = d
			return e
		}()})
		if err != nil {
			t.Fatal(err)
		}
		got := len(c.Labels())
		want := map[casefile.Disposition]int{casefile.ConfirmedFraud: 3, casefile.LaunderingSuspicion: 3, casefile.FalsePositive: 0}[d]
		if got != want {
			t.Errorf("%s: %d labels, want %d", d, got, want)
		}
		if d == casefile.ConfirmedFraud && c.Labels()[0].Class != graph.ClassFraud {
			t.Errorf("confirmed_fraud labels as %s", c.Labels()[0].Class)
		}
	}
	open, _ := casefile.Fold([]casefile.Event{ev(casefile.ActionOpen, "a", 0)})
	if l := open.Labels(); l != nil {
		t.Errorf("an open case has labels: %v", l)
	}
}

func TestEventValidate(t *testing.T) {
	mod := func(a casefile.Action, f func(*casefile.Event)) casefile.Event {
		e := ev(a, "alice", 0)
		f(&e)
		return e
	}
	tests := []struct {
		name  string
		e     casefile.Event
		field string // what the error must name; "" = valid
	}{
		{"valid note", ev(casefile.ActionNote, "alice", 0), ""},
		{"no actor", mod(casefile.ActionNote, func(e *casefile.Event) { e.Actor = "" }), "actor"},
		{"actor with a newline", mod(casefile.ActionNote, func(e *casefile.Event) { e.Actor = "al\nice" }), "actor"},
		{"bad case id", mod(casefile.ActionNote, func(e *casefile.Event) { e.Case = "C-1.>" }), "case id"},
		{"no time", mod(casefile.ActionNote, func(e *casefile.Event) { e.Time = time.Time{} }), "time"},
		{"unknown action", mod(casefile.ActionNote, func(e *casefile.Event) { e.Action = "delete" }), "delete"},
		{"two payloads", mod(casefile.ActionNote, func(e *casefile.Event) { e.Assign = &casefile.AssignData{Assignee: "x"} }), "assign"},
		{"missing payload", mod(casefile.ActionNote, func(e *casefile.Event) { e.Note = nil }), "note"},
		{"empty note", mod(casefile.ActionNote, func(e *casefile.Event) { e.Note.Text = "  " }), "note"},
		{"note with NUL", mod(casefile.ActionNote, func(e *casefile.Event) { e.Note.Text = "a\x00b" }), "control"},
		{"huge note", mod(casefile.ActionNote, func(e *casefile.Event) { e.Note.Text = strings.Repeat("x", casefile.MaxNoteLen+1) }), "note"},
		{"open with nothing", mod(casefile.ActionOpen, func(e *casefile.Event) { e.Open.Entities, e.Open.Txns = nil, nil }), "at least one"},
		{"transaction as entity", mod(casefile.ActionOpen, func(e *casefile.Event) {
			e.Open.Entities = []graph.NodeRef{graph.Ref(graph.KindTransaction, "t1")}
		}), "entities[0]"},
		{"empty txn id", mod(casefile.ActionOpen, func(e *casefile.Event) { e.Open.Txns = []string{"t1", ""} }), "txns[1]"},
		{"bad disposition", mod(casefile.ActionClose, func(e *casefile.Event) { e.Close.Disposition = "meh" }), "disposition"},
		{"bad digest", mod(casefile.ActionExport, func(e *casefile.Event) { e.Export.SHA256 = "XYZ" }), "sha256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.e.Validate()
			if tc.field == "" {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, casefile.ErrInvalid) || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("Validate = %v, want ErrInvalid naming %q", err, tc.field)
			}
		})
	}
}

func TestIDs(t *testing.T) {
	day := time.Date(2026, 11, 26, 23, 59, 0, 0, time.FixedZone("X", -3600))
	if got := casefile.NewID(day, 42); got != "C-20261127-000042" {
		t.Errorf("NewID = %s, want the UTC day and six digits", got)
	}
	if a, b := casefile.NewID(t0, 9), casefile.NewID(t0, 10); a >= b {
		t.Errorf("%s sorts after %s", a, b)
	}
	for _, bad := range []string{"", "C-2026", "C-20261301-000001", "X-20260101-000001", "C-20260101-1", "C-20260101-00000a", "C-20260101-000001.x", "C-20260101-+00001"} {
		if err := casefile.ValidateID(bad); !errors.Is(err, casefile.ErrInvalid) {
			t.Errorf("ValidateID(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	if err := casefile.ValidateID("C-20260101-1234567"); err != nil {
		t.Errorf("a seven-digit sequence: %v", err)
	}
}

// FuzzEventDecode feeds arbitrary audit-log bodies through decoding,
// validation and folding: whatever the log holds, reading it never
// panics, and an event that validates survives a JSON round trip.
func FuzzEventDecode(f *testing.F) {
	for _, a := range []casefile.Action{casefile.ActionOpen, casefile.ActionNote, casefile.ActionClose, casefile.ActionExport} {
		b, _ := json.Marshal(ev(a, "alice", 0))
		f.Add(b)
	}
	f.Add([]byte(`{"case":"C-20260101-000001","action":"open","actor":"x","time":"2026-01-01T00:00:00Z","open":{"title":"t","entities":["User:"]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e casefile.Event
		if json.Unmarshal(b, &e) != nil {
			return
		}
		if e.Validate() != nil {
			return
		}
		casefile.Fold([]casefile.Event{e})
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("a valid event does not encode: %v", err)
		}
		var back casefile.Event
		if err := json.Unmarshal(again, &back); err != nil || back.Validate() != nil {
			t.Fatalf("a valid event does not survive a round trip: %v / %v", err, back.Validate())
		}
	})
}

func BenchmarkFold(b *testing.B) {
	events := []casefile.Event{ev(casefile.ActionOpen, "a", 0)}
	for i := 1; i < 200; i++ {
		events = append(events, ev(casefile.ActionNote, "a", i))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := casefile.Fold(events); err != nil {
			b.Fatal(err)
		}
	}
}
