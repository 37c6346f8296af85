package natsvc

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/riskgraph/riskgraph/ingest"
)

// Defaults of Config.
const (
	DefaultName        = "riskgraph"
	DefaultVersion     = "1.0.0"
	DefaultSubject     = "riskgraph.v1.authorize"
	DefaultQueueGroup  = "riskgraph"
	DefaultDeadline    = 50 * time.Millisecond
	DefaultMaxDeadline = 5 * time.Second
	DefaultMaxInFlight = 4096
	endpointName       = "authorize"
	serviceDescription = "riskgraph transaction authorization (DESIGN: Authorization)"
	minDeadline        = time.Millisecond
)

// ErrConfig: an invalid Config. Start and Config.Validate wrap it.
var ErrConfig = errors.New("natsvc: invalid config")

// Config configures a Service. Zero values take the documented defaults;
// only Tokenizer is required.
type Config struct {
	// Name is the micro service name (letters, digits, '-' and '_'), the
	// <name> in $SRV.PING.<name>. Default DefaultName.
	Name string
	// Version is the service's semantic version, reported by INFO.
	// Default DefaultVersion.
	Version string
	// Subject is the endpoint's request subject: no spaces, no empty
	// tokens, no wildcards. Default DefaultSubject.
	Subject string
	// QueueGroup is the endpoint's queue group: replicas in the same group
	// share the requests, each answered by one of them. Default
	// DefaultQueueGroup.
	QueueGroup string

	// DefaultDeadline bounds a request that names no deadline_ms, measured
	// from receipt. Default DefaultDeadline; at most MaxDeadline.
	DefaultDeadline time.Duration
	// MaxDeadline is the largest deadline_ms accepted (a larger one is a
	// 400). Default DefaultMaxDeadline; at least 1ms.
	MaxDeadline time.Duration
	// MaxInFlight is how many requests may be decoded or authorized at
	// once; a request beyond it is answered 503 at once rather than queued.
	// Default DefaultMaxInFlight.
	MaxInFlight int

	// Tokenizer turns card numbers into tokens while decoding. Required.
	Tokenizer *ingest.Tokenizer
	// Logger receives failures (500s, replies that could not be sent) and,
	// at Debug, requests without a reply subject. It never receives a
	// request body. Nil discards.
	Logger *slog.Logger
	// Now is the clock behind Decision.LatencyUS. Nil means time.Now.
	// Deadlines always run on the runtime clock, whatever Now is.
	Now func() time.Time
}

// Checks of names the way micro validates them (micro's own regular
// expressions are unexported).
var (
	nameRE   = regexp.MustCompile(`^[A-Za-z0-9\-_]+$`)
	semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)
)

// Validate reports the first invalid field as an error wrapping ErrConfig.
// Zero values that have a default are valid.
func (c Config) Validate() error {
	d := c.withDefaults()
	switch {
	case !nameRE.MatchString(d.Name):
		return fmt.Errorf("%w: Name %q: want letters, digits, '-' and '_'", ErrConfig, c.Name)
	case !semverRE.MatchString(d.Version):
		return fmt.Errorf("%w: Version %q: want a semantic version", ErrConfig, c.Version)
	case !validSubject(d.Subject):
		return fmt.Errorf("%w: Subject %q: want dot-separated tokens without spaces or wildcards", ErrConfig, c.Subject)
	case !validSubject(d.QueueGroup):
		return fmt.Errorf("%w: QueueGroup %q: want dot-separated tokens without spaces or wildcards", ErrConfig, c.QueueGroup)
	case c.DefaultDeadline < 0:
		return fmt.Errorf("%w: DefaultDeadline %v < 0", ErrConfig, c.DefaultDeadline)
	case c.MaxDeadline < 0 || (c.MaxDeadline > 0 && c.MaxDeadline < minDeadline):
		return fmt.Errorf("%w: MaxDeadline %v: want at least %v", ErrConfig, c.MaxDeadline, minDeadline)
	case d.DefaultDeadline > d.MaxDeadline:
		return fmt.Errorf("%w: DefaultDeadline %v > MaxDeadline %v", ErrConfig, d.DefaultDeadline, d.MaxDeadline)
	case c.MaxInFlight < 0:
		return fmt.Errorf("%w: MaxInFlight %d < 0", ErrConfig, c.MaxInFlight)
	case c.Tokenizer == nil:
		return fmt.Errorf("%w: Tokenizer is required", ErrConfig)
	}
	return nil
}

// withDefaults returns c with every zero field that has a default set.
func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if c.Subject == "" {
		c.Subject = DefaultSubject
	}
	if c.QueueGroup == "" {
		c.QueueGroup = DefaultQueueGroup
	}
	if c.DefaultDeadline == 0 {
		c.DefaultDeadline = DefaultDeadline
	}
	if c.MaxDeadline == 0 {
		c.MaxDeadline = DefaultMaxDeadline
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// validSubject reports whether s is a literal NATS subject: non-empty
// dot-separated tokens without whitespace or wildcards.
func validSubject(s string) bool {
	if s == "" {
		return false
	}
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" || tok == "*" || tok == ">" {
			return false
		}
		if strings.ContainsAny(tok, " \t\r\n") {
			return false
		}
	}
	return true
}
