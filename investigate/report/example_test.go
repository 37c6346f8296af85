package report_test

import (
	"fmt"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/investigate/report"
)

// Before anything is written, every missing field is listed with where it
// comes from.
func ExampleMarshal() {
	cfg := report.Config{
		Source:            "data/reporting.yaml",
		Institution:       report.Institution{Name: "Example Bank plc", SWIFT: "EXBKGB2L", Address: report.Address{Street: "1 Example Street", City: "London", Country: "GB"}},
		ReportingPerson:   report.Person{FirstName: "Jane"},
		CurrencyCodeLocal: "EUR",
		GoAML:             report.GoAMLConfig{TransmodeCode: "K", FundsCode: "K", Action: "Account closed.", Indicators: map[string][]string{"laundering_suspicion": {"ML1"}}},
	}
	c := report.Case{
		ID: "C-20260310-000042", Title: "fan-in", Disposition: "laundering_suspicion", Reason: "14 senders in 2 days",
		Txns: []graph.Transaction{{ID: "t1", Time: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), Amount: 1500, Currency: "EUR", Account: "a1", Counterparty: "a7"}},
	}
	_, err := report.Marshal(report.FormatGoAML, cfg, c, time.Date(2026, 3, 20, 16, 0, 0, 0, time.UTC))
	fmt.Println(err)
	// Output:
	// goaml report: 2 problem(s), 2 required field(s) missing:
	//   report/rentity_id: missing (set institution.rentity_id in data/reporting.yaml)
	//   report/reporting_person/last_name: missing (set reporting_person.last_name in data/reporting.yaml)
}
