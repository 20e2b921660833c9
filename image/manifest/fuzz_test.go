package manifest

import (
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FuzzParse: hostile manifest and index JSON never panics, and what parses has valid digests.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"config":{"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":1},"layers":[]}`))
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","platform":{"os":"linux","architecture":"amd64"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		Detect(b)
		if m, err := ParseManifest(b); err == nil {
			if m.Config.Digest.Validate() != nil {
				t.Fatal("invalid config digest accepted")
			}
		}
		if idx, err := ParseIndex(b); err == nil {
			Select(idx, ocispec.Platform{OS: "linux", Architecture: "amd64"})
		}
		ParseConfig(b)
	})
}
