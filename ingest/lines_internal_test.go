package ingest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLineReader(t *testing.T) {
	type line struct {
		Text    string
		TooLong bool
	}
	tests := []struct {
		name string
		in   string
		max  int
		want []line
	}{
		{"lines", "a\nbb\n\nccc", 10, []line{{Text: "a"}, {Text: "bb"}, {}, {Text: "ccc"}}},
		{"final line end", "a\n", 10, []line{{Text: "a"}}},
		{"empty input", "", 10, nil},
		{"CR kept, BOM dropped", "\ufeffa\r\nb\r\n", 10, []line{{Text: "a\r"}, {Text: "b\r"}}},
		{"BOM only on the first line", "a\n\ufeffb\n", 10, []line{{Text: "a"}, {Text: "\ufeffb"}}},
		{"exactly the limit", "abcd\nabcde\n", 4, []line{{Text: "abcd"}, {TooLong: true}}},
		{"CRLF not counted", "abcd\r\nabcde\r\nab\r", 4, []line{{Text: "abcd\r"}, {TooLong: true}, {Text: "ab\r"}}},
		{"long line in the middle", "a\n" + strings.Repeat("x", 200000) + "\nb", 100, []line{{Text: "a"}, {TooLong: true}, {Text: "b"}}},
		{"long last line without line end", "a\n" + strings.Repeat("x", 200000), 100, []line{{Text: "a"}, {TooLong: true}}},
		{"line across buffer refills", strings.Repeat("y", 70000) + "\nz", 100000, []line{{Text: strings.Repeat("y", 70000)}, {Text: "z"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := newLineReader(strings.NewReader(tt.in), tt.max)
			var got []line
			for n := 1; ; n++ {
				b, err := lr.next()
				if err == io.EOF {
					break
				}
				if err != nil && !errors.Is(err, errLineTooLong) {
					t.Fatal(err)
				}
				got = append(got, line{Text: string(b), TooLong: err != nil})
				if lr.n != n {
					t.Errorf("line number %d, want %d", lr.n, n)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			if lr.off != int64(len(tt.in)) {
				t.Errorf("offset %d at the end, want %d", lr.off, len(tt.in))
			}
			if _, err := lr.next(); err != io.EOF {
				t.Errorf("next after the end = %v, want io.EOF", err)
			}
		})
	}
}

// errAfter reads its data, then fails.
type errAfter struct {
	r   io.Reader
	err error
}

func (e *errAfter) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

func TestLineReaderStickyError(t *testing.T) {
	boom := errors.New("boom")
	lr := newLineReader(&errAfter{r: bytes.NewReader([]byte("a\nb")), err: boom}, 10)
	if b, err := lr.next(); err != nil || string(b) != "a" {
		t.Fatalf("first line = %q, %v", b, err)
	}
	for range 2 {
		if _, err := lr.next(); !errors.Is(err, boom) {
			t.Errorf("next = %v, want the read error", err)
		}
	}
}

// TestLineReaderLongLineMemory checks that a long line is not held: the
// line buffer stays within the limit plus one read buffer (doubled for
// append's growth), far below the line's 10 MB.
func TestLineReaderLongLineMemory(t *testing.T) {
	const max = 1 << 10
	in := io.MultiReader(strings.NewReader("a\n"), io.LimitReader(repeatReader('x'), 10<<20), strings.NewReader("\nb\n"))
	lr := newLineReader(in, max)
	var got []string
	for {
		b, err := lr.next()
		if err == io.EOF {
			break
		}
		if errors.Is(err, errLineTooLong) {
			got = append(got, "too long")
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b))
	}
	if diff := cmp.Diff([]string{"a", "too long", "b"}, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if c := cap(lr.buf); c > 2*(max+2+lr.br.Size()) {
		t.Errorf("line buffer grew to %d bytes for a limit of %d", c, max)
	}
}

// repeatReader reads as an endless run of one byte.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}
