package main

import specs "github.com/opencontainers/runtime-spec/specs-go"

// ociVersion is the runtime-spec version minictr implements.
var ociVersion = specs.Version
