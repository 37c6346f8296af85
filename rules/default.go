package rules

import (
	"bytes"
	_ "embed"
)

// defaultFile is the rule set built into the binary: every rule type with
// conservative limits. Operators replace it with --rules FILE.
//
//go:embed default.yaml
var defaultFile []byte

// Default returns the built-in rule set.
func Default() (*Set, error) { return Load(bytes.NewReader(defaultFile), "default.yaml") }
