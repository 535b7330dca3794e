package store

import "context"

// Refollow reads again which subtrees f follows, as Next does every followPathsEvery.
func (f *EventFollower) Refollow(ctx context.Context) error { return f.follow(ctx) }
