package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/codeless/codeless/internal/apierr"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/store"
)

// armTarget is a parsed ARM path.
type armTarget struct {
	kind   resource.Kind // "" for deployments
	deploy bool
	name   string // "" = collection
}

// eq compares ARM path segments case-insensitively.
func eq(a, b string) bool { return strings.EqualFold(a, b) }

// parseARM parses the part after /subscriptions/{sub}/resourceGroups/{rg}/providers/.
func (s *Server) parseARM(segs []string) (armTarget, error) {
	notFound := func() (armTarget, error) {
		return armTarget{}, apierr.New(http.StatusNotFound, "InvalidResourceType", "", "the resource type at /%s is not supported", strings.Join(segs, "/"))
	}
	n := len(segs)
	switch {
	case n >= 2 && eq(segs[0], "Microsoft.Insights") && eq(segs[1], "dataCollectionRules") && n <= 3:
		return armTarget{kind: resource.KindDataCollectionRule, name: at(segs, 2)}, nil
	case n >= 2 && eq(segs[0], "Microsoft.Insights") && eq(segs[1], "dataCollectionEndpoints") && n <= 3:
		return armTarget{kind: resource.KindDataCollectionEndpt, name: at(segs, 2)}, nil
	case n == 3 && eq(segs[0], "Microsoft.Resources") && eq(segs[1], "deployments"):
		return armTarget{kind: resource.KindDeployment, deploy: true, name: segs[2]}, nil
	case n == 2 && eq(segs[0], "Microsoft.Resources") && eq(segs[1], "deployments"):
		return armTarget{kind: resource.KindDeployment}, nil
	case n >= 2 && n <= 3 && eq(segs[0], "Microsoft.Resources") && eq(segs[1], "templateSpecs"):
		return armTarget{kind: resource.KindTemplateSpec, name: at(segs, 2)}, nil
	case n >= 4 && eq(segs[0], "Microsoft.OperationalInsights") && eq(segs[1], "workspaces"):
		if !s.isWorkspace(segs[2]) {
			return armTarget{}, apierr.New(http.StatusNotFound, "WorkspaceNotFound", "", "workspace %q does not exist (this server holds workspace %q)", segs[2], s.cfg.Workspace)
		}
		rest := segs[3:]
		switch {
		case eq(rest[0], "tables") && len(rest) <= 2:
			return armTarget{kind: resource.KindTable, name: at(rest, 1)}, nil
		case len(rest) >= 3 && eq(rest[0], "providers") && eq(rest[1], "Microsoft.SecurityInsights") && len(rest) <= 4:
			switch {
			case eq(rest[2], "dataConnectorDefinitions"):
				return armTarget{kind: resource.KindConnectorDefinition, name: at(rest, 3)}, nil
			case eq(rest[2], "dataConnectors"):
				return armTarget{kind: resource.KindConnection, name: at(rest, 3)}, nil
			case eq(rest[2], "contentTemplates"):
				return armTarget{kind: resource.KindContentTemplate, name: at(rest, 3)}, nil
			case eq(rest[2], "contentPackages"):
				return armTarget{kind: resource.KindContentPackage, name: at(rest, 3)}, nil
			case eq(rest[2], "metadata"):
				return armTarget{kind: resource.KindMetadata, name: at(rest, 3)}, nil
			}
		}
	}
	return notFound()
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

func (s *Server) isWorkspace(ws string) bool {
	return eq(ws, s.cfg.Workspace) || (s.cfg.WorkspaceID != "" && eq(ws, s.cfg.WorkspaceID))
}

// handleARM serves /subscriptions/{sub}/resourceGroups/{rg}/providers/...
func (s *Server) handleARM(w http.ResponseWriter, r *http.Request) {
	if err := s.serveARM(w, r); err != nil {
		ae := apierr.Write(w, err)
		if ae.Status >= 500 {
			s.log.Error("ARM request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}
}

func (s *Server) serveARM(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Control == nil {
		return apierr.New(http.StatusNotImplemented, "NotImplemented", "", "the management API is not available on this server")
	}
	segs := splitPath(r.URL.Path)
	// subscriptions/{sub}/resourceGroups/{rg}/providers/...
	if len(segs) < 5 || !eq(segs[0], "subscriptions") || !eq(segs[2], "resourceGroups") || !eq(segs[4], "providers") {
		return apierr.New(http.StatusNotFound, "NotFound", "", "expected /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/...")
	}
	if !eq(segs[1], s.cfg.Subscription) {
		return apierr.New(http.StatusNotFound, "SubscriptionNotFound", "", "the subscription %q could not be found", segs[1])
	}
	if !eq(segs[3], s.cfg.ResourceGroup) {
		return apierr.New(http.StatusNotFound, "ResourceGroupNotFound", "", "resource group %q could not be found", segs[3])
	}
	if r.URL.Query().Get("api-version") == "" {
		return apierr.BadRequest("MissingApiVersionParameter", "api-version", "the api-version query parameter (?api-version=) is required for all requests")
	}
	t, err := s.parseARM(segs[5:])
	if err != nil {
		return err
	}
	ctx := r.Context()
	ifMatch := r.Header.Get("If-Match")
	switch {
	case t.deploy && r.Method != http.MethodGet && r.Method != http.MethodDelete:
		if r.Method != http.MethodPut {
			w.Header().Set("Allow", "GET, PUT, DELETE")
			return apierr.New(http.StatusMethodNotAllowed, "MethodNotAllowed", "", "deployments accept GET, PUT and DELETE")
		}
		body, err := s.readJSON(w, r)
		if err != nil {
			return err
		}
		out, err := s.deps.Control.Deploy(ctx, t.name, body)
		if err != nil {
			return err
		}
		writeRaw(w, http.StatusOK, out)
		return nil
	case t.name == "":
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			return apierr.New(http.StatusMethodNotAllowed, "MethodNotAllowed", "", "collections accept GET only")
		}
		items, err := s.deps.Control.ListResources(ctx, t.kind)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		b.WriteString(`{"value":[`)
		for i, it := range items {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(it)
		}
		b.WriteString("]}")
		writeRaw(w, http.StatusOK, b.Bytes())
		return nil
	}
	switch r.Method {
	case http.MethodGet:
		out, err := s.deps.Control.GetResource(ctx, t.kind, t.name)
		if err != nil {
			return notFoundAs(err, t)
		}
		writeRaw(w, http.StatusOK, out)
	case http.MethodPut:
		body, err := s.readJSON(w, r)
		if err != nil {
			return err
		}
		out, created, err := s.deps.Control.PutResource(ctx, t.kind, t.name, body, ifMatch)
		if err != nil {
			return err
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		writeRaw(w, status, out)
	case http.MethodDelete:
		err := s.deps.Control.DeleteResource(ctx, t.kind, t.name, ifMatch)
		if errors.Is(err, store.ErrNotFound) {
			w.WriteHeader(http.StatusNoContent) // ARM: deleting a missing resource is 204
			return nil
		}
		if err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
	default:
		w.Header().Set("Allow", "GET, PUT, DELETE")
		return apierr.New(http.StatusMethodNotAllowed, "MethodNotAllowed", "", "method %s is not allowed on a resource", r.Method)
	}
	return nil
}

// notFoundAs turns store.ErrNotFound into ARM's ResourceNotFound naming the
// resource.
func notFoundAs(err error, t armTarget) error {
	var ae *apierr.APIError
	if errors.Is(err, store.ErrNotFound) && !errors.As(err, &ae) {
		return &apierr.APIError{Status: http.StatusNotFound, Code: "ResourceNotFound", Err: err,
			Message: fmt.Sprintf("the %s %q was not found", t.kind, t.name)}
	}
	return err
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// readJSON reads a bounded body and checks it is JSON, reporting the byte
// offset of a syntax error.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxARMBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, apierr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "", "the request body exceeds %d bytes", s.cfg.MaxARMBodyBytes)
		}
		return nil, apierr.BadRequest("InvalidRequestContent", "", "reading the request body: %v", err)
	}
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	var x any
	if err := json.Unmarshal(body, &x); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, apierr.BadRequest("InvalidRequestContent", "", "the request content is not valid JSON at byte offset %d: %v", se.Offset, err)
		}
		return nil, apierr.BadRequest("InvalidRequestContent", "", "the request content is not valid JSON: %v", err)
	}
	if _, ok := x.(map[string]any); !ok {
		return nil, apierr.BadRequest("InvalidRequestContent", "", "the request content must be a JSON object")
	}
	return body, nil
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	var meta struct {
		Etag string `json:"etag"`
	}
	if json.Unmarshal(body, &meta) == nil && meta.Etag != "" {
		w.Header().Set("ETag", meta.Etag)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
