package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"gongzhi/internal/api"
	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/server"
	"gongzhi/internal/store"
)

// Orders (issue 10): the city gets opts.Orders historical orders (store.BulkOrders, once: a
// reused database keeps them), then the orders' reads are timed through the store — the
// statistics of a subtree at each level, a dispatcher's board, the taker suggestions of an
// open order — and the flow through the HTTP API: a resident places an order, a volunteer of
// the community claims it and marks it done, from opts.Concurrency workers at once.

// OrderTiming is one measured orders read.
type OrderTiming struct {
	What, Node string
	Goal       time.Duration // the p99 to reach (0: none)
	P50, P99   time.Duration
}

// OrderFlow is the place → claim → done throughput through the API.
type OrderFlow struct {
	Workers   int
	Orders    int64
	PerSecond float64
	P50, P99  time.Duration // of one order's three requests together
}

// ensureOrders adds opts.Orders orders when the city has fewer, and reports how long it took.
func ensureOrders(ctx context.Context, st *store.Store, opts Options, rep *Report, progress io.Writer) error {
	var have int64
	if err := st.ReadDB().QueryRowContext(ctx, `SELECT COUNT(*) FROM orders`).Scan(&have); err != nil {
		return err
	}
	rep.Orders = have
	if have >= int64(opts.Orders) {
		return nil
	}
	fmt.Fprintf(progress, "adding %d historical orders…\n", int64(opts.Orders)-have)
	t0 := time.Now()
	n, err := st.BulkOrders(ctx, store.BulkOrderOptions{N: opts.Orders - int(have), Seed: uint64(opts.Seed), Now: time.Now(), Takers: 30}) // #nosec G115 -- a seed
	if err != nil {
		return err
	}
	// The planner's statistics of the tables just filled (the city's were taken before they
	// had a row: PostgreSQL then planned a grid's board as a walk of every order).
	if err := st.Analyze(ctx, "orders", "order_stats", "order_events", "order_takers"); err != nil {
		return err
	}
	rep.Orders, rep.OrdersLoad = have+int64(n), time.Since(t0)
	fmt.Fprintf(progress, "  %d orders with their statistics in %v\n", n, rep.OrdersLoad.Round(time.Millisecond))
	return nil
}

// timeIt runs f samples times and returns its p50 and p99.
func timeIt(samples int, f func(i int) error) (p50, p99 time.Duration, err error) {
	times := make([]time.Duration, 0, samples)
	for i := range samples {
		t0 := time.Now()
		if err := f(i); err != nil {
			return 0, 0, err
		}
		times = append(times, time.Since(t0))
	}
	return percentile(times, 50), percentile(times, 99), nil
}

// staffOf is the bench's account of role scoped to node, as the store sees it (benchAccount).
func staffOf(ctx context.Context, st *store.Store, role model.Role, node *model.Territory) (authz.Scope, error) {
	u, err := benchAccount(ctx, st, role, node)
	if err != nil {
		return authz.Scope{}, err
	}
	return authz.ForUser(u), nil
}

// benchAccount is the bench's account of role scoped to node: made by the first run that needs
// it, the same one after. (A fresh account each run followed every order of its territory from
// then on: the orders' events fanned out to more accounts run after run, and the flow slowed
// on a reused city.)
func benchAccount(ctx context.Context, st *store.Store, role model.Role, node *model.Territory) (*model.User, error) {
	name := "bench-" + string(role) + "-" + strconv.FormatInt(node.ID, 10)
	u, err := st.UserByUsername(ctx, name)
	if errors.Is(err, model.ErrNotFound) {
		u, err = st.CreateUser(ctx, authz.System(), store.UserInput{Username: name, Password: "bench password long enough", Role: role, ScopeID: node.ID})
	}
	return u, err
}

