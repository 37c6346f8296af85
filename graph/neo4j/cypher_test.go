package neo4j

import (
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
)

var (
	update    = flag.Bool("update", false, "rewrite testdata/*.golden from the statements and the parameters the code sends")
	dumpStmts = flag.String("dump-statements", "", "write every statement as JSON to this file (for testdata/lint-cypher.mjs)")
)

// offline is a Store without a driver: enough to build every call.
func offline(t testing.TB) *Store {
	t.Helper()
	cfg := Config{URI: "bolt://localhost:7687", Graph: "golden", BatchSize: 3}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return &Store{cfg: cfg.withDefaults()}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// goldenTxn has every field set.
var goldenTxn = graph.Transaction{
	ID: "t-1", Time: t0, Amount: 129.5, Currency: "EUR", Kind: "card", User: "u-1", Account: "a-1",
	Card: "ct_abc", Device: "d-1", IP: "192.0.2.7", Email: "e@x.test", Phone: "+491700000",
	Merchant: "m-1", MCC: "5732", Country: "DE", Channel: "web",
	Attrs: map[string]string{"order": "o-9", "pattern": "normal"}, Label: graph.ClassLegit,
}

// selfTransfer moves money between one account and itself: FROM and TO
// reach the same node.
var selfTransfer = graph.Transaction{ID: "t-2", Time: t0.Add(time.Minute), Amount: 10, Kind: "transfer", User: "u-1", Account: "a-1", Counterparty: "a-1"}

// exampleCalls returns, for every statement name, a call built by the code
// that sends it.
func exampleCalls(t *testing.T) map[string]call {
	t.Helper()
	s := offline(t)
	out := map[string]call{}
	add := func(name string, c call) {
		if _, dup := out[name]; !dup {
			out[name] = c
		}
	}
	for _, st := range schemaStatements() {
		add("schema_"+st.name, call{st.c, nil})
	}
	add("await_indexes", awaitCall())
	add("allocate", s.allocateCall(2, 17))

	batch := []graph.Mutation{
		{Seq: 15, Label: &graph.Label{Txn: "t-1", Class: graph.ClassFraud, Time: t0.Add(24 * time.Hour), Source: "chargeback"}},
		{Seq: 16, Txn: &goldenTxn},
		{Seq: 17, Txn: &selfTransfer},
		{Seq: 18, Txn: &goldenTxn},
	}
	for _, k := range entityKinds() {
		batch = append(batch, graph.Mutation{Label: &graph.Label{Entity: graph.Ref(k, "x-"+snake(k.String())), Class: graph.ClassLaundering, Time: t0, Source: "analyst"}})
	}
	plan, err := planApply(batch, s.cfg.BatchSize)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range plan.steps {
		if st.txns {
			for i, r := range st.rows {
				r.(map[string]any)["arrival"] = int64(100 + st.first + i + 1)
			}
		}
		name := "apply_txns"
		if !st.txns {
			name = labelName(st.c)
		}
		add(name, s.stepCall(st))
	}
	add("restore_pending", s.batchCall(restorePending, []any{labelRow("t-9", graph.ClassFraud, nil, "cb")}))
	add("restore_meta", s.restoreMetaCall(snapHeader{LastSeq: 17, Arrival: 102}))
	for _, k := range graph.Kinds() {
		add("reset_"+snake(k.String()), s.resetCall(resetStatement(k)))
		add("node_"+snake(k.String()), s.nodeCall(graph.Ref(k, "id-1")))
		add("nodes_"+snake(k.String()), s.nodesCall(k, "id-1"))
	}
	add("reset_pending", s.resetCall(resetPending))
	add("reset_graph", s.resetCall(resetGraph))
	add("meta", s.metaCall())
	add("transaction_by_id", s.txnCall("t-1"))
	add("transaction_edges", s.txnEdgesCall("t-1"))
	for _, e := range graph.EdgeKinds() {
		c, ok := s.neighborsCall(graph.Ref(e.Target(), "id-1"), graph.Query{Edge: e, Window: graph.Window{From: t0, To: t0.Add(time.Hour)}, Limit: 25})
		if !ok {
			t.Fatalf("no neighbours call for %v", e)
		}
		add("neighbors_"+snake(e.String()), c)
	}
	c, ok := s.neighborsCall(graph.Ref(graph.KindAccount, "a-1"), graph.Query{Window: graph.Before(t0)})
	if !ok {
		t.Fatal("no neighbours call for an account")
	}
	add("neighbors_account", c)
	add("snapshot_txns", s.snapshotTxnsCall(100, 102))
	add("snapshot_pending", s.snapshotPendingCall("t-0"))
	add("stats", s.statsCall())
	return out
}

// labelName names a label step's statement.
func labelName(c cypher) string {
	if c == labelTxns {
		return "label_txns"
	}
	for _, k := range entityKinds() {
		if labelStatement(k) == c {
			return "label_" + snake(k.String())
		}
	}
	return "unknown label statement"
}

// TestStatementsGolden keeps every statement, and the parameters the code
// sends with it, in testdata/<name>.golden. Run with -update after a
// deliberate change and review the diff.
func TestStatementsGolden(t *testing.T) {
	calls := exampleCalls(t)
	names := map[string]bool{}
	for _, st := range Statements() {
		if names[st.Name] {
			t.Errorf("statement name %s listed twice", st.Name)
		}
		names[st.Name] = true
		c, ok := calls[st.Name]
		if !ok {
			t.Errorf("statement %s has no example call", st.Name)
			continue
		}
		if string(c.c) != st.Cypher {
			t.Errorf("example call for %s sends another statement", st.Name)
		}
		params, err := json.MarshalIndent(c.params, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got := "# " + st.Name + "\n" + st.Cypher + "\n\n# params\n" + string(params) + "\n"
		path := filepath.Join("testdata", st.Name+".golden")
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v (run go test -update)", err)
			continue
		}
		if diff := cmp.Diff(string(want), got); diff != "" {
			t.Errorf("%s differs from its golden file (-want +got; run with -update if intended):\n%s", st.Name, diff)
		}
	}
	for name := range calls {
		if !names[name] {
			t.Errorf("example call %s names no statement", name)
		}
	}
	if *dumpStmts != "" {
		b, _ := json.MarshalIndent(Statements(), "", " ")
		if err := os.WriteFile(*dumpStmts, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var (
	paramRef = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)
	rowRef   = regexp.MustCompile(`\br\.([A-Za-z_][A-Za-z0-9_]*)`)
	quoted   = regexp.MustCompile(`'[^']*'|"[^"]*"`)
)

// TestStatementsParameterised checks that every statement takes exactly
// the parameters the code passes, that an UNWIND statement reads exactly
// the row fields the code builds, and that no value sits in a statement's
// text: the only literals are the names of the fixed model.
func TestStatementsParameterised(t *testing.T) {
	allowed := map[string]bool{"'node'": true, "'edge'": true, "'label'": true}
	for _, k := range graph.Kinds() {
		allowed["'"+k.String()+"'"] = true
	}
	for _, e := range graph.EdgeKinds() {
		allowed["'"+e.String()+"'"] = true
	}
	for name, c := range exampleCalls(t) {
		text := string(c.c)
		var want []string
		for _, m := range paramRef.FindAllStringSubmatch(text, -1) {
			want = append(want, m[1])
		}
		var got []string
		for k := range c.params {
			got = append(got, k)
		}
		if diff := cmp.Diff(uniq(want), uniq(got)); diff != "" {
			t.Errorf("%s: parameters in the text (-) and passed by the code (+):\n%s", name, diff)
		}
		if batch, ok := c.params["batch"].([]any); ok {
			var fields []string
			for _, m := range rowRef.FindAllStringSubmatch(text, -1) {
				fields = append(fields, m[1])
			}
			fields = uniq(fields)
			for _, row := range batch {
				var keys []string
				for k := range row.(map[string]any) {
					keys = append(keys, k)
				}
				if diff := cmp.Diff(fields, uniq(keys)); diff != "" {
					t.Errorf("%s: row fields read by the statement (-) and built by the code (+):\n%s", name, diff)
				}
			}
		}
		for _, lit := range quoted.FindAllString(text, -1) {
			if !allowed[lit] {
				t.Errorf("%s: literal %s in the statement text: values must be parameters", name, lit)
			}
		}
	}
}

func uniq(s []string) []string {
	sort.Strings(s)
	return slices.Compact(s)
}

// TestCypherOnlyConstants enforces by reading the package's source that
// statements are compile-time constants of cypher.go: no conversion to
// cypher anywhere (so no runtime string can become one), no variable of
// the type, every constant a plain literal, no call of any kind in
// cypher.go, and the driver's Run called only by run.
func TestCypherOnlyConstants(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	// The names of cypher.go's constants.
	names := map[string]bool{}
	for _, st := range []string{"cypher.go"} {
		f, err := parser.ParseFile(fset, st, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, spec := range g.Specs {
					for _, n := range spec.(*ast.ValueSpec).Names {
						names[n.Name] = true
					}
				}
			}
		}
	}
	isConst := func(e ast.Expr) bool {
		id, ok := e.(*ast.Ident)
		return ok && names[id.Name]
	}
	consts := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		topLevel := map[ast.Decl]bool{}
		for _, d := range f.Decls {
			topLevel[d] = true
		}
		var funcName string
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				funcName = n.Name.Name
			case *ast.BinaryExpr:
				if n.Op == token.ADD && (isConst(n.X) || isConst(n.Y)) {
					t.Errorf("%s: a statement built with +", fset.Position(n.Pos()))
				}
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "cypher" {
					t.Errorf("%s: conversion to cypher: statements must be constants of cypher.go", fset.Position(n.Pos()))
				}
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Run" && funcName != "run" {
					t.Errorf("%s: %s calls Run: only run may send a statement", fset.Position(n.Pos()), funcName)
				}
				if path == "cypher.go" {
					t.Errorf("%s: a call in cypher.go", fset.Position(n.Pos()))
				}
			case *ast.GenDecl:
				for _, spec := range n.Specs {
					vs, ok := spec.(*ast.ValueSpec)
					if !ok {
						continue
					}
					typ, _ := vs.Type.(*ast.Ident)
					isCypher := typ != nil && typ.Name == "cypher"
					if isCypher && n.Tok != token.CONST && topLevel[n] {
						t.Errorf("%s: a package-level variable of type cypher", fset.Position(vs.Pos()))
					}
					if isCypher && n.Tok == token.CONST && path != "cypher.go" {
						t.Errorf("%s: a cypher constant outside cypher.go", fset.Position(vs.Pos()))
					}
					if isCypher && n.Tok == token.CONST {
						for _, v := range vs.Values {
							if lit, ok := v.(*ast.BasicLit); !ok || lit.Kind != token.STRING {
								t.Errorf("%s: cypher constant %s is not a plain string literal", fset.Position(v.Pos()), vs.Names[0].Name)
							}
							consts++
						}
					}
				}
			}
			return true
		})
	}
	if consts != len(Statements()) {
		t.Errorf("cypher.go declares %d statements, Statements lists %d", consts, len(Statements()))
	}
}

