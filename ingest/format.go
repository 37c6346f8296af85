package ingest

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Format is an input or output encoding. The zero Format is invalid.
type Format int

// Formats.
const (
	// FormatJSONL is JSON Lines: one JSON object per line.
	FormatJSONL Format = iota + 1
	// FormatCSV is RFC 4180 CSV with a header row of column names.
	FormatCSV
)

// String returns "jsonl" or "csv".
func (f Format) String() string {
	switch f {
	case FormatJSONL:
		return "jsonl"
	case FormatCSV:
		return "csv"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Valid reports whether f is one of the declared formats.
func (f Format) Valid() bool { return f == FormatJSONL || f == FormatCSV }

// ParseFormat parses a format name: "jsonl", "json" or "ndjson" (all JSON
// Lines) or "csv", case-insensitively.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "jsonl", "json", "ndjson":
		return FormatJSONL, nil
	case "csv":
		return FormatCSV, nil
	}
	return 0, fmt.Errorf("ingest: unknown format %q: want jsonl, json, ndjson or csv", s)
}

// FormatOf returns the format of a file from its extension (.jsonl, .json,
// .ndjson or .csv, case-insensitively). A .json file is read as JSON Lines,
// not as one JSON array. Compressed files (.gz) are not recognised: the
// caller decompresses and names the format with ParseFormat.
func FormatOf(path string) (Format, error) {
	ext := filepath.Ext(path)
	if ext == "" {
		return 0, fmt.Errorf("ingest: %s: no file extension to tell the format by", path)
	}
	f, err := ParseFormat(ext[1:])
	if err != nil {
		return 0, fmt.Errorf("ingest: %s: unknown extension %q: want .jsonl, .json, .ndjson or .csv", path, ext)
	}
	return f, nil
}
