package eval_test

import (
	"fmt"
	"log"

	"github.com/riskgraph/riskgraph/training/eval"
)

// Choose the operating threshold on validation scores, then measure the
// test scores at it with bootstrap intervals.
func ExampleEvaluate() {
	valScores := []float32{0.9, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1}
	valLabels := []float32{1, 1, 0, 1, 0, 0, 0}
	th, err := eval.Threshold(valScores, valLabels, eval.GMean)
	if err != nil {
		log.Fatal(err)
	}
	testScores := []float32{0.95, 0.8, 0.5, 0.45, 0.35, 0.3, 0.2, 0.1}
	testLabels := []float32{1, 0, 1, 1, 0, 0, 0, 0}
	s, err := eval.Evaluate(testScores, testLabels, th, eval.BootstrapConfig{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("threshold %.2f: AUC %.3f, AP %.3f, G-Mean %.3f, macro-F1 %.3f\n",
		th, s.AUC.Value, s.AP.Value, s.GMean.Value, s.MacroF1.Value)
	// Output: threshold 0.35: AUC 0.867, AP 0.806, G-Mean 0.894, macro-F1 0.873
}
