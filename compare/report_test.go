package compare

import (
	"bytes"
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// sample is a report with every kind and workload, with made-up values (rendering only).
func sample() *Report {
	r := &Report{Kinds: AllKinds, Workloads: AllWorkloads, Runs: 1, Facts: map[string]Facts{}, Machine: "test machine", Accel: "qemu -M microvm with TCG (test)"}
	for i, k := range AllKinds {
		r.Facts[k] = factsOf(k, r.Accel)
		for _, w := range AllWorkloads {
			r.Measurements = append(r.Measurements, Measurement{Kind: k, Workload: w, Ops: 1000, Check: "00ff",
				FirstLine: time.Duration(i+1) * time.Millisecond, Total: time.Duration(i+2) * time.Millisecond,
				Seconds: float64(i+1) / 1000, PeakRSS: int64(i+1) << 20})
			if k == Container {
				r.Measurements[len(r.Measurements)-1].TreePeak = 3 << 20
			}
		}
	}
	return r
}

type svgDoc struct {
	Rects []struct {
		Class  string `xml:"class,attr"`
		Kind   string `xml:"data-kind,attr"`
		Metric string `xml:"data-metric,attr"`
		Width  string `xml:"width,attr"`
	} `xml:"rect"`
}

func parseSVG(t *testing.T, data []byte) svgDoc {
	t.Helper()
	var doc svgDoc
	d := xml.NewDecoder(bytes.NewReader(data))
	for { // the whole document must be well-formed
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, data)
		}
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("SVG: %v", err)
	}
	return doc
}

// barsPerKindPerMetric checks one bar per kind per metric.
func barsPerKindPerMetric(t *testing.T, doc svgDoc, kinds []string) {
	t.Helper()
	count := map[string]int{}
	for _, r := range doc.Rects {
		if r.Class == "bar" {
			count[r.Kind+"/"+r.Metric]++
		}
	}
	want := 0
	for _, m := range Metrics {
		// the cgroup panel exists only when the container ran
		if m.Name == "peak memory, container cgroup" && !slices.Contains(kinds, Container) {
			continue
		}
		want += len(kinds)
		for _, k := range kinds {
			if c := count[k+"/"+m.Name]; c != 1 {
				t.Errorf("metric %q, kind %s: %d bars, want 1", m.Name, k, c)
			}
		}
	}
	if len(count) != want {
		t.Errorf("%d distinct bars, want %d", len(count), want)
	}
}

func TestSVG(t *testing.T) {
	r := sample()
	r.Accel = `qemu <&> "TCG"` // escaped
	var b bytes.Buffer
	if err := r.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	barsPerKindPerMetric(t, parseSVG(t, b.Bytes()), AllKinds)
}

func TestTableAndMarkdown(t *testing.T) {
	r := sample()
	r.Skipped = []Skipped{{"gpu", "not a kind, only a test"}}
	var tab, md bytes.Buffer
	if err := r.WriteTable(&tab); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteMarkdown(&md, "docs/compare.svg"); err != nil {
		t.Fatal(err)
	}
	header := strings.Fields(strings.SplitN(tab.String(), "\n", 2)[0])
	if strings.Join(header, ",") != strings.Join(AllKinds, ",") {
		t.Errorf("table header %q, want the kinds %q", header, AllKinds)
	}
	for _, want := range []string{"own kernel", "own pid namespace", "instruction set", "minictr bytecode", "skipped gpu: not a kind", "microvm: qemu"} {
		if !strings.Contains(tab.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tab.String())
		}
	}
	lines := strings.Split(md.String(), "\n")
	var tableRows int
	for _, l := range lines {
		if strings.HasPrefix(l, "| ") {
			tableRows++
			if n := strings.Count(l, " | "); n != len(AllKinds) {
				t.Errorf("markdown row %q has %d inner separators, want %d", l, n, len(AllKinds))
			}
		}
	}
	if want := 1 + len(Metrics) + 4; tableRows != want {
		t.Errorf("markdown table has %d rows, want %d:\n%s", tableRows, want, md.String())
	}
	if !strings.Contains(md.String(), "![minictr compare](docs/compare.svg)") {
		t.Errorf("markdown lacks the chart:\n%s", md.String())
	}
}

func TestChecksumMismatchReported(t *testing.T) {
	r := sample()
	r.Measurements[len(r.Measurements)-1].Check = "dead"
	var tab bytes.Buffer
	r.WriteTable(&tab)
	if !strings.Contains(tab.String(), "WARNING: workload syscall: checksum dead on microvm") {
		t.Errorf("no checksum warning:\n%s", tab.String())
	}
}

func TestParseResult(t *testing.T) {
	var m Measurement
	if err := parseResult("ops=12 seconds=0.500000 check=00000000000000ff", &m); err != nil {
		t.Fatal(err)
	}
	if m.Ops != 12 || m.Seconds != 0.5 || m.Check != "00000000000000ff" || m.Throughput() != 24 {
		t.Errorf("parsed %+v", m)
	}
	for _, bad := range []string{"ops=1", "ops=x seconds=1", "ops=1 seconds=y", "seconds=1"} {
		if err := parseResult(bad, &m); err == nil {
			t.Errorf("parseResult(%q): no error", bad)
		}
	}
}

func TestMedian(t *testing.T) {
	runs := []Measurement{{Total: 5}, {Total: 1}, {Total: 3}}
	if got := median(runs).Total; got != 3 {
		t.Errorf("median of 5,1,3 = %d", got)
	}
	if got := median(runs[:2]).Total; got != 3 {
		t.Errorf("median of 5,1 = %d", got)
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{{}, {Binary: "x", Kinds: []string{"jail"}}, {Binary: "x", Workloads: []string{"io"}}} {
		if _, err := Run(t.Context(), o); err == nil {
			t.Errorf("Run(%+v): no error", o)
		}
	}
}
