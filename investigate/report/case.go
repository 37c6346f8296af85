package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/graph"
)

// Report formats.
const (
	FormatGoAML = "goaml"
	FormatSAR   = "sar"
)

// Case is what a report is about.
type Case struct {
	ID    string
	Title string
	// Disposition is how the case was closed: confirmed_fraud or
	// laundering_suspicion.
	Disposition string
	// Reason is the analyst's reason for the disposition.
	Reason string
	// Analyst closed the case, at Closed; it was opened at Opened.
	Analyst        string
	Opened, Closed time.Time
	Notes          []Note
	// Subjects are the entities reported on.
	Subjects []graph.NodeRef
	// Txns are the transactions reported, as the graph holds them.
	Txns []graph.Transaction
	// Typologies are the names of the typologies behind the case
	// (fan_in, cycle, …).
	Typologies []string
}

// Note is an analyst's note.
type Note struct {
	Actor string
	Time  time.Time
	Text  string
}

// sortedTxns returns the case's transactions oldest first.
func (c *Case) sortedTxns() []graph.Transaction {
	t := slices.Clone(c.Txns)
	slices.SortStableFunc(t, func(a, b graph.Transaction) int { return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.ID, b.ID)) })
	return t
}

// amount formats a decimal amount with two decimals.
func amount(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

// narrative tells the case in words, for the FIU analyst reading it.
// maxTxns bounds the transactions listed (the rest are counted).
func (c *Case) narrative(cfg *Config, maxTxns int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Case %s: %s.\n", c.ID, c.Title)
	fmt.Fprintf(&b, "Disposition: %s", strings.ReplaceAll(c.Disposition, "_", " "))
	if c.Analyst != "" {
		fmt.Fprintf(&b, ", by %s", c.Analyst)
	}
	if !c.Closed.IsZero() {
		fmt.Fprintf(&b, " on %s", c.Closed.UTC().Format("2006-01-02"))
	}
	fmt.Fprintf(&b, ".\nReason: %s\n", c.Reason)
	if len(c.Subjects) > 0 {
		var s []string
		for _, r := range c.Subjects {
			s = append(s, r.String())
		}
		fmt.Fprintf(&b, "Subjects: %s.\n", strings.Join(s, ", "))
	}
	if len(c.Typologies) > 0 {
		fmt.Fprintf(&b, "Typologies detected: %s.\n", strings.Join(c.Typologies, ", "))
	}
	txns := c.sortedTxns()
	total := 0.0
	for _, t := range txns {
		r, _ := cfg.rate(t.Currency)
		total += t.Amount * r
	}
	fmt.Fprintf(&b, "Transactions: %d, %s %s in total.\n", len(txns), amount(total), cfg.CurrencyCodeLocal)
	for i, t := range txns {
		if i == maxTxns {
			fmt.Fprintf(&b, "  … and %d more.\n", len(txns)-i)
			break
		}
		fmt.Fprintf(&b, "  %s %s %s %s", t.ID, t.Time.UTC().Format("2006-01-02 15:04"), amount(t.Amount), t.Currency)
		if t.Account != "" || t.Counterparty != "" || t.Merchant != "" {
			to := cmp.Or(t.Counterparty, t.Merchant)
			fmt.Fprintf(&b, " %s -> %s", cmp.Or(t.Account, t.User, "?"), cmp.Or(to, "?"))
		}
		b.WriteString("\n")
	}
	for _, n := range c.Notes {
		fmt.Fprintf(&b, "Note by %s, %s: %s\n", n.Actor, n.Time.UTC().Format("2006-01-02 15:04"), n.Text)
	}
	return strings.TrimRight(b.String(), "\n")
}
