package image

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkPrepareBundle measures preparing (and cleaning up) a container's bundle for an
// image whose layers are already unpacked: resolve, overlay mount, config.json. No layer is
// copied, so it does not grow with the image's size.
func BenchmarkPrepareBundle(b *testing.B) {
	needRootB(b)
	s, _ := loadFeatureImageB(b)
	ctx := context.Background()
	// First one unpacks the snapshots.
	_, cleanup, err := PrepareBundle(ctx, s, "feat:v1", "warm", RunOptions{})
	if err != nil {
		b.Fatal(err)
	}
	cleanup()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, cleanup, err := PrepareBundle(ctx, s, "feat:v1", fmt.Sprintf("c%d", i), RunOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := cleanup(); err != nil {
			b.Fatal(err)
		}
	}
}
