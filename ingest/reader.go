package ingest

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/riskgraph/riskgraph/graph"
)

// Config configures the readers.
type Config struct {
	// Tokenizer turns card numbers into tokens. Required.
	Tokenizer *Tokenizer
	// Mapping renames foreign CSV columns or JSON keys onto the contract.
	// Optional: nil reads the contract's own names.
	Mapping Mapping
	// MaxLineBytes is the longest line accepted, in bytes, its line end not
	// counted; for CSV it is also the longest record whose quoted fields
	// span lines. A longer line is skipped, without being held in memory,
	// with a RowError "line N: line exceeds MaxLineBytes bytes". 0 means
	// DefaultMaxLineBytes (1 MiB).
	MaxLineBytes int
	// Attrs, when not nil, names the extra CSV columns or JSON keys (the
	// members of a JSON attrs object included) that transactions keep in
	// attrs; the others are dropped. It keeps wide foreign files within
	// graph.MaxAttrs and their long free text out of the graph, and leaves
	// out personal data the graph does not need. In CSV, each name must be
	// a header column. nil keeps every extra column.
	Attrs []string
}

// Validate reports a missing Tokenizer, a negative MaxLineBytes, an
// invalid Mapping, or an empty or invalid UTF-8 name in Attrs.
func (c Config) Validate() error {
	switch {
	case c.Tokenizer == nil:
		return errors.New("ingest: Config.Tokenizer is required")
	case c.MaxLineBytes < 0:
		return fmt.Errorf("ingest: Config.MaxLineBytes is %d, want >= 0", c.MaxLineBytes)
	}
	for i, a := range c.Attrs {
		if a == "" || !utf8.ValidString(a) {
			return fmt.Errorf("ingest: Config.Attrs[%d] = %q: want a non-empty UTF-8 name", i, a)
		}
	}
	return c.Mapping.Validate()
}

// attrFilter is the set of attribute names to keep; nil keeps them all.
type attrFilter map[string]struct{}

func newAttrFilter(names []string) attrFilter {
	if names == nil {
		return nil
	}
	f := make(attrFilter, len(names))
	for _, n := range names {
		f[n] = struct{}{}
	}
	return f
}

func (f attrFilter) admits(name string) bool {
	if f == nil {
		return true
	}
	_, ok := f[name]
	return ok
}

// names returns the filter's names, sorted.
func (f attrFilter) names() []string { return slices.Sorted(maps.Keys(f)) }

// source is what the two readers share: the input cut into lines (JSONL)
// or records (CSV), the position, and the sticky end-of-stream error.
type source struct {
	format Format
	lines  *lineReader
	max    int

	// CSV.
	records *csvRecords
	layout  *csvLayout
	fields  []string
	scratch []byte
	ends    []int

	// JSON: which keys feed which fields, and scratch space.
	keys map[string][]uint8
	row  jsonRow

	keep attrFilter // attributes kept; nil for all

	line int   // line the last row returned started on
	err  error // io.EOF or a read error, returned from then on
}

func newSource(r io.Reader, f Format, cfg Config, fields []string, keepExtra bool) (*source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !f.Valid() {
		return nil, fmt.Errorf("ingest: unknown format %v", f)
	}
	s := &source{format: f, max: cfg.MaxLineBytes, keep: newAttrFilter(cfg.Attrs)}
	if s.max == 0 {
		s.max = DefaultMaxLineBytes
	}
	s.lines = newLineReader(r, s.max)
	if f == FormatJSONL {
		s.keys = keyFields(fields, cfg.Mapping)
		return s, nil
	}
	s.records = &csvRecords{lr: s.lines, max: s.max}
	rec, n, err := s.records.next()
	if err == io.EOF {
		return nil, fmt.Errorf("ingest: CSV input is empty: want a header row: %w", ErrInvalid)
	}
	if err != nil {
		var re *RowError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("ingest: CSV header: %w", err)
		}
		return nil, fmt.Errorf("ingest: read CSV header: %w", err)
	}
	var col int
	var reason string
	s.fields, s.scratch, s.ends, col, reason = splitRecord(rec, s.fields, s.scratch, s.ends)
	if reason != "" {
		return nil, fmt.Errorf("ingest: CSV header on line %d: column %d: %s: %w", n, col+1, reason, ErrInvalid)
	}
	s.layout, reason = newCSVLayout(s.fields, fields, cfg.Mapping, keepExtra, s.keep)
	if reason != "" {
		return nil, fmt.Errorf("ingest: CSV header on line %d: %s: %w", n, reason, ErrInvalid)
	}
	return s, nil
}

