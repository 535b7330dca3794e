package store

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// Transfers of organizational relations (组织关系转接, issue 8 item 3): model/transfer.go says
// what they are. Every step is one transaction and a conditional update: a transfer is decided
// once (two acceptances at once accept once), a member has at most one open transfer (the
// unique index party_transfers_open), and the member moves only from the org the transfer
// names (a member is never in two branches: party_members has one org_id, changed only here).

// ColumnTransferKey is the column the deployment's private signing key is sealed for.
const ColumnTransferKey = "party_transfer_keys.private_key"

const transferColumns = `t.id, COALESCE(t.member_id, 0), COALESCE(m.name, ''), COALESCE(t.from_org_id, 0), COALESCE(fo.name, ''),
	COALESCE(t.to_org_id, 0), COALESCE(tor.name, ''), t.direction, t.destination, t.reason, t.status, COALESCE(t.requested_by, 0),
	COALESCE(t.handled_by, 0), t.handled_at, t.note, t.signer, t.payload <> '', t.created_at, t.payload`

const transferFrom = ` FROM party_transfers t LEFT JOIN party_members m ON m.id = t.member_id
	LEFT JOIN party_orgs fo ON fo.id = t.from_org_id LEFT JOIN party_orgs tor ON tor.id = t.to_org_id`

// transferRow is a transfer with its payload (never shown as is).
type transferRow struct {
	t       *model.Transfer
	payload string
}

func scanTransfer(rs rowScanner) (transferRow, error) {
	var t model.Transfer
	var handled sql.NullTime
	var r transferRow
	err := rs.Scan(&t.ID, &t.MemberID, &t.MemberName, &t.FromOrgID, &t.FromOrgName, &t.ToOrgID, &t.ToOrgName, &t.Direction, &t.Destination,
		&t.Reason, &t.Status, &t.RequestedBy, &t.HandledBy, &handled, &t.Note, &t.Signer, &t.HasFile, &t.CreatedAt, &r.payload)
	t.HandledAt = handled.Time
	t.HasFile = t.HasFile && t.Direction == model.TransferOut && t.Status == model.TransferAccepted
	r.t = &t
	return r, err
}

// transferAccess is the filter on party_transfers t that sc may read: the transfers whose
// sending or receiving org lies in sc's territory, for roles that read members; a member
// account those of the orgs it manages through a post, wherever they lie.
func transferAccess(sc authz.Scope) (filter, bool) {
	var f filter
	if sc.All {
		return f, true
	}
	if sc.Path == "" {
		return f, false
	}
	lo, hi := authz.PathRange(sc.Path)
	inScope := "((fo.path >= ? AND fo.path < ?) OR (tor.path >= ? AND tor.path < ?))"
	switch {
	case staffManager(sc), sc.Role == model.RoleGridLeader:
		f.add(inScope, lo, hi, lo, hi)
		return f, true
	case sc.Role == model.RoleMember:
		// As for members (memberAccess) and meetings (lifeOrgsOf): a post reaches its org's
		// subtree wherever it lies, not only inside the account's own territory (a secretary's
		// scope is the stairwell it lives in, below its branch).
		managed := orgSubtree(managedOrgsInner)
		f.add("(t.from_org_id IN "+managed+" OR t.to_org_id IN "+managed+")", sc.UserID, sc.UserID, sc.UserID, sc.UserID)
		return f, true
	}
	return f, false
}

// Transfer returns the transfer id, or model.ErrNotFound when it does not exist or sc may not
// read it.
func (s *Store) Transfer(ctx context.Context, sc authz.Scope, id int64) (*model.Transfer, error) {
	r, err := s.reader().transfer(ctx, sc, id)
	return r.t, err
}

func (c conn) transfer(ctx context.Context, sc authz.Scope, id int64) (transferRow, error) {
	f, ok := transferAccess(sc)
	if !ok {
		return transferRow{}, model.ErrNotFound
	}
	f.add("t.id = ?", id)
	return queryOne(ctx, c, `SELECT `+transferColumns+transferFrom+` WHERE `+f.sql(), f.args, scanTransfer)
}

