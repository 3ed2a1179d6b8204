import CMosquitto
import Foundation
import Planner

/// Where an MQTT broker is and who the job is to it. `url` is `mqtt://host[:port]` (or
/// `host[:port]`; port 1883), or `mqtts://host[:port]` for TLS (port 8883).
struct MQTTEndpoint: Hashable, Sendable, Encodable {
    /// TLS settings of an `mqtts://` broker: the broker's certificate is checked against `caFile`
    /// (or the system's certificates), with an optional client certificate for mutual TLS.
    struct TLS: Hashable, Sendable, Encodable {
        var caFile: String?
        var certFile: String?
        var keyFile: String?
    }

    var host: String
    var port: Int32
    var tls: TLS?
    /// The protocol: 4 (MQTT 3.1.1) or 5.
    var version: Int32
    var clientId: String
    /// False: a persistent session, so the broker keeps QoS 1 messages for a stopped job.
    var cleanSession: Bool
    var username: String?
    var password: String?

    private enum CodingKeys: String, CodingKey { case host, port, clientId, cleanSession, version }

    /// Parses `url`; nil when it is not `[mqtt[s]://]host[:port]`.
    static func parse(url: String) -> (host: String, port: Int32, tls: Bool)? {
        var rest = Substring(url)
        var tls = false
        if let scheme = rest.range(of: "://") {
            switch rest[..<scheme.lowerBound].lowercased() {
            case "mqtt": break
            case "mqtts": tls = true
            default: return nil
            }
            rest = rest[scheme.upperBound...]
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/") else { return nil }
        guard let colon = rest.lastIndex(of: ":") else { return (String(rest), tls ? 8883 : 1883, tls) }
        guard let port = Int32(rest[rest.index(after: colon)...]), (1...65535).contains(port), colon != rest.startIndex else { return nil }
        return (String(rest[..<colon]), port, tls)
    }

    var name: String { "mqtt \(host):\(port)" }
}

/// One libmosquitto client, driven from the run loop (``pump(timeoutMs:)``), never from a thread of
/// its own: messages and acknowledgements arrive only while the loop pumps it.
///
/// A lost connection is reconnected by ``pump(timeoutMs:)`` with capped backoff; libmosquitto resends
/// unacknowledged QoS 1 publications after a reconnect, and a persistent session makes the broker
/// keep subscribed QoS 1 messages while the job is away.
final class MQTTClient {
    struct Message {
        var topic: String
        var payload: [UInt8]
        var qos: Int32
        var retain: Bool
        var mid: Int32
    }

    let endpoint: MQTTEndpoint
    private let handle: OpaquePointer
    private let context: RuntimeContext
    /// Topic filters to (re)subscribe to on each connection, with their QoS.
    private var subscriptions: [(filter: String, qos: Int32)] = []
    /// Messages received and not yet taken.
    var received: [Message] = []
    /// A QoS 1 publication kept until the broker acknowledges it, so it can be sent again.
    struct Publication {
        var topic: String
        var payload: [UInt8]
        var retain: Bool
    }

    /// Publications sent and not yet acknowledged (QoS 1), by message id.
    private(set) var unacknowledged: [Int32: Publication] = [:]
    private(set) var connected = false
    private var retryAt: Int64 = 0
    private var backoff = 0.1
    private var lastError: String?

    private static let initialized: Void = { mosquitto_lib_init() }()

