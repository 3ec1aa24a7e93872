package engine

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/codeless/codeless/internal/kql/sqlgen"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
)

// Definitions lists the deployed connector definitions, sorted by name.
func (e *Engine) Definitions(ctx context.Context) ([]*resource.ConnectorDefinition, error) {
	recs, err := e.st.ListResources(ctx, string(resource.KindConnectorDefinition))
	if err != nil {
		return nil, err
	}
	out := make([]*resource.ConnectorDefinition, 0, len(recs))
	for _, r := range recs {
		d, err := resource.DecodeDefinition(r.Body)
		if err != nil {
			e.log.Error("stored definition is unreadable", "definition", r.Name, "err", err)
			continue
		}
		d.Name = r.Name
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ConnectionsOf lists the connections whose connectorDefinitionName is the
// definition (HasDataConnectors).
func (e *Engine) ConnectionsOf(definition string) []string {
	var out []string
	for _, s := range e.Statuses() {
		if s.ConnectorDefinitionName == definition {
			out = append(out, s.Name)
		}
	}
	return out
}

// LastErrorOf returns the most recent polling error of the definition's
// connections ("" when they are healthy).
func (e *Engine) LastErrorOf(definition string) string {
	var last Status
	for _, s := range e.Statuses() {
		if s.ConnectorDefinitionName == definition && s.LastError != "" && s.LastErrorTime.After(last.LastErrorTime) {
			last = s
		}
	}
	if last.LastError == "" {
		return ""
	}
	return fmt.Sprintf("%s (%s)", last.LastError, last.LastErrorClass)
}

// Status is the polling status of every connection (for the web API).
func (e *Engine) Status() any { return e.Statuses() }

// Query runs KQL over the tables (KQL → SQL, executed by the store).
func (e *Engine) Query(ctx context.Context, kql string) (*store.Result, error) {
	q, err := sqlgen.ToSQL(kql, catalog{ctx: ctx, st: e.st}, sqlgen.Options{Now: e.cfg.Now().UTC()})
	if err != nil {
		return nil, err
	}
	return e.st.Query(ctx, q.SQL, q.Args...)
}

// LastReceived runs a lastDataReceivedQuery and returns the time in its
// first column of its first row (zero when there is none or the table does
// not exist yet).
func (e *Engine) LastReceived(ctx context.Context, kql string) (time.Time, error) {
	res, err := e.Query(ctx, kql)
	if err != nil {
		return time.Time{}, err
	}
	if len(res.Rows) == 0 || len(res.Rows[0]) == 0 {
		return time.Time{}, nil
	}
	t, _ := res.Rows[0][0].(time.Time)
	return t, nil
}

type catalog struct {
	ctx context.Context
	st  store.Tables
}

func (c catalog) TableSchema(name string) (schema.Schema, bool) {
	s, err := c.st.TableSchema(c.ctx, name)
	return s, err == nil
}
