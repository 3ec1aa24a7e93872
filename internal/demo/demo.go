// Package demo is the seed example of SPEC §10: a Sentinel solution
// (solution/mainTemplate.json) whose connector polls a source of Alert and
// File events, and a built-in mock of that source (internal/mockapi). Start
// deploys the solution through the same engine path as any deployment,
// starts the mock on its own loopback listener and connects the connector
// to it. It does not contain polling or transform logic of its own.
package demo

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/codeless/codeless/internal/engine"
	"github.com/codeless/codeless/internal/mockapi"
)

//go:embed solution/mainTemplate.json
var template []byte

// Template returns the demo solution's mainTemplate.json.
func Template() []byte { return append([]byte(nil), template...) }

// DefinitionName is the demo connector definition's name.
const DefinitionName = "ExampleConnectorDefinition"

// Credentials the demo connection uses against its mock source.
const (
	user     = "demo"
	password = "demo-source-password"
)

// Options configures Start.
type Options struct {
	MockListen string // default 127.0.0.1:0
	Logger     *slog.Logger
}

// Demo is a running demo: the mock source server.
type Demo struct {
	srv *http.Server
	url string
}

// MockURL is the mock source's base URL.
func (d *Demo) MockURL() string { return d.url }

// Close stops the mock source.
func (d *Demo) Close() error { return d.srv.Close() }

// Start deploys the demo solution, starts the mock source and connects.
func Start(ctx context.Context, eng *engine.Engine, o Options) (*Demo, error) {
	if o.MockListen == "" {
		o.MockListen = "127.0.0.1:0"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	mock := mockapi.New(mockapi.Config{
		Origin:          time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Hour),
		EventsPerMinute: 30,
		PageSize:        10,
		Path:            "/example/events",
		Auth:            mockapi.Auth{Type: "Basic", UserName: user, Password: password},
	})
	ln, err := net.Listen("tcp", o.MockListen)
	if err != nil {
		return nil, fmt.Errorf("listening for the mock source: %w", err)
	}
	d := &Demo{srv: &http.Server{Handler: mock, ReadHeaderTimeout: 10 * time.Second}, url: "http://" + ln.Addr().String()}
	go func() {
		if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.Logger.Error("demo mock source stopped", "err", err)
		}
	}()
	if _, err := eng.DeployTemplate(ctx, "example-connector-solution", Template(), nil); err != nil {
		d.Close()
		return nil, fmt.Errorf("deploying the demo solution: %w", err)
	}
	if _, err := eng.Connect(ctx, DefinitionName, map[string]any{"apiBaseUrl": d.url, "username": user, "password": password}); err != nil {
		d.Close()
		return nil, fmt.Errorf("connecting the demo connector: %w", err)
	}
	return d, nil
}
