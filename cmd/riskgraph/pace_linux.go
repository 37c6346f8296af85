//go:build linux

package main

import (
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// newPacer returns a function that blocks until a given time, late by
// tens of microseconds rather than time.Sleep's up to a millisecond: on
// Linux the runtime's netpoller waits in whole milliseconds while the
// process is otherwise idle, and an open-loop load generator that counts
// from each request's scheduled time would report that lateness as
// service latency. The pacer locks its goroutine to its thread, sets the
// thread's timer slack to 1 ns and sleeps the thread in nanosleep; call
// it from one goroutine only, and call the returned stop when done.
func newPacer() (wait func(at time.Time), stop func()) {
	runtime.LockOSThread()
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0) // best effort: without it, ~60 µs later
	wait = func(at time.Time) {
		d := time.Until(at)
		if d <= 0 {
			return
		}
		if d > 5*time.Millisecond { // long waits need no precision for their bulk
			time.Sleep(d - 2*time.Millisecond)
			if d = time.Until(at); d <= 0 {
				return
			}
		}
		// A raw call keeps the processor: the runtime neither hands it
		// off on entry nor waits to take one back on return.
		ts := unix.NsecToTimespec(int64(d))
		for {
			_, _, e := unix.RawSyscall(unix.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), uintptr(unsafe.Pointer(&ts)), 0)
			if e != unix.EINTR {
				break
			}
		}
	}
	return wait, runtime.UnlockOSThread
}
