package httpx

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

var rlBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func TestParseLimit(t *testing.T) {
	custom := &RateLimitConfig{OnlyWhen429: true, UseReset: true,
		Remaining: HeaderSpec{Name: "X-RateLimit-Remaining", Format: "Integer"},
		Reset:     HeaderSpec{Name: "X-RateLimit-RetryAfter", Format: "UnixTimeSeconds"}}
	tests := []struct {
		name    string
		cfg     *RateLimitConfig
		headers map[string]string
		wait    time.Duration
		hasWait bool
		remain  int64
	}{
		{"none", nil, nil, 0, false, -1},
		{"retry-after seconds", nil, map[string]string{"Retry-After": "7"}, 7 * time.Second, true, -1},
		{"retry-after date", nil, map[string]string{"Retry-After": rlBase.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second, true, -1},
		{"x-ratelimit delta", nil, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"}, 30 * time.Second, true, 0},
		{"x-ratelimit epoch", nil, map[string]string{"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "1704067260"}, time.Minute, true, 5},
		{"ratelimit-* draft", nil, map[string]string{"RateLimit-Remaining": "0", "RateLimit-Reset": "12"}, 12 * time.Second, true, 0},
		{"structured RateLimit", nil, map[string]string{"RateLimit": "limit=100, remaining=0, reset=4"}, 4 * time.Second, true, 0},
		{"custom epoch header", custom, map[string]string{"X-RateLimit-RetryAfter": "1704067205", "X-RateLimit-Remaining": "0"}, 5 * time.Second, true, 0},
		{"custom header beats Retry-After", custom, map[string]string{"X-RateLimit-RetryAfter": "1704067205", "Retry-After": "60"}, 5 * time.Second, true, -1},
		{"reset in the past", custom, map[string]string{"X-RateLimit-RetryAfter": "1704067100"}, 0, true, -1},
		{"garbage", nil, map[string]string{"Retry-After": "soon", "X-RateLimit-Reset": "x", "RateLimit": "nonsense"}, 0, false, -1},
		{"millis", &RateLimitConfig{Reset: HeaderSpec{Name: "Reset-At", Format: "UnixTimeMilliseconds"}}, map[string]string{"Reset-At": "1704067202500"}, 2500 * time.Millisecond, true, -1},
		{"datetime", &RateLimitConfig{Reset: HeaderSpec{Name: "Reset-At", Format: "DateTime"}}, map[string]string{"Reset-At": "2024-01-01T00:00:09Z"}, 9 * time.Second, true, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			l := ParseLimit(h, tt.cfg, rlBase)
			if l.Wait != tt.wait || l.HasWait != tt.hasWait || l.Remaining != tt.remain {
				t.Fatalf("got wait=%v has=%v remaining=%d, want %v %v %d", l.Wait, l.HasWait, l.Remaining, tt.wait, tt.hasWait, tt.remain)
			}
		})
	}
}

func TestParseRateLimitConfig(t *testing.T) {
	tests := []struct {
		name, json, err string
		want            RateLimitConfig
	}{
		{name: "custom headers (corpus)", json: `{"evaluation":{"checkMode":"OnlyWhen429"},"extraction":{"source":"CustomHeaders","headers":{
			"limit":{"name":"X-RateLimit-Limit","format":"Integer"},"remaining":{"name":"X-RateLimit-Remaining","format":"Integer"},
			"reset":{"name":"X-RateLimit-RetryAfter","format":"UnixTimeSeconds"}}},"retryStrategy":{"useResetOrRetryAfterHeaders":true}}`,
			want: RateLimitConfig{OnlyWhen429: true, UseReset: true, Limit: HeaderSpec{"X-RateLimit-Limit", "Integer"},
				Remaining: HeaderSpec{"X-RateLimit-Remaining", "Integer"}, Reset: HeaderSpec{"X-RateLimit-RetryAfter", "UnixTimeSeconds"}}},
		{name: "default headers (corpus)", json: `{"evaluation":{"checkMode":"OnlyWhen429"},"extraction":{"source":"DefaultHeaders"},"retryStrategy":{"useResetOrRetryAfterHeaders":true}}`,
			want: RateLimitConfig{OnlyWhen429: true, UseReset: true}},
		{name: "case-insensitive keys", json: `{"Evaluation":{"CheckMode":"always"},"RetryStrategy":{"UseResetOrRetryAfterHeaders":false}}`,
			want: RateLimitConfig{}},
		{name: "bad mode", json: `{"evaluation":{"checkMode":"Sometimes"}}`, err: `rateLimitConfig.evaluation.checkMode: "Sometimes" is not`},
		{name: "bad source", json: `{"extraction":{"source":"Body"}}`, err: `rateLimitConfig.extraction.source: "Body"`},
		{name: "missing headers", json: `{"extraction":{"source":"CustomHeaders"}}`, err: `rateLimitConfig.extraction.headers: required`},
		{name: "bad format", json: `{"extraction":{"source":"CustomHeaders","headers":{"reset":{"name":"R","format":"Weeks"}}}}`, err: `rateLimitConfig.extraction.headers.reset.format: "Weeks"`},
		{name: "wrong type", json: `{"retryStrategy":{"useResetOrRetryAfterHeaders":"yes"}}`, err: `useResetOrRetryAfterHeaders: want a boolean`},
		{name: "unknown field", json: `{"burst":3}`, err: `rateLimitConfig.burst: unknown field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal([]byte(tt.json), &m); err != nil {
				t.Fatal(err)
			}
			c, err := ParseRateLimitConfig(m)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *c != tt.want {
				t.Fatalf("got %+v, want %+v", *c, tt.want)
			}
		})
	}
}

// TestHeaderDrivenWaits checks the waits the client takes from rate-limit
// headers: before a retry, and before the next request after a response
// that used up the quota.
func TestHeaderDrivenWaits(t *testing.T) {
	type resp struct {
		status  int
		headers map[string]string
	}
	custom := &RateLimitConfig{OnlyWhen429: true, UseReset: true,
		Reset: HeaderSpec{Name: "X-RateLimit-RetryAfter", Format: "UnixTimeSeconds"}}
	tests := []struct {
		name     string
		cfg      *RateLimitConfig
		resps    []resp
		requests int // client.Do calls
		sleeps   []time.Duration
		class    Class // of the last call's error ("" = success)
	}{
		{"429 custom epoch reset", custom, []resp{{429, map[string]string{"X-RateLimit-RetryAfter": "1704067220"}}, {200, nil}}, 1,
			[]time.Duration{20 * time.Second}, ""},
		{"429 X-RateLimit-Reset default dialect", nil, []resp{{429, map[string]string{"X-RateLimit-Reset": "3"}}, {200, nil}}, 1,
			[]time.Duration{3 * time.Second}, ""},
		{"quota exhausted on success pauses next request", nil, []resp{{200, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "8"}}, {200, nil}}, 2,
			[]time.Duration{8 * time.Second}, ""},
		{"OnlyWhen429 ignores headers on success", custom, []resp{{200, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-RetryAfter": "1704067220"}}, {200, nil}}, 2,
			nil, ""},
		{"403 with exhausted quota is throttling", nil, []resp{{403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2"}}, {200, nil}}, 1,
			[]time.Duration{2 * time.Second}, ""},
		{"plain 403 is permanent", nil, []resp{{403, nil}}, 1, nil, Permanent},
		{"structured RateLimit on 503", nil, []resp{{503, map[string]string{"RateLimit": "limit=10, remaining=0, reset=6"}}, {200, nil}}, 1,
			[]time.Duration{6 * time.Second}, ""},
		{"useReset false keeps the longer backoff", &RateLimitConfig{}, []resp{{429, map[string]string{"Retry-After": "0"}}, {200, nil}}, 1,
			[]time.Duration{time.Second / 2}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			n := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				rs := tt.resps[min(n, len(tt.resps)-1)]
				n++
				mu.Unlock()
				for k, v := range rs.headers {
					w.Header().Set(k, v)
				}
				w.WriteHeader(rs.status)
			}))
			defer srv.Close()
			clk := &fakeClock{now: rlBase}
			c := New(Options{RateLimit: tt.cfg, Now: clk.Now, Sleep: clk.Sleep, Jitter: func() float64 { return 0 }})
			var err error
			for range tt.requests {
				req, _ := http.NewRequestWithContext(context.Background(), "GET", srv.URL, nil)
				_, err = c.Do(req)
			}
			if got := ClassOf(err); (err == nil) != (tt.class == "") || (err != nil && got != tt.class) {
				t.Fatalf("err %v (class %s), want class %q", err, got, tt.class)
			}
			if len(clk.sleeps) != len(tt.sleeps) {
				t.Fatalf("sleeps %v, want %v", clk.sleeps, tt.sleeps)
			}
			for i := range tt.sleeps {
				if clk.sleeps[i] != tt.sleeps[i] {
					t.Fatalf("sleeps %v, want %v", clk.sleeps, tt.sleeps)
				}
			}
		})
	}
}

func FuzzParseLimit(f *testing.F) {
	for _, s := range []string{"30", "1704067260", "limit=100, remaining=0, reset=4", "Mon, 01 Jan 2024 00:00:09 GMT", "-1", "1e400", "=,=,"} {
		f.Add(s, "UnixTimeSeconds")
	}
	f.Fuzz(func(t *testing.T, v, format string) {
		h := http.Header{}
		for _, k := range []string{"Retry-After", "X-RateLimit-Reset", "X-RateLimit-Remaining", "RateLimit", "Custom"} {
			h.Set(k, v)
		}
		l := ParseLimit(h, &RateLimitConfig{Reset: HeaderSpec{Name: "Custom", Format: format}}, rlBase)
		if l.Wait < 0 {
			t.Fatalf("negative wait %v for %q", l.Wait, v)
		}
	})
}
