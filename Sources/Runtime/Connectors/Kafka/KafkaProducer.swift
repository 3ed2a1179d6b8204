import CRdKafka
import Foundation
import Planner

/// A record librdkafka gave up on, copied out of its delivery report.
package struct FailedRecord: Sendable {
    package var topic: String
    package var value: [UInt8]
    package var key: [UInt8]?
    package var timestampMs: Int64
    package var error: String
}

/// A producer whose every record's delivery is checked: ``flush(timeoutMs:)`` waits for all
/// outstanding records and reports how many failed; `onFailure` receives each failed record.
package final class KafkaProducer {
    let handle: OpaquePointer
    private let events: OpaquePointer
    package private(set) var delivered = 0
    package private(set) var failed = 0
    package private(set) var lastError: String?
    /// Called for each record whose delivery failed (after librdkafka's own retries).
    package var onFailure: ((FailedRecord) -> Void)?

    package init(config: KafkaConfig) throws {
        let conf = try config.make()
        rd_kafka_conf_set_events(conf, Int32(RD_KAFKA_EVENT_DR))
        var error = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &error, error.count) else {
            rd_kafka_conf_destroy(conf)
            throw ConnectorError("kafka: cannot create a producer: \(cText(error))")
        }
        handle = rk
        guard let q = rd_kafka_queue_get_main(rk) else {
            rd_kafka_destroy(rk)
            throw ConnectorError("kafka: no producer queue")
        }
        events = q
    }

    deinit {
        rd_kafka_queue_destroy(events)
        rd_kafka_destroy(handle)
    }

    /// Queues a record. When librdkafka's queue is full, serves delivery reports until there is room
    /// (backpressure instead of unbounded memory).
    package func send(topic: String, partition: Int32 = RD_KAFKA_PARTITION_UA, value: UnsafeRawBufferPointer,
                     key: UnsafeRawBufferPointer?, timestampMs: Int64 = 0, headers: [(name: String, value: String)] = []) throws {
        while true {
            var list: OpaquePointer?
            if !headers.isEmpty {
                list = rd_kafka_headers_new(headers.count)
                for (name, value) in headers { rd_kafka_header_add(list, name, -1, value, -1) }
            }
            let rc = saql_rd_produce(handle, topic, partition, value.baseAddress, value.count,
                                     key?.baseAddress, key?.count ?? 0, timestampMs, list)
            if rc == RD_KAFKA_RESP_ERR_NO_ERROR { return }
            if let list { rd_kafka_headers_destroy(list) }
            guard rc == RD_KAFKA_RESP_ERR__QUEUE_FULL else { throw kafkaError("produce to '\(topic)'", rc) }
            serveReports(timeoutMs: 100)
        }
    }

    /// Handles delivery reports that have arrived, waiting up to `timeoutMs` for the first.
    package func serveReports(timeoutMs: Int32) {
        var wait = timeoutMs
        while let event = rd_kafka_queue_poll(events, Int32(wait)) {
            wait = 0
            defer { rd_kafka_event_destroy(event) }
            guard rd_kafka_event_type(event) == RD_KAFKA_EVENT_DR else { continue }
            while let m = rd_kafka_event_message_next(event) {
                let r = m.pointee
                if r.err == RD_KAFKA_RESP_ERR_NO_ERROR { delivered += 1; continue }
                failed += 1
                let reason = String(cString: rd_kafka_err2str(r.err))
                lastError = reason
                guard let onFailure else { continue }
                func bytes(_ p: UnsafeMutableRawPointer?, _ n: Int) -> [UInt8]? {
                    p.map { Array(UnsafeRawBufferPointer(start: $0, count: n)) }
                }
                onFailure(FailedRecord(topic: r.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "",
                                       value: bytes(r.payload, r.len) ?? [], key: bytes(r.key, r.key_len),
                                       timestampMs: rd_kafka_message_timestamp(m, nil), error: reason))
            }
        }
    }

    /// Creates `topic` unless it exists (the broker's default replication factor).
    package func createTopic(_ topic: String, partitions: Int32, config: [(key: String, value: String)], timeoutMs: Int32 = 30_000) throws {
        var error = [CChar](repeating: 0, count: 512)
        guard let newTopic = rd_kafka_NewTopic_new(topic, partitions, -1, &error, error.count) else {
            throw ConnectorError("kafka: cannot describe topic '\(topic)': \(cText(error))")
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        for (key, value) in config { rd_kafka_NewTopic_set_config(newTopic, key, value) }
        guard let queue = rd_kafka_queue_new(handle) else { throw ConnectorError("kafka: no admin queue") }
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, nil, 0)
        var topics: [OpaquePointer?] = [newTopic]
        rd_kafka_CreateTopics(handle, &topics, 1, options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMs + 1000) else {
            throw ConnectorError("kafka: creating topic '\(topic)' timed out")
        }
        defer { rd_kafka_event_destroy(event) }
        let rc = rd_kafka_event_error(event)
        guard rc == RD_KAFKA_RESP_ERR_NO_ERROR else { throw kafkaError("create topic '\(topic)'", rc) }
        var count = 0
        guard let result = rd_kafka_event_CreateTopics_result(event),
              let results = rd_kafka_CreateTopics_result_topics(result, &count), count == 1, let first = results[0] else { return }
        let err = rd_kafka_topic_result_error(first)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS else {
            throw kafkaError("create topic '\(topic)'", err)
        }
    }

    /// Records queued and not yet reported.
    package var outstanding: Int { Int(rd_kafka_outq_len(handle)) }

    /// Waits until every queued record is reported (or the timeout passes).
    package func flush(timeoutMs: Int) throws {
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        serveReports(timeoutMs: 0)
        while outstanding > 0 {
            guard Date() < deadline else { throw ConnectorError("kafka: \(outstanding) records not delivered within \(timeoutMs) ms") }
            // Not rd_kafka_flush: with the event API it cannot serve the delivery reports it waits for.
            serveReports(timeoutMs: 10)
        }
    }
}
