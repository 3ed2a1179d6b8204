import Planner

/// Gathers rows into JSON arrays and POSTs each full batch, following ASA's Azure Functions output:
/// - a batch is sent when one more row would pass the row or byte limit, and at each flush (about
///   once a second on a live run, and before every checkpoint), so a row waits at most a second;
/// - 2xx: delivered;
/// - 413: the batch is split in two and each half sent, and later batches keep to the smaller
///   count; a single row answered 413 cannot be delivered;
/// - 408, 429, 5xx, or no answer: sent again with capped backoff (policy `retry`), or dropped and
///   counted (policy `drop`);
/// - any other status, or a certificate that does not verify: no retry can fix it, so the job stops
///   (`retry`) or the rows are dropped and counted (`drop`).
///
/// Dropped rows are dead-lettered. Delivery is at least once: a batch sent again after a timeout may
/// arrive twice.
final class HTTPWriter: RowWriter {
    private let client: HTTPClient
    private let options: HTTPOutputOptions
    private let policy: OutputErrorPolicy
    private let output: String
    private let context: RuntimeContext
    /// The rows of the batch being filled, each as JSON.
    private var rows: [[UInt8]] = []
    /// The body's size: brackets, rows and commas.
    private var bodySize = 2
    /// `max_batch_count`, lowered after a 413.
    private var batchCount: Int
    private var row: [UInt8] = []

    init(output: String, options: HTTPOutputOptions, policy: OutputErrorPolicy, context: RuntimeContext) throws {
        self.output = output
        self.options = options
        self.policy = policy
        self.context = context
        batchCount = options.maxBatchCount
        client = try HTTPClient(url: options.url, headers: options.headers.map { ($0.name, $0.value) },
                                timeoutSeconds: options.timeoutSeconds, caFile: options.caFile)
    }

    func write(_ r: RowRef, shape: RowShape) throws {
        row.removeAll(keepingCapacity: true)
        shape.appendJSON(r, to: &row)
        let added = row.count + (rows.isEmpty ? 0 : 1)
        if !rows.isEmpty && (rows.count >= batchCount || bodySize + added > options.maxBatchSize) { try flush() }
        bodySize += row.count + (rows.isEmpty ? 0 : 1)
        rows.append(row)
    }

    func flush() throws {
        guard !rows.isEmpty else { return }
        let batch = rows
        rows = []
        bodySize = 2
        try send(batch[...])
    }

    func close() throws { try flush() }

    private static func body(_ batch: ArraySlice<[UInt8]>) -> [UInt8] {
        var body: [UInt8] = [0x5B]
        body.reserveCapacity(batch.reduce(2) { $0 + $1.count + 1 })
        for (i, r) in batch.enumerated() {
            if i > 0 { body.append(0x2C) }
            body += r
        }
        body.append(0x5D)
        return body
    }

    private func send(_ batch: ArraySlice<[UInt8]>) throws {
        // After a 413 lowered the count, a batch gathered under the old one goes out in pieces.
        if batch.count > batchCount {
            var start = batch.startIndex
            while start < batch.endIndex {
                let end = min(start + batchCount, batch.endIndex)
                try send(batch[start..<end])
                start = end
            }
            return
        }
        var backoff = 0.1
        while true {
            let failure: String
            switch Result(catching: { () throws(HTTPClient.TransportError) in try client.post(Self.body(batch)) }) {
            case .failure(let error) where error.permanent:
                try refused(batch, error.message)
                return
            case .failure(let error):
                failure = error.message
            case .success(let response):
                switch response.status {
                case 200..<300:
                    return
                case 413 where batch.count > 1:
                    let half = batch.count / 2
                    if half < batchCount {
                        batchCount = half
                        context.onRowError?("http output '\(output)': \(client.name) answered 413 (request entity too large); batches now hold at most \(half) rows")
                    }
                    try send(batch)
                    return
                case 408, 429, 500..<600:
                    failure = "\(client.name) answered \(response.status)\(Self.excerpt(response.body))"
                default:
                    try refused(batch, "\(client.name) answered \(response.status)\(Self.excerpt(response.body))")
                    return
                }
            }
            guard policy == .retry else {
                dropped(batch, failure)
                return
            }
            if context.isStopping() {
                throw ConnectorError("http output '\(output)': \(failure); stopped while retrying: \(batch.count) row(s) not delivered")
            }
            context.counters.outputRetries += 1
            context.onRowError?("http output '\(output)': \(failure) (retrying \(batch.count) row(s) in \(backoff) s)")
            context.retryPause(seconds: backoff)
            backoff = min(backoff * 2, 30)
        }
    }

    /// An answer no retry changes: the rows are dropped under `drop`; under `retry` the job stops
    /// rather than go on without them.
    private func refused(_ batch: ArraySlice<[UInt8]>, _ message: String) throws {
        guard policy == .drop else {
            throw ConnectorError("http output '\(output)': \(message); \(batch.count) row(s) not delivered "
                + "(no retry changes this answer: fix the endpoint, or SET output_error_policy = 'drop' to count and dead-letter such rows)")
        }
        dropped(batch, message)
    }

    private func dropped(_ batch: ArraySlice<[UInt8]>, _ message: String) {
        context.counters.outputErrors += batch.count
        context.onRowError?("http output '\(output)': \(batch.count) row(s) dropped: \(message)")
        for r in batch {
            context.deadLetter?(DeadLetter(reason: .outputError, input: output, detail: message,
                                           event: Record(names: ["raw"], values: [.string(String(decoding: r.prefix(4096), as: UTF8.self))]),
                                           arrivalTime: nil, watermark: nil, originalTime: nil, adjustedTime: nil, position: client.name))
        }
    }

    /// `: <the answer's first line>`, when it has one.
    private static func excerpt(_ body: String) -> String {
        let line = body.split(whereSeparator: \.isNewline).first.map { String($0.prefix(200)) } ?? ""
        return line.isEmpty ? "" : ": \(line)"
    }
}
