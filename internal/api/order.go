package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Volunteer service by orders (issue 10): /api/v1/orders (list, place, read, claim,
// transitions, photos), /api/v1/orders/categories and /api/v1/orders/takers (staff). Who may do
// what to an order is the store's decision (store/order.go); these handlers parse and answer.

// orderJSON is an order as the API shows it. A registered taker browsing open orders of its
// community reads neither household_id, address, contact nor who placed it.
type orderJSON struct {
	ID            ID               `json:"id"`
	Status        string           `json:"status"`
	StatusLabel   string           `json:"status_label"`
	Level         string           `json:"level"`
	CategoryID    ID               `json:"category_id"`
	Category      string           `json:"category"`
	CommunityID   ID               `json:"community_id"`
	TerritoryID   ID               `json:"territory_id"`
	HouseholdID   *ID              `json:"household_id"`
	Address       string           `json:"address,omitempty"`
	Description   string           `json:"description"`
	PreferredTime string           `json:"preferred_time"`
	Contact       string           `json:"contact,omitempty"`
	Taker         *orderTakerRef   `json:"taker"`
	OnBehalf      bool             `json:"on_behalf"`
	PlacedBy      string           `json:"placed_by,omitempty"`
	Stars         int              `json:"stars,omitempty"`
	Comment       string           `json:"comment,omitempty"`
	Minutes       int              `json:"service_minutes,omitempty"`
	Photos        []string         `json:"photos,omitempty"`
	PlacedAt      string           `json:"placed_at"`
	TakenAt       string           `json:"taken_at,omitempty"`
	DoneAt        string           `json:"done_at,omitempty"`
	DueAt         string           `json:"due_at,omitempty"`
	UpdatedAt     string           `json:"updated_at"`
	Version       int64            `json:"version"`
	Actions       []string         `json:"actions,omitempty"`
	History       []orderEventJSON `json:"history,omitempty"`
}

type orderTakerRef struct {
	ID   ID     `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

type orderEventJSON struct {
	Action string `json:"action"`
	Label  string `json:"label"`
	From   string `json:"from,omitempty"`
	To     string `json:"to"`
	Actor  string `json:"actor,omitempty"`
	Reason string `json:"reason,omitempty"`
	At     string `json:"at"`
}

func toOrderJSON(o *model.Order) orderJSON {
	out := orderJSON{ID: ID(o.ID), Status: string(o.Status), StatusLabel: o.Status.Label(), Level: string(o.Level), CategoryID: ID(o.CategoryID),
		Category: o.Category, CommunityID: ID(o.CommunityID), TerritoryID: ID(o.TerritoryID), Address: o.Address, Description: o.Description,
		PreferredTime: o.PreferredTime, Contact: o.Contact, OnBehalf: o.OnBehalf, PlacedBy: o.PlacedByName, Stars: o.Stars, Comment: o.Comment,
		Minutes: o.Minutes, PlacedAt: rfc3339(o.PlacedAt), UpdatedAt: rfc3339(o.UpdatedAt), Version: o.Version}
	if o.HouseholdID != 0 {
		h := ID(o.HouseholdID)
		out.HouseholdID = &h
	}
	if o.Taker != nil {
		out.Taker = &orderTakerRef{ID: ID(o.Taker.ID), Name: o.Taker.Name, Kind: o.Taker.Kind}
	}
	for n := 1; n <= o.Photos; n++ {
		out.Photos = append(out.Photos, fmt.Sprintf("/api/v1/orders/%d/photos/%d", o.ID, n))
	}
	if o.TakenAt != nil {
		out.TakenAt = rfc3339(*o.TakenAt)
	}
	if o.DoneAt != nil {
		out.DoneAt = rfc3339(*o.DoneAt)
	}
	if o.DueAt != nil {
		out.DueAt = rfc3339(*o.DueAt)
	}
	for _, a := range o.Actions {
		out.Actions = append(out.Actions, string(a))
	}
	for _, e := range o.History {
		out.History = append(out.History, orderEventJSON{Action: string(e.Action), Label: e.Action.Label(), From: string(e.From), To: string(e.To),
			Actor: e.ActorName, Reason: e.Reason, At: rfc3339(e.At)})
	}
	return out
}

func (a *API) listOrders(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r, "view", "status", "category_id", "overdue")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.OrderFilter{View: store.OrderView(q.Get("view")), Under: lq.Territory, Status: model.OrderStatus(q.Get("status")), Limit: lq.Limit, Cursor: lq.Cursor}
	if s := q.Get("category_id"); s != "" {
		if f.CategoryID, err = strconv.ParseInt(s, 10, 64); err != nil || f.CategoryID <= 0 {
			return malformed("查询参数有误", model.FieldError{Field: "category_id", Message: "应为服务类别的 ID"})
		}
	}
	switch q.Get("overdue") {
	case "", "false":
	case "true":
		f.Overdue = true
	default:
		return malformed("查询参数有误", model.FieldError{Field: "overdue", Message: "应为 true 或 false"})
	}
	if f.View != store.OrdersInScope && lq.Territory != 0 {
		return malformed("查询参数有误", model.FieldError{Field: "territory", Message: "只有辖区视图按节点筛选"})
	}
	p, err := a.st.Orders(r.Context(), authz.ScopeFrom(r.Context()), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, func(o *model.Order) orderJSON { return toOrderJSON(o) }))
}

// orderInputJSON is an order to place (JSON; a multipart form carries the same fields and
// files photos).
type orderInputJSON struct {
	CategoryID    ID     `json:"category_id"`
	HouseholdID   ID     `json:"household_id"`
	Description   string `json:"description"`
	PreferredTime string `json:"preferred_time"`
	Contact       string `json:"contact"`
}

// placeOrder places an order: 201 with it, or 200 with the order an earlier request with the
// same Idempotency-Key and body created.
func (a *API) placeOrder(w http.ResponseWriter, r *http.Request) error {
	var in model.OrderInput
	var photos [][]byte
	if mt := r.Header.Get("Content-Type"); strings.HasPrefix(mt, "multipart/form-data") {
		if err := ParseActivityForm(w, r); err != nil {
			return err
		}
		defer r.MultipartForm.RemoveAll()
		var err error
		if in, photos, err = readOrderForm(r); err != nil {
			return err
		}
	} else {
		var body orderInputJSON
		if err := decode(w, r, 16<<10, &body); err != nil {
			return err
		}
		in = model.OrderInput{CategoryID: int64(body.CategoryID), HouseholdID: int64(body.HouseholdID), Description: body.Description,
			PreferredTime: body.PreferredTime, Contact: body.Contact}
	}
	in.IdempotencyKey = strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	o, created, err := a.st.PlaceOrder(r.Context(), authz.ScopeFrom(r.Context()), in, photos)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/orders/%d", o.ID))
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	return writeJSON(w, status, toOrderJSON(o))
}

// readOrderForm reads an order's multipart form (category_id, household_id, description,
// preferred_time, contact, files photos). The pages post the same fields.
func readOrderForm(r *http.Request) (model.OrderInput, [][]byte, error) {
	var in model.OrderInput
	f := r.MultipartForm
	get := func(k string) string {
		if v := f.Value[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	v := &model.ValidationError{}
	for field, dst := range map[string]*int64{"category_id": &in.CategoryID, "household_id": &in.HouseholdID} {
		if s := get(field); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				v.Add(field, "应为对象 ID")
			}
			*dst = n
		}
	}
	in.Description, in.PreferredTime, in.Contact = get("description"), get("preferred_time"), get("contact")
	if err := v.Err(); err != nil {
		return in, nil, err
	}
	photos, err := formPhotos(f)
	return in, photos, err
}

func (a *API) getOrder(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := a.st.Order(r.Context(), authz.ScopeFrom(r.Context()), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toOrderJSON(o))
}

// transitionJSON is a transition asked of an order.
type transitionJSON struct {
	Action  string  `json:"action"`
	Reason  string  `json:"reason"`
	TakerID ID      `json:"taker_id"`
	Stars   int     `json:"stars"`
	Comment string  `json:"comment"`
	Hours   float64 `json:"hours"`
}

func (a *API) claimOrder(w http.ResponseWriter, r *http.Request) error {
	return a.transition(w, r, model.OrderTransitionInput{Action: model.ActClaim})
}

func (a *API) transitionOrder(w http.ResponseWriter, r *http.Request) error {
	var body transitionJSON
	if err := decode(w, r, 8<<10, &body); err != nil {
		return err
	}
	if body.Action == string(model.ActClaim) {
		return malformed("接单请用 POST /api/v1/orders/{id}/claim", model.FieldError{Field: "action", Message: "接单有自己的地址"})
	}
	return a.transition(w, r, model.OrderTransitionInput{Action: model.OrderAction(body.Action), Reason: body.Reason, TakerID: int64(body.TakerID),
		Stars: body.Stars, Comment: body.Comment, Hours: body.Hours})
}

func (a *API) transition(w http.ResponseWriter, r *http.Request, in model.OrderTransitionInput) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	o, err := a.st.TransitionOrder(r.Context(), authz.ScopeFrom(r.Context()), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toOrderJSON(o))
}

func (a *API) orderPhoto(w http.ResponseWriter, r *http.Request) error {
	id, n, err := pathIDAndIndex(r)
	if err != nil {
		return err
	}
	p, b, err := a.st.OrderPhoto(r.Context(), authz.ScopeFrom(r.Context()), id, n)
	if err != nil {
		return err
	}
	WritePhoto(w, p.ContentType, fmt.Sprintf("order-%d-%d.jpg", id, n), b.Data)
	return nil
}

// listOrderCategories lists a community's categories (?community=ID; a resident: its own
// community when omitted).
func (a *API) listOrderCategories(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for k := range q {
		if k != "community" {
			return malformed("查询参数有误", model.FieldError{Field: k, Message: "未知参数"})
		}
	}
	community, err := strconv.ParseInt(q.Get("community"), 10, 64)
	if err != nil || community <= 0 {
		return malformed("查询参数有误", model.FieldError{Field: "community", Message: "请给出社区节点的 ID"})
	}
	cats, err := a.st.OrderCategories(r.Context(), authz.ScopeFrom(r.Context()), community)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list[*model.OrderCategory]{Items: cats})
}

// orderCategoryJSON creates or changes a category.
type orderCategoryJSON struct {
	CommunityID       ID     `json:"community_id"`
	Name              string `json:"name"`
	OpenOnPlace       *bool  `json:"open_on_place"`
	TakeWithinHours   int    `json:"take_within_hours"`
	FinishWithinHours int    `json:"finish_within_hours"`
	Active            *bool  `json:"active"`
}

func (b orderCategoryJSON) input() store.OrderCategoryInput {
	in := store.OrderCategoryInput{Name: b.Name, OpenOnPlace: true, TakeWithinHours: b.TakeWithinHours, FinishWithinHours: b.FinishWithinHours, Active: true}
	if b.OpenOnPlace != nil {
		in.OpenOnPlace = *b.OpenOnPlace
	}
	if b.Active != nil {
		in.Active = *b.Active
	}
	return in
}

func (a *API) createOrderCategory(w http.ResponseWriter, r *http.Request) error {
	var body orderCategoryJSON
	if err := decode(w, r, 4<<10, &body); err != nil {
		return err
	}
	if body.CommunityID == 0 {
		return malformed("请求有误", model.FieldError{Field: "community_id", Message: "请给出社区节点的 ID"})
	}
	c, err := a.st.SaveOrderCategory(r.Context(), authz.ScopeFrom(r.Context()), int64(body.CommunityID), 0, body.input())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (a *API) updateOrderCategory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var body orderCategoryJSON
	if err := decode(w, r, 4<<10, &body); err != nil {
		return err
	}
	if body.CommunityID == 0 {
		return malformed("请求有误", model.FieldError{Field: "community_id", Message: "请给出该类别所属社区节点的 ID"})
	}
	c, err := a.st.SaveOrderCategory(r.Context(), authz.ScopeFrom(r.Context()), int64(body.CommunityID), id, body.input())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *API) listOrderTakers(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseList(r)
	if err != nil {
		return err
	}
	p, err := a.st.OrderTakers(r.Context(), authz.ScopeFrom(r.Context()), lq.Territory, lq.Limit, lq.Cursor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, mapList(p, func(t *model.OrderTaker) *model.OrderTaker { return t }))
}

// takerJSON registers a taker.
type takerJSON struct {
	UserID         ID     `json:"user_id"`
	Kind           string `json:"kind"`
	Name           string `json:"name"`
	OrganizationID ID     `json:"organization_id"`
	TerritoryID    ID     `json:"territory_id"`
	Skills         string `json:"skills"`
	Availability   string `json:"availability"`
}

func (a *API) registerOrderTaker(w http.ResponseWriter, r *http.Request) error {
	var body takerJSON
	if err := decode(w, r, 4<<10, &body); err != nil {
		return err
	}
	t, err := a.st.RegisterTaker(r.Context(), authz.ScopeFrom(r.Context()), store.TakerInput{UserID: int64(body.UserID), Kind: body.Kind, Name: body.Name,
		OrganizationID: int64(body.OrganizationID), TerritoryID: int64(body.TerritoryID), Skills: body.Skills, Availability: body.Availability})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

// suggestionJSON is a taker ranked for an order.
type suggestionJSON struct {
	Taker  *model.OrderTaker `json:"taker"`
	Score  int               `json:"score"`
	Reason string            `json:"reason"`
}

func (a *API) suggestTakers(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	lq, err := parseList(r)
	if err != nil {
		return err
	}
	if lq.Territory != 0 || lq.Cursor != "" {
		return malformed("查询参数有误", model.FieldError{Field: "territory", Message: "推荐接单人只接受 limit"})
	}
	got, err := a.st.SuggestTakers(r.Context(), authz.ScopeFrom(r.Context()), id, lq.Limit)
	if err != nil {
		return err
	}
	out := list[suggestionJSON]{Items: []suggestionJSON{}}
	for _, g := range got {
		out.Items = append(out.Items, suggestionJSON(g))
	}
	return writeJSON(w, http.StatusOK, out)
}
