package ingest

import "strings"

// PAN lengths accepted by ISO/IEC 7812: 12 to 19 digits.
const (
	minPANDigits = 12
	maxPANDigits = 19
)

// Luhn reports whether digits, a string of ASCII digits only, passes the
// Luhn (mod 10) check used by card numbers (ISO/IEC 7812-1, annex B). It
// returns false for an empty string or any non-digit byte.
func Luhn(digits string) bool {
	if digits == "" {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// IsPAN reports whether s is a card number: 12 to 19 digits once spaces and
// dashes are removed, passing the Luhn check.
func IsPAN(s string) bool {
	d, ok := panDigits(s)
	return ok && Luhn(d)
}

// MaskPAN returns a card number in the form shown to people: its first six
// digits (the BIN), "******" and its last four, e.g. "411111******1111".
// Spaces and dashes are dropped first. A value that is not made of at least
// 12 digits (and separators) is returned unchanged: it holds no card number.
func MaskPAN(s string) string {
	d := stripSeparators(s)
	if len(d) < minPANDigits || !allDigits(d) {
		return s
	}
	return d[:6] + "******" + d[len(d)-4:]
}

// panDigits returns s without spaces and dashes, and whether that is 12 to
// 19 ASCII digits (a card number's shape, Luhn not checked).
func panDigits(s string) (string, bool) {
	d := stripSeparators(s)
	return d, len(d) >= minPANDigits && len(d) <= maxPANDigits && allDigits(d)
}

// stripSeparators removes the spaces and dashes people type inside card
// numbers.
func stripSeparators(s string) string {
	if strings.IndexByte(s, ' ') < 0 && strings.IndexByte(s, '-') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' && c != '-' {
			b = append(b, c)
		}
	}
	return string(b)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digitRun is a run of digits inside a string, possibly broken by spaces and
// dashes between digits (as in "4111 1111-1111 1111"): s[start:end] begins
// and ends with a digit and holds n digits.
type digitRun struct{ start, end, n int }

// nextDigitRun returns the first digit run at or after s[from:], and false
// when there is none.
func nextDigitRun(s string, from int) (digitRun, bool) {
	i := from
	for i < len(s) && !isDigit(s[i]) {
		i++
	}
	if i == len(s) {
		return digitRun{}, false
	}
	r := digitRun{start: i}
	for j := i; j < len(s); j++ {
		c := s[j]
		if isDigit(c) {
			r.n++
			r.end = j + 1
		} else if c != ' ' && c != '-' {
			break
		}
	}
	return r, true
}

// longestDigitRun returns the largest number of digits in one run of s.
func longestDigitRun(s string) int {
	longest := 0
	for r, ok := nextDigitRun(s, 0); ok; r, ok = nextDigitRun(s, r.end) {
		longest = max(longest, r.n)
	}
	return longest
}

// maskDigitRuns masks every run of 12 or more digits in s with MaskPAN, so a
// value can be echoed in an error message without leaking a card number.
// Luhn is deliberately not checked: a mistyped card number is still one.
func maskDigitRuns(s string) string {
	if len(s) < minPANDigits {
		return s
	}
	var b strings.Builder
	last := 0
	for r, ok := nextDigitRun(s, 0); ok; r, ok = nextDigitRun(s, r.end) {
		if r.n < minPANDigits {
			continue
		}
		b.WriteString(s[last:r.start])
		b.WriteString(MaskPAN(s[r.start:r.end]))
		last = r.end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// replacePANs returns s with every card number inside it replaced by
// repl(its digits), or s itself when it holds none. A card number here is
// 12 to 19 digits passing the Luhn check, written together or in groups
// split by spaces or dashes ("4111 1111 1111 1111"), and not right after a
// plus sign (an international phone number). Within a run of digit groups,
// the groups are searched left to right for the longest card number
// starting at each group, so "qty 2 4111 1111 1111 1111" finds the card. A
// card number glued to other digits ("41111111111111119999") cannot be told
// apart from a longer number and is left alone.
func replacePANs(s string, repl func(digits string) string) string {
	if len(s) < minPANDigits {
		return s
	}
	var (
		b      strings.Builder
		last   int
		groups []digitRun
		digits []byte
	)
	for r, ok := nextDigitRun(s, 0); ok; r, ok = nextDigitRun(s, r.end) {
		if r.n < minPANDigits {
			continue
		}
		groups = digitGroups(s[:r.end], r.start, groups[:0])
		for i := 0; i < len(groups); i++ {
			if g := groups[i]; g.start > 0 && s[g.start-1] == '+' {
				continue
			}
			best, n := -1, 0
			for j := i; j < len(groups); j++ {
				if n += groups[j].n; n > maxPANDigits {
					break
				}
				if n >= minPANDigits {
					digits = appendDigits(digits[:0], s[groups[i].start:groups[j].end])
					if Luhn(string(digits)) {
						best = j
					}
				}
			}
			if best < 0 {
				continue
			}
			digits = appendDigits(digits[:0], s[groups[i].start:groups[best].end])
			b.WriteString(s[last:groups[i].start])
			b.WriteString(repl(string(digits)))
			last = groups[best].end
			i = best
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// digitGroups appends to dst the groups of consecutive digits of the run
// that starts at s[start] and ends at the end of s.
func digitGroups(s string, start int, dst []digitRun) []digitRun {
	for i := start; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		g := digitRun{start: i}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		g.end, g.n = i, i-g.start
		dst = append(dst, g)
	}
	return dst
}

// appendDigits appends the digits of s to dst, dropping everything else.
func appendDigits(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			dst = append(dst, s[i])
		}
	}
	return dst
}

// holdsPAN reports whether s holds a card number as replacePANs finds them.
func holdsPAN(s string) bool {
	return replacePANs(s, func(string) string { return "" }) != s
}
