package natsd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Sentinel errors of package natsd; callers test with errors.Is.
var (
	// ErrInvalidConfig: a Config field is out of range (the error names it).
	ErrInvalidConfig = errors.New("natsd: invalid config")
	// ErrStart: the server or its JetStream subsystem did not come up.
	ErrStart = errors.New("natsd: server did not start")
	// ErrShutdown: the server has been shut down.
	ErrShutdown = errors.New("natsd: server shut down")
)

// Defaults applied by Start to zero Config fields.
const (
	DefaultServerName   = "riskgraph"
	DefaultStartTimeout = 10 * time.Second
)

// Config configures an embedded server. The zero value is not valid:
// StoreDir is required.
type Config struct {
	// StoreDir is the JetStream file store directory (created if missing).
	// Required. Two servers must never share one.
	StoreDir string

	// Listen is the client listen address as host:port. Empty (the default)
	// opens no network listener at all: clients connect in-process through
	// Server.Connect. Port 0 picks a free port; ClientURL reports it.
	Listen string

	// ServerName names the server in logs and JetStream metadata.
	// Default DefaultServerName.
	ServerName string

	// MaxMemory and MaxStore cap JetStream memory and file storage, in
	// bytes. 0 (the default) lets the server size them (75% of RAM and of
	// the free disk under StoreDir). Negative values are invalid.
	MaxMemory, MaxStore int64

	// SyncInterval is how often the file store is fsynced. 0 (the default)
	// means sync_always: every message is fsynced before it is
	// acknowledged, so an acknowledged message survives a power cut. That
	// costs one fsync per message (nats-server 2.15), which caps publishing
	// at the disk's fsync rate (measured on a cloud VM: ~11k msgs/s with
	// sync always, ~52k with an interval). With a positive interval an
	// acknowledged message has still been written to the OS before the
	// acknowledgement (single-replica streams flush in place), so it
	// survives a crash of the process, but not a crash of the machine, for
	// up to one interval. nats-server's own default is 2m.
	SyncInterval time.Duration

	// StartTimeout bounds how long Start waits for the server to accept
	// connections. Default DefaultStartTimeout.
	StartTimeout time.Duration

	// Logger receives the server's log lines (notices at Info, warnings at
	// Warn, errors at Error, debug lines at Debug when the handler enables
	// Debug). Nil (the default) discards them.
	Logger *slog.Logger
}

// Validate reports the first invalid field as an error wrapping
// ErrInvalidConfig. Zero values that have a default are valid.
func (c Config) Validate() error {
	switch {
	case c.StoreDir == "":
		return fmt.Errorf("%w: StoreDir is required", ErrInvalidConfig)
	case c.MaxMemory < 0:
		return fmt.Errorf("%w: MaxMemory %d < 0", ErrInvalidConfig, c.MaxMemory)
	case c.MaxStore < 0:
		return fmt.Errorf("%w: MaxStore %d < 0", ErrInvalidConfig, c.MaxStore)
	case c.SyncInterval < 0:
		return fmt.Errorf("%w: SyncInterval %v < 0", ErrInvalidConfig, c.SyncInterval)
	case c.StartTimeout < 0:
		return fmt.Errorf("%w: StartTimeout %v < 0", ErrInvalidConfig, c.StartTimeout)
	}
	if c.Listen != "" {
		if _, _, err := splitListen(c.Listen); err != nil {
			return err
		}
	}
	return nil
}

// splitListen parses host:port; port 0 becomes nats-server's random port.
func splitListen(s string) (string, int, error) {
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("%w: Listen %q: %v", ErrInvalidConfig, s, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("%w: Listen %q: port must be 0..65535", ErrInvalidConfig, s)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if host == "" {
		host = "0.0.0.0"
	}
	return host, port, nil
}

// Server is a running embedded NATS server with JetStream.
type Server struct {
	ns     *server.Server
	listen bool
	log    *logAdapter
	once   sync.Once
}

// Start starts a server with JetStream on a file store and waits until it
// accepts connections, for at most Config.StartTimeout and never past ctx.
// On failure nothing is left running.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ServerName == "" {
		cfg.ServerName = DefaultServerName
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = DefaultStartTimeout
	}
	opts := &server.Options{
		ServerName:         cfg.ServerName,
		JetStream:          true,
		StoreDir:           cfg.StoreDir,
		JetStreamMaxMemory: cfg.MaxMemory,
		JetStreamMaxStore:  cfg.MaxStore,
		SyncAlways:         cfg.SyncInterval == 0,
		SyncInterval:       cfg.SyncInterval,
		NoSigs:             true,
		DontListen:         cfg.Listen == "",
	}
	if opts.SyncAlways {
		// The config-file form (sync: always) sets both; mirror it.
		opts.SyncInterval = 0
	}
	if cfg.Listen != "" {
		host, port, err := splitListen(cfg.Listen)
		if err != nil {
			return nil, err
		}
		opts.Host, opts.Port = host, port
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	la := &logAdapter{l: cfg.Logger}
	ns.SetLoggerV2(la, la.debugEnabled(), false, false)

	ns.Start()
	deadline := time.Now().Add(cfg.StartTimeout)
	for !ns.ReadyForConnections(50 * time.Millisecond) {
		if msg := la.fatal(); msg != "" {
			ns.Shutdown()
			ns.WaitForShutdown()
			return nil, fmt.Errorf("%w: %s", ErrStart, msg)
		}
		if err := ctx.Err(); err != nil {
			ns.Shutdown()
			ns.WaitForShutdown()
			return nil, fmt.Errorf("%w: %w", ErrStart, err)
		}
		if time.Now().After(deadline) {
			ns.Shutdown()
			ns.WaitForShutdown()
			return nil, fmt.Errorf("%w: not ready after %v", ErrStart, cfg.StartTimeout)
		}
	}
	// JetStream failing to start is logged (Fatalf) rather than returned,
	// and the server then serves core NATS only: refuse that.
	if !ns.JetStreamEnabled() {
		msg := la.fatal()
		if msg == "" {
			msg = "JetStream not enabled"
		}
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("%w: %s", ErrStart, msg)
	}
	return &Server{ns: ns, listen: cfg.Listen != "", log: la}, nil
}

// Connect opens an in-process client connection, with or without a
// listener: the process's own traffic (requests, replies, the log's
// writes and acks) then skips the loopback socket and its system calls,
// while network clients reach the same server at ClientURL. opts are
// applied after riskgraph's own (a client name) so callers can override
// them. The caller closes the connection. An in-process connection closes
// for good when the server shuts down; it never reconnects.
func (s *Server) Connect(opts ...nats.Option) (*nats.Conn, error) {
	if !s.ns.Running() {
		return nil, ErrShutdown
	}
	all := make([]nats.Option, 0, len(opts)+2)
	all = append(all, nats.Name(s.ns.Name()))
	all = append(all, nats.InProcessServer(s.ns))
	all = append(all, opts...)
	nc, err := nats.Connect("", all...)
	if err != nil {
		return nil, fmt.Errorf("natsd: connect: %w", err)
	}
	return nc, nil
}

// ClientURL returns the nats:// URL other processes connect to, or "" when
// the server has no listener (Config.Listen empty).
func (s *Server) ClientURL() string {
	if !s.listen {
		return ""
	}
	return s.ns.ClientURL()
}

// Shutdown stops the server and waits until it has stopped: client
// connections are closed (in-flight requests fail), JetStream flushes and
// closes its file store. Safe to call more than once and concurrently.
func (s *Server) Shutdown() {
	s.once.Do(func() {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
		s.log.close()
	})
}
