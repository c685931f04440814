package files

import (
	"context"
	"fmt"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// One atomic upload (temporary file, write, fsync, rename, folder fsync) of 4 KiB.
func BenchmarkUpload4KiB(b *testing.B) {
	root := b.TempDir()
	spec := specFor(b, "files:Upload", Options{}, realOps)
	data := make([]byte, 4<<10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		_, err := apptest.Run(context.Background(), spec, weft.Bundle{"root": root},
			weft.Bundle{"path": fmt.Sprintf("d/%d.bin", i%100), "data": data, "overwrite": true}, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDownload4KiB(b *testing.B) {
	root := b.TempDir()
	up := specFor(b, "files:Upload", Options{}, realOps)
	if _, err := apptest.Run(context.Background(), up, weft.Bundle{"root": root},
		weft.Bundle{"path": "f.bin", "data": make([]byte, 4<<10)}, nil); err != nil {
		b.Fatal(err)
	}
	spec := specFor(b, "files:Download", Options{}, realOps)
	b.SetBytes(4 << 10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := apptest.Run(context.Background(), spec, weft.Bundle{"root": root}, weft.Bundle{"path": "f.bin"}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
