// Package corpustest finds the conformance corpus of real Azure-Sentinel
// connector files for tests: ../shared/corpus/azure-sentinel next to the
// repository root (the folder holding go.mod). Tests that need it skip with a
// clear message when it is absent; the corpus is test data and is never
// copied into the project. It also walks the corpus for transforms and
// placeholder queries, and helps tests simulate a source from a connection
// (sample events from a stream declaration, replies shaped by an
// eventsJsonPath, a transport sending every host to one loopback server).
// Only _test.go files import this package.
package corpustest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the corpus directory or skips the test, saying why.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("corpus not found: no go.mod above the test directory")
		}
		dir = parent
	}
	c := filepath.Join(dir, "..", "shared", "corpus", "azure-sentinel")
	if _, err := os.Stat(c); err != nil {
		t.Skipf("corpus not found at %s (the Azure-Sentinel conformance corpus is not checked out); skipping", c)
	}
	return c
}
