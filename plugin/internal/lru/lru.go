// Package lru is the bounded, least-recently-updated map the reference
// plug-ins keep their per-subject state in.
package lru

import "container/list"

// Map is a map bounded to a capacity that evicts the least recently
// updated entry. Not safe for concurrent use: callers lock.
type Map[V any] struct {
	cap   int
	ll    *list.List // front: most recent; values *lruEntry[V]
	items map[string]*list.Element
}

type lruEntry[V any] struct {
	key string
	val V
}

// New returns an empty Map holding at most capacity entries.
func New[V any](capacity int) *Map[V] {
	return &Map[V]{cap: capacity, ll: list.New(), items: make(map[string]*list.Element)}
}

// Get returns the value of key without changing its recency.
func (c *Map[V]) Get(key string) (V, bool) {
	if e, ok := c.items[key]; ok {
		return e.Value.(*lruEntry[V]).val, true
	}
	var zero V
	return zero, false
}

// Put stores v under key, makes it the most recent and reports whether an
// older entry was evicted.
func (c *Map[V]) Put(key string, v V) (evicted bool) {
	if e, ok := c.items[key]; ok {
		e.Value.(*lruEntry[V]).val = v
		c.ll.MoveToFront(e)
		return false
	}
	c.items[key] = c.ll.PushFront(&lruEntry[V]{key, v})
	if c.ll.Len() > c.cap {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*lruEntry[V]).key)
		return true
	}
	return false
}

func (c *Map[V]) Len() int { return c.ll.Len() }
