package rules

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/riskgraph/riskgraph/graph"
)

// MaxFileSize is the largest rules file Load accepts, in bytes.
const MaxFileSize = 64 << 20

// maxErrors caps the problems one Load reports.
const maxErrors = 100

// LoadFile loads and validates the rules file at path; errors name path.
func LoadFile(path string) (*Set, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return parse(data, path)
}

// Load reads and validates a rules file from r. name labels the positions
// in errors and is returned by Set.Name (usually the path). On failure the
// error joins one *Error per problem (at most 100), each wrapping
// ErrInvalid; a read error is returned wrapped as it is.
func Load(r io.Reader, name string) (*Set, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("rules: read %s: %w", name, err)
	}
	return parse(data, name)
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("rules: read %s: %w", path, err)
	}
	return data, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse validates data and builds the Set.
func parse(data []byte, name string) (*Set, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("larger than %d bytes", MaxFileSize)}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: name, Msg: "empty file: want a mapping with at least version and bands"}
		}
		e := &Error{File: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Msg = m[2]
		}
		return nil, e
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := 0
		if err == nil {
			line = extra.Line
		}
		return nil, &Error{File: name, Line: line, Msg: "more than one YAML document"}
	}
	sum := sha256.Sum256(data)
	l := &loader{file: name, ids: map[string]*yaml.Node{}}
	s := &Set{name: name, digest: "sha256:" + hex.EncodeToString(sum[:]), degraded: Approve, source: bytes.Clone(data)}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if l.noAliases(root) {
		l.file_(root, s)
	}
	if len(l.errs) == 0 {
		if len(s.typology) <= maxIndexedTypology {
			s.typoIndex = map[string][]int{}
			for i, r := range s.typology {
				if r.typology != "*" {
					s.typoIndex[r.typology] = append(s.typoIndex[r.typology], i)
				}
			}
		}
		return s, nil
	}
	slices.SortStableFunc(l.errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	errs := make([]error, 0, len(l.errs)+1)
	for _, e := range l.errs {
		errs = append(errs, e)
	}
	if l.dropped > 0 {
		errs = append(errs, &Error{File: name, Msg: fmt.Sprintf("%d more problems not shown", l.dropped)})
	}
	return nil, errors.Join(errs...)
}

// loader walks the YAML tree, collecting every problem.
type loader struct {
	file    string
	errs    []*Error
	dropped int
	ids     map[string]*yaml.Node // rule id → where it was first defined
}

func (l *loader) errorf(n *yaml.Node, field, format string, args ...any) {
	if len(l.errs) >= maxErrors {
		l.dropped++
		return
	}
	l.errs = append(l.errs, &Error{File: l.file, Line: n.Line, Column: n.Column, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// noAliases rejects anchors' aliases anywhere: they make positions
// ambiguous and can blow a small file up.
func (l *loader) noAliases(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		l.errorf(n, "", "aliases (*%s) are not supported", n.Value)
		return false
	}
	ok := true
	for _, c := range n.Content {
		ok = l.noAliases(c) && ok
	}
	return ok
}

// describe names a node's type for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing (null)"
		case "!!str":
			return fmt.Sprintf("the string %.40q", n.Value)
		case "!!int":
			return "the integer " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return fmt.Sprintf("%s %.40q", n.ShortTag(), n.Value)
	}
	return "an unsupported node"
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func sub(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fields checks that n is a mapping whose keys are known and unrepeated,
// and returns each key's value node. It returns nil (after reporting) when
// n is not a mapping.
func (l *loader) fields(n *yaml.Node, path string, known ...string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		l.errorf(n, path, "want a mapping, got %s", describe(n))
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			l.errorf(k, path, "keys must be plain strings, got %s", describe(k))
		case !slices.Contains(known, k.Value):
			l.errorf(k, sub(path, k.Value), "unknown field (want %s)", strings.Join(known, ", "))
		case out[k.Value] != nil:
			l.errorf(k, sub(path, k.Value), "repeated field")
		default:
			out[k.Value] = v
		}
	}
	return out
}

