package natsvc

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/scoring"
)

// Authorizer decides one transaction: the part of the scorer this service
// needs. It must honour ctx's deadline (answer, perhaps degraded, or
// return an error) and may be called concurrently. Errors wrapping
// scoring.ErrInvalid are the request's fault (400); scoring.ErrOverload and
// scoring.ErrClosed ask the caller to retry elsewhere (503);
// scoring.ErrDeadline or ctx's own error mean the deadline passed (504);
// anything else is a failure of the service (500). The transaction is the
// caller's for the duration of the call only.
type Authorizer interface {
	Authorize(ctx context.Context, txn *graph.Transaction) (scoring.Decision, error)
}

// Service is a running authorization endpoint. Its methods are safe for
// concurrent use.
type Service struct {
	nc   *nats.Conn
	ms   micro.Service
	a    Authorizer
	cfg  Config // defaults applied
	log  *slog.Logger
	now  func() time.Time
	maxQ int64

	mu       sync.Mutex // guards stopping and the wg.Add in admit
	stopping bool
	wg       sync.WaitGroup // one per admitted request
	inFlight atomic.Int64

	stopOnce sync.Once
	stopErr  error

	// jobs hands admitted requests to idle workers: a worker outlives its
	// request (until idle for workerIdle), so the stack a request grew —
	// sampling and the model run deep — is reused rather than grown again
	// on a fresh goroutine for every request.
	jobs chan job
	quit chan struct{}

	counts [numOutcomes]atomic.Uint64
}

// Start registers the micro service cfg.Name (version cfg.Version) with
// one endpoint, "authorize", on cfg.Subject in queue group cfg.QueueGroup,
// so that replicas share the load and micro's $SRV.PING, $SRV.INFO and
// $SRV.STATS answer for it. Requests are served concurrently, at most
// cfg.MaxInFlight at a time. The caller keeps ownership of nc and closes
// it after Stop.
func Start(nc *nats.Conn, a Authorizer, cfg Config) (*Service, error) {
	if nc == nil {
		return nil, fmt.Errorf("%w: nil NATS connection", ErrConfig)
	}
	if a == nil {
		return nil, fmt.Errorf("%w: nil Authorizer", ErrConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Service{
		nc:   nc,
		a:    a,
		cfg:  cfg,
		log:  cfg.Logger.With("service", cfg.Name, "subject", cfg.Subject),
		now:  cfg.Now,
		maxQ: int64(cfg.MaxInFlight),
		jobs: make(chan job),
		quit: make(chan struct{}),
	}
	ms, err := micro.AddService(nc, micro.Config{
		Name:         cfg.Name,
		Version:      cfg.Version,
		Description:  serviceDescription,
		QueueGroup:   cfg.QueueGroup,
		StatsHandler: func(*micro.Endpoint) any { return s.Stats() },
		ErrorHandler: func(_ micro.Service, e *micro.NATSError) {
			s.log.Warn("natsvc: subscription error", "error", e.Error())
		},
	})
	if err != nil {
		return nil, fmt.Errorf("natsvc: add service %s: %w", cfg.Name, err)
	}
	err = ms.AddEndpoint(endpointName, micro.HandlerFunc(s.handle),
		micro.WithEndpointSubject(cfg.Subject),
		micro.WithEndpointQueueGroup(cfg.QueueGroup),
		micro.WithEndpointMetadata(map[string]string{
			"default_deadline_ms": strconv.FormatInt(cfg.DefaultDeadline.Milliseconds(), 10),
			"max_deadline_ms":     strconv.FormatInt(cfg.MaxDeadline.Milliseconds(), 10),
			"max_in_flight":       strconv.Itoa(cfg.MaxInFlight),
		}))
	if err != nil {
		_ = ms.Stop()
		return nil, fmt.Errorf("natsvc: add endpoint %s: %w", cfg.Subject, err)
	}
	// The subscription must be registered with the server before Start
	// returns: otherwise a client on another connection (or a readiness
	// probe) can see "no responders" from a service that says it started.
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		_ = ms.Stop()
		return nil, fmt.Errorf("natsvc: registering %s with the server: %w", cfg.Subject, err)
	}
	s.ms = ms
	return s, nil
}

// Stop drains the service: it stops taking requests (the endpoint and
// micro's monitoring subscriptions are drained, and the server is told
// before Stop goes on), then waits for every request already admitted to
// be answered. Requests that the client library had buffered but not yet
// handed over when Stop began are answered 503, so their callers retry on
// another replica. After Stop returns the Authorizer is never called
// again. Stop waits as long as the slowest admitted request, which its
// deadline bounds when the Authorizer honours it. Safe to call more than
// once; later calls return the first call's result.
func (s *Service) Stop() error {
	s.stopOnce.Do(func() {
		err := s.ms.Stop()
		if err == nil && !s.nc.IsClosed() {
			// The drain's UNSUB is ahead of this PING: once the PONG is
			// back, the server routes no more requests here.
			if ferr := s.nc.FlushTimeout(time.Second); ferr != nil {
				s.log.Warn("natsvc: flush on stop", "error", ferr.Error())
			}
		}
		s.mu.Lock()
		s.stopping = true
		s.mu.Unlock()
		s.wg.Wait()
		close(s.quit)
		if err != nil {
			s.stopErr = fmt.Errorf("natsvc: stop: %w", err)
		}
	})
	return s.stopErr
}

// handle runs on the endpoint subscription's goroutine: it admits the
// request and hands it to a goroutine of its own, or refuses it at once.
// It replies itself rather than through micro.Request, whose state is not
// safe to touch after handle returns; so micro's STATS count requests but
// not errors, and Stats (in STATS' data) has the outcomes.
func (s *Service) handle(req micro.Request) {
	start := time.Now()
	received := start
	if s.now != nil {
		received = s.now()
	}
	reply := req.Reply()
	if reply == "" {
		s.log.Debug("natsvc: request without a reply subject dropped")
		return
	}
	switch s.admit() {
	case admitStopping:
		s.respondError(reply, outcomeUnavailable, "service stopping: retry")
		return
	case admitFull:
		s.respondError(reply, outcomeUnavailable, "overloaded: too many requests in flight")
		return
	}
	j := job{reply: reply, body: req.Data(), start: start, received: received}
	select {
	case s.jobs <- j: // an idle worker took it
	default:
		go s.work(j)
	}
}

// job is one admitted request.
type job struct {
	reply           string
	body            []byte
	start, received time.Time
}

// workerIdle is how long a worker waits for its next request before it
// exits.
const workerIdle = 30 * time.Second

// work serves j, then further requests, until idle for workerIdle or the
// service stops.
func (s *Service) work(j job) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		s.serve(j.reply, j.body, j.start, j.received)
		idle.Reset(workerIdle)
		select {
		case j = <-s.jobs:
		case <-idle.C:
			return
		case <-s.quit:
			return
		}
	}
}

