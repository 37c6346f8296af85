package natsvc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/natsd"
	"github.com/riskgraph/riskgraph/scoring"
	"github.com/riskgraph/riskgraph/scoring/natsvc"
)

// ExampleStart serves a toy Authorizer on an embedded server and sends it
// a good request and a bad one.
func ExampleStart() {
	dir, err := os.MkdirTemp("", "natsvc-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	srv, err := natsd.Start(context.Background(), natsd.Config{StoreDir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := srv.Connect()
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	tok, err := ingest.NewTokenizer([]byte("an example key of 32 bytes or more"))
	if err != nil {
		log.Fatal(err)
	}
	declineLarge := authorizerFunc(func(_ context.Context, txn *graph.Transaction) (scoring.Decision, error) {
		if txn.Amount > 1000 {
			return scoring.Decision{Decision: "decline", Score: 0.9, Rules: "example@1"}, nil
		}
		return scoring.Decision{Decision: "approve", Score: 0.1, Rules: "example@1"}, nil
	})
	svc, err := natsvc.Start(nc, declineLarge, natsvc.Config{Tokenizer: tok})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Stop()

	for _, body := range []string{
		`{"id":"t-1","time":"2024-03-01T10:00:00Z","amount":5000,"card":"4111 1111 1111 1111","deadline_ms":100}`,
		`{"id":"t-2","time":"2024-03-01T10:00:00Z","amount":-3}`,
	} {
		m, err := nc.Request(natsvc.DefaultSubject, []byte(body), 5*time.Second)
		if err != nil {
			log.Fatal(err)
		}
		if code := m.Header.Get(micro.ErrorCodeHeader); code != "" {
			fmt.Println(code, m.Header.Get(micro.ErrorHeader))
			continue
		}
		var d scoring.Decision
		if err := json.Unmarshal(m.Data, &d); err != nil {
			log.Fatal(err)
		}
		fmt.Println(d.Txn, d.Decision, d.Score, d.LatencyUS > 0)
	}
	// Output:
	// t-1 decline 0.9 true
	// 400 amount: negative (-3)
}
