package main

import (
	"context"
	"errors"
	"fmt"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// demoSubjects links the demo resident and member accounts to real residents of their
// stairwell (a party member for member when the stairwell has one), so 我的信息 shows a record,
// and leaves one open correction request from the resident for staff to handle. Running the
// demo again keeps the links and adds no second request.
func demoSubjects(ctx context.Context, st *store.Store, stair *model.Territory) error {
	sys := authz.System()
	p, err := st.Residents(ctx, sys, store.ResidentFilter{Under: stair.ID, Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	if len(p.Items) < 2 {
		return fmt.Errorf("demo stairwell %s has %d residents, want at least 2", stair.Name, len(p.Items))
	}
	resident, member := p.Items[0], p.Items[1]
	for _, r := range p.Items[1:] {
		if r.PoliticalStatus == model.StatusPartyMember {
			member = r
			break
		}
	}
	link := map[string]*model.Resident{"resident": resident, "member": member}
	var residentUser int64
	for _, name := range []string{"resident", "member"} {
		u, err := st.UserByUsername(ctx, name)
		if err != nil {
			return fmt.Errorf("demo account %s: %w", name, err)
		}
		if err := st.LinkResident(ctx, sys, u.ID, link[name].ID); err != nil {
			return fmt.Errorf("link demo account %s: %w", name, err)
		}
		if name == "resident" {
			residentUser = u.ID
		}
		if name == "member" {
			// The member account's own roster record (the demo registers every party resident).
			if _, err := st.LinkMemberAccount(ctx, sys, link[name].ID, u.ID); err != nil && !errors.Is(err, model.ErrNotFound) {
				return fmt.Errorf("link demo member account: %w", err)
			}
		}
	}
	mine, err := st.MyCorrections(ctx, residentUser)
	if err != nil {
		return err
	}
	for _, c := range mine {
		if c.Status == model.CorrectionOpen {
			return nil
		}
	}
	value := "社区志愿者"
	if resident.Occupation == value {
		value = "退休"
	}
	_, err = st.CreateCorrection(ctx, residentUser, model.CorrectionInput{Field: model.CorrectOccupation, Value: value,
		Reason: "职业登记已过时，请更新"})
	var ce *model.ConflictError
	if errors.As(err, &ce) {
		return nil
	}
	return err
}