// TransferFilter selects transfers: of one member, in one status.
type TransferFilter struct {
	MemberID int64
	Status   model.TransferStatus
	Limit    int
	Cursor   string
}

// Transfers lists the transfers sc may read matching f, newest first, with the total. An
// unknown status is a *model.ValidationError.
func (s *Store) Transfers(ctx context.Context, sc authz.Scope, f TransferFilter) (*Page[*model.Transfer], error) {
	c := s.reader()
	if f.Status != "" && f.Status.Label() == "" {
		return nil, fieldErr("status", "status 应为 requested、accepted 或 rejected")
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	w, ok := transferAccess(sc)
	if !ok {
		return &Page[*model.Transfer]{}, nil
	}
	if f.MemberID != 0 {
		w.add("t.member_id = ?", f.MemberID)
	}
	if f.Status != "" {
		w.add("t.status = ?", string(f.Status))
	}
	count := w.clone()
	if cur.id != 0 {
		w.add("t.id < ?", cur.id)
	}
	page, err := fetchPage(ctx, c, `SELECT `+transferColumns+transferFrom+` WHERE `+w.sql()+` ORDER BY t.id DESC`, w.args, clampLimit(f.Limit),
		func(rs rowScanner) (*model.Transfer, cursor, error) {
			r, err := scanTransfer(rs)
			if err != nil {
				return nil, cursor{}, err
			}
			return r.t, cursor{id: r.t.ID}, nil
		})
	if err != nil {
		return nil, err
	}
	err = c.queryRow(ctx, `SELECT COUNT(*)`+transferFrom+` WHERE `+count.sql(), count.args, &page.Total)
	return page, err
}

// MyTransfers returns the transfers of the roster rows linked to sc's own account (in and out,
// every state), newest first, at most 20: what a member sees of its own on "my branch".
func (s *Store) MyTransfers(ctx context.Context, sc authz.Scope) ([]*model.Transfer, error) {
	if sc.UserID == 0 {
		return nil, nil
	}
	return queryAll(ctx, s.reader(), `SELECT `+transferColumns+transferFrom+`
		WHERE t.member_id IN (SELECT id FROM party_members WHERE user_id = ?) ORDER BY t.id DESC LIMIT 20`, []any{sc.UserID},
		func(rs rowScanner) (*model.Transfer, error) {
			r, err := scanTransfer(rs)
			return r.t, err
		})
}

// RequestTransfer asks to move a registered member of an org sc manages: to org in.ToOrgID of
// this deployment, or out of it to in.Destination. Refused, as a *model.ValidationError naming
// the field, nothing written: a target that is the member's own org, or no org of the tree that
// takes members (missing, dissolved, a street committee, a functional group); a member on the
// reporting list (registered elsewhere). A member with an open transfer is a
// *model.ConflictError (decided by the unique index, so two requests at once make one).
func (s *Store) RequestTransfer(ctx context.Context, sc authz.Scope, in model.TransferInput) (*model.Transfer, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out *model.Transfer
	err := s.Tx(ctx, func(tx *Tx) error {
		m, err := tx.memberToManage(ctx, sc, in.MemberID)
		if err != nil {
			return err
		}
		if m.List != model.ListRegistered {
			return fieldErr("member_id", "报到党员的组织关系不在本社区，不能在这里办理转接")
		}
		direction := model.TransferOut
		var to any
		if in.ToOrgID != 0 {
			direction = model.TransferInternal
			o, err := tx.memberOrgRef(ctx, in.ToOrgID)
			switch {
			case errors.Is(err, model.ErrNotFound):
				return fieldErr("to_org_id", "接收的党组织不在本系统的组织树中：转往本系统之外的党组织请改为“转出”，填写转往的党组织")
			case err != nil:
				return err
			case o.ID == m.OrgID:
				return fieldErr("to_org_id", "接收的党组织就是该党员现在所在的党组织，不需要转接")
			case o.Status != "active":
				return fieldErr("to_org_id", "接收的党组织已撤销或合并，请选择现有的党组织")
			case !contains(memberOrgKinds, o.Kind):
				return fieldErr("to_org_id", "接收的党组织应为社区党委、网格党支部或党小组（功能型党组织是另行参加的，街道大工委不直接管理党员）")
			}
			to = o.ID
		}
		var requester any
		if sc.UserID != 0 {
			requester = sc.UserID
		}
		var id int64
		err = tx.queryRow(ctx, `INSERT INTO party_transfers (member_id, from_org_id, to_org_id, direction, destination, reason, status, requested_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 'requested', ?, ?) RETURNING id`,
			[]any{m.ID, m.OrgID, to, string(direction), in.Destination, in.Reason, requester, now()}, &id)
		if isConflict(err) {
			return &model.ConflictError{Message: "该党员已有一项待处理的组织关系转接，请先处理它"}
		} else if err != nil {
			return err
		}
		r, err := tx.transfer(ctx, authz.System(), id)
		if err != nil {
			return err
		}
		where := r.t.ToOrgName
		if direction == model.TransferOut {
			where = in.Destination + "（系统外）"
		}
		if err := tx.memberEvent(ctx, sc, m.ID, "transfer_requested", "申请将组织关系由 "+m.OrgName+" 转至 "+where); err != nil {
			return err
		}
		tx.audit(sc, "party_transfer.request", "party_transfer", []int64{id}, "member="+strconv.FormatInt(m.ID, 10))
		out = r.t
		return nil
	})
	return out, err
}

// transferToDecide reads an open transfer sc may decide: the receiving side (the org it goes to)
// accepts a transfer within the deployment or in; the sending side accepts a transfer out;
// either side may reject (return) it. model.ErrNotFound when sc may not read it, a
// *model.ForbiddenError when it may read but not decide it, a *model.ConflictError when it was
// decided already.
func (tx *Tx) transferToDecide(ctx context.Context, sc authz.Scope, id int64, accept bool) (transferRow, error) {
	r, err := tx.transfer(ctx, sc, id)
	if err != nil {
		return r, err
	}
	if r.t.Status != model.TransferRequested {
		return r, &model.ConflictError{Message: "这项转接已经" + r.t.Status.Label() + "，不能再处理"}
	}
	side := r.t.ToOrgID
	if r.t.Direction == model.TransferOut {
		side = r.t.FromOrgID
	}
	ok, err := tx.managesOrg(ctx, sc, side)
	if err != nil {
		return r, err
	}
	if !ok && !accept && r.t.FromOrgID != 0 {
		ok, err = tx.managesOrg(ctx, sc, r.t.FromOrgID)
		if err != nil {
			return r, err
		}
	}
	if !ok {
		return r, &model.ForbiddenError{Message: "只有接收方党组织（转出时为本方党组织）的工作人员或书记、副书记可以处理这项转接"}
	}
	return r, nil
}

// decideTransfer marks an open transfer decided: a conditional update, so of two decisions at
// once one wins and the other is a *model.ConflictError.
func (tx *Tx) decideTransfer(ctx context.Context, sc authz.Scope, id int64, status model.TransferStatus, note string, memberID int64, payload string) error {
	var handler, member any
	if sc.UserID != 0 {
		handler = sc.UserID
	}
	if memberID != 0 {
		member = memberID
	}
	res, err := tx.exec(ctx, `UPDATE party_transfers SET status = ?, handled_by = ?, handled_at = ?, note = ?, member_id = COALESCE(member_id, ?),
		payload = CASE WHEN ? <> '' THEN ? ELSE payload END WHERE id = ? AND status = 'requested'`,
		string(status), handler, now(), note, member, payload, payload, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &model.ConflictError{Message: "这项转接刚被处理过，请刷新后查看"}
	}
	return nil
}

func transferNote(note string) (string, error) {
	note = strings.TrimSpace(note)
	if len([]rune(note)) > 200 || strings.ContainsAny(note, "\x00<>") {
		return "", fieldErr("note", "备注不能超过200个字，也不能包含尖括号或控制字符")
	}
	return note, nil
}

// AcceptTransfer accepts an open transfer (transferToDecide says who may) in one transaction:
// within the deployment the member moves to the receiving org (the counts, scope and history
// follow); out of it the member leaves the roster and the signed file is made (deployment names
// this deployment in it); in, the member the file describes is registered in the receiving org.
func (s *Store) AcceptTransfer(ctx context.Context, sc authz.Scope, id int64, note, deployment string) (*model.Transfer, error) {
	note, err := transferNote(note)
	if err != nil {
		return nil, err
	}
	var out *model.Transfer
	err = s.Tx(ctx, func(tx *Tx) error {
		r, err := tx.transferToDecide(ctx, sc, id, true)
		if err != nil {
			return err
		}
		t := r.t
		var member int64
		var payload string
		switch t.Direction {
		case model.TransferInternal:
			if err := tx.moveMember(ctx, sc, t); err != nil {
				return err
			}
		case model.TransferOut:
			if payload, err = tx.sendMember(ctx, sc, t, deployment); err != nil {
				return err
			}
		case model.TransferIn:
			var p model.TransferPayload
			if err := json.Unmarshal([]byte(r.payload), &p); err != nil {
				return err
			}
			m, err := tx.CreateMember(ctx, authz.System(), p.Member.Input(t.ToOrgID))
			if err != nil {
				return err
			}
			member = m.ID
			if err := tx.memberEvent(ctx, sc, m.ID, "transfer_accepted", "组织关系由 "+t.Destination+" 转入 "+t.ToOrgName); err != nil {
				return err
			}
		}
		if err := tx.decideTransfer(ctx, sc, id, model.TransferAccepted, note, member, payload); err != nil {
			return err
		}
		tx.audit(sc, "party_transfer.accept", "party_transfer", []int64{id}, "")
		r, err = tx.transfer(ctx, authz.System(), id)
		out = r.t
		return err
	})
	return out, err
}

// moveMember moves the member of an internal transfer from its sending to its receiving org.
func (tx *Tx) moveMember(ctx context.Context, sc authz.Scope, t *model.Transfer) error {
	to, err := tx.memberOrgRef(ctx, t.ToOrgID)
	if err != nil {
		return err
	}
	if to.Status != "active" {
		return &model.ConflictError{Message: "接收的党组织已撤销或合并，这项转接只能退回"}
	}
	if err := tx.memberCountsApply(ctx, -1, "id = ?", t.MemberID); err != nil {
		return err
	}
	var community any
	if to.CommunityID.Valid {
		community = to.CommunityID.Int64
	}
	res, err := tx.exec(ctx, `UPDATE party_members SET org_id = ?, path = ?, community_id = ?, updated_at = ?
		WHERE id = ? AND org_id = ? AND left_on IS NULL AND list = 'registered'`, to.ID, to.Path, community, now(), t.MemberID, t.FromOrgID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &model.ConflictError{Message: "该党员已不在转出的党组织中，这项转接只能退回"}
	}
	if err := tx.memberCountsApply(ctx, 1, "id = ?", t.MemberID); err != nil {
		return err
	}
	if err := tx.adjustOrgMembers(ctx, t.FromOrgID, -1); err != nil {
		return err
	}
	if err := tx.adjustOrgMembers(ctx, to.ID, 1); err != nil {
		return err
	}
	return tx.memberEvent(ctx, sc, t.MemberID, "transfer_accepted", "组织关系由 "+t.FromOrgName+" 转入 "+t.ToOrgName)
}

// sendMember takes the member of a transfer out off the registered roster and returns the
// signed file: a member who lives here (linked to a resident) goes on the reporting list, with
// the destination as the org it is registered with; anyone else leaves the roster.
func (tx *Tx) sendMember(ctx context.Context, sc authz.Scope, t *model.Transfer, deployment string) (string, error) {
	m, err := tx.member(ctx, authz.System(), t.MemberID)
	if err != nil {
		return "", err
	}
	if !m.Current() || m.OrgID != t.FromOrgID {
		return "", &model.ConflictError{Message: "该党员已不在转出的党组织中，这项转接只能退回"}
	}
	key, priv, err := tx.ownTransferKey(ctx, deployment)
	if err != nil {
		return "", err
	}
	p := model.TransferPayload{Format: model.TransferFileFormat, TransferID: t.ID, Deployment: key.Name, IssuedAt: now().UTC().Truncate(time.Second),
		FromOrg: t.FromOrgName, Destination: t.Destination, Reason: t.Reason, Member: model.TransferMemberRecord{
			Name: m.Name, Gender: m.Gender, BirthDate: dateString(m.BirthDate), Education: m.Education, Status: m.Status,
			JoinedOn: dateString(m.JoinedOn), FullOn: dateString(m.FullOn), Category: m.Category, Workplace: m.Workplace}}
	file, err := SignTransfer(p, key.PublicKey, priv)
	if err != nil {
		return "", err
	}
	if err := tx.memberCountsApply(ctx, -1, "id = ?", m.ID); err != nil {
		return "", err
	}
	detail := "组织关系转出至 " + t.Destination + "，已生成转接文件"
	if m.ResidentID != 0 {
		// Still living here: registered elsewhere from now on, so on the reporting list (the
		// resident record's political status keeps agreeing with a roster).
		kind := model.ReportingInflow
		if m.Category == model.CategoryInWork {
			kind = model.ReportingInWork
		}
		if _, err := tx.exec(ctx, `UPDATE party_members SET list = 'reporting', reporting_kind = ?, home_org = ?, mobility = 'none',
			reported_on = ?, updated_at = ? WHERE id = ?`, string(kind), t.Destination, model.Today(time.Now()), now(), m.ID); err != nil {
			return "", err
		}
		detail += "；仍在本社区居住，转为报到党员"
	} else if _, err := tx.exec(ctx, `UPDATE party_members SET left_on = ?, left_reason = ?, updated_at = ? WHERE id = ?`,
		model.Today(time.Now()), "组织关系转出至 "+t.Destination, now(), m.ID); err != nil {
		return "", err
	}
	if err := tx.memberCountsApply(ctx, 1, "id = ?", m.ID); err != nil {
		return "", err
	}
	if err := tx.adjustOrgMembers(ctx, m.OrgID, -1); err != nil {
		return "", err
	}
	if err := tx.memberEvent(ctx, sc, m.ID, "transfer_accepted", detail); err != nil {
		return "", err
	}
	return string(file), nil
}

// RejectTransfer returns (退回) an open transfer: nothing moves; the history says so.
func (s *Store) RejectTransfer(ctx context.Context, sc authz.Scope, id int64, note string) (*model.Transfer, error) {
	note, err := transferNote(note)
	if err != nil {
		return nil, err
	}
	var out *model.Transfer
	err = s.Tx(ctx, func(tx *Tx) error {
		r, err := tx.transferToDecide(ctx, sc, id, false)
		if err != nil {
			return err
		}
		if err := tx.decideTransfer(ctx, sc, id, model.TransferRejected, note, 0, ""); err != nil {
			return err
		}
		if r.t.MemberID != 0 {
			detail := "组织关系转接被退回"
			if note != "" {
				detail += "：" + note
			}
			if err := tx.memberEvent(ctx, sc, r.t.MemberID, "transfer_rejected", detail); err != nil {
				return err
			}
		}
		tx.audit(sc, "party_transfer.reject", "party_transfer", []int64{id}, "")
		r, err = tx.transfer(ctx, authz.System(), id)
		out = r.t
		return err
	})
	return out, err
}

// TransferFile returns the signed file of an accepted transfer out that sc may read (its
// name, e.g. 组织关系转接_张三_12.json, and content); model.ErrNotFound for any other.
func (s *Store) TransferFile(ctx context.Context, sc authz.Scope, id int64) (name string, content []byte, err error) {
	r, err := s.reader().transfer(ctx, sc, id)
	if err != nil {
		return "", nil, err
	}
	if !r.t.HasFile {
		return "", nil, model.ErrNotFound
	}
	return "组织关系转接_" + r.t.MemberName + "_" + strconv.FormatInt(r.t.ID, 10) + ".json", []byte(r.payload), nil
}

// transferFile is the signed file's layout: the payload as signed, the signer's public key and
// the ed25519 signature of the payload's bytes.
type transferFile struct {
	Format    string          `json:"format"`
	Payload   json.RawMessage `json:"payload"`
	Key       string          `json:"key"`
	Signature string          `json:"signature"`
}

// SignTransfer makes the signed file of p with the key pair (pub base64, priv).
func SignTransfer(p model.TransferPayload, pub string, priv ed25519.PrivateKey) ([]byte, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return json.Marshal(transferFile{Format: model.TransferFileFormat, Payload: body, Key: pub,
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(priv, body))})
}

