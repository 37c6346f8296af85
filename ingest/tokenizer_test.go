package ingest_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/ingest"
)

func TestLuhn(t *testing.T) {
	tests := []struct {
		name   string
		digits string
		want   bool
	}{
		{"visa", "4111111111111111", true},
		{"visa last digit off", "4111111111111112", false},
		{"amex", "378282246310005", true},
		{"twelve digits", "123456789015", true},
		{"nineteen digits", "6304000000000000000", true},
		{"wikipedia example", "17893729974", true},
		{"wikipedia example off", "17893729975", false},
		{"single zero", "0", true},
		{"single one", "1", false},
		{"empty", "", false},
		{"space inside", "4111 1111 1111 1111", false},
		{"letter", "411111111111111a", false},
		{"non-ASCII digit", "٤١١١", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ingest.Luhn(tt.digits); got != tt.want {
				t.Errorf("Luhn(%q) = %v, want %v", tt.digits, got, tt.want)
			}
		})
	}
}

func TestIsPAN(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"plain", "4111111111111111", true},
		{"spaces", "4111 1111 1111 1111", true},
		{"dashes", "4111-1111-1111-1111", true},
		{"mixed separators and padding", " 4111-1111 1111-1111 ", true},
		{"luhn-invalid", "4111111111111112", false},
		{"eleven digits", "17893729974", false},
		{"twenty digits", "41111111111111111113", false},
		{"letters", "ct_abcdef", false},
		{"digits inside text", "card 4111111111111111", false},
		{"dots are not separators", "4111.1111.1111.1111", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ingest.IsPAN(tt.s); got != tt.want {
				t.Errorf("IsPAN(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
	for _, pan := range testPANs {
		if !ingest.IsPAN(pan) {
			t.Errorf("IsPAN(%q) = false for a test PAN", pan)
		}
	}
}

func TestMaskPAN(t *testing.T) {
	tests := []struct {
		name, s, want string
	}{
		{"visa", "4111111111111111", "411111******1111"},
		{"with separators", "4111 1111-1111 1111", "411111******1111"},
		{"amex", "378282246310005", "378282******0005"},
		{"twelve digits", "123456789015", "123456******9015"},
		{"not luhn-valid is masked all the same", "4111111111111112", "411111******1112"},
		{"too short to be a PAN", "12345678901", "12345678901"},
		{"token", "ct_abcdef", "ct_abcdef"},
		{"text around digits", "card 4111111111111111", "card 4111111111111111"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ingest.MaskPAN(tt.s); got != tt.want {
				t.Errorf("MaskPAN(%q) = %q, want %q", tt.s, got, tt.want)
			}
		})
	}
}

func TestNewTokenizerKeySize(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		wantErr bool
	}{
		{"nil", 0, true},
		{"31 bytes", 31, true},
		{"32 bytes", 32, false},
		{"64 bytes", 64, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ingest.NewTokenizer(make([]byte, tt.size))
			if (err != nil) != tt.wantErr {
				t.Errorf("NewTokenizer(%d bytes) error = %v, want error %v", tt.size, err, tt.wantErr)
			}
		})
	}
}

