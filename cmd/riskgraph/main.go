// Command riskgraph is the graph-native fraud and anti-money-laundering
// engine: one binary for generating data, ingesting it into the graph, and
// inspecting the graph. Run "riskgraph --help" for the commands.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := NewMain()
	err := m.Run(ctx, os.Args[1:])
	stop()
	os.Exit(m.exitCode(err))
}

// Main is the program with its environment injected, so that tests run the
// real wiring end to end.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Now is the clock; Rand is the source of key material.
	Now  func() time.Time
	Rand io.Reader
	// Terminal reports whether w is an interactive terminal (progress bars
	// are drawn only there).
	Terminal func(w io.Writer) bool
}

// NewMain returns a Main wired to the process's standard streams.
func NewMain() *Main {
	return &Main{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Now: time.Now, Rand: rand.Reader, Terminal: isTerminal,
	}
}

// Run parses args and runs the command they name.
func (m *Main) Run(ctx context.Context, args []string) error {
	// Progress bars, the CLI's messages and the loggers of background
	// goroutines (the log consumer, the NATS server) share standard error:
	// one lock orders their writes.
	if _, ok := m.Stderr.(*syncWriter); !ok {
		mm := *m
		mm.Stderr = &syncWriter{w: m.Stderr}
		m = &mm
	}
	root := m.rootCommand()
	root.SetArgs(args)
	root.SetIn(m.Stdin)
	root.SetOut(m.Stdout)
	root.SetErr(m.Stderr)
	return root.ExecuteContext(ctx)
}

// usageError marks errors in the command line itself (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitCode maps an error to the process exit code and prints it: 0 ok,
// 1 failure, 2 bad command line, 3 some input rows rejected under --strict,
// 130 interrupted.
func (m *Main) exitCode(err error) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(m.Stderr, "riskgraph:", err)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		return 2
	case errors.Is(err, errRejected):
		return 3
	case errors.Is(err, context.Canceled):
		return 130
	}
	return 1
}

// errRejected: --strict was given and some input rows were rejected.
var errRejected = errors.New("input rows were rejected")

func isTerminal(w io.Writer) bool {
	if sw, ok := w.(*syncWriter); ok {
		w = sw.w
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
