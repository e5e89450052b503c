// Package keyqueue runs jobs one at a time per key and a bounded number at
// once overall: the adapters key it by user or chat, so one person's events
// are handled in arrival order while different people's run concurrently.
// A job that panics is recovered and reported, so one bad event cannot end
// the process.
package keyqueue

import "sync"

// Queue is a set of per-key FIFO queues sharing a concurrency limit.
type Queue struct {
	sem      chan struct{}
	maxQueue int
	// onPanic is told of a job or spawned function that panicked; the
	// panic is recovered so one bad event cannot end the process.
	onPanic func(recovered any)

	mu     sync.Mutex
	queues map[string][]func()
	wg     sync.WaitGroup
}

// New returns a Queue running at most limit jobs at once, holding at most
// maxQueue waiting jobs per key (0: no bound). onPanic is told of a job that
// panicked; it must not log the recovered value (it may hold input).
func New(limit, maxQueue int, onPanic func(recovered any)) *Queue {
	if limit < 1 {
		limit = 1
	}
	if onPanic == nil {
		onPanic = func(any) {}
	}
	return &Queue{sem: make(chan struct{}, limit), maxQueue: maxQueue, queues: map[string][]func(){}, onPanic: onPanic}
}

// run calls f, recovering a panic and reporting it to onPanic.
func (d *Queue) run(f func()) {
	defer func() {
		if r := recover(); r != nil {
			d.onPanic(r)
		}
	}()
	f()
}

// Submit queues job behind the key's earlier jobs. It reports false when
// the key's queue is full and the job was dropped.
func (d *Queue) Submit(key string, job func()) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	q, running := d.queues[key]
	if d.maxQueue > 0 && len(q) >= d.maxQueue {
		return false
	}
	d.queues[key] = append(q, job)
	if !running {
		d.wg.Add(1)
		go d.drain(key)
	}
	return true
}

func (d *Queue) drain(key string) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		q := d.queues[key]
		if len(q) == 0 {
			delete(d.queues, key)
			d.mu.Unlock()
			return
		}
		job := q[0]
		q[0] = nil
		d.queues[key] = q[1:]
		d.mu.Unlock()

		d.sem <- struct{}{}
		d.run(job)
		<-d.sem
	}
}

// Spawn runs f on its own goroutine, outside the limit, counted by Wait.
func (d *Queue) Spawn(f func()) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.run(f)
	}()
}

// Wait blocks until every queued job and spawned function has run.
func (d *Queue) Wait() { d.wg.Wait() }
