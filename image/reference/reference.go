// Package reference parses image references of the form [host[:port]/]path[:tag][@digest].
//
// Rules (the usual ones of container tools, minus any built-in default registry):
//   - the first path component is a registry host when it contains a '.' or a ':' or is
//     "localhost"; otherwise the reference has no host and names an image in the local store
//     (a pull of such a name uses the registry named by $MINICTR_REGISTRY, if set);
//   - the tag defaults to "latest" unless a digest is given;
//   - path components are lower case [a-z0-9] separated by '.', '_', '__' or '-' runs.
package reference

import (
	"errors"
	"fmt"
	"os"
	"strings"

	digest "github.com/opencontainers/go-digest"
)

// DefaultTag is the tag used when a reference has neither a tag nor a digest.
const DefaultTag = "latest"

// RegistryEnv names the environment variable that gives the registry used for references
// without a host when pulling.
const RegistryEnv = "MINICTR_REGISTRY"

// Reference is a parsed image reference.
type Reference struct {
	Host   string        // registry host[:port], empty for a local name
	Path   string        // repository path, e.g. "library/busybox"
	Tag    string        // tag; empty only when Digest is set and no tag was given
	Digest digest.Digest // optional content digest of the manifest
}

// ErrInvalid is wrapped by every parse error.
var ErrInvalid = errors.New("invalid image reference")

// Parse parses s and fills in the default tag.
func Parse(s string) (Reference, error) {
	var r Reference
	if s == "" {
		return r, fmt.Errorf("%w: empty", ErrInvalid)
	}
	if len(s) > 4096 {
		return r, fmt.Errorf("%w: %d characters (at most 4096)", ErrInvalid, len(s))
	}
	rest := s
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		d, err := digest.Parse(rest[i+1:])
		if err != nil {
			return r, fmt.Errorf("%w %q: digest %q: %v", ErrInvalid, s, rest[i+1:], err)
		}
		r.Digest = d
		rest = rest[:i]
	}
	// A tag is after the last ':' that follows the last '/'.
	slash := strings.LastIndexByte(rest, '/')
	if i := strings.LastIndexByte(rest, ':'); i > slash {
		r.Tag = rest[i+1:]
		rest = rest[:i]
		if !validTag(r.Tag) {
			return r, fmt.Errorf("%w %q: tag %q (want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})", ErrInvalid, s, r.Tag)
		}
	}
	if first, after, ok := strings.Cut(rest, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		if !validHost(first) {
			return r, fmt.Errorf("%w %q: host %q", ErrInvalid, s, first)
		}
		r.Host, rest = first, after
	}
	if rest == "" {
		return r, fmt.Errorf("%w %q: no repository name", ErrInvalid, s)
	}
	for _, c := range strings.Split(rest, "/") {
		if !validComponent(c) {
			return r, fmt.Errorf("%w %q: path component %q (want lower-case letters, digits and separators . _ -)", ErrInvalid, s, c)
		}
	}
	r.Path = rest
	if r.Tag == "" && r.Digest == "" {
		r.Tag = DefaultTag
	}
	return r, nil
}

// Name is host/path (or path alone for a local name), without tag or digest.
func (r Reference) Name() string {
	if r.Host == "" {
		return r.Path
	}
	return r.Host + "/" + r.Path
}

// String is the canonical form: name[:tag][@digest].
func (r Reference) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest.String()
	}
	return s
}

// WithDefaultHost returns r with Host set from $MINICTR_REGISTRY when r has none.
func (r Reference) WithDefaultHost() (Reference, error) {
	if r.Host != "" {
		return r, nil
	}
	h := os.Getenv(RegistryEnv)
	if h == "" {
		return r, fmt.Errorf("reference %q names no registry host: write host[:port]/%s or set $%s", r.String(), r.Path, RegistryEnv)
	}
	if !validHost(h) {
		return r, fmt.Errorf("$%s = %q: not a host[:port]", RegistryEnv, h)
	}
	r.Host = h
	return r, nil
}

func validTag(t string) bool {
	if t == "" || len(t) > 128 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		case (c == '.' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	name, port, hasPort := strings.Cut(h, ":")
	if hasPort {
		if port == "" || len(port) > 5 {
			return false
		}
		for i := 0; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return false
			}
		}
	}
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func validComponent(c string) bool {
	if c == "" || len(c) > 255 {
		return false
	}
	alnum := func(b byte) bool { return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }
	if !alnum(c[0]) || !alnum(c[len(c)-1]) {
		return false
	}
	for i := 1; i < len(c)-1; i++ {
		b := c[i]
		if alnum(b) || b == '.' || b == '_' || b == '-' {
			continue
		}
		return false
	}
	// No run of two or more '.' (and so no "..").
	return !strings.Contains(c, "..")
}
