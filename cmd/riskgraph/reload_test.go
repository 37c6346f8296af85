package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// Rewriting the rules file while load runs: every request is answered, and
// the replies move from the old version to the new one.
func TestServeReloadsRulesUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run; skipped with -short")
	}
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	def, _ := os.ReadFile(filepath.Join("..", "..", "rules", "default.yaml"))
	rulesPath := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rulesPath, def, 0o600)

	natsURL, _, stopServe := startServe(t, "--data-dir", dataDir, "--nats-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
		"--rules", rulesPath, "--rules-poll", "20ms")
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	versions := map[string]int{}
	var mu sync.Mutex
	failed := 0
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := `{"id":"r` + strconv.Itoa(w) + "-" + strconv.Itoa(i) + `","time":"2026-02-01T10:00:00Z","amount":10,"user":"u1"}`
				msg, err := nc.Request("riskgraph.v1.authorize", []byte(body), 5*time.Second)
				mu.Lock()
				if err != nil || msg.Header.Get("Nats-Service-Error-Code") != "" {
					failed++
				} else {
					var d struct{ Rules string }
					json.Unmarshal(msg.Data, &d)
					versions[d.Rules]++
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	os.WriteFile(rulesPath, []byte(strings.Replace(string(def), `version: "2026-11-26.1"`, `version: "2026-11-26.2"`, 1)), 0o600)
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return versions["2026-11-26.2"] > 50 })
	// An invalid file is refused: the new version stays in force.
	os.WriteFile(rulesPath, []byte("version: 3\nbands: nope\n"), 0o600)
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	before := versions["2026-11-26.2"]
	mu.Unlock()
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return versions["2026-11-26.2"] > before+50 })
	close(stop)
	wg.Wait()
	if err := stopServe(); err != nil {
		t.Fatalf("serve exited with %v", err)
	}
	if failed != 0 || versions["2026-11-26.1"] == 0 || versions["2026-11-26.2"] == 0 || len(versions) != 2 {
		t.Errorf("%d failed requests; replies by rules version %v", failed, versions)
	}
}
