package cli

import (
	"github.com/spf13/cobra"

	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
)

// catalog adapts a store's tables to sqlgen.Catalog.
type catalog struct {
	cmd *cobra.Command
	st  store.Tables
}

func (c catalog) TableSchema(name string) (schema.Schema, bool) {
	s, err := c.st.TableSchema(c.cmd.Context(), name)
	return s, err == nil
}
