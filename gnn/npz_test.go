package gnn_test

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// readNPZ reads an uncompressed or deflated .npz of little-endian float32
// ('<f4') and int32 ('<i4') C-order arrays, enough for the parity fixture's
// inputs (the weights go through artefact.Load). Values come back as
// float32 (int32 converted) with their shapes.
func readNPZ(path string) (map[string][]float32, map[string][]int, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, nil, err
	}
	defer zr.Close()
	vals, shapes := map[string][]float32{}, map[string][]int{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, nil, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, nil, err
		}
		name := strings.TrimSuffix(f.Name, ".npy")
		v, shape, err := parseNPY(b)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		vals[name], shapes[name] = v, shape
	}
	return vals, shapes, nil
}

var (
	npyDescr = regexp.MustCompile(`'descr':\s*'([^']*)'`)
	npyShape = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
	npyOrder = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
)

func parseNPY(b []byte) ([]float32, []int, error) {
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return nil, nil, fmt.Errorf("not an npy file")
	}
	var hl, off int
	switch b[6] {
	case 1:
		hl, off = int(binary.LittleEndian.Uint16(b[8:10])), 10
	default:
		hl, off = int(binary.LittleEndian.Uint32(b[8:12])), 12
	}
	if off+hl > len(b) {
		return nil, nil, fmt.Errorf("short header")
	}
	h := string(b[off : off+hl])
	data := b[off+hl:]
	d, s, o := npyDescr.FindStringSubmatch(h), npyShape.FindStringSubmatch(h), npyOrder.FindStringSubmatch(h)
	if d == nil || s == nil || o == nil || o[1] != "False" {
		return nil, nil, fmt.Errorf("unsupported header %q", h)
	}
	var shape []int
	n := 1
	for _, p := range strings.Split(s[1], ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		v, err := strconv.Atoi(p)
		if err != nil {
			return nil, nil, err
		}
		shape = append(shape, v)
		n *= v
	}
	if len(data) != 4*n {
		return nil, nil, fmt.Errorf("%d data bytes for %d values", len(data), n)
	}
	out := make([]float32, n)
	for i := range out {
		u := binary.LittleEndian.Uint32(data[4*i:])
		switch d[1] {
		case "<f4":
			out[i] = math.Float32frombits(u)
		case "<i4":
			out[i] = float32(int32(u))
		default:
			return nil, nil, fmt.Errorf("dtype %s", d[1])
		}
	}
	return out, shape, nil
}
