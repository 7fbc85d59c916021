// Command load is the load test of the native server (make bench-load):
// it starts `httpplay serve` on a loopback port, sends it many concurrent
// heavy POST /api/run requests for a bounded time and count, then clients
// that give up after a fraction of a second, and reports latency
// percentiles, the answers by status, the connections that got no answer
// at all (which must be none), the CPU the server spent after the
// impatient clients had left, and its memory before, at the peak and
// after. With several binaries (-bin a,b) it runs each in turn, so that a
// change can be compared with what came before it in one run.
//
// Traffic goes to 127.0.0.1 only.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	bins := flag.String("bin", "build/httpplay", "comma-separated httpplay binaries to compare")
	web := flag.String("web", "web", "the playground directory the server needs")
	clients := flag.Int("clients", 100, "concurrent clients")
	duration := flag.Duration("duration", 10*time.Second, "how long the clients send (at most 60s)")
	maxRequests := flag.Int("requests", 3000, "the most requests sent in all")
	impatient := flag.Int("impatient", 50, "clients that give up after 200 ms, sent after the load")
	flag.Parse()
	*duration = min(*duration, time.Minute)
	body := heavyScenario()
	fmt.Printf("load: %d clients for %v (at most %d requests), then %d clients that give up after 200 ms; scenario of %d bytes\n\n",
		*clients, *duration, *maxRequests, *impatient, len(body))
	var reports []report
	for _, bin := range strings.Split(*bins, ",") {
		r, err := measure(bin, *web, body, *clients, *duration, *maxRequests, *impatient)
		if err != nil {
			fmt.Fprintf(os.Stderr, "load: %s: %v\n", bin, err)
			os.Exit(1)
		}
		reports = append(reports, r)
	}
	printReports(reports)
	for _, r := range reports {
		if r.dropped > 0 {
			fmt.Fprintf(os.Stderr, "load: %s dropped %d connections\n", r.bin, r.dropped)
			os.Exit(1)
		}
	}
}

// heavyScenario is the heaviest kind of request the API still answers: a
// value doubled to 32 KiB, then read back until the answer nears the API's
// 8 MiB of result.
func heavyScenario() string {
	var b strings.Builder
	b.WriteString("# Heavy\nPOST /vs\n{\"id\": \"v\", \"v\": \"xxxxxxxxxxxxxxxx\"}\nlet a = body v\n\n")
	for i := range 11 {
		fmt.Fprintf(&b, "PUT /vs/v\n{\"v\": \"{{a}}{{a}}\", \"n\": %d}\nlet a = body v\n\n", i)
	}
	for range 20 {
		b.WriteString("GET /vs/v\n\n")
	}
	return b.String()
}

type report struct {
	bin                   string
	sent                  int
	statuses              map[int]int
	dropped               int
	p50, p99, max         time.Duration
	idleRSS, peakRSS      int // KiB
	afterRSS              int
	cpuAfterImpatient     time.Duration
	impatientSent         int
	impatientBeforeAnswer int
}

func measure(bin, web, body string, clients int, duration time.Duration, maxRequests, impatient int) (report, error) {
	r := report{bin: bin, statuses: map[int]int{}}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--web", web)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return r, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return r, err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return r, fmt.Errorf("no address from the server: %v", err)
	}
	i := strings.Index(line, "http://")
	if i < 0 {
		return r, fmt.Errorf("no address in %q", line)
	}
	base := strings.Replace(strings.TrimSpace(line[i:]), "localhost", "127.0.0.1", 1)
	pid := cmd.Process.Pid
	time.Sleep(300 * time.Millisecond)
	r.idleRSS = procStatus(pid, "VmRSS")

	transport := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: 0}
	client := &http.Client{Transport: transport, Timeout: 2 * time.Minute}
	var mu sync.Mutex
	var latencies []time.Duration
	var sent int
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				mu.Lock()
				if sent >= maxRequests {
					mu.Unlock()
					return
				}
				sent++
				mu.Unlock()
				start := time.Now()
				status, err := post(context.Background(), client, base, body)
				elapsed := time.Since(start)
				mu.Lock()
				if err != nil {
					r.dropped++
				} else {
					r.statuses[status]++
					latencies = append(latencies, elapsed)
				}
				mu.Unlock()
				if status == http.StatusServiceUnavailable {
					time.Sleep(50 * time.Millisecond) // a polite client waits a little
				}
			}
		}()
	}
	wg.Wait()
	r.sent = sent
	r.peakRSS = procStatus(pid, "VmHWM")
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	if n := len(latencies); n > 0 {
		r.p50, r.p99, r.max = latencies[n/2], latencies[min(n-1, n*99/100)], latencies[n-1]
	}

	// Clients that give up: their runs must stop with them.
	time.Sleep(time.Second)
	var iwg sync.WaitGroup
	for range impatient {
		iwg.Add(1)
		go func() {
			defer iwg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			_, err := post(ctx, &http.Client{Transport: &http.Transport{}}, base, body)
			mu.Lock()
			r.impatientSent++
			if err == nil {
				r.impatientBeforeAnswer++
			}
			mu.Unlock()
		}()
	}
	iwg.Wait()
	cpuGone := procCPU(pid)
	time.Sleep(3 * time.Second)
	r.cpuAfterImpatient = procCPU(pid) - cpuGone
	transport.CloseIdleConnections()
	time.Sleep(2 * time.Second)
	r.afterRSS = procStatus(pid, "VmRSS")
	return r, nil
}

func post(ctx context.Context, c *http.Client, base, body string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", base+"api/run", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "text/plain")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// procStatus reads a memory figure (KiB) of /proc/PID/status.
func procStatus(pid int, key string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

// procCPU is the user and system time the process has used.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0
	}
	ut, _ := strconv.Atoi(fields[11])
	st, _ := strconv.Atoi(fields[12])
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

func printReports(rs []report) {
	row := func(label string, f func(r report) string) {
		fmt.Printf("%-34s", label)
		for _, r := range rs {
			fmt.Printf("  %22s", f(r))
		}
		fmt.Println()
	}
	row("", func(r report) string { return r.bin[max(0, len(r.bin)-22):] })
	row("requests sent", func(r report) string { return strconv.Itoa(r.sent) })
	row("200 answers", func(r report) string { return strconv.Itoa(r.statuses[200]) })
	row("503 answers", func(r report) string { return strconv.Itoa(r.statuses[503]) })
	row("other answers", func(r report) string {
		n := 0
		for s, c := range r.statuses {
			if s != 200 && s != 503 {
				n += c
			}
		}
		return strconv.Itoa(n)
	})
	row("dropped connections", func(r report) string { return strconv.Itoa(r.dropped) })
	row("latency p50", func(r report) string { return r.p50.Round(time.Millisecond).String() })
	row("latency p99", func(r report) string { return r.p99.Round(time.Millisecond).String() })
	row("latency max", func(r report) string { return r.max.Round(time.Millisecond).String() })
	row("RSS idle", func(r report) string { return mib(r.idleRSS) })
	row("RSS peak", func(r report) string { return mib(r.peakRSS) })
	row("RSS 2 s after the load", func(r report) string { return mib(r.afterRSS) })
	row("impatient clients answered", func(r report) string {
		return strconv.Itoa(r.impatientBeforeAnswer) + " of " + strconv.Itoa(r.impatientSent)
	})
	row("CPU after impatient clients left", func(r report) string { return r.cpuAfterImpatient.String() })
}

func mib(kib int) string { return strconv.Itoa(kib>>10) + " MiB" }