// errTransferFile is the refusal of a file that is not a transfer file, or whose signature does
// not verify: the same words whatever was wrong with it.
func errTransferFile(msg string) error { return fieldErr("file", msg) }

// ImportTransfer verifies a signed transfer file and records it as a transfer in to org toOrg
// (which sc must manage), to be accepted (the member is registered then) or returned. Refused,
// nothing written: a file that is not a transfer file, signed by a key this deployment does not
// trust, or whose signature does not verify (a *model.ValidationError on "file"); a file
// imported before (a *model.ConflictError, decided by the unique origin).
func (s *Store) ImportTransfer(ctx context.Context, sc authz.Scope, file []byte, toOrg int64) (*model.Transfer, error) {
	var f transferFile
	if err := json.Unmarshal(file, &f); err != nil || f.Format != model.TransferFileFormat || len(f.Payload) == 0 {
		return nil, errTransferFile("不是组织关系转接文件：请上传另一系统“转出”后下载的 .json 文件，不要修改它")
	}
	var out *model.Transfer
	err := s.Tx(ctx, func(tx *Tx) error {
		var v model.ValidationError
		o, err := tx.memberOrg(ctx, sc, toOrg, &v)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		k, err := queryOne(ctx, tx.conn, `SELECT `+transferKeyColumns+` FROM party_transfer_keys WHERE public_key = ? AND own = 0`,
			[]any{f.Key}, scanTransferKey)
		if errors.Is(err, model.ErrNotFound) {
			return errTransferFile("文件的签发方不在受信任的系统列表中：请先核实并添加对方系统的公钥")
		} else if err != nil {
			return err
		}
		if k.RetiredAt != nil {
			return errTransferFile("文件的签发公钥（" + k.Name + "）已停用：请对方用新的公钥重新签发，并先核实添加新公钥")
		}
		pub, err := base64.StdEncoding.DecodeString(f.Key)
		sig, err2 := base64.StdEncoding.DecodeString(f.Signature)
		if err != nil || err2 != nil || len(pub) != ed25519.PublicKeySize || !ed25519.Verify(ed25519.PublicKey(pub), f.Payload, sig) {
			return errTransferFile("文件签名校验失败：文件在发出后被改动过，或不是由受信任的系统签发的，已拒绝导入")
		}
		var p model.TransferPayload
		if err := json.Unmarshal(f.Payload, &p); err != nil || p.Format != model.TransferFileFormat || p.TransferID <= 0 {
			return errTransferFile("文件签名有效，但内容不是可以识别的转接记录")
		}
		in := p.Member.Input(o.ID)
		if err := in.Validate(time.Now()); err != nil {
			return errTransferFile("文件中的党员信息不完整或有误，无法导入：" + err.Error())
		}
		stored, err := json.Marshal(p)
		if err != nil {
			return err
		}
		var requester any
		if sc.UserID != 0 {
			requester = sc.UserID
		}
		origin := transferKeyID(f.Key) + ":" + strconv.FormatInt(p.TransferID, 10)
		from := p.FromOrg + "（" + p.Deployment + "）"
		var id int64
		err = tx.queryRow(ctx, `INSERT INTO party_transfers (to_org_id, direction, destination, reason, status, requested_by, created_at, payload, origin, signer)
			VALUES (?, 'in', ?, ?, 'requested', ?, ?, ?, ?, ?) RETURNING id`,
			[]any{o.ID, from, p.Reason, requester, now(), string(stored), origin, k.Name}, &id)
		if isConflict(err) {
			return &model.ConflictError{Message: "这份转接文件已经导入过了，不能重复导入"}
		} else if err != nil {
			return err
		}
		tx.audit(sc, "party_transfer.import", "party_transfer", []int64{id}, "signer="+k.Name)
		r, err := tx.transfer(ctx, authz.System(), id)
		r.t.MemberName = p.Member.Name
		out = r.t
		return err
	})
	return out, err
}

