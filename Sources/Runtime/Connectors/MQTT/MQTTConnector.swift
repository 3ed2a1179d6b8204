import Planner

/// `connector = 'mqtt'`: an MQTT 3.1.1 broker (Mosquitto, EMQX, HiveMQ, ...) through libmosquitto.
/// Inputs subscribe to a topic filter (`telemetry/#`), one message per event; outputs publish one
/// message per row to a topic that may name columns (`devices/{DeviceId}/commands`). QoS 1 by
/// default. `password` is usually `'${MQTT_PASSWORD}'` and never appears in EXPLAIN or messages.
package struct MQTTConnector: Connector {
    package init() {}
    package var name: String { "mqtt" }

    package func options(for kind: EndpointKind) -> [OptionSpec]? {
        let common = [
            OptionSpec("url", "the broker, mqtt://host[:port] (port 1883), or mqtts://host[:port] for TLS (port 8883)"),
            OptionSpec("version", .choice(["3.1.1", "5"]), default: "3.1.1", "the MQTT protocol version"),
            OptionSpec("tls.ca_file", .path, "the CA certificate the broker's is checked against (default: the system's)"),
            OptionSpec("tls.cert_file", .path, "a client certificate, for mutual TLS"),
            OptionSpec("tls.key_file", .path, "the client certificate's key"),
            OptionSpec("format", .choice(["json", "csv"]), default: "json", "the messages' payload format"),
            OptionSpec("qos", .choice(["0", "1"]), default: "1", "0: at most once; 1: acknowledged by the broker"),
            OptionSpec("client_id", default: "saql-NAME", "the MQTT client id"),
            OptionSpec("username", "the user name, when the broker asks for one"),
            OptionSpec("password", "the password (use '${NAME}' to keep it out of the file)"),
        ]
        switch kind {
        case .referenceInput: return nil
        case .input:
            return common + [OptionSpec("topic", "the topic filter subscribed to (+ and # wildcards)"),
                             OptionSpec("clean_session", .choice(["true", "false"]), default: "false",
                                        "false: a persistent session, so the broker keeps QoS 1 messages while the job is stopped")]
        case .output:
            return common + [OptionSpec("topic", "the topic published to; {Column} is replaced by the row's value"),
                             OptionSpec("retain", .choice(["true", "false"]), default: "false", "publish retained messages (the latest per topic)")]
        }
    }

    package func unsupported(_ kind: EndpointKind) -> String { "the mqtt connector reads streams, not reference data" }

    private func endpoint(_ options: inout EndpointOptions, cleanSession: Bool) -> (MQTTEndpoint, Int32, DataFormat)? {
        guard let url = options.required("url", connector: name), options.required("topic", connector: name) != nil,
              let format = options.format() else { return nil }
        guard let (host, port, tls) = MQTTEndpoint.parse(url: url) else {
            options.error("SAQL3040", "'\(url)' is not an MQTT broker address", at: "url",
                          helps: [.init("write url = 'mqtt://host:1883', or 'mqtts://host:8883' for TLS")])
            return nil
        }
        guard let version = options.choice("version", code: "SAQL3044", message: { "MQTT version '\($0)' is not 3.1.1 or 5" }) else { return nil }
        guard let qos = options.choice("qos", code: "SAQL3041", message: { "qos '\($0)' is not 0 or 1" },
                                       help: "MQTT QoS 2 is not supported: use 1 (at least once)").flatMap({ Int32($0) }) else { return nil }
        let files = MQTTEndpoint.TLS(caFile: options["tls.ca_file"]?.value, certFile: options["tls.cert_file"]?.value,
                                     keyFile: options["tls.key_file"]?.value)
        return (MQTTEndpoint(host: host, port: port, tls: tls ? files : nil, version: version == "5" ? 5 : 4, clientId: options["client_id"]?.value ?? "saql-\(options.name)", cleanSession: cleanSession,
                             username: options["username"]?.value, password: options["password"]?.value), qos, format)
    }

    package func bindInput(_ options: inout EndpointOptions) -> (any InputEndpoint)? {
        let clean = options.choice("clean_session", code: "SAQL3042", message: { "clean_session '\($0)' is not true or false" })
        guard let clean, let (endpoint, qos, format) = endpoint(&options, cleanSession: clean == "true"),
              let topic = options["topic"]?.value else { return nil }
        return MQTTInputOptions(endpoint: endpoint, topic: topic, qos: qos, format: format)
    }

    package func bindOutput(_ options: inout EndpointOptions) -> (any OutputEndpoint)? {
        let retain = options.choice("retain", code: "SAQL3042", message: { "retain '\($0)' is not true or false" })
        guard let retain, let (endpoint, qos, format) = endpoint(&options, cleanSession: true),
              let topic = options["topic"]?.value else { return nil }
        guard let parts = MQTTOutputOptions.TopicPart.parse(topic) else {
            options.error("SAQL3043", "topic '\(topic)' has an unclosed or empty '{'", at: "topic",
                          helps: [.init("name a column in braces: topic = 'devices/{DeviceId}/commands'")])
            return nil
        }
        return MQTTOutputOptions(endpoint: endpoint, topic: parts, qos: qos, retain: retain == "true", format: format)
    }
}

