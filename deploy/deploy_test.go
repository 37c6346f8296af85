// Package deploy_test checks the deployment files: the NATS configuration
// parses with the nats-server version riskgraph embeds and asks for the
// durability the README promises, and the compose file wires the services
// it documents without a secret in it.
package deploy_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"gopkg.in/yaml.v3"
)

func TestNATSConfigIsDurable(t *testing.T) {
	for _, name := range []string{"nats-1", "nats-2", "nats-3"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("SERVER_NAME", name)
			opts, err := server.ProcessConfigFile("nats/nats.conf")
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case opts.ServerName != name:
				t.Errorf("server_name = %q, want %q from the environment", opts.ServerName, name)
			case !opts.JetStream || opts.StoreDir == "":
				t.Error("JetStream with a file store is off")
			case !opts.SyncAlways:
				t.Error("jetstream.sync_interval is not always: an acknowledged message could be lost in a power cut")
			case opts.Cluster.Name == "" || len(opts.Routes) != 3:
				t.Errorf("cluster %q with %d routes, want a named cluster of 3", opts.Cluster.Name, len(opts.Routes))
			}
		})
	}
}

type compose struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   map[string]any    `yaml:"depends_on"`
	} `yaml:"services"`
}

func TestComposeWiring(t *testing.T) {
	raw, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"nats-1", "nats-2", "nats-3", "neo4j", "riskgraph-init", "riskgraph-sync", "riskgraph"} {
		if _, ok := c.Services[want]; !ok {
			t.Errorf("no service %s", want)
		}
	}
	for _, n := range []string{"nats-1", "nats-2", "nats-3"} {
		s := c.Services[n]
		if s.Environment["SERVER_NAME"] != n || !slices.Contains(s.Volumes, "./nats/nats.conf:/etc/nats/nats.conf:ro") {
			t.Errorf("%s does not run nats/nats.conf as itself", n)
		}
	}
	serve := strings.Join(c.Services["riskgraph"].Command, " ")
	for _, want := range []string{"serve", "--nats-url nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222", "--stream-replicas 3", "--neo4j-uri bolt://neo4j:7687", "--profile production"} {
		if !strings.Contains(serve, want) {
			t.Errorf("riskgraph replicas run %q, want %q in it", serve, want)
		}
	}
	sync := strings.Join(c.Services["riskgraph-sync"].Command, " ")
	for _, want := range []string{"neo4j sync", "--follow", "--pan-key-file", "--neo4j-uri bolt://neo4j:7687"} {
		if !strings.Contains(sync, want) {
			t.Errorf("riskgraph-sync runs %q, want %q in it", sync, want)
		}
	}
	// The password only ever comes from the environment of whoever runs
	// compose, never from the file.
	for name, s := range c.Services {
		for k, v := range s.Environment {
			if strings.Contains(strings.ToLower(k), "password") || k == "NEO4J_AUTH" {
				if !strings.Contains(v, "${NEO4J_PASSWORD") {
					t.Errorf("%s: %s = %q is not taken from $NEO4J_PASSWORD", name, k, v)
				}
			}
		}
		for _, arg := range s.Command {
			if strings.Contains(arg, "password") && arg != "--neo4j-password-file" {
				t.Errorf("%s: a password on the command line (%q)", name, arg)
			}
		}
	}
}
