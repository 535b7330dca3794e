package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/importer"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Special funds (专项经费, issue 12 item 1) at /api/v1/funds: the category catalogue and the
// approval chain, budgets and allocations, the balance of a node, spending requests with their
// receipts and decisions, and statements (JSON or xlsx). Money is integer fen on the wire
// (amount_fen …) with the yuan text beside it; amounts sent in are yuan strings ("1234.56").

// FundUploadLimit bounds a request carrying receipts: every receipt at its largest, and the form.
const FundUploadLimit = model.ReceiptsPerRequest*model.ReceiptPDFMax + 256<<10

type fundCategoryJSON struct {
	ID     ID     `json:"id"`
	Name   string `json:"name"`
	Active bool   `json:"active"`
	Sort   int    `json:"sort"`
}

func toFundCategoryJSON(c *model.FundCategory) fundCategoryJSON {
	return fundCategoryJSON{ID: ID(c.ID), Name: c.Name, Active: c.Active, Sort: c.Sort}
}

func (a *API) listFundCategories(w http.ResponseWriter, r *http.Request) error {
	cs, err := a.st.FundCategories(r.Context(), r.URL.Query().Get("all") == "1")
	if err != nil {
		return err
	}
	out := make([]fundCategoryJSON, len(cs))
	for i, c := range cs {
		out[i] = toFundCategoryJSON(c)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

type fundCategoryInput struct {
	Name   string `json:"name"`
	Active *bool  `json:"active"`
	Sort   int    `json:"sort"`
}

func (a *API) createFundCategory(w http.ResponseWriter, r *http.Request) error {
	var req fundCategoryInput
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	c, err := a.st.CreateFundCategory(r.Context(), authz.ScopeFrom(r.Context()), model.FundCategoryInput{Name: req.Name, Sort: req.Sort, Active: true})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toFundCategoryJSON(c))
}

func (a *API) updateFundCategory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req fundCategoryInput
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	active := req.Active == nil || *req.Active
	c, err := a.st.UpdateFundCategory(r.Context(), authz.ScopeFrom(r.Context()), id, model.FundCategoryInput{Name: req.Name, Sort: req.Sort, Active: active})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toFundCategoryJSON(c))
}

type fundStepJSON struct {
	Step        int    `json:"step"`
	Role        string `json:"role"`
	Label       string `json:"label"`
	Decision    string `json:"decision,omitempty"`
	Reason      string `json:"reason,omitempty"`
	DeciderName string `json:"decider_name,omitempty"`
	DecidedAt   string `json:"decided_at,omitempty"`
}

func chainJSON(steps []model.FundChainStep) map[string]any {
	out := make([]fundStepJSON, len(steps))
	for i, s := range steps {
		out[i] = fundStepJSON{Step: s.Step, Role: string(s.Role), Label: s.Label}
	}
	return map[string]any{"steps": out}
}

func (a *API) getFundChain(w http.ResponseWriter, r *http.Request) error {
	steps, err := a.st.FundChain(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, chainJSON(steps))
}

func (a *API) setFundChain(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Steps []fundStepJSON `json:"steps"`
	}
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	steps := make([]model.FundChainStep, len(req.Steps))
	for i, s := range req.Steps {
		steps[i] = model.FundChainStep{Role: model.Role(s.Role), Label: s.Label}
	}
	out, err := a.st.SetFundChain(r.Context(), authz.ScopeFrom(r.Context()), steps)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, chainJSON(out))
}

type fundBudgetJSON struct {
	CommunityID   ID     `json:"community_id"`
	CommunityName string `json:"community_name"`
	Year          int    `json:"year"`
	CategoryID    ID     `json:"category_id"`
	CategoryName  string `json:"category_name"`
	AllocatedFen  int64  `json:"allocated_fen"`
	Allocated     string `json:"allocated"`
	SpentFen      int64  `json:"spent_fen"`
	Spent         string `json:"spent"`
	AvailableFen  int64  `json:"available_fen"`
	Available     string `json:"available"`
}

func toFundBudgetJSON(b *model.FundBudget) fundBudgetJSON {
	return fundBudgetJSON{CommunityID: ID(b.CommunityID), CommunityName: b.CommunityName, Year: b.Year, CategoryID: ID(b.CategoryID), CategoryName: b.CategoryName,
		AllocatedFen: b.AllocatedFen, Allocated: b.Allocated(), SpentFen: b.SpentFen, Spent: b.Spent(), AvailableFen: b.AvailableFen, Available: b.Available()}
}

