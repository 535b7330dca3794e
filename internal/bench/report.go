package bench

import (
	"fmt"
	"io"
	"time"
)

// WriteMarkdown writes the report as a Markdown section for docs/benchmarks.md.
func (r *Report) WriteMarkdown(w io.Writer, command string) {
	fmt.Fprintf(w, "### %s, %d households / %d residents (%s)\n\n", r.Engine, r.Households, r.Residents, r.GeneratedAt.Format("2006-01-02"))
	fmt.Fprintf(w, "Command: `%s` · %d CPUs, GOMAXPROCS=%d\n\n", command, r.CPUs, r.GOMAXPROCS)
	if r.Reused {
		fmt.Fprintf(w, "- measured on the city an earlier run generated (`--reuse`): generation not timed\n")
	} else {
		fmt.Fprintf(w, "- generation + load of the people (divisions, households, residents): **%s**\n", r.Load.Round(100*time.Millisecond))
		fmt.Fprintf(w, "- with the demo's Party, register and study data: %s\n", r.Total.Round(100*time.Millisecond))
	}
	fmt.Fprintf(w, "- point lookups through the store (`Store.Household`, %d workers, %s): **%.0f/s**\n", r.Concurrency, r.Duration, r.LookupsPerS)
	if r.HTTPMeasured {
		fmt.Fprintf(w, "\nOver loopback, %d workers, as a district admin; each side %s in two halves, alternating bare, full, bare, full:\n\n", r.Concurrency, r.Duration)
		fmt.Fprintf(w, "| request | full stack req/s | p50 | p99 | bare handler req/s | p50 | p99 | ratio | goal |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, p := range r.Pairs {
			fmt.Fprintf(w, "| `%s` | %.0f | %s | %s | %.0f | %s | %s | **%.2f** | ≥ %.1f |\n", p.Name, p.Full.RPS, p.Full.P50, p.Full.P99, p.Bare.RPS, p.Bare.P50, p.Bare.P99, p.Ratio(), p.Goal)
		}
	}
	fmt.Fprintf(w, "\n| level | node | households | subtree count p50 | p99 | first list page p50 | p99 |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, l := range r.Levels {
		fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s | %s |\n", l.Kind, l.Name, l.Households, l.CountP50, l.CountP99, l.ListP50, l.ListP99)
	}
	if len(r.Party) > 0 {
		fmt.Fprintf(w, "\n| party read (store) | org or node | registered members | p50 | p99 |\n|---|---|---:|---:|---:|\n")
		for _, p := range r.Party {
			fmt.Fprintf(w, "| %s | %s | %d | %s | %s |\n", p.What, p.Name, p.Members, p.P50, p.P99)
		}
	}
	if len(r.Units) > 0 {
		fmt.Fprintf(w, "\n| unit coverage (store) | node | units | households in units | p50 | p99 |\n|---|---|---:|---:|---:|---:|\n")
		for _, u := range r.Units {
			fmt.Fprintf(w, "| %s | %s | %d | %d | %s | %s |\n", u.Kind, u.Name, u.Units, u.InUnits, u.P50, u.P99)
		}
	}
	if p := r.Propose; p != nil {
		fmt.Fprintf(w, "\n- units proposed for the largest street, %s (%d households; `Store.ProposeUnitsUnder`, what `POST /api/v1/units/proposals` runs for a street): %d communities, %d units in **%s** (goal ≤ 10 s)\n",
			p.Street, p.Households, p.Communities, p.Units, p.Took.Round(time.Millisecond))
	}
	if len(r.Feeds) > 0 {
		fmt.Fprintf(w, "\n| duty feed (server in process) | unit | households | months | bytes | p50 | p99 | goal |\n|---|---|---:|---:|---:|---:|---:|---:|\n")
		for _, f := range r.Feeds {
			fmt.Fprintf(w, "| `%s` | %s | %d | %d | %d | %s | **%s** | p99 ≤ 10ms |\n", f.What, f.Unit, f.Households, f.Events, f.Bytes, f.P50, f.P99)
		}
	}
	if r.Orders > 0 {
		fmt.Fprintf(w, "\n- orders in the city: %d", r.Orders)
		if r.OrdersLoad > 0 {
			fmt.Fprintf(w, " (added with their statistics in %s)", r.OrdersLoad.Round(100*time.Millisecond))
		}
		fmt.Fprintln(w)
		for _, f := range []*OrderFlow{r.OrderFlow, r.OrderFlowBusy} {
			if f != nil {
				fmt.Fprintf(w, "- place → claim → done through the API over loopback, %d workers, %s: **%.0f orders/s** (%d orders; one order's three requests p50 %s, p99 %s; goal ≥ 1,000/s on SQLite)\n",
					f.Workers, r.Duration, f.PerSecond, f.Orders, f.P50, f.P99)
			}
		}
		if len(r.OrderReads) > 0 {
			fmt.Fprintf(w, "\n| orders read (store) | node | p50 | p99 | goal |\n|---|---|---:|---:|---:|\n")
			for _, o := range r.OrderReads {
				fmt.Fprintf(w, "| %s | %s | %s | **%s** | p99 ≤ %s |\n", o.What, o.Node, o.P50, o.P99, o.Goal)
			}
		}
	}
	if f := r.VoteFlow; f != nil {
		fmt.Fprintf(w, "\n- vote over the largest street, %s, one household one vote: roll of **%d** households fixed at opening in %s\n", f.Street, f.Eligible, f.OpenTook.Round(time.Millisecond))
		fmt.Fprintf(w, "- %d households casting their ballots through the API over loopback (`POST /api/v1/votes/{id}/ballots`, each its own session), %d workers: **%.0f ballots/s** sustained (p50 %s, p99 %s)\n",
			f.Ballots, f.Workers, f.PerSecond, f.P50, f.P99)
		fmt.Fprintf(w, "- %d identical ballots of one household at once: %d accepted, %d refused with 409, turnout grew by **%d**\n", f.Same, f.Accepted, f.Refused, f.Counted)
		fmt.Fprintf(w, "- closing the vote (tally of %d ballots from the stored ballots, written to the options): **%s** (goal ≤ 1 s); reading the result (tallied again and compared, turnout by building): %s\n",
			f.Ballots+f.Counted, f.CloseTook.Round(time.Millisecond), f.ResultTook.Round(time.Millisecond))
	}
	fmt.Fprintln(w)
}
