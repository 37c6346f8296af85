package neo4j

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	driver "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/riskgraph/riskgraph/graph"
)

// Sentinel errors of package neo4j, besides the graph contract's own
// (graph.ErrUnavailable, graph.ErrInvalid, …), which every error from the
// server or the network is mapped onto. Callers test with errors.Is.
var (
	// ErrInvalidConfig: a Config field is out of range, or the database
	// it names does not exist (the error says which).
	ErrInvalidConfig = errors.New("neo4j: invalid config")
	// ErrAuth: the server refused the credentials or the user lacks a
	// privilege. Retrying cannot help.
	ErrAuth = errors.New("neo4j: authentication or authorisation failed")
	// ErrStatement: the server refused a statement as malformed or
	// unsupported (an incompatible server version, a schema conflict, or a
	// bug in this package). Retrying cannot help; the data is not at
	// fault.
	ErrStatement = errors.New("neo4j: statement rejected by the server")
)

// sentinelOf returns the sentinel a driver or server error maps onto, or
// nil for context errors (which are reported as themselves).
func sentinelOf(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	var n4 *driver.Neo4jError
	if errors.As(err, &n4) {
		return sentinelOfCode(n4.Code)
	}
	var (
		conn  *driver.ConnectivityError
		limit *driver.TransactionExecutionLimit
		auth  *driver.InvalidAuthenticationError
		usage *driver.UsageError
		nerr  net.Error
	)
	switch {
	case errors.As(err, &conn), errors.As(err, &limit), errors.As(err, &nerr),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return graph.ErrUnavailable
	case errors.As(err, &auth):
		return ErrAuth
	case errors.As(err, &usage):
		return ErrStatement
	}
	// Anything else failed between us and the server: transient as far as
	// the caller can tell.
	return graph.ErrUnavailable
}

// sentinelOfCode classifies a server status code
// (Neo.<Classification>.<Category>.<Title>).
func sentinelOfCode(code string) error {
	parts := strings.Split(code, ".")
	if len(parts) != 4 || parts[0] != "Neo" {
		return graph.ErrUnavailable
	}
	class, category, title := parts[1], parts[2], parts[3]
	switch class {
	case "TransientError", "DatabaseError":
		return graph.ErrUnavailable
	case "ClientError":
	default:
		return graph.ErrUnavailable
	}
	switch category {
	case "Security":
		if title == "AuthorizationExpired" {
			return graph.ErrUnavailable // the driver re-authenticates
		}
		return ErrAuth
	case "Schema":
		if title == "ConstraintValidationFailed" {
			return graph.ErrInvalid
		}
		return ErrStatement
	case "Statement":
		switch title {
		case "SyntaxError", "SemanticError", "ParameterMissing", "NotSystemDatabaseError",
			"RuntimeUnsupportedError", "UnsupportedOperationError":
			return ErrStatement
		case "AccessMode":
			return graph.ErrUnavailable // a write reached a read replica: routing catches up
		}
		return graph.ErrInvalid // TypeError, ArgumentError, ArithmeticError, …: the values
	case "Request":
		return ErrStatement
	case "Database":
		if title == "DatabaseNotFound" {
			return ErrInvalidConfig
		}
		return graph.ErrUnavailable
	case "Transaction", "Cluster", "General":
		return graph.ErrUnavailable // timeouts, terminated transactions, leader switches, read-only
	}
	return graph.ErrInvalid
}

// wrapErr puts context on a driver error and maps it onto the sentinels:
// "neo4j: <op>: <sentinel>: <driver error>". A store closed meanwhile
// reports graph.ErrClosed.
func (s *Store) wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() {
		return fmt.Errorf("neo4j: %s: %w", op, graph.ErrClosed)
	}
	return wrapDriverErr(op, err)
}

func wrapDriverErr(op string, err error) error {
	for _, own := range []error{graph.ErrNotFound, graph.ErrInvalid, graph.ErrCorrupt, graph.ErrClosed,
		graph.ErrUnavailable, ErrInvalidConfig, ErrAuth, ErrStatement} {
		if errors.Is(err, own) {
			return fmt.Errorf("neo4j: %s: %w", op, err) // already classified
		}
	}
	sentinel := sentinelOf(err)
	if sentinel == nil {
		return fmt.Errorf("neo4j: %s: %w", op, err)
	}
	return fmt.Errorf("neo4j: %s: %w: %w", op, sentinel, err)
}