// require reports the missing required fields of mapping n.
func (l *loader) require(n *yaml.Node, m map[string]*yaml.Node, path string, names ...string) {
	for _, f := range names {
		if m[f] == nil {
			l.errorf(n, sub(path, f), "missing")
		}
	}
}

// items returns the elements of a sequence (nil for null).
func (l *loader) items(n *yaml.Node, path string) []*yaml.Node {
	switch {
	case n.Kind == yaml.SequenceNode:
		return n.Content
	case isNull(n):
		return nil
	}
	l.errorf(n, path, "want a sequence, got %s", describe(n))
	return nil
}

// str reads a string scalar matching re (nil: any non-empty string).
func (l *loader) str(n *yaml.Node, path string, re *regexp.Regexp, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		l.errorf(n, path, "want a string, got %s (quote it)", describe(n))
		return "", false
	}
	if n.Value == "" || (re != nil && !re.MatchString(n.Value)) {
		l.errorf(n, path, "%.40q is not %s", n.Value, want)
		return "", false
	}
	return n.Value, true
}

// integer reads a non-negative integer ≥ lo.
func (l *loader) integer(n *yaml.Node, path string, lo int64) (int64, bool) {
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		l.errorf(n, path, "want an integer, got %s", describe(n))
		return 0, false
	}
	if v < lo {
		l.errorf(n, path, "%d is below the minimum of %d", v, lo)
		return 0, false
	}
	return v, true
}

// number reads a finite number in [lo, hi].
func (l *loader) number(n *yaml.Node, path string, lo, hi float64) (float64, bool) {
	var v float64
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") || n.Decode(&v) != nil {
		l.errorf(n, path, "want a number, got %s", describe(n))
		return 0, false
	}
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		l.errorf(n, path, "%s is not a finite number", n.Value)
	case v < lo:
		l.errorf(n, path, "%s is below the minimum of %g", n.Value, lo)
	case v > hi:
		l.errorf(n, path, "%s is above the maximum of %g", n.Value, hi)
	default:
		return v, true
	}
	return 0, false
}

// choice reads one of a fixed set of strings and returns its index.
func (l *loader) choice(n *yaml.Node, path string, options ...string) (int, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		if i := slices.Index(options, n.Value); i >= 0 {
			return i, true
		}
	}
	l.errorf(n, path, "got %s, want %s", describe(n), strings.Join(options, ", "))
	return 0, false
}

