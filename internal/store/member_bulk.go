package store

import (
	"fmt"
	"time"

	"gongzhi/internal/model"
)

// BulkMember is one member for Bulk.AddMember: the roster entry, the declared income and the
// dues payments of the member. Rows are trusted as Bulk's are (the demo generates them valid),
// but the entry still passes model.MemberInput.Validate and its org must be one a member may
// belong to; a resident already on a roster fails the whole Bulk on the unique index.
type BulkMember struct {
	In          model.MemberInput // Name, Gender and BirthDate as the resident record has them
	Declared    bool              // an income was declared (registered members)
	IncomeFen   int64
	Subsistence bool
	Payments    []BulkPayment
	ID          int64 // set by AddMember
}

// BulkPayment is one month's dues payment of a BulkMember.
type BulkPayment struct {
	Month     string // YYYY-MM
	AmountFen int64
	PaidOn    time.Time
	PaidBy    string
}

// memberBulk is what a Bulk keeps of the members it adds.
type memberBulk struct {
	next     int64 // the next member id, 0 until the first AddMember
	first    int64
	orgs     map[int64]*memberOrgRef
	payments int64
}

var (
	memberBulkColumns = []string{"id", "list", "resident_id", "name", "gender", "birth_date", "education", "org_id", "path", "community_id", "status",
		"joined_on", "full_on", "category", "mobility", "reporting_kind", "home_org", "workplace", "service_post", "reported_on",
		"income", "subsistence", "dues_fen", "income_declared_on", "created_at", "updated_at"}
	memberBulkEventColumns   = []string{"member_id", "action", "detail", "actor_id", "at"}
	memberBulkPaymentColumns = []string{"member_id", "org_id", "path", "community_id", "month", "amount_fen", "paid_on", "paid_by", "recorded_by", "note", "created_at"}
)

// memberBulkOrg returns the org a bulk member is to belong to (read once per org).
func (b *Bulk) memberBulkOrg(id int64) (*memberOrgRef, error) {
	if o, ok := b.mem.orgs[id]; ok {
		return o, nil
	}
	if err := b.sync(); err != nil {
		return nil, err
	}
	o, err := b.tx.memberOrgRef(b.ctx, id)
	if err != nil {
		return nil, fmt.Errorf("party org %d: %w", id, err)
	}
	if o.Status != "active" || !contains(memberOrgKinds, o.Kind) {
		return nil, fieldErr("org_id", fmt.Sprintf("党组织 %s 不能直接登记党员（应为现有的社区党委、网格党支部或党小组）", o.Name))
	}
	b.mem.orgs[id] = o
	return o, nil
}

