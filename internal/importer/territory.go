package importer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// resolveFunc turns a 所属节点 cell into a territory id. A cell that names no usable node gives
// a Chinese reason instead; err is only for database failures, which abort the import.
type resolveFunc func(text string) (id int64, reason string, err error)

// resolver finds territories named in a file, within the importer's scope, caching every
// answer: a file names few nodes many times.
type resolver struct {
	ctx      context.Context
	st       *store.Store
	sc       authz.Scope
	cache    map[string]resolved
	root     *model.Territory // the scope's own node; nil for an unlimited scope
	rootDone bool
	children map[int64][]*model.Territory // parent id (0: the roots) → live children
}

type resolved struct {
	id     int64
	reason string
}

func newResolver(ctx context.Context, st *store.Store, sc authz.Scope) *resolver {
	return &resolver{ctx: ctx, st: st, sc: sc, cache: map[string]resolved{}, children: map[int64][]*model.Territory{}}
}

// resolve accepts a 12-digit statistical code, a numeric territory id, or a path of names from
// the top of the scope separated by "/" ("天宝社区/第一网格/1栋/1单元"; the first name may be the
// scope's own node or one directly under it). The node must lie in the scope, be live, and sit
// at community level or below.
func (r *resolver) resolve(text string) (int64, string, error) {
	key := strings.Trim(strings.ReplaceAll(text, "／", "/"), "/ ")
	if v, ok := r.cache[key]; ok {
		return v.id, v.reason, nil
	}
	t, reason, err := r.find(key)
	if err != nil {
		return 0, "", err
	}
	if t != nil {
		reason = usable(t)
	}
	v := resolved{reason: reason}
	if reason == "" {
		v.id = t.ID
	}
	r.cache[key] = v
	return v.id, v.reason, nil
}

// usable says why households cannot be registered at t, or "".
func usable(t *model.Territory) string {
	switch {
	case t.ArchivedAt != nil:
		return fmt.Sprintf("节点“%s”已归档，不能再登记住户", t.Name)
	case t.Kind.Rank() < model.KindCommunity.Rank():
		return fmt.Sprintf("“%s”是%s，住户应登记在社区及以下的节点（通常是单元或楼栋）", t.Name, t.Kind.Label())
	}
	return ""
}

func (r *resolver) find(key string) (*model.Territory, string, error) {
	if key == "" {
		return nil, "请填写所属节点：节点代码、节点ID或名称路径（如 天宝社区/第一网格/1栋/1单元）", nil
	}
	notFound := fmt.Sprintf("节点“%s”不存在或不在您的管辖范围内，请核对节点代码或ID", key)
	if allDigits(key) {
		var t *model.Territory
		var err error
		if len(key) == 12 {
			t, err = r.st.TerritoryByCode(r.ctx, r.sc, key)
		} else {
			id, perr := strconv.ParseInt(key, 10, 64)
			if perr != nil {
				return nil, notFound, nil
			}
			t, err = r.st.Territory(r.ctx, r.sc, id)
		}
		if errors.Is(err, model.ErrNotFound) {
			return nil, notFound, nil
		}
		return t, "", err
	}
	return r.findPath(key)
}

func (r *resolver) findPath(key string) (*model.Territory, string, error) {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = trimCell(s)
		if segs[i] == "" {
			return nil, fmt.Sprintf("名称路径“%s”中有空的一级，请检查“/”", key), nil
		}
	}
	if !r.sc.All && r.sc.Path == "" {
		return nil, fmt.Sprintf("节点“%s”不在您的管辖范围内", key), nil
	}
	if err := r.loadRoot(); err != nil {
		return nil, "", err
	}
	cur := r.root
	if cur != nil && segs[0] == cur.Name {
		segs = segs[1:]
	}
	for _, name := range segs {
		var parentID int64
		where := "最顶层"
		if cur != nil {
			parentID, where = cur.ID, "“"+cur.Name+"”下"
		}
		kids, err := r.kids(parentID)
		if err != nil {
			return nil, "", err
		}
		var match []*model.Territory
		for _, k := range kids {
			if k.Name == name {
				match = append(match, k)
			}
		}
		switch len(match) {
		case 0:
			return nil, fmt.Sprintf("在%s找不到名为“%s”的节点：请核对名称路径（从您的管辖范围写起，用“/”分隔），或改填节点代码/ID", where, name), nil
		case 1:
			cur = match[0]
		default:
			return nil, fmt.Sprintf("%s有%d个名为“%s”的节点，请改填节点ID", where, len(match), name), nil
		}
	}
	return cur, "", nil
}

func (r *resolver) loadRoot() error {
	if r.rootDone || r.sc.All {
		return nil
	}
	ids := model.PathIDs(r.sc.Path)
	if len(ids) == 0 {
		return nil
	}
	t, err := r.st.Territory(r.ctx, r.sc, ids[len(ids)-1])
	if err != nil {
		return err
	}
	r.root, r.rootDone = t, true
	return nil
}

// kids lists the live children of parentID (0: the root districts), cached.
func (r *resolver) kids(parentID int64) ([]*model.Territory, error) {
	if k, ok := r.children[parentID]; ok {
		return k, nil
	}
	f := store.TerritoryFilter{ParentID: parentID, Limit: store.MaxLimit}
	if parentID == 0 {
		f.Kind = model.KindDistrict // only a district can be a root
	}
	var out []*model.Territory
	for {
		page, err := r.st.Territories(r.ctx, r.sc, f)
		if err != nil {
			return nil, err
		}
		for _, t := range page.Items {
			if t.ParentID == parentID {
				out = append(out, t)
			}
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	r.children[parentID] = out
	return out, nil
}
