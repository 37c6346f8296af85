# The single source of commands: CI and the README call these targets.
GO        ?= go
PKGS      ?= ./...
BENCHTIME ?= 1s
COUNT     ?= 5
FUZZTIME  ?= 60s
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
# go.mod's toolchain line names the Go release with the standard library's
# security fixes; auto fetches it through the module proxy when the local Go
# is older.
export GOTOOLCHAIN := auto
GOVULNCHECK := golang.org/x/vuln/cmd/govulncheck@v1.9.0
VULNDB_MOD  := golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018
VULNDB      ?= .cache/vulndb

.PHONY: build test vet fmt-check lint bench bench-big fuzz chaos quality demo model clean test-neo4j

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/riskgraph ./cmd/riskgraph

# vet, formatting, then every test with the race detector.
test: vet fmt-check
	$(GO) test -race -timeout 20m $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# vet, formatting, and govulncheck against the Go vulnerability database,
# built locally from the golang.org/x/vulndb module (fetched through the
# module proxy, so it works without access to vuln.go.dev).
lint: vet fmt-check $(VULNDB)/index/db.json
	$(GO) run $(GOVULNCHECK) -db file://$(abspath $(VULNDB)) ./...

$(VULNDB)/index/db.json:
	@dir=$$($(GO) mod download -json $(VULNDB_MOD) | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'); \
	rm -rf $(VULNDB) && mkdir -p $(dir $(VULNDB)) && \
	cd $$dir && GOFLAGS=-mod=mod $(GO) run ./cmd/indexdb -vulns data/osv -out $(abspath $(VULNDB))

# Benchmarks: medians over COUNT runs (pipe into benchstat for a summary).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(COUNT) $(PKGS)

# The 10M-transaction memory and snapshot figures (minutes, ~6 GiB).
bench-big:
	$(GO) test -run '^$$' -bench 'ResidentMemory|SnapshotLoad' -benchtime 1x -count 3 -timeout 60m ./graph/mem/ -mem.txns=10000000

# Every fuzz target for FUZZTIME each.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Crash without loss, full size: 1M transactions published while serve is
# SIGKILLed 20 times (make test runs 200k and 5 kills).
chaos:
	$(GO) test -run 'TestChaos' -v -count 1 -timeout 60m ./cmd/riskgraph -chaos.txns=1000000 -chaos.kills=20

# Accuracy on the public data sets beside the repo (../shared/data; skipped
# when absent): FDCompCN and AMLSim, 5 seeds each, mean ± std.
quality:
	RISKGRAPH_QUALITY=1 $(GO) test -run Quality -v -count 1 -timeout 60m ./training

# The whole product on one machine: a month of labelled traffic for 2,000
# customers, history streamed into the graph, the last two days authorized
# live over NATS, then the scorecard. Starts from a fresh data/demo.
demo: build
	rm -rf data/demo
	./bin/riskgraph demo --data-dir data/demo

# Retrain the default model embedded by gnn/defaultmodel (about 10 s).
model:
	$(GO) run ./gnn/defaultmodel/internal/mkmodel -seed 1 -out gnn/defaultmodel/model

clean:
	rm -rf bin data

# The Neo4j store's conformance suite, concurrent-ingester and CLI tests
# against a running server (see deploy/README.md), e.g.
#   NEO4J_URI=bolt://localhost:7687 NEO4J_USER=neo4j NEO4J_PASSWORD=... make test-neo4j
test-neo4j:
	@if [ -z "$$NEO4J_URI" ]; then \
	  echo "test-neo4j: NEO4J_URI is not set; start Neo4j and set NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD (see deploy/README.md)" >&2; exit 2; fi
	$(GO) test -race -count=1 -timeout 20m -run Neo4j -v ./graph/neo4j/... ./cmd/riskgraph/
