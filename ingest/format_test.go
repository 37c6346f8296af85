package ingest_test

import (
	"testing"

	"github.com/riskgraph/riskgraph/ingest"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    ingest.Format
		wantErr bool
	}{
		{"jsonl", ingest.FormatJSONL, false},
		{"json", ingest.FormatJSONL, false},
		{"NDJSON", ingest.FormatJSONL, false},
		{"csv", ingest.FormatCSV, false},
		{" CSV ", ingest.FormatCSV, false},
		{"tsv", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ingest.ParseFormat(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ParseFormat(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestFormatOf(t *testing.T) {
	tests := []struct {
		path    string
		want    ingest.Format
		wantErr bool
	}{
		{"data/txns.jsonl", ingest.FormatJSONL, false},
		{"txns.JSON", ingest.FormatJSONL, false},
		{"/tmp/x.ndjson", ingest.FormatJSONL, false},
		{"labels.csv", ingest.FormatCSV, false},
		{"txns.csv.gz", 0, true},
		{"txns", 0, true},
		{"dir.csv/txns", 0, true},
		{"txns.parquet", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := ingest.FormatOf(tt.path)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("FormatOf(%q) = %v, %v; want %v, error %v", tt.path, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestFormatString(t *testing.T) {
	for f, want := range map[ingest.Format]string{ingest.FormatJSONL: "jsonl", ingest.FormatCSV: "csv", 0: "Format(0)"} {
		if got := f.String(); got != want {
			t.Errorf("Format(%d).String() = %q, want %q", int(f), got, want)
		}
	}
}
