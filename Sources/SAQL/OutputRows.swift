import Planner
import Synchronization

/// The rows of one delivered output, as ``Engine/rows(of:)`` hands them out: an `AsyncSequence`
/// that ends when the job finishes and throws ``SAQLError`` when it fails. Iterate it once.
public struct OutputRows: AsyncSequence, Sendable {
    public typealias Element = Record
    public typealias Failure = SAQLError

    let channel: OutputChannel

    public func makeAsyncIterator() -> Iterator { Iterator(reader: Reader(channel)) }

    /// Takes rows from the output's buffer, waiting while it is empty.
    public struct Iterator: AsyncIteratorProtocol {
        let reader: Reader

        public mutating func next() async throws(SAQLError) -> Record? { try await reader.channel.next() }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(SAQLError) -> Record? {
            try await reader.channel.next()
        }
    }

    /// Marks the output abandoned when the iterator goes away (a `break` out of the loop), so
    /// pushes stop waiting for a reader that will not come back.
    final class Reader: Sendable {
        let channel: OutputChannel
        init(_ channel: OutputChannel) { self.channel = channel }
        deinit { channel.abandon() }
    }
}

/// One output's bounded buffer between the job (which sends rows while it runs, synchronously) and
/// its reader (which waits for them). The job waits for room after each call into it, never while
/// sending, so a reader is never waited for in the middle of a batch.
final class OutputChannel: Sendable {
    let name: String
    private let limit: Int

    private struct State {
        var rows: [Record] = []
        var head = 0
        var finished = false
        var failure: SAQLError?
        var taken = false
        var abandoned = false
        var reader: CheckedContinuation<Result<Record?, SAQLError>, Never>?
        var producers: [CheckedContinuation<Void, Never>] = []

        var count: Int { rows.count - head }

        mutating func pop() -> Record {
            let r = rows[head]
            head += 1
            // Drop taken rows in bulk, so a long-lived buffer does not grow.
            if head >= 1024 && head * 2 >= rows.count {
                rows.removeFirst(head)
                head = 0
            }
            return r
        }
    }
    private let state = Mutex(State())

    init(name: String, limit: Int) {
        self.name = name
        self.limit = limit
    }

    /// Marks the output's one sequence as handed out; false when it already was.
    func take() -> Bool {
        state.withLock { s in
            if s.taken { return false }
            s.taken = true
            return true
        }
    }

    /// A row from the job.
    func send(_ row: Record) {
        let reader: CheckedContinuation<Result<Record?, SAQLError>, Never>? = state.withLock { s in
            if s.abandoned || s.finished { return nil }
            if let r = s.reader {
                s.reader = nil
                return r
            }
            s.rows.append(row)
            return nil
        }
        reader?.resume(returning: .success(row))
    }

    /// The output has all its rows (`failure`: the job stopped).
    func finish(_ failure: SAQLError?) {
        let (reader, producers, result): (CheckedContinuation<Result<Record?, SAQLError>, Never>?, [CheckedContinuation<Void, Never>], Result<Record?, SAQLError>) = state.withLock { s in
            if !s.finished {
                s.finished = true
                s.failure = failure
            }
            let r = s.reader
            s.reader = nil
            let p = s.producers
            s.producers = []
            return (r, p, s.failure.map { .failure($0) } ?? .success(nil))
        }
        reader?.resume(returning: result)
        for p in producers { p.resume() }
    }

    /// The reader is gone: rows from now on are discarded and nobody waits for room.
    func abandon() {
        let producers = state.withLock { s in
            s.abandoned = true
            s.rows = []
            s.head = 0
            let p = s.producers
            s.producers = []
            return p
        }
        for p in producers { p.resume() }
    }

    /// Returns once the buffer holds fewer rows than its limit (or nobody will read it).
    func waitForRoom() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s in
                if s.count < limit || s.abandoned || s.finished { return true }
                s.producers.append(c)
                return false
            }
            if ready { c.resume() }
        }
    }

    /// The next row, waiting while none is buffered; nil once the output has ended.
    func next() async throws(SAQLError) -> Record? {
        let result: Result<Record?, SAQLError> = await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Result<Record?, SAQLError>, Never>) in
                let (immediate, producers) = state.withLock { s -> (Result<Record?, SAQLError>?, [CheckedContinuation<Void, Never>]) in
                    if s.count > 0 {
                        let row = s.pop()
                        var wake: [CheckedContinuation<Void, Never>] = []
                        if s.count < limit {
                            wake = s.producers
                            s.producers = []
                        }
                        return (.success(row), wake)
                    }
                    if s.finished || s.abandoned { return (s.failure.map { .failure($0) } ?? .success(nil), []) }
                    if Task.isCancelled { return (.success(nil), []) }
                    s.reader = c
                    return (nil, [])
                }
                for p in producers { p.resume() }
                if let immediate { c.resume(returning: immediate) }
            }
        } onCancel: {
            // The reading task was cancelled: end its sequence, and stop holding rows for it.
            let reader = state.withLock { s in
                let r = s.reader
                s.reader = nil
                return r
            }
            reader?.resume(returning: .success(nil))
            abandon()
        }
        return try result.get()
    }
}
