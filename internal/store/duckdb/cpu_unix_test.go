//go:build unix

package duckdb

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user+system) of this process so far, to
// report benchmark cost independent of other load on the machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
