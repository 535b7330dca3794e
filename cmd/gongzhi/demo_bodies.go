package main

import (
	"context"
	"fmt"
	"time"

	"gongzhi/internal/demo"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// demoBodies gives every community of the demo street with a Party committee its residents'
// committee's current term with cross appointments and the term's meetings and decisions
// (demo.Bodies). A second run adds nothing.
func demoBodies(ctx context.Context, st *store.Store, street *model.Territory) error {
	if _, err := demo.Bodies(ctx, st, street.ID, demo.DefaultSeed, time.Now().In(model.Shanghai)); err != nil {
		return fmt.Errorf("demo bodies of %s: %w", street.Name, err)
	}
	return nil
}
