package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/httpplay/httpplay/internal/api"
)

// roundTrip sends req on a new connection to addr and returns the status
// line and header fields as the server wrote them (curl -i shows their
// spelling, which net/http's client would canonicalize), without Date and
// Connection, and the decoded body.
func roundTrip(addr string, req *http.Request) (head string, body []byte, err error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	req.Close = true
	// The request is written while the answer is read: a server may answer
	// (413) before it has read a large body, and then stops reading it.
	go req.Write(conn)
	br := bufio.NewReader(conn)
	var raw, h strings.Builder
	for i := 0; ; i++ {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", nil, fmt.Errorf("reading the answer: %v", err)
		}
		if raw.Len()+len(line) > 1<<20 {
			return "", nil, fmt.Errorf("the answer's header is larger than 1 MiB")
		}
		raw.WriteString(line)
		text := strings.TrimRight(line, "\r\n")
		if text == "" {
			break
		}
		name, _, _ := strings.Cut(text, ":")
		if i > 0 && (strings.EqualFold(name, "Date") || strings.EqualFold(name, "Connection")) {
			continue
		}
		h.WriteString(text + "\n")
	}
	resp, err := http.ReadResponse(bufio.NewReader(io.MultiReader(strings.NewReader(raw.String()), br)), req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxCommandOutput+1))
	if err != nil {
		return "", nil, fmt.Errorf("reading the answer: %v", err)
	}
	if len(body) > maxCommandOutput {
		return "", nil, fmt.Errorf("the answer is larger than %d KiB", maxCommandOutput>>10)
	}
	return h.String(), body, nil
}

// commandRunner runs the commands of `httpplay cli` and `httpplay api`
// blocks, so that the command line and API examples of a document show what
// this build prints and answers. cli commands go through runCLI; api
// commands (a subset of curl) go over loopback HTTP to the same handler the
// native server and the Worker serve, started on first use.
type commandRunner struct {
	server *httptest.Server
}

func newCommandRunner() *commandRunner { return &commandRunner{} }

func (c *commandRunner) close() {
	if c.server != nil {
		c.server.Close()
	}
}

// maxCommandOutput bounds what one command may print into a document.
const maxCommandOutput = 1 << 20

// run renders a cli or api block: each command's output in one code block,
// outputs of several commands separated by a blank line.
func (c *commandRunner) run(b *block, kind string) (string, error) {
	cmds, err := splitCommands(b.content)
	if err != nil {
		var se *shellError
		if ok := asShellError(err, &se); ok {
			return "", b.errAt(se.line, se.col, "%s", se.msg)
		}
		return "", err
	}
	if len(cmds) == 0 {
		return "", b.errAt(0, b.fence.infoAt+1, "this %s block holds no command", kind)
	}
	var outputs []string
	for _, cmd := range cmds {
		var out string
		if kind == "cli" {
			out, err = c.cli(b, cmd)
		} else {
			out, err = c.curl(b, cmd)
		}
		if err != nil {
			return "", err
		}
		if out != "" && !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
		outputs = append(outputs, out)
	}
	body := strings.Join(outputs, "\n")
	f := codeFence(body)
	return f + "\n" + body + f + "\n", nil
}

