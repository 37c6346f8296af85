package report_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/investigate/report"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var now = time.Date(2026, 3, 20, 16, 30, 0, 0, time.UTC)

func config(t testing.TB) report.Config {
	t.Helper()
	cfg, err := report.LoadConfig(filepath.Join("testdata", "reporting.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// usConfig is config turned into a US filer's, for the SAR.
func usConfig(t testing.TB) report.Config {
	cfg := config(t)
	cfg.CurrencyCodeLocal = "USD"
	cfg.ExchangeRates = map[string]float64{"EUR": 1.08}
	cfg.Institution.Address = report.Address{Street: "1 Example Plaza", City: "New York", State: "NY", Zip: "10001", Country: "US"}
	return cfg
}

func fixtureCase() report.Case {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	return report.Case{
		ID: "C-20260310-000042", Title: "Fan-in into a7 & onward <wire>",
		Disposition: "laundering_suspicion", Reason: `14 unrelated senders paid a7 within 48h; a7 forwarded 97% abroad ("pass-through").`,
		Analyst: "bob", Opened: t0.Add(7 * 24 * time.Hour), Closed: t0.Add(9 * 24 * time.Hour),
		Notes:      []report.Note{{Actor: "alice", Time: t0.Add(8 * 24 * time.Hour), Text: "Customer did not answer.\nBranch confirms new account."}},
		Subjects:   []graph.NodeRef{graph.Ref(graph.KindAccount, "a7"), graph.Ref(graph.KindUser, "u7")},
		Typologies: []string{"fan_in"},
		Txns: []graph.Transaction{
			{ID: "t3", Time: t0.Add(26 * time.Hour), Amount: 25.5, Currency: "EUR", Kind: "card", User: "u7", Card: "tok_9f2c", Merchant: "m3", MCC: "5411", Country: "GB", Channel: "pos"},
			{ID: "t1", Time: t0, Amount: 1500, Currency: "EUR", Kind: "transfer", User: "u1", Account: "a1", Counterparty: "a7", Country: "DE"},
			{ID: "t2", Time: t0.Add(25 * time.Hour), Amount: 1400, Currency: "USD", Kind: "transfer", User: "u7", Account: "a7", Counterparty: "a9"},
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func TestGoAML(t *testing.T) {
	c := fixtureCase()
	doc, err := report.Marshal(report.FormatGoAML, config(t), c, now)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "goaml.golden.xml", doc)

	// It parses back, and carries the case's transactions, oldest first,
	// with amounts in the local currency.
	var r report.GoAMLReport
	if err := xml.Unmarshal(doc, &r); err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	type txn struct{ ID, Date, Amount, From, To string }
	var got []txn
	for _, x := range r.Transactions {
		tx := txn{ID: x.TransactionNumber, Date: x.DateTransaction, Amount: x.AmountLocal}
		if x.From != nil && x.From.Account != nil {
			tx.From = x.From.Account.Account
		}
		if x.To != nil && x.To.Account != nil {
			tx.To = x.To.Account.Account
		}
		if x.To != nil && x.To.Entity != nil {
			tx.To = x.To.Entity.Name
		}
		got = append(got, tx)
	}
	want := []txn{
		{"t1", "2026-03-02T10:00:00", "1500.00", "a1", "a7"},
		{"t2", "2026-03-03T11:00:00", "1288.00", "a7", "a9"}, // 1,400 USD at 0.92
		{"t3", "2026-03-03T12:00:00", "25.50", "card tok_9f2c", "merchant m3"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transactions (-want +got):\n%s", diff)
	}
	if r.RentityID != "4711" || r.ReportCode != "STR" || r.EntityReference != c.ID || r.Reason == "" ||
		!strings.Contains(r.Reason, `("pass-through")`) || r.ReportIndicators == nil ||
		!cmp.Equal(r.ReportIndicators.Indicator, []string{"ML-LAYERING", "ML-FANIN"}) {
		t.Errorf("report header = %+v", r)
	}
	if f := r.Transactions[1].From.ForeignCurrency; f == nil || f.CurrencyCode != "USD" || f.Amount != "1400.00" {
		t.Errorf("converted transaction lacks its original currency: %+v", f)
	}
}

func TestSAR(t *testing.T) {
	c := fixtureCase()
	doc, err := report.Marshal(report.FormatSAR, usConfig(t), c, now)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sar.golden.xml", doc)

	var b report.SARBatch
	if err := xml.Unmarshal(doc, &b); err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	if b.XMLName.Space != "www.fincen.gov/base" || b.FormTypeCode != "SARX" {
		t.Errorf("root = %v, form %q", b.XMLName, b.FormTypeCode)
	}
	// 1,500 EUR + 25.50 EUR at 1.08 + 1,400 USD = 3,047.54 → 3,048.
	sa := b.Activity.SuspiciousActivity
	if sa.TotalSuspiciousAmountText != "3048" || b.TotalAmount != "3048" || sa.FromDateText != "20260302" || sa.ToDateText != "20260303" {
		t.Errorf("suspicious activity = %+v, batch total %s", sa, b.TotalAmount)
	}
	if got := sa.SuspiciousActivityClassification[0]; got.SuspiciousActivityTypeID != 5 || got.OtherSuspiciousActivityTypeText != "typologies: fan_in" {
		t.Errorf("classification = %+v", got)
	}
	var codes []string
	for _, p := range b.Activity.Party {
		codes = append(codes, p.ActivityPartyTypeCode)
	}
	if diff := cmp.Diff([]string{"35", "37", "30", "8", "34", "33", "33"}, codes); diff != "" {
		t.Errorf("party types (-want +got):\n%s", diff)
	}
	if b.PartyCount != len(b.Activity.Party) {
		t.Errorf("PartyCount %d for %d parties", b.PartyCount, len(b.Activity.Party))
	}
	// The narrative carries every transaction.
	var narrative strings.Builder
	for _, n := range b.Activity.Narrative {
		narrative.WriteString(n.ActivityNarrativeText)
	}
	for _, tx := range c.Txns {
		if !strings.Contains(narrative.String(), tx.ID+" ") {
			t.Errorf("narrative lacks transaction %s", tx.ID)
		}
	}
	// Sequence numbers are unique across the batch.
	seen := map[string]bool{}
	for _, m := range bytes.Split(doc, []byte(`SeqNum="`))[1:] {
		n := string(m[:bytes.IndexByte(m, '"')])
		if seen[n] {
			t.Errorf("SeqNum %s used twice", n)
		}
		seen[n] = true
	}
}

func TestMissingFieldsAreAllListed(t *testing.T) {
	c := fixtureCase()
	c.Reason = ""
	c.Txns = c.Txns[2:3] // the USD transfer: needs a rate
	cfg := report.Config{Source: "data/reporting.yaml", CurrencyCodeLocal: "EUR"}
	_, err := report.Marshal(report.FormatGoAML, cfg, c, now)
	var fe *report.FieldErrors
	if !errors.As(err, &fe) || !errors.Is(err, report.ErrMissing) || errors.Is(err, report.ErrText) {
		t.Fatalf("Marshal with an empty config = %v, want *FieldErrors, ErrMissing only", err)
	}
	want := []string{
		"report/transaction/t_from/from_account/swift|institution_code",
		"report/transaction[0]/amount_local",
		"report/report_indicators",
		"report/rentity_id",
		"report/reporting_person/first_name",
		"report/reporting_person/last_name",
		"report/location/address",
		"report/location/city",
		"report/location/country_code",
		"report/reason",
		"report/action",
		"report/transaction[0]/transmode_code",
		"report/transaction[0]/t_from/from_funds_code",
		"report/transaction[0]/t_from/from_account/institution_name",
		"report/transaction[0]/t_from/from_country",
		"report/transaction[0]/t_to/to_funds_code",
		"report/transaction[0]/t_to/to_account/institution_name",
		"report/transaction[0]/t_to/to_country",
	}
	if diff := cmp.Diff(want, fe.Paths()); diff != "" {
		t.Errorf("missing fields (-want +got):\n%s", diff)
	}
	msg := err.Error()
	for _, hint := range []string{"set institution.rentity_id in data/reporting.yaml", "exchange_rates.USD", "goaml.indicators.laundering_suspicion", "close the case with a reason"} {
		if !strings.Contains(msg, hint) {
			t.Errorf("error does not say %q:\n%s", hint, msg)
		}
	}

	_, err = report.Marshal(report.FormatSAR, report.Config{}, report.Case{Disposition: "false_positive"}, now)
	if !errors.As(err, &fe) || !errors.Is(err, report.ErrMissing) {
		t.Fatalf("SAR with nothing = %v", err)
	}
	for _, p := range []string{
		"EFilingBatchXML/Activity/Party[0]/PartyName/RawPartyFullName",
		"EFilingBatchXML/Activity/Party[0]/PartyIdentification[1]/PartyIdentificationNumberText",
		"EFilingBatchXML/Activity/Party[2]/PrimaryRegulatorTypeCode",
		"EFilingBatchXML/Activity/Party[3]/PhoneNumber/PhoneNumberText",
		"EFilingBatchXML/Activity/Party[subject]",
		"EFilingBatchXML/Activity/SuspiciousActivity/FromDateText"[:0] + "EFilingBatchXML/Activity/SuspiciousActivity/SuspiciousActivityFromDateText",
		"EFilingBatchXML/Activity/ActivityNarrativeInformation",
	} {
		found := false
		for _, got := range fe.Paths() {
			found = found || got == p
		}
		if !found {
			t.Errorf("SAR problems lack %s; got:\n%s", p, strings.Join(fe.Paths(), "\n"))
		}
	}
	if !strings.Contains(err.Error(), "not reportable") {
		t.Errorf("SAR of a false positive does not say it is not reportable: %v", err)
	}
}

func TestSARNeedsDollars(t *testing.T) {
	_, err := report.Marshal(report.FormatSAR, config(t), fixtureCase(), now)
	if err == nil || !strings.Contains(err.Error(), "US dollars") {
		t.Errorf("SAR in EUR = %v, want an error about US dollars", err)
	}
}

func TestTextXMLCannotCarry(t *testing.T) {
	c := fixtureCase()
	c.Reason = "bell \a here"
	c.Txns[0].ID = "t\x00"
	_, err := report.Marshal(report.FormatGoAML, config(t), c, now)
	var fe *report.FieldErrors
	if !errors.As(err, &fe) || !errors.Is(err, report.ErrText) || errors.Is(err, report.ErrMissing) {
		t.Fatalf("Marshal = %v, want ErrText only", err)
	}
	want := []string{"report/reason", "report/transaction[2]/transactionnumber"}
	if diff := cmp.Diff(want, fe.Paths()); diff != "" {
		t.Errorf("bad-text fields (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), "U+0007") {
		t.Errorf("error does not name the character: %v", err)
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := report.Marshal("pdf", config(t), fixtureCase(), now); !errors.Is(err, report.ErrFormat) {
		t.Errorf("pdf: %v", err)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	tests := []struct {
		name, body, want string
	}{
		{"misspelt key", "institution:\n  nmae: X\n", "line 2"},
		{"bad rate", "exchange_rates: {USD: -1}\n", "exchange_rates.USD"},
		{"not yaml", "institution: [\n", "reporting"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := report.LoadConfig(write(tc.name+".yaml", tc.body))
			if !errors.Is(err, report.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadConfig = %v, want ErrConfig mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := report.LoadConfig(filepath.Join(dir, "none.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	// JSON is YAML.
	cfg, err := report.LoadConfig(write("r.json", `{"institution": {"name": "X"}, "currency_code_local": "GBP"}`))
	if err != nil || cfg.Institution.Name != "X" || cfg.CurrencyCodeLocal != "GBP" {
		t.Errorf("JSON config = %+v, %v", cfg, err)
	}
	if cfg, err := report.LoadConfig(write("empty.yaml", "")); err != nil || cfg.Institution.Name != "" {
		t.Errorf("empty config = %v", err)
	}
}
