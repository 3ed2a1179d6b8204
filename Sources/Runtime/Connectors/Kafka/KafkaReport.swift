#if canImport(Glibc)
import Glibc
#endif
import Planner

/// librdkafka's warnings and errors, from its own threads: printed to stderr in saql's format,
/// with every `${...}` value redacted (librdkafka quotes configuration values back).
@_cdecl("saql_kafka_report")
func saqlKafkaReport(_ line: UnsafePointer<CChar>?) {
    guard let line else { return }
    let text = "saql: warning: " + Secrets.redact(String(cString: line)) + "\n"
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { b in b.baseAddress.map { write(2, $0, b.count) } }
}
