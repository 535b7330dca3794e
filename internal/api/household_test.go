package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
	"gongzhi/internal/store/storetest"
)

// TestHouseholdRoundTrip creates a household with its residents, reads, lists, changes and
// moves it out through the API, checking each answer.
func TestHouseholdRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		tok := f.mustToken(t, model.RoleCommunityAdmin, tr.community)
		headID, wifeID := validID("510781", "19580312", 11), validID("510781", "19600505", 22)

		r := f.mustDo(t, tok, "POST", "/api/v1/households", newHousehold{
			TerritoryID: id(tr.stairA.ID), Address: " 3单元502室 ", Flags: model.HouseholdFlags{Hardship: true}, MovedInAt: "2019-05-01",
			Residents: []person{
				{Name: "张建国", IDNumber: headID, Phone: "13812345678", Relation: "户主", PoliticalStatus: "party_member", Occupation: "退休"},
				{Name: "李秀英", IDNumber: wifeID, Relation: "配偶"},
			}})
		h := mustJSON[householdOut](t, r, http.StatusCreated)
		if got, want := r.header.Get("Location"), "/api/v1/households/"+h.ID; got != want {
			t.Errorf("Location = %q, want %q", got, want)
		}
		if h.TerritoryID != id(tr.stairA.ID) || h.Address != "3单元502室" || h.HeadName != "张建国" || h.Members != 2 ||
			!h.Flags.Hardship || h.Flags.Mobile || h.MovedInAt == nil || *h.MovedInAt != "2019-05-01" || h.MovedOutAt != nil {
			t.Errorf("created household = %+v", h)
		}
		if !strings.HasSuffix(h.CreatedAt, "+08:00") {
			t.Errorf("created_at = %q, want a time in Asia/Shanghai (+08:00)", h.CreatedAt)
		}
		if len(h.Residents) != 2 {
			t.Fatalf("created household has %d residents, want 2", len(h.Residents))
		}
		head := h.Residents[0]
		want := residentOut{ID: head.ID, HouseholdID: h.ID, TerritoryID: id(tr.stairA.ID), Name: "张建国", Gender: "male",
			BirthDate: "1958-03-12", Age: head.Age, Phone: "138****5678", IDNumber: model.MaskIDNumber(headID), Masked: true,
			Relation: "head", RelationLabel: "户主", PoliticalStatus: "party_member", PoliticalStatusLabel: "中共党员", Occupation: "退休", // the Chinese word in, the id out
			CreatedAt: head.CreatedAt, UpdatedAt: head.UpdatedAt}
		if head != want {
			t.Errorf("head = %+v\nwant %+v", head, want)
		}
		if head.Age < 66 {
			t.Errorf("age = %d, want at least 66", head.Age)
		}
		if w := h.Residents[1]; w.Gender != "female" || w.PoliticalStatus != "masses" || w.PoliticalStatusLabel != "群众" || w.Phone != "" {
			t.Errorf("wife = %+v (gender and status derived, no phone)", w)
		}

		got := mustJSON[householdOut](t, f.mustDo(t, tok, "GET", "/api/v1/households/"+h.ID+"?include=residents", nil), http.StatusOK)
		if got.ID != h.ID || got.Members != 2 || len(got.Residents) != 2 || !got.Residents[0].Masked || got.Residents[0].IDNumber != model.MaskIDNumber(headID) {
			t.Errorf("GET household?include=residents = %+v", got)
		}
		plain := mustJSON[householdOut](t, f.mustDo(t, tok, "GET", "/api/v1/households/"+h.ID, nil), http.StatusOK)
		if plain.ID != h.ID || plain.Members != 2 || plain.Residents != nil {
			t.Errorf("GET household = %+v, want no residents without include", plain)
		}
		mustProblem(t, f.mustDo(t, tok, "GET", "/api/v1/households/"+h.ID+"?include=everything", nil), http.StatusBadRequest)

		// PATCH changes only what it names: hardship stays, elderly_alone is set.
		got = mustJSON[householdOut](t, f.mustDo(t, tok, "PATCH", "/api/v1/households/"+h.ID,
			`{"address":"3单元503室","flags":{"elderly_alone":true}}`), http.StatusOK)
		if got.Address != "3单元503室" || !got.Flags.Hardship || !got.Flags.ElderlyAlone || *got.MovedInAt != "2019-05-01" {
			t.Errorf("patched household = %+v", got)
		}

		// Filters.
		for _, c := range []struct {
			query string
			want  int
		}{
			{"", 1},
			{"?territory=" + id(tr.stairA.ID), 1},
			{"?flag=hardship", 1},
			{"?flag=elderly_alone", 1},
			{"?flag=mobile", 0},
			{"?q=503", 1},
			{"?q=张建", 1},
			{"?q=王", 0},
			{"?moved_out=true", 0},
			{"?territory=" + id(tr.stairB.ID), 0},
		} {
			l := mustJSON[listOut[householdOut]](t, f.mustDo(t, tok, "GET", "/api/v1/households"+c.query, nil), http.StatusOK)
			if len(l.Items) != c.want || l.Total == nil || *l.Total != int64(c.want) {
				t.Errorf("GET /households%s = %d items (total %v), want %d", c.query, len(l.Items), l.Total, c.want)
			}
			for _, it := range l.Items {
				if it.Residents != nil {
					t.Errorf("GET /households%s: list items embed residents", c.query)
				}
			}
		}

		// Move out; the household leaves the current list and the counts, and stays in history.
		out := mustJSON[householdOut](t, f.mustDo(t, tok, "POST", "/api/v1/households/"+h.ID+"/move-out",
			`{"date":"2024-06-30","note":"搬往成都"}`), http.StatusOK)
		if out.MovedOutAt == nil || *out.MovedOutAt != "2024-06-30" {
			t.Errorf("moved out = %+v", out)
		}
		p := mustProblem(t, f.mustDo(t, tok, "POST", "/api/v1/households/"+h.ID+"/move-out", `{"date":"2024-07-01"}`), http.StatusConflict)
		if p.Detail == "" {
			t.Errorf("second move-out: problem without detail")
		}
		if l := mustJSON[listOut[householdOut]](t, f.mustDo(t, tok, "GET", "/api/v1/households", nil), http.StatusOK); len(l.Items) != 0 {
			t.Errorf("current households after move-out = %d, want 0", len(l.Items))
		}
		if l := mustJSON[listOut[householdOut]](t, f.mustDo(t, tok, "GET", "/api/v1/households?moved_out=true", nil), http.StatusOK); len(l.Items) != 1 {
			t.Errorf("moved-out households = %d, want 1", len(l.Items))
		}
		if c := f.mustCounts(t); c.rootHouseholds != 0 || c.rootResidents != 0 {
			t.Errorf("maintained counts after move-out = %d/%d, want 0/0", c.rootHouseholds, c.rootResidents)
		}

		hist := mustJSON[listOut[struct {
			ID     string `json:"id"`
			Action string `json:"action"`
			Detail string `json:"detail"`
			At     string `json:"at"`
		}]](t, f.mustDo(t, tok, "GET", "/api/v1/households/"+h.ID+"/history", nil), http.StatusOK)
		var actions []string
		for _, e := range hist.Items {
			actions = append(actions, e.Action)
			if !strings.HasSuffix(e.At, "+08:00") {
				t.Errorf("event time %q not in +08:00", e.At)
			}
		}
		if want := []string{"moved_out", "updated", "member_added", "member_added", "moved_in"}; !slices.Equal(actions, want) {
			t.Errorf("history = %v, want %v", actions, want)
		}
		if !strings.Contains(hist.Items[0].Detail, "搬往成都") {
			t.Errorf("move-out event detail = %q, want the note", hist.Items[0].Detail)
		}
	})
}

