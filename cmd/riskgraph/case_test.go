package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/investigate"
	"github.com/riskgraph/riskgraph/investigate/casefile"
	"github.com/riskgraph/riskgraph/investigate/report"
	"github.com/riskgraph/riskgraph/natsd"
	"github.com/riskgraph/riskgraph/typology"
)

// reportingYAML is a complete reporting config for a euro institution
// (fictitious values), with rates for every currency synth uses.
const reportingYAML = `institution:
  name: Example Bank plc
  rentity_id: "4711"
  swift: EXBKGB2L
  address: {street: 1 Example Street, city: London, zip: EC1A 1AA, country: GB}
reporting_person: {first_name: Jane, last_name: Doe, email: mlro@example.com}
currency_code_local: EUR
exchange_rates: {GBP: 1.17, USD: 0.92, PLN: 0.23, SEK: 0.087}
goaml:
  transmode_code: K
  funds_code: K
  action: Accounts restricted.
  indicators:
    laundering_suspicion: [ML-LAYERING]
    fan_in: [ML-FANIN]
`

// auditEvent is an audit-log entry as stored, decoded independently of
// package casefile.
type auditEvent struct {
	Case   string    `json:"case"`
	Action string    `json:"action"`
	Actor  string    `json:"actor"`
	Time   time.Time `json:"time"`
}

// dataDirJS starts a server on a data directory's NATS store (the
// commands' own server is stopped by then) and returns JetStream on it and
// the function that stops it — before the next command opens the store.
func dataDirJS(t *testing.T, dataDir string) (jetstream.JetStream, func()) {
	t.Helper()
	srv, err := natsd.Start(context.Background(), natsd.Config{StoreDir: filepath.Join(dataDir, natsDir)})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := srv.Connect()
	if err != nil {
		srv.Shutdown()
		t.Fatal(err)
	}
	stop := func() { nc.Close(); srv.Shutdown() }
	js, err := jetstream.New(nc)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	return js, stop
}

// readLog reads a stream of the data directory's log directly, as an
// auditor with access to the NATS store would.
func readLog(t *testing.T, dataDir, name string, fn func(subject string, data []byte)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js, stop := dataDirJS(t, dataDir)
	defer stop()
	str, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := str.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := str.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		fn(m.Subject, m.Data)
	}
}

