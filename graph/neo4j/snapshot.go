package neo4j

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	driver "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/riskgraph/riskgraph/graph"
)

// Snapshot format: JSON Lines, portable between stores and readable with
// any JSON tool. The first line is a header, then one line per record
// ({"t": transaction}, {"e": labelled entity}, {"p": pending label}), then a
// trailer {"end": {"records": N, "sha256": hex}} whose checksum covers every
// byte before it. A transaction record is the v1 contract's JSON plus
// label_time, label_source and arrival.
const (
	snapFormat  = "riskgraph-graph-snapshot"
	snapVersion = 1
	// maxSnapLine bounds one line (a transaction holds at most 64
	// attributes of 1 KiB).
	maxSnapLine = 4 << 20
)

type snapHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	LastSeq uint64 `json:"last_seq"`
	Arrival int64  `json:"arrival"`
}

type snapTxn struct {
	graph.Transaction
	LabelTime   *int64 `json:"label_time,omitempty"`
	LabelSource string `json:"label_source,omitempty"`
	Arrival     int64  `json:"arrival"`
}

type snapEntity struct {
	Kind        graph.Kind  `json:"kind"`
	ID          string      `json:"id"`
	Label       graph.Class `json:"label"`
	LabelTime   *int64      `json:"label_time,omitempty"`
	LabelSource string      `json:"label_source,omitempty"`
}

type snapPending struct {
	Txn    string      `json:"txn"`
	Label  graph.Class `json:"label"`
	Time   *int64      `json:"time,omitempty"`
	Source string      `json:"source,omitempty"`
}

type snapEnd struct {
	Records int64  `json:"records"`
	SHA256  string `json:"sha256"`
}

type snapLine struct {
	T   *snapTxn     `json:"t,omitempty"`
	E   *snapEntity  `json:"e,omitempty"`
	P   *snapPending `json:"p,omitempty"`
	End *snapEnd     `json:"end,omitempty"`
}

// snapWriter writes snapshot lines and keeps the checksum.
type snapWriter struct {
	w       *bufio.Writer
	h       hash.Hash
	records int64
}

func newSnapWriter(w io.Writer, hdr snapHeader) (*snapWriter, error) {
	sw := &snapWriter{w: bufio.NewWriterSize(w, 1<<16), h: sha256.New()}
	return sw, sw.line(hdr)
}

func (sw *snapWriter) line(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	sw.h.Write(b)
	_, err = sw.w.Write(b)
	return err
}

func (sw *snapWriter) record(l snapLine) error {
	sw.records++
	return sw.line(l)
}

func (sw *snapWriter) close() error {
	end := snapLine{End: &snapEnd{Records: sw.records, SHA256: hex.EncodeToString(sw.h.Sum(nil))}}
	b, err := json.Marshal(end)
	if err != nil {
		return err
	}
	if _, err := sw.w.Write(append(b, '\n')); err != nil {
		return err
	}
	return sw.w.Flush()
}

// Snapshot implements graph.Store. It reads the counters first, then
// pending labels, transactions up to the arrival counter read, and
// labelled entities, page by page: everything up to the recorded LastSeq
// is included; writes made meanwhile may be too (replaying them is
// harmless). Pending labels are kept after their transaction arrives (see
// applyTxns), so one consumed while the snapshot runs is not lost.
func (s *Store) Snapshot(ctx context.Context, w io.Writer) error {
	if err := s.open("snapshot"); err != nil {
		return err
	}
	s.restoreMu.RLock()
	defer s.restoreMu.RUnlock()
	seq, arrival, err := s.counters(ctx)
	if err != nil {
		return err
	}
	sw, err := newSnapWriter(w, snapHeader{Format: snapFormat, Version: snapVersion, LastSeq: seq, Arrival: arrival})
	if err != nil {
		return fmt.Errorf("neo4j: snapshot: %w", err)
	}
	if err := s.snapshotPendings(ctx, sw); err != nil {
		return err
	}
	if err := s.snapshotTxns(ctx, sw, arrival); err != nil {
		return err
	}
	for _, k := range entityKinds() {
		var werr error
		err := s.eachNode(ctx, k, func(n graph.Node, source string) bool {
			if n.Label == "" {
				return true
			}
			e := &snapEntity{Kind: k, ID: n.Ref.ID, Label: n.Label, LabelSource: source}
			if !n.LabelTime.IsZero() {
				ns := n.LabelTime.UnixNano()
				e.LabelTime = &ns
			}
			werr = sw.record(snapLine{E: e})
			return werr == nil
		})
		if err == nil {
			err = werr
		}
		if err != nil {
			return fmt.Errorf("neo4j: snapshot: %w", err)
		}
	}
	if err := sw.close(); err != nil {
		return fmt.Errorf("neo4j: snapshot: %w", err)
	}
	return nil
}

func (s *Store) snapshotTxnsCall(after, upto int64) call {
	return call{snapshotTxns, s.pageParams(map[string]any{"after": after, "upto": upto})}
}

