// Goroutines over OS threads, channels, a mutex, timers and GC: the Go runtime uses
// clone threads, futexes, signals (SIGURG preemption), sigaltstack and madvise.
package main

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

func spin(n int) int {
	x := n
	for i := 0; i < 20000000; i++ {
		x = x*1103515245 + 12345
	}
	return x & 0xff
}

func main() {
	runtime.GOMAXPROCS(2)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	results := make(chan int, 100)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			mu.Lock()
			total += i
			mu.Unlock()
			results <- i * i
		}(i)
	}
	wg.Wait()
	close(results)
	var squares []int
	for r := range results {
		squares = append(squares, r)
	}
	sort.Ints(squares)
	fmt.Println("total", total, "squares", len(squares), squares[99])
	done := make(chan int)
	for g := 0; g < 2; g++ {
		go func(g int) { done <- spin(g) }(g)
	}
	<-done
	<-done
	// Two goroutines spinning without a call occupy both Ps: main only runs again
	// (to stop them) if the runtime preempts one asynchronously, with SIGURG sent to
	// a thread that is running guest code.
	var stop int32
	var spinning sync.WaitGroup
	for g := 0; g < 2; g++ {
		spinning.Add(1)
		go func() {
			defer spinning.Done()
			for atomic.LoadInt32(&stop) == 0 {
			}
		}()
	}
	time.Sleep(30 * time.Millisecond)
	atomic.StoreInt32(&stop, 1)
	spinning.Wait()
	fmt.Println("spinning goroutines preempted and stopped")
	timer := time.NewTimer(20 * time.Millisecond)
	<-timer.C
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Println("timer fired, gc ran:", m.NumGC > 0)
}