var (
	versionRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:+-]{0,63}$`)
	idRe      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)
	codeRe    = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)
	tokenRe   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
)

// file_ checks the top-level mapping.
func (l *loader) file_(n *yaml.Node, s *Set) {
	m := l.fields(n, "", "version", "description", "degraded_decision", "lists", "velocity", "amount", "typology", "bands")
	if m == nil {
		return
	}
	l.require(n, m, "", "version", "bands")
	if v := m["version"]; v != nil {
		s.version, _ = l.str(v, "version", versionRe, "a version (letters, digits and ._:+-, at most 64)")
	}
	if v := m["description"]; v != nil && !isNull(v) {
		s.description, _ = l.str(v, "description", nil, "a description")
	}
	if v := m["degraded_decision"]; v != nil {
		if i, ok := l.choice(v, "degraded_decision", "approve", "review", "decline"); ok {
			s.degraded = Decision(i + 1)
		}
	}
	if v := m["lists"]; v != nil && !isNull(v) {
		l.lists(v, s)
	}
	if v := m["velocity"]; v != nil {
		for i, it := range l.items(v, "velocity") {
			l.velocityRule(it, fmt.Sprintf("velocity[%d]", i), s)
		}
	}
	if v := m["amount"]; v != nil {
		for i, it := range l.items(v, "amount") {
			l.amountRule(it, fmt.Sprintf("amount[%d]", i), s)
		}
	}
	if v := m["typology"]; v != nil {
		for i, it := range l.items(v, "typology") {
			l.typologyRule(it, fmt.Sprintf("typology[%d]", i), s)
		}
	}
	if v := m["bands"]; v != nil {
		l.bands(v, s)
	}
}

// listKinds maps the list names of the file to node kinds.
var listKinds = []struct {
	name string
	kind graph.Kind
}{
	{"cards", graph.KindCard}, {"devices", graph.KindDevice}, {"ips", graph.KindIP},
	{"merchants", graph.KindMerchant}, {"accounts", graph.KindAccount}, {"users", graph.KindUser},
	{"emails", graph.KindEmail}, {"phones", graph.KindPhone},
}

func (l *loader) lists(n *yaml.Node, s *Set) {
	m := l.fields(n, "lists", "block", "allow")
	if m == nil {
		return
	}
	names := make([]string, len(listKinds))
	for i, lk := range listKinds {
		names[i] = lk.name
	}
	// where an allow-listed value was defined, to report conflicts
	type allowed struct {
		kind  graph.Kind
		value string
		node  *yaml.Node
		path  string
	}
	var allows []allowed
	for _, which := range []string{"block", "allow"} {
		v := m[which]
		if v == nil || isNull(v) {
			continue
		}
		path := "lists." + which
		km := l.fields(v, path, names...)
		for _, lk := range listKinds {
			lv := km[lk.name]
			if lv == nil {
				continue
			}
			dst := &s.block[lk.kind]
			if which == "allow" {
				dst = &s.allow[lk.kind]
			}
			elems := l.items(lv, sub(path, lk.name))
			if *dst == nil && len(elems) > 0 {
				*dst = make(map[string]struct{}, len(elems))
			}
			for i, e := range elems {
				p := fmt.Sprintf("%s.%s[%d]", path, lk.name, i)
				val, ok := l.listValue(e, p)
				if !ok {
					continue
				}
				(*dst)[val] = struct{}{}
				if which == "allow" {
					allows = append(allows, allowed{lk.kind, val, e, p})
				}
			}
		}
	}
	for _, a := range allows {
		if _, ok := s.block[a.kind][a.value]; ok {
			l.errorf(a.node, a.path, "%.40q is on the block list too", a.value)
		}
	}
	for _, lk := range listKinds {
		for _, e := range graph.EdgeKindsOf(lk.kind) {
			kind := strings.ToLower(lk.kind.String())
			if len(s.block[lk.kind]) > 0 {
				s.blockChecks = append(s.blockChecks, listCheck{edge: e, values: s.block[lk.kind], hit: Hit{
					RuleID: "block." + kind, Code: "BLOCK_LIST_" + strings.ToUpper(kind),
					Detail: blockDetail(kind, e), Action: Decline}})
			}
			// The allow list vouches for the payer only: never for the
			// counterparty credited by a transfer.
			if len(s.allow[lk.kind]) > 0 && e != graph.EdgeTo {
				s.allowChecks = append(s.allowChecks, listCheck{edge: e, values: s.allow[lk.kind], hit: Hit{
					RuleID: "allow." + kind, Code: "ALLOW_LIST_" + strings.ToUpper(kind),
					Detail: kind + " is on the allow list", Action: Approve}})
			}
		}
	}
}

func blockDetail(kind string, e graph.EdgeKind) string {
	if e == graph.EdgeTo {
		return "counterparty account is on the block list"
	}
	return kind + " is on the block list"
}

// listValue reads one list entry: a non-empty scalar string, integer or
// number, taken as written (0123 stays "0123").
func (l *loader) listValue(n *yaml.Node, path string) (string, bool) {
	tag := n.ShortTag()
	switch {
	case n.Kind != yaml.ScalarNode || (tag != "!!str" && tag != "!!int" && tag != "!!float"):
		l.errorf(n, path, "want a string, got %s", describe(n))
	case n.Value == "":
		l.errorf(n, path, "empty value")
	case len(n.Value) > graph.MaxIDLen:
		l.errorf(n, path, "%d bytes long, over the limit of %d", len(n.Value), graph.MaxIDLen)
	default:
		return n.Value, true
	}
	return "", false
}
