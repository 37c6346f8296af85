package neo4j

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{URI: "bolt://localhost:7687", User: "neo4j", Password: "secret"}
	tests := []struct {
		name string
		mod  func(*Config)
		want string // "" = valid; else a fragment of the error
	}{
		{"valid", func(*Config) {}, ""},
		{"routing with TLS", func(c *Config) { c.URI = "neo4j+s://db.example:7687" }, ""},
		{"no auth", func(c *Config) { c.User, c.Password = "", "" }, ""},
		{"missing URI", func(c *Config) { c.URI = "" }, "URI is required"},
		{"http scheme", func(c *Config) { c.URI = "http://localhost:7474" }, `scheme "http"`},
		{"no host", func(c *Config) { c.URI = "bolt://" }, "no host"},
		{"credentials in the URI", func(c *Config) { c.URI = "bolt://neo4j:pw@localhost" }, "carries credentials"},
		{"password without user", func(c *Config) { c.User = "" }, "Password given without User"},
		{"graph name too long", func(c *Config) { c.Graph = strings.Repeat("g", 300) }, "Graph"},
		{"negative pool", func(c *Config) { c.MaxConnectionPoolSize = -1 }, "MaxConnectionPoolSize"},
		{"negative acquisition timeout", func(c *Config) { c.ConnectionAcquisitionTimeout = -time.Second }, "ConnectionAcquisitionTimeout"},
		{"negative connect timeout", func(c *Config) { c.ConnectTimeout = -time.Second }, "ConnectTimeout"},
		{"negative retry time", func(c *Config) { c.MaxTransactionRetryTime = -time.Second }, "MaxTransactionRetryTime"},
		{"negative fetch size", func(c *Config) { c.FetchSize = -1 }, "FetchSize"},
		{"batch too large", func(c *Config) { c.BatchSize = MaxBatchSize + 1 }, "BatchSize"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mod(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want ErrInvalidConfig mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "pw@") || strings.Contains(err.Error(), "secret") {
				t.Errorf("Validate leaks a password: %v", err)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	got := Config{URI: "bolt://x"}.withDefaults()
	want := Config{
		URI: "bolt://x", Graph: DefaultGraph, MaxConnectionPoolSize: DefaultMaxConnectionPoolSize,
		ConnectionAcquisitionTimeout: DefaultConnectionAcquisitionTimeout, ConnectTimeout: DefaultConnectTimeout,
		MaxTransactionRetryTime: DefaultMaxTransactionRetryTime, FetchSize: DefaultFetchSize, BatchSize: DefaultBatchSize,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}
