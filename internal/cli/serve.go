package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/codeless/codeless/internal/demo"
	"github.com/codeless/codeless/internal/engine"
	"github.com/codeless/codeless/internal/health"
	"github.com/codeless/codeless/internal/ingest"
	"github.com/codeless/codeless/internal/secrets"
	"github.com/codeless/codeless/internal/server"
	"github.com/codeless/codeless/internal/store"
	"github.com/codeless/codeless/internal/store/duckdb"
	"github.com/codeless/codeless/internal/web"
)

type serveFlags struct {
	listen, data                           string
	subscription, resourceGroup, workspace string
	workspaceID                            string
	demo                                   bool
	demoMockListen                         string
	tlsCert, tlsKey                        string
	tlsSelfSigned                          bool
	maxLookback                            time.Duration
	logLevel                               string
	gc                                     gcFlags
}

func newServe() *cobra.Command {
	f := &serveFlags{}
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the server: management API, ingestion endpoint, query API, pollers and web UI",
		Long: `Run everything on one listener. Data (one DuckDB file, the secret key) lives in --data.

Authentication: every API except /healthz needs a bearer token from
POST /{tenant}/oauth2/v2.0/token (client credentials). The admin client comes
from CODELESS_ADMIN_CLIENT_ID / CODELESS_ADMIN_CLIENT_SECRET; when they are
unset and no admin exists yet, one is generated and its secret printed once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, f) },
	}
	fl := c.Flags()
	fl.StringVar(&f.listen, "listen", envOr("CODELESS_LISTEN", "127.0.0.1:8080"), "address to listen on (CODELESS_LISTEN)")
	fl.StringVar(&f.data, "data", envOr("CODELESS_DATA", "./codeless-data"), "data directory (CODELESS_DATA)")
	fl.StringVar(&f.subscription, "subscription", envOr("CODELESS_SUBSCRIPTION", "00000000-0000-0000-0000-000000000000"), "subscription id of the ARM paths")
	fl.StringVar(&f.resourceGroup, "resource-group", envOr("CODELESS_RESOURCE_GROUP", "codeless"), "resource group of the ARM paths")
	fl.StringVar(&f.workspace, "workspace", envOr("CODELESS_WORKSPACE", "codeless"), "workspace name")
	fl.StringVar(&f.workspaceID, "workspace-id", envOr("CODELESS_WORKSPACE_ID", ""), "workspace customerId GUID (default: generated once and kept in the data directory)")
	fl.BoolVar(&f.demo, "demo", false, "deploy the example solution against a built-in mock API and connect it")
	fl.StringVar(&f.demoMockListen, "demo-mock-listen", "127.0.0.1:0", "address of the demo's mock source API")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate file (PEM)")
	fl.StringVar(&f.tlsKey, "tls-key", "", "TLS key file (PEM)")
	fl.BoolVar(&f.tlsSelfSigned, "tls-self-signed", false, "serve HTTPS with a self-signed certificate kept in the data directory (tls.crt, for clients to trust)")
	fl.DurationVar(&f.maxLookback, "max-lookback", 24*time.Hour, "how far back a poller catches up after downtime")
	fl.StringVar(&f.logLevel, "log-level", envOr("CODELESS_LOG_LEVEL", "info"), "debug, info, warn or error")
	f.gc.register(fl)
	return c
}

func newLogger(w *os.File, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(secrets.NewHandler(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l, ReplaceAttr: secrets.ReplaceAttr})))
}

// workspaceNameRE is Azure's rule for Log Analytics workspace names.
var workspaceNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$`)

