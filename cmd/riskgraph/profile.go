package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/riskgraph/riskgraph/ingest/stream"
	"github.com/riskgraph/riskgraph/investigate/casefile"
)

// Deployment profiles of serve.
const (
	profileDev        = "dev"
	profileProduction = "production"
)

// minProductionReplicas is the stream replica count the production profile
// demands: the log survives the loss of one server of three.
const minProductionReplicas = 3

// varzSubject asks every server of a cluster for its configuration; only a
// system-account user gets answers.
const varzSubject = "$SYS.REQ.SERVER.PING.VARZ"

// durabilityFinding is one setting that falls short of the production
// profile.
type durabilityFinding struct {
	Setting string `json:"setting"`
	Got     string `json:"got"`
	Want    string `json:"want"`
}

func (f durabilityFinding) String() string {
	return fmt.Sprintf("%s is %s, want %s", f.Setting, f.Got, f.Want)
}

// checkDurability compares the log's deployment with the production
// profile: a file-backed stream with at least three replicas on servers
// that sync every write. embeddedSyncAlways is set for the embedded server
// (whose configuration this process chose); for an external deployment the
// servers are asked over the system account.
func checkDurability(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, embedded, embeddedSyncAlways bool) ([]durabilityFinding, error) {
	var out []durabilityFinding
	str, err := js.Stream(ctx, stream.DefaultStream)
	if err != nil {
		return nil, fmt.Errorf("durability check: stream %s: %w", stream.DefaultStream, err)
	}
	info, err := str.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("durability check: stream %s: %w", stream.DefaultStream, err)
	}
	if info.Config.Storage != jetstream.FileStorage {
		out = append(out, durabilityFinding{"stream " + stream.DefaultStream + " storage", info.Config.Storage.String(), "file"})
	}
	if info.Config.Replicas < minProductionReplicas {
		out = append(out, durabilityFinding{"stream " + stream.DefaultStream + " replicas", fmt.Sprint(info.Config.Replicas),
			fmt.Sprintf("at least %d (--stream-replicas, on a cluster)", minProductionReplicas)})
	}
	if embedded {
		if !embeddedSyncAlways {
			out = append(out, durabilityFinding{"embedded server sync", "on an interval", "every write"})
		}
		return out, nil
	}
	return append(out, serverSync(ctx, nc)...), nil
}

// serverSync asks every server for its JetStream sync setting.
func serverSync(ctx context.Context, nc *nats.Conn) []durabilityFinding {
	inbox := nc.NewRespInbox()
	replies := make(chan *nats.Msg, 64)
	sub, err := nc.ChanSubscribe(inbox, replies)
	if err != nil {
		return []durabilityFinding{{"servers' JetStream sync", "unknown (" + err.Error() + ")", "every write (sync_interval: always)"}}
	}
	defer sub.Unsubscribe()
	if err := nc.PublishRequest(varzSubject, inbox, nil); err != nil {
		return []durabilityFinding{{"servers' JetStream sync", "unknown (" + err.Error() + ")", "every write (sync_interval: always)"}}
	}
	var out []durabilityFinding
	seen := 0
	wait := time.NewTimer(time.Second)
	defer wait.Stop()
	for {
		select {
		case m := <-replies:
			var r struct {
				Server struct {
					Name string `json:"name"`
				} `json:"server"`
				Data struct {
					JetStream struct {
						Config *struct {
							SyncAlways   bool          `json:"sync_always"`
							SyncInterval time.Duration `json:"sync_interval"`
						} `json:"config"`
					} `json:"jetstream"`
				} `json:"data"`
			}
			if json.Unmarshal(m.Data, &r) != nil || r.Data.JetStream.Config == nil {
				continue
			}
			seen++
			if c := r.Data.JetStream.Config; !c.SyncAlways {
				out = append(out, durabilityFinding{"server " + r.Server.Name + " JetStream sync",
					"every " + c.SyncInterval.String(), "every write (sync_interval: always)"})
			}
		case <-wait.C:
			if seen == 0 {
				out = append(out, durabilityFinding{"servers' JetStream sync", "unverified (no answer to " + varzSubject + ")",
					"verified: connect serve with a system-account user, or pass --accept-risk"})
			}
			return out
		case <-ctx.Done():
			return out
		}
	}
}

// findingsText lists findings for an error message or a log line.
func findingsText(fs []durabilityFinding) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.String())
	}
	return b.String()
}

// errDurability: serve --profile production found the log's deployment
// short of the profile.
var errDurability = errors.New("the log's deployment is not durable enough for --profile production")

// checkProfile enforces --profile production: findings stop serve unless
// --accept-risk, which logs them and writes them to the audit log.
func (m *Main) checkProfile(ctx context.Context, log *slog.Logger, e *env, f *serveFlags) error {
	// The embedded server syncs every write (serve never gives it an
	// interval).
	findings, err := checkDurability(ctx, e.nc, e.js, e.srv != nil, e.srv != nil && e.cfg.SyncInterval == 0)
	if err != nil {
		return err
	}
	if len(findings) == 0 {
		return nil
	}
	if !f.acceptRisk {
		return fmt.Errorf("%w: %s (fix them, or start with --accept-risk, which is written to the audit log)", errDurability, findingsText(findings))
	}
	actor := f.actor
	if actor == "" {
		actor = os.Getenv("USER")
	}
	log.Warn("starting despite durability findings (--accept-risk)", "findings", findingsText(findings), "actor", actor)
	return m.auditAcceptRisk(ctx, e, actor, findings)
}

// auditSystemSubject carries audit events about the deployment rather than
// a case (casefile reads only its case subjects).
const auditSystemSubject = "riskgraph.v1.audit.system.accept_risk"

// auditAcceptRisk appends who started serve despite which findings, and
// when, to the audit stream.
func (m *Main) auditAcceptRisk(ctx context.Context, e *env, actor string, findings []durabilityFinding) error {
	pub, err := stream.NewPublisher(e.js, stream.PublisherConfig{})
	if err != nil {
		return err
	}
	// Opening the case file creates the audit stream if it is missing.
	if _, err := casefile.Open(ctx, e.js, casefile.Config{Now: m.Now, Labels: pub}); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	body, err := json.Marshal(struct {
		Action   string              `json:"action"`
		Actor    string              `json:"actor"`
		Time     time.Time           `json:"time"`
		Profile  string              `json:"profile"`
		Findings []durabilityFinding `json:"findings"`
	}{"accept_risk", actor, m.Now().UTC(), profileProduction, findings})
	if err != nil {
		return err
	}
	if _, err := e.js.Publish(ctx, auditSystemSubject, body, jetstream.WithExpectStream(casefile.DefaultStream)); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}
