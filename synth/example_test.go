package synth_test

import (
	"context"
	"fmt"
	"log"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/synth"
)

func ExampleGenerate() {
	cfg := synth.Config{Seed: 1, Users: 1000, Days: 7}
	var first []string
	sum, err := synth.Generate(context.Background(), cfg, func(tx *graph.Transaction) error {
		if len(first) < 3 {
			first = append(first, fmt.Sprintf("%s %s %-8s %8.2f %s %s", tx.ID, tx.Time.Format("01-02 15:04"), tx.Kind, tx.Amount, tx.Currency, tx.Attrs["pattern"]))
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range first {
		fmt.Println(s)
	}
	fmt.Printf("%d rows: %d legit, %d fraud, %d laundering\n", sum.Txns,
		sum.ByLabel[graph.ClassLegit], sum.ByLabel[graph.ClassFraud], sum.ByLabel[graph.ClassLaundering])
	// Output:
	// t00000001 01-01 00:29 card        25.67 PLN normal
	// t00000002 01-01 00:49 card        79.56 EUR normal
	// t00000003 01-01 00:54 bnpl      2369.07 EUR normal
	// 5712 rows: 5596 legit, 104 fraud, 12 laundering
}
