package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Volunteer service by orders (issue 10) on the pages. A resident on a phone places an order
// (category chips, a sentence, a preferred time, photos) and follows it on its page, which asks
// every 10 seconds whether the order changed (htmx; the server answers 204 while it has not);
// members and volunteers find open orders near them, claim them and mark them done; staff
// dispatch from a board with the overdue orders on top. Every change is one form posting an
// action to /orders/{id}/act: the store decides whether the caller may (Order.Actions are the
// buttons shown), so the page offers nothing the store would refuse.

// placesOnBehalf reports whether sc places orders for households of its territory (staff, grid
// and unit leaders; a secretary dispatches by post but places only for its own household).
func placesOnBehalf(sc authz.Scope) bool {
	switch sc.Role {
	case model.RoleSystemAdmin, model.RoleDistrictAdmin, model.RoleStreetAdmin, model.RoleCommunityAdmin, model.RoleCommunityStaff, model.RoleGridLeader:
		return true
	}
	return sc.All || sc.UnitBound()
}

// dispatches reports whether the caller sees the dispatch board: staff, grid and unit leaders,
// and the secretaries of branches and committees by their post (store.DispatchesOrders).
func (wb *Web) dispatches(r *http.Request) (bool, error) {
	return wb.st.DispatchesOrders(r.Context(), scope(r))
}

type orderListPage struct {
	Page
	View     string // mine, near, taking
	Items    []*model.Order
	Places   map[int64]string // territory id → name, for the near view
	Next     string
	Total    int64
	Path     string
	CanPlace bool
}

// myOrders is 我的订单: the household's orders and those the caller placed.
func (wb *Web) myOrders(w http.ResponseWriter, r *http.Request) error {
	return wb.orderList(w, r, http.StatusOK, store.OrdersMine, nil)
}

// nearOrders is 附近订单: the open orders of the caller's community, to claim.
func (wb *Web) nearOrders(w http.ResponseWriter, r *http.Request) error {
	return wb.orderList(w, r, http.StatusOK, store.OrdersNear, nil)
}

// takingOrders is 我接的单.
func (wb *Web) takingOrders(w http.ResponseWriter, r *http.Request) error {
	return wb.orderList(w, r, http.StatusOK, store.OrdersTaking, nil)
}

func (wb *Web) orderList(w http.ResponseWriter, r *http.Request, status int, view store.OrderView, failed *Form) error {
	ctx, sc := r.Context(), scope(r)
	name := string(view)
	p, err := wb.st.Orders(ctx, sc, store.OrderFilter{View: view, Limit: 20, Cursor: r.URL.Query().Get("cursor")})
	if errors.Is(err, store.ErrBadCursor) {
		redirect(w, r, r.URL.Path, "")
		return nil
	}
	if err != nil {
		return err
	}
	d := &orderListPage{Page: wb.base(r, wb.t("orders."+name+".title"), "orders-"+name), View: name, Items: p.Items, Next: p.Next, Total: p.Total,
		Path: r.URL.Path, Places: map[int64]string{}}
	d.CanPlace = d.Can(authz.OrderPlace)
	if view == store.OrdersNear {
		for _, o := range p.Items {
			if _, ok := d.Places[o.TerritoryID]; !ok {
				d.Places[o.TerritoryID] = wb.placeName(r, o.TerritoryID)
			}
		}
	}
	d.Failed = failed
	d.Crumbs = []Crumb{{Name: d.Title}}
	return wb.render(w, r, status, "orders/list", d)
}

// placeName is the name of the node an order lies at, as the caller may read it ("" if not).
func (wb *Web) placeName(r *http.Request, id int64) string {
	t, err := wb.st.Territory(r.Context(), scope(r), id)
	if err != nil {
		return ""
	}
	return t.Name
}

type orderFormPage struct {
	Page
	Form        *Form
	Household   *model.Household // nil: none yet (staff choose one)
	OnBehalf    bool
	Cats        []*model.OrderCategory
	Q           string
	Found       []*model.Household // staff's household search
	NoHousehold string             // why the caller cannot place for itself
	PhotoErrors []string
	MaxPhotos   int
	MaxMB       int
}