// fundQuery reads ?territory=, ?year= (default this year) and ?month= (statements), refusing
// unknown parameters.
func fundQuery(r *http.Request, allowed ...string) (territory int64, year, month int, err error) {
	lq, err := parseList(r, append(allowed, "year", "month")...)
	fields := queryFields(err)
	q := r.URL.Query()
	year = time.Now().In(model.Shanghai).Year()
	if v := q.Get("year"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2000 || n > 2100 {
			fields = append(fields, model.FieldError{Field: "year", Message: "year 应为年度，例如 2026"})
		}
		year = n
	}
	if v := q.Get("month"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 12 {
			fields = append(fields, model.FieldError{Field: "month", Message: "month 应为 1–12（0 为全年）"})
		}
		month = n
	}
	if len(fields) > 0 {
		return 0, 0, 0, malformed("查询参数有误", fields...)
	}
	return lq.Territory, year, month, nil
}

func (a *API) listFundBudgets(w http.ResponseWriter, r *http.Request) error {
	territory, year, _, err := fundQuery(r)
	if err != nil {
		return err
	}
	bs, err := a.st.FundBudgets(r.Context(), authz.ScopeFrom(r.Context()), store.FundBudgetFilter{Territory: territory, Year: year})
	if err != nil {
		return err
	}
	out := make([]fundBudgetJSON, len(bs))
	for i, b := range bs {
		out[i] = toFundBudgetJSON(b)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

type fundAllocationInput struct {
	CommunityID ID     `json:"community_id"`
	CategoryID  ID     `json:"category_id"`
	Year        int    `json:"year"`
	Amount      string `json:"amount"`
	Memo        string `json:"memo"`
}

func (a *API) allocateFund(w http.ResponseWriter, r *http.Request) error {
	var req fundAllocationInput
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	b, err := a.st.AllocateFund(r.Context(), authz.ScopeFrom(r.Context()), model.FundAllocationInput{CommunityID: int64(req.CommunityID), CategoryID: int64(req.CategoryID),
		Year: req.Year, Amount: req.Amount, Memo: req.Memo})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toFundBudgetJSON(b))
}

func (a *API) fundBalance(w http.ResponseWriter, r *http.Request) error {
	territory, year, _, err := fundQuery(r)
	if err != nil {
		return err
	}
	b, err := a.st.FundBalanceOf(r.Context(), authz.ScopeFrom(r.Context()), territory, year)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"territory_id": optID(b.TerritoryID), "territory_name": b.TerritoryName, "year": b.Year,
		"allocated_fen": b.AllocatedFen, "allocated": model.FormatYuan(b.AllocatedFen), "spent_fen": b.SpentFen, "spent": model.FormatYuan(b.SpentFen),
		"available_fen": b.AvailableFen, "available": model.FormatYuan(b.AvailableFen)})
}

