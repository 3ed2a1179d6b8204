import CRdKafka
import Planner

/// One transactional producer shared by a job's transactional Kafka outputs.
///
/// Records are written inside an open transaction. ``commit(offsetsOf:)`` sends the given consumers'
/// positions into the same transaction and commits it, so output records and input offsets become
/// visible together (Kafka's consume-transform-produce pattern); a new transaction then begins.
/// A failed delivery, an abortable error or fencing ends the run with an error: the open
/// transaction is aborted (or left to the broker when fenced), and a restart resumes from the last
/// committed offsets.
package final class KafkaTransaction: OutputTransaction {
    package let producer: KafkaProducer
    package let transactionalId: String
    /// The first delivery failure in the open transaction, if any.
    private var failure: String?
    private let timeoutMs: Int32 = 30_000

    package init(options: KafkaOutputOptions) throws {
        let id = options.transactionalId ?? ""
        var config = KafkaConfig(options.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        config.setDefault("bootstrap.servers", options.brokers)
        config.setDefault("transactional.id", id)
        producer = try KafkaProducer(config: config)
        transactionalId = id
        producer.onFailure = { [unowned self] r in if self.failure == nil { self.failure = r.error } }
        try check(rd_kafka_init_transactions(producer.handle, timeoutMs), "init transactions")
        try check(rd_kafka_begin_transaction(producer.handle), "begin a transaction")
    }

    /// Throws when a record of the open transaction failed: the transaction cannot commit.
    func checkDeliveries() throws {
        guard let failure else { return }
        _ = rd_kafka_abort_transaction(producer.handle, timeoutMs).map { rd_kafka_error_destroy($0) }
        throw ConnectorError("kafka: a record of transaction '\(transactionalId)' was not delivered (\(failure)); the transaction was aborted")
    }

    /// Commits with the positions of the Kafka sources among `sources`.
    func commit(positionsOf sources: [any EventSource]) throws {
        try commit(offsetsOf: sources.compactMap { ($0 as? KafkaSource)?.consumer })
    }

    /// Waits for every record, adds the consumers' positions to the transaction, commits it and
    /// begins the next.
    package func commit(offsetsOf consumers: [KafkaConsumer]) throws {
        try producer.flush(timeoutMs: Int(timeoutMs))
        try checkDeliveries()
        for consumer in consumers {
            guard let all = consumer.positions() else { throw ConnectorError("kafka: cannot read the consumer's positions") }
            defer { rd_kafka_topic_partition_list_destroy(all) }
            // Partitions not read yet have no position; their committed offsets stay as they are.
            guard let positions = rd_kafka_topic_partition_list_new(all.pointee.cnt) else { continue }
            defer { rd_kafka_topic_partition_list_destroy(positions) }
            for i in 0..<Int(all.pointee.cnt) where all.pointee.elems[i].offset >= 0 {
                let e = all.pointee.elems[i]
                rd_kafka_topic_partition_list_add(positions, e.topic, e.partition)?.pointee.offset = e.offset
            }
            guard positions.pointee.cnt > 0, let group = rd_kafka_consumer_group_metadata(consumer.handle) else { continue }
            defer { rd_kafka_consumer_group_metadata_destroy(group) }
            try check(rd_kafka_send_offsets_to_transaction(producer.handle, positions, group, timeoutMs), "send offsets to the transaction")
        }
        try check(rd_kafka_commit_transaction(producer.handle, timeoutMs), "commit the transaction")
        try check(rd_kafka_begin_transaction(producer.handle), "begin a transaction")
    }

    /// Aborts the open transaction (a stop without a final commit).
    package func abort() {
        _ = rd_kafka_abort_transaction(producer.handle, timeoutMs).map { rd_kafka_error_destroy($0) }
    }

    private func check(_ error: OpaquePointer?, _ what: String) throws {
        guard let error else { return }
        defer { rd_kafka_error_destroy(error) }
        let message = String(cString: rd_kafka_error_string(error))
        if rd_kafka_error_is_fatal(error) != 0 {
            throw ConnectorError("kafka: cannot \(what) for transactional id '\(transactionalId)': \(message) "
                + "(fatal: another producer with this transactional id has fenced this one, or the broker refused it)")
        }
        if rd_kafka_error_txn_requires_abort(error) != 0 { abort() }
        throw ConnectorError("kafka: cannot \(what) for transactional id '\(transactionalId)': \(message)")
    }
}
