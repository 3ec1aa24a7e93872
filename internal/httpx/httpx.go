// Package httpx is the outbound HTTP client of the poller: retries with
// exponential backoff and jitter, Retry-After (seconds or HTTP date), a
// per-attempt timeout, a token-bucket rate limit, secret redaction and a
// per-attempt trace hook.
//
// It implements SPEC §4 "Retries" and "Rate limits" (rateLimitQPS) and
// reference/ccf-format.md §2.4 (retryCount 1..6 default 3, timeoutInSeconds
// 1..180 default 20). Network errors, 408, 429 and 5xx are retried; other
// 4xx are permanent, except 403 announcing an exhausted quota
// (X-RateLimit-Remaining: 0 with a reset), which is throttling. Header-driven
// limits (ratelimit.go: rateLimitConfig, Retry-After, X-RateLimit-*,
// RateLimit-* and the structured RateLimit header) set the wait before a
// retry, and a successful response announcing no remaining quota holds the
// next request until the reset (unless checkMode is OnlyWhen429). Bodies are read fully into memory (bounded by
// Options.MaxBodyBytes) so that a failed read can be retried as a whole.
// Sleep and clock are injectable so that tests never wait.
package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Class classifies a failure.
type Class string

// Error classes.
const (
	Permanent Class = "permanent" // 4xx other than 408/429, bad requests
	Throttled Class = "throttled" // 429 (and 503 with Retry-After)
	Transient Class = "transient" // network errors, timeouts, 408, 5xx
)

// Defaults and limits.
const (
	DefaultRetryCount   = 3
	MaxRetryCount       = 6
	DefaultTimeout      = 20 * time.Second
	MaxTimeout          = 180 * time.Second
	DefaultMaxBodyBytes = 512 << 20
)

// Trace describes one attempt.
type Trace struct {
	Method   string
	URL      string // redacted
	Status   int    // 0 when no response
	Latency  time.Duration
	Attempt  int // 1-based
	Class    Class
	Err      string        // redacted; "" on success
	Wait     time.Duration // backoff before the next attempt (0 = none)
	Bytes    int
	Finished bool // no further attempt follows
	// RateWait is the time this attempt waited for the token bucket or a
	// header-announced reset before it was sent.
	RateWait time.Duration
}

// Options configure a Client. The zero value is usable.
type Options struct {
	HTTP         *http.Client  // transport; nil = http.DefaultClient
	RetryCount   int           // retries after the first attempt, 1..6; 0 = 3
	Timeout      time.Duration // per attempt; 0 = 20s; capped at 180s
	RateLimitQPS float64       // 0 = unlimited
	// RateLimit is the header-driven limit (rateLimitConfig); nil reads
	// the default header dialects.
	RateLimit   *RateLimitConfig
	BaseBackoff time.Duration // first backoff; 0 = 1s
	MaxBackoff  time.Duration // 0 = 60s
	// MaxRetryAfter is the longest Retry-After the client waits; a longer
	// one ends the request as throttled. 0 = 5 minutes.
	MaxRetryAfter time.Duration
	MaxBodyBytes  int64
	Secrets       []string // redacted from traces, logs and errors
	Now           func() time.Time
	Sleep         func(ctx context.Context, d time.Duration) error
	Jitter        func() float64 // in [0,1); nil = math/rand
	Trace         func(Trace)
	Logger        *slog.Logger
}

// Client sends requests with the policy of its Options.
type Client struct {
	o   Options
	lim *rate.Limiter

	mu         sync.Mutex
	pauseUntil time.Time // no request before this (quota exhausted)
}

// New builds a Client, applying defaults and clamping ranges.
func New(o Options) *Client {
	if o.HTTP == nil {
		o.HTTP = http.DefaultClient
	}
	switch {
	case o.RetryCount <= 0:
		o.RetryCount = DefaultRetryCount
	case o.RetryCount > MaxRetryCount:
		o.RetryCount = MaxRetryCount
	}
	switch {
	case o.Timeout <= 0:
		o.Timeout = DefaultTimeout
	case o.Timeout > MaxTimeout:
		o.Timeout = MaxTimeout
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 5 * time.Minute
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = SleepContext
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{o: o}
	if o.RateLimitQPS > 0 {
		burst := max(1, int(o.RateLimitQPS))
		c.lim = rate.NewLimiter(rate.Limit(o.RateLimitQPS), burst)
	}
	return c
}

// SleepContext waits d or until ctx ends.
func SleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Response is a completed response with its body read.
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte
	Attempts int
	URL      string // final URL (after redirects), unredacted
}

