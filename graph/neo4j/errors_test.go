package neo4j

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	driver "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/riskgraph/riskgraph/graph"
)

func TestErrorMapping(t *testing.T) {
	code := func(c string) error { return &driver.Neo4jError{Code: c, Msg: "server says no"} }
	tests := []struct {
		name string
		err  error
		want error // nil: reported as itself (context errors)
	}{
		{"connection refused", &driver.ConnectivityError{Inner: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, graph.ErrUnavailable},
		{"retries exhausted", &driver.TransactionExecutionLimit{Cause: "timeout", Errors: []error{code("Neo.TransientError.Transaction.DeadlockDetected")}}, graph.ErrUnavailable},
		{"deadlock", code("Neo.TransientError.Transaction.DeadlockDetected"), graph.ErrUnavailable},
		{"database error", code("Neo.DatabaseError.General.UnknownError"), graph.ErrUnavailable},
		{"leader switch", code("Neo.ClientError.Cluster.NotALeader"), graph.ErrUnavailable},
		{"read-only database", code("Neo.ClientError.General.ForbiddenOnReadOnlyDatabase"), graph.ErrUnavailable},
		{"transaction timed out", code("Neo.ClientError.Transaction.TransactionTimedOut"), graph.ErrUnavailable},
		{"write on a follower", code("Neo.ClientError.Statement.AccessMode"), graph.ErrUnavailable},
		{"authorization expired", code("Neo.ClientError.Security.AuthorizationExpired"), graph.ErrUnavailable},
		{"constraint violated", code("Neo.ClientError.Schema.ConstraintValidationFailed"), graph.ErrInvalid},
		{"type error", code("Neo.ClientError.Statement.TypeError"), graph.ErrInvalid},
		{"argument error", code("Neo.ClientError.Statement.ArgumentError"), graph.ErrInvalid},
		{"unknown client error", code("Neo.ClientError.Made.Up"), graph.ErrInvalid},
		{"syntax error", code("Neo.ClientError.Statement.SyntaxError"), ErrStatement},
		{"missing parameter", code("Neo.ClientError.Statement.ParameterMissing"), ErrStatement},
		{"schema conflict", code("Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists"), ErrStatement},
		{"bad request", code("Neo.ClientError.Request.Invalid"), ErrStatement},
		{"wrong password", code("Neo.ClientError.Security.Unauthorized"), ErrAuth},
		{"no privilege", code("Neo.ClientError.Security.Forbidden"), ErrAuth},
		{"no such database", code("Neo.ClientError.Database.DatabaseNotFound"), ErrInvalidConfig},
		{"malformed code", code("garbage"), graph.ErrUnavailable},
		{"driver misuse", &driver.UsageError{Message: "unsupported type"}, ErrStatement},
		{"bad credentials", &driver.InvalidAuthenticationError{}, ErrAuth},
		{"connection dropped", io.EOF, graph.ErrUnavailable},
		{"unknown error", errors.New("something else"), graph.ErrUnavailable},
		{"wrapped server error", fmt.Errorf("in tx: %w", code("Neo.TransientError.General.MemoryPoolOutOfMemoryError")), graph.ErrUnavailable},
		{"cancelled", context.Canceled, nil},
		{"deadline", fmt.Errorf("waiting: %w", context.DeadlineExceeded), nil},
	}
	sentinels := []error{graph.ErrUnavailable, graph.ErrInvalid, graph.ErrNotFound, graph.ErrClosed, ErrStatement, ErrAuth, ErrInvalidConfig}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := wrapDriverErr("apply", tc.err)
			if !errors.Is(got, tc.err) {
				t.Errorf("%v does not wrap the driver's error", got)
			}
			if !strings.HasPrefix(got.Error(), "neo4j: apply: ") {
				t.Errorf("%q does not say where it happened", got)
			}
			for _, s := range sentinels {
				if errors.Is(got, s) != (s == tc.want) {
					t.Errorf("errors.Is(%v, %v) = %v", got, s, errors.Is(got, s))
				}
			}
			if tc.want == nil && !errors.Is(got, context.Canceled) && !errors.Is(got, context.DeadlineExceeded) {
				t.Errorf("%v lost its context error", got)
			}
		})
	}
}

func TestErrorMappingKeepsOwnErrors(t *testing.T) {
	own := fmt.Errorf("decoding: %w", shapeErr("3 records, want 1"))
	got := wrapDriverErr("stats", own)
	if !errors.Is(got, ErrStatement) || errors.Is(got, graph.ErrUnavailable) {
		t.Errorf("wrapDriverErr(%v) = %v: an error already classified must keep its class only", own, got)
	}
}

func TestErrorAfterCloseIsClosed(t *testing.T) {
	s := offline(t)
	s.closed.Store(true)
	err := s.wrapErr("node", &driver.UsageError{Message: "Trying to create session on closed driver"})
	if !errors.Is(err, graph.ErrClosed) {
		t.Errorf("an error racing Close = %v, want ErrClosed", err)
	}
}

func TestCreatedMeanwhile(t *testing.T) {
	for code, want := range map[string]bool{
		"Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists": true,
		"Neo.ClientError.Schema.ConstraintAlreadyExists":           true,
		"Neo.ClientError.Schema.ConstraintWithNameAlreadyExists":   false, // another definition under our name
		"Neo.TransientError.Transaction.DeadlockDetected":          false,
	} {
		if got := createdMeanwhile(fmt.Errorf("init: %w", &driver.Neo4jError{Code: code})); got != want {
			t.Errorf("createdMeanwhile(%s) = %v, want %v", code, got, want)
		}
	}
	if createdMeanwhile(errors.New("other")) {
		t.Error("createdMeanwhile(non-server error) = true")
	}
}