// TransferMemberRecord returns the member data of a transfer in sc may read (the record the
// file carries), for its page.
func (s *Store) TransferMemberRecord(ctx context.Context, sc authz.Scope, id int64) (*model.TransferMemberRecord, error) {
	r, err := s.reader().transfer(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if r.t.Direction != model.TransferIn {
		return nil, model.ErrNotFound
	}
	var p model.TransferPayload
	if err := json.Unmarshal([]byte(r.payload), &p); err != nil {
		return nil, err
	}
	return &p.Member, nil
}

// transferKeyID is a short, stable id of a public key: the first 16 hex digits of its SHA-256.
func transferKeyID(pub string) string {
	h := sha256.Sum256([]byte(pub))
	return hex.EncodeToString(h[:8])
}

const transferKeyColumns = `id, name, public_key, own, created_at, retired_at`

func scanTransferKey(rs rowScanner) (*model.TransferKey, error) {
	var k model.TransferKey
	var own int64
	var retired sql.NullTime
	err := rs.Scan(&k.ID, &k.Name, &k.PublicKey, &own, &k.CreatedAt, &retired)
	k.Own = own == 1
	if retired.Valid {
		k.RetiredAt = &retired.Time
	}
	return &k, err
}

// ownTransferKey returns the deployment's signing key, made (and named deployment) the first
// time; two first uses at once make one (the unique index on own).
func (tx *Tx) ownTransferKey(ctx context.Context, deployment string) (*model.TransferKey, ed25519.PrivateKey, error) {
	type row struct {
		k      *model.TransferKey
		sealed string
	}
	read := func() (row, error) {
		return queryOne(ctx, tx.conn, `SELECT id, name, public_key, own, created_at, private_key FROM party_transfer_keys WHERE own = 1`, nil,
			func(rs rowScanner) (row, error) {
				var x row
				var k model.TransferKey
				var own int64
				err := rs.Scan(&k.ID, &k.Name, &k.PublicKey, &own, &k.CreatedAt, &x.sealed)
				k.Own = true
				x.k = &k
				return x, err
			})
	}
	x, err := read()
	if errors.Is(err, model.ErrNotFound) {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		sealed, err := tx.keys.Seal(ColumnTransferKey, base64.StdEncoding.EncodeToString(priv.Seed()))
		if err != nil {
			return nil, nil, err
		}
		if strings.TrimSpace(deployment) == "" {
			deployment = "本系统"
		}
		if _, err := tx.exec(ctx, `INSERT INTO party_transfer_keys (name, public_key, own, private_key, created_at) VALUES (?, ?, 1, ?, ?)
			ON CONFLICT DO NOTHING`, deployment, base64.StdEncoding.EncodeToString(pub), sealed, now()); err != nil {
			return nil, nil, err
		}
		if x, err = read(); err != nil {
			return nil, nil, err
		}
	} else if err != nil {
		return nil, nil, err
	}
	plain, err := tx.keys.Open(ColumnTransferKey, x.sealed)
	if err != nil {
		return nil, nil, err
	}
	seed, err := base64.StdEncoding.DecodeString(plain)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, nil, errors.New("transfer key: bad seed")
	}
	return x.k, ed25519.NewKeyFromSeed(seed), nil
}

