package api

import (
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
