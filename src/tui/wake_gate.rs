//! A stream that is asked for its next item only once it has said it has
//! one: polled again only after it woke the task, or after an item.
//!
//! The interface's loop polls the terminal's events on every turn, and
//! during a flood it turns once per batch of output. crossterm's
//! `EventStream` answers each poll by trying, for no time at all, a lock
//! that its own waiting thread holds: a spin of `sched_yield` calls, about
//! 4 % of all the CPU samples of a TUI flood (docs/PERFORMANCE.md, eighth
//! pass). Behind this gate the stream is polled when a key has come.
//!
//! Polling only: never reads the terminal itself.

use futures::Stream;
use futures::task::AtomicWaker;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

/// `inner`, polled only when it may have something.
pub struct WakeGate<S> {
    inner: S,
    flag: Arc<Flag>,
    /// `flag` as a waker, made once: the inner stream keeps a clone.
    waker: Waker,
}

/// Raised by the inner stream's wake-up; passes it on to the task.
struct Flag {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.task.wake();
    }
}

impl<S> WakeGate<S> {
    pub fn new(inner: S) -> WakeGate<S> {
        let flag = Arc::new(Flag {
            // The first poll goes through.
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        let waker = Waker::from(Arc::clone(&flag));
        WakeGate { inner, flag, waker }
    }
}

impl<S: Stream + Unpin> Stream for WakeGate<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        self.flag.task.register(cx.waker());
        if !self.flag.woken.swap(false, Ordering::SeqCst) {
            return Poll::Pending;
        }
        let waker = self.waker.clone();
        let polled = Pin::new(&mut self.inner).poll_next(&mut Context::from_waker(&waker));
        if polled.is_ready() {
            // More may be waiting: the next poll asks again.
            self.flag.woken.store(true, Ordering::SeqCst);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::{FutureExt, StreamExt};
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;

    /// Yields the items of `ready` when it has any, else is pending and
    /// keeps the waker; counts its polls.
    #[derive(Default)]
    struct Probe {
        ready: Mutex<Vec<u32>>,
        waker: Mutex<Option<Waker>>,
        polls: AtomicUsize,
    }

    struct Inner(Arc<Probe>);

    impl Stream for Inner {
        type Item = u32;
        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
            self.0.polls.fetch_add(1, Ordering::SeqCst);
            match self.0.ready.lock().unwrap().pop() {
                Some(n) => Poll::Ready(Some(n)),
                None => {
                    *self.0.waker.lock().unwrap() = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        }
    }

    #[tokio::test]
    async fn the_inner_stream_is_polled_again_only_once_it_woke_the_task() {
        let probe = Arc::new(Probe::default());
        probe.ready.lock().unwrap().push(7);
        let mut gate = WakeGate::new(Inner(Arc::clone(&probe)));
        assert_eq!(gate.next().await, Some(7));
        // Pending, then polled again and again without a wake-up: the
        // inner stream is not asked.
        for _ in 0..5 {
            assert!(gate.next().now_or_never().is_none());
        }
        assert_eq!(probe.polls.load(Ordering::SeqCst), 2);
        // An item comes and the inner stream wakes its waker: asked again.
        probe.ready.lock().unwrap().push(8);
        probe.waker.lock().unwrap().take().unwrap().wake();
        assert_eq!(gate.next().await, Some(8));
        assert_eq!(probe.polls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn the_task_is_woken_when_the_inner_stream_wakes() {
        let probe = Arc::new(Probe::default());
        let gate = WakeGate::new(Inner(Arc::clone(&probe)));
        let waiting = tokio::spawn(async move {
            let mut gate = gate;
            gate.next().await
        });
        // Wait until the task has polled and parked.
        while probe.waker.lock().unwrap().is_none() {
            tokio::task::yield_now().await;
        }
        probe.ready.lock().unwrap().push(9);
        probe.waker.lock().unwrap().take().unwrap().wake();
        assert_eq!(waiting.await.unwrap(), Some(9));
    }
}
