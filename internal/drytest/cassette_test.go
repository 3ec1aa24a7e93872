package drytest

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestRecordReplay records dry runs against the fake source, checks that
// no secret reaches the cassette, and replays them with the source gone:
// the report is the same (latency aside).
func TestRecordReplay(t *testing.T) {
	for _, poller := range []string{"basic_linkheader.json", "apikey_params.json", "multi.json"} {
		t.Run(poller, func(t *testing.T) {
			_, srv := newSource(t)
			dir := t.TempDir()
			opts := baseOptions(srv, poller)
			opts.Params["region"], opts.Params["tenant"] = "eu-1", "acme"
			opts.Record = dir
			recorded := mustRun(t, opts)
			raw, err := os.ReadFile(filepath.Join(dir, CassetteFile))
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{testPass, testAPIKey, url.QueryEscape(testAPIKey),
				base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPass))} {
				if strings.Contains(string(raw), secret) {
					t.Fatalf("cassette contains secret %q", secret)
				}
			}
			c, err := LoadCassette(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Interactions) != len(recorded.Requests) || !c.Now.Equal(testNow) {
				t.Fatalf("cassette has %d interactions at %s; report has %d requests", len(c.Interactions), c.Now, len(recorded.Requests))
			}
			srv.Close() // the replay must not need the source

			replay := baseOptions(srv, poller)
			replay.Params["region"], replay.Params["tenant"] = "eu-1", "acme"
			replay.Now = func() time.Time { return testNow.Add(7 * time.Hour) } // ignored: the cassette's clock wins
			replay.HTTP = nil
			replay.Replay = dir
			replayed := mustRun(t, replay)
			for _, r := range []*Report{recorded, replayed} {
				for i := range r.Requests {
					r.Requests[i].LatencyMs = 0
				}
			}
			if !reflect.DeepEqual(recorded.Requests, replayed.Requests) || !reflect.DeepEqual(recorded.Events, replayed.Events) ||
				!reflect.DeepEqual(recorded.Rows, replayed.Rows) || !reflect.DeepEqual(recorded.Errors, replayed.Errors) {
				t.Fatalf("replay differs:\nrecorded %+v\nreplayed %+v", recorded, replayed)
			}
		})
	}
}

func TestReplayErrors(t *testing.T) {
	_, srv := newSource(t)
	dir := t.TempDir()
	opts := baseOptions(srv, "basic_linkheader.json")
	opts.Record = dir
	mustRun(t, opts)

	// A different window asks for requests the cassette does not have.
	other := baseOptions(srv, "basic_linkheader.json")
	other.HTTP, other.Replay = nil, dir
	w := [2]time.Time{testNow.Add(-time.Hour), testNow.Add(-55 * time.Minute)}
	other.Window = &w
	rep := mustRun(t, other)
	if len(rep.Errors) == 0 || !strings.Contains(strings.Join(rep.Errors, "\n"), "replay: no recorded response left for GET") {
		t.Fatalf("errors %v", rep.Errors)
	}

	both := baseOptions(srv, "basic_linkheader.json")
	both.Record, both.Replay = dir, dir
	if _, err := Run(t.Context(), both); err == nil || !strings.Contains(err.Error(), "cannot be combined") {
		t.Fatalf("record+replay: %v", err)
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, CassetteFile), []byte(`{"version":9,"interactions":[]}`), 0o600)
	missing := baseOptions(srv, "basic_linkheader.json")
	missing.Replay = bad
	if _, err := Run(t.Context(), missing); err == nil || !strings.Contains(err.Error(), "unsupported version 9") {
		t.Fatalf("bad cassette: %v", err)
	}
}

func TestRedactBody(t *testing.T) {
	red := newRedactor()
	red.add("hunter2")
	tests := []struct{ in, want string }{
		{`{"access_token":"abc","expires_in":3600,"user":"x"}`, `{"access_token":"***","expires_in":3600,"user":"x"}`},
		{`{"data":[{"password":"p","id":1}]}`, `{"data":[{"id":1,"password":"***"}]}`},
		{`plain hunter2 text`, `plain *** text`},
		{`{"id":"hunter2"}`, `{"id":"***"}`},
	}
	for _, tc := range tests {
		if got := red.redactBody([]byte(tc.in)); got != tc.want {
			t.Errorf("redactBody(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	h := red.redactHeader(http.Header{"Authorization": {"Basic xyz"}, "X-Request-Id": {"hunter2-1"}, "Accept": {"json"}})
	if h.Get("Authorization") != "***" || h.Get("X-Request-Id") != "***-1" || h.Get("Accept") != "json" {
		t.Errorf("headers %v", h)
	}
}
