package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// The register of organizations (issue 8, item 2). Organizations lie on the territory like
// households: staff and grid leaders read those in their subtree, administrators and community
// staff change them; a partner account (authz.Scope.Organization) reads and changes the offers
// and contact of its own organization only, and any other one is model.ErrNotFound to it.
// Organizations are never deleted: deactivated, with their history in organization_events and
// every change in the audit log.

const organizationColumns = `o.id, o.type, o.subtype, o.name, o.territory_id, COALESCE(t.name, ''), o.path, COALESCE(o.community_id, 0), o.contact_name, o.contact_phone,
	o.address, o.offers, o.party_coverage, COALESCE(o.party_org_id, 0), o.joinable, o.reported_on, o.status,
	(SELECT COUNT(*) FROM organization_members m WHERE m.organization_id = o.id), o.created_at, o.updated_at`

const organizationFrom = ` FROM organizations o LEFT JOIN territories t ON t.id = o.territory_id`

func scanOrganization(r rowScanner) (*model.Organization, error) {
	var o model.Organization
	var offers, status string
	var reported sql.NullTime
	if err := r.Scan(&o.ID, &o.Type, &o.Subtype, &o.Name, &o.TerritoryID, &o.TerritoryName, &o.Path, &o.CommunityID, &o.ContactName, &o.ContactPhone,
		&o.Address, &offers, &o.Coverage, &o.PartyOrgID, &o.Joinable, &reported, &status, &o.Members, &o.CreatedAt, &o.UpdatedAt); err != nil {
		return nil, err
	}
	if offers != "" {
		if err := json.Unmarshal([]byte(offers), &o.Offers); err != nil {
			o.Offers = model.Offers{Skills: offers} // written by hand: keep the words
		}
	}
	o.Active = status == "active"
	o.ReportedOn = timePtr(reported)
	return &o, nil
}

func offersArg(o model.Offers) string {
	if o == (model.Offers{}) {
		return ""
	}
	b, _ := json.Marshal(o)
	return string(b)
}

// Organization returns the organization with id, or model.ErrNotFound when it does not exist,
// lies outside the scope, or is not a partner's own.
func (s *Store) Organization(ctx context.Context, sc authz.Scope, id int64) (*model.Organization, error) {
	return s.reader().organization(ctx, sc, id)
}

func (c conn) organization(ctx context.Context, sc authz.Scope, id int64) (*model.Organization, error) {
	if sc.Role == model.RolePartner && id != sc.Organization {
		return nil, model.ErrNotFound
	}
	return scopedOne(ctx, c, sc, `SELECT `+organizationColumns+organizationFrom+` WHERE o.id = ?`, []any{id}, scanOrganization,
		func(o *model.Organization) string { return o.Path })
}

// OrganizationFilter selects organizations of the register. Under is a subtree root (0: the
// whole scope).
type OrganizationFilter struct {
	Under    int64
	Type     model.OrgType // "" for every type
	Q        string        // name contains
	Reported string        // "" | "yes" | "no" (co-building units that have or have not reported)
	Inactive bool          // list deactivated organizations instead of active ones
	Joinable bool          // only those residents may join
	Limit    int
	Cursor   string
}

