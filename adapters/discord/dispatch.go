package discord

import "sync"

// dispatcher runs jobs one at a time per key (a Discord user, so one
// person's events are handled in arrival order even though discordgo runs
// handlers concurrently) and at most limit jobs at once overall.
type dispatcher struct {
	sem      chan struct{}
	maxQueue int
	// onPanic is told of a job or spawned function that panicked; the
	// panic is recovered so one bad event cannot end the process.
	onPanic func(recovered any)

	mu     sync.Mutex
	queues map[string][]func()
	wg     sync.WaitGroup
}

func newDispatcher(limit, maxQueue int, onPanic func(any)) *dispatcher {
	if onPanic == nil {
		onPanic = func(any) {}
	}
	return &dispatcher{sem: make(chan struct{}, limit), maxQueue: maxQueue, queues: map[string][]func(){}, onPanic: onPanic}
}

// run calls f, recovering a panic and reporting it to onPanic.
func (d *dispatcher) run(f func()) {
	defer func() {
		if r := recover(); r != nil {
			d.onPanic(r)
		}
	}()
	f()
}

// submit queues job behind the key's earlier jobs. It reports false when
// the key's queue is full and the job was dropped.
func (d *dispatcher) submit(key string, job func()) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	q, running := d.queues[key]
	if len(q) >= d.maxQueue {
		return false
	}
	d.queues[key] = append(q, job)
	if !running {
		d.wg.Add(1)
		go d.drain(key)
	}
	return true
}

func (d *dispatcher) drain(key string) {
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

// spawn runs f on its own goroutine, counted by wait.
func (d *dispatcher) spawn(f func()) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.run(f)
	}()
}

// wait blocks until every queued job and spawned function has run.
func (d *dispatcher) wait() { d.wg.Wait() }
