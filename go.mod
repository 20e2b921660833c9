module github.com/minictr/minictr

go 1.26

require (
	github.com/cyphar/filepath-securejoin v0.7.0 // indirect
	github.com/klauspost/compress v1.20.4 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
	github.com/opencontainers/runtime-spec v1.3.0 // indirect
	github.com/spf13/pflag v1.1.0 // indirect
	github.com/vishvananda/netlink v1.3.1 // indirect
	github.com/vishvananda/netns v0.0.5 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
