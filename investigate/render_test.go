package investigate_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/investigate"
)

func TestRenderWithoutGraphviz(t *testing.T) {
	gv := investigate.Graphviz{Path: filepath.Join(t.TempDir(), "no-dot-here")}
	var out bytes.Buffer
	err := gv.Render(context.Background(), strings.NewReader("digraph {}"), investigate.FormatSVG, &out)
	if !errors.Is(err, investigate.ErrNoGraphviz) {
		t.Fatalf("Render with no program = %v, want ErrNoGraphviz", err)
	}
	if !strings.Contains(err.Error(), "apt-get install graphviz") || !strings.Contains(err.Error(), "graphviz.org") {
		t.Errorf("error does not say how to install Graphviz: %v", err)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := investigate.FindGraphviz(); !errors.Is(err, investigate.ErrNoGraphviz) {
		t.Errorf("FindGraphviz with an empty PATH = %v, want ErrNoGraphviz", err)
	}
}

func TestRenderBadFormat(t *testing.T) {
	err := investigate.Graphviz{Path: "dot"}.Render(context.Background(), strings.NewReader(""), "gif", io.Discard)
	if !errors.Is(err, investigate.ErrInvalid) {
		t.Errorf("gif: %v, want ErrInvalid", err)
	}
}

func graphviz(t *testing.T) investigate.Graphviz {
	gv, err := investigate.FindGraphviz()
	if err != nil {
		t.Skip("Graphviz dot is not installed; skipping rendering")
	}
	return gv
}

// Graphviz itself reads our DOT and shows every label as it was given,
// however hostile the text.
func TestRenderEscapedLabels(t *testing.T) {
	gv := graphviz(t)
	nasty := []string{`quote " and \"`, `back\slash\`, `\N\G\L`, "ünïcödé 北京 💸", "a<b & c>d", "line1\nline2"}
	d := investigate.Drawing{Title: `title "with" \ stuff`}
	for i, s := range nasty {
		d.Nodes = append(d.Nodes, investigate.DrawNode{ID: s, Label: s, Kind: graph.Kinds()[i%8]})
		if i > 0 {
			d.Edges = append(d.Edges, investigate.DrawEdge{From: nasty[i-1], To: s, Label: s})
		}
	}
	var src, svg bytes.Buffer
	if err := investigate.WriteDOT(&src, d); err != nil {
		t.Fatal(err)
	}
	if err := gv.Render(context.Background(), &src, investigate.FormatSVG, &svg); err != nil {
		t.Fatal(err)
	}
	// Collect the text of the SVG (it is XML: entities decoded).
	var texts []string
	dec := xml.NewDecoder(&svg)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("dot wrote invalid SVG: %v", err)
		}
		if cd, ok := tok.(xml.CharData); ok {
			texts = append(texts, string(cd))
		}
	}
	all := strings.Join(texts, "\n")
	for _, s := range nasty {
		for _, line := range strings.Split(s, "\n") {
			if !strings.Contains(all, line) {
				t.Errorf("rendered SVG does not show %q", line)
			}
		}
	}
}

func TestRenderPNG(t *testing.T) {
	gv := graphviz(t)
	var png bytes.Buffer
	err := gv.Render(context.Background(), strings.NewReader(`digraph { a -> b }`), investigate.FormatPNG, &png)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png.Bytes(), []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("output is not a PNG (%d bytes)", png.Len())
	}
	err = gv.Render(context.Background(), strings.NewReader(`digraph { a -> `), investigate.FormatSVG, io.Discard)
	if !errors.Is(err, investigate.ErrRender) {
		t.Errorf("broken DOT: %v, want ErrRender", err)
	}
}