type fundReceiptJSON struct {
	N           int    `json:"n"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Name        string `json:"name"`
	URL         string `json:"url"`
}

type fundRequestJSON struct {
	ID             ID                `json:"id"`
	CommunityID    ID                `json:"community_id"`
	CommunityName  string            `json:"community_name"`
	Year           int               `json:"year"`
	CategoryID     ID                `json:"category_id"`
	CategoryName   string            `json:"category_name"`
	Purpose        string            `json:"purpose"`
	AmountFen      int64             `json:"amount_fen"`
	Amount         string            `json:"amount"`
	Payee          string            `json:"payee"`
	Status         string            `json:"status"`
	StatusLabel    string            `json:"status_label"`
	Step           int               `json:"step"`
	Steps          []fundStepJSON    `json:"steps"`
	Receipts       []fundReceiptJSON `json:"receipts"`
	RequesterName  string            `json:"requester_name"`
	RejectReason   string            `json:"reject_reason,omitempty"`
	OverrideReason string            `json:"override_reason,omitempty"`
	OverrideBy     string            `json:"override_by,omitempty"`
	DecidedAt      string            `json:"decided_at,omitempty"`
	CreatedAt      string            `json:"created_at"`
	CanDecide      bool              `json:"can_decide"`
	CanOverride    bool              `json:"can_override"`
}

func toFundRequestJSON(q *model.FundRequest) fundRequestJSON {
	out := fundRequestJSON{ID: ID(q.ID), CommunityID: ID(q.CommunityID), CommunityName: q.CommunityName, Year: q.Year, CategoryID: ID(q.CategoryID), CategoryName: q.CategoryName,
		Purpose: q.Purpose, AmountFen: q.AmountFen, Amount: q.Amount(), Payee: q.Payee, Status: string(q.Status), StatusLabel: q.Status.Label(), Step: q.Step,
		Steps: []fundStepJSON{}, Receipts: []fundReceiptJSON{}, RequesterName: q.RequesterName, RejectReason: q.RejectReason, OverrideReason: q.OverrideReason,
		OverrideBy: q.OverrideByName, CreatedAt: rfc3339(q.CreatedAt), CanDecide: q.Caller.Decide, CanOverride: q.Caller.Override}
	for _, s := range q.Steps {
		j := fundStepJSON{Step: s.Step, Role: string(s.Role), Label: s.Label, Decision: s.Decision, Reason: s.Reason, DeciderName: s.DeciderName}
		if s.DecidedAt != nil {
			j.DecidedAt = rfc3339(*s.DecidedAt)
		}
		out.Steps = append(out.Steps, j)
	}
	for _, rc := range q.Receipts {
		out.Receipts = append(out.Receipts, fundReceiptJSON{N: rc.N, ContentType: rc.ContentType, Size: rc.Size, Name: rc.Name,
			URL: fmt.Sprintf("/api/v1/funds/requests/%d/receipts/%d", q.ID, rc.N)})
	}
	if q.DecidedAt != nil {
		out.DecidedAt = rfc3339(*q.DecidedAt)
	}
	return out
}

func (a *API) listFundRequests(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "status", "category", "year", "mine")
	fields := queryFields(err)
	q := r.URL.Query()
	f := store.FundRequestFilter{Territory: lq.Territory, Status: model.FundRequestStatus(q.Get("status")), Limit: lq.Limit, Cursor: lq.Cursor, Mine: q.Get("mine") == "1"}
	if v := q.Get("category"); v != "" {
		if f.CategoryID, err = strconv.ParseInt(v, 10, 64); err != nil {
			fields = append(fields, model.FieldError{Field: "category", Message: "category 应为类别 ID"})
		}
	}
	if v := q.Get("year"); v != "" {
		if f.Year, err = strconv.Atoi(v); err != nil {
			fields = append(fields, model.FieldError{Field: "year", Message: "year 应为年度"})
		}
	}
	if len(fields) > 0 {
		return malformed("查询参数有误", fields...)
	}
	p, err := a.st.FundRequests(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toFundRequestJSON))
}

type fundRequestInput struct {
	CommunityID ID     `json:"community_id"`
	CategoryID  ID     `json:"category_id"`
	Year        int    `json:"year"`
	Purpose     string `json:"purpose"`
	Amount      string `json:"amount"`
	Payee       string `json:"payee"`
}

// ReadReceipts bounds the body and reads the files of field receipts of a multipart form (the
// pages read them as the API does); a body that is not multipart is a *badRequest.
func ReadReceipts(w http.ResponseWriter, r *http.Request) ([]model.ReceiptFile, error) {
	r.Body = http.MaxBytesReader(w, r.Body, FundUploadLimit)
	// #nosec G120 -- the body is bounded by the MaxBytesReader just above
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, malformed("请求应为 multipart/form-data，票据放在字段 receipts 中", model.FieldError{Field: "receipts", Message: "请求格式不对"})
	}
	var out []model.ReceiptFile
	for _, fh := range r.MultipartForm.File["receipts"] {
		if fh.Size == 0 && fh.Filename == "" {
			continue
		}
		b, err := readReceiptPart(fh)
		if err != nil {
			return nil, err
		}
		out = append(out, model.ReceiptFile{Name: fh.Filename, Data: b})
	}
	return out, nil
}

func readReceiptPart(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, model.ReceiptPDFMax+1))
}

// createFundRequest takes JSON, or a multipart form with the same fields and the receipts.
func (a *API) createFundRequest(w http.ResponseWriter, r *http.Request) error {
	var req fundRequestInput
	var receipts []model.ReceiptFile
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		var err error
		if receipts, err = ReadReceipts(w, r); err != nil {
			return err
		}
		defer r.MultipartForm.RemoveAll()
		f := r.MultipartForm.Value
		first := func(k string) string {
			if v := f[k]; len(v) > 0 {
				return v[0]
			}
			return ""
		}
		c, _ := strconv.ParseInt(first("community_id"), 10, 64)
		cat, _ := strconv.ParseInt(first("category_id"), 10, 64)
		y, _ := strconv.Atoi(first("year"))
		req = fundRequestInput{CommunityID: ID(c), CategoryID: ID(cat), Year: y, Purpose: first("purpose"), Amount: first("amount"), Payee: first("payee")}
	} else if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	q, err := a.st.CreateFundRequest(r.Context(), authz.ScopeFrom(r.Context()), model.FundRequestInput{CommunityID: int64(req.CommunityID), CategoryID: int64(req.CategoryID),
		Year: req.Year, Purpose: req.Purpose, Amount: req.Amount, Payee: req.Payee}, receipts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toFundRequestJSON(q))
}

func (a *API) getFundRequest(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	q, err := a.st.FundRequest(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toFundRequestJSON(q))
}

func (a *API) addFundReceipts(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	files, err := ReadReceipts(w, r)
	if err != nil {
		return err
	}
	defer r.MultipartForm.RemoveAll()
	q, err := a.st.AddFundReceipts(r.Context(), authz.ScopeFrom(r.Context()), id, files)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toFundRequestJSON(q))
}

func (a *API) fundReceipt(w http.ResponseWriter, r *http.Request) error {
	id, n, err := pathIDAndIndex(r)
	if err != nil {
		return err
	}
	rc, b, err := a.st.FundReceiptOf(r.Context(), authz.ScopeFrom(r.Context()), id, n)
	if err != nil {
		return err
	}
	WriteReceipt(w, rc, fmt.Sprintf("receipt-%d-%d", id, n), b.Data)
	return nil
}

// WriteReceipt writes a receipt: a photo as WritePhoto does, a PDF as a download (never shown
// inline by the browser: a PDF kept as sent may hold scripts).
func WriteReceipt(w http.ResponseWriter, rc *model.FundReceipt, name string, data []byte) {
	if !rc.IsPDF() {
		WritePhoto(w, rc.ContentType, name+".jpg", data)
		return
	}
	h := w.Header()
	h.Set("Content-Type", model.PDFType)
	h.Set("Content-Disposition", `attachment; filename="`+name+`.pdf"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	// #nosec G705 -- a download (attachment) under nosniff and a sandboxing CSP, not HTML
	_, _ = w.Write(data)
}