/// Where an MQTT input subscribes.
package struct MQTTInputOptions: StreamSourceEndpoint {
    var endpoint: MQTTEndpoint
    var topic: String
    var qos: Int32
    package var format: DataFormat

    package var connector: String { "mqtt" }
    package var explainFields: String {
        "broker=\(endpoint.host):\(endpoint.port)\(endpoint.tls != nil ? " (tls)" : ""), topic=\(topic), qos=\(qos), client_id=\(endpoint.clientId), format=\(format.rawValue)"
            + (endpoint.cleanSession ? ", clean_session" : "")
    }

    /// `[MQTT].[Topic]`, `[QoS]`, `[Retain]`, `[MessageId]`, and the receive time as `EventEnqueuedUtcTime`.
    package func provides(_ property: MetadataProperty) -> Bool {
        switch property {
        case .topic, .qos, .retain, .messageId, .enqueuedTime, .processedTime, .group(.mqtt): true
        default: false
        }
    }

    package func makeSource(_ c: SourceContext) throws -> any EventSource {
        try MQTTSource(input: c.input, options: self, layout: c.layout, compatibility: c.compatibility, context: c.runtime)
    }
}

/// Where an MQTT output publishes.
package struct MQTTOutputOptions: SinkEndpoint {
    /// A piece of the topic: literal text, or a column whose value is put there.
    struct TopicPart: Hashable, Sendable, Encodable {
        var text: String
        var isColumn: Bool

        /// `a/{B}/c` → "a/", column B, "/c"; nil when a brace is unclosed or empty.
        static func parse(_ topic: String) -> [TopicPart]? {
            var parts: [TopicPart] = []
            var rest = Substring(topic)
            while let open = rest.firstIndex(of: "{") {
                guard let close = rest[open...].firstIndex(of: "}"), rest.index(after: open) < close else { return nil }
                if open > rest.startIndex { parts.append(TopicPart(text: String(rest[..<open]), isColumn: false)) }
                parts.append(TopicPart(text: String(rest[rest.index(after: open)..<close]), isColumn: true))
                rest = rest[rest.index(after: close)...]
            }
            if rest.contains("}") { return nil }
            if !rest.isEmpty { parts.append(TopicPart(text: String(rest), isColumn: false)) }
            return parts
        }
    }

    var endpoint: MQTTEndpoint
    var topic: [TopicPart]
    var qos: Int32
    var retain: Bool
    var format: DataFormat

    package var connector: String { "mqtt" }
    package var explainFields: String {
        "broker=\(endpoint.host):\(endpoint.port)\(endpoint.tls != nil ? " (tls)" : ""), topic=\(topic.map { $0.isColumn ? "{\($0.text)}" : $0.text }.joined()), qos=\(qos), format=\(format.rawValue)"
            + (retain ? ", retain" : "")
    }

    package func makeWriter(_ c: SinkContext) throws -> any RowWriter {
        try MQTTWriter(output: c.output, options: self, context: c.runtime)
    }
}
