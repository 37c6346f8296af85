package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go/micro"
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
	var bare bool
	cmd := &cobra.Command{
		Use:   "echo-server [--nats-listen ADDR] [--bare]",
		Short: "Serve riskgraph.v1.authorize with a fixed approval and no scoring: the transport's own cost",
		Long: `bench echo-server starts the embedded NATS server and the authorization
service exactly as serve does (micro endpoint, queue group, request decoding
and card tokenization, admission, reply encoding) but answers every valid
request with a fixed approval: no graph, no log write, no model, no rules, no
signals. Run bench auth against it to measure what NATS request-reply, the
service front end and the client cost on this machine; serve's figures
minus these are the scoring path's. With --bare the micro endpoint answers
from its own handler without reading the request (NATS request-reply and
the client alone). Stop it with Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runBenchEcho(cmd.Context(), listen, bare) },
	}
	cmd.Flags().StringVar(&listen, "nats-listen", "127.0.0.1:4222", "client address of the embedded NATS server")
	cmd.Flags().BoolVar(&bare, "bare", false, "answer from the micro handler without decoding the request or the service front end")
	return cmd
}

// echo answers every transaction with the same approval.
type echo struct{}

func (echo) Authorize(_ context.Context, txn *graph.Transaction) (scoring.Decision, error) {
	return scoring.Decision{Txn: txn.ID, Decision: "approve", Rules: "echo",
		Reasons: []scoring.Reason{{Code: "ECHO", Detail: "bench echo-server: no scoring"}}}, nil
}

// bareReply is --bare's answer to every request, valid or not.
const bareReply = `{"txn":"","decision":"approve","score":0,"reasons":[{"code":"ECHO","detail":"bench echo-server --bare: no decoding, no scoring"}],"typologies":[],"rules":"echo","degraded":false,"latency_us":0}`

func (m *Main) runBenchEcho(ctx context.Context, listen string, bare bool) error {
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
	var stop func() error
	what := "fixed approvals, no scoring"
	if bare {
		ms, err := micro.AddService(nc, micro.Config{Name: natsvc.DefaultName, Version: natsvc.DefaultVersion, QueueGroup: natsvc.DefaultQueueGroup})
		if err != nil {
			return err
		}
		reply := []byte(bareReply)
		if err := ms.AddEndpoint("authorize", micro.HandlerFunc(func(r micro.Request) { _ = r.Respond(reply) }),
			micro.WithEndpointSubject(natsvc.DefaultSubject)); err != nil {
			return err
		}
		stop, what = ms.Stop, "bare: fixed replies, requests not read"
	} else {
		// A throwaway card key, made the way serve makes its own.
		key, err := ingest.LoadOrCreateKey(filepath.Join(dir, "pan.key"), m.Rand)
		if err != nil {
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
		stop = svc.Stop
	}
	fmt.Fprintf(m.Stdout, "riskgraph echo-server ready: authorize on %s subject %s (%s)\n", srv.ClientURL(), natsvc.DefaultSubject, what)
	<-ctx.Done()
	return stop()
}
