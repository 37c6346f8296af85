package investigate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"strings"
)

// Image formats Graphviz renders to.
const (
	FormatSVG = "svg"
	FormatPNG = "png"
)

// installHint says how to get Graphviz.
const installHint = "install Graphviz (Debian/Ubuntu: apt-get install graphviz; Fedora: dnf install graphviz; " +
	"macOS: brew install graphviz; Windows and others: https://graphviz.org/download/)"

// Graphviz runs the Graphviz dot program.
type Graphviz struct {
	// Path is the dot executable.
	Path string
}

// FindGraphviz looks dot up on the PATH. When it is not installed the
// error wraps ErrNoGraphviz and says how to install it.
func FindGraphviz() (Graphviz, error) {
	p, err := exec.LookPath("dot")
	if err != nil {
		return Graphviz{}, fmt.Errorf("%w on the PATH: %s", ErrNoGraphviz, installHint)
	}
	return Graphviz{Path: p}, nil
}

// Render runs dot on the DOT source src and writes the image in format
// (FormatSVG or FormatPNG) to w. A missing program is an error wrapping
// ErrNoGraphviz; dot's own failure wraps ErrRender and quotes what dot
// said. Nothing is written to w unless dot succeeded.
func (g Graphviz) Render(ctx context.Context, src io.Reader, format string, w io.Writer) error {
	if format != FormatSVG && format != FormatPNG {
		return fmt.Errorf("%w: image format %q: want %s or %s", ErrInvalid, format, FormatSVG, FormatPNG)
	}
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, g.Path, "-T"+format)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = src, &out, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w at %s: %s", ErrNoGraphviz, g.Path, installHint)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[:2000] + "…"
		}
		return fmt.Errorf("%w: %s -T%s: %v: %s", ErrRender, g.Path, format, err, msg)
	}
	_, err := out.WriteTo(w)
	return err
}
