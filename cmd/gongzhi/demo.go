package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/demo"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// cmdDemo migrates, loads the demo city (unless the database already holds it), gives every demo
// account a fresh password, prints the URL and the accounts, and serves.
func cmdDemo(ctx context.Context, e *env) error {
	opts := demo.Options{}
	var noServe bool
	cfg, _, err := e.parse("demo", true, func(fs *flag.FlagSet) {
		fs.IntVar(&opts.Households, "households", demo.DefaultHouseholds, "households to generate")
		fs.StringVar(&opts.County, "county", demo.DefaultCounty, "6-digit code of the county to build (default 江油市)")
		fs.Int64Var(&opts.Seed, "seed", demo.DefaultSeed, "generator seed (same seed, same city)")
		fs.BoolVar(&noServe, "no-serve", false, "load and print the accounts, then exit")
	})
	if err != nil {
		return err
	}
	if opts.Households < 1 {
		return errors.New("--households must be at least 1")
	}
	kr, err := ensureDemoKeys(ctx, e, cfg)
	if err != nil {
		return err
	}
	if kr, err = ensureAuditKey(e, cfg, kr, demoKeyPath(cfg)); err != nil {
		return err
	}
	st, err := openWith(ctx, cfg, kr)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	start := time.Now()
	p := progressPrinter(e)
	res, err := demo.Generate(ctx, st, opts, p)
	fmt.Fprintln(e.stderr)
	var districtID int64
	switch {
	case errors.Is(err, model.ErrConflict):
		t, terr := st.TerritoryByCode(ctx, authz.System(), opts.County+"000000")
		if terr != nil {
			return err
		}
		districtID = t.ID
		fmt.Fprintf(e.stdout, "数据库中已有%s的演示数据（%d 户，%d 人），直接使用。\n", t.Name, t.Households, t.Residents)
	case err != nil:
		return err
	default:
		districtID = res.DistrictID
		fmt.Fprintf(e.stdout, "已生成%s演示数据：%d 个街道/乡镇，%d 个社区，%d 个网格，%d 个小区，%d 栋楼，%d 户，%d 人（用时 %s）\n",
			res.District, res.Streets, res.Communities, res.Grids, res.Compounds, res.Buildings, res.Households, res.Residents,
			time.Since(start).Round(100*time.Millisecond))
	}
	accounts, err := demoAccounts(ctx, st, districtID, e.getenv("GONGZHI_ADMIN_PASSWORD"), e.getenv("GONGZHI_ADMIN_TOTP_SECRET"))
	if err != nil {
		return err
	}
	public := demoPublicPath(ctx, st)
	if noServe {
		printAccounts(e.stdout, "", accounts, public)
		return nil
	}
	return serve(ctx, e, cfg, st, func(addr net.Addr) {
		printAccounts(e.stdout, "http://"+addr.String()+"/", accounts, public)
	})
}

type demoAccount struct {
	username, password string
	secret             string // TOTP secret of staff accounts
	role               model.Role
	scope              string
}

