package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/pii"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// testPassword passes the password rules; it is never used to log in here.
const testPassword = "subject-test-password-7Q!x"

func mustUser(t *testing.T, st *store.Store, name string, role model.Role, scope *model.Territory) *model.User {
	t.Helper()
	in := store.UserInput{Username: name, Password: testPassword, Role: role}
	if scope != nil {
		in.ScopeID = scope.ID
	}
	if role == model.RoleUnitLeader && scope != nil {
		in.UnitID = storetest.MustLeaderUnit(t, st, scope).ID
	}
	u, err := st.CreateUser(context.Background(), authz.System(), in)
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	return u
}

func mustResidentNamed(t *testing.T, st *store.Store, h *model.Household, name string) *model.Resident {
	t.Helper()
	p, err := st.Residents(context.Background(), authz.System(), store.ResidentFilter{HouseholdID: h.ID, Q: name})
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("resident %s: %v, %d found", name, err, len(p.Items))
	}
	return p.Items[0]
}

func fieldOf(err error) string {
	var ve *model.ValidationError
	if errors.As(err, &ve) && len(ve.Fields) > 0 {
		return ve.Fields[0].Field
	}
	return ""
}

func TestSubjectDataAndCorrections(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		zhangID, liID, wangID := validID("510781", "19650308", 11), validID("510781", "19680115", 22), validID("510781", "19700101", 33)
		hA := mustHousehold(t, st, tr.stairwell, "1栋1单元502室",
			model.ResidentInput{Name: "张三", IDNumber: zhangID, Phone: "13812345678", Relation: model.RelationHead, Occupation: "退休"},
			model.ResidentInput{Name: "李四", IDNumber: liID, Relation: "配偶"})
		hB := mustHousehold(t, st, tr.stairwell2, "8栋2单元101室",
			model.ResidentInput{Name: "王五", IDNumber: wangID, Phone: "13987654321", Relation: model.RelationHead})
		zhang, wang := mustResidentNamed(t, st, hA, "张三"), mustResidentNamed(t, st, hB, "王五")

		subject := mustUser(t, st, "zhangsan", model.RoleResident, tr.stairwell)
		unlinked := mustUser(t, st, "nobody", model.RoleResident, tr.stairwell)
		staff := mustUser(t, st, "staff", model.RoleCommunityAdmin, tr.community)
		other := mustUser(t, st, "other", model.RoleCommunityAdmin, tr.community2)
		scStaff, scOther := authz.ForUser(staff), authz.ForUser(other)

		// Linking: both ends in the linker's scope, only resident and member accounts, one account per resident.
		if err := st.LinkResident(ctx, scOther, subject.ID, zhang.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("link by other community = %v, want not found", err)
		}
		if err := st.LinkResident(ctx, scStaff, subject.ID, wang.ID); fieldOf(err) != "resident_id" {
			t.Errorf("link to a resident out of scope = %v, want resident_id error", err)
		}
		if err := st.LinkResident(ctx, authz.System(), staff.ID, zhang.ID); fieldOf(err) != "resident_id" {
			t.Errorf("link a staff account = %v, want resident_id error", err)
		}
		if err := st.LinkResident(ctx, scStaff, subject.ID, zhang.ID); err != nil {
			t.Fatalf("link: %v", err)
		}
		if err := st.LinkResident(ctx, scStaff, unlinked.ID, zhang.ID); fieldOf(err) != "resident_id" {
			t.Errorf("second account on one resident = %v, want resident_id error", err)
		}
		if _, _, err := st.CreateSession(ctx, subject); err != nil {
			t.Fatal(err)
		}

		// The subject sees their own record in full, the household and its other members masked,
		// and nothing of another household.
		d, err := st.SubjectData(ctx, subject.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Resident == nil || d.Resident.ID != zhang.ID || d.Resident.IDNumber.Plain() != zhangID || d.Resident.Phone.Plain() != "13812345678" || d.Own.IDNumber != zhangID || d.Own.Phone != "13812345678" {
			t.Fatalf("subject resident = %+v, want 张三 in full", d.Resident)
		}
		if d.Household == nil || d.Household.Address != "1栋1单元502室" {
			t.Errorf("household = %+v", d.Household)
		}
		if len(d.Members) != 1 || d.Members[0].Name != "李四" || d.Members[0].IDNumberMasked != model.MaskIDNumber(liID) {
			t.Errorf("members = %+v, want 李四 masked", d.Members)
		}
		if d.Account.Username != "zhangsan" || d.Account.Sessions != 1 || d.Account.LastLoginAt == nil {
			t.Errorf("account = %+v", d.Account)
		}
		all, _ := json.Marshal(d)
		for _, leak := range []string{"王五", wangID, "13987654321", liID, "8栋2单元"} {
			if strings.Contains(string(all), leak) {
				t.Errorf("subject data contains %q of someone else", leak)
			}
		}
		empty, err := st.SubjectData(ctx, unlinked.ID)
		if err != nil || empty.Resident != nil || empty.Household != nil || len(empty.Members) != 0 {
			t.Errorf("unlinked subject = %+v, %v; want account only", empty, err)
		}
		if _, err := st.CreateCorrection(ctx, unlinked.ID, model.CorrectionInput{Field: model.CorrectName, Value: "某人"}); !errors.Is(err, model.ErrConflict) {
			t.Errorf("correction by an unlinked account = %v, want conflict", err)
		}

		// Bad requests are refused when asked, with the validators of a staff edit.
		bad := []model.CorrectionInput{
			{Field: "gender", Value: "female"},
			{Field: model.CorrectIDNumber, Value: zhangID[:17] + "0"},
			{Field: model.CorrectPhone, Value: "12345"},
			{Field: model.CorrectBirthDate, Value: "1966-01-01"}, // contradicts the ID number
			{Field: model.CorrectName, Value: "张三"},              // unchanged
			{Field: model.CorrectAddress, Value: ""},
		}
		for _, in := range bad {
			if _, err := st.CreateCorrection(ctx, subject.ID, in); fieldOf(err) == "" {
				t.Errorf("CreateCorrection(%+v) = %v, want a validation error", in, err)
			}
		}

		// open → accepted → the record changed, gender and birth date following the new number.
		newID := validID("510781", "19650309", 12)
		cr, err := st.CreateCorrection(ctx, subject.ID, model.CorrectionInput{Field: model.CorrectIDNumber, Value: strings.ToLower(newID), Reason: "登记时录错一位"})
		if err != nil {
			t.Fatal(err)
		}
		if cr.Status != model.CorrectionOpen || cr.CurrentValueMasked != model.MaskIDNumber(zhangID) || cr.RequestedValue != newID {
			t.Errorf("created = %+v", cr)
		}
		if _, err := st.CreateCorrection(ctx, subject.ID, model.CorrectionInput{Field: model.CorrectIDNumber, Value: newID}); !errors.Is(err, model.ErrConflict) {
			t.Errorf("second open request on one field = %v, want conflict", err)
		}
		// Staff of another community neither see nor handle it.
		if p, err := st.Corrections(ctx, scOther, store.CorrectionFilter{}); err != nil || len(p.Items) != 0 || p.Total != 0 {
			t.Errorf("other community's list = %+v, %v; want empty", p, err)
		}
		if _, err := st.AcceptCorrection(ctx, scOther, cr.ID, ""); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("accept by other community = %v, want not found", err)
		}
		if _, err := st.RejectCorrection(ctx, scOther, cr.ID, "不行"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("reject by other community = %v, want not found", err)
		}
		if _, err := st.Corrections(ctx, scOther, store.CorrectionFilter{Under: tr.community.ID}); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("other community filtering on this one = %v, want not found", err)
		}
		p, err := st.Corrections(ctx, scStaff, store.CorrectionFilter{Under: tr.grid.ID, Status: model.CorrectionOpen})
		if err != nil || len(p.Items) != 1 || p.Items[0].ID != cr.ID || p.Items[0].ResidentName != "张三" {
			t.Fatalf("staff list = %+v, %v", p, err)
		}
		got, err := st.AcceptCorrection(ctx, scStaff, cr.ID, "已核对户口簿")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != model.CorrectionAccepted || got.HandledBy != staff.ID || got.HandledAt == nil || got.Note != "已核对户口簿" {
			t.Errorf("accepted = %+v", got)
		}
		r, err := st.Resident(ctx, scStaff, zhang.ID)
		if err != nil || r.IDNumber.Plain() != newID || r.BirthDate.Format("2006-01-02") != "1965-03-09" {
			t.Errorf("after acceptance resident = %+v, %v", r, err)
		}
		if _, err := st.AcceptCorrection(ctx, scStaff, cr.ID, ""); !errors.Is(err, model.ErrConflict) {
			t.Errorf("accept twice = %v, want conflict", err)
		}

		// Valid when asked, refused at acceptance: the number is someone else's by then.
		cr2, err := st.CreateCorrection(ctx, subject.ID, model.CorrectionInput{Field: model.CorrectIDNumber, Value: wangID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AcceptCorrection(ctx, scStaff, cr2.ID, ""); fieldOf(err) != "value" {
			t.Errorf("accepting a number registered elsewhere = %v, want a value error", err)
		}
		if still, err := st.Correction(ctx, scStaff, cr2.ID); err != nil || still.Status != model.CorrectionOpen {
			t.Errorf("after refused acceptance = %+v, %v; want still open", still, err)
		}
		if _, err := st.RejectCorrection(ctx, scStaff, cr2.ID, " "); fieldOf(err) != "note" {
			t.Errorf("reject without a note = %v, want note error", err)
		}
		rej, err := st.RejectCorrection(ctx, scStaff, cr2.ID, "该号码与户籍信息不符")
		if err != nil || rej.Status != model.CorrectionRejected {
			t.Errorf("reject = %+v, %v", rej, err)
		}

		// The address is the household's, changed through the household update.
		cr3, err := st.CreateCorrection(ctx, subject.ID, model.CorrectionInput{Field: model.CorrectAddress, Value: "1栋1单元503室"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AcceptCorrection(ctx, scStaff, cr3.ID, ""); err != nil {
			t.Fatal(err)
		}
		if h, err := st.Household(ctx, scStaff, hA.ID); err != nil || h.Address != "1栋1单元503室" {
			t.Errorf("household after address correction = %+v, %v", h, err)
		}

		mine, err := st.MyCorrections(ctx, subject.ID)
		if err != nil || len(mine) != 3 || mine[0].ID != cr3.ID {
			t.Errorf("my corrections = %d, %v", len(mine), err)
		}
		if mine, _ := st.MyCorrections(ctx, unlinked.ID); len(mine) != 0 {
			t.Errorf("unlinked account sees %d corrections", len(mine))
		}
		if p, _ := st.Corrections(ctx, scStaff, store.CorrectionFilter{Status: model.CorrectionOpen}); p.Total != 0 {
			t.Errorf("open after handling all = %d", p.Total)
		}

		// Every write is in the audit log, on the resident, without the values.
		log, err := st.AuditLog(ctx, authz.System(), store.AuditFilter{Subject: "resident:" + strconv.FormatInt(zhang.ID, 10), Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		acts := map[string]int{}
		for _, r := range log.Items {
			acts[r.Action]++
			if strings.Contains(r.Detail, newID) || strings.Contains(r.Detail, wangID) {
				t.Errorf("audit detail holds a value: %q", r.Detail)
			}
		}
		if acts["correction.create"] != 3 || acts["correction.accept"] != 2 || acts["correction.reject"] != 1 {
			t.Errorf("audit actions on the resident = %v", acts)
		}
		if l, err := st.AuditLog(ctx, authz.System(), store.AuditFilter{Action: "user.link_resident"}); err != nil || len(l.Items) != 1 {
			t.Errorf("link audit = %v, %v", l, err)
		}
	})
}

// TestCorrectionRotation: a requested value is sealed, counted by KeyUsage and re-sealed by
// Reencrypt, so retiring the old key leaves every request readable.
func TestCorrectionRotation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		own := validID("510781", "19650308", 11)
		h := mustHousehold(t, st, tr.stairwell, "1栋1单元502室", model.ResidentInput{Name: "张三", IDNumber: own, Relation: model.RelationHead})
		u := mustUser(t, st, "zhangsan", model.RoleResident, tr.stairwell)
		if err := st.LinkResident(ctx, authz.System(), u.ID, mustResidentNamed(t, st, h, "张三").ID); err != nil {
			t.Fatal(err)
		}
		newID := validID("510781", "19650309", 12)
		if _, err := st.CreateCorrection(ctx, u.ID, model.CorrectionInput{Field: model.CorrectIDNumber, Value: newID}); err != nil {
			t.Fatal(err)
		}
		var raw string
		if err := st.DB().QueryRowContext(ctx, `SELECT requested_value FROM correction_requests`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, newID) || !strings.HasPrefix(raw, "t1:") {
			t.Fatalf("requested value stored as %q, want sealed under t1", raw)
		}

		old := storetest.Keyring(t)
		k2, _ := pii.NewKey("t2")
		both, err := pii.New(append([]pii.Key{k2}, old.Keys()...))
		if err != nil {
			t.Fatal(err)
		}
		rotated, err := store.Open(ctx, storeDSN(t, st), store.WithKeys(both))
		if err != nil {
			t.Fatal(err)
		}
		defer rotated.Close()
		if use, err := rotated.KeyUsage(ctx); err != nil || use["t1"] != 2 {
			t.Fatalf("KeyUsage before = %v, %v; want the ID number and the request on t1", use, err)
		}
		if _, err := rotated.Reencrypt(ctx, 10, nil); err != nil {
			t.Fatal(err)
		}
		if use, err := rotated.KeyUsage(ctx); err != nil || use["t1"] != 0 || use["t2"] != 2 {
			t.Fatalf("KeyUsage after = %v, %v", use, err)
		}
		var keys []pii.Key
		for _, k := range both.Keys() {
			if k.ID != "t1" {
				keys = append(keys, k)
			}
		}
		only, err := pii.New(keys)
		if err != nil {
			t.Fatal(err)
		}
		retired, err := store.Open(ctx, storeDSN(t, st), store.WithKeys(only))
		if err != nil {
			t.Fatal(err)
		}
		defer retired.Close()
		if mine, err := retired.MyCorrections(ctx, u.ID); err != nil || len(mine) != 1 || mine[0].RequestedValue != newID {
			t.Errorf("after retiring t1: %v, %v", mine, err)
		}
	})
}

