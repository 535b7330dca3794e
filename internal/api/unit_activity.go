package api

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The units' five joint activities (issue 9 item 5) and coverage (item 6): records at
// /api/v1/units/{id}/activities (a unit's list and the multipart upload) and /api/v1/activities
// (API.md's resource: the list over a subtree, one record, its photos, its hardship case),
// coverage at /api/v1/units/coverage and /api/v1/units/attention.

// unitActivityJSON is a record. A hardship record read by a role that may not see hardship
// carries withheld: true and neither description, households, photos nor case.
type unitActivityJSON struct {
	ID             ID                  `json:"id"`
	UnitID         ID                  `json:"unit_id"`
	UnitName       string              `json:"unit_name"`
	Category       string              `json:"category"`
	CategoryLabel  string              `json:"category_label"`
	Date           string              `json:"date"`
	Month          string              `json:"month"`
	Description    string              `json:"description,omitempty"`
	Households     []ID                `json:"households,omitempty"`
	HouseholdCount int                 `json:"household_count"`
	Photos         []activityPhotoJSON `json:"photos,omitempty"`
	Case           *hardshipCaseJSON   `json:"case,omitempty"`
	CreatorName    string              `json:"creator_name,omitempty"`
	CreatedAt      string              `json:"created_at"`
	Withheld       bool                `json:"withheld,omitempty"`
}

