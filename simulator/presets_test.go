package simulator

import (
	"io/fs"
	"strings"
	"testing"
)

// TestPresetsComplete keeps the preset list and the embedded files in step
// and every preset self-explaining.
func TestPresetsComplete(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(presetFiles, "presets/*.http")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(Presets()) {
		t.Errorf("%d preset files, %d listed in presetOrder", len(files), len(Presets()))
	}
	for _, p := range Presets() {
		if p.Title == "" || strings.Count(p.Description, ".")+strings.Count(p.Description, "?") < 2 {
			t.Errorf("%s: needs a title and two or three sentences, got %q / %q", p.Name, p.Title, p.Description)
		}
		if _, err := Run(p.Text, Options{Policies: []string{"all"}}); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
	if _, ok := PresetByName("preset:" + DefaultPreset); !ok {
		t.Error("the default preset must exist")
	}
}
