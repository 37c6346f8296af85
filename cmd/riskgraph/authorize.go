package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
)

func (m *Main) authorizeCommand(g *globals) *cobra.Command {
	var natsURL string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "authorize [FILE|-] --nats-url URL",
		Short: "Send one transaction (JSON) to a running riskgraph and print the decision",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = m.Stdin
			if len(args) == 1 && args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return usagef("%v", err)
				}
				defer f.Close()
				in = f
			}
			body, err := io.ReadAll(io.LimitReader(in, 1<<20))
			if err != nil {
				return err
			}
			nc, err := nats.Connect(natsURL, nats.Name("riskgraph authorize"))
			if err != nil {
				return fmt.Errorf("connect %s: %w", natsURL, err)
			}
			defer nc.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			msg, err := nc.RequestWithContext(ctx, "riskgraph.v1.authorize", body)
			if err != nil {
				return fmt.Errorf("authorize: %w", err)
			}
			if code := msg.Header.Get("Nats-Service-Error-Code"); code != "" {
				return fmt.Errorf("authorize: %s %s", code, msg.Header.Get("Nats-Service-Error"))
			}
			_, err = fmt.Fprintf(m.Stdout, "%s\n", msg.Data)
			return err
		},
	}
	cmd.Flags().StringVar(&natsURL, "nats-url", nats.DefaultURL, "NATS URL of a running riskgraph serve")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the reply")
	return cmd
}
