package simulator

import (
	"embed"
	"strings"
	"sync"
)

// Preset is a ready-made scenario that answers one question from the
// discussions the project grew from.
type Preset struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Text        string `json:"text"`
}

// DefaultPreset is the scenario shown first.
const DefaultPreset = "follow-twice"

//go:embed presets/*.http
var presetFiles embed.FS

// presetOrder is the order of the picker: from the simplest question to
// the ones that need declarations and captures.
var presetOrder = []string{
	"follow-twice", "follow-put", "post-existing-id", "duplicate-signup", "delete-twice",
	"immutable-deployment", "stale-if-match", "form-validation", "unknown-category",
	"vote-without-download", "category-in-use", "last-contact", "bulk-create", "idempotency-key",
	"follow-needs-login", "owner-only-delete", "acl-self-removal", "private-or-missing",
	"booking-race", "concurrent-edit", "follow-race", "idempotency-race", "delete-race",
}

var presets struct {
	once sync.Once
	list []Preset
}

func loadPresets() {
	for _, name := range presetOrder {
		data, err := presetFiles.ReadFile("presets/" + name + ".http")
		if err != nil {
			panic(err) // embedded at build time; a test lists every file
		}
		text := string(data)
		p := Preset{Name: name, Text: text}
		if sc, err := parse(name, text); err == nil {
			p.Title, p.Description = sc.title, sc.description
		} else {
			panic("preset " + name + ": " + err.Error())
		}
		presets.list = append(presets.list, p)
	}
}

// Presets lists the built-in scenarios in picker order.
func Presets() []Preset {
	presets.once.Do(loadPresets)
	out := make([]Preset, len(presets.list))
	copy(out, presets.list)
	return out
}

// PresetByName finds a built-in scenario; the name may carry a "preset:"
// prefix as on the command line.
func PresetByName(name string) (Preset, bool) {
	name = strings.TrimPrefix(name, "preset:")
	for _, p := range Presets() {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}
