// Package registry pulls images over the distribution API (the registry HTTP API v2) into the
// store: GET /v2/ to learn the auth scheme, a bearer token from the realm of the
// WWW-Authenticate challenge (anonymous, or with user:password from Options), the manifest
// with Accept headers for OCI and Docker schema 2 (index -> platform -> manifest), then the
// config and the layers, in parallel, each streamed into the store and digest-verified there.
// Blobs already in the store are not downloaded again.
//
// It is hand-written rather than a client library: the part of the API a pull needs is four
// requests, and keeping it here keeps the dependency tree small and the errors ours.
package registry

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/minictr/minictr/image/manifest"
	"github.com/minictr/minictr/image/reference"
	"github.com/minictr/minictr/image/store"
)

// Options tune a pull.
type Options struct {
	Platform ocispec.Platform
	// TLSVerify=false accepts any certificate and falls back to plain http.
	// Loopback hosts (localhost, 127.0.0.0/8, ::1) fall back to http always.
	TLSVerify bool
	// Username and Password, if set, are sent to the token realm (or as basic auth).
	Username, Password string
	// Parallel is how many layers download at once (default 3).
	Parallel int
	// Progress receives per-layer progress (nil: none).
	Progress Progress
	// Client overrides the HTTP client (tests).
	Client *http.Client
}

// Progress is told about each blob's download.
type Progress interface {
	Start(id string, size int64)
	Update(id string, done int64)
	Done(id string, err error, skipped bool)
}

// client talks to one repository of one registry.
type client struct {
	host, repo string
	base       string // scheme://host
	hc         *http.Client
	opts       Options
	mu         sync.Mutex
	token      string
	basic      bool
}

// Pull pulls ref into s and tags it with its canonical name. It returns the tagged name and
// the manifest descriptor.
func Pull(ctx context.Context, s *store.Store, ref reference.Reference, opts Options) (string, ocispec.Descriptor, error) {
	var desc ocispec.Descriptor
	ref, err := ref.WithDefaultHost()
	if err != nil {
		return "", desc, err
	}
	if opts.Platform.OS == "" {
		opts.Platform = manifest.DefaultPlatform()
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 3
	}
	release, err := s.Use()
	if err != nil {
		return "", desc, err
	}
	defer release()
	c, err := newClient(ctx, ref, opts)
	if err != nil {
		return "", desc, err
	}
	// Manifest (following an index to the platform's manifest).
	tagOrDigest := ref.Tag
	if ref.Digest != "" {
		tagOrDigest = ref.Digest.String()
	}
	body, mt, dg, err := c.manifest(ctx, tagOrDigest, ref.Digest)
	if err != nil {
		return "", desc, err
	}
	for depth := 0; manifest.IsIndex(mt); depth++ {
		if depth > 3 {
			return "", desc, fmt.Errorf("pull %s: indexes nested too deep", ref)
		}
		idx, err := manifest.ParseIndex(body)
		if err != nil {
			return "", desc, fmt.Errorf("pull %s: %w", ref, err)
		}
		child, err := manifest.Select(idx, opts.Platform)
		if err != nil {
			return "", desc, fmt.Errorf("pull %s: %w", ref, err)
		}
		if body, mt, dg, err = c.manifest(ctx, child.Digest.String(), child.Digest); err != nil {
			return "", desc, err
		}
	}
	if !manifest.IsManifest(mt) {
		return "", desc, fmt.Errorf("pull %s: the registry answered with media type %q, not an image manifest", ref, mt)
	}
	m, err := manifest.ParseManifest(body)
	if err != nil {
		return "", desc, fmt.Errorf("pull %s: %w", ref, err)
	}
	// Config and layers: the blobs first, the manifest last, so that a manifest in the store
	// always has its blobs.
	blobs := append([]ocispec.Descriptor{m.Config}, m.Layers...)
	if err := c.fetchBlobs(ctx, s, blobs); err != nil {
		return "", desc, fmt.Errorf("pull %s: %w", ref, err)
	}
	if _, err := s.WriteBlobBytes(body); err != nil {
		return "", desc, fmt.Errorf("pull %s: %w", ref, err)
	}
	desc = ocispec.Descriptor{MediaType: mt, Digest: dg, Size: int64(len(body))}
	name := ref.String()
	if err := s.Tag(name, desc); err != nil {
		return "", desc, err
	}
	return name, desc, nil
}

