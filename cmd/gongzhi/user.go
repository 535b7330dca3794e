package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

func cmdUser(ctx context.Context, e *env) error {
	if len(e.args) > 0 && e.args[0] == "unlock" {
		e.args = e.args[1:]
		return cmdUserUnlock(ctx, e)
	}
	if len(e.args) == 0 || e.args[0] != "add" {
		return errors.New("usage: gongzhi user add --username U --password P --role ROLE [--scope TERRITORY_ID_OR_CODE] [--resident RESIDENT_ID] [--organization ORGANIZATION_ID] [--unit UNIT_ID] [--totp-secret BASE32] | gongzhi user unlock --username U")
	}
	e.args = e.args[1:]
	var in store.UserInput
	var role, scope string
	var residentID int64
	cfg, _, err := e.parse("user add", false, func(fs *flag.FlagSet) {
		fs.StringVar(&in.Username, "username", "", "login name")
		fs.StringVar(&in.Password, "password", "", "password (at least 12 characters)")
		fs.StringVar(&in.DisplayName, "name", "", "display name")
		fs.StringVar(&role, "role", "", "role: system_admin, district_admin, street_admin, community_admin, community_staff, grid_leader, unit_leader, member, resident, partner, auditor")
		fs.StringVar(&scope, "scope", "", "territory id or 12-digit code the account is limited to")
		fs.StringVar(&in.TOTPSecret, "totp-secret", "", "base32 second-factor secret to enrol at once (staff roles without it get a new one, printed)")
		fs.Int64Var(&residentID, "resident", 0, "id of the resident record a resident or member account belongs to (their own data, PIPL art. 45)")
		fs.Int64Var(&in.OrganizationID, "organization", 0, "id of the organization of the register a partner account belongs to (required for partner; its scope is the organization's node)")
		fs.Int64Var(&in.UnitID, "unit", 0, "id of the joint-building unit a unit_leader account leads (required for unit_leader; its scope is that unit's households)")
	})
	if err != nil {
		return err
	}
	in.Role = model.Role(role)
	st, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	if scope != "" {
		id, err := resolveTerritory(ctx, st, scope)
		if err != nil {
			return err
		}
		in.ScopeID = id
	}
	if residentID != 0 && in.Role != model.RoleResident && in.Role != model.RoleMember && in.Role != model.RoleUnitLeader {
		return errors.New("--resident: only resident, member and unit_leader accounts are linked to a resident record")
	}
	if residentID < 0 {
		return errors.New("--resident: give a resident id")
	}
	if residentID != 0 {
		if _, err := st.Resident(ctx, authz.System(), residentID); err != nil {
			return fmt.Errorf("--resident: no resident with id %d", residentID)
		}
	}
	generated := false
	if in.TOTPSecret == "" && in.Role.NeedsSecondFactor() {
		in.TOTPSecret, generated = authz.NewTOTPSecret(), true
	}
	u, err := st.CreateUser(ctx, authz.System(), in)
	if err != nil {
		return oneLine(err)
	}
	if residentID != 0 {
		if err := st.LinkResident(ctx, authz.System(), u.ID, residentID); err != nil {
			return fmt.Errorf("account %s created, but not linked to resident %d: %w", u.Username, residentID, oneLine(err))
		}
	}
	fmt.Fprintf(e.stdout, "已创建账号 %s（%s", u.Username, u.Role.Label())
	if u.ScopeName != "" {
		fmt.Fprintf(e.stdout, "，管辖 %s", u.ScopeName)
	}
	fmt.Fprintln(e.stdout, "）")
	if generated {
		fmt.Fprintf(e.stdout, "动态验证码密钥（请用身份验证器应用添加，登录时需要输入6位验证码）：%s\n  %s\n", authz.GroupSecret(in.TOTPSecret), authz.TOTPURI(in.TOTPSecret, u.Username))
	}
	if residentID != 0 {
		fmt.Fprintf(e.stdout, "已关联居民信息 %d：该账号可在“我的信息”查看、下载并申请更正本人信息\n", residentID)
	}
	return nil
}

// oneLine turns a validation error into its first field and message, for a one-line exit.
func oneLine(err error) error {
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		return fmt.Errorf("%s: %s", ve.Fields[0].Field, ve.Fields[0].Message)
	}
	return err
}

// resolveTerritory accepts a territory id or a 12-digit statistical code.
func resolveTerritory(ctx context.Context, st *store.Store, s string) (int64, error) {
	if model.ValidDivisionCode(s) {
		t, err := st.TerritoryByCode(ctx, authz.System(), s)
		if err != nil {
			return 0, fmt.Errorf("no territory with code %s", s)
		}
		return t.ID, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("--scope %q: give a territory id or a 12-digit code", s)
	}
	if _, err := st.Territory(ctx, authz.System(), id); err != nil {
		return 0, fmt.Errorf("no territory with id %d", id)
	}
	return id, nil
}

// cmdUserUnlock lifts the lock that failed logins put on an account.
func cmdUserUnlock(ctx context.Context, e *env) error {
	var username string
	cfg, _, err := e.parse("user unlock", false, func(fs *flag.FlagSet) {
		fs.StringVar(&username, "username", "", "login name")
	})
	if err != nil {
		return err
	}
	if username == "" {
		return errors.New("usage: gongzhi user unlock --username U")
	}
	st, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	u, err := st.UserByUsername(ctx, username)
	if err != nil {
		return fmt.Errorf("no account named %q", username)
	}
	if _, err := st.AdminAccount(ctx, authz.System(), u.ID, store.ActionUnlock); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "已解锁账号 %s\n", u.Username)
	return nil
}
