package report_test

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/riskgraph/riskgraph/investigate/report"
)

// carriable reports whether XML 1.0 can carry s as character data.
func carriable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		ok := r == 0x09 || r == 0x0A || r == 0x0D || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || r >= 0x10000
		if !ok {
			return false
		}
	}
	return true
}

// FuzzWriters puts arbitrary text where analysts and data put text (the
// reason, a note, a transaction id, a merchant) and checks that each
// writer either produces well-formed XML that gives the text back exactly,
// or refuses with an error naming text XML cannot carry.
func FuzzWriters(f *testing.F) {
	for _, s := range []string{"plain", `<b>&amp;"'</b>`, "]]>", "a\x00b", "\xff", "line\r\nbreak\ttab", "\u2028\uFFFE", "𝄞 ünï"} {
		f.Add(s, "t-1", "note")
	}
	f.Fuzz(func(t *testing.T, reason, txnID, note string) {
		if strings.TrimSpace(reason) == "" || strings.TrimSpace(txnID) == "" {
			return // missing, not escaping: covered elsewhere
		}
		c := fixtureCase()
		c.Reason = reason
		c.Txns[1].ID = txnID
		c.Txns[1].Merchant = note
		c.Notes[0].Text = note
		ok := carriable(reason) && carriable(txnID) && carriable(note)
		for _, format := range report.Formats() {
			cfg := config(t)
			if format == report.FormatSAR {
				cfg = usConfig(t)
			}
			doc, err := report.Marshal(format, cfg, c, now)
			if !ok {
				if !errors.Is(err, report.ErrText) {
					t.Fatalf("%s with text XML cannot carry: %v, want ErrText", format, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			if format == report.FormatGoAML {
				var r report.GoAMLReport
				if err := xml.Unmarshal(doc, &r); err != nil {
					t.Fatalf("goaml output does not parse: %v\n%s", err, doc)
				}
				if !strings.HasPrefix(r.Reason, reason) {
					t.Fatalf("reason %q came back as %q", reason, r.Reason)
				}
				found := false
				for _, x := range r.Transactions {
					found = found || x.TransactionNumber == txnID
				}
				if !found {
					t.Fatalf("transaction %q lost", txnID)
				}
				continue
			}
			var b report.SARBatch
			if err := xml.Unmarshal(doc, &b); err != nil {
				t.Fatalf("sar output does not parse: %v\n%s", err, doc)
			}
			var text strings.Builder
			for _, n := range b.Activity.Narrative {
				text.WriteString(n.ActivityNarrativeText)
			}
			if !strings.Contains(text.String(), "Reason: "+reason) {
				t.Fatalf("reason %q not in the narrative:\n%s", reason, text.String())
			}
		}
	})
}

func BenchmarkMarshalGoAML(b *testing.B) {
	cfg, c := config(b), fixtureCase()
	base := c.Txns
	c.Txns = nil
	for i := range 500 {
		t := base[i%len(base)]
		t.ID = t.ID + "-" + strings.Repeat("x", i%7)
		c.Txns = append(c.Txns, t)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := report.Marshal(report.FormatGoAML, cfg, c, now); err != nil {
			b.Fatal(err)
		}
	}
}
