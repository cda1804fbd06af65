package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "inlet"

// consoleSide are the console's packages (and their subpackages): they
// reach a cloud only through AWS APIs.
var consoleSide = []string{
	"inlet/internal/console",
	"inlet/internal/catalog",
	"inlet/internal/provision",
	"inlet/internal/ingest",
	"inlet/internal/tables",
	"inlet/internal/delivery",
}

// cloudSide are the embedded cloud's front and domain packages.
var cloudSide = []string{
	"inlet/internal/cloud",
	"inlet/internal/sigv4",
	"inlet/internal/policy",
	"inlet/internal/identity",
	"inlet/internal/objstore",
	"inlet/internal/bucketconf",
	"inlet/internal/authz",
}

func under(pkg string, roots []string) bool {
	for _, r := range roots {
		if pkg == r || strings.HasPrefix(pkg, r+"/") {
			return true
		}
	}
	return false
}

// imports maps each module package to the module packages its non-test
// files import.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	graph := map[string][]string{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "node_modules" || n == "testdata" || strings.HasPrefix(n, ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := module
		if rel != "." {
			pkg = module + "/" + filepath.ToSlash(rel)
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if strings.HasPrefix(p, module+"/") {
				graph[pkg] = append(graph[pkg], p)
			}
		}
		if _, ok := graph[pkg]; !ok {
			graph[pkg] = nil
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return graph
}

// Ensure no console package reaches a cloud package, directly or through
// another package: the console talks to any cloud through AWS APIs only.
func TestConsoleDoesNotImportCloud(t *testing.T) {
	graph := imports(t)
	var pkgs []string
	for p := range graph {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	checked := 0
	for _, p := range pkgs {
		if !under(p, consoleSide) {
			continue
		}
		checked++
		seen := map[string]string{p: ""}
		queue := []string{p}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, dep := range graph[cur] {
				if _, ok := seen[dep]; ok {
					continue
				}
				seen[dep] = cur
				if under(dep, cloudSide) {
					chain := []string{dep}
					for at := cur; at != ""; at = seen[at] {
						chain = append([]string{at}, chain...)
					}
					t.Errorf("%s reaches the cloud package %s: %s", p, dep, strings.Join(chain, " -> "))
					continue
				}
				queue = append(queue, dep)
			}
		}
	}
	if checked == 0 {
		t.Fatal("found no console package to check")
	}
}

// Ensure the domain packages do not import the wire fronts.
func TestDomainDoesNotImportFronts(t *testing.T) {
	graph := imports(t)
	fronts := []string{"inlet/internal/cloud/s3api", "inlet/internal/cloud/stsapi", "inlet/internal/cloud/iamapi", "inlet/internal/console/api", "inlet/cmd"}
	for pkg, deps := range graph {
		if under(pkg, fronts) || pkg == "inlet/internal/cloud" || strings.HasPrefix(pkg, "inlet/cmd") ||
			strings.HasPrefix(pkg, "inlet/e2e") || strings.HasPrefix(pkg, "inlet/bench") {
			continue
		}
		for _, d := range deps {
			if under(d, fronts) {
				t.Errorf("domain package %s imports the front %s", pkg, d)
			}
		}
	}
}
