package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CSV is split here rather than with encoding/csv because a csv.Reader
// cannot recover from an over-long line and costs a 4 KiB buffer per
// record when used one record at a time. The dialect is RFC 4180 with
// encoding/csv's strict defaults: comma separator, no comments, no lazy
// quotes, "\r\n" or "\n" line ends, empty lines skipped. Unlike
// encoding/csv, a "\r\n" inside a quoted field is kept as it is, so that
// values written by encoding/csv.Writer read back unchanged.

// quoteState follows a CSV record line by line to tell whether its last
// line ended inside a quoted field, in which case the record goes on.
type quoteState struct {
	inQuote    bool
	fieldStart bool
}

func newQuoteState() quoteState { return quoteState{fieldStart: true} }

// feed advances the state over one line (without its "\n").
func (q *quoteState) feed(line []byte) {
	for i := 0; i < len(line); i++ {
		c := line[i]
		if q.inQuote {
			if c == '"' {
				if i+1 < len(line) && line[i+1] == '"' {
					i++ // escaped quote
				} else {
					q.inQuote = false
				}
			}
			continue
		}
		switch {
		case c == ',':
			q.fieldStart = true
			continue
		case c == '"' && q.fieldStart:
			q.inQuote = true
		}
		q.fieldStart = false
	}
}

// splitRecord splits one complete CSV record (its lines joined by "\n",
// without the final line end) into fields, reusing fields and scratch. On
// malformed quoting it returns the 0-based index of the offending field and
// a reason. The field strings share one allocation.
func splitRecord(rec []byte, fields []string, scratch []byte, ends []int) ([]string, []byte, []int, int, string) {
	fields, scratch, ends = fields[:0], scratch[:0], ends[:0]
	for i := 0; ; {
		if i < len(rec) && rec[i] == '"' {
			i++
			for {
				j := bytes.IndexByte(rec[i:], '"')
				if j < 0 {
					return fields, scratch, ends, len(ends), "quoted field is not closed"
				}
				scratch = append(scratch, rec[i:i+j]...)
				i += j + 1
				if i < len(rec) && rec[i] == '"' {
					scratch = append(scratch, '"')
					i++
					continue
				}
				break
			}
			ends = append(ends, len(scratch))
			if i == len(rec) {
				break
			}
			if rec[i] != ',' {
				return fields, scratch, ends, len(ends) - 1, `extraneous or missing " in quoted field`
			}
			i++
			continue
		}
		j := bytes.IndexByte(rec[i:], ',')
		f := rec[i:]
		if j >= 0 {
			f = rec[i : i+j]
		}
		if bytes.IndexByte(f, '"') >= 0 {
			return fields, scratch, ends, len(ends), `bare " in non-quoted field`
		}
		scratch = append(scratch, f...)
		ends = append(ends, len(scratch))
		if j < 0 {
			break
		}
		i += j + 1
	}
	all := string(scratch)
	start := 0
	for _, end := range ends {
		fields = append(fields, all[start:end])
		start = end
	}
	return fields, scratch, ends, -1, ""
}

// pendingLine is a line to be read again, or the mark of a line that was
// too long.
type pendingLine struct {
	n       int
	b       []byte
	tooLong bool
}

// csvRecords cuts input into CSV records: usually one line, several when a
// quoted field holds newlines. A record that fails (a quoted field not
// closed before the end of input or within max bytes; or, through requeue,
// one that cannot be split) has the lines after its first read again as
// records, so that a stray quote costs one row rather than the file.
type csvRecords struct {
	lr     *lineReader
	max    int
	replay []pendingLine // lines to read before lr's, in order
	rec    []byte        // the current record when it spans lines
	starts []int         // offsets in rec of its lines
	nums   []int         // numbers of its lines
}

func (c *csvRecords) physical() ([]byte, int, error) {
	if len(c.replay) > 0 {
		p := c.replay[0]
		c.replay = c.replay[1:]
		if p.tooLong {
			return nil, p.n, errLineTooLong
		}
		return p.b, p.n, nil
	}
	b, err := c.lr.next()
	return b, c.lr.n, err
}

