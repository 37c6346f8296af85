package typology

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/exp/rand"
	gg "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/topo"

	"github.com/riskgraph/riskgraph/graph"
)

// Shared-identifier rings: users linked by the identifiers they share. The
// links form a bipartite graph, users on one side and identifiers on the
// other; an identifier used by more than MaxUsersPerID users is public and
// links nobody. A ring is a connected component of that graph
// (gonum's topo.ConnectedComponents) with MinUsers users or more; a
// component with more than MaxMembers users is split into its communities
// by Louvain modularity optimisation (Blondel et al., 2008; gonum's
// community.Modularize) and each community with MinUsers users is a ring.

// bipartite is a user–identifier graph: node i is refs[i]; links join a
// user to an identifier through the first transaction seen linking them.
type bipartite struct {
	refs  []graph.NodeRef
	index map[graph.NodeRef]int64
	links []link
}

// link is one user–identifier pair and its first linking transaction.
type link struct {
	user, id int64
	txn      string
	t        int64
	amt      float64
}

func newBipartite() *bipartite { return &bipartite{index: make(map[graph.NodeRef]int64)} }

func (b *bipartite) node(ref graph.NodeRef) int64 {
	if i, ok := b.index[ref]; ok {
		return i
	}
	i := int64(len(b.refs))
	b.refs = append(b.refs, ref)
	b.index[ref] = i
	return i
}

// group is a set of bipartite nodes: a component or a community.
type group struct {
	nodes     []int64 // users first, then identifiers, each by ref
	users     int
	community bool
}

// groups returns the rings of b: its components, those with more than
// maxUsers users split into communities, keeping those with at least
// minUsers users (the component or community of keep, when keep ≥ 0,
// whatever its size). The result is in a deterministic order.
func (b *bipartite) groups(minUsers, maxUsers int, resolution float64, seed uint64, keep int64) []group {
	g := simple.NewUndirectedGraph()
	for i := range b.refs {
		g.AddNode(simple.Node(int64(i)))
	}
	for _, l := range b.links {
		if !g.HasEdgeBetween(l.user, l.id) {
			g.SetEdge(simple.Edge{F: simple.Node(l.user), T: simple.Node(l.id)})
		}
	}
	var out []group
	for _, comp := range topo.ConnectedComponents(g) {
		grp := b.group(comp, false)
		wanted := grp.users >= minUsers || containsNode(comp, keep)
		if !wanted {
			continue
		}
		if grp.users <= maxUsers {
			out = append(out, grp)
			continue
		}
		sub := simple.NewUndirectedGraph()
		for _, n := range comp {
			sub.AddNode(n)
		}
		for _, n := range comp {
			for _, m := range gg.NodesOf(g.From(n.ID())) {
				if n.ID() < m.ID() {
					sub.SetEdge(simple.Edge{F: n, T: m})
				}
			}
		}
		red := community.Modularize(sub, resolution, rand.NewSource(seed))
		for _, c := range red.Communities() {
			cg := b.group(c, true)
			if cg.users >= minUsers || containsNode(c, keep) {
				out = append(out, cg)
			}
		}
	}
	slices.SortFunc(out, func(x, y group) int { return cmp.Compare(x.nodes[0], y.nodes[0]) })
	return out
}

func containsNode(ns []gg.Node, id int64) bool {
	return id >= 0 && slices.ContainsFunc(ns, func(n gg.Node) bool { return n.ID() == id })
}

// group sorts the nodes of ns, users first.
func (b *bipartite) group(ns []gg.Node, community bool) group {
	grp := group{nodes: make([]int64, len(ns)), community: community}
	for i, n := range ns {
		grp.nodes[i] = n.ID()
		if b.refs[n.ID()].Kind == graph.KindUser {
			grp.users++
		}
	}
	slices.SortFunc(grp.nodes, func(x, y int64) int { return compareRefs(b.refs[x], b.refs[y]) })
	return grp
}