// measureOrders times the orders' reads (nodes as pickNodes returns them).
func measureOrders(ctx context.Context, st *store.Store, nodes []*model.Territory, samples int) ([]OrderTiming, error) {
	sys := authz.System()
	var out []OrderTiming
	levels := append([]*model.Territory{}, nodes...)
	// And the largest node under the grid (a compound or building).
	kids, err := st.Territories(ctx, sys, store.TerritoryFilter{ParentID: nodes[len(nodes)-1].ID, Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	var best *model.Territory
	for _, k := range kids.Items {
		if best == nil || k.Households > best.Households {
			best = k
		}
	}
	if best != nil {
		levels = append(levels, best)
	}
	for _, n := range levels {
		var placed int64
		p50, p99, err := timeIt(samples, func(int) error {
			s, err := st.OrderStats(ctx, sys, store.OrderStatsFilter{Under: n.ID})
			if err == nil {
				placed = s.Total.Placed
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, OrderTiming{What: fmt.Sprintf("statistics of a %s, 12 months (%d orders)", n.Kind, placed), Node: n.Name, Goal: 20 * time.Millisecond, P50: p50, P99: p99})
	}
	// The dispatch board as /orders reads it: the first page with its total, the overdue ones,
	// the categories of the scope; for the staff of the largest community and street, and a
	// grid leader of the largest grid.
	for _, b := range []struct {
		role model.Role
		node *model.Territory
	}{{model.RoleGridLeader, nodes[3]}, {model.RoleCommunityStaff, nodes[2]}, {model.RoleStreetAdmin, nodes[1]}} {
		sc, err := staffOf(ctx, st, b.role, b.node)
		if err != nil {
			return nil, err
		}
		var total int64
		p50, p99, err := timeIt(samples, func(int) error {
			p, err := st.Orders(ctx, sc, store.OrderFilter{Limit: 50})
			if err != nil {
				return err
			}
			total = p.Total
			if _, err := st.Orders(ctx, sc, store.OrderFilter{Overdue: true, Limit: 50}); err != nil {
				return err
			}
			_, err = st.OrderCategoriesInScope(ctx, sc)
			return err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, OrderTiming{What: fmt.Sprintf("dispatch board of a %s (%s, %d orders)", b.node.Kind, b.role, total), Node: b.node.Name, Goal: 50 * time.Millisecond, P50: p50, P99: p99})
		if b.role != model.RoleStreetAdmin {
			continue
		}
		// And the street's board filtered to the orders waiting for a taker (待接单).
		p50, p99, err = timeIt(samples, func(int) error {
			p, err := st.Orders(ctx, sc, store.OrderFilter{Status: model.OrderOpen, Limit: 50})
			if err == nil {
				total = p.Total
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, OrderTiming{What: fmt.Sprintf("dispatch board of a %s, open orders only (%d orders)", b.node.Kind, total), Node: b.node.Name, Goal: 50 * time.Millisecond, P50: p50, P99: p99})
	}
	// Taker suggestions for the open orders of the largest community, as its staff.
	sc, err := staffOf(ctx, st, model.RoleCommunityStaff, nodes[2])
	if err != nil {
		return nil, err
	}
	open, err := st.Orders(ctx, sc, store.OrderFilter{Status: model.OrderOpen, Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	if len(open.Items) > 0 {
		p50, p99, err := timeIt(samples, func(i int) error {
			_, err := st.SuggestTakers(ctx, sc, open.Items[i%len(open.Items)].ID, 10)
			return err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, OrderTiming{What: fmt.Sprintf("taker suggestions of an open order (%d open orders)", open.Total), Node: nodes[2].Name, Goal: 20 * time.Millisecond, P50: p50, P99: p99})
	}
	return out, nil
}

// measureOrderFlow runs place → claim → done through the API of the whole server over
// loopback for opts.Duration: each worker a resident of its own household of the largest
// community and a volunteer of that community, each order its three requests in turn.
func measureOrderFlow(ctx context.Context, st *store.Store, community *model.Territory, opts Options, log *slog.Logger) (*OrderFlow, error) {
	sys := authz.System()
	var cats []*model.OrderCategory
	cs, err := st.OrderCategories(ctx, sys, community.ID)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.OpenOnPlace && c.Active {
			cats = append(cats, c)
		}
	}
	if len(cats) == 0 {
		return nil, fmt.Errorf("no category of %s opens on placing", community.Name)
	}
	type pair struct{ resident, volunteer string }
	workers := opts.Concurrency
	pairs := make([]pair, workers)
	rows, err := st.ReadDB().QueryContext(ctx, `SELECT r.id FROM residents r JOIN households h ON h.id = r.household_id
		WHERE h.community_id = $1 AND h.moved_out_at IS NULL AND r.relation = 'head'
			AND NOT EXISTS (SELECT 1 FROM users u WHERE u.resident_id = r.id) ORDER BY r.id DESC LIMIT $2`, community.ID, workers)
	if err != nil {
		return nil, err
	}
	var residents []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			_ = rows.Close()
			return nil, err
		}
		residents = append(residents, id)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if len(residents) < workers {
		return nil, fmt.Errorf("%s: %d households with a head, want %d", community.Name, len(residents), workers)
	}
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	for i := range workers {
		r, err := st.CreateUser(ctx, sys, store.UserInput{Username: fmt.Sprintf("bench-r%d-%s", i, stamp), Password: "bench password long enough", Role: model.RoleResident, ScopeID: community.ID})
		if err != nil {
			return nil, err
		}
		// Linked as LinkResident links, without reading the resident: a reused city's personal
		// data is sealed with the key of the run that made it.
		if _, err := st.DB().ExecContext(ctx, `UPDATE users SET resident_id = $1 WHERE id = $2`, residents[i], r.ID); err != nil {
			return nil, err
		}
		v, err := st.CreateUser(ctx, sys, store.UserInput{Username: fmt.Sprintf("bench-v%d-%s", i, stamp), Password: "bench password long enough", Role: model.RoleResident, ScopeID: community.ID})
		if err != nil {
			return nil, err
		}
		if _, err := st.RegisterTaker(ctx, sys, store.TakerInput{UserID: v.ID, Kind: "volunteer", Name: fmt.Sprintf("压测志愿者%d", i), TerritoryID: community.ID}); err != nil {
			return nil, err
		}
		if pairs[i].resident, _, err = st.CreateSession(ctx, r); err != nil {
			return nil, err
		}
		if pairs[i].volunteer, _, err = st.CreateSession(ctx, v); err != nil {
			return nil, err
		}
	}
	h := server.New(st, log, api.Token, api.New(st, log, 1<<20, false)).Handler()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers * 2, MaxConnsPerHost: workers * 2}}
	// The client reads of an answer only the order's id: a load generator sharing the
	// machine's processors with the server spends as little of them as it can.
	type answer struct {
		ID string `json:"id"`
	}
	call := func(token, path string, body any, want int) (*answer, error) {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		rb, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != want {
			return nil, fmt.Errorf("POST %s: status %d: %s", path, resp.StatusCode, rb)
		}
		var out answer
		return &out, json.Unmarshal(rb, &out)
	}
	var mu sync.Mutex
	var lat []time.Duration
	flow := &OrderFlow{Workers: workers}
	rate, err := throughputEach(ctx, workers, opts.Duration, func(rng *rand.Rand, mine *[]time.Duration) error {
		p := pairs[rng.IntN(workers)]
		t0 := time.Now()
		o, err := call(p.resident, "/api/v1/orders", map[string]any{"category_id": strconv.FormatInt(cats[rng.IntN(len(cats))].ID, 10), "description": "压测：帮忙取快递"}, http.StatusCreated)
		if err != nil {
			return err
		}
		id := o.ID
		if _, err := call(p.volunteer, "/api/v1/orders/"+id+"/claim", nil, http.StatusOK); err != nil {
			return err
		}
		if _, err := call(p.volunteer, "/api/v1/orders/"+id+"/transitions", map[string]any{"action": "done", "hours": 1}, http.StatusOK); err != nil {
			return err
		}
		*mine = append(*mine, time.Since(t0))
		return nil
	}, func(mine []time.Duration) {
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	if err != nil {
		return nil, err
	}
	flow.PerSecond, flow.Orders = rate, int64(len(lat))
	if len(lat) > 0 {
		flow.P50, flow.P99 = percentile(lat, 50), percentile(lat, 99)
	}
	return flow, nil
}
