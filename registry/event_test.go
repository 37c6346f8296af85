package registry_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/registry"
)

// FuzzDecodeEvent: any bytes decode to an event or an ErrCorrupt, never a
// panic; an event that decodes encodes again to the same event.
func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(`{"seq":1,"time":"2026-05-01T09:00:00Z","actor":"a","action":"add","model":"m@0123456789ab","after":{}}`))
	f.Add([]byte(`{"seq":3,"time":"2026-05-01T09:00:00Z","actor":"a","action":"rollback","model":"m@0123456789ab","replaced":"n@0123456789ab","after":{"champion":"m@0123456789ab","previous":["x@0123456789ab"]}}`))
	f.Add([]byte(`{"seq":2,"time":"2026-05-01T09:0`))
	f.Add([]byte(`{"seq":1,"time":"2026-05-01T09:00:00Z","actor":"a","action":"add","extra":1}`))
	f.Add([]byte(`{} {}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := registry.DecodeEvent(b)
		if err != nil {
			return
		}
		again, err := registry.EncodeEvent(ev)
		if err != nil {
			t.Fatalf("decoded event does not encode: %v", err)
		}
		ev2, err := registry.DecodeEvent(again)
		if err != nil {
			t.Fatalf("re-encoded event does not decode: %v", err)
		}
		if diff := cmp.Diff(ev, ev2); diff != "" {
			t.Errorf("round trip (-first +second):\n%s", diff)
		}
	})
}
