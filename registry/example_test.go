package registry_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/riskgraph/riskgraph/registry"
	"github.com/riskgraph/riskgraph/registry/registrytest"
)

// A registry in a directory: add two models, promote the first, then see
// a worse challenger refused.
func Example() {
	ctx := context.Background()
	root, _ := os.MkdirTemp("", "registry-example")
	defer os.RemoveAll(root)
	b, err := registry.OpenDir(registry.DirConfig{Path: root})
	if err != nil {
		panic(err)
	}
	reg, _ := registry.New(registry.Config{Backend: b, Now: func() time.Time { return registrytest.T0 }})

	var ids []string
	for seed, auc := range []float64{0.91, 0.88} {
		dir, _ := os.MkdirTemp(root, ".src-")
		if _, err := registrytest.WriteDir(dir, registrytest.Model{Name: "fraud", Seed: uint64(seed), Fingerprint: "data-v7",
			Split: "temporal 80/20", Metrics: map[string]float64{"test_auc": auc}}); err != nil {
			panic(err)
		}
		e, _, err := reg.Add(ctx, dir, "alice", "trained in May")
		if err != nil {
			panic(err)
		}
		ids = append(ids, e.ID)
	}
	ev, _ := reg.Promote(ctx, registry.PromoteRequest{Model: ids[0], Actor: "alice", Reason: "first model"})
	fmt.Println(ev.Action, ev.Check)
	_, err = reg.Promote(ctx, registry.PromoteRequest{Model: ids[1], Actor: "bob", Reason: "retrain"})
	fmt.Println(errors.Is(err, registry.ErrWorse))
	cur, _ := reg.Current(ctx)
	fmt.Println(cur.Champion == ids[0])
	// Output:
	// promote no champion to compare with
	// true
	// true
}