func (s *Store) snapshotTxns(ctx context.Context, sw *snapWriter, upto int64) error {
	for after := int64(0); ; {
		recs, err := s.read(ctx, "snapshot", s.snapshotTxnsCall(after, upto))
		if err != nil {
			return err
		}
		for _, r := range recs {
			v, _ := r.Get("t")
			st, err := decodeTxn(v)
			if err != nil {
				return fmt.Errorf("neo4j: snapshot: %w", err)
			}
			if err := sw.record(snapLine{T: &snapTxn{Transaction: st.txn, LabelTime: st.labelTime, LabelSource: st.labelSource, Arrival: st.arrival}}); err != nil {
				return fmt.Errorf("neo4j: snapshot: %w", err)
			}
			after = st.arrival
		}
		if len(recs) < s.cfg.BatchSize {
			return nil
		}
	}
}

func (s *Store) snapshotPendingCall(after string) call {
	return call{snapshotPending, s.pageParams(map[string]any{"after": after})}
}

func (s *Store) snapshotPendings(ctx context.Context, sw *snapWriter) error {
	for after := ""; ; {
		recs, err := s.read(ctx, "snapshot", s.snapshotPendingCall(after))
		if err != nil {
			return err
		}
		for _, r := range recs {
			id, _ := r.Get("nid")
			class, _ := r.Get("class")
			ts, _ := r.Get("ts")
			source, _ := r.Get("source")
			p := &snapPending{}
			var ok1, ok2 bool
			p.Txn, ok1 = id.(string)
			c, ok2 := class.(string)
			if !ok1 || !ok2 {
				return fmt.Errorf("neo4j: snapshot: %w", shapeErr("pending label"))
			}
			p.Label = graph.Class(c)
			if ns, ok := ts.(int64); ok {
				p.Time = &ns
			}
			p.Source, _ = source.(string)
			if err := sw.record(snapLine{P: p}); err != nil {
				return fmt.Errorf("neo4j: snapshot: %w", err)
			}
			after = p.Txn
		}
		if len(recs) < s.cfg.BatchSize {
			return nil
		}
	}
}

// corrupt builds an error wrapping graph.ErrCorrupt.
func corrupt(line int, format string, args ...any) error {
	return fmt.Errorf("neo4j: restore: snapshot line %d: %s: %w", line, fmt.Sprintf(format, args...), graph.ErrCorrupt)
}

// verifySnapshot reads a whole snapshot, checks the header, every record
// and the trailer's count and checksum, and copies the records (one JSON
// line each) to spool. Any failure wraps graph.ErrCorrupt.
func verifySnapshot(r io.Reader, spool io.Writer) (snapHeader, error) {
	var hdr snapHeader
	br := bufio.NewReaderSize(r, 1<<16)
	h := sha256.New()
	var records int64
	prevArrival := int64(0)
	for n := 1; ; n++ {
		line, err := readLine(br)
		switch {
		case err == io.EOF:
			return hdr, corrupt(n, "ends without its trailer (truncated?)")
		case err != nil:
			return hdr, corrupt(n, "%v", err)
		}
		if n == 1 {
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&hdr); err != nil || hdr.Format != snapFormat {
				return hdr, corrupt(n, "not a riskgraph graph snapshot")
			}
			if hdr.Version != snapVersion {
				return hdr, corrupt(n, "version %d, want %d", hdr.Version, snapVersion)
			}
			h.Write(line)
			continue
		}
		var l snapLine
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return hdr, corrupt(n, "%v", err)
		}
		if l.End != nil {
			if l.T != nil || l.E != nil || l.P != nil {
				return hdr, corrupt(n, "trailer mixed with a record")
			}
			if _, err := readLine(br); err != io.EOF {
				return hdr, corrupt(n+1, "data after the trailer")
			}
			if l.End.Records != records {
				return hdr, corrupt(n, "trailer counts %d records, found %d", l.End.Records, records)
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != l.End.SHA256 {
				return hdr, corrupt(n, "checksum mismatch")
			}
			return hdr, nil
		}
		if err := checkRecord(&l, &prevArrival, hdr.Arrival); err != nil {
			return hdr, corrupt(n, "%v", err)
		}
		h.Write(line)
		records++
		if _, err := spool.Write(line); err != nil {
			return hdr, fmt.Errorf("neo4j: restore: spool: %w", err)
		}
	}
}

// readLine returns one line with its newline; a last line without one is
// an error (a truncated snapshot).
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxSnapLine {
			return nil, fmt.Errorf("line over %d bytes", maxSnapLine)
		}
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(line) > 0:
			return nil, errors.New("last line cut short")
		}
		return nil, err
	}
}

