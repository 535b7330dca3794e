package main

import (
	"context"
	"errors"
)

func cmdDemo(ctx context.Context, e *env) error { return errors.New("demo: not wired yet") }