// nextJSON returns the next non-blank JSON line.
func (s *source) nextJSON() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	for {
		b, err := s.lines.next()
		switch {
		case err == nil:
		case errors.Is(err, errLineTooLong):
			s.line = s.lines.n
			return nil, &RowError{Line: s.line, Reason: "line exceeds " + strconv.Itoa(s.max) + " bytes"}
		default:
			return nil, s.fail(err)
		}
		if isBlank(b) {
			continue
		}
		s.line = s.lines.n
		return b, nil
	}
}

// nextCSV returns the fields of the next CSV record that has the header's
// number of fields, and whether the record is valid UTF-8.
func (s *source) nextCSV() ([]string, bool, error) {
	if s.err != nil {
		return nil, false, s.err
	}
	rec, n, err := s.records.next()
	if err != nil {
		var re *RowError
		if errors.As(err, &re) {
			s.line = re.Line
			return nil, false, err
		}
		return nil, false, s.fail(err)
	}
	utf8OK := utf8.Valid(rec)
	s.line = n
	var col int
	var reason string
	s.fields, s.scratch, s.ends, col, reason = splitRecord(rec, s.fields, s.scratch, s.ends)
	if reason != "" {
		s.records.requeue()
		field := s.layout.fieldOf(col)
		if field == attrsKey {
			reason = "column " + echo(s.layout.names[col]) + ": " + reason
		}
		return nil, false, &RowError{Line: n, Field: field, Reason: reason}
	}
	if len(s.fields) != len(s.layout.names) {
		s.records.requeue()
		return nil, false, &RowError{Line: n, Reason: fmt.Sprintf("has %d fields, the header has %d", len(s.fields), len(s.layout.names))}
	}
	return s.fields, utf8OK, nil
}

