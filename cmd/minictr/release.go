package main

// Annotations that tell `delete` what `run IMAGE` set up for a container (the image layer's
// bundle in its store, the network), and the hidden command of the full build that releases
// them for the lean build's delete (lean.go).
const (
	annStore       = "org.minictr.store"
	annNetwork     = "org.minictr.network"
	releaseCommand = "release-image-container"
)
