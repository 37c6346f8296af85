package main

import (
	"fmt"
	"io"
	"time"
)

// progress draws a one-line progress bar on a terminal, at most five times
// a second; on anything else it draws nothing.
type progress struct {
	w     io.Writer
	on    bool
	now   func() time.Time
	label string
	total int64 // bytes, 0 when unknown
	start time.Time
	last  time.Time
}

func (m *Main) newProgress(label string, total int64) *progress {
	p := &progress{w: m.Stderr, on: m.Terminal(m.Stderr), now: m.Now, label: label, total: total}
	p.start = p.now()
	return p
}

// update redraws with done bytes read and rows handled.
func (p *progress) update(done int64, rows int) {
	if !p.on {
		return
	}
	t := p.now()
	if t.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last = t
	rate := float64(rows) / max(t.Sub(p.start).Seconds(), 1e-3)
	if p.total > 0 {
		frac := min(float64(done)/float64(p.total), 1)
		const width = 24
		bar := make([]byte, width)
		for i := range bar {
			bar[i] = ' '
			if i < int(frac*width) {
				bar[i] = '='
			}
		}
		fmt.Fprintf(p.w, "\r%s [%s] %3.0f%% %d rows %.0f rows/s ", p.label, bar, frac*100, rows, rate)
		return
	}
	fmt.Fprintf(p.w, "\r%s %d rows %.0f rows/s ", p.label, rows, rate)
}

// done clears the line.
func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