var orderFields = []string{"category_id", "description", "preferred_time", "contact", "photos", "household_id"}

// newOrderKey is a fresh idempotency key, one per rendering of the place form: the same form
// sent twice (a double tap, a resend on a weak connection) places one order.
func newOrderKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "web-" + hex.EncodeToString(b)
}

// newOrderForm is the place form: for the caller's own household, or — staff, grid and unit
// leaders — for a household of their scope chosen with ?household= (found with ?q=).
func (wb *Web) newOrderForm(w http.ResponseWriter, r *http.Request) error {
	hid, err := queryID(r, "household")
	if err != nil {
		return err
	}
	f := newForm("order", url.Values{"idem_key": {newOrderKey()}}, orderFields...)
	if hid != 0 {
		f.Values.Set("household_id", strconv.FormatInt(hid, 10))
	}
	return wb.orderForm(w, r, http.StatusOK, f)
}

func (wb *Web) orderForm(w http.ResponseWriter, r *http.Request, status int, f *Form) error {
	ctx, sc := r.Context(), scope(r)
	d := &orderFormPage{Page: wb.base(r, wb.t("orders.new.title"), "orders-new"), Form: f, MaxPhotos: model.PhotosPerEntry, MaxMB: model.PhotoMax >> 20}
	hid, _ := strconv.ParseInt(f.Values.Get("household_id"), 10, 64)
	h, cats, err := wb.st.OrderPlaceFor(ctx, sc, hid)
	var ve *model.ValidationError
	switch {
	case errors.As(err, &ve) && hid == 0:
		d.NoHousehold = ve.Fields[0].Message
	case errors.Is(err, model.ErrNotFound) && hid != 0 && !f.Invalid():
		return err
	case errors.Is(err, model.ErrNotFound) && hid != 0:
		// The form sent for a household the caller may not place for: its error says so.
	case err != nil:
		return err
	default:
		d.Household, d.Cats = h, cats
		d.OnBehalf = hid != 0
	}
	if d.Household == nil && placesOnBehalf(sc) {
		d.Q = strings.TrimSpace(r.URL.Query().Get("q"))
		if d.Q != "" {
			p, err := wb.st.Households(ctx, sc, store.HouseholdFilter{Q: d.Q, Limit: 20})
			if err != nil {
				return err
			}
			d.Found = p.Items
		}
	}
	for _, e := range f.Errors {
		if e.Field == "photos" {
			d.PhotoErrors = append(d.PhotoErrors, e.Message)
		}
	}
	if f.Invalid() {
		d.Failed = f
	}
	d.Crumbs = []Crumb{{Name: wb.t("orders.mine.title"), URL: "/orders/mine"}, {Name: d.Title}}
	return wb.render(w, r, status, "orders/new", d)
}

