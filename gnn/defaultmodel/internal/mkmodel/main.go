// Command mkmodel trains the default model shipped in package
// gnn/defaultmodel (run by `make model`):
//
//	go run ./gnn/defaultmodel/internal/mkmodel -seed 1 -out gnn/defaultmodel/model
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/riskgraph/riskgraph/graph/mem"
	"github.com/riskgraph/riskgraph/training"
)

func main() {
	seed := flag.Uint64("seed", 1, "seed of the data, the sub-sampling and the weights")
	out := flag.String("out", "gnn/defaultmodel/model", "artefact directory to write")
	users := flag.Int("users", 0, "synthetic customers (0: the training default)")
	days := flag.Int("days", 0, "synthetic days (0: the training default)")
	epochs := flag.Int("epochs", 0, "training epochs (0: the training default)")
	l2 := flag.Float64("l2", 0, "weight decay (0: the training default, negative: none)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	a, rep, err := training.TrainDefault(ctx, training.DefaultConfig{Seed: *seed, Users: *users, Days: *days, Epochs: *epochs, L2: *l2, OutDir: *out, Store: mem.New()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkmodel:", err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d rows, train %d (%d positive), val %d (%d positive) from %s\n",
		a.ModelID(), rep.Rows, rep.Train, rep.TrainPos, rep.Val, rep.ValPos, rep.Cut.Format(time.RFC3339))
	fmt.Printf("loss %.4f → %.4f, pos weight %.1f\n", rep.Trainer.Loss[0], rep.Trainer.Loss[len(rep.Trainer.Loss)-1], rep.Trainer.PosWeight)
	fmt.Printf("train AUC %.4f, val AUC %.4f, val AP %.4f (base rate %.4f)\n",
		rep.TrainAUC, rep.ValAUC, rep.ValAP, float64(rep.ValPos)/float64(rep.Val))
	fmt.Printf("%d of %d validation scores saturated at 0 or 1\n", rep.ValSaturated, rep.Val)
	fmt.Printf("wrote %s in %s\n", *out, time.Since(start).Round(time.Millisecond))
}