// TestHouseholdCreateIsAtomic checks that POST /households reports every bad field of the
// household and of every resident in one problem and writes nothing, and that a good request
// writes everything.
func TestHouseholdCreateIsAtomic(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		tok := f.mustToken(t, model.RoleCommunityStaff, tr.community)
		taken := validID("510781", "19700101", 13)
		f.mustHousehold(t, tok, tr.stairB, "201室", person{Name: "王芳", IDNumber: taken, Relation: "户主"})
		a, b := validID("510781", "19800101", 15), validID("510781", "19820202", 26)
		badB, right := wrongCheckDigit(b)

		tests := []struct {
			name   string
			body   newHousehold
			fields []string // sorted
		}{
			{"bad household and residents", newHousehold{TerritoryID: id(tr.stairA.ID), Address: "", MovedInAt: "2019-02-30",
				Residents: []person{
					{Name: "", IDNumber: a, Relation: "户主"},
					{Name: "李四", IDNumber: badB, Relation: "配偶", Phone: "123"},
					{Name: "王五", IDNumber: a, Relation: "户主"},
					{Name: "赵六", IDNumber: taken, Relation: "子女", PoliticalStatus: "anarchist"},
				}},
				// A bad ID number is one error: gender and birth date follow from it once fixed.
				[]string{"address", "moved_in_at", "residents[0].name",
					"residents[1].id_number", "residents[1].phone", "residents[2].id_number", "residents[2].relation",
					"residents[3].political_status"}},
			{"good household, residents clash with the database and each other", newHousehold{TerritoryID: id(tr.stairA.ID), Address: "101室",
				Residents: []person{
					{Name: "张三", IDNumber: a, Relation: "户主"},
					{Name: "赵六", IDNumber: taken, Relation: "子女"},
					{Name: "钱七", IDNumber: b, Relation: "户主", Gender: "male"},
				}},
				[]string{"residents[1].id_number", "residents[2].gender", "residents[2].relation"}},
			{"unknown territory with good residents", newHousehold{TerritoryID: "999999", Address: "101室",
				Residents: []person{{Name: "张三", IDNumber: a, Relation: "户主"}}},
				[]string{"territory_id"}},
			{"territory above the community", newHousehold{TerritoryID: id(tr.street.ID), Address: "101室"},
				[]string{"territory_id"}},
		}
		before := f.mustCounts(t)
		for _, tt := range tests {
			p := mustProblem(t, f.mustDo(t, tok, "POST", "/api/v1/households", tt.body), http.StatusUnprocessableEntity)
			if got := fields(p); !slices.Equal(got, tt.fields) {
				t.Errorf("%s: fields = %v, want %v", tt.name, got, tt.fields)
			}
			if after := f.mustCounts(t); after != before {
				t.Errorf("%s: rejected create changed the data: %+v, want %+v", tt.name, after, before)
			}
		}
		p := mustProblem(t, f.mustDo(t, tok, "POST", "/api/v1/households", tests[0].body), http.StatusUnprocessableEntity)
		if got, want := message(p, "residents[1].id_number"), "身份证号第18位校验码应为"+string(right); got != want {
			t.Errorf("check digit message = %q, want %q", got, want)
		}

		h := f.mustHousehold(t, tok, tr.stairA, "101室",
			person{Name: "张三", IDNumber: a, Relation: "户主"}, person{Name: "李四", IDNumber: b, Relation: "配偶"})
		if h.Members != 2 || len(h.Residents) != 2 || h.HeadName != "张三" {
			t.Errorf("good create = %+v", h)
		}
		after := f.mustCounts(t)
		if after.households != before.households+1 || after.residents != before.residents+2 || after.rootResidents != before.rootResidents+2 {
			t.Errorf("counts after good create = %+v, before %+v", after, before)
		}
	})
}