// compareRefs orders users first, then by kind, then by id.
func compareRefs(a, b graph.NodeRef) int {
	au, bu := a.Kind != graph.KindUser, b.Kind != graph.KindUser
	if au != bu {
		if bu {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// ringDetector gathers the user–identifier links of a transaction scan
// for Detect.
type ringDetector struct {
	cfg  RingConfig
	b    *bipartite
	seen map[[2]int64]struct{}
	// users by identifier node, up to MaxUsersPerID+1.
	usersOf map[int64][]int64
}

func newRingDetector(cfg RingConfig) *ringDetector {
	return &ringDetector{cfg: cfg, b: newBipartite(), seen: make(map[[2]int64]struct{}), usersOf: make(map[int64][]int64)}
}

// add records the links of one transaction.
func (r *ringDetector) add(t *graph.Transaction) {
	if t.User == "" || !r.cfg.Window.Contains(t.Time) {
		return
	}
	u := int64(-1)
	for _, k := range r.cfg.Kinds {
		v := t.Entity(identifierEdge(k))
		if v == "" {
			continue
		}
		if u < 0 {
			u = r.b.node(graph.Ref(graph.KindUser, t.User))
		}
		id := r.b.node(graph.Ref(k, v))
		key := [2]int64{u, id}
		if _, ok := r.seen[key]; ok {
			continue
		}
		r.seen[key] = struct{}{}
		if us := r.usersOf[id]; len(us) <= r.cfg.MaxUsersPerID {
			r.usersOf[id] = append(us, u)
		}
		r.b.links = append(r.b.links, link{user: u, id: id, txn: t.ID, t: t.Time.UnixNano(), amt: t.Amount})
	}
}

// identifierEdge is the edge kind that links a transaction to an
// identifier of kind k.
func identifierEdge(k graph.Kind) graph.EdgeKind {
	switch k {
	case graph.KindDevice:
		return graph.EdgeOnDevice
	case graph.KindCard:
		return graph.EdgeWithCard
	case graph.KindPhone:
		return graph.EdgeWithPhone
	case graph.KindEmail:
		return graph.EdgeWithEmail
	case graph.KindIP:
		return graph.EdgeFromIP
	}
	return 0
}

// alerts returns a shared_id_ring alert per ring.
func (r *ringDetector) alerts() []Alert {
	// Keep the links of identifiers shared by 2..MaxUsersPerID users.
	b := r.b
	kept := b.links[:0]
	for _, l := range b.links {
		if n := len(r.usersOf[l.id]); n >= 2 && n <= r.cfg.MaxUsersPerID {
			kept = append(kept, l)
		}
	}
	b.links = kept
	byNode := make(map[int64][]int, len(kept))
	for i, l := range kept {
		byNode[l.user] = append(byNode[l.user], i)
	}
	var out []Alert
	for _, grp := range b.groups(r.cfg.MinUsers, r.cfg.MaxMembers, r.cfg.Resolution, r.cfg.Seed, -1) {
		out = append(out, r.alert(grp, byNode))
	}
	return out
}

// alert describes one ring.
func (r *ringDetector) alert(grp group, byNode map[int64][]int) Alert {
	b := r.b
	in := make(map[int64]bool, len(grp.nodes))
	for _, n := range grp.nodes {
		in[n] = true
	}
	share := make(map[int64]int) // identifier → users in the ring
	a := Alert{Typology: SharedIDRing}
	txns := make(map[string]bool)
	type tx struct {
		id string
		t  int64
	}
	var list []tx
	start, end := int64(0), int64(0)
	for _, n := range grp.nodes[:grp.users] {
		for _, li := range byNode[n] {
			l := b.links[li]
			if !in[l.id] {
				continue
			}
			share[l.id]++
			if !txns[l.txn] {
				txns[l.txn] = true
				list = append(list, tx{l.txn, l.t})
				a.Amount += l.amt
			}
			if len(list) == 1 || l.t < start {
				start = l.t
			}
			end = max(end, l.t)
		}
	}
	focus := int64(-1)
	kinds := make(map[graph.Kind]int)
	for _, n := range grp.nodes[grp.users:] {
		kinds[b.refs[n].Kind]++
		if focus < 0 || share[n] > share[focus] {
			focus = n
		}
	}
	for _, n := range grp.nodes {
		a.Members = append(a.Members, b.refs[n])
	}
	slices.SortFunc(list, func(x, y tx) int { return cmp.Or(cmp.Compare(x.t, y.t), cmp.Compare(x.id, y.id)) })
	for _, t := range list {
		a.Txns = append(a.Txns, t.id)
	}
	if focus >= 0 {
		a.Focus = b.refs[focus]
	} else {
		a.Focus = b.refs[grp.nodes[0]]
	}
	a.Start, a.End, a.At = time.Unix(0, start).UTC(), time.Unix(0, end).UTC(), time.Unix(0, end).UTC()
	a.ID = alertID(SharedIDRing, a.Focus, start, "")
	a.Severity = SeverityMedium
	if grp.users >= 2*r.cfg.MinUsers {
		a.Severity = SeverityHigh
	}
	var parts []string
	for _, k := range []graph.Kind{graph.KindDevice, graph.KindCard, graph.KindPhone, graph.KindEmail, graph.KindIP} {
		if n := kinds[k]; n > 0 {
			parts = append(parts, plural(n, identifierNoun(k)))
		}
	}
	of := ""
	if grp.community {
		of = " (a community of a larger group)"
	}
	a.Detail = fmt.Sprintf("%d users%s linked by %s", grp.users, of, strings.Join(parts, ", "))
	a.Amount = roundCents(a.Amount)
	return a
}

// identifierNoun names an identifier kind in details.
func identifierNoun(k graph.Kind) string {
	if k == graph.KindIP {
		return "IP address"
	}
	return strings.ToLower(k.String())
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
