package ingest

import (
	"strings"
	"testing"
)

func TestEcho(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "abc", `"abc"`},
		{"card number masked", "x 4111 1111 1111 1111 y", `"x 411111******1111 y"`},
		{"long value cut", strings.Repeat("a", 100), `"` + strings.Repeat("a", 64) + `"…`},
		{"cut on a rune boundary", strings.Repeat("a", 63) + "é", `"` + strings.Repeat("a", 63) + `"…`},
		// strconv.Quote writes \x01 as `\x01`, whose digits join the run.
		{"escapes cannot assemble a digit run", "\x01" + "23456789012", `"\x012345******9012"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := echo(tt.in)
			if got != tt.want {
				t.Errorf("echo(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}
