package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// mdbookCommand is `httpplay render --mdbook`, an mdBook preprocessor: with
// `supports RENDERER` it answers by its exit status whether it can work for
// that renderer; otherwise it reads [context, book] as JSON on standard
// input and writes the book, with every chapter's httpplay blocks rendered,
// to standard output. The book is handled as generic JSON so that fields of
// a newer mdBook pass through unchanged. book.toml:
//
//	[preprocessor.httpplay]
//	command = "httpplay render --mdbook"
//	playground = "https://example.org/httpplay/"   # optional
//	format = "html"                                # optional default
func mdbookCommand(args []string, cfg renderConfig, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "supports" && len(args) == 2 {
			// The output is CommonMark with HTML blocks, which every
			// renderer that reads Markdown accepts.
			return 0
		}
		fmt.Fprintf(stderr, "httpplay render --mdbook: unexpected arguments %q (mdBook passes none, or supports RENDERER)\n", args)
		return 2
	}
	data, err := io.ReadAll(io.LimitReader(stdin, 256<<20+1))
	if err != nil {
		fmt.Fprintf(stderr, "httpplay render --mdbook: %v\n", err)
		return 2
	}
	runner := newCommandRunner()
	defer runner.close()
	cfg.exec = runner
	out, errs := mdbookRender(data, cfg)
	for _, e := range errs {
		fmt.Fprintln(stderr, e)
	}
	if len(errs) > 0 {
		return 1
	}
	stdout.Write(out)
	return 0
}

// mdbookRender turns the preprocessor input into its output.
func mdbookRender(data []byte, cfg renderConfig) ([]byte, []error) {
	if len(data) > 256<<20 {
		return nil, []error{fmt.Errorf("httpplay render --mdbook: the book is larger than 256 MiB")}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var input []any
	if err := dec.Decode(&input); err != nil || len(input) != 2 {
		return nil, []error{fmt.Errorf("httpplay render --mdbook: standard input is not mdBook's [context, book] JSON")}
	}
	ctx, _ := input[0].(map[string]any)
	book, ok := input[1].(map[string]any)
	if ctx == nil || !ok {
		return nil, []error{fmt.Errorf("httpplay render --mdbook: standard input is not mdBook's [context, book] JSON")}
	}
	if err := mdbookConfig(ctx, &cfg); err != nil {
		return nil, []error{err}
	}
	var errs []error
	// mdBook 0.4 and 0.5 name the list "sections"; "items" is accepted
	// too, the name of the same list in mdBook's Rust API.
	for _, key := range []string{"sections", "items"} {
		if items, ok := book[key].([]any); ok {
			errs = append(errs, mdbookItems(items, cfg, 0)...)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(book); err != nil {
		return nil, []error{err}
	}
	return out.Bytes(), nil
}

// mdbookConfig reads [preprocessor.httpplay] of book.toml from the context:
// format, policies and playground, each overriding the command line's.
func mdbookConfig(ctx map[string]any, cfg *renderConfig) error {
	config, _ := ctx["config"].(map[string]any)
	pre, _ := config["preprocessor"].(map[string]any)
	own, _ := pre["httpplay"].(map[string]any)
	for key, v := range own {
		s, isString := v.(string)
		switch key {
		case "format", "playground", "policies":
			if !isString {
				return fmt.Errorf("book.toml: preprocessor.httpplay.%s must be a string", key)
			}
		}
		switch key {
		case "format":
			if !validFormat(s) {
				return fmt.Errorf("book.toml: preprocessor.httpplay.format %q: use table, html or json", s)
			}
			cfg.format = s
		case "playground":
			cfg.playground = s
		case "policies":
			cfg.policies = splitList(s)
		}
	}
	return nil
}

// mdbookItems renders the chapters of a list of book items and of their
// sub-items. depth bounds the recursion of a hostile input.
func mdbookItems(items []any, cfg renderConfig, depth int) []error {
	if depth > 64 {
		return []error{fmt.Errorf("httpplay render --mdbook: chapters nested more than 64 deep")}
	}
	var errs []error
	for _, item := range items {
		obj, _ := item.(map[string]any)
		ch, _ := obj["Chapter"].(map[string]any)
		if ch == nil {
			continue // "Separator", {"PartTitle": ...}
		}
		if content, ok := ch["content"].(string); ok {
			name, _ := ch["source_path"].(string)
			if name == "" {
				name, _ = ch["path"].(string)
			}
			if name == "" {
				name, _ = ch["name"].(string)
			}
			doc, e := renderMarkdown(name, []byte(content), cfg)
			if len(e) > 0 {
				errs = append(errs, e...)
			} else {
				ch["content"] = string(doc.out)
			}
		}
		if sub, ok := ch["sub_items"].([]any); ok {
			errs = append(errs, mdbookItems(sub, cfg, depth+1)...)
		}
	}
	return errs
}
