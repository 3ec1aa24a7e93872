package duckdb

import (
	"testing"

	"github.com/codeless/codeless/internal/store"
	"github.com/codeless/codeless/internal/store/storetest"
)

func TestConformanceMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, err := Open("")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return db
	})
}

func TestConformanceFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, err := Open(t.TempDir() + "/codeless.duckdb")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return db
	})
}
