package ingest

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A hand-written scanner for the one shape of JSON this package reads: an
// object whose members are read one at a time, without reflection and
// without allocating for the keys it knows. It accepts exactly RFC 8259
// JSON, as encoding/json does (a fuzz test holds the two to the same
// answers); unlike encoding/json it leaves invalid UTF-8 in place, for the
// decoder to report against the field that holds it.

// maxJSONDepth bounds nesting, as in encoding/json.
const maxJSONDepth = 10000

type jsonKind uint8

const (
	jsonString jsonKind = iota + 1
	jsonNumber
	jsonBool
	jsonNull
	jsonObject
	jsonArray
)

// jsonValue is one scanned value: its kind and its literal text (quotes
// included for a string).
type jsonValue struct {
	kind    jsonKind
	raw     []byte
	escaped bool // a string holding backslash escapes
}

// jsonScan is a cursor over one JSON text. The first syntax error stops it
// and is kept in err.
type jsonScan struct {
	b   []byte
	i   int
	err string
}

func (s *jsonScan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// fail records a syntax error at the cursor: an unexpected byte, described
// by context, or the end of input.
func (s *jsonScan) fail(context string) {
	if s.err != "" {
		return
	}
	if s.i >= len(s.b) {
		s.err = "invalid JSON at byte " + strconv.Itoa(len(s.b)) + ": unexpected end of JSON input"
		return
	}
	s.err = "invalid JSON at byte " + strconv.Itoa(s.i+1) + ": invalid character " + quoteByte(s.b[s.i]) + " " + context
}

func quoteByte(c byte) string {
	switch {
	case c == '\'':
		return `'\''`
	case c >= 0x20 && c < 0x7f:
		return "'" + string(rune(c)) + "'"
	}
	return `'\x` + string(rune(hexDigits[c>>4])) + string(rune(hexDigits[c&0xf])) + "'"
}

// open consumes the '{' that starts an object.
func (s *jsonScan) open() bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		s.fail("looking for beginning of object")
		return false
	}
	s.i++
	return true
}

// member reads the next member of the object being scanned, first telling
// whether it would be the first one. It returns false at the object's end
// (having consumed the '}') or on a syntax error.
func (s *jsonScan) member(first bool, depth int) (key, val jsonValue, ok bool) {
	s.ws()
	if s.i >= len(s.b) {
		s.fail("")
		return key, val, false
	}
	switch c := s.b[s.i]; {
	case c == '}':
		s.i++
		return key, val, false
	case !first && c == ',':
		s.i++
		s.ws()
	case !first:
		s.fail("after object key:value pair")
		return key, val, false
	}
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		s.fail("looking for beginning of object key string")
		return key, val, false
	}
	if key, ok = s.string(); !ok {
		return key, val, false
	}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != ':' {
		s.fail("after object key")
		return key, val, false
	}
	s.i++
	val, ok = s.value(depth)
	return key, val, ok
}

// end checks that nothing but whitespace follows the top-level value.
func (s *jsonScan) end() bool {
	s.ws()
	if s.i < len(s.b) {
		s.fail("after top-level value")
		return false
	}
	return true
}

