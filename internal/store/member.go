package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Members (issue 8 item 3). A member belongs to exactly one org (party_members.org_id): on the
// registered list that is a community committee (members attached to it directly, where the
// community has no grid branches yet), a grid branch or a building group — never a street
// committee, which has no members of its own, nor a functional group, which members join in
// addition (party_org_members). Scope follows the org: path and community_id are the org's.
// A member who lives here is linked to the resident record, and the resident's political status
// follows the roster in the same transaction (probationary → 预备党员, full → 中共党员).

const memberColumns = `m.id, m.list, m.resident_id, m.name, m.gender, m.birth_date, m.education, m.org_id, COALESCE(o.name, ''), m.community_id,
	m.status, m.joined_on, m.full_on, m.category, m.mobility, m.reporting_kind, m.home_org, m.workplace, m.service_post, m.reported_on,
	m.user_id, m.left_on, m.left_reason, m.created_at, m.updated_at, m.path`

const memberFrom = ` FROM party_members m LEFT JOIN party_orgs o ON o.id = m.org_id`

// memberRow is a member with the path it is scoped by.
type memberRow struct {
	m    *model.Member
	path string
}

func scanMember(rs rowScanner) (memberRow, error) {
	var m model.Member
	var path string
	var resident, community, user sql.NullInt64
	var birth, joined, full, reported, left sql.NullTime
	err := rs.Scan(&m.ID, &m.List, &resident, &m.Name, &m.Gender, &birth, &m.Education, &m.OrgID, &m.OrgName, &community,
		&m.Status, &joined, &full, &m.Category, &m.Mobility, &m.ReportingKind, &m.HomeOrg, &m.Workplace, &m.ServicePost, &reported,
		&user, &left, &m.LeftReason, &m.CreatedAt, &m.UpdatedAt, &path)
	if err != nil {
		return memberRow{}, err
	}
	m.ResidentID, m.CommunityID, m.UserID = resident.Int64, community.Int64, user.Int64
	m.BirthDate, m.JoinedOn, m.FullOn, m.ReportedOn, m.LeftOn = birth.Time, joined.Time, full.Time, reported.Time, left.Time
	return memberRow{m: &m, path: path}, nil
}

// memberOrgRef is what the member code needs of an org.
type memberOrgRef struct {
	ID          int64
	Kind        string
	Status      string
	Name        string
	Path        string
	CommunityID sql.NullInt64
}

func (c conn) memberOrgRef(ctx context.Context, id int64) (*memberOrgRef, error) {
	return queryOne(ctx, c, `SELECT id, kind, status, name, path, community_id FROM party_orgs WHERE id = ?`, []any{id},
		func(rs rowScanner) (*memberOrgRef, error) {
			var o memberOrgRef
			return &o, rs.Scan(&o.ID, &o.Kind, &o.Status, &o.Name, &o.Path, &o.CommunityID)
		})
}

// memberOrgKinds are the kinds of org a member's one org may be.
var memberOrgKinds = []string{"community_committee", "grid_branch", "building_group"}

// orgSubtree is the subquery of the ids of the orgs under (and including) the orgs the inner
// query selects, following parent_id: functional groups and building groups lie under the
// branch that manages them.
func orgSubtree(inner string) string {
	return `(WITH RECURSIVE sub(id) AS (` + inner + ` UNION SELECT o.id FROM party_orgs o JOIN sub ON o.parent_id = sub.id) SELECT id FROM sub)`
}

// managedOrgs is the subquery of the orgs whose current secretary or deputy secretary is the
// account ? (by the post's user_id or through the member the post names), with the orgs under
// them. Each side is an index read (party_posts_user; party_members_user, then
// party_posts_member): a join of every post to its member, as it was, scanned all the posts of
// the city for every order a resident placed, and an OR of the two scanned them on PostgreSQL.
const managedOrgsInner = `SELECT org_id FROM (
	SELECT p.org_id FROM party_posts p
		WHERE p.user_id = ? AND p.post IN ('secretary', 'deputy_secretary') AND p.ended_at IS NULL
	UNION ALL
	SELECT p.org_id FROM party_members pm JOIN party_posts p ON p.member_id = pm.id
		WHERE pm.user_id = ? AND p.post IN ('secretary', 'deputy_secretary') AND p.ended_at IS NULL) managed`

