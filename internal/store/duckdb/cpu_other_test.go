//go:build !unix

package duckdb

import "time"

func processCPU() time.Duration { return 0 }
