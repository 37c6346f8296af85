package artefact

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
)

// readChunk is the number of stored bytes decoded at a time.
const readChunk = 64 << 10

// readTensor reads the n stored elements of a tensor of the manifest dtype
// from r, little-endian, and returns them widened to float32. It checks
// that the stored bytes hash to wantSHA (ErrChecksum) and then that every
// value is finite (ErrNonFinite). A short read is ErrTruncated. The caller
// has checked n against the manifest, which bounds the allocation.
func readTensor(r io.Reader, name, dtype string, n int64, wantSHA string) ([]float32, error) {
	size, err := dtypeSize(dtype)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	out := make([]float32, n)
	h := sha256.New()
	buf := make([]byte, min(readChunk, n*size))
	for i := int64(0); i < n; {
		k := min(int64(len(buf))/size, n-i)
		b := buf[:k*size]
		if _, err := io.ReadFull(r, b); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("tensor %q: %d of %d bytes: %w", name, i*size, n*size, ErrTruncated)
			}
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		h.Write(b)
		decode(out[i:i+k], b, size)
		i += k
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantSHA {
		return nil, fmt.Errorf("tensor %q: sha256 %s, manifest has %s: %w", name, got, wantSHA, ErrChecksum)
	}
	if err := checkFinite(name, out); err != nil {
		return nil, err
	}
	return out, nil
}

// decode widens little-endian float32 (size 4) or bfloat16 (size 2)
// values from b into dst.
func decode(dst []float32, b []byte, size int64) {
	if size == 4 {
		for j := range dst {
			dst[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
		}
		return
	}
	for j := range dst {
		dst[j] = BFloat16ToFloat32(binary.LittleEndian.Uint16(b[2*j:]))
	}
}

// BFloat16ToFloat32 widens a bfloat16, the upper 16 bits of a float32;
// the conversion is exact.
func BFloat16ToFloat32(b uint16) float32 {
	return math.Float32frombits(uint32(b) << 16)
}

// checkFinite returns ErrNonFinite naming the first NaN or ±Inf in v.
func checkFinite(name string, v []float32) error {
	for i, x := range v {
		if x != x || x > math.MaxFloat32 || x < -math.MaxFloat32 {
			return fmt.Errorf("tensor %q: element %d is %v: %w", name, i, x, ErrNonFinite)
		}
	}
	return nil
}

// encodeFloat32 returns v as little-endian float32 bytes and their hex
// SHA-256.
func encodeFloat32(v []float32) ([]byte, string) {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}
