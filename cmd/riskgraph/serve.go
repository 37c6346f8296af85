package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/riskgraph/riskgraph/gnn"
	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/ingest"
	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/plugin/creative"
	"github.com/riskgraph/riskgraph/plugin/personalization"
	"github.com/riskgraph/riskgraph/rules"
	"github.com/riskgraph/riskgraph/scoring"
	"github.com/riskgraph/riskgraph/scoring/decisionlog"
	"github.com/riskgraph/riskgraph/scoring/natsvc"
	"github.com/riskgraph/riskgraph/signal"
	"github.com/riskgraph/riskgraph/typology"
	"github.com/riskgraph/riskgraph/typology/natsalert"
)

type serveFlags struct {
	dataDir    string
	natsListen string
	httpListen string
	model      string
	rulesFile  string
	deadline   time.Duration
	shadow     string
	rulesPoll  time.Duration
	modelPoll  time.Duration
	nats       natsFlags
	neo4j      neo4jFlags
	profile    string
	acceptRisk bool
	actor      string
	pprof      bool
	replyFirst bool
	engine     gnn.Engine
}

func (m *Main) serveCommand(g *globals) *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve --data-dir D",
		Short: "Authorize payments over NATS (embedded NATS, graph, model and rules by default)",
		Long: `serve starts the embedded stack: a NATS server with JetStream (file store,
every write synced) listening on --nats-listen, the graph restored from the
data dir and kept up to date from the log, the model registry's champion
(riskgraph model promote; else the built-in model, or --model) and rules
(or --rules, reloaded when the file changes). Payment services
send transactions to riskgraph.v1.authorize (NATS micro service "riskgraph",
queue group riskgraph) and get a decision within their deadline. Metrics,
/healthz and /readyz are served on --http-listen. SIGINT/SIGTERM drain
in-flight requests, then snapshot the graph.

At scale, --nats-url joins a NATS cluster (N serve replicas share the queue
group) and --neo4j-uri keeps the graph in Neo4j, read through a bounded
in-process neighbourhood cache; --profile production then checks the log's
durability. Every decision is kept for riskgraph explain; every transaction
reaching the graph feeds the typology detectors (alerts on
riskgraph.v1.alert.<typology>).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runServe(cmd.Context(), g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory of the embedded deployment")
	fl.StringVar(&f.natsListen, "nats-listen", "127.0.0.1:4222", "client address of the embedded NATS server")
	fl.StringVar(&f.httpListen, "http-listen", "127.0.0.1:9464", "address for /metrics, /healthz and /readyz")
	fl.StringVar(&f.model, "model", "", "model directory, pinned (default: the registry's champion, followed as it changes, else the built-in model)")
	fl.StringVar(&f.rulesFile, "rules", "", "rules file, reloaded on change (default: the built-in rules)")
	fl.DurationVar(&f.deadline, "deadline", 50*time.Millisecond, "decision deadline when a request sets none")
	fl.DurationVar(&f.rulesPoll, "rules-poll", 5*time.Second, "how often --rules is checked for changes")
	fl.StringVar(&f.shadow, "shadow-model", "", "a challenger model directory, pinned: scores the same traffic, recorded in metrics, never decides (default: the registry's shadow)")
	fl.DurationVar(&f.modelPoll, "model-poll", 2*time.Second, "how often the data dir's model registry is checked for a promotion, rollback or shadow change")
	addNATSFlags(fl, &f.nats)
	addNeo4jFlags(fl, &f.neo4j)
	fl.BoolVar(&f.replyFirst, "reply-before-log", false, "reply before the authorized transaction is fsynced in the log and append it right after: lower latency, but a crash can drop the last replies' transactions from the log (default: reply once the log holds it)")
	fl.TextVar(&f.engine, "gnn-engine", gnn.EngineNative, "what runs the model: native (gonum BLAS, checked against the Gorgonia graph when a model loads) or gorgonia (the reference graph on a tape machine, ~10× the CPU per request)")
	fl.BoolVar(&f.pprof, "pprof", false, "serve Go's profiler under /debug/pprof/ on --http-listen (keep that address private)")
	fl.StringVar(&f.profile, "profile", profileDev, "deployment profile: dev, or production (refuses a log that is memory-backed, has fewer than 3 replicas or does not sync every write)")
	fl.BoolVar(&f.acceptRisk, "accept-risk", false, "with --profile production: start despite the durability findings (each is written to the audit log)")
	fl.StringVar(&f.actor, "actor", "", "who runs serve, for the audit log (default $USER)")
	return cmd
}

// readyLine matches the line serve prints when it is ready, capturing the
// NATS URL and the metrics address (demo and tests start serve in-process).
var readyLine = regexp.MustCompile(`authorize on (nats://\S+) .* metrics on http://(\S+)/metrics`)

// serveMetrics are the Prometheus series serve exports.
type serveMetrics struct {
	reg       *prometheus.Registry
	latency   prometheus.Histogram
	decisions *prometheus.CounterVec
	degraded  prometheus.Counter
	lag       prometheus.GaugeFunc
	model     *prometheus.GaugeVec
	shadowGap prometheus.Histogram
}

func newServeMetrics(lag func() float64) *serveMetrics {
	sm := &serveMetrics{reg: prometheus.NewRegistry()}
	sm.latency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "riskgraph_decision_latency_seconds",
		Help: "Time to decide on one authorization.", Buckets: prometheus.ExponentialBuckets(50e-6, 2, 14)})
	sm.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riskgraph_decisions_total",
		Help: "Decisions by outcome."}, []string{"decision"})
	sm.degraded = prometheus.NewCounter(prometheus.CounterOpts{Name: "riskgraph_degraded_total",
		Help: "Decisions taken by rules alone because the model missed the deadline."})
	sm.lag = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "riskgraph_ingest_lag_messages",
		Help: "Log messages not yet applied to the graph."}, lag)
	sm.model = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "riskgraph_model_info",
		Help: "The model in use (value 1)."}, []string{"model", "rules"})
	sm.shadowGap = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "riskgraph_shadow_score_gap",
		Help: "Shadow model score minus the primary's, per decision scored by both.", Buckets: prometheus.LinearBuckets(-1, 0.1, 21)})
	sm.reg.MustRegister(sm.latency, sm.decisions, sm.degraded, sm.lag, sm.model, sm.shadowGap,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return sm
}

