/// Where a Kafka input reads from and how.
public struct KafkaInputOptions: Hashable, Sendable {
    public enum Start: String, Hashable, Sendable {
        /// Resume from the group's committed offsets; from the earliest record without any.
        case committed
        /// From the earliest record when the group has no committed offset.
        case earliest
        /// From the end when the group has no committed offset.
        case latest
    }

    public var brokers: String
    public var topic: String
    public var groupId: String
    public var format: DataFormat
    public var start: Start
    /// `stop = 'end'`: read each partition to the end it has when reached, then end the input.
    public var stopAtEnd: Bool
    /// `properties.<key>`: passed to librdkafka unchanged (security settings and tuning).
    public var properties: [String: String]
    /// `state_topic`: run each partition on its own and keep its state in this topic, so that state
    /// moves with the partition when the consumer group rebalances.
    public var stateTopic: String?

    public init(brokers: String, topic: String, groupId: String, format: DataFormat, start: Start, stopAtEnd: Bool,
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
}

/// Where a Kafka output writes.
public struct KafkaOutputOptions: Hashable, Sendable {
    public var brokers: String
    public var topic: String
    /// The column whose value becomes each record's key (its text); none: records have no key.
    public var key: String?
    public var format: DataFormat
    public var properties: [String: String]
    /// `transactional_id`: write in Kafka transactions that also commit the Kafka inputs' offsets
    /// (exactly-once for stateless jobs on brokers that hide aborted records). Every transactional
    /// output of a job shares one producer, so they must name the same id and brokers.
    public var transactionalId: String?

    public init(brokers: String, topic: String, key: String?, format: DataFormat, properties: [String: String],
                transactionalId: String? = nil) {
        self.brokers = brokers
        self.topic = topic
        self.key = key
        self.format = format
        self.properties = properties
        self.transactionalId = transactionalId
    }
}
