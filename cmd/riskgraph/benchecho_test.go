package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// startEcho runs bench echo-server with args until the test ends and
// returns its NATS URL.
func startEcho(t *testing.T, args ...string) string {
	t.Helper()
	pr, pw := io.Pipe()
	m := NewMain()
	m.Stdout, m.Stderr = pw, io.Discard
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, append([]string{"bench", "echo-server", "--nats-listen", "127.0.0.1:0"}, args...))
		pw.Close()
	}()
	ready := regexp.MustCompile(`authorize on (nats://\S+) subject riskgraph\.v1\.authorize`)
	var url string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if mm := ready.FindStringSubmatch(sc.Text()); mm != nil {
			url = mm[1]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		cancel()
		t.Fatalf("echo-server printed no ready line (exit: %v)", <-done)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("echo-server exited with %v", err)
		}
	})
	return url
}

type echoReply struct {
	Txn, Decision string
	Reasons       []struct{ Code string }
}

func TestBenchEchoServer(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		// txn is the id the reply names: the request's, or none when the
		// request is not read; bad400 says a malformed request gets a 400.
		txn    string
		bad400 bool
	}{
		{name: "front end", txn: "e1", bad400: true},
		{name: "bare", args: []string{"--bare"}, txn: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := startEcho(t, tc.args...)
			nc, err := nats.Connect(url)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			msg, err := nc.Request("riskgraph.v1.authorize", []byte(`{"id":"e1","time":"2026-01-08T12:00:00Z","amount":5,"user":"u1"}`), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			var d echoReply
			if err := json.Unmarshal(msg.Data, &d); err != nil || d.Txn != tc.txn || d.Decision != "approve" || len(d.Reasons) != 1 || d.Reasons[0].Code != "ECHO" {
				t.Errorf("reply %s (%v): want txn %q approved with the ECHO reason", msg.Data, err, tc.txn)
			}
			bad, err := nc.Request("riskgraph.v1.authorize", []byte(`{"id":"e2","time":"2026-01-08T12:00:00Z","amount":"x"}`), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			code := bad.Header.Get("Nats-Service-Error-Code")
			if tc.bad400 && (code != "400" || !strings.Contains(bad.Header.Get("Nats-Service-Error"), "amount")) {
				t.Errorf("malformed request: code %q, error %q; want 400 naming amount", code, bad.Header.Get("Nats-Service-Error"))
			}
			if !tc.bad400 && code != "" {
				t.Errorf("bare echo answered a request it does not read with error %q", code)
			}
			// bench auth runs against it unchanged.
			out := filepath.Join(t.TempDir(), "echo.json")
			mustRun(t, "bench", "auth", "--nats-url", url, "--rate", "300", "--duration", "1s", "--out", out)
			raw, _ := os.ReadFile(out)
			var br benchResult
			if err := json.Unmarshal(raw, &br); err != nil || br.Requests != 300 || br.Replies != 300 || br.Errors != 0 || br.Degraded != 0 || br.P99ms <= 0 {
				t.Errorf("bench against echo-server: %s (%v); want 300 replies, no errors, none degraded", raw, err)
			}
		})
	}
}

func TestBenchEchoServerNeedsAListener(t *testing.T) {
	if _, _, err := run(t, "bench", "echo-server", "--nats-listen", ""); err == nil || !strings.Contains(err.Error(), "--nats-listen") {
		t.Errorf("echo-server without a listener: %v, want a usage error naming --nats-listen", err)
	}
}
