package investigate

import (
	"context"
	"fmt"
	"slices"

	"github.com/riskgraph/riskgraph/graph"
)

// owns reports whether an entity across edge e is on the paying side of a
// transaction: everything but the receiving account and the merchant.
func owns(e graph.EdgeKind) bool { return e != graph.EdgeTo && e != graph.EdgeAt }

// parent is how a breadth-first search first reached a node.
type parent struct {
	node graph.NodeRef
	link Link
}

// sharedPaths finds the shortest chains of shared identifiers between a
// and b by a breadth-first search from a, keeping every shortest parent so
// that all shortest paths (up to MaxPaths) can be listed.
func (inv *Investigator) sharedPaths(ctx context.Context, a, b graph.NodeRef, cache *txnCache) ([]SharedPath, bool, error) {
	if !inv.shared[a.Kind] || !inv.shared[b.Kind] {
		return nil, false, nil
	}
	level := map[graph.NodeRef]int{a: 0}
	parents := map[graph.NodeRef][]parent{}
	frontier := []graph.NodeRef{a}
	cut := false
	var nb []graph.Neighbor
	found := false
	for depth := 1; depth <= inv.cfg.MaxDepth && len(frontier) > 0 && !found; depth++ {
		var next []graph.NodeRef
		for _, x := range frontier {
			roles, buf, more, err := inv.txnsOf(ctx, x, nb)
			nb = buf
			if err != nil {
				return nil, cut, err
			}
			cut = cut || more
			for _, r := range roles {
				if !owns(r.edge) {
					continue
				}
				t, err := cache.txn(ctx, r.txn)
				if err != nil {
					return nil, cut, err
				}
				for _, e := range graph.EdgeKinds() {
					id := t.Entity(e)
					if id == "" || !owns(e) || !inv.shared[e.Target()] {
						continue
					}
					y := graph.Ref(e.Target(), id)
					if y == x {
						continue
					}
					d, seen := level[y]
					switch {
					case !seen:
						if len(level) >= inv.cfg.MaxNodes {
							cut = true
							continue
						}
						level[y] = depth
						next = append(next, y)
					case d != depth:
						continue
					}
					if !slices.ContainsFunc(parents[y], func(p parent) bool { return p.node == x }) {
						parents[y] = append(parents[y], parent{node: x, link: Link{Txn: t.ID, Time: t.Time}})
					}
					if y == b {
						found = true
					}
				}
			}
		}
		frontier = next
	}
	if !found {
		return nil, cut, nil
	}
	var out []SharedPath
	var walk func(y graph.NodeRef, nodes []graph.NodeRef, links []Link)
	walk = func(y graph.NodeRef, nodes []graph.NodeRef, links []Link) {
		if len(out) >= inv.cfg.MaxPaths {
			cut = true
			return
		}
		if y == a {
			p := SharedPath{Nodes: append([]graph.NodeRef{a}, nodes...), Links: slices.Clone(links)}
			slices.Reverse(p.Nodes[1:])
			slices.Reverse(p.Links)
			out = append(out, p)
			return
		}
		for _, p := range parents[y] {
			walk(p.node, append(nodes, y), append(links, p.link))
		}
	}
	walk(b, nil, nil)
	if len(out) == 0 {
		return nil, cut, fmt.Errorf("investigate: shared paths %s–%s: broken parent chain", a, b)
	}
	return out, cut, nil
}
