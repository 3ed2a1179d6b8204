import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import SAQL
import Planner
import Runtime
import SAQLParser

/// Serves Prometheus text on `GET /metrics` while a job runs (`saql run --metrics-port N`).
///
/// The pipeline thread pushes a status snapshot about once a second (``update(_:)``); the HTTP
/// server answers from the Prometheus registry on its own event loop, so a scrape never touches
/// the pipeline's state.
final class MetricsServer: @unchecked Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: Channel?
    /// Counter values already exported, by metric key (counters only go up; we add the difference).
    private var exported: [String: Int] = [:]
    private var counters: [String: Counter] = [:]
    private var gauges: [String: Gauge] = [:]

    /// Binds 127.0.0.1-or-any `host` on `port` (0 picks a free port; see ``port``).
    func start(host: String, port: Int) throws {
        let registry = self.registry
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(MetricsHandler(registry: registry))
                }
            }
        channel = try bootstrap.bind(host: host, port: port).wait()
    }

    var port: Int? { channel?.localAddress?.port }

    /// The registry's Prometheus text (the live page's server serves it too).
    func text() -> [UInt8] { registry.emitToBuffer() }

    func stop() {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// Mirrors a status snapshot into the registry.
    func update(_ status: PipelineStatus) {
        let c = status.counters
        for (input, n) in c.inputEvents { count(.inputEvents, [("input", input)], n) }
        for (output, n) in c.outputRows { count(.outputEvents, [("output", output)], n) }
        count(.adjusted, [("reason", "late")], c.lateAdjusted)
        count(.adjusted, [("reason", "out_of_order")], c.outOfOrderAdjusted)
        for (reason, n) in [("late", c.lateDropped), ("out_of_order", c.outOfOrderDropped), ("early", c.earlyDropped),
                            ("invalid_timestamp", c.invalidTimestamps), ("malformed", c.malformedEvents)] {
            count(.dropped, [("reason", reason)], n)
        }
        count(.evaluationErrors, [], c.evaluationErrors)
        count(.outputErrors, [], c.outputErrors)
        count(.outputRetries, [], c.outputRetries)
        let now = Timestamp.now.ticks
        for (input, w) in status.watermarks {
            gauge(.watermarkDelay, [("input", input)], Double(now - w) / Double(Timestamp.ticksPerSecond))
        }
        for (input, partition, lag) in status.lags { gauge(.consumerLag, [("input", input), ("partition", String(partition))], Double(lag)) }
        gauge(.heldRows, [], Double(status.heldRows))
    }

    /// The exported metrics: `saql_<name>_<unit>`.
    enum Metric: String {
        case inputEvents = "input_events", outputEvents = "output_events", adjusted = "events_adjusted", dropped = "events_dropped"
        case evaluationErrors = "evaluation_errors", outputErrors = "output_errors", outputRetries = "output_retries"
        case watermarkDelay = "watermark_delay", consumerLag = "consumer_lag", heldRows = "held_rows"

        var descriptor: MetricNameDescriptor {
            let (unit, help): (String, String) = switch self {
            case .inputEvents: ("total", "Events read, per input")
            case .outputEvents: ("total", "Rows written, per output")
            case .adjusted: ("total", "Events whose timestamp was adjusted, by reason")
            case .dropped: ("total", "Events dropped, by reason")
            case .evaluationErrors: ("total", "Rows skipped because an expression failed")
            case .outputErrors: ("total", "Output records dropped because they could not be delivered")
            case .outputRetries: ("total", "Output records sent again after a failed delivery")
            case .watermarkDelay: ("seconds", "Wall-clock time minus the input's watermark")
            case .consumerLag: ("records", "Records behind the end of each Kafka partition")
            case .heldRows: ("rows", "Rows held by operators (join sides, reorder buffers)")
            }
            return MetricNameDescriptor(namespace: "saql", metricName: rawValue, unitName: unit, helpText: help)
        }
    }

    private func key(_ metric: Metric, _ labels: [(String, String)]) -> String {
        metric.rawValue + labels.map { "|\($0.0)=\($0.1)" }.joined()
    }

    private func count(_ metric: Metric, _ labels: [(String, String)], _ value: Int) {
        let k = key(metric, labels)
        let counter = counters[k] ?? registry.makeCounter(descriptor: metric.descriptor, labels: labels)
        counters[k] = counter
        let delta = value - exported[k, default: 0]
        if delta > 0 { counter.increment(by: Int64(delta)) }
        exported[k] = value
    }

    private func gauge(_ metric: Metric, _ labels: [(String, String)], _ value: Double) {
        let k = key(metric, labels)
        let g = gauges[k] ?? registry.makeGauge(descriptor: metric.descriptor, labels: labels)
        gauges[k] = g
        g.set(value)
    }
}

/// Answers `GET /metrics` with the registry's text; anything else is 404.
private final class MetricsHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private var path = ""

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request): path = request.uri
        case .body: break
        case .end:
            let found = path == "/metrics" || path.hasPrefix("/metrics?")
            let body = found ? registry.emitToBuffer() : Array("not found; try /metrics\n".utf8)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4" : "text/plain")
            headers.add(name: "Content-Length", value: String(body.count))
            headers.add(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: found ? .ok : .notFound, headers: headers))),
                          promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
