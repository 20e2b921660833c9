package manifest

import (
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestSelect(t *testing.T) {
	d := func(s string) digest.Digest { return digest.FromString(s) }
	idx := &ocispec.Index{Manifests: []ocispec.Descriptor{
		{MediaType: ocispec.MediaTypeImageManifest, Digest: d("att"), Platform: &ocispec.Platform{OS: "unknown", Architecture: "unknown"}},
		{MediaType: ocispec.MediaTypeImageManifest, Digest: d("arm"), Platform: &ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}},
		{MediaType: DockerManifest, Digest: d("amd"), Platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}},
	}}
	for spec, want := range map[string]digest.Digest{"linux/amd64": d("amd"), "linux/arm64": d("arm"), "linux/arm64/v8": d("arm")} {
		p, err := ParsePlatform(spec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Select(idx, p)
		if err != nil || got.Digest != want {
			t.Errorf("%s: %v %v", spec, got.Digest, err)
		}
	}
	if _, err := Select(idx, ocispec.Platform{OS: "linux", Architecture: "s390x"}); err == nil || !strings.Contains(err.Error(), "linux/amd64") {
		t.Errorf("s390x: %v (the error should list what the index has)", err)
	}
	for _, bad := range []string{"linux", "/amd64", "a/b/c/d"} {
		if _, err := ParsePlatform(bad); err == nil {
			t.Errorf("ParsePlatform(%q) accepted", bad)
		}
	}
}

func TestParseChecks(t *testing.T) {
	good := `{"schemaVersion":2,"config":{"mediaType":"x","digest":"` + digest.FromString("c").String() + `","size":1},"layers":[]}`
	if _, err := ParseManifest([]byte(good)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		`{"schemaVersion":1}`,
		`{"schemaVersion":2,"config":{"digest":"sha256:zz","size":1}}`,
		`{"schemaVersion":2,"mediaType":"` + ocispec.MediaTypeImageIndex + `","config":{"digest":"` + digest.FromString("c").String() + `"}}`,
		`not json`,
	} {
		if _, err := ParseManifest([]byte(bad)); err == nil {
			t.Errorf("ParseManifest(%s) accepted", bad)
		}
	}
	if Detect([]byte(`{"manifests":[]}`)) != ocispec.MediaTypeImageIndex || Detect([]byte(`{"config":{}}`)) != ocispec.MediaTypeImageManifest {
		t.Error("Detect")
	}
}

func TestChainIDs(t *testing.T) {
	a, b := digest.FromString("a"), digest.FromString("b")
	c := ChainIDs([]digest.Digest{a, b})
	if c[0] != a || c[1] != digest.FromString(a.String()+" "+b.String()) {
		t.Errorf("ChainIDs = %v", c)
	}
}