// The acceptance path: planted laundering → ingest → investigation → a
// case opened, noted, closed and exported as goAML, with every step in
// the audit log and the verdict back in the graph.
func TestCaseEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	d := newAMLData(t)
	t0 := time.Date(2026, 2, 2, 9, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	dd := []string{"--data-dir", d.dataDir}

	profile := mustCLI(t, at(0), append([]string{"investigate", "entity", d.hub.String()}, dd...)...)
	if !strings.Contains(profile, "laundering") {
		t.Fatalf("the hub's profile shows no laundering:\n%s", profile)
	}

	// The ring around the hub (its paying users: none, it only receives;
	// TestInvestigateCommands checks rings with members).
	out := mustCLI(t, at(0), append([]string{"investigate", "ring", d.hub.String(), "--json"}, dd...)...)
	var ring typology.Ring
	if err := json.Unmarshal([]byte(out), &ring); err != nil || ring.Seed != d.hub {
		t.Fatalf("ring around the hub: %v, %+v", err, ring)
	}

	// The detectors find the planted fan-in and publish it to the alert
	// log, where the analyst picks it up.
	mustCLI(t, at(0), append([]string{"typology", "scan", "--publish", "--typology", "fan_in"}, dd...)...)
	out = mustCLI(t, at(0), append([]string{"investigate", "typologies", "--typology", "fan_in", "--entity", d.hub.String(), "--json"}, dd...)...)
	var alerts []typology.Alert
	if err := json.Unmarshal([]byte(out), &alerts); err != nil {
		t.Fatal(err)
	}
	var alert typology.Alert
	for _, a := range alerts {
		if a.Focus == d.hub && len(a.Txns) > len(alert.Txns) {
			alert = a
		}
	}
	if alert.ID == "" {
		t.Fatalf("no fan_in alert focused on the planted hub %s among %d", d.hub, len(alerts))
	}
	if n := len(intersect(alert.Txns, d.hubTxns)); n < len(d.hubTxns)*3/4 {
		t.Errorf("the fan_in alert holds %d of the %d planted payments", n, len(d.hubTxns))
	}
	profile = mustCLI(t, at(0), append([]string{"investigate", "entity", d.hub.String()}, dd...)...)
	if !strings.Contains(profile, alert.ID) {
		t.Errorf("the hub's profile does not list its alert %s", alert.ID)
	}

	args := append([]string{"case", "open", "--alert", alert.ID, "--title", "fan-in into " + d.hub.ID, "--actor", "alice"}, dd...)
	id := strings.TrimSpace(mustCLI(t, at(1), args...))
	if err := casefile.ValidateID(id); err != nil || !strings.HasPrefix(id, "C-20260202-") {
		t.Fatalf("case open printed %q: %v", id, err)
	}
	mustCLI(t, at(5), append([]string{"case", "note", id, "senders", "are", "unrelated", "--actor", "bob"}, dd...)...)
	mustCLI(t, at(6), append([]string{"case", "assign", id, "--to", "bob", "--actor", "alice"}, dd...)...)
	mustCLI(t, at(30), append([]string{"case", "close", id, "--disposition", "laundering_suspicion",
		"--reason", "many unrelated senders into one account within two days", "--actor", "bob"}, dd...)...)

	// A closed case is immutable: the refusal says so and is not a usage
	// error (the command line was fine).
	_, _, err := runCLI(t, at(31), append([]string{"case", "note", id, "one more thing", "--actor", "bob"}, dd...)...)
	var ue usageError
	if !errors.Is(err, casefile.ErrClosedCase) || errors.As(err, &ue) {
		t.Errorf("note on a closed case: %v, want ErrClosedCase (exit 1)", err)
	}

	if err := os.WriteFile(filepath.Join(d.dataDir, report.ConfigFile), []byte(reportingYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	xmlPath := filepath.Join(t.TempDir(), "str.xml")
	mustCLI(t, at(40), append([]string{"case", "export", id, "--format", "goaml", "--out", xmlPath, "--actor", "carol"}, dd...)...)
	raw, err := os.ReadFile(xmlPath)
	if err != nil {
		t.Fatal(err)
	}
	var r report.GoAMLReport
	if err := xml.Unmarshal(raw, &r); err != nil {
		t.Fatalf("exported goAML does not parse: %v", err)
	}
	var got []string
	for _, x := range r.Transactions {
		got = append(got, x.TransactionNumber)
		if x.To == nil || x.To.Account == nil || x.To.Account.Account != d.hub.ID {
			t.Errorf("transaction %s does not pay the hub %s", x.TransactionNumber, d.hub.ID)
		}
	}
	want := slices.Sorted(slices.Values(alert.Txns))
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("goAML transactions (-case +report):\n%s", diff)
	}
	if r.EntityReference != id || r.SubmissionDate != "2026-02-02T09:40:00" || r.ReportIndicators == nil ||
		!slices.Contains(r.ReportIndicators.Indicator, "ML-FANIN") {
		t.Errorf("report reference %q, submitted %q, indicators %+v", r.EntityReference, r.SubmissionDate, r.ReportIndicators)
	}

	// The audit log, read straight from the stream: who, what, when.
	var trail []string
	readLog(t, d.dataDir, casefile.DefaultStream, func(subject string, data []byte) {
		var e auditEvent
		if err := json.Unmarshal(data, &e); err != nil {
			t.Fatalf("audit message on %s: %v", subject, err)
		}
		if e.Case != id || subject != casefile.SubjectPrefix+id {
			t.Errorf("audit event for case %q on %s", e.Case, subject)
		}
		trail = append(trail, fmt.Sprintf("%s %s %s", e.Time.Format("15:04"), e.Actor, e.Action))
	})
	wantTrail := []string{"09:01 alice open", "09:05 bob note", "09:06 alice assign", "09:30 bob close", "09:40 carol export"}
	if diff := cmp.Diff(wantTrail, trail); diff != "" {
		t.Errorf("audit trail (-want +got):\n%s", diff)
	}

	// The verdict is in the transaction log, for retraining...
	labels := 0
	readLog(t, d.dataDir, stream.DefaultStream, func(subject string, data []byte) {
		if subject != stream.SubjectLabel {
			return
		}
		var l graph.Label
		if err := json.Unmarshal(data, &l); err != nil {
			t.Fatal(err)
		}
		if l.Source == "case:"+id && l.Class == graph.ClassLaundering && l.Time.Equal(at(30)) {
			labels++
		}
	})
	if labels != 1+len(alert.Txns) {
		t.Errorf("%d labels from the case in the log, want %d (the hub and its payments)", labels, 1+len(alert.Txns))
	}
	// ...and in the graph.
	out = mustCLI(t, at(50), append([]string{"investigate", "entity", d.hub.String(), "--json"}, dd...)...)
	var p investigate.Profile
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if p.Risk.Label != graph.ClassLaundering || !p.Risk.LabelTime.Equal(at(30)) {
		t.Errorf("hub label after the case = %q at %v, want laundering at %v", p.Risk.Label, p.Risk.LabelTime, at(30))
	}

	// case show and list agree with the log.
	show := mustCLI(t, at(60), append([]string{"case", "show", id, "--json"}, dd...)...)
	var shown struct {
		Case   casefile.Case    `json:"case"`
		Events []casefile.Event `json:"events"`
	}
	if err := json.Unmarshal([]byte(show), &shown); err != nil {
		t.Fatal(err)
	}
	if c := shown.Case; c.Status != casefile.StatusClosed || c.Assignee != "bob" || len(c.Notes) != 1 || len(c.Exports) != 1 || len(shown.Events) != 5 {
		t.Errorf("case show = %+v with %d events", c, len(shown.Events))
	}
	list := mustCLI(t, at(60), append([]string{"case", "list", "--status", "closed"}, dd...)...)
	if !strings.Contains(list, id) || !strings.Contains(list, "laundering_suspicion") {
		t.Errorf("case list:\n%s", list)
	}
}

func TestCaseBadArguments(t *testing.T) {
	if testing.Short() {
		t.Skip("opens a data directory; skipped with -short")
	}
	data := filepath.Join(t.TempDir(), "data")
	now := time.Date(2026, 2, 2, 9, 0, 0, 0, time.UTC)
	// One real case to act on.
	mustCLI(t, now, "ingest", "--data-dir", data, writeFile(t, "t.jsonl", `{"id":"t1","time":"2026-01-01T00:00:00Z","amount":5,"account":"a1","counterparty":"a2"}`))
	id := strings.TrimSpace(mustCLI(t, now, "case", "open", "--data-dir", data, "--actor", "alice", "--entity", "Account:a1", "--title", "x", "--recent", "5"))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no title", []string{"case", "open", "--entity", "Account:a1"}, "--title"},
		{"malformed entity", []string{"case", "open", "--entity", "a1", "--title", "x"}, "--entity"},
		{"transaction as entity", []string{"case", "open", "--entity", "Transaction:t1", "--title", "x"}, "--txn"},
		{"unknown entity", []string{"case", "open", "--entity", "Account:zz", "--title", "x"}, "not in the graph"},
		{"unknown txn", []string{"case", "open", "--txn", "t404", "--title", "x"}, "t404"},
		{"unknown alert", []string{"case", "open", "--alert", "fan_in-0000", "--title", "x"}, "fan_in-0000"},
		{"nothing to open on", []string{"case", "open", "--title", "x"}, "--entity"},
		{"unknown case", []string{"case", "show", "C-20260202-009999"}, "no such case"},
		{"malformed case id", []string{"case", "note", "case-1", "hello"}, "case id"},
		{"bad disposition", []string{"case", "close", id, "--disposition", "maybe", "--reason", "r"}, "maybe"},
		{"close without reason", []string{"case", "close", id, "--disposition", "false_positive"}, "--reason"},
		{"assign to nobody", []string{"case", "assign", id}, "--to"},
		{"export format", []string{"case", "export", id, "--format", "pdf"}, "pdf"},
		{"bad status", []string{"case", "list", "--status", "pending"}, "pending"},
		{"actor with a newline", []string{"case", "note", id, "x", "--actor", "a\nb"}, "--actor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.args, "--data-dir", data)
			if !slices.Contains(args, "--actor") {
				args = append(args, "--actor", "alice")
			}
			_, _, err := runCLI(t, now, args...)
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v: want a usage error mentioning %q", err, tc.want)
			}
		})
	}
	t.Run("no actor", func(t *testing.T) {
		t.Setenv("USER", "")
		_, _, err := runCLI(t, now, "case", "note", id, "x", "--data-dir", data)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--actor") {
			t.Errorf("no actor: %v", err)
		}
	})
	t.Run("export lists what the reporting config lacks", func(t *testing.T) {
		mustCLI(t, now, "case", "close", id, "--data-dir", data, "--actor", "bob", "--disposition", "laundering_suspicion", "--reason", "r")
		_, _, err := runCLI(t, now, "case", "export", id, "--data-dir", data, "--actor", "bob", "--format", "goaml")
		if !errors.Is(err, report.ErrMissing) || !strings.Contains(err.Error(), "reporting.yaml, which does not exist yet") ||
			!strings.Contains(err.Error(), "report/rentity_id") {
			t.Errorf("export without a config: %v", err)
		}
	})
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
