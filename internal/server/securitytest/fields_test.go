package securitytest_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"gongzhi/internal/model"
)

// runFieldPolicy reads the same resident and household as every role that
// may read them, through the API (list, single read, single read with ?reveal=true) and the
// pages (household page, revealed, residents list), and checks that full ID numbers, phones and
// party status appear exactly for the roles the oracle lets see them (seesInFull), and that a
// role that may not see hardship cannot filter by it.
func runFieldPolicy(t *testing.T, w *world) {
	tg := w.targets[relOwn]
	res := tg.resident
	partyLabel := model.StatusPartyMember.Label()
	for _, role := range model.Roles {
		if !may(role, peopleRead) {
			continue
		}
		token := w.token(role)
		var bodies []string
		for _, p := range []string{
			fmt.Sprintf("/api/v1/residents?household=%d", tg.household.ID),
			fmt.Sprintf("/api/v1/residents/%d", res.ID),
			fmt.Sprintf("/api/v1/residents/%d?reveal=true", res.ID),
			fmt.Sprintf("/api/v1/households/%d?include=residents", tg.household.ID),
			fmt.Sprintf("/households/%d", tg.household.ID),
			fmt.Sprintf("/households/%d?reveal=1", tg.household.ID),
			fmt.Sprintf("/residents?territory=%d", tg.node.ID),
		} {
			resp := w.do(token, "GET", p, "", nil)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			bodies = append(bodies, string(b))
		}
		all := strings.Join(bodies, "\n")
		if got, want := strings.Contains(all, res.IDNumber.Plain()), seesInFull(role); got != want {
			t.Errorf("%s: full ID number shown = %v, want %v", role, got, want)
		}
		if got, want := strings.Contains(all, res.Phone.Plain()), seesInFull(role); got != want {
			t.Errorf("%s: full phone shown = %v, want %v", role, got, want)
		}
		if got, want := strings.Contains(all, `"political_status":"party_member"`) || strings.Contains(all, partyLabel), seesInFull(role); got != want {
			t.Errorf("%s: party status shown = %v, want %v", role, got, want)
		}
		resp := w.do(token, "GET", "/api/v1/households?flag=hardship", "", nil)
		resp.Body.Close()
		if ok := resp.StatusCode == 200; ok != seesInFull(role) {
			t.Errorf("%s: ?flag=hardship answered %d", role, resp.StatusCode)
		}
		// An exact lookup over a field the role sees masked would be an oracle for it.
		for _, q := range []string{"id_number=" + res.IDNumber.Plain(), "phone=" + res.Phone.Plain()} {
			resp := w.do(token, "GET", "/api/v1/residents?reason=test&"+q, "", nil)
			resp.Body.Close()
			if want := map[bool]int{true: 200, false: 403}[seesInFull(role)]; resp.StatusCode != want {
				t.Errorf("%s: ?%s answered %d, want %d", role, q[:strings.Index(q, "=")], resp.StatusCode, want)
			}
		}
	}
}
