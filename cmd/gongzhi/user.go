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
	if len(e.args) == 0 || e.args[0] != "add" {
		return errors.New("usage: gongzhi user add --username U --password P --role ROLE [--scope TERRITORY_ID_OR_CODE]")
	}
	e.args = e.args[1:]
	var in store.UserInput
	var role, scope string
	cfg, _, err := e.parse("user add", false, func(fs *flag.FlagSet) {
		fs.StringVar(&in.Username, "username", "", "login name")
		fs.StringVar(&in.Password, "password", "", "password (at least 12 characters)")
		fs.StringVar(&in.DisplayName, "name", "", "display name")
		fs.StringVar(&role, "role", "", "role: system_admin, district_admin, street_admin, community_admin, community_staff, grid_leader, unit_leader, member, resident, partner")
		fs.StringVar(&scope, "scope", "", "territory id or 12-digit code the account is limited to")
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
	u, err := st.CreateUser(ctx, authz.System(), in)
	if err != nil {
		var ve *model.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("%s: %s", ve.Fields[0].Field, ve.Fields[0].Message)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "已创建账号 %s（%s", u.Username, u.Role.Label())
	if u.ScopeName != "" {
		fmt.Fprintf(e.stdout, "，管辖 %s", u.ScopeName)
	}
	fmt.Fprintln(e.stdout, "）")
	return nil
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