// placeOrder takes the place form with its photos: to the order's page, or the form again with
// every error (the input and the idempotency key kept, the photos to choose again). The same
// key sent again gives the order placed first.
func (wb *Web) placeOrder(w http.ResponseWriter, r *http.Request) error {
	f := newForm("order", url.Values{}, orderFields...)
	r.Body = http.MaxBytesReader(w, r.Body, api.ActivityUploadLimit)
	// #nosec G120 -- the body is bounded by the MaxBytesReader just above
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			f.add("photos", wb.t("unitact.photos.too_large", model.PhotosPerEntry, model.PhotoMax>>20))
		case errors.Is(err, http.ErrNotMultipart), errors.Is(err, http.ErrMissingBoundary):
			f.add("photos", wb.t("unitact.form.malformed"))
		default:
			return err
		}
		f.Values.Set("idem_key", newOrderKey())
		return wb.orderForm(w, r, http.StatusUnprocessableEntity, f)
	}
	defer r.MultipartForm.RemoveAll()
	f.Values = url.Values(r.MultipartForm.Value)
	get := func(k string) string { return strings.TrimSpace(f.Values.Get(k)) }
	in := model.OrderInput{Description: get("description"), PreferredTime: get("preferred_time"), Contact: get("contact"), IdempotencyKey: get("idem_key")}
	var bad bool
	if s := get("category_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			f.add("category_id", wb.t("orders.category.invalid"))
			bad = true
		}
		in.CategoryID = n
	}
	if s := get("household_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return model.ErrNotFound
		}
		in.HouseholdID = n
	}
	var photos [][]byte
	for _, fh := range r.MultipartForm.File["photos"] {
		if fh.Size == 0 && fh.Filename == "" {
			continue // an empty file input
		}
		b, err := readUpload(fh)
		if err != nil {
			return err
		}
		photos = append(photos, b)
	}
	if in.IdempotencyKey == "" {
		in.IdempotencyKey = newOrderKey()
		f.Values.Set("idem_key", in.IdempotencyKey)
	}
	var o *model.Order
	var err error
	if !bad {
		o, _, err = wb.st.PlaceOrder(r.Context(), scope(r), in, photos)
	}
	if bad || err != nil {
		if err != nil && !f.fail(err) {
			return err
		}
		for i, e := range f.Errors {
			if n, ok := strings.CutPrefix(e.Field, "photos["); ok {
				k, _ := strconv.Atoi(strings.TrimSuffix(n, "]"))
				f.Errors[i] = model.FieldError{Field: "photos", Message: wb.t("unitact.photo.nth", k+1) + e.Message}
			}
		}
		return wb.orderForm(w, r, http.StatusUnprocessableEntity, f)
	}
	redirect(w, r, fmt.Sprintf("/orders/%d", o.ID), "order_placed")
	return nil
}

type orderPage struct {
	Page
	Order   *model.Order
	Place   string
	Acts    map[string]bool         // the actions the caller may take, for the buttons
	Takers  []store.TakerSuggestion // dispatch: the community's takers, ranked, with why
	Form    *Form
	Live    bool // the order may still change: the page asks for changes
	Stars   []int
	Overdue bool
	Photos  []int // the photos' numbers, from 1
}

// order is an order's page: status, taker, history and the actions the caller may take. Asked
// by the page's poller with ?since=<version>, it answers 204 while the order is unchanged.
func (wb *Web) order(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if isHTMX(r) {
		if since := r.URL.Query().Get("since"); since != "" {
			o, err := wb.st.Order(r.Context(), scope(r), id)
			if err != nil {
				return err
			}
			if strconv.FormatInt(o.Version, 10) == since {
				w.Header().Set("Cache-Control", "no-store")
				w.WriteHeader(http.StatusNoContent)
				return nil
			}
		}
	}
	return wb.orderShow(w, r, http.StatusOK, id, nil)
}

func (wb *Web) orderShow(w http.ResponseWriter, r *http.Request, status int, id int64, f *Form) error {
	ctx, sc := r.Context(), scope(r)
	o, err := wb.st.Order(ctx, sc, id)
	if err != nil {
		return err
	}
	if f == nil {
		f = newForm("act", url.Values{}, "reason", "stars", "comment", "hours", "taker_id")
	}
	d := &orderPage{Page: wb.base(r, wb.t("orders.show.title", o.Category), "orders"), Order: o, Form: f, Acts: map[string]bool{},
		Stars: []int{5, 4, 3, 2, 1}}
	for _, a := range o.Actions {
		d.Acts[string(a)] = true
	}
	for n := 1; n <= o.Photos; n++ {
		d.Photos = append(d.Photos, n)
	}
	d.Live = o.Status != model.OrderClosed && o.Status != model.OrderCancelled
	d.Page.Live = d.Live
	d.Overdue = o.DueAt != nil && o.DueAt.Before(wb.st.Now())
	if o.Address == "" {
		d.Place = wb.placeName(r, o.TerritoryID)
	}
	if d.Acts[string(model.ActDispatch)] {
		// The community's takers, best suited first, each with why (the same ranking as the
		// API's suggestions), whoever dispatches: staff, a grid leader or a branch secretary.
		if d.Takers, err = wb.st.SuggestTakers(ctx, sc, o.ID, 50); err != nil {
			return err
		}
	}
	if f.Invalid() {
		d.Failed = f
	}
	back := "/orders/mine"
	disp, err := wb.dispatches(r)
	if err != nil {
		return err
	}
	switch {
	case disp:
		back = "/orders"
	case o.Taker != nil && o.Taker.UserID == sc.UserID:
		back = "/orders/taking"
	case o.Status == model.OrderOpen && o.HouseholdID == 0:
		back = "/orders/near"
	}
	d.Crumbs = []Crumb{{Name: wb.t("orders.crumb"), URL: back}, {Name: d.Title}}
	return wb.render(w, r, status, "orders/show", d)
}