// Error is a failed request after all retries.
type Error struct {
	Class    Class
	Status   int    // 0 for network errors
	Body     string // first bytes of the response body, redacted
	Attempts int
	Err      error // underlying network error, if any
	msg      string
}

func (e *Error) Error() string { return e.msg }
func (e *Error) Unwrap() error { return e.Err }

// ClassOf returns the class of err (Transient for unknown errors).
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return Transient
}

// Classify maps a status code to a class; ok is false for success codes.
func Classify(status int) (c Class, retry bool) {
	switch {
	case status == http.StatusTooManyRequests:
		return Throttled, true
	case status == http.StatusRequestTimeout, status >= 500:
		return Transient, true
	case status >= 400:
		return Permanent, false
	}
	return "", false
}

// Redact replaces every non-empty secret in s (also in its URL-encoded
// forms) with "***".
func Redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) < 1 {
			continue
		}
		s = strings.ReplaceAll(s, sec, "***")
		if q := url.QueryEscape(sec); q != sec {
			s = strings.ReplaceAll(s, q, "***")
		}
		if p := url.PathEscape(sec); p != sec {
			s = strings.ReplaceAll(s, p, "***")
		}
	}
	return s
}

// AddSecrets registers more values to redact (for tokens fetched later).
func (c *Client) AddSecrets(s ...string) { c.o.Secrets = append(c.o.Secrets, s...) }

func (c *Client) redact(s string) string { return Redact(s, c.o.Secrets) }

// Do sends req (its body must be replayable: built with http.NewRequest over
// a bytes/strings reader, or with GetBody set) until it succeeds, fails
// permanently or retries run out. A non-2xx final answer is an *Error.
func (c *Client) Do(req *http.Request) (*Response, error) {
	ctx := req.Context()
	attempts := c.o.RetryCount + 1
	rurl := c.redact(req.URL.String())
	var last *Error
	for attempt := 1; attempt <= attempts; attempt++ {
		rateWait, err := c.wait(ctx)
		if err != nil {
			return nil, fmt.Errorf("waiting for rate limit: %w", err)
		}
		r := req
		if attempt > 1 {
			r = req.Clone(ctx)
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, fmt.Errorf("rewinding request body: %w", err)
				}
				r.Body = body
			}
		}
		start := c.o.Now()
		resp, err := c.once(r)
		tr := Trace{Method: req.Method, URL: rurl, Attempt: attempt, Latency: c.o.Now().Sub(start), RateWait: rateWait}
		var retryAfter time.Duration
		var hasRetryAfter bool
		if err != nil {
			if ctx.Err() != nil {
				tr.Class, tr.Err, tr.Finished = Transient, c.redact(err.Error()), true
				c.trace(tr)
				return nil, fmt.Errorf("sending %s %s: %w", req.Method, rurl, ctx.Err())
			}
			last = &Error{Class: Transient, Attempts: attempt, Err: err,
				msg: fmt.Sprintf("%s %s: %s", req.Method, rurl, c.redact(err.Error()))}
			tr.Class, tr.Err = Transient, last.msg
		} else {
			tr.Status, tr.Bytes = resp.Status, len(resp.Body)
			resp.Attempts = attempt
			class, retry := Classify(resp.Status)
			var lim Limit
			if resp.Status == http.StatusTooManyRequests || c.o.RateLimit == nil || !c.o.RateLimit.OnlyWhen429 {
				lim = ParseLimit(resp.Header, c.o.RateLimit, c.o.Now())
			}
			if class == "" {
				if lim.HasRemaining && lim.Remaining <= 0 && lim.HasWait {
					// Quota used up: hold the next request until the reset.
					c.pause(min(lim.Wait, c.o.MaxRetryAfter))
				}
				tr.Finished = true
				c.trace(tr)
				return resp, nil
			}
			if resp.Status == http.StatusForbidden && lim.HasRemaining && lim.Remaining <= 0 && lim.HasWait {
				// GitHub-style quota exhaustion answered with 403.
				class, retry = Throttled, true
			}
			body := resp.Body
			if len(body) > 512 {
				body = body[:512]
			}
			last = &Error{Class: class, Status: resp.Status, Attempts: attempt, Body: c.redact(string(body)),
				msg: fmt.Sprintf("%s %s: HTTP %d: %s", req.Method, rurl, resp.Status, strings.TrimSpace(c.redact(string(body))))}
			tr.Class, tr.Err = class, fmt.Sprintf("HTTP %d", resp.Status)
			retryAfter, hasRetryAfter = lim.Wait, lim.HasWait
			if resp.Status == http.StatusServiceUnavailable && hasRetryAfter {
				last.Class, tr.Class = Throttled, Throttled
			}
			if !retry {
				tr.Finished = true
				c.trace(tr)
				return nil, last
			}
		}
		if attempt == attempts {
			break
		}
		wait := c.backoff(attempt)
		if hasRetryAfter {
			if retryAfter > c.o.MaxRetryAfter {
				tr.Finished = true
				c.trace(tr)
				last.msg += fmt.Sprintf(" (Retry-After %s exceeds the %s limit)", retryAfter, c.o.MaxRetryAfter)
				return nil, last
			}
			if c.o.RateLimit != nil && !c.o.RateLimit.UseReset {
				wait = max(wait, retryAfter)
			} else {
				wait = retryAfter
			}
		}
		if dl, ok := ctx.Deadline(); ok && c.o.Now().Add(wait).After(dl) {
			tr.Finished = true
			c.trace(tr)
			last.msg += " (context deadline is nearer than the next attempt)"
			return nil, last
		}
		tr.Wait = wait
		c.trace(tr)
		c.o.Logger.Debug("retrying request", "method", req.Method, "url", rurl, "attempt", attempt, "wait", wait, "error", last.msg)
		if err := c.o.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("waiting to retry %s %s: %w", req.Method, rurl, err)
		}
	}
	last.msg = fmt.Sprintf("after %d attempts: %s", last.Attempts, last.msg)
	c.trace(Trace{Method: req.Method, URL: rurl, Attempt: last.Attempts, Class: last.Class, Err: last.msg, Status: last.Status, Finished: true})
	return nil, last
}

