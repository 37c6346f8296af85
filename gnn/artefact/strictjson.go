package artefact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// errTrailingJSON reports a second value after the top-level one.
var errTrailingJSON = errors.New("data after the top-level JSON value")

// findDupKey walks the JSON text data token by token, without building
// values, and returns the first object key that appears twice in the same
// object with that object's depth (1 for the top-level object), or "" and
// 0 if there is none. Keys are compared case-folded, since encoding/json
// matches struct fields case-insensitively ("ID" sets the field "id"). err
// reports a syntax error, an incomplete value or data after the top-level
// value. It exists because encoding/json silently keeps the last of
// duplicate keys: two files that read alike must be alike.
func findDupKey(data []byte) (key string, depth int, err error) {
	type frame struct {
		keys    map[string]struct{}
		obj     bool // an object; else an array
		wantKey bool // an object expecting a key or '}'
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []frame
	done := false
	endValue := func() {
		if len(stack) == 0 {
			done = true
		} else if top := &stack[len(stack)-1]; top.obj {
			top.wantKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if !done {
				return "", 0, io.ErrUnexpectedEOF
			}
			return "", 0, nil
		}
		if err != nil {
			return "", 0, err
		}
		if done {
			return "", 0, errTrailingJSON
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:n-1]
				endValue()
				continue
			}
			k, ok := tok.(string)
			if !ok { // json.Decoder only yields a string here; be safe anyway.
				return "", 0, fmt.Errorf("object key is %T", tok)
			}
			folded := strings.ToLower(strings.ToUpper(k)) // 'ſ' and 'K' (Kelvin) fold too
			if _, dup := stack[n-1].keys[folded]; dup {
				return k, n, nil
			}
			stack[n-1].keys[folded] = struct{}{}
			stack[n-1].wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{keys: map[string]struct{}{}, obj: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		endValue()
	}
}

// decodeStrict decodes the single JSON value in data into v, rejecting
// unknown fields and trailing data. Duplicate keys are the caller's to
// check with findDupKey first.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailingJSON
	}
	return nil
}