// actOrder applies the action the form posts (action, and reason, stars, comment, hours or
// taker_id as it needs): back to the order's page with a confirmation; a refused input or a
// change meanwhile shows the page again with why. A claim lost to another taker goes back to
// the list of open orders with "已被他人接单".
func (wb *Web) actOrder(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := newForm("act", r.PostForm, "reason", "stars", "comment", "hours", "taker_id")
	get := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	in := model.OrderTransitionInput{Action: model.OrderAction(get("action")), Reason: get("reason"), Comment: get("comment")}
	if s := get("stars"); s != "" {
		if in.Stars, err = strconv.Atoi(s); err != nil {
			in.Stars = -1
		}
	}
	if s := get("hours"); s != "" {
		if in.Hours, err = strconv.ParseFloat(s, 64); err != nil {
			f.add("hours", wb.t("orders.hours.invalid"))
		}
	}
	if s := get("taker_id"); s != "" {
		if in.TakerID, err = strconv.ParseInt(s, 10, 64); err != nil {
			in.TakerID = 0
		}
	}
	if !f.Invalid() {
		_, err = wb.st.TransitionOrder(r.Context(), scope(r), id, in)
	}
	if f.Invalid() || err != nil {
		if err != nil && !f.fail(err) {
			return err
		}
		status := http.StatusUnprocessableEntity
		var ce *model.ConflictError
		if errors.As(err, &ce) {
			status = http.StatusConflict
			if in.Action == model.ActClaim {
				return wb.orderList(w, r, status, store.OrdersNear, f)
			}
		}
		err := wb.orderShow(w, r, status, id, f)
		if errors.Is(err, model.ErrNotFound) && f.Message != "" {
			wb.errorPage(w, r, status, f.Message)
			return nil
		}
		return err
	}
	if in.Action == model.ActDecline {
		redirect(w, r, "/orders/taking", "order_decline")
		return nil
	}
	redirect(w, r, fmt.Sprintf("/orders/%d", id), "order_"+string(in.Action))
	return nil
}

type orderBoardPage struct {
	Page
	Overdue    []*model.Order
	Items      []*model.Order
	Next       string
	Total      int64
	Statuses   []model.OrderStatus
	Status     string
	Cats       []*model.OrderCategory
	CategoryID int64
	Self       string // the board as shown (its filters and page), which refreshes itself
}

