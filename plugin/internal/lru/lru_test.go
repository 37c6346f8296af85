package lru_test

import (
	"testing"

	"github.com/riskgraph/riskgraph/plugin/internal/lru"
)

func TestEvictsLeastRecentlyUpdated(t *testing.T) {
	m := lru.New[int](2)
	m.Put("a", 1)
	m.Put("b", 2)
	m.Put("a", 3) // a is now the most recent
	if evicted := m.Put("c", 4); !evicted {
		t.Error("a third key into a map of two evicted nothing")
	}
	if _, ok := m.Get("b"); ok {
		t.Error("b, the least recently updated, survived")
	}
	if v, ok := m.Get("a"); !ok || v != 3 {
		t.Errorf("a = %d, %v; want 3", v, ok)
	}
	if m.Len() != 2 {
		t.Errorf("Len = %d, want 2", m.Len())
	}
}
