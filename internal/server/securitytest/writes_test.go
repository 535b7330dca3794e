package securitytest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
)

// writeCase is one write route of the redaction proof: the request, and for the API the read
// of the object it wrote (the view the write's answer must equal).
type writeCase struct {
	name string
	// request builds the write as role: method, path, content type, body, the read path of
	// the object written ("" for a page: the page the form post leads to is itself a read),
	// and the personal values the request carries (which the answer must not echo in full).
	request func(w *world, role model.Role) (method, path, ct, body, read string, secrets []string)
}

// writeCases are the write routes whose answers carry people's data: every create and change
// of households, residents and correction requests, on both surfaces.
var writeCases = []writeCase{
	{"POST /api/v1/residents", func(w *world, role model.Role) (string, string, string, string, string, []string) {
		id, phone := w.idNumber(), w.phone()
		body := fmt.Sprintf(`{"household_id":"%d","name":"写入%d","id_number":%q,"phone":%q,"relation":"其他","political_status":"party_member"}`,
			w.targets[relOwn].household.ID, w.nextSeq(), id, phone)
		return "POST", "/api/v1/residents", "application/json", body, "/api/v1/residents/{id}", []string{id, phone}
	}},
	{"PATCH /api/v1/residents/{id}", func(w *world, role model.Role) (string, string, string, string, string, []string) {
		r := w.resident(w.targets[relOwn].household)
		id, phone := w.idNumber(), w.phone()
		body := fmt.Sprintf(`{"id_number":%q,"phone":%q,"political_status":"party_member","occupation":"教师"}`, id, phone)
		p := fmt.Sprintf("/api/v1/residents/%d", r.ID)
		return "PATCH", p, "application/json", body, p, []string{id, phone, r.IDNumber.Plain(), r.Phone.Plain()}
	}},
	{"POST /api/v1/households", func(w *world, role model.Role) (string, string, string, string, string, []string) {
		id, phone := w.idNumber(), w.phone()
		body := fmt.Sprintf(`{"territory_id":"%d","address":"写入%d室","flags":{"hardship":true},"residents":[{"name":"户主%d","id_number":%q,"phone":%q,"relation":"户主","political_status":"party_member"}]}`,
			w.targets[relOwn].node.ID, w.nextSeq(), w.nextSeq(), id, phone)
		return "POST", "/api/v1/households", "application/json", body, "/api/v1/households/{id}", []string{id, phone}
	}},
	{"PATCH /api/v1/households/{id}", func(w *world, role model.Role) (string, string, string, string, string, []string) {
		h := w.household(w.targets[relOwn].node)
		r := w.resident(h)
		p := fmt.Sprintf("/api/v1/households/%d", h.ID)
		return "PATCH", p, "application/json", `{"address":"改后地址101室","flags":{"hardship":true}}`, p, []string{r.IDNumber.Plain(), r.Phone.Plain()}
	}},
	{"POST /api/v1/households/{id}/move-out", func(w *world, role model.Role) (string, string, string, string, string, []string) {
		h := w.household(w.targets[relOwn].node)
		r := w.resident(h)
		p := fmt.Sprintf("/api/v1/households/%d", h.ID)
		return "POST", p + "/move-out", "application/json", `{"date":"2026-11-01","note":"写入"}`, p, []string{r.IDNumber.Plain(), r.Phone.Plain()}
	}},
	{"POST /api/v1/corrections/{id}/accept", func(w *world, role model.Role) (string, string, string, string, string, []string) {
		phone, c := w.phoneCorrection()
		return "POST", fmt.Sprintf("/api/v1/corrections/%d/accept", c.ID), "application/json", `{"note":"同意"}`, "", []string{phone, w.targets[relOwn].resident.IDNumber.Plain()}
	}},
	{"POST /households/new", func(w *world, role model.Role) (string, string, string, string, string, []string) {
		id, phone := w.idNumber(), w.phone()
		form := url.Values{"territory_id": {strconv.FormatInt(w.targets[relOwn].node.ID, 10)}, "address": {fmt.Sprintf("写入%d室", w.nextSeq())},
			"hardship": {"1"}, "name": {"新户主"}, "id_number": {id}, "phone": {phone}, "relation": {"户主"}, "political_status": {"party_member"}}
		return "POST", "/households/new", "application/x-www-form-urlencoded", form.Encode(), "", []string{id, phone}
	}},
	{"POST /households/{id}/residents/new", func(w *world, role model.Role) (string, string, string, string, string, []string) {
		id, phone := w.idNumber(), w.phone()
		h := w.targets[relOwn].household
		form := url.Values{"name": {"新居民"}, "id_number": {id}, "phone": {phone}, "relation": {"其他"}, "political_status": {"party_member"}}
		return "POST", fmt.Sprintf("/households/%d/residents/new", h.ID), "application/x-www-form-urlencoded", form.Encode(), "", []string{id, phone}
	}},
	{"POST /households/{id}/move-out", func(w *world, role model.Role) (string, string, string, string, string, []string) {
		h := w.household(w.targets[relOwn].node)
		r := w.resident(h)
		form := url.Values{"date": {"2026-11-01"}, "confirm": {"1"}}
		return "POST", fmt.Sprintf("/households/%d/move-out", h.ID), "application/x-www-form-urlencoded", form.Encode(), "", []string{r.IDNumber.Plain(), r.Phone.Plain()}
	}},
	{"POST /corrections/{id}/accept", func(w *world, role model.Role) (string, string, string, string, string, []string) {
		phone, c := w.phoneCorrection()
		return "POST", fmt.Sprintf("/corrections/%d/accept", c.ID), "application/x-www-form-urlencoded", url.Values{"note": {"同意"}}.Encode(), "", []string{phone, w.targets[relOwn].resident.IDNumber.Plain()}
	}},
}