// orders is the dispatch board for staff, grid and unit leaders: the overdue orders of their
// area first (their time limit passed), then every order, newest first, filtered by status and
// category. Residents and members go to their own orders.
func (wb *Web) orders(w http.ResponseWriter, r *http.Request) error {
	ctx, sc := r.Context(), scope(r)
	if disp, err := wb.dispatches(r); err != nil {
		return err
	} else if !disp {
		redirect(w, r, "/orders/mine", "")
		return nil
	}
	q := r.URL.Query()
	f := store.OrderFilter{Status: model.OrderStatus(q.Get("status")), Limit: 50, Cursor: q.Get("cursor")}
	if !f.Status.Valid() {
		f.Status = ""
	}
	if n, err := strconv.ParseInt(q.Get("category"), 10, 64); err == nil && n > 0 {
		f.CategoryID = n
	}
	p, err := wb.st.Orders(ctx, sc, f)
	if errors.Is(err, store.ErrBadCursor) {
		redirect(w, r, r.URL.Path, "")
		return nil
	}
	if err != nil {
		return err
	}
	d := &orderBoardPage{Page: wb.base(r, wb.t("orders.board.title"), "orders"), Items: p.Items, Next: p.Next, Total: p.Total,
		Statuses: model.OrderStatuses, Status: string(f.Status), CategoryID: f.CategoryID, Self: r.URL.RequestURI()}
	// The board follows the orders of the area as they change (board.html).
	d.Page.Live = true
	if f.Cursor == "" {
		of := f
		of.Overdue, of.Limit = true, 50
		op, err := wb.st.Orders(ctx, sc, of)
		if err != nil {
			return err
		}
		for _, o := range op.Items {
			if o.Status.Active() {
				d.Overdue = append(d.Overdue, o)
			}
		}
	}
	if d.Cats, err = wb.st.OrderCategoriesInScope(ctx, sc); err != nil {
		return err
	}
	d.Crumbs = []Crumb{{Name: d.Title}}
	return wb.render(w, r, http.StatusOK, "orders/board", d)
}

// readUpload reads an uploaded file up to one byte over model.PhotoMax, so that the store's
// check names a photo too large instead of reading it whole.
func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, model.PhotoMax+1))
}

type orderSettingsPage struct {
	Page
	Communities []*model.Territory
	Community   *model.Territory
	Cats        []*model.OrderCategory
	Takers      []*model.OrderTaker
	CatForm     *Form // the category being added or changed (its id in "id")
	TakerForm   *Form
}

// orderSettings is the staff's settings of a community's orders: the categories of service
// with their time limits, and the registered takers (volunteers, co-building units).
func (wb *Web) orderSettings(w http.ResponseWriter, r *http.Request) error {
	return wb.orderSettingsPage(w, r, http.StatusOK, nil, nil)
}

func (wb *Web) orderSettingsPage(w http.ResponseWriter, r *http.Request, status int, catForm, takerForm *Form) error {
	ctx, sc := r.Context(), scope(r)
	cid, err := queryID(r, "community")
	if err != nil {
		return err
	}
	if r.Method == http.MethodPost {
		if cid, err = strconv.ParseInt(r.PostForm.Get("community"), 10, 64); err != nil || cid <= 0 {
			return model.ErrNotFound
		}
	}
	d := &orderSettingsPage{Page: wb.base(r, wb.t("orders.settings.title"), "orders-settings"), CatForm: catForm, TakerForm: takerForm}
	if cid == 0 {
		p, err := wb.st.Territories(ctx, sc, store.TerritoryFilter{Kind: model.KindCommunity, Limit: 100})
		if err != nil {
			return err
		}
		d.Communities = p.Items
		if len(p.Items) == 1 {
			cid = p.Items[0].ID
		}
	}
	if cid != 0 {
		d.Community, err = wb.st.Territory(ctx, sc, cid)
		if errors.Is(err, model.ErrNotFound) && (catForm != nil || takerForm != nil) {
			// A refused form named a community the caller does not reach: its errors say
			// why; the page offers the communities it does.
			d.Community, cid = nil, 0
			p, err := wb.st.Territories(ctx, sc, store.TerritoryFilter{Kind: model.KindCommunity, Limit: 100})
			if err != nil {
				return err
			}
			d.Communities = p.Items
		} else if err != nil {
			return err
		}
	}
	if cid != 0 {
		if d.Community.Kind != model.KindCommunity {
			return model.ErrNotFound
		}
		if d.Cats, err = wb.st.OrderCategories(ctx, sc, cid); err != nil {
			return err
		}
		p, err := wb.st.OrderTakers(ctx, sc, cid, 200, "")
		if err != nil {
			return err
		}
		d.Takers = p.Items
	}
	if d.CatForm == nil {
		d.CatForm = newForm("cat", url.Values{"take_within_hours": {"24"}, "finish_within_hours": {"72"}, "active": {"on"}, "open_on_place": {"on"}},
			"name", "take_within_hours", "finish_within_hours")
	}
	if d.TakerForm == nil {
		d.TakerForm = newForm("taker", url.Values{"kind": {"volunteer"}}, "username", "kind", "name", "territory_id", "skills", "availability")
	}
	for _, f := range []*Form{d.CatForm, d.TakerForm} {
		if f.Invalid() {
			d.Failed = f
		}
	}
	d.Crumbs = []Crumb{{Name: wb.t("orders.board.title"), URL: "/orders"}, {Name: d.Title}}
	return wb.render(w, r, status, "orders/settings", d)
}