// OwnTransferKey returns the deployment's public signing key (made, named deployment, the first
// time): other deployments add it to trust this one's transfer files.
func (s *Store) OwnTransferKey(ctx context.Context, deployment string) (*model.TransferKey, error) {
	var k *model.TransferKey
	err := s.Tx(ctx, func(tx *Tx) error {
		var err error
		k, _, err = tx.ownTransferKey(ctx, deployment)
		return err
	})
	return k, err
}

// TrustedTransferKeys lists the keys of other deployments, oldest first: those transfer files
// are accepted from, and the retired ones (RetiredAt set), which are not.
func (s *Store) TrustedTransferKeys(ctx context.Context) ([]*model.TransferKey, error) {
	return queryAll(ctx, s.reader(), `SELECT `+transferKeyColumns+` FROM party_transfer_keys WHERE own = 0 ORDER BY id`, nil, scanTransferKey)
}

// RetireTransferKey stops accepting transfer files signed with trusted key id. The key stays
// listed, retired; it is never overwritten or deleted (the table's triggers refuse both), so a
// deployment that changes its key is added anew. A key that does not exist, or this
// deployment's own, is model.ErrNotFound; retiring twice is a *model.ConflictError.
func (s *Store) RetireTransferKey(ctx context.Context, sc authz.Scope, id int64) (*model.TransferKey, error) {
	var k *model.TransferKey
	err := s.Tx(ctx, func(tx *Tx) error {
		var by any
		if sc.UserID != 0 {
			by = sc.UserID
		}
		cur, err := queryOne(ctx, tx.conn, `SELECT `+transferKeyColumns+` FROM party_transfer_keys WHERE id = ? AND own = 0`, []any{id}, scanTransferKey)
		if err != nil {
			return err
		}
		r, err := tx.exec(ctx, `UPDATE party_transfer_keys SET retired_at = ?, retired_by = ? WHERE id = ? AND own = 0 AND retired_at IS NULL`, now(), by, id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return &model.ConflictError{Message: "公钥“" + cur.Name + "”已经停用过了"}
		}
		tx.audit(sc, "party_transfer_key.retire", "party_transfer_key", []int64{id}, "name="+cur.Name)
		k, err = queryOne(ctx, tx.conn, `SELECT `+transferKeyColumns+` FROM party_transfer_keys WHERE id = ?`, []any{id}, scanTransferKey)
		return err
	})
	return k, err
}

