package network

import "testing"

// FuzzParsePort: any -p value either fails with an error or gives a mapping that validates.
func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"8080:80", "127.0.0.1:8080:80/tcp", "53:53/udp", "::", "1:2:3:4", "80:80/", "0.0.0.0:1:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		p, err := ParsePort(spec)
		if err != nil {
			return
		}
		if p.HostPort == 0 || p.ContainerPort == 0 || (p.Protocol != "tcp" && p.Protocol != "udp") {
			t.Fatalf("ParsePort(%q) = %+v: invalid mapping accepted", spec, p)
		}
		if q, err := normalizePort(p); err != nil || q != p {
			t.Fatalf("ParsePort(%q) = %+v is not normalized: %+v, %v", spec, p, q, err)
		}
	})
}