// fail records the end of the stream.
func (s *source) fail(err error) error {
	if err != io.EOF {
		err = fmt.Errorf("ingest: read after line %d: %w", s.lines.n, err)
	}
	s.err = err
	return err
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// TxnReader reads transactions from one JSON Lines or CSV stream. It is not
// safe for concurrent use.
type TxnReader struct {
	src *source
	tok *Tokenizer
}

// NewTxnReader returns a reader of transactions in format f from r. For
// CSV it reads the header row now, and returns an error wrapping
// ErrInvalid when the input is empty or the header is malformed: a column
// named twice, no id, time or amount column once the mapping is applied, a
// mapped column that is not there. Columns that feed no contract field go
// to attrs; columns with an empty name are ignored. An invalid Config or
// Format is an error that does not wrap ErrInvalid.
func NewTxnReader(r io.Reader, f Format, cfg Config) (*TxnReader, error) {
	src, err := newSource(r, f, cfg, txnFields[:], true)
	if err != nil {
		return nil, err
	}
	if src.layout != nil {
		if reason := src.layout.require(txnFields[:], int(fieldID), int(fieldTime), int(fieldAmount)); reason != "" {
			return nil, fmt.Errorf("ingest: CSV header: %s%s: %w", reason, mappingHint(cfg.Mapping), ErrInvalid)
		}
	}
	return &TxnReader{src: src, tok: cfg.Tokenizer}, nil
}

func mappingHint(m Mapping) string {
	if len(m) == 0 {
		return " (name foreign columns with a Mapping)"
	}
	return " under mapping " + m.String()
}

// Next returns the next transaction: valid, in UTC, its card numbers
// tokenised. At the end of input it returns io.EOF. A malformed row is a
// *RowError (wrapping ErrInvalid) after which Next may be called again to
// read on from the next row. Any other error is a read error of the
// underlying reader, returned again by every later call.
func (r *TxnReader) Next() (graph.Transaction, error) {
	s := r.src
	if s.format == FormatJSONL {
		b, err := s.nextJSON()
		if err != nil {
			return graph.Transaction{}, err
		}
		s.row.keep = s.keep
		t, rerr := s.row.decodeTxn(b, s.keys, r.tok)
		if rerr != nil {
			rerr.Line = s.line
			return graph.Transaction{}, rerr
		}
		return t, nil
	}
	rec, utf8OK, err := s.nextCSV()
	if err != nil {
		return graph.Transaction{}, err
	}
	var v txnValues
	for f, c := range s.layout.col {
		if c >= 0 {
			v[f] = rec[c]
		}
	}
	var attrs map[string]string
	for _, c := range s.layout.extra {
		if rec[c] == "" {
			continue // an empty cell is an absent attribute
		}
		if attrs == nil {
			attrs = make(map[string]string, len(s.layout.extra))
		}
		attrs[s.layout.names[c]] = rec[c]
	}
	t, rerr := buildTxn(&v, attrs, r.tok, utf8OK)
	if rerr != nil {
		rerr.Line = s.line
		return graph.Transaction{}, rerr
	}
	return t, nil
}

// Line returns the 1-based number of the line on which the row last
// returned by Next (or reported in its *RowError) starts; 0 before the
// first call.
func (r *TxnReader) Line() int { return r.src.line }

// Offset returns the number of input bytes read so far, through the end of
// the last line read, for progress reporting against the input's size. It
// equals the input's size once Next has returned io.EOF.
func (r *TxnReader) Offset() int64 { return r.src.lines.off }

// LabelReader reads labels from one JSON Lines or CSV stream. It is not
// safe for concurrent use.
type LabelReader struct {
	src *source
	tok *Tokenizer
}

// NewLabelReader returns a reader of labels in format f from r, with the
// fields txn or entity (KIND:ID), label, time and source. For CSV it reads
// the header row now; an empty input or a malformed header (a column named
// twice, no label column, neither a txn nor an entity column) is an error
// wrapping ErrInvalid. Other columns and JSON keys are ignored. Card
// numbers in entity ids are tokenised as in transactions.
func NewLabelReader(r io.Reader, f Format, cfg Config) (*LabelReader, error) {
	src, err := newSource(r, f, cfg, labelFields[:], false)
	if err != nil {
		return nil, err
	}
	if l := src.layout; l != nil {
		reason := l.require(labelFields[:], int(labelClass))
		if reason == "" && l.col[labelTxn] < 0 && l.col[labelEntity] < 0 {
			reason = "neither a txn nor an entity column"
		}
		if reason != "" {
			return nil, fmt.Errorf("ingest: CSV header: %s%s: %w", reason, mappingHint(cfg.Mapping), ErrInvalid)
		}
	}
	return &LabelReader{src: src, tok: cfg.Tokenizer}, nil
}

// Next returns the next valid label, with the same contract as
// TxnReader.Next.
func (r *LabelReader) Next() (graph.Label, error) {
	s := r.src
	if s.format == FormatJSONL {
		b, err := s.nextJSON()
		if err != nil {
			return graph.Label{}, err
		}
		l, rerr := decodeLabelJSON(b, s.keys, r.tok)
		if rerr != nil {
			rerr.Line = s.line
			return graph.Label{}, rerr
		}
		return l, nil
	}
	rec, _, err := s.nextCSV()
	if err != nil {
		return graph.Label{}, err
	}
	var v labelValues
	for f, c := range s.layout.col {
		if c >= 0 {
			v[f] = rec[c]
		}
	}
	l, rerr := buildLabel(&v, r.tok)
	if rerr != nil {
		rerr.Line = s.line
		return graph.Label{}, rerr
	}
	return l, nil
}

// Line returns the 1-based number of the line on which the row last
// returned by Next starts; 0 before the first call.
func (r *LabelReader) Line() int { return r.src.line }

// Offset returns the number of input bytes read so far, as
// TxnReader.Offset does.
func (r *LabelReader) Offset() int64 { return r.src.lines.off }
