package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// SpaceSeed is the demo's content of one grid branch's online space.
type SpaceSeed struct {
	Notices []SeedNotice
	Threads []SeedThread
	Files   []SeedFile
}

// SeedNotice is a notice the branch's secretary published DaysAgo days before now.
type SeedNotice struct {
	Title, Body string
	DaysAgo     int
}

// SeedThread is a thread a member opened DaysAgo days before now, with its replies.
type SeedThread struct {
	Title, Body string
	DaysAgo     int
	Replies     []SeedReply
}

// SeedReply is a reply Hours after its thread; HideReason set: hidden by the secretary.
type SeedReply struct {
	Body       string
	Hours      int
	HideReason string
}

// SeedFile is a file the secretary shared DaysAgo days before now.
type SeedFile struct {
	Name, ContentType string
	Content           []byte
	DaysAgo           int
}

// seedAuthor is the name of a member of branch o (of the branch or a group right under it),
// picked by a hash of the member and k; '党员' when the branch has none.
func seedAuthor(k int) string {
	return `COALESCE((SELECT pm.name FROM party_members pm WHERE pm.org_id IN (SELECT o.id UNION ALL SELECT g.id FROM party_orgs g WHERE g.parent_id = o.id)
		AND pm.left_on IS NULL ORDER BY (pm.id * 7919 + o.id * ` + strconv.Itoa(104729+k) + `) % 9973, pm.id LIMIT 1), '党员')`
}

// seedBranchLead is the name of branch o's secretary by post ('支部书记' when the post is vacant).
const seedBranchLead = `COALESCE((SELECT p.holder_name FROM party_posts p WHERE p.org_id = o.id AND p.post = 'secretary' AND p.ended_at IS NULL AND p.holder_name <> ''
	ORDER BY p.id LIMIT 1), '支部书记')`

// SeedSpaces fills the online space of every active grid branch for the demo, set-based (one
// statement per item for all branches at once, so that a city of thousands of branches takes
// seconds): a branch gets variants[id % len(variants)], its notices and files by its
// secretary, its threads and replies by its members, the replies counter set, hidden replies
// hidden with their reason. Only the system scope; it returns the posts written.
func (tx *Tx) SeedSpaces(ctx context.Context, sc authz.Scope, now time.Time, variants []SpaceSeed) (int64, error) {
	if !sc.All {
		return 0, &model.ForbiddenError{Message: "只有系统可以批量生成演示空间"}
	}
	const branches = ` FROM party_orgs o WHERE o.kind = 'grid_branch' AND o.status = 'active' AND o.id % ? = ?`
	var posts int64
	n := int64(len(variants))
	for v, seed := range variants {
		which := []any{n, int64(v)}
		for _, no := range seed.Notices {
			at := now.AddDate(0, 0, -no.DaysAgo)
			if _, err := tx.exec(ctx, `INSERT INTO org_notices (org_id, path, community_id, title, body, author_name, created_at)
				SELECT o.id, o.path, o.community_id, ?, ?, `+seedBranchLead+`, ?`+branches, append([]any{no.Title, no.Body, at}, which...)...); err != nil {
				return 0, err
			}
		}
		for _, f := range seed.Files {
			sum := sha256.Sum256(f.Content)
			at := now.AddDate(0, 0, -f.DaysAgo)
			if _, err := tx.exec(ctx, `INSERT INTO org_files (org_id, path, community_id, name, content_type, size, sha256, content, author_name, created_at)
				SELECT o.id, o.path, o.community_id, ?, ?, ?, ?, ?, `+seedBranchLead+`, ?`+branches,
				append([]any{f.Name, f.ContentType, int64(len(f.Content)), hex.EncodeToString(sum[:]), f.Content, at}, which...)...); err != nil {
				return 0, err
			}
		}
		for ti, th := range seed.Threads {
			at := now.AddDate(0, 0, -th.DaysAgo)
			res, err := tx.exec(ctx, `INSERT INTO org_posts (org_id, path, community_id, title, body, author_name, created_at)
				SELECT o.id, o.path, o.community_id, ?, ?, `+seedAuthor(ti)+`, ?`+branches, append([]any{th.Title, th.Body, at}, which...)...)
			if err != nil {
				return 0, err
			}
			k, _ := res.RowsAffected()
			posts += k
			for ri, r := range th.Replies {
				rat := at.Add(time.Duration(r.Hours) * time.Hour)
				var hiddenAt any
				if r.HideReason != "" {
					hiddenAt = rat.Add(2 * time.Hour)
				}
				res, err := tx.exec(ctx, `INSERT INTO org_posts (org_id, parent_id, path, community_id, body, author_name, created_at, hidden_at, hidden_reason)
					SELECT o.id, t.id, o.path, o.community_id, ?, `+seedAuthor(10+ti*10+ri)+`, ?, ?, ?
					FROM party_orgs o JOIN org_posts t ON t.org_id = o.id AND t.parent_id IS NULL AND t.title = ?
					WHERE o.kind = 'grid_branch' AND o.status = 'active' AND o.id % ? = ?`,
					append([]any{r.Body, rat, hiddenAt, r.HideReason, th.Title}, which...)...)
				if err != nil {
					return 0, err
				}
				k, _ := res.RowsAffected()
				posts += k
			}
		}
	}
	_, err := tx.exec(ctx, `UPDATE org_posts SET replies = (SELECT COUNT(*) FROM org_posts r WHERE r.parent_id = org_posts.id)
		WHERE parent_id IS NULL AND org_id IN (SELECT id FROM party_orgs WHERE kind = 'grid_branch' AND status = 'active')`)
	return posts, err
}
