package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// auditJSON is one audit record as the API shows it.
type auditJSON struct {
	ID         ID                `json:"id"`
	At         time.Time         `json:"at"`
	ActorID    *ID               `json:"actor_id,omitempty"`
	ActorName  string            `json:"actor_name"`
	Role       model.Role        `json:"role"`
	Scope      string            `json:"scope"`
	Action     string            `json:"action"`
	ObjectType string            `json:"object_type"`
	ObjectIDs  []ID              `json:"object_ids"`
	Result     model.AuditResult `json:"result"`
	RequestID  string            `json:"request_id"`
	Source     string            `json:"source"`
	Detail     string            `json:"detail"`
	Hash       string            `json:"hash"`
}

func toAuditJSON(r *model.AuditRecord) auditJSON {
	j := auditJSON{ID: ID(r.ID), At: r.At.In(model.Shanghai), ActorName: r.ActorName, Role: r.Role, Scope: r.Scope, Action: r.Action,
		ObjectType: r.ObjectType, ObjectIDs: make([]ID, len(r.ObjectIDs)), Result: r.Result, RequestID: r.RequestID,
		Source: r.Source, Detail: r.Detail, Hash: r.Hash}
	if r.ActorID != 0 {
		id := ID(r.ActorID)
		j.ActorID = &id
	}
	for i, id := range r.ObjectIDs {
		j.ObjectIDs[i] = ID(id)
	}
	return j
}

// ParseAuditFilter reads the audit search parameters actor, subject, action, result, from and to
// (RFC 3339 or YYYY-MM-DD in the platform's zone; to is exclusive, a bare date meaning the end of
// that day) from q. Bad values come back as field errors; the pages use it too.
func ParseAuditFilter(get func(string) string) (store.AuditFilter, []model.FieldError) {
	f := store.AuditFilter{Actor: strings.TrimSpace(get("actor")), Subject: strings.TrimSpace(get("subject")),
		Action: strings.TrimSpace(get("action")), Result: model.AuditResult(get("result"))}
	var fields []model.FieldError
	for _, p := range []struct {
		name string
		dst  *time.Time
		end  bool
	}{{"from", &f.From, false}, {"to", &f.To, true}} {
		v := strings.TrimSpace(get(p.name))
		if v == "" {
			continue
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			*p.dst = t
		} else if t, err := time.ParseInLocation(time.DateOnly, v, model.Shanghai); err == nil {
			if p.end {
				t = t.AddDate(0, 0, 1)
			}
			*p.dst = t
		} else {
			fields = append(fields, model.FieldError{Field: p.name, Message: p.name + " 应为 YYYY-MM-DD 或 RFC 3339 时间"})
		}
	}
	if len(f.Actor) > 64 {
		fields = append(fields, model.FieldError{Field: "actor", Message: "actor 应为用户名或账号 ID"})
	}
	if len(f.Subject) > 80 || len(f.Action) > 80 {
		fields = append(fields, model.FieldError{Field: "subject", Message: "查询条件过长"})
	}
	return f, fields
}

// listAudit searches the audit log within the caller's scope, newest first.
func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "actor", "subject", "action", "result", "from", "to")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	f, more := ParseAuditFilter(r.URL.Query().Get)
	if fields = append(fields, more...); len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	f.Limit, f.Cursor = lq.Limit, lq.Cursor
	p, err := a.st.AuditLog(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	out := list[auditJSON]{Items: make([]auditJSON, len(p.Items)), NextCursor: p.Next}
	for i, rec := range p.Items {
		out.Items[i] = toAuditJSON(rec)
	}
	return writeJSON(w, http.StatusOK, out)
}

// auditHeadJSON is a head of the audit chain; Line is its one-line form "ID:HASH", the one to
// record outside the database and send back as expect_head.
type auditHeadJSON struct {
	ID   ID     `json:"id"`
	Hash string `json:"hash"`
	Line string `json:"line"`
}

// auditVerifyJSON is the outcome of a verification.
type auditVerifyJSON struct {
	OK             bool           `json:"ok"`
	Records        int64          `json:"records"`
	Keyed          int64          `json:"keyed"`
	Head           *auditHeadJSON `json:"head,omitempty"`
	BrokenAt       *ID            `json:"broken_at,omitempty"`
	Reason         string         `json:"reason,omitempty"`
	ExpectedHead   string         `json:"expected_head,omitempty"`
	ExpectedReason string         `json:"expected_reason,omitempty"`
}

func toAuditVerifyJSON(v *store.AuditVerification) auditVerifyJSON {
	j := auditVerifyJSON{OK: v.OK(), Records: v.Records, Keyed: v.Keyed, Reason: v.Reason, ExpectedReason: v.ExpectedReason}
	if v.HeadID != 0 {
		h := v.Head()
		j.Head = &auditHeadJSON{ID: ID(h.ID), Hash: h.Hash, Line: h.String()}
	}
	if v.BrokenAt != 0 {
		id := ID(v.BrokenAt)
		j.BrokenAt = &id
	}
	if v.Expected != nil {
		j.ExpectedHead = v.Expected.String()
	}
	return j
}

// headMismatch is the problem of a verification whose expected head the log does not hold: 422,
// the field expect_head, and the verification itself beside the problem's members.
type headMismatch struct {
	Problem
	Verification auditVerifyJSON `json:"verification"`
}

// verifyAudit walks the keyed audit chain, optionally against the head the caller recorded
// earlier ({"expect_head": "ID:HASH"}; the body may be empty). It answers 200 with the result
// and the current head — ok false when the chain breaks — and 422 problem+json when the expected
// head is malformed or is not in the log (the tail was cut off or replaced, or the head is
// forged). Every verification that ran is an audit record (audit.verify).
func (a *API) verifyAudit(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ExpectHead string `json:"expect_head"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, a.maxBody, &in); err != nil {
			return err
		}
	}
	var expect *store.AuditHead
	if strings.TrimSpace(in.ExpectHead) != "" {
		h, err := store.ParseAuditHead(in.ExpectHead)
		if err != nil {
			return err
		}
		expect = &h
	}
	v, err := a.st.CheckAudit(r.Context(), authz.ScopeFrom(r.Context()), expect)
	if err != nil {
		return err
	}
	out := toAuditVerifyJSON(v)
	if v.ExpectedReason == "" {
		return writeJSON(w, http.StatusOK, out)
	}
	p := headMismatch{Problem: Problem{Type: problemBase + "audit-head-mismatch", Title: "审计日志与记录的链头不符", Status: http.StatusUnprocessableEntity,
		Detail: v.ExpectedReason, Errors: []model.FieldError{{Field: "expect_head", Message: v.ExpectedReason}}}, Verification: out}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(p); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnprocessableEntity)
	_, err = w.Write(buf.Bytes())
	return err
}