// AddMember puts m on the roster of its org, with its declared income (sealed), its monthly dues
// by the published rates and its payments, and sets m.ID. As CreateMember does, the linked
// resident's political status is made to agree with the roster and the org's maintained count
// of registered members grows, but once for the whole Bulk (in finish), not per member.
func (b *Bulk) AddMember(m *BulkMember) error {
	in := &m.In
	if err := in.Validate(time.Now()); err != nil {
		return fmt.Errorf("member %q: %w", in.Name, err)
	}
	org, err := b.memberBulkOrg(in.OrgID)
	if err != nil {
		return err
	}
	if b.mem.next == 0 {
		if err := b.sync(); err != nil {
			return err
		}
		if err := b.tx.s.d.lockMembersForBulk(b.ctx, b.tx.conn); err != nil {
			return err
		}
		if err := b.tx.queryRow(b.ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM party_members`, nil, &b.mem.next); err != nil {
			return err
		}
		b.mem.first = b.mem.next
	}
	m.ID = b.mem.next
	b.mem.next++
	var resident, community, actor any
	if in.ResidentID != 0 {
		resident = in.ResidentID
	}
	if org.CommunityID.Valid {
		community = org.CommunityID.Int64
	}
	if b.audit.UserID != 0 {
		actor = b.audit.UserID
	}
	var sealed string
	var dues int64
	var declared any
	if m.Declared {
		if b.tx.keys == nil {
			return fmt.Errorf("store: no keys to seal the declared income")
		}
		if m.IncomeFen < 0 {
			return fieldErr("income", "收入不能为负数")
		}
		if sealed, err = b.tx.keys.Seal(ColumnIncome, fmt.Sprint(m.IncomeFen)); err != nil {
			return err
		}
		dues = model.MonthlyDues(in.Category, m.IncomeFen, m.Subsistence)
		declared = dateOf(b.ts)
	}
	if err := b.add("party_members", memberBulkColumns, m.ID, string(in.List), resident, in.Name, string(in.Gender), dateArg(in.BirthDate),
		string(in.Education), org.ID, org.Path, community, string(in.Status), dateArg(in.JoinedOn), dateArg(in.FullOn), string(in.Category),
		string(in.Mobility), string(in.ReportingKind), in.HomeOrg, in.Workplace, in.ServicePost, dateArg(in.ReportedOn),
		sealed, m.Subsistence, dues, declared, b.ts, b.ts); err != nil {
		return err
	}
	if err := b.add("party_member_events", memberBulkEventColumns, m.ID, "created", in.List.Label()+"，"+org.Name+"，"+in.Status.Label(), actor, b.ts); err != nil {
		return err
	}
	if m.Declared {
		if err := b.add("party_member_events", memberBulkEventColumns, m.ID, "income_declared", "申报收入，按标准核定月缴党费", actor, b.ts); err != nil {
			return err
		}
	}
	for _, p := range m.Payments {
		if p.AmountFen <= 0 {
			return fieldErr("amount", "金额应大于0")
		}
		b.mem.payments++
		if err := b.add("party_dues_payments", memberBulkPaymentColumns, m.ID, org.ID, org.Path, community, p.Month, p.AmountFen,
			dateOf(p.PaidOn), p.PaidBy, actor, "", b.ts); err != nil {
			return err
		}
	}
	return nil
}

// memberBulkFinish runs in finish when members were added: the residents' political status
// follows the roster (with the household's history entry, as syncResidentStatus writes it) and
// the orgs' maintained counts of registered members, each in one statement for the whole Bulk.
func (b *Bulk) memberBulkFinish() error {
	if b.mem.next == 0 {
		return nil
	}
	var actor any
	if b.audit.UserID != 0 {
		actor = b.audit.UserID
	}
	const want = `CASE m.status WHEN 'full' THEN 'party_member' ELSE 'probationary' END`
	if _, err := b.tx.exec(b.ctx, `INSERT INTO household_events (household_id, action, detail, actor_id, at)
		SELECT r.household_id, 'member_updated', r.name || '：政治面貌（随党员名册）', ?, ?
		FROM party_members m JOIN residents r ON r.id = m.resident_id
		WHERE m.id >= ? AND r.political_status <> `+want+` ORDER BY m.id`, actor, b.ts, b.mem.first); err != nil {
		return err
	}
	if _, err := b.tx.exec(b.ctx, `UPDATE residents SET political_status = `+want+`, updated_at = ?
		FROM party_members m WHERE m.resident_id = residents.id AND m.id >= ? AND residents.political_status <> `+want, b.ts, b.mem.first); err != nil {
		return err
	}
	if _, err := b.tx.exec(b.ctx, `UPDATE party_orgs SET members = members +
			(SELECT COUNT(*) FROM party_members m WHERE m.org_id = party_orgs.id AND m.id >= ? AND m.list = 'registered')
		WHERE id IN (SELECT org_id FROM party_members WHERE id >= ? AND list = 'registered')`, b.mem.first, b.mem.first); err != nil {
		return err
	}
	if err := b.tx.memberCountsApply(b.ctx, 1, "id >= ?", b.mem.first); err != nil {
		return err
	}
	b.tx.audit(b.audit, "party_member.bulk", "", nil, fmt.Sprintf("members=%d payments=%d", b.mem.next-b.mem.first, b.mem.payments))
	return nil
}
