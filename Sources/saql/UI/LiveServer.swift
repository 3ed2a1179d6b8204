import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The live job page's server (`saql run --ui [HOST:]PORT`): the page and its script, the plan,
/// a Server-Sent Events stream of updates, and the Prometheus metrics, on one swift-nio server.
///
/// Bound to a loopback address it answers anyone on the machine; bound elsewhere it requires the
/// token on every request, else 401: `Authorization: Bearer TOKEN`, or `?token=TOKEN`, which
/// also sets a cookie that the page's own requests (script, plan, event stream) then carry.
final class LiveServer: @unchecked Sendable {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: Channel?
    private let routes: Routes
    /// Open event streams.
    private let streams = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])

    /// What the server answers with: the plan (fixed for the run), the feed's history, the metrics.
    struct Routes: Sendable {
        var plan: String
        var history: @Sendable () -> String
        var metrics: @Sendable () -> [UInt8]
        var token: String?
    }

    init(routes: Routes) { self.routes = routes }

    /// True for addresses only this machine reaches.
    static func isLoopback(_ host: String) -> Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }

    func start(host: String, port: Int) throws {
        let routes = self.routes
        let streams = self.streams
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(LiveHandler(routes: routes, streams: streams))
                }
            }
        channel = try bootstrap.bind(host: host, port: port).wait()
    }

    var port: Int? { channel?.localAddress?.port }

    /// Sends one message to every open event stream.
    func publish(_ message: String) {
        let open = streams.withLockedValue { Array($0.values) }
        for c in open {
            var buffer = c.allocator.buffer(capacity: message.utf8.count + 8)
            buffer.writeString("data: ")
            buffer.writeString(message)
            buffer.writeString("\n\n")
            c.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        }
    }

    func stop() {
        for c in streams.withLockedValue({ Array($0.values) }) { try? c.close().wait() }
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// Answers one connection's requests.
private final class LiveHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: LiveServer.Routes
    private let streams: NIOLockedValueBox<[ObjectIdentifier: Channel]>
    private var request: HTTPRequestHead?

    init(routes: LiveServer.Routes, streams: NIOLockedValueBox<[ObjectIdentifier: Channel]>) {
        self.routes = routes
        self.streams = streams
    }

    func channelInactive(context: ChannelHandlerContext) {
        let id = ObjectIdentifier(context.channel)
        _ = streams.withLockedValue { $0.removeValue(forKey: id) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            guard let head = request else { return }
            respond(context, head)
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        let parts = head.uri.split(separator: "?", maxSplits: 1)
        let path = parts.first.map(String.init) ?? "/"
        let query = parts.count > 1 ? String(parts[1]) : ""
        // The page's own requests (its script, styles, plan and stream) carry the token in a cookie
        // set when the page was opened with ?token=.
        var cookie: String?
        if let token = routes.token {
            let fromQuery = query.split(separator: "&").first { $0.hasPrefix("token=") }.map { String($0.dropFirst(6)).removingPercentEncoding ?? "" }
            let fromHeader = head.headers["Authorization"].first.map { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : $0 }
            let fromCookie = head.headers["Cookie"].lazy.flatMap { $0.split(separator: ";") }
                .map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix("saql_ui_token=") }
                .map { String($0.dropFirst(14)).removingPercentEncoding ?? "" }
            guard [fromQuery, fromHeader, fromCookie].contains(where: { $0 == token }) else {
                send(context, .unauthorized, "text/plain", Array("401: this saql page needs its token (?token=... or Authorization: Bearer ...)\n".utf8))
                return
            }
            if fromQuery == token {
                cookie = "saql_ui_token=\(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""); Path=/; HttpOnly; SameSite=Strict"
            }
        }
        switch path {
        case "/", "/index.html": send(context, .ok, "text/html; charset=utf-8", Array(LivePage.html.utf8), cookie: cookie)
        case "/app.js": send(context, .ok, "text/javascript; charset=utf-8", Array(LivePage.script.utf8))
        case "/app.css": send(context, .ok, "text/css; charset=utf-8", Array(LivePage.style.utf8))
        case "/api/plan": send(context, .ok, "application/json", Array(routes.plan.utf8))
        case "/api/history": send(context, .ok, "application/json", Array(routes.history().utf8))
        case "/metrics": send(context, .ok, "text/plain; version=0.0.4", routes.metrics())
        case "/api/events":
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/event-stream")
            headers.add(name: "Cache-Control", value: "no-cache")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            var buffer = context.channel.allocator.buffer(capacity: 16)
            buffer.writeString("retry: 1000\n\n")
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            let channel = context.channel
            streams.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
        default: send(context, .notFound, "text/plain", Array("not found\n".utf8))
        }
    }

    private func send(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ type: String, _ body: [UInt8], cookie: String? = nil) {
        var headers = HTTPHeaders()
        if let cookie { headers.add(name: "Set-Cookie", value: cookie) }
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
