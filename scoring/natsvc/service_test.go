package natsvc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/natsd"
	"github.com/riskgraph/riskgraph/natsd/natsdtest"
	"github.com/riskgraph/riskgraph/scoring"
	"github.com/riskgraph/riskgraph/scoring/natsvc"
)

// authorizerFunc is the test double of natsvc.Authorizer.
type authorizerFunc func(ctx context.Context, txn *graph.Transaction) (scoring.Decision, error)

func (f authorizerFunc) Authorize(ctx context.Context, txn *graph.Transaction) (scoring.Decision, error) {
	return f(ctx, txn)
}

var _ natsvc.Authorizer = authorizerFunc(nil)

// approve approves everything, echoing the transaction id.
var approve = authorizerFunc(func(_ context.Context, txn *graph.Transaction) (scoring.Decision, error) {
	return scoring.Decision{Txn: txn.ID, Score: 0.1, Decision: "approve", Rules: "r1"}, nil
})

const (
	pan     = "4111111111111111"
	goodTxn = `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":12.5,"currency":"EUR","user":"u1","card":"` + pan + `"}`
	// callTimeout bounds one request round trip in tests: generous, since
	// CI machines (2 shared cores, -race) stall.
	callTimeout = 10 * time.Second
)

func tokenizer(t testing.TB) *ingest.Tokenizer {
	t.Helper()
	tok, err := ingest.NewTokenizer(bytes.Repeat([]byte("k"), ingest.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// server starts an embedded nats-server (in-process, no port) for one test.
func server(t testing.TB) *natsd.Server { return natsdtest.Server(t) }

func connect(t testing.TB, s *natsd.Server) *nats.Conn { return natsdtest.Connect(t, s) }

// start starts a service on its own connection; it is stopped at cleanup.
func start(t testing.TB, s *natsd.Server, a natsvc.Authorizer, cfg natsvc.Config) *natsvc.Service {
	t.Helper()
	if cfg.Tokenizer == nil {
		cfg.Tokenizer = tokenizer(t)
	}
	svc, err := natsvc.Start(connect(t, s), a, cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	return svc
}

// reply is what a caller sees.
type reply struct {
	decision scoring.Decision
	code     string // "" on success
	desc     string
	raw      string
}

func call(t testing.TB, nc *nats.Conn, body string) reply {
	t.Helper()
	msg, err := nc.Request(natsvc.DefaultSubject, []byte(body), callTimeout)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	return parseReply(t, msg)
}

func parseReply(t testing.TB, msg *nats.Msg) reply {
	t.Helper()
	r := reply{code: msg.Header.Get(micro.ErrorCodeHeader), desc: msg.Header.Get(micro.ErrorHeader), raw: string(msg.Data)}
	if r.code == "" {
		if err := json.Unmarshal(msg.Data, &r.decision); err != nil {
			t.Fatalf("reply %q: %v", msg.Data, err)
		}
	}
	return r
}

func TestConfigValidate(t *testing.T) {
	tok := tokenizer(t)
	tests := []struct {
		name    string
		cfg     natsvc.Config
		wantErr bool
	}{
		{"defaults", natsvc.Config{Tokenizer: tok}, false},
		{"all set", natsvc.Config{Name: "rg-2", Version: "2.1.0-rc.1+b5", Subject: "a.b", QueueGroup: "q",
			DefaultDeadline: time.Second, MaxDeadline: time.Second, MaxInFlight: 1, Tokenizer: tok}, false},
		{"no tokenizer", natsvc.Config{}, true},
		{"bad name", natsvc.Config{Name: "risk graph", Tokenizer: tok}, true},
		{"bad version", natsvc.Config{Version: "1.0", Tokenizer: tok}, true},
		{"wildcard subject", natsvc.Config{Subject: "riskgraph.*", Tokenizer: tok}, true},
		{"empty token in subject", natsvc.Config{Subject: "a..b", Tokenizer: tok}, true},
		{"space in queue group", natsvc.Config{QueueGroup: "a b", Tokenizer: tok}, true},
		{"negative default deadline", natsvc.Config{DefaultDeadline: -1, Tokenizer: tok}, true},
		{"max deadline under 1ms", natsvc.Config{MaxDeadline: time.Microsecond, Tokenizer: tok}, true},
		{"default over max", natsvc.Config{DefaultDeadline: time.Second, MaxDeadline: time.Millisecond, Tokenizer: tok}, true},
		{"default over default max", natsvc.Config{DefaultDeadline: time.Minute, Tokenizer: tok}, true},
		{"negative max in flight", natsvc.Config{MaxInFlight: -1, Tokenizer: tok}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, natsvc.ErrConfig) {
				t.Errorf("Validate() = %v, want it to wrap ErrConfig", err)
			}
		})
	}
}

func TestStartRefusesNil(t *testing.T) {
	s := server(t)
	nc := connect(t, s)
	cfg := natsvc.Config{Tokenizer: tokenizer(t)}
	if _, err := natsvc.Start(nil, approve, cfg); !errors.Is(err, natsvc.ErrConfig) {
		t.Errorf("Start(nil conn) = %v, want ErrConfig", err)
	}
	if _, err := natsvc.Start(nc, nil, cfg); !errors.Is(err, natsvc.ErrConfig) {
		t.Errorf("Start(nil authorizer) = %v, want ErrConfig", err)
	}
	if _, err := natsvc.Start(nc, approve, natsvc.Config{}); !errors.Is(err, natsvc.ErrConfig) {
		t.Errorf("Start(no tokenizer) = %v, want ErrConfig", err)
	}
}

func TestAuthorize(t *testing.T) {
	s := server(t)
	var got graph.Transaction
	a := authorizerFunc(func(_ context.Context, txn *graph.Transaction) (scoring.Decision, error) {
		got = *txn
		return scoring.Decision{Score: 0.93, Decision: "decline", Model: "m@abc", Rules: "r7",
			Reasons:    []scoring.Reason{{Code: "ring", Detail: "shares a device", Weight: 1.5}},
			Typologies: []string{"fan_in"}}, nil
	})
	start(t, s, a, natsvc.Config{})
	r := call(t, connect(t, s), `{"deadline_ms":200,"id":"t1","time":"2024-01-02T03:04:05Z","amount":12.5,"card":"`+pan+`","memo":"x"}`)
	if r.code != "" {
		t.Fatalf("reply error %s: %s", r.code, r.desc)
	}
	if r.decision.LatencyUS <= 0 {
		t.Errorf("latency_us = %d, want > 0", r.decision.LatencyUS)
	}
	r.decision.LatencyUS = 0
	want := scoring.Decision{Txn: "t1", Score: 0.93, Decision: "decline", Model: "m@abc", Rules: "r7",
		Reasons: []scoring.Reason{{Code: "ring", Detail: "shares a device", Weight: 1.5}}, Typologies: []string{"fan_in"}}
	if diff := cmp.Diff(want, r.decision); diff != "" {
		t.Errorf("decision (-want +got):\n%s", diff)
	}
	if got.ID != "t1" || got.Amount != 12.5 || !strings.HasPrefix(got.Card, ingest.TokenPrefix) {
		t.Errorf("authorizer got id %q amount %v card %q, want t1, 12.5 and a token", got.ID, got.Amount, got.Card)
	}
	if diff := cmp.Diff(map[string]string{"memo": "x"}, got.Attrs); diff != "" {
		t.Errorf("attrs (-want +got), deadline_ms must not be among them:\n%s", diff)
	}
}

// TestAuthorizeEmptyLists: nil reasons and typologies are sent as [] and
// latency_us set by the authorizer is kept.
func TestAuthorizeEmptyLists(t *testing.T) {
	s := server(t)
	a := authorizerFunc(func(context.Context, *graph.Transaction) (scoring.Decision, error) {
		return scoring.Decision{Txn: "t1", Decision: "approve", Degraded: true, LatencyUS: 7}, nil
	})
	start(t, s, a, natsvc.Config{})
	r := call(t, connect(t, s), goodTxn)
	want := `{"txn":"t1","score":0,"decision":"approve","reasons":[],"typologies":[],"model":"","rules":"","degraded":true,"latency_us":7}`
	if r.raw != want {
		t.Errorf("reply\n got %s\nwant %s", r.raw, want)
	}
}

func TestBadRequests(t *testing.T) {
	s := server(t)
	var calls atomic.Int32
	a := authorizerFunc(func(context.Context, *graph.Transaction) (scoring.Decision, error) {
		calls.Add(1)
		return scoring.Decision{}, nil
	})
	start(t, s, a, natsvc.Config{MaxDeadline: time.Second})
	nc := connect(t, s)
	const ok = `"id":"t1","time":"2024-01-02T03:04:05Z","amount":1,"card":"` + pan + `"`
	tests := []struct {
		name      string
		body      string
		wantField string // the description starts with it
	}{
		{"not JSON", `id=t1`, "invalid JSON"},
		{"truncated", `{"id":"t1",`, "invalid JSON"},
		{"not an object", `["t1"]`, "not a JSON object"},
		{"empty", ``, "empty message"},
		{"missing id", `{"time":"2024-01-02T03:04:05Z","amount":1}`, "id:"},
		{"bad time", `{"id":"t1","time":"yesterday","amount":1,"card":"` + pan + `"}`, "time:"},
		{"negative amount", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":-3,"card":"` + pan + `"}`, "amount:"},
		{"amount wrong type", `{"id":"t1","time":"2024-01-02T03:04:05Z","amount":true}`, "amount:"},
		{"id wrong type", `{"id":{"a":1},"time":"2024-01-02T03:04:05Z","amount":1}`, "id:"},
		{"card in wrong field", `{"id":"t1","time":"` + pan + `x","amount":1}`, "time:"},
		{"deadline zero", `{` + ok + `,"deadline_ms":0}`, "deadline_ms: must be at least 1"},
		{"deadline negative", `{"deadline_ms":-5,` + ok + `}`, "deadline_ms: must be at least 1"},
		{"deadline fraction", `{` + ok + `,"deadline_ms":1.5}`, "deadline_ms: want an integer"},
		{"deadline string", `{` + ok + `,"deadline_ms":"100"}`, "deadline_ms: want an integer"},
		{"deadline over max", `{` + ok + `,"deadline_ms":1001}`, "deadline_ms: exceeds the maximum of 1000"},
		{"deadline overflows", `{` + ok + `,"deadline_ms":99999999999999999999}`, "deadline_ms: exceeds"},
		{"deadline twice", `{"deadline_ms":5,` + ok + `,"deadline_ms":6}`, "deadline_ms: given more than once"},
		{"deadline escaped key", `{` + ok + `,"deadline\u005fms":0}`, "deadline_ms: must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, nc, tt.body)
			if r.code != "400" {
				t.Fatalf("code %q (%s), want 400", r.code, r.desc)
			}
			if !strings.HasPrefix(r.desc, tt.wantField) {
				t.Errorf("description %q, want it to start with %q", r.desc, tt.wantField)
			}
			if strings.Contains(r.desc, pan) || strings.Contains(r.desc, "4111 1111") {
				t.Errorf("description %q holds the card number", r.desc)
			}
		})
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("authorizer called %d times for bad requests, want 0", n)
	}
}

func TestAuthorizerErrors(t *testing.T) {
	s := server(t)
	var logs syncBuffer
	var next atomic.Pointer[error]
	a := authorizerFunc(func(context.Context, *graph.Transaction) (scoring.Decision, error) {
		return scoring.Decision{}, *next.Load()
	})
	start(t, s, a, natsvc.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	nc := connect(t, s)
	tests := []struct {
		name     string
		err      error
		wantCode string
		wantDesc string
	}{
		{"invalid", fmt.Errorf("%w: %w", scoring.ErrInvalid, &graph.FieldError{Field: "merchant", Reason: "unknown " + pan}),
			"400", "scoring: invalid transaction: merchant: unknown 411111******1111"},
		{"overload", fmt.Errorf("batcher: %w", scoring.ErrOverload), "503", "overloaded: retry"},
		{"closed", scoring.ErrClosed, "503", "scorer closed: retry"},
		{"scorer deadline", scoring.ErrDeadline, "504", "deadline exceeded"},
		{"context deadline", fmt.Errorf("sample: %w", context.DeadlineExceeded), "504", "deadline exceeded"},
		{"other", errors.New("store: disk on fire near card " + pan), "500", "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next.Store(&tt.err)
			r := call(t, nc, goodTxn)
			if r.code != tt.wantCode || r.desc != tt.wantDesc {
				t.Errorf("reply %s %q, want %s %q", r.code, r.desc, tt.wantCode, tt.wantDesc)
			}
		})
	}
	log := logs.String()
	if !strings.Contains(log, "disk on fire") {
		t.Errorf("log lacks the 500's detail:\n%s", log)
	}
	if strings.Contains(log, pan) || strings.Contains(log, `"time"`) {
		t.Errorf("log holds a card number or the request body:\n%s", log)
	}
}

// syncBuffer is a bytes.Buffer for a logger written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// blocker is an Authorizer that holds every call until released.
type blocker struct {
	entered chan struct{}
	release chan struct{}
}

func newBlocker() *blocker {
	return &blocker{entered: make(chan struct{}, 16), release: make(chan struct{})}
}

func (b *blocker) Authorize(_ context.Context, txn *graph.Transaction) (scoring.Decision, error) {
	b.entered <- struct{}{}
	<-b.release
	return scoring.Decision{Txn: txn.ID, Decision: "approve"}, nil
}

func (b *blocker) waitEntered(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-b.entered:
		case <-time.After(callTimeout):
			t.Fatal("authorizer not called")
		}
	}
}

