import Planner

/// `connector = 'kafka'`: topics of Apache Kafka, Redpanda or Event Hubs' Kafka endpoint, through
/// librdkafka. Inputs read in a consumer group (per-partition time, offsets committed after the
/// outputs are flushed, optional partition state in a `state_topic`); outputs produce keyed,
/// timestamped records, optionally in transactions with the inputs' offsets.
package struct KafkaConnector: Connector {
    package init() {}
    package var name: String { "kafka" }
    /// `properties.<key>` passes through to librdkafka.
    package var optionPrefixes: [String] { ["properties."] }

    package func options(for kind: EndpointKind) -> [OptionSpec]? {
        let common = [OptionSpec("brokers", "bootstrap servers, host:port[,host:port]"), OptionSpec("topic", "the topic"),
                      OptionSpec("format", .choice(["json", "csv"]), default: "json", "the records' payload format")]
        switch kind {
        case .referenceInput: return nil
        case .input:
            return common + [OptionSpec("group_id", default: "saql-NAME", "the consumer group"),
                             OptionSpec("start", .choice(["committed", "earliest", "latest"]), default: "committed",
                                        "where a group without committed offsets starts"),
                             OptionSpec("stop", .choice(["end", "never"]), default: "never", "'end': read each partition to its end, then finish"),
                             OptionSpec("state_topic", "keep each partition's state in this topic, so it moves with the partition")]
        case .output:
            return common + [OptionSpec("key", "the column whose text keys each record"),
                             OptionSpec("transactional_id", "write in transactions that also commit the Kafka inputs' offsets")]
        }
    }

    package func unsupported(_ kind: EndpointKind) -> String { "the kafka connector reads streams, not reference data" }

    package func bindInput(_ options: inout EndpointOptions) -> (any InputEndpoint)? {
        guard let brokers = options.required("brokers", connector: name), let topic = options.required("topic", connector: name),
              let format = options.format() else { return nil }
        guard let startText = options.choice("start", code: "SAQL3024",
                                             message: { "start '\($0)' is not one of 'committed', 'earliest', 'latest'" }),
              let start = KafkaInputOptions.Start(rawValue: startText) else { return nil }
        guard let stop = options.choice("stop", code: "SAQL3025", message: { "stop '\($0)' is not supported" },
                                        help: "stop = 'end' reads each partition to its end, then ends the input; 'never' (the default) runs until stopped")
        else { return nil }
        return KafkaInputOptions(brokers: brokers, topic: topic, groupId: options["group_id"]?.value ?? "saql-\(options.name)",
                                 format: format, start: start, stopAtEnd: stop == "end", properties: options.prefixed("properties."),
                                 stateTopic: options["state_topic"]?.value)
    }

    package func bindOutput(_ options: inout EndpointOptions) -> (any OutputEndpoint)? {
        guard let brokers = options.required("brokers", connector: name), let topic = options.required("topic", connector: name),
              let format = options.format() else { return nil }
        let transactionalId = options["transactional_id"]
        if let t = transactionalId {
            // One producer carries every transactional output and the input offsets.
            for other in options.declaredOutputs {
                guard let o = other.endpoint as? KafkaOutputOptions, let id = o.transactionalId else { continue }
                if id != t.value || o.brokers != brokers {
                    options.error("SAQL3031", "transactional Kafka outputs must share one transactional_id and brokers", at: "transactional_id",
                                  notes: [.init("'\(other.name)' uses '\(id)' on '\(o.brokers)'", at: other.range)],
                                  helps: [.init("one transaction covers every output and the input offsets: give all the same transactional_id")])
                }
            }
        }
        return KafkaOutputOptions(brokers: brokers, topic: topic, key: options["key"]?.value, format: format,
                                  properties: options.prefixed("properties."), transactionalId: transactionalId?.value)
    }
}