// value scans one value of any kind.
func (s *jsonScan) value(depth int) (jsonValue, bool) {
	s.ws()
	if s.i >= len(s.b) {
		s.fail("")
		return jsonValue{}, false
	}
	start := s.i
	switch c := s.b[s.i]; {
	case c == '"':
		return s.string()
	case c == '-' || isDigit(c):
		return s.number()
	case c == 't':
		return s.literal("true", jsonBool)
	case c == 'f':
		return s.literal("false", jsonBool)
	case c == 'n':
		return s.literal("null", jsonNull)
	case c == '{':
		if depth >= maxJSONDepth {
			s.err = "invalid JSON: nested too deeply"
			return jsonValue{}, false
		}
		s.i++
		for first := true; ; first = false {
			if _, _, ok := s.member(first, depth+1); !ok {
				break
			}
		}
		return jsonValue{kind: jsonObject, raw: s.b[start:s.i]}, s.err == ""
	case c == '[':
		if depth >= maxJSONDepth {
			s.err = "invalid JSON: nested too deeply"
			return jsonValue{}, false
		}
		s.i++
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			return jsonValue{kind: jsonArray, raw: s.b[start:s.i]}, true
		}
		for {
			if _, ok := s.value(depth + 1); !ok {
				return jsonValue{}, false
			}
			s.ws()
			if s.i < len(s.b) && s.b[s.i] == ',' {
				s.i++
				continue
			}
			if s.i < len(s.b) && s.b[s.i] == ']' {
				s.i++
				return jsonValue{kind: jsonArray, raw: s.b[start:s.i]}, true
			}
			s.fail("after array element")
			return jsonValue{}, false
		}
	}
	s.fail("looking for beginning of value")
	return jsonValue{}, false
}

func (s *jsonScan) literal(word string, kind jsonKind) (jsonValue, bool) {
	start := s.i
	for k := 0; k < len(word); k++ {
		if s.i >= len(s.b) || s.b[s.i] != word[k] {
			s.fail("in literal " + word + " (expecting '" + word[k:k+1] + "')")
			return jsonValue{}, false
		}
		s.i++
	}
	return jsonValue{kind: kind, raw: s.b[start:s.i]}, true
}

// string scans a string literal, the cursor on its opening quote.
func (s *jsonScan) string() (jsonValue, bool) {
	start := s.i
	s.i++
	v := jsonValue{kind: jsonString}
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			v.raw = s.b[start:s.i]
			return v, true
		case c == '\\':
			v.escaped = true
			s.i++
			if s.i >= len(s.b) {
				break
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				s.i++
				for range 4 {
					if s.i >= len(s.b) {
						break
					}
					if !isHex(s.b[s.i]) {
						s.fail("in \\u hexadecimal character escape")
						return jsonValue{}, false
					}
					s.i++
				}
			default:
				s.fail("in string escape code")
				return jsonValue{}, false
			}
		case c < 0x20:
			s.fail("in string literal")
			return jsonValue{}, false
		default:
			s.i++
		}
	}
	s.fail("")
	return jsonValue{}, false
}

// number scans a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScan) number() (jsonValue, bool) {
	start := s.i
	digits := func() bool {
		n := 0
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
			n++
		}
		return n > 0
	}
	if s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case !digits():
		s.fail("in numeric literal")
		return jsonValue{}, false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !digits() {
			s.fail("after decimal point in numeric literal")
			return jsonValue{}, false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !digits() {
			s.fail("in exponent of numeric literal")
			return jsonValue{}, false
		}
	}
	return jsonValue{kind: jsonNumber, raw: s.b[start:s.i]}, true
}

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// text returns a string's content, unescaped, or the literal of any other
// value.
func (v jsonValue) text() string { return string(v.appendText(nil)) }

// appendText appends a string's content, unescaped, or the literal of any
// other value.
func (v jsonValue) appendText(dst []byte) []byte {
	if v.kind != jsonString {
		return append(dst, v.raw...)
	}
	body := v.raw[1 : len(v.raw)-1]
	if !v.escaped {
		return append(dst, body...)
	}
	return unescape(dst, body)
}

// unescape appends the unescaped content of a scanned string body to dst.
// A lone UTF-16 surrogate becomes U+FFFD, as in encoding/json.
func unescape(dst, body []byte) []byte {
	for i := 0; i < len(body); {
		c := body[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		i++
		switch e := body[i]; e {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(body[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if i+2 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' {
					r2 = utf16.DecodeRune(r, hex4(body[i+3:i+7]))
					if r2 != utf8.RuneError {
						i += 6
					}
				}
				r = r2
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, e)
		}
		i++
	}
	return dst
}

// hex4 decodes four hex digits that the scanner has checked.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case isDigit(c):
			r |= rune(c - '0')
		case c >= 'a':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}