// Organizations lists the organizations in the scope matching f, ordered by (path, id), with
// their total. A partner sees its own organization only. An unknown type or reported value is
// a *model.ValidationError.
func (s *Store) Organizations(ctx context.Context, sc authz.Scope, f OrganizationFilter) (*Page[*model.Organization], error) {
	var v model.ValidationError
	if f.Type != "" && !f.Type.Valid() {
		v.Add("type", "类型应为 "+strings.Join(model.OrgTypeIDs(), "、")+" 之一")
	}
	switch f.Reported {
	case "", "yes", "no":
	default:
		v.Add("reported", "reported 应为 yes 或 no")
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
		return &Page[*model.Organization]{}, nil
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	lo, hi := authz.PathRange(prefix)
	w := filter{where: []string{"o.path >= ?", "o.path < ?"}, args: []any{lo, hi}}
	if sc.Role == model.RolePartner {
		w.add("o.id = ?", sc.Organization)
	}
	if f.Inactive {
		w.add("o.status = 'inactive'")
	} else {
		w.add("o.status = 'active'")
	}
	if f.Type != "" {
		w.add("o.type = ?", string(f.Type))
	}
	switch f.Reported {
	case "yes":
		w.add("o.reported_on IS NOT NULL")
	case "no":
		w.add("o.type = 'co_building' AND o.reported_on IS NULL")
	}
	if f.Joinable {
		w.add("o.joinable = ?", true)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		w.add(`o.name LIKE ? ESCAPE '\'`, "%"+escapeLike(q)+"%")
	}
	count := w.clone()
	if cur.key != "" {
		w.add("(o.path > ? OR (o.path = ? AND o.id > ?))", cur.key, cur.key, cur.id)
	}
	page, err := fetchPage(ctx, c, `SELECT `+organizationColumns+organizationFrom+` WHERE `+w.sql()+` ORDER BY o.path, o.id`, w.args, clampLimit(f.Limit),
		func(r rowScanner) (*model.Organization, cursor, error) {
			o, err := scanOrganization(r)
			if err != nil {
				return nil, cursor{}, err
			}
			return o, cursor{key: o.Path, id: o.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	err = c.queryRow(ctx, `SELECT COUNT(*) FROM organizations o WHERE `+count.sql(), count.args, &page.Total)
	return page, err
}

// CreateOrganization registers an organization at a node in the scope. Bad fields, a node
// outside the scope and a Party organization outside it are reported together in one
// *model.ValidationError; so is a name already registered at the same node (the unique index
// decides, so two requests at once cannot both register it).
func (s *Store) CreateOrganization(ctx context.Context, sc authz.Scope, in model.OrganizationInput) (*model.Organization, error) {
	var o *model.Organization
	err := s.Tx(ctx, func(tx *Tx) error {
		v := validation(in.Validate())
		t, err := tx.orgPlace(ctx, sc, in, v)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		var community sql.NullInt64
		if err := tx.queryRow(ctx, `SELECT community_id FROM territories WHERE id = ?`, []any{t.ID}, &community); err != nil {
			return err
		}
		ts := now()
		var id int64
		err = tx.queryRow(ctx, `INSERT INTO organizations (type, subtype, name, territory_id, path, community_id, contact_name, contact_phone, address, offers,
			party_coverage, party_org_id, joinable, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?) RETURNING id`,
			[]any{string(in.Type), string(in.Subtype), in.Name, t.ID, t.Path, community, in.ContactName, in.ContactPhone, in.Address, offersArg(in.Offers),
				string(in.Coverage), nullID(in.PartyOrgID), in.Joinable, ts, ts}, &id)
		if isConflict(err) {
			return duplicateOrgName(in.Name)
		} else if err != nil {
			return err
		}
		if err := tx.organizationEvent(ctx, sc, id, t.Path, "created", in.Type.Label()+" "+in.Name); err != nil {
			return err
		}
		o, err = tx.organization(ctx, sc, id)
		return err
	})
	return o, err
}

func duplicateOrgName(name string) error {
	return fieldErr("name", "该节点下已登记名为“"+name+"”的组织，请核对是否重复登记，或改用其他名称")
}

// orgPlace checks the node and the Party organization of in against the scope, adding what is
// wrong to v; it returns the node (nil when bad).
func (tx *Tx) orgPlace(ctx context.Context, sc authz.Scope, in model.OrganizationInput, v *model.ValidationError) (*model.Territory, error) {
	var t *model.Territory
	if in.TerritoryID > 0 {
		var err error
		t, err = tx.territory(ctx, sc, in.TerritoryID)
		switch {
		case errors.Is(err, model.ErrNotFound):
			v.Add("territory_id", "所在节点不存在或不在您的管辖范围内")
			t = nil
		case err != nil:
			return nil, err
		case t.ArchivedAt != nil:
			v.Add("territory_id", "所在节点已归档")
		case t.Kind.Rank() < model.KindStreet.Rank():
			v.Add("territory_id", "组织应登记在街道、社区或以下的节点")
		}
	}
	if in.PartyOrgID != 0 {
		var path, status string
		err := tx.queryRow(ctx, `SELECT path, status FROM party_orgs WHERE id = ?`, []any{in.PartyOrgID}, &path, &status)
		switch {
		case errors.Is(err, model.ErrNotFound) || err == nil && !sc.Contains(path):
			v.Add("party_org_id", "党组织不存在或不在您的管辖范围内")
		case err != nil:
			return nil, err
		case status != "active":
			v.Add("party_org_id", "该党组织已合并或撤销")
		}
	}
	return t, nil
}

// UpdateOrganization changes what staff set on an organization (not its reporting date or its
// status: ReportOrganization, DeactivateOrganization). Errors as CreateOrganization, and
// model.ErrNotFound for one outside the scope.
func (s *Store) UpdateOrganization(ctx context.Context, sc authz.Scope, id int64, in model.OrganizationInput) (*model.Organization, error) {
	var o *model.Organization
	err := s.Tx(ctx, func(tx *Tx) error {
		old, err := tx.organization(ctx, sc, id)
		if err != nil {
			return err
		}
		v := validation(in.Validate())
		t, err := tx.orgPlace(ctx, sc, in, v)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		var community sql.NullInt64
		if err := tx.queryRow(ctx, `SELECT community_id FROM territories WHERE id = ?`, []any{t.ID}, &community); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE organizations SET type = ?, subtype = ?, name = ?, territory_id = ?, path = ?, community_id = ?, contact_name = ?, contact_phone = ?,
			address = ?, offers = ?, party_coverage = ?, party_org_id = ?, joinable = ?, updated_at = ? WHERE id = ?`,
			string(in.Type), string(in.Subtype), in.Name, t.ID, t.Path, community, in.ContactName, in.ContactPhone,
			in.Address, offersArg(in.Offers), string(in.Coverage), nullID(in.PartyOrgID), in.Joinable, now(), id)
		if isConflict(err) {
			return duplicateOrgName(in.Name)
		} else if err != nil {
			return err
		}
		if err := tx.organizationEvent(ctx, sc, id, t.Path, "updated", orgChanges(old, in)); err != nil {
			return err
		}
		o, err = tx.organization(ctx, sc, id)
		return err
	})
	return o, err
}

// orgChanges names what changed from old to in, for the history.
func orgChanges(old *model.Organization, in model.OrganizationInput) string {
	var parts []string
	if in.Name != old.Name {
		parts = append(parts, "名称："+old.Name+" → "+in.Name)
	}
	if in.Type != old.Type || in.Subtype != old.Subtype {
		parts = append(parts, "类型："+old.Type.Label()+" → "+in.Type.Label())
	}
	if in.TerritoryID != old.TerritoryID {
		parts = append(parts, "所在节点")
	}
	if in.Coverage != old.Coverage || in.PartyOrgID != old.PartyOrgID {
		parts = append(parts, "党组织覆盖："+old.Coverage.Label()+" → "+in.Coverage.Label())
	}
	if in.ContactName != old.ContactName || in.ContactPhone != old.ContactPhone || in.Address != old.Address {
		parts = append(parts, "联系方式")
	}
	if in.Offers != old.Offers {
		parts = append(parts, "可提供资源")
	}
	if in.Joinable != old.Joinable {
		parts = append(parts, "是否接受居民加入")
	}
	if len(parts) == 0 {
		return "未改动"
	}
	return strings.Join(parts, "；")
}

// UpdateOrganizationContact changes the offers and contact of an organization: a partner its
// own (organization.own), staff any in their scope. model.ErrNotFound for any other.
func (s *Store) UpdateOrganizationContact(ctx context.Context, sc authz.Scope, id int64, c model.OrganizationContact) (*model.Organization, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var o *model.Organization
	err := s.Tx(ctx, func(tx *Tx) error {
		old, err := tx.organization(ctx, sc, id)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE organizations SET contact_name = ?, contact_phone = ?, address = ?, offers = ?, updated_at = ? WHERE id = ?`,
			c.ContactName, c.ContactPhone, c.Address, offersArg(c.Offers), now(), id); err != nil {
			return err
		}
		if err := tx.organizationEvent(ctx, sc, id, old.Path, "contact_updated", ""); err != nil {
			return err
		}
		o, err = tx.organization(ctx, sc, id)
		return err
	})
	return o, err
}

// ReportOrganization records that a co-building unit reported to the community (单位报到) on
// date (YYYY-MM-DD, not in the future). Only co-building units report (a validation error
// otherwise); one that already reported is a *model.ConflictError, decided by a conditional
// UPDATE.
func (s *Store) ReportOrganization(ctx context.Context, sc authz.Scope, id int64, date string) (*model.Organization, error) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(date))
	switch {
	case err != nil:
		return nil, fieldErr("reported_on", "报到日期应为 YYYY-MM-DD，例如 2026-03-05")
	case d.After(time.Now().In(model.Shanghai)):
		return nil, fieldErr("reported_on", "报到日期不能晚于今天")
	case d.Year() < 2000:
		return nil, fieldErr("reported_on", "报到日期不能早于2000年")
	}
	var o *model.Organization
	err = s.Tx(ctx, func(tx *Tx) error {
		old, err := tx.organization(ctx, sc, id)
		if err != nil {
			return err
		}
		if old.Type != model.OrgCoBuilding {
			return fieldErr("type", "只有驻区单位需要到社区报到")
		}
		res, err := tx.exec(ctx, `UPDATE organizations SET reported_on = ?, updated_at = ? WHERE id = ? AND reported_on IS NULL AND status = 'active'`, d, now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if !old.Active {
				return &model.ConflictError{Message: "该组织已停用，不能报到"}
			}
			return &model.ConflictError{Message: "该单位已经报到过"}
		}
		if err := tx.organizationEvent(ctx, sc, id, old.Path, "reported", d.Format(time.DateOnly)); err != nil {
			return err
		}
		o, err = tx.organization(ctx, sc, id)
		return err
	})
	return o, err
}

// SetOrganizationActive deactivates (active false) or reactivates an organization; it is never
// deleted. reason is required to deactivate. An organization already in that state is a
// *model.ConflictError (conditional UPDATE). A partner account of a deactivated organization
// keeps its login but sees the organization as inactive.
func (s *Store) SetOrganizationActive(ctx context.Context, sc authz.Scope, id int64, active bool, reason string) (*model.Organization, error) {
	reason = strings.TrimSpace(reason)
	if !active && reason == "" {
		return nil, fieldErr("reason", "请说明停用原因")
	}
	if len([]rune(reason)) > 200 {
		return nil, fieldErr("reason", "原因不能超过200个字")
	}
	from, to, action := "active", "inactive", "deactivated"
	if active {
		from, to, action = "inactive", "active", "reactivated"
	}
	var o *model.Organization
	err := s.Tx(ctx, func(tx *Tx) error {
		old, err := tx.organization(ctx, sc, id)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE organizations SET status = ?, updated_at = ? WHERE id = ? AND status = ?`, to, now(), id, from)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if active {
				return &model.ConflictError{Message: "该组织没有停用"}
			}
			return &model.ConflictError{Message: "该组织已经停用"}
		}
		if err := tx.organizationEvent(ctx, sc, id, old.Path, action, reason); err != nil {
			return err
		}
		o, err = tx.organization(ctx, sc, id)
		return err
	})
	return o, err
}

// OrganizationEvents returns an organization's history, newest first.
func (s *Store) OrganizationEvents(ctx context.Context, sc authz.Scope, id int64) ([]model.OrganizationEvent, error) {
	c := s.reader()
	if _, err := c.organization(ctx, sc, id); err != nil {
		return nil, err
	}
	return queryAll(ctx, c, `SELECT id, action, detail, at FROM organization_events WHERE organization_id = ? ORDER BY id DESC LIMIT 200`, []any{id},
		func(r rowScanner) (model.OrganizationEvent, error) {
			var e model.OrganizationEvent
			err := r.Scan(&e.ID, &e.Action, &e.Detail, &e.At)
			return e, err
		})
}

// organizationEvent records one entry of the organization's history and its audit record
// ("organization.<action>", at the organization's path).
func (tx *Tx) organizationEvent(ctx context.Context, sc authz.Scope, id int64, path, action, detail string) error {
	var actor any
	if sc.UserID != 0 {
		actor = sc.UserID
	}
	if _, err := tx.exec(ctx, `INSERT INTO organization_events (organization_id, action, detail, actor_id, at) VALUES (?, ?, ?, ?, ?)`,
		id, action, detail, actor, now()); err != nil {
		return err
	}
	auditDetail := ""
	if action != "joined" && action != "left" { // who joined is a resident: no personal value in the audit log
		auditDetail = detail
	}
	tx.auditAt(sc, path, "organization."+action, "organization", []int64{id}, auditDetail)
	return nil
}

// Joining volunteer teams. A resident or member account linked to a resident record joins a
// joinable, active volunteer team or mutual-aid group of its own scope, and leaves it again.

// ErrNotLinkedToResident is returned to an account without a linked resident record.
var ErrNotLinkedToResident = &model.ConflictError{Message: "您的账号还没有关联居民信息，请联系社区工作人员"}

// JoinableTeams lists the active volunteer teams residents may join in sc's subtree, with
// joined set for those the account's resident belongs to.
func (s *Store) JoinableTeams(ctx context.Context, sc authz.Scope) (teams []*model.Organization, joined map[int64]bool, err error) {
	if sc.Path == "" && !sc.All {
		return nil, nil, nil
	}
	c := s.reader()
	lo, hi := authz.PathRange(sc.Path)
	teams, err = queryAll(ctx, c, `SELECT `+organizationColumns+organizationFrom+` WHERE o.path >= ? AND o.path < ? AND o.joinable = ? AND o.status = 'active'
		ORDER BY o.path, o.id LIMIT 200`, []any{lo, hi, true}, scanOrganization)
	if err != nil {
		return nil, nil, err
	}
	rid, err := c.linkedResident(ctx, sc.UserID)
	if err != nil || rid == 0 {
		return teams, map[int64]bool{}, err
	}
	ids, err := queryAll(ctx, c, `SELECT organization_id FROM organization_members WHERE resident_id = ?`, []any{rid},
		func(r rowScanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		})
	joined = map[int64]bool{}
	for _, id := range ids {
		joined[id] = true
	}
	return teams, joined, err
}

// JoinTeam adds the account's linked resident to the team id: it must be an active, joinable
// team in the account's scope (model.ErrNotFound otherwise). Joining twice is a
// *model.ConflictError (the primary key decides).
func (s *Store) JoinTeam(ctx context.Context, sc authz.Scope, id int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		rid, o, err := tx.teamFor(ctx, sc, id)
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO organization_members (organization_id, resident_id, joined_at) VALUES (?, ?, ?)`, id, rid, now())
		if isConflict(err) {
			return &model.ConflictError{Message: "您已经加入了该组织"}
		} else if err != nil {
			return err
		}
		return tx.organizationEvent(ctx, sc, id, o.Path, "joined", "resident "+strconv.FormatInt(rid, 10))
	})
}

