package natsobj_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/natsd/natsdtest"
	"github.com/riskgraph/riskgraph/registry"
	"github.com/riskgraph/riskgraph/registry/natsobj"
	"github.com/riskgraph/riskgraph/registry/registrytest"
)

func jetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(natsdtest.Conn(t))
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func TestConformance(t *testing.T) {
	js := jetStream(t)
	var n atomic.Int64
	registrytest.Run(t, func(t *testing.T) (registry.Backend, func()) {
		k := n.Add(1)
		cfg := natsobj.Config{JS: js, Bucket: fmt.Sprintf("models_%d", k), KVBucket: fmt.Sprintf("registry_%d", k)}
		s, err := natsobj.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s, func() {
			kv, err := js.KeyValue(context.Background(), cfg.KVBucket)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := kv.Put(context.Background(), "head", []byte(`{"seq":`)); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// Two servers sharing a cluster: a promotion made through one Store is
// seen by the other's watch, and its registry log.
func TestTwoStoresShareOneRegistry(t *testing.T) {
	ctx := context.Background()
	js := jetStream(t)
	open := func() *registry.Registry {
		s, err := natsobj.Open(ctx, natsobj.Config{JS: js})
		if err != nil {
			t.Fatal(err)
		}
		r, err := registry.New(registry.Config{Backend: s, Now: func() time.Time { return registrytest.T0 }})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	admin, server := open(), open()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	states := make(chan registry.State, 8)
	go server.Watch(wctx, func(s registry.State, err error) {
		if err != nil {
			t.Errorf("watch: %v", err)
		}
		states <- s
	})
	src := t.TempDir()
	registrytest.Write(t, src, registrytest.Model{Seed: 1})
	e, _, err := admin.Add(ctx, src, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Promote(ctx, registry.PromoteRequest{Model: e.ID[:6], Actor: "alice", Reason: "first"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-states:
			if s.Champion != e.ID {
				continue
			}
			a, err := server.Load(ctx, s.Champion)
			if err != nil || a.ModelID() != e.ID {
				t.Fatalf("the other store loads %v, %v", a, err)
			}
			log, err := server.Log(ctx)
			if err != nil || len(log) != 2 || log[1].Action != registry.ActionPromote || log[1].Reason != "first" {
				t.Errorf("log seen by the other store = %+v, %v", log, err)
			}
			return
		case <-deadline:
			t.Fatal("the promotion did not reach the other store's watch")
		}
	}
}

func TestConfigValidate(t *testing.T) {
	js := jetStream(t)
	for _, c := range []natsobj.Config{{}, {JS: js, Replicas: 7}, {JS: js, Bucket: "x", KVBucket: "x"}} {
		if _, err := natsobj.Open(context.Background(), c); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("Open(%+v) = %v, want ErrInvalid", c, err)
		}
	}
}