func (c *Client) trace(t Trace) {
	if c.o.Trace != nil {
		c.o.Trace(t)
	}
}

func (c *Client) pause(d time.Duration) {
	c.mu.Lock()
	if t := c.o.Now().Add(d); t.After(c.pauseUntil) {
		c.pauseUntil = t
	}
	c.mu.Unlock()
}

// wait holds the request for a header-announced reset and the token
// bucket; it returns the time waited.
func (c *Client) wait(ctx context.Context) (time.Duration, error) {
	var waited time.Duration
	c.mu.Lock()
	until := c.pauseUntil
	c.mu.Unlock()
	if now := c.o.Now(); now.Before(until) {
		d := until.Sub(now)
		if err := c.o.Sleep(ctx, d); err != nil {
			return waited, err
		}
		waited += d
	}
	if c.lim == nil {
		return waited, ctx.Err()
	}
	now := c.o.Now()
	r := c.lim.ReserveN(now, 1)
	if !r.OK() {
		return waited, errors.New("rate limiter cannot grant a token")
	}
	if d := r.DelayFrom(now); d > 0 {
		if err := c.o.Sleep(ctx, d); err != nil {
			r.CancelAt(c.o.Now())
			return waited, err
		}
		waited += d
	}
	return waited, nil
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.o.BaseBackoff << (attempt - 1)
	if d > c.o.MaxBackoff || d <= 0 {
		d = c.o.MaxBackoff
	}
	// Full jitter over the upper half: [d/2, d).
	return d/2 + time.Duration(c.o.Jitter()*float64(d/2))
}

func (c *Client) once(req *http.Request) (*Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), c.o.Timeout)
	defer cancel()
	resp, err := c.o.HTTP.Do(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.o.MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading response body: %w", err)
	}
	if int64(len(body)) > c.o.MaxBodyBytes {
		return nil, fmt.Errorf("response body exceeds %d bytes", c.o.MaxBodyBytes)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body, URL: resp.Request.URL.String()}, nil
}

// ParseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > int64(MaxTimeout/time.Second)*1e6 {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}
