package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

type orderOut struct {
	ID          string  `json:"id"`
	Status      string  `json:"status"`
	HouseholdID *string `json:"household_id"`
	Address     string  `json:"address"`
	Taker       *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"taker"`
	Stars   int      `json:"stars"`
	Actions []string `json:"actions"`
	History []struct {
		Action string `json:"action"`
		Actor  string `json:"actor"`
	} `json:"history"`
}

// tokenFor is an API token of a fresh account with role at node, linked to resident (0: none).
func tokenFor(tb testing.TB, st *store.Store, name string, role model.Role, node *model.Territory, resident int64) (string, *model.User) {
	tb.Helper()
	u := storetest.RawUser(tb, st, name, role, node)
	if resident != 0 {
		if err := st.LinkResident(context.Background(), authz.System(), u.ID, resident); err != nil {
			tb.Fatal(err)
		}
	}
	tok, _, err := st.CreateAPIToken(context.Background(), u, "测试", 0, 30)
	if err != nil {
		tb.Fatal(err)
	}
	return tok, u
}

// send is mustDo with extra headers.
func (f *fixture) send(tb testing.TB, token, method, path string, header map[string]string, body any) reply {
	tb.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	req, err := http.NewRequest(method, f.url+path, bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: rb}
}

// TestOrderAPI: a resident places an order (an Idempotency-Key resent gives the same order; with
// another body 409); bad input is 422 naming the field, with nothing stored; fifty volunteers
// claim it at once through HTTP: one 200, the rest 409 "已被他人接单"; the taker marks it done;
// the household rates it once (a second rating 409), never with six stars; a neighbour reads
// nothing of it (404).
func TestOrderAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		ctx := context.Background()
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		h := f.mustHousehold(t, staff, f.tree.stairA, "1栋1单元201室", person{Name: "王奶奶", IDNumber: validID("510781", "19400101", 601), Relation: "户主"})
		n := f.mustHousehold(t, staff, f.tree.stairA, "1栋1单元202室", person{Name: "李大哥", IDNumber: validID("510781", "19800101", 602), Relation: "户主"})
		headOf := func(hid string) int64 {
			rs, err := st.Residents(ctx, authz.System(), store.ResidentFilter{HouseholdID: mustInt(t, hid)})
			if err != nil || len(rs.Items) == 0 {
				t.Fatalf("residents of %s: %v", hid, err)
			}
			return rs.Items[0].ID
		}
		res, _ := tokenFor(t, st, "wang", model.RoleResident, f.tree.stairA, headOf(h.ID))
		neighbour, _ := tokenFor(t, st, "li", model.RoleResident, f.tree.stairA, headOf(n.ID))
		cats := someJSON[struct {
			Items []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"items"`
		}](t, f.mustDo(t, res, "GET", "/api/v1/orders/categories?community="+id(f.tree.community.ID), nil), http.StatusOK)
		if len(cats.Items) == 0 {
			t.Fatal("no categories")
		}
		body := map[string]any{"category_id": cats.Items[0].ID, "description": "帮忙取药", "preferred_time": "今天下午"}
		key := map[string]string{"Idempotency-Key": "abc-1"}
		first := someJSON[orderOut](t, f.send(t, res, "POST", "/api/v1/orders", key, body), http.StatusCreated)
		again := someJSON[orderOut](t, f.send(t, res, "POST", "/api/v1/orders", key, body), http.StatusOK)
		if again.ID != first.ID || first.Status != "open" || first.HouseholdID == nil || *first.HouseholdID != h.ID {
			t.Fatalf("first %+v, again %+v", first, again)
		}
		other := map[string]any{"category_id": cats.Items[0].ID, "description": "别的事"}
		mustProblem(t, f.send(t, res, "POST", "/api/v1/orders", key, other), http.StatusConflict)
		if p := mustProblem(t, f.mustDo(t, res, "POST", "/api/v1/orders", map[string]any{"category_id": cats.Items[0].ID}), http.StatusUnprocessableEntity); message(p, "description") == "" {
			t.Errorf("no description: %+v", p)
		}
		if p := mustProblem(t, f.mustDo(t, res, "POST", "/api/v1/orders", map[string]any{"category_id": cats.Items[0].ID, "description": "x", "household_id": n.ID}), http.StatusUnprocessableEntity); message(p, "household_id") == "" {
			t.Errorf("for a neighbour: %+v", p)
		}
		ct, form := activityForm(t, map[string]string{"category_id": cats.Items[0].ID, "description": "漏水"}, []byte("<html>not a photo</html>"))
		if p := mustProblem(t, f.mustDoAs(t, res, "POST", "/api/v1/orders", ct, form), http.StatusUnprocessableEntity); message(p, "photos[0]") == "" {
			t.Errorf("a photo that is not one: %+v", p)
		}
		if k := mustCountAPI(t, st, `SELECT COUNT(*) FROM orders`); k != 1 {
			t.Errorf("%d orders stored after the refusals", k)
		}
		path := "/api/v1/orders/" + first.ID
		mustProblem(t, f.mustDo(t, neighbour, "GET", path, nil), http.StatusNotFound)
		if p := mustProblem(t, f.mustDo(t, res, "POST", path+"/transitions", map[string]any{"action": "rate", "stars": 5}), http.StatusConflict); p.Detail == "" {
			t.Errorf("rating an open order: %+v", p)
		}
		mustProblem(t, f.mustDo(t, res, "POST", path+"/claim", nil), http.StatusForbidden)
		mustProblem(t, f.mustDo(t, res, "POST", path+"/transitions", map[string]any{"action": "fly"}), http.StatusUnprocessableEntity)

		// Fifty volunteers of the community claim it at once.
		const k = 50
		vols := make([]string, k)
		for i := range k {
			tok, u := tokenFor(t, st, fmt.Sprintf("vol%d", i), model.RoleResident, f.tree.stairB, 0)
			if _, err := st.RegisterTaker(ctx, authz.System(), store.TakerInput{UserID: u.ID, Kind: "volunteer", Name: fmt.Sprintf("志愿者%d", i), TerritoryID: f.tree.gridB.ID}); err != nil {
				t.Fatal(err)
			}
			vols[i] = tok
		}
		sug := someJSON[struct {
			Items []struct {
				Reason string `json:"reason"`
			} `json:"items"`
		}](t, f.mustDo(t, staff, "GET", path+"/suggestions?limit=5", nil), http.StatusOK)
		if len(sug.Items) != 5 || sug.Items[0].Reason == "" {
			t.Errorf("suggestions: %+v", sug)
		}
		mustProblem(t, f.mustDo(t, res, "GET", path+"/suggestions", nil), http.StatusForbidden)
		var wg sync.WaitGroup
		replies := make([]reply, k)
		for i := range k {
			wg.Add(1)
			go func() {
				defer wg.Done()
				replies[i] = f.mustDo(t, vols[i], "POST", path+"/claim", nil)
			}()
		}
		wg.Wait()
		winner := -1
		for i, r := range replies {
			switch r.status {
			case http.StatusOK:
				if winner >= 0 {
					t.Fatalf("two claims succeeded: %d and %d", winner, i)
				}
				winner = i
			case http.StatusConflict:
				if p := mustProblem(t, r, http.StatusConflict); p.Detail != "已被他人接单" {
					t.Errorf("loser's problem: %+v", p)
				}
			default:
				t.Errorf("claim %d: %v", i, r)
			}
		}
		if winner < 0 {
			t.Fatal("no claim succeeded")
		}
		done := someJSON[orderOut](t, f.mustDo(t, vols[winner], "POST", path+"/transitions", map[string]any{"action": "done", "hours": 2}), http.StatusOK)
		if done.Status != "done" || done.Taker == nil || done.Address == "" {
			t.Errorf("done: %+v", done)
		}
		if p := mustProblem(t, f.mustDo(t, res, "POST", path+"/transitions", map[string]any{"action": "rate", "stars": 6}), http.StatusUnprocessableEntity); message(p, "stars") == "" {
			t.Errorf("six stars: %+v", p)
		}
		mustProblem(t, f.mustDo(t, neighbour, "POST", path+"/transitions", map[string]any{"action": "rate", "stars": 1}), http.StatusNotFound)
		rated := someJSON[orderOut](t, f.mustDo(t, res, "POST", path+"/transitions", map[string]any{"action": "rate", "stars": 5, "comment": "谢谢"}), http.StatusOK)
		if rated.Status != "rated" || rated.Stars != 5 || len(rated.History) != 4 {
			t.Errorf("rated: %+v", rated)
		}
		mustProblem(t, f.mustDo(t, res, "POST", path+"/transitions", map[string]any{"action": "rate", "stars": 4}), http.StatusConflict)
		// The staff's board lists it; the household's list is its own.
		board := someJSON[struct {
			Items []orderOut `json:"items"`
			Total int        `json:"total"`
		}](t, f.mustDo(t, staff, "GET", "/api/v1/orders?status=rated", nil), http.StatusOK)
		if board.Total != 1 {
			t.Errorf("staff board: %+v", board)
		}
		mine := someJSON[struct {
			Items []orderOut `json:"items"`
			Total int        `json:"total"`
		}](t, f.mustDo(t, neighbour, "GET", "/api/v1/orders", nil), http.StatusOK)
		if mine.Total != 0 {
			t.Errorf("the neighbour's orders: %+v", mine)
		}
	})
}

func mustCountAPI(tb testing.TB, st *store.Store, q string) int {
	tb.Helper()
	var n int
	if err := st.DB().QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// someJSON checks the status and decodes the fields of the body T names (the tests here read a
// few fields of large objects; TestOpenAPI pins their shape).
func someJSON[T any](tb testing.TB, r reply, want int) T {
	tb.Helper()
	var v T
	if r.status != want {
		tb.Fatalf("status = %v, want %d", r, want)
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		tb.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}