// TestSubtreeFilter checks that territory=ID means the node and everything under it.
func TestSubtreeFilter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		tok := f.mustToken(t, model.RoleDistrictAdmin, tr.district)
		ha := f.mustHousehold(t, tok, tr.stairA, "A101", person{Name: "甲", IDNumber: validID("510781", "19700101", 11), Relation: "户主"})
		hb := f.mustHousehold(t, tok, tr.stairB, "B101", person{Name: "乙", IDNumber: validID("510781", "19700101", 21), Relation: "户主"},
			person{Name: "丙", IDNumber: validID("510781", "19720101", 32), Relation: "配偶"})
		hg := f.mustHousehold(t, tok, tr.gridB, "网格直属1号")
		tests := []struct {
			node       *model.Territory
			households []string
			residents  int
		}{
			{tr.district, []string{ha.ID, hb.ID, hg.ID}, 3},
			{tr.community, []string{ha.ID, hb.ID, hg.ID}, 3},
			{tr.gridA, []string{ha.ID}, 1},
			{tr.buildingA, []string{ha.ID}, 1},
			{tr.gridB, []string{hb.ID, hg.ID}, 2},
			{tr.stairB, []string{hb.ID}, 2},
		}
		for _, tt := range tests {
			l := mustJSON[listOut[householdOut]](t, f.mustDo(t, tok, "GET", "/api/v1/households?territory="+id(tt.node.ID), nil), http.StatusOK)
			var got []string
			for _, h := range l.Items {
				got = append(got, h.ID)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.households))
			if !slices.Equal(got, want) || *l.Total != int64(len(want)) {
				t.Errorf("households under %s = %v (total %d), want %v", tt.node.Name, got, *l.Total, want)
			}
			rl := mustJSON[listOut[residentOut]](t, f.mustDo(t, tok, "GET", "/api/v1/residents?territory="+id(tt.node.ID), nil), http.StatusOK)
			if len(rl.Items) != tt.residents || *rl.Total != int64(tt.residents) {
				t.Errorf("residents under %s = %d (total %d), want %d", tt.node.Name, len(rl.Items), *rl.Total, tt.residents)
			}
		}
		// Paging through a subtree visits every row once.
		seen := map[string]bool{}
		path := "/api/v1/households?limit=1&territory=" + id(tr.community.ID)
		for range 10 {
			l := mustJSON[listOut[householdOut]](t, f.mustDo(t, tok, "GET", path, nil), http.StatusOK)
			for _, h := range l.Items {
				if seen[h.ID] {
					t.Fatalf("household %s on two pages", h.ID)
				}
				seen[h.ID] = true
			}
			if l.NextCursor == "" {
				break
			}
			path = "/api/v1/households?limit=1&territory=" + id(tr.community.ID) + "&cursor=" + l.NextCursor
		}
		if len(seen) != 3 {
			t.Errorf("paging saw %d households, want 3", len(seen))
		}
	})
}

