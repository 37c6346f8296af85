package natsd

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// logAdapter turns nats-server's printf-style Logger into slog records and
// remembers the first fatal message, which is how the server reports that
// JetStream could not start.
type logAdapter struct {
	l *slog.Logger // nil: discard

	mu        sync.Mutex
	fatalText string

	// gate orders log calls before close: the server's goroutines can
	// still log while they wind down after Shutdown, and nothing may
	// reach the caller's writer once Shutdown has returned.
	gate   sync.RWMutex
	closed bool
}

// close stops forwarding; it returns once no call is writing.
func (a *logAdapter) close() {
	a.gate.Lock()
	a.closed = true
	a.gate.Unlock()
}

func (a *logAdapter) debugEnabled() bool {
	return a.l != nil && a.l.Enabled(context.Background(), slog.LevelDebug)
}

func (a *logAdapter) log(level slog.Level, format string, v []any) {
	if a.l == nil || !a.l.Enabled(context.Background(), level) {
		return
	}
	a.gate.RLock()
	defer a.gate.RUnlock()
	if a.closed {
		return
	}
	a.l.Log(context.Background(), level, fmt.Sprintf(format, v...), slog.String("component", "nats-server"))
}

func (a *logAdapter) fatal() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.fatalText
}

func (a *logAdapter) Noticef(format string, v ...any) { a.log(slog.LevelInfo, format, v) }
func (a *logAdapter) Warnf(format string, v ...any)   { a.log(slog.LevelWarn, format, v) }
func (a *logAdapter) Errorf(format string, v ...any)  { a.log(slog.LevelError, format, v) }
func (a *logAdapter) Debugf(format string, v ...any)  { a.log(slog.LevelDebug, format, v) }
func (a *logAdapter) Tracef(format string, v ...any)  { a.log(slog.LevelDebug-4, format, v) }

// Fatalf records the message (Start reports it) and logs it at Error. Unlike
// nats-server's own logger it never exits the process.
func (a *logAdapter) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	a.mu.Lock()
	if a.fatalText == "" {
		a.fatalText = msg
	}
	a.mu.Unlock()
	a.log(slog.LevelError, "%s", []any{msg})
}
