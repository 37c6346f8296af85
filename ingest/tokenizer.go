package ingest

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// KeySize is the size in bytes of the keys LoadOrCreateKey creates, and the
// smallest key NewTokenizer accepts.
const KeySize = 32

// TokenPrefix starts every card token.
const TokenPrefix = "ct_"

// tokenChars is the number of characters after TokenPrefix: 40 nibbles,
// the first 160 bits of the HMAC.
const tokenChars = 40

// tokenAlphabet spells one nibble of the HMAC per character. It is hex with
// the letters a–p in place of 0–9a–f, so that a token never holds a run of
// digits: with ordinary hex, about one token in 25 holds 12 or more
// consecutive digits, which a data-loss scanner reports as a card number
// and which this package's own screening would reject.
const tokenAlphabet = "abcdefghijklmnop"

// Tokenizer turns card numbers into stable, non-reversible tokens with a
// keyed HMAC-SHA-256, so the same card always becomes the same Card node
// while the number itself is never stored. Whoever holds the key can test a
// guessed card number against a token, so the key is a secret: keep it out
// of logs and backups of the graph. A Tokenizer is safe for concurrent use.
// It never prints its key, whatever the fmt verb.
type Tokenizer struct {
	pool sync.Pool // of hash.Hash, each an HMAC keyed with the tokenizer's key
}

// NewTokenizer returns a Tokenizer keyed with a copy of key, which must be at
// least KeySize (32) bytes long.
func NewTokenizer(key []byte) (*Tokenizer, error) {
	if len(key) < KeySize {
		return nil, fmt.Errorf("ingest: tokenizer key is %d bytes, want at least %d", len(key), KeySize)
	}
	k := bytes.Clone(key)
	t := &Tokenizer{}
	t.pool.New = func() any { return hmac.New(sha256.New, k) }
	return t, nil
}

// Card returns the token of a card number. When s, without its spaces and
// dashes, is 12 to 19 digits it is taken for a card number (Luhn is not
// checked: a mistyped number is still secret) and the result is
// TokenPrefix followed by 40 characters of HMAC-SHA-256(key, digits).
// Anything else is returned unchanged, on the understanding that it is
// already a token. Card never logs. A Tokenizer not made by NewTokenizer
// panics when asked for a token.
func (t *Tokenizer) Card(s string) string {
	d, ok := panDigits(s)
	if !ok {
		return s
	}
	return t.token(d)
}

// token returns the token of a string of digits.
func (t *Tokenizer) token(digits string) string {
	if t == nil {
		panic("ingest: Card called on a nil *Tokenizer")
	}
	h, ok := t.pool.Get().(hash.Hash)
	if !ok {
		panic("ingest: Tokenizer not made by NewTokenizer")
	}
	h.Reset()
	io.WriteString(h, digits) //nolint:errcheck // hash writes never fail
	var buf [sha256.Size]byte
	sum := h.Sum(buf[:0])
	t.pool.Put(h)
	var out [len(TokenPrefix) + tokenChars]byte
	copy(out[:], TokenPrefix)
	for i := range tokenChars {
		nib := sum[i/2] >> 4
		if i%2 == 1 {
			nib = sum[i/2] & 0x0f
		}
		out[len(TokenPrefix)+i] = tokenAlphabet[nib]
	}
	return string(out[:])
}

// scrub replaces every card number inside s (see replacePANs) with its
// token. It returns s itself when it holds none.
func (t *Tokenizer) scrub(s string) string { return replacePANs(s, t.token) }

// Format implements fmt.Formatter so that printing a Tokenizer with any verb
// shows no key material.
func (t *Tokenizer) Format(f fmt.State, _ rune) { io.WriteString(f, "ingest.Tokenizer{key: redacted}") } //nolint:errcheck

// LoadOrCreateKey returns the tokenizer key stored, hex-encoded, in the file
// at path. When the file does not exist it creates it, and its directory
// (0700) if need be, with KeySize bytes read from rnd (crypto/rand.Reader
// when rnd is nil): the file is written to a temporary file with mode 0600,
// synced, and then linked into place, so that a crash leaves either no key
// or a whole one, and two processes starting together end up with the same
// key. An existing file that is empty, not hex, or shorter than KeySize is
// an error and is left alone: replacing a key would orphan every token
// made with it. Error messages never include key material.
func LoadOrCreateKey(path string, rnd io.Reader) ([]byte, error) {
	key, err := readKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	key = make([]byte, KeySize)
	if _, err := io.ReadFull(rnd, key); err != nil {
		return nil, fmt.Errorf("ingest: key %s: read random bytes: %w", path, err)
	}
	if err := createKeyFile(path, key); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readKey(path) // another process created it first: use its key
		}
		return nil, err
	}
	return key, nil
}

func readKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ingest: key: %w", err)
	}
	b = bytes.TrimSpace(b)
	key := make([]byte, hex.DecodedLen(len(b)))
	if _, err := hex.Decode(key, b); err != nil {
		// The hex error names the offending byte: leave it out.
		return nil, fmt.Errorf("ingest: key %s: not hex-encoded", path)
	}
	if len(key) < KeySize {
		return nil, fmt.Errorf("ingest: key %s: %d bytes, want at least %d", path, len(key), KeySize)
	}
	return key, nil
}

// createKeyFile writes key, hex-encoded, to a new file at path. It returns an
// error wrapping fs.ErrExist when path already exists.
func createKeyFile(path string, key []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("ingest: key: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("ingest: key: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if f != nil {
			f.Close()
		}
		os.Remove(tmp) // after a link or on failure; a no-op after a rename
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("ingest: key: %w", err)
	}
	buf := make([]byte, hex.EncodedLen(len(key))+1)
	hex.Encode(buf, key)
	buf[len(buf)-1] = '\n'
	if _, err := f.Write(buf); err != nil {
		return fmt.Errorf("ingest: key: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("ingest: key: sync %s: %w", tmp, err)
	}
	err = f.Close()
	f = nil
	if err != nil {
		return fmt.Errorf("ingest: key: close %s: %w", tmp, err)
	}
	// A hard link, unlike a rename, fails when path exists, so a concurrent
	// creator's key is never replaced. Filesystems without hard links fall
	// back to a rename.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("ingest: key %s: %w", path, fs.ErrExist)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("ingest: key: %w", err)
		}
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() //nolint:errcheck // best effort: some filesystems cannot sync a directory
		d.Close()
	}
	return nil
}
