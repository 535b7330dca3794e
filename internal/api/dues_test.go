package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

type duesMonthOut struct {
	Month     string `json:"month"`
	Due       bool   `json:"due"`
	Paid      bool   `json:"paid"`
	AmountFen int64  `json:"amount_fen"`
	PaidOn    string `json:"paid_on"`
	PaidBy    string `json:"paid_by"`
}

type duesPaymentOut struct {
	ID         string  `json:"id"`
	Month      string  `json:"month"`
	AmountFen  int64   `json:"amount_fen"`
	Amount     string  `json:"amount"`
	PaidOn     string  `json:"paid_on"`
	PaidBy     string  `json:"paid_by"`
	RecordedBy *string `json:"recorded_by"`
	Note       string  `json:"note"`
	CreatedAt  string  `json:"created_at"`
}

type duesAccountOut struct {
	MemberID      string           `json:"member_id"`
	Name          string           `json:"name"`
	OrgID         string           `json:"org_id"`
	OrgName       string           `json:"org_name"`
	Category      string           `json:"category"`
	CategoryLabel string           `json:"category_label"`
	Year          int              `json:"year"`
	Declared      bool             `json:"income_declared"`
	Subsistence   bool             `json:"subsistence"`
	MonthlyFen    int64            `json:"monthly_fen"`
	Monthly       string           `json:"monthly"`
	DueFen        int64            `json:"due_fen"`
	PaidFen       int64            `json:"paid_fen"`
	ArrearsFen    int64            `json:"arrears_fen"`
	Arrears       []string         `json:"arrears"`
	Months        []duesMonthOut   `json:"months"`
	Payments      []duesPaymentOut `json:"payments"`
}

