package web

import (
	"cmp"
	"net/http"
	"slices"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// homeData is the dashboard: the caller's scope node with its maintained counts and its
// children, or for roles without access to households a simple personal home.
type homeData struct {
	Page
	Personal      bool
	Root          *model.Territory   // the scope node; nil for system_admin, who sees every root
	Children      []*model.Territory // the root's children, or the roots
	More          bool               // more children than shown
	ChildrenEmpty Empty
	Households    int64
	Residents     int64
}

// Share is the part of the scope's households that lie under c, in percent, for the bars.
func (d *homeData) Share(c *model.Territory) int64 {
	if d.Households == 0 {
		return 0
	}
	return c.Households * 100 / d.Households
}

const homeChildren = 100

func (wb *Web) home(w http.ResponseWriter, r *http.Request) error {
	u := authz.UserFrom(r.Context())
	sc := scope(r)
	d := &homeData{Page: wb.base(r, wb.t("home.title"), "home")}
	d.Live = true // the 消息 badge counts notifications as they arrive
	d.Personal = !authz.Allowed(u.Role, authz.HouseholdRead)
	f := store.TerritoryFilter{Limit: homeChildren}
	if u.ScopeID != 0 {
		root, err := wb.st.Territory(r.Context(), sc, u.ScopeID)
		if err != nil {
			return err
		}
		d.Root, d.Households, d.Residents = root, root.Households, root.Residents
		f.Under, f.ParentID = root.ID, root.ID
		d.Crumbs = []Crumb{{Name: root.Name}}
	} else {
		f.Kind = model.KindDistrict
		d.Crumbs = []Crumb{{Name: wb.t("scope.all")}}
	}
	d.ChildrenEmpty = Empty{Icon: "map", Title: wb.t("home.children.empty"), Text: wb.t("home.children.empty.ask")}
	if d.Can(authz.TerritoryWrite) {
		manage := "/territories"
		if d.Root != nil {
			manage = territoryURL(d.Root.ID)
		}
		d.ChildrenEmpty.Text = wb.t("home.children.empty.next")
		d.ChildrenEmpty.Actions = []Link{{Label: wb.t("home.children.empty.action"), URL: manage, Primary: true}}
	}
	if !d.Personal {
		page, err := wb.st.Territories(r.Context(), sc, f)
		if err != nil {
			return err
		}
		d.Children, d.More = page.Items, page.Next != ""
		if d.Root == nil {
			// The roots come in path order ("/10/" before "/2/"): show them as they were added.
			// A root's children come by code, then name, from the store.
			slices.SortFunc(d.Children, func(a, b *model.Territory) int { return cmp.Compare(a.ID, b.ID) })
			for _, c := range d.Children {
				d.Households += c.Households
				d.Residents += c.Residents
			}
		}
	}
	return wb.render(w, r, http.StatusOK, "home/home", d)
}

// services is the phone's 办事 tab: every task the role may do, as large tiles.
func (wb *Web) services(w http.ResponseWriter, r *http.Request) error {
	d := &struct {
		Page
		Dues     bool // the 党费 tile: staff who keep dues, and a member who is secretary (or holds a post) of an org
		Dispatch bool // the 派单 board tile: staff, grid leaders, and secretaries by post
	}{Page: wb.base(r, wb.t("services.title"), "services")}
	if d.Can("order.read") {
		var err error
		if d.Dispatch, err = wb.dispatches(r); err != nil {
			return err
		}
	}
	d.Crumbs = wb.scopeCrumbs(r, territoryURL)
	if d.Can("party.dues.write") {
		d.Dues = true
		if sc := scope(r); sc.Role == model.RoleMember && !sc.All {
			orgs, err := wb.st.MeetingOrgs(r.Context(), sc) // the orgs it manages by post
			if err != nil {
				return err
			}
			d.Dues = len(orgs) > 0
		}
	}
	return wb.render(w, r, http.StatusOK, "home/services", d)
}

// messages is the 消息 tab: the caller's notifications (duty reminders, swap requests; later
// features send theirs through the same seam), newest first.
func (wb *Web) messages(w http.ResponseWriter, r *http.Request) error {
	d := &messagesData{Page: wb.base(r, wb.t("messages.title"), "messages")}
	d.Live = true // a notification arriving reloads the list (messages.html)
	d.Crumbs = wb.scopeCrumbs(r, territoryURL)
	p, err := wb.st.Notifications(r.Context(), scope(r), 50, "")
	if err != nil {
		return err
	}
	d.Items = p.Items
	for _, n := range p.Items {
		if n.ReadAt == nil {
			d.Unread++
		}
	}
	return wb.render(w, r, http.StatusOK, "home/messages", d)
}

// messagesData is the 消息 tab: the caller's notifications.
type messagesData struct {
	Page
	Items  []*model.Notification
	Unread int
}

func (wb *Web) readMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := wb.st.MarkNotificationRead(r.Context(), scope(r), id); err != nil {
		return err
	}
	if to := r.PostForm.Get("next"); to != "" && safeNext(to) == to {
		redirect(w, r, to, "")
		return nil
	}
	redirect(w, r, "/messages", "")
	return nil
}

// me is the 我的 tab: the account, its role and scope, and logging out.
func (wb *Web) me(w http.ResponseWriter, r *http.Request) error {
	d := &struct{ Page }{wb.base(r, wb.t("me.title"), "me")}
	d.Crumbs = wb.scopeCrumbs(r, territoryURL)
	return wb.render(w, r, http.StatusOK, "home/me", d)
}