// requestAsync sends a request and returns the channel its reply arrives on.
func requestAsync(t *testing.T, nc *nats.Conn, body string) <-chan *nats.Msg {
	t.Helper()
	inbox := nats.NewInbox()
	ch := make(chan *nats.Msg, 1)
	if _, err := nc.ChanSubscribe(inbox, ch); err != nil {
		t.Fatal(err)
	}
	if err := nc.PublishRequest(natsvc.DefaultSubject, inbox, []byte(body)); err != nil {
		t.Fatal(err)
	}
	return ch
}

func await(t *testing.T, ch <-chan *nats.Msg) reply {
	t.Helper()
	select {
	case m := <-ch:
		return parseReply(t, m)
	case <-time.After(callTimeout):
		t.Fatal("no reply")
	}
	return reply{}
}

func TestMaxInFlight(t *testing.T) {
	s := server(t)
	b := newBlocker()
	svc := start(t, s, b, natsvc.Config{MaxInFlight: 2})
	nc := connect(t, s)
	first, second := requestAsync(t, nc, goodTxn), requestAsync(t, nc, goodTxn)
	b.waitEntered(t, 2)
	if r := call(t, nc, goodTxn); r.code != "503" || !strings.Contains(r.desc, "in flight") {
		t.Errorf("third request: %s %q, want 503 too many in flight", r.code, r.desc)
	}
	if got := svc.Stats().InFlight; got != 2 {
		t.Errorf("InFlight = %d, want 2", got)
	}
	close(b.release)
	for _, ch := range []<-chan *nats.Msg{first, second} {
		if r := await(t, ch); r.code != "" {
			t.Errorf("admitted request: %s %q, want a decision", r.code, r.desc)
		}
	}
	want := natsvc.Stats{OK: 2, Unavailable: 1}
	if diff := cmp.Diff(want, svc.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestDeadline(t *testing.T) {
	s := server(t)
	deadlines := make(chan time.Time, 1)
	a := authorizerFunc(func(ctx context.Context, txn *graph.Transaction) (scoring.Decision, error) {
		dl, ok := ctx.Deadline()
		if !ok {
			return scoring.Decision{}, errors.New("no deadline")
		}
		deadlines <- dl
		return scoring.Decision{Txn: txn.ID, Decision: "approve"}, nil
	})
	start(t, s, a, natsvc.Config{DefaultDeadline: 80 * time.Millisecond})
	nc := connect(t, s)
	tests := []struct {
		name string
		body string
		want time.Duration
	}{
		{"default", goodTxn, 80 * time.Millisecond},
		{"deadline_ms", `{"id":"t1","time":1704164645000,"amount":1,"deadline_ms":1234}`, 1234 * time.Millisecond},
		{"null is default", `{"id":"t1","time":1704164645000,"amount":1,"deadline_ms":null}`, 80 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent := time.Now()
			if r := call(t, nc, tt.body); r.code != "" {
				t.Fatalf("reply %s %q", r.code, r.desc)
			}
			got := (<-deadlines).Sub(sent)
			// The deadline runs from receipt, which is after sent; the
			// slack is how late receipt may be on a loaded CI machine.
			const slack = time.Second
			if got < tt.want || got > tt.want+slack {
				t.Errorf("deadline %v after sending, want %v (+ at most %v)", got, tt.want, slack)
			}
		})
	}
}

func TestQueueGroupSharesRequests(t *testing.T) {
	s := server(t)
	var served [2]atomic.Int32
	for i := range served {
		a := authorizerFunc(func(_ context.Context, txn *graph.Transaction) (scoring.Decision, error) {
			served[i].Add(1)
			return scoring.Decision{Txn: txn.ID, Decision: "approve"}, nil
		})
		start(t, s, a, natsvc.Config{})
	}
	nc := connect(t, s)
	// With random queue-group delivery the chance that one replica gets
	// none of 40 requests is 2^-39.
	const n = 40
	for range n {
		if r := call(t, nc, goodTxn); r.code != "" {
			t.Fatalf("reply %s %q", r.code, r.desc)
		}
	}
	a, b := served[0].Load(), served[1].Load()
	if a+b != n || a == 0 || b == 0 {
		t.Errorf("replicas served %d and %d of %d requests, want both some and %d in all", a, b, n, n)
	}
}

func TestMonitoring(t *testing.T) {
	s := server(t)
	start(t, s, approve, natsvc.Config{Version: "1.2.3"})
	nc := connect(t, s)
	call(t, nc, goodTxn)
	call(t, nc, `{}`)

	get := func(verb micro.Verb, v any) {
		t.Helper()
		subj, err := micro.ControlSubject(verb, natsvc.DefaultName, "")
		if err != nil {
			t.Fatal(err)
		}
		m, err := nc.Request(subj, nil, callTimeout)
		if err != nil {
			t.Fatalf("%s: %v", subj, err)
		}
		if err := json.Unmarshal(m.Data, v); err != nil {
			t.Fatalf("%s: %v", subj, err)
		}
	}
	var ping micro.Ping
	get(micro.PingVerb, &ping)
	if ping.Name != "riskgraph" || ping.Version != "1.2.3" || ping.ID == "" {
		t.Errorf("PING = %+v, want riskgraph 1.2.3 with an id", ping)
	}
	var info micro.Info
	get(micro.InfoVerb, &info)
	if len(info.Endpoints) != 1 {
		t.Fatalf("INFO endpoints = %+v, want one", info.Endpoints)
	}
	e := info.Endpoints[0]
	if e.Name != "authorize" || e.Subject != "riskgraph.v1.authorize" || e.QueueGroup != "riskgraph" || e.Metadata["max_deadline_ms"] != "5000" {
		t.Errorf("INFO endpoint = %+v", e)
	}
	var stats micro.Stats
	get(micro.StatsVerb, &stats)
	if len(stats.Endpoints) != 1 {
		t.Fatalf("STATS endpoints = %+v, want one", stats.Endpoints)
	}
	var got natsvc.Stats
	if err := json.Unmarshal(stats.Endpoints[0].Data, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(natsvc.Stats{OK: 1, Invalid: 1}, got); diff != "" || stats.Endpoints[0].NumRequests != 2 {
		t.Errorf("STATS requests %d (want 2), data (-want +got):\n%s", stats.Endpoints[0].NumRequests, diff)
	}
}

func TestStopDrains(t *testing.T) {
	s := server(t)
	b := newBlocker()
	svc := start(t, s, b, natsvc.Config{})
	nc := connect(t, s)
	pending := requestAsync(t, nc, goodTxn)
	b.waitEntered(t, 1)

	stopped := make(chan error, 1)
	go func() { stopped <- svc.Stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) with a request in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(b.release)
	if r := await(t, pending); r.code != "" {
		t.Errorf("in-flight request: %s %q, want its decision", r.code, r.desc)
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Stop: %v", err)
		}
	case <-time.After(callTimeout):
		t.Fatal("Stop did not return")
	}
	if _, err := nc.Request(natsvc.DefaultSubject, []byte(goodTxn), callTimeout); !errors.Is(err, nats.ErrNoResponders) {
		t.Errorf("request after Stop: %v, want no responders", err)
	}
	if err := svc.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// TestPanicIs500: a panicking Authorizer costs one request, not the process.
func TestPanicIs500(t *testing.T) {
	s := server(t)
	a := authorizerFunc(func(context.Context, *graph.Transaction) (scoring.Decision, error) {
		panic("boom")
	})
	start(t, s, a, natsvc.Config{})
	if r := call(t, connect(t, s), goodTxn); r.code != "500" || r.desc != "internal error" {
		t.Errorf("reply %s %q, want 500 internal error", r.code, r.desc)
	}
}
