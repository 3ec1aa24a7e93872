// Package e2e holds end-to-end tests that build the real `codeless` binary,
// run it as a child process against internal/mockapi sources and talk to it
// over HTTP only: the demo (SPEC §10), crash safety (kill -9 mid-run, restart,
// every source event stored exactly once) and the security rules of SPEC §3.
// It has no non-test code besides this comment.
package e2e