// phoneCorrection files a fresh request of the own resident to correct the phone, first
// rejecting the previous one if a refused case left it open (one open request per field).
func (w *world) phoneCorrection() (string, *model.CorrectionRequest) {
	ctx := context.Background()
	if w.lastPhoneCorrection != 0 {
		_, _ = w.st.RejectCorrection(ctx, authz.System(), w.lastPhoneCorrection, "写入测试清理")
	}
	phone := w.phone()
	c, err := w.st.CreateCorrection(ctx, w.targets[relOwn].subject.ID, model.CorrectionInput{Field: model.CorrectPhone, Value: phone, Reason: "写入测试"})
	if err != nil {
		w.tb.Fatal(err)
	}
	w.lastPhoneCorrection = c.ID
	return phone, c
}

// phone is a fresh mobile number.
func (w *world) phone() string { return fmt.Sprintf("137%08d", w.nextSeq()) }

// withheld finds in a body the fields a role that may not see them must not get: the party
// status (as the JSON value or the page's label) and the hardship flag.
func withheld(body string) []string {
	var out []string
	for _, s := range []string{`"political_status":"party_member"`, model.StatusPartyMember.Label(), `"hardship":true`, `"hardship":false`} {
		if strings.Contains(body, s) {
			out = append(out, s)
		}
	}
	return out
}

// runWritesRedacted proves that writes answer through the same field policy as reads (issue
// 6.7): for every role and every write route that carries people's data, an API write answers
// exactly what a read of the object by the same role answers right after it (field for field),
// a page form post leads to a page (a read) and shows what a read shows; no answer, allowed or
// refused, echoes a full ID number or phone the request carried or the object holds (reads show
// them masked; only an audited ?reveal= shows them), and a role that may not see party status
// or hardship gets neither.
func runWritesRedacted(t *testing.T, w *world) {
	var writes, refusals int
	for _, wc := range writeCases {
		for _, role := range model.Roles {
			method, path, ct, body, read, secrets := wc.request(w, role)
			token := w.token(role)
			resp := w.do(token, method, path, ct, strings.NewReader(body))
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			answer := string(b)
			// A page's form post answers with a redirect to the page that shows the result:
			// follow it, as the browser does.
			if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusSeeOther && !strings.HasPrefix(path, "/api/") && loc != "" {
				next := w.do(token, "GET", loc, "", nil)
				nb, _ := io.ReadAll(next.Body)
				next.Body.Close()
				answer += string(nb)
			}
			who := fmt.Sprintf("%s as %s", wc.name, role)
			for _, s := range secrets {
				if s != "" && strings.Contains(answer, s) {
					t.Errorf("%s (HTTP %d): the answer shows a full ID number or phone (%s…)", who, resp.StatusCode, s[:4])
				}
			}
			if !may(role, peopleWrite) {
				refusals++
				if resp.StatusCode < 400 {
					t.Errorf("%s: HTTP %d, want a refusal", who, resp.StatusCode)
				}
				if leaked := withheld(answer); len(leaked) > 0 {
					t.Errorf("%s: the refusal shows %v", who, leaked)
				}
				continue
			}
			writes++
			if resp.StatusCode >= 400 {
				t.Errorf("%s: HTTP %d, want the write to go through: %s", who, resp.StatusCode, errorText(b))
				continue
			}
			if !seesInFull(role) {
				if leaked := withheld(answer); len(leaked) > 0 {
					t.Errorf("%s: the answer shows %v, which the role may not see", who, leaked)
				}
			}
			if read == "" || resp.StatusCode == http.StatusNoContent {
				continue
			}
			// The API's answer equals the read of the same object by the same role.
			var wrote map[string]any
			if err := json.Unmarshal(b, &wrote); err != nil {
				t.Errorf("%s: answer is not JSON: %v", who, err)
				continue
			}
			id, _ := wrote["id"].(string)
			if id == "" {
				t.Errorf("%s: the answer names no id: %s", who, b)
				continue
			}
			rp := strings.ReplaceAll(read, "{id}", id)
			if strings.HasPrefix(rp, "/api/v1/households/") {
				rp += "?include=residents"
				if _, ok := wrote["residents"]; !ok {
					rp = strings.TrimSuffix(rp, "?include=residents")
				}
			}
			rr := w.do(token, "GET", rp, "", nil)
			rb, _ := io.ReadAll(rr.Body)
			rr.Body.Close()
			var got map[string]any
			if err := json.Unmarshal(rb, &got); err != nil || rr.StatusCode != http.StatusOK {
				t.Errorf("%s: read back GET %s: HTTP %d %v", who, rp, rr.StatusCode, err)
				continue
			}
			for _, k := range diffKeys(wrote, got) {
				t.Errorf("%s: the answer's %q is %v, a read shows %v", who, k, wrote[k], got[k])
			}
		}
	}
	msg := fmt.Sprintf("writes (%s): %d write routes × %d roles: %d writes answer the read view, %d refusals show nothing, no full ID number or phone in any answer",
		w.engine, len(writeCases), len(model.Roles), writes, refusals)
	t.Log(msg)
	if testing.Verbose() {
		fmt.Println(msg)
	}
}

// diffKeys lists the keys whose values differ between a and b (either side missing counts).
func diffKeys(a, b map[string]any) []string {
	var out []string
	for k, v := range a {
		if !reflect.DeepEqual(v, b[k]) {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}
