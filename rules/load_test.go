package rules

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
)

// problems flattens a Load error into "line:col field: msg" lines.
func problems(t *testing.T, err error) []string {
	t.Helper()
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out []string
	for _, e := range errs {
		var pe *Error
		if !errors.As(e, &pe) {
			t.Fatalf("problem %v is not an *Error", e)
		}
		if pe.File != "r.yaml" {
			t.Errorf("problem %v names file %q, want r.yaml", e, pe.File)
		}
		out = append(out, fmt.Sprintf("%d:%d %s: %s", pe.Line, pe.Column, pe.Field, pe.Msg))
	}
	return out
}

// minimal is the smallest valid file; tests append sections to it.
const minimal = `version: "v1"
bands: [{decision: review}]
`

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // "line:col field: message prefix"
	}{
		{"empty", "", []string{"0:0 : empty file"}},
		{"not a mapping", "- a\n", []string{"1:1 : want a mapping, got a sequence"}},
		{"syntax", "version: [\n", []string{"1:0 : did not find expected node content"}},
		{"two documents", minimal + "---\nversion: x\n", []string{"3:0 : more than one YAML document"}},
		{"missing version and bands", "description: x\n", []string{
			"1:1 version: missing", "1:1 bands: missing"}},
		{"version type", "version: 3\nbands: [{decision: review}]\n", []string{
			"1:10 version: want a string, got the integer 3 (quote it)"}},
		{"version timestamp", "version: 2026-11-01\nbands: [{decision: review}]\n", []string{
			"1:10 version: want a string, got !!timestamp"}},
		{"unknown top-level key", minimal + "colour: red\n", []string{
			"3:1 colour: unknown field (want version, description"}},
		{"repeated key", minimal + "version: v2\n", []string{"3:1 version: repeated field"}},
		{"alias", "version: &v v1\ndescription: *v\nbands: [{decision: review}]\n", []string{
			"2:14 : aliases (*v) are not supported"}},
		{"degraded decision", minimal + "degraded_decision: maybe\n", []string{
			"3:20 degraded_decision: got the string \"maybe\", want approve, review, decline"}},
		{"list kind", minimal + "lists:\n  block:\n    planets: [x]\n", []string{
			"5:5 lists.block.planets: unknown field (want cards, devices"}},
		{"list value type", minimal + "lists:\n  block:\n    cards: [tok, {a: b}, \"\"]\n", []string{
			"5:18 lists.block.cards[1]: want a string, got a mapping",
			"5:26 lists.block.cards[2]: empty value"}},
		{"list not a sequence", minimal + "lists:\n  allow:\n    ips: 10.0.0.1\n", []string{
			"5:10 lists.allow.ips: want a sequence, got the string \"10.0.0.1\""}},
		{"allow and block", minimal + "lists:\n  block: {users: [u1]}\n  allow: {users: [u2, u1]}\n", []string{
			"5:23 lists.allow.users[1]: \"u1\" is on the block list too"}},
		{"velocity window and action", minimal + `velocity:
  - id: V1
    entity: card
    window: 2h
    max_count: 5
    action: approve
`, []string{
			"6:13 velocity[0].window: got the string \"2h\", want 1h, 24h, 7d",
			"8:13 velocity[0].action: got the string \"approve\", want review, decline"}},
		{"velocity limits", minimal + `velocity:
  - {id: V1, entity: card, window: 1h, max_count: -1, max_amount: lots, action: review}
  - {id: V2, entity: ip, window: 7d, action: review}
  - {id: V3, entity: Transaction, window: 1h, max_count: 1.5, action: review}
`, []string{
			"4:51 velocity[0].max_count: -1 is below the minimum of 0",
			"4:67 velocity[0].max_amount: want a number, got the string \"lots\"",
			"5:5 velocity[1].max_count: missing: a velocity rule needs max_count, max_amount or both",
			"6:22 velocity[2].entity: got the string \"Transaction\", want user, account",
			"6:58 velocity[2].max_count: want an integer, got the number 1.5"}},
		{"missing rule fields", minimal + "velocity:\n  - {max_count: 1}\n", []string{
			"4:5 velocity[0].id: missing", "4:5 velocity[0].entity: missing",
			"4:5 velocity[0].window: missing", "4:5 velocity[0].action: missing"}},
		{"unknown rule field", minimal + "amount:\n  - {id: A1, over: 1, action: review, currenc: EUR}\n", []string{
			"4:39 amount[0].currenc: unknown field (want id, over"}},
		{"duplicate ids across sections", minimal + `velocity:
  - {id: R1, entity: card, window: 1h, max_count: 1, action: review}
amount:
  - {id: R1, over: 1, action: review}
bands_are_not_here: 1
`, []string{
			"6:10 amount[0].id: duplicate id \"R1\" (first at line 4, column 10)",
			"7:1 bands_are_not_here: unknown field"}},
		{"bad id", minimal + "amount:\n  - {id: block.card, over: 1, action: review}\n", []string{
			"4:10 amount[0].id: \"block.card\" is not an id"}},
		{"amount filters", minimal + "amount:\n  - {id: A1, over: -5, country: DEU, currency: 978, channel: Web, action: decline}\n", []string{
			"4:20 amount[0].over: -5 is below the minimum of 0",
			"4:33 amount[0].country: \"DEU\" is not an ISO 3166 alpha-2 country code",
			"4:48 amount[0].currency: want a string, got the integer 978 (quote it)",
			"4:62 amount[0].channel: \"Web\" is not a channel"}},
		{"typology", minimal + "typology:\n  - {id: T1, typology: Fan-In, min_hits: 0, action: review, reason: lower}\n", []string{
			"4:24 typology[0].typology: \"Fan-In\" is not a typology name",
			"4:42 typology[0].min_hits: 0 is below the minimum of 1",
			"4:69 typology[0].reason: \"lower\" is not a reason code"}},
		{"detail placeholder", minimal + "typology:\n  - {id: T1, typology: \"*\", action: review, detail: \"{count} hits\"}\n", []string{
			"4:53 typology[0].detail: unknown placeholder {count} (want {id}"}},
		{"detail unclosed", minimal + "typology:\n  - {id: T1, typology: x, action: review, detail: \"a {hits\"}\n", []string{
			"4:51 typology[0].detail: unclosed { at byte 2"}},
		{"bands empty", "version: v1\nbands: []\n", []string{
			"2:8 bands: want at least one band"}},
		{"bands decreasing", "version: v1\nbands:\n  - {below: 0.5, decision: approve}\n  - {below: 0.5, decision: review}\n  - {decision: decline}\n", []string{
			"4:13 bands[1].below: 0.5 does not exceed the previous bound 0.5"}},
		{"bands last bounded", "version: v1\nbands:\n  - {below: 0.5, decision: approve}\n  - {below: 1, decision: decline}\n", []string{
			"4:13 bands[1].below: the last band must omit below"}},
		{"bands gap", "version: v1\nbands:\n  - {decision: approve}\n  - {decision: decline}\n", []string{
			"3:5 bands[0].below: missing: only the last band may omit below"}},
		{"bands range and decision", "version: v1\nbands:\n  - {below: 1.5, decision: approve}\n  - {below: 0, decision: review}\n  - {decision: block}\n  - {below: .nan}\n", []string{
			"3:13 bands[0].below: 1.5 is above the maximum of 1",
			"4:13 bands[1].below: 0 does not exceed the previous bound 0",
			"5:5 bands[2].below: missing: only the last band may omit below",
			"5:16 bands[2].decision: got the string \"block\", want approve, review, decline",
			"6:5 bands[3].decision: missing",
			"6:13 bands[3].below: the last band must omit below"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(strings.NewReader(tt.src), "r.yaml")
			if err == nil {
				t.Fatalf("Load succeeded (%v), want errors", s)
			}
			if s != nil {
				t.Errorf("Load returned a set with an error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			got := problems(t, err)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("problem %d:\n got %s\nwant %s…", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		e    Error
		want string
	}{
		{"full", Error{File: "r.yaml", Line: 3, Column: 7, Field: "bands[0].below", Msg: "bad"}, "r.yaml:3:7: bands[0].below: bad"},
		{"no column", Error{File: "r.yaml", Line: 3, Msg: "bad"}, "r.yaml:3: bad"},
		{"file only", Error{File: "r.yaml", Msg: "bad"}, "r.yaml: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadManyErrorsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(minimal + "amount:\n")
	for i := range 150 {
		fmt.Fprintf(&b, "  - {id: A%d, over: -1, action: review}\n", i)
	}
	_, err := Load(strings.NewReader(b.String()), "r.yaml")
	got := problems(t, err)
	if len(got) != maxErrors+1 || !strings.Contains(got[maxErrors], "50 more problems not shown") {
		t.Errorf("got %d problems ending %q, want %d and a count of the rest", len(got), got[len(got)-1], maxErrors+1)
	}
}

func TestLoadValid(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // Set.String()
	}{
		{"minimal", minimal, "r.yaml (v1): 0 velocity, 0 amount, 0 typology rules, 1 bands, 0 blocked, 0 allowed"},
		{"null sections", minimal + "lists:\nvelocity:\namount: []\ntypology:\ndescription:\n",
			"r.yaml (v1): 0 velocity, 0 amount, 0 typology rules, 1 bands, 0 blocked, 0 allowed"},
		{"list values as written", minimal + "lists:\n  block:\n    phones: [+4915112345678, 0123, 1.50]\n    cards: []\n",
			"r.yaml (v1): 0 velocity, 0 amount, 0 typology rules, 1 bands, 3 blocked, 0 allowed"},
		{"numbers", minimal + "velocity:\n  - {id: V, entity: ip, window: 7d, max_amount: 1_000, action: review}\namount:\n  - {id: A, over: 0x10, action: decline}\n",
			"r.yaml (v1): 1 velocity, 1 amount, 0 typology rules, 1 bands, 0 blocked, 0 allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(strings.NewReader(tt.src), "r.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if got := s.String(); got != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
	s, err := Load(strings.NewReader(minimal+"lists:\n  block:\n    phones: [+4915112345678, 0123]\n"), "r.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Blocked(graph.KindPhone, "+4915112345678") || !s.Blocked(graph.KindPhone, "0123") {
		t.Errorf("phones not kept as written")
	}
}

// TestExampleFile loads the shipped default and checks what it documents.
func TestExampleFile(t *testing.T) {
	s, err := LoadFile("default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := "default.yaml (2026-11-26.1): 5 velocity, 3 amount, 3 typology rules, 3 bands, 9 blocked, 2 allowed"
	if diff := cmp.Diff(want, s.String()); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if s.Name() != "default.yaml" || s.Description() != "riskgraph default rules" {
		t.Errorf("name %q, description %q", s.Name(), s.Description())
	}
	if !s.Blocked(graph.KindIP, "203.0.113.7") || !s.Allowed(graph.KindUser, "u-corporate-test") ||
		s.Allowed(graph.KindIP, "203.0.113.7") || s.Blocked(graph.Kind(200), "x") || s.Allowed(graph.Kind(200), "x") {
		t.Error("list look-ups")
	}
	if !strings.HasPrefix(s.Digest(), "sha256:") || len(s.Digest()) != 7+64 {
		t.Errorf("digest %q", s.Digest())
	}
	// Every section and every optional field appears in the example.
	raw, err := os.ReadFile("default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"version:", "description:", "degraded_decision:", "lists:", "block:", "allow:",
		"cards:", "devices:", "ips:", "merchants:", "accounts:", "users:", "emails:", "phones:",
		"velocity:", "entity:", "window:", "max_count:", "max_amount:", "action:", "reason:", "detail:",
		"amount:", "over:", "channel:", "country:", "kind:", "currency:",
		"typology:", "min_hits:", "bands:", "below:", "decision:", "id:"} {
		if !strings.Contains(string(raw), field) {
			t.Errorf("default.yaml does not show %s", field)
		}
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, err := LoadFile(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want os.ErrNotExist", err)
	}
}

// FuzzLoad: Load never panics, and a set it accepts evaluates without
// panicking.
func FuzzLoad(f *testing.F) {
	raw, err := os.ReadFile("default.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(raw))
	f.Add(minimal)
	f.Add("version: v1\nbands:\n  - {below: 0.5, decision: approve}\n  - {decision: decline}\n")
	f.Add("version: &a v1\nbands: *a\n")
	f.Add("velocity: [{id: V, entity: card, window: 1h, max_count: 1, action: review, detail: '{count}{{'}]\n")
	f.Add("[[[[{{{{")
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Load(strings.NewReader(src), "f.yaml")
		if err != nil {
			if s != nil || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Load: set %v, error %v not wrapping ErrInvalid", s, err)
			}
			return
		}
		for _, in := range fuzzInputs {
			r := s.Evaluate(in)
			if !r.Decision.Valid() || r.Version != s.Version() {
				t.Fatalf("Evaluate: %+v", r)
			}
		}
	})
}

// Source returns the loaded bytes: loading them again gives the same set
// (same digest and version), which is how an archived version replays.
func TestSourceReloads(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Load(bytes.NewReader(s.Source()), "archived.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if again.Digest() != s.Digest() || again.Version() != s.Version() {
		t.Errorf("reloaded source: digest %s version %s, want %s %s", again.Digest(), again.Version(), s.Digest(), s.Version())
	}
	src := s.Source()
	src[0] ^= 0xff
	if s.Source()[0] == src[0] {
		t.Error("Source shares its bytes with the caller")
	}
}