// TrustTransferKey adds the public key (base64 of 32 bytes) of another deployment, named name,
// to the keys transfer files are accepted from. A malformed key or name is a
// *model.ValidationError; a key already known (our own included) a *model.ConflictError.
func (s *Store) TrustTransferKey(ctx context.Context, sc authz.Scope, name, pub string) (*model.TransferKey, error) {
	name, pub = strings.TrimSpace(name), strings.TrimSpace(pub)
	var v model.ValidationError
	if n := len([]rune(name)); n == 0 || n > 64 || strings.ContainsAny(name, "\x00\r\n<>") {
		v.Add("name", "请填写对方系统的名称（不超过64个字）")
	}
	if b, err := base64.StdEncoding.DecodeString(pub); err != nil || len(b) != ed25519.PublicKeySize {
		v.Add("public_key", "公钥应为对方系统“本系统公钥”处显示的44个字符")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var k *model.TransferKey
	err := s.Tx(ctx, func(tx *Tx) error {
		var by any
		if sc.UserID != 0 {
			by = sc.UserID
		}
		var id int64
		err := tx.queryRow(ctx, `INSERT INTO party_transfer_keys (name, public_key, own, added_by, created_at) VALUES (?, ?, 0, ?, ?) RETURNING id`,
			[]any{name, pub, by, now()}, &id)
		if isConflict(err) {
			return &model.ConflictError{Message: "这个公钥已经在列表中（或是本系统自己的公钥，或已停用）：公钥只能添加和停用，不能改写或重新启用"}
		} else if err != nil {
			return err
		}
		tx.audit(sc, "party_transfer_key.trust", "party_transfer_key", []int64{id}, "name="+name)
		k, err = queryOne(ctx, tx.conn, `SELECT `+transferKeyColumns+` FROM party_transfer_keys WHERE id = ?`, []any{id}, scanTransferKey)
		return err
	})
	return k, err
}