// next returns the next record, without its final line end, and the number
// of the line it starts on. The record is valid until the next call. A line
// or record over the limit, or a quoted field left open, is a *RowError;
// io.EOF and read errors are returned as they are.
func (c *csvRecords) next() ([]byte, int, error) {
	c.starts, c.nums = c.starts[:0], c.nums[:0]
	for {
		b, n, err := c.physical()
		switch {
		case errors.Is(err, errLineTooLong):
			return nil, n, &RowError{Line: n, Reason: "line exceeds " + strconv.Itoa(c.max) + " bytes"}
		case err != nil:
			return nil, n, err
		case len(b) == 0 || len(b) == 1 && b[0] == '\r':
			continue // empty line
		}
		if bytes.IndexByte(b, '"') < 0 {
			return bytes.TrimSuffix(b, []byte{'\r'}), n, nil
		}
		q := newQuoteState()
		q.feed(b)
		if !q.inQuote {
			return bytes.TrimSuffix(b, []byte{'\r'}), n, nil
		}
		start := n
		c.rec = append(c.rec[:0], b...)
		c.starts, c.nums = append(c.starts, 0), append(c.nums, n)
		for q.inQuote {
			b, n, err = c.physical()
			tooLong := errors.Is(err, errLineTooLong)
			switch {
			case err == nil && len(c.rec)+1+len(b) <= c.max:
				c.starts, c.nums = append(c.starts, len(c.rec)+1), append(c.nums, n)
				c.rec = append(append(c.rec, '\n'), b...)
				q.feed(b)
				continue
			case err == nil || tooLong:
				c.requeue(pendingLine{n: n, b: bytes.Clone(b), tooLong: tooLong})
				return nil, start, &RowError{Line: start, Reason: "quoted field not closed within " + strconv.Itoa(c.max) + " bytes"}
			case err == io.EOF:
				c.requeue()
				return nil, start, &RowError{Line: start, Reason: "quoted field not closed before the end of input"}
			default:
				return nil, start, err
			}
		}
		return bytes.TrimSuffix(c.rec, []byte{'\r'}), start, nil
	}
}

// requeue puts the lines of the last record after its first, then extra,
// back in front of the input. It does nothing for a one-line record.
func (c *csvRecords) requeue(extra ...pendingLine) {
	if len(c.nums) < 2 && len(extra) == 0 {
		return
	}
	var again []pendingLine
	for i := 1; i < len(c.nums); i++ {
		end := len(c.rec)
		if i+1 < len(c.starts) {
			end = c.starts[i+1] - 1
		}
		again = append(again, pendingLine{n: c.nums[i], b: bytes.Clone(c.rec[c.starts[i]:end])})
	}
	again = append(again, extra...)
	c.replay = append(again, c.replay...)
	c.starts, c.nums = c.starts[:0], c.nums[:0]
}

// csvLayout says which columns of a CSV file feed which contract fields.
type csvLayout struct {
	names []string // header names, spaces trimmed
	col   []int    // per field: the column it reads, -1 when none
	extra []int    // columns kept in attrs, in header order
	// colField names each column in errors: its first field, "attrs" for
	// an extra column, "" for an ignored one.
	colField []string
}

// newCSVLayout matches a header row to fields under m. Columns with an
// empty name (a spreadsheet's index column) are ignored; other columns that
// no field reads are extra columns when keepExtra is set and keep admits
// them, else ignored.
func newCSVLayout(header []string, fields []string, m Mapping, keepExtra bool, keep attrFilter) (*csvLayout, string) {
	l := &csvLayout{
		names:    make([]string, len(header)),
		col:      make([]int, len(fields)),
		colField: make([]string, len(header)),
	}
	index := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		if !utf8.ValidString(h) {
			return nil, fmt.Sprintf("column %d: name is not valid UTF-8", i+1)
		}
		l.names[i] = h
		if h == "" {
			continue
		}
		if j, dup := index[h]; dup {
			return nil, fmt.Sprintf("column %s appears twice (columns %d and %d)", echo(h), j+1, i+1)
		}
		index[h] = i
	}
	used := make([]bool, len(header))
	for f, name := range fields {
		c := m.column(name)
		i, ok := index[c]
		if !ok {
			l.col[f] = -1
			if _, mapped := m[name]; mapped {
				return nil, fmt.Sprintf("mapping %s=%s: no column %s in the header", name, c, echo(c))
			}
			continue
		}
		l.col[f] = i
		if !used[i] {
			used[i], l.colField[i] = true, name
		}
	}
	for i, h := range l.names {
		if !used[i] && h != "" && keepExtra && keep.admits(h) {
			l.extra = append(l.extra, i)
			l.colField[i] = attrsKey
		}
	}
	if keepExtra {
		for _, a := range keep.names() {
			if _, ok := index[a]; !ok {
				return nil, fmt.Sprintf("attribute column %s is not in the header", echo(a))
			}
		}
	}
	return l, ""
}

// require reports the first of fields (by index) that has no column.
func (l *csvLayout) require(fields []string, idx ...int) string {
	for _, f := range idx {
		if l.col[f] < 0 {
			return "no " + fields[f] + " column"
		}
	}
	return ""
}

// fieldOf names column i in an error.
func (l *csvLayout) fieldOf(i int) string {
	if i >= 0 && i < len(l.colField) {
		return l.colField[i]
	}
	return ""
}