// staffManager reports whether sc's role manages party members by territory: the administrators
// and community staff (authz's staff group), within their scope.
func staffManager(sc authz.Scope) bool {
	switch sc.Role {
	case model.RoleSystemAdmin, model.RoleDistrictAdmin, model.RoleStreetAdmin, model.RoleCommunityAdmin, model.RoleCommunityStaff:
		return true
	}
	return sc.All
}

// ManagesOrg reports whether sc manages the members (and meetings) of org orgID: staff whose
// scope holds the org, or the current secretary or deputy secretary of the org or of an org
// above it (a post, whatever the account's role, and wherever the account's own scope lies). An
// org that does not exist is model.ErrNotFound; one not managed is false, not an error.
func (s *Store) ManagesOrg(ctx context.Context, sc authz.Scope, orgID int64) (bool, error) {
	return s.reader().managesOrg(ctx, sc, orgID)
}

func (c conn) managesOrg(ctx context.Context, sc authz.Scope, orgID int64) (bool, error) {
	o, err := c.memberOrgRef(ctx, orgID)
	if err != nil {
		return false, err
	}
	if staffManager(sc) {
		return sc.Contains(o.Path), nil
	}
	// A post is held wherever its org lies: a branch secretary's own account is scoped to where
	// they live (a stairwell), the branch to the grid above it.
	if sc.UserID == 0 {
		return false, nil
	}
	var n int64
	err = c.queryRow(ctx, `SELECT COUNT(*) FROM party_orgs WHERE id = ? AND id IN `+orgSubtree(managedOrgsInner), []any{orgID, sc.UserID, sc.UserID}, &n)
	return n > 0, err
}

// memberAccess is the filter on party_members m that sc may read: staff and grid leaders by
// territory (a grid leader's scope is the grid, so the grid branch and its groups); a member by
// the orgs it manages through a post, and its own record; nobody else anything.
func memberAccess(sc authz.Scope) (filter, bool) {
	var f filter
	if sc.All {
		return f, true
	}
	if sc.Path == "" {
		return f, false
	}
	lo, hi := authz.PathRange(sc.Path)
	switch {
	case staffManager(sc), sc.Role == model.RoleGridLeader:
		f.add("m.path >= ? AND m.path < ?", lo, hi)
		return f, true
	case sc.Role == model.RoleMember:
		// Its own record, and the members of the orgs it manages by post wherever they lie.
		f.add("(m.user_id = ? OR m.org_id IN "+orgSubtree(managedOrgsInner)+")", sc.UserID, sc.UserID, sc.UserID)
		return f, true
	}
	return f, false
}

// Member returns the member with id, or model.ErrNotFound when it does not exist or sc may not
// read it.
func (s *Store) Member(ctx context.Context, sc authz.Scope, id int64) (*model.Member, error) {
	return s.reader().member(ctx, sc, id)
}

func (c conn) member(ctx context.Context, sc authz.Scope, id int64) (*model.Member, error) {
	f, ok := memberAccess(sc)
	if !ok {
		return nil, model.ErrNotFound
	}
	f.add("m.id = ?", id)
	r, err := queryOne(ctx, c, `SELECT `+memberColumns+memberFrom+` WHERE `+f.sql(), f.args, scanMember)
	return r.m, err
}

// MemberFilter selects members. Under is a territory subtree (0: the whole scope); OrgID an org
// and every org under it.
type MemberFilter struct {
	Under    int64
	OrgID    int64
	List     model.MemberList // "" = registered
	Status   model.MemberStatus
	Category model.MemberCategory
	Mobility model.Mobility
	Reported string // reporting list: "yes" reported, "no" not yet, "" both
	Q        string // name contains
	Former   bool   // members who left instead of current ones
	Limit    int
	Cursor   string
}

// Members lists the members sc may read matching f, ordered by (path, id), with the total. An
// unknown enumeration value is a *model.ValidationError naming the field.
func (s *Store) Members(ctx context.Context, sc authz.Scope, f MemberFilter) (*Page[*model.Member], error) {
	return s.reader().members(ctx, sc, f)
}

