package investigate

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/riskgraph/riskgraph/graph"
)

// Drawing is a directed graph to draw: what WriteDOT writes.
type Drawing struct {
	// Title names the graph and is shown above it.
	Title string
	Nodes []DrawNode
	Edges []DrawEdge
}

// DrawNode is one node of a Drawing.
type DrawNode struct {
	// ID identifies the node within the drawing (edges name it) and is
	// its tooltip.
	ID string
	// Label is the text shown; "" shows ID. Newlines break lines.
	Label string
	// Kind chooses the shape (0: a plain box).
	Kind graph.Kind
	// Class fills the node: fraud and laundering stand out.
	Class graph.Class
	// Focus draws a thick outline: the subject of the question.
	Focus bool
}

// DrawEdge is one edge of a Drawing, between node IDs.
type DrawEdge struct {
	From, To string
	Label    string
	// Dashed draws a link that is not money moving (a shared identifier,
	// a hop-2 relation).
	Dashed bool
}

// shapes by node kind.
func shape(k graph.Kind) string {
	switch k {
	case graph.KindUser:
		return "ellipse"
	case graph.KindAccount:
		return "box"
	case graph.KindCard:
		return "component"
	case graph.KindDevice:
		return "hexagon"
	case graph.KindIP:
		return "diamond"
	case graph.KindMerchant:
		return "house"
	case graph.KindEmail, graph.KindPhone:
		return "parallelogram"
	case graph.KindTransaction:
		return "note"
	}
	return "box"
}

func fill(c graph.Class) string {
	switch c {
	case graph.ClassFraud:
		return "#f4a6a6"
	case graph.ClassLaundering:
		return "#f8c98b"
	}
	return "#ffffff"
}

// WriteDOT writes d as a Graphviz DOT digraph. Node identifiers in the
// output are n0, n1, … (in d.Nodes order), so no data ever lands in an
// identifier; every string (title, labels, tooltips) is written with
// Quote. An edge naming a node that is not in d, or two nodes with the
// same ID, is an error wrapping ErrInvalid and nothing is written.
func WriteDOT(w io.Writer, d Drawing) error {
	idx := make(map[string]int, len(d.Nodes))
	for i, n := range d.Nodes {
		if _, dup := idx[n.ID]; dup {
			return fmt.Errorf("%w: drawing: node %q appears twice", ErrInvalid, n.ID)
		}
		idx[n.ID] = i
	}
	for i, e := range d.Edges {
		for _, end := range []string{e.From, e.To} {
			if _, ok := idx[end]; !ok {
				return fmt.Errorf("%w: drawing: edge %d names node %q, which is not in the drawing", ErrInvalid, i, end)
			}
		}
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "digraph %s {\n", Quote(d.Title))
	fmt.Fprintf(bw, "\tgraph [charset=\"UTF-8\", rankdir=LR, labelloc=t, fontname=\"Helvetica\", label=%s];\n", Quote(d.Title))
	bw.WriteString("\tnode [fontname=\"Helvetica\", fontsize=10, style=filled];\n")
	bw.WriteString("\tedge [fontname=\"Helvetica\", fontsize=9];\n")
	for i, n := range d.Nodes {
		label := n.Label
		if label == "" {
			label = n.ID
		}
		fmt.Fprintf(bw, "\tn%d [label=%s, tooltip=%s, shape=%s, fillcolor=%q", i, Quote(label), Quote(n.ID), shape(n.Kind), fill(n.Class))
		if n.Focus {
			bw.WriteString(", penwidth=3")
		}
		bw.WriteString("];\n")
	}
	for _, e := range d.Edges {
		fmt.Fprintf(bw, "\tn%d -> n%d [label=%s", idx[e.From], idx[e.To], Quote(e.Label))
		if e.Dashed {
			bw.WriteString(", style=dashed")
		}
		bw.WriteString("];\n")
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// Quote returns s as a DOT double-quoted string whose label text is s:
// a double quote is written \", a backslash \\ (Graphviz shows both
// as themselves), a line break (LF, CR or CRLF) \n. Other control
// characters and invalid UTF-8 become U+FFFD: Graphviz cannot show them
// and some versions reject them. Every other character, ASCII or not, is
// written as its UTF-8 (WriteDOT declares charset UTF-8). The result is
// always one valid DOT string token on one line.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\n`)
			if i < len(s) && s[i] == '\n' {
				i++
			}
		case r == '\t':
			b.WriteByte(' ')
		case r == utf8.RuneError && size == 1, unicode.IsControl(r), r == '\u2028', r == '\u2029':
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