func runServe(cmd *cobra.Command, f *serveFlags) error {
	if !workspaceNameRE.MatchString(f.workspace) {
		return &exitError{code: 2, err: fmt.Errorf("--workspace %q: a workspace name has 4 to 63 letters, digits and hyphens, starting and ending with a letter or digit", f.workspace)}
	}
	log := newLogger(os.Stderr, f.logLevel)
	gogc, limit, err := f.gc.apply(cmd.Flags())
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	log.Debug("garbage collector", "gogc", gogc, "goMemoryLimitBytes", limit)
	if err := os.MkdirAll(f.data, 0o700); err != nil {
		return fmt.Errorf("creating data directory: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	st, err := duckdb.Open(filepath.Join(f.data, "codeless.duckdb"))
	if err != nil {
		return fmt.Errorf("opening the store: %w", err)
	}
	defer st.Close()
	keys, err := secrets.LoadOrCreateKey(f.data)
	if err != nil {
		return err
	}
	wsID, err := workspaceID(ctx, st, f.workspaceID)
	if err != nil {
		return err
	}

	if f.tlsSelfSigned {
		if f.tlsCert != "" {
			return &exitError{code: 2, err: errors.New("--tls-self-signed and --tls-cert exclude each other")}
		}
		host, _, _ := net.SplitHostPort(f.listen)
		if f.tlsCert, f.tlsKey, err = selfSignedCert(f.data, host); err != nil {
			return err
		}
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return &exitError{code: 2, err: errors.New("--tls-cert and --tls-key go together")}
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", f.listen, err)
	}
	scheme := "http"
	if f.tlsCert != "" {
		scheme = "https"
	}
	baseURL := scheme + "://" + advertised(ln.Addr())

	metrics := health.NewMetrics()
	pipe := ingest.New(st, ingest.Options{Logger: log, Metrics: metrics})
	eng := engine.New(engine.Config{
		Subscription: f.subscription, ResourceGroup: f.resourceGroup, Workspace: f.workspace, WorkspaceID: wsID,
		IngestURL: baseURL, Logger: log, MaxLookback: f.maxLookback,
	}, st, pipe, keys)

	clients := server.NewClientStore(st)
	secret, err := server.BootstrapAdmin(ctx, st, os.Getenv("CODELESS_ADMIN_CLIENT_ID"), os.Getenv("CODELESS_ADMIN_CLIENT_SECRET"))
	if err != nil {
		return fmt.Errorf("creating the admin client: %w", err)
	}
	srv, err := server.New(server.Config{
		Subscription: f.subscription, ResourceGroup: f.resourceGroup, Workspace: f.workspace, WorkspaceID: wsID, Logger: log,
	}, server.Deps{Store: st, Pipeline: pipe, Control: eng, Metrics: metrics, Clients: clients})
	if err != nil {
		return err
	}
	ui, err := web.New(eng, srv.Sessions(), log)
	if err != nil {
		return err
	}
	srv.SetWeb(ui)

	if err := eng.Start(ctx); err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() {
		if f.tlsCert != "" {
			hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			errc <- hs.ServeTLS(ln, f.tlsCert, f.tlsKey)
			return
		}
		errc <- hs.Serve(ln)
	}()
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "codeless %s listening on %s (data in %s)\n", Version, baseURL, f.data)
	if secret != "" {
		fmt.Fprintf(out, "Generated the admin client (shown once; only its hash is stored):\n  CODELESS_CLIENT_ID=%s\n  CODELESS_CLIENT_SECRET=%s\n",
			server.AdminClientID(os.Getenv("CODELESS_ADMIN_CLIENT_ID")), secret)
	}
	if f.demo {
		d, err := demo.Start(ctx, eng, demo.Options{MockListen: f.demoMockListen, Logger: log})
		if err != nil {
			return fmt.Errorf("starting the demo: %w", err)
		}
		defer d.Close()
		fmt.Fprintf(out, "Demo: connector %q connected to the mock API at %s; open %s/ and sign in.\n", demo.DefinitionName, d.MockURL(), baseURL)
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = hs.Shutdown(shutdown)
	eng.Wait()
	return nil
}

// advertised turns a listener address into one clients can reach
// (":8080" and "0.0.0.0:8080" become 127.0.0.1:8080).
func advertised(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// workspaceID returns the workspace's customerId GUID: the flag's value, or
// the one generated on first start and kept in the state store.
func workspaceID(ctx context.Context, st store.State, given string) (string, error) {
	if given != "" {
		if _, err := uuid.Parse(given); err != nil {
			return "", fmt.Errorf("--workspace-id %q: not a GUID", given)
		}
		return given, nil
	}
	const key = "workspace/customerId"
	b, err := st.GetKV(ctx, key)
	if err == nil && len(b) > 0 {
		return string(b), nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	id := uuid.NewString()
	if err := st.PutKV(ctx, key, []byte(id)); err != nil {
		return "", err
	}
	return id, nil
}
