package main

import (
	"context"
	"errors"
)

func cmdImport(ctx context.Context, e *env) error { return errors.New("import: not wired yet") }
