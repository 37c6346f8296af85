package natsdtest_test

import (
	"testing"
	"time"

	"github.com/riskgraph/riskgraph/natsd/natsdtest"
)

func TestConnRoundTrip(t *testing.T) {
	nc := natsdtest.Conn(t)
	sub, err := nc.SubscribeSync("ping")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("ping", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "x" {
		t.Fatalf("round trip: %v, %v", m, err)
	}
}