type activityPhotoJSON struct {
	N           int    `json:"n"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	URL         string `json:"url"`
}

type hardshipCaseJSON struct {
	HouseholdID ID             `json:"household_id"`
	Address     string         `json:"address,omitempty"`
	Status      string         `json:"status"`
	UpdatedAt   string         `json:"updated_at"`
	Notes       []caseNoteJSON `json:"notes,omitempty"`
}

type caseNoteJSON struct {
	From string `json:"from,omitempty"`
	To   string `json:"to"`
	Note string `json:"note"`
	At   string `json:"at"`
}

func rfc3339(t time.Time) string { return t.In(model.Shanghai).Format(time.RFC3339) }

func toUnitActivityJSON(a *model.UnitActivity) unitActivityJSON {
	out := unitActivityJSON{ID: ID(a.ID), UnitID: ID(a.UnitID), UnitName: a.UnitName, Category: string(a.Category), CategoryLabel: a.Category.Label(),
		Date: a.Date, Month: a.Month, Description: a.Description, HouseholdCount: a.HouseholdCount, CreatorName: a.CreatorName,
		CreatedAt: rfc3339(a.CreatedAt), Withheld: a.Withheld}
	for _, h := range a.Households {
		out.Households = append(out.Households, ID(h))
	}
	for _, p := range a.Photos {
		out.Photos = append(out.Photos, activityPhotoJSON{N: p.N, ContentType: p.ContentType, Size: p.Size, Width: p.Width, Height: p.Height,
			URL: fmt.Sprintf("/api/v1/activities/%d/photos/%d", a.ID, p.N)})
	}
	if c := a.Case; c != nil {
		out.Case = &hardshipCaseJSON{HouseholdID: ID(c.HouseholdID), Address: c.Address, Status: string(c.Status), UpdatedAt: rfc3339(c.UpdatedAt)}
		for _, n := range c.Notes {
			out.Case.Notes = append(out.Case.Notes, caseNoteJSON{From: string(n.From), To: string(n.To), Note: n.Note, At: rfc3339(n.At)})
		}
	}
	return out
}

// activityFilter reads the list filters category, month and case_status.
func activityFilter(r *http.Request) (store.UnitActivityFilter, error) {
	lq, err := parseList(r, "category", "month", "case_status")
	if err != nil {
		return store.UnitActivityFilter{}, err
	}
	q := r.URL.Query()
	return store.UnitActivityFilter{Under: lq.Territory, Category: model.ActivityCategory(q.Get("category")), Month: q.Get("month"),
		CaseStatus: model.CaseStatus(q.Get("case_status")), Limit: lq.Limit, Cursor: lq.Cursor}, nil
}

func (a *API) listActivityRecords(w http.ResponseWriter, r *http.Request) error {
	f, err := activityFilter(r)
	if err != nil {
		return err
	}
	p, err := a.st.UnitActivities(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toUnitActivityJSON))
}

func (a *API) listUnitActivities(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := activityFilter(r)
	if err != nil {
		return err
	}
	if f.Under != 0 {
		return malformed("查询参数有误", model.FieldError{Field: "territory", Message: "一个联建单元的活动不按节点筛选"})
	}
	f.UnitID = id
	p, err := a.st.UnitActivities(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toUnitActivityJSON))
}

// ActivityUploadLimit is the body a record may send: its photos at their limit and room for
// the fields and the multipart framing. A larger body is 413.
const ActivityUploadLimit = model.PhotosPerEntry*model.PhotoMax + 256<<10

// ReadActivityForm reads a record's multipart form (fields category, date, description,
// households — repeated or comma-separated ids —, case_household_id, and files photos) into
// the input and the photos' bytes; a photo over model.PhotoMax is read up to one byte more,
// so that CheckPhoto names it. The pages' form posts the same fields.
func ReadActivityForm(r *http.Request) (model.UnitActivityInput, [][]byte, error) {
	var in model.UnitActivityInput
	f := r.MultipartForm
	get := func(k string) string {
		if v := f.Value[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	in.Category = model.ActivityCategory(get("category"))
	in.Date = get("date")
	in.Description = get("description")
	v := &model.ValidationError{}
	for _, raw := range f.Value["households"] {
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				v.Add("households", "住户编号应为数字")
				break
			}
			in.Households = append(in.Households, n)
		}
	}
	if s := get("case_household_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			v.Add("case_household_id", "帮扶对象应为住户编号")
		}
		in.CaseHouseholdID = n
	}
	if err := v.Err(); err != nil {
		return in, nil, err
	}
	photos, err := formPhotos(f)
	return in, photos, err
}

// formPhotos reads the files of field photos of a parsed multipart form (an empty file input
// sends none), each up to one byte over model.PhotoMax, so that CheckPhoto names it.
func formPhotos(f *multipart.Form) ([][]byte, error) {
	var photos [][]byte
	for _, fh := range f.File["photos"] {
		if fh.Size == 0 && fh.Filename == "" {
			continue // an empty file input
		}
		b, err := readPart(fh)
		if err != nil {
			return nil, err
		}
		photos = append(photos, b)
	}
	return photos, nil
}

// FormPhotos reads the files of field photos of r's parsed multipart form (the pages' photo
// uploads read them as the API does).
func FormPhotos(r *http.Request) ([][]byte, error) { return formPhotos(r.MultipartForm) }

func readPart(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, model.PhotoMax+1))
}

// ParseActivityForm bounds the body and parses the multipart form of a record; a body that is
// not multipart is a *badRequest naming photos.
func ParseActivityForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, ActivityUploadLimit)
	// #nosec G120 -- the body is bounded by the MaxBytesReader just above
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return malformed("请求应为 multipart/form-data：字段 category、date、description、households，照片放在字段 photos 中",
			model.FieldError{Field: "photos", Message: "请求格式不对"})
	}
	return nil
}

// recordUnitActivity takes a multipart record with its photos: 201 with the record.
func (a *API) recordUnitActivity(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := ParseActivityForm(w, r); err != nil {
		return err
	}
	defer r.MultipartForm.RemoveAll()
	in, photos, err := ReadActivityForm(r)
	if err != nil {
		return err
	}
	rec, err := a.st.RecordUnitActivity(r.Context(), authz.ScopeFrom(r.Context()), id, in, photos)
	if err != nil {
		return err
	}
	// Read back as the caller sees it (a hardship record withheld from a unit leader).
	if rec, err = a.st.UnitActivity(r.Context(), authz.ScopeFrom(r.Context()), rec.ID); err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/activities/%d", rec.ID))
	return writeJSON(w, http.StatusCreated, toUnitActivityJSON(rec))
}

func (a *API) getActivityRecord(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rec, err := a.st.UnitActivity(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toUnitActivityJSON(rec))
}

// activityPhoto answers a photo: its own content type (always image/jpeg: every photo was
// re-encoded), inline, under nosniff and a CSP that lets the response run nothing, so that
// it is shown as a picture and never as a page in the site's origin.
func (a *API) activityPhoto(w http.ResponseWriter, r *http.Request) error {
	id, n, err := pathIDAndIndex(r)
	if err != nil {
		return err
	}
	p, b, err := a.st.UnitActivityPhoto(r.Context(), authz.ScopeFrom(r.Context()), id, n)
	if err != nil {
		return err
	}
	WritePhoto(w, p.ContentType, fmt.Sprintf("activity-%d-%d.jpg", id, n), b.Data)
	return nil
}

// WritePhoto writes a stored photo with the headers every photo is served with. Only image
// types pass; anything else (which CheckPhoto never stores) is sent as a download.
func WritePhoto(w http.ResponseWriter, contentType, name string, data []byte) {
	h := w.Header()
	if contentType != model.PhotoType {
		contentType = "application/octet-stream"
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	} else {
		h.Set("Content-Disposition", `inline; filename="`+name+`"`)
	}
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; sandbox")
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	// #nosec G705 -- a JPEG the server encoded itself (model.CheckPhoto), under nosniff and a sandboxing CSP
	_, _ = w.Write(data)
}

// caseMoveInput moves a hardship case.
type caseMoveInput struct {
	From string `json:"from"`
	To   string `json:"to"`
	Note string `json:"note"`
}

func (a *API) moveHardshipCase(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in caseMoveInput
	if err := decode(w, r, 16<<10, &in); err != nil {
		return err
	}
	rec, err := a.st.MoveHardshipCase(r.Context(), authz.ScopeFrom(r.Context()), id, model.CaseStatus(in.From), model.CaseStatus(in.To), in.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toUnitActivityJSON(rec))
}

// coverageJSON is the coverage of a node and its children.
type coverageJSON struct {
	*coverageNodeJSON
	Children []coverageNodeJSON `json:"children"`
}

type coverageNodeJSON struct {
	TerritoryID ID `json:"territory_id"`
	*model.UnitCoverage
}

func toCoverageNode(c *model.UnitCoverage) coverageNodeJSON {
	return coverageNodeJSON{TerritoryID: ID(c.TerritoryID), UnitCoverage: c}
}

func (a *API) unitCoverage(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r)
	if err != nil {
		return err
	}
	if lq.Limit != 0 || lq.Cursor != "" {
		return malformed("查询参数有误", model.FieldError{Field: "limit", Message: "覆盖情况不分页"})
	}
	top, children, err := a.st.UnitCoverage(r.Context(), authz.ScopeFrom(r.Context()), lq.Territory)
	if err != nil {
		return err
	}
	node := toCoverageNode(top)
	out := coverageJSON{coverageNodeJSON: &node, Children: make([]coverageNodeJSON, len(children))}
	for i, c := range children {
		out.Children[i] = toCoverageNode(c)
	}
	return writeJSON(w, http.StatusOK, out)
}

// attentionJSON is a unit that needs attention and why.
type attentionJSON struct {
	UnitID            ID       `json:"unit_id"`
	Name              string   `json:"name"`
	TerritoryID       ID       `json:"territory_id"`
	HouseholdCount    int      `json:"household_count"`
	RotationUntil     string   `json:"rotation_until,omitempty"`
	LastActivityMonth string   `json:"last_activity_month,omitempty"`
	Reasons           []string `json:"reasons"`
}

func toAttentionJSON(x *store.UnitAttention) attentionJSON {
	out := attentionJSON{UnitID: ID(x.Unit.ID), Name: x.Unit.Name, TerritoryID: ID(x.Unit.TerritoryID), HouseholdCount: x.Unit.Households,
		RotationUntil: x.Unit.RotationUntil, LastActivityMonth: x.Unit.LastActivityMonth, Reasons: []string{}}
	if x.NoLeader {
		out.Reasons = append(out.Reasons, "no_leader")
	}
	if x.RotationLapsing {
		out.Reasons = append(out.Reasons, "rotation_lapsing")
	}
	if x.Inactive {
		out.Reasons = append(out.Reasons, "inactive")
	}
	return out
}

func (a *API) unitsNeedingAttention(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r)
	if err != nil {
		return err
	}
	p, err := a.st.UnitsNeedingAttention(r.Context(), authz.ScopeFrom(r.Context()), lq.Territory, lq.Limit, lq.Cursor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, toAttentionJSON))
}