// TestDeleteLinkedResident: a resident registered by mistake can still be removed when an account
// is linked to it and it has correction requests; the account loses the link.
func TestDeleteLinkedResident(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tr := mustTree(t, st)
		h := mustHousehold(t, st, tr.stairwell, "1栋1单元502室",
			model.ResidentInput{Name: "张三", IDNumber: validID("510781", "19650308", 11), Relation: model.RelationHead},
			model.ResidentInput{Name: "李四", IDNumber: validID("510781", "19680115", 22), Relation: "配偶"})
		li := mustResidentNamed(t, st, h, "李四")
		u := mustUser(t, st, "lisi", model.RoleMember, tr.stairwell)
		if err := st.LinkResident(ctx, authz.System(), u.ID, li.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateCorrection(ctx, u.ID, model.CorrectionInput{Field: model.CorrectOccupation, Value: "教师"}); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteResident(ctx, authz.System(), li.ID); err != nil {
			t.Fatalf("delete a linked resident: %v", err)
		}
		if rid, err := st.LinkedResidentID(ctx, u.ID); err != nil || rid != 0 {
			t.Errorf("link after delete = %d, %v", rid, err)
		}
		if d, err := st.SubjectData(ctx, u.ID); err != nil || d.Resident != nil || len(d.Corrections) != 0 {
			t.Errorf("subject after delete = %+v, %v", d, err)
		}
	})
}
