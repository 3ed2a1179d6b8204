#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CPostgres
import Foundation
import Planner

/// One libpq connection (PostgreSQL's own client library, from Debian's `libpq-dev`), used from one
/// thread. Calls block, as the sinks' writes do everywhere in the run loop.
///
/// Errors are ``ConnectorError``s; `transient` marks those that a later attempt may not hit: a
/// lost or refused connection, a server shutting down, a serialization failure or deadlock, and
/// lack of resources (SQLSTATE classes 08, 53, 57P0x, 40001, 40P01).
final class PostgresConnection {
    private let conn: OpaquePointer
    /// What messages name the server by: `host:port/database`, never the password.
    let name: String

    init(url: String) throws {
        guard let c = PQconnectdb(url) else { throw ConnectorError("postgres: out of memory connecting", transient: true) }
        conn = c
        name = Self.describe(c)
        guard PQstatus(c) == CONNECTION_OK else {
            let message = Self.message(c)  // deinit finishes the connection
            // A server that is down or starting is worth waiting for; a refused login or a missing
            // database is not.
            let permanent = ["authentication failed", "does not exist", "no pg_hba.conf entry", "invalid", "permission denied"]
                .contains { message.contains($0) }
            throw ConnectorError("postgres \(name): cannot connect: \(message)", transient: !permanent)
        }
        _ = try? execute("SET client_min_messages = warning")
    }

    deinit { PQfinish(conn) }

    private static func describe(_ c: OpaquePointer) -> String {
        let host = PQhost(c).map { String(cString: $0) } ?? "?"
        let port = PQport(c).map { String(cString: $0) } ?? "?"
        let db = PQdb(c).map { String(cString: $0) } ?? "?"
        return "\(host):\(port)/\(db)"
    }

    private static func message(_ c: OpaquePointer) -> String {
        let text = PQerrorMessage(c).map { String(cString: $0) } ?? "unknown error"
        // libpq's messages span lines ("...failed: Connection refused\n\tIs the server running...").
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }

    /// Runs statements without parameters; returns the rows of the last, as text (`nil` for NULL).
    @discardableResult
    func execute(_ sql: String) throws -> [[String?]] {
        try result(PQexec(conn, sql), sql: sql)
    }

    /// Runs one statement with text parameters (`$1`, `$2`, ...; `nil` is NULL).
    @discardableResult
    func execute(_ sql: String, parameters: [String?]) throws -> [[String?]] {
        let owned: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.flatMap { strdup($0) } }
        defer { for p in owned { free(p) } }
        let values: [UnsafePointer<CChar>?] = owned.map { $0.map { UnsafePointer($0) } }
        return try result(PQexecParams(conn, sql, Int32(values.count), nil, values, nil, nil, 0), sql: sql)
    }

    /// Runs a query; returns its column names and rows as records, typed by column: integers as
    /// bigint, floating and numeric as float, booleans as bit, timestamps as datetime (in UTC), the
    /// rest as nvarchar(max).
    func records(_ sql: String) throws -> (columns: [String], rows: [Record]) {
        try execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO'")
        guard let res = PQexec(conn, sql) else { throw failure("no result") }
        defer { PQclear(res) }
        guard PQresultStatus(res) == PGRES_TUPLES_OK else {
            try result(res, sql: sql, keep: true)  // throws the server's error; a statement without rows gives none
            return ([], [])
        }
        let m = PQnfields(res)
        let names = (0..<m).map { String(cString: PQfname(res, $0)) }
        let types = (0..<m).map { PQftype(res, $0) }
        var rows: [Record] = []
        for i in 0..<PQntuples(res) {
            var values: [Value] = []
            for j in 0..<m {
                guard PQgetisnull(res, i, j) == 0 else { values.append(.null); continue }
                let text = String(cString: PQgetvalue(res, i, j))
                values.append(Self.value(text, type: types[Int(j)]))
            }
            rows.append(Record(names: names, values: values))
        }
        return (names, rows)
    }

    /// A column value of type `oid` (PostgreSQL's built-in type numbers).
    private static func value(_ text: String, type oid: Oid) -> Value {
        switch oid {
        case 20, 21, 23: Int64(text).map(Value.bigint) ?? .string(text)
        case 700, 701, 1700: Double(text).map(Value.float) ?? .string(text)
        case 16: .bit(text == "t")
        case 1114, 1184:
            // ISO style in UTC: `2024-06-01 08:30:00.25+00`.
            Timestamp(parsing: text.replacingOccurrences(of: " ", with: "T").replacingOccurrences(of: "+00", with: "Z")).map(Value.datetime) ?? .string(text)
        default: .string(text)
        }
    }

    /// Runs `COPY ... FROM STDIN` with `data` in COPY's text format.
    func copy(_ sql: String, data: [UInt8]) throws {
        try result(PQexec(conn, sql), sql: sql, expecting: PGRES_COPY_IN)
        var offset = 0
        while offset < data.count {
            let n = min(1 << 20, data.count - offset)
            let sent = data.withUnsafeBytes { raw in
                PQputCopyData(conn, raw.baseAddress?.advanced(by: offset).assumingMemoryBound(to: CChar.self), Int32(n))
            }
            guard sent == 1 else { throw failure("COPY data") }
            offset += n
        }
        guard PQputCopyEnd(conn, nil) == 1 else { throw failure("COPY end") }
        try result(PQgetResult(conn), sql: sql)
        while let extra = PQgetResult(conn) { PQclear(extra) }
    }

    /// True while the connection is usable.
    var isOK: Bool { PQstatus(conn) == CONNECTION_OK }

    private func failure(_ what: String) -> ConnectorError {
        ConnectorError("postgres \(name): \(what): \(Self.message(conn))", transient: PQstatus(conn) != CONNECTION_OK)
    }

    @discardableResult
    private func result(_ res: OpaquePointer?, sql: String, expecting: ExecStatusType? = nil, keep: Bool = false) throws -> [[String?]] {
        guard let res else { throw failure("no result") }
        defer { if !keep { PQclear(res) } }
        let status = PQresultStatus(res)
        if let expecting {
            if status == expecting { return [] }
        } else if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK {
            var rows: [[String?]] = []
            let n = PQntuples(res), m = PQnfields(res)
            rows.reserveCapacity(Int(n))
            for i in 0..<n {
                rows.append((0..<m).map { j in PQgetisnull(res, i, j) == 1 ? nil : String(cString: PQgetvalue(res, i, j)) })
            }
            return rows
        }
        let state = PQresultErrorField(res, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        let text = PQresultErrorMessage(res).map { String(cString: $0) }?.trimmingSuffix(while: \.isWhitespace) ?? ""
        let lost = PQstatus(conn) != CONNECTION_OK
        throw PostgresError(message: "postgres \(name): \(text.isEmpty ? Self.message(conn) : text)", sqlState: state,
                            transient: lost || Self.isTransient(state))
    }

    static func isTransient(_ state: String) -> Bool {
        state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P") || state == "40001" || state == "40P01"
    }
}

/// A failed statement: the server's message and SQLSTATE.
struct PostgresError: Error {
    var message: String
    var sqlState: String
    var transient: Bool
    /// A row's data does not fit (class 22, data exception; class 23, integrity violation).
    var isDataError: Bool { sqlState.hasPrefix("22") || sqlState.hasPrefix("23") }
    var connectorError: ConnectorError { ConnectorError(message, transient: transient) }
}

extension String {
    fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> String {
        var s = Substring(self)
        while let last = s.last, predicate(last) { s = s.dropLast() }
        return String(s)
    }
}