    /// Connects (blocking, retried with backoff until it succeeds or the job stops).
    init(endpoint: MQTTEndpoint, context: RuntimeContext) throws {
        _ = Self.initialized
        guard let h = mosquitto_new(endpoint.clientId, endpoint.cleanSession, nil) else {
            throw ConnectorError("\(endpoint.name): cannot create a client: \(String(cString: strerror(errno)))")
        }
        // From here on a thrown error still runs deinit (every stored property is set), which
        // destroys the handle: the error paths below must not.
        handle = h
        self.endpoint = endpoint
        self.context = context
        mosquitto_user_data_set(h, Unmanaged.passUnretained(self).toOpaque())
        if let user = endpoint.username { mosquitto_username_pw_set(h, user, endpoint.password) }
        mosquitto_int_option(h, MOSQ_OPT_PROTOCOL_VERSION, endpoint.version)
        // More than libmosquitto's 20 messages in flight: acknowledgements then keep up with a stream.
        mosquitto_max_inflight_messages_set(h, 200)
        if let tls = endpoint.tls {
            let rc = mosquitto_tls_set(h, tls.caFile, tls.caFile == nil ? "/etc/ssl/certs" : nil, tls.certFile, tls.keyFile, nil)
            guard rc == MOSQ_ERR_SUCCESS.rawValue else {
                throw ConnectorError("\(endpoint.name): cannot use the TLS files: \(Self.describe(rc))")
            }
        }
        mosquitto_connect_callback_set(h) { _, object, rc in
            guard let object else { return }
            Unmanaged<MQTTClient>.fromOpaque(object).takeUnretainedValue().onConnect(rc)
        }
        mosquitto_disconnect_callback_set(h) { _, object, _ in
            guard let object else { return }
            Unmanaged<MQTTClient>.fromOpaque(object).takeUnretainedValue().connected = false
        }
        mosquitto_message_callback_set(h) { _, object, message in
            guard let object, let m = message?.pointee else { return }
            let topic = m.topic.map { String(cString: $0) } ?? ""
            let payload = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(m.payloadlen))) } ?? []
            Unmanaged<MQTTClient>.fromOpaque(object).takeUnretainedValue().received.append(
                Message(topic: topic, payload: payload, qos: m.qos, retain: m.retain, mid: m.mid))
        }
        mosquitto_publish_callback_set(h) { _, object, mid in
            guard let object else { return }
            Unmanaged<MQTTClient>.fromOpaque(object).takeUnretainedValue().unacknowledged[mid] = nil
        }
        while true {
            let rc = mosquitto_connect(h, endpoint.host, endpoint.port, 30)
            if rc == MOSQ_ERR_SUCCESS.rawValue { break }
            let message = "\(endpoint.name): cannot connect: \(Self.describe(rc))"
            // A bad address or a certificate that does not verify will not get better by waiting.
            if rc == MOSQ_ERR_TLS.rawValue { throw ConnectorError(message + Self.tlsHint) }
            if rc == MOSQ_ERR_INVAL.rawValue || context.isStopping() { throw ConnectorError(message) }
            context.counters.outputRetries += 1
            context.onRowError?("\(message) (retrying in \(backoff) s)")
            context.retryPause(seconds: backoff)
            backoff = min(backoff * 2, 30)
        }
        // The CONNACK: a refusal (bad credentials, a client id in use) is an error, not a retry.
        let deadline = context.clock.now + 30 * Timestamp.ticksPerSecond
        while !connected {
            if let lastError {
                throw ConnectorError("\(endpoint.name): the broker refused the connection: \(lastError)")
            }
            let rc = mosquitto_loop(h, 100, 1)
            if rc == MOSQ_ERR_TLS.rawValue {
                throw ConnectorError("\(endpoint.name): cannot connect: \(Self.describe(rc))" + Self.tlsHint)
            }
            if rc != MOSQ_ERR_SUCCESS.rawValue || context.clock.now > deadline || context.isStopping() {
                throw ConnectorError("\(endpoint.name): no answer to the connection: \(Self.describe(rc))")
            }
        }
        backoff = 0.1
    }

    deinit {
        mosquitto_disconnect(handle)
        mosquitto_destroy(handle)
    }

    private func onConnect(_ rc: Int32) {
        guard rc == 0 else {
            lastError = String(cString: mosquitto_connack_string(rc))
            return
        }
        connected = true
        lastError = nil
        for s in subscriptions { mosquitto_subscribe(handle, nil, s.filter, s.qos) }
    }

    /// Subscribes now and after every reconnection.
    func subscribe(_ filter: String, qos: Int32) throws {
        subscriptions.append((filter, qos))
        let rc = mosquitto_subscribe(handle, nil, filter, qos)
        guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw ConnectorError("\(endpoint.name): cannot subscribe to '\(filter)': \(Self.describe(rc))") }
    }

    /// Queues a publication; with QoS 1 it stays unacknowledged until the broker's PUBACK.
    func publish(topic: String, payload: [UInt8], qos: Int32, retain: Bool) throws {
        var mid: Int32 = 0
        let rc = payload.withUnsafeBytes { mosquitto_publish(handle, &mid, topic, Int32($0.count), $0.baseAddress, qos, retain) }
        switch rc {
        case MOSQ_ERR_SUCCESS.rawValue, MOSQ_ERR_NO_CONN.rawValue, MOSQ_ERR_CONN_LOST.rawValue:
            // Without a connection libmosquitto keeps QoS 1 messages and sends them after reconnecting.
            if qos > 0 { unacknowledged[mid] = Publication(topic: topic, payload: payload, retain: retain) }
        default:
            throw ConnectorError("\(endpoint.name): cannot publish to '\(topic)': \(Self.describe(rc))")
        }
    }

    /// Publishes every unacknowledged message again under a new id; returns how many. For a
    /// connection on which acknowledgements stopped coming: libmosquitto normally resends after a
    /// reconnection, and this is the fallback that keeps a flush from waiting forever (at least once:
    /// the broker may see a message twice).
    func resendUnacknowledged() throws -> Int {
        let stalled = unacknowledged
        unacknowledged = [:]
        for (_, p) in stalled.sorted(by: { $0.key < $1.key }) { try publish(topic: p.topic, payload: p.payload, qos: 1, retain: p.retain) }
        return stalled.count
    }

    /// Sends and receives what is due, waiting up to `timeoutMs` for traffic; reconnects a lost
    /// connection when its backoff has passed.
    func pump(timeoutMs: Int32) {
        if connected || retryAt == 0 {
            var rc = mosquitto_loop(handle, timeoutMs, 1)
            // Acknowledgements queued while reading go out now, not at the next loop: the broker
            // sends a client only so many unacknowledged messages at a time.
            if rc == MOSQ_ERR_SUCCESS.rawValue && mosquitto_want_write(handle) { rc = mosquitto_loop_write(handle, 1) }
            if rc == MOSQ_ERR_SUCCESS.rawValue { return }
            connected = false
            retryAt = context.clock.now
            report("connection lost: \(Self.describe(rc))")
        }
        guard context.clock.now >= retryAt else {
            context.retryPause(seconds: min(Double(timeoutMs) / 1000, Double(retryAt - context.clock.now) / Double(Timestamp.ticksPerSecond)))
            return
        }
        let rc = mosquitto_reconnect(handle)
        if rc == MOSQ_ERR_SUCCESS.rawValue {
            retryAt = 0
            backoff = 0.1
            _ = mosquitto_loop(handle, timeoutMs, 1)
        } else {
            context.counters.outputRetries += 1
            report("cannot reconnect: \(Self.describe(rc)) (retrying in \(backoff) s)")
            retryAt = context.clock.now + Int64(backoff * Double(Timestamp.ticksPerSecond))
            backoff = min(backoff * 2, 30)
        }
    }

    private func report(_ line: String) { context.onRowError?("\(endpoint.name): \(line)") }

    /// The handshake fails in connect or in the first loop, depending on timing: both say this.
    private static let tlsHint = " (the broker's certificate did not verify: set tls.ca_file to the certificate of the CA that signed it)"

    static func describe(_ rc: Int32) -> String {
        rc == MOSQ_ERR_ERRNO.rawValue ? String(cString: strerror(errno)) : String(cString: mosquitto_strerror(rc))
    }
}
