package investigate_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/investigate"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Account:a1", `"Account:a1"`},
		{`say "hi"`, `"say \"hi\""`},
		{`C:\path\`, `"C:\\path\\"`},
		{`\N and \"`, `"\\N and \\\""`},
		{"two\nlines", `"two\nlines"`},
		{"crlf\r\nand cr\r", `"crlf\nand cr\n"`},
		{"tab\there", `"tab here"`},
		{"bell\a nul\x00 del\x7f c1\u0085", "\"bell\uFFFD nul\uFFFD del\uFFFD c1\uFFFD\""},
		{"bad \xff utf8", "\"bad \uFFFD utf8\""},
		{"Zoë → 北京 💸", `"Zoë → 北京 💸"`},
		{"", `""`},
	}
	for _, tc := range tests {
		if got := investigate.Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// parseDOTString checks that s is exactly one DOT double-quoted string
// token on one line (the DOT grammar: '"' … '"' where a quote inside is
// written \") and returns the label text Graphviz shows for it (\\ is a
// backslash, \n a line break, \" a quote).
func parseDOTString(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' || !utf8.ValidString(s) {
		return "", false
	}
	var b strings.Builder
	body := s[1 : len(s)-1]
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '"' || c == '\n' || c == '\r':
			return "", false
		case c == '\\':
			if i+1 == len(body) {
				return "", false // would escape the closing quote
			}
			i++
			switch body[i] {
			case '\\', '"':
				b.WriteByte(body[i])
			case 'n':
				b.WriteByte('\n')
			default:
				return "", false // Quote writes no other escapes
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// shown is what Quote promises Graphviz will show for s.
func shown(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", `a"b`, `\`, `\\"`, "x\r\ny", "\xff\xfe", "日本\u2028", "\x00\x1f\x7f", `"\n"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := investigate.Quote(s)
		text, ok := parseDOTString(q)
		if !ok {
			t.Fatalf("Quote(%q) = %s is not one valid DOT string token", s, q)
		}
		// ToValidUTF8 folds a run of bad bytes into one U+FFFD where
		// Quote writes one per byte; compare with runs folded.
		fold := func(x string) string {
			for strings.Contains(x, "\uFFFD\uFFFD") {
				x = strings.ReplaceAll(x, "\uFFFD\uFFFD", "\uFFFD")
			}
			return x
		}
		if fold(text) != fold(shown(s)) {
			t.Fatalf("Quote(%q) shows %q, want %q", s, text, shown(s))
		}
	})
}

func TestWriteDOTGolden(t *testing.T) {
	inv := newInvestigator(t, investigate.Config{})
	p, err := inv.Paths(context.Background(), acc("a1"), acc("a4"))
	if err != nil {
		t.Fatal(err)
	}
	d := investigate.PathsDrawing(p)
	// An id no one should have to worry about.
	d.Nodes = append(d.Nodes, investigate.DrawNode{ID: "User:\"quoted\"\\ \n ü", Kind: graph.KindUser, Class: graph.ClassFraud})
	var buf bytes.Buffer
	if err := investigate.WriteDOT(&buf, d); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "paths.golden.dot")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("DOT output (-want +got):\n%s", diff)
	}
}

func TestWriteDOTRejectsBrokenDrawings(t *testing.T) {
	tests := []struct {
		name string
		d    investigate.Drawing
	}{
		{"edge to a missing node", investigate.Drawing{Nodes: []investigate.DrawNode{{ID: "a"}}, Edges: []investigate.DrawEdge{{From: "a", To: "b"}}}},
		{"duplicate node", investigate.Drawing{Nodes: []investigate.DrawNode{{ID: "a"}, {ID: "a"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := investigate.WriteDOT(&buf, tc.d); !errors.Is(err, investigate.ErrInvalid) || buf.Len() != 0 {
				t.Errorf("WriteDOT = %v with %d bytes written, want ErrInvalid and nothing", err, buf.Len())
			}
		})
	}
}

func TestDrawings(t *testing.T) {
	inv := newInvestigator(t, investigate.Config{})
	ctx := context.Background()
	p, err := inv.Profile(ctx, acc("a2"))
	if err != nil {
		t.Fatal(err)
	}
	tl, err := inv.Timeline(ctx, user("u6"), graph.Window{})
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]investigate.Drawing{"profile": investigate.ProfileDrawing(p), "timeline": investigate.TimelineDrawing(tl)} {
		var buf bytes.Buffer
		if err := investigate.WriteDOT(&buf, d); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if name == "profile" {
			// Every flagged neighbour is drawn, and filled.
			for _, f := range p.Flagged {
				if !strings.Contains(buf.String(), investigate.Quote(f.Ref.String())) {
					t.Errorf("profile drawing lacks flagged %s", f.Ref)
				}
			}
		}
		if name == "timeline" && len(d.Nodes) != len(tl.Events) {
			t.Errorf("timeline drawing has %d nodes for %d events", len(d.Nodes), len(tl.Events))
		}
	}
}
