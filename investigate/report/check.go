package report

import (
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// FieldError is one problem with one field of a report.
type FieldError struct {
	// Path is the field's place in the XML document, elements joined by
	// "/", repeated elements indexed from 0, attributes after "@":
	// report/transaction[2]/t_from/from_account/account.
	Path string
	// Problem says what is wrong: "missing", or what text is bad.
	Problem string
	// Fix says where the value comes from: a config key ("institution.name
	// in reporting.yaml") or the case.
	Fix string
	// missing is set for absent required fields (ErrMissing), clear for
	// bad text (ErrText).
	missing bool
}

// FieldErrors is every problem found in a report, in document order.
type FieldErrors struct {
	Format string
	Fields []FieldError
}

func (e *FieldErrors) Error() string {
	var b strings.Builder
	missing := 0
	for _, f := range e.Fields {
		if f.missing {
			missing++
		}
	}
	fmt.Fprintf(&b, "%s report: %d problem(s)", e.Format, len(e.Fields))
	if missing > 0 {
		fmt.Fprintf(&b, ", %d required field(s) missing", missing)
	}
	b.WriteString(":")
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Path, f.Problem)
		if f.Fix != "" {
			fmt.Fprintf(&b, " (%s)", f.Fix)
		}
	}
	return b.String()
}

// Is makes errors.Is(err, ErrMissing) hold when a field is missing and
// errors.Is(err, ErrText) when text is bad.
func (e *FieldErrors) Is(target error) bool {
	for _, f := range e.Fields {
		if (f.missing && target == ErrMissing) || (!f.missing && target == ErrText) {
			return true
		}
	}
	return false
}

// Paths returns the paths of the fields at fault, in document order.
func (e *FieldErrors) Paths() []string {
	out := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = f.Path
	}
	return out
}

// checker walks a document struct.
type checker struct {
	cfg  *Config
	errs []FieldError
}

func (c *checker) missing(path, fix string) {
	for _, e := range c.errs {
		if e.Path == path {
			return // already said, with a better hint
		}
	}
	c.errs = append(c.errs, FieldError{Path: path, Problem: "missing", Fix: c.fix(fix), missing: true})
}

func (c *checker) bad(path, problem, fix string) {
	c.errs = append(c.errs, FieldError{Path: path, Problem: problem, Fix: c.fix(fix)})
}

// fix turns a req tag into advice: "case…" stays as it is, anything else
// is a config key.
func (c *checker) fix(req string) string {
	switch {
	case req == "":
		return ""
	case strings.HasPrefix(req, "case"):
		return req
	}
	return "set " + req + " in " + c.cfg.source()
}

func (c *checker) result(format string) error {
	if len(c.errs) == 0 {
		return nil
	}
	return &FieldErrors{Format: format, Fields: c.errs}
}

// walk checks v, the value at path: required fields (struct tag req)
// present, every string carriable by XML 1.0.
func (c *checker) walk(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			c.walk(v.Elem(), path)
		}
	case reflect.String:
		if why := xmlText(v.String()); why != "" {
			c.bad(path, why, "")
		}
	case reflect.Slice:
		for i := range v.Len() {
			c.walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Name == "XMLName" || !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("xml"), ",")
			if name == "-" {
				continue
			}
			if _, local, ok := strings.Cut(name, " "); ok {
				name = local
			}
			sub := path + "/" + name
			if strings.Contains(opts, "attr") {
				sub = path + "/@" + name
			}
			fv := v.Field(i)
			if req, ok := f.Tag.Lookup("req"); ok && empty(fv) {
				c.missing(sub, req)
				continue
			}
			c.walk(fv, sub)
		}
	}
}

func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return strings.TrimSpace(v.String()) == ""
	case reflect.Pointer, reflect.Slice, reflect.Map:
		return v.IsNil() || (v.Kind() != reflect.Pointer && v.Len() == 0)
	}
	return v.IsZero()
}

// xmlText returns why s cannot be XML 1.0 character data, "" when it can.
// (encoding/xml would replace such characters with U+FFFD without a word.)
func xmlText(s string) string {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Sprintf("invalid UTF-8 at byte %d", i)
		}
		if !xmlChar(r) {
			return fmt.Sprintf("character %U at byte %d cannot be carried by XML (remove it)", r, i)
		}
		i += size
	}
	return ""
}

// xmlChar reports whether r is a Char of XML 1.0 (section 2.2).
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// errFormat builds the unknown-format error.
func errFormat(f string) error {
	return fmt.Errorf("%w %q: want %s or %s", ErrFormat, f, FormatGoAML, FormatSAR)
}