// metered wraps the scorer to record every decision and hand it to the
// signal router (which never blocks: plug-ins have bounded queues).
type metered struct {
	s         *scoring.Scorer
	m         *serveMetrics
	router    *signal.Router
	decisions *decisionlog.Log
	now       func() time.Time
}

func (a metered) Authorize(ctx context.Context, txn *graph.Transaction) (scoring.Decision, error) {
	d, err := a.s.Authorize(ctx, txn)
	if err != nil {
		return d, err
	}
	a.m.latency.Observe(float64(d.LatencyUS) / 1e6)
	a.m.decisions.WithLabelValues(d.Decision).Inc()
	if d.Degraded {
		a.m.degraded.Inc()
	}
	reasons := make([]signal.Reason, len(d.Reasons))
	for i, r := range d.Reasons {
		reasons[i] = signal.Reason(r)
	}
	a.decisions.Record(decisionlog.Record{Decision: d, TxnTime: txn.Time, DecidedAt: a.now()})
	a.router.Route(ctx, signal.Decision{Txn: txn, Score: d.Score, Decision: d.Decision, Reasons: reasons,
		Typologies: d.Typologies, Model: d.Model, Time: txn.Time})
	return d, nil
}

// newRouter starts the signal router with the reference plug-ins
// in-process, publishing filtered signals on riskgraph.v1.signal.<band>.
func newRouter(dataDir string, m *Main, pub signal.Publisher, log *slog.Logger) (*signal.Router, error) {
	key, err := ingest.LoadOrCreateKey(filepath.Join(dataDir, signalKeyFile), m.Rand)
	if err != nil {
		return nil, err
	}
	r, err := signal.New(signal.Config{SubjectKey: key, Publisher: pub, Logger: log})
	if err != nil {
		return nil, err
	}
	p, err := personalization.New(personalization.Config{})
	if err != nil {
		return nil, err
	}
	c, err := creative.New(creative.Config{})
	if err != nil {
		return nil, err
	}
	if err := r.Register(p, signal.RegisterOptions{Name: "personalization"}); err != nil {
		return nil, err
	}
	if err := r.Register(c, signal.RegisterOptions{Name: "creative"}); err != nil {
		return nil, err
	}
	return r, nil
}

