package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"time"
)

// Formats returns the report formats Marshal writes.
func Formats() []string { return []string{FormatGoAML, FormatSAR} }

// Marshal builds the report of c in format (FormatGoAML or FormatSAR),
// stamped with now, and returns it as an XML document. When the report
// does not check out, the error is a *FieldErrors listing every problem
// (errors.Is ErrMissing and/or ErrText) and no document is returned. An
// unknown format wraps ErrFormat.
func Marshal(format string, cfg Config, c Case, now time.Time) ([]byte, error) {
	var doc any
	var err error
	switch format {
	case FormatGoAML:
		doc, err = BuildGoAML(cfg, c, now)
	case FormatSAR:
		doc, err = BuildSAR(cfg, c, now)
	default:
		return nil, errFormat(format)
	}
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("report: encoding %s: %w", format, err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
