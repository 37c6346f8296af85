//go:build !linux

package main

import "time"

// newPacer returns a function that blocks until a given time (see
// pace_linux.go for the precise one).
func newPacer() (wait func(at time.Time), stop func()) {
	return func(at time.Time) { time.Sleep(time.Until(at)) }, func() {}
}
