package demo

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestVotes: a community gets votes in every state — closed weeks ago by the staff account with
// 55–90% of the roll voted, some ballots by proxy, and a result the stored ballots reproduce;
// open over the demo resident's compound, closing days ahead, part of the roll voted but not
// the kept household, so the resident's account is on the roll and has not voted; cancelled
// with its reason — and a second run adds nothing.
func TestVotes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, sys := context.Background(), authz.System()
		mk := func(parent int64, kind model.TerritoryKind, name string) *model.Territory {
			n, err := st.CreateTerritory(ctx, sys, model.TerritoryInput{ParentID: parent, Kind: kind, Name: name})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		district := mk(0, model.KindDistrict, "江油市")
		community := mk(mk(district.ID, model.KindStreet, "中坝街道").ID, model.KindCommunity, "天宝社区")
		g := &generator{seq: map[uint64]uint16{}}
		var own, ownResident int64
		for c, size := range []int{40, 24} {
			compound := mk(community.ID, model.KindCompound, fmt.Sprintf("第%d小区", c+1))
			stair := mk(mk(compound.ID, model.KindBuilding, "1栋").ID, model.KindStairwell, "1单元")
			for j := range size {
				h, err := st.CreateHousehold(ctx, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: fmt.Sprintf("%d小区1栋1单元%d号", c+1, j+1)})
				if err != nil {
					t.Fatal(err)
				}
				for k, rel := range []model.Relation{model.RelationHead, model.RelationSpouse} {
					id, _ := g.idNumber(510781, time.Date(1960+c, 3, 1+j%28, 0, 0, 0, 0, time.UTC), k == 0)
					r, err := st.CreateResident(ctx, sys, model.ResidentInput{HouseholdID: h.ID, Name: fmt.Sprintf("居民%d-%d-%d", c, j, k), IDNumber: id, Relation: rel})
					if err != nil {
						t.Fatal(err)
					}
					if c == 0 && j == 0 && k == 0 {
						own, ownResident = h.ID, r.ID
					}
				}
			}
		}
		mustUser := func(name string, role model.Role, secret string) *model.User {
			u, err := st.CreateUser(ctx, sys, store.UserInput{Username: name, DisplayName: name, Password: "a long demo passphrase 42", Role: role,
				ScopeID: community.ID, TOTPSecret: secret})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		staff := mustUser("staff", model.RoleCommunityStaff, authz.NewTOTPSecret())
		resident := mustUser("resident", model.RoleResident, "")
		if err := st.LinkResident(ctx, sys, resident.ID, ownResident); err != nil {
			t.Fatal(err)
		}
		today := time.Now().In(model.Shanghai)
		res, err := Votes(ctx, st, authz.ForUser(staff), community.ID, own, []int64{own}, 7, today)
		if err != nil {
			t.Fatal(err)
		}
		if res.Closed != 3 || res.Open != 2 || res.Cancelled != 1 || res.Proxy == 0 || res.Proxy == res.Ballots {
			t.Errorf("result %+v, want 3 closed, 2 open, 1 cancelled, some ballots by proxy and some not", res)
		}
		p, err := st.Votes(ctx, sys, store.VoteFilter{Limit: store.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		states := map[model.VoteStatus]int{}
		ballots, proxies := 0, 0
		now := time.Now()
		for _, v := range p.Items {
			states[v.Status]++
			ballots += v.Voted
			if v.CommunityID != community.ID || v.CreatedByName != "staff" || v.Eligible == 0 {
				t.Errorf("vote %s: community %d, opened by %q, %d on the roll", v.Title, v.CommunityID, v.CreatedByName, v.Eligible)
			}
			rp, err := st.VoteRoll(ctx, authz.ForUser(staff), v.ID, store.VoteRollFilter{Limit: store.MaxLimit})
			if err != nil {
				t.Fatal(err)
			}
			roll := rp.Items
			for _, e := range roll {
				if e.Proxy {
					proxies++
				}
			}
			switch v.Status {
			case model.VoteClosed:
				_, r, err := st.VoteResult(ctx, sys, v.ID)
				if err != nil {
					t.Fatal(err)
				}
				share := float64(v.Voted) / float64(v.Eligible)
				if !r.Reproduced || r.Ballots != v.Voted || share < 0.55 || share > 0.9 || v.ClosedAt == nil || !v.ClosedAt.Before(now.AddDate(0, 0, -14)) {
					t.Errorf("closed vote %s: %d of %d voted, closed %v, result %+v", v.Title, v.Voted, v.Eligible, v.ClosedAt, r)
				}
			case model.VoteOpen:
				if !v.Accepting(now) || v.ClosesAt.Before(now.AddDate(0, 0, 3)) || v.Voted == 0 || v.Voted*2 >= v.Eligible {
					t.Errorf("open vote %s: %d of %d voted, closes %v", v.Title, v.Voted, v.Eligible, v.ClosesAt)
				}
				mine, err := st.Vote(ctx, authz.ForUser(resident), v.ID)
				if err != nil || !mine.Caller.OnRoll || mine.Caller.Voted {
					t.Errorf("open vote %s as the resident: %+v, %v; want on the roll, not voted", v.Title, mine, err)
				}
			case model.VoteCancelled:
				if v.CancelReason == "" || v.ClosedAt == nil {
					t.Errorf("cancelled vote %s: reason %q, closed %v", v.Title, v.CancelReason, v.ClosedAt)
				}
			}
		}
		if states[model.VoteClosed] != 3 || states[model.VoteOpen] != 2 || states[model.VoteCancelled] != 1 || ballots != res.Ballots || proxies != res.Proxy {
			t.Errorf("votes by state %v, %d ballots of which %d by proxy; want 3, 2, 1 and the result %+v", states, ballots, proxies, res)
		}
		again, err := Votes(ctx, st, authz.ForUser(staff), community.ID, own, []int64{own}, 7, today)
		if err != nil || again != (VotesResult{}) {
			t.Errorf("second run: %+v, %v", again, err)
		}
	})
}