// TestDuesAPI: income declared (never echoed), payments recorded also on a member's behalf, a
// fraction of a fen refused (422 on amount) and a second payment for a month refused (409) with
// nothing changed, arrears per org, a member's own account, and no dues for a grid leader.
func TestDuesAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		ctx := context.Background()
		branch := storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", f.tree.gridA, 0)
		m1 := storetest.PartyMember(t, st, "王建国", branch, 0)
		m2 := storetest.PartyMember(t, st, "李秀英", branch, 0)
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		grid := f.mustToken(t, model.RoleGridLeader, f.tree.gridA)
		year := time.Now().In(model.Shanghai).Year()
		month := time.Now().In(model.Shanghai).Format("2006-01")

		r := f.mustDo(t, staff, "PUT", "/api/v1/party/dues/members/"+id(m1)+"/income", map[string]any{"income": "4500"})
		a := mustJSON[duesAccountOut](t, r, 200)
		if !a.Declared || a.MonthlyFen != 2250 || a.Monthly != "22.50" || strings.Contains(string(r.body), "4500") {
			t.Errorf("declared (retired, 4500 yuan): %s", r.body)
		}
		if p := mustProblem(t, f.mustDo(t, staff, "PUT", "/api/v1/party/dues/members/"+id(m2)+"/income", map[string]any{"income": "3000.001"}), 422); message(p, "income") == "" {
			t.Errorf("income with a fraction of a fen: %+v", p)
		}
		mustJSON[duesAccountOut](t, f.mustDo(t, staff, "PUT", "/api/v1/party/dues/members/"+id(m2)+"/income", map[string]any{"income": "3000"}), 200)

		path := "/api/v1/party/dues/members/" + id(m1) + "/payments"
		if p := mustProblem(t, f.mustDo(t, staff, "POST", path, map[string]any{"month": month, "amount": "22.505"}), 422); message(p, "amount") == "" {
			t.Errorf("a fraction of a fen: %+v", p)
		}
		pay := mustJSON[duesPaymentOut](t, f.mustDo(t, staff, "POST", path, map[string]any{"month": month, "amount": "22.50", "paid_by": "王小明"}), 201)
		if pay.AmountFen != 2250 || pay.PaidBy != "王小明" {
			t.Errorf("payment on behalf = %+v", pay)
		}
		mustProblem(t, f.mustDo(t, staff, "POST", path, map[string]any{"month": month, "amount": "22.50"}), 409)

		got := mustJSON[duesAccountOut](t, f.mustDo(t, staff, "GET", "/api/v1/party/dues/members/"+id(m1), nil), 200)
		if got.PaidFen != 2250 || got.ArrearsFen != 0 || len(got.Months) != 12 {
			t.Errorf("account after one payment = %+v", got)
		}
		if mo := got.Months[time.Now().In(model.Shanghai).Month()-1]; !mo.Due || !mo.Paid || mo.AmountFen != 2250 || mo.PaidBy != "王小明" {
			t.Errorf("this month = %+v", mo)
		}
		sum := mustJSON[struct {
			Year       int   `json:"year"`
			DueFen     int64 `json:"due_fen"`
			PaidFen    int64 `json:"paid_fen"`
			ArrearsFen int64 `json:"arrears_fen"`
			Items      []struct {
				OrgID            string `json:"org_id"`
				OrgName          string `json:"org_name"`
				Members          int    `json:"members"`
				MembersInArrears int    `json:"members_in_arrears"`
				DueFen           int64  `json:"due_fen"`
				PaidFen          int64  `json:"paid_fen"`
				ArrearsFen       int64  `json:"arrears_fen"`
			} `json:"items"`
		}](t, f.mustDo(t, staff, "GET", "/api/v1/party/dues?org="+id(branch), nil), 200)
		if sum.Year != year || sum.PaidFen != 2250 || sum.ArrearsFen != 1500 || len(sum.Items) != 1 || sum.Items[0].Members != 2 || sum.Items[0].MembersInArrears != 1 {
			t.Errorf("summary = %+v", sum)
		}
		accounts := mustJSON[struct {
			Items      []duesAccountOut `json:"items"`
			NextCursor string           `json:"next_cursor"`
			Total      *int64           `json:"total"`
		}](t, f.mustDo(t, staff, "GET", "/api/v1/party/dues/members", nil), 200)
		if len(accounts.Items) != 2 || accounts.Items[1].MemberID != id(m2) || len(accounts.Items[1].Arrears) != 1 || accounts.Items[1].Arrears[0] != month {
			t.Errorf("accounts = %+v", accounts.Items)
		}
		mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/party/dues?year=20x6", nil), 400)
		if x := f.mustDo(t, staff, "GET", "/api/v1/party/dues/statement?org="+id(branch), nil); x.status != 200 || !strings.HasPrefix(string(x.body), "PK") {
			t.Errorf("statement = %d, %d bytes", x.status, len(x.body))
		}
		if p := mustProblem(t, f.mustDo(t, staff, "GET", "/api/v1/party/dues/statement", nil), 400); message(p, "org") == "" {
			t.Errorf("statement without org: %+v", p)
		}

		// A grid leader reads members of its grid's branch but no dues.
		mustProblem(t, f.mustDo(t, grid, "GET", "/api/v1/party/dues", nil), 403)
		mustProblem(t, f.mustDo(t, grid, "GET", "/api/v1/party/dues/members/"+id(m1), nil), 403)
		mustProblem(t, f.mustDo(t, grid, "POST", "/api/v1/party/dues/members/"+id(m2)+"/payments", map[string]any{"month": month, "amount": "15"}), 403)

		// The member reads its own account.
		me := f.mustToken(t, model.RoleMember, f.tree.stairA)
		storetest.Exec(t, st, `UPDATE party_members SET user_id = (SELECT id FROM users WHERE username = ?) WHERE id = ? RETURNING id`, "member-"+id(f.tree.stairA.ID), m1)
		mine := mustJSON[duesAccountOut](t, f.mustDo(t, me, "GET", "/api/v1/party/dues/me", nil), 200)
		if mine.MemberID != id(m1) || mine.PaidFen != 2250 {
			t.Errorf("my dues = %+v", mine)
		}
		// Nothing was recorded for the refused payments.
		var n int
		if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM party_dues_payments`).Scan(&n); err != nil || n != 1 {
			t.Errorf("payments = %d, %v; want 1", n, err)
		}
	})
}

// TestDuesPaymentRaceAPI: 50 requests recording the same member's same month at the same
// moment through the server: one 201, 49 problems with 409, one payment recorded.
func TestDuesPaymentRaceAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		branch := storetest.PartyOrg(t, st, "grid_branch", "", "第一网格党支部", f.tree.gridA, 0)
		m := storetest.PartyMember(t, st, "王建国", branch, 0)
		staff := f.mustToken(t, model.RoleCommunityStaff, f.tree.community)
		month := time.Now().In(model.Shanghai).Format("2006-01")
		path := "/api/v1/party/dues/members/" + id(m) + "/payments"
		const n = 50
		start := make(chan struct{})
		replies := make(chan reply, n)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				req, err := http.NewRequest("POST", f.url+path, strings.NewReader(`{"month":"`+month+`","amount":"13"}`))
				if err != nil {
					replies <- reply{status: -1, body: []byte(err.Error())}
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+staff)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					replies <- reply{status: -1, body: []byte(err.Error())}
					return
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if err != nil {
					replies <- reply{status: -1, body: []byte(err.Error())}
					return
				}
				replies <- reply{status: resp.StatusCode, header: resp.Header, body: b}
			}()
		}
		close(start)
		wg.Wait()
		close(replies)
		var created int
		for r := range replies {
			if r.status == 201 {
				created++
				continue
			}
			mustProblem(t, r, 409)
		}
		if created != 1 {
			t.Errorf("%d payments created, want 1", created)
		}
		var rows int
		if err := st.DB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM party_dues_payments WHERE member_id = `+id(m)).Scan(&rows); err != nil || rows != 1 {
			t.Errorf("payment rows = %d, %v; want 1", rows, err)
		}
	})
}
