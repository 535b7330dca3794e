package web

import (
	"log/slog"

	"gongzhi/internal/store"
)

// NewUnfolded is New rendering every action of the templates per request: no constants
// folded, no navigation kept. The test that folding changes no page compares against it.
func NewUnfolded(st *store.Store, log *slog.Logger, opts Options) (*Web, error) {
	return newWeb(st, log, opts, false)
}
