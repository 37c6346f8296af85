package training

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
)

// SplitKind is how labelled rows are assigned to train, val and test.
type SplitKind string

// Split kinds.
const (
	// SplitColumn: the folder's own split column (the default for
	// labelled-graph folders).
	SplitColumn SplitKind = "column"
	// SplitTemporal: by time, training on the past and validating and
	// testing on the future (the default for graph-store data).
	SplitTemporal SplitKind = "temporal"
	// SplitFile: an id,split file.
	SplitFile SplitKind = "file"
	// SplitRandom: stratified random, only when asked.
	SplitRandom SplitKind = "random"
)

// Defaults of SplitConfig.
const (
	DefaultSplitVal  = 0.2
	DefaultSplitTest = 0.2
)

// SplitConfig says how labelled rows are split.
type SplitConfig struct {
	// Kind is the split; "" → SplitColumn for a folder, SplitTemporal for
	// a graph store.
	Kind SplitKind
	// Assign maps row ids to splits (SplitFile; see ReadSplitFile); rows
	// it does not name are in no split. FileSHA256 is the file's hash,
	// recorded with the model.
	Assign     map[string]Split
	FileSHA256 string
	// ValFraction and TestFraction are the shares of SplitRandom (of the
	// labelled rows of each class) and of SplitTemporal (of the labelled
	// rows' time range, the last TestFraction testing, the ValFraction
	// before it validating); 0 → DefaultSplitVal, DefaultSplitTest (0.2
	// each). Their sum must be below 1.
	ValFraction, TestFraction float64
	// Seed seeds SplitRandom.
	Seed uint64
}

func (c SplitConfig) withDefaults(def SplitKind) SplitConfig {
	if c.Kind == "" {
		c.Kind = def
	}
	if c.ValFraction == 0 {
		c.ValFraction = DefaultSplitVal
	}
	if c.TestFraction == 0 {
		c.TestFraction = DefaultSplitTest
	}
	return c
}

// Validate reports a field out of range, wrapping ErrConfig.
func (c SplitConfig) Validate() error {
	d := c.withDefaults(SplitColumn)
	switch d.Kind {
	case SplitColumn, SplitTemporal, SplitRandom:
	case SplitFile:
		if len(d.Assign) == 0 {
			return fmt.Errorf("%w: a file split assigns no rows", ErrConfig)
		}
	default:
		return fmt.Errorf("%w: split %q: want column, temporal, file or random", ErrConfig, c.Kind)
	}
	if !(d.ValFraction > 0 && d.TestFraction > 0 && d.ValFraction+d.TestFraction < 1) {
		return fmt.Errorf("%w: split fractions val %v, test %v: want both > 0 and their sum < 1", ErrConfig, c.ValFraction, c.TestFraction)
	}
	return nil
}

// describe is the split as recorded in the manifest (Training.Split);
// parseSplit reads it back.
func (c SplitConfig) describe() string {
	switch c.Kind {
	case SplitFile:
		return fmt.Sprintf("file sha256=%s", c.FileSHA256)
	case SplitRandom:
		return fmt.Sprintf("random seed=%d val=%g test=%g", c.Seed, c.ValFraction, c.TestFraction)
	}
	return string(c.Kind)
}

// parseSplit reads a description written by describe (the temporal
// split's cut times are parsed by the store data set).
func parseSplit(s string) (SplitConfig, map[string]string, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return SplitConfig{}, nil, fmt.Errorf("%w: the manifest records no split", ErrModel)
	}
	c := SplitConfig{Kind: SplitKind(fields[0])}
	kv := map[string]string{}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return c, nil, fmt.Errorf("%w: split %q: field %q", ErrModel, s, f)
		}
		kv[k] = v
	}
	var err error
	switch c.Kind {
	case SplitRandom:
		if c.Seed, err = strconv.ParseUint(kv["seed"], 10, 64); err == nil {
			if c.ValFraction, err = strconv.ParseFloat(kv["val"], 64); err == nil {
				c.TestFraction, err = strconv.ParseFloat(kv["test"], 64)
			}
		}
	case SplitFile:
		c.FileSHA256 = kv["sha256"]
	case SplitColumn, SplitTemporal:
	default:
		err = errors.New("unknown kind")
	}
	if err != nil {
		return c, nil, fmt.Errorf("%w: split %q: %w", ErrModel, s, err)
	}
	return c, kv, nil
}

// ReadSplitFile reads an id,split CSV (header "id,split"; split train,
// val, test or empty) into a SplitConfig of kind SplitFile. Errors wrap
// ErrData and name the line.
func ReadSplitFile(r io.Reader) (SplitConfig, error) {
	h := sha256.New()
	c := csvReader(io.TeeReader(r, h))
	head, err := readHeader(c, "split file")
	if err != nil {
		return SplitConfig{}, err
	}
	if len(head) != 2 || head[0] != "id" || head[1] != "split" {
		return SplitConfig{}, fmt.Errorf("%w: split file: header %q: want id,split", ErrData, strings.Join(head, ","))
	}
	assign := map[string]Split{}
	for {
		rec, err := c.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return SplitConfig{}, fmt.Errorf("%w: split file: %w", ErrData, err)
		}
		line, _ := c.FieldPos(0)
		if len(rec) != 2 || rec[0] == "" {
			return SplitConfig{}, fmt.Errorf("%w: split file line %d: want id,split", ErrData, line)
		}
		s, err := ParseSplit(rec[1])
		if err != nil {
			return SplitConfig{}, fmt.Errorf("split file line %d: %w", line, err)
		}
		if _, dup := assign[rec[0]]; dup {
			return SplitConfig{}, fmt.Errorf("%w: split file line %d: id %q repeated", ErrData, line, rec[0])
		}
		assign[rec[0]] = s
	}
	if len(assign) == 0 {
		return SplitConfig{}, fmt.Errorf("%w: split file: no rows", ErrData)
	}
	return SplitConfig{Kind: SplitFile, Assign: assign, FileSHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// stratified assigns the labelled rows (labels[i] 0 or 1; −1 rows stay
// in no split) to test, val and train at random, class by class, so each
// split keeps the positive rate: per class, the first round(TestFraction
// · n) of a seeded shuffle test, the next round(ValFraction · n) validate.
func stratified(labels []int8, c SplitConfig) []Split {
	out := make([]Split, len(labels))
	rng := rand.New(rand.NewPCG(c.Seed, 0x73706c74)) // "splt"
	for _, class := range []int8{0, 1} {
		var rows []int
		for i, y := range labels {
			if y == class {
				rows = append(rows, i)
			}
		}
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		nt := int(c.TestFraction*float64(len(rows)) + 0.5)
		nv := int(c.ValFraction*float64(len(rows)) + 0.5)
		for k, i := range rows {
			switch {
			case k < nt:
				out[i] = SplitTest
			case k < nt+nv:
				out[i] = SplitVal
			default:
				out[i] = SplitTrain
			}
		}
	}
	return out
}
