//! One thread for the rendering of the whole process.
//!
//! Rendering already serialises on the process-wide font cache, so several threads gain
//! nothing; but each thread that renders gets its own glibc malloc arena, and a card's
//! canvas is a few megabytes that the arena keeps after the render. Rendered on whatever
//! blocking thread tokio picks (up to 512 of them), those buffers ended up retained in up to
//! 8 × cores arenas. On one long-lived thread they are reused render after render.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;
use std::sync::mpsc::{Sender, channel};

type Job = Box<dyn FnOnce() + Send>;

/// The render thread could not run the job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderThreadError {
    #[error("the render thread could not be started")]
    NotStarted,
    #[error("the render job panicked")]
    Panicked,
}

fn worker() -> Option<&'static Sender<Job>> {
    static WORKER: OnceLock<Option<Sender<Job>>> = OnceLock::new();
    WORKER
        .get_or_init(|| {
            let (tx, rx) = channel::<Job>();
            let spawned = std::thread::Builder::new()
                .name("render".into())
                .spawn(move || {
                    for job in rx {
                        job();
                    }
                });
            match spawned {
                Ok(_) => Some(tx),
                Err(e) => {
                    tracing::error!(error = %e, "could not start the render thread");
                    None
                }
            }
        })
        .as_ref()
}

/// Runs `f` on the render thread and waits for its result (jobs run one at a time, in
/// order). A panic in `f` is caught and reported; the thread goes on.
pub async fn on_render_thread<T, F>(f: F) -> Result<T, RenderThreadError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        if let Ok(out) = catch_unwind(AssertUnwindSafe(f)) {
            // The caller may have gone (its task was cancelled): nothing to do then.
            let _ = tx.send(out);
        }
    });
    worker()
        .ok_or(RenderThreadError::NotStarted)?
        .send(job)
        .map_err(|_| RenderThreadError::NotStarted)?;
    rx.await.map_err(|_| RenderThreadError::Panicked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_on_one_thread_and_a_panic_does_not_stop_it() {
        let a = on_render_thread(|| std::thread::current().id())
            .await
            .unwrap();
        let panicked = on_render_thread(|| -> u8 { panic!("boom") }).await;
        assert_eq!(panicked, Err(RenderThreadError::Panicked));
        let b = on_render_thread(|| std::thread::current().id())
            .await
            .unwrap();
        assert_eq!(a, b);
        assert_ne!(a, std::thread::current().id());
    }
}