// TestGridLeaderScope checks that a grid leader of grid A never sees or touches grid B: single
// objects there are 404 (we never confirm they exist) and lists leave them out.
func TestGridLeaderScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := mustFixture(t, st)
		tr := f.tree
		admin := f.mustToken(t, model.RoleCommunityAdmin, tr.community)
		ha := f.mustHousehold(t, admin, tr.stairA, "A101", person{Name: "甲", IDNumber: validID("510781", "19700101", 11), Relation: "户主"})
		hb := f.mustHousehold(t, admin, tr.stairB, "B101", person{Name: "乙", IDNumber: validID("510781", "19700101", 21), Relation: "户主"})
		rb := hb.Residents[0].ID
		leader := f.mustToken(t, model.RoleGridLeader, tr.gridA)

		notFound := []struct{ method, path, body string }{
			{"GET", "/api/v1/households/" + hb.ID, ""},
			{"GET", "/api/v1/households/" + hb.ID + "/history", ""},
			{"PATCH", "/api/v1/households/" + hb.ID, `{"address":"B102"}`},
			{"POST", "/api/v1/households/" + hb.ID + "/move-out", `{"date":"2024-01-01"}`},
			{"GET", "/api/v1/residents/" + rb, ""},
			{"GET", "/api/v1/residents/" + rb + "?reveal=true", ""},
			{"PATCH", "/api/v1/residents/" + rb, `{"name":"丁"}`},
			{"DELETE", "/api/v1/residents/" + rb, ""},
			{"GET", "/api/v1/households?territory=" + id(tr.gridB.ID), ""},
			{"GET", "/api/v1/residents?territory=" + id(tr.stairB.ID), ""},
			{"GET", "/api/v1/households/999999", ""},
		}
		before := f.mustCounts(t)
		for _, c := range notFound {
			var body any
			if c.body != "" {
				body = c.body
			}
			p := mustProblem(t, f.mustDo(t, leader, c.method, c.path, body), http.StatusNotFound)
			if strings.Contains(p.Detail, "乙") || strings.Contains(p.Detail, "B101") {
				t.Errorf("%s %s: 404 leaks %q", c.method, c.path, p.Detail)
			}
		}
		// Writes that name grid B as a reference are invalid input, not a way to probe it.
		p := mustProblem(t, f.mustDo(t, leader, "POST", "/api/v1/residents",
			person{HouseholdID: hb.ID, Name: "丁", IDNumber: validID("510781", "19900101", 31), Relation: "子女"}), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"household_id"}) {
			t.Errorf("resident into grid B: fields = %v", got)
		}
		p = mustProblem(t, f.mustDo(t, leader, "POST", "/api/v1/households", newHousehold{TerritoryID: id(tr.stairB.ID), Address: "B999"}), http.StatusUnprocessableEntity)
		if got := fields(p); !slices.Equal(got, []string{"territory_id"}) {
			t.Errorf("household in grid B: fields = %v", got)
		}
		if after := f.mustCounts(t); after != before {
			t.Errorf("grid leader changed grid B: %+v, want %+v", after, before)
		}

		// Lists hold grid A's rows only, whatever the filter.
		for _, q := range []string{"", "?q=B101", "?q=乙", "?limit=500"} {
			l := mustJSON[listOut[householdOut]](t, f.mustDo(t, leader, "GET", "/api/v1/households"+q, nil), http.StatusOK)
			for _, h := range l.Items {
				if h.ID != ha.ID {
					t.Errorf("GET /households%s shows %s (%s) outside grid A", q, h.ID, h.Address)
				}
			}
			rl := mustJSON[listOut[residentOut]](t, f.mustDo(t, leader, "GET", "/api/v1/residents"+q, nil), http.StatusOK)
			for _, r := range rl.Items {
				if r.HouseholdID != ha.ID {
					t.Errorf("GET /residents%s shows %s outside grid A", q, r.Name)
				}
			}
		}
		l := mustJSON[listOut[residentOut]](t, f.mustDo(t, leader, "GET", "/api/v1/residents?household="+hb.ID, nil), http.StatusOK)
		if len(l.Items) != 0 || *l.Total != 0 {
			t.Errorf("residents of grid B's household = %+v", l)
		}
		// Its own grid works.
		got := mustJSON[householdOut](t, f.mustDo(t, leader, "GET", "/api/v1/households/"+ha.ID, nil), http.StatusOK)
		if got.Address != "A101" {
			t.Errorf("own household = %+v", got)
		}
	})
}
