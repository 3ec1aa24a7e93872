package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// client talks to a running server with a bearer token from
// CODELESS_TOKEN or from CODELESS_CLIENT_ID/CODELESS_CLIENT_SECRET.
type client struct {
	base  string
	http  *http.Client
	token string
}

func addServerFlag(c *cobra.Command, server *string) {
	c.Flags().StringVar(server, "server", envOr("CODELESS_SERVER", "http://127.0.0.1:8080"), "URL of a running codeless server (CODELESS_SERVER)")
}

func newClient(ctx context.Context, base string) (*client, error) {
	c := &client{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: 60 * time.Second}}
	if t := os.Getenv("CODELESS_TOKEN"); t != "" {
		c.token = t
		return c, nil
	}
	id, secret := os.Getenv("CODELESS_CLIENT_ID"), os.Getenv("CODELESS_CLIENT_SECRET")
	if id == "" || secret == "" {
		return nil, fmt.Errorf("set CODELESS_TOKEN, or CODELESS_CLIENT_ID and CODELESS_CLIENT_SECRET (printed by `codeless serve` on first start)")
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {"codeless/.default"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/common/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("getting a token from %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		return nil, fmt.Errorf("getting a token from %s: HTTP %d %s %s", c.base, resp.StatusCode, tok.Error, tok.Description)
	}
	c.token = tok.AccessToken
	return c, nil
}

// do sends a JSON request and decodes a JSON answer into out (when not nil).
// Non-2xx answers become errors carrying the ARM error message and target.
func (c *client) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct {
				Code, Message, Target string
			} `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			if e.Error.Target != "" {
				return fmt.Errorf("%s (HTTP %d): %s: %s", e.Error.Code, resp.StatusCode, e.Error.Target, e.Error.Message)
			}
			return fmt.Errorf("%s (HTTP %d): %s", e.Error.Code, resp.StatusCode, e.Error.Message)
		}
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(data)))
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}
