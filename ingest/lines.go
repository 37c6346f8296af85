package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// DefaultMaxLineBytes is the default Config.MaxLineBytes: 1 MiB.
const DefaultMaxLineBytes = 1 << 20

// errLineTooLong marks a line longer than the limit, already discarded.
var errLineTooLong = errors.New("line too long")

// utf8BOM is the byte order mark some tools (spreadsheets) put first.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// lineReader splits input into lines without holding more than max bytes
// of any one of them: the rest of a longer line is read and thrown away.
// bufio.Scanner cannot do this, as it stops at the first long line.
type lineReader struct {
	br   *bufio.Reader
	max  int
	buf  []byte
	n    int   // lines read so far
	off  int64 // bytes read so far
	err  error // sticky read error (never io.EOF)
	done bool  // io.EOF reached
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, min(64<<10, max+2)), max: max}
}

// next returns the next line, without its "\n" but with any "\r" before it
// (a UTF-8 byte order mark at the very start is dropped). The slice is valid
// until the next call. A line longer than max bytes (its "\r\n" or "\n" not
// counted) returns errLineTooLong, having been consumed; lr.n is its
// number. At the end it returns io.EOF; on a read error it returns that
// error, then again at every call.
func (lr *lineReader) next() ([]byte, error) {
	if lr.err != nil {
		return nil, lr.err
	}
	if lr.done {
		return nil, io.EOF
	}
	lr.buf = lr.buf[:0]
	long := false
	read := 0 // bytes of this line seen so far
	for {
		chunk, err := lr.br.ReadSlice('\n')
		lr.off += int64(len(chunk))
		read += len(chunk)
		if !long {
			lr.buf = append(lr.buf, chunk...)
			// Past max and a "\r\n", the line is too long whatever follows:
			// stop keeping it.
			if len(lr.buf) > lr.max+2 {
				long, lr.buf = true, lr.buf[:0]
			}
		}
		switch {
		case err == nil:
			lr.n++
			return lr.line(long)
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			lr.done = true
			if read == 0 {
				return nil, io.EOF
			}
			lr.n++
			return lr.line(long)
		default:
			lr.err = err
			return nil, err
		}
	}
}

func (lr *lineReader) line(long bool) ([]byte, error) {
	b := bytes.TrimSuffix(lr.buf, []byte{'\n'})
	if long || len(bytes.TrimSuffix(b, []byte{'\r'})) > lr.max {
		return nil, errLineTooLong
	}
	if lr.n == 1 {
		b = bytes.TrimPrefix(b, utf8BOM)
	}
	return b, nil
}
