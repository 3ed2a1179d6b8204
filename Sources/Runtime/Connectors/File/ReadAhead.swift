import Foundation

/// Runs a source's reads on a thread of their own, a few items ahead of the thread that takes
/// them, so reading and decoding overlap the operators on a second core.
///
/// Contract: `read` runs only on the read-ahead thread until ``stop()`` returns, and the owner
/// touches the state `read` uses only after that. Items come out in the order they were read.
/// `read` returns `last: true` for the item that ends the input (or holds an error); the thread
/// ends after it.
final class ReadAhead<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    /// Items from `head` on are waiting; taken ones are cleared so the taker holds the only reference
    /// (a batch it then changes is not copied).
    private var queue: [Item?] = []
    private var head = 0
    private var stopping = false
    private var finished = false
    private let depth: Int
    private let read: () -> (item: Item, last: Bool)

    init(depth: Int, name: String, read: @escaping () -> (item: Item, last: Bool)) {
        self.depth = depth
        self.read = read
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    private func run() {
        // Below the run thread, which is the pipeline's one serial stage: when all threads are
        // ready, it takes a core first and the lanes fill what is left. (On Linux the nice value
        // belongs to the calling thread.)
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 5)
        #endif
        while true {
            condition.lock()
            while queue.count - head >= depth && !stopping { condition.wait() }
            if stopping {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.unlock()
            let (item, last) = read()
            condition.lock()
            if head > 0 && head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            }
            queue.append(item)
            if last { finished = true }
            condition.broadcast()
            condition.unlock()
            if last { return }
        }
    }

    /// The next item, waiting for it; nil once the thread has ended and every item was taken.
    func next() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count && !finished { condition.wait() }
        guard head < queue.count else { return nil }
        let item = queue[head]
        queue[head] = nil
        head += 1
        condition.broadcast()
        return item
    }

    /// Ends the thread and waits for it; items not taken are dropped.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        queue.removeAll()
        head = 0
        condition.unlock()
    }
}