func TestTokenizerCard(t *testing.T) {
	tok := testTokenizer(t)
	other, err := ingest.NewTokenizer(bytes.Repeat([]byte{0x43}, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, pan := range testPANs {
		t.Run(pan, func(t *testing.T) {
			got := tok.Card(pan)
			if !strings.HasPrefix(got, ingest.TokenPrefix) || len(got) != len(ingest.TokenPrefix)+40 {
				t.Errorf("Card(PAN) = %q, want %s and 40 characters", got, ingest.TokenPrefix)
			}
			if strings.ContainsAny(got, "0123456789") {
				t.Errorf("Card(PAN) = %q holds digits", got)
			}
			if again := tok.Card(pan); again != got {
				t.Errorf("Card is not stable: %q then %q", got, again)
			}
			spaced := pan[:4] + " " + pan[4:8] + "-" + pan[8:]
			if s := tok.Card(spaced); s != got {
				t.Errorf("Card(%q) = %q, want the token of the bare digits %q", spaced, s, got)
			}
			if o := other.Card(pan); o == got {
				t.Errorf("two keys give the same token %q", got)
			}
			if tok.Card(got) != got {
				t.Errorf("Card(token) changed the token")
			}
		})
	}
	unchanged := []string{"", "ct_abcdefghijklmnop", "card-17", "12345678901", "41111111111111111113", "4111.1111.1111.1111"}
	for _, s := range unchanged {
		if got := tok.Card(s); got != s {
			t.Errorf("Card(%q) = %q, want it unchanged", s, got)
		}
	}
	// A Luhn-invalid number is still tokenised: a mistyped PAN is a secret.
	if got := tok.Card("4111111111111112"); !strings.HasPrefix(got, ingest.TokenPrefix) {
		t.Errorf("Card(luhn-invalid PAN) = %q, want a token", got)
	}
}

// TestTokenizerManyCards checks, over many random card numbers, that tokens
// are distinct and never hold a digit run that could pass for a PAN (with
// hex tokens, about one in 25 would).
func TestTokenizerManyCards(t *testing.T) {
	tok := testTokenizer(t)
	rng := rand.New(rand.NewPCG(1, 2))
	seen := make(map[string]string)
	for range 20000 {
		pan := strconv.FormatUint(4_000_000_000_000_000+rng.Uint64N(999_999_999_999_999), 10)
		token := tok.Card(pan)
		if prev, dup := seen[token]; dup && prev != pan {
			t.Fatalf("%s and another card share token %s", ingest.MaskPAN(pan), token)
		}
		seen[token] = pan
		if longDigitRun.MatchString(token) {
			t.Fatalf("token %s holds a run of 12+ digits", token)
		}
	}
}

func TestTokenizerConcurrent(t *testing.T) {
	tok := testTokenizer(t)
	want := tok.Card(testPANs[0])
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if got := tok.Card(testPANs[0]); got != want {
					t.Errorf("Card = %q, want %q", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestTokenizerPrintsNoKey(t *testing.T) {
	tok := testTokenizer(t)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
		got := fmt.Sprintf(verb, tok)
		if got != "ingest.Tokenizer{key: redacted}" {
			t.Errorf("Sprintf(%q, tok) = %q", verb, got)
		}
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secrets", "card.key")
	random := bytes.Repeat([]byte{0xab}, 64)

	key, err := ingest.LoadOrCreateKey(path, bytes.NewReader(random))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(random[:ingest.KeySize], key); diff != "" {
		t.Errorf("created key (-want +got):\n%s", diff)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %o, want 600", perm)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(key) + "\n"; string(content) != want {
		t.Errorf("key file holds %q, want %q", content, want)
	}

	// Read back, with a different random source: the file wins.
	again, err := ingest.LoadOrCreateKey(path, bytes.NewReader(bytes.Repeat([]byte{0xcd}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(key, again); diff != "" {
		t.Errorf("re-read key (-created +re-read):\n%s", diff)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want only the key (no temporary files)", len(entries))
	}
	if _, err := ingest.NewTokenizer(again); err != nil {
		t.Errorf("NewTokenizer(loaded key): %v", err)
	}
}

func TestLoadOrCreateKeyErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string // "" for no file
		rand    []byte
		wantErr string
	}{
		{"not hex", "zz" + strings.Repeat("ab", 31) + "\n", nil, "not hex-encoded"},
		{"too short", strings.Repeat("ab", 16) + "\n", nil, "16 bytes, want at least 32"},
		{"empty", "\n", nil, "0 bytes, want at least 32"},
		{"random source runs dry", "", []byte{1, 2, 3}, "read random bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "card.key")
			if tt.content != "" {
				if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := ingest.LoadOrCreateKey(path, bytes.NewReader(tt.rand))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("LoadOrCreateKey error = %v, want one containing %q", err, tt.wantErr)
			}
			if c := strings.TrimSpace(tt.content); c != "" && strings.Contains(err.Error(), c) {
				t.Errorf("error %q echoes the key file", err)
			}
			got, readErr := os.ReadFile(path)
			switch {
			case tt.content == "" && !errors.Is(readErr, fs.ErrNotExist):
				t.Errorf("a failed creation left a key file behind (%v)", readErr)
			case tt.content != "" && string(got) != tt.content:
				t.Errorf("a bad key file was rewritten to %q", got)
			}
		})
	}
	t.Run("read error", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "card.key")
		_, err := ingest.LoadOrCreateKey(path, iotest.ErrReader(errors.New("no entropy")))
		if err == nil || !strings.Contains(err.Error(), "no entropy") {
			t.Errorf("LoadOrCreateKey error = %v, want the random source's error", err)
		}
	})
}

// TestLoadOrCreateKeyRace starts several creators together: they must all
// end up with the same key, the one on disk.
func TestLoadOrCreateKeyRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "card.key")
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := ingest.LoadOrCreateKey(path, bytes.NewReader(bytes.Repeat([]byte{byte(i + 1)}, 32)))
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	onDisk, err := ingest.LoadOrCreateKey(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if diff := cmp.Diff(onDisk, k); diff != "" {
			t.Errorf("creator %d got another key than the one on disk (-disk +got):\n%s", i, diff)
		}
	}
}