func (c conn) members(ctx context.Context, sc authz.Scope, f MemberFilter) (*Page[*model.Member], error) {
	var v model.ValidationError
	if f.List == "" {
		f.List = model.ListRegistered
	}
	if f.List.Label() == "" {
		v.Add("list", "list 应为 registered 或 reporting")
	}
	if f.Status != "" && f.Status.Label() == "" {
		v.Add("status", "status 应为 probationary 或 full")
	}
	if f.Category != "" && f.Category.Label() == "" {
		v.Add("category", "category 应为 in_work、retired、unemployed、student 或 other")
	}
	if f.Mobility != "" && f.Mobility.Label() == "" {
		v.Add("mobility", "mobility 应为 none 或 outflow")
	}
	if f.Reported != "" && f.Reported != "yes" && f.Reported != "no" {
		v.Add("reported", "reported 应为 yes 或 no")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	w, ok := memberAccess(sc)
	if !ok {
		return &Page[*model.Member]{}, nil
	}
	if f.Under != 0 {
		t, err := c.territory(ctx, sc, f.Under)
		if err != nil {
			return nil, err
		}
		lo, hi := authz.PathRange(t.Path)
		w.add("m.path >= ? AND m.path < ?", lo, hi)
	}
	if f.OrgID != 0 {
		// The org's subtree as a list of ids read first: given the recursive query inline, the
		// PostgreSQL planner guessed hundreds of orgs and walked the whole roster in path order
		// for a branch's first page (23 ms at 100,000 households, growing with the city).
		ids, err := c.memberOrgSubtreeIDs(ctx, f.OrgID)
		if err != nil {
			return nil, err
		}
		if len(ids) > memberOrgListMax {
			w.add("m.org_id IN "+orgSubtree(`SELECT id FROM party_orgs WHERE id = ?`), f.OrgID)
		} else {
			args := make([]any, len(ids))
			for i, id := range ids {
				args[i] = id
			}
			w.add("m.org_id IN ("+inList(len(ids))+")", args...)
		}
	}
	w.add("m.list = ?", string(f.List))
	if f.Former {
		w.add("m.left_on IS NOT NULL")
	} else {
		w.add("m.left_on IS NULL")
	}
	if f.Status != "" {
		w.add("m.status = ?", string(f.Status))
	}
	if f.Category != "" {
		w.add("m.category = ?", string(f.Category))
	}
	if f.Mobility != "" {
		w.add("m.mobility = ?", string(f.Mobility))
	}
	switch f.Reported {
	case "yes":
		w.add("m.reported_on IS NOT NULL")
	case "no":
		w.add("m.reported_on IS NULL")
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		w.add("m.name LIKE ? ESCAPE '\\'", "%"+escapeLike(q)+"%")
	}
	count := w.clone()
	if cur.key != "" {
		w.add("(m.path > ? OR (m.path = ? AND m.id > ?))", cur.key, cur.key, cur.id)
	}
	page, err := fetchPage(ctx, c, `SELECT `+memberColumns+memberFrom+` WHERE `+w.sql()+` ORDER BY m.path, m.id`, w.args, clampLimit(f.Limit),
		func(rs rowScanner) (*model.Member, cursor, error) {
			r, err := scanMember(rs)
			if err != nil {
				return nil, cursor{}, err
			}
			return r.m, cursor{key: r.path, id: r.m.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	err = c.queryRow(ctx, `SELECT COUNT(*) FROM party_members m WHERE `+count.sql(), count.args, &page.Total)
	return page, err
}

// CreateMember puts a member on the registered or reporting list of an org sc manages
// (ManagesOrg). Bad fields, an org that is not a committee, branch or group, a resident outside
// the scope and a resident already on the roster (a member in two branches at once) are
// reported together in one *model.ValidationError and nothing is written. With a resident, the
// resident's political status is set to agree in the same transaction; a registered member
// counts in the org's members.
func (s *Store) CreateMember(ctx context.Context, sc authz.Scope, in model.MemberInput) (*model.Member, error) {
	var m *model.Member
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		m, err = tx.CreateMember(ctx, sc, in)
		return err
	})
	return m, err
}

// CreateMember is Store.CreateMember inside tx (the member import runs many in one).
func (tx *Tx) CreateMember(ctx context.Context, sc authz.Scope, in model.MemberInput) (*model.Member, error) {
	v := validation(in.Validate(time.Now()))
	var org *memberOrgRef
	if in.OrgID > 0 {
		o, err := tx.memberOrg(ctx, sc, in.OrgID, v)
		if err != nil {
			return nil, err
		}
		org = o
	}
	var res *residentRef
	if in.ResidentID != 0 {
		r, err := tx.residentRef(ctx, sc, in.ResidentID)
		switch {
		case errors.Is(err, model.ErrNotFound):
			v.Add("resident_id", "居民不存在或不在您的管辖范围内")
		case err != nil:
			return nil, err
		default:
			res = r
			if err := tx.checkOnRoster(ctx, r.ID, 0, v); err != nil {
				return nil, err
			}
			in.Name, in.Gender = r.Name, r.Gender
			if !r.Birth.IsZero() {
				in.BirthDate = r.Birth.Format(time.DateOnly)
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	ts := now()
	var residentID, community any
	if res != nil {
		residentID = res.ID
	}
	if org.CommunityID.Valid {
		community = org.CommunityID.Int64
	}
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO party_members (list, resident_id, name, gender, birth_date, education, org_id, path, community_id, status,
		joined_on, full_on, category, mobility, reporting_kind, home_org, workplace, service_post, reported_on, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		[]any{string(in.List), residentID, in.Name, string(in.Gender), dateArg(in.BirthDate), string(in.Education), org.ID, org.Path, community,
			string(in.Status), dateArg(in.JoinedOn), dateArg(in.FullOn), string(in.Category), string(in.Mobility), string(in.ReportingKind),
			in.HomeOrg, in.Workplace, in.ServicePost, dateArg(in.ReportedOn), ts, ts}, &id)
	if isConflict(err) {
		// A writer beside us put the same resident on the roster after the check.
		return nil, fieldErr("resident_id", "该居民已在党员名册中，一名党员只能属于一个党支部或党小组")
	} else if err != nil {
		return nil, err
	}
	if res != nil {
		if err := tx.syncResidentStatus(ctx, sc, res, in.Status); err != nil {
			return nil, err
		}
	}
	// The counts before the org's row, as every other member write takes them (a transfer: the
	// counts, then the orgs): the other order deadlocked a creation against a transfer in the
	// same org on PostgreSQL (the matrix's fixture, 2026-12-02).
	if err := tx.memberCountsApply(ctx, 1, "id = ?", id); err != nil {
		return nil, err
	}
	if in.List == model.ListRegistered {
		if err := tx.adjustOrgMembers(ctx, org.ID, 1); err != nil {
			return nil, err
		}
	}
	detail := in.List.Label() + "，" + org.Name + "，" + in.Status.Label()
	if err := tx.memberEvent(ctx, sc, id, "created", detail); err != nil {
		return nil, err
	}
	tx.audit(sc, "party_member.create", "party_member", []int64{id}, "")
	return tx.member(ctx, authz.System(), id)
}

// memberOrg reads the org a member is to belong to, adding to v when it is missing, outside
// sc's management, not active, or of a kind that has no members of its own.
func (tx *Tx) memberOrg(ctx context.Context, sc authz.Scope, id int64, v *model.ValidationError) (*memberOrgRef, error) {
	o, err := tx.memberOrgRef(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		v.Add("org_id", "党组织不存在或不在您的管辖范围内")
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	manages, err := tx.managesOrg(ctx, sc, id)
	switch {
	case err != nil:
		return nil, err
	case !manages:
		v.Add("org_id", "党组织不存在或不在您的管辖范围内")
		return nil, nil
	case o.Status != "active":
		v.Add("org_id", "该党组织已撤销或合并，请选择现有的党组织")
	case o.Kind == "functional_group":
		v.Add("org_id", "功能型党组织是党员在所属支部之外另行参加的，请先选择所属党支部或党小组")
	case !contains(memberOrgKinds, o.Kind):
		v.Add("org_id", "街道大工委不直接管理党员，请选择社区党委、网格党支部或党小组")
	}
	return o, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// residentRef is what the roster takes from a resident record.
type residentRef struct {
	ID          int64
	HouseholdID int64
	Name        string
	Gender      model.Gender
	Birth       time.Time
	Status      model.PoliticalStatus
}

// residentRef reads a resident in sc's territory (whatever the role may see of it: the roster
// keeps the record's name, gender and birth date, not the caller's view of them).
func (c conn) residentRef(ctx context.Context, sc authz.Scope, id int64) (*residentRef, error) {
	type row struct {
		r    residentRef
		path string
	}
	x, err := scopedOne(ctx, c, sc, `SELECT id, household_id, name, gender, birth_date, political_status, path FROM residents WHERE id = ?`, []any{id},
		func(rs rowScanner) (row, error) {
			var x row
			var birth sql.NullTime
			err := rs.Scan(&x.r.ID, &x.r.HouseholdID, &x.r.Name, &x.r.Gender, &birth, &x.r.Status, &x.path)
			x.r.Birth = birth.Time
			return x, err
		}, func(x row) string { return x.path })
	if err != nil {
		return nil, err
	}
	return &x.r, nil
}

// checkOnRoster adds to v when resident is already a current member (other than member except).
func (c conn) checkOnRoster(ctx context.Context, resident, except int64, v *model.ValidationError) error {
	type held struct {
		list model.MemberList
		org  string
	}
	h, err := queryOne(ctx, c, `SELECT m.list, COALESCE(o.name, '') FROM party_members m LEFT JOIN party_orgs o ON o.id = m.org_id
		WHERE m.resident_id = ? AND m.left_on IS NULL AND m.id <> ?`, []any{resident, except},
		func(rs rowScanner) (held, error) {
			var h held
			return h, rs.Scan(&h.list, &h.org)
		})
	switch {
	case errors.Is(err, model.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	v.Add("resident_id", "该居民已在党员名册中（"+h.org+"，"+h.list.Label()+"）：一名党员只能属于一个党支部或党小组，调整请办理组织关系转接")
	return nil
}

// syncResidentStatus makes the resident record's political status agree with the roster.
func (tx *Tx) syncResidentStatus(ctx context.Context, sc authz.Scope, r *residentRef, status model.MemberStatus) error {
	want := status.PoliticalStatus()
	if r.Status == want {
		return nil
	}
	if _, err := tx.exec(ctx, `UPDATE residents SET political_status = ?, updated_at = ? WHERE id = ?`, string(want), now(), r.ID); err != nil {
		return err
	}
	// The household history is read by roles that may not see party status: it says only that
	// the record changed.
	if err := tx.householdEvent(ctx, sc, r.HouseholdID, "member_updated", r.Name+"：政治面貌（随党员名册）"); err != nil {
		return err
	}
	tx.audit(sc, "resident.update", "resident", []int64{r.ID}, "fields=political_status")
	return nil
}

// adjustOrgMembers adds delta to the org's maintained count of registered members.
func (tx *Tx) adjustOrgMembers(ctx context.Context, orgID int64, delta int) error {
	_, err := tx.exec(ctx, `UPDATE party_orgs SET members = members + ? WHERE id = ?`, delta, orgID)
	return err
}

// memberEvent records one entry of a member's history.
func (tx *Tx) memberEvent(ctx context.Context, sc authz.Scope, id int64, action, detail string) error {
	var actor any
	if sc.UserID != 0 {
		actor = sc.UserID
	}
	_, err := tx.exec(ctx, `INSERT INTO party_member_events (member_id, action, detail, actor_id, at) VALUES (?, ?, ?, ?, ?)`,
		id, action, detail, actor, now())
	return err
}

// memberToManage reads a member sc may change: one of an org sc manages. Anything else is
// model.ErrNotFound when sc may not even read it, model.ErrForbidden when it may only read it
// (a grid leader, a member's own record).
func (tx *Tx) memberToManage(ctx context.Context, sc authz.Scope, id int64) (*model.Member, error) {
	m, err := tx.member(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	ok, err := tx.managesOrg(ctx, sc, m.OrgID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &model.ForbiddenError{Message: "只有社区工作人员或该支部书记、副书记可以变更党员信息"}
	}
	if !m.Current() {
		return nil, &model.ConflictError{Message: "该党员已不在名册中，不能再变更"}
	}
	return m, nil
}

// UpdateMember applies p to the member with id in one transaction, validated as a whole, with a
// history entry naming the changed fields. The org changes only by a transfer, the status only
// by ConvertMember.
func (s *Store) UpdateMember(ctx context.Context, sc authz.Scope, id int64, p model.MemberPatch) (*model.Member, error) {
	var m *model.Member
	err := s.Tx(ctx, func(tx *Tx) error {
		old, err := tx.memberToManage(ctx, sc, id)
		if err != nil {
			return err
		}
		in := old.Input()
		p.Apply(&in)
		if err := in.Validate(time.Now()); err != nil {
			return err
		}
		ts := now()
		if err := tx.memberCountsApply(ctx, -1, "id = ?", id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE party_members SET name = ?, education = ?, category = ?, mobility = ?, home_org = ?, workplace = ?,
			service_post = ?, reported_on = ?, updated_at = ? WHERE id = ?`,
			in.Name, string(in.Education), string(in.Category), string(in.Mobility), in.HomeOrg, in.Workplace, in.ServicePost,
			dateArg(in.ReportedOn), ts, id); err != nil {
			return err
		}
		if err := tx.memberCountsApply(ctx, 1, "id = ?", id); err != nil {
			return err
		}
		if in.Category != old.Category {
			if err := tx.recomputeDues(ctx, id, in.Category); err != nil {
				return err
			}
		}
		if err := tx.memberEvent(ctx, sc, id, "updated", memberChanges(old, in)); err != nil {
			return err
		}
		tx.audit(sc, "party_member.update", "party_member", []int64{id}, "")
		m, err = tx.member(ctx, sc, id)
		return err
	})
	return m, err
}

func memberChanges(old *model.Member, in model.MemberInput) string {
	var out []string
	add := func(changed bool, s string) {
		if changed {
			out = append(out, s)
		}
	}
	add(in.Name != old.Name, "姓名 "+old.Name+" → "+in.Name)
	add(in.Education != old.Education, "学历 "+old.Education.Label()+" → "+in.Education.Label())
	add(in.Category != old.Category, "人员类型 "+old.Category.Label()+" → "+in.Category.Label())
	add(in.Mobility != old.Mobility, "流动情况 "+old.Mobility.Label()+" → "+in.Mobility.Label())
	add(in.HomeOrg != old.HomeOrg, "组织关系所在党组织")
	add(in.Workplace != old.Workplace, "工作单位")
	add(in.ServicePost != old.ServicePost, "服务岗位 → "+in.ServicePost)
	add(in.ReportedOn != dateString(old.ReportedOn), "报到日期 → "+in.ReportedOn)
	if len(out) == 0 {
		return "无变化"
	}
	return strings.Join(out, "；")
}

func dateString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// ConvertMember makes a probationary member full (转正) on day fullOn (YYYY-MM-DD), and the linked
// resident's political status 中共党员, in one transaction. fullOn must be at least a year after
// joining and not in the future; a member already full is a *model.ConflictError (decided by a
// conditional UPDATE, so two conversions at once convert once).
func (s *Store) ConvertMember(ctx context.Context, sc authz.Scope, id int64, fullOn string) (*model.Member, error) {
	var m *model.Member
	err := s.Tx(ctx, func(tx *Tx) error {
		old, err := tx.memberToManage(ctx, sc, id)
		if err != nil {
			return err
		}
		var v model.ValidationError
		d, err := time.Parse(time.DateOnly, fullOn)
		switch {
		case err != nil:
			v.Add("full_on", "转正日期应为 YYYY-MM-DD 格式")
		case d.After(model.Today(time.Now())):
			v.Add("full_on", "转正日期不能晚于今天")
		case !old.JoinedOn.IsZero() && d.Before(old.JoinedOn.AddDate(1, 0, 0)):
			v.Add("full_on", "预备期为一年：转正日期应不早于 "+old.JoinedOn.AddDate(1, 0, 0).Format(time.DateOnly))
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := tx.memberCountsApply(ctx, -1, "id = ?", id); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE party_members SET status = 'full', full_on = ?, updated_at = ? WHERE id = ? AND status = 'probationary'`, d, now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &model.ConflictError{Message: "该党员已是正式党员"}
		}
		if err := tx.memberCountsApply(ctx, 1, "id = ?", id); err != nil {
			return err
		}
		if old.ResidentID != 0 {
			r, err := tx.residentRef(ctx, authz.System(), old.ResidentID)
			if err != nil {
				return err
			}
			if err := tx.syncResidentStatus(ctx, sc, r, model.MemberFull); err != nil {
				return err
			}
		}
		if err := tx.memberEvent(ctx, sc, id, "converted", "转为正式党员，转正日期 "+fullOn); err != nil {
			return err
		}
		tx.audit(sc, "party_member.convert", "party_member", []int64{id}, "")
		m, err = tx.member(ctx, sc, id)
		return err
	})
	return m, err
}

// MemberEvent is one entry of a member's history.
type MemberEvent struct {
	Action string
	Detail string
	At     time.Time
}

// MemberHistory returns the history of a member sc may read, oldest first; without the dues
// entries for a caller who may not read the member's dues.
func (s *Store) MemberHistory(ctx context.Context, sc authz.Scope, id int64) ([]MemberEvent, error) {
	c := s.reader()
	if _, err := c.member(ctx, sc, id); err != nil {
		return nil, err
	}
	q := `SELECT action, detail, at FROM party_member_events WHERE member_id = ?`
	if _, ok := duesAccess(sc); !ok {
		// A grid leader reads the member but not the dues: nor that they were paid or declared.
		q += ` AND action NOT IN ('income_declared', 'dues_paid')`
	}
	return queryAll(ctx, c, q+` ORDER BY id`, []any{id},
		func(rs rowScanner) (MemberEvent, error) {
			var e MemberEvent
			return e, rs.Scan(&e.Action, &e.Detail, &e.At)
		})
}

// residentOnRoster reports the status a current member linked to resident id holds, "" for none:
// the resident record's political status must agree with it.
func (c conn) residentOnRoster(ctx context.Context, id int64) (model.MemberStatus, error) {
	st, err := queryOne(ctx, c, `SELECT status FROM party_members WHERE resident_id = ? AND left_on IS NULL`, []any{id},
		func(rs rowScanner) (model.MemberStatus, error) {
			var s model.MemberStatus
			return s, rs.Scan(&s)
		})
	if errors.Is(err, model.ErrNotFound) {
		return "", nil
	}
	return st, err
}

// MyMemberRecord returns the current roster record of sc's own account (party_members.user_id):
// model.ErrNotFound when the account is linked to none.
func (s *Store) MyMemberRecord(ctx context.Context, sc authz.Scope) (*model.Member, error) {
	if sc.UserID == 0 {
		return nil, model.ErrNotFound
	}
	r, err := queryOne(ctx, s.reader(), `SELECT `+memberColumns+memberFrom+` WHERE m.user_id = ? AND m.left_on IS NULL ORDER BY m.id LIMIT 1`,
		[]any{sc.UserID}, scanMember)
	return r.m, err
}

// UnrosteredPartyResident is a resident whose record says 中共党员 or 预备党员 but who is on no
// roster, with the org that would register them: the deepest active building group or grid
// branch over where the resident lives (the group of the building or compound, else the grid's
// branch), else the community committee.
type UnrosteredPartyResident struct {
	ResidentID int64
	Name       string
	Gender     model.Gender
	Birth      time.Time
	Status     model.PoliticalStatus
	OrgID      int64
}

// UnrosteredPartyResidents lists them under the community node community (the demo registers
// them, so that the records and the roster agree), ordered by resident id. Residents without a
// branch or committee to register them are left out.
func (s *Store) UnrosteredPartyResidents(ctx context.Context, sc authz.Scope, community int64) ([]UnrosteredPartyResident, error) {
	c := s.reader()
	t, err := c.territory(ctx, sc, community)
	if err != nil {
		return nil, err
	}
	lo, hi := authz.PathRange(t.Path)
	return queryAll(ctx, c, `SELECT r.id, r.name, r.gender, r.birth_date, r.political_status,
			COALESCE((SELECT o.id FROM party_orgs o WHERE o.kind IN ('grid_branch', 'building_group') AND o.status = 'active' AND o.path >= ? AND o.path < ?
				AND r.path LIKE o.path || '%' ORDER BY LENGTH(o.path) DESC, o.id LIMIT 1),
			(SELECT MIN(o.id) FROM party_orgs o WHERE o.kind = 'community_committee' AND o.status = 'active' AND o.path = ?), 0)
		FROM residents r WHERE r.path >= ? AND r.path < ? AND r.political_status IN ('party_member', 'probationary')
			AND NOT EXISTS (SELECT 1 FROM party_members m WHERE m.resident_id = r.id AND m.left_on IS NULL)
		ORDER BY r.id`, []any{lo, hi, t.Path, lo, hi},
		func(rs rowScanner) (UnrosteredPartyResident, error) {
			var u UnrosteredPartyResident
			var birth sql.NullTime
			err := rs.Scan(&u.ResidentID, &u.Name, &u.Gender, &birth, &u.Status, &u.OrgID)
			u.Birth = birth.Time
			return u, err
		})
}

// LinkMemberAccount makes user (a member account) the account of the current roster record of
// the resident residentID, so that the member sees its own record (and, holding a post, its
// org's members). model.ErrNotFound when the resident is on no roster.
func (s *Store) LinkMemberAccount(ctx context.Context, sc authz.Scope, residentID, user int64) (*model.Member, error) {
	var m *model.Member
	err := s.Tx(ctx, func(tx *Tx) error {
		id, err := queryOne(ctx, tx.conn, `SELECT id FROM party_members WHERE resident_id = ? AND left_on IS NULL`, []any{residentID},
			func(rs rowScanner) (int64, error) {
				var id int64
				return id, rs.Scan(&id)
			})
		if err != nil {
			return err
		}
		if _, err := tx.memberToManage(ctx, sc, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE party_members SET user_id = NULL WHERE user_id = ? AND id <> ?`, user, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE party_members SET user_id = ?, updated_at = ? WHERE id = ?`, user, now(), id); err != nil {
			return err
		}
		if err := tx.memberEvent(ctx, sc, id, "account_linked", "关联登录账号"); err != nil {
			return err
		}
		tx.audit(sc, "party_member.link", "party_member", []int64{id}, "")
		m, err = tx.member(ctx, sc, id)
		return err
	})
	return m, err
}

// SetPostAccount makes user the account of the current holder of post on org (a branch
// secretary's login): store.ManagesOrg then recognizes it. model.ErrNotFound when the org has no
// such current post or sc does not manage it.
func (s *Store) SetPostAccount(ctx context.Context, sc authz.Scope, orgID int64, post string, user int64) error {
	return s.Tx(ctx, func(tx *Tx) error {
		ok, err := tx.managesOrg(ctx, sc, orgID)
		if err != nil {
			return err
		}
		if !ok {
			return model.ErrNotFound
		}
		res, err := tx.exec(ctx, `UPDATE party_posts SET user_id = ? WHERE org_id = ? AND post = ? AND ended_at IS NULL`, user, orgID, post)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return model.ErrNotFound
		}
		tx.audit(sc, "party_post.account", "user", []int64{user}, "org="+strconv.FormatInt(orgID, 10)+" post="+post)
		return nil
	})
}

// memberOrgListMax is the most orgs a member filter lists by id; a larger subtree (a street's)
// stays a subquery.
const memberOrgListMax = 500

// memberOrgSubtreeIDs are the ids of org id and the orgs under it (following parent_id), at
// least id itself.
func (c conn) memberOrgSubtreeIDs(ctx context.Context, id int64) ([]int64, error) {
	ids, err := queryAll(ctx, c, `SELECT id FROM `+orgSubtree(`SELECT id FROM party_orgs WHERE id = ?`)+` AS s`, []any{id},
		func(rs rowScanner) (int64, error) {
			var n int64
			return n, rs.Scan(&n)
		})
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		ids = []int64{id}
	}
	return ids, nil
}