// LeaveTeam removes the account's linked resident from the team id; not a member is a
// *model.ConflictError.
func (s *Store) LeaveTeam(ctx context.Context, sc authz.Scope, id int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		rid, err := tx.linkedResident(ctx, sc.UserID)
		if err != nil {
			return err
		}
		if rid == 0 {
			return ErrNotLinkedToResident
		}
		o, err := tx.organization(ctx, sc, id)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `DELETE FROM organization_members WHERE organization_id = ? AND resident_id = ?`, id, rid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "您没有加入该组织"}
		}
		return tx.organizationEvent(ctx, sc, id, o.Path, "left", "resident "+strconv.FormatInt(rid, 10))
	})
}

func (tx *Tx) teamFor(ctx context.Context, sc authz.Scope, id int64) (int64, *model.Organization, error) {
	rid, err := tx.linkedResident(ctx, sc.UserID)
	if err != nil {
		return 0, nil, err
	}
	if rid == 0 {
		return 0, nil, ErrNotLinkedToResident
	}
	o, err := tx.organization(ctx, sc, id)
	if err != nil {
		return 0, nil, err
	}
	if !o.Joinable || !o.Active {
		return 0, nil, model.ErrNotFound
	}
	return rid, o, nil
}

// AddTeamMember adds a resident to a joinable team on staff's behalf (the demo and staff pages);
// both must lie in sc. Already a member is a *model.ConflictError.
func (s *Store) AddTeamMember(ctx context.Context, sc authz.Scope, id, residentID int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		o, err := tx.organization(ctx, sc, id)
		if err != nil {
			return err
		}
		if !o.Joinable {
			return fieldErr("organization_id", "该组织不接受居民加入")
		}
		if _, err := tx.resident(ctx, sc, residentID); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO organization_members (organization_id, resident_id, joined_at) VALUES (?, ?, ?)`, id, residentID, now())
		if isConflict(err) {
			return &model.ConflictError{Message: "该居民已经加入了该组织"}
		} else if err != nil {
			return err
		}
		return tx.organizationEvent(ctx, sc, id, o.Path, "joined", "resident "+strconv.FormatInt(residentID, 10))
	})
}

// TeamMember is a resident who joined a team, as staff see the list.
type TeamMember struct {
	ResidentID int64
	Name       string
	JoinedAt   time.Time
}

// TeamMembers lists the residents who joined the organization id (staff in scope), by name.
func (s *Store) TeamMembers(ctx context.Context, sc authz.Scope, id int64) ([]TeamMember, error) {
	if sc.Role == model.RolePartner {
		return nil, nil // residents' names are not the partner's to read
	}
	c := s.reader()
	if _, err := c.organization(ctx, sc, id); err != nil {
		return nil, err
	}
	lo, hi := authz.PathRange(sc.Path)
	if sc.All {
		lo, hi = authz.PathRange("")
	}
	return queryAll(ctx, c, `SELECT r.id, r.name, m.joined_at FROM organization_members m JOIN residents r ON r.id = m.resident_id
		WHERE m.organization_id = ? AND r.path >= ? AND r.path < ? ORDER BY m.joined_at, r.id LIMIT 500`, []any{id, lo, hi},
		func(r rowScanner) (TeamMember, error) {
			var m TeamMember
			err := r.Scan(&m.ResidentID, &m.Name, &m.JoinedAt)
			return m, err
		})
}
