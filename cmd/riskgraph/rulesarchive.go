package main

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/riskgraph/riskgraph/rules"
)

// rulesDir keeps every rule set version serve has run, so that explain can
// replay a past decision under the rules that made it.
const rulesDir = "rules"

func rulesArchivePath(dataDir, version string) string {
	return filepath.Join(dataDir, rulesDir, url.PathEscape(version)+".yaml")
}

// archiveRules writes set's source under its version, unless that version
// is already archived with the same content. A version reused with other
// content keeps the first archive and is reported.
func archiveRules(dataDir string, set *rules.Set) error {
	path := rulesArchivePath(dataDir, set.Version())
	src := set.Source()
	if old, err := os.ReadFile(path); err == nil {
		if !bytes.Equal(old, src) {
			return fmt.Errorf("rules version %q is already archived with other content (%s): explain will replay the archived one", set.Version(), path)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, src, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// archivedRules loads the rule set version from the archive.
func archivedRules(dataDir, version string) (*rules.Set, error) {
	path := rulesArchivePath(dataDir, version)
	set, err := rules.LoadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rules version %q: %w", version, err)
	}
	return set, nil
}