func isLoopback(host string) bool {
	h := host
	if sh, _, err := net.SplitHostPort(host); err == nil {
		h = sh
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

func newClient(ctx context.Context, ref reference.Reference, opts Options) (*client, error) {
	hc := opts.Client
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if !opts.TLSVerify {
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // --tls-verify=false
		}
		tr.ResponseHeaderTimeout = 60 * time.Second
		hc = &http.Client{Transport: tr}
	}
	c := &client{host: ref.Host, repo: ref.Path, hc: hc, opts: opts}
	schemes := []string{"https"}
	if !opts.TLSVerify || isLoopback(ref.Host) {
		schemes = append(schemes, "http")
	}
	var lastErr error
	for _, sc := range schemes {
		c.base = sc + "://" + ref.Host
		err := c.ping(ctx)
		if err == nil {
			return c, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// ping does GET /v2/ and, on a 401, gets a token for the repository.
func (c *client) ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v2/", nil)
	if err != nil {
		return fmt.Errorf("registry %s: %w", c.host, err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("registry %s: GET /v2/: %w", c.base, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized:
		return c.authenticate(ctx, resp.Header.Get("WWW-Authenticate"))
	default:
		return fmt.Errorf("registry %s: GET /v2/: %s (not a registry API v2?)", c.base, resp.Status)
	}
}

// parseChallenge parses `Bearer realm="...",service="...",scope="..."`.
func parseChallenge(h string) (scheme string, params map[string]string) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	params = map[string]string{}
	for rest != "" {
		rest = strings.TrimLeft(rest, " ,")
		k, after, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		var v string
		if strings.HasPrefix(after, `"`) {
			end := strings.IndexByte(after[1:], '"')
			if end < 0 {
				v, rest = after[1:], ""
			} else {
				v, rest = after[1:end+1], after[end+2:]
			}
		} else {
			v, rest, _ = strings.Cut(after, ",")
		}
		params[strings.ToLower(strings.TrimSpace(k))] = v
	}
	return strings.ToLower(scheme), params
}

func (c *client) authenticate(ctx context.Context, challenge string) error {
	scheme, params := parseChallenge(challenge)
	switch scheme {
	case "basic":
		if c.opts.Username == "" {
			return fmt.Errorf("registry %s: asks for basic auth and no credentials were given", c.host)
		}
		c.basic = true
		return nil
	case "bearer":
	default:
		return fmt.Errorf("registry %s: unsupported auth challenge %q", c.host, challenge)
	}
	realm := params["realm"]
	u, err := url.Parse(realm)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("registry %s: token realm %q is not an http(s) URL", c.host, realm)
	}
	q := u.Query()
	if sv := params["service"]; sv != "" {
		q.Set("service", sv)
	}
	q.Set("scope", "repository:"+c.repo+":pull")
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("registry %s: token request: %w", c.host, err)
	}
	if c.opts.Username != "" {
		req.SetBasicAuth(c.opts.Username, c.opts.Password)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("registry %s: get token from %s: %w", c.host, u.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("registry %s: get token from %s: %s", c.host, u.Host, resp.Status)
	}
	var tok struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok); err != nil {
		return fmt.Errorf("registry %s: token response: %w", c.host, err)
	}
	c.mu.Lock()
	c.token = tok.Token
	if c.token == "" {
		c.token = tok.AccessToken
	}
	c.mu.Unlock()
	if c.token == "" {
		return fmt.Errorf("registry %s: token response has no token", c.host)
	}
	return nil
}

// get sends an authenticated GET for path (under /v2/<repo>/), renewing the token once on 401.
func (c *client) get(ctx context.Context, path string, accept []string) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v2/"+c.repo+"/"+path, nil)
		if err != nil {
			return nil, err
		}
		if len(accept) > 0 {
			req.Header.Set("Accept", strings.Join(accept, ", "))
		}
		c.mu.Lock()
		switch {
		case c.basic:
			req.SetBasicAuth(c.opts.Username, c.opts.Password)
		case c.token != "":
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		c.mu.Unlock()
		resp, err := c.hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", req.URL.Path, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			ch := resp.Header.Get("WWW-Authenticate")
			resp.Body.Close()
			if err := c.authenticate(ctx, ch); err != nil {
				return nil, err
			}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			return nil, fmt.Errorf("GET %s%s: %s: %s", c.base, req.URL.Path, resp.Status, strings.TrimSpace(string(msg)))
		}
		return resp, nil
	}
}

