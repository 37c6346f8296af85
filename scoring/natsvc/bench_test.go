package natsvc_test

import (
	"testing"

	"github.com/riskgraph/riskgraph/scoring/natsvc"
)

// BenchmarkAuthorize measures a whole round trip over the embedded server
// (in-process connections): request, decode, a trivial Authorizer, the
// JSON reply. serial is one caller waiting for each reply (latency);
// parallel is GOMAXPROCS callers (throughput).
func BenchmarkAuthorize(b *testing.B) {
	s := server(b)
	start(b, s, approve, natsvc.Config{})
	nc := connect(b, s)
	body := []byte(`{"id":"t-000123","time":"2024-01-02T03:04:05Z","amount":12.5,"currency":"EUR","kind":"card",` +
		`"user":"u1","account":"a1","card":"4111111111111111","device":"d1","ip":"192.0.2.1","merchant":"m1",` +
		`"mcc":"5411","country":"GB","channel":"web","deadline_ms":200}`)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, err := nc.Request(natsvc.DefaultSubject, body, callTimeout)
			if err != nil {
				b.Fatal(err)
			}
			if len(m.Header) != 0 {
				b.Fatalf("error reply %v", m.Header)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m, err := nc.Request(natsvc.DefaultSubject, body, callTimeout)
				if err != nil {
					b.Error(err)
					return
				}
				if len(m.Header) != 0 {
					b.Errorf("error reply %v", m.Header)
					return
				}
			}
		})
	})
}
