package synth

import "strconv"

// Identifiers are short, prefixed numbers: transactions t00000001 (eight
// digits, zero-padded, in emission order; longer past 99,999,999), users
// u<n>, accounts a<n> (party n owns user u<n>, account a<n>, email n and
// phone n), devices d<n>, merchants m<n>. Cards are 16-digit Luhn-valid
// PANs under well-known test BINs. The helpers append to a caller's buffer
// so the hot path allocates only the final strings.

// txnIDWidth is the zero-padded width of the transaction counter.
const txnIDWidth = 8

func appendTxnID(b []byte, n uint64) []byte {
	b = append(b, 't')
	var digits [20]byte
	d := strconv.AppendUint(digits[:0], n, 10)
	for i := len(d); i < txnIDWidth; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

func appendID(b []byte, prefix byte, n int32) []byte {
	return strconv.AppendInt(append(b, prefix), int64(n), 10)
}

var emailDomains = [...]string{"@example.com", "@example.net", "@example.org"}

// appendEmail formats email n, e.g. e17@example.net.
func appendEmail(b []byte, n int32) []byte {
	return append(appendID(b, 'e', n), emailDomains[n%int32(len(emailDomains))]...)
}

// appendPhone formats phone n in the fictional +1 555 range, E.164:
// +15550000017.
func appendPhone(b []byte, n int32) []byte {
	b = append(b, "+1555"...)
	var digits [12]byte
	d := strconv.AppendInt(digits[:0], int64(n), 10)
	for i := len(d); i < 7; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

// appendIP formats an IPv4 address in dotted-quad form.
func appendIP(b []byte, ip uint32) []byte {
	b = strconv.AppendUint(b, uint64(ip>>24), 10)
	for shift := 16; shift >= 0; shift -= 8 {
		b = strconv.AppendUint(append(b, '.'), uint64(ip>>shift&0xff), 10)
	}
	return b
}

// testBINs are issuer prefixes of public test card numbers (Visa 400000,
// 411111, 424242; Mastercard 555555, 510510, 222300).
var testBINs = [...]string{"400000", "411111", "424242", "555555", "510510", "222300"}

// appendPAN formats card n as a 16-digit PAN: a test BIN (n mod 6), nine
// digits of n/6, zero-padded, and the Luhn check digit. Distinct n below
// 6e9 give distinct PANs.
func appendPAN(b []byte, n int32) []byte {
	start := len(b)
	b = append(b, testBINs[n%int32(len(testBINs))]...)
	var digits [12]byte
	d := strconv.AppendInt(digits[:0], int64(n)/int64(len(testBINs)), 10)
	for i := len(d); i < 9; i++ {
		b = append(b, '0')
	}
	b = append(b, d...)
	return append(b, luhnCheckDigit(b[start:]))
}

// luhnCheckDigit returns the digit that makes payload+digit pass the Luhn
// check (ISO/IEC 7812-1, Annex B): working from the right of the payload,
// every other digit starting with the rightmost is doubled.
func luhnCheckDigit(payload []byte) byte {
	sum := 0
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if (len(payload)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}
