// Command gosec is gosec (github.com/securego/gosec) as `make check` runs it — every rule and
// analyzer but those -exclude names, tests left out, #nosec honoured, findings printed as text,
// exit status 1 when there is a finding or a package fails to load — built without the upstream
// command's AI autofix. That one package links the SDKs of three AI services and what they use
// (gRPC, protobuf, cloud authentication): building the upstream command on an empty build cache
// took 299 s of CPU (2026-12-05, 2 cores), most of it theirs, once in every fresh clone's
// `make test`. The rules, the analyzers and the report are gosec's own packages, at the version
// tools/go.mod pins.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/securego/gosec/v2"
	"github.com/securego/gosec/v2/analyzers"
	"github.com/securego/gosec/v2/report"
	"github.com/securego/gosec/v2/rules"
)

func main() {
	exclude := flag.String("exclude", "", "comma-separated IDs of the rules to leave out, e.g. G104")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: gosec [-exclude=G104,...] ./...")
		os.Exit(2)
	}
	os.Exit(run(*exclude, flag.Args()))
}

func run(exclude string, paths []string) int {
	config := gosec.NewConfig()
	config.SetGlobal(gosec.IncludeRules, "")
	config.SetGlobal(gosec.ExcludeRules, exclude)
	var ruleFilters []rules.RuleFilter
	var analyzerFilters []analyzers.AnalyzerFilter
	if exclude != "" {
		ids := strings.Split(exclude, ",")
		ruleFilters = append(ruleFilters, rules.NewRuleFilter(true, ids...))
		analyzerFilters = append(analyzerFilters, analyzers.NewAnalyzerFilter(true, ids...))
	}
	analyzer := gosec.NewAnalyzer(config, false, false, false, runtime.GOMAXPROCS(0), log.New(io.Discard, "", 0))
	analyzer.LoadRules(rules.Generate(false, ruleFilters...).RulesInfo())
	analyzer.LoadAnalyzers(analyzers.Generate(false, analyzerFilters...).AnalyzersInfo())

	excluded := gosec.ExcludedDirsRegExp([]string{"vendor", `\.git/`})
	var packages, roots []string
	for _, path := range paths {
		pkgs, err := gosec.PackagePaths(path, excluded)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gosec: %s: %v\n", path, err)
			return 1
		}
		packages = append(packages, pkgs...)
		root, err := gosec.RootPath(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gosec: %s: %v\n", path, err)
			return 1
		}
		roots = append(roots, root)
	}
	if len(packages) == 0 {
		fmt.Fprintln(os.Stderr, "gosec: no packages found")
		return 1
	}
	if err := analyzer.Process(nil, packages...); err != nil {
		fmt.Fprintf(os.Stderr, "gosec: %v\n", err)
		return 1
	}
	issues, metrics, errors := analyzer.Report()
	if len(issues) == 0 {
		return 0 // as the upstream command with -quiet: load errors alone do not fail it
	}
	metrics.NumFound = len(issues)
	info := gosec.NewReportInfo(issues, metrics, errors).WithVersion(version())
	if err := report.CreateReport(os.Stdout, "text", false, roots, info); err != nil {
		fmt.Fprintf(os.Stderr, "gosec: %v\n", err)
	}
	return 1
}

// version is gosec's module version in this binary, for the report's header.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/securego/gosec/v2" {
				return m.Version
			}
		}
	}
	return "unknown"
}