// manifest fetches a manifest or index and checks its digest (against want, or against the
// server's Docker-Content-Digest header).
func (c *client) manifest(ctx context.Context, ref string, want digest.Digest) ([]byte, string, digest.Digest, error) {
	resp, err := c.get(ctx, "manifests/"+ref, manifest.Accept)
	if err != nil {
		return nil, "", "", fmt.Errorf("pull manifest %s: %w", ref, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, store.MaxMetadataSize+1))
	if err != nil {
		return nil, "", "", fmt.Errorf("pull manifest %s: read: %w", ref, err)
	}
	if len(body) > store.MaxMetadataSize {
		return nil, "", "", fmt.Errorf("pull manifest %s: larger than %d bytes", ref, store.MaxMetadataSize)
	}
	if want == "" {
		if h := resp.Header.Get("Docker-Content-Digest"); h != "" {
			if want, err = digest.Parse(h); err != nil {
				return nil, "", "", fmt.Errorf("pull manifest %s: Docker-Content-Digest %q: %w", ref, h, err)
			}
		}
	}
	got := digest.FromBytes(body)
	if want != "" {
		got = want.Algorithm().FromBytes(body)
		if got != want {
			return nil, "", "", fmt.Errorf("pull manifest %s: content has digest %s, expected %s", ref, got, want)
		}
	}
	mt := resp.Header.Get("Content-Type")
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	if d := manifest.Detect(body); d != "" && (mt == "" || mt == "application/json" || mt == "text/plain") {
		mt = d
	}
	return body, strings.TrimSpace(mt), got, nil
}

// fetchBlobs downloads the missing blobs, opts.Parallel at a time.
func (c *client) fetchBlobs(ctx context.Context, s *store.Store, blobs []ocispec.Descriptor) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, c.opts.Parallel)
	errs := make([]error, len(blobs))
	var wg sync.WaitGroup
	seen := map[digest.Digest]bool{}
	for i, b := range blobs {
		if seen[b.Digest] {
			continue
		}
		seen[b.Digest] = true
		id := shortID(b.Digest)
		if p := c.opts.Progress; p != nil {
			p.Start(id, b.Size)
		}
		if s.HasBlob(b.Digest, b.Size) {
			if p := c.opts.Progress; p != nil {
				p.Done(id, nil, true)
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			err := c.fetchBlob(ctx, s, b, id)
			if p := c.opts.Progress; p != nil {
				p.Done(id, err, false)
			}
			if err != nil {
				errs[i] = err
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *client) fetchBlob(ctx context.Context, s *store.Store, b ocispec.Descriptor, id string) error {
	if err := b.Digest.Validate(); err != nil {
		return fmt.Errorf("blob digest %q: %w", b.Digest, err)
	}
	resp, err := c.get(ctx, "blobs/"+b.Digest.String(), nil)
	if err != nil {
		return fmt.Errorf("pull blob %s: %w", b.Digest, err)
	}
	defer resp.Body.Close()
	var onProgress func(int64)
	if p := c.opts.Progress; p != nil {
		onProgress = func(n int64) { p.Update(id, n) }
	}
	if _, _, err := s.WriteBlob(resp.Body, b.Digest, b.Size, onProgress); err != nil {
		return fmt.Errorf("pull blob: %w", err)
	}
	return nil
}

func shortID(d digest.Digest) string {
	e := d.Encoded()
	if len(e) > 12 {
		e = e[:12]
	}
	return e
}
