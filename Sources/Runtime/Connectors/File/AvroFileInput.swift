import Planner

/// Avro Object Container Files read as events or as a reference table: one file, a directory
/// of them or a glob (``AvroSource``). With `capture`, the files are Event Hubs Capture files
/// whose records' `Body` holds the events.
package struct AvroFileInput: StreamSourceEndpoint, ReferenceSourceEndpoint {
    package var path: String
    package var capture: Bool
    package var arrivalTimeField: String?

    package init(path: String, capture: Bool, arrivalTimeField: String?) {
        self.path = path
        self.capture = capture
        self.arrivalTimeField = arrivalTimeField
    }

    package var connector: String { "file" }
    package var explainFields: String {
        "path=\(path), format=\(capture ? "eventhubs-capture" : "avro")" + (arrivalTimeField.map { ", arrival_time=\($0)" } ?? "")
    }
    /// Capture events arrive at their `EnqueuedTimeUtc`; plain files, like other files, at their
    /// event times unless `arrival_time` names a field.
    package var arrivesAtEventTime: Bool { !capture && arrivalTimeField == nil }

    package func provides(_ property: MetadataProperty) -> Bool {
        switch property {
        case .eventId, .blobName, .blobLastModified, .group(.blob): true
        case .enqueuedTime, .processedTime, .offset, .key, .header, .iotHub, .group(.eventHub), .group(.iotHub), .group(.user): capture
        default: false
        }
    }

    package func makeSource(_ c: SourceContext) throws -> any EventSource {
        try AvroSource(input: c.input, pattern: path, capture: capture, arrivalField: arrivalTimeField, layout: c.layout,
                       compatibility: c.compatibility, runStart: c.runStart, context: c.runtime)
    }

    /// The first file's record fields (a capture's events are known only from their bodies).
    package func sampleColumns() -> [String]? {
        guard !capture, let first = try? AvroSource.files(matching: path).first, let reader = try? AvroFileReader(path: first) else { return nil }
        return reader.schema.fieldNames
    }

    package func makeLoader(_ c: SourceContext) throws -> (() throws -> EventBatch)? {
        {
            let source = try AvroSource(input: c.input, pattern: path, capture: capture, arrivalField: nil, layout: c.layout,
                                        compatibility: c.compatibility, runStart: c.runStart, context: c.runtime)
            var table = EventBatch(width: c.layout.schema.columns.count)
            while let b = try source.nextBatch(maxRows: 4096) {
                table.values += b.values
                table.times += b.times
            }
            return table
        }
    }
}