// demoAccounts creates (or resets the password, second-factor secret and lock of) one account
// per role, each scoped to a plausible node of the demo city: the district, its first street,
// that street's first community, its first grid, a stairwell in it. adminPassword and
// adminSecret, when not empty, are admin's password and TOTP secret.
func demoAccounts(ctx context.Context, st *store.Store, districtID int64, adminPassword, adminSecret string) ([]demoAccount, error) {
	sys := authz.System()
	if adminSecret != "" {
		s, err := authz.NormalizeTOTPSecret(adminSecret)
		if err != nil {
			return nil, fmt.Errorf("GONGZHI_ADMIN_TOTP_SECRET: %w", err)
		}
		adminSecret = s
	}
	// largest picks the node of kind under parent with the most households: the busy urban
	// street and community a newcomer expects to see first.
	largest := func(parent int64, kind model.TerritoryKind) (*model.Territory, error) {
		p, err := st.Territories(ctx, sys, store.TerritoryFilter{Under: parent, Kind: kind, Limit: store.MaxLimit})
		if err != nil {
			return nil, err
		}
		var best *model.Territory
		for _, t := range p.Items {
			if best == nil || t.Households > best.Households || (t.Households == best.Households && t.Code < best.Code) {
				best = t
			}
		}
		if best == nil {
			return nil, fmt.Errorf("demo city has no %s under node %d", kind, parent)
		}
		return best, nil
	}
	first := largest
	district, err := st.Territory(ctx, sys, districtID)
	if err != nil {
		return nil, err
	}
	street, err := first(district.ID, model.KindStreet)
	if err != nil {
		return nil, err
	}
	community, err := first(street.ID, model.KindCommunity)
	if err != nil {
		return nil, err
	}
	grid, err := first(community.ID, model.KindGrid)
	if err != nil {
		return nil, err
	}
	stair, err := first(grid.ID, model.KindStairwell)
	if err != nil {
		return nil, err
	}
	plan := []struct {
		username string
		role     model.Role
		scope    *model.Territory
	}{
		{"admin", model.RoleSystemAdmin, nil},
		{"district", model.RoleDistrictAdmin, district},
		{"street", model.RoleStreetAdmin, street},
		{"community", model.RoleCommunityAdmin, community},
		{"staff", model.RoleCommunityStaff, community},
		{"grid", model.RoleGridLeader, grid},
		{"unit", model.RoleUnitLeader, stair},
		{"member", model.RoleMember, stair},
		{"secretary", model.RoleMember, grid}, // holds the post of the grid branch's secretary (demo_party.go)
		{"resident", model.RoleResident, stair},
		{"partner", model.RolePartner, community},
		{"auditor", model.RoleAuditor, street},
	}
	var out []demoAccount
	for _, a := range plan {
		pw := randomPassword(a.username)
		if a.username == "admin" && adminPassword != "" {
			pw = adminPassword
		}
		acc := demoAccount{username: a.username, password: pw, role: a.role}
		if a.role.NeedsSecondFactor() {
			acc.secret = authz.NewTOTPSecret()
			if a.username == "admin" && adminSecret != "" {
				acc.secret = adminSecret
			}
		}
		var scopeID, orgID int64
		if a.scope != nil {
			scopeID, acc.scope = a.scope.ID, a.scope.Name
		}
		if a.role == model.RolePartner {
			// The partner is the account of a co-building unit of the demo community.
			p, err := st.Organizations(ctx, sys, store.OrganizationFilter{Under: community.ID, Type: model.OrgCoBuilding, Limit: 1})
			if err != nil {
				return nil, err
			}
			if len(p.Items) == 0 {
				continue // no register in a tiny demo
			}
			orgID, acc.scope = p.Items[0].ID, p.Items[0].Name
		}
		var unitID int64
		if a.role == model.RoleUnitLeader {
			// The unit leader leads a real unit: its scope is that unit's households.
			unit, err := demoLeaderUnit(ctx, st, stair)
			if err != nil {
				return nil, err
			}
			// A unit formed just now gets its months of joint activities like the demo's own.
			if _, err := demo.UnitActivities(ctx, st, demo.Options{}); err != nil {
				return nil, err
			}
			unitID, acc.scope = unit.ID, unit.Name
		}
		u, err := st.UserByUsername(ctx, a.username)
		switch {
		case errors.Is(err, model.ErrNotFound):
			_, err = st.CreateUser(ctx, sys, store.UserInput{Username: a.username, DisplayName: "演示" + a.role.Label(),
				Password: pw, Role: a.role, ScopeID: scopeID, TOTPSecret: acc.secret, OrganizationID: orgID, UnitID: unitID})
		case err == nil:
			acc.scope = u.ScopeName // an existing account keeps the scope it was given
			if err = st.SetPassword(ctx, u.ID, pw); err == nil {
				err = st.SetTOTPSecret(ctx, u.ID, acc.secret)
			}
			if err == nil {
				// A demo left alone for 90 days, or locked by failed logins, works again.
				_, err = st.AdminAccount(ctx, sys, u.ID, store.ActionEnable)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("demo account %s: %w", a.username, err)
		}
		out = append(out, acc)
	}
	if err := demoSubjects(ctx, st, stair); err != nil {
		return nil, err
	}
	if err := demoLeaders(ctx, st, community, stair); err != nil {
		return nil, err
	}
	if err := demoConflicts(ctx, st, street, community, grid); err != nil {
		return nil, err
	}
	if err := demoParty(ctx, st, grid); err != nil {
		return nil, err
	}
	if err := demoOrders(ctx, st, community); err != nil {
		return nil, err
	}
	if err := demoLists(ctx, st, community); err != nil {
		return nil, err
	}
	if err := demoVotes(ctx, st, street, community); err != nil {
		return nil, err
	}
	if err := demoNotices(ctx, st, community); err != nil {
		return nil, err
	}
	if err := demoTopics(ctx, st, stair); err != nil {
		return nil, err
	}
	if err := demoSurveys(ctx, st, street, community); err != nil {
		return nil, err
	}
	if err := demoBudget(ctx, st, street, community); err != nil {
		return nil, err
	}
	if err := demoBurden(ctx, st, street, community); err != nil {
		return nil, err
	}
	if err := demoWorkers(ctx, st, community); err != nil {
		return nil, err
	}
	if err := demoBodies(ctx, st, street); err != nil {
		return nil, err
	}
	if err := demoCentres(ctx, st, community); err != nil {
		return nil, err
	}
	if err := demoFunds(ctx, st, community); err != nil { // special funds (issue 12)
		return nil, err
	}
	if err := demoContract(ctx, st, community); err != nil { // purchased services (issue 12)
		return nil, err
	}
	return out, nil
}

// randomPassword is 16 characters from an alphabet without look-alikes that passes the
// password rules for username.
func randomPassword(username string) string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
	for {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		for i := range b {
			b[i] = alphabet[int(b[i])%len(alphabet)]
		}
		if authz.CheckNewPassword(string(b), username) == "" {
			return string(b)
		}
	}
}