type admission uint8

const (
	admitted admission = iota
	admitFull
	admitStopping
)

func (s *Service) admit() admission {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return admitStopping
	}
	if s.inFlight.Load() >= s.maxQ {
		return admitFull
	}
	s.inFlight.Add(1)
	s.wg.Add(1)
	return admitted
}

// serve decodes, authorizes and answers one admitted request.
func (s *Service) serve(reply string, body []byte, start, received time.Time) {
	// The in-flight slot is released just before the reply is sent, so a
	// client that has its answer sees the service's stats already settled.
	released := false
	release := func() {
		if !released {
			released = true
			s.inFlight.Add(-1)
		}
	}
	defer func() {
		release()
		s.wg.Done()
	}()
	var txnID string
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("natsvc: authorizer panicked", "txn", txnID,
				"panic", maskDigitRuns(fmt.Sprint(p)), "stack", string(debug.Stack()))
			release()
			s.respondError(reply, outcomeFailed, failedDescription)
		}
	}()
	req, err := decodeRequest(body, s.cfg.Tokenizer, s.cfg.MaxDeadline)
	if err != nil {
		release()
		s.respondErr(reply, "", err)
		return
	}
	txnID = req.txn.ID
	d := req.deadline
	if d == 0 {
		d = s.cfg.DefaultDeadline
	}
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(d))
	defer cancel()
	dec, err := s.a.Authorize(ctx, &req.txn)
	if err != nil {
		release()
		s.respondErr(reply, txnID, err)
		return
	}
	if dec.LatencyUS == 0 {
		dec.LatencyUS = s.since(received).Microseconds()
	}
	if dec.Txn == "" {
		dec.Txn = txnID
	}
	if dec.Reasons == nil {
		dec.Reasons = []scoring.Reason{}
	}
	if dec.Typologies == nil {
		dec.Typologies = []string{}
	}
	release()
	s.respond(reply, txnID, dec)
}

func (s *Service) since(t time.Time) time.Duration {
	if s.now != nil {
		return s.now().Sub(t)
	}
	return time.Since(t)
}

// Stats are a service's counters since Start, also served as the data of
// the endpoint in micro's $SRV.STATS replies.
type Stats struct {
	InFlight    int64  `json:"in_flight"`   // requests admitted and not yet answered
	OK          uint64 `json:"ok"`          // decisions sent
	Invalid     uint64 `json:"invalid"`     // 400s
	Unavailable uint64 `json:"unavailable"` // 503s: overload, stopping, authorizer closed
	Timeout     uint64 `json:"timeout"`     // 504s
	Failed      uint64 `json:"failed"`      // 500s
}

// Stats returns the service's counters.
func (s *Service) Stats() Stats {
	return Stats{
		InFlight:    s.inFlight.Load(),
		OK:          s.counts[outcomeOK].Load(),
		Invalid:     s.counts[outcomeInvalid].Load(),
		Unavailable: s.counts[outcomeUnavailable].Load(),
		Timeout:     s.counts[outcomeTimeout].Load(),
		Failed:      s.counts[outcomeFailed].Load(),
	}
}