// codeFence is a backtick fence longer than any run of backticks in body.
func codeFence(body string) string {
	longest, run := 0, 0
	for i := 0; i < len(body); i++ {
		if body[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// cli runs `httpplay run|policies|presets ...` in this process.
func (c *commandRunner) cli(b *block, cmd command) (string, error) {
	words := cmd.words
	if len(words) < 2 || words[0].text != "httpplay" || words[0].op {
		return "", b.errAt(cmd.line, cmd.col, "a cli block holds httpplay commands, one a line")
	}
	var args []string
	for _, w := range words[1:] {
		if w.op {
			return "", b.errAt(cmd.line, w.col, "a cli command cannot use %q", w.text)
		}
		args = append(args, w.text)
	}
	switch args[0] {
	case "run", "policies", "presets", "help":
	default:
		return "", b.errAt(cmd.line, words[1].col, "a cli block runs httpplay run, policies, presets or help, not %q", args[0])
	}
	var stdout, stderr limitedBuffer
	if status := runCLI(args, strings.NewReader(""), &stdout, &stderr); status != 0 {
		return "", b.errAt(cmd.line, cmd.col, "the command exited with status %d: %s", status, strings.TrimSpace(stderr.String()))
	}
	if stdout.overflow {
		return "", b.errAt(cmd.line, cmd.col, "the command printed more than %d KiB", maxCommandOutput>>10)
	}
	return stdout.String(), nil
}

// limitedBuffer keeps the first maxCommandOutput bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	overflow bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxCommandOutput - l.Len(); len(p) > room {
		l.overflow = true
		l.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return l.Buffer.Write(p)
}

// curlRequest is what a curl command line asks for.
type curlRequest struct {
	method, url string
	header      http.Header
	body        []byte
	hasBody     bool
	include     bool // -i: print the status line and headers
	headOnly    bool // -I: HEAD, headers only
	headLines   int  // `| head -n N`; 0 for all
}

// curl runs one command of the curl subset the README uses:
//
//	[head -c N /dev/zero |] curl [-s] [-i|-I] [-X METHOD] [-H 'Name: value']...
//	    [-d|--data|--data-binary DATA|@-] URL [| head -n N]
//
// and prints what curl would: the body, after the status line and the
// header fields (sorted, without Date, which changes every second) with -i.
func (c *commandRunner) curl(b *block, cmd command) (string, error) {
	req, err := parseCurl(cmd)
	if err != nil {
		var se *shellError
		if asShellError(err, &se) {
			return "", b.errAt(cmd.line, se.col, "%s", se.msg)
		}
		return "", err
	}
	if c.server == nil {
		c.server = httptest.NewServer(api.New(api.Options{}))
	}
	target := req.url
	if i := strings.Index(target, "://"); i >= 0 {
		target = target[i+3:]
		if j := strings.IndexByte(target, '/'); j >= 0 {
			target = target[j:]
		} else {
			target = "/"
		}
	}
	var body io.Reader
	if req.hasBody {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequest(req.method, c.server.URL+target, body)
	if err != nil {
		return "", b.errAt(cmd.line, cmd.col, "%v", err)
	}
	for k, v := range req.header {
		hr.Header[k] = v
	}
	head, data, err := roundTrip(c.server.Listener.Addr().String(), hr)
	if err != nil {
		return "", b.errAt(cmd.line, cmd.col, "%v", err)
	}
	var out strings.Builder
	if req.include || req.headOnly {
		out.WriteString(head)
		if !req.headOnly && len(data) > 0 {
			out.WriteString("\n")
		}
	}
	if !req.headOnly {
		out.Write(data)
	}
	text := out.String()
	if req.headLines > 0 {
		lines := strings.SplitAfter(text, "\n")
		if len(lines) > req.headLines {
			text = strings.Join(lines[:req.headLines], "")
		}
	}
	return text, nil
}

func parseCurl(cmd command) (curlRequest, error) {
	req := curlRequest{header: http.Header{}}
	words := cmd.words
	fail := func(w word, format string, args ...any) (curlRequest, error) {
		return req, &shellError{line: cmd.line, col: w.col, msg: fmt.Sprintf(format, args...)}
	}
	var stdin []byte
	hasStdin := false
	// [head -c N /dev/zero |]
	if len(words) >= 5 && words[0].text == "head" && !words[0].op {
		if words[1].text != "-c" || words[3].text != "/dev/zero" || !words[4].op || words[4].text != "|" {
			return fail(words[0], "the only command before curl may be head -c N /dev/zero |")
		}
		n, err := strconv.Atoi(words[2].text)
		if err != nil || n < 0 || n > 16<<20 {
			return fail(words[2], "head -c wants a byte count up to 16 MiB")
		}
		stdin, hasStdin = make([]byte, n), true
		words = words[5:]
	}
	// [| head -n N]
	if k := len(words); k >= 4 && words[k-4].op && words[k-4].text == "|" {
		if words[k-3].text != "head" || words[k-2].text != "-n" {
			return fail(words[k-4], "the only command after curl may be head -n N")
		}
		n, err := strconv.Atoi(words[k-1].text)
		if err != nil || n < 1 {
			return fail(words[k-1], "head -n wants a positive line count")
		}
		req.headLines = n
		words = words[:k-4]
	}
	if len(words) == 0 || words[0].text != "curl" || words[0].op {
		return fail(cmd.first(), "an api block holds curl commands, one a line (a line may end in \\ to go on)")
	}
	for i := 1; i < len(words); i++ {
		w := words[i]
		if w.op {
			return fail(w, "%q is not supported in an api block", w.text)
		}
		arg := func() (string, error) {
			if i+1 >= len(words) || words[i+1].op {
				_, err := fail(w, "%s needs a value", w.text)
				return "", err
			}
			i++
			return words[i].text, nil
		}
		switch {
		case w.text == "-X" || w.text == "--request":
			v, err := arg()
			if err != nil {
				return req, err
			}
			req.method = v
		case w.text == "-H" || w.text == "--header":
			v, err := arg()
			if err != nil {
				return req, err
			}
			name, value, ok := strings.Cut(v, ":")
			if !ok {
				return fail(words[i], "a header is Name: value")
			}
			req.header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		case w.text == "-d" || w.text == "--data" || w.text == "--data-binary":
			v, err := arg()
			if err != nil {
				return req, err
			}
			switch {
			case v == "@-" && hasStdin:
				req.body = stdin
			case strings.HasPrefix(v, "@"):
				return fail(words[i], "a body from a file is not supported; write it in quotes")
			default:
				req.body = []byte(v)
			}
			req.hasBody = true
		case w.text == "--url":
			v, err := arg()
			if err != nil {
				return req, err
			}
			req.url = v
		case strings.HasPrefix(w.text, "-") && !strings.HasPrefix(w.text, "--") && len(w.text) > 1:
			for _, f := range w.text[1:] {
				switch f {
				case 's', 'S':
				case 'i':
					req.include = true
				case 'I':
					req.headOnly = true
				default:
					return fail(w, "curl option -%c is not supported (known: -s -i -I -X -H -d)", f)
				}
			}
		case strings.HasPrefix(w.text, "-"):
			return fail(w, "curl option %s is not supported (known: -s -i -I -X -H -d --data --data-binary)", w.text)
		case req.url == "":
			if !strings.HasPrefix(w.text, "http://") && !strings.HasPrefix(w.text, "https://") {
				return fail(w, "the URL must start with http:// or https://")
			}
			req.url = w.text
		default:
			return fail(w, "a second URL %q", w.text)
		}
	}
	if req.url == "" {
		return fail(cmd.first(), "the curl command has no URL")
	}
	if req.hasBody && req.header.Get("Content-Type") == "" {
		req.header.Set("Content-Type", "application/x-www-form-urlencoded") // as curl does
	}
	switch {
	case req.method != "":
	case req.headOnly:
		req.method = http.MethodHead
	case req.hasBody:
		req.method = http.MethodPost
	default:
		req.method = http.MethodGet
	}
	return req, nil
}

// command is one shell command of a block, with its position.
type command struct {
	line, col int // of its first word, in the block (line 1 is the first content line)
	words     []word
}

func (c command) first() word {
	if len(c.words) == 0 {
		return word{col: c.col}
	}
	return c.words[0]
}

// word is a shell word, or an operator such as | (op set).
type word struct {
	text string
	op   bool
	col  int
}

// shellError is a mistake in a block's commands.
type shellError struct {
	line, col int
	msg       string
}

func (e *shellError) Error() string { return fmt.Sprintf("%d:%d: %s", e.line, e.col, e.msg) }

func asShellError(err error, target **shellError) bool {
	se, ok := err.(*shellError)
	if ok {
		*target = se
	}
	return ok
}

// splitCommands splits lines into commands with the quoting of the POSIX
// shell that examples use: 'single', "double" (with \ before " \ $ `),
// \ outside quotes, a \ at the end of a line to go on, # comments at the
// start of a word, and | as an operator. A command ends at a line break
// outside quotes.
func splitCommands(lines []string) ([]command, error) {
	var cmds []command
	var cur *command
	var w strings.Builder
	inWord := false
	wordCol := 0
	endWord := func() {
		if inWord {
			cur.words = append(cur.words, word{text: w.String(), col: wordCol})
			w.Reset()
			inWord = false
		}
	}
	startWord := func(line, col int) {
		if cur == nil {
			cmds = append(cmds, command{line: line, col: col})
			cur = &cmds[len(cmds)-1]
		}
		if !inWord {
			inWord, wordCol = true, col
		}
	}
	var quote byte
	qLine, qCol := 0, 0
	for li, text := range lines {
		line := li + 1
		cont := false
		for i := 0; i < len(text); i++ {
			ch := text[i]
			col := i + 1
			switch quote {
			case '\'':
				if ch == '\'' {
					quote = 0
				} else {
					w.WriteByte(ch)
				}
				continue
			case '"':
				switch {
				case ch == '"':
					quote = 0
				case ch == '\\' && i+1 < len(text) && strings.IndexByte("\"\\$`", text[i+1]) >= 0:
					i++
					w.WriteByte(text[i])
				case ch == '\\' && i+1 == len(text):
					cont = true // the line goes on, without its break
				default:
					w.WriteByte(ch)
				}
				continue
			}
			switch {
			case ch == ' ' || ch == '\t':
				endWord()
			case ch == '#' && !inWord:
				i = len(text)
			case ch == '\\':
				if i+1 == len(text) {
					cont = true
					continue
				}
				startWord(line, col)
				i++
				w.WriteByte(text[i])
			case ch == '\'' || ch == '"':
				startWord(line, col)
				quote, qLine, qCol = ch, line, col
			case ch == '|' || ch == ';' || ch == '&' || ch == '<' || ch == '>' || ch == '$' || ch == '`' || ch == '(' || ch == ')':
				if ch != '|' {
					return nil, &shellError{line, col, fmt.Sprintf("%q is not supported here; quote it", string(ch))}
				}
				endWord()
				startWord(line, col)
				inWord = false
				cur.words = append(cur.words, word{text: "|", op: true, col: col})
			default:
				startWord(line, col)
				w.WriteByte(ch)
			}
		}
		switch {
		case cont:
		case quote != 0:
			w.WriteByte('\n')
		default:
			endWord()
			cur = nil
		}
	}
	if quote != 0 {
		return nil, &shellError{qLine, qCol, "this quote is never closed"}
	}
	endWord()
	return cmds, nil
}
