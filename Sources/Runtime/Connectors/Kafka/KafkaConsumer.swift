import CRdKafka
import Foundation
import Planner

/// One consumed record, valid only inside the callback that receives it.
package struct KafkaRecord {
    package var topic: String
    package var partition: Int32
    package var offset: Int64
    /// Milliseconds since the epoch; `nil` when the record has none.
    package var timestampMs: Int64?
    package var value: UnsafeBufferPointer<UInt8>
    package var key: UnsafeBufferPointer<UInt8>?
    /// True when the timestamp is the broker's LogAppendTime, false for the producer's CreateTime.
    package var logAppendTime: Bool
    let message: UnsafeMutablePointer<rd_kafka_message_t>

    /// The record's headers in order (values as UTF-8 text; a NULL value gives `nil`).
    package var headers: [(name: String, value: String?)] {
        var list: OpaquePointer?
        guard rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        var out: [(String, String?)] = []
        var i = 0
        while true {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            guard rd_kafka_header_get_all(list, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR, let name else { break }
            out.append((String(cString: name),
                        value.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: size), as: UTF8.self) }))
            i += 1
        }
        return out
    }
}

/// A consumer in a consumer group (`subscribe`) reading records in batches.
///
/// Offsets are stored as records are handed out and committed only by ``commit()``, after the
/// caller has flushed what the records produced: at-least-once delivery.
package final class KafkaConsumer {
    let handle: OpaquePointer
    private let queue: OpaquePointer
    /// Partitions that reported end-of-partition since their last record.
    package private(set) var atEnd: Set<Int32> = []
    /// Where assigned partitions start instead of the group's committed offsets (from a checkpoint),
    /// by topic and partition.
    package var startOffsets: [String: [Int32: Int64]] = [:]
    private let rebalance: UnsafeMutablePointer<saql_rebalance_ctx>

    /// Called on the polling thread with partitions about to be assigned, before their start offsets
    /// are read from ``startOffsets`` (so it may set them).
    package var onAssign: (([Int32]) -> Void)?
    /// Called on the polling thread with partitions about to be revoked, while they are still owned.
    package var onRevoke: (([Int32]) -> Void)?

    /// A member of the group `group.id` reading `topics`.
    package convenience init(config: KafkaConfig, topics: [String]) throws {
        try self.init(config: config)
        guard let list = rd_kafka_topic_partition_list_new(Int32(topics.count)) else { throw ConnectorError("kafka: out of memory") }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for t in topics { rd_kafka_topic_partition_list_add(list, t, RD_KAFKA_PARTITION_UA) }
        let rc = rd_kafka_subscribe(handle, list)
        guard rc == RD_KAFKA_RESP_ERR_NO_ERROR else { throw kafkaError("subscribe", rc) }
    }

    /// A consumer outside any group: it reads what ``assign(_:)`` gives it.
    package init(config: KafkaConfig) throws {
        var config = config
        config.setDefault("enable.auto.commit", "false")
        config.setDefault("enable.auto.offset.store", "true")
        config.setDefault("enable.partition.eof", "true")
        let conf = try config.make()
        rebalance = .allocate(capacity: 1)
        rebalance.initialize(to: saql_rebalance_ctx(fn: nil, ctx: nil))
        saql_rd_set_rebalance(conf, rebalance)
        var error = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &error, error.count) else {
            rd_kafka_conf_destroy(conf)
            rebalance.deallocate()
            throw ConnectorError("kafka: cannot create a consumer: \(cText(error))")
        }
        rd_kafka_poll_set_consumer(rk)
        guard let q = rd_kafka_queue_get_consumer(rk) else {
            rd_kafka_destroy(rk)
            rebalance.deallocate()
            throw ConnectorError("kafka: no consumer queue")
        }
        handle = rk
        queue = q
        // Rebalances arrive on this consumer's polling thread (the caller's).
        rebalance.pointee.ctx = Unmanaged.passUnretained(self).toOpaque()
        rebalance.pointee.fn = { ctx, assign, list in
            guard let ctx, let list else { return }
            let consumer = Unmanaged<KafkaConsumer>.fromOpaque(ctx).takeUnretainedValue()
            let partitions = (0..<Int(list.pointee.cnt)).map { list.pointee.elems[$0].partition }
            if assign != 0 {
                consumer.onAssign?(partitions)
                consumer.applyStartOffsets(list)
            } else {
                consumer.onRevoke?(partitions)
            }
        }
    }

    /// Reads exactly these partitions from these offsets (replacing any earlier assignment). A
    /// partition read to its end reports it again after being assigned anew.
    package func assign(_ partitions: [(topic: String, partition: Int32, offset: Int64)]) throws {
        guard let list = rd_kafka_topic_partition_list_new(Int32(partitions.count)) else { throw ConnectorError("kafka: out of memory") }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for p in partitions { rd_kafka_topic_partition_list_add(list, p.topic, p.partition)?.pointee.offset = p.offset }
        for p in partitions { atEnd.remove(p.partition) }
        let rc = rd_kafka_assign(handle, list)
        guard rc == RD_KAFKA_RESP_ERR_NO_ERROR else { throw kafkaError("assign", rc) }
    }

    deinit {
        rd_kafka_queue_destroy(queue)
        rd_kafka_destroy(handle)
        rebalance.deallocate()
    }

    /// Sets newly assigned partitions' start offsets from `startOffsets`; each is used once.
    private func applyStartOffsets(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        for i in 0..<Int(list.pointee.cnt) {
            let topic = String(cString: list.pointee.elems[i].topic)
            if let offset = startOffsets[topic]?.removeValue(forKey: list.pointee.elems[i].partition) {
                list.pointee.elems[i].offset = offset
            }
        }
    }

    /// The next offset to read of each assigned partition that has one, by topic.
    package var readPositions: [String: [Int32: Int64]] {
        guard let list = positions() else { return [:] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        var out: [String: [Int32: Int64]] = [:]
        for i in 0..<Int(list.pointee.cnt) where list.pointee.elems[i].offset >= 0 {
            out[String(cString: list.pointee.elems[i].topic), default: [:]][list.pointee.elems[i].partition] = list.pointee.elems[i].offset
        }
        return out
    }

    /// The partitions assigned to this member now.
    package var assignment: [Int32] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return (0..<Int(list.pointee.cnt)).map { list.pointee.elems[$0].partition }
    }

    /// Waits up to `timeoutMs` for records and hands up to `max` of them to `body`. Returns how many
    /// records there were. Transport errors are reported through `onError` (librdkafka retries them).
    @discardableResult
    package func poll(max: Int, timeoutMs: Int32, onError: (String) -> Void, _ body: (KafkaRecord) throws -> Void) rethrows -> Int {
        var messages = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: max)
        // Take what is there without waiting; only when nothing is, wait for the first record (a batch
        // call would wait for a full batch or the timeout, which adds its timeout to latency).
        var n = rd_kafka_consume_batch_queue(queue, 0, &messages, max)
        if n == 0, let first = rd_kafka_consume_queue(queue, Int32(timeoutMs)) {
            messages[0] = first
            n = 1 + messages.withUnsafeMutableBufferPointer { buf in
                Swift.max(0, max > 1 ? rd_kafka_consume_batch_queue(queue, 0, buf.baseAddress.map { $0 + 1 }, max - 1) : 0)
            }
        }
        guard n > 0 else { return 0 }
        defer { for i in 0..<n { rd_kafka_message_destroy(messages[i]) } }
        var records = 0
        for i in 0..<n {
            guard let message = messages[i] else { continue }
            let m = message.pointee
            if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                atEnd.insert(m.partition)
                continue
            }
            if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                onError(String(cString: rd_kafka_err2str(m.err)))
                continue
            }
            atEnd.remove(m.partition)
            var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let ts = rd_kafka_message_timestamp(message, &type)
            let value = m.payload.map { UnsafeBufferPointer(start: $0.assumingMemoryBound(to: UInt8.self), count: m.len) }
                ?? UnsafeBufferPointer(start: nil, count: 0)
            let key = m.key.map { UnsafeBufferPointer(start: $0.assumingMemoryBound(to: UInt8.self), count: m.key_len) }
            let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
            records += 1
            try body(KafkaRecord(topic: topic, partition: m.partition, offset: m.offset,
                                 timestampMs: type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : ts, value: value, key: key,
                                 logAppendTime: type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME, message: message))
        }
        return records
    }

    /// The next offset to read of each assigned partition (caller destroys the list); `nil` on error.
    func positions() -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t>? {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return nil }
        guard rd_kafka_position(handle, list) == RD_KAFKA_RESP_ERR_NO_ERROR else {
            rd_kafka_topic_partition_list_destroy(list)
            return nil
        }
        return list
    }

    /// Records behind the end of each assigned partition (the high watermark from the latest fetch
    /// minus the position); partitions without a position yet are left out.
    package var lags: [(partition: Int32, lag: Int64)] {
        guard let list = positions() else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        var out: [(Int32, Int64)] = []
        for i in 0..<Int(list.pointee.cnt) {
            let e = list.pointee.elems[i]
            var low: Int64 = 0, high: Int64 = 0
            guard e.offset >= 0, rd_kafka_get_watermark_offsets(handle, e.topic, e.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
                  high >= 0 else { continue }
            out.append((e.partition, max(0, high - e.offset)))
        }
        return out
    }

    /// Commits the offsets of every record handed out so far; `async` returns at once (a failure
    /// is then reported through the error callback, and the next commit covers the same offsets).
    package func commit(async: Bool = false) throws {
        let rc = rd_kafka_commit(handle, nil, async ? 1 : 0)
        // Nothing new to commit is not an error.
        guard rc == RD_KAFKA_RESP_ERR_NO_ERROR || rc == RD_KAFKA_RESP_ERR__NO_OFFSET else { throw kafkaError("commit", rc) }
    }

    /// Commits these next offsets of `topic`'s partitions (those of the records fully processed,
    /// which may be behind what was read).
    package func commit(topic: String, offsets: [Int32: Int64]) throws {
        guard !offsets.isEmpty, let list = rd_kafka_topic_partition_list_new(Int32(offsets.count)) else { return }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (p, o) in offsets.sorted(by: { $0.key < $1.key }) { rd_kafka_topic_partition_list_add(list, topic, p)?.pointee.offset = o }
        let rc = rd_kafka_commit(handle, list, 0)
        guard rc == RD_KAFKA_RESP_ERR_NO_ERROR || rc == RD_KAFKA_RESP_ERR__NO_OFFSET else { throw kafkaError("commit", rc) }
    }

    /// The partitions of `topic`, from the brokers' metadata.
    package func partitions(of topic: String, timeoutMs: Int32) throws -> [Int32] {
        guard let t = rd_kafka_topic_new(handle, topic, nil) else { throw ConnectorError("kafka: cannot open topic '\(topic)'") }
        defer { rd_kafka_topic_destroy(t) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let rc = rd_kafka_metadata(handle, 0, t, &metadata, timeoutMs)
        guard rc == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw kafkaError("metadata of '\(topic)'", rc) }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0 else { return [] }
        let info = metadata.pointee.topics[0]
        guard info.err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw kafkaError("metadata of '\(topic)'", info.err) }
        return (0..<Int(info.partition_cnt)).map { info.partitions[$0].id }.sorted()
    }

    /// Waits up to `timeoutMs` for end-of-partition events, handing each partition's end offset to
    /// `body` (records are skipped: a consumer assigned at the end reads none).
    func pollEnds(timeoutMs: Int32, _ body: (Int32, Int64) -> Void) {
        guard let message = rd_kafka_consume_queue(queue, timeoutMs) else { return }
        defer { rd_kafka_message_destroy(message) }
        if message.pointee.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { body(message.pointee.partition, message.pointee.offset) }
    }

    /// The group's committed next offset of each of these partitions (absent where it has none).
    package func committed(topic: String, partitions: [Int32], timeoutMs: Int32 = 5000) -> [Int32: Int64] {
        guard let list = rd_kafka_topic_partition_list_new(Int32(partitions.count)) else { return [:] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for p in partitions { rd_kafka_topic_partition_list_add(list, topic, p) }
        guard rd_kafka_committed(handle, list, timeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var out: [Int32: Int64] = [:]
        for i in 0..<Int(list.pointee.cnt) where list.pointee.elems[i].offset >= 0 {
            out[list.pointee.elems[i].partition] = list.pointee.elems[i].offset
        }
        return out
    }

    /// Leaves the group (so partitions move to other members at once).
    package func close() { rd_kafka_consumer_close(handle) }
}
