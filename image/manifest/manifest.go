// Package manifest knows the OCI and Docker schema 2 manifest formats: media types, parsing
// with checks, and platform selection in image indexes (manifest lists).
package manifest

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Docker schema 2 media types (their JSON has the same shape as OCI's).
const (
	DockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	DockerConfig       = "application/vnd.docker.container.image.v1+json"
	DockerLayer        = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	DockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
)

// Accept lists the manifest media types a registry may answer with, for the Accept header.
var Accept = []string{ocispec.MediaTypeImageIndex, ocispec.MediaTypeImageManifest, DockerManifestList, DockerManifest}

// IsIndex says whether mt is an image index or a manifest list.
func IsIndex(mt string) bool { return mt == ocispec.MediaTypeImageIndex || mt == DockerManifestList }

// IsManifest says whether mt is an image manifest.
func IsManifest(mt string) bool { return mt == ocispec.MediaTypeImageManifest || mt == DockerManifest }

// IsLayer says whether mt is a layer we can unpack (OCI tar, +gzip, +zstd, Docker's).
func IsLayer(mt string) bool {
	switch mt {
	case ocispec.MediaTypeImageLayer, ocispec.MediaTypeImageLayerGzip, ocispec.MediaTypeImageLayerZstd,
		ocispec.MediaTypeImageLayerNonDistributable, ocispec.MediaTypeImageLayerNonDistributableGzip, //nolint:staticcheck
		ocispec.MediaTypeImageLayerNonDistributableZstd, DockerLayer, DockerForeignLayer: //nolint:staticcheck
		return true
	}
	return false
}

// Detect finds the media type of a manifest or index from its content (for a server or file
// that does not say).
func Detect(b []byte) string {
	var probe struct {
		MediaType string            `json:"mediaType"`
		Manifests []json.RawMessage `json:"manifests"`
		Layers    []json.RawMessage `json:"layers"`
		Config    json.RawMessage   `json:"config"`
	}
	if json.Unmarshal(b, &probe) != nil {
		return ""
	}
	switch {
	case probe.MediaType != "":
		return probe.MediaType
	case probe.Manifests != nil:
		return ocispec.MediaTypeImageIndex
	case probe.Config != nil:
		return ocispec.MediaTypeImageManifest
	}
	return ""
}

// ParseManifest parses and checks an image manifest.
func ParseManifest(b []byte) (*ocispec.Manifest, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse image manifest: %w", err)
	}
	if m.SchemaVersion != 2 {
		return nil, fmt.Errorf("image manifest: schemaVersion %d, expected 2", m.SchemaVersion)
	}
	if m.MediaType != "" && !IsManifest(m.MediaType) {
		return nil, fmt.Errorf("image manifest: mediaType %q is not a manifest", m.MediaType)
	}
	if err := checkDesc("config", m.Config); err != nil {
		return nil, err
	}
	if len(m.Layers) > 1000 {
		return nil, fmt.Errorf("image manifest: %d layers (at most 1000)", len(m.Layers))
	}
	for i, l := range m.Layers {
		if err := checkDesc(fmt.Sprintf("layers[%d]", i), l); err != nil {
			return nil, err
		}
	}
	return &m, nil
}

// ParseIndex parses and checks an image index or manifest list.
func ParseIndex(b []byte) (*ocispec.Index, error) {
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("parse image index: %w", err)
	}
	if idx.SchemaVersion != 2 {
		return nil, fmt.Errorf("image index: schemaVersion %d, expected 2", idx.SchemaVersion)
	}
	for i, m := range idx.Manifests {
		if err := checkDesc(fmt.Sprintf("manifests[%d]", i), m); err != nil {
			return nil, err
		}
	}
	return &idx, nil
}

// ParseConfig parses an image config.
func ParseConfig(b []byte) (*ocispec.Image, error) {
	var c ocispec.Image
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("parse image config: %w", err)
	}
	return &c, nil
}

func checkDesc(field string, d ocispec.Descriptor) error {
	if err := d.Digest.Validate(); err != nil {
		return fmt.Errorf("descriptor %s: digest %q: %w", field, d.Digest, err)
	}
	if d.Size < 0 {
		return fmt.Errorf("descriptor %s: size %d", field, d.Size)
	}
	return nil
}

// DefaultPlatform is linux on the host's architecture.
func DefaultPlatform() ocispec.Platform {
	return ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}
}

// ParsePlatform parses os/arch[/variant]; "" gives DefaultPlatform.
func ParsePlatform(s string) (ocispec.Platform, error) {
	if s == "" {
		return DefaultPlatform(), nil
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return ocispec.Platform{}, fmt.Errorf("platform %q: expected os/arch[/variant]", s)
	}
	p := ocispec.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// Match says whether an index entry's platform fits want (a missing platform fits anything).
func Match(have *ocispec.Platform, want ocispec.Platform) bool {
	if have == nil {
		return true
	}
	if have.OS != want.OS || have.Architecture != want.Architecture {
		return false
	}
	return want.Variant == "" || have.Variant == "" || have.Variant == want.Variant
}

// Select picks the manifest for platform p from an index.
func Select(idx *ocispec.Index, p ocispec.Platform) (ocispec.Descriptor, error) {
	var avail []string
	for _, m := range idx.Manifests {
		if !IsManifest(m.MediaType) && m.MediaType != "" {
			continue // attestations and nested indexes
		}
		if m.Platform != nil && m.Platform.OS == "unknown" {
			continue
		}
		if Match(m.Platform, p) {
			return m, nil
		}
		if m.Platform != nil {
			avail = append(avail, m.Platform.OS+"/"+m.Platform.Architecture)
		}
	}
	return ocispec.Descriptor{}, fmt.Errorf("no manifest for platform %s/%s in the index (it has %s)", p.OS, p.Architecture, strings.Join(avail, ", "))
}

// ChainIDs returns the chain ID of each layer stack prefix: the name of the snapshot that has
// layers 0..i applied.
func ChainIDs(diffIDs []digest.Digest) []digest.Digest {
	out := make([]digest.Digest, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
			continue
		}
		out[i] = digest.FromString(out[i-1].String() + " " + d.String())
	}
	return out
}