func (m *Main) runServe(ctx context.Context, g *globals, f *serveFlags) error {
	log, err := g.logger(m.Stderr)
	if err != nil {
		return err
	}
	if f.deadline <= 0 || f.deadline > natsvc.DefaultMaxDeadline {
		return usagef("--deadline %v: want > 0 and at most %v", f.deadline, natsvc.DefaultMaxDeadline)
	}
	var rs scoring.RuleSource
	var watcher *rules.Watcher
	if f.rulesFile != "" {
		if watcher, err = rules.NewWatcher(rules.WatchConfig{Path: f.rulesFile, Interval: f.rulesPoll,
			OnError: func(err error) { log.Error("rules reload refused; keeping the current rules", "err", err) },
			OnReload: func(_, next *rules.Set) {
				if err := archiveRules(f.dataDir, next); err != nil {
					log.Warn("archiving the rules", "err", err)
				}
			}}); err != nil {
			return err
		}
		rs = watcher
	} else {
		set, err := rules.Default()
		if err != nil {
			return err
		}
		rs = scoring.Fixed{Set: set}
	}
	if f.dataDir != "" {
		if err := archiveRules(f.dataDir, rs.Current()); err != nil {
			log.Warn("archiving the rules", "err", err)
		}
	}
	if _, err := f.nats.options(); err != nil {
		return err
	}
	if f.profile == "" {
		f.profile = profileDev
	}
	if f.profile != profileDev && f.profile != profileProduction {
		return usagef("--profile %q: want %s or %s", f.profile, profileDev, profileProduction)
	}
	if f.acceptRisk && f.profile != profileProduction {
		return usagef("--accept-risk goes with --profile production")
	}
	// The typology engine sees every transaction that reaches the graph;
	// it is warmed with the graph's last lookback before the log replays.
	eng, err := typology.NewEngine(typology.Config{})
	if err != nil {
		return err
	}
	feed := newAlertFeed(eng, log)
	e, err := m.openEnv(ctx, log, envConfig{DataDir: f.dataDir, Listen: f.natsListen, NATS: &f.nats, Neo4j: &f.neo4j,
		CheckpointEvery: 500_000, CheckpointInterval: 5 * time.Minute, Observe: feed.observe,
		BeforeConsume: func(ctx context.Context, g graph.Store) error {
			alerts, err := typology.Warm(ctx, g, eng)
			if len(alerts) > 0 {
				feed.enqueue(alerts)
			}
			return err
		}})
	if err != nil {
		return err
	}
	defer e.close()
	if f.profile == profileProduction {
		if err := m.checkProfile(ctx, log, e, f); err != nil {
			return err
		}
	}
	if err := e.catchUp(ctx, 0); err != nil {
		return err
	}
	alertLog, err := natsalert.Open(ctx, e.js, natsalert.Config{Replicas: e.streamReplicas()})
	if err != nil {
		return err
	}
	// Detections older than the warm-up window still count (as they did in
	// training): restore them from the alert log. Alerts the warm-up and
	// the log replay raised again count once.
	if past, err := alertLog.List(ctx, time.Time{}); err != nil {
		log.Warn("restoring typology detections from the alert log", "err", err)
	} else {
		eng.Record(past...)
	}
	go feed.run(alertLog)
	defer feed.close(context.WithoutCancel(ctx))
	// Authorized transactions reach the log by group commit: concurrent
	// authorizations share one durable (fsynced) message.
	commit, err := stream.NewGroupCommitter(e.js, stream.GroupConfig{})
	if err != nil {
		return err
	}
	defer commit.Close()
	batcher, err := scoring.NewBatcher(nil, scoring.BatcherConfig{})
	if err != nil {
		return err
	}
	defer batcher.Close()
	scorer, err := scoring.NewScorer(e.reads, rs, batcher, scoring.ScorerConfig{Deadline: f.deadline,
		Begin: func(t *graph.Transaction) func(context.Context) error {
			p, err := commit.Begin(t)
			return func(ctx context.Context) error {
				if err == nil {
					_, err = p.Wait(ctx)
				}
				return err
			}
		},
		RecordAsync: f.replyFirst,
		Apply: func(ctx context.Context, t *graph.Transaction) error {
			if _, err := e.writes.Apply(ctx, graph.Mutation{Txn: t}); err != nil {
				return err
			}
			feed.observe(t)
			return nil
		},
		Typologies: feed.hits, TypologyCounter: eng})
	if err != nil {
		return err
	}
	var ready atomic.Bool
	metrics := newServeMetrics(func() float64 {
		last, err := e.lastSeq(context.Background())
		if err != nil {
			return 0
		}
		return float64(last) - float64(e.cons.Stats().Resolved)
	})
	// Models: --model/--shadow-model, else the registry's champion and
	// shadow (followed while serving; see modelwatch.go), else built in.
	// On an external cluster every replica follows one registry there.
	var regJS jetstream.JetStream
	if f.nats.url != "" {
		regJS = e.js
	}
	reg, err := m.openRegistry(ctx, f.dataDir, regJS, f.modelPoll)
	if err != nil {
		return err
	}
	models, err := startModels(ctx, modelWatchConfig{Registry: reg, ModelDir: f.model, ShadowDir: f.shadow, Scorer: scorer, Log: log, Engine: f.engine,
		RecordShadow: func(s scoring.ShadowScore) {
			if s.PrimaryModel != "" {
				metrics.shadowGap.Observe(s.Score - s.PrimaryScore)
			}
		},
		OnChange: func(champion, _ string) {
			metrics.model.Reset()
			metrics.model.WithLabelValues(champion, rs.Current().Version()).Set(1)
		}})
	if err != nil {
		return err
	}
	defer models.close()
	models.start(ctx)

	router, err := newRouter(f.dataDir, m, e.nc, log)
	if err != nil {
		return err
	}
	defer router.Close(context.WithoutCancel(ctx))
	// Every decision is kept for explain, off the authorization path.
	dlog, err := decisionlog.Open(ctx, e.js, decisionlog.Config{Replicas: e.streamReplicas()})
	if err != nil {
		return err
	}
	defer dlog.Close(context.WithoutCancel(ctx))
	metrics.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "riskgraph_decision_log_dropped_total",
		Help: "Decisions not kept in the decision log (queue full or log unavailable)."},
		func() float64 { st := dlog.Stats(); return float64(st.Dropped + st.Failed) }))
	metrics.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "riskgraph_log_groups_total",
			Help: "Group messages (one durable write each) that carried authorized transactions into the log."},
			func() float64 { return float64(commit.Stats().Groups) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "riskgraph_log_group_records_total",
			Help: "Authorized transactions written to the log by group commit."},
			func() float64 { return float64(commit.Stats().Records) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "riskgraph_typology_alerts_total",
			Help: "Typology alerts raised and published to riskgraph.v1.alert.<typology>."},
			func() float64 { return float64(feed.published.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "riskgraph_typology_alerts_lost_total",
			Help: "Typology alerts not published (queue full or the alert log unavailable)."},
			func() float64 { return float64(feed.dropped.Load() + feed.failed.Load()) }))
	svc, err := natsvc.Start(e.nc, metered{scorer, metrics, router, dlog, m.Now}, natsvc.Config{Tokenizer: e.tok, DefaultDeadline: f.deadline, Logger: log})
	if err != nil {
		return err
	}
	httpSrv, httpAddr, err := startHTTP(f.httpListen, metrics.reg, &ready, f.pprof, log)
	if err != nil {
		svc.Stop()
		return err
	}
	if watcher != nil {
		go watcher.Run(ctx)
	}
	ready.Store(true)
	fmt.Fprintf(m.Stdout, "riskgraph ready: authorize on %s subject riskgraph.v1.authorize (model %s, rules %s); metrics on http://%s/metrics; data in %s\n",
		e.clientURL(), models.championID(), rs.Current().Version(), httpAddr, filepath.Clean(f.dataDir))

	<-ctx.Done()
	ready.Store(false)
	log.Info("shutting down: draining in-flight requests")
	if err := svc.Stop(); err != nil {
		log.Error("draining the authorization service", "err", err)
	}
	commit.Close()
	dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	if err := dlog.Close(dctx); err != nil {
		log.Error("flushing the decision log", "err", err)
	}
	feed.close(dctx)
	dcancel()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := router.Close(sctx); err != nil {
		log.Error("closing the signal router", "err", err)
	}
	httpSrv.Shutdown(sctx)
	batcher.Close()
	return e.shutdown(context.WithoutCancel(ctx))
}

// startHTTP serves /metrics, /healthz (alive) and /readyz (serving).
func startHTTP(addr string, reg *prometheus.Registry, ready *atomic.Bool, profiling bool, log *slog.Logger) (*http.Server, string, error) {
	mux := http.NewServeMux()
	if profiling {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("--http-listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "err", err)
		}
	}()
	return srv, ln.Addr().String(), nil
}
