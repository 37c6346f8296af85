package ingest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Mapping reads foreign files: it maps one of our contract field names
// (transaction or label fields: "user", "amount", "txn", …) to the name of
// their CSV column or JSON key holding it. A field the mapping leaves out is
// read from the column named like the field; a column no field reads is, in
// a transaction file, kept in attrs. Two fields may read the same column
// (user=Source,account=Source). A nil Mapping maps nothing.
type Mapping map[string]string

// ParseMapping parses "user=Source,merchant=Target,amount=Amount" (our
// field=their column; spaces around names are dropped). An empty string is
// an empty mapping. Unknown field names, empty names and a field given
// twice are errors. Column names cannot contain commas.
func ParseMapping(s string) (Mapping, error) {
	m := Mapping{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	for i, entry := range strings.Split(s, ",") {
		ours, theirs, ok := strings.Cut(entry, "=")
		ours, theirs = strings.TrimSpace(ours), strings.TrimSpace(theirs)
		switch {
		case strings.TrimSpace(entry) == "":
			return nil, fmt.Errorf("ingest: mapping entry %d is empty", i+1)
		case !ok:
			return nil, fmt.Errorf("ingest: mapping entry %q: want field=column", entry)
		case ours == "":
			return nil, fmt.Errorf("ingest: mapping entry %q: no field name before =", entry)
		case theirs == "":
			return nil, fmt.Errorf("ingest: mapping entry %q: no column name after =", entry)
		}
		if prev, dup := m[ours]; dup {
			return nil, fmt.Errorf("ingest: mapping gives field %q twice (%q and %q)", ours, prev, theirs)
		}
		m[ours] = theirs
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Validate checks that every key is a contract field name and every column
// name is non-empty.
func (m Mapping) Validate() error {
	for _, ours := range slices.Sorted(maps.Keys(m)) {
		if !knownField(ours) {
			return fmt.Errorf("ingest: mapping: unknown field %q: want one of %s", ours, strings.Join(mappableFields(), ", "))
		}
		if m[ours] == "" {
			return fmt.Errorf("ingest: mapping: field %q has an empty column name", ours)
		}
	}
	return nil
}

// String returns the mapping in ParseMapping's syntax, sorted by field.
func (m Mapping) String() string {
	var b strings.Builder
	for i, ours := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(ours)
		b.WriteByte('=')
		b.WriteString(m[ours])
	}
	return b.String()
}

// column returns the column or key that field reads.
func (m Mapping) column(field string) string {
	if c, ok := m[field]; ok {
		return c
	}
	return field
}

// keyFields returns, for every input key (CSV column or JSON key) that
// feeds a field under m, the indexes into fields of the fields it feeds.
func keyFields(fields []string, m Mapping) map[string][]uint8 {
	k := make(map[string][]uint8, len(fields))
	for i, f := range fields {
		c := m.column(f)
		k[c] = append(k[c], uint8(i))
	}
	return k
}

func knownField(name string) bool {
	return slices.Contains(txnFields[:], name) || slices.Contains(labelFields[:], name)
}

// mappableFields lists the field names a Mapping accepts.
func mappableFields() []string {
	out := slices.Clone(txnFields[:])
	for _, f := range labelFields {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}