// TestStatementsMatchModel checks that the selectors pick the statement of
// the kind asked for, and that the multi-kind statements cover every kind
// with the right label, relationship type and row field.
func TestStatementsMatchModel(t *testing.T) {
	for _, k := range graph.Kinds() {
		label := regexp.MustCompile(`\(n:` + k.String() + `[ )]`)
		for name, c := range map[string]cypher{"node": nodeStatement(k), "nodes": nodesStatement(k), "reset": resetStatement(k)} {
			if got := len(label.FindAllString(string(c), -1)); got != 1 {
				t.Errorf("%s statement for %v matches %v %d times, want once", name, k, label, got)
			}
		}
	}
	for _, k := range entityKinds() {
		if !strings.Contains(string(labelStatement(k)), "MERGE (e:"+k.String()+" {") {
			t.Errorf("label statement for %v merges another label", k)
		}
	}
	for _, e := range graph.EdgeKinds() {
		c := string(neighborsStatement(e))
		if !strings.Contains(c, "(n:"+e.Target().String()+" {") || !strings.Contains(c, "[r:"+e.String()+"]") {
			t.Errorf("neighbours statement for %v reads another kind", e)
		}
	}
	// applyTxns: one FOREACH per edge kind, reading the row field of its
	// entity, merging its target label and creating its relationship.
	blocks := strings.Split(string(applyTxns), "FOREACH (")[1:]
	if len(blocks) != len(graph.EdgeKinds()) {
		t.Fatalf("applyTxns has %d FOREACH blocks, want one per edge kind (%d)", len(blocks), len(graph.EdgeKinds()))
	}
	fields := []string{"user", "account", "counterparty", "card", "device", "ip", "merchant", "email", "phone"}
	for i, e := range graph.EdgeKinds() {
		b := blocks[i]
		for _, want := range []string{"WHEN r." + fields[i] + " IS NULL", "[r." + fields[i] + "]", "MERGE (e:" + e.Target().String() + " {", "[:" + e.String() + " {"} {
			if !strings.Contains(b, want) {
				t.Errorf("applyTxns block %d (%v) lacks %q", i, e, want)
			}
		}
		var tx graph.Transaction
		tx.SetEntity(e, "x")
		if row := txnRow(&tx); row[fields[i]] != "x" {
			t.Errorf("txnRow puts the %v entity elsewhere than %q", e, fields[i])
		}
	}
	// transactionEdges lists the entity ids in EdgeKind order.
	var list []string
	for _, f := range fields {
		list = append(list, "t."+f)
	}
	if !strings.Contains(string(transactionEdges), "["+strings.Join(list, ", ")+"]") {
		t.Errorf("transactionEdges does not list %v", list)
	}
	for _, k := range graph.Kinds() {
		if !strings.Contains(string(stats), "'node' AS part, '"+k.String()+"' AS what") {
			t.Errorf("stats does not count %v nodes", k)
		}
	}
	for _, e := range graph.EdgeKinds() {
		if !strings.Contains(string(stats), "[r:"+e.String()+"]->() WHERE r.g = $g AND r.ent IS NOT NULL AND r.time IS NOT NULL AND r.arrival IS NOT NULL RETURN 'edge' AS part, '"+e.String()+"' AS what") {
			t.Errorf("stats does not count %v edges", e)
		}
	}
}

// TestStatementNamesStable guards the names other tools may rely on.
func TestStatementNamesStable(t *testing.T) {
	var names []string
	for _, st := range Statements() {
		names = append(names, st.Name)
	}
	for _, want := range []string{"apply_txns", "label_txns", "neighbors_by", "neighbors_account", "node_transaction", "stats", "schema_by_window"} {
		if !slices.Contains(names, want) {
			t.Errorf("Statements lacks %s", want)
		}
	}
}
