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
// for Detect. Most identifiers belong to one user; they cost one small
// entry and never become graph nodes.
type ringDetector struct {
	cfg   RingConfig
	users map[string]int32 // user id → index in names
	names []string
	ids   map[idKey]int32 // identifier → index in links
	links []idLinks
}

// idKey names an identifier.
type idKey struct {
	kind graph.Kind
	id   string
}

// idLinks are an identifier's first users, up to MaxUsersPerID+1 (one
// more marks it public), each with its first linking transaction.
type idLinks struct {
	users []idUser
}

type idUser struct {
	user int32
	t    int64
	amt  float64
	txn  string
}

func newRingDetector(cfg RingConfig) *ringDetector {
	return &ringDetector{cfg: cfg, users: make(map[string]int32), ids: make(map[idKey]int32)}
}

// add records the links of one transaction.
func (r *ringDetector) add(t *graph.Transaction) {
	if t.User == "" || !r.cfg.Window.Contains(t.Time) {
		return
	}
	u := int32(-1)
	for _, k := range r.cfg.Kinds {
		v := t.Entity(identifierEdge(k))
		if v == "" {
			continue
		}
		if u < 0 {
			var ok bool
			if u, ok = r.users[t.User]; !ok {
				u = int32(len(r.names))
				r.users[t.User] = u
				r.names = append(r.names, t.User)
			}
		}
		key := idKey{k, v}
		i, ok := r.ids[key]
		if !ok {
			i = int32(len(r.links))
			r.ids[key] = i
			r.links = append(r.links, idLinks{})
		}
		l := &r.links[i]
		if len(l.users) > r.cfg.MaxUsersPerID || slices.ContainsFunc(l.users, func(x idUser) bool { return x.user == u }) {
			continue
		}
		l.users = append(l.users, idUser{user: u, t: t.Time.UnixNano(), amt: t.Amount, txn: t.ID})
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
	// The graph: identifiers shared by 2..MaxUsersPerID users, and those
	// users.
	b := newBipartite()
	for key, i := range r.ids {
		l := &r.links[i]
		if len(l.users) < 2 || len(l.users) > r.cfg.MaxUsersPerID {
			continue
		}
		id := b.node(graph.Ref(key.kind, key.id))
		for _, x := range l.users {
			u := b.node(graph.Ref(graph.KindUser, r.names[x.user]))
			b.links = append(b.links, link{user: u, id: id, txn: x.txn, t: x.t, amt: x.amt})
		}
	}
	// Map order made the node numbers: renumber by reference so that the
	// rings, their ids and their communities do not depend on it.
	b = b.sorted()
	byNode := make(map[int64][]int, len(b.links))
	for i, l := range b.links {
		byNode[l.user] = append(byNode[l.user], i)
	}
	var out []Alert
	for _, grp := range b.groups(r.cfg.MinUsers, r.cfg.MaxMembers, r.cfg.Resolution, r.cfg.Seed, -1) {
		out = append(out, r.alert(b, grp, byNode))
	}
	return out
}

// sorted returns b with its nodes numbered in reference order and its
// links in (user, identifier) order.
func (b *bipartite) sorted() *bipartite {
	order := make([]int64, len(b.refs))
	for i := range order {
		order[i] = int64(i)
	}
	slices.SortFunc(order, func(x, y int64) int { return compareRefs(b.refs[x], b.refs[y]) })
	out := &bipartite{refs: make([]graph.NodeRef, len(b.refs)), index: make(map[graph.NodeRef]int64, len(b.refs))}
	renum := make([]int64, len(b.refs))
	for n, old := range order {
		renum[old] = int64(n)
		out.refs[n] = b.refs[old]
		out.index[b.refs[old]] = int64(n)
	}
	out.links = make([]link, len(b.links))
	for i, l := range b.links {
		l.user, l.id = renum[l.user], renum[l.id]
		out.links[i] = l
	}
	slices.SortFunc(out.links, func(x, y link) int { return cmp.Or(cmp.Compare(x.user, y.user), cmp.Compare(x.id, y.id)) })
	return out
}

// alert describes one ring.
func (r *ringDetector) alert(b *bipartite, grp group, byNode map[int64][]int) Alert {
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
	for _, n := range grp.nodes[:grp.users] {
		for _, li := range byNode[n] {
			if l := b.links[li]; in[l.id] {
				share[l.id]++
			}
		}
	}
	start, end := int64(0), int64(0)
	for _, n := range grp.nodes[:grp.users] {
		for _, li := range byNode[n] {
			l := b.links[li]
			if !in[l.id] || share[l.id] < 2 || txns[l.txn] {
				continue
			}
			txns[l.txn] = true
			list = append(list, tx{l.txn, l.t})
			a.Amount += l.amt
			if len(list) == 1 || l.t < start {
				start = l.t
			}
			end = max(end, l.t)
		}
	}
	// Members: the users, then the identifiers that link two of them or
	// more within the ring; the focus is the one that links the most.
	focus := int64(-1)
	kinds := make(map[graph.Kind]int)
	for _, n := range grp.nodes[:grp.users] {
		a.Members = append(a.Members, b.refs[n])
	}
	for _, n := range grp.nodes[grp.users:] {
		if share[n] < 2 {
			continue
		}
		a.Members = append(a.Members, b.refs[n])
		kinds[b.refs[n].Kind]++
		if focus < 0 || share[n] > share[focus] {
			focus = n
		}
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
