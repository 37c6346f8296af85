package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/natsd"
	"github.com/riskgraph/riskgraph/scoring"
	"github.com/riskgraph/riskgraph/scoring/natsvc"
)

// benchEchoCommand is bench echo-server: serve's NATS front end with
// nothing behind it, the floor under bench auth's figures.
func (m *Main) benchEchoCommand() *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "echo-server [--nats-listen ADDR]",
		Short: "Serve riskgraph.v1.authorize with a fixed approval and no scoring: the transport's own cost",
		Long: `bench echo-server starts the embedded NATS server and the authorization
service exactly as serve does (micro endpoint, queue group, request decoding
and card tokenization, admission, reply encoding) but answers every valid
request with a fixed approval: no graph, no log write, no model, no rules, no
signals. Run bench auth against it to measure what NATS request-reply, the
service front end and the client cost on this machine; serve's figures
minus these are the scoring path's. Stop it with Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runBenchEcho(cmd.Context(), listen) },
	}
	cmd.Flags().StringVar(&listen, "nats-listen", "127.0.0.1:4222", "client address of the embedded NATS server")
	return cmd
}

// echo answers every transaction with the same approval.
type echo struct{}

func (echo) Authorize(_ context.Context, txn *graph.Transaction) (scoring.Decision, error) {
	return scoring.Decision{Txn: txn.ID, Decision: "approve", Rules: "echo",
		Reasons: []scoring.Reason{{Code: "ECHO", Detail: "bench echo-server: no scoring"}}}, nil
}

func (m *Main) runBenchEcho(ctx context.Context, listen string) error {
	if listen == "" {
		return usagef("--nats-listen is required: bench auth reaches the server over the network")
	}
	dir, err := os.MkdirTemp("", "riskgraph-echo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := natsd.Start(ctx, natsd.Config{StoreDir: dir, Listen: listen, ServerName: "riskgraph-echo"})
	if err != nil {
		return err
	}
	defer srv.Shutdown()
	nc, err := srv.Connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	key := make([]byte, ingest.KeySize)
	if _, err := io.ReadFull(m.Rand, key); err != nil {
		return err
	}
	tok, err := ingest.NewTokenizer(key)
	if err != nil {
		return err
	}
	svc, err := natsvc.Start(nc, echo{}, natsvc.Config{Tokenizer: tok})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "riskgraph echo-server ready: authorize on %s subject %s (fixed approvals, no scoring)\n", srv.ClientURL(), natsvc.DefaultSubject)
	<-ctx.Done()
	return svc.Stop()
}