// demoPublicPath is the path of the demo community's public disclosure page (/p/{code}), ""
// when the demo staff account's community has no code.
func demoPublicPath(ctx context.Context, st *store.Store) string {
	u, err := st.UserByUsername(ctx, "staff")
	if err != nil || u.ScopeID == 0 {
		return ""
	}
	t, err := st.Territory(ctx, authz.System(), u.ScopeID)
	if err != nil || t.Code == "" {
		return ""
	}
	return "/p/" + t.Code
}

func printAccounts(w io.Writer, url string, accounts []demoAccount, public string) {
	if url != "" {
		fmt.Fprintf(w, "\n共治演示已启动：%s\n\n", url)
	}
	fmt.Fprintln(w, "演示账号（用户名 / 密码 — 角色，管辖范围，工作人员的动态验证码密钥；每次运行 demo 都会重置密码和密钥）：")
	for _, a := range accounts {
		scope := a.scope
		if scope == "" {
			scope = "全部"
		}
		fmt.Fprintf(w, "  %-10s %s — %s（%s），%s", a.username, a.password, a.role.Label(), a.role, scope)
		if a.secret != "" {
			fmt.Fprintf(w, "，动态验证码密钥 %s", a.secret)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "工作人员登录时还要输入6位动态验证码：把密钥添加到手机上的身份验证器应用，或运行 gongzhi otp 密钥 获取当前验证码。")
	if public != "" {
		fmt.Fprintf(w, "演示社区的党务居务公开栏（无需登录）：%s%s\n", strings.TrimSuffix(url, "/"), public)
	}
	fmt.Fprintln(w)
}
