import NIOCore

/// Runs Swift tasks on one NIO event loop, the loop their connections live on.
///
/// A request's cycle then stays on one thread: the request is written from the loop, its
/// answer is read there, and the task that awaited it resumes there too. On the global
/// concurrency pool every request crossed threads twice (task → loop to write, loop → pool to
/// resume), and those wake-ups were the largest single cost of an apply.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let loop: any EventLoop

    public init(loop: any EventLoop) {
        self.loop = loop
    }

    /// Whether the calling code runs on this executor's loop.
    public var isCurrent: Bool { loop.inEventLoop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