// checkRecord validates one record: exactly one kind, valid content,
// transactions in increasing arrival order within the header's counter.
func checkRecord(l *snapLine, prevArrival *int64, maxArrival int64) error {
	n := 0
	for _, set := range []bool{l.T != nil, l.E != nil, l.P != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return errors.New("want exactly one of t, e, p")
	}
	switch {
	case l.T != nil:
		m := graph.Mutation{Txn: &l.T.Transaction}
		if err := m.Validate(); err != nil {
			return fmt.Errorf("transaction: %w", err)
		}
		if err := checkTimes(&m); err != nil {
			return fmt.Errorf("transaction: %w", err)
		}
		if l.T.Arrival <= *prevArrival || l.T.Arrival > maxArrival {
			return fmt.Errorf("transaction arrival %d out of order", l.T.Arrival)
		}
		*prevArrival = l.T.Arrival
	case l.E != nil:
		lb := graph.Label{Entity: graph.Ref(l.E.Kind, l.E.ID), Class: l.E.Label}
		if err := lb.Validate(); err != nil {
			return fmt.Errorf("entity: %w", err)
		}
	case l.P != nil:
		lb := graph.Label{Txn: l.P.Txn, Class: l.P.Label}
		if err := lb.Validate(); err != nil {
			return fmt.Errorf("pending label: %w", err)
		}
	}
	return nil
}

// Restore implements graph.Store. It first reads and verifies the whole
// snapshot (spooled to a temporary file in Config.TempDir), so a snapshot
// that fails any check leaves the store untouched (graph.ErrCorrupt). Then
// it resets the graph and loads the snapshot page by page, the counters
// last. Loading is not one transaction: if the server fails part way,
// Restore returns graph.ErrUnavailable and the graph holds part of the
// snapshot with LastSeq 0, from which replaying the log still rebuilds it;
// running Restore again also does. Restore excludes this Store's own
// readers and writers while it runs; other processes writing the same
// graph must be stopped.
func (s *Store) Restore(ctx context.Context, r io.Reader) error {
	if err := s.open("restore"); err != nil {
		return err
	}
	spool, err := os.CreateTemp(s.cfg.TempDir, "riskgraph-neo4j-restore-*.jsonl")
	if err != nil {
		return fmt.Errorf("neo4j: restore: spool: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	bw := bufio.NewWriterSize(spool, 1<<16)
	hdr, err := verifySnapshot(r, bw)
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("neo4j: restore: spool: %w", err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("neo4j: restore: spool: %w", err)
	}
	s.restoreMu.Lock()
	defer s.restoreMu.Unlock()
	if err := s.reset(ctx); err != nil {
		return err
	}
	if err := s.load(ctx, bufio.NewReaderSize(spool, 1<<16)); err != nil {
		return err
	}
	_, err = s.write(ctx, "restore", func(tx driver.ManagedTransaction) (int64, error) {
		_, err := s.run(ctx, tx, s.restoreMetaCall(hdr))
		return 0, err
	})
	return err
}

func (s *Store) restoreMetaCall(hdr snapHeader) call {
	return call{restoreMeta, map[string]any{"g": s.cfg.Graph, "seq": int64(hdr.LastSeq), "arrival": hdr.Arrival}}
}

// load replays verified records in pages: transactions (with their stored
// arrival numbers and labels), labelled entities, pending labels.
func (s *Store) load(ctx context.Context, br *bufio.Reader) error {
	var txns, pending []any
	var ents [graph.NumKinds][]any
	flush := func(c cypher, rows *[]any) error {
		if len(*rows) == 0 {
			return nil
		}
		_, err := s.write(ctx, "restore", func(tx driver.ManagedTransaction) (int64, error) {
			_, err := s.run(ctx, tx, s.batchCall(c, *rows))
			return 0, err
		})
		*rows = (*rows)[:0]
		return err
	}
	for {
		line, err := readLine(br)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("neo4j: restore: spool: %w", err)
		}
		var l snapLine
		if err := json.Unmarshal(line, &l); err != nil {
			return fmt.Errorf("neo4j: restore: spool: %w", err)
		}
		switch {
		case l.T != nil:
			if txns = append(txns, restoreTxnRow(l.T)); len(txns) == s.cfg.BatchSize {
				err = flush(applyTxns, &txns)
			}
		case l.E != nil:
			k := l.E.Kind
			if ents[k] = append(ents[k], labelRow(l.E.ID, l.E.Label, optNanos(l.E.LabelTime), l.E.LabelSource)); len(ents[k]) == s.cfg.BatchSize {
				err = flush(labelStatement(k), &ents[k])
			}
		case l.P != nil:
			pending = append(pending, labelRow(l.P.Txn, l.P.Label, optNanos(l.P.Time), l.P.Source))
		}
		if err != nil {
			return err
		}
	}
	if err := flush(applyTxns, &txns); err != nil {
		return err
	}
	for _, k := range entityKinds() {
		if err := flush(labelStatement(k), &ents[k]); err != nil {
			return err
		}
	}
	for len(pending) > 0 {
		n := min(len(pending), s.cfg.BatchSize)
		page := pending[:n:n]
		pending = pending[n:]
		if err := flush(restorePending, &page); err != nil {
			return err
		}
	}
	return nil
}

// restoreTxnRow is a snapshot's transaction as a row of applyTxns, with its
// stored arrival number and label.
func restoreTxnRow(t *snapTxn) map[string]any {
	row := txnRow(&t.Transaction)
	row["arrival"] = t.Arrival
	row["labelTime"] = optNanos(t.LabelTime)
	row["labelSource"] = orNil(t.LabelSource)
	return row
}

// optNanos is a stored optional time as a parameter (nil for none).
func optNanos(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
