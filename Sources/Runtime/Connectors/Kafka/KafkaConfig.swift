import CRdKafka
import Foundation
import Planner

/// librdkafka configuration. Values are passed through unchanged (security settings included) and
/// never appear in errors or logs: a bad value is reported by its key only.
package struct KafkaConfig: Sendable {
    package var properties: [(key: String, value: String)]

    package init(_ properties: [(key: String, value: String)]) { self.properties = properties }

    /// Sets a property unless the user already did (user settings win over saql's defaults).
    package mutating func setDefault(_ key: String, _ value: String) {
        if !properties.contains(where: { $0.key == key }) { properties.append((key, value)) }
    }

    func make() throws -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw ConnectorError("kafka: cannot allocate a configuration") }
        var error = [CChar](repeating: 0, count: 512)
        for (key, value) in properties where rd_kafka_conf_set(conf, key, value, &error, error.count) != RD_KAFKA_CONF_OK {
            let reason = cText(error).replacingOccurrences(of: value, with: "***")
            rd_kafka_conf_destroy(conf)
            throw ConnectorError("kafka: invalid setting '\(key)': \(reason)")
        }
        saql_rd_report_errors(conf)
        return conf
    }
}

/// The text of a NUL-terminated error buffer.
func cText(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A Kafka error from librdkafka, with the operation that failed.
func kafkaError(_ what: String, _ code: rd_kafka_resp_err_t) -> ConnectorError {
    ConnectorError("kafka: \(what): \(String(cString: rd_kafka_err2str(code)))")
}

