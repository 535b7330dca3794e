package api

import (
	"encoding/json"
	"net/http"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// transferJSON is a transfer of organizational relations (组织关系转接) as clients see it.
type transferJSON struct {
	ID             ID                      `json:"id"`
	MemberID       *ID                     `json:"member_id,omitempty"`
	MemberName     string                  `json:"member_name"`
	FromOrgID      *ID                     `json:"from_org_id,omitempty"`
	FromOrgName    string                  `json:"from_org_name,omitempty"`
	ToOrgID        *ID                     `json:"to_org_id,omitempty"`
	ToOrgName      string                  `json:"to_org_name,omitempty"`
	Direction      model.TransferDirection `json:"direction"`
	DirectionLabel string                  `json:"direction_label"`
	Destination    string                  `json:"destination,omitempty"`
	Reason         string                  `json:"reason,omitempty"`
	Status         model.TransferStatus    `json:"status"`
	StatusLabel    string                  `json:"status_label"`
	Note           string                  `json:"note,omitempty"`
	Signer         string                  `json:"signer,omitempty"`
	HasFile        bool                    `json:"has_file"`
	HandledAt      *time.Time              `json:"handled_at,omitempty"`
	CreatedAt      time.Time               `json:"created_at"`
}

func toTransferJSON(t *model.Transfer) transferJSON {
	j := transferJSON{ID: ID(t.ID), MemberID: optID(t.MemberID), MemberName: t.MemberName, FromOrgID: optID(t.FromOrgID), FromOrgName: t.FromOrgName,
		ToOrgID: optID(t.ToOrgID), ToOrgName: t.ToOrgName, Direction: t.Direction, DirectionLabel: t.Direction.Label(), Destination: t.Destination,
		Reason: t.Reason, Status: t.Status, StatusLabel: t.Status.Label(), Note: t.Note, Signer: t.Signer, HasFile: t.HasFile,
		CreatedAt: t.CreatedAt.In(model.Shanghai)}
	if !t.HandledAt.IsZero() {
		at := t.HandledAt.In(model.Shanghai)
		j.HandledAt = &at
	}
	return j
}

func (a *API) listTransfers(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "member_id", "status")
	fields := queryFields(err)
	if err != nil && fields == nil {
		return err
	}
	q := r.URL.Query()
	f := store.TransferFilter{Status: model.TransferStatus(q.Get("status")), Limit: lq.Limit, Cursor: lq.Cursor}
	f.MemberID = queryID(q.Get("member_id"), "member_id", &fields)
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.Transfers(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	out := list[transferJSON]{Items: make([]transferJSON, len(p.Items)), NextCursor: p.Next, Total: total(p.Total)}
	for i, t := range p.Items {
		out.Items[i] = toTransferJSON(t)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) getTransfer(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := a.st.Transfer(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toTransferJSON(t))
}

// requestTransfer asks to transfer the member {id}: to an org of this deployment (to_org_id) or
// out of it (destination).
func (a *API) requestTransfer(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		ToOrgID     ID     `json:"to_org_id"`
		Destination string `json:"destination"`
		Reason      string `json:"reason"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	t, err := a.st.RequestTransfer(r.Context(), authz.ScopeFrom(r.Context()), model.TransferInput{MemberID: id, ToOrgID: int64(req.ToOrgID),
		Destination: req.Destination, Reason: req.Reason})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/party/transfers/"+itoa(t.ID))
	return writeJSON(w, http.StatusCreated, toTransferJSON(t))
}

// decideTransfer accepts or returns the transfer {id}.
func (a *API) decideTransfer(accept bool) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		var req struct {
			Note string `json:"note"`
		}
		if err := decode(w, r, a.maxBody, &req); err != nil {
			return err
		}
		sc := authz.ScopeFrom(r.Context())
		var t *model.Transfer
		if accept {
			t, err = a.st.AcceptTransfer(r.Context(), sc, id, req.Note, "")
		} else {
			t, err = a.st.RejectTransfer(r.Context(), sc, id, req.Note)
		}
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, toTransferJSON(t))
	}
}

// transferFile answers the signed file of an accepted transfer out.
func (a *API) transferFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	_, b, err := a.st.TransferFile(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(b) // #nosec G705 -- application/json: the signed transfer file as the store made it, not HTML
	return err
}

// importTransfer records a signed transfer file from a trusted deployment as a transfer in to
// to_org_id.
func (a *API) importTransfer(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ToOrgID ID              `json:"to_org_id"`
		File    json.RawMessage `json:"file"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	t, err := a.st.ImportTransfer(r.Context(), authz.ScopeFrom(r.Context()), req.File, int64(req.ToOrgID))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/party/transfers/"+itoa(t.ID))
	return writeJSON(w, http.StatusCreated, toTransferJSON(t))
}

type transferKeyJSON struct {
	ID        ID         `json:"id"`
	Name      string     `json:"name"`
	PublicKey string     `json:"public_key"`
	Own       bool       `json:"own"`
	CreatedAt time.Time  `json:"created_at"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
}

func toTransferKeyJSON(k *model.TransferKey) transferKeyJSON {
	j := transferKeyJSON{ID: ID(k.ID), Name: k.Name, PublicKey: k.PublicKey, Own: k.Own, CreatedAt: k.CreatedAt.In(model.Shanghai)}
	if k.RetiredAt != nil {
		at := k.RetiredAt.In(model.Shanghai)
		j.RetiredAt = &at
	}
	return j
}

// retireTransferKey stops accepting files signed with a trusted key; the key stays, retired.
func (a *API) retireTransferKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	k, err := a.st.RetireTransferKey(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toTransferKeyJSON(k))
}

// transferKeys lists this deployment's own public key first, then the trusted senders' keys.
func (a *API) transferKeys(w http.ResponseWriter, r *http.Request) error {
	own, err := a.st.OwnTransferKey(r.Context(), "")
	if err != nil {
		return err
	}
	trusted, err := a.st.TrustedTransferKeys(r.Context())
	if err != nil {
		return err
	}
	out := list[transferKeyJSON]{Items: []transferKeyJSON{toTransferKeyJSON(own)}}
	for _, k := range trusted {
		out.Items = append(out.Items, toTransferKeyJSON(k))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) trustTransferKey(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name      string `json:"name"`
		PublicKey string `json:"public_key"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	k, err := a.st.TrustTransferKey(r.Context(), authz.ScopeFrom(r.Context()), req.Name, req.PublicKey)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toTransferKeyJSON(k))
}
