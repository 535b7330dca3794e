package store

import (
	"context"
	"errors"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
)

// The resources list of the three lists (三张清单): what organizations of the register (the
// co-building units above all) and party members offer. Resources lie on the territory: staff
// and grid leaders read and record those of their subtree. The offerer's phone is read with the
// row (an organization's contact phone, a member's own from its sealed resident record) and is
// a model.Sensitive, which renders masked on every path; nobody reads it in full here.

const resourceColumns = `r.id, r.community_id, r.territory_id, COALESCE(t.name, ''), r.path, r.kind, r.title, r.description, r.tags, r.capacity, r.amount_fen,
	r.availability, COALESCE(r.organization_id, 0), COALESCE(r.member_id, 0), COALESCE(o.name, pm.name, ''), COALESCE(o.contact_phone, ''), COALESCE(rs.phone_enc, ''),
	r.status, (SELECT COUNT(*) FROM list_projects p WHERE p.resource_id = r.id AND p.status IN ('approved', 'in_progress')), r.recorded_by_name, r.created_at, r.updated_at`

const resourceFrom = ` FROM list_resources r LEFT JOIN territories t ON t.id = r.territory_id
	LEFT JOIN organizations o ON o.id = r.organization_id
	LEFT JOIN party_members pm ON pm.id = r.member_id
	LEFT JOIN residents rs ON rs.id = pm.resident_id`

// resourceScanner scans a resource, opening a member's sealed phone with kr.
func resourceScanner(kr *pii.Keyring) func(rowScanner) (*model.Resource, error) {
	return func(r rowScanner) (*model.Resource, error) {
		var x model.Resource
		var orgPhone, memberPhone string
		if err := r.Scan(&x.ID, &x.CommunityID, &x.TerritoryID, &x.TerritoryName, &x.Path, &x.Kind, &x.Title, &x.Description, &x.Tags, &x.Capacity, &x.AmountFen,
			&x.Availability, &x.OrganizationID, &x.MemberID, &x.OfferedBy, &orgPhone, &memberPhone,
			&x.Status, &x.ActiveProjects, &x.RecordedBy, &x.CreatedAt, &x.UpdatedAt); err != nil {
			return nil, err
		}
		switch {
		case x.OrganizationID != 0:
			x.ContactPhone = model.NewPhone(orgPhone)
		case memberPhone != "" && kr != nil:
			p, err := kr.Open(ColumnPhone, memberPhone)
			if err != nil {
				return nil, err
			}
			x.ContactPhone = model.NewPhone(p)
		}
		// Only the mask leaves the store: no render path can give back the full number.
		x.ContactPhone = x.ContactPhone.MaskedOnly()
		return &x, nil
	}
}

// Resource returns the resource with id, or model.ErrNotFound when it does not exist or lies
// outside the scope.
func (s *Store) Resource(ctx context.Context, sc authz.Scope, id int64) (*model.Resource, error) {
	return s.reader().resource(ctx, sc, id)
}

func (c conn) resource(ctx context.Context, sc authz.Scope, id int64) (*model.Resource, error) {
	return scopedOne(ctx, c, sc, `SELECT `+resourceColumns+resourceFrom+` WHERE r.id = ?`, []any{id}, resourceScanner(c.keys),
		func(r *model.Resource) string { return r.Path })
}

// ResourceFilter selects resources. Under is a subtree root (0: the whole scope).
type ResourceFilter struct {
	Under        int64
	Kind         model.ResourceKind   // "" for every kind
	Status       model.ResourceStatus // "" for every status
	Organization int64                // offered by this organization (0: any)
	Q            string               // title or tags contain
	Limit        int
	Cursor       string
}