// saveOrderCategory adds a category (id empty) or changes one.
func (wb *Web) saveOrderCategory(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := newForm("cat", r.PostForm, "name", "take_within_hours", "finish_within_hours")
	community, err := strconv.ParseInt(r.PostForm.Get("community"), 10, 64)
	if err != nil || community <= 0 {
		return model.ErrNotFound
	}
	var id int64
	if s := r.PostForm.Get("id"); s != "" {
		if id, err = strconv.ParseInt(s, 10, 64); err != nil || id <= 0 {
			return model.ErrNotFound
		}
	}
	in := store.OrderCategoryInput{Name: r.PostForm.Get("name"), OpenOnPlace: r.PostForm.Get("open_on_place") != "", Active: r.PostForm.Get("active") != ""}
	for _, x := range []struct {
		name string
		dst  *int
	}{{"take_within_hours", &in.TakeWithinHours}, {"finish_within_hours", &in.FinishWithinHours}} {
		if n, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get(x.name))); err != nil {
			f.add(x.name, wb.t("orders.hours.whole"))
		} else {
			*x.dst = n
		}
	}
	if !f.Invalid() {
		_, err = wb.st.SaveOrderCategory(r.Context(), scope(r), community, id, in)
	}
	if f.Invalid() || err != nil {
		if err != nil && !f.fail(err) {
			return err
		}
		return wb.orderSettingsPage(w, r, http.StatusUnprocessableEntity, f, nil)
	}
	redirect(w, r, fmt.Sprintf("/orders/settings?community=%d", community), "order_category_saved")
	return nil
}

// registerOrderTaker registers the account named by its username as a volunteer or a
// co-building unit's taker at a node of the community.
func (wb *Web) registerOrderTaker(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := newForm("taker", r.PostForm, "username", "kind", "name", "territory_id", "skills", "availability")
	community, err := strconv.ParseInt(r.PostForm.Get("community"), 10, 64)
	if err != nil || community <= 0 {
		return model.ErrNotFound
	}
	get := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	in := store.TakerInput{Kind: get("kind"), Name: get("name"), Skills: get("skills"), Availability: get("availability"), TerritoryID: community}
	if s := get("territory_id"); s != "" {
		if in.TerritoryID, err = strconv.ParseInt(s, 10, 64); err != nil {
			f.add("territory_id", wb.t("orders.settings.taker.node.invalid"))
		}
	}
	if s := get("organization_id"); s != "" {
		in.OrganizationID, _ = strconv.ParseInt(s, 10, 64)
	}
	if u, err := wb.st.UserByUsername(r.Context(), get("username")); err == nil && !u.Disabled {
		in.UserID = u.ID
	} else if errors.Is(err, model.ErrNotFound) || err == nil {
		f.add("username", wb.t("orders.settings.taker.username.unknown"))
	} else {
		return err
	}
	if !f.Invalid() {
		_, err = wb.st.RegisterTaker(r.Context(), scope(r), in)
	}
	if f.Invalid() || err != nil {
		if err != nil && !f.fail(err) {
			return err
		}
		for i, e := range f.Errors {
			if e.Field == "user_id" {
				f.Errors[i].Field = "username"
			}
		}
		return wb.orderSettingsPage(w, r, http.StatusUnprocessableEntity, nil, f)
	}
	redirect(w, r, fmt.Sprintf("/orders/settings?community=%d", community), "order_taker_saved")
	return nil
}
