package mem

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/riskgraph/riskgraph/graph"
)

// Snapshot files are a magic string and then blocks: a 4-byte payload
// length, a 4-byte CRC-32C of the payload, the payload. A zero-length block
// ends the file. Values inside may span blocks.
const (
	snapMagic    = "RGSNAP\x00\x01"
	blockSize    = 1 << 20
	maxBlockSize = 16 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type blockWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func newBlockWriter(w io.Writer) *blockWriter {
	bw := &blockWriter{w: w, buf: make([]byte, 0, blockSize+64)}
	_, bw.err = io.WriteString(w, snapMagic)
	return bw
}

func (b *blockWriter) flush() {
	if b.err != nil || len(b.buf) == 0 {
		return
	}
	var h [8]byte
	binary.LittleEndian.PutUint32(h[:4], uint32(len(b.buf)))
	binary.LittleEndian.PutUint32(h[4:], crc32.Checksum(b.buf, castagnoli))
	if _, b.err = b.w.Write(h[:]); b.err == nil {
		_, b.err = b.w.Write(b.buf)
	}
	b.buf = b.buf[:0]
}

func (b *blockWriter) maybeFlush() {
	if len(b.buf) >= blockSize {
		b.flush()
	}
}

func (b *blockWriter) uvarint(v uint64) {
	b.buf = binary.AppendUvarint(b.buf, v)
	b.maybeFlush()
}

func (b *blockWriter) varint(v int64) {
	b.buf = binary.AppendVarint(b.buf, v)
	b.maybeFlush()
}

func (b *blockWriter) u64(v uint64) {
	b.buf = binary.LittleEndian.AppendUint64(b.buf, v)
	b.maybeFlush()
}

func (b *blockWriter) bytes(p []byte) {
	for len(p) > 0 {
		n := min(len(p), blockSize-len(b.buf))
		b.buf = append(b.buf, p[:n]...)
		p = p[n:]
		b.maybeFlush()
	}
}

func (b *blockWriter) str(s string) {
	b.uvarint(uint64(len(s)))
	b.buf = append(b.buf, s...)
	b.maybeFlush()
}

// close writes the last block and the end marker.
func (b *blockWriter) close() error {
	b.flush()
	if b.err == nil {
		_, b.err = b.w.Write(make([]byte, 8))
	}
	return b.err
}

type blockReader struct {
	r   *bufio.Reader
	buf []byte
	pos int
	n   int // blocks read
	end bool
}

func newBlockReader(r io.Reader) (*blockReader, error) {
	br := &blockReader{r: bufio.NewReaderSize(r, 1<<16)}
	var m [len(snapMagic)]byte
	if _, err := io.ReadFull(br.r, m[:]); err != nil {
		return nil, corrupt("reading magic: %v", err)
	}
	if string(m[:]) != snapMagic {
		return nil, corrupt("not a riskgraph snapshot (bad magic %q)", m[:])
	}
	return br, nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("mem: snapshot: %s: %w", fmt.Sprintf(format, args...), graph.ErrCorrupt)
}

// next loads the next block; at the end marker it returns io.EOF.
func (b *blockReader) next() error {
	if b.end {
		return io.EOF
	}
	var h [8]byte
	if _, err := io.ReadFull(b.r, h[:]); err != nil {
		return corrupt("block %d header: %v (truncated file?)", b.n, err)
	}
	size := binary.LittleEndian.Uint32(h[:4])
	if size == 0 {
		b.end = true
		return io.EOF
	}
	if size > maxBlockSize {
		return corrupt("block %d claims %d bytes, over the %d limit", b.n, size, maxBlockSize)
	}
	if cap(b.buf) < int(size) {
		b.buf = make([]byte, size)
	}
	b.buf, b.pos = b.buf[:size], 0
	if _, err := io.ReadFull(b.r, b.buf); err != nil {
		return corrupt("block %d: %v (truncated file?)", b.n, err)
	}
	if got, want := crc32.Checksum(b.buf, castagnoli), binary.LittleEndian.Uint32(h[4:]); got != want {
		return corrupt("block %d checksum %08x, want %08x", b.n, got, want)
	}
	b.n++
	return nil
}

// ReadByte implements io.ByteReader across blocks.
func (b *blockReader) ReadByte() (byte, error) {
	for b.pos >= len(b.buf) {
		if err := b.next(); err != nil {
			if errors.Is(err, io.EOF) {
				return 0, corrupt("unexpected end of data in block %d", b.n)
			}
			return 0, err
		}
	}
	c := b.buf[b.pos]
	b.pos++
	return c, nil
}

func (b *blockReader) uvarint() (uint64, error) {
	if b.pos+binary.MaxVarintLen64 <= len(b.buf) {
		v, k := binary.Uvarint(b.buf[b.pos:])
		if k <= 0 {
			return 0, corrupt("bad varint in block %d", b.n)
		}
		b.pos += k
		return v, nil
	}
	v, err := binary.ReadUvarint(b)
	if err != nil && !errors.Is(err, graph.ErrCorrupt) {
		err = corrupt("bad varint in block %d: %v", b.n, err)
	}
	return v, err
}

func (b *blockReader) varint() (int64, error) {
	u, err := b.uvarint()
	return int64(u>>1) ^ -int64(u&1), err
}

func (b *blockReader) u64() (uint64, error) {
	var p [8]byte
	if err := b.full(p[:]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(p[:]), nil
}

// full fills p.
func (b *blockReader) full(p []byte) error {
	for len(p) > 0 {
		if b.pos >= len(b.buf) {
			if err := b.next(); err != nil {
				if errors.Is(err, io.EOF) {
					return corrupt("unexpected end of data in block %d", b.n)
				}
				return err
			}
		}
		n := copy(p, b.buf[b.pos:])
		b.pos += n
		p = p[n:]
	}
	return nil
}

func (b *blockReader) str(maxLen int) (string, error) {
	n, err := b.uvarint()
	if err != nil {
		return "", err
	}
	if n > uint64(maxLen) {
		return "", corrupt("string of %d bytes, over the %d limit", n, maxLen)
	}
	p := make([]byte, n)
	if err := b.full(p); err != nil {
		return "", err
	}
	return string(p), nil
}

// finish checks that nothing but the end marker is left.
func (b *blockReader) finish() error {
	if b.pos < len(b.buf) {
		return corrupt("%d unread bytes in block %d", len(b.buf)-b.pos, b.n)
	}
	if err := b.next(); !errors.Is(err, io.EOF) {
		if err == nil {
			return corrupt("data after the last section")
		}
		return err
	}
	return nil
}