type fundDecisionInput struct {
	Step           int    `json:"step"`
	Decision       string `json:"decision"`
	Reason         string `json:"reason"`
	Override       bool   `json:"override"`
	OverrideReason string `json:"override_reason"`
}

func (a *API) decideFundRequest(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req fundDecisionInput
	if err := decode(w, r, a.maxBody, &req); err != nil {
		return err
	}
	if req.Decision != "approve" && req.Decision != "reject" {
		return &model.ValidationError{Fields: []model.FieldError{{Field: "decision", Message: "decision 应为 approve 或 reject"}}}
	}
	q, err := a.st.DecideFundRequest(r.Context(), authz.ScopeFrom(r.Context()), id, model.FundDecision{Step: req.Step, Approve: req.Decision == "approve",
		Reason: req.Reason, Override: req.Override, OverrideReason: req.OverrideReason})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toFundRequestJSON(q))
}

type fundLineJSON struct {
	CategoryName string `json:"category_name"`
	OpeningFen   int64  `json:"opening_fen"`
	AllocatedFen int64  `json:"allocated_fen"`
	SpentFen     int64  `json:"spent_fen"`
	ClosingFen   int64  `json:"closing_fen"`
}

type fundPaymentJSON struct {
	RequestID     ID     `json:"request_id"`
	CommunityName string `json:"community_name"`
	CategoryName  string `json:"category_name"`
	Purpose       string `json:"purpose"`
	Payee         string `json:"payee"`
	AmountFen     int64  `json:"amount_fen"`
	Override      bool   `json:"override"`
	PaidAt        string `json:"paid_at"`
}

// fundStatement answers the statement as JSON, or as xlsx with ?format=xlsx.
func (a *API) fundStatement(w http.ResponseWriter, r *http.Request) error {
	territory, year, month, err := fundQuery(r, "format")
	if err != nil {
		return err
	}
	sc := authz.ScopeFrom(r.Context())
	if r.URL.Query().Get("format") == "xlsx" {
		name, data, err := importer.FundStatement(r.Context(), a.st, sc, territory, year, month)
		if err != nil {
			return err
		}
		h := w.Header()
		h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="funds-%d.xlsx"; filename*=UTF-8''%s`, year, url.PathEscape(name)))
		h.Set("Cache-Control", "no-store")
		_, err = w.Write(data) // #nosec G705 -- an xlsx download (attachment), not HTML
		return err
	}
	s, err := a.st.FundStatementOf(r.Context(), sc, territory, year, month)
	if err != nil {
		return err
	}
	line := func(l model.FundStatementLine) fundLineJSON {
		return fundLineJSON{CategoryName: l.CategoryName, OpeningFen: l.OpeningFen, AllocatedFen: l.AllocatedFen, SpentFen: l.SpentFen, ClosingFen: l.ClosingFen}
	}
	lines := make([]fundLineJSON, len(s.Lines))
	for i, l := range s.Lines {
		lines[i] = line(l)
	}
	pays := make([]fundPaymentJSON, len(s.Payments))
	for i, p := range s.Payments {
		pays[i] = fundPaymentJSON{RequestID: ID(p.RequestID), CommunityName: p.CommunityName, CategoryName: p.CategoryName, Purpose: p.Purpose, Payee: p.Payee,
			AmountFen: p.AmountFen, Override: p.Override, PaidAt: rfc3339(p.PaidAt)}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"territory_name": s.TerritoryName, "year": s.Year, "month": s.Month, "period": s.Period(),
		"lines": lines, "total": line(s.Total), "payments": pays})
}