// Resources lists the resources in the scope matching f, newest first, with their total. An
// unknown kind or status is a *model.ValidationError.
func (s *Store) Resources(ctx context.Context, sc authz.Scope, f ResourceFilter) (*Page[*model.Resource], error) {
	var v model.ValidationError
	if f.Kind != "" && !f.Kind.Valid() {
		v.Add("kind", "资源类型应为 venue、skill、funds 或 goods")
	}
	if f.Status != "" && !f.Status.Valid() {
		v.Add("status", "状态应为 available 或 withdrawn")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	c := s.reader()
	prefix, ok, err := c.subtree(ctx, sc, f.Under)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &Page[*model.Resource]{}, nil
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	lo, hi := authz.PathRange(prefix)
	w := filter{where: []string{"r.path >= ?", "r.path < ?"}, args: []any{lo, hi}}
	if f.Kind != "" {
		w.add("r.kind = ?", string(f.Kind))
	}
	if f.Status != "" {
		w.add("r.status = ?", string(f.Status))
	}
	if f.Organization != 0 {
		w.add("r.organization_id = ?", f.Organization)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		w.add(`(r.title LIKE ? ESCAPE '\' OR r.tags LIKE ? ESCAPE '\')`, "%"+escapeLike(q)+"%", "%"+escapeLike(q)+"%")
	}
	count := w.clone()
	if cur.id != 0 {
		w.add("r.id < ?", cur.id)
	}
	scan := resourceScanner(c.keys)
	page, err := fetchPage(ctx, c, `SELECT `+resourceColumns+resourceFrom+` WHERE `+w.sql()+` ORDER BY r.id DESC`, w.args, clampLimit(f.Limit),
		func(r rowScanner) (*model.Resource, cursor, error) {
			x, err := scan(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return x, cursor{key: "r", id: x.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	err = c.queryRow(ctx, `SELECT COUNT(*) FROM list_resources r WHERE `+count.sql(), count.args, &page.Total)
	return page, err
}

// CreateResource records a resource at a node of a community in the scope, offered by an
// organization of the register or a party member the caller reaches. Bad fields, a node, an
// organization or a member outside the scope are reported together in one
// *model.ValidationError (a negative amount among them).
func (s *Store) CreateResource(ctx context.Context, sc authz.Scope, in model.ResourceInput) (*model.Resource, error) {
	var x *model.Resource
	err := s.Tx(ctx, func(tx *Tx) error {
		v := validation(in.Validate())
		t, community, err := tx.listPlace(ctx, sc, in.TerritoryID, "territory_id", "", v)
		if err != nil {
			return err
		}
		if in.OrganizationID > 0 {
			o, err := tx.organization(ctx, sc, in.OrganizationID)
			switch {
			case errors.Is(err, model.ErrNotFound):
				v.Add("organization_id", "共建单位不存在或不在您的管辖范围内")
			case err != nil:
				return err
			case !o.Active:
				v.Add("organization_id", "该单位已停用")
			}
		}
		if in.MemberID > 0 {
			m, err := tx.member(ctx, sc, in.MemberID)
			switch {
			case errors.Is(err, model.ErrNotFound):
				v.Add("member_id", "党员不存在或不在您的管辖范围内")
			case err != nil:
				return err
			case !m.Current():
				v.Add("member_id", "该党员已不在册")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		name, err := tx.callerName(ctx, sc)
		if err != nil {
			return err
		}
		ts := tx.s.now()
		var id int64
		if err := tx.queryRow(ctx, `INSERT INTO list_resources (community_id, territory_id, path, kind, title, description, tags, capacity, amount_fen, availability,
			organization_id, member_id, status, recorded_by, recorded_by_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'available', ?, ?, ?, ?) RETURNING id`,
			[]any{community, t.ID, t.Path, string(in.Kind), in.Title, in.Description, in.Tags, in.Capacity, in.AmountFen, in.Availability,
				nullID(in.OrganizationID), nullID(in.MemberID), nullID(sc.UserID), name, ts, ts}, &id); err != nil {
			return err
		}
		tx.auditAt(sc, t.Path, "resource.created", "resource", []int64{id}, in.Kind.Label()+" "+in.Title)
		x, err = tx.resource(ctx, sc, id)
		return err
	})
	return x, err
}

// SetResourceStatus withdraws an available resource or offers a withdrawn one again, with a
// conditional UPDATE: a resource already in that status is a *model.ConflictError, one outside
// the scope model.ErrNotFound. Projects already using a withdrawn resource go on.
func (s *Store) SetResourceStatus(ctx context.Context, sc authz.Scope, id int64, to model.ResourceStatus) (*model.Resource, error) {
	if !to.Valid() {
		return nil, fieldErr("status", "状态应为 available（可对接）或 withdrawn（撤回）")
	}
	var x *model.Resource
	err := s.Tx(ctx, func(tx *Tx) error {
		old, err := tx.resource(ctx, sc, id)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE list_resources SET status = ?, updated_at = ? WHERE id = ? AND status <> ?`, string(to), tx.s.now(), id, string(to))
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return &model.ConflictError{Message: "资源已是“" + to.Label() + "”状态"}
		}
		tx.auditAt(sc, old.Path, "resource."+string(to), "resource", []int64{id}, "")
		x, err = tx.resource(ctx, sc, id)
		return err
	})
	return x, err
}

// ResourceMatches ranks the available resources of a need's community that the caller reaches
// for the need (model.RankResources): model.ErrNotFound for a need outside the scope.
func (s *Store) ResourceMatches(ctx context.Context, sc authz.Scope, needID int64) (*model.Need, []model.ResourceMatch, error) {
	c := s.reader()
	n, err := c.need(ctx, sc, needID)
	if err != nil {
		return nil, nil, err
	}
	prefix, ok := sc.Narrow("")
	if !ok {
		return n, []model.ResourceMatch{}, nil
	}
	lo, hi := authz.PathRange(prefix)
	rs, err := queryAll(ctx, c, `SELECT `+resourceColumns+resourceFrom+` WHERE r.community_id = ? AND r.status = 'available' AND r.path >= ? AND r.path < ? ORDER BY r.id LIMIT 500`,
		[]any{n.CommunityID, lo, hi}, resourceScanner(c.keys))
	if err != nil {
		return nil, nil, err
	}
	return n, model.RankResources(n, rs), nil
}
