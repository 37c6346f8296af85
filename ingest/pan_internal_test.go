package ingest

import (
	"bytes"
	"testing"
)

func TestMaskDigitRuns(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no digits", "hello", "hello"},
		{"short runs kept", "2024-01-02 12:00, 12345678901", "2024-01-02 12:00, 12345678901"},
		{"card number", "pan=4111111111111111;", "pan=411111******1111;"},
		{"separated card number", "pan 4111 1111-1111 1111 end", "pan 411111******1111 end"},
		{"luhn-invalid masked too", "4111111111111112", "411111******1112"},
		{"two runs", "4111111111111111/5555555555554444", "411111******1111/555555******4444"},
		{"trailing separator not swallowed", "4111111111111111 - x", "411111******1111 - x"},
		{"long number", "123456789012345678901234", "123456******1234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maskDigitRuns(tt.in); got != tt.want {
				t.Errorf("maskDigitRuns(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestScrub(t *testing.T) {
	tok, err := NewTokenizer(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	visa := tok.Card("4111111111111111")
	tests := []struct {
		name, in, want string
	}{
		{"no card number", "acct-17", "acct-17"},
		{"whole value", "4111 1111 1111 1111", visa},
		{"inside text", "paid with 4111-1111-1111-1111.", "paid with " + visa + "."},
		{"after another digit group", "qty 2 4111 1111 1111 1111", "qty 2 " + visa},
		{"before another digit group", "4111111111111111 1234", visa + " 1234"},
		{"two card numbers", "4111111111111111,4111-1111-1111-1111", visa + "," + visa},
		{"luhn-invalid kept", "4111111111111112", "4111111111111112"},
		{"glued to other digits kept", "41111111111111119999", "41111111111111119999"},
		{"twenty digits kept", "41111111111111111113", "41111111111111111113"},
		{"eleven digits kept", "17893729974", "17893729974"},
		{"luhn-valid phone number with a plus kept", "+44 1234 567 8919", "+44 1234 567 8919"},
		{"same digits without the plus tokenised", "44 1234 567 8919", tok.Card("4412345678919")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tok.scrub(tt.in); got != tt.want {
				t.Errorf("scrub(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