/// Where a Kafka input reads from and how.
package struct KafkaInputOptions: StreamSourceEndpoint {
    package enum Start: String, Hashable, Sendable, Encodable {
        /// Resume from the group's committed offsets; from the earliest record without any.
        case committed
        /// From the earliest record when the group has no committed offset.
        case earliest
        /// From the end when the group has no committed offset.
        case latest
    }

    package var brokers: String
    package var topic: String
    package var groupId: String
    package var format: DataFormat
    package var start: Start
    /// `stop = 'end'`: read each partition to the end it has when reached, then end the input.
    package var stopAtEnd: Bool
    /// `properties.<key>`: passed to librdkafka unchanged (security settings and tuning).
    package var properties: [String: String]
    /// `state_topic`: run each partition on its own and keep its state in this topic, so that state
    /// moves with the partition when the consumer group rebalances.
    package var stateTopic: String?

    package init(brokers: String, topic: String, groupId: String, format: DataFormat, start: Start, stopAtEnd: Bool,
                properties: [String: String], stateTopic: String? = nil) {
        self.brokers = brokers
        self.topic = topic
        self.groupId = groupId
        self.format = format
        self.start = start
        self.stopAtEnd = stopAtEnd
        self.properties = properties
        self.stateTopic = stateTopic
    }

    /// Client properties are settings, not what is read: processes of a group may differ in them.
    private enum CodingKeys: String, CodingKey { case brokers, topic, groupId, format, start, stopAtEnd, stateTopic }

    package var connector: String { "kafka" }
    /// Property values may be secrets: only their keys are shown.
    package var explainFields: String {
        "topic=\(topic), group=\(groupId), format=\(format.rawValue), start=\(start.rawValue)" + (stopAtEnd ? ", stop=end" : "")
            + (stateTopic.map { ", state_topic=\($0)" } ?? "") + (properties.isEmpty ? "" : ", properties=[\(properties.keys.sorted().joined(separator: ", "))]")
    }
    /// Every property but `BlobName` (records, not files) and MQTT's.
    package func provides(_ property: MetadataProperty) -> Bool {
        switch property {
        case .blobName, .blobLastModified, .group(.blob), .qos, .retain, .messageId, .group(.mqtt): false
        default: true
        }
    }
    package var partitionedTopic: String? { topic }

    package func makeSource(_ c: SourceContext) throws -> any EventSource {
        if stateTopic != nil { throw ConnectorError("input '\(c.input)' has state_topic: run the job with makeJobRun (a PartitionedRun)") }
        return try KafkaSource(input: c.input, options: self, layout: c.layout, compatibility: c.compatibility, context: c.runtime)
    }
}

/// Where a Kafka output writes.
package struct KafkaOutputOptions: SinkEndpoint {
    package var brokers: String
    package var topic: String
    /// The column whose value becomes each record's key (its text); none: records have no key.
    package var key: String?
    package var format: DataFormat
    package var properties: [String: String]
    /// `transactional_id`: write in Kafka transactions that also commit the Kafka inputs' offsets
    /// (exactly-once for stateless jobs on brokers that hide aborted records). Every transactional
    /// output of a job shares one producer, so they must name the same id and brokers.
    package var transactionalId: String?

    package init(brokers: String, topic: String, key: String?, format: DataFormat, properties: [String: String],
                transactionalId: String? = nil) {
        self.brokers = brokers
        self.topic = topic
        self.key = key
        self.format = format
        self.properties = properties
        self.transactionalId = transactionalId
    }

    private enum CodingKeys: String, CodingKey { case brokers, topic, key, format, transactionalId }

    package var connector: String { "kafka" }
    package var explainFields: String {
        "topic=\(topic), format=\(format.rawValue)" + (key.map { ", key=\($0)" } ?? "")
            + (properties.isEmpty ? "" : ", properties=[\(properties.keys.sorted().joined(separator: ", "))]")
    }
    package var transaction: String? { transactionalId }

    /// Transactional outputs share one producer (see ``KafkaTransaction``).
    package func makeWriter(_ c: SinkContext) throws -> any RowWriter {
        let transaction = try transactionalId.map { id in try c.resources.resource("kafka.transaction:" + id) { try KafkaTransaction(options: self) } }
        return try KafkaWriter(output: c.output, options: self, policy: c.policy, transaction: transaction, context: c.runtime)
    }
}
